//! The seat calculus for a national Chamber result (ČSÚ's real 2021 and 2017 files: 14
//! regions, 22 and 31 lists). Goal: < 1 ms.
#![allow(missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use volby_mandaty::{CandidateOrder, ChamberInput, ChamberRules, PreferenceRule, chamber};

fn bench(c: &mut Criterion) {
    for (label, file, rules) in [
        (
            "ps2021 quota rules",
            "ps2021_vysledky.xml",
            ChamberRules::Quota2021,
        ),
        (
            "ps2017 d'hondt rules",
            "ps2017_vysledky_utf8_served-2021.xml",
            ChamberRules::Dhondt2002,
        ),
    ] {
        let f = common::chamber_file(file);
        let members = vec![1; f.lists.len()];
        c.bench_function(&format!("chamber seats, {label}"), |b| {
            b.iter(|| {
                chamber(
                    black_box(&ChamberInput {
                        votes: &f.votes,
                        members: &members,
                        candidates: None,
                        seats: 200,
                    }),
                    rules,
                )
                .unwrap()
            });
        });
    }
    // Seats and the order of all candidates of every seated list (2010 test feed: 70 lists
    // with seats, every candidate's preferential votes).
    let f = common::chamber_file("ps2013test_vysledky_iso-8859-2.xml");
    let kandid = common::read("ps2013test_vysledky_kandid_iso-8859-2.xml");
    let mut lists = Vec::new();
    for kraj in kandid.all("KRAJ") {
        for s in kraj.one("STRANY").all("STRANA") {
            let k = s.num("KSTRANA");
            let prefs: Vec<u64> = kraj
                .one("KANDIDATI")
                .all("KANDIDAT")
                .filter(|c| c.num("KSTRANA") == k)
                .map(|c| c.num("HLASY"))
                .collect();
            lists.push((s.num("POC_HLASU"), prefs));
        }
    }
    let members = vec![1; f.lists.len()];
    c.bench_function(
        "chamber seats + candidate order of every list, ps2010",
        |b| {
            b.iter(|| {
                let r = chamber(
                    &ChamberInput {
                        votes: &f.votes,
                        members: &members,
                        candidates: None,
                        seats: 200,
                    },
                    ChamberRules::Dhondt2002,
                )
                .unwrap();
                let orders: usize = lists
                    .iter()
                    .map(|(v, p)| {
                        CandidateOrder::new(*v, p, PreferenceRule::ShareOfListVotes { percent: 5 })
                            .preferred
                    })
                    .sum();
                black_box((r, orders))
            });
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
