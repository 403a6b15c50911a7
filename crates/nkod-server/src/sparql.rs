//! `/sparql`: the SPARQL 1.1 protocol over the in-memory store, answering like NKOD's Virtuoso
//! (the default graph is the union of all graphs).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode};
use oxigraph::sparql::{QueryResults, SparqlEvaluator};
use sparesults::{QueryResultsFormat, QueryResultsSerializer};

use crate::http_util::{negotiate, text_error};
use crate::server::AppState;

/// The parameters of one SPARQL protocol request.
#[derive(Debug, Default)]
struct Params {
    query: Vec<String>,
    default_graphs: Vec<String>,
    named_graphs: Vec<String>,
    format: Option<String>,
}

impl Params {
    fn absorb(&mut self, pairs: url::form_urlencoded::Parse<'_>) {
        for (key, value) in pairs {
            match key.as_ref() {
                "query" => self.query.push(value.into_owned()),
                // Virtuoso clients send these empty; an empty value means "not given".
                "default-graph-uri" if !value.is_empty() => {
                    self.default_graphs.push(value.into_owned());
                }
                "named-graph-uri" if !value.is_empty() => {
                    self.named_graphs.push(value.into_owned());
                }
                "format" | "output" if !value.is_empty() => self.format = Some(value.into_owned()),
                // Virtuoso's `timeout` (ms) and other extras are accepted and ignored.
                _ => {}
            }
        }
    }
}

pub(crate) async fn handle_get(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let mut params = Params::default();
    params.absorb(url::form_urlencoded::parse(
        raw.unwrap_or_default().as_bytes(),
    ));
    execute(state, params, headers).await
}

pub(crate) async fn handle_post(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut params = Params::default();
    params.absorb(url::form_urlencoded::parse(
        raw.unwrap_or_default().as_bytes(),
    ));
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match content_type.as_str() {
        "application/x-www-form-urlencoded" => params.absorb(url::form_urlencoded::parse(&body)),
        "application/sparql-query" => match std::str::from_utf8(&body) {
            Ok(text) => params.query.push(text.to_owned()),
            Err(_) => {
                return text_error(StatusCode::BAD_REQUEST, "the query body is not valid UTF-8");
            }
        },
        "application/sparql-update" => {
            return text_error(
                StatusCode::FORBIDDEN,
                "this endpoint is read-only: SPARQL Update is not accepted",
            );
        }
        other => {
            return text_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "POST body of type {other:?} is not accepted: use application/x-www-form-urlencoded or application/sparql-query"
                ),
            );
        }
    }
    execute(state, params, headers).await
}

async fn execute(state: Arc<AppState>, params: Params, headers: HeaderMap) -> Response {
    let query = match params.query.as_slice() {
        [query] => query.clone(),
        [] => {
            return text_error(
                StatusCode::BAD_REQUEST,
                "missing the `query` parameter (SPARQL 1.1 protocol)",
            );
        }
        _ => {
            return text_error(
                StatusCode::BAD_REQUEST,
                "the `query` parameter is given more than once",
            );
        }
    };
    match tokio::task::spawn_blocking(move || evaluate(&state, &query, &params, &headers)).await {
        Ok(response) => response,
        Err(e) => text_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("query task failed: {e}"),
        ),
    }
}

#[derive(Debug, Clone, Copy)]
enum Output {
    Results(QueryResultsFormat),
    Rdf(RdfFormat),
}

const RESULTS_OFFERS: &[(&str, f32)] = &[
    ("application/sparql-results+json", 1.0),
    ("application/sparql-results+xml", 0.9),
    ("text/csv", 0.8),
    ("text/tab-separated-values", 0.7),
    ("application/json", 0.6),
    ("application/xml", 0.5),
];

const GRAPH_OFFERS: &[(&str, f32)] = &[
    ("text/turtle", 1.0),
    ("application/n-triples", 0.9),
    ("application/rdf+xml", 0.8),
    ("application/ld+json", 0.7),
    ("application/trig", 0.6),
    ("application/n-quads", 0.5),
    ("text/plain", 0.4),
];

fn results_format(name: &str) -> Option<QueryResultsFormat> {
    Some(match name.to_ascii_lowercase().as_str() {
        "json" | "application/sparql-results+json" | "application/json" => QueryResultsFormat::Json,
        "xml" | "application/sparql-results+xml" | "application/xml" => QueryResultsFormat::Xml,
        "csv" | "text/csv" => QueryResultsFormat::Csv,
        "tsv" | "text/tab-separated-values" => QueryResultsFormat::Tsv,
        _ => return None,
    })
}

fn rdf_format(name: &str) -> Option<RdfFormat> {
    Some(match name.to_ascii_lowercase().as_str() {
        "turtle" | "ttl" | "text/turtle" => RdfFormat::Turtle,
        "ntriples" | "nt" | "application/n-triples" | "text/plain" => RdfFormat::NTriples,
        "rdfxml" | "application/rdf+xml" => RdfFormat::RdfXml,
        "trig" | "application/trig" => RdfFormat::TriG,
        "nquads" | "application/n-quads" => RdfFormat::NQuads,
        "jsonld" | "application/ld+json" => RdfFormat::JsonLd {
            profile: oxigraph::io::JsonLdProfileSet::empty(),
        },
        _ => return None,
    })
}

