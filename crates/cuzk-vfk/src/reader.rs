//! Streaming reader of VFK files (ČÚZK "Výměnný formát ISKN v textovém tvaru").
//!
//! A VFK file is a sequence of records, one per line:
//!
//! * `&H<KEY>;value;…` header entries (version, code page, data groups, validity …).
//!   The header may also hold column definitions (`&HPAR;ID N30;…`), which act
//!   exactly like an `&B` record.
//! * `&B<BLOCK>;COLUMN TYPE;…` block (table) definitions.
//! * `&D<BLOCK>;v1;v2;…` data rows of the most recently defined block of that name.
//! * `&K` the end of the data; nothing after it is read.
//!
//! A record whose line ends in `¤` continues on the next line (the marker is
//! removed and the lines are joined, as GDAL's VFK driver does). The character
//! set is named by `&HCODEPAGE` (`WE8ISO8859P2`, `EE8MSWIN1250` or `UTF-8`);
//! header lines seen before it are buffered and decoded once it is known.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{self, BufRead};
use std::sync::Arc;

use encoding_rs::{Encoding, ISO_8859_2, UTF_8, WINDOWS_1250};

/// Default upper bound of one logical record (after joining continuation lines).
pub const DEFAULT_MAX_RECORD_BYTES: usize = 64 * 1024 * 1024;

/// Header records buffered at most while the code page is still unknown.
const MAX_PENDING_HEADER_RECORDS: usize = 4096;

/// Header keys that always carry values, never column definitions.
const HEADER_VALUE_KEYS: &[&str] = &[
    "VERZE",
    "INFO",
    "VYTVORENO",
    "PUVOD",
    "CODEPAGE",
    "SKUPINA",
    "JMENO",
    "PLATNOST",
    "ZMENY",
    "NAVRHY",
    "POLYG",
    "OSOBDATA",
    "KATUZE_VYBER",
    "VYBER",
];

/// Error while reading VFK data.
#[derive(Debug, thiserror::Error)]
pub enum VfkError {
    /// The underlying reader failed.
    #[error("I/O error while reading VFK data: {0}")]
    Io(#[from] io::Error),
    /// The data break the VFK syntax.
    #[error(transparent)]
    Syntax(#[from] SyntaxError),
}

/// A syntax problem at a given line of a VFK file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct SyntaxError {
    line: u64,
    kind: SyntaxErrorKind,
}

impl SyntaxError {
    pub(crate) fn new(line: u64, kind: SyntaxErrorKind) -> Self {
        Self { line, kind }
    }

