//! The list's stages after the sources: merge → export. [`render`] turns the inputs of a
//! publication (the source copies, [`BuildInputs`], the previous list and the feed history)
//! into every output file. It reads no clock, no network and no state, so `verify` can run
//! it again on an archived publication and compare bytes.

use crate::changes::{Change, ChangeKind, FEED_CHANGES_PER_ENTRY, FEED_ENTRIES, FeedEntry};
use crate::provenance::{BuildInputs, Manifest, PublicationCounts, Status, to_json};
use crate::rows::{ListRow, read_decree_csv};
use crate::source::{SourceKind, reader_kind};
use blocklist_model::{Entry, ReaderKind, SourceConfig, UnifiedList, WwwPolicy};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;

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
    /// DCAT-AP-CZ in JSON-LD (the dataset record).
    pub const DCAT_JSONLD: &str = "dcat.jsonld";
    /// The local catalogue (LKOD) document NKOD harvests.
    pub const KATALOG: &str = "katalog.jsonld";
    /// The health of every source.
    pub const STATUS: &str = "stav.json";
    /// Provenance: the inputs of the publication and the SHA-256 of every output.
    pub const MANIFEST: &str = "manifest.json";
    /// The lookup index: every row any publication had, with its dates.
    pub const LOOKUP_INDEX: &str = crate::lookup::INDEX_FILE;
}

/// A publication could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// An export could not be written.
    #[error("cannot write {file}: {message}")]
    Export {
        /// The file.
        file: &'static str,
        /// Why.
        message: String,
    },
    /// A source copy is missing or not the one the inputs name.
    #[error("source {id}: {message}")]
    Source {
        /// The source id.
        id: String,
        /// What is wrong.
        message: String,
    },
}

/// Every output of a publication.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The top-level files, `manifest.json` included (not `SHA256SUMS`, which the
    /// publisher writes).
    pub files: Vec<(String, Vec<u8>)>,
    /// The feed history including this publication's entry, newest first.
    pub feed: Vec<FeedEntry>,
    /// The manifest.
    pub manifest: Manifest,
    /// The changes against the previous publication.
    pub changes: Vec<Change>,
}

impl Rendered {
    /// One output by name.
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }
}

fn export(file: &'static str) -> impl Fn(&dyn std::fmt::Display) -> BuildError {
    move |e| BuildError::Export {
        file,
        message: e.to_string(),
    }
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

/// The merge stage: every source copy's rows, read with its reader under the names its
/// rows carry, into the list valid as of the inputs' date.
pub fn merge(
    inputs: &BuildInputs,
    copies: &BTreeMap<String, Vec<u8>>,
) -> Result<UnifiedList, BuildError> {
    let mut parts = Vec::new();
    for source in &inputs.sources {
        let Some(copy) = &source.copy else { continue };
        let bytes = copies.get(&source.id).ok_or_else(|| BuildError::Source {
            id: source.id.clone(),
            message: format!("its copy {} is missing", copy.file),
        })?;
        let sha = hex::encode(Sha256::digest(bytes));
        if sha != copy.sha256 {
            return Err(BuildError::Source {
                id: source.id.clone(),
                message: format!(
                    "{} has SHA-256 {sha}, the manifest says {}",
                    copy.file, copy.sha256
                ),
            });
        }
        let config = SourceConfig::new(
            copy.authority.clone(),
            copy.dataset_title.clone(),
            reader_kind(&source.reader),
        );
        let read =
            blocklist_model::read_source(&config, bytes).map_err(|e| BuildError::Source {
                id: source.id.clone(),
                message: e.to_string(),
            })?;
        parts.push(read.entries);
    }
    Ok(UnifiedList::merge_sources(inputs.valid_as_of, parts))
}

fn changes_between(previous: Option<&UnifiedList>, list: &UnifiedList) -> Vec<Change> {
    let empty = UnifiedList::merge(list.valid_as_of(), Vec::new());
    let diff = blocklist_model::diff(previous.unwrap_or(&empty), list);
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
    changes
}

/// What a publication takes from the ones before it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Previous<'a> {
    /// The previous publication's extended CSV (the changes are computed against it; `None`
    /// on the first publication).
    pub extended: Option<&'a [u8]>,
    /// The previous lookup index as TSV (`None`: a new index).
    pub index: Option<&'a [u8]>,
    /// The feed entries of earlier publications, newest first.
    pub feed: &'a [FeedEntry],
}

