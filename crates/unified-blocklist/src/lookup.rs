//! "Is this address blocked — since when, by whom?": the lookup index and its answers.
//!
//! The index (`historie.tsv` in every publication) holds every row any publication has had,
//! keyed by normalised host, with its dates and the first and last publication that carried
//! it. Each publication builds it from the previous publication's index plus its own list
//! ([`LookupIndex::update`]); only when the previous publication has no index (a deployment
//! older than the index) is it rebuilt once from the archive's dated CSVs. So a lookup never
//! scans archived CSVs.
//!
//! A lookup normalises the address as the list does (scheme, case, IDN, port, trailing dot,
//! path) and matches the exact host, every parent (an entry blocks its subtree), the `www.`
//! name of the host (an entry for `www.x` also blocks `x`), and path entries on the host.

use crate::html::{czech_date, escape};
use blocklist_model::{NaiveDate, ReaderKind, SourceConfig, UnifiedList, normalise_address};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

/// The index's file name in a publication.
pub const INDEX_FILE: &str = "historie.tsv";

const HEADER: [&str; 9] = [
    "host",
    "url",
    "zdroj",
    "nazev_datove_sady",
    "datum_zapisu",
    "datum_vymazu",
    "blokovatelne_dns",
    "poprve_zverejneno",
    "naposledy_zverejneno",
];

/// One row as the publications carried it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IndexRecord {
    /// The normalised host.
    pub host: String,
    /// `URL` as published.
    pub url: String,
    /// `ZDROJ`.
    pub authority: String,
    /// `NAZEV_DATOVE_SADY`.
    pub dataset: String,
    /// `DATUM_ZAPISU`.
    pub entered: NaiveDate,
    /// `DATUM_VYMAZU` in the latest publication that carried the row.
    pub removed: Option<NaiveDate>,
    /// DNS blocking can express the row (no path, not an IP literal).
    pub dns_blockable: bool,
    /// The validity date of the first publication with the row.
    pub first_published: NaiveDate,
    /// The validity date of the last publication with the row.
    pub last_published: NaiveDate,
}

/// The lookup index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LookupIndex {
    /// Sorted by host, then URL, authority, dataset and entry date.
    records: Vec<IndexRecord>,
    /// The validity date of the latest publication applied.
    latest: Option<NaiveDate>,
}

/// The index cannot be read or built.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// A file cannot be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// A line of the index is not valid.
    #[error("{path}: line {line}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// The line (1-based, the header is line 1).
        line: u64,
        /// What is wrong.
        message: String,
    },
}

impl LookupIndex {
    /// The records, sorted by host.
    pub fn records(&self) -> &[IndexRecord] {
        &self.records
    }

    /// The validity date of the latest publication in the index.
    pub fn latest(&self) -> Option<NaiveDate> {
        self.latest
    }

