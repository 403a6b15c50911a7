//! Tier `dns`: publications reach real resolvers through a real primary (started by `cargo
//! xtask tier dns`: Knot DNS primary, Unbound RPZ secondary, BIND 9 recursive resolver with
//! `response-policy`; see `xtask/src/tier_dns.rs`).
//!
//! One test walks the deployment in order, because every step builds on the zone the previous
//! one published: first publication and AXFR, a change carried by IXFR (not a full transfer),
//! several publications a day and a clock set back, then each RPZ policy at both resolvers.

#![allow(clippy::print_stderr)] // The tier reports its measurements.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set; run `cargo xtask tier dns`"))
}

fn work() -> PathBuf {
    PathBuf::from(env("UB_DNS_WORK"))
}

/// One answer from a resolver, as `dig` reports it.
#[derive(Debug)]
struct Answer {
    status: String,
    /// `(owner, type, data)` of the answer section.
    records: Vec<(String, String, String)>,
}

fn query(server: &str, name: &str, qtype: &str) -> Answer {
    let (host, port) = server.rsplit_once(':').unwrap();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let output = Command::new("dig")
        .args(["-p", port, &format!("@{host}"), name, qtype])
        .args([
            "+time=2",
            "+tries=2",
            "+nocookie",
            "+noall",
            "+comments",
            "+answer",
        ])
        .output()
        .expect("dig runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let status = text
        .split("status: ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("no status from dig @{server} {name} {qtype}:\n{text}"))
        .to_owned();
    let records = text
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            (fields.len() >= 5).then(|| {
                (
                    fields[0].to_owned(),
                    fields[3].to_owned(),
                    fields[4..].join(" "),
                )
            })
        })
        .collect();
    Answer { status, records }
}

/// Both resolvers, each over IPv4 and IPv6.
fn resolvers() -> Vec<(&'static str, String)> {
    vec![
        ("Unbound", env("UB_DNS_UNBOUND")),
        ("Unbound IPv6", env("UB_DNS_UNBOUND6")),
        ("BIND", env("UB_DNS_BIND")),
        ("BIND IPv6", env("UB_DNS_BIND6")),
    ]
}

/// Polls until `done` holds (at most `limit`); returns the time it took.
fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "after {limit:?}: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
    start.elapsed()
}

fn is_nxdomain(server: &str, name: &str) -> bool {
    query(server, name, "A").status == "NXDOMAIN"
}

fn resolves(server: &str, name: &str) -> bool {
    let a = query(server, name, "A");
    a.status == "NOERROR" && a.records.iter().any(|r| r.1 == "A")
}

/// Writes a configuration file `config-NAME.toml` with `rpz` as its `[rpz]` table and the
/// post-publication command that has the primary load the new zone (`knotc zone-reload`);
/// `broken-primary` names a zone the primary does not have, so that command fails.
fn config_path(name: &str, rpz: &str) -> PathBuf {
    let work = work();
    let path = work.join(format!("config-{name}.toml"));
    let zone = if name == "broken-primary" {
        "neexistuje.example".to_owned()
    } else {
        env("UB_DNS_ORIGIN")
    };
    std::fs::write(
        &path,
        format!(
            "nkod = \"{}\"\nout = \"{}\"\nstate = \"{}\"\n\
             post_publication = [\"knotc\", \"-c\", \"{}\", \"zone-reload\", \"{zone}\"]\n\
             post_publication_timeout_secs = 30\n[rpz]\n{rpz}\n",
            env("UB_DNS_NKOD"),
            work.join("out").display(),
            work.join("state").display(),
            env("UB_DNS_KNOT_CONF"),
        ),
    )
    .unwrap();
    path
}

