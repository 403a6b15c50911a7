//! Turning a non-standard CSV (another encoding, delimiter or date format) into a standard
//! one, and inferring a schema by scanning.

use std::fs::File;
use std::io::{self, BufWriter, Read};
use std::path::{Path, PathBuf};

use encoding_rs::{DecoderResult, Encoding};

use crate::lexical::is_valid_lexical;
use crate::{Cell, Column, CsvWriter, Datatype, SchemaError, TableSchema, WriteError};

/// How a source CSV is written.
#[derive(Debug, Clone)]
pub struct SourceFormat {
    encoding: &'static Encoding,
    delimiter: u8,
    date_format: Option<DateFormat>,
    decimal_comma: bool,
}

impl Default for SourceFormat {
    fn default() -> Self {
        Self {
            encoding: encoding_rs::UTF_8,
            delimiter: b',',
            date_format: None,
            decimal_comma: false,
        }
    }
}

impl SourceFormat {
    /// A comma-separated source in the encoding with this WHATWG label (`utf-8`,
    /// `windows-1250`, `iso-8859-2`, …).
    ///
    /// # Errors
    /// [`FormatError::UnknownEncoding`] for an unknown label.
    pub fn new(encoding: &str) -> Result<Self, FormatError> {
        let encoding = Encoding::for_label(encoding.trim().as_bytes())
            .ok_or_else(|| FormatError::UnknownEncoding(encoding.to_owned()))?;
        Ok(Self {
            encoding,
            ..Self::default()
        })
    }

    /// Sets the delimiter byte.
    #[must_use]
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Sets the delimiter from a command-line string: one ASCII character, or `\t`/`tab`.
    ///
    /// # Errors
    /// [`FormatError::InvalidDelimiter`] for anything else.
    pub fn delimiter_str(self, delimiter: &str) -> Result<Self, FormatError> {
        let byte = match (delimiter, delimiter.as_bytes()) {
            ("\\t" | "tab", _) => b'\t',
            (_, &[byte]) if byte.is_ascii() && !matches!(byte, b'"' | b'\r' | b'\n') => byte,
            _ => return Err(FormatError::InvalidDelimiter(delimiter.to_owned())),
        };
        Ok(self.delimiter(byte))
    }

    /// Sets the source date pattern (`dd.mm.yyyy`, `d.M.yyyy`, `yyyy/mm/dd`, …): `d`/`dd` day,
    /// `m`/`mm`/`M`/`MM` month, `yyyy` year; other characters are literal. Values matching it
    /// are written as `YYYY-MM-DD`.
    ///
    /// # Errors
    /// [`FormatError::InvalidDateFormat`] when the pattern lacks a day, month or year.
    pub fn date_format(mut self, pattern: &str) -> Result<Self, FormatError> {
        self.date_format = Some(DateFormat::parse(pattern)?);
        Ok(self)
    }

    /// Whether `12,5` in the source means 12.5.
    #[must_use]
    pub fn decimal_comma(mut self, decimal_comma: bool) -> Self {
        self.decimal_comma = decimal_comma;
        self
    }

    /// Normalises one source value: trims whitespace, rewrites dates in the source pattern to
    /// `YYYY-MM-DD` and (if enabled) decimal commas to dots.
    #[must_use]
    pub fn normalize_value(&self, value: &str) -> String {
        let value = value.trim();
        if let Some(format) = &self.date_format
            && let Some(date) = format.parse_date(value)
        {
            return date.format("%Y-%m-%d").to_string();
        }
        if self.decimal_comma && value.matches(',').count() == 1 && !value.contains('.') {
            let dotted = value.replacen(',', ".", 1);
            if is_valid_lexical(Datatype::Decimal, &dotted) {
                return dotted;
            }
        }
        value.to_owned()
    }
}

/// A parsed source date pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFormat {
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Day,
    Month,
    Year,
    Literal(char),
}

