//! `check_profile`: CSVW strict validation with the Czech standard on top, on the four real
//! local blocklists (testdata/csvw/, with their CSVW metadata), on the writer's own output and
//! on small files that break one layer or the other.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use opendata_csv::{
    Cell, Column, CsvWriter, Datatype, Finding, FindingSeverity as S, ProfileReport,
    RuleSource as R, TableMetadata, TableSchema, check_profile, check_profile_streaming,
};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/csvw")
        .join(name)
}

fn check(csv: &Path) -> ProfileReport {
    check_profile(csv, None).unwrap()
}

/// Number of findings per (source, severity, rule, column).
fn tally(report: &ProfileReport) -> BTreeMap<(R, S, &str, Option<usize>), usize> {
    let mut map = BTreeMap::new();
    for f in &report.findings {
        *map.entry((f.source, f.severity, f.rule.as_str(), f.column))
            .or_insert(0) += 1;
    }
    map
}

const C: R = R::CzechStandard;

#[test]
fn uskvbl_list_conforms_to_both() {
    let report = check(&data("uskvbl-nelegalni-vlp.csv"));
    assert_eq!(report.findings, Vec::<Finding>::new());
    assert!(report.conforms());
    assert_eq!(report.records, 8);
    assert!(
        report
            .metadata
            .unwrap()
            .ends_with("uskvbl-nelegalni-vlp.csv-metadata.json")
    );
}

#[test]
fn szpi_list_only_lacks_the_final_line_break() {
    let report = check(&data("szpi-blokovane-weby.csv"));
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    let f = &report.findings[0];
    assert_eq!((f.source, f.severity), (C, S::Error));
    assert_eq!(f.rule, "missing-final-line-break");
    assert_eq!(f.row, Some(9));
    assert!(f.file.ends_with("szpi-blokovane-weby.csv"));
    assert_eq!(
        f.to_string(),
        format!(
            "{}, row 9: error [Czech standard: missing-final-line-break] the last record has no \
             line break after it; the standard ends every record with CRLF",
            data("szpi-blokovane-weby.csv").display()
        )
    );
}

#[test]
fn sukl_list_is_valid_csvw_but_breaks_the_czech_date_and_bom_rules() {
    let report = check(&data("sukl-nelegalni-stranky-lp.csv"));
    // CSVW accepts the file: its metadata declares the dd.MM.yyyy format and the BOM is
    // allowed. The Czech standard rejects both; every date is counted once (553 entry dates,
    // 7 deletion dates, cross-checked with Python's csv module).
    assert_eq!(
        tally(&report),
        BTreeMap::from([
            ((C, S::Error, "bom", None), 1),
            ((C, S::Error, "datatype-format", Some(2)), 1),
            ((C, S::Error, "datatype-format", Some(3)), 1),
            ((C, S::Error, "datatype-mismatch", Some(2)), 553),
            ((C, S::Error, "datatype-mismatch", Some(3)), 7),
            ((C, S::Warning, "missing-property", Some(1)), 2),
            ((C, S::Warning, "missing-property", Some(2)), 1),
            ((C, S::Warning, "missing-property", Some(3)), 1),
        ])
    );
    let first_cell = report
        .findings
        .iter()
        .find(|f| f.rule == "datatype-mismatch")
        .unwrap();
    assert_eq!(
        (
            first_cell.row,
            first_cell.column,
            first_cell.column_name.as_deref()
        ),
        (Some(2), Some(2), Some("datum_zapisu"))
    );
    assert!(
        first_cell.message.contains("\"10.03.2022\""),
        "{first_cell}"
    );
}

