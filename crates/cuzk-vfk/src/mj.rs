//! Counting measurement units (MJ, měrné jednotky) in VFK files.
//!
//! Vyhláška 358/2013 Sb., příloha 6, items 6001–6006: "MJ = počet parcel KN +
//! počet parcel ZE + počet LV". In VFK terms a parcel is a row of block `PAR`
//! (`PAR_TYPE` `PKN` = parcel of the cadastre, `PZE` = parcel of the simplified
//! register) and an LV (list vlastnictví) is a row of block `TEL`.
//!
//! **Which rows count** ([`MjRowPolicy`]). State exports also carry rows with
//! `STAV_DAT` other than 0 (the ČÚZK test export has 38 `PAR` and 1 `TEL` row
//! with `STAV_DAT = -1`; the public format documents do not explain the value).
//! The default, [`MjRowPolicy::AllRows`], counts every delivered row: the annex
//! prices the parcels and LV *contained in the data file*, and no public source
//! excludes any row status, so excluding rows could under-bill the distributor.
//! On the ČÚZK test export this gives 615 + 80 = 695 MJ (656 with only
//! `STAV_DAT = 0`). [`MjRowPolicy::CurrentOnly`] (only `STAV_DAT = 0`)
//! is available for comparison; every summary reports both tallies.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::header::{DataKind, VfkHeader};
use crate::reader::{DataRow, Record, SyntaxError, SyntaxErrorKind, VfkError, VfkReader};

/// Which `PAR`/`TEL` rows count as MJ; see the [module docs](self).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MjRowPolicy {
    /// Every `PAR` row with `PAR_TYPE` `PKN`/`PZE` and every `TEL` row (default).
    #[default]
    AllRows,
    /// Only rows with `STAV_DAT = 0`.
    CurrentOnly,
}

/// MJ of one cadastral area (k.ú.).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AreaCounts {
    /// k.ú. code (`KATUZE_KOD`).
    pub code: u32,
    /// k.ú. name from the `KATUZE` block, when present.
    pub name: Option<String>,
    /// Counted parcels of the cadastre (`PAR_TYPE = "PKN"`).
    pub parcels_kn: u64,
    /// Counted parcels of the simplified register (`PAR_TYPE = "PZE"`).
    pub parcels_ze: u64,
    /// Counted LV (`TEL` rows).
    pub lv: u64,
    /// `PAR`/`TEL` rows of this k.ú. left out by the row policy.
    pub excluded_rows: u64,
}

impl AreaCounts {
    /// MJ = parcels KN + parcels ZE + LV.
    pub fn mj(&self) -> u64 {
        self.parcels_kn + self.parcels_ze + self.lv
    }
}

/// What the MJ count of one VFK file found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VfkSummary {
    /// The parsed header.
    pub header: VfkHeader,
    /// Whether the header marks the file as SPI with JPV.
    pub has_jpv: bool,
    /// The policy used.
    pub policy: MjRowPolicy,
    /// Counts per k.ú., ordered by code.
    pub areas: BTreeMap<u32, AreaCounts>,
    /// All `PAR` data rows.
    pub par_rows: u64,
    /// All `TEL` data rows.
    pub tel_rows: u64,
    /// `PAR` rows by `STAV_DAT` value (as written; empty = null).
    pub par_rows_by_status: BTreeMap<String, u64>,
    /// `TEL` rows by `STAV_DAT` value.
    pub tel_rows_by_status: BTreeMap<String, u64>,
    /// Data rows of every block.
    pub rows_by_block: BTreeMap<String, u64>,
    /// Things a reader of the count should know.
    pub notes: Vec<String>,
}

impl VfkSummary {
    /// Total MJ over all k.ú.
    pub fn mj(&self) -> u64 {
        self.areas.values().map(AreaCounts::mj).sum()
    }

    /// The data kind from the header (`None` when `&HZMENY` is missing).
    pub fn data_kind(&self) -> Option<DataKind> {
        self.header.data_kind
    }
}

/// Counts MJ while streaming VFK records.
#[derive(Debug, Default)]
pub struct MjCounter {
    summary: VfkSummary,
    warned_missing_par_type: bool,
}

