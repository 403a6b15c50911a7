//! Triple Pattern Fragments backend (data.gov.cz/ldf/nkod-ldf runs @ldf/server 3).
//!
//! Driven by the Hydra controls only: the search template and its variable mapping are read
//! from the first fragment, pages are followed through `hydra:next`, and the `void:triples`
//! count of each candidate pattern's first page decides which pattern to enumerate.

use crate::facts::{Facts, vocab};
use crate::http::{Http, HttpConfig, Request};
use crate::{
    Backend, Capabilities, Catalogue, Dataset, DatasetQuery, DateValue, Error, Measured,
    NKOD_CATALOG_IRI, Usage,
};
use oxrdf::{GraphName, NamedNode, NamedOrBlankNode, Quad, Term, Triple};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;

const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";
const VOID_TRIPLES: &str = "http://rdfs.org/ns/void#triples";
const FOAF_PRIMARY_TOPIC: &str = "http://xmlns.com/foaf/0.1/primaryTopic";
const RDF_SUBJECT: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#subject";
const RDF_PREDICATE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate";
const RDF_OBJECT: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#object";
const SD_GRAPH: &str = "http://www.w3.org/ns/sparql-service-description#graph";
const ACCEPT: &str = "application/trig;q=1.0, application/n-quads;q=0.9, text/turtle;q=0.8, application/n-triples;q=0.7";

/// A triple pattern; `None` is a variable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TriplePattern {
    /// Subject IRI.
    pub subject: Option<NamedNode>,
    /// Predicate IRI.
    pub predicate: Option<NamedNode>,
    /// Object term.
    pub object: Option<Term>,
}

impl TriplePattern {
    /// Builds a pattern from IRIs (`None` = variable).
    pub fn iris(
        subject: Option<&str>,
        predicate: Option<&str>,
        object: Option<&str>,
    ) -> Result<Self, Error> {
        let node = |iri: &str| {
            NamedNode::new(iri).map_err(|e| Error::InvalidUrl {
                url: iri.to_owned(),
                reason: format!("not a valid IRI: {e}"),
            })
        };
        Ok(Self {
            subject: subject.map(node).transpose()?,
            predicate: predicate.map(node).transpose()?,
            object: object.map(node).transpose()?.map(Term::NamedNode),
        })
    }

    fn matches(&self, triple: &Triple) -> bool {
        self.subject
            .as_ref()
            .is_none_or(|s| matches!(&triple.subject, NamedOrBlankNode::NamedNode(n) if n == s))
            && self
                .predicate
                .as_ref()
                .is_none_or(|p| *p == triple.predicate)
            && self.object.as_ref().is_none_or(|o| *o == triple.object)
    }
}

/// The search form of a TPF server, from `hydra:search` of its first fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchForm {
    /// The URI template, e.g. `https://data.gov.cz/ldf/nkod-ldf{?subject,predicate,object}`.
    pub template: String,
    /// Template variable mapped to `rdf:subject`.
    pub subject_variable: String,
    /// Template variable mapped to `rdf:predicate`.
    pub predicate_variable: String,
    /// Template variable mapped to `rdf:object`.
    pub object_variable: String,
    /// Whether literals use `hydra:ExplicitRepresentation` (`"v"@lang`, `"v"^^dt`).
    pub explicit_representation: bool,
}

impl SearchForm {
    /// The fragment URL for `pattern`: RFC 6570 form-style query expansion, unreserved
    /// characters only, variables omitted.
    pub fn expand(&self, pattern: &TriplePattern) -> Result<String, Error> {
        let start = self
            .template
            .find('{')
            .ok_or_else(|| self.bad("no `{` expression"))?;
        let end = self.template[start..]
            .find('}')
            .map(|e| start + e)
            .ok_or_else(|| self.bad("unclosed `{`"))?;
        let expression = &self.template[start + 1..end];
        let (operator, names) = match expression.chars().next() {
            Some(op @ ('?' | '&')) => (op, &expression[1..]),
            _ => return Err(self.bad("only `{?…}` and `{&…}` expressions are supported")),
        };
        let mut out = self.template[..start].to_owned();
        let mut first = operator == '?';
        for name in names.split(',').map(str::trim) {
            let value = if name == self.subject_variable {
                pattern.subject.as_ref().map(|n| n.as_str().to_owned())
            } else if name == self.predicate_variable {
                pattern.predicate.as_ref().map(|n| n.as_str().to_owned())
            } else if name == self.object_variable {
                pattern.object.as_ref().map(|t| self.represent(t))
            } else {
                None
            };
            if let Some(value) = value {
                out.push(if first { '?' } else { '&' });
                first = false;
                out.push_str(name);
                out.push('=');
                out.extend(percent_encoding::utf8_percent_encode(
                    &value,
                    UNRESERVED_ONLY,
                ));
            }
        }
        out.push_str(&self.template[end + 1..]);
        Ok(out)
    }

