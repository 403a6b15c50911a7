//! Finding the lists without an exact title: a renamed dataset (by keyword, then by the
//! decree's columns in its CSV), a re-registered one under a pinned IRI, a dataset with
//! several distributions, and a fifth publisher's list reported as a candidate but left out.

mod common;

use common::*;
use nkod_server::SnapshotSource;
use unified_blocklist::discover::MatchedBy;
use unified_blocklist::update::{EXIT_OK, update};

const SZPI_TITLE: &str = "\"Seznam internetových stránek s nabídkou nebezpečných potravin\"@cs";

fn serve(server: &nkod_server::RunningServer, text: String) {
    server
        .replace_snapshot(&SnapshotSource::Trig {
            text,
            origin: "variant".into(),
        })
        .unwrap();
}

#[test]
fn a_renamed_dataset_is_still_found() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, _) = catalogue(tmp.path(), None);
    let mut options = options(tmp.path(), server.base_url());
    update(&options).unwrap();

    // Case, diacritics and white space do not matter for the title.
    let original = snapshot_text();
    assert!(original.contains(SZPI_TITLE));
    serve(
        &server,
        original.replace(
            SZPI_TITLE,
            "\"  SEZNAM internetovych stranek s nabidkou  nebezpecnych potravin \"@cs",
        ),
    );
    options.valid_as_of = Some(day(23));
    let report = update(&options).unwrap();
    assert_eq!(report.exit_code(), EXIT_OK);
    assert_eq!(
        report.source("szpi").unwrap().matched_by,
        Some(MatchedBy::Title)
    );

    // Renamed: found by its keyword; NAZEV_DATOVE_SADY follows the catalogue.
    let renamed = original.replace(SZPI_TITLE, "\"Blokované weby SZPI\"@cs");
    serve(&server, renamed.clone());
    options.valid_as_of = Some(day(24));
    let report = update(&options).unwrap();
    assert_eq!(report.exit_code(), EXIT_OK, "{:?}", report.source("szpi"));
    let szpi = report.source("szpi").unwrap();
    assert_eq!(szpi.matched_by, Some(MatchedBy::Keyword));
    assert!(
        szpi.notes.iter().any(|n| n.contains("found by keyword")),
        "{:?}",
        szpi.notes
    );
    let rows = rows_of(&options.out, SZPI);
    assert_eq!(rows.len(), 8);
    assert!(rows.iter().all(|r| r.dataset == "Blokované weby SZPI"));
    assert_eq!(status_of(&options.out, "szpi")["matched_by"], "keyword");

    // Renamed and without keywords: found by the decree's columns in its CSV (one probe
    // download, remembered for the next runs).
    let bare = renamed.replace(
        "dcat:keyword \"potraviny\"@cs, \"blokace\"@cs, \"internetové stránky\"@cs ;\n",
        "",
    );
    assert_ne!(bare, renamed, "the snapshot layout changed");
    serve(&server, bare);
    options.valid_as_of = Some(day(25));
    let report = update(&options).unwrap();
    assert_eq!(report.exit_code(), EXIT_OK);
    assert_eq!(
        report.source("szpi").unwrap().matched_by,
        Some(MatchedBy::DecreeColumns)
    );
    assert_eq!(rows_of(&options.out, SZPI).len(), 8);
    let again = update(&options).unwrap();
    assert_eq!(again.published, None);
    assert_eq!(
        again.download_usage.requests, 4,
        "the columns' verdict is remembered: one conditional GET per list"
    );
    verify_all(&options.out);
}

#[test]
fn a_re_registered_dataset_under_a_pinned_iri_is_found_by_publisher() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, _) = catalogue(tmp.path(), None);
    let mut options = options(tmp.path(), server.base_url());
    let spec = options.sources.iter_mut().find(|s| s.id == "szpi").unwrap();
    spec.dataset_iri = Some(SZPI_DATASET.to_owned());
    let report = update(&options).unwrap();
    assert_eq!(
        report.source("szpi").unwrap().matched_by,
        Some(MatchedBy::DatasetIri)
    );
    // SZPI registers the list anew (a new IRI, as a move to another LKOD gives).
    let new_iri = "https://data.gov.cz/zdroj/datové-sady/75014149/0123456789abcdef0123456789abcdef";
    serve(&server, snapshot_text().replace(SZPI_DATASET, new_iri));
    options.valid_as_of = Some(day(23));
    let report = update(&options).unwrap();
    assert_eq!(report.exit_code(), EXIT_OK);
    let szpi = report.source("szpi").unwrap();
    assert_eq!(szpi.matched_by, Some(MatchedBy::Title));
    assert!(
        szpi.notes
            .iter()
            .any(|n| n.contains("is not in the catalogue")),
        "{:?}",
        szpi.notes
    );
    assert_eq!(status_of(&options.out, "szpi")["dataset_iri"], new_iri);
    verify_all(&options.out);
}

#[test]
fn candidates_are_reported_and_never_included() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, _) = catalogue(tmp.path(), None);
    let options = options(tmp.path(), server.base_url());
    let report = update(&options).unwrap();
    // The fifth publisher's list cites the decree: a candidate by its legal basis.
    assert_eq!(report.candidates.len(), 1);
    let candidate = &report.candidates[0];
    assert_eq!(candidate.dataset_iri, COI_DATASET);
    assert_eq!(
        candidate.publisher_name.as_deref(),
        Some("Česká obchodní inspekce")
    );
    assert_eq!(candidate.reasons, ["legal-basis"]);
    assert!(
        !rows(&options.out)
            .iter()
            .any(|r| r.url.ends_with(".example"))
    );

    // Without the legal basis, its keyword and the decree's columns still make it a
    // candidate.
    let text = snapshot_text().replace(
        "    dcatap:applicableLegislation <https://www.e-sbirka.cz/eli/cz/sb/2025/569> ;\n",
        "",
    );
    serve(&server, text);
    let tmp2 = tempfile::tempdir().unwrap();
    let mut options = common::options(tmp2.path(), server.base_url());
    let report = update(&options).unwrap();
    assert_eq!(report.candidates.len(), 1, "{:?}", report.candidates);
    assert_eq!(report.candidates[0].reasons, ["decree-columns"]);
    let status = status(&options.out);
    assert_eq!(status["candidates"][0]["dataset_iri"], COI_DATASET);
    assert_eq!(status["degraded"], false);

    // The unified list's own record (the publisher of the unified list has the decree's
    // columns too) is never a candidate.
    options.dcat.publisher_iri =
        "https://rpp-opendata.egon.gov.cz/odrpp/zdroj/orgán-veřejné-moci/00020869".into();
    let report = update(&options).unwrap();
    assert!(report.candidates.is_empty(), "{:?}", report.candidates);
    verify_all(&options.out);
}
