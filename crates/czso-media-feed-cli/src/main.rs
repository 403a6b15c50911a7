//! `czso-media-feed`: ČSÚ's election results XML server for registered media.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use anyhow::{Context, Result, bail};
use chrono::Utc;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use czso_media_feed::client::{AdminClient, encode_query_value};
use czso_media_feed::config::Config;
use czso_media_feed::phase::{Phase, store_switch};
use czso_media_feed::registry::{Registry, Request};
use czso_media_feed::rehearsal;
use czso_media_feed::simulate::{self, Params};
use czso_media_feed::store::Channel;
use czso_media_feed::time::{parse_prague, prague_local};
use std::io::{IsTerminal as _, Write as _};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "czso-media-feed",
    version,
    about = "ČSÚ election results XML server for registered media",
    after_help = exit_codes()
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (public feeds + loopback admin endpoint).
    Serve {
        /// TOML config file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Manage registered media organisations.
    Registry {
        /// SQLite database (the server's `database`).
        #[arg(long)]
        db: PathBuf,
        #[command(subcommand)]
        action: RegistryAction,
    },
    /// Switch an election's phase at an instant (Prague time); a running server follows.
    Phase {
        /// SQLite database.
        #[arg(long)]
        db: PathBuf,
        /// Election id.
        election: String,
        /// test, live or closed.
        phase: String,
        /// When (Prague local `YYYY-MM-DDTHH:MM[:SS]` or RFC 3339); default now.
        #[arg(long)]
        at: Option<String>,
    },
    /// Ingest precinct batch files, through the admin endpoint or straight into the database.
    Ingest {
        #[command(flatten)]
        target: Target,
        /// Cut a batch after each file, keeping the file's batch number and time.
        #[arg(long)]
        cut: bool,
        /// Batch files (VYSLEDKY_OKRSKY).
        files: Vec<PathBuf>,
    },
    /// Cut a precinct batch now from the rows received since the last one.
    Cut {
        #[command(flatten)]
        endpoint: AdminArgs,
        /// Election id.
        #[arg(long)]
        election: String,
        /// test or live.
        #[arg(long, default_value = "live")]
        channel: String,
        /// Round (Senate run-off: 2).
        #[arg(long, default_value_t = 1)]
        round: u8,
    },
    /// Replay batch files (e.g. a past election for the test phase) over a compressed
    /// timeline, optionally with faults a newsroom's client must survive (see the README's
    /// client conformance kit).
    Replay {
        #[command(flatten)]
        endpoint: AdminArgs,
        /// Election id.
        #[arg(long)]
        election: String,
        /// test or live.
        #[arg(long, default_value = "test")]
        channel: String,
        /// Round.
        #[arg(long, default_value_t = 1)]
        round: u8,
        /// Time compression: 60 plays a 5-minute gap in 5 seconds; 0 sends at once.
        #[arg(long, default_value_t = 60.0)]
        speed: f64,
        /// Reset the test data set first, so the rehearsal starts from nothing.
        #[arg(long)]
        reset: bool,
        /// Faults to inject: all, or a comma-separated list of not-yet, resend,
        /// late-candidates, encoding, server-error.
        #[arg(long, default_value = "")]
        faults: String,
        /// How long timed faults last (seconds; default one compressed batch interval, 2–120 s).
        #[arg(long)]
        fault_secs: Option<f64>,
        /// Print the plan without sending anything.
        #[arg(long)]
        dry_run: bool,
        /// Batch files, played in name order.
        files: Vec<PathBuf>,
    },
    /// Reset an election's test data set through the admin endpoint: precinct rows and
    /// batches removed, registry and phases kept, rehearsal faults cleared; recorded in
    /// `log_dir/admin.log`.
    Reset {
        #[command(flatten)]
        endpoint: AdminArgs,
        /// Election id.
        #[arg(long)]
        election: String,
    },
    /// List precinct rows set aside by `invalid_rows = "quarantine"`: the precinct, the rule
    /// it breaks, the document, and whether a later row of the precinct has been stored.
    Quarantine {
        #[command(flatten)]
        endpoint: AdminArgs,
        /// Election id.
        #[arg(long)]
        election: String,
        /// Print the server's JSON as it is.
        #[arg(long)]
        json: bool,
    },
    /// Generate a synthetic election of realistic size (definition.json + batch files).
    Simulate {
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Election id.
        #[arg(long, default_value = "ps2025")]
        election: String,
        /// ps, kz, kv or senat (a third of the Senate's districts, round two in kolo2/).
        #[arg(long, default_value = "ps")]
        kind: String,
        /// Seed.
        #[arg(long, default_value_t = 2025)]
        seed: u64,
        /// Precincts.
        #[arg(long, default_value_t = 14_800)]
        okrsky: u32,
        /// Municipalities.
        #[arg(long, default_value_t = 6250)]
        obce: u32,
        /// Parties.
        #[arg(long, default_value_t = 26)]
        parties: u32,
        /// Stream the batches to the admin endpoint of this server config after generating
        /// them.
        #[arg(long = "stream-to")]
        stream_to: Option<PathBuf>,
        /// Channel when streaming.
        #[arg(long, default_value = "test")]
        channel: String,
        /// Time compression when streaming.
        #[arg(long, default_value_t = 60.0)]
        speed: f64,
    },
    /// Seats for a table of votes under the electoral law of an election type and year.
    ///
    /// FILE is semicolon-separated UTF-8 with the header `party;<constituency 1>;…` and one
    /// row of integer votes per party or coalition. `ps`: the constituencies are the
    /// regions and N the size of the Chamber (200); `kz`, `kv`: each constituency elects N
    /// members; `ep`: the constituencies are added up into one national constituency.
    Seats {
        /// Election type.
        #[arg(long, value_enum)]
        election: SeatsElection,
        /// Election year (picks the law in force).
        #[arg(long)]
        year: u16,
        /// The votes table.
        #[arg(long)]
        votes: PathBuf,
        /// Seats (see above).
        #[arg(long)]
        seats: u32,
        /// NAME=K: the list NAME is a coalition of K parties (coalition thresholds).
        #[arg(long = "coalition", value_name = "NAME=K")]
        coalitions: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = SeatsFormat::Human)]
        format: SeatsFormat,
    },
}

