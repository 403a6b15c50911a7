//! `serve`: the publication over HTTP — the page and the downloads with the shared layer's
//! validators, conditional requests, gzip, byte ranges and content types
//! ([`opendata_http::Entity`]), the shared server's timeouts, connection limit and shutdown
//! deadline; `/healthz` with the publication's age and the sources that are not current.
//!
//! Only files inside the current publication can be served: the request path is decoded
//! segment by segment ([`opendata_http::files::segments`]: any `.`/`..`/hidden segment,
//! encoded separator, backslash or NUL is refused), and the resolved file must lie inside the
//! resolved publication directory ([`opendata_http::files::resolve`]).

use crate::lookup::LookupIndex;
use opendata_http::http::{HeaderValue, Method, Request, Response, StatusCode, header};
use opendata_http::{
    Entity, Full, HttpSettings, Limits, RunningServer, ServerConfig, files, response,
};
use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs as _};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

/// Settings of the HTTP server.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The output path (the publication link, or a plain directory).
    pub out: PathBuf,
    /// `/healthz` answers 503 when the publication is older than this.
    pub max_age: Duration,
    /// Timeouts, connection limit and shutdown deadline.
    pub limits: Limits,
    /// Event-loop threads (0: one per core).
    pub workers: usize,
}

impl ServeOptions {
    /// Options for `out` with a 48-hour freshness limit (two missed daily runs) and the
    /// default limits.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        Self {
            out: out.into(),
            max_age: Duration::from_secs(48 * 3600),
            limits: Limits::default(),
            workers: 0,
        }
    }

    /// Applies `[http]` settings of the configuration.
    pub fn with_http(mut self, http: &HttpSettings) -> Result<Self, String> {
        self.limits = http.limits()?;
        Ok(self)
    }
}

#[derive(Debug)]
struct CachedFile {
    ino: u64,
    len: u64,
    mtime: SystemTime,
    entity: Entity,
}

#[derive(Debug, Default)]
struct Cache {
    files: HashMap<PathBuf, Arc<CachedFile>>,
    bytes: usize,
}

/// Cached bodies are dropped wholesale beyond this size (publications are a few MB). Each
/// body is counted twice: a large one that is answered again is also held in its sendfile
/// mirror (`opendata_http::Entity`).
const CACHE_LIMIT: usize = 256 << 20;

/// The request handler serving `options.out` (see [`start`]).
#[derive(Debug)]
pub struct Publication {
    options: ServeOptions,
    cache: RwLock<Cache>,
    /// The lookup index of the publication it was read from.
    lookup: RwLock<Option<(PathBuf, Arc<LookupIndex>)>>,
}

impl Publication {
    /// A handler serving `options.out`.
    pub fn new(options: ServeOptions) -> Self {
        Self {
            options,
            cache: RwLock::new(Cache::default()),
            lookup: RwLock::new(None),
        }
    }
}

impl opendata_http::Handler for Publication {
    type Body = Full;
    type Future = std::future::Ready<Response<Full>>;

    fn call(
        &self,
        request: Request<opendata_http::server::Incoming>,
        _peer: SocketAddr,
    ) -> Self::Future {
        let uri = request.uri();
        if matches!(uri.path(), "/api/lookup") || uri.path().ends_with("/vyhledat") {
            return std::future::ready(lookup_route(
                self,
                request.method(),
                uri.path(),
                uri.query().unwrap_or(""),
            ));
        }
        std::future::ready(handle(
            self,
            request.method(),
            uri.path(),
            request.headers(),
        ))
    }
}

/// Resolves `listen` (`host:port`) to the addresses to bind.
pub fn listen_addresses(listen: &str) -> std::io::Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = listen.to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{listen} resolves to no address"),
        ));
    }
    Ok(addrs)
}

