//! `/sparql`: the SPARQL 1.1 protocol over the in-memory store, answering like NKOD's Virtuoso
//! (the default graph is the union of all graphs).

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode};
use oxigraph::sparql::{CancellationToken, QueryResults, SparqlEvaluator};
use sparesults::{QueryResultsFormat, QueryResultsSerializer};
use spargebra::algebra::GraphPattern;
use spargebra::term::{NamedNodePattern, TermPattern, TriplePattern};

use crate::http_util::text_error;
use crate::server::AppState;
use opendata_http::negotiate::{choose_media_type, content_media_type};

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
    let content_type = content_media_type(&headers).unwrap_or_default();
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
    let limits = state.query_limits.clone();
    if let Some(depth) = nesting_beyond(&query, limits.max_nesting) {
        return text_error(
            StatusCode::BAD_REQUEST,
            format!(
                "the query is nested too deeply: {depth} levels of brackets, at most {} allowed",
                limits.max_nesting
            ),
        );
    }
    // Off the async runtime, cancelled when the time is up or the client is gone (this
    // future is then dropped, and the guard with it).
    let token = CancellationToken::new();
    let _cancel = CancelOnDrop(token.clone());
    let task =
        tokio::task::spawn_blocking(move || evaluate(&state, &query, &params, &headers, &token));
    // Watch the evaluation: past the time limit, or when the process has grown by more than
    // the memory limit since it started (a sort or a join materialising), it is cancelled.
    let deadline = std::time::Instant::now() + limits.timeout;
    let baseline = resident_bytes();
    tokio::pin!(task);
    loop {
        tokio::select! {
            result = &mut task => {
                return match result {
                    Ok(response) => response,
                    Err(e) => text_error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("query task failed: {e}"),
                    ),
                };
            }
            () = tokio::time::sleep(std::time::Duration::from_millis(50)) => {
                if std::time::Instant::now() >= deadline {
                    return text_error(
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!(
                            "the query was cancelled at the time limit of {:?}",
                            limits.timeout
                        ),
                    );
                }
                if let (Some(base), Some(now)) = (baseline, resident_bytes())
                    && now.saturating_sub(base) > limits.max_memory_bytes
                {
                    return text_error(
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!(
                            "the query was cancelled at the memory limit of {} MiB",
                            limits.max_memory_bytes >> 20
                        ),
                    );
                }
            }
        }
    }
}

/// The process's resident memory (`/proc/self/statm`), if known.
fn resident_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Whether a pattern joins two parts that share no variable and may each match many rows.
///
/// Such a product grows as the product of both sides, and the evaluator materialises one side
/// without looking at its cancellation token in between: `{ ?a ?b ?c . ?d ?e ?f }` over this
/// catalogue never ends and eats memory fast. A catalogue client never needs one (NKOD's
/// queries join within `GRAPH ?g`), so they are refused.
fn has_cartesian_product(pattern: &GraphPattern) -> bool {
    match pattern {
        GraphPattern::Bgp { patterns } => bgp_components(patterns) > 1,
        GraphPattern::Join { left, right } | GraphPattern::LeftJoin { left, right, .. } => {
            let (l, r) = (variables(left), variables(right));
            (!single_row(left) && !single_row(right) && l.is_disjoint(&r))
                || has_cartesian_product(left)
                || has_cartesian_product(right)
        }
        GraphPattern::Union { left, right } | GraphPattern::Minus { left, right } => {
            has_cartesian_product(left) || has_cartesian_product(right)
        }
        GraphPattern::Filter { inner, .. }
        | GraphPattern::Graph { inner, .. }
        | GraphPattern::Extend { inner, .. }
        | GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. }
        | GraphPattern::Group { inner, .. }
        | GraphPattern::Service { inner, .. } => has_cartesian_product(inner),
        _ => false,
    }
}

/// A part that matches at most one row (an empty pattern, `VALUES` with one row, `BIND`).
fn single_row(pattern: &GraphPattern) -> bool {
    match pattern {
        GraphPattern::Bgp { patterns } => patterns.is_empty(),
        GraphPattern::Values { bindings, .. } => bindings.len() <= 1,
        GraphPattern::Extend { inner, .. } | GraphPattern::Filter { inner, .. } => {
            single_row(inner)
        }
        _ => false,
    }
}

/// The variables (and blank nodes, which act as variables) a pattern binds.
fn variables(pattern: &GraphPattern) -> HashSet<String> {
    let mut out = HashSet::new();
    collect_variables(pattern, &mut out);
    out
}

fn variable_name(v: &oxigraph::sparql::Variable) -> String {
    format!("?{}", v.as_str())
}

