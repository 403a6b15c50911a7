#![cfg_attr(doc, doc = include_str!("../README.md"))]
#![cfg_attr(
    not(doc),
    doc = "The Czech unified list of blocked websites: readers, merge, diff, guards, exports."
)]
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

mod csv_export;
mod diff;
mod dns;
mod entry;
mod guard;
mod host;
mod list;
mod read;

pub use csv_export::{
    CsvExportError, DECREE_HEADER, LIST_TITLE, decree_metadata, decree_schema, extended_metadata,
    extended_schema, write_decree_csv, write_extended_csv, write_metadata,
};
pub use diff::{Diff, diff};
pub use dns::{
    DnsExportReport, LandingNames, PROVENANCE_LABEL, RpzAction, RpzAnswer, RpzError, RpzOptions,
    RpzTrigger, SerialError, next_serial, provenance_txt, rpz_triggers, write_plain_hosts,
    write_rpz,
};
pub use entry::{Entry, SourceLabel};
pub use guard::{GuardError, GuardKind, GuardOutcome, Guards};
pub use host::{AddressError, NormalisedAddress, normalise_address};
pub use list::{UnifiedList, WwwPolicy};
pub use read::{
    DateStyle, Diagnostic, FormatError, FormatErrorKind, FormatVariant, Layout, Problem,
    ReadSourceError, ReaderKind, Severity, SourceConfig, SourceCounts, SourceRead, TextEncoding,
    has_decree_columns, read_source, read_source_from,
};

/// Re-exported so callers name dates with the same type.
pub use chrono::NaiveDate;
/// Re-exported: the CSVW metadata type the CSV exports return.
pub use opendata_csv::TableMetadata;
