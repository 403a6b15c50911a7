//! `check-resolver`: does a provider's resolver block the published list?
//!
//! For every blocked host of the RPZ zone (the same [`blocklist_model::rpz_triggers`] the zone
//! is written from) the resolver is asked for the host, its `www.` name and a random name under
//! it (every trigger blocks its subtree), and for a sample of removed entries. A name counts as
//! blocked only when the answer is the one the policy gives: NXDOMAIN, NODATA, or a CNAME to the
//! authority's landing name (or the landing addresses). Anything else — an address, SERVFAIL, a
//! timeout — is "not blocked", with the answer recorded.
//!
//! Queries go over UDP with a TCP retry when the answer is truncated, through hickory-dns; at
//! most `concurrency` are in flight and at most `rate` start per second, so the defaults are
//! safe against a provider's production resolver.

use blocklist_model::{
    NaiveDate, ReaderKind, RpzAnswer, RpzOptions, SourceConfig, UnifiedList, rpz_triggers,
};
use hickory_net::client::{Client, ClientHandle};
use hickory_net::proto::op::ResponseCode;
use hickory_net::proto::rr::{DNSClass, Name, RData, RecordType};
use hickory_net::runtime::TokioRuntimeProvider;
use hickory_net::tcp::TcpClientStream;
use hickory_net::udp::UdpClientStream;
use serde::Serialize;
use std::collections::BTreeSet;
use std::hash::BuildHasher;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How to check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The resolver (IPv4 or IPv6).
    pub resolver: SocketAddr,
    /// Queries in flight at most.
    pub concurrency: usize,
    /// Queries started per second at most.
    pub rate: u32,
    /// Time allowed for one answer (per transport attempt).
    pub timeout: Duration,
    /// How many removed entries to ask about (evenly spread over the list).
    pub removed_sample: usize,
}

impl CheckOptions {
    /// Defaults safe for a production resolver: 8 in flight, 200 queries/s, 3 s timeout,
    /// 20 removed entries.
    pub fn new(resolver: SocketAddr) -> Self {
        Self {
            resolver,
            concurrency: 8,
            rate: 200,
            timeout: Duration::from_secs(3),
            removed_sample: 20,
        }
    }
}

/// Parses `ADDR[:PORT]` (`192.0.2.1`, `192.0.2.1:5353`, `2001:db8::1`, `[2001:db8::1]:5353`);
/// the port defaults to 53.
pub fn parse_resolver(text: &str) -> Result<SocketAddr, CheckError> {
    text.parse::<SocketAddr>()
        .or_else(|_| text.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
        .map_err(|_| CheckError::Resolver(text.to_owned()))
}

/// What a resolver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// NXDOMAIN without answer records.
    Nxdomain,
    /// NOERROR without answer records.
    Nodata,
    /// The answer began with a CNAME to this name (no trailing dot, lower case).
    Cname(String),
    /// Addresses, without a CNAME.
    Addresses(Vec<IpAddr>),
    /// Another response code (SERVFAIL, REFUSED, …) or an answer of another shape.
    Other(String),
    /// No answer in time, over either transport.
    Timeout,
    /// The query could not be made.
    Error(String),
}

impl std::fmt::Display for Observed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Nxdomain => f.write_str("NXDOMAIN"),
            Self::Nodata => f.write_str("NODATA"),
            Self::Cname(name) => write!(f, "CNAME {name}."),
            Self::Addresses(addresses) => {
                let texts: Vec<String> = addresses.iter().map(ToString::to_string).collect();
                write!(f, "{}", texts.join(" "))
            }
            Self::Other(text) => f.write_str(text),
            Self::Timeout => f.write_str("timeout"),
            Self::Error(text) => write!(f, "error: {text}"),
        }
    }
}

/// Whether `observed` is what the policy's `expected` answer looks like.
pub fn is_blocked(expected: &RpzAnswer<'_>, observed: &Observed) -> bool {
    match (expected, observed) {
        (RpzAnswer::Nxdomain, Observed::Nxdomain) | (RpzAnswer::Nodata, Observed::Nodata) => true,
        (RpzAnswer::Cname(landing), Observed::Cname(target)) => {
            landing.eq_ignore_ascii_case(target)
        }
        (RpzAnswer::Addresses { ipv4, ipv6 }, Observed::Addresses(got)) => {
            let wanted: BTreeSet<IpAddr> = match ipv4 {
                Some(a) => [IpAddr::V4(*a)].into(),
                None => ipv6.iter().map(|a| IpAddr::V6(*a)).collect(),
            };
            got.iter().copied().collect::<BTreeSet<_>>() == wanted
        }
        _ => false,
    }
}

