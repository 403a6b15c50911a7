//! The server binary end to end on loopback: access control from many 127.0.0.x source
//! addresses, phases, hot reload, conditional GET and gzip, restart and kill -9.

use opendata_http::client::{Client, Reply};
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::{Server, cli, wait_for_log_line, wait_until, without_timestamp};

/// One request from source address `from` (a 127.0.0.x address), on a new connection.
fn get_from(from: Ipv4Addr, server: SocketAddr, path: &str, extra: &[(&str, &str)]) -> Reply {
    Client::new(server)
        .from_source(IpAddr::V4(from))
        .get(path, extra)
        .unwrap()
}

fn ip(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, last)
}

struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
    config: PathBuf,
    db: String,
}

/// A small simulated election, a config in `test` phase since 2020, and a registry.
fn setup(batch_interval: f64) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let sim = root.join("sim");
    let (ok, out) = cli(&[
        "simulate",
        "--out",
        sim.to_str().unwrap(),
        "--okrsky",
        "600",
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
             trusted_proxies = [\"127.0.0.70\"]\ncache_period_secs = 0.1\nbatch_interval_secs = {batch_interval}\nreload_interval_secs = 0.1\nlog_dir = \"logs\"\n\
             [[election]]\ndefinition = \"sim/definition.json\"\nschedule = [{{ at = \"2020-01-01T00:00\", phase = \"test\" }}]\n"
        ),
    )
    .unwrap();
    let db = root.join("feed.sqlite").to_str().unwrap().to_owned();
    Setup {
        _dir: dir,
        root,
        config,
        db,
    }
}

fn batch_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("sim"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    files
}

const VYSLEDKY: &str = "/appdata/ps2025/odata/vysledky.xml";

/// `OKRSKY_ZPRAC` of the national totals (`CR`).
fn cr_processed(body: &[u8]) -> u32 {
    let text = String::from_utf8_lossy(body);
    let cr = &text[text.find("<CR>").expect("CR element")..];
    let v = &cr[cr.find("OKRSKY_ZPRAC=\"").unwrap() + 14..];
    v[..v.find('"').unwrap()].parse().unwrap()
}

