//! The HTTP server: public feeds behind the allow list, the loopback admin endpoint, and the
//! maintenance loop (hot reload, log tailing, batch cuts, publishing).

use crate::access::AccessList;
use crate::admin::{AdminToken, Guard};
use crate::config::{Config, InvalidRows};
use crate::error::{Error, Result, RowProblem};
use crate::events::EventLog;
use crate::feeds::{self, Charset, FeedSet};
use crate::logs::AccessLog;
use crate::model::Definition;
use crate::phase::Schedule;
use crate::public::PublicHandler;
use crate::registry::Registry;
use crate::results::{ElectionResults, GeoIndex};
use crate::store::{self, Channel, CutRequest, DocumentRows, IngestReport, Store, Upstream};
use crate::time::{Grid, now_ms, parse_prague};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use opendata_http::forwarded::TrustedProxies;
use opendata_http::{Limits, ServerConfig, TowerHandler};
use rusqlite::Connection;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// The header citing ČSÚ as the source on every feed response.
pub const SOURCE_HEADER: &str = "x-data-source";
/// Its value (ASCII, as HTTP headers should be).
pub const SOURCE_HEADER_VALUE: &str =
    "Cesky statisticky urad (CSU), volby.cz; podminkou vyuziti je uvedeni CSU jako zdroje";

/// One election's in-memory state: results and published feeds per data set, kept in step
/// with the database log. The server holds one per configured election; a benchmark or
/// another embedding drives it the same way.
pub struct ElectionState {
    pub(crate) def: Arc<Definition>,
    index: Arc<GeoIndex>,
    results: [Mutex<ElectionResults>; 2],
    pub(crate) feeds: [RwLock<Arc<FeedSet>>; 2],
    applied_seq: Mutex<i64>,
    /// Faults a rehearsal injects into what the test data set serves (never the live one).
    pub(crate) faults: RwLock<ServedFaults>,
    /// Announcements per data set (Server-Sent Events).
    events: [EventLog; 2],
    /// Reset generation of each data set as applied in memory (see [`store::reset_generation`]).
    generations: Mutex<[i64; 2]>,
    /// The cache-period slot of the last regeneration ([`Grid::slot`]).
    last_publish: Mutex<Option<i64>>,
}

impl ElectionState {
    /// Empty state of an election (nothing applied yet).
    pub fn new(def: Arc<Definition>) -> Self {
        let index = Arc::new(GeoIndex::new(&def));
        let fresh = || Mutex::new(ElectionResults::new(Arc::clone(&def), Arc::clone(&index)));
        Self {
            results: [fresh(), fresh()],
            feeds: [RwLock::new(Arc::default()), RwLock::new(Arc::default())],
            def,
            index,
            applied_seq: Mutex::new(0),
            faults: RwLock::new(ServedFaults::default()),
            events: [EventLog::default(), EventLog::default()],
            generations: Mutex::new([0; 2]),
            last_publish: Mutex::new(None),
        }
    }

    /// The definition.
    pub fn definition(&self) -> &Arc<Definition> {
        &self.def
    }

    /// Lookup tables of the definition.
    pub fn index(&self) -> &Arc<GeoIndex> {
        &self.index
    }

    /// Stores parsed (and validated, see [`prepare`]) rows durably, optionally cuts a batch
    /// in the same transaction, and applies the rows in memory, exactly as the admin
    /// endpoint does.
    pub fn ingest(
        &self,
        db: &mut Store,
        channel: Channel,
        precincts: Vec<crate::model::PrecinctResult>,
        source: &str,
        cut: Option<CutRequest>,
    ) -> Result<IngestReport> {
        ingest_and_apply(db, self, channel, precincts, &[], source, cut)
    }

    /// Applies rows and cuts stored by others (another process) since the last call.
    pub fn sync(&self, db: &mut Store) -> Result<()> {
        sync_election(db.connection(), self, None)
    }

