//! The state directory: what the last good publication was, the validators and content hash
//! of every source, a copy of every source's last good file (so an unchanged source need not
//! be downloaded again when another one changed), the RPZ serial and the feed history.
//!
//! `state.json` is replaced atomically (write, fsync, rename), and only after a publication
//! (or a no-change check) succeeded, so a failed run never changes it.

use crate::changes::FeedEntry;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

const STATE_FILE: &str = "state.json";
const SOURCES_DIR: &str = "sources";

/// The last good publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastPublication {
    /// Its id (directory name in the publication store).
    pub id: String,
    /// When it was made.
    pub published_at: DateTime<Utc>,
    /// The date the list is valid as of.
    pub valid_as_of: NaiveDate,
    /// Its RPZ SOA serial.
    pub rpz_serial: u32,
    /// Rows in the decree CSV.
    pub rows: usize,
    /// What each source contributed and how it stood, to tell whether the next run has
    /// anything new to publish. Empty in states written before it existed.
    #[serde(default)]
    pub fingerprint: BTreeMap<String, PublishedSource>,
    /// The candidate datasets it reported (IRIs).
    #[serde(default)]
    pub candidates: Vec<String>,
}

/// One source as a publication carried it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedSource {
    /// SHA-256 of the copy whose rows were published, if any.
    pub sha256: Option<String>,
    /// `ZDROJ` of its rows.
    pub authority: String,
    /// `NAZEV_DATOVE_SADY` of its rows.
    pub dataset_title: String,
    /// Its health then.
    pub health: Health,
    /// The rule that made it stale or missing.
    pub rule: Option<String>,
    /// Whether the staleness alarm was raised.
    pub alarm: bool,
    /// The dataset it was found under (a re-registered list is worth a publication: its
    /// provenance changed).
    #[serde(default)]
    pub dataset_iri: Option<String>,
    /// The distribution downloaded.
    #[serde(default)]
    pub distribution_url: Option<String>,
}

/// Whether a source's rows in the list are this run's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Health {
    /// Checked on this run; its rows are current.
    #[default]
    Current,
    /// This run failed for it; its rows are those of its last good copy.
    Stale,
    /// It failed and has no last good copy: it has no rows in the list.
    Missing,
}

impl Health {
    /// The English name used in `stav.json` and the logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Stale => "stale",
            Self::Missing => "missing",
        }
    }

    /// The Czech name shown on the page.
    pub fn czech(self) -> &'static str {
        match self {
            Self::Current => "aktuální",
            Self::Stale => "zastaralý",
            Self::Missing => "chybí",
        }
    }
}

/// The last good copy of a source: the bytes (kept in `sources/` under their hash), where
/// they came from and what they gave.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastGood {
    /// The NKOD dataset IRI it was found under (empty for a hand-kept source).
    pub dataset_iri: String,
    /// The dataset title in NKOD (`NAZEV_DATOVE_SADY`).
    pub dataset_title: String,
    /// `ZDROJ`: the publisher's name.
    #[serde(default)]
    pub authority: String,
    /// The NKOD distribution IRI.
    #[serde(default)]
    pub distribution_iri: Option<String>,
    /// The URL the file was downloaded from (the embedded catalogue's URLs without its port).
    pub download_url: String,
    /// The latest modification date the catalogue gave for the dataset or distribution.
    pub catalogue_modified: Option<String>,
    /// `ETag` of the download.
    pub etag: Option<String>,
    /// `Last-Modified` of the download.
    pub last_modified: Option<String>,
    /// SHA-256 of the file.
    pub sha256: String,
    /// The number of entries it gave (for the guards).
    pub entries: usize,
    /// When these bytes were first downloaded.
    #[serde(default)]
    pub obtained_at: Option<DateTime<Utc>>,
}

/// What is known about one source: its last good copy and how the recent attempts went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "SourceStateRepr")]
pub struct SourceState {
    /// The last good copy; `None` until the source was read once.
    pub last_good: Option<LastGood>,
    /// Its health after the last run.
    pub health: Health,
    /// Since when it has had that health.
    pub since: Option<DateTime<Utc>>,
    /// Why it is stale or missing (the rule broken, with URL, status or row).
    pub reason: Option<String>,
    /// The rule behind `reason` (e.g. `http-status`, `shrink`).
    pub rule: Option<String>,
    /// Whether the staleness alarm is raised.
    #[serde(default)]
    pub alarm: bool,
    /// The last run on which the source was read and passed the guards.
    pub last_success: Option<DateTime<Utc>>,
    /// The validity date of that run (the date the rows in use are valid as of).
    #[serde(default)]
    pub data_valid_as_of: Option<NaiveDate>,
    /// The last run that tried it.
    pub last_attempt: Option<DateTime<Utc>>,
    /// What that run found (`changed`, `not-modified`, …, or `failed`).
    pub last_outcome: Option<String>,
}

/// `state.json` written before per-source health existed kept the last good copy's fields
/// at the top level of each source; it still loads.
#[derive(Deserialize)]
#[serde(untagged)]
enum SourceStateRepr {
    Legacy(LegacySourceState),
    Current(CurrentSourceState),
}

