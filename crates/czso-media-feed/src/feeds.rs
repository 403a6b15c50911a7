//! Feed documents in the volby.cz vocabulary and the published set of them.

use crate::model::Candidate;
use crate::model::{Definition, ElectionKind};
use crate::results::{ElectionResults, Tally};
use crate::seats::Seats;
use crate::time::prague_local;
use crate::xml::{
    BatchHeader, open_root, percent, percent_truncated, push_escaped, push_number, push_percent,
    push_percent_truncated, write_batch, write_not_yet,
};
use chrono::{DateTime, Utc};
use opendata_http::http::HeaderValue;
use opendata_http::{Bytes, Entity};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

/// Character encoding of a served document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Charset {
    /// UTF-8, as ČSÚ's feeds from 2021 on.
    #[default]
    Utf8,
    /// ISO-8859-2, as ČSÚ's feeds up to 2018 (a rehearsal fault switches to it).
    Latin2,
}

impl Charset {
    /// The `Content-Type` of an XML document in this encoding.
    pub fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Utf8 => "application/xml; charset=utf-8",
            Self::Latin2 => "application/xml; charset=iso-8859-2",
        })
    }
}

/// One generated document: its bytes, validators and gzip form, answered per RFC 9110 by
/// the shared HTTP layer ([`Entity`]).
///
/// A regenerated document carries a fresh `DATUM_CAS_GENEROVANI`, but its entity tag is a
/// hash of everything else: a weak tag (`W/"…"`, RFC 9110 §8.8.1: the same content, other
/// bytes), so an unchanged result answers `304` to a conditional request while a fresh copy
/// tells the truth about when it was made. `Last-Modified` is when the content last changed.
/// Batch documents never change once cut: their tag is strong, over every byte.
#[derive(Debug)]
pub struct Document {
    /// The XML bytes, in `charset`.
    pub body: Bytes,
    /// Generation instant (`DATUM_CAS_GENEROVANI`).
    pub generated: DateTime<Utc>,
    /// When the content (everything but the generation time) last changed
    /// (`Last-Modified`).
    pub changed: DateTime<Utc>,
    /// The body's encoding.
    pub charset: Charset,
    /// The opaque part of the entity tag (hex).
    pub tag: String,
    /// Whether the tag is weak (the document is re-stamped when regenerated).
    pub weak: bool,
    /// XML, or JSON (the batch manifest's second form).
    pub media: Media,
    /// The body as an HTTP entity (the tag above, Last-Modified, `Content-Type` of the
    /// encoding, gzip made on first use).
    pub entity: Entity,
    sha256: OnceLock<String>,
}

/// What a document is written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Media {
    /// XML in the volby.cz vocabulary.
    #[default]
    Xml,
    /// JSON with the same names.
    Json,
}

/// What an index past a table reads: nothing counted. The tables are built from the
/// definition, so a checked definition never gets here; the lints ask for an answer anyway.
static NO_TALLY: Tally = Tally {
    processed: 0,
    registered: 0,
    envelopes_issued: 0,
    envelopes_returned: 0,
    valid_votes: 0,
    voter_cards: 0,
    votes: Vec::new(),
};

/// Tally `i` of a per-area table.
fn tally(tallies: &[Tally], i: usize) -> &Tally {
    tallies.get(i).unwrap_or(&NO_TALLY)
}

/// Count `i` of a per-area or per-party table (0 past its end).
fn count<T: Copy + Default>(values: &[T], i: usize) -> T {
    values.get(i).copied().unwrap_or_default()
}

/// Entry `i` of a table of index lists (empty past its end).
fn indices(lists: &[Vec<usize>], i: usize) -> &[usize] {
    lists.get(i).map_or(&[], Vec::as_slice)
}

/// The attribute that carries the generation time on every root element.
const GENERATED_ATTRIBUTE: &[u8] = b" DATUM_CAS_GENEROVANI=\"";

/// SHA-256 (first 128 bits, hex) of `body` without the value of its root's
/// `DATUM_CAS_GENEROVANI`.
pub fn content_tag(body: &[u8]) -> String {
    let head = body.get(..4096).unwrap_or(body);
    let value = head
        .windows(GENERATED_ATTRIBUTE.len())
        .position(|w| w == GENERATED_ATTRIBUTE)
        .map(|i| i + GENERATED_ATTRIBUTE.len())
        .and_then(|start| {
            let len = body.get(start..)?.iter().position(|&b| b == b'"')?;
            Some((start, start + len))
        });
    let mut hash = Sha256::new();
    match value {
        Some((start, end)) => {
            hash.update(body.get(..start).unwrap_or_default());
            hash.update(body.get(end..).unwrap_or_default());
        }
        None => hash.update(body),
    }
    hex::encode(hash.finalize().get(..16).unwrap_or_default())
}

impl Document {
    /// Wraps a generated (UTF-8) document that is regenerated and re-stamped: weak tag of
    /// its content without the generation time.
    pub fn new(body: String, generated: DateTime<Utc>) -> Self {
        Self::encoded(Bytes::from(body), generated, generated, Charset::Utf8, true)
    }

    /// Wraps a document that never changes once made (a cut batch): strong tag of its bytes.
    pub fn immutable(body: String, generated: DateTime<Utc>) -> Self {
        Self::encoded(
            Bytes::from(body),
            generated,
            generated,
            Charset::Utf8,
            false,
        )
    }

    /// Wraps a regenerated JSON document (UTF-8, never re-encoded).
    pub fn json(body: String, generated: DateTime<Utc>) -> Self {
        let mut doc = Self::encoded(Bytes::from(body), generated, generated, Charset::Utf8, true);
        doc.media = Media::Json;
        doc.entity = Entity::with_tag(
            doc.body.clone(),
            &doc.tag,
            true,
            std::time::SystemTime::from(generated),
            HeaderValue::from_static("application/json"),
        );
        doc
    }

