//! Finding the local lists in the catalogue without depending on an exact title, and noticing
//! lists that look like local lists but are not configured.
//!
//! A configured source is found by its pinned dataset IRI when given; otherwise among its
//! publisher's datasets by title (compared without case, diacritics and surrounding white
//! space), then by keyword, then by a CSV distribution whose CSVW schema or header has the
//! decree's columns (`URL`, `DATUM_ZAPISU`, `DATUM_VYMAZU`). Of a dataset's distributions the
//! CSV one is used. Looking at a header or a schema costs a download, so it happens only when
//! the cheaper rules found nothing, and its verdict is remembered per URL.

use crate::config::{DiscoverySettings, SourceSpec};
use crate::source::{SourceFailure, Stage};
use nkod_client::{Dataset, Distribution};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How a configured source's dataset was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchedBy {
    /// The configured dataset IRI.
    DatasetIri,
    /// The publisher and the title.
    Title,
    /// The publisher and a keyword.
    Keyword,
    /// The publisher and a CSV with the decree's columns.
    DecreeColumns,
}

impl MatchedBy {
    /// The name used in `stav.json` and the log.
    pub fn name(self) -> &'static str {
        match self {
            Self::DatasetIri => "dataset-iri",
            Self::Title => "title",
            Self::Keyword => "keyword",
            Self::DecreeColumns => "decree-columns",
        }
    }
}

/// A configured source's dataset and the distribution to download.
#[derive(Debug, Clone)]
pub struct Located<'a> {
    /// The dataset.
    pub dataset: &'a Dataset,
    /// Its CSV distribution.
    pub distribution: &'a Distribution,
    /// The URL to download (`downloadURL`, else `accessURL`).
    pub url: String,
    /// How it was found.
    pub matched_by: MatchedBy,
    /// Worth a line in the log (a pinned IRI gone, a title that changed).
    pub notes: Vec<String>,
}

/// Whether a distribution's CSVW schema or header has the decree's columns; `None` when it
/// could not be looked at (download failed).
pub type Probe<'p> = dyn FnMut(&Distribution, &str) -> Option<bool> + 'p;

/// A title or keyword as compared: lower case, without diacritics, white space collapsed.
pub fn comparable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars().flat_map(char::to_lowercase) {
            out.push(strip_diacritic(c));
        }
    }
    out
}

/// The base letter of a Latin letter with a diacritic (Czech, Slovak and the rest of Latin-1
/// and Latin Extended-A); other characters unchanged.
fn strip_diacritic(c: char) -> char {
    const FROM: &str =
        "áàâäãåāăąçćĉċčďđéèêëēĕėęěĝğġģĥħíìîïĩīĭįıĵķĺļľŀłñńņňŉóòôöõøōŏőŕŗřśŝşšţťŧúùûüũūŭůűųŵýÿŷźżž";
    const TO: &str =
        "aaaaaaaaacccccddeeeeeeeeegggghhiiiiiiiiijklllllnnnnnooooooooorrrsssstttuuuuuuuuuuwyyyzzz";
    FROM.chars()
        .position(|f| f == c)
        .and_then(|i| TO.chars().nth(i))
        .unwrap_or(c)
}

/// Whether a distribution is a CSV one (by `dct:format` or `dcat:mediaType`).
pub fn is_csv(distribution: &Distribution) -> bool {
    let format = distribution.format.as_deref().unwrap_or("");
    let media = distribution.media_type.as_deref().unwrap_or("");
    format.ends_with("/file-type/CSV") || media.ends_with("/text/csv") || media == "text/csv"
}

/// The CSV distributions of a dataset that can be downloaded, those with a `downloadURL`
/// first, then by IRI.
fn csv_distributions(dataset: &Dataset) -> Vec<(&Distribution, String)> {
    let mut found: Vec<(&Distribution, String)> = dataset
        .distributions
        .iter()
        .filter(|d| is_csv(d))
        .filter_map(|d| d.fetch_url().map(|u| (d, u.to_owned())))
        .collect();
    found.sort_by_key(|(d, _)| (d.download_url.is_none(), d.iri.clone()));
    found
}

fn title_matches(dataset: &Dataset, wanted: &str) -> bool {
    let wanted = comparable(wanted);
    [&dataset.title.cs, &dataset.title.en]
        .into_iter()
        .flatten()
        .any(|t| comparable(t) == wanted)
}

