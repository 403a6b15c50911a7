#![cfg_attr(doc, doc = include_str!("../README.md"))]
#![cfg_attr(
    not(doc),
    doc = "A local NKOD serving a catalogue dump over SPARQL, TPF, GraphQL and files."
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