/// One name that was not blocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotBlocked {
    /// The blocked host of the zone (the list's normalised host).
    pub host: String,
    /// The name asked (`host`, `www.host` or a random name under it).
    pub name: String,
    /// What the resolver answered.
    pub answer: String,
    /// `DATUM_ZAPISU` of the earliest row that blocks the host.
    pub entry_date: NaiveDate,
    /// `ZDROJ` of that row.
    pub authority: String,
    /// `NAZEV_DATOVE_SADY` of that row.
    pub dataset: String,
}

/// A removed entry the resolver still answers as blocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StillBlocked {
    /// The removed host.
    pub host: String,
    /// What the resolver answered.
    pub answer: String,
    /// `DATUM_VYMAZU`.
    pub removal_date: NaiveDate,
    /// `ZDROJ`.
    pub authority: String,
}

/// The result of a check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// The resolver asked.
    pub resolver: String,
    /// Active blocked hosts checked.
    pub checked: usize,
    /// Of those, hosts whose every name was answered as the policy gives.
    pub blocked: usize,
    /// Every name not answered as the policy gives.
    pub not_blocked: Vec<NotBlocked>,
    /// Removed entries asked about.
    pub removed_checked: usize,
    /// Removed entries still answered as blocked. Informational: a removed site that no
    /// longer exists answers NXDOMAIN anyway.
    pub removed_still_blocked: Vec<StillBlocked>,
    /// Queries sent (UDP; TCP retries not counted).
    pub queries: usize,
    /// Queries retried over TCP because the UDP answer was truncated.
    pub tcp_retries: usize,
    /// Wall time.
    pub elapsed_secs: f64,
}

impl CheckReport {
    /// Every active entry is blocked.
    pub fn all_blocked(&self) -> bool {
        self.not_blocked.is_empty() && self.blocked == self.checked
    }
}

