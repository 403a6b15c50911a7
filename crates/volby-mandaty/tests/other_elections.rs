//! Regional, municipal and European Parliament seats against published official results.

use volby_mandaty::{european, municipal, regional};

/// Regional council of the Středočeský kraj, 2–3 October 2020: 65 seats.
///
/// Votes: ČSÚ's kraj table "Výsledky hlasování: Středočeský kraj" (volby.cz, kz2020) as
/// reproduced at https://www.nova-ves.cz/tag/stredocesky-kraj/ ("65 2065 1044056 424517 40,66
/// 423918 418201 98,65" and the 16 lists). Seats: "STAN mají v novém zastupitelstvu 18 křesel,
/// druhá ODS 16, Piráti 12 a Spojenci čtyři. ANO … získalo 15 mandátů",
/// https://eurozpravy.cz/domaci/politika/pirati-jednani-ve-strednich-cechach-potrvaji-nejmene-dva-tydny.0a47d0bb/
#[test]
fn regional_2020_stredocesky() {
    let lists = [
        ("DSZ – ZA PRÁVA ZVÍŘAT", 2772, 0),
        ("STAROSTOVÉ A NEZÁVISLÍ", 92903, 18),
        ("Svoboda a př. demokracie (SPD)", 19398, 0),
        ("Česká pirátská strana", 60284, 12),
        ("Moravané", 298, 0),
        ("Občanská demokratická strana", 82695, 16),
        ("Dělnic. str. sociální spravedl.", 906, 0),
        ("Česká str. sociálně demokrat.", 18912, 0),
        ("Spojenci – TOP09, Hlas, Zelení", 24650, 4),
        ("ANO 2011", 77566, 15),
        ("Komunistická str. Čech a Moravy", 17847, 0),
        ("Volte Pr. Blok www.cibulka.net", 611, 0),
        ("Občanská demokratická aliance", 1319, 0),
        ("Trikolóra hnutí občanů", 13603, 0),
        ("Svobodní", 2565, 0),
        ("ROZUMNÍ – Petr Hannig", 1872, 0),
    ];
    let votes: Vec<u64> = lists.iter().map(|l| l.1).collect();
    let r = regional(&votes, None, 65).unwrap();
    assert_eq!(r.total_votes, 418_201, "PLATNE_HLASY of the kraj");
    let expected: Vec<u32> = lists.iter().map(|l| l.2).collect();
    assert_eq!(r.seats, expected);
    // SPD (4.63 %) and ČSSD (4.52 %) stay below 5 %; a coalition needs only 5 % too.
    assert_eq!(r.threshold.passing_count(), 5);
}

/// European Parliament, 23–24 May 2014: 21 seats. The seven lists above 5 % and their
/// votes and seats: https://mzv.gov.cz/representation_brussels/en/events/european_elections_2014_in_the_czech.html
/// (the same votes as the Státní volební komise's announcement, 92/2014 Sb.). The 31 lists
/// below 5 % are left out (their votes were not available to us): they take no part in the
/// D'Hondt division, and every list here is above 5 % of the full total anyway.
#[test]
fn european_2014() {
    let votes = [244_501, 241_747, 214_800, 166_478, 150_792, 116_389, 79_540];
    let r = european(&votes, None, 21).unwrap();
    assert_eq!(r.seats, vec![4, 4, 4, 3, 3, 2, 1]);
    assert!(r.lots.is_empty());
}

/// Prague city council, 23–24 September 2022: 65 seats in one district. The published
/// shares (truncated to hundredths): SPOLU 24.72 %, ANO 19.34 %, Piráti 17.73 %, Praha sobě
/// 14.73 %, STAN 7.77 %, SPD 5.17 %; seats 19, 14, 13, 11, 5, 3,
/// https://www.lidovky.cz/domov/volby-komunalni-magistrat-praha-svoboda-hrib-primator-ods-spolu-ano-koalice-stan.A220924_205342_ln_domov_hma
/// ČSÚ's absolute votes were not available; the shares are used as votes (units of
/// 0.01 %), and the test checks that no truncation of a share could change the outcome.
#[test]
fn municipal_2022_praha() {
    // Below 5 %: Motoristé 2.29 %, Solidarita 2.02 %, KSČM 1.47 % (same source) and the
    // remaining 4.76 % of smaller lists (each below 5 %, so one row stands for them).
    let shares = [2472u64, 1934, 1773, 1473, 777, 517, 229, 202, 147];
    let others = 10_000 - shares.iter().sum::<u64>();
    let mut votes = shares.to_vec();
    votes.push(others);
    let full = vec![65; votes.len()];
    let r = municipal(&votes, &full, 65).unwrap();
    assert_eq!(r.seats, vec![19, 14, 13, 11, 5, 3, 0, 0, 0, 0]);
    assert_eq!(r.threshold.passing_count(), 6);
    // Each share was truncated by less than 0.01 %: raising any one by that changes nothing.
    for i in 0..6 {
        let mut v = votes.clone();
        v[i] += 1;
        assert_eq!(
            municipal(&v, &full, 65).unwrap().seats,
            r.seats,
            "list {i} + 0.01 %"
        );
    }
}
