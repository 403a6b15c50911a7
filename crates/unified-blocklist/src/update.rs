//! `update`: the daily job, as explicit stages.
//!
//! 1. **catalogue**: one snapshot of the catalogue (the configured publishers' datasets and
//!    the candidates' search) — [`CatalogueConnection`].
//! 2. **per source**, each on its own ([`crate::source`]): detect ([`crate::discover`]) →
//!    fetch → read → guard → keep or fall back. The result is a [`SourceOutcome`] per source,
//!    the hand-kept entries ([`crate::manual`]) included.
//! 3. **decide**: publish when a source's rows, names or health changed since the last
//!    publication (or on `--force`, or the first time); nothing is published only when no
//!    catalogue source at all is usable.
//! 4. **merge → export** ([`crate::build::render`]): every output from the outcomes' copies.
//! 5. **publish** ([`crate::publish`]): stage, write, swap atomically.
//! 6. **record**: the state remembers each source's last good copy and health.
//!
//! Change detection, per source: a modification date from the catalogue (dataset,
//! distribution or catalogue record) when the catalogue gives one and it equals the last
//! one seen; otherwise a conditional GET with the stored `ETag`/`Last-Modified`; otherwise the
//! SHA-256 of the body. A changed download URL always means a fresh download.

use crate::build::{BuildError, Previous, Rendered, render};
use crate::config::{Backend, Config, DiscoverySettings, SourceSpec};
use crate::dcat::DcatSettings;
use crate::discover::{self, Candidate, Located};
use crate::embedded::{EmbeddedError, EmbeddedNkod};
use crate::manual::{MANUAL_SOURCE_ID, ManualError, ManualStore};
use crate::provenance::{
    BuildInputs, FEED_HISTORY, HealthEvent, INPUTS_DIR, MANIFEST_FORMAT, PREVIOUS_INDEX,
    PREVIOUS_LIST, SOURCES_DIR, SourceProvenance,
};
use crate::publish::{PublishError, Publisher};
use crate::source::{
    self, AttemptOk, CopyInUse, Passed, SourceFailure, SourceIdentity, SourceKind, SourceOutcome,
    Stage, reader_kind,
};
use crate::state::{
    Health, LastGood, LastPublication, PublishedSource, SourceState, State, StateDir, StateError,
};
use blocklist_model::{Guards, ReaderKind, SourceConfig};
use chrono::{DateTime, NaiveDate, Utc};
use nkod_client::{
    Catalogue, CatalogueSnapshot, DatasetQuery, Distribution, Downloader, Endpoints, HttpConfig,
    Usage,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use crate::build::files;
pub use crate::source::SourceStatus;

/// Exit code: published or unchanged, every source current.
pub const EXIT_OK: u8 = 0;
/// Exit code: published or unchanged, but one or more sources are stale or missing.
pub const EXIT_DEGRADED: u8 = 3;
/// Exit code: nothing could be published (no catalogue source usable).
pub const EXIT_NOTHING_USABLE: u8 = 4;
/// Exit code: a local failure (state, publication, files).
pub const EXIT_LOCAL: u8 = 6;

/// The bundled hand-kept MZV entries, the embedded default's seed for the hand-kept source.
const EMBEDDED_MANUAL: &[u8] = include_bytes!("../catalogue/mzv-sankcni-seznam.csv");

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
    /// The staleness alarm's age.
    pub max_source_age: Duration,
    /// The sources.
    pub sources: Vec<SourceSpec>,
    /// How candidate datasets are found.
    pub discovery: DiscoverySettings,
    /// Seed an empty hand-kept store with the bundled MZV entries (the embedded default).
    pub seed_manual: bool,
    /// The RPZ zone's origin.
    pub rpz_origin: String,
    /// The RPZ policy.
    pub rpz: crate::config::RpzSettings,
    /// How the list is registered in NKOD.
    pub dcat: DcatSettings,
    /// Network limits (timeouts, retries).
    pub http: HttpConfig,
    /// The validity date; `None` means today in Europe/Prague.
    pub valid_as_of: Option<NaiveDate>,
    /// The time of the run; `None` means now (tests replay days).
    pub now: Option<DateTime<Utc>>,
    /// Run once a publication is visible (program and arguments); empty for none.
    pub post_publication: Vec<String>,
    /// The post-publication command's time limit.
    pub post_publication_timeout: Duration,
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
            max_source_age: Duration::from_secs(config.max_source_age_days.saturating_mul(86_400)),
            sources: config.sources.clone(),
            discovery: config.discovery.clone(),
            seed_manual: config.nkod == "embedded",
            rpz_origin: config.rpz_origin.clone(),
            rpz: config.rpz.clone(),
            dcat: config.dcat.clone(),
            http,
            valid_as_of: None,
            now: None,
            post_publication: config.post_publication.clone(),
            post_publication_timeout: Duration::from_secs(config.post_publication_timeout_secs),
        }
    }
}

