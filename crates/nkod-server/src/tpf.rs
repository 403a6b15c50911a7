//! `/ldf/nkod-ldf`: Triple Pattern Fragments shaped like @ldf/server 3 (the software behind
//! data.gov.cz/ldf).
//!
//! Like NKOD's `nkod-ldf` datasource (HDT, triples only), a fragment without `graph` holds the
//! distinct triples of all graphs together. The hydra template also offers `graph`, as
//! @ldf/server 3's quad pattern fragments do: with it the fragment is limited to one named graph.

use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{
    BlankNode, GraphName, Literal, NamedNode, NamedOrBlankNode, Quad, Term, Triple,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::http_util::text_error;
use crate::server::AppState;
use opendata_http::negotiate::choose_media_type;

/// Triples per fragment page, as in @ldf/server.
pub const TPF_PAGE_SIZE: usize = 100;

/// The name of the datasource, as in NKOD's @ldf/server configuration.
const DATASOURCE: &str = "nkod-ldf";
const DATASOURCE_TITLE: &str = "NKOD";
/// @ldf/server's name for the default graph in quad patterns.
const LDF_DEFAULT_GRAPH: &str = "urn:ldf:defaultGraph";

const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";
const VOID: &str = "http://rdfs.org/ns/void#";
const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const XSD_INTEGER: &str = "http://www.w3.org/2001/XMLSchema#integer";
const DCTERMS: &str = "http://purl.org/dc/terms/";
const SD: &str = "http://www.w3.org/ns/sparql-service-description#";
const FOAF_PRIMARY_TOPIC: &str = "http://xmlns.com/foaf/0.1/primaryTopic";

/// Characters JavaScript's `encodeURIComponent` escapes (what @ldf/server uses in its links).
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// The RDF formats a fragment is sent in, with the server's preference in thousandths.
const OFFERS: &[(&str, u16)] = &[
    ("application/trig", 900),
    ("application/ld+json", 800),
    ("application/json", 800),
    ("application/n-quads", 700),
    ("text/turtle", 600),
    ("text/n3", 600),
    ("application/n-triples", 500),
];

/// A triple pattern plus optional graph, each position `None` for a variable.
#[derive(Debug, Default)]
struct Pattern {
    subject: Option<NamedOrBlankNode>,
    predicate: Option<NamedNode>,
    object: Option<Term>,
    graph: Option<NamedNode>,
    /// The raw (explicit-representation) values, for links and the description.
    raw: [Option<String>; 4],
}

pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(media) = choose_media_type(&headers, OFFERS) else {
        return text_error(
            StatusCode::NOT_ACCEPTABLE,
            "available: application/trig, application/ld+json, application/n-quads, text/turtle, application/n-triples",
        );
    };
    let mut pattern = Pattern::default();
    let mut page = 1usize;
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let slot = match key.as_ref() {
            "subject" => 0,
            "predicate" => 1,
            "object" => 2,
            "graph" => 3,
            // As @ldf/server: anything that is not a positive number means the first page.
            "page" => {
                page = value.parse::<usize>().ok().filter(|p| *p >= 1).unwrap_or(1);
                continue;
            }
            _ => continue,
        };
        if let Err(message) = pattern.set(slot, &value) {
            return text_error(StatusCode::BAD_REQUEST, message);
        }
    }
    let state2 = Arc::clone(&state);
    let result = tokio::task::spawn_blocking(move || render(&state2, &pattern, page, media)).await;
    match result {
        Ok(Ok(body)) => {
            let mut response = (StatusCode::OK, body).into_response();
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(&format!("{media};charset=utf-8"))
                    .unwrap_or(HeaderValue::from_static("application/trig")),
            );
            h.insert(header::VARY, HeaderValue::from_static("Accept"));
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public,max-age=3600"),
            );
            response
        }
        Ok(Err(message)) => text_error(StatusCode::INTERNAL_SERVER_ERROR, message),
        Err(e) => text_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("fragment task failed: {e}"),
        ),
    }
}

