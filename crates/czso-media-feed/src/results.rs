//! In-memory results of one election and data set, with aggregates updated incrementally
//! per precinct (never recomputed from all precincts).

use crate::error::{Error, Result};
use crate::model::{Definition, ElectionKind, PrecinctKey, PrecinctResult};
use crate::store::BatchCut;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::collections::HashMap;
use std::sync::Arc;

/// Running totals of an area (`UCAST` plus votes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Precinct rows processed (`OKRSKY_ZPRAC`).
    pub processed: u32,
    /// `ZAPSANI_VOLICI`.
    pub registered: u64,
    /// `VYDANE_OBALKY`.
    pub envelopes_issued: u64,
    /// `ODEVZDANE_OBALKY`.
    pub envelopes_returned: u64,
    /// `PLATNE_HLASY`.
    pub valid_votes: u64,
    /// `VOLICSKE_PRUKAZY` (rows without it count 0).
    pub voter_cards: u64,
    /// Votes per party (index into the definition's parties, or candidates of an obvod).
    pub votes: Vec<u64>,
}

impl Tally {
    fn with_width(width: usize) -> Self {
        Self {
            votes: vec![0; width],
            ..Self::default()
        }
    }

    /// Adds or removes one row. Rows are bounded by [`MAX_COUNT`] before they get here, so no
    /// total can reach `u64::MAX`; the arithmetic saturates anyway rather than ever wrap.
    fn apply(&mut self, r: &PrecinctResult, vote_index: &[(usize, u64)], add: bool) {
        let t = &r.turnout;
        let step = |acc: &mut u64, v: u64| {
            *acc = if add {
                acc.saturating_add(v)
            } else {
                acc.saturating_sub(v)
            };
        };
        self.processed = if add {
            self.processed.saturating_add(1)
        } else {
            self.processed.saturating_sub(1)
        };
        step(&mut self.registered, t.registered);
        step(&mut self.envelopes_issued, t.envelopes_issued);
        step(&mut self.envelopes_returned, t.envelopes_returned);
        step(&mut self.valid_votes, t.valid_votes);
        step(&mut self.voter_cards, t.voter_cards.unwrap_or(0));
        for &(i, v) in vote_index {
            if let Some(acc) = self.votes.get_mut(i) {
                step(acc, v);
            }
        }
    }
}

/// Where a municipality (or borough) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// Index into the definition's obce.
    pub obec: usize,
    /// Index of its okres.
    pub okres: usize,
    /// Index of its kraj.
    pub kraj: usize,
    /// For a borough: the index of its city, whose row adds up the boroughs (and which is
    /// never added to the okres or kraj itself, so nothing counts twice).
    pub city: Option<usize>,
}

/// Running totals of one municipal council in one election district: turnout, votes per
/// list (`POR_STR_HLAS_LIST`) and per candidate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CouncilTally {
    /// Precinct rows processed (`OKRSKY_ZPRAC`).
    pub processed: u32,
    /// `ZAPSANI_VOLICI`.
    pub registered: u64,
    /// `VYDANE_OBALKY`.
    pub envelopes_issued: u64,
    /// `ODEVZDANE_OBALKY`.
    pub envelopes_returned: u64,
    /// `PLATNE_HLASY` (a voter has as many votes as there are seats).
    pub valid_votes: u64,
    /// Votes per list number.
    pub lists: std::collections::BTreeMap<u32, u64>,
    /// Votes per (list number, candidate position).
    pub candidates: std::collections::BTreeMap<(u32, u32), u64>,
}

