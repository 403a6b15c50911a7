//! Bad input at the door: counts that overflow or exceed what the envelopes allow, precinct
//! numbers a municipality does not have, encodings that are not what they claim, and batch
//! numbers past the end — each refused with an error naming the precinct or document and the
//! rule, never a panic and never published.

use czso_media_feed::Error;
use czso_media_feed::model::Definition;
use czso_media_feed::results::GeoIndex;
use czso_media_feed::store::{Channel, Store};

/// A PS election: Prague (a city with boroughs) with its borough Praha 10 of 20 precincts,
/// and Benešov with 3.
fn definition() -> Definition {
    serde_json::from_str(
        r#"{"id": "ps2025", "kind": "ps", "election_date": "20251003",
            "kraje": [{"number": 1, "nuts": "CZ010", "name": "Praha"}],
            "okresy": [{"nuts": "CZ0100", "name": "Praha", "kraj": 1}],
            "obce": [
              {"code": 554782, "name": "Praha", "okres": "CZ0100", "typ": "OBEC_S_MCMO", "okrsky": 0},
              {"code": 500224, "name": "Praha 10", "okres": "CZ0100", "typ": "MCMO", "okrsky": 20, "city": 554782},
              {"code": 529303, "name": "Benešov", "okres": "CZ0100", "okrsky": 3}],
            "parties": [{"number": 1, "name": "A"}, {"number": 2, "name": "B"}]}"#,
    )
    .unwrap()
}

fn document(encoding: &str, rows: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"{encoding}\"?>\n<VYSLEDKY_OKRSKY xmlns=\"http://www.volby.cz/ps/\" \
         DATUM_CAS_GENEROVANI=\"2025-10-04T15:00:00\"><DAVKA DATUMVOLEB=\"20251003\" PORADI_DAVKY=\"1\" \
         OKRSKY_DAVKA=\"1\" OKRSKY_CELKEM=\"23\" OKRSKY_ZPRAC=\"1\"/>{rows}</VYSLEDKY_OKRSKY>"
    )
    .into_bytes()
}

/// One precinct row: turnout (registered, issued, returned, valid) and votes per party.
fn row(obec: u32, okrsek: u32, turnout: [&str; 4], votes: &[(u32, &str)]) -> String {
    let mut s = format!(
        "<OKRSEK CIS_OBEC=\"{obec}\" CIS_OKRSEK=\"{okrsek}\" PORADI_ZPRAC=\"1\" \
         DATUM_CAS_ZPRAC=\"2025-10-04T14:30:00\"><UCAST_OKRSEK ZAPSANI_VOLICI=\"{}\" \
         VYDANE_OBALKY=\"{}\" ODEVZDANE_OBALKY=\"{}\" PLATNE_HLASY=\"{}\"/>",
        turnout[0], turnout[1], turnout[2], turnout[3]
    );
    for (party, v) in votes {
        s.push_str(&format!(
            "<HLASY_OKRSEK KSTRANA=\"{party}\" HLASY=\"{v}\"/>"
        ));
    }
    s.push_str("</OKRSEK>");
    s
}

fn prepare(doc: &[u8]) -> Result<(), Error> {
    let def = definition();
    def.check("definition").unwrap();
    let index = GeoIndex::new(&def);
    czso_media_feed::server::prepare(&def, &index, doc, "batch.xml", 1).map(|_| ())
}

fn refused(doc: &[u8], wanted: &[&str]) {
    let err = prepare(doc).expect_err("refused").to_string();
    assert!(err.contains("batch.xml"), "{err}");
    for w in wanted {
        assert!(err.contains(w), "{err} (wanted {w})");
    }
}

#[test]
fn a_good_row_passes() {
    prepare(&document(
        "UTF-8",
        &row(
            529303,
            1,
            ["900", "600", "598", "590"],
            &[(1, "400"), (2, "190")],
        ),
    ))
    .unwrap();
    prepare(&document(
        "UTF-8",
        &row(500224, 10015, ["900", "600", "598", "590"], &[(1, "590")]),
    ))
    .unwrap();
}

#[test]
fn votes_that_overflow_64_bits_are_refused_not_wrapped() {
    // 2^64 - 1 and 1: the sum wraps to 0 = PLATNE_HLASY (or panics in a debug build).
    refused(
        &document(
            "UTF-8",
            &row(
                529303,
                1,
                ["900", "600", "598", "0"],
                &[(1, "18446744073709551615"), (2, "1")],
            ),
        ),
        &["CIS_OBEC=529303 CIS_OKRSEK=1", "HLASY"],
    );
}

