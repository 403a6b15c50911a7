//! The GraphQL server's view of the catalogue: one record per dataset, in dump order, built from
//! each dataset's named graph the way NKOD's `nkod.json` (the GraphQL server's input) is.

use std::collections::HashMap;

use oxigraph::model::{GraphNameRef, NamedNodeRef, NamedOrBlankNodeRef, Term};
use oxigraph::store::Store;

use crate::snapshot::Snapshot;

/// A value of a record field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Null,
    Str(String),
    Float(f64),
    List(Vec<Val>),
    Node(Node),
}

/// A record of one GraphQL object type (its fields in schema terms).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Node {
    pub(crate) fields: Vec<(&'static str, Val)>,
}

impl Node {
    pub(crate) fn get(&self, name: &str) -> &Val {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(&Val::Null, |(_, v)| v)
    }

    pub(crate) fn str(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn strs(&self, name: &str) -> Option<Vec<&str>> {
        match self.get(name) {
            Val::List(items) => Some(
                items
                    .iter()
                    .filter_map(|v| match v {
                        Val::Str(s) => Some(s.as_str()),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => None,
        }
    }

    pub(crate) fn nodes(&self, name: &str) -> Vec<&Node> {
        match self.get(name) {
            Val::List(items) => items
                .iter()
                .filter_map(|v| match v {
                    Val::Node(n) => Some(n),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// All datasets, in dump order.
#[derive(Debug, Default)]
pub(crate) struct GraphqlCatalog {
    pub(crate) datasets: Vec<Node>,
    pub(crate) by_iri: HashMap<String, usize>,
}

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
const PU: &str = "https://data.gov.cz/slovník/podmínky-užití/";
const DCATAP: &str = "http://data.europa.eu/r5r/";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

struct GraphView<'a> {
    store: &'a Store,
    graph: NamedNodeRef<'a>,
}

impl GraphView<'_> {
    fn objects(&self, subject: &Term, predicate: &str) -> Vec<Term> {
        let subject = match subject {
            Term::NamedNode(n) => NamedOrBlankNodeRef::from(n.as_ref()),
            Term::BlankNode(b) => NamedOrBlankNodeRef::from(b.as_ref()),
            Term::Literal(_) => return Vec::new(),
        };
        let mut out: Vec<Term> = self
            .store
            .quads_for_pattern(
                Some(subject),
                Some(NamedNodeRef::new_unchecked(predicate)),
                None,
                Some(GraphNameRef::NamedNode(self.graph)),
            )
            .filter_map(Result::ok)
            .map(|q| q.object)
            .collect();
        // The store's order is not the dump's; sort so answers are stable.
        out.sort_by_cached_key(ToString::to_string);
        out
    }

    fn one(&self, subject: &Term, predicate: &str) -> Option<Term> {
        self.objects(subject, predicate).into_iter().next()
    }

    fn string(&self, subject: &Term, predicate: &str) -> Val {
        self.one(subject, predicate)
            .map_or(Val::Null, |t| Val::Str(term_value(&t)))
    }

    fn strings(&self, subject: &Term, predicate: &str) -> Val {
        let items = self.objects(subject, predicate);
        if items.is_empty() {
            return Val::Null;
        }
        Val::List(items.iter().map(|t| Val::Str(term_value(t))).collect())
    }

    fn text(&self, subject: &Term, predicate: &str) -> Val {
        let items = self.objects(subject, predicate);
        if items.is_empty() {
            return Val::Null;
        }
        language_string(&items)
    }
}

fn term_value(term: &Term) -> String {
    match term {
        Term::NamedNode(n) => n.as_str().to_owned(),
        Term::BlankNode(b) => format!("_:{}", b.as_str()),
        Term::Literal(l) => l.value().to_owned(),
    }
}

/// `{cs, en}` from language-tagged literals (an untagged literal counts as Czech).
fn language_string(items: &[Term]) -> Val {
    let pick = |lang: &str| {
        items.iter().find_map(|t| match t {
            Term::Literal(l) if l.language() == Some(lang) => Some(l.value().to_owned()),
            Term::Literal(l) if lang == "cs" && l.language().is_none() => {
                Some(l.value().to_owned())
            }
            _ => None,
        })
    };
    Val::Node(Node {
        fields: vec![
            ("cs", pick("cs").map_or(Val::Null, Val::Str)),
            ("en", pick("en").map_or(Val::Null, Val::Str)),
        ],
    })
}

fn p(ns: &str, local: &str) -> String {
    format!("{ns}{local}")
}

impl GraphqlCatalog {
    pub(crate) fn build(snapshot: &Snapshot) -> Self {
        let mut catalog = GraphqlCatalog::default();
        for dataset in snapshot.datasets() {
            let view = GraphView {
                store: snapshot.store(),
                graph: dataset.as_ref(),
            };
            let node = dataset_node(&view, &Term::NamedNode(dataset.clone()));
            catalog
                .by_iri
                .insert(dataset.as_str().to_owned(), catalog.datasets.len());
            catalog.datasets.push(node);
        }
        catalog
    }
}

fn dataset_node(v: &GraphView<'_>, d: &Term) -> Node {
    let publisher = v
        .one(d, &p(DCT, "publisher"))
        .map_or(Val::Null, |publisher| {
            Val::Node(Node {
                fields: vec![
                    ("iri", Val::Str(term_value(&publisher))),
                    ("title", v.text(&publisher, &p(FOAF, "name"))),
                ],
            })
        });
    let keyword = {
        let items = v.objects(d, &p(DCAT, "keyword"));
        if items.is_empty() {
            Val::Null
        } else {
            Val::List(
                items
                    .iter()
                    .map(|k| language_string(std::slice::from_ref(k)))
                    .collect(),
            )
        }
    };
    let temporal = v.one(d, &p(DCT, "temporal")).map_or(Val::Null, |t| {
        Val::Node(Node {
            fields: vec![
                ("startDate", v.string(&t, &p(DCAT, "startDate"))),
                ("endDate", v.string(&t, &p(DCAT, "endDate"))),
            ],
        })
    });
    let contact = v
        .one(d, &p(DCAT, "contactPoint"))
        .map_or(Val::Null, |c| contact_node(v, &c));
    let spatial_resolution = v
        .one(d, &p(DCAT, "spatialResolutionInMeters"))
        .and_then(|t| term_value(&t).parse::<f64>().ok())
        .map_or(Val::Null, Val::Float);
    let distributions: Vec<Val> = v
        .objects(d, &p(DCAT, "distribution"))
        .iter()
        .map(|dist| Val::Node(distribution_node(v, dist)))
        .collect();
    Node {
        fields: vec![
            ("iri", Val::Str(term_value(d))),
            ("title", v.text(d, &p(DCT, "title"))),
            ("description", v.text(d, &p(DCT, "description"))),
            ("types", v.strings(d, RDF_TYPE)),
            ("publisher", publisher),
            ("theme", v.strings(d, &p(DCAT, "theme"))),
            (
                "accrualPeriodicity",
                v.string(d, &p(DCT, "accrualPeriodicity")),
            ),
            ("keyword", keyword),
            ("spatial", v.strings(d, &p(DCT, "spatial"))),
            ("temporal", temporal),
            ("contactPoint", contact),
            ("documentation", v.string(d, &p(FOAF, "page"))),
            ("conformsTo", v.strings(d, &p(DCT, "conformsTo"))),
            (
                "applicableLegislation",
                v.strings(d, &p(DCATAP, "applicableLegislation")),
            ),
            ("hvdCategory", v.strings(d, &p(DCATAP, "hvdCategory"))),
            ("landingPage", v.strings(d, &p(DCAT, "landingPage"))),
            ("spatialResolutionInMeters", spatial_resolution),
            (
                "temporalResolution",
                v.string(d, &p(DCAT, "temporalResolution")),
            ),
            ("isPartOf", v.string(d, &p(DCAT, "inSeries"))),
            ("distribution", Val::List(distributions)),
        ],
    }
}

fn contact_node(v: &GraphView<'_>, c: &Term) -> Val {
    let email = v.one(c, &p(VCARD, "hasEmail")).map_or(Val::Null, |e| {
        let value = term_value(&e);
        Val::Str(value.strip_prefix("mailto:").unwrap_or(&value).to_owned())
    });
    Val::Node(Node {
        fields: vec![
            ("name", v.text(c, &p(VCARD, "fn"))),
            ("email", email),
            ("contactPage", v.string(c, &p(VCARD, "hasURL"))),
        ],
    })
}

fn distribution_node(v: &GraphView<'_>, dist: &Term) -> Node {
    let terms = v.one(dist, &p(PU, "specifikace")).map_or(Val::Null, |t| {
        Val::Node(Node {
            fields: vec![
                ("copyrighted_work", v.string(&t, &p(PU, "autorské-dílo"))),
                ("author", v.text(&t, &p(PU, "autor"))),
                (
                    "copyrighted_database",
                    v.string(&t, &p(PU, "databáze-jako-autorské-dílo")),
                ),
                ("database_author", v.text(&t, &p(PU, "autor-databáze"))),
                (
                    "sui_generis_database_rights",
                    v.string(&t, &p(PU, "databáze-chráněná-zvláštními-právy")),
                ),
                ("personal_data", v.string(&t, &p(PU, "osobní-údaje"))),
            ],
        })
    });
    let service = v
        .one(dist, &p(DCAT, "accessService"))
        .map_or(Val::Null, |s| {
            Val::Node(Node {
                fields: vec![
                    ("iri", Val::Str(term_value(&s))),
                    ("title", v.text(&s, &p(DCT, "title"))),
                    ("endpointURL", v.string(&s, &p(DCAT, "endpointURL"))),
                    (
                        "endpointDescription",
                        v.string(&s, &p(DCAT, "endpointDescription")),
                    ),
                    ("conformsTo", v.string(&s, &p(DCT, "conformsTo"))),
                    ("documentation", v.string(&s, &p(FOAF, "page"))),
                    (
                        "contactPoint",
                        v.one(&s, &p(DCAT, "contactPoint"))
                            .map_or(Val::Null, |c| contact_node(v, &c)),
                    ),
                    ("hvdCategory", v.strings(&s, &p(DCATAP, "hvdCategory"))),
                    (
                        "applicableLegislation",
                        v.strings(&s, &p(DCATAP, "applicableLegislation")),
                    ),
                ],
            })
        });
    Node {
        fields: vec![
            ("iri", Val::Str(term_value(dist))),
            ("termsOfUse", terms),
            ("accessURL", v.string(dist, &p(DCAT, "accessURL"))),
            ("downloadURL", v.string(dist, &p(DCAT, "downloadURL"))),
            ("format", v.string(dist, &p(DCT, "format"))),
            ("mediaType", v.string(dist, &p(DCAT, "mediaType"))),
            ("conformsTo", v.string(dist, &p(DCT, "conformsTo"))),
            (
                "applicableLegislation",
                v.strings(dist, &p(DCATAP, "applicableLegislation")),
            ),
            ("compressFormat", v.string(dist, &p(DCAT, "compressFormat"))),
            ("packageFormat", v.string(dist, &p(DCAT, "packageFormat"))),
            ("title", v.text(dist, &p(DCT, "title"))),
            ("accessService", service),
        ],
    }
}