/// The post-publication command's last outcome, recorded beside the publications.
fn post_publication_record() -> serde_json::Value {
    let path = work().join(".out.publications/post-publication.json");
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// Runs `unified-blocklist update` as an operator would and expects exit code 0.
fn update(config: &Path, extra: &[&str], clock_offset: Option<&str>) {
    let (code, stderr) = update_exit(config, extra, clock_offset);
    assert_eq!(code, Some(0), "update failed:\n{stderr}");
}

/// Runs `unified-blocklist update`; returns its exit code and standard error once it exited.
fn update_exit(config: &Path, extra: &[&str], clock_offset: Option<&str>) -> (Option<i32>, String) {
    let mut cmd = match clock_offset {
        Some(offset) => {
            let mut c = Command::new("faketime");
            c.args(["-f", offset]).arg(env("UB_DNS_BIN"));
            c
        }
        None => Command::new(env("UB_DNS_BIN")),
    };
    let output = cmd
        .arg("--config")
        .arg(config)
        .arg("update")
        .args(extra)
        .output()
        .expect("unified-blocklist runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The SOA serial of the published zone file.
fn published_serial() -> u32 {
    let zone = std::fs::read_to_string(work().join("out/jednotny-seznam.rpz")).unwrap();
    let soa = zone.lines().find(|l| l.contains(" SOA ")).unwrap();
    soa.split('(')
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The serial BIND's secondary zone has.
fn bind_serial() -> Option<u32> {
    let answer = query(&env("UB_DNS_BIND"), &env("UB_DNS_ORIGIN"), "SOA");
    answer
        .records
        .iter()
        .find(|r| r.1 == "SOA")
        .and_then(|r| r.2.split_whitespace().nth(2)?.parse().ok())
}

/// One outgoing transfer in the primary's log.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Transfer {
    kind: String,
    remote: String,
    serial: String,
    messages: u64,
    bytes: u64,
}

/// Outgoing transfers Knot logged: `[zone] IXFR, outgoing, remote 127.0.0.3@42283, started,
/// serial A -> B` then `… remote 127.0.0.3@42283, finished, 0.00 seconds, 1 messages, 424 bytes`.
fn transfers() -> Vec<Transfer> {
    let log = std::fs::read_to_string(env("UB_DNS_KNOT_LOG")).unwrap();
    let origin = env("UB_DNS_ORIGIN");
    let mut started: Vec<(String, String, String)> = Vec::new();
    let mut done = Vec::new();
    for line in log.lines().filter(|l| l.contains(&format!("[{origin}.]"))) {
        let Some(rest) = line.split("] ").nth(1) else {
            continue;
        };
        let fields: Vec<&str> = rest.split(", ").collect();
        if fields.len() < 4 || fields[1] != "outgoing" {
            continue;
        }
        let kind = fields[0].to_owned();
        let remote = fields[2].trim_start_matches("remote ").to_owned();
        if fields[3] == "started" {
            let serial = fields
                .get(4)
                .unwrap_or(&"")
                .trim_start_matches("serial ")
                .to_owned();
            started.push((kind, remote, serial));
        } else if fields[3] == "finished" {
            let number = |suffix: &str| -> u64 {
                fields
                    .iter()
                    .find_map(|f| f.strip_suffix(suffix))
                    .and_then(|n| n.trim().parse().ok())
                    .unwrap_or_else(|| panic!("no {suffix} in {line}"))
            };
            let serial = started
                .iter()
                .rev()
                .find(|s| s.0 == kind && s.1 == remote)
                .map(|s| s.2.clone())
                .unwrap_or_default();
            done.push(Transfer {
                kind,
                remote: remote.split('@').next().unwrap().to_owned(),
                serial,
                messages: number(" messages"),
                bytes: number(" bytes"),
            });
        }
    }
    done
}

/// The first transfer to `address` (of a serial ending in `serial`, if given) among the
/// primary's log entries after the first `before`. Polled: a secondary can load the zone and
/// answer from it a moment before Knot has written the transfer's `finished` line.
fn transfer_to(before: usize, address: &str, serial: Option<&str>) -> Transfer {
    let start = Instant::now();
    loop {
        let log = transfers();
        let found = log
            .get(before..)
            .unwrap_or_default()
            .iter()
            .find(|t| t.remote == address && serial.is_none_or(|s| t.serial.ends_with(s)));
        if let Some(t) = found {
            return t.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no transfer to {address} (serial {serial:?}) after entry {before} within 10 s: {log:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Wire size of the NXDOMAIN records of `hosts` (see [`nxdomain_records_wire_size`]).
fn records_wire_size<'a>(hosts: impl IntoIterator<Item = &'a String>, origin: &str) -> u64 {
    hosts
        .into_iter()
        .map(|h| nxdomain_records_wire_size(h, origin))
        .sum()
}

/// Unbound transfers from 127.0.0.1, BIND from 127.0.0.3 (its `transfer-source`).
const SECONDARIES: [(&str, &str); 2] = [("Unbound", "127.0.0.1"), ("BIND", "127.0.0.3")];

fn szpi_file() -> PathBuf {
    Path::new(&env("UB_DNS_FILES")).join("szpi-blokovane-weby.csv")
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Prague)
        .date_naive()
}

/// Appends entries to SZPI's list (the catalogue serves the changed file).
fn add_entries(hosts: &[String]) {
    // SZPI's file has CRLF line ends and none after the last row.
    let mut text = std::fs::read_to_string(szpi_file()).unwrap();
    let entered = today() - chrono::Days::new(1);
    for host in hosts {
        if !text.ends_with('\n') {
            text.push_str("\r\n");
        }
        text.push_str(&format!("\"{host}\",\"{entered}\",\r\n"));
    }
    std::fs::write(szpi_file(), text).unwrap();
}

/// Gives SZPI's entries for `hosts` a removal date (yesterday).
fn remove_entries(hosts: &[String]) {
    let text = std::fs::read_to_string(szpi_file()).unwrap();
    let removed = today() - chrono::Days::new(1);
    let text: String = text
        .lines()
        .map(|line| {
            let line = line.trim_end_matches('\r');
            let listed = hosts.iter().any(|h| line.starts_with(&format!("\"{h}\",")));
            if listed && line.ends_with(',') {
                format!("{line}\"{removed}\"\r\n")
            } else {
                format!("{line}\r\n")
            }
        })
        .collect();
    std::fs::write(szpi_file(), text).unwrap();
}

/// Wire size of the records `host` contributes under the NXDOMAIN policy: `host CNAME .` and
/// `*.host CNAME .` (owner name, type, class, TTL, length, and the root name as data).
fn nxdomain_records_wire_size(host: &str, origin: &str) -> u64 {
    let owner = host.len() + 1 + origin.len() + 2;
    (owner + 10 + 1 + (owner + 2) + 10 + 1) as u64
}

fn hosts(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}.cz")).collect()
}

#[test]
#[ignore = "tier dns: cargo xtask tier dns"]
fn zone_transfer_to_real_resolvers() {
    let origin = env("UB_DNS_ORIGIN");
    let nxdomain = config_path("nxdomain", "policy = \"nxdomain\"");

    // 1. The first publication: both secondaries take a full transfer (AXFR).
    let to_remove = hosts("ub-tier-odebrano", 5);
    add_entries(&to_remove);
    update(&nxdomain, &[], None);
    let first = published_serial();
    for (name, server) in resolvers() {
        wait_for(
            Duration::from_secs(30),
            &format!("{name} blocks the list"),
            || is_nxdomain(&server, &to_remove[0]),
        );
        assert!(
            is_nxdomain(&server, &format!("www.{}", to_remove[1])),
            "{name}"
        );
        assert!(
            resolves(&server, "neblokovana-stranka-pro-test.cz"),
            "{name}"
        );
    }
    for (name, address) in SECONDARIES {
        let t = transfer_to(0, address, Some(&first.to_string()));
        assert_eq!(t.kind, "AXFR", "{name}: {t:?}");
    }
    let axfr: Vec<Transfer> = transfers();
    let axfr_bytes = axfr.iter().find(|t| t.kind == "AXFR").unwrap().bytes;

    // 2. A change adding 10 entries and removing 5: an IXFR to each resolver, NXDOMAIN for the
    //    new names and none for the removed ones within seconds of the end of `update`.
    let added = hosts("ub-tier-pridano", 10);
    add_entries(&added);
    remove_entries(&to_remove);
    let before = transfers().len();
    update(&nxdomain, &[], None);
    let published = Instant::now();
    let second = published_serial();
    assert!(second > first, "{second} after {first}");
    // The first new name, polled at both resolvers in turn: the propagation time.
    let (unbound, bind) = (env("UB_DNS_UNBOUND"), env("UB_DNS_BIND"));
    let (mut at_unbound, mut at_bind) = (None, None);
    wait_for(
        Duration::from_secs(5),
        "both resolvers block a new name",
        || {
            if at_unbound.is_none() && is_nxdomain(&unbound, &added[0]) {
                at_unbound = Some(published.elapsed());
            }
            if at_bind.is_none() && is_nxdomain(&bind, &added[0]) {
                at_bind = Some(published.elapsed());
            }
            at_unbound.is_some() && at_bind.is_some()
        },
    );
    eprintln!(
        "end of update -> NXDOMAIN for a new name: Unbound {at_unbound:?}, BIND {at_bind:?} (the primary's reload is the update's post-publication command)"
    );
    for (name, server) in resolvers() {
        wait_for(
            Duration::from_secs(5),
            &format!("{name} applies the change"),
            || {
                added.iter().all(|h| is_nxdomain(&server, h))
                    && to_remove.iter().all(|h| resolves(&server, h))
            },
        );
    }
    let notified = std::fs::read_to_string(env("UB_DNS_KNOT_LOG"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("notify, outgoing") && l.ends_with(&format!("serial {second}")))
        .count();
    assert_eq!(
        notified, 2,
        "the primary sent NOTIFY for {second} to both resolvers"
    );
    let changed_wire = records_wire_size(added.iter().chain(&to_remove), &origin);
    for (name, address) in SECONDARIES {
        let t = transfer_to(before, address, None);
        assert_eq!(t.kind, "IXFR", "{name} got a full transfer: {t:?}");
        assert_eq!(t.serial, format!("{first} -> {second}"), "{name}");
        assert!(
            t.bytes <= 3 * changed_wire && t.bytes * 50 < axfr_bytes,
            "{name}: IXFR {} bytes for {changed_wire} bytes of changed records (AXFR {axfr_bytes})",
            t.bytes
        );
        eprintln!(
            "{name}: IXFR {} bytes in {} messages for 15 changed entries ({changed_wire} bytes of records); AXFR {axfr_bytes} bytes",
            t.bytes, t.messages
        );
    }
    let bind_log = std::fs::read_to_string(env("UB_DNS_BIND_LOG")).unwrap();
    assert!(
        bind_log.contains("Transfer completed: 1 messages")
            && bind_log.contains(&format!("(serial {second})")),
        "BIND's own log shows the incremental transfer"
    );

    // 3. Several publications on one day, then one with the clock set back three days: the
    //    serial keeps increasing and the resolvers keep following.
    let mut serial = second;
    for (i, offset) in [None, None, Some("-3d")].into_iter().enumerate() {
        let host = format!("ub-tier-serial-{i}.cz");
        add_entries(std::slice::from_ref(&host));
        update(&nxdomain, &[], offset);
        let next = published_serial();
        assert!(
            next > serial,
            "serial {next} after {serial} (clock offset {offset:?})"
        );
        wait_for(Duration::from_secs(5), "BIND has the new serial", || {
            bind_serial() == Some(next)
        });
        for (name, server) in resolvers() {
            wait_for(
                Duration::from_secs(5),
                &format!("{name} blocks {host}"),
                || is_nxdomain(&server, &host),
            );
        }
        serial = next;
    }

    // 4. Each RPZ policy at both resolvers, over IPv4 and IPv6.
    let rows = unified_blocklist::rows::read_decree_csv(
        &std::fs::read(work().join("out/jednotny-seznam.csv")).unwrap(),
    )
    .unwrap();
    let mf_host = rows
        .iter()
        .find(|r| {
            r.is_active()
                && r.source == "Ministerstvo financí"
                && r.url
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'-')
                && rows.iter().filter(|o| o.url == r.url).count() == 1
        })
        .map(|r| r.url.clone())
        .expect("an MF host listed once");
    let szpi_host = &added[1];

    let nodata = config_path("nodata", "policy = \"nodata\"\nprovenance = true");
    update(&nodata, &["--force"], None);
    let entered = today() - chrono::Days::new(1);
    for (name, server) in resolvers() {
        wait_for(
            Duration::from_secs(5),
            &format!("{name}: NODATA for {szpi_host}"),
            || {
                let a = query(&server, szpi_host, "A");
                a.status == "NOERROR" && a.records.is_empty()
            },
        );
        let a = query(&server, &format!("www.{mf_host}"), "AAAA");
        assert!(
            a.status == "NOERROR" && a.records.is_empty(),
            "{name}: {a:?}"
        );
        // dig shows the UTF-8 bytes of "Státní zemědělská a potravinářská inspekce" escaped.
        let txt = query(&server, &format!("_info.{szpi_host}"), "TXT");
        assert!(
            txt.records.iter().any(|r| r.1 == "TXT"
                && r.2.contains("\"zdroj=St\\195\\161tn\\195\\173 zem\\196\\155d\\196\\155lsk\\195\\161 a potravin\\195\\161\\197\\153sk\\195\\161 inspekce\"")
                && r.2.contains(&format!("\"datum_zapisu={entered}\""))),
            "{name}: provenance of {szpi_host}: {txt:?}"
        );
    }

    // check-resolver counts NODATA as blocked only under the NODATA policy.
    for (name, server) in [
        ("Unbound", env("UB_DNS_UNBOUND")),
        ("BIND IPv6", env("UB_DNS_BIND6")),
    ] {
        let (code, report) = check_resolver_with(&nodata, &server, &["--rate", "5000"]);
        assert_eq!(code, Some(0), "{name} under nodata: {report}");
        assert_eq!(report["checked"], report["blocked"], "{name}");
    }
    let (code, report) = check_resolver(&env("UB_DNS_BIND"), &["--rate", "5000"]);
    assert_eq!(code, Some(1), "NODATA is not the NXDOMAIN policy's answer");
    assert_eq!(report["blocked"], 0, "{}", report["checked"]);
    assert_eq!(
        report["not_blocked"].as_array().unwrap().len() as u64,
        3 * report["checked"].as_u64().unwrap()
    );
    assert_eq!(report["not_blocked"][0]["answer"], "NODATA");

    let landing = config_path(
        "landing",
        "policy = \"landing\"\nlanding_default = \"blokace.example.cz\"\n\
         [rpz.landing]\n\"Ministerstvo financí\" = \"hazard.blokace.example.cz\"",
    );
    update(&landing, &["--force"], None);
    for (name, server) in resolvers() {
        let cname = |host: &str| {
            query(&server, host, "A")
                .records
                .iter()
                .find(|r| r.1 == "CNAME")
                .map(|r| r.2.clone())
        };
        wait_for(
            Duration::from_secs(5),
            &format!("{name}: landing CNAME for {mf_host}"),
            || cname(&mf_host).as_deref() == Some("hazard.blokace.example.cz."),
        );
        assert_eq!(
            cname(&format!("a.b.{mf_host}")).as_deref(),
            Some("hazard.blokace.example.cz."),
            "{name}"
        );
        assert_eq!(
            cname(szpi_host).as_deref(),
            Some("blokace.example.cz."),
            "{name}"
        );
        // The landing name itself resolves, so a browser reaches the landing page.
        let a = query(&server, szpi_host, "A");
        assert!(
            a.records.iter().any(|r| r.1 == "A" && r.2 == "192.0.2.1"),
            "{name}: {a:?}"
        );
        // Without provenance there is no TXT.
        let txt = query(&server, &format!("_info.{szpi_host}"), "TXT");
        assert!(!txt.records.iter().any(|r| r.1 == "TXT"), "{name}: {txt:?}");
    }
    // check-resolver expects each authority's landing name (the MF's, the default for others).
    for (name, server) in [
        ("Unbound IPv6", env("UB_DNS_UNBOUND6")),
        ("BIND", env("UB_DNS_BIND")),
    ] {
        let (code, report) = check_resolver_with(&landing, &server, &["--rate", "5000"]);
        assert_eq!(code, Some(0), "{name} under landing: {report}");
        assert_eq!(report["checked"], report["blocked"], "{name}");
    }

    update(&nxdomain, &["--force"], None);
    for (name, server) in resolvers() {
        wait_for(
            Duration::from_secs(5),
            &format!("{name}: NXDOMAIN again"),
            || is_nxdomain(&server, &mf_host) && is_nxdomain(&server, szpi_host),
        );
    }

    // 5. check-resolver: the zone in force is blocked at both resolvers, over IPv4 and IPv6.
    for (name, server) in resolvers() {
        let (code, report) = check_resolver(&server, &["--rate", "5000"]);
        assert_eq!(code, Some(0), "{name}: {report}");
        assert_eq!(report["checked"], report["blocked"], "{name}");
        assert!(
            report["checked"].as_u64().unwrap() > 3900,
            "{name}: {report}"
        );
        assert_eq!(report["not_blocked"].as_array().unwrap().len(), 0, "{name}");
        assert_eq!(
            report["removed_still_blocked"].as_array().unwrap().len(),
            0,
            "{name}"
        );
        assert!(
            report["removed_checked"].as_u64().unwrap() >= 10,
            "{name}: removed entries are asked as negatives: {report}"
        );
        // The host, its www. name and a random name under it per host, plus the negatives;
        // started no faster than --rate allows.
        let queries = report["queries"].as_u64().unwrap();
        assert_eq!(
            queries,
            3 * report["checked"].as_u64().unwrap() + report["removed_checked"].as_u64().unwrap(),
            "{name}"
        );
        assert!(
            report["elapsed_secs"].as_f64().unwrap() >= (queries - 1) as f64 / 5000.0,
            "{name}: faster than --rate 5000: {report}"
        );
    }
    let output = Command::new(env("UB_DNS_BIN"))
        .arg("--config")
        .arg(&nxdomain)
        .args([
            "check-resolver",
            "--resolver",
            &env("UB_DNS_UNBOUND"),
            "--rate",
            "0",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "--rate 0 is bad usage");
    // A publication whose post-publication command fails (the primary is told to reload a
    // zone it does not have): the list is published all the same, the failure is recorded,
    // and the resolvers keep the previous zone — check-resolver reports exactly the new names,
    // one of them answered over TCP (its answer does not fit UDP).
    let unreached: Vec<String> = hosts("ub-tier-nedoruceno", 3)
        .into_iter()
        .chain(["ub-tier-velka-odpoved.cz".to_owned()])
        .collect();
    add_entries(&unreached);
    let serial_before = published_serial();
    let (code, stderr) = update_exit(
        &config_path("broken-primary", "policy = \"nxdomain\""),
        &[],
        None,
    );
    assert_eq!(code, Some(3), "a failed post-publication command: {stderr}");
    assert!(
        stderr.contains("post-publication command") && stderr.contains("failed"),
        "{stderr}"
    );
    assert!(
        published_serial() > serial_before,
        "the list is published despite the failure"
    );
    let record = post_publication_record();
    assert_eq!(record["ok"], false, "{record}");
    assert!(
        record["failure"].as_str().unwrap().contains("exit"),
        "{record}"
    );
    assert_eq!(
        record["publication"].as_str(),
        std::fs::read_link(work().join("out"))
            .unwrap()
            .file_name()
            .and_then(|n| n.to_str()),
        "{record}"
    );
    for (name, server) in resolvers() {
        let (code, report) = check_resolver(&server, &["--rate", "5000"]);
        assert_eq!(code, Some(1), "{name}: {report}");
        let reported: std::collections::BTreeSet<&str> = report["not_blocked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["host"].as_str().unwrap())
            .collect();
        let expected: std::collections::BTreeSet<&str> =
            unreached.iter().map(String::as_str).collect();
        assert_eq!(reported, expected, "{name}: {report}");
        let big = report["not_blocked"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == "ub-tier-velka-odpoved.cz")
            .unwrap_or_else(|| panic!("{name}: {report}"));
        assert!(
            big["answer"].as_str().unwrap().contains("198.51.100.100"),
            "{name}: {big}"
        );
        assert_eq!(
            big["authority"],
            "Státní zemědělská a potravinářská inspekce"
        );
        assert!(
            report["tcp_retries"].as_u64().unwrap() >= 1,
            "{name}: {report}"
        );
        let new = report["not_blocked"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == "www.ub-tier-nedoruceno-0.cz")
            .unwrap_or_else(|| panic!("{name}: {report}"));
        assert_eq!(new["answer"], "192.0.2.1", "{name}");
        assert_eq!(
            new["entry_date"],
            (today() - chrono::Days::new(1)).to_string()
        );
        // Each new host is reported under all three names asked, except the big answer's:
        // names under it do not exist upstream (the `*.cz.` wildcard stops at an existing
        // name), and a real NXDOMAIN looks like the block.
        assert_eq!(
            report["not_blocked"].as_array().unwrap().len(),
            3 * (unreached.len() - 1) + 1,
            "{name}: {report}"
        );
    }
    // The human report names the same hosts, one line per name, and exits 1 as well.
    let (code, human) = check_resolver(
        &env("UB_DNS_BIND"),
        &["--rate", "5000", "--format", "human"],
    );
    assert_eq!(code, Some(1), "{human}");
    let human = human.as_str().unwrap();
    let not_blocked: Vec<&str> = human
        .lines()
        .filter(|l| l.starts_with("NOT BLOCKED "))
        .collect();
    assert_eq!(not_blocked.len(), 3 * (unreached.len() - 1) + 1, "{human}");
    for host in &unreached {
        assert!(
            not_blocked
                .iter()
                .any(|l| l.starts_with(&format!("NOT BLOCKED {host} ({host}): "))),
            "{host}: {human}"
        );
    }
    assert!(
        human.starts_with(&format!("resolver {}: ", env("UB_DNS_BIND"))),
        "{human}"
    );
    // The next update finds nothing new but runs the failed command again.
    update(&nxdomain, &[], None);
    assert_eq!(post_publication_record()["ok"], true);
    for (name, server) in resolvers() {
        wait_for(
            Duration::from_secs(5),
            &format!("{name} gets the last publication"),
            || is_nxdomain(&server, &unreached[0]),
        );
        let (code, report) = check_resolver(&server, &["--rate", "5000", "--format", "csv"]);
        assert_eq!(code, Some(0), "{name}: {report}");
    }
}

/// Runs `unified-blocklist check-resolver` against `server` under the NXDOMAIN policy; JSON
/// unless `extra` says otherwise.
fn check_resolver(server: &str, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    check_resolver_with(&work().join("config-nxdomain.toml"), server, extra)
}

/// Runs `unified-blocklist check-resolver` with the configuration `config` (its `[rpz]` policy).
fn check_resolver_with(
    config: &Path,
    server: &str,
    extra: &[&str],
) -> (Option<i32>, serde_json::Value) {
    let output = Command::new(env("UB_DNS_BIN"))
        .arg("--config")
        .arg(config)
        .args(["check-resolver", "--resolver", server])
        .args(if extra.contains(&"--format") {
            &[][..]
        } else {
            &["--format", "json"][..]
        })
        .args(extra)
        .output()
        .expect("unified-blocklist runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let value = if extra.contains(&"human") {
        serde_json::Value::String(text.into_owned())
    } else if extra.contains(&"csv") {
        assert!(
            text.starts_with("host,name,answer,entry_date,authority,dataset"),
            "{text}"
        );
        serde_json::Value::String(text.into_owned())
    } else {
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{e}: {text}{}", String::from_utf8_lossy(&output.stderr)))
    };
    (output.status.code(), value)
}

/// `cargo xtask bench-dns` (not part of the tier): the figures of the closing note, printed.
#[test]
#[ignore = "bench-dns: flock /work/bench.lock cargo xtask bench-dns"]
fn bench_propagation_transfer_size_and_check_rate() {
    let origin = env("UB_DNS_ORIGIN");
    let nxdomain = config_path("nxdomain", "policy = \"nxdomain\"");
    add_entries(&hosts("ub-bench-start", 1));
    update(&nxdomain, &[], None);
    let (unbound, bind) = (env("UB_DNS_UNBOUND"), env("UB_DNS_BIND"));
    for server in [&unbound, &bind] {
        wait_for(Duration::from_secs(30), "the first zone", || {
            is_nxdomain(server, "ub-bench-start-0.cz")
        });
    }
    let axfr = transfers()
        .into_iter()
        .find(|t| t.kind == "AXFR")
        .expect("an AXFR");

    // End of `update` -> NXDOMAIN for the new name at each resolver, ten publications.
    let (mut at_unbound, mut at_bind) = (Vec::new(), Vec::new());
    for i in 0..10 {
        let host = format!("ub-bench-propagation-{i}.cz");
        add_entries(std::slice::from_ref(&host));
        update(&nxdomain, &[], None);
        let published = Instant::now();
        let (mut u, mut b) = (None, None);
        wait_for(
            Duration::from_secs(10),
            "both resolvers block the new name",
            || {
                if u.is_none() && is_nxdomain(&unbound, &host) {
                    u = Some(published.elapsed());
                }
                if b.is_none() && is_nxdomain(&bind, &host) {
                    b = Some(published.elapsed());
                }
                u.is_some() && b.is_some()
            },
        );
        at_unbound.push(u.unwrap());
        at_bind.push(b.unwrap());
    }
    for (name, times) in [("Unbound", &mut at_unbound), ("BIND", &mut at_bind)] {
        times.sort();
        eprintln!(
            "BENCH end of update -> NXDOMAIN at {name} (10 publications; knotc zone-reload runs inside update): min {:?}, median {:?}, max {:?}",
            times[0], times[5], times[9]
        );
    }

    // IXFR size for k added entries.
    eprintln!(
        "BENCH AXFR of the whole zone: {} bytes in {} messages",
        axfr.bytes, axfr.messages
    );
    for k in [1usize, 10, 100, 1000] {
        let added = hosts(&format!("ub-bench-ixfr-{k}"), k);
        add_entries(&added);
        let before = transfers().len();
        update(&nxdomain, &[], None);
        let serial = published_serial();
        wait_for(Duration::from_secs(30), "BIND has the change", || {
            bind_serial() == Some(serial)
        });
        wait_for(Duration::from_secs(30), "Unbound has the change", || {
            is_nxdomain(&unbound, added.last().unwrap())
        });
        let changed = records_wire_size(&added, &origin);
        for (name, address) in SECONDARIES {
            let t = transfer_to(before, address, None);
            eprintln!(
                "BENCH k={k}: {name} got {} of {} bytes in {} messages; changed records {changed} bytes; ratio {:.2}; {:.4} of the AXFR",
                t.kind,
                t.bytes,
                t.messages,
                t.bytes as f64 / changed as f64,
                t.bytes as f64 / axfr.bytes as f64
            );
        }
    }

    // check-resolver against the local Unbound, release build.
    let release = env("UB_DNS_RELEASE_BIN");
    for (what, extra) in [
        ("defaults (8 in flight, 200 queries/s)", &[][..]),
        (
            "default concurrency 8, rate unbounded",
            &["--rate", "1000000"][..],
        ),
        (
            "concurrency 32, rate unbounded",
            &["--concurrency", "32", "--rate", "1000000"][..],
        ),
    ] {
        let output = Command::new(&release)
            .arg("--config")
            .arg(&nxdomain)
            .args(["check-resolver", "--resolver", &unbound, "--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(output.status.code(), Some(0), "{report}");
        let queries = report["queries"].as_f64().unwrap();
        let secs = report["elapsed_secs"].as_f64().unwrap();
        eprintln!(
            "BENCH check-resolver vs Unbound, {what}: {} hosts, {queries} queries in {secs:.1} s = {:.0} queries/s",
            report["checked"],
            queries / secs
        );
    }
}