#[test]
fn access_control_from_many_source_addresses_and_phases() {
    let s = setup(0.0);
    // Organisation A: five production (127.0.0.11–15) and five test (127.0.0.21–25) addresses.
    let mut args = vec![
        "registry",
        "--db",
        &s.db,
        "add",
        "--name",
        "Redakce A",
        "--email",
        "it@a.cz",
        "--phone",
        "+420 222 111 000",
    ];
    let prod: Vec<String> = (11..=15).map(|i| format!("127.0.0.{i}")).collect();
    let test: Vec<String> = (21..=25).map(|i| format!("127.0.0.{i}")).collect();
    for p in &prod {
        args.extend(["--production", p]);
    }
    for t in &test {
        args.extend(["--test", t]);
    }
    let (ok, out) = cli(&args);
    assert!(ok, "{out}");
    // A sixth production address is refused at registration.
    let (ok, out) = cli(&[
        "registry",
        "--db",
        &s.db,
        "add",
        "--name",
        "Redakce B",
        "--email",
        "it@b.cz",
        "--phone",
        "+420 222 111 001",
        "--production",
        "127.0.0.31",
        "--production",
        "127.0.0.32",
        "--production",
        "127.0.0.33",
        "--production",
        "127.0.0.34",
        "--production",
        "127.0.0.35",
        "--production",
        "127.0.0.36",
    ]);
    assert!(!ok && out.contains("at most 5"), "{out}");
    // An address can belong to one organisation only.
    let (ok, out) = cli(&[
        "registry",
        "--db",
        &s.db,
        "add",
        "--name",
        "Redakce C",
        "--email",
        "it@c.cz",
        "--phone",
        "+420 222 111 002",
        "--production",
        "127.0.0.11",
    ]);
    assert!(
        !ok && out.contains("already belongs to `Redakce A`"),
        "{out}"
    );
    // Requested but not approved: still refused.
    let server = Server::start(&s.config);
    let r = get_from(ip(11), server.public, VYSLEDKY, &[]);
    assert_eq!(r.status, 403);
    let (ok, out) = cli(&["registry", "--db", &s.db, "approve", "Redakce A"]);
    assert!(ok, "{out}");
    // Hot reload: no restart needed.
    wait_until("approval to reach the server", || {
        get_from(ip(11), server.public, VYSLEDKY, &[]).status == 200
    });

    // Test data go to the test channel and are served in the test phase.
    let files = batch_files(&s.root);
    let (ok, out) = cli(&[
        "replay",
        "--config",
        s.config.to_str().unwrap(),
        "--admin",
        &server.admin,
        "--election",
        "ps2025",
        "--channel",
        "test",
        "--speed",
        "0",
        files[0].to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    wait_until("test data published", || {
        cr_processed(&get_from(ip(12), server.public, VYSLEDKY, &[]).body) > 0
    });
    for i in (11..=15).chain(21..=25) {
        let r = get_from(ip(i), server.public, VYSLEDKY, &[]);
        assert_eq!(r.status, 200, "127.0.0.{i} in test phase");
        assert!(r.header("x-data-source").unwrap().contains("CSU"));
    }
    for i in [1, 2, 30, 31, 99, 200] {
        let r = get_from(ip(i), server.public, VYSLEDKY, &[]);
        assert_eq!(r.status, 403, "unregistered 127.0.0.{i}");
        assert!(String::from_utf8_lossy(&r.body).contains("není registrována"));
    }

    // Switch to live: test addresses are cut off, production addresses read live data.
    let (ok, out) = cli(&["phase", "--db", &s.db, "ps2025", "live"]);
    assert!(ok, "{out}");
    wait_until("live phase", || {
        get_from(ip(21), server.public, VYSLEDKY, &[]).status == 403
    });
    for i in 21..=25 {
        let r = get_from(ip(i), server.public, VYSLEDKY, &[]);
        assert_eq!(r.status, 403);
        assert!(String::from_utf8_lossy(&r.body).contains("test address, live phase"));
    }
    for i in 11..=15 {
        let r = get_from(ip(i), server.public, VYSLEDKY, &[]);
        assert_eq!(r.status, 200);
        // No live data yet: the test replay is not shown.
        assert_eq!(cr_processed(&r.body), 0, "live channel is empty");
    }
    let r = get_from(ip(30), server.public, VYSLEDKY, &[]);
    assert_eq!(r.status, 403);
    // X-Forwarded-For counts only from the trusted proxy.
    let xff = [("X-Forwarded-For", "127.0.0.11")];
    assert_eq!(get_from(ip(70), server.public, VYSLEDKY, &xff).status, 200);
    assert_eq!(get_from(ip(71), server.public, VYSLEDKY, &xff).status, 403);
    let spoofed = [("X-Forwarded-For", "127.0.0.99")];
    assert_eq!(
        get_from(ip(70), server.public, VYSLEDKY, &spoofed).status,
        403
    );
    assert_eq!(
        get_from(ip(11), server.public, VYSLEDKY, &spoofed).status,
        200,
        "XFF from a client is ignored"
    );

    // Closed: everybody refused.
    let (ok, out) = cli(&["phase", "--db", &s.db, "ps2025", "closed"]);
    assert!(ok, "{out}");
    wait_until("closed phase", || {
        get_from(ip(11), server.public, VYSLEDKY, &[]).status == 403
    });

    // Access logs per organisation, refused requests apart (written on a timer: each line is
    // waited for).
    wait_for_log_line(
        &s.root.join("logs/organisation-1.log"),
        "127.0.0.13's GET of vysledky.xml answered 200",
        |line| line.contains("127.0.0.13 \"GET /appdata/ps2025/odata/vysledky.xml\" 200"),
    );
    let refused = s.root.join("logs/refused.log");
    wait_for_log_line(&refused, "127.0.0.99 refused as unregistered", |line| {
        line.contains("127.0.0.99") && line.contains("unregistered")
    });
    wait_for_log_line(
        &refused,
        "127.0.0.22 refused as a test address in the live phase",
        |line| line.contains("127.0.0.22") && line.contains("test-address-live"),
    );
}

#[test]
fn registration_deadline_is_enforced() {
    let s = setup(0.0);
    let (ok, out) = cli(&["registry", "--db", &s.db, "deadline", "2020-09-18T23:59:59"]);
    assert!(ok, "{out}");
    let (ok, out) = cli(&[
        "registry",
        "--db",
        &s.db,
        "add",
        "--name",
        "Pozdě",
        "--email",
        "a@b.cz",
        "--phone",
        "+420 222 111 000",
        "--production",
        "127.0.0.40",
    ]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("deadline 2020-09-18T23:59:59") && out.contains("not accepted"),
        "{out}"
    );
    let (ok, out) = cli(&["registry", "--db", &s.db, "deadline", "2999-01-01T00:00"]);
    assert!(ok, "{out}");
    let (ok, out) = cli(&[
        "registry",
        "--db",
        &s.db,
        "add",
        "--name",
        "Včas",
        "--email",
        "a@b.cz",
        "--phone",
        "+420 222 111 000",
        "--production",
        "127.0.0.40",
    ]);
    assert!(ok, "{out}");
    let (ok, out) = cli(&[
        "registry", "--db", &s.db, "add", "--name", "Bad", "--email", "nope", "--phone", "1",
    ]);
    assert!(!ok && out.contains("e-mail"), "{out}");
}

#[test]
fn feeds_restart_conditional_get_and_gzip() {
    let s = setup(0.0);
    for a in [
        vec![
            "registry",
            "--db",
            &s.db,
            "add",
            "--name",
            "R",
            "--email",
            "it@r.cz",
            "--phone",
            "+420 222 111 000",
            "--production",
            "127.0.0.50",
        ],
        vec!["registry", "--db", &s.db, "approve", "R"],
        vec![
            "phase",
            "--db",
            &s.db,
            "ps2025",
            "live",
            "--at",
            "2021-01-01T00:00",
        ],
    ] {
        let (ok, out) = cli(&a);
        assert!(ok, "{out}");
    }
    let server = Server::start(&s.config);
    let files = batch_files(&s.root);
    let paths: Vec<&str> = files[..3].iter().map(|f| f.to_str().unwrap()).collect();
    let mut args = vec![
        "ingest",
        "--config",
        s.config.to_str().unwrap(),
        "--admin",
        &server.admin,
        "--election",
        "ps2025",
        "--cut",
    ];
    args.extend(&paths);
    let (ok, out) = cli(&args);
    assert!(ok, "{out}");
    // Sending the same files again is idempotent.
    let (ok, out) = cli(&args);
    assert!(ok && out.contains("\"accepted\":0"), "{out}");
    wait_until("batch 3 published", || {
        get_from(
            ip(50),
            server.public,
            "/appdata/ps2025/odata/okrsky/vysledky_okrsky_00003.xml",
            &[],
        )
        .status
            == 200
    });
    // vysledky.xml follows on the cache period (0.1 s), not at the cut: in a release build
    // the batch was served before it, and `before` missed the third file's rows.
    let expected = distinct_precincts(&files[..3]);
    wait_until("vysledky.xml with the three files", || {
        cr_processed(&get_from(ip(50), server.public, VYSLEDKY, &[]).body) as usize == expected
    });
    let before = get_from(ip(50), server.public, VYSLEDKY, &[]);
    assert_eq!(before.status, 200);
    let etag = before.header("etag").unwrap().to_owned();
    let r = get_from(ip(50), server.public, VYSLEDKY, &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    let lm = before.header("last-modified").unwrap().to_owned();
    assert_eq!(
        get_from(
            ip(50),
            server.public,
            VYSLEDKY,
            &[("If-Modified-Since", &lm)]
        )
        .status,
        304
    );
    let gz = get_from(
        ip(50),
        server.public,
        VYSLEDKY,
        &[("Accept-Encoding", "gzip, deflate")],
    );
    assert_eq!(gz.header("content-encoding").unwrap(), "gzip");
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, before.body);
    // Not yet: 404 + CHYBA 10 (static), 200 + CHYBA 10 (legacy).
    let r = get_from(
        ip(50),
        server.public,
        "/appdata/ps2025/odata/okrsky/vysledky_okrsky_00004.xml",
        &[],
    );
    assert_eq!(r.status, 404);
    assert!(String::from_utf8_lossy(&r.body).contains("<CHYBA KOD_CHYBY=\"10\"/>"));
    let r = get_from(
        ip(50),
        server.public,
        "/pls/ps2025/vysledky_okrsky?davka=4",
        &[],
    );
    assert_eq!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("<CHYBA KOD_CHYBY=\"10\"/>"));
    let latest = get_from(
        ip(50),
        server.public,
        "/pls/ps2025/vysledky_okrsky?davka=",
        &[],
    );
    assert!(String::from_utf8_lossy(&latest.body).contains("PORADI_DAVKY=\"3\""));
    let okres_static = get_from(
        ip(50),
        server.public,
        "/appdata/ps2025/odata/okresy/vysledky_okres_CZ0312.xml",
        &[],
    );
    let okres_legacy = get_from(
        ip(50),
        server.public,
        "/pls/ps2025/vysledky_okres?nuts=CZ0312",
        &[],
    );
    assert_eq!(okres_static.status, 200);
    assert_eq!(okres_static.body, okres_legacy.body);
    let batch3 = get_from(
        ip(50),
        server.public,
        "/appdata/ps2025/odata/okrsky/vysledky_okrsky_00003.xml",
        &[],
    );
    // The served batch holds exactly the rows of the third file (the batch cut with the
    // ingest covers that ingest's rows, not the previous one's).
    let served = czso_media_feed::xml::parse_batch(&batch3.body, "served", 1).unwrap();
    let sent =
        czso_media_feed::xml::parse_batch(&std::fs::read(&files[2]).unwrap(), "sent", 1).unwrap();
    assert_eq!(served.precincts, sent.precincts);
    assert_eq!(
        served.header.unwrap().processed,
        sent.header.unwrap().processed
    );

    // Restart: everything comes back the same (registry, phase, results, batches).
    server.kill();
    let server = Server::start(&s.config);
    let after = get_from(ip(50), server.public, VYSLEDKY, &[]);
    assert_eq!(after.status, 200);
    assert_eq!(
        without_timestamp(&after.body),
        without_timestamp(&before.body)
    );
    let batch3_again = get_from(
        ip(50),
        server.public,
        "/appdata/ps2025/odata/okrsky/vysledky_okrsky_00003.xml",
        &[],
    );
    assert_eq!(
        batch3_again.body, batch3.body,
        "batch documents are immutable"
    );
    assert_eq!(
        batch3_again.header("etag").unwrap(),
        batch3.header("etag").unwrap()
    );
}

/// Sends batch files one by one (`ingest --config --admin --cut`) until one is not
/// acknowledged; returns every acknowledged file with its batch number.
fn send_until_refused(config: &Path, admin: &str, files: &[PathBuf]) -> Vec<(PathBuf, u32)> {
    let mut acked = Vec::new();
    for f in files {
        let (ok, out) = cli(&[
            "ingest",
            "--config",
            config.to_str().unwrap(),
            "--admin",
            admin,
            "--election",
            "ps2025",
            "--cut",
            f.to_str().unwrap(),
        ]);
        if !ok {
            break;
        }
        let batch: u32 = out
            .split("\"batch\":")
            .nth(1)
            .and_then(|r| r.trim_end_matches(['}', '\n']).parse().ok())
            .unwrap();
        acked.push((f.clone(), batch));
    }
    acked
}

/// Distinct precinct keys in batch files.
fn distinct_precincts(files: &[PathBuf]) -> usize {
    let mut keys = std::collections::HashSet::new();
    for f in files {
        let parsed =
            czso_media_feed::xml::parse_batch(&std::fs::read(f).unwrap(), "src", 1).unwrap();
        keys.extend(parsed.precincts.iter().map(|p| p.key()));
    }
    keys.len()
}

/// `kill -9` while the ingest of batch K+1 is stopped at `point` by the test hook, after K
/// acknowledged batches: whatever the build's speed, the kill lands with an ingest in flight.
fn kill_9_with_an_ingest_stopped_at(point: &str) {
    const K: usize = 3;
    let s = setup(0.0);
    let files = batch_files(&s.root);
    assert!(files.len() > K + 1, "the simulation has too few batches");
    let marker = s.root.join("hook-reached");
    let server = Server::start_with_env(
        &s.config,
        &[(
            czso_media_feed::hook::HOOK_VARIABLE,
            &format!("{point}:{}:{}", K + 1, marker.display()),
        )],
    );
    let admin = server.admin.clone();
    let config = s.config.clone();
    let to_send = files[..=K].to_vec();
    let sender = std::thread::spawn(move || send_until_refused(&config, &admin, &to_send));
    wait_until("the ingest to reach the hook", || marker.exists());
    server.kill();
    let acked = sender.join().unwrap();
    assert_eq!(
        acked.iter().map(|(_, b)| *b).collect::<Vec<_>>(),
        (1..=K as u32).collect::<Vec<_>>(),
        "the batches before the stopped one are acknowledged, the stopped one is not"
    );
    // Live data are served in the live phase to production addresses.
    assert!(
        cli(&[
            "phase",
            "--db",
            &s.db,
            "ps2025",
            "live",
            "--at",
            "2021-01-01T00:00"
        ])
        .0
    );
    let (ok, out) = cli(&[
        "registry",
        "--db",
        &s.db,
        "add",
        "--name",
        "P",
        "--email",
        "it@p.cz",
        "--phone",
        "+420 222 111 001",
        "--production",
        "127.0.0.61",
    ]);
    assert!(ok, "{out}");
    assert!(cli(&["registry", "--db", &s.db, "approve", "P"]).0);
    let server = Server::start(&s.config);
    let batch_url = |n: usize| format!("/appdata/ps2025/odata/okrsky/vysledky_okrsky_{n:05}.xml");
    for (file, batch) in &acked {
        let source =
            czso_media_feed::xml::parse_batch(&std::fs::read(file).unwrap(), "src", 1).unwrap();
        let path = batch_url(*batch as usize);
        let r = get_from(ip(61), server.public, &path, &[]);
        assert_eq!(r.status, 200, "acknowledged batch {batch} lost");
        let served = czso_media_feed::xml::parse_batch(&r.body, &path, 1).unwrap();
        assert_eq!(served.precincts, source.precincts, "batch {batch}");
    }
    // The stopped ingest: on disk once committed, absent (not half there) before.
    let in_flight = &files[K];
    let source =
        czso_media_feed::xml::parse_batch(&std::fs::read(in_flight).unwrap(), "src", 1).unwrap();
    let r = get_from(ip(61), server.public, &batch_url(K + 1), &[]);
    let expected_processed = if point == "after-commit" {
        assert_eq!(r.status, 200, "the committed batch survives");
        let served = czso_media_feed::xml::parse_batch(&r.body, "served", 1).unwrap();
        assert_eq!(served.precincts, source.precincts);
        distinct_precincts(&files[..=K])
    } else {
        assert_eq!(r.status, 404, "an uncommitted batch leaves nothing behind");
        distinct_precincts(&files[..K])
    };
    let processed = || cr_processed(&get_from(ip(61), server.public, VYSLEDKY, &[]).body);
    assert_eq!(processed() as usize, expected_processed);
    // The client re-sends what was not acknowledged: stored once, never counted twice.
    let resent = send_until_refused(&s.config, &server.admin, std::slice::from_ref(in_flight));
    assert_eq!(resent.len(), 1);
    assert_eq!(resent[0].1, K as u32 + 1);
    let total = distinct_precincts(&files[..=K]);
    wait_until("the re-sent batch in the totals", || {
        processed() as usize == total
    });
    let r = get_from(ip(61), server.public, &batch_url(K + 1), &[]);
    assert_eq!(r.status, 200);
    let served = czso_media_feed::xml::parse_batch(&r.body, "served", 1).unwrap();
    assert_eq!(served.precincts, source.precincts);
}

#[test]
fn kill_9_after_the_durable_write_before_the_acknowledgement() {
    kill_9_with_an_ingest_stopped_at("after-commit");
}

#[test]
fn kill_9_before_the_commit_leaves_nothing_half_written() {
    kill_9_with_an_ingest_stopped_at("before-commit");
}

#[test]
fn sigterm_answers_open_requests_and_writes_every_log_line() {
    let s = setup(0.0);
    // Buffered lines are written only on shutdown in this test: an hour between writes.
    let text = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(&s.config, format!("access_log_flush_secs = 3600\n{text}")).unwrap();
    for a in [
        vec![
            "registry",
            "--db",
            &s.db,
            "add",
            "--name",
            "T",
            "--email",
            "it@t.cz",
            "--phone",
            "+420 222 111 001",
            "--production",
            "127.0.0.60",
        ],
        vec!["registry", "--db", &s.db, "approve", "T"],
    ] {
        let (ok, out) = cli(&a);
        assert!(ok, "{out}");
    }
    let mut server = Server::start(&s.config);
    for _ in 0..20 {
        assert_eq!(get_from(ip(60), server.public, VYSLEDKY, &[]).status, 200);
    }
    for _ in 0..7 {
        assert_eq!(get_from(ip(61), server.public, VYSLEDKY, &[]).status, 403);
    }
    let org_log = s.root.join("logs/organisation-1.log");
    let refused_log = s.root.join("logs/refused.log");
    let lines = |p: &Path| std::fs::read_to_string(p).map_or(0, |t| t.lines().count());
    assert_eq!(lines(&org_log), 0, "lines are still buffered");
    // A keep-alive connection open when the signal arrives: it is either answered or
    // closed, never left hanging.
    let mut open = Client::new(server.public).connect().unwrap();
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let _ = open
        .write_raw(format!("GET {VYSLEDKY} HTTP/1.1\r\nHost: media.volby.test\r\n\r\n").as_bytes());
    let mut reply = Vec::new();
    let _ = open.read_to_end(&mut reply);
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(st) = server.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    // Every answered request is in the logs (the one in flight included, if it was served).
    let served = usize::from(reply.starts_with(b"HTTP/1.1 403"));
    assert_eq!(lines(&org_log), 20);
    assert_eq!(lines(&refused_log), 7 + served);
}

#[test]
fn head_get_and_post_pipelined_on_one_connection() {
    let s = setup(0.0);
    for a in [
        vec![
            "registry",
            "--db",
            &s.db,
            "add",
            "--name",
            "K",
            "--email",
            "it@k.cz",
            "--phone",
            "+420 222 111 002",
            "--production",
            "127.0.0.80",
        ],
        vec!["registry", "--db", &s.db, "approve", "K"],
    ] {
        let (ok, out) = cli(&a);
        assert!(ok, "{out}");
    }
    let server = Server::start(&s.config);
    let mut conn = Client::new(server.public)
        .from_source(IpAddr::V4(ip(80)))
        .connect()
        .unwrap();
    conn.write_raw(
        format!(
            "HEAD {VYSLEDKY} HTTP/1.1\r\nHost: h\r\n\r\n\
             GET {VYSLEDKY} HTTP/1.1\r\nHost: h\r\n\r\n\
             POST {VYSLEDKY} HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
        )
        .as_bytes(),
    )
    .unwrap();
    let head = conn.read_reply(true).unwrap();
    let get = conn.read_reply(false).unwrap();
    let post = conn.read_reply(false).unwrap();
    assert_eq!((head.status, get.status, post.status), (200, 200, 405));
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(get.body.len().to_string().as_str())
    );
    assert_eq!(head.header("etag"), get.header("etag"));
    assert!(get.text().contains("<VYSLEDKY"));
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    let mut rest = Vec::new();
    assert_eq!(
        conn.read_to_end(&mut rest).unwrap(),
        0,
        "closed after the POST"
    );
}

