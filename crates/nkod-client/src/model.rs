//! What the catalogue answers: datasets, publishers, distributions, dates, and the cost of asking.

use std::fmt;
use std::ops::{Add, AddAssign};

/// IRI of NKOD itself as a `dcat:Catalog`; its `dct:modified` is the catalogue's rebuild date.
pub const NKOD_CATALOG_IRI: &str = "https://data.gov.cz/zdroj/katalog/NKOD";

/// Prefix of current publisher IRIs (RPP); append the publisher's IČO.
pub const PUBLISHER_IRI_PREFIX: &str =
    "https://rpp-opendata.egon.gov.cz/odrpp/zdroj/orgán-veřejné-moci/";

/// The publisher IRI NKOD uses for the authority with this IČO.
#[must_use]
pub fn publisher_iri(ico: &str) -> String {
    format!("{PUBLISHER_IRI_PREFIX}{ico}")
}

/// HTTP cost of one call: requests made (retries and redirect hops included) and bytes moved.
///
/// Bytes are counted at the HTTP level: the request line, headers and body sent, and the status
/// line, headers and (decoded) body received. TCP/TLS framing is not included.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Usage {
    /// HTTP requests sent.
    pub requests: u32,
    /// Bytes sent (request heads and bodies).
    pub bytes_sent: u64,
    /// Bytes received (response heads and bodies).
    pub bytes_received: u64,
}

impl Usage {
    /// Total bytes in both directions.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.bytes_sent + self.bytes_received
    }
}

impl Add for Usage {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        Self {
            requests: self.requests + other.requests,
            bytes_sent: self.bytes_sent + other.bytes_sent,
            bytes_received: self.bytes_received + other.bytes_received,
        }
    }
}

impl AddAssign for Usage {
    fn add_assign(&mut self, other: Self) {
        *self = *self + other;
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} request(s), {} B sent, {} B received",
            self.requests, self.bytes_sent, self.bytes_received
        )
    }
}

/// A result together with the HTTP cost of obtaining it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured<T> {
    /// The answer.
    pub value: T,
    /// Requests and bytes this call used.
    pub usage: Usage,
}

impl<T> Measured<T> {
    /// Transforms the answer, keeping the cost.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Measured<U> {
        Measured {
            value: f(self.value),
            usage: self.usage,
        }
    }
}

/// Text in Czech and English, as DCAT-AP-CZ requires for titles and NKOD's GraphQL exposes.
///
/// A literal without a language tag is taken as Czech when no `@cs` value exists (NKOD's
/// default language). Other languages are ignored. When a language has several values, the
/// smallest (in code-point order) is kept, so every backend picks the same one.
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalizedText {
    /// Czech value.
    pub cs: Option<String>,
    /// English value.
    pub en: Option<String>,
}

impl LocalizedText {
    /// The Czech value, or the English one when there is no Czech.
    #[must_use]
    pub fn best(&self) -> Option<&str> {
        self.cs.as_deref().or(self.en.as_deref())
    }

    /// Whether any value contains `needle`, ignoring case (Unicode lower-casing).
    #[must_use]
    pub fn contains_ignore_case(&self, needle: &str) -> bool {
        let needle = needle.to_lowercase();
        [&self.cs, &self.en]
            .into_iter()
            .flatten()
            .any(|value| value.to_lowercase().contains(&needle))
    }

    /// Adds a value with its language tag (empty for a plain literal).
    pub(crate) fn add(&mut self, language: &str, value: &str) {
        let slot = match language.to_ascii_lowercase().as_str() {
            "cs" => &mut self.cs,
            "en" => &mut self.en,
            _ => return,
        };
        keep_smallest(slot, value);
    }

    /// Plain literals count as Czech only when no tagged Czech value exists.
    pub(crate) fn add_plain_fallback(&mut self, plains: &[String]) {
        if self.cs.is_none() {
            for value in plains {
                keep_smallest(&mut self.cs, value);
            }
        }
    }
}

