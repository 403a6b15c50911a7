#![cfg_attr(doc, doc = include_str!("../README.md"))]
#![cfg_attr(
    not(doc),
    doc = "A local NKOD serving a catalogue dump over SPARQL, TPF, GraphQL and files."
)]
// Library code answers bad queries and files with an error and never panics on them; the few
// places that cannot fail carry an `#[expect]` with the reason. Tests may unwrap.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![doc(test(attr(deny(warnings))))]

mod error;
mod fault;
mod files;
mod graphql;
mod http_util;
mod server;
mod snapshot;
mod sparql;
mod tpf;

pub use error::{Error, SnapshotError};
pub use fault::{Fault, FaultSpecError, Faults, Route, SlowBody};
pub use server::{NkodServer, QueryLimits, RunningServer, ServerConfig, SnapshotSource};
pub use snapshot::{
    CATALOG_GRAPH_IRI, CATALOG_IRI, Snapshot, SnapshotFormat, load_snapshot, render_snapshot,
};
pub use tpf::TPF_PAGE_SIZE;
