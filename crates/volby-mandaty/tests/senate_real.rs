//! The Senate (§§ 75–76 zákona 247/1995 Sb.) against published results of real districts.
//!
//! ČSÚ writes the candidates' shares truncated to two decimals (its Senate 2026 `vysledky.xml`,
//! see `czso-media-feed/tests/senate_kz.rs`), so a published share `p` pins the valid votes
//! `v` of a candidate with `n` votes to `⌊10000·n / v⌋ = 100·p`.

use volby_mandaty::senate::{RoundOne, round_one, round_two};

/// Hundredths of a per cent, truncated, as ČSÚ writes them.
fn share(n: u64, of: u64) -> u64 {
    n * 10_000 / of
}

/// The valid votes consistent with every `(votes, share in hundredths)` published.
fn valid_votes_for(published: &[(u64, u64)]) -> Vec<u64> {
    let (n, p) = published[0];
    // ⌊10000·n / v⌋ = p  ⇔  10000·n / (p + 1) < v ≤ 10000·n / p
    let range = (10_000 * n / (p + 1) + 1)..=(10_000 * n / p);
    range
        .filter(|&v| published.iter().all(|&(n, p)| share(n, v) == p))
        .collect()
}

/// Obvod 80 – Zlín, 2018, round two: Patrik Kunčar 11,117 votes (60.77 %), Libor Lukáš
/// 7,176 (39.22 %); Kunčar elected. Source: Kroměřížský deník, 13 Oct 2018, "Patrik Kunčar
/// porazil i počtvrté Libora Lukáše a obhájil tak senátorský post"
/// (https://kromerizsky.denik.cz/zpravy_region/patrik-kuncar-porazil-i-poctvrte-libora-lukase-a-obhajil-tak-senatorsky-post-20181013.html).
/// The shares also show the truncation: 7,176 of 18,293 is 39.228 %, published as 39.22.
#[test]
fn zlin_2018_round_two() {
    let votes = [11_117, 7_176];
    assert_eq!(round_two(&votes).unwrap(), (0, None));
    let valid: u64 = votes.iter().sum();
    assert_eq!(
        (share(votes[0], valid), share(votes[1], valid)),
        (6077, 3922)
    );
}

/// Obvod 11 – Domažlice, 2018, round one: Vladislav Vilímec 9,142 votes (21.49 %), Jan Látka
/// 9,136 (21.47 %), the other candidates fewer; both go to round two, "šest hlasů", the
/// smallest margin between the two advancing candidates that year (ČSÚ's vice-president E.
/// Krumpová). Sources: iROZHLAS, 7 Oct 2018
/// (https://www.irozhlas.cz/volby/volby-2018-komunalni-volby-senatni-volby-zajimavosti_1810071530_ako),
/// tn.nova.cz (shares), kurzy.cz 13 Oct 2018 (ČSÚ's press release). The district's valid votes
/// are not in the sources; the two shares pin them to 42,533–42,540, and the verdict is the
/// same for each (the other candidates' votes are among the valid votes, none reaching 9,136).
#[test]
fn domazlice_2018_round_one_six_votes() {
    let valid = valid_votes_for(&[(9_142, 2149), (9_136, 2147)]);
    assert_eq!(valid, (42_533..=42_540).collect::<Vec<_>>());
    for v in valid {
        let r = round_one(&[9_142, 9_136], v).unwrap();
        assert_eq!(r.outcome, RoundOne::RunOff(vec![0, 1]), "valid votes {v}");
    }
}

/// Obvod 62 – Prostějov, 2018, round one: Božena Sekaninová first with 18.68 %, Jitka
/// Chalánková second with 5,370 votes (12.68 %), Irena Blažková third with 5,365 — five votes
/// decided the run-off place; the others had less (Jaroslav Fidrmuc 12.3 %, eleven candidates).
/// Sources: iROZHLAS, 7 Oct 2018 (URL above: "Získala 5370 hlasů, v pořadí třetí kandidátka
/// ANO Irena Blažková jich dostala 5365"), eurozpravy.cz (18.68 % and 12.68 %). Chalánková's
/// share pins the valid votes to 42,317–42,350; for each, Sekaninová's 18.68 % is some count
/// between 7,905 and 7,915 votes, and every such count gives the same verdict.
#[test]
fn prostejov_2018_round_one_five_votes() {
    let valid = valid_votes_for(&[(5_370, 1268)]);
    assert_eq!((valid[0], valid[valid.len() - 1]), (42_317, 42_350));
    let mut checked = 0;
    for v in valid {
        for first in (7_900..7_920).filter(|&s| share(s, v) == 1868) {
            let r = round_one(&[first, 5_370, 5_365], v).unwrap();
            assert_eq!(r.outcome, RoundOne::RunOff(vec![0, 1]), "{first} of {v}");
            checked += 1;
        }
    }
    assert_eq!(checked, 145);
}

/// Obvod 75 – Karviná, 2026, round one, as ČSÚ published it once all 105 precincts were in:
/// `HLASY_1KOLO` 3,316 (Polách), 3,361 (Szyja), 2,961 (Staněk), 593 (Světnička), 8,009
/// (Brzyszkowská), 2,170 (Galia), 3,411 (Kazík) of `PLATNE_HLASY="23821"`, and its verdicts:
/// Brzyszkowská and Kazík `ZVOLEN_1KOLO="2.KOLO"` (Kazík second by 50 votes), everyone else
/// `NEZVOLEN`. Source: ČSÚ's live `https://volby.gov.cz/appdata/senat/20261009/odata/vysledky.xml`
/// of 10 Oct 2026 20:54, as kept in LenaOnTransit/ElectionAtlas
/// `scripts/czech-senate-2026-update/results.xml` (commit
/// eaedfdf1967d645d6723087508eb54b272ee300d).
#[test]
fn karvina_2026_round_one_as_csu_decided() {
    let votes = [3_316, 3_361, 2_961, 593, 8_009, 2_170, 3_411];
    assert_eq!(votes.iter().sum::<u64>(), 23_821);
    let r = round_one(&votes, 23_821).unwrap();
    assert_eq!(r.outcome, RoundOne::RunOff(vec![4, 6]));
    // ČSÚ's shares in the same document, truncated: 9.10 (Galia) and 2.48 (Světnička) where
    // rounding gives 9.11 and 2.49.
    let shares: Vec<u64> = votes.iter().map(|&v| share(v, 23_821)).collect();
    assert_eq!(shares, vec![1392, 1410, 1243, 248, 3362, 910, 1431]);
}
