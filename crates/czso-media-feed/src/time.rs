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

/// Instants on a wall-clock grid of a period (ČSÚ regenerates every 60 s and cuts batches
/// at hh:m0 and hh:m5): a client can tell from the period alone when the next change may
/// come.
#[derive(Debug, Clone, Copy)]
pub struct Grid {
    period_ms: i64,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

impl Grid {
    /// A grid of `period_secs` seconds (rounded to milliseconds; 0 or less: no grid).
    pub fn new(period_secs: f64) -> Self {
        Self {
            period_ms: (period_secs * 1000.0).round().max(0.0) as i64,
        }
    }

    /// The slot `at` falls in (every instant its own slot when the period is 0).
    pub fn slot(self, at_ms: i64) -> i64 {
        if self.period_ms == 0 {
            at_ms
        } else {
            at_ms.div_euclid(self.period_ms)
        }
    }

    /// The instant slot `slot` starts.
    pub fn start(self, slot: i64) -> i64 {
        if self.period_ms == 0 {
            slot
        } else {
            slot.saturating_mul(self.period_ms)
        }
    }

    /// The start of the next slot after `at` (`None` for a period of 0).
    pub fn next(self, at_ms: i64) -> Option<i64> {
        (self.period_ms > 0).then(|| {
            self.slot(at_ms)
                .saturating_add(1)
                .saturating_mul(self.period_ms)
        })
    }
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
