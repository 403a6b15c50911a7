//! Counting MJ over the files of one delivery: VFK files and the distributor CSV files ČÚZK
//! hands over with them, told apart by their first bytes.
//!
//! [`count_files`] counts each file ([`count_file`]), keeps only the selected k.ú. (a selected
//! k.ú. missing from a file is an error, because pricing it as 0 MJ would under-bill), adds
//! the MJ with checked arithmetic and reports the k.ú. that appear in more than one file (a
//! delivery split by k.ú. should not repeat one; the total counts a repeated k.ú. once per
//! file, as delivered).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::distributor_csv::{CsvSelectionMj, DistributorCsvError, read_distributor_csv};
use crate::mj::{MjRowPolicy, VfkSummary, count_mj};
use crate::reader::VfkError;

/// What a delivered file is, told from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A VFK file: its first record (after any leading white space) starts with `&`
    /// (`&HVERZE;…`).
    Vfk,
    /// Anything else is read as ČÚZK's distributor CSV (k.ú., parcel, LV).
    DistributorCsv,
}

impl FileKind {
    /// Tells the kind from the start of a file (a few bytes are enough).
    pub fn detect(start: &[u8]) -> Self {
        let start = start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(start);
        if start.trim_ascii_start().starts_with(b"&") {
            Self::Vfk
        } else {
            Self::DistributorCsv
        }
    }
}

/// The count of one file.
#[derive(Debug, Clone)]
pub enum FileCount {
    /// A VFK file: the full summary (header, rows, per-k.ú. counts, notes).
    Vfk {
        /// The summary, restricted to the selected k.ú.
        summary: Box<VfkSummary>,
    },
    /// A distributor CSV file.
    DistributorCsv {
        /// Data rows read.
        rows: u64,
        /// MJ of the selected k.ú.
        selection: CsvSelectionMj,
    },
}

impl FileCount {
    /// MJ in this file (of the selected k.ú.).
    pub fn mj(&self) -> u64 {
        match self {
            Self::Vfk { summary } => summary.mj(),
            Self::DistributorCsv { selection, .. } => selection.mj,
        }
    }

    /// The kind of the file.
    pub fn kind(&self) -> FileKind {
        match self {
            Self::Vfk { .. } => FileKind::Vfk,
            Self::DistributorCsv { .. } => FileKind::DistributorCsv,
        }
    }

    /// Codes of the k.ú. counted in this file.
    pub fn area_codes(&self) -> Vec<u32> {
        match self {
            Self::Vfk { summary } => summary.areas.keys().copied().collect(),
            Self::DistributorCsv { selection, .. } => {
                selection.areas.iter().map(|a| a.code).collect()
            }
        }
    }
}

/// One counted file.
#[derive(Debug, Clone)]
pub struct CountedFile {
    /// The file as given.
    pub path: PathBuf,
    /// Its count.
    pub count: FileCount,
}

/// The count of a whole delivery.
#[derive(Debug, Clone)]
pub struct DeliveryCount {
    /// Each file, in the order given.
    pub files: Vec<CountedFile>,
    /// MJ of all files together (a k.ú. in several files counts once per file).
    pub total_mj: u64,
    /// Codes of the k.ú. that appear in more than one file, ascending.
    pub areas_in_several_files: Vec<u32>,
}

/// Error counting a delivery; names the file.
#[derive(Debug, thiserror::Error)]
pub enum CountError {
    /// The file cannot be opened or read.
    #[error("{}: cannot read: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        error: std::io::Error,
    },
    /// The VFK file is broken (the error names the line).
    #[error("{}: {error}", path.display())]
    Vfk {
        /// The file.
        path: PathBuf,
        /// The cause.
        error: VfkError,
    },
    /// The distributor CSV is broken (the error names the file and line).
    #[error("{error}")]
    DistributorCsv {
        /// The file.
        path: PathBuf,
        /// The cause.
        error: DistributorCsvError,
    },
    /// A selected k.ú. is not in the file.
    #[error("{}: k.ú. {code} is not in the file", path.display())]
    AreaNotInFile {
        /// The file.
        path: PathBuf,
        /// The selected code.
        code: u32,
    },
    /// The MJ of the delivery do not fit in 64 bits.
    #[error("{}: the MJ total overflows", path.display())]
    Overflow {
        /// The file whose count overflowed the total.
        path: PathBuf,
    },
}

