//! SPARQL 1.1 protocol backend (data.gov.cz/sparql is OpenLink Virtuoso).

use crate::facts::{Facts, Value, vocab};
use crate::http::{Http, HttpConfig, Request};
use crate::{
    Backend, Capabilities, Catalogue, CatalogueSnapshot, DatasetQuery, DateValue, Error, Measured,
    NKOD_CATALOG_IRI, Usage,
};
use sparesults::{QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput};
use std::fmt::Write as _;

/// How queries are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SparqlMethod {
    /// GET while the URL stays under 2,000 characters, POST otherwise.
    #[default]
    Auto,
    /// Always `GET ?query=…`.
    Get,
    /// Always `POST` with an `application/x-www-form-urlencoded` body.
    Post,
}

/// The result serialization to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResultsFormat {
    /// `application/sparql-results+json`.
    #[default]
    Json,
    /// `application/sparql-results+xml`.
    Xml,
}

impl ResultsFormat {
    fn media_type(self) -> &'static str {
        match self {
            Self::Json => "application/sparql-results+json",
            Self::Xml => "application/sparql-results+xml",
        }
    }
}

/// Options of the SPARQL backend.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SparqlOptions {
    /// GET, POST or automatic.
    pub method: SparqlMethod,
    /// Result format requested with `Accept`.
    pub format: ResultsFormat,
    /// Virtuoso's `timeout` parameter in milliseconds (the server gives up and may return
    /// partial results; NKOD's documentation uses 30000).
    pub virtuoso_timeout_ms: Option<u64>,
    /// Send Virtuoso's `format` parameter with the requested media type as well as `Accept`
    /// (Virtuoso lets it override content negotiation).
    pub virtuoso_format_param: bool,
    /// Further parameters sent with every query, e.g. `("default-graph-uri", "")`.
    pub extra_params: Vec<(String, String)>,
}

impl SparqlOptions {
    /// The parameters NKOD's own documentation sends to its Virtuoso: `timeout=30000`,
    /// `format=` with the result media type, and an empty `default-graph-uri`.
    #[must_use]
    pub fn virtuoso() -> Self {
        Self {
            virtuoso_timeout_ms: Some(30_000),
            virtuoso_format_param: true,
            extra_params: vec![("default-graph-uri".to_owned(), String::new())],
            ..Self::default()
        }
    }
}

/// Row of a SELECT result: variable name to term.
pub type Solution = Vec<(String, oxrdf::Term)>;

/// The SPARQL backend.
#[derive(Debug)]
pub struct SparqlCatalogue {
    endpoint: String,
    options: SparqlOptions,
    http: Http,
}

impl SparqlCatalogue {
    /// A client of the SPARQL endpoint at `endpoint` (e.g. `https://data.gov.cz/sparql`).
    pub fn new(endpoint: impl Into<String>, options: SparqlOptions, http: HttpConfig) -> Self {
        Self {
            endpoint: endpoint.into(),
            options,
            http: Http::new(http),
        }
    }

    /// The endpoint URL.
    #[must_use]
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Everything this client has used since it was made.
    #[must_use]
    pub fn total_usage(&self) -> Usage {
        self.http.total()
    }

    /// Runs a SELECT query and returns its solutions (unbound variables are left out).
    pub fn select(&self, query: &str) -> Result<Measured<Vec<Solution>>, Error> {
        let mut usage = Usage::default();
        let solutions = self.select_counted(query, &mut usage)?;
        Ok(Measured {
            value: solutions,
            usage,
        })
    }

