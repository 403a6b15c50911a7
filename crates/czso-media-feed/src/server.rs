//! The HTTP server: public feeds behind the allow list, the loopback admin endpoint, and the
//! maintenance loop (hot reload, log tailing, batch cuts, publishing).

use crate::access::{self, AccessList, Cidr};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::feeds::{self, Document, FeedSet};
use crate::model::{Definition, ElectionKind};
use crate::phase::{Phase, Schedule};
use crate::registry::Registry;
use crate::results::{ElectionResults, GeoIndex};
use crate::store::{self, Channel, CutRequest, IngestReport, Store};
use crate::time::{parse_prague, prague_local};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use rusqlite::Connection;
use std::collections::HashMap;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::mpsc;
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
    def: Arc<Definition>,
    index: Arc<GeoIndex>,
    results: [Mutex<ElectionResults>; 2],
    feeds: [RwLock<Arc<FeedSet>>; 2],
    applied_seq: Mutex<i64>,
    last_publish: Mutex<Option<Instant>>,
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
        ingest_and_apply(db, self, channel, precincts, source, cut)
    }

    /// Applies rows and cuts stored by others (another process) since the last call.
    pub fn sync(&self, db: &mut Store) -> Result<()> {
        sync_election(db.connection(), self, None)
    }

    /// Regenerates every document of `channel` now (reusing unchanged batch documents).
    pub fn regenerate(&self, channel: Channel) -> Arc<FeedSet> {
        let ci = channel_index(channel);
        let results = lock(&self.results[ci]);
        let current = Arc::clone(
            &self.feeds[ci]
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let set = Arc::new(feeds::generate(&results, Some(&current), Utc::now()));
        drop(results);
        *self.feeds[ci]
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::clone(&set);
        set
    }
}

fn channel_index(c: Channel) -> usize {
    match c {
        Channel::Test => 0,
        Channel::Live => 1,
    }
}

struct LogLine {
    organisation: Option<i64>,
    line: String,
}

struct Shared {
    config: Config,
    trusted: Vec<Cidr>,
    elections: Vec<Arc<ElectionState>>,
    by_id: HashMap<String, usize>,
    by_legacy: HashMap<String, Vec<usize>>,
    access: RwLock<Arc<AccessList>>,
    schedule: RwLock<Arc<Schedule>>,
    config_schedule: Schedule,
    db: Mutex<Store>,
    log: mpsc::Sender<LogLine>,
}

