//! Tier `volby`: czso-media-feed's generated PS documents against ČSÚ's XSDs with xmllint.

use crate::util::{exec, have, tier_tests};
use anyhow::{Result, bail};

/// Runs the xmllint-backed tests of czso-media-feed.
pub(crate) fn run() -> Result<()> {
    if !have("xmllint") {
        bail!("xmllint is missing; `cargo xtask setup` installs libxml2-utils");
    }
    exec(tier_tests("czso-media-feed", "xsd").env("XMLLINT", "xmllint"))
}
