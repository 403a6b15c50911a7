//! Idle connections held while a normal client is still served: the figure the servers' file
//! limit exists for. Once, at the usual 1,024 open files, 1,100 idle connections stopped
//! `unified-blocklist serve` serving anyone.
//!
//! The server runs with the systemd unit's `LimitNOFILE` ([`UNIT_NOFILE`], under `prlimit`),
//! or the hard limit of this machine where that is lower (a container may not raise it);
//! this process raises its own limit the same way. Each idle connection makes one `HEAD`
//! request and then stays open, as a keep-alive client between polls does; then a normal
//! client fetches the document on new connections, timed; then the idle connections still
//! open are counted (none may have been closed to make room: the limit is far above them).

use anyhow::{Context, Result, bail};
use opendata_http::client::{Client, Connection, Request};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

/// `LimitNOFILE` of the project's systemd units (`dist/systemd/*.service`).
pub(crate) const UNIT_NOFILE: u32 = 65_536;

/// Idle connections the goal asks for.
pub(crate) const IDLE_GOAL: usize = 10_000;

/// Normal requests timed while the idle connections are held.
const PROBES: usize = 50;

/// This process's hard limit of open files (`/proc/self/limits`).
fn hard_nofile() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let hard = line.split_whitespace().nth(4)?;
    if hard == "unlimited" {
        return Some(u64::MAX);
    }
    hard.parse().ok()
}

/// The file limit the benchmarks use: the units' unless the hard limit is lower.
pub(crate) fn nofile() -> u64 {
    hard_nofile().map_or(u64::from(UNIT_NOFILE), |h| h.min(u64::from(UNIT_NOFILE)))
}

/// A command run under the units' file limit (see [`nofile`]).
pub(crate) fn with_unit_nofile(bin: &std::path::Path) -> Command {
    let n = nofile();
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--nofile={n}:{n}")).arg("--").arg(bin);
    cmd
}

/// What one run measured.
pub(crate) struct IdleRun {
    pub(crate) opened: usize,
    pub(crate) still_open: usize,
    /// Milliseconds of each normal request (connect, request, whole answer), sorted.
    pub(crate) probes_ms: Vec<f64>,
    pub(crate) open_secs: f64,
}

impl IdleRun {
    pub(crate) fn report(&self, server: &str) -> String {
        let p = |q: f64| {
            let i = ((self.probes_ms.len() as f64 - 1.0) * q).round() as usize;
            self.probes_ms.get(i).copied().unwrap_or(f64::NAN)
        };
        format!(
            "{server}: {} idle keep-alive connections opened in {:.1} s, {} still open after the probes; \
             a normal GET on a new connection meanwhile ({PROBES} requests): median {:.1} ms, p95 {:.1} ms, max {:.1} ms \
             (goal: {IDLE_GOAL} held, < 100 ms; server open-file limit {}, the unit's LimitNOFILE={UNIT_NOFILE} or this machine's hard limit if lower)",
            self.opened,
            self.open_secs,
            self.still_open,
            p(0.5),
            p(0.95),
            p(1.0),
            nofile()
        )
    }
}

/// Raises this process's open-file limit to [`nofile`].
fn raise_own_limit(count: usize) -> Result<()> {
    let n = nofile();
    if n < count as u64 + 100 {
        bail!("the hard limit of open files ({n}) is too low for {count} connections");
    }
    let status = Command::new("prlimit")
        .args([
            "--pid",
            &std::process::id().to_string(),
            &format!("--nofile={n}:{n}"),
        ])
        .status()
        .context("run prlimit")?;
    if !status.success() {
        bail!("prlimit could not raise this process's open-file limit to {n}");
    }
    Ok(())
}

/// Whether the server has closed `conn` (a readable end of stream or an error).
fn closed(conn: &Connection) -> bool {
    let stream = conn.stream();
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let mut byte = [0u8; 1];
    let result = stream.peek(&mut byte);
    let _ = stream.set_nonblocking(false);
    match result {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != ErrorKind::WouldBlock,
    }
}

/// Opens `count` idle connections to `addr` (one `HEAD target` each), then times `PROBES`
/// normal `GET target` requests on new connections.
pub(crate) fn hold_idle(addr: SocketAddr, target: &str, count: usize) -> Result<IdleRun> {
    raise_own_limit(count)?;
    let client = Client::new(addr).timeout(Duration::from_secs(10));
    let started = Instant::now();
    let mut idle = Vec::with_capacity(count);
    for i in 0..count {
        let mut conn = client
            .connect()
            .with_context(|| format!("idle connection {i}: connect"))?;
        let reply = conn
            .send(&Request::head(target).keep_alive())
            .with_context(|| format!("idle connection {i}: HEAD {target}"))?;
        if reply.status != 200 {
            bail!(
                "idle connection {i}: HEAD {target} answered {}",
                reply.status
            );
        }
        idle.push(conn);
    }
    let open_secs = started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(1));
    let mut probes_ms = Vec::with_capacity(PROBES);
    for i in 0..PROBES {
        let t = Instant::now();
        let reply = client
            .get(target, &[])
            .with_context(|| format!("normal request {i} with {count} idle connections open"))?;
        probes_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        if reply.status != 200 {
            bail!("normal request {i}: {}", reply.status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    probes_ms.sort_by(f64::total_cmp);
    let still_open = idle.iter().filter(|c| !closed(c)).count();
    Ok(IdleRun {
        opened: idle.len(),
        still_open,
        probes_ms,
        open_secs,
    })
}
