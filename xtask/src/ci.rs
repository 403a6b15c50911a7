//! `cargo xtask ci`: the gate. If it passes locally, CI is green too.

use crate::tiers;
use crate::util::{cargo, exec};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// fmt check, clippy with `-D warnings`, all tests (with every tier), `cargo package
/// --workspace` with verification, docs with `-D warnings`.
pub(crate) fn run() -> Result<()> {
    exec(cargo().args(["fmt", "--all", "--", "--check"]))?;
    exec(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;
    test_all()?;
    // After the tests: the verification builds reuse the dependencies `cargo test` built
    // (same target directory and profile), so only what a crate's own features change and
    // the packaged crates themselves are compiled again.
    eprintln!(
        "== ci: cargo package --workspace, each crate built from its .crate (cargo xtask package)"
    );
    let started = Instant::now();
    package()?;
    eprintln!(
        "== ci: cargo package --workspace verified in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    exec(
        cargo()
            .args(["doc", "--workspace", "--no-deps", "--locked"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )
}

/// `cargo package --workspace` with verification: every publishable crate builds from its
/// `.crate` alone (nothing it embeds lies outside it; its metadata is complete). The build
/// uses `target/package/`, removed afterwards: it is a second copy of every workspace crate.
pub(crate) fn package() -> Result<()> {
    let target = crate::util::target_dir();
    forget_earlier_verification(&target)?;
    // The verification builds share the workspace's target directory (explicitly: an
    // ephemeral workspace would otherwise build every dependency again under
    // target/package/<crate>/target, once per crate) and, through .cargo/config.toml, its
    // dev profile, so the dependencies the workspace's own builds compiled are reused.
    exec(
        cargo()
            // xtask and testsuite are `publish = false`: never packaged.
            .args([
                "package",
                "--workspace",
                "--exclude",
                "xtask",
                "--exclude",
                "testsuite",
            ])
            .args(["--locked", "--allow-dirty"])
            .env("CARGO_TARGET_DIR", &target),
    )?;
    let dir = target.join("package");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

/// Removes what an earlier `cargo package --workspace` left for the next one to trust.
///
/// The verification builds each dependent against its dependencies' new `.crate`s, served by
/// a temporary registry. Cargo extracts a registry crate once, into
/// `$CARGO_HOME/registry/src/-<hash>/<name>-<version>`, and never again (registry crates do
/// not change), and the units built from it stay fresh (extracted files carry cargo's fixed
/// 2006 mtime). So a second run on changed sources of the same version built dependents
/// against the first run's code: a false failure (czso-media-feed did not find the function
/// opendata-http had just gained) or, worse, a false pass. A clean CI machine never sees it; a
/// developer's second gate does. Both the extractions of the workspace's packages and the
/// target's units built from them go.
fn forget_earlier_verification(target: &Path) -> Result<()> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set")?;
    let registry_src = cargo_home.join("registry/src");
    let names = crate::util::workspace_member_dirs()?
        .iter()
        .map(|dir| crate::util::package_name(dir))
        .collect::<Result<Vec<_>>>()?;
    // A temporary registry is a local one, whose directory name has no host: `-<hash>`.
    let temporary = read_dir_paths(&registry_src)?.into_iter().filter(|dir| {
        dir.file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with('-'))
    });
    for registry in temporary {
        for extracted in read_dir_paths(&registry)? {
            let Some(file_name) = extracted
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
            else {
                continue;
            };
            let ours = names.iter().any(|name| {
                file_name
                    .strip_prefix(name.as_str())
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()))
            });
            if ours {
                std::fs::remove_dir_all(&extracted)
                    .with_context(|| format!("cannot remove {}", extracted.display()))?;
            }
        }
    }
    // rustc's dep-info (`deps/<crate>-<hash>.d`) names the source files with absolute paths;
    // a unit built from the temporary registry loses its fingerprint (`.fingerprint/*-<hash>`)
    // and is built again.
    let marker = format!("{}/-", registry_src.display());
    let profile = target.join("debug");
    let fingerprints = read_dir_paths(&profile.join(".fingerprint"))?;
    for dep_info in read_dir_paths(&profile.join("deps"))? {
        if dep_info.extension().is_none_or(|ext| ext != "d") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&dep_info) else {
            continue;
        };
        if !text.contains(&marker) {
            continue;
        }
        let Some(hash) = dep_info.file_stem().and_then(|stem| {
            stem.to_string_lossy()
                .rsplit_once('-')
                .map(|(_, h)| h.to_owned())
        }) else {
            continue;
        };
        let suffix = format!("-{hash}");
        for fingerprint in &fingerprints {
            if fingerprint
                .file_name()
                .is_some_and(|name| name.to_string_lossy().ends_with(&suffix))
                && fingerprint.exists()
            {
                std::fs::remove_dir_all(fingerprint)
                    .with_context(|| format!("cannot remove {}", fingerprint.display()))?;
            }
        }
    }
    Ok(())
}

/// The entries of `dir`; none when it does not exist yet.
fn read_dir_paths(dir: &Path) -> Result<Vec<PathBuf>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|entry| Ok(entry?.path()))
            .collect::<std::io::Result<Vec<_>>>()
            .with_context(|| format!("cannot list {}", dir.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("cannot list {}", dir.display())),
    }
}

/// Every test: the workspace's unit, integration and doc tests, then every tier.
pub(crate) fn test_all() -> Result<()> {
    exec(cargo().args(["test", "--workspace", "--locked"]))?;
    for tier in tiers::ALL {
        tiers::run(tier.name)?;
    }
    Ok(())
}
