//! Tier `interop`: the SPARQL backend against OpenLink Virtuoso and the LDF backend against
//! @ldf/server 3, both loaded with the snapshot, compared with a local `nkod-server` over the
//! same snapshot; and the cost of the daily change check, with Comunica for comparison.
//!
//! Run by `cargo xtask interop`, which starts the servers and sets `NKOD_INTEROP_*`. These tests
//! fail when the variables are missing.
// This tier's job includes reporting the measured figures.
#![allow(clippy::print_stdout)]

use nkod_client::{
    Catalogue, DatasetQuery, Downloader, GraphQlCatalogue, GraphQlOptions, HttpConfig,
    LdfCatalogue, LdfOptions, ResultsFormat, SparqlCatalogue, SparqlMethod, SparqlOptions,
    TriplePattern, Usage, Validators, publisher_iri,
};
use nkod_server::{NkodServer, RunningServer, ServerConfig};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/nkod");
const LIST_PUBLISHERS: [&str; 4] = ["00006947", "75014149", "00023817", "00019585"];
const LIST_IRIS: [&str; 4] = [
    "https://data.gov.cz/zdroj/datové-sady/00006947/5f0e4a31c50ab8ff567392b07c550440",
    "https://data.gov.cz/zdroj/datové-sady/75014149/4760606f1d6f0add4cd93d1723297b87",
    "https://data.gov.cz/zdroj/datové-sady/00023817/00e1bb8e0ae9a7d4e6a86c6d32d133b3",
    "https://data.gov.cz/zdroj/datové-sady/00019585/1187345120",
];
const LIST_FILES: [&str; 4] = [
    "mf-seznam-nepovolenych-internetovych-her.cp1250.csv",
    "szpi-blokovane-weby.csv",
    "sukl-nelegalni-stranky-lp.csv",
    "uskvbl-nelegalni-vlp.csv",
];

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run this tier with `cargo xtask interop`"))
}

fn http() -> HttpConfig {
    HttpConfig {
        request_timeout: Duration::from_secs(60),
        deadline: Duration::from_secs(120),
        backoff_initial: Duration::from_millis(100),
        ..HttpConfig::default()
    }
}

/// The local NKOD on the port the rendered snapshot's download URLs name, serving a scratch
/// copy of the lists (so a test can change one).
struct Reference {
    server: RunningServer,
    files: tempfile::TempDir,
}

fn reference() -> &'static Reference {
    static REFERENCE: OnceLock<Reference> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let base = env("NKOD_INTEROP_BASE");
        let addr = base
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("NKOD_INTEROP_BASE is http://IP:PORT/");
        let files = tempfile::tempdir().expect("temp dir");
        for file in LIST_FILES {
            std::fs::copy(format!("{DATA}/soubory/{file}"), files.path().join(file))
                .expect("copy list");
        }
        let server = NkodServer::start(
            ServerConfig::from_file(format!("{DATA}/snapshot.trig"))
                .with_files_dir(files.path().to_owned())
                .with_listen(addr),
        )
        .expect("nkod-server starts");
        assert_eq!(
            server.base_url(),
            base,
            "the download URLs must name this server"
        );
        Reference { server, files }
    })
}

/// Counts requests and bytes between clients and @ldf/server. Every request is forwarded on
/// its own upstream connection with `Connection: close`, so responses end at EOF.
struct CountingProxy {
    requests: AtomicU64,
    bytes_sent: AtomicU64,
    bytes_received: AtomicU64,
}

impl CountingProxy {
    fn usage(&self) -> Usage {
        Usage {
            requests: u32::try_from(self.requests.load(Ordering::SeqCst)).expect("few requests"),
            bytes_sent: self.bytes_sent.load(Ordering::SeqCst),
            bytes_received: self.bytes_received.load(Ordering::SeqCst),
        }
    }

    fn reset(&self) {
        self.requests.store(0, Ordering::SeqCst);
        self.bytes_sent.store(0, Ordering::SeqCst);
        self.bytes_received.store(0, Ordering::SeqCst);
    }