impl CouncilTally {
    fn apply(&mut self, r: &PrecinctResult, add: bool) {
        let t = &r.turnout;
        let step = |acc: &mut u64, v: u64| {
            *acc = if add {
                acc.saturating_add(v)
            } else {
                acc.saturating_sub(v)
            };
        };
        self.processed = if add {
            self.processed.saturating_add(1)
        } else {
            self.processed.saturating_sub(1)
        };
        step(&mut self.registered, t.registered);
        step(&mut self.envelopes_issued, t.envelopes_issued);
        step(&mut self.envelopes_returned, t.envelopes_returned);
        step(&mut self.valid_votes, t.valid_votes);
        for &(list, v) in &r.votes {
            step(self.lists.entry(list).or_default(), v);
        }
        for &(list, candidate, v) in &r.preferences {
            step(self.candidates.entry((list, candidate)).or_default(), v);
        }
    }
}

/// Lookup tables built once from a [`Definition`].
#[derive(Debug)]
pub struct GeoIndex {
    /// Obec code → where it is.
    ///
    /// The maps of this index are looked up for every vote of every row: they hash with
    /// FxHash, a few instructions per integer key instead of SipHash's rounds. Their keys
    /// come from the definition, never from requests (rows only look them up), so a flood
    /// of colliding keys cannot be planted in them.
    pub obec: FxHashMap<u32, Place>,
    /// Precincts per obec (a city with boroughs: the sum of its boroughs').
    pub obec_total: Vec<u32>,
    /// Party number → index.
    pub party: FxHashMap<u32, usize>,
    /// Senate obvod number → (index, candidate number → index).
    pub obvod: FxHashMap<u32, (usize, FxHashMap<u32, usize>)>,
    /// Precincts per kraj.
    pub kraj_total: Vec<u32>,
    /// Precincts per okres.
    pub okres_total: Vec<u32>,
    /// Obce per okres (indices, in definition order).
    pub okres_obce: Vec<Vec<usize>>,
    /// (kraj number, party number) → index into the definition's candidate lists.
    pub list: FxHashMap<(u32, u32), usize>,
    /// Per kraj, the parties that stand there (indices, ballot order): those with a candidate
    /// list in it, or every party when the definition has no lists.
    pub stands: Vec<Vec<usize>>,
    /// The parties that stand in some kraj (`CR` lists these).
    pub stands_anywhere: Vec<usize>,
}

impl GeoIndex {
    /// Builds the index (the definition must have passed [`Definition::check`]).
    pub fn new(def: &Definition) -> Self {
        let kraj_pos: HashMap<u32, usize> = def
            .kraje
            .iter()
            .enumerate()
            .map(|(i, k)| (k.number, i))
            .collect();
        let okres_pos: HashMap<&str, usize> = def
            .okresy
            .iter()
            .enumerate()
            .map(|(i, o)| (o.nuts.as_str(), i))
            .collect();
        let mut kraj_total = vec![0; def.kraje.len()];
        let mut okres_total = vec![0; def.okresy.len()];
        let mut okres_obce = vec![Vec::new(); def.okresy.len()];
        let mut obec = FxHashMap::with_capacity_and_hasher(def.obce.len(), FxBuildHasher);
        let position: HashMap<u32, usize> = def
            .obce
            .iter()
            .enumerate()
            .map(|(i, o)| (o.code, i))
            .collect();
        let mut obec_total: Vec<u32> = def.obce.iter().map(|o| o.okrsky).collect();
        for (i, o) in def.obce.iter().enumerate() {
            // `check` refuses an obec of an unknown okres or kraj; were one here anyway, it is
            // left out of the index and its rows are refused as outside the geography.
            let Some(&oi) = okres_pos.get(o.okres.as_str()) else {
                continue;
            };
            let Some(&ki) = def
                .okresy
                .get(oi)
                .and_then(|okres| kraj_pos.get(&okres.kraj))
            else {
                continue;
            };
            if let Some(total) = kraj_total.get_mut(ki) {
                *total = o.okrsky.saturating_add(*total);
            }
            if let Some(total) = okres_total.get_mut(oi) {
                *total = o.okrsky.saturating_add(*total);
            }
            if let Some(obce) = okres_obce.get_mut(oi) {
                obce.push(i);
            }
            let city = o.city.and_then(|c| position.get(&c).copied());
            if let Some(total) = city.and_then(|c| obec_total.get_mut(c)) {
                *total = o.okrsky.saturating_add(*total);
            }
            obec.insert(
                o.code,
                Place {
                    obec: i,
                    okres: oi,
                    kraj: ki,
                    city,
                },
            );
        }
        let party = def
            .parties
            .iter()
            .enumerate()
            .map(|(i, p)| (p.number, i))
            .collect();
        let obvod = def
            .obvody
            .iter()
            .enumerate()
            .map(|(i, o)| {
                (
                    o.number,
                    (
                        i,
                        o.candidates
                            .iter()
                            .enumerate()
                            .map(|(j, c)| (c.number, j))
                            .collect(),
                    ),
                )
            })
            .collect();
        let list: FxHashMap<(u32, u32), usize> = def
            .lists
            .iter()
            .enumerate()
            .map(|(i, l)| ((l.kraj, l.party), i))
            .collect();
        let stands: Vec<Vec<usize>> = def
            .kraje
            .iter()
            .map(|k| {
                def.parties
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| {
                        def.lists.is_empty() || list.contains_key(&(k.number, p.number))
                    })
                    .map(|(j, _)| j)
                    .collect()
            })
            .collect();
        let stands_anywhere = (0..def.parties.len())
            .filter(|&j| def.kraje.is_empty() || stands.iter().any(|s| s.contains(&j)))
            .collect();
        Self {
            obec,
            obec_total,
            list,
            stands,
            stands_anywhere,
            party,
            obvod,
            kraj_total,
            okres_total,
            okres_obce,
        }
    }
}

