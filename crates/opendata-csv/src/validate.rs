//! Streaming validator: reports every deviation from the Czech open-data CSV standard with
//! its record and field number. Works on third-party files in constant memory.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io::{self, Read};

use serde::Serialize;

use crate::Datatype;
use crate::descriptor::ExpectedTable;
use crate::lexical::is_valid_lexical_bytes;
use crate::writer::{has_padding, has_padding_bytes};

/// A class of violation. The `code` (kebab-case) is stable and used in JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ViolationKind {
    /// The file starts with a UTF-8 byte order mark.
    Bom,
    /// A field is not valid UTF-8 (typically windows-1250).
    InvalidUtf8,
    /// The delimiter is not a comma (`;` or tab detected in the header).
    WrongDelimiter,
    /// A record ends with LF alone instead of CRLF.
    BareLf,
    /// A record ends with CR alone instead of CRLF.
    BareCr,
    /// The last record has no CRLF after it.
    MissingFinalLineBreak,
    /// A `"` inside an unquoted field (the field must be quoted and the quote doubled).
    UnquotedQuote,
    /// A quoted field has a lone `"` not followed by a delimiter or line end.
    BadQuoteEscaping,
    /// A quoted field is still open at the end of the file.
    UnterminatedQuote,
    /// A record has a different number of fields than the header.
    RaggedRow,
    /// An empty line.
    EmptyRow,
    /// The file has no header row.
    EmptyFile,
    /// A value has leading or trailing whitespace.
    Padding,
    /// `null` written instead of an empty field.
    NullValue,
    /// A value looks like a date not in `YYYY-MM-DD` (checked when no datatype is known).
    NonIsoDate,
    /// A value looks like a number with a decimal comma (checked when no datatype is known).
    DecimalComma,
    /// A value is not in the lexical form of the column's declared datatype.
    DatatypeMismatch,
    /// An empty value in a column declared `required`.
    MissingRequired,
    /// A header cell is empty.
    EmptyHeader,
    /// Two header cells are the same.
    DuplicateHeader,
    /// The header has a different number of columns than the metadata.
    HeaderColumnCount,
    /// A header cell is not among the metadata column's `titles`.
    HeaderTitleMismatch,
    /// A header cell differs from the metadata column's `name` (when no titles are given).
    HeaderNameMismatch,
    /// The metadata `@context` is not `["http://www.w3.org/ns/csvw", {"@language": "cs"}]`.
    WrongContext,
    /// A metadata column `name` is not a valid URI fragment (ASCII).
    InvalidColumnName,
    /// A metadata datatype is not a CSVW built-in datatype.
    UnknownDatatype,
    /// No `<file>.csv-metadata.json` (or `csv-metadata.json`) was found.
    MissingMetadata,
    /// The metadata `url` does not name the checked file.
    UrlMismatch,
}

impl ViolationKind {
    /// Stable kebab-case code (`bare-lf`, `invalid-utf8`, …).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Bom => "bom",
            Self::InvalidUtf8 => "invalid-utf8",
            Self::WrongDelimiter => "wrong-delimiter",
            Self::BareLf => "bare-lf",
            Self::BareCr => "bare-cr",
            Self::MissingFinalLineBreak => "missing-final-line-break",
            Self::UnquotedQuote => "unquoted-quote",
            Self::BadQuoteEscaping => "bad-quote-escaping",
            Self::UnterminatedQuote => "unterminated-quote",
            Self::RaggedRow => "ragged-row",
            Self::EmptyRow => "empty-row",
            Self::EmptyFile => "empty-file",
            Self::Padding => "padding",
            Self::NullValue => "null-value",
            Self::NonIsoDate => "non-iso-date",
            Self::DecimalComma => "decimal-comma",
            Self::DatatypeMismatch => "datatype-mismatch",
            Self::MissingRequired => "missing-required",
            Self::EmptyHeader => "empty-header",
            Self::DuplicateHeader => "duplicate-header",
            Self::HeaderColumnCount => "header-column-count",
            Self::HeaderTitleMismatch => "header-title-mismatch",
            Self::HeaderNameMismatch => "header-name-mismatch",
            Self::WrongContext => "wrong-context",
            Self::InvalidColumnName => "invalid-column-name",
            Self::UnknownDatatype => "unknown-datatype",
            Self::MissingMetadata => "missing-metadata",
            Self::UrlMismatch => "url-mismatch",
        }
    }
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One deviation from the standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Its class.
    pub kind: ViolationKind,
    /// 1-based record number (the header is record 1); `None` for file- or metadata-level
    /// problems.
    pub record: Option<u64>,
    /// 1-based field number within the record, when the problem is in one field.
    pub field: Option<usize>,
    /// Human-readable explanation with the offending value.
    pub message: String,
}

