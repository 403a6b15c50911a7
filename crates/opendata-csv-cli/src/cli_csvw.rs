//! The CSVW subcommands of the binary: `validate`, `csv2json` and `csv2rdf`, backed by the
//! `csvw` crate (a full W3C CSV on the Web processor), and `check --profile` (CSVW plus the
//! Czech standard, [`opendata_csv::check_profile`]).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use csvw::rdf::RdfSyntax;
use csvw::{
    Diagnostics, Error, FileFetcher, IgnoreRows, Options, Processor, RowSink, TableGroup, Url,
};

/// Where the input comes from and how URLs are formed.
#[derive(Debug, Args)]
pub(crate) struct InputArgs {
    /// A CSV file (its metadata is located per CSVW: `--metadata`, `<FILE>-metadata.json`,
    /// `csv-metadata.json`) or a CSVW metadata file (`*.json`).
    input: PathBuf,
    /// User metadata overriding everything else.
    #[arg(long)]
    metadata: Option<PathBuf>,
    /// Publish URL of the input's directory (e.g. `https://data.example.cz/soubory/`): output
    /// IRIs are built from it instead of `file:` URLs; files are still read locally.
    #[arg(long)]
    base_url: Option<String>,
}

/// `validate` options.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Print at most this many problems (all are counted).
    #[arg(long, default_value_t = 1000)]
    limit: usize,
}

/// `csv2json` options.
#[derive(Debug, Args)]
pub(crate) struct Csv2JsonArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Minimal mode: only the row objects, without table group and table scaffolding.
    #[arg(long)]
    minimal: bool,
    /// Output file (default: standard output).
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// RDF syntaxes of `csv2rdf`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum RdfFormat {
    /// Turtle.
    Turtle,
    /// N-Triples.
    Ntriples,
}

/// `csv2rdf` options.
#[derive(Debug, Args)]
pub(crate) struct Csv2RdfArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Minimal mode: only the triples from the cells.
    #[arg(long)]
    minimal: bool,
    /// Output syntax.
    #[arg(long, value_enum, default_value = "turtle")]
    format: RdfFormat,
    /// Output file (default: standard output).
    #[arg(long, short)]
    output: Option<PathBuf>,
}

fn file_url(path: &Path) -> anyhow::Result<Url> {
    let absolute = std::path::absolute(path).with_context(|| format!("{}", path.display()))?;
    Url::from_file_path(&absolute)
        .map_err(|()| anyhow::anyhow!("cannot make a URL of {}", absolute.display()))
}

/// Runs the processor; returns the table group (or the fatal error) and the diagnostics.
/// With a `sink`, rows are streamed to it and not kept (the group's tables have no rows).
fn process(
    input: &InputArgs,
    validate: bool,
    sink: Option<&mut dyn RowSink>,
) -> anyhow::Result<(Result<TableGroup, Error>, Diagnostics)> {
    let dir = std::path::absolute(&input.input)?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let file_name = input
        .input
        .file_name()
        .and_then(|n| n.to_str())
        .context("the input must be a file")?
        .to_owned();
    let mut fetcher = FileFetcher::new();
    let url = match &input.base_url {
        Some(base) => {
            let base = if base.ends_with('/') {
                base.clone()
            } else {
                format!("{base}/")
            };
            let base_url =
                Url::parse(&base).with_context(|| format!("invalid --base-url {base}"))?;
            fetcher = fetcher.with_mapping(base.clone(), dir);
            base_url.join(&file_name)?
        }
        None => file_url(&input.input)?,
    };
    let user_metadata = input.metadata.as_deref().map(file_url).transpose()?;
    let mut processor = Processor::new(
        &fetcher,
        Options {
            validate,
            user_metadata,
        },
    );
    let metadata = file_name.ends_with(".json");
    let result = match sink {
        Some(sink) if metadata => processor.process_metadata_streaming(&url, sink),
        Some(sink) => processor.process_tabular_streaming(&url, sink),
        None if metadata => processor.process_metadata(&url),
        None => processor.process_tabular(&url),
    };
    Ok((result, processor.diagnostics))
}

fn fatal(error: Error) -> anyhow::Result<ExitCode> {
    match error {
        Error::Io { .. } | Error::NotFound { .. } | Error::Output(_) => Err(error.into()),
        other => {
            eprintln!("error: {other}");
            Ok(ExitCode::from(1))
        }
    }
}

/// `opendata-csv validate`: exit 0 when valid (warnings allowed), 1 when not, 2 on I/O errors.
pub(crate) fn run_validate(args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    // Validation needs no rows once they are checked: stream them to nowhere.
    let (result, diagnostics) = process(&args.input, true, Some(&mut IgnoreRows))?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for diagnostic in diagnostics.items.iter().take(args.limit) {
        writeln!(out, "{diagnostic}")?;
    }
    let errors = diagnostics.errors().count();
    let warnings = diagnostics.warnings().count();
    out.flush()?;
    if let Err(e) = result {
        return fatal(e);
    }
    writeln!(out, "{errors} errors, {warnings} warnings")?;
    out.flush()?;
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) => Box::new(io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(io::BufWriter::new(io::stdout())),
    })
}