impl MjCounter {
    /// A counter with the given row policy.
    pub fn new(policy: MjRowPolicy) -> Self {
        Self {
            summary: VfkSummary {
                policy,
                ..VfkSummary::default()
            },
            warned_missing_par_type: false,
        }
    }

    /// Takes one record into account.
    pub fn add(&mut self, record: &Record) -> Result<(), SyntaxError> {
        match record {
            Record::Header(entry) => self.summary.header.apply(entry),
            Record::Data(row) => self.add_row(row),
            Record::BlockDef(_) | Record::End { .. } => Ok(()),
        }
    }

    fn add_row(&mut self, row: &DataRow) -> Result<(), SyntaxError> {
        let block = row.block.name.as_str();
        *self
            .summary
            .rows_by_block
            .entry(block.to_owned())
            .or_default() += 1;
        match block {
            "PAR" | "TEL" => {}
            "KATUZE" => {
                if let (Some(code), Some(name)) = (
                    row.get("KOD").and_then(|v| v.as_i64()),
                    row.get("NAZEV").and_then(|v| v.as_str()),
                ) && let Ok(code) = u32::try_from(code)
                {
                    self.area(code).name = Some(name.to_owned());
                }
                return Ok(());
            }
            _ => return Ok(()),
        }
        let status = row
            .get("STAV_DAT")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned();
        let counted = match self.summary.policy {
            MjRowPolicy::AllRows => true,
            MjRowPolicy::CurrentOnly => status.trim() == "0",
        };
        let code = area_code(row)?;
        if block == "PAR" {
            self.summary.par_rows += 1;
            *self.summary.par_rows_by_status.entry(status).or_default() += 1;
            let par_type = match row.get("PAR_TYPE") {
                Some(v) => v.as_str().unwrap_or("").trim().to_owned(),
                None => {
                    if !self.warned_missing_par_type {
                        self.warned_missing_par_type = true;
                        self.summary.notes.push(
                            "block PAR has no PAR_TYPE column (old VFK version): every PAR row counted as a parcel KN"
                                .to_owned(),
                        );
                    }
                    "PKN".to_owned()
                }
            };
            let area = self.area(code);
            match (par_type.as_str(), counted) {
                ("PKN", true) => area.parcels_kn += 1,
                ("PZE", true) => area.parcels_ze += 1,
                ("PKN" | "PZE", false) => area.excluded_rows += 1,
                _ => {
                    return Err(SyntaxError::new(
                        row.line,
                        SyntaxErrorKind::InvalidValue {
                            column: "PAR_TYPE".to_owned(),
                            found: par_type,
                            expected: "PKN (parcel KN) or PZE (parcel ZE)",
                        },
                    ));
                }
            }
        } else {
            self.summary.tel_rows += 1;
            *self.summary.tel_rows_by_status.entry(status).or_default() += 1;
            let area = self.area(code);
            if counted {
                area.lv += 1;
            } else {
                area.excluded_rows += 1;
            }
        }
        Ok(())
    }

    fn area(&mut self, code: u32) -> &mut AreaCounts {
        self.summary
            .areas
            .entry(code)
            .or_insert_with(|| AreaCounts {
                code,
                ..AreaCounts::default()
            })
    }

    /// The summary so far.
    pub fn finish(mut self) -> VfkSummary {
        // k.ú. known only from the KATUZE code list but without parcels or LV
        // are kept: they show that the file covers them with 0 MJ.
        self.summary.has_jpv = self.summary.header.has_jpv();
        if self.summary.header.data_kind == Some(DataKind::Change) {
            self.summary.notes.push(
                "change data: ČÚZK derives the MJ of change data from the state export at the end of the period (FAQ – Šíření); the rows counted here are changed rows, not the billable MJ"
                    .to_owned(),
            );
        }
        if self.summary.header.data_kind.is_none() {
            self.summary
                .notes
                .push("header has no &HZMENY: state or change data unknown".to_owned());
        }
        self.summary
    }
}

fn area_code(row: &DataRow) -> Result<u32, SyntaxError> {
    let value = row.get("KATUZE_KOD");
    value
        .and_then(|v| v.as_i64())
        .and_then(|c| u32::try_from(c).ok())
        .filter(|c| *c > 0)
        .ok_or_else(|| {
            SyntaxError::new(
                row.line,
                SyntaxErrorKind::InvalidValue {
                    column: "KATUZE_KOD".to_owned(),
                    found: value.and_then(|v| v.as_str()).unwrap_or("").to_owned(),
                    expected: "the code of a cadastral area (k.ú.)",
                },
            )
        })
}

