//! The HTTP server: configuration, start/stop, routing and fault injection.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::Error;
use crate::fault::{Fault, Faults, PerRoute, Route};
use crate::graphql::GraphqlCatalog;
use crate::http_util::text_error;
use crate::snapshot::{Snapshot, load_snapshot};
use crate::tpf::TPF_PAGE_SIZE;

/// Where the catalogue dump comes from.
#[derive(Debug, Clone)]
pub enum SnapshotSource {
    /// A TriG file in NKOD's `nkod.trig` layout.
    File(PathBuf),
    /// TriG text (the `origin` names it in error messages).
    Trig {
        /// The TriG document.
        text: String,
        /// A name for error messages.
        origin: String,
    },
}

/// Configuration of a server. Build it with [`ServerConfig::new`] and the `with_*` methods.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The catalogue dump.
    pub snapshot: SnapshotSource,
    /// Directory served at `/soubory/` (the distribution files); `None` serves no files.
    pub files_dir: Option<PathBuf>,
    /// Address to listen on; the default `127.0.0.1:0` picks a free loopback port.
    pub listen: SocketAddr,
    /// Base URL clients use, when it differs from `http://{listen address}/` (e.g. behind a
    /// proxy or when listening on 0.0.0.0). Must end with `/`.
    pub public_base_url: Option<String>,
    /// Faults to inject, per route. They can be changed while running.
    pub faults: Faults,
    /// Triples per TPF page (100, as @ldf/server).
    pub tpf_page_size: usize,
    /// Limits on the work one query may cause.
    pub query_limits: QueryLimits,
}

/// Limits on the work one SPARQL or GraphQL query may cause, so one client cannot exhaust the
/// server (the catalogue answers the unified list's daily run in-process, too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryLimits {
    /// Evaluation time; past it the query is cancelled and answered 503.
    pub timeout: Duration,
    /// Serialised result size; past it the query is cancelled and answered 503.
    pub max_result_bytes: usize,
    /// Growth of the process's memory while a SPARQL query runs (a sort or a join
    /// materialising its rows); past it the query is cancelled and answered 503.
    pub max_memory_bytes: usize,
    /// Nesting of brackets in a SPARQL query, checked before parsing (the parser and the
    /// evaluator recurse per level).
    pub max_nesting: usize,
    /// Fields a GraphQL query may select, aliases and fragment spreads counted.
    pub max_graphql_fields: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_result_bytes: 64 << 20,
            max_memory_bytes: 512 << 20,
            max_nesting: 64,
            max_graphql_fields: 500,
        }
    }
}

impl ServerConfig {
    /// A configuration serving `snapshot` on a free loopback port, with no files and no faults.
    pub fn new(snapshot: SnapshotSource) -> Self {
        ServerConfig {
            snapshot,
            files_dir: None,
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            public_base_url: None,
            faults: Faults::none(),
            tpf_page_size: TPF_PAGE_SIZE,
            query_limits: QueryLimits::default(),
        }
    }

    /// A configuration over a TriG file.
    pub fn from_file(snapshot: impl Into<PathBuf>) -> Self {
        ServerConfig::new(SnapshotSource::File(snapshot.into()))
    }

    /// Serves the files of `dir` at `/soubory/`.
    #[must_use]
    pub fn with_files_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.files_dir = Some(dir.into());
        self
    }

    /// Listens on `addr` instead of a free loopback port.
    #[must_use]
    pub fn with_listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Injects `faults`.
    #[must_use]
    pub fn with_faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Sets the query limits.
    #[must_use]
    pub fn with_query_limits(mut self, limits: QueryLimits) -> Self {
        self.query_limits = limits;
        self
    }

    /// Sets the public base URL (must be absolute and end with `/`).
    #[must_use]
    pub fn with_public_base_url(mut self, url: impl Into<String>) -> Self {
        self.public_base_url = Some(url.into());
        self
    }
}

/// Entry point: starts servers.
#[derive(Debug)]
pub struct NkodServer;

