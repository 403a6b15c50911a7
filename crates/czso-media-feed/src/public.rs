//! The public listeners' requests, served by the shared HTTP layer ([`opendata_http`]: one
//! event loop and `SO_REUSEPORT` socket per worker, timeouts, connection limit, shutdown
//! deadline; documents answered as [`opendata_http::Entity`]).
//!
//! A request is answered from what the maintenance loop prepared: the published documents
//! (body, gzip body, ETag and Last-Modified as ready header values), the access list and the
//! schedule (a document's gzip body is compressed once, for its first gzip request; only the
//! legacy answer for an unknown district is written per request). Nothing is written to disk
//! on the request path: access log lines go to the bounded in-memory logs of
//! [`crate::logs`], written by their own thread.

use crate::access::{self, Refusal};
use crate::events::{self, EVENTS_PATH, EventLogRef, EventStream, PublicBody, RETRY_MS, Start};
use crate::feeds::{self, Document, FeedSet};
use crate::manifest::{MANIFEST_JSON, MANIFEST_XML};
use crate::model::{Definition, ElectionKind};
use crate::phase::Phase;
use crate::server::{Answer, ElectionState, Freshness, SOURCE_HEADER, SOURCE_HEADER_VALUE, Shared};
use crate::store::Channel;
use crate::time::prague_local;
use chrono::Utc;
use opendata_http::Bytes;
use opendata_http::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use opendata_http::http::{Method, Request, Response, StatusCode};
use opendata_http::server::Incoming;
use opendata_http::{Full, response};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The public request handler: every answer comes from what the maintenance loop prepared.
pub(crate) struct PublicHandler {
    pub(crate) shared: Arc<Shared>,
}

impl opendata_http::Handler for PublicHandler {
    type Body = PublicBody;
    type Future = std::future::Ready<Response<PublicBody>>;

    fn call(&self, request: Request<Incoming>, peer: SocketAddr) -> Self::Future {
        std::future::ready(handle(&self.shared, peer, &request))
    }
}

const SOURCE: HeaderValue = HeaderValue::from_static(SOURCE_HEADER_VALUE);

fn refused(
    shared: &Shared,
    client: IpAddr,
    method: &Method,
    uri: &str,
    refusal: Refusal,
) -> Response<PublicBody> {
    shared
        .log
        .record(None, client, method, uri, 403, 0, refusal.code());
    response::text_static(StatusCode::FORBIDDEN, refusal.message()).map(PublicBody::from)
}

/// Answers one public request.
fn handle(shared: &Arc<Shared>, peer: SocketAddr, req: &Request<Incoming>) -> Response<PublicBody> {
    let headers = req.headers();
    let method = req.method();
    let uri = req.uri();
    let uri_text = uri.path_and_query().map_or("/", |p| p.as_str());
    let Ok(client) = opendata_http::forwarded::client_address(peer.ip(), headers, &shared.trusted)
    else {
        return refused(
            shared,
            peer.ip().to_canonical(),
            method,
            uri_text,
            Refusal::BadForwardedFor,
        );
    };
    let target = route(uri.path());
    let params = query_params(uri.query());
    let election = match &target {
        Some(Target::Static { election, .. }) => shared.by_id.get(*election).copied(),
        Some(Target::Legacy { slug, .. }) => shared.by_legacy.get(*slug).and_then(|list| {
            let date = params
                .iter()
                .find(|(k, _)| k == "datum_voleb" || k == "datumvoleb")
                .map(|(_, v)| v);
            list.iter().copied().find(|&i| {
                date.is_none_or(|d| {
                    shared
                        .elections
                        .get(i)
                        .is_some_and(|e| *d == e.def.election_date)
                })
            })
        }),
        None => None,
    };
    let election = election.and_then(|i| shared.elections.get(i));
    let phase = match election {
        Some(e) => shared
            .schedule
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .phase_at(&e.def.id, Utc::now()),
        // Unknown URL: registered addresses learn it does not exist, others are refused.
        None => Phase::Test,
    };
    let organisation = {
        let list = shared
            .access
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match access::decide(&list, client, phase) {
            Ok(g) => g.organisation,
            Err(refusal) => {
                drop(list);
                return refused(shared, client, method, uri_text, refusal);
            }
        }
    };
    let finish = |resp: Response<Full>, bytes: usize| {
        shared.log.record(
            Some(organisation),
            client,
            method,
            uri_text,
            resp.status().as_u16(),
            bytes,
            "",
        );
        resp.map(PublicBody::from)
    };
    if method != Method::GET && method != Method::HEAD {
        let r = response::method_not_allowed(
            "GET, HEAD",
            "Povolen je pouze GET a HEAD (only GET and HEAD)\n",
        );
        return finish(r, 0);
    }
    let not_found = || response::text_static(StatusCode::NOT_FOUND, "Nenalezeno (not found)\n");
    let Some(e) = election else {
        return finish(not_found(), 0);
    };
    let channel = if phase == Phase::Test {
        Channel::Test
    } else {
        Channel::Live
    };
    if channel == Channel::Test && e.server_error_now() {
        // A rehearsal's injected fault: the test data set fails as a server may.
        return finish(
            response::text_static(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Vnitřní chyba serveru (internal server error)\n",
            ),
            0,
        );
    }
    let set = e.published(channel);
    if let Some(Target::Static {
        path: EVENTS_PATH, ..
    }) = target
    {
        shared.log.record(
            Some(organisation),
            client,
            method,
            uri_text,
            200,
            0,
            "events",
        );
        return event_stream(shared, e, channel, client, method, headers, &set);
    }
    let (doc, status) = match target {
        Some(Target::Static { path, .. }) => match set.docs.get(path) {
            Some(d) => (Some(Arc::clone(d)), StatusCode::OK),
            None if is_batch_path(path) => (set.not_yet.clone(), StatusCode::NOT_FOUND),
            None => (None, StatusCode::NOT_FOUND),
        },
        Some(Target::Legacy { feed, .. }) => legacy(&e.def, &set, feed, &params),
        None => (None, StatusCode::NOT_FOUND),
    };
    let Some(doc) = doc else {
        return finish(not_found(), 0);
    };
    let answer = if set.not_yet.as_ref().is_some_and(|n| Arc::ptr_eq(n, &doc)) {
        Answer::NotYet
    } else if moves_at_cuts(target.as_ref(), &params) {
        Answer::LatestBatch
    } else if doc.weak {
        Answer::Regenerated
    } else {
        Answer::Batch
    };
    let freshness = shared.freshness(channel, answer);
    let (resp, bytes) = document_response(&doc, status, headers, method, &freshness);
    finish(resp, bytes)
}

