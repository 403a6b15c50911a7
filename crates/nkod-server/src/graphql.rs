//! `/graphql`: the NKOD GraphQL schema subset.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::http_util::text_error;
use crate::server::AppState;
use crate::snapshot::Snapshot;

#[derive(Debug)]
pub(crate) struct GraphqlCatalog;

impl GraphqlCatalog {
    pub(crate) fn build(_snapshot: &Snapshot) -> Self {
        GraphqlCatalog
    }
}

pub(crate) async fn handle_get(State(_state): State<Arc<AppState>>) -> Response {
    text_error(StatusCode::NOT_IMPLEMENTED, "GraphQL is being built")
}

pub(crate) async fn handle_post(State(_state): State<Arc<AppState>>) -> Response {
    text_error(StatusCode::NOT_IMPLEMENTED, "GraphQL is being built")
}
