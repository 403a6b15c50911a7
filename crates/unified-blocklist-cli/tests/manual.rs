//! The hand-kept source through the binary, as an operator uses it: add on MZV's notice,
//! refuse what is wrong, remove, the audit trail, and the next update publishing each change
//! even though no NKOD source changed.

mod common;

use common::*;
use std::process::{Command, Output};
use unified_blocklist::update::{EXIT_OK, update};

fn manual(state: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unified-blocklist"))
        .arg("manual")
        .arg("--state")
        .arg(state)
        .arg("--by")
        .arg("operátor ČTÚ")
        .args(args)
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn add_remove_restart_audit_and_rebuild() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, _) = catalogue(tmp.path(), None);
    let mut options = options(tmp.path(), server.base_url());
    // An operator's own deployment: no bundled entries.
    options.seed_manual = false;
    update(&options).unwrap();
    assert!(rows_of(&options.out, MZV).is_empty());
    assert_eq!(status_of(&options.out, "rucni")["state"], "current");

    // MZV's notice: two websites.
    for address in ["voiceofeurope.com", "https://www.voiceofeurope.eu/"] {
        let out = manual(
            &options.state,
            &[
                "add",
                address,
                "--date",
                "2024-03-27",
                "--legal-basis",
                "zákon č. 1/2023 Sb. (sankční zákon)",
                "--reference",
                "MZV, sdělení ze dne 27. 3. 2024",
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
    }
    // Refused: a duplicate (also spelt differently), an address that is no website, no reference.
    for (args, needle) in [
        (
            vec![
                "add",
                "VOICEOFEUROPE.COM",
                "--date",
                "2024-04-01",
                "--reference",
                "x",
            ],
            "already listed",
        ),
        (
            vec![
                "add",
                "javascript:alert(1)",
                "--date",
                "2024-04-01",
                "--reference",
                "x",
            ],
            "not a usable website address",
        ),
        (
            vec![
                "add",
                "jiny.example.cz",
                "--date",
                "2024-04-01",
                "--reference",
                " ",
            ],
            "reference",
        ),
        (
            vec![
                "remove",
                "neni-v-seznamu.cz",
                "--date",
                "2024-04-01",
                "--reference",
                "x",
            ],
            "not listed",
        ),
        (
            vec![
                "remove",
                "voiceofeurope.com",
                "--date",
                "2024-01-01",
                "--reference",
                "x",
            ],
            "before the entry date",
        ),
    ] {
        let out = manual(&options.state, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(needle), "{args:?}: {}", text(&out));
    }

    // The next update publishes them although no NKOD source changed.
    options.valid_as_of = Some(day(23));
    let report = update(&options).unwrap();
    assert_eq!(report.exit_code(), EXIT_OK);
    assert!(report.published.is_some());
    assert!(report.source("rucni").unwrap().changed());
    let mzv = rows_of(&options.out, MZV);
    assert_eq!(
        mzv.iter().map(|r| r.url.as_str()).collect::<Vec<_>>(),
        ["https://www.voiceofeurope.eu/", "voiceofeurope.com"]
    );
    assert!(
        mzv.iter()
            .all(|r| r.dataset == "Vnitrostátní sankční seznam")
    );
    let rpz = std::fs::read_to_string(options.out.join("jednotny-seznam.rpz")).unwrap();
    assert!(
        rpz.contains("\nvoiceofeurope.eu CNAME .\n"),
        "normalised like any row"
    );
    let rucni = status_of(&options.out, "rucni");
    assert_eq!(rucni["kind"], "manual");
    assert_eq!(rucni["copy"]["rows"]["entries"], 2);
    let page = std::fs::read_to_string(options.out.join("index.html")).unwrap();
    assert!(page.contains("Ručně doplněné záznamy"));

    // A restart changes nothing: the entries are durable, nothing new is published.
    let again = update(&options).unwrap();
    assert_eq!(again.published, None);

    // Removal: the row stays with its removal date.
    let out = manual(
        &options.state,
        &[
            "remove",
            "voiceofeurope.com",
            "--date",
            "2026-11-23",
            "--reference",
            "MZV, sdělení ze dne 23. 11. 2026",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    options.valid_as_of = Some(day(24));
    update(&options).unwrap();
    let mzv = rows_of(&options.out, MZV);
    let removed = mzv.iter().find(|r| r.url == "voiceofeurope.com").unwrap();
    assert_eq!(removed.removed, "2026-11-23");
    let changes = std::fs::read_to_string(options.out.join("zmeny.csv")).unwrap();
    assert!(changes.contains("vymazano,voiceofeurope.com,2024-03-27,2026-11-23,"));

    // The audit trail: every change with who, when and the reference.
    let out = manual(&options.state, &["list", "--log"]);
    assert!(out.status.success());
    let log: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0]["action"], "add");
    assert_eq!(log[0]["by"], "operátor ČTÚ");
    assert_eq!(log[0]["reference"], "MZV, sdělení ze dne 27. 3. 2024");
    assert_eq!(log[2]["action"], "remove");
    assert_eq!(log[2]["date"], "2026-11-23");
    assert!(log.iter().all(|r| r["at"].as_str().is_some()));
    let out = manual(&options.state, &["list"]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("voiceofeurope.com,2024-03-27,2026-11-23,Ministerstvo zahraničních věcí"),
        "{listed}"
    );
    verify_all(&options.out);
}

#[test]
fn the_embedded_default_carries_the_mzv_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let options = options(tmp.path(), "embedded");
    update(&options).unwrap();
    let mzv = rows_of(&options.out, MZV);
    assert_eq!(mzv.len(), 2);
    assert!(
        mzv.iter()
            .all(|r| r.entered == "2024-03-27" && r.removed.is_empty())
    );
    let out = manual(&options.state, &["list", "--log"]);
    let log = String::from_utf8_lossy(&out.stdout);
    assert_eq!(log.lines().count(), 2, "{log}");
    assert!(log.contains("vestavěná výchozí data"), "{log}");
    verify_all(&options.out);
}