/// Runs the post-publication command for the publication in `dir` (when one is configured),
/// logs and records its outcome beside the publications. Its failure never undoes anything.
fn post_publication(
    options: &UpdateOptions,
    publisher: &Publisher,
    id: &str,
    dir: &std::path::Path,
    rpz_serial: u32,
    valid_as_of: NaiveDate,
) -> Option<crate::post_publish::PostPublicationOutcome> {
    if options.post_publication.is_empty() {
        return None;
    }
    let facts = crate::post_publish::PublicationFacts {
        id,
        dir,
        out: &options.out,
        rpz_origin: &options.rpz_origin,
        rpz_serial,
        valid_as_of,
    };
    let outcome = crate::post_publish::run(
        &options.post_publication,
        &facts,
        options.post_publication_timeout,
    );
    if outcome.ok {
        tracing::info!(
            publication = id,
            "post-publication command succeeded in {} ms",
            outcome.elapsed_ms
        );
    } else {
        tracing::error!(
            publication = id,
            "post-publication command {:?} failed ({}): {}; the publication stays, the next update runs it again",
            outcome.command,
            outcome.failure.as_deref().unwrap_or(""),
            outcome.stderr
        );
    }
    if let Err(e) = crate::post_publish::record(publisher.store(), &outcome) {
        tracing::error!("cannot record the post-publication outcome: {e}");
    }
    Some(outcome)
}

/// The result of an update.
#[derive(Debug, Clone)]
pub struct UpdateReport {
    /// The new publication's id, or `None` when nothing changed.
    pub published: Option<String>,
    /// How the post-publication command ended, when it ran.
    pub post_publication: Option<crate::post_publish::PostPublicationOutcome>,
    /// Per source, in the configured order, the hand-kept source last.
    pub sources: Vec<SourceOutcome>,
    /// Datasets that look like local lists but are not configured.
    pub candidates: Vec<Candidate>,
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

impl UpdateReport {
    /// Whether any source is stale or missing.
    pub fn degraded(&self) -> bool {
        self.sources.iter().any(|s| s.health != Health::Current)
    }

    /// Whether the post-publication command ran in this update and failed.
    pub fn post_publication_failed(&self) -> bool {
        self.post_publication.as_ref().is_some_and(|o| !o.ok)
    }

    /// The process exit code (documented in the README and `--help`): a failed
    /// post-publication command counts as degraded, like a stale source — the list is
    /// published, but the primary may still serve the previous zone.
    pub fn exit_code(&self) -> u8 {
        if self.degraded() || self.post_publication_failed() {
            EXIT_DEGRADED
        } else {
            EXIT_OK
        }
    }

    /// One source's outcome.
    pub fn source(&self, id: &str) -> Option<&SourceOutcome> {
        self.sources.iter().find(|s| s.id == id)
    }
}

/// An update failed; the previous publication and the state are untouched.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The embedded catalogue could not start.
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
    /// No catalogue source has a usable copy: nothing can be published.
    #[error("no source is usable, nothing published: {}", describe(.failures))]
    NothingUsable {
        /// Each source and why it failed.
        failures: Vec<(String, SourceFailure)>,
    },
    /// The publication could not be rendered.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The RPZ serial cannot increase any more.
    #[error("RPZ serial: {0}")]
    Serial(String),
    /// The publication failed.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// The state directory failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The hand-kept store failed.
    #[error(transparent)]
    Manual(#[from] ManualError),
}

fn describe(failures: &[(String, SourceFailure)]) -> String {
    failures
        .iter()
        .map(|(id, f)| format!("{id}: {f}"))
        .collect::<Vec<_>>()
        .join("; ")
}

impl UpdateError {
    /// The process exit code for this error (documented in the README).
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::NothingUsable { .. } => EXIT_NOTHING_USABLE,
            _ => EXIT_LOCAL,
        }
    }
}

/// The catalogue an update talks to: the embedded one (started here, stopped when dropped)
/// or NKOD at a URL.
pub struct CatalogueConnection {
    embedded: Option<EmbeddedNkod>,
    base: String,
    catalogue: Box<dyn Catalogue>,
}

impl CatalogueConnection {
    /// Connects (starting the embedded catalogue when asked for).
    pub fn open(options: &UpdateOptions, state_dir: &StateDir) -> Result<Self, EmbeddedError> {
        let (embedded, base) = if options.nkod == "embedded" {
            let server = EmbeddedNkod::start(state_dir.dir())?;
            let base = server.base_url().to_owned();
            (Some(server), base)
        } else {
            (None, options.nkod.clone())
        };
        let backend = match options.backend {
            Backend::Sparql => nkod_client::Backend::Sparql,
            Backend::Ldf => nkod_client::Backend::Ldf,
            Backend::Graphql => nkod_client::Backend::GraphQl,
        };
        let catalogue = Endpoints::under(&base).connect(backend, options.http.clone());
        Ok(Self {
            embedded,
            base,
            catalogue,
        })
    }

