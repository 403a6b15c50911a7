//! The VFK header (`&H` entries): version, code page, data groups, validity, state or change data.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::reader::{HeaderEntry, SyntaxError, SyntaxErrorKind, Value};

/// Whether a file holds the state as of a date or the changes over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    /// `&HZMENY;0`: stavová data (the state as of the validity date).
    State,
    /// `&HZMENY;1`: změnová data (changes within the validity period).
    Change,
}

/// Data groups (`&HSKUPINA`) that make a file "SPI s JPV".
///
/// Source: ČÚZK FAQ – Šíření, "Jak přesně bude počítána úplata…": "SPI s JPV se
/// rozumí výdej dat VFK obsahující skupinu Jiné právní vztahy nebo Řízení nebo
/// obsahující obě skupiny současně" (groups `JPVZ` and `RIZE`).
pub const JPV_GROUPS: [&str; 2] = ["JPVZ", "RIZE"];

/// The parsed VFK header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VfkHeader {
    /// `&HVERZE`, e.g. `5.4`.
    pub version: Option<String>,
    /// `&HINFO`.
    pub info: Option<String>,
    /// `&HVYTVORENO`: when the export was created.
    pub created: Option<NaiveDateTime>,
    /// `&HPUVOD`, normally `ISKN`.
    pub origin: Option<String>,
    /// `&HCODEPAGE` as written.
    pub code_page: Option<String>,
    /// `&HSKUPINA`: data groups, e.g. `NEMO`, `VLST`, `JPVZ`.
    pub groups: Vec<String>,
    /// `&HJMENO`: who created the export.
    pub created_by: Option<String>,
    /// `&HPLATNOST` first value: validity start (state date for state data).
    pub valid_from: Option<NaiveDateTime>,
    /// `&HPLATNOST` second value: validity end.
    pub valid_to: Option<NaiveDateTime>,
    /// `&HZMENY`: state or change data.
    pub data_kind: Option<DataKind>,
    /// `&HPOLYG`: whether the export was selected by a polygon.
    pub polygon: Option<bool>,
    /// `&HOSOBDATA`: whether personal data are included (0 = pseudonymised).
    pub personal_data: Option<bool>,
    /// Other header entries, key and raw values.
    pub other: Vec<(String, Vec<String>)>,
}

impl VfkHeader {
    /// Whether the file is "SPI s JPV" (contains group `JPVZ` or `RIZE`); see [`JPV_GROUPS`].
    pub fn has_jpv(&self) -> bool {
        self.groups.iter().any(|g| JPV_GROUPS.contains(&g.as_str()))
    }

    /// The validity date of state data (the date of `valid_to`, which equals
    /// `valid_from` in state exports).
    pub fn state_date(&self) -> Option<NaiveDate> {
        self.valid_to.or(self.valid_from).map(|d| d.date())
    }

    /// Takes one header entry into account; fails when a known key holds an
    /// unreadable value.
    pub fn apply(&mut self, entry: &HeaderEntry) -> Result<(), SyntaxError> {
        let texts: Vec<String> = entry
            .values
            .iter()
            .map(|v| v.as_str().unwrap_or("").to_owned())
            .collect();
        let first = texts.first().cloned();
        let bad = |expected: &'static str| {
            SyntaxError::new(
                entry.line,
                SyntaxErrorKind::InvalidHeaderValue {
                    key: entry.key.clone(),
                    found: texts.clone(),
                    expected,
                },
            )
        };
        match entry.key.as_str() {
            "VERZE" => self.version = first,
            "INFO" => self.info = first,
            "PUVOD" => self.origin = first,
            "CODEPAGE" => self.code_page = first,
            "JMENO" => self.created_by = first,
            "SKUPINA" => {
                self.groups = texts.iter().filter(|t| !t.is_empty()).cloned().collect();
            }
            "VYTVORENO" => {
                self.created = Some(
                    first
                        .as_deref()
                        .and_then(parse_vfk_datetime)
                        .ok_or_else(|| bad("a date dd.mm.yyyy hh:mm:ss"))?,
                );
            }
            "PLATNOST" => {
                let mut dates = entry.values.iter().map(value_datetime);
                self.valid_from = dates.next().flatten();
                self.valid_to = dates.next().flatten();
                if self.valid_from.is_none() && self.valid_to.is_none() {
                    return Err(bad("one or two dates dd.mm.yyyy hh:mm:ss"));
                }
            }
            "ZMENY" => {
                self.data_kind = match entry.values.first().and_then(Value::as_i64) {
                    Some(0) => Some(DataKind::State),
                    Some(1) => Some(DataKind::Change),
                    _ => return Err(bad("0 (state data) or 1 (change data)")),
                };
            }
            "POLYG" => self.polygon = Some(flag(entry).ok_or_else(|| bad("0 or 1"))?),
            "OSOBDATA" => self.personal_data = Some(flag(entry).ok_or_else(|| bad("0 or 1"))?),
            _ => self.other.push((entry.key.clone(), texts)),
        }
        Ok(())
    }
}

fn flag(entry: &HeaderEntry) -> Option<bool> {
    match entry.values.first().and_then(Value::as_i64) {
        Some(0) => Some(false),
        Some(1) => Some(true),
        _ => None,
    }
}

fn value_datetime(v: &Value) -> Option<NaiveDateTime> {
    v.as_str().and_then(parse_vfk_datetime)
}

/// Parses a VFK date `dd.mm.yyyy hh:mm:ss` (the time may be missing).
pub fn parse_vfk_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%d.%m.%Y %H:%M:%S")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%d.%m.%Y")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, values: &[&str]) -> HeaderEntry {
        HeaderEntry {
            key: key.into(),
            values: values.iter().map(|v| Value::Text((*v).into())).collect(),
            line: 3,
        }
    }

    #[test]
    fn jpv_from_groups() {
        let mut h = VfkHeader::default();
        h.apply(&entry("SKUPINA", &["NEMO", "VLST"])).unwrap();
        assert!(!h.has_jpv());
        h.apply(&entry("SKUPINA", &["NEMO", "RIZE"])).unwrap();
        assert!(h.has_jpv());
        h.apply(&entry("SKUPINA", &["JPVZ"])).unwrap();
        assert!(h.has_jpv());
    }

    #[test]
    fn bad_values_are_reported() {
        let mut h = VfkHeader::default();
        let err = h.apply(&entry("ZMENY", &["x"])).unwrap_err();
        assert!(
            err.to_string().starts_with("line 3: &HZMENY holds"),
            "{err}"
        );
        assert!(
            h.apply(&entry("PLATNOST", &["31.02.2018 00:00:00"]))
                .is_err()
        );
    }
}
