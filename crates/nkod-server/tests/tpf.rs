//! `/ldf/nkod-ldf`: Triple Pattern Fragments shaped like @ldf/server 3.

mod common;

use std::collections::{BTreeSet, HashSet};

use common::{SUKL, agent, start, testdata};
use oxigraph::model::{GraphName, Literal, NamedNode, Quad, Term, Triple};
use oxttl::{NTriplesParser, TriGParser, TurtleParser};

const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";
const VOID_TRIPLES: &str = "http://rdfs.org/ns/void#triples";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

struct Fragment {
    url: String,
    metadata: Vec<Quad>,
    data: Vec<Quad>,
}

impl Fragment {
    fn meta_object(&self, subject: &str, predicate: &str) -> Option<Term> {
        self.metadata
            .iter()
            .find(|q| {
                q.subject.to_string() == format!("<{subject}>") && q.predicate.as_str() == predicate
            })
            .map(|q| q.object.clone())
    }

    fn count(&self) -> usize {
        match self.meta_object(&self.url, VOID_TRIPLES) {
            Some(Term::Literal(l)) => l.value().parse().unwrap(),
            other => panic!("no void:triples on {}: {other:?}", self.url),
        }
    }

    fn link(&self, rel: &str) -> Option<String> {
        match self.meta_object(&self.url, &format!("{HYDRA}{rel}")) {
            Some(Term::NamedNode(n)) => Some(n.into_string()),
            _ => None,
        }
    }
}

fn fetch(url: &str) -> Fragment {
    let mut resp = agent().get(url).call().unwrap();
    assert_eq!(resp.status(), 200, "{url}");
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/trig")
    );
    let body = resp.body_mut().read_to_string().unwrap();
    let quads: Vec<Quad> = TriGParser::new()
        .for_slice(&body)
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{url} is valid TriG: {e}\n{body}"));
    let (metadata, data): (Vec<Quad>, Vec<Quad>) = quads.into_iter().partition(
        |q| matches!(&q.graph_name, GraphName::NamedNode(g) if g.as_str().ends_with("#metadata")),
    );
    // The URL of the page is the metadata graph's primary topic's page (itself for page 1).
    let metadata_graph = metadata
        .first()
        .map(|q| q.graph_name.to_string())
        .expect("a metadata graph");
    let fragment_url = metadata_graph
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim_end_matches("#metadata")
        .to_owned();
    let page_url = if url.contains("page=") && !url.ends_with("page=1") {
        url.to_owned()
    } else {
        fragment_url
    };
    Fragment {
        url: page_url,
        metadata,
        data,
    }
}

fn template(fragment: &Fragment) -> String {
    let search = fragment
        .metadata
        .iter()
        .find(|q| q.predicate.as_str() == format!("{HYDRA}search"))
        .expect("hydra:search")
        .object
        .clone();
    let t = fragment
        .metadata
        .iter()
        .find(|q| {
            Term::from(q.subject.clone()) == search
                && q.predicate.as_str() == format!("{HYDRA}template")
        })
        .expect("hydra:template");
    match &t.object {
        Term::Literal(l) => l.value().to_owned(),
        other => panic!("template is a literal: {other}"),
    }
}

/// Follows hydra:next from `url`, checking each page, and returns all data triples.
fn crawl(url: &str) -> (usize, Vec<Triple>, usize) {
    let mut next = Some(url.to_owned());
    let mut triples = Vec::new();
    let mut pages = 0;
    let mut total = None;
    while let Some(url) = next {
        let fragment = fetch(&url);
        pages += 1;
        let count = fragment.count();
        assert_eq!(
            *total.get_or_insert(count),
            count,
            "count is stable across pages"
        );
        assert!(fragment.data.len() <= 100);
        assert_eq!(fragment.link("previous").is_some(), pages > 1, "{url}");
        next = fragment.link("next");
        if next.is_some() {
            assert_eq!(fragment.data.len(), 100, "full pages before the last");
        }
        triples.extend(fragment.data.into_iter().map(Triple::from));
    }
    (total.unwrap(), triples, pages)
}

#[test]
fn start_fragment_has_the_hydra_controls() {
    let server = start();
    let fragment = fetch(&server.ldf_url());
    assert_eq!(
        template(&fragment),
        format!("{}{{?subject,predicate,object,graph}}", server.ldf_url())
    );
    assert_eq!(fragment.data.len(), 100);
    assert!(
        fragment
            .data
            .iter()
            .all(|q| q.graph_name.is_default_graph())
    );
    assert_eq!(
        fragment.link("next"),
        Some(format!("{}?page=2", server.ldf_url()))
    );
    assert_eq!(fragment.link("first"), Some(server.ldf_url()));
    match fragment.meta_object(&fragment.url, &format!("{HYDRA}itemsPerPage")) {
        Some(Term::Literal(l)) => assert_eq!(l.value(), "100"),
        other => panic!("itemsPerPage: {other:?}"),
    }
}

#[test]
fn paging_beyond_100_triples_returns_every_distinct_triple_once() {
    let server = start();
    // Expected: the distinct triples of all graphs, counted by SPARQL over the same store.
    let expected: BTreeSet<String> = server
        .snapshot()
        .store()
        .iter()
        .map(|q| Triple::from(q.unwrap()).to_string())
        .collect();
    let (total, triples, pages) = crawl(&server.ldf_url());
    assert_eq!(total, expected.len());
    assert!(total > 1000, "the snapshot is big enough to page: {total}");
    assert_eq!(pages, total.div_ceil(100));
    // Blank node labels may differ between pages only if the server relabels; it must not.
    let got: Vec<String> = triples.iter().map(ToString::to_string).collect();
    let unique: HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "no triple on two pages");
    assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), expected);
}

