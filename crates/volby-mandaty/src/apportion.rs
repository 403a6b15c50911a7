//! Exact building blocks shared by the election rules: rounding as the statutes word it,
//! highest-averages allocation with rational divisors, thresholds, and the record of ties
//! that a statute leaves to a lot.
//!
//! Everything is integer arithmetic: a quotient `v / d` with a rational divisor `d = n / m`
//! is compared by cross-multiplication in `u128`, so no two quotients are ever confused by
//! rounding.

use std::cmp::Ordering;

/// A tie that the statute decides by lot (*los*).
///
/// A program cannot draw the official lot. The calculus resolves such a tie by input order
/// (the first contenders in the order given win) and records it here, so that a caller can
/// show "decided by lot" and, once the authority has drawn, reorder its input to reproduce
/// the official outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot {
    /// The rule whose tie this is, with its section (e.g. `"§ 48 odst. 3 zákona 247/1995 Sb."`).
    pub rule: &'static str,
    /// Constituency (region, district) index the tie arose in, if the step is per constituency.
    pub constituency: Option<usize>,
    /// The tied contenders (list or candidate indices), in input order.
    pub contenders: Vec<usize>,
    /// How many of them were to be chosen.
    pub places: usize,
    /// Whom the calculus chose (the first `places` contenders in input order).
    pub chosen: Vec<usize>,
}

/// `num / den` rounded to units the way the statutes say "zaokrouhlené na jednotky": half up.
///
/// `den` must not be 0.
pub fn round_half_up_div(num: u64, den: u64) -> u64 {
    let (num, den) = (u128::from(num), u128::from(den));
    // (2n + d) / 2d = floor(n/d + 1/2); the result is at most num, so it fits in u64.
    u64::try_from((2 * num + den) / (2 * den)).unwrap_or(u64::MAX)
}

/// Whether `part` is at least `percent` % of `whole` (`100·part ≥ percent·whole`), compared in
/// integers. Thresholds in the statutes exclude lists with "méně než X %", so reaching X %
/// exactly passes.
pub fn reaches_percent(part: u64, percent: u64, whole: u64) -> bool {
    u128::from(part) * 100 >= u128::from(percent) * u128::from(whole)
}

/// The divisor series of a highest-averages (divisor) method: the `k`-th seat of a list is
/// won with the quotient `votes / d(k)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DivisorSeries {
    /// The first divisor as a fraction `num / den`; every later divisor is `k` for seat `k`.
    first: (u64, u64),
}

impl DivisorSeries {
    /// D'Hondt: 1, 2, 3, …
    pub const DHONDT: Self = Self { first: (1, 1) };
    /// The regional councils' series 1.42, 2, 3, … (zákon 130/2000 Sb., § 43 odst. 3).
    pub const REGIONAL: Self = Self { first: (142, 100) };

    /// The divisor for a list's `k`-th seat (`k ≥ 1`) as `(num, den)`.
    pub fn divisor(self, k: u32) -> (u64, u64) {
        if k <= 1 {
            self.first
        } else {
            (u64::from(k), 1)
        }
    }
}

/// Compares `a / (n_a / d_a)` with `b / (n_b / d_b)` exactly.
fn compare_quotients(a: u64, (na, da): (u64, u64), b: u64, (nb, db): (u64, u64)) -> Ordering {
    // a·da/na  vs  b·db/nb   ⇔   a·da·nb  vs  b·db·na   (all factors positive)
    let left = u128::from(a) * u128::from(da) * u128::from(nb);
    let right = u128::from(b) * u128::from(db) * u128::from(na);
    left.cmp(&right)
}

/// How a divisor allocation breaks a tie of equal quotients for the last seats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TieRule {
    /// Lot straight away.
    Lot,
    /// The list with more votes first, then lot.
    MoreVotesThenLot,
}

/// The outcome of a highest-averages allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// Seats per list.
    pub seats: Vec<u32>,
    /// Seats left unfilled because every list that could take one ran out of candidates.
    pub unfilled: u32,
    /// Ties decided by lot (see [`Lot`]).
    pub lots: Vec<Lot>,
}