    fn serve(self: &Arc<Self>, mut client: TcpStream, upstream: &str) -> std::io::Result<()> {
        let mut reader = BufReader::new(client.try_clone()?);
        let mut head = Vec::new();
        let mut content_length = 0_usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if line == "\r\n" || line == "\n" {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("connection:") || lower.starts_with("keep-alive:") {
                continue;
            }
            if let Some(value) = lower.strip_prefix("content-length:") {
                content_length = value.trim().parse().unwrap_or(0);
            }
            head.extend_from_slice(line.as_bytes());
        }
        head.extend_from_slice(b"Connection: close\r\n\r\n");
        let mut body = vec![0_u8; content_length];
        reader.read_exact(&mut body)?;
        self.requests.fetch_add(1, Ordering::SeqCst);
        self.bytes_sent
            .fetch_add((head.len() + body.len()) as u64, Ordering::SeqCst);
        let mut server = TcpStream::connect(upstream)?;
        server.write_all(&head)?;
        server.write_all(&body)?;
        let mut response = Vec::new();
        server.read_to_end(&mut response)?;
        self.bytes_received
            .fetch_add(response.len() as u64, Ordering::SeqCst);
        client.write_all(&response)?;
        client.shutdown(std::net::Shutdown::Both)
    }
}

fn proxy() -> &'static Arc<CountingProxy> {
    static PROXY: OnceLock<Arc<CountingProxy>> = OnceLock::new();
    PROXY.get_or_init(|| {
        let listen = env("NKOD_INTEROP_LDF_PROXY");
        let upstream = env("NKOD_INTEROP_LDF_UPSTREAM");
        let listener = TcpListener::bind(&listen).expect("bind the proxy port");
        let proxy = Arc::new(CountingProxy {
            requests: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            bytes_received: AtomicU64::new(0),
        });
        let shared = Arc::clone(&proxy);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let proxy = Arc::clone(&shared);
                let upstream = upstream.clone();
                std::thread::spawn(move || {
                    let _ = proxy.serve(stream, &upstream);
                });
            }
        });
        proxy
    })
}

fn ldf_url() -> String {
    proxy();
    format!("http://{}/nkod-ldf", env("NKOD_INTEROP_LDF_PROXY"))
}

fn virtuoso(options: SparqlOptions) -> SparqlCatalogue {
    SparqlCatalogue::new(env("NKOD_INTEROP_SPARQL"), options, http())
}

fn questions() -> Vec<(&'static str, DatasetQuery)> {
    let lists = DatasetQuery::by_publishers(LIST_PUBLISHERS.map(publisher_iri));
    vec![
        ("the four publishers", lists.clone()),
        ("the four lists by title", lists.with_title("seznam")),
        ("lists by title", DatasetQuery::by_title("SEZNAM STRÁNEK")),
        (
            "MF only",
            DatasetQuery::by_publishers([publisher_iri("00006947")]),
        ),
        ("pinned IRIs", DatasetQuery::by_iris(LIST_IRIS)),
        (
            "title matching nothing",
            DatasetQuery::by_title("žádná taková datová sada"),
        ),
    ]
}

#[test]
#[ignore = "tier interop: cargo xtask tier interop"]
fn virtuoso_answers_like_the_local_nkod() {
    let reference = SparqlCatalogue::new(
        reference().server.sparql_url(),
        SparqlOptions::default(),
        http(),
    );
    let variants = [
        ("Virtuoso defaults, JSON, GET", SparqlOptions::virtuoso()),
        (
            "XML, POST",
            SparqlOptions {
                method: SparqlMethod::Post,
                format: ResultsFormat::Xml,
                ..SparqlOptions::virtuoso()
            },
        ),
        ("plain SPARQL 1.1 protocol", SparqlOptions::default()),
    ];
    for (variant, options) in variants {
        let client = virtuoso(options);
        for (name, query) in questions() {
            let expected = reference.find_datasets(&query).expect("reference").value;
            let actual = client
                .find_datasets(&query)
                .unwrap_or_else(|e| panic!("Virtuoso, {variant}, {name}: {e}"))
                .value;
            assert_eq!(actual, expected, "Virtuoso ({variant}) differs on {name}");
        }
        let modified = client.catalogue_modified().expect("rebuild date").value;
        assert_eq!(
            modified.map(|d| d.lexical).as_deref(),
            Some("2026-11-21"),
            "{variant}"
        );
    }
    let snapshot = virtuoso(SparqlOptions::virtuoso())
        .snapshot(&DatasetQuery::by_iris(LIST_IRIS))
        .expect("snapshot");
    assert_eq!(snapshot.usage.requests, 1);
    assert_eq!(snapshot.value.datasets.len(), 4);
}

