//! The embedded NKOD: the catalogue snapshot of `catalogue/` (also `testdata/nkod/`) bundled in the binary and
//! served in-process by `nkod-server` on a loopback port, so `update` works on a fresh clone
//! (and from an installed binary) without any network.

use nkod_server::{NkodServer, RunningServer, ServerConfig, SnapshotSource};
use std::path::{Path, PathBuf};

const SNAPSHOT: &str = include_str!("../catalogue/snapshot.trig");
const FILES: &[(&str, &[u8])] = &[
    (
        "mf-seznam-nepovolenych-internetovych-her.cp1250.csv",
        include_bytes!("../catalogue/soubory/mf-seznam-nepovolenych-internetovych-her.cp1250.csv"),
    ),
    (
        "sukl-nelegalni-stranky-lp.csv",
        include_bytes!("../catalogue/soubory/sukl-nelegalni-stranky-lp.csv"),
    ),
    (
        "szpi-blokovane-weby.csv",
        include_bytes!("../catalogue/soubory/szpi-blokovane-weby.csv"),
    ),
    (
        "uskvbl-nelegalni-vlp.csv",
        include_bytes!("../catalogue/soubory/uskvbl-nelegalni-vlp.csv"),
    ),
    (
        "coi-blokovane-stranky.csv",
        include_bytes!("../catalogue/soubory/coi-blokovane-stranky.csv"),
    ),
];

/// The embedded catalogue could not be started.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// Writing the bundled distribution files failed.
    #[error("embedded NKOD: cannot write {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// nkod-server refused to start.
    #[error("embedded NKOD: {0}")]
    Server(#[from] nkod_server::Error),
}

/// A running embedded NKOD; stops when dropped. Its files stay under the work directory so
/// their Last-Modified dates stay stable from run to run.
#[derive(Debug)]
pub struct EmbeddedNkod {
    server: Option<RunningServer>,
}

impl EmbeddedNkod {
    /// Writes the bundled distribution files under `work_dir` and starts the server on
    /// `127.0.0.1:0`.
    pub fn start(work_dir: &Path) -> Result<Self, EmbeddedError> {
        let files_dir = work_dir.join("embedded-nkod");
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| EmbeddedError::Io { path, source }
        };
        std::fs::create_dir_all(&files_dir).map_err(io(&files_dir))?;
        for (name, bytes) in FILES {
            let path = files_dir.join(name);
            // Unchanged bytes keep their mtime, so Last-Modified stays stable across runs.
            if std::fs::read(&path).ok().as_deref() != Some(*bytes) {
                std::fs::write(&path, bytes).map_err(io(&path))?;
            }
        }
        let config = ServerConfig::new(SnapshotSource::Trig {
            text: SNAPSHOT.to_owned(),
            origin: "embedded testdata/nkod/snapshot.trig".to_owned(),
        })
        .with_files_dir(&files_dir);
        let server = NkodServer::start(config)?;
        Ok(Self {
            server: Some(server),
        })
    }

    /// The catalogue's base URL (`http://127.0.0.1:PORT/`).
    pub fn base_url(&self) -> &str {
        self.server.as_ref().map_or("", RunningServer::base_url)
    }
}

impl Drop for EmbeddedNkod {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown();
        }
    }
}
