//! `unified-blocklist`: builds, publishes and serves the Czech unified list of blocked websites.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use anyhow::Context as _;
use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use unified_blocklist::check;
use unified_blocklist::config::{Backend, Config};
use unified_blocklist::manual::{AuditRecord, ManualChange, ManualStore, operator};
use unified_blocklist::run::{RunOptions, run};
use unified_blocklist::serve::ServeOptions;
use unified_blocklist::state::{Health, StateDir};
use unified_blocklist::update::{UpdateOptions, update};

/// The exit codes, in `--help` and the man page's EXIT STATUS section.
fn exit_codes() -> String {
    opendata_cli::exit_codes_help_with(
        "Exit codes of `update`:",
        &[
            (
                0,
                "published, or nothing changed, and every source is current",
            ),
            (
                3,
                "published, or nothing changed, but one or more sources are stale (their last \
                 good copy is in the list) or missing (no rows), each logged with its reason; \
                 or the post-publication command failed (logged; the next update runs it again)",
            ),
            (
                4,
                "nothing could be published: no catalogue source is usable (e.g. the catalogue \
                 is unreachable on a first run)",
            ),
            (6, "local failure (state directory, publication, files)"),
            (2, "bad usage or configuration"),
        ],
        "`verify` exits 0 when the rebuild is byte-identical, 1 on any difference, 6 when the \
         publication cannot be read. `manual` exits 0, 1 when the change is refused, 6 on local \
         failure. `check-resolver` exits 0 when every active entry is blocked, 1 when some are \
         not.",
    )
}