#[derive(Deserialize)]
struct LegacySourceState {
    dataset_iri: String,
    dataset_title: String,
    download_url: String,
    catalogue_modified: Option<String>,
    etag: Option<String>,
    last_modified: Option<String>,
    sha256: String,
    entries: usize,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CurrentSourceState {
    last_good: Option<LastGood>,
    health: Health,
    since: Option<DateTime<Utc>>,
    reason: Option<String>,
    rule: Option<String>,
    alarm: bool,
    last_success: Option<DateTime<Utc>>,
    data_valid_as_of: Option<NaiveDate>,
    last_attempt: Option<DateTime<Utc>>,
    last_outcome: Option<String>,
}

impl From<SourceStateRepr> for SourceState {
    fn from(repr: SourceStateRepr) -> Self {
        match repr {
            SourceStateRepr::Legacy(old) => Self {
                last_good: Some(LastGood {
                    dataset_iri: old.dataset_iri,
                    dataset_title: old.dataset_title,
                    download_url: old.download_url,
                    catalogue_modified: old.catalogue_modified,
                    etag: old.etag,
                    last_modified: old.last_modified,
                    sha256: old.sha256,
                    entries: old.entries,
                    ..LastGood::default()
                }),
                ..Self::default()
            },
            SourceStateRepr::Current(s) => Self {
                last_good: s.last_good,
                health: s.health,
                since: s.since,
                reason: s.reason,
                rule: s.rule,
                alarm: s.alarm,
                last_success: s.last_success,
                data_valid_as_of: s.data_valid_as_of,
                last_attempt: s.last_attempt,
                last_outcome: s.last_outcome,
            },
        }
    }
}

/// The whole state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The last good publication, if any.
    pub last_publication: Option<LastPublication>,
    /// The catalogue's own rebuild date at the last check.
    pub catalogue_modified: Option<String>,
    /// Per source (keyed by the source id, e.g. `mf`).
    pub sources: BTreeMap<String, SourceState>,
    /// Recent publications for the Atom feed, newest first.
    pub feed: Vec<FeedEntry>,
    /// Whether a distribution's header has the decree's columns, by URL, so that a candidate
    /// found by keyword is downloaded once, not on every run.
    #[serde(default)]
    pub probes: BTreeMap<String, bool>,
}

/// The state directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A file-system operation failed.
    #[error("state: cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Another update holds the state directory's lock.
    #[error("state: another update is running on {0} (its lock is held)")]
    Locked(PathBuf),
    /// `state.json` is not valid.
    #[error("state: {path} is damaged ({message}); move it away to start afresh")]
    Damaged {
        /// The path.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
}

/// The state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// The state directory at `dir` (created on first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes the state directory's exclusive lock (released when the returned file is
    /// dropped), so two updates never interleave their writes to the state and the output.
    pub fn lock(&self) -> Result<std::fs::File, StateError> {
        std::fs::create_dir_all(&self.dir).map_err(|source| StateError::Io {
            action: "create",
            path: self.dir.clone(),
            source,
        })?;
        let path = self.dir.join("lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| StateError::Io {
                action: "open",
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => Err(StateError::Locked(self.dir.clone())),
            Err(std::fs::TryLockError::Error(source)) => Err(StateError::Io {
                action: "lock",
                path,
                source,
            }),
        }
    }

    /// Loads the state; an absent file is an empty state.
    pub fn load(&self) -> Result<State, StateError> {
        let path = self.dir.join(STATE_FILE);
        match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(source) => Err(StateError::Io {
                action: "read",
                path,
                source,
            }),
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StateError::Damaged {
                path,
                message: e.to_string(),
            }),
        }
    }

    /// Saves the state atomically.
    pub fn save(&self, state: &State) -> Result<(), StateError> {
        self.ensure_dir()?;
        let text = serde_json::to_vec_pretty(state).unwrap_or_default();
        write_atomically(&self.dir.join(STATE_FILE), &text)
    }

    fn ensure_dir(&self) -> Result<(), StateError> {
        let sources = self.dir.join(SOURCES_DIR);
        std::fs::create_dir_all(&sources).map_err(|source| StateError::Io {
            action: "create",
            path: sources,
            source,
        })
    }

    fn source_path(&self, id: &str, sha256: &str) -> PathBuf {
        self.dir.join(SOURCES_DIR).join(format!("{id}-{sha256}"))
    }

    /// The cached copy of a source file with this hash, if present and intact.
    pub fn cached_source(&self, id: &str, sha256: &str) -> Option<Vec<u8>> {
        use sha2::Digest as _;
        let bytes = std::fs::read(self.source_path(id, sha256)).ok()?;
        (hex::encode(sha2::Sha256::digest(&bytes)) == sha256).then_some(bytes)
    }

    /// Stores a source file (named by its hash); returns the hash.
    pub fn store_source(&self, id: &str, bytes: &[u8]) -> Result<String, StateError> {
        use sha2::Digest as _;
        self.ensure_dir()?;
        let sha256 = hex::encode(sha2::Sha256::digest(bytes));
        let path = self.source_path(id, &sha256);
        if !path.exists() {
            write_atomically(&path, bytes)?;
        }
        Ok(sha256)
    }

    /// Removes cached source files that `state` no longer refers to.
    pub fn prune_sources(&self, state: &State) {
        let keep: Vec<String> = state
            .sources
            .iter()
            .filter_map(|(id, s)| s.last_good.as_ref().map(|g| format!("{id}-{}", g.sha256)))
            .collect();
        let Ok(entries) = std::fs::read_dir(self.dir.join(SOURCES_DIR)) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !keep.contains(&name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let io = |action, p: &Path| {
        let p = p.to_path_buf();
        move |source| StateError::Io {
            action,
            path: p,
            source,
        }
    };
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut file = std::fs::File::create(&tmp).map_err(io("create", &tmp))?;
    file.write_all(bytes).map_err(io("write", &tmp))?;
    file.sync_all().map_err(io("fsync", &tmp))?;
    std::fs::rename(&tmp, path).map_err(io("rename", path))?;
    if let Some(parent) = path.parent() {
        let _ = std::fs::File::open(parent).and_then(|d| d.sync_all());
    }
    Ok(())
}
