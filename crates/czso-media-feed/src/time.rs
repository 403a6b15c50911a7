//! Instants in Europe/Prague, the time zone of every timestamp ČSÚ writes.

use crate::error::{Error, Result};
use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Prague;

/// Formats an instant as ČSÚ's `DATUM_CAS_GENEROVANI`: Prague local time without an offset.
pub fn prague_local(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&Prague)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// Parses a Prague local time (`2025-10-04T14:00`, `2025-10-04T14:00:00` or with a space) or
/// an RFC 3339 instant with an explicit offset.
///
/// A local time that does not exist (spring gap) is an error; an ambiguous one (autumn
/// overlap) takes the earlier instant.
pub fn parse_prague(text: &str) -> Result<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Ok(dt.with_timezone(&Utc));
    }
    let normal = text.replacen(' ', "T", 1);
    let naive = NaiveDateTime::parse_from_str(&normal, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(&normal, "%Y-%m-%dT%H:%M"))
        .map_err(|_| {
            Error::syntax(
                text,
                "not a time: expected YYYY-MM-DDTHH:MM[:SS] (Prague local) or RFC 3339",
            )
        })?;
    match Prague.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.with_timezone(&Utc)),
        LocalResult::None => Err(Error::invalid(
            text,
            "this local time does not exist in Prague",
        )),
    }
}

/// Checks a `DATUM_CAS_ZPRAC`-style local timestamp (`YYYY-MM-DDTHH:MM:SS`).
pub fn is_local_timestamp(text: &str) -> bool {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summer_and_winter_offsets() {
        let t = parse_prague("2025-10-04T14:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-10-04T12:00:00+00:00");
        assert_eq!(prague_local(t), "2025-10-04T14:00:00");
        let w = parse_prague("2026-01-10 14:00:00").unwrap();
        assert_eq!(w.to_rfc3339(), "2026-01-10T13:00:00+00:00");
        assert!(parse_prague("2026-03-29T02:30").is_err());
        assert!(parse_prague("tomorrow").is_err());
    }
}
