//! `update` end to end against a real nkod-server over HTTP on loopback: the embedded
//! catalogue, change detection, the changes feed, the catalogue failing, the backends, and
//! kill -9. Every publication is rebuilt by `verify` byte for byte.

mod common;

use common::*;
use nkod_server::{Fault, NkodServer, Route, ServerConfig, SnapshotSource};
use std::collections::BTreeMap;
use std::time::Duration;
use unified_blocklist::config::Backend;
use unified_blocklist::publish::{Publisher, verify};
use unified_blocklist::state::Health;
use unified_blocklist::update::{
    EXIT_DEGRADED, EXIT_NOTHING_USABLE, EXIT_OK, SourceStatus, UpdateError, files, update,
};

#[test]
fn embedded_update_publishes_every_output_and_then_finds_no_change() {
    let tmp = tempfile::tempdir().unwrap();
    let options = options(tmp.path(), "embedded");
    let report = update(&options).unwrap();
    assert!(report.published.is_some());
    assert_eq!(report.exit_code(), EXIT_OK);
    let out = &options.out;
    for name in [
        files::DECREE_CSV,
        files::DECREE_METADATA,
        files::EXTENDED_CSV,
        files::EXTENDED_METADATA,
        files::RPZ,
        files::HOSTS,
        files::PAGE,
        files::CHANGES_CSV,
        files::CHANGES_ATOM,
        files::DCAT_TTL,
        files::DCAT_JSONLD,
        files::KATALOG,
        files::STATUS,
        files::MANIFEST,
        "SHA256SUMS",
        "zdroje/mf.csv",
        "zdroje/rucni.csv",
        "archiv/2026-11-22/jednotny-seznam.csv",
        "archiv/2026-11-22/zdroje/uskvbl.csv",
        "archiv/2026-11-22/manifest.json",
    ] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    assert!(verify(out).unwrap().is_empty());
    verify_all(out);

    // The page holds every row of the CSV, and the counts match.
    let rows = rows(out);
    let page = std::fs::read_to_string(out.join(files::PAGE)).unwrap();
    assert_eq!(
        page.matches("<tr data-zdroj=").count() + page.matches("<tr class=\"vymazano\"").count(),
        rows.len()
    );
    let (active, removed) = report.rows.unwrap();
    assert_eq!(active + removed, rows.len());
    assert!(page.contains(&format!("<strong id=\"aktivni\">{active}</strong>")));
    assert!(page.contains(&format!("<strong id=\"vymazane\">{removed}</strong>")));
    // The four authorities with the NKOD dataset titles, and MZV's two hand-kept entries.
    let sources: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r.source.as_str()).collect();
    assert_eq!(sources.len(), 5, "{sources:?}");
    let mzv: Vec<&str> = rows
        .iter()
        .filter(|r| r.source == MZV)
        .map(|r| r.url.as_str())
        .collect();
    assert_eq!(mzv, ["voiceofeurope.com", "voiceofeurope.eu"]);
    // The candidate of a fifth publisher is reported, not included.
    assert_eq!(report.candidates.len(), 1, "{:?}", report.candidates);
    assert_eq!(report.candidates[0].dataset_iri, COI_DATASET);
    assert!(!rows.iter().any(|r| r.url.ends_with(".example")));
    let status = status(out);
    assert_eq!(status["degraded"], false);
    assert_eq!(status["candidates"][0]["dataset_iri"], COI_DATASET);
    assert_eq!(status["candidates"][0]["reasons"][0], "legal-basis");
    assert_eq!(status["sources"].as_array().unwrap().len(), 5);
    // The metadata carries the validity date and each source's distribution as the origin.
    let metadata = std::fs::read_to_string(out.join(files::DECREE_METADATA)).unwrap();
    assert!(metadata.contains("2026-11-22"), "{metadata}");
    let metadata: serde_json::Value = serde_json::from_str(&metadata).unwrap();
    assert_eq!(
        metadata["prov:wasDerivedFrom"].as_array().unwrap().len(),
        4,
        "{metadata}"
    );
    // MF's dataset also has a PDF distribution; the CSV one is used.
    assert!(
        status_of(out, "mf")["distribution_url"]
            .as_str()
            .unwrap()
            .ends_with(".csv")
    );
    // The first publication's changes are all additions.
    let changes = std::fs::read_to_string(out.join(files::CHANGES_CSV)).unwrap();
    assert_eq!(changes.lines().count() - 1, rows.len());
    assert!(changes.lines().skip(1).all(|l| l.starts_with("pridano,")));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join(files::MANIFEST)).unwrap()).unwrap();
    assert_eq!(manifest["counts"]["added"], rows.len());
    assert_eq!(manifest["publication"], report.published.clone().unwrap());

    // Nothing changed: no new publication, one catalogue request, one 304 per list.
    let before = snapshot_of(out);
    let again = update(&options).unwrap();
    assert_eq!(again.published, None);
    assert_eq!(again.exit_code(), EXIT_OK);
    assert_eq!(again.catalogue_usage.requests, 1);
    assert_eq!(again.download_usage.requests, 4);
    for source in &again.sources {
        let expected = if source.id == "rucni" {
            SourceStatus::UnchangedByHash
        } else {
            SourceStatus::NotModified
        };
        assert_eq!(source.status, Some(expected), "{}", source.id);
    }
    assert_eq!(snapshot_of(out), before);
}