/// The check could not run.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The resolver address is not `ADDR[:PORT]`.
    #[error("{0:?} is not a resolver address (ADDR or ADDR:PORT, IPv6 in brackets with a port)")]
    Resolver(String),
    /// The publication cannot be read.
    #[error("cannot read the publication {path}: {message}")]
    Publication {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The zone's policy is unusable.
    #[error(transparent)]
    Rpz(#[from] blocklist_model::RpzError),
    /// A limit is zero.
    #[error("--concurrency and --rate must be at least 1")]
    Limits,
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// Reads the list of the publication in `out` (its extended CSV) as valid on `date`.
pub fn published_list(out: &Path, date: NaiveDate) -> Result<UnifiedList, CheckError> {
    let path = out.join(crate::update::files::EXTENDED_CSV);
    let error = |message: String| CheckError::Publication {
        path: path.display().to_string(),
        message,
    };
    let bytes = std::fs::read(&path).map_err(|e| error(e.to_string()))?;
    let read = blocklist_model::read_source(&SourceConfig::new("", "", ReaderKind::Decree), &bytes)
        .map_err(|e| error(e.to_string()))?;
    Ok(UnifiedList::merge(date, read.entries))
}

/// One question to the resolver.
struct Probe<'a> {
    subject: Subject<'a>,
    name: String,
}

/// What a probe checks.
enum Subject<'a> {
    /// That the zone's `index`-th trigger is applied; `first` is its earliest row (the one a
    /// failure is reported with).
    Trigger {
        index: usize,
        trigger: &'a blocklist_model::RpzTrigger<'a>,
        first: &'a blocklist_model::Entry,
    },
    /// That a removed row is no longer blocked.
    Removed(&'a blocklist_model::Entry),
}

/// A random label (per process and probe), so the answer cannot come from a cache filled by
/// someone else's query.
fn random_label(seed: &std::collections::hash_map::RandomState, i: usize) -> String {
    format!("ub-{:012x}", seed.hash_one(i) & 0xffff_ffff_ffff)
}

/// Checks `resolver` against the zone `list` and `rpz` give. `progress` is called with (done,
/// total) queries now and then.
pub fn check_resolver(
    list: &UnifiedList,
    rpz: &RpzOptions,
    options: &CheckOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<CheckReport, CheckError> {
    if options.concurrency == 0 || options.rate == 0 {
        return Err(CheckError::Limits);
    }
    let triggers = rpz_triggers(list, rpz)?;
    let blocked: BTreeSet<&str> = triggers.iter().map(|t| t.host).collect();
    let covered = |host: &str| {
        let mut rest = host;
        loop {
            if blocked.contains(rest) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) => rest = parent,
                None => return false,
            }
        }
    };
    let removed: Vec<&blocklist_model::Entry> = {
        let mut seen = BTreeSet::new();
        let candidates: Vec<_> = list
            .entries()
            .iter()
            .filter(|e| !e.is_active_on(list.valid_as_of()) && e.dns_blockable())
            .filter(|e| e.host().is_some_and(|h| !covered(h) && seen.insert(h)))
            .collect();
        let step = (candidates.len() / options.removed_sample.max(1)).max(1);
        candidates
            .into_iter()
            .step_by(step)
            .take(options.removed_sample)
            .collect()
    };
    let seed = std::collections::hash_map::RandomState::new();
    let mut probes = Vec::with_capacity(triggers.len() * 3 + removed.len());
    // Every trigger has a row (rpz_triggers makes triggers from rows); one without would
    // go unprobed and so be counted as not blocked.
    let mut probed_triggers = 0usize;
    for (index, trigger) in triggers.iter().enumerate() {
        let Some(&first) = trigger.entries.first() else {
            continue;
        };
        probed_triggers += 1;
        for name in [
            trigger.host.to_owned(),
            format!("www.{}", trigger.host),
            format!("{}.{}", random_label(&seed, index), trigger.host),
        ] {
            probes.push(Probe {
                subject: Subject::Trigger {
                    index,
                    trigger,
                    first,
                },
                name,
            });
        }
    }
    for &entry in &removed {
        probes.push(Probe {
            subject: Subject::Removed(entry),
            name: entry.host().unwrap_or_default().to_owned(),
        });
    }
    let qtype = match rpz.action {
        blocklist_model::RpzAction::Landing {
            ipv4: None,
            ipv6: Some(_),
        } => RecordType::AAAA,
        _ => RecordType::A,
    };

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CheckError::Runtime)?;
    let started = Instant::now();
    let tcp_retries = Arc::new(AtomicUsize::new(0));
    let answers = runtime.block_on(ask_all(
        &probes,
        qtype,
        options,
        Arc::clone(&tcp_retries),
        progress,
    ));

    let mut report = CheckReport {
        resolver: options.resolver.to_string(),
        checked: triggers.len(),
        blocked: 0,
        not_blocked: Vec::new(),
        removed_checked: removed.len(),
        removed_still_blocked: Vec::new(),
        queries: probes.len(),
        tcp_retries: tcp_retries.load(Ordering::Relaxed),
        elapsed_secs: 0.0,
    };
    // The triggers with a probe that was not blocked.
    let mut failed = BTreeSet::new();
    for (probe, observed) in probes.iter().zip(&answers) {
        match probe.subject {
            Subject::Trigger {
                index,
                trigger: t,
                first,
            } => {
                if !is_blocked(&t.answer, observed) {
                    failed.insert(index);
                    report.not_blocked.push(NotBlocked {
                        host: t.host.to_owned(),
                        name: probe.name.clone(),
                        answer: observed.to_string(),
                        entry_date: first.entered(),
                        authority: first.authority().to_owned(),
                        dataset: first.dataset().to_owned(),
                    });
                }
            }
            Subject::Removed(e) => {
                let as_blocked = match observed {
                    Observed::Nxdomain => rpz.action == blocklist_model::RpzAction::Nxdomain,
                    Observed::Nodata => rpz.action == blocklist_model::RpzAction::Nodata,
                    Observed::Cname(target) => match &rpz.action {
                        blocklist_model::RpzAction::LandingCname(names) => names
                            .by_authority
                            .values()
                            .chain(&names.default)
                            .any(|n| n.trim_end_matches('.').eq_ignore_ascii_case(target)),
                        _ => false,
                    },
                    _ => false,
                };
                if as_blocked {
                    report.removed_still_blocked.push(StillBlocked {
                        host: probe.name.clone(),
                        answer: observed.to_string(),
                        removal_date: e.removed().unwrap_or(e.entered()),
                        authority: e.authority().to_owned(),
                    });
                }
            }
        }
    }
    report.blocked = probed_triggers.saturating_sub(failed.len());
    report.elapsed_secs = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Asks every probe, in order of the returned vector, within the limits.