impl CountError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. }
            | Self::Vfk { path, .. }
            | Self::DistributorCsv { path, .. }
            | Self::AreaNotInFile { path, .. }
            | Self::Overflow { path } => path,
        }
    }
}

/// Counts one file: VFK or distributor CSV by [`FileKind::detect`]; `selection` (k.ú. codes)
/// keeps only those k.ú., each of which must be in the file.
pub fn count_file(
    path: &Path,
    policy: MjRowPolicy,
    selection: Option<&[u32]>,
) -> Result<CountedFile, CountError> {
    let io_error = |error| CountError::Io {
        path: path.to_owned(),
        error,
    };
    let file = File::open(path).map_err(io_error)?;
    let mut input = BufReader::with_capacity(1 << 16, file);
    let kind = FileKind::detect(input.fill_buf().map_err(io_error)?);
    let count = match kind {
        FileKind::Vfk => {
            let mut summary = count_mj(input, policy).map_err(|error| CountError::Vfk {
                path: path.to_owned(),
                error,
            })?;
            if let Some(selection) = selection {
                if let Some(&code) = selection
                    .iter()
                    .find(|code| !summary.areas.contains_key(code))
                {
                    return Err(CountError::AreaNotInFile {
                        path: path.to_owned(),
                        code,
                    });
                }
                summary.areas.retain(|code, _| selection.contains(code));
            }
            FileCount::Vfk {
                summary: Box::new(summary),
            }
        }
        FileKind::DistributorCsv => {
            let name = path.display().to_string();
            let csv_error = |error| CountError::DistributorCsv {
                path: path.to_owned(),
                error,
            };
            let csv = read_distributor_csv(input, &name).map_err(csv_error)?;
            match csv.mj(selection) {
                Ok(selection) => FileCount::DistributorCsv {
                    rows: csv.rows(),
                    selection,
                },
                Err(DistributorCsvError::UnknownArea { code, .. }) => {
                    return Err(CountError::AreaNotInFile {
                        path: path.to_owned(),
                        code,
                    });
                }
                Err(error) => return Err(csv_error(error)),
            }
        }
    };
    Ok(CountedFile {
        path: path.to_owned(),
        count,
    })
}