    fn represent(&self, term: &Term) -> String {
        match term {
            Term::NamedNode(n) => n.as_str().to_owned(),
            Term::BlankNode(b) => format!("_:{}", b.as_str()),
            Term::Literal(l) if self.explicit_representation => match l.language() {
                Some(language) => format!("\"{}\"@{language}", l.value()),
                None => format!("\"{}\"^^{}", l.value(), l.datatype().as_str()),
            },
            Term::Literal(l) => l.value().to_owned(),
            #[allow(unreachable_patterns)]
            other => other.to_string(),
        }
    }

    fn bad(&self, detail: &str) -> Error {
        Error::Hydra {
            url: self.template.clone(),
            detail: format!("template: {detail}"),
        }
    }
}

const UNRESERVED_ONLY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// All pages of a fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// The matching triples, without duplicates, in server order.
    pub triples: Vec<Triple>,
    /// The count (`void:triples`, else `hydra:totalItems`) the first page announced.
    pub count: Option<u64>,
}

/// One page of a fragment.
#[derive(Debug, Clone)]
struct Page {
    data: Vec<Triple>,
    count: Option<u64>,
    next: Option<String>,
}

/// Options of the LDF backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdfOptions {
    /// Pages followed for one pattern before giving up (a guard against `hydra:next` loops).
    pub max_pages: u32,
}

impl Default for LdfOptions {
    fn default() -> Self {
        Self { max_pages: 10_000 }
    }
}

/// The Triple Pattern Fragments backend.
#[derive(Debug)]
pub struct LdfCatalogue {
    entry: String,
    options: LdfOptions,
    http: Http,
    form: Mutex<Option<SearchForm>>,
}

/// Requests already made within one call, so no fragment is fetched twice.
#[derive(Default)]
struct CallCache {
    pages: HashMap<String, Page>,
}

impl LdfCatalogue {
    /// A client of the TPF datasource at `entry` (e.g. `https://data.gov.cz/ldf/nkod-ldf`).
    pub fn new(entry: impl Into<String>, options: LdfOptions, http: HttpConfig) -> Self {
        Self {
            entry: entry.into(),
            options,
            http: Http::new(http),
            form: Mutex::new(None),
        }
    }

    /// Everything this client has used since it was made.
    #[must_use]
    pub fn total_usage(&self) -> Usage {
        self.http.total()
    }

    /// The search form, fetched from the first fragment on first use.
    pub fn search_form(&self) -> Result<Measured<SearchForm>, Error> {
        let mut usage = Usage::default();
        let form = self.form_counted(&mut usage)?;
        Ok(Measured { value: form, usage })
    }

    /// Every triple matching `pattern` (all pages), and the server's count estimate.
    pub fn triples(&self, pattern: &TriplePattern) -> Result<Measured<Fragment>, Error> {
        let mut usage = Usage::default();
        let mut cache = CallCache::default();
        let (triples, count) = self.all_pages(pattern, &mut cache, &mut usage)?;
        Ok(Measured {
            value: Fragment { triples, count },
            usage,
        })
    }

    fn form_counted(&self, usage: &mut Usage) -> Result<SearchForm, Error> {
        let mut cached = self
            .form
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(form) = &*cached {
            return Ok(form.clone());
        }
        let response = self.http.send(
            &Request::get(self.entry.clone()).header("Accept", ACCEPT),
            usage,
        )?;
        let quads = parse_rdf(&response.url, &response.media_type(), &response.body)?;
        let form = read_search_form(&response.url, &self.entry, &quads)?;
        *cached = Some(form.clone());
        Ok(form)
    }

