//! The server: HTTP/1.1 (hyper) on one single-threaded event loop per worker thread, each
//! with its own `SO_REUSEPORT` socket per address, like nginx's workers — with the limits a
//! public server needs:
//!
//! - **header read timeout**: a new connection must deliver its first request head within
//!   [`Limits::header_read_timeout`] of the accept, and a later request its head within that
//!   time of its first byte (idle new connections, slowloris);
//! - **idle timeout**: a keep-alive connection between requests is closed after
//!   [`Limits::idle_timeout`];
//! - **stalled transfers**: while a request is in progress, a connection on which nothing is
//!   read or written for [`Limits::idle_timeout`] is closed (a client that stops reading);
//! - **connection limit**: beyond [`Limits::max_connections`] (by default the process's file
//!   limit less a reserve) the longest-idle keep-alive connection of the worker (else a new one
//!   silent for a second) is closed to make room, like nginx does, and when none is idle the
//!   new connection gets a `503` and is closed;
//! - **graceful shutdown with a deadline**: on stop, listeners close at once, idle connections
//!   close, requests in progress may finish until [`Limits::shutdown_deadline`], and whatever
//!   is left is then cut.

use crate::body::Full;
use bytes::Bytes;
use http::{Request, Response};
pub use hyper::body::Incoming;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{Notify, watch};

/// A boxed error, as hyper takes it from bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Timeouts and limits of a server.
#[derive(Debug, Clone)]
pub struct Limits {
    /// How long a request head may take: the first from the accept, later ones from their
    /// first byte.
    pub header_read_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request, and a transfer in
    /// progress may make no progress.
    pub idle_timeout: Duration,
    /// Open connections beyond which new ones are refused; `None`: the process's soft limit
    /// of open files less [`FD_RESERVE`].
    pub max_connections: Option<usize>,
    /// How long requests in progress may take to finish once the server is stopped.
    pub shutdown_deadline: Duration,
    /// Largest request head accepted (bytes); a larger one gets `431`.
    pub max_head_bytes: usize,
}

/// File descriptors kept free for everything but connections (listeners, files being
/// served, the database, logs).
pub const FD_RESERVE: usize = 64;

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: None,
            shutdown_deadline: Duration::from_secs(5),
            max_head_bytes: 16 * 1024,
        }
    }
}

impl Limits {
    /// The connection limit in force: the configured one, or the file limit less the reserve.
    pub fn connection_limit(&self) -> usize {
        self.max_connections.unwrap_or_else(|| {
            open_file_limit()
                .map_or(1024, |n| usize::try_from(n).unwrap_or(usize::MAX))
                .saturating_sub(FD_RESERVE)
                .max(16)
        })
    }
}

/// The limits as a configuration file gives them (`[http]` in TOML); every key optional.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// [`Limits::header_read_timeout`] in seconds.
    pub header_timeout_secs: f64,
    /// [`Limits::idle_timeout`] in seconds.
    pub idle_timeout_secs: f64,
    /// [`Limits::shutdown_deadline`] in seconds.
    pub shutdown_deadline_secs: f64,
    /// [`Limits::max_connections`]; 0: the file limit less the reserve.
    pub max_connections: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            header_timeout_secs: limits.header_read_timeout.as_secs_f64(),
            idle_timeout_secs: limits.idle_timeout.as_secs_f64(),
            shutdown_deadline_secs: limits.shutdown_deadline.as_secs_f64(),
            max_connections: 0,
        }
    }
}

impl HttpSettings {
    /// The limits, or which setting is unusable.
    pub fn limits(&self) -> Result<Limits, String> {
        let seconds = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 && v <= 86_400.0 {
                Ok(Duration::from_secs_f64(v))
            } else {
                Err(format!(
                    "http.{name} must be a number of seconds above 0 and at most 86400"
                ))
            }
        };
        Ok(Limits {
            header_read_timeout: seconds("header_timeout_secs", self.header_timeout_secs)?,
            idle_timeout: seconds("idle_timeout_secs", self.idle_timeout_secs)?,
            shutdown_deadline: seconds("shutdown_deadline_secs", self.shutdown_deadline_secs)?,
            max_connections: (self.max_connections > 0).then_some(self.max_connections),
            ..Limits::default()
        })
    }
}

/// The soft limit on open files of this process (`/proc/self/limits`), if known.
pub fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line.split_whitespace().nth(3)?;
    if soft == "unlimited" {
        return Some(u64::MAX);
    }
    soft.parse().ok()
}

