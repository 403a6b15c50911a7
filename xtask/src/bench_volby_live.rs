//! `cargo xtask bench-volby-live`: election night on a compressed clock, as newsrooms see it.
//!
//! A simulated election is replayed into the live data set of a running czso-media-feed
//! (release build, its own process) with ČSÚ's timing divided by `--speed`: documents
//! regenerated every 60 s, batches cut every 5 minutes on the wall-clock grid, one batch file
//! of precinct rows arriving in the middle of each cut interval. Three clients follow it:
//!
//! - a newsroom poller: every document once per regeneration period with `If-None-Match`
//!   (content validators), and the next batch number until it exists (`CHYBA` 10 answers with
//!   `Retry-After`);
//! - a reference poller: the same documents without validators, so every copy is downloaded;
//!   a copy whose bytes differ from the previous one is what a conditional client fetched when
//!   the tag covered the whole document (before content validators: the generation time
//!   changes every tag), and one that differs in `DATUM_CAS_GENEROVANI` only is a re-download
//!   for nothing;
//! - a Server-Sent Events listener on `odata/udalosti`: the delay of each `davka` event from
//!   its cut (the grid instant) and of the first `dokument` event after each ingest from the
//!   moment its rows were stored.
//!
//! The figures: bytes re-downloaded by each poller, 200s for unchanged content (goal: none),
//! the event delays (goal: < 100 ms), how much earlier the event came than the poller saw the
//! batch, `Retry-After` against the next cut, the server's CPU time during the replay, and
//! the ingest + regenerate CPU time of the whole election (`bench-ingest`, goal: < 1 s).

use crate::bench_volby::{prepare_feed, run_bin};
use crate::util::load_average;
use crate::util::{ServerProcess, cargo, exec, target_dir, wait_for_port};
use anyhow::{Context, Result, bail};
use opendata_http::client::{Client, Reply};
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const ELECTION: &str = "ps2025";

/// ČSÚ's regeneration period and batch interval, in milliseconds of real time.
const REGENERATION_MS: f64 = 60_000.0;
const CUT_MS: f64 = 300_000.0;

struct Options {
    /// Time compression.
    speed: f64,
    /// Batch files replayed (0: all).
    batches: usize,
    /// A czso-media-feed binary built already (else a release build of the package).
    bin: Option<PathBuf>,
    /// Where to keep the server's debug log (its per-cut timing lines).
    server_log: Option<PathBuf>,
}

fn parse_options(args: &[String]) -> Result<Options> {
    let mut options = Options {
        speed: 60.0,
        batches: 0,
        bin: None,
        server_log: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().context(format!("{arg} needs a value"));
        match arg.as_str() {
            "--speed" => options.speed = value()?.parse().context("--speed")?,
            "--batches" => options.batches = value()?.parse().context("--batches")?,
            "--bin" => options.bin = Some(PathBuf::from(value()?)),
            "--server-log" => options.server_log = Some(PathBuf::from(value()?)),
            other => bail!(
                "unknown option {other}; options: --speed N (60), --batches N (all), --bin PATH, --server-log PATH"
            ),
        }
    }
    if !(1.0..=600.0).contains(&options.speed) {
        bail!("--speed must be between 1 and 600");
    }
    Ok(options)
}

/// Milliseconds since the Unix epoch (the server's clock too).
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The start of the grid slot `at` falls in.
fn slot_start(at_ms: i64, period_ms: i64) -> i64 {
    at_ms.div_euclid(period_ms) * period_ms
}

fn sleep_until(at_ms: i64) {
    let wait = at_ms - now_ms();
    if wait > 0 {
        std::thread::sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(0)));
    }
}

/// The document without the value of `DATUM_CAS_GENEROVANI` (its content for a reader).
fn content(body: &[u8]) -> Vec<u8> {
    const NAME: &[u8] = b"DATUM_CAS_GENEROVANI=\"";
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.windows(NAME.len()).position(|w| w == NAME) {
        let value = at + NAME.len();
        out.extend_from_slice(&rest[..value]);
        let end = rest[value..]
            .iter()
            .position(|&b| b == b'"')
            .map_or(rest.len(), |e| value + e);
        rest = &rest[end..];
    }
    out.extend_from_slice(rest);
    out
}

