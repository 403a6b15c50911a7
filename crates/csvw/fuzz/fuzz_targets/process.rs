//! Metadata JSON + CSV bytes → validation, JSON and RDF (in memory and streamed) must never
//! panic. The input is split at the first NUL byte: metadata before it, CSV after it (without
//! a NUL, the whole input is the CSV and embedded metadata is used).
#![no_main]

use csvw::json::{JsonWriter, to_json};
use csvw::rdf::{RdfSyntax, RdfWriter, write_rdf};
use csvw::{IgnoreRows, MemoryFetcher, Options, Processor, Url};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (metadata, csv) = match data.iter().position(|&b| b == 0) {
        Some(i) => (Some(&data[..i]), &data[i + 1..]),
        None => (None, data),
    };
    let mut files = MemoryFetcher::new();
    files.insert("https://example.org/data/t.csv", csv.to_vec());
    if let Some(metadata) = metadata {
        files.insert("https://example.org/data/t.csv-metadata.json", metadata.to_vec());
    }
    let url = Url::parse("https://example.org/data/t.csv").expect("valid URL");
    for validate in [true, false] {
        let options = Options {
            validate,
            ..Options::default()
        };
        let _ = Processor::new(&files, options.clone()).process_tabular_streaming(&url, &mut IgnoreRows);
        let mut streamed = Vec::new();
        let _ = Processor::new(&files, options.clone())
            .process_tabular_streaming(&url, &mut JsonWriter::new(&mut streamed, validate));
        let syntax = if validate {
            RdfSyntax::Turtle
        } else {
            RdfSyntax::NTriples
        };
        if let Ok(mut rdf) = RdfWriter::new(Vec::new(), !validate, syntax) {
            let _ = Processor::new(&files, options.clone()).process_tabular_streaming(&url, &mut rdf);
        }
        if let Ok(group) = Processor::new(&files, options).process_tabular(&url) {
            let _ = to_json(&group, validate).to_pretty_string();
            let mut out = Vec::new();
            let _ = write_rdf(&group, validate, RdfSyntax::Turtle, &mut out);
        }
    }
});
