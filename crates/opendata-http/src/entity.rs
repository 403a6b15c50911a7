//! [`Entity`]: a resource held in memory with its validators, answered per RFC 9110 —
//! conditional requests, gzip or identity with distinct entity tags, single byte ranges,
//! HEAD.

use crate::body::Full;
use crate::negotiate::{Coding, RangeRequest, byte_range, choose_coding};
use crate::response;
use crate::validators::{
    EntityTag, Precondition, Validators, evaluate, range_allowed, whole_seconds,
};
use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use sha2::{Digest, Sha256};
use std::io::Write as _;
use std::sync::OnceLock;
use std::time::SystemTime;

/// Bodies shorter than this are not worth compressing (the gzip frame alone is 20 bytes).
pub const MIN_GZIP_LEN: usize = 256;

/// Suffix of the gzip representation's entity tag: the two representations of one entity
/// must never share a strong validator (RFC 9110 §8.8.3).
const GZIP_TAG_SUFFIX: &str = "-gz";

const ACCEPT_ENCODING: HeaderValue = HeaderValue::from_static("Accept-Encoding");
const BYTES: HeaderValue = HeaderValue::from_static("bytes");
const GZIP: HeaderValue = HeaderValue::from_static("gzip");

/// One resource: its bytes, content type, modification time and strong validators, and —
/// for compressible types — a gzip representation made on first use.
///
/// The entity tag is the first 128 bits of the SHA-256 of the identity bytes in hex, so an
/// unchanged file rewritten keeps its tag; the gzip representation has the same tag with
/// `-gz` appended.
#[derive(Debug)]
pub struct Entity {
    identity: Bytes,
    gzip: Option<OnceLock<Bytes>>,
    /// The large representations' sendfile mirrors.
    #[cfg(target_os = "linux")]
    mirrors: crate::mirror::Mirrors,
    tag: Box<str>,
    /// The tag is weak (`W/"…"`): the representation is identified by its meaning, not its
    /// bytes (RFC 9110 §8.8.1).
    weak: bool,
    etag_identity: HeaderValue,
    etag_gzip: HeaderValue,
    last_modified: SystemTime,
    last_modified_value: HeaderValue,
    content_type: HeaderValue,
}

/// Whether a media type is text-like enough for gzip to pay.
pub fn compressible(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media.starts_with("text/")
        || media.ends_with("+json")
        || media.ends_with("+xml")
        || matches!(
            media.as_str(),
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/n-triples"
                | "application/n-quads"
                | "application/trig"
        )
}

impl Entity {
    /// An entity of `body`, modified at `last_modified` (kept in whole seconds, as HTTP dates
    /// carry them), of type `content_type`.
    pub fn new(
        body: impl Into<Bytes>,
        last_modified: SystemTime,
        content_type: HeaderValue,
    ) -> Self {
        let identity = body.into();
        let digest = Sha256::digest(&identity);
        #[expect(clippy::indexing_slicing, reason = "a SHA-256 digest has 32 bytes")]
        let tag = hex::encode(&digest[..16]);
        Self::tagged(identity, &tag, false, last_modified, content_type)
    }

    /// An entity whose tag the caller computes: `tag` (the opaque part, ASCII letters, digits
    /// and `-` only; anything else is dropped) and, with `weak`, a weak tag — for a
    /// representation that may change in bytes without changing in meaning, such as a
    /// document re-stamped with its generation time. Conditional requests compare it as RFC
    /// 9110 says (`If-None-Match` weakly, `If-Match` and `If-Range` strongly, so a weak tag
    /// never satisfies those two).
    pub fn with_tag(
        body: impl Into<Bytes>,
        tag: &str,
        weak: bool,
        last_modified: SystemTime,
        content_type: HeaderValue,
    ) -> Self {
        let tag: String = tag
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        Self::tagged(body.into(), &tag, weak, last_modified, content_type)
    }

    fn tagged(
        identity: Bytes,
        tag: &str,
        weak: bool,
        last_modified: SystemTime,
        content_type: HeaderValue,
    ) -> Self {
        let tag: Box<str> = tag.into();
        let header = |t: &str| {
            if weak {
                HeaderValue::from_str(&format!("W/\"{t}\""))
                    .unwrap_or(HeaderValue::from_static("W/\"\""))
            } else {
                crate::validators::etag_header(t)
            }
        };
        let gzip = (identity.len() >= MIN_GZIP_LEN
            && compressible(content_type.to_str().unwrap_or("")))
        .then(OnceLock::new);
        let last_modified = whole_seconds(last_modified);
        Self {
            etag_identity: header(&tag),
            etag_gzip: header(&format!("{tag}{GZIP_TAG_SUFFIX}")),
            tag,
            weak,
            identity,
            gzip,
            #[cfg(target_os = "linux")]
            mirrors: crate::mirror::Mirrors::default(),
            last_modified_value: HeaderValue::from_str(&httpdate::fmt_http_date(last_modified))
                .unwrap_or(HeaderValue::from_static("")),
            last_modified,
            content_type,
        }
    }

    /// An entity sent as it is, never compressed (e.g. a file as its publisher's server
    /// would send it).
    pub fn identity_only(
        body: impl Into<Bytes>,
        last_modified: SystemTime,
        content_type: HeaderValue,
    ) -> Self {
        Self {
            gzip: None,
            ..Self::new(body, last_modified, content_type)
        }
    }

