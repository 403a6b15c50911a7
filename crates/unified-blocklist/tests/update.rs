//! `update` end to end against a real nkod-server over HTTP on loopback: the embedded
//! catalogue, change detection, the changes feed, and every failure mode (with nkod-server's
//! fault injection) leaving the previous publication byte-for-byte untouched.

use nkod_server::{Fault, NkodServer, Route, RunningServer, ServerConfig, SnapshotSource};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use unified_blocklist::config::{Backend, Config};
use unified_blocklist::publish::{Publisher, verify};
use unified_blocklist::rows::read_decree_csv;
use unified_blocklist::update::{SourceStatus, UpdateError, UpdateOptions, files, update};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/nkod");

fn options(tmp: &Path, nkod: &str) -> UpdateOptions {
    let mut options = UpdateOptions::from_config(&Config::default());
    options.nkod = nkod.to_owned();
    options.out = tmp.join("out");
    options.state = tmp.join("state");
    options.http.request_timeout = Duration::from_secs(2);
    options.http.deadline = Duration::from_secs(4);
    options.http.max_attempts = 2;
    options.http.backoff_initial = Duration::from_millis(50);
    options.valid_as_of = Some(chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
    options
}

/// A catalogue over the snapshot with its own copy of the distribution files.
fn catalogue(tmp: &Path, snapshot: Option<String>) -> (RunningServer, PathBuf) {
    let files = tmp.join("soubory");
    std::fs::create_dir_all(&files).unwrap();
    for entry in std::fs::read_dir(Path::new(TESTDATA).join("soubory")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), files.join(entry.file_name())).unwrap();
    }
    let source = match snapshot {
        Some(text) => SnapshotSource::Trig {
            text,
            origin: "test snapshot".into(),
        },
        None => SnapshotSource::File(Path::new(TESTDATA).join("snapshot.trig")),
    };
    let server = NkodServer::start(ServerConfig::new(source).with_files_dir(&files)).unwrap();
    (server, files)
}

/// Every file of the current publication with its bytes, plus the link target.
fn snapshot_of(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let target = std::fs::read_link(out).unwrap();
    files.insert(
        "->".to_owned(),
        target.to_string_lossy().as_bytes().to_vec(),
    );
    fn walk(dir: &Path, prefix: &str, files: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &format!("{name}/"), files);
            } else {
                files.insert(name, std::fs::read(entry.path()).unwrap());
            }
        }
    }
    walk(out, "", &mut files);
    files
}

