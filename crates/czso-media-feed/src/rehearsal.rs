//! Rehearsals: batch files replayed into the test data set over a compressed timeline, with
//! faults a newsroom's client must survive, so ČSÚ's test phase doubles as a client
//! conformance kit.
//!
//! A replay is planned first ([`plan`]: a list of [`Step`]s, pure and repeatable), then run
//! against a server's admin endpoint ([`run`]). Data faults rewrite the documents that are
//! ingested; serving faults are switched on through the admin endpoint at their step.

use crate::client::AdminClient;
use crate::error::{Error, Result};
use crate::feeds::Charset;
use crate::model::{PrecinctKey, PrecinctResult};
use crate::store::Channel;
use crate::time::parse_prague;
use crate::xml::{ParsedBatch, parse_batch, write_batch};
use std::collections::HashSet;
use std::time::Duration;

/// A fault a rehearsal can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Before the first batch, batch URLs answer 404 with `<CHYBA KOD_CHYBY="10"/>` (the
    /// legacy form 200 with the same) for a while.
    NotYet,
    /// Precincts of an earlier batch are re-sent, corrected, with `OPAKOVANE="1"` and a
    /// higher `PORADI_ZPRAC`.
    Resend,
    /// Precincts of a batch come without their preferential votes (`KANDIDAT`); the next
    /// batch re-sends them with the votes, `OPAKOVANE="1"` and a higher `PORADI_ZPRAC`.
    LateCandidates,
    /// From the middle of the replay on, documents are served in ISO-8859-2 (declared so,
    /// `Content-Type: …; charset=iso-8859-2`), as ČSÚ's were up to 2018.
    Encoding,
    /// After a batch is cut, every request answers 500 for a while.
    ServerError,
}

impl Fault {
    /// Every fault, in the order they strike.
    pub const ALL: [Self; 5] = [
        Self::NotYet,
        Self::Resend,
        Self::LateCandidates,
        Self::Encoding,
        Self::ServerError,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::NotYet => "not-yet",
            Self::Resend => "resend",
            Self::LateCandidates => "late-candidates",
            Self::Encoding => "encoding",
            Self::ServerError => "server-error",
        }
    }

    /// Parses a comma-separated list of names, or `all`.
    pub fn parse_list(text: &str) -> Result<Vec<Self>> {
        let mut out = Vec::new();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "all" {
                out.extend(Self::ALL);
                continue;
            }
            let fault = Self::ALL
                .into_iter()
                .find(|f| f.name() == name)
                .ok_or_else(|| {
                    Error::syntax(
                        name,
                        format!(
                            "unknown fault; known: all, {}",
                            Self::ALL.map(Self::name).join(", ")
                        ),
                    )
                })?;
            out.push(fault);
        }
        out.sort_by_key(|f| Self::ALL.iter().position(|x| x == f));
        out.dedup();
        Ok(out)
    }
}

/// What one step of a replay does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Wait this long (already compressed by the speed).
    Wait(Duration),
    /// Serve the test data set in this encoding from now on.
    Charset(Charset),
    /// Answer every test-data request with 500 for this long.
    ServerError(Duration),
    /// Ingest a document and cut its batch (keeping its number and time).
    Ingest {
        /// The file it came from.
        source: String,
        /// The document as sent (the file's bytes, or rewritten by a fault).
        body: Vec<u8>,
    },
}

/// One step of a replay, with what a client should notice.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// What is done.
    pub action: Action,
    /// The fault this step injects, if any.
    pub fault: Option<Fault>,
    /// A line for the operator.
    pub note: String,
}

/// A batch file to replay.
#[derive(Debug, Clone)]
pub struct Source {
    /// File name (reported, and stored as the ingest's source).
    pub name: String,
    /// Its bytes.
    pub body: Vec<u8>,
}

impl Source {
    /// Reads a batch file; its name is the path as given.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file.
    pub fn read(path: &std::path::Path) -> Result<Self> {
        let body = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self {
            name: path.display().to_string(),
            body,
        })
    }
}