    /// The 1-based physical line where the offending record starts.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// What is wrong.
    pub fn kind(&self) -> &SyntaxErrorKind {
        &self.kind
    }
}

/// The kinds of VFK syntax errors.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyntaxErrorKind {
    /// A non-empty line that does not start with `&`.
    NotARecord,
    /// `&` followed by a letter other than `H`, `B`, `D` or `K`.
    UnknownRecordType(char),
    /// `&H`, `&B` or `&D` without a name.
    MissingName,
    /// A block or header name containing characters other than `A–Z`, `0–9`, `_`.
    InvalidName(String),
    /// `&D` for a block that no `&B`/`&H` record defined.
    UndefinedBlock(String),
    /// A data row whose number of values differs from its block definition.
    FieldCount {
        /// Block name.
        block: String,
        /// Columns in the block definition.
        expected: usize,
        /// Values found in the row.
        found: usize,
    },
    /// A quoted text that is not closed before the end of the record.
    UnterminatedQuote,
    /// Characters after a closing quote other than `;`.
    TextAfterQuote,
    /// A value of a numeric (`N`) column that is not a number.
    InvalidNumber {
        /// Column name.
        column: String,
        /// The value found.
        value: String,
    },
    /// A column definition that is not `NAME TYPE` with TYPE `N<len>[.<dec>]`, `T<len>` or `D`.
    InvalidColumnDefinition(String),
    /// A block definition without columns.
    EmptyBlockDefinition(String),
    /// `&HCODEPAGE` names a character set this reader does not know.
    UnsupportedCodePage(String),
    /// Bytes that are not valid in the declared character set.
    InvalidEncoding(&'static str),
    /// The file ends inside a `¤` continuation.
    ContinuationAtEndOfFile,
    /// A logical record longer than the configured limit.
    RecordTooLong(usize),
    /// The file ends without the `&K` end record (it is probably truncated).
    MissingEnd,
    /// A value that the MJ count cannot interpret.
    InvalidValue {
        /// Column name.
        column: String,
        /// The value found.
        found: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A known header entry holds a value of the wrong form.
    InvalidHeaderValue {
        /// Header key, e.g. `ZMENY`.
        key: String,
        /// The values found.
        found: Vec<String>,
        /// What was expected.
        expected: &'static str,
    },
}

impl fmt::Display for SyntaxErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotARecord => f.write_str("line does not start with '&' (not a VFK record)"),
            Self::UnknownRecordType(c) => {
                write!(f, "unknown record type '&{c}' (expected &H, &B, &D or &K)")
            }
            Self::MissingName => f.write_str("record has no block or header name"),
            Self::InvalidName(n) => write!(f, "invalid block or header name {n:?}"),
            Self::UndefinedBlock(b) => {
                write!(f, "data row for block {b} that has no &B definition")
            }
            Self::FieldCount {
                block,
                expected,
                found,
            } => write!(
                f,
                "data row of block {block} has {found} values but its definition has {expected} columns"
            ),
            Self::UnterminatedQuote => f.write_str("quoted text is not closed"),
            Self::TextAfterQuote => f.write_str("text after a closing quote (expected ';')"),
            Self::InvalidNumber { column, value } => {
                write!(f, "column {column} is numeric but holds {value:?}")
            }
            Self::InvalidColumnDefinition(d) => write!(
                f,
                "invalid column definition {d:?} (expected NAME N<len>[.<dec>], NAME T<len> or NAME D)"
            ),
            Self::EmptyBlockDefinition(b) => write!(f, "block definition {b} has no columns"),
            Self::UnsupportedCodePage(c) => write!(
                f,
                "unsupported code page {c:?} (expected WE8ISO8859P2, EE8MSWIN1250 or UTF-8)"
            ),
            Self::InvalidEncoding(e) => write!(f, "bytes are not valid {e}"),
            Self::ContinuationAtEndOfFile => {
                f.write_str("file ends inside a continued record (line ends with '¤')")
            }
            Self::RecordTooLong(n) => write!(f, "record longer than the limit of {n} bytes"),
            Self::MissingEnd => f.write_str("file ends without the &K end record (truncated?)"),
            Self::InvalidValue {
                column,
                found,
                expected,
            } => {
                write!(f, "column {column} holds {found:?}, expected {expected}")
            }
            Self::InvalidHeaderValue {
                key,
                found,
                expected,
            } => {
                write!(f, "&H{key} holds {found:?}, expected {expected}")
            }
        }
    }
}

fn syntax(line: u64, kind: SyntaxErrorKind) -> VfkError {
    VfkError::Syntax(SyntaxError { line, kind })
}

/// The type of a VFK column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ColumnType {
    /// `N<len>` or `N<len>.<decimals>`: a number.
    Number {
        /// Total number of digits.
        len: u16,
        /// Digits after the decimal point.
        decimals: u16,
    },
    /// `T<len>`: a text of at most `len` characters.
    Text {
        /// Maximum length.
        len: u16,
    },
    /// `D`: a date and time `"dd.mm.yyyy hh:mm:ss"`.
    Date,
}

/// One column of a block definition.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Column {
    /// Column name, e.g. `KATUZE_KOD`.
    pub name: String,
    /// Column type.
    pub ty: ColumnType,
}

/// A block (table) definition from a `&B` record or a column-defining `&H` record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BlockDef {
    /// Block name, e.g. `PAR`.
    pub name: String,
    /// Columns in order.
    pub columns: Vec<Column>,
    /// Whether the definition came from the header (`&H`) rather than `&B`.
    pub in_header: bool,
}

impl BlockDef {
    /// Index of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// A field value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Value {
    /// Nothing between two semicolons.
    Null,
    /// A quoted text, unescaped (`""` → `"`). Dates are texts too.
    Text(String),
    /// An unquoted token (a number in data rows), kept verbatim to stay exact.
    Number(String),
}

