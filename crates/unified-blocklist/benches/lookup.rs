//! The lookup index after a year of daily publications: its size, the time to load it, and the
//! time of one lookup, against the reference it replaces — reading the current list's extended
//! CSV and scanning its rows for the host (what answering without an index costs even for the
//! latest publication alone; the index also answers for every past date).
//!
//! The year starts from the real lists in `testdata/nkod/soubory/` (via the embedded
//! catalogue's files) and adds, per day, three new entries and one removal, about the pace of
//! 2026 (MF alone added 1,209 sites in 2026). Run with
//! `cargo bench -p unified-blocklist --bench lookup`.
#![allow(clippy::print_stdout, clippy::print_stderr, missing_docs)]

use blocklist_model::{Entry, NaiveDate, ReaderKind, SourceConfig, SourceLabel, UnifiedList};
use criterion::Criterion;
use std::sync::Arc;
use std::time::Instant;
use unified_blocklist::lookup::LookupIndex;

const SOUBORY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/nkod/soubory/");

fn real_entries() -> Vec<Entry> {
    let files = [
        (
            "mf-seznam-nepovolenych-internetovych-her.cp1250.csv",
            ReaderKind::Mf,
        ),
        ("sukl-nelegalni-stranky-lp.csv", ReaderKind::Sukl),
        ("szpi-blokovane-weby.csv", ReaderKind::Szpi),
        ("uskvbl-nelegalni-vlp.csv", ReaderKind::Uskvbl),
    ];
    files
        .iter()
        .flat_map(|(name, kind)| {
            let bytes = std::fs::read(format!("{SOUBORY}{name}")).unwrap();
            let config = SourceConfig::new(format!("{kind:?}"), "Seznam", *kind);
            blocklist_model::read_source(&config, &bytes)
                .unwrap()
                .entries
        })
        .collect()
}

fn main() {
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let mut entries = real_entries();
    let label = Arc::new(SourceLabel::new(
        "Ministerstvo financí",
        "Seznam nepovolených internetových her",
    ));
    let mut index = LookupIndex::default();
    let mut list = UnifiedList::merge(start, entries.clone());
    let built = Instant::now();
    for day in 0..365u64 {
        let date = start + chrono::Days::new(day);
        for i in 0..3 {
            entries.push(Entry::new(
                &format!("nove-kasino-{day}-{i}.com"),
                date,
                None,
                Arc::clone(&label),
                None,
            ));
        }
        // One removal a day: an earlier synthetic entry gets a removal date.
        if day >= 30 {
            let url = format!("nove-kasino-{}-0.com", day - 30);
            if let Some(e) = entries.iter_mut().find(|e| e.url() == url) {
                *e = Entry::new(&url, e.entered(), Some(date), Arc::clone(&label), None);
            }
        }
        list = UnifiedList::merge(date, entries.clone());
        index.update(&list, date);
    }
    let build_time = built.elapsed();
    let tsv = index.to_tsv();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("historie.tsv"), &tsv).unwrap();
    let mut extended = Vec::new();
    blocklist_model::write_extended_csv(&list, &mut extended).unwrap();
    std::fs::write(dir.path().join("jednotny-seznam-rozsireny.csv"), &extended).unwrap();
    println!(
        "index after 365 daily publications: {} records, {} bytes ({:.0} KiB); built in {build_time:.2?} (365 incremental updates); extended CSV of the last day: {} bytes",
        index.records().len(),
        tsv.len(),
        tsv.len() as f64 / 1024.0,
        extended.len()
    );

    let hosts = [
        "www.1xbet.com",
        "nove-kasino-200-1.com",
        "neni-na-seznamu.cz",
        "a.b.c.nove-kasino-5-0.com",
    ];
    let mut c = Criterion::default().configure_from_args();
    c.bench_function("lookup: index in memory, 4 addresses", |b| {
        b.iter(|| {
            for host in hosts {
                std::hint::black_box(index.lookup(host, None).unwrap());
            }
        });
    });
    c.bench_function("lookup: load historie.tsv + 1 address (CLI)", |b| {
        b.iter(|| {
            let index = LookupIndex::load(dir.path()).unwrap();
            std::hint::black_box(index.lookup("www.1xbet.com", None).unwrap());
        });
    });
    c.bench_function(
        "reference: read the extended CSV + scan for 1 address",
        |b| {
            b.iter(|| {
                let bytes =
                    std::fs::read(dir.path().join("jednotny-seznam-rozsireny.csv")).unwrap();
                let read = blocklist_model::read_source(
                    &SourceConfig::new("", "", ReaderKind::Decree),
                    &bytes,
                )
                .unwrap();
                std::hint::black_box(
                    read.entries
                        .iter()
                        .filter(|e| e.host() == Some("1xbet.com"))
                        .count(),
                );
            });
        },
    );
    c.final_summary();
}