/// Registers and approves one organisation with a production address.
fn register(db: &str, name: &str, address: &str) {
    for a in [
        vec![
            "registry",
            "--db",
            db,
            "add",
            "--name",
            name,
            "--email",
            "it@example.cz",
            "--phone",
            "+420 222 111 003",
            "--production",
            address,
        ],
        vec!["registry", "--db", db, "approve", name],
    ] {
        let (ok, out) = cli(&a);
        assert!(ok, "{out}");
    }
}

#[test]
fn a_forged_forwarded_for_line_before_the_proxys_own_is_not_believed() {
    let s = setup(0.0);
    register(&s.db, "F", "127.0.0.11");
    let server = Server::start(&s.config);
    // The trusted proxy (127.0.0.70) relays a client's forged line and adds its own, as
    // HAProxy's `option forwardfor` does: a new header line with the real client.
    let forged = [
        ("X-Forwarded-For", "127.0.0.11"),
        ("X-Forwarded-For", "127.0.0.99"),
    ];
    let r = get_from(ip(70), server.public, VYSLEDKY, &forged);
    assert_eq!(r.status, 403, "the forged first line was believed");
    // The registered client behind the proxy, and the proxy appending to one line.
    let real = [("X-Forwarded-For", "127.0.0.11")];
    assert_eq!(get_from(ip(70), server.public, VYSLEDKY, &real).status, 200);
    let appended = [("X-Forwarded-For", "127.0.0.11, 127.0.0.99")];
    assert_eq!(
        get_from(ip(70), server.public, VYSLEDKY, &appended).status,
        403
    );
}

