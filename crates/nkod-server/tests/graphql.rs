//! `/graphql`: the NKOD GraphQL schema subset and its filter semantics.

mod common;

use common::{MF, SUKL, SZPI, USKVBL, agent, start, testdata};
use nkod_server::{NkodServer, ServerConfig, SnapshotSource};
use serde_json::{Value, json};

const OVM: &str = "https://rpp-opendata.egon.gov.cz/odrpp/zdroj/orgán-veřejné-moci/";

fn post(url: &str, query: &str, variables: &Value) -> (u16, Value) {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let mut resp = agent()
        .post(url)
        .header("Content-Type", "application/json")
        .send(body)
        .unwrap();
    let status = resp.status().as_u16();
    let body: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    (status, body)
}

fn recorded(name: &str) -> (String, Value) {
    let dir = testdata().join("graphql");
    let query = std::fs::read_to_string(dir.join(format!("{name}.query.graphql"))).unwrap();
    let response = std::fs::read_to_string(dir.join(format!("{name}.response.json"))).unwrap();
    (query, serde_json::from_str(&response).unwrap())
}

#[test]
fn recorded_nkod_responses_are_reproduced_on_the_snapshot() {
    let server = start();
    for name in ["datasets-iri-title-cs", "datasets-limit-4"] {
        let (query, expected) = recorded(name);
        let (status, body) = post(&server.graphql_url(), &query, &Value::Null);
        assert_eq!(status, 200, "{name}");
        assert_eq!(body, expected, "{name}");
    }
}

#[test]
fn recorded_response_with_other_datasets_first_follows_dump_order() {
    // datasets-iri.response.json was recorded when ten MF datasets came first in nkod.json;
    // a dump with those ten graphs (in that order) gives the same answer.
    let (query, expected) = recorded("datasets-iri");
    let mut trig = String::from(
        "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n",
    );
    for item in expected["data"]["datasets"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
    {
        let iri = item["iri"].as_str().unwrap();
        trig.push_str(&format!(
            "<{iri}> {{ <{iri}> a dcat:Dataset ; dct:publisher <{OVM}00006947> . }}\n"
        ));
    }
    // Written in reverse, then the first graph moved last, to prove order comes from the file.
    let lines: Vec<&str> = trig.lines().collect();
    let mut reordered: Vec<&str> = lines[..2].to_vec();
    let mut graphs: Vec<&str> = lines[2..].to_vec();
    graphs.reverse();
    reordered.extend(graphs);
    let server = NkodServer::start(ServerConfig::new(SnapshotSource::Trig {
        text: reordered.join("\n"),
        origin: "datasets-iri".into(),
    }))
    .unwrap();
    let (status, body) = post(&server.graphql_url(), &query, &Value::Null);
    assert_eq!(status, 200);
    assert_eq!(body, expected);
}

#[test]
fn the_four_lists_query_from_the_reference() {
    let server = start();
    let query = format!(
        r#"{{ datasets(limit: 1000, filters: [
              {{publisherIri: "{OVM}00006947"}}, {{publisherIri: "{OVM}75014149"}},
              {{publisherIri: "{OVM}00023817"}}, {{publisherIri: "{OVM}00019585"}}]) {{
            data {{ iri title {{ cs }} publisher {{ iri title {{ cs }} }}
                   distribution(filters: [{{format: "http://publications.europa.eu/resource/authority/file-type/CSV"}}]) {{
                     iri accessURL downloadURL mediaType conformsTo }} }}
            pagination {{ totalCount }} }} }}"#
    );
    let (status, body) = post(&server.graphql_url(), &query, &Value::Null);
    assert_eq!(status, 200, "{body}");
    let data = body["data"]["datasets"]["data"].as_array().unwrap();
    // All datasets of the four publishers (lists and distractors), in dump order.
    assert_eq!(
        body["data"]["datasets"]["pagination"]["totalCount"],
        data.len()
    );
    assert_eq!(data.len(), 14);
    let find = |iri: &str| {
        data.iter()
            .find(|d| d["iri"] == iri)
            .unwrap_or_else(|| panic!("{iri}"))
    };
    let sukl = find(SUKL);
    assert_eq!(
        sukl["title"]["cs"],
        "Seznam stránek s nelegální nabídkou léčivých přípravků"
    );
    assert_eq!(
        sukl["publisher"]["title"]["cs"],
        "Státní ústav pro kontrolu léčiv"
    );
    assert_eq!(
        sukl["distribution"][0]["downloadURL"],
        server.file_url("sukl-nelegalni-stranky-lp.csv")
    );
    assert_eq!(
        sukl["distribution"][0]["mediaType"],
        "http://www.iana.org/assignments/media-types/text/csv"
    );
    assert_eq!(sukl["distribution"][0]["conformsTo"], Value::Null);
    for iri in [MF, SZPI, USKVBL] {
        assert_eq!(find(iri)["distribution"].as_array().unwrap().len(), 1);
    }
    // A distractor with a JSON distribution has no CSV distribution.
    let monitor = data
        .iter()
        .find(|d| d["title"]["cs"] == "Monitor státní pokladny")
        .unwrap();
    assert_eq!(monitor["distribution"], json!([]));
}