impl Value {
    /// The text or number as a string; `None` for [`Value::Null`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Null => None,
            Self::Text(s) | Self::Number(s) => Some(s),
        }
    }

    /// The value as an integer, if it is one (quoted or not).
    pub fn as_i64(&self) -> Option<i64> {
        self.as_str().and_then(|s| s.trim().parse().ok())
    }

    /// Whether the value is null or an empty text.
    pub fn is_empty(&self) -> bool {
        self.as_str().is_none_or(str::is_empty)
    }
}

/// A `&H` header entry that carries values (not column definitions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderEntry {
    /// Key after `&H`, e.g. `VERZE`.
    pub key: String,
    /// Values in order.
    pub values: Vec<Value>,
    /// Line where the record starts.
    pub line: u64,
}

/// A `&D` data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRow {
    /// The block definition the row belongs to.
    pub block: Arc<BlockDef>,
    /// Values, one per column of the block.
    pub values: Vec<Value>,
    /// Line where the record starts.
    pub line: u64,
}

impl DataRow {
    /// The value of a column by name.
    pub fn get(&self, column: &str) -> Option<&Value> {
        self.block
            .column_index(column)
            .and_then(|i| self.values.get(i))
    }
}

/// One logical VFK record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A `&H` entry with values.
    Header(HeaderEntry),
    /// A block definition (`&B`, or `&H` with column definitions).
    BlockDef(Arc<BlockDef>),
    /// A `&D` row.
    Data(DataRow),
    /// The `&K` end record.
    End {
        /// Line of the record.
        line: u64,
    },
}

/// The character sets VFK files use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum CodePage {
    /// ISO-8859-2 (`WE8ISO8859P2`, also `EE8ISO8859P2`): VFK up to 5.x.
    Iso8859_2,
    /// Windows-1250 (`EE8MSWIN1250`): old exports.
    Windows1250,
    /// UTF-8: VFK 6.0 and later.
    Utf8,
}

impl CodePage {
    /// Maps a `&HCODEPAGE` value (Oracle or IANA names) to a code page.
    pub fn from_header_value(value: &str) -> Option<Self> {
        let v = value.trim().to_ascii_uppercase().replace(['-', '_'], "");
        match v.as_str() {
            "WE8ISO8859P2" | "EE8ISO8859P2" | "ISO88592" | "LATIN2" => Some(Self::Iso8859_2),
            "EE8MSWIN1250" | "WINDOWS1250" | "CP1250" | "WIN1250" => Some(Self::Windows1250),
            "UTF8" | "AL32UTF8" => Some(Self::Utf8),
            _ => None,
        }
    }

    fn encoding(self) -> &'static Encoding {
        match self {
            Self::Iso8859_2 => ISO_8859_2,
            Self::Windows1250 => WINDOWS_1250,
            Self::Utf8 => UTF_8,
        }
    }
}

/// Streaming VFK reader over any [`BufRead`]; see the [module docs](self).
///
/// Memory use is bounded by the largest record and the block definitions;
/// rows are not kept.
pub struct VfkReader<R> {
    input: R,
    line: u64,
    code_page: Option<CodePage>,
    /// Raw header records read before `&HCODEPAGE` was seen.
    pending: VecDeque<(u64, Vec<u8>)>,
    blocks: HashMap<String, Arc<BlockDef>>,
    finished: bool,
    require_end: bool,
    max_record_bytes: usize,
    version_hint: Option<String>,
    utf8_bom: bool,
}

