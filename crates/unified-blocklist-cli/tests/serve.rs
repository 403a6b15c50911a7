//! `serve` over real HTTP on loopback: validators, 304, gzip, content types, archive URLs,
//! `/healthz`, and nothing outside the publication.

use chrono::NaiveDate;
use opendata_http::RunningServer;
use opendata_http::client::{Client, Reply};
use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use unified_blocklist::publish::Publisher;
use unified_blocklist::serve::ServeOptions;

struct Server {
    addr: SocketAddr,
    _running: RunningServer,
}

fn start(out: &Path) -> Server {
    let running =
        unified_blocklist::serve::start(&["127.0.0.1:0".parse().unwrap()], ServeOptions::new(out))
            .unwrap();
    Server {
        addr: running.addr(),
        _running: running,
    }
}

/// Sends the request target byte for byte (no client-side normalisation of `..`).
fn get(addr: SocketAddr, target: &str, extra: &[(&str, &str)]) -> Reply {
    Client::new(addr).get(target, extra).unwrap()
}

fn publication(root: &Path) -> std::path::PathBuf {
    let out = root.join("out");
    let publisher = Publisher::new(&out);
    let csv = "URL,DATUM_ZAPISU,DATUM_VYMAZU,ZDROJ,NAZEV_DATOVE_SADY\r\n".to_owned()
        + &"example.cz,2024-01-01,,Ministerstvo financí,Seznam nepovolených internetových her\r\n"
            .repeat(50);
    for (day, html) in [(20, "<p>old</p>"), (21, "<p>new</p>")] {
        let staging = publisher.stage().unwrap();
        staging
            .write("jednotny-seznam.csv", csv.as_bytes())
            .unwrap();
        staging
            .write(
                "jednotny-seznam.csv-metadata.json",
                b"{\"@context\": \"http://www.w3.org/ns/csvw\"}",
            )
            .unwrap();
        staging.write("index.html", html.as_bytes()).unwrap();
        staging.write("jednotny-seznam.rpz", b"$TTL 300\n").unwrap();
        staging.write("zmeny.atom", b"<feed/>").unwrap();
        publisher
            .commit(staging, NaiveDate::from_ymd_opt(2026, 11, day).unwrap())
            .unwrap();
    }
    // A secret next to the publication that must never be served.
    std::fs::write(root.join("secret.txt"), "top secret").unwrap();
    out
}

#[test]
fn serves_files_with_types_and_validators() {
    let tmp = tempfile::tempdir().unwrap();
    let out = publication(tmp.path());
    let server = start(&out);

    let page = get(server.addr, "/", &[]);
    assert_eq!(page.status, 200);
    assert_eq!(page.body, b"<p>new</p>");
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );

    let csv = get(server.addr, "/jednotny-seznam.csv", &[]);
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        csv.header("content-length"),
        Some(csv.body.len().to_string().as_str())
    );
    let etag = csv.header("etag").unwrap().to_owned();
    let modified = csv.header("last-modified").unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'));

    let meta = get(server.addr, "/jednotny-seznam.csv-metadata.json", &[]);
    assert_eq!(meta.header("content-type"), Some("application/csvm+json"));
    assert_eq!(
        get(server.addr, "/zmeny.atom", &[]).header("content-type"),
        Some("application/atom+xml")
    );
    assert_eq!(
        get(server.addr, "/jednotny-seznam.rpz", &[]).header("content-type"),
        Some("text/dns")
    );

    let again = get(
        server.addr,
        "/jednotny-seznam.csv",
        &[("If-None-Match", &etag)],
    );
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let again = get(
        server.addr,
        "/jednotny-seznam.csv",
        &[("If-Modified-Since", &modified)],
    );
    assert_eq!(again.status, 304);
    let stale = get(
        server.addr,
        "/jednotny-seznam.csv",
        &[("If-None-Match", "\"other\"")],
    );
    assert_eq!(stale.status, 200);

    let gz = get(
        server.addr,
        "/jednotny-seznam.csv",
        &[("Accept-Encoding", "gzip, br")],
    );
    assert_eq!(gz.status, 200);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.header("vary"), Some("Accept-Encoding"));
    assert_ne!(
        gz.header("etag"),
        Some(etag.as_str()),
        "gzip has its own validator"
    );
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, csv.body);
    let gz_etag = gz.header("etag").unwrap().to_owned();
    let gz_again = get(
        server.addr,
        "/jednotny-seznam.csv",
        &[("Accept-Encoding", "gzip"), ("If-None-Match", &gz_etag)],
    );
    assert_eq!(gz_again.status, 304);
}