impl DateFormat {
    /// Parses a pattern such as `dd.mm.yyyy`.
    ///
    /// # Errors
    /// [`FormatError::InvalidDateFormat`] when the pattern lacks a day, month or year.
    pub fn parse(pattern: &str) -> Result<Self, FormatError> {
        let mut chars = pattern.chars().peekable();
        let mut tokens = Vec::new();
        while let Some(c) = chars.next() {
            let mut run = 1;
            while chars.next_if_eq(&c).is_some() {
                run += 1;
            }
            let token = match (c.to_ascii_lowercase(), run) {
                ('d', 1 | 2) => Token::Day,
                ('m', 1 | 2) => Token::Month,
                ('y', 4) => Token::Year,
                ('d' | 'm' | 'y', _) => {
                    return Err(FormatError::InvalidDateFormat(pattern.to_owned()));
                }
                _ => {
                    tokens.extend(std::iter::repeat_n(Token::Literal(c), run));
                    continue;
                }
            };
            tokens.push(token);
        }
        for needed in [Token::Day, Token::Month, Token::Year] {
            if tokens.iter().filter(|&&t| t == needed).count() != 1 {
                return Err(FormatError::InvalidDateFormat(pattern.to_owned()));
            }
        }
        Ok(Self { tokens })
    }

    /// The date `value` denotes, if it matches the pattern exactly (days and months may have
    /// one or two digits).
    #[must_use]
    pub fn parse_date(&self, value: &str) -> Option<chrono::NaiveDate> {
        let (mut day, mut month, mut year) = (0, 0, 0);
        let bytes = value.as_bytes();
        let mut at = 0;
        for token in &self.tokens {
            match *token {
                Token::Literal(c) => {
                    let mut buf = [0; 4];
                    let lit = c.encode_utf8(&mut buf).as_bytes();
                    if !bytes.get(at..)?.starts_with(lit) {
                        return None;
                    }
                    at += lit.len();
                }
                Token::Day | Token::Month | Token::Year => {
                    let max = if *token == Token::Year { 4 } else { 2 };
                    let digits = bytes
                        .get(at..)?
                        .iter()
                        .take(max)
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                    if digits == 0 || (*token == Token::Year && digits != 4) {
                        return None;
                    }
                    let number: u32 = value.get(at..at + digits)?.parse().ok()?;
                    match token {
                        Token::Day => day = number,
                        Token::Month => month = number,
                        _ => year = number,
                    }
                    at += digits;
                }
            }
        }
        if at != bytes.len() {
            return None;
        }
        chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
    }
}

/// A bad command-line description of the source format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Not a WHATWG encoding label.
    #[error("unknown encoding {0:?} (use a label such as utf-8, windows-1250, iso-8859-2)")]
    UnknownEncoding(String),
    /// Not a single ASCII delimiter.
    #[error("invalid delimiter {0:?}: give one ASCII character other than '\"', or \\t")]
    InvalidDelimiter(String),
    /// A date pattern without exactly one day, month and year.
    #[error("invalid date format {0:?}: use d/dd, m/mm and yyyy, e.g. dd.mm.yyyy")]
    InvalidDateFormat(String),
}

/// Why a conversion or description failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The input is not valid in the declared encoding.
    #[error("{path}: byte offset {offset}: not valid {encoding}")]
    Encoding {
        /// The input file.
        path: PathBuf,
        /// Offset of the first malformed byte.
        offset: u64,
        /// The declared encoding.
        encoding: &'static str,
    },
    /// The input is not parseable CSV (e.g. a record with the wrong number of fields).
    #[error("{path}: record {record}: {message}")]
    Syntax {
        /// The input file.
        path: PathBuf,
        /// 1-based record number (header = 1).
        record: u64,
        /// What is wrong.
        message: String,
    },
    /// The header cannot become a schema (empty or duplicate titles).
    #[error("{path}: header: {source}")]
    Header {
        /// The input file.
        path: PathBuf,
        /// The schema problem.
        source: SchemaError,
    },
    /// Writing the standard CSV failed.
    #[error("{path}: {source}")]
    Write {
        /// The output file.
        path: PathBuf,
        /// The writer error.
        source: WriteError,
    },
}

/// The result of [`convert_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertOutcome {
    /// The inferred schema the output was written with.
    pub schema: TableSchema,
    /// Number of data rows written.
    pub rows: u64,
}

