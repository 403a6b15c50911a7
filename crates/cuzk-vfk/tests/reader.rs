//! The VFK reader and MJ counting on the real ČÚZK test export.

use std::path::PathBuf;

use chrono::NaiveDate;
use cuzk_vfk::distributor_csv::read_distributor_csv;
use cuzk_vfk::{
    DataKind, MjRowPolicy, Record, SyntaxErrorKind, Value, VfkError, VfkReader, count_mj,
    count_mj_file,
};

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/vfk")
        .join(name)
}

fn sample() -> Vec<u8> {
    std::fs::read(testdata("pywsdp_Export_1-4.vfk")).unwrap()
}

#[test]
fn sample_has_615_par_and_80_tel_rows() {
    let s = count_mj_file(&testdata("pywsdp_Export_1-4.vfk"), MjRowPolicy::AllRows).unwrap();
    assert_eq!(s.par_rows, 615);
    assert_eq!(s.tel_rows, 80);
    assert_eq!(s.mj(), 695);
    let jama = &s.areas[&693936];
    assert_eq!(jama.name.as_deref(), Some("Jáma"));
    assert_eq!((jama.parcels_kn, jama.parcels_ze, jama.lv), (615, 0, 80));
    assert_eq!(s.par_rows_by_status.get("0"), Some(&577));
    assert_eq!(s.par_rows_by_status.get("-1"), Some(&38));
    assert_eq!(s.tel_rows_by_status.get("-1"), Some(&1));
    assert_eq!(s.rows_by_block["OPSUB"], 107);
    assert_eq!(s.rows_by_block["KATUZE"], 2);

    let current = count_mj(sample().as_slice(), MjRowPolicy::CurrentOnly).unwrap();
    assert_eq!(current.mj(), 577 + 79);
    assert_eq!(current.areas[&693936].excluded_rows, 39);
}

#[test]
fn sample_header() {
    let s = count_mj(sample().as_slice(), MjRowPolicy::AllRows).unwrap();
    let h = &s.header;
    assert_eq!(h.version.as_deref(), Some("5.4"));
    assert_eq!(h.info.as_deref(), Some("REF 1 - TESTOVACÍ"));
    assert_eq!(h.code_page.as_deref(), Some("WE8ISO8859P2"));
    assert_eq!(h.groups, ["NEMO", "JEDN", "BDPA", "VLST"]);
    assert!(!h.has_jpv());
    assert!(!s.has_jpv);
    assert_eq!(h.data_kind, Some(DataKind::State));
    assert_eq!(h.state_date(), NaiveDate::from_ymd_opt(2018, 4, 1));
    assert_eq!(
        h.created.map(|c| c.to_string()).as_deref(),
        Some("2019-04-09 13:44:55")
    );
    assert_eq!(h.created_by.as_deref(), Some("KATASTR\\CIZEKM1"));
    assert_eq!(h.personal_data, Some(false));
    assert_eq!(h.polygon, Some(false));
}

/// Re-encodes the sample (ISO-8859-2) into another code page and declares it.
fn transcode(code_page_header: &str, encoding: &'static encoding_rs::Encoding) -> Vec<u8> {
    let text = encoding_rs::ISO_8859_2
        .decode_without_bom_handling(&sample())
        .0
        .into_owned();
    let text = text.replace(
        "&HCODEPAGE;\"WE8ISO8859P2\"",
        &format!("&HCODEPAGE;\"{code_page_header}\""),
    );
    let (bytes, _, unmappable) = encoding.encode(&text);
    assert!(!unmappable);
    bytes.into_owned()
}

fn jama_name(data: &[u8]) -> String {
    for record in VfkReader::new(data) {
        if let Record::Data(row) = record.unwrap()
            && row.block.name == "KATUZE"
        {
            return row.get("NAZEV").and_then(Value::as_str).unwrap().to_owned();
        }
    }
    panic!("no KATUZE row");
}

#[test]
fn utf8_and_windows_1250_give_the_same_result() {
    for (name, enc) in [
        ("UTF-8", encoding_rs::UTF_8),
        ("EE8MSWIN1250", encoding_rs::WINDOWS_1250),
    ] {
        let data = transcode(name, enc);
        let s = count_mj(data.as_slice(), MjRowPolicy::AllRows).unwrap();
        assert_eq!((s.par_rows, s.tel_rows, s.mj()), (615, 80, 695), "{name}");
        assert_eq!(
            s.header.info.as_deref(),
            Some("REF 1 - TESTOVACÍ"),
            "{name}"
        );
        assert_eq!(jama_name(&data), "Jáma", "{name}");
    }
    assert_eq!(jama_name(&sample()), "Jáma");
}

/// Splits every `&D` record after its 40th byte with a `¤` continuation.
fn with_continuations(data: &[u8], marker: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in data.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"&D") && line.len() > 41 {
            out.extend_from_slice(&line[..40]);
            out.extend_from_slice(marker);
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&line[40..]);
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

#[test]
fn continuation_lines_are_joined() {
    let original: Vec<Record> = VfkReader::new(sample().as_slice())
        .collect::<Result<_, _>>()
        .unwrap();
    let continued = with_continuations(&sample(), &[0xA4]);
    let joined: Vec<Record> = VfkReader::new(continued.as_slice())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(original.len(), joined.len());
    for (a, b) in original.iter().zip(&joined) {
        match (a, b) {
            (Record::Data(a), Record::Data(b)) => assert_eq!(a.values, b.values),
            (Record::Header(a), Record::Header(b)) => assert_eq!(a.values, b.values),
            _ => {}
        }
    }
    let utf8 = with_continuations(&transcode("UTF-8", encoding_rs::UTF_8), "¤".as_bytes());
    let s = count_mj(utf8.as_slice(), MjRowPolicy::AllRows).unwrap();
    assert_eq!(s.mj(), 695);
}

#[test]
fn truncated_file_is_an_error_not_a_lower_count() {
    let data = sample();
    let cut = &data[..data.len() / 2];
    let cut = &cut[..=cut.iter().rposition(|&b| b == b'\n').unwrap()];
    match count_mj(cut, MjRowPolicy::AllRows) {
        Err(VfkError::Syntax(e)) => assert_eq!(e.kind(), &SyntaxErrorKind::MissingEnd),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_prefix_is_handled_without_panic() {
    let data = sample();
    for len in (0..data.len()).step_by(4999) {
        let _ = count_mj(&data[..len], MjRowPolicy::AllRows);
    }
}

#[test]
fn file_errors_name_the_file() {
    let err = count_mj_file(&testdata("no-such.vfk"), MjRowPolicy::AllRows).unwrap_err();
    assert!(
        err.to_string().contains("no-such.vfk: cannot open"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.vfk");
    std::fs::write(&bad, b"&HVERZE;\"5.4\"\n&BPAR;ID N30\n&DPAR;x\n&K\n").unwrap();
    let err = count_mj_file(&bad, MjRowPolicy::AllRows).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("bad.vfk: line 3: column ID is numeric but holds \"x\""),
        "{err}"
    );
}

#[test]
fn distributor_csv_agrees_with_the_vfk_count() {
    let file = std::fs::File::open(testdata("jama_distributor_derived.csv")).unwrap();
    let csv = read_distributor_csv(file, "jama_distributor_derived.csv").unwrap();
    assert_eq!(csv.rows(), 695);
    let mj = csv.mj(Some(&[693936])).unwrap();
    assert_eq!((mj.areas[0].parcels, mj.areas[0].lv, mj.mj), (615, 80, 695));
    assert!(csv.mj(Some(&[693936, 600001])).is_err());
}
