//! Tier `interop` (`cargo xtask interop`): `nkod-client` against the software NKOD runs.
//!
//! Starts OpenLink Virtuoso (Debian `virtuoso-opensource`, the engine behind
//! data.gov.cz/sparql) and @ldf/server 3 (npm, the server behind data.gov.cz/ldf) on loopback,
//! loads the same snapshot (`testdata/nkod/snapshot.trig`, rendered with absolute download
//! URLs by `nkod-server render`) into each, and runs `crates/nkod-client/tests/interop.rs` with
//! `--ignored`. The tests compare both servers' answers with a local `nkod-server` over the same
//! snapshot, listening on the port the download URLs name, and measure the change check's cost,
//! also for Comunica (`@comunica/query-sparql`) over the same TPF server.

use crate::util::{
    ServerProcess, cargo, exec, free_port, have, project_root, tier_tests, wait_for_port,
};
use anyhow::{Context, Result, bail};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A free loopback port (bound, then released for the server to take).
fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A scratch directory removed when the tier ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn run() -> Result<()> {
    let root = project_root();
    let node_bin = root.join("xtask/deps/node_modules/.bin");
    let ldf_server = node_bin.join("ldf-server");
    let comunica = root.join("xtask/deps/comunica/node_modules/.bin/comunica-sparql");
    for (ok, what) in [
        (
            have("virtuoso-t") && have("isql-vt"),
            "virtuoso-t and isql-vt (Debian virtuoso-opensource)",
        ),
        (have("node"), "node"),
        (
            ldf_server.is_file(),
            "xtask/deps/node_modules/.bin/ldf-server (npm @ldf/server)",
        ),
        (
            comunica.is_file(),
            "xtask/deps/comunica/node_modules/.bin/comunica-sparql (npm @comunica/query-sparql)",
        ),
    ] {
        if !ok {
            bail!("tier interop needs {what}; run `cargo xtask setup`");
        }
    }
    let scratch =
        Scratch(std::env::temp_dir().join(format!("nkod-interop-{}", std::process::id())));
    let dir = &scratch.0;
    std::fs::create_dir_all(dir)?;

    // Ports: nkod-server (in the tests; the download URLs name it), Virtuoso (isql, HTTP),
    // @ldf/server, and the counting proxy in front of it that the tests run.
    let files_port = free_port()?;
    let isql_port = free_port()?;
    let virtuoso_http_port = free_port()?;
    let ldf_port = free_port()?;
    let ldf_proxy_port = free_port()?;
    let base = format!("http://127.0.0.1:{files_port}/");

    let snapshot = dir.join("snapshot.trig");
    exec(
        cargo()
            .args([
                "run",
                "--quiet",
                "-p",
                "nkod-server-cli",
                "--",
                "render",
                "--snapshot",
            ])
            .arg(root.join("testdata/nkod/snapshot.trig"))
            .args(["--base", &base, "--format", "trig", "--output"])
            .arg(&snapshot),
    )?;

    let virtuoso = start_virtuoso(dir, isql_port, virtuoso_http_port, &snapshot)?;
    let ldf = start_ldf_server(dir, &ldf_server, ldf_port, ldf_proxy_port, &snapshot)?;

    let result = exec(
        tier_tests("nkod-client", "interop")
            .args(["--test-threads=1", "--nocapture"])
            .env("NKOD_INTEROP_BASE", &base)
            .env(
                "NKOD_INTEROP_SPARQL",
                format!("http://127.0.0.1:{virtuoso_http_port}/sparql"),
            )
            .env("NKOD_INTEROP_LDF_UPSTREAM", format!("127.0.0.1:{ldf_port}"))
            .env(
                "NKOD_INTEROP_LDF_PROXY",
                format!("127.0.0.1:{ldf_proxy_port}"),
            )
            .env("NKOD_INTEROP_COMUNICA", &comunica),
    );
    drop(ldf);
    drop(virtuoso);
    result
}