#[test]
fn the_admin_endpoint_needs_the_operators_token() {
    use opendata_http::client::Request;
    let s = setup(0.0);
    let server = Server::start(&s.config);
    let admin: SocketAddr = server.admin.trim_start_matches("http://").parse().unwrap();
    let files = batch_files(&s.root);
    let batch = std::fs::read(&files[0]).unwrap();
    let ingest = "/admin/ingest?election=ps2025&channel=test&cut=1";
    let client = Client::new(admin);
    // Any local process, no credential.
    let anonymous = client
        .send(&Request::post(ingest, batch.clone()).header("Content-Type", "application/xml"))
        .unwrap();
    assert_eq!(anonymous.status, 401, "{}", anonymous.text());
    let status = client.get("/admin/status", &[]).unwrap();
    assert_eq!(status.status, 401);
    // A page in a browser (DNS rebinding: a foreign Host; a form: text/plain) even with the
    // token gets nowhere.
    let token_file = s.root.join("admin.token");
    let token = std::fs::read_to_string(&token_file).expect("the server made its token file");
    let bearer = format!("Bearer {}", token.trim());
    let rebound = client
        .send(
            &Request::post(ingest, batch.clone())
                .header("Host", "evil.example:8081")
                .header("Authorization", &bearer)
                .header("Content-Type", "application/xml"),
        )
        .unwrap();
    assert_eq!(rebound.status, 421, "{}", rebound.text());
    let form = client
        .send(
            &Request::post(ingest, batch.clone())
                .header("Authorization", &bearer)
                .header("Content-Type", "text/plain"),
        )
        .unwrap();
    assert_eq!(form.status, 415, "{}", form.text());
    // Nothing was ingested so far.
    let status = client
        .get("/admin/status", &[("Authorization", &bearer)])
        .unwrap();
    assert_eq!(status.status, 200);
    assert!(
        status.text().contains("\"processed\":[0]"),
        "{}",
        status.text()
    );
    // A batch breaking a rule: 422 with a structured error naming the precinct and the rule.
    let text = String::from_utf8(batch.clone()).unwrap();
    let at = text.find("ODEVZDANE_OBALKY=\"").unwrap() + "ODEVZDANE_OBALKY=\"".len();
    let end = at + text[at..].find('"').unwrap();
    let bad = format!("{}99999999{}", &text[..at], &text[end..]);
    let rejected = client
        .send(
            &Request::post(ingest, bad.into_bytes())
                .header("Authorization", &bearer)
                .header("Content-Type", "application/xml"),
        )
        .unwrap();
    assert_eq!(rejected.status, 422, "{}", rejected.text());
    let json: serde_json::Value = serde_json::from_slice(&rejected.body).unwrap();
    assert_eq!(json["error"]["kind"], "invalid", "{json}");
    assert!(
        json["error"]["precinct"]
            .as_str()
            .unwrap()
            .starts_with("OKRSEK CIS_OBEC="),
        "{json}"
    );
    assert!(
        json["error"]["rule"]
            .as_str()
            .unwrap()
            .contains("exceeds VYDANE_OBALKY"),
        "{json}"
    );
    // The operator's CLI reads the token through the config.
    let (ok, out) = cli(&[
        "ingest",
        "--config",
        s.config.to_str().unwrap(),
        "--admin",
        &server.admin,
        "--election",
        "ps2025",
        "--channel",
        "test",
        files[0].to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("\"accepted\""), "{out}");
    // The token file is the service user's alone.
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "{mode:o}");
}

