#![cfg_attr(doc, doc = include_str!("../README.md"))]
#![doc(test(attr(deny(warnings))))]
//! Runner for the W3C CSVW test suite (see `tests/` and `src/main.rs`).

use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use csvw::{Fetcher, Options, Processor, Resource};
use oxrdf::Graph;
use oxrdf::graph::CanonicalizationAlgorithm;
use serde_json::Value;
use url::Url;

/// The URL the suite is published under; expected outputs contain IRIs built from it.
pub const SUITE_BASE: &str = "http://www.w3.org/2013/csvw/tests/";

/// The pinned copy of the suite (`testdata/csvw-tests/`).
pub fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/csvw-tests")
}

/// One manifest entry.
#[derive(Debug, Clone)]
pub struct TestEntry {
    /// `manifest-json#test001`.
    pub id: String,
    /// `csvt:ToJsonTest`, …
    pub kind: String,
    /// Human-readable name.
    pub name: String,
    /// Approval status.
    pub approval: String,
    /// Action (relative to the suite base).
    pub action: String,
    /// Expected result file, if any.
    pub result: Option<String>,
    /// User metadata (relative).
    pub user_metadata: Option<String>,
    /// Minimal mode.
    pub minimal: bool,
    /// Simulated `Link` header on the action.
    pub http_link: Option<String>,
    /// Simulated `Content-Type` on the action.
    pub content_type: Option<String>,
}

/// Reads the entries of a manifest (`manifest-json.jsonld`, …).
pub fn load_manifest(file: &str) -> Result<Vec<TestEntry>> {
    let path = suite_dir().join(file);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let json: Value = serde_json::from_str(&text)?;
    let entries = json["entries"]
        .as_array()
        .context("manifest without entries")?;
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    entries
        .iter()
        .map(|e| {
            Ok(TestEntry {
                id: s(e, "id").context("entry without id")?,
                kind: s(e, "type").context("entry without type")?,
                name: s(e, "name").unwrap_or_default(),
                approval: s(e, "approval").unwrap_or_default(),
                action: s(e, "action").context("entry without action")?,
                result: s(e, "result"),
                user_metadata: e.get("option").and_then(|o| s(o, "metadata")),
                minimal: e
                    .get("option")
                    .and_then(|o| o.get("minimal"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                http_link: s(e, "httpLink"),
                content_type: s(e, "contentType"),
            })
        })
        .collect()
}

/// Serves the suite folder at [`SUITE_BASE`], the site-wide configuration of www.w3.org and
/// the simulated headers of the action; everything else is "not found".
pub struct SuiteFetcher {
    dir: PathBuf,
    action: Url,
    http_link: Option<String>,
    content_type: Option<String>,
}

impl Fetcher for SuiteFetcher {
    fn fetch(&self, url: &Url) -> io::Result<Option<Resource>> {
        let text = url.as_str();
        let path = if text == "http://www.w3.org/.well-known/csvm" {
            self.dir.join("_extra/well-known-csvm")
        } else if let Some(rest) = text.strip_prefix(SUITE_BASE) {
            // Only the action's own query is served as the plain file; any other URL with a
            // query (e.g. `test116.csv?query-metadata.json`) names a file that does not exist.
            let rest = rest.split('#').next().unwrap_or("");
            let rest = if url == &self.action {
                rest.split('?').next().unwrap_or("")
            } else {
                rest
            };
            if rest.split('/').any(|s| s == "..") {
                return Ok(None);
            }
            self.dir.join(rest)
        } else {
            return Ok(None);
        };
        let body = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound || path.is_dir() => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut resource = Resource {
            body,
            content_type: None,
            links: Vec::new(),
        };
        if url == &self.action {
            resource.content_type.clone_from(&self.content_type);
            resource.links.extend(self.http_link.clone());
        }
        Ok(Some(resource))
    }
}

/// The outcome of one test.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Passed.
    Passed,
    /// Failed, with why.
    Failed(String),
}

fn compare_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| compare_json(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| compare_json(v, w)))
        }
        _ => a == b,
    }
}

fn canonical(mut graph: Graph) -> Vec<String> {
    graph.canonicalize(CanonicalizationAlgorithm::Unstable);
    let mut lines: Vec<String> = graph.iter().map(|t| t.to_string()).collect();
    lines.sort();
    lines
}

