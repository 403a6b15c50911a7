//! Phases of an election (`test`, `live`, `closed`) switched at instants in Europe/Prague.

use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use std::collections::HashMap;

/// Phase of an election.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Production and test addresses allowed; test data served.
    Test,
    /// Real processing: production addresses only, live data.
    Live,
    /// Nobody allowed.
    Closed,
}

impl Phase {
    /// Name used in config, database and CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Live => "live",
            Self::Closed => "closed",
        }
    }

    /// Parses `test`, `live` or `closed`.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "test" => Ok(Self::Test),
            "live" => Ok(Self::Live),
            "closed" => Ok(Self::Closed),
            other => Err(Error::syntax(
                other,
                "phase must be `test`, `live` or `closed`",
            )),
        }
    }
}

/// Phase switches per election, sorted by instant. Before the first switch an election is
/// closed.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    switches: HashMap<String, Vec<(DateTime<Utc>, Phase)>>,
}

impl Schedule {
    /// Adds a switch (a later addition at the same instant replaces the earlier).
    pub fn add(&mut self, election: &str, at: DateTime<Utc>, phase: Phase) {
        let list = self.switches.entry(election.to_owned()).or_default();
        list.retain(|(t, _)| *t != at);
        list.push((at, phase));
        list.sort_by_key(|(t, _)| *t);
    }

    /// The phase of `election` at `now`.
    pub fn phase_at(&self, election: &str, now: DateTime<Utc>) -> Phase {
        self.switches
            .get(election)
            .and_then(|l| l.iter().rev().find(|(t, _)| *t <= now))
            .map_or(Phase::Closed, |(_, p)| *p)
    }

    /// The switches of `election`.
    pub fn switches(&self, election: &str) -> &[(DateTime<Utc>, Phase)] {
        self.switches.get(election).map_or(&[], Vec::as_slice)
    }

    /// Adds the switches stored in the database (admin commands), which win over config
    /// entries at the same instant.
    pub fn load_stored(&mut self, conn: &Connection) -> Result<()> {
        let mut stmt =
            conn.prepare("SELECT election, at_utc, phase FROM phases ORDER BY at_utc")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (election, at, phase) = row?;
            let at = DateTime::from_timestamp(at, 0).ok_or_else(|| {
                Error::Config(format!("stored phase switch at {at} is out of range"))
            })?;
            self.add(&election, at, Phase::parse(&phase)?);
        }
        Ok(())
    }
}

/// Stores an admin phase switch; a running server picks it up without a restart.
pub fn store_switch(
    conn: &Connection,
    election: &str,
    at: DateTime<Utc>,
    phase: Phase,
) -> Result<()> {
    conn.execute(
        "INSERT INTO phases(election, at_utc, phase) VALUES (?1,?2,?3) \
         ON CONFLICT(election, at_utc) DO UPDATE SET phase=excluded.phase",
        params![election, at.timestamp(), phase.as_str()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_prague;

    #[test]
    fn phase_follows_switches() {
        let mut s = Schedule::default();
        s.add(
            "ps2025",
            parse_prague("2025-10-01T08:00").unwrap(),
            Phase::Test,
        );
        s.add(
            "ps2025",
            parse_prague("2025-10-04T14:00").unwrap(),
            Phase::Live,
        );
        s.add(
            "ps2025",
            parse_prague("2025-10-06T00:00").unwrap(),
            Phase::Closed,
        );
        let at = |t| s.phase_at("ps2025", parse_prague(t).unwrap());
        assert_eq!(at("2025-09-30T12:00"), Phase::Closed);
        assert_eq!(at("2025-10-04T13:59:59"), Phase::Test);
        assert_eq!(at("2025-10-04T14:00"), Phase::Live);
        assert_eq!(at("2025-10-07T00:00"), Phase::Closed);
        assert_eq!(s.phase_at("other", Utc::now()), Phase::Closed);
    }
}
