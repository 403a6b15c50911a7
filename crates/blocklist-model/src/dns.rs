//! DNS exports: an RPZ zone and a plain list of active hosts.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

use chrono::{Datelike, NaiveDate};

use crate::entry::Entry;
use crate::list::{UnifiedList, WwwPolicy};

/// What a resolver answers for a blocked name (the RPZ policy).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RpzAction {
    /// `CNAME .`: NXDOMAIN, the name does not exist.
    Nxdomain,
    /// `CNAME *.`: NODATA, the name exists but has no records of any type.
    Nodata,
    /// A/AAAA records pointing to a landing page (local data; what Knot Resolver 5 supports).
    Landing {
        /// The landing page's IPv4 address.
        ipv4: Option<Ipv4Addr>,
        /// The landing page's IPv6 address.
        ipv6: Option<Ipv6Addr>,
    },
    /// `CNAME <name>.`: a landing page per authority, as CESNET's `rpz.cesnet.cz` does. A host
    /// listed by several authorities lands on the page of the one that listed it first.
    LandingCname(LandingNames),
}

/// The landing names of [`RpzAction::LandingCname`]: one per authority (`ZDROJ`), and the name
/// used for an authority without one of its own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LandingNames {
    /// Landing name per authority, keyed by the authority's name as in `ZDROJ`.
    pub by_authority: BTreeMap<String, String>,
    /// The landing name for any other authority; `None` makes such an authority an error.
    pub default: Option<String>,
}

impl LandingNames {
    /// The landing name for `authority`, without its trailing dot.
    pub fn for_authority(&self, authority: &str) -> Option<&str> {
        self.by_authority
            .get(authority)
            .or(self.default.as_ref())
            .map(|n| n.trim_end_matches('.'))
    }
}

/// What the policy makes a resolver answer for one blocked name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RpzAnswer<'a> {
    /// NXDOMAIN.
    Nxdomain,
    /// NOERROR with no answer records.
    Nodata,
    /// The landing page's addresses.
    Addresses {
        /// IPv4 (A).
        ipv4: Option<Ipv4Addr>,
        /// IPv6 (AAAA).
        ipv6: Option<Ipv6Addr>,
    },
    /// A CNAME to this landing name (no trailing dot).
    Cname(&'a str),
}

/// One blocked host of the zone: the owner names `host` and `*.host`, the list rows that
/// block it (active, DNS-blockable, in the list's order) and the answer the policy gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpzTrigger<'a> {
    /// The blocked host (normalised, ASCII, no trailing dot).
    pub host: &'a str,
    /// The rows that block it, earliest listing first.
    pub entries: Vec<&'a Entry>,
    /// What a resolver applying the zone answers for the host and every name under it.
    pub answer: RpzAnswer<'a>,
}

/// The label under which the provenance TXT of `host` is published: `_info.host`, as CESNET
/// does. An exact owner name, so it wins over the `*.host` wildcard.
pub const PROVENANCE_LABEL: &str = "_info";

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
    /// Publish `_info.<host> TXT` records with each blocking row's authority, dataset and
    /// entry date, so a provider can tell why a name is blocked.
    pub provenance: bool,
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
            provenance: false,
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
    /// A CNAME landing policy with no landing name for an authority that blocks a host.
    #[error(
        "RPZ landing policy: no landing name for authority {authority:?} (host {host}); configure one or a default"
    )]
    NoLandingName {
        /// The authority.
        authority: String,
        /// A host it blocks.
        host: String,
    },
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
    /// Provenance TXT records written.
    pub provenance_records: usize,
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

/// The blocked hosts of `list` under `options`, in byte order, each with the rows that block it
/// and the answer the policy gives: the zone [`write_rpz`] writes, as data (a resolver check
/// compares answers with it). Hosts whose owner names would exceed 255 octets under the origin
/// are left out, as in the zone.
pub fn rpz_triggers<'a>(
    list: &'a UnifiedList,
    options: &'a RpzOptions,
) -> Result<Vec<RpzTrigger<'a>>, RpzError> {
    check_options(options)?;
    let origin = options.origin.trim_end_matches('.');
    let mut hosts: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for e in list.active().filter(|e| e.dns_blockable()) {
        let Some(host) = e.host() else { continue };
        hosts.entry(host).or_default().push(e);
        if options.www == WwwPolicy::AlsoApex
            && e.leading_www()
            && let Some(apex) = host.strip_prefix("www.")
        {
            hosts.entry(apex).or_default().push(e);
        }
    }
    let mut triggers = Vec::with_capacity(hosts.len());
    for (host, entries) in hosts {
        // Every host has the entry that put it in the map.
        let Some(earliest) = entries.first() else {
            continue;
        };
        if too_long(host, origin, 2) {
            continue;
        }
        let answer = match &options.action {
            RpzAction::Nxdomain => RpzAnswer::Nxdomain,
            RpzAction::Nodata => RpzAnswer::Nodata,
            RpzAction::Landing { ipv4, ipv6 } => RpzAnswer::Addresses {
                ipv4: *ipv4,
                ipv6: *ipv6,
            },
            RpzAction::LandingCname(names) => {
                // The list's order puts the earliest listing first.
                let authority = earliest.authority();
                RpzAnswer::Cname(names.for_authority(authority).ok_or_else(|| {
                    RpzError::NoLandingName {
                        authority: authority.to_owned(),
                        host: host.to_owned(),
                    }
                })?)
            }
        };
        triggers.push(RpzTrigger {
            host,
            entries,
            answer,
        });
    }
    Ok(triggers)
}

