//! The results model: election definitions (geography kraj → okres → obec → okrsek, parties,
//! Senate districts and candidates) and precinct results.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// Kind of election; decides the XML vocabulary and the aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ElectionKind {
    /// Chamber of Deputies (Poslanecká sněmovna).
    Ps,
    /// Regional councils (zastupitelstva krajů); 13 regions, Prague does not vote.
    Kz,
    /// Senate, one third every two years, two rounds.
    Senat,
    /// Municipal councils; only precinct batches are aggregated here.
    Kv,
}

impl ElectionKind {
    /// The XML namespace ČSÚ uses (KZ is unconfirmed, see the reference notes).
    pub fn namespace(self) -> &'static str {
        match self {
            Self::Ps => "http://www.volby.cz/ps/",
            Self::Kz => "http://www.volby.cz/kz/",
            Self::Senat => "http://www.volby.cz/senat/",
            Self::Kv => "http://www.volby.cz/kv/",
        }
    }

    /// The prefix of XSD file names (`ps_vysledky.xsd`). The Senate's is `se`: ČSÚ's own
    /// Senate 2026 `vysledky.xml` names `se_vysledky.xsd`.
    pub fn xsd_prefix(self) -> &'static str {
        match self {
            Self::Ps => "ps",
            Self::Kz => "kz",
            Self::Senat => "se",
            Self::Kv => "kv",
        }
    }

    /// Number of rounds (Senate has a run-off a week later).
    pub fn rounds(self) -> u8 {
        if self == Self::Senat { 2 } else { 1 }
    }

    /// The attribute that keys the votes of a precinct (`HLASY_OKRSEK/@…`).
    pub fn vote_key_attribute(self) -> &'static str {
        match self {
            Self::Ps | Self::Kz => "KSTRANA",
            Self::Senat => "PORADOVE_CISLO",
            Self::Kv => "POR_STR_HLAS_LIST",
        }
    }

    /// Kind from a namespace URI.
    pub fn from_namespace(ns: &str) -> Option<Self> {
        [Self::Ps, Self::Kz, Self::Senat, Self::Kv]
            .into_iter()
            .find(|k| k.namespace() == ns)
    }
}

/// A region (kraj; for KZ a `KRZAST`, numbered 1–13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kraj {
    /// `CIS_KRAJ` (PS 1–14) or `CIS_KRZAST` (KZ 1–13).
    pub number: u32,
    /// NUTS code, e.g. `CZ010`.
    pub nuts: String,
    /// Name as ČSÚ writes it in the feeds (`Hl. m. Praha`).
    pub name: String,
    /// The regional capital's municipality code (`vysledky_krajmesta.xml`); the Středočeský
    /// kraj has none (its seat is Prague).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capital: Option<u32>,
    /// Seats of the regional council (KZ: 45, 55 or 65); unused for the Chamber, whose
    /// seats per region follow from the votes (§ 48).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats: Option<u32>,
}

/// A district.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Okres {
    /// NUTS code, e.g. `CZ0312`.
    pub nuts: String,
    /// Name, e.g. `Český Krumlov`.
    pub name: String,
    /// The region it belongs to ([`Kraj::number`]).
    pub kraj: u32,
}

/// `TYP_OBEC` of the okres feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum TypObec {
    /// A municipality without boroughs.
    #[default]
    #[serde(rename = "OBEC_BEZ_MCMO")]
    ObecBezMcmo,
    /// A municipality with boroughs.
    #[serde(rename = "OBEC_S_MCMO")]
    ObecSMcmo,
    /// A borough (městská část / městský obvod).
    #[serde(rename = "MCMO")]
    Mcmo,
}

impl TypObec {
    /// The value written in XML.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ObecBezMcmo => "OBEC_BEZ_MCMO",
            Self::ObecSMcmo => "OBEC_S_MCMO",
            Self::Mcmo => "MCMO",
        }
    }
}

/// A municipality (or borough) with its number of precincts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Obec {
    /// Six-digit ČSÚ code (`CIS_OBEC`).
    pub code: u32,
    /// Name.
    pub name: String,
    /// District NUTS code.
    pub okres: String,
    /// Municipality type.
    #[serde(default)]
    pub typ: TypObec,
    /// Number of precincts (okrsky). A city with boroughs (`OBEC_S_MCMO`) has none of its
    /// own: its precincts are its boroughs'.
    pub okrsky: u32,
    /// For a borough (`MCMO`): the code of its city (`OBEC_S_MCMO`), whose row aggregates
    /// the boroughs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<u32>,
}