#[test]
fn embedded_update_publishes_every_output_and_then_finds_no_change() {
    let tmp = tempfile::tempdir().unwrap();
    let options = options(tmp.path(), "embedded");
    let report = update(&options).unwrap();
    assert!(report.published.is_some());
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
        "SHA256SUMS",
        "archiv/2026-11-22/jednotny-seznam.csv",
    ] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    assert!(verify(out).unwrap().is_empty());

    // The page holds every row of the CSV, and the counts match.
    let rows = read_decree_csv(&std::fs::read(out.join(files::DECREE_CSV)).unwrap()).unwrap();
    let page = std::fs::read_to_string(out.join(files::PAGE)).unwrap();
    assert_eq!(
        page.matches("<tr data-zdroj=").count() + page.matches("<tr class=\"vymazano\"").count(),
        rows.len()
    );
    let (active, removed) = report.rows.unwrap();
    assert_eq!(active + removed, rows.len());
    assert!(page.contains(&format!("<strong id=\"aktivni\">{active}</strong>")));
    assert!(page.contains(&format!("<strong id=\"vymazane\">{removed}</strong>")));
    // The four authorities are all there, with the NKOD dataset titles.
    let sources: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r.source.as_str()).collect();
    assert_eq!(sources.len(), 4, "{sources:?}");
    // The metadata carries the validity date.
    let metadata = std::fs::read_to_string(out.join(files::DECREE_METADATA)).unwrap();
    assert!(metadata.contains("2026-11-22"), "{metadata}");
    // The first publication's changes are all additions.
    let changes = std::fs::read_to_string(out.join(files::CHANGES_CSV)).unwrap();
    assert_eq!(changes.lines().count() - 1, rows.len());
    assert!(changes.lines().skip(1).all(|l| l.starts_with("pridano,")));

    // Nothing changed: no new publication, one catalogue request, one 304 per list.
    let before = snapshot_of(out);
    let again = update(&options).unwrap();
    assert_eq!(again.published, None);
    assert_eq!(again.catalogue_usage.requests, 1);
    assert_eq!(again.download_usage.requests, 4);
    assert!(
        again
            .sources
            .iter()
            .all(|s| s.status == SourceStatus::NotModified),
        "{:?}",
        again.sources
    );
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
    let szpi = files_dir.join("szpi-blokovane-weby.csv");
    let mut text = std::fs::read_to_string(&szpi).unwrap();
    text.push_str("\r\n\"nove-nebezpecne-potraviny.cz\",2026-11-20,");
    std::fs::write(&szpi, text).unwrap();
    options.valid_as_of = Some(chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
    let report = update(&options).unwrap();
    assert!(report.published.is_some());
    let statuses: BTreeMap<&str, SourceStatus> = report
        .sources
        .iter()
        .map(|s| (s.id.as_str(), s.status))
        .collect();
    assert_eq!(statuses["szpi"], SourceStatus::Changed);
    for id in ["mf", "sukl", "uskvbl"] {
        assert_eq!(statuses[id], SourceStatus::NotModified, "{id}");
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
}

fn assert_fails_untouched(
    options: &UpdateOptions,
    expected_code: u8,
    must_mention: &[&str],
    check: impl FnOnce(&UpdateError) -> bool,
) {
    let before = snapshot_of(&options.out);
    let state_before = std::fs::read(options.state.join("state.json")).unwrap();
    let error = update(options).expect_err("the update must fail");
    let message = error.to_string();
    assert_eq!(error.exit_code(), expected_code, "{message}");
    for needle in must_mention {
        assert!(
            message.contains(needle),
            "{message:?} should mention {needle:?}"
        );
    }
    assert!(check(&error), "{error:?}");
    assert_eq!(
        snapshot_of(&options.out),
        before,
        "the publication changed: {message}"
    );
    assert_eq!(
        std::fs::read(options.state.join("state.json")).unwrap(),
        state_before
    );
}

#[test]
fn failures_name_the_source_and_cause_and_keep_the_publication() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, files_dir) = catalogue(tmp.path(), None);
    let mut options = options(tmp.path(), server.base_url());
    update(&options).unwrap();
    options.force = true; // every run downloads everything and would publish

    // The catalogue is down.
    let mut down = options.clone();
    down.nkod = "http://127.0.0.1:9/".into();
    assert_fails_untouched(&down, 3, &["catalogue", "127.0.0.1:9"], |e| {
        matches!(e, UpdateError::Catalogue { .. })
    });

    // The catalogue answers 500.
    server.set_fault(Route::Sparql, Fault::errors(1.0, 500));
    assert_fails_untouched(&options, 3, &["catalogue", "500"], |e| {
        matches!(e, UpdateError::Catalogue { .. })
    });
    server.clear_faults();

    // Downloads time out.
    server.set_fault(Route::Files, Fault::latency(Duration::from_secs(3)));
    assert_fails_untouched(&options, 4, &["source mf", "timed out"], |e| {
        matches!(e, UpdateError::Download { .. })
    });
    server.clear_faults();

    // A truncated download.
    server.set_fault(Route::Files, Fault::truncate_at(100));
    assert_fails_untouched(&options, 4, &["source mf", "ended after"], |e| {
        matches!(e, UpdateError::Download { .. })
    });
    server.clear_faults();

    // Downloads answer 503.
    server.set_fault(Route::Files, Fault::errors(1.0, 503));
    assert_fails_untouched(&options, 4, &["source mf", "503"], |e| {
        matches!(e, UpdateError::Download { .. })
    });
    server.clear_faults();

    // A file in a format its reader does not know.
    let szpi = files_dir.join("szpi-blokovane-weby.csv");
    let original = std::fs::read(&szpi).unwrap();
    std::fs::write(&szpi, "<html><body>Stránka nenalezena</body></html>").unwrap();
    assert_fails_untouched(
        &options,
        5,
        &["Státní zemědělská a potravinářská inspekce", "header"],
        |e| matches!(e, UpdateError::Guard(_)),
    );
    std::fs::write(&szpi, &original).unwrap();

    // MF shrinks by far more than 20 %: the guard trips.
    let mf = files_dir.join("mf-seznam-nepovolenych-internetovych-her.cp1250.csv");
    let full = std::fs::read(&mf).unwrap();
    let cut: Vec<u8> = full
        .split_inclusive(|&b| b == b'\n')
        .take(100)
        .flatten()
        .copied()
        .collect();
    std::fs::write(&mf, cut).unwrap();
    assert_fails_untouched(&options, 5, &["Ministerstvo financí"], |e| {
        matches!(e, UpdateError::Guard(_))
    });
    std::fs::write(&mf, &full).unwrap();

    // With everything healthy again the forced update publishes.
    assert!(update(&options).unwrap().published.is_some());
}