/// How a server listens.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Addresses to listen on (port 0 picks a free port, the same for every worker).
    pub listen: Vec<SocketAddr>,
    /// Event-loop threads; 0: one per CPU core.
    pub workers: usize,
    /// Timeouts and limits.
    pub limits: Limits,
    /// Prefix of the worker threads' names.
    pub name: String,
}

impl ServerConfig {
    /// One address, one worker per core, default limits.
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen: vec![listen],
            workers: 0,
            limits: Limits::default(),
            name: "http".into(),
        }
    }
}

/// The peer address of a request's connection, as a request extension (for routers such
/// as axum: `Extension<Peer>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub SocketAddr);

/// Answers requests. Implemented by the servers' own request handlers, by [`handler_fn`]
/// closures and, through [`TowerHandler`], by tower services such as an axum `Router`.
pub trait Handler: Send + Sync + 'static {
    /// The response body.
    type Body: http_body::Body<Data = Bytes, Error: Into<BoxError>> + Send + Unpin + 'static;
    /// The answer in progress.
    type Future: Future<Output = Response<Self::Body>> + Send + Unpin + 'static;
    /// Answers one request from `peer`.
    fn call(&self, request: Request<Incoming>, peer: SocketAddr) -> Self::Future;
}

/// A [`Handler`] from a closure returning a future.
#[derive(Debug, Clone)]
pub struct HandlerFn<F>(F);

/// Makes a [`Handler`] of `f(request, peer)`.
pub fn handler_fn<F, Fut, B>(f: F) -> HandlerFn<F>
where
    F: Fn(Request<Incoming>, SocketAddr) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<B>> + Send + Unpin + 'static,
    B: http_body::Body<Data = Bytes, Error: Into<BoxError>> + Send + Unpin + 'static,
{
    HandlerFn(f)
}

impl<F, Fut, B> Handler for HandlerFn<F>
where
    F: Fn(Request<Incoming>, SocketAddr) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<B>> + Send + Unpin + 'static,
    B: http_body::Body<Data = Bytes, Error: Into<BoxError>> + Send + Unpin + 'static,
{
    type Body = B;
    type Future = Fut;
    fn call(&self, request: Request<Incoming>, peer: SocketAddr) -> Fut {
        (self.0)(request, peer)
    }
}

/// A [`Handler`] over a tower service (an axum `Router`): the peer goes into the request's
/// extensions as [`Peer`].
#[derive(Debug, Clone)]
pub struct TowerHandler<S>(pub S);

impl<S, B> Handler for TowerHandler<S>
where
    S: tower::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send,
    B: http_body::Body<Data = Bytes, Error: Into<BoxError>> + Send + Unpin + 'static,
{
    type Body = B;
    type Future = Pin<Box<dyn Future<Output = Response<B>> + Send>>;

    fn call(&self, mut request: Request<Incoming>, peer: SocketAddr) -> Self::Future {
        request.extensions_mut().insert(Peer(peer));
        let mut service = self.0.clone();
        Box::pin(async move {
            let ready = std::future::poll_fn(|cx| service.poll_ready(cx)).await;
            let Ok(()) = ready;
            let Ok(response) = service.call(request).await;
            response
        })
    }
}

/// Counters of a running server.
#[derive(Debug, Default)]
pub struct Stats {
    open: AtomicUsize,
    accepted: AtomicU64,
    refused: AtomicU64,
    evicted: AtomicU64,
    timed_out: AtomicU64,
    sent_from_mirrors: AtomicU64,
}

impl Stats {
    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
    /// Connections accepted so far (refused ones included).
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }
    /// Connections refused with 503 at the connection limit.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
    /// Idle connections closed to make room at the connection limit.
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }
    /// Connections closed by a timeout (idle, header, stalled transfer).
    pub fn timed_out(&self) -> u64 {
        self.timed_out.load(Ordering::Relaxed)
    }
    /// Body bytes sent with `sendfile(2)` from their mirrors rather than copied (Linux; large
    /// [`Entity`](crate::Entity) bodies).
    pub fn sent_from_mirrors(&self) -> u64 {
        self.sent_from_mirrors.load(Ordering::Relaxed)
    }
}

