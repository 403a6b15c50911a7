//! A batch with inconsistent precinct rows: refused whole with every such row named and the
//! rule it breaks (the default), or — with `invalid_rows = "quarantine"` — those rows set
//! aside where the operator sees them and the rest stored.

mod common;

use common::{Server, cli, simulated, wait_until};
use czso_media_feed::client::AdminClient;
use czso_media_feed::config::Config;
use czso_media_feed::xml::{parse_batch, write_batch};
use opendata_http::client::Client;

/// A batch of the simulation with two rows broken: votes that do not add up, and votes for
/// a list that is not on the ballot. Also the broken rows' labels and the number of rows.
fn broken_batch(file: &std::path::Path) -> (Vec<u8>, Vec<String>, usize) {
    let mut doc = parse_batch(&std::fs::read(file).unwrap(), "src", 1).unwrap();
    let rows_in_batch = doc.precincts.len();
    let a = &mut doc.precincts[0];
    a.votes[0].1 += 1;
    let first = a.label();
    let b = &mut doc.precincts[1];
    b.votes.push((77, 0));
    let second = b.label();
    let rows: Vec<_> = doc.precincts.iter().collect();
    let header = doc.header.clone().unwrap();
    let body = write_batch(doc.kind, doc.generated.as_deref().unwrap(), &header, &rows);
    (body.into_bytes(), vec![first, second], rows_in_batch)
}

