//! Access and refusal logs: one file per organisation (`organisation-{id}.log`) and one for
//! refused requests (`refused.log`), in `log_dir`.
//!
//! Lines are appended to memory on the request path and written by a dedicated thread, so a
//! request never waits for the disk. What an attacker can make the server write is bounded:
//! a logged URL is cut at `url_max_bytes` (with the number of bytes left out), refusals are
//! logged at most `refusals_per_address_per_minute` times per address and minute (IPv6: per
//! /64) and the rest only counted, in one `suppressed` line when the minute is over; every
//! file is rotated past `max_file_bytes` (`refused.log` → `refused.log.1` → … → `.{keep}`),
//! so the logs never take more than `(keep + 1) × max_file_bytes` per file name. Once 17,000
//! refusals with long URLs in 5 s grew `refused.log` by 600 MB.

use crate::error::{Error, Result};
use opendata_http::http::Method;
use serde::Deserialize;
use std::collections::HashMap;
use std::io::Write as _;
use std::net::{IpAddr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How the access and refusal logs are bounded (`[logs]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// A log file is rotated before it would grow past this many bytes.
    pub max_file_bytes: u64,
    /// Rotated files kept per log (`name.1` the newest); 0: a full log is deleted.
    pub keep: u32,
    /// Refusal lines written per client address (IPv6: per /64) and minute; further
    /// refusals are counted and reported in one line when the minute is over.
    pub refusals_per_address_per_minute: u32,
    /// A logged URL is cut at this many bytes.
    pub url_max_bytes: usize,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            max_file_bytes: 64 << 20,
            keep: 5,
            refusals_per_address_per_minute: 20,
            url_max_bytes: 256,
        }
    }
}

impl LogSettings {
    /// Checks the values: which setting is unusable.
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.max_file_bytes < 4096 {
            return Err("logs.max_file_bytes must be at least 4096".into());
        }
        if self.keep > 1000 {
            return Err("logs.keep must be at most 1000".into());
        }
        if !(16..=8192).contains(&self.url_max_bytes) {
            return Err("logs.url_max_bytes must be between 16 and 8192".into());
        }
        Ok(())
    }
}

/// Seconds of one rate-limit window.
const WINDOW_SECS: u64 = 60;
/// Addresses tracked at once; refusals from further addresses are only counted.
const MAX_TRACKED: usize = 65_536;
/// A logged method is cut at this many bytes (extension methods are any token).
const METHOD_MAX_BYTES: usize = 16;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One address's refusals in its current window.
struct Window {
    start: u64,
    written: u32,
    suppressed: u64,
}

struct Buffers {
    /// Pending lines per organisation (`None`: refused requests).
    pending: HashMap<Option<i64>, Vec<u8>>,
    /// The formatted second of `stamp`, so a line costs no date formatting.
    second: u64,
    stamp: String,
    /// Refusal windows by rate-limit key.
    windows: HashMap<IpAddr, Window>,
    /// Refusals not logged because `MAX_TRACKED` addresses were tracked already, and since
    /// when.
    untracked: u64,
    untracked_since: u64,
    closed: bool,
}

/// The address refusals are counted under: the address itself, or its /64 for IPv6 (one
/// subscriber's prefix, so rotating through it gains nothing).
fn rate_key(client: IpAddr) -> IpAddr {
    match client.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

fn key_text(key: IpAddr) -> String {
    match key {
        IpAddr::V6(v6) => format!("{v6}/64"),
        IpAddr::V4(v4) => v4.to_string(),
    }
}

fn format_second(second: u64) -> String {
    chrono::DateTime::from_timestamp(i64::try_from(second).unwrap_or(0), 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// Appends `text` with every byte that is not visible ASCII (or is `"` or `\`) as `%XX`, cut
/// after `max` bytes of output with the count of input bytes left out.
fn push_bounded(line: &mut Vec<u8>, text: &str, max: usize) {
    let mut written = 0usize;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if written >= max {
            let _ = write!(line, "…[+{} B]", text.len() - i);
            return;
        }
        if b.is_ascii_graphic() && b != b'"' && b != b'\\' {
            line.push(b);
            written += 1;
        } else {
            let _ = write!(line, "%{b:02X}");
            written += 3;
        }
    }
}

impl Buffers {
    fn suppressed_line(&mut self, key: &str, count: u64, since: u64, now: u64) {
        let line = self.pending.entry(None).or_default();
        let _ = writeln!(
            line,
            "{}.000Z {key} suppressed {count} refused requests since {}Z",
            format_second(now),
            format_second(since)
        );
    }

    /// Reports and forgets the windows that are over (every window when `all`).
    fn sweep(&mut self, now: u64, all: bool) {
        let mut over = Vec::new();
        self.windows.retain(|key, w| {
            let done = all || now >= w.start.saturating_add(WINDOW_SECS);
            if done && w.suppressed > 0 {
                over.push((*key, w.suppressed, w.start));
            }
            !done
        });
        over.sort_by_key(|&(key, _, start)| (start, key));
        for (key, count, since) in over {
            self.suppressed_line(&key_text(key), count, since, now);
        }
        if self.untracked > 0 && (all || now >= self.untracked_since.saturating_add(WINDOW_SECS)) {
            let (count, since) = (self.untracked, self.untracked_since);
            self.untracked = 0;
            self.suppressed_line("(untracked-addresses)", count, since, now);
        }
    }

    /// Whether a refusal from `client` at `now` is logged (else it is counted).
    fn admit_refusal(&mut self, client: IpAddr, now: u64, limit: u32) -> bool {
        let key = rate_key(client);
        if let Some(w) = self.windows.get_mut(&key) {
            if now < w.start.saturating_add(WINDOW_SECS) {
                if w.written < limit {
                    w.written += 1;
                    return true;
                }
                w.suppressed = w.suppressed.saturating_add(1);
                return false;
            }
            let (count, since) = (w.suppressed, w.start);
            *w = Window {
                start: now,
                written: 0,
                suppressed: 0,
            };
            if count > 0 {
                self.suppressed_line(&key_text(key), count, since, now);
            }
        } else if self.windows.len() >= MAX_TRACKED {
            if self.untracked == 0 {
                self.untracked_since = now;
            }
            self.untracked = self.untracked.saturating_add(1);
            return false;
        }
        let w = self.windows.entry(key).or_insert(Window {
            start: now,
            written: 0,
            suppressed: 0,
        });
        if w.written < limit {
            w.written += 1;
            true
        } else {
            w.suppressed = w.suppressed.saturating_add(1);
            false
        }
    }
}

/// The logs of one server (see the module documentation). [`AccessLog::close`] writes
/// whatever is pending before it returns.
pub(crate) struct AccessLog {
    settings: LogSettings,
    buffers: Mutex<Buffers>,
    wake: Condvar,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl AccessLog {
    /// Starts the writer thread for `dir`, writing every `interval`.
    pub(crate) fn start(
        dir: &Path,
        interval: Duration,
        settings: LogSettings,
    ) -> Result<Arc<Self>> {
        let log = Arc::new(Self {
            settings,
            buffers: Mutex::new(Buffers {
                pending: HashMap::new(),
                second: u64::MAX,
                stamp: String::new(),
                windows: HashMap::new(),
                untracked: 0,
                untracked_since: 0,
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

    /// Appends one line: to the organisation's log, or (`organisation` `None`) to the refusal
    /// log within the address's allowance. `note`: the refusal code, or empty.
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
        if organisation.is_none()
            && !b.admit_refusal(
                client,
                now.as_secs(),
                self.settings.refusals_per_address_per_minute,
            )
        {
            return;
        }
        if b.second != now.as_secs() {
            b.second = now.as_secs();
            b.stamp = format_second(b.second);
        }
        let line = b.pending.entry(organisation).or_default();
        let _ = write!(line, "{}.{:03}Z {client} \"", b.stamp, now.subsec_millis());
        push_bounded(line, method.as_str(), METHOD_MAX_BYTES);
        line.push(b' ');
        push_bounded(line, uri, self.settings.url_max_bytes);
        let _ = writeln!(line, "\" {status} {bytes} {note}");
    }

    fn write_loop(&self, dir: &Path, interval: Duration) {
        let mut files: HashMap<Option<i64>, LogFile> = HashMap::new();
        loop {
            let (pending, closed) = {
                let mut b = lock(&self.buffers);
                b = self
                    .wake
                    .wait_timeout_while(b, interval, |b| !b.closed)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs();
                let closed = b.closed;
                b.sweep(now, closed);
                (std::mem::take(&mut b.pending), closed)
            };
            for (organisation, bytes) in pending {
                let file = files.entry(organisation).or_insert_with(|| {
                    LogFile::open(match organisation {
                        Some(id) => dir.join(format!("organisation-{id}.log")),
                        None => dir.join("refused.log"),
                    })
                });
                file.write(&bytes, &self.settings);
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

/// One log file and its size, rotated by size.
struct LogFile {
    path: PathBuf,
    /// `None` when it could not be opened (reported; lines are then dropped rather than the
    /// server lost over a log file).
    file: Option<std::fs::File>,
    size: u64,
}

impl LogFile {
    fn open(path: PathBuf) -> Self {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path);
        match file {
            Ok(f) => {
                let size = f.metadata().map_or(0, |m| m.len());
                Self {
                    path,
                    file: Some(f),
                    size,
                }
            }
            Err(e) => {
                tracing::error!("access log {}: {e}", path.display());
                Self {
                    path,
                    file: None,
                    size: 0,
                }
            }
        }
    }

    /// `name.{i}`.
    fn rotated(&self, i: u32) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{i}"));
        PathBuf::from(name)
    }

    /// Moves the file to `.1` (and the older ones one further, the oldest dropped) and
    /// starts a new one. False when the file could not be moved: writing goes on into it.
    fn rotate(&mut self, keep: u32) -> bool {
        let moved = if keep == 0 {
            std::fs::remove_file(&self.path)
        } else {
            for i in (1..keep).rev() {
                match std::fs::rename(self.rotated(i), self.rotated(i + 1)) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => tracing::error!("rotating {}: {e}", self.rotated(i).display()),
                }
            }
            std::fs::rename(&self.path, self.rotated(1))
        };
        if let Err(e) = moved {
            tracing::error!("rotating {}: {e}", self.path.display());
            return false;
        }
        *self = Self::open(self.path.clone());
        true
    }

    /// Appends whole lines, rotating first whenever the next ones would not fit.
    fn write(&mut self, mut bytes: &[u8], settings: &LogSettings) {
        while !bytes.is_empty() {
            let room = usize::try_from(settings.max_file_bytes.saturating_sub(self.size))
                .unwrap_or(usize::MAX);
            let take = if bytes.len() <= room {
                bytes.len()
            } else {
                match bytes
                    .get(..room)
                    .and_then(|fits| fits.iter().rposition(|&b| b == b'\n'))
                {
                    Some(end) => end + 1,
                    // One line longer than a whole file: it goes into a file of its own.
                    None if self.size == 0 => bytes
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(bytes.len(), |end| end + 1),
                    None => 0,
                }
            };
            let take = if take == 0 {
                if self.rotate(settings.keep) {
                    continue;
                }
                bytes.len()
            } else {
                take
            };
            let (lines, rest) = bytes.split_at_checked(take).unwrap_or((bytes, &[]));
            if let Some(f) = &mut self.file
                && let Err(e) = f.write_all(lines)
            {
                tracing::error!("access log {}: {e}", self.path.display());
            }
            self.size = self.size.saturating_add(lines.len() as u64);
            bytes = rest;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_cut_and_escaped() {
        let mut line = Vec::new();
        push_bounded(&mut line, "/a\"b\\c d", 100);
        assert_eq!(String::from_utf8(line).unwrap(), "/a%22b%5Cc%20d");
        let mut line = Vec::new();
        push_bounded(&mut line, &"x".repeat(30_000), 256);
        let text = String::from_utf8(line).unwrap();
        assert_eq!(text, format!("{}…[+29744 B]", "x".repeat(256)));
    }

    #[test]
    fn refusals_are_rate_limited_per_address_and_ipv6_prefix() {
        let log = Buffers {
            pending: HashMap::new(),
            second: 0,
            stamp: String::new(),
            windows: HashMap::new(),
            untracked: 0,
            untracked_since: 0,
            closed: false,
        };
        let mut b = log;
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let admitted = (0..100).filter(|_| b.admit_refusal(a, 1000, 3)).count();
        assert_eq!(admitted, 3);
        // Another address has its own allowance; addresses in one /64 share one.
        assert!(b.admit_refusal("192.0.2.2".parse().unwrap(), 1000, 3));
        let v6 = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            (0..10)
                .filter(|i| b.admit_refusal(v6(&format!("2001:db8::{i:x}")), 1001, 3))
                .count(),
            3
        );
        assert!(b.admit_refusal(v6("2001:db8:0:1::1"), 1001, 3));
        // The minute is over: the suppressed count is reported, the allowance renewed.
        assert!(b.admit_refusal(a, 1060, 3));
        let text = String::from_utf8(b.pending.remove(&None).unwrap()).unwrap();
        assert_eq!(
            text,
            "1970-01-01T00:17:40.000Z 192.0.2.1 suppressed 97 refused requests since 1970-01-01T00:16:40Z\n"
        );
        b.sweep(1061, false);
        let text = String::from_utf8(b.pending.remove(&None).unwrap()).unwrap();
        assert!(
            text.contains(" 2001:db8::/64 suppressed 7 refused requests"),
            "{text}"
        );
        b.sweep(1062, true);
        assert!(b.windows.is_empty());
    }

    #[test]
    fn files_rotate_by_size_keeping_n() {
        let dir = tempfile::tempdir().unwrap();
        let settings = LogSettings {
            max_file_bytes: 4096,
            keep: 2,
            ..LogSettings::default()
        };
        let mut file = LogFile::open(dir.path().join("refused.log"));
        let line = format!("{}\n", "r".repeat(99));
        for _ in 0..200 {
            file.write(line.repeat(3).as_bytes(), &settings);
        }
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["refused.log", "refused.log.1", "refused.log.2"]);
        for name in &names {
            let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
            assert!(text.len() <= 4096, "{name}: {}", text.len());
            assert!(text.lines().all(|l| l.len() == 99), "whole lines only");
        }
        assert_eq!(
            std::fs::read_to_string(dir.path().join("refused.log.1"))
                .unwrap()
                .len(),
            4000
        );
    }
}
