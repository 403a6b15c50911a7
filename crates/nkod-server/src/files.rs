//! `/soubory/`: the distribution files, with ETag, Last-Modified and conditional GET (304).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::http_util::text_error;
use crate::server::AppState;

pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    method: Method,
    UrlPath(path): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let Some(dir) = &state.files_dir else {
        return text_error(
            StatusCode::NOT_FOUND,
            "this server serves no distribution files",
        );
    };
    let Some(file) = resolve(dir, &path) else {
        return text_error(
            StatusCode::NOT_FOUND,
            format!("no distribution file {path:?} (names must not contain '..' or be absolute)"),
        );
    };
    // Read on every request (no cache): a test may change a file while the server runs.
    let (bytes, modified) = match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let modified = tokio::fs::metadata(&file)
                .await
                .and_then(|m| m.modified())
                .unwrap_or(UNIX_EPOCH);
            (bytes, modified)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return text_error(
                StatusCode::NOT_FOUND,
                format!("no distribution file {path:?}"),
            );
        }
        Err(e) => {
            return text_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot read distribution file {path:?}: {e}"),
            );
        }
    };
    // Strong validator from the content, so a rewrite with equal bytes stays "not modified".
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&bytes))[..32]);
    let modified = whole_seconds(modified);
    let last_modified = httpdate::fmt_http_date(modified);
    let not_modified = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(list) => etag_matches(list, &etag),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| modified <= since),
    };
    let mut response_headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        response_headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        response_headers.insert(header::LAST_MODIFIED, v);
    }
    if not_modified {
        return (StatusCode::NOT_MODIFIED, response_headers).into_response();
    }
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&file)),
    );
    if method == Method::HEAD {
        response_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        return (StatusCode::OK, response_headers).into_response();
    }
    (StatusCode::OK, response_headers, bytes).into_response()
}

/// Maps a URL path below `/soubory/` to a file inside `dir`, refusing anything that could leave it.
fn resolve(dir: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path);
    if path.is_empty() || path.contains('\\') {
        return None;
    }
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let file = dir.join(relative);
    file.is_file().then_some(file)
}

fn whole_seconds(t: SystemTime) -> SystemTime {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

fn content_type(file: &Path) -> &'static str {
    match file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        Some("jsonld") => "application/ld+json",
        Some("xml") => "application/xml",
        Some("zip") => "application/zip",
        Some("ttl") => "text/turtle",
        Some("trig") => "application/trig",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_list_matching() {
        assert!(etag_matches("\"abc\"", "\"abc\""));
        assert!(etag_matches("W/\"abc\", \"x\"", "\"abc\""));
        assert!(etag_matches("*", "\"abc\""));
        assert!(!etag_matches("\"abd\"", "\"abc\""));
    }

    #[test]
    fn resolve_refuses_escapes() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(resolve(dir, "../Cargo.toml").is_none());
        assert!(resolve(dir, "/etc/passwd").is_none());
        assert!(resolve(dir, "src/../Cargo.toml").is_none());
        assert!(resolve(dir, "Cargo.toml").is_some());
        assert!(resolve(dir, "src").is_none());
    }
}
