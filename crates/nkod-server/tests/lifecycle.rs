//! Server lifecycle: handles usable across threads, catalogue replacement (a "rebuild").

mod common;

use common::{SZPI, agent, start, testdata};
use nkod_server::{Error, RunningServer, SnapshotError, SnapshotSource};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn running_server_can_be_shared_between_threads() {
    assert_send_sync::<RunningServer>();
    let server = start();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let resp = agent()
                    .get(&server.sparql_url())
                    .query("query", "ASK { ?s ?p ?o }")
                    .call()
                    .unwrap();
                assert_eq!(resp.status(), 200);
            });
        }
    });
}

fn catalogue_date(server: &RunningServer) -> String {
    let q = "SELECT ?m WHERE { <https://data.gov.cz/zdroj/katalog/NKOD> <http://purl.org/dc/terms/modified> ?m }";
    let mut resp = agent()
        .get(&server.sparql_url())
        .query("query", q)
        .query("format", "csv")
        .call()
        .unwrap();
    resp.body_mut()
        .read_to_string()
        .unwrap()
        .lines()
        .nth(1)
        .unwrap_or("")
        .to_owned()
}

fn tpf_catalogue_date(server: &RunningServer) -> String {
    let mut resp = agent()
        .get(&server.ldf_url())
        .query("subject", "https://data.gov.cz/zdroj/katalog/NKOD")
        .query("predicate", "http://purl.org/dc/terms/modified")
        .header("Accept", "application/n-triples")
        .call()
        .unwrap();
    let body = resp.body_mut().read_to_string().unwrap();
    body.lines()
        .find(|l| l.starts_with("<https://data.gov.cz/zdroj/katalog/NKOD>"))
        .and_then(|l| l.split('"').nth(1))
        .unwrap_or("")
        .to_owned()
}

#[test]
fn replacing_the_snapshot_simulates_a_rebuild() {
    let server = start();
    assert_eq!(catalogue_date(&server), "2026-11-21");
    assert_eq!(tpf_catalogue_date(&server), "2026-11-21");
    let original = std::fs::read_to_string(testdata().join("snapshot.trig")).unwrap();
    let rebuilt = original
        .replace("\"2026-11-21\"^^xsd:date", "\"2026-11-22\"^^xsd:date")
        .replace(
            "soubory/szpi-blokovane-weby.csv",
            "soubory/szpi-blokovane-weby-v2.csv",
        );
    assert_ne!(rebuilt, original);
    server
        .replace_snapshot(&SnapshotSource::Trig {
            text: rebuilt,
            origin: "rebuilt".into(),
        })
        .unwrap();
    assert_eq!(catalogue_date(&server), "2026-11-22");
    assert_eq!(tpf_catalogue_date(&server), "2026-11-22");
    let q = format!("{{ dataset(iri: \"{SZPI}\") {{ distribution {{ downloadURL }} }} }}");
    let mut resp = agent()
        .post(&server.graphql_url())
        .header("Content-Type", "application/json")
        .send(serde_json::json!({ "query": q }).to_string())
        .unwrap();
    let body: serde_json::Value =
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(
        body["data"]["dataset"]["distribution"][0]["downloadURL"],
        server.file_url("szpi-blokovane-weby-v2.csv")
    );

    // A broken dump is refused and the served catalogue stays.
    let err = server
        .replace_snapshot(&SnapshotSource::Trig {
            text: "<a> { ".into(),
            origin: "broken.trig".into(),
        })
        .unwrap_err();
    assert!(
        matches!(&err, Error::Snapshot(SnapshotError::Syntax { origin, .. }) if origin == "broken.trig"),
        "{err}"
    );
    assert_eq!(catalogue_date(&server), "2026-11-22");
}

#[test]
fn start_errors_name_the_problem() {
    let missing = nkod_server::NkodServer::start(nkod_server::ServerConfig::from_file(
        testdata().join("does-not-exist.trig"),
    ))
    .unwrap_err();
    assert!(
        missing.to_string().contains("does-not-exist.trig"),
        "{missing}"
    );
    let no_dir = nkod_server::NkodServer::start(
        nkod_server::ServerConfig::from_file(testdata().join("snapshot.trig"))
            .with_files_dir(testdata().join("no-such-dir")),
    )
    .unwrap_err();
    assert!(matches!(no_dir, Error::FilesDir(_)), "{no_dir}");
    let bad_base = nkod_server::NkodServer::start(
        nkod_server::ServerConfig::from_file(testdata().join("snapshot.trig"))
            .with_public_base_url("http://127.0.0.1:1/no-slash"),
    )
    .unwrap_err();
    assert!(matches!(bad_base, Error::Config(_)), "{bad_base}");
}