pub(crate) fn keep_smallest(slot: &mut Option<String>, value: &str) {
    match slot {
        Some(current) if current.as_str() <= value => {}
        _ => *slot = Some(value.to_owned()),
    }
}

/// A date or date-time literal as the catalogue wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateValue {
    /// Lexical form, e.g. `2026-11-22`.
    pub lexical: String,
    /// Datatype IRI, e.g. `http://www.w3.org/2001/XMLSchema#date`.
    pub datatype: String,
}

impl DateValue {
    /// The calendar date, when the lexical form starts with one (`xsd:date` or `xsd:dateTime`).
    #[must_use]
    pub fn date(&self) -> Option<chrono::NaiveDate> {
        let head = self.lexical.get(..10)?;
        chrono::NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()
    }
}

impl fmt::Display for DateValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lexical)
    }
}

/// A dataset's publisher (`dct:publisher`), with its name (`foaf:name`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Publisher {
    /// Publisher IRI, e.g. `https://rpp-opendata.egon.gov.cz/odrpp/zdroj/orgán-veřejné-moci/00006947`.
    pub iri: String,
    /// Publisher name.
    pub name: LocalizedText,
}

impl Publisher {
    /// The IČO at the end of an RPP or old-style (`/zdroj/ovm/`) publisher IRI.
    #[must_use]
    pub fn ico(&self) -> Option<&str> {
        let tail = self.iri.rsplit('/').next()?;
        (!tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit())).then_some(tail)
    }
}

/// A `dcat:Distribution` of a dataset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Distribution {
    /// Distribution IRI.
    pub iri: String,
    /// `dcat:accessURL`.
    pub access_url: Option<String>,
    /// `dcat:downloadURL`; `None` also when the backend cannot tell (old GraphQL schema).
    pub download_url: Option<String>,
    /// `dct:format`, an EU file-type IRI.
    pub format: Option<String>,
    /// `dcat:mediaType`, an IANA media-type IRI.
    pub media_type: Option<String>,
    /// `dct:conformsTo`: the distribution's schema.
    pub conforms_to: Option<String>,
    /// `dct:modified` of the distribution, if the catalogue carries one.
    pub modified: Option<DateValue>,
}

impl Distribution {
    /// The URL to fetch the data from: `downloadURL`, else `accessURL`.
    #[must_use]
    pub fn fetch_url(&self) -> Option<&str> {
        self.download_url.as_deref().or(self.access_url.as_deref())
    }
}

/// A `dcat:Dataset` with what the catalogue says about it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dataset {
    /// Dataset IRI (NKOD re-mints these: `https://data.gov.cz/zdroj/datové-sady/{IČO}/…`).
    pub iri: String,
    /// `dct:title`.
    pub title: LocalizedText,
    /// `dct:publisher` (the smallest IRI when there are several).
    pub publisher: Option<Publisher>,
    /// Distributions, sorted by IRI.
    pub distributions: Vec<Distribution>,
    /// `dct:modified` of the dataset, if the catalogue carries one (NKOD usually does not).
    pub modified: Option<DateValue>,
    /// `dct:modified` of the catalog record (`?record foaf:primaryTopic <dataset>`), if any.
    pub record_modified: Option<DateValue>,
    /// `dcat:keyword` in every language, sorted and distinct.
    pub keywords: Vec<String>,
    /// `dcatap:applicableLegislation` (ELI IRIs of the legal basis), sorted; empty when the
    /// backend cannot see it (GraphQL's older schema).
    pub legislation: Vec<String>,
}

impl Dataset {
    /// The latest modification date the catalogue gives for the dataset, its record or any of
    /// its distributions.
    #[must_use]
    pub fn latest_modified(&self) -> Option<&DateValue> {
        self.distributions
            .iter()
            .filter_map(|d| d.modified.as_ref())
            .chain(self.modified.as_ref())
            .chain(self.record_modified.as_ref())
            .max_by(|a, b| a.lexical.cmp(&b.lexical))
    }
}

