//! Benchmarks of the goals, each against its reference in the same run:
//! - writing 10 million rows of the unified-list shape (text, date, empty-or-date, text,
//!   text) with [`CsvWriter`] vs the raw `csv` crate writing the same strings;
//! - validating that file with [`validate_reader`] (goal ≥ 200 MB/s), next to the `csv`
//!   crate merely parsing it.
//!
//! Run: `cargo bench -p opendata-csv --bench write_validate`. Peak memory is measured with
//! the `write_unified` example under `/usr/bin/time -v` (see the crate README).

use std::hint::black_box;
use std::io::{self, Write};

use chrono::{Days, NaiveDate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use opendata_csv::{Cell, Column, CsvWriter, Datatype, TableSchema, validate_reader};

const ROWS: u64 = 10_000_000;
const POOL: usize = 4096;

/// One row of the unified list, with the dates also pre-formatted for the raw writer.
struct Row {
    url: String,
    listed: NaiveDate,
    removed: Option<NaiveDate>,
    listed_text: String,
    removed_text: String,
    source: &'static str,
    dataset: &'static str,
}

fn pool() -> Vec<Row> {
    let sources = [
        ("MF", "Seznam nepovolených internetových her"),
        ("SÚKL", "Nelegální stránky s léčivými přípravky"),
        ("SZPI", "Blokované weby SZPI"),
        (
            "ÚSKVBL",
            "Stránky s nelegální nabídkou veterinárních léčivých přípravků",
        ),
    ];
    let base = NaiveDate::from_ymd_opt(2017, 7, 26).unwrap();
    (0..POOL)
        .map(|i| {
            let listed = base + Days::new((i * 7 % 3000) as u64);
            let removed = (i % 5 == 0).then(|| listed + Days::new(400));
            let (source, dataset) = sources[i % sources.len()];
            Row {
                // Every 100th URL holds a comma so quoting is exercised too.
                url: if i % 100 == 0 {
                    format!("https://casino{i}.example/?a=1,b=2")
                } else {
                    format!("casino-{i}-bet.example.com")
                },
                listed,
                removed,
                listed_text: listed.format("%Y-%m-%d").to_string(),
                removed_text: removed
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                source,
                dataset,
            }
        })
        .collect()
}

fn schema() -> TableSchema {
    TableSchema::builder()
        .column(Column::new("url", "URL", Datatype::String).required())
        .column(Column::new("datum_zapisu", "DATUM_ZAPISU", Datatype::Date).required())
        .column(Column::new("datum_vymazu", "DATUM_VYMAZU", Datatype::Date))
        .column(Column::new("zdroj", "ZDROJ", Datatype::String).required())
        .column(Column::new("nazev_datove_sady", "NAZEV_DATOVE_SADY", Datatype::String).required())
        .build()
        .unwrap()
}

/// Counts bytes and drops them.
struct CountingSink(u64);

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn write_typed<W: Write>(sink: W, pool: &[Row], schema: &TableSchema) -> W {
    let mut writer = CsvWriter::new(sink, schema).unwrap();
    for i in 0..ROWS as usize {
        let row = &pool[i % POOL];
        writer
            .write_row(&[
                Cell::Text(&row.url),
                Cell::Date(row.listed),
                row.removed.map_or(Cell::Empty, Cell::Date),
                Cell::Text(row.source),
                Cell::Text(row.dataset),
            ])
            .unwrap();
    }
    writer.finish().unwrap()
}

fn write_raw<W: Write>(sink: W, pool: &[Row]) -> W {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(sink);
    writer
        .write_record([
            "URL",
            "DATUM_ZAPISU",
            "DATUM_VYMAZU",
            "ZDROJ",
            "NAZEV_DATOVE_SADY",
        ])
        .unwrap();
    for i in 0..ROWS as usize {
        let row = &pool[i % POOL];
        writer
            .write_record([
                row.url.as_str(),
                &row.listed_text,
                &row.removed_text,
                row.source,
                row.dataset,
            ])
            .unwrap();
    }
    writer.into_inner().map_err(|_| "flush").unwrap()
}

fn benches(c: &mut Criterion) {
    let pool = pool();
    let schema = schema();
    let bytes = write_raw(CountingSink(0), &pool).0;
    assert_eq!(
        bytes,
        write_typed(CountingSink(0), &pool, &schema).0,
        "same output size"
    );

    let mut group = c.benchmark_group("write_10M_unified_rows");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("csv_crate_raw_strings", |b| {
        b.iter(|| black_box(write_raw(CountingSink(0), &pool).0));
    });
    group.bench_function("opendata_csv_typed", |b| {
        b.iter(|| black_box(write_typed(CountingSink(0), &pool, &schema).0));
    });
    group.finish();

    // The validator reads the 10M-row file from disk (page cache), as `check` does.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unified.csv");
    let file = io::BufWriter::new(std::fs::File::create(&path).unwrap());
    write_typed(file, &pool, &schema).flush().unwrap();
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
            assert_eq!(summary.records, ROWS + 1);
            black_box(summary.bytes)
        });
    });
    group.finish();
}

criterion_group!(write_validate, benches);
criterion_main!(write_validate);
