#![cfg_attr(doc, doc = include_str!("../README.md"))]
#![doc(test(attr(deny(warnings))))]
// Library code reports failures as errors and never panics on input; the few places that
// cannot fail carry an `#[expect]` with the reason. Tests may unwrap.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
//! A W3C CSV on the Web processor: metadata, validation, CSV to JSON and CSV to RDF.

pub mod datatype;
pub mod dialect;
mod error;
pub mod fetch;
pub mod json;
pub mod metadata;
pub mod numfmt;
pub mod rdf;
pub mod table;
pub mod template;

pub use error::{Diagnostic, Diagnostics, Error, Severity};
pub use fetch::{Fetcher, FileFetcher, MemoryFetcher, Resource};
pub use table::{IgnoreRows, Options, Processor, RowSink, TableGroup};
pub use url::Url;
