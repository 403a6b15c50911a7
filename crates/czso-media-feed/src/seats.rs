//! Seats and elected candidates from the current tallies, by the law in force for the
//! election (the `volby-mandaty` crate): provisional while counting, final at 100 %.

use crate::model::ElectionKind;
use crate::results::ElectionResults;
use std::collections::HashMap;
use volby_mandaty::{CandidateOrder, ChamberInput, ElectionType, Lot, RuleSet, chamber, regional};

/// Seats of an election as the tallies stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seats {
    /// Seats per kraj (index as the definition's kraje): the Chamber's § 48 figure, a
    /// regional council's size.
    pub region_seats: Vec<u32>,
    /// Seats per kraj and party (indices as the definition's).
    pub seats: Vec<Vec<u32>>,
    /// Seats per party.
    pub totals: Vec<u32>,
    /// Elected candidates per (kraj index, party index): 0-based ballot positions in ballot
    /// order (as ČSÚ lists them), when the list's candidates are defined.
    pub elected: HashMap<(usize, usize), Vec<usize>>,
    /// Every precinct counted: the seats are final.
    pub complete: bool,
    /// Ties the law leaves to a lot (resolved by list order; say so to readers).
    pub lots: Vec<Lot>,
}

/// The election year from `election_date` (`YYYYMMDD`).
fn year(results: &ElectionResults) -> Option<u16> {
    results.def.election_date.get(..4)?.parse().ok()
}

/// Computes the seats, or `None` when there is nothing to compute yet (no votes) or the
/// election has no seats in this sense (Senate, municipal batches only).
pub fn compute(results: &ElectionResults) -> Option<Seats> {
    let def = &results.def;
    let round = results.rounds.first()?;
    let election = match def.kind {
        ElectionKind::Ps => ElectionType::Chamber,
        ElectionKind::Kz => ElectionType::Regional,
        _ => return None,
    };
    let rules = RuleSet::new(election, year(results)?).ok()?;
    let parties = def.parties.len();
    let kraje = def.kraje.len();
    let caps: Option<Vec<Vec<u32>>> = (!def.lists.is_empty()).then(|| {
        def.kraje
            .iter()
            .map(|k| {
                def.parties
                    .iter()
                    .map(|p| {
                        results
                            .index
                            .list
                            .get(&(k.number, p.number))
                            .and_then(|&li| def.lists.get(li))
                            .map_or(0, |list| {
                                u32::try_from(list.candidates.len()).unwrap_or(u32::MAX)
                            })
                    })
                    .collect()
            })
            .collect()
    });
    let votes: Vec<Vec<u64>> = round.kraje.iter().map(|t| t.votes.clone()).collect();
    let (region_seats, seats, lots) = match def.kind {
        ElectionKind::Ps => {
            let members: Vec<u32> = def.parties.iter().map(|p| p.members).collect();
            let r = chamber(
                &ChamberInput {
                    votes: &votes,
                    members: &members,
                    candidates: caps.as_deref(),
                    seats: def.seats.unwrap_or(200),
                },
                rules.chamber?,
            )
            .ok()?;
            (r.region_seats, r.seats, r.lots)
        }
        _ => {
            let mut region_seats = vec![0; kraje];
            let mut seats = vec![vec![0; parties]; kraje];
            let mut lots = Vec::new();
            let rows = region_seats.iter_mut().zip(seats.iter_mut()).zip(&votes);
            for (k, (kraj, ((region_size, kraj_seats), kraj_votes))) in
                def.kraje.iter().zip(rows).enumerate()
            {
                let Some(size) = kraj.seats else { continue };
                *region_size = size;
                let kraj_caps = caps.as_ref().and_then(|c| c.get(k)).map(Vec::as_slice);
                if let Ok(r) = regional(kraj_votes, kraj_caps, size) {
                    *kraj_seats = r.seats;
                    lots.extend(r.lots.into_iter().map(|mut l| {
                        l.constituency = Some(k);
                        l
                    }));
                }
            }
            (region_seats, seats, lots)
        }
    };
    let totals = (0..parties)
        .map(|j| seats.iter().filter_map(|row| row.get(j)).sum())
        .collect();
    let mut elected = HashMap::new();
    if let Some(rule) = rules.preference {
        for (k, (kraj, (kraj_seats, kraj_votes))) in
            def.kraje.iter().zip(seats.iter().zip(&votes)).enumerate()
        {
            for (j, (party, (&s, &list_votes))) in def
                .parties
                .iter()
                .zip(kraj_seats.iter().zip(kraj_votes))
                .enumerate()
            {
                if s == 0 {
                    continue;
                }
                let Some(&li) = results.index.list.get(&(kraj.number, party.number)) else {
                    continue;
                };
                let (Some(list), Some(preferences)) =
                    (def.lists.get(li), round.preferences.get(li))
                else {
                    continue;
                };
                let withdrawn: Vec<bool> = list.candidates.iter().map(|c| c.withdrawn).collect();
                let order = CandidateOrder::without(list_votes, preferences, &withdrawn, rule);
                elected.insert((k, j), order.elected_in_ballot_order(s));
            }
        }
    }
    Some(Seats {
        region_seats,
        seats,
        totals,
        elected,
        complete: round.cr.processed >= def.okrsky_celkem() && def.okrsky_celkem() > 0,
        lots,
    })
}

