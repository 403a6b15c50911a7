//! Streaming writer producing exactly the Czech open-data CSV standard.

use std::fmt::Write as _;
use std::io;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::lexical::is_valid_lexical;
use crate::{Datatype, TableSchema};

/// One typed value of a row.
///
/// Each variant is written in the XSD canonical-enough lexical form the standard asks for.
/// [`Cell::Text`] is accepted in every column: in `string`/`anyURI` columns as it is, in
/// other columns only if it already is in that datatype's lexical form (useful when
/// re-publishing values that are already standard).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Text, written as is (quoted only when needed). Leading/trailing spaces are an error.
    Text(&'a str),
    /// A date, written `YYYY-MM-DD` (years 0000–9999).
    Date(NaiveDate),
    /// An integer in `xsd:integer` syntax.
    Integer(i64),
    /// A fixed decimal in `xsd:decimal` syntax (`.`, no exponent, no grouping).
    Decimal(Decimal),
    /// A floating-point number in `xsd:double` syntax (`INF`, `-INF`, `NaN` for non-finite).
    Double(f64),
    /// `true` or `false`.
    Boolean(bool),
    /// An absent value: an empty field.
    Empty,
}

impl Cell<'_> {
    /// A short name of the variant, used in error messages.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Text(_) => "text",
            Self::Date(_) => "date",
            Self::Integer(_) => "integer",
            Self::Decimal(_) => "decimal",
            Self::Double(_) => "double",
            Self::Boolean(_) => "boolean",
            Self::Empty => "empty",
        }
    }
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(value: &'a str) -> Self {
        Self::Text(value)
    }
}

impl<'a> From<&'a String> for Cell<'a> {
    fn from(value: &'a String) -> Self {
        Self::Text(value)
    }
}

impl From<NaiveDate> for Cell<'_> {
    fn from(value: NaiveDate) -> Self {
        Self::Date(value)
    }
}

impl From<i64> for Cell<'_> {
    fn from(value: i64) -> Self {
        Self::Integer(value)
    }
}

impl From<Decimal> for Cell<'_> {
    fn from(value: Decimal) -> Self {
        Self::Decimal(value)
    }
}

impl From<f64> for Cell<'_> {
    fn from(value: f64) -> Self {
        Self::Double(value)
    }
}

impl From<bool> for Cell<'_> {
    fn from(value: bool) -> Self {
        Self::Boolean(value)
    }
}

impl<'a, T: Into<Cell<'a>>> From<Option<T>> for Cell<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Cell::Empty, Into::into)
    }
}

/// What is wrong with one cell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CellProblem {
    /// Text starts or ends with whitespace; callers trim at their own boundary.
    #[error("value {0:?} has leading or trailing whitespace")]
    Padding(String),
    /// An empty cell in a required column.
    #[error("a value is required")]
    MissingRequired,
    /// The cell variant does not fit the column datatype.
    #[error("a {found} cell cannot be written to a {expected} column")]
    TypeMismatch {
        /// The column's datatype.
        expected: Datatype,
        /// The [`Cell::kind`] given.
        found: &'static str,
    },
    /// A text cell is not in the column datatype's lexical form.
    #[error("value {value:?} is not a valid {datatype}")]
    InvalidLexical {
        /// The column's datatype.
        datatype: Datatype,
        /// The offending value.
        value: String,
    },
    /// A date outside the years 0000–9999.
    #[error("date {0} is outside the years 0000-9999")]
    DateOutOfRange(String),
}

/// Error of [`CsvWriter`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// Writing to the underlying sink failed.
    #[error("cannot write CSV: {0}")]
    Io(#[from] io::Error),
    /// A row has the wrong number of cells. Nothing of it was written.
    #[error("row {row}: {found} cells given, the schema has {expected} columns")]
    RowLength {
        /// 1-based data row number (the header is not counted).
        row: u64,
        /// Number of columns of the schema.
        expected: usize,
        /// Number of cells given.
        found: usize,
    },
    /// A cell is invalid. Nothing of its row was written.
    #[error("row {row}, column {column} ({name}): {problem}")]
    Cell {
        /// 1-based data row number (the header is not counted).
        row: u64,
        /// 1-based column number.
        column: usize,
        /// Column `name`.
        name: String,
        /// What is wrong.
        problem: CellProblem,
    },
}

