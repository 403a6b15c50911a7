//! Reading ČSÚ's result files for the tests: a small element tree (ČSÚ puts everything in
//! attributes).
#![allow(dead_code)]

use quick_xml::events::Event;
use std::path::PathBuf;

/// An element with its attributes and children.
#[derive(Debug, Default)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn num(&self, name: &str) -> u64 {
        self.attr(name)
            .unwrap_or_else(|| panic!("{} lacks {name}", self.name))
            .parse()
            .unwrap()
    }
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    pub fn one<'a>(&'a self, name: &'a str) -> &'a Node {
        self.all(name)
            .next()
            .unwrap_or_else(|| panic!("{} has no {name}", self.name))
    }
}

pub fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/volby")
        .join(name)
}

/// Reads a ČSÚ XML file (ISO-8859-2 or UTF-8, as declared) into its root element.
pub fn read(name: &str) -> Node {
    let bytes = std::fs::read(testdata(name)).unwrap();
    let head = String::from_utf8_lossy(&bytes[..100.min(bytes.len())]).to_lowercase();
    let text = if head.contains("iso-8859-2") {
        encoding_rs::ISO_8859_2.decode(&bytes).0.into_owned()
    } else {
        String::from_utf8(bytes).unwrap()
    };
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => stack.push(node(&e)),
            Event::Empty(e) => {
                let n = node(&e);
                stack.last_mut().unwrap().children.push(n);
            }
            Event::End(_) => {
                let n = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(n);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    stack.pop().unwrap().children.pop().unwrap()
}

fn node(e: &quick_xml::events::BytesStart<'_>) -> Node {
    Node {
        name: e.local_name().into_inner().to_owned(),
        attrs: e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    a.key.local_name().into_inner().to_owned(),
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap()
                        .into_owned(),
                )
            })
            .collect(),
        children: Vec::new(),
    }
}

/// A Chamber `vysledky` file as vote and seat tables.
pub struct ChamberFile {
    /// `KSTRANA` of each list, in the order of the `CR` element.
    pub lists: Vec<u64>,
    pub names: Vec<String>,
    /// `votes[region][list]`.
    pub votes: Vec<Vec<u64>>,
    /// `seats[region][list]` (a missing `MANDATY` is 0: the files are final).
    pub seats: Vec<Vec<u32>>,
    /// `KRAJ/@POCMANDATU`.
    pub region_seats: Vec<u32>,
    /// National `MANDATY` per list.
    pub totals: Vec<u32>,
    /// Elected: `(region index, list index)` → ballot positions, from `POSLANEC`.
    pub elected: std::collections::BTreeMap<(usize, usize), Vec<u64>>,
}

pub fn chamber_file(name: &str) -> ChamberFile {
    let root = read(name);
    let cr = root.one("CR");
    let lists: Vec<u64> = cr.all("STRANA").map(|s| s.num("KSTRANA")).collect();
    let names = cr
        .all("STRANA")
        .map(|s| s.attr("NAZ_STR").unwrap().to_owned())
        .collect();
    let index = |k: u64| lists.iter().position(|&l| l == k).unwrap();
    let mut votes = Vec::new();
    let mut seats = Vec::new();
    let mut region_seats = Vec::new();
    let mut elected = std::collections::BTreeMap::new();
    for (r, kraj) in root.all("KRAJ").enumerate() {
        assert_eq!(kraj.num("CIS_KRAJ") as usize, r + 1);
        region_seats.push(kraj.num("POCMANDATU") as u32);
        let mut v = vec![0; lists.len()];
        let mut s = vec![0; lists.len()];
        for strana in kraj.all("STRANA") {
            let j = index(strana.num("KSTRANA"));
            let h = strana.one("HODNOTY_STRANA");
            v[j] = h.num("HLASY");
            s[j] = h.attr("MANDATY").map_or(0, |m| m.parse().unwrap());
            let mut pos: Vec<u64> = strana
                .all("POSLANEC")
                .map(|p| p.num("PORADOVE_CISLO"))
                .collect();
            if !pos.is_empty() {
                pos.sort_unstable();
                elected.insert((r, j), pos);
            }
        }
        votes.push(v);
        seats.push(s);
    }
    let totals = cr
        .all("STRANA")
        .map(|s| {
            s.one("HODNOTY_STRANA")
                .attr("MANDATY")
                .map_or(0, |m| m.parse().unwrap())
        })
        .collect();
    ChamberFile {
        lists,
        names,
        votes,
        seats,
        region_seats,
        totals,
        elected,
    }
}
