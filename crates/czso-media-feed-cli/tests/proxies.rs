//! Tier `forwarded`: the feed behind real HAProxy (`option forwardfor`) and nginx
//! (`$proxy_add_x_forwarded_for`), both from Debian, started by `cargo xtask tier forwarded`.
//! A registered newsroom behind either proxy reads the live results; a client that forges
//! `X-Forwarded-For` (one line or two) or `Forwarded` with a registered address is refused.

mod common;

use common::{Server, simulated, wait_for_log_line, wait_until};
use opendata_http::client::{Client, Reply};
use std::net::{IpAddr, SocketAddr};

const VYSLEDKY: &str = "/appdata/ps2025/odata/vysledky.xml";
const REGISTERED: &str = "127.0.0.11";

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run `cargo xtask tier forwarded`"))
}

fn get(from: &str, to: SocketAddr, extra: &[(&str, &str)]) -> Reply {
    get_path(VYSLEDKY, from, to, extra)
}

fn get_path(path: &str, from: &str, to: SocketAddr, extra: &[(&str, &str)]) -> Reply {
    Client::new(to)
        .from_source(from.parse::<IpAddr>().unwrap())
        .get(path, extra)
        .unwrap()
}

/// The document as asked for through one proxy: the query names the proxy, so the access log
/// line of this request cannot be mistaken for the direct request's.
fn through(proxy: &str) -> String {
    format!("{VYSLEDKY}?via={proxy}")
}

#[test]
#[ignore = "tier forwarded: cargo xtask tier forwarded"]
fn forged_forwarding_headers_are_refused_behind_haproxy_and_nginx() {
    let feed_port: u16 = env("FEED_TIER_FEED_PORT").parse().unwrap();
    let proxies: [(&str, SocketAddr); 2] = [
        ("haproxy", env("FEED_TIER_HAPROXY").parse().unwrap()),
        ("nginx", env("FEED_TIER_NGINX").parse().unwrap()),
    ];
    let sim = simulated(600, 0.1, 0.0, "live", REGISTERED);
    let text = std::fs::read_to_string(&sim.config).unwrap();
    // Both proxies connect to the feed from 127.0.0.1: that, and only that, is trusted.
    std::fs::write(
        &sim.config,
        text.replace(
            "listen = [\"127.0.0.1:0\"]",
            &format!("listen = [\"127.0.0.1:{feed_port}\"]\ntrusted_proxies = [\"127.0.0.1\"]"),
        ),
    )
    .unwrap();
    let server = Server::start(&sim.config);
    assert_eq!(server.public.port(), feed_port);
    wait_until("the feed answers the registered address", || {
        get(REGISTERED, server.public, &[]).status == 200
    });
    let forged_one = [("X-Forwarded-For", REGISTERED)];
    let forged_two = [
        ("X-Forwarded-For", REGISTERED),
        ("X-Forwarded-For", REGISTERED),
    ];
    let forged_rfc = [("Forwarded", "for=127.0.0.11")];
    let unregistered = "127.0.0.99";
    for (name, proxy) in proxies {
        let r = get_path(&through(name), REGISTERED, proxy, &[]);
        assert_eq!(
            r.status, 200,
            "{name}: a registered client behind the proxy"
        );
        assert!(r.text().contains("<VYSLEDKY"), "{name}");
        for forged in [&forged_one[..], &forged_two[..], &forged_rfc[..]] {
            let r = get(unregistered, proxy, forged);
            assert_eq!(r.status, 403, "{name}: {forged:?} from {unregistered}");
            assert!(
                r.text().contains("není registrována"),
                "{name}: {}",
                r.text()
            );
        }
        // Whatever a client says about itself, the proxy's own entry decides.
        let r = get(REGISTERED, proxy, &[("X-Forwarded-For", "203.0.113.7")]);
        assert_eq!(r.status, 200, "{name}: a registered client's own header");
    }
    // Without a proxy the header of an untrusted peer means nothing.
    assert_eq!(get(unregistered, server.public, &forged_one).status, 403);
    assert_eq!(
        get(
            REGISTERED,
            server.public,
            &[("X-Forwarded-For", "203.0.113.7")]
        )
        .status,
        200
    );
    // The access log names the client, not the proxy, for the requests through each proxy
    // (lines are written on a timer: each is waited for).
    for (name, _) in proxies {
        let expected = format!("{REGISTERED} \"GET {}\" 200", through(name));
        wait_for_log_line(
            &sim.dir.path().join("logs/organisation-1.log"),
            &format!("the registered client through {name} ({expected})"),
            |line| line.contains(&expected),
        );
    }
    wait_for_log_line(
        &sim.dir.path().join("logs/refused.log"),
        &format!("the unregistered client {unregistered}"),
        |line| line.contains(unregistered),
    );
    drop(server);
}
