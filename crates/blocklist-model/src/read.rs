//! Source readers: one per authority, each recognising its format variant from the bytes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::entry::{Entry, SourceLabel};
use crate::host::AddressError;

/// Which reader understands a source's file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum ReaderKind {
    /// Ministry of Finance (MF): the 8-column list with object types (current), the 6-column
    /// list (until 2024-03), or the decree columns; windows-1250 or UTF-8.
    Mf,
    /// SÚKL: decree columns, UTF-8 with BOM, every field quoted, `dd.mm.yyyy`.
    Sukl,
    /// SZPI: decree columns, ISO dates, quoted URLs.
    Szpi,
    /// ÚSKVBL: decree columns, `,` + ISO dates (current) or `;` + BOM + `dd.mm.yyyy` (2024).
    Uskvbl,
    /// The hand-kept MZV sanctions CSV in the unified-list shape (see the crate README).
    MzvSanctions,
    /// Any list that follows the decree: `URL,DATUM_ZAPISU,DATUM_VYMAZU`, optionally with
    /// `ZDROJ`, `NAZEV_DATOVE_SADY` and `PRAVNI_ZAKLAD` (so it also reads the unified list
    /// itself). A new authority needs configuration, not code.
    Decree,
}

impl ReaderKind {
    /// Every reader kind.
    pub const ALL: [ReaderKind; 6] = [
        Self::Mf,
        Self::Sukl,
        Self::Szpi,
        Self::Uskvbl,
        Self::MzvSanctions,
        Self::Decree,
    ];

    fn expected(self) -> &'static str {
        match self {
            Self::Mf => {
                "the MF header (`Objekt blokace;Adresa internetové stránky;…`), the MF 6-column header (`Adresa Internetové stránky;Datum zveřejnění údajů IS;…`) or the decree columns URL, DATUM_ZAPISU, DATUM_VYMAZU"
            }
            _ => "a header with the decree columns URL, DATUM_ZAPISU and DATUM_VYMAZU",
        }
    }
}

/// A source of the unified list, described by configuration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SourceConfig {
    /// `ZDROJ`: the authority's name.
    pub authority: String,
    /// `NAZEV_DATOVE_SADY`: the NKOD dataset title.
    pub dataset: String,
    /// The reader for its file.
    pub reader: ReaderKind,
}

impl SourceConfig {
    /// A source from its three settings.
    pub fn new(
        authority: impl Into<String>,
        dataset: impl Into<String>,
        reader: ReaderKind,
    ) -> Self {
        Self {
            authority: authority.into(),
            dataset: dataset.into(),
            reader,
        }
    }

    /// The five sources known on 2026-01-01: the four local lists (MF, SÚKL, SZPI, ÚSKVBL) with
    /// the NKOD titles expected for them, and the hand-kept MZV sanctions list.
    pub fn known_sources() -> Vec<SourceConfig> {
        vec![
            Self::new(
                "Ministerstvo financí",
                "Seznam nepovolených internetových her",
                ReaderKind::Mf,
            ),
            Self::new(
                "Státní ústav pro kontrolu léčiv",
                "Seznam stránek s nelegální nabídkou léčivých přípravků",
                ReaderKind::Sukl,
            ),
            Self::new(
                "Státní zemědělská a potravinářská inspekce",
                "Seznam internetových stránek s nabídkou nebezpečných potravin",
                ReaderKind::Szpi,
            ),
            Self::new(
                "Ústav pro státní kontrolu veterinárních biopreparátů a léčiv",
                "Seznam stránek s nelegální nabídkou veterinárních léčivých přípravků",
                ReaderKind::Uskvbl,
            ),
            Self::new(
                "Ministerstvo zahraničních věcí",
                "Vnitrostátní sankční seznam",
                ReaderKind::MzvSanctions,
            ),
        ]
    }

    /// The label rows of this source carry.
    pub fn label(&self) -> SourceLabel {
        SourceLabel::new(self.authority.clone(), self.dataset.clone())
    }
}

/// The text encoding a file was decoded from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextEncoding {
    /// UTF-8.
    Utf8,
    /// windows-1250 (the file was not valid UTF-8).
    Windows1250,
}

