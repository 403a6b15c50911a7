//! The Czech open-data CSV standard as a profile on top of the W3C CSV on the Web model.
//!
//! [`check_profile`] runs two layers over one CSV file and its CSVW metadata and merges their
//! findings into one report:
//!
//! 1. **CSVW** (the `csvw` crate in strict validation mode): the metadata is parsed and
//!    normalised, the header is checked against the column `titles`, every cell against its
//!    datatype, format, bounds and `required`, rows against the primary and foreign keys.
//! 2. **Czech standard** (data.gov.cz): the byte-level rules of this crate's streaming
//!    [`validate_reader`] (UTF-8 without BOM, comma, CRLF, quoting, padding, `null`, empty
//!    rows, values in the XSD lexical form of their type), the metadata rules of
//!    [`parse_descriptor`] (`@context` with `"@language": "cs"`, ASCII column names) and the
//!    profile rules on the normalised CSVW model: a dialect must not depart from the standard,
//!    a datatype `format` must not allow values outside the XSD lexical form, and the metadata
//!    should give the properties the data.gov.cz schema page lists.
//!
//! Where both layers see the same problem, CSVW's finding is kept: `required` and the header
//! against `titles` are CSVW's rules; a cell whose value CSVW already rejected (or a row CSVW
//! already found ragged) gets no second Czech finding.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};

use csvw::datatype::{Format, is_numeric_type};
use csvw::{FileFetcher, IgnoreRows, Options, Processor, Url};
use serde::Serialize;
use serde_json::Value;

use crate::descriptor::{ExpectedColumn, ExpectedTable, parse_descriptor};
use crate::validate::{Summary, Violation, ViolationKind, validate_reader};
use crate::{Datatype, locate_metadata, metadata_path_for};

/// Which rule set a finding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleSource {
    /// The W3C CSV on the Web Recommendations (strict validation).
    Csvw,
    /// The Czech open-data CSV standard (data.gov.cz).
    CzechStandard,
}

impl fmt::Display for RuleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Csvw => "CSVW",
            Self::CzechStandard => "Czech standard",
        })
    }
}

/// Whether a finding breaks conformance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingSeverity {
    /// The file does not conform.
    Error,
    /// A recommendation is not followed, or CSVW had to fall back to a default.
    Warning,
}

/// One problem found by [`check_profile`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule set.
    pub source: RuleSource,
    /// Error or warning.
    pub severity: FindingSeverity,
    /// The rule broken: a stable kebab-case code. Czech rules use the codes of
    /// [`ViolationKind`] plus `dialect`, `datatype-format`, `missing-property` and
    /// `unusable-metadata`; CSVW findings are `csvw-metadata`, `csvw-table`, `csvw-row` or
    /// `csvw-cell` by where they are (the message says which CSVW rule).
    pub rule: String,
    /// The file concerned (the CSV, or the metadata for metadata rules).
    pub file: PathBuf,
    /// 1-based record number in the CSV (the header is record 1), for row and cell findings.
    pub row: Option<u64>,
    /// 1-based column number, for cell findings.
    pub column: Option<usize>,
    /// The column's name from the metadata (or the header), when known.
    pub column_name: Option<String>,
    /// What is wrong, with the offending value.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(row) = self.row {
            write!(f, ", row {row}")?;
        }
        if let Some(column) = self.column {
            write!(f, ", column {column}")?;
        }
        if let Some(name) = &self.column_name {
            write!(f, " ({name})")?;
        }
        let severity = match self.severity {
            FindingSeverity::Error => "error",
            FindingSeverity::Warning => "warning",
        };
        write!(
            f,
            ": {severity} [{}: {}] {}",
            self.source, self.rule, self.message
        )
    }
}

/// The outcome of [`check_profile`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileReport {
    /// The CSV file checked.
    pub csv: PathBuf,
    /// The metadata used, if one was given or found.
    pub metadata: Option<PathBuf>,
    /// Records and bytes read by the byte-level validator.
    pub records: u64,
    /// Size of the CSV file.
    pub bytes: u64,
    /// Every finding: metadata findings first, then by row and column.
    pub findings: Vec<Finding>,
}

impl ProfileReport {
    /// The findings that break conformance.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == FindingSeverity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == FindingSeverity::Warning)
    }

    /// Whether the file conforms to both CSVW and the Czech standard (warnings allowed).
    #[must_use]
    pub fn conforms(&self) -> bool {
        self.errors().next().is_none()
    }
}

/// Why a file could not be checked at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// Reading the CSV or the metadata failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A path that cannot be turned into a `file:` URL.
    #[error("cannot make a URL of {0}")]
    Path(PathBuf),
}

