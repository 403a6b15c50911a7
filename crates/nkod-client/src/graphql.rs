//! GraphQL backend (data.gov.cz/graphql, `datagov-cz/nkod-graphql`).
//!
//! The schema has no date fields, and only newer servers have `Distribution.downloadURL`;
//! introspection decides whether to ask for it.

use crate::facts::smallest;
use crate::http::{Http, HttpConfig, Request};
use crate::{
    Backend, Capabilities, Catalogue, Dataset, DatasetQuery, DateValue, Distribution, Error,
    LocalizedText, Measured, Publisher, Usage,
};
use serde_json::{Value as Json, json};
use std::sync::Mutex;

/// Options of the GraphQL backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphQlOptions {
    /// `limit` of each `datasets` page (NKOD's server caps it at 10,000; its default is 10).
    pub page_size: u32,
    /// Pages fetched for one question before giving up.
    pub max_pages: u32,
}

impl Default for GraphQlOptions {
    fn default() -> Self {
        Self {
            page_size: 1000,
            max_pages: 10_000,
        }
    }
}

/// The GraphQL backend.
#[derive(Debug)]
pub struct GraphQlCatalogue {
    endpoint: String,
    options: GraphQlOptions,
    http: Http,
    has_download_url: Mutex<Option<bool>>,
}

impl GraphQlCatalogue {
    /// A client of the GraphQL endpoint at `endpoint` (e.g. `https://data.gov.cz/graphql`).
    pub fn new(endpoint: impl Into<String>, options: GraphQlOptions, http: HttpConfig) -> Self {
        Self {
            endpoint: endpoint.into(),
            options,
            http: Http::new(http),
            has_download_url: Mutex::new(None),
        }
    }

    /// Everything this client has used since it was made.
    #[must_use]
    pub fn total_usage(&self) -> Usage {
        self.http.total()
    }

    /// Sends a query (POST JSON) and returns its `data`; `errors` become [`Error::GraphQl`].
    pub fn query(&self, query: &str, variables: &Json) -> Result<Measured<Json>, Error> {
        let mut usage = Usage::default();
        let data = self.query_counted(query, variables, &mut usage)?;
        Ok(Measured { value: data, usage })
    }

    fn query_counted(
        &self,
        query: &str,
        variables: &Json,
        usage: &mut Usage,
    ) -> Result<Json, Error> {
        let body = serde_json::to_vec(&json!({ "query": query, "variables": variables }))
            .map_err(|e| self.bad(format!("cannot encode the request: {e}")))?;
        let mut request = Request::post(self.endpoint.clone(), "application/json", body).header(
            "Accept",
            "application/graphql-response+json, application/json;q=0.9",
        );
        request.pass_client_errors = true;
        let response = self.http.send(&request, usage)?;
        let document: Json = serde_json::from_slice(&response.body).map_err(|e| {
            if response.status >= 400 {
                let excerpt: String = String::from_utf8_lossy(&response.body)
                    .chars()
                    .take(300)
                    .collect();
                Error::Status {
                    url: self.endpoint.clone(),
                    status: response.status,
                    body_excerpt: excerpt,
                }
            } else {
                self.bad(format!("not JSON: {e}"))
            }
        })?;
        if let Some(errors) = document.get("errors").and_then(Json::as_array)
            && !errors.is_empty()
        {
            let messages = errors
                .iter()
                .map(|e| {
                    e.get("message")
                        .and_then(Json::as_str)
                        .map_or_else(|| e.to_string(), str::to_owned)
                })
                .collect();
            return Err(Error::GraphQl {
                url: self.endpoint.clone(),
                messages,
            });
        }
        if response.status >= 400 {
            return Err(Error::Status {
                url: self.endpoint.clone(),
                status: response.status,
                body_excerpt: String::new(),
            });
        }
        match document.get("data") {
            Some(data) if data.is_object() => Ok(data.clone()),
            _ => Err(self.bad("no `data` object and no `errors`".to_owned())),
        }
    }

