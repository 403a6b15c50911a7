//! Streaming processing (`process_tabular_streaming` with a `RowSink`): the same JSON as the
//! in-memory path, the same diagnostics, and no rows kept.

use csvw::json::{JsonWriter, to_json};
use csvw::table::{Row, Table, TableGroup};
mod common;

use csvw::{IgnoreRows, MemoryFetcher, Options, Processor, RowSink, Url};

fn files() -> MemoryFetcher {
    let mut files = MemoryFetcher::new();
    files.insert(
        "https://data.example.cz/ceny.csv",
        "kód,cena\r\n# vygenerováno 2024-02-01\r\nA1,10\r\n# poznámka uprostřed\r\nB2,x\r\nA1,12\r\n",
    );
    files.insert(
        "https://data.example.cz/ceny.csv-metadata.json",
        r##"{
          "@context": ["http://www.w3.org/ns/csvw", {"@language": "cs"}],
          "url": "ceny.csv",
          "dc:title": "Ceny",
          "dialect": {"commentPrefix": "#"},
          "tableSchema": {
            "columns": [
              {"name": "kod", "titles": "kód"},
              {"name": "cena", "titles": "cena", "datatype": "integer"}
            ],
            "primaryKey": "kod",
            "aboutUrl": "ceny/{kod}"
          }
        }"##,
    );
    files
}

fn url() -> Url {
    Url::parse("https://data.example.cz/ceny.csv").unwrap()
}

#[test]
fn streamed_json_equals_the_in_memory_conversion() {
    let files = files();
    let group = Processor::new(&files, Options::default())
        .process_tabular(&url())
        .unwrap();
    for minimal in [false, true] {
        let mut streamed = Vec::new();
        let mut processor = Processor::new(&files, Options::default());
        let returned = processor
            .process_tabular_streaming(&url(), &mut JsonWriter::new(&mut streamed, minimal))
            .unwrap();
        assert!(returned.tables[0].rows.is_empty());
        let streamed: serde_json::Value = serde_json::from_slice(&streamed).unwrap();
        let tree: serde_json::Value =
            serde_json::from_str(&to_json(&group, minimal).to_pretty_string()).unwrap();
        assert_eq!(streamed, tree);
        if !minimal {
            // The comment rows are known only at the end; they still reach the output.
            assert_eq!(
                streamed["tables"][0]["rdfs:comment"],
                serde_json::json!(["vygenerováno 2024-02-01", "poznámka uprostřed"])
            );
        }
    }
}

#[test]
fn streamed_validation_reports_what_the_in_memory_one_does() {
    let files = files();
    let options = common::validating();
    let mut in_memory = Processor::new(&files, options.clone());
    in_memory.process_tabular(&url()).unwrap();
    let mut streamed = Processor::new(&files, options);
    streamed
        .process_tabular_streaming(&url(), &mut IgnoreRows)
        .unwrap();
    let text = |p: &Processor<'_>| -> Vec<String> {
        let mut v: Vec<String> = p
            .diagnostics
            .items
            .iter()
            .map(ToString::to_string)
            .collect();
        v.sort();
        v
    };
    assert_eq!(text(&streamed), text(&in_memory));
    let errors = common::errors(&streamed);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("row 5 column 2")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("row 6")
            && e.contains("duplicate primary key")
            && e.contains("first in row 3")),
        "{errors:?}"
    );
}

/// Records the calls a sink receives.
#[derive(Default)]
struct Calls(Vec<String>);

impl RowSink for Calls {
    fn start_group(&mut self, group: &TableGroup) -> std::io::Result<()> {
        self.0.push(format!("group {}", group.tables.len()));
        Ok(())
    }
    fn start_table(&mut self, table: &Table) -> std::io::Result<()> {
        self.0.push(format!("table {} rows", table.rows.len()));
        Ok(())
    }
    fn row(&mut self, _: &Table, row: &Row) -> std::io::Result<()> {
        self.0.push(format!("row {}", row.source_number));
        Ok(())
    }
    fn end_table(&mut self, table: &Table) -> std::io::Result<()> {
        self.0.push(format!("end {}", table.common.len()));
        Ok(())
    }
    fn end_group(&mut self) -> std::io::Result<()> {
        self.0.push("end group".to_owned());
        Ok(())
    }
}

