//! The daily schedule (a wall-clock time in a time zone, correct across DST changes) and the
//! retry backoff after a failed update.

use chrono::{DateTime, Duration, LocalResult, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The first moment strictly after `after` at which the local clock in `zone` shows `at`.
///
/// When DST skips `at` on some day (the clock jumps over it), that day's run happens at the
/// first instant after the gap; when DST repeats `at`, the earlier instant is used. Both
/// follow what an operator reading a wall clock would expect.
pub fn next_run(after: DateTime<Utc>, at: NaiveTime, zone: Tz) -> DateTime<Utc> {
    let mut day = after.with_timezone(&zone).date_naive();
    loop {
        let local = day.and_time(at);
        let instant = match zone.from_local_datetime(&local) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(earlier, _) => earlier.with_timezone(&Utc),
            LocalResult::None => {
                // In a gap: step forward minute by minute to the first valid local time.
                let mut probe = local;
                loop {
                    probe += Duration::minutes(1);
                    if let Some(t) = zone.from_local_datetime(&probe).earliest() {
                        break t.with_timezone(&Utc);
                    }
                }
            }
        };
        if instant > after {
            return instant;
        }
        let Some(next_day) = day.succ_opt() else {
            // No later day is representable (chrono ends in the year 262143): never.
            return DateTime::<Utc>::MAX_UTC;
        };
        day = next_day;
    }
}

/// Exponential backoff for retries after a failure, capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay.
    pub initial: std::time::Duration,
    /// The longest delay.
    pub max: std::time::Duration,
}

impl Backoff {
    /// The delay before retry number `attempt` (1 = the first retry).
    pub fn delay(&self, attempt: u32) -> std::time::Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1).min(30))
            .unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Prague;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    const TEN_PM: NaiveTime = NaiveTime::from_hms_opt(22, 0, 0).unwrap();

    #[test]
    fn winter_and_summer_offsets() {
        // CET (UTC+1): 22:00 is 21:00 UTC.
        assert_eq!(
            next_run(utc("2026-01-10T12:00:00Z"), TEN_PM, Prague),
            utc("2026-01-10T21:00:00Z")
        );
        // CEST (UTC+2): 22:00 is 20:00 UTC.
        assert_eq!(
            next_run(utc("2026-07-10T12:00:00Z"), TEN_PM, Prague),
            utc("2026-07-10T20:00:00Z")
        );
    }

    #[test]
    fn across_the_spring_change() {
        // 2026-03-29 02:00 CET → 03:00 CEST. After the run on the 28th (21:00 UTC) the next
        // one is the 29th at 22:00 CEST = 20:00 UTC, 23 hours later.
        let first = next_run(utc("2026-03-28T12:00:00Z"), TEN_PM, Prague);
        assert_eq!(first, utc("2026-03-28T21:00:00Z"));
        let second = next_run(first, TEN_PM, Prague);
        assert_eq!(second, utc("2026-03-29T20:00:00Z"));
        assert_eq!(second - first, Duration::hours(23));
    }

    #[test]
    fn across_the_autumn_change() {
        // 2026-10-25 03:00 CEST → 02:00 CET: the day has 25 hours.
        let first = next_run(utc("2026-10-24T12:00:00Z"), TEN_PM, Prague);
        assert_eq!(first, utc("2026-10-24T20:00:00Z"));
        let second = next_run(first, TEN_PM, Prague);
        assert_eq!(second, utc("2026-10-25T21:00:00Z"));
        assert_eq!(second - first, Duration::hours(25));
    }

    #[test]
    fn a_time_inside_the_gap_runs_after_it() {
        let at = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        // 02:30 does not exist on 2026-03-29 in Prague; the run is at 03:00 CEST = 01:00 UTC.
        assert_eq!(
            next_run(utc("2026-03-28T12:00:00Z"), at, Prague),
            utc("2026-03-29T01:00:00Z")
        );
    }

    #[test]
    fn a_repeated_time_runs_once_at_the_earlier_instant() {
        let at = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        let first = next_run(utc("2026-10-24T12:00:00Z"), at, Prague);
        assert_eq!(first, utc("2026-10-25T00:30:00Z"));
        // Not again at 01:30 UTC (the repeated 02:30), but on the next day.
        assert_eq!(next_run(first, at, Prague), utc("2026-10-26T01:30:00Z"));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = Backoff {
            initial: std::time::Duration::from_secs(60),
            max: std::time::Duration::from_secs(600),
        };
        let secs: Vec<u64> = (1..=6).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(secs, vec![60, 120, 240, 480, 600, 600]);
    }
}