#[test]
fn counts_of_19_digits_are_refused_even_when_consistent() {
    let huge = "9223372036854775807";
    refused(
        &document(
            "UTF-8",
            &row(529303, 2, [huge, huge, huge, huge], &[(1, huge)]),
        ),
        &["CIS_OBEC=529303 CIS_OKRSEK=2", "ZAPSANI_VOLICI"],
    );
}

#[test]
fn more_envelopes_returned_than_issued_is_refused() {
    refused(
        &document(
            "UTF-8",
            &row(529303, 3, ["900", "500", "600", "590"], &[(1, "590")]),
        ),
        &["CIS_OKRSEK=3", "ODEVZDANE_OBALKY=600", "VYDANE_OBALKY=500"],
    );
}

#[test]
fn precinct_numbers_beyond_the_municipality_are_refused() {
    refused(
        &document(
            "UTF-8",
            &row(529303, 4, ["900", "600", "598", "590"], &[(1, "590")]),
        ),
        &["CIS_OKRSEK=4", "has 3 precincts"],
    );
    // Prague's boroughs number their precincts after the borough (Praha 10: 10001, 10002, …).
    refused(
        &document(
            "UTF-8",
            &row(500224, 10021, ["900", "600", "598", "590"], &[(1, "590")]),
        ),
        &["CIS_OKRSEK=10021", "has 20 precincts"],
    );
}

#[test]
fn the_declared_encoding_is_verified() {
    let latin2 = {
        let text = row(529303, 1, ["900", "600", "598", "590"], &[(1, "590")])
            .replace("<UCAST_OKRSEK", "<!-- Benešov --><UCAST_OKRSEK");
        let mut doc = document("UTF-8", &text);
        // "š" in ISO-8859-2 is 0xB9: not UTF-8.
        let at = doc.windows(2).position(|w| w == "š".as_bytes()).unwrap();
        doc.splice(at..at + 2, [0xB9]);
        doc
    };
    let err = prepare(&latin2).expect_err("refused").to_string();
    assert!(err.contains("batch.xml") && err.contains("UTF-8"), "{err}");
    let klingon = document(
        "x-klingon",
        &row(529303, 1, ["900", "600", "598", "590"], &[(1, "590")]),
    );
    let err = prepare(&klingon).expect_err("refused").to_string();
    assert!(err.contains("x-klingon"), "{err}");
    // A real label in another case or a Windows code page is fine.
    prepare(&document(
        "iso-8859-2",
        &row(529303, 1, ["900", "600", "598", "590"], &[(1, "590")]),
    ))
    .unwrap();
}

#[test]
fn batch_numbers_never_wrap() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("feed.sqlite")).unwrap();
    // A source batch number past what the file names can hold is refused…
    let err = store
        .cut_batch("ps2025", Channel::Live, 1, Some(u32::MAX), 0)
        .expect_err("refused")
        .to_string();
    assert!(err.contains("99999"), "{err}");
    // …the last one is kept, and the next automatic number is refused, not wrapped.
    assert_eq!(
        store
            .cut_batch("ps2025", Channel::Live, 1, Some(99_999), 0)
            .unwrap(),
        Some(99_999)
    );
    let def = definition();
    let index = GeoIndex::new(&def);
    let doc = document(
        "UTF-8",
        &row(529303, 1, ["900", "600", "598", "590"], &[(1, "590")]),
    );
    let parsed = czso_media_feed::server::prepare(&def, &index, &doc, "batch.xml", 1).unwrap();
    store
        .ingest(
            "ps2025",
            Channel::Live,
            &parsed.precincts,
            "batch.xml",
            "2025-10-04T15:00:00Z",
            None,
        )
        .unwrap();
    let err = store
        .cut_batch("ps2025", Channel::Live, 1, None, 0)
        .expect_err("refused")
        .to_string();
    assert!(err.contains("99999"), "{err}");
    // Cutting still works for the other data set and round: nothing is left broken.
    assert_eq!(
        store
            .cut_batch("ps2025", Channel::Test, 1, Some(1), 0)
            .unwrap(),
        Some(1)
    );
}
