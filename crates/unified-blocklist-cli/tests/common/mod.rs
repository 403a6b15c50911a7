//! Shared by the update tests: a real nkod-server over the bundled snapshot with its own copy
//! of the distribution files, update options against it, and checks every test applies to
//! the publications it makes.
#![allow(dead_code)]

use nkod_server::{NkodServer, RunningServer, ServerConfig, SnapshotSource};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use unified_blocklist::config::Config;
use unified_blocklist::rows::{ListRow, read_decree_csv};
use unified_blocklist::update::{UpdateOptions, files};

pub const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata");

pub const MF_FILE: &str = "mf-seznam-nepovolenych-internetovych-her.cp1250.csv";
pub const SUKL_FILE: &str = "sukl-nelegalni-stranky-lp.csv";
pub const SZPI_FILE: &str = "szpi-blokovane-weby.csv";
pub const USKVBL_FILE: &str = "uskvbl-nelegalni-vlp.csv";

pub const MF: &str = "Ministerstvo financí";
pub const SUKL: &str = "Státní ústav pro kontrolu léčiv";
pub const SZPI: &str = "Státní zemědělská a potravinářská inspekce";
pub const USKVBL: &str = "Ústav pro státní kontrolu veterinárních biopreparátů a léčiv";
pub const MZV: &str = "Ministerstvo zahraničních věcí";

pub const SZPI_DATASET: &str =
    "https://data.gov.cz/zdroj/datové-sady/75014149/4760606f1d6f0add4cd93d1723297b87";
pub const COI_DATASET: &str =
    "https://data.gov.cz/zdroj/datové-sady/00020869/57ff4f1f2b5917284926fe61e4d08ff0";

pub fn day(d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

/// Options against `nkod`, with short timeouts, a fixed validity date and the bundled MZV
/// entries seeded (as the embedded default does).
pub fn options(tmp: &Path, nkod: &str) -> UpdateOptions {
    let mut options = UpdateOptions::from_config(&Config::default());
    options.nkod = nkod.to_owned();
    options.out = tmp.join("out");
    options.state = tmp.join("state");
    options.http.request_timeout = Duration::from_secs(2);
    options.http.deadline = Duration::from_secs(4);
    options.http.max_attempts = 2;
    options.http.backoff_initial = Duration::from_millis(50);
    options.valid_as_of = Some(day(22));
    options.seed_manual = true;
    options
}

/// The bundled snapshot, with the distractor datasets' download URLs on the serving
/// nkod-server instead of the authorities' hosts, so that no test can reach the internet
/// when discovery looks at a publisher's other datasets.
pub fn snapshot_text() -> String {
    let text = std::fs::read_to_string(format!("{TESTDATA}/nkod/snapshot.trig")).unwrap();
    let re = regex::Regex::new(r"<https?://[^>\s]*/soubory/").unwrap();
    re.replace_all(&text, "<soubory/").into_owned()
}

/// Removes one dataset's named graph from a snapshot.
pub fn without_dataset(snapshot: &str, iri: &str) -> String {
    let start = snapshot
        .find(&format!("<{iri}> {{\n"))
        .expect("the dataset's graph is in the snapshot");
    let end = start + snapshot[start..].find("\n}\n").unwrap() + 3;
    format!("{}{}", &snapshot[..start], &snapshot[end..])
}

/// A catalogue over `snapshot` (the bundled one when `None`) with its own copy of the
/// distribution files.
pub fn catalogue(tmp: &Path, snapshot: Option<String>) -> (RunningServer, PathBuf) {
    let files = tmp.join("soubory");
    std::fs::create_dir_all(&files).unwrap();
    for entry in std::fs::read_dir(Path::new(TESTDATA).join("nkod/soubory")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), files.join(entry.file_name())).unwrap();
    }
    let source = SnapshotSource::Trig {
        text: snapshot.unwrap_or_else(snapshot_text),
        origin: "test snapshot".into(),
    };
    let server = NkodServer::start(ServerConfig::new(source).with_files_dir(&files)).unwrap();
    (server, files)
}

/// Every file of the current publication with its bytes, plus the link target.
pub fn snapshot_of(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let target = std::fs::read_link(out).unwrap();
    files.insert(
        "->".to_owned(),
        target.to_string_lossy().as_bytes().to_vec(),
    );
    fn walk(dir: &Path, prefix: &str, files: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &format!("{name}/"), files);
            } else {
                files.insert(name, std::fs::read(entry.path()).unwrap());
            }
        }
    }
    walk(out, "", &mut files);
    files
}

/// The published decree rows.
pub fn rows(out: &Path) -> Vec<ListRow> {
    read_decree_csv(&std::fs::read(out.join(files::DECREE_CSV)).unwrap()).unwrap()
}

/// The published rows of one authority.
pub fn rows_of(out: &Path, authority: &str) -> Vec<ListRow> {
    rows(out)
        .into_iter()
        .filter(|r| r.source == authority)
        .collect()
}

/// `stav.json` of the current publication.
pub fn status(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join(files::STATUS)).unwrap()).unwrap()
}

/// One source in `stav.json`.
pub fn status_of(out: &Path, id: &str) -> serde_json::Value {
    status(out)["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} not in stav.json"))
}

/// `verify` on every archived publication: each rebuilds byte for byte.
pub fn verify_all(out: &Path) {
    let days = unified_blocklist::verify::archived_days(out).unwrap();
    assert!(!days.is_empty());
    for day in days {
        let report = unified_blocklist::verify::verify(out, Some(day)).unwrap();
        assert!(report.identical(), "{day}: {:#?}", report.differences);
        assert!(report.checked.len() >= 15, "{:?}", report.checked);
    }
}
