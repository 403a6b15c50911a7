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
}

/// What is known about one source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceState {
    /// The NKOD dataset IRI it was found under.
    pub dataset_iri: String,
    /// The dataset title in NKOD (`NAZEV_DATOVE_SADY`).
    pub dataset_title: String,
    /// The URL the file was downloaded from.
    pub download_url: String,
    /// The latest modification date the catalogue gave for the dataset or distribution.
    pub catalogue_modified: Option<String>,
    /// `ETag` of the last download.
    pub etag: Option<String>,
    /// `Last-Modified` of the last download.
    pub last_modified: Option<String>,
    /// SHA-256 of the last good file.
    pub sha256: String,
    /// The number of entries it gave (for the shrink guard).
    pub entries: usize,
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
            .map(|(id, s)| format!("{id}-{}", s.sha256))
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