/// How a replay runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Round of the documents (Senate run-off: 2).
    pub round: u8,
    /// Time compression: 60 plays a 5-minute gap between batches in 5 seconds; 0 sends at
    /// once.
    pub speed: f64,
    /// Faults to inject.
    pub faults: Vec<Fault>,
    /// How long timed faults last (the "not yet" wait, the 500 window); default: one
    /// compressed batch interval, at least 2 s and at most 120 s.
    pub fault_secs: Option<f64>,
}

/// Precincts re-sent per `resend` fault.
const RESENT_PER_FAULT: usize = 3;

/// Plans a replay of `sources` (in the order given).
pub fn plan(sources: &[Source], options: &Options) -> Result<Vec<Step>> {
    let parsed: Vec<ParsedBatch> = sources
        .iter()
        .map(|s| parse_batch(&s.body, &s.name, options.round))
        .collect::<Result<_>>()?;
    let times: Vec<Option<chrono::DateTime<chrono::Utc>>> = parsed
        .iter()
        .map(|p| p.generated.as_deref().and_then(|g| parse_prague(g).ok()))
        .collect();
    let compress = |secs: f64| {
        if options.speed > 0.0 {
            (secs / options.speed).min(3600.0)
        } else {
            0.0
        }
    };
    let mut gaps: Vec<f64> = times
        .iter()
        .zip(times.iter().skip(1))
        .filter_map(|(&before, &after)| Some((after? - before?).num_milliseconds() as f64 / 1000.0))
        .filter(|g| *g > 0.0)
        .collect();
    gaps.sort_by(f64::total_cmp);
    let beat = gaps.get(gaps.len() / 2).map_or(0.0, |g| compress(*g));
    let fault_secs = options
        .fault_secs
        .unwrap_or_else(|| beat.clamp(2.0, 120.0))
        .clamp(0.0, 3600.0);
    let has = |f: Fault| options.faults.contains(&f);
    let n = sources.len();
    let encoding_at = (has(Fault::Encoding) && n > 0).then_some(n / 2);
    let error_after = (has(Fault::ServerError) && n > 0).then(|| (n * 3 / 4).min(n - 1));
    let resend_at: std::collections::BTreeSet<usize> = if has(Fault::Resend) && n >= 2 {
        if n <= 3 {
            [n - 1].into()
        } else {
            (2..n).step_by(3).collect()
        }
    } else {
        std::collections::BTreeSet::new()
    };
    // Precincts seen in file i or later: a re-send must not be overtaken by the source's own.
    let mut later: Vec<HashSet<PrecinctKey>> = Vec::with_capacity(n + 1);
    let mut seen = HashSet::new();
    later.push(seen.clone());
    for doc in parsed.iter().rev() {
        seen.extend(doc.precincts.iter().map(PrecinctResult::key));
        later.push(seen.clone());
    }
    later.reverse();
    let mut next_sequence = parsed
        .iter()
        .flat_map(|p| p.precincts.iter().map(|r| r.sequence))
        .max()
        .unwrap_or(0);

    // Data faults first, as changes per file: rows whose preferential votes are held back,
    // rows appended, and what the operator is told.
    let mut changes: Vec<FileChange> = vec![FileChange::default(); n];
    let mut late_keys = HashSet::new();
    if has(Fault::LateCandidates) {
        let first = usize::from(n > 2);
        let found = (first..n.saturating_sub(1)).find_map(|j| {
            let held = held_back_preferences(parsed.get(j)?, later.get(j + 1)?);
            (!held.is_empty()).then_some((j, held))
        });
        // File j sends the rows without their preferential votes, file j + 1 re-sends them.
        if let Some((j, held)) = found
            && let (
                Some([this, next, ..]),
                Some([source, next_source, ..]),
                Some([_, next_doc, ..]),
            ) = (changes.get_mut(j..), sources.get(j..), parsed.get(j..))
        {
            let generated = next_doc.generated.as_deref();
            let labels: Vec<String> = held.iter().map(PrecinctResult::label).collect();
            for row in held {
                late_keys.insert(row.key());
                this.without_preferences.insert(row.key());
                let mut late = row;
                next_sequence += 1;
                mark_resent(&mut late, next_sequence, generated);
                next.appended.push(late);
            }
            next.notes.push((
                Fault::LateCandidates,
                format!(
                    "late-candidates: {} sends {} without their preferential votes (KANDIDAT); \
                     {} re-sends them with the votes, OPAKOVANE=\"1\" and a higher \
                     PORADI_ZPRAC: {}",
                    source.name,
                    labels.len(),
                    next_source.name,
                    labels.join("; ")
                ),
            ));
        }
    }
    let late_injected = !late_keys.is_empty();
    // File i re-sends corrected rows of file i - 1 (i >= 1 by construction of resend_at).
    for &i in &resend_at {
        let Some(before) = i.checked_sub(1) else {
            continue;
        };
        let (
            Some(later_keys),
            Some([earlier_doc, doc, ..]),
            Some([earlier_source, source, ..]),
            Some(change),
        ) = (
            later.get(i),
            parsed.get(before..),
            sources.get(before..),
            changes.get_mut(i),
        )
        else {
            continue;
        };
        let mut exclude = later_keys.clone();
        exclude.extend(late_keys.iter().copied());
        let resent = corrected_resends(
            earlier_doc,
            &exclude,
            doc.generated.as_deref(),
            &mut next_sequence,
        );
        if resent.is_empty() {
            continue;
        }
        let labels: Vec<String> = resent.iter().map(PrecinctResult::label).collect();
        change.notes.push((
            Fault::Resend,
            format!(
                "resend: {} re-sends {} of {} corrected (one vote moved between two lists) \
                 with OPAKOVANE=\"1\" and a higher PORADI_ZPRAC: {}",
                source.name,
                resent.len(),
                earlier_source.name,
                labels.join("; ")
            ),
        ));
        change.appended.extend(resent);
    }

    let mut steps = Vec::new();
    if has(Fault::LateCandidates) && !late_injected {
        steps.push(Step {
            action: Action::Wait(Duration::ZERO),
            fault: None,
            note: "late-candidates not injected: no precinct with preferential votes \
                   (KANDIDAT) that a later file does not send again"
                .into(),
        });
    }
    if has(Fault::NotYet) {
        steps.push(Step {
            action: Action::Wait(Duration::from_secs_f64(fault_secs)),
            fault: Some(Fault::NotYet),
            note: format!(
                "not-yet: no batch for {fault_secs:.1} s; batch URLs answer 404 with \
                 <CHYBA KOD_CHYBY=\"10\"/> (legacy form: 200 with the same)"
            ),
        });
    }
    for (i, ((source, doc), change)) in sources.iter().zip(&parsed).zip(&changes).enumerate() {
        if let Some(before) = i.checked_sub(1)
            && let (Some(Some(prev)), Some(Some(now))) = (times.get(before), times.get(i))
        {
            let gap = compress((*now - *prev).num_milliseconds().max(0) as f64 / 1000.0);
            if gap > 0.0 {
                steps.push(Step {
                    action: Action::Wait(Duration::from_secs_f64(gap)),
                    fault: None,
                    note: format!("wait {gap:.1} s"),
                });
            }
        }
        if encoding_at == Some(i) {
            steps.push(Step {
                action: Action::Charset(Charset::Latin2),
                fault: Some(Fault::Encoding),
                note: format!(
                    "encoding: from {} on every document is ISO-8859-2 (declared in the XML \
                     and in Content-Type)",
                    source.name
                ),
            });
        }
        let body = match (&doc.header, change.is_empty()) {
            (Some(header), false) => change.apply(doc, header).into_bytes(),
            // Untouched (or a document without a DAVKA header): the file's own bytes.
            _ => source.body.clone(),
        };
        for (fault, note) in &change.notes {
            steps.push(Step {
                action: Action::Wait(Duration::ZERO),
                fault: Some(*fault),
                note: note.clone(),
            });
        }
        steps.push(Step {
            action: Action::Ingest {
                source: source.name.clone(),
                body,
            },
            fault: None,
            note: source.name.clone(),
        });
        if error_after == Some(i) {
            steps.push(Step {
                action: Action::ServerError(Duration::from_secs_f64(fault_secs)),
                fault: Some(Fault::ServerError),
                note: format!(
                    "server-error: after {} every request answers 500 for {fault_secs:.1} s",
                    source.name
                ),
            });
        }
    }
    Ok(steps)
}