fn choose_output(
    is_graph: bool,
    format: Option<&str>,
    headers: &HeaderMap,
) -> Result<Output, Box<Response>> {
    if let Some(name) = format {
        let chosen = if is_graph {
            rdf_format(name).map(Output::Rdf)
        } else {
            results_format(name).map(Output::Results)
        };
        return chosen.ok_or_else(|| {
            Box::new(text_error(
                StatusCode::BAD_REQUEST,
                format!("unsupported value of the `format` parameter: {name:?}"),
            ))
        });
    }
    let (offers, kind) = if is_graph {
        (GRAPH_OFFERS, "graph")
    } else {
        (RESULTS_OFFERS, "results")
    };
    let media = negotiate(headers, offers).ok_or_else(|| {
        Box::new(text_error(
            StatusCode::NOT_ACCEPTABLE,
            format!(
                "none of the Accept header's types is available for {kind}; available: {}",
                offers
                    .iter()
                    .map(|(m, _)| *m)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    })?;
    Ok(if is_graph {
        Output::Rdf(rdf_format(media).unwrap_or(RdfFormat::Turtle))
    } else {
        Output::Results(results_format(media).unwrap_or(QueryResultsFormat::Json))
    })
}

fn evaluate(state: &AppState, query: &str, params: &Params, headers: &HeaderMap) -> Response {
    let mut prepared = match SparqlEvaluator::new().parse_query(query) {
        Ok(p) => p,
        Err(e) => return text_error(StatusCode::BAD_REQUEST, format!("SPARQL syntax error: {e}")),
    };
    if !params.default_graphs.is_empty() || !params.named_graphs.is_empty() {
        let mut defaults = Vec::new();
        for iri in &params.default_graphs {
            match NamedNode::new(iri) {
                Ok(n) => defaults.push(GraphName::NamedNode(n)),
                Err(e) => {
                    return text_error(
                        StatusCode::BAD_REQUEST,
                        format!("invalid default-graph-uri {iri:?}: {e}"),
                    );
                }
            }
        }
        let mut named = Vec::new();
        for iri in &params.named_graphs {
            match NamedNode::new(iri) {
                Ok(n) => named.push(NamedOrBlankNode::NamedNode(n)),
                Err(e) => {
                    return text_error(
                        StatusCode::BAD_REQUEST,
                        format!("invalid named-graph-uri {iri:?}: {e}"),
                    );
                }
            }
        }
        if defaults.is_empty() {
            prepared.dataset_mut().set_default_graph_as_union();
        } else {
            prepared.dataset_mut().set_default_graph(defaults);
        }
        if !named.is_empty() {
            prepared.dataset_mut().set_available_named_graphs(named);
        }
    } else if prepared.dataset().is_default_dataset() {
        // As in Virtuoso: plain patterns see the union of all graphs.
        prepared.dataset_mut().set_default_graph_as_union();
    }
    let catalog = state.catalog();
    let results = match prepared.on_store(catalog.snapshot.store()).execute() {
        Ok(r) => r,
        Err(e) => {
            return text_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("query evaluation failed: {e}"),
            );
        }
    };
    let is_graph = matches!(results, QueryResults::Graph(_));
    let output = match choose_output(is_graph, params.format.as_deref(), headers) {
        Ok(o) => o,
        Err(response) => return *response,
    };
    match serialize(results, output) {
        Ok((body, content_type)) => ([(header::CONTENT_TYPE, content_type)], body).into_response(),
        Err(message) => text_error(StatusCode::INTERNAL_SERVER_ERROR, message),
    }
}

fn serialize(results: QueryResults<'_>, output: Output) -> Result<(Vec<u8>, String), String> {
    match (results, output) {
        (QueryResults::Solutions(solutions), Output::Results(format)) => {
            let mut writer = QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(Vec::new(), solutions.variables().to_vec())
                .map_err(|e| e.to_string())?;
            for solution in solutions {
                let solution = solution.map_err(|e| format!("query evaluation failed: {e}"))?;
                writer.serialize(&solution).map_err(|e| e.to_string())?;
            }
            let body = writer.finish().map_err(|e| e.to_string())?;
            Ok((body, results_content_type(format)))
        }
        (QueryResults::Boolean(value), Output::Results(format)) => {
            let body = QueryResultsSerializer::from_format(format)
                .serialize_boolean_to_writer(Vec::new(), value)
                .map_err(|e| e.to_string())?;
            Ok((body, results_content_type(format)))
        }
        (QueryResults::Graph(triples), Output::Rdf(format)) => {
            let mut writer = RdfSerializer::from_format(format).for_writer(Vec::new());
            for triple in triples {
                let triple = triple.map_err(|e| format!("query evaluation failed: {e}"))?;
                writer
                    .serialize_triple(&triple)
                    .map_err(|e| e.to_string())?;
            }
            let body = writer.finish().map_err(|e| e.to_string())?;
            Ok((body, format!("{}; charset=utf-8", format.media_type())))
        }
        _ => Err("internal error: output format does not fit the query form".to_owned()),
    }
}

fn results_content_type(format: QueryResultsFormat) -> String {
    format!("{}; charset=utf-8", format.media_type())
}
