//! Push: a Server-Sent Events stream per election (`odata/udalosti`), under the same access
//! control as the documents, announcing each new batch (`davka`, its manifest entry) and
//! each document whose content changed (`dokument`, with its tag and hash) as it is
//! published; `reset` when a rehearsal starts again. A client that cannot use it polls as
//! before.
//!
//! Every connection starts with `retry:` and either the events it missed (its
//! `Last-Event-ID` is still in the server's memory) or a `stav` event telling it where
//! things stand and where the manifest is, so it can catch up by reading that. A comment
//! line is sent when nothing happened for a while, so proxies and the server's own stall
//! detection see a live connection. The stream ends when the server stops, when the
//! election's phase moves to another data set, or when the client's address loses access.

use crate::feeds::FeedSet;
use crate::manifest::{BatchEntry, MANIFEST_JSON, MANIFEST_XML};
use crate::store::Channel;
use futures_util::Stream;
use opendata_http::{Bytes, Full};
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::broadcast;

/// Path of the event stream below `odata/`.
pub const EVENTS_PATH: &str = "udalosti";

/// Events kept for clients that reconnect with `Last-Event-ID`.
const KEPT: usize = 4096;

/// How long a client waits before reconnecting (the `retry:` field), in milliseconds.
pub(crate) const RETRY_MS: u64 = 3000;

/// One announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its number in this server process.
    pub number: u64,
    /// `davka`, `dokument`, `reset` or `stav`.
    pub name: &'static str,
    /// JSON.
    pub data: String,
    /// When it was published (for the debug log of its delivery).
    pub published: std::time::Instant,
}

/// The events of one election's data set: a ring of recent ones and the live feed.
#[derive(Debug)]
pub(crate) struct EventLog {
    /// Distinguishes this process's event numbers from an earlier one's.
    token: u64,
    sender: broadcast::Sender<Arc<Event>>,
    recent: Mutex<VecDeque<Arc<Event>>>,
    next: AtomicU64,
}

impl Default for EventLog {
    fn default() -> Self {
        Self {
            token: process_token(),
            sender: broadcast::channel(1024).0,
            recent: Mutex::new(VecDeque::new()),
            next: AtomicU64::new(1),
        }
    }
}

/// A number that differs between server processes (its start in milliseconds).
fn process_token() -> u64 {
    static TOKEN: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TOKEN.get_or_init(|| u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0))
}

/// What a new connection starts with.
pub(crate) enum Start {
    /// The events after its `Last-Event-ID`.
    Resume(Vec<Arc<Event>>),
    /// No (usable) `Last-Event-ID`: the current state.
    Fresh,
}

impl EventLog {
    /// Announces an event to every connected client and keeps it for reconnecting ones.
    pub(crate) fn publish(&self, name: &'static str, data: String) {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let event = Arc::new(Event {
            number: self.next.fetch_add(1, Ordering::Relaxed),
            name,
            data,
            published: std::time::Instant::now(),
        });
        if recent.len() == KEPT {
            recent.pop_front();
        }
        recent.push_back(Arc::clone(&event));
        // Sent under the lock, so a subscriber sees each event once: in its backlog or live.
        let _ = self.sender.send(event);
    }

    /// Subscribes a connection that sent `last_event_id` (if any).
    pub(crate) fn subscribe(
        &self,
        last_event_id: Option<&str>,
    ) -> (Start, broadcast::Receiver<Arc<Event>>) {
        let recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let rx = self.sender.subscribe();
        let after = last_event_id.and_then(|id| {
            let (token, number) = id.trim().split_once('-')?;
            (token.parse::<u64>().ok()? == self.token).then_some(number.parse::<u64>().ok()?)
        });
        let start = match after {
            // Still in memory (the oldest kept is at most one past it).
            Some(n) if recent.front().is_none_or(|e| e.number <= n + 1) => {
                Start::Resume(recent.iter().filter(|e| e.number > n).cloned().collect())
            }
            _ => Start::Fresh,
        };
        (start, rx)
    }

    /// An event as an SSE frame.
    pub(crate) fn frame(&self, event: &Event) -> Bytes {
        Bytes::from(format!(
            "id: {}-{}\nevent: {}\ndata: {}\n\n",
            self.token, event.number, event.name, event.data
        ))
    }
}

/// The announcements for a data set whose published set goes from `old` to `new`.
pub(crate) fn announce(log: &EventLog, old: &FeedSet, new: &FeedSet) {
    if new.epoch != old.epoch {
        log.publish(
            "reset",
            serde_json::json!({ "EPOCHA": new.epoch }).to_string(),
        );
    }
    let known: HashSet<(u8, u32)> = if new.epoch == old.epoch {
        old.manifest
            .iter()
            .map(|e| (e.kolo, e.poradi_davky))
            .collect()
    } else {
        HashSet::new()
    };
    for entry in &new.manifest {
        if !known.contains(&(entry.kolo, entry.poradi_davky)) {
            log.publish("davka", batch_data(entry));
        }
    }
    // Documents in path order, so every client sees the same sequence.
    let docs: BTreeMap<&String, _> = new.docs.iter().collect();
    for (path, doc) in docs {
        if !doc.weak || path == MANIFEST_XML || path == MANIFEST_JSON {
            continue; // batches and the manifest: announced as `davka`
        }
        if old.docs.get(path).is_some_and(|o| o.same_content(doc)) {
            continue;
        }
        log.publish(
            "dokument",
            serde_json::json!({
                "SOUBOR": path,
                "ETAG": doc.etag(),
                "SHA256": doc.sha256(),
                "DATUM_CAS_GENEROVANI": crate::time::prague_local(doc.generated),
            })
            .to_string(),
        );
    }
}

