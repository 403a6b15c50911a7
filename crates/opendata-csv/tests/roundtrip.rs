//! Property tests: any table the writer produces reads back unchanged with a strict RFC 4180
//! reader (written here, independent of the `csv` crate the writer uses), and the validator
//! finds nothing in it.

use chrono::NaiveDate;
use opendata_csv::{Cell, Column, CsvWriter, Datatype, ExpectedTable, TableSchema, validate_bytes};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// An owned cell, so proptest can generate it.
#[derive(Debug, Clone)]
enum Value {
    Text(String),
    Date(NaiveDate),
    Integer(i64),
    Decimal(Decimal),
    Double(f64),
    Boolean(bool),
    Empty,
}

impl Value {
    fn cell(&self) -> Cell<'_> {
        match self {
            Self::Text(s) => Cell::Text(s),
            Self::Date(d) => Cell::Date(*d),
            Self::Integer(i) => Cell::Integer(*i),
            Self::Decimal(d) => Cell::Decimal(*d),
            Self::Double(f) => Cell::Double(*f),
            Self::Boolean(b) => Cell::Boolean(*b),
            Self::Empty => Cell::Empty,
        }
    }

    /// Whether `field`, as read back, denotes this value.
    fn matches(&self, field: &str) -> bool {
        match self {
            Self::Text(s) => field == s,
            Self::Date(d) => field == d.format("%Y-%m-%d").to_string(),
            Self::Integer(i) => field == i.to_string(),
            Self::Decimal(d) => {
                field.parse::<Decimal>().ok() == Some(*d) && !field.contains(['e', 'E'])
            }
            Self::Double(f) => match field {
                "NaN" => f.is_nan(),
                "INF" => *f == f64::INFINITY,
                "-INF" => *f == f64::NEG_INFINITY,
                _ => field.parse::<f64>().ok() == Some(*f),
            },
            Self::Boolean(b) => field == if *b { "true" } else { "false" },
            Self::Empty => field.is_empty(),
        }
    }
}

fn datatype() -> impl Strategy<Value = Datatype> {
    prop_oneof![
        Just(Datatype::String),
        Just(Datatype::Date),
        Just(Datatype::Integer),
        Just(Datatype::Decimal),
        Just(Datatype::Double),
        Just(Datatype::Boolean),
    ]
}

fn text() -> impl Strategy<Value = String> {
    // Commas, quotes, CR, LF and non-ASCII inside values; no padding (callers trim).
    "[a-zA-Z0-9 ,\"\r\n;'čřžÁ€\u{1F600}]{0,16}".prop_map(|s| s.trim().to_owned())
}

fn value(datatype: Datatype, required: bool) -> BoxedStrategy<Value> {
    let present: BoxedStrategy<Value> = match datatype {
        Datatype::Date => (0i32..=9999, 1u32..=12, 1u32..=28)
            .prop_map(|(y, m, d)| Value::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap()))
            .boxed(),
        Datatype::Integer => any::<i64>().prop_map(Value::Integer).boxed(),
        Datatype::Decimal => (any::<i64>(), 0u32..10)
            .prop_map(|(m, s)| Value::Decimal(Decimal::new(m, s)))
            .boxed(),
        Datatype::Double => prop_oneof![
            any::<f64>().prop_map(Value::Double),
            Just(Value::Double(f64::NAN)),
            Just(Value::Double(f64::INFINITY)),
            Just(Value::Double(1e-300)),
        ]
        .boxed(),
        Datatype::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
        _ => text()
            .prop_filter("required text is non-empty", move |s| {
                !required || !s.is_empty()
            })
            .prop_map(Value::Text)
            .boxed(),
    };
    if required {
        present
    } else {
        prop_oneof![1 => Just(Value::Empty), 4 => present].boxed()
    }
}

