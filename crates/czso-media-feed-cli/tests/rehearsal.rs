//! Rehearsals on the real KV 2022 batches: `replay --reset --faults all` twice in a row,
//! followed by a polling client written as newsrooms write theirs (latest batch, then every
//! missing number; 404 and `CHYBA` mean "not yet"; the highest `PORADI_ZPRAC` wins). Each
//! rehearsal starts from nothing, shows the client every fault, and ends where the other did.

mod common;

use common::{Server, cli};
use czso_media_feed::model::PrecinctKey;
use czso_media_feed::rehearsal::{self, Action, Fault, Options, Source};
use czso_media_feed::xml::parse_batch;
use opendata_http::client::Client;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The real KV 2022 batches of the test data, in order (batch 1 of 2022 holds no precinct).
const BATCHES: [u32; 9] = [2, 3, 4, 5, 6, 7, 150, 151, 152];

fn batch_files() -> Vec<PathBuf> {
    BATCHES
        .iter()
        .map(|n| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../testdata/volby")
                .join(format!("kv2022_vysledky_okrsky_davka_{n:03}.xml"))
        })
        .collect()
}

/// Precinct table of a client: the row with the highest `PORADI_ZPRAC` per precinct.
type Table = BTreeMap<PrecinctKey, (u64, Vec<(u32, u64)>)>;

fn apply(table: &mut Table, body: &[u8]) {
    for row in parse_batch(body, "batch", 1).unwrap().precincts {
        let entry = table.entry(row.key()).or_insert((0, Vec::new()));
        if row.sequence > entry.0 {
            *entry = (row.sequence, row.votes);
        }
    }
}

/// What the polling client saw.
#[derive(Default, Debug)]
struct Seen {
    not_yet: usize,
    server_errors: usize,
    latin2: usize,
    resent_rows: usize,
    table: Table,
}

const BASE: &str = "/appdata/kv2022/odata/okrsky";

fn poll_until_last_batch(client: &Client, stop: &AtomicBool) -> Seen {
    let mut seen = Seen::default();
    let mut fetched = 0u32;
    let last = *BATCHES.last().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while fetched < last && !stop.load(Ordering::Relaxed) {
        assert!(
            Instant::now() < deadline,
            "the client never saw the last batch"
        );
        std::thread::sleep(Duration::from_millis(20));
        let latest = client
            .get(&format!("{BASE}/vysledky_okrsky.xml"), &[])
            .unwrap();
        match latest.status {
            404 => {
                assert!(
                    String::from_utf8_lossy(&latest.body).contains("<CHYBA KOD_CHYBY=\"10\"/>"),
                    "a batch not there yet says CHYBA 10"
                );
                seen.not_yet += 1;
                continue;
            }
            500 => {
                seen.server_errors += 1;
                continue;
            }
            200 => {}
            other => panic!("unexpected status {other}"),
        }
        let newest = parse_batch(&latest.body, "latest", 1)
            .unwrap()
            .header
            .unwrap()
            .number;
        let missing: Vec<u32> = BATCHES
            .iter()
            .copied()
            .filter(|&n| n > fetched && n <= newest)
            .collect();
        for n in missing {
            let r = client
                .get(&format!("{BASE}/vysledky_okrsky_{n:05}.xml"), &[])
                .unwrap();
            if r.status == 500 {
                seen.server_errors += 1;
                break; // try again on the next round
            }
            assert_eq!(r.status, 200, "batch {n}");
            if r.header("content-type") == Some("application/xml; charset=iso-8859-2") {
                assert!(
                    r.body
                        .starts_with(b"<?xml version=\"1.0\" encoding=\"ISO-8859-2\"?>"),
                    "declared in the document too"
                );
                // "Český statistický úřad" in ISO-8859-2: the note reads right once decoded.
                let cesky = b"\xc8esk\xfd statistick\xfd";
                assert!(
                    r.body.windows(cesky.len()).any(|w| w == cesky),
                    "really encoded in ISO-8859-2"
                );
                seen.latin2 += 1;
            }
            let parsed = parse_batch(&r.body, "batch", 1).unwrap();
            seen.resent_rows += parsed.precincts.iter().filter(|p| p.repeated).count();
            apply(&mut seen.table, &r.body);
            fetched = n;
        }
    }
    seen
}