    /// A download URL as the state and the publication name it: the embedded catalogue
    /// listens on a new port every run, so its URLs are kept without it.
    pub fn url_key(&self, url: &str) -> String {
        if self.embedded.is_some() {
            url.replacen(&self.base, "embedded:/", 1)
        } else {
            url.to_owned()
        }
    }

    /// The catalogue stage: one snapshot of the configured sources' datasets and of the
    /// candidates (when the API can search every publisher's datasets).
    pub fn snapshot(
        &self,
        options: &UpdateOptions,
    ) -> Result<nkod_client::Measured<CatalogueSnapshot>, SourceFailure> {
        let mut queries = vec![DatasetQuery::by_publishers(
            options
                .sources
                .iter()
                .map(|s| nkod_client::publisher_iri(&s.publisher_ico)),
        )];
        let pinned: Vec<&String> = options
            .sources
            .iter()
            .filter_map(|s| s.dataset_iri.as_ref())
            .collect();
        if !pinned.is_empty() {
            queries.push(DatasetQuery::by_iris(pinned));
        }
        if self.catalogue.capabilities().metadata_search {
            if !options.discovery.legislation.is_empty() {
                queries.push(DatasetQuery::by_legislation(
                    options.discovery.legislation.iter().cloned(),
                ));
            }
            if !options.discovery.keywords.is_empty() {
                queries.push(DatasetQuery::by_keywords(
                    options.discovery.keywords.iter().cloned(),
                ));
            }
        }
        self.catalogue
            .snapshot_any(&queries)
            .map_err(|cause| SourceFailure {
                url: Some(cause.url().to_owned()),
                http_status: match &cause {
                    nkod_client::Error::Status { status, .. } => Some(*status),
                    _ => None,
                },
                ..SourceFailure::new(
                    Stage::Detect,
                    "catalogue-unavailable",
                    format!(
                        "the catalogue ({} at {}) cannot be asked: {cause}",
                        self.catalogue.backend(),
                        self.base
                    ),
                )
            })
    }

    /// Whether candidates can be searched for with this API.
    pub fn searches_candidates(&self) -> bool {
        self.catalogue.capabilities().metadata_search
    }
}

/// What the per-source stages share.
struct SourceContext<'a> {
    options: &'a UpdateOptions,
    connection: &'a CatalogueConnection,
    state_dir: &'a StateDir,
    downloader: &'a Downloader,
    now: DateTime<Utc>,
    valid_as_of: NaiveDate,
    max_source_age: chrono::Duration,
}

/// Runs one update: the stages of the module documentation, each a function below.
pub fn update(options: &UpdateOptions) -> Result<UpdateReport, UpdateError> {
    let started = Instant::now();
    let now = options.now.unwrap_or_else(Utc::now);
    let valid_as_of = options
        .valid_as_of
        .unwrap_or_else(|| source::prague_date(now));
    let state_dir = StateDir::new(&options.state);
    let _lock = state_dir.lock()?;
    let mut state = state_dir.load()?;
    let publisher = Publisher::new(&options.out);
    // Fails early when --out is not ours.
    let current = publisher.current()?;

    // 1. The catalogue.
    let connection = CatalogueConnection::open(options, &state_dir)?;
    let snapshot = connection.snapshot(options);
    let catalogue_usage = snapshot.as_ref().map(|s| s.usage).unwrap_or_default();
    let catalogue_modified = snapshot
        .as_ref()
        .ok()
        .and_then(|s| s.value.catalogue_modified.as_ref())
        .map(|d| d.lexical.clone());
    let downloader = Downloader::new(options.http.clone());
    let ctx = SourceContext {
        options,
        connection: &connection,
        state_dir: &state_dir,
        downloader: &downloader,
        now,
        valid_as_of,
        max_source_age: chrono::Duration::from_std(options.max_source_age)
            .unwrap_or(chrono::Duration::MAX),
    };

    // 2. Every source on its own.
    let mut probes = state.probes.clone();
    let assessed = assess_sources(
        &ctx,
        snapshot.as_ref().map(|s| &s.value),
        &state,
        &mut probes,
    )?;
    let download_usage = downloader.total_usage();

    // 3. Decide.
    let decision = decide(options, &state, current.is_some(), &assessed)?;
    let report =
        |published: Option<String>,
         made: Option<&Made>,
         post: Option<crate::post_publish::PostPublicationOutcome>| UpdateReport {
            post_publication: post,
            published,
            sources: assessed.outcomes.clone(),
            candidates: assessed.candidates.clone(),
            rows: made.map(|m| (m.counts.active, m.counts.removed)),
            changes: made.map_or(0, |m| m.changes),
            catalogue_usage,
            download_usage,
            elapsed: started.elapsed(),
        };
    if !decision.publish {
        // 6. Record only: refreshed validators, attempts and health.
        record_sources(&state_dir, &mut state, &assessed.outcomes)?;
        state.catalogue_modified = catalogue_modified;
        state.probes = probes;
        state_dir.save(&state)?;
        let post = retry_post_publication(options, &publisher, &state, current.as_deref());
        return Ok(report(None, None, post));
    }

    // 4. Merge → export, 5. publish.
    let made = merge_export_publish(&ctx, &publisher, current.as_deref(), &state, &assessed)?;

    // 6. Record.
    state.last_publication = Some(LastPublication {
        id: made.publication.id.clone(),
        published_at: now,
        valid_as_of,
        rpz_serial: made.rpz_serial,
        rows: made.counts.total,
        fingerprint: decision.fingerprint,
        candidates: decision.candidate_iris,
    });
    state.catalogue_modified = catalogue_modified;
    state.probes = probes;
    state.feed = made.feed.clone();
    record_sources(&state_dir, &mut state, &assessed.outcomes)?;
    state_dir.save(&state)?;
    state_dir.prune_sources(&state);

    Ok(report(
        Some(made.publication.id.clone()),
        Some(&made),
        made.post.clone(),
    ))
}

