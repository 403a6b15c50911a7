//! Properties of the calculus on random elections: seats add up, nobody below the threshold
//! gets a seat, more votes never cost a list a seat (where the method guarantees it), and the
//! result does not depend on the order of the lists (when no lot was needed).

use proptest::prelude::*;
use volby_mandaty::{ChamberInput, ChamberRules, chamber, european, municipal, regional};

fn region_votes() -> impl Strategy<Value = (Vec<Vec<u64>>, Vec<u32>)> {
    (2usize..8, 1usize..15).prop_flat_map(|(lists, regions)| {
        (
            prop::collection::vec(prop::collection::vec(0u64..400_000, lists), regions),
            prop::collection::vec(prop::sample::select(vec![1u32, 1, 1, 2, 3, 4]), lists),
        )
    })
}

fn rules() -> impl Strategy<Value = ChamberRules> {
    prop::sample::select(vec![ChamberRules::Dhondt2002, ChamberRules::Quota2021])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn chamber_seats_sum_and_respect_the_threshold((votes, members) in region_votes(), rules in rules(), seats in 1u32..250) {
        let Ok(r) = chamber(&ChamberInput { votes: &votes, members: &members, candidates: None, seats }, rules) else {
            // Only "no votes at all" may fail.
            prop_assert!(votes.iter().flatten().all(|&v| v == 0));
            return Ok(());
        };
        prop_assert_eq!(r.region_seats.iter().sum::<u32>(), seats);
        prop_assert_eq!(r.totals.iter().sum::<u32>() + r.unfilled, seats);
        prop_assert_eq!(r.unfilled, 0, "lists are unlimited, so every seat is filled");
        for (j, &t) in r.totals.iter().enumerate() {
            if !r.threshold.passing[j] {
                prop_assert_eq!(t, 0, "list {} below the threshold got seats", j);
            }
            let p = u64::from(r.threshold.required_percent[j]);
            if t > 0 {
                prop_assert!(r.list_votes[j] * 100 >= p * r.total_votes);
            }
        }
        if rules == ChamberRules::Dhondt2002 {
            // D'Hondt per region: each region fills exactly its § 48 seats.
            for (row, &s) in r.seats.iter().zip(&r.region_seats) {
                prop_assert_eq!(row.iter().sum::<u32>(), s);
            }
        }
        // Deterministic.
        let again = chamber(&ChamberInput { votes: &votes, members: &members, candidates: None, seats }, rules).unwrap();
        prop_assert_eq!(&again, &r);
    }

    #[test]
    fn chamber_with_short_lists_never_exceeds_candidates((votes, members) in region_votes(), rules in rules(), cap in 0u32..6) {
        let cands: Vec<Vec<u32>> = votes.iter().map(|row| vec![cap; row.len()]).collect();
        let Ok(r) = chamber(&ChamberInput { votes: &votes, members: &members, candidates: Some(&cands), seats: 200 }, rules) else {
            return Ok(());
        };
        for row in &r.seats {
            for &s in row {
                prop_assert!(s <= cap);
            }
        }
        prop_assert_eq!(r.totals.iter().sum::<u32>() + r.unfilled, 200);
    }

    #[test]
    fn list_elections_sum_threshold_and_monotonicity(
        votes in prop::collection::vec(0u64..1_000_000, 2..12),
        seats in 1u32..70,
        which in 0usize..12,
        extra in 1u64..200_000,
        kind in 0u8..3,
    ) {
        let run = |v: &[u64]| match kind {
            0 => regional(v, None, seats),
            1 => municipal(v, &vec![seats; v.len()], seats),
            _ => european(v, None, seats),
        };
        let Ok(r) = run(&votes) else {
            prop_assert!(votes.iter().all(|&v| v == 0));
            return Ok(());
        };
        prop_assert_eq!(r.seats.iter().sum::<u32>(), seats);
        for (j, &s) in r.seats.iter().enumerate() {
            if !r.threshold.passing[j] {
                prop_assert_eq!(s, 0);
            }
        }
        // More votes for one list never cost it a seat (a divisor method with a threshold
        // of the total: the others can only fall below it).
        let i = which % votes.len();
        let mut more = votes.clone();
        more[i] += extra;
        let r2 = run(&more).unwrap();
        if r.lots.is_empty() && r2.lots.is_empty() {
            prop_assert!(r2.seats[i] >= r.seats[i], "{:?} → {:?}", r.seats, r2.seats);
        }
    }

    #[test]
    fn dhondt_2002_is_monotone_within_a_region((votes, members) in region_votes(), region in 0usize..15, from in 0usize..8, to in 0usize..8, shift in 1u64..50_000) {
        // Moving votes from one list to another inside a region keeps every § 48 figure and
        // the national total; the receiving list never loses a seat — as long as the same
        // lists pass § 49 (a list dropping out can lower the thresholds and let others in,
        // which D'Hondt does not promise to be monotone for: a 1-vote list emptied by the move
        // stops counting as a list with votes, found by this test).
        let r_idx = region % votes.len();
        let lists = votes[0].len();
        let (a, b) = (from % lists, to % lists);
        prop_assume!(a != b);
        let moved = shift.min(votes[r_idx][a]);
        prop_assume!(moved > 0);
        let mut after = votes.clone();
        after[r_idx][a] -= moved;
        after[r_idx][b] += moved;
        let input = |v| ChamberInput { votes: v, members: &members, candidates: None, seats: 200 };
        let Ok(x) = chamber(&input(&votes), ChamberRules::Dhondt2002) else { return Ok(()) };
        let y = chamber(&input(&after), ChamberRules::Dhondt2002).unwrap();
        if x.lots.is_empty() && y.lots.is_empty() && x.threshold.passing == y.threshold.passing {
            prop_assert!(y.totals[b] >= x.totals[b], "{:?} → {:?}", x.totals, y.totals);
        }
    }

    #[test]
    fn list_order_does_not_matter(votes in prop::collection::vec(1u64..1_000_000, 2..10), seats in 1u32..60) {
        let r = european(&votes, None, seats).unwrap();
        let mut rev = votes.clone();
        rev.reverse();
        let r2 = european(&rev, None, seats).unwrap();
        if r.lots.is_empty() {
            let mut back = r2.seats.clone();
            back.reverse();
            prop_assert_eq!(back, r.seats);
        }
    }
}
