//! Crash-test hooks: points on the ingest path where a test stops the server by construction
//! rather than by timing, so a `kill -9` lands with an ingest in flight whatever the build's
//! speed.
//!
//! Off unless the environment variable [`HOOK_VARIABLE`] is set to `POINT:N:MARKER`: the
//! `N`-th ingest (counting from 1) that reaches `POINT` writes the file `MARKER` and then
//! blocks its thread for good, holding whatever it holds. `POINT` is `before-commit` (rows
//! inserted, transaction open) or `after-commit` (the transaction is on disk, the client not
//! answered yet).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable that arms a hook.
pub const HOOK_VARIABLE: &str = "CZSO_MEDIA_FEED_TEST_HOOK";

/// Where on the ingest path a hook can stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookPoint {
    /// Every row of the ingest is inserted, the transaction is not committed.
    BeforeCommit,
    /// The transaction is committed (durable), the client has not been answered.
    AfterCommit,
}

impl HookPoint {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "before-commit" => Some(Self::BeforeCommit),
            "after-commit" => Some(Self::AfterCommit),
            _ => None,
        }
    }
}

struct Armed {
    point: HookPoint,
    nth: u64,
    marker: std::path::PathBuf,
    reached: AtomicU64,
}

fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let value = std::env::var(HOOK_VARIABLE).ok()?;
            let mut parts = value.splitn(3, ':');
            let point = parts.next().and_then(HookPoint::parse);
            let nth = parts.next().and_then(|n| n.parse::<u64>().ok());
            let marker = parts.next().filter(|m| !m.is_empty());
            match (point, nth, marker) {
                (Some(point), Some(nth), Some(marker)) if nth > 0 => Some(Armed {
                    point,
                    nth,
                    marker: marker.into(),
                    reached: AtomicU64::new(0),
                }),
                _ => {
                    tracing::error!(
                        "{HOOK_VARIABLE}=`{value}` is not POINT:N:MARKER \
                         (POINT before-commit or after-commit, N from 1); ignored"
                    );
                    None
                }
            }
        })
        .as_ref()
}

/// Called by the ingest path at `point`; returns at once unless a hook is armed there.
pub(crate) fn reached(point: HookPoint) {
    let Some(hook) = armed() else { return };
    if hook.point != point || hook.reached.fetch_add(1, Ordering::SeqCst) + 1 != hook.nth {
        return;
    }
    if let Err(e) = std::fs::write(&hook.marker, format!("{point:?}\n")) {
        tracing::error!("test hook marker {}: {e}", hook.marker.display());
    }
    tracing::warn!("test hook: ingest {} stopped at {point:?}", hook.nth);
    loop {
        std::thread::park();
    }
}
