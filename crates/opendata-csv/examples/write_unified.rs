//! Writes N rows of the unified-list shape to a file, either with `CsvWriter` (`typed`) or the
//! raw `csv` crate (`raw`), or validates a file (`validate`), so peak memory can be measured:
//!
//! ```text
//! /usr/bin/time -v target/release/examples/write_unified typed 10000000 /tmp/u.csv
//! /usr/bin/time -v target/release/examples/write_unified raw 10000000 /tmp/u-raw.csv
//! /usr/bin/time -v target/release/examples/write_unified validate 0 /tmp/u.csv
//! ```
#![allow(clippy::print_stdout)]

use std::io::{BufWriter, Write};

use chrono::{Days, NaiveDate};
use opendata_csv::{Cell, Column, CsvWriter, Datatype, TableSchema};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, mode, rows, path] = args.as_slice() else {
        return Err("usage: write_unified typed|raw|validate ROWS FILE".into());
    };
    let rows: u64 = rows.parse()?;
    let start = std::time::Instant::now();
    if mode == "validate" {
        let file = std::fs::File::open(path)?;
        let summary = opendata_csv::validate_reader(file, None, &mut |_| {})?;
        println!(
            "validated {} records, {} bytes, {} violations in {:?}",
            summary.records,
            summary.bytes,
            summary.total(),
            start.elapsed()
        );
        return Ok(());
    }
    let base = NaiveDate::from_ymd_opt(2017, 7, 26).ok_or("date")?;
    let out = BufWriter::new(std::fs::File::create(path)?);
    let sources = ["MF", "SÚKL", "SZPI", "ÚSKVBL"];
    let mut url = String::new();
    if mode == "typed" {
        let schema = TableSchema::builder()
            .column(Column::new("url", "URL", Datatype::String).required())
            .column(Column::new("datum_zapisu", "DATUM_ZAPISU", Datatype::Date).required())
            .column(Column::new("datum_vymazu", "DATUM_VYMAZU", Datatype::Date))
            .column(Column::new("zdroj", "ZDROJ", Datatype::String).required())
            .column(Column::new("nazev", "NAZEV_DATOVE_SADY", Datatype::String).required())
            .build()?;
        let mut writer = CsvWriter::new(out, &schema)?;
        for i in 0..rows {
            url.clear();
            std::fmt::Write::write_fmt(&mut url, format_args!("casino-{i}-bet.example.com"))?;
            let listed = base + Days::new(i % 3000);
            let removed = (i % 5 == 0).then(|| listed + Days::new(400));
            writer.write_row(&[
                Cell::Text(&url),
                Cell::Date(listed),
                removed.map_or(Cell::Empty, Cell::Date),
                Cell::Text(sources[(i % 4) as usize]),
                Cell::Text("Jednotný seznam"),
            ])?;
        }
        writer.finish()?.flush()?;
    } else {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        writer.write_record([
            "URL",
            "DATUM_ZAPISU",
            "DATUM_VYMAZU",
            "ZDROJ",
            "NAZEV_DATOVE_SADY",
        ])?;
        for i in 0..rows {
            url.clear();
            std::fmt::Write::write_fmt(&mut url, format_args!("casino-{i}-bet.example.com"))?;
            let listed = base + Days::new(i % 3000);
            let removed = (i % 5 == 0).then(|| listed + Days::new(400));
            let listed = listed.format("%Y-%m-%d").to_string();
            let removed = removed
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            writer.write_record([
                url.as_str(),
                &listed,
                &removed,
                sources[(i % 4) as usize],
                "Jednotný seznam",
            ])?;
        }
        writer.flush()?;
    }
    println!("wrote {rows} rows with {mode} in {:?}", start.elapsed());
    Ok(())
}
