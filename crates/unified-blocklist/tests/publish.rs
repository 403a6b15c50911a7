//! Atomic publication: complete sets only, archive, checksums, leftovers cleaned.

use chrono::NaiveDate;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use unified_blocklist::publish::{PublishError, Publisher, verify};

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

fn publish(publisher: &Publisher, generation: usize, day: u32) {
    let staging = publisher.stage().unwrap();
    for name in ["a.csv", "b.csv", "index.html"] {
        staging
            .write(name, format!("{name} generation {generation}\n").as_bytes())
            .unwrap();
    }
    publisher.commit(staging, date(day)).unwrap();
}

#[test]
fn publications_are_complete_and_archived() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let publisher = Publisher::new(&out);
    assert_eq!(publisher.current().unwrap(), None);
    publish(&publisher, 1, 20);
    publish(&publisher, 2, 21);
    publish(&publisher, 3, 21);
    assert_eq!(
        std::fs::read_to_string(out.join("a.csv")).unwrap(),
        "a.csv generation 3\n"
    );
    assert!(verify(&out).unwrap().is_empty());
    // Earlier days stay in the archive; a second publication on one day replaces that day.
    assert_eq!(
        std::fs::read_to_string(out.join("archiv/2026-11-20/a.csv")).unwrap(),
        "a.csv generation 1\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("archiv/2026-11-21/b.csv")).unwrap(),
        "b.csv generation 3\n"
    );
    assert!(verify(&out.join("archiv/2026-11-20")).unwrap().is_empty());
    let index = std::fs::read_to_string(out.join("archiv/index.html")).unwrap();
    assert!(
        index.contains("2026-11-20/") && index.contains("2026-11-21/"),
        "{index}"
    );
    // Old publications are collected, keeping a couple for readers still reading them.
    for generation in 4..10 {
        publish(&publisher, generation, 22);
    }
    let kept = std::fs::read_dir(publisher.store()).unwrap().count();
    assert_eq!(kept, 3, "current + two older publications");
}

#[test]
fn verify_detects_tampering() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let publisher = Publisher::new(&out);
    publish(&publisher, 1, 20);
    let dir = publisher.current().unwrap().unwrap();
    std::fs::write(dir.join("a.csv"), "changed").unwrap();
    std::fs::write(dir.join("extra.txt"), "x").unwrap();
    let problems = verify(&out).unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
}

#[test]
fn abandoned_staging_is_invisible_and_cleaned_up() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let publisher = Publisher::new(&out);
    publish(&publisher, 1, 20);
    // A run that dies before committing (as if killed).
    let staging = publisher.stage().unwrap();
    staging.write("a.csv", b"half written").unwrap();
    let leftover = staging.dir().to_path_buf();
    drop(staging);
    assert_eq!(
        std::fs::read_to_string(out.join("a.csv")).unwrap(),
        "a.csv generation 1\n"
    );
    publish(&publisher, 2, 21);
    assert!(
        !leftover.exists(),
        "the next publication removes abandoned staging directories"
    );
}

#[test]
fn refuses_foreign_directories_and_reserved_names() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("precious.txt"), "keep me").unwrap();
    let publisher = Publisher::new(&out);
    assert!(matches!(
        publisher.stage(),
        Err(PublishError::NotManaged(_))
    ));
    assert_eq!(
        std::fs::read_to_string(out.join("precious.txt")).unwrap(),
        "keep me"
    );

    // An empty directory is taken over.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let publisher = Publisher::new(&empty);
    publish(&publisher, 1, 20);
    assert!(
        std::fs::symlink_metadata(&empty)
            .unwrap()
            .file_type()
            .is_symlink()
    );

    let staging = publisher.stage().unwrap();
    for bad in ["../x", "SHA256SUMS", "archiv", ".hidden", ""] {
        assert!(
            matches!(staging.write(bad, b"x"), Err(PublishError::BadName(_))),
            "{bad}"
        );
    }
}

fn read_set(root: &Path) -> Option<Vec<String>> {
    // A reader that resolves the link once and reads the whole set from that directory.
    let dir = std::fs::canonicalize(root).ok()?;
    ["a.csv", "b.csv", "index.html"]
        .iter()
        .map(|name| std::fs::read_to_string(dir.join(name)).ok())
        .collect()
}

#[test]
fn concurrent_readers_never_see_a_mix() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let publisher = Publisher::new(&out);
    publish(&publisher, 0, 1);
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let out = out.clone();
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut reads = 0;
            while !done.load(Ordering::Relaxed) {
                // A set read from an older, already collected publication may vanish halfway;
                // what it must never be is a mix of generations.
                if let Some(set) = read_set(&out) {
                    let generations: Vec<&str> = set
                        .iter()
                        .map(|s| s.trim().rsplit(' ').next().unwrap())
                        .collect();
                    assert!(
                        generations.windows(2).all(|w| w[0] == w[1]),
                        "mixed set {set:?}"
                    );
                    reads += 1;
                }
            }
            reads
        })
    };
    for generation in 1..30 {
        publish(&publisher, generation, 1 + (generation as u32 % 28));
    }
    done.store(true, Ordering::Relaxed);
    let reads = reader.join().unwrap();
    assert!(reads > 0);
}