/// Infers a schema for `path` by scanning all its values (after normalisation by `format`):
/// ASCII names from the titles, the most specific datatype every value fits, and `required`
/// for columns without an empty value.
///
/// # Errors
/// [`ConvertError`] when the file cannot be read or parsed.
pub fn describe_file(path: &Path, format: &SourceFormat) -> Result<TableSchema, ConvertError> {
    let mut reader = open_source(path, format)?;
    let titles = read_titles(&mut reader, path)?;
    let mut inference: Vec<ColumnInference> =
        titles.iter().map(|_| ColumnInference::new()).collect();
    let mut record = csv::StringRecord::new();
    let mut number = 1;
    loop {
        number += 1;
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(path, number, e)),
        }
        for (column, value) in inference.iter_mut().zip(record.iter()) {
            column.observe(&format.normalize_value(value));
        }
    }
    build_schema(path, &titles, &inference)
}

/// Converts `input` (in `format`) into the standard CSV `output`, with the schema
/// [`describe_file`] infers. Values are trimmed, dates and decimal commas normalised; the
/// input is read twice (inference, then writing), so memory stays constant.
///
/// # Errors
/// [`ConvertError`] on unreadable or malformed input, or when the output cannot be written.
pub fn convert_file(
    input: &Path,
    output: &Path,
    format: &SourceFormat,
) -> Result<ConvertOutcome, ConvertError> {
    let schema = describe_file(input, format)?;
    let mut reader = open_source(input, format)?;
    read_titles(&mut reader, input)?;
    let file = File::create(output).map_err(|source| ConvertError::Io {
        path: output.to_owned(),
        source,
    })?;
    let write_error = |source| ConvertError::Write {
        path: output.to_owned(),
        source,
    };
    let mut writer = CsvWriter::new(BufWriter::new(file), &schema).map_err(write_error)?;
    let mut record = csv::StringRecord::new();
    let mut values: Vec<String> = Vec::new();
    let mut number = 1;
    loop {
        number += 1;
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(input, number, e)),
        }
        values.clear();
        values.extend(record.iter().map(|v| format.normalize_value(v)));
        let cells: Vec<Cell<'_>> = values.iter().map(|v| Cell::Text(v)).collect();
        writer.write_row(&cells).map_err(write_error)?;
    }
    let rows = writer.rows_written();
    let mut sink = writer.finish().map_err(write_error)?;
    io::Write::flush(&mut sink).map_err(|source| ConvertError::Io {
        path: output.to_owned(),
        source,
    })?;
    Ok(ConvertOutcome { schema, rows })
}

