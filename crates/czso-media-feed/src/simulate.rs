//! A synthetic election of realistic size: 14 kraje, 77 okresy (real NUTS codes and names),
//! about 6,250 obce and 14,800 okrsky, 20+ parties, delivered as precinct batches over the
//! evening of counting; or a municipal election (a council per municipality), or a third of
//! the Senate (27 districts, round one and the run-offs a week later).

use crate::model::{
    Candidate, CandidateList, Council, CouncilDistrict, CouncilList, Definition, ElectionKind,
    Kraj, Obec, Obvod, Okres, Party, PrecinctResult, Turnout, TypObec,
};
use crate::xml::{BatchHeader, write_batch};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use std::collections::HashMap;

/// The 14 regions (PS numbering `CIS_KRAJ`, NUTS, name as in the feeds).
pub const KRAJE: [(u32, &str, &str); 14] = [
    (1, "CZ010", "Hl. m. Praha"),
    (2, "CZ020", "Středočeský"),
    (3, "CZ031", "Jihočeský"),
    (4, "CZ032", "Plzeňský"),
    (5, "CZ041", "Karlovarský"),
    (6, "CZ042", "Ústecký"),
    (7, "CZ051", "Liberecký"),
    (8, "CZ052", "Královéhradecký"),
    (9, "CZ053", "Pardubický"),
    (10, "CZ063", "Vysočina"),
    (11, "CZ064", "Jihomoravský"),
    (12, "CZ071", "Olomoucký"),
    (13, "CZ072", "Zlínský"),
    (14, "CZ080", "Moravskoslezský"),
];

/// The 77 districts (NUTS, name, kraj).
pub const OKRESY: [(&str, &str, u32); 77] = [
    ("CZ0100", "Praha", 1),
    ("CZ0201", "Benešov", 2),
    ("CZ0202", "Beroun", 2),
    ("CZ0203", "Kladno", 2),
    ("CZ0204", "Kolín", 2),
    ("CZ0205", "Kutná Hora", 2),
    ("CZ0206", "Mělník", 2),
    ("CZ0207", "Mladá Boleslav", 2),
    ("CZ0208", "Nymburk", 2),
    ("CZ0209", "Praha-východ", 2),
    ("CZ020A", "Praha-západ", 2),
    ("CZ020B", "Příbram", 2),
    ("CZ020C", "Rakovník", 2),
    ("CZ0311", "České Budějovice", 3),
    ("CZ0312", "Český Krumlov", 3),
    ("CZ0313", "Jindřichův Hradec", 3),
    ("CZ0314", "Písek", 3),
    ("CZ0315", "Prachatice", 3),
    ("CZ0316", "Strakonice", 3),
    ("CZ0317", "Tábor", 3),
    ("CZ0321", "Domažlice", 4),
    ("CZ0322", "Klatovy", 4),
    ("CZ0323", "Plzeň-město", 4),
    ("CZ0324", "Plzeň-jih", 4),
    ("CZ0325", "Plzeň-sever", 4),
    ("CZ0326", "Rokycany", 4),
    ("CZ0327", "Tachov", 4),
    ("CZ0411", "Cheb", 5),
    ("CZ0412", "Karlovy Vary", 5),
    ("CZ0413", "Sokolov", 5),
    ("CZ0421", "Děčín", 6),
    ("CZ0422", "Chomutov", 6),
    ("CZ0423", "Litoměřice", 6),
    ("CZ0424", "Louny", 6),
    ("CZ0425", "Most", 6),
    ("CZ0426", "Teplice", 6),
    ("CZ0427", "Ústí nad Labem", 6),
    ("CZ0511", "Česká Lípa", 7),
    ("CZ0512", "Jablonec nad Nisou", 7),
    ("CZ0513", "Liberec", 7),
    ("CZ0514", "Semily", 7),
    ("CZ0521", "Hradec Králové", 8),
    ("CZ0522", "Jičín", 8),
    ("CZ0523", "Náchod", 8),
    ("CZ0524", "Rychnov nad Kněžnou", 8),
    ("CZ0525", "Trutnov", 8),
    ("CZ0531", "Chrudim", 9),
    ("CZ0532", "Pardubice", 9),
    ("CZ0533", "Svitavy", 9),
    ("CZ0534", "Ústí nad Orlicí", 9),
    ("CZ0631", "Havlíčkův Brod", 10),
    ("CZ0632", "Jihlava", 10),
    ("CZ0633", "Pelhřimov", 10),
    ("CZ0634", "Třebíč", 10),
    ("CZ0635", "Žďár nad Sázavou", 10),
    ("CZ0641", "Blansko", 11),
    ("CZ0642", "Brno-město", 11),
    ("CZ0643", "Brno-venkov", 11),
    ("CZ0644", "Břeclav", 11),
    ("CZ0645", "Hodonín", 11),
    ("CZ0646", "Vyškov", 11),
    ("CZ0647", "Znojmo", 11),
    ("CZ0711", "Jeseník", 12),
    ("CZ0712", "Olomouc", 12),
    ("CZ0713", "Prostějov", 12),
    ("CZ0714", "Přerov", 12),
    ("CZ0715", "Šumperk", 12),
    ("CZ0721", "Kroměříž", 13),
    ("CZ0722", "Uherské Hradiště", 13),
    ("CZ0723", "Vsetín", 13),
    ("CZ0724", "Zlín", 13),
    ("CZ0801", "Bruntál", 14),
    ("CZ0802", "Frýdek-Místek", 14),
    ("CZ0803", "Karviná", 14),
    ("CZ0804", "Nový Jičín", 14),
    ("CZ0805", "Opava", 14),
    ("CZ0806", "Ostrava-město", 14),
];

/// Parameters of a synthetic election.
#[derive(Debug, Clone)]
pub struct Params {
    /// Election id (URL slug).
    pub id: String,
    /// `ps` or `kz` (KZ drops Prague and numbers the 13 regions 1–13).
    pub kind: ElectionKind,
    /// Seed of the deterministic generator.
    pub seed: u64,
    /// Municipalities.
    pub obce: u32,
    /// Precincts.
    pub okrsky: u32,
    /// Parties on the ballot.
    pub parties: u32,
    /// Minutes between batches.
    pub batch_minutes: i64,
    /// Share of precincts re-sent later with `OPAKOVANE="1"` (per mille).
    pub resend_per_mille: u32,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            id: "ps2025".into(),
            kind: ElectionKind::Ps,
            seed: 2025,
            obce: 6250,
            okrsky: 14_800,
            parties: 26,
            batch_minutes: 5,
            resend_per_mille: 10,
        }
    }
}