#[test]
fn filter_semantics_match_nkod_graphql() {
    let server = start();
    let count = |filters: &str| -> i64 {
        let q = format!("{{ datasets(filters: {filters}) {{ pagination {{ totalCount }} }} }}");
        let (status, body) = post(&server.graphql_url(), &q, &Value::Null);
        assert_eq!(status, 200, "{filters}: {body}");
        body["data"]["datasets"]["pagination"]["totalCount"]
            .as_i64()
            .unwrap()
    };
    // A single object is coerced to a one-item list.
    assert_eq!(count(&format!("{{publisherIri: \"{OVM}00006947\"}}")), 5);
    // Fields of one item are AND-ed.
    assert_eq!(
        count(&format!(
            "{{publisherIri: \"{OVM}00006947\", accrualPeriodicity: \"http://publications.europa.eu/resource/authority/frequency/MONTHLY\"}}"
        )),
        3
    );
    // Items are OR-ed.
    assert_eq!(
        count(&format!(
            "[{{publisherIri: \"{OVM}00006947\"}}, {{publisherIri: \"{OVM}00019585\"}}]"
        )),
        7
    );
    // List fields need every given value.
    assert_eq!(
        count("{conformsTo: \"https://ofn.gov.cz/úřední-desky/2021-07-20/\"}"),
        2
    );
    assert_eq!(
        count(
            "{theme: [\"http://publications.europa.eu/resource/authority/data-theme/HEAL\", \"http://publications.europa.eu/resource/authority/data-theme/AGRI\"]}"
        ),
        0
    );
    assert_eq!(
        count("{theme: \"http://publications.europa.eu/resource/authority/data-theme/HEAL\"}"),
        6
    );
    // An empty list matches nothing; publisherIri is an exact compare.
    assert_eq!(count("[]"), 0);
    assert_eq!(count(&format!("{{publisherIri: \"{OVM}00006947/\"}}")), 0);
    // contactPointEmail compares accrualPeriodicity (the upstream bug).
    assert_eq!(count("{contactPointEmail: \"opendata@sukl.cz\"}"), 0);

    let (_, body) = post(
        &server.graphql_url(),
        "{ datasetsWithDistribution(filters: {hasAccessService: true}) { data { iri title { cs } } pagination { totalCount } } }",
        &Value::Null,
    );
    assert_eq!(
        body["data"]["datasetsWithDistribution"]["pagination"]["totalCount"],
        1
    );
    assert_eq!(
        body["data"]["datasetsWithDistribution"]["data"][0]["title"]["cs"],
        "Jízdní řády veřejné linkové dopravy"
    );
}

#[test]
fn offset_limit_and_variables() {
    let server = start();
    let q = "query Page($o: Int, $l: Int) { datasets(offset: $o, limit: $l) { data { iri } pagination { totalCount } } }";
    let (_, all) = post(&server.graphql_url(), q, &json!({"o": 0, "l": 1000}));
    let all: Vec<Value> = all["data"]["datasets"]["data"].as_array().unwrap().clone();
    assert_eq!(all.len(), 39);
    let mut paged = Vec::new();
    for page in 0..4 {
        let (_, body) = post(&server.graphql_url(), q, &json!({"o": page * 10, "l": 10}));
        assert_eq!(body["data"]["datasets"]["pagination"]["totalCount"], 39);
        paged.extend(body["data"]["datasets"]["data"].as_array().unwrap().clone());
    }
    assert_eq!(paged, all);
    // Defaults: limit 10; a negative offset counts as 0.
    let (_, body) = post(&server.graphql_url(), q, &json!({"o": -5}));
    assert_eq!(
        body["data"]["datasets"]["data"].as_array().unwrap()[..],
        all[..10]
    );
}

