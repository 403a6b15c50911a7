//! Errors. Transport failures (DNS, TLS, timeout, connection, truncated body) are kept apart from
//! HTTP status errors and from protocol/syntax problems in what the server sent.

use std::time::Duration;

/// Everything that can go wrong talking to NKOD or downloading a distribution.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL is not an absolute http(s) URL.
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The host name does not resolve.
    #[error("cannot resolve the host of {url}")]
    Dns {
        /// The URL requested.
        url: String,
    },
    /// The TLS handshake or TLS record layer failed (bad certificate, not TLS, …).
    #[error("TLS failure talking to {url}: {detail}")]
    Tls {
        /// The URL requested.
        url: String,
        /// The TLS library's message.
        detail: String,
    },
    /// The request (connect, send, headers or body) took longer than allowed.
    #[error("request to {url} timed out after {after:?}")]
    Timeout {
        /// The URL requested.
        url: String,
        /// The time allowed for that attempt.
        after: Duration,
    },
    /// The TCP connection failed or broke (refused, reset) before a response head arrived.
    #[error("connection to {url} failed: {source}")]
    Connect {
        /// The URL requested.
        url: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The server answered with a status that is not success (nor 304 on a conditional GET).
    #[error("{url} answered HTTP {status}{}", excerpt_suffix(.body_excerpt))]
    Status {
        /// The URL requested.
        url: String,
        /// HTTP status code.
        status: u16,
        /// The beginning of the response body, to help diagnose.
        body_excerpt: String,
    },
    /// The body ended before the length the server announced.
    #[error("body of {url} ended after {received} bytes{}", expected_suffix(*.expected))]
    Truncated {
        /// The URL requested.
        url: String,
        /// Bytes received before the body ended.
        received: u64,
        /// `Content-Length`, when the server sent one.
        expected: Option<u64>,
    },
    /// The body is larger than the configured limit.
    #[error("body of {url} exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// More redirects than allowed, or a redirect without a usable `Location`.
    #[error("redirect problem at {url}: {reason}")]
    Redirect {
        /// The URL that redirected.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The server broke the HTTP protocol.
    #[error("HTTP protocol error from {url}: {detail}")]
    Protocol {
        /// The URL requested.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// Another I/O failure while talking to the server.
    #[error("I/O error talking to {url}: {source}")]
    Io {
        /// The URL requested.
        url: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A SPARQL result document could not be parsed or has the wrong shape.
    #[error("bad SPARQL results from {url}: {detail}")]
    SparqlResults {
        /// The endpoint URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// An RDF document (a TPF fragment) could not be parsed.
    #[error("bad RDF from {url}: {detail}")]
    Rdf {
        /// The fragment URL.
        url: String,
        /// Parser message with position.
        detail: String,
    },
    /// A TPF fragment lacks the Hydra controls a client needs (search template, mappings).
    #[error("TPF fragment {url} lacks Hydra controls: {detail}")]
    Hydra {
        /// The fragment URL.
        url: String,
        /// What is missing.
        detail: String,
    },
    /// The GraphQL server returned `errors`.
    #[error("GraphQL server {url} returned errors: {}", .messages.join("; "))]
    GraphQl {
        /// The endpoint URL.
        url: String,
        /// The `message` of each error.
        messages: Vec<String>,
    },
    /// A GraphQL response is not JSON or has the wrong shape.
    #[error("bad GraphQL response from {url}: {detail}")]
    GraphQlResponse {
        /// The endpoint URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// A response with an unexpected media type.
    #[error("{url} answered with media type `{media_type}`, expected {expected}")]
    MediaType {
        /// The URL requested.
        url: String,
        /// The `Content-Type` received.
        media_type: String,
        /// What was acceptable.
        expected: String,
    },
}

fn excerpt_suffix(excerpt: &str) -> String {
    if excerpt.is_empty() {
        String::new()
    } else {
        format!(": {excerpt}")
    }
}

fn expected_suffix(expected: Option<u64>) -> String {
    expected.map_or_else(String::new, |n| format!(" of the {n} announced"))
}

impl Error {
    /// Whether trying again may help: timeouts, broken connections, truncated bodies and the
    /// statuses 408, 429, 500, 502, 503 and 504.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::Connect { .. } | Self::Truncated { .. } => true,
            Self::Status { status, .. } => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// The URL the failed request went to, when there is one.
    #[must_use]
    pub fn url(&self) -> &str {
        match self {
            Self::InvalidUrl { url, .. }
            | Self::Dns { url }
            | Self::Tls { url, .. }
            | Self::Timeout { url, .. }
            | Self::Connect { url, .. }
            | Self::Status { url, .. }
            | Self::Truncated { url, .. }
            | Self::TooLarge { url, .. }
            | Self::Redirect { url, .. }
            | Self::Protocol { url, .. }
            | Self::Io { url, .. }
            | Self::SparqlResults { url, .. }
            | Self::Rdf { url, .. }
            | Self::Hydra { url, .. }
            | Self::GraphQl { url, .. }
            | Self::GraphQlResponse { url, .. }
            | Self::MediaType { url, .. } => url,
        }
    }
}
