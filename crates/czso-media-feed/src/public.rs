//! The public listeners: HTTP/1.1 (hyper) on one single-threaded event loop per worker
//! thread, each with its own `SO_REUSEPORT` socket per address, like nginx's workers.
//!
//! A request is answered from what the maintenance loop prepared: the published documents
//! (body, gzip body, ETag and Last-Modified as ready header values), the access list and the
//! schedule (a document's gzip body is compressed once, for its first gzip request; only the
//! legacy answer for an unknown district is written per request). Nothing is written to disk
//! on the request path: access log lines go to an in-memory buffer that a writer thread
//! empties every `access_log_flush_secs` and once more on shutdown.

use crate::access::{self, Refusal};
use crate::error::{Error, Result};
use crate::feeds::{self, Document, FeedSet};
use crate::model::{Definition, ElectionKind};
use crate::phase::Phase;
use crate::server::{SOURCE_HEADER, SOURCE_HEADER_VALUE, Shared, channel_index};
use crate::store::Channel;
use crate::time::prague_local;
use axum::body::Bytes;
use chrono::Utc;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A response body held in memory: one frame, exact length known up front.
#[derive(Debug, Default)]
pub(crate) struct Payload(Option<Bytes>);

impl hyper::body::Body for Payload {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.get_mut().0.take().map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.as_ref().map_or(0, |b| b.len() as u64))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct LogBuffers {
    /// Pending lines per organisation (`None`: refused requests).
    pending: HashMap<Option<i64>, Vec<u8>>,
    /// The formatted second of `stamp`, so a line costs no date formatting.
    second: u64,
    stamp: String,
    closed: bool,
}

/// Access logs: lines are appended in memory on the request path and written by a
/// dedicated thread, so a request never waits for the disk. [`AccessLog::close`] writes
/// whatever is pending before it returns.
pub(crate) struct AccessLog {
    buffers: Mutex<LogBuffers>,
    wake: Condvar,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl AccessLog {
    /// Starts the writer thread for `dir`, writing every `interval`.
    pub(crate) fn start(dir: &Path, interval: Duration) -> Result<Arc<Self>> {
        let log = Arc::new(Self {
            buffers: Mutex::new(LogBuffers {
                pending: HashMap::new(),
                second: u64::MAX,
                stamp: String::new(),
                closed: false,
            }),
            wake: Condvar::new(),
            writer: Mutex::new(None),
        });
        let writer = Arc::clone(&log);
        let dir_owned = dir.to_path_buf();
        let handle = std::thread::Builder::new()
            .name("access-log".into())
            .spawn(move || writer.write_loop(&dir_owned, interval))
            .map_err(|e| Error::io(dir, e))?;
        *lock(&log.writer) = Some(handle);
        Ok(log)
    }

    /// Appends one line (`note`: the refusal code, or empty).
    #[allow(clippy::too_many_arguments)] // one flat log record
    pub(crate) fn record(
        &self,
        organisation: Option<i64>,
        client: IpAddr,
        method: &Method,
        uri: &str,
        status: u16,
        bytes: usize,
        note: &str,
    ) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let mut guard = lock(&self.buffers);
        let b = &mut *guard;
        if b.second != now.as_secs() {
            b.second = now.as_secs();
            b.stamp = chrono::DateTime::from_timestamp(i64::try_from(b.second).unwrap_or(0), 0)
                .unwrap_or_default()
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string();
        }
        let line = b.pending.entry(organisation).or_default();
        let _ = writeln!(
            line,
            "{}.{:03}Z {client} \"{method} {uri}\" {status} {bytes} {note}",
            b.stamp,
            now.subsec_millis()
        );
    }

    fn write_loop(&self, dir: &Path, interval: Duration) {
        let mut files: HashMap<Option<i64>, std::fs::File> = HashMap::new();
        loop {
            let (pending, closed) = {
                let mut b = lock(&self.buffers);
                b = self
                    .wake
                    .wait_timeout_while(b, interval, |b| !b.closed)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
                (std::mem::take(&mut b.pending), b.closed)
            };
            for (organisation, bytes) in pending {
                let file = files.entry(organisation).or_insert_with(|| {
                    let name: PathBuf = match organisation {
                        Some(id) => dir.join(format!("organisation-{id}.log")),
                        None => dir.join("refused.log"),
                    };
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&name)
                        .or_else(|e| {
                            tracing::error!("access log {}: {e}", name.display());
                            // A sink rather than losing the server over a log file.
                            std::fs::OpenOptions::new().write(true).open("/dev/null")
                        })
                        .expect("/dev/null can be opened")
                });
                if let Err(e) = file.write_all(&bytes) {
                    tracing::error!("access log of organisation {organisation:?}: {e}");
                }
            }
            if closed {
                return;
            }
        }
    }

    /// Writes everything recorded so far and stops the writer thread.
    pub(crate) fn close(&self) {
        lock(&self.buffers).closed = true;
        self.wake.notify_all();
        if let Some(h) = lock(&self.writer).take() {
            let _ = h.join();
        }
    }
}