fn keyword_matches(dataset: &Dataset, keywords: &[String]) -> bool {
    let wanted: Vec<String> = keywords.iter().map(|k| comparable(k)).collect();
    dataset
        .keywords
        .iter()
        .any(|k| wanted.contains(&comparable(k)))
}

fn formats(dataset: &Dataset) -> String {
    let formats: Vec<&str> = dataset
        .distributions
        .iter()
        .map(|d| {
            d.format
                .as_deref()
                .or(d.media_type.as_deref())
                .unwrap_or("none")
        })
        .collect();
    if formats.is_empty() {
        "none".into()
    } else {
        formats.join(", ")
    }
}

/// Locates every configured source in the catalogue's datasets. A dataset found for one
/// source is not offered to another; pinned IRIs and titles are matched for all sources
/// before keywords and columns are tried for the rest.
pub fn locate_all<'a>(
    specs: &[SourceSpec],
    datasets: &'a [Dataset],
    probe: &mut Probe<'_>,
) -> Vec<Result<Located<'a>, SourceFailure>> {
    let mut claimed: BTreeSet<&str> = BTreeSet::new();
    let mut notes: Vec<Vec<String>> = vec![Vec::new(); specs.len()];
    let mut found: Vec<Option<(&'a Dataset, MatchedBy)>> = vec![None; specs.len()];
    let of_publisher = |spec: &SourceSpec, d: &Dataset| {
        let publisher = nkod_client::publisher_iri(&spec.publisher_ico);
        d.publisher.as_ref().is_some_and(|p| p.iri == publisher)
    };
    // Pass 1: the pinned IRI, else the title.
    for ((spec, found), notes) in specs.iter().zip(&mut found).zip(&mut notes) {
        if let Some(iri) = &spec.dataset_iri {
            match datasets.iter().find(|d| d.iri == *iri) {
                Some(d) => *found = Some((d, MatchedBy::DatasetIri)),
                None => notes.push(format!(
                    "the configured dataset {iri} is not in the catalogue; looked for among the publisher's datasets"
                )),
            }
        }
        if found.is_none() {
            *found = datasets
                .iter()
                .filter(|d| !claimed.contains(d.iri.as_str()) && of_publisher(spec, d))
                .find(|d| title_matches(d, &spec.title))
                .map(|d| (d, MatchedBy::Title));
        }
        if let Some((d, _)) = *found {
            claimed.insert(&d.iri);
        }
    }
    // Pass 2: a keyword, then the decree's columns, among what is left.
    for ((spec, found), notes) in specs.iter().zip(&mut found).zip(&mut notes) {
        if found.is_some() {
            continue;
        }
        let own: Vec<&'a Dataset> = datasets
            .iter()
            .filter(|d| !claimed.contains(d.iri.as_str()) && of_publisher(spec, d))
            .collect();
        let by_keyword: Vec<&'a Dataset> = own
            .iter()
            .copied()
            .filter(|d| keyword_matches(d, &spec.keywords))
            .collect();
        // Several datasets with the keyword: the one whose CSV has the decree's columns.
        *found = match by_keyword.as_slice() {
            [one] => Some((*one, MatchedBy::Keyword)),
            [] => None,
            many => many
                .iter()
                .find(|d| has_decree_csv(d, probe))
                .map(|d| (*d, MatchedBy::Keyword)),
        }
        .or_else(|| {
            own.iter()
                .find(|d| has_decree_csv(d, probe))
                .map(|d| (*d, MatchedBy::DecreeColumns))
        });
        match *found {
            Some((d, matched_by)) => {
                claimed.insert(&d.iri);
                notes.push(format!(
                    "dataset {} found by {} (its title in the catalogue is {:?}, the configured one {:?})",
                    d.iri,
                    matched_by.name(),
                    d.title.best().unwrap_or_default(),
                    spec.title
                ));
            }
            None => {
                let titles: Vec<String> = own
                    .iter()
                    .filter_map(|d| d.title.best())
                    .map(|t| format!("{t:?}"))
                    .collect();
                notes.push(format!(
                    "no dataset of publisher {} has the title {:?}{} or a CSV with the columns URL, DATUM_ZAPISU and DATUM_VYMAZU (its other datasets: {})",
                    nkod_client::publisher_iri(&spec.publisher_ico),
                    spec.title,
                    if spec.keywords.is_empty() {
                        String::new()
                    } else {
                        format!(", the keywords {:?}", spec.keywords)
                    },
                    if titles.is_empty() {
                        "none".to_owned()
                    } else {
                        titles.join(", ")
                    }
                ));
            }
        }
    }
    specs
        .iter()
        .zip(found)
        .zip(notes)
        .map(|((spec, found), notes)| match found {
            Some((dataset, matched_by)) => with_distribution(spec, dataset, matched_by, notes),
            None => Err(SourceFailure::new(
                Stage::Detect,
                "not-in-catalogue",
                notes.join("; "),
            )),
        })
        .collect()
}