impl From<csv::Error> for WriteError {
    fn from(error: csv::Error) -> Self {
        // The csv writer only fails on I/O (we never ask it to serialize structs).
        match error.into_kind() {
            csv::ErrorKind::Io(e) => Self::Io(e),
            other => Self::Io(io::Error::other(format!("{other:?}"))),
        }
    }
}

#[derive(Debug, Clone)]
struct ColumnRule {
    name: String,
    datatype: Datatype,
    required: bool,
}

/// Streaming writer of one standard CSV table: UTF-8 without BOM, comma separator, CRLF after
/// every record (the last included), quotes only where needed with inner quotes doubled.
///
/// The header row (the column `titles`) is written by [`CsvWriter::new`] from the same
/// [`TableSchema`] that generates the CSVW metadata. Memory use does not grow with the row
/// count. A row that fails validation is rejected whole and nothing of it is written, so the
/// writer can go on with the next row.
#[derive(Debug)]
pub struct CsvWriter<W: io::Write> {
    inner: csv::Writer<W>,
    rules: Vec<ColumnRule>,
    rows: u64,
    /// The row being staged: cells are checked and formatted into it, and only a complete,
    /// valid row reaches `inner`. `csv::Writer::write_byte_record` then copies it in one go
    /// (the crate's fast path), instead of driving its field state machine cell by cell.
    record: csv::ByteRecord,
    scratch: String,
}

impl<W: io::Write> CsvWriter<W> {
    /// Creates the writer and writes the header row.
    ///
    /// # Errors
    /// [`WriteError::Io`] when the header cannot be written.
    pub fn new(sink: W, schema: &TableSchema) -> Result<Self, WriteError> {
        let mut inner = csv::WriterBuilder::new()
            .delimiter(b',')
            .quote(b'"')
            .double_quote(true)
            .quote_style(csv::QuoteStyle::Necessary)
            .terminator(csv::Terminator::CRLF)
            .buffer_capacity(64 * 1024)
            .from_writer(sink);
        inner.write_record(schema.columns().iter().map(|c| c.titles.as_bytes()))?;
        Ok(Self {
            inner,
            rules: schema
                .columns()
                .iter()
                .map(|c| ColumnRule {
                    name: c.name.clone(),
                    datatype: c.datatype,
                    required: c.required,
                })
                .collect(),
            rows: 0,
            record: csv::ByteRecord::with_capacity(256, schema.columns().len()),
            scratch: String::with_capacity(64),
        })
    }

    /// Number of data rows written so far.
    #[must_use]
    pub fn rows_written(&self) -> u64 {
        self.rows
    }

