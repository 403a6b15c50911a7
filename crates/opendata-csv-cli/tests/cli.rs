//! The `opendata-csv` binary: exit codes, output formats, and `convert` turning the real
//! non-standard lists into files that `check` finds clean.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_opendata-csv"))
}

fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/opendata-csv")
        .join(path)
}

fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap();
    (
        status.code().unwrap(),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

#[test]
fn check_exit_codes() {
    let (code, out, _) = run(bin().arg("check").arg(testdata("violations/clean.csv")));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.ends_with("clean.csv: 3 records, 55 bytes, 0 violations\n"),
        "{out}"
    );

    let (code, out, _) = run(bin().arg("check").arg(testdata("violations/bom.csv")));
    assert_eq!(code, 1);
    assert!(
        out.contains("bom.csv: record 1: the file starts with a UTF-8 byte order mark"),
        "{out}"
    );
    assert!(out.ends_with("1 violations — bom: 1\n"), "{out}");

    let (code, _, err) = run(bin()
        .arg("check")
        .arg(testdata("violations/no-such-file.csv")));
    assert_eq!(code, 2);
    assert!(err.contains("no-such-file.csv"), "{err}");

    let (code, _, err) = run(bin().args(["check", "--bogus"]));
    assert_eq!(code, 2, "{err}");
}

#[test]
fn check_with_unusable_metadata_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let meta = dir.path().join("bad.json");
    std::fs::write(&meta, "{not json").unwrap();
    let (code, _, err) = run(bin()
        .arg("check")
        .arg(testdata("violations/clean.csv"))
        .arg("--metadata")
        .arg(&meta));
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.json: metadata is not valid JSON"),
        "{err}"
    );
}

#[test]
fn check_json_output() {
    let (code, out, _) = run(bin()
        .args(["check", "--format", "json"])
        .arg(testdata("blocklists/szpi-blokovane-weby.csv")));
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["violations"].as_array().unwrap().len(), 2);
    assert_eq!(json["violations"][1]["kind"], "missing-final-line-break");
    assert_eq!(json["violations"][1]["record"], 9);
    assert_eq!(json["summary"]["records"], 9);
    assert_eq!(json["summary"]["counts"]["missing-metadata"], 1);
    assert_eq!(json["truncated"], false);

    let (_, out, _) = run(bin()
        .args(["check", "--format", "json", "--limit", "3"])
        .arg(testdata("blocklists/sukl-nelegalni-stranky-lp.csv")));
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["violations"].as_array().unwrap().len(), 3);
    assert_eq!(json["truncated"], true);
    assert_eq!(json["summary"]["counts"]["non-iso-date"], 560);
}

fn convert_and_check(input: &Path, extra: &[&str], out_name: &str) -> (PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join(out_name);
    let (code, _, err) = run(bin().arg("convert").arg(input).arg(&output).args(extra));
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(bin().arg("check").arg(&output));
    assert_eq!(code, 0, "converted file is not clean: {out}");
    (output, dir)
}

#[test]
fn convert_mf_list_to_the_standard() {
    let (output, _dir) = convert_and_check(
        &testdata("blocklists/mf-seznam-nepovolenych-internetovych-her.cp1250.csv"),
        &[
            "--encoding",
            "windows-1250",
            "--delimiter",
            ";",
            "--date-format",
            "dd.mm.yyyy",
            "--title",
            "Seznam nepovolených internetových her",
            "--publisher",
            "Ministerstvo financí",
            "--modified",
            "2026-08-18",
        ],
        "mf.csv",
    );
    let csv = std::fs::read_to_string(&output).unwrap();
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next().unwrap(),
        "Objekt blokace,Adresa internetové stránky,Název aplikace,\
         Identifikátor aplikace; umístění aplikace,Jedinečný identifikátor platebního účtu,\
         Důvody zápisu na Seznam,Datum zápisu a zveřejnění na Seznamu,\
         Datum výmazu a zveřejnění na Seznamu"
    );
    assert_eq!(
        lines.next().unwrap(),
        "Internetová stránka,1xbet.com,,,,§ 84a odst. 2 písm. a) ZHH,2017-07-26,2023-01-04"
    );
    assert_eq!(csv.matches("\r\n").count(), 3484);
    // The padded value "viperwin.com " (record 1867) was trimmed.
    assert!(csv.contains("\r\nInternetová stránka,viperwin.com,"));

    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(output.with_extension("csv-metadata.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["url"], "mf.csv");
    assert_eq!(meta["dc:publisher"], "Ministerstvo financí");
    assert_eq!(meta["dc:modified"]["@value"], "2026-08-18");
    let columns = meta["tableSchema"]["columns"].as_array().unwrap();
    let summary: Vec<(&str, &str, bool)> = columns
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap(),
                c["datatype"].as_str().unwrap(),
                c["required"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("objekt_blokace", "string", true),
            ("adresa_internetove_stranky", "string", false),
            ("nazev_aplikace", "string", false),
            ("identifikator_aplikace_umisteni_aplikace", "string", false),
            ("jedinecny_identifikator_platebniho_uctu", "string", false),
            ("duvody_zapisu_na_seznam", "string", true),
            ("datum_zapisu_a_zverejneni_na_seznamu", "date", true),
            ("datum_vymazu_a_zverejneni_na_seznamu", "date", false),
        ]
    );
}

#[test]
fn convert_other_real_formats() {
    convert_and_check(
        &testdata("blocklists/sukl-nelegalni-stranky-lp.csv"),
        &["--date-format", "dd.mm.yyyy"],
        "sukl.csv",
    );
    convert_and_check(
        &testdata("blocklists/uskvbl-nelegalni-vlp.2024-03-12.semicolon-bom.csv"),
        &["--delimiter", ";", "--date-format", "dd.mm.yyyy"],
        "uskvbl.csv",
    );
    convert_and_check(
        &testdata(
            "blocklists/mf-seznam-nepovolenych-internetovych-her.2023-12-30.old-columns.cp1250.csv",
        ),
        &[
            "--encoding",
            "windows-1250",
            "--delimiter",
            ";",
            "--date-format",
            "d.m.yyyy",
        ],
        "mf-old.csv",
    );
    convert_and_check(
        &testdata("blocklists/szpi-blokovane-weby.csv"),
        &[],
        "szpi.csv",
    );
}

#[test]
fn convert_reports_wrong_encoding_with_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(bin()
        .arg("convert")
        .arg(testdata(
            "blocklists/mf-seznam-nepovolenych-internetovych-her.cp1250.csv",
        ))
        .arg(dir.path().join("x.csv"))
        .args(["--delimiter", ";"]));
    assert_eq!(code, 2);
    assert!(err.contains("byte offset 32: not valid UTF-8"), "{err}");
}

#[test]
fn describe_infers_names_types_and_required() {
    let (code, out, _) = run(bin()
        .arg("describe")
        .arg(testdata("blocklists/szpi-blokovane-weby.csv")));
    assert_eq!(code, 0);
    let meta: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        meta["@context"],
        serde_json::json!(["http://www.w3.org/ns/csvw", {"@language": "cs"}])
    );
    assert_eq!(
        meta["tableSchema"]["columns"],
        serde_json::json!([
            {"@type": "Column", "name": "url", "titles": "URL", "datatype": "string", "required": true},
            {"@type": "Column", "name": "datum_zapisu", "titles": "DATUM_ZAPISU", "datatype": "date", "required": true},
            {"@type": "Column", "name": "datum_vymazu", "titles": "DATUM_VYMAZU", "datatype": "date", "required": false},
        ])
    );
}