    /// Adds the publication of `list` valid as of `published`: new rows are added, known rows
    /// get their current removal date and last publication date.
    pub fn update(&mut self, list: &UnifiedList, published: NaiveDate) {
        let mut position: HashMap<(String, String, String, NaiveDate), usize> = self
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    (
                        r.url.clone(),
                        r.authority.clone(),
                        r.dataset.clone(),
                        r.entered,
                    ),
                    i,
                )
            })
            .collect();
        for entry in list.entries() {
            let Some(host) = entry.host() else { continue };
            let key = (
                entry.url().to_owned(),
                entry.authority().to_owned(),
                entry.dataset().to_owned(),
                entry.entered(),
            );
            match position.get(&key).and_then(|&i| self.records.get_mut(i)) {
                Some(r) => {
                    if published >= r.last_published {
                        r.removed = entry.removed();
                        r.dns_blockable = entry.dns_blockable();
                        r.last_published = published;
                    }
                    r.first_published = r.first_published.min(published);
                }
                None => {
                    position.insert(key, self.records.len());
                    self.records.push(IndexRecord {
                        host: host.to_owned(),
                        url: entry.url().to_owned(),
                        authority: entry.authority().to_owned(),
                        dataset: entry.dataset().to_owned(),
                        entered: entry.entered(),
                        removed: entry.removed(),
                        dns_blockable: entry.dns_blockable(),
                        first_published: published,
                        last_published: published,
                    });
                }
            }
        }
        self.records.sort_unstable();
        self.latest = Some(self.latest.map_or(published, |l| l.max(published)));
    }

    /// The index as TSV (a header line, then one record a line, sorted by host).
    pub fn to_tsv(&self) -> Vec<u8> {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b'\t')
            .from_writer(Vec::new());
        let _ = writer.write_record(HEADER);
        for r in &self.records {
            let date = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
            let _ = writer.write_record([
                r.host.as_str(),
                &r.url,
                &r.authority,
                &r.dataset,
                &date(r.entered),
                &r.removed.map(date).unwrap_or_default(),
                if r.dns_blockable { "1" } else { "0" },
                &date(r.first_published),
                &date(r.last_published),
            ]);
        }
        writer.into_inner().unwrap_or_default()
    }

    /// Reads an index written by [`LookupIndex::to_tsv`]; `path` names it in errors.
    pub fn from_tsv(bytes: &[u8], path: &str) -> Result<Self, IndexError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b'\t')
            .from_reader(bytes);
        let invalid = |line: u64, message: String| IndexError::Invalid {
            path: path.to_owned(),
            line,
            message,
        };
        let header = reader.headers().map_err(|e| invalid(1, e.to_string()))?;
        if header.iter().ne(HEADER) {
            return Err(invalid(1, format!("header is not {}", HEADER.join(" "))));
        }
        let mut records = Vec::new();
        let mut latest: Option<NaiveDate> = None;
        for (i, row) in reader.records().enumerate() {
            let line = i as u64 + 2;
            let row = row.map_err(|e| invalid(line, e.to_string()))?;
            let field = |n: usize| row.get(n).unwrap_or("");
            let date = |n: usize| {
                NaiveDate::parse_from_str(field(n), "%Y-%m-%d").map_err(|_| {
                    let column = HEADER.get(n).copied().unwrap_or_default();
                    invalid(line, format!("{column}: {:?} is not a date", field(n)))
                })
            };
            let record = IndexRecord {
                host: field(0).to_owned(),
                url: field(1).to_owned(),
                authority: field(2).to_owned(),
                dataset: field(3).to_owned(),
                entered: date(4)?,
                removed: if field(5).is_empty() {
                    None
                } else {
                    Some(date(5)?)
                },
                dns_blockable: field(6) == "1",
                first_published: date(7)?,
                last_published: date(8)?,
            };
            latest = Some(latest.map_or(record.last_published, |l| l.max(record.last_published)));
            records.push(record);
        }
        if !records.is_sorted() {
            return Err(invalid(0, "records are not sorted".into()));
        }
        Ok(Self { records, latest })
    }

    /// Reads the index of the publication in `dir`.
    pub fn load(dir: &Path) -> Result<Self, IndexError> {
        let path = dir.join(INDEX_FILE);
        let bytes = std::fs::read(&path).map_err(|e| IndexError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_tsv(&bytes, &path.display().to_string())
    }

    /// Builds the index from the dated copies in `dir/archiv/` (oldest first), for a
    /// publication made before indexes existed.
    pub fn from_archive(dir: &Path) -> Result<Self, IndexError> {
        let archive = dir.join(crate::publish::ARCHIVE_DIR);
        let read_err = |path: &Path, e: &dyn std::fmt::Display| IndexError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let mut dates: Vec<NaiveDate> = match std::fs::read_dir(&archive) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    NaiveDate::parse_from_str(&e.file_name().to_string_lossy(), "%Y-%m-%d").ok()
                })
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(read_err(&archive, &e)),
        };
        dates.sort_unstable();
        let mut index = Self::default();
        for date in dates {
            let day = archive.join(date.format("%Y-%m-%d").to_string());
            let path = [
                crate::update::files::EXTENDED_CSV,
                crate::update::files::DECREE_CSV,
            ]
            .iter()
            .map(|name| day.join(name))
            .find(|p| p.is_file());
            let Some(path) = path else { continue };
            let bytes = std::fs::read(&path).map_err(|e| read_err(&path, &e))?;
            let read = blocklist_model::read_source(
                &SourceConfig::new("", "", ReaderKind::Decree),
                &bytes,
            )
            .map_err(|e| read_err(&path, &e))?;
            index.update(&UnifiedList::merge(date, read.entries), date);
        }
        Ok(index)
    }

    /// Answers "is `address` listed on `at` (default: the latest publication's date)?".
    pub fn lookup(
        &self,
        address: &str,
        at: Option<NaiveDate>,
    ) -> Result<LookupAnswer, LookupError> {
        let normalised = normalise_address(address)
            .map_err(|e| LookupError::Address(address.to_owned(), e.to_string()))?;
        let host = normalised.host;
        let at = at.or(self.latest).unwrap_or(NaiveDate::MIN);
        let query_path = path_of(address);
        let mut matches = Vec::new();
        let mut candidates: Vec<(String, Match)> = vec![(host.clone(), Match::Host)];
        let mut rest = host.as_str();
        while let Some((_, parent)) = rest.split_once('.') {
            candidates.push((parent.to_owned(), Match::Parent));
            rest = parent;
        }
        if !normalised.leading_www {
            candidates.push((format!("www.{host}"), Match::Www));
        }
        for (candidate, kind) in candidates {
            let start = self
                .records
                .partition_point(|r| r.host.as_str() < candidate.as_str());
            for r in self
                .records
                .iter()
                .skip(start)
                .take_while(|r| r.host == candidate)
            {
                let entry_path = path_of(&r.url);
                let kind = if entry_path.is_empty() {
                    kind
                } else if kind == Match::Host {
                    Match::Path
                } else {
                    // A path entry on another host says nothing about this address.
                    continue;
                };
                let in_force = r.entered <= at
                    && r.removed.is_none_or(|d| d > at)
                    && (Some(r.last_published) == self.latest || r.last_published >= at);
                let blocks = in_force
                    && match kind {
                        Match::Path => {
                            query_path == entry_path
                                || query_path.starts_with(&format!("{entry_path}/"))
                        }
                        _ => r.dns_blockable,
                    };
                matches.push(Found {
                    kind,
                    blocks,
                    in_force,
                    record: r.clone(),
                });
            }
        }
        Ok(LookupAnswer {
            address: address.to_owned(),
            host,
            at,
            latest_publication: self.latest,
            blocked: matches.iter().any(|m| m.blocks),
            matches,
        })
    }
}

