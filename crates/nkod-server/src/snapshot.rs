//! Loading a catalogue dump in NKOD's `nkod.trig` layout into an in-memory oxigraph store.

use std::collections::HashSet;
use std::path::Path;

use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode, Quad, Term, vocab::rdf};
use oxigraph::store::Store;
use oxttl::{TriGParser, TriGSerializer};

use crate::error::SnapshotError;

/// IRI of the NKOD catalogue (`dcat:Catalog`), which carries the rebuild date `dct:modified`.
pub const CATALOG_IRI: &str = "https://data.gov.cz/zdroj/katalog/NKOD";
/// IRI of the named graph that holds the catalogue description.
pub const CATALOG_GRAPH_IRI: &str = "https://data.gov.cz/zdroj/datová-sada/NKOD";

const DCAT_DATASET: &str = "http://www.w3.org/ns/dcat#Dataset";

/// Output formats of [`render_snapshot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotFormat {
    /// N-Quads (one quad a line; loads into Virtuoso and @ldf/server's N3 datasource).
    NQuads,
    /// TriG with the usual NKOD prefixes.
    TriG,
}

/// A loaded catalogue dump: the quad store plus the dataset order of the dump.
#[derive(Clone)]
pub struct Snapshot {
    store: Store,
    datasets: Vec<NamedNode>,
    quad_count: usize,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("datasets", &self.datasets.len())
            .field("quad_count", &self.quad_count)
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// Parses TriG text, resolving relative IRIs against `base_iri`.
    ///
    /// `origin` names the text in error messages (usually the file name).
    pub fn from_trig(text: &str, origin: &str, base_iri: &str) -> Result<Self, SnapshotError> {
        let quads = parse_trig(text, origin, base_iri)?;
        let store = Store::new().map_err(|e| SnapshotError::Store(e.to_string()))?;
        let mut datasets = Vec::new();
        let mut seen = HashSet::new();
        let dataset_class = NamedNode::new_unchecked(DCAT_DATASET);
        for quad in &quads {
            // A dataset is listed once, in the order its own graph first declares it, which is
            // the order of NKOD's dump (and of the GraphQL server's nkod.json input).
            if quad.predicate == rdf::TYPE
                && quad.object == Term::NamedNode(dataset_class.clone())
                && let (NamedOrBlankNode::NamedNode(subject), GraphName::NamedNode(graph)) =
                    (&quad.subject, &quad.graph_name)
                && subject == graph
                && seen.insert(subject.clone())
            {
                datasets.push(subject.clone());
            }
            store
                .insert(quad)
                .map_err(|e| SnapshotError::Store(e.to_string()))?;
        }
        let quad_count = store
            .len()
            .map_err(|e| SnapshotError::Store(e.to_string()))?;
        Ok(Snapshot {
            store,
            datasets,
            quad_count,
        })
    }

    /// Reads and parses a TriG file, resolving relative IRIs against `base_iri`.
    pub fn from_file(path: &Path, base_iri: &str) -> Result<Self, SnapshotError> {
        let text = load_snapshot(path)?;
        Snapshot::from_trig(&text, &path.display().to_string(), base_iri)
    }

    /// The quad store (default graph empty, one named graph per dataset).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Dataset IRIs (`?d a dcat:Dataset` in graph `?d`), in the order of the dump.
    pub fn datasets(&self) -> &[NamedNode] {
        &self.datasets
    }

    /// Number of distinct quads loaded.
    pub fn quad_count(&self) -> usize {
        self.quad_count
    }
}

/// Reads a catalogue dump file as UTF-8 text.
pub fn load_snapshot(path: &Path) -> Result<String, SnapshotError> {
    std::fs::read_to_string(path).map_err(|source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn parse_trig(text: &str, origin: &str, base_iri: &str) -> Result<Vec<Quad>, SnapshotError> {
    let parser = TriGParser::new()
        .with_base_iri(base_iri)
        .map_err(|e| SnapshotError::BaseIri {
            base: base_iri.to_owned(),
            message: e.to_string(),
        })?;
    parser
        .for_slice(text)
        .map(|r| {
            r.map_err(|e| SnapshotError::Syntax {
                origin: origin.to_owned(),
                message: e.to_string(),
            })
        })
        .collect()
}

/// Renders a catalogue dump with every relative IRI made absolute against `base_iri`.
///
/// This is how the same snapshot is loaded into other stores (Virtuoso, @ldf/server) whose
/// download URLs must point at a running `nkod-server`'s `/soubory/` directory.
pub fn render_snapshot(
    trig: &str,
    base_iri: &str,
    format: SnapshotFormat,
) -> Result<String, SnapshotError> {
    let quads = parse_trig(trig, "<memory>", base_iri)?;
    match format {
        SnapshotFormat::NQuads => {
            let mut out = String::new();
            for quad in &quads {
                out.push_str(&quad.to_string());
                out.push_str(" .\n");
            }
            Ok(out)
        }
        SnapshotFormat::TriG => {
            let mut serializer = TriGSerializer::new();
            for (prefix, iri) in PREFIXES {
                serializer = serializer
                    .with_prefix(*prefix, *iri)
                    .map_err(|e| SnapshotError::Store(e.to_string()))?;
            }
            let mut writer = serializer.for_writer(Vec::new());
            for quad in &quads {
                writer
                    .serialize_quad(quad)
                    .map_err(|e| SnapshotError::Store(e.to_string()))?;
            }
            let bytes = writer
                .finish()
                .map_err(|e| SnapshotError::Store(e.to_string()))?;
            String::from_utf8(bytes).map_err(|e| SnapshotError::Store(e.to_string()))
        }
    }
}

pub(crate) const PREFIXES: &[(&str, &str)] = &[
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("pu", "https://data.gov.cz/slovník/podmínky-užití/"),
];
