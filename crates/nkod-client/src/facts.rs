//! Turning RDF statements about datasets into [`Dataset`] records. The SPARQL and LDF backends
//! both gather triples and build their answers here, so the two cannot disagree on how a
//! record is read (which title wins, which dates count, how blank nodes are named).

use crate::model::keep_smallest;
use crate::{Dataset, DatasetQuery, DateValue, Distribution, LocalizedText, Publisher};
use oxrdf::{Term, Triple};
use std::collections::{BTreeMap, BTreeSet, HashSet};

pub(crate) mod vocab {
    pub(crate) const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
    pub(crate) const DCAT_DATASET: &str = "http://www.w3.org/ns/dcat#Dataset";
    pub(crate) const DCAT_DISTRIBUTION: &str = "http://www.w3.org/ns/dcat#distribution";
    pub(crate) const DCAT_ACCESS_URL: &str = "http://www.w3.org/ns/dcat#accessURL";
    pub(crate) const DCAT_DOWNLOAD_URL: &str = "http://www.w3.org/ns/dcat#downloadURL";
    pub(crate) const DCAT_MEDIA_TYPE: &str = "http://www.w3.org/ns/dcat#mediaType";
    pub(crate) const DCT_TITLE: &str = "http://purl.org/dc/terms/title";
    pub(crate) const DCT_PUBLISHER: &str = "http://purl.org/dc/terms/publisher";
    pub(crate) const DCT_FORMAT: &str = "http://purl.org/dc/terms/format";
    pub(crate) const DCT_CONFORMS_TO: &str = "http://purl.org/dc/terms/conformsTo";
    pub(crate) const DCT_MODIFIED: &str = "http://purl.org/dc/terms/modified";
    pub(crate) const FOAF_NAME: &str = "http://xmlns.com/foaf/0.1/name";
    pub(crate) const FOAF_PRIMARY_TOPIC: &str = "http://xmlns.com/foaf/0.1/primaryTopic";
    pub(crate) const DCAT_KEYWORD: &str = "http://www.w3.org/ns/dcat#keyword";
    pub(crate) const DCATAP_APPLICABLE_LEGISLATION: &str =
        "http://data.europa.eu/r5r/applicableLegislation";
}
use vocab::*;

/// A value as the assembly needs it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Value {
    /// IRI or blank node (`_:id`).
    Node(String),
    Literal {
        value: String,
        language: String,
        datatype: String,
    },
}

impl Value {
    pub(crate) fn from_term(term: &Term) -> Option<Self> {
        Some(match term {
            Term::NamedNode(n) => Self::Node(n.as_str().to_owned()),
            Term::BlankNode(b) => Self::Node(format!("_:{}", b.as_str())),
            Term::Literal(l) => Self::Literal {
                value: l.value().to_owned(),
                language: l.language().unwrap_or("").to_owned(),
                datatype: l.datatype().as_str().to_owned(),
            },
            #[allow(unreachable_patterns)]
            _ => return None,
        })
    }

    fn node(&self) -> Option<&str> {
        match self {
            Self::Node(n) => Some(n),
            Self::Literal { .. } => None,
        }
    }

    /// The IRI, or the lexical form of a literal (some catalogues write URLs as literals).
    fn text(&self) -> &str {
        match self {
            Self::Node(n) => n,
            Self::Literal { value, .. } => value,
        }
    }
}

/// Statements gathered about datasets; duplicates (NKOD's per-graph copies) collapse.
#[derive(Debug, Default, Clone)]
pub(crate) struct Facts {
    by_subject: BTreeMap<String, BTreeMap<String, BTreeSet<Value>>>,
    seen: HashSet<(String, String, Value)>,
}

impl Facts {
    pub(crate) fn insert(&mut self, subject: &str, predicate: &str, object: Value) {
        if self
            .seen
            .insert((subject.to_owned(), predicate.to_owned(), object.clone()))
        {
            self.by_subject
                .entry(subject.to_owned())
                .or_default()
                .entry(predicate.to_owned())
                .or_default()
                .insert(object);
        }
    }

    pub(crate) fn insert_triple(&mut self, triple: &Triple) {
        let subject = match &triple.subject {
            oxrdf::NamedOrBlankNode::NamedNode(n) => n.as_str().to_owned(),
            oxrdf::NamedOrBlankNode::BlankNode(b) => format!("_:{}", b.as_str()),
        };
        if let Some(object) = Value::from_term(&triple.object) {
            self.insert(&subject, triple.predicate.as_str(), object);
        }
    }

    pub(crate) fn values(&self, subject: &str, predicate: &str) -> impl Iterator<Item = &Value> {
        self.by_subject
            .get(subject)
            .and_then(|p| p.get(predicate))
            .into_iter()
            .flatten()
    }