#[test]
fn a_changed_list_is_downloaded_alone_and_shows_in_the_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, files_dir) = catalogue(tmp.path(), None);
    let mut options = options(tmp.path(), server.base_url());
    update(&options).unwrap();
    let first_rpz = std::fs::read_to_string(options.out.join(files::RPZ)).unwrap();

    // SZPI adds a row (the file keeps its own quirks: quoted URL, no final newline).
    let szpi = files_dir.join(SZPI_FILE);
    let mut text = std::fs::read_to_string(&szpi).unwrap();
    text.push_str("\r\n\"nove-nebezpecne-potraviny.cz\",2026-11-20,");
    std::fs::write(&szpi, text).unwrap();
    options.valid_as_of = Some(day(23));
    let report = update(&options).unwrap();
    assert!(report.published.is_some());
    let statuses: BTreeMap<&str, Option<SourceStatus>> = report
        .sources
        .iter()
        .map(|s| (s.id.as_str(), s.status))
        .collect();
    assert_eq!(statuses["szpi"], Some(SourceStatus::Changed));
    for id in ["mf", "sukl", "uskvbl"] {
        assert_eq!(statuses[id], Some(SourceStatus::NotModified), "{id}");
    }
    assert_eq!(report.changes, 1);
    let changes = std::fs::read_to_string(options.out.join(files::CHANGES_CSV)).unwrap();
    assert!(
        changes.contains("pridano,nove-nebezpecne-potraviny.cz,2026-11-20,"),
        "{changes}"
    );
    let atom = std::fs::read_to_string(options.out.join(files::CHANGES_ATOM)).unwrap();
    assert_eq!(
        atom.matches("<entry>").count(),
        2,
        "one entry per publication"
    );
    // The zone has the new host and a higher serial; the archive keeps yesterday.
    let rpz = std::fs::read_to_string(options.out.join(files::RPZ)).unwrap();
    assert!(rpz.contains("\nnove-nebezpecne-potraviny.cz CNAME .\n"));
    let serial = |zone: &str| -> u32 {
        zone.lines()
            .find(|l| l.contains("SOA"))
            .unwrap()
            .split_whitespace()
            .nth(6)
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(serial(&rpz) > serial(&first_rpz));
    assert_eq!(
        std::fs::read_to_string(options.out.join("archiv/2026-11-22").join(files::RPZ)).unwrap(),
        first_rpz
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(options.out.join(files::MANIFEST)).unwrap()).unwrap();
    assert_eq!(manifest["counts"]["added"], 1);
    assert_eq!(manifest["previous_valid_as_of"], "2026-11-22");
    verify_all(&options.out);
}