/// What the per-source stages found.
struct Assessed {
    /// One outcome per configured source, in order, the hand-kept source last.
    outcomes: Vec<SourceOutcome>,
    /// Datasets that look like local lists but are not configured.
    candidates: Vec<Candidate>,
}

/// Stage 2: every catalogue source through detect → fetch → read → guard → keep or fall back
/// on its own, the candidates' search, and the hand-kept source. When the catalogue could not
/// be asked, every catalogue source falls back with that failure.
fn assess_sources(
    ctx: &SourceContext<'_>,
    snapshot: Result<&CatalogueSnapshot, &SourceFailure>,
    state: &State,
    probes: &mut BTreeMap<String, bool>,
) -> Result<Assessed, UpdateError> {
    let options = ctx.options;
    let (mut outcomes, candidates) = match snapshot {
        Ok(snapshot) => {
            let datasets = &snapshot.datasets;
            let mut probe = |d: &Distribution, url: &str| probe_columns(ctx, probes, d, url);
            let located = discover::locate_all(&options.sources, datasets, &mut probe);
            let configured: BTreeSet<String> = located
                .iter()
                .filter_map(|l| l.as_ref().ok().map(|l| l.dataset.iri.clone()))
                .chain(options.sources.iter().filter_map(|s| s.dataset_iri.clone()))
                .collect();
            let candidates = if ctx.connection.searches_candidates() {
                discover::candidates(
                    datasets,
                    &configured,
                    &options.dcat.publisher_iri,
                    &options.discovery,
                    &mut probe,
                )
            } else {
                Vec::new()
            };
            let outcomes = options
                .sources
                .iter()
                .zip(located)
                .map(|(spec, located)| {
                    catalogue_source(ctx, spec, located, state.sources.get(&spec.id))
                })
                .collect::<Vec<_>>();
            (outcomes, candidates)
        }
        Err(failure) => {
            let outcomes = options
                .sources
                .iter()
                .map(|spec| {
                    catalogue_source(ctx, spec, Err(failure.clone()), state.sources.get(&spec.id))
                })
                .collect();
            (outcomes, Vec::new())
        }
    };
    outcomes.push(manual_source(ctx, state.sources.get(MANUAL_SOURCE_ID))?);
    Ok(Assessed {
        outcomes,
        candidates,
    })
}

/// Stage 3's verdict.
struct Decision {
    /// Whether to publish.
    publish: bool,
    /// What this run's publication says about each source (compared with the next run's).
    fingerprint: BTreeMap<String, PublishedSource>,
    /// The candidates' dataset IRIs (a new candidate is news too).
    candidate_iris: Vec<String>,
}

/// Stage 3: publish when a source's rows, names or health changed since the last publication,
/// a candidate appeared or went, on `--force`, or the first time; refuse when no catalogue
/// source at all is usable.
fn decide(
    options: &UpdateOptions,
    state: &State,
    has_current: bool,
    assessed: &Assessed,
) -> Result<Decision, UpdateError> {
    let outcomes = &assessed.outcomes;
    if !outcomes
        .iter()
        .any(|o| o.kind == SourceKind::Catalogue && o.copy.is_some())
    {
        return Err(UpdateError::NothingUsable {
            failures: outcomes
                .iter()
                .filter_map(|o| o.failure.clone().map(|f| (o.id.clone(), f)))
                .collect(),
        });
    }
    let fingerprint: BTreeMap<String, PublishedSource> = outcomes
        .iter()
        .map(|o| (o.id.clone(), published_source(o)))
        .collect();
    let candidate_iris: Vec<String> = assessed
        .candidates
        .iter()
        .map(|c| c.dataset_iri.clone())
        .collect();
    let publish = options.force
        || !has_current
        || state
            .last_publication
            .as_ref()
            .is_none_or(|l| l.fingerprint != fingerprint || l.candidates != candidate_iris);
    Ok(Decision {
        publish,
        fingerprint,
        candidate_iris,
    })
}