async fn ask_all(
    probes: &[Probe<'_>],
    qtype: RecordType,
    options: &CheckOptions,
    tcp_retries: Arc<AtomicUsize>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Observed> {
    let provider = TokioRuntimeProvider::new();
    let udp = UdpClientStream::builder(options.resolver, provider.clone())
        .with_timeout(Some(options.timeout))
        .with_max_retries(1)
        .build();
    let (udp_client, background) = Client::<TokioRuntimeProvider>::from_sender(udp);
    let udp_task = tokio::spawn(background);
    let tcp: Arc<tokio::sync::OnceCell<Option<Client<TokioRuntimeProvider>>>> =
        Arc::new(tokio::sync::OnceCell::new());
    let permits = Arc::new(tokio::sync::Semaphore::new(options.concurrency));
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(options.rate)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    let mut last_progress = Instant::now();
    for (i, probe) in probes.iter().enumerate() {
        ticker.tick().await;
        #[expect(
            clippy::expect_used,
            reason = "the semaphore is local to this function and never closed"
        )]
        let permit = Arc::clone(&permits)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let (mut udp_client, tcp, tcp_retries, finished) = (
            udp_client.clone(),
            Arc::clone(&tcp),
            Arc::clone(&tcp_retries),
            Arc::clone(&done),
        );
        let (name, resolver, timeout, provider) = (
            probe.name.clone(),
            options.resolver,
            options.timeout,
            provider.clone(),
        );
        tasks.spawn(async move {
            let observed = ask(
                &mut udp_client,
                &tcp,
                &tcp_retries,
                &name,
                qtype,
                resolver,
                timeout,
                provider,
            )
            .await;
            drop(permit);
            finished.fetch_add(1, Ordering::Relaxed);
            (i, observed)
        });
        if last_progress.elapsed() > Duration::from_millis(250) {
            progress(done.load(Ordering::Relaxed), probes.len());
            last_progress = Instant::now();
        }
    }
    let mut answers = vec![Observed::Timeout; probes.len()];
    while let Some(joined) = tasks.join_next().await {
        if let Some((slot, observed)) = joined
            .ok()
            .and_then(|(i, observed)| Some((answers.get_mut(i)?, observed)))
        {
            *slot = observed;
        }
        if last_progress.elapsed() > Duration::from_millis(250) {
            progress(done.load(Ordering::Relaxed), probes.len());
            last_progress = Instant::now();
        }
    }
    progress(probes.len(), probes.len());
    udp_task.abort();
    answers
}

#[allow(clippy::too_many_arguments)]
async fn ask(
    udp: &mut Client<TokioRuntimeProvider>,
    tcp: &tokio::sync::OnceCell<Option<Client<TokioRuntimeProvider>>>,
    tcp_retries: &AtomicUsize,
    name: &str,
    qtype: RecordType,
    resolver: SocketAddr,
    timeout: Duration,
    provider: TokioRuntimeProvider,
) -> Observed {
    let Ok(qname) = Name::from_ascii(format!("{name}.")) else {
        return Observed::Error(format!("{name:?} is not a DNS name"));
    };
    let response = match udp.query(qname.clone(), DNSClass::IN, qtype).await {
        Ok(response) => response,
        Err(e) => return from_error(&e),
    };
    if !response.truncation {
        return observe(&response, &qname);
    }
    tcp_retries.fetch_add(1, Ordering::Relaxed);
    let client = tcp
        .get_or_init(|| async move {
            let (stream, sender) = TcpClientStream::new(resolver, None, Some(timeout), provider);
            let stream = stream.await.ok()?;
            let (client, background) =
                Client::<TokioRuntimeProvider>::with_timeout(stream, sender, timeout);
            tokio::spawn(background);
            Some(client)
        })
        .await;
    let Some(client) = client else {
        return Observed::Error(format!(
            "truncated over UDP and no TCP connection to {resolver}"
        ));
    };
    match client
        .clone()
        .query(qname.clone(), DNSClass::IN, qtype)
        .await
    {
        Ok(response) => observe(&response, &qname),
        Err(e) => from_error(&e),
    }
}

fn from_error(error: &hickory_net::NetError) -> Observed {
    let text = error.to_string();
    if text.to_ascii_lowercase().contains("timed out") || text.contains("timeout") {
        Observed::Timeout
    } else {
        Observed::Error(text)
    }
}

