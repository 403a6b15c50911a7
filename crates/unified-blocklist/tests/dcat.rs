//! The DCAT-AP-CZ records: `dcat.jsonld` and `katalog.jsonld` validate against the OFN JSON
//! Schemas (with the `jsonschema` crate, a full JSON Schema 2020-12 validator) and use only
//! terms of the OFN JSON-LD context; `dcat.ttl` is valid Turtle describing the same dataset
//! and distributions; every IRI of the records is dereferenceable in a real publication.
//!
//! The schemas and context are the copies in `testdata/dcat-ap-cz/` (see PROVENANCE.md there).
//! The schemas' two references to the OFN basic data types (`text.json`, `více-textů.json`)
//! are not in the copies; they are defined here as the OFN defines them (an object with a
//! Czech or an English text, other language keys allowed; for `více-textů` each value a text
//! or a list of texts).

use jsonschema::{Retrieve, Uri, Validator};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use unified_blocklist::dcat::{DcatSettings, catalog_jsonld, catalog_turtle, dataset_jsonld};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/dcat-ap-cz");

fn load(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{DIR}/{name}")).unwrap()).unwrap()
}

/// The OFN basic data types the schemas refer to, served from memory (never the network).
struct OfnBasicTypes;

impl Retrieve for OfnBasicTypes {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let decoded = percent_encoding::percent_decode_str(uri.as_str()).decode_utf8_lossy();
        let text = json!({"type": "string"});
        let texts =
            json!({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]});
        let one_of = |value: &Value| {
            json!({
                "type": "object",
                "anyOf": [
                    {"required": ["cs"], "properties": {"cs": value}},
                    {"required": ["en"], "properties": {"en": value}},
                ],
                "additionalProperties": value,
            })
        };
        if decoded.ends_with("/základní-datové-typy/2020-07-01/schémata/text.json") {
            Ok(one_of(&text))
        } else if decoded.ends_with("/základní-datové-typy/2020-07-01/schémata/více-textů.json")
        {
            Ok(one_of(&texts))
        } else {
            Err(format!("no such OFN schema here: {decoded}").into())
        }
    }
}

/// An IRI as a URI (RFC 3987 §3.1: the UTF-8 bytes of non-ASCII characters
/// percent-encoded): the OFN schemas' `$id` and `$ref` are IRIs with Czech letters, and the
/// validator resolves references as URIs.
fn iri_to_uri(iri: &str) -> String {
    let mut out = String::new();
    for c in iri.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

fn as_uris(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                match item {
                    Value::String(s) if key == "$id" || key == "$ref" => *s = iri_to_uri(s),
                    _ => as_uris(item),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(as_uris),
        _ => {}
    }
}

fn validator(schema: &str) -> Validator {
    let mut value = load(schema);
    as_uris(&mut value);
    jsonschema::options()
        .with_retriever(OfnBasicTypes)
        .build(&value)
        .unwrap_or_else(|e| panic!("{schema}: {e}"))
}

/// Every violation, with its place in the instance.
fn errors(validator: &Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn settings() -> DcatSettings {
    DcatSettings {
        public_url: "https://jednotny-seznam.example.cz/".into(),
        contact_email: Some("podatelna@example.cz".into()),
        ..DcatSettings::default()
    }
}

#[test]
fn the_validator_catches_errors() {
    // Guard against a validator that accepts anything.
    let schema = validator("datova-sada.schema.json");
    let mut record: Value = serde_json::from_str(&dataset_jsonld(&settings())).unwrap();
    record.as_object_mut().unwrap().remove("poskytovatel");
    record["distribuce"][0]["přístupové_url"] = json!("http://not-https.example/");
    record["distribuce"][1]["podmínky_užití"]["osobní_údaje"] = json!("maybe");
    record["periodicita_aktualizace"] = json!("daily");
    record["název"] = json!({"de": "Liste"});
    let text = errors(&schema, &record).join("\n");
    for needle in [
        "poskytovatel",
        "přístupové_url",
        "osobní_údaje",
        "periodicita_aktualizace",
        "název",
    ] {
        assert!(text.contains(needle), "{needle} not reported in:\n{text}");
    }
    // The OFN's own example passes.
    let example = load("datova-sada.example.jsonld");
    assert!(
        errors(&schema, &example).is_empty(),
        "{:#?}",
        errors(&schema, &example)
    );

    let schema = validator("katalog.schema.json");
    let mut catalog: Value = serde_json::from_str(&catalog_jsonld(&settings())).unwrap();
    catalog["datová_sada"] = json!(["http://plain-http.example/dataset"]);
    catalog["typ"] = json!("Datová sada");
    catalog.as_object_mut().unwrap().remove("popis");
    let text = errors(&schema, &catalog).join("\n");
    for needle in ["datová_sada", "typ", "popis"] {
        assert!(text.contains(needle), "{needle} not reported in:\n{text}");
    }
}

#[test]
fn the_jsonld_record_is_valid_against_the_schema() {
    let schema = validator("datova-sada.schema.json");
    for settings in [settings(), DcatSettings::default()] {
        let record: Value = serde_json::from_str(&dataset_jsonld(&settings)).unwrap();
        let found = errors(&schema, &record);
        assert!(found.is_empty(), "{found:#?}");
    }
}

#[test]
fn the_catalogue_document_is_valid_against_the_schema() {
    let schema = validator("katalog.schema.json");
    for settings in [settings(), DcatSettings::default()] {
        let catalog: Value = serde_json::from_str(&catalog_jsonld(&settings)).unwrap();
        let found = errors(&schema, &catalog);
        assert!(found.is_empty(), "{found:#?}");
        assert_eq!(catalog["datová_sada"], json!([settings.dataset_iri()]));
        assert_eq!(catalog["iri"], settings.catalog_iri());
    }
}

fn collect_keys(value: &Value, keys: &mut BTreeSet<String>, types: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                if key == "@context" {
                    continue;
                }
                // Language maps (`název`, `klíčové_slovo`, …) have language tags as keys.
                if key.len() == 2 && key.chars().all(|c| c.is_ascii_lowercase()) {
                    continue;
                }
                keys.insert(key.clone());
                if key == "typ" {
                    types.insert(item.as_str().unwrap().to_owned());
                }
                collect_keys(item, keys, types);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_keys(i, keys, types)),
        _ => {}
    }
}

