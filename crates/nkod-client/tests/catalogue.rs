//! The three backends against a local NKOD (`nkod-server` over the snapshot in
//! `testdata/nkod/`): identical answers per question, TPF paging, failure modes, request counts.

use nkod_client::{
    Backend, Catalogue, DatasetQuery, Downloader, Endpoints, Error, Fetched, GraphQlCatalogue,
    GraphQlOptions, HttpConfig, LdfCatalogue, LdfOptions, ResultsFormat, SparqlCatalogue,
    SparqlMethod, SparqlOptions, TriplePattern, publisher_iri,
};
use nkod_server::{Fault, NkodServer, Route, RunningServer, ServerConfig};
use std::time::Duration;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/nkod");
const LIST_PUBLISHERS: [&str; 4] = ["00006947", "75014149", "00023817", "00019585"];
const LISTS: [(&str, &str, &str); 4] = [
    (
        "https://data.gov.cz/zdroj/datové-sady/00006947/5f0e4a31c50ab8ff567392b07c550440",
        "Seznam nepovolených internetových her",
        "mf-seznam-nepovolenych-internetovych-her.cp1250.csv",
    ),
    (
        "https://data.gov.cz/zdroj/datové-sady/75014149/4760606f1d6f0add4cd93d1723297b87",
        "Seznam internetových stránek s nabídkou nebezpečných potravin",
        "szpi-blokovane-weby.csv",
    ),
    (
        "https://data.gov.cz/zdroj/datové-sady/00023817/00e1bb8e0ae9a7d4e6a86c6d32d133b3",
        "Seznam stránek s nelegální nabídkou léčivých přípravků",
        "sukl-nelegalni-stranky-lp.csv",
    ),
    (
        "https://data.gov.cz/zdroj/datové-sady/00019585/1187345120",
        "Seznam stránek s nelegální nabídkou veterinárních léčivých přípravků",
        "uskvbl-nelegalni-vlp.csv",
    ),
];

fn start(files: &str) -> RunningServer {
    NkodServer::start(
        ServerConfig::from_file(format!("{DATA}/snapshot.trig")).with_files_dir(files.to_owned()),
    )
    .expect("nkod-server starts on loopback")
}

fn http() -> HttpConfig {
    HttpConfig {
        request_timeout: Duration::from_secs(20),
        deadline: Duration::from_secs(40),
        backoff_initial: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        ..HttpConfig::default()
    }
}

fn backends(server: &RunningServer) -> Vec<Box<dyn Catalogue>> {
    let endpoints = Endpoints::under(server.base_url());
    [Backend::Sparql, Backend::Ldf, Backend::GraphQl]
        .into_iter()
        .map(|backend| endpoints.connect(backend, http()))
        .collect()
}

fn questions() -> Vec<(&'static str, DatasetQuery)> {
    let lists = DatasetQuery::by_publishers(LIST_PUBLISHERS.map(publisher_iri));
    vec![
        ("the four publishers", lists.clone()),
        ("the four lists", lists.clone().with_title("nabídkou")),
        ("lists by title", DatasetQuery::by_title("SEZNAM STRÁNEK")),
        (
            "MF only",
            DatasetQuery::by_publishers([publisher_iri("00006947")]),
        ),
        (
            "by IRI, one unknown",
            DatasetQuery::by_iris(
                LISTS
                    .map(|l| l.0)
                    .into_iter()
                    .chain(["https://data.gov.cz/zdroj/datové-sady/0/none"]),
            ),
        ),
        (
            "title matching nothing",
            DatasetQuery::by_title("žádná taková datová sada"),
        ),
        (
            "publisher and wrong title",
            DatasetQuery::by_publishers([publisher_iri("75014149")]).with_title("her"),
        ),
    ]
}

