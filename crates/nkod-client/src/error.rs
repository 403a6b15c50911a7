//! Errors. Transport failures (DNS, TLS, timeout, connection, truncated body) are kept apart from
//! HTTP status errors and from protocol/syntax problems in what the server sent.

use std::time::Duration;

/// Everything that can go wrong talking to NKOD or downloading a distribution.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL is not an absolute http(s) URL.
    #[error("invalid URL `{}`: {reason}", shown(.url))]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The host name does not resolve.
    #[error("cannot resolve the host of {}", shown(.url))]
    Dns {
        /// The URL requested.
        url: String,
    },
    /// The TLS handshake or TLS record layer failed (bad certificate, not TLS, …).
    #[error("TLS failure talking to {}: {detail}", shown(.url))]
    Tls {
        /// The URL requested.
        url: String,
        /// The TLS library's message.
        detail: String,
    },
    /// The request (connect, send, headers or body) took longer than allowed.
    #[error("request to {} timed out after {after:?}", shown(.url))]
    Timeout {
        /// The URL requested.
        url: String,
        /// The time allowed for that attempt.
        after: Duration,
    },
    /// The TCP connection failed or broke (refused, reset) before a response head arrived.
    #[error("connection to {} failed: {source}", shown(.url))]
    Connect {
        /// The URL requested.
        url: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The server answered with a status that is not success (nor 304 on a conditional GET).
    #[error("{} answered HTTP {status}{}", shown(.url), excerpt_suffix(.body_excerpt))]
    Status {
        /// The URL requested.
        url: String,
        /// HTTP status code.
        status: u16,
        /// The beginning of the response body, to help diagnose.
        body_excerpt: String,
    },
    /// The body ended before the length the server announced.
    #[error("body of {} ended after {received} bytes{}", shown(.url), expected_suffix(*.expected))]
    Truncated {
        /// The URL requested.
        url: String,
        /// Bytes received before the body ended.
        received: u64,
        /// `Content-Length`, when the server sent one.
        expected: Option<u64>,
    },
    /// The body is larger than the configured limit.
    #[error("body of {} exceeds the limit of {limit} bytes", shown(.url))]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// More redirects than allowed, or a redirect without a usable `Location`.
    #[error("redirect problem at {}: {reason}", shown(.url))]
    Redirect {
        /// The URL that redirected.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The server broke the HTTP protocol.
    #[error("HTTP protocol error from {}: {detail}", shown(.url))]
    Protocol {
        /// The URL requested.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// Another I/O failure while talking to the server.
    #[error("I/O error talking to {}: {source}", shown(.url))]
    Io {
        /// The URL requested.
        url: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A SPARQL result document could not be parsed or has the wrong shape.
    #[error("bad SPARQL results from {}: {detail}", shown(.url))]
    SparqlResults {
        /// The endpoint URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// An RDF document (a TPF fragment) could not be parsed.
    #[error("bad RDF from {}: {detail}", shown(.url))]
    Rdf {
        /// The fragment URL.
        url: String,
        /// Parser message with position.
        detail: String,
    },
    /// A TPF fragment lacks the Hydra controls a client needs (search template, mappings).
    #[error("TPF fragment {} lacks Hydra controls: {detail}", shown(.url))]
    Hydra {
        /// The fragment URL.
        url: String,
        /// What is missing.
        detail: String,
    },
    /// The GraphQL server returned `errors`.
    #[error("GraphQL server {} returned errors: {}", shown(.url), .messages.join("; "))]
    GraphQl {
        /// The endpoint URL.
        url: String,
        /// The `message` of each error.
        messages: Vec<String>,
    },
    /// A GraphQL response is not JSON or has the wrong shape.
    #[error("bad GraphQL response from {}: {detail}", shown(.url))]
    GraphQlResponse {
        /// The endpoint URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// A response with an unexpected media type.
    #[error("{} answered with media type `{media_type}`, expected {expected}", shown(.url))]
    MediaType {
        /// The URL requested.
        url: String,
        /// The `Content-Type` received.
        media_type: String,
        /// What was acceptable.
        expected: String,
    },
}

/// The URL as an error message shows it: a long query string (a SPARQL query is often 2 KB,
/// percent-encoded) is left out, so the message names the endpoint and stays readable; the
/// whole URL is still in the error's `url` field ([`Error::url`]).
fn shown(url: &str) -> String {
    const LONGEST_QUERY_SHOWN: usize = 80;
    match url.split_once('?') {
        Some((endpoint, query)) if query.len() > LONGEST_QUERY_SHOWN => {
            format!("{endpoint} (query of {} bytes not shown)", query.len())
        }
        _ => url.to_owned(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_query_is_left_out_of_the_message_but_kept_in_the_error() {
        let url = format!(
            "http://127.0.0.1:9/sparql?query={}",
            "SELECT%20".repeat(300)
        );
        let error = Error::Connect {
            url: url.clone(),
            source: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        };
        let message = error.to_string();
        assert!(
            message.starts_with(
                "connection to http://127.0.0.1:9/sparql (query of 2706 bytes not shown) failed"
            ),
            "{message}"
        );
        assert!(message.len() < 200, "{message}");
        assert_eq!(error.url(), url);
    }

    #[test]
    fn a_short_query_is_shown() {
        let error = Error::Dns {
            url: "https://example.cz/ldf?subject=x".to_owned(),
        };
        assert_eq!(
            error.to_string(),
            "cannot resolve the host of https://example.cz/ldf?subject=x"
        );
    }
}
