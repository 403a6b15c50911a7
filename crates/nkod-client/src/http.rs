//! The one HTTP layer every backend and the downloader use: ureq with our own redirect
//! following, retries with exponential backoff inside a total deadline, a body size limit,
//! error classification and request/byte accounting.

use crate::{Error, Usage};
use std::io::Read;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Network behaviour shared by all backends and by downloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// `User-Agent` header.
    pub user_agent: String,
    /// Time allowed for one attempt (connect, request, response head and body).
    pub request_timeout: Duration,
    /// Total time for one call, across retries, backoff sleeps and redirects.
    pub deadline: Duration,
    /// Attempts per call (1 = no retry).
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles after each further failure.
    pub backoff_initial: Duration,
    /// Upper bound of one backoff sleep (also caps a server's `Retry-After`).
    pub backoff_max: Duration,
    /// Redirect hops followed per attempt.
    pub max_redirects: u32,
    /// Largest response body accepted, in bytes.
    pub max_body_bytes: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            user_agent: concat!("nkod-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            request_timeout: Duration::from_secs(60),
            deadline: Duration::from_secs(300),
            max_attempts: 4,
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            max_redirects: 10,
            max_body_bytes: 256 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// One logical request (before redirects and retries).
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Vec<u8>>,
    /// Return 4xx responses instead of failing (GraphQL servers put `errors` in 400 bodies).
    pub(crate) pass_client_errors: bool,
}

impl Request {
    pub(crate) fn get(url: impl Into<String>) -> Self {
        Self {
            method: Method::Get,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            pass_client_errors: false,
        }
    }

    pub(crate) fn post(url: impl Into<String>, content_type: &str, body: Vec<u8>) -> Self {
        Self {
            method: Method::Post,
            url: url.into(),
            headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
            body: Some(body),
            pass_client_errors: false,
        }
    }

    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// A final response (2xx or 304), body read in full.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub(crate) status: u16,
    /// The URL that answered, after redirects.
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The media type of `Content-Type`, lower-cased, without parameters.
    pub(crate) fn media_type(&self) -> String {
        self.header("content-type")
            .and_then(|v| v.split(';').next())
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    }
}

/// The shared HTTP client. Cheap to share between threads; counts everything it sends.
#[derive(Debug)]
pub(crate) struct Http {
    agent: ureq::Agent,
    config: HttpConfig,
    total: Mutex<Usage>,
}

