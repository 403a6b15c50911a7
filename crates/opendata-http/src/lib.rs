#![cfg_attr(doc, doc = include_str!("../README.md"))]
#![cfg_attr(
    not(doc),
    doc = "The HTTP layer the project's servers share: RFC 9110 semantics and a hardened hyper server."
)]
#![doc(test(attr(deny(warnings))))]
// Library code answers bad input with an error or a 4xx and never panics on it; the few places
// that cannot fail carry an `#[expect]` with the reason. Tests may unwrap.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

#[cfg(feature = "server")]
mod body;
#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "server")]
mod entity;
#[cfg(feature = "server")]
pub mod files;
#[cfg(feature = "server")]
pub mod forwarded;
#[cfg(all(feature = "server", target_os = "linux"))]
mod mirror;
#[cfg(feature = "server")]
pub mod negotiate;
#[cfg(feature = "server")]
pub mod response;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod validators;

#[cfg(feature = "server")]
pub use body::Full;
#[cfg(feature = "server")]
pub use bytes::Bytes;
#[cfg(feature = "server")]
pub use entity::{Entity, MIN_GZIP_LEN, compressible};
/// The `http` crate, whose types this crate's API uses.
#[cfg(feature = "server")]
pub use http;
#[cfg(feature = "server")]
pub use server::{
    Bound, Handler, HttpSettings, Limits, Peer, RunningServer, ServerConfig, ShutdownHandle, Stats,
    TowerHandler, bind, handler_fn, shutdown_signal, start,
};