/// The export stage: every output file of a publication from its inputs and the source
/// copies (by source id).
pub fn render(
    inputs: &BuildInputs,
    copies: &BTreeMap<String, Vec<u8>>,
    previous: Previous<'_>,
) -> Result<Rendered, BuildError> {
    use files::*;
    let previous_extended = previous.extended;
    let previous_index = previous.index;
    let feed_before = previous.feed;
    let list = merge(inputs, copies)?;
    // The previous publication's list, read back from its extended CSV, which also carries
    // the legal basis the diff compares.
    let previous = previous_extended.and_then(|bytes| {
        let config = SourceConfig::new("", "", ReaderKind::Decree);
        let read = blocklist_model::read_source(&config, bytes).ok()?;
        Some(UnifiedList::merge(
            inputs.previous_valid_as_of.unwrap_or(inputs.valid_as_of),
            read.entries,
        ))
    });
    let changes = changes_between(previous.as_ref(), &list);

    let publisher = inputs.dcat.publisher_name.clone();
    let mut decree = Vec::new();
    blocklist_model::write_decree_csv(&list, &mut decree).map_err(|e| export(DECREE_CSV)(&e))?;
    let mut extended = Vec::new();
    blocklist_model::write_extended_csv(&list, &mut extended)
        .map_err(|e| export(EXTENDED_CSV)(&e))?;
    // The CSVW metadata names each source's distribution as the data's origin.
    let origins: Vec<String> = inputs
        .sources
        .iter()
        .filter(|s| s.kind == SourceKind::Catalogue && s.copy.is_some())
        .filter_map(|s| s.distribution_iri.clone().or(s.distribution_url.clone()))
        .collect();
    let mut metadata = blocklist_model::decree_metadata(&list, DECREE_CSV)
        .map_err(|e| export(DECREE_METADATA)(&e))?
        .publisher(publisher.clone());
    let mut extended_metadata = blocklist_model::extended_metadata(&list, EXTENDED_CSV)
        .map_err(|e| export(EXTENDED_METADATA)(&e))?
        .publisher(publisher);
    for origin in &origins {
        metadata = metadata.derived_from(origin.clone());
        extended_metadata = extended_metadata.derived_from(origin.clone());
    }
    let mut rpz = Vec::new();
    blocklist_model::write_rpz(
        &list,
        &inputs.rpz.options(&inputs.rpz_origin, inputs.rpz_serial),
        &mut rpz,
    )
    .map_err(|e| export(RPZ)(&e))?;
    let mut index = match previous_index {
        Some(bytes) => crate::lookup::LookupIndex::from_tsv(bytes, "the previous lookup index")
            .map_err(|e| export(LOOKUP_INDEX)(&e))?,
        None => crate::lookup::LookupIndex::default(),
    };
    index.update(&list, inputs.valid_as_of);
    let mut hosts = Vec::new();
    blocklist_model::write_plain_hosts(&list, WwwPolicy::AlsoApex, &mut hosts)
        .map_err(|e| export(HOSTS)(&e))?;
    // The page is rendered from the very bytes that are published.
    let rows = read_decree_csv(&decree).map_err(|e| export(PAGE)(&e))?;
    let active = rows.iter().filter(|r| r.is_active()).count();
    let page = crate::html::render_page(
        &rows,
        &crate::html::PageInfo {
            valid_as_of: inputs.valid_as_of,
            published_at: inputs.published_at,
            sources: inputs.sources.clone(),
        },
    );

    let mut feed = feed_before.to_vec();
    feed.insert(
        0,
        FeedEntry {
            publication: inputs.publication.clone(),
            published_at: inputs.published_at,
            valid_as_of: inputs.valid_as_of,
            changes: changes
                .iter()
                .take(FEED_CHANGES_PER_ENTRY)
                .cloned()
                .collect(),
            total_changes: changes.len(),
            health: inputs.health_events.clone(),
        },
    );
    feed.truncate(FEED_ENTRIES);
    let public = if inputs.dcat.public_url.ends_with('/') {
        inputs.dcat.public_url.clone()
    } else {
        format!("{}/", inputs.dcat.public_url)
    };

    let mut out: Vec<(String, Vec<u8>)> = vec![
        (DECREE_CSV.into(), decree),
        (DECREE_METADATA.into(), metadata.to_json().into_bytes()),
        (EXTENDED_CSV.into(), extended),
        (
            EXTENDED_METADATA.into(),
            extended_metadata.to_json().into_bytes(),
        ),
        (RPZ.into(), rpz),
        (HOSTS.into(), hosts),
        (PAGE.into(), page.into_bytes()),
        (LOOKUP_INDEX.into(), index.to_tsv()),
        (CHANGES_CSV.into(), crate::changes::changes_csv(&changes)),
        (
            CHANGES_ATOM.into(),
            crate::changes::changes_atom(&feed, &public).into_bytes(),
        ),
        (
            DCAT_TTL.into(),
            crate::dcat::catalog_turtle(&inputs.dcat).into_bytes(),
        ),
        (
            DCAT_JSONLD.into(),
            crate::dcat::dataset_jsonld(&inputs.dcat).into_bytes(),
        ),
        (
            KATALOG.into(),
            crate::dcat::catalog_jsonld(&inputs.dcat).into_bytes(),
        ),
        (STATUS.into(), to_json(&Status::of(inputs)).into_bytes()),
    ];
    let counts = PublicationCounts {
        active,
        removed: rows.len() - active,
        total: rows.len(),
        added: count(&changes, ChangeKind::Added),
        newly_removed: count(&changes, ChangeKind::Removed),
        vanished: count(&changes, ChangeKind::Vanished),
        changed: count(&changes, ChangeKind::Changed),
    };
    let manifest = Manifest {
        inputs: inputs.clone(),
        counts,
        files: out
            .iter()
            .map(|(name, bytes)| (name.clone(), hex::encode(Sha256::digest(bytes))))
            .collect(),
    };
    out.push((MANIFEST.into(), to_json(&manifest).into_bytes()));
    Ok(Rendered {
        files: out,
        feed,
        manifest,
        changes,
    })
}

fn count(changes: &[Change], kind: ChangeKind) -> usize {
    changes.iter().filter(|c| c.kind == kind).count()
}