/// A server running on its worker threads. Dropping it stops it (see [`RunningServer::stop`]).
#[derive(Debug)]
pub struct RunningServer {
    addrs: Vec<SocketAddr>,
    quit: Arc<watch::Sender<bool>>,
    workers: Vec<std::thread::JoinHandle<()>>,
    stats: Arc<Stats>,
}

/// Stops a running server from anywhere (another thread, a signal handler task).
#[derive(Debug, Clone)]
pub struct ShutdownHandle(Arc<watch::Sender<bool>>);

impl ShutdownHandle {
    /// Starts the graceful shutdown; returns at once.
    pub fn shutdown(&self) {
        let _ = self.0.send(true);
    }
}

impl RunningServer {
    /// The bound addresses, in the order of [`ServerConfig::listen`].
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// The first bound address.
    #[expect(
        clippy::indexing_slicing,
        reason = "bind() refuses a configuration without an address"
    )]
    pub fn addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// The server's counters.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// A handle that starts the shutdown.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(Arc::clone(&self.quit))
    }

    /// Stops: listeners close at once, idle connections close, requests in progress finish
    /// within the shutdown deadline; returns when every worker has stopped.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    /// Waits until the server is stopped through a [`ShutdownHandle`].
    pub fn wait(mut self) {
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }

    /// Serves until the process gets SIGTERM or SIGINT, then stops as [`RunningServer::stop`].
    pub fn run_until_signal(self) -> std::io::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(shutdown_signal())?;
        self.stop();
        Ok(())
    }

    fn stop_inner(&mut self) {
        let _ = self.quit.send(true);
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// Completes on SIGTERM or SIGINT (Ctrl-C), logging which.
pub async fn shutdown_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: stopping"),
        _ = int.recv() => tracing::info!("SIGINT: stopping"),
    }
    Ok(())
}

/// Binds `count` listening sockets to `addr` sharing the port (`SO_REUSEPORT`: the kernel
/// spreads connections over them). A plain bind first makes sure nobody else holds the port
/// (another process's `SO_REUSEPORT` sockets would otherwise silently share it) and fixes the
/// port when `addr` asks for any.
fn bind_shared(addr: SocketAddr, count: usize) -> std::io::Result<Vec<std::net::TcpListener>> {
    use socket2::{Domain, Protocol, Socket, Type};
    let probe = std::net::TcpListener::bind(addr)?;
    let actual = probe.local_addr()?;
    drop(probe);
    let mut out = Vec::with_capacity(count);
    for _ in 0..count.max(1) {
        let socket = Socket::new(
            Domain::for_address(actual),
            Type::STREAM,
            Some(Protocol::TCP),
        )?;
        socket.set_reuse_address(true)?;
        socket.set_reuse_port(true)?;
        if actual.is_ipv6() {
            socket.set_only_v6(true)?;
        }
        socket.bind(&actual.into())?;
        socket.listen(4096)?;
        socket.set_nonblocking(true)?;
        out.push(socket.into());
    }
    Ok(out)
}

/// Binds every address and starts the workers: [`bind`] then [`Bound::serve`].
pub fn start<H: Handler>(config: &ServerConfig, handler: H) -> std::io::Result<RunningServer> {
    bind(config)?.serve(handler)
}

/// Sockets bound and listening, not yet served: the addresses are known (a port 0 resolved)
/// before the handler is made, for handlers that need them (a base URL, allowed `Host`
/// values). Connections wait in the backlog until [`Bound::serve`].
#[derive(Debug)]
pub struct Bound {
    addrs: Vec<SocketAddr>,
    per_worker: Vec<Vec<std::net::TcpListener>>,
    limits: Limits,
    name: String,
}

/// Binds every address of `config`, one `SO_REUSEPORT` socket per worker. Errors (a port in
/// use, a bad address) come back here, before anything is served.
pub fn bind(config: &ServerConfig) -> std::io::Result<Bound> {
    let workers = if config.workers == 0 {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        config.workers
    };
    let mut addrs = Vec::new();
    let mut per_worker: Vec<Vec<std::net::TcpListener>> =
        (0..workers).map(|_| Vec::new()).collect();
    for addr in &config.listen {
        let sockets = bind_shared(*addr, workers)
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
        if let Some(first) = sockets.first() {
            addrs.push(first.local_addr()?);
        }
        // One socket per worker, in the workers' order.
        for (listeners, socket) in per_worker.iter_mut().zip(sockets) {
            listeners.push(socket);
        }
    }
    if addrs.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "no address to listen on",
        ));
    }
    Ok(Bound {
        addrs,
        per_worker,
        limits: config.limits.clone(),
        name: config.name.clone(),
    })
}