/// Which datasets to find. Fields combine with AND; values inside one list combine with OR;
/// an empty list does not restrict. `dcat:Dataset` typing is always required.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DatasetQuery {
    /// Dataset IRIs.
    pub iris: Vec<String>,
    /// Publisher IRIs (exact match).
    pub publishers: Vec<String>,
    /// Substring of the title in Czech or English, case-insensitive.
    pub title_contains: Option<String>,
    /// Legal-basis IRIs (`dcatap:applicableLegislation`, exact match).
    pub legislation: Vec<String>,
    /// Keywords (`dcat:keyword`, compared without case).
    pub keywords: Vec<String>,
}

impl DatasetQuery {
    /// Datasets of these publishers.
    pub fn by_publishers<I: IntoIterator<Item = S>, S: Into<String>>(publishers: I) -> Self {
        Self {
            publishers: publishers.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Datasets with these IRIs.
    pub fn by_iris<I: IntoIterator<Item = S>, S: Into<String>>(iris: I) -> Self {
        Self {
            iris: iris.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Datasets whose title contains `needle` (case-insensitive).
    pub fn by_title(needle: impl Into<String>) -> Self {
        Self {
            title_contains: Some(needle.into()),
            ..Self::default()
        }
    }

    /// Datasets of any publisher that cite one of these legal bases.
    pub fn by_legislation<I: IntoIterator<Item = S>, S: Into<String>>(iris: I) -> Self {
        Self {
            legislation: iris.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Datasets of any publisher with one of these keywords.
    pub fn by_keywords<I: IntoIterator<Item = S>, S: Into<String>>(keywords: I) -> Self {
        Self {
            keywords: keywords.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Adds a title restriction.
    #[must_use]
    pub fn with_title(mut self, needle: impl Into<String>) -> Self {
        self.title_contains = Some(needle.into());
        self
    }

    /// Whether a complete dataset record satisfies the query.
    #[must_use]
    pub fn matches(&self, dataset: &Dataset) -> bool {
        (self.iris.is_empty() || self.iris.contains(&dataset.iri))
            && (self.publishers.is_empty()
                || dataset
                    .publisher
                    .as_ref()
                    .is_some_and(|p| self.publishers.contains(&p.iri)))
            && self
                .title_contains
                .as_deref()
                .is_none_or(|needle| dataset.title.contains_ignore_case(needle))
            && (self.legislation.is_empty()
                || dataset
                    .legislation
                    .iter()
                    .any(|l| self.legislation.contains(l)))
            && (self.keywords.is_empty()
                || dataset.keywords.iter().any(|k| {
                    let k = k.to_lowercase();
                    self.keywords.iter().any(|w| w.to_lowercase() == k)
                }))
    }
}

/// The catalogue's state for a set of datasets: what a change check needs in one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueSnapshot {
    /// The catalogue's rebuild date (`<…/katalog/NKOD> dct:modified`), when the backend can tell.
    pub catalogue_modified: Option<DateValue>,
    /// The datasets found, sorted by IRI.
    pub datasets: Vec<Dataset>,
}

/// The backend a [`crate::Catalogue`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SPARQL 1.1 protocol (data.gov.cz/sparql, OpenLink Virtuoso).
    Sparql,
    /// Triple Pattern Fragments (data.gov.cz/ldf, @ldf/server 3).
    Ldf,
    /// GraphQL (data.gov.cz/graphql).
    GraphQl,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sparql => "SPARQL",
            Self::Ldf => "LDF",
            Self::GraphQl => "GraphQL",
        })
    }
}

/// What a backend can answer at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Modification dates of datasets, distributions and records (GraphQL has no date fields).
    pub modification_dates: bool,
    /// The catalogue's rebuild date.
    pub catalogue_modified: bool,
    /// Searching every publisher's datasets by legal basis or keyword (GraphQL has no such
    /// filter).
    pub metadata_search: bool,
}
