//! Tier `browser`: unified-blocklist's web page in real headless Chromium.
//!
//! Publishes the list from the embedded NKOD, copies the page and the CSV with the test
//! harness into a site directory, serves it with `unified-blocklist serve` on loopback
//! (stopped by its pid), and runs the tests that drive Chromium against it.

use crate::util::{ServerProcess, cargo, exec, have, project_root, tier_tests, wait_for_port};
use anyhow::{Context, Result, bail};
use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::time::Duration;

pub(crate) fn run() -> Result<()> {
    if !have("chromium") {
        bail!("chromium is missing; `cargo xtask setup` installs it");
    }
    let root = project_root();
    let work = root.join("target/tier-browser");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    exec(cargo().args(["build", "-q", "-p", "unified-blocklist-cli"]))?;
    let binary = crate::util::target_dir().join("debug/unified-blocklist");
    let out = work.join("out");
    exec(
        Command::new(&binary)
            .arg("update")
            .arg("--out")
            .arg(&out)
            .arg("--state")
            .arg(work.join("state")),
    )?;

    let site = work.join("site");
    std::fs::create_dir_all(&site)?;
    std::fs::create_dir_all(site.join("archiv"))?;
    for name in [
        "index.html",
        "jednotny-seznam.csv",
        "historie.tsv",
        "archiv/index.html",
    ] {
        std::fs::copy(out.join(name), site.join(name))
            .with_context(|| format!("cannot copy {name}"))?;
    }
    let harness = root.join("crates/unified-blocklist/tests/browser");
    for name in [
        "harness.html",
        "nojs-harness.html",
        "console-control.html",
        "axe-harness.html",
        "axe-control.html",
        "form-harness.html",
    ] {
        std::fs::copy(harness.join(name), site.join(name))
            .with_context(|| format!("cannot copy {name}"))?;
    }
    // axe-core from npm (`cargo xtask setup`), served beside the harness.
    let axe = root.join("xtask/deps/node_modules/axe-core/axe.min.js");
    std::fs::copy(&axe, site.join("axe.min.js")).with_context(|| {
        format!(
            "cannot copy {}; `cargo xtask setup` installs axe-core",
            axe.display()
        )
    })?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let _server = ServerProcess::spawn(
        "unified-blocklist serve",
        Command::new(&binary)
            .arg("serve")
            .arg("--out")
            .arg(&site)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}")),
    )?;
    wait_for_port(
        SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(20),
    )?;
    let screenshot = work.join("jednotny-seznam.png");
    exec(
        tier_tests("unified-blocklist", "browser")
            .args(["--test-threads=1"])
            .env("UB_BROWSER_URL", format!("http://127.0.0.1:{port}/"))
            .env("UB_BROWSER_OUT", &out)
            .env("UB_SCREENSHOT", &screenshot),
    )?;
    eprintln!("screenshot: {}", screenshot.display());
    Ok(())
}