    /// SHA-256 of the bytes served (hex), computed on first use.
    pub fn sha256(&self) -> &str {
        self.sha256
            .get_or_init(|| hex::encode(Sha256::digest(&self.body)))
    }

    fn encoded(
        body: Bytes,
        generated: DateTime<Utc>,
        changed: DateTime<Utc>,
        charset: Charset,
        weak: bool,
    ) -> Self {
        // A strong tag is the first half of the body's SHA-256, which the manifest and the
        // events publish whole: one hash of the body serves both.
        let sha256 = OnceLock::new();
        let tag = if weak {
            content_tag(&body)
        } else {
            let digest = Sha256::digest(&body);
            let _ = sha256.set(hex::encode(digest));
            hex::encode(digest.get(..16).unwrap_or_default())
        };
        Self {
            entity: Entity::with_tag(
                body.clone(),
                &tag,
                weak,
                std::time::SystemTime::from(changed),
                charset.content_type(),
            ),
            body,
            generated,
            changed,
            charset,
            tag,
            weak,
            media: Media::Xml,
            sha256,
        }
    }

    /// The entity tag as sent (`W/"…"` or `"…"`) for the identity representation.
    pub fn etag(&self) -> &str {
        self.entity.etag().to_str().unwrap_or_default()
    }

    /// Whether `other` has the same content (maybe another generation time).
    pub fn same_content(&self, other: &Self) -> bool {
        self.tag == other.tag && self.weak == other.weak && self.charset == other.charset
    }

    /// Takes the content's change time from `previous` when the content is the same.
    pub fn keep_changed_from(&mut self, previous: &Self) {
        if self.same_content(previous) && previous.changed < self.changed {
            self.changed = previous.changed;
            self.entity = Entity::with_tag(
                self.body.clone(),
                &self.tag,
                self.weak,
                std::time::SystemTime::from(self.changed),
                self.entity.content_type().clone(),
            );
        }
    }

    /// The same document in ISO-8859-2, declared so (characters outside it become character
    /// references); a document already in ISO-8859-2 is copied.
    pub fn to_latin2(&self) -> Self {
        if self.charset == Charset::Latin2 {
            return self.copy_as(self.body.clone(), Charset::Latin2);
        }
        let text = String::from_utf8_lossy(&self.body);
        let declared = text.replacen(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<?xml version=\"1.0\" encoding=\"ISO-8859-2\"?>",
            1,
        );
        let (bytes, _, _) = encoding_rs::ISO_8859_2.encode(&declared);
        self.copy_as(Bytes::from(bytes.into_owned()), Charset::Latin2)
    }

    fn copy_as(&self, body: Bytes, charset: Charset) -> Self {
        Self::encoded(body, self.generated, self.changed, charset, self.weak)
    }
}

#[cfg(test)]
mod tag_tests {
    use super::*;

    #[test]
    fn the_content_tag_ignores_the_generation_time_only() {
        let doc = |stamp: &str, votes: u32| {
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VYSLEDKY xmlns=\"http://www.volby.cz/ps/\" \
                 DATUM_CAS_GENEROVANI=\"{stamp}\">\n<CR><HODNOTY_STRANA HLASY=\"{votes}\"/></CR></VYSLEDKY>\n"
            )
        };
        let t = |stamp: &str, votes: u32| content_tag(doc(stamp, votes).as_bytes());
        assert_eq!(t("2025-10-04T14:05:00", 7), t("2025-10-04T14:06:00", 7));
        assert_ne!(t("2025-10-04T14:05:00", 7), t("2025-10-04T14:05:00", 8));
        let now = Utc::now();
        let a = Document::new(doc("2025-10-04T14:05:00", 7), now);
        let mut b = Document::new(
            doc("2025-10-04T14:06:00", 7),
            now + chrono::Duration::minutes(1),
        );
        assert!(a.etag().starts_with("W/\"") && a.etag() == b.etag());
        b.keep_changed_from(&a);
        assert_eq!(b.entity.last_modified(), a.entity.last_modified());
        let batch = Document::immutable(doc("2025-10-04T14:05:00", 7), now);
        assert!(batch.etag().starts_with('"'));
        assert_ne!(batch.tag, a.tag);
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
    /// [`ElectionResults::epoch`] this set was generated from.
    pub epoch: u64,
    /// The encoding of every document in the set.
    pub charset: Charset,
    /// The batches as the manifest lists them.
    pub manifest: Vec<crate::manifest::BatchEntry>,
    /// When it was generated.
    pub generated: Option<DateTime<Utc>>,
}

impl FeedSet {
    /// The latest batch of `round`, if any.
    pub fn latest_batch(&self, round: u8) -> Option<&Arc<Document>> {
        let map = self.batches.get(usize::from(round.max(1) - 1))?;
        map.keys().max().and_then(|n| map.get(n))
    }