    fn fetch_page(
        &self,
        url: &str,
        pattern: &TriplePattern,
        cache: &mut CallCache,
        usage: &mut Usage,
    ) -> Result<Page, Error> {
        if let Some(page) = cache.pages.get(url) {
            return Ok(page.clone());
        }
        let response = self.http.send(
            &Request::get(url.to_owned()).header("Accept", ACCEPT),
            usage,
        )?;
        let quads = parse_rdf(&response.url, &response.media_type(), &response.body)?;
        let page = read_page(&response.url, pattern, quads);
        cache.pages.insert(url.to_owned(), page.clone());
        Ok(page)
    }

    fn first_page(
        &self,
        pattern: &TriplePattern,
        cache: &mut CallCache,
        usage: &mut Usage,
    ) -> Result<(String, Page), Error> {
        let url = self.form_counted(usage)?.expand(pattern)?;
        let page = self.fetch_page(&url, pattern, cache, usage)?;
        Ok((url, page))
    }

    fn all_pages(
        &self,
        pattern: &TriplePattern,
        cache: &mut CallCache,
        usage: &mut Usage,
    ) -> Result<(Vec<Triple>, Option<u64>), Error> {
        let (mut url, mut page) = self.first_page(pattern, cache, usage)?;
        let count = page.count;
        let mut seen_urls = HashSet::from([url.clone()]);
        let mut triples = Vec::new();
        let mut unique = HashSet::new();
        for _ in 0..self.options.max_pages {
            for triple in page.data {
                if unique.insert(triple.clone()) {
                    triples.push(triple);
                }
            }
            let Some(next) = page.next else {
                return Ok((triples, count));
            };
            if !seen_urls.insert(next.clone()) {
                return Err(Error::Hydra {
                    url,
                    detail: format!("hydra:next loops back to {next}"),
                });
            }
            page = self.fetch_page(&next, pattern, cache, usage)?;
            url = next;
        }
        Err(Error::Hydra {
            url,
            detail: format!("more than {} pages", self.options.max_pages),
        })
    }

    /// Adds every triple matching `pattern` to `facts`.
    fn gather(
        &self,
        pattern: &TriplePattern,
        facts: &mut Facts,
        cache: &mut CallCache,
        usage: &mut Usage,
    ) -> Result<Vec<Triple>, Error> {
        let (triples, _) = self.all_pages(pattern, cache, usage)?;
        for triple in &triples {
            facts.insert_triple(triple);
        }
        Ok(triples)
    }

    /// Candidate dataset IRIs: from the query's IRIs, or by enumerating whichever pattern —
    /// the publishers', the titles' or the `dcat:Dataset` typing — has the fewest triples.
    fn candidates(
        &self,
        query: &DatasetQuery,
        cache: &mut CallCache,
        usage: &mut Usage,
    ) -> Result<BTreeSet<String>, Error> {
        if !query.iris.is_empty() {
            return Ok(query.iris.iter().cloned().collect());
        }
        let mut options: Vec<(u64, Vec<TriplePattern>, bool)> = Vec::new();
        if !query.publishers.is_empty() {
            let patterns = query
                .publishers
                .iter()
                .map(|p| TriplePattern::iris(None, Some(vocab::DCT_PUBLISHER), Some(p)))
                .collect::<Result<Vec<_>, _>>()?;
            options.push((self.count_of(&patterns, cache, usage)?, patterns, false));
        }
        if query.title_contains.is_some() {
            let patterns = vec![TriplePattern::iris(None, Some(vocab::DCT_TITLE), None)?];
            options.push((self.count_of(&patterns, cache, usage)?, patterns, true));
        }
        if !query.legislation.is_empty() {
            let patterns = query
                .legislation
                .iter()
                .map(|l| {
                    TriplePattern::iris(None, Some(vocab::DCATAP_APPLICABLE_LEGISLATION), Some(l))
                })
                .collect::<Result<Vec<_>, _>>()?;
            options.push((self.count_of(&patterns, cache, usage)?, patterns, false));
        }
        if !query.keywords.is_empty() {
            // A fragment matches a literal exactly, language tag included: NKOD's keywords
            // are tagged `@cs`, some catalogues leave them plain.
            let mut patterns = Vec::new();
            for keyword in &query.keywords {
                for literal in [
                    oxrdf::Literal::new_language_tagged_literal_unchecked(keyword.as_str(), "cs"),
                    oxrdf::Literal::new_simple_literal(keyword.as_str()),
                ] {
                    patterns.push(TriplePattern {
                        predicate: Some(NamedNode::new_unchecked(vocab::DCAT_KEYWORD)),
                        object: Some(Term::Literal(literal)),
                        ..TriplePattern::default()
                    });
                }
            }
            options.push((self.count_of(&patterns, cache, usage)?, patterns, false));
        }
        let typing = vec![TriplePattern::iris(
            None,
            Some(vocab::RDF_TYPE),
            Some(vocab::DCAT_DATASET),
        )?];
        options.push((self.count_of(&typing, cache, usage)?, typing, false));
        // Fewest triples first; on a tie keep the earlier (more specific) option.
        #[expect(
            clippy::expect_used,
            reason = "the typing option was pushed just above"
        )]
        let (_, patterns, is_title) = options
            .into_iter()
            .enumerate()
            .min_by_key(|(index, (count, _, _))| (*count, *index))
            .map(|(_, option)| option)
            .expect("the typing option is always there");
        let mut out = BTreeSet::new();
        for pattern in &patterns {
            let (triples, _) = self.all_pages(pattern, cache, usage)?;
            for triple in triples {
                let NamedOrBlankNode::NamedNode(subject) = &triple.subject else {
                    continue;
                };
                if is_title {
                    let needle = query.title_contains.as_deref().unwrap_or_default();
                    let Term::Literal(title) = &triple.object else {
                        continue;
                    };
                    if !title
                        .value()
                        .to_lowercase()
                        .contains(&needle.to_lowercase())
                    {
                        continue;
                    }
                }
                out.insert(subject.as_str().to_owned());
            }
        }
        Ok(out)
    }

    /// Sum of the counts of the patterns' first pages (unknown counts: the page size seen).
    fn count_of(
        &self,
        patterns: &[TriplePattern],
        cache: &mut CallCache,
        usage: &mut Usage,
    ) -> Result<u64, Error> {
        let mut total = 0;
        for pattern in patterns {
            let (_, page) = self.first_page(pattern, cache, usage)?;
            total += page
                .count
                .unwrap_or(page.data.len() as u64 + u64::from(page.next.is_some()) * 1_000_000);
        }
        Ok(total)
    }
}

