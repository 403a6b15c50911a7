//! `cargo xtask setup`: installs the system tools the test tiers and the release need.
//!
//! Debian packages come from `xtask/deps/apt.txt` (one per line, `#` comments), cargo
//! plugins from `xtask/deps/cargo.txt`, npm packages from `xtask/deps/package.json` and `xtask/deps/comunica/package.json` (each installed into
//! its own `node_modules`) and Python packages from `xtask/deps/requirements.txt` (into the venv
//! `xtask/deps/venv`). Every step is idempotent, so CI on a fresh machine and a developer's
//! machine run the same command.

use crate::util::{as_root, dpkg_installed, exec, have, project_root};
use anyhow::{Context, Result, bail};
use std::process::Command;

pub(crate) fn run_apt() -> Result<()> {
    let list_path = project_root().join("xtask/deps/apt.txt");
    let list = std::fs::read_to_string(&list_path)
        .with_context(|| format!("cannot read {}", list_path.display()))?;
    let wanted: Vec<&str> = list
        .lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|name| !name.is_empty())
        .collect();
    let missing: Vec<&str> = wanted
        .into_iter()
        .filter(|pkg| !dpkg_installed(pkg))
        .collect();
    if missing.is_empty() {
        eprintln!("setup: every Debian package in xtask/deps/apt.txt is installed");
        return Ok(());
    }
    if !have("apt-get") {
        bail!("setup: missing Debian packages {missing:?} and no apt-get to install them");
    }
    let apt = |args: &[&str]| {
        let mut cmd = as_root("apt-get");
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    exec(&mut apt(&["update", "-q"]))?;
    let mut install = apt(&["install", "-y", "-q", "--no-install-recommends"]);
    install.args(&missing);
    exec(&mut install)
}

pub(crate) fn run_npm() -> Result<()> {
    let deps = project_root().join("xtask/deps");
    // Each folder is its own npm tree (see xtask/deps/package.json for why Comunica is apart).
    for dir in [deps.clone(), deps.join("comunica")] {
        if !dir.join("package.json").is_file() {
            continue;
        }
        if !have("npm") {
            bail!(
                "setup: {} lists npm packages but npm is not installed",
                dir.display()
            );
        }
        // `ci` installs exactly the lock file's versions; no install scripts, because the only
        // native build (@ldf/server's hdt datasource) is not used and would take many minutes.
        let mode = if dir.join("package-lock.json").is_file() {
            "ci"
        } else {
            "install"
        };
        exec(Command::new("npm").current_dir(&dir).args([
            mode,
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ]))?;
    }
    Ok(())
}

/// The venv `cargo xtask setup` fills from `xtask/deps/requirements.txt`.
pub(crate) fn python_venv() -> std::path::PathBuf {
    project_root().join("xtask/deps/venv")
}

/// The venv's interpreter (what `cargo xtask csvw-bench` runs the Python reference with).
pub(crate) fn venv_python() -> std::path::PathBuf {
    python_venv().join("bin/python")
}

/// Creates the venv when absent and installs the pinned `requirements.txt` into it; pip skips
/// what is already installed at the pinned version.
pub(crate) fn run_python() -> Result<()> {
    let requirements = project_root().join("xtask/deps/requirements.txt");
    if !requirements.is_file() {
        return Ok(());
    }
    if !venv_python().is_file() {
        if !have("python3") {
            bail!(
                "setup: {} lists Python packages but python3 is not installed",
                requirements.display()
            );
        }
        exec(
            Command::new("python3")
                .arg("-m")
                .arg("venv")
                .arg(python_venv()),
        )?;
    }
    exec(
        Command::new(venv_python())
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements),
    )
}

/// Installs everything: Debian packages, npm packages, then the Python venv.
///
/// The venv only serves `cargo xtask csvw-bench` (a benchmark, not part of the gate), so a
/// failure there is reported loudly but does not stop CI from running the tests.
/// The cargo plugins `cargo xtask release` runs, from `xtask/deps/cargo.txt` (`NAME VERSION`
/// per line): each installed with `cargo install --locked` unless that version is on `PATH`.
pub(crate) fn run_cargo() -> Result<()> {
    let list_path = project_root().join("xtask/deps/cargo.txt");
    let list = std::fs::read_to_string(&list_path)
        .with_context(|| format!("cannot read {}", list_path.display()))?;
    for line in list.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        let (Some(name), Some(version)) = (words.next(), words.next()) else {
            continue;
        };
        let present = Command::new(name)
            .args([name.trim_start_matches("cargo-"), "--version"])
            .output()
            .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains(version));
        if present {
            eprintln!("setup: {name} {version} is installed");
            continue;
        }
        exec(crate::util::cargo().args(["install", "--locked", name, "--version", version]))?;
    }
    Ok(())
}

pub(crate) fn run() -> Result<()> {
    run_apt()?;
    run_cargo()?;
    run_npm()?;
    if let Err(error) = run_python() {
        eprintln!(
            "setup: WARNING: the Python reference for `cargo xtask csvw-bench` is not installed \
             ({error:#}); the gate does not need it, the benchmark will say it is missing"
        );
    }
    Ok(())
}