#[test]
fn three_backends_give_identical_answers() {
    let server = start(&format!("{DATA}/soubory"));
    let clients = backends(&server);
    for (name, query) in questions() {
        let answers: Vec<_> = clients
            .iter()
            .map(|c| {
                c.find_datasets(&query)
                    .unwrap_or_else(|e| panic!("{} on {name}: {e}", c.backend()))
            })
            .collect();
        for (client, answer) in clients.iter().zip(&answers).skip(1) {
            assert_eq!(
                answer.value,
                answers[0].value,
                "{} differs from SPARQL on {name}",
                client.backend()
            );
        }
    }
    // What the answers say, checked against the snapshot's documented content.
    let all = clients[0]
        .find_datasets(&DatasetQuery::by_iris(LISTS.map(|l| l.0)))
        .expect("by IRI")
        .value;
    assert_eq!(all.len(), 4);
    for (iri, title, file) in LISTS {
        let dataset = all
            .iter()
            .find(|d| d.iri == iri)
            .expect("each list is found");
        assert_eq!(dataset.title.cs.as_deref(), Some(title));
        // MF also publishes its list as PDF: two distributions, one of them CSV.
        let expected = if file.starts_with("mf-") { 2 } else { 1 };
        assert_eq!(dataset.distributions.len(), expected, "{iri}");
        let distribution = dataset
            .distributions
            .iter()
            .find(|d| d.format.as_deref().is_some_and(|f| f.ends_with("/CSV")))
            .expect("a CSV distribution");
        assert_eq!(
            distribution.download_url.as_deref(),
            Some(server.file_url(file).as_str())
        );
        assert_eq!(
            distribution.format.as_deref(),
            Some("http://publications.europa.eu/resource/authority/file-type/CSV")
        );
        assert_eq!(
            distribution.media_type.as_deref(),
            Some("http://www.iana.org/assignments/media-types/text/csv")
        );
        let publisher = dataset.publisher.as_ref().expect("publisher");
        assert!(iri.contains(publisher.ico().expect("IČO")), "{iri}");
        assert!(publisher.name.cs.is_some(), "publisher name of {iri}");
        assert_eq!(
            dataset.latest_modified(),
            None,
            "NKOD carries no per-dataset dates"
        );
    }
    let mf = clients[0]
        .find_datasets(&DatasetQuery::by_publishers([publisher_iri("00006947")]))
        .expect("MF")
        .value;
    assert!(mf.len() > 1, "MF has distractor datasets");
    assert_eq!(
        mf.iter()
            .filter(|d| d
                .title
                .contains_ignore_case("nepovolených internetových her"))
            .count(),
        1
    );
}