/// Binds `count` listening sockets to `addr` sharing the port (`SO_REUSEPORT`: the kernel
/// spreads connections over them). A plain bind first makes sure nobody else holds the port
/// (another process's `SO_REUSEPORT` sockets would otherwise silently share it) and fixes
/// the port when `addr` asks for any.
pub(crate) fn bind_shared(addr: SocketAddr, count: usize) -> Result<Vec<std::net::TcpListener>> {
    let io = |e| Error::io(format!("listen {addr}"), e);
    let probe = std::net::TcpListener::bind(addr).map_err(io)?;
    let actual = probe.local_addr().map_err(io)?;
    drop(probe);
    let mut out = Vec::with_capacity(count);
    for i in 0..count.max(1) {
        #[cfg(unix)]
        {
            let _ = i;
            use socket2::{Domain, Protocol, Socket, Type};
            let socket = Socket::new(
                Domain::for_address(actual),
                Type::STREAM,
                Some(Protocol::TCP),
            )
            .map_err(io)?;
            socket.set_reuse_address(true).map_err(io)?;
            socket.set_reuse_port(true).map_err(io)?;
            socket.bind(&actual.into()).map_err(io)?;
            socket.listen(1024).map_err(io)?;
            socket.set_nonblocking(true).map_err(io)?;
            out.push(socket.into());
        }
        #[cfg(not(unix))]
        {
            let l = if i == 0 {
                std::net::TcpListener::bind(actual).map_err(io)?
            } else {
                out[0].try_clone().map_err(io)?
            };
            l.set_nonblocking(true).map_err(io)?;
            out.push(l);
        }
    }
    Ok(out)
}

/// Runs one worker: accepts on its listeners and serves connections until `quit`, then
/// lets open requests finish (at most 5 s) and returns.
pub(crate) fn run_worker(
    shared: Arc<Shared>,
    listeners: Vec<std::net::TcpListener>,
    quit: tokio::sync::watch::Receiver<bool>,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("tokio runtime", e))?;
    runtime.block_on(async move {
        // Every connection holds a sender; the worker waits for all of them to be dropped.
        let (open_tx, mut open_rx) = tokio::sync::mpsc::channel::<()>(1);
        for l in listeners {
            let listener =
                tokio::net::TcpListener::from_std(l).map_err(|e| Error::io("listener", e))?;
            let shared = Arc::clone(&shared);
            let mut quit = quit.clone();
            let open = open_tx.clone();
            tokio::spawn(async move {
                loop {
                    let accepted = tokio::select! {
                        a = listener.accept() => a,
                        () = quitting(&mut quit) => break,
                    };
                    match accepted {
                        Ok((stream, peer)) => {
                            let service = PublicService {
                                shared: Arc::clone(&shared),
                                peer,
                            };
                            tokio::spawn(serve_connection(
                                stream,
                                service,
                                quit.clone(),
                                open.clone(),
                            ));
                        }
                        // Out of file descriptors and the like: back off instead of spinning.
                        Err(e) => {
                            tracing::warn!("accept: {e}");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            });
        }
        drop(open_tx);
        let mut quit = quit;
        quitting(&mut quit).await;
        let _ = tokio::time::timeout(Duration::from_secs(6), open_rx.recv()).await;
        Ok(())
    })
}

/// Resolves once the server is told to stop (the guard `wait_for` returns is not `Send`,
/// so it is dropped here rather than held across a `select!`).
async fn quitting(quit: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = quit.wait_for(|v| *v).await;
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    service: PublicService,
    mut quit: tokio::sync::watch::Receiver<bool>,
    _open: tokio::sync::mpsc::Sender<()>,
) {
    // Responses are written whole; Nagle would only delay the last segment.
    let _ = stream.set_nodelay(true);
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .keep_alive(true)
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        () = quitting(&mut quit) => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
        }
    }
}

/// The per-connection service: the peer address and the shared state.
#[derive(Clone)]
pub(crate) struct PublicService {
    shared: Arc<Shared>,
    peer: SocketAddr,
}

impl hyper::service::Service<Request<Incoming>> for PublicService {
    type Response = Response<Payload>;
    type Error = Infallible;
    type Future = std::future::Ready<std::result::Result<Response<Payload>, Infallible>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        std::future::ready(Ok(handle(&self.shared, self.peer, &req)))
    }
}

const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const GZIP: HeaderValue = HeaderValue::from_static("gzip");
const ACCEPT_ENCODING: HeaderValue = HeaderValue::from_static("Accept-Encoding");
const SOURCE: HeaderValue = HeaderValue::from_static(SOURCE_HEADER_VALUE);

