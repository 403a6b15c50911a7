//! The `nkod-server` binary: serve and render.

#[path = "../../nkod-server/tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{SUKL, agent, testdata};

#[test]
fn serve_prints_its_base_url_and_answers() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nkod-server"))
        .args(["--snapshot"])
        .arg(testdata().join("snapshot.trig"))
        .arg("--files")
        .arg(testdata().join("soubory"))
        .args(["--listen", "127.0.0.1:0", "--fault", "files:fail-first=1"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");
    let file = format!("{base}soubory/uskvbl-nelegalni-vlp.csv");
    let first = agent().get(&file).call().unwrap().status().as_u16();
    let second = agent().get(&file).call().unwrap().status().as_u16();
    let sparql = agent()
        .get(&format!("{base}sparql"))
        .query("query", format!("ASK {{ GRAPH <{SUKL}> {{ ?s ?p ?o }} }}"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!((first, second), (500, 200));
    assert!(sparql.contains("true"), "{sparql}");
}

#[test]
fn render_resolves_relative_iris() {
    let out = Command::new(env!("CARGO_BIN_EXE_nkod-server"))
        .arg("render")
        .arg("--snapshot")
        .arg(testdata().join("snapshot.trig"))
        .args(["--base", "http://127.0.0.1:8890/", "--format", "nquads"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("<http://127.0.0.1:8890/soubory/sukl-nelegalni-stranky-lp.csv>"));
    assert!(text.lines().all(|l| l.ends_with(" .")));
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.trig");
    std::fs::write(&bad, "<a> { <b> <c> ").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_nkod-server"))
        .arg("--snapshot")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.trig") && err.contains("not valid TriG"),
        "{err}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_nkod-server"))
        .arg("--snapshot")
        .arg(testdata().join("snapshot.trig"))
        .args(["--fault", "web:latency-ms=5"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("invalid fault")
    );

    let out = Command::new(env!("CARGO_BIN_EXE_nkod-server"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("--snapshot")
    );
}