/// A synthetic election: its definition and its batches in order.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The definition.
    pub definition: Definition,
    /// Batch documents (`VYSLEDKY_OKRSKY`), numbered from 1, in order.
    pub batches: Vec<String>,
    /// The Senate's round-two batches a week later (rows with `KOLO="2"`), numbered from 1;
    /// empty for the other elections and when every district elected in round one.
    pub runoff: Vec<String>,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const PARTY_NAMES: [&str; 8] = [
    "Strana",
    "Hnutí",
    "Aliance",
    "Unie",
    "Koalice",
    "Iniciativa",
    "Blok",
    "Sdružení",
];

/// The regional capitals (ČSÚ municipality code, name, okres), as in ČSÚ's
/// `vysledky_krajmesta` (ps2013test file in `testdata/volby/`).
pub const CAPITALS: [(u32, &str, &str); 13] = [
    (554_782, "Hlavní město Praha", "CZ0100"),
    (544_256, "České Budějovice", "CZ0311"),
    (554_791, "Plzeň", "CZ0323"),
    (554_961, "Karlovy Vary", "CZ0412"),
    (554_804, "Ústí nad Labem", "CZ0427"),
    (563_889, "Liberec", "CZ0513"),
    (569_810, "Hradec Králové", "CZ0521"),
    (555_134, "Pardubice", "CZ0532"),
    (586_846, "Jihlava", "CZ0632"),
    (582_786, "Brno", "CZ0642"),
    (500_496, "Olomouc", "CZ0712"),
    (585_068, "Zlín", "CZ0724"),
    (554_821, "Ostrava", "CZ0806"),
];

/// Prague's 57 districts (městské části).
const PRAHA: [&str; 57] = [
    "Praha 1",
    "Praha 2",
    "Praha 3",
    "Praha 4",
    "Praha 5",
    "Praha 6",
    "Praha 7",
    "Praha 8",
    "Praha 9",
    "Praha 10",
    "Praha 11",
    "Praha 12",
    "Praha 13",
    "Praha 14",
    "Praha 15",
    "Praha 16",
    "Praha 17",
    "Praha 18",
    "Praha 19",
    "Praha 20",
    "Praha 21",
    "Praha 22",
    "Praha-Běchovice",
    "Praha-Benice",
    "Praha-Březiněves",
    "Praha-Čakovice",
    "Praha-Ďáblice",
    "Praha-Dolní Chabry",
    "Praha-Dolní Měcholupy",
    "Praha-Dolní Počernice",
    "Praha-Dubeč",
    "Praha-Klánovice",
    "Praha-Koloděje",
    "Praha-Kolovraty",
    "Praha-Královice",
    "Praha-Křeslice",
    "Praha-Kunratice",
    "Praha-Libuš",
    "Praha-Lipence",
    "Praha-Lochkov",
    "Praha-Lysolaje",
    "Praha-Nebušice",
    "Praha-Nedvězí",
    "Praha-Petrovice",
    "Praha-Přední Kopanina",
    "Praha-Řeporyje",
    "Praha-Satalice",
    "Praha-Slivenec",
    "Praha-Suchdol",
    "Praha-Šeberov",
    "Praha-Štěrboholy",
    "Praha-Troja",
    "Praha-Újezd",
    "Praha-Velká Chuchle",
    "Praha-Vinoř",
    "Praha-Zbraslav",
    "Praha-Zličín",
];

/// Brno's 29 boroughs (městské části).
const BRNO: [&str; 29] = [
    "Brno-střed",
    "Brno-sever",
    "Brno-jih",
    "Brno-Bohunice",
    "Brno-Bosonohy",
    "Brno-Bystrc",
    "Brno-Černovice",
    "Brno-Chrlice",
    "Brno-Ivanovice",
    "Brno-Jehnice",
    "Brno-Jundrov",
    "Brno-Kníničky",
    "Brno-Kohoutovice",
    "Brno-Komín",
    "Brno-Královo Pole",
    "Brno-Líšeň",
    "Brno-Maloměřice a Obřany",
    "Brno-Medlánky",
    "Brno-Nový Lískovec",
    "Brno-Ořešín",
    "Brno-Řečkovice a Mokrá Hora",
    "Brno-Slatina",
    "Brno-Starý Lískovec",
    "Brno-Tuřany",
    "Brno-Útěchov",
    "Brno-Vinohrady",
    "Brno-Žabovřesky",
    "Brno-Žebětín",
    "Brno-Židenice",
];

/// Ostrava's 23 boroughs (městské obvody).
const OSTRAVA: [&str; 23] = [
    "Moravská Ostrava a Přívoz",
    "Ostrava-Jih",
    "Poruba",
    "Slezská Ostrava",
    "Vítkovice",
    "Mariánské Hory a Hulváky",
    "Hošťálkovice",
    "Hrabová",
    "Krásné Pole",
    "Lhotka",
    "Martinov",
    "Michálkovice",
    "Nová Bělá",
    "Nová Ves",
    "Petřkovice",
    "Plesná",
    "Polanka nad Odrou",
    "Proskovice",
    "Pustkovec",
    "Radvanice a Bartovice",
    "Stará Bělá",
    "Svinov",
    "Třebovice",
];

/// Plzeň's 10 boroughs (městské obvody).
const PLZEN: [&str; 10] = [
    "Plzeň 1",
    "Plzeň 2-Slovany",
    "Plzeň 3",
    "Plzeň 4",
    "Plzeň 5-Křimice",
    "Plzeň 6-Litice",
    "Plzeň 7-Radčice",
    "Plzeň 8-Černice",
    "Plzeň 9-Malesice",
    "Plzeň 10-Lhota",
];

/// The cities with boroughs and roughly how many precincts they have.
const CITIES: [(u32, &[&str], u32); 4] = [
    (554_782, &PRAHA, 1120),
    (582_786, &BRNO, 310),
    (554_821, &OSTRAVA, 250),
    (554_791, &PLZEN, 140),
];