/// What data faults change in one file.
#[derive(Debug, Clone, Default)]
struct FileChange {
    /// Rows sent without their preferential votes.
    without_preferences: HashSet<PrecinctKey>,
    /// Rows appended (re-sends).
    appended: Vec<PrecinctResult>,
    /// The faults and what the operator is told.
    notes: Vec<(Fault, String)>,
}

impl FileChange {
    fn is_empty(&self) -> bool {
        self.without_preferences.is_empty() && self.appended.is_empty()
    }

    /// The document with the change applied (the `DAVKA` row count follows).
    fn apply(&self, doc: &ParsedBatch, header: &crate::xml::BatchHeader) -> String {
        let mut rows: Vec<PrecinctResult> = doc.precincts.clone();
        for row in &mut rows {
            if self.without_preferences.contains(&row.key()) {
                row.preferences.clear();
            }
        }
        rows.extend(self.appended.iter().cloned());
        let mut header = header.clone();
        header.rows = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        let refs: Vec<&PrecinctResult> = rows.iter().collect();
        write_batch(
            doc.kind,
            doc.generated.as_deref().unwrap_or_default(),
            &header,
            &refs,
        )
    }
}

/// Rows held back by the late-candidates fault: up to [`RESENT_PER_FAULT`] rows with
/// preferential votes that no later file sends again.
fn held_back_preferences(doc: &ParsedBatch, later: &HashSet<PrecinctKey>) -> Vec<PrecinctResult> {
    doc.precincts
        .iter()
        .filter(|r| !r.preferences.is_empty() && !later.contains(&r.key()))
        .take(RESENT_PER_FAULT)
        .cloned()
        .collect()
}

