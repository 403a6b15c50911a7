//! The validator reads a file in chunks and checks UTF-8 a chunk at a time. Wherever the
//! chunks are cut (inside a value, inside a multi-byte character, inside a quoted value),
//! it must report exactly what it reports on the whole file at once.

use opendata_csv::{
    Column, Datatype, ExpectedTable, TableSchema, Validator, Violation, validate_bytes,
};
use proptest::prelude::*;

/// Pieces that make chunk boundaries interesting: multi-byte characters of every width,
/// invalid and truncated sequences, CSV specials, padding, dates and numbers.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"a".to_vec()),
        Just(b",".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b" ".to_vec()),
        Just(b"2024-02-29".to_vec()),
        Just(b"12,5".to_vec()),
        Just(b"1.2.2024".to_vec()),
        Just("č".as_bytes().to_vec()),
        Just("Žďár".as_bytes().to_vec()),
        Just("\u{a0}".as_bytes().to_vec()),
        Just("€".as_bytes().to_vec()),
        Just("𝄞".as_bytes().to_vec()),
        Just(vec![0xE8]),       // windows-1250 'č'
        Just(vec![0xE2, 0x82]), // a cut three-byte sequence
        Just(vec![0x80]),       // a lone continuation byte
        Just(vec![0xF0, 0x9D]), // a cut four-byte sequence
    ]
}

fn file() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(piece(), 0..80).prop_map(|pieces| {
        let mut bytes = b"nazev,datum,pocet\r\n".to_vec();
        bytes.extend(pieces.concat());
        bytes
    })
}

fn in_chunks(bytes: &[u8], cuts: &[usize], expected: Option<&ExpectedTable>) -> Vec<Violation> {
    let mut found = Vec::new();
    let mut sink = |v| found.push(v);
    let mut validator = Validator::new(expected, &mut sink);
    // The first chunk holds the header (delimiter detection needs it whole).
    let header_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| i + 1);
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|c| header_end + c % (bytes.len() - header_end + 1))
        .collect();
    points.push(header_end);
    points.push(bytes.len());
    points.sort_unstable();
    let mut start = 0;
    for end in points {
        validator.feed(&bytes[start..end]);
        start = end;
    }
    let _ = validator.finish();
    found
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn chunk_boundaries_change_nothing(
        bytes in file(),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
        with_schema in any::<bool>(),
    ) {
        let schema = TableSchema::builder()
            .column(Column::new("nazev", "nazev", Datatype::String).required())
            .column(Column::new("datum", "datum", Datatype::Date))
            .column(Column::new("pocet", "pocet", Datatype::Integer))
            .build()
            .unwrap();
        let expected = ExpectedTable::from_schema(&schema);
        let expected = with_schema.then_some(&expected);
        let (whole, _) = validate_bytes(&bytes, expected);
        prop_assert_eq!(in_chunks(&bytes, &cuts, expected), whole);
    }
}