impl Pattern {
    fn set(&mut self, slot: usize, value: &str) -> Result<(), String> {
        const NAMES: [&str; 4] = ["subject", "predicate", "object", "graph"];
        let (Some(&name), Some(raw)) = (NAMES.get(slot), self.raw.get_mut(slot)) else {
            return Err(format!("no pattern position {slot}"));
        };
        let Some(term) = parse_term(value).map_err(|e| format!("invalid {name} {value:?}: {e}"))?
        else {
            return Ok(());
        };
        *raw = Some(value.to_owned());
        match (slot, term) {
            (0, Term::NamedNode(n)) => self.subject = Some(n.into()),
            (0, Term::BlankNode(b)) => self.subject = Some(b.into()),
            (1, Term::NamedNode(n)) => self.predicate = Some(n),
            (2, t) => self.object = Some(t),
            (3, Term::NamedNode(n)) => {
                if n.as_str() != LDF_DEFAULT_GRAPH {
                    self.graph = Some(n);
                }
            }
            _ => {
                return Err(format!(
                    "invalid {name} {value:?}: a {name} must be an IRI{}",
                    if slot == 0 { " or a blank node" } else { "" }
                ));
            }
        }
        Ok(())
    }
}

/// Parses a term in hydra's ExplicitRepresentation as @ldf/server reads it (rdf-string):
/// empty or `?x` is a variable, `_:b` a blank node, `"v"`, `"v"@lang` or `"v"^^dt` a literal,
/// anything else an IRI (angle brackets optional).
fn parse_term(value: &str) -> Result<Option<Term>, String> {
    if value.is_empty() || value.starts_with('?') {
        return Ok(None);
    }
    if let Some(id) = value.strip_prefix("_:") {
        return BlankNode::new(id)
            .map(|b| Some(b.into()))
            .map_err(|e| e.to_string());
    }
    if let Some(rest) = value.strip_prefix('"') {
        let end = rest
            .rfind('"')
            .ok_or_else(|| "a literal must end with '\"'".to_owned())?;
        let (lexical, suffix) = (&rest[..end], &rest[end + 1..]);
        if suffix.is_empty() {
            return Ok(Some(Literal::new_simple_literal(lexical).into()));
        }
        if let Some(lang) = suffix.strip_prefix('@') {
            return Literal::new_language_tagged_literal(lexical, lang)
                .map(|l| Some(l.into()))
                .map_err(|e| e.to_string());
        }
        if let Some(datatype) = suffix.strip_prefix("^^") {
            let datatype = datatype
                .strip_prefix('<')
                .and_then(|d| d.strip_suffix('>'))
                .unwrap_or(datatype);
            let datatype = NamedNode::new(datatype).map_err(|e| e.to_string())?;
            return Ok(Some(Literal::new_typed_literal(lexical, datatype).into()));
        }
        return Err("after a literal's closing quote only @lang or ^^datatype may follow".into());
    }
    let iri = value
        .strip_prefix('<')
        .and_then(|v| v.strip_suffix('>'))
        .unwrap_or(value);
    NamedNode::new(iri)
        .map(|n| Some(n.into()))
        .map_err(|e| e.to_string())
}

/// Fragments remembered per catalogue, so crawling a big fragment page by page sorts it once.
const CACHED_FRAGMENTS: usize = 16;

/// The raw subject, predicate, object and graph of a request: the cache key.
type PatternKey = [Option<String>; 4];

/// Recently computed fragments of one catalogue (most recent last).
#[derive(Debug, Default)]
pub(crate) struct FragmentCache {
    entries: Mutex<Vec<(PatternKey, Arc<Vec<Triple>>)>>,
}

/// The distinct matching triples, in a stable order (N-Triples form), so pages do not shift.
fn matching_triples(state: &AppState, pattern: &Pattern) -> Result<Arc<Vec<Triple>>, String> {
    let catalog = state.catalog();
    let key = pattern.raw.clone();
    {
        let entries = catalog
            .tpf_cache
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, triples)) = entries.iter().find(|(k, _)| *k == key) {
            return Ok(Arc::clone(triples));
        }
    }
    let graph = pattern
        .graph
        .as_ref()
        .map(|g| GraphName::NamedNode(g.clone()));
    let mut keyed: Vec<(String, Triple)> = Vec::new();
    for quad in catalog.snapshot.store().quads_for_pattern(
        pattern.subject.as_ref().map(Into::into),
        pattern.predicate.as_ref().map(Into::into),
        pattern.object.as_ref().map(Into::into),
        graph.as_ref().map(Into::into),
    ) {
        let quad = quad.map_err(|e| format!("store error: {e}"))?;
        let triple = Triple::from(quad);
        keyed.push((triple.to_string(), triple));
    }
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    let triples = Arc::new(keyed.into_iter().map(|(_, t)| t).collect::<Vec<_>>());
    let mut entries = catalog
        .tpf_cache
        .entries
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if entries.len() >= CACHED_FRAGMENTS {
        entries.remove(0);
    }
    entries.push((key, Arc::clone(&triples)));
    Ok(triples)
}

