//! One authority's problem never holds back the others: every failure kind on one source
//! while another source changes, a property test over sequences of daily source states, and a
//! replay of real versions of the MF and ÚSKVBL lists (formats changing from one day to the
//! next, ÚSKVBL's empty list, a download that was only a BOM). Against a real nkod-server with
//! fault injection; every publication is rebuilt by `verify` byte for byte.

mod common;

use blocklist_model::{ReaderKind, SourceConfig};
use common::*;
use nkod_server::{Fault, Route, SnapshotSource};
use proptest::prelude::*;
use std::path::Path;
use std::time::Duration;
use unified_blocklist::rows::ListRow;
use unified_blocklist::update::{EXIT_DEGRADED, EXIT_OK, files, update};

const SZPI_PATH: &str = "/soubory/szpi-blokovane-weby.csv";

#[derive(Debug, Clone, Copy)]
enum Failure {
    NotInCatalogue,
    NotFound,
    ServerError,
    Timeout,
    Truncated,
    HtmlPage,
    NoHeader,
    UnknownColumns,
    Shrunk,
    Emptied,
}

impl Failure {
    /// The rule `stav.json` must name, and the HTTP status when there is one.
    fn rule(self) -> (&'static str, Option<u16>) {
        match self {
            Self::NotInCatalogue => ("not-in-catalogue", None),
            Self::NotFound => ("http-status", Some(404)),
            Self::ServerError => ("http-status", Some(500)),
            Self::Timeout => ("timeout", None),
            Self::Truncated => ("truncated-body", None),
            Self::HtmlPage | Self::UnknownColumns => ("unrecognised-header", None),
            Self::NoHeader => ("no-header", None),
            Self::Shrunk => ("shrink", None),
            Self::Emptied => ("empty-source", None),
        }
    }
}

/// SÚKL's file with one more row, in SÚKL's own format (BOM, every field quoted, Czech dates).
fn sukl_with_new_row(files_dir: &Path) {
    let path = files_dir.join(SUKL_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"\"nova-lekarna-bez-povoleni.cz\",\"20.11.2026\",\r\n");
    std::fs::write(&path, bytes).unwrap();
}

fn break_szpi(failure: Failure, server: &nkod_server::RunningServer, files_dir: &Path) {
    let szpi = files_dir.join(SZPI_FILE);
    match failure {
        Failure::NotInCatalogue => server
            .replace_snapshot(&SnapshotSource::Trig {
                text: without_dataset(&snapshot_text(), SZPI_DATASET),
                origin: "without SZPI".into(),
            })
            .unwrap(),
        Failure::NotFound => std::fs::remove_file(&szpi).unwrap(),
        Failure::ServerError => {
            server.set_fault(Route::Files, Fault::errors(1.0, 500).only_for(SZPI_PATH));
        }
        Failure::Timeout => server.set_fault(
            Route::Files,
            Fault::latency(Duration::from_secs(3)).only_for(SZPI_PATH),
        ),
        Failure::Truncated => {
            // A changed file (so no 304 can answer) that arrives cut short.
            let mut text = std::fs::read(&szpi).unwrap();
            text.extend_from_slice(b"\r\n\"dalsi.cz\",2026-11-21,");
            std::fs::write(&szpi, text).unwrap();
            server.set_fault(Route::Files, Fault::truncate_at(40).only_for(SZPI_PATH));
        }
        Failure::HtmlPage => std::fs::write(
            &szpi,
            "<!DOCTYPE html><html><body><h1>Stránka nenalezena</h1></body></html>",
        )
        .unwrap(),
        Failure::NoHeader => std::fs::write(&szpi, b"\xEF\xBB\xBF\r\n").unwrap(),
        Failure::UnknownColumns => {
            std::fs::write(&szpi, "ADRESA,ZAPSANO\r\nnekde.cz,2026-11-01\r\n").unwrap();
        }
        Failure::Shrunk => std::fs::write(
            &szpi,
            "URL,DATUM_ZAPISU,DATUM_VYMAZU\r\n\"americansupplements.eu\",\"2022-12-07\",",
        )
        .unwrap(),
        Failure::Emptied => std::fs::write(&szpi, "URL,DATUM_ZAPISU,DATUM_VYMAZU\r\n").unwrap(),
    }
}

