//! `/sparql`: SPARQL 1.1 protocol over the snapshot.

mod common;

use common::{MF, SUKL, SZPI, USKVBL, agent, start};

const Q1: &str = r#"PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct:  <http://purl.org/dc/terms/>
PREFIX ovm:  <https://rpp-opendata.egon.gov.cz/odrpp/zdroj/orgán-veřejné-moci/>
SELECT ?publisher ?dataset ?title ?distribution ?downloadURL ?accessURL ?format ?mediaType ?schema
WHERE {
  VALUES ?publisher { ovm:00006947 ovm:75014149 ovm:00023817 ovm:00019585 }
  GRAPH ?dataset {
    ?dataset a dcat:Dataset ; dct:publisher ?publisher ; dct:title ?title ;
             dcat:distribution ?distribution .
    ?distribution dcat:accessURL ?accessURL .
    OPTIONAL { ?distribution dcat:downloadURL ?downloadURL }
    OPTIONAL { ?distribution dct:format ?format }
    OPTIONAL { ?distribution dcat:mediaType ?mediaType }
    OPTIONAL { ?distribution dct:conformsTo ?schema }
  }
  FILTER(LANGMATCHES(LANG(?title), "cs"))
  FILTER(REGEX(STR(?title), "nepovolených internetových her|nebezpečných potravin|nelegální nabídkou", "i"))
}"#;

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).expect("valid JSON")
}

#[test]
fn q1_finds_exactly_the_four_lists_with_served_download_urls() {
    let server = start();
    let mut resp = agent()
        .get(&server.sparql_url())
        .query("query", Q1)
        .header("Accept", "application/sparql-results+json")
        .call()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/sparql-results+json")
    );
    let body = json(&resp.body_mut().read_to_string().unwrap());
    let rows = body["results"]["bindings"].as_array().unwrap();
    let mut datasets: Vec<&str> = rows
        .iter()
        .map(|r| r["dataset"]["value"].as_str().unwrap())
        .collect();
    datasets.sort_unstable();
    datasets.dedup();
    let mut expected = vec![MF, SZPI, SUKL, USKVBL];
    expected.sort_unstable();
    assert_eq!(datasets, expected);
    // One CSV per list, served here; MF also has a PDF distribution (on MF's own site).
    let csv = "http://publications.europa.eu/resource/authority/file-type/CSV";
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows.iter().filter(|r| r["format"]["value"] == csv).count(),
        4
    );
    for row in rows.iter().filter(|r| r["format"]["value"] == csv) {
        let download = row["downloadURL"]["value"].as_str().unwrap();
        assert!(
            download.starts_with(&server.file_url("")),
            "{download} is served by this server"
        );
    }
}

#[test]
fn post_form_and_direct_bodies_give_xml_and_csv() {
    let server = start();
    let q = "PREFIX dct: <http://purl.org/dc/terms/> SELECT ?modified WHERE { <https://data.gov.cz/zdroj/katalog/NKOD> dct:modified ?modified }";
    let mut resp = agent()
        .post(&server.sparql_url())
        .header("Accept", "application/sparql-results+xml")
        .send_form([
            ("query", q),
            ("default-graph-uri", ""),
            ("timeout", "30000"),
        ])
        .unwrap();
    assert_eq!(resp.status(), 200);
    let xml = resp.body_mut().read_to_string().unwrap();
    assert!(
        xml.contains(
            "<literal datatype=\"http://www.w3.org/2001/XMLSchema#date\">2026-11-21</literal>"
        ),
        "{xml}"
    );

    let mut resp = agent()
        .post(&server.sparql_url())
        .header("Content-Type", "application/sparql-query")
        .header("Accept", "text/csv")
        .send(q)
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.body_mut().read_to_string().unwrap(),
        "modified\r\n2026-11-21\r\n"
    );

    // Virtuoso's `format` parameter wins over Accept.
    let mut resp = agent()
        .get(&server.sparql_url())
        .query("query", q)
        .query("format", "json")
        .header("Accept", "text/csv")
        .call()
        .unwrap();
    let body = json(&resp.body_mut().read_to_string().unwrap());
    assert_eq!(
        body["results"]["bindings"][0]["modified"]["value"],
        "2026-11-21"
    );
}

#[test]
fn default_graph_is_the_union_and_graph_wrapping_avoids_the_cross_product() {
    let server = start();
    // As in Virtuoso, a pattern over the union matches every graph's copy: MF's foaf:name is
    // repeated in each of its 5 dataset graphs, so joining it without GRAPH multiplies rows
    // (5 datasets x 5 copies), and wrapping the join in GRAPH ?g does not.
    let count = |q: &str| -> String {
        let mut resp = agent()
            .get(&server.sparql_url())
            .query("query", q)
            .query("format", "csv")
            .call()
            .unwrap();
        resp.body_mut()
            .read_to_string()
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .to_owned()
    };
    let join = "?d <http://purl.org/dc/terms/publisher> <https://rpp-opendata.egon.gov.cz/odrpp/zdroj/orgán-veřejné-moci/00006947> . \
                <https://rpp-opendata.egon.gov.cz/odrpp/zdroj/orgán-veřejné-moci/00006947> <http://xmlns.com/foaf/0.1/name> ?name";
    assert_eq!(
        count(&format!("SELECT (COUNT(*) AS ?n) WHERE {{ {join} }}")),
        "25"
    );
    assert_eq!(
        count(&format!(
            "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ {join} }} }}"
        )),
        "5"
    );
    assert_eq!(
        count("SELECT (COUNT(?d) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }"),
        "39"
    );
}

#[test]
fn construct_and_ask_and_errors() {
    let server = start();
    let mut resp = agent()
        .get(&server.sparql_url())
        .query(
            "query",
            format!("CONSTRUCT {{ <{SUKL}> ?p ?o }} WHERE {{ <{SUKL}> ?p ?o }}"),
        )
        .header("Accept", "application/n-triples")
        .call()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let nt = resp.body_mut().read_to_string().unwrap();
    assert!(
        nt.contains("Seznam stránek s nelegální nabídkou léčivých přípravků"),
        "{nt}"
    );

    let mut resp = agent()
        .get(&server.sparql_url())
        .query("query", "ASK { ?s ?p ?o }")
        .call()
        .unwrap();
    assert_eq!(
        json(&resp.body_mut().read_to_string().unwrap())["boolean"],
        true
    );

    let mut resp = agent()
        .get(&server.sparql_url())
        .query("query", "SELECT * WHERE { ?s ?p }")
        .call()
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(
        resp.body_mut()
            .read_to_string()
            .unwrap()
            .contains("SPARQL syntax error")
    );

    let resp = agent().get(&server.sparql_url()).call().unwrap();
    assert_eq!(resp.status(), 400);

    let resp = agent()
        .get(&server.sparql_url())
        .query("query", "ASK {}")
        .header("Accept", "image/png")
        .call()
        .unwrap();
    assert_eq!(resp.status(), 406);

    let resp = agent()
        .post(&server.sparql_url())
        .header("Content-Type", "application/sparql-update")
        .send("INSERT DATA { <a:a> <a:b> <a:c> }")
        .unwrap();
    assert_eq!(resp.status(), 403);
}

#[test]
fn default_graph_uri_restricts_the_dataset() {
    let server = start();
    let mut resp = agent()
        .get(&server.sparql_url())
        .query(
            "query",
            "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }",
        )
        .query("default-graph-uri", SZPI)
        .query("format", "csv")
        .call()
        .unwrap();
    assert_eq!(resp.body_mut().read_to_string().unwrap(), "n\r\n1\r\n");
}
