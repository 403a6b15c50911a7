//! The hand-kept source: websites ČTÚ adds to the unified list by hand, on an authority's
//! written notice (the MZV national sanctions list, seed 003 footnote 1).
//!
//! The store is an append-only audit log, `manual/audit.jsonl` in the state directory: one
//! JSON line per change (who, when, what, on which reference), fsynced before the command
//! returns. The current entries are the log replayed, so the list and its audit trail can
//! never disagree. Every address is validated and normalised like a list row; an entry is
//! never deleted, only given a removal date (`DATUM_VYMAZU`), as the decree's lists do.
//!
//! For the pipeline the entries are rendered as a CSV in the unified list's shape
//! (`URL,DATUM_ZAPISU,DATUM_VYMAZU,ZDROJ,NAZEV_DATOVE_SADY,PRAVNI_ZAKLAD`), read with the MZV
//! reader; a change of that CSV is a change of the source, so it triggers the next rebuild.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The id of the hand-kept source in the state, `stav.json` and the manifest.
pub const MANUAL_SOURCE_ID: &str = "rucni";
/// How the page and `stav.json` name the hand-kept source.
pub const MANUAL_SOURCE_NAME: &str = "Ručně doplněné záznamy (na základě písemných sdělení)";
const DIR: &str = "manual";
const LOG: &str = "audit.jsonl";

/// One change, as the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When the change was made.
    pub at: DateTime<Utc>,
    /// Who made it.
    pub by: String,
    /// What was done.
    #[serde(flatten)]
    pub change: ManualChange,
    /// The notice it is based on (e.g. "MZV, č. j. …, ze dne …").
    pub reference: String,
}

/// A change of the hand-kept entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum ManualChange {
    /// A website entered.
    Add {
        /// The address as notified.
        address: String,
        /// `DATUM_ZAPISU`.
        date: NaiveDate,
        /// `ZDROJ`: the authority that keeps the list.
        source: String,
        /// `NAZEV_DATOVE_SADY`: the list's name.
        dataset: String,
        /// The legal basis, if given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        legal_basis: Option<String>,
    },
    /// A website removed (it stays in the list with its removal date).
    Remove {
        /// The address.
        address: String,
        /// `DATUM_VYMAZU`.
        date: NaiveDate,
    },
}

/// One hand-kept entry, as the log replays it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManualEntry {
    /// The address as notified (trimmed).
    pub address: String,
    /// `DATUM_ZAPISU`.
    pub entered: NaiveDate,
    /// `DATUM_VYMAZU`.
    pub removed: Option<NaiveDate>,
    /// `ZDROJ`.
    pub source: String,
    /// `NAZEV_DATOVE_SADY`.
    pub dataset: String,
    /// The legal basis.
    pub legal_basis: Option<String>,
    /// The notice it was added on.
    pub added_reference: String,
    /// The notice it was removed on.
    pub removed_reference: Option<String>,
}

/// A hand-kept change was refused, or the store cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManualError {
    /// A file-system operation failed.
    #[error("hand-kept entries: cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line of the audit log is not a valid record.
    #[error("hand-kept entries: {path}, line {line}: {message}")]
    Damaged {
        /// The log.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// The change breaks a rule.
    #[error("{0}")]
    Refused(String),
}

/// The hand-kept entries in a state directory.
#[derive(Debug, Clone)]
pub struct ManualStore {
    dir: PathBuf,
}

impl ManualStore {
    /// The store in the state directory `state`.
    pub fn new(state: &Path) -> Self {
        Self {
            dir: state.join(DIR),
        }
    }

    /// The audit log's path.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join(LOG)
    }

    /// Whether any change was ever recorded.
    pub fn exists(&self) -> bool {
        self.log_path().is_file()
    }

    /// Every change, oldest first.
    pub fn audit(&self) -> Result<Vec<AuditRecord>, ManualError> {
        let path = self.log_path();
        let text = match std::fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(ManualError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
            Ok(text) => text,
        };
        let mut records = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let record = serde_json::from_str(line).map_err(|e| ManualError::Damaged {
                path: path.clone(),
                line: i + 1,
                message: e.to_string(),
            })?;
            records.push(record);
        }
        Ok(records)
    }

    /// The current entries: the log replayed, in the list's order (entry date, address).
    pub fn entries(&self) -> Result<Vec<ManualEntry>, ManualError> {
        let mut entries = Vec::new();
        for record in self.audit()? {
            // The log was checked when written; replay applies it as it stands.
            let _ = apply(&mut entries, &record);
        }
        entries.sort_by(|a, b| {
            (a.entered, a.address.to_lowercase(), &a.address).cmp(&(
                b.entered,
                b.address.to_lowercase(),
                &b.address,
            ))
        });
        Ok(entries)
    }

    /// Checks a change against the current entries and appends it to the log (fsynced).
    pub fn record(&self, record: &AuditRecord) -> Result<ManualEntry, ManualError> {
        let mut entries = self.record_all(std::slice::from_ref(record))?;
        Ok(entries.remove(0))
    }

    /// Checks changes one after the other and appends them all to the log with one fsync;
    /// nothing is written when any is refused.
    pub fn record_all(&self, records: &[AuditRecord]) -> Result<Vec<ManualEntry>, ManualError> {
        let mut entries = self.entries()?;
        let mut changed = Vec::new();
        let mut text = String::new();
        for record in records {
            changed.push(apply(&mut entries, record)?);
            text.push_str(&serde_json::to_string(record).unwrap_or_default());
            text.push('\n');
        }
        std::fs::create_dir_all(&self.dir).map_err(|source| ManualError::Io {
            action: "create",
            path: self.dir.clone(),
            source,
        })?;
        let path = self.log_path();
        let io = |action| {
            let path = path.clone();
            move |source| ManualError::Io {
                action,
                path,
                source,
            }
        };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io("open"))?;
        file.write_all(text.as_bytes()).map_err(io("append to"))?;
        file.sync_all().map_err(io("fsync"))?;
        let _ = std::fs::File::open(&self.dir).and_then(|d| d.sync_all());
        Ok(changed)
    }

    /// The entries as the CSV the pipeline reads (and the publication archives).
    pub fn render(&self) -> Result<Vec<u8>, ManualError> {
        Ok(render_csv(&self.entries()?))
    }
}