#[test]
fn sink_calls_in_order_and_a_syntax_error_before_any_row() {
    let files = files();
    let mut calls = Calls::default();
    Processor::new(&files, Options::default())
        .process_tabular_streaming(&url(), &mut calls)
        .unwrap();
    assert_eq!(
        calls.0,
        [
            "group 0",
            "table 0 rows",
            "row 3",
            "row 5",
            "row 6",
            "end 2",
            "end group"
        ]
    );

    let mut broken = MemoryFetcher::new();
    broken.insert(
        "https://data.example.cz/x.csv",
        "a,b\r\n1,2\r\n3,\"open\r\n",
    );
    let mut calls = Calls::default();
    let result = Processor::new(&broken, Options::default()).process_tabular_streaming(
        &Url::parse("https://data.example.cz/x.csv").unwrap(),
        &mut calls,
    );
    assert!(result.is_err());
    assert!(
        !calls.0.iter().any(|c| c.starts_with("row")),
        "{:?}",
        calls.0
    );
}

#[test]
fn foreign_keys_fall_back_to_memory_and_still_stream_to_the_sink() {
    let mut files = MemoryFetcher::new();
    files.insert("https://data.example.cz/obce.csv", "kod\r\n1\r\n2\r\n");
    files.insert(
        "https://data.example.cz/osoby.csv",
        "jmeno,obec\r\nEva,1\r\nJan,3\r\n",
    );
    files.insert(
        "https://data.example.cz/csv-metadata.json",
        r#"{
          "@context": "http://www.w3.org/ns/csvw",
          "tables": [
            {"url": "obce.csv", "tableSchema": {"columns": [{"name": "kod", "titles": "kod"}],
              "primaryKey": "kod"}},
            {"url": "osoby.csv", "tableSchema": {
              "columns": [{"name": "jmeno", "titles": "jmeno"}, {"name": "obec", "titles": "obec"}],
              "foreignKeys": [{"columnReference": "obec",
                "reference": {"resource": "obce.csv", "columnReference": "kod"}}]}}
          ]
        }"#,
    );
    let mut calls = Calls::default();
    let mut processor = Processor::new(&files, common::validating());
    processor
        .process_metadata_streaming(
            &Url::parse("https://data.example.cz/csv-metadata.json").unwrap(),
            &mut calls,
        )
        .unwrap();
    let errors = common::errors(&processor);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("osoby.csv row 3"), "{errors:?}");
    assert_eq!(
        calls.0.iter().filter(|c| c.starts_with("row")).count(),
        4,
        "{:?}",
        calls.0
    );
}

#[test]
fn compound_primary_keys_compare_cell_by_cell() {
    let mut files = MemoryFetcher::new();
    files.insert(
        "https://data.example.cz/k.csv",
        "a,b\r\na1,b\r\na,1b\r\na1,b\r\n",
    );
    files.insert(
        "https://data.example.cz/k.csv-metadata.json",
        r#"{"@context": "http://www.w3.org/ns/csvw", "url": "k.csv",
            "tableSchema": {"columns": [{"name": "a", "titles": "a"}, {"name": "b", "titles": "b"}],
                            "primaryKey": ["a", "b"]}}"#,
    );
    let mut processor = Processor::new(&files, common::validating());
    processor
        .process_tabular_streaming(
            &Url::parse("https://data.example.cz/k.csv").unwrap(),
            &mut IgnoreRows,
        )
        .unwrap();
    let errors = common::errors(&processor);
    assert_eq!(
        errors,
        [
            "error: https://data.example.cz/k.csv row 4: duplicate primary key [\"a1\", \"b\"] (first in row 2)"
        ]
    );
}

#[test]
fn streamed_rdf_equals_the_in_memory_conversion() {
    use csvw::rdf::{RdfSyntax, RdfWriter, write_rdf};
    let files = files();
    let group = Processor::new(&files, Options::default())
        .process_tabular(&url())
        .unwrap();
    // Blank node labels differ between runs; compare the lines with labels blanked.
    let lines = |bytes: Vec<u8>| -> Vec<String> {
        let text = String::from_utf8(bytes).unwrap();
        let mut lines: Vec<String> = text
            .lines()
            .map(|l| {
                l.split(' ')
                    .map(|t| if t.starts_with("_:") { "_:b" } else { t })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        lines.sort();
        lines
    };
    for minimal in [false, true] {
        let mut in_memory = Vec::new();
        write_rdf(&group, minimal, RdfSyntax::NTriples, &mut in_memory).unwrap();
        let mut streamed = Vec::new();
        Processor::new(&files, Options::default())
            .process_tabular_streaming(
                &url(),
                &mut RdfWriter::new(&mut streamed, minimal, RdfSyntax::NTriples).unwrap(),
            )
            .unwrap();
        let (a, b) = (lines(streamed), lines(in_memory));
        assert_eq!(a, b);
        assert!(
            a.iter()
                .any(|l| l.contains("<https://data.example.cz/ceny/B2>"))
        );
        assert_eq!(
            a.iter().any(|l| l.contains("\"poznámka uprostřed\"")),
            !minimal,
            "comment rows are table properties in standard mode"
        );
    }
}