/// A running server's admin endpoint and the operators' credential, both through the
/// server's config.
#[derive(clap::Args)]
struct AdminArgs {
    /// Server config: the admin endpoint (`admin_listen`) and its token file
    /// (`admin_token_file`, default `admin.token` next to the database).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Admin endpoint URL instead of `http://{admin_listen}` (a port chosen at start, a
    /// tunnel).
    #[arg(long)]
    admin: Option<String>,
}

impl AdminArgs {
    fn config(&self) -> Result<Config> {
        let Some(path) = &self.config else {
            bail!(
                "give --config FILE: the server's config names the admin endpoint and its token file"
            );
        };
        Ok(Config::load(path)?)
    }

    fn client(&self) -> Result<AdminClient> {
        Ok(AdminClient::for_config(
            &self.config()?,
            self.admin.as_deref(),
        )?)
    }
}

#[derive(clap::Args)]
struct Target {
    #[command(flatten)]
    endpoint: AdminArgs,
    /// Write straight into the config's database instead of through the admin endpoint (no
    /// server needed; a running one picks the rows up within its reload interval).
    #[arg(long)]
    direct: bool,
    /// Election id.
    #[arg(long)]
    election: String,
    /// test or live.
    #[arg(long, default_value = "live")]
    channel: String,
    /// Round.
    #[arg(long, default_value_t = 1)]
    round: u8,
}