/// Starts serving on `listen`; the server runs on its own threads until stopped (or
/// dropped), finishing requests in progress within the shutdown deadline.
pub fn start(listen: &[SocketAddr], options: ServeOptions) -> std::io::Result<RunningServer> {
    let config = ServerConfig {
        listen: listen.to_vec(),
        workers: options.workers,
        limits: options.limits.clone(),
        name: "serve".into(),
    };
    opendata_http::start(&config, Publication::new(options))
}

/// `GET /api/lookup?adresa=…[&k=…]` (JSON) and `GET …/vyhledat?adresa=…` (the Czech answer
/// page of the form „Je tato adresa blokována?"), from the current publication's index.
fn lookup_route(state: &Publication, method: &Method, path: &str, query: &str) -> Response<Full> {
    if method != Method::GET && method != Method::HEAD {
        return response::method_not_allowed("GET, HEAD", "only GET and HEAD\n");
    }
    let Some(root) = publication_root(&state.options.out) else {
        return response::text_static(StatusCode::SERVICE_UNAVAILABLE, "no publication yet\n");
    };
    let cached = state.lookup.read().ok().and_then(|c| {
        c.as_ref()
            .filter(|(r, _)| *r == root)
            .map(|(_, i)| Arc::clone(i))
    });
    let index = match cached {
        Some(index) => index,
        None => match LookupIndex::load(&root) {
            Ok(index) => {
                let index = Arc::new(index);
                if let Ok(mut c) = state.lookup.write() {
                    *c = Some((root, Arc::clone(&index)));
                }
                index
            }
            Err(e) => {
                tracing::error!("lookup index: {e}");
                return response::text_static(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the lookup index of this publication cannot be read\n",
                );
            }
        },
    };
    let answer = if path == "/api/lookup" {
        crate::lookup::api_response(&index, query)
    } else {
        crate::lookup::page_response(&index, query)
    };
    let mut response = Response::new(Full::new(if method == Method::HEAD {
        String::new()
    } else {
        answer.body
    }));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(answer.content_type),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn not_found() -> Response<Full> {
    response::text_static(StatusCode::NOT_FOUND, "not found\n")
}

fn handle(
    state: &Publication,
    method: &Method,
    raw_path: &str,
    headers: &opendata_http::http::HeaderMap,
) -> Response<Full> {
    if method != Method::GET && method != Method::HEAD {
        return response::method_not_allowed("GET, HEAD", "only GET and HEAD\n");
    }
    if raw_path == "/healthz" {
        return health(state);
    }
    let Ok(mut segments) = files::segments(raw_path) else {
        return not_found();
    };
    let Some(root) = publication_root(&state.options.out) else {
        return response::text_static(StatusCode::SERVICE_UNAVAILABLE, "no publication yet\n");
    };
    let mut path = root.clone();
    for segment in &segments {
        path.push(segment);
    }
    let Ok(mut meta) = std::fs::metadata(&path) else {
        return not_found();
    };
    if meta.is_dir() {
        if !raw_path.ends_with('/') {
            return response::redirect(StatusCode::MOVED_PERMANENTLY, &format!("{raw_path}/"));
        }
        path.push("index.html");
        segments.push("index.html".into());
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => meta = m,
            _ => return not_found(),
        }
    }
    if !meta.is_file() {
        return not_found();
    }
    let file = match cached(state, &root, &segments, &path, &meta) {
        Ok(Some(file)) => file,
        Ok(None) => return not_found(),
        Err(_) => {
            return response::text_static(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot read the file\n",
            );
        }
    };
    let mut answer = file.entity.respond(method, headers);
    let archived = segments.first().map(String::as_str) == Some("archiv");
    let h = answer.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if archived {
            "public, max-age=86400"
        } else {
            "no-cache"
        }),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    answer
}

fn publication_root(out: &Path) -> Option<PathBuf> {
    let meta = std::fs::symlink_metadata(out).ok()?;
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(out).ok()?;
        Some(out.parent().unwrap_or(Path::new("")).join(target))
    } else if meta.is_dir() {
        Some(out.to_path_buf())
    } else {
        None
    }
}

