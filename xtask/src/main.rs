//! `cargo xtask`: the project's automation, in Rust instead of shell scripts.
//!
//! Run `cargo xtask help` for the task list. `cargo xtask ci` is the gate that CI runs.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench_idle;
mod bench_serve;
mod bench_volby;
mod bench_volby_live;
mod ci;
mod csvw_suite;
mod procstat;
mod release;
mod setup;
mod tier_blocklist_zone;
mod tier_browser;
mod tier_dns;
mod tier_forwarded;
mod tier_interop;
mod tier_packages;
mod tier_resolver;
mod tier_units;
mod tier_volby;
mod tiers;
mod util;

use anyhow::{Result, bail};

const HELP: &str = "\
cargo xtask <task>

Tasks:
  setup            install the system tools the test tiers need (apt, npm, Python venv); idempotent
  ci               the gate: fmt check, clippy -D warnings, all tests, every tier, package, doc -D warnings
  test             all tests: cargo test --workspace, then every tier
  tier NAME...     run the named test tiers (each starts and stops its own servers);
                   XTASK_TIER_RELEASE=1 builds their tests with --release
  tiers            list the test tiers
  interop          = tier interop: nkod-client against Virtuoso and @ldf/server 3 (+ Comunica figures)
  bench-serve      unified-blocklist: update time/memory, no-change requests, serve vs nginx (wrk),
                   10k idle connections
  bench-volby      czso-media-feed: wrk vs nginx on vysledky.xml, refused requests, ingest CPU time,
                   10k idle connections
  bench-volby-live czso-media-feed: live replay on a compressed clock — bytes re-downloaded by a
                   polling newsroom (content validators vs whole-document tags), SSE delay from cut
                   to event, Retry-After/max-age against the grid, ingest CPU [--speed N] [--batches N]
  bench-dns        unified-blocklist: update -> NXDOMAIN at Unbound and BIND, IXFR bytes for k changes, check-resolver rate
  package          cargo package --workspace with verification (a step of ci)
  release          target/release-artifacts/: binaries, man pages, completions, Debian packages (lintian), SBOM, SHA256SUMS, notes
  csvw-suite [-v]  run the W3C CSVW test suite offline; passed/failed per manifest, EARL report
  csvw-bench       csv2json/validation throughput vs Python csvw [--size-mb N] [--skip-python]
";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(task) = args.first() else {
        print!("{HELP}");
        return Ok(());
    };
    let rest = &args[1..];
    match task.as_str() {
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        "setup" => setup::run(),
        "csvw-suite" => csvw_suite::run(rest),
        "csvw-bench" => csvw_suite::bench(rest),
        "interop" => tiers::run("interop"),
        "ci" => ci::run(),
        "package" => ci::package(),
        "test" => ci::test_all(),
        "tier" => {
            if rest.is_empty() {
                bail!("`cargo xtask tier` needs a tier name; `cargo xtask tiers` lists them");
            }
            rest.iter().try_for_each(|name| tiers::run(name))
        }
        "release" => release::run(),
        "bench-serve" => bench_serve::run(),
        "bench-volby" => bench_volby::run(),
        "bench-volby-live" => bench_volby_live::run(rest),
        "bench-dns" => tier_dns::bench(),
        "tiers" => {
            for tier in tiers::ALL.iter().chain(tiers::ON_DEMAND) {
                println!("{:<12} {}", tier.name, tier.about);
            }
            Ok(())
        }
        other => bail!("unknown task `{other}`; run `cargo xtask help`"),
    }
}