impl NkodServer {
    /// Loads the snapshot and starts serving on a background thread with its own runtime.
    ///
    /// Returns once the socket listens, so the base URL is usable at once from blocking or
    /// async code. Dropping the [`RunningServer`] (or calling [`RunningServer::shutdown`]) stops
    /// it.
    pub fn start(config: ServerConfig) -> Result<RunningServer, Error> {
        let ServerConfig {
            snapshot,
            files_dir,
            listen,
            public_base_url,
            faults,
            tpf_page_size,
            query_limits,
        } = config;
        let bound = opendata_http::bind(&opendata_http::ServerConfig {
            listen: vec![listen],
            workers: 2,
            limits: opendata_http::Limits {
                // Connections still open at shutdown (slow bodies) are cut rather than awaited.
                shutdown_deadline: Duration::from_millis(200),
                ..opendata_http::Limits::default()
            },
            name: "nkod-server".into(),
        })
        .map_err(|source| Error::Bind {
            addr: listen,
            source,
        })?;
        let addr = *bound.addrs().first().ok_or_else(|| Error::Bind {
            addr: listen,
            source: std::io::Error::other("bound to no address"),
        })?;
        let base_url = match &public_base_url {
            Some(url) => {
                let parsed = url::Url::parse(url)
                    .map_err(|e| Error::Config(format!("public base URL {url:?}: {e}")))?;
                if !url.ends_with('/') || parsed.cannot_be_a_base() {
                    return Err(Error::Config(format!(
                        "public base URL {url:?} must be an absolute URL ending with '/'"
                    )));
                }
                url.clone()
            }
            None => format!("http://{addr}/"),
        };
        let catalog = Catalog::load(&snapshot, &base_url)?;
        if let Some(dir) = &files_dir
            && !dir.is_dir()
        {
            return Err(Error::FilesDir(dir.clone()));
        }
        let datasets = catalog.snapshot.datasets().len();
        let state = Arc::new(AppState {
            catalog: RwLock::new(Arc::new(catalog)),
            files_dir,
            base_url: base_url.clone(),
            faults: Mutex::new(faults),
            counters: Default::default(),
            tpf_page_size: tpf_page_size.max(1),
            query_limits,
        });
        let server = bound
            .serve(opendata_http::TowerHandler(router(Arc::clone(&state))))
            .map_err(Error::Runtime)?;
        tracing::info!(%base_url, datasets, "nkod-server listening");
        Ok(RunningServer {
            addr,
            base_url,
            state,
            server: Some(server),
        })
    }
}

/// A server running on a background thread. Dropping it stops the server.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    base_url: String,
    state: Arc<AppState>,
    server: Option<opendata_http::RunningServer>,
}

impl RunningServer {
    /// The base URL, ending with `/` (e.g. `http://127.0.0.1:41234/`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `{base}sparql`
    pub fn sparql_url(&self) -> String {
        format!("{}sparql", self.base_url)
    }

    /// `{base}ldf/nkod-ldf`: the TPF datasource (the start fragment).
    pub fn ldf_url(&self) -> String {
        format!("{}ldf/nkod-ldf", self.base_url)
    }

    /// `{base}graphql`
    pub fn graphql_url(&self) -> String {
        format!("{}graphql", self.base_url)
    }

    /// `{base}soubory/{name}`: URL of a distribution file.
    pub fn file_url(&self, name: &str) -> String {
        format!("{}soubory/{name}", self.base_url)
    }

    /// The catalogue being served (a cheap handle on the same store).
    pub fn snapshot(&self) -> Snapshot {
        self.state.catalog().snapshot.clone()
    }

    /// Serves another catalogue dump from the next request on (relative IRIs resolved against
    /// this server's base URL), e.g. to simulate NKOD's daily rebuild. On error the current
    /// catalogue stays.
    pub fn replace_snapshot(&self, source: &SnapshotSource) -> Result<(), Error> {
        let catalog = Catalog::load(source, &self.base_url)?;
        *self
            .state
            .catalog
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(catalog);
        Ok(())
    }

    /// Replaces the fault of one route; takes effect with the next request.
    pub fn set_fault(&self, route: Route, fault: Fault) {
        self.state
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .set(route, fault);
    }

    /// Removes all faults.
    pub fn clear_faults(&self) {
        *self
            .state
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Faults::none();
    }

    /// Number of requests the route has received (including failed and 304 ones).
    pub fn request_count(&self, route: Route) -> u64 {
        self.state.counters.get(route).load(Ordering::SeqCst)
    }

    /// Resets all request counters to zero.
    pub fn reset_request_counts(&self) {
        for c in self.state.counters.values() {
            c.store(0, Ordering::SeqCst);
        }
    }

    /// Blocks until the server stops (it only does when stopped from elsewhere).
    pub fn wait(mut self) -> Result<(), Error> {
        if let Some(server) = self.server.take() {
            server.wait();
        }
        Ok(())
    }

