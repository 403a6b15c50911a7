//! Durable precinct log and batch cuts in SQLite.
//!
//! The log is append-only: a precinct row is stored when its `PORADI_ZPRAC` is higher than
//! every stored row of the same key. In-memory results are a pure function of the log and the
//! batch cuts, so a restart (or another process reading the same file) rebuilds the same
//! state. A write returns only after SQLite committed it with `synchronous=FULL`, so an
//! acknowledged ingest survives a crash. The one exception is a scheduled cut
//! ([`Store::cut_scheduled`]), which is a function of the synced rows and is made again
//! identically when it was lost.

use crate::error::{Error, Result};
use crate::model::{PrecinctKey, PrecinctResult, Turnout};
use rusqlite::config::DbConfig;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
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
///
/// `synchronous=FULL` in WAL mode: every commit is on disk (fsynced) before it returns, so
/// an acknowledged ingest survives a crash of the process and of the machine.
pub fn open_database(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    // The same plan whatever the bound values: without it, SQLite's planner marks the
    // parameters compared in a WHERE (`election=?1`) and re-prepares a cached statement
    // whenever one is bound to another value — several times per ingest, ~3 % of its CPU.
    // Every query here is an equality or rowid range on a key, planned alike for any value.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.execute_batch(SCHEMA)?;
    // Columns added after the first release: the source batch's own counts.
    let has_upstream: bool = conn
        .prepare("SELECT 1 FROM pragma_table_info('batches') WHERE name='upstream_processed'")?
        .exists([])?;
    if !has_upstream {
        conn.execute_batch(
            "ALTER TABLE batches ADD COLUMN upstream_rows INTEGER; \
             ALTER TABLE batches ADD COLUMN upstream_processed INTEGER;",
        )?;
    }
    // When each row was stored, in milliseconds, for scheduled cuts (`Store::cut_scheduled`);
    // rows stored before the column existed get it from their RFC 3339 `received_at`.
    let has_received_ms: bool = conn
        .prepare("SELECT 1 FROM pragma_table_info('precinct_log') WHERE name='received_ms'")?
        .exists([])?;
    if !has_received_ms {
        conn.execute_batch(
            "ALTER TABLE precinct_log ADD COLUMN received_ms INTEGER NOT NULL DEFAULT 0; \
             UPDATE precinct_log SET received_ms = \
               COALESCE(CAST(unixepoch(received_at, 'subsec') * 1000 AS INTEGER), 0);",
        )?;
    }
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
  sequence INTEGER NOT NULL, payload BLOB NOT NULL, received_at TEXT NOT NULL,
  UNIQUE(election, channel, round, obec, okrsek, council, sequence));
-- Tailing the log seeks by seq (the rowid). A scheduled cut looks for the pending rows of
-- each data set, also of one that has none (the idle test data set in the live phase): by
-- seq alone that walks every later row of the other data sets, the whole table at worst, in
-- the cut that newsrooms are waiting for. This index (rowid implied last) makes it a seek.
DROP INDEX IF EXISTS precinct_log_tail;
CREATE INDEX IF NOT EXISTS precinct_log_round ON precinct_log(election, channel, round);
-- Resets of a data set (rehearsals on the test channel): the latest id of an election and
-- channel tells every reader sharing the file that its rows were removed.
CREATE TABLE IF NOT EXISTS channel_resets(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  election TEXT NOT NULL, channel TEXT NOT NULL, at_utc INTEGER NOT NULL,
  rows_removed INTEGER NOT NULL, batches_removed INTEGER NOT NULL, requested_by TEXT NOT NULL);
-- Precinct rows set aside by the `quarantine` policy: inconsistent, not stored in the log,
-- kept for the operator with the rule they break.
CREATE TABLE IF NOT EXISTS quarantine(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  election TEXT NOT NULL, channel TEXT NOT NULL, round INTEGER NOT NULL,
  obec INTEGER NOT NULL, okrsek INTEGER NOT NULL, council INTEGER NOT NULL,
  sequence INTEGER NOT NULL, rule TEXT NOT NULL, source TEXT NOT NULL,
  payload BLOB NOT NULL, received_at TEXT NOT NULL,
  UNIQUE(election, channel, round, obec, okrsek, council, sequence, rule));
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
    /// Rows set aside by the `quarantine` policy (not stored), each with the rule it breaks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quarantined: Vec<crate::error::RowProblem>,
}

/// A quarantined row as the operator sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QuarantinedRow {
    /// Its number.
    pub id: i64,
    /// Data set.
    pub channel: &'static str,
    /// The document it came in.
    pub source: String,
    /// When it came (RFC 3339).
    pub received_at: String,
    /// The row and the rule it breaks.
    #[serde(flatten)]
    pub problem: crate::error::RowProblem,
    /// A later row of the same precinct (same or higher `PORADI_ZPRAC`) has been stored.
    pub superseded: bool,
}

/// What a reset of a data set removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ResetReport {
    /// Precinct log rows removed.
    pub rows_removed: u64,
    /// Batch cuts removed.
    pub batches_removed: u64,
    /// The reset's number (increasing over the database's life).
    pub generation: i64,
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
    /// The source batch's own counts, when a source batch was replayed with its number.
    pub upstream: Option<Upstream>,
}

/// A source batch's `DAVKA` counts, kept with the cut made from it: ČSÚ's `OKRSKY_ZPRAC`
/// counts precincts ČSÚ marked processed without listing them (KV 2022, batch 1: 572 such
/// precincts, replaced by real rows during the night), which the rows alone cannot give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upstream {
    /// `OKRSKY_DAVKA`.
    pub rows: u32,
    /// `OKRSKY_ZPRAC`.
    pub processed: u32,
}

/// The latest stored row of a precinct: its `PORADI_ZPRAC` and its log seq.
#[derive(Debug, Clone, Copy)]
struct Latest {
    sequence: u64,
    seq: i64,
}