/// Seats and members of one municipal council's district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouncilSeats {
    /// Seats per list number.
    pub seats: std::collections::BTreeMap<u32, u32>,
    /// Per list number: the elected (0-based ballot positions, in the order they won their
    /// seats — preferred candidates by votes, then ballot order — which is the order ČSÚ lists
    /// `ZASTUPITEL` in: Brno 2022, ČSSD's 1, 6, 3) and the substitutes (in the order they
    /// would take a seat, zákon 491/2001 Sb., § 56).
    pub members: std::collections::BTreeMap<u32, (Vec<usize>, Vec<usize>)>,
    /// Ties the law leaves to a lot.
    pub lots: Vec<Lot>,
}

/// Seats of a council district from its tally (zákon 491/2001 Sb., § 45), provisional while
/// counting; `None` without votes.
pub fn council(
    council: &crate::model::Council,
    district: &crate::model::CouncilDistrict,
    tally: &crate::results::CouncilTally,
) -> Option<CouncilSeats> {
    let lists: Vec<&crate::model::CouncilList> = council
        .lists
        .iter()
        .filter(|l| l.district == district.number)
        .collect();
    let votes: Vec<u64> = lists
        .iter()
        .map(|l| tally.lists.get(&l.number).copied().unwrap_or(0))
        .collect();
    let standing: Vec<u32> = lists
        .iter()
        .map(|l| {
            u32::try_from(l.candidates.iter().filter(|c| !c.withdrawn).count()).unwrap_or(u32::MAX)
        })
        .collect();
    let r = volby_mandaty::municipal(&votes, &standing, district.seats).ok()?;
    let rule = volby_mandaty::PreferenceRule::AboveListAverage { percent: 110 };
    let mut seats = std::collections::BTreeMap::new();
    let mut members = std::collections::BTreeMap::new();
    for ((l, &list_seats), &list_votes) in lists.iter().zip(&r.seats).zip(&votes) {
        seats.insert(l.number, list_seats);
        let cand_votes: Vec<u64> = (1..=l.candidates.len() as u32)
            .map(|p| tally.candidates.get(&(l.number, p)).copied().unwrap_or(0))
            .collect();
        let withdrawn: Vec<bool> = l.candidates.iter().map(|c| c.withdrawn).collect();
        let order = CandidateOrder::without(list_votes, &cand_votes, &withdrawn, rule);
        let (elected, substitutes) = order.split(list_seats);
        members.insert(l.number, (elected.to_vec(), substitutes.to_vec()));
    }
    Some(CouncilSeats {
        seats,
        members,
        lots: r.lots,
    })
}
