//! Fuzz target for `opendata-csv check`: arbitrary bytes as CSV, optionally with arbitrary
//! metadata. Besides "never panics", it asserts that feeding the file in small pieces gives
//! exactly the same violations and totals as feeding it whole (the streaming invariant).
//!
//! Input layout: if the first byte is 1, the bytes up to the first 0 after it are the
//! metadata JSON and the rest is the CSV; otherwise everything is the CSV.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opendata_csv::{Validator, parse_descriptor, validate_bytes};

/// End of the first record (after its line break, quotes respected), as the validator
/// needs the whole header in its first chunk.
fn header_end(csv: &[u8]) -> usize {
    let mut in_quotes = false;
    for (i, &b) in csv.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' | b'\r' if !in_quotes => return (i + 2).min(csv.len()),
            _ => {}
        }
    }
    csv.len()
}

fuzz_target!(|data: &[u8]| {
    let (metadata, csv) = match data.split_first() {
        Some((1, rest)) => match rest.iter().position(|&b| b == 0) {
            Some(zero) => (Some(&rest[..zero]), &rest[zero + 1..]),
            None => (Some(rest), &[][..]),
        },
        _ => (None, data),
    };
    let expected = metadata
        .and_then(|m| std::str::from_utf8(m).ok())
        .and_then(|json| parse_descriptor(json, None).ok())
        .map(|(table, _)| table);

    let (whole, summary) = validate_bytes(csv, expected.as_ref());
    assert_eq!(summary.total(), whole.len() as u64);

    let mut pieces = Vec::new();
    let chunked_summary = {
        let mut push = |v| pieces.push(v);
        let mut validator = Validator::new(expected.as_ref(), &mut push);
        let head = header_end(csv);
        validator.feed(&csv[..head]);
        let step = 1 + csv.len() % 5;
        for chunk in csv[head..].chunks(step) {
            validator.feed(chunk);
        }
        validator.finish()
    };
    assert_eq!(whole, pieces);
    assert_eq!(summary, chunked_summary);
});