fn repair_szpi(server: &nkod_server::RunningServer, files_dir: &Path) {
    server.clear_faults();
    server
        .replace_snapshot(&SnapshotSource::Trig {
            text: snapshot_text(),
            origin: "whole".into(),
        })
        .unwrap();
    std::fs::copy(
        Path::new(TESTDATA).join("nkod/soubory").join(SZPI_FILE),
        files_dir.join(SZPI_FILE),
    )
    .unwrap();
}

fn one_failure(failure: Failure) {
    let tmp = tempfile::tempdir().unwrap();
    let (server, files_dir) = catalogue(tmp.path(), None);
    let mut options = options(tmp.path(), server.base_url());
    assert_eq!(update(&options).unwrap().exit_code(), EXIT_OK);
    let szpi_before = rows_of(&options.out, SZPI);
    assert_eq!(szpi_before.len(), 8);

    sukl_with_new_row(&files_dir);
    break_szpi(failure, &server, &files_dir);
    options.valid_as_of = Some(day(23));
    let report = update(&options).unwrap_or_else(|e| panic!("{failure:?}: {e}"));
    let (rule, http_status) = failure.rule();

    // The other source's change is published.
    assert!(report.published.is_some(), "{failure:?}");
    assert_eq!(report.exit_code(), EXIT_DEGRADED, "{failure:?}");
    assert!(report.source("sukl").unwrap().changed());
    assert!(
        rows_of(&options.out, SUKL)
            .iter()
            .any(|r| r.url == "nova-lekarna-bez-povoleni.cz" && r.entered == "2026-11-20")
    );
    let changes = std::fs::read_to_string(options.out.join(files::CHANGES_CSV)).unwrap();
    assert!(
        changes.contains("pridano,nova-lekarna-bez-povoleni.cz,2026-11-20,"),
        "{failure:?}: {changes}"
    );
    // The failed source's rows are exactly its last good ones.
    assert_eq!(rows_of(&options.out, SZPI), szpi_before, "{failure:?}");
    // stav.json and the page say why.
    let szpi = status_of(&options.out, "szpi");
    assert_eq!(szpi["state"], "stale", "{failure:?}");
    assert_eq!(szpi["last_attempt"]["outcome"], "failed");
    assert_eq!(
        szpi["last_attempt"]["failure"]["rule"], rule,
        "{failure:?}: {szpi}"
    );
    if let Some(status) = http_status {
        assert_eq!(szpi["last_attempt"]["failure"]["http_status"], status);
    }
    assert_eq!(szpi["data_valid_as_of"], "2026-11-22", "{failure:?}");
    assert_eq!(szpi["copy"]["rows"]["entries"], 8);
    assert_eq!(status(&options.out)["degraded"], true);
    let message = szpi["last_attempt"]["failure"]["message"].as_str().unwrap();
    let page = std::fs::read_to_string(options.out.join(files::PAGE)).unwrap();
    let row = page
        .lines()
        .find(|l| l.contains("data-zdroj-id=\"szpi\""))
        .unwrap();
    assert!(row.contains("⚠ Zastaralý"), "{row}");
    assert!(row.contains("22. 11. 2026"), "{row}");
    assert!(
        row.contains(&unified_blocklist::html::escape(message)),
        "{failure:?}: {row}"
    );
    let atom = std::fs::read_to_string(options.out.join(files::CHANGES_ATOM)).unwrap();
    assert!(
        atom.contains("Zdroj Státní zemědělská a potravinářská inspekce je zastaralý"),
        "{failure:?}"
    );

    // Mended: the source is current again, its own rows back in the list.
    repair_szpi(&server, &files_dir);
    options.valid_as_of = Some(day(24));
    let report = update(&options).unwrap();
    assert_eq!(report.exit_code(), EXIT_OK, "{failure:?}");
    assert_eq!(status_of(&options.out, "szpi")["state"], "current");
    assert_eq!(rows_of(&options.out, SZPI), szpi_before);
    verify_all(&options.out);
}

