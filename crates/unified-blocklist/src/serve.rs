//! `serve`: the publication over HTTP — the page and the downloads with ETag, Last-Modified,
//! 304, gzip and the right content types; `/healthz` with the publication's age.
//!
//! Only files inside the current publication can be served: the request path is decoded
//! segment by segment, any `.`/`..`/hidden segment, encoded separator, backslash or NUL is
//! refused, and the resolved file must lie inside the resolved publication directory.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write as _;
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
}

impl ServeOptions {
    /// Options for `out` with a 48-hour freshness limit (two missed daily runs).
    pub fn new(out: impl Into<PathBuf>) -> Self {
        Self {
            out: out.into(),
            max_age: Duration::from_secs(48 * 3600),
        }
    }
}

#[derive(Debug)]
struct CachedFile {
    ino: u64,
    len: u64,
    mtime: SystemTime,
    body: Bytes,
    gzip: Option<Bytes>,
    etag: String,
    last_modified: String,
    content_type: &'static str,
}

#[derive(Debug, Default)]
struct Cache {
    files: HashMap<PathBuf, Arc<CachedFile>>,
    bytes: usize,
}

/// Cached bodies are dropped wholesale beyond this size (publications are a few MB).
const CACHE_LIMIT: usize = 256 << 20;

#[derive(Debug)]
struct AppState {
    options: ServeOptions,
    cache: RwLock<Cache>,
}

/// The router serving `options.out`.
pub fn router(options: ServeOptions) -> Router {
    let state = Arc::new(AppState {
        options,
        cache: RwLock::new(Cache::default()),
    });
    Router::new().fallback(move |request: Request<Body>| {
        let state = Arc::clone(&state);
        async move { handle(&state, &request) }
    })
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(options))
        .with_graceful_shutdown(shutdown)
        .await
}

fn plain(status: StatusCode, text: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(format!("{text}\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn handle(state: &AppState, request: &Request<Body>) -> Response<Body> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let raw_path = request.uri().path();
    if raw_path == "/healthz" {
        return health(state);
    }
    let Some(segments) = decode_path(raw_path) else {
        return plain(StatusCode::NOT_FOUND, "not found");
    };
    let Some(root) = publication_root(&state.options.out) else {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "no publication yet");
    };
    let mut path = root.clone();
    for segment in &segments {
        path.push(segment);
    }
    let Ok(mut meta) = std::fs::metadata(&path) else {
        return plain(StatusCode::NOT_FOUND, "not found");
    };
    if meta.is_dir() {
        if !raw_path.ends_with('/') {
            let mut response = plain(StatusCode::MOVED_PERMANENTLY, "moved");
            if let Ok(location) = HeaderValue::from_str(&format!("{raw_path}/")) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            return response;
        }
        path.push("index.html");
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => meta = m,
            _ => return plain(StatusCode::NOT_FOUND, "not found"),
        }
    }
    if !meta.is_file() {
        return plain(StatusCode::NOT_FOUND, "not found");
    }
    let file = match cached(state, &root, &path, &meta) {
        Ok(Some(file)) => file,
        Ok(None) => return plain(StatusCode::NOT_FOUND, "not found"),
        Err(_) => return plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot read the file"),
    };
    respond(
        request.headers(),
        &file,
        segments.first().map(String::as_str) == Some("archiv"),
    )
}

/// Decodes the path into safe segments, or `None` if any segment could escape the root.
fn decode_path(raw: &str) -> Option<Vec<String>> {
    let rest = raw.strip_prefix('/')?;
    let mut segments = Vec::new();
    let parts: Vec<&str> = rest.split('/').collect();
    for (index, part) in parts.iter().enumerate() {
        if part.is_empty() {
            // Only a trailing slash (a directory) is allowed to make an empty segment.
            if index + 1 == parts.len() {
                continue;
            }
            return None;
        }
        let decoded = percent_encoding::percent_decode_str(part)
            .decode_utf8()
            .ok()?;
        if decoded.starts_with('.') || decoded.contains(['/', '\\', '\0']) || decoded.contains(':')
        {
            return None;
        }
        segments.push(decoded.into_owned());
    }
    Some(segments)
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
    state: &AppState,
    root: &Path,
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
    // A miss: check containment on the fully resolved paths before reading anything.
    let real_root = std::fs::canonicalize(root)?;
    let real_path = std::fs::canonicalize(path)?;
    if !real_path.starts_with(&real_root) {
        return Ok(None);
    }
    let body = std::fs::read(&real_path)?;
    let content_type = content_type(path);
    let gzip = (compressible(content_type) && body.len() > 512).then(|| {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::new(6));
        let _ = encoder.write_all(&body);
        Bytes::from(encoder.finish().unwrap_or_default())
    });
    let digest = Sha256::digest(&body);
    let file = Arc::new(CachedFile {
        ino: meta.ino(),
        len: meta.len(),
        mtime,
        etag: format!("\"{}\"", hex::encode(&digest[..16])),
        last_modified: httpdate::fmt_http_date(mtime),
        content_type,
        gzip,
        body: Bytes::from(body),
    });
    if let Ok(mut cache) = state.cache.write() {
        let size = file.body.len() + file.gzip.as_ref().map_or(0, Bytes::len);
        if cache.bytes + size > CACHE_LIMIT {
            cache.files.clear();
            cache.bytes = 0;
        }
        cache.bytes += size;
        cache.files.insert(path.to_path_buf(), Arc::clone(&file));
    }
    Ok(Some(file))
}

