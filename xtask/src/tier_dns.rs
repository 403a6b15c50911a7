//! Tier `dns`: the published RPZ zone carried to resolvers the way providers take it.
//!
//! Starts on loopback, each with its own pid and free ports:
//! - `nkod-server` over the bundled catalogue snapshot and a *copy* of its list files, so the
//!   tests can change a local list and publish again;
//! - Knot DNS (`knotd`) as the primary of the RPZ zone, reading the published
//!   `out/jednotny-seznam.rpz` with `zonefile-load: difference` (its journal keeps the
//!   differences and serves them as IXFR) and sending NOTIFY to both resolvers; it also serves a
//!   stand-in root zone whose wildcard answers every other name (there is no internet);
//! - Unbound as an RPZ secondary (`rpz:` with `primary:` and `allow-notify:`);
//! - BIND 9 as a recursive resolver with `response-policy` over a secondary zone, transferring
//!   from 127.0.0.3 so the primary's log tells its transfers from Unbound's. The alternate
//!   transfer source is 127.0.0.3 too: BIND 9.18 switches to it after a failed refresh (its
//!   first SOA query can meet the primary before the zone exists: SERVFAIL), and its default
//!   lets the kernel pick 127.0.0.1, Unbound's address.
//!
//! Then runs `unified-blocklist`'s `dns` tier tests, which publish, change lists and query
//! both resolvers (see `crates/unified-blocklist/tests/dns.rs`).

use crate::util::{ServerProcess, exec, free_port, have, project_root, tier_tests, wait_for_port};
use anyhow::{Context, Result, bail};
use std::fs;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The RPZ origin `unified-blocklist` uses by default.
const RPZ_ORIGIN: &str = "rpz.jednotny-seznam.cz";

/// The stand-in root zone: every name not blocked resolves to TEST-NET addresses.
const ROOT_ZONE: &str = "\
. 3600 IN SOA a.root-servers.test. hostmaster.test. 1 3600 600 86400 300
. 3600 IN NS a.root-servers.test.
a.root-servers.test. 3600 IN A 127.0.0.1
*. 300 IN A 192.0.2.1
*. 300 IN AAAA 2001:db8::1
*.cz. 300 IN A 192.0.2.1
*.cz. 300 IN AAAA 2001:db8::1
";

/// A name with 100 addresses: its answer does not fit a 1232-byte UDP payload, so a client
/// must retry over TCP (check-resolver's fallback). It makes `cz.` exist, hence `*.cz.` above.
fn big_answer() -> String {
    (1..=100)
        .map(|i| format!("ub-tier-velka-odpoved.cz. 300 IN A 198.51.100.{i}\n"))
        .collect()
}

fn log_file(path: &Path) -> Result<Stdio> {
    Ok(Stdio::from(fs::File::create(path).with_context(|| {
        format!("cannot create {}", path.display())
    })?))
}

