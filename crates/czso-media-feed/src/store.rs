//! Durable precinct log and batch cuts in SQLite.
//!
//! The log is append-only: a precinct row is stored when its `PORADI_ZPRAC` is higher than
//! every stored row of the same key. In-memory results are a pure function of the log and the
//! batch cuts, so a restart (or another process reading the same file) rebuilds the same
//! state. A write returns only after SQLite committed it with `synchronous=FULL`, so an
//! acknowledged ingest survives a crash.

use crate::error::{Error, Result};
use crate::model::PrecinctResult;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;
use std::time::Duration;

/// Which data set an ingest goes to: test data served in the `test` phase, or live data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Test data (e.g. a replay of a past election), served during the `test` phase.
    Test,
    /// Real processing.
    Live,
}

impl Channel {
    /// Name stored in the database and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Live => "live",
        }
    }

    /// Parses `test` or `live`.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "test" => Ok(Self::Test),
            "live" => Ok(Self::Live),
            other => Err(Error::syntax(other, "channel must be `test` or `live`")),
        }
    }
}

/// Opens (creating if needed) the database file with the pragmas the crate relies on.
pub fn open_database(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS organisations(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL,
  phone TEXT NOT NULL,
  state TEXT NOT NULL CHECK(state IN ('requested','approved','refused')),
  requested_at TEXT NOT NULL,
  decided_at TEXT,
  note TEXT);
CREATE TABLE IF NOT EXISTS addresses(
  address TEXT PRIMARY KEY,
  organisation INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK(kind IN ('production','test')));
CREATE TABLE IF NOT EXISTS phases(
  election TEXT NOT NULL, at_utc INTEGER NOT NULL, phase TEXT NOT NULL,
  PRIMARY KEY(election, at_utc));
CREATE TABLE IF NOT EXISTS precinct_log(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  election TEXT NOT NULL, channel TEXT NOT NULL, round INTEGER NOT NULL,
  obec INTEGER NOT NULL, okrsek INTEGER NOT NULL, council INTEGER NOT NULL,
  sequence INTEGER NOT NULL, payload TEXT NOT NULL, received_at TEXT NOT NULL,
  UNIQUE(election, channel, round, obec, okrsek, council, sequence));
-- Tailing the log (seq > applied) and finding the last row of a round must not scan the
-- whole election.
CREATE INDEX IF NOT EXISTS precinct_log_tail ON precinct_log(election, seq);
CREATE INDEX IF NOT EXISTS precinct_log_round ON precinct_log(election, channel, round, seq);
CREATE TABLE IF NOT EXISTS batches(
  election TEXT NOT NULL, channel TEXT NOT NULL, round INTEGER NOT NULL,
  number INTEGER NOT NULL, last_seq INTEGER NOT NULL, cut_at_utc INTEGER NOT NULL,
  PRIMARY KEY(election, channel, round, number));
";

/// Outcome of one ingest call.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IngestReport {
    /// Rows stored (new precincts or re-sends with a higher `PORADI_ZPRAC`).
    pub accepted: usize,
    /// Rows identical to a stored row (same key and `PORADI_ZPRAC`): nothing to do.
    pub duplicates: usize,
    /// Rows older than a stored row of the same key (lower `PORADI_ZPRAC`): ignored.
    pub stale: usize,
    /// The batch cut after the ingest, if one was asked for.
    pub batch: Option<u32>,
}

/// A stored log row.
#[derive(Debug, Clone)]
pub struct LogRow {
    /// Log sequence number (global, increasing).
    pub seq: i64,
    /// Data set.
    pub channel: Channel,
    /// The precinct row.
    pub result: PrecinctResult,
}

/// A stored batch cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchCut {
    /// Data set.
    pub channel: Channel,
    /// Round.
    pub round: u8,
    /// `PORADI_DAVKY`.
    pub number: u32,
    /// Rows with `seq <= last_seq` (and above the previous cut) belong to this batch.
    pub last_seq: i64,
    /// When it was cut (Unix seconds).
    pub cut_at: i64,
}

