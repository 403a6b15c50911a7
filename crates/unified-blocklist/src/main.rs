//! `unified-blocklist`: builds, publishes and serves the Czech unified list of blocked websites.
//!
//! Exit codes: 0 success (also when nothing changed), 2 bad usage or configuration,
//! 3 catalogue unreachable or a source missing from it, 4 a download failed or a source has
//! no CSV, 5 a guard stopped the publication, 6 local failure (publication, state, server);
//! `check-resolver`: 0 every active entry blocked, 1 some not blocked.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use unified_blocklist::check;
use unified_blocklist::config::{Backend, Config};
use unified_blocklist::run::{RunOptions, run};
use unified_blocklist::serve::ServeOptions;
use unified_blocklist::update::{SourceStatus, UpdateOptions, update};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Builds, publishes and serves the Czech unified list of blocked websites"
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
                eprintln!("error: {e}");
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
            let mut options = UpdateOptions::from_config(&config);
            options.force = force;
            options.valid_as_of = valid_as_of;
            run_update(&options)
        }
        Command::Serve { out, listen } => {
            let out = out.unwrap_or(config.out.clone());
            let listen = listen.unwrap_or(config.listen.clone());
            let mut options = match ServeOptions::new(out).with_http(&config.http) {
                Ok(options) => options,
                Err(e) => {
                    eprintln!("error: {e}");
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
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            if !(timeout > 0.0 && timeout.is_finite()) {
                eprintln!("error: --timeout must be a positive number of seconds");
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
            eprintln!("error: {e}");
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
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
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
            eprintln!("error: {e}");
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
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn exit(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
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
            }
            match (&report.published, report.rows) {
                (Some(id), Some((active, removed))) => {
                    let changed: Vec<&str> = report
                        .sources
                        .iter()
                        .filter(|s| s.status == SourceStatus::Changed)
                        .map(|s| s.id.as_str())
                        .collect();
                    tracing::info!(
                        "published {id} into {}: {active} active and {removed} removed rows, {} changes; changed sources: {}; {requests} HTTP requests; {:.0?}",
                        options.out.display(),
                        report.changes,
                        if changed.is_empty() {
                            "none (forced or first run)".to_owned()
                        } else {
                            changed.join(", ")
                        },
                        report.elapsed
                    );
                }
                _ => tracing::info!(
                    "no change in any source; publication in {} kept ({requests} HTTP requests: {} catalogue, {} downloads; {:.0?})",
                    options.out.display(),
                    report.catalogue_usage.requests,
                    report.download_usage.requests,
                    report.elapsed
                ),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!("update failed, previous publication kept: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