impl Http {
    pub(crate) fn new(config: HttpConfig) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(config.user_agent.as_str())
            .build()
            .into();
        Self {
            agent,
            config,
            total: Mutex::new(Usage::default()),
        }
    }

    pub(crate) fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// Everything this client has used since it was made.
    pub(crate) fn total(&self) -> Usage {
        *self
            .total
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends `request`, following redirects and retrying transient failures inside the
    /// deadline. Returns 2xx and 304 responses; other statuses become [`Error::Status`].
    /// Every attempt and hop is added to `usage`.
    pub(crate) fn send(&self, request: &Request, usage: &mut Usage) -> Result<Response, Error> {
        check_url(&request.url)?;
        let deadline = Instant::now() + self.config.deadline;
        let mut backoff = self.config.backoff_initial;
        let mut attempt = 1;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let error = if remaining.is_zero() {
                Error::Timeout {
                    url: request.url.clone(),
                    after: self.config.deadline,
                }
            } else {
                let allowed = remaining.min(self.config.request_timeout);
                match self.follow_redirects(request, allowed, usage) {
                    Ok(response) => return Ok(response),
                    Err((error, retry_after)) => {
                        if !error.is_transient() || attempt >= self.config.max_attempts {
                            return Err(error);
                        }
                        let sleep = retry_after.unwrap_or(backoff).min(self.config.backoff_max);
                        if Instant::now() + sleep >= deadline {
                            return Err(error);
                        }
                        std::thread::sleep(sleep);
                        backoff = (backoff * 2).min(self.config.backoff_max);
                        attempt += 1;
                        continue;
                    }
                }
            };
            return Err(error);
        }
    }

    fn follow_redirects(
        &self,
        request: &Request,
        allowed: Duration,
        usage: &mut Usage,
    ) -> Result<Response, (Error, Option<Duration>)> {
        let started = Instant::now();
        let mut current = request.clone();
        for _hop in 0..=self.config.max_redirects {
            let left = allowed.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err((
                    Error::Timeout {
                        url: current.url.clone(),
                        after: allowed,
                    },
                    None,
                ));
            }
            let response = self
                .exchange(&current, left, usage)
                .map_err(|e| (e, None))?;
            match response.status {
                200..=299 | 304 => return Ok(response),
                400..=499
                    if request.pass_client_errors && !matches!(response.status, 408 | 429) =>
                {
                    return Ok(response);
                }
                301 | 302 | 303 | 307 | 308 => {
                    let location = response.header("location").ok_or_else(|| {
                        (
                            Error::Redirect {
                                url: current.url.clone(),
                                reason: format!("HTTP {} without Location", response.status),
                            },
                            None,
                        )
                    })?;
                    let next = url::Url::parse(&current.url)
                        .and_then(|base| base.join(location))
                        .map_err(|e| {
                            (
                                Error::Redirect {
                                    url: current.url.clone(),
                                    reason: format!("bad Location `{location}`: {e}"),
                                },
                                None,
                            )
                        })?;
                    if !matches!(next.scheme(), "http" | "https") {
                        return Err((
                            Error::Redirect {
                                url: current.url.clone(),
                                reason: format!("Location `{next}` is not http(s)"),
                            },
                            None,
                        ));
                    }
                    // 301/302/303 turn a POST into a GET, as browsers do; 307/308 keep it.
                    if matches!(response.status, 301..=303) && current.method == Method::Post {
                        current.method = Method::Get;
                        current.body = None;
                        current
                            .headers
                            .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
                    }
                    current.url = next.into();
                }
                status => {
                    let retry_after = response
                        .header("retry-after")
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let excerpt: String = String::from_utf8_lossy(&response.body)
                        .chars()
                        .take(300)
                        .collect();
                    return Err((
                        Error::Status {
                            url: current.url,
                            status,
                            body_excerpt: excerpt.trim().to_owned(),
                        },
                        retry_after,
                    ));
                }
            }
        }
        Err((
            Error::Redirect {
                url: request.url.clone(),
                reason: format!("more than {} redirects", self.config.max_redirects),
            },
            None,
        ))
    }

    /// One HTTP exchange: one request, one response, body read in full.
    fn exchange(
        &self,
        request: &Request,
        allowed: Duration,
        usage: &mut Usage,
    ) -> Result<Response, Error> {
        let url = request.url.as_str();
        let sent = request_head_bytes(request, &self.config.user_agent)
            + request.body.as_ref().map_or(0, |b| b.len() as u64);
        self.account(
            usage,
            Usage {
                requests: 1,
                bytes_sent: sent,
                bytes_received: 0,
            },
        );
        let result = match request.method {
            Method::Get => {
                let mut builder = self.agent.get(url);
                for (name, value) in &request.headers {
                    builder = builder.header(name.as_str(), value.as_str());
                }
                builder
                    .config()
                    .timeout_global(Some(allowed))
                    .build()
                    .call()
            }
            Method::Post => {
                let mut builder = self.agent.post(url);
                for (name, value) in &request.headers {
                    builder = builder.header(name.as_str(), value.as_str());
                }
                builder
                    .config()
                    .timeout_global(Some(allowed))
                    .build()
                    .send(request.body.as_deref().unwrap_or_default())
            }
        };
        let mut response = result.map_err(|e| classify(e, url, allowed))?;
        let status = response.status().as_u16();
        let mut headers = Vec::with_capacity(response.headers().len());
        let mut head_bytes = 17; // "HTTP/1.1 200 OK\r\n" roughly, plus the final CRLF
        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            head_bytes += (name.as_str().len() + value.len() + 4) as u64;
            headers.push((name.as_str().to_owned(), value));
        }
        self.account(
            usage,
            Usage {
                requests: 0,
                bytes_sent: 0,
                bytes_received: head_bytes,
            },
        );
        let expected = response.body().content_length();
        let encoded = headers.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("content-encoding") && !v.eq_ignore_ascii_case("identity")
        });
        let limit = self.config.max_body_bytes;
        let mut body = Vec::new();
        let mut reader = response.body_mut().as_reader();
        let mut buffer = [0_u8; 16 * 1024];
        loop {
            match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    self.account(
                        usage,
                        Usage {
                            requests: 0,
                            bytes_sent: 0,
                            bytes_received: n as u64,
                        },
                    );
                    if body.len() as u64 + n as u64 > limit {
                        return Err(Error::TooLarge {
                            url: url.to_owned(),
                            limit,
                        });
                    }
                    #[expect(
                        clippy::indexing_slicing,
                        reason = "Read::read returns at most the buffer's length"
                    )]
                    body.extend_from_slice(&buffer[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let received = body.len() as u64;
                    return Err(match ureq::Error::from(e) {
                        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                            Error::Truncated {
                                url: url.to_owned(),
                                received,
                                expected,
                            }
                        }
                        ureq::Error::Protocol(p) => {
                            // A chunked body cut short shows up as a protocol error.
                            if received > 0 || expected.is_some() {
                                Error::Truncated {
                                    url: url.to_owned(),
                                    received,
                                    expected,
                                }
                            } else {
                                Error::Protocol {
                                    url: url.to_owned(),
                                    detail: p.to_string(),
                                }
                            }
                        }
                        other => classify(other, url, allowed),
                    });
                }
            }
        }
        if let Some(expected) = expected
            && !encoded
            && (body.len() as u64) < expected
        {
            return Err(Error::Truncated {
                url: url.to_owned(),
                received: body.len() as u64,
                expected: Some(expected),
            });
        }
        Ok(Response {
            status,
            url: url.to_owned(),
            headers,
            body,
        })
    }

    fn account(&self, usage: &mut Usage, delta: Usage) {
        *usage += delta;
        *self
            .total
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += delta;
    }
}