#[test]
fn inconsistent_rows_are_named_then_quarantined() {
    let sim = simulated(600, 0.1, 0.0, "live", "127.0.0.1");
    let (body, labels, rows_in_batch) = broken_batch(&sim.batches[1]);
    let server = Server::start(&sim.config);
    let config = Config::load(&sim.config).unwrap();
    let admin = AdminClient::for_config(&config, Some(&server.admin)).unwrap();
    let ingest = |body: &[u8]| {
        admin.post(
            "/admin/ingest?election=ps2025&channel=live&cut=2&source=davka2.xml",
            body,
        )
    };

    // Refused whole: 422, every inconsistent row named with its rule, nothing stored.
    let refused = ingest(&body).unwrap_err().to_string();
    assert!(refused.contains("422"), "{refused}");
    assert!(
        refused.contains(&format!("{}: party votes add up to", labels[0])),
        "{refused}"
    );
    assert!(
        refused.contains(&format!("{}: KSTRANA 77 is not on the ballot", labels[1])),
        "{refused}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&refused[refused.find('{').unwrap()..]).unwrap();
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["precinct"], labels[0]);
    let http = Client::new(server.public);
    let batch2 = "/appdata/ps2025/odata/okrsky/vysledky_okrsky_00002.xml";
    assert_eq!(http.get(batch2, &[]).unwrap().status, 404);
    drop(server);

    // The quarantine policy: the rest of the document is stored and cut.
    let text = std::fs::read_to_string(&sim.config).unwrap();
    std::fs::write(
        &sim.config,
        format!("invalid_rows = \"quarantine\"\n{text}"),
    )
    .unwrap();
    let server = Server::start(&sim.config);
    let admin = AdminClient::for_config(&config, Some(&server.admin)).unwrap();
    let report: serde_json::Value = serde_json::from_str(
        &admin
            .post(
                "/admin/ingest?election=ps2025&channel=live&cut=2&source=davka2.xml",
                &body,
            )
            .unwrap(),
    )
    .unwrap();
    assert_eq!(report["accepted"], rows_in_batch - 2);
    assert_eq!(report["batch"], 2);
    assert_eq!(report["quarantined"].as_array().unwrap().len(), 2);
    let http = Client::new(server.public);
    wait_until("batch 2 served", || {
        http.get(batch2, &[]).unwrap().status == 200
    });
    let served = parse_batch(&http.get(batch2, &[]).unwrap().body, "served", 1).unwrap();
    assert_eq!(served.precincts.len(), rows_in_batch - 2);

    // Visible to the operator: the CLI list, the status counts, the audit log.
    let config_path = server.config.display().to_string();
    let (ok, out) = cli(&[
        "quarantine",
        "--config",
        &config_path,
        "--admin",
        &server.admin,
        "--election",
        "ps2025",
    ]);
    assert!(ok, "{out}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.contains(&labels[1]) && out.contains("KSTRANA 77 is not on the ballot"));
    assert!(!out.contains("superseded"));
    let status: serde_json::Value =
        serde_json::from_str(&admin.get("/admin/status").unwrap()).unwrap();
    let live = &status["elections"][0]["channels"][1];
    assert_eq!(
        (
            live["quarantined"].as_u64(),
            live["quarantined_open"].as_u64()
        ),
        (Some(2), Some(2))
    );
    let audit = std::fs::read_to_string(sim.dir.path().join("logs/admin.log")).unwrap_or_default();
    assert!(
        audit.contains("quarantine election=ps2025 channel=live source=davka2.xml rows=2"),
        "{audit}"
    );

    // The commission sends the two precincts again, right: stored, the quarantine says so.
    let (ok, out) = cli(&[
        "ingest",
        "--config",
        &config_path,
        "--admin",
        &server.admin,
        "--election",
        "ps2025",
        sim.batches[1].to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("\"accepted\":2"), "{out}");
    let (_, out) = cli(&[
        "quarantine",
        "--config",
        &config_path,
        "--admin",
        &server.admin,
        "--election",
        "ps2025",
    ]);
    assert_eq!(out.matches("superseded").count(), 2, "{out}");
}

/// The quarantined rows and the rest of their document are stored in one transaction: a
/// `kill -9` with the ingest stopped before its commit (the test hook) leaves neither behind,
/// and the client's re-send then stores both once.
#[test]
fn a_kill_before_the_commit_leaves_no_quarantined_rows_of_an_unstored_document() {
    let sim = simulated(600, 0.1, 0.0, "live", "127.0.0.1");
    let (body, labels, rows_in_batch) = broken_batch(&sim.batches[1]);
    let text = std::fs::read_to_string(&sim.config).unwrap();
    std::fs::write(
        &sim.config,
        format!("invalid_rows = \"quarantine\"\n{text}"),
    )
    .unwrap();
    let config = Config::load(&sim.config).unwrap();
    let marker = sim.dir.path().join("hook-reached");
    let server = Server::start_with_env(
        &sim.config,
        &[(
            czso_media_feed::hook::HOOK_VARIABLE,
            &format!("before-commit:1:{}", marker.display()),
        )],
    );
    let ingest_path = "/admin/ingest?election=ps2025&channel=live&cut=2&source=davka2.xml";
    let sender = {
        let admin = AdminClient::for_config(&config, Some(&server.admin)).unwrap();
        let body = body.clone();
        std::thread::spawn(move || admin.post(ingest_path, &body))
    };
    wait_until("the ingest to reach the hook", || marker.exists());
    server.kill();
    assert!(
        sender.join().unwrap().is_err(),
        "the stopped ingest is not acknowledged"
    );

    let server = Server::start(&sim.config);
    let admin = AdminClient::for_config(&config, Some(&server.admin)).unwrap();
    let quarantined = |admin: &AdminClient| -> Vec<serde_json::Value> {
        let list: serde_json::Value =
            serde_json::from_str(&admin.quarantine("ps2025").unwrap()).unwrap();
        list["rows"].as_array().unwrap().clone()
    };
    assert_eq!(
        quarantined(&admin),
        Vec::<serde_json::Value>::new(),
        "rows quarantined from a document that was never stored"
    );
    let http = Client::new(server.public);
    let batch2 = "/appdata/ps2025/odata/okrsky/vysledky_okrsky_00002.xml";
    assert_eq!(http.get(batch2, &[]).unwrap().status, 404);

    // The re-send: the rest stored and cut, the two rows quarantined once.
    let report: serde_json::Value =
        serde_json::from_str(&admin.post(ingest_path, &body).unwrap()).unwrap();
    assert_eq!(report["accepted"], rows_in_batch - 2);
    assert_eq!(report["batch"], 2);
    let rows = quarantined(&admin);
    let precincts: Vec<&str> = rows
        .iter()
        .map(|r| r["precinct"].as_str().unwrap())
        .collect();
    assert_eq!(precincts, [labels[0].as_str(), labels[1].as_str()]);
}
