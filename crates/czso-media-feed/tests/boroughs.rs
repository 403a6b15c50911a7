//! Cities with boroughs (Praha, Brno, Ostrava, Plzeň): the city's row adds up its boroughs,
//! and no okres, kraj or national total counts a precinct twice.

use czso_media_feed::model::TypObec;
use czso_media_feed::results::{ElectionResults, GeoIndex, Tally};
use czso_media_feed::simulate::{Params, generate};
use std::sync::Arc;

fn add(into: &mut Tally, t: &Tally) {
    into.processed += t.processed;
    into.registered += t.registered;
    into.envelopes_issued += t.envelopes_issued;
    into.envelopes_returned += t.envelopes_returned;
    into.valid_votes += t.valid_votes;
    if into.votes.len() < t.votes.len() {
        into.votes.resize(t.votes.len(), 0);
    }
    for (a, b) in into.votes.iter_mut().zip(&t.votes) {
        *a += b;
    }
}

fn sum<'a>(tallies: impl Iterator<Item = &'a Tally>, width: usize) -> Tally {
    let mut out = Tally {
        votes: vec![0; width],
        ..Tally::default()
    };
    for t in tallies {
        add(&mut out, t);
    }
    out
}

#[test]
fn every_aggregate_level_adds_up_without_double_counting() {
    let sim = generate(&Params::default());
    let def = Arc::new(sim.definition.clone());
    let index = Arc::new(GeoIndex::new(&def));
    // The simulator has Prague's 57 districts, Brno's 29, Ostrava's 23 and Plzeň's 10.
    for (city, boroughs) in [(554_782, 57), (582_786, 29), (554_821, 23), (554_791, 10)] {
        let n = def.obce.iter().filter(|o| o.city == Some(city)).count();
        assert_eq!(n, boroughs, "boroughs of {city}");
    }
    let mut results = ElectionResults::new(Arc::clone(&def), Arc::clone(&index));
    let mut seq = 0;
    let check = |results: &ElectionResults, label: &str| {
        let round = &results.rounds[0];
        let width = def.parties.len();
        for (i, o) in def.obce.iter().enumerate() {
            if o.typ == TypObec::ObecSMcmo {
                let boroughs = def
                    .obce
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.city == Some(o.code))
                    .map(|(j, _)| &round.obce[j]);
                assert_eq!(
                    round.obce[i],
                    sum(boroughs, width),
                    "{label}: city {}",
                    o.name
                );
                let total: u32 = def
                    .obce
                    .iter()
                    .filter(|b| b.city == Some(o.code))
                    .map(|b| b.okrsky)
                    .sum();
                assert_eq!(results.index.obec_total[i], total);
            }
        }
        for (k, okres) in def.okresy.iter().enumerate() {
            let own = def
                .obce
                .iter()
                .enumerate()
                .filter(|(_, o)| o.okres == okres.nuts && o.typ != TypObec::ObecSMcmo)
                .map(|(j, _)| &round.obce[j]);
            assert_eq!(
                round.okresy[k],
                sum(own, width),
                "{label}: okres {}",
                okres.nuts
            );
        }
        for (k, kraj) in def.kraje.iter().enumerate() {
            let own = def
                .okresy
                .iter()
                .enumerate()
                .filter(|(_, o)| o.kraj == kraj.number)
                .map(|(j, _)| &round.okresy[j]);
            assert_eq!(
                round.kraje[k],
                sum(own, width),
                "{label}: kraj {}",
                kraj.name
            );
        }
        assert_eq!(round.cr, sum(round.kraje.iter(), width), "{label}: ČR");
    };
    for (i, batch) in sim.batches.iter().enumerate() {
        let parsed =
            czso_media_feed::server::prepare(&def, &index, batch.as_bytes(), "sim", 1).unwrap();
        for p in parsed.precincts {
            seq += 1;
            results.apply(seq, p);
        }
        if i % 20 == 0 {
            check(&results, &format!("after batch {}", i + 1));
        }
    }
    check(&results, "complete");
    assert_eq!(results.rounds[0].cr.processed, def.okrsky_celkem());

    // As a newsroom reads it: Prague's okres document, city row vs. its districts.
    let feeds = czso_media_feed::feeds::generate(&results, None, chrono::Utc::now());
    let xml = std::str::from_utf8(&feeds.docs["okresy/vysledky_okres_CZ0100.xml"].body).unwrap();
    let rows: Vec<(String, u64, u64)> = xml
        .split("<OBEC ")
        .skip(1)
        .map(|chunk| {
            let typ = chunk
                .split("TYP_OBEC=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_owned();
            let attr = |name: &str| -> u64 {
                chunk
                    .split(&format!(" {name}=\""))
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            };
            (typ, attr("PLATNE_HLASY"), attr("OKRSKY_CELKEM"))
        })
        .collect();
    let city: Vec<_> = rows.iter().filter(|r| r.0 == "OBEC_S_MCMO").collect();
    assert_eq!(city.len(), 1);
    let boroughs: Vec<_> = rows.iter().filter(|r| r.0 == "MCMO").collect();
    assert_eq!(boroughs.len(), 57);
    assert!(city[0].1 > 0, "the city row is not zero");
    assert_eq!(city[0].1, boroughs.iter().map(|r| r.1).sum::<u64>());
    assert_eq!(city[0].2, boroughs.iter().map(|r| r.2).sum::<u64>());
    let okres_valid: u64 = xml
        .split("<OKRES ")
        .nth(1)
        .unwrap()
        .split(" PLATNE_HLASY=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(okres_valid, city[0].1, "the okres counts Prague once");
}

#[test]
fn a_precinct_reported_under_the_city_code_is_refused() {
    let sim = generate(&Params {
        okrsky: 2000,
        obce: 400,
        ..Params::default()
    });
    let def = sim.definition;
    let index = GeoIndex::new(&def);
    let doc = br#"<VYSLEDKY_OKRSKY xmlns="http://www.volby.cz/ps/"><OKRSEK CIS_OBEC="554782" CIS_OKRSEK="1" PORADI_ZPRAC="1" DATUM_CAS_ZPRAC="2025-10-04T14:00:00" OPAKOVANE="0"><UCAST_OKRSEK ZAPSANI_VOLICI="10" VYDANE_OBALKY="5" ODEVZDANE_OBALKY="5" PLATNE_HLASY="0"/></OKRSEK></VYSLEDKY_OKRSKY>"#;
    let err = czso_media_feed::server::prepare(&def, &index, doc, "praha.xml", 1)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("praha.xml") && err.contains("boroughs"),
        "{err}"
    );
}

