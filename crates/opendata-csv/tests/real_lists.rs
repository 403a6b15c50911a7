//! `check` on the four real local blocklists (testdata/opendata-csv/blocklists/): the exact
//! distance of each from the standard. The counts were cross-checked with an independent
//! reading of the files (Python's csv module after decoding).

use std::collections::BTreeMap;
use std::path::PathBuf;

use opendata_csv::{Violation, ViolationKind as K, check_file};

fn list(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/opendata-csv/blocklists")
        .join(name)
}

fn check(name: &str) -> (Vec<Violation>, opendata_csv::Summary) {
    let mut found = Vec::new();
    let report = check_file(&list(name), None, &mut |v| found.push(v)).unwrap();
    (found, report.summary)
}

/// Number of violations per (kind, field).
fn by_field(violations: &[Violation]) -> BTreeMap<(K, Option<usize>), u64> {
    let mut map = BTreeMap::new();
    for v in violations {
        *map.entry((v.kind, v.field)).or_insert(0) += 1;
    }
    map
}

#[test]
fn mf_is_windows_1250_semicolon_separated_with_czech_dates_and_padding() {
    let (violations, summary) = check("mf-seznam-nepovolenych-internetovych-her.cp1250.csv");
    assert_eq!(summary.records, 3484);
    assert_eq!(summary.delimiter, ';');
    assert_eq!(
        by_field(&violations),
        BTreeMap::from([
            ((K::InvalidUtf8, Some(1)), 3470),
            ((K::InvalidUtf8, Some(2)), 2),
            ((K::InvalidUtf8, Some(3)), 2),
            ((K::InvalidUtf8, Some(4)), 1),
            ((K::InvalidUtf8, Some(5)), 1),
            ((K::InvalidUtf8, Some(6)), 3484),
            ((K::InvalidUtf8, Some(7)), 1),
            ((K::InvalidUtf8, Some(8)), 1),
            ((K::WrongDelimiter, None), 1),
            ((K::Padding, Some(2)), 44),
            ((K::NonIsoDate, Some(7)), 3483),
            ((K::NonIsoDate, Some(8)), 60),
            ((K::MissingMetadata, None), 1),
        ])
    );
    // No CRLF, quoting or ragged-row problem: the file is regular apart from the above.
    let first: Vec<String> = violations.iter().take(4).map(ToString::to_string).collect();
    assert!(first[0].ends_with("[missing-metadata]"));
    assert_eq!(
        first[1],
        "record 1: the delimiter is ';' (semicolon); the standard allows only ',' (comma). \
         The rest of the file is checked as ';' (semicolon)-delimited [wrong-delimiter]"
    );
    assert_eq!(
        first[2],
        "record 1, field 2: value is not valid UTF-8 (byte 0xE9); it reads as windows-1250 \
         \"Adresa internetové stránky\", convert the file to UTF-8 [invalid-utf8]"
    );
    let padding = violations.iter().find(|v| v.kind == K::Padding).unwrap();
    assert_eq!(
        padding.to_string(),
        "record 1867, field 2: value \"viperwin.com \" has leading or trailing whitespace [padding]"
    );
}

#[test]
fn sukl_has_a_bom_and_czech_dates() {
    let (violations, summary) = check("sukl-nelegalni-stranky-lp.csv");
    assert_eq!(summary.records, 554);
    assert_eq!(
        by_field(&violations),
        BTreeMap::from([
            ((K::Bom, None), 1),
            ((K::NonIsoDate, Some(2)), 553),
            ((K::NonIsoDate, Some(3)), 7),
            ((K::MissingMetadata, None), 1),
        ])
    );
    assert_eq!(violations[1].kind, K::Bom);
    assert_eq!(violations[1].record, Some(1));
    assert_eq!(
        violations[2].to_string(),
        "record 2, field 2: value \"10.03.2022\" looks like a date; dates must be YYYY-MM-DD [non-iso-date]"
    );
}

#[test]
fn szpi_lacks_the_final_line_break() {
    let (violations, summary) = check("szpi-blokovane-weby.csv");
    assert_eq!(summary.records, 9);
    let found: Vec<_> = violations
        .iter()
        .map(|v| (v.kind, v.record, v.field))
        .collect();
    assert_eq!(
        found,
        [
            (K::MissingMetadata, None, None),
            (K::MissingFinalLineBreak, Some(9), None)
        ]
    );
}

#[test]
fn uskvbl_only_lacks_metadata() {
    let (violations, summary) = check("uskvbl-nelegalni-vlp.csv");
    assert_eq!(summary.records, 8);
    let found: Vec<_> = violations.iter().map(|v| v.kind).collect();
    assert_eq!(found, [K::MissingMetadata]);
}