/// The rows of one document as validation left them.
#[derive(Debug, Clone, Copy)]
pub struct DocumentRows<'a> {
    /// Rows to store.
    pub valid: &'a [PrecinctResult],
    /// Inconsistent rows set aside by the `quarantine` policy, each with the rule it breaks.
    pub quarantined: &'a [(PrecinctResult, crate::error::RowProblem)],
}

/// A batch cut made in the same transaction as an ingest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CutRequest {
    /// Round to cut.
    pub round: u8,
    /// Batch number to keep (a replayed source), or `None` for the next one.
    pub number: Option<u32>,
    /// When it was cut (Unix seconds).
    pub cut_at: i64,
    /// The replayed source batch's counts, if any.
    pub upstream: Option<Upstream>,
}

/// What one ingest stored.
#[derive(Debug, Clone, Default)]
pub struct Ingested {
    /// Counts and the batch cut, as reported to the client.
    pub report: IngestReport,
    /// `(log seq, index into the ingested rows)` of every stored row, in seq order.
    pub stored: Vec<(i64, usize)>,
    /// The log's highest seq before this ingest: rows up to it were written earlier (maybe
    /// by another process); rows above it up to the last of `stored` are exactly `stored`.
    pub log_end_before: i64,
}

/// WAL frames (pages) after which the next ingest checkpoints first: SQLite's default for
/// its automatic checkpoint.
const CHECKPOINT_FRAMES: i32 = 1000;

/// The precinct log and batch cuts in one database file, with an in-memory index of the
/// latest row per precinct so an ingest does not query the database row by row.
///
/// The index is brought up to date inside every write transaction from the rows other
/// writers appended (the log only grows), so several processes may share the file.
pub struct Store {
    conn: Connection,
    /// Frames in the WAL after this connection's last commit (SQLite's WAL hook).
    wal_frames: Arc<AtomicI32>,
    latest: HashMap<(String, Channel), HashMap<PrecinctKey, Latest>>,
    /// `latest` reflects every log row with `seq <= known_seq`.
    known_seq: i64,
    /// The reset generation `latest` of an election and channel was built for.
    generations: HashMap<(String, Channel), i64>,
}

