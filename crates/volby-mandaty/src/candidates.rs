//! Who takes a list's seats: ballot order, changed by preferential votes; the rest of the
//! list become substitutes (*náhradníci*) in the same order.

/// The rule that lets candidates move ahead of the ballot order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreferenceRule {
    /// A candidate whose preferential votes reach `percent` % of the votes for the list (in
    /// the constituency) moves ahead; several such candidates are ordered by preferential
    /// votes, equal counts by ballot position; the others follow in ballot order.
    ///
    /// Chamber: zákon 247/1995 Sb., § 50 odst. 5–7 (5 % from 2010; 7 % in 2006 and 10 % in
    /// 2002 in earlier wordings). Regional councils: zákon 130/2000 Sb., § 43 odst. 5–6
    /// (5 % from 2012, 10 % until 2008). European Parliament: zákon 62/2003 Sb., § 48
    /// odst. 2–3 (5 %).
    ShareOfListVotes {
        /// The percentage.
        percent: u32,
    },
    /// Municipal councils (zákon 491/2001 Sb., § 45 odst. 4): a candidate whose votes reach
    /// `percent` % (110 %: "nejméně o 10 % více") of the list's average votes per candidate
    /// moves ahead, ordered by votes, equal counts by ballot position. The average is the
    /// list's votes divided by its candidates "vyjádřený celým číslem bez zaokrouhlení"
    /// (a whole number without rounding, i.e. truncated) — the statute's words as quoted by
    /// a public implementation that reproduces every KV 2022 candidate with it (and ~1,100
    /// not without); ČSÚ's worked example no. 9 (Sborník příkladů) needs it too (list A,
    /// 726 votes / 9 candidates: average 80, limit 88.0, so a candidate with 88 moves ahead).
    AboveListAverage {
        /// The percentage of the average (110).
        percent: u32,
    },
}

/// A list's candidates in the order they take seats: those preferred by the voters first,
/// then the rest in ballot order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateOrder {
    /// Ballot positions (0-based indices into the candidate votes) in entitlement order.
    pub order: Vec<usize>,
    /// How many at the front of `order` moved ahead on preferential votes.
    pub preferred: usize,
}

impl CandidateOrder {
    /// Orders a list's candidates.
    ///
    /// `list_votes` is the votes for the list in the constituency; `votes[i]` the
    /// (preferential) votes of the candidate at ballot position `i + 1`. For
    /// [`PreferenceRule::AboveListAverage`] the average is `list_votes / votes.len()`.
    ///
    /// The comparisons use the integers, never a rounded percentage
    /// (`100·pref ≥ percent·list_votes`).
    pub fn new(list_votes: u64, votes: &[u64], rule: PreferenceRule) -> Self {
        Self::without(list_votes, votes, &[], rule)
    }

    /// Like [`CandidateOrder::new`], leaving out the candidates marked in `withdrawn` (a
    /// candidate who withdrew or was recalled after the ballots were printed keeps a
    /// ballot position, is neither elected nor a substitute, and does not count in a
    /// municipal list's average). `withdrawn` may be shorter than `votes` (the rest stand).
    pub fn without(
        list_votes: u64,
        votes: &[u64],
        withdrawn: &[bool],
        rule: PreferenceRule,
    ) -> Self {
        let stands = |i: usize| !withdrawn.get(i).copied().unwrap_or(false);
        let standing = (0..votes.len()).filter(|&i| stands(i)).count() as u128;
        let qualifies = |v: u64| match rule {
            PreferenceRule::ShareOfListVotes { percent } => {
                list_votes > 0
                    && u128::from(v) * 100 >= u128::from(percent) * u128::from(list_votes)
            }
            PreferenceRule::AboveListAverage { percent } => {
                // v ≥ percent/100 · ⌊list_votes / n⌋   ⇔   100·v ≥ percent·⌊list_votes / n⌋
                list_votes > 0
                    && standing > 0
                    && 100 * u128::from(v)
                        >= u128::from(percent) * (u128::from(list_votes) / standing)
            }
        };
        // (index, votes, moves ahead) of every candidate still standing, in ballot order.
        let standing: Vec<(usize, u64, bool)> = votes
            .iter()
            .enumerate()
            .filter(|&(i, _)| stands(i))
            .map(|(i, &v)| (i, v, qualifies(v)))
            .collect();
        let mut preferred: Vec<(usize, u64)> = standing
            .iter()
            .filter(|c| c.2)
            .map(|&(i, v, _)| (i, v))
            .collect();
        // More votes first; equal votes keep ballot order (stable sort).
        preferred.sort_by_key(|&(_, v)| std::cmp::Reverse(v));
        let count = preferred.len();
        let mut order: Vec<usize> = preferred.into_iter().map(|(i, _)| i).collect();
        order.extend(standing.iter().filter(|c| !c.2).map(|&(i, _, _)| i));
        Self {
            order,
            preferred: count,
        }
    }

