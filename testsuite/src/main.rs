//! `cargo run -p testsuite -- [--earl FILE] [--verbose] [MANIFEST...]`: runs the W3C CSVW
//! manifests and prints passed/failed per manifest.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use anyhow::Result;
use testsuite::{Outcome, earl_report, run_manifest};

const MANIFESTS: &[&str] = &[
    "manifest-validation.jsonld",
    "manifest-json.jsonld",
    "manifest-rdf.jsonld",
    "manifest-nonnorm.jsonld",
];

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut earl = None;
    let mut verbose = false;
    let mut manifests = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--earl" => earl = args.next(),
            "--verbose" | "-v" => verbose = true,
            other => manifests.push(other.to_owned()),
        }
    }
    if manifests.is_empty() {
        manifests = MANIFESTS.iter().map(|m| (*m).to_owned()).collect();
    }
    let mut runs = Vec::new();
    for manifest in &manifests {
        let run = run_manifest(manifest)?;
        if verbose {
            for (entry, outcome) in &run.results {
                if let Outcome::Failed(why) = outcome {
                    println!("FAIL {} ({}): {why}\n", entry.id, entry.name);
                }
            }
        }
        runs.push((manifest.as_str(), run));
    }
    let (mut total_passed, mut total_failed) = (0, 0);
    for (manifest, run) in &runs {
        println!(
            "{manifest:<28} {:>4} passed, {:>4} failed",
            run.passed(),
            run.failed()
        );
        total_passed += run.passed();
        total_failed += run.failed();
    }
    if let Some(path) = earl {
        let refs: Vec<(&str, &testsuite::ManifestRun)> =
            runs.iter().map(|(m, r)| (*m, r)).collect();
        std::fs::write(&path, earl_report(&refs, &today()))?;
        println!("EARL report written to {path}");
    }
    println!("{total_passed} passed, {total_failed} failed");
    Ok(())
}

fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86400) as i64;
    // Civil date from days since 1970-01-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
