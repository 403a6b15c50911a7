//! `cargo xtask release`: everything a release publishes, in `target/release-artifacts/`.
//!
//! - `bin/`: the release binaries of every tool (stripped copies are inside the packages);
//! - `man/man1/` and `completions/{bash,zsh,fish}/`: written by each binary itself
//!   (`--generate-docs`, clap_mangen and clap_complete in `opendata-cli`), so they match its
//!   flags exactly;
//! - `deb/`: one Debian package per tool, built by cargo-deb from `[package.metadata.deb]` of
//!   each binary package, each checked by lintian (every tag fails the release except those in
//!   `xtask/release/lintian-suppressed.txt`, each with its reason);
//! - `sbom/`: a CycloneDX SBOM per binary package (cargo-cyclonedx);
//! - `RELEASE-NOTES.md`: the commits since the last tag, and the sizes;
//! - `SHA256SUMS` over all of the above.
//!
//! `cargo xtask setup` installs cargo-deb, cargo-cyclonedx and lintian.

use crate::util::{capture, cargo, exec, have, project_root, target_dir};
use anyhow::{Context, Result, bail};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The binary packages: (package, binary, Debian package). The Debian package is named after
/// the binary (`[package.metadata.deb] name`).
pub(crate) const TOOLS: &[(&str, &str)] = &[
    ("unified-blocklist-cli", "unified-blocklist"),
    ("czso-media-feed-cli", "czso-media-feed"),
    ("nkod-server-cli", "nkod-server"),
    ("opendata-csv-cli", "opendata-csv"),
    ("vfk-fees", "vfk-fees"),
];

/// Where `cargo xtask release` writes the release.
pub(crate) fn artifacts_dir() -> PathBuf {
    target_dir().join("release-artifacts")
}

/// The Debian package of `binary` in the artifacts `out` (`deb/<binary>_<version>-1_<arch>.deb`).
pub(crate) fn deb_of(out: &Path, binary: &str) -> Result<PathBuf> {
    let dir = out.join("deb");
    let prefix = format!("{binary}_");
    for entry in fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".deb")) {
            return Ok(path);
        }
    }
    bail!("no package {binary}_*.deb in {}", dir.display())
}

/// Which build of the tools a release packages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Binaries {
    /// `cargo build --release`: what `cargo xtask release` publishes.
    Release,
    /// The dev-profile binaries that `cargo test --workspace` built. The gate packages these
    /// (tier `packages`): every step after the build is the release's own, on the same code,
    /// without adding a release build of every tool (about 20 CPU-minutes) to each CI run.
    Tested,
}

/// `cargo xtask release`: the release build, packaged into [`artifacts_dir`].
pub(crate) fn run() -> Result<()> {
    assemble(Binaries::Release, &artifacts_dir())
}

