//! Property tests: order independence, CSV round trip, normalisation invariants.

use std::sync::Arc;

use blocklist_model::{
    Entry, NaiveDate, ReaderKind, RpzOptions, SourceConfig, SourceLabel, UnifiedList, WwwPolicy,
    normalise_address, read_source, write_decree_csv, write_extended_csv, write_plain_hosts,
    write_rpz,
};
use proptest::prelude::*;

fn labels() -> Vec<Arc<SourceLabel>> {
    SourceConfig::known_sources()
        .iter()
        .map(|s| Arc::new(s.label()))
        .collect()
}

/// Addresses in the shapes the real lists use, plus awkward ones (commas, quotes, Unicode,
/// upper case), drawn from a small pool so that duplicates and ties are common.
fn address() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "1xbet.com",
            "www.1xbet.com",
            "https://www.1xbet.com/",
            "casino.help/online-casino",
            "mezinárodníonlinecasino.com",
            "Example.CZ",
            "example.cz",
            "a,b.cz",
            "\"quoted\".cz",
            "javascript:alert(1)",
            "203.0.113.10",
        ])
        .prop_map(str::to_owned),
        "[a-z0-9čšž]{1,8}\\.(cz|com|eu)(/[a-z]{0,3})?",
    ]
}

/// Address, entry day, days until removal, source index, legal-basis index.
type RawEntry = (String, u32, Option<u32>, usize, Option<usize>);

fn entry() -> impl Strategy<Value = RawEntry> {
    (
        address(),
        0u32..40,
        prop::option::of(0u32..60),
        0usize..5,
        prop::option::of(0usize..2),
    )
}

fn build(raw: &[RawEntry]) -> Vec<Entry> {
    let base = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let labels = labels();
    let bases: [Arc<str>; 2] = [Arc::from("§ 84a odst. 2 písm. a) ZHH"), Arc::from("jiný")];
    raw.iter()
        .map(|(url, entered, removed, source, basis)| {
            let entered = base + chrono::Days::new(u64::from(*entered));
            let removed = removed.map(|r| entered + chrono::Days::new(u64::from(r)));
            Entry::new(
                url,
                entered,
                removed,
                Arc::clone(&labels[*source]),
                basis.map(|b| Arc::clone(&bases[b])),
            )
        })
        .collect()
}

fn outputs(list: &UnifiedList) -> Vec<Vec<u8>> {
    let mut decree = Vec::new();
    write_decree_csv(list, &mut decree).unwrap();
    let mut extended = Vec::new();
    write_extended_csv(list, &mut extended).unwrap();
    let mut rpz = Vec::new();
    write_rpz(list, &RpzOptions::new("rpz.example.cz", 7), &mut rpz).unwrap();
    let mut plain = Vec::new();
    write_plain_hosts(list, WwwPolicy::AlsoApex, &mut plain).unwrap();
    vec![decree, extended, rpz, plain]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any permutation of the input rows gives byte-identical exports.
    #[test]
    fn permutation_gives_identical_output(
        (raw, shuffled) in prop::collection::vec(entry(), 0..60)
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle()))
    ) {
        let date = NaiveDate::from_ymd_opt(2020, 2, 1).unwrap();
        let a = UnifiedList::merge(date, build(&raw));
        let b = UnifiedList::merge(date, build(&shuffled));
        prop_assert_eq!(outputs(&a), outputs(&b));
    }

    /// The decree CSV read back by the generic reader gives the same list.
    #[test]
    fn decree_csv_round_trip(raw in prop::collection::vec(entry(), 1..60)) {
        let date = NaiveDate::from_ymd_opt(2020, 2, 1).unwrap();
        let list = UnifiedList::merge(date, build(&raw));
        let mut csv = Vec::new();
        write_decree_csv(&list, &mut csv).unwrap();
        let read = read_source(&SourceConfig::new("x", "y", ReaderKind::Decree), &csv).unwrap();
        prop_assert!(read.diagnostics.iter().all(|d| d.severity != blocklist_model::Severity::Error));
        let back = UnifiedList::merge(date, read.entries);
        let mut again = Vec::new();
        write_decree_csv(&back, &mut again).unwrap();
        prop_assert_eq!(csv, again);
    }

    /// Normalisation never panics, and a host it returns is lower-case ASCII without `/`,
    /// stable under a second normalisation.
    #[test]
    fn normalised_hosts_are_dns_names(s in "\\PC{0,40}") {
        if let Ok(n) = normalise_address(&s) {
            prop_assert!(n.host.is_ascii());
            prop_assert!(!n.host.contains('/'));
            prop_assert!(!n.host.bytes().any(|b| b.is_ascii_uppercase()));
            if !n.ip_literal {
                let again = normalise_address(&n.host).unwrap();
                prop_assert_eq!(again.host, n.host);
            }
        }
    }

    /// Every reader survives any bytes.
    #[test]
    fn readers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        for kind in ReaderKind::ALL {
            let _ = read_source(&SourceConfig::new("a", "b", kind), &bytes);
        }
    }
}