impl Violation {
    pub(crate) fn metadata(kind: ViolationKind, message: String) -> Self {
        Self {
            kind,
            record: None,
            field: None,
            message,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.record, self.field) {
            (Some(r), Some(c)) => write!(f, "record {r}, field {c}: ")?,
            (Some(r), None) => write!(f, "record {r}: ")?,
            _ => {}
        }
        write!(f, "{} [{}]", self.message, self.kind)
    }
}

/// Totals of one validation run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Summary {
    /// Bytes read.
    pub bytes: u64,
    /// Records read, the header included.
    pub records: u64,
    /// The delimiter the file was parsed with (`,` unless another was detected).
    pub delimiter: char,
    /// Number of violations of each kind.
    pub counts: BTreeMap<ViolationKind, u64>,
}

impl Summary {
    /// Total number of violations.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
}

/// Longest field kept whole in memory; longer fields are checked piecewise.
const FIELD_CAP: usize = 1 << 20;
const CHUNK: usize = 256 * 1024;
/// Bytes of header text kept for duplicate detection.
const HEADER_MEMORY: usize = 4 << 20;

/// Validates CSV bytes from `reader` against the standard and, when given, the metadata.
///
/// Every violation is passed to `sink` as soon as it is found (memory stays constant
/// whatever the file size). Problems of the metadata itself are not reported here; see
/// [`crate::check_file`].
///
/// # Errors
/// Only I/O errors of `reader`.
pub fn validate_reader<R: Read>(
    mut reader: R,
    expected: Option<&ExpectedTable>,
    sink: &mut dyn FnMut(Violation),
) -> io::Result<Summary> {
    let mut buf = vec![0u8; CHUNK];
    let mut validator = Validator::new(expected, sink);
    // Fill each chunk fully (or to EOF): the first one must hold the header for delimiter
    // detection, and big chunks keep the per-call overhead low.
    loop {
        let mut filled = 0;
        while let Some(free @ [_, ..]) = buf.get_mut(filled..) {
            match reader.read(free) {
                Ok(0) => break,
                Ok(n) if n <= free.len() => filled += n,
                Ok(n) => {
                    return Err(io::Error::other(format!(
                        "the reader reported {n} bytes read into a buffer of {}",
                        free.len()
                    )));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        validator.feed(buf.get(..filled).unwrap_or_default());
        if filled < buf.len() {
            break;
        }
    }
    Ok(validator.finish())
}

/// Push-style validator, for bytes that arrive in pieces (e.g. an HTTP body).
///
/// The first non-empty chunk passed to [`Validator::feed`] is used to detect the delimiter
/// and must therefore contain the whole header record; later chunks may split anywhere.
pub struct Validator<'a> {
    parser: Parser<'a>,
}

impl<'a> Validator<'a> {
    /// A validator reporting to `sink`, checking against `expected` when given.
    pub fn new(expected: Option<&'a ExpectedTable>, sink: &'a mut dyn FnMut(Violation)) -> Self {
        Self {
            parser: Parser::new(expected, sink),
        }
    }

    /// Validates the next bytes of the file.
    pub fn feed(&mut self, chunk: &[u8]) {
        if chunk.is_empty() {
            return;
        }
        if !self.parser.started {
            self.parser.start(chunk);
        }
        self.parser.feed(chunk);
    }

    /// Ends the file and returns the totals.
    #[must_use]
    pub fn finish(self) -> Summary {
        self.parser.finish()
    }
}

/// Convenience for tests and small inputs: all violations of `bytes` in a vector.
#[must_use]
pub fn validate_bytes(bytes: &[u8], expected: Option<&ExpectedTable>) -> (Vec<Violation>, Summary) {
    let mut out = Vec::new();
    let summary =
        validate_reader(bytes, expected, &mut |v| out.push(v)).unwrap_or_else(|_| unreachable_io());
    (out, summary)
}

fn unreachable_io() -> Summary {
    // Reading from a byte slice cannot fail.
    Summary::default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
    AfterCr,
}

/// A set of bytes, one flag per value: the bytes that end an unquoted value.
struct ByteSet([bool; 256]);

impl ByteSet {
    fn insert(&mut self, byte: u8) {
        if let Some(flag) = self.0.get_mut(usize::from(byte)) {
            *flag = true;
        }
    }

    /// A `u8` always indexes the 256 flags: the check compiles away.
    #[inline(always)]
    fn contains(&self, byte: u8) -> bool {
        self.0.get(usize::from(byte)).copied().unwrap_or(false)
    }
}

struct Parser<'a> {
    expected: Option<&'a ExpectedTable>,
    sink: &'a mut dyn FnMut(Violation),
    summary: Summary,
    delimiter: u8,
    special: ByteSet,
    state: State,
    started: bool,
    record: u64,
    field: usize,
    record_has_bytes: bool,
    /// Field bytes (unquoted content), at most `FIELD_CAP` of them.
    value: Vec<u8>,
    quoted: bool,
    field_flagged_quote: bool,
    spill: Option<Spill>,
    header_width: usize,
    /// Header cells compared with the metadata (only as many as it has columns).
    header: Vec<String>,
    /// Header cells seen, for duplicate detection (bounded by `HEADER_MEMORY`).
    header_seen: HashSet<String>,
    header_seen_bytes: usize,
    /// Whether the current record has a non-empty or quoted field (else it is an empty line).
    record_nonempty: bool,
    /// Addresses of the part of the current chunk known to be valid UTF-8. A value whose
    /// bytes all come from there needs no UTF-8 check of its own: fields are cut at ASCII
    /// bytes, so a piece of valid UTF-8 stays valid.
    utf8_valid: std::ops::Range<usize>,
    /// Bytes at the start of the next chunk that complete a character split by the chunk
    /// boundary (left out of `utf8_valid`, so their value is checked on its own).
    utf8_carry: usize,
    /// Whether every byte of the current value came from a `utf8_valid` range (or is ASCII).
    value_known_utf8: bool,
}

/// State of a field longer than `FIELD_CAP` whose start was already checked and dropped.
#[derive(Debug, Clone, Copy)]
struct Spill {
    leading_ws: bool,
    trailing_ws: bool,
    invalid_utf8: Option<u8>,
    len: u64,
}

impl<'a> Parser<'a> {
    fn new(expected: Option<&'a ExpectedTable>, sink: &'a mut dyn FnMut(Violation)) -> Self {
        Self {
            expected,
            sink,
            summary: Summary {
                delimiter: ',',
                ..Summary::default()
            },
            delimiter: b',',
            special: ByteSet([false; 256]),
            state: State::FieldStart,
            started: false,
            record: 1,
            field: 1,
            record_has_bytes: false,
            value: Vec::with_capacity(256),
            quoted: false,
            field_flagged_quote: false,
            spill: None,
            header_width: 0,
            header: Vec::new(),
            header_seen: HashSet::new(),
            header_seen_bytes: 0,
            record_nonempty: false,
            utf8_valid: 0..0,
            utf8_carry: 0,
            value_known_utf8: true,
        }
    }

    /// Validates `chunk` as UTF-8 in one pass (far cheaper than a check per value) and notes
    /// which addresses are known good.
    fn scan_utf8(&mut self, chunk: &[u8]) {
        let skip = self.utf8_carry.min(chunk.len());
        self.utf8_carry -= skip;
        let body = chunk.get(skip..).unwrap_or_default();
        // SIMD validation: this pass covers every byte of the file.
        let valid_len = match simdutf8::compat::from_utf8(body) {
            Ok(_) => body.len(),
            Err(error) => {
                let valid = error.valid_up_to();
                if error.error_len().is_none() {
                    // A character cut by the chunk's end: its rest opens the next chunk.
                    let width = match body.get(valid) {
                        Some(0xC2..=0xDF) => 2,
                        Some(0xE0..=0xEF) => 3,
                        _ => 4,
                    };
                    self.utf8_carry = width - (body.len() - valid);
                }
                valid
            }
        };
        let start = body.as_ptr() as usize;
        self.utf8_valid = start..start + valid_len;
    }

    fn report(&mut self, kind: ViolationKind, field: Option<usize>, message: String) {
        *self.summary.counts.entry(kind).or_insert(0) += 1;
        (self.sink)(Violation {
            kind,
            record: Some(self.record),
            field,
            message,
        });
    }

    /// Detects the delimiter from the first record of `head` and reports a BOM.
    fn start(&mut self, head: &[u8]) {
        let mut body = head;
        if let Some(rest) = head.strip_prefix(b"\xEF\xBB\xBF") {
            self.report(
                ViolationKind::Bom,
                None,
                "the file starts with a UTF-8 byte order mark (BOM); the standard is UTF-8 without BOM".to_owned(),
            );
            body = rest;
        }
        let (mut commas, mut semicolons, mut tabs, mut in_quotes) = (0usize, 0usize, 0usize, false);
        for &b in body {
            match b {
                b'"' => in_quotes = !in_quotes,
                b'\r' | b'\n' if !in_quotes => break,
                b',' if !in_quotes => commas += 1,
                b';' if !in_quotes => semicolons += 1,
                b'\t' if !in_quotes => tabs += 1,
                _ => {}
            }
        }
        if commas == 0 && (semicolons > 0 || tabs > 0) {
            let (delimiter, name) = if semicolons >= tabs {
                (b';', "';' (semicolon)")
            } else {
                (b'\t', "tab")
            };
            self.delimiter = delimiter;
            self.summary.delimiter = char::from(delimiter);
            self.report(
                ViolationKind::WrongDelimiter,
                None,
                format!("the delimiter is {name}; the standard allows only ',' (comma). The rest of the file is checked as {name}-delimited"),
            );
        }
        for b in [self.delimiter, b'"', b'\r', b'\n'] {
            self.special.insert(b);
        }
    }

    fn feed(&mut self, mut chunk: &[u8]) {
        self.summary.bytes += chunk.len() as u64;
        if !self.started {
            self.started = true;
            if let Some(rest) = chunk.strip_prefix(b"\xEF\xBB\xBF") {
                chunk = rest;
            }
        }
        self.scan_utf8(chunk);
        let mut i = 0;
        while i < chunk.len() {
            match self.state {
                State::Unquoted => {
                    let start = i;
                    while chunk.get(i).is_some_and(|&b| !self.special.contains(b)) {
                        i += 1;
                    }
                    self.push_value(chunk.get(start..i).unwrap_or_default());
                    if let Some(&b) = chunk.get(i) {
                        i += 1;
                        self.unquoted_special(b);
                    }
                }
                State::Quoted => {
                    let rest = chunk.get(i..).unwrap_or_default();
                    match memchr::memchr(b'"', rest) {
                        Some(offset) => {
                            self.push_value(rest.get(..offset).unwrap_or_default());
                            i += offset + 1;
                            self.state = State::QuoteInQuoted;
                        }
                        None => {
                            self.push_value(rest);
                            i = chunk.len();
                        }
                    }
                }
                State::FieldStart => {
                    let Some(first @ &[b]) = chunk.get(i..=i) else {
                        break;
                    };
                    i += 1;
                    self.record_has_bytes = true;
                    if b == b'"' {
                        self.quoted = true;
                        self.state = State::Quoted;
                    } else {
                        self.state = State::Unquoted;
                        if self.special.contains(b) {
                            self.unquoted_special(b);
                        } else {
                            self.push_value(first);
                        }
                    }
                }
                State::QuoteInQuoted => {
                    let Some(&b) = chunk.get(i) else {
                        break;
                    };
                    i += 1;
                    match b {
                        b'"' => {
                            self.push_value(b"\"");
                            self.state = State::Quoted;
                        }
                        b'\r' | b'\n' => self.line_end(b),
                        _ if b == self.delimiter => self.field_end(),
                        _ => {
                            self.report(
                                ViolationKind::BadQuoteEscaping,
                                Some(self.field),
                                format!(
                                    "a '\"' inside a quoted value is followed by {}; a quote inside a value must be doubled (\"\")",
                                    describe_byte(b)
                                ),
                            );
                            self.field_flagged_quote = true;
                            self.push_value(&[b'"', b]);
                            self.state = State::Unquoted;
                        }
                    }
                }
                State::AfterCr => {
                    let Some(&b) = chunk.get(i) else {
                        break;
                    };
                    if b == b'\n' {
                        i += 1;
                    } else {
                        self.report_terminator(ViolationKind::BareCr);
                    }
                    self.state = State::FieldStart;
                }
            }
        }
    }

    fn unquoted_special(&mut self, b: u8) {
        match b {
            b'"' => {
                if !self.field_flagged_quote {
                    self.field_flagged_quote = true;
                    self.report(
                        ViolationKind::UnquotedQuote,
                        Some(self.field),
                        "a '\"' in an unquoted value; the value must be quoted and the quote doubled".to_owned(),
                    );
                }
                self.push_value(b"\"");
            }
            b'\r' | b'\n' => self.line_end(b),
            _ => self.field_end(),
        }
    }

    /// CR or LF outside quotes: ends the field and the record.
    fn line_end(&mut self, b: u8) {
        self.field_end_inner();
        let terminated_record = self.record;
        self.record_end();
        if b == b'\r' {
            self.state = State::AfterCr;
        } else {
            // Report against the record just ended.
            self.record = terminated_record;
            self.report(
                ViolationKind::BareLf,
                None,
                "the record ends with LF alone; the standard requires CRLF".to_owned(),
            );
            self.record = terminated_record + 1;
            self.state = State::FieldStart;
        }
    }

    fn report_terminator(&mut self, kind: ViolationKind) {
        let current = self.record;
        self.record = current - 1;
        self.report(
            kind,
            None,
            "the record ends with CR alone; the standard requires CRLF".to_owned(),
        );
        self.record = current;
    }

    fn push_value(&mut self, bytes: &[u8]) {
        let at = bytes.as_ptr() as usize;
        let from_valid_range =
            self.utf8_valid.start <= at && at + bytes.len() <= self.utf8_valid.end;
        if !from_valid_range && !bytes.is_ascii() {
            self.value_known_utf8 = false;
        }
        if self.value.len() + bytes.len() <= FIELD_CAP {
            self.value.extend_from_slice(bytes);
            return;
        }
        self.value.extend_from_slice(bytes);
        // Check what we have and keep only an incomplete UTF-8 tail.
        let (valid_upto, invalid) = match std::str::from_utf8(&self.value) {
            Ok(_) => (self.value.len(), None),
            Err(e) => match e.error_len() {
                None => (e.valid_up_to(), None),
                Some(_) => (self.value.len(), self.value.get(e.valid_up_to()).copied()),
            },
        };
        let text = String::from_utf8_lossy(self.value.get(..valid_upto).unwrap_or_default());
        let spill = self.spill.get_or_insert(Spill {
            leading_ws: text.starts_with(char::is_whitespace),
            trailing_ws: false,
            invalid_utf8: None,
            len: 0,
        });
        spill.trailing_ws = text.ends_with(char::is_whitespace);
        spill.invalid_utf8 = spill.invalid_utf8.or(invalid);
        spill.len += valid_upto as u64;
        self.value.drain(..valid_upto);
    }

    fn field_end(&mut self) {
        let first_deferred = self.field == 1 && self.is_deferrable_empty();
        self.field_end_inner();
        if first_deferred {
            // Not an empty line after all: check the empty first value now.
            self.check_field(&[]);
        }
        self.field += 1;
        self.state = State::FieldStart;
        self.record_has_bytes = true;
    }

    fn field_end_inner(&mut self) {
        // An empty unquoted first value may be an empty line: `field_end` checks it once a
        // delimiter shows that the record goes on.
        let deferred = self.field == 1 && self.is_deferrable_empty();
        let value = std::mem::take(&mut self.value);
        if !value.is_empty() || self.quoted || self.spill.is_some() {
            self.record_nonempty = true;
        }
        if !deferred {
            self.check_field(&value);
        }
        self.value = value;
        self.value.clear();
        self.quoted = false;
        self.field_flagged_quote = false;
        self.spill = None;
        self.value_known_utf8 = true;
    }

    fn is_deferrable_empty(&self) -> bool {
        self.record > 1 && self.value.is_empty() && !self.quoted && self.spill.is_none()
    }

    fn check_field(&mut self, bytes: &[u8]) {
        // The common case: a data value of valid UTF-8 (known from the chunk scan) without
        // padding is checked on its bytes, with no per-value UTF-8 pass.
        if self.value_known_utf8
            && self.spill.is_none()
            && self.record > 1
            && !has_padding_bytes(bytes)
        {
            self.check_value(bytes, bytes);
            return;
        }
        let field = self.field;
        let spill = self.spill;
        let text = match std::str::from_utf8(bytes) {
            Ok(text) if spill.is_none_or(|s| s.invalid_utf8.is_none()) => text,
            result => {
                let bad = spill
                    .and_then(|s| s.invalid_utf8)
                    .or_else(|| {
                        result
                            .err()
                            .and_then(|e| bytes.get(e.valid_up_to()).copied())
                    })
                    .unwrap_or(0);
                let message = match windows_1250_text(bytes) {
                    Some(decoded) => format!(
                        "value is not valid UTF-8 (byte 0x{bad:02X}); it reads as windows-1250 {:?}, \
                         convert the file to UTF-8",
                        shorten(&decoded)
                    ),
                    None => format!(
                        "value {:?} is not valid UTF-8 (byte 0x{bad:02X})",
                        shorten(&String::from_utf8_lossy(bytes))
                    ),
                };
                self.report(ViolationKind::InvalidUtf8, Some(field), message);
                return;
            }
        };
        let padded = match spill {
            Some(s) => {
                s.leading_ws
                    || if text.is_empty() {
                        s.trailing_ws
                    } else {
                        text.ends_with(char::is_whitespace)
                    }
            }
            None => has_padding(text),
        };
        if self.record == 1 {
            self.check_header_cell(text, padded);
            return;
        }
        if padded {
            self.report(
                ViolationKind::Padding,
                Some(field),
                format!(
                    "value {:?} has leading or trailing whitespace",
                    shorten(text)
                ),
            );
        }
        if spill.is_some() {
            // Only the end of a value longer than `FIELD_CAP` is kept: it is no missing value,
            // no `null` and too long for any datatype but `string`.
            if let Some(datatype) = self.column_datatype(field)
                && datatype != Datatype::String
            {
                self.report_datatype_mismatch(text, datatype);
            }
            return;
        }
        self.check_value(text.as_bytes(), text.trim().as_bytes());
    }

    /// The checks of a data value that is valid UTF-8 and whole: required, `null`, the
    /// column's datatype (on `trimmed`, so padding is reported once, as padding), or the
    /// heuristics when there is no metadata.
    fn check_value(&mut self, value: &[u8], trimmed: &[u8]) {
        let field = self.field;
        if value.is_empty() {
            let column = self.expected.and_then(|e| e.columns.get(field - 1));
            if column.is_some_and(|c| c.required) {
                let name = self.column_label(field);
                self.report(
                    ViolationKind::MissingRequired,
                    Some(field),
                    format!("column {name} is required but the value is empty"),
                );
            }
            return;
        }
        if matches!(value, b"null" | b"NULL" | b"Null") {
            let text = String::from_utf8_lossy(value);
            self.report(
                ViolationKind::NullValue,
                Some(field),
                format!("{text:?} used for a missing value; leave the field empty"),
            );
            return;
        }
        if self.expected.is_some() {
            if let Some(datatype) = self.column_datatype(field)
                && datatype != Datatype::String
                && !is_valid_lexical_bytes(datatype, trimmed)
            {
                self.report_datatype_mismatch(&String::from_utf8_lossy(value), datatype);
            }
        } else {
            self.heuristics(trimmed, field);
        }
    }

    fn column_datatype(&self, field: usize) -> Option<Datatype> {
        self.expected
            .and_then(|e| e.columns.get(field - 1))
            .and_then(|c| c.datatype)
    }

    #[cold]
    fn report_datatype_mismatch(&mut self, text: &str, datatype: Datatype) {
        let name = self.column_label(self.field);
        self.report(
            ViolationKind::DatatypeMismatch,
            Some(self.field),
            format!(
                "value {:?} is not a valid {datatype} (column {name}){}",
                shorten(text),
                datatype_hint(datatype)
            ),
        );
    }

    /// Patterns that betray a non-standard value in a file without metadata; `t` is the
    /// trimmed value.
    fn heuristics(&mut self, t: &[u8], field: usize) {
        if looks_like_czech_date(t) {
            let t = String::from_utf8_lossy(t);
            self.report(
                ViolationKind::NonIsoDate,
                Some(field),
                format!("value {t:?} looks like a date; dates must be YYYY-MM-DD"),
            );
        } else if looks_like_decimal_comma(t) {
            let t = String::from_utf8_lossy(t);
            self.report(
                ViolationKind::DecimalComma,
                Some(field),
                format!("value {t:?} looks like a number with a decimal comma; use a dot"),
            );
        }
    }

    fn column_label(&self, field: usize) -> String {
        let column = self.expected.and_then(|e| e.columns.get(field - 1));
        match column.and_then(|c| c.name.as_deref().or(c.titles.first().map(String::as_str))) {
            Some(name) => format!("{name:?}"),
            None => format!("{field}"),
        }
    }

    fn check_header_cell(&mut self, text: &str, padded: bool) {
        let field = self.field;
        if text.is_empty() {
            self.report(
                ViolationKind::EmptyHeader,
                Some(field),
                "the header cell is empty; every column needs a title".to_owned(),
            );
        } else if padded {
            self.report(
                ViolationKind::Padding,
                Some(field),
                format!(
                    "header cell {:?} has leading or trailing whitespace",
                    shorten(text)
                ),
            );
        }
        if !text.is_empty() {
            if self.header_seen.contains(text) {
                self.report(
                    ViolationKind::DuplicateHeader,
                    Some(field),
                    format!("header cell {:?} is used twice", shorten(text)),
                );
            } else if self.header_seen_bytes + text.len() <= HEADER_MEMORY {
                self.header_seen_bytes += text.len();
                self.header_seen.insert(text.to_owned());
            }
        }
        if self.expected.is_some_and(|e| field <= e.columns.len()) {
            self.header.push(text.to_owned());
        }
    }

    fn check_header_against_metadata(&mut self, fields: usize) {
        let Some(expected) = self.expected else {
            return;
        };
        if fields != expected.columns.len() {
            self.report(
                ViolationKind::HeaderColumnCount,
                None,
                format!(
                    "the header has {fields} columns, the metadata describes {}",
                    expected.columns.len()
                ),
            );
        }
        for (index, column) in expected.columns.iter().enumerate() {
            let Some(cell) = self.header.get(index).cloned() else {
                break;
            };
            if !column.titles.is_empty() {
                if !column.titles.contains(&cell) {
                    self.report(
                        ViolationKind::HeaderTitleMismatch,
                        Some(index + 1),
                        format!(
                            "header cell {:?} does not match the metadata titles {:?}",
                            shorten(&cell),
                            column.titles
                        ),
                    );
                }
            } else if let Some(name) = &column.name
                && *name != cell
            {
                self.report(
                    ViolationKind::HeaderNameMismatch,
                    Some(index + 1),
                    format!(
                        "header cell {:?} does not match the metadata column name {name:?}",
                        shorten(&cell)
                    ),
                );
            }
        }
    }

    fn record_end(&mut self) {
        let fields = self.field;
        if self.record == 1 {
            self.header_width = fields;
            self.check_header_against_metadata(fields);
            self.header = Vec::new();
            self.header_seen = HashSet::new();
        } else if fields == 1 && !self.record_had_content() {
            self.report(
                ViolationKind::EmptyRow,
                None,
                "an empty line; the standard allows no empty rows".to_owned(),
            );
        } else if fields != self.header_width {
            self.report(
                ViolationKind::RaggedRow,
                None,
                format!(
                    "the record has {fields} fields, the header has {}",
                    self.header_width
                ),
            );
        }
        self.summary.records += 1;
        self.record += 1;
        self.field = 1;
        self.record_has_bytes = false;
        self.record_nonempty = false;
    }

    fn record_had_content(&self) -> bool {
        self.record_nonempty
    }

    fn finish(mut self) -> Summary {
        match self.state {
            State::AfterCr => self.report_terminator(ViolationKind::BareCr),
            State::FieldStart if !self.record_has_bytes => {}
            State::Quoted => {
                // The rest of the file is one value; checking it further would only add noise.
                self.report(
                    ViolationKind::UnterminatedQuote,
                    Some(self.field),
                    "a quoted value is not closed before the end of the file".to_owned(),
                );
                self.summary.records += 1;
            }
            _ => self.close_last_record(),
        }
        if self.summary.records == 0 {
            *self
                .summary
                .counts
                .entry(ViolationKind::EmptyFile)
                .or_insert(0) += 1;
            (self.sink)(Violation::metadata(
                ViolationKind::EmptyFile,
                "the file is empty; it needs at least a header row".to_owned(),
            ));
        }
        self.summary
    }

    fn close_last_record(&mut self) {
        self.field_end_inner();
        let record = self.record;
        self.record_end();
        self.record = record;
        self.report(
            ViolationKind::MissingFinalLineBreak,
            None,
            "the last record has no line break after it; the standard ends every record with CRLF"
                .to_owned(),
        );
    }
}

fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() || b == b' ' {
        format!("'{}'", char::from(b))
    } else {
        format!("byte 0x{b:02X}")
    }
}

fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn datatype_hint(datatype: Datatype) -> &'static str {
    match datatype {
        Datatype::Date => "; dates are YYYY-MM-DD",
        Datatype::DateTime => "; date-times are YYYY-MM-DDTHH:MM:SS",
        Datatype::Time => "; times are HH:MM:SS",
        Datatype::Integer => "; integers have no spaces or separators",
        Datatype::Decimal => "; decimals use a dot and no grouping",
        Datatype::Double => "; numbers use a dot, optionally an exponent",
        Datatype::Boolean => "; booleans are true/false",
        _ => "",
    }
}

/// The text of invalid UTF-8 `bytes` read as windows-1250, if they decode cleanly and hold
/// Czech letters (the usual cause of non-UTF-8 Czech files).
fn windows_1250_text(bytes: &[u8]) -> Option<String> {
    let (text, _, had_errors) = encoding_rs::WINDOWS_1250.decode(bytes);
    (!had_errors
        && text
            .chars()
            .any(|c| "áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ§".contains(c)))
    .then(|| text.into_owned())
}

/// `d.m.yyyy`, `dd.mm.yyyy`, optionally with spaces around the dots.
fn looks_like_czech_date(t: &[u8]) -> bool {
    // Cheap rejections first: this runs on every value of a file without metadata.
    if !(8..=16).contains(&t.len()) || !t.first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let mut parts = t.split(|&b| b == b'.').map(<[u8]>::trim_ascii);
    let (Some(day), Some(month), Some(year), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    (1..=2).contains(&day.len())
        && (1..=2).contains(&month.len())
        && year.len() == 4
        && [day, month, year]
            .iter()
            .all(|p| p.iter().all(u8::is_ascii_digit))
}

/// `-12,5` and the like.
fn looks_like_decimal_comma(t: &[u8]) -> bool {
    let t = t.strip_prefix(b"-").unwrap_or(t);
    let mut parts = t.splitn(2, |&b| b == b',');
    let (Some(int), Some(frac)) = (parts.next(), parts.next()) else {
        return false;
    };
    !int.is_empty()
        && !frac.is_empty()
        && int.iter().all(u8::is_ascii_digit)
        && frac.iter().all(u8::is_ascii_digit)
}