/// Checks `csv` against CSVW (strict) and the Czech open-data standard, one report for both.
///
/// CSVW (the `csvw` crate in validation mode) checks the metadata, the header against the
/// column `titles`, every cell against its datatype, format and `required`, and the keys.
/// The Czech standard adds the byte rules of [`validate_reader`](crate::validate_reader)
/// (UTF-8 without BOM, comma, CRLF, quoting, padding, `null`, values in XSD lexical form), the
/// metadata rules of [`parse_descriptor`](crate::parse_descriptor) (`@context`, column names)
/// and the profile's rules on the normalised model: the dialect, datatype formats and the
/// properties the data.gov.cz schema page lists. A problem both layers see is reported once,
/// by CSVW.
///
/// The metadata is `metadata` when given, otherwise `<csv>-metadata.json`, then
/// `csv-metadata.json` beside the file (the CSVW default locations for a local file). Without
/// metadata, the Czech `missing-metadata` rule is broken and CSVW checks the file against its
/// embedded metadata (the header) only.
///
/// # Errors
/// [`ProfileError`] when a file cannot be read; every problem in the data or the metadata is
/// a [`Finding`].
pub fn check_profile(csv: &Path, metadata: Option<&Path>) -> Result<ProfileReport, ProfileError> {
    let mut findings = Vec::new();
    let summary = check_profile_streaming(csv, metadata, &mut |f| findings.push(f))?;
    // Metadata-level findings first, then by position; the sort is stable, so findings at
    // one place keep the order CSVW, Czech standard.
    findings.sort_by_key(position);
    Ok(ProfileReport {
        csv: summary.csv,
        metadata: summary.metadata,
        records: summary.records,
        bytes: summary.bytes,
        findings,
    })
}

/// Where a finding is, for ordering: metadata-level first, then row, then column.
fn position(finding: &Finding) -> (bool, Option<u64>, Option<usize>) {
    (finding.row.is_some(), finding.row, finding.column)
}

/// The totals of [`check_profile_streaming`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileSummary {
    /// The CSV file checked.
    pub csv: PathBuf,
    /// The metadata used, if one was given or found.
    pub metadata: Option<PathBuf>,
    /// Records read by the byte-level validator (the header included).
    pub records: u64,
    /// Size of the CSV file.
    pub bytes: u64,
    /// Findings per rule, in order of first appearance.
    pub rules: Vec<RuleCount>,
}

impl ProfileSummary {
    /// Number of findings of `severity`, from `source` when given.
    #[must_use]
    pub fn count(&self, severity: FindingSeverity, source: Option<RuleSource>) -> u64 {
        self.rules
            .iter()
            .filter(|r| r.severity == severity && source.is_none_or(|s| s == r.source))
            .map(|r| r.count)
            .sum()
    }
}

/// How often one rule was broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    /// The rule set.
    pub source: RuleSource,
    /// Error or warning.
    pub severity: FindingSeverity,
    /// The rule code (as in [`Finding::rule`]).
    pub rule: String,
    /// Number of findings.
    pub count: u64,
}