impl Store {
    /// Opens (creating if needed) the database file.
    pub fn open(path: &Path) -> Result<Self> {
        let mut conn = open_database(path)?;
        // Checkpoints run before an ingest (`checkpoint_before_ingest`), never inside a
        // commit: SQLite's automatic one would leave the WAL's restart to the next writer.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let wal_frames = Arc::new(AtomicI32::new(0));
        let seen = Arc::clone(&wal_frames);
        conn.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, frames| {
            seen.store(frames, Ordering::Relaxed);
            Ok(())
        }))?;
        Ok(Self {
            conn,
            wal_frames,
            latest: HashMap::new(),
            known_seq: 0,
            generations: HashMap::new(),
        })
    }

    /// Copies the WAL into the database file once it holds [`CHECKPOINT_FRAMES`], before an
    /// ingest's transaction, so that transaction restarts the WAL.
    ///
    /// The first write after a complete checkpoint starts the WAL over and syncs its new
    /// header, whatever `synchronous` says (an unsynced restart can corrupt the database
    /// after a power loss). With SQLite's automatic checkpoint, run inside a commit, that
    /// write is whichever comes next, often the scheduled cut newsrooms wait for, which
    /// then waits for the disk (measured: 135–319 ms under other processes' writes). An
    /// ingest syncs anyway. Readers pinning the old WAL can still postpone a restart.
    fn checkpoint_before_ingest(&mut self) -> Result<()> {
        if self.wal_frames.load(Ordering::Relaxed) < CHECKPOINT_FRAMES {
            return Ok(());
        }
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        self.wal_frames.store(0, Ordering::Relaxed);
        Ok(())
    }

    /// The underlying connection (for reads).
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Stores precinct rows of `election` durably and, with `cut`, cuts a batch in the same
    /// transaction. Either every row is settled (stored, duplicate or stale) and the call
    /// returns after the commit is on disk, or nothing is stored.
    pub fn ingest(
        &mut self,
        election: &str,
        channel: Channel,
        rows: &[PrecinctResult],
        source: &str,
        now_utc: &str,
        cut: Option<CutRequest>,
    ) -> Result<Ingested> {
        let rows = DocumentRows {
            valid: rows,
            quarantined: &[],
        };
        self.ingest_document(election, channel, rows, source, now_utc, cut)
    }

    /// [`Store::ingest`] of one document's rows, its inconsistent rows set aside by the
    /// `quarantine` policy in the same transaction: a crash or an error before the commit
    /// leaves neither the rows nor the quarantine, so the client's re-send finds nothing of
    /// the document (a row already kept for the same rule is kept once).
    pub fn ingest_document(
        &mut self,
        election: &str,
        channel: Channel,
        rows: DocumentRows<'_>,
        source: &str,
        now_utc: &str,
        cut: Option<CutRequest>,
    ) -> Result<Ingested> {
        self.checkpoint_before_ingest()?;
        let DocumentRows {
            valid: rows,
            quarantined,
        } = rows;
        let Self {
            conn,
            latest,
            known_seq,
            generations,
            wal_frames: _,
        } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (log_end_before, last_received_ms): (i64, i64) = tx
            .prepare_cached(
                "SELECT COALESCE(MAX(seq), 0), \
                 COALESCE((SELECT received_ms FROM precinct_log ORDER BY seq DESC LIMIT 1), 0) \
                 FROM precinct_log",
            )?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        // Read while this transaction holds the write lock and never below the last row's, so
        // the order of `received_ms` is the order of the commits, which scheduled cuts rely on.
        let received_ms = crate::time::now_ms().max(last_received_ms);
        if log_end_before < *known_seq {
            // The file was replaced under us: start over.
            latest.clear();
            *known_seq = 0;
        }
        if log_end_before > *known_seq {
            catch_up(&tx, latest, known_seq)?;
        }
        // Rows of this election and channel removed by a reset (maybe by another process):
        // rebuild its part of the index from what is left.
        let data_set = (election.to_owned(), channel);
        let generation = reset_generation(&tx, election, channel)?;
        if generations.get(&data_set).copied().unwrap_or(0) != generation {
            let index = latest.entry(data_set.clone()).or_default();
            index.clear();
            rebuild_latest(&tx, election, channel, *known_seq, index)?;
            generations.insert(data_set, generation);
        }
        let empty = HashMap::new();
        let known = latest
            .get(&(election.to_owned(), channel))
            .unwrap_or(&empty);
        // Rows stored by this call; merged into `latest` only after the commit.
        let mut added: HashMap<PrecinctKey, Latest> = HashMap::new();
        let mut out = Ingested {
            log_end_before,
            ..Ingested::default()
        };
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO precinct_log(election, channel, round, obec, okrsek, council, sequence, payload, received_at, \
                 received_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            let mut payload_at =
                tx.prepare_cached("SELECT payload FROM precinct_log WHERE seq=?1")?;
            let mut payload = Vec::with_capacity(256);
            for (i, row) in rows.iter().enumerate() {
                let key = row.key();
                let sequence = i64::try_from(row.sequence).map_err(|_| {
                    Error::invalid(
                        source,
                        format!("{}: PORADI_ZPRAC is too large", row.label()),
                    )
                })?;
                match added.get(&key).or_else(|| known.get(&key)).copied() {
                    Some(stored) if stored.sequence == row.sequence => {
                        let old = payload_at.query_row([stored.seq], |r| {
                            Ok(decode_stored(stored.seq, r.get_ref(0)?))
                        })??;
                        // The same figures written with OPAKOVANE in the other form
                        // (`1` / `true`) are the same row.
                        let same = PrecinctResult {
                            repeated_as_word: row.repeated_as_word,
                            ..old
                        } == *row;
                        if same {
                            out.report.duplicates += 1;
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
                    Some(stored) if stored.sequence > row.sequence => out.report.stale += 1,
                    _ => {
                        payload.clear();
                        encode_payload(row, &mut payload);
                        insert.execute(params![
                            election,
                            channel.as_str(),
                            key.round,
                            key.obec,
                            key.okrsek,
                            key.council,
                            sequence,
                            &payload[..],
                            now_utc,
                            received_ms
                        ])?;
                        let seq = tx.last_insert_rowid();
                        added.insert(
                            key,
                            Latest {
                                sequence: row.sequence,
                                seq,
                            },
                        );
                        out.stored.push((seq, i));
                        out.report.accepted += 1;
                    }
                }
            }
        }
        if !quarantined.is_empty() {
            quarantine_in(&tx, election, channel, source, quarantined, now_utc)?;
        }
        if let Some(c) = cut {
            out.report.batch = cut_in(&tx, election, channel, &c, None)?;
        }
        crate::hook::reached(crate::hook::HookPoint::BeforeCommit);
        tx.commit()?;
        latest
            .entry((election.to_owned(), channel))
            .or_default()
            .extend(added);
        if let Some(&(seq, _)) = out.stored.last() {
            *known_seq = seq;
        }
        Ok(out)
    }

    /// Cuts the next batch of `round` from the rows stored since the previous cut.
    ///
    /// Without `number` the batch is numbered one past the previous and nothing is cut when no
    /// row is pending. With `number` (replaying a source whose batch numbers must be kept) the
    /// batch may be empty, and the number must be above the previous one.
    pub fn cut_batch(
        &mut self,
        election: &str,
        channel: Channel,
        round: u8,
        number: Option<u32>,
        cut_at: i64,
    ) -> Result<Option<u32>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let request = CutRequest {
            round,
            number,
            cut_at,
            upstream: None,
        };
        let n = cut_in(&tx, election, channel, &request, None)?;
        tx.commit()?;
        Ok(n)
    }

    /// Makes the scheduled cuts of `data_sets` that are due at `now_ms` on `grid`, in one
    /// transaction, and returns them in the order made.
    ///
    /// A scheduled batch is a function of the stored rows alone: it holds the pending rows
    /// stored before the first grid instant after the oldest of them, and is cut at that
    /// instant. So the commit is not synced (`synchronous=NORMAL`) and the batch can be
    /// announced at once. If the machine loses power before the WAL reaches the disk, the
    /// cut is lost only together with every write after it (each ingest's synced commit
    /// syncs the WAL before it, cuts included), so the rows it held are still pending, and
    /// the next call (a restarted server's first) cuts the same batch again: the same number,
    /// rows and instant, the same document. Rows stored after an instant but before its cut
    /// ran wait for the next cut, as they would after such a loss.
    pub fn cut_scheduled(
        &mut self,
        data_sets: &[(&str, Channel, u8)],
        grid: crate::time::Grid,
        now_ms: i64,
    ) -> Result<Vec<ScheduledCut>> {
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let made = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut made = Vec::new();
            for &(election, channel, round) in data_sets {
                while let Some(cut) = scheduled_cut_in(&tx, election, channel, round, grid, now_ms)?
                {
                    made.push(cut);
                }
            }
            tx.commit()?;
            Ok(made)
        })();
        // Every other write is acknowledged only once it is on disk.
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        made
    }
}

/// A batch cut by [`Store::cut_scheduled`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledCut {
    /// Election.
    pub election: String,
    /// Data set.
    pub channel: Channel,
    /// Round.
    pub round: u8,
    /// `PORADI_DAVKY`.
    pub number: u32,
    /// The batch's last row.
    pub last_seq: i64,
    /// The grid instant it was cut at (milliseconds since the epoch).
    pub due_ms: i64,
}

/// The first row of a data set (?1 election, ?2 channel, ?3 round) after its last batch
/// (?4 seq), through `precinct_log_round`: a seek even when the data set has no such row.
const OLDEST_PENDING_ROW: &str = "SELECT received_ms FROM precinct_log INDEXED BY precinct_log_round \
     WHERE election=?1 AND channel=?2 AND round=?3 AND seq > ?4 ORDER BY seq LIMIT 1";

