//! One row of the unified list.

use std::cmp::Ordering;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::host::{AddressError, NormalisedAddress, normalise_address, plain_host};

/// The authority keeping a local list and the NKOD dataset it is published as: the `ZDROJ` and
/// `NAZEV_DATOVE_SADY` columns. Shared by all rows of one source.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceLabel {
    /// `ZDROJ`: the authority's name, e.g. `Ministerstvo financí`.
    pub authority: String,
    /// `NAZEV_DATOVE_SADY`: the NKOD dataset title, e.g. `Seznam nepovolených internetových her`.
    pub dataset: String,
}

impl SourceLabel {
    /// A label from the two names.
    pub fn new(authority: impl Into<String>, dataset: impl Into<String>) -> Self {
        Self {
            authority: authority.into(),
            dataset: dataset.into(),
        }
    }
}

/// How the normalised host relates to the published address. Kept compact: most addresses are
/// bare lower-case hosts, and then the host is the address itself and costs no allocation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum HostField {
    SameAsUrl,
    Other(Box<str>),
    Invalid(AddressError),
}

const FLAG_PATH: u8 = 1;
const FLAG_WWW: u8 = 2;
const FLAG_IP: u8 = 4;

/// One row of the unified list: the address exactly as published (trimmed), its dates, its
/// source and what is derived from the address.
///
/// Equality and ordering cover the published fields only (the derived host follows from the
/// address). The order is the list's order: entry date, then the address compared
/// case-insensitively (Unicode full case folding, so `1x-bet.com` < `1XHOV.XYZ`, as the
/// decree's "alphabetically by address" reads), then the address by Unicode code point (byte
/// order of UTF-8, which breaks ties between spellings that fold alike), then authority,
/// dataset, removal date (active rows first) and legal basis, so that every pair of distinct
/// rows has one fixed order.
#[derive(Clone, Debug)]
pub struct Entry {
    url: Box<str>,
    entered: NaiveDate,
    removed: Option<NaiveDate>,
    source: Arc<SourceLabel>,
    legal_basis: Option<Arc<str>>,
    host: HostField,
    flags: u8,
}

impl Entry {
    /// A row; the address is trimmed and the host derived from it.
    pub fn new(
        url: &str,
        entered: NaiveDate,
        removed: Option<NaiveDate>,
        source: Arc<SourceLabel>,
        legal_basis: Option<Arc<str>>,
    ) -> Self {
        let url = url.trim();
        if let Some(www) = plain_host(url) {
            return Self {
                url: url.into(),
                entered,
                removed,
                source,
                legal_basis,
                host: HostField::SameAsUrl,
                flags: if www { FLAG_WWW } else { 0 },
            };
        }
        let (host, flags) = match normalise_address(url) {
            Ok(n) => {
                let mut flags = 0;
                if n.has_path {
                    flags |= FLAG_PATH;
                }
                if n.leading_www {
                    flags |= FLAG_WWW;
                }
                if n.ip_literal {
                    flags |= FLAG_IP;
                }
                let host = if n.host == url {
                    HostField::SameAsUrl
                } else {
                    HostField::Other(n.host.into_boxed_str())
                };
                (host, flags)
            }
            Err(e) => (HostField::Invalid(e), 0),
        };
        Self {
            url: url.into(),
            entered,
            removed,
            source,
            legal_basis,
            host,
            flags,
        }
    }

