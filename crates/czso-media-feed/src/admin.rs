//! The admin endpoint's guard: a bearer token from a file only the service user can read,
//! the admin listener's own `Host`, and API content types only.
//!
//! Loopback is not a credential: any local process, and any web page a browser on the same
//! machine opens (a form posting `text/plain`, or DNS rebinding with a foreign `Host`), can
//! reach a loopback port. The token file is created at the first start (32 random bytes in
//! hex, mode 0600) and refused when group or others may read it; the CLI reads it through the
//! same configuration.

use crate::error::{Error, Result};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use opendata_http::http::{HeaderValue, StatusCode, header};
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The operators' credential.
#[derive(Clone)]
pub struct AdminToken(Arc<str>);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(…)")
    }
}

/// Shortest token accepted from a file (128 bits in hex).
const MIN_TOKEN_LEN: usize = 32;

impl AdminToken {
    /// Reads the token file, creating it (mode 0600) when it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        if !path.exists() {
            let mut random = [0u8; 32];
            std::fs::File::open("/dev/urandom")
                .and_then(|mut f| f.read_exact(&mut random))
                .map_err(|e| Error::io("/dev/urandom", e))?;
            let token = hex::encode(random);
            let created = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .and_then(|mut f| {
                    f.write_all(format!("{token}\n").as_bytes())?;
                    f.sync_all()
                });
            match created {
                Ok(()) => tracing::info!("admin token written to {}", path.display()),
                // Another process made it meanwhile: read that one.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io(path, e)),
            }
        }
        Self::read(path)
    }

    /// Reads the token file; refuses one that group or others may read.
    pub fn read(path: &Path) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(Error::Config(format!(
                "admin token file {} may be read by group or others (mode {:o}); run `chmod 600` on it",
                path.display(),
                mode & 0o777
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let token = text.trim();
        if token.len() < MIN_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Config(format!(
                "admin token file {} must hold one token of at least {MIN_TOKEN_LEN} visible ASCII characters",
                path.display()
            )));
        }
        Ok(Self(token.into()))
    }

    /// The `Authorization` value that carries it.
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.0)
    }

    /// Whether `authorization` carries this token (compared in constant time).
    fn accepts(&self, authorization: Option<&HeaderValue>) -> bool {
        let Some(given) = authorization
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return false;
        };
        let (a, b) = (given.trim().as_bytes(), self.0.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// What the guard checks a request against.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    token: AdminToken,
    /// `Host` values naming the admin listener (`127.0.0.1:8081`, `localhost:8081`), known
    /// once it is bound; until then every request is refused.
    hosts: Arc<OnceLock<Vec<String>>>,
}

impl Guard {
    pub(crate) fn new(token: AdminToken) -> Self {
        Self {
            token,
            hosts: Arc::new(OnceLock::new()),
        }
    }

    /// Sets the listener's address, so the `Host` values naming it.
    pub(crate) fn listening_on(&self, listen: SocketAddr) {
        let port = listen.port();
        let mut hosts = vec![listen.to_string(), format!("localhost:{port}")];
        if listen.ip().is_loopback() {
            hosts.push(format!("127.0.0.1:{port}"));
            hosts.push(format!("[::1]:{port}"));
        }
        let _ = self.hosts.set(hosts);
    }
}

fn refuse(status: StatusCode, message: &'static str) -> Response {
    let mut response = opendata_http::response::text_static(status, message)
        .map(axum::body::Body::new)
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"czso-media-feed admin\""),
        );
    }
    response
}

/// The axum middleware: foreign `Host` 421, no token 401, a POST body of another type 415.
pub(crate) async fn guard(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let known = guard.hosts.get().map_or(&[][..], Vec::as_slice);
    if !known.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "this is the admin endpoint; its Host is its own loopback address\n",
        );
    }
    if !guard
        .token
        .accepts(request.headers().get(header::AUTHORIZATION))
    {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "the admin endpoint needs `Authorization: Bearer <token>` (the admin token file)\n",
        );
    }
    if request.method() == axum::http::Method::POST {
        let media = opendata_http::negotiate::content_media_type(request.headers());
        let has_body = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
            || request.headers().contains_key(header::TRANSFER_ENCODING);
        let allowed = match media.as_deref() {
            Some("application/xml" | "text/xml") => true,
            None => !has_body,
            Some(_) => false,
        };
        if !allowed {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "admin requests carry application/xml (a batch document) or no body\n",
            );
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_files_are_created_private_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin.token");
        let token = AdminToken::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(AdminToken::read(&path).unwrap().0, token.0);
        assert!(token.accepts(Some(&HeaderValue::from_str(&token.bearer()).unwrap())));
        assert!(!token.accepts(Some(&HeaderValue::from_static("Bearer nope"))));
        assert!(!token.accepts(None));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = AdminToken::read(&path).unwrap_err().to_string();
        assert!(err.contains("chmod 600") && err.contains("644"), "{err}");
        let short = dir.path().join("short");
        std::fs::write(&short, "abc").unwrap();
        std::fs::set_permissions(&short, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(AdminToken::read(&short).is_err());
    }
}