fn rehearse(server: &Server, client: &Arc<Client>) -> Seen {
    // The operator resets the test data set; newsrooms start their clients afresh.
    let config = server.config.to_str().unwrap();
    let (ok, out) = cli(&[
        "reset",
        "--config",
        config,
        "--admin",
        &server.admin,
        "--election",
        "kv2022",
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("\"rows_removed\""), "{out}");
    let stop = Arc::new(AtomicBool::new(false));
    let poller = {
        let client = Arc::clone(client);
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || poll_until_last_batch(&client, &stop))
    };
    let files = batch_files();
    let mut args = vec![
        "replay".to_owned(),
        "--config".into(),
        config.to_owned(),
        "--admin".into(),
        server.admin.clone(),
        "--election".into(),
        "kv2022".into(),
        "--faults".into(),
        "all".into(),
        "--speed".into(),
        "0".into(),
        "--fault-secs".into(),
        "1".into(),
    ];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let (ok, out) = cli(&args.iter().map(String::as_str).collect::<Vec<_>>());
    if !ok {
        stop.store(true, Ordering::Relaxed);
    }
    assert!(ok, "{out}");
    for fault in Fault::ALL {
        // The real KV batches hold no preferential votes to send late.
        if fault != Fault::LateCandidates {
            assert!(out.contains(&format!("{}:", fault.name())), "{out}");
        }
    }
    poller.join().unwrap()
}

#[test]
fn a_rehearsal_with_every_fault_can_be_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("kv2022.json"),
        r#"{"id": "kv2022", "kind": "kv", "election_date": "20220923",
            "open_geography": true, "okrsky_celkem": 16854}"#,
    )
    .unwrap();
    let config = root.join("feed.toml");
    std::fs::write(
        &config,
        "database = \"feed.sqlite\"\nlisten = [\"127.0.0.1:0\"]\nadmin_listen = \"127.0.0.1:0\"\n\
         cache_period_secs = 0.05\nbatch_interval_secs = 0\nreload_interval_secs = 0.1\nlog_dir = \"logs\"\n\
         [[election]]\ndefinition = \"kv2022.json\"\nschedule = [{ at = \"2022-09-01T00:00\", phase = \"test\" }]\n",
    )
    .unwrap();
    let db = root.join("feed.sqlite");
    let db = db.to_str().unwrap();
    let (ok, out) = cli(&[
        "registry",
        "--db",
        db,
        "add",
        "--name",
        "Redakce",
        "--email",
        "it@redakce.cz",
        "--phone",
        "+420 222 333 444",
        "--test",
        "127.0.0.1",
    ]);
    assert!(ok, "{out}");
    assert!(cli(&["registry", "--db", db, "approve", "Redakce"]).0);
    let server = Server::start(&config);
    let client = Arc::new(Client::new(server.public));

    // What a correct client must end with: the planned documents applied in order.
    let sources: Vec<Source> = batch_files()
        .iter()
        .map(|f| Source {
            name: f.display().to_string(),
            body: std::fs::read(f).unwrap(),
        })
        .collect();
    let steps = rehearsal::plan(
        &sources,
        &Options {
            round: 1,
            speed: 0.0,
            faults: Fault::ALL.to_vec(),
            fault_secs: Some(1.0),
        },
    )
    .unwrap();
    let mut expected = Table::new();
    for step in &steps {
        if let Action::Ingest { body, .. } = &step.action {
            apply(&mut expected, body);
        }
    }

    let first = rehearse(&server, &client);
    assert!(first.not_yet > 0, "no CHYBA 10 before the first batch");
    assert!(first.server_errors > 0, "no 500 seen");
    assert!(first.latin2 > 0, "no ISO-8859-2 document seen");
    assert!(first.resent_rows > 0, "no re-sent precinct seen");
    assert_eq!(first.table, expected);

    // Again from the start: the reset empties the test data set, the same faults strike,
    // the client ends with the same table.
    let second = rehearse(&server, &client);
    assert!(second.not_yet > 0, "the reset left batches behind");
    assert!(second.server_errors > 0 && second.latin2 > 0 && second.resent_rows > 0);
    assert_eq!(second.table, expected);

    // The registry and the phases were kept (the client was served throughout); both resets
    // are in the operator's audit log.
    let audit = std::fs::read_to_string(root.join("logs/admin.log")).unwrap();
    assert_eq!(
        audit
            .lines()
            .filter(|l| l.contains("reset election=kv2022 channel=test"))
            .count(),
        2,
        "{audit}"
    );
    assert!(audit.contains("faults election=kv2022 channel=test charset=iso-8859-2"));
    // The live data set cannot be reset.
    let config = czso_media_feed::config::Config::load(&server.config).unwrap();
    let live = czso_media_feed::client::AdminClient::for_config(&config, Some(&server.admin))
        .unwrap()
        .post("/admin/reset?election=kv2022&channel=live", b"");
    assert!(live.unwrap_err().to_string().contains("test data set only"),);
}
