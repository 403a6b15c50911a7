#![cfg_attr(doc, doc = include_str!("../README.md"))]
#![cfg_attr(not(doc), doc = "The Czech unified list of blocked websites: readers, merge, diff, guards, exports.")]
#![doc(test(attr(deny(warnings))))]

mod diff;
mod dns;
mod entry;
mod guard;
mod host;
mod list;
mod read;

pub use diff::{Diff, diff};
pub use dns::{
    DnsExportReport, RpzAction, RpzError, RpzOptions, SerialError, next_serial, write_plain_hosts,
    write_rpz,
};
pub use entry::{Entry, SourceLabel};
pub use guard::{GuardError, GuardKind, GuardOutcome, Guards};
pub use host::{AddressError, NormalisedAddress, normalise_address};
pub use list::{UnifiedList, WwwPolicy};
pub use read::{
    DateStyle, Diagnostic, FormatError, FormatErrorKind, FormatVariant, Layout, Problem,
    ReadSourceError, ReaderKind, Severity, SourceConfig, SourceCounts, SourceRead, TextEncoding,
    read_source, read_source_from,
};

/// Re-exported so callers name dates with the same type.
pub use chrono::NaiveDate;