/// Municipalities per okres: the regional capital (with its boroughs where it has them), the
/// district town and villages; municipality codes other than the capitals' are synthetic.
fn geography(p: &Params, okresy: &[Okres], rng: &mut Rng) -> Vec<Obec> {
    let reserved: std::collections::HashSet<u32> = CAPITALS.iter().map(|c| c.0).collect();
    let mut code = 500_000u32;
    let mut next_code = |rng: &mut Rng| loop {
        code += 1 + rng.below(7) as u32;
        if !reserved.contains(&code) {
            break code;
        }
    };
    let scale = |n: u32| {
        u32::try_from(u64::from(n) * u64::from(p.okrsky) / 14_800)
            .unwrap_or(n)
            .max(1)
    };
    let n_okresy = okresy.len() as u32;
    let per_okres = p.obce.max(n_okresy) / n_okresy;
    let mut obce = Vec::new();
    let mut precinct_budget = i64::from(p.okrsky);
    for (oi, o) in okresy.iter().enumerate() {
        let mut count = per_okres + u32::from((oi as u32) < p.obce % n_okresy);
        let capital = CAPITALS.iter().find(|c| c.2 == o.nuts);
        let mut first = true;
        if let Some(&(city_code, city_name, _)) = capital {
            count = count.saturating_sub(1);
            match CITIES.iter().find(|c| c.0 == city_code) {
                Some(&(_, boroughs, precincts)) => {
                    obce.push(Obec {
                        code: city_code,
                        name: city_name.into(),
                        okres: o.nuts.clone(),
                        typ: TypObec::ObecSMcmo,
                        okrsky: 0,
                        city: None,
                    });
                    // Bigger boroughs first: the numbered districts hold most precincts.
                    let total = scale(precincts);
                    let weights: Vec<u32> = (0..boroughs.len())
                        .map(|b| if b < boroughs.len() / 2 { 6 } else { 1 })
                        .collect();
                    let sum: u32 = weights.iter().sum();
                    for (b, name) in boroughs.iter().enumerate() {
                        let okrsky = (total * weights[b] / sum).max(1);
                        precinct_budget -= i64::from(okrsky);
                        obce.push(Obec {
                            code: next_code(rng),
                            name: (*name).into(),
                            okres: o.nuts.clone(),
                            typ: TypObec::Mcmo,
                            okrsky,
                            city: Some(city_code),
                        });
                    }
                }
                None => {
                    let okrsky = scale(60 + rng.below(60) as u32);
                    precinct_budget -= i64::from(okrsky);
                    obce.push(Obec {
                        code: city_code,
                        name: city_name.into(),
                        okres: o.nuts.clone(),
                        typ: TypObec::ObecBezMcmo,
                        okrsky,
                        city: None,
                    });
                }
            }
            first = false;
        }
        if matches!(o.nuts.as_str(), "CZ0100" | "CZ0642") {
            // Prague and Brno-město are the city alone.
            continue;
        }
        for j in 0..count {
            let okrsky = if first && j == 0 {
                // The district town.
                10 + rng.below(50) as u32
            } else {
                1 + u32::from(rng.below(100) < 25) + u32::from(rng.below(100) < 8)
            };
            precinct_budget -= i64::from(okrsky);
            let name = if first && j == 0 {
                o.name.clone()
            } else {
                format!("{} {}", o.name, j + 1)
            };
            let name: String = name.chars().take(40).collect();
            obce.push(Obec {
                code: next_code(rng),
                name,
                okres: o.nuts.clone(),
                typ: TypObec::ObecBezMcmo,
                okrsky,
                city: None,
            });
        }
    }
    // Adjust the municipalities (never a city with boroughs) so the precinct total matches
    // the target.
    let adjustable: Vec<usize> = (0..obce.len())
        .filter(|&i| obce[i].typ != TypObec::ObecSMcmo)
        .collect();
    // A target below one precinct per municipality cannot be met: each keeps one (a small
    // `--okrsky` with more municipalities than that once looped for ever).
    let spare: i64 = adjustable
        .iter()
        .map(|&i| i64::from(obce[i].okrsky) - 1)
        .sum();
    precinct_budget = precinct_budget.max(-spare);
    let mut i = 0usize;
    let mut unchanged = 0usize;
    while precinct_budget != 0 && !adjustable.is_empty() && unchanged <= adjustable.len() {
        let o = &mut obce[adjustable[i % adjustable.len()]];
        if precinct_budget > 0 {
            o.okrsky += 1;
            precinct_budget -= 1;
            unchanged = 0;
        } else if o.okrsky > 1 {
            o.okrsky -= 1;
            precinct_budget += 1;
            unchanged = 0;
        } else {
            unchanged += 1;
        }
        // A stride sharing a factor with the count would visit only some of them.
        i += if adjustable.len().is_multiple_of(97) {
            1
        } else {
            97
        };
    }
    obce
}

const FIRST_NAMES: [&str; 12] = [
    "Jan",
    "Petr",
    "Jana",
    "Eva",
    "Martin",
    "Lucie",
    "Tomáš",
    "Hana",
    "Pavel",
    "Marie",
    "Jiří",
    "Kateřina",
];
const SURNAMES: [&str; 12] = [
    "Novák",
    "Svobodová",
    "Novotný",
    "Dvořáková",
    "Černý",
    "Procházková",
    "Kučera",
    "Veselá",
    "Horák",
    "Němcová",
    "Marek",
    "Pokorná",
];
const TITLES: [&str; 4] = ["", "Ing.", "Mgr.", "JUDr."];

/// A candidate at ballot position `number` with a generated name.
fn candidate(number: u32, rng: &mut Rng) -> Candidate {
    Candidate {
        number,
        first_name: FIRST_NAMES[rng.below(12) as usize].into(),
        surname: SURNAMES[rng.below(12) as usize].into(),
        title_before: TITLES[rng.below(4) as usize].into(),
        title_after: if rng.below(10) == 0 {
            "Ph.D.".into()
        } else {
            String::new()
        },
        withdrawn: false,
    }
}

/// Candidate lists per kraj and party: about one and a half times the kraj's share of the
/// 200 seats (at most 70, the XSD's limit of `PORADOVE_CISLO`); regional councils: as many
/// candidates as seats.
fn candidate_lists(
    kraje: &[Kraj],
    okresy: &[Okres],
    obce: &[Obec],
    parties: &[Party],
    rng: &mut Rng,
) -> Vec<CandidateList> {
    let total: u32 = obce.iter().map(|o| o.okrsky).sum();
    let mut out = Vec::new();
    for k in kraje {
        let precincts: u32 = obce
            .iter()
            .filter(|o| {
                okresy
                    .iter()
                    .any(|ok| ok.nuts == o.okres && ok.kraj == k.number)
            })
            .map(|o| o.okrsky)
            .sum();
        let n = k
            .seats
            .unwrap_or_else(|| (precincts * 300 / total.max(1) + 6).clamp(6, 70));
        for party in parties {
            let candidates = (1..=n).map(|i| candidate(i, rng)).collect();
            out.push(CandidateList {
                kraj: k.number,
                party: party.number,
                candidates,
            });
        }
    }
    out
}