fn table() -> impl Strategy<Value = (TableSchema, Vec<Vec<Value>>)> {
    prop::collection::vec((datatype(), any::<bool>()), 1..6).prop_flat_map(|columns| {
        let mut builder = TableSchema::builder();
        for (i, (datatype, required)) in columns.iter().enumerate() {
            // Titles with a comma and a quote exercise header quoting too.
            let mut column = Column::new(format!("c{i}"), format!("sloupec \"{i}\", č"), *datatype);
            if *required {
                column = column.required();
            }
            builder = builder.column(column);
        }
        let schema = builder.build().unwrap();
        let row: Vec<BoxedStrategy<Value>> = columns.iter().map(|(d, r)| value(*d, *r)).collect();
        (Just(schema), prop::collection::vec(row, 0..20))
    })
}

/// Strict RFC 4180: CRLF after every record (the last included), fields quoted only with `"`,
/// inner quotes doubled, no bare CR or LF outside quotes, no BOM, UTF-8.
fn strict_rfc4180(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    if text.starts_with('\u{feff}') {
        return Err("BOM".into());
    }
    let b = text.as_bytes();
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), Vec::<u8>::new());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' {
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err("unterminated quote".into()),
                    Some(b'"') if b.get(i + 1) == Some(&b'"') => {
                        field.push(b'"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        field.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            while i < b.len() && !matches!(b[i], b',' | b'\r' | b'\n') {
                if b[i] == b'"' {
                    return Err(format!("quote in unquoted field at {i}"));
                }
                field.push(b[i]);
                i += 1;
            }
        }
        record.push(String::from_utf8(std::mem::take(&mut field)).map_err(|e| e.to_string())?);
        match (b.get(i), b.get(i + 1)) {
            (Some(b','), _) => i += 1,
            (Some(b'\r'), Some(b'\n')) => {
                records.push(std::mem::take(&mut record));
                i += 2;
            }
            other => return Err(format!("expected ',' or CRLF at {i}, found {other:?}")),
        }
    }
    if !record.is_empty() {
        return Err("last record without CRLF".into());
    }
    Ok(records)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn written_tables_read_back_and_validate((schema, rows) in table()) {
        let mut writer = CsvWriter::new(Vec::new(), &schema).unwrap();
        for row in &rows {
            let cells: Vec<Cell<'_>> = row.iter().map(Value::cell).collect();
            writer.write_row(&cells).unwrap();
        }
        let bytes = writer.finish().unwrap();

        let records = strict_rfc4180(&bytes).map_err(|e| {
            TestCaseError::fail(format!("{e}: {:?}", String::from_utf8_lossy(&bytes)))
        })?;
        prop_assert_eq!(records.len(), rows.len() + 1);
        let titles: Vec<&str> = schema.columns().iter().map(|c| c.titles.as_str()).collect();
        prop_assert_eq!(&records[0], &titles);
        for (record, row) in records[1..].iter().zip(&rows) {
            prop_assert_eq!(record.len(), row.len());
            for (field, value) in record.iter().zip(row) {
                prop_assert!(value.matches(field), "{:?} read back as {:?}", value, field);
            }
        }

        let (violations, summary) =
            validate_bytes(&bytes, Some(&ExpectedTable::from_schema(&schema)));
        prop_assert!(violations.is_empty(), "{:?}", violations);
        prop_assert_eq!(summary.records, rows.len() as u64 + 1);
    }

    #[test]
    fn validator_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let (violations, summary) = validate_bytes(&bytes, None);
        prop_assert_eq!(summary.total(), violations.len() as u64);
    }

    #[test]
    fn validator_never_panics_on_csv_like_text(text in "[a,\"\r\n ;.0-9é\u{feff}]{0,60}") {
        let schema = TableSchema::builder()
            .column(Column::new("a", "a", Datatype::Date).required())
            .column(Column::new("b", "b", Datatype::Integer))
            .build()
            .unwrap();
        let (violations, summary) =
            validate_bytes(text.as_bytes(), Some(&ExpectedTable::from_schema(&schema)));
        prop_assert_eq!(summary.total(), violations.len() as u64);
    }
}
