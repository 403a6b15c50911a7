//! The refusal log under a flood, end to end: once 17,000 refusals with long URLs in 5 s
//! grew `refused.log` by 600 MB (every URL whole, every refusal a line, no rotation).

use opendata_http::client::{Client, Request};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::{Server, cli};

/// A simulated election in `test` phase with nobody registered, and `[logs]` as given.
fn setup(logs: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let sim = dir.path().join("sim");
    let (ok, out) = cli(&[
        "simulate",
        "--out",
        sim.to_str().unwrap(),
        "--okrsky",
        "50",
        "--obce",
        "20",
        "--parties",
        "4",
    ]);
    assert!(ok, "{out}");
    let config = dir.path().join("feed.toml");
    std::fs::write(
        &config,
        format!(
            "database = \"feed.sqlite\"\nlisten = [\"127.0.0.1:0\"]\nadmin_listen = \"127.0.0.1:0\"\n\
             batch_interval_secs = 0\nlog_dir = \"logs\"\naccess_log_flush_secs = 0.05\n\
             [logs]\n{logs}\n\
             [[election]]\ndefinition = \"sim/definition.json\"\nschedule = [{{ at = \"2020-01-01T00:00\", phase = \"test\" }}]\n"
        ),
    )
    .unwrap();
    (dir, config)
}

/// `count` refused requests from `from` on one keep-alive connection, each for a URL of
/// `url_len` bytes.
fn flood(server: &Server, from: u8, count: usize, url_len: usize) {
    let target = format!(
        "/appdata/ps2025/odata/vysledky.xml?{}",
        "a".repeat(url_len.saturating_sub(35))
    );
    let mut conn = Client::new(server.public)
        .from_source(IpAddr::V4(Ipv4Addr::new(127, 0, 0, from)))
        .connect()
        .unwrap();
    for _ in 0..count {
        let reply = conn
            .send(&Request::get(&target).keep_alive())
            .expect("answered");
        assert_eq!(reply.status, 403);
    }
}

/// SIGTERM, and the exit that writes out every pending line.
fn stop(mut server: Server) {
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn log_files(dir: &Path) -> Vec<(String, u64)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                e.metadata().unwrap().len(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_flood_of_refusals_writes_a_bounded_log_with_the_count_of_the_rest() {
    let (dir, config) = setup("");
    let server = Server::start(&config);
    flood(&server, 99, 3000, 12_000);
    flood(&server, 98, 5, 100);
    stop(server);
    let log = std::fs::read_to_string(dir.path().join("logs/refused.log")).unwrap();
    let from_99: Vec<&str> = log.lines().filter(|l| l.contains(" 127.0.0.99 ")).collect();
    // 20 lines a minute (two if the flood crossed a minute), each URL cut at 256 bytes.
    let logged: Vec<&&str> = from_99.iter().filter(|l| l.contains("\"GET ")).collect();
    assert!((20..=40).contains(&logged.len()), "{}", logged.len());
    for line in &logged {
        assert!(line.len() < 400, "{line}");
        assert!(line.contains("…[+11744 B]\" 403 0 unregistered"), "{line}");
    }
    let suppressed: u64 = from_99
        .iter()
        .filter_map(|l| l.split(" suppressed ").nth(1))
        .map(|rest| rest.split(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(suppressed + logged.len() as u64, 3000, "{log}");
    // Another address is logged whole.
    assert_eq!(
        log.lines()
            .filter(|l| l.contains(" 127.0.0.98 ") && l.ends_with("403 0 unregistered"))
            .count(),
        5
    );
    assert!(log.len() < 20_000, "{} bytes", log.len());
}

#[test]
fn the_refusal_log_rotates_by_size_keeping_n_files() {
    let (dir, config) = setup(
        "max_file_bytes = 4096\nkeep = 2\nrefusals_per_address_per_minute = 100000\nurl_max_bytes = 64",
    );
    let server = Server::start(&config);
    flood(&server, 97, 400, 1000);
    stop(server);
    let files = log_files(&dir.path().join("logs"));
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["refused.log", "refused.log.1", "refused.log.2"]);
    for (name, size) in &files {
        assert!(*size <= 4096, "{name}: {size} bytes");
    }
    // The newest lines are in refused.log, whole.
    let last = std::fs::read_to_string(dir.path().join("logs/refused.log")).unwrap();
    assert!(
        last.lines().all(|l| l.ends_with("403 0 unregistered")),
        "{last}"
    );
}
