//! Error types of the crate.

use std::path::PathBuf;

/// Everything that can go wrong in the library.
///
/// I/O and database failures are kept apart from problems with the input (syntax of a batch
/// document, a rule of the registry or of the results model), so callers can tell a broken
/// disk from a bad request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The embedded database failed.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// A document (batch XML, definition, config) is not well formed.
    #[error("{source_name}: {message}")]
    Syntax {
        /// File name or request that held the document.
        source_name: String,
        /// What is wrong, and where.
        message: String,
    },
    /// Input is well formed but breaks a rule of the results model.
    #[error("{source_name}: {message}")]
    Invalid {
        /// File name or request that held the data.
        source_name: String,
        /// The rule broken.
        message: String,
    },
    /// Precinct rows of a document break rules of the results model: the document is
    /// refused whole, every such row named with the rule it breaks.
    #[error("{source_name}: {}", describe(problems))]
    InconsistentRows {
        /// File name or request that held the rows.
        source_name: String,
        /// Each row and the rule it breaks, in document order.
        problems: Vec<RowProblem>,
    },
    /// A registry rule was broken (deadline, address limits, unknown organisation, ...).
    #[error("registry: {0}")]
    Registry(String),
    /// The configuration is not usable.
    #[error("configuration: {0}")]
    Config(String),
    /// A request to a running server's admin endpoint failed or was refused.
    #[error("{url}: {message}")]
    Admin {
        /// The request.
        url: String,
        /// The status and the server's answer, or the transport error.
        message: String,
    },
}

/// A precinct row that breaks a rule of the results model.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowProblem {
    /// The row as `OKRSEK CIS_OBEC=… CIS_OKRSEK=…` (with `KODZASTUP`, `KOLO` when present).
    pub precinct: String,
    /// `CIS_OBEC`.
    pub obec: u32,
    /// `CIS_OKRSEK`.
    pub okrsek: u32,
    /// `PORADI_ZPRAC`.
    pub sequence: u64,
    /// The rule it breaks.
    pub rule: String,
}

/// The rows of an [`Error::InconsistentRows`] as one line (the first ten, then a count).
fn describe(problems: &[RowProblem]) -> String {
    const SHOWN: usize = 10;
    let mut text = format!(
        "{} precinct row{} inconsistent, nothing stored: ",
        problems.len(),
        if problems.len() == 1 { " is" } else { "s are" }
    );
    let listed: Vec<String> = problems
        .iter()
        .take(SHOWN)
        .map(|p| format!("{}: {}", p.precinct, p.rule))
        .collect();
    text.push_str(&listed.join("; "));
    if problems.len() > SHOWN {
        text.push_str(&format!("; and {} more", problems.len() - SHOWN));
    }
    text
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// A syntax error in `source_name`.
    pub fn syntax(source_name: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Syntax {
            source_name: source_name.into(),
            message: message.into(),
        }
    }

    /// A rule of the model broken by data from `source_name`.
    pub fn invalid(source_name: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            source_name: source_name.into(),
            message: message.into(),
        }
    }

    /// The error as a structured JSON body for API clients: `kind` (`syntax`, `invalid`,
    /// `registry`, `configuration`, `io`, `database`, `admin`), `source` (the document or
    /// request), `precinct` (the row, for a rule a precinct broke), `rule` (what is wrong)
    /// and `message` (all of it, as logged). Several inconsistent rows are listed apart
    /// (`rows` beside `error` in the admin answer).
    pub fn to_json(&self) -> serde_json::Value {
        let (kind, source, detail) = match self {
            Self::Io { path, source } => {
                ("io", Some(path.display().to_string()), source.to_string())
            }
            Self::Database(e) => ("database", None, e.to_string()),
            Self::Syntax {
                source_name,
                message,
            } => ("syntax", Some(source_name.clone()), message.clone()),
            Self::Invalid {
                source_name,
                message,
            } => ("invalid", Some(source_name.clone()), message.clone()),
            Self::InconsistentRows {
                source_name,
                problems,
            } => (
                "invalid",
                Some(source_name.clone()),
                match problems.as_slice() {
                    [only] => format!("{}: {}", only.precinct, only.rule),
                    _ => describe(problems),
                },
            ),
            Self::Registry(m) => ("registry", None, m.clone()),
            Self::Config(m) => ("configuration", None, m.clone()),
            Self::Admin { url, message } => ("admin", Some(url.clone()), message.clone()),
        };
        // Rules a row breaks are reported as "OKRSEK CIS_OBEC=… CIS_OKRSEK=…: the rule".
        let (precinct, rule) = match detail.split_once(": ") {
            Some((row, rule)) if row.starts_with("OKRSEK ") => {
                (Some(row.to_owned()), rule.to_owned())
            }
            _ => (None, detail),
        };
        serde_json::json!({
            "kind": kind,
            "source": source,
            "precinct": precinct,
            "rule": rule,
            "message": self.to_string(),
        })
    }

    /// Whether the error is the caller's fault (bad input) rather than the server's.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            Self::Syntax { .. }
                | Self::Invalid { .. }
                | Self::InconsistentRows { .. }
                | Self::Registry(_)
        )
    }
}

/// Result alias of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
