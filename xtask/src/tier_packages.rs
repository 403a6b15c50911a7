//! Tiers `packages` and `packages-release`: the Debian packages installed on this machine as
//! a user would.
//!
//! `packages` (in the gate) packages the binaries the tests built, with every step of the
//! release after the build (generated man pages and completions, cargo-deb, lintian, SBOMs,
//! checksums; see [`release::Binaries::Tested`]); `packages-release` builds and packages the
//! release itself (`cargo xtask release`). Both then `dpkg -i` every package, run
//! `unified-blocklist update` as the package's system user with the packaged
//! `/etc/unified-blocklist.toml` against the embedded catalogue and check the publication,
//! check that `man unified-blocklist` renders (with the exit codes) and that every tool's
//! `--help` runs, then `dpkg --purge` them all and check that nothing is left: no file the
//! packages installed, and no new path anywhere under /etc, /usr, /var, /lib, /opt or /srv
//! whose name carries a package's name (configuration, state, logs, systemd state).
//!
//! The system users stay after the purge, as Debian practice has it (a UID must not be
//! reused while files of the old owner may remain, e.g. in backups); the tier checks their
//! /etc/passwd entries while installed.
//!
//! Installing needs root: the tier runs dpkg, runuser and the checks that read the services'
//! state as root, through `sudo` unless it is root already (as `cargo xtask setup` runs
//! apt-get). It refuses to touch a machine where one of the packages is already installed.

use crate::release::{self, Binaries, TOOLS};
use crate::util::{as_root, capture, dpkg_installed, target_dir};
use anyhow::{Context, Result, bail};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Where installed files may be left behind.
const ROOTS: &[&str] = &["/etc", "/usr", "/var", "/lib", "/opt", "/srv"];

/// Tier `packages`: the packages of the tested binaries.
pub(crate) fn run() -> Result<()> {
    install_and_purge(Binaries::Tested, &target_dir().join("tier-packages"))
}

/// Tier `packages-release`: the packages of the release build.
pub(crate) fn run_release() -> Result<()> {
    install_and_purge(Binaries::Release, &release::artifacts_dir())
}

fn install_and_purge(binaries: Binaries, out: &Path) -> Result<()> {
    let names: Vec<&str> = TOOLS.iter().map(|(_, binary)| *binary).collect();
    for name in &names {
        if dpkg_installed(name) {
            bail!(
                "the package {name} is installed on this machine; the tier installs and purges \
                 its own build, so purge it first (dpkg --purge {name}) or run the tier elsewhere"
            );
        }
    }
    release::assemble(binaries, out)?;
    let debs = names
        .iter()
        .map(|name| release::deb_of(out, name))
        .collect::<Result<Vec<_>>>()?;
    let before = paths_named(&names)?;

    let result = installed_checks(&names, &debs);
    // Purge whatever was installed, even after a failed check.
    let mut purge = as_root("dpkg");
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

fn installed_checks(names: &[&str], debs: &[PathBuf]) -> Result<()> {
    checked(as_root("dpkg").arg("-i").args(debs))?;
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
    checked(as_root("runuser").args([
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
    // As root: the service's state directory is not for other users to read.
    let out = Path::new("/var/lib/unified-blocklist/out");
    for file in ["index.html", "stav.json"] {
        let path = out.join(file);
        checked(as_root("test").arg("-f").arg(&path))
            .with_context(|| format!("update published no {}", path.display()))?;
    }
    checked(as_root("runuser").args([
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
    let shadow = checked(as_root("getent").args(["shadow", user]))?;
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

/// [`capture`], with the command printed first as the other steps print theirs.
fn checked(cmd: &mut Command) -> Result<Output> {
    eprintln!("$ {cmd:?}");
    capture(cmd)
}

/// Every path under [`ROOTS`] whose name contains one of `names`.
fn paths_named(names: &[&str]) -> Result<BTreeSet<String>> {
    // As root: state and log directories of services are not world-readable.
    let output = as_root("find")
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
