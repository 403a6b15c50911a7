//! The Senate (zákon 247/1995 Sb., part on the Senate): one senator per district
//! (volební obvod), a third of the 81 districts every two years, two rounds.

use crate::apportion::Lot;
use crate::error::{Error, Result, checked_sum};

/// The outcome of round one in a district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoundOne {
    /// A candidate won more than half of the valid votes and is elected.
    Elected(usize),
    /// Nobody did: the two candidates with the most votes go to round two a week later.
    RunOff([usize; 2]),
}

/// Round one with any ties recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundOneResult {
    /// Elected, or who goes to the run-off.
    pub outcome: RoundOne,
    /// Ties for a run-off place, decided by lot (resolved here by input order).
    pub lots: Vec<Lot>,
}

/// Round one: "Zvolen je kandidát, který obdržel nadpoloviční většinu odevzdaných platných
/// hlasů" (§ 75 in the wording of 395/2000 Sb.), compared in integers: `2·votes > valid`.
/// Otherwise the two candidates with the most votes advance (§ 76). A tie for the second (or
/// first) run-off place is not settled in any text available to us; it is recorded as a lot
/// — we do not copy the presidential rule (zákon 275/2012 Sb.) under which all tied
/// candidates advance.
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
    let mut order: Vec<usize> = (0..votes.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(votes[i]));
    let best = order[0];
    if u128::from(votes[best]) * 2 > u128::from(valid_votes) {
        return Ok(RoundOneResult {
            outcome: RoundOne::Elected(best),
            lots: Vec::new(),
        });
    }
    if votes.len() == 1 {
        return Err(Error::Invalid(
            "a single candidate without a majority cannot go to a run-off".into(),
        ));
    }
    let mut lots = Vec::new();
    // Who is tied with the second place?
    let second_votes = votes[order[1]];
    let tied: Vec<usize> = (0..votes.len())
        .filter(|&i| votes[i] == second_votes)
        .collect();
    let above: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| votes[i] > second_votes)
        .collect();
    let places = 2 - above.len();
    let pair = if tied.len() > places {
        let chosen = tied[..places].to_vec();
        lots.push(Lot {
            rule: "§ 76 zákona 247/1995 Sb.: rovnost hlasů o postup do 2. kola",
            constituency: None,
            contenders: tied,
            places,
            chosen: chosen.clone(),
        });
        let mut pair = above;
        pair.extend(chosen);
        [pair[0], pair[1]]
    } else {
        [order[0], order[1]]
    };
    Ok(RoundOneResult {
        outcome: RoundOne::RunOff(pair),
        lots,
    })
}

/// Round two: the candidate with more valid votes is elected; equal votes → lot (reflex.cz;
/// the wording was not available to us). Returns the index (0 or 1) and the lot, if any.
pub fn round_two(votes: [u64; 2]) -> Result<(usize, Option<Lot>)> {
    if votes[0] == 0 && votes[1] == 0 {
        return Err(Error::NoVotes(String::new()));
    }
    Ok(match votes[0].cmp(&votes[1]) {
        std::cmp::Ordering::Greater => (0, None),
        std::cmp::Ordering::Less => (1, None),
        std::cmp::Ordering::Equal => (
            0,
            Some(Lot {
                rule: "2. kolo voleb do Senátu: rovnost hlasů, los",
                constituency: None,
                contenders: vec![0, 1],
                places: 1,
                chosen: vec![0],
            }),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_is_strict() {
        assert_eq!(
            round_one(&[51, 49], 100).unwrap().outcome,
            RoundOne::Elected(0)
        );
        assert_eq!(
            round_one(&[50, 30, 20], 100).unwrap().outcome,
            RoundOne::RunOff([0, 1])
        );
        assert_eq!(
            round_one(&[20, 30, 50], 100).unwrap().outcome,
            RoundOne::RunOff([2, 1])
        );
        let t = round_one(&[40, 30, 30], 100).unwrap();
        assert_eq!(t.outcome, RoundOne::RunOff([0, 1]));
        assert_eq!(t.lots[0].contenders, vec![1, 2]);
        let t = round_one(&[30, 30, 30, 10], 100).unwrap();
        assert_eq!(t.lots[0].places, 2);
        assert!(round_one(&[60, 50], 100).is_err());
        assert_eq!(round_two([10, 11]).unwrap().0, 1);
        assert!(round_two([7, 7]).unwrap().1.is_some());
    }
}
