//! Precinct batch documents from the network: parsing never panics, every parsed row survives
//! the stored binary form, and a batch written back parses to the same rows.
#![no_main]

use czso_media_feed::store::{decode_payload, encode_payload};
use czso_media_feed::xml::{BatchHeader, parse_batch, write_batch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = parse_batch(data, "fuzz", 1) else {
        return;
    };
    let mut bytes = Vec::new();
    for row in &parsed.precincts {
        bytes.clear();
        encode_payload(row, &mut bytes);
        assert_eq!(decode_payload(&bytes).as_ref(), Some(row));
    }
    let header = BatchHeader {
        election_date: "20251003".into(),
        number: 1,
        rows: 0,
        total: 0,
        processed: 0,
    };
    let rows: Vec<_> = parsed.precincts.iter().collect();
    let written = write_batch(parsed.kind, "2025-10-04T14:00:00", &header, &rows);
    let again = parse_batch(written.as_bytes(), "rewritten", 1).expect("written batch parses");
    assert_eq!(again.precincts, parsed.precincts);
});
