//! Error types of the crate.

use std::path::PathBuf;

/// A problem with a catalogue dump (TriG) while loading or rendering it.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The dump could not be read from disk.
    #[error("cannot read the catalogue dump {path}: {source}")]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The dump is not valid TriG (with the position oxttl reports).
    #[error("the catalogue dump {origin} is not valid TriG: {message}")]
    Syntax {
        /// The file name, or `<memory>` for text given directly.
        origin: String,
        /// The parser's message, including the line and column.
        message: String,
    },
    /// The base IRI for relative IRIs is not an absolute IRI.
    #[error("invalid base IRI {base:?}: {message}")]
    BaseIri {
        /// The rejected base.
        base: String,
        /// Why it was rejected.
        message: String,
    },
    /// The in-memory store refused a quad (should not happen with an in-memory store).
    #[error("the in-memory store failed: {0}")]
    Store(String),
}

/// Errors of starting or running the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The catalogue dump could not be loaded.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The requested address.
        addr: std::net::SocketAddr,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The distribution directory does not exist or is not a directory.
    #[error("the distribution file directory {0} does not exist or is not a directory")]
    FilesDir(PathBuf),
    /// The server runtime could not be started or failed while serving.
    #[error("server runtime error: {0}")]
    Runtime(#[source] std::io::Error),
    /// The configuration is inconsistent (for example a public base URL that is not absolute).
    #[error("invalid configuration: {0}")]
    Config(String),
}
