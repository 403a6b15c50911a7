//! `update`: ask the catalogue which local lists exist and whether any changed, download only
//! what changed, read, merge, run the guards, and publish atomically.
//!
//! Change detection, per source: a modification date from the catalogue (dataset,
//! distribution or catalogue record) when the catalogue gives one and it equals the last
//! one seen; otherwise a conditional GET with the stored `ETag`/`Last-Modified`; otherwise the
//! SHA-256 of the body. A changed download URL always means a fresh download.

use crate::changes::{Change, ChangeKind, FEED_CHANGES_PER_ENTRY, FEED_ENTRIES, FeedEntry};
use crate::config::{Backend, Config, RpzSettings, SourceSpec};
use crate::dcat::DcatSettings;
use crate::embedded::{EmbeddedError, EmbeddedNkod};
use crate::publish::{PublishError, Publisher};
use crate::rows::{ListRow, read_decree_csv};
use crate::state::{LastPublication, SourceState, StateDir, StateError};
use blocklist_model::{
    Entry, GuardError, Guards, ReaderKind, SourceConfig, UnifiedList, WwwPolicy,
};
use chrono::{NaiveDate, Utc};
use nkod_client::{
    Dataset, DatasetQuery, Distribution, Downloader, Endpoints, Fetched, HttpConfig, Usage,
};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The file names of a publication.
pub mod files {
    /// The decree CSV.
    pub const DECREE_CSV: &str = "jednotny-seznam.csv";
    /// Its CSVW metadata.
    pub const DECREE_METADATA: &str = "jednotny-seznam.csv-metadata.json";
    /// The extended CSV for providers.
    pub const EXTENDED_CSV: &str = "jednotny-seznam-rozsireny.csv";
    /// Its CSVW metadata.
    pub const EXTENDED_METADATA: &str = "jednotny-seznam-rozsireny.csv-metadata.json";
    /// The RPZ zone.
    pub const RPZ: &str = "jednotny-seznam.rpz";
    /// Active DNS-blockable hosts, one a line.
    pub const HOSTS: &str = "domeny.txt";
    /// The web page.
    pub const PAGE: &str = "index.html";
    /// Changes since the previous publication.
    pub const CHANGES_CSV: &str = "zmeny.csv";
    /// The changes feed.
    pub const CHANGES_ATOM: &str = "zmeny.atom";
    /// DCAT-AP-CZ in Turtle.
    pub const DCAT_TTL: &str = "dcat.ttl";
    /// DCAT-AP-CZ in JSON-LD.
    pub const DCAT_JSONLD: &str = "dcat.jsonld";
    /// The lookup index: every row any publication had, with its dates.
    pub const LOOKUP_INDEX: &str = crate::lookup::INDEX_FILE;
}

/// Everything `update` needs.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// `"embedded"` or the catalogue's base URL.
    pub nkod: String,
    /// The catalogue API.
    pub backend: Backend,
    /// The output path.
    pub out: PathBuf,
    /// The state directory.
    pub state: PathBuf,
    /// Publish even when nothing changed (and download everything again).
    pub force: bool,
    /// The shrink guard's limit (share, 0–1).
    pub max_shrink: f64,
    /// The sources.
    pub sources: Vec<SourceSpec>,
    /// The RPZ zone's origin.
    pub rpz_origin: String,
    /// The RPZ policy.
    pub rpz: RpzSettings,
    /// How the list is registered in NKOD.
    pub dcat: DcatSettings,
    /// Network limits (timeouts, retries).
    pub http: HttpConfig,
    /// The validity date; `None` means today in Europe/Prague.
    pub valid_as_of: Option<NaiveDate>,
}

