//! What `nkod-server` prints when the catalogue dump cannot be used: one line naming the file,
//! each cause once, exit 1 (documented in `--help`).

use std::ffi::OsStr;

use opendata_cli::testing::fails_with;

const BIN: &str = env!("CARGO_BIN_EXE_nkod-server");

fn serve(snapshot: &std::path::Path) -> Vec<&OsStr> {
    vec![
        OsStr::new("--snapshot"),
        snapshot.as_os_str(),
        OsStr::new("--listen"),
        OsStr::new("127.0.0.1:0"),
    ]
}

#[test]
fn a_missing_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nkod.trig");
    let err = fails_with(BIN, &serve(&path), 1, &path);
    assert!(err.contains("No such file or directory"), "{err}");
}

#[test]
fn a_directory_instead_of_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails_with(BIN, &serve(dir.path()), 1, dir.path());
    assert!(err.contains("directory"), "{err}");
}

#[test]
fn an_unreadable_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nkod.trig");
    std::fs::write(&path, "<a> <b> \"nedokon\u{10d}en\u{e9}").unwrap();
    fails_with(BIN, &serve(&path), 1, &path);
}

#[test]
fn the_exit_codes_are_in_the_help() {
    let output = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("Exit codes"), "{help}");
}
