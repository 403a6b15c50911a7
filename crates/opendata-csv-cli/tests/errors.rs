//! What `opendata-csv` prints when a file cannot be used: one line naming the file, each cause
//! once, exit 2 (documented in `--help`).

use std::ffi::OsStr;

use opendata_cli::testing::fails_with;

const BIN: &str = env!("CARGO_BIN_EXE_opendata-csv");

#[test]
fn a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chybi.csv");
    let err = fails_with(BIN, &[OsStr::new("check"), path.as_os_str()], 2, &path);
    assert!(err.contains("No such file or directory"), "{err}");
}

#[test]
fn a_directory_instead_of_a_file() {
    let dir = tempfile::tempdir().unwrap();
    fails_with(
        BIN,
        &[OsStr::new("check"), dir.path().as_os_str()],
        2,
        dir.path(),
    );
}

#[test]
fn unreadable_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("seznam.csv");
    std::fs::write(&csv, "URL\r\nexample.cz\r\n").unwrap();
    let metadata = dir.path().join("seznam.csv-metadata.json");
    std::fs::write(&metadata, "{ \"url\": ").unwrap();
    fails_with(
        BIN,
        &[
            OsStr::new("check"),
            csv.as_os_str(),
            OsStr::new("--metadata"),
            metadata.as_os_str(),
        ],
        2,
        &metadata,
    );
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