/// The column layout recognised from the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// MF, 8 columns with `Objekt blokace` (since 2024-03).
    Mf8,
    /// MF, 6 columns with website and payment-account dates (until 2024-03).
    Mf6,
    /// The decree columns `URL,DATUM_ZAPISU,DATUM_VYMAZU`.
    Decree,
    /// The decree columns plus `ZDROJ` and `NAZEV_DATOVE_SADY` (the unified list's shape).
    Unified,
}

/// The date style seen in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DateStyle {
    /// No dates were read.
    None,
    /// `yyyy-mm-dd` only.
    Iso,
    /// `dd.mm.yyyy` only.
    Czech,
    /// Both styles.
    Mixed,
}

/// The format variant a reader recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FormatVariant {
    /// Text encoding.
    pub encoding: TextEncoding,
    /// Whether a UTF-8 byte-order mark opened the file.
    pub bom: bool,
    /// Field delimiter (`,` or `;`).
    pub delimiter: u8,
    /// Column layout.
    pub layout: Layout,
    /// Date style.
    pub dates: DateStyle,
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The row entered the list; something about it is worth knowing.
    Warning,
    /// The row could not enter the list.
    Error,
}

/// A problem found in one row (or, for line 0, in the whole file).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Problem {
    /// The file is not UTF-8 and was decoded as windows-1250.
    DecodedAsWindows1250,
    /// A CSV syntax problem (for example an unterminated quote).
    Syntax(String),
    /// The row has fewer fields than the header needs.
    MissingFields {
        /// Fields found.
        found: usize,
        /// Fields the header has.
        expected: usize,
    },
    /// The row has more fields than the header; the extra ones were ignored.
    ExtraFields {
        /// Fields found.
        found: usize,
        /// Fields the header has.
        expected: usize,
    },
    /// A website row with no address.
    MissingAddress,
    /// A row with no entry date.
    MissingEntryDate,
    /// A date that is neither `yyyy-mm-dd` nor `dd.mm.yyyy`, or no such day.
    InvalidDate {
        /// The column.
        column: String,
        /// The value.
        value: String,
    },
    /// The removal date is before the entry date.
    RemovedBeforeEntered,
    /// The address has no usable host; the row is kept as published but cannot be blocked by DNS.
    Address(AddressError),
    /// MF: an object type other than website, application and payment account.
    UnknownObjectType(String),
    /// A row that holds no data at all (every field empty).
    EmptyRow,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DecodedAsWindows1250 => {
                f.write_str("the file is not UTF-8; decoded as windows-1250")
            }
            Self::Syntax(s) => write!(f, "CSV syntax: {s}"),
            Self::MissingFields { found, expected } => {
                write!(f, "the row has {found} fields, the header {expected}")
            }
            Self::ExtraFields { found, expected } => write!(
                f,
                "the row has {found} fields, the header {expected}; extra fields ignored"
            ),
            Self::MissingAddress => f.write_str("a website row without an address"),
            Self::MissingEntryDate => f.write_str("the entry date is empty"),
            Self::InvalidDate { column, value } => write!(
                f,
                "column {column:?}: {value:?} is not a date (yyyy-mm-dd or dd.mm.yyyy)"
            ),
            Self::RemovedBeforeEntered => f.write_str("the removal date is before the entry date"),
            Self::Address(e) => write!(f, "address kept as published but not blockable: {e}"),
            Self::UnknownObjectType(t) => write!(f, "unknown object type {t:?}"),
            Self::EmptyRow => f.write_str("an empty row"),
        }
    }
}

/// A reported problem with its place in the file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// 1-based line of the file where the row starts; 0 for the whole file.
    pub line: u64,
    /// Warning (row kept) or error (row not entered).
    pub severity: Severity,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        if self.line == 0 {
            write!(f, "{sev}: {}", self.problem)
        } else {
            write!(f, "line {}: {sev}: {}", self.line, self.problem)
        }
    }
}

