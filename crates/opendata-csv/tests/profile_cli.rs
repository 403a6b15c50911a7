//! `opendata-csv check --profile` on real lists: exit codes 0/1/2, the human and JSON reports.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_opendata-csv"))
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/csvw")
        .join(name)
}

#[test]
fn conforming_list_exits_0() {
    let out = bin()
        .args(["check", "--profile"])
        .arg(data("uskvbl-nelegalni-vlp.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.ends_with(
            "uskvbl-nelegalni-vlp.csv: 8 records, 296 bytes, 0 errors (CSVW: 0, Czech standard: \
             0), 0 warnings\n"
        ),
        "{stdout}"
    );
}

#[test]
fn non_conforming_list_exits_1_naming_file_row_and_rule() {
    let out = bin()
        .args(["check", "--profile"])
        .arg(data("szpi-blokovane-weby.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].ends_with(
            "szpi-blokovane-weby.csv, row 9: error [Czech standard: missing-final-line-break] \
             the last record has no line break after it; the standard ends every record with CRLF"
        ),
        "{stdout}"
    );
    assert!(
        lines[1]
            .ends_with("9 records, 313 bytes, 1 errors (CSVW: 0, Czech standard: 1), 0 warnings"),
        "{stdout}"
    );
}

#[test]
fn json_report_with_limit() {
    let out = bin()
        .args(["check", "--profile", "--format", "json", "--limit", "3"])
        .arg(data("sukl-nelegalni-stranky-lp.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"], 563);
    assert_eq!(report["warnings"], 4);
    assert_eq!(report["records"], 554);
    assert_eq!(report["truncated"], true);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3);
    assert_eq!(findings[0]["source"], "czech-standard");
    assert!(
        report["metadata"]
            .as_str()
            .unwrap()
            .ends_with("sukl-nelegalni-stranky-lp.csv-metadata.json")
    );
}

#[test]
fn missing_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["check", "--profile"])
        .arg(dir.path().join("neni.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("neni.csv"));
}