/// A party or list on the ballot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// Ballot number (`KSTRANA`).
    pub number: u32,
    /// Name (`NAZ_STR`).
    pub name: String,
    /// CVS code (`VSTRANA`), when known.
    #[serde(default)]
    pub vstrana: Option<u32>,
    /// Parties and movements in the list: 1 for a party, `k ≥ 2` for a coalition (the
    /// Chamber's thresholds depend on it; ČSÚ's CVS code list, `POCSTR_SLO`).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub members: u32,
}

fn yes() -> bool {
    true
}

fn one() -> u32 {
    1
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_one(v: &u32) -> bool {
    *v == 1
}

/// A list's candidates in one constituency (a Chamber region `CIS_KRAJ`, a regional
/// council `CIS_KRZAST`), as in ČSÚ's candidate register (`psrkl`, `kzrkl`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidateList {
    /// The constituency ([`Kraj::number`]).
    pub kraj: u32,
    /// The list (`KSTRANA`).
    pub party: u32,
    /// Candidates in ballot order; `number` is the ballot position (`PORCISLO`).
    pub candidates: Vec<Candidate>,
}

/// A Senate candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// Ballot number (`PORADOVE_CISLO`).
    pub number: u32,
    /// Given name.
    pub first_name: String,
    /// Surname.
    pub surname: String,
    /// Titles before the name.
    #[serde(default)]
    pub title_before: String,
    /// Titles after the name.
    #[serde(default)]
    pub title_after: String,
    /// Withdrew or was recalled after registration: keeps the ballot position, never
    /// takes a seat.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withdrawn: bool,
}

/// A Senate electoral district (obvod).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Obvod {
    /// District number (`CISLO`, 1–81).
    pub number: u32,
    /// Name (seat of the district).
    pub name: String,
    /// Precincts in the district.
    pub okrsky: u32,
    /// Candidates of round 1.
    pub candidates: Vec<Candidate>,
}

/// One election district (volební obvod) of a municipal council; a council without
/// districts has one, number 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouncilDistrict {
    /// `CIS_OBVODU`.
    pub number: u32,
    /// Members elected in the district.
    pub seats: u32,
    /// Precinct rows of the council in the district (`OKRSKY_CELKEM`).
    pub okrsky: u32,
}

/// A list standing for a municipal council in one district.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouncilList {
    /// Its number on the ballot (`POR_STR_HLAS_LIST`).
    pub number: u32,
    /// The district it stands in (`CIS_OBVODU`).
    #[serde(default = "one")]
    pub district: u32,
    /// `NAZEV_STRANY`.
    pub name: String,
    /// CVS code (`VSTRANA`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vstrana: Option<u32>,
    /// Candidates in ballot order (`PORADOVE_CISLO` = position).
    pub candidates: Vec<Candidate>,
}

/// A municipal council (zastupitelstvo obce, or of a borough) — ČSÚ's register `KVRZCOCO`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Council {
    /// `KODZASTUP`.
    pub code: u32,
    /// `NAZEVZAST`.
    pub name: String,
    /// `OZNAC_TYPU`: `OBEC` (a municipality's or city's council) or `MCMO` (a borough's).
    #[serde(default = "obec_type")]
    pub typ: String,
    /// Its election districts (one for most councils).
    pub districts: Vec<CouncilDistrict>,
    /// The lists on its ballots.
    pub lists: Vec<CouncilList>,
}

fn obec_type() -> String {
    "OBEC".into()
}