fn term_name(term: &TermPattern) -> Option<String> {
    match term {
        TermPattern::Variable(v) => Some(variable_name(v)),
        TermPattern::BlankNode(b) => Some(format!("_:{}", b.as_str())),
        _ => None,
    }
}

fn triple_names(t: &TriplePattern) -> impl Iterator<Item = String> {
    let predicate = match &t.predicate {
        NamedNodePattern::Variable(v) => Some(variable_name(v)),
        NamedNodePattern::NamedNode(_) => None,
    };
    [term_name(&t.subject), predicate, term_name(&t.object)]
        .into_iter()
        .flatten()
}

fn collect_variables(pattern: &GraphPattern, out: &mut HashSet<String>) {
    match pattern {
        GraphPattern::Bgp { patterns } => {
            for t in patterns {
                out.extend(triple_names(t));
            }
        }
        GraphPattern::Path {
            subject, object, ..
        } => {
            out.extend(term_name(subject));
            out.extend(term_name(object));
        }
        GraphPattern::Join { left, right }
        | GraphPattern::LeftJoin { left, right, .. }
        | GraphPattern::Union { left, right } => {
            collect_variables(left, out);
            collect_variables(right, out);
        }
        GraphPattern::Minus { left, .. } => collect_variables(left, out),
        GraphPattern::Graph { name, inner } => {
            if let NamedNodePattern::Variable(v) = name {
                out.insert(variable_name(v));
            }
            collect_variables(inner, out);
        }
        GraphPattern::Extend {
            inner, variable, ..
        } => {
            out.insert(variable_name(variable));
            collect_variables(inner, out);
        }
        GraphPattern::Values { variables, .. } | GraphPattern::Project { variables, .. } => {
            out.extend(variables.iter().map(variable_name));
        }
        GraphPattern::Group {
            variables,
            aggregates,
            ..
        } => {
            out.extend(variables.iter().map(variable_name));
            out.extend(aggregates.iter().map(|(v, _)| variable_name(v)));
        }
        GraphPattern::Filter { inner, .. }
        | GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. }
        | GraphPattern::Service { inner, .. } => collect_variables(inner, out),
        _ => {}
    }
}

/// How many groups the triple patterns of a basic graph pattern fall into when patterns that
/// share a variable, a blank node, or a subject or object term are grouped (`?d dct:publisher
/// <X> . <X> foaf:name ?n` is one lookup through `<X>`; a ground pattern matches at most once
/// and forms no group).
#[expect(
    clippy::indexing_slicing,
    reason = "union-find over 0..patterns.len(), the length of `names`, `open` and `group`"
)]
fn bgp_components(patterns: &[TriplePattern]) -> usize {
    let nodes = |t: &TriplePattern| -> Vec<String> {
        let mut names: Vec<String> = triple_names(t).collect();
        for term in [&t.subject, &t.object] {
            if term_name(term).is_none() {
                names.push(term.to_string());
            }
        }
        names
    };
    fn root(group: &mut [usize], mut i: usize) -> usize {
        while group[i] != i {
            group[i] = group[group[i]];
            i = group[i];
        }
        i
    }
    let names: Vec<Vec<String>> = patterns.iter().map(nodes).collect();
    let open: Vec<bool> = patterns
        .iter()
        .map(|t| triple_names(t).next().is_some())
        .collect();
    let mut group: Vec<usize> = (0..patterns.len()).collect();
    for i in 0..patterns.len() {
        for j in i + 1..patterns.len() {
            if names[i].iter().any(|n| names[j].contains(n)) {
                let (a, b) = (root(&mut group, i), root(&mut group, j));
                group[a] = b;
            }
        }
    }
    (0..patterns.len())
        .filter(|&i| open[i] && root(&mut group, i) == i)
        .count()
}