/// Every artifact of a release of `binaries` in `out`, stage by stage: tools and changelogs
/// checked, binaries built, then per tool its docs, its Debian package and lintian's verdict,
/// then the SBOMs, the notes and the checksums.
pub(crate) fn assemble(binaries: Binaries, out: &Path) -> Result<()> {
    let started = Instant::now();
    let missing: Vec<&str> = [
        "cargo-deb",
        "cargo-cyclonedx",
        "lintian",
        "git",
        "sha256sum",
    ]
    .into_iter()
    .filter(|tool| !have(tool))
    .collect();
    if !missing.is_empty() {
        bail!("release: {missing:?} not installed; run `cargo xtask setup`");
    }
    check_changelogs()?;
    let built = build(binaries)?;
    let cargo_target = deb_target_dir(binaries)?;

    if out.exists() {
        fs::remove_dir_all(out).with_context(|| format!("cannot remove {}", out.display()))?;
    }
    for dir in [
        "bin",
        "man/man1",
        "completions/bash",
        "completions/zsh",
        "completions/fish",
        "deb",
        "sbom",
    ] {
        fs::create_dir_all(out.join(dir))
            .with_context(|| format!("cannot create {}", out.join(dir).display()))?;
    }

    // Read once: lintian's spelling findings of every package are looked up in them.
    let sources = project_sources()?;
    let mut sizes = String::new();
    for (package, binary) in TOOLS {
        let exe = built.join(binary);
        // Where the package metadata's assets expect them: `target/release/…` of the target
        // directory cargo-deb is given.
        let staged = cargo_target.join("release");
        if binaries == Binaries::Tested {
            fs::create_dir_all(&staged)
                .with_context(|| format!("cannot create {}", staged.display()))?;
            copy(&exe, &staged.join(binary))?;
        }
        let generated = staged.join("generated").join(binary);
        if generated.exists() {
            fs::remove_dir_all(&generated)?;
        }
        exec(Command::new(&exe).arg("--generate-docs").arg(&generated))?;
        copy(&exe, &out.join("bin").join(binary))?;
        copy_dir(&generated.join("man/man1"), &out.join("man/man1"))?;
        // Debian installs man pages compressed (lintian: uncompressed-manual-page); -n keeps
        // the name and time out of the archive, so the package is reproducible.
        gzip_man_pages(&generated.join("man/man1"))?;
        for shell in ["bash", "zsh", "fish"] {
            copy_dir(
                &generated.join("completions").join(shell),
                &out.join("completions").join(shell),
            )?;
        }
        exec(
            cargo()
                // The release profile keeps line tables (readable backtraces in bin/); the
                // packaged copies are stripped as Debian expects.
                .args([
                    "deb",
                    "--no-build",
                    "--strip",
                    "--locked",
                    "-p",
                    package,
                    "--output",
                ])
                .arg(out.join("deb"))
                .env("CARGO_TARGET_DIR", &cargo_target),
        )?;
        let deb = deb_of(out, binary)?;
        lintian(&deb, &sources)?;
        writeln!(sizes, "| `{binary}` | {} | {} |", kib(&exe)?, kib(&deb)?)?;
    }

    sbom(&out.join("sbom"))?;
    release_notes(binaries, &out.join("RELEASE-NOTES.md"), &sizes)?;
    checksums(out)?;
    eprintln!(
        "release: {} in {:.0} s\n| binary | size (KiB) | Debian package (KiB) |\n|---|---|---|\n{sizes}",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Builds `binaries` (for [`Binaries::Tested`]: the test build, which is no work after `cargo
/// test --workspace` and leaves its features as the tests had them) and returns the directory
/// that holds them.
fn build(binaries: Binaries) -> Result<PathBuf> {
    let mut build = cargo();
    match binaries {
        Binaries::Release => {
            build.args(["build", "--release", "--locked"]);
            for (package, _) in TOOLS {
                build.args(["-p", package]);
            }
        }
        Binaries::Tested => {
            build.args(["test", "--workspace", "--locked", "--no-run"]);
        }
    }
    exec(&mut build)?;
    let dir = target_dir().join(match binaries {
        Binaries::Release => "release",
        Binaries::Tested => "debug",
    });
    for (_, binary) in TOOLS {
        if !dir.join(binary).is_file() {
            bail!("the build left no {}", dir.join(binary).display());
        }
    }
    Ok(dir)
}

/// The target directory cargo-deb reads the binaries and generated docs from. Package
/// metadata names them under `target/release/`; the tested binaries are staged in a
/// directory of their own, so a release build in `target/release` is never overwritten.
fn deb_target_dir(binaries: Binaries) -> Result<PathBuf> {
    Ok(match binaries {
        Binaries::Release => target_dir(),
        Binaries::Tested => {
            let dir = target_dir().join("tested-binaries-for-deb");
            if dir.exists() {
                fs::remove_dir_all(&dir)
                    .with_context(|| format!("cannot remove {}", dir.display()))?;
            }
            dir
        }
    })
}

/// Each package's `debian/changelog` (cargo-deb installs it as `changelog.Debian.gz`) must
/// open with an entry for this version, `<name> (<version>-1)`: a release must not ship the
/// previous version's changelog.
fn check_changelogs() -> Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    for (package, binary) in TOOLS {
        let path = project_root()
            .join("crates")
            .join(package)
            .join("debian/changelog");
        let text =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let expected = format!("{binary} ({version}-1) ");
        if !text.starts_with(&expected) {
            bail!(
                "{}: the newest entry must start with `{expected}`; add an entry for this release",
                path.display()
            );
        }
    }
    Ok(())
}

fn gzip_man_pages(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "1") {
            exec(Command::new("gzip").args(["-9nf"]).arg(&path))?;
        }
    }
    Ok(())
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    for entry in fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry?;
        copy(&entry.path(), &to.join(entry.file_name()))?;
    }
    Ok(())
}

fn kib(path: &Path) -> Result<u64> {
    let len = fs::metadata(path)
        .with_context(|| format!("cannot stat {}", path.display()))?
        .len();
    Ok(len.div_ceil(1024))
}

