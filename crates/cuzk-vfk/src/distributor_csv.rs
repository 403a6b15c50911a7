//! MJ counting from the CSV file ČÚZK hands to distributors with the VFK data.
//!
//! ČÚZK FAQ – Šíření: "šiřitelům bude vždy s daty VFK předán i CSV soubor, který
//! bude obsahovat: Identifikaci k.ú., Identifikaci parcely, Identifikaci LV.
//! CSV soubor umožní stanovit přesný počet měrných jednotek libovolného výběru
//! dat VFK."
//!
//! **Assumption (layout).** The column layout is not published. This reader
//! takes one row per parcel or LV with the three identifications, found by
//! header name (e.g. `KATUZE_KOD`/`k.ú.`, `PAR_ID`/`parcela`, `TEL_ID`/`LV`,
//! with or without diacritics), or, without a recognisable header, by position
//! in the FAQ's order (k.ú., parcel, LV). `,`, `;` or tab separated; UTF-8
//! (with or without BOM) or, when not valid UTF-8, Windows-1250.
//! MJ of a k.ú. = distinct parcels + distinct LV in its rows (a parcel listed
//! with its LV on one row counts once as a parcel and the LV once overall).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Read;

use serde::Serialize;

/// Error reading the distributor CSV or selecting from it.
#[derive(Debug, thiserror::Error)]
pub enum DistributorCsvError {
    /// Reading failed.
    #[error("{source_name}: cannot read: {error}")]
    Io {
        /// File name.
        source_name: String,
        /// Cause.
        error: std::io::Error,
    },
    /// The CSV syntax is broken.
    #[error("{source_name}: {error}")]
    Csv {
        /// File name.
        source_name: String,
        /// Cause.
        error: csv::Error,
    },
    /// A row breaks the expected content.
    #[error("{source_name}: line {line}: {message}")]
    Invalid {
        /// File name.
        source_name: String,
        /// Line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The selection names a k.ú. the CSV does not contain.
    #[error("k.ú. {code} is not in the distributor CSV (it has {available} k.ú.)")]
    UnknownArea {
        /// The requested code.
        code: u32,
        /// How many k.ú. the CSV has.
        available: usize,
    },
}

#[derive(Debug, Default, Clone)]
struct AreaSets {
    parcels: HashSet<String>,
    lv: HashSet<String>,
}

/// Parcels and LV per k.ú. read from a distributor CSV.
#[derive(Debug, Default, Clone)]
pub struct DistributorCsv {
    areas: BTreeMap<u32, AreaSets>,
    rows: u64,
}

/// MJ of one k.ú. from the distributor CSV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvAreaMj {
    /// k.ú. code.
    pub code: u32,
    /// Distinct parcels.
    pub parcels: u64,
    /// Distinct LV.
    pub lv: u64,
    /// parcels + LV.
    pub mj: u64,
}

/// MJ of a selection of k.ú.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvSelectionMj {
    /// Per k.ú.
    pub areas: Vec<CsvAreaMj>,
    /// Total MJ.
    pub mj: u64,
}

impl DistributorCsv {
    /// Data rows read.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Codes of the k.ú. present.
    pub fn area_codes(&self) -> Vec<u32> {
        self.areas.keys().copied().collect()
    }

    /// MJ of the selected k.ú. (`None` = all); an unknown code is an error,
    /// because pricing it as 0 MJ would be wrong.
    pub fn mj(&self, selection: Option<&[u32]>) -> Result<CsvSelectionMj, DistributorCsvError> {
        let codes: BTreeSet<u32> = match selection {
            Some(s) => s.iter().copied().collect(),
            None => self.areas.keys().copied().collect(),
        };
        let mut areas = Vec::new();
        for code in codes {
            let sets = self
                .areas
                .get(&code)
                .ok_or(DistributorCsvError::UnknownArea {
                    code,
                    available: self.areas.len(),
                })?;
            let parcels = sets.parcels.len() as u64;
            let lv = sets.lv.len() as u64;
            areas.push(CsvAreaMj {
                code,
                parcels,
                lv,
                mj: parcels + lv,
            });
        }
        let mj = areas.iter().map(|a| a.mj).sum();
        Ok(CsvSelectionMj { areas, mj })
    }
}