/// What a divisor allocation divides.
#[derive(Debug, Clone, Copy)]
pub struct DivisorInput<'a> {
    /// Votes per list.
    pub votes: &'a [u64],
    /// Whether each list takes part (passed the threshold).
    pub eligible: &'a [bool],
    /// At most this many seats per list (candidates on the list), if limited.
    pub caps: Option<&'a [u32]>,
    /// Seats to allocate.
    pub seats: u32,
}

/// How a divisor allocation divides: the series, the tie rule and the statute cited in ties.
#[derive(Debug, Clone, Copy)]
pub struct DivisorMethod {
    /// Divisor series.
    pub series: DivisorSeries,
    /// Tie rule for the last seats.
    pub tie: TieRule,
    /// The rule cited in a recorded lot.
    pub rule: &'static str,
}

/// Allocates `seats` among lists by highest averages.
///
/// * `eligible[i]` — whether list `i` takes part (passed the threshold);
/// * `caps[i]` — at most this many seats (candidates on the list); a list that runs out hands
///   the seat to the next highest quotient;
/// * a list with no votes never gets a seat.
///
/// Seats go one quotient at a time; when several lists share the highest quotient and there
/// are seats enough for all of them, each gets one (the order does not matter, their next
/// quotients are lower). Only a tie straddling the last seat is a tie in the statutes' sense.
pub fn highest_averages(
    input: &DivisorInput<'_>,
    method: DivisorMethod,
    constituency: Option<usize>,
) -> Allocation {
    let DivisorInput {
        votes,
        eligible,
        caps,
        seats,
    } = *input;
    let DivisorMethod { series, tie, rule } = method;
    let mut won = vec![0u32; votes.len()];
    let mut lots = Vec::new();
    let mut remaining = seats;
    let can_take = |i: usize, v: u64, w: u32| {
        eligible.get(i).copied().unwrap_or(false)
            && v > 0
            && caps.is_none_or(|c| c.get(i).is_some_and(|&cap| w < cap))
    };
    let vote = |i: usize| votes.get(i).copied().unwrap_or(0);
    let win = |won: &mut [u32], chosen: &[usize]| {
        for &i in chosen {
            if let Some(w) = won.get_mut(i) {
                *w += 1;
            }
        }
    };
    while remaining > 0 {
        // The lists with the highest next quotient `votes / divisor`.
        let mut best: Vec<usize> = Vec::new();
        let mut best_quotient = None;
        for (i, (&v, &w)) in votes.iter().zip(&won).enumerate() {
            if !can_take(i, v, w) {
                continue;
            }
            let divisor = series.divisor(w + 1);
            match best_quotient {
                None => {
                    best_quotient = Some((v, divisor));
                    best.push(i);
                }
                Some((bv, bd)) => match compare_quotients(v, divisor, bv, bd) {
                    Ordering::Greater => {
                        best.clear();
                        best.push(i);
                        best_quotient = Some((v, divisor));
                    }
                    Ordering::Equal => best.push(i),
                    Ordering::Less => {}
                },
            }
        }
        if best.is_empty() {
            break;
        }
        if best.len() <= remaining as usize {
            win(&mut won, &best);
            remaining -= best.len() as u32;
            continue;
        }
        // A tie for the last seats.
        let chosen = break_tie(
            &best,
            remaining as usize,
            vote,
            tie,
            rule,
            constituency,
            &mut lots,
        );
        win(&mut won, &chosen);
        remaining = 0;
    }
    Allocation {
        seats: won,
        unfilled: remaining,
        lots,
    }
}