impl Bound {
    /// The bound addresses, in the order of [`ServerConfig::listen`].
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Starts the workers serving `handler`.
    pub fn serve<H: Handler>(self, handler: H) -> std::io::Result<RunningServer> {
        let handler = Arc::new(handler);
        let (quit, quit_rx) = watch::channel(false);
        let shared = Arc::new(ServerShared {
            max_connections: self.limits.connection_limit(),
            limits: self.limits,
            stats: Arc::new(Stats::default()),
            refusing: Arc::new(AtomicUsize::new(0)),
            accept_error_logged: AtomicU64::new(u64::MAX),
        });
        let mut threads = Vec::with_capacity(self.per_worker.len());
        for (w, listeners) in self.per_worker.into_iter().enumerate() {
            let handler = Arc::clone(&handler);
            let shared = Arc::clone(&shared);
            let quit_rx = quit_rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("{}-{w}", self.name))
                .spawn(move || {
                    if let Err(e) = run_worker(&handler, &shared, listeners, quit_rx) {
                        tracing::error!("HTTP worker {w}: {e}");
                    }
                });
            match spawned {
                Ok(thread) => threads.push(thread),
                Err(e) => {
                    let _ = quit.send(true);
                    for t in threads {
                        let _ = t.join();
                    }
                    return Err(e);
                }
            }
        }
        Ok(RunningServer {
            addrs: self.addrs,
            stats: Arc::clone(&shared.stats),
            quit: Arc::new(quit),
            workers: threads,
        })
    }
}

struct ServerShared {
    limits: Limits,
    max_connections: usize,
    stats: Arc<Stats>,
    /// Refused connections still being told so (each holds a descriptor for a moment).
    refusing: Arc<AtomicUsize>,
    /// The second of the last logged accept error (they come in bursts).
    accept_error_logged: AtomicU64,
}

/// The connections of one worker, so idle ones can be closed to make room.
#[derive(Default)]
struct Registry {
    next: u64,
    connections: HashMap<u64, Arc<Tracker>>,
}