    /// The candidates elected to `seats` seats (in entitlement order) and the substitutes
    /// (in the order they would take a vacated seat).
    pub fn split(&self, seats: u32) -> (&[usize], &[usize]) {
        let seats = (seats as usize).min(self.order.len());
        self.order.split_at(seats)
    }

    /// The elected candidates' ballot positions in ballot order (as ČSÚ lists them).
    pub fn elected_in_ballot_order(&self, seats: u32) -> Vec<usize> {
        let mut elected = self.split(seats).0.to_vec();
        elected.sort_unstable();
        elected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_percent_moves_ahead() {
        // ČSSD in Praha 2010 (ps2013test): 96,706 votes, 4 seats; 5 % = 4,835.3.
        let mut prefs = vec![100u64; 20];
        prefs[0] = 15095;
        prefs[1] = 7744;
        prefs[5] = 7368;
        prefs[17] = 7723;
        prefs[2] = 4835; // just below 5 %
        let o = CandidateOrder::new(
            96706,
            &prefs,
            PreferenceRule::ShareOfListVotes { percent: 5 },
        );
        assert_eq!(o.preferred, 4);
        assert_eq!(&o.order[..5], &[0, 1, 17, 5, 2]);
        assert_eq!(o.elected_in_ballot_order(4), vec![0, 1, 5, 17]);
        let (elected, substitutes) = o.split(4);
        assert_eq!(elected, &[0, 1, 17, 5]);
        assert_eq!(substitutes[0], 2);
    }

    #[test]
    fn municipal_average_rule() {
        // svobodni.slany.cz example: 5 candidates, 3,145 votes, average 629, 110 % = 691.9.
        let o = CandidateOrder::new(
            3145,
            &[800, 700, 450, 500, 695],
            PreferenceRule::AboveListAverage { percent: 110 },
        );
        assert_eq!(o.order, vec![0, 1, 4, 2, 3]);
        assert_eq!(o.preferred, 3);
        // Exactly 110 % qualifies ("nejméně o 10 % více").
        let o = CandidateOrder::new(
            100,
            &[22, 18, 20, 20, 20],
            PreferenceRule::AboveListAverage { percent: 110 },
        );
        assert_eq!(o.order, vec![0, 1, 2, 3, 4]);
        assert_eq!(o.preferred, 1);
    }

    #[test]
    fn municipal_average_is_truncated() {
        // ČSÚ's example no. 9 (Sborník příkladů), list A: 726 votes, 9 candidates; the
        // average 80.67 is taken as 80, the limit is 88: #3 (92), #6 (90), #5 (88) and
        // #8 (88) move ahead (the exact average would stop both 88s: 88 < 88.73).
        let o = CandidateOrder::new(
            726,
            &[85, 67, 92, 65, 88, 90, 83, 88, 68],
            PreferenceRule::AboveListAverage { percent: 110 },
        );
        assert_eq!(o.preferred, 4);
        assert_eq!(&o.order[..4], &[2, 5, 4, 7]);
        // Three seats: #3, #5, #6 (ČSÚ's published answer).
        assert_eq!(o.elected_in_ballot_order(3), vec![2, 4, 5]);
    }

    #[test]
    fn withdrawn_candidates_are_skipped() {
        let o = CandidateOrder::without(
            100,
            &[0, 50, 1, 1],
            &[true, false, false],
            PreferenceRule::ShareOfListVotes { percent: 5 },
        );
        assert_eq!(o.order, vec![1, 2, 3]);
        assert_eq!(o.elected_in_ballot_order(2), vec![1, 2]);
    }

    #[test]
    fn equal_preferences_keep_ballot_order() {
        let o = CandidateOrder::new(
            100,
            &[1, 10, 10, 0],
            PreferenceRule::ShareOfListVotes { percent: 5 },
        );
        assert_eq!(o.order, vec![1, 2, 0, 3]);
        let o = CandidateOrder::new(0, &[0, 0], PreferenceRule::ShareOfListVotes { percent: 5 });
        assert_eq!((o.order, o.preferred), (vec![0, 1], 0));
    }
}
