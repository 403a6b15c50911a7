//! The post-publication command: what an operator has run once a publication is visible —
//! typically telling the DNS primary to load the new zone (`knotc zone-reload …`, `rndc reload
//! …`), which then computes the IXFR and sends NOTIFY.
//!
//! It runs only after the atomic swap, with a time limit; its failure is logged and recorded
//! next to the publications (`post-publication.json` in the publication store, which `/healthz`
//! reports), and it never undoes the publication: the list is published either way, and the
//! next update runs the command again.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The record's file name in the publication store (beside the publications, not inside one:
/// publications are immutable and this is written after the swap).
pub const RECORD_FILE: &str = "post-publication.json";

/// How one run of the command ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostPublicationOutcome {
    /// The publication it ran for.
    pub publication: String,
    /// The command, as configured.
    pub command: Vec<String>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// How long it ran, in milliseconds.
    pub elapsed_ms: u64,
    /// It exited with status 0 in time.
    pub ok: bool,
    /// What went wrong (exit status, signal, timeout, or why it could not start), if it failed.
    pub failure: Option<String>,
    /// The end of its standard error output (at most 2,000 bytes).
    pub stderr: String,
}

/// What the command is told about the publication, as environment variables.
#[derive(Debug, Clone)]
pub struct PublicationFacts<'a> {
    /// `UB_PUBLICATION_ID`.
    pub id: &'a str,
    /// `UB_PUBLICATION_DIR`: the publication's directory.
    pub dir: &'a Path,
    /// `UB_OUT`: the output link.
    pub out: &'a Path,
    /// `UB_RPZ_ORIGIN`.
    pub rpz_origin: &'a str,
    /// `UB_RPZ_SERIAL`.
    pub rpz_serial: u32,
    /// `UB_VALID_AS_OF`.
    pub valid_as_of: chrono::NaiveDate,
}

/// Runs `command` (program and arguments, no shell) for the publication; kills it after
/// `timeout`. Never fails: every problem is in the outcome.
pub fn run(
    command: &[String],
    facts: &PublicationFacts<'_>,
    timeout: Duration,
) -> PostPublicationOutcome {
    let started_at = Utc::now();
    let started = Instant::now();
    let outcome = |ok: bool, failure: Option<String>, stderr: String| PostPublicationOutcome {
        publication: facts.id.to_owned(),
        command: command.to_vec(),
        started_at,
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        ok,
        failure,
        stderr,
    };
    let Some((program, args)) = command.split_first() else {
        return outcome(false, Some("the command is empty".into()), String::new());
    };
    let child = Command::new(program)
        .args(args)
        .env("UB_PUBLICATION_ID", facts.id)
        .env("UB_PUBLICATION_DIR", facts.dir)
        .env("UB_OUT", facts.out)
        .env("UB_RPZ_FILE", facts.dir.join(crate::update::files::RPZ))
        .env("UB_RPZ_ORIGIN", facts.rpz_origin)
        .env("UB_RPZ_SERIAL", facts.rpz_serial.to_string())
        .env("UB_VALID_AS_OF", facts.valid_as_of.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout stops whatever it started too.
        .process_group(0)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            return outcome(
                false,
                Some(format!("cannot start {program}: {e}")),
                String::new(),
            );
        }
    };
    // Read standard error on a thread so a chatty command cannot block on a full pipe.
    let mut pipe = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(pipe) = pipe.as_mut() {
            let _ = pipe.read_to_end(&mut text);
        }
        text
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if started.elapsed() >= timeout => {
                // The group is the child's own (process_group(0) above): its pid, negated.
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("timed out after {timeout:?} and was killed"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => break Err(format!("cannot wait for it: {e}")),
        }
    };
    let stderr = reader.join().unwrap_or_default();
    let tail = stderr
        .get(stderr.len().saturating_sub(2000)..)
        .unwrap_or_default();
    let stderr = String::from_utf8_lossy(tail).trim().to_owned();
    match status {
        Ok(status) if status.success() => outcome(true, None, stderr),
        Ok(status) => outcome(false, Some(format!("exited with {status}")), stderr),
        Err(failure) => outcome(false, Some(failure), stderr),
    }
}

/// Records `outcome` in the publication store (atomically: write, fsync, rename).
pub fn record(store: &Path, outcome: &PostPublicationOutcome) -> std::io::Result<()> {
    let path = store.join(RECORD_FILE);
    let tmp = store.join(format!(".{RECORD_FILE}.{}", std::process::id()));
    let text = serde_json::to_string_pretty(outcome).map_err(std::io::Error::other)?;
    {
        let mut file = std::fs::File::create(&tmp)?;
        std::io::Write::write_all(&mut file, text.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, &path)
}

/// The last recorded outcome in the publication store, if any.
pub fn last(store: &Path) -> Option<PostPublicationOutcome> {
    let text = std::fs::read_to_string(store.join(RECORD_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(dir: &Path) -> PublicationFacts<'_> {
        PublicationFacts {
            id: "20261202T220000.000000Z",
            dir,
            out: dir,
            rpz_origin: "rpz.jednotny-seznam.cz",
            rpz_serial: 2026120201,
            valid_as_of: chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
        }
    }

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    #[test]
    fn the_command_gets_the_publication_and_its_failures_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let ok = run(
            &sh(
                "test \"$UB_RPZ_SERIAL\" = 2026120201 && test -n \"$UB_RPZ_FILE\" && echo fine >&2",
            ),
            &facts(dir.path()),
            Duration::from_secs(10),
        );
        assert!(ok.ok, "{ok:?}");
        assert_eq!(ok.stderr, "fine");
        let failed = run(
            &sh("echo 'zone not found' >&2; exit 3"),
            &facts(dir.path()),
            Duration::from_secs(10),
        );
        assert!(!failed.ok);
        assert!(
            failed
                .failure
                .as_deref()
                .unwrap()
                .contains("exit status: 3"),
            "{failed:?}"
        );
        assert_eq!(failed.stderr, "zone not found");
        let slow = run(
            &sh("sleep 5"),
            &facts(dir.path()),
            Duration::from_millis(200),
        );
        assert!(
            slow.failure.as_deref().unwrap().contains("timed out"),
            "{slow:?}"
        );
        assert!(slow.elapsed_ms < 4000);
        let missing = run(
            &["/nonexistent/knotc".to_owned()],
            &facts(dir.path()),
            Duration::from_secs(1),
        );
        assert!(
            missing.failure.as_deref().unwrap().contains("cannot start"),
            "{missing:?}"
        );
        record(dir.path(), &failed).unwrap();
        assert_eq!(last(dir.path()), Some(failed));
    }
}
