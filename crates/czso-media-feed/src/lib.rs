#![cfg_attr(doc, doc = include_str!("../README.md"))]
#![cfg_attr(
    not(doc),
    doc = "ČSÚ election results XML server for registered media."
)]
#![doc(test(attr(deny(warnings))))]
// Library code answers bad input with an error naming the batch, precinct and rule and never
// panics on it; the few places that cannot fail carry an `#[expect]` with the reason. Tests
// may unwrap. The modules marked below still index with `[]` and are being converted.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod access;
pub mod admin;
pub mod client;
pub mod config;
pub mod error;
pub mod events;
pub mod feeds;
pub mod hook;
pub mod logs;
pub mod manifest;
pub mod model;
pub mod phase;
mod public;
pub mod registry;
pub mod rehearsal;
pub mod results;
pub mod seats;
pub mod server;
#[cfg_attr(
    not(test),
    expect(
        clippy::indexing_slicing,
        reason = "the simulator indexes tables it has just built from its own seed; no outside input reaches an index"
    )
)]
pub mod simulate;
pub mod store;
pub mod time;
pub mod xml;

pub use error::{Error, Result};