impl<R: fmt::Debug> fmt::Debug for VfkReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VfkReader")
            .field("line", &self.line)
            .field("code_page", &self.code_page)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl<R: BufRead> VfkReader<R> {
    /// A reader that requires the `&K` end record and limits records to
    /// [`DEFAULT_MAX_RECORD_BYTES`].
    pub fn new(input: R) -> Self {
        Self {
            input,
            line: 0,
            code_page: None,
            pending: VecDeque::new(),
            blocks: HashMap::new(),
            finished: false,
            require_end: true,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            version_hint: None,
            utf8_bom: false,
        }
    }

    /// Whether a file without `&K` is an error (default `true`: such a file is
    /// usually truncated, and counting a truncated file would under-bill).
    pub fn require_end(mut self, require: bool) -> Self {
        self.require_end = require;
        self
    }

    /// Largest accepted logical record in bytes.
    pub fn max_record_bytes(mut self, limit: usize) -> Self {
        self.max_record_bytes = limit;
        self
    }

    /// The code page in use, once known.
    pub fn code_page(&self) -> Option<CodePage> {
        self.code_page
    }

    /// Reads the next record; `Ok(None)` after `&K` (or at the end of input
    /// when `&K` is not required).
    pub fn next_record(&mut self) -> Result<Option<Record>, VfkError> {
        if self.finished && self.pending.is_empty() {
            return Ok(None);
        }
        if self.code_page.is_none() {
            self.fill_pending_until_code_page()?;
        }
        if let Some((line, raw)) = self.pending.pop_front() {
            return self.decode_and_parse(line, &raw).map(Some);
        }
        if self.finished {
            return Ok(None);
        }
        match self.read_raw_record()? {
            Some((line, raw)) => self.decode_and_parse(line, &raw).map(Some),
            None => {
                self.finished = true;
                if self.require_end {
                    Err(syntax(self.line, SyntaxErrorKind::MissingEnd))
                } else {
                    Ok(None)
                }
            }
        }
    }

    /// Buffers header records until the code page is known (from `&HCODEPAGE`,
    /// or by default at the first non-header record).
    fn fill_pending_until_code_page(&mut self) -> Result<(), VfkError> {
        while self.code_page.is_none() {
            let Some((line, raw)) = self.read_raw_record()? else {
                self.code_page = Some(self.default_code_page());
                break;
            };
            let is_header = raw.starts_with(b"&H");
            if let Some(value) = raw.strip_prefix(b"&HCODEPAGE;") {
                // Code page names are ASCII, so the bytes can be read directly.
                let text = String::from_utf8_lossy(value);
                let name = text.trim().trim_matches('"');
                match CodePage::from_header_value(name) {
                    Some(cp) => self.code_page = Some(cp),
                    None => {
                        return Err(syntax(
                            line,
                            SyntaxErrorKind::UnsupportedCodePage(name.to_owned()),
                        ));
                    }
                }
            } else if let Some(value) = raw.strip_prefix(b"&HVERZE;") {
                let text = String::from_utf8_lossy(value);
                self.version_hint = Some(text.trim().trim_matches('"').to_owned());
            }
            self.pending.push_back((line, raw));
            if !is_header || self.pending.len() >= MAX_PENDING_HEADER_RECORDS {
                if self.code_page.is_none() {
                    self.code_page = Some(self.default_code_page());
                }
                break;
            }
        }
        Ok(())
    }

    /// Without `&HCODEPAGE`: UTF-8 for version 6 and later (ČÚZK made 6.0 UTF-8
    /// only), ISO-8859-2 otherwise (the code page of every earlier ISKN export).
    fn default_code_page(&self) -> CodePage {
        if self.utf8_bom {
            return CodePage::Utf8;
        }
        let major = self
            .version_hint
            .as_deref()
            .and_then(|v| v.split('.').next())
            .and_then(|m| m.trim().parse::<u32>().ok());
        match major {
            Some(m) if m >= 6 => CodePage::Utf8,
            _ => CodePage::Iso8859_2,
        }
    }

    /// Reads one physical line without its terminator; `None` at end of input.
    fn read_physical_line(&mut self, buf: &mut Vec<u8>) -> Result<bool, VfkError> {
        let start = buf.len();
        let limit = self.max_record_bytes;
        loop {
            let available = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if available.is_empty() {
                if buf.len() == start {
                    return Ok(false);
                }
                break;
            }
            let (take, done) = match memchr_newline(available) {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            if buf.len() + take > limit.saturating_add(2) {
                return Err(syntax(self.line + 1, SyntaxErrorKind::RecordTooLong(limit)));
            }
            #[expect(
                clippy::indexing_slicing,
                reason = "take is at most available.len(): a newline's index + 1, or the length"
            )]
            buf.extend_from_slice(&available[..take]);
            self.input.consume(take);
            if done {
                break;
            }
        }
        self.line += 1;
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        if buf.len() > start && buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(true)
    }

    /// Reads one logical record (joining `¤` continuations), skipping empty lines.
    fn read_raw_record(&mut self) -> Result<Option<(u64, Vec<u8>)>, VfkError> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if !self.read_physical_line(&mut buf)? {
                return Ok(None);
            }
            if self.line == 1 && buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
                // A UTF-8 byte order mark: the file is UTF-8 whatever the version says.
                self.utf8_bom = true;
                buf.drain(..3);
            }
            if !buf.iter().all(u8::is_ascii_whitespace) {
                break;
            }
        }
        let first_line = self.line;
        while let Some(marker_len) = self.continuation_marker_len(&buf) {
            buf.truncate(buf.len() - marker_len);
            if !self.read_physical_line(&mut buf)? {
                return Err(syntax(first_line, SyntaxErrorKind::ContinuationAtEndOfFile));
            }
            if buf.len() > self.max_record_bytes {
                return Err(syntax(
                    first_line,
                    SyntaxErrorKind::RecordTooLong(self.max_record_bytes),
                ));
            }
        }
        if buf.first() == Some(&b'&') && buf.get(1) == Some(&b'K') {
            self.finished = true;
        }
        Ok(Some((first_line, buf)))
    }

    /// Length of the `¤` marker at the end of `buf`, if any: U+00A4 is the
    /// single byte 0xA4 in ISO-8859-2 and Windows-1250 and `C2 A4` in UTF-8.
    fn continuation_marker_len(&self, buf: &[u8]) -> Option<usize> {
        match self.code_page {
            Some(CodePage::Utf8) => buf.ends_with(&[0xC2, 0xA4]).then_some(2),
            Some(_) => buf.ends_with(&[0xA4]).then_some(1),
            None if buf.ends_with(&[0xC2, 0xA4]) && std::str::from_utf8(buf).is_ok() => Some(2),
            None => buf.ends_with(&[0xA4]).then_some(1),
        }
    }

    fn decode_and_parse(&mut self, line: u64, raw: &[u8]) -> Result<Record, VfkError> {
        let code_page = self.code_page.unwrap_or(CodePage::Iso8859_2);
        let text = code_page
            .encoding()
            .decode_without_bom_handling_and_without_replacement(raw)
            .ok_or_else(|| {
                syntax(
                    line,
                    SyntaxErrorKind::InvalidEncoding(code_page.encoding().name()),
                )
            })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        self.parse_record(line, text)
    }

    fn parse_record(&mut self, line: u64, text: &str) -> Result<Record, VfkError> {
        let rest = text
            .strip_prefix('&')
            .ok_or_else(|| syntax(line, SyntaxErrorKind::NotARecord))?;
        let mut chars = rest.chars();
        let kind = chars
            .next()
            .ok_or_else(|| syntax(line, SyntaxErrorKind::NotARecord))?;
        let body = chars.as_str();
        if kind == 'K' {
            self.finished = true;
            return Ok(Record::End { line });
        }
        if !matches!(kind, 'H' | 'B' | 'D') {
            return Err(syntax(line, SyntaxErrorKind::UnknownRecordType(kind)));
        }
        let (name, fields) = match body.split_once(';') {
            Some((n, f)) => (n.trim_end(), Some(f)),
            None => (body.trim_end(), None),
        };
        if name.is_empty() {
            return Err(syntax(line, SyntaxErrorKind::MissingName));
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(syntax(line, SyntaxErrorKind::InvalidName(name.to_owned())));
        }
        match kind {
            'B' => {
                let def = parse_block_def(line, name, fields.unwrap_or(""), false)?;
                Ok(Record::BlockDef(self.define(def)))
            }
            'H' => {
                let fields = fields.unwrap_or("");
                if !HEADER_VALUE_KEYS.contains(&name)
                    && !fields.is_empty()
                    && fields.split(';').all(|f| parse_column(f).is_some())
                {
                    let def = parse_block_def(line, name, fields, true)?;
                    return Ok(Record::BlockDef(self.define(def)));
                }
                let values = match fields_opt(fields) {
                    Some(f) => parse_values(line, f)?,
                    None => Vec::new(),
                };
                Ok(Record::Header(HeaderEntry {
                    key: name.to_owned(),
                    values,
                    line,
                }))
            }
            _ => {
                let block = self.blocks.get(name).cloned().ok_or_else(|| {
                    syntax(line, SyntaxErrorKind::UndefinedBlock(name.to_owned()))
                })?;
                let values = match fields {
                    Some(f) => parse_values(line, f)?,
                    None => Vec::new(),
                };
                if values.len() != block.columns.len() {
                    return Err(syntax(
                        line,
                        SyntaxErrorKind::FieldCount {
                            block: block.name.clone(),
                            expected: block.columns.len(),
                            found: values.len(),
                        },
                    ));
                }
                for (value, column) in values.iter().zip(&block.columns) {
                    if let (Value::Number(v), ColumnType::Number { .. }) = (value, column.ty)
                        && !is_number(v)
                    {
                        return Err(syntax(
                            line,
                            SyntaxErrorKind::InvalidNumber {
                                column: column.name.clone(),
                                value: v.clone(),
                            },
                        ));
                    }
                }
                Ok(Record::Data(DataRow {
                    block,
                    values,
                    line,
                }))
            }
        }
    }

    fn define(&mut self, def: BlockDef) -> Arc<BlockDef> {
        let def = Arc::new(def);
        self.blocks.insert(def.name.clone(), Arc::clone(&def));
        def
    }
}

