//! DNS exports: an RPZ zone and a plain list of active hosts.

use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

use chrono::{Datelike, NaiveDate};

use crate::list::{UnifiedList, WwwPolicy};

/// What a resolver answers for a blocked name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RpzAction {
    /// `CNAME .`: NXDOMAIN.
    Nxdomain,
    /// A/AAAA records pointing to a landing page (local data; what Knot Resolver 5 supports).
    Landing {
        /// The landing page's IPv4 address.
        ipv4: Option<Ipv4Addr>,
        /// The landing page's IPv6 address.
        ipv6: Option<Ipv6Addr>,
    },
}

/// Settings of the RPZ zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpzOptions {
    /// The zone's origin, e.g. `rpz.example.cz` (a trailing dot is optional).
    pub origin: String,
    /// SOA serial; use [`next_serial`] so it increases strictly across publications.
    pub serial: u32,
    /// Primary name server in the SOA (absolute name).
    pub primary_ns: String,
    /// Responsible mailbox in the SOA, in DNS form (`hostmaster.example.cz`).
    pub hostmaster: String,
    /// Default TTL of the records.
    pub ttl: u32,
    /// SOA refresh, retry, expire, negative-cache TTL.
    pub refresh: u32,
    /// SOA retry.
    pub retry: u32,
    /// SOA expire.
    pub expire: u32,
    /// SOA minimum (negative-cache TTL).
    pub minimum: u32,
    /// The action for blocked names.
    pub action: RpzAction,
    /// Whether `www.x` also blocks `x`.
    pub www: WwwPolicy,
}

impl RpzOptions {
    /// Options with the usual timers (TTL 300, refresh 3600, retry 600, expire 604800,
    /// minimum 300), NXDOMAIN answers, `localhost` as NS and `hostmaster.<origin>`.
    pub fn new(origin: impl Into<String>, serial: u32) -> Self {
        let origin: String = origin.into();
        let bare = origin.trim_end_matches('.').to_owned();
        Self {
            primary_ns: "localhost".to_owned(),
            hostmaster: format!("hostmaster.{bare}"),
            origin: bare,
            serial,
            ttl: 300,
            refresh: 3600,
            retry: 600,
            expire: 604_800,
            minimum: 300,
            action: RpzAction::Nxdomain,
            www: WwwPolicy::AlsoApex,
        }
    }
}

/// A zone could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RpzError {
    /// Writing failed.
    #[error("writing the RPZ zone: {0}")]
    Io(#[from] io::Error),
    /// An option is not a valid DNS name.
    #[error("RPZ option {option}: {value:?} is not a valid absolute DNS name")]
    InvalidName {
        /// The option.
        option: &'static str,
        /// Its value.
        value: String,
    },
    /// A landing action without any address.
    #[error("RPZ landing action needs an IPv4 or IPv6 address")]
    NoLandingAddress,
}

/// The SOA serial could not be advanced.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("SOA serial {previous} cannot be advanced (it would exceed 4294967295)")]
pub struct SerialError {
    /// The previous serial.
    pub previous: u32,
}

/// The next SOA serial: `YYYYMMDD00` of the validity date, or the previous serial plus one when
/// that is not larger. So serials strictly increase across publications, several a day included.
pub fn next_serial(previous: Option<u32>, valid_as_of: NaiveDate) -> Result<u32, SerialError> {
    let dated = u64::from(valid_as_of.year().max(0).unsigned_abs()) * 1_000_000
        + u64::from(valid_as_of.month()) * 10_000
        + u64::from(valid_as_of.day()) * 100;
    let candidate = u32::try_from(dated).unwrap_or(u32::MAX);
    match previous {
        Some(p) if p >= candidate => p.checked_add(1).ok_or(SerialError { previous: p }),
        _ => Ok(candidate),
    }
}

/// What a DNS export wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DnsExportReport {
    /// Distinct names blocked.
    pub hosts: usize,
    /// Names left out because the name under the zone origin would exceed 255 octets.
    pub too_long: usize,
}

fn valid_absolute_name(name: &str) -> bool {
    let n = name.trim_end_matches('.');
    !n.is_empty()
        && n.len() <= 253
        && n.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Writes an RPZ zone (draft-vixie-dns-rpz) that BIND, Unbound and Knot Resolver load: SOA, NS,
/// then `host CNAME .` and `*.host CNAME .` (or A/AAAA to the landing address) for every active
/// DNS-blockable host, once per host however many sources list it. Owner names are only ever
/// validated lower-case ASCII DNS names: never a `/`, never non-ASCII.
pub fn write_rpz(
    list: &UnifiedList,
    options: &RpzOptions,
    mut out: impl Write,
) -> Result<DnsExportReport, RpzError> {
    for (option, value) in [
        ("origin", &options.origin),
        ("primary_ns", &options.primary_ns),
        ("hostmaster", &options.hostmaster),
    ] {
        if !valid_absolute_name(value) {
            return Err(RpzError::InvalidName {
                option,
                value: value.clone(),
            });
        }
    }
    let rdata: Vec<String> = match options.action {
        RpzAction::Nxdomain => vec!["CNAME .".to_owned()],
        RpzAction::Landing { ipv4, ipv6 } => {
            let mut v = Vec::new();
            if let Some(a) = ipv4 {
                v.push(format!("A {a}"));
            }
            if let Some(a) = ipv6 {
                v.push(format!("AAAA {a}"));
            }
            if v.is_empty() {
                return Err(RpzError::NoLandingAddress);
            }
            v
        }
    };
    let origin = options.origin.trim_end_matches('.');
    let hosts = list.blocked_hosts(options.www);
    let mut out = io::BufWriter::new(&mut out);
    writeln!(
        out,
        "; Unified list of blocked websites (RPZ), valid as of {}",
        list.valid_as_of()
    )?;
    writeln!(out, "$TTL {}", options.ttl)?;
    writeln!(out, "$ORIGIN {origin}.")?;
    writeln!(
        out,
        "@ IN SOA {}. {}. ( {} {} {} {} {} )",
        options.primary_ns.trim_end_matches('.'),
        options.hostmaster.trim_end_matches('.'),
        options.serial,
        options.refresh,
        options.retry,
        options.expire,
        options.minimum
    )?;
    writeln!(out, "@ IN NS {}.", options.primary_ns.trim_end_matches('.'))?;
    let mut report = DnsExportReport::default();
    for host in hosts.keys() {
        // Wire length of "*.host.origin.": each label plus its length octet, plus the root.
        if host.len() + origin.len() + 2 + 2 + 1 > 255 {
            report.too_long += 1;
            continue;
        }
        for owner in [*host, &format!("*.{host}")] {
            for r in &rdata {
                writeln!(out, "{owner} {r}")?;
            }
        }
        report.hosts += 1;
    }
    out.flush()?;
    Ok(report)
}

/// Writes the active DNS-blockable hosts, one per line (LF), in byte order, each once.
pub fn write_plain_hosts(
    list: &UnifiedList,
    www: WwwPolicy,
    mut out: impl Write,
) -> io::Result<DnsExportReport> {
    let hosts = list.blocked_hosts(www);
    let mut out = io::BufWriter::new(&mut out);
    for host in hosts.keys() {
        out.write_all(host.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(DnsExportReport {
        hosts: hosts.len(),
        too_long: 0,
    })
}
