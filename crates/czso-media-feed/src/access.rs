//! Access control by client address and election phase.

use crate::error::{Error, Result};
use crate::phase::Phase;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Kind of a registered address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AddressKind {
    /// Allowed in the `test` and `live` phases.
    Production,
    /// Allowed only in the `test` phase; cut off during real processing.
    Test,
}

impl AddressKind {
    /// Name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Test => "test",
        }
    }
}

/// What an address was granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Organisation id.
    pub organisation: i64,
    /// Organisation name.
    pub name: Arc<str>,
    /// Address kind.
    pub kind: AddressKind,
}

/// The allow list: address → grant. Built from the registry (approved organisations only).
#[derive(Debug, Clone, Default)]
pub struct AccessList {
    map: HashMap<IpAddr, Grant>,
}

impl AccessList {
    /// Adds an address (normalised).
    pub fn insert(&mut self, ip: IpAddr, grant: Grant) {
        self.map.insert(ip.to_canonical(), grant);
    }

    /// The grant of an address (normalised first).
    pub fn get(&self, ip: IpAddr) -> Option<&Grant> {
        self.map.get(&ip.to_canonical())
    }

    /// Number of addresses.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no address is allowed.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Every address with its grant.
    pub fn iter(&self) -> impl Iterator<Item = (&IpAddr, &Grant)> {
        self.map.iter()
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The address is not registered (or its organisation is not approved).
    Unregistered,
    /// A test address during live processing.
    TestAddressInLive,
    /// The election is closed.
    Closed,
    /// A trusted proxy sent an unusable `X-Forwarded-For`.
    BadForwardedFor,
}

impl Refusal {
    /// Short reason for the 403 body (Czech, with English in brackets).
    pub fn message(self) -> &'static str {
        match self {
            Self::Unregistered => {
                "Přístup odepřen: adresa není registrována (address not registered)"
            }
            Self::TestAddressInLive => {
                "Přístup odepřen: testovací adresy jsou během zpracování výsledků odpojeny (test address, live phase)"
            }
            Self::Closed => "Přístup odepřen: server není pro tyto volby otevřen (election closed)",
            Self::BadForwardedFor => {
                "Přístup odepřen: neplatná hlavička X-Forwarded-For (bad X-Forwarded-For)"
            }
        }
    }

    /// Machine-readable code for logs.
    pub fn code(self) -> &'static str {
        match self {
            Self::Unregistered => "unregistered",
            Self::TestAddressInLive => "test-address-live",
            Self::Closed => "closed",
            Self::BadForwardedFor => "bad-x-forwarded-for",
        }
    }
}

/// Decides whether a client may read the feeds in `phase`.
pub fn decide(list: &AccessList, client: IpAddr, phase: Phase) -> Result<&Grant, Refusal> {
    let grant = list.get(client).ok_or(Refusal::Unregistered)?;
    match (phase, grant.kind) {
        (Phase::Closed, _) => Err(Refusal::Closed),
        (Phase::Live, AddressKind::Test) => Err(Refusal::TestAddressInLive),
        _ => Ok(grant),
    }
}

/// An address block (`192.0.2.0/24`, `2001:db8::/32` or a single address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses a block or a single address.
    pub fn parse(text: &str) -> Result<Self> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| Error::Config(format!("`{text}` is not an IP address or block")))?;
        let network = network.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| Error::Config(format!("`{text}`: prefix must be 0–{max}")))?,
            None => max,
        };
        Ok(Self { network, prefix })
    }

    /// Whether the block holds `ip` (normalised).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The client address of a request: the TCP peer, or, when the peer is a trusted proxy, the
/// right-most address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_address(
    peer: IpAddr,
    forwarded_for: Option<&str>,
    trusted: &[Cidr],
) -> Result<IpAddr, Refusal> {
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Ok(peer);
    }
    let Some(header) = forwarded_for else {
        return Ok(peer);
    };
    let mut client = peer;
    for part in header.rsplit(',') {
        let part = part.trim();
        let ip: IpAddr = part
            .parse()
            .or_else(|_| {
                part.trim_start_matches('[')
                    .split(']')
                    .next()
                    .unwrap_or("")
                    .parse()
            })
            .map_err(|_| Refusal::BadForwardedFor)?;
        client = ip.to_canonical();
        if !is_trusted(client) {
            return Ok(client);
        }
    }
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn mapped_addresses_are_normalised() {
        let mut list = AccessList::default();
        let grant = Grant {
            organisation: 1,
            name: "ČT".into(),
            kind: AddressKind::Production,
        };
        list.insert(ip("192.0.2.7"), grant);
        assert!(list.get(ip("::ffff:192.0.2.7")).is_some());
        assert!(decide(&list, ip("::ffff:192.0.2.7"), Phase::Live).is_ok());
        assert_eq!(
            decide(&list, ip("192.0.2.8"), Phase::Test),
            Err(Refusal::Unregistered)
        );
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let trusted = [
            Cidr::parse("10.0.0.0/8").unwrap(),
            Cidr::parse("::1").unwrap(),
        ];
        let xff = Some("198.51.100.1, 192.0.2.7, 10.1.1.1");
        assert_eq!(
            client_address(ip("10.0.0.2"), xff, &trusted),
            Ok(ip("192.0.2.7"))
        );
        assert_eq!(
            client_address(ip("203.0.113.9"), xff, &trusted),
            Ok(ip("203.0.113.9"))
        );
        assert_eq!(
            client_address(ip("::ffff:10.0.0.2"), Some("192.0.2.7"), &trusted),
            Ok(ip("192.0.2.7"))
        );
        assert_eq!(
            client_address(ip("::1"), Some("junk"), &trusted),
            Err(Refusal::BadForwardedFor)
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), None, &trusted),
            Ok(ip("10.0.0.2"))
        );
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(
            Cidr::parse("2001:db8::/32")
                .unwrap()
                .contains(ip("2001:db8:1::5"))
        );
    }
}
