//! One source's way through an update, on its own: detect → fetch → read → guard → keep or
//! fall back. Whatever happens to one source, the result is a [`SourceOutcome`] value: this
//! run's copy when everything passed, else the last good copy (stale), else nothing (missing).
//! The page, `stav.json`, the manifest, the state and the exit code all read that value.

use crate::discover::{Located, MatchedBy};
use crate::state::{Health, LastGood, SourceState, StateDir};
use blocklist_model::{
    FormatErrorKind, FormatVariant, GuardError, Guards, ReaderKind, SourceConfig, SourceCounts,
    SourceRead,
};
use chrono::{DateTime, NaiveDate, Utc};
use nkod_client::{Downloader, Fetched, Validators};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The step at which a source failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Finding the dataset and its CSV distribution in the catalogue.
    Detect,
    /// Downloading it.
    Fetch,
    /// Reading it.
    Read,
    /// The guards on what was read.
    Guard,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Detect => "detect",
            Self::Fetch => "fetch",
            Self::Read => "read",
            Self::Guard => "guard",
        })
    }
}

/// Why a source could not be used on this run: the stage, the rule broken (a short code such
/// as `http-status`, `no-header` or `shrink`) and a message naming the URL, status or row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFailure {
    /// Where it failed.
    pub stage: Stage,
    /// The rule broken.
    pub rule: String,
    /// What happened, for people.
    pub message: String,
    /// The URL involved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The HTTP status, when a server answered with an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The line of the file, when a row or the header is at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl SourceFailure {
    /// A failure with a stage, a rule and a message.
    pub fn new(stage: Stage, rule: &str, message: String) -> Self {
        Self {
            stage,
            rule: rule.to_owned(),
            message,
            url: None,
            http_status: None,
            line: None,
        }
    }

    /// A failed download.
    pub fn download(url: &str, error: &nkod_client::Error) -> Self {
        use nkod_client::Error as E;
        let (rule, status) = match error {
            E::Status { status, .. } => ("http-status", Some(*status)),
            E::Timeout { .. } => ("timeout", None),
            E::Truncated { .. } => ("truncated-body", None),
            E::TooLarge { .. } => ("too-large", None),
            E::Dns { .. } | E::Connect { .. } | E::Tls { .. } => ("connection", None),
            E::Redirect { .. } => ("redirect", None),
            _ => ("download", None),
        };
        Self {
            url: Some(url.to_owned()),
            http_status: status,
            ..Self::new(
                Stage::Fetch,
                rule,
                format!("download of {url} failed: {error}"),
            )
        }
    }
}

impl fmt::Display for SourceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]: {}", self.stage, self.rule, self.message)
    }
}

/// How this run's copy compares with the last good one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceStatus {
    /// The catalogue's modification date is the one seen last time: nothing was downloaded.
    UnchangedByDate,
    /// The server answered the conditional GET with 304.
    NotModified,
    /// A body came but its hash equals the last good file's.
    UnchangedByHash,
    /// New or changed content.
    Changed,
}

impl SourceStatus {
    /// The name used in `stav.json` and the log.
    pub fn name(self) -> &'static str {
        match self {
            Self::UnchangedByDate => "unchanged-by-date",
            Self::NotModified => "not-modified",
            Self::UnchangedByHash => "unchanged-by-hash",
            Self::Changed => "changed",
        }
    }
}

/// Where a source's rows come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A local list found in NKOD.
    Catalogue,
    /// The operator's hand-kept entries (MZV sanctions on MZV's written notice).
    Manual,
}

/// The copy of a source whose rows go into the list: its bytes, where they came from and
/// what the reader made of them.
#[derive(Debug, Clone)]
pub struct CopyInUse {
    /// The file as downloaded (or as the hand-kept store renders it).
    pub bytes: Vec<u8>,
    /// Where the bytes came from and their validators (what becomes the last good copy).
    pub origin: LastGood,
    /// The reader's counts.
    pub counts: SourceCounts,
    /// The format variant recognised.
    pub format: FormatVariant,
}

impl CopyInUse {
    /// The source configuration its rows are read with.
    pub fn config(&self, reader: ReaderKind) -> SourceConfig {
        SourceConfig::new(
            self.origin.authority.clone(),
            self.origin.dataset_title.clone(),
            reader,
        )
    }
}

/// Which dataset a source is, as far as this run knows: the dataset found in the catalogue,
/// else the last good copy's, else the configuration's names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceIdentity {
    /// `ZDROJ`: the publisher's name.
    pub authority: String,
    /// `NAZEV_DATOVE_SADY`: the dataset title.
    pub dataset_title: String,
    /// The NKOD dataset IRI.
    pub dataset_iri: Option<String>,
    /// The NKOD distribution IRI.
    pub distribution_iri: Option<String>,
    /// The download URL (the embedded catalogue's without its port).
    pub distribution_url: Option<String>,
}