    /// Regenerates every document of `channel` now (reusing unchanged batch documents).
    pub fn regenerate(&self, channel: Channel) -> Arc<FeedSet> {
        let results = lock(of(&self.results, channel));
        let current = Arc::clone(
            &of(&self.feeds, channel)
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let set = Arc::new(feeds::generate_in(
            &results,
            Some(&current),
            Utc::now(),
            self.charset(channel),
        ));
        // Installed under the results lock: sets are published in the order they were made.
        self.install(channel, Arc::clone(&set));
        drop(results);
        set
    }
}

/// Faults a rehearsal injects into the test data set's answers, so newsrooms can check that
/// their clients survive what election night may bring. Never applied to live data.
#[derive(Debug, Clone, Default)]
pub struct ServedFaults {
    /// Documents are served in ISO-8859-2 (as ČSÚ's were up to 2018) instead of UTF-8.
    pub charset: Charset,
    /// Every request for the election's test documents is answered `500` until then.
    pub server_error_until: Option<Instant>,
}

impl ElectionState {
    /// The faults injected into the test data set now.
    pub fn faults(&self) -> ServedFaults {
        self.faults
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Whether test-data requests are to be answered `500` now.
    pub(crate) fn server_error_now(&self) -> bool {
        self.faults
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .server_error_until
            .is_some_and(|t| Instant::now() < t)
    }

    /// The announcements of `channel`.
    pub(crate) fn events(&self, channel: Channel) -> &EventLog {
        of(&self.events, channel)
    }

    /// The published documents of `channel`.
    pub fn published(&self, channel: Channel) -> Arc<FeedSet> {
        Arc::clone(
            &of(&self.feeds, channel)
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Publishes `set` as data set `channel` and announces what changed. Called with the
    /// data set's results locked, so sets are installed (and announced) in the order they
    /// were generated.
    fn install(&self, channel: Channel, set: Arc<FeedSet>) {
        let announced = Arc::clone(&set);
        let old = std::mem::replace(
            &mut *of(&self.feeds, channel)
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            set,
        );
        crate::events::announce(of(&self.events, channel), &old, &announced);
    }

    /// The encoding documents of `channel` are generated in.
    fn charset(&self, channel: Channel) -> Charset {
        match channel {
            Channel::Test => self.faults().charset,
            Channel::Live => Charset::Utf8,
        }
    }
}

/// The two data sets, in the order of the per-channel pairs (`[test, live]`).
const CHANNELS: [Channel; 2] = [Channel::Test, Channel::Live];

/// Data set `channel`'s entry of a per-channel pair `[test, live]`.
fn of<T>(pair: &[T; 2], channel: Channel) -> &T {
    let [test, live] = pair;
    match channel {
        Channel::Test => test,
        Channel::Live => live,
    }
}

/// Data set `channel`'s entry of a per-channel pair `[test, live]`, to change.
fn of_mut<T>(pair: &mut [T; 2], channel: Channel) -> &mut T {
    let [test, live] = pair;
    match channel {
        Channel::Test => test,
        Channel::Live => live,
    }
}

/// State shared by the public workers, the admin endpoint and the maintenance loop.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) trusted: TrustedProxies,
    pub(crate) elections: Vec<Arc<ElectionState>>,
    pub(crate) by_id: HashMap<String, usize>,
    pub(crate) by_legacy: HashMap<String, Vec<usize>>,
    pub(crate) access: RwLock<AccessList>,
    pub(crate) schedule: RwLock<Schedule>,
    config_schedule: Schedule,
    db: Mutex<Store>,
    pub(crate) log: Arc<AccessLog>,
    /// When documents are regenerated and batches cut: the clocks of `Cache-Control` and
    /// `Retry-After`.
    pub(crate) regeneration: Grid,
    pub(crate) cuts: Option<Grid>,
    /// Turns true when the server stops: event streams end at once.
    streams_end: tokio::sync::watch::Sender<bool>,
    /// Silence after which an event stream sends a comment line.
    keepalive: Duration,
}

impl Shared {
    /// A receiver that turns true when event streams must end.
    pub(crate) fn streams_end(&self) -> tokio::sync::watch::Receiver<bool> {
        self.streams_end.subscribe()
    }

    /// Silence after which an event stream sends a comment line.
    pub(crate) fn event_keepalive(&self) -> Duration {
        self.keepalive
    }
}

/// A running server: its bound addresses and a handle to stop it.
pub struct RunningServer {
    /// Public listeners' addresses.
    pub public: Vec<SocketAddr>,
    /// Admin listener's address.
    pub admin: SocketAddr,
    parts: Option<Parts>,
}

struct Parts {
    public: opendata_http::RunningServer,
    admin: opendata_http::RunningServer,
    quit: tokio::sync::watch::Sender<bool>,
    maintenance: std::thread::JoinHandle<()>,
    log: Arc<AccessLog>,
    shared: Arc<Shared>,
}

impl RunningServer {
    /// Stops the server: listeners close, open requests (an ingest included) finish within
    /// the shutdown deadline, access logs are written out; returns when all of that is done.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        let Some(parts) = self.parts.take() else {
            return;
        };
        let _ = parts.shared.streams_end.send(true);
        parts.public.stop();
        parts.admin.stop();
        let _ = parts.quit.send(true);
        let _ = parts.maintenance.join();
        // Every request has been answered: write out the last log lines.
        parts.log.close();
    }

