//! `verify`: rebuilds every output of an archived publication from what its archive keeps
//! (the source copies in `zdroje/`, `manifest.json`, and the previous list and feed history
//! in `vstupy/`) with the same code that built it, and compares the bytes.

use crate::build::{Previous, files, render};
use crate::changes::FeedEntry;
use crate::provenance::{FEED_HISTORY, INPUTS_DIR, Manifest, PREVIOUS_INDEX, PREVIOUS_LIST};
use crate::publish::{ARCHIVE_DIR, PublishError, Publisher, SUMS_FILE, sums_of};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// An archived publication could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// There is no current publication.
    #[error("{0} holds no publication")]
    NoPublication(PathBuf),
    /// The archive has no such day.
    #[error("the archive has no publication of {day} (archived days: {available})")]
    NoSuchDay {
        /// The day asked for.
        day: NaiveDate,
        /// The days there are.
        available: String,
    },
    /// A file needed for the rebuild cannot be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The output path is not a publication link.
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// The result of checking one archived publication.
#[derive(Debug, Clone)]
pub struct VerifyReport {
    /// The day checked.
    pub day: NaiveDate,
    /// Its archive directory.
    pub dir: PathBuf,
    /// Its publication id.
    pub publication: String,
    /// Files rebuilt and compared.
    pub checked: Vec<String>,
    /// Every difference found; empty when the rebuild is byte-identical.
    pub differences: Vec<String>,
}

impl VerifyReport {
    /// Whether every output was rebuilt byte for byte.
    pub fn identical(&self) -> bool {
        self.differences.is_empty()
    }
}

/// The archived days of the current publication at `out`, oldest first.
pub fn archived_days(out: &Path) -> Result<Vec<NaiveDate>, VerifyError> {
    let current = Publisher::new(out)
        .current()?
        .ok_or_else(|| VerifyError::NoPublication(out.to_path_buf()))?;
    let archive = current.join(ARCHIVE_DIR);
    let mut days: Vec<NaiveDate> = std::fs::read_dir(&archive)
        .map_err(|e| VerifyError::Read {
            path: archive.clone(),
            message: e.to_string(),
        })?
        .flatten()
        .filter_map(|e| {
            NaiveDate::parse_from_str(&e.file_name().to_string_lossy(), "%Y-%m-%d").ok()
        })
        .collect();
    days.sort();
    Ok(days)
}

/// Rebuilds the publication archived for `day` (the latest archived day when `None`) and
/// compares every output with the archived bytes.
pub fn verify(out: &Path, day: Option<NaiveDate>) -> Result<VerifyReport, VerifyError> {
    let days = archived_days(out)?;
    let day = match day {
        Some(day) => day,
        None => *days.last().ok_or_else(|| VerifyError::NoSuchDay {
            day: NaiveDate::MIN,
            available: "none".into(),
        })?,
    };
    if !days.contains(&day) {
        return Err(VerifyError::NoSuchDay {
            day,
            available: days
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let current = Publisher::new(out)
        .current()?
        .ok_or_else(|| VerifyError::NoPublication(out.to_path_buf()))?;
    let dir = current
        .join(ARCHIVE_DIR)
        .join(day.format("%Y-%m-%d").to_string());
    verify_dir(&dir, day)
}

fn read(path: &Path) -> Result<Vec<u8>, VerifyError> {
    std::fs::read(path).map_err(|e| VerifyError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Rebuilds the publication in `dir` (an archived day) and compares.
pub fn verify_dir(dir: &Path, day: NaiveDate) -> Result<VerifyReport, VerifyError> {
    let manifest_path = dir.join(files::MANIFEST);
    let manifest: Manifest =
        serde_json::from_slice(&read(&manifest_path)?).map_err(|e| VerifyError::Read {
            path: manifest_path.clone(),
            message: format!("not a manifest of this version: {e}"),
        })?;
    let inputs = &manifest.inputs;
    let mut copies = BTreeMap::new();
    for source in &inputs.sources {
        if let Some(copy) = &source.copy {
            copies.insert(source.id.clone(), read(&dir.join(&copy.file))?);
        }
    }
    let previous_path = dir.join(INPUTS_DIR).join(PREVIOUS_LIST);
    let previous = if inputs.previous_valid_as_of.is_some() {
        Some(read(&previous_path)?)
    } else {
        None
    };
    let index = if inputs.previous_index {
        Some(read(&dir.join(INPUTS_DIR).join(PREVIOUS_INDEX))?)
    } else {
        None
    };
    let history_path = dir.join(INPUTS_DIR).join(FEED_HISTORY);
    let feed_before: Vec<FeedEntry> =
        serde_json::from_slice(&read(&history_path)?).map_err(|e| VerifyError::Read {
            path: history_path.clone(),
            message: e.to_string(),
        })?;
    let mut report = VerifyReport {
        day,
        dir: dir.to_path_buf(),
        publication: inputs.publication.clone(),
        checked: Vec::new(),
        differences: Vec::new(),
    };
    let previous = Previous {
        extended: previous.as_deref(),
        index: index.as_deref(),
        feed: &feed_before,
    };
    let rendered = match render(inputs, &copies, previous) {
        Ok(rendered) => rendered,
        Err(e) => {
            report.differences.push(format!("cannot rebuild: {e}"));
            return Ok(report);
        }
    };
    let mut expected: Vec<(String, Vec<u8>)> = rendered.files.clone();
    expected.push((SUMS_FILE.to_owned(), sums_of(&rendered.files).into_bytes()));
    for (name, bytes) in &expected {
        report.checked.push(name.clone());
        match std::fs::read(dir.join(name)) {
            Ok(archived) if archived == *bytes => {}
            Ok(archived) => report.differences.push(format!(
                "{name}: the rebuild differs ({} bytes archived, {} rebuilt{})",
                archived.len(),
                bytes.len(),
                first_difference(&archived, bytes)
            )),
            Err(e) => report
                .differences
                .push(format!("{name}: not in the archive ({e})")),
        }
    }
    // Every top-level file of the archived publication must have been rebuilt.
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_file() && !expected.iter().any(|(n, _)| *n == name) {
                report
                    .differences
                    .push(format!("{name}: in the archive but not rebuilt"));
            }
        }
    }
    Ok(report)
}

fn first_difference(a: &[u8], b: &[u8]) -> String {
    let at = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let line = a.iter().take(at).filter(|&&c| c == b'\n').count() + 1;
    format!("; first difference at byte {at}, line {line}")
}