/// Checks a precinct row against the definition before it is stored.
pub fn validate(
    def: &Definition,
    index: &GeoIndex,
    r: &PrecinctResult,
    source: &str,
) -> Result<()> {
    match check_row(def, index, r) {
        Some(rule) => Err(Error::invalid(source, format!("{}: {rule}", r.label()))),
        None => Ok(()),
    }
}

/// The rule of the results model a precinct row breaks, if any (the first found).
pub fn check_row(def: &Definition, index: &GeoIndex, r: &PrecinctResult) -> Option<String> {
    if r.round == 0 || r.round > def.kind.rounds() {
        return Some(format!("round {} does not exist in this election", r.round));
    }
    if r.obec > 999_999 {
        return Some("CIS_OBEC has more than 6 digits".into());
    }
    if !def.open_geography && !index.obec.contains_key(&r.obec) {
        return Some(format!(
            "CIS_OBEC {} is not a municipality of election {}",
            r.obec, def.id
        ));
    }
    if let Some(place) = index.obec.get(&r.obec)
        && def
            .obce
            .get(place.obec)
            .is_some_and(|o| o.typ == crate::model::TypObec::ObecSMcmo)
        && def.kind != ElectionKind::Kv
    {
        return Some(format!(
            "CIS_OBEC {} is a city with boroughs: its precincts are reported under their boroughs' codes",
            r.obec
        ));
    }
    if r.okrsek == 0 {
        return Some("CIS_OKRSEK must be at least 1".into());
    }
    if let Some(place) = index.obec.get(&r.obec)
        && let Some(obec) = def.obce.get(place.obec)
    {
        // Precincts are numbered 1, 2, …; Prague's boroughs (and other cities') may number
        // theirs after the borough: Praha 10 has 10001, 10002, …
        let within = |n: u32| (1..=obec.okrsky).contains(&n);
        let numbered = within(r.okrsek)
            || (obec.typ == crate::model::TypObec::Mcmo && within(r.okrsek % 1000));
        if obec.okrsky > 0 && !numbered {
            return Some(format!(
                "CIS_OKRSEK {}: obec {} {} has {} precincts",
                r.okrsek, obec.code, obec.name, obec.okrsky
            ));
        }
    }
    if let Err(rule) = check_counts(def, r) {
        return Some(rule);
    }
    let t = &r.turnout;
    let registered_or_card = t.registered.saturating_add(t.voter_cards.unwrap_or(0));
    if t.envelopes_issued > registered_or_card && def.kind != ElectionKind::Kv {
        // Voters with a voter card (voličský průkaz) are not on the precinct roll, so issued
        // envelopes can exceed the roll; only a gross excess is rejected.
        if t.envelopes_issued > t.registered.saturating_mul(2).saturating_add(100) {
            return Some(format!(
                "VYDANE_OBALKY={} is implausibly above ZAPSANI_VOLICI={}",
                t.envelopes_issued, t.registered
            ));
        }
    }
    if has_repeats(r.votes.iter().map(|&(k, _)| k)) {
        let mut seen = std::collections::HashSet::new();
        for &(k, _) in &r.votes {
            if !seen.insert(k) {
                return Some(format!(
                    "{} {k} appears twice",
                    def.kind.vote_key_attribute()
                ));
            }
        }
    }
    // Bounded by `check_counts`; checked all the same.
    let Some(sum) = r
        .votes
        .iter()
        .try_fold(0u64, |acc, &(_, v)| acc.checked_add(v))
    else {
        return Some("HLASY add up beyond 64 bits".into());
    };
    match def.kind {
        ElectionKind::Ps | ElectionKind::Kz => {
            let kraj = index.obec.get(&r.obec).map(|place| place.kraj);
            for &(k, v) in &r.votes {
                let Some(&j) = index.party.get(&k) else {
                    return Some(format!("KSTRANA {k} is not on the ballot"));
                };
                if let Some(ki) = kraj
                    && v > 0
                    && index.stands.get(ki).is_some_and(|s| !s.contains(&j))
                {
                    return Some(format!(
                        "KSTRANA {k} has {v} votes but no candidate list in kraj {}",
                        def.kraje.get(ki).map_or(0, |kraj| kraj.number)
                    ));
                }
            }
            if sum != t.valid_votes {
                return Some(format!(
                    "party votes add up to {sum}, PLATNE_HLASY says {}",
                    t.valid_votes
                ));
            }
            if t.valid_votes > t.envelopes_returned {
                return Some(format!(
                    "PLATNE_HLASY={} exceeds ODEVZDANE_OBALKY={}",
                    t.valid_votes, t.envelopes_returned
                ));
            }
            if let Err(rule) = check_preferences(def, index, r) {
                return Some(rule);
            }
        }
        ElectionKind::Senat => {
            let Some(d) = r.senate_district else {
                return Some("a Senate precinct needs CIS_OBVOD".into());
            };
            let Some((_, cands)) = index.obvod.get(&d) else {
                return Some(format!("CIS_OBVOD {d} is not elected in this election"));
            };
            for &(k, _) in &r.votes {
                if !cands.contains_key(&k) {
                    return Some(format!(
                        "PORADOVE_CISLO {k} is not a candidate in obvod {d}"
                    ));
                }
            }
            if sum != t.valid_votes {
                return Some(format!(
                    "candidate votes add up to {sum}, PLATNE_HLASY says {}",
                    t.valid_votes
                ));
            }
        }
        ElectionKind::Kv => {
            if sum != t.valid_votes {
                return Some(format!(
                    "list votes add up to {sum}, PLATNE_HLASY says {}",
                    t.valid_votes
                ));
            }
            // Candidate votes, when given: a list's votes are its candidates' votes
            // (zákon 491/2001 Sb., § 45: a cross for a list gives each of its candidates a
            // vote), so they must add up to the list's.
            let mut per_list: std::collections::BTreeMap<u32, u64> =
                std::collections::BTreeMap::new();
            let mut seen = std::collections::HashSet::new();
            for &(list, candidate, v) in &r.preferences {
                if !seen.insert((list, candidate)) {
                    return Some(format!(
                        "KANDIDAT POR_STR_HLAS_LIST={list} PORCISLO={candidate} appears twice"
                    ));
                }
                let acc = per_list.entry(list).or_default();
                *acc = acc.saturating_add(v);
            }
            for (list, cand_sum) in per_list {
                let list_votes = r.votes.iter().find(|v| v.0 == list).map_or(0, |v| v.1);
                if cand_sum != list_votes {
                    return Some(format!(
                        "candidates of list {list} have {cand_sum} votes, the list has {list_votes}"
                    ));
                }
            }
        }
    }
    None
}