#[test]
fn missing_from_the_catalogue() {
    one_failure(Failure::NotInCatalogue);
}

#[test]
fn http_404() {
    one_failure(Failure::NotFound);
}

#[test]
fn http_500() {
    one_failure(Failure::ServerError);
}

#[test]
fn timeout() {
    one_failure(Failure::Timeout);
}

#[test]
fn truncated_body() {
    one_failure(Failure::Truncated);
}

#[test]
fn html_error_page_served_as_csv_with_200() {
    one_failure(Failure::HtmlPage);
}

#[test]
fn no_header() {
    one_failure(Failure::NoHeader);
}

#[test]
fn unknown_columns() {
    one_failure(Failure::UnknownColumns);
}

#[test]
fn shrink_guard_tripped() {
    one_failure(Failure::Shrunk);
}

#[test]
fn empty_source_guard_tripped() {
    one_failure(Failure::Emptied);
}

#[test]
fn an_override_accepts_the_shrunk_list_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, files_dir) = catalogue(tmp.path(), None);
    let mut options = options(tmp.path(), server.base_url());
    update(&options).unwrap();
    break_szpi(Failure::Shrunk, &server, &files_dir);
    options.valid_as_of = Some(day(23));
    assert_eq!(update(&options).unwrap().exit_code(), EXIT_DEGRADED);
    // The operator confirms the shrink for SZPI only.
    let spec = options.sources.iter_mut().find(|s| s.id == "szpi").unwrap();
    spec.allow.push(blocklist_model::GuardKind::Shrink);
    options.valid_as_of = Some(day(24));
    let report = update(&options).unwrap();
    assert_eq!(report.exit_code(), EXIT_OK);
    assert_eq!(rows_of(&options.out, SZPI).len(), 1);
    verify_all(&options.out);
}

// --- Property: any sequence of daily source states -------------------------------------

#[derive(Debug, Clone)]
enum DayState {
    /// The source's last valid version is served.
    Valid,
    /// A new valid version with this many rows.
    Changed(usize),
    /// A well-formed list with a header and no rows.
    Empty,
    /// An HTML page instead of the list.
    Broken,
    /// Gone from the catalogue.
    Missing,
}

fn day_state() -> impl Strategy<Value = DayState> {
    prop_oneof![
        2 => Just(DayState::Valid),
        3 => (1usize..12).prop_map(DayState::Changed),
        1 => Just(DayState::Empty),
        2 => Just(DayState::Broken),
        1 => Just(DayState::Missing),
    ]
}

struct Source {
    id: &'static str,
    file: &'static str,
    authority: &'static str,
    reader: ReaderKind,
    dataset: &'static str,
}

const SOURCES: [Source; 4] = [
    Source {
        id: "mf",
        file: MF_FILE,
        authority: MF,
        reader: ReaderKind::Mf,
        dataset: "https://data.gov.cz/zdroj/datové-sady/00006947/5f0e4a31c50ab8ff567392b07c550440",
    },
    Source {
        id: "sukl",
        file: SUKL_FILE,
        authority: SUKL,
        reader: ReaderKind::Sukl,
        dataset: "https://data.gov.cz/zdroj/datové-sady/00023817/00e1bb8e0ae9a7d4e6a86c6d32d133b3",
    },
    Source {
        id: "szpi",
        file: SZPI_FILE,
        authority: SZPI,
        reader: ReaderKind::Szpi,
        dataset: SZPI_DATASET,
    },
    Source {
        id: "uskvbl",
        file: USKVBL_FILE,
        authority: USKVBL,
        reader: ReaderKind::Uskvbl,
        dataset: "https://data.gov.cz/zdroj/datové-sady/00019585/1187345120",
    },
];

