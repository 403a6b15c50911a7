//! Runner for the W3C CSVW test suite (see `tests/` and `src/main.rs`).
