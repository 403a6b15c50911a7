//! Benchmarks of the goals, each against its reference in the same run:
//! - writing 10 million rows of the unified-list shape (text, date, empty-or-date, text,
//!   text) with [`CsvWriter`] vs the raw `csv` crate writing the same strings, both with
//!   `write_record` (its everyday API) and with `write_byte_record` on a reused `ByteRecord`
//!   (its fastest path, which `CsvWriter` itself uses);
//! - validating that file with [`validate_reader`] (goal ≥ 200 MB/s), next to the `csv`
//!   crate merely parsing it.
//!
//! Run: `cargo bench -p opendata-csv --bench write_validate`. Peak memory is measured with
//! the `write_unified` example under `/usr/bin/time -v` (see the crate README).

use std::hint::black_box;
use std::io::{self, Write};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use opendata_csv::validate_reader;

#[path = "common/unified_rows.rs"]
mod unified_rows;
use unified_rows::{
    CountingSink, pool, rows, schema, write_raw, write_raw_byte_record, write_typed,
};

fn benches(c: &mut Criterion) {
    let pool = pool();
    let schema = schema();
    let rows = rows();
    let bytes = write_raw(CountingSink(0), &pool, rows).0;
    assert_eq!(
        bytes,
        write_typed(CountingSink(0), &pool, &schema, rows).0,
        "same output size"
    );
    assert_eq!(bytes, write_raw_byte_record(CountingSink(0), &pool, rows).0);

    let mut group = c.benchmark_group("write_10M_unified_rows");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("csv_crate_raw_strings", |b| {
        b.iter(|| black_box(write_raw(CountingSink(0), &pool, rows).0));
    });
    group.bench_function("csv_crate_raw_byte_record", |b| {
        b.iter(|| black_box(write_raw_byte_record(CountingSink(0), &pool, rows).0));
    });
    group.bench_function("opendata_csv_typed", |b| {
        b.iter(|| black_box(write_typed(CountingSink(0), &pool, &schema, rows).0));
    });
    group.finish();

    // The validator reads the 10M-row file from disk (page cache), as `check` does.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unified.csv");
    let file = io::BufWriter::new(std::fs::File::create(&path).unwrap());
    write_typed(file, &pool, &schema, rows).flush().unwrap();
    let expected = opendata_csv::ExpectedTable::from_schema(&schema);

    let mut group = c.benchmark_group("validate_10M_unified_rows");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("csv_crate_parse_only", |b| {
        b.iter(|| {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_path(&path)
                .unwrap();
            let mut record = csv::ByteRecord::new();
            let mut fields = 0usize;
            while reader.read_byte_record(&mut record).unwrap() {
                fields += record.len();
            }
            black_box(fields)
        });
    });
    group.bench_function("opendata_csv_validate", |b| {
        b.iter(|| {
            let file = std::fs::File::open(&path).unwrap();
            let summary = validate_reader(file, Some(&expected), &mut |v| {
                panic!("writer output has a violation: {v}")
            })
            .unwrap();
            assert_eq!(summary.records, rows + 1);
            black_box(summary.bytes)
        });
    });
    group.finish();
}

criterion_group!(write_validate, benches);
criterion_main!(write_validate);