impl UpdateOptions {
    /// Options from a configuration.
    pub fn from_config(config: &Config) -> Self {
        let http = HttpConfig {
            user_agent: concat!("unified-blocklist/", env!("CARGO_PKG_VERSION")).to_owned(),
            request_timeout: Duration::from_secs(config.request_timeout_secs),
            deadline: Duration::from_secs(config.request_timeout_secs.saturating_mul(3)),
            max_attempts: config.attempts,
            ..HttpConfig::default()
        };
        Self {
            nkod: config.nkod.clone(),
            backend: config.backend.clone(),
            out: config.out.clone(),
            state: config.state.clone(),
            force: false,
            max_shrink: config.max_shrink,
            sources: config.sources.clone(),
            rpz_origin: config.rpz_origin.clone(),
            rpz: config.rpz.clone(),
            dcat: config.dcat.clone(),
            http,
            valid_as_of: None,
        }
    }
}

/// How one source was found to be changed or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceStatus {
    /// The catalogue's modification date is the one seen last time: nothing was downloaded.
    UnchangedByDate,
    /// The server answered the conditional GET with 304.
    NotModified,
    /// A body came but its hash equals the last good file's.
    UnchangedByHash,
    /// New or changed content.
    Changed,
}

/// What happened to one source.
#[derive(Debug, Clone)]
pub struct SourceReport {
    /// The source id.
    pub id: String,
    /// Change detection's verdict.
    pub status: SourceStatus,
    /// Entries read (when the list was rebuilt).
    pub entries: Option<usize>,
    /// Diagnostics reported by the reader (bad rows).
    pub diagnostics: Vec<String>,
}

/// The result of an update.
#[derive(Debug, Clone)]
pub struct UpdateReport {
    /// The new publication's id, or `None` when nothing changed.
    pub published: Option<String>,
    /// Per source.
    pub sources: Vec<SourceReport>,
    /// Rows of the published list (active, removed).
    pub rows: Option<(usize, usize)>,
    /// Changes against the previous publication.
    pub changes: usize,
    /// HTTP used for the catalogue.
    pub catalogue_usage: Usage,
    /// HTTP used for downloads.
    pub download_usage: Usage,
    /// Wall time.
    pub elapsed: Duration,
}

/// An update failed; the previous publication is untouched.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The embedded catalogue could not start.
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
    /// The catalogue could not be asked.
    #[error("catalogue ({backend} at {base}): {cause}")]
    Catalogue {
        /// The API.
        backend: String,
        /// The catalogue's base URL.
        base: String,
        /// What went wrong.
        cause: nkod_client::Error,
    },
    /// A configured source is not in the catalogue.
    #[error(
        "source {source_id}: no dataset titled {title:?} by publisher {publisher} in the catalogue"
    )]
    NotInCatalogue {
        /// The source id.
        source_id: String,
        /// The publisher IRI looked for.
        publisher: String,
        /// The title looked for.
        title: String,
    },
    /// The dataset has no CSV distribution with a URL.
    #[error(
        "source {source_id}: dataset {dataset} has no CSV distribution to download (formats: {formats})"
    )]
    UnknownFormat {
        /// The source id.
        source_id: String,
        /// The dataset IRI.
        dataset: String,
        /// The formats it has.
        formats: String,
    },
    /// A download failed.
    #[error("source {source_id}: download of {url} failed: {cause}")]
    Download {
        /// The source id.
        source_id: String,
        /// The URL.
        url: String,
        /// What went wrong.
        cause: nkod_client::Error,
    },
    /// A guard stopped the publication.
    #[error("guard: {0} (override with the operator's settings if this is intended)")]
    Guard(#[from] GuardError),
    /// An export could not be written.
    #[error("cannot write {file}: {message}")]
    Export {
        /// The file.
        file: &'static str,
        /// Why.
        message: String,
    },
    /// The publication failed.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// The state directory failed.
    #[error(transparent)]
    State(#[from] StateError),
}

impl UpdateError {
    /// The process exit code for this error (documented in the README).
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Catalogue { .. } | Self::NotInCatalogue { .. } => 3,
            Self::Download { .. } | Self::UnknownFormat { .. } => 4,
            Self::Guard(_) => 5,
            Self::Embedded(_) | Self::Export { .. } | Self::Publish(_) | Self::State(_) => 6,
        }
    }
}

struct SourceInput {
    spec: SourceSpec,
    dataset_title: String,
    authority: String,
    bytes: Vec<u8>,
    status: SourceStatus,
    next: SourceState,
}

