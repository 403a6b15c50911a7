//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use nkod_server::{NkodServer, RunningServer, ServerConfig};

pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/nkod")
}

pub fn config() -> ServerConfig {
    ServerConfig::from_file(testdata().join("snapshot.trig"))
        .with_files_dir(testdata().join("soubory"))
}

pub fn start() -> RunningServer {
    NkodServer::start(config()).expect("server starts over the committed snapshot")
}

/// An agent that returns 4xx/5xx responses instead of errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

pub const MF: &str =
    "https://data.gov.cz/zdroj/datové-sady/00006947/5f0e4a31c50ab8ff567392b07c550440";
pub const SZPI: &str =
    "https://data.gov.cz/zdroj/datové-sady/75014149/4760606f1d6f0add4cd93d1723297b87";
pub const SUKL: &str =
    "https://data.gov.cz/zdroj/datové-sady/00023817/00e1bb8e0ae9a7d4e6a86c6d32d133b3";
pub const USKVBL: &str = "https://data.gov.cz/zdroj/datové-sady/00019585/1187345120";
