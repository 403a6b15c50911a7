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
//! was not available to us; no later amendment of these rules is known to us.

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
    let sum = checked_sum(votes, "candidate votes")?;
    if sum > valid_votes {
        return Err(Error::Invalid(format!(
            "candidate votes add up to {sum}, more than the {valid_votes} valid votes"
        )));
    }
    if valid_votes == 0 || votes.is_empty() {
        return Err(Error::NoVotes(String::new()));
    }
    let highest = votes.iter().copied().max().unwrap_or(0);
    let first: Vec<usize> = (0..votes.len()).filter(|&i| votes[i] == highest).collect();
    if first.len() == 1 && u128::from(highest) * 2 > u128::from(valid_votes) {
        return Ok(RoundOneResult {
            outcome: RoundOne::Elected(first[0]),
        });
    }
    if first.len() >= 2 {
        return Ok(RoundOneResult {
            outcome: RoundOne::RunOff(first),
        });
    }
    if votes.len() == 1 {
        return Err(Error::Invalid(
            "a single candidate without a majority cannot go to a run-off".into(),
        ));
    }
    let second = votes
        .iter()
        .copied()
        .filter(|&v| v < highest)
        .max()
        .unwrap_or(0);
    let pair: Vec<usize> = (0..votes.len())
        .filter(|&i| votes[i] == highest || votes[i] == second)
        .collect();
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
    let top: Vec<usize> = (0..votes.len()).filter(|&i| votes[i] == highest).collect();
    if top.len() == 1 {
        return Ok((top[0], None));
    }
    Ok((
        top[0],
        Some(Lot {
            rule: "§ 76 odst. 4 zákona 247/1995 Sb.: rovnost hlasů ve 2. kole, los",
            constituency: None,
            chosen: vec![top[0]],
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