/// Whether the request names what changes with each cut: the latest batch (rather than a
/// numbered one) or the batch manifest.
fn moves_at_cuts(target: Option<&Target<'_>>, params: &[(String, &str)]) -> bool {
    match target {
        Some(Target::Static { path, .. }) => {
            path.ends_with("okrsky/vysledky_okrsky.xml")
                || *path == MANIFEST_XML
                || *path == MANIFEST_JSON
        }
        Some(Target::Legacy { feed, .. }) => {
            *feed == "vysledky_okrsky" && param(params, "davka").is_none_or(str::is_empty)
        }
        None => false,
    }
}

/// The event stream of election `e`'s data set `channel` for `client` (see [`crate::events`]).
fn event_stream(
    shared: &Arc<Shared>,
    e: &Arc<ElectionState>,
    channel: Channel,
    client: IpAddr,
    method: &Method,
    headers: &HeaderMap,
    set: &FeedSet,
) -> Response<PublicBody> {
    let mut response = Response::new(PublicBody::from(Full::empty()));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // nginx in front must pass events on at once.
    h.insert(
        HeaderName::from_static("x-accel-buffering"),
        HeaderValue::from_static("no"),
    );
    h.insert(HeaderName::from_static(SOURCE_HEADER), SOURCE);
    if method == Method::HEAD {
        return response;
    }
    let log = e.events(channel);
    let last = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let (start, rx) = log.subscribe(last);
    let mut first = vec![Bytes::from(format!(
        "retry: {RETRY_MS}\n: {} {}\n\n",
        e.def.id,
        channel.as_str()
    ))];
    match start {
        Start::Resume(missed) => first.extend(missed.iter().map(|ev| log.frame(ev))),
        Start::Fresh => first.push(Bytes::from(format!(
            "event: stav\ndata: {}\n\n",
            events::state_data(&e.def.id, set)
        ))),
    }
    let still = {
        let shared = Arc::clone(shared);
        let id = e.def.id.clone();
        Box::new(move || {
            let phase = shared
                .schedule
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .phase_at(&id, Utc::now());
            let same_data_set = match phase {
                Phase::Test => channel == Channel::Test,
                Phase::Live => channel == Channel::Live,
                Phase::Closed => false,
            };
            same_data_set
                && access::decide(
                    &shared
                        .access
                        .read()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                    client,
                    phase,
                )
                .is_ok()
        })
    };
    *response.body_mut() = PublicBody::Events(EventStream::new(
        Arc::new(EventLogRef {
            election: Arc::clone(e),
            channel,
        }),
        first,
        rx,
        shared.event_keepalive(),
        shared.streams_end(),
        still,
    ));
    response
}

/// Which document a public URL asks for.
#[derive(Debug, PartialEq, Eq)]
enum Target<'a> {
    /// A static path below `odata/`.
    Static { election: &'a str, path: &'a str },
    /// A legacy `/pls/{slug}/{feed}` query.
    Legacy { slug: &'a str, feed: &'a str },
}