/// Preferential votes of a precinct: the seven strongest lists' voters circle about 0.6
/// candidates each, mostly the leaders and one candidate further down (who may overtake).
fn preferences(
    votes: &[(u32, u64)],
    kraj: u32,
    list_len: &HashMap<(u32, u32), u32>,
    jumper: &HashMap<(u32, u32), u32>,
    rng: &mut Rng,
) -> Vec<(u32, u32, u64)> {
    let mut out = Vec::new();
    for &(party, v) in votes {
        if party > 7 {
            continue;
        }
        let Some(&n) = list_len.get(&(kraj, party)) else {
            continue;
        };
        let circles = v * 6 / 10;
        let mut given = [
            (1, 35u64),
            (2, 12),
            (3, 8),
            (jumper[&(kraj, party)].min(n), 15),
            (1 + rng.below(u64::from(n)) as u32, 10),
        ];
        given.sort_unstable_by_key(|g| g.0);
        let mut last: Option<(u32, u64)> = None;
        for (candidate, percent) in given {
            let c = circles * percent / 100;
            match &mut last {
                Some((k, acc)) if *k == candidate => *acc += c,
                _ => {
                    if let Some((k, acc)) = last.take()
                        && acc > 0
                    {
                        out.push((party, k, acc));
                    }
                    last = Some((candidate, c));
                }
            }
        }
        if let Some((k, acc)) = last
            && acc > 0
        {
            out.push((party, k, acc));
        }
    }
    out
}

/// States with Czech embassies or consulates that hold special precincts (a sample).
const STATES: [&str; 20] = [
    "Německo",
    "Rakousko",
    "Slovensko",
    "Polsko",
    "Spojené království",
    "Francie",
    "Belgie",
    "Nizozemsko",
    "Švýcarsko",
    "Itálie",
    "Španělsko",
    "Irsko",
    "Švédsko",
    "Dánsko",
    "Spojené státy americké",
    "Kanada",
    "Austrálie",
    "Izrael",
    "Japonsko",
    "Čína",
];

/// Voters abroad: the special precincts at embassies form okres `CZZZZZ`, counted in the
/// kraj the State Electoral Commission draws before each Chamber election (Středočeský in
/// 2017: https://www.cssk.ca/informace-o-zpusobu-hlasovani-na-zastupitelskych-a-konzularnich-uradech-ceske-republiky-v-zahranici-ve-volbach-do-poslanecke-snemovny-parlamentu-ceske-republiky-konanych-v-roce-2017/).
fn abroad(okresy: &mut Vec<Okres>, obce: &mut Vec<Obec>, rng: &mut Rng) {
    okresy.push(Okres {
        nuts: crate::feeds::ABROAD.into(),
        name: "Zahraničí".into(),
        kraj: 2,
    });
    for (i, state) in STATES.iter().enumerate() {
        obce.push(Obec {
            code: 999_001 + i as u32,
            name: (*state).into(),
            okres: crate::feeds::ABROAD.into(),
            typ: TypObec::ObecBezMcmo,
            okrsky: 1 + u32::from(rng.below(4) == 0),
            city: None,
        });
    }
}

