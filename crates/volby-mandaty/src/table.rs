//! Seats for a table of votes (parties × constituencies), whatever the election: the
//! entry point of `czso-media-feed seats`.
//!
//! The table is semicolon-separated UTF-8 with the header `party;<constituency 1>;…` and one
//! row of integer votes per party or coalition.

use crate::apportion::Lot;
use crate::chamber::{ChamberInput, chamber};
use crate::error::{Error, Result};
use crate::lists::{european, municipal, regional};
use crate::rules::{ElectionType, RuleSet};
use std::fmt::Write as _;

/// Votes per party and constituency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteTable {
    /// Party (or coalition) names, in file order.
    pub parties: Vec<String>,
    /// Constituency names, in file order.
    pub constituencies: Vec<String>,
    /// `votes[party][constituency]`.
    pub votes: Vec<Vec<u64>>,
}

fn split_fields(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("a quoted field is not closed".into()),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(';') => fields.push(field),
                Some(c) => return Err(format!("`{c}` after a closing quote")),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field.trim().to_owned());
                        return Ok(fields);
                    }
                    Some(';') => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field.trim().to_owned());
        }
    }
}

impl VoteTable {
    /// Reads a table; `source` names it in errors (`file:line: what is wrong`).
    pub fn parse(text: &str, source: &str) -> Result<Self> {
        let err = |line: usize, message: String| Error::Table {
            file: source.to_owned(),
            line,
            message,
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((hl, header)) = lines.next() else {
            return Err(err(
                1,
                "empty: expected the header `party;<constituency>;…`".into(),
            ));
        };
        let header = split_fields(header).map_err(|m| err(hl + 1, m))?;
        let (first, constituencies) = match header.split_first() {
            Some((first, rest)) => (first.as_str(), rest),
            None => ("", &[][..]),
        };
        if first != "party" {
            return Err(err(
                hl + 1,
                format!("the header must start with `party`, found `{first}`"),
            ));
        }
        let constituencies: Vec<String> = constituencies.to_vec();
        if constituencies.is_empty() {
            return Err(err(hl + 1, "the header names no constituency".into()));
        }
        for (i, c) in constituencies.iter().enumerate() {
            if c.is_empty() {
                return Err(err(hl + 1, format!("constituency {} has no name", i + 1)));
            }
            if constituencies.iter().take(i).any(|earlier| earlier == c) {
                return Err(err(hl + 1, format!("constituency `{c}` appears twice")));
            }
        }
        let mut parties = Vec::new();
        let mut votes = Vec::new();
        for (n, line) in lines {
            let fields = split_fields(line).map_err(|m| err(n + 1, m))?;
            if fields.len() != constituencies.len() + 1 {
                return Err(err(
                    n + 1,
                    format!(
                        "{} fields, the header has {}",
                        fields.len(),
                        constituencies.len() + 1
                    ),
                ));
            }
            let Some((name, counts)) = fields.split_first() else {
                return Err(err(n + 1, "the party has no name".into()));
            };
            let name = name.clone();
            if name.is_empty() {
                return Err(err(n + 1, "the party has no name".into()));
            }
            if parties.contains(&name) {
                return Err(err(n + 1, format!("party `{name}` appears twice")));
            }
            let row = counts
                .iter()
                .zip(&constituencies)
                .map(|(f, c)| {
                    f.parse::<u64>().map_err(|_| {
                        err(
                            n + 1,
                            format!("votes of `{name}` in `{c}`: `{f}` is not a whole number ≥ 0"),
                        )
                    })
                })
                .collect::<Result<Vec<u64>>>()?;
            parties.push(name);
            votes.push(row);
        }
        if parties.is_empty() {
            return Err(err(hl + 1, "no party rows after the header".into()));
        }
        Ok(Self {
            parties,
            constituencies,
            votes,
        })
    }

    /// Member parties per list from `NAME=K` arguments (`--coalition`); lists not named are
    /// single parties (1). An unknown name, a bad count or a repeated name is an error.
    pub fn coalition_members(&self, args: &[String]) -> Result<Vec<u32>> {
        let mut members = vec![1u32; self.parties.len()];
        let mut seen = Vec::new();
        for arg in args {
            let (name, k) = arg
                .rsplit_once('=')
                .ok_or_else(|| Error::Invalid(format!("--coalition `{arg}`: expected NAME=K")))?;
            let k: u32 = k.trim().parse().ok().filter(|&k| k >= 2).ok_or_else(|| {
                Error::Invalid(format!(
                    "--coalition `{arg}`: K must be a whole number ≥ 2 (parties in the coalition)"
                ))
            })?;
            let Some(p) = self.parties.iter().position(|p| p == name) else {
                return Err(Error::Invalid(format!(
                    "--coalition `{arg}`: no party `{name}` in the votes table"
                )));
            };
            if seen.contains(&p) {
                return Err(Error::Invalid(format!("--coalition `{name}` given twice")));
            }
            seen.push(p);
            if let Some(m) = members.get_mut(p) {
                *m = k;
            }
        }
        Ok(members)
    }

    /// Votes of every party in constituency `c`.
    pub fn column(&self, c: usize) -> Vec<u64> {
        self.votes
            .iter()
            .map(|row| row.get(c).copied().unwrap_or(0))
            .collect()
    }
}

/// Seats per party and constituency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatTable {
    /// Party names (as in the vote table).
    pub parties: Vec<String>,
    /// Seats per party in total.
    pub totals: Vec<u32>,
    /// Constituency names of the result (the vote table's; `ČR` for the European
    /// Parliament's single national constituency when the table has several columns).
    pub constituencies: Vec<String>,
    /// `seats[constituency][party]`.
    pub seats: Vec<Vec<u32>>,
    /// Ties decided by lot (resolved by input order).
    pub lots: Vec<Lot>,
    /// Remarks for the reader (lowered thresholds, unfilled seats).
    pub notes: Vec<String>,
}