/// A batch larger than axum's 2 MB default body limit: the admin endpoint answered 413 for
/// batch 1 of a full-size simulated election (found by `cargo xtask bench-volby-live`). Here
/// four batches of a 6,000-precinct simulation sent as one document (about 3.5 MB) are
/// stored whole.
#[test]
fn admin_ingest_takes_a_batch_larger_than_2_mb() {
    use czso_media_feed::client::AdminClient;
    use czso_media_feed::config::Config;
    use czso_media_feed::xml::{parse_batch, write_batch};

    let sim = common::simulated(6000, 0.1, 0.0, "live", "127.0.0.1");
    let mut docs = sim.batches[..4]
        .iter()
        .map(|file| parse_batch(&std::fs::read(file).unwrap(), "src", 1).unwrap());
    let first = docs.next().unwrap();
    let mut precincts = first.precincts.clone();
    for doc in docs {
        precincts.extend(doc.precincts);
    }
    let rows: Vec<_> = precincts.iter().collect();
    let body = write_batch(
        first.kind,
        first.generated.as_deref().unwrap(),
        &first.header.clone().unwrap(),
        &rows,
    );
    assert!(body.len() > 3 << 20, "{} bytes", body.len());

    let server = Server::start(&sim.config);
    let config = Config::load(&sim.config).unwrap();
    let admin = AdminClient::for_config(&config, Some(&server.admin)).unwrap();
    let report: serde_json::Value = serde_json::from_str(
        &admin
            .post(
                "/admin/ingest?election=ps2025&channel=live&cut=1&source=davky1-4.xml",
                body.as_bytes(),
            )
            .unwrap(),
    )
    .unwrap();
    assert_eq!(report["accepted"], rows.len());
    assert_eq!(report["batch"], 1);
}

