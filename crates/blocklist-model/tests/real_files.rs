//! The readers, merge and exports on the real local lists in `testdata/blocklists/`.

use blocklist_model::{
    DECREE_HEADER, DateStyle, Layout, NaiveDate, ReaderKind, RpzOptions, Severity, SourceConfig,
    SourceCounts, SourceRead, TextEncoding, UnifiedList, WwwPolicy, read_source, write_decree_csv,
    write_plain_hosts, write_rpz,
};

fn data(path: &str) -> Vec<u8> {
    let full = format!(
        "{}/../../testdata/blocklists/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn source(kind: ReaderKind) -> SourceConfig {
    SourceConfig::known_sources()
        .into_iter()
        .find(|s| s.reader == kind)
        .expect("a known source")
}

fn read(kind: ReaderKind, path: &str) -> SourceRead {
    read_source(&source(kind), &data(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const MF: &str = "current/mf-seznam-nepovolenych-internetovych-her.cp1250.csv";
const MF_OLD: &str =
    "historical/mf-seznam-nepovolenych-internetovych-her.2023-12-30.old-columns.cp1250.csv";
const SUKL: &str = "current/sukl-nelegalni-stranky-lp.csv";
const SZPI: &str = "current/szpi-blokovane-weby.csv";
const USKVBL: &str = "current/uskvbl-nelegalni-vlp.csv";
const USKVBL_OLD: &str = "historical/uskvbl-nelegalni-vlp.2024-03-12.semicolon-bom.csv";
const USKVBL_EMPTY: &str = "historical/uskvbl-nelegalni-vlp.2023-07-24.header-only-empty-row.csv";
const USKVBL_BOM_ONLY: &str = "historical/uskvbl-nelegalni-vlp.2023-06-24.bom-only.csv";
const MZV: &str = "mzv/mzv-sankcni-seznam.csv";
const CTU: &str = "ctu/ctu-jednotny-seznam.synthetic-fixture.csv";

#[allow(clippy::too_many_arguments)]
fn counts(
    rows: usize,
    websites: usize,
    applications: usize,
    payment_accounts: usize,
    active: usize,
    removed: usize,
    not_dns_blockable: usize,
    rejected: usize,
    diagnostics: usize,
) -> SourceCounts {
    SourceCounts {
        rows,
        websites,
        applications,
        payment_accounts,
        entries: active + removed,
        active,
        removed,
        not_dns_blockable,
        rejected,
        diagnostics,
    }
}

#[test]
fn mf_current_counts_and_format() {
    let r = read(ReaderKind::Mf, MF);
    assert_eq!(r.counts, counts(3483, 3464, 13, 6, 3406, 58, 7, 0, 0));
    assert_eq!(r.format.encoding, TextEncoding::Windows1250);
    assert_eq!(r.format.layout, Layout::Mf8);
    assert_eq!(r.format.delimiter, b';');
    assert_eq!(r.format.dates, DateStyle::Czech);
    // The legal basis comes from "Důvody zápisu na Seznam", `;` inside quotes included.
    let first = &r.entries[0];
    assert_eq!(first.url(), "1xbet.com");
    assert_eq!(first.legal_basis(), Some("§ 84a odst. 2 písm. a) ZHH"));
    assert_eq!(first.removed(), Some(date(2023, 1, 4)));
    // The IDN entry that the community tool loses.
    let idn = r
        .entries
        .iter()
        .find(|e| e.url() == "mezinárodníonlinecasino.com")
        .expect("the IDN entry is read from windows-1250");
    assert_eq!(idn.host(), Some("xn--mezinrodnonlinecasino-e0b4z.com"));
    assert!(idn.dns_blockable());
    // Path entries are kept as published and are not DNS-blockable.
    let paths: Vec<&str> = r
        .entries
        .iter()
        .filter(|e| e.has_path())
        .map(|e| e.url())
        .collect();
    assert_eq!(paths.len(), 7);
    assert!(paths.contains(&"lobby.uptownaces.eu/lobby"));
    assert!(paths.contains(&"casino.help/online-casino"));
    assert!(
        r.entries
            .iter()
            .filter(|e| e.has_path())
            .all(|e| !e.dns_blockable())
    );
    // Exact duplicates collapse on merge; re-listings (later entry date) stay.
    let list = UnifiedList::merge(date(2026, 8, 18), r.entries);
    assert_eq!(list.collapsed_duplicates(), 10);
    assert_eq!(list.len(), 3454);
    let mut by_url = std::collections::BTreeMap::<&str, usize>::new();
    for e in list.entries() {
        *by_url.entry(e.url()).or_default() += 1;
    }
    let relisted = by_url.values().filter(|&&n| n > 1).count();
    assert_eq!(relisted, 2);
}

#[test]
fn mf_historical_six_columns() {
    let r = read(ReaderKind::Mf, MF_OLD);
    assert_eq!(r.counts, counts(910, 910, 0, 7, 856, 54, 0, 0, 0));
    assert_eq!(r.format.layout, Layout::Mf6);
    assert_eq!(r.entries[0].url(), "1xbet.com");
    assert_eq!(r.entries[0].legal_basis(), None);
}

#[test]
fn sukl_counts() {
    let r = read(ReaderKind::Sukl, SUKL);
    assert_eq!(r.counts, counts(553, 553, 0, 0, 546, 7, 1, 0, 0));
    assert!(r.format.bom);
    assert_eq!(r.format.layout, Layout::Decree);
    assert_eq!(r.format.dates, DateStyle::Czech);
    let plushair = r
        .entries
        .iter()
        .find(|e| e.url() == "https://plushair.cz/")
        .unwrap();
    assert_eq!(plushair.host(), Some("plushair.cz"));
    assert!(plushair.dns_blockable());
    let with_path = r.entries.iter().find(|e| !e.dns_blockable()).unwrap();
    assert_eq!(with_path.url(), "https://tripadelicashop.com/cs/");
    let scheme = r.entries.iter().filter(|e| e.url().contains("://")).count();
    assert_eq!(scheme, 140);
}

#[test]
fn szpi_counts() {
    let r = read(ReaderKind::Szpi, SZPI);
    assert_eq!(r.counts, counts(8, 8, 0, 0, 7, 1, 0, 0, 0));
    assert_eq!(r.format.dates, DateStyle::Iso);
    // No final newline: the last row is still read.
    assert_eq!(r.entries.last().unwrap().url(), "mycoczechia.com");
}

#[test]
fn uskvbl_current_and_historical() {
    let r = read(ReaderKind::Uskvbl, USKVBL);
    assert_eq!(r.counts, counts(7, 7, 0, 0, 7, 0, 0, 0, 0));
    assert_eq!((r.format.delimiter, r.format.bom), (b',', false));
    assert_eq!(r.entries[0].host(), Some("www.blissforcats.com"));
    assert!(r.entries[0].leading_www());
    let old = read(ReaderKind::Uskvbl, USKVBL_OLD);
    assert_eq!(old.counts, counts(7, 7, 0, 0, 7, 0, 0, 0, 0));
    assert_eq!((old.format.delimiter, old.format.bom), (b';', true));
    assert_eq!(old.format.dates, DateStyle::Czech);
    // The trailing space in "www.fipcats.com " is trimmed.
    assert_eq!(old.entries[3].url(), "www.fipcats.com");
    // Both variants give the same hosts and dates.
    let key = |r: &SourceRead| -> Vec<_> {
        r.entries
            .iter()
            .map(|e| (e.host().map(str::to_owned), e.entered()))
            .collect()
    };
    assert_eq!(key(&r), key(&old));
}

#[test]
fn uskvbl_while_it_had_no_entries() {
    // For months ÚSKVBL published a header and one row of empty fields: a valid, empty list.
    let r = read(ReaderKind::Uskvbl, USKVBL_EMPTY);
    assert!(r.entries.is_empty());
    assert_eq!(r.counts.rows, 1);
    assert_eq!(r.counts.rejected, 0);
    assert_eq!((r.format.delimiter, r.format.bom), (b';', true));
    assert_eq!(r.diagnostics.len(), 1);
    assert_eq!(r.diagnostics[0].problem, blocklist_model::Problem::EmptyRow);
    assert_eq!(r.diagnostics[0].severity, Severity::Warning);
    // A month earlier the download was a BOM and a line end: no header, a format error.
    let config = source(ReaderKind::Uskvbl);
    let e = read_source(&config, &data(USKVBL_BOM_ONLY)).unwrap_err();
    assert!(
        matches!(e.kind, blocklist_model::FormatErrorKind::Empty { .. }),
        "{e}"
    );
    // Both carry (or lack) the decree's columns in the header.
    assert!(blocklist_model::has_decree_columns(&data(USKVBL_EMPTY)));
    assert!(!blocklist_model::has_decree_columns(&data(USKVBL_BOM_ONLY)));
    assert!(blocklist_model::has_decree_columns(&data(SUKL)));
    assert!(!blocklist_model::has_decree_columns(&data(MF)));
}

#[test]
fn mzv_sanctions_hand_kept() {
    let r = read(ReaderKind::MzvSanctions, MZV);
    assert_eq!(r.counts, counts(2, 2, 0, 0, 2, 0, 0, 0, 0));
    assert_eq!(r.format.layout, Layout::Unified);
    assert_eq!(r.entries[0].authority(), "Ministerstvo zahraničních věcí");
    assert_eq!(r.entries[0].dataset(), "Vnitrostátní sankční seznam");
    assert!(r.entries[0].legal_basis().unwrap().contains("1/2023 Sb."));
}

#[test]
fn ctu_fixture_with_the_generic_reader() {
    let config = SourceConfig::new("Český telekomunikační úřad", "-", ReaderKind::Decree);
    let r = read_source(&config, &data(CTU)).unwrap();
    // 14 rows: one without an address is rejected, `javascript:alert(1)` is kept as published
    // with a warning, paths, the query and the IP literal are not DNS-blockable.
    assert_eq!(r.counts, counts(14, 14, 0, 0, 12, 1, 5, 1, 2));
    let errors: Vec<u64> = r
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.line)
        .collect();
    assert_eq!(errors, [14]);
    // Per-row ZDROJ values are kept, quoted commas included.
    assert!(
        r.entries
            .iter()
            .any(|e| e.authority() == "Ministerstvo financí, odbor 34")
    );
    let idn = r
        .entries
        .iter()
        .find(|e| e.url() == "mezinárodní.example")
        .unwrap();
    assert_eq!(idn.host(), Some("xn--mezinrodn-41a0l.example"));
}

fn all_current() -> UnifiedList {
    let reads = [
        read(ReaderKind::Mf, MF),
        read(ReaderKind::Sukl, SUKL),
        read(ReaderKind::Szpi, SZPI),
        read(ReaderKind::Uskvbl, USKVBL),
        read(ReaderKind::MzvSanctions, MZV),
    ];
    UnifiedList::merge(date(2026, 8, 18), reads.into_iter().flat_map(|r| r.entries))
}

#[test]
fn merged_list_and_decree_csv_round_trip() {
    let list = all_current();
    assert_eq!(list.len(), 3454 + 553 + 8 + 7 + 2);
    let by = list.count_by_authority();
    assert_eq!(by["Ministerstvo financí"], 3454);
    assert_eq!(by["Státní ústav pro kontrolu léčiv"], 553);
    // Ordered by entry date, then address without case (Unicode case folding), then by code
    // point.
    let key = |e: &blocklist_model::Entry| {
        (
            e.entered(),
            e.url().to_lowercase(),
            e.url().as_bytes().to_vec(),
        )
    };
    for w in list.entries().windows(2) {
        assert!(
            key(&w[0]) <= key(&w[1]),
            "{:?} > {:?}",
            w[0].url(),
            w[1].url()
        );
    }
    // The decree orders ties "alphabetically by address": MF's `1x-bet.com` and `1XHOV.XYZ`,
    // both entered on 2018-02-15, in the order a reader expects (code-point order would put
    // the upper-case address first).
    let day: Vec<&str> = list
        .entries()
        .iter()
        .filter(|e| e.entered() == date(2018, 2, 15))
        .map(blocklist_model::Entry::url)
        .collect();
    let pos = |url: &str| day.iter().position(|u| *u == url).unwrap();
    assert!(pos("1x-bet.com") < pos("1XHOV.XYZ"), "{day:?}");
    assert!(pos("1XHOV.XYZ") < pos("bk-1x-bet.com"), "{day:?}");
    let mut csv = Vec::new();
    let rows = write_decree_csv(&list, &mut csv).unwrap();
    assert_eq!(rows as usize, list.len());
    let text = std::str::from_utf8(&csv).unwrap();
    assert!(text.starts_with(&format!("{DECREE_HEADER}\r\n")));
    assert!(text.contains("\r\n1xbet.com,2017-07-26,2023-01-04,Ministerstvo financí,Seznam nepovolených internetových her\r\n"));
    // Read back with the generic reader: the same list.
    let config = SourceConfig::new("unused", "unused", ReaderKind::Decree);
    let back = read_source(&config, &csv).unwrap();
    assert!(back.diagnostics.is_empty(), "{:?}", back.diagnostics);
    let back = UnifiedList::merge(list.valid_as_of(), back.entries);
    assert_eq!(back.len(), list.len());
    for (a, b) in list.entries().iter().zip(back.entries()) {
        assert_eq!(
            (
                a.url(),
                a.entered(),
                a.removed(),
                a.authority(),
                a.dataset()
            ),
            (
                b.url(),
                b.entered(),
                b.removed(),
                b.authority(),
                b.dataset()
            )
        );
    }
    let mut again = Vec::new();
    write_decree_csv(&back, &mut again).unwrap();
    assert_eq!(again, csv);
}

#[test]
fn rpz_zone_from_the_real_lists() {
    let list = all_current();
    let mut zone = Vec::new();
    let report = write_rpz(
        &list,
        &RpzOptions::new("rpz.example.cz", 2026081800),
        &mut zone,
    )
    .unwrap();
    let text = String::from_utf8(zone).unwrap();
    assert!(text.is_ascii());
    let owners: Vec<&str> = text
        .lines()
        .filter(|l| l.ends_with(" CNAME ."))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(owners.len(), report.hosts * 2);
    assert!(owners.iter().all(|o| !o.contains('/') && !o.contains(':')));
    // Each host once, with its wildcard, however many sources list it.
    let mut sorted = owners.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), owners.len());
    assert!(text.contains("\nxn--mezinrodnonlinecasino-e0b4z.com CNAME .\n*.xn--mezinrodnonlinecasino-e0b4z.com CNAME .\n"));
    // www.-listed hosts block the apex too.
    assert!(text.contains("\nwww.blissforcats.com CNAME .\n"));
    assert!(text.contains("\nblissforcats.com CNAME .\n"));
    // Removed and path entries are not in the zone.
    assert!(!text.contains("\n1xbet.com CNAME"));
    assert!(!text.contains("lobby.uptownaces.eu"));
    assert!(text.contains(" 2026081800 3600 600 604800 300 )"));

    let mut plain = Vec::new();
    let p = write_plain_hosts(&list, WwwPolicy::AlsoApex, &mut plain).unwrap();
    assert_eq!(p.hosts, report.hosts);
    let plain = String::from_utf8(plain).unwrap();
    assert_eq!(plain.lines().count(), report.hosts);
    assert_eq!(report.hosts, EXPECTED_BLOCKED_HOSTS);
}

/// Active DNS-blockable hosts of the five current sources, with `www.` apexes, each once.
const EXPECTED_BLOCKED_HOSTS: usize = 4001;