/// Generates a synthetic election.
pub fn generate(p: &Params) -> Simulation {
    match p.kind {
        ElectionKind::Kv => return generate_kv(p),
        ElectionKind::Senat => return generate_senat(p),
        ElectionKind::Ps | ElectionKind::Kz => {}
    }
    let mut rng = Rng(p.seed);
    let kz = p.kind == ElectionKind::Kz;
    let kraje: Vec<Kraj> = KRAJE
        .iter()
        .filter(|k| !(kz && k.0 == 1))
        .map(|&(n, nuts, name)| Kraj {
            number: if kz { n - 1 } else { n },
            nuts: nuts.into(),
            name: name.into(),
            capital: None,
            seats: None,
        })
        .collect();
    let mut okresy: Vec<Okres> = OKRESY
        .iter()
        .filter(|o| !(kz && o.2 == 1))
        .map(|&(nuts, name, k)| Okres {
            nuts: nuts.into(),
            name: name.into(),
            kraj: if kz { k - 1 } else { k },
        })
        .collect();
    let mut obce = geography(p, &okresy, &mut rng);
    if !kz {
        abroad(&mut okresy, &mut obce, &mut rng);
    }
    let kraje: Vec<Kraj> = kraje
        .into_iter()
        .map(|mut k| {
            k.capital = CAPITALS
                .iter()
                .find(|c| {
                    OKRESY
                        .iter()
                        .any(|o| o.0 == c.2 && KRAJE.iter().any(|kk| kk.1 == k.nuts && kk.0 == o.2))
                })
                .map(|c| c.0);
            // Council sizes by population (zákon 129/2000 Sb., o krajích, § 31): 675 seats
            // in 2020, 65 + 55 + 45 by kraj.
            k.seats = kz.then_some(match k.nuts.as_str() {
                "CZ020" | "CZ064" | "CZ080" => 65,
                "CZ031" | "CZ042" | "CZ071" => 55,
                _ => 45,
            });
            k
        })
        .collect();
    let parties: Vec<Party> = (1..=p.parties)
        .map(|n| Party {
            number: n,
            name: format!("{} {}", PARTY_NAMES[(n as usize) % PARTY_NAMES.len()], n),
            vstrana: Some(1000 + n),
            // The second list is a coalition of three, the third of two (their thresholds
            // are 11 % and 8 % under the Chamber's rules from 2021).
            members: match n {
                2 => 3,
                3 => 2,
                _ => 1,
            },
        })
        .collect();
    let lists = candidate_lists(&kraje, &okresy, &obce, &parties, &mut rng);
    let definition = Definition {
        id: p.id.clone(),
        legacy_slug: None,
        kind: p.kind,
        election_date: "20251003".into(),
        kraje,
        okresy,
        obce,
        parties,
        obvody: Vec::new(),
        open_geography: false,
        okrsky_celkem: None,
        emit_vstrana: true,
        lists,
        seats: (p.kind == ElectionKind::Ps).then_some(200),
        councils: Vec::new(),
    };
    let kraj_of: HashMap<u32, u32> = {
        let okres_kraj: HashMap<&str, u32> = definition
            .okresy
            .iter()
            .map(|o| (o.nuts.as_str(), o.kraj))
            .collect();
        definition
            .obce
            .iter()
            .map(|o| (o.code, okres_kraj[o.okres.as_str()]))
            .collect()
    };
    let list_len: HashMap<(u32, u32), u32> = definition
        .lists
        .iter()
        .map(|l| ((l.kraj, l.party), l.candidates.len() as u32))
        .collect();
    // One candidate per list draws preferential votes beyond the leaders (a "jumper").
    let jumper: HashMap<(u32, u32), u32> = list_len
        .iter()
        .map(|(&k, &n)| (k, 4 + (k.0 * 7 + k.1 * 13) % n.saturating_sub(3).max(1)))
        .collect();
    // Party strength: a few big parties, a long tail (about 22, 13, 9, 7, 6 % for the first
    // five, as in recent Chamber elections).
    let weights: Vec<f64> = (0..p.parties)
        .map(|i| 1.0 / (2.0 + f64::from(i)).powf(1.2))
        .collect();
    let mut precincts: Vec<(f64, PrecinctResult)> = Vec::new();
    for obec in &definition.obce {
        for okrsek in 1..=obec.okrsky {
            let registered = 150 + rng.below(1200);
            let turnout = 0.5 + rng.unit() * 0.25;
            let issued = (registered as f64 * turnout) as u64;
            let returned = issued - rng.below(3).min(issued);
            let valid = returned - (returned / 100).min(returned);
            let local: Vec<f64> = weights
                .iter()
                .map(|w| w * (0.6 + rng.unit() * 0.8))
                .collect();
            let sum: f64 = local.iter().sum();
            let mut votes: Vec<(u32, u64)> = Vec::new();
            let mut left = valid;
            for (pi, w) in local.iter().enumerate() {
                let v = if pi + 1 == local.len() {
                    left
                } else {
                    ((valid as f64) * w / sum) as u64
                };
                let v = v.min(left);
                left -= v;
                if v > 0 {
                    votes.push((pi as u32 + 1, v));
                }
            }
            let preferences =
                preferences(&votes, kraj_of[&obec.code], &list_len, &jumper, &mut rng);
            // Arrival: most precincts within three hours, a tail into the night.
            let minutes = -60.0 * (1.0 - rng.unit() * 0.999).ln();
            precincts.push((
                minutes.min(600.0),
                PrecinctResult {
                    round: 1,
                    obec: obec.code,
                    okrsek,
                    council: None,
                    council_district: None,
                    council_type: None,
                    senate_district: None,
                    sequence: 0,
                    processed_at: String::new(),
                    repeated: false,
                    repeated_as_word: false,
                    turnout: Turnout {
                        registered,
                        envelopes_issued: issued,
                        envelopes_returned: returned,
                        valid_votes: valid,
                        voter_cards: None,
                        valid_ballots: None,
                    },
                    votes,
                    preferences,
                },
            ));
        }
    }
    into_batches(p, definition, precincts, &mut rng)
}

const LIST_NAMES: [&str; 10] = [
    "Sdružení nezávislých kandidátů",
    "Občanská demokratická strana",
    "ANO 2011",
    "STAROSTOVÉ A NEZÁVISLÍ",
    "Česká pirátská strana",
    "Svoboda a přímá demokracie (SPD)",
    "Křesťanská a demokratická unie",
    "Komunistická strana Čech a Moravy",
    "Spolu pro naši obec",
    "Nezávislí",
];

/// Council size by the number of precincts (a stand-in for population, zákon 128/2000 Sb.,
/// o obcích, § 68: 5–15 members below 500 inhabitants … 25–55 above 150,000; Prague 55–70).
fn council_seats(okrsky: u32) -> u32 {
    match okrsky {
        0..=1 => 7,
        2..=3 => 11,
        4..=10 => 15,
        11..=30 => 21,
        31..=80 => 27,
        81..=200 => 35,
        _ => 45,
    }
}