/// The last row of a data set after its last batch (?4 seq) stored before an instant (?5 ms):
/// only the data set's pending rows are read.
const LAST_ROW_BEFORE_INSTANT: &str = "SELECT MAX(seq) FROM precinct_log INDEXED BY precinct_log_round \
     WHERE election=?1 AND channel=?2 AND round=?3 AND seq > ?4 AND received_ms < ?5";

/// The next scheduled cut of one data set, if one is due at `now_ms`, made inside the
/// caller's transaction.
fn scheduled_cut_in(
    tx: &Connection,
    election: &str,
    channel: Channel,
    round: u8,
    grid: crate::time::Grid,
    now_ms: i64,
) -> Result<Option<ScheduledCut>> {
    let prev_seq: i64 = tx
        .prepare_cached(
            "SELECT COALESCE(MAX(last_seq), 0) FROM batches WHERE election=?1 AND channel=?2 \
             AND round=?3",
        )?
        .query_row(params![election, channel.as_str(), round], |r| r.get(0))?;
    // The oldest pending row: `received_ms` grows with seq (see `ingest_document`).
    let oldest: Option<i64> = tx
        .prepare_cached(OLDEST_PENDING_ROW)?
        .query_row(params![election, channel.as_str(), round, prev_seq], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(due_ms) = oldest.and_then(|received| grid.next(received)) else {
        return Ok(None);
    };
    if due_ms > now_ms {
        return Ok(None);
    }
    let last_seq: i64 = tx.prepare_cached(LAST_ROW_BEFORE_INSTANT)?.query_row(
        params![election, channel.as_str(), round, prev_seq, due_ms],
        |r| r.get(0),
    )?;
    let request = CutRequest {
        round,
        number: None,
        cut_at: due_ms.div_euclid(1000),
        upstream: None,
    };
    let number = cut_in(tx, election, channel, &request, Some(last_seq))?;
    Ok(number.map(|number| ScheduledCut {
        election: election.to_owned(),
        channel,
        round,
        number,
        last_seq,
        due_ms,
    }))
}

impl Store {
    /// Removes every precinct row and batch cut of `election` in the test data set, so a
    /// rehearsal can start again; the registry and the phases are kept. The reset is
    /// recorded (`channel_resets`, with `requested_by`) and readers sharing the file notice
    /// it. The live data set is never reset.
    pub fn reset(
        &mut self,
        election: &str,
        channel: Channel,
        requested_by: &str,
        now_utc: i64,
    ) -> Result<ResetReport> {
        if channel != Channel::Test {
            return Err(Error::invalid(
                election,
                "only the test data set can be reset; live results are never removed",
            ));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let rows_removed = count(tx.execute(
            "DELETE FROM precinct_log WHERE election=?1 AND channel=?2",
            params![election, channel.as_str()],
        )?);
        let batches_removed = count(tx.execute(
            "DELETE FROM batches WHERE election=?1 AND channel=?2",
            params![election, channel.as_str()],
        )?);
        tx.execute(
            "DELETE FROM quarantine WHERE election=?1 AND channel=?2",
            params![election, channel.as_str()],
        )?;
        tx.execute(
            "INSERT INTO channel_resets(election, channel, at_utc, rows_removed, batches_removed, requested_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                election,
                channel.as_str(),
                now_utc,
                rows_removed,
                batches_removed,
                requested_by
            ],
        )?;
        let generation = tx.last_insert_rowid();
        tx.commit()?;
        let data_set = (election.to_owned(), channel);
        self.latest.remove(&data_set);
        self.generations.insert(data_set, generation);
        Ok(ResetReport {
            rows_removed: rows_removed.unsigned_abs(),
            batches_removed: batches_removed.unsigned_abs(),
            generation,
        })
    }
}

/// Keeps inconsistent rows aside, inside the caller's transaction (a row already kept for
/// the same rule is kept once).
fn quarantine_in(
    tx: &Connection,
    election: &str,
    channel: Channel,
    source: &str,
    rows: &[(PrecinctResult, crate::error::RowProblem)],
    now_utc: &str,
) -> Result<()> {
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO quarantine(election, channel, round, obec, okrsek, council, \
         sequence, rule, source, payload, received_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
    )?;
    let mut payload = Vec::new();
    for (row, problem) in rows {
        let key = row.key();
        payload.clear();
        encode_payload(row, &mut payload);
        insert.execute(params![
            election,
            channel.as_str(),
            key.round,
            key.obec,
            key.okrsek,
            key.council,
            i64::try_from(row.sequence).unwrap_or(i64::MAX),
            problem.rule,
            source,
            &payload[..],
            now_utc
        ])?;
    }
    Ok(())
}

/// The quarantined rows of `election`, oldest first.
pub fn read_quarantine(conn: &Connection, election: &str) -> Result<Vec<QuarantinedRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT q.id, q.channel, q.source, q.received_at, q.rule, q.payload, q.sequence, \
         EXISTS(SELECT 1 FROM precinct_log p WHERE p.election=q.election AND p.channel=q.channel \
           AND p.round=q.round AND p.obec=q.obec AND p.okrsek=q.okrsek AND p.council=q.council \
           AND p.sequence >= q.sequence) \
         FROM quarantine q WHERE q.election=?1 ORDER BY q.id",
    )?;
    let mut rows = stmt.query(params![election])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let channel = Channel::parse(&r.get::<_, String>(1)?)?;
        let row = match r.get_ref(5)? {
            ValueRef::Blob(bytes) => decode_payload(bytes),
            _ => None,
        }
        .ok_or_else(|| {
            Error::syntax(
                format!("quarantine row {id}"),
                "stored payload unreadable".to_owned(),
            )
        })?;
        out.push(QuarantinedRow {
            id,
            channel: channel.as_str(),
            source: r.get(2)?,
            received_at: r.get(3)?,
            problem: crate::error::RowProblem {
                precinct: row.label(),
                obec: row.obec,
                okrsek: row.okrsek,
                sequence: row.sequence,
                rule: r.get(4)?,
            },
            superseded: r.get(7)?,
        });
    }
    Ok(out)
}