/// Whether `prefix_len` more octets (e.g. `*.` = 2, `_info.` = 6) before `host.origin.` make
/// the name longer than 255 octets on the wire (each label plus its length octet, plus the
/// root).
fn too_long(host: &str, origin: &str, prefix_len: usize) -> bool {
    prefix_len + host.len() + 1 + origin.len() + 2 > 255
}

fn check_options(options: &RpzOptions) -> Result<(), RpzError> {
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
    match &options.action {
        RpzAction::Landing {
            ipv4: None,
            ipv6: None,
        } => return Err(RpzError::NoLandingAddress),
        RpzAction::LandingCname(names) => {
            for value in names.by_authority.values().chain(&names.default) {
                if !valid_absolute_name(value) {
                    return Err(RpzError::InvalidName {
                        option: "landing name",
                        value: value.clone(),
                    });
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// One TXT character-string in zone-file syntax: quoted, with `"`, `\` and every byte outside
/// printable ASCII as `\DDD`, so the zone file stays ASCII whatever the authority's name. At
/// most 255 octets of data, cut at a character boundary.
fn txt_string(text: &str) -> String {
    let mut end = text.len().min(255);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(end + 2);
    out.push('"');
    for b in text.get(..end).unwrap_or_default().bytes() {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out.push('"');
    out
}

/// The provenance TXT record data of one row: `zdroj=…`, `datova_sada=…`, `datum_zapisu=…`
/// as three character-strings (the decree's column names).
pub fn provenance_txt(entry: &Entry) -> [String; 3] {
    [
        format!("zdroj={}", entry.authority()),
        format!("datova_sada={}", entry.dataset()),
        format!("datum_zapisu={}", entry.entered().format("%Y-%m-%d")),
    ]
}

/// Writes an RPZ zone (draft-vixie-dns-rpz) that BIND, Unbound and Knot Resolver load: SOA, NS,
/// then for every active DNS-blockable host, once however many sources list it, `host` and
/// `*.host` with the policy's records (`CNAME .`, `CNAME *.`, `CNAME <landing>.` or A/AAAA),
/// and with [`RpzOptions::provenance`] `_info.host TXT` per blocking row. Owner names are only
/// ever validated lower-case ASCII DNS names: never a `/`, never non-ASCII.
pub fn write_rpz(
    list: &UnifiedList,
    options: &RpzOptions,
    mut out: impl Write,
) -> Result<DnsExportReport, RpzError> {
    let triggers = rpz_triggers(list, options)?;
    let origin = options.origin.trim_end_matches('.');
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
    let mut report = DnsExportReport {
        too_long: list.blocked_hosts(options.www).len() - triggers.len(),
        ..DnsExportReport::default()
    };
    let mut rdata: Vec<String> = Vec::with_capacity(2);
    for trigger in &triggers {
        rdata.clear();
        match trigger.answer {
            RpzAnswer::Nxdomain => rdata.push("CNAME .".to_owned()),
            RpzAnswer::Nodata => rdata.push("CNAME *.".to_owned()),
            RpzAnswer::Cname(name) => rdata.push(format!("CNAME {name}.")),
            RpzAnswer::Addresses { ipv4, ipv6 } => {
                rdata.extend(ipv4.map(|a| format!("A {a}")));
                rdata.extend(ipv6.map(|a| format!("AAAA {a}")));
            }
        }
        let host = trigger.host;
        for owner in [host, &format!("*.{host}")] {
            for r in &rdata {
                writeln!(out, "{owner} {r}")?;
            }
        }
        if options.provenance && !too_long(host, origin, PROVENANCE_LABEL.len() + 1) {
            for entry in &trigger.entries {
                let [a, b, c] = provenance_txt(entry);
                writeln!(
                    out,
                    "{PROVENANCE_LABEL}.{host} TXT {} {} {}",
                    txt_string(&a),
                    txt_string(&b),
                    txt_string(&c)
                )?;
                report.provenance_records += 1;
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
        provenance_records: 0,
    })
}
