//! The Senate (zákon 247/1995 Sb., part on the Senate): one senator per district
//! (volební obvod), a third of the 81 districts every two years, two rounds.
//!
//! Sources: § 75 in the consolidated wording 395/2000 Sb. (codexis, Czech text read);
//! § 76 odst. 2 and 4 in the English translation of the 1995 act in the Electoral Tribunal of
//! Mexico's thesaurus of electoral laws (te.gob.mx, vota_elections/thesaurus/article/1639):
//! "only the two strongest candidates who accrued the highest and the second highest number
//! of votes in the first round shall stand for election, however, if several candidates
//! received equally highest number of votes in the first round, all such candidates shall
//! qualify for the second ballot" and "the candidate who secures a majority of the popular
//! vote if there are two competitors, or a plurality if there are more than two competitors
//! shall be declared winner. Should both/all the candidates accumulate equivalent numbers of
//! votes, the winning candidate shall be decided by drawing lots." The Czech wording in force
//! was not available to us; no later amendment of these rules is known to us. § 77 (a finalist
//! who drops out is replaced): see [`round_one_standing`].

use crate::apportion::Lot;
use crate::error::{Error, Result, checked_sum};

/// The outcome of round one in a district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoundOne {
    /// A candidate won more than half of the valid votes and is elected.
    Elected(usize),
    /// Nobody did: these candidates go to round two a week later — normally the two with the
    /// most votes; more when votes are equal (§ 76 odst. 2), in input order.
    RunOff(Vec<usize>),
}

/// Round one of a district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundOneResult {
    /// Elected, or who goes to the run-off.
    pub outcome: RoundOne,
}

/// Round one: "Zvolen je kandidát, který obdržel nadpoloviční většinu odevzdaných platných
/// hlasů" (§ 75 in the wording of 395/2000 Sb.), compared in integers: `2·votes > valid`.
///
/// Otherwise (§ 76 odst. 2) the candidates with the highest and the second highest number of
/// votes go to round two. Equal votes send more than two: if several share the highest
/// number, all of them (and nobody with fewer); if one has the highest, every candidate with
/// the second highest number joins them. No lot is drawn in round one.
///
/// `valid_votes` is the district's valid votes (normally the sum of `votes`).
pub fn round_one(votes: &[u64], valid_votes: u64) -> Result<RoundOneResult> {
    round_one_standing(votes, valid_votes, &vec![true; votes.len()])
}

/// [`round_one`] when some candidates no longer stand (`standing[i]` false: withdrew, died or
/// lost eligibility after registration). Such a candidate is neither elected nor sent to
/// round two; the places go to the next candidates by votes, so a finalist who drops out is
/// replaced by the candidate placed third. Their votes stay among the valid votes.
///
/// Source \[sec\]: § 77 as restated by info.cz (2018, "Zemřelého kandidáta nahradí ten, který
/// skončil v prvním kole jako třetí. Stejně je řešena i situace, kdy by se jeden z finalistů
/// … rozhodl … odstoupit … Totéž by nastalo i v případě, kdyby jeden z účastníků druhého kola
/// pozbyl … právo být volen") and reflex.cz. The Czech wording of § 77 was not available to
/// us; equal votes at the replacement place send all of them (as § 76 odst. 2 does for the
/// second place, our reading), and a candidate no longer standing is not elected even with
/// a majority (the seat then goes through round two among those standing, our reading).
pub fn round_one_standing(
    votes: &[u64],
    valid_votes: u64,
    standing: &[bool],
) -> Result<RoundOneResult> {
    let sum = checked_sum(votes, "candidate votes")?;
    if sum > valid_votes {
        return Err(Error::Invalid(format!(
            "candidate votes add up to {sum}, more than the {valid_votes} valid votes"
        )));
    }
    if standing.len() != votes.len() {
        return Err(Error::Invalid(format!(
            "{} standing flags for {} candidates",
            standing.len(),
            votes.len()
        )));
    }
    if valid_votes == 0 || votes.is_empty() {
        return Err(Error::NoVotes(String::new()));
    }
    let eligible: Vec<(usize, u64)> = votes
        .iter()
        .zip(standing)
        .enumerate()
        .filter(|(_, (_, s))| **s)
        .map(|(i, (v, _))| (i, *v))
        .collect();
    let Some(highest) = eligible.iter().map(|&(_, v)| v).max() else {
        return Err(Error::Invalid("no candidate stands in the district".into()));
    };
    let with = |level: u64| -> Vec<usize> {
        eligible
            .iter()
            .filter(|&&(_, v)| v == level)
            .map(|&(i, _)| i)
            .collect()
    };
    let first = with(highest);
    if let [winner] = first[..]
        && u128::from(highest) * 2 > u128::from(valid_votes)
    {
        return Ok(RoundOneResult {
            outcome: RoundOne::Elected(winner),
        });
    }
    if first.len() >= 2 {
        return Ok(RoundOneResult {
            outcome: RoundOne::RunOff(first),
        });
    }
    let Some(second) = eligible
        .iter()
        .map(|&(_, v)| v)
        .filter(|&v| v < highest)
        .max()
    else {
        return Err(Error::Invalid(
            "a single candidate without a majority cannot go to a run-off".into(),
        ));
    };
    let mut pair = first;
    pair.extend(with(second));
    pair.sort_unstable();
    Ok(RoundOneResult {
        outcome: RoundOne::RunOff(pair),
    })
}