/// Whether a key comes twice. A row's keys usually come in order, so sorting a copy is
/// cheaper than hashing each; which key comes twice first is then found with a set.
fn has_repeats<K: Ord>(keys: impl Iterator<Item = K>) -> bool {
    let mut keys: Vec<K> = keys.collect();
    keys.sort_unstable();
    keys.iter().zip(keys.iter().skip(1)).any(|(a, b)| a == b)
}

/// The largest count a precinct row may carry (voters, envelopes, votes). A precinct has a
/// few thousand voters; 10⁹ keeps the totals of any area far below `u64::MAX`.
pub const MAX_COUNT: u64 = 1_000_000_000;

/// Most votes one voter casts in a municipal election: one per seat of the council (or
/// election district), at most 70 (Prague's council; zákon 491/2001 Sb., § 37).
const MAX_SEATS_PER_VOTER: u64 = 70;

/// The counts of a row: each within [`MAX_COUNT`], no more envelopes returned than issued,
/// no more valid votes than the returned envelopes allow (one per envelope, in a municipal
/// election one per seat), no party or candidate above the valid votes.
pub fn check_counts(def: &Definition, r: &PrecinctResult) -> std::result::Result<(), String> {
    let t = &r.turnout;
    let key = def.kind.vote_key_attribute();
    let counts = [
        ("ZAPSANI_VOLICI", Some(t.registered)),
        ("VYDANE_OBALKY", Some(t.envelopes_issued)),
        ("ODEVZDANE_OBALKY", Some(t.envelopes_returned)),
        ("PLATNE_HLASY", Some(t.valid_votes)),
        ("VOLICSKE_PRUKAZY", t.voter_cards),
        ("PLATNE_LISTKY", t.valid_ballots),
    ];
    for (name, v) in counts {
        if let Some(v) = v
            && v > MAX_COUNT
        {
            return Err(format!(
                "{name}={v} is beyond any precinct (at most {MAX_COUNT})"
            ));
        }
    }
    for &(k, v) in &r.votes {
        if v > MAX_COUNT {
            return Err(format!(
                "HLASY={v} of {key} {k} is beyond any precinct (at most {MAX_COUNT})"
            ));
        }
        if v > t.valid_votes {
            return Err(format!(
                "HLASY={v} of {key} {k} exceeds PLATNE_HLASY={}",
                t.valid_votes
            ));
        }
    }
    for &(list, candidate, v) in &r.preferences {
        if v > MAX_COUNT {
            return Err(format!(
                "HLASY={v} of candidate {candidate} of list {list} is beyond any precinct (at most {MAX_COUNT})"
            ));
        }
    }
    if t.envelopes_returned > t.envelopes_issued {
        return Err(format!(
            "ODEVZDANE_OBALKY={} exceeds VYDANE_OBALKY={}",
            t.envelopes_returned, t.envelopes_issued
        ));
    }
    let per_voter = match def.kind {
        ElectionKind::Kv => r
            .council
            .and_then(|c| def.councils.iter().find(|x| x.code == c))
            .and_then(|c| {
                c.districts
                    .iter()
                    .find(|d| Some(d.number) == r.council_district || c.districts.len() == 1)
            })
            .map_or(MAX_SEATS_PER_VOTER, |d| u64::from(d.seats)),
        _ => 1,
    };
    if t.valid_votes > t.envelopes_returned.saturating_mul(per_voter) {
        return Err(if per_voter == 1 {
            format!(
                "PLATNE_HLASY={} exceeds ODEVZDANE_OBALKY={}",
                t.valid_votes, t.envelopes_returned
            )
        } else {
            format!(
                "PLATNE_HLASY={} exceeds ODEVZDANE_OBALKY={} × {per_voter} seats",
                t.valid_votes, t.envelopes_returned
            )
        });
    }
    Ok(())
}