impl Catalogue for LdfCatalogue {
    fn backend(&self) -> Backend {
        Backend::Ldf
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            modification_dates: true,
            catalogue_modified: true,
            metadata_search: true,
        }
    }

    fn find_datasets(&self, query: &DatasetQuery) -> Result<Measured<Vec<Dataset>>, Error> {
        let mut usage = Usage::default();
        let mut cache = CallCache::default();
        let mut facts = Facts::default();
        let candidates = self.candidates(query, &mut cache, &mut usage)?;
        let mut publishers_done = HashSet::new();
        let mut matching = Vec::new();
        for candidate in &candidates {
            let Ok(subject) = NamedNode::new(candidate.as_str()) else {
                continue;
            };
            let describe = TriplePattern {
                subject: Some(subject.clone()),
                ..TriplePattern::default()
            };
            self.gather(&describe, &mut facts, &mut cache, &mut usage)?;
            // Check what the description alone decides before fetching more.
            let Some(partial) = facts.dataset(candidate) else {
                continue;
            };
            if !query.publishers.is_empty()
                && !partial
                    .publisher
                    .as_ref()
                    .is_some_and(|p| query.publishers.contains(&p.iri))
            {
                continue;
            }
            if let Some(needle) = &query.title_contains
                && !partial.title.contains_ignore_case(needle)
            {
                continue;
            }
            if !query.matches(&partial) {
                // Keywords and legal basis are in the description already; only the
                // distributions are still to come, and the query does not look at them.
                continue;
            }
            for distribution in &partial.distributions {
                if let Ok(node) = NamedNode::new(distribution.iri.as_str()) {
                    let pattern = TriplePattern {
                        subject: Some(node),
                        ..TriplePattern::default()
                    };
                    self.gather(&pattern, &mut facts, &mut cache, &mut usage)?;
                }
            }
            if let Some(publisher) = &partial.publisher
                && publishers_done.insert(publisher.iri.clone())
            {
                let pattern =
                    TriplePattern::iris(Some(&publisher.iri), Some(vocab::FOAF_NAME), None)?;
                self.gather(&pattern, &mut facts, &mut cache, &mut usage)?;
            }
            let records = TriplePattern {
                predicate: Some(NamedNode::new_unchecked(FOAF_PRIMARY_TOPIC)),
                object: Some(Term::NamedNode(subject)),
                ..TriplePattern::default()
            };
            for record in self.gather(&records, &mut facts, &mut cache, &mut usage)? {
                if let NamedOrBlankNode::NamedNode(record) = record.subject {
                    let pattern = TriplePattern::iris(
                        Some(record.as_str()),
                        Some(vocab::DCT_MODIFIED),
                        None,
                    )?;
                    self.gather(&pattern, &mut facts, &mut cache, &mut usage)?;
                }
            }
            matching.push(candidate.as_str());
        }
        Ok(Measured {
            value: facts.datasets(matching, std::slice::from_ref(query)),
            usage,
        })
    }

    fn catalogue_modified(&self) -> Result<Measured<Option<DateValue>>, Error> {
        let mut usage = Usage::default();
        let mut cache = CallCache::default();
        let mut facts = Facts::default();
        let pattern = TriplePattern::iris(Some(NKOD_CATALOG_IRI), Some(vocab::DCT_MODIFIED), None)?;
        self.gather(&pattern, &mut facts, &mut cache, &mut usage)?;
        Ok(Measured {
            value: facts.date(NKOD_CATALOG_IRI, vocab::DCT_MODIFIED),
            usage,
        })
    }
}