/// A server that was down at a scheduled cut (or lost the cut with the machine's power: a
/// scheduled cut is announced before it is synced) makes it before it serves anything, at
/// the grid instant after the rows, as it would have made it then.
#[test]
fn a_restarted_server_makes_the_scheduled_cuts_it_missed_before_serving() {
    let s = setup(2.0);
    register(&s.db, "R", "127.0.0.52");
    // Rows stored straight into the database while no server runs (the test data set, which
    // the `test` phase serves).
    let files = batch_files(&s.root);
    let (ok, out) = cli(&[
        "ingest",
        "--direct",
        "--config",
        s.config.to_str().unwrap(),
        "--election",
        "ps2025",
        "--channel",
        "test",
        files[0].to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    let grid = czso_media_feed::time::Grid::new(2.0);
    let instant = grid.next(czso_media_feed::time::now_ms()).unwrap();
    while czso_media_feed::time::now_ms() <= instant {
        std::thread::sleep(Duration::from_millis(20));
    }
    let server = Server::start(&s.config);
    let batch = get_from(
        ip(52),
        server.public,
        "/appdata/ps2025/odata/okrsky/vysledky_okrsky_00001.xml",
        &[],
    );
    assert_eq!(
        batch.status,
        200,
        "{}",
        String::from_utf8_lossy(&batch.body)
    );
    // Cut at the grid instant (Prague local time in DATUM_CAS_GENEROVANI), not at start-up.
    let at = chrono::DateTime::from_timestamp(instant / 1000, 0).unwrap();
    let stamp = czso_media_feed::time::prague_local(at);
    let text = String::from_utf8_lossy(&batch.body);
    assert!(
        text.contains(&format!("DATUM_CAS_GENEROVANI=\"{stamp}\"")),
        "expected the cut at {stamp}: {}",
        &text[..300.min(text.len())]
    );
}
