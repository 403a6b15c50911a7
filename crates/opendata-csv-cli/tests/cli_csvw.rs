//! The CSVW subcommands of the binary (`validate`, `csv2json`, `csv2rdf`) on real data from
//! `testdata/csvw/` and on a broken copy: exit codes, messages, output files. Then
//! `check --profile` on the real lists: exit codes 0/1/2, the human and JSON reports.

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

const SUKL: &str = "sukl-nelegalni-stranky-lp.csv";

#[test]
fn validate_real_file_exit_0() {
    let out = bin().arg("validate").arg(data(SUKL)).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "0 errors, 0 warnings"
    );
}

#[test]
fn validate_broken_copy_exit_1_with_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join(SUKL);
    let text = std::fs::read_to_string(data(SUKL)).unwrap();
    std::fs::write(&csv, text.replacen("\"10.03.2022\"", "\"10.13.2022\"", 1)).unwrap();
    let meta = format!("{SUKL}-metadata.json");
    std::fs::copy(data(&meta), dir.path().join(&meta)).unwrap();
    let out = bin().arg("validate").arg(&csv).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("row 2 column 2"), "{stdout}");
    assert!(stdout.contains("10.13.2022"), "{stdout}");
    assert!(
        stdout.trim_end().ends_with("1 errors, 0 warnings"),
        "{stdout}"
    );
}

#[test]
fn csv2json_and_csv2rdf_with_base_url() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out.json");
    let out = bin()
        .args([
            "csv2json",
            "--minimal",
            "--base-url",
            "https://data.example.cz/soubory/",
        ])
        .arg(data(SUKL))
        .arg("--output")
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(value.as_array().unwrap().len(), 553);
    assert_eq!(
        value[0]["@id"],
        "https://data.example.cz/sukl/zdraviodslovanu.online"
    );

    let out = bin()
        .args([
            "csv2rdf",
            "--format",
            "ntriples",
            "--base-url",
            "https://data.example.cz/soubory/",
        ])
        .arg(data(SUKL))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let nt = String::from_utf8(out.stdout).unwrap();
    assert!(nt.contains("<https://data.example.cz/soubory/sukl-nelegalni-stranky-lp.csv#row=2>"));
}

#[test]
fn missing_input_exit_2() {
    let out = bin()
        .arg("validate")
        .arg("/nonexistent/x.csv")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("x.csv not found"));
}

// `check --profile`: the Czech standard on top of CSVW.

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
