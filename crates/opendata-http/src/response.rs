//! Plain responses every server sends alike: one-line text errors, 405 with `Allow`,
//! redirects, JSON.

use crate::body::Full;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};

/// `text/plain; charset=utf-8`.
pub const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");

/// A plain-text answer: `message` and a line break, `text/plain; charset=utf-8`, never
/// sniffed as anything else.
pub fn text(status: StatusCode, message: impl Into<String>) -> Response<Full> {
    let mut message = message.into();
    if !message.ends_with('\n') {
        message.push('\n');
    }
    with_body(status, Bytes::from(message))
}

/// [`text`] for a message known at compile time, which must end with a line break (the
/// hot refusal paths answer without allocating).
pub fn text_static(status: StatusCode, message: &'static str) -> Response<Full> {
    debug_assert!(message.ends_with('\n'), "{message:?} lacks its line break");
    with_body(status, Bytes::from_static(message.as_bytes()))
}

fn with_body(status: StatusCode, body: Bytes) -> Response<Full> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, TEXT_PLAIN);
    h.insert(header::X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    response
}

/// `405 Method Not Allowed` naming the methods allowed (`"GET, HEAD"`).
pub fn method_not_allowed(allow: &'static str, message: &'static str) -> Response<Full> {
    let mut response = text_static(StatusCode::METHOD_NOT_ALLOWED, message);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// A redirect (`301`, `302`, …) to `location`; a location that is not a valid header value
/// is a 400 instead.
pub fn redirect(status: StatusCode, location: &str) -> Response<Full> {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let mut response = text(status, format!("moved to {location}"));
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        Err(_) => text(
            StatusCode::BAD_REQUEST,
            "the redirect target is not a valid URL",
        ),
    }
}

/// A JSON document answer, never cached.
pub fn json(status: StatusCode, body: String) -> Response<Full> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