    pub(crate) fn nodes(&self, subject: &str, predicate: &str) -> impl Iterator<Item = &str> {
        self.values(subject, predicate).filter_map(Value::node)
    }

    pub(crate) fn has(&self, subject: &str, predicate: &str, object_iri: &str) -> bool {
        self.nodes(subject, predicate).any(|n| n == object_iri)
    }

    /// Subjects `s` with `s predicate object`.
    pub(crate) fn subjects_with(&self, predicate: &str, object_iri: &str) -> Vec<&str> {
        self.by_subject
            .iter()
            .filter(|(_, preds)| {
                preds
                    .get(predicate)
                    .is_some_and(|objs| objs.iter().any(|o| o.node() == Some(object_iri)))
            })
            .map(|(s, _)| s.as_str())
            .collect()
    }

    fn first_text(&self, subject: &str, predicate: &str) -> Option<String> {
        self.values(subject, predicate)
            .map(|v| v.text().to_owned())
            .min()
    }

    fn localized(&self, subject: &str, predicate: &str) -> LocalizedText {
        let mut text = LocalizedText::default();
        let mut plains = Vec::new();
        for value in self.values(subject, predicate) {
            if let Value::Literal {
                value, language, ..
            } = value
            {
                if language.is_empty() {
                    plains.push(value.clone());
                } else {
                    text.add(language, value);
                }
            }
        }
        text.add_plain_fallback(&plains);
        text
    }

    /// The latest date among `subject predicate ?date` literals.
    pub(crate) fn date(&self, subject: &str, predicate: &str) -> Option<DateValue> {
        self.values(subject, predicate)
            .filter_map(|v| match v {
                Value::Literal {
                    value, datatype, ..
                } => Some(DateValue {
                    lexical: value.clone(),
                    datatype: datatype.clone(),
                }),
                Value::Node(_) => None,
            })
            .max_by(|a, b| a.lexical.cmp(&b.lexical))
    }

    /// The record for `iri`, if the facts say it is a `dcat:Dataset`.
    pub(crate) fn dataset(&self, iri: &str) -> Option<Dataset> {
        if !self.has(iri, RDF_TYPE, DCAT_DATASET) {
            return None;
        }
        let publisher = self.nodes(iri, DCT_PUBLISHER).min().map(|p| Publisher {
            iri: p.to_owned(),
            name: self.localized(p, FOAF_NAME),
        });
        let mut distributions: Vec<Distribution> = self
            .nodes(iri, DCAT_DISTRIBUTION)
            .map(|d| Distribution {
                iri: d.to_owned(),
                access_url: self.first_text(d, DCAT_ACCESS_URL),
                download_url: self.first_text(d, DCAT_DOWNLOAD_URL),
                format: self.first_text(d, DCT_FORMAT),
                media_type: self.first_text(d, DCAT_MEDIA_TYPE),
                conforms_to: self.first_text(d, DCT_CONFORMS_TO),
                modified: self.date(d, DCT_MODIFIED),
            })
            .collect();
        distributions.sort();
        let mut record_modified: Option<DateValue> = None;
        for record in self.subjects_with(FOAF_PRIMARY_TOPIC, iri) {
            if let Some(date) = self.date(record, DCT_MODIFIED)
                && record_modified
                    .as_ref()
                    .is_none_or(|d| d.lexical < date.lexical)
            {
                record_modified = Some(date);
            }
        }
        let keywords: BTreeSet<String> = self
            .values(iri, DCAT_KEYWORD)
            .filter_map(|v| match v {
                Value::Literal { value, .. } => Some(value.clone()),
                Value::Node(_) => None,
            })
            .collect();
        let legislation: BTreeSet<String> = self
            .values(iri, DCATAP_APPLICABLE_LEGISLATION)
            .map(|v| v.text().to_owned())
            .collect();
        Some(Dataset {
            iri: iri.to_owned(),
            title: self.localized(iri, DCT_TITLE),
            publisher,
            distributions,
            modified: self.date(iri, DCT_MODIFIED),
            record_modified,
            keywords: keywords.into_iter().collect(),
            legislation: legislation.into_iter().collect(),
        })
    }

    /// Records of the candidates that are datasets and satisfy any of `queries`, sorted by
    /// IRI.
    pub(crate) fn datasets<'a>(
        &self,
        candidates: impl IntoIterator<Item = &'a str>,
        queries: &[DatasetQuery],
    ) -> Vec<Dataset> {
        let unique: BTreeSet<&str> = candidates.into_iter().collect();
        unique
            .into_iter()
            .filter_map(|iri| self.dataset(iri))
            .filter(|d| queries.iter().any(|q| q.matches(d)))
            .collect()
    }
}