/// Lower-case ASCII letters and digits only, Czech diacritics removed.
fn normalise(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .chars()
        .map(|c| match c.to_lowercase().next().unwrap_or(c) {
            'á' => 'a',
            'č' => 'c',
            'ď' => 'd',
            'é' | 'ě' => 'e',
            'í' => 'i',
            'ň' => 'n',
            'ó' => 'o',
            'ř' => 'r',
            'š' => 's',
            'ť' => 't',
            'ú' | 'ů' => 'u',
            'ý' => 'y',
            'ž' => 'z',
            other => other,
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

const AREA_NAMES: &[&str] = &[
    "katuzekod",
    "katuze",
    "ku",
    "kodku",
    "identifikaceku",
    "katastralniuzemi",
    "kodkatastralnihouzemi",
    "kuid",
];
const PARCEL_NAMES: &[&str] = &[
    "parid",
    "parcela",
    "parcelaid",
    "idparcely",
    "identifikaceparcely",
    "parcelniid",
    "parcelnicislo",
    "parcislo",
];
const LV_NAMES: &[&str] = &[
    "telid",
    "lv",
    "cislolv",
    "cislotel",
    "identifikacelv",
    "idlv",
    "lvid",
    "listvlastnictvi",
];

/// Reads a distributor CSV; see the [module docs](self) for the accepted layout.
pub fn read_distributor_csv<R: Read>(
    mut input: R,
    source_name: &str,
) -> Result<DistributorCsv, DistributorCsvError> {
    let mut raw = Vec::new();
    input
        .read_to_end(&mut raw)
        .map_err(|error| DistributorCsvError::Io {
            source_name: source_name.to_owned(),
            error,
        })?;
    let text = match std::str::from_utf8(&raw) {
        Ok(t) => t.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => encoding_rs::WINDOWS_1250
            .decode_without_bom_handling(&raw)
            .0
            .into_owned(),
    };
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = [b';', b',', b'\t']
        .into_iter()
        .max_by_key(|d| first_line.bytes().filter(|b| b == d).count())
        .unwrap_or(b';');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let invalid = |line: u64, message: String| DistributorCsvError::Invalid {
        source_name: source_name.to_owned(),
        line,
        message,
    };
    let mut records = reader.records();
    let Some(first) = records.next() else {
        return Ok(DistributorCsv::default());
    };
    let first = first.map_err(|error| DistributorCsvError::Csv {
        source_name: source_name.to_owned(),
        error,
    })?;
    let find = |names: &[&str]| {
        first
            .iter()
            .position(|h| names.contains(&normalise(h).as_str()))
    };
    let (columns, first_is_data) = match (find(AREA_NAMES), find(PARCEL_NAMES), find(LV_NAMES)) {
        (Some(a), Some(p), Some(l)) => ((a, p, l), false),
        _ if first.len() >= 3
            && first
                .get(0)
                .is_some_and(|f| f.trim().parse::<u32>().is_ok()) =>
        {
            ((0, 1, 2), true)
        }
        _ => {
            return Err(invalid(
                1,
                format!(
                    "no k.ú., parcel and LV columns found in {:?} (expected e.g. KATUZE_KOD, PAR_ID, TEL_ID, or three columns without a header)",
                    first.iter().collect::<Vec<_>>()
                ),
            ));
        }
    };
    let mut result = DistributorCsv::default();
    let mut add = |record: &csv::StringRecord, line: u64| -> Result<(), DistributorCsvError> {
        if record.iter().all(|f| f.trim().is_empty()) {
            return Ok(());
        }
        let field = |i: usize| record.get(i).map(str::trim).unwrap_or("");
        let area_text = field(columns.0);
        let code = area_text
            .parse::<u32>()
            .ok()
            .filter(|c| *c > 0)
            .ok_or_else(|| invalid(line, format!("k.ú. {area_text:?} is not a k.ú. code")))?;
        let parcel = field(columns.1);
        let lv = field(columns.2);
        if parcel.is_empty() && lv.is_empty() {
            return Err(invalid(
                line,
                "row has neither a parcel nor an LV".to_owned(),
            ));
        }
        let sets = result.areas.entry(code).or_default();
        if !parcel.is_empty() {
            sets.parcels.insert(parcel.to_owned());
        }
        if !lv.is_empty() {
            sets.lv.insert(lv.to_owned());
        }
        result.rows += 1;
        Ok(())
    };
    if first_is_data {
        add(&first, 1)?;
    }
    for record in records {
        let record = record.map_err(|error| DistributorCsvError::Csv {
            source_name: source_name.to_owned(),
            error,
        })?;
        let line = record.position().map_or(0, |p| p.line());
        add(&record, line)?;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_and_distinct_counting() {
        let csv = "Identifikace k.ú.;Identifikace parcely;Identifikace LV\n600001;P1;L1\n600001;P2;L1\n600001;;L2\n600002;P9;\n";
        let d = read_distributor_csv(csv.as_bytes(), "t.csv").unwrap();
        let all = d.mj(None).unwrap();
        assert_eq!(all.mj, 2 + 2 + 1);
        assert_eq!(d.mj(Some(&[600002])).unwrap().mj, 1);
        let err = d.mj(Some(&[600003])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "k.ú. 600003 is not in the distributor CSV (it has 2 k.ú.)"
        );
    }

    #[test]
    fn headerless_and_errors() {
        let d = read_distributor_csv("600001,P1,L1\n600001,P1,L1\n".as_bytes(), "t.csv").unwrap();
        assert_eq!(d.mj(None).unwrap().mj, 2);
        let err = read_distributor_csv("KATUZE_KOD;PAR_ID;TEL_ID\nabc;1;2\n".as_bytes(), "t.csv")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv: line 2: k.ú. \"abc\" is not a k.ú. code"
        );
        let err = read_distributor_csv("a;b;c\n".as_bytes(), "t.csv").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("t.csv: line 1: no k.ú., parcel and LV columns"),
            "{err}"
        );
    }
}