#[test]
fn mf_list_breaks_the_dialect_encoding_and_date_rules() {
    let report = check(&data("mf-seznam-nepovolenych-internetovych-her.cp1250.csv"));
    // The same per-field counts as `check` (tests/real_lists.rs), plus the dialect and format
    // rules on the metadata; CSVW itself finds nothing wrong with the declared dialect.
    assert_eq!(
        tally(&report),
        BTreeMap::from([
            ((C, S::Error, "dialect", None), 2),
            ((C, S::Error, "wrong-delimiter", None), 1),
            ((C, S::Error, "datatype-format", Some(7)), 1),
            ((C, S::Error, "datatype-format", Some(8)), 1),
            ((C, S::Error, "datatype-mismatch", Some(7)), 3483),
            ((C, S::Error, "datatype-mismatch", Some(8)), 60),
            ((C, S::Error, "invalid-utf8", Some(1)), 3470),
            ((C, S::Error, "invalid-utf8", Some(2)), 2),
            ((C, S::Error, "invalid-utf8", Some(3)), 2),
            ((C, S::Error, "invalid-utf8", Some(4)), 1),
            ((C, S::Error, "invalid-utf8", Some(5)), 1),
            ((C, S::Error, "invalid-utf8", Some(6)), 3484),
            ((C, S::Error, "invalid-utf8", Some(7)), 1),
            ((C, S::Error, "invalid-utf8", Some(8)), 1),
            ((C, S::Error, "padding", Some(2)), 44),
            ((C, S::Warning, "missing-property", None), 1),
            ((C, S::Warning, "missing-property", Some(1)), 1),
            ((C, S::Warning, "missing-property", Some(2)), 2),
            ((C, S::Warning, "missing-property", Some(3)), 2),
            ((C, S::Warning, "missing-property", Some(4)), 2),
            ((C, S::Warning, "missing-property", Some(5)), 2),
            ((C, S::Warning, "missing-property", Some(6)), 2),
            ((C, S::Warning, "missing-property", Some(7)), 1),
            ((C, S::Warning, "missing-property", Some(8)), 1),
        ])
    );
    let dialect: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.rule == "dialect")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        dialect,
        [
            "the dialect declares the encoding \"windows-1250\"; the standard allows only UTF-8",
            "the dialect declares the delimiter \";\"; the standard allows only ',' (comma)",
        ]
    );
}

fn schema() -> TableSchema {
    TableSchema::builder()
        .column(
            Column::new("url", "URL", Datatype::String)
                .required()
                .description("Blokovaná adresa"),
        )
        .column(
            Column::new("datum_zapisu", "datum_zápisu", Datatype::Date)
                .required()
                .description("Datum zápisu na seznam"),
        )
        .column(Column::new("pocet", "počet", Datatype::Integer).description("Počet hlášení"))
        .column(Column::new("podil", "podíl", Datatype::Decimal).description("Podíl"))
        .column(
            Column::new("poznamka", "poznámka", Datatype::String)
                .description("Poznámka, může obsahovat čárky, uvozovky i konce řádků"),
        )
        .primary_key(["url"])
        .build()
        .unwrap()
}

#[test]
fn writer_output_conforms_to_both() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("seznam.csv");
    let schema = schema();
    let mut writer = CsvWriter::new(std::fs::File::create(&csv).unwrap(), &schema).unwrap();
    let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let notes = ["", "a, b", "řekl \"ne\"", "dva\r\nřádky", "tab\tuvnitř"];
    for i in 0..200_i64 {
        let url = format!("stranka-{i}.example.cz");
        let share = rust_decimal::Decimal::new(i * 25 - 1000, 2);
        writer
            .write_row(&[
                Cell::Text(&url),
                Cell::Date(date),
                if i % 7 == 0 {
                    Cell::Empty
                } else {
                    Cell::Integer(i - 100)
                },
                Cell::Decimal(share),
                Cell::Text(notes[(i % 5) as usize]),
            ])
            .unwrap();
    }
    writer.finish().unwrap();
    TableMetadata::new("seznam.csv", "Seznam blokovaných stránek", schema)
        .publisher("Český telekomunikační úřad")
        .modified(date)
        .write_beside(&csv)
        .unwrap();
    let report = check(&csv);
    assert_eq!(report.findings, Vec::<Finding>::new());
    assert_eq!(report.records, 201);
}

/// Writes `csv` and its metadata (columns `kod` string required, `pocet` integer, `cena`
/// decimal with a decimal-comma format) into a temporary folder.
fn fixture(csv: &[u8], context: &str, dialect: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ceny.csv");
    std::fs::write(&path, csv).unwrap();
    std::fs::write(
        dir.path().join("ceny.csv-metadata.json"),
        format!(
            r#"{{
  "@context": {context},
  "url": "ceny.csv",
  "dc:title": "Ceny",
  {dialect}
  "tableSchema": {{
    "columns": [
      {{"name": "kod", "titles": "kód", "required": true, "datatype": "string",
        "dc:description": "Kód"}},
      {{"name": "pocet", "titles": "počet", "datatype": "integer", "dc:description": "Počet"}},
      {{"name": "cena", "titles": "cena", "dc:description": "Cena",
        "datatype": {{"base": "decimal", "format": {{"decimalChar": ","}}}}}}
    ],
    "primaryKey": "kod"
  }}
}}"#
        ),
    )
    .unwrap();
    (dir, path)
}

