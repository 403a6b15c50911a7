//! What a publication says about where its data came from: `manifest.json` (everything needed
//! to rebuild the publication, plus the SHA-256 of every output) and `stav.json` (the health
//! of each source, for people and monitoring). Both are rendered from the same per-source
//! values, [`SourceProvenance`], which the update makes from each [`SourceOutcome`].

use crate::dcat::DcatSettings;
use crate::discover::{Candidate, MatchedBy};
use crate::source::{FormatInfo, SourceFailure, SourceKind, SourceOutcome};
use crate::state::Health;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of the manifest's layout.
pub const MANIFEST_FORMAT: u32 = 1;
/// Where a publication keeps its source copies.
pub const SOURCES_DIR: &str = "zdroje";
/// Where a publication keeps the other inputs of its rebuild.
pub const INPUTS_DIR: &str = "vstupy";
/// The previous publication's extended CSV (the changes are computed against it).
pub const PREVIOUS_LIST: &str = "predchozi-rozsireny.csv";
/// The feed entries of earlier publications (`zmeny.atom` shows them too).
pub const FEED_HISTORY: &str = "historie-zmen.json";
/// The lookup index the publication's index was made from.
pub const PREVIOUS_INDEX: &str = "predchozi-historie.tsv";

/// Row counts of a source's copy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowCounts {
    /// Data rows in the file.
    pub rows: usize,
    /// Rows that entered the list.
    pub entries: usize,
    /// Of those, active.
    pub active: usize,
    /// Of those, removed.
    pub removed: usize,
    /// Rows refused with an error.
    pub rejected: usize,
    /// Entered rows DNS blocking cannot express.
    pub not_dns_blockable: usize,
}

/// The copy of a source a publication used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyProvenance {
    /// Its path in the publication (`zdroje/<id>.csv`).
    pub file: String,
    /// SHA-256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// `ZDROJ` its rows carry.
    pub authority: String,
    /// `NAZEV_DATOVE_SADY` its rows carry.
    pub dataset_title: String,
    /// When these bytes were first downloaded.
    pub obtained_at: Option<DateTime<Utc>>,
    /// `ETag` of the download.
    pub etag: Option<String>,
    /// `Last-Modified` of the download.
    pub last_modified: Option<String>,
    /// The catalogue's modification date of the dataset or distribution, if it gives one.
    pub catalogue_modified: Option<String>,
    /// Row counts.
    pub rows: RowCounts,
    /// The format variant recognised.
    pub format: FormatInfo,
}

/// This run's attempt at a source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptProvenance {
    /// When.
    pub at: DateTime<Utc>,
    /// `changed`, `not-modified`, `unchanged-by-hash`, `unchanged-by-date` or `failed`.
    pub outcome: String,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<SourceFailure>,
}

/// One source in `stav.json` and `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceProvenance {
    /// The source id.
    pub id: String,
    /// `catalogue` or `manual`.
    pub kind: SourceKind,
    /// The reader its copy is read with.
    pub reader: String,
    /// The publisher's name.
    pub authority: String,
    /// The dataset title.
    pub dataset_title: String,
    /// The NKOD dataset IRI.
    pub dataset_iri: Option<String>,
    /// The NKOD distribution IRI.
    pub distribution_iri: Option<String>,
    /// The distribution's download URL.
    pub distribution_url: Option<String>,
    /// How the dataset was found.
    pub matched_by: Option<MatchedBy>,
    /// `current`, `stale` or `missing`.
    pub state: Health,
    /// Since when.
    pub since: DateTime<Utc>,
    /// The staleness alarm.
    pub alarm: bool,
    /// The Prague date its rows in use were last confirmed current.
    pub data_valid_as_of: Option<NaiveDate>,
    /// The last run on which it passed.
    pub last_success: Option<DateTime<Utc>>,
    /// This run's attempt.
    pub last_attempt: AttemptProvenance,
    /// The copy whose rows are in the list.
    pub copy: Option<CopyProvenance>,
}

impl SourceProvenance {
    /// The file name of a source's copy in the publication.
    pub fn copy_file(id: &str) -> String {
        format!("{SOURCES_DIR}/{id}.csv")
    }