#[test]
fn the_jsonld_record_uses_only_terms_of_the_context() {
    let context = load("rozhrani-katalogu-otevrenych-dat.context.jsonld");
    let terms = context["@context"].as_object().unwrap();
    // Terms may also be scoped inside a term definition's own @context.
    let mut known: BTreeSet<String> = terms.keys().cloned().collect();
    for definition in terms.values() {
        if let Some(scoped) = definition.get("@context").and_then(Value::as_object) {
            known.extend(scoped.keys().cloned());
        }
    }
    for text in [dataset_jsonld(&settings()), catalog_jsonld(&settings())] {
        let record: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(record["@context"], unified_blocklist::dcat::OFN_CONTEXT);
        let (mut keys, mut types) = (BTreeSet::new(), BTreeSet::new());
        collect_keys(&record, &mut keys, &mut types);
        let unknown: Vec<_> = keys.union(&types).filter(|k| !known.contains(*k)).collect();
        assert!(unknown.is_empty(), "not in the OFN context: {unknown:?}");
    }
}

#[test]
fn the_turtle_record_parses_and_matches_the_jsonld() {
    let ttl = catalog_turtle(&settings());
    let triples: Vec<oxrdf::Triple> = oxttl::TurtleParser::new()
        .for_slice(ttl.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}\n{ttl}"));
    let dataset = settings().dataset_iri();
    let has = |s: &str, p: &str, o: &str| {
        triples.iter().any(|t| {
            t.subject.to_string() == format!("<{s}>")
                && t.predicate.as_str() == p
                && t.object.to_string() == format!("<{o}>")
        })
    };
    assert!(has(
        &dataset,
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        "http://www.w3.org/ns/dcat#Dataset"
    ));
    assert!(has(
        &settings().catalog_iri(),
        "http://www.w3.org/ns/dcat#dataset",
        &dataset
    ));
    let record: Value = serde_json::from_str(&dataset_jsonld(&settings())).unwrap();
    for distribution in record["distribuce"].as_array().unwrap() {
        let iri = distribution["iri"].as_str().unwrap();
        assert!(has(&dataset, "http://www.w3.org/ns/dcat#distribution", iri));
        assert!(has(
            iri,
            "http://www.w3.org/ns/dcat#downloadURL",
            distribution["soubor_ke_stažení"].as_str().unwrap()
        ));
        assert!(has(
            iri,
            "http://purl.org/dc/terms/format",
            distribution["formát"].as_str().unwrap()
        ));
        assert!(has(
            iri,
            "http://www.w3.org/ns/dcat#mediaType",
            distribution["typ_média"].as_str().unwrap()
        ));
    }
    assert!(has(
        &dataset,
        "http://purl.org/dc/terms/publisher",
        record["poskytovatel"].as_str().unwrap()
    ));
}

/// Every IRI the records give under the public URL names a file of a real publication (an
/// IRI with a fragment: a file that describes that IRI), so NKOD's harvester can dereference
/// the catalogue, the dataset and its distributions.
#[test]
fn every_iri_is_dereferenceable_in_the_publication() {
    let tmp = tempfile::tempdir().unwrap();
    let config = unified_blocklist::config::Config {
        dcat: settings(),
        ..Default::default()
    };
    let mut options = unified_blocklist::update::UpdateOptions::from_config(&config);
    options.out = tmp.path().join("out");
    options.state = tmp.path().join("state");
    unified_blocklist::update::update(&options).unwrap();
    let base = settings().public_url;
    let mut iris = BTreeSet::new();
    fn strings(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::String(s) => {
                out.insert(s.clone());
            }
            Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    for file in ["katalog.jsonld", "dcat.jsonld"] {
        let value: Value =
            serde_json::from_slice(&std::fs::read(options.out.join(file)).unwrap()).unwrap();
        strings(&value, &mut iris);
    }
    let ours: Vec<&String> = iris.iter().filter(|i| i.starts_with(&base)).collect();
    assert!(ours.len() >= 8, "{ours:?}");
    for iri in ours {
        let (document, fragment) = iri[base.len()..]
            .split_once('#')
            .map_or((&iri[base.len()..], None), |(d, f)| (d, Some(f)));
        let path = options.out.join(if document.is_empty() {
            "index.html"
        } else {
            document
        });
        assert!(
            path.is_file(),
            "{iri} does not dereference: no {}",
            path.display()
        );
        if fragment.is_some() || document.ends_with(".jsonld") {
            // The document describes the IRI itself.
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                text.contains(&format!("\"iri\": \"{iri}\"")),
                "{iri} not described in {document}"
            );
        }
    }
    // The catalogue names the dataset, whose record is where its IRI points.
    let catalog: Value =
        serde_json::from_slice(&std::fs::read(options.out.join("katalog.jsonld")).unwrap())
            .unwrap();
    let dataset: Value =
        serde_json::from_slice(&std::fs::read(options.out.join("dcat.jsonld")).unwrap()).unwrap();
    assert_eq!(catalog["datová_sada"][0], dataset["iri"]);
    assert_eq!(dataset["iri"], format!("{base}dcat.jsonld"));
}
