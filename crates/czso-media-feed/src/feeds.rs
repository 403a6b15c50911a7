//! Feed documents in the volby.cz vocabulary and the published set of them.

use crate::model::{Definition, ElectionKind};
use crate::results::{ElectionResults, RoundResults, Tally};
use crate::time::prague_local;
use crate::xml::{BatchHeader, open_root, percent, push_escaped, write_batch, write_not_yet};
use axum::body::Bytes;
use axum::http::HeaderValue;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Arc, OnceLock};

/// One generated document with its validators.
#[derive(Debug)]
pub struct Document {
    /// UTF-8 XML.
    pub body: Bytes,
    /// Strong ETag (quoted), from a hash of the body.
    pub etag: String,
    /// `Last-Modified` in HTTP date format.
    pub last_modified: String,
    /// Generation instant.
    pub generated: DateTime<Utc>,
    /// `etag` as a ready header value (responses copy it, never re-validate it).
    pub etag_value: HeaderValue,
    /// `last_modified` as a ready header value.
    pub last_modified_value: HeaderValue,
    gzip: OnceLock<Bytes>,
}

impl Document {
    /// Wraps a generated body.
    pub fn new(body: String, generated: DateTime<Utc>) -> Self {
        let digest = Sha256::digest(body.as_bytes());
        let etag = format!("\"{}\"", hex::encode(&digest[..12]));
        let last_modified = httpdate::fmt_http_date(std::time::SystemTime::from(generated));
        // Both are ASCII by construction (hex digits, an HTTP date).
        let ready = |text: &str| {
            HeaderValue::from_maybe_shared(Bytes::copy_from_slice(text.as_bytes()))
                .unwrap_or(HeaderValue::from_static(""))
        };
        Self {
            body: Bytes::from(body),
            etag_value: ready(&etag),
            last_modified_value: ready(&last_modified),
            etag,
            last_modified,
            generated,
            gzip: OnceLock::new(),
        }
    }

    /// The gzip-compressed body, compressed on first use.
    pub fn gzip(&self) -> Bytes {
        self.gzip
            .get_or_init(|| {
                let mut enc =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
                // Writing to a Vec cannot fail.
                let _ = enc.write_all(&self.body);
                Bytes::from(enc.finish().unwrap_or_default())
            })
            .clone()
    }
}

/// Every document of one election and data set, as published at one instant.
#[derive(Debug, Default)]
pub struct FeedSet {
    /// Documents by path below `odata/` (`vysledky.xml`, `okresy/vysledky_okres_CZ0100.xml`,
    /// `okrsky/vysledky_okrsky_00001.xml`, `okrsky/vysledky_okrsky.xml`; the Senate run-off
    /// batches live under `kolo2/okrsky/`).
    pub docs: HashMap<String, Arc<Document>>,
    /// Batches per round (index 0 = round 1) by number.
    pub batches: Vec<HashMap<u32, Arc<Document>>>,
    /// The "not yet" (`CHYBA KOD_CHYBY="10"`) document.
    pub not_yet: Option<Arc<Document>>,
    /// [`ElectionResults::version`] this set was generated from.
    pub version: u64,
    /// When it was generated.
    pub generated: Option<DateTime<Utc>>,
}

impl FeedSet {
    /// The latest batch of `round`, if any.
    pub fn latest_batch(&self, round: u8) -> Option<&Arc<Document>> {
        let map = self.batches.get(usize::from(round.max(1) - 1))?;
        map.keys().max().and_then(|n| map.get(n))
    }

    /// Batch `number` of `round`.
    pub fn batch(&self, round: u8, number: u32) -> Option<&Arc<Document>> {
        self.batches
            .get(usize::from(round.max(1) - 1))?
            .get(&number)
    }
}

/// Path of a batch document below `odata/`.
pub fn batch_path(round: u8, number: Option<u32>) -> String {
    let prefix = if round == 2 { "kolo2/" } else { "" };
    match number {
        Some(n) => format!("{prefix}okrsky/vysledky_okrsky_{n:05}.xml"),
        None => format!("{prefix}okrsky/vysledky_okrsky.xml"),
    }
}