#[test]
fn the_catalogue_down_keeps_every_last_good_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, _) = catalogue(tmp.path(), None);
    let mut options = options(tmp.path(), server.base_url());

    // A first run with the catalogue unreachable: no source is usable, nothing published.
    let mut down = options.clone();
    down.nkod = "http://127.0.0.1:9/".into();
    let error = update(&down).expect_err("nothing to publish");
    assert_eq!(error.exit_code(), EXIT_NOTHING_USABLE);
    assert!(matches!(error, UpdateError::NothingUsable { .. }));
    assert!(
        error.to_string().contains("catalogue-unavailable"),
        "{error}"
    );
    assert!(!options.out.exists());

    update(&options).unwrap();
    let published = rows(&options.out);

    // The catalogue answers 500: every catalogue source is stale, the rows stay, and the
    // change of health is published (stav.json, the page, the feed) with the stale exit code.
    server.set_fault(Route::Sparql, Fault::errors(1.0, 500));
    options.valid_as_of = Some(day(23));
    let report = update(&options).unwrap();
    assert_eq!(report.exit_code(), EXIT_DEGRADED);
    assert!(report.published.is_some());
    assert_eq!(rows(&options.out), published);
    for id in ["mf", "sukl", "szpi", "uskvbl"] {
        let s = status_of(&options.out, id);
        assert_eq!(s["state"], "stale", "{id}");
        assert_eq!(
            s["last_attempt"]["failure"]["rule"],
            "catalogue-unavailable"
        );
        assert_eq!(s["last_attempt"]["failure"]["http_status"], 500);
        assert_eq!(
            s["data_valid_as_of"],
            report
                .source(id)
                .unwrap()
                .data_valid_as_of()
                .unwrap()
                .to_string()
        );
    }
    assert_eq!(status_of(&options.out, "rucni")["state"], "current");
    let atom = std::fs::read_to_string(options.out.join(files::CHANGES_ATOM)).unwrap();
    assert!(
        atom.contains("Zdroj Ministerstvo financí je zastaralý"),
        "{atom}"
    );

    // Still down the next day: nothing new to publish, still the stale exit code.
    let before = snapshot_of(&options.out);
    options.valid_as_of = Some(day(24));
    let report = update(&options).unwrap();
    assert_eq!(report.published, None);
    assert_eq!(report.exit_code(), EXIT_DEGRADED);
    assert_eq!(snapshot_of(&options.out), before);

    // Back: the sources recover and that is published.
    server.clear_faults();
    options.valid_as_of = Some(day(25));
    let report = update(&options).unwrap();
    assert_eq!(report.exit_code(), EXIT_OK);
    assert!(report.published.is_some());
    assert_eq!(status_of(&options.out, "mf")["state"], "current");
    let atom = std::fs::read_to_string(options.out.join(files::CHANGES_ATOM)).unwrap();
    assert!(
        atom.contains("Zdroj Ministerstvo financí je opět aktuální"),
        "{atom}"
    );
    verify_all(&options.out);
}

