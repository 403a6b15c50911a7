//! What the server's end-to-end tests share: the binary, started and killed by its pid.
#![allow(dead_code)] // each test file uses its own part

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_czso-media-feed");

pub fn cli(args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

pub struct Server {
    pub child: Child,
    pub public: SocketAddr,
    pub admin: String,
    /// The config it runs with (the CLI reads the admin token through it).
    pub config: PathBuf,
}

impl Server {
    pub fn start(config: &Path) -> Self {
        Self::start_with_env(config, &[])
    }

    pub fn start_with_env(config: &Path, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--config", config.to_str().unwrap()])
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut public = None;
        let mut admin = None;
        while admin.is_none() {
            let line = lines
                .next()
                .expect("server exited before listening")
                .unwrap();
            if let Some(a) = line.strip_prefix("public http://") {
                public = Some(a.parse().unwrap());
            } else if let Some(a) = line.strip_prefix("admin ") {
                admin = Some(a.to_owned());
            }
        }
        Self {
            child,
            public: public.unwrap(),
            admin: admin.unwrap(),
            config: config.to_path_buf(),
        }
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A small simulated PS election served to one registered address.
pub struct Simulated {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub db: String,
    /// The batch files, in order.
    pub batches: Vec<PathBuf>,
}

/// Simulates a PS election of `okrsky` precincts, writes a config with the given cache period
/// and batch interval whose phase is `phase` since 2020, and registers and approves
/// `address` (production and, for the test phase, test).
pub fn simulated(
    okrsky: u32,
    cache_period: f64,
    batch_interval: f64,
    phase: &str,
    address: &str,
) -> Simulated {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let sim = root.join("sim");
    let okrsky = okrsky.to_string();
    let (ok, out) = cli(&[
        "simulate",
        "--out",
        sim.to_str().unwrap(),
        "--okrsky",
        &okrsky,
        "--obce",
        "160",
        "--parties",
        "8",
    ]);
    assert!(ok, "{out}");
    let config = root.join("feed.toml");
    std::fs::write(
        &config,
        format!(
            "database = \"feed.sqlite\"\nlisten = [\"127.0.0.1:0\"]\nadmin_listen = \"127.0.0.1:0\"\n\
             cache_period_secs = {cache_period}\nbatch_interval_secs = {batch_interval}\nreload_interval_secs = 0.1\nlog_dir = \"logs\"\n\
             [[election]]\ndefinition = \"sim/definition.json\"\nschedule = [{{ at = \"2020-01-01T00:00\", phase = \"{phase}\" }}]\n"
        ),
    )
    .unwrap();
    let db = root.join("feed.sqlite").to_str().unwrap().to_owned();
    let kind = if phase == "test" {
        "--test"
    } else {
        "--production"
    };
    let (ok, out) = cli(&[
        "registry",
        "--db",
        &db,
        "add",
        "--name",
        "Redakce",
        "--email",
        "it@redakce.cz",
        "--phone",
        "+420 222 333 444",
        kind,
        address,
    ]);
    assert!(ok, "{out}");
    assert!(cli(&["registry", "--db", &db, "approve", "Redakce"]).0);
    let mut batches: Vec<PathBuf> = std::fs::read_dir(&sim)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    batches.sort();
    Simulated {
        dir,
        config,
        db,
        batches,
    }
}

/// Ingests batch files through the admin endpoint, cutting each as its batch.
pub fn ingest(server: &Server, election: &str, files: &[PathBuf]) {
    let mut args = vec![
        "ingest".to_owned(),
        "--config".into(),
        server.config.display().to_string(),
        "--admin".into(),
        server.admin.clone(),
        "--election".into(),
        election.into(),
        "--cut".into(),
    ];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let (ok, out) = cli(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{out}");
}

/// Waits (at most 60 s: a loaded machine is slow) until `f` holds.
pub fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

/// Waits (at most 60 s: a loaded machine is slow) until the log file `path` holds a line
/// for which `wanted` is true, and returns the file's text. The server writes its logs on a
/// timer, so a request's line comes some time after its answer.
pub fn wait_for_log_line(path: &Path, what: &str, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => panic!("cannot read {}: {e}", path.display()),
        };
        if text.lines().any(&wanted) {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no line with {what} in {} after 60 s; it holds:\n{text}",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A body without the value of `DATUM_CAS_GENEROVANI`.
pub fn without_timestamp(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body).into_owned();
    let start = text.find("DATUM_CAS_GENEROVANI=\"").unwrap() + 22;
    let end = start + text[start..].find('"').unwrap();
    format!("{}{}", &text[..start], &text[end..])
}