fn route(path: &str) -> Option<Target<'_>> {
    if let Some(rest) = path.strip_prefix("/appdata/") {
        let (election, path) = rest.split_once("/odata/")?;
        return Some(Target::Static { election, path });
    }
    if let Some(rest) = path.strip_prefix("/pls/") {
        let (slug, feed) = rest.split_once('/')?;
        return Some(Target::Legacy { slug, feed });
    }
    None
}

/// Query parameters, names lower-cased (a few at most: a list beats a map).
fn query_params(q: Option<&str>) -> Vec<(String, &str)> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.to_ascii_lowercase(), v)
        })
        .collect()
}

fn param<'a>(params: &'a [(String, &'a str)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
}

fn is_batch_path(path: &str) -> bool {
    let file = path.strip_prefix("kolo2/").unwrap_or(path);
    file.strip_prefix("okrsky/vysledky_okrsky_")
        .and_then(|r| r.strip_suffix(".xml"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        || file == "okrsky/vysledky_okrsky.xml"
}

fn legacy(
    def: &Definition,
    set: &FeedSet,
    feed: &str,
    params: &[(String, &str)],
) -> (Option<Arc<Document>>, StatusCode) {
    match feed {
        "vysledky" | "vysledky_kandid" | "vysledky_krajmesta" | "vysledky_zahranici" => {
            match set.docs.get(&format!("{feed}.xml")) {
                Some(d) => (Some(Arc::clone(d)), StatusCode::OK),
                None => (None, StatusCode::NOT_FOUND),
            }
        }
        "vysledky_okres" => {
            let nuts = param(params, "nuts").unwrap_or("");
            match set.docs.get(&format!("okresy/vysledky_okres_{nuts}.xml")) {
                Some(d) => (Some(Arc::clone(d)), StatusCode::OK),
                None if matches!(def.kind, ElectionKind::Ps | ElectionKind::Kz) => {
                    let now = set.generated.unwrap_or_else(Utc::now);
                    let body = feeds::write_okres_error(
                        def.kind,
                        &prague_local(now),
                        &format!(
                            "Neznámý okres (NUTS) '{}'",
                            nuts.chars().take(20).collect::<String>()
                        ),
                    );
                    (Some(Arc::new(Document::new(body, now))), StatusCode::OK)
                }
                None => (None, StatusCode::NOT_FOUND),
            }
        }
        "vysledky_obec" => {
            let code = param(params, "cislo_obce").unwrap_or("");
            match set.docs.get(&format!("zastup/vysledky_obec_{code}.xml")) {
                Some(d) => (Some(Arc::clone(d)), StatusCode::OK),
                None => (None, StatusCode::NOT_FOUND),
            }
        }
        "vysledky_okrsky" => {
            let round = param(params, "kolo")
                .and_then(|k| k.parse::<u8>().ok())
                .unwrap_or(1);
            let doc = match param(params, "davka") {
                None | Some("") => set.latest_batch(round),
                Some(n) => n.parse::<u32>().ok().and_then(|n| set.batch(round, n)),
            };
            // The legacy server answered "not yet" with 200 and CHYBA 10.
            (doc.cloned().or_else(|| set.not_yet.clone()), StatusCode::OK)
        }
        _ => (None, StatusCode::NOT_FOUND),
    }
}

/// The document's answer (the shared layer's conditional requests, coding, ranges and
/// HEAD; preconditions and ranges only for a 200) with the feed's own headers; and the body
/// size for the log.
fn document_response(
    doc: &Document,
    status: StatusCode,
    req: &HeaderMap,
    method: &Method,
    freshness: &Freshness,
) -> (Response<Full>, usize) {
    let mut r = if status == StatusCode::OK {
        doc.entity.respond(method, req)
    } else {
        doc.entity.respond_with_status(status, method, req)
    };
    let bytes = r
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, freshness.cache_control.clone());
    if let Some(v) = &freshness.retry_after {
        h.insert(header::RETRY_AFTER, v.clone());
    }
    h.insert(HeaderName::from_static(SOURCE_HEADER), SOURCE);
    (r, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route("/appdata/senat/20261009/odata/vysledky.xml"),
            Some(Target::Static {
                election: "senat/20261009",
                path: "vysledky.xml"
            })
        );
        assert_eq!(
            route("/pls/ps2021/vysledky_okres"),
            Some(Target::Legacy {
                slug: "ps2021",
                feed: "vysledky_okres"
            })
        );
        assert_eq!(route("/"), None);
        assert!(is_batch_path("okrsky/vysledky_okrsky_00042.xml"));
        assert!(is_batch_path("kolo2/okrsky/vysledky_okrsky.xml"));
        assert!(!is_batch_path("okrsky/vysledky_okrsky_x.xml"));
    }
}
