#![doc = include_str!("../README.md")]
#![doc(test(attr(deny(warnings))))]

mod lexical;
mod metadata;
mod schema;
mod writer;

pub use lexical::is_valid_lexical;
pub use metadata::{CSVW_CONTEXT, TableMetadata, metadata_path_for};
pub use schema::{Column, Datatype, SchemaError, TableSchema, TableSchemaBuilder, is_valid_name};
pub use writer::{Cell, CellProblem, CsvWriter, WriteError};
