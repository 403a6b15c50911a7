//! The public API on real Czech open-data files (`testdata/csvw/`): metadata found beside the
//! CSV, a windows-1250 `;` dialect, a BOM, `dd.MM.yyyy` dates, keys, JSON and RDF output.

use std::path::PathBuf;

use csvw::rdf::RdfSyntax;
mod common;

use csvw::{FileFetcher, MemoryFetcher, Options, Processor, Url};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/csvw")
        .join(name)
}

fn file_url(name: &str) -> Url {
    Url::from_file_path(std::path::absolute(data(name)).unwrap()).unwrap()
}

const MF: &str = "mf-seznam-nepovolenych-internetovych-her.cp1250.csv";
const SUKL: &str = "sukl-nelegalni-stranky-lp.csv";
const BASE: &str = "https://data.example.cz/soubory/";

/// The real files served under a publisher URL, so metadata lookup works as on the web.
fn served() -> MemoryFetcher {
    let mut files = MemoryFetcher::new();
    for name in [MF, SUKL] {
        files.insert(format!("{BASE}{name}"), std::fs::read(data(name)).unwrap());
        let meta = format!("{name}-metadata.json");
        files.insert(format!("{BASE}{meta}"), std::fs::read(data(&meta)).unwrap());
    }
    files
}

#[test]
fn mf_list_validates_and_converts() {
    let fetcher = FileFetcher::new();
    let mut validator = Processor::new(&fetcher, common::validating());
    let group = validator.process_tabular(&file_url(MF)).unwrap();
    let problems: Vec<String> = validator
        .diagnostics
        .items
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    let table = &group.tables[0];
    assert_eq!(table.rows.len(), 3483);
    assert_eq!(table.columns[3].name, "identifikator_aplikace");

    let json = csvw::json::to_json(&group, true).to_pretty_string();
    // windows-1250 decoded, dd.MM.yyyy normalised to xsd:date.
    assert!(json.contains(r#""objekt": "Internetová stránka""#));
    assert!(json.contains(r#""adresa": "1xbet.com""#));
    assert!(json.contains(r#""datum_zapisu": "2017-07-26""#));
    assert!(json.contains(r#""@id": "https://data.example.cz/mf-blokace/radek/1""#));
}

#[test]
fn bad_cells_are_errors_when_validating_and_warnings_when_converting() {
    let mut files = served();
    let original = std::fs::read(data(MF)).unwrap();
    // Row 3 of the file: an impossible date and an unknown object type.
    let text = encoding_rs::WINDOWS_1250.decode(&original).0.into_owned();
    let broken = text
        .replacen("26.07.2017;28.04.2021", "31.02.2017;28.04.2021", 1)
        .replacen("Platební účet;", "Účet;", 1);
    let (bytes, _, _) = encoding_rs::WINDOWS_1250.encode(&broken);
    files.insert(format!("{BASE}{MF}"), bytes.into_owned());
    let url = Url::parse(&format!("{BASE}{MF}")).unwrap();

    let mut validator = Processor::new(&files, common::validating());
    validator.process_tabular(&url).unwrap();
    let errors = common::errors(&validator);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].contains("row 3 column 1") && errors[0].contains("Účet"),
        "{errors:?}"
    );
    assert!(
        errors[1].contains("row 3 column 7") && errors[1].contains("31.02.2017"),
        "{errors:?}"
    );

    let mut converter = Processor::new(&files, Options::default());
    let group = converter.process_tabular(&url).unwrap();
    assert_eq!(converter.diagnostics.warnings().count(), 2);
    assert!(!converter.diagnostics.has_errors());
    // The invalid value is kept as a plain string.
    let json = csvw::json::to_json(&group, true).to_pretty_string();
    assert!(json.contains(r#""datum_zapisu": "31.02.2017""#));
}

#[test]
fn sukl_list_with_bom_and_primary_key() {
    let files = served();
    let url = Url::parse(&format!("{BASE}{SUKL}")).unwrap();
    let mut validator = Processor::new(&files, common::validating());
    let group = validator.process_tabular(&url).unwrap();
    assert!(!validator.diagnostics.has_errors());
    let table = &group.tables[0];
    assert_eq!(table.rows.len(), 553);
    // The BOM is not part of the first title, so the metadata matched the header.
    assert_eq!(table.columns[0].titles[0].0, "URL");

    // A duplicated row breaks the primary key.
    let mut text = String::from_utf8(std::fs::read(data(SUKL)).unwrap()).unwrap();
    text.push_str("\"zdraviodslovanu.online\",\"01.01.2024\",\"\"\r\n");
    let mut files = served();
    files.insert(format!("{BASE}{SUKL}"), text);
    let mut validator = Processor::new(&files, common::validating());
    validator.process_tabular(&url).unwrap();
    let errors = common::errors(&validator);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("duplicate primary key") && errors[0].contains("row 555"));
}

#[test]
fn rdf_output_parses_back() {
    let files = served();
    let url = Url::parse(&format!("{BASE}{SUKL}")).unwrap();
    let mut processor = Processor::new(&files, Options::default());
    let group = processor.process_tabular(&url).unwrap();
    for syntax in [RdfSyntax::NTriples, RdfSyntax::Turtle] {
        let mut out = Vec::new();
        csvw::rdf::write_rdf(&group, false, syntax, &mut out).unwrap();
        let parsed: Vec<_> = oxttl::TurtleParser::new()
            .for_slice(&out)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(parsed.len(), csvw::rdf::to_graph(&group, false).len());
        // Per row: type, rownum, url, describes and at least two cells.
        assert!(parsed.len() > 553 * 6);
    }
    let graph = csvw::rdf::to_graph(&group, true);
    let about =
        oxrdf::NamedNode::new("https://data.example.cz/sukl/zdraviodslovanu.online").unwrap();
    let date = oxrdf::NamedNode::new("https://data.example.cz/slovnik/datum_zapisu").unwrap();
    let object = graph.object_for_subject_predicate(&about, &date).unwrap();
    assert_eq!(
        object.to_string(),
        "\"2022-03-10\"^^<http://www.w3.org/2001/XMLSchema#date>"
    );
}

#[test]
fn missing_file_is_a_clear_error() {
    let files = MemoryFetcher::new();
    let url = Url::parse("https://data.example.cz/chybi.csv").unwrap();
    let err = Processor::new(&files, Options::default())
        .process_tabular(&url)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "https://data.example.cz/chybi.csv not found"
    );
}

#[test]
fn broken_metadata_names_the_document_and_the_rule() {
    let mut files = MemoryFetcher::new();
    files.insert(
        "https://data.example.cz/m.json",
        r#"{"@context": "http://www.w3.org/ns/csvw", "tables": []}"#,
    );
    let url = Url::parse("https://data.example.cz/m.json").unwrap();
    let err = Processor::new(&files, Options::default())
        .process_metadata(&url)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "metadata https://data.example.cz/m.json: a table group must have at least one table"
    );
    files.insert("https://data.example.cz/m.json", "{not json");
    let err = Processor::new(&files, Options::default())
        .process_metadata(&url)
        .unwrap_err();
    assert!(err.to_string().contains("invalid JSON"), "{err}");
}
