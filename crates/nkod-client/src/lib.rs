#![doc = include_str!("../README.md")]
#![doc(test(attr(deny(warnings))))]
// Library code reports failures as errors and never panics on input; the few places that
// cannot fail carry an `#[expect]` with the reason. Tests may unwrap.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod download;
mod error;
mod facts;
mod graphql;
mod http;
mod ldf;
mod model;
mod sparql;

pub use download::{Download, Downloader, Fetched, Validators};
pub use error::Error;
pub use graphql::{GraphQlCatalogue, GraphQlOptions};
pub use http::HttpConfig;
pub use ldf::{Fragment, LdfCatalogue, LdfOptions, SearchForm, TriplePattern};
pub use model::{
    Backend, Capabilities, CatalogueSnapshot, Dataset, DatasetQuery, DateValue, Distribution,
    LocalizedText, Measured, NKOD_CATALOG_IRI, PUBLISHER_IRI_PREFIX, Publisher, Usage,
    publisher_iri,
};
pub use sparql::{ResultsFormat, Solution, SparqlCatalogue, SparqlMethod, SparqlOptions};

/// Where NKOD's three APIs live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// SPARQL endpoint.
    pub sparql: String,
    /// TPF datasource (the first fragment).
    pub ldf: String,
    /// GraphQL endpoint.
    pub graphql: String,
}

impl Endpoints {
    /// The public NKOD at data.gov.cz.
    #[must_use]
    pub fn data_gov_cz() -> Self {
        Self::under("https://data.gov.cz")
    }

    /// NKOD's layout under another base URL (`{base}/sparql`, `{base}/ldf/nkod-ldf`,
    /// `{base}/graphql`), e.g. a local `nkod-server`.
    #[must_use]
    pub fn under(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        Self {
            sparql: format!("{base}/sparql"),
            ldf: format!("{base}/ldf/nkod-ldf"),
            graphql: format!("{base}/graphql"),
        }
    }

    /// A client for `backend`, with default options for it (SPARQL: Virtuoso's parameters).
    #[must_use]
    pub fn connect(&self, backend: Backend, http: HttpConfig) -> Box<dyn Catalogue> {
        match backend {
            Backend::Sparql => Box::new(SparqlCatalogue::new(
                &self.sparql,
                SparqlOptions::virtuoso(),
                http,
            )),
            Backend::Ldf => Box::new(LdfCatalogue::new(&self.ldf, LdfOptions::default(), http)),
            Backend::GraphQl => Box::new(GraphQlCatalogue::new(
                &self.graphql,
                GraphQlOptions::default(),
                http,
            )),
        }
    }
}

/// The questions every backend answers. Each call reports the HTTP requests and bytes it used.
///
/// Answers are comparable across backends: datasets and distributions sorted by IRI, and
/// the same rules for titles and multiple values. A backend that cannot see something says
/// so in [`Catalogue::capabilities`] and answers `None` for it.
pub trait Catalogue: Send + Sync + std::fmt::Debug {
    /// Which API this is.
    fn backend(&self) -> Backend;

    /// What this backend can see at all.
    fn capabilities(&self) -> Capabilities;

    /// Datasets matching `query`, with publisher and distributions, sorted by IRI.
    fn find_datasets(&self, query: &DatasetQuery) -> Result<Measured<Vec<Dataset>>, Error>;

    /// One dataset by IRI; `None` when the catalogue has no such `dcat:Dataset`.
    fn dataset(&self, iri: &str) -> Result<Measured<Option<Dataset>>, Error> {
        Ok(self
            .find_datasets(&DatasetQuery::by_iris([iri]))?
            .map(|mut found| found.pop()))
    }

    /// The catalogue's rebuild date (`<https://data.gov.cz/zdroj/katalog/NKOD> dct:modified`);
    /// `None` when the catalogue has none or the backend cannot see it.
    fn catalogue_modified(&self) -> Result<Measured<Option<DateValue>>, Error>;

    /// The rebuild date and the matching datasets, in as few requests as the API allows
    /// (SPARQL: one; GraphQL: one, no date; LDF: one per fragment page).
    fn snapshot(&self, query: &DatasetQuery) -> Result<Measured<CatalogueSnapshot>, Error> {
        self.snapshot_any(std::slice::from_ref(query))
    }

    /// The rebuild date and the datasets matching any of `queries` (each once, sorted by
    /// IRI). SPARQL asks all of it in one request; the other backends ask query by query.
    fn snapshot_any(&self, queries: &[DatasetQuery]) -> Result<Measured<CatalogueSnapshot>, Error> {
        let modified = self.catalogue_modified()?;
        let mut usage = modified.usage;
        let mut datasets: Vec<Dataset> = Vec::new();
        for query in queries {
            let found = self.find_datasets(query)?;
            usage += found.usage;
            datasets.extend(found.value);
        }
        datasets.sort();
        datasets.dedup_by(|a, b| a.iri == b.iri);
        Ok(Measured {
            usage,
            value: CatalogueSnapshot {
                catalogue_modified: modified.value,
                datasets,
            },
        })
    }
}
