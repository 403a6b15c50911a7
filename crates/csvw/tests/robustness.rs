//! Arbitrary input never panics: any bytes as CSV (with or without metadata) and any JSON as
//! metadata end in a result or a clear error, in both modes, and the output writers work.

use csvw::{MemoryFetcher, Options, Processor, Url};
use proptest::prelude::*;

const CSV: &str = "http://example.org/data.csv";
const META: &str = "http://example.org/data.csv-metadata.json";

fn run(files: &MemoryFetcher, validate: bool) {
    let url = Url::parse(CSV).unwrap();
    let mut processor = Processor::new(
        files,
        Options {
            validate,
            ..Options::default()
        },
    );
    if let Ok(group) = processor.process_tabular(&url) {
        let _ = csvw::json::to_json(&group, false);
        let mut out = Vec::new();
        csvw::rdf::write_rdf(&group, false, csvw::rdf::RdfSyntax::NTriples, &mut out).unwrap();
    }
}

fn metadata_strategy() -> impl Strategy<Value = String> {
    let datatype = prop_oneof![
        Just(r#""integer""#.to_owned()),
        Just(
            r##"{"base": "decimal", "format": {"pattern": "#,##0.0#", "groupChar": " "}}"##
                .to_owned()
        ),
        Just(r#"{"base": "date", "format": "d.M.yyyy"}"#.to_owned()),
        Just(r#"{"base": "boolean", "format": "ano|ne"}"#.to_owned()),
        Just(r#"{"base": "string", "format": "[a-z]+", "maxLength": 3}"#.to_owned()),
        "[a-zA-Z:#{}/.]{0,12}".prop_map(|s| format!("{s:?}")),
    ];
    (datatype, "[a-z{}_ ]{0,10}", any::<bool>(), "[;,|]{0,1}").prop_map(
        |(datatype, template, required, separator)| {
            format!(
                r#"{{"@context": "http://www.w3.org/ns/csvw", "url": "data.csv",
                   "tableSchema": {{"columns": [
                     {{"name": "a", "titles": "a", "datatype": {datatype}, "required": {required},
                       "separator": {separator:?}, "aboutUrl": {template:?}}},
                     {{"name": "b", "titles": "b", "valueUrl": {template:?}}}],
                     "primaryKey": "a"}}}}"#
            )
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_bytes_as_csv(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut files = MemoryFetcher::new();
        files.insert(CSV, body);
        run(&files, false);
        run(&files, true);
    }

    #[test]
    fn csv_like_text_with_metadata(
        body in "[a-zA-Z0-9 ,;\"\\r\\n#.:%-]{0,200}",
        meta in metadata_strategy(),
    ) {
        let mut files = MemoryFetcher::new();
        files.insert(CSV, format!("a,b\n{body}"));
        files.insert(META, meta);
        run(&files, false);
        run(&files, true);
    }

    #[test]
    fn any_json_as_metadata(meta in "[\\[\\]{}\":,a-zA-Z@ 0-9_]{0,120}") {
        let mut files = MemoryFetcher::new();
        files.insert(CSV, "a,b\n1,2\n");
        files.insert(META, meta);
        run(&files, false);
        run(&files, true);
    }
}