/// Generates every document of `results`, reusing the immutable batch documents of
/// `previous`.
pub fn generate(
    results: &ElectionResults,
    previous: Option<&FeedSet>,
    now: DateTime<Utc>,
) -> FeedSet {
    let def = &results.def;
    let stamp = prague_local(now);
    let mut set = FeedSet {
        version: results.version,
        generated: Some(now),
        not_yet: Some(Arc::new(Document::new(
            write_not_yet(def.kind, &stamp),
            now,
        ))),
        ..FeedSet::default()
    };
    match def.kind {
        ElectionKind::Ps | ElectionKind::Kz => {
            set.docs.insert(
                "vysledky.xml".into(),
                Arc::new(Document::new(write_vysledky(def, results, &stamp), now)),
            );
            for (i, okres) in def.okresy.iter().enumerate() {
                let body = write_okres(def, results, i, &stamp);
                set.docs.insert(
                    format!("okresy/vysledky_okres_{}.xml", okres.nuts),
                    Arc::new(Document::new(body, now)),
                );
            }
        }
        ElectionKind::Senat => {
            set.docs.insert(
                "vysledky.xml".into(),
                Arc::new(Document::new(write_senat(def, results, &stamp), now)),
            );
        }
        ElectionKind::Kv => {}
    }
    let total = def.okrsky_celkem();
    for (ri, round) in results.rounds.iter().enumerate() {
        let round_no = u8::try_from(ri + 1).unwrap_or(1);
        let mut map = HashMap::new();
        for batch in &round.batches {
            let reused = previous
                .and_then(|p| p.batch(round_no, batch.cut.number))
                .cloned();
            let doc = reused.unwrap_or_else(|| {
                let cut_at = DateTime::from_timestamp(batch.cut.cut_at, 0).unwrap_or(now);
                let header = BatchHeader {
                    election_date: def.election_date.clone(),
                    number: batch.cut.number,
                    rows: u32::try_from(batch.rows.len()).unwrap_or(u32::MAX),
                    total,
                    processed: batch.processed,
                };
                let rows: Vec<_> = batch.rows.iter().map(AsRef::as_ref).collect();
                Arc::new(Document::new(
                    write_batch(def.kind, &prague_local(cut_at), &header, &rows),
                    cut_at,
                ))
            });
            set.docs.insert(
                batch_path(round_no, Some(batch.cut.number)),
                Arc::clone(&doc),
            );
            map.insert(batch.cut.number, doc);
        }
        if let Some(last) = round.batches.last() {
            set.docs.insert(
                batch_path(round_no, None),
                Arc::clone(&map[&last.cut.number]),
            );
        }
        set.batches.push(map);
    }
    set
}

fn write_ucast(out: &mut String, total: u32, t: &Tally) {
    let _ = writeln!(
        out,
        "<UCAST OKRSKY_CELKEM=\"{total}\" OKRSKY_ZPRAC=\"{}\" OKRSKY_ZPRAC_PROC=\"{}\" ZAPSANI_VOLICI=\"{}\" \
VYDANE_OBALKY=\"{}\" UCAST_PROC=\"{}\" ODEVZDANE_OBALKY=\"{}\" PLATNE_HLASY=\"{}\" PLATNE_HLASY_PROC=\"{}\"/>",
        t.processed,
        percent(u64::from(t.processed), u64::from(total)),
        t.registered,
        t.envelopes_issued,
        percent(t.envelopes_issued, t.registered),
        t.envelopes_returned,
        t.valid_votes,
        percent(t.valid_votes, t.envelopes_returned),
    );
}

fn write_parties(out: &mut String, def: &Definition, t: &Tally) {
    for (i, p) in def.parties.iter().enumerate() {
        let _ = write!(out, "<STRANA KSTRANA=\"{}\" NAZ_STR=\"", p.number);
        push_escaped(out, &p.name);
        out.push('"');
        if def.emit_vstrana
            && let Some(v) = p.vstrana
        {
            let _ = write!(out, " VSTRANA=\"{v}\"");
        }
        let _ = writeln!(
            out,
            ">\n<HODNOTY_STRANA HLASY=\"{}\" PROC_HLASU=\"{}\"/>\n</STRANA>",
            t.votes[i],
            percent(t.votes[i], t.valid_votes)
        );
    }
}