/// Marks `row` as a re-send with `sequence`, processed at the document's time.
fn mark_resent(row: &mut PrecinctResult, sequence: u64, generated: Option<&str>) {
    row.sequence = sequence;
    row.repeated = true;
    if let Some(g) = generated.filter(|g| crate::time::is_local_timestamp(g)) {
        g.clone_into(&mut row.processed_at);
    }
}

/// Up to [`RESENT_PER_FAULT`] rows of `earlier` with two lists or more that no later file
/// sends again, corrected
/// (one vote moved from the strongest list to another, totals unchanged) and marked as
/// re-sends with fresh, higher `PORADI_ZPRAC`.
fn corrected_resends(
    earlier: &ParsedBatch,
    later: &HashSet<PrecinctKey>,
    generated: Option<&str>,
    next_sequence: &mut u64,
) -> Vec<PrecinctResult> {
    let mut out = Vec::new();
    for row in &earlier.precincts {
        if out.len() == RESENT_PER_FAULT {
            break;
        }
        // A correction needs two lists to move a vote between.
        if later.contains(&row.key()) || row.votes.len() < 2 {
            continue;
        }
        let mut fixed = row.clone();
        let strongest = fixed
            .votes
            .iter()
            .enumerate()
            .max_by_key(|&(k, v)| (v.1, std::cmp::Reverse(k)))
            .map_or(0, |(k, _)| k);
        let other = usize::from(strongest == 0);
        let from = fixed.votes.get(strongest).map_or(0, |v| v.1);
        let Some(to) = fixed.votes.get(other).and_then(|v| v.1.checked_add(1)) else {
            continue;
        };
        if from == 0 {
            continue;
        }
        if let Some(v) = fixed.votes.get_mut(strongest) {
            v.1 = from - 1;
        }
        if let Some(v) = fixed.votes.get_mut(other) {
            v.1 = to;
        }
        *next_sequence += 1;
        mark_resent(&mut fixed, *next_sequence, generated);
        out.push(fixed);
    }
    out
}

