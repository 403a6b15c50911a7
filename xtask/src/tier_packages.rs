//! Tier `packages`: the release's Debian packages installed on this machine as a user would.
//!
//! Builds the release (`cargo xtask release`), then `dpkg -i` every package, runs
//! `unified-blocklist update` as the package's system user with the packaged
//! `/etc/unified-blocklist.toml` against the embedded catalogue and checks the publication,
//! checks that `man unified-blocklist` renders (with the exit codes) and that every tool's
//! `--help` runs, then `dpkg --purge`s them all and checks that nothing is left: no file the
//! packages installed, and no new path anywhere under /etc, /usr, /var, /lib, /opt or /srv
//! whose name carries a package's name (configuration, state, logs, systemd state).
//!
//! The system users stay after the purge, as Debian practice has it (a UID must not be
//! reused while files of the old owner may remain, e.g. in backups); the tier checks their
//! /etc/passwd entries while installed.
//!
//! Needs root (dpkg) and refuses to touch a machine where one of the packages is already
//! installed.

use crate::release::{self, TOOLS};
use anyhow::{Context, Result, bail};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

/// Where installed files may be left behind.
const ROOTS: &[&str] = &["/etc", "/usr", "/var", "/lib", "/opt", "/srv"];

pub(crate) fn run() -> Result<()> {
    if !is_root() {
        bail!("tier packages installs Debian packages: run it as root (CI does)");
    }
    let names: Vec<&str> = TOOLS.iter().map(|(_, binary)| *binary).collect();
    for name in &names {
        if installed(name) {
            bail!("the package {name} is already installed here; purge it before the tier");
        }
    }
    release::run()?;
    let debs = names
        .iter()
        .map(|name| release::deb_of(name))
        .collect::<Result<Vec<_>>>()?;
    let before = paths_named(&names)?;

    let result = installed_checks(&names, &debs);
    // Purge whatever was installed, even after a failed check.
    let mut purge = Command::new("dpkg");
    purge.arg("--purge").args(&names);
    let purged = checked(&mut purge);
    result?;
    purged?;

    let after = paths_named(&names)?;
    let left: Vec<&String> = after.difference(&before).collect();
    if !left.is_empty() {
        bail!("dpkg --purge left these behind: {left:?}");
    }
    eprintln!(
        "tier packages: {} packages installed, checked and purged without a trace",
        names.len()
    );
    Ok(())
}

fn installed_checks(names: &[&str], debs: &[std::path::PathBuf]) -> Result<()> {
    checked(Command::new("dpkg").arg("-i").args(debs))?;
    let mut files = BTreeSet::new();
    for name in names {
        let listed = checked(Command::new("dpkg").args(["-L", name]))?;
        files.extend(
            String::from_utf8_lossy(&listed.stdout)
                .lines()
                .map(str::to_owned),
        );
    }
    for expected in [
        "/usr/bin/unified-blocklist",
        "/etc/unified-blocklist.toml",
        "/usr/lib/systemd/system/unified-blocklist.service",
        "/usr/lib/systemd/system/unified-blocklist-update.timer",
        "/usr/share/man/man1/unified-blocklist.1.gz",
        "/usr/share/bash-completion/completions/unified-blocklist",
        "/usr/bin/czso-media-feed",
        "/etc/czso-media-feed/feed.toml",
        "/usr/lib/systemd/system/czso-media-feed.service",
    ] {
        if !files.contains(expected) && !Path::new(expected).exists() {
            bail!("the packages do not install {expected}");
        }
    }
    for package in ["unified-blocklist", "czso-media-feed"] {
        check_system_user(package)?;
    }

    // The main job, as the service would run it, on the bundled catalogue.
    checked(Command::new("runuser").args([
        "-u",
        "_unified-blocklist",
        "--",
        "/usr/bin/unified-blocklist",
        "--config",
        "/etc/unified-blocklist.toml",
        "update",
        "--nkod",
        "embedded",
    ]))?;
    let out = Path::new("/var/lib/unified-blocklist/out");
    for file in ["index.html", "stav.json"] {
        let path = out.join(file);
        if !path.is_file() {
            bail!("update published no {}", path.display());
        }
    }
    checked(Command::new("runuser").args([
        "-u",
        "_unified-blocklist",
        "--",
        "/usr/bin/unified-blocklist",
        "--config",
        "/etc/unified-blocklist.toml",
        "verify",
    ]))?;

    let page = checked(
        Command::new("man")
            .args(["-P", "cat", "unified-blocklist"])
            .env("MANWIDTH", "100"),
    )?;
    let page = String::from_utf8_lossy(&page.stdout);
    if !(page.contains("unified-blocklist") && page.contains("Exit codes")) {
        bail!("man unified-blocklist does not render the page with its exit codes:\n{page}");
    }
    for name in names {
        let help = checked(Command::new(format!("/usr/bin/{name}")).arg("--help"))?;
        if !String::from_utf8_lossy(&help.stdout).contains("Exit codes") {
            bail!("{name} --help lists no exit codes");
        }
    }
    eprintln!("tier packages: installed, update published, man page and --help fine");
    Ok(())
}

