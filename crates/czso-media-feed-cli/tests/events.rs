//! The batch manifest and the Server-Sent Events stream, followed by a real SSE client
//! library (LaunchDarkly's `eventsource-client`) as a newsroom would use it: every batch and
//! every changed document announced with the hashes the served bytes have, the manifest
//! agreeing with the events, a reconnect resuming from `Last-Event-ID`, access control as
//! for the documents, resets announced, and the stream ending promptly when the server stops.

mod common;

use common::{Server, cli, ingest, simulated, wait_until};
use eventsource_client::{Client as _, ClientBuilder, ReconnectOptions, SSE};
use futures_util::StreamExt as _;
use launchdarkly_sdk_transport::HyperTransport;
use opendata_http::client::Client;
use sha2::{Digest, Sha256};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const EVENTS: &str = "/appdata/ps2025/odata/udalosti";

/// One event as the client library delivered it.
#[derive(Debug, Clone)]
struct Received {
    name: String,
    data: serde_json::Value,
    id: Option<String>,
}

/// Follows the event stream at `url` on a thread of its own until the stream ends.
fn listen(url: String, last_event_id: Option<String>) -> mpsc::Receiver<Received> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let transport = HyperTransport::builder().build_http().unwrap();
            let mut builder = ClientBuilder::for_url(&url)
                .unwrap()
                .reconnect(ReconnectOptions::reconnect(false).build());
            if let Some(id) = last_event_id {
                builder = builder.last_event_id(id);
            }
            let client = builder.build_with_transport(transport);
            let mut stream = client.stream();
            while let Some(Ok(item)) = stream.next().await {
                if let SSE::Event(e) = item {
                    let received = Received {
                        name: e.event_type,
                        data: serde_json::from_str(&e.data).unwrap(),
                        id: e.id,
                    };
                    if tx.send(received).is_err() {
                        return;
                    }
                }
            }
        });
    });
    rx
}

/// The next event named `name` (others are skipped), within 20 s.
fn next_named(rx: &mpsc::Receiver<Received>, name: &str) -> Received {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no `{name}` event: {e}"));
        if event.name == name {
            return event;
        }
    }
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn batches_and_documents_are_announced_to_an_sse_client() {
    let sim = simulated(600, 0.2, 0.0, "live", "127.0.0.1");
    let server = Server::start(&sim.config);
    let http = Client::new(server.public);
    let url = format!("http://{}{EVENTS}", server.public);
    let events = listen(url.clone(), None);
    let state = next_named(&events, "stav");
    assert_eq!(state.data["DAVKY"], 0);
    assert_eq!(state.data["MANIFEST"], "/appdata/ps2025/odata/davky.json");

    let mut announced = Vec::new();
    for n in 1..=3u32 {
        ingest(&server, "ps2025", &sim.batches[n as usize - 1..n as usize]);
        let batch = next_named(&events, "davka");
        assert_eq!(batch.data["PORADI_DAVKY"], n);
        let path = format!("/appdata/ps2025/odata/okrsky/vysledky_okrsky_{n:05}.xml");
        assert_eq!(
            batch.data["SOUBOR"],
            format!("okrsky/vysledky_okrsky_{n:05}.xml")
        );
        let served = http.get(&path, &[]).unwrap();
        assert_eq!(served.status, 200);
        assert_eq!(batch.data["SHA256"], sha256(&served.body), "batch {n}");
        let source = czso_media_feed::xml::parse_batch(
            &std::fs::read(&sim.batches[n as usize - 1]).unwrap(),
            "src",
            1,
        )
        .unwrap();
        assert_eq!(batch.data["ZAZNAMY"], source.precincts.len());
        announced.push(batch);
    }
    // The national totals changed with the batches: announced with the tag they are served
    // with once the announcements settle.
    let mut last_vysledky = None;
    let deadline = Instant::now() + Duration::from_secs(5);
    while let Ok(e) = events.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if e.name == "dokument" && e.data["SOUBOR"] == "vysledky.xml" {
            last_vysledky = Some(e);
        }
        if last_vysledky.is_some() {
            break;
        }
    }
    let doc = last_vysledky.expect("vysledky.xml announced");
    wait_until("vysledky.xml served as announced", || {
        http.get("/appdata/ps2025/odata/vysledky.xml", &[])
            .unwrap()
            .header("etag")
            == doc.data["ETAG"].as_str()
    });

    // The manifest lists what the events announced, in both forms.
    let manifest = http.get("/appdata/ps2025/odata/davky.json", &[]).unwrap();
    assert_eq!(manifest.header("content-type"), Some("application/json"));
    let manifest: serde_json::Value = serde_json::from_slice(&manifest.body).unwrap();
    let listed = manifest["DAVKY"].as_array().unwrap();
    assert_eq!(listed.len(), 3);
    for (entry, event) in listed.iter().zip(&announced) {
        assert_eq!(entry, &event.data);
    }
    let xml = http
        .get("/appdata/ps2025/odata/davky.xml", &[])
        .unwrap()
        .text();
    assert_eq!(xml.matches("<DAVKA ").count(), 3);
    assert!(xml.contains(&format!(
        "SHA256=\"{}\"",
        announced[2].data["SHA256"].as_str().unwrap()
    )));

    // A client reconnecting after batch 1 gets what it missed first.
    let resumed = listen(url, announced[0].id.clone());
    let first = next_named(&resumed, "davka");
    assert_eq!(first.data["PORADI_DAVKY"], 2);
    assert_eq!(next_named(&resumed, "davka").data["PORADI_DAVKY"], 3);

    // Access control as for the documents.
    let stranger = Client::new(server.public).from_source("127.0.0.9".parse().unwrap());
    assert_eq!(stranger.get(EVENTS, &[]).unwrap().status, 403);

    // SIGTERM: the streams end at once and the server exits without waiting out its
    // shutdown deadline for them.
    let pid = server.child.id().to_string();
    let started = Instant::now();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut server = server;
    let status = server.child.wait().unwrap();
    assert!(status.success());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stopped in {:?}",
        started.elapsed()
    );
    // Both listeners see their stream end.
    for rx in [events, resumed] {
        loop {
            match rx.recv_timeout(Duration::from_secs(5)) {
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("the stream did not end"),
            }
        }
    }
}

#[test]
fn a_reset_of_the_test_data_set_is_announced() {
    let sim = simulated(300, 0.2, 0.0, "test", "127.0.0.1");
    let server = Server::start(&sim.config);
    let events = listen(format!("http://{}{EVENTS}", server.public), None);
    next_named(&events, "stav");
    let config = server.config.display().to_string();
    let batch = sim.batches[0].display().to_string();
    let (ok, out) = cli(&[
        "ingest",
        "--config",
        &config,
        "--admin",
        &server.admin,
        "--election",
        "ps2025",
        "--channel",
        "test",
        "--cut",
        &batch,
    ]);
    assert!(ok, "{out}");
    assert_eq!(next_named(&events, "davka").data["PORADI_DAVKY"], 1);
    let (ok, out) = cli(&[
        "reset",
        "--config",
        &config,
        "--admin",
        &server.admin,
        "--election",
        "ps2025",
    ]);
    assert!(ok, "{out}");
    next_named(&events, "reset");
    // The same batch again is batch 1 again, announced again.
    let (ok, out) = cli(&[
        "ingest",
        "--config",
        &config,
        "--admin",
        &server.admin,
        "--election",
        "ps2025",
        "--channel",
        "test",
        "--cut",
        &batch,
    ]);
    assert!(ok, "{out}");
    assert_eq!(next_named(&events, "davka").data["PORADI_DAVKY"], 1);
}