/// A post-publication command that failed (or never ran) for the current publication is run
/// again by a run that publishes nothing.
fn retry_post_publication(
    options: &UpdateOptions,
    publisher: &Publisher,
    state: &State,
    current: Option<&std::path::Path>,
) -> Option<crate::post_publish::PostPublicationOutcome> {
    match (&state.last_publication, current) {
        (Some(last), Some(dir))
            if crate::post_publish::last(publisher.store())
                .is_none_or(|o| o.publication != last.id || !o.ok) =>
        {
            post_publication(
                options,
                publisher,
                &last.id,
                dir,
                last.rpz_serial,
                last.valid_as_of,
            )
        }
        _ => None,
    }
}

/// What stages 4 and 5 made.
struct Made {
    publication: crate::publish::Publication,
    rpz_serial: u32,
    counts: crate::provenance::PublicationCounts,
    changes: usize,
    feed: Vec<crate::changes::FeedEntry>,
    post: Option<crate::post_publish::PostPublicationOutcome>,
}

/// Stages 4 and 5: merge the outcomes' copies and export every output ([`render`]), write them
/// with the source copies and the rebuild's other inputs into a staging directory, swap it in
/// atomically, then run the post-publication command.
fn merge_export_publish(
    ctx: &SourceContext<'_>,
    publisher: &Publisher,
    current: Option<&std::path::Path>,
    state: &State,
    assessed: &Assessed,
) -> Result<Made, UpdateError> {
    let options = ctx.options;
    let outcomes = &assessed.outcomes;
    let last = state.last_publication.as_ref();
    let staging = publisher.stage()?;
    // The lookup index continues the current publication's (rebuilt from its archive when
    // it has none, as a publication made before indexes existed).
    let previous_index = current.and_then(|dir| {
        let index = crate::lookup::LookupIndex::load(dir).or_else(|error| {
            tracing::warn!("lookup index: {error}; rebuilding it from the archive");
            crate::lookup::LookupIndex::from_archive(dir)
        });
        match index {
            Ok(index) => Some(index.to_tsv()),
            Err(error) => {
                tracing::warn!("lookup index: {error}; starting a new one");
                None
            }
        }
    });
    let inputs = BuildInputs {
        format: MANIFEST_FORMAT,
        publication: staging.id().to_owned(),
        published_at: ctx.now,
        valid_as_of: ctx.valid_as_of,
        rpz_serial: blocklist_model::next_serial(last.map(|p| p.rpz_serial), ctx.valid_as_of)
            .map_err(|e| UpdateError::Serial(e.to_string()))?,
        rpz_origin: options.rpz_origin.clone(),
        rpz: options.rpz.clone(),
        dcat: options.dcat.clone(),
        sources: outcomes.iter().map(SourceProvenance::of).collect(),
        candidates: assessed.candidates.clone(),
        health_events: health_events(last, outcomes),
        previous_valid_as_of: current.and(last.map(|l| l.valid_as_of)),
        previous_index: previous_index.is_some(),
    };
    let copies: BTreeMap<String, Vec<u8>> = outcomes
        .iter()
        .filter_map(|o| o.copy.as_ref().map(|c| (o.id.clone(), c.bytes.clone())))
        .collect();
    let previous_path = current.map(|dir| dir.join(files::EXTENDED_CSV));
    let previous_extended = previous_path.as_ref().and_then(|p| std::fs::read(p).ok());
    let previous = Previous {
        extended: previous_extended.as_deref(),
        index: previous_index.as_deref(),
        feed: &state.feed,
    };
    let rendered = render(&inputs, &copies, previous)?;

    write_publication(
        &staging,
        &rendered,
        &copies,
        previous_path.as_deref(),
        previous,
    )?;
    // Source copies go to the state before the swap, so a crash after it still finds them.
    for outcome in outcomes {
        if let Some(copy) = &outcome.copy {
            ctx.state_dir.store_source(&outcome.id, &copy.bytes)?;
        }
    }
    let publication = publisher.commit(staging, ctx.valid_as_of)?;
    // Steps that act on a publication once it is visible (telling a DNS primary to reload
    // the zone): after the swap; a failure is recorded beside the publications and retried by
    // the next run, which finds the same publication.
    let post = post_publication(
        options,
        publisher,
        &publication.id,
        &publication.dir,
        inputs.rpz_serial,
        ctx.valid_as_of,
    );
    Ok(Made {
        publication,
        rpz_serial: inputs.rpz_serial,
        counts: rendered.manifest.counts,
        changes: rendered.changes.len(),
        feed: rendered.feed,
        post,
    })
}

