//! A whole simulated Senate election through the feed: 27 districts, round-one batches, then
//! the run-off batches a week later. Each district's verdict in `vysledky.xml` is checked
//! against the law applied here, on votes read back from the batch documents with this
//! test's own parser — not the feed's parser, tallies or `volby_mandaty::senate`.

use czso_media_feed::model::{Definition, ElectionKind};
use czso_media_feed::results::{ElectionResults, GeoIndex};
use czso_media_feed::server::prepare;
use czso_media_feed::simulate::{Params, generate};
use quick_xml::events::{BytesStart, Event};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Attributes of an element by name (raw values: the ones read here hold no entities).
fn attrs(e: &BytesStart<'_>) -> HashMap<String, String> {
    e.attributes()
        .map(|a| {
            let a = a.unwrap();
            (a.key.local_name().as_ref().to_owned(), a.value.into_owned())
        })
        .collect()
}

fn num(a: &HashMap<String, String>, name: &str) -> u64 {
    a[name]
        .parse()
        .unwrap_or_else(|e| panic!("{name}={}: {e}", a[name]))
}

/// One precinct row of a batch: its key, district and votes per candidate.
#[derive(Debug, Clone)]
struct Row {
    key: (u8, u64, u64),
    obvod: u64,
    valid: u64,
    votes: BTreeMap<u64, u64>,
}

