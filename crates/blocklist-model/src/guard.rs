//! Guards: checks that stop a source's new version unless the operator overrides them.

use std::collections::BTreeSet;
use std::fmt;

use crate::read::{FormatError, SourceRead};

/// The kinds of guard, for overrides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum GuardKind {
    /// A source that had rows in its last good version yields none.
    EmptySource,
    /// A source shrinks by more than the allowed share against the last good version.
    Shrink,
    /// A source's format is not recognised.
    UnrecognisedFormat,
}

impl fmt::Display for GuardKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EmptySource => "empty-source",
            Self::Shrink => "shrink",
            Self::UnrecognisedFormat => "unrecognised-format",
        })
    }
}

/// A guard that stopped a source. The operator can override it by its [`GuardKind`] and source.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// The source had rows in its last good version and yields none now.
    #[error(
        "source {source_name:?} had {previous} rows and now yields none (override: {})",
        GuardKind::EmptySource
    )]
    EmptySource {
        /// The authority.
        source_name: String,
        /// Rows in the last good version.
        previous: usize,
    },
    /// The source shrank by more than the allowed share.
    #[error(
        "source {source_name:?} shrank from {previous} to {current} rows ({:.1} % lost, limit {:.1} %; override: {})",
        lost_share * 100.0, limit * 100.0, GuardKind::Shrink
    )]
    Shrunk {
        /// The authority.
        source_name: String,
        /// Rows in the last good version.
        previous: usize,
        /// Rows now.
        current: usize,
        /// The share lost, 0–1.
        lost_share: f64,
        /// The allowed share, 0–1.
        limit: f64,
    },
    /// The format was not recognised.
    #[error("{error} (override: {})", GuardKind::UnrecognisedFormat)]
    UnrecognisedFormat {
        /// The authority.
        source_name: String,
        /// The reader's error.
        #[source]
        error: FormatError,
    },
}

impl GuardError {
    /// The guard's kind.
    pub fn kind(&self) -> GuardKind {
        match self {
            Self::EmptySource { .. } => GuardKind::EmptySource,
            Self::Shrunk { .. } => GuardKind::Shrink,
            Self::UnrecognisedFormat { .. } => GuardKind::UnrecognisedFormat,
        }
    }
    /// The source (authority name).
    pub fn source_name(&self) -> &str {
        match self {
            Self::EmptySource { source_name, .. }
            | Self::Shrunk { source_name, .. }
            | Self::UnrecognisedFormat { source_name, .. } => source_name,
        }
    }
}

/// Guard settings with the operator's overrides.
#[derive(Clone, Debug, PartialEq)]
pub struct Guards {
    max_shrink: f64,
    overrides: BTreeSet<(String, GuardKind)>,
}

impl Default for Guards {
    fn default() -> Self {
        Self {
            max_shrink: Self::DEFAULT_MAX_SHRINK,
            overrides: BTreeSet::new(),
        }
    }
}

/// What a passed guard check hands on: the read, or nothing when an overridden unrecognised
/// format leaves the source out of this publication.
pub type GuardOutcome<'a> = Option<&'a SourceRead>;

impl Guards {
    /// The default largest share a source may shrink by: 20 %.
    pub const DEFAULT_MAX_SHRINK: f64 = 0.2;

    /// Guards with the default settings and no overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the largest share (0–1) a source may shrink by against its last good version.
    /// Values outside 0–1 are clamped; NaN counts as 0.
    pub fn with_max_shrink(mut self, share: f64) -> Self {
        self.max_shrink = if share.is_nan() {
            0.0
        } else {
            share.clamp(0.0, 1.0)
        };
        self
    }

    /// The largest share a source may shrink by.
    pub fn max_shrink(&self) -> f64 {
        self.max_shrink
    }

    /// Lets this publication go ahead despite guard `kind` for `source_name`.
    pub fn allow(mut self, source_name: impl Into<String>, kind: GuardKind) -> Self {
        self.overrides.insert((source_name.into(), kind));
        self
    }

    fn overridden(&self, source_name: &str, kind: GuardKind) -> bool {
        self.overrides.contains(&(source_name.to_owned(), kind))
    }

    /// Checks one source. `previous_entries` is the entry count of its last good version, if
    /// any. Returns the read to publish (`None` when an overridden unrecognised format means the
    /// source is left out), or the first guard that is not overridden.
    ///
    /// A well-formed list with no rows is a valid list with 0 entries (ÚSKVBL published its
    /// list as a header and one empty row for months while it had no entries): only a source
    /// whose last good version had rows trips [`GuardKind::EmptySource`].
    pub fn check<'a>(
        &self,
        source_name: &str,
        previous_entries: Option<usize>,
        outcome: Result<&'a SourceRead, FormatError>,
    ) -> Result<GuardOutcome<'a>, GuardError> {
        let read = match outcome {
            Ok(read) => read,
            Err(error) if self.overridden(source_name, GuardKind::UnrecognisedFormat) => {
                let _ = error;
                return Ok(None);
            }
            Err(error) => {
                return Err(GuardError::UnrecognisedFormat {
                    source_name: source_name.to_owned(),
                    error,
                });
            }
        };
        let current = read.entries.len();
        if let Some(previous) = previous_entries.filter(|&p| p > 0)
            && current == 0
            && !self.overridden(source_name, GuardKind::EmptySource)
        {
            return Err(GuardError::EmptySource {
                source_name: source_name.to_owned(),
                previous,
            });
        }
        if let Some(previous) = previous_entries.filter(|&p| p > 0)
            && current > 0
            && current < previous
            && !self.overridden(source_name, GuardKind::Shrink)
        {
            let lost_share = (previous - current) as f64 / previous as f64;
            if lost_share > self.max_shrink {
                return Err(GuardError::Shrunk {
                    source_name: source_name.to_owned(),
                    previous,
                    current,
                    lost_share,
                    limit: self.max_shrink,
                });
            }
        }
        Ok(Some(read))
    }
}