/// The rows a file gives, as the decree CSV publishes them.
fn expected_rows(source: &Source, bytes: &[u8]) -> Vec<(String, String, String)> {
    let config = SourceConfig::new(source.authority, "", source.reader);
    let read = blocklist_model::read_source(&config, bytes).unwrap();
    let mut rows: Vec<_> = read
        .entries
        .iter()
        .map(|e| {
            (
                e.url().to_owned(),
                e.entered().to_string(),
                e.removed().map(|d| d.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    rows.sort();
    rows.dedup();
    rows
}

/// Entries the reader gives (what the guards count).
fn entry_count(source: &Source, bytes: &[u8]) -> usize {
    let config = SourceConfig::new(source.authority, "", source.reader);
    blocklist_model::read_source(&config, bytes)
        .unwrap()
        .entries
        .len()
}

fn published(rows: &[ListRow], authority: &str) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = rows
        .iter()
        .filter(|r| r.source == authority)
        .map(|r| (r.url.clone(), r.entered.clone(), r.removed.clone()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The guards' rules, as the issue states them: a source that had rows and has none, or
/// shrinks by more than 20 %, keeps its last good copy.
fn passes_guards(previous: Option<usize>, now: usize) -> bool {
    match previous {
        Some(p) if p > 0 && now == 0 => false,
        Some(p) if p > 0 && now < p => (p - now) as f64 / p as f64 <= 0.2,
        _ => true,
    }
}

fn run_days(days: &[[DayState; 4]]) {
    let tmp = tempfile::tempdir().unwrap();
    let (server, files_dir) = catalogue(tmp.path(), None);
    let binary = env!("CARGO_BIN_EXE_unified-blocklist");
    // What the model expects: each source's last good bytes (the real files on day 0).
    let mut valid: Vec<Vec<u8>> = SOURCES
        .iter()
        .map(|s| std::fs::read(files_dir.join(s.file)).unwrap())
        .collect();
    let mut last_good: Vec<Option<Vec<u8>>> = valid.iter().cloned().map(Some).collect();
    let all_day0 = [
        DayState::Valid,
        DayState::Valid,
        DayState::Valid,
        DayState::Valid,
    ];
    for (n, states) in std::iter::once(&all_day0).chain(days).enumerate() {
        let mut snapshot = snapshot_text();
        // Whether each source passes today (served, readable, within the guards).
        let mut current = [false; 4];
        for (i, (source, state)) in SOURCES.iter().zip(states).enumerate() {
            let path = files_dir.join(source.file);
            let today: Option<Vec<u8>> = match state {
                DayState::Valid => Some(valid[i].clone()),
                DayState::Changed(rows) => {
                    let mut text = String::from("URL,DATUM_ZAPISU,DATUM_VYMAZU\r\n");
                    for r in 0..*rows {
                        text.push_str(&format!(
                            "{}-den{n}-{r}.cz,2026-10-{:02},\r\n",
                            source.id,
                            r + 1
                        ));
                    }
                    Some(text.into_bytes())
                }
                DayState::Empty => Some(b"URL,DATUM_ZAPISU,DATUM_VYMAZU\r\n".to_vec()),
                DayState::Broken => {
                    std::fs::write(&path, "<html><body>Chyba 500</body></html>").unwrap();
                    None
                }
                DayState::Missing => {
                    snapshot = without_dataset(&snapshot, source.dataset);
                    None
                }
            };
            if let Some(bytes) = today {
                std::fs::write(&path, &bytes).unwrap();
                valid[i] = bytes.clone();
                let previous = last_good[i].as_ref().map(|b| entry_count(source, b));
                if passes_guards(previous, entry_count(source, &bytes)) {
                    last_good[i] = Some(bytes);
                    current[i] = true;
                }
            }
        }
        server
            .replace_snapshot(&SnapshotSource::Trig {
                text: snapshot,
                origin: format!("day {n}"),
            })
            .unwrap();
        // Every day is a separate process that starts from the state directory alone.
        let output = std::process::Command::new(binary)
            .arg("update")
            .arg("--nkod")
            .arg(server.base_url())
            .arg("--out")
            .arg(tmp.path().join("out"))
            .arg("--state")
            .arg(tmp.path().join("state"))
            .arg("--valid-as-of")
            .arg(format!("2026-11-{:02}", n + 1))
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&output.stderr);
        let degraded = !current.iter().all(|c| *c);
        let code = output.status.code().unwrap();
        assert_eq!(
            code,
            if degraded { 3 } else { 0 },
            "day {n} {states:?}\n{log}"
        );
        let rows = rows(&tmp.path().join("out"));
        for (i, source) in SOURCES.iter().enumerate() {
            let expected = last_good[i]
                .as_ref()
                .map(|b| expected_rows(source, b))
                .unwrap_or_default();
            assert_eq!(
                published(&rows, source.authority),
                expected,
                "day {n}, {}: {states:?}\n{log}",
                source.id
            );
        }
    }
    verify_all(&tmp.path().join("out"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, max_shrink_iters: 20, ..ProptestConfig::default() })]

    /// For any sequence of daily states of the four sources, the published rows equal the
    /// union over sources of (current if valid, else last good), across restarts.
    #[test]
    fn published_rows_are_current_or_last_good(
        days in prop::collection::vec(
            (day_state(), day_state(), day_state(), day_state())
                .prop_map(|(a, b, c, d)| [a, b, c, d]),
            1..5,
        )
    ) {
        run_days(&days);
    }
}

// --- Replay of real versions ----------------------------------------------------------

fn historical(name: &str) -> Vec<u8> {
    std::fs::read(format!("{TESTDATA}/blocklists/historical/{name}")).unwrap()
}

#[test]
fn replay_of_real_versions_of_mf_and_uskvbl() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, files_dir) = catalogue(tmp.path(), None);
    let mut options = options(tmp.path(), server.base_url());
    let mf_old =
        historical("mf-seznam-nepovolenych-internetovych-her.2023-12-30.old-columns.cp1250.csv");
    let mf_now = std::fs::read(files_dir.join(MF_FILE)).unwrap();
    let uskvbl_bom_only = historical("uskvbl-nelegalni-vlp.2023-06-24.bom-only.csv");
    let uskvbl_empty = historical("uskvbl-nelegalni-vlp.2023-07-24.header-only-empty-row.csv");
    let uskvbl_2024 = historical("uskvbl-nelegalni-vlp.2024-03-12.semicolon-bom.csv");
    let uskvbl_now = std::fs::read(files_dir.join(USKVBL_FILE)).unwrap();
    // MF enters a new website (a row of its current format, cp1250 like the file).
    let mf_next = {
        let mut bytes = mf_now.clone();
        let line = bytes
            .split(|&b| b == b'\n')
            .find(|l| l.windows(11).any(|w| w == b";1xbet.com;"))
            .unwrap()
            .to_vec();
        let mut new_line = Vec::new();
        let pos = line.windows(11).position(|w| w == b";1xbet.com;").unwrap();
        new_line.extend_from_slice(&line[..pos]);
        new_line.extend_from_slice(b";nova-herna.example.cz;");
        let rest = &line[pos + 11..];
        // Keep the legal basis, set the entry date, no removal date.
        let fields: Vec<&[u8]> = rest.split(|&b| b == b';').collect();
        new_line.extend_from_slice(&fields[..fields.len() - 2].join(&b';'));
        new_line.extend_from_slice(b";20.11.2026;\r\n");
        if !bytes.ends_with(b"\n") {
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(&new_line);
        bytes
    };
    let mf_old_rows = expected_rows(&SOURCES[0], &mf_old);
    let mf_now_rows = expected_rows(&SOURCES[0], &mf_now);
    let mf_next_rows = expected_rows(&SOURCES[0], &mf_next);
    assert_eq!(mf_next_rows.len(), mf_now_rows.len() + 1);
    let uskvbl_2024_rows = expected_rows(&SOURCES[3], &uskvbl_2024);
    let uskvbl_now_rows = expected_rows(&SOURCES[3], &uskvbl_now);

    type Day<'a> = (&'a [u8], &'a [u8], u8, &'a str);
    // (MF, ÚSKVBL, exit code, ÚSKVBL's state)
    let days: [Day<'_>; 6] = [
        // A first run with ÚSKVBL's download a BOM only: ÚSKVBL missing, the rest published.
        (&mf_old, &uskvbl_bom_only, EXIT_DEGRADED, "missing"),
        // ÚSKVBL's list with a header and one empty row: a valid list with no entries.
        (&mf_old, &uskvbl_empty, EXIT_OK, "current"),
        // MF switches from its 6-column format to the 8-column one overnight.
        (&mf_now, &uskvbl_empty, EXIT_OK, "current"),
        // ÚSKVBL's first entries, in its 2024 format.
        (&mf_now, &uskvbl_2024, EXIT_OK, "current"),
        // ÚSKVBL's download breaks again while MF enters a website: MF's change is published.
        (&mf_next, &uskvbl_bom_only, EXIT_DEGRADED, "stale"),
        // ÚSKVBL in its current format.
        (&mf_next, &uskvbl_now, EXIT_OK, "current"),
    ];
    let expected_mf = [
        &mf_old_rows,
        &mf_old_rows,
        &mf_now_rows,
        &mf_now_rows,
        &mf_next_rows,
        &mf_next_rows,
    ];
    let expected_uskvbl: [&[(String, String, String)]; 6] = [
        &[],
        &[],
        &[],
        &uskvbl_2024_rows,
        &uskvbl_2024_rows,
        &uskvbl_now_rows,
    ];
    for (n, (mf, uskvbl, code, state)) in days.iter().enumerate() {
        std::fs::write(files_dir.join(MF_FILE), mf).unwrap();
        std::fs::write(files_dir.join(USKVBL_FILE), uskvbl).unwrap();
        options.valid_as_of = Some(day(20 + n as u32));
        let report = update(&options).unwrap_or_else(|e| panic!("day {n}: {e}"));
        assert_eq!(report.exit_code(), *code, "day {n}");
        let rows = rows(&options.out);
        assert_eq!(published(&rows, MF), *expected_mf[n], "day {n}");
        assert_eq!(published(&rows, USKVBL), expected_uskvbl[n], "day {n}");
        assert_eq!(
            status_of(&options.out, "uskvbl")["state"],
            *state,
            "day {n}"
        );
        assert_eq!(status_of(&options.out, "mf")["state"], "current", "day {n}");
    }
    // The format change is recorded with each publication.
    let manifest = |day: &str| -> serde_json::Value {
        serde_json::from_slice(
            &std::fs::read(options.out.join(format!("archiv/{day}/manifest.json"))).unwrap(),
        )
        .unwrap()
    };
    let mf_layout = |m: &serde_json::Value| m["sources"][0]["copy"]["format"]["layout"].clone();
    assert_eq!(mf_layout(&manifest("2026-11-21")), "mf-6-columns");
    assert_eq!(mf_layout(&manifest("2026-11-22")), "mf-8-columns");
    // ÚSKVBL's stale day names the rule and keeps the 2024 copy, in its own format.
    let stale = &manifest("2026-11-24")["sources"][3];
    assert_eq!(stale["last_attempt"]["failure"]["rule"], "no-header");
    assert_eq!(stale["copy"]["format"]["delimiter"], ";");
    verify_all(&options.out);
}

#[test]
fn a_source_stale_for_too_long_raises_the_alarm() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, files_dir) = catalogue(tmp.path(), None);
    let mut options = options(tmp.path(), server.base_url());
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-22T21:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    options.now = Some(start);
    update(&options).unwrap();
    break_szpi(Failure::HtmlPage, &server, &files_dir);
    // Stale for a day: flagged stale, no alarm yet.
    options.now = Some(start + chrono::Duration::days(1));
    options.valid_as_of = Some(day(23));
    let report = update(&options).unwrap();
    assert_eq!(report.exit_code(), EXIT_DEGRADED);
    assert!(!report.source("szpi").unwrap().alarm);
    assert_eq!(status_of(&options.out, "szpi")["alarm"], false);
    // Still broken a week and a day after it was last read: the alarm is raised, and that is
    // published (stav.json, the page, the feed) although the list itself did not change.
    options.now = Some(start + chrono::Duration::days(8));
    options.valid_as_of = Some(day(30));
    let report = update(&options).unwrap();
    assert!(report.published.is_some());
    assert!(report.source("szpi").unwrap().alarm);
    let szpi = status_of(&options.out, "szpi");
    assert_eq!(szpi["alarm"], true);
    assert_eq!(szpi["data_valid_as_of"], "2026-11-22");
    let page = std::fs::read_to_string(options.out.join(files::PAGE)).unwrap();
    assert!(page.contains("⚠ Zastaralý déle, než je povoleno"));
    let atom = std::fs::read_to_string(options.out.join(files::CHANGES_ATOM)).unwrap();
    assert!(
        atom.contains("je zastaralý déle, než je povoleno"),
        "{atom}"
    );
    // The next day nothing new: no publication.
    options.now = Some(start + chrono::Duration::days(9));
    assert_eq!(update(&options).unwrap().published, None);
    verify_all(&options.out);
}