#[derive(Subcommand)]
enum RegistryAction {
    /// Record a registration request (refused after the deadline).
    Add {
        /// Organisation name.
        #[arg(long)]
        name: String,
        /// Contact e-mail.
        #[arg(long)]
        email: String,
        /// Contact phone.
        #[arg(long)]
        phone: String,
        /// Production address (repeat, at most 5).
        #[arg(long = "production")]
        production: Vec<IpAddr>,
        /// Test address (repeat, at most 5).
        #[arg(long = "test")]
        test: Vec<IpAddr>,
    },
    /// Approve an organisation (id or name).
    Approve {
        /// Id or exact name.
        who: String,
    },
    /// Refuse an organisation (no reason needs to be given).
    Refuse {
        /// Id or exact name.
        who: String,
        /// Internal note.
        #[arg(long)]
        note: Option<String>,
    },
    /// List organisations.
    List,
    /// Export organisations or the allow list.
    Export {
        /// Format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
        format: ExportFormat,
    },
    /// Set the registration deadline (Prague local time).
    Deadline {
        /// e.g. 2025-09-18T23:59:59.
        at: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum SeatsElection {
    /// Chamber of Deputies.
    Ps,
    /// Regional councils.
    Kz,
    /// Municipal councils.
    Kv,
    /// European Parliament.
    Ep,
}

#[derive(Clone, Copy, ValueEnum)]
enum SeatsFormat {
    /// `{"parties": {…}, "constituencies": {…}}`.
    Json,
    /// A table for people.
    Human,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    /// Every organisation as JSON.
    Json,
    /// One address per row, CSV by the Czech open-data standard:
    /// address,kind,organisation_id,organisation,state.
    Csv,
    /// nginx `allow` lines for approved production addresses (live phase).
    Nginx,
}

/// The exit codes, in `--help` and the man page.
fn exit_codes() -> String {
    opendata_cli::exit_codes_help(&[
        (0, "success (serve: stopped by SIGTERM or Ctrl-C)"),
        (
            1,
            "failure: the message names the file, the configuration key or the endpoint, and the cause",
        ),
        (2, "usage error (unknown flag, missing value)"),
    ])
}

fn main() -> ExitCode {
    if let Some(code) = opendata_cli::generate_docs_if_asked(Cli::command) {
        return code;
    }
    // The library's log (the maintenance loop's errors, the admin token's creation) on
    // stderr, where systemd's journal takes it; `RUST_LOG=czso_media_feed::cut=debug` adds a
    // line per scheduled batch cut with where its time went.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "{}",
                opendata_cli::error_report("czso-media-feed", e.as_ref())
            );
            ExitCode::from(1)
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve { config } => {
            let config = Config::load(&config)?;
            let server = czso_media_feed::server::start(config)?;
            for a in &server.public {
                println!("public http://{a}");
            }
            println!("admin http://{}", server.admin);
            std::io::stdout().flush()?;
            // SIGTERM / SIGINT: open requests finish, access logs are written, exit 0.
            server.run_until_signal()?;
            Ok(())
        }
        Command::Registry { db, action } => registry(&db, action),
        Command::Phase {
            db,
            election,
            phase,
            at,
        } => {
            let phase = Phase::parse(&phase)?;
            let at = match at {
                Some(t) => parse_prague(&t)?,
                None => Utc::now(),
            };
            let conn = czso_media_feed::store::open_database(&db)?;
            store_switch(&conn, &election, at, phase)?;
            println!(
                "{election}: {} from {} (Prague)",
                phase.as_str(),
                prague_local(at)
            );
            Ok(())
        }
        Command::Ingest { target, cut, files } => {
            let channel = Channel::parse(&target.channel)?;
            if !target.direct {
                let client = target.endpoint.client()?;
                for f in &files {
                    let answer = client.ingest(
                        &target.election,
                        channel,
                        target.round,
                        &f.display().to_string(),
                        &read(f)?,
                        cut,
                    )?;
                    println!("{}: {answer}", f.display());
                }
            } else {
                let config = target.endpoint.config()?;
                let docs = files
                    .iter()
                    .map(|f| Ok((f.display().to_string(), read(f)?)))
                    .collect::<Result<Vec<_>>>()?;
                let reports = czso_media_feed::server::ingest_direct(
                    &config,
                    &target.election,
                    channel,
                    target.round,
                    &docs,
                    cut,
                )?;
                for (f, r) in files.iter().zip(reports) {
                    println!("{}: {}", f.display(), serde_json::to_string(&r)?);
                }
            }
            Ok(())
        }
        Command::Cut {
            endpoint,
            election,
            channel,
            round,
        } => {
            let q = format!(
                "/admin/cut?election={}&channel={channel}&round={round}",
                encode_query_value(&election)
            );
            println!("{}", endpoint.client()?.post(&q, b"")?);
            Ok(())
        }
        Command::Replay {
            endpoint,
            election,
            channel,
            round,
            speed,
            reset,
            faults,
            fault_secs,
            dry_run,
            mut files,
        } => {
            files.sort();
            let options = rehearsal::Options {
                round,
                speed,
                faults: rehearsal::Fault::parse_list(&faults)?,
                fault_secs,
            };
            let channel = Channel::parse(&channel)?;
            let client = if dry_run {
                None
            } else {
                Some(endpoint.client()?)
            };
            replay(client.as_ref(), &election, channel, reset, &options, &files)
        }
        Command::Reset { endpoint, election } => {
            println!("{}", endpoint.client()?.reset(&election)?);
            Ok(())
        }
        Command::Quarantine {
            endpoint,
            election,
            json,
        } => {
            let text = endpoint.client()?.quarantine(&election)?;
            if json {
                println!("{text}");
                return Ok(());
            }
            let value: serde_json::Value = serde_json::from_str(&text)?;
            for row in value["rows"].as_array().into_iter().flatten() {
                let field = |k: &str| row[k].as_str().unwrap_or_default().to_owned();
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}{}",
                    row["id"],
                    field("channel"),
                    field("precinct"),
                    field("rule"),
                    field("source"),
                    field("received_at"),
                    if row["superseded"].as_bool() == Some(true) {
                        "\tsuperseded"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        Command::Simulate {
            out,
            election,
            kind,
            seed,
            okrsky,
            obce,
            parties,
            stream_to,
            channel,
            speed,
        } => {
            let kind = match kind.as_str() {
                "ps" => czso_media_feed::model::ElectionKind::Ps,
                "kz" => czso_media_feed::model::ElectionKind::Kz,
                "kv" => czso_media_feed::model::ElectionKind::Kv,
                "senat" => czso_media_feed::model::ElectionKind::Senat,
                other => bail!("simulate supports kind ps, kz, kv or senat, not `{other}`"),
            };
            let sim = simulate::generate(&Params {
                id: election.clone(),
                kind,
                seed,
                okrsky,
                obce,
                parties,
                ..Params::default()
            });
            std::fs::create_dir_all(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let def_path = out.join("definition.json");
            std::fs::write(&def_path, serde_json::to_string_pretty(&sim.definition)?)?;
            let mut files = Vec::new();
            for (i, b) in sim.batches.iter().enumerate() {
                let f = out.join(format!("vysledky_okrsky_{:05}.xml", i + 1));
                std::fs::write(&f, b)?;
                files.push(f);
            }
            // The Senate's run-off batches are numbered from 1 again: a directory of their own.
            let mut runoff = Vec::new();
            if !sim.runoff.is_empty() {
                let dir = out.join("kolo2");
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                for (i, b) in sim.runoff.iter().enumerate() {
                    let f = dir.join(format!("vysledky_okrsky_{:05}.xml", i + 1));
                    std::fs::write(&f, b)?;
                    runoff.push(f);
                }
            }
            println!(
                "{}: {} okrsky in {} obce, {} batches{}",
                def_path.display(),
                sim.definition.okrsky_celkem(),
                sim.definition.obce.len(),
                sim.batches.len(),
                if runoff.is_empty() {
                    String::new()
                } else {
                    format!(", {} run-off batches in kolo2/", runoff.len())
                }
            );
            if let Some(config) = stream_to {
                let client = AdminClient::for_config(&Config::load(&config)?, None)?;
                let options = rehearsal::Options {
                    round: 1,
                    speed,
                    faults: Vec::new(),
                    fault_secs: None,
                };
                let channel = Channel::parse(&channel)?;
                replay(Some(&client), &election, channel, false, &options, &files)?;
                if !runoff.is_empty() {
                    let options = rehearsal::Options {
                        round: 2,
                        ..options
                    };
                    replay(Some(&client), &election, channel, false, &options, &runoff)?;
                }
            }
            Ok(())
        }
        Command::Seats {
            election,
            year,
            votes,
            seats,
            coalitions,
            format,
        } => {
            use volby_mandaty::{ElectionType, RuleSet, VoteTable};
            let election = match election {
                SeatsElection::Ps => ElectionType::Chamber,
                SeatsElection::Kz => ElectionType::Regional,
                SeatsElection::Kv => ElectionType::Municipal,
                SeatsElection::Ep => ElectionType::European,
            };
            let rules = RuleSet::new(election, year)?;
            let text = std::fs::read_to_string(&votes)
                .with_context(|| format!("cannot read {} as UTF-8 text", votes.display()))?;
            let table = VoteTable::parse(&text, &votes.display().to_string())?;
            let members = table.coalition_members(&coalitions)?;
            let result = volby_mandaty::allocate(&rules, &table, seats, &members)?;
            match format {
                SeatsFormat::Json => print!("{}", result.to_json()),
                SeatsFormat::Human => print!("{}", result.to_human()),
            }
            Ok(())
        }
    }
}

/// Replays `files` through `client`; without a client (`--dry-run`) prints the plan only.
fn replay(
    client: Option<&AdminClient>,
    election: &str,
    channel: Channel,
    reset: bool,
    options: &rehearsal::Options,
    files: &[PathBuf],
) -> Result<()> {
    let sources = files
        .iter()
        .map(|f| rehearsal::Source::read(f))
        .collect::<Result<Vec<_>, _>>()?;
    let steps = rehearsal::plan(&sources, options)?;
    let Some(client) = client else {
        for step in &steps {
            println!("{}", step.note);
        }
        return Ok(());
    };
    if reset {
        println!("reset: {}", client.reset(election)?);
    }
    rehearsal::run(
        client,
        election,
        channel,
        options.round,
        &steps,
        &mut |step, answer| {
            if answer.is_empty() || step.fault.is_some() {
                println!("{}", step.note);
            } else {
                println!("{}: {answer}", step.note);
            }
            let _ = std::io::stdout().flush();
        },
    )?;
    Ok(())
}

fn registry(db: &Path, action: RegistryAction) -> Result<()> {
    let mut reg = Registry::open(db)?;
    let now = Utc::now();
    match action {
        RegistryAction::Add {
            name,
            email,
            phone,
            production,
            test,
        } => {
            let id = reg.request(
                &Request {
                    name: name.clone(),
                    email,
                    phone,
                    production,
                    test,
                },
                now,
            )?;
            println!("{id}\t{name}\trequested");
        }
        RegistryAction::Approve { who } => println!("{}\tapproved", reg.approve(&who, now)?),
        RegistryAction::Refuse { who, note } => {
            println!("{}\trefused", reg.refuse(&who, note.as_deref(), now)?);
        }
        RegistryAction::List => {
            if let Some(d) = reg.deadline()? {
                println!("# deadline {} (Prague)", prague_local(d));
            }
            for o in reg.list()? {
                let join = |v: &[IpAddr]| {
                    v.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                };
                println!(
                    "{}\t{}\t{:?}\t{}\t{}\tproduction={}\ttest={}",
                    o.id,
                    o.name,
                    o.state,
                    o.email,
                    o.phone,
                    join(&o.production),
                    join(&o.test)
                );
            }
        }
        RegistryAction::Export { format } => match format {
            ExportFormat::Json => println!("{}", serde_json::to_string_pretty(&reg.list()?)?),
            ExportFormat::Csv => {
                let stdout = std::io::stdout().lock();
                czso_media_feed::registry::write_addresses_csv(&reg.list()?, stdout)?.flush()?;
            }
            ExportFormat::Nginx => {
                let list = reg.access_list()?;
                let mut lines: Vec<String> = list
                    .iter()
                    .filter(|(_, g)| g.kind == czso_media_feed::access::AddressKind::Production)
                    .map(|(ip, g)| format!("allow {ip}; # {}", g.name))
                    .collect();
                lines.sort();
                for l in lines {
                    println!("{l}");
                }
                println!("deny all;");
            }
        },
        RegistryAction::Deadline { at } => {
            let t = parse_prague(&at)?;
            reg.set_deadline(t)?;
            println!("deadline {} (Prague)", prague_local(t));
        }
    }
    Ok(())
}
