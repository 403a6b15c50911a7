//! One fixture per violation class (testdata/opendata-csv/violations/): `check_file` must
//! report exactly the listed violations, with record and field numbers.

use std::path::PathBuf;

use opendata_csv::{ViolationKind as K, check_file};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/opendata-csv/violations")
        .join(format!("{name}.csv"))
}

/// (kind, record number, field number) of one violation.
type Found = (K, Option<u64>, Option<usize>);

/// (kind, record, field) of every violation `check_file` reports for the fixture.
fn report(name: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let report = check_file(&fixture(name), None, &mut |v| {
        found.push((v.kind, v.record, v.field));
    })
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        report.summary.total(),
        found.len() as u64,
        "{name}: summary total"
    );
    found
}

#[test]
fn clean_fixture_has_no_violation() {
    assert_eq!(report("clean"), []);
}

#[test]
fn each_fixture_reports_exactly_its_class() {
    let cases: &[(&str, &[Found])] = &[
        ("bom", &[(K::Bom, Some(1), None)]),
        ("invalid-utf8", &[(K::InvalidUtf8, Some(2), Some(1))]),
        ("wrong-delimiter", &[(K::WrongDelimiter, Some(1), None)]),
        ("bare-lf", &[(K::BareLf, Some(1), None)]),
        ("bare-cr", &[(K::BareCr, Some(2), None)]),
        (
            "missing-final-line-break",
            &[(K::MissingFinalLineBreak, Some(2), None)],
        ),
        ("unquoted-quote", &[(K::UnquotedQuote, Some(2), Some(1))]),
        (
            "bad-quote-escaping",
            &[(K::BadQuoteEscaping, Some(2), Some(1))],
        ),
        (
            "unterminated-quote",
            &[(K::UnterminatedQuote, Some(2), Some(1))],
        ),
        ("ragged-row", &[(K::RaggedRow, Some(2), None)]),
        ("empty-row", &[(K::EmptyRow, Some(2), None)]),
        ("empty-file", &[(K::EmptyFile, None, None)]),
        ("padding", &[(K::Padding, Some(2), Some(1))]),
        ("null-value", &[(K::NullValue, Some(2), Some(2))]),
        (
            "non-iso-date",
            &[
                (K::MissingMetadata, None, None),
                (K::NonIsoDate, Some(2), Some(2)),
            ],
        ),
        (
            "decimal-comma",
            &[
                (K::MissingMetadata, None, None),
                (K::DecimalComma, Some(2), Some(3)),
            ],
        ),
        (
            "datatype-mismatch",
            &[
                (K::DatatypeMismatch, Some(2), Some(2)),
                (K::DatatypeMismatch, Some(2), Some(3)),
            ],
        ),
        (
            "missing-required",
            &[(K::MissingRequired, Some(2), Some(1))],
        ),
        (
            "empty-header",
            &[
                (K::EmptyHeader, Some(1), Some(2)),
                (K::HeaderTitleMismatch, Some(1), Some(2)),
            ],
        ),
        (
            "duplicate-header",
            &[
                (K::DuplicateHeader, Some(1), Some(3)),
                (K::HeaderTitleMismatch, Some(1), Some(3)),
            ],
        ),
        (
            "header-column-count",
            &[(K::HeaderColumnCount, Some(1), None)],
        ),
        (
            "header-title-mismatch",
            &[(K::HeaderTitleMismatch, Some(1), Some(1))],
        ),
        (
            "header-name-mismatch",
            &[(K::HeaderNameMismatch, Some(1), Some(1))],
        ),
        ("wrong-context", &[(K::WrongContext, None, None)]),
        ("invalid-column-name", &[(K::InvalidColumnName, None, None)]),
        ("unknown-datatype", &[(K::UnknownDatatype, None, None)]),
        ("missing-metadata", &[(K::MissingMetadata, None, None)]),
        ("url-mismatch", &[(K::UrlMismatch, None, None)]),
    ];
    let mut failures = Vec::new();
    for (name, expected) in cases {
        let found = report(name);
        if found != *expected {
            failures.push(format!("{name}: expected {expected:?}, found {found:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn messages_name_the_value_and_the_rule() {
    let mut messages = Vec::new();
    check_file(&fixture("datatype-mismatch"), None, &mut |v| {
        messages.push(v.to_string());
    })
    .unwrap();
    assert_eq!(
        messages,
        [
            "record 2, field 2: value \"31.01.2024\" is not a valid date (column \"datum\"); dates are YYYY-MM-DD [datatype-mismatch]",
            "record 2, field 3: value \"5 000\" is not a valid integer (column \"pocet\"); integers have no spaces or separators [datatype-mismatch]",
        ]
    );
    let mut messages = Vec::new();
    check_file(&fixture("invalid-utf8"), None, &mut |v| {
        messages.push(v.to_string());
    })
    .unwrap();
    assert_eq!(
        messages,
        [
            "record 2, field 1: value is not valid UTF-8 (byte 0xF2); it reads as windows-1250 \"Plzeň\", convert the file to UTF-8 [invalid-utf8]"
        ]
    );
}