/// The running deployment: servers (stopped by pid when dropped) and the variables the tests
/// read.
struct Deployment {
    _servers: Vec<ServerProcess>,
    env: Vec<(&'static str, String)>,
}

impl Deployment {
    fn tests(&self, test: &str) -> Command {
        let mut cmd = tier_tests("unified-blocklist", "dns");
        cmd.args(["--test-threads=1", "--nocapture", "--exact", test]);
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        cmd
    }
}

pub(crate) fn run() -> Result<()> {
    let deployment = start("tier-dns")?;
    exec(&mut deployment.tests("zone_transfer_to_real_resolvers"))
}

/// `cargo xtask bench-dns`: propagation time, IXFR size for k changed entries, and
/// check-resolver's rate against the local Unbound (release build). Run it under
/// `flock /work/bench.lock`.
pub(crate) fn bench() -> Result<()> {
    exec(crate::util::cargo().args(["build", "-q", "--release", "-p", "unified-blocklist-cli"]))?;
    let load = |when: &str| {
        let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
        eprintln!("load average {when}: {}", load.trim());
    };
    load("before");
    let deployment = start("bench-dns")?;
    exec(
        deployment
            .tests("bench_propagation_transfer_size_and_check_rate")
            .env(
                "UB_DNS_RELEASE_BIN",
                crate::util::target_dir().join("release/unified-blocklist"),
            ),
    )?;
    load("after");
    Ok(())
}

fn start(name: &str) -> Result<Deployment> {
    for tool in [
        "knotd",
        "knotc",
        "named",
        "named-checkconf",
        "unbound",
        "unbound-checkconf",
        "dig",
        "faketime",
    ] {
        if !have(tool) {
            bail!(
                "{tool} is missing; `cargo xtask setup` installs knot, bind9, unbound, bind9-dnsutils and faketime"
            );
        }
    }
    let root = project_root();
    let work = root.join("target").join(name);
    let _ = fs::remove_dir_all(&work);
    for dir in ["soubory", "knot/db", "unbound", "bind"] {
        fs::create_dir_all(work.join(dir))
            .with_context(|| format!("cannot create {}", work.join(dir).display()))?;
    }
    exec(crate::util::cargo().args([
        "build",
        "-q",
        "-p",
        "unified-blocklist-cli",
        "-p",
        "nkod-server-cli",
    ]))?;
    let bin = crate::util::target_dir().join("debug");
    let files = work.join("soubory");
    for entry in fs::read_dir(root.join("testdata/nkod/soubory"))? {
        let entry = entry?;
        fs::copy(entry.path(), files.join(entry.file_name()))?;
    }

    let nkod_port = free_port()?;
    let mut servers = Vec::new();
    servers.push(ServerProcess::spawn(
        "nkod-server",
        Command::new(bin.join("nkod-server"))
            .arg("--snapshot")
            .arg(root.join("testdata/nkod/snapshot.trig"))
            .arg("--files")
            .arg(&files)
            .arg("--listen")
            .arg(format!("127.0.0.1:{nkod_port}"))
            .stdout(log_file(&work.join("nkod-server.log"))?),
    )?);
    wait_for_port(
        SocketAddr::from(([127, 0, 0, 1], nkod_port)),
        Duration::from_secs(30),
    )?;

    let (knot_port, unbound_port, bind_port, rndc_port) =
        (free_port()?, free_port()?, free_port()?, free_port()?);
    let out = work.join("out");
    let dir = work.display();

    // Knot DNS: the primary.
    fs::write(
        work.join("knot/root.zone"),
        format!("{ROOT_ZONE}{}", big_answer()),
    )?;
    let knot_conf = work.join("knot/knot.conf");
    fs::write(
        &knot_conf,
        format!(
            "server:\n    rundir: \"{dir}/knot\"\n    pidfile: \"{dir}/knot/knot.pid\"\n    listen: 127.0.0.1@{knot_port}\n    listen: ::1@{knot_port}\n\
             log:\n  - target: stderr\n    any: info\n\
             database:\n    storage: \"{dir}/knot/db\"\n\
             control:\n    listen: \"{dir}/knot/knot.sock\"\n\
             remote:\n  - id: unbound\n    address: 127.0.0.1@{unbound_port}\n  - id: bind\n    address: 127.0.0.1@{bind_port}\n\
             acl:\n  - id: secondaries\n    address: [127.0.0.0/8, ::1]\n    action: transfer\n\
             zone:\n  - domain: {RPZ_ORIGIN}\n    file: \"{out}/jednotny-seznam.rpz\"\n    zonefile-load: difference\n    zonefile-sync: -1\n    journal-content: changes\n    notify: [unbound, bind]\n    acl: secondaries\n\
             \x20 - domain: .\n    file: \"{dir}/knot/root.zone\"\n",
            out = out.display(),
        ),
    )?;
    exec(
        Command::new("knotc")
            .arg("-c")
            .arg(&knot_conf)
            .arg("conf-check"),
    )?;
    let knot_log = work.join("knot/knot.log");
    servers.push(ServerProcess::spawn(
        "knotd",
        Command::new("knotd")
            .arg("-c")
            .arg(&knot_conf)
            .stderr(log_file(&knot_log)?),
    )?);
    wait_for_port(
        SocketAddr::from(([127, 0, 0, 1], knot_port)),
        Duration::from_secs(20),
    )?;

    // Unbound: an RPZ secondary.
    let unbound_conf = work.join("unbound/unbound.conf");
    fs::write(
        &unbound_conf,
        format!(
            "server:\n  interface: 127.0.0.1@{unbound_port}\n  interface: ::1@{unbound_port}\n  port: {unbound_port}\n  do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n\
             \x20 directory: \"{dir}/unbound\"\n  pidfile: \"{dir}/unbound/unbound.pid\"\n  use-syslog: no\n  logfile: \"{dir}/unbound/unbound.log\"\n  verbosity: 2\n\
             \x20 access-control: 127.0.0.0/8 allow\n  access-control: ::1 allow\n  module-config: \"respip iterator\"\n  do-not-query-localhost: no\n  do-ip6: yes\n\
             stub-zone:\n  name: \".\"\n  stub-addr: 127.0.0.1@{knot_port}\n\
             rpz:\n  name: \"{RPZ_ORIGIN}.\"\n  primary: 127.0.0.1@{knot_port}\n  allow-notify: 127.0.0.1\n  zonefile: \"{dir}/unbound/rpz-secondary.zone\"\n  rpz-log: yes\n"
        ),
    )?;
    exec(Command::new("unbound-checkconf").arg(&unbound_conf))?;
    servers.push(ServerProcess::spawn(
        "unbound",
        Command::new("unbound")
            .arg("-d")
            .arg("-c")
            .arg(&unbound_conf),
    )?);
    wait_for_port(
        SocketAddr::from(([127, 0, 0, 1], unbound_port)),
        Duration::from_secs(20),
    )?;

    // BIND 9: a recursive resolver with response-policy over a secondary zone.
    exec(
        Command::new("rndc-confgen")
            .arg("-a")
            .arg("-c")
            .arg(work.join("bind/rndc.key"))
            .args(["-k", "rndc-key"]),
    )?;
    let named_conf = work.join("bind/named.conf");
    fs::write(
        &named_conf,
        format!(
            "include \"{dir}/bind/rndc.key\";\n\
             controls {{ inet 127.0.0.1 port {rndc_port} allow {{ 127.0.0.1; }} keys {{ \"rndc-key\"; }}; }};\n\
             options {{\n  directory \"{dir}/bind\";\n  pid-file \"{dir}/bind/named.pid\";\n\
             \x20 listen-on port {bind_port} {{ 127.0.0.1; }};\n  listen-on-v6 port {bind_port} {{ ::1; }};\n\
             \x20 recursion yes;\n  allow-recursion {{ 127.0.0.0/8; ::1; }};\n  allow-query {{ 127.0.0.0/8; ::1; }};\n\
             \x20 dnssec-validation no;\n  forwarders {{ 127.0.0.1 port {knot_port}; }};\n  forward only;\n\
             \x20 transfer-source 127.0.0.3;\n  alt-transfer-source 127.0.0.3;\n\
             \x20 response-policy {{ zone \"{RPZ_ORIGIN}\"; }} qname-wait-recurse no min-update-interval 0;\n}};\n\
             logging {{\n  channel out {{ stderr; severity info; print-time yes; print-category yes; }};\n  category default {{ out; }};\n}};\n\
             zone \"{RPZ_ORIGIN}\" {{\n  type secondary;\n  primaries {{ 127.0.0.1 port {knot_port}; }};\n  file \"rpz.db\";\n  allow-query {{ localhost; }};\n}};\n"
        ),
    )?;
    exec(Command::new("named-checkconf").arg(&named_conf))?;
    let bind_log = work.join("bind/named.log");
    servers.push(ServerProcess::spawn(
        "named",
        Command::new("named")
            .arg("-g")
            .arg("-c")
            .arg(&named_conf)
            .stderr(log_file(&bind_log)?),
    )?);
    wait_for_port(
        SocketAddr::from(([127, 0, 0, 1], bind_port)),
        Duration::from_secs(20),
    )?;

    let env = vec![
        (
            "UB_DNS_BIN",
            bin.join("unified-blocklist").display().to_string(),
        ),
        ("UB_DNS_WORK", work.display().to_string()),
        ("UB_DNS_NKOD", format!("http://127.0.0.1:{nkod_port}/")),
        ("UB_DNS_FILES", files.display().to_string()),
        ("UB_DNS_ORIGIN", RPZ_ORIGIN.to_owned()),
        ("UB_DNS_KNOT_CONF", knot_conf.display().to_string()),
        ("UB_DNS_KNOT_LOG", knot_log.display().to_string()),
        ("UB_DNS_BIND_LOG", bind_log.display().to_string()),
        ("UB_DNS_UNBOUND", format!("127.0.0.1:{unbound_port}")),
        ("UB_DNS_UNBOUND6", format!("[::1]:{unbound_port}")),
        ("UB_DNS_BIND", format!("127.0.0.1:{bind_port}")),
        ("UB_DNS_BIND6", format!("[::1]:{bind_port}")),
    ];
    Ok(Deployment {
        _servers: servers,
        env,
    })
}
