#![doc = include_str!("../README.md")]
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

pub mod count;
pub mod distributor_csv;
pub mod fees;
pub mod header;
pub mod mj;
pub mod reader;

pub use count::{
    CountError, CountedFile, DeliveryCount, FileCount, FileKind, count_file, count_files,
};
pub use header::{DataKind, VfkHeader};
pub use mj::{
    AreaCounts, CountFileError, MjCounter, MjRowPolicy, VfkSummary, count_mj, count_mj_file,
};
pub use reader::{CodePage, Record, SyntaxError, SyntaxErrorKind, Value, VfkError, VfkReader};