/// A synthetic municipal election: a council per municipality (the cities with boroughs
/// elect a city council and one per borough, so each of their precincts sends two rows),
/// 1–5 lists each, multi-vote ballots with candidate votes.
fn generate_kv(p: &Params) -> Simulation {
    let mut rng = Rng(p.seed);
    let kraje: Vec<Kraj> = KRAJE
        .iter()
        .map(|&(n, nuts, name)| Kraj {
            number: n,
            nuts: nuts.into(),
            name: name.into(),
            capital: None,
            seats: None,
        })
        .collect();
    let okresy: Vec<Okres> = OKRESY
        .iter()
        .map(|&(nuts, name, k)| Okres {
            nuts: nuts.into(),
            name: name.into(),
            kraj: k,
        })
        .collect();
    let obce = geography(p, &okresy, &mut rng);
    let city_precincts: HashMap<u32, u32> = obce
        .iter()
        .filter_map(|o| o.city.map(|c| (c, o.okrsky)))
        .fold(HashMap::new(), |mut m, (c, n)| {
            *m.entry(c).or_default() += n;
            m
        });
    let mut councils = Vec::new();
    for o in &obce {
        let okrsky = if o.typ == TypObec::ObecSMcmo {
            city_precincts.get(&o.code).copied().unwrap_or(0)
        } else {
            o.okrsky
        };
        let seats = if o.code == 554_782 {
            65
        } else {
            council_seats(okrsky)
        };
        let n_lists = 1 + (okrsky.min(40) / 10) + rng.below(2) as u32;
        let lists = (1..=n_lists)
            .map(|number| {
                // Most lists are full; a few have fewer candidates than seats.
                let len = if rng.below(5) == 0 {
                    (seats / 2).max(1)
                } else {
                    seats
                };
                CouncilList {
                    number,
                    district: 1,
                    name: LIST_NAMES[((o.code + number) % 10) as usize].into(),
                    vstrana: None,
                    candidates: (1..=len).map(|i| candidate(i, &mut rng)).collect(),
                }
            })
            .collect();
        councils.push(Council {
            code: o.code,
            name: o.name.clone(),
            typ: if o.typ == TypObec::Mcmo {
                "MCMO".into()
            } else {
                "OBEC".into()
            },
            districts: vec![CouncilDistrict {
                number: 1,
                seats,
                okrsky,
            }],
            lists,
        });
    }
    let definition = Definition {
        id: p.id.clone(),
        legacy_slug: None,
        kind: ElectionKind::Kv,
        election_date: "20260909".into(),
        kraje,
        okresy,
        obce,
        parties: Vec::new(),
        obvody: Vec::new(),
        open_geography: false,
        okrsky_celkem: None,
        emit_vstrana: false,
        lists: Vec::new(),
        seats: None,
        councils,
    };
    let council_of: HashMap<u32, usize> = definition
        .councils
        .iter()
        .enumerate()
        .map(|(i, c)| (c.code, i))
        .collect();
    let mut precincts = Vec::new();
    for obec in &definition.obce {
        if obec.typ == TypObec::ObecSMcmo {
            continue;
        }
        // Each precinct votes for its municipality's council, and in a city with boroughs
        // also for the borough's: two rows, the same voters.
        let mut targets = vec![(
            council_of[&obec.code],
            if obec.typ == TypObec::Mcmo {
                "MCMO"
            } else {
                "OBEC"
            },
        )];
        if let Some(city) = obec.city {
            targets.push((council_of[&city], "OBEC"));
        }
        for okrsek in 1..=obec.okrsky {
            let registered = 150 + rng.below(1200);
            let voters = (registered as f64 * (0.35 + rng.unit() * 0.3)) as u64;
            let minutes = -70.0 * (1.0 - rng.unit() * 0.999).ln();
            for &(ci, typ) in &targets {
                let council = &definition.councils[ci];
                let shares: Vec<f64> = council.lists.iter().map(|_| 0.2 + rng.unit()).collect();
                let sum: f64 = shares.iter().sum();
                let mut votes = Vec::new();
                let mut preferences = Vec::new();
                let mut valid = 0u64;
                for (l, share) in council.lists.iter().zip(&shares) {
                    // A voter casts at most one vote per seat (zákon 491/2001 Sb., § 33): the
                    // crosses and the extra candidate votes below stay within that.
                    let crosses = (voters as f64 * share / sum * 0.8) as u64;
                    let mut list_votes = 0u64;
                    for c in &l.candidates {
                        // A list cross gives every candidate a vote; voters crossing
                        // candidates add a few more to the popular ones.
                        let bonus = if c.number == 1 || (c.number + l.number) % 7 == 0 {
                            crosses / 5
                        } else {
                            0
                        };
                        let v = crosses + bonus;
                        if v > 0 {
                            preferences.push((l.number, c.number, v));
                        }
                        list_votes += v;
                    }
                    if list_votes > 0 {
                        votes.push((l.number, list_votes));
                    }
                    valid += list_votes;
                }
                precincts.push((
                    minutes.min(700.0),
                    PrecinctResult {
                        round: 1,
                        obec: obec.code,
                        okrsek,
                        council: Some(council.code),
                        council_district: Some(1),
                        council_type: Some(typ.into()),
                        senate_district: None,
                        sequence: 0,
                        processed_at: String::new(),
                        repeated: false,
                        repeated_as_word: false,
                        turnout: Turnout {
                            registered,
                            envelopes_issued: voters,
                            envelopes_returned: voters,
                            valid_votes: valid,
                            voter_cards: None,
                            valid_ballots: None,
                        },
                        votes,
                        preferences,
                    },
                ));
            }
        }
    }
    into_batches(p, definition, precincts, &mut rng)
}

/// When the simulated count starts (PS, KZ, KV): the Saturday of the election, 14:00.
fn count_start() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 10, 4)
        .and_then(|d| d.and_hms_opt(14, 0, 0))
        .unwrap_or(NaiveDateTime::MIN)
}

/// Re-sends some rows, orders them by arrival and cuts them into batches every
/// `batch_minutes`.
fn into_batches(
    p: &Params,
    definition: Definition,
    precincts: Vec<(f64, PrecinctResult)>,
    rng: &mut Rng,
) -> Simulation {
    let rows = with_resends(p, precincts, rng);
    let total = definition.okrsky_celkem();
    let batches = cut_batches(p, &definition, &rows, count_start(), total);
    Simulation {
        definition,
        batches,
        runoff: Vec::new(),
    }
}

/// Adds re-sends (a corrected row later on, `OPAKOVANE="1"`) and orders the rows by arrival
/// (minutes after the count starts).
fn with_resends(
    p: &Params,
    mut precincts: Vec<(f64, PrecinctResult)>,
    rng: &mut Rng,
) -> Vec<(f64, PrecinctResult)> {
    let mut resends = Vec::new();
    for (t, r) in &precincts {
        if rng.below(1000) < u64::from(p.resend_per_mille) {
            let mut c = r.clone();
            c.repeated = true;
            if let Some(first) = c.votes.first_mut()
                && first.1 > 0
                && c.turnout.valid_votes > 0
            {
                first.1 -= 1;
                c.turnout.valid_votes -= 1;
                // A municipal list's votes are its candidates': take the vote from one.
                let list = first.0;
                if p.kind == ElectionKind::Kv
                    && let Some(cand) = c.preferences.iter_mut().find(|x| x.0 == list && x.2 > 0)
                {
                    cand.2 -= 1;
                }
            }
            resends.push((t + 10.0 + rng.unit() * 60.0, c));
        }
    }
    precincts.extend(resends);
    precincts.sort_by(|a, b| a.0.total_cmp(&b.0));
    precincts
}

/// Cuts rows ordered by arrival into batches every `batch_minutes` from `start`; `total` is
/// the batch header's `OKRSKY_CELKEM`.
fn cut_batches(
    p: &Params,
    definition: &Definition,
    precincts: &[(f64, PrecinctResult)],
    start: NaiveDateTime,
    total: u32,
) -> Vec<String> {
    let mut batches = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut idx = 0usize;
    let mut seq = 0u64;
    let mut number = 0u32;
    while idx < precincts.len() {
        number += 1;
        let end = (i64::from(number) * p.batch_minutes) as f64;
        let mut rows = Vec::new();
        while idx < precincts.len() && precincts[idx].0 < end {
            let (t, mut r) = precincts[idx].clone();
            seq += 1;
            r.sequence = seq;
            r.processed_at = (start + Duration::seconds((t * 60.0) as i64))
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string();
            seen.insert(r.key());
            rows.push(r);
            idx += 1;
        }
        let header = BatchHeader {
            election_date: definition.election_date.clone(),
            number,
            rows: rows.len() as u32,
            total,
            processed: seen.len() as u32,
        };
        let generated = (start + Duration::minutes(i64::from(number) * p.batch_minutes))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string();
        let refs: Vec<&PrecinctResult> = rows.iter().collect();
        batches.push(write_batch(p.kind, &generated, &header, &refs));
    }
    batches
}