const CS_CONTEXT: &str = r#"["http://www.w3.org/ns/csvw", {"@language": "cs"}]"#;

#[test]
fn each_problem_is_reported_once_by_the_layer_that_owns_it() {
    let csv = "kód,počet,cena\r\nA,1,\"2,5\"\r\nA,x,3\r\n,2,4\r\nB,3\r\n";
    let (_dir, path) = fixture(csv.as_bytes(), CS_CONTEXT, "");
    let report = check(&path);
    let lines: Vec<(R, &str, Option<u64>, Option<usize>)> = report
        .findings
        .iter()
        .filter(|f| f.severity == S::Error)
        .map(|f| (f.source, f.rule.as_str(), f.row, f.column))
        .collect();
    assert_eq!(
        lines,
        [
            // The decimal-comma format is valid CSVW but not the Czech standard.
            (C, "datatype-format", None, Some(3)),
            // "2,5" is a valid CSVW decimal here, but not in xsd:decimal form.
            (C, "datatype-mismatch", Some(2), Some(3)),
            // Duplicate primary key "A": CSVW only (row findings come before cell findings).
            (R::Csvw, "csvw-row", Some(3), None),
            // "x" is not an integer: CSVW says so; no second, Czech finding for the cell.
            (R::Csvw, "csvw-cell", Some(3), Some(2)),
            // Empty required value: CSVW's `required`, not repeated by the Czech layer.
            (R::Csvw, "csvw-cell", Some(4), Some(1)),
            // A short row: CSVW and the byte validator both see it; reported once.
            (R::Csvw, "csvw-row", Some(5), None),
        ],
        "{:#?}",
        report.findings
    );
    let cell = report
        .findings
        .iter()
        .find(|f| f.row == Some(3) && f.column == Some(2))
        .unwrap();
    assert_eq!(cell.column_name.as_deref(), Some("pocet"));
    assert!(cell.message.contains('x'), "{cell}");
}

#[test]
fn metadata_rules_of_the_czech_standard() {
    let csv = "kód;počet;cena\r\nA;1;2\r\n";
    let (_dir, path) = fixture(
        csv.as_bytes(),
        r#""http://www.w3.org/ns/csvw""#,
        r#""dialect": {"delimiter": ";", "headerRowCount": 2},"#,
    );
    let report = check(&path);
    let metadata_rules: Vec<(&str, &str)> = report
        .findings
        .iter()
        .filter(|f| f.row.is_none() && f.source == C)
        .map(|f| (f.rule.as_str(), f.message.as_str()))
        .collect();
    assert!(
        metadata_rules.contains(&(
            "dialect",
            "the dialect declares the delimiter \";\"; the standard allows only ',' (comma)"
        )),
        "{metadata_rules:#?}"
    );
    assert!(
        metadata_rules.contains(&(
            "dialect",
            "the dialect declares 2 header rows; the standard has exactly one header row"
        )),
        "{metadata_rules:#?}"
    );
    assert!(
        metadata_rules
            .iter()
            .any(|(rule, message)| *rule == "wrong-context" && message.contains("@language")),
        "{metadata_rules:#?}"
    );
    assert!(!report.conforms());
}

#[test]
fn missing_metadata_is_a_czech_error_and_csvw_still_reads_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bez-schematu.csv");
    std::fs::write(&path, "a,b\r\n1,2\r\n3\r\n").unwrap();
    let report = check(&path);
    let rules: Vec<(R, &str, Option<u64>)> = report
        .findings
        .iter()
        .map(|f| (f.source, f.rule.as_str(), f.row))
        .collect();
    assert_eq!(
        rules,
        [
            (C, "missing-metadata", None),
            (R::Csvw, "csvw-row", Some(3)),
        ],
        "{:#?}",
        report.findings
    );
    assert_eq!(report.metadata, None);
}

#[test]
fn unusable_metadata_is_a_csvw_finding_and_the_bytes_are_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.csv");
    std::fs::write(&path, b"\xEF\xBB\xBFa,b\r\n1,2\r\n").unwrap();
    std::fs::write(dir.path().join("data.csv-metadata.json"), "{\"url\": 5,").unwrap();
    let report = check(&path);
    let rules: Vec<(R, &str)> = report
        .findings
        .iter()
        .map(|f| (f.source, f.rule.as_str()))
        .collect();
    assert!(rules.contains(&(R::Csvw, "csvw-metadata")), "{rules:?}");
    assert!(rules.contains(&(C, "bom")), "{rules:?}");
    assert!(!report.conforms());
}