/// Round two (§ 76 odst. 4): with two candidates the one with more valid votes is elected,
/// with more than two the one with the most; equal votes at the top → lot. `votes[i]` are the
/// votes of the `i`-th run-off candidate; returns the winner's index into `votes` and the lot
/// (resolved by input order), if one was needed.
pub fn round_two(votes: &[u64]) -> Result<(usize, Option<Lot>)> {
    if votes.len() < 2 {
        return Err(Error::Invalid(format!(
            "a run-off needs at least two candidates, not {}",
            votes.len()
        )));
    }
    let highest = votes.iter().copied().max().unwrap_or(0);
    if highest == 0 {
        return Err(Error::NoVotes(String::new()));
    }
    let top: Vec<usize> = (0..votes.len())
        .filter(|&i| votes.get(i) == Some(&highest))
        .collect();
    let first = top.first().copied().unwrap_or(0);
    if top.len() == 1 {
        return Ok((first, None));
    }
    Ok((
        first,
        Some(Lot {
            rule: "§ 76 odst. 4 zákona 247/1995 Sb.: rovnost hlasů ve 2. kole, los",
            constituency: None,
            chosen: vec![first],
            contenders: top,
            places: 1,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_off(votes: &[u64]) -> Vec<usize> {
        match round_one(votes, votes.iter().sum()).unwrap().outcome {
            RoundOne::RunOff(c) => c,
            RoundOne::Elected(w) => panic!("{w} elected"),
        }
    }

    #[test]
    fn majority_is_strict() {
        assert_eq!(
            round_one(&[51, 49], 100).unwrap().outcome,
            RoundOne::Elected(0)
        );
        // Exactly half is no majority.
        assert_eq!(run_off(&[50, 30, 20]), vec![0, 1]);
        assert_eq!(run_off(&[20, 30, 50]), vec![1, 2]);
        // Valid votes may include votes not in `votes` (a withdrawn candidate's).
        assert_eq!(
            round_one(&[60, 30], 120).unwrap().outcome,
            RoundOne::RunOff(vec![0, 1])
        );
        assert!(round_one(&[60, 50], 100).is_err());
        assert!(round_one(&[], 0).is_err());
    }

    #[test]
    fn equal_votes_send_everyone_tied_to_round_two() {
        // § 76 odst. 2: all candidates with the second highest number join the first.
        assert_eq!(run_off(&[40, 30, 30]), vec![0, 1, 2]);
        assert_eq!(run_off(&[30, 40, 30, 0]), vec![0, 1, 2]);
        // Several with the highest number: only they go on.
        assert_eq!(run_off(&[35, 35, 30]), vec![0, 1]);
        assert_eq!(run_off(&[30, 30, 30, 10]), vec![0, 1, 2]);
        // Two candidates with equal votes: neither has a majority, both go on.
        assert_eq!(run_off(&[50, 50]), vec![0, 1]);
    }

    #[test]
    fn a_candidate_no_longer_standing_is_replaced_by_the_next() {
        let standing =
            |v: &[u64], s: &[bool]| round_one_standing(v, v.iter().sum(), s).unwrap().outcome;
        // The second-placed finalist withdrew: the third goes on (§ 77 as restated).
        assert_eq!(
            standing(&[40, 30, 20, 10], &[true, false, true, true]),
            RoundOne::RunOff(vec![0, 2])
        );
        // The first-placed withdrew: the second and the third go on.
        assert_eq!(
            standing(&[40, 30, 20, 10], &[false, true, true, true]),
            RoundOne::RunOff(vec![1, 2])
        );
        // Equal votes at the replacement place: all of them.
        assert_eq!(
            standing(&[40, 30, 15, 15], &[true, false, true, true]),
            RoundOne::RunOff(vec![0, 2, 3])
        );
        // A majority of a candidate no longer standing elects nobody.
        assert_eq!(
            standing(&[60, 25, 15], &[false, true, true]),
            RoundOne::RunOff(vec![1, 2])
        );
        // Everyone standing: the same as round_one.
        assert_eq!(standing(&[60, 25, 15], &[true; 3]), RoundOne::Elected(0));
        assert!(round_one_standing(&[5, 5], 10, &[false, false]).is_err());
        assert!(round_one_standing(&[5, 5], 10, &[true]).is_err());
        assert!(round_one_standing(&[5, 4], 10, &[true, false]).is_err());
    }

    #[test]
    fn round_two_plurality_and_lot() {
        assert_eq!(round_two(&[10, 11]).unwrap(), (1, None));
        assert_eq!(round_two(&[10, 30, 20]).unwrap().0, 1);
        let (w, lot) = round_two(&[7, 7]).unwrap();
        assert_eq!(w, 0);
        let lot = lot.unwrap();
        assert_eq!((lot.contenders, lot.places), (vec![0, 1], 1));
        let (_, lot) = round_two(&[5, 9, 9]).unwrap();
        assert_eq!(lot.unwrap().contenders, vec![1, 2]);
        assert!(round_two(&[0, 0]).is_err());
        assert!(round_two(&[5]).is_err());
    }
}
