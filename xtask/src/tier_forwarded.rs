//! Tier `forwarded`: czso-media-feed behind real reverse proxies from Debian — HAProxy with
//! `option forwardfor` (it adds its own `X-Forwarded-For` line after the client's) and nginx
//! with `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for` (it appends to the
//! client's line).
//!
//! Free loopback ports are chosen here: the feed's (the test starts the feed there, trusting
//! 127.0.0.1, where both proxies connect from), HAProxy's and nginx's. Both proxies are started
//! here, pointed at the feed's port, and stopped by their pids when the tier ends; the tests
//! (`crates/czso-media-feed/tests/proxies.rs`) connect to them from several 127.0.0.x addresses.

use crate::util::{ServerProcess, exec, free_port, have, project_root, tier_tests, wait_for_port};
use anyhow::{Context, Result, bail};
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

pub(crate) fn run() -> Result<()> {
    let nginx = if have("nginx") {
        "nginx"
    } else {
        "/usr/sbin/nginx"
    };
    if !have("haproxy") && !std::path::Path::new("/usr/sbin/haproxy").exists() {
        bail!("haproxy is missing; `cargo xtask setup` installs it");
    }
    if !have("nginx") && !std::path::Path::new(nginx).exists() {
        bail!("nginx is missing; `cargo xtask setup` installs it");
    }
    let haproxy = if have("haproxy") {
        "haproxy"
    } else {
        "/usr/sbin/haproxy"
    };
    let work = project_root().join("target/tier-forwarded");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    let (feed_port, haproxy_port, nginx_port) = (free_port()?, free_port()?, free_port()?);

    let haproxy_cfg = work.join("haproxy.cfg");
    std::fs::write(
        &haproxy_cfg,
        format!(
            "global\n  maxconn 256\n\
             defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  option forwardfor\n\
             frontend feed\n  bind 127.0.0.1:{haproxy_port}\n  default_backend feed\n\
             backend feed\n  server feed 127.0.0.1:{feed_port}\n"
        ),
    )?;
    exec(Command::new(haproxy).args(["-c", "-f"]).arg(&haproxy_cfg))?;
    let _haproxy = ServerProcess::spawn(
        "haproxy",
        Command::new(haproxy).args(["-db", "-f"]).arg(&haproxy_cfg),
    )?;

    let nginx_conf = work.join("nginx.conf");
    let tmp = work.join("nginx-tmp");
    std::fs::create_dir_all(&tmp)?;
    std::fs::write(
        &nginx_conf,
        format!(
            "worker_processes 1;\npid {pid};\nerror_log {err};\ndaemon off;\nevents {{ worker_connections 256; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {tmp}/body;\n  proxy_temp_path {tmp}/proxy;\n\
             fastcgi_temp_path {tmp}/fastcgi;\n  uwsgi_temp_path {tmp}/uwsgi;\n  scgi_temp_path {tmp}/scgi;\n\
             server {{\n    listen 127.0.0.1:{nginx_port};\n    location / {{\n      proxy_pass http://127.0.0.1:{feed_port};\n\
             proxy_set_header Host $host;\n      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n    }}\n  }}\n}}\n",
            pid = work.join("nginx.pid").display(),
            err = work.join("nginx-error.log").display(),
            tmp = tmp.display(),
        ),
    )?;
    let _nginx = ServerProcess::spawn("nginx", Command::new(nginx).arg("-c").arg(&nginx_conf))?;
    for port in [haproxy_port, nginx_port] {
        wait_for_port(
            SocketAddr::from(([127, 0, 0, 1], port)),
            Duration::from_secs(20),
        )?;
    }
    exec(
        tier_tests("czso-media-feed-cli", "proxies")
            .env("FEED_TIER_FEED_PORT", feed_port.to_string())
            .env("FEED_TIER_HAPROXY", format!("127.0.0.1:{haproxy_port}"))
            .env("FEED_TIER_NGINX", format!("127.0.0.1:{nginx_port}")),
    )
}