fn check_url(url: &str) -> Result<(), Error> {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            Ok(())
        }
        Ok(_) => Err(Error::InvalidUrl {
            url: url.to_owned(),
            reason: "not an http(s) URL with a host".to_owned(),
        }),
        Err(e) => Err(Error::InvalidUrl {
            url: url.to_owned(),
            reason: e.to_string(),
        }),
    }
}

/// Size of the request head as ureq writes it (request line, Host, our headers, the
/// User-Agent/Accept/Accept-Encoding it adds), close enough for accounting.
fn request_head_bytes(request: &Request, user_agent: &str) -> u64 {
    let (host, target) = url::Url::parse(&request.url).map_or((0, request.url.len()), |u| {
        let target = u.path().len() + u.query().map_or(0, |q| q.len() + 1);
        (
            u.host_str().map_or(0, str::len) + u.port().map_or(0, |_| 6),
            target,
        )
    });
    let mut bytes = request.method.as_str().len() + 1 + target + 11 + 8 + host;
    bytes += "user-agent: \r\n".len() + user_agent.len();
    bytes += "accept-encoding: gzip\r\n".len();
    if !request
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("accept"))
    {
        bytes += "accept: */*\r\n".len();
    }
    for (name, value) in &request.headers {
        bytes += name.len() + value.len() + 4;
    }
    if let Some(body) = &request.body {
        bytes += "content-length: \r\n".len() + body.len().to_string().len();
    }
    (bytes + 2) as u64
}

/// Maps a ureq failure to our error kinds.
fn classify(error: ureq::Error, url: &str, allowed: Duration) -> Error {
    let url = url.to_owned();
    match error {
        ureq::Error::HostNotFound => Error::Dns { url },
        ureq::Error::Timeout(_) => Error::Timeout {
            url,
            after: allowed,
        },
        ureq::Error::Tls(detail) => Error::Tls {
            url,
            detail: detail.to_owned(),
        },
        ureq::Error::Rustls(e) => Error::Tls {
            url,
            detail: e.to_string(),
        },
        ureq::Error::Pem(e) => Error::Tls {
            url,
            detail: e.to_string(),
        },
        ureq::Error::ConnectionFailed => Error::Connect {
            url,
            source: std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection failed"),
        },
        ureq::Error::BadUri(reason) => Error::InvalidUrl { url, reason },
        ureq::Error::Http(e) => Error::InvalidUrl {
            url,
            reason: e.to_string(),
        },
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => Error::Redirect {
            url,
            reason: "redirect refused".to_owned(),
        },
        ureq::Error::Protocol(e) => Error::Protocol {
            url,
            detail: e.to_string(),
        },
        ureq::Error::LargeResponseHeader(size, limit) => Error::Protocol {
            url,
            detail: format!("response head of {size} bytes exceeds {limit}"),
        },
        ureq::Error::Io(io) => classify_io(io, url, allowed),
        other => Error::Protocol {
            url,
            detail: other.to_string(),
        },
    }
}

fn classify_io(io: std::io::Error, url: String, allowed: Duration) -> Error {
    use std::io::ErrorKind as K;
    // A DNS failure inside the resolver surfaces as an I/O error on some platforms.
    let text = io.to_string();
    if text.contains("failed to lookup address") || text.contains("Name or service not known") {
        return Error::Dns { url };
    }
    match io.kind() {
        K::TimedOut | K::WouldBlock => Error::Timeout {
            url,
            after: allowed,
        },
        K::ConnectionRefused
        | K::ConnectionReset
        | K::ConnectionAborted
        | K::NotConnected
        | K::BrokenPipe
        | K::AddrNotAvailable
        | K::UnexpectedEof => Error::Connect { url, source: io },
        // rustls reports handshake and record-layer failures as InvalidData I/O errors.
        K::InvalidData if url.starts_with("https:") => {
            let detail = io
                .get_ref()
                .map_or_else(|| io.to_string(), |inner| format!("{inner:?}"));
            Error::Tls { url, detail }
        }
        _ => Error::Io { url, source: io },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_bytes_grow_with_headers() {
        let plain = Request::get("http://127.0.0.1:8080/sparql?query=x");
        let more = plain
            .clone()
            .header("Accept", "application/sparql-results+json");
        assert!(request_head_bytes(&more, "ua") > request_head_bytes(&plain, "ua"));
    }

    #[test]
    fn rejects_non_http_urls() {
        assert!(matches!(
            check_url("ftp://example.org/x"),
            Err(Error::InvalidUrl { .. })
        ));
        assert!(matches!(
            check_url("not a url"),
            Err(Error::InvalidUrl { .. })
        ));
        assert!(check_url("https://data.gov.cz/sparql").is_ok());
    }
}
