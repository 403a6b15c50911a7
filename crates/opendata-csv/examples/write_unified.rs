//! Writes N rows of the unified-list shape (the benchmark's rows) with one writer, or
//! validates a file, so the cycles and peak memory of each can be measured on their own:
//!
//! ```text
//! /usr/bin/time -v target/release/examples/write_unified typed 10000000 /tmp/u.csv
//! perf stat -e cycles:u target/release/examples/write_unified typed 10000000 -
//! perf stat -e cycles:u target/release/examples/write_unified raw 10000000 -
//! perf stat -e cycles:u target/release/examples/write_unified raw-record 10000000 -
//! /usr/bin/time -v target/release/examples/write_unified validate 0 /tmp/u.csv
//! /usr/bin/time -v target/release/examples/write_unified validate-schema 0 /tmp/u.csv
//! ```
//!
//! `typed` is `CsvWriter`; `raw` the `csv` crate's `write_record` of the same strings;
//! `raw-record` its `write_byte_record` fast path. `-` as the file counts bytes and drops them.
#![allow(clippy::print_stdout)]

use std::io::{BufWriter, Write};

#[path = "../benches/common/unified_rows.rs"]
mod unified_rows;
use unified_rows::{CountingSink, pool, schema, write_raw, write_raw_byte_record, write_typed};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, mode, rows, path] = args.as_slice() else {
        return Err(
            "usage: write_unified typed|raw|raw-record|validate|validate-schema ROWS FILE|-".into(),
        );
    };
    let rows: u64 = rows.parse()?;
    let start = std::time::Instant::now();
    if mode == "validate" || mode == "validate-schema" {
        // With the schema, cells are checked against their datatypes (as the benchmark
        // does); without it, the heuristics for files without metadata run instead.
        let expected = opendata_csv::ExpectedTable::from_schema(&schema());
        let expected = (mode == "validate-schema").then_some(&expected);
        let file = std::fs::File::open(path)?;
        let summary = opendata_csv::validate_reader(file, expected, &mut |_| {})?;
        println!(
            "validated {} records, {} bytes, {} violations in {:?}",
            summary.records,
            summary.bytes,
            summary.total(),
            start.elapsed()
        );
        return Ok(());
    }
    let pool = pool();
    let schema = schema();
    let write = |sink: &mut dyn Write| -> Result<(), Box<dyn std::error::Error>> {
        match mode.as_str() {
            "typed" => write_typed(sink, &pool, &schema, rows).flush()?,
            "raw" => write_raw(sink, &pool, rows).flush()?,
            "raw-record" => write_raw_byte_record(sink, &pool, rows).flush()?,
            other => return Err(format!("unknown mode {other:?}").into()),
        }
        Ok(())
    };
    let bytes = if path == "-" {
        let mut sink = CountingSink(0);
        write(&mut sink)?;
        sink.0
    } else {
        let mut file = BufWriter::new(std::fs::File::create(path)?);
        write(&mut file)?;
        file.flush()?;
        std::fs::metadata(path)?.len()
    };
    println!(
        "wrote {rows} rows ({bytes} bytes) with {mode} in {:?}",
        start.elapsed()
    );
    Ok(())
}
