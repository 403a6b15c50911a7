//! Plain-text error responses. (Media type negotiation is opendata-http's `negotiate`.)

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A plain-text error response naming the request problem (the shared layer's one-line text
/// answer).
pub(crate) fn text_error(status: StatusCode, message: impl Into<String>) -> Response {
    opendata_http::response::text(status, message)
        .map(axum::body::Body::new)
        .into_response()
}