/// Everything fixed before an election: its identity, geography and ballot.
///
/// Loaded from JSON (`Definition::load`); `czso-media-feed simulate` writes one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    /// URL slug, e.g. `ps2025` or `senat/20261009` (may contain a slash).
    pub id: String,
    /// Slug of the legacy `/pls/{slug}/…` form (defaults to `id`).
    #[serde(default)]
    pub legacy_slug: Option<String>,
    /// Kind of election.
    pub kind: ElectionKind,
    /// Election date `YYYYMMDD` (`DATUMVOLEB`).
    pub election_date: String,
    /// Regions.
    #[serde(default)]
    pub kraje: Vec<Kraj>,
    /// Districts.
    #[serde(default)]
    pub okresy: Vec<Okres>,
    /// Municipalities.
    #[serde(default)]
    pub obce: Vec<Obec>,
    /// Parties (PS, KZ).
    #[serde(default)]
    pub parties: Vec<Party>,
    /// Senate districts.
    #[serde(default)]
    pub obvody: Vec<Obvod>,
    /// Accept precincts of municipalities not in `obce` (used for replaying KV batches,
    /// whose code lists are not shipped); they count only in national totals.
    #[serde(default)]
    pub open_geography: bool,
    /// Total precincts when the geography is open (`OKRSKY_CELKEM`).
    #[serde(default)]
    pub okrsky_celkem: Option<u32>,
    /// Write `STRANA/@VSTRANA` (the CVS code). On by default, as ČSÚ's files have it from
    /// PS 2021 on (`ps2021_vysledky.xml`); off only for clients bound to the 2017
    /// `ps_vysledky.xsd`, which does not allow it.
    #[serde(default = "yes")]
    pub emit_vstrana: bool,
    /// Candidate lists per constituency and party (PS, KZ): the elected candidates and
    /// `vysledky_kandid.xml` need them. Without them the feeds carry seats per list only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<CandidateList>,
    /// Seats of the Chamber (PS, default 200). Regional councils take theirs from
    /// [`Kraj::seats`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats: Option<u32>,
    /// Municipal councils (KV): with them the feed publishes each council's results, seats
    /// and elected members (`zastup/vysledky_obec_{KODZASTUP}.xml`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub councils: Vec<Council>,
}

