//! `opendata-csv`: check, describe and convert CSV files for the Czech open-data standard.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use opendata_csv::{SourceFormat, Violation, check_file};

mod cli_csvw;

/// Writer, CSVW metadata and validator for the Czech open-data CSV standard.
#[derive(Debug, Parser)]
#[command(name = "opendata-csv", version, about, after_help = exit_codes())]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Subcommands. Each variant holds its own `Args` struct and has a `run_*` function, so new
/// subcommands (e.g. CSVW `validate`, `csv2json`, `csv2rdf`) are added as one variant, one arm.
#[derive(Debug, Subcommand)]
enum Command {
    /// Check a CSV file against the standard and its CSVW metadata.
    /// Exit code 0: no violation; 1: violations found; 2: usage or I/O error.
    Check(CheckArgs),
    /// Infer a CSVW metadata skeleton (names, titles, datatypes, required) from a CSV file.
    Describe(DescribeArgs),
    /// Convert a non-standard CSV (other encoding, delimiter, date format) into a standard one
    /// plus its `<OUT>-metadata.json`.
    Convert(ConvertArgs),
    /// Validate a CSV file or CSVW metadata by the W3C CSV on the Web rules (datatypes, formats,
    /// keys). Exit code 0: valid; 1: errors found; 2: I/O error.
    Validate(cli_csvw::ValidateArgs),
    /// Convert CSV (+ CSVW metadata) to JSON (W3C csv2json, standard or minimal).
    Csv2json(cli_csvw::Csv2JsonArgs),
    /// Convert CSV (+ CSVW metadata) to RDF (W3C csv2rdf), Turtle or N-Triples.
    Csv2rdf(cli_csvw::Csv2RdfArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutputFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The CSV file.
    file: PathBuf,
    /// CSVW metadata; default: `<FILE>-metadata.json`, then `csv-metadata.json` beside it.
    #[arg(long)]
    metadata: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: OutputFormat,
    /// Print at most this many violations (all are counted in the summary).
    #[arg(long, default_value_t = 1000)]
    limit: u64,
    /// Check by the full CSVW model (strict W3C validation: datatypes and formats, keys,
    /// header against titles) with the Czech standard as a profile on top; every finding
    /// says which of the two it breaks. Exit 1 only for errors (warnings allowed).
    #[arg(long)]
    profile: bool,
}

#[derive(Debug, Args)]
struct SourceArgs {
    /// Encoding of the input (any WHATWG label: utf-8, windows-1250, iso-8859-2, …).
    #[arg(long, default_value = "utf-8")]
    encoding: String,
    /// Field delimiter of the input (one ASCII character; `\t` for tab).
    #[arg(long, default_value = ",")]
    delimiter: String,
    /// Date format of the input, e.g. `dd.mm.yyyy` or `d.M.yyyy`; matching values become
    /// `YYYY-MM-DD`.
    #[arg(long)]
    date_format: Option<String>,
    /// Treat `12,5` as the decimal 12.5.
    #[arg(long)]
    decimal_comma: bool,
}

#[derive(Debug, Args)]
struct DescribeArgs {
    /// The CSV file.
    file: PathBuf,
    #[command(flatten)]
    source: SourceArgs,
    /// `dc:title` of the table (default: the file name).
    #[arg(long)]
    title: Option<String>,
    /// Write the metadata here instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ConvertArgs {
    /// The non-standard input CSV.
    input: PathBuf,
    /// The standard CSV to write (`<OUTPUT>-metadata.json` is written beside it).
    output: PathBuf,
    #[command(flatten)]
    source: SourceArgs,
    /// `dc:title` of the table (default: the output file name).
    #[arg(long)]
    title: Option<String>,
    /// `dc:publisher`.
    #[arg(long)]
    publisher: Option<String>,
    /// `dc:license` (IRI).
    #[arg(long)]
    license: Option<String>,
    /// `dc:modified` ("valid as of"), YYYY-MM-DD.
    #[arg(long)]
    modified: Option<chrono::NaiveDate>,
}

/// The exit codes, in `--help` and the man page.
fn exit_codes() -> String {
    opendata_cli::exit_codes_help(&[
        (
            0,
            "success: the file conforms (check, validate) or the conversion is written",
        ),
        (
            1,
            "the file breaks the standard or the CSVW rules (the report lists every finding)",
        ),
        (
            2,
            "usage error, a file that cannot be read or written, or unusable metadata",
        ),
    ])
}

fn main() -> ExitCode {
    if let Some(code) = opendata_cli::generate_docs_if_asked(Cli::command) {
        return code;
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => run_check(&args),
        Command::Describe(args) => run_describe(&args).map(|()| ExitCode::SUCCESS),
        Command::Convert(args) => run_convert(&args).map(|()| ExitCode::SUCCESS),
        Command::Validate(args) => cli_csvw::run_validate(&args),
        Command::Csv2json(args) => cli_csvw::run_csv2json(&args),
        Command::Csv2rdf(args) => cli_csvw::run_csv2rdf(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!(
                "{}",
                opendata_cli::error_report("opendata-csv", error.as_ref())
            );
            ExitCode::from(2)
        }
    }
}

fn run_check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    if args.profile {
        let json = matches!(args.format, OutputFormat::Json);
        return cli_csvw::run_profile_check(&args.file, args.metadata.as_deref(), json, args.limit);
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut printed = 0u64;
    let mut write_error: Option<io::Error> = None;
    let json = matches!(args.format, OutputFormat::Json);
    if json {
        write!(
            out,
            "{{\"file\":{},\"violations\":[",
            json_string(&args.file)
        )?;
    }
    let mut sink = |violation: Violation| {
        if printed >= args.limit || write_error.is_some() {
            return;
        }
        let result = if json {
            let sep = if printed == 0 { "" } else { "," };
            serde_json::to_string(&violation)
                .map_err(io::Error::other)
                .and_then(|v| write!(out, "{sep}\n{v}"))
        } else {
            writeln!(out, "{}: {violation}", args.file.display())
        };
        if let Err(e) = result {
            write_error = Some(e);
        }
        printed += 1;
    };
    let report = check_file(&args.file, args.metadata.as_deref(), &mut sink)?;
    if let Some(error) = write_error {
        return Err(error).context("cannot write the report");
    }
    let summary = &report.summary;
    if json {
        let metadata = report
            .metadata
            .as_deref()
            .map_or_else(|| "null".to_owned(), json_string);
        writeln!(
            out,
            "\n],\"metadata\":{metadata},\"summary\":{},\"truncated\":{}}}",
            serde_json::to_string(summary)?,
            summary.total() > printed
        )?;
    } else {
        if summary.total() > printed {
            writeln!(
                out,
                "… {} more violations not shown (--limit {})",
                summary.total() - printed,
                args.limit
            )?;
        }
        let counts: Vec<String> = summary
            .counts
            .iter()
            .map(|(kind, n)| format!("{kind}: {n}"))
            .collect();
        writeln!(
            out,
            "{}: {} records, {} bytes, {} violations{}{}",
            args.file.display(),
            summary.records,
            summary.bytes,
            summary.total(),
            if counts.is_empty() { "" } else { " — " },
            counts.join(", ")
        )?;
    }
    out.flush()?;
    Ok(if summary.total() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn json_string(path: &Path) -> String {
    serde_json::Value::String(path.display().to_string()).to_string()
}

fn source_format(args: &SourceArgs) -> anyhow::Result<SourceFormat> {
    let mut format = SourceFormat::new(&args.encoding)?.delimiter_str(&args.delimiter)?;
    if let Some(pattern) = &args.date_format {
        format = format.date_format(pattern)?;
    }
    Ok(format.decimal_comma(args.decimal_comma))
}

fn default_title(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn run_describe(args: &DescribeArgs) -> anyhow::Result<()> {
    let format = source_format(&args.source)?;
    let schema = opendata_csv::describe_file(&args.file, &format)?;
    let url = default_title(&args.file);
    let title = args.title.clone().unwrap_or_else(|| url.clone());
    let metadata = opendata_csv::TableMetadata::new(url, title, schema);
    match &args.output {
        Some(path) => metadata
            .write_to_path(path)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => io::stdout().write_all(metadata.to_json().as_bytes())?,
    }
    Ok(())
}

fn run_convert(args: &ConvertArgs) -> anyhow::Result<()> {
    let format = source_format(&args.source)?;
    let url = default_title(&args.output);
    let title = args.title.clone().unwrap_or_else(|| url.clone());
    let outcome = opendata_csv::convert_file(&args.input, &args.output, &format)?;
    let mut metadata = opendata_csv::TableMetadata::new(url, title, outcome.schema);
    if let Some(publisher) = &args.publisher {
        metadata = metadata.publisher(publisher);
    }
    if let Some(license) = &args.license {
        metadata = metadata.license(license);
    }
    if let Some(modified) = args.modified {
        metadata = metadata.modified(modified);
    }
    let metadata_path = metadata
        .write_beside(&args.output)
        .with_context(|| format!("cannot write the metadata of {}", args.output.display()))?;
    eprintln!(
        "opendata-csv: wrote {} ({} rows) and {}",
        args.output.display(),
        outcome.rows,
        metadata_path.display()
    );
    Ok(())
}
