#![cfg_attr(doc, doc = include_str!("../README.md"))]
#![cfg_attr(
    not(doc),
    doc = "The HTTP layer the project's servers share: RFC 9110 semantics and a hardened hyper server."
)]
#![doc(test(attr(deny(warnings))))]

mod body;
#[cfg(feature = "client")]
pub mod client;
mod entity;
pub mod files;
pub mod forwarded;
pub mod negotiate;
pub mod response;
pub mod server;
pub mod validators;

pub use body::Full;
pub use bytes::Bytes;
pub use entity::{Entity, MIN_GZIP_LEN, compressible};
/// The `http` crate, whose types this crate's API uses.
pub use http;
pub use server::{
    Bound, Handler, HttpSettings, Limits, Peer, RunningServer, ServerConfig, ShutdownHandle, Stats,
    TowerHandler, bind, handler_fn, shutdown_signal, start,
};
