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

use crate::util::{cargo, exec, have, project_root, target_dir};
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

/// Where the release is written.
pub(crate) fn artifacts_dir() -> PathBuf {
    target_dir().join("release-artifacts")
}

/// The Debian package of `binary` in the artifacts (`deb/<binary>_<version>-1_<arch>.deb`).
pub(crate) fn deb_of(binary: &str) -> Result<PathBuf> {
    let dir = artifacts_dir().join("deb");
    let prefix = format!("{binary}_");
    for entry in fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".deb")) {
            return Ok(path);
        }
    }
    bail!(
        "no package {binary}_*.deb in {}; run `cargo xtask release`",
        dir.display()
    )
}

pub(crate) fn run() -> Result<()> {
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
    let out = artifacts_dir();
    if out.exists() {
        fs::remove_dir_all(&out).with_context(|| format!("cannot remove {}", out.display()))?;
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

    let mut build = cargo();
    build.args(["build", "--release", "--locked"]);
    for (package, _) in TOOLS {
        build.args(["-p", package]);
    }
    exec(&mut build)?;

    let release = target_dir().join("release");
    let mut sizes = String::new();
    for (package, binary) in TOOLS {
        let exe = release.join(binary);
        // Where the package metadata's assets expect them (`target/release/generated/…`).
        let generated = release.join("generated").join(binary);
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
                .arg(out.join("deb")),
        )?;
        let deb = deb_of(binary)?;
        lintian(&deb)?;
        writeln!(sizes, "| `{binary}` | {} | {} |", kib(&exe)?, kib(&deb)?)?;
    }

    sbom(&out.join("sbom"))?;
    release_notes(&out.join("RELEASE-NOTES.md"), &sizes)?;
    checksums(&out)?;
    eprintln!(
        "release: {} in {:.0} s\n| binary | size (KiB) | Debian package (KiB) |\n|---|---|---|\n{sizes}",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
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
/// except the tags listed in `xtask/release/lintian-suppressed.txt` with their reasons.
fn lintian(deb: &Path) -> Result<()> {
    let list = project_root().join("xtask/release/lintian-suppressed.txt");
    let text =
        fs::read_to_string(&list).with_context(|| format!("cannot read {}", list.display()))?;
    let suppressed: Vec<&str> = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|tag| !tag.is_empty())
        .collect();
    let mut cmd = Command::new("lintian");
    cmd.args(["--fail-on", "error,warning,info", "--display-info"]);
    if !suppressed.is_empty() {
        cmd.arg("--suppress-tags").arg(suppressed.join(","));
    }
    exec(cmd.arg(deb))
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
    for member in workspace_member_dirs()? {
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

/// The directory of every workspace member (`cargo metadata --no-deps`: each package's
/// `"manifest_path"`; JSON-escaped characters do not occur in this checkout's paths).
fn workspace_member_dirs() -> Result<Vec<PathBuf>> {
    let output = cargo()
        .args(["metadata", "--no-deps", "--format-version", "1", "--locked"])
        .output()
        .context("cannot run cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let json = String::from_utf8(output.stdout).context("cargo metadata printed non-UTF-8")?;
    const KEY: &str = "\"manifest_path\":\"";
    let dirs: Vec<PathBuf> = json
        .split(KEY)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter_map(|manifest| Path::new(manifest).parent().map(Path::to_path_buf))
        .collect();
    if dirs.is_empty() {
        bail!("cargo metadata listed no workspace member");
    }
    Ok(dirs)
}

fn git(args: &[&str]) -> Result<String> {
    let output = Command::new("git")
        .current_dir(project_root())
        .args(args)
        .output()
        .context("cannot run git")?;
    if !output.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The release notes: the version, the commits since the last tag (all of them before the
/// first tag), and the sizes.
fn release_notes(path: &Path, sizes: &str) -> Result<()> {
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
    let output = Command::new("sha256sum")
        .current_dir(out)
        .args(&files)
        .output()
        .context("cannot run sha256sum")?;
    if !output.status.success() {
        bail!(
            "sha256sum: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
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