#[test]
fn kill_9_during_publish_never_leaves_a_partial_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let binary = env!("CARGO_BIN_EXE_unified-blocklist");
    let out = tmp.path().join("out");
    let state = tmp.path().join("state");
    let run = |force: bool| {
        let mut cmd = std::process::Command::new(binary);
        cmd.arg("update")
            .arg("--out")
            .arg(&out)
            .arg("--state")
            .arg(&state);
        if force {
            cmd.arg("--force");
        }
        cmd.stderr(std::process::Stdio::null());
        cmd
    };
    assert!(run(false).status().unwrap().success());
    // Kill forced updates at spread-out moments: before, during and after the swap.
    for delay_ms in [
        50u64, 300, 600, 900, 1100, 1300, 1500, 1700, 1900, 2100, 2400,
    ] {
        let mut child = run(true).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let current = Publisher::new(&out)
            .current()
            .unwrap()
            .expect("a publication");
        assert!(
            current.is_dir(),
            "link to a missing directory after {delay_ms} ms"
        );
        let problems = verify(&out).unwrap();
        assert!(
            problems.is_empty(),
            "after kill at {delay_ms} ms: {problems:?}"
        );
    }
    // And the next run still works, and its publication rebuilds byte for byte.
    assert!(run(true).status().unwrap().success());
    assert!(verify(&out).unwrap().is_empty());
    let verified = std::process::Command::new(binary)
        .args(["verify", "--all", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}

#[test]
fn ldf_and_graphql_backends_publish_the_same_list() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, _) = catalogue(tmp.path(), None);
    let mut published = Vec::new();
    for backend in [Backend::Sparql, Backend::Ldf, Backend::Graphql] {
        let dir = tmp.path().join(format!("{backend:?}"));
        let mut options = options(&dir, server.base_url());
        options.backend = backend.clone();
        let report = update(&options).unwrap();
        assert_eq!(report.exit_code(), EXIT_OK, "{backend:?}");
        // GraphQL has no filter by legal basis or keyword: no candidate search there.
        let expected = usize::from(backend != Backend::Graphql);
        assert_eq!(report.candidates.len(), expected, "{backend:?}");
        published.push(std::fs::read(options.out.join(files::DECREE_CSV)).unwrap());
        verify_all(&options.out);
    }
    assert_eq!(published[0], published[1]);
    assert_eq!(published[0], published[2]);
}

#[test]
fn catalogue_dates_spare_the_downloads() {
    let tmp = tempfile::tempdir().unwrap();
    let snapshot = snapshot_text();
    // A catalogue that carries distribution modification dates (NKOD may add them one day).
    let dated = |szpi_date: &str| {
        snapshot
            .replace(
                "    dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> ;\n",
                "    dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> ;\n    dct:modified \"2026-11-01\"^^<http://www.w3.org/2001/XMLSchema#date> ;\n",
            )
            .replacen(
                "<soubory/szpi-blokovane-weby.csv> ;\n",
                &format!("<soubory/szpi-blokovane-weby.csv> ;\n    dct:modified \"{szpi_date}\"^^<http://www.w3.org/2001/XMLSchema#date> ;\n"),
                1,
            )
    };
    let first = dated("2026-11-01");
    assert!(
        first.matches("dct:modified \"2026-11-01\"").count() >= 4,
        "the snapshot layout changed"
    );
    let (server, _) = catalogue(tmp.path(), Some(first.clone()));
    let options = options(tmp.path(), server.base_url());
    update(&options).unwrap();
    let again = update(&options).unwrap();
    assert_eq!(again.published, None);
    assert_eq!(
        again.download_usage.requests, 0,
        "dates unchanged: nothing downloaded"
    );
    for source in again.sources.iter().filter(|s| s.id != "rucni") {
        assert_eq!(
            source.status,
            Some(SourceStatus::UnchangedByDate),
            "{}",
            source.id
        );
    }
    let addr = server.addr();
    drop(server);

    // SZPI's date moves (same catalogue address, so the same download URLs): only SZPI is
    // fetched, and as its content is the same there is no new publication.
    let source = SnapshotSource::Trig {
        text: dated("2026-11-21"),
        origin: "dated".into(),
    };
    let server = NkodServer::start(
        ServerConfig::new(source)
            .with_files_dir(tmp.path().join("soubory"))
            .with_listen(addr),
    )
    .unwrap();
    assert_eq!(server.base_url(), options.nkod);
    let report = update(&options).unwrap();
    assert_eq!(report.download_usage.requests, 1);
    let szpi = report.source("szpi").unwrap();
    assert_ne!(szpi.status, Some(SourceStatus::UnchangedByDate));
    assert_eq!(report.published, None);
    verify_all(&options.out);
}

#[test]
fn two_updates_never_run_on_one_state_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let options = options(tmp.path(), "embedded");
    let held = unified_blocklist::state::StateDir::new(&options.state)
        .lock()
        .unwrap();
    let error = update(&options).unwrap_err();
    assert!(
        error.to_string().contains("another update is running"),
        "{error}"
    );
    assert!(!options.out.exists());
    drop(held);
    assert!(update(&options).unwrap().published.is_some());
    verify_all(&options.out);
}