/// Counts every file of a delivery; see the [module docs](self).
pub fn count_files(
    paths: &[PathBuf],
    policy: MjRowPolicy,
    selection: Option<&[u32]>,
) -> Result<DeliveryCount, CountError> {
    let mut files = Vec::with_capacity(paths.len());
    let mut total_mj = 0u64;
    let mut files_per_area: BTreeMap<u32, usize> = BTreeMap::new();
    for path in paths {
        let counted = count_file(path, policy, selection)?;
        total_mj = total_mj
            .checked_add(counted.count.mj())
            .ok_or_else(|| CountError::Overflow { path: path.clone() })?;
        for code in counted.count.area_codes() {
            *files_per_area.entry(code).or_default() += 1;
        }
        files.push(counted);
    }
    let areas_in_several_files = files_per_area
        .into_iter()
        .filter(|&(_, files)| files > 1)
        .map(|(code, _)| code)
        .collect();
    Ok(DeliveryCount {
        files,
        total_mj,
        areas_in_several_files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VFK: &str = "&HVERZE;\"6.0\"\n&HCODEPAGE;\"UTF-8\"\n&HSKUPINA;\"NEMO\"\n&HZMENY;0\n\
&BPAR;ID N30;STAV_DAT N2;PAR_TYPE T10;KATUZE_KOD N6\n\
&DPAR;1;0;\"PKN\";600001\n&DPAR;2;0;\"PZE\";600001\n&DPAR;3;0;\"PKN\";600002\n\
&BTEL;ID N30;STAV_DAT N2;KATUZE_KOD N6;CISLO_TEL N6\n&DTEL;9;0;600002;1\n&K\n";

    const CSV: &str = "KATUZE_KOD;PAR_ID;TEL_ID\n600002;10;1\n600002;11;1\n600003;12;2\n";

    fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn detects_vfk_by_its_first_record() {
        assert_eq!(FileKind::detect(b"&HVERZE;\"5.4\""), FileKind::Vfk);
        assert_eq!(FileKind::detect(b"\r\n  &HVERZE"), FileKind::Vfk);
        assert_eq!(FileKind::detect(b"\xEF\xBB\xBF&HVERZE"), FileKind::Vfk);
        assert_eq!(
            FileKind::detect(b"KATUZE_KOD;PAR_ID"),
            FileKind::DistributorCsv
        );
        assert_eq!(FileKind::detect(b""), FileKind::DistributorCsv);
    }

    #[test]
    fn counts_a_mixed_delivery_and_reports_repeated_areas() {
        let dir = tempfile::tempdir().unwrap();
        let vfk = write(dir.path(), "a.vfk", VFK);
        let csv = write(dir.path(), "b.csv", CSV);
        let count = count_files(&[vfk, csv], MjRowPolicy::AllRows, None).unwrap();
        assert_eq!(count.files[0].count.kind(), FileKind::Vfk);
        assert_eq!(count.files[0].count.mj(), 4);
        assert_eq!(count.files[1].count.kind(), FileKind::DistributorCsv);
        // 600002: parcels 10, 11 + LV 1; 600003: parcel 12 + LV 2.
        assert_eq!(count.files[1].count.mj(), 5);
        assert_eq!(count.total_mj, 9);
        assert_eq!(count.areas_in_several_files, vec![600002]);
    }

    #[test]
    fn selection_keeps_only_the_selected_areas() {
        let dir = tempfile::tempdir().unwrap();
        let vfk = write(dir.path(), "a.vfk", VFK);
        let csv = write(dir.path(), "b.csv", CSV);
        let count = count_files(&[vfk, csv], MjRowPolicy::AllRows, Some(&[600002])).unwrap();
        assert_eq!(count.files[0].count.area_codes(), vec![600002]);
        assert_eq!(count.files[0].count.mj(), 2);
        assert_eq!(count.files[1].count.mj(), 3);
        assert_eq!(count.total_mj, 5);
    }

    #[test]
    fn a_selected_area_missing_from_a_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let vfk = write(dir.path(), "a.vfk", VFK);
        let csv = write(dir.path(), "b.csv", CSV);
        let err = count_files(
            std::slice::from_ref(&vfk),
            MjRowPolicy::AllRows,
            Some(&[600003]),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            CountError::AreaNotInFile { code: 600003, .. }
        ));
        assert_eq!(err.path(), vfk);
        assert_eq!(
            err.to_string(),
            format!("{}: k.ú. 600003 is not in the file", vfk.display())
        );
        let err = count_files(
            std::slice::from_ref(&csv),
            MjRowPolicy::AllRows,
            Some(&[600001]),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            CountError::AreaNotInFile { code: 600001, .. }
        ));
        assert_eq!(err.path(), csv);
    }

    #[test]
    fn errors_name_the_file_once() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.vfk");
        let err =
            count_files(std::slice::from_ref(&missing), MjRowPolicy::AllRows, None).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("{}: cannot read: ", missing.display())),
            "{text}"
        );
        assert_eq!(text.matches("missing.vfk").count(), 1, "{text}");

        let cut = write(
            dir.path(),
            "cut.vfk",
            "&HVERZE;\"5.4\"\n&BTEL;ID N30\n&DTEL;1\n",
        );
        let text = count_files(&[cut], MjRowPolicy::AllRows, None)
            .unwrap_err()
            .to_string();
        assert!(text.contains("cut.vfk: line 3:"), "{text}");
        assert_eq!(text.matches("cut.vfk").count(), 1, "{text}");

        let bad_csv = write(dir.path(), "bad.csv", "KATUZE_KOD;PAR_ID;TEL_ID\nxyz;1;2\n");
        let text = count_files(&[bad_csv], MjRowPolicy::AllRows, None)
            .unwrap_err()
            .to_string();
        assert_eq!(text.matches("bad.csv").count(), 1, "{text}");
    }

    #[test]
    fn a_directory_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = count_files(&[dir.path().to_owned()], MjRowPolicy::AllRows, None).unwrap_err();
        assert!(matches!(err, CountError::Io { .. }), "{err:?}");
    }
}
