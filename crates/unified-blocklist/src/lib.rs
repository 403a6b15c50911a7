#![cfg_attr(doc, doc = include_str!("../README.md"))]
#![cfg_attr(
    not(doc),
    doc = "The daily service that builds, publishes and serves the Czech unified list of blocked websites."
)]
#![doc(test(attr(deny(warnings))))]
// Library code answers bad input with an error naming the file, row and rule and never panics
// on it; the few places that cannot fail carry an `#[expect]` with the reason. Tests may unwrap.
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod build;
pub mod changes;
pub mod check;
pub mod config;
pub mod dcat;
pub mod discover;
pub mod embedded;
pub mod html;
pub mod lookup;
pub mod manual;
pub mod post_publish;
pub mod provenance;
pub mod publish;
pub mod rows;
pub mod run;
pub mod schedule;
pub mod serve;
pub mod source;
pub mod state;
pub mod update;
pub mod verify;