    fn select_counted(&self, query: &str, usage: &mut Usage) -> Result<Vec<Solution>, Error> {
        let accept = self.options.format.media_type();
        let mut params: Vec<(&str, &str)> = vec![("query", query)];
        let timeout = self.options.virtuoso_timeout_ms.map(|t| t.to_string());
        if let Some(timeout) = &timeout {
            params.push(("timeout", timeout));
        }
        if self.options.virtuoso_format_param {
            params.push(("format", accept));
        }
        for (name, value) in &self.options.extra_params {
            params.push((name, value));
        }
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&params)
            .finish();
        let separator = if self.endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        let get_url = format!("{}{separator}{encoded}", self.endpoint);
        let use_get = match self.options.method {
            SparqlMethod::Get => true,
            SparqlMethod::Post => false,
            SparqlMethod::Auto => get_url.len() <= 2000,
        };
        let request = if use_get {
            Request::get(get_url)
        } else {
            Request::post(
                self.endpoint.clone(),
                "application/x-www-form-urlencoded",
                encoded.into_bytes(),
            )
        };
        let request = request.header(
            "Accept",
            format!("{accept}, application/sparql-results+xml;q=0.9, application/json;q=0.8"),
        );
        let response = self.http.send(&request, usage)?;
        let media_type = response.media_type();
        let format = match media_type.as_str() {
            "application/sparql-results+json" | "application/json" => QueryResultsFormat::Json,
            "application/sparql-results+xml" | "application/xml" | "text/xml" => {
                QueryResultsFormat::Xml
            }
            "" => match self.options.format {
                ResultsFormat::Json => QueryResultsFormat::Json,
                ResultsFormat::Xml => QueryResultsFormat::Xml,
            },
            other => {
                return Err(Error::MediaType {
                    url: self.endpoint.clone(),
                    media_type: other.to_owned(),
                    expected: "SPARQL results in JSON or XML".to_owned(),
                });
            }
        };
        let bad = |detail: String| Error::SparqlResults {
            url: self.endpoint.clone(),
            detail,
        };
        match QueryResultsParser::from_format(format)
            .for_slice(&response.body)
            .map_err(|e| bad(e.to_string()))?
        {
            SliceQueryResultsParserOutput::Solutions(solutions) => {
                let mut rows = Vec::new();
                for solution in solutions {
                    let solution = solution.map_err(|e| bad(e.to_string()))?;
                    rows.push(
                        solution
                            .iter()
                            .map(|(variable, term)| (variable.as_str().to_owned(), term.clone()))
                            .collect(),
                    );
                }
                Ok(rows)
            }
            SliceQueryResultsParserOutput::Boolean(_) => Err(bad(
                "a boolean result where solutions were expected".to_owned(),
            )),
        }
    }

    fn run_snapshot(
        &self,
        queries: &[DatasetQuery],
        with_rebuild_date: bool,
    ) -> Result<Measured<CatalogueSnapshot>, Error> {
        let text = snapshot_query(queries, with_rebuild_date)?;
        let mut usage = Usage::default();
        let rows = self.select_counted(&text, &mut usage)?;
        let mut facts = Facts::default();
        let mut candidates = Vec::new();
        for row in &rows {
            let get = |name: &str| row.iter().find(|(v, _)| v == name).map(|(_, t)| t);
            let dataset = get("dataset").and_then(Value::from_term);
            let subject = get("s")
                .and_then(Value::from_term)
                .or_else(|| dataset.clone());
            let (Some(Value::Node(subject)), Some(oxrdf::Term::NamedNode(predicate)), Some(object)) =
                (subject, get("p"), get("o").and_then(Value::from_term))
            else {
                return Err(Error::SparqlResults {
                    url: self.endpoint.clone(),
                    detail: format!("row without ?s/?p/?o: {row:?}"),
                });
            };
            if let Some(Value::Node(dataset)) = dataset {
                candidates.push(dataset);
            }
            facts.insert(&subject, predicate.as_str(), object);
        }
        let datasets = facts.datasets(candidates.iter().map(String::as_str), queries);
        Ok(Measured {
            value: CatalogueSnapshot {
                catalogue_modified: facts.date(NKOD_CATALOG_IRI, vocab::DCT_MODIFIED),
                datasets,
            },
            usage,
        })
    }
}