/// What happened to one source on this run, and what the list uses of it.
#[derive(Debug, Clone)]
pub struct SourceOutcome {
    /// The source id (`mf`, …, `rucni`).
    pub id: String,
    /// Which dataset it is.
    pub identity: SourceIdentity,
    /// Catalogue or hand-kept.
    pub kind: SourceKind,
    /// The reader for its file.
    pub reader: ReaderKind,
    /// When it was tried.
    pub attempted_at: DateTime<Utc>,
    /// This run's verdict when it passed; `None` when it failed.
    pub status: Option<SourceStatus>,
    /// Why it failed, when it did.
    pub failure: Option<SourceFailure>,
    /// Current, stale (last good copy in use) or missing (no rows).
    pub health: Health,
    /// Since when it has had that health.
    pub since: DateTime<Utc>,
    /// The last run on which it passed.
    pub last_success: Option<DateTime<Utc>>,
    /// The validity date of that run.
    pub data_valid_as_of: Option<NaiveDate>,
    /// The staleness alarm: stale for longer than the configured age.
    pub alarm: bool,
    /// The copy in use (`None` when missing).
    pub copy: Option<CopyInUse>,
    /// How the dataset was found in the catalogue.
    pub matched_by: Option<MatchedBy>,
    /// Lines worth logging (a renamed dataset, a pinned IRI gone).
    pub notes: Vec<String>,
    /// The reader's diagnostics for this run's copy (bad rows).
    pub diagnostics: Vec<String>,
}

impl SourceOutcome {
    /// Entries the list takes from this source.
    pub fn entries(&self) -> usize {
        self.copy.as_ref().map_or(0, |c| c.counts.entries)
    }

    /// Whether this run's content differs from the last good copy.
    pub fn changed(&self) -> bool {
        self.status == Some(SourceStatus::Changed)
    }

    /// The outcome word for `stav.json` and the state: the status, or `failed`.
    pub fn outcome_name(&self) -> &'static str {
        self.status.map_or("failed", SourceStatus::name)
    }

    /// The validity date of the run that last confirmed the rows in use: this run's for a
    /// current source, the last successful one's for a stale source.
    pub fn data_valid_as_of(&self) -> Option<NaiveDate> {
        self.copy.as_ref()?;
        self.data_valid_as_of
    }

    /// What the state keeps of it for the next run.
    pub fn record(&self) -> SourceState {
        SourceState {
            last_good: self.copy.as_ref().map(|c| c.origin.clone()),
            health: self.health,
            since: Some(self.since),
            reason: self.failure.as_ref().map(ToString::to_string),
            rule: self.failure.as_ref().map(|f| f.rule.clone()),
            alarm: self.alarm,
            last_success: self.last_success,
            data_valid_as_of: self.data_valid_as_of,
            last_attempt: Some(self.attempted_at),
            last_outcome: Some(self.outcome_name().to_owned()),
        }
    }

    /// Builds the outcome from this run's attempt and the source's previous state: the copy
    /// when the attempt passed, else the last good copy, else none.
    pub fn settle(
        pass: Passed,
        attempt: Result<AttemptOk, SourceFailure>,
        previous: Option<&SourceState>,
        fallback: impl FnOnce() -> Result<Option<CopyInUse>, SourceFailure>,
        max_source_age: chrono::Duration,
    ) -> Self {
        let now = pass.attempted_at;
        let confirmed_as_of = match &attempt {
            Ok(_) => Some(pass.valid_as_of),
            Err(_) => previous.and_then(|p| {
                p.data_valid_as_of
                    .or_else(|| p.last_success.map(prague_date))
            }),
        };
        let (status, failure, copy, health, last_success) = match attempt {
            Ok(ok) => (
                Some(ok.status),
                None,
                Some(ok.copy),
                Health::Current,
                Some(now),
            ),
            Err(failure) => {
                let last_success = previous.and_then(|p| p.last_success);
                match fallback() {
                    Ok(Some(copy)) => {
                        (None, Some(failure), Some(copy), Health::Stale, last_success)
                    }
                    Ok(None) => (None, Some(failure), None, Health::Missing, last_success),
                    Err(second) => {
                        let mut failure = failure;
                        failure.message = format!(
                            "{}; and its last good copy cannot be used: {}",
                            failure.message, second.message
                        );
                        (None, Some(failure), None, Health::Missing, last_success)
                    }
                }
            }
        };
        let since = previous
            .filter(|p| p.health == health)
            .and_then(|p| p.since)
            .unwrap_or(now);
        let confirmed = last_success.unwrap_or(since);
        // The alarm is about rows in use that nobody has confirmed for too long.
        let alarm = health == Health::Stale && now - confirmed > max_source_age;
        Self {
            id: pass.id,
            identity: pass.identity,
            kind: pass.kind,
            reader: pass.reader,
            attempted_at: now,
            status,
            failure,
            health,
            since,
            last_success,
            data_valid_as_of: confirmed_as_of,
            alarm,
            copy,
            matched_by: pass.matched_by,
            notes: pass.notes,
            diagnostics: pass.diagnostics,
        }
    }
}