/// `vysledky.xml` for PS (`KRAJ`) and KZ (`KRZAST`).
fn write_vysledky(def: &Definition, results: &ElectionResults, stamp: &str) -> String {
    let round: &RoundResults = &results.rounds[0];
    let mut out = String::with_capacity(128 * 1024);
    open_root(&mut out, def.kind, "VYSLEDKY", "vysledky", stamp);
    let (el, num, name) = if def.kind == ElectionKind::Kz {
        ("KRZAST", "CIS_KRZAST", "NAZ_KRZAST")
    } else {
        ("KRAJ", "CIS_KRAJ", "NAZ_KRAJ")
    };
    let index = &results.index.kraj_total;
    for (i, k) in def.kraje.iter().enumerate() {
        let _ = write!(out, "<{el} {num}=\"{}\" {name}=\"", k.number);
        push_escaped(&mut out, &k.name);
        out.push_str("\">\n");
        write_ucast(&mut out, index[i], &round.kraje[i]);
        write_parties(&mut out, def, &round.kraje[i]);
        let _ = writeln!(out, "</{el}>");
    }
    out.push_str("<CR>\n");
    write_ucast(&mut out, def.okrsky_celkem(), &round.cr);
    write_parties(&mut out, def, &round.cr);
    out.push_str("</CR>\n</VYSLEDKY>\n");
    out
}

fn write_hlasy_strana(out: &mut String, def: &Definition, t: &Tally) {
    for (i, p) in def.parties.iter().enumerate() {
        let _ = writeln!(
            out,
            "<HLASY_STRANA KSTRANA=\"{}\" HLASY=\"{}\" PROC_HLASU=\"{}\"/>",
            p.number,
            t.votes[i],
            percent(t.votes[i], t.valid_votes)
        );
    }
}

/// `okresy/vysledky_okres_{NUTS}.xml`: the district and its municipalities.
fn write_okres(def: &Definition, results: &ElectionResults, oi: usize, stamp: &str) -> String {
    let round = &results.rounds[0];
    let okres = &def.okresy[oi];
    let mut out = String::with_capacity(64 * 1024);
    open_root(
        &mut out,
        def.kind,
        "VYSLEDKY_OKRES",
        "vysledky_okres",
        stamp,
    );
    out.push_str("<OKRES NUTS_OKRES=\"");
    push_escaped(&mut out, &okres.nuts);
    out.push_str("\" NAZ_OKRES=\"");
    push_escaped(&mut out, &okres.name);
    out.push_str("\">\n");
    write_ucast(&mut out, results.index.okres_total[oi], &round.okresy[oi]);
    write_hlasy_strana(&mut out, def, &round.okresy[oi]);
    out.push_str("</OKRES>\n");
    for &bi in &results.index.okres_obce[oi] {
        let obec = &def.obce[bi];
        let _ = write!(out, "<OBEC CIS_OBEC=\"{}\" NAZ_OBEC=\"", obec.code);
        push_escaped(&mut out, &obec.name);
        let _ = writeln!(out, "\" TYP_OBEC=\"{}\">", obec.typ.as_str());
        write_ucast(&mut out, results.index.obec_total[bi], &round.obce[bi]);
        write_hlasy_strana(&mut out, def, &round.obce[bi]);
        out.push_str("</OBEC>\n");
    }
    out.push_str("</VYSLEDKY_OKRES>\n");
    out
}

/// The legacy answer for an unknown district: `VYSLEDKY_OKRES` holding `CHYBA` (valid
/// against `ps_vysledky_okres.xsd`).
pub fn write_okres_error(kind: ElectionKind, stamp: &str, message: &str) -> String {
    let mut out = String::new();
    open_root(&mut out, kind, "VYSLEDKY_OKRES", "vysledky_okres", stamp);
    out.push_str("<CHYBA>");
    push_escaped(&mut out, message);
    out.push_str("</CHYBA>\n</VYSLEDKY_OKRES>\n");
    out
}