/// The index of the next publication: the current publication's index (or, if it has none or
/// it is damaged, one rebuilt from its archive) plus `list` valid as of `valid_as_of`.
pub fn next_index(
    current: Option<&Path>,
    list: &UnifiedList,
    valid_as_of: NaiveDate,
) -> LookupIndex {
    let mut index = match current {
        None => LookupIndex::default(),
        Some(dir) => LookupIndex::load(dir).unwrap_or_else(|error| {
            tracing::warn!("lookup index: {error}; rebuilding it from the archive");
            LookupIndex::from_archive(dir).unwrap_or_else(|error| {
                tracing::warn!("lookup index: {error}; starting a new one");
                LookupIndex::default()
            })
        }),
    };
    index.update(list, valid_as_of);
    index
}

/// The path of an address without scheme, host and trailing `/` (empty for none).
fn path_of(address: &str) -> &str {
    let rest = address
        .trim()
        .split_once("://")
        .map_or(address.trim(), |(_, r)| r);
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.trim_end_matches('/')
}

/// How a record matched the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    /// The record's host is the address's host.
    Host,
    /// The record's host is a parent of the address's host (it blocks its subtree).
    Parent,
    /// The record lists `www.` + the address's host, which also blocks the host.
    Www,
    /// A record with a path on the address's host (not DNS-blockable).
    Path,
}

impl Match {
    fn czech(self) -> &'static str {
        match self {
            Self::Host => "stejná doména",
            Self::Parent => "nadřazená doména",
            Self::Www => "doména s www.",
            Self::Path => "cesta na této doméně",
        }
    }
}