/// The content type for a published file name.
pub fn content_type(path: &Path) -> &'static str {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    if name.ends_with("-metadata.json") {
        return "application/csvm+json";
    }
    if name == "SHA256SUMS" {
        return "text/plain; charset=utf-8";
    }
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "csv" => "text/csv; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "json" => "application/json",
        "jsonld" => "application/ld+json",
        "ttl" => "text/turtle; charset=utf-8",
        "rpz" | "zone" => "text/dns",
        "txt" => "text/plain; charset=utf-8",
        "atom" => "application/atom+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.contains("json")
        || content_type.contains("xml")
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .any(|value| {
            value.to_str().unwrap_or("").split(',').any(|item| {
                let mut parts = item.split(';');
                let coding = parts.next().unwrap_or("").trim();
                let q_zero = parts.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .is_some_and(|q| q.trim().parse::<f32>() == Ok(0.0))
                });
                (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !q_zero
            })
        })
}

fn not_modified(headers: &HeaderMap, etag: &str, file: &CachedFile) -> bool {
    if let Some(value) = headers.get(header::IF_NONE_MATCH) {
        let value = value.to_str().unwrap_or("");
        let bare = etag.trim_matches('"');
        return value.split(',').any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == bare
        });
    }
    if let Some(since) = headers.get(header::IF_MODIFIED_SINCE)
        && let Ok(since) = httpdate::parse_http_date(since.to_str().unwrap_or(""))
    {
        // HTTP dates have whole seconds.
        let modified = file
            .mtime
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let since = since
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        return modified <= since;
    }
    false
}

fn respond(headers: &HeaderMap, file: &CachedFile, archived: bool) -> Response<Body> {
    let gzip = file.gzip.as_ref().filter(|_| accepts_gzip(headers));
    // A different representation needs a different strong validator.
    let etag = if gzip.is_some() {
        format!("{}-gz\"", file.etag.trim_end_matches('"'))
    } else {
        file.etag.clone()
    };
    let mut response = Response::new(Body::empty());
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&file.last_modified) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
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
    if not_modified(headers, &etag, file) {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return response;
    }
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(file.content_type),
    );
    let body = match gzip {
        Some(gz) => {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            gz.clone()
        }
        None => file.body.clone(),
    };
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    *response.body_mut() = Body::from(body);
    response
}

fn health(state: &AppState) -> Response<Body> {
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
    let body = serde_json::json!({
        "status": if stale { "stale" } else { "ok" },
        "publication": id,
        "published_at": httpdate::fmt_http_date(modified),
        "age_seconds": age.as_secs(),
        "max_age_seconds": state.options.max_age.as_secs(),
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

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Body::from(format!("{body}\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_decoding_refuses_escapes() {
        for bad in [
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/archiv/..%2fSHA256SUMS",
            "/a%2F..%2F..%2Fetc",
            "/a%5c..%5cb",
            "//etc/passwd",
            "/.hidden",
            "/a/%00",
            "/C:%5cwindows",
            "/a//b",
        ] {
            assert_eq!(decode_path(bad), None, "{bad}");
        }
        assert_eq!(decode_path("/"), Some(vec![]));
        assert_eq!(
            decode_path("/archiv/2026-01-01/"),
            Some(vec!["archiv".to_owned(), "2026-01-01".to_owned()])
        );
    }

    #[test]
    fn gzip_negotiation() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip;q=0.8"),
        );
        assert!(accepts_gzip(&headers));
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0, br"),
        );
        assert!(!accepts_gzip(&headers));
    }
}
