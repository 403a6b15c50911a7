//! `run` as a process: publishes at start when there is no publication, serves it, and stops
//! cleanly (exit 0) on SIGTERM.

use opendata_http::client::{Client, Reply};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `GET path` with a 5 s timeout; `None` when nothing answers.
fn http_get(addr: &str, path: &str) -> Option<Reply> {
    Client::new(addr.parse().ok()?)
        .timeout(Duration::from_secs(5))
        .get(path, &[])
        .ok()
}

#[test]
fn run_publishes_serves_and_stops_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let config = tmp.path().join("unified-blocklist.toml");
    std::fs::write(
        &config,
        format!(
            "out = \"{out}\"\nstate = \"{state}\"\nlisten = \"{addr}\"\nupdate_at = \"22:00\"\n\
             time_zone = \"Europe/Prague\"\n[dcat]\npublic_url = \"https://seznam.example.cz/\"\n",
            out = tmp.path().join("out").display(),
            state = tmp.path().join("state").display(),
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_unified-blocklist"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let health = loop {
        if let Some(reply) = http_get(&addr, "/healthz")
            && reply.status == 200
        {
            break reply;
        }
        assert!(Instant::now() < deadline, "run never published and served");
        std::thread::sleep(Duration::from_millis(200));
    };
    let health = health.text();
    assert!(health.contains("\"status\":\"ok\""), "{health}");
    let csv = http_get(&addr, "/jednotny-seznam.csv").unwrap();
    assert!(
        csv.text()
            .contains("URL,DATUM_ZAPISU,DATUM_VYMAZU,ZDROJ,NAZEV_DATOVE_SADY")
    );

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "run did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(exit.success(), "{exit:?}\n{log}");
    assert!(log.contains("next update at"), "{log}");
    assert!(log.contains("SIGTERM"), "{log}");
    assert!(
        http_get(&addr, "/healthz").is_none(),
        "the port is closed after shutdown"
    );
}

#[test]
fn a_bad_config_is_refused_with_exit_code_2() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("bad.toml");
    std::fs::write(&config, "update_at = \"25:61\"\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_unified-blocklist"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("update_at"),
        "{stderr}"
    );
}

#[test]
fn run_retries_with_backoff_while_the_catalogue_is_down() {
    let tmp = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let config = tmp.path().join("unified-blocklist.toml");
    std::fs::write(
        &config,
        format!(
            "nkod = \"http://127.0.0.1:9/\"\nout = \"{out}\"\nstate = \"{state}\"\nlisten = \"{addr}\"\n\
             retry_initial_secs = 1\nretry_max_secs = 2\nattempts = 1\nrequest_timeout_secs = 1\n",
            out = tmp.path().join("out").display(),
            state = tmp.path().join("state").display(),
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_unified-blocklist"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Up while failing: /healthz says there is no publication.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(reply) = http_get(&addr, "/healthz")
            && reply.status == 503
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "run does not serve while the update fails"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(4));
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let exit = child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(exit.success(), "{log}");
    assert!(log.contains("retry 1 in 1s"), "{log}");
    assert!(log.contains("retry 2 in 2s"), "{log}");
    assert!(log.contains("catalogue"), "{log}");
    assert!(
        !tmp.path().join("out").exists(),
        "nothing is published from a failed update"
    );
}