/// One matching record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// How it matched.
    pub kind: Match,
    /// It was in force on the date asked about.
    pub in_force: bool,
    /// It blocks the address on that date.
    pub blocks: bool,
    /// The record.
    pub record: IndexRecord,
}

/// The answer to a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupAnswer {
    /// The address as asked.
    pub address: String,
    /// Its normalised host.
    pub host: String,
    /// The date asked about.
    pub at: NaiveDate,
    /// The latest publication in the index.
    pub latest_publication: Option<NaiveDate>,
    /// A matching record in force blocks the address on that date.
    pub blocked: bool,
    /// Every matching record, in force or not.
    pub matches: Vec<Found>,
}

/// A lookup that cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The address has no usable host.
    #[error("{0:?} není platná adresa ({1})")]
    Address(String, String),
    /// The date is not `YYYY-MM-DD`.
    #[error("{0:?} není datum ve tvaru RRRR-MM-DD")]
    Date(String),
}

#[derive(Serialize)]
struct JsonMatch<'a> {
    shoda: Match,
    url: &'a str,
    zdroj: &'a str,
    nazev_datove_sady: &'a str,
    datum_zapisu: NaiveDate,
    datum_vymazu: Option<NaiveDate>,
    platny_k_datu: bool,
    blokuje: bool,
    blokovatelne_dns: bool,
    poprve_zverejneno: NaiveDate,
    naposledy_zverejneno: NaiveDate,
}

#[derive(Serialize)]
struct JsonAnswer<'a> {
    adresa: &'a str,
    domena: &'a str,
    k_datu: NaiveDate,
    blokovana: bool,
    posledni_zverejneni: Option<NaiveDate>,
    zaznamy: Vec<JsonMatch<'a>>,
}

impl LookupAnswer {
    /// The answer as the JSON `GET /api/lookup` returns (Czech keys, like the list's columns).
    pub fn to_json(&self) -> String {
        let answer = JsonAnswer {
            adresa: &self.address,
            domena: &self.host,
            k_datu: self.at,
            blokovana: self.blocked,
            posledni_zverejneni: self.latest_publication,
            zaznamy: self
                .matches
                .iter()
                .map(|m| JsonMatch {
                    shoda: m.kind,
                    url: &m.record.url,
                    zdroj: &m.record.authority,
                    nazev_datove_sady: &m.record.dataset,
                    datum_zapisu: m.record.entered,
                    datum_vymazu: m.record.removed,
                    platny_k_datu: m.in_force,
                    blokuje: m.blocks,
                    blokovatelne_dns: m.record.dns_blockable,
                    poprve_zverejneno: m.record.first_published,
                    naposledy_zverejneno: m.record.last_published,
                })
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&answer).unwrap_or_default();
        text.push('\n');
        text
    }

    /// One Czech sentence: the verdict.
    pub fn verdict(&self) -> String {
        let date = czech_date(self.at);
        let blocking: Vec<&Found> = self.matches.iter().filter(|m| m.blocks).collect();
        if let Some(first) = blocking.first() {
            let r = &first.record;
            format!(
                "Ano. Adresa {} je ke dni {date} blokována: {} ji zapsal(a) do seznamu „{}“ dne {}{}.",
                self.address,
                r.authority,
                r.dataset,
                czech_date(r.entered),
                if blocking.len() > 1 {
                    format!(" (a další záznamy: {})", blocking.len() - 1)
                } else {
                    String::new()
                }
            )
        } else if self.matches.iter().any(|m| m.in_force) {
            format!(
                "Ne. Ke dni {date} je na seznamu jen záznam s cestou na této doméně, který adresu {} neblokuje.",
                self.address
            )
        } else if self.matches.is_empty() {
            format!(
                "Ne. Adresa {} ke dni {date} na jednotném seznamu není a nikdy nebyla.",
                self.address
            )
        } else {
            format!(
                "Ne. Adresa {} ke dni {date} blokována není; dříve na seznamu byla (viz záznamy níže).",
                self.address
            )
        }
    }
}

