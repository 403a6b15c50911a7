//! Server-side cost of answering "where are the four blocklists" on the committed snapshot,
//! per API, in one run: SPARQL (Q1, the reference), GraphQL (the four-publisher query) and one
//! TPF page; plus loading the snapshot. Run: `cargo bench -p nkod-server --bench serve`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use nkod_server::{NkodServer, ServerConfig, Snapshot};

const OVM: &str = "https://rpp-opendata.egon.gov.cz/odrpp/zdroj/orgán-veřejné-moci/";

fn testdata() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/nkod")
}

fn bench(c: &mut Criterion) {
    let trig = std::fs::read_to_string(testdata().join("snapshot.trig")).unwrap();
    c.bench_function("load_snapshot", |b| {
        b.iter(|| {
            Snapshot::from_trig(black_box(&trig), "snapshot.trig", "http://127.0.0.1:1/").unwrap()
        });
    });

    let server = NkodServer::start(
        ServerConfig::from_file(testdata().join("snapshot.trig"))
            .with_files_dir(testdata().join("soubory")),
    )
    .unwrap();
    let agent = ureq::Agent::new_with_defaults();
    let q1 = format!(
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/>
         SELECT ?dataset ?title ?d ?download WHERE {{
           VALUES ?publisher {{ <{OVM}00006947> <{OVM}75014149> <{OVM}00023817> <{OVM}00019585> }}
           GRAPH ?dataset {{ ?dataset a dcat:Dataset ; dct:publisher ?publisher ; dct:title ?title ;
                             dcat:distribution ?d . OPTIONAL {{ ?d dcat:downloadURL ?download }} }}
           FILTER(REGEX(STR(?title), \"nepovolených internetových her|nebezpečných potravin|nelegální nabídkou\", \"i\")) }}"
    );
    let graphql = format!(
        "{{ datasets(limit: 1000, filters: [{{publisherIri: \"{OVM}00006947\"}}, {{publisherIri: \"{OVM}75014149\"}}, \
         {{publisherIri: \"{OVM}00023817\"}}, {{publisherIri: \"{OVM}00019585\"}}]) {{ data {{ iri title {{ cs }} \
         distribution {{ iri downloadURL }} }} pagination {{ totalCount }} }} }}"
    );
    let body = serde_json::json!({ "query": graphql }).to_string();
    let mut group = c.benchmark_group("four_lists_one_request");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("sparql_q1_reference", |b| {
        b.iter(|| {
            agent
                .get(&server.sparql_url())
                .query("query", &q1)
                .header("Accept", "application/sparql-results+json")
                .call()
                .unwrap()
                .body_mut()
                .read_to_vec()
                .unwrap()
        });
    });
    group.bench_function("graphql", |b| {
        b.iter(|| {
            agent
                .post(&server.graphql_url())
                .header("Content-Type", "application/json")
                .send(&body)
                .unwrap()
                .body_mut()
                .read_to_vec()
                .unwrap()
        });
    });
    group.bench_function("tpf_predicate_publisher_page", |b| {
        b.iter(|| {
            agent
                .get(&server.ldf_url())
                .query("predicate", "http://purl.org/dc/terms/publisher")
                .call()
                .unwrap()
                .body_mut()
                .read_to_vec()
                .unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
