//! Checking a CSV file on disk together with its located CSVW metadata.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::descriptor::{DescriptorError, parse_descriptor};
use crate::metadata_path_for;
use crate::validate::{Summary, Violation, ViolationKind, validate_reader};

/// The outcome of [`check_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// The metadata file used, if one was given or found.
    pub metadata: Option<PathBuf>,
    /// Totals, the metadata-level violations included.
    pub summary: Summary,
}

/// Why a file could not be checked at all (as opposed to violations found in it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// Reading the CSV or the metadata failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The metadata is not a usable CSVW table description.
    #[error("{path}: {source}")]
    Metadata {
        /// The metadata file.
        path: PathBuf,
        /// What is wrong with it.
        source: DescriptorError,
    },
}

/// Checks `csv` against the standard and its CSVW metadata.
///
/// The metadata is `metadata` when given; otherwise it is located as CSVW does by default:
/// `<csv>-metadata.json`, then `csv-metadata.json` in the same folder. When none is found a
/// [`ViolationKind::MissingMetadata`] is reported (the standard requires a schema for every
/// CSV) and only the syntax rules are checked. Every violation goes to `sink` as found.
///
/// # Errors
/// [`CheckError`] when a file cannot be read or the metadata is unusable.
pub fn check_file(
    csv: &Path,
    metadata: Option<&Path>,
    sink: &mut dyn FnMut(Violation),
) -> Result<CheckReport, CheckError> {
    let io_error = |path: &Path| {
        let path = path.to_owned();
        move |source| CheckError::Io { path, source }
    };
    let file = File::open(csv).map_err(io_error(csv))?;

    let metadata_path = match metadata {
        Some(path) => Some(path.to_owned()),
        None => locate_metadata(csv),
    };
    let mut meta_violations = Vec::new();
    let expected = match &metadata_path {
        Some(path) => {
            let json = std::fs::read_to_string(path).map_err(io_error(path))?;
            let (expected, violations) =
                parse_descriptor(&json, path.parent()).map_err(|source| CheckError::Metadata {
                    path: path.clone(),
                    source,
                })?;
            meta_violations = violations;
            if let Some(url) = &expected.url
                && !url_names_file(url, csv)
            {
                meta_violations.push(Violation::metadata(
                    ViolationKind::UrlMismatch,
                    format!(
                        "the metadata url {url:?} does not name the checked file {:?}",
                        csv.file_name()
                            .map(|n| n.to_string_lossy())
                            .unwrap_or_default()
                    ),
                ));
            }
            Some(expected)
        }
        None => {
            meta_violations.push(Violation::metadata(
                ViolationKind::MissingMetadata,
                format!(
                    "no CSVW metadata found ({} or csv-metadata.json); every CSV needs a schema",
                    metadata_path_for(csv).display()
                ),
            ));
            None
        }
    };
    for violation in &meta_violations {
        sink(violation.clone());
    }
    let mut summary = validate_reader(file, expected.as_ref(), sink).map_err(io_error(csv))?;
    for violation in meta_violations {
        *summary.counts.entry(violation.kind).or_insert(0) += 1;
    }
    Ok(CheckReport {
        metadata: metadata_path,
        summary,
    })
}

/// `<csv>-metadata.json`, then `csv-metadata.json` beside it.
#[must_use]
pub fn locate_metadata(csv: &Path) -> Option<PathBuf> {
    let beside = metadata_path_for(csv);
    if beside.is_file() {
        return Some(beside);
    }
    let shared = csv
        .parent()
        .unwrap_or(Path::new(""))
        .join("csv-metadata.json");
    shared.is_file().then_some(shared)
}

/// Whether the last path segment of `url` (percent-decoded, without query or fragment) is the
/// file name of `csv`.
fn url_names_file(url: &str, csv: &Path) -> bool {
    let Some(name) = csv.file_name().and_then(|n| n.to_str()) else {
        return true;
    };
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let segment = path.rsplit('/').next().unwrap_or(path);
    let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
    decoded == name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_matching() {
        let csv = Path::new("/data/seznam blokací.csv");
        assert!(url_names_file("seznam blokací.csv", csv));
        assert!(url_names_file(
            "https://x.cz/d/seznam%20blokac%C3%AD.csv?v=1",
            csv
        ));
        assert!(!url_names_file("jiny.csv", csv));
    }
}
