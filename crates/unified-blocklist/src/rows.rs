//! The five decree columns of a published row, as the page and the changes feed show them.

use serde::{Deserialize, Serialize};

/// The decree CSV header (Decree 569/2025 Sb., as ČTÚ publishes it).
pub const DECREE_HEADER: [&str; 5] = [
    "URL",
    "DATUM_ZAPISU",
    "DATUM_VYMAZU",
    "ZDROJ",
    "NAZEV_DATOVE_SADY",
];

/// One row of the unified list in its published (decree) form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ListRow {
    /// `URL`: the address as the source published it.
    pub url: String,
    /// `DATUM_ZAPISU`: ISO date of entry.
    pub entered: String,
    /// `DATUM_VYMAZU`: ISO date of removal, empty while active.
    pub removed: String,
    /// `ZDROJ`: the authority keeping the local list.
    pub source: String,
    /// `NAZEV_DATOVE_SADY`: the NKOD dataset title.
    pub dataset: String,
}

impl ListRow {
    /// Whether the row is still active (no removal date).
    pub fn is_active(&self) -> bool {
        self.removed.is_empty()
    }
}

/// The published CSV could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("decree CSV, record {record}: {message}")]
pub struct RowsError {
    /// 1-based record number (the header is record 1).
    pub record: u64,
    /// What is wrong.
    pub message: String,
}

/// Reads rows from the decree CSV (`URL,DATUM_ZAPISU,DATUM_VYMAZU,ZDROJ,NAZEV_DATOVE_SADY`).
///
/// The page is rendered from the very bytes that are published, so that the page and the CSV
/// can never disagree.
pub fn read_decree_csv(bytes: &[u8]) -> Result<Vec<ListRow>, RowsError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| RowsError {
            record: 1,
            message: e.to_string(),
        })?
        .clone();
    if header.iter().collect::<Vec<_>>() != DECREE_HEADER {
        return Err(RowsError {
            record: 1,
            message: format!(
                "header is {:?}, expected {}",
                header,
                DECREE_HEADER.join(",")
            ),
        });
    }
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record_no = index as u64 + 2;
        let record = record.map_err(|e| RowsError {
            record: record_no,
            message: e.to_string(),
        })?;
        let mut fields = record.iter();
        let (Some(url), Some(entered), Some(removed), Some(source), Some(dataset), None) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return Err(RowsError {
                record: record_no,
                message: format!("{} fields, expected 5", record.len()),
            });
        };
        rows.push(ListRow {
            url: url.to_owned(),
            entered: entered.to_owned(),
            removed: removed.to_owned(),
            source: source.to_owned(),
            dataset: dataset.to_owned(),
        });
    }
    Ok(rows)
}