#[derive(Parser, Debug)]
#[command(
    name = "unified-blocklist",
    version,
    about = "Builds, publishes and serves the Czech unified list of blocked websites",
    after_help = exit_codes()
)]
struct Cli {
    /// Configuration file (TOML); flags override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check the catalogue, rebuild and publish the list if any local list changed.
    Update {
        /// `embedded` (the bundled snapshot served in-process) or NKOD's base URL.
        #[arg(long)]
        nkod: Option<String>,
        /// Catalogue API.
        #[arg(long, value_enum)]
        backend: Option<BackendArg>,
        /// Output path (a link to the current publication).
        #[arg(long)]
        out: Option<PathBuf>,
        /// State directory.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Download everything and publish even if nothing changed.
        #[arg(long)]
        force: bool,
        /// The validity date (YYYY-MM-DD) instead of today in Prague.
        #[arg(long)]
        valid_as_of: Option<chrono::NaiveDate>,
        /// Accept a new version of a source once despite a guard, as `SOURCE:GUARD`
        /// (GUARD: shrink, empty-source, unrecognised-format); repeatable.
        #[arg(long, value_name = "SOURCE:GUARD")]
        allow: Vec<String>,
    },
    /// Rebuild an archived publication from its archived sources and compare every output
    /// byte for byte.
    Verify {
        /// The archived day (YYYY-MM-DD); the latest when omitted.
        day: Option<chrono::NaiveDate>,
        /// Check every archived day.
        #[arg(long, conflicts_with = "day")]
        all: bool,
        /// Output path (a link to the current publication).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The hand-kept entries (MZV sanctions on MZV's written notice), with an audit trail.
    Manual {
        /// State directory.
        #[arg(long, global = true)]
        state: Option<PathBuf>,
        /// Who makes the change (default: the login name).
        #[arg(long, global = true)]
        by: Option<String>,
        #[command(subcommand)]
        command: ManualCommand,
    },
    /// Serve the publication over HTTP.
    Serve {
        /// Output path to serve.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Address to listen on.
        #[arg(long)]
        listen: Option<String>,
    },
    /// Check that a resolver blocks every active entry of the publication as the RPZ policy
    /// says (exit 0 only when it does, 1 when it does not).
    CheckResolver {
        /// The resolver: ADDR or ADDR:PORT (IPv6 as [ADDR]:PORT); port 53 by default.
        #[arg(long)]
        resolver: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: FormatArg,
        /// Queries in flight at most.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Queries started per second at most.
        #[arg(long, default_value_t = 200)]
        rate: u32,
        /// Seconds to wait for one answer.
        #[arg(long, default_value_t = 3.0)]
        timeout: f64,
        /// Removed entries to ask about (they must not be blocked any more).
        #[arg(long, default_value_t = 20)]
        removed: usize,
        /// The publication to check against.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Is this address blocked — since when, by whom? (from the publication's lookup index)
    Lookup {
        /// The address (a domain or URL, as written anywhere).
        address: String,
        /// The date to ask about (YYYY-MM-DD); the latest publication's date by default.
        #[arg(long)]
        at: Option<chrono::NaiveDate>,
        /// Print the answer as JSON (the same as `GET /api/lookup`).
        #[arg(long)]
        json: bool,
        /// The publication to read.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Serve, and update daily at the configured time (22:00 Europe/Prague by default).
    Run {
        /// Output path.
        #[arg(long)]
        out: Option<PathBuf>,
        /// State directory.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Address to listen on.
        #[arg(long)]
        listen: Option<String>,
        /// `embedded` or NKOD's base URL.
        #[arg(long)]
        nkod: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum ManualCommand {
    /// Add a website on an authority's written notice.
    Add {
        /// The address as notified.
        address: String,
        /// `DATUM_ZAPISU` (YYYY-MM-DD).
        #[arg(long)]
        date: chrono::NaiveDate,
        /// `ZDROJ`: the authority keeping the list.
        #[arg(long, default_value = "Ministerstvo zahraničních věcí")]
        source: String,
        /// `NAZEV_DATOVE_SADY`: the list's name.
        #[arg(long, default_value = "Vnitrostátní sankční seznam")]
        dataset: String,
        /// The legal basis.
        #[arg(long)]
        legal_basis: Option<String>,
        /// The notice (e.g. "MZV č. j. 123/2024, ze dne 27. 3. 2024").
        #[arg(long)]
        reference: String,
    },
    /// Remove a website (it stays in the list with its removal date).
    Remove {
        /// The address.
        address: String,
        /// `DATUM_VYMAZU` (YYYY-MM-DD).
        #[arg(long)]
        date: chrono::NaiveDate,
        /// The notice.
        #[arg(long)]
        reference: String,
    },
    /// List the entries (or, with --log, every change with who, when and the reference).
    List {
        /// Print the audit trail instead.
        #[arg(long)]
        log: bool,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum FormatArg {
    Human,
    Json,
    Csv,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum BackendArg {
    Sparql,
    Ldf,
    Graphql,
}

fn main() -> ExitCode {
    if let Some(code) = opendata_cli::generate_docs_if_asked(Cli::command) {
        return code;
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                // The embedded catalogue's own start-up line would be noise in an update log.
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,nkod_server=warn")),
        )
        .init();
    let cli = Cli::parse();
    let config = match &cli.config {
        Some(path) => match Config::load(path) {
            Ok(config) => config,
            Err(e) => {
                report(&e);
                return ExitCode::from(2);
            }
        },
        None => Config::default(),
    };
    match cli.command {
        Command::Update {
            nkod,
            backend,
            out,
            state,
            force,
            valid_as_of,
            allow,
        } => {
            let mut config = config;
            if let Some(nkod) = nkod {
                config.nkod = nkod;
            }
            if let Some(backend) = backend {
                config.backend = match backend {
                    BackendArg::Sparql => Backend::Sparql,
                    BackendArg::Ldf => Backend::Ldf,
                    BackendArg::Graphql => Backend::Graphql,
                };
            }
            if let Some(out) = out {
                config.out = out;
            }
            if let Some(state) = state {
                config.state = state;
            }
            for item in &allow {
                let parsed = item.split_once(':').and_then(|(id, guard)| {
                    let kind =
                        serde_json::from_value(serde_json::Value::String(guard.to_owned())).ok()?;
                    Some((id.to_owned(), kind))
                });
                let Some((id, kind)) = parsed else {
                    eprintln!(
                        "unified-blocklist: --allow {item:?}: expected SOURCE:GUARD, GUARD one of shrink, empty-source, unrecognised-format"
                    );
                    return ExitCode::from(2);
                };
                let Some(spec) = config.sources.iter_mut().find(|s| s.id == id) else {
                    eprintln!(
                        "unified-blocklist: --allow {item:?}: no source {id:?} is configured"
                    );
                    return ExitCode::from(2);
                };
                spec.allow.push(kind);
            }
            let mut options = UpdateOptions::from_config(&config);
            options.force = force;
            options.valid_as_of = valid_as_of;
            run_update(&options)
        }
        Command::Verify { day, all, out } => {
            let out = out.unwrap_or(config.out.clone());
            run_verify(&out, day, all)
        }
        Command::Manual { state, by, command } => {
            let state = state.unwrap_or(config.state.clone());
            run_manual(&state, by.as_deref(), command)
        }
        Command::Serve { out, listen } => {
            let out = out.unwrap_or(config.out.clone());
            let listen = listen.unwrap_or(config.listen.clone());
            let mut options = match ServeOptions::new(out).with_http(&config.http) {
                Ok(options) => options,
                Err(e) => {
                    eprintln!("unified-blocklist: {e}");
                    return ExitCode::from(2);
                }
            };
            options.max_age = std::time::Duration::from_secs(config.max_age_hours * 3600);
            exit(serve(&listen, options))
        }
        Command::CheckResolver {
            resolver,
            format,
            concurrency,
            rate,
            timeout,
            removed,
            out,
        } => {
            let resolver = match check::parse_resolver(&resolver) {
                Ok(address) => address,
                Err(e) => {
                    report(&e);
                    return ExitCode::from(2);
                }
            };
            if !(timeout > 0.0 && timeout.is_finite()) {
                eprintln!("unified-blocklist: --timeout must be a positive number of seconds");
                return ExitCode::from(2);
            }
            let mut options = check::CheckOptions::new(resolver);
            options.concurrency = concurrency;
            options.rate = rate;
            options.timeout = std::time::Duration::from_secs_f64(timeout);
            options.removed_sample = removed;
            let format = match format {
                FormatArg::Human => check::ReportFormat::Human,
                FormatArg::Json => check::ReportFormat::Json,
                FormatArg::Csv => check::ReportFormat::Csv,
            };
            check_resolver(&config, out.as_deref(), &options, format)
        }
        Command::Lookup {
            address,
            at,
            json,
            out,
        } => lookup(out.as_deref().unwrap_or(&config.out), &address, at, json),
        Command::Run {
            out,
            state,
            listen,
            nkod,
        } => {
            let mut config = config;
            if let Some(out) = out {
                config.out = out;
            }
            if let Some(state) = state {
                config.state = state;
            }
            if let Some(listen) = listen {
                config.listen = listen;
            }
            if let Some(nkod) = nkod {
                config.nkod = nkod;
            }
            exit(run(RunOptions::from_config(&config)).map_err(anyhow::Error::from))
        }
    }
}

fn check_resolver(
    config: &Config,
    out: Option<&std::path::Path>,
    options: &check::CheckOptions,
    format: check::ReportFormat,
) -> ExitCode {
    use std::io::IsTerminal as _;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Prague)
        .date_naive();
    let list = match check::published_list(out.unwrap_or(&config.out), today) {
        Ok(list) => list,
        Err(e) => {
            report(&e);
            return ExitCode::from(6);
        }
    };
    let rpz = config.rpz.options(&config.rpz_origin, 0);
    let terminal = std::io::stderr().is_terminal();
    let progress = |done: usize, total: usize| {
        if terminal {
            eprint!("\r{done}/{total} queries");
            if done == total {
                eprintln!();
            }
        }
    };
    match check::check_resolver(&list, &rpz, options, &progress) {
        Ok(report) => {
            print!("{}", check::render(&report, format));
            if report.all_blocked() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e @ (check::CheckError::Limits | check::CheckError::Rpz(_))) => {
            report(&e);
            ExitCode::from(2)
        }
        Err(e) => {
            report(&e);
            ExitCode::from(6)
        }
    }
}

fn lookup(
    out: &std::path::Path,
    address: &str,
    at: Option<chrono::NaiveDate>,
    json: bool,
) -> ExitCode {
    let index = match unified_blocklist::lookup::LookupIndex::load(out) {
        Ok(index) => index,
        Err(e) => {
            report(&e);
            return ExitCode::from(6);
        }
    };
    match index.lookup(address, at) {
        Ok(answer) if json => {
            print!("{}", answer.to_json());
            ExitCode::SUCCESS
        }
        Ok(answer) => {
            println!("{}", answer.verdict());
            for m in &answer.matches {
                let r = &m.record;
                println!(
                    "  {} ({:?}): {} – {}, zapsáno {}{}{}",
                    r.url,
                    m.kind,
                    r.authority,
                    r.dataset,
                    r.entered,
                    r.removed
                        .map(|d| format!(", vymazáno {d}"))
                        .unwrap_or_default(),
                    if m.in_force { "" } else { " (k datu neplatí)" }
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            report(&e);
            ExitCode::from(2)
        }
    }
}

fn exit(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report(e.as_ref());
            ExitCode::from(6)
        }
    }
}

fn serve(listen: &str, options: ServeOptions) -> anyhow::Result<()> {
    let addrs = unified_blocklist::serve::listen_addresses(listen)
        .with_context(|| format!("cannot listen on {listen}"))?;
    let out = options.out.clone();
    let server = unified_blocklist::serve::start(&addrs, options)
        .with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!(address = %server.addr(), out = %out.display(), "serving");
    // SIGTERM / SIGINT: requests in progress finish within the shutdown deadline.
    server
        .run_until_signal()
        .context("cannot install the signal handlers")
}

fn run_update(options: &UpdateOptions) -> ExitCode {
    match update(options) {
        Ok(report) => {
            let requests = report.catalogue_usage.requests + report.download_usage.requests;
            for source in &report.sources {
                for note in &source.notes {
                    tracing::info!(source = %source.id, "{note}");
                }
                for diagnostic in source.diagnostics.iter().take(20) {
                    tracing::warn!(source = %source.id, "{diagnostic}");
                }
                if source.diagnostics.len() > 20 {
                    tracing::warn!(
                        source = %source.id,
                        "… and {} more diagnostics",
                        source.diagnostics.len() - 20
                    );
                }
                if let Some(failure) = &source.failure {
                    let what = match source.health {
                        Health::Stale => format!(
                            "stale since {}, its last good copy ({} entries, last confirmed {}) stays in the list",
                            source.since.format("%Y-%m-%d %H:%M UTC"),
                            source.entries(),
                            source.last_success.map_or_else(
                                || "never".to_owned(),
                                |t| t.format("%Y-%m-%d").to_string()
                            )
                        ),
                        _ => {
                            "missing: it has no last good copy, so none of its rows are in the list"
                                .to_owned()
                        }
                    };
                    tracing::warn!(source = %source.id, "{what}; {failure}");
                }
                if source.alarm {
                    tracing::error!(
                        source = %source.id,
                        "staleness alarm: its last good copy is older than {} days",
                        options.max_source_age.as_secs() / 86_400
                    );
                }
            }
            for candidate in &report.candidates {
                tracing::warn!(
                    "candidate list not configured (not included): {:?} by {} ({}; {})",
                    candidate.title,
                    candidate
                        .publisher_name
                        .as_deref()
                        .unwrap_or("unknown publisher"),
                    candidate.dataset_iri,
                    candidate.reasons.join(", ")
                );
            }
            let stale: Vec<&str> = report
                .sources
                .iter()
                .filter(|s| s.health != Health::Current)
                .map(|s| s.id.as_str())
                .collect();
            let health = if stale.is_empty() {
                "every source current".to_owned()
            } else {
                format!("stale or missing: {}", stale.join(", "))
            };
            match (&report.published, report.rows) {
                (Some(id), Some((active, removed))) => {
                    let changed: Vec<&str> = report
                        .sources
                        .iter()
                        .filter(|s| s.changed())
                        .map(|s| s.id.as_str())
                        .collect();
                    tracing::info!(
                        "published {id} into {}: {active} active and {removed} removed rows, {} changes; changed sources: {}; {health}; {requests} HTTP requests; {:.0?}",
                        options.out.display(),
                        report.changes,
                        if changed.is_empty() {
                            "none".to_owned()
                        } else {
                            changed.join(", ")
                        },
                        report.elapsed
                    );
                }
                _ => tracing::info!(
                    "no change in any source; publication in {} kept; {health} ({requests} HTTP requests: {} catalogue, {} downloads; {:.0?})",
                    options.out.display(),
                    report.catalogue_usage.requests,
                    report.download_usage.requests,
                    report.elapsed
                ),
            }
            ExitCode::from(report.exit_code())
        }
        Err(e) => {
            tracing::error!("update failed, previous publication kept: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn run_verify(out: &std::path::Path, day: Option<chrono::NaiveDate>, all: bool) -> ExitCode {
    let days = if all {
        match unified_blocklist::verify::archived_days(out) {
            Ok(days) => days.into_iter().map(Some).collect(),
            Err(e) => {
                report(&e);
                return ExitCode::from(6);
            }
        }
    } else {
        vec![day]
    };
    let mut identical = true;
    for day in days {
        match unified_blocklist::verify::verify(out, day) {
            Ok(report) => {
                if report.identical() {
                    println!(
                        "{} ({}): {} files rebuilt byte for byte",
                        report.day,
                        report.publication,
                        report.checked.len()
                    );
                } else {
                    identical = false;
                    println!("{} ({}): DIFFERS", report.day, report.publication);
                    for difference in &report.differences {
                        println!("  {difference}");
                    }
                }
            }
            Err(e) => {
                report(&e);
                return ExitCode::from(6);
            }
        }
    }
    if identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn run_manual(state: &std::path::Path, by: Option<&str>, command: ManualCommand) -> ExitCode {
    let state_dir = StateDir::new(state);
    // The same lock as `update`: a change never interleaves with a run reading the store.
    let _lock = match state_dir.lock() {
        Ok(lock) => lock,
        Err(e) => {
            report(&e);
            return ExitCode::from(6);
        }
    };
    let store = ManualStore::new(state);
    let change = match command {
        ManualCommand::List { log } => {
            return match (log, store.audit(), store.entries()) {
                (true, Ok(records), _) => {
                    for r in records {
                        println!("{}", serde_json::to_string(&r).unwrap_or_default());
                    }
                    ExitCode::SUCCESS
                }
                (false, _, Ok(entries)) => {
                    println!("URL,DATUM_ZAPISU,DATUM_VYMAZU,ZDROJ,NAZEV_DATOVE_SADY,REFERENCE");
                    for e in entries {
                        println!(
                            "{},{},{},{},{},{}",
                            e.address,
                            e.entered,
                            e.removed.map(|d| d.to_string()).unwrap_or_default(),
                            e.source,
                            e.dataset,
                            e.removed_reference.unwrap_or(e.added_reference)
                        );
                    }
                    ExitCode::SUCCESS
                }
                (_, Err(e), _) | (_, _, Err(e)) => {
                    report(&e);
                    ExitCode::from(6)
                }
            };
        }
        ManualCommand::Add {
            address,
            date,
            source,
            dataset,
            legal_basis,
            reference,
        } => (
            ManualChange::Add {
                address,
                date,
                source,
                dataset,
                legal_basis,
            },
            reference,
        ),
        ManualCommand::Remove {
            address,
            date,
            reference,
        } => (ManualChange::Remove { address, date }, reference),
    };
    let record = AuditRecord {
        at: chrono::Utc::now(),
        by: operator(by),
        change: change.0,
        reference: change.1,
    };
    match store.record(&record) {
        Ok(entry) => {
            println!(
                "recorded: {} ({} {}{}); the next update publishes it",
                entry.address,
                entry.source,
                entry.entered,
                entry
                    .removed
                    .map(|d| format!(", removed {d}"))
                    .unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(unified_blocklist::manual::ManualError::Refused(message)) => {
            eprintln!("refused: {message}");
            ExitCode::from(1)
        }
        Err(e) => {
            report(&e);
            ExitCode::from(6)
        }
    }
}

/// Prints an error with each cause once (`unified-blocklist: message: cause`).
fn report(error: &(dyn std::error::Error + 'static)) {
    eprintln!("{}", opendata_cli::error_report("unified-blocklist", error));
}