/// Runs one test.
pub fn run_test(entry: &TestEntry) -> Outcome {
    match run_test_inner(entry) {
        Ok(o) => o,
        Err(e) => Outcome::Failed(format!("harness error: {e:#}")),
    }
}

fn run_test_inner(entry: &TestEntry) -> Result<Outcome> {
    let base = Url::parse(SUITE_BASE)?;
    let action = base.join(&entry.action)?;
    let fetcher = SuiteFetcher {
        dir: suite_dir(),
        action: action.clone(),
        http_link: entry.http_link.clone(),
        content_type: entry.content_type.clone(),
    };
    let kind = entry.kind.trim_start_matches("csvt:");
    let validate = kind.contains("Validation");
    let options = Options {
        validate,
        user_metadata: entry
            .user_metadata
            .as_ref()
            .map(|m| base.join(m))
            .transpose()?,
    };
    let mut processor = Processor::new(&fetcher, options);
    let path = entry.action.split('?').next().unwrap_or("");
    let metadata = path.ends_with(".json");
    // Every test runs the streaming path the command line uses: rows go to a sink (JSON or
    // N-Triples writer, or nothing for validation) and are not kept.
    let mut json_text = Vec::new();
    let mut ntriples = Vec::new();
    let result = {
        let mut json_writer = csvw::json::JsonWriter::new(&mut json_text, entry.minimal);
        let mut rdf_writer = csvw::rdf::RdfWriter::new(
            &mut ntriples,
            entry.minimal,
            csvw::rdf::RdfSyntax::NTriples,
        )?;
        let mut ignore = csvw::IgnoreRows;
        let sink: &mut dyn csvw::RowSink = if kind.contains("Json") {
            &mut json_writer
        } else if kind.contains("Rdf") {
            &mut rdf_writer
        } else {
            &mut ignore
        };
        if metadata {
            processor.process_metadata_streaming(&action, sink)
        } else {
            processor.process_tabular_streaming(&action, sink)
        }
    };
    let diagnostics = &processor.diagnostics;
    let summary = || {
        diagnostics
            .items
            .iter()
            .take(5)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    };
    let outcome = match kind {
        "PositiveValidationTest" => match result {
            Err(e) => Outcome::Failed(format!("unexpected error: {e}")),
            Ok(_) if diagnostics.has_errors() || diagnostics.has_warnings() => {
                Outcome::Failed(format!("expected no errors or warnings: {}", summary()))
            }
            Ok(_) => Outcome::Passed,
        },
        "WarningValidationTest" => match result {
            Err(e) => Outcome::Failed(format!("unexpected error: {e}")),
            Ok(_) if diagnostics.has_errors() => {
                Outcome::Failed(format!("unexpected errors: {}", summary()))
            }
            Ok(_) if !diagnostics.has_warnings() => {
                Outcome::Failed("expected a warning".to_owned())
            }
            Ok(_) => Outcome::Passed,
        },
        "NegativeValidationTest" => match result {
            Err(_) => Outcome::Passed,
            Ok(_) if diagnostics.has_errors() => Outcome::Passed,
            Ok(_) => Outcome::Failed(format!("expected an error; got: {}", summary())),
        },
        "NegativeJsonTest" | "NegativeRdfTest" => match result {
            Err(_) => Outcome::Passed,
            Ok(_) => Outcome::Failed(format!("expected an error; got: {}", summary())),
        },
        "ToJsonTest" | "ToJsonTestWithWarnings" | "ToRdfTest" | "ToRdfTestWithWarnings" => {
            if let Err(e) = result {
                return Ok(Outcome::Failed(format!("unexpected error: {e}")));
            }
            if kind.ends_with("WithWarnings") && !diagnostics.has_warnings() {
                return Ok(Outcome::Failed("expected a warning".to_owned()));
            }
            let result_file = entry.result.as_ref().context("test without result")?;
            let expected_path = suite_dir().join(result_file);
            if kind.starts_with("ToJson") {
                let actual_text = String::from_utf8(json_text)?;
                let actual: Value = serde_json::from_str(&actual_text)?;
                let expected: Value = serde_json::from_slice(&std::fs::read(&expected_path)?)?;
                if compare_json(&actual, &expected) {
                    Outcome::Passed
                } else {
                    Outcome::Failed(format!(
                        "JSON differs\n--- expected\n{}\n--- actual\n{}",
                        serde_json::to_string_pretty(&expected)?,
                        actual_text
                    ))
                }
            } else {
                let mut actual = Graph::new();
                for triple in oxttl::NTriplesParser::new().for_slice(&ntriples) {
                    actual.insert(&triple?);
                }
                let mut expected = Graph::new();
                let file = std::fs::read(&expected_path)?;
                for triple in oxttl::TurtleParser::new()
                    .with_base_iri(action.as_str())?
                    .for_slice(&file)
                {
                    expected.insert(&triple?);
                }
                let (a, e) = (canonical(actual), canonical(expected));
                if a == e {
                    Outcome::Passed
                } else {
                    let missing: Vec<&String> =
                        e.iter().filter(|l| !a.contains(l)).take(10).collect();
                    let extra: Vec<&String> =
                        a.iter().filter(|l| !e.contains(l)).take(10).collect();
                    Outcome::Failed(format!(
                        "graphs differ ({} vs {} triples)\nmissing: {missing:#?}\nextra: {extra:#?}\nactual:\n{}",
                        a.len(),
                        e.len(),
                        a.join("\n")
                    ))
                }
            }
        }
        other => bail!("unknown test type {other}"),
    };
    Ok(outcome)
}