fn csv_error(path: &Path, record: u64, error: csv::Error) -> ConvertError {
    let record = error.position().map_or(record, |p| p.record() + 1);
    match error.into_kind() {
        csv::ErrorKind::Io(source) => {
            match source.get_ref().and_then(|e| e.downcast_ref::<Malformed>()) {
                Some(malformed) => ConvertError::Encoding {
                    path: path.to_owned(),
                    offset: malformed.offset,
                    encoding: malformed.encoding,
                },
                None => ConvertError::Io {
                    path: path.to_owned(),
                    source,
                },
            }
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => ConvertError::Syntax {
            path: path.to_owned(),
            record,
            message: format!("{len} fields, the header has {expected_len}"),
        },
        other => ConvertError::Syntax {
            path: path.to_owned(),
            record,
            message: format!("{other:?}"),
        },
    }
}

fn open_source(
    path: &Path,
    format: &SourceFormat,
) -> Result<csv::Reader<DecodingReader<File>>, ConvertError> {
    let file = File::open(path).map_err(|source| ConvertError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(csv::ReaderBuilder::new()
        .delimiter(format.delimiter)
        .has_headers(false)
        .flexible(false)
        .from_reader(DecodingReader::new(file, format.encoding)))
}

fn read_titles(
    reader: &mut csv::Reader<DecodingReader<File>>,
    path: &Path,
) -> Result<Vec<String>, ConvertError> {
    let mut header = csv::StringRecord::new();
    match reader.read_record(&mut header) {
        Ok(true) => Ok(header.iter().map(|t| t.trim().to_owned()).collect()),
        Ok(false) => Err(ConvertError::Syntax {
            path: path.to_owned(),
            record: 1,
            message: "the file is empty".to_owned(),
        }),
        Err(e) => Err(csv_error(path, 1, e)),
    }
}

fn build_schema(
    path: &Path,
    titles: &[String],
    inference: &[ColumnInference],
) -> Result<TableSchema, ConvertError> {
    let mut used = Vec::new();
    let mut builder = TableSchema::builder();
    for (title, column) in titles.iter().zip(inference) {
        let base = ascii_name(title);
        let mut name = base.clone();
        let mut n = 2;
        while used.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        used.push(name.clone());
        let mut col = Column::new(name, title.clone(), column.datatype());
        if column.seen > 0 && column.empty == 0 {
            col = col.required();
        }
        builder = builder.column(col);
    }
    builder.build().map_err(|source| ConvertError::Header {
        path: path.to_owned(),
        source,
    })
}

/// Candidate datatypes, most specific first.
const CANDIDATES: [Datatype; 7] = [
    Datatype::Boolean,
    Datatype::Integer,
    Datatype::Decimal,
    Datatype::Double,
    Datatype::Date,
    Datatype::DateTime,
    Datatype::Time,
];

#[derive(Debug, Clone)]
struct ColumnInference {
    possible: [bool; CANDIDATES.len()],
    seen: u64,
    empty: u64,
}

impl ColumnInference {
    fn new() -> Self {
        Self {
            possible: [true; CANDIDATES.len()],
            seen: 0,
            empty: 0,
        }
    }

    fn observe(&mut self, value: &str) {
        self.seen += 1;
        if value.is_empty() {
            self.empty += 1;
            return;
        }
        for (possible, datatype) in self.possible.iter_mut().zip(CANDIDATES) {
            if *possible {
                *possible = match datatype {
                    // 0/1 columns are numbers more often than flags.
                    Datatype::Boolean => matches!(value, "true" | "false"),
                    _ => is_valid_lexical(datatype, value),
                };
            }
        }
    }

    fn datatype(&self) -> Datatype {
        if self.seen == self.empty {
            return Datatype::String;
        }
        CANDIDATES
            .iter()
            .zip(self.possible)
            .find_map(|(d, p)| p.then_some(*d))
            .unwrap_or(Datatype::String)
    }
}

/// An ASCII column name from a Czech title: diacritics removed, lowercase, other characters
/// as `_` (`Datum zápisu` → `datum_zapisu`).
#[must_use]
pub fn ascii_name(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for c in title.chars().flat_map(char::to_lowercase) {
        let mapped = match c {
            'á' | 'ä' | 'à' | 'â' => 'a',
            'č' | 'ç' | 'ć' => 'c',
            'ď' => 'd',
            'é' | 'ě' | 'ë' | 'è' | 'ê' => 'e',
            'í' | 'ï' | 'î' => 'i',
            'ľ' | 'ĺ' | 'ł' => 'l',
            'ň' | 'ń' => 'n',
            'ó' | 'ö' | 'ô' | 'ő' => 'o',
            'ř' | 'ŕ' => 'r',
            'š' | 'ś' => 's',
            'ť' => 't',
            'ú' | 'ů' | 'ü' | 'ű' => 'u',
            'ý' => 'y',
            'ž' | 'ź' | 'ż' => 'z',
            c if c.is_ascii_alphanumeric() => c,
            _ => '_',
        };
        if mapped == '_' && (out.is_empty() || out.ends_with('_')) {
            continue;
        }
        out.push(mapped);
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "sloupec_");
        if out.ends_with('_') {
            out.pop();
        }
    }
    out
}

/// Marker error carried inside `io::Error` for malformed input bytes.
#[derive(Debug)]
struct Malformed {
    offset: u64,
    encoding: &'static str,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "byte offset {}: not valid {}",
            self.offset, self.encoding
        )
    }
}

impl std::error::Error for Malformed {}

/// Decodes any encoding to UTF-8 on the fly (constant memory), removing a BOM and failing on
/// malformed bytes instead of replacing them.
struct DecodingReader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    encoding: &'static Encoding,
    raw: Vec<u8>,
    raw_start: usize,
    raw_end: usize,
    /// Decoded bytes a caller's buffer shorter than a character had no room for; they come
    /// first in the next read.
    pending: std::collections::VecDeque<u8>,
    eof: bool,
    /// The decoder saw the end of input; it must not be called again.
    finished: bool,
    consumed: u64,
}