#[test]
fn single_dataset_aliases_fragments_and_get() {
    let server = start();
    let q = format!(
        "query {{ a: dataset(iri: \"{SZPI}\") {{ ...T __typename }} missing: dataset(iri: \"https://x.example/\") {{ iri }} }}\n\
         fragment T on Dataset {{ iri title {{ cs en }} keyword {{ cs }} distribution {{ downloadURL termsOfUse {{ personal_data }} }} }}"
    );
    let mut resp = agent()
        .get(&server.graphql_url())
        .query("query", &q)
        .call()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    let a = &body["data"]["a"];
    assert_eq!(a["iri"], SZPI);
    assert_eq!(a["__typename"], "Dataset");
    assert_eq!(a["title"]["en"], Value::Null);
    assert_eq!(
        a["distribution"][0]["downloadURL"],
        server.file_url("szpi-blokovane-weby.csv")
    );
    assert_eq!(
        a["distribution"][0]["termsOfUse"]["personal_data"],
        "https://data.gov.cz/podmínky-užití/neobsahuje-osobní-údaje/"
    );
    assert!(
        a["keyword"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["cs"] == "potraviny")
    );
    assert_eq!(body["data"]["missing"], Value::Null);
}

#[test]
fn introspection_tells_whether_download_url_exists() {
    let server = start();
    let (status, body) = post(
        &server.graphql_url(),
        "{ __type(name: \"Distribution\") { name kind fields { name type { name kind } } } }",
        &Value::Null,
    );
    assert_eq!(status, 200);
    let fields = body["data"]["__type"]["fields"].as_array().unwrap();
    assert!(
        fields
            .iter()
            .any(|f| f["name"] == "downloadURL" && f["type"]["name"] == "String")
    );
    assert_eq!(body["data"]["__type"]["kind"], "OBJECT");

    let (_, body) = post(
        &server.graphql_url(),
        "{ __schema { queryType { name } types { name kind } } }",
        &Value::Null,
    );
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    let types = body["data"]["__schema"]["types"].as_array().unwrap();
    assert!(
        types
            .iter()
            .any(|t| t["name"] == "DatasetsFilter" && t["kind"] == "INPUT_OBJECT")
    );
    let (_, body) = post(
        &server.graphql_url(),
        "{ __type(name: \"Query\") { fields { name args { name type { kind ofType { name kind } } } } } }",
        &Value::Null,
    );
    let datasets = body["data"]["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "datasets")
        .unwrap()
        .clone();
    assert_eq!(datasets["args"][0]["name"], "filters");
    assert_eq!(datasets["args"][0]["type"]["kind"], "LIST");
    assert_eq!(
        datasets["args"][0]["type"]["ofType"]["name"],
        "DatasetsFilter"
    );
}

#[test]
fn errors_are_graphql_errors_with_locations() {
    let server = start();
    let (status, body) = post(
        &server.graphql_url(),
        "{ datasets { data { iri modified } } }",
        &Value::Null,
    );
    assert_eq!(status, 400);
    assert_eq!(
        body["errors"][0]["message"],
        "Cannot query field \"modified\" on type \"Dataset\"."
    );
    assert_eq!(
        body["errors"][0]["locations"][0],
        json!({"line": 1, "column": 25})
    );
    assert!(body.get("data").is_none());

    let (status, body) = post(
        &server.graphql_url(),
        "{ datasets(limit: ) { data { iri } } }",
        &Value::Null,
    );
    assert_eq!(status, 400);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Syntax Error")
    );

    let (status, body) = post(
        &server.graphql_url(),
        "{ datasets(limit: \"ten\") { data { iri } } }",
        &Value::Null,
    );
    assert_eq!(status, 400);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Int cannot represent")
    );

    let (status, body) = post(
        &server.graphql_url(),
        "{ datasets(filters: {publisher: \"x\"}) { data { iri } } }",
        &Value::Null,
    );
    assert_eq!(status, 400, "{body}");

    let (status, _) = post(&server.graphql_url(), "{ datasets }", &Value::Null);
    assert_eq!(status, 400);

    let (status, _) = post(
        &server.graphql_url(),
        "mutation { datasets { data { iri } } }",
        &Value::Null,
    );
    assert_eq!(status, 400);

    // A fragment cycle and a fragment bomb are refused, not followed.
    let (status, _) = post(
        &server.graphql_url(),
        "{ datasets { data { ...A } } } fragment A on Dataset { iri ...A }",
        &Value::Null,
    );
    assert_eq!(status, 400);
    let mut bomb = String::from("{ datasets { data { ...F0 } } }\n");
    for i in 0..30 {
        bomb.push_str(&format!(
            "fragment F{i} on Dataset {{ iri ...F{n} ...F{n} }}\n",
            n = i + 1
        ));
    }
    bomb.push_str("fragment F30 on Dataset { iri }\n");
    let (status, body) = post(&server.graphql_url(), &bomb, &Value::Null);
    assert_eq!(status, 400, "{body}");

    let resp = agent()
        .post(&server.graphql_url())
        .header("Content-Type", "text/plain")
        .send("{}")
        .unwrap();
    assert_eq!(resp.status(), 415);
}