/// Lintian on one package: any tag (error, warning, info, pedantic are all shown) fails,
/// except the tags listed in `xtask/release/lintian-suppressed.txt` with their reasons, and
/// `spelling-error-in-binary` for a word that occurs nowhere in this project's sources.
/// Lintian reads every string in a binary: the texts of dependencies (ureq's "preceeding")
/// and byte runs of machine code ("wtH") as well, which are not ours to fix and change with
/// every build; a misspelling in our own text is in our sources and still fails.
fn lintian(deb: &Path, sources: &[(String, String)]) -> Result<()> {
    let list = project_root().join("xtask/release/lintian-suppressed.txt");
    let text =
        fs::read_to_string(&list).with_context(|| format!("cannot read {}", list.display()))?;
    let suppressed: Vec<&str> = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|tag| !tag.is_empty())
        .collect();
    let mut cmd = Command::new("lintian");
    // Lintian's own verdict is replaced by the one below; it still fails on its own errors.
    cmd.args(["--fail-on", "none", "--display-info"]);
    if !suppressed.is_empty() {
        cmd.arg("--suppress-tags").arg(suppressed.join(","));
    }
    cmd.arg(deb);
    eprintln!("$ {cmd:?}");
    let output = cmd.output().context("cannot run lintian")?;
    let report = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "lintian failed on {} with {}:\n{report}{}",
            deb.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let findings = unaccepted(&report, sources);
    if !findings.is_empty() {
        bail!(
            "lintian on {}:\n{}\n(fix them, or accept a tag in {} with its reason)",
            deb.display(),
            findings.join("\n"),
            list.display()
        );
    }
    Ok(())
}

/// The findings of a lintian `report` that fail a release: every finding (E, W, I, P, X)
/// except `spelling-error-in-binary` for a word in none of `sources` ((path, text) pairs),
/// which is printed as accepted.
fn unaccepted(report: &str, sources: &[(String, String)]) -> Vec<String> {
    let mut findings = Vec::new();
    for line in report.lines() {
        // `<severity>: <package>: <tag> [<details>…]`
        let Some((severity, rest)) = line.split_once(": ") else {
            continue;
        };
        if !matches!(severity, "E" | "W" | "I" | "P" | "X") {
            continue;
        }
        let mut words = rest.split_whitespace().skip(1);
        if words.next() == Some("spelling-error-in-binary") {
            let word = words.next().unwrap_or("");
            match sources.iter().find(|(_, text)| contains_word(text, word)) {
                Some((path, _)) => findings.push(format!("{line} (\"{word}\" is in {path})")),
                None => eprintln!(
                    "lintian: accepted `{line}`: \"{word}\" is in no source of this project \
                     (a dependency's text or machine code)"
                ),
            }
            continue;
        }
        findings.push(line.to_owned());
    }
    findings
}

/// The text files under `crates/` and `docs/` (what the binaries and packages are built from),
/// as (path, text).
fn project_sources() -> Result<Vec<(String, String)>> {
    let root = project_root();
    let mut files = Vec::new();
    for dir in ["crates", "docs"] {
        collect_files(&root, &root.join(dir), &mut files)?;
    }
    Ok(files
        .into_iter()
        .filter_map(|relative| {
            let text = fs::read_to_string(root.join(&relative)).ok()?;
            Some((relative, text))
        })
        .collect())
}