/// Counts MJ in VFK data from any reader.
pub fn count_mj<R: BufRead>(input: R, policy: MjRowPolicy) -> Result<VfkSummary, VfkError> {
    let mut reader = VfkReader::new(input);
    let mut counter = MjCounter::new(policy);
    while let Some(record) = reader.next_record()? {
        counter.add(&record)?;
    }
    Ok(counter.finish())
}

/// Error counting a VFK file on disk; names the file.
#[derive(Debug, thiserror::Error)]
pub enum CountFileError {
    /// The file cannot be opened.
    #[error("{}: cannot open: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Reading or parsing failed.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: VfkError,
    },
}

/// Counts MJ in a VFK file.
pub fn count_mj_file(path: &Path, policy: MjRowPolicy) -> Result<VfkSummary, CountFileError> {
    let file = File::open(path).map_err(|source| CountFileError::Open {
        path: path.to_owned(),
        source,
    })?;
    count_mj(BufReader::with_capacity(1 << 16, file), policy).map_err(|source| {
        CountFileError::Read {
            path: path.to_owned(),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "&HVERZE;\"6.0\"\n&HCODEPAGE;\"UTF-8\"\n&HSKUPINA;\"NEMO\";\"JPVZ\"\n&HZMENY;0\n\
&BPAR;ID N30;STAV_DAT N2;PAR_TYPE T10;KATUZE_KOD N6\n\
&DPAR;1;0;\"PKN\";600001\n&DPAR;2;0;\"PZE\";600001\n&DPAR;3;-1;\"PKN\";600002\n\
&BTEL;ID N30;STAV_DAT N2;KATUZE_KOD N6;CISLO_TEL N6\n&DTEL;9;0;600002;1\n&K\n";

    #[test]
    fn counts_per_area_and_policy() {
        let s = count_mj(SMALL.as_bytes(), MjRowPolicy::AllRows).unwrap();
        assert_eq!(s.mj(), 4);
        assert!(s.has_jpv);
        assert_eq!(s.areas[&600001].parcels_ze, 1);
        assert_eq!(s.areas[&600002].mj(), 2);
        let s = count_mj(SMALL.as_bytes(), MjRowPolicy::CurrentOnly).unwrap();
        assert_eq!(s.mj(), 3);
        assert_eq!(s.areas[&600002].excluded_rows, 1);
    }

    #[test]
    fn change_data_header() {
        let change = SMALL.replace(
            "&HZMENY;0",
            "&HZMENY;1\n&HPLATNOST;\"01.04.2019 00:00:00\";\"01.06.2019 00:00:00\"",
        );
        let s = count_mj(change.as_bytes(), MjRowPolicy::AllRows).unwrap();
        assert_eq!(s.data_kind(), Some(DataKind::Change));
        assert_eq!(
            s.header.valid_from.map(|d| d.date().to_string()).as_deref(),
            Some("2019-04-01")
        );
        assert_eq!(
            s.header.valid_to.map(|d| d.date().to_string()).as_deref(),
            Some("2019-06-01")
        );
        assert!(
            s.notes.iter().any(|n| n.starts_with("change data:")),
            "{:?}",
            s.notes
        );
    }

    #[test]
    fn unknown_parcel_type_is_an_error() {
        let bad = SMALL.replace("\"PZE\"", "\"XYZ\"");
        let err = count_mj(bad.as_bytes(), MjRowPolicy::AllRows).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 7: column PAR_TYPE holds \"XYZ\", expected PKN (parcel KN) or PZE (parcel ZE)"
        );
    }

    #[test]
    fn missing_area_code_is_an_error() {
        let bad = SMALL.replace("&DTEL;9;0;600002;1", "&DTEL;9;0;;1");
        let err = count_mj(bad.as_bytes(), MjRowPolicy::AllRows).unwrap_err();
        assert!(
            err.to_string().starts_with("line 10: column KATUZE_KOD"),
            "{err}"
        );
    }
}