fn batch_data(entry: &BatchEntry) -> String {
    serde_json::to_string(entry).unwrap_or_default()
}

/// The `stav` event: where the data set stands, for a client starting afresh.
pub(crate) fn state_data(election: &str, set: &FeedSet) -> String {
    let latest: BTreeMap<String, u32> = set
        .manifest
        .iter()
        .map(|e| (e.kolo.to_string(), e.poradi_davky))
        .collect();
    serde_json::json!({
        "DAVKY": set.manifest.len(),
        "POSLEDNI_DAVKA": latest,
        "MANIFEST": format!("/appdata/{election}/odata/{MANIFEST_JSON}"),
        "EPOCHA": set.epoch,
    })
    .to_string()
}

/// Whether the connection may go on (checked before each event is sent).
pub(crate) type StillAllowed = Box<dyn Fn() -> bool + Send + Sync>;

/// The body of an event stream.
pub(crate) struct EventStream {
    stream: Pin<Box<dyn Stream<Item = Bytes> + Send>>,
}

impl EventStream {
    /// A stream that first sends `first`, then each event of `rx` while `allowed`, a comment
    /// every `keepalive` of silence, and ends when `end` turns true.
    pub(crate) fn new(
        log: Arc<EventLogRef>,
        first: Vec<Bytes>,
        rx: broadcast::Receiver<Arc<Event>>,
        keepalive: Duration,
        end: tokio::sync::watch::Receiver<bool>,
        allowed: StillAllowed,
    ) -> Self {
        struct State {
            log: Arc<EventLogRef>,
            first: VecDeque<Bytes>,
            rx: broadcast::Receiver<Arc<Event>>,
            keepalive: Duration,
            end: tokio::sync::watch::Receiver<bool>,
            allowed: StillAllowed,
        }
        let state = State {
            log,
            first: first.into(),
            rx,
            keepalive,
            end,
            allowed,
        };
        let stream = futures_util::stream::unfold(state, |mut s| async move {
            if let Some(b) = s.first.pop_front() {
                return Some((b, s));
            }
            let next = tokio::select! {
                r = s.rx.recv() => r,
                () = tokio::time::sleep(s.keepalive) => {
                    return Some((Bytes::from_static(b": \n\n"), s));
                }
                () = ended(&mut s.end) => return None,
            };
            if !(s.allowed)() {
                return None;
            }
            match next {
                Ok(event) => {
                    if event.name == "davka" {
                        tracing::debug!(
                            target: "czso_media_feed::events",
                            number = event.number,
                            at_ms = chrono::Utc::now().timestamp_millis(),
                            after_publication_us = event.published.elapsed().as_micros(),
                            "davka frame handed to the connection"
                        );
                    }
                    let frame = s.log.get().frame(&event);
                    Some((frame, s))
                }
                // Too slow a reader missed events: tell it to catch up from the manifest,
                // then go on.
                Err(broadcast::error::RecvError::Lagged(_)) => Some((
                    Bytes::from(format!(
                        "event: stav\ndata: {}\n\n",
                        serde_json::json!({ "OBNOVIT": true })
                    )),
                    s,
                )),
                Err(broadcast::error::RecvError::Closed) => None,
            }
        });
        Self {
            stream: Box::pin(stream),
        }
    }
}

/// Resolves once the server is told to stop (the guard `wait_for` returns is not `Send`, so
/// it is dropped here rather than held in the stream's state).
async fn ended(end: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = end.wait_for(|v| *v).await;
}

/// A handle on an election's event log for one data set (the stream outlives the request).
pub(crate) struct EventLogRef {
    pub(crate) election: Arc<crate::server::ElectionState>,
    pub(crate) channel: Channel,
}

impl EventLogRef {
    fn get(&self) -> &EventLog {
        self.election.events(self.channel)
    }
}

/// The public listeners' response body: a document (or error) held in memory, or an event
/// stream.
pub(crate) enum PublicBody {
    /// In memory.
    Full(Full),
    /// Server-Sent Events.
    Events(EventStream),
}

impl From<Full> for PublicBody {
    fn from(body: Full) -> Self {
        Self::Full(body)
    }
}

impl http_body::Body for PublicBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Self::Full(full) => Pin::new(full).poll_frame(cx),
            Self::Events(events) => events
                .stream
                .as_mut()
                .poll_next(cx)
                .map(|next| next.map(|b| Ok(http_body::Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Full(full) => full.is_end_stream(),
            Self::Events(_) => false,
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self {
            Self::Full(full) => full.size_hint(),
            Self::Events(_) => http_body::SizeHint::default(),
        }
    }
}