impl<R: BufRead> Iterator for VfkReader<R> {
    type Item = Result<Record, VfkError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_record() {
            Ok(Some(r)) => Some(Ok(r)),
            Ok(None) => None,
            Err(e) => {
                // Stop after the first error: the stream position is no longer meaningful.
                self.finished = true;
                self.pending.clear();
                Some(Err(e))
            }
        }
    }
}

fn fields_opt(fields: &str) -> Option<&str> {
    (!fields.is_empty()).then_some(fields)
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

fn is_number(s: &str) -> bool {
    let s = s.trim();
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let int_ok = int.bytes().all(|b| b.is_ascii_digit());
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    int_ok && frac_ok && !(int.is_empty() && frac.is_none())
}

/// Parses `NAME TYPE`; `None` when it is not a column definition.
fn parse_column(def: &str) -> Option<Column> {
    let (name, ty) = def.trim().split_once(' ')?;
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        return None;
    }
    let ty = ty.trim();
    let ty = if ty == "D" {
        ColumnType::Date
    } else if let Some(len) = ty.strip_prefix('T') {
        ColumnType::Text {
            len: len.parse().ok()?,
        }
    } else if let Some(spec) = ty.strip_prefix('N') {
        let (len, decimals) = match spec.split_once('.') {
            Some((l, d)) => (l.parse().ok()?, d.parse().ok()?),
            None => (spec.parse().ok()?, 0),
        };
        ColumnType::Number { len, decimals }
    } else {
        return None;
    };
    Some(Column {
        name: name.to_owned(),
        ty,
    })
}