/// The query of `GET /api/lookup` and `GET /vyhledat`: `adresa` and optional `k`.
pub fn parse_query(query: &str) -> Result<Option<(String, Option<NaiveDate>)>, LookupError> {
    let mut address = None;
    let mut at = None;
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_encoding::percent_decode_str(&value.replace('+', " "))
            .decode_utf8_lossy()
            .trim()
            .to_owned();
        match key {
            "adresa" if !value.is_empty() => address = Some(value),
            "k" if !value.is_empty() => {
                at = Some(
                    NaiveDate::parse_from_str(&value, "%Y-%m-%d")
                        .map_err(|_| LookupError::Date(value.clone()))?,
                );
            }
            _ => {}
        }
    }
    Ok(address.map(|a| (a, at)))
}

/// A response of the lookup routes, independent of the HTTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

/// `GET /api/lookup?adresa=…[&k=YYYY-MM-DD]`: the answer as JSON; 400 with `{"chyba": …}`
/// for a missing or bad address or date.
pub fn api_response(index: &LookupIndex, query: &str) -> LookupResponse {
    let json = "application/json; charset=utf-8";
    let error = |message: String| LookupResponse {
        status: 400,
        content_type: json,
        body: format!("{}\n", serde_json::json!({ "chyba": message })),
    };
    match parse_query(query) {
        Ok(Some((address, at))) => match index.lookup(&address, at) {
            Ok(answer) => LookupResponse {
                status: 200,
                content_type: json,
                body: answer.to_json(),
            },
            Err(e) => error(e.to_string()),
        },
        Ok(None) => error("chybí parametr adresa".into()),
        Err(e) => error(e.to_string()),
    }
}

/// `GET /vyhledat?adresa=…[&k=…]`: the answer as a Czech page rendered on the server, so the
/// form works without JavaScript.
pub fn page_response(index: &LookupIndex, query: &str) -> LookupResponse {
    let html = "text/html; charset=utf-8";
    let (status, asked, result) = match parse_query(query) {
        Ok(Some((address, at))) => match index.lookup(&address, at) {
            Ok(answer) => (200, Some((address, at)), Ok(answer)),
            Err(e) => (400, Some((address, at)), Err(e.to_string())),
        },
        Ok(None) => (200, None, Err(String::new())),
        Err(e) => (400, None, Err(e.to_string())),
    };
    let mut page = String::with_capacity(4096);
    page.push_str(
        "<!DOCTYPE html>\n<html lang=\"cs\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Je tato adresa blokována? – Jednotný seznam blokovaných internetových stránek</title>\n",
    );
    let _ = write!(
        page,
        "<style>{}</style>\n</head>\n<body>\n<header>\n<p><a href=\"./\">Jednotný seznam blokovaných internetových stránek</a></p>\n</header>\n<main>\n",
        crate::html::STYLE
    );
    page.push_str(&lookup_form(
        asked.as_ref().map(|(a, _)| a.as_str()),
        asked.as_ref().and_then(|(_, at)| *at),
        "h1",
    ));
    match result {
        Ok(answer) => {
            page.push_str(
                "<section aria-labelledby=\"vysledek\">\n<h2 id=\"vysledek\">Výsledek</h2>\n",
            );
            let _ = writeln!(
                page,
                "<p id=\"verdikt\" data-blokovana=\"{}\"><strong>{}</strong></p>",
                if answer.blocked { "ano" } else { "ne" },
                escape(&answer.verdict())
            );
            let _ = writeln!(
                page,
                "<p>Doména po normalizaci: <code>{}</code>. Poslední zveřejnění seznamu: {}.</p>",
                escape(&answer.host),
                answer
                    .latest_publication
                    .map_or_else(|| "žádné".to_owned(), czech_date)
            );
            if !answer.matches.is_empty() {
                page.push_str(
                    "<table id=\"zaznamy\">\n<caption>Záznamy seznamu, které se adresy týkají</caption>\n\
                     <thead>\n<tr><th scope=\"col\">Adresa (URL)</th><th scope=\"col\">Shoda</th>\
                     <th scope=\"col\">Zdroj</th><th scope=\"col\">Název datové sady</th>\
                     <th scope=\"col\">Datum zápisu</th><th scope=\"col\">Datum výmazu</th>\
                     <th scope=\"col\">Platný k datu</th></tr>\n</thead>\n<tbody>\n",
                );
                for m in &answer.matches {
                    let r = &m.record;
                    let _ = writeln!(
                        page,
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(&r.url),
                        m.kind.czech(),
                        escape(&r.authority),
                        escape(&r.dataset),
                        czech_date(r.entered),
                        r.removed.map(czech_date).unwrap_or_default(),
                        if m.in_force { "ano" } else { "ne" }
                    );
                }
                page.push_str("</tbody>\n</table>\n");
            }
            page.push_str("</section>\n");
        }
        Err(message) if !message.is_empty() => {
            let _ = writeln!(
                page,
                "<p id=\"chyba\" role=\"alert\"><strong>Chyba:</strong> {}</p>",
                escape(&message)
            );
        }
        Err(_) => {}
    }
    page.push_str(
        "<p>Strojově: <code>GET /api/lookup?adresa=…&amp;k=RRRR-MM-DD</code> vrací totéž jako JSON.</p>\n\
         </main>\n</body>\n</html>\n",
    );
    LookupResponse {
        status,
        content_type: html,
        body: page,
    }
}

