//! Test tiers: tests that need real third-party servers or tools (Virtuoso, @ldf/server,
//! Unbound, Chromium, xmllint, …).
//!
//! A tier's tests are ordinary Rust tests marked `#[ignore = "tier NAME: cargo xtask tier NAME"]`.
//! The tier's function starts the servers it needs on loopback (each stopped by its own pid when
//! the tier ends, see [`crate::util::ServerProcess`]), passes their addresses in environment
//! variables, and runs those tests with `--ignored`. A tier test whose variables are missing
//! fails; it never passes silently.

use anyhow::{Result, bail};

/// One tier.
pub(crate) struct Tier {
    pub(crate) name: &'static str,
    pub(crate) about: &'static str,
    pub(crate) run: fn() -> Result<()>,
}

/// Every tier, in the order `cargo xtask ci` runs them.
pub(crate) const ALL: &[Tier] = &[
    Tier {
        name: "interop",
        about: "nkod-client: SPARQL against Virtuoso, LDF against @ldf/server 3, same snapshot; Comunica request counts",
        run: crate::tier_interop::run,
    },
    Tier {
        name: "volby",
        about: "czso-media-feed: generated PS documents against ČSÚ's XSDs (xmllint)",
        run: crate::tier_volby::run,
    },
    Tier {
        name: "blocklist-zone",
        about: "blocklist-model: RPZ zone of the real lists against BIND's named-checkzone",
        run: crate::tier_blocklist_zone::run,
    },
    Tier {
        name: "resolver",
        about: "unified-blocklist: the published RPZ zone in Unbound on loopback (dig), and named-checkzone",
        run: crate::tier_resolver::run,
    },
    Tier {
        name: "dns",
        about: "unified-blocklist: Knot DNS primary -> Unbound RPZ secondary and BIND response-policy (AXFR, IXFR, NOTIFY, serials, policies)",
        run: crate::tier_dns::run,
    },
    Tier {
        name: "forwarded",
        about: "czso-media-feed: client addresses behind real HAProxy (option forwardfor) and nginx (proxy_add_x_forwarded_for)",
        run: crate::tier_forwarded::run,
    },
    Tier {
        name: "units",
        about: "the systemd units of both daemons: systemd-analyze verify and security --offline",
        run: crate::tier_units::run,
    },
    Tier {
        name: "packages",
        about: "the Debian packages of the tested binaries (the release's steps after the build): lintian, dpkg -i, update with the packaged config, man page, --help, dpkg --purge leaves nothing (as root or through sudo)",
        run: crate::tier_packages::run,
    },
    Tier {
        name: "browser",
        about: "unified-blocklist: the web page in headless Chromium (console, row count, filtering, screenshot)",
        run: crate::tier_browser::run,
    },
];

/// Tiers run only when asked for (`cargo xtask tier NAME`), not by `cargo xtask ci`: they
/// build the whole release first, which would add a release build of every tool to the gate.
pub(crate) const ON_DEMAND: &[Tier] = &[Tier {
    name: "packages-release",
    about: "tier packages on the release build itself (cargo xtask release first; not in ci)",
    run: crate::tier_packages::run_release,
}];

/// Runs the tier called `name`.
pub(crate) fn run(name: &str) -> Result<()> {
    match ALL.iter().chain(ON_DEMAND).find(|tier| tier.name == name) {
        Some(tier) => {
            eprintln!("== tier {name}: {}", tier.about);
            (tier.run)()
        }
        None => bail!("unknown tier `{name}`; `cargo xtask tiers` lists them"),
    }
}