fn median_p95_max(mut v: Vec<i64>) -> String {
    if v.is_empty() {
        return "none".into();
    }
    v.sort_unstable();
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    format!(
        "median {} ms, p95 {} ms, max {} ms (n={})",
        at(0.5),
        at(0.95),
        v[v.len() - 1],
        v.len()
    )
}

// ---------------------------------------------------------------------------------------
// Server-Sent Events, read off the socket: the delay measured is the server's, not a
// library's buffering (tests/events.rs follows the stream with a real client library).

/// A chunked transfer-coded body as plain bytes.
struct Chunked<R> {
    inner: R,
    left: usize,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        while self.left == 0 {
            let mut line = String::new();
            if self.inner.read_line(&mut line)? == 0 {
                self.done = true;
                return Ok(0);
            }
            let size = line.trim().split(';').next().unwrap_or_default();
            if size.is_empty() {
                continue; // the line break after a chunk
            }
            self.left = usize::from_str_radix(size, 16).map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidData, format!("chunk size {size:?}"))
            })?;
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let n = buf.len().min(self.left);
        let read = self.inner.read(&mut buf[..n])?;
        if read == 0 {
            self.done = true;
        }
        self.left -= read;
        Ok(read)
    }
}

/// One event and when its last line arrived.
#[derive(Debug, Clone)]
struct Received {
    name: String,
    data: String,
    at_ms: i64,
}

/// Opens the event stream; the socket (to shut down at the end) and the body.
fn open_events(addr: SocketAddr, path: &str) -> Result<(TcpStream, Box<dyn BufRead + Send>)> {
    let mut stream = TcpStream::connect(addr)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )?;
    let control = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status)?;
    if status.split(' ').nth(1) != Some("200") {
        bail!("GET {path}: {}", status.trim());
    }
    let mut chunked = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let body: Box<dyn BufRead + Send> = if chunked {
        Box::new(BufReader::new(Chunked {
            inner: reader,
            left: 0,
            done: false,
        }))
    } else {
        Box::new(reader)
    };
    Ok((control, body))
}

/// Reads events until the stream ends.
fn follow_events(mut body: Box<dyn BufRead + Send>, out: &Mutex<Vec<Received>>) {
    let (mut name, mut data) = (String::new(), String::new());
    let mut line = String::new();
    loop {
        line.clear();
        match body.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = line.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !data.is_empty() {
                let event = Received {
                    name: std::mem::take(&mut name),
                    data: std::mem::take(&mut data),
                    at_ms: now_ms(),
                };
                out.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(event);
            }
            name.clear();
            continue;
        }
        if let Some(v) = text.strip_prefix("event:") {
            name = v.trim_start().to_owned();
        } else if let Some(v) = text.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(v.strip_prefix(' ').unwrap_or(v));
        }
    }
}

