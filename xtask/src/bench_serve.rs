//! `cargo xtask bench-serve`: unified-blocklist's figures, each against its reference in the
//! same run.
//!
//! 1. `update` on the embedded snapshot (fresh state): wall time and peak memory (`/usr/bin/time
//!    -v`), median of several runs; goal < 1 s.
//! 2. A no-change `update`: wall time, peak memory and the HTTP requests it made (goal: one
//!    catalogue request plus one conditional GET per list, answered 304).
//! 3. `serve` throughput for `jednotny-seznam.csv` with wrk on loopback against nginx serving the
//!    same publication directory (goal ≥ 1.0×).
//! 4. 10,000 idle keep-alive connections held under the unit's file limit while a normal
//!    client is still answered (goal < 100 ms), see [`crate::bench_idle`].

use crate::bench_idle::{IDLE_GOAL, hold_idle, with_unit_nofile};
use crate::util::{
    PairedWrk, ServerProcess, WRK_ROUNDS, cargo, exec, free_port, have, median, target_dir,
    wait_for_port,
};
use anyhow::{Context, Result, bail};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

struct Measured {
    wall_s: f64,
    peak_mib: f64,
    log: String,
}

/// Runs `bin args…` under `/usr/bin/time -v`; wall time and maximum resident set size.
fn timed(bin: &Path, args: &[&str]) -> Result<Measured> {
    let output = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(bin)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .context("run /usr/bin/time")?;
    let text = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        bail!("{} {args:?} failed:\n{text}", bin.display());
    }
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(str::trim)
    };
    let wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss):").context("no wall time")?;
    let wall_s = wall
        .split(':')
        .try_fold(0.0, |acc, part| part.parse::<f64>().map(|v| acc * 60.0 + v))?;
    let peak_kib: f64 = field("Maximum resident set size (kbytes):")
        .context("no RSS")?
        .parse()?;
    Ok(Measured {
        wall_s,
        peak_mib: peak_kib / 1024.0,
        log: text,
    })
}

pub(crate) fn run() -> Result<()> {
    for tool in ["wrk", "nginx"] {
        if !have(tool) && !Path::new("/usr/sbin/nginx").exists() {
            bail!("{tool} is missing; `cargo xtask setup` installs it");
        }
    }
    exec(cargo().args(["build", "--release", "-p", "unified-blocklist-cli"]))?;
    let bin = target_dir().join("release/unified-blocklist");
    let work = std::env::temp_dir().join(format!("bench-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let out = work.join("out");
    let state = work.join("state");
    let (out_s, state_s) = (
        out.to_str().unwrap_or_default(),
        state.to_str().unwrap_or_default(),
    );

    // 1. Fresh updates (each from an empty output and state).
    let (mut walls, mut peaks) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work)?;
        let m = timed(&bin, &["update", "--out", out_s, "--state", state_s])?;
        walls.push(m.wall_s);
        peaks.push(m.peak_mib);
    }
    println!(
        "update, embedded snapshot, fresh state (5 runs): median wall {:.3} s (goal < 1 s), median peak RSS {:.1} MiB",
        median(&walls),
        median(&peaks)
    );

    // 2. No-change updates.
    let (mut walls, mut peaks) = (Vec::new(), Vec::new());
    let mut line = String::new();
    for _ in 0..5 {
        let m = timed(&bin, &["update", "--out", out_s, "--state", state_s])?;
        walls.push(m.wall_s);
        peaks.push(m.peak_mib);
        line = m
            .log
            .lines()
            .find(|l| l.contains("no change"))
            .map(str::to_owned)
            .context("the run was not a no-change run")?;
    }
    println!(
        "update, nothing changed (5 runs): median wall {:.3} s, median peak RSS {:.1} MiB; {}",
        median(&walls),
        median(&peaks),
        line.split("unified_blocklist: ").nth(1).unwrap_or(&line)
    );

    // 3. serve vs nginx on the same publication.
    let csv = std::fs::canonicalize(out.join("jednotny-seznam.csv"))?;
    let size = std::fs::metadata(&csv)?.len();
    let ours_port = free_port()?;
    let mut ours = with_unit_nofile(&bin);
    ours.args([
        "serve",
        "--out",
        out_s,
        "--listen",
        &format!("127.0.0.1:{ours_port}"),
    ])
    .env("RUST_LOG", "warn")
    .stdout(Stdio::null());
    let _ours = ServerProcess::spawn("unified-blocklist serve", &mut ours)?;
    let ours_addr: SocketAddr = format!("127.0.0.1:{ours_port}").parse()?;
    wait_for_port(ours_addr, Duration::from_secs(20))?;

    let nginx_port = free_port()?;
    let conf = work.join("nginx.conf");
    let root = std::fs::canonicalize(&out)?;
    std::fs::write(
        &conf,
        format!(
            "worker_processes 2;\npid {pid};\nerror_log {err};\ndaemon off;\nevents {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  sendfile on;\n  types {{ text/csv csv; }}\n  charset utf-8;\n  charset_types text/csv;\n  etag on;\n\
             server {{\n    listen 127.0.0.1:{nginx_port};\n    root {root};\n    location / {{ allow 127.0.0.1; deny all; }}\n  }}\n}}\n",
            pid = work.join("nginx.pid").display(),
            err = work.join("nginx-error.log").display(),
            root = root.display(),
        ),
    )?;
    let nginx_bin = if have("nginx") {
        "nginx"
    } else {
        "/usr/sbin/nginx"
    };
    let _nginx = ServerProcess::spawn("nginx", Command::new(nginx_bin).arg("-c").arg(&conf))?;
    let nginx_addr: SocketAddr = format!("127.0.0.1:{nginx_port}").parse()?;
    wait_for_port(nginx_addr, Duration::from_secs(10))?;

    let seconds = 5;
    println!(
        "load average before the wrk runs: {}",
        crate::util::load_average()
    );
    let paired = PairedWrk::run(
        &format!("http://{ours_addr}/jednotny-seznam.csv"),
        &format!("http://{nginx_addr}/jednotny-seznam.csv"),
        seconds,
    )?;
    paired.require_success()?;
    println!("runs: {}", paired.rounds("unified-blocklist", "nginx"));
    println!(
        "serve jednotny-seznam.csv ({size} B), wrk -t2 -c64 -d{seconds}s, same file, median of {WRK_ROUNDS} interleaved: unified-blocklist {:.0} req/s, nginx {:.0} req/s, ratio {:.2} (goal >= 1.0)",
        paired.ours_median(),
        paired.reference_median(),
        paired.ratio()
    );

    // 4. Idle connections.
    let idle = hold_idle(ours_addr, "/jednotny-seznam.csv", IDLE_GOAL)?;
    println!("{}", idle.report("unified-blocklist serve"));
    println!("load average: {}", crate::util::load_average());
    Ok(())
}