/// Keeps the smallest of several values (used by the GraphQL backend for the same rule).
pub(crate) fn smallest(slot: &mut Option<String>, value: &str) {
    keep_smallest(slot, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    const XSD_STRING: &str = "http://www.w3.org/2001/XMLSchema#string";

    fn lit(value: &str, language: &str) -> Value {
        Value::Literal {
            value: value.to_owned(),
            language: language.to_owned(),
            datatype: if language.is_empty() {
                XSD_STRING.to_owned()
            } else {
                "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString".to_owned()
            },
        }
    }

    #[test]
    fn assembles_a_dataset_and_ignores_duplicates() {
        let mut facts = Facts::default();
        let ds = "https://data.gov.cz/zdroj/datové-sady/00006947/abc";
        let publisher = "https://rpp-opendata.egon.gov.cz/odrpp/zdroj/orgán-veřejné-moci/00006947";
        facts.insert(ds, RDF_TYPE, Value::Node(DCAT_DATASET.to_owned()));
        facts.insert(
            ds,
            DCT_TITLE,
            lit("Seznam nepovolených internetových her", "cs"),
        );
        facts.insert(
            ds,
            DCT_TITLE,
            lit("List of unauthorised internet games", "en"),
        );
        facts.insert(ds, DCT_PUBLISHER, Value::Node(publisher.to_owned()));
        for _ in 0..3 {
            facts.insert(publisher, FOAF_NAME, lit("Ministerstvo financí", "cs"));
        }
        facts.insert(ds, DCAT_DISTRIBUTION, Value::Node(format!("{ds}/d2")));
        facts.insert(ds, DCAT_DISTRIBUTION, Value::Node(format!("{ds}/d1")));
        facts.insert(
            &format!("{ds}/d1"),
            DCAT_DOWNLOAD_URL,
            Value::Node("http://x/a.csv".to_owned()),
        );
        facts.insert(
            &format!("{ds}/záznam"),
            FOAF_PRIMARY_TOPIC,
            Value::Node(ds.to_owned()),
        );
        facts.insert(
            &format!("{ds}/záznam"),
            DCT_MODIFIED,
            Value::Literal {
                value: "2026-11-01".to_owned(),
                language: String::new(),
                datatype: "http://www.w3.org/2001/XMLSchema#date".to_owned(),
            },
        );
        let d = facts.dataset(ds).expect("typed as dcat:Dataset");
        assert_eq!(
            d.title.cs.as_deref(),
            Some("Seznam nepovolených internetových her")
        );
        assert_eq!(
            d.publisher.as_ref().and_then(|p| p.name.cs.as_deref()),
            Some("Ministerstvo financí")
        );
        assert_eq!(
            d.publisher.as_ref().and_then(Publisher::ico),
            Some("00006947")
        );
        assert_eq!(d.distributions.len(), 2);
        assert_eq!(d.distributions[0].iri, format!("{ds}/d1"));
        assert_eq!(d.distributions[0].fetch_url(), Some("http://x/a.csv"));
        assert_eq!(
            d.record_modified
                .as_ref()
                .and_then(DateValue::date)
                .map(|d| d.to_string())
                .as_deref(),
            Some("2026-11-01")
        );
        assert_eq!(
            d.latest_modified().map(|d| d.lexical.as_str()),
            Some("2026-11-01")
        );
        assert!(DatasetQuery::by_title("NEPOVOLENÝCH").matches(&d));
        assert!(!DatasetQuery::by_title("potravin").matches(&d));
        assert!(DatasetQuery::by_publishers([publisher]).matches(&d));
    }

    #[test]
    fn untyped_subjects_are_not_datasets() {
        let mut facts = Facts::default();
        facts.insert("https://x/catalog", DCT_TITLE, lit("Katalog", "cs"));
        assert!(facts.dataset("https://x/catalog").is_none());
    }

    #[test]
    fn plain_title_counts_as_czech_only_without_tagged_czech() {
        let mut facts = Facts::default();
        facts.insert("s", RDF_TYPE, Value::Node(DCAT_DATASET.to_owned()));
        facts.insert("s", DCT_TITLE, lit("Plain", ""));
        assert_eq!(
            facts.dataset("s").and_then(|d| d.title.cs),
            Some("Plain".to_owned())
        );
        facts.insert("s", DCT_TITLE, lit("Česky", "cs"));
        assert_eq!(
            facts.dataset("s").and_then(|d| d.title.cs),
            Some("Česky".to_owned())
        );
    }
}