/// The precinct rows of a batch document, in document order.
fn batch_rows(doc: &str) -> Vec<Row> {
    let mut reader = quick_xml::Reader::from_str(doc);
    let mut out = Vec::new();
    let mut current: Option<Row> = None;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if e.local_name().as_ref() == "OKRSEK" => {
                let a = attrs(&e);
                let round = u8::try_from(num(&a, "KOLO")).unwrap();
                current = Some(Row {
                    key: (round, num(&a, "CIS_OBEC"), num(&a, "CIS_OKRSEK")),
                    obvod: num(&a, "CIS_OBVOD"),
                    valid: 0,
                    votes: BTreeMap::new(),
                });
            }
            Event::Empty(e) if e.local_name().as_ref() == "UCAST_OKRSEK" => {
                current.as_mut().unwrap().valid = num(&attrs(&e), "PLATNE_HLASY");
            }
            Event::Empty(e) if e.local_name().as_ref() == "HLASY_OKRSEK" => {
                let a = attrs(&e);
                let votes = &mut current.as_mut().unwrap().votes;
                assert!(
                    votes
                        .insert(num(&a, "PORADOVE_CISLO"), num(&a, "HLASY"))
                        .is_none()
                );
            }
            Event::End(e) if e.local_name().as_ref() == "OKRSEK" => {
                out.push(current.take().unwrap());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// Votes per district and candidate number, and valid votes per district, from the rows as
/// they stand after every batch (a re-sent row replaces the earlier one of the same key).
fn totals(rows: &[Row]) -> BTreeMap<u64, (BTreeMap<u64, u64>, u64)> {
    let mut last: HashMap<(u8, u64, u64), &Row> = HashMap::new();
    for r in rows {
        last.insert(r.key, r);
    }
    let mut out: BTreeMap<u64, (BTreeMap<u64, u64>, u64)> = BTreeMap::new();
    for r in last.values() {
        let t = out.entry(r.obvod).or_default();
        for (&c, &v) in &r.votes {
            *t.0.entry(c).or_default() += v;
        }
        t.1 += r.valid;
    }
    out
}

/// Round one as zákon 247/1995 Sb. words it: § 75, elected with more than half of the valid
/// votes; § 76 odst. 2, otherwise the candidates with the highest and the second highest
/// number of votes go to round two (all who share the highest number, if several do).
fn law_round_one(candidates: &[u64], votes: &BTreeMap<u64, u64>, valid: u64) -> Verdict {
    let v = |c: &u64| votes.get(c).copied().unwrap_or(0);
    let mut levels: Vec<u64> = candidates.iter().map(v).collect();
    levels.sort_unstable_by(|a, b| b.cmp(a));
    levels.dedup();
    let with = |level: u64| -> BTreeSet<u64> {
        candidates
            .iter()
            .filter(|c| v(c) == level)
            .copied()
            .collect()
    };
    let top = with(levels[0]);
    if top.len() == 1 && 2 * levels[0] > valid {
        return Verdict::Elected(*top.first().unwrap());
    }
    if top.len() > 1 {
        return Verdict::RunOff(top);
    }
    let mut both = top;
    both.extend(with(levels[1]));
    Verdict::RunOff(both)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Elected(u64),
    RunOff(BTreeSet<u64>),
}

/// Per district: per candidate number its (HLASY_1KOLO, ZVOLEN_1KOLO, HLASY_2KOLO,
/// ZVOLEN_2KOLO) as the feed's `vysledky.xml` has them, and the precincts processed per round;
/// key 0: `CELKEM`'s precincts processed per round.
type Published = BTreeMap<u64, (BTreeMap<u64, [Option<String>; 4]>, BTreeMap<u64, u64>)>;

fn published(doc: &str) -> Published {
    let mut reader = quick_xml::Reader::from_str(doc);
    let mut out = Published::new();
    let mut obvod = 0;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if e.local_name().as_ref() == "OBVOD" => {
                obvod = num(&attrs(&e), "CISLO");
                out.entry(obvod).or_default();
            }
            Event::Empty(e) if e.local_name().as_ref() == "KANDIDAT" => {
                let a = attrs(&e);
                let fields = ["HLASY_1KOLO", "ZVOLEN_1KOLO", "HLASY_2KOLO", "ZVOLEN_2KOLO"]
                    .map(|f| a.get(f).cloned());
                out.get_mut(&obvod)
                    .unwrap()
                    .0
                    .insert(num(&a, "PORADOVE_CISLO"), fields);
            }
            // Outside a district (`CELKEM`), the totals go under key 0.
            Event::End(e) if e.local_name().as_ref() == "OBVOD" => obvod = 0,
            Event::Empty(e) if e.local_name().as_ref() == "UCAST" => {
                let a = attrs(&e);
                out.entry(obvod)
                    .or_default()
                    .1
                    .insert(num(&a, "KOLO"), num(&a, "OKRSKY_ZPRAC"));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// Feeds batch documents of `round` through the server's own checks into the tallies.
fn ingest(
    def: &Definition,
    index: &GeoIndex,
    results: &mut ElectionResults,
    seq: &mut i64,
    docs: &[String],
    round: u8,
) {
    for (i, doc) in docs.iter().enumerate() {
        let name = format!("kolo{round}_davka_{:05}.xml", i + 1);
        let parsed = prepare(def, index, doc.as_bytes(), &name, round).unwrap();
        for p in parsed.precincts {
            *seq += 1;
            results.apply(*seq, p);
        }
    }
}

fn vysledky(results: &ElectionResults) -> String {
    let feeds = czso_media_feed::feeds::generate(results, None, chrono::Utc::now());
    String::from_utf8(feeds.docs["vysledky.xml"].body.to_vec()).unwrap()
}

#[test]
fn simulated_senate_election_verdicts_follow_the_law() {
    let sim = generate(&Params {
        id: "senat2026".into(),
        kind: ElectionKind::Senat,
        okrsky: 3000,
        obce: 1200,
        ..Params::default()
    });
    let def = Arc::new(sim.definition.clone());
    def.check("sim").unwrap();
    assert_eq!(def.obvody.len(), 27);
    let numbers: Vec<u32> = def.obvody.iter().map(|o| o.number).collect();
    assert_eq!(numbers, (1..=27).map(|i| 3 * i).collect::<Vec<_>>());
    let index = Arc::new(GeoIndex::new(&def));
    let mut results = ElectionResults::new(Arc::clone(&def), Arc::clone(&index));
    let mut seq = 0;

    let first_rows: Vec<Row> = sim.batches.iter().flat_map(|b| batch_rows(b)).collect();
    let second_rows: Vec<Row> = sim.runoff.iter().flat_map(|b| batch_rows(b)).collect();
    assert!(first_rows.iter().all(|r| r.key.0 == 1));
    assert!(second_rows.iter().all(|r| r.key.0 == 2));

    // Halfway through round one: only districts with every precinct in have a verdict.
    let half = sim.batches.len() / 2;
    ingest(
        &def,
        &index,
        &mut results,
        &mut seq,
        &sim.batches[..half],
        1,
    );
    let partial = published(&vysledky(&results));
    let mut incomplete = 0;
    for o in &def.obvody {
        let (cands, ucast) = &partial[&u64::from(o.number)];
        if ucast[&1] < u64::from(o.okrsky) {
            incomplete += 1;
            assert!(cands.values().all(|f| f[1].is_none()), "obvod {}", o.number);
        }
    }
    assert!(incomplete > 0, "halfway, some districts are still counting");

    // Round one complete.
    ingest(
        &def,
        &index,
        &mut results,
        &mut seq,
        &sim.batches[half..],
        1,
    );
    let after_one = published(&vysledky(&results));
    // `CELKEM`: every district's precincts, all processed; no round two yet.
    let all: u64 = def.obvody.iter().map(|o| u64::from(o.okrsky)).sum();
    assert_eq!(after_one[&0].1, BTreeMap::from([(1, all)]));
    let one = totals(&first_rows);
    let mut verdicts = BTreeMap::new();
    for o in &def.obvody {
        let number = u64::from(o.number);
        let (votes, valid) = &one[&number];
        let candidates: Vec<u64> = o.candidates.iter().map(|c| u64::from(c.number)).collect();
        let verdict = law_round_one(&candidates, votes, *valid);
        let (cands, ucast) = &after_one[&number];
        assert_eq!(ucast[&1], u64::from(o.okrsky), "obvod {number}");
        for &c in &candidates {
            let expected = match &verdict {
                Verdict::Elected(w) if *w == c => "ZVOLEN",
                Verdict::RunOff(r) if r.contains(&c) => "2.KOLO",
                _ => "NEZVOLEN",
            };
            let f = &cands[&c];
            let own = votes.get(&c).copied().unwrap_or(0).to_string();
            assert_eq!(
                f[0].as_deref(),
                Some(own.as_str()),
                "obvod {number} no. {c}"
            );
            assert_eq!(
                f[1].as_deref(),
                Some(expected),
                "obvod {number} no. {c}: {votes:?} of {valid}"
            );
            // As ČSÚ's 2026 document: the run-off pair shows `HLASY_2KOLO="0"` as soon as
            // round one sends it there, nobody a round-two verdict yet.
            let going_on = matches!(&verdict, Verdict::RunOff(r) if r.contains(&c));
            assert_eq!(
                f[2].as_deref(),
                going_on.then_some("0"),
                "obvod {number} no. {c}"
            );
            assert!(f[3].is_none());
        }
        verdicts.insert(number, verdict);
    }
    let elected = verdicts
        .values()
        .filter(|v| matches!(v, Verdict::Elected(_)))
        .count();
    assert!(
        (1..27).contains(&elected),
        "some districts are decided in round one, the others go to round two: {elected} of 27"
    );

    // Round two is held exactly where nobody was elected, between the run-off candidates.
    for r in &second_rows {
        let Verdict::RunOff(runners) = &verdicts[&r.obvod] else {
            panic!("round-two row in obvod {}, decided in round one", r.obvod);
        };
        assert!(r.votes.keys().all(|c| runners.contains(c)), "{r:?}");
    }
    ingest(&def, &index, &mut results, &mut seq, &sim.runoff, 2);
    let after_two = published(&vysledky(&results));
    // `CELKEM` of round two: the precincts of the districts holding a run-off.
    let runoff_precincts: u64 = def
        .obvody
        .iter()
        .filter(|o| matches!(verdicts[&u64::from(o.number)], Verdict::RunOff(_)))
        .map(|o| u64::from(o.okrsky))
        .sum();
    assert_eq!(
        after_two[&0].1,
        BTreeMap::from([(1, all), (2, runoff_precincts)])
    );
    let two = totals(&second_rows);
    for o in &def.obvody {
        let number = u64::from(o.number);
        let (cands, ucast) = &after_two[&number];
        match &verdicts[&number] {
            Verdict::Elected(_) => {
                assert!(!ucast.contains_key(&2), "obvod {number}: no round two");
                assert!(cands.values().all(|f| f[2].is_none() && f[3].is_none()));
            }
            Verdict::RunOff(runners) => {
                assert_eq!(ucast[&2], u64::from(o.okrsky), "obvod {number}");
                let (votes, _) = &two[&number];
                // § 76 odst. 4: the most votes wins; a tie would be a lot, which the feed
                // resolves by ballot order.
                let best = runners.iter().map(|c| votes[c]).max().unwrap();
                let winner = *runners.iter().find(|c| votes[c] == best).unwrap();
                for (&c, f) in cands {
                    if runners.contains(&c) {
                        assert_eq!(f[2], Some(votes[&c].to_string()), "obvod {number} no. {c}");
                        let expected = if c == winner { "ZVOLEN" } else { "NEZVOLEN" };
                        assert_eq!(f[3].as_deref(), Some(expected), "obvod {number} no. {c}");
                    } else {
                        assert!(f[2].is_none() && f[3].is_none(), "obvod {number} no. {c}");
                    }
                }
            }
        }
    }
}