/// The form „Je tato adresa blokována?" (a plain GET to `vyhledat`, answered on the server).
/// `heading` is the heading element (`h1` on the answer page, `h2` on the list page).
pub fn lookup_form(address: Option<&str>, at: Option<NaiveDate>, heading: &str) -> String {
    format!(
        "<section aria-labelledby=\"overeni\">\n<{heading} id=\"overeni\">Je tato adresa blokována?</{heading}>\n\
         <form id=\"vyhledat\" action=\"vyhledat\" method=\"get\">\n\
         <label for=\"adresa\">Adresa nebo doména<input id=\"adresa\" name=\"adresa\" type=\"text\" required \
         inputmode=\"url\" autocomplete=\"off\" spellcheck=\"false\" value=\"{}\"></label>\n\
         <label for=\"k\">Ke dni (nepovinné)<input id=\"k\" name=\"k\" type=\"date\" value=\"{}\"></label>\n\
         <button type=\"submit\">Ověřit</button>\n</form>\n</section>\n",
        escape(address.unwrap_or("")),
        at.map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use blocklist_model::{Entry, SourceLabel};
    use std::sync::Arc;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn list(date: &str, rows: &[(&str, &str, Option<&str>, &str)]) -> UnifiedList {
        UnifiedList::merge(
            d(date),
            rows.iter().map(|(url, entered, removed, authority)| {
                Entry::new(
                    url,
                    d(entered),
                    removed.map(d),
                    Arc::new(SourceLabel::new(*authority, "Seznam")),
                    None,
                )
            }),
        )
    }

    fn index() -> LookupIndex {
        let mut index = LookupIndex::default();
        index.update(
            &list(
                "2026-01-10",
                &[
                    ("https://www.kasino.cz/", "2026-01-05", None, "MF"),
                    ("casino.help/online-casino", "2026-01-06", None, "MF"),
                    ("stara.cz", "2025-06-01", Some("2026-01-08"), "SÚKL"),
                    ("zmizi.cz", "2026-01-02", None, "SZPI"),
                ],
            ),
            d("2026-01-10"),
        );
        index.update(
            &list(
                "2026-02-01",
                &[
                    (
                        "https://www.kasino.cz/",
                        "2026-01-05",
                        Some("2026-01-31"),
                        "MF",
                    ),
                    ("casino.help/online-casino", "2026-01-06", None, "MF"),
                    ("stara.cz", "2025-06-01", Some("2026-01-08"), "SÚKL"),
                    ("mezinárodníonlinecasino.com", "2026-01-20", None, "MF"),
                ],
            ),
            d("2026-02-01"),
        );
        index
    }

    #[test]
    fn normalised_address_matches_host_parent_www_and_path() {
        let index = index();
        // The IDN, asked in Unicode with a scheme, upper case and a path.
        let a = index
            .lookup("HTTPS://MEZINÁRODNÍONLINECASINO.COM/hry?x=1", None)
            .unwrap();
        assert!(a.blocked, "{a:?}");
        assert_eq!(a.host, "xn--mezinrodnonlinecasino-e0b4z.com");
        assert_eq!(a.matches[0].record.entered, d("2026-01-20"));
        // www.kasino.cz blocks kasino.cz and its subdomains while in force.
        let a = index.lookup("kasino.cz", Some(d("2026-01-15"))).unwrap();
        assert!(a.blocked);
        assert_eq!(a.matches[0].kind, Match::Www);
        let a = index
            .lookup("a.b.www.kasino.cz", Some(d("2026-01-15")))
            .unwrap();
        assert!(a.blocked);
        assert_eq!(a.matches[0].kind, Match::Parent);
        // Removed on 31 January.
        let a = index.lookup("www.kasino.cz", None).unwrap();
        assert!(!a.blocked && a.matches.len() == 1 && !a.matches[0].in_force);
        assert!(a.verdict().starts_with("Ne."), "{}", a.verdict());
        // Before its entry date it was not listed.
        assert!(
            !index
                .lookup("www.kasino.cz", Some(d("2026-01-04")))
                .unwrap()
                .blocked
        );
        // A path entry blocks its path only.
        assert!(
            index
                .lookup("casino.help/online-casino/x", None)
                .unwrap()
                .blocked
        );
        let host_only = index.lookup("casino.help", None).unwrap();
        assert!(!host_only.blocked);
        assert_eq!(host_only.matches[0].kind, Match::Path);
        // A row that vanished from the list without a removal date is not in force after the
        // last publication that had it.
        assert!(
            index
                .lookup("zmizi.cz", Some(d("2026-01-10")))
                .unwrap()
                .blocked
        );
        assert!(
            !index
                .lookup("zmizi.cz", Some(d("2026-01-20")))
                .unwrap()
                .blocked
        );
        // Never listed; bad input.
        let a = index.lookup("neni.cz", None).unwrap();
        assert!(!a.blocked && a.matches.is_empty());
        assert!(index.lookup("http://", None).is_err());
    }

    #[test]
    fn tsv_round_trip_keeps_first_and_last_publication() {
        let index = index();
        let again = LookupIndex::from_tsv(&index.to_tsv(), "t").unwrap();
        assert_eq!(again, index);
        let r = &index.lookup("stara.cz", None).unwrap().matches[0].record;
        assert_eq!(
            (r.first_published, r.last_published),
            (d("2026-01-10"), d("2026-02-01"))
        );
        let err = LookupIndex::from_tsv(b"host\turl\n", "x.tsv").unwrap_err();
        assert!(err.to_string().contains("x.tsv: line 1"), "{err}");
    }

    #[test]
    fn routes_answer_json_and_a_page() {
        let index = index();
        let r = api_response(&index, "adresa=www.kasino.cz&k=2026-01-15");
        assert_eq!(r.status, 200);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["blokovana"], true);
        assert_eq!(v["zaznamy"][0]["zdroj"], "MF");
        assert_eq!(v["zaznamy"][0]["datum_zapisu"], "2026-01-05");
        assert_eq!(v["zaznamy"][0]["datum_vymazu"], "2026-01-31");
        assert_eq!(api_response(&index, "k=2026-01-15").status, 400);
        assert_eq!(api_response(&index, "adresa=x.cz&k=15.1.2026").status, 400);
        let page = page_response(&index, "adresa=%3Cscript%3E.cz");
        assert!(!page.body.contains("<script>"), "{}", page.body);
        let page = page_response(&index, "adresa=kasino.cz&k=2026-01-15");
        assert!(
            page.body.contains("data-blokovana=\"ano\""),
            "{}",
            page.body
        );
        assert!(page.body.contains("value=\"kasino.cz\""));
    }
}