    /// Serves until the process gets SIGTERM or SIGINT (Ctrl-C), then stops as
    /// [`RunningServer::stop`] does.
    pub fn run_until_signal(mut self) -> Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("tokio runtime", e))?;
        runtime
            .block_on(opendata_http::shutdown_signal())
            .map_err(|e| Error::io("signal handlers", e))?;
        self.stop_inner();
        Ok(())
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

fn seconds(v: f64) -> Duration {
    Duration::from_secs_f64(v.max(0.0))
}

/// Loads the elections, rebuilds their state from the database, binds every listener and
/// serves in background threads.
pub fn start(config: Config) -> Result<RunningServer> {
    std::fs::create_dir_all(&config.log_dir).map_err(|e| Error::io(&config.log_dir, e))?;
    let mut registry = Registry::open(&config.database)?;
    if let Some(deadline) = &config.registration_deadline {
        registry.set_deadline(parse_prague(deadline)?)?;
    }
    let trusted = TrustedProxies::parse(&config.trusted_proxies, config.forwarded_header)
        .map_err(|e| Error::Config(format!("trusted_proxies: {e}")))?;
    let limits = config.http.limits().map_err(Error::Config)?;
    let token = AdminToken::load_or_create(&config.admin_token_path())?;
    let mut config_schedule = Schedule::default();
    let mut elections = Vec::new();
    let mut by_id = HashMap::new();
    let mut by_legacy: HashMap<String, Vec<usize>> = HashMap::new();
    for ec in &config.elections {
        let def = Arc::new(Definition::load(&ec.definition)?);
        if by_id.insert(def.id.clone(), elections.len()).is_some() {
            return Err(Error::Config(format!(
                "election `{}` configured twice",
                def.id
            )));
        }
        by_legacy
            .entry(def.legacy_slug().to_owned())
            .or_default()
            .push(elections.len());
        for s in &ec.schedule {
            config_schedule.add(&def.id, parse_prague(&s.at)?, s.phase);
        }
        elections.push(Arc::new(ElectionState::new(def)));
    }
    let log = AccessLog::start(
        &config.log_dir,
        seconds(config.access_log_flush_secs.max(0.001)),
        config.logs,
    )?;
    let db = Store::open(&config.database)?;
    let shared = Arc::new(Shared {
        trusted,
        elections,
        by_id,
        by_legacy,
        access: RwLock::new(registry.access_list()?),
        schedule: RwLock::new(Schedule::default()),
        config_schedule,
        db: Mutex::new(db),
        log: Arc::clone(&log),
        regeneration: Grid::new(config.cache_period_secs),
        cuts: (config.batch_interval_secs > 0.0).then(|| Grid::new(config.batch_interval_secs)),
        streams_end: tokio::sync::watch::channel(false).0,
        // Well inside the listeners' idle timeout, which would close a silent stream.
        keepalive: (limits.idle_timeout / 3).min(Duration::from_secs(15)),
        config,
    });
    reload_schedule(&shared, registry.connection())?;
    if let Some(grid) = shared.cuts {
        cut_all(&shared, grid)?;
    }
    sync(&shared)?;
    publish(&shared, true);

    // Public listeners: one event loop per worker thread, one socket per worker and address.
    let public = opendata_http::start(
        &ServerConfig {
            listen: shared.config.listen.clone(),
            workers: shared.config.workers.unwrap_or(0),
            limits,
            name: "public".into(),
        },
        PublicHandler {
            shared: Arc::clone(&shared),
        },
    )
    .map_err(|e| Error::io("public listeners", e))?;
    // The admin endpoint: the same server, one worker, behind the token guard (which learns
    // the bound address, so the allowed `Host` values, once the listener is up).
    let guard = Guard::new(token);
    let admin_app = Router::new()
        .route("/admin/ingest", post(ingest_handler))
        .route("/admin/cut", post(cut_handler))
        .route("/admin/status", get(status_handler))
        .route("/admin/reset", post(reset_handler))
        .route("/admin/faults", post(faults_handler))
        .route("/admin/quarantine", get(quarantine_handler))
        // axum's default of 2 MB refused real batches (413); the limit is the config's.
        .layer(DefaultBodyLimit::max(shared.config.admin_max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            guard.clone(),
            crate::admin::guard,
        ))
        .with_state(Arc::clone(&shared));
    let admin = opendata_http::start(
        &ServerConfig {
            listen: vec![shared.config.admin_listen],
            workers: 1,
            limits: Limits::default(),
            name: "admin".into(),
        },
        TowerHandler(admin_app),
    )
    .map_err(|e| Error::io(format!("admin_listen {}", shared.config.admin_listen), e))?;
    guard.listening_on(admin.addr());
    // Maintenance: a small runtime of its own (one worker, so the loop's blocking sections
    // may use `block_in_place`).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| Error::io("tokio runtime", e))?;
    let (quit, mut quit_rx) = tokio::sync::watch::channel(false);
    let maint = Arc::clone(&shared);
    let maintenance = std::thread::Builder::new()
        .name("maintenance".into())
        .spawn(move || {
            runtime.block_on(maintenance(maint, &mut quit_rx));
        })
        .map_err(|e| Error::io("maintenance thread", e))?;
    Ok(RunningServer {
        public: public.addrs().to_vec(),
        admin: admin.addr(),
        parts: Some(Parts {
            public,
            admin,
            quit,
            maintenance,
            log,
            shared,
        }),
    })
}

async fn maintenance(shared: Arc<Shared>, quit: &mut tokio::sync::watch::Receiver<bool>) {
    let cfg = &shared.config;
    let tick = seconds(
        cfg.reload_interval_secs
            .min(cfg.cache_period_secs / 4.0)
            .clamp(0.02, 1.0),
    );
    let reload_every = seconds(cfg.reload_interval_secs);
    let mut last_reload = Instant::now();
    let cut_grid = shared.cuts.unwrap_or(Grid::new(0.0));
    let mut last_cut_slot = cut_grid.slot(now_ms());
    let registry = Registry::open(&cfg.database);
    let Ok(mut registry) = registry else { return };
    let mut data_version = registry.data_version().unwrap_or(0);
    loop {
        // Wake at the tick, or right at the next cut or regeneration of the grid (a few
        // milliseconds after it, so the slot has turned), whichever comes first.
        let now = now_ms();
        let boundary = [cut_grid.next(now), shared.regeneration.next(now)]
            .into_iter()
            .flatten()
            .min()
            .map(|at| Duration::from_millis(u64::try_from(at - now).unwrap_or(0) + 2));
        let wait = boundary.map_or(tick, |b| b.min(tick));
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = quit.wait_for(|v| *v) => break,
        }
        let s = Arc::clone(&shared);
        let woke_ms = now_ms();
        let due_reload = last_reload.elapsed() >= reload_every;
        let cut_slot = cut_grid.slot(woke_ms);
        let due_cut = cfg.batch_interval_secs > 0.0 && cut_slot != last_cut_slot;
        if due_reload {
            last_reload = Instant::now();
        }
        if due_cut {
            last_cut_slot = cut_slot;
        }
        let result = tokio::task::block_in_place(|| -> Result<()> {
            let started = Instant::now();
            if due_reload {
                let v = registry.data_version()?;
                if v != data_version {
                    data_version = v;
                    let list = registry.access_list()?;
                    *s.access
                        .write()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = list;
                    reload_schedule(&s, registry.connection())?;
                }
                sync(&s)?;
            }
            let reloaded = started.elapsed();
            let cut = if due_cut {
                Some(cut_all(&s, cut_grid)?)
            } else {
                None
            };
            let regenerating = Instant::now();
            publish(&s, false);
            if let Some(cut) = cut {
                cut.log(
                    cut_grid.start(cut_slot),
                    woke_ms,
                    reloaded,
                    regenerating.elapsed(),
                );
            }
            Ok(())
        });
        if let Err(e) = result {
            tracing::error!("maintenance: {e}");
        }
    }
}

