//! `/soubory/`: the distribution files, read on every request and answered by the shared HTTP
//! layer (ETag from the content, Last-Modified, 304/412, single byte ranges, HEAD), sent as
//! they are — no compression, as a publisher's plain web server would.
//!
//! The path is decoded segment by segment and refused if any segment could leave the
//! directory, and symbolic links are followed only while they stay inside it
//! ([`opendata_http::files`]).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use opendata_http::{Entity, files};

use crate::http_util::text_error;
use crate::server::AppState;

pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Some(dir) = state.files_dir.clone() else {
        return text_error(
            StatusCode::NOT_FOUND,
            "this server serves no distribution files",
        );
    };
    let raw = uri.path().strip_prefix("/soubory").unwrap_or("");
    let segments = match files::segments(raw) {
        Ok(segments) if !segments.is_empty() => segments,
        Ok(_) => return text_error(StatusCode::NOT_FOUND, "no distribution file named"),
        Err(e) => {
            return text_error(
                StatusCode::NOT_FOUND,
                format!("no distribution file {raw:?}: {e}"),
            );
        }
    };
    let name = segments.join("/");
    // Read on every request (no cache): a test may change a file while the server runs.
    let read = tokio::task::spawn_blocking(move || -> std::io::Result<Option<Entity>> {
        let Some(found) = files::resolve(&dir, &segments)? else {
            return Ok(None);
        };
        if !found.metadata.is_file() {
            return Ok(None);
        }
        let bytes = std::fs::read(&found.path)?;
        let file_name = segments.last().map_or("", String::as_str);
        Ok(Some(Entity::identity_only(
            bytes,
            found.metadata.modified()?,
            files::content_type(file_name, false),
        )))
    })
    .await;
    match read {
        Ok(Ok(Some(entity))) => entity
            .respond(&method, &headers)
            .map(axum::body::Body::new)
            .into_response(),
        Ok(Ok(None)) => text_error(
            StatusCode::NOT_FOUND,
            format!("no distribution file {name:?}"),
        ),
        Ok(Err(e)) => text_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot read distribution file {name:?}: {e}"),
        ),
        Err(e) => text_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("file task failed: {e}"),
        ),
    }
}