fn reader_kind(name: &str) -> ReaderKind {
    match name {
        "mf" => ReaderKind::Mf,
        "sukl" => ReaderKind::Sukl,
        "szpi" => ReaderKind::Szpi,
        "uskvbl" => ReaderKind::Uskvbl,
        "mzv" => ReaderKind::MzvSanctions,
        _ => ReaderKind::Decree,
    }
}

fn is_csv(distribution: &Distribution) -> bool {
    let format = distribution.format.as_deref().unwrap_or("");
    let media = distribution.media_type.as_deref().unwrap_or("");
    format.ends_with("/file-type/CSV") || media.ends_with("/text/csv") || media == "text/csv"
}

fn find_dataset<'a>(spec: &SourceSpec, datasets: &'a [Dataset]) -> Option<&'a Dataset> {
    let publisher = nkod_client::publisher_iri(&spec.publisher_ico);
    let wanted = spec.title.trim().to_lowercase();
    datasets.iter().find(|d| match &spec.dataset_iri {
        Some(iri) => d.iri == *iri,
        None => {
            d.publisher.as_ref().is_some_and(|p| p.iri == publisher)
                && [&d.title.cs, &d.title.en]
                    .into_iter()
                    .flatten()
                    .any(|t| t.trim().to_lowercase() == wanted)
        }
    })
}

fn row_of(entry: &Entry) -> ListRow {
    ListRow {
        url: entry.url().to_owned(),
        entered: entry.entered().format("%Y-%m-%d").to_string(),
        removed: entry
            .removed()
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        source: entry.authority().to_owned(),
        dataset: entry.dataset().to_owned(),
    }
}

