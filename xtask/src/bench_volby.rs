//! `cargo xtask bench-volby`: czso-media-feed against nginx serving the same bytes with the
//! same allow list, in the same run; refused-request throughput; CPU time and memory to
//! ingest a whole simulated election and regenerate every feed; 10,000 idle connections held
//! under the unit's file limit while a registered client is still answered
//! ([`crate::bench_idle`]).

use crate::bench_idle::{IDLE_GOAL, hold_idle, with_unit_nofile};
use crate::util::{
    PairedWrk, ServerProcess, WRK_ROUNDS, cargo, exec, free_port, have, load_average, target_dir,
    wait_for_port,
};
use anyhow::{Context, Result, bail};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const ALLOWED: &str = "/appdata/ps2025/odata/vysledky.xml";

pub(crate) fn run_bin(bin: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(bin)
        .args(args)
        .output()
        .with_context(|| format!("run {}", bin.display()))?;
    if !out.status.success() {
        bail!(
            "{} {args:?}: {}",
            bin.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn http_get(addr: SocketAddr, path: &str) -> Result<(u16, Vec<u8>)> {
    let reply = opendata_http::client::get(addr, path).with_context(|| format!("GET {path}"))?;
    Ok((reply.status, reply.body))
}

/// `benches/ingest.rs` on the simulation in `sim` (optimised, in a process of its own so its
/// peak memory is the ingest's): its report, two lines of `key=value`.
fn bench_ingest(sim: &Path, scratch: &Path) -> Result<String> {
    let output = cargo()
        .args([
            "bench", "--locked", "-p", "xtask", "--bench", "ingest", "--", "--dir",
        ])
        .arg(sim)
        .arg("--scratch")
        .arg(scratch)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo bench -p xtask --bench ingest")?;
    if !output.status.success() {
        bail!(
            "cargo bench -p xtask --bench ingest failed with {}",
            output.status
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A simulated election ready to serve (step 1 of both election benches).
pub(crate) struct PreparedFeed {
    pub(crate) sim: PathBuf,
    pub(crate) config: PathBuf,
    pub(crate) db: PathBuf,
    pub(crate) public_port: u16,
    pub(crate) admin_port: u16,
    /// The simulation's batch files, in order.
    pub(crate) batches: Vec<PathBuf>,
}

/// Simulates a whole election in `work/sim`, prints the CPU of ingesting it and regenerating
/// every feed ([`bench_ingest`], a process of its own), and writes a feed config on free
/// loopback ports with the given regeneration and cut periods and a database with 127.0.0.1
/// registered for production.
pub(crate) fn prepare_feed(
    bin: &Path,
    work: &Path,
    cache_period_secs: f64,
    batch_interval_secs: f64,
) -> Result<PreparedFeed> {
    let sim = work.join("sim");
    let sim_s = sim.to_str().unwrap_or_default();
    println!("{}", run_bin(bin, &["simulate", "--out", sim_s])?.trim());
    println!("load average at the start: {}", load_average());
    let scratch = work.join("scratch");
    let ingest = bench_ingest(&sim, &scratch)?;
    println!("ingest+regenerate: {}", ingest.trim());

    let db = work.join("feed.sqlite");
    let db_s = db.to_str().unwrap_or_default();
    let (public_port, admin_port) = (free_port()?, free_port()?);
    let config = work.join("feed.toml");
    std::fs::write(
        &config,
        format!(
            "database = \"feed.sqlite\"\nlisten = [\"127.0.0.1:{public_port}\"]\nadmin_listen = \"127.0.0.1:{admin_port}\"\n\
             cache_period_secs = {cache_period_secs}\nbatch_interval_secs = {batch_interval_secs}\nreload_interval_secs = 0.5\nlog_dir = \"logs\"\n\
             [[election]]\ndefinition = \"sim/definition.json\"\nschedule = [{{ at = \"2020-01-01T00:00\", phase = \"live\" }}]\n"
        ),
    )?;
    run_bin(
        bin,
        &[
            "registry",
            "--db",
            db_s,
            "add",
            "--name",
            "Redakce",
            "--email",
            "redakce@example.cz",
            "--phone",
            "+420 222 000 000",
            "--production",
            "127.0.0.1",
        ],
    )?;
    run_bin(bin, &["registry", "--db", db_s, "approve", "Redakce"])?;
    let mut batches: Vec<PathBuf> = std::fs::read_dir(&sim)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    batches.sort();
    Ok(PreparedFeed {
        sim,
        config,
        db,
        public_port,
        admin_port,
        batches,
    })
}

pub(crate) fn run() -> Result<()> {
    for tool in ["nginx", "wrk"] {
        if !have(tool) && !Path::new("/usr/sbin/nginx").exists() {
            bail!("{tool} is missing; `cargo xtask setup` installs it");
        }
    }
    exec(cargo().args(["build", "--release", "-p", "czso-media-feed-cli"]))?;
    let bin = target_dir().join("release/czso-media-feed");
    let work = std::env::temp_dir().join(format!("bench-volby-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let feed = prepare_feed(&bin, &work, 60.0, 0.0)?;
    let (config, public_port) = (&feed.config, feed.public_port);
    let db_s = feed.db.to_str().unwrap_or_default();
    let batches: Vec<&str> = feed
        .batches
        .iter()
        .map(|p| p.to_str().unwrap_or_default())
        .collect();
    let mut args = vec![
        "ingest",
        "--direct",
        "--config",
        config.to_str().unwrap_or_default(),
        "--election",
        "ps2025",
        "--cut",
    ];
    args.extend(batches);
    run_bin(&bin, &args)?;
    let mut ours_cmd = with_unit_nofile(&bin);
    ours_cmd
        .args(["serve", "--config", config.to_str().unwrap_or_default()])
        .stdout(Stdio::null());
    let ours = ServerProcess::spawn("czso-media-feed", &mut ours_cmd)?;
    let ours_addr: SocketAddr = format!("127.0.0.1:{public_port}").parse()?;
    wait_for_port(ours_addr, Duration::from_secs(60))?;
    let (status, body) = http_get(ours_addr, ALLOWED)?;
    if status != 200 {
        bail!("our server answered {status} to the allowed address");
    }

    // 3. nginx serving the same bytes, allow 127.0.0.1 only, plus a denied location.
    let root = work.join("nginx-root");
    let file = root.join(ALLOWED.trim_start_matches('/'));
    std::fs::create_dir_all(file.parent().unwrap_or(&root))?;
    std::fs::write(&file, &body)?;
    let nginx_port = free_port()?;
    let conf = work.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "user root;\nworker_processes 2;\npid {pid};\nerror_log {err};\nevents {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  sendfile on;\n  server {{\n    listen 127.0.0.1:{nginx_port};\n    root {root};\n\
             location /appdata/ {{ allow 127.0.0.1; deny all; }}\n    location /denied/ {{ deny all; }}\n  }}\n}}\n",
            pid = work.join("nginx.pid").display(),
            err = work.join("nginx-error.log").display(),
            root = root.display()
        ),
    )?;
    let nginx_bin = if have("nginx") {
        "nginx".to_owned()
    } else {
        "/usr/sbin/nginx".to_owned()
    };
    let _nginx = ServerProcess::spawn(
        "nginx",
        Command::new(nginx_bin).args([
            "-c",
            conf.to_str().unwrap_or_default(),
            "-g",
            "daemon off;",
        ]),
    )?;
    let nginx_addr: SocketAddr = format!("127.0.0.1:{nginx_port}").parse()?;
    wait_for_port(nginx_addr, Duration::from_secs(10))?;
    let (status, nginx_body) = http_get(nginx_addr, ALLOWED)?;
    if status != 200 || nginx_body != body {
        bail!("nginx does not serve the same bytes ({status})");
    }

    println!("load average before the wrk runs: {}", load_average());
    let seconds = 5;
    let allowed = PairedWrk::run(
        &format!("http://{ours_addr}{ALLOWED}"),
        &format!("http://{nginx_addr}{ALLOWED}"),
        seconds,
    )?;
    allowed.require_success()?;
    println!(
        "allowed runs: {}",
        allowed.rounds("czso-media-feed", "nginx")
    );
    // Refused: our server in the closed phase (403 + reason + refused.log) vs nginx `deny all`.
    run_bin(&bin, &["phase", "--db", db_s, "ps2025", "closed"])?;
    std::thread::sleep(Duration::from_secs(2));
    let (status, _) = http_get(ours_addr, ALLOWED)?;
    if status != 403 {
        bail!("closed phase should refuse, got {status}");
    }
    let refused = PairedWrk::run(
        &format!("http://{ours_addr}{ALLOWED}"),
        &format!("http://{nginx_addr}/denied/x"),
        seconds,
    )?;
    println!(
        "refused runs: {}",
        refused.rounds("czso-media-feed", "nginx")
    );
    let rss = crate::procstat::peak_rss_kib(Some(ours.pid()))? as f64 / 1024.0;
    println!(
        "document: {} bytes (vysledky.xml of a complete simulated election)",
        body.len()
    );
    println!(
        "allowed vysledky.xml, wrk -t2 -c64 -d{seconds}s, median of {WRK_ROUNDS} interleaved: czso-media-feed {:.0} req/s, nginx {:.0} req/s, ratio {:.2}",
        allowed.ours_median(),
        allowed.reference_median(),
        allowed.ratio()
    );
    let (n1, n2) = &refused.non_2xx;
    println!(
        "refused (403): czso-media-feed {:.0} req/s [{}], nginx {:.0} req/s [{}], ratio {:.2}",
        refused.ours_median(),
        n1.as_deref().unwrap_or("no non-2xx line"),
        refused.reference_median(),
        n2.as_deref().unwrap_or("no non-2xx line"),
        refused.ratio()
    );
    println!("czso-media-feed server peak RSS: {rss:.1} MiB");
    println!("load average after the wrk runs: {}", load_average());
    // Idle connections, in the live phase again (a registered client).
    run_bin(&bin, &["phase", "--db", db_s, "ps2025", "live"])?;
    std::thread::sleep(Duration::from_secs(2));
    let idle = hold_idle(ours_addr, ALLOWED, IDLE_GOAL)?;
    println!("{}", idle.report("czso-media-feed"));
    println!(
        "czso-media-feed server peak RSS with the idle connections: {:.1} MiB; load average: {}",
        crate::procstat::peak_rss_kib(Some(ours.pid()))? as f64 / 1024.0,
        load_average()
    );
    drop(ours);
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}