impl Definition {
    /// Reads a JSON definition and checks it.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let def: Self = serde_json::from_str(&text)
            .map_err(|e| Error::syntax(path.display().to_string(), e.to_string()))?;
        def.check(&path.display().to_string())?;
        Ok(def)
    }

    /// Slug of the legacy URL form.
    pub fn legacy_slug(&self) -> &str {
        self.legacy_slug.as_deref().unwrap_or(&self.id)
    }

    /// Checks internal consistency (unique codes, references resolve, sizes fit the XSDs).
    pub fn check(&self, source: &str) -> Result<()> {
        let bad = |m: String| Err(Error::invalid(source, m));
        if self.id.is_empty()
            || self.id.starts_with('/')
            || self.id.ends_with('/')
            || self
                .id
                .split('/')
                .any(|s| s.is_empty() || s == "odata" || s == "..")
        {
            return bad(format!(
                "election id `{}` is not a usable URL slug",
                self.id
            ));
        }
        if self.election_date.len() != 8 || !self.election_date.bytes().all(|b| b.is_ascii_digit())
        {
            return bad(format!(
                "election_date `{}` is not YYYYMMDD",
                self.election_date
            ));
        }
        let mut kraje = HashMap::new();
        for k in &self.kraje {
            if kraje.insert(k.number, ()).is_some() {
                return bad(format!("kraj {} defined twice", k.number));
            }
        }
        let mut okresy = HashMap::new();
        for o in &self.okresy {
            if !kraje.contains_key(&o.kraj) {
                return bad(format!(
                    "okres {} refers to unknown kraj {}",
                    o.nuts, o.kraj
                ));
            }
            if okresy.insert(o.nuts.as_str(), ()).is_some() {
                return bad(format!("okres {} defined twice", o.nuts));
            }
        }
        let mut obce = HashMap::new();
        let typ: HashMap<u32, TypObec> = self.obce.iter().map(|o| (o.code, o.typ)).collect();
        for o in &self.obce {
            match (o.typ, o.city) {
                (TypObec::Mcmo, Some(c)) if typ.get(&c) == Some(&TypObec::ObecSMcmo) => {}
                (TypObec::Mcmo, Some(c)) => {
                    return bad(format!(
                        "borough {} names city {c}, which is not a municipality with boroughs (OBEC_S_MCMO)",
                        o.code
                    ));
                }
                (TypObec::Mcmo, None) => {
                    return bad(format!("borough {} (MCMO) names no city", o.code));
                }
                (_, Some(_)) => {
                    return bad(format!(
                        "municipality {} is not a borough but names a city",
                        o.code
                    ));
                }
                (TypObec::ObecSMcmo, None) if o.okrsky != 0 => {
                    return bad(format!(
                        "city {} has boroughs: its precincts belong to them (okrsky must be 0)",
                        o.code
                    ));
                }
                _ => {}
            }
            if !okresy.contains_key(o.okres.as_str()) {
                return bad(format!(
                    "obec {} refers to unknown okres {}",
                    o.code, o.okres
                ));
            }
            if o.code > 999_999 {
                return bad(format!("obec code {} has more than 6 digits", o.code));
            }
            if obce.insert(o.code, ()).is_some() {
                return bad(format!("obec {} defined twice", o.code));
            }
        }
        let mut parties = HashMap::new();
        for p in &self.parties {
            if p.number == 0 || p.number > 99 {
                return bad(format!("party number {} is outside 1–99", p.number));
            }
            if parties.insert(p.number, ()).is_some() {
                return bad(format!("party {} defined twice", p.number));
            }
        }
        let mut obvody = HashMap::new();
        for o in &self.obvody {
            if obvody.insert(o.number, ()).is_some() {
                return bad(format!("obvod {} defined twice", o.number));
            }
        }
        let mut lists = HashMap::new();
        for l in &self.lists {
            if !kraje.contains_key(&l.kraj) {
                return bad(format!(
                    "candidate list of party {} names unknown kraj {}",
                    l.party, l.kraj
                ));
            }
            if !parties.contains_key(&l.party) {
                return bad(format!(
                    "candidate list in kraj {} names unknown party {}",
                    l.kraj, l.party
                ));
            }
            if lists.insert((l.kraj, l.party), ()).is_some() {
                return bad(format!(
                    "party {} has two candidate lists in kraj {}",
                    l.party, l.kraj
                ));
            }
            for (i, c) in l.candidates.iter().enumerate() {
                if c.number as usize != i + 1 {
                    return bad(format!(
                        "candidate list of party {} in kraj {}: position {} holds number {} (ballot positions run 1, 2, 3, …)",
                        l.party,
                        l.kraj,
                        i + 1,
                        c.number
                    ));
                }
            }
        }
        let mut councils = HashMap::new();
        for c in &self.councils {
            if councils.insert(c.code, ()).is_some() {
                return bad(format!("council {} defined twice", c.code));
            }
            if c.typ != "OBEC" && c.typ != "MCMO" {
                return bad(format!(
                    "council {}: OZNAC_TYPU `{}` is not OBEC or MCMO",
                    c.code, c.typ
                ));
            }
            for (i, d) in c.districts.iter().enumerate() {
                if d.number as usize != i + 1 || d.seats == 0 {
                    return bad(format!(
                        "council {}: districts are numbered 1, 2, … and elect at least one member",
                        c.code
                    ));
                }
            }
            let mut numbers = HashMap::new();
            for l in &c.lists {
                if l.district == 0 || l.district as usize > c.districts.len() {
                    return bad(format!(
                        "council {}: list {} names district {}",
                        c.code, l.number, l.district
                    ));
                }
                if numbers.insert((l.district, l.number), ()).is_some() {
                    return bad(format!(
                        "council {}: list {} twice in district {}",
                        c.code, l.number, l.district
                    ));
                }
                for (i, cand) in l.candidates.iter().enumerate() {
                    if cand.number as usize != i + 1 {
                        return bad(format!(
                            "council {} list {}: position {} holds number {}",
                            c.code,
                            l.number,
                            i + 1,
                            cand.number
                        ));
                    }
                }
            }
        }
        for p in &self.parties {
            if p.members == 0 {
                return bad(format!("party {} has 0 member parties", p.number));
            }
        }
        // Limits of ČSÚ's XSDs (ps_vysledky.xsd, ps_vysledky_okres.xsd).
        let long = |what: &str, name: &str, max: usize| -> Result<()> {
            if name.chars().count() > max {
                return Err(Error::invalid(
                    source,
                    format!("{what} `{name}` is longer than {max} characters"),
                ));
            }
            Ok(())
        };
        for k in &self.kraje {
            long("kraj name", &k.name, 20)?;
        }
        for o in &self.okresy {
            long("okres name", &o.name, 20)?;
            long("okres NUTS code", &o.nuts, 6)?;
        }
        for o in &self.obce {
            long("obec name", &o.name, 40)?;
        }
        for p in &self.parties {
            long("party name", &p.name, 50)?;
        }
        match self.kind {
            ElectionKind::Ps | ElectionKind::Kz if self.parties.is_empty() => {
                bad("a PS/KZ election needs parties".into())
            }
            ElectionKind::Senat if self.obvody.is_empty() => {
                bad("a Senate election needs obvody".into())
            }
            ElectionKind::Ps | ElectionKind::Kz if self.obce.is_empty() && !self.open_geography => {
                bad("no obce defined and open_geography is off".into())
            }
            _ => Ok(()),
        }
    }

    /// Total number of precincts (`OKRSKY_CELKEM` for the whole election).
    pub fn okrsky_celkem(&self) -> u32 {
        if let Some(n) = self.okrsky_celkem {
            return n;
        }
        if self.kind == ElectionKind::Senat {
            self.obvody.iter().map(|o| o.okrsky).sum()
        } else if self.kind == ElectionKind::Kv && !self.councils.is_empty() {
            // KV counts precinct rows per council: a precinct of a city with boroughs
            // sends one for the city's council and one for the borough's.
            self.councils
                .iter()
                .flat_map(|c| &c.districts)
                .map(|d| d.okrsky)
                .sum()
        } else {
            self.obce.iter().map(|o| o.okrsky).sum()
        }
    }
}