    /// Whether the server's `Distribution` type has `downloadURL` (asked once, by introspection).
    pub fn has_download_url(&self) -> Result<Measured<bool>, Error> {
        let mut usage = Usage::default();
        let has = self.has_download_url_counted(&mut usage)?;
        Ok(Measured { value: has, usage })
    }

    fn has_download_url_counted(&self, usage: &mut Usage) -> Result<bool, Error> {
        let mut cached = self
            .has_download_url
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(has) = *cached {
            return Ok(has);
        }
        let data = self.query_counted(
            r#"{ __type(name: "Distribution") { fields { name } } }"#,
            &json!({}),
            usage,
        )?;
        let fields = data
            .pointer("/__type/fields")
            .and_then(Json::as_array)
            .ok_or_else(|| {
                self.bad("introspection did not describe the Distribution type".to_owned())
            })?;
        let has = fields
            .iter()
            .any(|f| f.get("name").and_then(Json::as_str) == Some("downloadURL"));
        *cached = Some(has);
        Ok(has)
    }

    fn dataset_fields(&self, usage: &mut Usage) -> Result<String, Error> {
        let download = if self.has_download_url_counted(usage)? {
            " downloadURL"
        } else {
            ""
        };
        Ok(format!(
            "iri title {{ cs en }} keyword {{ cs en }} publisher {{ iri title {{ cs en }} }} \
             distribution {{ iri accessURL{download} format mediaType conformsTo }}"
        ))
    }

    fn bad(&self, detail: String) -> Error {
        Error::GraphQlResponse {
            url: self.endpoint.clone(),
            detail,
        }
    }

    fn parse_dataset(&self, value: &Json) -> Result<Option<Dataset>, Error> {
        if value.is_null() {
            return Ok(None);
        }
        let iri = value
            .get("iri")
            .and_then(Json::as_str)
            .ok_or_else(|| self.bad(format!("dataset without iri: {value}")))?;
        let publisher = match value.get("publisher") {
            Some(p) if !p.is_null() => p.get("iri").and_then(Json::as_str).map(|p_iri| Publisher {
                iri: p_iri.to_owned(),
                name: localized(p.get("title")),
            }),
            _ => None,
        };
        let mut distributions = Vec::new();
        for d in value
            .get("distribution")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if d.is_null() {
                continue;
            }
            let field = |name: &str| {
                let mut slot = None;
                match d.get(name) {
                    Some(Json::String(s)) => smallest(&mut slot, s),
                    Some(Json::Array(items)) => items
                        .iter()
                        .filter_map(Json::as_str)
                        .for_each(|s| smallest(&mut slot, s)),
                    _ => {}
                }
                slot
            };
            distributions.push(Distribution {
                iri: field("iri")
                    .ok_or_else(|| self.bad(format!("distribution without iri in {iri}")))?,
                access_url: field("accessURL"),
                download_url: field("downloadURL"),
                format: field("format"),
                media_type: field("mediaType"),
                conforms_to: field("conformsTo"),
                modified: None,
            });
        }
        distributions.sort();
        distributions.dedup();
        let mut keywords: Vec<String> = value
            .get("keyword")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .flat_map(|k| {
                ["cs", "en"]
                    .into_iter()
                    .filter_map(move |language| k.get(language).and_then(Json::as_str))
            })
            .map(str::to_owned)
            .collect();
        keywords.sort();
        keywords.dedup();
        Ok(Some(Dataset {
            iri: iri.to_owned(),
            title: localized(value.get("title")),
            publisher,
            distributions,
            modified: None,
            record_modified: None,
            keywords,
            legislation: Vec::new(),
        }))
    }
}

fn localized(value: Option<&Json>) -> LocalizedText {
    let mut text = LocalizedText::default();
    if let Some(value) = value {
        for language in ["cs", "en"] {
            match value.get(language) {
                Some(Json::String(s)) => text.add(language, s),
                Some(Json::Array(items)) => items
                    .iter()
                    .filter_map(Json::as_str)
                    .for_each(|s| text.add(language, s)),
                _ => {}
            }
        }
    }
    text
}