#[test]
fn missing_files_are_errors_not_findings() {
    let dir = tempfile::tempdir().unwrap();
    let error = check_profile(&dir.path().join("neni.csv"), None).unwrap_err();
    assert!(error.to_string().contains("neni.csv"), "{error}");
    std::fs::write(dir.path().join("je.csv"), "a\r\n1\r\n").unwrap();
    let error = check_profile(
        &dir.path().join("je.csv"),
        Some(&dir.path().join("neni.json")),
    )
    .unwrap_err();
    assert!(error.to_string().contains("neni.json"), "{error}");
}

#[test]
fn streaming_gives_the_same_findings_row_by_row_and_the_same_totals() {
    for name in [
        "mf-seznam-nepovolenych-internetovych-her.cp1250.csv",
        "sukl-nelegalni-stranky-lp.csv",
        "szpi-blokovane-weby.csv",
        "uskvbl-nelegalni-vlp.csv",
    ] {
        let collected = check(&data(name));
        let mut streamed = Vec::new();
        let summary =
            check_profile_streaming(&data(name), None, &mut |f| streamed.push(f)).unwrap();
        // Metadata findings first, then rows never go backwards.
        let rows: Vec<u64> = streamed.iter().filter_map(|f| f.row).collect();
        assert!(rows.windows(2).all(|w| w[0] <= w[1]), "{name}");
        let first_row = streamed.iter().position(|f| f.row.is_some());
        assert!(
            first_row.is_none_or(|i| streamed[i..].iter().all(|f| f.row.is_some())),
            "{name}"
        );
        let mut sorted = streamed.clone();
        sorted.sort_by_key(|f| (f.row.is_some(), f.row, f.column));
        assert_eq!(sorted, collected.findings, "{name}");
        let errors = collected.errors().count() as u64;
        let warnings = collected.warnings().count() as u64;
        assert_eq!(summary.count(S::Error, None), errors, "{name}");
        assert_eq!(summary.count(S::Warning, None), warnings, "{name}");
        assert_eq!(
            summary.count(S::Error, Some(C)),
            collected.errors().filter(|f| f.source == C).count() as u64
        );
        assert_eq!(
            (summary.records, summary.bytes),
            (collected.records, collected.bytes)
        );
    }
}

/// Source, rule, row, column and file name of a finding.
type Place<'a> = (R, &'a str, Option<u64>, Option<usize>, String);

#[test]
fn another_table_of_the_group_never_hides_a_finding_of_the_checked_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), "cena\r\n\"1,5\"\r\n").unwrap();
    std::fs::write(dir.path().join("b.csv"), "pocet\r\nq\r\n").unwrap();
    std::fs::write(
        dir.path().join("csv-metadata.json"),
        r#"{"@context": ["http://www.w3.org/ns/csvw", {"@language": "cs"}],
            "tables": [
              {"url": "a.csv", "tableSchema": {"columns": [{"name": "cena", "titles": "cena",
                "datatype": {"base": "decimal", "format": {"decimalChar": ","}}}]}},
              {"url": "b.csv", "tableSchema": {"columns": [{"name": "pocet", "titles": "pocet",
                "datatype": "integer"}]}}
            ]}"#,
    )
    .unwrap();
    let report = check(&dir.path().join("a.csv"));
    let errors: Vec<Place<'_>> = report
        .errors()
        .map(|f| {
            let file = f.file.file_name().unwrap().to_string_lossy().into_owned();
            (f.source, f.rule.as_str(), f.row, f.column, file)
        })
        .collect();
    // The metadata describes two files: a Czech error (one descriptor per CSV).
    assert!(errors.contains(&(
        C,
        "unusable-metadata",
        None,
        None,
        "csv-metadata.json".into()
    )));
    // "q" in b.csv is CSVW's error, named with its own file...
    assert!(errors.contains(&(R::Csvw, "csvw-cell", Some(2), Some(1), "b.csv".into())));
    // ...and does not hide the decimal comma at the same place in a.csv.
    assert!(
        errors.contains(&(C, "datatype-mismatch", Some(2), Some(1), "a.csv".into())),
        "{errors:#?}"
    );
}
