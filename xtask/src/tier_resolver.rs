//! Tier `resolver`: unified-blocklist's RPZ zone loaded into a real Unbound on loopback.
//!
//! Publishes the list from the embedded NKOD into a work directory, starts Unbound with that
//! zone as an RPZ and a local root zone whose wildcard answers every name (Unbound applies RPZ
//! to upstream answers, not to `local-data`, see recipes.md), then runs the tests that query it
//! with `dig` and check the zone with `named-checkzone`. Unbound is stopped by its pid.

use crate::util::{ServerProcess, cargo, exec, have, project_root, tier_tests, wait_for_port};
use anyhow::{Context, Result, bail};
use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::time::Duration;

/// The RPZ origin `unified-blocklist` uses by default.
const RPZ_ORIGIN: &str = "rpz.jednotny-seznam.cz";

pub(crate) fn run() -> Result<()> {
    for tool in ["unbound", "dig", "named-checkzone"] {
        if !have(tool) {
            bail!(
                "{tool} is missing; `cargo xtask setup` installs unbound, bind9-dnsutils and bind9-utils"
            );
        }
    }
    let work = project_root().join("target/tier-resolver");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let out = work.join("out");
    exec(
        cargo()
            .args([
                "run",
                "-q",
                "-p",
                "unified-blocklist-cli",
                "--",
                "update",
                "--out",
            ])
            .arg(&out)
            .arg("--state")
            .arg(work.join("state")),
    )?;
    let zone = std::fs::canonicalize(out.join("jednotny-seznam.rpz"))
        .context("the update published no RPZ zone")?;

    std::fs::write(
        work.join("root.zone"),
        ". 3600 IN SOA a.root-servers.test. hostmaster.test. 1 3600 600 86400 300\n\
         . 3600 IN NS a.root-servers.test.\n\
         a.root-servers.test. 3600 IN A 127.0.0.1\n\
         *. 300 IN A 192.0.2.1\n",
    )?;
    // A free loopback port (TCP and UDP are both used by Unbound; the TCP probe is enough here).
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let config = format!(
        "server:\n  interface: 127.0.0.1\n  port: {port}\n  do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n  \
         directory: \"{dir}\"\n  pidfile: \"{dir}/unbound.pid\"\n  use-syslog: no\n  logfile: \"{dir}/unbound.log\"\n  \
         access-control: 127.0.0.0/8 allow\n  module-config: \"respip iterator\"\n  do-ip6: no\n\
         auth-zone:\n  name: \".\"\n  zonefile: \"{dir}/root.zone\"\n  for-downstream: no\n  for-upstream: yes\n  fallback-enabled: no\n\
         rpz:\n  name: \"{RPZ_ORIGIN}.\"\n  zonefile: \"{zone}\"\n  rpz-log: yes\n",
        dir = work.display(),
        zone = zone.display(),
    );
    let config_path = work.join("unbound.conf");
    std::fs::write(&config_path, config)?;
    exec(Command::new("unbound-checkconf").arg(&config_path))?;
    let _unbound = ServerProcess::spawn(
        "unbound",
        Command::new("unbound")
            .arg("-d")
            .arg("-c")
            .arg(&config_path),
    )?;
    wait_for_port(
        SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(20),
    )?;
    exec(
        tier_tests("unified-blocklist", "resolver")
            .env("UB_RESOLVER_ADDR", format!("127.0.0.1:{port}"))
            .env("UB_RESOLVER_OUT", &out)
            .env("UB_RPZ_ORIGIN", RPZ_ORIGIN),
    )
}