/// Senate `vysledky.xml`: per obvod, candidates with round 1 and 2 votes and turnout per round.
fn write_senat(def: &Definition, results: &ElectionResults, stamp: &str) -> String {
    let mut out = String::with_capacity(64 * 1024);
    open_root(&mut out, def.kind, "VYSLEDKY", "vysledky", stamp);
    for (oi, obvod) in def.obvody.iter().enumerate() {
        let r1 = &results.rounds[0].obvody[oi];
        let r2 = &results.rounds[1].obvody[oi];
        let done1 = r1.processed >= obvod.okrsky && obvod.okrsky > 0;
        let done2 = r2.processed >= obvod.okrsky && obvod.okrsky > 0;
        // Round-1 outcome once every precinct is in: an absolute majority wins, otherwise
        // the two best go to the run-off.
        let mut order: Vec<usize> = (0..obvod.candidates.len()).collect();
        order.sort_by(|&a, &b| r1.votes[b].cmp(&r1.votes[a]).then(a.cmp(&b)));
        let majority = order
            .first()
            .is_some_and(|&w| r1.votes[w] * 2 > r1.valid_votes);
        let mut order2: Vec<usize> = (0..obvod.candidates.len()).collect();
        order2.sort_by(|&a, &b| r2.votes[b].cmp(&r2.votes[a]).then(a.cmp(&b)));
        let _ = write!(out, "<OBVOD CISLO=\"{}\" NAZEV=\"", obvod.number);
        push_escaped(&mut out, &obvod.name);
        out.push_str("\">\n");
        for (ci, c) in obvod.candidates.iter().enumerate() {
            let _ = write!(out, "<KANDIDAT PORADOVE_CISLO=\"{}\" JMENO=\"", c.number);
            push_escaped(&mut out, &c.first_name);
            out.push_str("\" PRIJMENI=\"");
            push_escaped(&mut out, &c.surname);
            out.push_str("\" TITULPRED=\"");
            push_escaped(&mut out, &c.title_before);
            out.push_str("\" TITULZA=\"");
            push_escaped(&mut out, &c.title_after);
            let _ = write!(
                out,
                "\" HLASY_1KOLO=\"{}\" HLASY_PROC_1KOLO=\"{}\"",
                r1.votes[ci],
                percent(r1.votes[ci], r1.valid_votes)
            );
            if done1 {
                let rank = order.iter().position(|&x| x == ci).unwrap_or(usize::MAX);
                let verdict = match (majority, rank) {
                    (true, 0) => "ZVOLEN",
                    (false, 0 | 1) => "2.KOLO",
                    _ => "NEZVOLEN",
                };
                let _ = write!(out, " ZVOLEN_1KOLO=\"{verdict}\"");
            }
            if r2.processed > 0 && r2.votes[ci] > 0
                || (done2 && order2.iter().take(2).any(|&x| x == ci))
            {
                let _ = write!(
                    out,
                    " HLASY_2KOLO=\"{}\" HLASY_PROC_2KOLO=\"{}\"",
                    r2.votes[ci],
                    percent(r2.votes[ci], r2.valid_votes)
                );
                if done2 {
                    let verdict = if order2.first() == Some(&ci) {
                        "ZVOLEN"
                    } else {
                        "NEZVOLEN"
                    };
                    let _ = write!(out, " ZVOLEN_2KOLO=\"{verdict}\"");
                }
            }
            out.push_str("/>\n");
        }
        for (kolo, t) in [(1, r1), (2, r2)] {
            if kolo == 2 && t.processed == 0 {
                continue;
            }
            let _ = write!(out, "<UCAST KOLO=\"{kolo}\" ");
            let mut ucast = String::new();
            write_ucast(&mut ucast, obvod.okrsky, t);
            out.push_str(&ucast["<UCAST ".len()..]);
        }
        out.push_str("</OBVOD>\n");
    }
    out.push_str("</VYSLEDKY>\n");
    out
}
