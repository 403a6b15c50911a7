//! `/soubory/`: distribution files with ETag, Last-Modified and 304.

mod common;

use std::path::Path;

use common::{agent, start, testdata};
use nkod_server::{NkodServer, ServerConfig};

#[test]
fn serves_the_real_files_byte_for_byte_with_validators() {
    let server = start();
    for name in [
        "mf-seznam-nepovolenych-internetovych-her.cp1250.csv",
        "sukl-nelegalni-stranky-lp.csv",
        "szpi-blokovane-weby.csv",
        "uskvbl-nelegalni-vlp.csv",
    ] {
        let expected = std::fs::read(testdata().join("soubory").join(name)).unwrap();
        let mut resp = agent().get(&server.file_url(name)).call().unwrap();
        assert_eq!(resp.status(), 200, "{name}");
        assert_eq!(resp.headers()["content-type"], "text/csv");
        let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
        let last_modified = resp.headers()["last-modified"].to_str().unwrap().to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'));
        let body = resp
            .body_mut()
            .with_config()
            .limit(10_000_000)
            .read_to_vec()
            .unwrap();
        assert_eq!(body, expected, "{name} is served unchanged");

        let resp = agent()
            .get(&server.file_url(name))
            .header("If-None-Match", &etag)
            .call()
            .unwrap();
        assert_eq!(resp.status(), 304);
        assert_eq!(resp.headers()["etag"].to_str().unwrap(), etag);

        let resp = agent()
            .get(&server.file_url(name))
            .header("If-Modified-Since", &last_modified)
            .call()
            .unwrap();
        assert_eq!(resp.status(), 304);

        let resp = agent()
            .get(&server.file_url(name))
            .header("If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT")
            .call()
            .unwrap();
        assert_eq!(resp.status(), 200);

        // A stale ETag wins over a fresh date (RFC 9110 §13.2.2).
        let resp = agent()
            .get(&server.file_url(name))
            .header("If-None-Match", "\"stale\"")
            .header("If-Modified-Since", &last_modified)
            .call()
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
}

#[test]
fn a_changed_file_gets_a_new_etag() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("list.csv");
    std::fs::write(
        &file,
        "URL,DATUM_ZAPISU,DATUM_VYMAZU\r\n\"a.cz\",\"2024-01-01\",\r\n",
    )
    .unwrap();
    let server = NkodServer::start(
        ServerConfig::from_file(testdata().join("snapshot.trig")).with_files_dir(dir.path()),
    )
    .unwrap();
    let resp = agent().get(&server.file_url("list.csv")).call().unwrap();
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    std::fs::write(
        &file,
        "URL,DATUM_ZAPISU,DATUM_VYMAZU\r\n\"b.cz\",\"2024-01-02\",\r\n",
    )
    .unwrap();
    let mut resp = agent()
        .get(&server.file_url("list.csv"))
        .header("If-None-Match", &etag)
        .call()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_ne!(resp.headers()["etag"].to_str().unwrap(), etag);
    assert!(resp.body_mut().read_to_string().unwrap().contains("b.cz"));
}

#[test]
fn missing_and_escaping_paths_are_404() {
    let server = start();
    for path in ["nope.csv", "..%2FPROVENANCE.md", "%2E%2E/README.md"] {
        let resp = agent().get(&server.file_url(path)).call().unwrap();
        assert_eq!(resp.status(), 404, "{path}");
    }
}

#[test]
fn head_has_length_and_no_body() {
    let server = start();
    let name = "szpi-blokovane-weby.csv";
    let len = std::fs::metadata(Path::new(&testdata()).join("soubory").join(name))
        .unwrap()
        .len();
    let resp = agent().head(&server.file_url(name)).call().unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-length"].to_str().unwrap(),
        len.to_string()
    );
}
