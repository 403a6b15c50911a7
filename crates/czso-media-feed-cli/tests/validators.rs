//! Content validators and caching headers, as a newsroom's poller meets them: a document
//! regenerated with the same content keeps its entity tag (304 to a conditional request)
//! while a fresh copy carries the new generation time; `Cache-Control` and `Retry-After`
//! point at the next regeneration or cut.

mod common;

use common::{Server, ingest, simulated, wait_until, without_timestamp};
use opendata_http::client::Client;
use std::collections::BTreeMap;

const BASE: &str = "/appdata/ps2025/odata";

fn generated(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let start = text.find("DATUM_CAS_GENEROVANI=\"").unwrap() + 22;
    text[start..start + 19].to_owned()
}

#[test]
fn an_unchanged_document_keeps_its_tag_and_a_fresh_copy_its_true_time() {
    let sim = simulated(600, 0.2, 0.0, "live", "127.0.0.1");
    let definition: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sim.dir.path().join("sim/definition.json")).unwrap())
            .unwrap();
    let okresy: Vec<String> = definition["okresy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{BASE}/okresy/vysledky_okres_{}.xml",
                o["nuts"].as_str().unwrap()
            )
        })
        .collect();
    let server = Server::start(&sim.config);
    let client = Client::new(server.public);
    ingest(&server, "ps2025", &sim.batches[..1]);
    wait_until("batch 1 in the totals", || {
        let text = client
            .get(&format!("{BASE}/vysledky.xml"), &[])
            .unwrap()
            .text();
        let cr = &text[text.find("<CR>").unwrap()..];
        !cr.contains("OKRSKY_ZPRAC=\"0\"")
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    let fetch_all = || -> BTreeMap<String, opendata_http::client::Reply> {
        okresy
            .iter()
            .chain(std::iter::once(&format!("{BASE}/vysledky.xml")))
            .map(|p| (p.clone(), client.get(p, &[]).unwrap()))
            // Precincts abroad (okres CZZZZZ) are in vysledky_zahranici.xml instead.
            .filter(|(_, r)| r.status == 200)
            .collect()
    };
    let before = fetch_all();
    // DATUM_CAS_GENEROVANI has whole seconds: the next regeneration falls in a later one.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    // The next batch touches some districts only; every document is regenerated.
    ingest(&server, "ps2025", &sim.batches[1..2]);
    let stamp_before = generated(&before[&format!("{BASE}/vysledky.xml")].body);
    wait_until("the documents regenerated", || {
        generated(
            &client
                .get(&format!("{BASE}/vysledky.xml"), &[])
                .unwrap()
                .body,
        ) != stamp_before
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    let (mut unchanged, mut changed) = (0, 0);
    for (path, old) in &before {
        let etag = old.header("etag").unwrap();
        assert!(
            etag.starts_with("W/\""),
            "{path}: a regenerated document has a weak tag"
        );
        let conditional = client.get(path, &[("If-None-Match", etag)]).unwrap();
        let fresh = client.get(path, &[]).unwrap();
        assert_eq!(fresh.status, 200);
        // A fresh copy is stamped with its own regeneration.
        assert_ne!(generated(&fresh.body), generated(&old.body), "{path}");
        if without_timestamp(&fresh.body) == without_timestamp(&old.body) {
            unchanged += 1;
            assert_eq!(conditional.status, 304, "{path}: same content, same tag");
            assert_eq!(fresh.header("etag"), Some(etag), "{path}");
            assert_eq!(
                fresh.header("last-modified"),
                old.header("last-modified"),
                "{path}: Last-Modified is when the content changed"
            );
            let since = old.header("last-modified").unwrap();
            assert_eq!(
                client
                    .get(path, &[("If-Modified-Since", since)])
                    .unwrap()
                    .status,
                304
            );
        } else {
            changed += 1;
            assert_eq!(conditional.status, 200, "{path}: new content, new tag");
            assert_ne!(fresh.header("etag"), Some(etag), "{path}");
        }
    }
    assert!(
        changed > 0 && unchanged > 0,
        "{changed} changed, {unchanged} unchanged"
    );
}

/// Seconds from now to the next multiple of `period` seconds of the Unix clock.
fn to_boundary(period: u64) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let period = period * 1000;
    (period - now % period).div_ceil(1000)
}

fn max_age(reply: &opendata_http::client::Reply) -> u64 {
    reply
        .header("cache-control")
        .unwrap()
        .strip_prefix("max-age=")
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn caching_headers_point_at_the_next_regeneration_and_cut() {
    // ČSÚ's clocks: documents every 60 s, batches every 5 minutes.
    let sim = simulated(300, 60.0, 300.0, "live", "127.0.0.1");
    let server = Server::start(&sim.config);
    let client = Client::new(server.public);
    let near = |got: u64, want: u64| got.abs_diff(want) <= 1;

    let doc = client.get(&format!("{BASE}/vysledky.xml"), &[]).unwrap();
    assert_eq!(doc.status, 200);
    let want = to_boundary(60);
    assert!(
        near(max_age(&doc), want),
        "max-age {} vs {want}",
        max_age(&doc)
    );
    assert!(doc.header("retry-after").is_none());

    for path in [
        format!("{BASE}/okrsky/vysledky_okrsky_00001.xml"),
        format!("{BASE}/okrsky/vysledky_okrsky.xml"),
        "/pls/ps2025/vysledky_okrsky?davka=1".to_owned(),
    ] {
        let not_yet = client.get(&path, &[]).unwrap();
        assert!(
            not_yet.text().contains("<CHYBA KOD_CHYBY=\"10\"/>"),
            "{path}"
        );
        let want = to_boundary(300);
        let retry: u64 = not_yet.header("retry-after").unwrap().parse().unwrap();
        assert!(near(retry, want), "{path}: Retry-After {retry} vs {want}");
        assert!(near(max_age(&not_yet), want), "{path}");
    }

    // A numbered live batch never changes; the alias moves at the next cut.
    ingest(&server, "ps2025", &sim.batches[..1]);
    let batch = client
        .get(&format!("{BASE}/okrsky/vysledky_okrsky_00001.xml"), &[])
        .unwrap();
    assert_eq!(batch.status, 200, "a cut batch is published at once");
    assert_eq!(
        batch.header("cache-control"),
        Some("max-age=86400, immutable")
    );
    assert!(batch.header("etag").unwrap().starts_with('"'), "strong tag");
    let latest = client
        .get(&format!("{BASE}/okrsky/vysledky_okrsky.xml"), &[])
        .unwrap();
    assert_eq!(latest.body, batch.body);
    assert!(near(max_age(&latest), to_boundary(300)));
}