/// The account `package`'s postinst made (`adduser --system --group`), as Debian practice
/// has it: named `_<package>` (Policy 9.2.1: a package's new user name starts with an
/// underscore, so it cannot collide with a local account), a UID from the dynamically
/// allocated system range 100–999 (Policy 9.2.2), a group of its own as primary group, home
/// in `/var/lib/<package>` (the service's state), the shell `/usr/sbin/nologin` and no
/// password (locked in /etc/shadow), so nobody logs in as it.
fn check_system_user(package: &str) -> Result<()> {
    let user = format!("_{package}");
    let user = user.as_str();
    let passwd = checked(Command::new("getent").args(["passwd", user]))
        .with_context(|| format!("the package did not create the system user {user}"))?;
    let passwd = String::from_utf8_lossy(&passwd.stdout).trim().to_owned();
    let fields: Vec<&str> = passwd.split(':').collect();
    let [_, password, uid, gid, _, home, shell] = fields.as_slice() else {
        bail!("/etc/passwd entry of {user} has not 7 fields: {passwd}");
    };
    let uid: u32 = uid
        .parse()
        .with_context(|| format!("{user}: UID `{uid}` is not a number"))?;
    if !(100..=999).contains(&uid) {
        bail!("{user}: UID {uid} is outside the system range 100-999 ({passwd})");
    }
    let expected_home = format!("/var/lib/{package}");
    if *home != expected_home || *shell != "/usr/sbin/nologin" || *password != "x" {
        bail!(
            "{user}: expected home {expected_home}, shell /usr/sbin/nologin and the password in \
             /etc/shadow: {passwd}"
        );
    }
    let group = checked(Command::new("getent").args(["group", user]))
        .with_context(|| format!("the package did not create the group {user}"))?;
    let group = String::from_utf8_lossy(&group.stdout).trim().to_owned();
    if group.split(':').nth(2) != Some(*gid) {
        bail!("{user}: the primary group (GID {gid}) is not the group {user} ({group})");
    }
    let shadow = checked(Command::new("getent").args(["shadow", user]))?;
    let shadow = String::from_utf8_lossy(&shadow.stdout).trim().to_owned();
    let locked = shadow
        .split(':')
        .nth(1)
        .is_some_and(|hash| hash.starts_with('*') || hash.starts_with('!'));
    if !locked {
        bail!("{user}: the account has a usable password in /etc/shadow");
    }
    eprintln!("tier packages: {passwd} (group {group}, password locked)");
    Ok(())
}

fn checked(cmd: &mut Command) -> Result<Output> {
    eprintln!("$ {cmd:?}");
    let output = cmd
        .output()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !output.status.success() {
        bail!(
            "{cmd:?} failed with {}:\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(output)
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("installed"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Every path under [`ROOTS`] whose name contains one of `names`.
fn paths_named(names: &[&str]) -> Result<BTreeSet<String>> {
    let output = Command::new("find")
        .args(ROOTS)
        .args(["-xdev", "-path", "/var/lib/dpkg", "-prune", "-o", "-print"])
        .output()
        .context("cannot run find")?;
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|path| names.iter().any(|name| path.contains(name)))
        .map(str::to_owned)
        .collect())
}
