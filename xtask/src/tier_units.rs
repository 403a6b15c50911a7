//! Tier `units`: the systemd units of both daemons (`docs/unified-blocklist/*.service|timer`,
//! `docs/czso-media-feed/*.service`) checked by `systemd-analyze verify` (which works without
//! systemd as PID 1) and rated by `systemd-analyze security --offline=true`.
//!
//! `verify` insists that `ExecStart=` names an executable file, so the units are checked as
//! copies whose `/usr/bin/` (where the Debian packages install them) points at the binaries just built; nothing else changes. Any
//! line `verify` prints (an unknown key, a bad value, a `Documentation=man:` page the binaries do
//! not generate) fails the tier, as does an exposure level
//! above [`MAX_EXPOSURE`] or a missing directive of the project's hardening list.

use crate::util::{cargo, exec, have, project_root, target_dir};
use anyhow::{Context, Result, bail};
use std::process::Command;

/// `systemd-analyze security` rates 0.0 (tight) … 10.0 (exposed); up to 2.0 is "OK".
const MAX_EXPOSURE: f64 = 2.0;

/// Directives every long-running or update service must carry.
const REQUIRED: &[&str] = &[
    "User=",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "ReadWritePaths=",
];

pub(crate) fn run() -> Result<()> {
    if !have("systemd-analyze") {
        bail!("systemd-analyze is missing; `cargo xtask setup` installs systemd");
    }
    exec(cargo().args([
        "build",
        "-p",
        "unified-blocklist-cli",
        "-p",
        "czso-media-feed-cli",
    ]))?;
    let bin = target_dir().join("debug");
    let work = project_root().join("target/tier-units");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let mut units = Vec::new();
    for dir in ["docs/unified-blocklist", "docs/czso-media-feed"] {
        for entry in std::fs::read_dir(project_root().join(dir))? {
            let path = entry?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            if !(name.ends_with(".service") || name.ends_with(".timer")) {
                continue;
            }
            let text = std::fs::read_to_string(&path)?;
            if name.ends_with(".service") {
                for directive in REQUIRED {
                    if !text.lines().any(|l| l.starts_with(directive)) {
                        bail!("{}: no `{directive}` line", path.display());
                    }
                }
                if text.contains("run\n") || text.contains(" serve ") {
                    let limit = text
                        .lines()
                        .find_map(|l| l.strip_prefix("LimitNOFILE="))
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .with_context(|| format!("{}: no LimitNOFILE=", path.display()))?;
                    if limit < 65_536 {
                        bail!("{}: LimitNOFILE={limit} is below 65536", path.display());
                    }
                }
            }
            let copy = work.join(&name);
            std::fs::write(
                &copy,
                text.replace("/usr/bin/", &format!("{}/", bin.display())),
            )?;
            units.push(copy);
        }
    }
    units.sort();
    // `verify` runs `man` for every `Documentation=man:…` key. The pages come with the
    // packages, so here they are the ones the binaries just built generate (as `cargo xtask
    // release` does), found through MANPATH: a key naming a page no binary writes fails.
    let docs = work.join("docs");
    for tool in ["unified-blocklist", "czso-media-feed"] {
        exec(
            Command::new(bin.join(tool))
                .arg("--generate-docs")
                .arg(&docs),
        )?;
    }
    eprintln!(
        "$ MANPATH={} systemd-analyze verify {} units",
        docs.join("man").display(),
        units.len()
    );
    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .args(&units)
        .env("MANPATH", docs.join("man"))
        .output()
        .context("run systemd-analyze verify")?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    if !verify.status.success() || !said.trim().is_empty() {
        bail!("systemd-analyze verify ({}):\n{said}", verify.status);
    }
    println!("systemd-analyze verify: {} units, no finding", units.len());
    for unit in units
        .iter()
        .filter(|u| u.extension().is_some_and(|e| e == "service"))
    {
        let out = Command::new("systemd-analyze")
            .args(["security", "--offline=true", "--no-pager"])
            .arg(unit)
            .output()
            .context("run systemd-analyze security")?;
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find(|l| l.contains("Overall exposure level"))
            .with_context(|| format!("no exposure level for {}:\n{text}", unit.display()))?;
        let level: f64 = line
            .rsplit(':')
            .next()
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("cannot read {line:?}"))?;
        println!("{}", line.trim_start_matches(['→', ' ']));
        if level > MAX_EXPOSURE {
            bail!(
                "{}: exposure {level} is above {MAX_EXPOSURE}",
                unit.display()
            );
        }
    }
    Ok(())
}
