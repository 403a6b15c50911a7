//! Small process helpers shared by the tasks.

use anyhow::{Context, Result, bail};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// The workspace root (the parent of `xtask/`).
///
/// Taken from `CARGO_MANIFEST_DIR` as `cargo run` sets it at run time, not as it was at compile
/// time: a `target/` copied from another checkout (cargo treats its xtask as fresh) would
/// otherwise build and test that other checkout. The compile-time value is the fallback when
/// the binary is run directly.
pub(crate) fn project_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// A `cargo` command run from the workspace root.
pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(project_root());
    cmd
}

/// `cargo test -p PACKAGE --test TEST -- --ignored`: a tier's tests, which are `#[ignore]`d in
/// plain `cargo test`. Append further test-harness flags with `.arg(…)`. With
/// `XTASK_TIER_RELEASE=1` they are built in release mode (`--release`), as timing-dependent
/// tests must pass in both.
pub(crate) fn tier_tests(package: &str, test: &str) -> Command {
    let mut cmd = cargo();
    cmd.args(["test", "-p", package, "--test", test]);
    if std::env::var_os("XTASK_TIER_RELEASE").is_some_and(|v| v == "1") {
        cmd.arg("--release");
    }
    cmd.args(["--", "--ignored"]);
    cmd
}

/// Cargo's target directory (`CARGO_TARGET_DIR` or `target/` under the workspace root).
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| project_root().join("target"), PathBuf::from)
}

/// A loopback port that is free right now (the OS picks it).
pub(crate) fn free_port() -> Result<u16> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback port")?;
    Ok(listener.local_addr()?.port())
}

/// One `wrk -t2 -c64 -dNs URL` run on loopback.
pub(crate) struct WrkRun {
    /// wrk's `Requests/sec`.
    pub(crate) requests_per_sec: f64,
    /// wrk's `Non-2xx or 3xx responses` line, when it printed one.
    pub(crate) non_2xx: Option<String>,
}

/// Runs wrk against `url` for `seconds` and reads its summary.
pub(crate) fn wrk(url: &str, seconds: u32) -> Result<WrkRun> {
    let output = Command::new("wrk")
        .args(["-t2", "-c64", &format!("-d{seconds}s"), url])
        .output()
        .context("run wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    let requests_per_sec = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("wrk printed no Requests/sec for {url}:\n{text}"))?;
    let non_2xx = text
        .lines()
        .find(|l| l.contains("Non-2xx"))
        .map(|l| l.trim().to_owned());
    Ok(WrkRun {
        requests_per_sec,
        non_2xx,
    })
}

/// Interleaved wrk rounds against our server and its reference (nginx) on the same content:
/// the machine is shared and its load drifts during a run, so each round runs both, and the
/// figures are the medians.
pub(crate) struct PairedWrk {
    pub(crate) ours: Vec<f64>,
    pub(crate) reference: Vec<f64>,
    /// wrk's `Non-2xx` lines of the last round (ours, reference), for refusal benchmarks.
    pub(crate) non_2xx: (Option<String>, Option<String>),
}

/// Rounds of [`PairedWrk`]: enough that one disturbed run does not move the median.
pub(crate) const WRK_ROUNDS: usize = 5;

impl PairedWrk {
    /// Runs [`WRK_ROUNDS`] rounds of `seconds` each, ours first in every round.
    pub(crate) fn run(ours_url: &str, reference_url: &str, seconds: u32) -> Result<Self> {
        let mut paired = PairedWrk {
            ours: Vec::new(),
            reference: Vec::new(),
            non_2xx: (None, None),
        };
        for _ in 0..WRK_ROUNDS {
            let ours = wrk(ours_url, seconds)?;
            let reference = wrk(reference_url, seconds)?;
            paired.ours.push(ours.requests_per_sec);
            paired.reference.push(reference.requests_per_sec);
            paired.non_2xx = (ours.non_2xx, reference.non_2xx);
        }
        Ok(paired)
    }

    /// Fails when either side answered anything but 2xx (a refusal benchmark expects it; a
    /// throughput comparison is meaningless with it).
    pub(crate) fn require_success(&self) -> Result<()> {
        if self.non_2xx.0.is_some() || self.non_2xx.1.is_some() {
            bail!(
                "non-2xx answers make the comparison meaningless: {:?}",
                self.non_2xx
            );
        }
        Ok(())
    }

    pub(crate) fn ours_median(&self) -> f64 {
        median(&self.ours)
    }

    pub(crate) fn reference_median(&self) -> f64 {
        median(&self.reference)
    }

    /// Ours over the reference, of the medians.
    pub(crate) fn ratio(&self) -> f64 {
        self.ours_median() / self.reference_median()
    }

    /// Every round's figures, for the report.
    pub(crate) fn rounds(&self, ours: &str, reference: &str) -> String {
        format!(
            "{ours} {:.0?}, {reference} {:.0?} req/s",
            self.ours, self.reference
        )
    }
}

/// The median of a non-empty sample (the upper one of an even count); NaN when empty.
pub(crate) fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Runs a command to completion, echoing it first; fails on a non-zero exit.
pub(crate) fn exec(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("cannot start `{}`", describe(cmd)))?;
    if !status.success() {
        bail!("`{}` failed with {status}", describe(cmd));
    }
    Ok(())
}