fn reload_schedule(shared: &Shared, conn: &Connection) -> Result<()> {
    let mut schedule = shared.config_schedule.clone();
    schedule.load_stored(conn)?;
    *shared
        .schedule
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = schedule;
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Applies stored log rows and batch cuts not yet in memory; new batches are published at
/// once.
fn sync(shared: &Shared) -> Result<()> {
    let mut db = lock(&shared.db);
    for e in &shared.elections {
        sync_election(db.connection(), e, None)?;
        publish_batches(e);
    }
    Ok(())
}

/// Applies the rows of one election with `seq <= upto` not yet in memory, and its cuts.
fn sync_election(db: &mut Connection, e: &ElectionState, upto: Option<i64>) -> Result<()> {
    let mut applied = lock(&e.applied_seq);
    let mut generations = lock(&e.generations);
    // One read transaction, so rows and cuts come from the same snapshot.
    let tx = db.transaction()?;
    let mut rebuilt: [Option<Vec<store::LogRow>>; 2] = [None, None];
    for channel in CHANNELS {
        let generation = store::reset_generation(&tx, &e.def.id, channel)?;
        let known = of_mut(&mut generations, channel);
        if generation != *known {
            // The data set was reset (here or by another process): rebuild it from what
            // is left of its log.
            *of_mut(&mut rebuilt, channel) =
                Some(store::read_channel_log(&tx, &e.def.id, channel, *applied)?);
            *known = generation;
        }
    }
    // Cuts from the last one applied in every round (all of them in a data set rebuilt).
    let mut from = [0i64; 2];
    for channel in CHANNELS {
        if of(&rebuilt, channel).is_none() {
            *of_mut(&mut from, channel) = lock(of(&e.results, channel)).applied_cut_seq();
        }
    }
    let rows = store::read_log(&tx, &e.def.id, *applied, upto)?;
    let cuts = store::read_batches_from(&tx, &e.def.id, from)?;
    tx.commit()?;
    let [test, live] = &e.results;
    let mut results = [lock(test), lock(live)];
    for channel in CHANNELS {
        if let Some(rows) = of_mut(&mut rebuilt, channel).take() {
            let tallies = of_mut(&mut results, channel);
            tallies.reset();
            for row in rows {
                tallies.apply(row.seq, row.result);
            }
        }
    }
    for row in rows {
        *applied = (*applied).max(row.seq);
        of_mut(&mut results, row.channel).apply(row.seq, row.result);
    }
    // A cut beyond `upto` covers rows not applied yet: it waits for the next call.
    for cut in cuts
        .into_iter()
        .filter(|c| upto.is_none_or(|u| c.last_seq <= u))
    {
        of_mut(&mut results, cut.channel).apply_cut(cut);
    }
    Ok(())
}

/// Stores parsed rows and applies them in memory without reading them back: rows other
/// writers stored before them are read first, so memory never skips a log row.
fn ingest_and_apply(
    db: &mut Store,
    e: &ElectionState,
    channel: Channel,
    precincts: Vec<crate::model::PrecinctResult>,
    quarantined: &[(crate::model::PrecinctResult, RowProblem)],
    source: &str,
    cut: Option<CutRequest>,
) -> Result<IngestReport> {
    let rows = DocumentRows {
        valid: &precincts,
        quarantined,
    };
    let ingested = db.ingest_document(
        &e.def.id,
        channel,
        rows,
        source,
        &Utc::now().to_rfc3339(),
        cut,
    )?;
    crate::hook::reached(crate::hook::HookPoint::AfterCommit);
    sync_election(db.connection(), e, Some(ingested.log_end_before))?;
    {
        let mut applied = lock(&e.applied_seq);
        let mut results = lock(of(&e.results, channel));
        let mut rows: Vec<Option<crate::model::PrecinctResult>> =
            precincts.into_iter().map(Some).collect();
        for &(seq, i) in &ingested.stored {
            if let Some(row) = rows.get_mut(i).and_then(Option::take) {
                results.apply(seq, row);
                *applied = (*applied).max(seq);
            }
        }
    }
    if cut.is_some() {
        // The cut was made in the same transaction; bring it into memory.
        let upto = *lock(&e.applied_seq);
        sync_election(db.connection(), e, Some(upto))?;
    }
    Ok(ingested.report)
}

/// How one scheduled cut went, for the debug log (`czso_media_feed::cut`): where the time
/// between the grid instant and the announcement went.
struct CutTiming {
    /// Spent waiting for the database connection (an ingest or a sync holding it).
    lock_wait: Duration,
    /// Spent in the cut transactions once the connection was ours (their commits included).
    commit: Duration,
    /// Whether the database file itself was written while they ran: in WAL mode only a
    /// checkpoint writes it (before an ingest, or another process's).
    database_written: bool,
    /// Size of the WAL file before and after.
    wal_bytes: (u64, u64),
    /// When the new batches were announced (milliseconds since the epoch).
    announced_ms: i64,
}

impl CutTiming {
    fn log(&self, due_ms: i64, woke_ms: i64, reload: Duration, regenerate: Duration) {
        tracing::debug!(
            target: "czso_media_feed::cut",
            due_ms,
            woke_late_ms = woke_ms - due_ms,
            reload_ms = reload.as_millis(),
            lock_wait_ms = self.lock_wait.as_millis(),
            commit_ms = self.commit.as_millis(),
            database_written = self.database_written,
            wal_before = self.wal_bytes.0,
            wal_after = self.wal_bytes.1,
            announced_late_ms = self.announced_ms - due_ms,
            regenerate_ms = regenerate.as_millis(),
            "scheduled cut"
        );
    }
}

/// The modification time and length of a file (`None` when it cannot be read).
fn file_stamp(path: &std::path::Path) -> Option<(std::time::SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Makes every scheduled cut that is due, for all elections, data sets and rounds (at
/// start-up too: cuts missed while the server was down, or lost with the machine's power
/// before they reached the disk, are made again as they were).
fn cut_all(shared: &Shared, grid: Grid) -> Result<CutTiming> {
    let database = &shared.config.database;
    let mut wal = database.as_os_str().to_owned();
    wal.push("-wal");
    let wal = std::path::PathBuf::from(wal);
    let (before, wal_before) = (file_stamp(database), file_stamp(&wal));
    let data_sets: Vec<(&str, Channel, u8)> = shared
        .elections
        .iter()
        .flat_map(|e| {
            CHANNELS.into_iter().flat_map(move |channel| {
                (1..=e.def.kind.rounds()).map(move |round| (e.def.id.as_str(), channel, round))
            })
        })
        .collect();
    let locking = Instant::now();
    let mut db = lock(&shared.db);
    let lock_wait = locking.elapsed();
    let committing = Instant::now();
    db.cut_scheduled(&data_sets, grid, now_ms())?;
    let commit = committing.elapsed();
    drop(db);
    let (after, wal_after) = (file_stamp(database), file_stamp(&wal));
    sync(shared)?;
    Ok(CutTiming {
        lock_wait,
        commit,
        database_written: before != after,
        wal_bytes: (
            wal_before.map_or(0, |(_, len)| len),
            wal_after.map_or(0, |(_, len)| len),
        ),
        announced_ms: now_ms(),
    })
}

/// What a public answer is, for its caching headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// A document regenerated every cache period when its content changed.
    Regenerated,
    /// A numbered batch: never changes once cut (in the test data set, until a reset).
    Batch,
    /// The latest-batch alias: moves at the next cut.
    LatestBatch,
    /// "Not yet" (`CHYBA` 10): the batch may come with the next cut.
    NotYet,
}

/// `Cache-Control` and `Retry-After` of an answer.
#[derive(Debug, Clone)]
pub(crate) struct Freshness {
    pub(crate) cache_control: HeaderValue,
    pub(crate) retry_after: Option<HeaderValue>,
}

impl Shared {
    /// Caching headers aligned to the next regeneration (documents) or the next cut
    /// (batches, "not yet"): a client's cache expires exactly when new data may exist.
    pub(crate) fn freshness(&self, channel: Channel, answer: Answer) -> Freshness {
        let now = now_ms();
        let secs_until =
            |at: Option<i64>| at.map_or(0, |t| u64::try_from((t - now + 999) / 1000).unwrap_or(0));
        let regeneration = secs_until(self.regeneration.next(now));
        // Cuts made on request (a replay) come any time: then the regeneration clock.
        let cut = self.cuts.map_or(regeneration, |g| secs_until(g.next(now)));
        let max_age = |secs: u64| {
            HeaderValue::from_str(&format!("max-age={secs}"))
                .unwrap_or(HeaderValue::from_static("no-cache"))
        };
        match answer {
            Answer::Batch if channel == Channel::Live => Freshness {
                cache_control: HeaderValue::from_static("max-age=86400, immutable"),
                retry_after: None,
            },
            Answer::Regenerated | Answer::Batch => Freshness {
                cache_control: max_age(regeneration),
                retry_after: None,
            },
            Answer::LatestBatch => Freshness {
                cache_control: max_age(cut),
                retry_after: None,
            },
            Answer::NotYet => Freshness {
                cache_control: max_age(cut),
                retry_after: Some(HeaderValue::from(cut.max(1))),
            },
        }
    }
}

/// Regenerates changed documents once per cache-period slot (`force`: regardless).
fn publish(shared: &Shared, force: bool) {
    let grid = Grid::new(shared.config.cache_period_secs);
    let slot = grid.slot(now_ms());
    for e in &shared.elections {
        let mut last = lock(&e.last_publish);
        if !force && *last == Some(slot) {
            continue;
        }
        let mut published = false;
        for channel in CHANNELS {
            let results = lock(of(&e.results, channel));
            let current = Arc::clone(
                &of(&e.feeds, channel)
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            let charset = e.charset(channel);
            if !force
                && current.version == results.version
                && current.charset == charset
                && current.generated.is_some()
            {
                continue;
            }
            let set = feeds::generate_in(&results, Some(&current), Utc::now(), charset);
            e.install(channel, Arc::new(set));
            drop(results);
            published = true;
        }
        if published || last.is_none() {
            *last = Some(slot);
        }
    }
}

/// Publishes the batches cut since the last publication of `e`, at once (the other
/// documents keep their cache period).
fn publish_batches(e: &ElectionState) {
    for channel in CHANNELS {
        let results = lock(of(&e.results, channel));
        let current = Arc::clone(
            &of(&e.feeds, channel)
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let cut = results.rounds.iter().enumerate().any(|(ri, r)| {
            let round = u8::try_from(ri + 1).unwrap_or(1);
            r.batches.last().map(|b| b.cut.number) != current.latest_number(round)
        });
        if !cut && current.epoch == results.epoch {
            continue;
        }
        let set = feeds::with_new_batches(&results, &current, Utc::now());
        e.install(channel, Arc::new(set));
        drop(results);
    }
}

/// Query of the admin endpoints.
#[derive(Debug, serde::Deserialize)]
struct AdminQuery {
    election: String,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    round: Option<u8>,
    /// Cut a batch after the ingest (`cut=1`), optionally with a given number (`batch=N`).
    #[serde(default)]
    cut: Option<u8>,
    #[serde(default)]
    batch: Option<u32>,
    #[serde(default)]
    source: Option<String>,
    /// Rehearsal fault: `utf-8` or `iso-8859-2` (test data set).
    #[serde(default)]
    charset: Option<String>,
    /// Rehearsal fault: answer `500` for this many seconds (test data set).
    #[serde(default)]
    server_error_secs: Option<f64>,
}

fn admin_error(e: &Error) -> Response {
    let status = if e.is_input_error() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    let mut body = serde_json::json!({ "error": e.to_json() });
    if let Error::InconsistentRows { problems, .. } = e
        && let Some(fields) = body.as_object_mut()
    {
        fields.insert("rows".into(), serde_json::json!(problems));
    }
    let body = body.to_string();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn find_election<'a>(shared: &'a Shared, id: &str) -> Result<&'a Arc<ElectionState>> {
    shared
        .by_id
        .get(id)
        .and_then(|&i| shared.elections.get(i))
        .ok_or_else(|| Error::invalid(id, "no such election is configured"))
}

/// Parses, validates and durably stores a batch document; optionally cuts a batch.
fn ingest_document(shared: &Shared, q: &AdminQuery, body: &[u8]) -> Result<IngestReport> {
    let e = find_election(shared, &q.election)?;
    let channel = Channel::parse(q.channel.as_deref().unwrap_or("live"))?;
    let source = q.source.clone().unwrap_or_else(|| "request body".into());
    let round = q.round.unwrap_or(1);
    let checked = check_document(&e.def, &e.index, body, &source, round)?;
    let policy = shared.config.invalid_rows;
    let parsed = &checked.batch;
    let cut = (q.cut.unwrap_or(0) != 0 || q.batch.is_some()).then(|| {
        let number = q.batch.or(parsed
            .header
            .as_ref()
            .map(|h| h.number)
            .filter(|_| q.batch.is_none() && q.cut == Some(2)));
        let cut_at = parsed
            .generated
            .as_deref()
            .and_then(|g| parse_prague(g).ok())
            .filter(|_| q.cut == Some(2))
            .unwrap_or_else(Utc::now)
            .timestamp();
        // Replaying a source batch with its own number keeps its counts too.
        let upstream = parsed
            .header
            .as_ref()
            .filter(|_| q.batch.is_none() && q.cut == Some(2))
            .map(|h| Upstream {
                rows: h.rows,
                processed: h.processed,
            });
        CutRequest {
            round,
            number,
            cut_at,
            upstream,
        }
    });
    let Checked {
        batch: parsed,
        problems,
    } = apply_policy(policy, &source, checked)?;
    let report = {
        let mut db = lock(&shared.db);
        let mut report = ingest_and_apply(
            &mut db,
            e,
            channel,
            parsed.precincts,
            &problems,
            &source,
            cut,
        )?;
        report.quarantined = problems.into_iter().map(|(_, p)| p).collect();
        report
    };
    if !report.quarantined.is_empty() {
        let rows: Vec<String> = report
            .quarantined
            .iter()
            .map(|p| format!("{}: {}", p.precinct, p.rule))
            .collect();
        audit(
            shared,
            "ingest",
            &format!(
                "quarantine election={} channel={} source={source} rows={}: {}",
                e.def.id,
                channel.as_str(),
                rows.len(),
                rows.join("; ")
            ),
        )?;
    }
    if report.batch.is_some() {
        publish_batches(e);
    }
    Ok(report)
}

async fn ingest_handler(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<AdminQuery>,
    body: Bytes,
) -> Response {
    let result = tokio::task::spawn_blocking(move || ingest_document(&shared, &q, &body)).await;
    match result {
        Ok(Ok(report)) => axum::Json(report).into_response(),
        Ok(Err(e)) => admin_error(&e),
        Err(e) => admin_error(&Error::Config(format!("ingest task failed: {e}"))),
    }
}

async fn cut_handler(State(shared): State<Arc<Shared>>, Query(q): Query<AdminQuery>) -> Response {
    let result = tokio::task::spawn_blocking(move || -> Result<Option<u32>> {
        let e = find_election(&shared, &q.election)?;
        let channel = Channel::parse(q.channel.as_deref().unwrap_or("live"))?;
        let n = {
            let mut db = lock(&shared.db);
            db.cut_batch(
                &e.def.id,
                channel,
                q.round.unwrap_or(1),
                q.batch,
                Utc::now().timestamp(),
            )?
        };
        sync(&shared)?;
        Ok(n)
    })
    .await;
    match result {
        Ok(Ok(n)) => axum::Json(serde_json::json!({ "batch": n })).into_response(),
        Ok(Err(e)) => admin_error(&e),
        Err(e) => admin_error(&Error::Config(format!("cut task failed: {e}"))),
    }
}

/// Appends one line to `log_dir/admin.log`: operator actions that change what is served
/// (resets, rehearsal faults), with who asked and what they did.
fn audit(shared: &Shared, who: &str, action: &str) -> Result<()> {
    use std::io::Write as _;
    let path = shared.config.log_dir.join("admin.log");
    let line = format!(
        "{} {who} {action}\n",
        Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ")
    );
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    file.write_all(line.as_bytes())
        .and_then(|()| file.sync_data())
        .map_err(|e| Error::io(&path, e))
}

fn test_channel_only(q: &AdminQuery) -> Result<Channel> {
    let channel = Channel::parse(q.channel.as_deref().unwrap_or("test"))?;
    if channel != Channel::Test {
        return Err(Error::invalid(
            &q.election,
            "rehearsal actions apply to the test data set only (channel=test)",
        ));
    }
    Ok(channel)
}

/// Removes the test data set's rows and batches (registry and phases kept), clears the
/// rehearsal faults, republishes and records the reset.
pub(crate) fn reset_test_channel(
    shared: &Shared,
    election: &str,
    who: &str,
) -> Result<store::ResetReport> {
    let e = find_election(shared, election)?;
    let report = {
        let mut db = lock(&shared.db);
        let report = db.reset(&e.def.id, Channel::Test, who, Utc::now().timestamp())?;
        sync_election(db.connection(), e, None)?;
        report
    };
    *e.faults
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = ServedFaults::default();
    e.regenerate(Channel::Test);
    audit(
        shared,
        who,
        &format!(
            "reset election={} channel=test rows_removed={} batches_removed={} generation={} (registry and phases kept)",
            e.def.id, report.rows_removed, report.batches_removed, report.generation
        ),
    )?;
    Ok(report)
}

async fn reset_handler(
    State(shared): State<Arc<Shared>>,
    axum::Extension(opendata_http::Peer(peer)): axum::Extension<opendata_http::Peer>,
    Query(q): Query<AdminQuery>,
) -> Response {
    let result = tokio::task::spawn_blocking(move || {
        test_channel_only(&q)?;
        reset_test_channel(&shared, &q.election, &format!("admin@{peer}"))
    })
    .await;
    match result {
        Ok(Ok(report)) => axum::Json(report).into_response(),
        Ok(Err(e)) => admin_error(&e),
        Err(e) => admin_error(&Error::Config(format!("reset task failed: {e}"))),
    }
}

/// Sets rehearsal faults of the test data set and republishes it.
fn set_faults(shared: &Shared, q: &AdminQuery, who: &str) -> Result<serde_json::Value> {
    let e = find_election(shared, &q.election)?;
    test_channel_only(q)?;
    let mut changes = Vec::new();
    {
        let mut faults = e
            .faults
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(name) = &q.charset {
            faults.charset = match name.to_ascii_lowercase().as_str() {
                "utf-8" | "utf8" => Charset::Utf8,
                "iso-8859-2" | "latin2" => Charset::Latin2,
                other => {
                    return Err(Error::invalid(
                        &q.election,
                        format!("charset `{other}` is not utf-8 or iso-8859-2"),
                    ));
                }
            };
            changes.push(format!("charset={name}"));
        }
        if let Some(secs) = q.server_error_secs {
            if !(secs.is_finite() && (0.0..=3600.0).contains(&secs)) {
                return Err(Error::invalid(
                    &q.election,
                    "server_error_secs must be between 0 and 3600",
                ));
            }
            faults.server_error_until = Some(Instant::now() + seconds(secs));
            changes.push(format!("server_error_secs={secs}"));
        }
    }
    e.regenerate(Channel::Test);
    let faults = e.faults();
    audit(
        shared,
        who,
        &format!(
            "faults election={} channel=test {}",
            e.def.id,
            changes.join(" ")
        ),
    )?;
    Ok(serde_json::json!({
        "election": e.def.id,
        "channel": "test",
        "charset": match faults.charset { Charset::Utf8 => "utf-8", Charset::Latin2 => "iso-8859-2" },
        "server_error_secs": faults
            .server_error_until
            .map_or(0.0, |t| t.saturating_duration_since(Instant::now()).as_secs_f64()),
    }))
}

async fn faults_handler(
    State(shared): State<Arc<Shared>>,
    axum::Extension(opendata_http::Peer(peer)): axum::Extension<opendata_http::Peer>,
    Query(q): Query<AdminQuery>,
) -> Response {
    let result =
        tokio::task::spawn_blocking(move || set_faults(&shared, &q, &format!("admin@{peer}")))
            .await;
    match result {
        Ok(Ok(v)) => axum::Json(v).into_response(),
        Ok(Err(e)) => admin_error(&e),
        Err(e) => admin_error(&Error::Config(format!("faults task failed: {e}"))),
    }
}

async fn quarantine_handler(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<AdminQuery>,
) -> Response {
    let result = tokio::task::spawn_blocking(move || {
        let e = find_election(&shared, &q.election)?;
        let mut db = lock(&shared.db);
        store::read_quarantine(db.connection(), &e.def.id)
    })
    .await;
    match result {
        Ok(Ok(rows)) => axum::Json(serde_json::json!({ "rows": rows })).into_response(),
        Ok(Err(e)) => admin_error(&e),
        Err(e) => admin_error(&Error::Config(format!("quarantine task failed: {e}"))),
    }
}

async fn status_handler(State(shared): State<Arc<Shared>>) -> Response {
    let quarantine = {
        let shared = Arc::clone(&shared);
        tokio::task::spawn_blocking(move || -> Result<Vec<Vec<store::QuarantinedRow>>> {
            let mut db = lock(&shared.db);
            shared
                .elections
                .iter()
                .map(|e| store::read_quarantine(db.connection(), &e.def.id))
                .collect()
        })
        .await
    };
    let quarantine = match quarantine {
        Ok(Ok(q)) => q,
        Ok(Err(e)) => return admin_error(&e),
        Err(e) => return admin_error(&Error::Config(format!("status task failed: {e}"))),
    };
    let now = Utc::now();
    let schedule = shared
        .schedule
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let elections: Vec<_> = shared
        .elections
        .iter()
        .zip(&quarantine)
        .map(|(e, kept)| {
            let channels: Vec<_> = CHANNELS
                .iter()
                .map(|&c| {
                    let r = lock(of(&e.results, c));
                    let mine = kept.iter().filter(|q| q.channel == c.as_str());
                    serde_json::json!({
                        "channel": c.as_str(),
                        "processed": r.rounds.iter().map(|x| x.current.len()).collect::<Vec<_>>(),
                        "batches": r.rounds.iter().map(|x| x.batches.len()).collect::<Vec<_>>(),
                        "version": r.version,
                        // Rows set aside; `open`: no later row of the precinct stored yet.
                        "quarantined": mine.clone().count(),
                        "quarantined_open": mine.filter(|q| !q.superseded).count(),
                    })
                })
                .collect();
            serde_json::json!({
                "id": e.def.id,
                "phase": schedule.phase_at(&e.def.id, now).as_str(),
                "channels": channels,
            })
        })
        .collect();
    let access = shared
        .access
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .len();
    axum::Json(serde_json::json!({ "elections": elections, "allowed_addresses": access }))
        .into_response()
}

/// A parsed batch document with its rows sorted by the results model's rules.
#[derive(Debug)]
pub struct Checked {
    /// The document with the rows that pass every rule.
    pub batch: crate::xml::ParsedBatch,
    /// The rows that break one, each with the rule, in document order.
    pub problems: Vec<(crate::model::PrecinctResult, RowProblem)>,
}

/// Parses a batch document and checks every row against the election's definition; a
/// document that is not well formed or of another election kind is an error.
pub fn check_document(
    def: &Definition,
    index: &GeoIndex,
    body: &[u8],
    source: &str,
    round: u8,
) -> Result<Checked> {
    let mut parsed = crate::xml::parse_batch(body, source, round)?;
    if parsed.kind != def.kind {
        return Err(Error::invalid(
            source,
            format!(
                "document is a {:?} batch, election {} is {:?}",
                parsed.kind, def.id, def.kind
            ),
        ));
    }
    let mut problems = Vec::new();
    let mut valid = Vec::with_capacity(parsed.precincts.len());
    for p in std::mem::take(&mut parsed.precincts) {
        match crate::results::check_row(def, index, &p) {
            None => valid.push(p),
            Some(rule) => {
                let problem = RowProblem {
                    precinct: p.label(),
                    obec: p.obec,
                    okrsek: p.okrsek,
                    sequence: p.sequence,
                    rule,
                };
                problems.push((p, problem));
            }
        }
    }
    parsed.precincts = valid;
    Ok(Checked {
        batch: parsed,
        problems,
    })
}

/// Parses a batch document and checks every row against the election's definition: a row
/// that breaks a rule refuses the document, and the error names every such row.
pub fn prepare(
    def: &Definition,
    index: &GeoIndex,
    body: &[u8],
    source: &str,
    round: u8,
) -> Result<crate::xml::ParsedBatch> {
    let checked = check_document(def, index, body, source, round)?;
    if !checked.problems.is_empty() {
        return Err(Error::InconsistentRows {
            source_name: source.to_owned(),
            problems: checked.problems.into_iter().map(|(_, p)| p).collect(),
        });
    }
    Ok(checked.batch)
}

/// The document's rows to store under `policy`: all of them, or an error naming every
/// inconsistent row (`refuse`); or the consistent ones and the others, to be kept aside in
/// the same transaction (`quarantine`).
fn apply_policy(policy: InvalidRows, source: &str, checked: Checked) -> Result<Checked> {
    if checked.problems.is_empty() || policy == InvalidRows::Quarantine {
        return Ok(checked);
    }
    Err(Error::InconsistentRows {
        source_name: source.to_owned(),
        problems: checked.problems.into_iter().map(|(_, p)| p).collect(),
    })
}

/// Stores batch documents straight into the database of `config` (no server needed; a
/// running server picks the rows up within its reload interval). Each document is one
/// transaction; `cut` cuts a batch after each, keeping the source's batch number.
pub fn ingest_direct(
    config: &Config,
    election: &str,
    channel: Channel,
    round: u8,
    documents: &[(String, Vec<u8>)],
    cut: bool,
) -> Result<Vec<IngestReport>> {
    let ec = config
        .elections
        .iter()
        .map(|e| Definition::load(&e.definition))
        .collect::<Result<Vec<_>>>()?;
    let def = ec
        .into_iter()
        .find(|d| d.id == election)
        .ok_or_else(|| Error::invalid(election, "no such election is configured"))?;
    // No results in memory here: the rows go straight to the database.
    let index = GeoIndex::new(&def);
    let mut db = Store::open(&config.database)?;
    let mut reports = Vec::new();
    for (source, body) in documents {
        let checked = check_document(&def, &index, body, source, round)?;
        let Checked {
            batch: parsed,
            problems,
        } = apply_policy(config.invalid_rows, source, checked)?;
        let cut = cut.then(|| CutRequest {
            round,
            number: parsed.header.as_ref().map(|h| h.number),
            upstream: parsed.header.as_ref().map(|h| Upstream {
                rows: h.rows,
                processed: h.processed,
            }),
            cut_at: parsed
                .generated
                .as_deref()
                .and_then(|g| parse_prague(g).ok())
                .unwrap_or_else(Utc::now)
                .timestamp(),
        });
        let now = Utc::now().to_rfc3339();
        let rows = DocumentRows {
            valid: &parsed.precincts,
            quarantined: &problems,
        };
        let mut ingested = db.ingest_document(&def.id, channel, rows, source, &now, cut)?;
        ingested.report.quarantined = problems.into_iter().map(|(_, p)| p).collect();
        reports.push(ingested.report);
    }
    Ok(reports)
}