/// The number of the latest reset of an election's data set (0: never reset).
pub fn reset_generation(conn: &Connection, election: &str, channel: Channel) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(MAX(id), 0) FROM channel_resets WHERE election=?1 AND channel=?2",
        )?
        .query_row(params![election, channel.as_str()], |r| r.get(0))?)
}

/// Fills the latest-row index of one election and channel from its log rows up to `upto`.
fn rebuild_latest(
    conn: &Connection,
    election: &str,
    channel: Channel,
    upto: i64,
    index: &mut HashMap<PrecinctKey, Latest>,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, round, obec, okrsek, council, sequence FROM precinct_log \
         WHERE election=?1 AND channel=?2 AND seq <= ?3 ORDER BY seq",
    )?;
    let mut rows = stmt.query(params![election, channel.as_str(), upto])?;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let key = PrecinctKey {
            round: r.get(1)?,
            obec: r.get(2)?,
            okrsek: r.get(3)?,
            council: r.get(4)?,
        };
        let sequence = u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0);
        let entry = index.entry(key).or_insert(Latest { sequence, seq });
        if sequence >= entry.sequence {
            *entry = Latest { sequence, seq };
        }
    }
    Ok(())
}

/// Brings the latest-row index up to the end of the log (inside the caller's transaction).
fn catch_up(
    conn: &Connection,
    latest: &mut HashMap<(String, Channel), HashMap<PrecinctKey, Latest>>,
    known_seq: &mut i64,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, election, channel, round, obec, okrsek, council, sequence FROM precinct_log \
         WHERE seq > ?1 ORDER BY seq",
    )?;
    let mut rows = stmt.query([*known_seq])?;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let election: String = r.get(1)?;
        let channel = Channel::parse(&r.get::<_, String>(2)?)?;
        let key = PrecinctKey {
            round: r.get(3)?,
            obec: r.get(4)?,
            okrsek: r.get(5)?,
            council: r.get(6)?,
        };
        let sequence = u64::try_from(r.get::<_, i64>(7)?).unwrap_or(0);
        let entry = latest
            .entry((election, channel))
            .or_default()
            .entry(key)
            .or_insert(Latest { sequence, seq });
        if sequence >= entry.sequence {
            *entry = Latest { sequence, seq };
        }
        *known_seq = seq;
    }
    Ok(())
}

/// The highest batch number: batch documents are named with five digits
/// (`vysledky_okrsky_NNNNN.xml`), and a number never wraps.
pub const MAX_BATCH_NUMBER: u32 = 99_999;

/// Cuts the batch `request` asks for from the pending rows (those up to `upto_seq` only,
/// when given) inside the caller's transaction.
fn cut_in(
    tx: &Connection,
    election: &str,
    channel: Channel,
    request: &CutRequest,
    upto_seq: Option<i64>,
) -> Result<Option<u32>> {
    let &CutRequest {
        round,
        number,
        cut_at,
        upstream,
    } = request;
    let previous: Option<(u32, i64)> = tx
        .prepare_cached(
            "SELECT number, last_seq FROM batches WHERE election=?1 AND channel=?2 AND round=?3 \
             ORDER BY number DESC LIMIT 1",
        )?
        .query_row(params![election, channel.as_str(), round], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (prev_number, prev_seq) = previous.unwrap_or((0, 0));
    // Only rows after the previous cut can be pending: seek by seq (the rowid) rather than
    // letting the planner walk the election's part of the unique index (`+` disables it).
    let last_seq: i64 = tx
        .prepare_cached(
            "SELECT COALESCE(MAX(seq), ?4) FROM precinct_log WHERE seq > ?4 AND seq <= ?5 \
             AND +election=?1 AND +channel=?2 AND +round=?3",
        )?
        .query_row(
            params![
                election,
                channel.as_str(),
                round,
                prev_seq,
                upto_seq.unwrap_or(i64::MAX)
            ],
            |r| r.get(0),
        )?;
    if let Some(n) = number
        && n > MAX_BATCH_NUMBER
    {
        return Err(Error::invalid(
            election,
            format!(
                "batch number {n} is beyond {MAX_BATCH_NUMBER} (batch documents are named with five digits)"
            ),
        ));
    }
    let number = match number {
        // The same batch sent again after it was cut: nothing new, nothing to do.
        Some(n) if last_seq == prev_seq && batch_exists(tx, election, channel, round, n)? => {
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
        None => prev_number
            .checked_add(1)
            .filter(|n| *n <= MAX_BATCH_NUMBER)
            .ok_or_else(|| {
                Error::invalid(
                    election,
                    format!(
                        "no batch number is left after {prev_number}: at most {MAX_BATCH_NUMBER} batches per round"
                    ),
                )
            })?,
    };
    tx.prepare_cached(
        "INSERT INTO batches(election, channel, round, number, last_seq, cut_at_utc, upstream_rows, \
         upstream_processed) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
    )?
    .execute(params![
        election,
        channel.as_str(),
        round,
        number,
        last_seq,
        cut_at,
        upstream.map(|u| u.rows),
        upstream.map(|u| u.processed)
    ])?;
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

/// Log rows of `election` in one data set with `seq <= upto`, in order (rebuilding that
/// data set after a reset).
pub fn read_channel_log(
    conn: &Connection,
    election: &str,
    channel: Channel,
    upto: i64,
) -> Result<Vec<LogRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, payload FROM precinct_log WHERE election=?1 AND channel=?2 AND seq <= ?3 \
         ORDER BY seq",
    )?;
    let mut rows = stmt.query(params![election, channel.as_str(), upto])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        out.push(LogRow {
            seq,
            channel,
            result: decode_stored(seq, r.get_ref(1)?)?,
        });
    }
    Ok(out)
}