/// Chooses `places` of `tied` (in input order), first by the larger `key` when the rule says
/// so, then by lot (recorded).
pub(crate) fn break_tie(
    tied: &[usize],
    places: usize,
    key: impl Fn(usize) -> u64,
    tie: TieRule,
    rule: &'static str,
    constituency: Option<usize>,
    lots: &mut Vec<Lot>,
) -> Vec<usize> {
    if places == 0 {
        return Vec::new();
    }
    if places >= tied.len() {
        return tied.to_vec();
    }
    let mut order: Vec<usize> = tied.to_vec();
    if tie == TieRule::MoreVotesThenLot {
        // Stable: equal keys keep input order.
        order.sort_by_key(|&i| std::cmp::Reverse(key(i)));
        // `places` is in 1..order.len(), checked above.
        let Some(boundary) = order.get(places - 1).map(|&i| key(i)) else {
            return order;
        };
        let above: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| key(i) > boundary)
            .collect();
        let at: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| key(i) == boundary)
            .collect();
        let need = places.saturating_sub(above.len());
        if at.len() == need {
            order.truncate(places);
            return order;
        }
        let chosen: Vec<usize> = at.iter().copied().take(need).collect();
        lots.push(Lot {
            rule,
            constituency,
            contenders: at,
            places: need,
            chosen: chosen.clone(),
        });
        let mut all = above;
        all.extend(chosen);
        return all;
    }
    let chosen: Vec<usize> = order.iter().copied().take(places).collect();
    lots.push(Lot {
        rule,
        constituency,
        contenders: order,
        places,
        chosen: chosen.clone(),
    });
    chosen
}

/// Largest remainders: gives `count` extra seats to the indices with the largest `remainder`
/// among `candidates`, ties broken by the successive `keys` (larger first), then lot.
pub(crate) fn largest_remainders(
    candidates: &[usize],
    count: usize,
    keys: &dyn Fn(usize) -> Vec<u64>,
    rule: &'static str,
    constituency: Option<usize>,
    lots: &mut Vec<Lot>,
) -> Vec<usize> {
    pick(candidates, count, keys, true, rule, constituency, lots)
}

/// Smallest remainders: the `count` indices with the smallest keys (compared in order, smaller
/// first), ties at the boundary by lot.
pub(crate) fn smallest_remainders(
    candidates: &[usize],
    count: usize,
    keys: &dyn Fn(usize) -> Vec<u64>,
    rule: &'static str,
    constituency: Option<usize>,
    lots: &mut Vec<Lot>,
) -> Vec<usize> {
    pick(candidates, count, keys, false, rule, constituency, lots)
}

/// The `count` candidates first by `keys` (largest first when `largest`, else smallest); a
/// tie across the boundary is recorded as a lot and resolved by input order.
fn pick(
    candidates: &[usize],
    count: usize,
    keys: &dyn Fn(usize) -> Vec<u64>,
    largest: bool,
    rule: &'static str,
    constituency: Option<usize>,
    lots: &mut Vec<Lot>,
) -> Vec<usize> {
    if count == 0 || candidates.is_empty() {
        return Vec::new();
    }
    let rank = |i: usize| keys(i);
    let mut order = candidates.to_vec();
    if largest {
        order.sort_by_key(|&i| std::cmp::Reverse(rank(i)));
    } else {
        order.sort_by_key(|&i| rank(i));
    }
    if count >= order.len() {
        return order;
    }
    // `count` is in 1..order.len(), checked above.
    let (Some(&last), Some(&next)) = (order.get(count - 1), order.get(count)) else {
        return order;
    };
    let boundary = rank(last);
    if rank(next) != boundary {
        order.truncate(count);
        return order;
    }
    let ahead: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| {
            if largest {
                rank(i) > boundary
            } else {
                rank(i) < boundary
            }
        })
        .collect();
    let at: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&i| rank(i) == boundary)
        .collect();
    let need = count.saturating_sub(ahead.len());
    let chosen: Vec<usize> = at.iter().copied().take(need).collect();
    lots.push(Lot {
        rule,
        constituency,
        contenders: at,
        places: need,
        chosen: chosen.clone(),
    });
    let mut all = ahead;
    all.extend(chosen);
    all
}

/// A threshold step: which lists pass at the percentages in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Threshold {
    /// The percentage each list had to reach (after any lowering), per list.
    pub required_percent: Vec<u32>,
    /// Whether each list passed.
    pub passing: Vec<bool>,
    /// How many times the statute's fallback lowered the thresholds (0: not lowered).
    pub lowered: u32,
}

