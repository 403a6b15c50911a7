//! `unified-blocklist`: see the crate README.
#![allow(clippy::print_stdout, clippy::print_stderr)]
fn main() {}