#[test]
#[ignore = "tier interop: cargo xtask tier interop"]
fn ldf_server_answers_like_the_local_nkod() {
    let reference = SparqlCatalogue::new(
        reference().server.sparql_url(),
        SparqlOptions::default(),
        http(),
    );
    let client = LdfCatalogue::new(ldf_url(), LdfOptions::default(), http());
    let form = client
        .search_form()
        .expect("hydra controls of @ldf/server")
        .value;
    assert!(form.template.contains("/nkod-ldf{?"), "{}", form.template);
    for (name, query) in questions() {
        let expected = reference.find_datasets(&query).expect("reference").value;
        let actual = client
            .find_datasets(&query)
            .unwrap_or_else(|e| panic!("@ldf/server, {name}: {e}"))
            .value;
        assert_eq!(actual, expected, "@ldf/server differs on {name}");
    }
    let modified = client.catalogue_modified().expect("rebuild date").value;
    assert_eq!(modified.map(|d| d.lexical).as_deref(), Some("2026-11-21"));
}

#[test]
#[ignore = "tier interop: cargo xtask tier interop"]
fn ldf_server_paging_beyond_one_hundred_triples() {
    let client = LdfCatalogue::new(ldf_url(), LdfOptions::default(), http());
    client.search_form().expect("controls");
    let local = LdfCatalogue::new(reference().server.ldf_url(), LdfOptions::default(), http());
    let typing = TriplePattern::iris(
        None,
        Some("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        None,
    )
    .expect("IRI");
    let proxy = proxy();
    proxy.reset();
    let fragment = client.triples(&typing).expect("all pages");
    let count = fragment.value.count.expect("void:triples");
    assert!(count > 100, "{count}");
    assert_eq!(
        u64::from(fragment.usage.requests),
        count.div_ceil(100),
        "one request per page of 100"
    );
    assert_eq!(
        proxy.usage().requests,
        fragment.usage.requests,
        "the client reports what went over the wire"
    );
    // @ldf/server skolemizes blank nodes (`/.well-known/genid/…`) and oxigraph keeps them, so
    // compare the triples about named resources.
    let named = |t: &oxrdf::Triple| matches!(&t.subject, oxrdf::NamedOrBlankNode::NamedNode(n) if !n.as_str().contains("/.well-known/genid/"));
    let mut remote: Vec<_> = fragment.value.triples.into_iter().filter(named).collect();
    let mut expected: Vec<_> = local
        .triples(&typing)
        .expect("local")
        .value
        .triples
        .into_iter()
        .filter(named)
        .collect();
    remote.sort_by_key(ToString::to_string);
    expected.sort_by_key(ToString::to_string);
    assert!(remote.len() > 100, "{}", remote.len());
    assert_eq!(remote, expected, "same distinct triples as the local NKOD");
}

/// One run of the daily check: the catalogue, then a conditional GET per list.
fn change_check(
    catalogue: &dyn Catalogue,
    query: &DatasetQuery,
    downloader: &Downloader,
    previous: &mut Vec<Option<Validators>>,
) -> (Usage, Usage, usize) {
    let snapshot = catalogue.snapshot(query).expect("catalogue");
    let mut files = Usage::default();
    let mut changed = 0;
    let urls: Vec<String> = LIST_IRIS
        .iter()
        .map(|iri| {
            let dataset = snapshot
                .value
                .datasets
                .iter()
                .find(|d| d.iri == *iri)
                .expect("list in the answer");
            // MF also has a PDF distribution (on MF's site): the list is the CSV one.
            dataset
                .distributions
                .iter()
                .find(|d| {
                    d.media_type
                        .as_deref()
                        .is_some_and(|m| m.ends_with("/text/csv"))
                })
                .and_then(|d| d.fetch_url())
                .expect("a CSV URL")
                .to_owned()
        })
        .collect();
    previous.resize(urls.len(), None);
    for (url, slot) in urls.iter().zip(previous.iter_mut()) {
        let fetched = downloader.fetch(url, slot.as_ref()).expect("download");
        files += fetched.usage;
        if fetched.value.is_changed() && slot.is_some() {
            changed += 1;
        }
        *slot = Some(fetched.value.validators().clone());
    }
    (snapshot.usage, files, changed)
}

#[test]
#[ignore = "tier interop: cargo xtask tier interop"]
fn change_check_costs_per_backend_and_comunica() {
    let reference = reference();
    let pinned = DatasetQuery::by_iris(LIST_IRIS);
    let discovery =
        DatasetQuery::by_publishers(LIST_PUBLISHERS.map(publisher_iri)).with_title("seznam");
    let proxy = proxy();
    println!("\nchange check: catalogue request(s) + one conditional GET per list (4 lists)");
    println!(
        "{:<34} {:<10} {:>9} {:>12} {:>9} {:>12} {:>8}",
        "backend / server", "query", "cat. req", "cat. bytes", "file req", "file bytes", "changed"
    );
    for query_name in ["pinned", "discovery"] {
        let query = if query_name == "pinned" {
            &pinned
        } else {
            &discovery
        };
        let backends: Vec<(&str, Box<dyn Catalogue>)> = vec![
            (
                "SPARQL / Virtuoso 7",
                Box::new(virtuoso(SparqlOptions::virtuoso())),
            ),
            (
                "LDF / @ldf/server 3",
                Box::new(LdfCatalogue::new(ldf_url(), LdfOptions::default(), http())),
            ),
            (
                "GraphQL / nkod-server",
                Box::new(GraphQlCatalogue::new(
                    reference.server.graphql_url(),
                    GraphQlOptions::default(),
                    http(),
                )),
            ),
        ];
        for (name, catalogue) in &backends {
            let downloader = Downloader::new(http());
            let mut validators = Vec::new();
            // Warm-up run: first download, search form, introspection.
            change_check(catalogue.as_ref(), query, &downloader, &mut validators);
            proxy.reset();
            let (catalogue_usage, files, changed) =
                change_check(catalogue.as_ref(), query, &downloader, &mut validators);
            println!(
                "{name:<34} {query_name:<10} {:>9} {:>12} {:>9} {:>12} {changed:>8}",
                catalogue_usage.requests,
                catalogue_usage.bytes(),
                files.requests,
                files.bytes()
            );
            assert_eq!(changed, 0);
            assert_eq!(files.requests, 4, "one conditional GET per list");
            if name.starts_with("LDF") {
                assert_eq!(
                    proxy.usage().requests,
                    catalogue_usage.requests,
                    "client count = wire count"
                );
            } else {
                assert_eq!(catalogue_usage.requests, 1, "{name}: one catalogue request");
            }
            // One list changes on the server.
            let path = reference.files.path().join(LIST_FILES[1]);
            let original = std::fs::read(&path).expect("read");
            let mut edited = original.clone();
            edited.extend_from_slice(b"\r\n\"interop-test.example\",\"2026-11-22\",");
            std::fs::write(&path, &edited).expect("edit");
            let (catalogue_usage, files, changed) =
                change_check(catalogue.as_ref(), query, &downloader, &mut validators);
            std::fs::write(&path, &original).expect("restore");
            println!(
                "{:<34} {:<10} {:>9} {:>12} {:>9} {:>12} {changed:>8}",
                format!("{name} (1 list changed)"),
                query_name,
                catalogue_usage.requests,
                catalogue_usage.bytes(),
                files.requests,
                files.bytes()
            );
            assert_eq!(changed, 1);
            // Settle the validators on the restored file.
            change_check(catalogue.as_ref(), query, &downloader, &mut validators);
        }
    }
    // Comunica answering the same question (pinned IRIs) over the same TPF server.
    let ours = LdfCatalogue::new(ldf_url(), LdfOptions::default(), http());
    proxy.reset();
    let our_run = ours.snapshot(&pinned).expect("snapshot");
    let our_wire = proxy.usage();
    assert_eq!(our_wire.requests, our_run.usage.requests);
    let values = LIST_IRIS.map(|iri| format!("<{iri}>")).join(" ");
    let query = format!(
        "PREFIX dcat: <http://www.w3.org/ns/dcat#>\nPREFIX dct: <http://purl.org/dc/terms/>\nPREFIX foaf: <http://xmlns.com/foaf/0.1/>\n\
         SELECT * WHERE {{\n  {{ GRAPH ?catalogueGraph {{ <https://data.gov.cz/zdroj/katalog/NKOD> dct:modified ?catalogueModified }} }}\n  UNION\n  {{ VALUES ?dataset {{ {values} }} GRAPH ?g {{\n\
         \x20   ?dataset a dcat:Dataset ; dct:title ?title ; dct:publisher ?publisher ; dcat:distribution ?distribution .\n\
         \x20   OPTIONAL {{ ?publisher foaf:name ?publisherName }}\n\
         \x20   OPTIONAL {{ ?distribution dcat:accessURL ?accessURL }} OPTIONAL {{ ?distribution dcat:downloadURL ?downloadURL }}\n\
         \x20   OPTIONAL {{ ?distribution dct:format ?format }} OPTIONAL {{ ?distribution dcat:mediaType ?mediaType }}\n\
         \x20   OPTIONAL {{ ?distribution dct:conformsTo ?schema }} OPTIONAL {{ ?distribution dct:modified ?distributionModified }}\n\
         \x20   OPTIONAL {{ ?dataset dct:modified ?datasetModified }}\n\
         \x20   OPTIONAL {{ ?record foaf:primaryTopic ?dataset . ?record dct:modified ?recordModified }}\n  }} }}\n}}\n"
    );
    let query_file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(query_file.path(), &query).expect("write query");
    proxy.reset();
    let output = std::process::Command::new(env("NKOD_INTEROP_COMUNICA"))
        .arg(ldf_url())
        .arg("-f")
        .arg(query_file.path())
        .args(["-t", "application/sparql-results+json"])
        .output()
        .expect("run comunica-sparql");
    assert!(
        output.status.success(),
        "Comunica failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let comunica = proxy.usage();
    let results: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("Comunica's JSON results");
    let rows = results
        .pointer("/results/bindings")
        .and_then(|b| b.as_array())
        .map_or(0, Vec::len);
    assert!(
        rows >= 5,
        "Comunica found the rebuild date and the four lists: {rows} rows"
    );
    let download_urls: std::collections::BTreeSet<&str> = results
        .pointer("/results/bindings")
        .and_then(|b| b.as_array())
        .into_iter()
        .flatten()
        .filter_map(|row| row.pointer("/downloadURL/value").and_then(|v| v.as_str()))
        .collect();
    let ours_urls: std::collections::BTreeSet<&str> = our_run
        .value
        .datasets
        .iter()
        .flat_map(|d| &d.distributions)
        .filter_map(|d| d.download_url.as_deref())
        .collect();
    assert_eq!(
        download_urls, ours_urls,
        "Comunica and nkod-client agree on the download URLs"
    );
    println!("\nLDF, pinned IRIs, same TPF server, counted on the wire:");
    println!("  nkod-client LDF backend: {our_wire}");
    let self_reported = results
        .pointer("/metadata/httpRequests")
        .and_then(serde_json::Value::as_u64);
    println!(
        "  Comunica (@comunica/query-sparql): {comunica} (Comunica's own count: {self_reported:?})"
    );
    println!(
        "  ratio Comunica / nkod-client: {:.2}x requests, {:.2}x bytes",
        f64::from(comunica.requests) / f64::from(our_wire.requests.max(1)),
        comunica.bytes() as f64 / our_wire.bytes().max(1) as f64
    );
}
