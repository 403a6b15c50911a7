//! Errors of the calculus: bad input, never a panic.

/// Why a computation could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input is inconsistent (lengths differ, a coalition of 0 parties, no seats…).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A sum of vote counts does not fit in 64 bits.
    #[error("vote counts overflow: {0}")]
    Overflow(String),
    /// No valid votes yet: nothing can be allocated.
    #[error("no valid votes{0}")]
    NoVotes(String),
    /// The election type or year has no rule set here (with the reason).
    #[error("no rules for {0}")]
    Unsupported(String),
    /// A vote table could not be read (source, line, what is wrong).
    #[error("{file}:{line}: {message}")]
    Table {
        /// File or other source name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Sums vote counts, refusing overflow.
pub(crate) fn checked_sum<'a>(
    values: impl IntoIterator<Item = &'a u64>,
    what: &str,
) -> Result<u64> {
    values
        .into_iter()
        .try_fold(0u64, |acc, &v| acc.checked_add(v))
        .ok_or_else(|| Error::Overflow(what.to_owned()))
}
