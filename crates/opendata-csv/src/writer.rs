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
    pub fn write_row(&mut self, cells: &[Cell<'_>]) -> Result<(), WriteError> {
        let row = self.rows + 1;
        if cells.len() != self.rules.len() {
            return Err(WriteError::RowLength {
                row,
                expected: self.rules.len(),
                found: cells.len(),
            });
        }
        for (index, (cell, rule)) in cells.iter().zip(&self.rules).enumerate() {
            if let Err(problem) = check_cell(cell, rule) {
                return Err(WriteError::Cell {
                    row,
                    column: index + 1,
                    name: rule.name.clone(),
                    problem,
                });
            }
        }
        for cell in cells {
            match *cell {
                Cell::Text(text) => self.inner.write_field(text)?,
                Cell::Empty => self.inner.write_field(b"")?,
                Cell::Date(date) => self.inner.write_field(format_date(date))?,
                Cell::Boolean(value) => {
                    self.inner
                        .write_field(if value { "true" } else { "false" })?;
                }
                Cell::Integer(value) => {
                    self.scratch.clear();
                    let _ = write!(self.scratch, "{value}");
                    self.inner.write_field(&self.scratch)?;
                }
                Cell::Decimal(value) => {
                    self.scratch.clear();
                    let _ = write!(self.scratch, "{value}");
                    self.inner.write_field(&self.scratch)?;
                }
                Cell::Double(value) => {
                    self.scratch.clear();
                    format_double(value, &mut self.scratch);
                    self.inner.write_field(&self.scratch)?;
                }
            }
        }
        self.inner.write_record(None::<&[u8]>)?;
        self.rows = row;
        Ok(())
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

fn check_cell(cell: &Cell<'_>, rule: &ColumnRule) -> Result<(), CellProblem> {
    let mismatch = || CellProblem::TypeMismatch {
        expected: rule.datatype,
        found: cell.kind(),
    };
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
                return Err(CellProblem::Padding(text.to_owned()));
            }
            if !matches!(rule.datatype, Datatype::String) && !is_valid_lexical(rule.datatype, text)
            {
                return Err(CellProblem::InvalidLexical {
                    datatype: rule.datatype,
                    value: text.to_owned(),
                });
            }
        }
        Cell::Date(date) => {
            if rule.datatype != Datatype::Date {
                return Err(mismatch());
            }
            if !(0..=9999).contains(&date.year()) {
                return Err(CellProblem::DateOutOfRange(date.to_string()));
            }
        }
        Cell::Integer(_) => {
            if !matches!(
                rule.datatype,
                Datatype::Integer | Datatype::Decimal | Datatype::Double
            ) {
                return Err(mismatch());
            }
        }
        Cell::Decimal(_) => {
            if !matches!(rule.datatype, Datatype::Decimal | Datatype::Double) {
                return Err(mismatch());
            }
        }
        Cell::Double(_) => {
            if rule.datatype != Datatype::Double {
                return Err(mismatch());
            }
        }
        Cell::Boolean(_) => {
            if rule.datatype != Datatype::Boolean {
                return Err(mismatch());
            }
        }
    }
    Ok(())
}

/// Whether text starts or ends with whitespace (the "padding spaces" the standard forbids).
#[must_use]
pub(crate) fn has_padding(text: &str) -> bool {
    let b = text.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) if f.is_ascii() && l.is_ascii() => {
            f.is_ascii_whitespace() || l.is_ascii_whitespace()
        }
        (Some(_), Some(_)) => {
            text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace)
        }
        _ => false,
    }
}

/// `YYYY-MM-DD` for years 0000–9999 (checked by the caller).
fn format_date(date: NaiveDate) -> [u8; 10] {
    let digit = |v: u32| b'0' + u8::try_from(v % 10).unwrap_or(0);
    let year = u32::try_from(date.year()).unwrap_or(0);
    let (month, day) = (date.month(), date.day());
    [
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(day / 10),
        digit(day),
    ]
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
