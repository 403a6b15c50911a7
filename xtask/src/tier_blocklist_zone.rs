//! Tier `blocklist-zone`: blocklist-model's RPZ zone of the real lists against BIND's
//! `named-checkzone`.

use crate::util::{cargo, exec, have};
use anyhow::{Result, bail};

/// Runs the named-checkzone-backed tests of blocklist-model.
pub(crate) fn run() -> Result<()> {
    if !have("named-checkzone") {
        bail!("named-checkzone is missing; `cargo xtask setup` installs bind9-utils");
    }
    exec(
        cargo()
            .args([
                "test",
                "-p",
                "blocklist-model",
                "--test",
                "zone_check",
                "--",
                "--ignored",
            ])
            .env("NAMED_CHECKZONE", "named-checkzone"),
    )
}