    /// Describes an outcome.
    pub fn of(outcome: &SourceOutcome) -> Self {
        let copy = outcome.copy.as_ref().map(|c| CopyProvenance {
            file: Self::copy_file(&outcome.id),
            sha256: c.origin.sha256.clone(),
            size: c.bytes.len() as u64,
            authority: c.origin.authority.clone(),
            dataset_title: c.origin.dataset_title.clone(),
            obtained_at: c.origin.obtained_at,
            etag: c.origin.etag.clone(),
            last_modified: c.origin.last_modified.clone(),
            catalogue_modified: c.origin.catalogue_modified.clone(),
            rows: RowCounts {
                rows: c.counts.rows,
                entries: c.counts.entries,
                active: c.counts.active,
                removed: c.counts.removed,
                rejected: c.counts.rejected,
                not_dns_blockable: c.counts.not_dns_blockable,
            },
            format: crate::source::format_info(&c.format),
        });
        Self {
            id: outcome.id.clone(),
            kind: outcome.kind,
            reader: crate::source::reader_name(outcome.reader).to_owned(),
            authority: outcome.identity.authority.clone(),
            dataset_title: outcome.identity.dataset_title.clone(),
            dataset_iri: outcome.identity.dataset_iri.clone(),
            distribution_iri: outcome.identity.distribution_iri.clone(),
            distribution_url: outcome.identity.distribution_url.clone(),
            matched_by: outcome.matched_by,
            state: outcome.health,
            since: outcome.since,
            alarm: outcome.alarm,
            data_valid_as_of: outcome.data_valid_as_of(),
            last_success: outcome.last_success,
            last_attempt: AttemptProvenance {
                at: outcome.attempted_at,
                outcome: outcome.outcome_name().to_owned(),
                failure: outcome.failure.clone(),
            },
            copy,
        }
    }
}

/// A source that went stale, went missing, raised the alarm or recovered: an entry of its
/// own in `zmeny.atom`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthEvent {
    /// The source id.
    pub source: String,
    /// Its publisher's name.
    pub authority: String,
    /// Its health before (`None` on the first publication).
    pub from: Option<Health>,
    /// Its health now.
    pub to: Health,
    /// The staleness alarm is raised.
    #[serde(default)]
    pub alarm: bool,
    /// Why, when it is stale or missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Everything a publication is built from besides the source copies and the two inputs in
/// `vstupy/`: rendering these again gives the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildInputs {
    /// The manifest layout version.
    pub format: u32,
    /// The publication id.
    pub publication: String,
    /// When it was made.
    pub published_at: DateTime<Utc>,
    /// The date the list is valid as of.
    pub valid_as_of: NaiveDate,
    /// The RPZ SOA serial.
    pub rpz_serial: u32,
    /// The RPZ zone's origin.
    pub rpz_origin: String,
    /// The RPZ policy.
    #[serde(default)]
    pub rpz: crate::config::RpzSettings,
    /// How the list is registered in NKOD.
    pub dcat: DcatSettings,
    /// Every source, in the configured order (the hand-kept one last).
    pub sources: Vec<SourceProvenance>,
    /// Datasets that look like local lists but are not configured.
    pub candidates: Vec<Candidate>,
    /// Sources whose health changed since the previous publication.
    pub health_events: Vec<HealthEvent>,
    /// The validity date of the previous publication, when there is one (its list is
    /// `vstupy/predchozi-rozsireny.csv`).
    pub previous_valid_as_of: Option<NaiveDate>,
    /// Whether the lookup index continues a previous one (`vstupy/predchozi-historie.tsv`).
    #[serde(default)]
    pub previous_index: bool,
}

/// Counts of a publication.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationCounts {
    /// Rows without a removal date on the validity date.
    pub active: usize,
    /// Rows with a removal date.
    pub removed: usize,
    /// All rows.
    pub total: usize,
    /// Rows added since the previous publication.
    pub added: usize,
    /// Rows that got a removal date since the previous publication.
    pub newly_removed: usize,
    /// Rows that disappeared from their source without a removal date.
    pub vanished: usize,
    /// Rows whose other values changed.
    pub changed: usize,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// What the publication is built from.
    #[serde(flatten)]
    pub inputs: BuildInputs,
    /// Its counts.
    pub counts: PublicationCounts,
    /// SHA-256 of every other output file of the publication (its top-level files except
    /// `manifest.json` and `SHA256SUMS`).
    pub files: BTreeMap<String, String>,
}

/// `stav.json`: the health of every source and the candidates, as published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The publication id.
    pub publication: String,
    /// When it was made.
    pub published_at: DateTime<Utc>,
    /// The date the list is valid as of.
    pub valid_as_of: NaiveDate,
    /// Whether any source is stale or missing.
    pub degraded: bool,
    /// Per source.
    pub sources: Vec<SourceProvenance>,
    /// Datasets that look like local lists but are not configured (not included).
    pub candidates: Vec<Candidate>,
}

impl Status {
    /// The status a publication shows.
    pub fn of(inputs: &BuildInputs) -> Self {
        Self {
            publication: inputs.publication.clone(),
            published_at: inputs.published_at,
            valid_as_of: inputs.valid_as_of,
            degraded: inputs.sources.iter().any(|s| s.state != Health::Current),
            sources: inputs.sources.clone(),
            candidates: inputs.candidates.clone(),
        }
    }
}

/// JSON text, pretty-printed, ending with a newline.
pub fn to_json<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}
