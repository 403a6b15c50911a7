#![cfg_attr(doc, doc = include_str!("../README.md"))]
#![cfg_attr(
    not(doc),
    doc = "ČSÚ election results XML server for registered media."
)]
#![doc(test(attr(deny(warnings))))]

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
pub mod simulate;
pub mod store;
pub mod time;
pub mod xml;

pub use error::{Error, Result};