/// The publish stage's writing: every rendered file, the source copies in `zdroje/` and the
/// rebuild's other inputs in `vstupy/` (the previous list as a hard link, the feed history).
fn write_publication(
    staging: &crate::publish::Staging,
    rendered: &Rendered,
    copies: &BTreeMap<String, Vec<u8>>,
    previous_extended: Option<&std::path::Path>,
    previous: Previous<'_>,
) -> Result<(), PublishError> {
    for (name, bytes) in &rendered.files {
        staging.write(name, bytes)?;
    }
    for (id, bytes) in copies {
        staging.write_in(SOURCES_DIR, &format!("{id}.csv"), bytes)?;
    }
    if let Some(path) = previous_extended.filter(|p| p.is_file()) {
        staging.link_in(INPUTS_DIR, PREVIOUS_LIST, path)?;
    }
    if let Some(index) = previous.index {
        staging.write_in(INPUTS_DIR, PREVIOUS_INDEX, index)?;
    }
    staging.write_in(
        INPUTS_DIR,
        FEED_HISTORY,
        crate::provenance::to_json(&previous.feed).as_bytes(),
    )
}

fn record_sources(
    state_dir: &StateDir,
    state: &mut State,
    outcomes: &[SourceOutcome],
) -> Result<(), StateError> {
    for outcome in outcomes {
        if let Some(copy) = &outcome.copy {
            state_dir.store_source(&outcome.id, &copy.bytes)?;
        }
    }
    state.sources = outcomes
        .iter()
        .map(|o| (o.id.clone(), o.record()))
        .collect();
    Ok(())
}

fn published_source(outcome: &SourceOutcome) -> PublishedSource {
    PublishedSource {
        sha256: outcome.copy.as_ref().map(|c| c.origin.sha256.clone()),
        authority: outcome
            .copy
            .as_ref()
            .map(|c| c.origin.authority.clone())
            .unwrap_or_default(),
        dataset_title: outcome
            .copy
            .as_ref()
            .map(|c| c.origin.dataset_title.clone())
            .unwrap_or_default(),
        health: outcome.health,
        rule: outcome.failure.as_ref().map(|f| f.rule.clone()),
        alarm: outcome.alarm,
        dataset_iri: outcome.identity.dataset_iri.clone(),
        distribution_url: outcome.identity.distribution_url.clone(),
    }
}

/// Sources whose health or alarm changed since the last publication (on the first one: those
/// that are not current).
fn health_events(last: Option<&LastPublication>, outcomes: &[SourceOutcome]) -> Vec<HealthEvent> {
    outcomes
        .iter()
        .filter_map(|o| {
            let before = last.and_then(|l| l.fingerprint.get(&o.id));
            let changed = match before {
                Some(b) => b.health != o.health || (o.alarm && !b.alarm),
                None => o.health != Health::Current,
            };
            changed.then(|| HealthEvent {
                source: o.id.clone(),
                authority: match o.kind {
                    SourceKind::Catalogue => o.identity.authority.clone(),
                    SourceKind::Manual => crate::manual::MANUAL_SOURCE_NAME.to_owned(),
                },
                from: before.map(|b| b.health),
                to: o.health,
                alarm: o.alarm,
                reason: o.failure.as_ref().map(|f| f.message.clone()),
            })
        })
        .collect()
}

/// Whether a distribution's CSVW schema or header has the decree's columns, remembered per
/// URL so that a candidate costs one download, not one a day.
fn probe_columns(
    ctx: &SourceContext<'_>,
    probes: &mut BTreeMap<String, bool>,
    distribution: &Distribution,
    url: &str,
) -> Option<bool> {
    let key = ctx.connection.url_key(url);
    if let Some(known) = probes.get(&key) {
        return Some(*known);
    }
    // A CSVW schema (`dct:conformsTo`) is smaller than the data: look there first.
    let from_schema = distribution
        .conforms_to
        .as_deref()
        .filter(|s| s.starts_with("http"))
        .and_then(|schema| ctx.downloader.fetch(schema, None).ok())
        .and_then(|f| match f.value {
            nkod_client::Fetched::Changed(d) | nkod_client::Fetched::Unchanged(d) => {
                csvw_has_decree_columns(&d.body)
            }
            nkod_client::Fetched::NotModified { .. } => None,
        });
    let verdict = from_schema.or_else(|| match ctx.downloader.fetch(url, None).ok()?.value {
        nkod_client::Fetched::Changed(d) | nkod_client::Fetched::Unchanged(d) => {
            Some(blocklist_model::has_decree_columns(&d.body))
        }
        nkod_client::Fetched::NotModified { .. } => None,
    })?;
    probes.insert(key, verdict);
    Some(verdict)
}

/// Whether CSVW metadata names the decree's columns (by `name` or `titles`); `None` when it
/// is not CSVW metadata.
fn csvw_has_decree_columns(bytes: &[u8]) -> Option<bool> {
    let json: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let columns = json
        .pointer("/tableSchema/columns")
        .or_else(|| json.pointer("/tables/0/tableSchema/columns"))?
        .as_array()?;
    let mut names = BTreeSet::new();
    for column in columns {
        for key in ["name", "titles"] {
            match column.get(key) {
                Some(serde_json::Value::String(s)) => {
                    names.insert(s.to_uppercase());
                }
                Some(serde_json::Value::Array(items)) => {
                    names.extend(
                        items
                            .iter()
                            .filter_map(|v| v.as_str())
                            .map(str::to_uppercase),
                    );
                }
                _ => {}
            }
        }
    }
    Some(
        ["URL", "DATUM_ZAPISU", "DATUM_VYMAZU"]
            .iter()
            .all(|c| names.contains(*c)),
    )
}

