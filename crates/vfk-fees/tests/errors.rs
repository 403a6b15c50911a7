//! What `vfk-fees` prints when a file cannot be used: one line naming the file, each cause once,
//! exit 1 (documented in `--help`).

use std::ffi::OsStr;

use opendata_cli::testing::fails_with;

const BIN: &str = env!("CARGO_BIN_EXE_vfk-fees");

#[test]
fn a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chybi.vfk");
    let err = fails_with(BIN, &[OsStr::new("count"), path.as_os_str()], 1, &path);
    assert!(err.contains("No such file or directory"), "{err}");
}

#[test]
fn a_directory_instead_of_a_file() {
    let dir = tempfile::tempdir().unwrap();
    fails_with(
        BIN,
        &[OsStr::new("count"), dir.path().as_os_str()],
        1,
        dir.path(),
    );
}

#[test]
fn an_unreadable_order_history() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("historie.csv");
    std::fs::write(&history, b"customer,scope\n\xff\xfe\n").unwrap();
    fails_with(
        BIN,
        &[
            OsStr::new("quote"),
            OsStr::new("--history"),
            history.as_os_str(),
            OsStr::new("--order"),
            OsStr::new(
                "customer=ACME,scope=jama,ordered_on=2019-06-03,kind=change,valid_from=2019-04-01,valid_to=2019-06-01,mj=1100",
            ),
        ],
        1,
        &history,
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