/// Runs `cmd` to completion and returns its output; fails naming the command when it cannot
/// start or exits unsuccessfully, with what it printed.
pub(crate) fn capture(cmd: &mut Command) -> Result<std::process::Output> {
    let output = cmd
        .output()
        .with_context(|| format!("cannot start `{}`", describe(cmd)))?;
    if !output.status.success() {
        bail!(
            "`{}` failed with {}:\n{}{}",
            describe(cmd),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    Ok(output)
}

/// Whether this process runs as root.
pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// `program` run as root: directly when this process is root (CI), else through `sudo`.
pub(crate) fn as_root(program: &str) -> Command {
    if is_root() {
        Command::new(program)
    } else {
        let mut cmd = Command::new("sudo");
        cmd.arg(program);
        cmd
    }
}

/// Whether the Debian package `package` is installed (`dpkg-query`: "install ok installed").
pub(crate) fn dpkg_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
}

/// Whether a program is on `PATH`.
pub(crate) fn have(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn describe(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// A background server started by a task, stopped by its own pid when dropped.
pub(crate) struct ServerProcess {
    name: String,
    child: Child,
}

impl ServerProcess {
    /// Starts `cmd` in the background.
    pub(crate) fn spawn(name: &str, cmd: &mut Command) -> Result<Self> {
        eprintln!("$ {} &", describe(cmd));
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {name}: `{}`", describe(cmd)))?;
        Ok(Self {
            name: name.to_owned(),
            child,
        })
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // SIGTERM first so servers can clean up; then make sure.
        let _ = Command::new("kill").arg(self.pid().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                eprintln!("stopped {} (pid {})", self.name, self.pid());
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        eprintln!("killed {} (pid {})", self.name, self.pid());
    }
}

/// Waits until something accepts TCP connections on `addr`.
pub(crate) fn wait_for_port(addr: SocketAddr, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("nothing listens on {addr} after {timeout:?}")
}

/// The 1-, 5- and 15-minute load averages, printed beside every benchmark figure.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// The directory of every workspace member (`cargo metadata --no-deps`: each package's
/// `"manifest_path"`; JSON-escaped characters do not occur in this checkout's paths).
pub(crate) fn workspace_member_dirs() -> Result<Vec<PathBuf>> {
    let output =
        capture(cargo().args(["metadata", "--no-deps", "--format-version", "1", "--locked"]))?;
    let json = String::from_utf8(output.stdout).context("cargo metadata printed non-UTF-8")?;
    const KEY: &str = "\"manifest_path\":\"";
    let dirs: Vec<PathBuf> = json
        .split(KEY)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter_map(|manifest| Path::new(manifest).parent().map(Path::to_path_buf))
        .collect();
    if dirs.is_empty() {
        bail!("cargo metadata listed no workspace member");
    }
    Ok(dirs)
}

/// The name of the package whose manifest is in `dir` (`name = "…"` of its `[package]` table).
pub(crate) fn package_name(dir: &Path) -> Result<String> {
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    text.lines()
        .skip_while(|line| line.trim() != "[package]")
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "name").then(|| value.trim().trim_matches('"').to_owned())
        })
        .with_context(|| format!("{}: no name in [package]", manifest.display()))
}