    /// The number of the latest batch of `round`, if any.
    pub fn latest_number(&self, round: u8) -> Option<u32> {
        self.batches
            .get(usize::from(round.max(1) - 1))?
            .keys()
            .max()
            .copied()
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
    generate_in(results, previous, now, Charset::Utf8)
}

/// [`generate`] with every document in `charset`.
pub fn generate_in(
    results: &ElectionResults,
    previous: Option<&FeedSet>,
    now: DateTime<Utc>,
    charset: Charset,
) -> FeedSet {
    // Batch documents are reused only within one epoch (a reset starts the numbers again)
    // and in the same encoding.
    let reusable = previous.filter(|p| p.epoch == results.epoch && p.charset == charset);
    let mut set = generate_utf8(results, reusable, now);
    if charset == Charset::Latin2 {
        set.convert_to_latin2();
    }
    set.put_manifest(results, now);
    if let Some(previous) = previous {
        set.keep_change_times(previous);
    }
    set
}

impl FeedSet {
    /// Documents whose content did not change since `previous` keep its change time
    /// (`Last-Modified`); their tags are equal already.
    fn keep_change_times(&mut self, previous: &Self) {
        for (path, doc) in &mut self.docs {
            if let (Some(before), Some(doc)) = (previous.docs.get(path), Arc::get_mut(doc)) {
                doc.keep_changed_from(before);
            }
        }
        if let (Some(before), Some(doc)) = (&previous.not_yet, &mut self.not_yet)
            && let Some(doc) = Arc::get_mut(doc)
        {
            doc.keep_changed_from(before);
        }
    }
}

impl FeedSet {
    /// Converts every UTF-8 document to ISO-8859-2 (a document reached by two paths, such as
    /// the latest batch, stays one document).
    fn convert_to_latin2(&mut self) {
        let mut converted: HashMap<*const Document, Arc<Document>> = HashMap::new();
        let mut convert = |doc: &mut Arc<Document>| {
            if doc.charset == Charset::Latin2 || doc.media == Media::Json {
                return;
            }
            let key = Arc::as_ptr(doc);
            *doc = Arc::clone(
                converted
                    .entry(key)
                    .or_insert_with(|| Arc::new(doc.to_latin2())),
            );
        };
        self.docs.values_mut().for_each(&mut convert);
        for map in &mut self.batches {
            map.values_mut().for_each(&mut convert);
        }
        if let Some(doc) = &mut self.not_yet {
            convert(doc);
        }
        self.charset = Charset::Latin2;
    }
}

/// [`generate`] in UTF-8, reusing the batch documents of `previous` (already filtered).
fn generate_utf8(
    results: &ElectionResults,
    previous: Option<&FeedSet>,
    now: DateTime<Utc>,
) -> FeedSet {
    let def = &results.def;
    let stamp = prague_local(now);
    let mut set = FeedSet {
        version: results.version,
        epoch: results.epoch,
        generated: Some(now),
        not_yet: Some(Arc::new(Document::new(
            write_not_yet(def.kind, &stamp),
            now,
        ))),
        ..FeedSet::default()
    };
    match def.kind {
        ElectionKind::Ps | ElectionKind::Kz => {
            let seats = crate::seats::compute(results);
            let seats = seats.as_ref();
            set.docs.insert(
                "vysledky.xml".into(),
                Arc::new(Document::new(
                    write_vysledky(def, results, seats, &stamp),
                    now,
                )),
            );
            set.docs.insert(
                "vysledky_kandid.xml".into(),
                Arc::new(Document::new(write_kandid(def, results, &stamp), now)),
            );
            if def.kind == ElectionKind::Ps {
                set.docs.insert(
                    "vysledky_krajmesta.xml".into(),
                    Arc::new(Document::new(write_krajmesta(def, results, &stamp), now)),
                );
                set.docs.insert(
                    "vysledky_zahranici.xml".into(),
                    Arc::new(Document::new(write_zahranici(def, results, &stamp), now)),
                );
            }
            for (i, okres) in def.okresy.iter().enumerate() {
                if okres.nuts == ABROAD {
                    continue;
                }
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
        ElectionKind::Kv => {
            for council in &def.councils {
                set.docs.insert(
                    format!("zastup/vysledky_obec_{}.xml", council.code),
                    Arc::new(Document::new(write_council(results, council, &stamp), now)),
                );
            }
        }
    }
    set.put_batches(results, previous, now);
    set
}

impl FeedSet {
    /// Puts every cut batch of `results` in the set (reusing `previous`'s documents of the
    /// same numbers) and points the latest alias of each round at its last batch.
    fn put_batches(
        &mut self,
        results: &ElectionResults,
        previous: Option<&FeedSet>,
        now: DateTime<Utc>,
    ) {
        let def = &results.def;
        let total = def.okrsky_celkem();
        self.batches.clear();
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
                        rows: declared_rows(batch),
                        total,
                        processed: batch.processed,
                    };
                    let rows: Vec<_> = batch.rows.iter().map(AsRef::as_ref).collect();
                    let doc = Document::immutable(
                        write_batch(def.kind, &prague_local(cut_at), &header, &rows),
                        cut_at,
                    );
                    Arc::new(match self.charset {
                        Charset::Utf8 => doc,
                        Charset::Latin2 => doc.to_latin2(),
                    })
                });
                self.docs.insert(
                    batch_path(round_no, Some(batch.cut.number)),
                    Arc::clone(&doc),
                );
                map.insert(batch.cut.number, doc);
            }
            if let Some(latest) = round.batches.last().and_then(|b| map.get(&b.cut.number)) {
                self.docs
                    .insert(batch_path(round_no, None), Arc::clone(latest));
            }
            self.batches.push(map);
        }
    }
}

/// `OKRSKY_DAVKA` of a batch: the replayed source's own figure, else its rows.
pub fn declared_rows(batch: &crate::results::Batch) -> u32 {
    batch.cut.upstream.map_or_else(
        || u32::try_from(batch.rows.len()).unwrap_or(u32::MAX),
        |u| u.rows,
    )
}

