#![cfg_attr(doc, doc = include_str!("../README.md"))]
#![cfg_attr(
    not(doc),
    doc = "Czech electoral law as exact integer algorithms: seats and elected candidates."
)]
#![doc(test(attr(deny(warnings))))]
// Nothing panics on input: library code neither unwraps nor indexes unchecked (tests may).
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod apportion;
pub mod candidates;
pub mod chamber;
mod error;
pub mod lists;
pub mod rules;
pub mod senate;
pub mod table;

pub use apportion::Lot;
pub use candidates::{CandidateOrder, PreferenceRule};
pub use chamber::{Chamber, ChamberInput, ChamberRules, chamber};
pub use error::{Error, Result};
pub use lists::{ListResult, european, municipal, regional};
pub use rules::{ElectionType, RuleSet};
pub use table::{SeatTable, VoteTable, allocate};