#[test]
fn a_state_written_before_per_source_health_still_loads() {
    // The shape `state.json` had before: the last good copy's fields at the top level.
    let tmp = tempfile::tempdir().unwrap();
    let options = options(tmp.path(), "embedded");
    update(&options).unwrap();
    let path = options.state.join("state.json");
    let mut state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for (_, source) in state["sources"].as_object_mut().unwrap() {
        let good = source["last_good"].clone();
        *source = good;
        source.as_object_mut().unwrap().remove("authority");
        source.as_object_mut().unwrap().remove("distribution_iri");
        source.as_object_mut().unwrap().remove("obtained_at");
    }
    std::fs::write(&path, serde_json::to_vec(&state).unwrap()).unwrap();
    let report = update(&options).unwrap();
    assert_eq!(report.exit_code(), EXIT_OK);
    assert!(report.sources.iter().all(|s| s.health == Health::Current));
    // Its validators still give conditional GETs.
    assert!(
        report
            .sources
            .iter()
            .filter(|s| s.id != "rucni")
            .all(|s| s.status == Some(SourceStatus::NotModified))
    );
    verify_all(&options.out);
}

#[test]
fn the_lookup_index_follows_publications_and_is_rebuilt_from_the_archive() {
    use unified_blocklist::lookup::LookupIndex;
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (server, files) = catalogue(tmp.path(), None);
    let mut options = options(tmp.path(), server.base_url());
    update(&options).unwrap();

    // The next day SZPI removes one site and adds another.
    let szpi = files.join("szpi-blokovane-weby.csv");
    let text = std::fs::read_to_string(&szpi).unwrap();
    let text = text.replace(
        "\"mms-kapky.cz\",\"2023-11-07\",",
        "\"mms-kapky.cz\",\"2023-11-07\",\"2026-11-23\"",
    );
    std::fs::write(
        &szpi,
        format!("{text}\r\n\"novy-web.cz\",\"2026-11-23\",\r\n"),
    )
    .unwrap();
    options.valid_as_of = Some(day(23));
    update(&options).unwrap();

    let index = LookupIndex::load(&options.out).unwrap();
    assert_eq!(index.latest(), Some(day(23)));
    let new = index
        .lookup("https://WWW.novy-web.cz/obchod", None)
        .unwrap();
    assert!(new.blocked, "{new:?}");
    let record = &new.matches[0].record;
    assert_eq!(
        record.authority,
        "Státní zemědělská a potravinářská inspekce"
    );
    assert_eq!((record.first_published, record.entered), (day(23), day(23)));
    let removed = index.lookup("mms-kapky.cz", None).unwrap();
    assert!(!removed.blocked, "{removed:?}");
    assert!(index.lookup("mms-kapky.cz", Some(day(22))).unwrap().blocked);
    let removed = &removed.matches[0].record;
    assert_eq!(
        (
            removed.first_published,
            removed.last_published,
            removed.removed
        ),
        (day(22), day(23), Some(day(23)))
    );

    // A publication without an index (made before indexes existed): the next one rebuilds it
    // from the archive's dated CSVs and keeps the history.
    std::fs::remove_file(options.out.join("historie.tsv")).unwrap();
    std::fs::write(
        &szpi,
        format!("{text}\r\n\"novy-web.cz\",\"2026-11-23\",\r\n\"treti.cz\",\"2026-11-24\",\r\n"),
    )
    .unwrap();
    options.valid_as_of = Some(day(24));
    update(&options).unwrap();
    let rebuilt = LookupIndex::load(&options.out).unwrap();
    let record = &rebuilt.lookup("mms-kapky.cz", None).unwrap().matches[0].record;
    assert_eq!(
        (record.first_published, record.last_published),
        (day(22), day(24))
    );
    assert!(rebuilt.lookup("treti.cz", None).unwrap().blocked);
    assert_eq!(rebuilt.records().len(), index.records().len() + 1);
    verify_all(&options.out);
}