/// Preferential votes: the list exists in the precinct's kraj, the candidate is on it, no
/// candidate twice, and nobody has more preferential votes than the list has votes (a voter
/// circles a candidate once).
fn check_preferences(
    def: &Definition,
    index: &GeoIndex,
    r: &PrecinctResult,
) -> std::result::Result<(), String> {
    if r.preferences.is_empty() {
        return Ok(());
    }
    let Some(kraj) = index
        .obec
        .get(&r.obec)
        .and_then(|place| def.kraje.get(place.kraj))
        .map(|k| k.number)
    else {
        return Err("preferential votes of a precinct outside the defined geography".into());
    };
    // Which candidate comes twice is looked for only when one does.
    let repeats = has_repeats(r.preferences.iter().map(|&(p, c, _)| (p, c)));
    let mut seen = std::collections::HashSet::new();
    for &(party, candidate, votes) in &r.preferences {
        let Some(&li) = index.list.get(&(kraj, party)) else {
            return Err(format!(
                "KANDIDAT KSTRANA={party}: no candidate list of that party in kraj {kraj}"
            ));
        };
        let listed = def.lists.get(li).map_or(0, |l| l.candidates.len());
        if candidate == 0 || candidate as usize > listed {
            return Err(format!(
                "KANDIDAT KSTRANA={party} PORCISLO={candidate}: the list has {listed} candidates"
            ));
        }
        if repeats && !seen.insert((party, candidate)) {
            return Err(format!(
                "KANDIDAT KSTRANA={party} PORCISLO={candidate} appears twice"
            ));
        }
        let list_votes = r.votes.iter().find(|v| v.0 == party).map_or(0, |v| v.1);
        if votes > list_votes {
            return Err(format!(
                "KANDIDAT KSTRANA={party} PORCISLO={candidate}: {votes} preferential votes, the list has {list_votes} votes"
            ));
        }
    }
    Ok(())
}

