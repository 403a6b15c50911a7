//! The batch manifest: every cut batch of an election's data set with its number, cut time,
//! precincts, rows and the SHA-256 of its document — `davky.xml` in the feed's vocabulary
//! and `davky.json` with the same names — so a client learns what exists from one small
//! document instead of probing numbers until `CHYBA` 10.

use crate::feeds::{Charset, Document, FeedSet, batch_path, declared_rows};
use crate::model::PrecinctKey;
use crate::results::{Batch, ElectionResults};
use crate::time::prague_local;
use crate::xml::{SOURCE_NOTE, push_escaped};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Arc;

/// Path of the XML manifest below `odata/`.
pub const MANIFEST_XML: &str = "davky.xml";
/// Path of the JSON manifest below `odata/`.
pub const MANIFEST_JSON: &str = "davky.json";

/// One batch as the manifest and the event stream describe it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct BatchEntry {
    /// `KOLO`: the round (Senate run-off: 2).
    pub kolo: u8,
    /// `PORADI_DAVKY`.
    pub poradi_davky: u32,
    /// `DATUM_CAS_DAVKY`: when it was cut (Prague local time, as `DATUM_CAS_GENEROVANI`).
    pub datum_cas_davky: String,
    /// `OKRSKY_DAVKA` as the batch's own header says.
    pub okrsky_davka: u32,
    /// `OKRSKY`: distinct precincts in the batch (a KV precinct in a city with boroughs has
    /// two rows, one per council).
    pub okrsky: u32,
    /// `ZAZNAMY`: `OKRSEK` rows in the batch.
    pub zaznamy: u32,
    /// `OKRSKY_ZPRAC`: precincts processed up to and including it.
    pub okrsky_zprac: u32,
    /// `SHA256` of the document's bytes as served (hex).
    pub sha256: String,
    /// `SOUBOR`: its path below `odata/`.
    pub soubor: String,
}

impl BatchEntry {
    /// The entry of `batch` of `round`, whose document is `doc`.
    pub fn new(round: u8, batch: &Batch, doc: &Document) -> Self {
        let precincts: HashSet<(u32, u32)> = batch
            .rows
            .iter()
            .map(|r| {
                let PrecinctKey { obec, okrsek, .. } = r.key();
                (obec, okrsek)
            })
            .collect();
        let cut = DateTime::from_timestamp(batch.cut.cut_at, 0).unwrap_or_default();
        Self {
            kolo: round,
            poradi_davky: batch.cut.number,
            datum_cas_davky: prague_local(cut),
            okrsky_davka: declared_rows(batch),
            okrsky: u32::try_from(precincts.len()).unwrap_or(u32::MAX),
            zaznamy: u32::try_from(batch.rows.len()).unwrap_or(u32::MAX),
            okrsky_zprac: batch.processed,
            sha256: doc.sha256().to_owned(),
            soubor: batch_path(round, Some(batch.cut.number)),
        }
    }

    fn write_xml(&self, out: &mut String) {
        let _ = write!(
            out,
            "<DAVKA KOLO=\"{}\" PORADI_DAVKY=\"{}\" DATUM_CAS_DAVKY=\"{}\" OKRSKY_DAVKA=\"{}\" \
             OKRSKY=\"{}\" ZAZNAMY=\"{}\" OKRSKY_ZPRAC=\"{}\" SHA256=\"{}\" SOUBOR=\"",
            self.kolo,
            self.poradi_davky,
            self.datum_cas_davky,
            self.okrsky_davka,
            self.okrsky,
            self.zaznamy,
            self.okrsky_zprac,
            self.sha256,
        );
        push_escaped(out, &self.soubor);
        out.push_str("\"/>\n");
    }
}

/// Every cut batch of `results` whose document is in `set`, by round and number.
pub fn entries(results: &ElectionResults, set: &FeedSet) -> Vec<BatchEntry> {
    let mut out = Vec::new();
    for (ri, round) in results.rounds.iter().enumerate() {
        let round_no = u8::try_from(ri + 1).unwrap_or(1);
        for batch in &round.batches {
            if let Some(doc) = set.batch(round_no, batch.cut.number) {
                out.push(BatchEntry::new(round_no, batch, doc));
            }
        }
    }
    out
}

/// The JSON manifest: `{"DATUMVOLEB": …, "DAVKY": [entries]}`.
pub fn write_json(results: &ElectionResults, entries: &[BatchEntry]) -> String {
    serde_json::json!({
        "DATUMVOLEB": results.def.election_date,
        "DAVKY": entries,
    })
    .to_string()
}

/// The XML manifest (no XSD of ČSÚ's describes it, so no `schemaLocation`).
pub fn write_xml(results: &ElectionResults, entries: &[BatchEntry], stamp: &str) -> String {
    let mut out = String::with_capacity(256 + entries.len() * 220);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{SOURCE_NOTE}\n<DAVKY xmlns=\"{}\" \
         DATUM_CAS_GENEROVANI=\"{stamp}\" DATUMVOLEB=\"{}\">\n",
        results.def.kind.namespace(),
        results.def.election_date,
    );
    for e in entries {
        e.write_xml(&mut out);
    }
    out.push_str("</DAVKY>\n");
    out
}

impl FeedSet {
    /// Puts both manifests of the set's batches in the set (in its encoding).
    pub(crate) fn put_manifest(&mut self, results: &ElectionResults, now: DateTime<Utc>) {
        let list = entries(results, self);
        let xml = Document::new(write_xml(results, &list, &prague_local(now)), now);
        let xml = match self.charset {
            Charset::Utf8 => xml,
            Charset::Latin2 => xml.to_latin2(),
        };
        self.docs.insert(MANIFEST_XML.into(), Arc::new(xml));
        self.docs.insert(
            MANIFEST_JSON.into(),
            Arc::new(Document::json(write_json(results, &list), now)),
        );
        self.manifest = list;
    }
}