fn plain(status: StatusCode, text: &'static str) -> Response<Payload> {
    let mut r = Response::new(Payload(Some(Bytes::from_static(text.as_bytes()))));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, TEXT_PLAIN);
    r
}

fn refused(
    shared: &Shared,
    client: IpAddr,
    method: &Method,
    uri: &str,
    refusal: Refusal,
) -> Response<Payload> {
    shared
        .log
        .record(None, client, method, uri, 403, 0, refusal.code());
    plain(StatusCode::FORBIDDEN, refusal.message())
}

/// Answers one public request.
fn handle(shared: &Shared, peer: SocketAddr, req: &Request<Incoming>) -> Response<Payload> {
    let headers = req.headers();
    let method = req.method();
    let uri = req.uri();
    let uri_text = uri.path_and_query().map_or("/", |p| p.as_str());
    let xff = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let client = match access::client_address(peer.ip(), xff, &shared.trusted) {
        Ok(c) => c,
        Err(refusal) => {
            return refused(shared, peer.ip().to_canonical(), method, uri_text, refusal);
        }
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
            list.iter()
                .copied()
                .find(|&i| date.is_none_or(|d| *d == shared.elections[i].def.election_date))
        }),
        None => None,
    };
    let phase = match election {
        Some(i) => shared
            .schedule
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .phase_at(&shared.elections[i].def.id, Utc::now()),
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
    let finish = |resp: Response<Payload>, bytes: usize| {
        shared.log.record(
            Some(organisation),
            client,
            method,
            uri_text,
            resp.status().as_u16(),
            bytes,
            "",
        );
        resp
    };
    if method != Method::GET && method != Method::HEAD {
        let mut r = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "Povolen je pouze GET a HEAD (only GET and HEAD)",
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return finish(r, 0);
    }
    let not_found = || plain(StatusCode::NOT_FOUND, "Nenalezeno (not found)");
    let Some(ei) = election else {
        return finish(not_found(), 0);
    };
    let e = &shared.elections[ei];
    let channel = if phase == Phase::Test {
        Channel::Test
    } else {
        Channel::Live
    };
    if channel == Channel::Test && e.server_error_now() {
        // A rehearsal's injected fault: the test data set fails as a server may.
        return finish(
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Vnitřní chyba serveru (internal server error)",
            ),
            0,
        );
    }
    let set = Arc::clone(
        &e.feeds[channel_index(channel)]
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
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
    let (resp, bytes) = document_response(&doc, status, headers, method, &shared.cache_control);
    finish(resp, bytes)
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

fn accepts_gzip(req: &HeaderMap) -> bool {
    req.get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',').any(|p| {
                let mut it = p.split(';');
                it.next()
                    .is_some_and(|e| e.trim().eq_ignore_ascii_case("gzip"))
                    && !it.any(|q| {
                        let q = q.trim();
                        q.strip_prefix("q=")
                            .is_some_and(|v| v.trim().parse::<f32>().is_ok_and(|v| v == 0.0))
                    })
            })
        })
}

fn not_modified(doc: &Document, req: &HeaderMap) -> bool {
    if let Some(inm) = req.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        return inm.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == doc.etag
        });
    }
    req.get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ims| httpdate::parse_http_date(ims).ok())
        .is_some_and(|t| {
            let generated = SystemTime::from(doc.generated);
            // HTTP dates have whole seconds.
            generated
                .duration_since(t)
                .map_or(true, |d| d < Duration::from_secs(1))
        })
}

fn document_response(
    doc: &Document,
    status: StatusCode,
    req: &HeaderMap,
    method: &Method,
    cache_control: &HeaderValue,
) -> (Response<Payload>, usize) {
    let mut r = Response::new(Payload::default());
    let h = r.headers_mut();
    h.reserve(8);
    h.insert(header::ETAG, doc.etag_value.clone());
    h.insert(header::LAST_MODIFIED, doc.last_modified_value.clone());
    h.insert(header::CACHE_CONTROL, cache_control.clone());
    h.insert(header::VARY, ACCEPT_ENCODING);
    h.insert(HeaderName::from_static(SOURCE_HEADER), SOURCE);
    if status == StatusCode::OK && not_modified(doc, req) {
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        return (r, 0);
    }
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, doc.content_type.clone());
    let body = if accepts_gzip(req) {
        h.insert(header::CONTENT_ENCODING, GZIP);
        doc.gzip()
    } else {
        doc.body.clone()
    };
    let len = body.len();
    if *method == Method::HEAD {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    } else {
        *r.body_mut() = Payload(Some(body));
    }
    (r, len)
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

    #[test]
    fn gzip_negotiation() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            accepts_gzip(&h)
        };
        assert!(with("gzip, deflate"));
        assert!(with("br;q=1.0, GZIP;q=0.5"));
        assert!(!with("gzip;q=0"));
        assert!(!with("gzip; q=0.000"));
        assert!(!with("deflate"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