fn start_virtuoso(
    dir: &Path,
    isql_port: u16,
    http_port: u16,
    snapshot: &Path,
) -> Result<ServerProcess> {
    let db = dir.join("virtuoso");
    std::fs::create_dir_all(&db)?;
    let template = std::fs::read_to_string("/etc/virtuoso-opensource-7/virtuoso.ini")
        .context("cannot read /etc/virtuoso-opensource-7/virtuoso.ini")?;
    let data_dir = snapshot.parent().unwrap_or(dir).display().to_string();
    let mut section = String::new();
    let mut ini = String::new();
    for line in template.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed.to_owned();
        }
        let key = trimmed.split('=').next().unwrap_or("").trim();
        let value_path = |file: &str| format!("{key} = {}", db.join(file).display());
        let replaced = match (section.as_str(), key) {
            ("[Database]", "DatabaseFile") => value_path("virtuoso.db"),
            ("[Database]", "ErrorLogFile") => value_path("virtuoso.log"),
            ("[Database]", "LockFile") => value_path("virtuoso.lck"),
            ("[Database]", "TransactionFile") => value_path("virtuoso.trx"),
            ("[Database]", "xa_persistent_file") => value_path("virtuoso.pxa"),
            ("[TempDatabase]", "DatabaseFile") => value_path("virtuoso-temp.db"),
            ("[TempDatabase]", "TransactionFile") => value_path("virtuoso-temp.trx"),
            ("[Parameters]", "ServerPort") => format!("ServerPort = 127.0.0.1:{isql_port}"),
            ("[HTTPServer]", "ServerPort") => format!("ServerPort = 127.0.0.1:{http_port}"),
            ("[Parameters]", "DirsAllowed") => {
                format!("DirsAllowed = ., /usr/share/virtuoso-opensource-7/vad, {data_dir}")
            }
            _ => line.to_owned(),
        };
        ini.push_str(&replaced);
        ini.push('\n');
    }
    let ini_path = dir.join("virtuoso.ini");
    std::fs::write(&ini_path, ini)?;
    let server = ServerProcess::spawn(
        "virtuoso",
        Command::new("virtuoso-t")
            .arg("+configfile")
            .arg(&ini_path)
            .arg("+foreground")
            .current_dir(&db),
    )?;
    wait_for_port(loopback(isql_port), Duration::from_secs(60))?;
    wait_for_port(loopback(http_port), Duration::from_secs(60))?;
    // TTLP_MT flag 256: the text is TriG, quads go to their named graphs.
    let load = format!(
        "DB.DBA.TTLP_MT(file_to_string_output('{}'), '', 'urn:nkod-interop:default', 256); checkpoint;",
        snapshot.display()
    );
    exec(
        Command::new("isql-vt")
            .arg(isql_port.to_string())
            .args(["dba", "dba"])
            .arg(format!("exec={load}")),
    )?;
    Ok(server)
}

fn start_ldf_server(
    dir: &Path,
    program: &Path,
    port: u16,
    public_port: u16,
    snapshot: &Path,
) -> Result<LdfServer> {
    // URLs in the fragments name the counting proxy the tests put in front of the server.
    let config = ldf_server_config(public_port, snapshot);
    let config_path = dir.join("ldf-config.json");
    std::fs::write(&config_path, config)?;
    let master = ServerProcess::spawn(
        "ldf-server",
        Command::new(program)
            .arg(&config_path)
            .arg(port.to_string())
            .arg("1")
            // Without it, ldf-server instantiates `urn:ldf-server:my`, whatever the file says.
            .arg(CONFIG_ID)
            .current_dir(dir),
    )?;
    wait_for_port(loopback(port), Duration::from_secs(60))?;
    let workers = children_of(master.pid());
    Ok(LdfServer {
        master: Some(master),
        workers,
    })
}

/// The config's `@id`: `ldf-server` instantiates the id given as its fourth argument, and the
/// imported preset (`preset-qpf:config-defaults.json`) gives this one its server type.
const CONFIG_ID: &str = "urn:ldf-server:my";

fn ldf_server_config(public_port: u16, snapshot: &Path) -> String {
    let file = snapshot
        .display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    format!(
        r#"{{
  "@context": "https://linkedsoftwaredependencies.org/bundles/npm/@ldf/server/^3.0.0/components/context.jsonld",
  "@id": "{CONFIG_ID}",
  "import": "preset-qpf:config-defaults.json",
  "title": "Národní katalog otevřených dat - Triple Pattern Fragments Server (interop test)",
  "baseURL": "http://127.0.0.1:{public_port}/",
  "datasources": [
    {{ "@id": "urn:ldf-server:nkod-ldf", "@type": "N3Datasource", "datasourceTitle": "nkod-ldf",
      "description": "NKOD snapshot", "datasourcePath": "nkod-ldf", "file": "{file}" }}
  ]
}}
"#
    )
}

/// @ldf/server forks its workers: stop the master by pid, then make sure each worker is gone.
struct LdfServer {
    master: Option<ServerProcess>,
    workers: Vec<u32>,
}

impl Drop for LdfServer {
    fn drop(&mut self) {
        drop(self.master.take());
        for pid in &self.workers {
            let alive = || Path::new(&format!("/proc/{pid}")).exists();
            for _ in 0..50 {
                if !alive() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            if alive() {
                let _ = Command::new("kill").arg(pid.to_string()).status();
                eprintln!("stopped ldf-server worker (pid {pid})");
            }
        }
    }
}

/// Child process ids of `parent`, from /proc.
fn children_of(parent: u32) -> Vec<u32> {
    // Workers start after the master listens; give them a moment.
    std::thread::sleep(Duration::from_millis(500));
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                // Fields after the parenthesised command name: state, ppid, …
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
                    == Some(parent)
            })
        })
        .collect()
}