fn cached(
    state: &Publication,
    root: &Path,
    segments: &[String],
    path: &Path,
    meta: &std::fs::Metadata,
) -> std::io::Result<Option<Arc<CachedFile>>> {
    let mtime = meta.modified()?;
    if let Ok(cache) = state.cache.read()
        && let Some(file) = cache.files.get(path)
        && file.ino == meta.ino()
        && file.len == meta.len()
        && file.mtime == mtime
    {
        return Ok(Some(Arc::clone(file)));
    }
    // A miss: the file must resolve inside the resolved publication before anything is read.
    let Some(resolved) = files::resolve(root, segments)? else {
        return Ok(None);
    };
    let body = std::fs::read(&resolved.path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = Arc::new(CachedFile {
        ino: meta.ino(),
        len: meta.len(),
        mtime,
        entity: Entity::new(body, mtime, files::content_type(&name, true)),
    });
    // Compress now, off the next request's path.
    let gzip_len = file.entity.gzip_body().map_or(0, |b| b.len());
    if let Ok(mut cache) = state.cache.write() {
        let size = 2 * (file.entity.body().len() + gzip_len);
        if cache.bytes + size > CACHE_LIMIT {
            cache.files.clear();
            cache.bytes = 0;
        }
        cache.bytes += size;
        cache.files.insert(path.to_path_buf(), Arc::clone(&file));
    }
    Ok(Some(file))
}

fn health(state: &Publication) -> Response<Full> {
    let root = publication_root(&state.options.out);
    let sums = root.as_ref().map(|r| r.join(crate::publish::SUMS_FILE));
    let Some(modified) = sums.and_then(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
    else {
        return json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({ "status": "no publication" }),
        );
    };
    let age = SystemTime::now()
        .duration_since(modified)
        .unwrap_or_default();
    let stale = age > state.options.max_age;
    let id = root
        .as_ref()
        .and_then(|r| r.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Sources that are stale or missing (from the publication's stav.json): the list is
    // served (200) but degraded; only an old publication is unhealthy (503).
    let not_current: Vec<serde_json::Value> = root
        .as_ref()
        .and_then(|r| std::fs::read(r.join(crate::build::files::STATUS)).ok())
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|status| status.get("sources").and_then(|s| s.as_array()).cloned())
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.get("state").and_then(|v| v.as_str()) != Some("current"))
        .map(|s| {
            serde_json::json!({
                "id": s.get("id"),
                "state": s.get("state"),
                "since": s.get("since"),
                "alarm": s.get("alarm"),
                "reason": s.pointer("/last_attempt/failure/message"),
            })
        })
        .collect();
    // The post-publication command (a DNS primary's reload, say) recorded beside the
    // publications: its failure for the current publication degrades the health.
    let post = crate::publish::Publisher::new(&state.options.out)
        .store()
        .to_path_buf();
    let post = crate::post_publish::last(&post).filter(|o| o.publication == id);
    let post_failed = post.as_ref().is_some_and(|o| !o.ok);
    let status = match (stale, not_current.is_empty() && !post_failed) {
        (true, _) => "stale",
        (false, false) => "degraded",
        (false, true) => "ok",
    };
    let body = serde_json::json!({
        "status": status,
        "publication": id,
        "published_at": httpdate::fmt_http_date(modified),
        "age_seconds": age.as_secs(),
        "max_age_seconds": state.options.max_age.as_secs(),
        "sources_not_current": not_current,
        "post_publication": post.map(|o| serde_json::json!({
            "ok": o.ok,
            "command": o.command,
            "started_at": o.started_at,
            "failure": o.failure,
            "stderr": o.stderr,
        })),
    });
    json_response(
        if stale {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::OK
        },
        &body,
    )
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Full> {
    response::json(status, format!("{body}\n"))
}