/// Log rows of `election` with `after < seq <= upto`, in order.
pub fn read_log(
    conn: &Connection,
    election: &str,
    after: i64,
    upto: Option<i64>,
) -> Result<Vec<LogRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, channel, payload FROM precinct_log WHERE seq > ?2 AND seq <= ?3 \
         AND +election=?1 ORDER BY seq",
    )?;
    let mut rows = stmt.query(params![election, after, upto.unwrap_or(i64::MAX)])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let channel = Channel::parse(&r.get::<_, String>(1)?)?;
        let result = decode_stored(seq, r.get_ref(2)?)?;
        out.push(LogRow {
            seq,
            channel,
            result,
        });
    }
    Ok(out)
}

/// Batch cuts of `election`, ordered by round and number.
pub fn read_batches(conn: &Connection, election: &str) -> Result<Vec<BatchCut>> {
    read_batches_from(conn, election, [0, 0])
}

/// The batch cuts of `election` whose `last_seq` is at least `from` of their data set (test,
/// live), in order: a reader that applied cuts up to some `last_seq` reads that one and
/// those after it (an empty batch shares its predecessor's `last_seq`) rather than all.
pub fn read_batches_from(
    conn: &Connection,
    election: &str,
    from: [i64; 2],
) -> Result<Vec<BatchCut>> {
    let mut stmt = conn.prepare_cached(
        "SELECT channel, round, number, last_seq, cut_at_utc, upstream_rows, upstream_processed \
         FROM batches WHERE election=?1 \
         AND last_seq >= CASE channel WHEN 'test' THEN ?2 ELSE ?3 END \
         ORDER BY channel, round, number",
    )?;
    let rows = stmt.query_map(params![election, from[0], from[1]], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, u8>(1)?,
            r.get::<_, u32>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, Option<u32>>(5)?,
            r.get::<_, Option<u32>>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (channel, round, number, last_seq, cut_at, rows, processed) = row?;
        out.push(BatchCut {
            channel: Channel::parse(&channel)?,
            round,
            number,
            last_seq,
            cut_at,
            upstream: rows
                .zip(processed)
                .map(|(rows, processed)| Upstream { rows, processed }),
        });
    }
    Ok(out)
}

/// Version byte of the binary payload (earlier versions stored JSON text, still readable).
const PAYLOAD_V1: u8 = 1;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Encodes a precinct row compactly: a version byte, LEB128 integers, length-prefixed text.
pub fn encode_payload(r: &PrecinctResult, out: &mut Vec<u8>) {
    let t = &r.turnout;
    let flags = u64::from(r.council.is_some())
        | u64::from(r.council_district.is_some()) << 1
        | u64::from(r.council_type.is_some()) << 2
        | u64::from(r.senate_district.is_some()) << 3
        | u64::from(r.repeated) << 4
        | u64::from(t.voter_cards.is_some()) << 5
        | u64::from(t.valid_ballots.is_some()) << 6
        | u64::from(!r.preferences.is_empty()) << 7
        | u64::from(r.repeated_as_word) << 8;
    out.push(PAYLOAD_V1);
    for v in [
        u64::from(r.round),
        u64::from(r.obec),
        u64::from(r.okrsek),
        flags,
    ] {
        put_varint(out, v);
    }
    for v in [r.council, r.council_district].into_iter().flatten() {
        put_varint(out, u64::from(v));
    }
    if let Some(text) = &r.council_type {
        put_varint(out, text.len() as u64);
        out.extend_from_slice(text.as_bytes());
    }
    if let Some(v) = r.senate_district {
        put_varint(out, u64::from(v));
    }
    put_varint(out, r.sequence);
    put_varint(out, r.processed_at.len() as u64);
    out.extend_from_slice(r.processed_at.as_bytes());
    for v in [
        t.registered,
        t.envelopes_issued,
        t.envelopes_returned,
        t.valid_votes,
    ] {
        put_varint(out, v);
    }
    for v in [t.voter_cards, t.valid_ballots].into_iter().flatten() {
        put_varint(out, v);
    }
    put_varint(out, r.votes.len() as u64);
    for &(k, v) in &r.votes {
        put_varint(out, u64::from(k));
        put_varint(out, v);
    }
    if !r.preferences.is_empty() {
        put_varint(out, r.preferences.len() as u64);
        for &(party, candidate, v) in &r.preferences {
            put_varint(out, u64::from(party));
            put_varint(out, u64::from(candidate));
            put_varint(out, v);
        }
    }
}

struct PayloadReader<'a> {
    bytes: &'a [u8],
}

impl PayloadReader<'_> {
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self.bytes.split_first()?;
            self.bytes = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }
    fn small<T: TryFrom<u64>>(&mut self) -> Option<T> {
        T::try_from(self.varint()?).ok()
    }
    fn text(&mut self) -> Option<String> {
        let len = usize::try_from(self.varint()?).ok()?;
        if len > self.bytes.len() {
            return None;
        }
        let (text, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        String::from_utf8(text.to_vec()).ok()
    }
}

/// Decodes [`encode_payload`]'s bytes.
pub fn decode_payload(bytes: &[u8]) -> Option<PrecinctResult> {
    let (&version, rest) = bytes.split_first()?;
    if version != PAYLOAD_V1 {
        return None;
    }
    let mut r = PayloadReader { bytes: rest };
    let round = r.small()?;
    let obec = r.small()?;
    let okrsek = r.small()?;
    let flags = r.varint()?;
    let has = |bit: u32| flags & (1 << bit) != 0;
    let council = if has(0) { Some(r.small()?) } else { None };
    let council_district = if has(1) { Some(r.small()?) } else { None };
    let council_type = if has(2) { Some(r.text()?) } else { None };
    let senate_district = if has(3) { Some(r.small()?) } else { None };
    let sequence = r.varint()?;
    let processed_at = r.text()?;
    let mut turnout = Turnout {
        registered: r.varint()?,
        envelopes_issued: r.varint()?,
        envelopes_returned: r.varint()?,
        valid_votes: r.varint()?,
        voter_cards: None,
        valid_ballots: None,
    };
    if has(5) {
        turnout.voter_cards = Some(r.varint()?);
    }
    if has(6) {
        turnout.valid_ballots = Some(r.varint()?);
    }
    let n = usize::try_from(r.varint()?).ok()?;
    // Each vote takes at least two bytes: a corrupt count must not reserve gigabytes.
    let mut votes = Vec::with_capacity(n.min(r.bytes.len() / 2));
    for _ in 0..n {
        votes.push((r.small()?, r.varint()?));
    }
    let mut preferences = Vec::new();
    if has(7) {
        let n = usize::try_from(r.varint()?).ok()?;
        preferences.reserve(n.min(r.bytes.len() / 3));
        for _ in 0..n {
            preferences.push((r.small()?, r.small()?, r.varint()?));
        }
    }
    if !r.bytes.is_empty() {
        return None;
    }
    Some(PrecinctResult {
        round,
        obec,
        okrsek,
        council,
        council_district,
        council_type,
        senate_district,
        sequence,
        processed_at,
        repeated: has(4),
        repeated_as_word: has(8),
        turnout,
        votes,
        preferences,
    })
}

