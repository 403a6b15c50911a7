//! The `vfk-fees` binary end to end.

use std::path::PathBuf;
use std::process::{Command, Output};

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/vfk")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vfk-fees"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn count_vfk_human_and_json() {
    let vfk = testdata("pywsdp_Export_1-4.vfk");
    let o = run(&["count", vfk.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("VFK 5.4, state data (stavová)"), "{out}");
    assert!(out.contains("rows: PAR 615, TEL 80"), "{out}");
    assert!(
        out.contains("k.ú. 693936 Jáma: 615 parcels KN + 0 parcels ZE + 80 LV = 695 MJ"),
        "{out}"
    );

    let o = run(&[
        "count",
        "--format",
        "json",
        "--policy",
        "current-only",
        vfk.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["total_mj"], 656);
    assert_eq!(json["files"][0]["summary"]["header"]["version"], "5.4");
    assert_eq!(json["files"][0]["summary"]["has_jpv"], false);
}

#[test]
fn count_distributor_csv_with_selection() {
    let csv = testdata("jama_distributor_derived.csv");
    let o = run(&["count", "--ku", "693936", csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("k.ú. 693936: 615 parcels + 80 LV = 695 MJ"),
        "{}",
        stdout(&o)
    );
    let o = run(&["count", "--ku", "600001", csv.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("k.ú. 600001 is not in the file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn count_reports_broken_files_with_name_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("cut.vfk");
    std::fs::write(
        &bad,
        b"&HVERZE;\"5.4\"\n&BTEL;ID N30;KATUZE_KOD N6\n&DTEL;1;693936\n",
    )
    .unwrap();
    let o = run(&["count", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cut.vfk: line 3: file ends without the &K end record"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn price() {
    let o = run(&["price", "--mj", "50000", "--jpv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("item 6002: 10000 MJ × 2.00 Kč = 20000.00 Kč"),
        "{out}"
    );
    assert!(
        out.contains("item 6004: 40000 MJ × 1.60 Kč = 64000.00 Kč"),
        "{out}"
    );
    assert!(out.contains("base fee: 84000.00 Kč"), "{out}");
    let o = run(&["price", "--mj", "100", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["first_purchase"]["amount_czk"], "500");
    assert_eq!(json["first_purchase"]["minimum_applied_czk"], "500");
    assert_eq!(json["update_same_year"]["amount_czk"], "100");
    assert_eq!(json["rounding"], "koruna-half-up");
    let o = run(&["price", "--mj", "100", "--rounding", "cents"]);
    assert_eq!(o.status.code(), Some(2));
}

/// ČÚZK's 2024 answer under zákon 106/1999 Sb. ("Nákup dat z informačního systému katastru
/// nemovitostí", cuzk.gov.cz): okres Brno-město, 443 772 MJ, first purchase 479 018 Kč with
/// JPV and 166 132 Kč without.
#[test]
fn price_matches_cuzk_whole_crown_quote() {
    let o = run(&["price", "--mj", "443772", "--jpv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("prvotní odběr: 100 % of 479017.60 Kč (items 6002+6004+6006) = 479017.60 Kč, rounded 479018 Kč → 479018 Kč"),
        "{out}"
    );
    assert!(
        out.contains("rounding: koruna-half-up, as ČÚZK quotes"),
        "{out}"
    );
    assert!(out.contains("Brno-město, 443 772 MJ"), "{out}");
    let o = run(&["price", "--mj", "443772", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["first_purchase"]["amount_czk"], "166132");
    let o = run(&[
        "price",
        "--mj",
        "443772",
        "--rounding",
        "haler-half-up",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["first_purchase"]["amount_czk"], "166131.60");
}

#[test]
fn help_cites_the_rounding_source() {
    let o = run(&["price", "--help"]);
    let out = stdout(&o);
    assert!(out.contains("[default: koruna-half-up]"), "{out}");
    assert!(
        out.contains("479 018 Kč with JPV and 166 132 Kč without"),
        "{out}"
    );
}

#[test]
fn quote_with_invoice() {
    let dir = tempfile::tempdir().unwrap();
    let invoice = dir.path().join("faktura.csv");
    let history = testdata("history_faq.csv");
    let o = run(&[
        "quote",
        "--history",
        history.to_str().unwrap(),
        "--order",
        "customer=ACME,scope=jama,ordered_on=2019-06-03,kind=change,valid_from=2019-04-01,valid_to=2019-06-01,mj=1100",
        "--invoice",
        invoice.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("změnová data 2019-04: 3 % of 880.00 Kč (items 6001) = 26.40 Kč, rounded 26 Kč, raised to the minimum 100 Kč → 100 Kč"), "{out}");
    assert!(out.contains("total: 200 Kč"), "{out}");
    assert!(
        out.contains("rule set: vyhláška č. 358/2013 Sb., ve znění vyhlášek č. 354/2015 Sb. a č. 256/2018 Sb. (in force from 2019-01-01; 358/2013+256/2018)"),
        "{out}"
    );
    let csv = std::fs::read_to_string(&invoice).unwrap();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert!(
        lines[0].starts_with("pořadí,zákazník,rozsah,datum_objednávky,dodávka"),
        "{csv}"
    );
    assert_eq!(
        lines[1],
        "1,ACME,jama,2019-06-03,změnová data 2019-04,6001,1100,false,880.00,aktualizace ve stejném kalendářním roce (3 %),3,26.4,100,100,\"vyhláška č. 358/2013 Sb., ve znění vyhlášek č. 354/2015 Sb. a č. 256/2018 Sb.\""
    );
    assert_eq!(lines.len(), 4, "header, two rows, final CRLF");
    // The invoice passes opendata-csv's own validator against its CSVW metadata.
    let metadata = dir.path().join("faktura.csv-metadata.json");
    let mut violations = Vec::new();
    opendata_csv::check_file(&invoice, Some(&metadata), &mut |v| {
        violations.push(v.to_string());
    })
    .unwrap();
    assert!(violations.is_empty(), "{violations:?}");

    let o = run(&[
        "quote",
        "--format",
        "json",
        "--history",
        history.to_str().unwrap(),
        "--order",
        "customer=OTHER,scope=jama,ordered_on=2020-01-10,kind=state,valid_from=2020-01-01",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["lines"][0]["rule"], "first_update_in_new_year");
    assert_eq!(json["jpv"], true);
    assert_eq!(json["total_czk"], "2000"); // 20 % of 5 000 MJ × 2 Kč
}

#[test]
fn quote_errors() {
    let broken = testdata("history_broken.csv");
    let o = run(&[
        "quote",
        "--history",
        broken.to_str().unwrap(),
        "--order",
        "customer=ACME,scope=jama,ordered_on=2019-06-03,kind=state,valid_from=2019-06-01",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("history_broken.csv"), "{err}");
    assert!(
        err.contains("line 3: order of ACME/jama on 2019-02-10: dates out of order"),
        "{err}"
    );

    let faq = testdata("history_faq.csv");
    let o = run(&[
        "quote",
        "--history",
        faq.to_str().unwrap(),
        "--order",
        "customer=ACME,scope=brno,ordered_on=2019-06-03,kind=change,valid_from=2019-04-01,valid_to=2019-06-01",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("unknown scope \"brno\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn rule_sets_by_date() {
    let faq = testdata("history_faq.csv");
    // Ordered in December 2018: the data as of 1 January 2019 fall under the previous wording
    // (ČÚZK FAQ – Šíření), for which no rule set is known.
    let o = run(&[
        "quote",
        "--history",
        faq.to_str().unwrap(),
        "--order",
        "customer=NEW,scope=praha,ordered_on=2018-12-10,kind=state,valid_from=2019-01-01,mj=1000",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no fee rules are known for 2018-12-10: the earliest known rule set, vyhláška č. 358/2013 Sb., ve znění vyhlášek č. 354/2015 Sb. a č. 256/2018 Sb. (358/2013+256/2018), is in force from 2019-01-01; orders placed before that day cannot be priced"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "price", "--mj", "1000", "--on", "1.7.2024", "--format", "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["rule_set"]["id"], "358/2013+50/2024");
    assert_eq!(json["rule_set"]["in_force_from"], "2024-07-01");
    let o = run(&["price", "--mj", "1000", "--on", "2024-06-30"]);
    assert!(
        stdout(&o).contains("rule set: vyhláška č. 358/2013 Sb., ve znění vyhlášek č. 354/2015 Sb. a č. 256/2018 Sb. (in force from 2019-01-01"),
        "{}",
        stdout(&o)
    );
    let o = run(&["price", "--mj", "1000", "--on", "2018-06-30"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no fee rules are known for 2018-06-30"),
        "{}",
        stderr(&o)
    );

    let o = run(&["rules"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("in force from 2019-01-01 until 2024-06-30"),
        "{out}"
    );
    assert!(
        out.contains("in force from 2024-07-01 until further notice"),
        "{out}"
    );
    assert!(
        out.contains("minimum update: 100 Kč\n      from 2019-01-01; ČÚZK FAQ – Šíření"),
        "{out}"
    );
    let o = run(&["rules", "--on", "2020-05-05", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["in_force_until"], "2024-06-30");
    assert_eq!(
        json[0]["rule_set"]["update_same_year_percent"]["value"],
        "3"
    );
    assert_eq!(json[0]["rule_set"]["data_back_limit_months"]["value"], 12);
}
