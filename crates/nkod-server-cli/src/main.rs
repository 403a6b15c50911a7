#![allow(clippy::print_stdout, clippy::print_stderr)]
//! `nkod-server`: a local NKOD over a catalogue dump (see the crate README).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use nkod_server::{
    Faults, NkodServer, QueryLimits, ServerConfig, SnapshotFormat, load_snapshot, render_snapshot,
};

/// A local NKOD: serves a catalogue dump in NKOD's nkod.trig layout over SPARQL (/sparql),
/// Triple Pattern Fragments (/ldf/nkod-ldf), GraphQL (/graphql) and a file directory (/soubory/).
#[derive(Parser, Debug)]
#[command(
    name = "nkod-server",
    version,
    args_conflicts_with_subcommands = true,
    after_help = exit_codes()
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the catalogue (the default when no subcommand is given).
    Serve(ServeArgs),
    /// Write the dump with relative IRIs resolved against a base URL (for Virtuoso, @ldf/server).
    Render(RenderArgs),
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// The catalogue dump (TriG, NKOD's nkod.trig layout).
    #[arg(long)]
    snapshot: Option<PathBuf>,
    /// Directory of distribution files, served at /soubory/.
    #[arg(long)]
    files: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Base URL clients use, when it differs from http://LISTEN/ (must end with '/').
    #[arg(long)]
    public_base_url: Option<String>,
    /// Fault to inject, ROUTE:KEY=VALUE (repeatable). ROUTE: sparql, ldf, graphql, files, all.
    /// KEY: latency-ms, fail-first, error-rate, status (500|503), truncate (bytes), slow (CHUNK/DELAYms).
    #[arg(long = "fault", value_name = "ROUTE:KEY=VALUE")]
    faults: Vec<String>,
    /// Time one SPARQL or GraphQL query may run before it is cancelled (503).
    #[arg(long, default_value_t = 10.0)]
    query_timeout_secs: f64,
    /// Largest SPARQL result, in bytes, before the query is cancelled (503).
    #[arg(long, default_value_t = 64 << 20)]
    max_result_bytes: usize,
    /// Fields one GraphQL query may select (aliases and fragment spreads counted).
    #[arg(long, default_value_t = 500)]
    max_graphql_fields: usize,
}

#[derive(Args, Debug)]
struct RenderArgs {
    /// The catalogue dump (TriG).
    #[arg(long)]
    snapshot: PathBuf,
    /// Absolute base URL for relative IRIs, e.g. http://127.0.0.1:8890/ .
    #[arg(long)]
    base: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "nquads")]
    format: Format,
    /// Output file (standard output when absent).
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Format {
    Nquads,
    Trig,
}

/// The exit codes, in `--help` and the man page.
fn exit_codes() -> String {
    opendata_cli::exit_codes_help(&[
        (
            0,
            "stopped by SIGTERM or Ctrl-C, or the rendering is written",
        ),
        (
            1,
            "the snapshot or the file directory cannot be read, the address cannot be bound, or the output cannot be written",
        ),
        (2, "usage error (unknown flag, missing value)"),
    ])
}

fn main() -> ExitCode {
    if let Some(code) = opendata_cli::generate_docs_if_asked(Cli::command) {
        return code;
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Render(args)) => render(&args),
        Some(Command::Serve(args)) => serve(args),
        None => serve(cli.serve),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", opendata_cli::error_report("nkod-server", e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let snapshot = args
        .snapshot
        .context("--snapshot FILE is required (the catalogue dump to serve)")?;
    let mut faults = Faults::none();
    for spec in &args.faults {
        faults.apply_spec(spec)?;
    }
    if !(args.query_timeout_secs.is_finite() && args.query_timeout_secs > 0.0) {
        anyhow::bail!("--query-timeout-secs must be a positive number of seconds");
    }
    let limits = QueryLimits {
        timeout: std::time::Duration::from_secs_f64(args.query_timeout_secs),
        max_result_bytes: args.max_result_bytes,
        max_graphql_fields: args.max_graphql_fields,
        ..QueryLimits::default()
    };
    let mut config = ServerConfig::from_file(snapshot)
        .with_listen(args.listen)
        .with_faults(faults)
        .with_query_limits(limits);
    if let Some(dir) = args.files {
        config = config.with_files_dir(dir);
    }
    if let Some(url) = args.public_base_url {
        config = config.with_public_base_url(url);
    }
    let server = NkodServer::start(config)?;
    // The caller may close our stdout once it has read the base URL; that is not an error.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "nkod-server listening on {}", server.base_url());
    let _ = writeln!(out, "  SPARQL   {}", server.sparql_url());
    let _ = writeln!(out, "  TPF      {}", server.ldf_url());
    let _ = writeln!(out, "  GraphQL  {}", server.graphql_url());
    let _ = writeln!(out, "  files    {}", server.file_url(""));
    let _ = out.flush();
    drop(out);
    server.wait()?;
    Ok(())
}

fn render(args: &RenderArgs) -> anyhow::Result<()> {
    let text = load_snapshot(&args.snapshot)?;
    let format = match args.format {
        Format::Nquads => SnapshotFormat::NQuads,
        Format::Trig => SnapshotFormat::TriG,
    };
    let rendered = render_snapshot(&text, &args.base, format)
        .with_context(|| format!("rendering {}", args.snapshot.display()))?;
    match &args.output {
        Some(path) => std::fs::write(path, rendered)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{rendered}"),
    }
    Ok(())
}