/// Runs one update.
pub fn update(options: &UpdateOptions) -> Result<UpdateReport, UpdateError> {
    let started = Instant::now();
    let state_dir = StateDir::new(&options.state);
    let _lock = state_dir.lock()?;
    let mut state = state_dir.load()?;
    let publisher = Publisher::new(&options.out);
    // Fails early when --out is not ours.
    let current = publisher.current()?;

    let embedded;
    let base = if options.nkod == "embedded" {
        embedded = EmbeddedNkod::start(state_dir.dir())?;
        embedded.base_url().to_owned()
    } else {
        options.nkod.clone()
    };
    let endpoints = Endpoints::under(&base);
    let backend = match options.backend {
        Backend::Sparql => nkod_client::Backend::Sparql,
        Backend::Ldf => nkod_client::Backend::Ldf,
        Backend::Graphql => nkod_client::Backend::GraphQl,
    };
    let catalogue = endpoints.connect(backend, options.http.clone());
    let query = DatasetQuery::by_publishers(
        options
            .sources
            .iter()
            .map(|s| nkod_client::publisher_iri(&s.publisher_ico)),
    );
    let snapshot = catalogue
        .snapshot(&query)
        .map_err(|cause| UpdateError::Catalogue {
            backend: backend.to_string(),
            base: base.clone(),
            cause,
        })?;
    let catalogue_usage = snapshot.usage;
    let snapshot = snapshot.value;

    // Change detection and downloads.
    let downloader = Downloader::new(options.http.clone());
    let mut inputs = Vec::new();
    for spec in &options.sources {
        let dataset =
            find_dataset(spec, &snapshot.datasets).ok_or_else(|| UpdateError::NotInCatalogue {
                source_id: spec.id.clone(),
                publisher: nkod_client::publisher_iri(&spec.publisher_ico),
                title: spec.title.clone(),
            })?;
        let Some((distribution, url)) = dataset
            .distributions
            .iter()
            .filter(|d| is_csv(d))
            .find_map(|d| d.fetch_url().map(|u| (d, u.to_owned())))
        else {
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
            return Err(UpdateError::UnknownFormat {
                source_id: spec.id.clone(),
                dataset: dataset.iri.clone(),
                formats: if formats.is_empty() {
                    "none".into()
                } else {
                    formats.join(", ")
                },
            });
        };
        let catalogue_date = distribution
            .modified
            .as_ref()
            .or(dataset.latest_modified())
            .map(|d| d.lexical.clone());
        // The embedded catalogue listens on a new port every run; its URLs are compared
        // without it.
        let url_key = if options.nkod == "embedded" {
            url.replacen(&base, "embedded:/", 1)
        } else {
            url.clone()
        };
        let previous = state
            .sources
            .get(&spec.id)
            .filter(|p| p.download_url == url_key);
        let cached = previous.and_then(|p| state_dir.cached_source(&spec.id, &p.sha256));
        let dataset_title = dataset
            .title
            .cs
            .clone()
            .or(dataset.title.en.clone())
            .unwrap_or(spec.title.clone());
        let authority = dataset
            .publisher
            .as_ref()
            .and_then(|p| p.name.cs.clone())
            .unwrap_or(spec.authority.clone());
        let mut next = SourceState {
            dataset_iri: dataset.iri.clone(),
            dataset_title: dataset_title.clone(),
            download_url: url_key,
            catalogue_modified: catalogue_date.clone(),
            ..SourceState::default()
        };
        let (status, bytes) = match (previous, cached) {
            (Some(prev), Some(bytes))
                if !options.force
                    && catalogue_date.is_some()
                    && catalogue_date == prev.catalogue_modified =>
            {
                next.etag.clone_from(&prev.etag);
                next.last_modified.clone_from(&prev.last_modified);
                (SourceStatus::UnchangedByDate, bytes)
            }
            (previous, cached) => {
                let validators = match (&previous, &cached) {
                    (Some(p), Some(_)) if !options.force => Some(nkod_client::Validators {
                        etag: p.etag.clone(),
                        last_modified: p.last_modified.clone(),
                        sha256: Some(p.sha256.clone()),
                    }),
                    _ => None,
                };
                let fetched = downloader
                    .fetch(&url, validators.as_ref())
                    .map_err(|cause| UpdateError::Download {
                        source_id: spec.id.clone(),
                        url: url.clone(),
                        cause,
                    })?;
                next.etag.clone_from(&fetched.value.validators().etag);
                next.last_modified
                    .clone_from(&fetched.value.validators().last_modified);
                match (fetched.value, cached) {
                    (Fetched::NotModified { .. }, Some(bytes)) => {
                        (SourceStatus::NotModified, bytes)
                    }
                    (Fetched::Unchanged(download), cached) => (
                        SourceStatus::UnchangedByHash,
                        cached.unwrap_or(download.body),
                    ),
                    (Fetched::Changed(download), _) => (SourceStatus::Changed, download.body),
                    (Fetched::NotModified { .. }, None) => {
                        // Only possible if the server ignores our missing validators.
                        return Err(UpdateError::Download {
                            source_id: spec.id.clone(),
                            url: url.clone(),
                            cause: nkod_client::Error::Status {
                                url: url.clone(),
                                status: 304,
                                body_excerpt: "304 without a conditional request".into(),
                            },
                        });
                    }
                }
            }
        };
        inputs.push(SourceInput {
            spec: spec.clone(),
            dataset_title,
            authority,
            bytes,
            status,
            next,
        });
    }
    let download_usage = downloader.total_usage();

    let anything_changed = options.force
        || current.is_none()
        || state.last_publication.is_none()
        || inputs.iter().any(|i| i.status == SourceStatus::Changed)
        || state.sources.len() != inputs.len();
    if !anything_changed {
        // Keep refreshed validators; the publication stays as it is.
        for input in &inputs {
            if let Some(prev) = state.sources.get_mut(&input.spec.id) {
                prev.etag.clone_from(&input.next.etag);
                prev.last_modified.clone_from(&input.next.last_modified);
                prev.catalogue_modified
                    .clone_from(&input.next.catalogue_modified);
            }
        }
        state.catalogue_modified = snapshot
            .catalogue_modified
            .as_ref()
            .map(|d| d.lexical.clone());
        state_dir.save(&state)?;
        return Ok(UpdateReport {
            published: None,
            sources: inputs
                .iter()
                .map(|i| SourceReport {
                    id: i.spec.id.clone(),
                    status: i.status,
                    entries: None,
                    diagnostics: Vec::new(),
                })
                .collect(),
            rows: None,
            changes: 0,
            catalogue_usage,
            download_usage,
            elapsed: started.elapsed(),
        });
    }

    // Read and guard every source.
    let guards = Guards::new().with_max_shrink(options.max_shrink);
    let mut entries = Vec::new();
    let mut reports = Vec::new();
    for input in &mut inputs {
        let config = SourceConfig::new(
            input.authority.clone(),
            input.dataset_title.clone(),
            reader_kind(&input.spec.reader),
        );
        let outcome = blocklist_model::read_source(&config, &input.bytes);
        let previous_entries = state.sources.get(&input.spec.id).map(|s| s.entries);
        let read = match outcome {
            Ok(read) => {
                let keep = guards
                    .check(&input.authority, previous_entries, Ok(&read))?
                    .is_some();
                keep.then_some(read)
            }
            Err(error) => {
                guards.check(&input.authority, previous_entries, Err(error))?;
                None
            }
        };
        let diagnostics: Vec<String> = read
            .as_ref()
            .map(|r| r.diagnostics.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        let count = read.as_ref().map_or(0, |r| r.entries.len());
        input.next.entries = count;
        if let Some(read) = read {
            entries.extend(read.entries);
        }
        reports.push(SourceReport {
            id: input.spec.id.clone(),
            status: input.status,
            entries: Some(count),
            diagnostics,
        });
    }
    let valid_as_of = options.valid_as_of.unwrap_or_else(|| {
        Utc::now()
            .with_timezone(&chrono_tz::Europe::Prague)
            .date_naive()
    });
    let list = UnifiedList::merge(valid_as_of, entries);

    // The previous publication's list, for the changes. The extended CSV is read because it
    // also carries the legal basis, which the diff compares.
    let previous_list = current.as_ref().and_then(|dir| {
        let bytes = std::fs::read(dir.join(files::EXTENDED_CSV)).ok()?;
        let config = SourceConfig::new("", "", ReaderKind::Decree);
        let read = blocklist_model::read_source(&config, &bytes).ok()?;
        let date = state
            .last_publication
            .as_ref()
            .map_or(valid_as_of, |p| p.valid_as_of);
        Some(UnifiedList::merge(date, read.entries))
    });
    let empty = UnifiedList::merge(valid_as_of, Vec::new());
    let diff = blocklist_model::diff(previous_list.as_ref().unwrap_or(&empty), &list);
    let mut changes: Vec<Change> = Vec::new();
    changes.extend(diff.added.iter().map(|e| Change {
        kind: ChangeKind::Added,
        row: row_of(e),
    }));
    changes.extend(diff.newly_removed.iter().map(|(_, e)| Change {
        kind: ChangeKind::Removed,
        row: row_of(e),
    }));
    changes.extend(diff.vanished.iter().map(|e| Change {
        kind: ChangeKind::Vanished,
        row: row_of(e),
    }));
    changes.extend(diff.changed.iter().map(|(_, e)| Change {
        kind: ChangeKind::Changed,
        row: row_of(e),
    }));

    // Write the publication.
    let serial = blocklist_model::next_serial(
        state.last_publication.as_ref().map(|p| p.rpz_serial),
        valid_as_of,
    )
    .map_err(|e| UpdateError::Export {
        file: files::RPZ,
        message: e.to_string(),
    })?;
    let export = |file: &'static str| {
        move |e: &dyn std::fmt::Display| UpdateError::Export {
            file,
            message: e.to_string(),
        }
    };
    let mut decree = Vec::new();
    blocklist_model::write_decree_csv(&list, &mut decree)
        .map_err(|e| export(files::DECREE_CSV)(&e))?;
    let mut extended = Vec::new();
    blocklist_model::write_extended_csv(&list, &mut extended)
        .map_err(|e| export(files::EXTENDED_CSV)(&e))?;
    let metadata = blocklist_model::decree_metadata(&list, files::DECREE_CSV)
        .map_err(|e| export(files::DECREE_METADATA)(&e))?
        .publisher(options.dcat.publisher_name.clone());
    let extended_metadata = blocklist_model::extended_metadata(&list, files::EXTENDED_CSV)
        .map_err(|e| export(files::EXTENDED_METADATA)(&e))?
        .publisher(options.dcat.publisher_name.clone());
    let mut rpz = Vec::new();
    blocklist_model::write_rpz(
        &list,
        &options.rpz.options(&options.rpz_origin, serial),
        &mut rpz,
    )
    .map_err(|e| export(files::RPZ)(&e))?;
    let mut hosts = Vec::new();
    blocklist_model::write_plain_hosts(&list, WwwPolicy::AlsoApex, &mut hosts)
        .map_err(|e| export(files::HOSTS)(&e))?;
    let rows = read_decree_csv(&decree).map_err(|e| export(files::PAGE)(&e))?;
    let active = rows.iter().filter(|r| r.is_active()).count();
    let published_at = Utc::now();
    let page = crate::html::render_page(
        &rows,
        &crate::html::PageInfo {
            valid_as_of,
            published_at,
        },
    );

    let staging = publisher.stage()?;
    staging.write(files::DECREE_CSV, &decree)?;
    staging.write(files::DECREE_METADATA, metadata.to_json().as_bytes())?;
    staging.write(files::EXTENDED_CSV, &extended)?;
    staging.write(
        files::EXTENDED_METADATA,
        extended_metadata.to_json().as_bytes(),
    )?;
    staging.write(files::RPZ, &rpz)?;
    staging.write(files::HOSTS, &hosts)?;
    staging.write(files::PAGE, page.as_bytes())?;
    staging.write(
        files::LOOKUP_INDEX,
        &crate::lookup::next_index(current.as_deref(), &list, valid_as_of).to_tsv(),
    )?;
    staging.write(files::CHANGES_CSV, &crate::changes::changes_csv(&changes))?;
    staging.write(
        files::DCAT_TTL,
        crate::dcat::catalog_turtle(&options.dcat).as_bytes(),
    )?;
    staging.write(
        files::DCAT_JSONLD,
        crate::dcat::dataset_jsonld(&options.dcat).as_bytes(),
    )?;
    // The feed entry needs the publication id only for its Atom id; a stamp is enough.
    let entry_id = published_at.format("%Y%m%dT%H%M%SZ").to_string();
    let mut feed = state.feed.clone();
    feed.insert(
        0,
        FeedEntry {
            publication: entry_id,
            published_at,
            valid_as_of,
            changes: changes
                .iter()
                .take(FEED_CHANGES_PER_ENTRY)
                .cloned()
                .collect(),
            total_changes: changes.len(),
        },
    );
    feed.truncate(FEED_ENTRIES);
    let public = if options.dcat.public_url.ends_with('/') {
        options.dcat.public_url.clone()
    } else {
        format!("{}/", options.dcat.public_url)
    };
    staging.write(
        files::CHANGES_ATOM,
        crate::changes::changes_atom(&feed, &public).as_bytes(),
    )?;

    // Source copies go to the state before the swap, so a crash after it still finds them.
    for input in &mut inputs {
        input.next.sha256 = state_dir.store_source(&input.spec.id, &input.bytes)?;
    }
    let publication = publisher.commit(staging, valid_as_of)?;

    state.last_publication = Some(LastPublication {
        id: publication.id.clone(),
        published_at,
        valid_as_of,
        rpz_serial: serial,
        rows: rows.len(),
    });
    state.catalogue_modified = snapshot
        .catalogue_modified
        .as_ref()
        .map(|d| d.lexical.clone());
    state.sources = inputs
        .iter()
        .map(|i| (i.spec.id.clone(), i.next.clone()))
        .collect();
    state.feed = feed;
    state_dir.save(&state)?;
    state_dir.prune_sources(&state);

    Ok(UpdateReport {
        published: Some(publication.id),
        sources: reports,
        rows: Some((active, rows.len() - active)),
        changes: changes.len(),
        catalogue_usage,
        download_usage,
        elapsed: started.elapsed(),
    })
}