/// A cut batch with the rows it holds.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The stored cut.
    pub cut: BatchCut,
    /// Rows in this batch, in log order.
    pub rows: Vec<Arc<PrecinctResult>>,
    /// Precinct rows processed up to and including this batch (`OKRSKY_ZPRAC`): the source
    /// batch's figure when one was replayed, else the distinct rows batched so far.
    pub processed: u32,
}

/// Results of one round.
#[derive(Debug)]
pub struct RoundResults {
    /// Current row per precinct key.
    pub current: HashMap<PrecinctKey, Arc<PrecinctResult>>,
    /// National totals.
    pub cr: Tally,
    /// Per kraj.
    pub kraje: Vec<Tally>,
    /// Per okres.
    pub okresy: Vec<Tally>,
    /// Per obec.
    pub obce: Vec<Tally>,
    /// Per Senate obvod (votes indexed by candidate).
    pub obvody: Vec<Tally>,
    /// Preferential votes per candidate list (index as [`GeoIndex::list`]) and candidate.
    pub preferences: Vec<Vec<u64>>,
    /// Municipal councils per (`KODZASTUP`, `CIS_OBVODU`), as rows arrive (KV).
    pub councils: std::collections::BTreeMap<(u32, u32), CouncilTally>,
    /// Rows not yet in a batch, with their log seq.
    pub pending: Vec<(i64, Arc<PrecinctResult>)>,
    /// Cut batches, in order.
    pub batches: Vec<Batch>,
    /// Keys that appeared in a cut batch.
    pub batched: std::collections::HashSet<PrecinctKey>,
}