impl Catalogue for SparqlCatalogue {
    fn backend(&self) -> Backend {
        Backend::Sparql
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            modification_dates: true,
            catalogue_modified: true,
            metadata_search: true,
        }
    }

    fn find_datasets(&self, query: &DatasetQuery) -> Result<Measured<Vec<crate::Dataset>>, Error> {
        Ok(self
            .run_snapshot(std::slice::from_ref(query), false)?
            .map(|s| s.datasets))
    }

    fn catalogue_modified(&self) -> Result<Measured<Option<DateValue>>, Error> {
        let text = format!(
            "PREFIX dct: <http://purl.org/dc/terms/>\nSELECT ?modified WHERE {{ <{NKOD_CATALOG_IRI}> dct:modified ?modified }}"
        );
        let mut usage = Usage::default();
        let rows = self.select_counted(&text, &mut usage)?;
        let mut facts = Facts::default();
        for row in &rows {
            for (_, term) in row {
                if let Some(value) = Value::from_term(term) {
                    facts.insert(NKOD_CATALOG_IRI, vocab::DCT_MODIFIED, value);
                }
            }
        }
        Ok(Measured {
            value: facts.date(NKOD_CATALOG_IRI, vocab::DCT_MODIFIED),
            usage,
        })
    }

    /// One request: the rebuild date and every matching dataset with its distributions.
    fn snapshot(&self, query: &DatasetQuery) -> Result<Measured<CatalogueSnapshot>, Error> {
        self.run_snapshot(std::slice::from_ref(query), true)
    }

    /// One request for all the queries: their candidate patterns are UNION branches.
    fn snapshot_any(&self, queries: &[DatasetQuery]) -> Result<Measured<CatalogueSnapshot>, Error> {
        self.run_snapshot(queries, true)
    }
}

/// `<iri>` after checking it is a valid IRI (so nothing can be injected into the query).
fn iri_ref(iri: &str) -> Result<String, Error> {
    oxrdf::NamedNode::new(iri)
        .map(|n| n.to_string())
        .map_err(|e| Error::InvalidUrl {
            url: iri.to_owned(),
            reason: format!("not a valid IRI: {e}"),
        })
}

/// A SPARQL string literal.
fn string_literal(text: &str) -> String {
    oxrdf::Literal::new_simple_literal(text).to_string()
}

/// The query behind `find_datasets` and `snapshot`.
///
/// Rows are single statements (`?dataset ?s ?p ?o`, `?s` unbound meaning the dataset itself)
/// from UNION branches, so a dataset with many titles and distributions does not multiply
/// into a cross product; each branch runs inside `GRAPH ?g`, so the publisher's `foaf:name`,
/// repeated in every dataset graph, joins only with its own graph's copy.
pub(crate) fn snapshot_query(
    queries: &[DatasetQuery],
    with_rebuild_date: bool,
) -> Result<String, Error> {
    let mut branches = Vec::new();
    for query in queries {
        branches.push(candidate_patterns(query)?);
    }
    if branches.is_empty() {
        branches.push(candidate_patterns(&DatasetQuery::default())?);
    }
    let candidates = if let [only] = branches.as_slice() {
        only.clone()
    } else {
        let joined: Vec<String> = branches
            .iter()
            .map(|b| format!("    {{\n{b}    }}\n"))
            .collect();
        joined.join("    UNION\n")
    };
    let mut text = String::from(
        "PREFIX dcat: <http://www.w3.org/ns/dcat#>\n\
         PREFIX dct: <http://purl.org/dc/terms/>\n\
         PREFIX dcatap: <http://data.europa.eu/r5r/>\n\
         PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n\
         PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n\
         SELECT DISTINCT ?dataset ?s ?p ?o WHERE {\n",
    );
    if with_rebuild_date {
        let _ = writeln!(
            text,
            "  {{ VALUES (?s ?p) {{ (<{NKOD_CATALOG_IRI}> dct:modified) }} ?s ?p ?o }}\n  UNION"
        );
    }
    let _ = write!(
        text,
        "  {{\n  {{ SELECT DISTINCT ?dataset WHERE {{\n{candidates}  }} }}\n  GRAPH ?g {{\n\
         \x20   {{ ?dataset ?p ?o . FILTER(?p IN (rdf:type, dct:title, dct:publisher, dcat:distribution, dct:modified, dcat:keyword, dcatap:applicableLegislation)) }}\n\
         \x20   UNION {{ ?dataset dct:publisher ?s . ?s ?p ?o . FILTER(?p = foaf:name) }}\n\
         \x20   UNION {{ ?dataset dcat:distribution ?s . ?s ?p ?o .\n\
         \x20            FILTER(?p IN (dcat:accessURL, dcat:downloadURL, dct:format, dcat:mediaType, dct:conformsTo, dct:modified)) }}\n\
         \x20   UNION {{ ?s foaf:primaryTopic ?dataset . ?s ?p ?o . FILTER(?p IN (foaf:primaryTopic, dct:modified)) }}\n\
         \x20 }}\n  }}\n}}\n"
    );
    Ok(text)
}

