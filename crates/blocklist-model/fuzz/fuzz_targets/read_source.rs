//! Feeds the same bytes to every reader, then merges, diffs and exports what was read: no input
//! may panic, and every row is either an entry or an error diagnostic.
#![no_main]

use blocklist_model::{
    NaiveDate, ReaderKind, RpzOptions, Severity, SourceConfig, UnifiedList, WwwPolicy, diff,
    read_source, write_decree_csv, write_plain_hosts, write_rpz,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let date = NaiveDate::from_ymd_opt(2026, 8, 18).unwrap();
    let mut lists = Vec::new();
    for kind in ReaderKind::ALL {
        let config = SourceConfig::new("Fuzz", "Fuzz", kind);
        let Ok(read) = read_source(&config, data) else { continue };
        let errors = read.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
        assert_eq!(read.counts.entries, read.entries.len());
        assert!(read.counts.entries + errors <= read.counts.rows + read.counts.diagnostics);
        for e in &read.entries {
            if let Some(h) = e.host() {
                assert!(h.is_ascii() && !h.contains('/'));
            }
        }
        let list = UnifiedList::merge(date, read.entries);
        let mut csv = Vec::new();
        write_decree_csv(&list, &mut csv).unwrap();
        let mut zone = Vec::new();
        write_rpz(&list, &RpzOptions::new("rpz.example.cz", 1), &mut zone).unwrap();
        let mut plain = Vec::new();
        write_plain_hosts(&list, WwwPolicy::AlsoApex, &mut plain).unwrap();
        lists.push(list);
    }
    if let [a, b, ..] = lists.as_slice() {
        let _ = diff(a, b);
    }
});