fn observe(response: &hickory_net::proto::op::DnsResponse, qname: &Name) -> Observed {
    let code = response.response_code;
    let answers = &response.answers;
    if answers.is_empty() {
        return match code {
            ResponseCode::NXDomain => Observed::Nxdomain,
            ResponseCode::NoError => Observed::Nodata,
            other => Observed::Other(other.to_string()),
        };
    }
    if code != ResponseCode::NoError {
        return Observed::Other(format!("{code} with {} answer records", answers.len()));
    }
    if let Some(first) = answers.first()
        && let RData::CNAME(target) = &first.data
        && first
            .name
            .to_ascii()
            .eq_ignore_ascii_case(&qname.to_ascii())
    {
        let target = target.0.to_ascii();
        return Observed::Cname(target.trim_end_matches('.').to_ascii_lowercase());
    }
    let addresses: Vec<IpAddr> = answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            RData::AAAA(a) => Some(IpAddr::V6(a.0)),
            _ => None,
        })
        .collect();
    if addresses.is_empty() {
        Observed::Other(format!(
            "{} answer records without addresses",
            answers.len()
        ))
    } else {
        Observed::Addresses(addresses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolver_addresses() {
        assert_eq!(
            parse_resolver("192.0.2.1").unwrap(),
            "192.0.2.1:53".parse().unwrap()
        );
        assert_eq!(
            parse_resolver("[::1]:5353").unwrap(),
            "[::1]:5353".parse().unwrap()
        );
        assert_eq!(parse_resolver("::1").unwrap(), "[::1]:53".parse().unwrap());
        assert!(parse_resolver("resolver.example").is_err());
    }

    #[test]
    fn only_the_policy_answer_counts_as_blocked() {
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(is_blocked(&RpzAnswer::Nxdomain, &Observed::Nxdomain));
        assert!(!is_blocked(&RpzAnswer::Nxdomain, &Observed::Nodata));
        assert!(!is_blocked(
            &RpzAnswer::Nxdomain,
            &Observed::Other("SERVFAIL".into())
        ));
        assert!(!is_blocked(&RpzAnswer::Nxdomain, &Observed::Timeout));
        assert!(!is_blocked(
            &RpzAnswer::Nxdomain,
            &Observed::Addresses(vec![ip])
        ));
        assert!(is_blocked(
            &RpzAnswer::Cname("blokace.example.cz"),
            &Observed::Cname("blokace.example.cz".into())
        ));
        assert!(!is_blocked(
            &RpzAnswer::Cname("blokace.example.cz"),
            &Observed::Cname("jinde.example.cz".into())
        ));
        assert!(is_blocked(
            &RpzAnswer::Addresses {
                ipv4: Some("192.0.2.1".parse().unwrap()),
                ipv6: None
            },
            &Observed::Addresses(vec![ip])
        ));
    }
}

/// Output formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// A summary and one line per name not blocked.
    Human,
    /// The [`CheckReport`] as JSON.
    Json,
    /// One row per name not blocked: `host,name,answer,entry_date,authority,dataset`.
    Csv,
}

/// Renders `report` in `format`.
pub fn render(report: &CheckReport, format: ReportFormat) -> String {
    match format {
        ReportFormat::Json => {
            let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
            text.push('\n');
            text
        }
        ReportFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            let _ = writer.write_record([
                "host",
                "name",
                "answer",
                "entry_date",
                "authority",
                "dataset",
            ]);
            for n in &report.not_blocked {
                let date = n.entry_date.to_string();
                let _ = writer.write_record([
                    &n.host,
                    &n.name,
                    &n.answer,
                    &date,
                    &n.authority,
                    &n.dataset,
                ]);
            }
            String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
        }
        ReportFormat::Human => {
            let mut text = format!(
                "resolver {}: {} of {} blocked hosts answered as the policy gives ({} queries, {} over TCP, {:.1} s, {:.0} queries/s)\n",
                report.resolver,
                report.blocked,
                report.checked,
                report.queries,
                report.tcp_retries,
                report.elapsed_secs,
                report.queries as f64 / report.elapsed_secs.max(f64::EPSILON),
            );
            for n in &report.not_blocked {
                text.push_str(&format!(
                    "NOT BLOCKED {} ({}): {} — listed {} by {}\n",
                    n.name, n.host, n.answer, n.entry_date, n.authority
                ));
            }
            text.push_str(&format!(
                "removed entries asked: {}, still answered as blocked: {}\n",
                report.removed_checked,
                report.removed_still_blocked.len()
            ));
            for s in &report.removed_still_blocked {
                text.push_str(&format!(
                    "still blocked {}: {} (removed {} by {})\n",
                    s.host, s.answer, s.removal_date, s.authority
                ));
            }
            text
        }
    }
}
