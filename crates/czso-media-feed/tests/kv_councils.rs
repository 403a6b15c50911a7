//! Municipal councils: one result document per council (and election district) with lists,
//! votes, seats, the elected and the substitutes, from a simulated municipal election whose
//! cities with boroughs send two rows per precinct (city council and borough council).

use czso_media_feed::model::ElectionKind;
use czso_media_feed::results::{ElectionResults, GeoIndex};
use czso_media_feed::simulate::{Params, generate};
use std::sync::Arc;
use volby_mandaty::{CandidateOrder, PreferenceRule, municipal};

fn attr(tag: &str, name: &str) -> String {
    format!(" {tag}")
        .split(&format!(" {name}=\""))
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("{name} in {tag}"))
        .to_owned()
}

fn num(tag: &str, name: &str) -> u64 {
    attr(tag, name).parse().unwrap()
}

#[test]
fn council_documents_carry_seats_members_and_substitutes() {
    let sim = generate(&Params {
        id: "kv2026".into(),
        kind: ElectionKind::Kv,
        okrsky: 3000,
        obce: 600,
        ..Params::default()
    });
    let def = Arc::new(sim.definition.clone());
    def.check("kv2026").unwrap();
    let index = Arc::new(GeoIndex::new(&def));
    let mut results = ElectionResults::new(Arc::clone(&def), Arc::clone(&index));
    let mut seq = 0;
    let half = sim.batches.len() / 3;
    for (i, batch) in sim.batches.iter().enumerate() {
        let parsed =
            czso_media_feed::server::prepare(&def, &index, batch.as_bytes(), "kv.xml", 1).unwrap();
        for p in parsed.precincts {
            seq += 1;
            results.apply(seq, p);
        }
        if i == half {
            // While counting: provisional documents, some councils not complete yet.
            let feeds = czso_media_feed::feeds::generate(&results, None, chrono::Utc::now());
            let open = def
                .councils
                .iter()
                .filter(|c| {
                    let doc = std::str::from_utf8(
                        &feeds.docs[&format!("zastup/vysledky_obec_{}.xml", c.code)].body,
                    )
                    .unwrap();
                    doc.contains("JE_SPOCTENO=\"false\"")
                })
                .count();
            assert!(open > 0);
        }
    }
    let feeds = czso_media_feed::feeds::generate(&results, None, chrono::Utc::now());
    let mut councils = 0;
    let mut substitutes = 0;
    for c in &def.councils {
        let doc =
            std::str::from_utf8(&feeds.docs[&format!("zastup/vysledky_obec_{}.xml", c.code)].body)
                .unwrap();
        assert!(doc.contains("xmlns=\"http://www.volby.cz/kv/\""));
        let obec = doc
            .split("<OBEC ")
            .nth(1)
            .unwrap()
            .split('>')
            .next()
            .unwrap();
        assert_eq!(num(obec, "KODZASTUP"), u64::from(c.code));
        // ČSÚ writes `true` (KV 2022 vysledky_obec of Praha, Brno, Brno-Bohunice).
        assert_eq!(attr(obec, "JE_SPOCTENO"), "true", "council {}", c.code);
        let ucast = doc
            .split("<UCAST ")
            .nth(1)
            .unwrap()
            .split("/>")
            .next()
            .unwrap();
        assert_eq!(num(ucast, "OKRSKY_ZPRAC"), num(ucast, "OKRSKY_CELKEM"));
        // Seats recomputed from the document alone, as a newsroom could.
        let lists: Vec<&str> = doc.split("<VOLEBNI_STRANA ").skip(1).collect();
        let votes: Vec<u64> = lists
            .iter()
            .map(|l| num(l.split('>').next().unwrap(), "HLASY"))
            .collect();
        let standing: Vec<u32> = lists
            .iter()
            .map(|l| num(l.split('>').next().unwrap(), "KANDIDATU_POCET") as u32)
            .collect();
        let seats = num(obec, "VOLENO_ZASTUP") as u32;
        let expected = municipal(&votes, &standing, seats).unwrap();
        let mut total = 0;
        for (i, l) in lists.iter().enumerate() {
            let head = l.split('>').next().unwrap();
            let won = num(head, "ZASTUPITELE_POCET") as u32;
            assert_eq!(won, expected.seats[i], "council {} list {i}", c.code);
            total += won;
            let body = l.split("</VOLEBNI_STRANA>").next().unwrap();
            let people = |el: &str| -> Vec<(u64, u64)> {
                body.split(&format!("<{el} "))
                    .skip(1)
                    .map(|p| (num(p, "PORADOVE_CISLO"), num(p, "HLASY")))
                    .collect()
            };
            let (elected, subs) = (people("ZASTUPITEL"), people("NAHRADNIK"));
            assert_eq!(elected.len() as u32, won);
            assert_eq!(
                elected.len() + subs.len(),
                standing[i] as usize,
                "everyone is elected or a substitute"
            );
            // The 110 % rule on the candidates' votes gives the same members.
            let mut all = elected.clone();
            all.extend(&subs);
            all.sort_unstable();
            let cand_votes: Vec<u64> = all.iter().map(|p| p.1).collect();
            let order = CandidateOrder::new(
                votes[i],
                &cand_votes,
                PreferenceRule::AboveListAverage { percent: 110 },
            );
            // Listed in the order the seats were won, as ČSÚ lists them.
            let ours: Vec<u64> = order.split(won).0.iter().map(|&k| all[k].0).collect();
            assert_eq!(ours, elected.iter().map(|p| p.0).collect::<Vec<_>>());
            substitutes += subs.len();
        }
        // A seat stays empty only when every passing list has run out of candidates.
        assert_eq!(total + expected.unfilled, seats, "council {}", c.code);
        councils += 1;
    }
    assert_eq!(councils, def.councils.len());
    assert!(substitutes > 0);
    // Prague's city council counts every precinct of its 57 districts once; each district's
    // council its own.
    let praha = std::str::from_utf8(&feeds.docs["zastup/vysledky_obec_554782.xml"].body).unwrap();
    let borough_precincts: u32 = def
        .obce
        .iter()
        .filter(|o| o.city == Some(554_782))
        .map(|o| o.okrsky)
        .sum();
    assert!(praha.contains(&format!(
        "OKRSKY_CELKEM=\"{borough_precincts}\" OKRSKY_ZPRAC=\"{borough_precincts}\""
    )));
    assert!(praha.contains("OZNAC_TYPU=\"OBEC\" VOLENO_ZASTUP=\"65\""));
    assert_eq!(
        def.councils.iter().filter(|c| c.typ == "MCMO").count(),
        57 + 29 + 23 + 10
    );
}

#[test]
fn candidate_votes_must_add_up_to_the_list() {
    let sim = generate(&Params {
        id: "kv2026".into(),
        kind: ElectionKind::Kv,
        okrsky: 300,
        obce: 100,
        ..Params::default()
    });
    let def = sim.definition;
    let index = GeoIndex::new(&def);
    let batch = &sim.batches[0];
    let bad = batch.replacen("PORCISLO=\"1\" HLASY=\"", "PORCISLO=\"1\" HLASY=\"9", 1);
    let err = czso_media_feed::server::prepare(&def, &index, bad.as_bytes(), "kv-bad.xml", 1)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("kv-bad.xml") && err.contains("candidates of list"),
        "{err}"
    );
}