#[test]
fn a_borough_without_its_city_is_refused() {
    let mut def = generate(&Params {
        okrsky: 2000,
        obce: 400,
        ..Params::default()
    })
    .definition;
    let b = def
        .obce
        .iter()
        .position(|o| o.typ == TypObec::Mcmo)
        .unwrap();
    def.obce[b].city = None;
    assert!(
        def.check("def.json")
            .unwrap_err()
            .to_string()
            .contains("names no city")
    );
}

#[test]
fn precincts_abroad_count_in_their_kraj_and_have_their_document() {
    let sim = generate(&Params {
        okrsky: 3000,
        obce: 600,
        ..Params::default()
    });
    let def = Arc::new(sim.definition.clone());
    let index = Arc::new(GeoIndex::new(&def));
    let mut results = ElectionResults::new(Arc::clone(&def), Arc::clone(&index));
    let mut seq = 0;
    for batch in &sim.batches {
        let parsed =
            czso_media_feed::server::prepare(&def, &index, batch.as_bytes(), "sim", 1).unwrap();
        for p in parsed.precincts {
            seq += 1;
            results.apply(seq, p);
        }
    }
    let feeds = czso_media_feed::feeds::generate(&results, None, chrono::Utc::now());
    assert!(
        !feeds.docs.contains_key("okresy/vysledky_okres_CZZZZZ.xml"),
        "abroad has its own document"
    );
    let xml = std::str::from_utf8(&feeds.docs["vysledky_zahranici.xml"].body).unwrap();
    let abroad = def.okresy.iter().position(|o| o.nuts == "CZZZZZ").unwrap();
    let tally = &results.rounds[0].okresy[abroad];
    assert!(tally.valid_votes > 0);
    let celkem = xml.split("<CELKEM>").nth(1).unwrap();
    assert!(
        celkem.contains(&format!(" PLATNE_HLASY=\"{}\"", tally.valid_votes)),
        "{celkem}"
    );
    assert_eq!(xml.matches("<STAT ").count(), 20);
    // Abroad counts in the drawn kraj (2, Středočeský), so the kraj total includes it.
    let kraj2 = &results.rounds[0].kraje[1];
    let okresy2: u64 = def
        .okresy
        .iter()
        .enumerate()
        .filter(|(_, o)| o.kraj == 2)
        .map(|(i, _)| results.rounds[0].okresy[i].valid_votes)
        .sum();
    assert_eq!(kraj2.valid_votes, okresy2);
}