#[test]
fn rebuild_date_and_snapshot_costs() {
    let server = start(&format!("{DATA}/soubory"));
    let query = DatasetQuery::by_publishers(LIST_PUBLISHERS.map(publisher_iri));
    let clients = backends(&server);
    let mut answers = Vec::new();
    for client in &clients {
        let modified = client.catalogue_modified().expect("rebuild date");
        let expected = client
            .capabilities()
            .catalogue_modified
            .then(|| "2026-11-21".to_owned());
        assert_eq!(
            modified.value.as_ref().map(|d| d.lexical.clone()),
            expected,
            "{}",
            client.backend()
        );
        let first = client.snapshot(&query).expect("snapshot");
        let snapshot = client.snapshot(&query).expect("snapshot");
        assert_eq!(first.value, snapshot.value);
        match client.backend() {
            Backend::Sparql => assert_eq!(first.usage.requests, 1, "SPARQL: one request"),
            // The first call also asks whether `downloadURL` exists.
            Backend::GraphQl => {
                assert_eq!(first.usage.requests, 2, "GraphQL: introspection + query");
            }
            Backend::Ldf => assert!(first.usage.requests > 4, "LDF: a fragment per pattern"),
        }
        match client.backend() {
            Backend::Sparql | Backend::GraphQl => assert_eq!(snapshot.usage.requests, 1),
            // The search form was read by `catalogue_modified` already.
            Backend::Ldf => assert_eq!(snapshot.usage.requests, first.usage.requests),
        }
        assert!(snapshot.usage.bytes_received > 0);
        answers.push(snapshot.value.datasets);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
    // The server saw exactly the requests the clients reported.
    server.reset_request_counts();
    let sparql = SparqlCatalogue::new(server.sparql_url(), SparqlOptions::virtuoso(), http());
    let reported = sparql.snapshot(&query).expect("snapshot").usage.requests;
    assert_eq!(u64::from(reported), server.request_count(Route::Sparql));
    let ldf = LdfCatalogue::new(server.ldf_url(), LdfOptions::default(), http());
    let reported = ldf.snapshot(&query).expect("snapshot").usage.requests;
    assert_eq!(u64::from(reported), server.request_count(Route::Ldf));
}

#[test]
fn sparql_get_post_json_xml_agree() {
    let server = start(&format!("{DATA}/soubory"));
    let query = DatasetQuery::by_title("seznam");
    let mut answers = Vec::new();
    for method in [SparqlMethod::Get, SparqlMethod::Post] {
        for format in [ResultsFormat::Json, ResultsFormat::Xml] {
            for virtuoso in [false, true] {
                let options = SparqlOptions {
                    method,
                    format,
                    ..if virtuoso {
                        SparqlOptions::virtuoso()
                    } else {
                        SparqlOptions::default()
                    }
                };
                let client = SparqlCatalogue::new(server.sparql_url(), options, http());
                answers.push(client.find_datasets(&query).expect("SPARQL").value);
            }
        }
    }
    assert!(answers[0].len() >= 4);
    assert!(answers.iter().all(|a| *a == answers[0]));
}

#[test]
fn tpf_paging_beyond_one_hundred_triples() {
    let server = start(&format!("{DATA}/soubory"));
    let ldf = LdfCatalogue::new(server.ldf_url(), LdfOptions::default(), http());
    let form = ldf.search_form().expect("controls of the first fragment");
    assert_eq!(form.usage.requests, 1);
    assert!(
        form.value.template.starts_with(&server.ldf_url()),
        "{}",
        form.value.template
    );
    let typing = TriplePattern::iris(
        None,
        Some("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        None,
    )
    .expect("IRI");
    let fragment = ldf.triples(&typing).expect("all pages");
    let count = fragment.value.count.expect("void:triples");
    assert!(count > 100, "the pattern spans several pages: {count}");
    assert_eq!(fragment.value.triples.len() as u64, count);
    assert_eq!(
        u64::from(fragment.usage.requests),
        count.div_ceil(100),
        "one request per page, form cached"
    );
    // The same set as SPARQL sees (distinct triples of the union of graphs).
    let sparql = SparqlCatalogue::new(server.sparql_url(), SparqlOptions::default(), http());
    let rows = sparql
        .select("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?o WHERE { GRAPH ?g { ?s a ?o } } }")
        .expect("count");
    let n = rows.value[0]
        .iter()
        .find(|(v, _)| v == "n")
        .map(|(_, t)| t.clone())
        .expect("?n");
    let oxrdf::Term::Literal(n) = n else {
        panic!("count is a literal")
    };
    assert_eq!(n.value().parse::<u64>().expect("integer"), count);
}

#[test]
fn transient_server_errors_are_retried_and_counted() {
    let server = start(&format!("{DATA}/soubory"));
    let query = DatasetQuery::by_publishers([publisher_iri("75014149")]);
    server.set_fault(Route::Sparql, Fault::fail_first(2, 500));
    let sparql = SparqlCatalogue::new(server.sparql_url(), SparqlOptions::default(), http());
    let answer = sparql
        .find_datasets(&query)
        .expect("third attempt succeeds");
    assert_eq!(answer.usage.requests, 3);
    assert!(!answer.value.is_empty());

    server.set_fault(Route::Sparql, Fault::errors(1.0, 503));
    let config = HttpConfig {
        max_attempts: 2,
        backoff_max: Duration::from_millis(50),
        ..http()
    };
    let sparql = SparqlCatalogue::new(server.sparql_url(), SparqlOptions::default(), config);
    let err = sparql.find_datasets(&query).expect_err("always 503");
    assert!(matches!(err, Error::Status { status: 503, .. }), "{err}");
    assert_eq!(sparql.total_usage().requests, 2);
}

#[test]
fn truncated_fragment_is_a_truncated_error() {
    let server = start(&format!("{DATA}/soubory"));
    server.set_fault(Route::Ldf, Fault::truncate_at(200));
    let config = HttpConfig {
        max_attempts: 2,
        ..http()
    };
    let ldf = LdfCatalogue::new(server.ldf_url(), LdfOptions::default(), config);
    let err = ldf.search_form().expect_err("truncated");
    assert!(
        matches!(err, Error::Truncated { received: 200, .. }),
        "{err:?}"
    );
    assert_eq!(ldf.total_usage().requests, 2);
}

#[test]
fn slow_body_times_out_within_the_deadline() {
    let server = start(&format!("{DATA}/soubory"));
    server.set_fault(Route::Graphql, Fault::slow(16, Duration::from_millis(200)));
    let config = HttpConfig {
        request_timeout: Duration::from_millis(300),
        deadline: Duration::from_millis(900),
        ..http()
    };
    let graphql = GraphQlCatalogue::new(server.graphql_url(), GraphQlOptions::default(), config);
    let started = std::time::Instant::now();
    let err = graphql.has_download_url().expect_err("slow body");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn protocol_level_failures_have_their_own_errors() {
    let server = start(&format!("{DATA}/soubory"));
    // SPARQL syntax error: HTTP 400 from the endpoint, not retried.
    let sparql = SparqlCatalogue::new(server.sparql_url(), SparqlOptions::default(), http());
    let err = sparql.select("SELECT WHERE {").expect_err("syntax error");
    assert!(matches!(err, Error::Status { status: 400, .. }), "{err}");
    assert_eq!(sparql.total_usage().requests, 1);
    // GraphQL `errors`.
    let graphql = GraphQlCatalogue::new(server.graphql_url(), GraphQlOptions::default(), http());
    let err = graphql
        .query("{ noSuchField }", &serde_json::json!({}))
        .expect_err("GraphQL error");
    assert!(
        matches!(&err, Error::GraphQl { messages, .. } if !messages.is_empty()),
        "{err}"
    );
    assert!(
        graphql.has_download_url().expect("introspection").value,
        "nkod-server has the newer schema"
    );
    // A TPF client pointed at something that is not a TPF server.
    let ldf = LdfCatalogue::new(server.sparql_url(), LdfOptions::default(), http());
    let err = ldf.search_form().expect_err("not TPF");
    assert!(
        matches!(
            err,
            Error::Status { .. }
                | Error::MediaType { .. }
                | Error::Hydra { .. }
                | Error::Rdf { .. }
        ),
        "{err}"
    );
    // A SPARQL client pointed at a file.
    let sparql = SparqlCatalogue::new(
        server.file_url("szpi-blokovane-weby.csv"),
        SparqlOptions::default(),
        http(),
    );
    let err = sparql.catalogue_modified().expect_err("not SPARQL");
    assert!(
        matches!(err, Error::MediaType { .. } | Error::SparqlResults { .. }),
        "{err}"
    );
}

#[test]
fn change_check_costs_one_catalogue_request_and_a_304_per_list() {
    let files = tempfile::tempdir().expect("temp dir");
    for (_, _, file) in LISTS {
        std::fs::copy(format!("{DATA}/soubory/{file}"), files.path().join(file))
            .expect("copy list");
    }
    let server = start(files.path().to_str().expect("UTF-8 path"));
    let query =
        DatasetQuery::by_publishers(LIST_PUBLISHERS.map(publisher_iri)).with_title("seznam");
    for backend in [Backend::Sparql, Backend::GraphQl, Backend::Ldf] {
        let catalogue = Endpoints::under(server.base_url()).connect(backend, http());
        let downloader = Downloader::new(http());
        // First run: everything downloaded.
        let first = catalogue.snapshot(&query).expect("snapshot");
        let urls: Vec<String> = first
            .value
            .datasets
            .iter()
            .filter(|d| LISTS.iter().any(|l| l.0 == d.iri))
            .filter_map(|d| {
                d.distributions
                    .iter()
                    .find(|x| {
                        x.media_type
                            .as_deref()
                            .is_some_and(|m| m.ends_with("/text/csv"))
                    })
                    .and_then(|x| x.fetch_url())
                    .map(str::to_owned)
            })
            .collect();
        assert_eq!(urls.len(), 4, "{backend}");
        let validators: Vec<_> = urls
            .iter()
            .map(|u| {
                downloader
                    .fetch(u, None)
                    .expect("download")
                    .value
                    .validators()
                    .clone()
            })
            .collect();
        // Second run, nothing changed.
        let again = catalogue.snapshot(&query).expect("snapshot");
        assert_eq!(again.value, first.value);
        let mut files_usage = nkod_client::Usage::default();
        for (url, previous) in urls.iter().zip(&validators) {
            let fetched = downloader
                .fetch(url, Some(previous))
                .expect("conditional GET");
            assert!(
                matches!(fetched.value, Fetched::NotModified { .. }),
                "{url}"
            );
            files_usage += fetched.usage;
        }
        assert_eq!(files_usage.requests, 4);
        assert!(
            files_usage.bytes_received < 4 * 400,
            "304s carry no body: {files_usage}"
        );
        if backend != Backend::Ldf {
            assert_eq!(again.usage.requests, 1, "{backend}: one catalogue request");
        }
    }
    // One list changes: only that one comes back with a body.
    let changed = files.path().join("szpi-blokovane-weby.csv");
    let mut text = std::fs::read(&changed).expect("read");
    text.extend_from_slice(b"\r\n\"example-added.cz\",\"2026-11-22\",");
    let downloader = Downloader::new(http());
    let url = server.file_url("szpi-blokovane-weby.csv");
    let before = downloader
        .fetch(&url, None)
        .expect("download")
        .value
        .validators()
        .clone();
    std::fs::write(&changed, &text).expect("rewrite list");
    let after = downloader.fetch(&url, Some(&before)).expect("download");
    let Fetched::Changed(download) = after.value else {
        panic!("the list changed")
    };
    assert_eq!(download.body, text);
    assert_eq!(after.usage.requests, 1);
}