/// A running server: its bound addresses and a handle to stop it.
pub struct RunningServer {
    /// Public listeners' addresses.
    pub public: Vec<SocketAddr>,
    /// Admin listener's address.
    pub admin: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningServer {
    /// Stops the server and waits for it (logs are flushed).
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Waits until the server stops (it runs until the process is signalled).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
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
    let trusted = config
        .trusted_proxies
        .iter()
        .map(|t| Cidr::parse(t))
        .collect::<Result<Vec<_>>>()?;
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
    let (log_tx, log_rx) = mpsc::channel();
    let log_dir = config.log_dir.clone();
    std::thread::Builder::new()
        .name("access-log".into())
        .spawn(move || write_logs(&log_dir, &log_rx))
        .map_err(|e| Error::io(&config.log_dir, e))?;
    let db = Store::open(&config.database)?;
    let shared = Arc::new(Shared {
        trusted,
        elections,
        by_id,
        by_legacy,
        access: RwLock::new(Arc::new(registry.access_list()?)),
        schedule: RwLock::new(Arc::new(Schedule::default())),
        config_schedule,
        db: Mutex::new(db),
        log: log_tx,
        config,
    });
    reload_schedule(&shared, registry.connection())?;
    sync(&shared)?;
    publish(&shared, true);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("tokio runtime", e))?;
    let mut public = Vec::new();
    let mut listeners = Vec::new();
    for addr in &shared.config.listen {
        let l = runtime
            .block_on(tokio::net::TcpListener::bind(addr))
            .map_err(|e| Error::io(format!("listen {addr}"), e))?;
        public.push(
            l.local_addr()
                .map_err(|e| Error::io(format!("listen {addr}"), e))?,
        );
        listeners.push(l);
    }
    let admin_listener = runtime
        .block_on(tokio::net::TcpListener::bind(shared.config.admin_listen))
        .map_err(|e| Error::io(format!("admin_listen {}", shared.config.admin_listen), e))?;
    let admin = admin_listener
        .local_addr()
        .map_err(|e| Error::io("admin_listen", e))?;

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let maintenance_shared = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("czso-media-feed".into())
        .spawn(move || {
            runtime.block_on(async move {
                let (quit_tx, quit_rx) = tokio::sync::watch::channel(false);
                let public_app = Router::new()
                    .fallback(public_handler)
                    .with_state(Arc::clone(&shared));
                let admin_app = Router::new()
                    .route("/admin/ingest", post(ingest_handler))
                    .route("/admin/cut", post(cut_handler))
                    .route("/admin/status", get(status_handler))
                    .with_state(Arc::clone(&shared));
                let mut tasks = Vec::new();
                for l in listeners {
                    let app = public_app.clone();
                    let mut q = quit_rx.clone();
                    tasks.push(tokio::spawn(async move {
                        let _ =
                            axum::serve(l, app.into_make_service_with_connect_info::<SocketAddr>())
                                .with_graceful_shutdown(async move {
                                    let _ = q.wait_for(|v| *v).await;
                                })
                                .await;
                    }));
                }
                let mut q = quit_rx.clone();
                tasks.push(tokio::spawn(async move {
                    let _ = axum::serve(
                        admin_listener,
                        admin_app.into_make_service_with_connect_info::<SocketAddr>(),
                    )
                    .with_graceful_shutdown(async move {
                        let _ = q.wait_for(|v| *v).await;
                    })
                    .await;
                }));
                let maint = Arc::clone(&maintenance_shared);
                let mut q = quit_rx.clone();
                tasks.push(tokio::spawn(async move {
                    maintenance(maint, &mut q).await;
                }));
                let _ = stop_rx.await;
                let _ = quit_tx.send(true);
                for t in tasks {
                    let _ = t.await;
                }
            });
        })
        .map_err(|e| Error::io("server thread", e))?;
    Ok(RunningServer {
        public,
        admin,
        shutdown: Some(stop_tx),
        thread: Some(thread),
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
    let batch_every = seconds(cfg.batch_interval_secs);
    let mut last_reload = Instant::now();
    let mut last_cut = Instant::now();
    let registry = Registry::open(&cfg.database);
    let Ok(mut registry) = registry else { return };
    let mut data_version = registry.data_version().unwrap_or(0);
    loop {
        tokio::select! {
            () = tokio::time::sleep(tick) => {}
            _ = quit.wait_for(|v| *v) => break,
        }
        let s = Arc::clone(&shared);
        let due_reload = last_reload.elapsed() >= reload_every;
        let due_cut = cfg.batch_interval_secs > 0.0 && last_cut.elapsed() >= batch_every;
        if due_reload {
            last_reload = Instant::now();
        }
        if due_cut {
            last_cut = Instant::now();
        }
        let result = tokio::task::block_in_place(|| -> Result<()> {
            if due_reload {
                let v = registry.data_version()?;
                if v != data_version {
                    data_version = v;
                    let list = registry.access_list()?;
                    *s.access
                        .write()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(list);
                    reload_schedule(&s, registry.connection())?;
                }
                sync(&s)?;
            }
            if due_cut {
                cut_all(&s)?;
            }
            publish(&s, false);
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
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(schedule);
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Applies stored log rows and batch cuts not yet in memory.
fn sync(shared: &Shared) -> Result<()> {
    let mut db = lock(&shared.db);
    for e in &shared.elections {
        sync_election(db.connection(), e, None)?;
    }
    Ok(())
}

/// Applies the rows of one election with `seq <= upto` not yet in memory, and its cuts.
fn sync_election(db: &mut Connection, e: &ElectionState, upto: Option<i64>) -> Result<()> {
    let mut applied = lock(&e.applied_seq);
    // One read transaction, so rows and cuts come from the same snapshot.
    let tx = db.transaction()?;
    let rows = store::read_log(&tx, &e.def.id, *applied, upto)?;
    let cuts = store::read_batches(&tx, &e.def.id)?;
    tx.commit()?;
    let mut results = [lock(&e.results[0]), lock(&e.results[1])];
    for row in rows {
        *applied = (*applied).max(row.seq);
        results[channel_index(row.channel)].apply(row.seq, row.result);
    }
    // A cut beyond `upto` covers rows not applied yet: it waits for the next call.
    for cut in cuts
        .into_iter()
        .filter(|c| upto.is_none_or(|u| c.last_seq <= u))
    {
        results[channel_index(cut.channel)].apply_cut(cut);
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
    source: &str,
    cut: Option<CutRequest>,
) -> Result<IngestReport> {
    let ingested = db.ingest(
        &e.def.id,
        channel,
        &precincts,
        source,
        &Utc::now().to_rfc3339(),
        cut,
    )?;
    sync_election(db.connection(), e, Some(ingested.log_end_before))?;
    {
        let mut applied = lock(&e.applied_seq);
        let mut results = lock(&e.results[channel_index(channel)]);
        let mut rows: Vec<Option<crate::model::PrecinctResult>> =
            precincts.into_iter().map(Some).collect();
        for &(seq, i) in &ingested.stored {
            if let Some(row) = rows[i].take() {
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

fn cut_all(shared: &Shared) -> Result<()> {
    let now = Utc::now().timestamp();
    {
        let mut db = lock(&shared.db);
        for e in &shared.elections {
            for channel in [Channel::Test, Channel::Live] {
                for round in 1..=e.def.kind.rounds() {
                    db.cut_batch(&e.def.id, channel, round, None, now)?;
                }
            }
        }
    }
    sync(shared)
}

/// Regenerates changed documents whose cache period has run out (`force`: regardless).
fn publish(shared: &Shared, force: bool) {
    let period = seconds(shared.config.cache_period_secs);
    for e in &shared.elections {
        let mut last = lock(&e.last_publish);
        if !force && last.is_some_and(|t| t.elapsed() < period) {
            continue;
        }
        let mut published = false;
        for ci in 0..2 {
            let results = lock(&e.results[ci]);
            let current = Arc::clone(
                &e.feeds[ci]
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            if !force && current.version == results.version && current.generated.is_some() {
                continue;
            }
            let set = feeds::generate(&results, Some(&current), Utc::now());
            drop(results);
            *e.feeds[ci]
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(set);
            published = true;
        }
        if published || last.is_none() {
            *last = Some(Instant::now());
        }
    }
}

fn write_logs(dir: &std::path::Path, rx: &mpsc::Receiver<LogLine>) {
    let mut files: HashMap<Option<i64>, std::io::BufWriter<std::fs::File>> = HashMap::new();
    loop {
        let first = match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(l) => Some(l),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        for line in first.into_iter().chain(rx.try_iter()) {
            let file = files.entry(line.organisation).or_insert_with(|| {
                let name: PathBuf = match line.organisation {
                    Some(id) => dir.join(format!("organisation-{id}.log")),
                    None => dir.join("refused.log"),
                };
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&name);
                std::io::BufWriter::new(f.unwrap_or_else(|_| {
                    // Fall back to a sink rather than losing the server over a log file.
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open("/dev/null")
                        .expect("/dev/null")
                }))
            });
            let _ = file.write_all(line.line.as_bytes());
        }
        for f in files.values_mut() {
            let _ = f.flush();
        }
    }
    for f in files.values_mut() {
        let _ = f.flush();
    }
}

#[allow(clippy::too_many_arguments)] // one flat log record
fn log_request(
    shared: &Shared,
    organisation: Option<i64>,
    client: IpAddr,
    method: &Method,
    uri: &str,
    status: u16,
    bytes: usize,
    note: &str,
) {
    let line = format!(
        "{} {client} \"{method} {uri}\" {status} {bytes} {note}\n",
        Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    );
    let _ = shared.log.send(LogLine { organisation, line });
}

/// Which document a public URL asks for.
#[derive(Debug, PartialEq, Eq)]
enum Target<'a> {
    /// A static path below `odata/`.
    Static { election: &'a str, path: &'a str },
    /// A legacy `/pls/{slug}/{feed}` query.
    Legacy { slug: &'a str, feed: &'a str },
}

fn route(path: &str) -> Option<Target<'_>> {
    if let Some(rest) = path.strip_prefix("/appdata/") {
        let (election, path) = rest.split_once("/odata/")?;
        return Some(Target::Static { election, path });
    }
    if let Some(rest) = path.strip_prefix("/pls/") {
        let (slug, feed) = rest.split_once('/')?;
        return Some(Target::Legacy { slug, feed });
    }
    None
}

fn query_params(q: Option<&str>) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for pair in q.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        map.insert(k.to_ascii_lowercase(), v.to_owned());
    }
    map
}

fn plain(status: StatusCode, text: &str) -> Response {
    let mut r = (status, text.to_owned()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

async fn public_handler(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let xff = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let uri_text = uri.path_and_query().map_or("/", |p| p.as_str());
    let client = match access::client_address(peer.ip(), xff, &shared.trusted) {
        Ok(c) => c,
        Err(refusal) => {
            log_request(
                &shared,
                None,
                peer.ip().to_canonical(),
                &method,
                uri_text,
                403,
                0,
                refusal.code(),
            );
            return plain(StatusCode::FORBIDDEN, refusal.message());
        }
    };
    let target = route(uri.path());
    let params = query_params(uri.query());
    let election = match &target {
        Some(Target::Static { election, .. }) => shared.by_id.get(*election).copied(),
        Some(Target::Legacy { slug, .. }) => shared.by_legacy.get(*slug).and_then(|list| {
            let date = params
                .get("datum_voleb")
                .or_else(|| params.get("datumvoleb"));
            list.iter()
                .copied()
                .find(|&i| date.is_none_or(|d| *d == shared.elections[i].def.election_date))
        }),
        None => None,
    };
    let now = Utc::now();
    let access = Arc::clone(
        &shared
            .access
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let phase = match election {
        Some(i) => shared
            .schedule
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .phase_at(&shared.elections[i].def.id, now),
        // Unknown URL: registered addresses learn it does not exist, others are refused.
        None => Phase::Test,
    };
    let grant = match access::decide(&access, client, phase) {
        Ok(g) => g.clone(),
        Err(refusal) => {
            log_request(
                &shared,
                None,
                client,
                &method,
                uri_text,
                403,
                0,
                refusal.code(),
            );
            return plain(StatusCode::FORBIDDEN, refusal.message());
        }
    };
    let finish = |status: StatusCode, bytes: usize, resp: Response| {
        log_request(
            &shared,
            Some(grant.organisation),
            client,
            &method,
            uri_text,
            status.as_u16(),
            bytes,
            "",
        );
        resp
    };
    if method != Method::GET && method != Method::HEAD {
        let r = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "Povolen je pouze GET a HEAD (only GET and HEAD)",
        );
        return finish(StatusCode::METHOD_NOT_ALLOWED, 0, r);
    }
    let Some(ei) = election else {
        return finish(
            StatusCode::NOT_FOUND,
            0,
            plain(StatusCode::NOT_FOUND, "Nenalezeno (not found)"),
        );
    };
    let e = &shared.elections[ei];
    let channel = if phase == Phase::Test {
        Channel::Test
    } else {
        Channel::Live
    };
    let set = Arc::clone(
        &e.feeds[channel_index(channel)]
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let (doc, status) = match target {
        Some(Target::Static { path, .. }) => match set.docs.get(path) {
            Some(d) => (Some(Arc::clone(d)), StatusCode::OK),
            None if is_batch_path(path) => (set.not_yet.clone(), StatusCode::NOT_FOUND),
            None => (None, StatusCode::NOT_FOUND),
        },
        Some(Target::Legacy { feed, .. }) => legacy(&e.def, &set, feed, &params),
        None => (None, StatusCode::NOT_FOUND),
    };
    let Some(doc) = doc else {
        return finish(
            status,
            0,
            plain(StatusCode::NOT_FOUND, "Nenalezeno (not found)"),
        );
    };
    let resp = document_response(
        &doc,
        status,
        &headers,
        &method,
        shared.config.cache_period_secs,
    );
    let bytes = resp.1;
    finish(resp.0.status(), bytes, resp.0)
}

fn is_batch_path(path: &str) -> bool {
    let file = path.strip_prefix("kolo2/").unwrap_or(path);
    file.strip_prefix("okrsky/vysledky_okrsky_")
        .and_then(|r| r.strip_suffix(".xml"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        || file == "okrsky/vysledky_okrsky.xml"
}

fn legacy(
    def: &Definition,
    set: &FeedSet,
    feed: &str,
    params: &HashMap<String, String>,
) -> (Option<Arc<Document>>, StatusCode) {
    match feed {
        "vysledky" => (set.docs.get("vysledky.xml").cloned(), StatusCode::OK),
        "vysledky_okres" => {
            let nuts = params.get("nuts").map_or("", String::as_str);
            match set.docs.get(&format!("okresy/vysledky_okres_{nuts}.xml")) {
                Some(d) => (Some(Arc::clone(d)), StatusCode::OK),
                None if matches!(def.kind, ElectionKind::Ps | ElectionKind::Kz) => {
                    let now = set.generated.unwrap_or_else(Utc::now);
                    let body = feeds::write_okres_error(
                        def.kind,
                        &prague_local(now),
                        &format!(
                            "Neznámý okres (NUTS) '{}'",
                            nuts.chars().take(20).collect::<String>()
                        ),
                    );
                    (Some(Arc::new(Document::new(body, now))), StatusCode::OK)
                }
                None => (None, StatusCode::NOT_FOUND),
            }
        }
        "vysledky_okrsky" => {
            let round = params
                .get("kolo")
                .and_then(|k| k.parse::<u8>().ok())
                .unwrap_or(1);
            let doc = match params.get("davka").map(String::as_str) {
                None | Some("") => set.latest_batch(round),
                Some(n) => n.parse::<u32>().ok().and_then(|n| set.batch(round, n)),
            };
            // The legacy server answered "not yet" with 200 and CHYBA 10.
            (doc.cloned().or_else(|| set.not_yet.clone()), StatusCode::OK)
        }
        _ => (None, StatusCode::NOT_FOUND),
    }
}

fn document_response(
    doc: &Document,
    status: StatusCode,
    req: &HeaderMap,
    method: &Method,
    cache_period: f64,
) -> (Response, usize) {
    let not_modified =
        if let Some(inm) = req.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
            inm.split(',').any(|t| {
                let t = t.trim();
                t == "*" || t.trim_start_matches("W/") == doc.etag
            })
        } else if let Some(ims) = req
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
        {
            httpdate::parse_http_date(ims).is_ok_and(|t| {
                let generated = std::time::SystemTime::from(doc.generated);
                // HTTP dates have whole seconds.
                generated
                    .duration_since(t)
                    .map_or(true, |d| d < Duration::from_secs(1))
            })
        } else {
            false
        };
    let gzip = req
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|p| {
                let mut it = p.split(';');
                it.next()
                    .is_some_and(|e| e.trim().eq_ignore_ascii_case("gzip"))
                    && !it.any(|q| q.trim().replace(' ', "") == "q=0")
            })
        });
    let mut builder = Response::builder()
        .header(header::ETAG, &doc.etag)
        .header(header::LAST_MODIFIED, &doc.last_modified)
        .header(
            header::CACHE_CONTROL,
            format!("max-age={}", cache_period.round() as u64),
        )
        .header(header::VARY, "Accept-Encoding")
        .header(SOURCE_HEADER, SOURCE_HEADER_VALUE);
    if not_modified && status == StatusCode::OK {
        let r = builder.status(StatusCode::NOT_MODIFIED).body(Body::empty());
        return (
            r.unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
            0,
        );
    }
    builder = builder
        .status(status)
        .header(header::CONTENT_TYPE, "application/xml; charset=utf-8");
    let body: Bytes = if gzip {
        builder = builder.header(header::CONTENT_ENCODING, "gzip");
        doc.gzip()
    } else {
        doc.body.clone()
    };
    let len = body.len();
    let body = if *method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(body)
    };
    let mut r = builder
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    if *method == Method::HEAD {
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    (r, len)
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
}

fn admin_error(e: &Error) -> Response {
    let status = if e.is_input_error() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    let body = serde_json::json!({ "error": e.to_string() }).to_string();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn find_election<'a>(shared: &'a Shared, id: &str) -> Result<&'a Arc<ElectionState>> {
    shared
        .by_id
        .get(id)
        .map(|&i| &shared.elections[i])
        .ok_or_else(|| Error::invalid(id, "no such election is configured"))
}

/// Parses, validates and durably stores a batch document; optionally cuts a batch.
fn ingest_document(shared: &Shared, q: &AdminQuery, body: &[u8]) -> Result<IngestReport> {
    let e = find_election(shared, &q.election)?;
    let channel = Channel::parse(q.channel.as_deref().unwrap_or("live"))?;
    let source = q.source.clone().unwrap_or_else(|| "request body".into());
    let round = q.round.unwrap_or(1);
    let parsed = prepare(&e.def, &e.index, body, &source, round)?;
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
        CutRequest {
            round,
            number,
            cut_at,
        }
    });
    let mut db = lock(&shared.db);
    ingest_and_apply(&mut db, e, channel, parsed.precincts, &source, cut)
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

async fn status_handler(State(shared): State<Arc<Shared>>) -> Response {
    let now = Utc::now();
    let schedule = Arc::clone(
        &shared
            .schedule
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let elections: Vec<_> = shared
        .elections
        .iter()
        .map(|e| {
            let channels: Vec<_> = [Channel::Test, Channel::Live]
                .iter()
                .map(|&c| {
                    let r = lock(&e.results[channel_index(c)]);
                    serde_json::json!({
                        "channel": c.as_str(),
                        "processed": r.rounds.iter().map(|x| x.current.len()).collect::<Vec<_>>(),
                        "batches": r.rounds.iter().map(|x| x.batches.len()).collect::<Vec<_>>(),
                        "version": r.version,
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

/// Parses a batch document and checks every row against the election's definition.
pub fn prepare(
    def: &Definition,
    index: &GeoIndex,
    body: &[u8],
    source: &str,
    round: u8,
) -> Result<crate::xml::ParsedBatch> {
    let parsed = crate::xml::parse_batch(body, source, round)?;
    if parsed.kind != def.kind {
        return Err(Error::invalid(
            source,
            format!(
                "document is a {:?} batch, election {} is {:?}",
                parsed.kind, def.id, def.kind
            ),
        ));
    }
    for p in &parsed.precincts {
        crate::results::validate(def, index, p, source)?;
    }
    Ok(parsed)
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
        let parsed = prepare(&def, &index, body, source, round)?;
        let cut = cut.then(|| CutRequest {
            round,
            number: parsed.header.as_ref().map(|h| h.number),
            cut_at: parsed
                .generated
                .as_deref()
                .and_then(|g| parse_prague(g).ok())
                .unwrap_or_else(Utc::now)
                .timestamp(),
        });
        let now = Utc::now().to_rfc3339();
        let ingested = db.ingest(&def.id, channel, &parsed.precincts, source, &now, cut)?;
        reports.push(ingested.report);
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route("/appdata/senat/20261009/odata/vysledky.xml"),
            Some(Target::Static {
                election: "senat/20261009",
                path: "vysledky.xml"
            })
        );
        assert_eq!(
            route("/pls/ps2021/vysledky_okres"),
            Some(Target::Legacy {
                slug: "ps2021",
                feed: "vysledky_okres"
            })
        );
        assert_eq!(route("/"), None);
        assert!(is_batch_path("okrsky/vysledky_okrsky_00042.xml"));
        assert!(is_batch_path("kolo2/okrsky/vysledky_okrsky.xml"));
        assert!(!is_batch_path("okrsky/vysledky_okrsky_x.xml"));
    }
}
