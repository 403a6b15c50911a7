//! Distribution downloads: conditional GET, SHA-256 of the body, size limit, redirects and
//! retries (all in the shared HTTP layer), and the request/byte cost of each fetch.

use crate::http::{Http, HttpConfig, Request};
use crate::{Error, Measured, Usage};
use sha2::{Digest, Sha256};

/// What is known about a previous download, to ask the server whether it changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Validators {
    /// `ETag` of the previous response (sent as `If-None-Match`).
    pub etag: Option<String>,
    /// `Last-Modified` of the previous response (sent as `If-Modified-Since`).
    pub last_modified: Option<String>,
    /// SHA-256 (lower-case hex) of the previous body, to tell a changed body from a server
    /// that ignores conditional requests.
    pub sha256: Option<String>,
}

/// A body that was downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// The URL that served it, after redirects.
    pub final_url: String,
    /// The body as received (after `Content-Encoding` decoding).
    pub body: Vec<u8>,
    /// `Content-Type` header.
    pub content_type: Option<String>,
    /// Validators to keep for the next conditional GET (`sha256` always set).
    pub validators: Validators,
}

impl Download {
    /// SHA-256 of the body, lower-case hex.
    #[must_use]
    pub fn sha256(&self) -> &str {
        self.validators.sha256.as_deref().unwrap_or_default()
    }

    /// `Last-Modified` as a time, when the server sent a valid one.
    #[must_use]
    pub fn last_modified(&self) -> Option<std::time::SystemTime> {
        self.validators
            .last_modified
            .as_deref()
            .and_then(|v| httpdate::parse_http_date(v).ok())
    }
}

/// The outcome of a (conditional) fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// `304 Not Modified`: no body was transferred.
    NotModified {
        /// The validators sent, updated with any the 304 carried.
        validators: Validators,
    },
    /// A body came, but its SHA-256 equals the previous one (the server ignored the
    /// conditional headers, or the validators changed without the content).
    Unchanged(Download),
    /// A new or changed body.
    Changed(Download),
}

impl Fetched {
    /// Whether the content differs from the previous download.
    #[must_use]
    pub fn is_changed(&self) -> bool {
        matches!(self, Self::Changed(_))
    }

    /// The validators to store for next time.
    #[must_use]
    pub fn validators(&self) -> &Validators {
        match self {
            Self::NotModified { validators } => validators,
            Self::Unchanged(d) | Self::Changed(d) => &d.validators,
        }
    }
}

/// Downloads distribution files.
#[derive(Debug)]
pub struct Downloader {
    http: Http,
}

impl Downloader {
    /// A downloader with these limits (size limit, timeouts, retries, redirects).
    #[must_use]
    pub fn new(config: HttpConfig) -> Self {
        Self {
            http: Http::new(config),
        }
    }

    /// The limits in force.
    #[must_use]
    pub fn config(&self) -> &HttpConfig {
        self.http.config()
    }

    /// Everything this downloader has used since it was made.
    #[must_use]
    pub fn total_usage(&self) -> Usage {
        self.http.total()
    }

    /// GETs `url`; with `previous`, conditionally (`If-None-Match`, `If-Modified-Since`).
    pub fn fetch(
        &self,
        url: &str,
        previous: Option<&Validators>,
    ) -> Result<Measured<Fetched>, Error> {
        let mut request = Request::get(url.to_owned()).header("Accept", "*/*");
        if let Some(previous) = previous {
            if let Some(etag) = &previous.etag {
                request = request.header("If-None-Match", etag.clone());
            }
            if let Some(last_modified) = &previous.last_modified {
                request = request.header("If-Modified-Since", last_modified.clone());
            }
        }
        let mut usage = Usage::default();
        let response = self.http.send(&request, &mut usage)?;
        let etag = response.header("etag").map(str::to_owned);
        let last_modified = response.header("last-modified").map(str::to_owned);
        if response.status == 304 {
            let mut validators = previous.cloned().unwrap_or_default();
            validators.etag = etag.or(validators.etag);
            validators.last_modified = last_modified.or(validators.last_modified);
            return Ok(Measured {
                value: Fetched::NotModified { validators },
                usage,
            });
        }
        let sha256 = hex::encode(Sha256::digest(&response.body));
        let unchanged = previous.and_then(|p| p.sha256.as_deref()) == Some(sha256.as_str());
        let download = Download {
            final_url: response.url.clone(),
            content_type: response.header("content-type").map(str::to_owned),
            validators: Validators {
                etag,
                last_modified,
                sha256: Some(sha256),
            },
            body: response.body,
        };
        let value = if unchanged {
            Fetched::Unchanged(download)
        } else {
            Fetched::Changed(download)
        };
        Ok(Measured { value, usage })
    }
}
