//! What `unified-blocklist` prints when its configuration cannot be used: one line naming the
//! file, each cause once, exit 2 (documented in `--help`).

use std::ffi::OsStr;

use opendata_cli::testing::fails_with;

const BIN: &str = env!("CARGO_BIN_EXE_unified-blocklist");

#[test]
fn a_missing_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chybi.toml");
    let err = fails_with(
        BIN,
        &[
            OsStr::new("--config"),
            path.as_os_str(),
            OsStr::new("update"),
        ],
        2,
        &path,
    );
    assert!(err.contains("No such file or directory"), "{err}");
}

#[test]
fn a_directory_instead_of_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails_with(
        BIN,
        &[
            OsStr::new("--config"),
            dir.path().as_os_str(),
            OsStr::new("update"),
        ],
        2,
        dir.path(),
    );
    assert!(err.contains("directory"), "{err}");
}

#[test]
fn an_unreadable_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spatne.toml");
    // Windows-1250 bytes where UTF-8 is required: the file cannot be read as text.
    std::fs::write(&path, b"out = \"v\xfdstup\"\n").unwrap();
    let err = fails_with(
        BIN,
        &[
            OsStr::new("--config"),
            path.as_os_str(),
            OsStr::new("update"),
        ],
        2,
        &path,
    );
    assert!(err.contains("UTF-8"), "{err}");
    // And text that is not TOML: the line is named.
    std::fs::write(&path, "out = \n").unwrap();
    let err = fails_with(
        BIN,
        &[
            OsStr::new("--config"),
            path.as_os_str(),
            OsStr::new("update"),
        ],
        2,
        &path,
    );
    assert!(err.contains("line 1"), "{err}");
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