#[test]
fn archive_has_dated_urls() {
    let tmp = tempfile::tempdir().unwrap();
    let out = publication(tmp.path());
    let server = start(&out);
    let old = get(server.addr, "/archiv/2026-11-20/", &[]);
    assert_eq!(old.status, 200);
    assert_eq!(old.body, b"<p>old</p>");
    let redirect = get(server.addr, "/archiv/2026-11-20", &[]);
    assert_eq!(redirect.status, 301);
    assert_eq!(redirect.header("location"), Some("/archiv/2026-11-20/"));
    let dated = get(server.addr, "/archiv/2026-11-21/jednotny-seznam.csv", &[]);
    assert_eq!(dated.status, 200);
    assert!(dated.header("cache-control").unwrap().contains("max-age"));
    let index = get(server.addr, "/archiv/", &[]);
    assert!(String::from_utf8_lossy(&index.body).contains("2026-11-20/"));
    assert_eq!(get(server.addr, "/archiv/1999-01-01/", &[]).status, 404);
}

#[test]
fn nothing_outside_the_publication_is_served() {
    let tmp = tempfile::tempdir().unwrap();
    let out = publication(tmp.path());
    // A symlink planted inside the publication pointing outside must not be followed.
    let current = Publisher::new(&out).current().unwrap().unwrap();
    std::os::unix::fs::symlink(tmp.path().join("secret.txt"), current.join("link.txt")).unwrap();
    let server = start(&out);
    let secret = tmp.path().join("secret.txt");
    let absolute = secret.to_string_lossy().into_owned();
    for target in [
        "/../secret.txt",
        "/../../secret.txt",
        "/archiv/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/archiv/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/.%2e/secret.txt",
        "//etc/passwd",
        &format!("/{absolute}"),
        &format!("/{}", absolute.replace('/', "%2F")),
        "/%00",
        "/link.txt",
        "/../.out.publications/",
        "/etc/passwd",
        "http://localhost/../secret.txt",
    ] {
        let reply = get(server.addr, target, &[]);
        assert!(
            reply.status == 404 || reply.status == 400,
            "{target} answered {} {:?}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
        assert!(
            !String::from_utf8_lossy(&reply.body).contains("top secret"),
            "{target}"
        );
    }
}

#[test]
fn healthz_reports_the_age() {
    let tmp = tempfile::tempdir().unwrap();
    let out = publication(tmp.path());
    let server = start(&out);
    let health = get(server.addr, "/healthz", &[]);
    assert_eq!(health.status, 200);
    let json: serde_json::Value = serde_json::from_slice(&health.body).unwrap();
    assert_eq!(json["status"], "ok");
    assert!(json["age_seconds"].as_u64().unwrap() < 60);

    let empty = tmp.path().join("nothing");
    let server = start(&empty);
    assert_eq!(get(server.addr, "/healthz", &[]).status, 503);
    assert_eq!(get(server.addr, "/", &[]).status, 503);
}

/// One update of the embedded default into `dir`, valid as of 2026-11-22.
fn embedded_update(dir: &Path) -> unified_blocklist::update::UpdateOptions {
    let mut options = unified_blocklist::update::UpdateOptions::from_config(
        &unified_blocklist::config::Config::default(),
    );
    options.out = dir.join("out");
    options.state = dir.join("state");
    options.valid_as_of = Some(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
    unified_blocklist::update::update(&options).unwrap();
    options
}

#[test]
fn lookup_routes_answer_from_the_current_publication() {
    let tmp = tempfile::tempdir().unwrap();
    let options = embedded_update(tmp.path());
    let server = start(&options.out);

    // The real MF list: the IDN entry, asked in Unicode with a scheme and a path.
    let reply = get(
        server.addr,
        "/api/lookup?adresa=https%3A%2F%2Fmezin%C3%A1rodn%C3%ADonlinecasino.com%2Fhry",
        &[],
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let answer: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(answer["blokovana"], true, "{answer}");
    assert_eq!(answer["domena"], "xn--mezinrodnonlinecasino-e0b4z.com");
    assert_eq!(answer["zaznamy"][0]["zdroj"], "Ministerstvo financí");
    assert_eq!(answer["zaznamy"][0]["datum_zapisu"], "2026-06-29");

    // 1xbet.com: listed by MF on 2017-07-26, removed on 2023-01-04.
    let at = |date: &str| {
        let reply = get(
            server.addr,
            &format!("/api/lookup?adresa=www.1xbet.com&k={date}"),
            &[],
        );
        serde_json::from_slice::<serde_json::Value>(&reply.body).unwrap()["blokovana"].clone()
    };
    assert_eq!(at("2020-01-01"), true);
    assert_eq!(at("2023-01-04"), false);

    let bad = get(server.addr, "/api/lookup?adresa=x.cz&k=1.1.2020", &[]);
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("chyba"), "{}", bad.text());
    assert_eq!(get(server.addr, "/api/lookup", &[]).status, 400);

    // The form's answer page, rendered on the server.
    let page = get(
        server.addr,
        "/vyhledat?adresa=www.1xbet.com&k=2020-01-01",
        &[],
    );
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = page.text();
    assert!(html.contains("data-blokovana=\"ano\""), "{html}");
    assert!(html.contains("Ministerstvo financí"), "{html}");
    assert!(html.contains("26. 7. 2017"), "{html}");
    // The list page carries the form.
    let index = get(server.addr, "/", &[]).text();
    assert!(index.contains("Je tato adresa blokována?"));
    assert!(index.contains("<form id=\"vyhledat\" action=\"vyhledat\" method=\"get\">"));
}

#[test]
fn healthz_reports_sources_that_are_not_current() {
    let tmp = tempfile::tempdir().unwrap();
    let mut options = embedded_update(tmp.path());
    let server = start(&options.out);
    let health: serde_json::Value =
        serde_json::from_slice(&get(server.addr, "/healthz", &[]).body).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["sources_not_current"], serde_json::json!([]));

    // The catalogue cannot be reached: the four lists are stale, the list is still served.
    options.nkod = "http://127.0.0.1:9/".into();
    options.http.max_attempts = 1;
    options.valid_as_of = Some(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
    let report = unified_blocklist::update::update(&options).unwrap();
    assert_eq!(report.exit_code(), unified_blocklist::update::EXIT_DEGRADED);
    let reply = get(server.addr, "/healthz", &[]);
    assert_eq!(reply.status, 200);
    let health: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(health["status"], "degraded");
    let ids: Vec<&str> = health["sources_not_current"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["mf", "sukl", "szpi", "uskvbl"]);
    assert_eq!(health["sources_not_current"][0]["state"], "stale");
    assert!(
        health["sources_not_current"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1:9")
    );
    // Both publications rebuild byte for byte from their archives.
    for day in unified_blocklist::verify::archived_days(&options.out).unwrap() {
        let verified = unified_blocklist::verify::verify(&options.out, Some(day)).unwrap();
        assert!(verified.identical(), "{day}: {:?}", verified.differences);
    }
}

#[test]
fn healthz_reports_a_failed_post_publication_command() {
    let tmp = tempfile::tempdir().unwrap();
    let out = publication(tmp.path());
    let server = start(&out);
    let health = |server: &Server| -> serde_json::Value {
        serde_json::from_slice(&get(server.addr, "/healthz", &[]).body).unwrap()
    };
    assert_eq!(health(&server)["post_publication"], serde_json::Value::Null);
    let id = std::fs::read_link(&out)
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let store = Publisher::new(&out).store().to_path_buf();
    let outcome = unified_blocklist::post_publish::run(
        &[
            "sh".into(),
            "-c".into(),
            "echo 'error: (no such zone found)' >&2; exit 1".into(),
        ],
        &unified_blocklist::post_publish::PublicationFacts {
            id: &id,
            dir: &out,
            out: &out,
            rpz_origin: "rpz.jednotny-seznam.cz",
            rpz_serial: 1,
            valid_as_of: NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
        },
        std::time::Duration::from_secs(10),
    );
    unified_blocklist::post_publish::record(&store, &outcome).unwrap();
    let report = health(&server);
    assert_eq!(report["status"], "degraded", "{report}");
    assert_eq!(report["post_publication"]["ok"], false);
    assert_eq!(
        report["post_publication"]["stderr"],
        "error: (no such zone found)"
    );
}

/// The post-publication command configured in the update's options, end to end: it runs after
/// the swap with the publication's facts, its failure leaves the list published but makes
/// `update` exit 3 and `/healthz` degraded, and the next update — which finds nothing new —
/// runs it again for the same publication; once it succeeded it is not run again.
#[test]
fn a_failed_post_publication_command_is_retried_by_the_next_update() {
    let tmp = tempfile::tempdir().unwrap();
    let mut options = embedded_update(tmp.path());
    let server = start(&options.out);
    let health = || -> serde_json::Value {
        serde_json::from_slice(&get(server.addr, "/healthz", &[]).body).unwrap()
    };
    assert_eq!(health()["post_publication"], serde_json::Value::Null);

    // The primary is down while the flag file exists; every run is noted with what it was told.
    let down = tmp.path().join("primary-down");
    let runs = tmp.path().join("runs");
    std::fs::write(&down, "").unwrap();
    options.post_publication = vec![
        "sh".into(),
        "-c".into(),
        format!(
            "echo \"$UB_PUBLICATION_ID $UB_RPZ_ORIGIN $UB_RPZ_SERIAL $UB_VALID_AS_OF $UB_RPZ_FILE\" >> '{}'; \
             if test -e '{}'; then echo 'error: failed to connect to socket' >&2; exit 1; fi",
            runs.display(),
            down.display()
        ),
    ];
    options.valid_as_of = Some(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
    options.force = true;
    let report = unified_blocklist::update::update(&options).unwrap();
    let id = report
        .published
        .clone()
        .expect("published despite the failure");
    assert_eq!(
        std::fs::read_link(&options.out).unwrap().file_name(),
        Some(std::ffi::OsStr::new(&id)),
        "the publication is visible"
    );
    assert!(report.post_publication_failed(), "{report:?}");
    assert_eq!(report.exit_code(), unified_blocklist::update::EXIT_DEGRADED);
    let h = health();
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["publication"], id.as_str());
    assert_eq!(h["post_publication"]["ok"], false);
    assert_eq!(
        h["post_publication"]["stderr"],
        "error: failed to connect to socket"
    );
    let first_run = std::fs::read_to_string(&runs).unwrap();
    let fields: Vec<&str> = first_run.split_whitespace().collect();
    assert_eq!(fields[..2], [id.as_str(), "rpz.jednotny-seznam.cz"]);
    assert!(fields[2].starts_with("20261123"), "{first_run}");
    assert_eq!(fields[3], "2026-11-23");
    assert!(
        fields[4].ends_with(&format!("{id}/jednotny-seznam.rpz")),
        "{first_run}"
    );

    // The primary is back: an update that finds nothing new runs the command again.
    std::fs::remove_file(&down).unwrap();
    options.force = false;
    let report = unified_blocklist::update::update(&options).unwrap();
    assert_eq!(report.published, None, "nothing new");
    let post = report.post_publication.as_ref().expect("run again");
    assert!(post.ok, "{post:?}");
    assert_eq!(post.publication, id);
    assert_eq!(report.exit_code(), unified_blocklist::update::EXIT_OK);
    let h = health();
    assert_eq!(h["status"], "ok", "{h}");
    assert_eq!(h["post_publication"]["ok"], true);
    let runs_text = std::fs::read_to_string(&runs).unwrap();
    assert_eq!(runs_text.lines().collect::<Vec<_>>(), [first_run.trim(); 2]);

    // It succeeded for the current publication: a further update leaves it alone.
    let report = unified_blocklist::update::update(&options).unwrap();
    assert!(report.post_publication.is_none(), "{report:?}");
    assert_eq!(std::fs::read_to_string(&runs).unwrap().lines().count(), 2);
}

/// `unified-blocklist lookup` answers from the publication's index alone: with every CSV of
/// the publication and its archive deleted it still answers, for today and for a past date,
/// with the address normalised as the list normalises it.
#[test]
fn the_lookup_command_answers_from_the_index_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let options = embedded_update(tmp.path());
    let dir = std::fs::canonicalize(&options.out).unwrap();
    let mut removed = 0;
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "csv") {
                std::fs::remove_file(&path).unwrap();
                removed += 1;
            }
        }
    }
    assert!(removed >= 3, "{removed} CSV files");
    let lookup = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_unified-blocklist"))
            .arg("lookup")
            .arg("--out")
            .arg(&options.out)
            .args(args)
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    // 1xbet.com: listed by MF on 26 July 2017, removed on 4 January 2023 (the real MF list).
    let (code, text, _) = lookup(&["HTTPS://WWW.1xBet.COM./cs/sport?x=1", "--at", "2020-01-01"]);
    assert_eq!(code, Some(0));
    assert!(
        text.starts_with("Ano.") && text.contains("Ministerstvo financí"),
        "{text}"
    );
    assert!(text.contains("26. 7. 2017"), "{text}");
    let (code, text, _) = lookup(&["www.1xbet.com"]);
    assert_eq!(code, Some(0));
    assert!(text.starts_with("Ne."), "{text}");
    assert!(text.contains("vymazáno 2023-01-04"), "{text}");
    // The IDN entry, asked in Unicode; JSON as `GET /api/lookup` gives it.
    let (code, json, _) = lookup(&["mezinárodníonlinecasino.com/hry", "--json"]);
    assert_eq!(code, Some(0));
    let answer: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(answer["blokovana"], true, "{answer}");
    assert_eq!(answer["domena"], "xn--mezinrodnonlinecasino-e0b4z.com");
    assert_eq!(answer["k_datu"], "2026-11-22");
    // Bad input: a date that is not YYYY-MM-DD, an address that is no address.
    assert_eq!(lookup(&["x.cz", "--at", "1.1.2020"]).0, Some(2));
    let (code, _, stderr) = lookup(&["http://"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("http://"), "{stderr}");
    // Without a publication there is no index.
    let empty = tmp.path().join("nic");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_unified-blocklist"))
        .args(["lookup", "x.cz", "--out"])
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(6));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("historie.tsv"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