fn render(
    state: &AppState,
    pattern: &Pattern,
    page: usize,
    media: &str,
) -> Result<Vec<u8>, String> {
    let triples = matching_triples(state, pattern)?;
    let total = triples.len();
    let per_page = state.tpf_page_size;
    let start = page.saturating_sub(1).saturating_mul(per_page).min(total);
    let end = start.saturating_add(per_page).min(total);
    let page_triples = triples.get(start..end).unwrap_or_default();

    let datasource_url = format!("{}ldf/{DATASOURCE}", state.base_url);
    let names = ["subject", "predicate", "object", "graph"];
    let query: Vec<String> = names
        .iter()
        .zip(&pattern.raw)
        .filter_map(|(name, value)| {
            value
                .as_ref()
                .map(|v| format!("{name}={}", utf8_percent_encode(v, URI_COMPONENT)))
        })
        .collect();
    let fragment_url = if query.is_empty() {
        datasource_url.clone()
    } else {
        format!("{datasource_url}?{}", query.join("&"))
    };
    let page_base = format!(
        "{fragment_url}{}page=",
        if query.is_empty() { "?" } else { "&" }
    );
    let page_url = |n: usize| {
        if n == 1 {
            fragment_url.clone()
        } else {
            format!("{page_base}{n}")
        }
    };
    let current = page_url(page);

    let iri = |s: &str| NamedNode::new(s).map_err(|e| format!("invalid IRI {s}: {e}"));
    let metadata = iri(&format!("{fragment_url}#metadata"))?;
    let graph = GraphName::NamedNode(metadata.clone());
    let mut meta: Vec<Quad> = Vec::new();
    let mut add = |s: NamedOrBlankNode, p: NamedNode, o: Term| {
        meta.push(Quad::new(s, p, o, graph.clone()));
    };
    let h = |local: &str| NamedNode::new_unchecked(format!("{HYDRA}{local}"));
    let v = |local: &str| NamedNode::new_unchecked(format!("{VOID}{local}"));
    let int = |n: usize| {
        Term::from(Literal::new_typed_literal(
            n.to_string(),
            NamedNode::new_unchecked(XSD_INTEGER),
        ))
    };
    let rdf_type = NamedNode::new_unchecked(format!("{RDF}type"));

    let dataset = iri(&format!("{datasource_url}#dataset"))?;
    let index = iri(&format!("{}ldf/#dataset", state.base_url))?;
    let fragment = iri(&fragment_url)?;
    let current_node = iri(&current)?;
    add(
        metadata.clone().into(),
        NamedNode::new_unchecked(FOAF_PRIMARY_TOPIC),
        fragment.clone().into(),
    );
    add(index.into(), h("member"), dataset.clone().into());
    add(
        dataset.clone().into(),
        rdf_type.clone(),
        v("Dataset").into(),
    );
    add(
        dataset.clone().into(),
        rdf_type.clone(),
        h("Collection").into(),
    );
    add(
        dataset.clone().into(),
        v("subset"),
        current_node.clone().into(),
    );
    if current != fragment_url {
        add(dataset.clone().into(), v("subset"), fragment.clone().into());
    }
    add(
        dataset.clone().into(),
        NamedNode::new_unchecked(format!("{SD}defaultGraph")),
        NamedNode::new_unchecked(LDF_DEFAULT_GRAPH).into(),
    );
    let search = BlankNode::new_unchecked("pattern");
    add(dataset.clone().into(), h("search"), search.clone().into());
    add(
        search.clone().into(),
        h("template"),
        Literal::new_simple_literal(format!(
            "{datasource_url}{{?subject,predicate,object,graph}}"
        ))
        .into(),
    );
    add(
        search.clone().into(),
        h("variableRepresentation"),
        h("ExplicitRepresentation").into(),
    );
    for (name, property) in [
        ("subject", format!("{RDF}subject")),
        ("predicate", format!("{RDF}predicate")),
        ("object", format!("{RDF}object")),
        ("graph", format!("{SD}graph")),
    ] {
        let mapping = BlankNode::new_unchecked(name);
        add(search.clone().into(), h("mapping"), mapping.clone().into());
        add(
            mapping.clone().into(),
            h("variable"),
            Literal::new_simple_literal(name).into(),
        );
        add(
            mapping.into(),
            h("property"),
            NamedNode::new_unchecked(property).into(),
        );
    }
    if current != fragment_url {
        add(fragment.into(), v("subset"), current_node.clone().into());
    }
    let pattern_text = names
        .iter()
        .zip(&pattern.raw)
        .take(3)
        .map(|(name, raw)| match raw {
            Some(value) if value.starts_with('"') || value.starts_with("_:") => value.clone(),
            Some(value) => format!("<{value}>"),
            None => format!("?{}", &name[..1]),
        })
        .collect::<Vec<_>>()
        .join(" ");
    let view: NamedOrBlankNode = current_node.into();
    add(view.clone(), rdf_type, h("PartialCollectionView").into());
    add(
        view.clone(),
        NamedNode::new_unchecked(format!("{DCTERMS}title")),
        Literal::new_language_tagged_literal_unchecked(
            format!("Linked Data Fragment of {DATASOURCE_TITLE}"),
            "en",
        )
        .into(),
    );
    add(
        view.clone(),
        NamedNode::new_unchecked(format!("{DCTERMS}description")),
        Literal::new_language_tagged_literal_unchecked(
            format!(
                "Triple/Quad Pattern Fragment of the '{DATASOURCE_TITLE}' dataset containing triples matching the pattern {{ {pattern_text} }}."
            ),
            "en",
        )
        .into(),
    );
    add(
        view.clone(),
        NamedNode::new_unchecked(format!("{DCTERMS}source")),
        dataset.into(),
    );
    add(view.clone(), h("totalItems"), int(total));
    add(view.clone(), v("triples"), int(total));
    add(view.clone(), h("itemsPerPage"), int(per_page));
    add(view.clone(), h("first"), iri(&page_url(1))?.into());
    if page > 1 {
        add(
            view.clone(),
            h("previous"),
            iri(&page_url(page - 1))?.into(),
        );
    }
    if end < total {
        add(view, h("next"), iri(&page_url(page + 1))?.into());
    }

    let data_graph = match &pattern.graph {
        Some(g) => GraphName::NamedNode(g.clone()),
        None => GraphName::DefaultGraph,
    };
    let format = match media {
        "application/trig" => RdfFormat::TriG,
        "application/n-quads" => RdfFormat::NQuads,
        "application/n-triples" => RdfFormat::NTriples,
        "application/ld+json" | "application/json" => RdfFormat::JsonLd {
            profile: oxigraph::io::JsonLdProfileSet::empty(),
        },
        _ => RdfFormat::Turtle,
    };
    let mut serializer = RdfSerializer::from_format(format);
    if matches!(format, RdfFormat::TriG | RdfFormat::Turtle) {
        for (prefix, ns) in [
            ("rdf", RDF),
            ("xsd", "http://www.w3.org/2001/XMLSchema#"),
            ("hydra", HYDRA),
            ("void", VOID),
            ("dcterms", DCTERMS),
            ("foaf", "http://xmlns.com/foaf/0.1/"),
            ("dcat", "http://www.w3.org/ns/dcat#"),
        ] {
            serializer = serializer
                .with_prefix(prefix, ns)
                .map_err(|e| e.to_string())?;
        }
    }
    let mut writer = serializer.for_writer(Vec::new());
    let err = |e: std::io::Error| e.to_string();
    if format.supports_datasets() {
        for quad in &meta {
            writer.serialize_quad(quad).map_err(err)?;
        }
        for triple in page_triples {
            writer
                .serialize_quad(&triple.clone().in_graph(data_graph.clone()))
                .map_err(err)?;
        }
    } else {
        // Turtle and N-Triples cannot name graphs: metadata joins the data, as in @ldf/server.
        for quad in &meta {
            writer
                .serialize_triple(&Triple::from(quad.clone()))
                .map_err(err)?;
        }
        for triple in page_triples {
            writer.serialize_triple(triple).map_err(err)?;
        }
    }
    writer.finish().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_representation_terms() {
        assert_eq!(parse_term("").unwrap(), None);
        assert_eq!(parse_term("?s").unwrap(), None);
        assert_eq!(
            parse_term("http://a/b").unwrap(),
            Some(NamedNode::new_unchecked("http://a/b").into())
        );
        assert_eq!(
            parse_term("\"Seznam\"@cs").unwrap(),
            Some(Literal::new_language_tagged_literal_unchecked("Seznam", "cs").into())
        );
        assert_eq!(
            parse_term("\"2026-11-21\"^^http://www.w3.org/2001/XMLSchema#date").unwrap(),
            Some(
                Literal::new_typed_literal(
                    "2026-11-21",
                    NamedNode::new_unchecked("http://www.w3.org/2001/XMLSchema#date")
                )
                .into()
            )
        );
        assert_eq!(
            parse_term("\"a \"quoted\" word\"").unwrap(),
            Some(Literal::new_simple_literal("a \"quoted\" word").into())
        );
        assert!(parse_term("\"unterminated").is_err());
        assert!(parse_term("not an iri").is_err());
    }
}
