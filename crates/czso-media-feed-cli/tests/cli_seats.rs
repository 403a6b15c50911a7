//! `czso-media-feed seats` as a user runs it: a votes table in, seats out.

use std::path::PathBuf;
use std::process::Command;

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/volby")
        .join(name)
}

fn seats(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_czso-media-feed"))
        .arg("seats")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Writes the regional votes of ČSÚ's real 2021 `vysledky.xml` as the CLI's table and
/// returns it with the seats ČSÚ published per list (national `MANDATY`).
fn ps2021_table(dir: &std::path::Path) -> (PathBuf, Vec<(String, u32)>) {
    let xml = std::fs::read_to_string(testdata("ps2021_vysledky.xml")).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut regions: Vec<String> = Vec::new();
    let mut rows: Vec<(String, Vec<u64>)> = Vec::new();
    let mut seats: Vec<(String, u32)> = Vec::new();
    let (mut in_cr, mut party) = (false, String::new());
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let attr = |n: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.local_name().into_inner() == n)
                        .map(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .unwrap()
                                .into_owned()
                        })
                };
                match e.local_name().into_inner() {
                    "KRAJ" => regions.push(attr("NAZ_KRAJ").unwrap()),
                    "CR" => in_cr = true,
                    "STRANA" => party = attr("NAZ_STR").unwrap(),
                    "HODNOTY_STRANA" if in_cr => {
                        seats.push((
                            party.clone(),
                            attr("MANDATY").map_or(0, |m| m.parse().unwrap()),
                        ));
                    }
                    "HODNOTY_STRANA" => {
                        let votes: u64 = attr("HLASY").unwrap().parse().unwrap();
                        let region = regions.len() - 1;
                        match rows.iter_mut().find(|r| r.0 == party) {
                            Some(r) => r.1[region] = votes,
                            None => {
                                let mut v = vec![0; 14];
                                v[region] = votes;
                                rows.push((party.clone(), v));
                            }
                        }
                    }
                    _ => {}
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    let mut csv = format!("party;{}\n", regions.join(";"));
    for (name, votes) in &rows {
        let cells: Vec<String> = votes.iter().map(u64::to_string).collect();
        csv.push_str(&format!("{name};{}\n", cells.join(";")));
    }
    let path = dir.join("ps2021.csv");
    std::fs::write(&path, csv).unwrap();
    (path, seats)
}

#[test]
fn chamber_2021_from_csu_votes_gives_csu_seats() {
    let dir = tempfile::tempdir().unwrap();
    let (file, published) = ps2021_table(dir.path());
    let (ok, out, err) = seats(&[
        "--election",
        "ps",
        "--year",
        "2021",
        "--votes",
        file.to_str().unwrap(),
        "--seats",
        "200",
        "--coalition",
        "SPOLU – ODS, KDU-ČSL, TOP 09=3",
        "--coalition",
        "PIRÁTI a STAROSTOVÉ=2",
        "--coalition",
        "Trikolora Svobodní Soukromníci=3",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    for (party, s) in &published {
        let ours = json["parties"]
            .get(party)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        assert_eq!(ours, u64::from(*s), "{party}");
    }
    assert_eq!(
        json["parties"].as_object().unwrap().len(),
        4,
        "parties with no seat are omitted"
    );
    assert_eq!(
        json["constituencies"]["Hl. m. Praha"]["SPOLU – ODS, KDU-ČSL, TOP 09"],
        11
    );
    assert_eq!(json["constituencies"].as_object().unwrap().len(), 14);

    let (ok, human, _) = seats(&[
        "--election",
        "ps",
        "--year",
        "2021",
        "--votes",
        file.to_str().unwrap(),
        "--seats",
        "200",
    ]);
    assert!(ok);
    assert!(
        human.contains("ANO 2011") && human.contains("celkem"),
        "{human}"
    );
}

#[test]
fn regional_and_european_tables() {
    let dir = tempfile::tempdir().unwrap();
    // Středočeský kraj 2020 (see volby-mandaty's tests for the sources): 65 seats.
    let file = dir.path().join("kz.csv");
    std::fs::write(
        &file,
        "party;Středočeský\nSTAN;92903\nODS;82695\nANO;77566\nPiráti;60284\nSpojenci;24650\nSPD;19398\nČSSD;18912\nKSČM;17847\nTrikolóra;13603\nostatní do 1 %;11343\n",
    )
    .unwrap();
    let (ok, out, err) = seats(&[
        "--election",
        "kz",
        "--year",
        "2020",
        "--votes",
        file.to_str().unwrap(),
        "--seats",
        "65",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "{\"parties\": {\"STAN\": 18, \"ODS\": 16, \"ANO\": 15, \"Piráti\": 12, \"Spojenci\": 4}, \"constituencies\": {\"Středočeský\": {\"STAN\": 18, \"ODS\": 16, \"ANO\": 15, \"Piráti\": 12, \"Spojenci\": 4}}}\n"
    );
    // European Parliament 2014, the seven lists above 5 % (votes split over two columns,
    // which the national constituency adds up): 4, 4, 4, 3, 3, 2, 1.
    std::fs::write(
        &file,
        "party;část 1;část 2\nANO;244000;501\nTOP 09 a Starostové;241747;0\nČSSD;200000;14800\nKSČM;166478;0\nKDU-ČSL;150792;0\nODS;116389;0\nSvobodní;79540;0\n",
    )
    .unwrap();
    let (ok, out, err) = seats(&[
        "--election",
        "ep",
        "--year",
        "2014",
        "--votes",
        file.to_str().unwrap(),
        "--seats",
        "21",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("\"constituencies\": {\"ČR\": {\"ANO\": 4, \"TOP 09 a Starostové\": 4, \"ČSSD\": 4, \"KSČM\": 3, \"KDU-ČSL\": 3, \"ODS\": 2, \"Svobodní\": 1}}"), "{out}");
}

#[test]
fn bad_input_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, "party;A;B\nX;1;2\nY;3;x\n").unwrap();
    let (ok, _, err) = seats(&[
        "--election",
        "ep",
        "--year",
        "2019",
        "--votes",
        file.to_str().unwrap(),
        "--seats",
        "21",
    ]);
    assert!(!ok);
    assert!(err.contains("bad.csv:3") && err.contains("`x`"), "{err}");
    std::fs::write(&file, "party;A\nX;1\n").unwrap();
    let (ok, _, err) = seats(&[
        "--election",
        "ps",
        "--year",
        "2021",
        "--votes",
        file.to_str().unwrap(),
        "--seats",
        "200",
        "--coalition",
        "Z=2",
    ]);
    assert!(!ok);
    assert!(err.contains("no party `Z`"), "{err}");
    let (ok, _, err) = seats(&[
        "--election",
        "ps",
        "--year",
        "1998",
        "--votes",
        file.to_str().unwrap(),
        "--seats",
        "200",
    ]);
    assert!(!ok && err.contains("1998"), "{err}");
    let (ok, _, err) = seats(&[
        "--election",
        "ps",
        "--year",
        "2021",
        "--votes",
        "/nonexistent.csv",
        "--seats",
        "200",
    ]);
    assert!(!ok && err.contains("/nonexistent.csv"), "{err}");
}