/// What every outcome carries whatever happened.
#[derive(Debug, Clone)]
pub struct Passed {
    /// The source id.
    pub id: String,
    /// Which dataset it is.
    pub identity: SourceIdentity,
    /// Catalogue or hand-kept.
    pub kind: SourceKind,
    /// The reader.
    pub reader: ReaderKind,
    /// When it was tried.
    pub attempted_at: DateTime<Utc>,
    /// The validity date of this run.
    pub valid_as_of: NaiveDate,
    /// How its dataset was found.
    pub matched_by: Option<MatchedBy>,
    /// Lines worth logging.
    pub notes: Vec<String>,
    /// Reader diagnostics.
    pub diagnostics: Vec<String>,
}

/// An attempt that passed every stage.
#[derive(Debug, Clone)]
pub struct AttemptOk {
    /// How it compares with the last good copy.
    pub status: SourceStatus,
    /// The copy.
    pub copy: CopyInUse,
}

/// The Prague calendar date of an instant.
pub fn prague_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&chrono_tz::Europe::Prague).date_naive()
}

/// The reader configured by name.
pub fn reader_kind(name: &str) -> ReaderKind {
    match name {
        "mf" => ReaderKind::Mf,
        "sukl" => ReaderKind::Sukl,
        "szpi" => ReaderKind::Szpi,
        "uskvbl" => ReaderKind::Uskvbl,
        "mzv" => ReaderKind::MzvSanctions,
        _ => ReaderKind::Decree,
    }
}

/// The name of a reader as configured (and recorded in the manifest).
pub fn reader_name(kind: ReaderKind) -> &'static str {
    match kind {
        ReaderKind::Mf => "mf",
        ReaderKind::Sukl => "sukl",
        ReaderKind::Szpi => "szpi",
        ReaderKind::Uskvbl => "uskvbl",
        ReaderKind::MzvSanctions => "mzv",
        ReaderKind::Decree => "decree",
    }
}

/// A fetched file, before reading.
#[derive(Debug, Clone)]
pub struct FetchedFile {
    /// How it compares with the last good copy.
    pub status: SourceStatus,
    /// The bytes (for an unchanged source, the cached last good copy).
    pub bytes: Vec<u8>,
    /// Validators for the next conditional GET.
    pub validators: Validators,
    /// `Content-Type` of a body received on this run.
    pub content_type: Option<String>,
    /// When these bytes were first downloaded.
    pub obtained_at: DateTime<Utc>,
}