    /// Validates and writes one row.
    ///
    /// # Errors
    /// [`WriteError::RowLength`] or [`WriteError::Cell`] (nothing written; the writer stays
    /// usable), or [`WriteError::Io`].
    #[inline]
    pub fn write_row(&mut self, cells: &[Cell<'_>]) -> Result<(), WriteError> {
        let row = self.rows + 1;
        if cells.len() != self.rules.len() {
            return Err(WriteError::RowLength {
                row,
                expected: self.rules.len(),
                found: cells.len(),
            });
        }
        self.record.clear();
        for (cell, rule) in cells.iter().zip(&self.rules) {
            // One dispatch per cell: check and stage together. The row only reaches the
            // output after every cell passed, so a rejected row leaves nothing behind.
            // One dispatch per cell: check and stage together. The row only reaches the
            // output after every cell passed, so a rejected row leaves nothing behind.
            let fits = match *cell {
                Cell::Text(text) => {
                    self.record.push_field(text.as_bytes());
                    text_fits(text, rule)
                }
                Cell::Date(date) => {
                    self.record.push_field(&format_date(date));
                    rule.datatype == Datatype::Date && (0..=9999).contains(&date.year())
                }
                Cell::Empty => {
                    self.record.push_field(b"");
                    !rule.required
                }
                other => stage_other(&mut self.record, &mut self.scratch, other, rule),
            };
            if !fits {
                return Err(self.cell_error(row, cells));
            }
        }
        self.inner.write_byte_record(&self.record)?;
        self.rows = row;
        Ok(())
    }

    /// Describes the first bad cell of a rejected row (out of the hot path).
    #[cold]
    #[inline(never)]
    fn cell_error(&self, row: u64, cells: &[Cell<'_>]) -> WriteError {
        for (index, (cell, rule)) in cells.iter().zip(&self.rules).enumerate() {
            if let Err(problem) = check_cell(cell, rule) {
                return WriteError::Cell {
                    row,
                    column: index + 1,
                    name: rule.name.clone(),
                    problem,
                };
            }
        }
        // `write_row`'s fast checks and `check_cell` agree (a test holds them together), so
        // this is not reached; if they ever drift, the row is still refused, never written.
        debug_assert!(
            false,
            "row {row} was rejected but check_cell finds no problem"
        );
        WriteError::Cell {
            row,
            column: 1,
            name: self
                .rules
                .first()
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            problem: CellProblem::TypeMismatch {
                expected: self.rules.first().map_or(Datatype::String, |r| r.datatype),
                found: cells.first().map_or("empty", Cell::kind),
            },
        }
    }

    /// Flushes everything and returns the sink.
    ///
    /// # Errors
    /// [`WriteError::Io`] when flushing fails.
    pub fn finish(self) -> Result<W, WriteError> {
        self.inner
            .into_inner()
            .map_err(|e| WriteError::Io(io::Error::new(e.error().kind(), e.error().to_string())))
    }
}

/// Stages a number or boolean cell (the kinds `write_row` does not stage inline); returns
/// whether it fits the column.
#[inline(never)]
fn stage_other(
    record: &mut csv::ByteRecord,
    scratch: &mut String,
    cell: Cell<'_>,
    rule: &ColumnRule,
) -> bool {
    scratch.clear();
    let fits = match cell {
        Cell::Boolean(value) => {
            scratch.push_str(if value { "true" } else { "false" });
            rule.datatype == Datatype::Boolean
        }
        Cell::Integer(value) => {
            let _ = write!(scratch, "{value}");
            matches!(
                rule.datatype,
                Datatype::Integer | Datatype::Decimal | Datatype::Double
            )
        }
        Cell::Decimal(value) => {
            let _ = write!(scratch, "{value}");
            matches!(rule.datatype, Datatype::Decimal | Datatype::Double)
        }
        Cell::Double(value) => {
            format_double(value, scratch);
            rule.datatype == Datatype::Double
        }
        // Staged inline by `write_row`; never passed here.
        Cell::Text(_) | Cell::Date(_) | Cell::Empty => false,
    };
    record.push_field(scratch.as_bytes());
    fits
}

/// The fast form of [`check_cell`] for a text cell: whether it may be written as is.
#[inline(always)]
fn text_fits(text: &str, rule: &ColumnRule) -> bool {
    if text.is_empty() {
        return !rule.required;
    }
    !has_padding(text)
        && (rule.datatype == Datatype::String || is_valid_lexical(rule.datatype, text))
}

/// What is wrong with a cell, in detail; `Ok` exactly when `write_row`'s fast checks pass.
fn check_cell(cell: &Cell<'_>, rule: &ColumnRule) -> Result<(), CellProblem> {
    #[cold]
    fn mismatch(cell: &Cell<'_>, rule: &ColumnRule) -> CellProblem {
        CellProblem::TypeMismatch {
            expected: rule.datatype,
            found: cell.kind(),
        }
    }
    #[cold]
    fn padding(text: &str) -> CellProblem {
        CellProblem::Padding(text.to_owned())
    }
    #[cold]
    fn invalid_lexical(text: &str, rule: &ColumnRule) -> CellProblem {
        CellProblem::InvalidLexical {
            datatype: rule.datatype,
            value: text.to_owned(),
        }
    }
    #[cold]
    fn out_of_range(date: NaiveDate) -> CellProblem {
        CellProblem::DateOutOfRange(date.to_string())
    }
    match *cell {
        Cell::Empty => {
            if rule.required {
                return Err(CellProblem::MissingRequired);
            }
        }
        Cell::Text(text) => {
            if text.is_empty() {
                if rule.required {
                    return Err(CellProblem::MissingRequired);
                }
                return Ok(());
            }
            if has_padding(text) {
                return Err(padding(text));
            }
            if !matches!(rule.datatype, Datatype::String) && !is_valid_lexical(rule.datatype, text)
            {
                return Err(invalid_lexical(text, rule));
            }
        }
        Cell::Date(date) => {
            if rule.datatype != Datatype::Date {
                return Err(mismatch(cell, rule));
            }
            if !(0..=9999).contains(&date.year()) {
                return Err(out_of_range(date));
            }
        }
        Cell::Integer(_) => {
            if !matches!(
                rule.datatype,
                Datatype::Integer | Datatype::Decimal | Datatype::Double
            ) {
                return Err(mismatch(cell, rule));
            }
        }
        Cell::Decimal(_) => {
            if !matches!(rule.datatype, Datatype::Decimal | Datatype::Double) {
                return Err(mismatch(cell, rule));
            }
        }
        Cell::Double(_) => {
            if rule.datatype != Datatype::Double {
                return Err(mismatch(cell, rule));
            }
        }
        Cell::Boolean(_) => {
            if rule.datatype != Datatype::Boolean {
                return Err(mismatch(cell, rule));
            }
        }
    }
    Ok(())
}

/// Whether text starts or ends with whitespace (the "padding spaces" the standard forbids).
#[must_use]
#[inline(always)]
pub(crate) fn has_padding(text: &str) -> bool {
    has_padding_bytes(text.as_bytes())
}

/// [`has_padding`] on the bytes of valid UTF-8. Whitespace is Unicode `White_Space`, as
/// [`char::is_whitespace`]: TAB to CR, space, NBSP, the ideographic space and so on.
#[must_use]
#[inline(always)]
pub(crate) fn has_padding_bytes(bytes: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    // Every non-ASCII whitespace character (U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028,
    // U+2029, U+202F, U+205F, U+3000) starts with one of four lead bytes and ends with one
    // of a few continuation bytes; only values that begin or end so are decoded.
    let first_is_space = if first.is_ascii() {
        is_ascii_space(first)
    } else {
        matches!(first, 0xC2 | 0xE1 | 0xE2 | 0xE3) && decoded_space(bytes, true)
    };
    first_is_space
        || if last.is_ascii() {
            is_ascii_space(last)
        } else {
            matches!(last, 0x80..=0x8A | 0x9F | 0xA0 | 0xA8 | 0xA9 | 0xAF)
                && decoded_space(bytes, false)
        }
}

/// ASCII `White_Space`: TAB, LF, VT, FF, CR and space.
#[inline(always)]
fn is_ascii_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

/// Whether the first (`at_start`) or last character of `bytes` is whitespace.
#[cold]
#[inline(never)]
fn decoded_space(bytes: &[u8], at_start: bool) -> bool {
    let decoded = if at_start {
        let head = bytes.get(..4).unwrap_or(bytes);
        head.utf8_chunks()
            .next()
            .and_then(|chunk| chunk.valid().chars().next())
    } else {
        // The last character starts at most three continuation bytes before the end (in
        // valid UTF-8 one of the last four bytes is not a continuation byte).
        let last_four = bytes.get(bytes.len().saturating_sub(4)..).unwrap_or(bytes);
        last_four
            .iter()
            .rposition(|&b| b & 0xC0 != 0x80)
            .and_then(|start| last_four.get(start..))
            .and_then(|tail| std::str::from_utf8(tail).ok())
            .and_then(|tail| tail.chars().next_back())
    };
    decoded.is_some_and(char::is_whitespace)
}

/// `YYYY-MM-DD` for years 0000–9999 (the caller refuses other years; they still format
/// without panicking, as the last four digits).
#[inline(always)]
fn format_date(date: NaiveDate) -> [u8; 10] {
    // Two digits per table lookup: a date costs four lookups instead of eight divisions.
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
                                2021222324252627282930313233343536373839\
                                4041424344454647484950515253545556575859\
                                6061626364656667686970717273747576777879\
                                8081828384858687888990919293949596979899";
    let pair = |v: u32| {
        let i = (v % 100) as usize * 2;
        // i + 1 ≤ 199: the lookup cannot miss (and the check compiles away).
        match PAIRS.get(i..i + 2) {
            Some(&[tens, ones]) => [tens, ones],
            _ => *b"00",
        }
    };
    let year = match u32::try_from(date.year()) {
        Ok(year) if year <= 9999 => year,
        _ => date.year().rem_euclid(10_000).unsigned_abs(),
    };
    let ([y0, y1], [y2, y3]) = (pair(year / 100), pair(year));
    let ([m0, m1], [d0, d1]) = (pair(date.month()), pair(date.day()));
    [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1]
}

/// `xsd:double` lexical form: Rust's shortest round-trip decimal form, or `INF`/`-INF`/`NaN`.
fn format_double(value: f64, out: &mut String) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "INF" } else { "-INF" });
    } else {
        // `{:?}` uses an exponent for very large/small magnitudes ("1e300"), which keeps
        // the output short and is valid xsd:double syntax.
        let _ = write!(out, "{value:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Column;

    fn schema() -> TableSchema {
        TableSchema::builder()
            .column(Column::new("nazev", "název", Datatype::String).required())
            .column(Column::new("datum", "datum", Datatype::Date))
            .column(Column::new("pocet", "počet", Datatype::Integer))
            .column(Column::new("castka", "částka", Datatype::Decimal))
            .column(Column::new("podil", "podíl", Datatype::Double))
            .column(Column::new("platny", "platný", Datatype::Boolean))
            .build()
            .unwrap()
    }

    #[test]
    fn padding_is_unicode_whitespace_at_either_end() {
        for padded in [
            " a",
            "a ",
            "\ta",
            "a\r\n",
            "\u{b}a",
            "\u{a0}Praha",
            "Brno\u{a0}",
            "\u{3000}x",
            "č\u{2009}",
            " ",
            "\u{85}",
        ] {
            assert!(has_padding(padded), "{padded:?}");
        }
        for clean in [
            "", "a", "a b", "Žďár", "ÚSKVBL", "léčiva", "č", "a\u{a0}b", "\u{1c}a",
        ] {
            assert!(!has_padding(clean), "{clean:?}");
        }
    }

    /// The lead- and final-byte shortcuts of `has_padding_bytes` against `char::is_whitespace`
    /// for every character of the Basic Multilingual Plane and beyond.
    #[test]
    fn padding_shortcuts_agree_with_char_is_whitespace() {
        for c in (0..0x3_0000).filter_map(char::from_u32) {
            let ws = c.is_whitespace();
            assert_eq!(has_padding(&format!("{c}")), ws, "{c:?} alone");
            assert_eq!(has_padding(&format!("{c}x")), ws, "{c:?} first");
            assert_eq!(has_padding(&format!("x{c}")), ws, "{c:?} last");
            assert!(!has_padding(&format!("x{c}x")), "{c:?} inside");
        }
    }

    #[test]
    fn formats_dates_of_every_width() {
        for (y, m, d, text) in [
            (2024, 3, 5, "2024-03-05"),
            (999, 12, 31, "0999-12-31"),
            (0, 1, 1, "0000-01-01"),
            (9999, 10, 10, "9999-10-10"),
            (12_024, 1, 2, "2024-01-02"),
            (-1, 1, 1, "9999-01-01"),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(&format_date(date), text.as_bytes(), "{date}");
        }
    }

    #[test]
    fn writes_standard_bytes() {
        let mut w = CsvWriter::new(Vec::new(), &schema()).unwrap();
        let d = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        w.write_row(&[
            Cell::Text("a, \"b\""),
            Cell::Date(d),
            Cell::Integer(-100_000),
            Cell::Decimal(Decimal::new(-314, 2)),
            Cell::Double(0.1278),
            Cell::Boolean(true),
        ])
        .unwrap();
        w.write_row(&[
            Cell::Text("x\ny"),
            Cell::Empty,
            Cell::Empty,
            Cell::Text("1.50"),
            Cell::Double(f64::NEG_INFINITY),
            Cell::Empty,
        ])
        .unwrap();
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            out,
            "název,datum,počet,částka,podíl,platný\r\n\
             \"a, \"\"b\"\"\",2024-03-05,-100000,-3.14,0.1278,true\r\n\
             \"x\ny\",,,1.50,-INF,\r\n"
        );
    }

    /// `write_row` checks cells inline; `check_cell` describes problems. They must agree on
    /// every combination of cell kind, datatype and requiredness.
    #[test]
    fn fast_checks_agree_with_check_cell() {
        let date = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        let far = NaiveDate::from_ymd_opt(12_000, 1, 1).unwrap();
        let cells = [
            Cell::Text(""),
            Cell::Text("abc"),
            Cell::Text(" abc"),
            Cell::Text("abc\u{a0}"),
            Cell::Text("12"),
            Cell::Text("1.5"),
            Cell::Text("2024-03-05"),
            Cell::Text("true"),
            Cell::Text("NaN"),
            Cell::Text("http://example.cz/"),
            Cell::Text("2024-03-05T10:00:00"),
            Cell::Text("10:00:00"),
            Cell::Date(date),
            Cell::Date(far),
            Cell::Integer(-3),
            Cell::Decimal(Decimal::new(15, 1)),
            Cell::Double(2.5),
            Cell::Boolean(false),
            Cell::Empty,
        ];
        for datatype in Datatype::ALL {
            for required in [false, true] {
                let mut column = Column::new("c", "c", datatype);
                if required {
                    column = column.required();
                }
                let schema = TableSchema::builder().column(column).build().unwrap();
                let rule = ColumnRule {
                    name: "c".into(),
                    datatype,
                    required,
                };
                for cell in cells {
                    let mut w = CsvWriter::new(Vec::new(), &schema).unwrap();
                    let written = w.write_row(&[cell]);
                    let checked = check_cell(&cell, &rule);
                    assert_eq!(
                        written.is_ok(),
                        checked.is_ok(),
                        "{cell:?} in a {datatype} column (required: {required})"
                    );
                    if let (Err(WriteError::Cell { problem, .. }), Err(expected)) =
                        (written, checked)
                    {
                        assert_eq!(problem, expected);
                    }
                }
            }
        }
    }

    #[test]
    fn rejects_bad_cells_and_keeps_going() {
        let mut w = CsvWriter::new(Vec::new(), &schema()).unwrap();
        let row = |name| {
            [
                Cell::Text(name),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ]
        };
        let err = w.write_row(&row(" a")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "row 1, column 1 (nazev): value \" a\" has leading or trailing whitespace"
        );
        let err = w.write_row(&row("")).unwrap_err();
        assert!(matches!(
            err,
            WriteError::Cell {
                row: 1,
                column: 1,
                problem: CellProblem::MissingRequired,
                ..
            }
        ));
        let mut bad = row("a");
        bad[2] = Cell::Text("1 000");
        let err = w.write_row(&bad).unwrap_err();
        assert_eq!(
            err.to_string(),
            "row 1, column 3 (pocet): value \"1 000\" is not a valid integer"
        );
        bad[2] = Cell::Boolean(true);
        assert!(matches!(
            w.write_row(&bad).unwrap_err(),
            WriteError::Cell {
                problem: CellProblem::TypeMismatch {
                    expected: Datatype::Integer,
                    found: "boolean"
                },
                ..
            }
        ));
        assert!(matches!(
            w.write_row(&row("a")[..2]).unwrap_err(),
            WriteError::RowLength {
                row: 1,
                expected: 6,
                found: 2
            }
        ));
        w.write_row(&row("a")).unwrap();
        assert_eq!(w.rows_written(), 1);
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(out.lines().count(), 2);
    }
}