fn guards_for(options: &UpdateOptions, spec: &SourceSpec, authority: &str) -> Guards {
    let mut guards = Guards::new().with_max_shrink(options.max_shrink);
    for kind in &spec.allow {
        guards = guards.allow(authority, *kind);
    }
    guards
}

/// One catalogue source through detect → fetch → read → guard → keep or fall back.
fn catalogue_source(
    ctx: &SourceContext<'_>,
    spec: &SourceSpec,
    located: Result<Located<'_>, SourceFailure>,
    previous: Option<&SourceState>,
) -> SourceOutcome {
    let reader = reader_kind(&spec.reader);
    let last_good = previous.and_then(|p| p.last_good.as_ref());
    let identity = match &located {
        Ok(l) => SourceIdentity {
            authority: l
                .dataset
                .publisher
                .as_ref()
                .and_then(|p| p.name.best())
                .unwrap_or(&spec.authority)
                .to_owned(),
            dataset_title: l
                .dataset
                .title
                .best()
                .unwrap_or(&spec.title)
                .trim()
                .to_owned(),
            dataset_iri: Some(l.dataset.iri.clone()),
            distribution_iri: Some(l.distribution.iri.clone()),
            distribution_url: Some(ctx.connection.url_key(&l.url)),
        },
        Err(_) => match last_good {
            Some(g) => SourceIdentity {
                authority: non_empty(&g.authority, &spec.authority),
                dataset_title: g.dataset_title.clone(),
                dataset_iri: Some(g.dataset_iri.clone()),
                distribution_iri: g.distribution_iri.clone(),
                distribution_url: Some(g.download_url.clone()),
            },
            None => SourceIdentity {
                authority: spec.authority.clone(),
                dataset_title: spec.title.clone(),
                ..SourceIdentity::default()
            },
        },
    };
    let mut pass = Passed {
        id: spec.id.clone(),
        identity: identity.clone(),
        kind: SourceKind::Catalogue,
        reader,
        attempted_at: ctx.now,
        valid_as_of: ctx.valid_as_of,
        matched_by: located.as_ref().ok().map(|l| l.matched_by),
        notes: located
            .as_ref()
            .map(|l| l.notes.clone())
            .unwrap_or_default(),
        diagnostics: Vec::new(),
    };
    let attempt = located.and_then(|located| {
        let url_key = ctx.connection.url_key(&located.url);
        let catalogue_date = located
            .distribution
            .modified
            .as_ref()
            .or(located.dataset.latest_modified())
            .map(|d| d.lexical.clone());
        let fetched = source::fetch(
            &spec.id,
            &located,
            &url_key,
            catalogue_date.as_deref(),
            last_good,
            ctx.state_dir,
            ctx.downloader,
            ctx.options.force,
            ctx.now,
        )?;
        let config = SourceConfig::new(
            identity.authority.clone(),
            identity.dataset_title.clone(),
            reader,
        );
        let read = source::read(
            &config,
            &fetched.bytes,
            fetched.content_type.as_deref(),
            Some(&located.url),
        )?;
        pass.diagnostics = read.diagnostics.iter().map(ToString::to_string).collect();
        source::guard(
            &guards_for(ctx.options, spec, &config.authority),
            &config,
            last_good.map(|g| g.entries),
            &read,
        )?;
        use sha2::Digest as _;
        let sha256 = hex::encode(sha2::Sha256::digest(&fetched.bytes));
        Ok(AttemptOk {
            status: fetched.status,
            copy: CopyInUse {
                origin: LastGood {
                    dataset_iri: located.dataset.iri.clone(),
                    dataset_title: identity.dataset_title.clone(),
                    authority: identity.authority.clone(),
                    distribution_iri: Some(located.distribution.iri.clone()),
                    download_url: url_key,
                    catalogue_modified: catalogue_date,
                    etag: fetched.validators.etag.clone(),
                    last_modified: fetched.validators.last_modified.clone(),
                    sha256,
                    entries: read.counts.entries,
                    obtained_at: Some(fetched.obtained_at),
                },
                counts: read.counts,
                format: read.format,
                bytes: fetched.bytes,
            },
        })
    });
    let fallback = || last_good_copy(ctx.state_dir, &spec.id, reader, &spec.authority, last_good);
    SourceOutcome::settle(pass, attempt, previous, fallback, ctx.max_source_age)
}

fn non_empty(value: &str, default: &str) -> String {
    if value.is_empty() {
        default.to_owned()
    } else {
        value.to_owned()
    }
}

