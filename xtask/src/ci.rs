//! `cargo xtask ci`: the gate. If it passes locally, CI is green too.

use crate::tiers;
use crate::util::{cargo, exec};
use anyhow::Result;
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

/// Every test: the workspace's unit, integration and doc tests, then every tier.
pub(crate) fn test_all() -> Result<()> {
    exec(cargo().args(["test", "--workspace", "--locked"]))?;
    for tier in tiers::ALL {
        tiers::run(tier.name)?;
    }
    Ok(())
}
