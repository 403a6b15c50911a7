//! `vfk-fees`: count MJ in VFK files and price orders of VFK data for distributors.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use cuzk_vfk::fees::quote::{parse_order_spec, read_history};
use cuzk_vfk::fees::{
    ContinuityRule, FeeEngine, PercentageBase, PricingRule, Quote, QuoteLine, ROUNDING_SOURCE,
    RoundingPolicy, RuleSet, RuleSetRef, RuleSets, UpdateMinimumScope, invoice_metadata,
    write_invoice_csv,
};
use cuzk_vfk::{CountedFile, FileCount, MjRowPolicy, VfkSummary, count_files};
use rust_decimal::Decimal;

#[derive(Parser)]
#[command(
    name = "vfk-fees",
    version,
    about = "MJ counting and ČÚZK fees for distributors of VFK cadastral data",
    after_help = exit_codes()
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Policy {
    /// Every PAR (PKN/PZE) and TEL row (default).
    AllRows,
    /// Only rows with STAV_DAT = 0.
    CurrentOnly,
}

#[derive(Clone, Copy, ValueEnum)]
enum Continuity {
    CalendarYear,
    TwelveMonths,
}

#[derive(Clone, Copy, ValueEnum)]
enum UpdateMinimum {
    PerMonth,
    PerOrder,
}

#[derive(Clone, Copy, ValueEnum)]
enum PercentageOf {
    /// The exact base fee, as the bands give it.
    ExactBase,
    /// The base fee after rounding.
    RoundedBase,
}

#[derive(clap::Args)]
struct EngineArgs {
    /// Rounding of each charged line, minimums compared after rounding.
    ///
    /// The default, koruna-half-up (whole crowns, half up), is how ČÚZK quotes:
    /// its 2024 answer under zákon 106/1999 Sb. ("Nákup dat z informačního
    /// systému katastru nemovitostí") prices okres Brno-město, 443 772 MJ, at
    /// 479 018 Kč with JPV and 166 132 Kč without (exactly 479 017.60 and
    /// 166 131.60 Kč). Others: haler-half-up, haler-half-even, haler-down,
    /// haler-up, koruna-half-even, koruna-down, koruna-up.
    #[arg(long, default_value = "koruna-half-up", verbatim_doc_comment)]
    rounding: RoundingPolicy,
    /// When the annual continuity of purchases counts as broken.
    #[arg(long, value_enum, default_value = "calendar-year")]
    continuity: Continuity,
    /// Whether the 100 Kč update minimum applies per month of change data or per order.
    #[arg(long, value_enum, default_value = "per-month")]
    update_minimum: UpdateMinimum,
    /// What the 3 % and 20 % of updates are taken of (no source decides; they differ by 1 Kč
    /// for about 0.8 % of scopes at 3 %).
    #[arg(long, value_enum, default_value = "exact-base")]
    percentage_of: PercentageOf,
}

