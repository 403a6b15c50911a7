//! Tier `resolver`: the published RPZ zone in a real Unbound (started by `cargo xtask tier
//! resolver`, which sets `UB_RESOLVER_ADDR`, `UB_RESOLVER_OUT` and `UB_RPZ_ORIGIN`).

use std::collections::BTreeSet;
use std::process::Command;
use unified_blocklist::rows::read_decree_csv;

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set; run `cargo xtask tier resolver`"))
}

/// The DNS status of `name` (A query) from the resolver under test.
fn status(name: &str) -> String {
    let addr = env("UB_RESOLVER_ADDR");
    let (host, port) = addr.rsplit_once(':').unwrap();
    let output = Command::new("dig")
        .args([
            "-p",
            port,
            &format!("@{host}"),
            name,
            "A",
            "+time=3",
            "+tries=2",
        ])
        .output()
        .expect("dig runs");
    let text = String::from_utf8_lossy(&output.stdout);
    text.split("status: ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("no status from dig for {name}:\n{text}"))
        .to_owned()
}

fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap().to_lowercase();
    host.trim_end_matches('.').to_owned()
}

#[test]
#[ignore = "tier resolver: cargo xtask tier resolver"]
fn unbound_blocks_listed_hosts_and_their_subdomains_only() {
    let out = std::path::PathBuf::from(env("UB_RESOLVER_OUT"));
    let hosts: BTreeSet<String> = std::fs::read_to_string(out.join("domeny.txt"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let rows = read_decree_csv(&std::fs::read(out.join("jednotny-seznam.csv")).unwrap()).unwrap();
    let blocked = |h: &str| {
        let labels: Vec<&str> = h.split('.').collect();
        (0..labels.len()).any(|i| hosts.contains(&labels[i..].join(".")))
    };

    // A listed host (active, no path) and subdomains of it.
    let listed = rows
        .iter()
        .filter(|r| r.is_active() && !r.url.contains('/') && r.url.is_ascii())
        .map(|r| host_of(&r.url))
        .find(|h| hosts.contains(h))
        .expect("an active bare host");
    assert_eq!(status(&listed), "NXDOMAIN", "{listed}");
    assert_eq!(status(&format!("www.{listed}")), "NXDOMAIN", "www.{listed}");
    assert_eq!(status(&format!("a.b.{listed}")), "NXDOMAIN", "a.b.{listed}");

    // The IDN entry, blocked under its punycode name.
    let idn = "xn--mezinrodnonlinecasino-e0b4z.com";
    if hosts.contains(idn) {
        assert_eq!(status(idn), "NXDOMAIN", "{idn}");
    }

    // An unlisted host resolves.
    let unlisted = "neblokovana-stranka-pro-test.cz";
    assert!(!blocked(unlisted));
    assert_eq!(status(unlisted), "NOERROR");

    // A removed entry (removed in every row it has, listed nowhere else) resolves.
    let removed = rows
        .iter()
        .filter(|r| !r.is_active())
        .map(|r| host_of(&r.url))
        .find(|h| !blocked(h) && rows.iter().all(|r| !r.is_active() || host_of(&r.url) != *h))
        .expect("a removed host");
    assert_eq!(
        status(&removed),
        "NOERROR",
        "removed {removed} must not be blocked"
    );

    // Every zone owner is a valid host name: spot-check a sample through the resolver.
    for host in hosts.iter().step_by((hosts.len() / 25).max(1)) {
        assert_eq!(status(host), "NXDOMAIN", "{host}");
    }
}

#[test]
#[ignore = "tier resolver: cargo xtask tier resolver"]
fn named_checkzone_accepts_the_zone() {
    let out = std::path::PathBuf::from(env("UB_RESOLVER_OUT"));
    let output = Command::new("named-checkzone")
        .arg(env("UB_RPZ_ORIGIN"))
        .arg(out.join("jednotny-seznam.rpz"))
        .output()
        .expect("named-checkzone runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.trim_end().ends_with("OK"), "{text}");
}