/// The binary as cron or systemd runs it: exit 4 with the reason when nothing is usable, 3 with
/// each stale source logged (rule, URL, HTTP status or line) when one source fails, 0 again
/// when it is mended.
#[test]
fn the_binary_logs_each_stale_source_with_its_reason_and_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, files_dir) = catalogue(tmp.path(), None);
    let run = |nkod: &str, day: u32| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_unified-blocklist"))
            .arg("update")
            .args(["--nkod", nkod])
            .arg("--out")
            .arg(tmp.path().join("out"))
            .arg("--state")
            .arg(tmp.path().join("state"))
            .args(["--valid-as-of", &format!("2026-11-{day:02}")])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };

    // First run, catalogue unreachable: nothing usable, nothing published, exit 4.
    let (code, log) = run("http://127.0.0.1:9/", 21);
    assert_eq!(code, 4, "{log}");
    assert!(log.contains("catalogue-unavailable"), "{log}");
    assert!(log.contains("127.0.0.1:9"), "{log}");
    assert!(!tmp.path().join("out").exists());

    let (code, log) = run(server.base_url(), 22);
    assert_eq!(code, 0, "{log}");

    // SZPI's file is gone (404) while SÚKL enters a website: published, exit 3, SZPI's line in
    // the log names the rule, the URL and the status.
    std::fs::remove_file(files_dir.join(SZPI_FILE)).unwrap();
    sukl_with_new_row(&files_dir);
    let (code, log) = run(server.base_url(), 23);
    assert_eq!(code, 3, "{log}");
    let line = log
        .lines()
        .find(|l| l.contains("szpi") && l.contains("stale since"))
        .unwrap_or_else(|| panic!("no stale line for szpi:\n{log}"));
    assert!(line.contains("[http-status]"), "{line}");
    assert!(line.contains("404"), "{line}");
    assert!(line.contains(SZPI_PATH), "{line}");
    assert!(line.contains("8 entries"), "{line}");
    assert!(log.contains("published"), "{log}");
    assert!(
        rows_of(&tmp.path().join("out"), SUKL)
            .iter()
            .any(|r| r.url == "nova-lekarna-bez-povoleni.cz")
    );

    // An HTML page instead of the list: the read stage names line 1.
    std::fs::write(
        files_dir.join(SZPI_FILE),
        "<!DOCTYPE html><html><body>Údržba</body></html>",
    )
    .unwrap();
    let (code, log) = run(server.base_url(), 24);
    assert_eq!(code, 3, "{log}");
    let line = log
        .lines()
        .find(|l| l.contains("szpi") && l.contains("stale since"))
        .unwrap_or_else(|| panic!("no stale line for szpi:\n{log}"));
    assert!(line.contains("[unrecognised-header]"), "{line}");
    assert!(line.contains("line 1"), "{line}");
    assert_eq!(
        status_of(&tmp.path().join("out"), "szpi")["last_attempt"]["failure"]["line"],
        1
    );

    // Mended: exit 0.
    repair_szpi(&server, &files_dir);
    let (code, log) = run(server.base_url(), 25);
    assert_eq!(code, 0, "{log}");
    verify_all(&tmp.path().join("out"));
}