#[test]
fn a_non_csv_distribution_is_an_unknown_format() {
    let tmp = tempfile::tempdir().unwrap();
    let snapshot = std::fs::read_to_string(Path::new(TESTDATA).join("snapshot.trig")).unwrap();
    let healthy = catalogue(tmp.path(), None).0;
    let options = options(tmp.path(), healthy.base_url());
    update(&options).unwrap();
    drop(healthy);

    let xlsx = snapshot.replace(
        "<soubory/szpi-blokovane-weby.csv> ;\n    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;\n    dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv>",
        "<soubory/szpi-blokovane-weby.xlsx> ;\n    dct:format <http://publications.europa.eu/resource/authority/file-type/XLSX> ;\n    dcat:mediaType <http://www.iana.org/assignments/media-types/application/vnd.openxmlformats-officedocument.spreadsheetml.sheet>",
    );
    assert_ne!(
        xlsx, snapshot,
        "the snapshot layout changed; adapt the test"
    );
    let (server, _) = catalogue(&tmp.path().join("second"), Some(xlsx));
    let mut options = options;
    options.nkod = server.base_url().to_owned();
    assert_fails_untouched(&options, 4, &["source szpi", "XLSX"], |e| {
        matches!(e, UpdateError::UnknownFormat { .. })
    });
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
    // And the next run still works.
    assert!(run(true).status().unwrap().success());
    assert!(verify(&out).unwrap().is_empty());
}

#[test]
fn ldf_and_graphql_backends_publish_the_same_list() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, _) = catalogue(tmp.path(), None);
    let mut published = Vec::new();
    for backend in [Backend::Sparql, Backend::Ldf, Backend::Graphql] {
        let dir = tmp.path().join(format!("{backend:?}"));
        let mut options = options(&dir, server.base_url());
        options.backend = backend;
        update(&options).unwrap();
        published.push(std::fs::read(options.out.join(files::DECREE_CSV)).unwrap());
    }
    assert_eq!(published[0], published[1]);
    assert_eq!(published[0], published[2]);
}

#[test]
fn catalogue_dates_spare_the_downloads() {
    let tmp = tempfile::tempdir().unwrap();
    let snapshot = std::fs::read_to_string(Path::new(TESTDATA).join("snapshot.trig")).unwrap();
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
    assert!(
        again
            .sources
            .iter()
            .all(|s| s.status == SourceStatus::UnchangedByDate),
        "{:?}",
        again.sources
    );
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
    let szpi = report.sources.iter().find(|s| s.id == "szpi").unwrap();
    assert_ne!(szpi.status, SourceStatus::UnchangedByDate);
    assert_eq!(report.published, None);
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
}