/// Okresy a simulated Senate election leaves out: the cities with boroughs, whose Senate
/// districts are parts of the city rather than whole okresy.
const SENATE_SKIPPED_OKRESY: [&str; 4] = ["CZ0100", "CZ0642", "CZ0806", "CZ0323"];

/// Arrival of a precinct's result, minutes after the count starts (most within three hours,
/// a tail into the night).
fn arrival(rng: &mut Rng, mean: f64, cap: f64) -> f64 {
    (-mean * (1.0 - rng.unit() * 0.999).ln()).min(cap)
}

/// Splits `valid` votes among `shares` (one per candidate, any positive scale) with
/// precinct noise; the last gets the rest.
fn split_votes(valid: u64, shares: &[f64], rng: &mut Rng) -> Vec<u64> {
    let local: Vec<f64> = shares
        .iter()
        .map(|s| s * (0.8 + rng.unit() * 0.4))
        .collect();
    let sum: f64 = local.iter().sum();
    let mut left = valid;
    let mut out = Vec::with_capacity(local.len());
    for (i, w) in local.iter().enumerate() {
        let v = if i + 1 == local.len() {
            left
        } else {
            ((valid as f64) * w / sum) as u64
        };
        let v = v.min(left);
        left -= v;
        out.push(v);
    }
    out
}