/// Cancels a query evaluation when dropped.
struct CancelOnDrop(CancellationToken);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// The bracket nesting of a SPARQL query if it exceeds `limit`, skipping strings, IRIs and
/// comments; checked before parsing, as the parser recurses per level (1,000 levels overflow
/// a thread's stack and abort the process).
pub(crate) fn nesting_beyond(query: &str, limit: usize) -> Option<usize> {
    let bytes = query.as_bytes();
    let at = |i: usize| bytes.get(i).copied();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while let Some(byte) = at(i) {
        match byte {
            b'{' | b'(' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
            b'#' => {
                while at(i).is_some_and(|b| b != b'\n') {
                    i += 1;
                }
            }
            quote @ (b'"' | b'\'') => {
                let long = at(i + 1) == Some(quote) && at(i + 2) == Some(quote);
                i += if long { 3 } else { 1 };
                while let Some(b) = at(i) {
                    if b == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b == quote
                        && (!long || (at(i + 1) == Some(quote) && at(i + 2) == Some(quote)))
                    {
                        i += if long { 2 } else { 0 };
                        break;
                    }
                    if !long && b == b'\n' {
                        break;
                    }
                    i += 1;
                }
            }
            b'<' => {
                // An IRI (`<…>` without spaces or brackets), else the operator.
                let rest = bytes.get(i + 1..).unwrap_or_default();
                let end = rest.iter().position(|b| {
                    matches!(b, b'>' | b'<' | b'{' | b'}' | b' ' | b'\n' | b'\t' | b'"')
                });
                if let Some(end) = end
                    && rest.get(end) == Some(&b'>')
                {
                    i += end + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    (deepest > limit).then_some(deepest)
}

#[derive(Debug, Clone, Copy)]
enum Output {
    Results(QueryResultsFormat),
    Rdf(RdfFormat),
}

/// Query result formats, with the server's preference in thousandths.
const RESULTS_OFFERS: &[(&str, u16)] = &[
    ("application/sparql-results+json", 1000),
    ("application/sparql-results+xml", 900),
    ("text/csv", 800),
    ("text/tab-separated-values", 700),
    ("application/json", 600),
    ("application/xml", 500),
];

/// Graph formats (CONSTRUCT, DESCRIBE), with the server's preference in thousandths.
const GRAPH_OFFERS: &[(&str, u16)] = &[
    ("text/turtle", 1000),
    ("application/n-triples", 900),
    ("application/rdf+xml", 800),
    ("application/ld+json", 700),
    ("application/trig", 600),
    ("application/n-quads", 500),
    ("text/plain", 400),
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
    let media = choose_media_type(headers, offers).ok_or_else(|| {
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

fn evaluate(
    state: &AppState,
    query: &str,
    params: &Params,
    headers: &HeaderMap,
    token: &CancellationToken,
) -> Response {
    let parsed = match spargebra::SparqlParser::new().parse_query(query) {
        Ok(p) => p,
        Err(e) => return text_error(StatusCode::BAD_REQUEST, format!("SPARQL syntax error: {e}")),
    };
    let pattern = match &parsed {
        spargebra::Query::Select { pattern, .. }
        | spargebra::Query::Construct { pattern, .. }
        | spargebra::Query::Describe { pattern, .. }
        | spargebra::Query::Ask { pattern, .. } => pattern,
    };
    if has_cartesian_product(pattern) {
        return text_error(
            StatusCode::BAD_REQUEST,
            "the query joins patterns that share no variable (a cartesian product): connect them \
             through a variable or ask separately",
        );
    }
    let mut prepared = SparqlEvaluator::new()
        .with_cancellation_token(token.clone())
        .for_query(parsed);
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
    let cap = state.query_limits.max_result_bytes;
    match serialize(results, output, cap, token) {
        Ok((body, content_type)) => ([(header::CONTENT_TYPE, content_type)], body).into_response(),
        Err(Serialize::TooLarge) => text_error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the result exceeds the limit of {cap} bytes; ask for less (LIMIT)"),
        ),
        Err(Serialize::Failed(message)) => text_error(StatusCode::INTERNAL_SERVER_ERROR, message),
    }
}

/// Why a result could not be written.
enum Serialize {
    /// Past the result size limit.
    TooLarge,
    /// Evaluation or serialisation failed.
    Failed(String),
}

impl From<String> for Serialize {
    fn from(message: String) -> Self {
        Self::Failed(message)
    }
}

/// A result buffer that refuses to grow past the size limit.
struct Capped {
    buf: Vec<u8>,
    cap: usize,
}

impl std::io::Write for Capped {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + data.len() > self.cap {
            return Err(std::io::ErrorKind::FileTooLarge.into());
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn failed(e: &std::io::Error) -> Serialize {
    if e.kind() == std::io::ErrorKind::FileTooLarge {
        Serialize::TooLarge
    } else {
        Serialize::Failed(e.to_string())
    }
}

fn serialize(
    results: QueryResults<'_>,
    output: Output,
    cap: usize,
    token: &CancellationToken,
) -> Result<(Vec<u8>, String), Serialize> {
    let alive = || {
        if token.is_cancelled() {
            Err(Serialize::Failed("the query was cancelled".to_owned()))
        } else {
            Ok(())
        }
    };
    let out = Capped {
        buf: Vec::new(),
        cap,
    };
    match (results, output) {
        (QueryResults::Solutions(solutions), Output::Results(format)) => {
            let mut writer = QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(out, solutions.variables().to_vec())
                .map_err(|e| failed(&e))?;
            for solution in solutions {
                alive()?;
                let solution = solution.map_err(|e| format!("query evaluation failed: {e}"))?;
                writer.serialize(&solution).map_err(|e| failed(&e))?;
            }
            let body = writer.finish().map_err(|e| failed(&e))?.buf;
            Ok((body, results_content_type(format)))
        }
        (QueryResults::Boolean(value), Output::Results(format)) => {
            let body = QueryResultsSerializer::from_format(format)
                .serialize_boolean_to_writer(out, value)
                .map_err(|e| failed(&e))?
                .buf;
            Ok((body, results_content_type(format)))
        }
        (QueryResults::Graph(triples), Output::Rdf(format)) => {
            let mut writer = RdfSerializer::from_format(format).for_writer(out);
            for triple in triples {
                alive()?;
                let triple = triple.map_err(|e| format!("query evaluation failed: {e}"))?;
                writer.serialize_triple(&triple).map_err(|e| failed(&e))?;
            }
            let body = writer.finish().map_err(|e| failed(&e))?.buf;
            Ok((body, format!("{}; charset=utf-8", format.media_type())))
        }
        _ => Err(Serialize::Failed(
            "internal error: output format does not fit the query form".to_owned(),
        )),
    }
}

fn results_content_type(format: QueryResultsFormat) -> String {
    format!("{}; charset=utf-8", format.media_type())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_counted_outside_strings_iris_and_comments() {
        assert_eq!(nesting_beyond("SELECT * WHERE { ?s ?p ?o }", 64), None);
        let deep = format!("ASK {}?s ?p ?o{}", "{".repeat(100), "}".repeat(100));
        assert_eq!(nesting_beyond(&deep, 64), Some(100));
        let quoted = format!(
            "ASK {{ ?s ?p \"{0}\" . ?s ?p '''{0}''' . ?s <http://x/(> ?o }} # {0}",
            "{(".repeat(100)
        );
        assert_eq!(nesting_beyond(&quoted, 64), None);
        assert_eq!(
            nesting_beyond("ASK { FILTER(1 < 2 && (3 > 2)) }", 1),
            Some(3)
        );
    }

    fn product(query: &str) -> bool {
        let parsed = spargebra::SparqlParser::new().parse_query(query).unwrap();
        let spargebra::Query::Select { pattern, .. } = parsed else {
            panic!("a SELECT");
        };
        has_cartesian_product(&pattern)
    }

    #[test]
    fn cartesian_products_are_found() {
        assert!(product("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"));
        assert!(product("SELECT * WHERE { ?a ?b ?c OPTIONAL { ?d ?e ?f } }"));
        assert!(product(
            "SELECT * WHERE { { ?a ?b ?c } { ?d ?e ?f } } ORDER BY ?a"
        ));
        assert!(product(
            "SELECT * WHERE { GRAPH ?g { ?a ?b ?c . ?d ?e ?f } }"
        ));
        assert!(!product("SELECT * WHERE { ?a ?p ?b . ?c ?p ?d }"));
        assert!(!product(
            "SELECT * WHERE { GRAPH ?g { ?d a ?t } GRAPH ?g { ?d ?p ?o } }"
        ));
        assert!(!product(
            "SELECT * WHERE { ?d <http://p> <http://x> . <http://x> <http://n> ?name }"
        ));
        assert!(!product("SELECT * WHERE { VALUES ?x { 1 } ?a ?b ?c }"));
        assert!(!product("SELECT * WHERE { ?a ?b ?c BIND(1 AS ?one) }"));
        assert!(!product(
            "SELECT * WHERE { <http://s> <http://p> <http://o> . ?a ?b ?c }"
        ));
    }

    /// Every cut of a query with strings, IRIs, escapes and comments is measured without a
    /// panic (the scan checks every index it reads).
    #[test]
    fn every_prefix_of_a_query_is_measured_without_panic() {
        let query = "PREFIX dcat: <http://www.w3.org/ns/dcat#>\nSELECT ?d WHERE { ?d a dcat:Dataset ; \
                     <http://purl.org/dc/terms/title> \"a \\\" {\"@cs . FILTER(?x < 3 && '''{''' != 'x\\') } # {\n";
        for (cut, _) in query.char_indices() {
            let _ = nesting_beyond(query.get(..cut).unwrap_or_default(), 64);
        }
        assert_eq!(nesting_beyond(query, 0), Some(2));
    }
}