/// `current` with the batches of `results` cut since it was generated: published at the
/// cut, without waiting for the other documents, which keep their own schedule (the set
/// keeps `current`'s version, so they are still regenerated when due). After a reset (another
/// epoch) everything is generated afresh.
pub fn with_new_batches(
    results: &ElectionResults,
    current: &FeedSet,
    now: DateTime<Utc>,
) -> FeedSet {
    if current.epoch != results.epoch || current.generated.is_none() {
        return generate_in(results, Some(current), now, current.charset);
    }
    let mut set = FeedSet {
        docs: current.docs.clone(),
        batches: Vec::new(),
        not_yet: current.not_yet.clone(),
        version: current.version,
        epoch: current.epoch,
        charset: current.charset,
        generated: current.generated,
        manifest: Vec::new(),
    };
    set.put_batches(results, Some(current), now);
    set.put_manifest(results, now);
    set.keep_change_times(current);
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

/// The okres code ČSÚ gives voters abroad (the special precincts at embassies).
pub const ABROAD: &str = "CZZZZZ";

/// `HODNOTY_STRANA` with `MANDATY` and `PROC_MANDATU` (of `of_seats`) for a list with seats.
fn write_hodnoty(out: &mut String, votes: u64, valid: u64, seats: u32, of_seats: u32) {
    out.push_str("<HODNOTY_STRANA HLASY=\"");
    push_number(out, votes);
    out.push_str("\" PROC_HLASU=\"");
    push_percent_truncated(out, votes, valid);
    out.push('"');
    if seats > 0 {
        // PROC_MANDATU rounds half up (ČSÚ's files: 24 of 200 → "12.00", 1 of 23 → "4.35").
        out.push_str(" MANDATY=\"");
        push_number(out, seats);
        out.push_str("\" PROC_MANDATU=\"");
        push_percent(out, u64::from(seats), u64::from(of_seats));
        out.push('"');
    }
    out.push_str("/>\n");
}

/// One elected candidate: `POSLANEC` (Chamber, with `CIS_KRAJ`) or `ZASTUPITEL` (regional).
fn write_elected(
    out: &mut String,
    kind: ElectionKind,
    kraj: u32,
    c: &Candidate,
    preferential: u64,
    list_votes: u64,
) {
    if kind == ElectionKind::Ps {
        let _ = write!(
            out,
            "<POSLANEC CIS_KRAJ=\"{kraj}\" PORADOVE_CISLO=\"{}\" JMENO=\"",
            c.number
        );
    } else {
        let _ = write!(out, "<ZASTUPITEL PORADOVE_CISLO=\"{}\" JMENO=\"", c.number);
    }
    push_escaped(out, &c.first_name);
    out.push_str("\" PRIJMENI=\"");
    push_escaped(out, &c.surname);
    out.push_str("\" TITULPRED=\"");
    push_escaped(out, &c.title_before);
    out.push_str("\" TITULZA=\"");
    push_escaped(out, &c.title_after);
    // The share of the list's votes in the kraj, truncated like ČSÚ's (15,095 of 96,706 →
    // "15.60"); the preference rule itself compares the integers.
    let _ = writeln!(
        out,
        "\" PREDNOSTNI_HLASY=\"{preferential}\" PREDNOSTNI_HLASY_PROC=\"{}\"/>",
        percent_truncated(preferential, list_votes)
    );
}

/// The elected candidates of party `j` in kraj `k`, if seats and candidate lists are known.
fn elected<'a>(
    def: &'a Definition,
    results: &'a ElectionResults,
    seats: Option<&'a Seats>,
    k: usize,
    j: usize,
) -> impl Iterator<Item = (&'a Candidate, u64)> + 'a {
    let li = results
        .index
        .list
        .get(&(
            def.kraje.get(k).map_or(0, |kraj| kraj.number),
            def.parties.get(j).map_or(0, |party| party.number),
        ))
        .copied();
    let positions = seats.and_then(|s| s.elected.get(&(k, j)));
    positions.into_iter().flatten().filter_map(move |&pos| {
        let li = li?;
        let c = def.lists.get(li)?.candidates.get(pos)?;
        let prefs = results
            .rounds
            .first()
            .and_then(|round| round.preferences.get(li))
            .map_or(0, |prefs| count(prefs, pos));
        Some((c, prefs))
    })
}

fn write_strana_open(out: &mut String, def: &Definition, j: usize) {
    let Some(p) = def.parties.get(j) else {
        return;
    };
    let _ = write!(out, "<STRANA KSTRANA=\"{}\" NAZ_STR=\"", p.number);
    push_escaped(out, &p.name);
    out.push('"');
    if def.emit_vstrana
        && let Some(v) = p.vstrana
    {
        let _ = write!(out, " VSTRANA=\"{v}\"");
    }
    out.push_str(">\n");
}

/// The region element and its attributes: PS `KRAJ`, KZ `KRZAST`.
fn kraj_names(kind: ElectionKind) -> (&'static str, &'static str, &'static str) {
    if kind == ElectionKind::Kz {
        ("KRZAST", "CIS_KRZAST", "NAZ_KRZAST")
    } else {
        ("KRAJ", "CIS_KRAJ", "NAZ_KRAJ")
    }
}

/// `vysledky.xml` for PS (`KRAJ`, `POSLANEC`) and KZ (`KRZAST`, `ZASTUPITEL`), with seats
/// and elected candidates as the tallies stand (provisional while counting).
///
/// KZ follows ČSÚ's regional files (2008–2016): `CR` holds only `UCAST`, the lists differ
/// by kraj.
fn write_vysledky(
    def: &Definition,
    results: &ElectionResults,
    seats: Option<&Seats>,
    stamp: &str,
) -> String {
    let Some(round) = results.rounds.first() else {
        return String::new();
    };
    let mut out = String::with_capacity(160 * 1024);
    open_root(&mut out, def.kind, "VYSLEDKY", "vysledky", stamp);
    let (el, num, name) = kraj_names(def.kind);
    let index = &results.index.kraj_total;
    for (k, kraj) in def.kraje.iter().enumerate() {
        let _ = write!(out, "<{el} {num}=\"{}\" {name}=\"", kraj.number);
        push_escaped(&mut out, &kraj.name);
        out.push('"');
        let region_seats = seats.map_or(0, |s| count(&s.region_seats, k));
        if region_seats > 0 {
            let _ = write!(out, " POCMANDATU=\"{region_seats}\"");
        }
        out.push_str(">\n");
        let t = tally(&round.kraje, k);
        write_ucast(&mut out, count(index, k), t);
        // Only the lists that stand in the region, as ČSÚ's files have them.
        for &j in indices(&results.index.stands, k) {
            write_strana_open(&mut out, def, j);
            let s = seats.map_or(0, |s| s.seats.get(k).map_or(0, |row| count(row, j)));
            write_hodnoty(&mut out, count(&t.votes, j), t.valid_votes, s, region_seats);
            for (c, prefs) in elected(def, results, seats, k, j) {
                write_elected(
                    &mut out,
                    def.kind,
                    kraj.number,
                    c,
                    prefs,
                    count(&t.votes, j),
                );
            }
            out.push_str("</STRANA>\n");
        }
        let _ = writeln!(out, "</{el}>");
    }
    out.push_str("<CR>\n");
    write_ucast(&mut out, def.okrsky_celkem(), &round.cr);
    if def.kind == ElectionKind::Ps {
        let total_seats = seats.map_or(0, |s| s.region_seats.iter().sum());
        for &j in &results.index.stands_anywhere {
            write_strana_open(&mut out, def, j);
            let s = seats.map_or(0, |s| count(&s.totals, j));
            write_hodnoty(
                &mut out,
                count(&round.cr.votes, j),
                round.cr.valid_votes,
                s,
                total_seats,
            );
            // All the list's MPs, by ballot position, then region (ČSÚ's files list
            // position 1 of every region first).
            let mut all: Vec<(u32, u32, &Candidate, u64, u64)> = Vec::new();
            for (k, kraj) in def.kraje.iter().enumerate() {
                for (c, prefs) in elected(def, results, seats, k, j) {
                    all.push((
                        c.number,
                        kraj.number,
                        c,
                        prefs,
                        count(&tally(&round.kraje, k).votes, j),
                    ));
                }
            }
            all.sort_by_key(|e| (e.0, e.1));
            for (_, kraj, c, prefs, list_votes) in all {
                write_elected(&mut out, def.kind, kraj, c, prefs, list_votes);
            }
            out.push_str("</STRANA>\n");
        }
    }
    out.push_str("</CR>\n</VYSLEDKY>\n");
    out
}

/// `vysledky_kandid.xml`: per kraj, the votes of every list (`STRANY/STRANA @POC_HLASU`)
/// and the preferential votes of every candidate (`KANDIDATI/KANDIDAT`), as in ČSÚ's PS
/// file (ps2013test). For KZ the same shape under `KRZAST` (no real KZ file was available).
fn write_kandid(def: &Definition, results: &ElectionResults, stamp: &str) -> String {
    let Some(round) = results.rounds.first() else {
        return String::new();
    };
    let mut out = String::with_capacity(256 * 1024);
    open_root(
        &mut out,
        def.kind,
        "VYSLEDKY_KANDID",
        "vysledky_kandid",
        stamp,
    );
    let (el, num, name) = kraj_names(def.kind);
    for (k, kraj) in def.kraje.iter().enumerate() {
        let _ = write!(out, "<{el} {num}=\"{}\" {name}=\"", kraj.number);
        push_escaped(&mut out, &kraj.name);
        out.push_str("\">\n");
        write_ucast(
            &mut out,
            count(&results.index.kraj_total, k),
            tally(&round.kraje, k),
        );
        out.push_str("<STRANY>\n");
        for &j in indices(&results.index.stands, k) {
            let Some(p) = def.parties.get(j) else {
                continue;
            };
            let _ = writeln!(
                out,
                "<STRANA KSTRANA=\"{}\" POC_HLASU=\"{}\"/>",
                p.number,
                count(&tally(&round.kraje, k).votes, j)
            );
        }
        out.push_str("</STRANY>\n<KANDIDATI>\n");
        for p in &def.parties {
            let Some(&li) = results.index.list.get(&(kraj.number, p.number)) else {
                continue;
            };
            let (Some(list), Some(prefs)) = (def.lists.get(li), round.preferences.get(li)) else {
                continue;
            };
            for (c, v) in list.candidates.iter().zip(prefs) {
                if c.withdrawn {
                    continue;
                }
                let _ = writeln!(
                    out,
                    "<KANDIDAT KSTRANA=\"{}\" PORCISLO=\"{}\" HLASY=\"{v}\"/>",
                    p.number, c.number
                );
            }
        }
        let _ = writeln!(out, "</KANDIDATI>\n</{el}>");
    }
    out.push_str("</VYSLEDKY_KANDID>\n");
    out
}

/// `vysledky_krajmesta.xml`: per kraj its capital (`OBEC`; a city with boroughs adds them
/// up) and the kraj total (`CELKEM`), as in ČSÚ's PS file (ps2013test).
fn write_krajmesta(def: &Definition, results: &ElectionResults, stamp: &str) -> String {
    let Some(round) = results.rounds.first() else {
        return String::new();
    };
    let mut out = String::with_capacity(64 * 1024);
    open_root(
        &mut out,
        def.kind,
        "VYSLEDKY_KRAJMESTA",
        "vysledky_krajmesta",
        stamp,
    );
    for (k, kraj) in def.kraje.iter().enumerate() {
        let _ = write!(out, "<KRAJ CIS_KRAJ=\"{}\" NAZ_KRAJ=\"", kraj.number);
        push_escaped(&mut out, &kraj.name);
        out.push_str("\">\n");
        if let Some(place) = kraj.capital.and_then(|c| results.index.obec.get(&c))
            && let Some(obec) = def.obce.get(place.obec)
        {
            let _ = write!(out, "<OBEC CIS_OBEC=\"{}\" NAZ_OBEC=\"", obec.code);
            push_escaped(&mut out, &obec.name);
            out.push_str("\">\n");
            write_ucast(
                &mut out,
                count(&results.index.obec_total, place.obec),
                tally(&round.obce, place.obec),
            );
            write_hlasy_strana(
                &mut out,
                def,
                indices(&results.index.stands, k),
                tally(&round.obce, place.obec),
            );
            out.push_str("</OBEC>\n");
        }
        out.push_str("<CELKEM>\n");
        write_ucast(
            &mut out,
            count(&results.index.kraj_total, k),
            tally(&round.kraje, k),
        );
        write_hlasy_strana(
            &mut out,
            def,
            indices(&results.index.stands, k),
            tally(&round.kraje, k),
        );
        out.push_str("</CELKEM>\n</KRAJ>\n");
    }
    out.push_str("</VYSLEDKY_KRAJMESTA>\n");
    out
}

/// `vysledky_zahranici.xml`: the special precincts abroad (okres `CZZZZZ`, counted in the
/// kraj the State Electoral Commission drew for them), per state (`STAT`, the okres's
/// "obce") and in total (`CELKEM`). ČSÚ's XSD for this document was not available; the
/// element names follow what public clients read (`VYSLEDKY_ZAHRANICI` → `…/CELKEM/UCAST`,
/// `//STAT` with `UCAST` and `HLASY_STRANA`).
fn write_zahranici(def: &Definition, results: &ElectionResults, stamp: &str) -> String {
    let Some(round) = results.rounds.first() else {
        return String::new();
    };
    let mut out = String::with_capacity(16 * 1024);
    open_root(
        &mut out,
        def.kind,
        "VYSLEDKY_ZAHRANICI",
        "vysledky_zahranici",
        stamp,
    );
    out.push_str("<ZAHRANICI>\n");
    let okres = def.okresy.iter().position(|o| o.nuts == ABROAD);
    // Precincts abroad count in the kraj drawn for them: its lists.
    let standing: &[usize] = okres
        .and_then(|oi| {
            def.kraje
                .iter()
                .position(|k| def.okresy.get(oi).is_some_and(|o| o.kraj == k.number))
        })
        .map_or(&results.index.stands_anywhere, |k| {
            indices(&results.index.stands, k)
        });
    if let Some(oi) = okres {
        for &bi in indices(&results.index.okres_obce, oi) {
            out.push_str("<STAT NAZ_STAT=\"");
            push_escaped(&mut out, def.obce.get(bi).map_or("", |o| o.name.as_str()));
            out.push_str("\">\n");
            write_ucast(
                &mut out,
                count(&results.index.obec_total, bi),
                tally(&round.obce, bi),
            );
            write_hlasy_strana(&mut out, def, standing, tally(&round.obce, bi));
            out.push_str("</STAT>\n");
        }
    }
    out.push_str("<CELKEM>\n");
    match okres {
        Some(oi) => {
            write_ucast(
                &mut out,
                count(&results.index.okres_total, oi),
                tally(&round.okresy, oi),
            );
            write_hlasy_strana(&mut out, def, standing, tally(&round.okresy, oi));
        }
        None => {
            write_ucast(&mut out, 0, &NO_TALLY);
            write_hlasy_strana(&mut out, def, standing, &NO_TALLY);
        }
    }
    out.push_str("</CELKEM>\n</ZAHRANICI>\n</VYSLEDKY_ZAHRANICI>\n");
    out
}

/// `HLASY_STRANA` of the `standing` parties; none for a unit with no precinct counted yet,
/// as ČSÚ omits them (its PS 2013 test feed, `vysledky_okres` for CZ0312 at 11 %: 38 of 46
/// municipalities with `UCAST` only).
fn write_hlasy_strana(out: &mut String, def: &Definition, standing: &[usize], t: &Tally) {
    if t.processed == 0 {
        return;
    }
    for &i in standing {
        let Some(party) = def.parties.get(i) else {
            continue;
        };
        out.push_str("<HLASY_STRANA KSTRANA=\"");
        push_number(out, party.number);
        out.push_str("\" HLASY=\"");
        push_number(out, count(&t.votes, i));
        out.push_str("\" PROC_HLASU=\"");
        push_percent_truncated(out, count(&t.votes, i), t.valid_votes);
        out.push_str("\"/>\n");
    }
}

/// `okresy/vysledky_okres_{NUTS}.xml`: the district and its municipalities.
fn write_okres(def: &Definition, results: &ElectionResults, oi: usize, stamp: &str) -> String {
    let Some(round) = results.rounds.first() else {
        return String::new();
    };
    let Some(okres) = def.okresy.get(oi) else {
        return String::new();
    };
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
    // The lists of the okres's kraj.
    let standing: &[usize] = def
        .kraje
        .iter()
        .position(|k| k.number == okres.kraj)
        .map_or(&results.index.stands_anywhere, |k| {
            indices(&results.index.stands, k)
        });
    write_ucast(
        &mut out,
        count(&results.index.okres_total, oi),
        tally(&round.okresy, oi),
    );
    write_hlasy_strana(&mut out, def, standing, tally(&round.okresy, oi));
    out.push_str("</OKRES>\n");
    for &bi in indices(&results.index.okres_obce, oi) {
        let Some(obec) = def.obce.get(bi) else {
            continue;
        };
        let _ = write!(out, "<OBEC CIS_OBEC=\"{}\" NAZ_OBEC=\"", obec.code);
        push_escaped(&mut out, &obec.name);
        let _ = writeln!(out, "\" TYP_OBEC=\"{}\">", obec.typ.as_str());
        write_ucast(
            &mut out,
            count(&results.index.obec_total, bi),
            tally(&round.obce, bi),
        );
        write_hlasy_strana(&mut out, def, standing, tally(&round.obce, bi));
        out.push_str("</OBEC>\n");
    }
    out.push_str("</VYSLEDKY_OKRES>\n");
    out
}

/// One council's document (`zastup/vysledky_obec_{KODZASTUP}.xml`, legacy
/// `vysledky_obec?cislo_obce=`), in the vocabulary public clients read from ČSÚ's KV files
/// (2018–2026): `OBEC @KODZASTUP @NAZEVZAST @OZNAC_TYPU @VOLENO_ZASTUP @POCET_OBVODU
/// @JE_SPOCTENO` → `VYSLEDEK` (per election district, `@CIS_OBVODU` when there are several)
/// → `UCAST` and `VOLEBNI_STRANA @POR_STR_HLAS_LIST @VSTRANA @NAZEV_STRANY @HLASY
/// @HLASY_PROC @KANDIDATU_POCET @ZASTUPITELE_POCET @ZASTUPITELE_PROC` → `ZASTUPITEL` (the
/// elected in the order they won their seats, as in ČSÚ's KV 2022 documents: Brno's ČSSD
/// lists candidates 1, 6, 3). `NAHRADNIK @PORADI` (the substitutes in the order they would
/// take a seat) is ours: ČSÚ lists substitutes on its web pages; its KV XSD was not available.
/// Seats are provisional until every precinct row of the council is in (`JE_SPOCTENO`
/// `false`, then `true` as ČSÚ writes it).
fn write_council(
    results: &ElectionResults,
    council: &crate::model::Council,
    stamp: &str,
) -> String {
    let def = &results.def;
    let Some(round) = results.rounds.first() else {
        return String::new();
    };
    let mut out = String::with_capacity(8 * 1024);
    open_root(&mut out, def.kind, "VYSLEDKY_OBEC", "vysledky_obec", stamp);
    let seats_total: u32 = council.districts.iter().map(|d| d.seats).sum();
    let empty = crate::results::CouncilTally::default();
    let tallies: Vec<&crate::results::CouncilTally> = council
        .districts
        .iter()
        .map(|d| {
            round
                .councils
                .get(&(council.code, d.number))
                .unwrap_or(&empty)
        })
        .collect();
    let complete = council
        .districts
        .iter()
        .zip(&tallies)
        .all(|(d, t)| t.processed >= d.okrsky);
    let _ = write!(out, "<OBEC KODZASTUP=\"{}\" NAZEVZAST=\"", council.code);
    push_escaped(&mut out, &council.name);
    let _ = writeln!(
        out,
        "\" OZNAC_TYPU=\"{}\" VOLENO_ZASTUP=\"{seats_total}\" POCET_OBVODU=\"{}\" JE_SPOCTENO=\"{complete}\">",
        council.typ,
        council.districts.len(),
    );
    for (d, t) in council.districts.iter().zip(&tallies) {
        if council.districts.len() > 1 {
            let _ = writeln!(out, "<VYSLEDEK CIS_OBVODU=\"{}\">", d.number);
        } else {
            out.push_str("<VYSLEDEK>\n");
        }
        let _ = writeln!(
            out,
            "<UCAST OKRSKY_CELKEM=\"{}\" OKRSKY_ZPRAC=\"{}\" OKRSKY_ZPRAC_PROC=\"{}\" ZAPSANI_VOLICI=\"{}\" VYDANE_OBALKY=\"{}\" UCAST_PROC=\"{}\" ODEVZDANE_OBALKY=\"{}\" PLATNE_HLASY=\"{}\"/>",
            d.okrsky,
            t.processed,
            percent(u64::from(t.processed), u64::from(d.okrsky)),
            t.registered,
            t.envelopes_issued,
            percent(t.envelopes_issued, t.registered),
            t.envelopes_returned,
            t.valid_votes
        );
        let seats = crate::seats::council(council, d, t);
        for l in council.lists.iter().filter(|l| l.district == d.number) {
            let votes = t.lists.get(&l.number).copied().unwrap_or(0);
            let won = seats
                .as_ref()
                .and_then(|s| s.seats.get(&l.number))
                .copied()
                .unwrap_or(0);
            let standing = l.candidates.iter().filter(|c| !c.withdrawn).count();
            let _ = write!(out, "<VOLEBNI_STRANA POR_STR_HLAS_LIST=\"{}\"", l.number);
            if let Some(v) = l.vstrana {
                let _ = write!(out, " VSTRANA=\"{v}\"");
            }
            out.push_str(" NAZEV_STRANY=\"");
            push_escaped(&mut out, &l.name);
            let _ = writeln!(
                out,
                "\" HLASY=\"{votes}\" HLASY_PROC=\"{}\" KANDIDATU_POCET=\"{standing}\" ZASTUPITELE_POCET=\"{won}\" ZASTUPITELE_PROC=\"{}\">",
                percent_truncated(votes, t.valid_votes),
                percent(u64::from(won), u64::from(d.seats))
            );
            let person = |out: &mut String, el: &str, extra: &str, pos: usize| {
                let Some(c) = l.candidates.get(pos) else {
                    return;
                };
                let v = t
                    .candidates
                    .get(&(l.number, c.number))
                    .copied()
                    .unwrap_or(0);
                let _ = write!(out, "<{el}{extra} PORADOVE_CISLO=\"{}\" JMENO=\"", c.number);
                push_escaped(out, &c.first_name);
                out.push_str("\" PRIJMENI=\"");
                push_escaped(out, &c.surname);
                out.push_str("\" TITULPRED=\"");
                push_escaped(out, &c.title_before);
                out.push_str("\" TITULZA=\"");
                push_escaped(out, &c.title_after);
                let _ = writeln!(
                    out,
                    "\" HLASY=\"{v}\" HLASY_PROC=\"{}\"/>",
                    percent_truncated(v, votes)
                );
            };
            if let Some((elected, substitutes)) =
                seats.as_ref().and_then(|s| s.members.get(&l.number))
            {
                for &pos in elected {
                    person(&mut out, "ZASTUPITEL", "", pos);
                }
                for (i, &pos) in substitutes.iter().enumerate() {
                    person(
                        &mut out,
                        "NAHRADNIK",
                        &format!(" PORADI=\"{}\"", i + 1),
                        pos,
                    );
                }
            }
            out.push_str("</VOLEBNI_STRANA>\n");
        }
        out.push_str("</VYSLEDEK>\n");
    }
    out.push_str("</OBEC>\n</VYSLEDKY_OBEC>\n");
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
        let obvod_of = |ri: usize| {
            results
                .rounds
                .get(ri)
                .map_or(&NO_TALLY, |r| tally(&r.obvody, oi))
        };
        let (r1, r2) = (obvod_of(0), obvod_of(1));
        let done1 = r1.processed >= obvod.okrsky && obvod.okrsky > 0;
        let done2 = r2.processed >= obvod.okrsky && obvod.okrsky > 0;
        // Round one once every precinct is in (zákon 247/1995 Sb., § 75–76): more than half
        // of the valid votes elects, otherwise the candidates with the highest and second
        // highest votes go to the run-off (more than two on equal votes); round two's winner
        // has the most votes. A tie the law leaves to a lot is resolved by ballot order here.
        // A candidate marked withdrawn never takes the seat: the next by votes takes his place
        // in the run-off (§ 77 as restated by the press; see `round_one_standing`).
        use volby_mandaty::senate::{RoundOne, round_one_standing, round_two};
        let first = if done1 {
            let standing: Vec<bool> = obvod.candidates.iter().map(|c| !c.withdrawn).collect();
            round_one_standing(&r1.votes, r1.valid_votes, &standing)
                .ok()
                .map(|r| r.outcome)
        } else {
            None
        };
        let runoff: Option<&[usize]> = match &first {
            Some(RoundOne::RunOff(c)) => Some(c),
            _ => None,
        };
        let winner2 = runoff.filter(|_| done2).and_then(|c| {
            let votes: Vec<u64> = c.iter().map(|&i| count(&r2.votes, i)).collect();
            round_two(&votes).ok().and_then(|(w, _)| c.get(w).copied())
        });
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
            // Candidates' shares truncated, as in ČSÚ's own Senate documents (2026: Cheb,
            // 301 of 852 → "35.32"); only the `UCAST` figures are rounded.
            let _ = write!(
                out,
                "\" HLASY_1KOLO=\"{}\" HLASY_PROC_1KOLO=\"{}\"",
                count(&r1.votes, ci),
                percent_truncated(count(&r1.votes, ci), r1.valid_votes)
            );
            if let Some(outcome) = &first {
                let verdict = match outcome {
                    RoundOne::Elected(w) if *w == ci => "ZVOLEN",
                    RoundOne::RunOff(c) if c.contains(&ci) => "2.KOLO",
                    _ => "NEZVOLEN",
                };
                let _ = write!(out, " ZVOLEN_1KOLO=\"{verdict}\"");
            }
            // Round two: the run-off candidates as soon as round one has sent them there (0
            // until its precincts come in, as ČSÚ's 2026 document has Karviná's pair).
            let in_runoff = match runoff {
                Some(c) => c.contains(&ci),
                None => r2.processed > 0 && count(&r2.votes, ci) > 0,
            };
            if in_runoff {
                let _ = write!(
                    out,
                    " HLASY_2KOLO=\"{}\" HLASY_PROC_2KOLO=\"{}\"",
                    count(&r2.votes, ci),
                    percent_truncated(count(&r2.votes, ci), r2.valid_votes)
                );
                if let Some(w) = winner2 {
                    let verdict = if w == ci { "ZVOLEN" } else { "NEZVOLEN" };
                    let _ = write!(out, " ZVOLEN_2KOLO=\"{verdict}\"");
                }
            }
            out.push_str("/>\n");
        }
        for (kolo, t) in [(1, r1), (2, r2)] {
            if kolo == 2 && t.processed == 0 {
                continue;
            }
            write_senat_ucast(&mut out, kolo, obvod.okrsky, t);
        }
        out.push_str("</OBVOD>\n");
    }
    // `CELKEM`: the districts added up, per round (ČSÚ's 2026 document has it after the last
    // `OBVOD`, round one: its `OKRSKY_CELKEM` 5,021 is every district's precincts). Round
    // two adds up the districts holding a run-off (our reading; no round-two document read).
    out.push_str("<CELKEM>\n");
    for kolo in [1u8, 2] {
        let Some(round) = results.rounds.get(usize::from(kolo - 1)) else {
            continue;
        };
        let mut total = Tally::default();
        let mut precincts = 0u32;
        for (oi, obvod) in def.obvody.iter().enumerate() {
            let t = tally(&round.obvody, oi);
            if kolo == 2 && t.processed == 0 {
                continue;
            }
            precincts = precincts.saturating_add(obvod.okrsky);
            total.processed = total.processed.saturating_add(t.processed);
            total.registered = total.registered.saturating_add(t.registered);
            total.envelopes_issued = total.envelopes_issued.saturating_add(t.envelopes_issued);
            total.envelopes_returned = total
                .envelopes_returned
                .saturating_add(t.envelopes_returned);
            total.valid_votes = total.valid_votes.saturating_add(t.valid_votes);
            total.voter_cards = total.voter_cards.saturating_add(t.voter_cards);
        }
        if kolo == 2 && total.processed == 0 {
            continue;
        }
        write_senat_ucast(&mut out, kolo, precincts, &total);
    }
    out.push_str("</CELKEM>\n</VYSLEDKY>\n");
    out
}

/// A Senate `UCAST` as ČSÚ writes it (2026): `KOLO` first and `VOLICSKE_PRUKAZY` after
/// `UCAST_PROC`; the percentages rounded like every `UCAST`.
fn write_senat_ucast(out: &mut String, kolo: u8, total: u32, t: &Tally) {
    let _ = writeln!(
        out,
        "<UCAST KOLO=\"{kolo}\" OKRSKY_CELKEM=\"{total}\" OKRSKY_ZPRAC=\"{}\" OKRSKY_ZPRAC_PROC=\"{}\" \
ZAPSANI_VOLICI=\"{}\" VYDANE_OBALKY=\"{}\" UCAST_PROC=\"{}\" VOLICSKE_PRUKAZY=\"{}\" ODEVZDANE_OBALKY=\"{}\" \
PLATNE_HLASY=\"{}\" PLATNE_HLASY_PROC=\"{}\"/>",
        t.processed,
        percent(u64::from(t.processed), u64::from(total)),
        t.registered,
        t.envelopes_issued,
        percent(t.envelopes_issued, t.registered),
        t.voter_cards,
        t.envelopes_returned,
        t.valid_votes,
        percent(t.valid_votes, t.envelopes_returned),
    );
}