impl Catalogue for GraphQlCatalogue {
    fn backend(&self) -> Backend {
        Backend::GraphQl
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            modification_dates: false,
            catalogue_modified: false,
            metadata_search: false,
        }
    }

    fn find_datasets(&self, query: &DatasetQuery) -> Result<Measured<Vec<Dataset>>, Error> {
        let mut usage = Usage::default();
        let fields = self.dataset_fields(&mut usage)?;
        let mut found = Vec::new();
        if query.iris.is_empty() {
            // No title filter exists in the schema: page through the publishers' datasets (or
            // all of them) and filter here.
            // Without publishers the `filters` argument is left out: an explicit `null` or `[]`
            // may be read as "match nothing" (an empty OR).
            let (declaration, argument, filters) = if query.publishers.is_empty() {
                ("", "", None)
            } else {
                let filters: Vec<Json> = query
                    .publishers
                    .iter()
                    .map(|p| json!({ "publisherIri": p }))
                    .collect();
                (
                    "$filters: [DatasetsFilter], ",
                    "filters: $filters, ",
                    Some(Json::Array(filters)),
                )
            };
            let text = format!(
                "query ({declaration}$offset: Int, $limit: Int) {{ \
                 datasets({argument}offset: $offset, limit: $limit) {{ \
                 data {{ {fields} }} pagination {{ totalCount }} }} }}"
            );
            let mut offset: u64 = 0;
            for _ in 0..self.options.max_pages {
                let mut variables = json!({ "offset": offset, "limit": self.options.page_size });
                if let (Some(filters), Some(variables)) = (&filters, variables.as_object_mut()) {
                    variables.insert("filters".to_owned(), filters.clone());
                }
                let data = self.query_counted(&text, &variables, &mut usage)?;
                let page = data
                    .pointer("/datasets/data")
                    .and_then(Json::as_array)
                    .ok_or_else(|| self.bad("`datasets.data` is not a list".to_owned()))?;
                let total = data
                    .pointer("/datasets/pagination/totalCount")
                    .and_then(Json::as_u64);
                for item in page {
                    found.extend(self.parse_dataset(item)?);
                }
                offset += page.len() as u64;
                let done = match total {
                    Some(total) => offset >= total,
                    None => (page.len() as u64) < u64::from(self.options.page_size),
                };
                if done || page.is_empty() {
                    break;
                }
            }
        } else {
            // One request: an aliased `dataset(iri:)` per IRI.
            let mut declarations = Vec::new();
            let mut selections = String::new();
            let mut variables = serde_json::Map::new();
            for (index, iri) in query.iris.iter().enumerate() {
                declarations.push(format!("$i{index}: ID"));
                selections.push_str(&format!(
                    "d{index}: dataset(iri: $i{index}) {{ {fields} }} "
                ));
                variables.insert(format!("i{index}"), Json::String(iri.clone()));
            }
            let text = format!("query ({}) {{ {selections}}}", declarations.join(", "));
            let data = self.query_counted(&text, &Json::Object(variables), &mut usage)?;
            for index in 0..query.iris.len() {
                if let Some(item) = data.get(format!("d{index}")) {
                    found.extend(self.parse_dataset(item)?);
                }
            }
        }
        found.retain(|d| query.matches(d));
        found.sort();
        found.dedup_by(|a, b| a.iri == b.iri);
        Ok(Measured {
            value: found,
            usage,
        })
    }

    /// NKOD's GraphQL schema has no date: always `None`, without a request.
    fn catalogue_modified(&self) -> Result<Measured<Option<DateValue>>, Error> {
        Ok(Measured {
            value: None,
            usage: Usage::default(),
        })
    }

    /// One request (plus the one-off introspection): the datasets; no rebuild date.
    fn snapshot(&self, query: &DatasetQuery) -> Result<Measured<crate::CatalogueSnapshot>, Error> {
        Ok(self
            .find_datasets(query)?
            .map(|datasets| crate::CatalogueSnapshot {
                catalogue_modified: None,
                datasets,
            }))
    }
}