impl Threshold {
    /// Number of passing lists.
    pub fn passing_count(&self) -> usize {
        self.passing.iter().filter(|&&p| p).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::too_many_arguments)]
    fn ha(
        votes: &[u64],
        eligible: &[bool],
        caps: Option<&[u32]>,
        seats: u32,
        series: DivisorSeries,
        tie: TieRule,
        rule: &'static str,
        constituency: Option<usize>,
    ) -> Allocation {
        highest_averages(
            &DivisorInput {
                votes,
                eligible,
                caps,
                seats,
            },
            DivisorMethod { series, tie, rule },
            constituency,
        )
    }

    #[test]
    fn rounding_half_up() {
        assert_eq!(round_half_up_div(5_230_859, 200), 26_154); // RMČ 2010 (26154.295)
        assert_eq!(round_half_up_div(5, 2), 3);
        assert_eq!(round_half_up_div(7, 2), 4);
        assert_eq!(round_half_up_div(4, 3), 1);
        assert_eq!(round_half_up_div(u64::MAX, 1), u64::MAX);
    }

    #[test]
    fn percent_comparison_is_exact() {
        assert!(reaches_percent(5, 5, 100));
        assert!(!reaches_percent(4, 5, 100));
        assert!(reaches_percent(u64::MAX, 100, u64::MAX));
    }

    #[test]
    fn dhondt_and_regional_divisors() {
        let all = [true; 3];
        let a = ha(
            &[100, 80, 30],
            &all,
            None,
            5,
            DivisorSeries::DHONDT,
            TieRule::Lot,
            "t",
            None,
        );
        // 100, 80, 50, 40, 33.3 | 30, 26.7
        assert_eq!(a.seats, vec![3, 2, 0]);
        // With 1.42 the small list's first quotient 30/1.42 = 21.1 loses even more clearly;
        // the big lists' first quotients shrink too: 70.4, 56.3, 50, 40, 33.3.
        let b = ha(
            &[100, 80, 30],
            &all,
            None,
            5,
            DivisorSeries::REGIONAL,
            TieRule::Lot,
            "t",
            None,
        );
        assert_eq!(b.seats, vec![3, 2, 0]);
        // 1.42 matters: 100 vs 60 for 2 seats: D'Hondt 100, 60 → 1:1; 1.42: 70.4, 50, 42.3 → 2:0.
        let c = ha(
            &[100, 60],
            &[true, true],
            None,
            2,
            DivisorSeries::REGIONAL,
            TieRule::Lot,
            "t",
            None,
        );
        assert_eq!(c.seats, vec![2, 0]);
        let d = ha(
            &[100, 60],
            &[true, true],
            None,
            2,
            DivisorSeries::DHONDT,
            TieRule::Lot,
            "t",
            None,
        );
        assert_eq!(d.seats, vec![1, 1]);
    }

    #[test]
    fn ties_are_recorded_and_caps_pass_seats_on() {
        let a = ha(
            &[60, 60, 10],
            &[true; 3],
            None,
            3,
            DivisorSeries::DHONDT,
            TieRule::Lot,
            "t",
            Some(2),
        );
        // 60, 60 | 30, 30 for the third seat: a lot between lists 0 and 1.
        assert_eq!(a.seats, vec![2, 1, 0]);
        assert_eq!(a.lots.len(), 1);
        assert_eq!(a.lots[0].contenders, vec![0, 1]);
        assert_eq!(a.lots[0].constituency, Some(2));
        let b = ha(
            &[60, 60, 10],
            &[true; 3],
            None,
            3,
            DivisorSeries::DHONDT,
            TieRule::MoreVotesThenLot,
            "t",
            None,
        );
        assert_eq!(b.lots.len(), 1, "equal votes too: still a lot");
        let c = ha(
            &[90, 10],
            &[true, true],
            Some(&[1, 5]),
            3,
            DivisorSeries::DHONDT,
            TieRule::Lot,
            "t",
            None,
        );
        assert_eq!(c.seats, vec![1, 2]);
        let d = ha(
            &[90, 10],
            &[true, false],
            Some(&[1, 5]),
            3,
            DivisorSeries::DHONDT,
            TieRule::Lot,
            "t",
            None,
        );
        assert_eq!((d.seats.clone(), d.unfilled), (vec![1, 0], 2));
    }
}
