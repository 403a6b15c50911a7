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
        name: "volby",
        about: "czso-media-feed: generated PS documents against ČSÚ's XSDs (xmllint)",
        run: crate::tier_volby::run,
    },
    Tier {
        name: "blocklist-zone",
        about: "blocklist-model: RPZ zone of the real lists against BIND's named-checkzone",
        run: crate::tier_blocklist_zone::run,
    },
];

/// Runs the tier called `name`.
pub(crate) fn run(name: &str) -> Result<()> {
    match ALL.iter().find(|tier| tier.name == name) {
        Some(tier) => {
            eprintln!("== tier {name}: {}", tier.about);
            (tier.run)()
        }
        None => bail!("unknown tier `{name}`; `cargo xtask tiers` lists them"),
    }
}
