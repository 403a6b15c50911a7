//! `/ldf/nkod-ldf`: Triple Pattern Fragments shaped like @ldf/server 3.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::http_util::text_error;
use crate::server::AppState;

/// Triples per fragment page, as in @ldf/server.
pub const TPF_PAGE_SIZE: usize = 100;

pub(crate) async fn handle(State(_state): State<Arc<AppState>>) -> Response {
    text_error(StatusCode::NOT_IMPLEMENTED, "TPF is being built")
}