fn report_warnings(diagnostics: &Diagnostics) {
    for diagnostic in &diagnostics.items {
        eprintln!("{diagnostic}");
    }
}

/// Runs a streaming conversion into `--output` (or standard output). An output file is
/// written under a temporary name and renamed when complete, so a fatal error never leaves a
/// truncated file behind.
fn convert_streaming(
    input: &InputArgs,
    output_path: Option<&Path>,
    make_sink: impl FnOnce(Box<dyn Write>) -> anyhow::Result<Box<dyn RowSink>>,
) -> anyhow::Result<ExitCode> {
    let partial = output_path.map(|path| {
        let mut name = path.as_os_str().to_owned();
        name.push(".partial");
        PathBuf::from(name)
    });
    let mut sink = make_sink(output(partial.as_deref())?)?;
    let (result, diagnostics) = process(input, false, Some(sink.as_mut()))?;
    drop(sink);
    report_warnings(&diagnostics);
    if let Err(e) = result {
        if let Some(partial) = &partial {
            let _ = std::fs::remove_file(partial);
        }
        if let Error::Output(io) = e {
            return Err(io).context("cannot write the output");
        }
        return fatal(e);
    }
    if let (Some(partial), Some(path)) = (&partial, output_path) {
        std::fs::rename(partial, path).with_context(|| {
            format!("cannot rename {} to {}", partial.display(), path.display())
        })?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `opendata-csv csv2json`: rows are converted and written as they are read.
pub(crate) fn run_csv2json(args: &Csv2JsonArgs) -> anyhow::Result<ExitCode> {
    let minimal = args.minimal;
    convert_streaming(&args.input, args.output.as_deref(), |out| {
        Ok(Box::new(csvw::json::JsonWriter::new(out, minimal)))
    })
}

/// `opendata-csv csv2rdf`: rows are converted and written as they are read.
pub(crate) fn run_csv2rdf(args: &Csv2RdfArgs) -> anyhow::Result<ExitCode> {
    let syntax = match args.format {
        RdfFormat::Turtle => RdfSyntax::Turtle,
        RdfFormat::Ntriples => RdfSyntax::NTriples,
    };
    let minimal = args.minimal;
    convert_streaming(&args.input, args.output.as_deref(), |out| {
        Ok(Box::new(csvw::rdf::RdfWriter::new(out, minimal, syntax)?))
    })
}

/// `opendata-csv check --profile`: CSVW strict validation plus the Czech standard in one
/// report, printed as found (memory does not grow with the number of findings). Exit 0 when no
/// finding is an error (warnings allowed), 1 otherwise, 2 on I/O errors.
pub(crate) fn run_profile_check(
    file: &Path,
    metadata: Option<&Path>,
    json: bool,
    limit: u64,
) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut printed = 0u64;
    let mut write_error: Option<io::Error> = None;
    if json {
        write!(
            out,
            "{{\"file\":{},\"findings\":[",
            serde_json::Value::String(file.display().to_string())
        )?;
    }
    let mut sink = |finding: opendata_csv::Finding| {
        if printed >= limit || write_error.is_some() {
            return;
        }
        let result = if json {
            let sep = if printed == 0 { "" } else { "," };
            serde_json::to_string(&finding)
                .map_err(io::Error::other)
                .and_then(|f| write!(out, "{sep}\n{f}"))
        } else {
            writeln!(out, "{finding}")
        };
        if let Err(e) = result {
            write_error = Some(e);
        }
        printed += 1;
    };
    let summary = opendata_csv::check_profile_streaming(file, metadata, &mut sink)?;
    if let Some(error) = write_error {
        return Err(error).context("cannot write the report");
    }
    let errors = summary.count(opendata_csv::FindingSeverity::Error, None);
    let warnings = summary.count(opendata_csv::FindingSeverity::Warning, None);
    let total = errors + warnings;
    if json {
        let tail = serde_json::json!({
            "metadata": summary.metadata.as_ref().map(|p| p.display().to_string()),
            "records": summary.records,
            "bytes": summary.bytes,
            "errors": errors,
            "warnings": warnings,
            "rules": summary.rules,
            "truncated": total > printed,
        });
        // The summary's members follow the findings array in the same object.
        let tail = tail.to_string();
        writeln!(out, "\n],{}", &tail[1..])?;
    } else {
        if total > printed {
            writeln!(
                out,
                "… {} more findings not shown (--limit {limit})",
                total - printed
            )?;
        }
        let from = |source| summary.count(opendata_csv::FindingSeverity::Error, Some(source));
        writeln!(
            out,
            "{}: {} records, {} bytes, {errors} errors (CSVW: {}, Czech standard: {}), \
             {warnings} warnings",
            file.display(),
            summary.records,
            summary.bytes,
            from(opendata_csv::RuleSource::Csvw),
            from(opendata_csv::RuleSource::CzechStandard),
        )?;
    }
    out.flush()?;
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
