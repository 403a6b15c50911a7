#![doc = include_str!("../README.md")]
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

mod check;
mod convert;
mod descriptor;
mod lexical;
mod metadata;
#[cfg(feature = "csvw")]
mod profile;
mod schema;
mod validate;
mod writer;

pub use check::{CheckError, CheckReport, check_file, locate_metadata};
pub use convert::{
    ConvertError, ConvertOutcome, DateFormat, FormatError, SourceFormat, ascii_name, convert_file,
    describe_file,
};
pub use descriptor::{DescriptorError, ExpectedColumn, ExpectedTable, parse_descriptor};
pub use lexical::is_valid_lexical;
pub use metadata::{CSVW_CONTEXT, TableMetadata, metadata_path_for};
#[cfg(feature = "csvw")]
pub use profile::{
    Finding, FindingSeverity, ProfileError, ProfileReport, ProfileSummary, RuleCount, RuleSource,
    check_profile, check_profile_streaming,
};
pub use schema::{Column, Datatype, SchemaError, TableSchema, TableSchemaBuilder, is_valid_name};
pub use validate::{Summary, Validator, Violation, ViolationKind, validate_bytes, validate_reader};
pub use writer::{Cell, CellProblem, CsvWriter, WriteError};