/// What a reader counted. Every data row is counted once under `rows`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SourceCounts {
    /// Data rows in the file (header excluded, blank lines excluded).
    pub rows: usize,
    /// Rows that describe a website (all rows for decree-format lists).
    pub websites: usize,
    /// MF: application rows (counted, not entered).
    pub applications: usize,
    /// MF: payment-account rows, or payment accounts in the 6-column format (counted, not entered).
    pub payment_accounts: usize,
    /// Rows that entered the list.
    pub entries: usize,
    /// Entered rows without a removal date.
    pub active: usize,
    /// Entered rows with a removal date.
    pub removed: usize,
    /// Entered rows that DNS blocking cannot express (path, IP literal or unusable host).
    pub not_dns_blockable: usize,
    /// Rows rejected with an error diagnostic.
    pub rejected: usize,
    /// All diagnostics (warnings and errors, file-level included).
    pub diagnostics: usize,
}

/// The result of reading one source file.
#[derive(Clone, Debug)]
pub struct SourceRead {
    /// The rows that entered the list, in file order.
    pub entries: Vec<Entry>,
    /// Problems found, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// Counts.
    pub counts: SourceCounts,
    /// The recognised format.
    pub format: FormatVariant,
}

/// The file is not in any format its reader knows; nothing was read.
#[derive(Debug, thiserror::Error)]
#[error("source {source_name:?} ({reader:?} reader): {kind}")]
pub struct FormatError {
    /// The source's authority name.
    pub source_name: String,
    /// The reader used.
    pub reader: ReaderKind,
    /// What went wrong.
    pub kind: FormatErrorKind,
}

/// Why a file was not recognised.
#[derive(Debug, thiserror::Error)]
pub enum FormatErrorKind {
    /// The file is empty or holds only blank lines.
    #[error("the file is empty; expected {expected}")]
    Empty {
        /// What the reader expects.
        expected: &'static str,
    },
    /// The header is not one the reader knows.
    #[error("unrecognised header {found:?}; expected {expected}")]
    UnrecognisedHeader {
        /// The first line as decoded (cut to 200 characters).
        found: String,
        /// What the reader expects.
        expected: &'static str,
    },
    /// The header names a column twice.
    #[error("the header names column {0:?} twice")]
    DuplicateColumn(String),
}

