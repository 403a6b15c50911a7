//! Rows of the unified-list shape and the three ways of writing them that the benchmark
//! compares; shared by `benches/write_validate.rs` and `examples/write_unified.rs` (which
//! measures cycles and peak memory of one writer at a time).
#![allow(dead_code)] // each includer uses its own subset

use std::io::{self, Write};

use chrono::{Days, NaiveDate};
use opendata_csv::{Cell, Column, CsvWriter, Datatype, TableSchema};

/// Rows per run: the 10 million, or `OPENDATA_CSV_BENCH_ROWS` for a quick profile.
pub fn rows() -> u64 {
    std::env::var("OPENDATA_CSV_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000)
}
pub const POOL: usize = 4096;

/// One row of the unified list, with the dates also pre-formatted for the raw writer.
pub struct Row {
    url: String,
    listed: NaiveDate,
    removed: Option<NaiveDate>,
    listed_text: String,
    removed_text: String,
    source: &'static str,
    dataset: &'static str,
}

pub fn pool() -> Vec<Row> {
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

pub fn schema() -> TableSchema {
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
pub struct CountingSink(pub u64);

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub fn write_typed<W: Write>(sink: W, pool: &[Row], schema: &TableSchema, rows: u64) -> W {
    let mut writer = CsvWriter::new(sink, schema).unwrap();
    for i in 0..rows as usize {
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

pub fn write_raw<W: Write>(sink: W, pool: &[Row], rows: u64) -> W {
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
    for i in 0..rows as usize {
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

/// The raw `csv` crate at its fastest: each row staged in one reused `ByteRecord` and written
/// with `write_byte_record`, which copies a record into the buffer in one go.
pub fn write_raw_byte_record<W: Write>(sink: W, pool: &[Row], rows: u64) -> W {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(sink);
    let mut record = csv::ByteRecord::new();
    for title in [
        "URL",
        "DATUM_ZAPISU",
        "DATUM_VYMAZU",
        "ZDROJ",
        "NAZEV_DATOVE_SADY",
    ] {
        record.push_field(title.as_bytes());
    }
    writer.write_byte_record(&record).unwrap();
    for i in 0..rows as usize {
        let row = &pool[i % POOL];
        record.clear();
        record.push_field(row.url.as_bytes());
        record.push_field(row.listed_text.as_bytes());
        record.push_field(row.removed_text.as_bytes());
        record.push_field(row.source.as_bytes());
        record.push_field(row.dataset.as_bytes());
        writer.write_byte_record(&record).unwrap();
    }
    writer.into_inner().map_err(|_| "flush").unwrap()
}