/// The results of running a manifest.
pub struct ManifestRun {
    /// Each entry with its outcome.
    pub results: Vec<(TestEntry, Outcome)>,
}

impl ManifestRun {
    /// Number passed.
    pub fn passed(&self) -> usize {
        self.results
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Passed))
            .count()
    }

    /// Number failed.
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }
}

/// Runs every entry of a manifest.
pub fn run_manifest(file: &str) -> Result<ManifestRun> {
    let entries = load_manifest(file)?;
    let results = entries
        .into_iter()
        .map(|e| {
            let outcome = run_test(&e);
            (e, outcome)
        })
        .collect();
    Ok(ManifestRun { results })
}

/// Runs a manifest and fails unless every failing test is on `ignored` (test ids such as
/// `manifest-json#test193`) and every ignored test still fails.
pub fn check_manifest(file: &str, ignored: &[&str]) -> Result<()> {
    let run = run_manifest(file)?;
    let mut problems = Vec::new();
    for (entry, outcome) in &run.results {
        let is_ignored = ignored.contains(&entry.id.as_str());
        match outcome {
            Outcome::Failed(why) if !is_ignored => {
                problems.push(format!("{} ({}): {why}", entry.id, entry.name));
            }
            Outcome::Passed if is_ignored => {
                problems.push(format!(
                    "{} passes now: remove it from the ignore list",
                    entry.id
                ));
            }
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        bail!(
            "{} problems in {file}:\n{}",
            problems.len(),
            problems.join("\n\n")
        )
    }
}

/// Writes an EARL report (Turtle) for the given runs.
pub fn earl_report(runs: &[(&str, &ManifestRun)], date: &str) -> String {
    let mut out = String::from(
        "@prefix earl: <http://www.w3.org/ns/earl#> .\n\
         @prefix dc: <http://purl.org/dc/terms/> .\n\
         @prefix doap: <http://usefulinc.com/ns/doap#> .\n\
         @prefix foaf: <http://xmlns.com/foaf/0.1/> .\n\
         @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\n\
         <https://github.com/opendata-cz/opendata-cz/tree/main/crates/csvw> a doap:Project, earl:TestSubject, earl:Software ;\n\
         \x20 doap:name \"csvw (Rust)\" ;\n\
         \x20 doap:programming-language \"Rust\" ;\n\
         \x20 doap:homepage <https://github.com/opendata-cz/opendata-cz> .\n\n",
    );
    for (_, run) in runs {
        for (entry, outcome) in &run.results {
            let outcome = match outcome {
                Outcome::Passed => "earl:passed",
                Outcome::Failed(_) => "earl:failed",
            };
            out.push_str(&format!(
                "[] a earl:Assertion ;\n  earl:assertedBy <https://github.com/opendata-cz/opendata-cz> ;\n  \
                 earl:subject <https://github.com/opendata-cz/opendata-cz/tree/main/crates/csvw> ;\n  \
                 earl:test <{SUITE_BASE}{}> ;\n  earl:mode earl:automatic ;\n  \
                 earl:result [ a earl:TestResult ; earl:outcome {outcome} ; dc:date \"{date}\"^^xsd:date ] .\n\n",
                entry.id
            ));
        }
    }
    out
}