/// Results of one election in one data set (test or live).
#[derive(Debug)]
pub struct ElectionResults {
    /// The definition.
    pub def: Arc<Definition>,
    /// Lookup tables.
    pub index: Arc<GeoIndex>,
    /// Per round (index 0 = round 1).
    pub rounds: Vec<RoundResults>,
    /// Highest log seq applied.
    pub applied_seq: i64,
    /// Bumped on every change; feeds regenerate when it moved.
    pub version: u64,
    /// Bumped when the data set is reset: batch numbers start again, so documents of an
    /// earlier epoch are never reused.
    pub epoch: u64,
}

impl ElectionResults {
    /// Empty results.
    pub fn new(def: Arc<Definition>, index: Arc<GeoIndex>) -> Self {
        let parties = def.parties.len();
        let rounds = (0..def.kind.rounds())
            .map(|_| RoundResults {
                current: HashMap::new(),
                cr: Tally::with_width(parties),
                kraje: vec![Tally::with_width(parties); def.kraje.len()],
                okresy: vec![Tally::with_width(parties); def.okresy.len()],
                obce: vec![Tally::with_width(parties); def.obce.len()],
                obvody: def
                    .obvody
                    .iter()
                    .map(|o| Tally::with_width(o.candidates.len()))
                    .collect(),
                preferences: def
                    .lists
                    .iter()
                    .map(|l| vec![0; l.candidates.len()])
                    .collect(),
                councils: std::collections::BTreeMap::new(),
                pending: Vec::new(),
                batches: Vec::new(),
                batched: std::collections::HashSet::new(),
            })
            .collect();
        Self {
            def,
            index,
            rounds,
            applied_seq: 0,
            version: 0,
            epoch: 0,
        }
    }

    /// Empties the results after a reset of the data set: a new epoch, and a version
    /// above every earlier one so the feeds regenerate.
    pub fn reset(&mut self) {
        let (epoch, version) = (self.epoch + 1, self.version + 1);
        *self = Self::new(Arc::clone(&self.def), Arc::clone(&self.index));
        self.epoch = epoch;
        self.version = version;
    }