fn has_decree_csv(dataset: &Dataset, probe: &mut Probe<'_>) -> bool {
    csv_distributions(dataset)
        .iter()
        .any(|(d, url)| probe(d, url) == Some(true))
}

fn with_distribution<'a>(
    spec: &SourceSpec,
    dataset: &'a Dataset,
    matched_by: MatchedBy,
    notes: Vec<String>,
) -> Result<Located<'a>, SourceFailure> {
    match csv_distributions(dataset).into_iter().next() {
        Some((distribution, url)) => Ok(Located {
            dataset,
            distribution,
            url,
            matched_by,
            notes,
        }),
        None => Err(SourceFailure::new(
            Stage::Detect,
            "no-csv-distribution",
            format!(
                "source {}: dataset {} has no CSV distribution to download (formats: {})",
                spec.id,
                dataset.iri,
                formats(dataset)
            ),
        )),
    }
}

/// A dataset that looks like a local list but is not configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The dataset IRI.
    pub dataset_iri: String,
    /// Its title.
    pub title: String,
    /// The publisher's IRI.
    pub publisher_iri: Option<String>,
    /// The publisher's name.
    pub publisher_name: Option<String>,
    /// Its CSV distribution's URL, if any.
    pub distribution_url: Option<String>,
    /// Why it looks like a local list: `legal-basis`, `decree-columns`.
    pub reasons: Vec<String>,
}

/// The candidates among `datasets`: not any configured source's dataset, not published by
/// ourselves (the unified list registered in NKOD has the decree's columns too), and either
/// citing one of the legal bases or carrying a keyword and a CSV with the decree's columns.
pub fn candidates(
    datasets: &[Dataset],
    configured: &BTreeSet<String>,
    own_publisher: &str,
    settings: &DiscoverySettings,
    probe: &mut Probe<'_>,
) -> Vec<Candidate> {
    let mut found = Vec::new();
    for dataset in datasets {
        if configured.contains(&dataset.iri)
            || dataset
                .publisher
                .as_ref()
                .is_some_and(|p| p.iri == own_publisher)
        {
            continue;
        }
        let mut reasons = Vec::new();
        if dataset
            .legislation
            .iter()
            .any(|l| settings.legislation.contains(l))
        {
            reasons.push("legal-basis".to_owned());
        }
        if reasons.is_empty()
            && keyword_matches(dataset, &settings.keywords)
            && has_decree_csv(dataset, probe)
        {
            reasons.push("decree-columns".to_owned());
        }
        if reasons.is_empty() {
            continue;
        }
        found.push(Candidate {
            dataset_iri: dataset.iri.clone(),
            title: dataset.title.best().unwrap_or_default().to_owned(),
            publisher_iri: dataset.publisher.as_ref().map(|p| p.iri.clone()),
            publisher_name: dataset
                .publisher
                .as_ref()
                .and_then(|p| p.name.best())
                .map(str::to_owned),
            distribution_url: csv_distributions(dataset)
                .into_iter()
                .next()
                .map(|(_, url)| url),
            reasons,
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_compare_without_case_diacritics_and_space() {
        assert_eq!(
            comparable("  Seznam  nepovolených INTERNETOVÝCH her "),
            "seznam nepovolenych internetovych her"
        );
        assert_eq!(comparable("Žluťoučký kůň ÚPĚL"), "zlutoucky kun upel");
        assert_eq!(comparable("Ĺ ŕ ő ű"), "l r o u");
    }
}