/// Like [`check_profile`], but each finding goes to `sink` as soon as it is known, so memory
/// does not grow with the number of findings (a 100 MB file can have millions). Metadata
/// findings come first, then row findings by row (CSVW's and the Czech layer's merged).
///
/// # Errors
/// As [`check_profile`].
pub fn check_profile_streaming(
    csv: &Path,
    metadata: Option<&Path>,
    sink: &mut dyn FnMut(Finding),
) -> Result<ProfileSummary, ProfileError> {
    let io_error = |path: &Path| {
        let path = path.to_owned();
        move |source| ProfileError::Io { path, source }
    };
    // Open first, so that a missing CSV is an I/O error rather than a CSVW finding. Canonical
    // paths make the file URL the same as the one CSVW resolves from the metadata's `url`.
    let file = File::open(csv).map_err(io_error(csv))?;
    let csv_abs = std::fs::canonicalize(csv).map_err(io_error(csv))?;
    let metadata_path = match metadata {
        Some(path) => Some(path.to_owned()),
        None => locate_metadata(csv),
    };
    let mut findings = Vec::new();

    // Layer 1: CSVW.
    let csv_url = file_url(&csv_abs)?;
    let metadata_abs = metadata_path
        .as_deref()
        .map(|p| std::fs::canonicalize(p).map_err(io_error(p)))
        .transpose()?;
    let fetcher = FileFetcher::new();
    let mut processor = Processor::new(
        &fetcher,
        Options {
            validate: true,
            user_metadata: metadata_abs.as_deref().map(file_url).transpose()?,
        },
    );
    // The rows are checked as they are read and not kept; only the table's columns and
    // dialect are needed afterwards.
    let result = processor.process_tabular_streaming(&csv_url, &mut IgnoreRows);
    let diagnostics = std::mem::take(&mut processor.diagnostics);
    let table = match result {
        Ok(group) => {
            let position = group
                .tables
                .iter()
                .position(|t| Url::parse(&t.url).is_ok_and(|u| u == csv_url));
            match position {
                Some(i) => group.tables.into_iter().nth(i),
                None => {
                    findings.push(Finding {
                        source: RuleSource::Csvw,
                        severity: FindingSeverity::Error,
                        rule: "csvw-metadata".to_owned(),
                        file: metadata_path.clone().unwrap_or_else(|| csv.to_owned()),
                        row: None,
                        column: None,
                        column_name: None,
                        message: format!(
                            "the metadata describes {}, not the checked file",
                            group
                                .tables
                                .iter()
                                .map(|t| url_to_display(&t.url))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                    None
                }
            }
        }
        Err(csvw::Error::Io { url, source }) => {
            return Err(ProfileError::Io {
                path: PathBuf::from(url_to_display(&url)),
                source,
            });
        }
        Err(csvw::Error::NotFound { url }) => {
            return Err(ProfileError::Io {
                path: PathBuf::from(url_to_display(&url)),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "not found"),
            });
        }
        Err(fatal) => {
            // The metadata (or the file) is unusable for CSVW: one finding, and the Czech
            // byte rules still run.
            let (file, rule) = match &fatal {
                csvw::Error::Metadata { url, .. } => (url_to_display(url), "csvw-metadata"),
                csvw::Error::Tabular { url, .. } => (url_to_display(url), "csvw-table"),
                _ => (csv.display().to_string(), "csvw-metadata"),
            };
            findings.push(Finding {
                source: RuleSource::Csvw,
                severity: FindingSeverity::Error,
                rule: rule.to_owned(),
                file: PathBuf::from(file),
                row: None,
                column: None,
                column_name: None,
                message: fatal.to_string(),
            });
            None
        }
    };
    let column_name = |number: usize| -> Option<String> {
        table.as_ref().and_then(|t| {
            t.columns
                .iter()
                .find(|c| c.number == number && !c.virtual_)
                .map(|c| decoded_name(&c.name))
        })
    };
    let mut csvw_errors: HashSet<(u64, Option<usize>)> = HashSet::new();
    for diagnostic in diagnostics.items {
        let row = diagnostic.row.map(|r| r as u64);
        let severity = match diagnostic.severity {
            csvw::Severity::Error => FindingSeverity::Error,
            csvw::Severity::Warning => FindingSeverity::Warning,
        };
        let is_csv = Url::parse(&diagnostic.url).is_ok_and(|u| u == csv_url);
        // Only this file's cells can hide a Czech finding (a group may hold other tables).
        if let (Some(r), FindingSeverity::Error, true) = (row, severity, is_csv) {
            csvw_errors.insert((r, diagnostic.column));
        }
        let rule = match (diagnostic.row, diagnostic.column) {
            (Some(_), Some(_)) => "csvw-cell",
            (Some(_), None) => "csvw-row",
            _ if is_csv => "csvw-table",
            _ => "csvw-metadata",
        };
        findings.push(Finding {
            source: RuleSource::Csvw,
            severity,
            rule: rule.to_owned(),
            file: if is_csv {
                csv.to_owned()
            } else {
                PathBuf::from(url_to_display(&diagnostic.url))
            },
            row,
            column: diagnostic.column,
            column_name: diagnostic.column.and_then(column_name),
            message: diagnostic.message,
        });
    }

    // Layer 2: the Czech standard on the metadata.
    let mut expected = None;
    match (&metadata_path, &table) {
        (None, _) => findings.push(czech(
            csv,
            "missing-metadata",
            FindingSeverity::Error,
            format!(
                "no CSVW metadata found ({} or csv-metadata.json); every CSV needs a schema",
                metadata_path_for(csv).display()
            ),
        )),
        (Some(path), table) => {
            let json = std::fs::read_to_string(path).map_err(io_error(path))?;
            match parse_descriptor(&json, path.parent()) {
                Ok((_, violations)) => {
                    for v in violations {
                        // Unknown datatypes are CSVW's to report (it falls back to string).
                        if v.kind != ViolationKind::UnknownDatatype {
                            findings.push(czech(
                                path,
                                v.kind.code(),
                                FindingSeverity::Error,
                                v.message,
                            ));
                        }
                    }
                }
                Err(e) => findings.push(czech(
                    path,
                    "unusable-metadata",
                    FindingSeverity::Error,
                    format!("{e} (the standard wants one descriptor per CSV file)"),
                )),
            }
            if let Some(table) = table {
                profile_rules(path, table, &mut findings);
                expected = Some(expected_table(table));
            }
        }
    }

    let mut rules: Vec<RuleCount> = Vec::new();
    let mut emit = |finding: Finding| {
        match rules.iter_mut().find(|r| {
            r.source == finding.source && r.severity == finding.severity && r.rule == finding.rule
        }) {
            Some(r) => r.count += 1,
            None => rules.push(RuleCount {
                source: finding.source,
                severity: finding.severity,
                rule: finding.rule.clone(),
                count: 1,
            }),
        }
        sink(finding);
    };
    // Metadata-level findings go out now; CSVW's row findings wait to be merged by row with
    // the byte layer's, which arrive in file order.
    let (mut pending, metadata_level): (Vec<Finding>, Vec<Finding>) =
        findings.into_iter().partition(|f| f.row.is_some());
    for finding in metadata_level {
        emit(finding);
    }
    pending.sort_by_key(position);
    let mut pending = std::collections::VecDeque::from(pending);

    // Layer 2: the Czech standard on the bytes.
    let schema_checked = expected.is_some();
    let summary: Summary = validate_reader(file, expected.as_ref(), &mut |v: Violation| {
        let owned_by_csvw = schema_checked
            && matches!(
                v.kind,
                ViolationKind::MissingRequired
                    | ViolationKind::HeaderColumnCount
                    | ViolationKind::HeaderTitleMismatch
                    | ViolationKind::HeaderNameMismatch
            );
        let seen_by_csvw = matches!(
            v.kind,
            ViolationKind::DatatypeMismatch | ViolationKind::RaggedRow
        ) && v
            .record
            .is_some_and(|r| csvw_errors.contains(&(r, v.field)));
        if owned_by_csvw || seen_by_csvw {
            return;
        }
        let finding = Finding {
            source: RuleSource::CzechStandard,
            severity: FindingSeverity::Error,
            rule: v.kind.code().to_owned(),
            file: csv.to_owned(),
            row: v.record,
            column: v.field,
            column_name: v.field.and_then(column_name),
            message: v.message,
        };
        while pending
            .front()
            .is_some_and(|csvw| position(csvw) <= position(&finding))
        {
            if let Some(csvw) = pending.pop_front() {
                emit(csvw);
            }
        }
        emit(finding);
    })
    .map_err(io_error(csv))?;
    for csvw in pending {
        emit(csvw);
    }
    Ok(ProfileSummary {
        csv: csv.to_owned(),
        metadata: metadata_path,
        records: summary.records,
        bytes: summary.bytes,
        rules,
    })
}

fn czech(file: &Path, rule: &str, severity: FindingSeverity, message: String) -> Finding {
    Finding {
        source: RuleSource::CzechStandard,
        severity,
        rule: rule.to_owned(),
        file: file.to_owned(),
        row: None,
        column: None,
        column_name: None,
        message,
    }
}

/// CSVW column names are percent-encoded URI fragments; people read them decoded.
fn decoded_name(name: &str) -> String {
    percent_encoding::percent_decode_str(name)
        .decode_utf8_lossy()
        .into_owned()
}

fn file_url(path: &Path) -> Result<Url, ProfileError> {
    Url::from_file_path(path).map_err(|()| ProfileError::Path(path.to_owned()))
}

/// A `file:` URL as a local path; any other URL as it is.
fn url_to_display(url: &str) -> String {
    Url::parse(url)
        .ok()
        .filter(|u| u.scheme() == "file")
        .and_then(|u| u.to_file_path().ok())
        .map_or_else(|| url.to_owned(), |p| p.display().to_string())
}

/// What the byte-level validator checks values against: the CSVW columns with the XSD
/// lexical rules of their base datatype (a CSVW `format` does not relax the Czech rules).
fn expected_table(table: &csvw::table::Table) -> ExpectedTable {
    ExpectedTable {
        url: Some(table.url.clone()),
        columns: table
            .columns
            .iter()
            .filter(|c| !c.virtual_)
            .map(|c| ExpectedColumn {
                name: Some(c.name.clone()),
                titles: c.titles.iter().map(|(t, _)| t.clone()).collect(),
                datatype: Datatype::from_csvw_name(c.datatype.base),
                required: c.props.required.unwrap_or(false),
            })
            .collect(),
    }
}

fn common_has(common: &[(String, Value)], names: &[&str]) -> bool {
    common.iter().any(|(key, value)| {
        names.contains(&key.as_str())
            && match value {
                Value::String(s) => !s.trim().is_empty(),
                Value::Null => false,
                Value::Array(items) => !items.is_empty(),
                _ => true,
            }
    })
}

/// The profile's own rules on the normalised CSVW model of the table.
fn profile_rules(metadata: &Path, table: &csvw::table::Table, findings: &mut Vec<Finding>) {
    use FindingSeverity::{Error, Warning};

    let mut rule = |name: &str, severity, column: Option<&csvw::table::Column>, message: String| {
        findings.push(Finding {
            column: column.map(|c| c.number),
            column_name: column.map(|c| decoded_name(&c.name)),
            ..czech(metadata, name, severity, message)
        });
    };

    // Rules 1–3 and 9: UTF-8, comma, double quotes doubled, one header row, nothing skipped.
    let d = &table.dialect;
    let encoding = encoding_rs::Encoding::for_label(d.encoding.as_bytes());
    if encoding != Some(encoding_rs::UTF_8) {
        rule(
            "dialect",
            Error,
            None,
            format!(
                "the dialect declares the encoding {:?}; the standard allows only UTF-8",
                d.encoding
            ),
        );
    }
    if d.delimiter != "," {
        rule(
            "dialect",
            Error,
            None,
            format!(
                "the dialect declares the delimiter {:?}; the standard allows only ',' (comma)",
                d.delimiter
            ),
        );
    }
    if d.quote_char != Some('"') || !d.double_quote {
        rule(
            "dialect",
            Error,
            None,
            "the dialect changes quoting; the standard quotes with '\"' and doubles inner quotes"
                .to_owned(),
        );
    }
    if !d.header || d.header_row_count != 1 {
        rule(
            "dialect",
            Error,
            None,
            format!(
                "the dialect declares {} header rows; the standard has exactly one header row",
                if d.header { d.header_row_count } else { 0 }
            ),
        );
    }
    if d.skip_rows != 0 || d.skip_columns != 0 {
        rule(
            "dialect",
            Error,
            None,
            format!(
                "the dialect skips {} rows and {} columns; the standard allows no rows or \
                 columns besides the header and the data",
                d.skip_rows, d.skip_columns
            ),
        );
    }

    // Rule 15 (schema page): the table and column properties publishers are asked to give.
    if !common_has(
        &table.common,
        &["dc:title", "http://purl.org/dc/terms/title"],
    ) {
        rule(
            "missing-property",
            Warning,
            None,
            "the table has no dc:title".to_owned(),
        );
    }
    if table.primary_key.is_empty() {
        rule(
            "missing-property",
            Warning,
            None,
            "the schema has no primaryKey".to_owned(),
        );
    }
    for column in table.columns.iter().filter(|c| !c.virtual_) {
        let base = column.datatype.base;
        // Rules 4–6 and 13: values are in the XSD lexical form of their type.
        let departs = match &column.datatype.format {
            Format::None | Format::Regex(_) => None,
            Format::DateTime(pattern) if pattern.is_xsd_form() => None,
            Format::DateTime(_) => Some("a date/time pattern other than the ISO 8601 form"),
            Format::Number(number)
                if is_numeric_type(base)
                    && (number.decimal_char != '.'
                        || number.group_char.is_some()
                        || number.pattern.is_some()) =>
            {
                Some("a number format (pattern, grouping or decimal character)")
            }
            Format::Number(_) => None,
            Format::Boolean(t, f)
                if matches!((t.as_str(), f.as_str()), ("true", "false") | ("1", "0")) =>
            {
                None
            }
            Format::Boolean(..) => Some("boolean words other than true/false or 1/0"),
        };
        if let Some(what) = departs {
            rule(
                "datatype-format",
                Error,
                Some(column),
                format!(
                    "the {base} column declares {what}; the standard writes values in the \
                     xsd:{base} lexical form"
                ),
            );
        }
        if column.titles.is_empty() {
            rule(
                "missing-property",
                Error,
                Some(column),
                "the column has no titles (the header cannot be checked)".to_owned(),
            );
        }
        if column.props.datatype.is_none() {
            rule(
                "missing-property",
                Warning,
                Some(column),
                "the column has no datatype (CSVW reads it as string)".to_owned(),
            );
        }
        if !common_has(
            &column.common,
            &["dc:description", "http://purl.org/dc/terms/description"],
        ) {
            rule(
                "missing-property",
                Warning,
                Some(column),
                "the column has no dc:description".to_owned(),
            );
        }
    }
}
