//! Access control by client address and election phase. The client address itself comes
//! from the shared layer ([`opendata_http::forwarded`]): the TCP peer, or behind a trusted
//! proxy the right-most untrusted address of its forwarding header.

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
    /// A trusted proxy sent an unusable forwarding header.
    BadForwardedFor,
}

impl Refusal {
    /// Short reason for the 403 body (Czech, with English in brackets), one line.
    pub fn message(self) -> &'static str {
        match self {
            Self::Unregistered => {
                "Přístup odepřen: adresa není registrována (address not registered)\n"
            }
            Self::TestAddressInLive => {
                "Přístup odepřen: testovací adresy jsou během zpracování výsledků odpojeny (test address, live phase)\n"
            }
            Self::Closed => {
                "Přístup odepřen: server není pro tyto volby otevřen (election closed)\n"
            }
            Self::BadForwardedFor => {
                "Přístup odepřen: neplatná hlavička X-Forwarded-For nebo Forwarded od důvěryhodné proxy (bad forwarding header)\n"
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
}