    fn vote_index(&self, r: &PrecinctResult) -> Vec<(usize, u64)> {
        match self.def.kind {
            ElectionKind::Ps | ElectionKind::Kz => r
                .votes
                .iter()
                .filter_map(|(k, v)| self.index.party.get(k).map(|&i| (i, *v)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The index of round `round` (1-based; a later round than the election has counts as
    /// its last).
    fn round_index(&self, round: u8) -> usize {
        usize::from(round.saturating_sub(1)).min(self.rounds.len().saturating_sub(1))
    }

    /// Applies one stored log row: replaces the precinct's previous row in every aggregate.
    ///
    /// A row whose counts are out of range (stored by a version that did not check them) is
    /// left out, with an error in the log, rather than publishing nonsense.
    pub fn apply(&mut self, seq: i64, r: PrecinctResult) {
        if let Err(rule) = check_counts(&self.def, &r) {
            tracing::error!("log row {seq}, {}: {rule}; not applied", r.label());
            self.applied_seq = self.applied_seq.max(seq);
            return;
        }
        let r = Arc::new(r);
        let key = r.key();
        let ri = self.round_index(key.round);
        let Some(old) = self
            .rounds
            .get(ri)
            .map(|round| round.current.get(&key).cloned())
        else {
            return;
        };
        if let Some(old) = &old
            && old.sequence >= r.sequence
        {
            // The store only appends higher sequences; keep the invariant anyway.
            self.applied_seq = self.applied_seq.max(seq);
            return;
        }
        let geo = self.index.obec.get(&r.obec).copied();
        let obvod = r
            .senate_district
            .and_then(|d| self.index.obvod.get(&d))
            .map(|(i, c)| (*i, c));
        let new_votes = self.vote_index(&r);
        let old_votes = old.as_ref().map(|o| self.vote_index(o));
        let obvod_votes = |p: &PrecinctResult| -> Vec<(usize, u64)> {
            match obvod {
                Some((_, cands)) => p
                    .votes
                    .iter()
                    .filter_map(|(k, v)| cands.get(k).map(|&i| (i, *v)))
                    .collect(),
                None => Vec::new(),
            }
        };
        let kraj = geo.and_then(|place| self.def.kraje.get(place.kraj).map(|k| k.number));
        let Some(round) = self.rounds.get_mut(ri) else {
            return;
        };
        let mut update = |p: &PrecinctResult, votes: &[(usize, u64)], add: bool| {
            round.cr.apply(p, votes, add);
            if let Some(place) = geo {
                // The obec, and the city a borough belongs to.
                for i in std::iter::once(place.obec).chain(place.city) {
                    if let Some(tally) = round.obce.get_mut(i) {
                        tally.apply(p, votes, add);
                    }
                }
                if let Some(tally) = round.okresy.get_mut(place.okres) {
                    tally.apply(p, votes, add);
                }
                if let Some(tally) = round.kraje.get_mut(place.kraj) {
                    tally.apply(p, votes, add);
                }
            }
        };
        if let (Some(old), Some(ov)) = (&old, &old_votes) {
            update(old, ov, false);
        }
        update(&r, &new_votes, true);
        if let Some(kraj) = kraj {
            let mut prefs = |p: &PrecinctResult, add: bool| {
                for &(party, candidate, v) in &p.preferences {
                    let Some(&li) = self.index.list.get(&(kraj, party)) else {
                        continue;
                    };
                    if let Some(slot) = round
                        .preferences
                        .get_mut(li)
                        .and_then(|list| list.get_mut((candidate as usize).wrapping_sub(1)))
                    {
                        *slot = if add {
                            slot.saturating_add(v)
                        } else {
                            slot.saturating_sub(v)
                        };
                    }
                }
            };
            if let Some(old) = &old {
                prefs(old, false);
            }
            prefs(&r, true);
        }
        if let Some(council) = r.council {
            let key = (council, r.council_district.unwrap_or(1));
            let tally = round.councils.entry(key).or_default();
            if let Some(old) = &old {
                tally.apply(old, false);
            }
            tally.apply(&r, true);
        }
        if let Some(tally) = obvod.and_then(|(i, _)| round.obvody.get_mut(i)) {
            if let Some(old) = &old {
                let v = obvod_votes(old);
                tally.apply(old, &v, false);
            }
            let v = obvod_votes(&r);
            tally.apply(&r, &v, true);
        }
        round.current.insert(key, Arc::clone(&r));
        round.pending.push((seq, r));
        self.applied_seq = self.applied_seq.max(seq);
        self.version += 1;
    }

    /// The `last_seq` of the latest batch applied in every round (the least of them; 0 when
    /// a round has none): cuts before it are all applied.
    pub fn applied_cut_seq(&self) -> i64 {
        self.rounds
            .iter()
            .map(|r| r.batches.last().map_or(0, |b| b.cut.last_seq))
            .min()
            .unwrap_or(0)
    }

    /// Applies a batch cut: moves the pending rows with `seq <= last_seq` into it.
    pub fn apply_cut(&mut self, cut: BatchCut) {
        let ri = self.round_index(cut.round);
        let Some(round) = self.rounds.get_mut(ri) else {
            return;
        };
        if round
            .batches
            .last()
            .is_some_and(|b| b.cut.number >= cut.number)
        {
            return;
        }
        let split = round.pending.partition_point(|(s, _)| *s <= cut.last_seq);
        let rows: Vec<_> = round.pending.drain(..split).map(|(_, r)| r).collect();
        round.batched.extend(rows.iter().map(|r| r.key()));
        // A replayed source batch keeps the source's count (ČSÚ counts precincts it marked
        // processed without listing them); otherwise the distinct rows batched so far.
        let processed = cut.upstream.map_or_else(
            || u32::try_from(round.batched.len()).unwrap_or(u32::MAX),
            |u| u.processed,
        );
        round.batches.push(Batch {
            cut,
            rows,
            processed,
        });
        self.version += 1;
    }
}
