//! Errors and diagnostics.

use std::fmt;

/// A fatal problem: processing cannot continue.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read (transport failure, not "not found").
    #[error("cannot read {url}: {source}")]
    Io {
        /// The URL being read.
        url: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file that must exist was not found.
    #[error("{url} not found")]
    NotFound {
        /// The missing URL.
        url: String,
    },
    /// The metadata document breaks a rule of the Metadata Vocabulary for Tabular Data.
    #[error("metadata {url}: {message}")]
    Metadata {
        /// The metadata document.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// The tabular data cannot be read.
    #[error("{url}: {message}")]
    Tabular {
        /// The CSV file.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// An invalid URL.
    #[error("invalid URL {url}: {message}")]
    Url {
        /// The offending text.
        url: String,
        /// Why it is invalid.
        message: String,
    },
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

/// How severe a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Processing went on; the result may not be what the publisher meant.
    Warning,
    /// The data does not conform (a cell, key or compatibility error).
    Error,
}

/// One warning or non-fatal error, with where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Warning or error.
    pub severity: Severity,
    /// The file (CSV or metadata URL) concerned.
    pub url: String,
    /// Row number in the source file (1-based), if about a row.
    pub row: Option<usize>,
    /// Column number (1-based), if about a cell.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{kind}: {}", self.url)?;
        if let Some(row) = self.row {
            write!(f, " row {row}")?;
        }
        if let Some(column) = self.column {
            write!(f, " column {column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The warnings and errors collected while processing.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    /// Every diagnostic in the order found.
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Adds a warning.
    pub fn warn(&mut self, url: &str, message: impl Into<String>) {
        self.push(Severity::Warning, url, None, None, message.into());
    }

    /// Adds a non-fatal error.
    pub fn error(&mut self, url: &str, message: impl Into<String>) {
        self.push(Severity::Error, url, None, None, message.into());
    }

    /// Adds a diagnostic about a cell or row.
    pub fn push(
        &mut self,
        severity: Severity,
        url: &str,
        row: Option<usize>,
        column: Option<usize>,
        message: String,
    ) {
        self.items.push(Diagnostic {
            severity,
            url: url.to_owned(),
            row,
            column,
            message,
        });
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }

    /// The non-fatal errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.severity == Severity::Error)
    }

    /// Whether any warning was found.
    pub fn has_warnings(&self) -> bool {
        self.warnings().next().is_some()
    }

    /// Whether any non-fatal error was found.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}