/// The fall-back stage: the last good copy from the state directory, read as it was.
fn last_good_copy(
    state_dir: &StateDir,
    id: &str,
    reader: ReaderKind,
    default_authority: &str,
    last_good: Option<&LastGood>,
) -> Result<Option<CopyInUse>, SourceFailure> {
    let Some(good) = last_good else {
        return Ok(None);
    };
    let bytes = state_dir.cached_source(id, &good.sha256).ok_or_else(|| {
        SourceFailure::new(
            Stage::Read,
            "last-good-copy-lost",
            format!(
                "the last good copy (SHA-256 {}) is missing or damaged in {}",
                good.sha256,
                state_dir.dir().join("sources").display()
            ),
        )
    })?;
    let mut origin = good.clone();
    origin.authority = non_empty(&good.authority, default_authority);
    let config = SourceConfig::new(
        origin.authority.clone(),
        origin.dataset_title.clone(),
        reader,
    );
    let read = source::read(&config, &bytes, None, None)?;
    Ok(Some(CopyInUse {
        origin,
        counts: read.counts,
        format: read.format,
        bytes,
    }))
}

/// The hand-kept source: the audit log replayed and rendered as a CSV.
fn manual_source(
    ctx: &SourceContext<'_>,
    previous: Option<&SourceState>,
) -> Result<SourceOutcome, UpdateError> {
    let store = ManualStore::new(ctx.state_dir.dir());
    if ctx.options.seed_manual {
        crate::manual::seed(
            &store,
            EMBEDDED_MANUAL,
            "unified-blocklist (vestavěná výchozí data)",
            "testdata/blocklists/mzv/mzv-sankcni-seznam.csv: záznamy MZV podle sdělení ČTÚ (viz PROVENANCE.md)",
        )?;
    }
    let last_good = previous.and_then(|p| p.last_good.as_ref());
    let reader = ReaderKind::MzvSanctions;
    let entries = store.entries();
    let (authority, dataset_title) = match &entries {
        Ok(entries) if !entries.is_empty() => (
            distinct(entries.iter().map(|e| e.source.as_str())),
            distinct(entries.iter().map(|e| e.dataset.as_str())),
        ),
        _ => (
            crate::manual::MANUAL_SOURCE_NAME.to_owned(),
            "Ručně vedené záznamy".to_owned(),
        ),
    };
    let mut pass = Passed {
        id: MANUAL_SOURCE_ID.to_owned(),
        identity: SourceIdentity {
            authority: authority.clone(),
            dataset_title: dataset_title.clone(),
            ..SourceIdentity::default()
        },
        kind: SourceKind::Manual,
        reader,
        attempted_at: ctx.now,
        valid_as_of: ctx.valid_as_of,
        matched_by: None,
        notes: Vec::new(),
        diagnostics: Vec::new(),
    };
    let attempt = store
        .render()
        .map_err(|e| SourceFailure::new(Stage::Read, "manual-store", e.to_string()))
        .and_then(|bytes| {
            let config = SourceConfig::new(authority.clone(), dataset_title.clone(), reader);
            let read = source::read(&config, &bytes, None, None)?;
            pass.diagnostics = read.diagnostics.iter().map(ToString::to_string).collect();
            use sha2::Digest as _;
            let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
            let same = last_good.is_some_and(|g| g.sha256 == sha256);
            Ok(AttemptOk {
                status: if same {
                    SourceStatus::UnchangedByHash
                } else {
                    SourceStatus::Changed
                },
                copy: CopyInUse {
                    origin: LastGood {
                        dataset_title: dataset_title.clone(),
                        authority: authority.clone(),
                        download_url: store.log_path().display().to_string(),
                        sha256,
                        entries: read.counts.entries,
                        obtained_at: Some(
                            last_good
                                .filter(|_| same)
                                .and_then(|g| g.obtained_at)
                                .unwrap_or(ctx.now),
                        ),
                        ..LastGood::default()
                    },
                    counts: read.counts,
                    format: read.format,
                    bytes,
                },
            })
        });
    let fallback = || {
        last_good_copy(
            ctx.state_dir,
            MANUAL_SOURCE_ID,
            reader,
            crate::manual::MANUAL_SOURCE_NAME,
            last_good,
        )
    };
    Ok(SourceOutcome::settle(
        pass,
        attempt,
        previous,
        fallback,
        ctx.max_source_age,
    ))
}

fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let set: BTreeSet<&str> = values.collect();
    set.into_iter().collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csvw_schemas_with_and_without_the_decree_columns() {
        // Real CSVW metadata for SZPI's list (testdata/csvw): names `url`, titles `URL`, …
        let szpi = include_bytes!("../../../testdata/csvw/szpi-blokovane-weby.csv-metadata.json");
        assert_eq!(csvw_has_decree_columns(szpi), Some(true));
        let mf = include_bytes!(
            "../../../testdata/csvw/mf-seznam-nepovolenych-internetovych-her.cp1250.csv-metadata.json"
        );
        assert_eq!(csvw_has_decree_columns(mf), Some(false));
        assert_eq!(csvw_has_decree_columns(b"URL,DATUM_ZAPISU"), None);
    }
}
