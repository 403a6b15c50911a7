//! Tier `blocklist-zone`: blocklist-model's RPZ zone of the real lists against BIND's
//! `named-checkzone`.

use crate::util::{exec, have, tier_tests};
use anyhow::{Result, bail};

/// Runs the named-checkzone-backed tests of blocklist-model.
pub(crate) fn run() -> Result<()> {
    if !have("named-checkzone") {
        bail!("named-checkzone is missing; `cargo xtask setup` installs bind9-utils");
    }
    exec(tier_tests("blocklist-model", "zone_check").env("NAMED_CHECKZONE", "named-checkzone"))
}