impl<R: Read> DecodingReader<R> {
    fn new(inner: R, encoding: &'static Encoding) -> Self {
        Self {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            encoding,
            raw: vec![0; 64 * 1024],
            raw_start: 0,
            raw_end: 0,
            pending: std::collections::VecDeque::new(),
            eof: false,
            finished: false,
            consumed: 0,
        }
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        // The decoder needs room for at least one full character: a shorter buffer gets the
        // bytes of one decoded character, the rest waits in `pending`.
        if self.pending.is_empty() && out.len() < 4 {
            let mut character = [0u8; 4];
            let n = self.read(&mut character)?;
            self.pending.extend(character.iter().take(n));
        }
        if !self.pending.is_empty() {
            let n = out.len().min(self.pending.len());
            for (slot, byte) in out.iter_mut().zip(self.pending.drain(..n)) {
                *slot = byte;
            }
            return Ok(n);
        }
        loop {
            if self.finished {
                return Ok(0);
            }
            if self.raw_start == self.raw_end && !self.eof {
                self.raw_start = 0;
                self.raw_end = loop {
                    match self.inner.read(&mut self.raw) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                };
                self.eof = self.raw_end == 0;
            }
            let src = self.raw.get(self.raw_start..self.raw_end).ok_or_else(|| {
                io::Error::other(format!(
                    "the reader reported {} bytes read into a buffer of {}",
                    self.raw_end,
                    self.raw.len()
                ))
            })?;
            let (result, read, written) = self
                .decoder
                .decode_to_utf8_without_replacement(src, out, self.eof);
            self.raw_start += read;
            self.consumed += read as u64;
            if let DecoderResult::Malformed(bad, extra) = result {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    Malformed {
                        offset: self.consumed - u64::from(bad) - u64::from(extra),
                        encoding: self.encoding.name(),
                    },
                ));
            }
            if self.eof && result == DecoderResult::InputEmpty {
                self.finished = true;
            }
            if written > 0 || self.finished {
                return Ok(written);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_patterns() {
        let f = DateFormat::parse("dd.mm.yyyy").unwrap();
        assert_eq!(
            f.parse_date("26.07.2017"),
            chrono::NaiveDate::from_ymd_opt(2017, 7, 26)
        );
        assert_eq!(
            f.parse_date("1.7.2017"),
            chrono::NaiveDate::from_ymd_opt(2017, 7, 1)
        );
        assert_eq!(f.parse_date("31.02.2017"), None);
        assert_eq!(f.parse_date("26.07.2017x"), None);
        assert_eq!(f.parse_date("26-07-2017"), None);
        assert!(DateFormat::parse("dd.mm").is_err());
        assert!(DateFormat::parse("ddd.mm.yyyy").is_err());
    }

    #[test]
    fn names_from_titles() {
        assert_eq!(
            ascii_name("Datum zápisu a zveřejnění na Seznamu"),
            "datum_zapisu_a_zverejneni_na_seznamu"
        );
        assert_eq!(
            ascii_name("Identifikátor aplikace; umístění aplikace"),
            "identifikator_aplikace_umisteni_aplikace"
        );
        assert_eq!(ascii_name("URL"), "url");
        assert_eq!(ascii_name("§"), "sloupec");
        assert_eq!(ascii_name("1. sloupec"), "sloupec_1_sloupec");
    }

    #[test]
    fn decoding_reader_reports_malformed_bytes() {
        let mut out = String::new();
        let err = DecodingReader::new(&b"ok\xff"[..], encoding_rs::UTF_8)
            .read_to_string(&mut out)
            .unwrap_err();
        assert!(err.to_string().contains("byte offset 2"), "{err}");
        let mut out = String::new();
        DecodingReader::new(&b"\xe8\xed\xf8"[..], encoding_rs::WINDOWS_1250)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "čí\u{159}");
    }

    /// A buffer shorter than a decoded character gets its bytes over several reads: none is
    /// dropped (they were, before the bytes that did not fit waited in `pending`).
    #[test]
    fn decoding_reader_fills_buffers_shorter_than_a_character() {
        // "žluťoučký kůň" in windows-1250: ž, ť, č, ý, ů and ň are two bytes in UTF-8.
        let source = b"\x9elu\x9dou\xe8k\xfd k\xf9\xf2";
        for size in 1..=3 {
            let mut reader = DecodingReader::new(&source[..], encoding_rs::WINDOWS_1250);
            let mut decoded = Vec::new();
            let mut buf = vec![0; size];
            loop {
                let n = reader.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                decoded.extend_from_slice(&buf[..n]);
            }
            assert_eq!(
                String::from_utf8(decoded).unwrap(),
                "žluťoučký kůň",
                "buffer of {size}"
            );
        }
    }
}
