//! What `czso-media-feed` prints when its configuration cannot be used: one line naming the
//! file, each cause once, exit 1 (documented in `--help`).

use std::ffi::OsStr;

use opendata_cli::testing::fails_with;

const BIN: &str = env!("CARGO_BIN_EXE_czso-media-feed");

fn serve(config: &std::path::Path) -> Vec<&OsStr> {
    vec![
        OsStr::new("serve"),
        OsStr::new("--config"),
        config.as_os_str(),
    ]
}

#[test]
fn a_missing_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chybi.toml");
    let err = fails_with(BIN, &serve(&path), 1, &path);
    assert!(err.contains("No such file or directory"), "{err}");
}

#[test]
fn a_directory_instead_of_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails_with(BIN, &serve(dir.path()), 1, dir.path());
    assert!(err.contains("directory"), "{err}");
}

#[test]
fn an_unreadable_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spatne.toml");
    std::fs::write(&path, b"database = \"datab\xe1ze.sqlite\"\n").unwrap();
    let err = fails_with(BIN, &serve(&path), 1, &path);
    assert!(err.contains("UTF-8"), "{err}");
    std::fs::write(&path, "database = \n").unwrap();
    let err = fails_with(BIN, &serve(&path), 1, &path);
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
