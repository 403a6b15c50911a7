#![allow(clippy::print_stdout, clippy::print_stderr)]
//! `nkod-server` binary.
fn main() {}