/// A number value of `"NAME":` in a flat JSON object.
fn json_number(data: &str, name: &str) -> Option<u64> {
    let at = data.find(&format!("\"{name}\":"))? + name.len() + 3;
    let digits: String = data[at..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

// ---------------------------------------------------------------------------------------
// Polling.

/// What the pollers saw of one document.
#[derive(Debug, Default)]
struct DocPolls {
    /// Newsroom poller: its tag and the content of its copy.
    tag: Option<String>,
    copy: Option<Vec<u8>>,
    requests: u64,
    /// 200 after the first copy, their bytes, and those whose content had not changed.
    refetched: u64,
    refetched_bytes: u64,
    refetched_unchanged: u64,
    not_modified: u64,
    /// Reference poller: its previous copy (bytes) and content.
    ref_bytes: Option<Vec<u8>>,
    /// Copies whose bytes changed (a whole-document tag changed), their bytes; of those,
    /// the ones whose content had not changed (only the generation time).
    ref_changed: u64,
    ref_changed_bytes: u64,
    ref_restamped: u64,
    ref_restamped_bytes: u64,
}

#[derive(Debug, Default)]
struct BatchPolls {
    /// The next batch number asked for.
    next: u32,
    /// When the poller first got each batch.
    seen_ms: BTreeMap<u32, i64>,
    /// "Not yet" answers and those whose `Retry-After` named the seconds to the next cut
    /// (±1 s for the request's own time).
    not_yet: u64,
    retry_after_aligned: u64,
    retry_after_missing: u64,
}

#[derive(Debug, Default)]
struct Polls {
    docs: BTreeMap<String, DocPolls>,
    batches: BatchPolls,
    /// `max-age` of the documents against the seconds to the next regeneration.
    max_age_checked: u64,
    max_age_aligned: u64,
    errors: Vec<String>,
}

fn header_seconds(reply: &Reply, name: &str) -> Option<i64> {
    reply.header(name).and_then(|v| v.trim().parse().ok())
}

fn max_age(reply: &Reply) -> Option<i64> {
    reply.header("cache-control").and_then(|v| {
        v.split(',')
            .find_map(|d| d.trim().strip_prefix("max-age="))
            .and_then(|s| s.parse().ok())
    })
}

/// Seconds from `at` to the next instant of the grid, rounded up (as the server counts).
fn secs_to_next(at_ms: i64, period_ms: i64) -> i64 {
    let next = slot_start(at_ms, period_ms) + period_ms;
    (next - at_ms + 999) / 1000
}

fn poll_round(
    client: &Client,
    paths: &[String],
    batch_prefix: &str,
    regeneration_ms: i64,
    cut_ms: i64,
    polls: &mut Polls,
) {
    for path in paths {
        let doc = polls.docs.entry(path.clone()).or_default();
        // Reference poller: the whole document every time.
        match client.get(path, &[]) {
            Ok(reply) if reply.status == 200 => {
                if let Some(before) = &doc.ref_bytes
                    && *before != reply.body
                {
                    let len = reply.body.len() as u64;
                    doc.ref_changed += 1;
                    doc.ref_changed_bytes += len;
                    if content(before) == content(&reply.body) {
                        doc.ref_restamped += 1;
                        doc.ref_restamped_bytes += len;
                    }
                }
                doc.ref_bytes = Some(reply.body);
            }
            Ok(reply) => polls
                .errors
                .push(format!("{path}: {} (reference)", reply.status)),
            Err(e) => polls.errors.push(format!("{path}: {e}")),
        }
        // Newsroom poller: conditional.
        let sent = now_ms();
        let tag = doc.tag.clone();
        let headers: Vec<(&str, &str)> = tag
            .as_deref()
            .map(|t| vec![("If-None-Match", t)])
            .unwrap_or_default();
        doc.requests += 1;
        match client.get(path, &headers) {
            Ok(reply) if reply.status == 304 => doc.not_modified += 1,
            Ok(reply) if reply.status == 200 => {
                if let Some(age) = max_age(&reply) {
                    polls.max_age_checked += 1;
                    if (age - secs_to_next(sent, regeneration_ms)).abs() <= 1 {
                        polls.max_age_aligned += 1;
                    }
                }
                let now = content(&reply.body);
                if let Some(before) = &doc.copy {
                    doc.refetched += 1;
                    doc.refetched_bytes += reply.body.len() as u64;
                    if *before == now {
                        doc.refetched_unchanged += 1;
                    }
                }
                doc.copy = Some(now);
                doc.tag = reply.header("etag").map(str::to_owned);
            }
            Ok(reply) => polls.errors.push(format!("{path}: {}", reply.status)),
            Err(e) => polls.errors.push(format!("{path}: {e}")),
        }
    }
    // The next batch, until it exists.
    loop {
        let b = &mut polls.batches;
        let path = format!("{batch_prefix}{:05}.xml", b.next);
        let sent = now_ms();
        match client.get(&path, &[]) {
            Ok(reply) if reply.status == 200 => {
                b.seen_ms.insert(b.next, now_ms());
                b.next += 1;
            }
            Ok(reply) if reply.status == 404 => {
                b.not_yet += 1;
                match header_seconds(&reply, "retry-after") {
                    Some(secs) if (secs - secs_to_next(sent, cut_ms)).abs() <= 1 => {
                        b.retry_after_aligned += 1;
                    }
                    Some(_) => {}
                    None => b.retry_after_missing += 1,
                }
                break;
            }
            Ok(reply) => {
                polls.errors.push(format!("{path}: {}", reply.status));
                break;
            }
            Err(e) => {
                polls.errors.push(format!("{path}: {e}"));
                break;
            }
        }
    }
}

/// The okresy of a simulated definition (`"nuts": "CZ0xxx"`, six characters).
fn okres_codes(definition: &str) -> Vec<String> {
    let mut codes = Vec::new();
    let mut rest = definition;
    while let Some(at) = rest.find("\"nuts\"") {
        rest = &rest[at + 6..];
        let value = rest.trim_start().trim_start_matches(':').trim_start();
        if let Some(v) = value.strip_prefix('"')
            && let Some(end) = v.find('"')
        {
            let code = &v[..end];
            if code.len() == 6 && code.starts_with("CZ0") && !codes.iter().any(|c| c == code) {
                codes.push(code.to_owned());
            }
        }
    }
    codes
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let options = parse_options(args)?;
    let regeneration_ms = (REGENERATION_MS / options.speed).round() as i64;
    let cut_ms = (CUT_MS / options.speed).round() as i64;
    let bin = match &options.bin {
        Some(bin) => bin.clone(),
        None => {
            exec(cargo().args(["build", "--release", "-p", "czso-media-feed-cli"]))?;
            target_dir().join("release/czso-media-feed")
        }
    };
    let work = std::env::temp_dir().join(format!("bench-volby-live-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let feed = prepare_feed(
        &bin,
        &work,
        regeneration_ms as f64 / 1000.0,
        cut_ms as f64 / 1000.0,
    )?;
    let (sim, config, public_port, admin_port) =
        (&feed.sim, &feed.config, feed.public_port, feed.admin_port);
    let mut files = feed.batches;
    if options.batches > 0 {
        files.truncate(options.batches);
    }
    // The server's debug lines: one per scheduled cut (where its time went) and one per
    // `davka` frame handed to a connection.
    let server_log = work.join("server.log");
    let mut server_cmd = Command::new(&bin);
    server_cmd
        .args(["serve", "--config", config.to_str().unwrap_or_default()])
        .env(
            "RUST_LOG",
            "info,czso_media_feed::cut=debug,czso_media_feed::events=debug",
        )
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&server_log)?);
    let server = ServerProcess::spawn("czso-media-feed", &mut server_cmd)?;
    let public: SocketAddr = format!("127.0.0.1:{public_port}").parse()?;
    let admin: SocketAddr = format!("127.0.0.1:{admin_port}").parse()?;
    wait_for_port(public, Duration::from_secs(60))?;
    wait_for_port(admin, Duration::from_secs(10))?;

    // 3. The clients.
    let odata = format!("/appdata/{ELECTION}/odata");
    let definition = std::fs::read_to_string(sim.join("definition.json"))?;
    let mut paths: Vec<String> = [
        "vysledky.xml",
        "vysledky_kandid.xml",
        "vysledky_krajmesta.xml",
        "vysledky_zahranici.xml",
    ]
    .iter()
    .map(|p| format!("{odata}/{p}"))
    .collect();
    paths.extend(
        okres_codes(&definition)
            .iter()
            .map(|c| format!("{odata}/okresy/vysledky_okres_{c}.xml")),
    );
    let events = Arc::new(Mutex::new(Vec::new()));
    let (sse_socket, sse_body) = open_events(public, &format!("{odata}/udalosti"))?;
    let sse_thread = {
        let events = Arc::clone(&events);
        std::thread::spawn(move || follow_events(sse_body, &events))
    };
    let stop = Arc::new(AtomicBool::new(false));
    let poller = {
        let stop = Arc::clone(&stop);
        let paths = paths.clone();
        let prefix = format!("{odata}/okrsky/vysledky_okrsky_");
        std::thread::spawn(move || {
            let client = Client::new(public);
            let mut polls = Polls::default();
            polls.batches.next = 1;
            let mut at = now_ms();
            while !stop.load(Ordering::Relaxed) {
                poll_round(
                    &client,
                    &paths,
                    &prefix,
                    regeneration_ms,
                    cut_ms,
                    &mut polls,
                );
                at += regeneration_ms;
                sleep_until(at);
            }
            polls
        })
    };

    // 4. The replay: one batch file in the middle of each cut interval, cut by the grid.
    let cpu_before = crate::procstat::cpu_seconds(Some(server.pid()))?;
    let start = slot_start(now_ms(), cut_ms) + 2 * cut_ms;
    println!(
        "replaying {} batch files into the live data set, one per {} ms (cut grid), documents regenerated every {} ms; {} documents polled every {} ms",
        files.len(),
        cut_ms,
        regeneration_ms,
        paths.len(),
        regeneration_ms
    );
    // Each ingest: when it was sent, and when its rows were in the database.
    let mut ingests = Vec::new();
    for (k, file) in files.iter().enumerate() {
        let at = start + i64::try_from(k)? * cut_ms + cut_ms / 2;
        sleep_until(at);
        // Rows stored by another writer of the database, as ČSÚ's loaders do; the server
        // reads them at its next reload.
        let sent = now_ms();
        run_bin(
            &bin,
            &[
                "ingest",
                "--direct",
                "--config",
                config.to_str().unwrap_or_default(),
                "--election",
                ELECTION,
                file.to_str().unwrap_or_default(),
            ],
        )?;
        ingests.push((sent, now_ms()));
    }
    // Two more cuts: the last rows cut and published, the pollers caught up.
    sleep_until(start + i64::try_from(files.len())? * cut_ms + 2 * cut_ms);
    let cpu_replay = crate::procstat::cpu_seconds(Some(server.pid()))? - cpu_before;
    stop.store(true, Ordering::Relaxed);
    let polls = poller
        .join()
        .map_err(|_| anyhow::anyhow!("poller panicked"))?;
    let _ = sse_socket.shutdown(Shutdown::Both);
    let _ = sse_thread.join();
    let load_after = load_average();
    drop(server);
    let events = std::mem::take(&mut *events.lock().unwrap_or_else(|e| e.into_inner()));
    report(&polls, &events, &ingests, cut_ms, files.len(), cpu_replay);
    println!("load average at the end: {load_after}");
    let log = std::fs::read_to_string(&server_log).unwrap_or_default();
    report_server(&log, &events, cut_ms);
    if let Some(keep) = &options.server_log {
        std::fs::copy(&server_log, keep)
            .with_context(|| format!("copying the server log to {}", keep.display()))?;
        println!("server log: {}", keep.display());
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

fn report(
    polls: &Polls,
    events: &[Received],
    ingests: &[(i64, i64)],
    cut_ms: i64,
    files: usize,
    cpu_replay: f64,
) {
    let sum = |f: &dyn Fn(&DocPolls) -> u64| polls.docs.values().map(f).sum::<u64>();
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!(
        "ingest requests: {} (acknowledged: {})",
        files,
        median_p95_max(ingests.iter().map(|(sent, stored)| stored - sent).collect())
    );
    println!(
        "server CPU during the replay: {cpu_replay:.2} s ({:.3} s per batch)",
        cpu_replay / files.max(1) as f64
    );
    let (requests, not_modified) = (sum(&|d| d.requests), sum(&|d| d.not_modified));
    let (refetched, refetched_bytes, unchanged) = (
        sum(&|d| d.refetched),
        sum(&|d| d.refetched_bytes),
        sum(&|d| d.refetched_unchanged),
    );
    let (ref_changed, ref_changed_bytes, restamped, restamped_bytes) = (
        sum(&|d| d.ref_changed),
        sum(&|d| d.ref_changed_bytes),
        sum(&|d| d.ref_restamped),
        sum(&|d| d.ref_restamped_bytes),
    );
    println!(
        "newsroom poller (If-None-Match, content validators): {requests} conditional requests on {} documents, {not_modified} × 304, {refetched} re-downloads ({:.2} MiB), of them for unchanged content: {unchanged}",
        polls.docs.len(),
        mib(refetched_bytes)
    );
    println!(
        "reference (a tag over the whole document, as before content validators): {ref_changed} re-downloads ({:.2} MiB), of them with only DATUM_CAS_GENEROVANI changed: {restamped} ({:.2} MiB)",
        mib(ref_changed_bytes),
        mib(restamped_bytes)
    );
    if ref_changed_bytes > 0 {
        println!(
            "bytes re-downloaded: {:.2} MiB with content validators vs {:.2} MiB before, ratio {:.2}",
            mib(refetched_bytes),
            mib(ref_changed_bytes),
            refetched_bytes as f64 / ref_changed_bytes as f64
        );
    }
    println!(
        "documents: max-age matched the seconds to the next regeneration (±1 s) in {} of {} full answers",
        polls.max_age_aligned, polls.max_age_checked
    );
    let b = &polls.batches;
    println!(
        "batches: {} seen by polling; {} \"not yet\" answers, Retry-After = seconds to the next cut (±1 s) in {}, missing in {}",
        b.seen_ms.len(),
        b.not_yet,
        b.retry_after_aligned,
        b.retry_after_missing
    );
    // Events.
    let mut batch_delays = Vec::new();
    let mut doc_delays = Vec::new();
    let mut ahead = Vec::new();
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    // Each `davka` event: its batch number and delay, to tell whether late ones cluster.
    let mut per_batch: Vec<(Option<u64>, i64)> = Vec::new();
    for e in events {
        *names.entry(e.name.as_str()).or_default() += 1;
        if e.name != "davka" {
            continue;
        }
        let delay = e.at_ms - slot_start(e.at_ms, cut_ms);
        batch_delays.push(delay);
        per_batch.push((json_number(&e.data, "PORADI_DAVKY"), delay));
        if let Some(n) = json_number(&e.data, "PORADI_DAVKY")
            && let Some(seen) = u32::try_from(n).ok().and_then(|n| b.seen_ms.get(&n))
        {
            ahead.push(seen - e.at_ms);
        }
    }
    // Documents change at most once per regeneration period, at the server's first tick
    // after new rows reach it (its next reload, as rows from another writer do), so an
    // event's place in its period says little; its delay from the rows being stored does.
    for &(_, stored) in ingests {
        if let Some(first) = events
            .iter()
            .find(|e| e.name == "dokument" && e.at_ms >= stored)
        {
            doc_delays.push(first.at_ms - stored);
        }
    }
    println!("events received: {names:?}");
    println!(
        "SSE davka, from the cut (grid instant) to the event at the client: {}",
        median_p95_max(batch_delays)
    );
    let late: Vec<String> = per_batch
        .iter()
        .filter(|(_, delay)| *delay >= 50)
        .map(|(n, delay)| {
            format!(
                "{}: {delay} ms",
                n.map_or("?".to_owned(), |n| n.to_string())
            )
        })
        .collect();
    println!(
        "SSE davka events 50 ms or later (batch: delay): {}",
        if late.is_empty() {
            "none".to_owned()
        } else {
            late.join(", ")
        }
    );
    println!(
        "SSE dokument, from an ingest's rows stored (another writer) to the first event after it: {}",
        median_p95_max(doc_delays)
    );
    println!(
        "the poller saw each batch later than the event by: {}",
        median_p95_max(ahead)
    );
    if !polls.errors.is_empty() {
        println!(
            "poll errors: {} (first: {})",
            polls.errors.len(),
            polls.errors[0]
        );
    }
}

/// The `key=value` fields of a log line.
fn log_fields(line: &str) -> BTreeMap<&str, &str> {
    line.split_whitespace()
        .filter_map(|word| word.split_once('='))
        .collect()
}

fn log_number(fields: &BTreeMap<&str, &str>, name: &str) -> Option<i64> {
    fields.get(name).and_then(|v| v.parse().ok())
}

/// The server's side of the `davka` delays, from its debug lines: when the maintenance loop
/// woke after the grid instant, how long the cut's commit took (and whether the database
/// file was written meanwhile: a WAL checkpoint), when the batch was announced, how long
/// the frame waited for its connection; and those figures for each late event.
fn report_server(log: &str, events: &[Received], cut_ms: i64) {
    let mut cuts: BTreeMap<i64, BTreeMap<&str, &str>> = BTreeMap::new();
    let mut frames: BTreeMap<i64, i64> = BTreeMap::new();
    for line in log.lines() {
        let fields = log_fields(line);
        if line.contains("scheduled cut") {
            if let Some(due) = log_number(&fields, "due_ms") {
                cuts.insert(due, fields);
            }
        } else if line.contains("davka frame")
            && let (Some(at), Some(us)) = (
                log_number(&fields, "at_ms"),
                log_number(&fields, "after_publication_us"),
            )
        {
            frames.insert(slot_start(at, cut_ms), us);
        }
    }
    // Only cuts that announced a batch (a frame was sent in their slot).
    let with_batch: Vec<&BTreeMap<&str, &str>> = cuts
        .iter()
        .filter(|(due, _)| frames.contains_key(due))
        .map(|(_, f)| f)
        .collect();
    if with_batch.is_empty() {
        println!("server timing: no per-cut lines in the server's log");
        return;
    }
    let figure = |name: &str| -> Vec<i64> {
        with_batch
            .iter()
            .filter_map(|f| log_number(f, name))
            .collect()
    };
    for (name, what) in [
        (
            "woke_late_ms",
            "maintenance loop woke after the grid instant",
        ),
        ("reload_ms", "reload before the cut"),
        ("lock_wait_ms", "wait for the database connection"),
        ("commit_ms", "cut transactions (commit included)"),
        (
            "announced_late_ms",
            "batch announced after the grid instant",
        ),
        ("regenerate_ms", "regeneration after the cut"),
    ] {
        println!("server, {what}: {}", median_p95_max(figure(name)));
    }
    let written = with_batch
        .iter()
        .filter(|f| f.get("database_written") == Some(&"true"))
        .count();
    println!(
        "server, cuts during which the database file was written (a WAL checkpoint): {written} of {}",
        with_batch.len()
    );
    println!(
        "server, davka frame handed to the connection after its publication (µs): {}",
        median_p95_max(frames.values().copied().collect()).replace(" ms", " µs")
    );
    for e in events.iter().filter(|e| e.name == "davka") {
        let due = slot_start(e.at_ms, cut_ms);
        let delay = e.at_ms - due;
        if delay < 50 {
            continue;
        }
        let cut = cuts.get(&due);
        let get = |name: &str| {
            cut.and_then(|f| f.get(name).copied())
                .unwrap_or("?")
                .to_owned()
        };
        println!(
            "late davka {} ({delay} ms): woke +{} ms, reload {} ms, lock wait {} ms, commit {} ms (database written: {}, WAL {} → {} bytes), announced +{} ms, frame {} µs after publication",
            json_number(&e.data, "PORADI_DAVKY").map_or("?".to_owned(), |n| n.to_string()),
            get("woke_late_ms"),
            get("reload_ms"),
            get("lock_wait_ms"),
            get("commit_ms"),
            get("database_written"),
            get("wal_before"),
            get("wal_after"),
            get("announced_late_ms"),
            frames.get(&due).map_or("?".to_owned(), |us| us.to_string()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_drops_every_generation_time() {
        let a =
            br#"<A DATUM_CAS_GENEROVANI="2025-10-04T14:00:01"><B DATUM_CAS_GENEROVANI="x"/></A>"#;
        let b =
            br#"<A DATUM_CAS_GENEROVANI="2025-10-04T14:05:00"><B DATUM_CAS_GENEROVANI="y"/></A>"#;
        assert_eq!(content(a), content(b));
        assert_ne!(
            content(a),
            content(br#"<A DATUM_CAS_GENEROVANI="z"><C/></A>"#)
        );
    }

    #[test]
    fn chunked_bodies_are_decoded_across_chunks() {
        let wire = b"5\r\nevent\r\n7;x=1\r\n: a\n\nda\r\n0\r\n\r\n";
        let mut out = String::new();
        Chunked {
            inner: &wire[..],
            left: 0,
            done: false,
        }
        .read_to_string(&mut out)
        .unwrap();
        assert_eq!(out, "event: a\n\nda");
    }

    #[test]
    fn grid_seconds_round_up() {
        assert_eq!(secs_to_next(10_000, 5_000), 5);
        assert_eq!(secs_to_next(10_001, 5_000), 5);
        assert_eq!(secs_to_next(14_001, 5_000), 1);
        assert_eq!(
            json_number(r#"{"KOLO":1,"PORADI_DAVKY":12,"X":"a"}"#, "PORADI_DAVKY"),
            Some(12)
        );
    }
}