    /// The identity bytes.
    pub fn body(&self) -> &Bytes {
        &self.identity
    }

    /// The gzip bytes (compressed on the first call), or `None` for a type not compressed.
    pub fn gzip_body(&self) -> Option<&Bytes> {
        let cell = self.gzip.as_ref()?;
        Some(cell.get_or_init(|| {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::new(6));
            // Writing into a Vec cannot fail.
            let _ = encoder.write_all(&self.identity);
            Bytes::from(encoder.finish().unwrap_or_default())
        }))
    }

    /// The identity representation's opaque tag (without quotes).
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// Whether the tag is weak.
    pub fn is_weak(&self) -> bool {
        self.weak
    }

    /// The identity representation's `ETag` value.
    pub fn etag(&self) -> &HeaderValue {
        &self.etag_identity
    }

    /// The modification time, in whole seconds.
    pub fn last_modified(&self) -> SystemTime {
        self.last_modified
    }

    /// The `Content-Type` value.
    pub fn content_type(&self) -> &HeaderValue {
        &self.content_type
    }

    /// Answers a GET or HEAD for this entity: 200, 206, 304, 412 or 416 with the
    /// representation the request accepts. Other methods are the caller's to refuse.
    pub fn respond(&self, method: &Method, headers: &HeaderMap) -> Response<Full> {
        self.answer(StatusCode::OK, method, headers)
    }

    /// Answers with `status` (e.g. a 404 whose body is a document), negotiating the coding
    /// but without preconditions or ranges, which apply to 200 answers only.
    pub fn respond_with_status(
        &self,
        status: StatusCode,
        method: &Method,
        headers: &HeaderMap,
    ) -> Response<Full> {
        self.answer(status, method, headers)
    }

    fn answer(&self, status: StatusCode, method: &Method, headers: &HeaderMap) -> Response<Full> {
        let gzip = match (&self.gzip, choose_coding(headers)) {
            (Some(_), Coding::Gzip) => self.gzip_body(),
            _ => None,
        };
        let (body, etag, suffix) = match gzip {
            Some(bytes) => (bytes, &self.etag_gzip, GZIP_TAG_SUFFIX),
            None => (&self.identity, &self.etag_identity, ""),
        };
        let mut response = Response::new(Full::empty());
        let h = response.headers_mut();
        h.reserve(9);
        h.insert(header::ETAG, etag.clone());
        h.insert(header::LAST_MODIFIED, self.last_modified_value.clone());
        if self.gzip.is_some() {
            h.insert(header::VARY, ACCEPT_ENCODING);
        }
        let mut range = RangeRequest::Full;
        if status == StatusCode::OK {
            let full_tag = if suffix.is_empty() {
                std::borrow::Cow::Borrowed(&*self.tag)
            } else {
                std::borrow::Cow::Owned(format!("{}{suffix}", self.tag))
            };
            let current_tag = EntityTag {
                weak: self.weak,
                tag: &full_tag,
            };
            let current = Validators {
                etag: &current_tag,
                last_modified: self.last_modified,
            };
            if has_preconditions(headers) {
                match evaluate(method, headers, current, SystemTime::now()) {
                    Precondition::Proceed => {}
                    Precondition::NotModified => {
                        *response.status_mut() = StatusCode::NOT_MODIFIED;
                        return response;
                    }
                    Precondition::Failed => {
                        let mut failed = response::text(
                            StatusCode::PRECONDITION_FAILED,
                            "precondition failed: the resource has changed",
                        );
                        failed.headers_mut().insert(header::ETAG, etag.clone());
                        return failed;
                    }
                }
            }
            response.headers_mut().insert(header::ACCEPT_RANGES, BYTES);
            if method == Method::GET
                && headers.contains_key(header::RANGE)
                && range_allowed(headers, current)
            {
                range = byte_range(headers, body.len() as u64);
            }
        }
        *response.status_mut() = status;
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, self.content_type.clone());
        if gzip.is_some() {
            h.insert(header::CONTENT_ENCODING, GZIP);
        }
        let len = body.len() as u64;
        let sent = match range {
            RangeRequest::Full => body.clone(),
            RangeRequest::Partial { start, end } => {
                *response.status_mut() = StatusCode::PARTIAL_CONTENT;
                if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
                    response.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                // start <= end < len, both fit in usize as they index `body`.
                body.slice(start as usize..=end as usize)
            }
            RangeRequest::Unsatisfiable => {
                let mut refused = response::text(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "the range lies beyond the end of the representation",
                );
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                    refused.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                let etag_value = response.headers().get(header::ETAG).cloned();
                if let Some(v) = etag_value {
                    refused.headers_mut().insert(header::ETAG, v);
                }
                return refused;
            }
        };
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(sent.len()));
        if method != Method::HEAD {
            #[cfg(target_os = "linux")]
            self.mirrors.note_answer(usize::from(gzip.is_some()), body);
            *response.body_mut() = Full::new(sent);
        }
        response
    }
}

/// Whether any precondition field is present (most requests have none: skip the work).
fn has_preconditions(headers: &HeaderMap) -> bool {
    headers.contains_key(header::IF_NONE_MATCH)
        || headers.contains_key(header::IF_MODIFIED_SINCE)
        || headers.contains_key(header::IF_MATCH)
        || headers.contains_key(header::IF_UNMODIFIED_SINCE)
}