/// Reading from an `io::Read` failed: either the I/O or the format.
#[derive(Debug, thiserror::Error)]
pub enum ReadSourceError {
    /// The reader failed.
    #[error("reading source {source_name:?}: {error}")]
    Io {
        /// The source's authority name.
        source_name: String,
        /// The I/O error.
        #[source]
        error: io::Error,
    },
    /// The bytes are not in a known format.
    #[error(transparent)]
    Format(#[from] FormatError),
}

/// Reads one source file from its bytes. Pure: no I/O, no clock.
///
/// Bad rows are reported in [`SourceRead::diagnostics`] and never stop the other rows; only a
/// file whose header the reader does not know is a [`FormatError`].
pub fn read_source(config: &SourceConfig, bytes: &[u8]) -> Result<SourceRead, FormatError> {
    let format_error = |kind| FormatError {
        source_name: config.authority.clone(),
        reader: config.reader,
        kind,
    };
    let (text, encoding, bom) = decode(bytes);
    let mut diagnostics = Vec::new();
    // windows-1250 is MF's published encoding; for any other source it is worth a warning.
    if encoding == TextEncoding::Windows1250 && config.reader != ReaderKind::Mf {
        diagnostics.push(Diagnostic {
            line: 0,
            severity: Severity::Warning,
            problem: Problem::DecodedAsWindows1250,
        });
    }
    let Some(header_line) = text.lines().find(|l| !l.trim().is_empty()) else {
        return Err(format_error(FormatErrorKind::Empty {
            expected: config.reader.expected(),
        }));
    };
    let delimiter = detect_delimiter(header_line);
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    // The first non-blank record is the header (csv skips blank lines).
    let mut header = csv::StringRecord::new();
    match csv.read_record(&mut header) {
        Ok(true) => {}
        Ok(false) => {
            return Err(format_error(FormatErrorKind::Empty {
                expected: config.reader.expected(),
            }));
        }
        Err(e) => {
            return Err(format_error(FormatErrorKind::UnrecognisedHeader {
                found: format!("{} ({e})", cut(header_line)),
                expected: config.reader.expected(),
            }));
        }
    }
    let names: Vec<String> = header.iter().map(header_key).collect();
    for (i, n) in names.iter().enumerate() {
        if !n.is_empty() && names.iter().take(i).any(|earlier| earlier == n) {
            return Err(format_error(FormatErrorKind::DuplicateColumn(n.clone())));
        }
    }
    let columns = recognise(config.reader, &names).ok_or_else(|| {
        format_error(FormatErrorKind::UnrecognisedHeader {
            found: cut(header_line),
            expected: config.reader.expected(),
        })
    })?;
    let mut state = RowState {
        label: Arc::new(config.label()),
        labels: HashMap::new(),
        legal_bases: HashMap::new(),
        entries: Vec::new(),
        diagnostics,
        counts: SourceCounts::default(),
        dates: DateStyle::None,
        header_len: names.len(),
        header_names: header.iter().map(|s| s.trim().to_owned()).collect(),
    };
    // Line numbers are counted from byte offsets: the csv crate's own line counter does not
    // count CRLF line ends the same way as LF ones.
    let mut lines = LineCounter::default();
    state
        .entries
        .reserve(text.bytes().filter(|&b| b == b'\n').count());
    let mut record = csv::StringRecord::new();
    let mut last_error_at = None;
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {
                let line = record
                    .position()
                    .map_or(0, |p| lines.line_at(&text, p.byte()));
                state.row(&columns, &record, line);
            }
            Ok(false) => break,
            Err(e) => {
                let at = e.position().map(csv::Position::byte);
                // A reader that cannot advance past an error would loop forever.
                if at.is_some() && at == last_error_at {
                    break;
                }
                last_error_at = at;
                let line = at.map_or(0, |b| lines.line_at(&text, b));
                state.counts.rows += 1;
                state.error(line, Problem::Syntax(e.to_string()));
            }
        }
    }
    let RowState {
        entries,
        diagnostics,
        mut counts,
        dates,
        ..
    } = state;
    counts.entries = entries.len();
    counts.removed = entries.iter().filter(|e| e.removed().is_some()).count();
    counts.active = counts.entries - counts.removed;
    counts.not_dns_blockable = entries.iter().filter(|e| !e.dns_blockable()).count();
    counts.rejected = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    counts.diagnostics = diagnostics.len();
    Ok(SourceRead {
        entries,
        diagnostics,
        counts,
        format: FormatVariant {
            encoding,
            bom,
            delimiter,
            layout: columns.layout(),
            dates,
        },
    })
}

/// Whether the file's header names the decree's three columns `URL`, `DATUM_ZAPISU` and
/// `DATUM_VYMAZU` (case-insensitively, in any order, among others; BOM, `,` or `;`, UTF-8 or
/// windows-1250): the mark of a local list under Decree 569/2025 Sb., whoever publishes it.
/// Only the header is looked at.
pub fn has_decree_columns(bytes: &[u8]) -> bool {
    let (text, _, _) = decode(bytes);
    let Some(header_line) = text.lines().find(|l| !l.trim().is_empty()) else {
        return false;
    };
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(detect_delimiter(header_line))
        .has_headers(false)
        .flexible(true)
        .from_reader(header_line.as_bytes());
    let mut header = csv::StringRecord::new();
    if !matches!(csv.read_record(&mut header), Ok(true)) {
        return false;
    }
    let names: Vec<String> = header.iter().map(header_key).collect();
    ["url", "datum_zapisu", "datum_vymazu"]
        .iter()
        .all(|wanted| names.iter().any(|n| n == wanted))
}

/// Reads one source from an `io::Read` (the whole input is read into memory first).
pub fn read_source_from(
    config: &SourceConfig,
    mut input: impl io::Read,
) -> Result<SourceRead, ReadSourceError> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|error| ReadSourceError::Io {
            source_name: config.authority.clone(),
            error,
        })?;
    Ok(read_source(config, &bytes)?)
}

/// 1-based line numbers of increasing byte offsets, counted incrementally.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    newlines: u64,
}