    /// Stops the server and waits for its threads to end.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// One loaded catalogue: the store and the GraphQL records built from it.
#[derive(Debug)]
pub(crate) struct Catalog {
    pub(crate) snapshot: Snapshot,
    pub(crate) graphql: GraphqlCatalog,
    pub(crate) tpf_cache: crate::tpf::FragmentCache,
}

impl Catalog {
    fn load(source: &SnapshotSource, base_url: &str) -> Result<Self, Error> {
        let snapshot = match source {
            SnapshotSource::File(path) => {
                let text = load_snapshot(path)?;
                Snapshot::from_trig(&text, &path.display().to_string(), base_url)?
            }
            SnapshotSource::Trig { text, origin } => Snapshot::from_trig(text, origin, base_url)?,
        };
        let graphql = GraphqlCatalog::build(&snapshot);
        Ok(Catalog {
            snapshot,
            graphql,
            tpf_cache: crate::tpf::FragmentCache::default(),
        })
    }
}

/// State shared by all handlers.
#[derive(Debug)]
pub(crate) struct AppState {
    /// Swapped whole by `replace_snapshot`; a request keeps the catalogue it started with.
    pub(crate) catalog: RwLock<Arc<Catalog>>,
    pub(crate) files_dir: Option<PathBuf>,
    pub(crate) base_url: String,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) counters: PerRoute<AtomicU64>,
    pub(crate) tpf_page_size: usize,
    pub(crate) query_limits: QueryLimits,
}

impl AppState {
    pub(crate) fn catalog(&self) -> Arc<Catalog> {
        Arc::clone(&self.catalog.read().unwrap_or_else(PoisonError::into_inner))
    }
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route(
            "/sparql",
            get(crate::sparql::handle_get).post(crate::sparql::handle_post),
        )
        .route("/ldf/nkod-ldf", get(crate::tpf::handle))
        .route(
            "/graphql",
            get(crate::graphql::handle_get).post(crate::graphql::handle_post),
        )
        .route("/soubory/{*path}", get(crate::files::handle))
        .route("/presmerovani/{*path}", get(redirect))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            inject_faults,
        ))
        .with_state(state)
}

async fn index(State(state): State<Arc<AppState>>) -> Response {
    let base = &state.base_url;
    let text = format!(
        "nkod-server: a local NKOD ({} datasets)\n\
         SPARQL 1.1 protocol:        {base}sparql\n\
         Triple Pattern Fragments:   {base}ldf/nkod-ldf\n\
         GraphQL:                    {base}graphql\n\
         Distribution files:         {base}soubory/<name>\n\
         Redirect (302) to {base}X:  {base}presmerovani/X\n",
        state.catalog().snapshot.datasets().len()
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `/presmerovani/{path}` answers 302 to `{base}{path}` (query kept), so clients can test
/// redirects: `/presmerovani/presmerovani/soubory/x.csv` redirects twice.
async fn redirect(
    State(state): State<Arc<AppState>>,
    axum::extract::Path(path): axum::extract::Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let encoded: String = path
        .split('/')
        .map(|segment| percent_encoding::utf8_percent_encode(segment, PATH_SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/");
    let mut location = format!("{}{encoded}", state.base_url);
    if let Some(q) = query {
        location.push('?');
        location.push_str(&q);
    }
    match HeaderValue::from_str(&location) {
        Ok(value) => (StatusCode::FOUND, [(header::LOCATION, value)]).into_response(),
        Err(_) => text_error(
            StatusCode::BAD_REQUEST,
            "the redirect target is not a valid URL",
        ),
    }
}

async fn inject_faults(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(route) = Route::for_path(request.uri().path()) else {
        return next.run(request).await;
    };
    let n = state.counters.get(route).fetch_add(1, Ordering::SeqCst) + 1;
    let fault = state
        .faults
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(route)
        .clone();
    if fault.is_none() || !fault.applies_to(request.uri().path()) {
        return next.run(request).await;
    }
    if !fault.latency.is_zero() {
        tokio::time::sleep(fault.latency).await;
    }
    if fault.fails_request(n) {
        let status =
            StatusCode::from_u16(fault.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = text_error(
            status,
            format!(
                "injected fault: request {n} of route {} fails",
                route.name()
            ),
        );
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        return response;
    }
    let response = next.run(request).await;
    if fault.truncate_body_at.is_none() && fault.slow_body.is_none() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => return text_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    // The head announces the full length; the body may end early, as a dropped connection does.
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let limit = fault
        .truncate_body_at
        .unwrap_or(bytes.len())
        .min(bytes.len());
    let truncated = limit < bytes.len();
    let (chunk, delay) = match fault.slow_body {
        Some(slow) => (slow.chunk_size.max(1), slow.delay),
        None => (limit.max(1), Duration::ZERO),
    };
    let stream = futures_util::stream::unfold(0usize, move |sent| {
        let bytes = bytes.clone();
        async move {
            if sent >= limit {
                if truncated && sent != usize::MAX {
                    // Let the connection flush what was sent before it is cut; erroring at once
                    // could discard the buffered head and partial body.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    return Some((
                        Err(std::io::Error::other("injected fault: body truncated")),
                        usize::MAX,
                    ));
                }
                return None;
            }
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let end = (sent + chunk).min(limit);
            Some((Ok::<Bytes, std::io::Error>(bytes.slice(sent..end)), end))
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}