    /// `URL`: the address as published, trimmed.
    pub fn url(&self) -> &str {
        &self.url
    }
    /// `DATUM_ZAPISU`: the date the address was entered on its local list.
    pub fn entered(&self) -> NaiveDate {
        self.entered
    }
    /// `DATUM_VYMAZU`: the date it was removed, `None` while listed.
    pub fn removed(&self) -> Option<NaiveDate> {
        self.removed
    }
    /// The source (authority and dataset).
    pub fn source(&self) -> &Arc<SourceLabel> {
        &self.source
    }
    /// `ZDROJ`.
    pub fn authority(&self) -> &str {
        &self.source.authority
    }
    /// `NAZEV_DATOVE_SADY`.
    pub fn dataset(&self) -> &str {
        &self.source.dataset
    }
    /// The legal basis, where the source gives it (MF: `Důvody zápisu na Seznam`).
    pub fn legal_basis(&self) -> Option<&str> {
        self.legal_basis.as_deref()
    }
    /// The normalised host, or `None` when the address has no usable host.
    pub fn host(&self) -> Option<&str> {
        match &self.host {
            HostField::SameAsUrl => Some(&self.url),
            HostField::Other(h) => Some(h),
            HostField::Invalid(_) => None,
        }
    }
    /// Why the address has no usable host, if it has none.
    pub fn address_problem(&self) -> Option<AddressError> {
        match self.host {
            HostField::Invalid(e) => Some(e),
            _ => None,
        }
    }
    /// The full normalisation result.
    pub fn normalised(&self) -> Result<NormalisedAddress, AddressError> {
        match self.host() {
            Some(h) => Ok(NormalisedAddress {
                host: h.to_owned(),
                has_path: self.flags & FLAG_PATH != 0,
                leading_www: self.flags & FLAG_WWW != 0,
                ip_literal: self.flags & FLAG_IP != 0,
            }),
            None => Err(self.address_problem().unwrap_or(AddressError::Empty)),
        }
    }
    /// The address has a path (beyond a bare `/`).
    pub fn has_path(&self) -> bool {
        self.flags & FLAG_PATH != 0
    }
    /// The host starts with a `www.` label.
    pub fn leading_www(&self) -> bool {
        self.flags & FLAG_WWW != 0
    }
    /// Whether DNS blocking can express this entry: a valid host name, no path, no IP literal.
    pub fn dns_blockable(&self) -> bool {
        self.host().is_some() && self.flags & (FLAG_PATH | FLAG_IP) == 0
    }
    /// Whether the row is in force on `date`: no removal date, or one after `date`.
    pub fn is_active_on(&self, date: NaiveDate) -> bool {
        self.removed.is_none_or(|r| r > date)
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.entered
            .cmp(&other.entered)
            .then_with(|| cmp_case_folded(&self.url, &other.url))
            .then_with(|| self.url.as_bytes().cmp(other.url.as_bytes()))
            .then_with(|| {
                if Arc::ptr_eq(&self.source, &other.source) {
                    Ordering::Equal
                } else {
                    self.source.cmp(&other.source)
                }
            })
            .then_with(|| match (self.removed, other.removed) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(a), Some(b)) => a.cmp(&b),
            })
            .then_with(|| self.legal_basis.cmp(&other.legal_basis))
    }
}

/// Compares two addresses after Unicode full case folding (`CaseFolding.txt`, statuses C and
/// F). Addresses are almost always ASCII, where folding is ASCII lower-casing; only a
/// non-ASCII address takes the table lookup.
pub(crate) fn cmp_case_folded(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        unicase::UniCase::new(a).cmp(&unicase::UniCase::new(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_orders_ties_as_a_reader_expects() {
        assert_eq!(cmp_case_folded("1x-bet.com", "1XHOV.XYZ"), Ordering::Less);
        assert_eq!(cmp_case_folded("Example.cz", "example.cz"), Ordering::Equal);
        // Full folding: ß folds to "ss", Σ and ς to σ.
        assert_eq!(cmp_case_folded("STRASSE.de", "straße.de"), Ordering::Equal);
        assert_eq!(cmp_case_folded("ΣΊΣΥΦΟΣ.gr", "σίσυφος.gr"), Ordering::Equal);
        // Non-ASCII against ASCII goes through the same folding.
        assert_eq!(cmp_case_folded("Č.cz", "c.cz"), Ordering::Greater);
        assert_eq!(cmp_case_folded("Čapka.cz", "čapek.cz"), Ordering::Greater);
    }
}
