//! The Chamber calculus against ČSÚ's published results (files in `testdata/volby/`, see its
//! PROVENANCE.md) and against figures published by the press.

mod common;

use common::{chamber_file, read};
use volby_mandaty::rules::ElectionType;
use volby_mandaty::{CandidateOrder, ChamberInput, ChamberRules, PreferenceRule, RuleSet, chamber};

fn members_by_name(names: &[String], coalitions: &[(&str, u32)]) -> Vec<u32> {
    names
        .iter()
        .map(|n| {
            coalitions
                .iter()
                .find(|(c, _)| c == n)
                .map_or(1, |&(_, k)| k)
        })
        .collect()
}

/// 2010: ČSÚ's PS 2013 test feed carries the results of 28–29 May 2010
/// (https://www.volby.cz/pls/ps2013test/vysledky, saved by economia/volebni-moduly).
#[test]
fn chamber_2010_seats_per_region_and_list() {
    let f = chamber_file("ps2013test_vysledky_iso-8859-2.xml");
    let members = vec![1; f.lists.len()];
    let rules = RuleSet::new(ElectionType::Chamber, 2010).unwrap();
    let r = chamber(
        &ChamberInput {
            votes: &f.votes,
            members: &members,
            candidates: None,
            seats: 200,
        },
        rules.chamber.unwrap(),
    )
    .unwrap();
    assert_eq!(r.republic_mandate_number, 26_154);
    assert_eq!(r.region_seats, f.region_seats, "§ 48 vs KRAJ/@POCMANDATU");
    assert_eq!(r.seats, f.seats, "MANDATY per region and list");
    assert_eq!(r.totals, f.totals, "MANDATY under CR");
    assert!(r.lots.is_empty());
    // ČSSD 56, ODS 53, TOP 09 41, KSČM 26, VV 24 (the official 2010 result).
    let mut seated: Vec<u32> = r.totals.iter().copied().filter(|&s| s > 0).collect();
    seated.sort_unstable();
    assert_eq!(seated, vec![24, 26, 41, 53, 56]);
}

/// 2010 elected candidates: the preferential votes of every candidate
/// (`ps2013test_vysledky_kandid`, https://www.volby.cz/pls/ps2013test/vysledky_kandid) give
/// exactly the MPs ČSÚ lists as `POSLANEC` for every region and list.
#[test]
fn chamber_2010_elected_candidates() {
    let f = chamber_file("ps2013test_vysledky_iso-8859-2.xml");
    let kandid = read("ps2013test_vysledky_kandid_iso-8859-2.xml");
    let rule = RuleSet::new(ElectionType::Chamber, 2010)
        .unwrap()
        .preference
        .unwrap();
    assert_eq!(rule, PreferenceRule::ShareOfListVotes { percent: 5 });
    let mut checked = 0;
    for (r, kraj) in kandid.all("KRAJ").enumerate() {
        for strana in kraj.one("STRANY").all("STRANA") {
            let k = strana.num("KSTRANA");
            let j = f.lists.iter().position(|&l| l == k).unwrap();
            let seats = f.seats[r][j];
            if seats == 0 {
                continue;
            }
            let list_votes = strana.num("POC_HLASU");
            assert_eq!(list_votes, f.votes[r][j]);
            // Ballot positions as listed (a withdrawn candidate leaves a gap).
            let cands: Vec<(u64, u64)> = kraj
                .one("KANDIDATI")
                .all("KANDIDAT")
                .filter(|c| c.num("KSTRANA") == k)
                .map(|c| (c.num("PORCISLO"), c.num("HLASY")))
                .collect();
            let prefs: Vec<u64> = cands.iter().map(|c| c.1).collect();
            let order = CandidateOrder::new(list_votes, &prefs, rule);
            let ours: Vec<u64> = order
                .elected_in_ballot_order(seats)
                .iter()
                .map(|&i| cands[i].0)
                .collect();
            assert_eq!(ours, f.elected[&(r, j)], "region {} list {k}", r + 1);
            checked += 1;
        }
    }
    assert_eq!(checked, 70, "region/list combinations with seats");
}

/// 2017 (https://www.volby.cz/pls/ps2017nss/vysledky as re-served in 2021): D'Hondt per region.
#[test]
fn chamber_2017_seats_per_region_and_list() {
    let f = chamber_file("ps2017_vysledky_utf8_served-2021.xml");
    let members = vec![1; f.lists.len()];
    let r = chamber(
        &ChamberInput {
            votes: &f.votes,
            members: &members,
            candidates: None,
            seats: 200,
        },
        ChamberRules::Dhondt2002,
    )
    .unwrap();
    assert_eq!(r.region_seats, f.region_seats);
    assert_eq!(r.seats, f.seats);
    assert_eq!(r.totals, f.totals);
    // ANO 78 (official result).
    assert_eq!(r.totals.iter().max(), Some(&78));
}

