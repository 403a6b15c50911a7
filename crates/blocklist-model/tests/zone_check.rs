//! Tier `blocklist-zone`: the RPZ zone of the real lists passes BIND's `named-checkzone`.
//! Run with `cargo xtask tier blocklist-zone` (needs Debian's `bind9-utils`).

use blocklist_model::{
    LandingNames, NaiveDate, RpzAction, RpzOptions, SourceConfig, UnifiedList, WwwPolicy,
    next_serial, read_source, write_rpz,
};

fn real_list() -> UnifiedList {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/blocklists/");
    let files = [
        "current/mf-seznam-nepovolenych-internetovych-her.cp1250.csv",
        "current/sukl-nelegalni-stranky-lp.csv",
        "current/szpi-blokovane-weby.csv",
        "current/uskvbl-nelegalni-vlp.csv",
        "mzv/mzv-sankcni-seznam.csv",
    ];
    let reads = SourceConfig::known_sources()
        .iter()
        .zip(files)
        .map(|(source, file)| {
            let bytes = std::fs::read(format!("{root}{file}")).unwrap();
            read_source(source, &bytes).unwrap().entries
        })
        .collect::<Vec<_>>();
    UnifiedList::merge_sources(NaiveDate::from_ymd_opt(2026, 8, 18).unwrap(), reads)
}

fn check(options: &RpzOptions, name: &str) {
    let checkzone = std::env::var("NAMED_CHECKZONE").expect(
        "NAMED_CHECKZONE names the named-checkzone binary; run `cargo xtask tier blocklist-zone`",
    );
    let mut zone = Vec::new();
    let report = write_rpz(&real_list(), options, &mut zone).unwrap();
    assert!(report.hosts > 3900, "{report:?}");
    let path = std::env::temp_dir().join(format!("blocklist-{}-{name}.rpz", std::process::id()));
    std::fs::write(&path, &zone).unwrap();
    let out = std::process::Command::new(checkzone)
        .args(["-i", "full", "-k", "fail", "-n", "fail", &options.origin])
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "named-checkzone rejected the zone:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let serial = options.serial.to_string();
    assert!(
        stdout.contains(&format!("loaded serial {serial}")),
        "{stdout}"
    );
}

#[test]
#[ignore = "tier blocklist-zone: cargo xtask tier blocklist-zone"]
fn nxdomain_zone_passes_named_checkzone() {
    let serial = next_serial(
        Some(2026081700),
        NaiveDate::from_ymd_opt(2026, 8, 18).unwrap(),
    )
    .unwrap();
    check(&RpzOptions::new("rpz.example.cz", serial), "nxdomain");
}

#[test]
#[ignore = "tier blocklist-zone: cargo xtask tier blocklist-zone"]
fn landing_zone_passes_named_checkzone() {
    let mut options = RpzOptions::new("rpz.example.cz.", 2026081801);
    options.action = RpzAction::Landing {
        ipv4: Some("192.0.2.80".parse().unwrap()),
        ipv6: Some("2001:db8::80".parse().unwrap()),
    };
    options.www = WwwPolicy::AsListed;
    check(&options, "landing");
}

#[test]
#[ignore = "tier blocklist-zone: cargo xtask tier blocklist-zone"]
fn nodata_zone_with_provenance_passes_named_checkzone() {
    let mut options = RpzOptions::new("rpz.example.cz", 2026081802);
    options.action = RpzAction::Nodata;
    options.provenance = true;
    check(&options, "nodata-provenance");
}

#[test]
#[ignore = "tier blocklist-zone: cargo xtask tier blocklist-zone"]
fn landing_cname_zone_passes_named_checkzone() {
    let mut options = RpzOptions::new("rpz.example.cz", 2026081803);
    options.action = RpzAction::LandingCname(LandingNames {
        by_authority: [(
            "Ministerstvo financí".to_owned(),
            "hazard.blokace.example.cz".to_owned(),
        )]
        .into(),
        default: Some("blokace.example.cz.".to_owned()),
    });
    options.provenance = true;
    check(&options, "landing-cname");
}