#[test]
fn predicate_pattern_pages_and_counts() {
    let server = start();
    let url = format!("{}?predicate={}", server.ldf_url(), percent(RDF_TYPE));
    let (total, triples, pages) = crawl(&url);
    assert!(total > 100, "rdf:type has more than a page: {total}");
    assert_eq!(triples.len(), total);
    assert!(pages >= 2);
    assert!(triples.iter().all(|t| t.predicate.as_str() == RDF_TYPE));
}

#[test]
fn subject_and_literal_object_patterns() {
    let server = start();
    let fragment = fetch(&format!("{}?subject={}", server.ldf_url(), percent(SUKL)));
    assert!(fragment.count() > 5);
    assert_eq!(fragment.count(), fragment.data.len());
    assert!(fragment.link("next").is_none());
    assert!(
        fragment
            .data
            .iter()
            .all(|q| q.subject.to_string() == format!("<{SUKL}>"))
    );

    let title = "\"Seznam stránek s nelegální nabídkou léčivých přípravků\"@cs";
    let fragment = fetch(&format!("{}?object={}", server.ldf_url(), percent(title)));
    assert_eq!(fragment.count(), 1);
    assert_eq!(fragment.data[0].subject.to_string(), format!("<{SUKL}>"));
    assert_eq!(
        fragment.data[0].object,
        Term::from(Literal::new_language_tagged_literal_unchecked(
            "Seznam stránek s nelegální nabídkou léčivých přípravků",
            "cs"
        ))
    );

    let fragment = fetch(&format!(
        "{}?subject={}&predicate={}",
        server.ldf_url(),
        percent("https://data.gov.cz/zdroj/katalog/NKOD"),
        percent("http://purl.org/dc/terms/modified")
    ));
    assert_eq!(fragment.count(), 1);
    assert_eq!(
        fragment.data[0].object,
        Term::from(Literal::new_typed_literal(
            "2026-11-21",
            NamedNode::new_unchecked("http://www.w3.org/2001/XMLSchema#date")
        ))
    );

    let fragment = fetch(&format!(
        "{}?subject={}",
        server.ldf_url(),
        percent("http://nothing.example/x")
    ));
    assert_eq!(fragment.count(), 0);
    assert!(fragment.data.is_empty());
}

#[test]
fn graph_parameter_limits_to_one_dataset_graph() {
    let server = start();
    let url = format!(
        "{}?predicate={}&graph={}",
        server.ldf_url(),
        percent("http://xmlns.com/foaf/0.1/name"),
        percent(SUKL)
    );
    let fragment = fetch(&url);
    assert_eq!(fragment.count(), 1);
    assert_eq!(fragment.data[0].graph_name.to_string(), format!("<{SUKL}>"));
}

#[test]
fn turtle_and_ntriples_put_metadata_in_the_default_graph() {
    let server = start();
    let url = format!("{}?subject={}", server.ldf_url(), percent(SUKL));
    for (accept, parse) in [("text/turtle", true), ("application/n-triples", false)] {
        let mut resp = agent().get(&url).header("Accept", accept).call().unwrap();
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(accept)
        );
        let body = resp.body_mut().read_to_string().unwrap();
        let triples: Vec<Triple> = if parse {
            TurtleParser::new()
                .for_slice(&body)
                .collect::<Result<_, _>>()
                .unwrap()
        } else {
            NTriplesParser::new()
                .for_slice(&body)
                .collect::<Result<_, _>>()
                .unwrap()
        };
        assert!(triples.iter().any(|t| t.predicate.as_str() == VOID_TRIPLES));
        assert!(
            triples
                .iter()
                .any(|t| t.subject.to_string() == format!("<{SUKL}>"))
        );
    }
    let resp = agent()
        .get(&url)
        .header("Accept", "image/png")
        .call()
        .unwrap();
    assert_eq!(resp.status(), 406);
    let resp = agent()
        .get(&format!("{}?subject=%22unterminated", server.ldf_url()))
        .call()
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[test]
fn metadata_uses_the_same_vocabulary_as_ldf_server_3() {
    // testdata/nkod/ldf/tpf-v3-basic-fragment.example.trig is @ldf/server's own test fixture for
    // a page in the middle (page 3): our page 3 must use the same metadata predicates and types.
    let example =
        std::fs::read_to_string(testdata().join("ldf/tpf-v3-basic-fragment.example.trig")).unwrap();
    let vocabulary = |quads: &[Quad]| -> BTreeSet<String> {
        quads
            .iter()
            .filter(|q| !q.graph_name.is_default_graph())
            .flat_map(|q| {
                let mut v = vec![q.predicate.to_string()];
                if q.predicate.as_str() == RDF_TYPE {
                    v.push(q.object.to_string());
                }
                v
            })
            .collect()
    };
    let example: Vec<Quad> = TriGParser::new()
        .with_base_iri("http://ex.org/")
        .unwrap()
        .for_slice(&example)
        .collect::<Result<_, _>>()
        .unwrap();
    let server = start();
    let fragment = fetch(&format!("{}?page=3", server.ldf_url()));
    assert_eq!(vocabulary(&fragment.metadata), vocabulary(&example));
}

fn percent(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