/// 2021 (https://www.volby.cz/pls/ps2021/vysledky): the first election under zákon
/// 189/2021 Sb. Coalitions: SPOLU (ODS, KDU-ČSL, TOP 09) 3 members, PIRÁTI a STAROSTOVÉ 2,
/// Trikolora Svobodní Soukromníci 3 (ČSÚ's party code list CVS, POCSTR_SLO).
#[test]
fn chamber_2021_seats_per_region_and_list() {
    let f = chamber_file("ps2021_vysledky.xml");
    let members = members_by_name(
        &f.names,
        &[
            ("SPOLU – ODS, KDU-ČSL, TOP 09", 3),
            ("PIRÁTI a STAROSTOVÉ", 2),
            ("Trikolora Svobodní Soukromníci", 3),
        ],
    );
    let r = chamber(
        &ChamberInput {
            votes: &f.votes,
            members: &members,
            candidates: None,
            seats: 200,
        },
        ChamberRules::Quota2021,
    )
    .unwrap();
    assert_eq!(r.region_seats, f.region_seats, "§ 48 = POCMANDATU in 2021");
    assert_eq!(
        r.seats, f.seats,
        "MANDATY per region and list (all 308 cells)"
    );
    assert_eq!(r.totals, f.totals);
    // ANO 72, SPOLU 71, PirSTAN 37, SPD 20.
    let s = r.scrutinies.as_ref().unwrap();
    assert_eq!(
        s.second.iter().sum::<u32>(),
        1,
        "one seat went to the second scrutiny"
    );
    assert_eq!(r.threshold.passing_count(), 4);
    // Exactly three regions gave a seat back under § 50 odst. 4 (Pardubický, Vysočina,
    // Olomoucký): the first scrutiny filled 199 seats.
    assert_eq!(s.first.iter().flatten().sum::<u32>(), 199);
}

/// The 2021 rules applied to 2017 and 2010: novinky.cz published what the Chamber would
/// have looked like ("Nejvíce by ztratilo vítězné ANO – místo 78 poslanců by mělo 69";
/// 2010: "ČSSD … by si ještě o jednoho poslance přilepšila, zatímco ODS by o tři přišla"),
/// https://www.novinky.cz/volby/clanek/volebni-zakon-jak-by-vypadala-snemovna-kdyby-nova-pravidla-platila-uz-driv-40362038
/// and iROZHLAS (DataRozhlas/hlasy-mandaty: "Hnutí ANO by mělo o devět poslanců méně,
/// naopak klub STAN by o tři poslance posílil").
#[test]
fn rules_of_2021_applied_to_earlier_elections() {
    let f = chamber_file("ps2017_vysledky_utf8_served-2021.xml");
    let members = vec![1; f.lists.len()];
    let r = chamber(
        &ChamberInput {
            votes: &f.votes,
            members: &members,
            candidates: None,
            seats: 200,
        },
        ChamberRules::Quota2021,
    )
    .unwrap();
    let ano = f.names.iter().position(|n| n == "ANO 2011").unwrap();
    let stan = f
        .names
        .iter()
        .position(|n| n == "STAROSTOVÉ A NEZÁVISLÍ")
        .unwrap();
    assert_eq!((f.totals[ano], r.totals[ano]), (78, 69));
    assert_eq!((f.totals[stan], r.totals[stan]), (6, 9));
    assert_eq!(r.totals.iter().sum::<u32>(), 200);

    let f = chamber_file("ps2013test_vysledky_iso-8859-2.xml");
    let members = vec![1; f.lists.len()];
    let r = chamber(
        &ChamberInput {
            votes: &f.votes,
            members: &members,
            candidates: None,
            seats: 200,
        },
        ChamberRules::Quota2021,
    )
    .unwrap();
    let cssd = f
        .names
        .iter()
        .position(|n| n.starts_with("Česká str.sociálně"))
        .unwrap();
    let ods = f
        .names
        .iter()
        .position(|n| n.starts_with("Občanská demokratická"))
        .unwrap();
    assert_eq!((f.totals[cssd], r.totals[cssd]), (56, 57));
    assert_eq!((f.totals[ods], r.totals[ods]), (53, 50));
}