/// Runs planned steps against the admin endpoint: the test data set of `election`
/// (`channel`: where the documents go; serving faults apply to the test data set only).
/// `report` gets every step with the server's answer (empty for waits).
pub fn run(
    client: &AdminClient,
    election: &str,
    channel: Channel,
    round: u8,
    steps: &[Step],
    report: &mut dyn FnMut(&Step, &str),
) -> Result<()> {
    if channel != Channel::Test && steps.iter().any(|s| s.fault.is_some()) {
        return Err(Error::invalid(
            election,
            "faults are injected into the test data set only (--channel test)",
        ));
    }
    for step in steps {
        let answer = match &step.action {
            Action::Wait(d) => {
                std::thread::sleep(*d);
                String::new()
            }
            Action::Charset(c) => client.faults(
                election,
                Some(match c {
                    Charset::Utf8 => "utf-8",
                    Charset::Latin2 => "iso-8859-2",
                }),
                None,
            )?,
            Action::ServerError(d) => client.faults(election, None, Some(d.as_secs_f64()))?,
            Action::Ingest { source, body } => {
                client.ingest(election, channel, round, source, body, true)?
            }
        };
        report(step, &answer);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_file_that_cannot_be_read_is_named() {
        let path = std::path::Path::new("/nonexistent/vysledky_okrsky_00001.xml");
        let error = Source::read(path).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("/nonexistent/vysledky_okrsky_00001.xml: "),
            "{error}"
        );
    }

    fn kv2022() -> Vec<Source> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/volby");
        [2, 3, 4, 5, 6, 7]
            .iter()
            .map(|n| {
                let name = format!("kv2022_vysledky_okrsky_davka_{n:03}.xml");
                Source {
                    body: std::fs::read(dir.join(&name)).unwrap(),
                    name,
                }
            })
            .collect()
    }

    #[test]
    fn fault_names_parse() {
        assert_eq!(Fault::parse_list("all").unwrap(), Fault::ALL.to_vec());
        assert_eq!(
            Fault::parse_list("server-error,resend").unwrap(),
            vec![Fault::Resend, Fault::ServerError]
        );
        assert!(Fault::parse_list("typo").is_err());
    }

    #[test]
    fn late_preferential_votes_come_in_the_next_batch() {
        let sim = crate::simulate::generate(&crate::simulate::Params {
            okrsky: 300,
            obce: 60,
            parties: 6,
            ..crate::simulate::Params::default()
        });
        let sources: Vec<Source> = sim
            .batches
            .iter()
            .enumerate()
            .map(|(i, b)| Source {
                name: format!("vysledky_okrsky_{:05}.xml", i + 1),
                body: b.clone().into_bytes(),
            })
            .collect();
        let options = Options {
            round: 1,
            speed: 0.0,
            faults: vec![Fault::LateCandidates],
            fault_secs: None,
        };
        let steps = plan(&sources, &options).unwrap();
        let note = steps
            .iter()
            .find(|s| s.fault == Some(Fault::LateCandidates))
            .expect("injected");
        assert!(note.note.contains("without their preferential votes"));
        let sent: Vec<ParsedBatch> = steps
            .iter()
            .filter_map(|s| match &s.action {
                Action::Ingest { body, .. } => Some(parse_batch(body, "sent", 1).unwrap()),
                _ => None,
            })
            .collect();
        let source: Vec<ParsedBatch> = sources
            .iter()
            .map(|s| parse_batch(&s.body, "src", 1).unwrap())
            .collect();
        // One batch lost the votes of some precincts; the next brings them back.
        let j = (0..sent.len())
            .find(|&j| sent[j].precincts != source[j].precincts)
            .unwrap();
        let held: Vec<&PrecinctResult> = sent[j]
            .precincts
            .iter()
            .zip(&source[j].precincts)
            .filter(|(a, b)| a.preferences != b.preferences)
            .map(|(a, _)| a)
            .collect();
        assert_eq!(held.len(), RESENT_PER_FAULT);
        for h in &held {
            assert!(h.preferences.is_empty() && !h.repeated);
            let original = source[j].precincts.iter().find(|p| p.key() == h.key());
            let late = sent[j + 1]
                .precincts
                .iter()
                .find(|p| p.key() == h.key())
                .unwrap();
            assert!(late.repeated && late.sequence > h.sequence);
            assert_eq!(late.preferences, original.unwrap().preferences);
            assert_eq!(late.votes, h.votes);
        }
    }

    #[test]
    fn real_kv2022_batches_plan_every_fault_with_consistent_resends() {
        let sources = kv2022();
        let options = Options {
            round: 1,
            speed: 60.0,
            faults: Fault::ALL.to_vec(),
            fault_secs: None,
        };
        let steps = plan(&sources, &options).unwrap();
        for f in Fault::ALL {
            // KV batches carry no preferential votes: that one fault is reported as not
            // injected.
            let injected = steps.iter().any(|s| s.fault == Some(f));
            assert_eq!(injected, f != Fault::LateCandidates, "{f:?}");
        }
        assert!(
            steps
                .iter()
                .any(|s| s.note.starts_with("late-candidates not injected"))
        );
        // Real batches 5 minutes apart at speed 60: 5 s, the default fault length too.
        assert!(steps.contains(&Step {
            action: Action::Wait(Duration::from_secs(5)),
            fault: None,
            note: "wait 5.0 s".into()
        }));
        assert_eq!(steps[1].action, Action::Wait(Duration::from_secs(5)));
        // Batch 4 (the third file) re-sends three precincts of batch 3, corrected.
        let ingests: Vec<(&String, &Vec<u8>)> = steps
            .iter()
            .filter_map(|s| match &s.action {
                Action::Ingest { source, body } => Some((source, body)),
                _ => None,
            })
            .collect();
        assert_eq!(ingests.len(), sources.len());
        let sent = parse_batch(ingests[2].1, "sent", 1).unwrap();
        let original = parse_batch(&sources[2].body, "src", 1).unwrap();
        let earlier = parse_batch(&sources[1].body, "src", 1).unwrap();
        let extra = &sent.precincts[original.precincts.len()..];
        assert_eq!(extra.len(), RESENT_PER_FAULT);
        assert_eq!(
            sent.header.as_ref().unwrap().rows as usize,
            sent.precincts.len()
        );
        let max_source_seq = sources
            .iter()
            .flat_map(|s| parse_batch(&s.body, "src", 1).unwrap().precincts)
            .map(|p| p.sequence)
            .max()
            .unwrap();
        for r in extra {
            let before = earlier
                .precincts
                .iter()
                .find(|p| p.key() == r.key())
                .unwrap();
            assert!(r.repeated && r.sequence > max_source_seq);
            assert_eq!(r.turnout, before.turnout);
            let sum = |p: &PrecinctResult| p.votes.iter().map(|v| v.1).sum::<u64>();
            assert_eq!(sum(r), sum(before), "totals unchanged");
            assert_ne!(r.votes, before.votes, "figures corrected");
            for later in &sources[3..] {
                let later = parse_batch(&later.body, "src", 1).unwrap();
                assert!(later.precincts.iter().all(|p| p.key() != r.key()));
            }
        }
        // Untouched files go out byte for byte.
        assert_eq!(ingests[0].1, &sources[0].body);
        // The same plan twice: a rehearsal can be repeated exactly.
        assert_eq!(plan(&sources, &options).unwrap(), steps);
    }
}