impl EngineArgs {
    fn engine(&self) -> FeeEngine {
        FeeEngine {
            rounding: self.rounding,
            continuity: match self.continuity {
                Continuity::CalendarYear => ContinuityRule::CalendarYear,
                Continuity::TwelveMonths => ContinuityRule::TwelveMonths,
            },
            update_minimum: match self.update_minimum {
                UpdateMinimum::PerMonth => UpdateMinimumScope::PerMonth,
                UpdateMinimum::PerOrder => UpdateMinimumScope::PerOrder,
            },
            percentage_base: match self.percentage_of {
                PercentageOf::ExactBase => PercentageBase::ExactBaseFee,
                PercentageOf::RoundedBase => PercentageBase::RoundedBaseFee,
            },
            ..FeeEngine::default()
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Count MJ (parcels KN + parcels ZE + LV) in VFK files or distributor CSV files.
    Count {
        /// VFK files (start with `&H`) or distributor CSV files (k.ú., parcel, LV).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Count only these k.ú. codes (repeatable); default all.
        #[arg(long = "ku")]
        areas: Vec<u32>,
        /// Which VFK rows count as MJ.
        #[arg(long, value_enum, default_value = "all-rows")]
        policy: Policy,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Base fee for a number of MJ, with the price of a first purchase and of updates.
    Price {
        /// Number of MJ.
        #[arg(long)]
        mj: u64,
        /// SPI with JPV (items 6002/6004/6006).
        #[arg(long)]
        jpv: bool,
        /// The order date (YYYY-MM-DD or d.m.yyyy); it selects the rule set in force. Default: today.
        #[arg(long, value_parser = parse_date_arg)]
        on: Option<NaiveDate>,
        #[command(flatten)]
        engine: EngineArgs,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// List the known rule sets with every rule, its value, its source and the date it applies from.
    Rules {
        /// Only the rule set in force on this date (YYYY-MM-DD or d.m.yyyy).
        #[arg(long, value_parser = parse_date_arg)]
        on: Option<NaiveDate>,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Price the next order of a customer's scope given the order history.
    ///
    /// The rule set in force on the order's ordered_on date prices it.
    Quote {
        /// Order history CSV (customer, scope, ordered_on, kind, valid_from, valid_to, mj, jpv).
        #[arg(long)]
        history: PathBuf,
        /// The order, e.g. `customer=ACME,scope=jama,ordered_on=2019-06-05,kind=change,valid_from=2019-04-01,valid_to=2019-06-01,mj=1100`.
        #[arg(long)]
        order: String,
        #[command(flatten)]
        engine: EngineArgs,
        /// Also write the invoice as a standard CSV (and its CSVW metadata beside it).
        #[arg(long)]
        invoice: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
}

/// The exit codes, in `--help` and the man page.
fn exit_codes() -> String {
    opendata_cli::exit_codes_help(&[
        (0, "success"),
        (
            1,
            "the input is wrong or cannot be read: the message names the file and line, or the order, and the rule broken",
        ),
        (2, "usage error (unknown flag, missing value)"),
    ])
}

fn main() -> ExitCode {
    if let Some(code) = opendata_cli::generate_docs_if_asked(Cli::command) {
        return code;
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let broken_pipe = err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().map(std::io::Error::kind)
                    == Some(std::io::ErrorKind::BrokenPipe)
                    || c.downcast_ref::<serde_json::Error>()
                        .and_then(serde_json::Error::io_error_kind)
                        == Some(std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("{}", opendata_cli::error_report("vfk-fees", err.as_ref()));
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Count {
            files,
            areas,
            policy,
            format,
        } => count(&files, &areas, policy, format),
        Command::Price {
            mj,
            jpv,
            on,
            engine,
            format,
        } => price(mj, jpv, on.unwrap_or_else(today), &engine.engine(), format),
        Command::Rules { on, format } => rules(on, format),
        Command::Quote {
            history,
            order,
            engine,
            invoice,
            format,
        } => quote(
            &history,
            &order,
            &engine.engine(),
            invoice.as_deref(),
            format,
        ),
    }
}

fn count(files: &[PathBuf], areas: &[u32], policy: Policy, format: Format) -> Result<()> {
    let policy = match policy {
        Policy::AllRows => MjRowPolicy::AllRows,
        Policy::CurrentOnly => MjRowPolicy::CurrentOnly,
    };
    let selection = (!areas.is_empty()).then_some(areas);
    let delivery = count_files(files, policy, selection)?;
    let mut out = std::io::stdout().lock();
    match format {
        Format::Human => {
            for file in &delivery.files {
                print_file_count(&mut out, file)?;
            }
            if files.len() > 1 {
                writeln!(out, "total MJ: {}", delivery.total_mj)?;
                if !delivery.areas_in_several_files.is_empty() {
                    writeln!(
                        out,
                        "note: k.ú. {:?} appear in more than one file; the total counts them once per file",
                        delivery.areas_in_several_files
                    )?;
                }
            }
        }
        Format::Json => {
            let outputs: Vec<serde_json::Value> = delivery
                .files
                .iter()
                .map(|file| {
                    let name = file.path.display().to_string();
                    match &file.count {
                        FileCount::Vfk { summary } => serde_json::json!({
                            "file": name, "type": "vfk", "mj": summary.mj(), "summary": summary,
                        }),
                        FileCount::DistributorCsv { rows, selection } => serde_json::json!({
                            "file": name, "type": "distributor_csv", "rows": rows,
                            "mj": selection.mj, "areas": selection.areas,
                        }),
                    }
                })
                .collect();
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({
                    "files": outputs,
                    "total_mj": delivery.total_mj,
                    "areas_in_several_files": delivery.areas_in_several_files,
                }),
            )?;
            writeln!(out)?;
        }
    }
    Ok(())
}

fn print_file_count(out: &mut impl Write, file: &CountedFile) -> Result<()> {
    match &file.count {
        FileCount::Vfk { summary } => print_vfk_summary(out, &file.path, summary),
        FileCount::DistributorCsv { rows, selection } => {
            writeln!(out, "{}: distributor CSV, {rows} rows", file.path.display())?;
            for a in &selection.areas {
                writeln!(
                    out,
                    "  k.ú. {}: {} parcels + {} LV = {} MJ",
                    a.code, a.parcels, a.lv, a.mj
                )?;
            }
            writeln!(out, "  MJ: {}", selection.mj)?;
            Ok(())
        }
    }
}

fn print_vfk_summary(out: &mut impl Write, path: &Path, s: &VfkSummary) -> Result<()> {
    let h = &s.header;
    let kind = match s.data_kind() {
        Some(cuzk_vfk::DataKind::State) => "state data (stavová)",
        Some(cuzk_vfk::DataKind::Change) => "change data (změnová)",
        None => "unknown kind",
    };
    writeln!(
        out,
        "{}: VFK {}, {kind}",
        path.display(),
        h.version.as_deref().unwrap_or("?")
    )?;
    let fmt_dt = |d: Option<chrono::NaiveDateTime>| d.map_or("?".to_owned(), |d| d.to_string());
    writeln!(
        out,
        "  validity: {} – {}",
        fmt_dt(h.valid_from),
        fmt_dt(h.valid_to)
    )?;
    writeln!(
        out,
        "  groups: {} ({})",
        h.groups.join(" "),
        if s.has_jpv {
            "SPI with JPV"
        } else {
            "SPI without JPV"
        }
    )?;
    writeln!(out, "  rows: PAR {}, TEL {}", s.par_rows, s.tel_rows)?;
    for a in s.areas.values() {
        writeln!(
            out,
            "  k.ú. {}{}: {} parcels KN + {} parcels ZE + {} LV = {} MJ{}",
            a.code,
            a.name
                .as_deref()
                .map(|n| format!(" {n}"))
                .unwrap_or_default(),
            a.parcels_kn,
            a.parcels_ze,
            a.lv,
            a.mj(),
            if a.excluded_rows > 0 {
                format!(" ({} rows excluded)", a.excluded_rows)
            } else {
                String::new()
            }
        )?;
    }
    writeln!(out, "  MJ: {}", s.mj())?;
    for note in &s.notes {
        writeln!(out, "  note: {note}")?;
    }
    Ok(())
}

/// An amount in Kč: whole crowns as they are, other amounts with at least two decimals.
fn czk(d: Decimal) -> String {
    if d.scale() == 0 {
        return format!("{d} Kč");
    }
    let mut n = d.normalize();
    if n.scale() < 2 {
        n.rescale(2);
    }
    format!("{n} Kč")
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn parse_date_arg(s: &str) -> Result<NaiveDate, String> {
    cuzk_vfk::fees::quote::parse_date(s)
}

fn price(mj: u64, jpv: bool, on: NaiveDate, engine: &FeeEngine, format: Format) -> Result<()> {
    let rules = engine.rules_on(on)?;
    let charge =
        |rule, delivery: &str| engine.charge(rules, rule, mj, jpv, delivery.to_owned(), None);
    let first = charge(PricingRule::FirstPurchase, "prvotní odběr");
    let year = charge(
        PricingRule::FirstUpdateInNewYear,
        "první aktualizace v roce",
    );
    let update = charge(PricingRule::UpdateSameYear, "aktualizace / měsíc změn");
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({
                    "mj": mj, "jpv": jpv, "on": on, "rule_set": rules.reference(),
                    "base_fee": first.base_fee, "rounding": engine.rounding.name(),
                    "first_purchase": first, "first_update_in_new_year": year, "update_same_year": update,
                }),
            )?;
            writeln!(out)?;
        }
        Format::Human => {
            writeln!(
                out,
                "{mj} MJ, SPI {} JPV, ordered on {on}",
                if jpv { "with" } else { "without" }
            )?;
            print_rule_set(&mut out, &rules.reference())?;
            for b in &first.base_fee.bands {
                writeln!(
                    out,
                    "  item {}: {} MJ × {} Kč = {}",
                    b.band.item,
                    b.mj,
                    b.band.rate_czk,
                    czk(b.amount_czk)
                )?;
            }
            writeln!(out, "  base fee: {}", czk(first.base_fee.amount_czk))?;
            for line in [&first, &year, &update] {
                print_line(&mut out, line)?;
            }
            print_rounding(&mut out, engine.rounding)?;
        }
    }
    Ok(())
}

fn print_rule_set(out: &mut impl Write, set: &RuleSetRef) -> Result<()> {
    writeln!(
        out,
        "  rule set: {} (in force from {}; {})",
        set.title, set.in_force_from, set.id
    )?;
    Ok(())
}

fn rules(on: Option<NaiveDate>, format: Format) -> Result<()> {
    let sets = RuleSets::known();
    let selected: Vec<&RuleSet> = match on {
        Some(date) => vec![sets.on(date)?],
        None => sets.iter().collect(),
    };
    let mut out = std::io::stdout().lock();
    if let Format::Json = format {
        let json: Vec<_> = selected
            .iter()
            .map(|set| serde_json::json!({ "in_force_until": sets.in_force_until(set), "rule_set": set }))
            .collect();
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
        return Ok(());
    }
    for set in selected {
        let until = sets.in_force_until(set).map_or_else(
            || "until further notice".to_owned(),
            |d| format!("until {d}"),
        );
        writeln!(out, "{} — {}", set.id, set.title)?;
        writeln!(out, "  in force from {} {until}", set.in_force_from)?;
        writeln!(
            out,
            "  enacted by: {} <{}>",
            set.enacted_by.citation, set.enacted_by.url
        )?;
        writeln!(out, "  note: {}", set.note)?;
        for rule in set.entries() {
            writeln!(out, "  {}: {}", rule.name, rule.value)?;
            writeln!(
                out,
                "      from {}; {} <{}>",
                rule.in_force_from, rule.source.citation, rule.source.url
            )?;
            if let Some(note) = rule.note {
                writeln!(out, "      note: {note}")?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

fn print_rounding(out: &mut impl Write, rounding: RoundingPolicy) -> Result<()> {
    if rounding == RoundingPolicy::default() {
        writeln!(out, "  rounding: {rounding}, as ČÚZK quotes")?;
        writeln!(out, "      source: {ROUNDING_SOURCE}")?;
    } else {
        writeln!(
            out,
            "  rounding: {rounding} (chosen with --rounding; ČÚZK quotes in whole crowns, half up)"
        )?;
    }
    Ok(())
}

fn print_line(out: &mut impl Write, line: &QuoteLine) -> Result<()> {
    let rounded = if line.rounded_czk == line.computed_czk {
        String::new()
    } else {
        format!(", rounded {}", czk(line.rounded_czk))
    };
    let minimum = line
        .minimum_applied_czk
        .map(|m| format!(", raised to the minimum {}", czk(m)))
        .unwrap_or_default();
    let bands = line
        .base_fee
        .bands
        .iter()
        .map(|b| b.band.item.to_string())
        .collect::<Vec<_>>()
        .join("+");
    writeln!(
        out,
        "  {}: {} % of {} (items {bands}) = {}{rounded}{minimum} → {}",
        line.delivery,
        line.percentage,
        czk(line.base_fee.amount_czk),
        czk(line.computed_czk),
        czk(line.amount_czk)
    )?;
    writeln!(out, "      rule: {}", line.rule_source)?;
    if line.minimum_applied_czk.is_some() {
        writeln!(out, "      minimum: {}", line.minimum_source)?;
    }
    Ok(())
}

fn quote(
    history: &Path,
    order: &str,
    engine: &FeeEngine,
    invoice: Option<&Path>,
    format: Format,
) -> Result<()> {
    let name = history.display().to_string();
    let file = File::open(history).with_context(|| format!("{name}: cannot open"))?;
    let history = read_history(BufReader::new(file), &name)?;
    let order = parse_order_spec(order)?;
    let quote: Quote = engine
        .quote(&history, &order)
        .map_err(anyhow::Error::new)
        .with_context(|| format!("quote against history {name}"))?;
    if let Some(path) = invoice {
        let file =
            File::create(path).with_context(|| format!("{}: cannot create", path.display()))?;
        write_invoice_csv(&quote, file).with_context(|| path.display().to_string())?;
        let file_name = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        invoice_metadata(&file_name, &quote)?
            .write_beside(path)
            .with_context(|| format!("{}: cannot write CSVW metadata", path.display()))?;
    }
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &quote)?;
            writeln!(out)?;
        }
        Format::Human => {
            writeln!(
                out,
                "{} / {}: order of {}, {} MJ, SPI {} JPV ({} earlier orders of this scope)",
                quote.order.customer,
                quote.order.scope,
                quote.order.ordered_on,
                quote.mj,
                if quote.jpv { "with" } else { "without" },
                quote.history_orders
            )?;
            print_rule_set(&mut out, &quote.rule_set)?;
            for line in &quote.lines {
                print_line(&mut out, line)?;
            }
            if let Some(a) = quote.order_minimum_adjustment_czk {
                writeln!(out, "  raised to the update minimum per order: +{}", czk(a))?;
            }
            writeln!(out, "  total: {}", czk(quote.total_czk))?;
            print_rounding(&mut out, engine.rounding)?;
            for n in &quote.notices {
                writeln!(out, "  notice: {n}")?;
            }
        }
    }
    Ok(())
}