impl Registry {
    /// Asks the longest-idle connection to close: a keep-alive connection between requests,
    /// else a new one that has sent nothing for a second; `false` if none is idle.
    fn evict_idle(&mut self) -> bool {
        let now = now_ms();
        let oldest = self
            .connections
            .values()
            .filter(|t| !t.evicting.load(Ordering::Relaxed))
            .filter_map(|t| match t.load() {
                (Phase::Waiting, since) => Some(((0, since), t)),
                (Phase::Fresh, since) if now.saturating_sub(since) >= 1000 => Some(((1, since), t)),
                _ => None,
            })
            .min_by_key(|(key, _)| *key);
        match oldest {
            Some((_, tracker)) => {
                tracker.evicting.store(true, Ordering::Relaxed);
                tracker.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn run_worker<H: Handler>(
    handler: &Arc<H>,
    shared: &Arc<ServerShared>,
    listeners: Vec<std::net::TcpListener>,
    quit: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let registry = Arc::new(Mutex::new(Registry::default()));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        // The watchdog below enforces the header and idle timeouts.
        .header_read_timeout(None)
        .keep_alive(true)
        .max_buf_size(shared.limits.max_head_bytes.max(8192));
    let builder = Arc::new(builder);
    let result = runtime.block_on(async {
        // Every connection holds a sender; the worker waits for all of them to be dropped.
        let (open_tx, mut open_rx) = tokio::sync::mpsc::channel::<()>(1);
        for listener in listeners {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            let accept = AcceptLoop {
                listener,
                handler: Arc::clone(handler),
                shared: Arc::clone(shared),
                registry: Arc::clone(&registry),
                builder: Arc::clone(&builder),
                quit: quit.clone(),
                open: open_tx.clone(),
            };
            tokio::spawn(accept.run());
        }
        drop(open_tx);
        let mut quit = quit;
        quitting(&mut quit).await;
        let _ = tokio::time::timeout(shared.limits.shutdown_deadline, open_rx.recv()).await;
        Ok::<(), std::io::Error>(())
    });
    // Whatever is still running after the deadline is cut; blocking tasks get a moment.
    runtime.shutdown_timeout(Duration::from_millis(100));
    result
}

/// Resolves once the server is told to stop (the guard `wait_for` returns is not `Send`, so
/// it is dropped here rather than held across a `select!`).
async fn quitting(quit: &mut watch::Receiver<bool>) {
    let _ = quit.wait_for(|stop| *stop).await;
}

struct AcceptLoop<H> {
    listener: tokio::net::TcpListener,
    handler: Arc<H>,
    shared: Arc<ServerShared>,
    registry: Arc<Mutex<Registry>>,
    builder: Arc<hyper::server::conn::http1::Builder>,
    quit: watch::Receiver<bool>,
    open: tokio::sync::mpsc::Sender<()>,
}

/// What a refused connection reads before it is closed.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 46\r\nRetry-After: 5\r\nConnection: close\r\n\r\nthe server has too many connections open now\r\n";

impl<H: Handler> AcceptLoop<H> {
    async fn run(mut self) {
        let stats = Arc::clone(&self.shared.stats);
        loop {
            let accepted = tokio::select! {
                a = self.listener.accept() => a,
                () = quitting(&mut self.quit) => break,
            };
            match accepted {
                Ok((stream, peer)) => {
                    stats.accepted.fetch_add(1, Ordering::Relaxed);
                    let open = stats.open.fetch_add(1, Ordering::Relaxed) + 1;
                    if open > self.shared.max_connections {
                        if lock(&self.registry).evict_idle() {
                            stats.evicted.fetch_add(1, Ordering::Relaxed);
                        } else {
                            stats.open.fetch_sub(1, Ordering::Relaxed);
                            stats.refused.fetch_add(1, Ordering::Relaxed);
                            // Telling holds a descriptor for a moment: only a few at a
                            // time, the rest are closed at once.
                            let refusing = Arc::clone(&self.shared.refusing);
                            if refusing.fetch_add(1, Ordering::Relaxed) < FD_RESERVE / 2 {
                                tokio::spawn(async move {
                                    refuse(stream).await;
                                    refusing.fetch_sub(1, Ordering::Relaxed);
                                });
                            } else {
                                refusing.fetch_sub(1, Ordering::Relaxed);
                            }
                            continue;
                        }
                    }
                    let _ = stream.set_nodelay(true);
                    let tracker = Arc::new(Tracker::new());
                    let id = {
                        let mut registry = lock(&self.registry);
                        registry.next += 1;
                        let id = registry.next;
                        registry.connections.insert(id, Arc::clone(&tracker));
                        id
                    };
                    let guard = ConnectionGuard {
                        registry: Arc::clone(&self.registry),
                        stats: Arc::clone(&stats),
                        id,
                        _open: self.open.clone(),
                    };
                    tokio::spawn(serve_connection(
                        stream,
                        peer,
                        Arc::clone(&self.handler),
                        Arc::clone(&self.builder),
                        tracker,
                        self.shared.limits.clone(),
                        self.quit.clone(),
                        guard,
                    ));
                }
                Err(e) => {
                    // Out of file descriptors and the like: make room, back off, go on.
                    if lock(&self.registry).evict_idle() {
                        stats.evicted.fetch_add(1, Ordering::Relaxed);
                    }
                    let second = now_ms() / 1000;
                    if self
                        .shared
                        .accept_error_logged
                        .swap(second, Ordering::Relaxed)
                        != second
                    {
                        tracing::warn!("accept: {e}");
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }
}

/// Tells a connection beyond the limit why it is closed, without reading its request: the
/// answer is written, the sending side shut, and whatever the client sent drained for a
/// moment so the close does not reset the connection before the answer is read.
async fn refuse(mut stream: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        stream.write_all(REFUSAL).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<(), std::io::Error>(())
    })
    .await;
}

/// Unregisters a connection and counts it closed, however its task ends.
struct ConnectionGuard {
    registry: Arc<Mutex<Registry>>,
    stats: Arc<Stats>,
    id: u64,
    _open: tokio::sync::mpsc::Sender<()>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        lock(&self.registry).connections.remove(&self.id);
        self.stats.open.fetch_sub(1, Ordering::Relaxed);
    }
}

#[allow(clippy::too_many_arguments)] // one connection's whole context
async fn serve_connection<H: Handler>(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    handler: Arc<H>,
    builder: Arc<hyper::server::conn::http1::Builder>,
    tracker: Arc<Tracker>,
    limits: Limits,
    mut quit: watch::Receiver<bool>,
    guard: ConnectionGuard,
) {
    let io = hyper_util::rt::TokioIo::new(TrackedStream {
        inner: stream,
        tracker: Arc::clone(&tracker),
        stats: Arc::clone(&guard.stats),
    });
    let service = ConnectionService {
        handler,
        peer,
        tracker: Arc::clone(&tracker),
    };
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        () = watchdog(&tracker, &limits) => {
            guard.stats.timed_out.fetch_add(1, Ordering::Relaxed);
            return;
        }
        () = tracker.evict.notified() => conn.as_mut().graceful_shutdown(),
        () = quitting(&mut quit) => conn.as_mut().graceful_shutdown(),
    }
    // Closing: an idle connection ends at once, a request in progress may finish while it
    // makes progress (the worker's shutdown deadline bounds the rest).
    tokio::select! {
        _ = conn.as_mut() => {}
        () = watchdog(&tracker, &limits) => {
            guard.stats.timed_out.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// What a connection is doing, for its timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Just accepted: its first request head must be complete within the header timeout
    /// from the accept (an idle new connection is the cheapest attack there is).
    Fresh,
    /// A keep-alive connection between requests: waiting for the next one's first byte.
    Waiting,
    /// A request head is arriving.
    Head,
    /// A request is being answered.
    Busy,
}

/// Milliseconds since the first call in this process (a monotonic clock).
fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    u64::try_from(START.get_or_init(Instant::now).elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// One connection's phase and the instants its timeouts run from. The socket, the service
/// and the response body update it; the watchdog reads it.
#[derive(Debug)]
struct Tracker {
    /// Phase in the two top bits, the millisecond it began in the others.
    state: AtomicU64,
    /// Millisecond of the last byte read or written.
    last_io: AtomicU64,
    evict: Notify,
    evicting: std::sync::atomic::AtomicBool,
}

const PHASE_SHIFT: u32 = 62;
const TIME_MASK: u64 = (1 << PHASE_SHIFT) - 1;

impl Tracker {
    fn new() -> Self {
        let now = now_ms();
        Self {
            // Phase bits 0: Fresh.
            state: AtomicU64::new(now & TIME_MASK),
            last_io: AtomicU64::new(now),
            evict: Notify::new(),
            evicting: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn load(&self) -> (Phase, u64) {
        let v = self.state.load(Ordering::Relaxed);
        let phase = match v >> PHASE_SHIFT {
            0 => Phase::Fresh,
            1 => Phase::Waiting,
            2 => Phase::Head,
            _ => Phase::Busy,
        };
        (phase, v & TIME_MASK)
    }

    fn set(&self, phase: Phase, at: u64) {
        let bits = match phase {
            Phase::Fresh => 0,
            Phase::Waiting => 1,
            Phase::Head => 2,
            Phase::Busy => 3,
        };
        self.state
            .store((bits << PHASE_SHIFT) | (at & TIME_MASK), Ordering::Relaxed);
    }

    fn read_some(&self) {
        let now = now_ms();
        self.last_io.store(now, Ordering::Relaxed);
        match self.load() {
            (Phase::Waiting, _) => self.set(Phase::Head, now),
            // The first head's time runs from the accept.
            (Phase::Fresh, since) => self.set(Phase::Head, since),
            _ => {}
        }
    }

    fn wrote_some(&self) {
        self.last_io.store(now_ms(), Ordering::Relaxed);
    }
}

/// Completes when the connection has overrun the timeout of its phase.
async fn watchdog(tracker: &Tracker, limits: &Limits) {
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    loop {
        let (phase, since) = tracker.load();
        let deadline = match phase {
            Phase::Waiting => since.saturating_add(ms(limits.idle_timeout)),
            Phase::Fresh | Phase::Head => since.saturating_add(ms(limits.header_read_timeout)),
            Phase::Busy => tracker
                .last_io
                .load(Ordering::Relaxed)
                .saturating_add(ms(limits.idle_timeout)),
        };
        let now = now_ms();
        if now >= deadline {
            tracing::debug!("closing a connection: {phase:?} for too long");
            return;
        }
        tokio::time::sleep(Duration::from_millis(deadline - now)).await;
    }
}

/// The socket, noting reads and writes for the tracker. Body slices that lie in a
/// [`mirror`](crate::mirror) go out with `sendfile(2)`; everything else is written as given.
struct TrackedStream {
    inner: tokio::net::TcpStream,
    tracker: Arc<Tracker>,
    stats: Arc<Stats>,
}

impl AsyncRead for TrackedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.tracker.read_some();
        }
        polled
    }
}

impl TrackedStream {
    /// Writes a prefix of `bufs`: up to the first slice in a mirror, or that slice from its
    /// mirror when it comes first.
    #[cfg(target_os = "linux")]
    fn write_slices(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let first_mirrored = bufs
            .iter()
            .enumerate()
            .find_map(|(i, buf)| crate::mirror::find(buf).map(|found| (i, found, buf.len())));
        let Some((i, found, len)) = first_mirrored else {
            return Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        };
        let head = bufs.get(..i).unwrap_or_default();
        if head.iter().all(|buf| buf.is_empty()) {
            return self.send_mirrored(cx, &found, len);
        }
        // The head goes out corked, so it shares segments with the body after it;
        // MSG_NOSIGNAL as std's own `send` uses.
        self.poll_raw(cx, |socket| {
            rustix::net::sendmsg(
                socket,
                head,
                &mut rustix::net::SendAncillaryBuffer::default(),
                rustix::net::SendFlags::MORE | rustix::net::SendFlags::NOSIGNAL,
            )
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn write_slices(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    #[cfg(target_os = "linux")]
    fn send_mirrored(
        &mut self,
        cx: &mut Context<'_>,
        found: &crate::mirror::Found,
        len: usize,
    ) -> Poll<std::io::Result<usize>> {
        let polled = self.poll_raw(cx, |socket| {
            let mut offset = found.offset;
            rustix::fs::sendfile(socket, &*found.file, Some(&mut offset), len)
        });
        if let Poll::Ready(Ok(n)) = polled {
            self.stats
                .sent_from_mirrors
                .fetch_add(n as u64, Ordering::Relaxed);
        }
        polled
    }

    /// Runs a non-blocking system call on the socket when it is writable, as tokio's own
    /// writes do.
    #[cfg(target_os = "linux")]
    fn poll_raw(
        &self,
        cx: &mut Context<'_>,
        mut call: impl FnMut(&tokio::net::TcpStream) -> rustix::io::Result<usize>,
    ) -> Poll<std::io::Result<usize>> {
        loop {
            std::task::ready!(self.inner.poll_write_ready(cx))?;
            match self.inner.try_io(tokio::io::Interest::WRITABLE, || {
                call(&self.inner).map_err(std::io::Error::from)
            }) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                done => return Poll::Ready(done),
            }
        }
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = self.write_slices(cx, &[std::io::IoSlice::new(buf)]);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.tracker.wrote_some();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = self.write_slices(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.tracker.wrote_some();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The per-connection hyper service: marks the connection busy and wraps the answer so the
/// end of its body marks it idle again.
struct ConnectionService<H> {
    handler: Arc<H>,
    peer: SocketAddr,
    tracker: Arc<Tracker>,
}

impl<H: Handler> hyper::service::Service<Request<Incoming>> for ConnectionService<H> {
    type Response = Response<TrackedBody<H::Body>>;
    type Error = Infallible;
    type Future = TrackedAnswer<H::Future>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        self.tracker.set(Phase::Busy, now_ms());
        TrackedAnswer {
            answer: self.handler.call(request, self.peer),
            tracker: Some(Arc::clone(&self.tracker)),
        }
    }
}

/// The handler's future; its response body carries the tracker.
struct TrackedAnswer<F> {
    answer: F,
    tracker: Option<Arc<Tracker>>,
}

impl<F, B> Future for TrackedAnswer<F>
where
    F: Future<Output = Response<B>> + Unpin,
{
    type Output = Result<Response<TrackedBody<B>>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let response = std::task::ready!(Pin::new(&mut self.answer).poll(cx));
        let tracker = self.tracker.take();
        Poll::Ready(Ok(response.map(|body| TrackedBody { body, tracker })))
    }
}

/// A response body that marks its connection idle once it is sent (dropped).
struct TrackedBody<B> {
    body: B,
    tracker: Option<Arc<Tracker>>,
}

impl<B> Drop for TrackedBody<B> {
    fn drop(&mut self) {
        if let Some(tracker) = &self.tracker {
            tracker.set(Phase::Waiting, now_ms());
        }
    }
}

impl<B: http_body::Body + Unpin> http_body::Body for TrackedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// A ready answer, for handlers that answer without waiting.
pub type Ready = std::future::Ready<Response<Full>>;