/// Whether `word` occurs in `text` as a whole word (not inside a longer alphanumeric run).
fn contains_word(text: &str, word: &str) -> bool {
    !word.is_empty()
        && text.match_indices(word).any(|(at, _)| {
            let before = text.get(..at).and_then(|head| head.chars().next_back());
            let after = text
                .get(at + word.len()..)
                .and_then(|tail| tail.chars().next());
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
}

/// One CycloneDX JSON SBOM per binary package: every crate compiled into the binary, with
/// versions, licences and checksums. cargo-cyclonedx writes `<package>.cdx.json` beside the
/// manifest of every workspace member at once; the binaries' SBOMs are moved into the
/// artifacts and the others removed, so the release leaves nothing in the source tree.
fn sbom(dir: &Path) -> Result<()> {
    let root = project_root();
    exec(
        cargo()
            .args(["cyclonedx", "--format", "json", "--manifest-path"])
            .arg(root.join("Cargo.toml")),
    )?;
    for (package, _) in TOOLS {
        let written = root
            .join("crates")
            .join(package)
            .join(format!("{package}.cdx.json"));
        let target = dir.join(format!("{package}.cdx.json"));
        fs::rename(&written, &target).with_context(|| {
            format!("cannot move {} to {}", written.display(), target.display())
        })?;
    }
    for member in crate::util::workspace_member_dirs()? {
        let entries =
            fs::read_dir(&member).with_context(|| format!("cannot list {}", member.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_file()
                && path
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().ends_with(".cdx.json"))
            {
                fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
            }
        }
    }
    Ok(())
}

fn git(args: &[&str]) -> Result<String> {
    let output = capture(Command::new("git").current_dir(project_root()).args(args))?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The release notes: the version, the commits since the last tag (all of them before the
/// first tag), and the sizes.
fn release_notes(binaries: Binaries, path: &Path, sizes: &str) -> Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    let head = git(&["rev-parse", "--short", "HEAD"])?;
    let last_tag = git(&["describe", "--tags", "--abbrev=0"])
        .ok()
        .map(|t| t.trim().to_owned());
    let range = last_tag
        .as_ref()
        .map_or_else(|| "HEAD".to_owned(), |tag| format!("{tag}..HEAD"));
    let log = git(&["log", "--no-merges", "--format=- %s (%h)", &range])?;
    let mut notes = format!("# opendata-cz {version} ({})\n\n", head.trim());
    if binaries == Binaries::Tested {
        notes.push_str(
            "Built from the unoptimised test binaries (`cargo xtask tier packages`); a \
             published release is `cargo xtask release`.\n\n",
        );
    }
    match &last_tag {
        Some(tag) => writeln!(notes, "## Changes since {tag}\n")?,
        None => writeln!(notes, "## Changes (no earlier release tag)\n")?,
    }
    notes.push_str(&log);
    writeln!(
        notes,
        "\n## Artifacts\n\n| binary | size (KiB) | Debian package (KiB) |\n|---|---|---|\n{sizes}"
    )?;
    writeln!(
        notes,
        "Man pages in `man/man1/`, bash/zsh/fish completions in `completions/`, CycloneDX \
         SBOMs in `sbom/`, checksums in `SHA256SUMS`."
    )?;
    fs::write(path, notes).with_context(|| format!("cannot write {}", path.display()))
}

/// `SHA256SUMS` over every file in the artifacts, in the format `sha256sum -c` reads.
fn checksums(out: &Path) -> Result<()> {
    let mut files = Vec::new();
    collect_files(out, out, &mut files)?;
    files.sort();
    let output = capture(Command::new("sha256sum").current_dir(out).args(&files))?;
    let path = out.join("SHA256SUMS");
    fs::write(&path, output.stdout).with_context(|| format!("cannot write {}", path.display()))
}

fn collect_files(root: &Path, dir: &Path, files: &mut Vec<String>) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(root, &path, files)?;
        } else if let Ok(relative) = path.strip_prefix(root) {
            files.push(relative.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{contains_word, unaccepted};

    /// Lines as lintian 2.116 printed them for this project's packages.
    const REPORT: &str = "\
I: unified-blocklist: spelling-error-in-binary preceeding preceding [usr/bin/unified-blocklist]
I: unified-blocklist: spelling-error-in-binary wtH with [usr/bin/unified-blocklist]
N: a note is not a finding
";

    #[test]
    fn a_misspelling_of_a_dependency_or_of_machine_code_is_accepted() {
        let sources = vec![("crates/a/src/lib.rs".to_owned(), "// preceding".to_owned())];
        assert!(unaccepted(REPORT, &sources).is_empty());
    }

    #[test]
    fn a_misspelling_in_our_sources_fails_and_names_the_file() {
        let sources = vec![(
            "crates/a/src/lib.rs".to_owned(),
            "bail!(\"no preceeding row\")".to_owned(),
        )];
        let findings = unaccepted(REPORT, &sources);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].contains("crates/a/src/lib.rs"), "{findings:?}");
    }

    #[test]
    fn every_other_tag_fails() {
        let report = "W: czso-media-feed: binary-without-manpage [usr/bin/x]\n\
                      E: czso-media-feed: dir-or-file-in-opt [opt/x]\n";
        assert_eq!(unaccepted(report, &[]).len(), 2);
    }

    #[test]
    fn whole_words_only() {
        assert!(contains_word("a wtH b", "wtH"));
        assert!(!contains_word("awtHb", "wtH"));
        assert!(!contains_word("wtHx", "wtH"));
        assert!(contains_word("(ment)", "ment"));
        assert!(!contains_word("comment", "ment"));
        assert!(!contains_word("anything", ""));
    }
}