/// Parses a fragment in any of the RDF syntaxes we ask for.
fn parse_rdf(url: &str, media_type: &str, body: &[u8]) -> Result<Vec<Quad>, Error> {
    let bad = |detail: String| Error::Rdf {
        url: url.to_owned(),
        detail,
    };
    let base = |e: oxrdf::IriParseError| bad(format!("bad base IRI: {e}"));
    let mut quads = Vec::new();
    match media_type {
        "application/trig" | "" => {
            for quad in oxttl::TriGParser::new()
                .with_base_iri(url)
                .map_err(base)?
                .for_slice(body)
            {
                quads.push(quad.map_err(|e| bad(e.to_string()))?);
            }
        }
        "application/n-quads" => {
            for quad in oxttl::NQuadsParser::new().for_slice(body) {
                quads.push(quad.map_err(|e| bad(e.to_string()))?);
            }
        }
        "text/turtle" | "text/n3" => {
            for triple in oxttl::TurtleParser::new()
                .with_base_iri(url)
                .map_err(base)?
                .for_slice(body)
            {
                quads.push(
                    triple
                        .map_err(|e| bad(e.to_string()))?
                        .in_graph(GraphName::DefaultGraph),
                );
            }
        }
        "application/n-triples" => {
            for triple in oxttl::NTriplesParser::new().for_slice(body) {
                quads.push(
                    triple
                        .map_err(|e| bad(e.to_string()))?
                        .in_graph(GraphName::DefaultGraph),
                );
            }
        }
        other => {
            return Err(Error::MediaType {
                url: url.to_owned(),
                media_type: other.to_owned(),
                expected: "TriG, N-Quads, Turtle or N-Triples".to_owned(),
            });
        }
    }
    Ok(quads)
}

/// Graphs that hold Hydra/VoID metadata: each says `<graph> foaf:primaryTopic <fragment>`
/// inside itself (@ldf/server writes `<fragment#metadata>`).
fn metadata_graphs(quads: &[Quad]) -> HashSet<GraphName> {
    quads
        .iter()
        .filter(|q| {
            q.predicate.as_str() == FOAF_PRIMARY_TOPIC
                && match (&q.graph_name, &q.subject) {
                    (GraphName::NamedNode(g), NamedOrBlankNode::NamedNode(s)) => g == s,
                    _ => false,
                }
        })
        .map(|q| q.graph_name.clone())
        .chain(quads.iter().filter_map(|q| match &q.graph_name {
            GraphName::NamedNode(g) if g.as_str().ends_with("#metadata") => {
                Some(q.graph_name.clone())
            }
            _ => None,
        }))
        .collect()
}

