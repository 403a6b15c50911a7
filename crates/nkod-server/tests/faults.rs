//! Fault injection: each mode, per route, deterministic; request counters; redirects.

mod common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{agent, config, start, testdata};
use nkod_server::{Fault, Faults, NkodServer, Route};
use opendata_http::client::{Client, Request};

const SZPI_FILE: &str = "szpi-blokovane-weby.csv";
const MF_FILE: &str = "mf-seznam-nepovolenych-internetovych-her.cp1250.csv";

fn status(url: &str) -> u16 {
    agent().get(url).call().unwrap().status().as_u16()
}

#[test]
fn latency_delays_only_its_route() {
    let server = start();
    server.set_fault(Route::Sparql, Fault::latency(Duration::from_millis(400)));
    let t = Instant::now();
    let resp = agent()
        .get(&server.sparql_url())
        .query("query", "ASK {}")
        .call()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(status(&server.file_url(SZPI_FILE)), 200);
}

#[test]
fn a_fault_can_target_one_file() {
    let server = start();
    server.set_fault(
        Route::Files,
        Fault::errors(1.0, 500).only_for(format!("/soubory/{SZPI_FILE}")),
    );
    assert_eq!(status(&server.file_url(SZPI_FILE)), 500);
    assert_eq!(status(&server.file_url(MF_FILE)), 200);
    assert_eq!(status(&server.file_url(SZPI_FILE)), 500);
}

#[test]
fn error_rate_is_deterministic_and_503_carries_retry_after() {
    let server = start();
    server.set_fault(Route::Graphql, Fault::errors(0.5, 503));
    let url = format!(
        "{}?query=%7Bdatasets%7Bdata%7Biri%7D%7D%7D",
        server.graphql_url()
    );
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let resp = agent().get(&url).call().unwrap();
        if resp.status() == 503 {
            assert_eq!(resp.headers()["retry-after"], "1");
        }
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [503, 200, 503, 200, 503, 200]);
    assert_eq!(server.request_count(Route::Graphql), 6);
    assert_eq!(server.request_count(Route::Sparql), 0);

    server.set_fault(Route::Graphql, Fault::errors(1.0, 500));
    assert!((0..3).all(|_| status(&url) == 500));
    server.clear_faults();
    assert_eq!(status(&url), 200);
}

#[test]
fn fail_first_from_the_start_configuration() {
    let server = NkodServer::start(
        config().with_faults(Faults::none().with(Route::Files, Fault::fail_first(2, 500))),
    )
    .unwrap();
    let url = server.file_url(SZPI_FILE);
    let statuses: Vec<u16> = (0..4).map(|_| status(&url)).collect();
    assert_eq!(statuses, [500, 500, 200, 200]);
    assert_eq!(server.request_count(Route::Files), 4);
    server.reset_request_counts();
    assert_eq!(server.request_count(Route::Files), 0);
}

#[test]
fn truncated_body_announces_the_full_length_then_closes() {
    let server = start();
    server.set_fault(Route::Files, Fault::truncate_at(100));
    let full = std::fs::read(testdata().join("soubory").join(MF_FILE)).unwrap();

    // A real client notices.
    let mut resp = agent().get(&server.file_url(MF_FILE)).call().unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-length"].to_str().unwrap(),
        full.len().to_string()
    );
    assert!(
        resp.body_mut()
            .with_config()
            .limit(10_000_000)
            .read_to_vec()
            .is_err()
    );

    // On the wire: the head, then exactly 100 body bytes, then the connection ends.
    let mut conn = Client::new(server.addr())
        .timeout(Duration::from_secs(10))
        .connect()
        .unwrap();
    conn.write_raw(
        &Request::get(&format!("/soubory/{MF_FILE}")).to_bytes(&server.addr().to_string()),
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = conn.read_to_end(&mut raw);
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(&raw[split..], &full[..100]);
}

#[test]
fn slow_body_arrives_complete_but_late() {
    let server = start();
    server.set_fault(Route::Files, Fault::slow(64, Duration::from_millis(40)));
    let full = std::fs::read(testdata().join("soubory").join(SZPI_FILE)).unwrap();
    let t = Instant::now();
    let mut resp = agent().get(&server.file_url(SZPI_FILE)).call().unwrap();
    let body = resp.body_mut().read_to_vec().unwrap();
    // 313 bytes in 64-byte chunks: 5 pauses of 40 ms.
    assert!(
        t.elapsed() >= Duration::from_millis(200),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(body, full);
}

#[test]
fn slow_and_truncated_sparql_results() {
    let server = start();
    server.set_fault(
        Route::Sparql,
        Fault {
            truncate_body_at: Some(30),
            ..Fault::slow(10, Duration::from_millis(5))
        },
    );
    let mut resp = agent()
        .get(&server.sparql_url())
        .query(
            "query",
            "SELECT ?s WHERE { ?s a <http://www.w3.org/ns/dcat#Dataset> }",
        )
        .call()
        .unwrap();
    assert!(resp.body_mut().read_to_string().is_err());
}

#[test]
fn redirects_lead_to_the_file() {
    let server = start();
    let no_follow: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let url = format!(
        "{}presmerovani/presmerovani/soubory/{SZPI_FILE}",
        server.base_url()
    );
    let resp = no_follow.get(&url).call().unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(
        resp.headers()["location"].to_str().unwrap(),
        format!("{}presmerovani/soubory/{SZPI_FILE}", server.base_url())
    );
    let mut resp = agent().get(&url).call().unwrap();
    assert_eq!(resp.status(), 200);
    let full = std::fs::read(testdata().join("soubory").join(SZPI_FILE)).unwrap();
    assert_eq!(resp.body_mut().read_to_vec().unwrap(), full);
}

#[test]
fn shutdown_frees_the_port() {
    let server = start();
    let addr = server.addr();
    server.shutdown();
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
}