/// Stores precinct rows of `election` durably. The whole call is one transaction: either
/// every row is settled (stored, duplicate or stale) or nothing is stored.
pub fn ingest(
    conn: &mut Connection,
    election: &str,
    channel: Channel,
    rows: &[PrecinctResult],
    source: &str,
    now_utc: &str,
) -> Result<IngestReport> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut report = IngestReport::default();
    {
        let mut latest = tx.prepare_cached(
            "SELECT sequence, payload FROM precinct_log WHERE election=?1 AND channel=?2 AND round=?3 \
             AND obec=?4 AND okrsek=?5 AND council=?6 ORDER BY sequence DESC LIMIT 1",
        )?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO precinct_log(election, channel, round, obec, okrsek, council, sequence, payload, received_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for row in rows {
            let key = row.key();
            let payload = serde_json::to_string(row)
                .map_err(|e| Error::invalid(source, format!("{}: {e}", row.label())))?;
            let sequence = i64::try_from(row.sequence).map_err(|_| {
                Error::invalid(
                    source,
                    format!("{}: PORADI_ZPRAC is too large", row.label()),
                )
            })?;
            let stored: Option<(i64, String)> = latest
                .query_row(
                    params![
                        election,
                        channel.as_str(),
                        key.round,
                        key.obec,
                        key.okrsek,
                        key.council
                    ],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match stored {
                Some((seq, old)) if seq == sequence => {
                    if old == payload {
                        report.duplicates += 1;
                    } else {
                        return Err(Error::invalid(
                            source,
                            format!(
                                "{}: PORADI_ZPRAC={} was already stored with different figures; \
                                 a correction must be re-sent with a higher PORADI_ZPRAC",
                                row.label(),
                                row.sequence
                            ),
                        ));
                    }
                }
                Some((seq, _)) if seq > sequence => report.stale += 1,
                _ => {
                    insert.execute(params![
                        election,
                        channel.as_str(),
                        key.round,
                        key.obec,
                        key.okrsek,
                        key.council,
                        sequence,
                        payload,
                        now_utc
                    ])?;
                    report.accepted += 1;
                }
            }
        }
    }
    tx.commit()?;
    Ok(report)
}

/// Cuts the next batch of `round` from the rows stored since the previous cut.
///
/// Without `number` the batch is numbered one past the previous and nothing is cut when no
/// row is pending. With `number` (replaying a source whose batch numbers must be kept) the
/// batch may be empty, and the number must be above the previous one.
pub fn cut_batch(
    conn: &mut Connection,
    election: &str,
    channel: Channel,
    round: u8,
    number: Option<u32>,
    cut_at: i64,
) -> Result<Option<u32>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let previous: Option<(u32, i64)> = tx
        .query_row(
            "SELECT number, last_seq FROM batches WHERE election=?1 AND channel=?2 AND round=?3 \
             ORDER BY number DESC LIMIT 1",
            params![election, channel.as_str(), round],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (prev_number, prev_seq) = previous.unwrap_or((0, 0));
    let last_seq: i64 = tx.query_row(
        "SELECT COALESCE(MAX(seq), 0) FROM precinct_log WHERE election=?1 AND channel=?2 AND round=?3",
        params![election, channel.as_str(), round],
        |r| r.get(0),
    )?;
    let last_seq = last_seq.max(prev_seq);
    let number = match number {
        // The same batch sent again after it was cut: nothing new, nothing to do.
        Some(n) if last_seq == prev_seq && batch_exists(&tx, election, channel, round, n)? => {
            return Ok(Some(n));
        }
        Some(n) if n <= prev_number => {
            return Err(Error::invalid(
                election,
                format!("batch {n} cannot follow batch {prev_number}: numbers must increase"),
            ));
        }
        Some(n) => n,
        None if last_seq == prev_seq => return Ok(None),
        None => prev_number + 1,
    };
    tx.execute(
        "INSERT INTO batches(election, channel, round, number, last_seq, cut_at_utc) VALUES (?1,?2,?3,?4,?5,?6)",
        params![election, channel.as_str(), round, number, last_seq, cut_at],
    )?;
    tx.commit()?;
    Ok(Some(number))
}

fn batch_exists(
    conn: &Connection,
    election: &str,
    channel: Channel,
    round: u8,
    number: u32,
) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM batches WHERE election=?1 AND channel=?2 AND round=?3 AND number=?4",
            params![election, channel.as_str(), round, number],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Log rows of `election` with `seq > after`, in order.
pub fn read_log(conn: &Connection, election: &str, after: i64) -> Result<Vec<LogRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, channel, payload FROM precinct_log WHERE election=?1 AND seq>?2 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![election, after], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, channel, payload) = row?;
        let result: PrecinctResult = serde_json::from_str(&payload).map_err(|e| {
            Error::syntax(
                format!("precinct_log row {seq}"),
                format!("stored payload unreadable: {e}"),
            )
        })?;
        out.push(LogRow {
            seq,
            channel: Channel::parse(&channel)?,
            result,
        });
    }
    Ok(out)
}

/// Batch cuts of `election`, ordered by round and number.
pub fn read_batches(conn: &Connection, election: &str) -> Result<Vec<BatchCut>> {
    let mut stmt = conn.prepare_cached(
        "SELECT channel, round, number, last_seq, cut_at_utc FROM batches WHERE election=?1 \
         ORDER BY channel, round, number",
    )?;
    let rows = stmt.query_map(params![election], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, u8>(1)?,
            r.get::<_, u32>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (channel, round, number, last_seq, cut_at) = row?;
        out.push(BatchCut {
            channel: Channel::parse(&channel)?,
            round,
            number,
            last_seq,
            cut_at,
        });
    }
    Ok(out)
}