/// Splits a page into data (quads outside metadata graphs that match the pattern, as
/// triples, duplicates across graphs removed) and its controls.
fn read_page(url: &str, pattern: &TriplePattern, quads: Vec<Quad>) -> Page {
    let meta_graphs = metadata_graphs(&quads);
    let mut data = Vec::new();
    let mut unique = HashSet::new();
    let mut metadata = Vec::new();
    for quad in quads {
        let in_meta = meta_graphs.contains(&quad.graph_name);
        let triple = Triple::from(quad);
        if in_meta {
            metadata.push(triple);
            continue;
        }
        // Turtle/N-Triples put the controls in the default graph, so anything that does
        // not match the pattern is read as metadata.
        if pattern.matches(&triple) {
            if unique.insert(triple.clone()) {
                data.push(triple);
            }
        } else {
            metadata.push(triple);
        }
    }
    let collections: HashSet<&NamedOrBlankNode> = metadata
        .iter()
        .filter(|t| {
            t.predicate.as_str() == vocab::RDF_TYPE
                && matches!(&t.object, Term::NamedNode(n) if n.as_str() == "http://rdfs.org/ns/void#Dataset" || n.as_str() == "http://www.w3.org/ns/hydra/core#Collection")
        })
        .map(|t| &t.subject)
        .collect();
    let is_page =
        |s: &NamedOrBlankNode| matches!(s, NamedOrBlankNode::NamedNode(n) if n.as_str() == url);
    let mut count: Option<(bool, u64)> = None;
    let mut next: Option<(bool, String)> = None;
    for triple in &metadata {
        if collections.contains(&triple.subject) {
            continue;
        }
        let predicate = triple.predicate.as_str();
        if predicate == VOID_TRIPLES || predicate == format!("{HYDRA}totalItems") {
            if let Term::Literal(l) = &triple.object
                && let Ok(n) = l.value().trim().parse::<u64>()
            {
                let exact = is_page(&triple.subject);
                if count.is_none_or(|(was_exact, _)| exact && !was_exact) {
                    count = Some((exact, n));
                }
            }
        } else if predicate == format!("{HYDRA}next")
            && let Term::NamedNode(n) = &triple.object
        {
            let exact = is_page(&triple.subject);
            if next
                .as_ref()
                .is_none_or(|(was_exact, _)| exact && !was_exact)
            {
                next = Some((exact, n.as_str().to_owned()));
            }
        }
    }
    Page {
        data,
        count: count.map(|(_, n)| n),
        next: next.map(|(_, n)| n),
    }
}