/// A stored payload: binary (current) or JSON text (written by earlier versions).
fn decode_stored(seq: i64, value: ValueRef<'_>) -> Result<PrecinctResult> {
    let bad = |m: String| {
        Error::syntax(
            format!("precinct_log row {seq}"),
            format!("stored payload unreadable: {m}"),
        )
    };
    match value {
        ValueRef::Blob(bytes) => decode_payload(bytes).ok_or_else(|| bad("corrupt".into())),
        ValueRef::Text(text) => serde_json::from_slice(text).map_err(|e| bad(e.to_string())),
        _ => Err(bad("not a blob".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips_and_rejects_corruption() {
        let mut row = PrecinctResult {
            round: 2,
            obec: 554_782,
            okrsek: 1_017,
            council: Some(554_782),
            council_district: Some(3),
            council_type: Some("MČ".into()),
            senate_district: Some(27),
            sequence: 300_000,
            processed_at: "2022-09-24T15:01:02".into(),
            repeated: true,
            repeated_as_word: true,
            turnout: Turnout {
                registered: 1_000,
                envelopes_issued: 700,
                envelopes_returned: 699,
                valid_votes: 690,
                voter_cards: Some(4),
                valid_ballots: Some(650),
            },
            votes: vec![(1, 400), (7, 290)],
            preferences: vec![(1, 3, 120), (7, 1, 88)],
        };
        let mut bytes = Vec::new();
        encode_payload(&row, &mut bytes);
        assert_eq!(decode_payload(&bytes).as_ref(), Some(&row));
        for cut in 0..bytes.len() {
            assert_eq!(decode_payload(&bytes[..cut]), None, "truncated at {cut}");
        }
        row.council = None;
        row.council_type = None;
        row.turnout.voter_cards = None;
        row.repeated = false;
        bytes.clear();
        encode_payload(&row, &mut bytes);
        assert_eq!(decode_payload(&bytes).as_ref(), Some(&row));
    }

    #[test]
    fn a_reset_by_another_writer_empties_the_test_data_set_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.sqlite");
        let row = |obec: u32| PrecinctResult {
            round: 1,
            obec,
            okrsek: 1,
            council: None,
            council_district: None,
            council_type: None,
            senate_district: None,
            sequence: 1,
            processed_at: "2025-10-04T14:10:00".into(),
            repeated: false,
            repeated_as_word: false,
            turnout: Turnout {
                registered: 10,
                envelopes_issued: 5,
                envelopes_returned: 5,
                valid_votes: 5,
                voter_cards: None,
                valid_ballots: None,
            },
            votes: vec![(1, 5)],
            preferences: Vec::new(),
        };
        let rows = [row(500_011), row(500_012)];
        let mut server = Store::open(&path).unwrap();
        for channel in [Channel::Test, Channel::Live] {
            let cut = Some(CutRequest {
                round: 1,
                number: None,
                cut_at: 1,
                upstream: None,
            });
            let done = server
                .ingest("ps2025", channel, &rows, "a", "t", cut)
                .unwrap();
            assert_eq!((done.report.accepted, done.report.batch), (2, Some(1)));
        }
        let mut operator = Store::open(&path).unwrap();
        let live = operator.reset("ps2025", Channel::Live, "operator", 2);
        assert!(live.unwrap_err().to_string().contains("never removed"));
        let reset = operator
            .reset("ps2025", Channel::Test, "operator", 2)
            .unwrap();
        assert_eq!((reset.rows_removed, reset.batches_removed), (2, 1));
        // The other writer notices: the same rows are new again in test, duplicates in live.
        let again = server
            .ingest("ps2025", Channel::Test, &rows, "a", "t", None)
            .unwrap();
        assert_eq!(again.report.accepted, 2);
        let live = server
            .ingest("ps2025", Channel::Live, &rows, "a", "t", None)
            .unwrap();
        assert_eq!(live.report.duplicates, 2);
        let conn = open_database(&path).unwrap();
        assert_eq!(
            reset_generation(&conn, "ps2025", Channel::Test).unwrap(),
            reset.generation
        );
        assert_eq!(reset_generation(&conn, "ps2025", Channel::Live).unwrap(), 0);
        let batches = read_batches(&conn, "ps2025").unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].channel, Channel::Live);
    }

    /// A row of precinct `okrsek` of obec 500054 with 590 valid votes, `first_party` of them
    /// for party 1 and 290 for party 2 (consistent only when `first_party` is 300).
    fn precinct(okrsek: u32, sequence: u64, first_party: u64) -> PrecinctResult {
        PrecinctResult {
            round: 1,
            obec: 500_054,
            okrsek,
            council: None,
            council_district: None,
            council_type: None,
            senate_district: None,
            sequence,
            processed_at: "2025-10-04T14:10:00".into(),
            repeated: false,
            repeated_as_word: false,
            turnout: Turnout {
                registered: 900,
                envelopes_issued: 600,
                envelopes_returned: 598,
                valid_votes: 590,
                voter_cards: None,
                valid_ballots: None,
            },
            votes: vec![(1, first_party), (2, 290)],
            preferences: Vec::new(),
        }
    }

    #[test]
    fn rows_written_as_json_by_earlier_versions_are_still_read_and_compared() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.sqlite");
        let row = precinct(3, 17, 300);
        let conn = open_database(&path).unwrap();
        conn.execute(
            "INSERT INTO precinct_log(election, channel, round, obec, okrsek, council, sequence, payload, received_at) \
             VALUES ('ps2025', 'live', 1, 500054, 3, 0, 17, ?1, 't')",
            [serde_json::to_string(&row).unwrap()],
        )
        .unwrap();
        let log = read_log(&conn, "ps2025", 0, None).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].result, row);
        drop(conn);
        let mut store = Store::open(&path).unwrap();
        let same = store
            .ingest(
                "ps2025",
                Channel::Live,
                std::slice::from_ref(&row),
                "again",
                "t",
                None,
            )
            .unwrap();
        assert_eq!(same.report.duplicates, 1);
        let mut changed = row.clone();
        changed.votes[0].1 -= 1;
        changed.turnout.valid_votes -= 1;
        let err = store
            .ingest("ps2025", Channel::Live, &[changed], "changed", "t", None)
            .unwrap_err();
        assert!(err.to_string().contains("higher PORADI_ZPRAC"), "{err}");
    }

    #[test]
    fn quarantined_rows_go_with_their_document_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.sqlite");
        let row = |okrsek: u32, votes: u64| precinct(okrsek, u64::from(okrsek), votes);
        let problem = |r: &PrecinctResult| crate::error::RowProblem {
            precinct: r.label(),
            obec: r.obec,
            okrsek: r.okrsek,
            sequence: r.sequence,
            rule: "party votes add up to 591, PLATNE_HLASY says 590".into(),
        };
        let mut store = Store::open(&path).unwrap();
        store
            .ingest("ps2025", Channel::Live, &[row(1, 300)], "a", "t", None)
            .unwrap();
        // A document whose stored part fails (precinct 1 again with the same PORADI_ZPRAC and
        // other figures) quarantines nothing of its own.
        let bad = row(2, 301);
        let quarantined = [(bad.clone(), problem(&bad))];
        let failing = DocumentRows {
            valid: &[row(1, 299)],
            quarantined: &quarantined,
        };
        let err = store
            .ingest_document("ps2025", Channel::Live, failing, "b", "t", None)
            .unwrap_err();
        assert!(err.to_string().contains("higher PORADI_ZPRAC"), "{err}");
        assert_eq!(read_quarantine(store.connection(), "ps2025").unwrap(), []);
        // Stored: both, in one commit; sent again, the quarantine keeps one copy.
        for _ in 0..2 {
            let fine = DocumentRows {
                valid: &[row(3, 300)],
                quarantined: &quarantined,
            };
            store
                .ingest_document("ps2025", Channel::Live, fine, "c", "t", None)
                .unwrap();
        }
        let kept = read_quarantine(store.connection(), "ps2025").unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!((kept[0].source.as_str(), kept[0].problem.okrsek), ("c", 2));
        assert_eq!(
            read_log(store.connection(), "ps2025", 0, None)
                .unwrap()
                .len(),
            2
        );
    }

    /// A scheduled cut runs both queries for every data set at every grid instant, most of
    /// them idle: each must seek the data set's rows, never walk the log (a regression put
    /// every row of the election in front of the cut newsrooms wait for).
    #[test]
    fn scheduled_cut_queries_seek_the_data_set() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.sqlite");
        let mut store = Store::open(&path).unwrap();
        let rows: Vec<_> = (1..=50).map(|k| precinct(k, 1, 10)).collect();
        store
            .ingest("ps2025", Channel::Live, &rows, "a", "t", None)
            .unwrap();
        for sql in [OLDEST_PENDING_ROW, LAST_ROW_BEFORE_INSTANT] {
            let mut stmt = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let values = params!["ps2025", "test", 1, 0, 0];
            let bound = values.get(..stmt.parameter_count()).unwrap();
            let plan: Vec<String> = stmt
                .query_map(bound, |r| r.get(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let plan = plan.join("; ");
            assert!(
                plan.contains("SEARCH precinct_log USING INDEX precinct_log_round")
                    && plan.contains("rowid>?"),
                "{sql}: {plan}"
            );
        }
    }

    /// The first write after a complete checkpoint restarts the WAL and syncs its header
    /// even under `synchronous=NORMAL`: that must be an ingest (which syncs anyway), never a
    /// scheduled cut. A restart shows as a new salt in the WAL header (bytes 16..24).
    #[test]
    fn the_wal_restarts_in_an_ingest_never_in_a_scheduled_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.sqlite");
        let wal = dir.path().join("f.sqlite-wal");
        let salt = || {
            std::fs::read(&wal)
                .unwrap_or_default()
                .get(16..24)
                .map(<[u8]>::to_vec)
        };
        let mut store = Store::open(&path).unwrap();
        let grid = crate::time::Grid::new(1.0);
        let (mut okrsek, mut restarts) = (0, 0);
        for cycle in 0..400 {
            let before = salt();
            let rows: Vec<_> = (0..200)
                .map(|_| {
                    okrsek += 1;
                    precinct(okrsek, 1, 300)
                })
                .collect();
            store
                .ingest("ps2025", Channel::Live, &rows, "a", "t", None)
                .unwrap();
            let after_ingest = salt();
            if after_ingest != before {
                restarts += 1;
            }
            let due = crate::time::now_ms() + 10_000;
            let cuts = store
                .cut_scheduled(&[("ps2025", Channel::Live, 1)], grid, due)
                .unwrap();
            assert_eq!(cuts.len(), 1, "cycle {cycle}");
            assert_eq!(
                salt(),
                after_ingest,
                "the cut of cycle {cycle} restarted the WAL"
            );
            if restarts >= 3 {
                return;
            }
        }
        panic!("{restarts} WAL restarts in 400 ingests");
    }
}