/// The graph patterns that bind `?dataset` to the datasets one query selects.
fn candidate_patterns(query: &DatasetQuery) -> Result<String, Error> {
    let mut candidates = String::new();
    if !query.iris.is_empty() {
        candidates.push_str("    VALUES ?dataset {");
        for iri in &query.iris {
            let _ = write!(candidates, " {}", iri_ref(iri)?);
        }
        candidates.push_str(" }\n");
    }
    if !query.publishers.is_empty() {
        candidates.push_str("    VALUES ?publisher {");
        for iri in &query.publishers {
            let _ = write!(candidates, " {}", iri_ref(iri)?);
        }
        candidates.push_str(" }\n    ?dataset dct:publisher ?publisher .\n");
    }
    if !query.legislation.is_empty() {
        candidates.push_str("    VALUES ?legislation {");
        for iri in &query.legislation {
            let _ = write!(candidates, " {}", iri_ref(iri)?);
        }
        candidates.push_str(" }\n    ?dataset dcatap:applicableLegislation ?legislation .\n");
    }
    if !query.keywords.is_empty() {
        let words: Vec<String> = query
            .keywords
            .iter()
            .map(|k| string_literal(&k.to_lowercase()))
            .collect();
        let _ = writeln!(
            candidates,
            "    ?dataset dcat:keyword ?keyword .\n    FILTER(LCASE(STR(?keyword)) IN ({}))",
            words.join(", ")
        );
    }
    candidates.push_str("    ?dataset a dcat:Dataset .\n");
    if let Some(needle) = &query.title_contains {
        let _ = writeln!(
            candidates,
            "    ?dataset dct:title ?title .\n    FILTER(CONTAINS(LCASE(STR(?title)), {}))",
            string_literal(&needle.to_lowercase())
        );
    }
    Ok(candidates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parses_and_escapes() {
        let query =
            DatasetQuery::by_publishers([crate::publisher_iri("00006947")]).with_title("\"her\"");
        let text = snapshot_query(std::slice::from_ref(&query), true).expect("valid IRIs");
        spargebra::SparqlParser::new()
            .parse_query(&text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert!(text.contains("orgán-veřejné-moci/00006947>"));
        assert!(text.contains(r#""\"her\"""#));
        assert!(text.contains("GRAPH ?g"));
    }

    #[test]
    fn several_queries_become_one_union() {
        let queries = [
            DatasetQuery::by_publishers([crate::publisher_iri("00006947")]),
            DatasetQuery::by_legislation(["https://www.e-sbirka.cz/eli/cz/sb/2025/569"]),
            DatasetQuery::by_keywords(["Blokace", "a\"b"]),
        ];
        let text = snapshot_query(&queries, true).expect("valid IRIs");
        spargebra::SparqlParser::new()
            .parse_query(&text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(text.matches("    UNION\n").count(), 2, "{text}");
        assert!(text.contains("dcatap:applicableLegislation ?legislation"));
        assert!(text.contains(r#"IN ("blokace", "a\"b")"#), "{text}");
    }

    #[test]
    fn rejects_iri_injection() {
        let query = DatasetQuery::by_iris(["https://x/a> } DROP ALL {"]);
        assert!(matches!(
            snapshot_query(std::slice::from_ref(&query), false),
            Err(Error::InvalidUrl { .. })
        ));
    }
}