/// Reads `hydra:search` (template, variable mapping, representation) from the first fragment.
fn read_search_form(url: &str, entry: &str, quads: &[Quad]) -> Result<SearchForm, Error> {
    let objects = |subject: &Term, predicate: &str| -> Vec<Term> {
        quads
            .iter()
            .filter(|q| {
                q.predicate.as_str() == predicate && Term::from(q.subject.clone()) == *subject
            })
            .map(|q| q.object.clone())
            .collect()
    };
    let mut forms = Vec::new();
    for search in quads
        .iter()
        .filter(|q| q.predicate.as_str() == format!("{HYDRA}search"))
    {
        let search = &search.object;
        let Some(Term::Literal(template)) = objects(search, &format!("{HYDRA}template"))
            .into_iter()
            .next()
        else {
            continue;
        };
        let explicit = objects(search, &format!("{HYDRA}variableRepresentation"))
            .iter()
            .any(|t| matches!(t, Term::NamedNode(n) if n.as_str() == format!("{HYDRA}ExplicitRepresentation")));
        let (mut subject, mut predicate, mut object) = (None, None, None);
        for mapping in objects(search, &format!("{HYDRA}mapping")) {
            let Some(Term::Literal(variable)) = objects(&mapping, &format!("{HYDRA}variable"))
                .into_iter()
                .next()
            else {
                continue;
            };
            for property in objects(&mapping, &format!("{HYDRA}property")) {
                let Term::NamedNode(property) = property else {
                    continue;
                };
                let slot = match property.as_str() {
                    RDF_SUBJECT => &mut subject,
                    RDF_PREDICATE => &mut predicate,
                    RDF_OBJECT => &mut object,
                    SD_GRAPH => continue,
                    _ => continue,
                };
                *slot = Some(variable.value().to_owned());
            }
        }
        if let (Some(subject_variable), Some(predicate_variable), Some(object_variable)) =
            (subject, predicate, object)
        {
            forms.push(SearchForm {
                template: template.value().to_owned(),
                subject_variable,
                predicate_variable,
                object_variable,
                explicit_representation: explicit,
            });
        }
    }
    // Prefer the form of this very datasource when a page advertises several.
    let own = |f: &SearchForm| {
        f.template
            .split('{')
            .next()
            .is_some_and(|base| entry.trim_end_matches('/') == base.trim_end_matches('/'))
    };
    let chosen = forms.iter().find(|f| own(f)).or(forms.first()).cloned();
    chosen.ok_or_else(|| Error::Hydra {
        url: url.to_owned(),
        detail: "no hydra:search with a hydra:template and subject/predicate/object mappings"
            .to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str =
        include_str!("../../../testdata/nkod-client/ldf/tpf-v3-basic-fragment.example.trig");

    #[test]
    fn reads_controls_of_the_ldf_server_example() {
        let quads = parse_rdf(
            "http://ex.org/data?fragment",
            "application/trig",
            EXAMPLE.as_bytes(),
        )
        .expect("valid TriG");
        let form = read_search_form("http://ex.org/data?fragment", "http://ex.org/data", &quads)
            .expect("controls");
        assert_eq!(
            form.template,
            "http://ex.org/data{?subject,predicate,object,graph}"
        );
        assert!(form.explicit_representation);
        let page = read_page(
            "http://ex.org/data?fragment&page=3",
            &TriplePattern::default(),
            quads,
        );
        assert_eq!(page.count, Some(1234));
        assert_eq!(
            page.next.as_deref(),
            Some("http://ex.org/data?fragment&page=4")
        );
        assert_eq!(page.data.len(), 3, "{:?}", page.data);
    }

    #[test]
    fn expands_templates_with_mapped_variable_names() {
        let form = SearchForm {
            template: "https://data.gov.cz/ldf/nkod-ldf{?s,p,o}".to_owned(),
            subject_variable: "s".to_owned(),
            predicate_variable: "p".to_owned(),
            object_variable: "o".to_owned(),
            explicit_representation: true,
        };
        let pattern = TriplePattern::iris(
            None,
            Some(vocab::DCT_PUBLISHER),
            Some("https://rpp-opendata.egon.gov.cz/odrpp/zdroj/orgán-veřejné-moci/00006947"),
        )
        .expect("IRIs");
        assert_eq!(
            form.expand(&pattern).expect("expands"),
            "https://data.gov.cz/ldf/nkod-ldf?p=http%3A%2F%2Fpurl.org%2Fdc%2Fterms%2Fpublisher&o=https%3A%2F%2Frpp-opendata.egon.gov.cz%2Fodrpp%2Fzdroj%2Forg%C3%A1n-ve%C5%99ejn%C3%A9-moci%2F00006947"
        );
        let literal = TriplePattern {
            object: Some(Term::Literal(
                oxrdf::Literal::new_language_tagged_literal_unchecked("Seznam", "cs"),
            )),
            ..TriplePattern::default()
        };
        assert_eq!(
            form.expand(&literal).expect("expands"),
            "https://data.gov.cz/ldf/nkod-ldf?o=%22Seznam%22%40cs"
        );
        assert_eq!(
            form.expand(&TriplePattern::default()).expect("expands"),
            "https://data.gov.cz/ldf/nkod-ldf"
        );
    }

    #[test]
    fn turtle_pages_separate_data_from_controls() {
        let ttl = r#"
            @prefix hydra: <http://www.w3.org/ns/hydra/core#> .
            @prefix void: <http://rdfs.org/ns/void#> .
            <http://x/f?subject=http%3A%2F%2Fa> void:triples 2 ; hydra:next <http://x/f?subject=http%3A%2F%2Fa&page=2> .
            <http://a> <http://p> "1", "2" .
        "#;
        let quads = parse_rdf(
            "http://x/f?subject=http%3A%2F%2Fa",
            "text/turtle",
            ttl.as_bytes(),
        )
        .expect("valid");
        let pattern = TriplePattern::iris(Some("http://a"), None, None).expect("IRI");
        let page = read_page("http://x/f?subject=http%3A%2F%2Fa", &pattern, quads);
        assert_eq!(page.data.len(), 2);
        assert_eq!(page.count, Some(2));
        assert!(page.next.is_some());
    }

    #[test]
    fn missing_controls_are_an_error() {
        let quads = parse_rdf(
            "http://x/f",
            "text/turtle",
            b"<http://a> <http://p> <http://o> .",
        )
        .expect("valid");
        assert!(matches!(
            read_search_form("http://x/f", "http://x/f", &quads),
            Err(Error::Hydra { .. })
        ));
    }

    #[test]
    fn syntax_errors_name_the_fragment() {
        let err = parse_rdf("http://x/f", "application/trig", b"<http://a> <http://p> .")
            .expect_err("bad TriG");
        assert!(
            matches!(&err, Error::Rdf { url, .. } if url == "http://x/f"),
            "{err}"
        );
    }
}