/// Turnout figures of one precinct (`UCAST_OKRSEK`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turnout {
    /// `ZAPSANI_VOLICI`.
    pub registered: u64,
    /// `VYDANE_OBALKY`.
    pub envelopes_issued: u64,
    /// `ODEVZDANE_OBALKY`.
    pub envelopes_returned: u64,
    /// `PLATNE_HLASY`.
    pub valid_votes: u64,
    /// `VOLICSKE_PRUKAZY` (2026 and later, optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voter_cards: Option<u64>,
    /// `PLATNE_LISTKY` (2026 and later, optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_ballots: Option<u64>,
}

/// Identity of a precinct row: a re-send of the same key replaces the earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrecinctKey {
    /// Round (1 or 2).
    pub round: u8,
    /// `CIS_OBEC`.
    pub obec: u32,
    /// `CIS_OKRSEK`.
    pub okrsek: u32,
    /// `KODZASTUP` (KV only; 0 otherwise): a Prague precinct has a city and a borough row.
    pub council: u32,
}

/// One precinct result as delivered by the precinct commission (one `OKRSEK`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrecinctResult {
    /// Round (1, or 2 for the Senate run-off).
    pub round: u8,
    /// `CIS_OBEC`.
    pub obec: u32,
    /// `CIS_OKRSEK`.
    pub okrsek: u32,
    /// `KODZASTUP` (KV).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub council: Option<u32>,
    /// `CIS_OBVODU` (KV: electoral district within the council).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub council_district: Option<u32>,
    /// `OZNAC_TYPU` (KV: `OBEC` or `MCMO`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub council_type: Option<String>,
    /// `CIS_OBVOD` (Senate district).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub senate_district: Option<u32>,
    /// `PORADI_ZPRAC`: processing sequence; the highest wins.
    pub sequence: u64,
    /// `DATUM_CAS_ZPRAC`, Prague local time `YYYY-MM-DDTHH:MM:SS`.
    pub processed_at: String,
    /// `OPAKOVANE`: a re-send replacing an earlier row.
    pub repeated: bool,
    /// `OPAKOVANE` was written `true`/`false` (ČSÚ's 2026 files) rather than `1`/`0`: it is
    /// written back the same way.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub repeated_as_word: bool,
    /// Turnout.
    pub turnout: Turnout,
    /// Votes per party / list / candidate number, in document order, zero rows omitted.
    pub votes: Vec<(u32, u64)>,
    /// Preferential votes `(KSTRANA, PORCISLO, HLASY)` of the precinct (PS, KZ), zero rows
    /// omitted: `OKRSEK/KANDIDAT` elements in the vocabulary of ČSÚ's `vysledky_kandid`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferences: Vec<(u32, u32, u64)>,
}

impl PrecinctResult {
    /// The key identifying the precinct row.
    pub fn key(&self) -> PrecinctKey {
        PrecinctKey {
            round: self.round,
            obec: self.obec,
            okrsek: self.okrsek,
            council: self.council.unwrap_or(0),
        }
    }

    /// A short human label for error messages.
    pub fn label(&self) -> String {
        let mut s = format!("OKRSEK CIS_OBEC={} CIS_OKRSEK={}", self.obec, self.okrsek);
        if let Some(c) = self.council {
            s.push_str(&format!(" KODZASTUP={c}"));
        }
        if self.round != 1 {
            s.push_str(&format!(" KOLO={}", self.round));
        }
        s
    }
}
