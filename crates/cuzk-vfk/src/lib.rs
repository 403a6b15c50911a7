#![doc = include_str!("../README.md")]
#![doc(test(attr(deny(warnings))))]

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
