//! Helpers shared by the integration tests.

use csvw::{Options, Processor};

/// Strict validation (problems are errors), everything else default.
pub fn validating() -> Options {
    Options {
        validate: true,
        ..Options::default()
    }
}

/// The processor's errors, as the text a user reads.
pub fn errors(processor: &Processor<'_>) -> Vec<String> {
    processor
        .diagnostics
        .errors()
        .map(ToString::to_string)
        .collect()
}
