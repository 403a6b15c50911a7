//! CPU time, wall time and peak memory of ingesting a whole simulated election and
//! regenerating every feed, on the same path as czso-media-feed's admin endpoint: parse and
//! validate each batch, store it durably with its cut in one transaction, apply it in memory;
//! then regenerate every document.
//!
//! `cargo xtask bench-volby` and `bench-volby-live` run it (a process of its own, so the peak
//! memory is the ingest's): `cargo bench -p xtask --bench ingest -- --dir SIM --scratch DIR`,
//! where SIM is written by `czso-media-feed simulate`. `--write DIR` also writes every
//! generated document there (after the measurement), to compare two builds' output with
//! `diff -r` (their `DATUM_CAS_GENEROVANI` differ).
#![allow(clippy::print_stdout)]

#[path = "../src/procstat.rs"]
mod procstat;

use anyhow::{Context, Result, bail};
use czso_media_feed::model::Definition;
use czso_media_feed::server::{ElectionState, prepare};
use czso_media_feed::store::{Channel, CutRequest, Store, Upstream};
use procstat::{cpu_seconds, peak_rss_kib};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

fn main() -> Result<()> {
    let (mut dir, mut scratch, mut write) = (None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dir" => dir = args.next().map(PathBuf::from),
            "--scratch" => scratch = args.next().map(PathBuf::from),
            "--write" => write = args.next().map(PathBuf::from),
            // Added by `cargo bench` to every benchmark's arguments.
            "--bench" => {}
            other => {
                bail!("unknown argument `{other}`; usage: --dir SIM --scratch DIR [--write OUT]")
            }
        }
    }
    let (Some(dir), Some(scratch)) = (dir, scratch) else {
        bail!("usage: cargo bench -p xtask --bench ingest -- --dir SIM --scratch DIR");
    };

    let def = Arc::new(Definition::load(&dir.join("definition.json"))?);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    let bodies: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).with_context(|| format!("cannot read {}", f.display())))
        .collect::<Result<_>>()?;
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    let db_path = scratch.join("bench.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db_path.display()));
    }

    let cpu0 = cpu_seconds(None)?;
    let wall0 = Instant::now();
    let state = ElectionState::new(def);
    let mut db = Store::open(&db_path)?;
    let mut rows = 0usize;
    let (mut cpu_parse, mut cpu_store) = (0.0, 0.0);
    for (f, body) in files.iter().zip(&bodies) {
        let source = f.display().to_string();
        let t0 = cpu_seconds(None)?;
        let parsed = prepare(state.definition(), state.index(), body, &source, 1)?;
        rows += parsed.precincts.len();
        let t1 = cpu_seconds(None)?;
        let cut = CutRequest {
            round: 1,
            number: parsed.header.as_ref().map(|h| h.number),
            upstream: parsed.header.as_ref().map(|h| Upstream {
                rows: h.rows,
                processed: h.processed,
            }),
            cut_at: chrono::Utc::now().timestamp(),
        };
        state.ingest(&mut db, Channel::Live, parsed.precincts, &source, Some(cut))?;
        cpu_parse += t1 - t0;
        cpu_store += cpu_seconds(None)? - t1;
    }
    let cpu_ingest = cpu_seconds(None)? - cpu0;
    let wall_ingest = wall0.elapsed();
    let t0 = cpu_seconds(None)?;
    let set = state.regenerate(Channel::Live);
    let cpu_generate = cpu_seconds(None)? - t0;
    let bytes: usize = set.docs.values().map(|d| d.body.len()).sum();
    let cpu_total = cpu_seconds(None)? - cpu0;
    println!(
        "cpu_parse_validate_s={cpu_parse:.2} cpu_store_apply_s={cpu_store:.2} cpu_generate_s={cpu_generate:.2}"
    );
    println!(
        "files={} rows={rows} documents={} bytes={bytes} cpu_ingest_s={cpu_ingest:.2} cpu_total_s={cpu_total:.2} wall_ingest_s={:.2} wall_total_s={:.2} peak_rss_mib={:.1}",
        files.len(),
        set.docs.len(),
        wall_ingest.as_secs_f64(),
        wall0.elapsed().as_secs_f64(),
        peak_rss_kib(None)? as f64 / 1024.0
    );
    if let Some(out) = write {
        for (name, doc) in &set.docs {
            let path = out.join(name.trim_start_matches('/'));
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(&path, &doc.body)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        for (round, batches) in set.batches.iter().enumerate() {
            let dir = out.join(format!("batches-round-{}", round + 1));
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            for (number, doc) in batches {
                let path = dir.join(format!("{number:05}.xml"));
                std::fs::write(&path, &doc.body)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
        }
    }
    Ok(())
}
