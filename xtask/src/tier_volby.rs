//! Tier `volby`: czso-media-feed's generated PS documents against ČSÚ's XSDs with xmllint.

use crate::util::{cargo, exec, have};
use anyhow::{Result, bail};

/// Runs the xmllint-backed tests of czso-media-feed.
pub(crate) fn run() -> Result<()> {
    if !have("xmllint") {
        bail!("xmllint is missing; `cargo xtask setup` installs libxml2-utils");
    }
    exec(
        cargo()
            .args([
                "test",
                "-p",
                "czso-media-feed",
                "--test",
                "xsd",
                "--",
                "--ignored",
            ])
            .env("XMLLINT", "xmllint"),
    )
}