/// The header of the rendered CSV (the unified list's columns and the legal basis).
pub const MANUAL_HEADER: [&str; 6] = [
    "URL",
    "DATUM_ZAPISU",
    "DATUM_VYMAZU",
    "ZDROJ",
    "NAZEV_DATOVE_SADY",
    "PRAVNI_ZAKLAD",
];

fn render_csv(entries: &[ManualEntry]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let _ = writer.write_record(MANUAL_HEADER);
    for e in entries {
        let _ = writer.write_record([
            e.address.as_str(),
            &e.entered.format("%Y-%m-%d").to_string(),
            &e.removed
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            &e.source,
            &e.dataset,
            e.legal_basis.as_deref().unwrap_or(""),
        ]);
    }
    writer.into_inner().unwrap_or_default()
}

fn same_address(a: &str, b: &str) -> bool {
    let host = |s: &str| {
        blocklist_model::normalise_address(s)
            .map(|n| n.host)
            .unwrap_or_else(|_| s.trim().to_lowercase())
    };
    a.trim() == b.trim() || host(a) == host(b)
}

fn apply(entries: &mut Vec<ManualEntry>, record: &AuditRecord) -> Result<ManualEntry, ManualError> {
    let refuse = |m: String| Err(ManualError::Refused(m));
    if record.reference.trim().is_empty() {
        return refuse("a reference to the written notice is required (--reference)".into());
    }
    match &record.change {
        ManualChange::Add {
            address,
            date,
            source,
            dataset,
            legal_basis,
        } => {
            let address = address.trim();
            if source.trim().is_empty() || dataset.trim().is_empty() {
                return refuse("--source and --dataset must not be empty".into());
            }
            if address.contains(['\r', '\n']) || address.chars().any(char::is_control) {
                return refuse(format!("{address:?}: an address is one line of text"));
            }
            if let Err(e) = blocklist_model::normalise_address(address) {
                return refuse(format!("{address:?} is not a usable website address: {e}"));
            }
            if let Some(active) = entries
                .iter()
                .find(|e| e.removed.is_none() && same_address(&e.address, address))
            {
                return refuse(format!(
                    "{address:?} is already listed (as {:?} since {}, on {})",
                    active.address, active.entered, active.added_reference
                ));
            }
            let entry = ManualEntry {
                address: address.to_owned(),
                entered: *date,
                removed: None,
                source: source.trim().to_owned(),
                dataset: dataset.trim().to_owned(),
                legal_basis: legal_basis
                    .as_deref()
                    .map(str::trim)
                    .filter(|b| !b.is_empty())
                    .map(str::to_owned),
                added_reference: record.reference.clone(),
                removed_reference: None,
            };
            entries.push(entry.clone());
            Ok(entry)
        }
        ManualChange::Remove { address, date } => {
            let Some(entry) = entries
                .iter_mut()
                .find(|e| e.removed.is_none() && same_address(&e.address, address))
            else {
                return refuse(format!(
                    "{:?} is not listed (or already removed)",
                    address.trim()
                ));
            };
            if *date < entry.entered {
                return refuse(format!(
                    "the removal date {date} is before the entry date {}",
                    entry.entered
                ));
            }
            entry.removed = Some(*date);
            entry.removed_reference = Some(record.reference.clone());
            Ok(entry.clone())
        }
    }
}

/// Who is making a change: `--by`, else the login name.
pub fn operator(by: Option<&str>) -> String {
    by.map(str::to_owned)
        .or_else(|| std::env::var("SUDO_USER").ok())
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// Seeds an empty store with the rows of a hand-kept CSV in the unified list's shape (the
/// bundled MZV entries for the embedded default), each as an audited addition.
pub fn seed(
    store: &ManualStore,
    csv_bytes: &[u8],
    by: &str,
    reference: &str,
) -> Result<(), ManualError> {
    if store.exists() {
        return Ok(());
    }
    let config =
        blocklist_model::SourceConfig::new("", "", blocklist_model::ReaderKind::MzvSanctions);
    let read = blocklist_model::read_source(&config, csv_bytes)
        .map_err(|e| ManualError::Refused(format!("bundled hand-kept entries: {e}")))?;
    let at = Utc::now();
    let mut records = Vec::new();
    for e in &read.entries {
        records.push(AuditRecord {
            at,
            by: by.to_owned(),
            change: ManualChange::Add {
                address: e.url().to_owned(),
                date: e.entered(),
                source: e.authority().to_owned(),
                dataset: e.dataset().to_owned(),
                legal_basis: e.legal_basis().map(str::to_owned),
            },
            reference: reference.to_owned(),
        });
        if let Some(removed) = e.removed() {
            records.push(AuditRecord {
                at,
                by: by.to_owned(),
                change: ManualChange::Remove {
                    address: e.url().to_owned(),
                    date: removed,
                },
                reference: reference.to_owned(),
            });
        }
    }
    store.record_all(&records).map(drop)
}
