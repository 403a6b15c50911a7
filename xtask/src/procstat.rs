//! CPU time and peak memory of a process, from Linux's `/proc`: what the benchmarks report.
//!
//! Shared by the xtask binary (the servers it starts, by pid) and the `ingest` benchmark
//! (`benches/ingest.rs`, its own process), which includes this file as a module.

use anyhow::{Context, Result};
use std::process::Command;
use std::sync::OnceLock;

/// `/proc/<pid>/…`, or `/proc/self/…` for `None`.
fn proc_file(pid: Option<u32>, file: &str) -> String {
    match pid {
        Some(pid) => format!("/proc/{pid}/{file}"),
        None => format!("/proc/self/{file}"),
    }
}

/// Clock ticks per second of `/proc/*/stat`'s times (`getconf CLK_TCK`, asked once; 100 on
/// Linux when getconf is missing).
fn ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// CPU seconds (user + system) the process has used so far.
pub(crate) fn cpu_seconds(pid: Option<u32>) -> Result<f64> {
    let path = proc_file(pid, "stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    // The fields after the command name (which may hold spaces and parentheses) start after
    // the last ')': utime and stime are fields 14 and 15 of proc(5), here 11 and 12.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |index: usize| -> Result<f64> {
        fields
            .get(index)
            .with_context(|| format!("{path}: fewer than {} fields", index + 3))?
            .parse::<f64>()
            .with_context(|| format!("{path}: field {} is not a number", index + 3))
    };
    Ok((ticks(11)? + ticks(12)?) / ticks_per_second())
}

/// Peak resident memory of the process (`VmHWM` of `/proc/<pid>/status`), in KiB.
pub(crate) fn peak_rss_kib(pid: Option<u32>) -> Result<u64> {
    let path = proc_file(pid, "status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    let value = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .with_context(|| format!("{path}: no VmHWM line"))?;
    value
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .with_context(|| format!("{path}: VmHWM `{}` is not a number of kB", value.trim()))
}