fn parse_block_def(
    line: u64,
    name: &str,
    fields: &str,
    in_header: bool,
) -> Result<BlockDef, VfkError> {
    if fields.trim().is_empty() {
        return Err(syntax(
            line,
            SyntaxErrorKind::EmptyBlockDefinition(name.to_owned()),
        ));
    }
    let columns = fields
        .split(';')
        .map(|f| {
            parse_column(f)
                .ok_or_else(|| syntax(line, SyntaxErrorKind::InvalidColumnDefinition(f.to_owned())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(BlockDef {
        name: name.to_owned(),
        columns,
        in_header,
    })
}

/// Splits `v1;v2;…` into values, honouring quotes (`""` is an escaped quote).
fn parse_values(line: u64, fields: &str) -> Result<Vec<Value>, VfkError> {
    let mut values = Vec::new();
    let mut rest = fields;
    loop {
        if let Some(after_quote) = rest.strip_prefix('"') {
            let mut text = String::new();
            let mut chars = after_quote.char_indices();
            let remainder = loop {
                match chars.next() {
                    None => return Err(syntax(line, SyntaxErrorKind::UnterminatedQuote)),
                    Some((i, '"')) => {
                        if after_quote[i + 1..].starts_with('"') {
                            text.push('"');
                            chars.next();
                        } else {
                            break &after_quote[i + 1..];
                        }
                    }
                    Some((_, c)) => text.push(c),
                }
            };
            values.push(Value::Text(text));
            match remainder.strip_prefix(';') {
                Some(r) => rest = r,
                None if remainder.trim().is_empty() => return Ok(values),
                None => return Err(syntax(line, SyntaxErrorKind::TextAfterQuote)),
            }
        } else {
            let (token, next) = match rest.split_once(';') {
                Some((t, n)) => (t, Some(n)),
                None => (rest, None),
            };
            let token = token.trim();
            values.push(if token.is_empty() {
                Value::Null
            } else {
                Value::Number(token.to_owned())
            });
            match next {
                Some(n) => rest = n,
                None => return Ok(values),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &[u8]) -> Result<Vec<Record>, VfkError> {
        VfkReader::new(input).collect()
    }

    #[test]
    fn quoted_values_with_semicolons_and_doubled_quotes() {
        let v = parse_values(1, r#""a;b";"say ""hi""";;12.5;"""#).unwrap();
        assert_eq!(
            v,
            vec![
                Value::Text("a;b".into()),
                Value::Text("say \"hi\"".into()),
                Value::Null,
                Value::Number("12.5".into()),
                Value::Text(String::new()),
            ]
        );
    }

    #[test]
    fn trailing_empty_field_is_null() {
        assert_eq!(
            parse_values(1, "1;").unwrap(),
            vec![Value::Number("1".into()), Value::Null]
        );
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        let err = parse_values(7, r#"1;"abc"#).unwrap_err();
        assert!(err.to_string().contains("line 7"), "{err}");
    }

    #[test]
    fn continuation_in_iso_8859_2() {
        let mut input = b"&HCODEPAGE;\"WE8ISO8859P2\"\n&BX;A T10;B N2\n&DX;\"J\xe1\xa4\n".to_vec();
        input.extend_from_slice(b"ma\";5\n&K\n");
        let recs = records(&input).unwrap();
        let Record::Data(row) = &recs[2] else {
            panic!("{recs:?}")
        };
        assert_eq!(row.values[0], Value::Text("Jáma".into()));
        assert_eq!(row.line, 3);
    }

    #[test]
    fn continuation_in_utf8() {
        let input = "&HCODEPAGE;\"UTF-8\"\n&BX;A T10\n&DX;\"Jam¤\na\"\n&K\n";
        let recs = records(input.as_bytes()).unwrap();
        let Record::Data(row) = &recs[2] else {
            panic!("{recs:?}")
        };
        assert_eq!(row.values[0], Value::Text("Jama".into()));
    }

    #[test]
    fn header_before_code_page_is_decoded_with_it() {
        let input = b"&HINFO;\"TESTOVAC\xcd\"\r\n&HCODEPAGE;\"EE8MSWIN1250\"\r\n&K\r\n";
        let recs = records(input).unwrap();
        let Record::Header(h) = &recs[0] else {
            panic!()
        };
        assert_eq!(h.values[0], Value::Text("TESTOVACÍ".into()));
    }

    #[test]
    fn errors_name_the_line() {
        let err = records(b"&HVERZE;\"5.4\"\n&DPAR;1\n&K\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: data row for block PAR that has no &B definition"
        );
        let err = records(b"&BX;A N3\n&DX;abc\n&K\n").unwrap_err();
        assert!(err.to_string().contains("column A is numeric"), "{err}");
        let err = records(b"&BX;A N3\n&DX;1;2\n&K\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("has 2 values but its definition has 1"),
            "{err}"
        );
        let err = records(b"&BX;A N3\n&DX;1\n").unwrap_err();
        assert!(matches!(err, VfkError::Syntax(ref s) if s.kind() == &SyntaxErrorKind::MissingEnd));
        let err = records(b"&HCODEPAGE;\"EBCDIC\"\n&K\n").unwrap_err();
        assert!(err.to_string().contains("unsupported code page"), "{err}");
        let err = records(b"&HCODEPAGE;\"UTF-8\"\n&HINFO;\"\xff\"\n&K\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("line 2: bytes are not valid UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn utf8_byte_order_mark() {
        let recs = records("\u{feff}&HINFO;\"Jáma\"\n&K\n".as_bytes()).unwrap();
        let Record::Header(h) = &recs[0] else {
            panic!()
        };
        assert_eq!(h.values[0], Value::Text("Jáma".into()));
    }

    #[test]
    fn numbers() {
        for ok in ["0", "-1", "12.50", "007"] {
            assert!(is_number(ok), "{ok}");
        }
        for bad in ["", "-", "1.", ".", "1e3", "1,5", "abc"] {
            assert!(!is_number(bad), "{bad}");
        }
    }

    #[test]
    fn header_column_definitions_define_blocks() {
        let recs = records(b"&HKATUZE;KOD N6;NAZEV T48\n&DKATUZE;693936;\"J\"\n&K\n").unwrap();
        assert!(matches!(&recs[0], Record::BlockDef(d) if d.in_header && d.columns.len() == 2));
        assert!(matches!(&recs[1], Record::Data(_)));
    }
}