/// A synthetic Senate election: a third of the 81 districts (27, numbered 3, 6, …, 81),
/// each one okres of the simulated geography with 3–9 candidates; `okrsky` and `obce` are
/// the whole country's, of which a third votes. Every sixth district has a candidate far
/// ahead (about 55–65 % of the votes) who is elected in round one; elsewhere the leader has
/// 25–45 % and the candidates with the most votes go to round two a week later
/// ([`Simulation::runoff`]), decided by `volby_mandaty::senate` from the final round-one rows
/// (re-sends included).
fn generate_senat(p: &Params) -> Simulation {
    use volby_mandaty::senate::{RoundOne, round_one};
    let mut rng = Rng(p.seed);
    let eligible: Vec<&(&str, &str, u32)> = OKRESY
        .iter()
        .filter(|o| !SENATE_SKIPPED_OKRESY.contains(&o.0))
        .collect();
    let chosen: Vec<&(&str, &str, u32)> =
        (0..27).map(|i| eligible[i * eligible.len() / 27]).collect();
    let okresy: Vec<Okres> = chosen
        .iter()
        .map(|&&(nuts, name, k)| Okres {
            nuts: nuts.into(),
            name: name.into(),
            kraj: k,
        })
        .collect();
    let kraje: Vec<Kraj> = KRAJE
        .iter()
        .filter(|k| okresy.iter().any(|o| o.kraj == k.0))
        .map(|&(n, nuts, name)| Kraj {
            number: n,
            nuts: nuts.into(),
            name: name.into(),
            capital: None,
            seats: None,
        })
        .collect();
    let third = Params {
        obce: (p.obce / 3).max(27),
        okrsky: (p.okrsky / 3).max(27),
        ..p.clone()
    };
    let obce = geography(&third, &okresy, &mut rng);
    let obvody: Vec<Obvod> = okresy
        .iter()
        .enumerate()
        .map(|(i, o)| Obvod {
            number: 3 * (i as u32 + 1),
            name: o.name.clone(),
            okrsky: obce
                .iter()
                .filter(|c| c.okres == o.nuts)
                .map(|c| c.okrsky)
                .sum(),
            // A district decided in round one has 3–9 candidates, the others 4–9 (enough that
            // nobody but the leader comes near a majority).
            candidates: (1..=if i % 6 == 0 {
                3 + rng.below(7) as u32
            } else {
                4 + rng.below(6) as u32
            })
                .map(|n| candidate(n, &mut rng))
                .collect(),
        })
        .collect();
    // District-wide shares of the candidates: the leader's, the others' around an equal part
    // of the rest (within ±30 %, so none of them nears a majority where the leader has 45 %).
    let shares: Vec<Vec<f64>> = obvody
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let n = o.candidates.len();
            let leader = if i % 6 == 0 {
                0.55 + rng.unit() * 0.10
            } else {
                0.25 + rng.unit() * 0.20
            };
            let rest: Vec<f64> = (1..n).map(|_| 0.7 + rng.unit() * 0.6).collect();
            let rest_sum: f64 = rest.iter().sum();
            let mut out: Vec<f64> = rest.iter().map(|r| r / rest_sum * (1.0 - leader)).collect();
            // The leader is any of the candidates, not always the first on the ballot.
            out.insert(rng.below(n as u64) as usize, leader);
            out
        })
        .collect();
    let definition = Definition {
        id: p.id.clone(),
        legacy_slug: None,
        kind: ElectionKind::Senat,
        election_date: "20261009".into(),
        kraje,
        okresy,
        obce,
        parties: Vec::new(),
        obvody,
        open_geography: false,
        okrsky_celkem: None,
        emit_vstrana: false,
        lists: Vec::new(),
        seats: None,
        councils: Vec::new(),
    };
    let district_of: HashMap<&str, usize> = definition
        .okresy
        .iter()
        .enumerate()
        .map(|(i, o)| (o.nuts.as_str(), i))
        .collect();
    // Every envelope issued comes back (the Senate has no voter cards in these batches).
    let row = |round: u8,
               obec: u32,
               okrsek: u32,
               district: u32,
               (registered, issued, valid): (u64, u64, u64),
               votes: Vec<(u32, u64)>| {
        let turnout = Turnout {
            registered,
            envelopes_issued: issued,
            envelopes_returned: issued,
            valid_votes: valid,
            voter_cards: None,
            valid_ballots: None,
        };
        PrecinctResult {
            round,
            obec,
            okrsek,
            council: None,
            council_district: None,
            council_type: None,
            senate_district: Some(district),
            sequence: 0,
            processed_at: String::new(),
            repeated: false,
            repeated_as_word: false,
            turnout,
            votes,
            preferences: Vec::new(),
        }
    };
    let mut first = Vec::new();
    for obec in &definition.obce {
        let d = district_of[obec.okres.as_str()];
        let obvod = &definition.obvody[d];
        for okrsek in 1..=obec.okrsky {
            let registered = 150 + rng.below(1200);
            let issued = (registered as f64 * (0.3 + rng.unit() * 0.2)) as u64;
            let valid = issued - (issued / 50).min(issued);
            let votes = split_votes(valid, &shares[d], &mut rng)
                .into_iter()
                .zip(&obvod.candidates)
                .filter(|(v, _)| *v > 0)
                .map(|(v, c)| (c.number, v))
                .collect();
            first.push((
                arrival(&mut rng, 50.0, 500.0),
                row(
                    1,
                    obec.code,
                    okrsek,
                    obvod.number,
                    (registered, issued, valid),
                    votes,
                ),
            ));
        }
    }
    let first = with_resends(p, first, &mut rng);
    let day = |d: u32| {
        NaiveDate::from_ymd_opt(2026, 10, d)
            .and_then(|d| d.and_hms_opt(14, 0, 0))
            .unwrap_or(NaiveDateTime::MIN)
    };
    let batches = cut_batches(p, &definition, &first, day(10), definition.okrsky_celkem());
    // The final round-one rows (a re-send replaces the row before it), added up per district.
    let mut last: HashMap<(u32, u32), &PrecinctResult> = HashMap::new();
    for (_, r) in &first {
        last.insert((r.obec, r.okrsek), r);
    }
    let index: HashMap<u32, usize> = definition
        .obvody
        .iter()
        .enumerate()
        .map(|(i, o)| (o.number, i))
        .collect();
    let mut totals: Vec<(Vec<u64>, u64)> = definition
        .obvody
        .iter()
        .map(|o| (vec![0; o.candidates.len()], 0))
        .collect();
    for r in last.values() {
        let d = index[&r.senate_district.unwrap_or(0)];
        for &(k, v) in &r.votes {
            totals[d].0[k as usize - 1] += v;
        }
        totals[d].1 += r.turnout.valid_votes;
    }
    let mut second = Vec::new();
    let mut runoff_precincts = 0u32;
    for obec in &definition.obce {
        let d = district_of[obec.okres.as_str()];
        let obvod = &definition.obvody[d];
        let Ok(result) = round_one(&totals[d].0, totals[d].1) else {
            continue;
        };
        let RoundOne::RunOff(runners) = result.outcome else {
            continue;
        };
        runoff_precincts += obec.okrsky;
        // The run-off candidates' shares: the round-one leader keeps an edge on average.
        let runner_shares: Vec<f64> = runners
            .iter()
            .map(|&c| (totals[d].0[c] as f64).max(1.0))
            .collect();
        for okrsek in 1..=obec.okrsky {
            let registered = last
                .get(&(obec.code, okrsek))
                .map_or(500, |r| r.turnout.registered);
            let issued = (registered as f64 * (0.12 + rng.unit() * 0.15)) as u64;
            let valid = issued - (issued / 100).min(issued);
            let votes = split_votes(valid, &runner_shares, &mut rng)
                .into_iter()
                .zip(&runners)
                .filter(|(v, _)| *v > 0)
                .map(|(v, &c)| (obvod.candidates[c].number, v))
                .collect();
            second.push((
                arrival(&mut rng, 40.0, 400.0),
                row(
                    2,
                    obec.code,
                    okrsek,
                    obvod.number,
                    (registered, issued, valid),
                    votes,
                ),
            ));
        }
    }
    let second = with_resends(p, second, &mut rng);
    let runoff = cut_batches(p, &definition, &second, day(17), runoff_precincts);
    Simulation {
        definition,
        batches,
        runoff,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realistic_size_and_valid() {
        let sim = generate(&Params::default());
        let d = &sim.definition;
        d.check("sim").unwrap();
        assert_eq!(d.kraje.len(), 14);
        assert_eq!(d.okresy.len(), 78, "77 okresy and the precincts abroad");
        assert!((6000..=6500).contains(&d.obce.len()), "{}", d.obce.len());
        // 14,800 at home plus the special precincts abroad.
        let abroad: u32 = d
            .obce
            .iter()
            .filter(|o| o.okres == crate::feeds::ABROAD)
            .map(|o| o.okrsky)
            .sum();
        assert!((20..=40).contains(&abroad), "{abroad}");
        assert_eq!(d.okrsky_celkem(), 14_800 + abroad);
        let index = crate::results::GeoIndex::new(d);
        let mut rows = 0;
        for (i, b) in sim.batches.iter().enumerate() {
            rows += b.matches("<OKRSEK ").count();
            if i % 10 == 0 {
                let parsed = crate::xml::parse_batch(b.as_bytes(), "sim", 1).unwrap();
                assert_eq!(parsed.header.unwrap().number as usize, i + 1);
                for p in &parsed.precincts {
                    crate::results::validate(d, &index, p, "sim").unwrap();
                }
            }
        }
        assert!(rows >= 14_800);
    }

    #[test]
    fn senate_third_with_two_rounds() {
        let sim = generate(&Params {
            kind: ElectionKind::Senat,
            okrsky: 1500,
            obce: 600,
            ..Params::default()
        });
        let d = &sim.definition;
        d.check("sim").unwrap();
        assert_eq!(d.obvody.len(), 27);
        assert_eq!(d.okresy.len(), 27);
        let precincts: u32 = d.obce.iter().map(|o| o.okrsky).sum();
        assert_eq!(d.okrsky_celkem(), precincts);
        assert!((450..=550).contains(&precincts), "{precincts}");
        assert!(!sim.batches.is_empty() && !sim.runoff.is_empty());
        let index = crate::results::GeoIndex::new(d);
        for (round, docs) in [(1, &sim.batches), (2, &sim.runoff)] {
            for b in docs.iter() {
                let parsed = crate::xml::parse_batch(b.as_bytes(), "sim", round).unwrap();
                for p in &parsed.precincts {
                    assert_eq!(p.round, round);
                    crate::results::validate(d, &index, p, "sim").unwrap();
                }
            }
        }
    }

    #[test]
    fn fewer_precincts_than_municipalities_need_still_ends() {
        // 50 precincts for 20 municipalities over 77 okresy (at least one each) once looped
        // for ever; each municipality keeps one precinct instead.
        let sim = generate(&Params {
            obce: 20,
            okrsky: 50,
            parties: 4,
            ..Params::default()
        });
        let d = &sim.definition;
        d.check("sim").unwrap();
        let home = d
            .obce
            .iter()
            .filter(|o| o.okres != crate::feeds::ABROAD)
            .count();
        assert!(home >= 77, "{home}");
    }
}