/// Computes seats for a vote table.
///
/// * `ps`: the constituencies are the regions (volební kraje); `seats` is the size of the
///   Chamber (200), divided among the regions by § 48.
/// * `kz`, `kv`: each constituency is an independent kraj or council (or election district)
///   electing `seats` members; municipal lists are taken as full (as many candidates as
///   seats).
/// * `ep`: the constituencies' votes are added up into the one national constituency.
/// * `members[p]`: member parties of list `p` (1 = a party; the Chamber's coalition
///   thresholds depend on it).
pub fn allocate(
    rules: &RuleSet,
    table: &VoteTable,
    seats: u32,
    members: &[u32],
) -> Result<SeatTable> {
    let np = table.parties.len();
    if members.len() != np {
        return Err(Error::Invalid(format!(
            "{} member counts for {np} parties",
            members.len()
        )));
    }
    let mut notes = Vec::new();
    let mut lots = Vec::new();
    let (constituencies, per) = match rules.election {
        ElectionType::Chamber => {
            let by_region: Vec<Vec<u64>> = (0..table.constituencies.len())
                .map(|c| table.column(c))
                .collect();
            let wording = rules
                .chamber
                .ok_or_else(|| Error::Unsupported("Chamber wording".into()))?;
            let r = chamber(
                &ChamberInput {
                    votes: &by_region,
                    members,
                    candidates: None,
                    seats,
                },
                wording,
            )?;
            if r.threshold.lowered > 0 {
                notes.push(format!(
                    "thresholds lowered {} time(s) (§ 49)",
                    r.threshold.lowered
                ));
            }
            if r.unfilled > 0 {
                notes.push(format!("{} seat(s) unfilled", r.unfilled));
            }
            lots = r.lots;
            (table.constituencies.clone(), r.seats)
        }
        ElectionType::Regional | ElectionType::Municipal => {
            let mut per = Vec::new();
            for (c, name) in table.constituencies.iter().enumerate() {
                let votes = table.column(c);
                let full = vec![seats; np];
                let r = if rules.election == ElectionType::Regional {
                    regional(&votes, None, seats)
                } else {
                    municipal(&votes, &full, seats)
                }
                .map_err(|e| match e {
                    Error::NoVotes(_) => Error::NoVotes(format!(" in `{name}`")),
                    other => other,
                })?;
                if r.threshold.lowered > 0 {
                    notes.push(format!(
                        "{name}: threshold lowered to {} %",
                        r.threshold.required_percent.first().copied().unwrap_or(0)
                    ));
                }
                if r.unfilled > 0 {
                    notes.push(format!("{name}: {} seat(s) unfilled", r.unfilled));
                }
                lots.extend(r.lots.into_iter().map(|mut l| {
                    l.constituency = Some(c);
                    l
                }));
                per.push(r.seats);
            }
            (table.constituencies.clone(), per)
        }
        ElectionType::European => {
            let national: Vec<u64> = table
                .votes
                .iter()
                .map(|row| crate::error::checked_sum(row, "party votes"))
                .collect::<Result<_>>()?;
            let r = european(&national, None, seats)?;
            if r.threshold.lowered > 0 {
                notes.push(format!(
                    "threshold lowered to {} %",
                    r.threshold.required_percent.first().copied().unwrap_or(0)
                ));
            }
            lots = r.lots;
            let name = match table.constituencies.as_slice() {
                [only] => only.clone(),
                _ => "ČR".to_owned(),
            };
            (vec![name], vec![r.seats])
        }
        ElectionType::Senate => {
            return Err(Error::Unsupported(
                "a seat table for the Senate (single-seat districts: use senate::round_one)".into(),
            ));
        }
    };
    let totals = (0..np)
        .map(|p| per.iter().filter_map(|row| row.get(p)).sum())
        .collect();
    Ok(SeatTable {
        parties: table.parties.clone(),
        totals,
        constituencies,
        seats: per,
        lots,
        notes,
    })
}

fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl SeatTable {
    /// `{"parties": {"<party>": seats, …}, "constituencies": {"<constituency>": {"<party>":
    /// seats, …}, …}}`, parties in table order, parties without a seat omitted.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"parties\": ");
        self.push_seats(&mut out, &self.totals);
        out.push_str(", \"constituencies\": {");
        for (c, (name, row)) in self.constituencies.iter().zip(&self.seats).enumerate() {
            if c > 0 {
                out.push_str(", ");
            }
            push_json_string(&mut out, name);
            out.push_str(": ");
            self.push_seats(&mut out, row);
        }
        out.push_str("}}\n");
        out
    }

    /// `{"<party>": seats, …}` for the parties with a seat.
    fn push_seats(&self, out: &mut String, seats: &[u32]) {
        out.push('{');
        let mut first = true;
        for (p, &s) in self.parties.iter().zip(seats) {
            if s == 0 {
                continue;
            }
            if !first {
                out.push_str(", ");
            }
            first = false;
            push_json_string(out, p);
            let _ = write!(out, ": {s}");
        }
        out.push('}');
    }

    /// A plain-text table for people: parties with seats, per constituency and in total,
    /// then notes and lots.
    pub fn to_human(&self) -> String {
        // (index, name, total) of every party with a seat.
        let seated: Vec<(usize, &str, u32)> = self
            .parties
            .iter()
            .zip(&self.totals)
            .enumerate()
            .filter(|(_, (_, t))| **t > 0)
            .map(|(p, (name, &t))| (p, name.as_str(), t))
            .collect();
        let width = seated
            .iter()
            .map(|&(_, name, _)| name.chars().count())
            .chain(["strana".len(), "celkem".len()])
            .max()
            .unwrap_or(6);
        let mut out = String::new();
        let _ = write!(out, "{:<width$}", "strana");
        let widths: Vec<usize> = self
            .constituencies
            .iter()
            .map(|c| c.chars().count().max(3))
            .collect();
        for (c, w) in self.constituencies.iter().zip(&widths) {
            let _ = write!(out, "  {c:>w$}");
        }
        out.push_str("  celkem\n");
        for &(p, name, total) in &seated {
            let _ = write!(out, "{name:<width$}");
            for (row, w) in self.seats.iter().zip(&widths) {
                let _ = write!(out, "  {:>w$}", row.get(p).copied().unwrap_or(0));
            }
            let _ = writeln!(out, "  {total:>6}");
        }
        let _ = write!(out, "{:<width$}", "celkem");
        for (row, w) in self.seats.iter().zip(&widths) {
            let _ = write!(out, "  {:>w$}", row.iter().sum::<u32>());
        }
        let _ = writeln!(out, "  {:>6}", self.totals.iter().sum::<u32>());
        for n in &self.notes {
            let _ = writeln!(out, "pozn.: {n}");
        }
        for l in &self.lots {
            let names: Vec<&str> = l.contenders.iter().map(|&i| self.name_of(l, i)).collect();
            let chosen: Vec<&str> = l.chosen.iter().map(|&i| self.name_of(l, i)).collect();
            let _ = writeln!(
                out,
                "los: {} — {} o {} místo/a; zde rozhodnuto pořadím vstupu: {}",
                l.rule,
                names.join(", "),
                l.places,
                chosen.join(", ")
            );
        }
        out
    }

    fn name_of(&self, lot: &Lot, i: usize) -> &str {
        // Lots of § 48 are among regions, every other among parties.
        if lot.rule.starts_with("§ 48") {
            self.constituencies.get(i).map_or("?", String::as_str)
        } else {
            self.parties.get(i).map_or("?", String::as_str)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_errors_name_the_line() {
        let t = VoteTable::parse(
            "\u{feff}party;A;\"B;C\"\nX;1;2\n\n\"Y \"\"Z\"\"\";3; 4 \n",
            "v.csv",
        )
        .unwrap();
        assert_eq!(t.constituencies, vec!["A", "B;C"]);
        assert_eq!(t.parties, vec!["X", "Y \"Z\""]);
        assert_eq!(t.votes, vec![vec![1, 2], vec![3, 4]]);
        let e = VoteTable::parse("party;A\nX;1;2\n", "v.csv")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("v.csv:2:"), "{e}");
        let e = VoteTable::parse("party;A\nX;-1\n", "v.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("v.csv:2") && e.contains("`-1`"), "{e}");
        let e = VoteTable::parse("strana;A\n", "v.csv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("party"), "{e}");
        assert!(VoteTable::parse("party;A\nX;1\nX;2\n", "v").is_err());
        assert!(VoteTable::parse("", "v").is_err());
        assert!(VoteTable::parse("party;A\n", "v").is_err());
    }

    #[test]
    fn json_omits_parties_without_seats() {
        let t = VoteTable::parse("party;ČR\nA;600\nB;400\nC;10\n", "v").unwrap();
        let r = allocate(
            &RuleSet::new(ElectionType::European, 2019).unwrap(),
            &t,
            5,
            &[1, 1, 1],
        )
        .unwrap();
        assert_eq!(
            r.to_json(),
            "{\"parties\": {\"A\": 3, \"B\": 2}, \"constituencies\": {\"ČR\": {\"A\": 3, \"B\": 2}}}\n"
        );
        assert!(r.to_human().contains("celkem"));
    }
}