impl LineCounter {
    fn line_at(&mut self, text: &str, byte: u64) -> u64 {
        let bytes = text.as_bytes();
        let mut target = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
        // After a CR the reported offset can sit on the LF before the record, and blank lines
        // are skipped: a record starts at its first byte that is not a line end.
        while let Some(b'\r' | b'\n') = bytes.get(target) {
            target += 1;
        }
        if target < self.offset {
            *self = Self::default();
        }
        self.newlines += bytes
            .get(self.offset..target)
            .unwrap_or_default()
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.offset = target;
        self.newlines + 1
    }
}

fn cut(s: &str) -> String {
    s.chars().take(200).collect()
}

fn decode(bytes: &[u8]) -> (Cow<'_, str>, TextEncoding, bool) {
    let (body, bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    match std::str::from_utf8(body) {
        Ok(s) => (Cow::Borrowed(s), TextEncoding::Utf8, bom),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1250.decode_without_bom_handling(body);
            (text, TextEncoding::Windows1250, bom)
        }
    }
}

/// `;` when the header has more `;` than `,` outside quotes, else `,`.
fn detect_delimiter(header: &str) -> u8 {
    let (mut semicolons, mut commas, mut quoted) = (0usize, 0usize, false);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => semicolons += 1,
            ',' if !quoted => commas += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

/// A header name compared case-insensitively with whitespace collapsed.
fn header_key(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

enum Columns {
    Mf8 {
        object: usize,
        address: usize,
        reasons: Option<usize>,
        entered: usize,
        removed: usize,
    },
    Mf6 {
        address: usize,
        entered: usize,
        removed: usize,
        account: Option<usize>,
    },
    Decree {
        url: usize,
        entered: usize,
        removed: Option<usize>,
        authority: Option<usize>,
        dataset: Option<usize>,
        legal_basis: Option<usize>,
    },
}

impl Columns {
    fn layout(&self) -> Layout {
        match self {
            Self::Mf8 { .. } => Layout::Mf8,
            Self::Mf6 { .. } => Layout::Mf6,
            Self::Decree {
                authority: Some(_),
                dataset: Some(_),
                ..
            } => Layout::Unified,
            Self::Decree { .. } => Layout::Decree,
        }
    }
}

fn recognise(reader: ReaderKind, names: &[String]) -> Option<Columns> {
    let find = |name: &str| names.iter().position(|n| n == name);
    if let (Some(url), Some(entered)) = (find("url"), find("datum_zapisu")) {
        return Some(Columns::Decree {
            url,
            entered,
            removed: find("datum_vymazu"),
            authority: find("zdroj"),
            dataset: find("nazev_datove_sady"),
            legal_basis: find("pravni_zaklad"),
        });
    }
    if reader != ReaderKind::Mf {
        return None;
    }
    if let (Some(object), Some(address), Some(entered), Some(removed)) = (
        find("objekt blokace"),
        find("adresa internetové stránky"),
        find("datum zápisu a zveřejnění na seznamu"),
        find("datum výmazu a zveřejnění na seznamu"),
    ) {
        return Some(Columns::Mf8 {
            object,
            address,
            reasons: find("důvody zápisu na seznam"),
            entered,
            removed,
        });
    }
    if let (Some(address), Some(entered), Some(removed)) = (
        find("adresa internetové stránky"),
        find("datum zveřejnění údajů is"),
        find("výmaz zveřejněných údajů is"),
    ) {
        return Some(Columns::Mf6 {
            address,
            entered,
            removed,
            account: find("jedinečný identifikátor platebního účtu"),
        });
    }
    None
}

struct RowState {
    label: Arc<SourceLabel>,
    labels: HashMap<(String, String), Arc<SourceLabel>>,
    legal_bases: HashMap<String, Arc<str>>,
    entries: Vec<Entry>,
    diagnostics: Vec<Diagnostic>,
    counts: SourceCounts,
    dates: DateStyle,
    header_len: usize,
    header_names: Vec<String>,
}

enum MfObject {
    Website,
    Application,
    PaymentAccount,
}

impl RowState {
    fn error(&mut self, line: u64, problem: Problem) {
        self.diagnostics.push(Diagnostic {
            line,
            severity: Severity::Error,
            problem,
        });
    }
    fn warning(&mut self, line: u64, problem: Problem) {
        self.diagnostics.push(Diagnostic {
            line,
            severity: Severity::Warning,
            problem,
        });
    }

    fn row(&mut self, columns: &Columns, r: &csv::StringRecord, line: u64) {
        if r.iter().all(|f| f.trim().is_empty()) {
            // `;;;;;;;` lines: not data, but never silently dropped.
            self.counts.rows += 1;
            self.warning(line, Problem::EmptyRow);
            return;
        }
        self.counts.rows += 1;
        if r.len() > self.header_len {
            self.warning(
                line,
                Problem::ExtraFields {
                    found: r.len(),
                    expected: self.header_len,
                },
            );
        }
        let field = |i: usize| r.get(i).map(str::trim).unwrap_or("");
        match *columns {
            Columns::Mf8 {
                object,
                address,
                reasons,
                entered,
                removed,
            } => {
                let kind = field(object);
                let object_kind = match kind.to_lowercase().as_str() {
                    "internetová stránka" => MfObject::Website,
                    "aplikace" => MfObject::Application,
                    "platební účet" => MfObject::PaymentAccount,
                    _ => {
                        self.error(line, Problem::UnknownObjectType(kind.to_owned()));
                        return;
                    }
                };
                match object_kind {
                    MfObject::Application => self.counts.applications += 1,
                    MfObject::PaymentAccount => self.counts.payment_accounts += 1,
                    MfObject::Website => {
                        self.counts.websites += 1;
                        if !self.enough_fields(r, &[address, entered], line) {
                            return;
                        }
                        let basis = reasons.map(field).filter(|s| !s.is_empty());
                        let basis = basis.map(|b| self.intern_basis(b));
                        let label = Arc::clone(&self.label);
                        self.website(
                            line,
                            field(address),
                            (entered, field(entered)),
                            (removed, field(removed)),
                            label,
                            basis,
                        );
                    }
                }
            }
            Columns::Mf6 {
                address,
                entered,
                removed,
                account,
            } => {
                if account.is_some_and(|a| !field(a).is_empty()) {
                    self.counts.payment_accounts += 1;
                }
                let has_website = [address, entered, removed]
                    .iter()
                    .any(|&i| !field(i).is_empty());
                if has_website {
                    self.counts.websites += 1;
                    if !self.enough_fields(r, &[address, entered], line) {
                        return;
                    }
                    let label = Arc::clone(&self.label);
                    self.website(
                        line,
                        field(address),
                        (entered, field(entered)),
                        (removed, field(removed)),
                        label,
                        None,
                    );
                }
            }
            Columns::Decree {
                url,
                entered,
                removed,
                authority,
                dataset,
                legal_basis,
            } => {
                self.counts.websites += 1;
                if !self.enough_fields(r, &[url, entered], line) {
                    return;
                }
                let label = match (
                    authority.map(field).filter(|s| !s.is_empty()),
                    dataset.map(field).filter(|s| !s.is_empty()),
                ) {
                    (None, None) => Arc::clone(&self.label),
                    (a, d) => {
                        let a = a.unwrap_or(&self.label.authority).to_owned();
                        let d = d.unwrap_or(&self.label.dataset).to_owned();
                        Arc::clone(
                            self.labels
                                .entry((a.clone(), d.clone()))
                                .or_insert_with(|| Arc::new(SourceLabel::new(a, d))),
                        )
                    }
                };
                let basis = legal_basis.map(field).filter(|s| !s.is_empty());
                let basis = basis.map(|b| self.intern_basis(b));
                let removed = removed.map_or((usize::MAX, ""), |i| (i, field(i)));
                self.website(
                    line,
                    field(url),
                    (entered, field(entered)),
                    removed,
                    label,
                    basis,
                );
            }
        }
    }

    fn enough_fields(&mut self, r: &csv::StringRecord, needed: &[usize], line: u64) -> bool {
        let need = needed.iter().max().map_or(0, |m| m + 1);
        if r.len() < need {
            self.error(
                line,
                Problem::MissingFields {
                    found: r.len(),
                    expected: self.header_len,
                },
            );
            false
        } else {
            true
        }
    }

    fn intern_basis(&mut self, basis: &str) -> Arc<str> {
        if let Some(b) = self.legal_bases.get(basis) {
            return Arc::clone(b);
        }
        let b: Arc<str> = Arc::from(basis);
        self.legal_bases.insert(basis.to_owned(), Arc::clone(&b));
        b
    }

    fn column_name(&self, i: usize) -> String {
        self.header_names.get(i).cloned().unwrap_or_default()
    }

    fn date(&mut self, line: u64, column: usize, value: &str) -> Result<Option<NaiveDate>, ()> {
        if value.is_empty() {
            return Ok(None);
        }
        match parse_date(value) {
            Some((d, style)) => {
                self.dates = match (self.dates, style) {
                    (DateStyle::None, s) => s,
                    (a, b) if a == b => a,
                    _ => DateStyle::Mixed,
                };
                Ok(Some(d))
            }
            None => {
                let column = self.column_name(column);
                self.error(
                    line,
                    Problem::InvalidDate {
                        column,
                        value: value.to_owned(),
                    },
                );
                Err(())
            }
        }
    }

    fn website(
        &mut self,
        line: u64,
        address: &str,
        (entered_col, entered): (usize, &str),
        (removed_col, removed): (usize, &str),
        label: Arc<SourceLabel>,
        basis: Option<Arc<str>>,
    ) {
        let before = self.diagnostics.len();
        if address.is_empty() {
            self.error(line, Problem::MissingAddress);
        }
        let entered = self.date(line, entered_col, entered);
        let removed = self.date(line, removed_col, removed);
        let entered = match entered {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                self.error(line, Problem::MissingEntryDate);
                None
            }
            Err(()) => None,
        };
        let (Some(entered), Ok(removed), true) =
            (entered, removed, self.diagnostics.len() == before)
        else {
            return;
        };
        if removed.is_some_and(|r| r < entered) {
            self.warning(line, Problem::RemovedBeforeEntered);
        }
        let entry = Entry::new(address, entered, removed, label, basis);
        if let Some(problem) = entry.address_problem() {
            self.warning(line, Problem::Address(problem));
        }
        self.entries.push(entry);
    }
}

/// Parses `yyyy-mm-dd` or `d.m.yyyy` (spaces after the dots allowed).
pub(crate) fn parse_date(value: &str) -> Option<(NaiveDate, DateStyle)> {
    let v = value.trim();
    let num = |s: &str, max_len: usize| -> Option<u32> {
        let s = s.trim();
        if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let mut iso = v.split('-');
    if let (Some(y), Some(m), Some(d), None) = (iso.next(), iso.next(), iso.next(), iso.next()) {
        if y.trim().len() == 4 {
            let date = NaiveDate::from_ymd_opt(num(y, 4)? as i32, num(m, 2)?, num(d, 2)?)?;
            return Some((date, DateStyle::Iso));
        }
        return None;
    }
    let mut cz = v.split('.');
    if let (Some(d), Some(m), Some(y), None) = (cz.next(), cz.next(), cz.next(), cz.next())
        && y.trim().len() == 4
    {
        let date = NaiveDate::from_ymd_opt(num(y, 4)? as i32, num(m, 2)?, num(d, 2)?)?;
        return Some((date, DateStyle::Czech));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2023, 1, 4).unwrap();
        assert_eq!(parse_date("2023-01-04"), Some((d, DateStyle::Iso)));
        assert_eq!(parse_date("04.01.2023"), Some((d, DateStyle::Czech)));
        assert_eq!(parse_date("4. 1. 2023"), Some((d, DateStyle::Czech)));
        for bad in [
            "2023-02-30",
            "31.11.2023",
            "2023/01/04",
            "x",
            "23-01-04",
            "1.1.23",
            "+202-1-1",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn delimiter() {
        assert_eq!(detect_delimiter("URL;DATUM_ZAPISU;DATUM_VYMAZU"), b';');
        assert_eq!(
            detect_delimiter("\"URL\",\"DATUM_ZAPISU\",\"DATUM_VYMAZU\""),
            b','
        );
        assert_eq!(detect_delimiter("a;\"b;c\";d,e"), b';');
    }
}