/// The fetch stage: the catalogue's date when it is the one seen last time, else a
/// conditional GET with the last good copy's validators, else a full download. A failed
/// download is never taken for "no change".
#[allow(clippy::too_many_arguments)]
pub fn fetch(
    id: &str,
    located: &Located<'_>,
    url_key: &str,
    catalogue_date: Option<&str>,
    previous: Option<&LastGood>,
    state_dir: &StateDir,
    downloader: &Downloader,
    force: bool,
    now: DateTime<Utc>,
) -> Result<FetchedFile, SourceFailure> {
    let previous = previous.filter(|p| p.download_url == url_key);
    let cached = previous.and_then(|p| state_dir.cached_source(id, &p.sha256));
    let obtained = |p: Option<&LastGood>| p.and_then(|p| p.obtained_at).unwrap_or(now);
    if let (Some(prev), Some(bytes)) = (previous, &cached)
        && !force
        && catalogue_date.is_some()
        && catalogue_date == prev.catalogue_modified.as_deref()
    {
        return Ok(FetchedFile {
            status: SourceStatus::UnchangedByDate,
            bytes: bytes.clone(),
            validators: Validators {
                etag: prev.etag.clone(),
                last_modified: prev.last_modified.clone(),
                sha256: Some(prev.sha256.clone()),
            },
            content_type: None,
            obtained_at: obtained(Some(prev)),
        });
    }
    let validators = match (previous, &cached) {
        (Some(p), Some(_)) if !force => Some(Validators {
            etag: p.etag.clone(),
            last_modified: p.last_modified.clone(),
            sha256: Some(p.sha256.clone()),
        }),
        _ => None,
    };
    let url = &located.url;
    let fetched = downloader
        .fetch(url, validators.as_ref())
        .map_err(|e| SourceFailure::download(url, &e))?
        .value;
    let new_validators = fetched.validators().clone();
    match (fetched, cached) {
        (Fetched::NotModified { .. }, Some(bytes)) => Ok(FetchedFile {
            status: SourceStatus::NotModified,
            bytes,
            validators: new_validators,
            content_type: None,
            obtained_at: obtained(previous),
        }),
        (Fetched::Unchanged(download), cached) => Ok(FetchedFile {
            status: SourceStatus::UnchangedByHash,
            bytes: cached.unwrap_or(download.body),
            validators: new_validators,
            content_type: download.content_type,
            obtained_at: obtained(previous),
        }),
        (Fetched::Changed(download), _) => {
            // Bytes equal to the last good copy's (after a forced download) are not a change.
            let same = previous
                .is_some_and(|p| Some(p.sha256.as_str()) == download.validators.sha256.as_deref());
            Ok(FetchedFile {
                status: if same {
                    SourceStatus::UnchangedByHash
                } else {
                    SourceStatus::Changed
                },
                bytes: download.body,
                validators: new_validators,
                content_type: download.content_type,
                obtained_at: if same { obtained(previous) } else { now },
            })
        }
        (Fetched::NotModified { .. }, None) => Err(SourceFailure {
            url: Some(url.clone()),
            http_status: Some(304),
            ..SourceFailure::new(
                Stage::Fetch,
                "not-modified-without-copy",
                format!("{url} answered 304 Not Modified to a request without validators"),
            )
        }),
    }
}

/// The read stage: the reader for the source's format; a file it does not recognise is a
/// failure of this source naming the rule and the first line.
pub fn read(
    config: &SourceConfig,
    bytes: &[u8],
    content_type: Option<&str>,
    url: Option<&str>,
) -> Result<SourceRead, SourceFailure> {
    blocklist_model::read_source(config, bytes).map_err(|error| {
        let rule = match error.kind {
            FormatErrorKind::Empty { .. } => "no-header",
            FormatErrorKind::UnrecognisedHeader { .. } => "unrecognised-header",
            FormatErrorKind::DuplicateColumn(_) => "duplicate-column",
        };
        let served_as = content_type
            .filter(|t| !t.to_ascii_lowercase().contains("csv"))
            .map(|t| format!(" (served as {t})"))
            .unwrap_or_default();
        SourceFailure {
            url: url.map(str::to_owned),
            line: Some(1),
            ..SourceFailure::new(Stage::Read, rule, format!("line 1: {error}{served_as}"))
        }
    })
}

/// The guard stage: a source that had rows and has none, shrinks past the limit, or (when
/// reading failed and the operator allowed it) is left out. Overrides are per source.
pub fn guard(
    guards: &Guards,
    config: &SourceConfig,
    previous_entries: Option<usize>,
    read: &SourceRead,
) -> Result<(), SourceFailure> {
    guards
        .check(&config.authority, previous_entries, Ok(read))
        .map(|_| ())
        .map_err(|e: GuardError| {
            SourceFailure::new(Stage::Guard, &e.kind().to_string(), e.to_string())
        })
}

/// Describes a format variant for `stav.json`.
pub fn format_info(format: &FormatVariant) -> FormatInfo {
    use blocklist_model::{DateStyle, Layout, TextEncoding};
    FormatInfo {
        encoding: match format.encoding {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Windows1250 => "windows-1250",
        }
        .into(),
        bom: format.bom,
        delimiter: char::from(format.delimiter).to_string(),
        layout: match format.layout {
            Layout::Mf8 => "mf-8-columns",
            Layout::Mf6 => "mf-6-columns",
            Layout::Decree => "decree",
            Layout::Unified => "unified",
        }
        .into(),
        dates: match format.dates {
            DateStyle::None => "none",
            DateStyle::Iso => "iso",
            DateStyle::Czech => "czech",
            DateStyle::Mixed => "mixed",
        }
        .into(),
    }
}

/// The detected format variant of a copy, as `stav.json` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormatInfo {
    /// `utf-8` or `windows-1250`.
    pub encoding: String,
    /// Whether a UTF-8 BOM opened the file.
    pub bom: bool,
    /// The field delimiter.
    pub delimiter: String,
    /// The column layout: `mf-8-columns`, `mf-6-columns`, `decree`, `unified`.
    pub layout: String,
    /// The date style: `iso`, `czech`, `mixed`, `none`.
    pub dates: String,
}
