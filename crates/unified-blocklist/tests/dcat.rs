//! The DCAT-AP-CZ record: `dcat.jsonld` validates against the OFN dataset JSON Schema and
//! uses only terms of the OFN JSON-LD context; `dcat.ttl` is valid Turtle describing the same
//! dataset and distributions.
//!
//! The schema and context are the copies in `testdata/dcat-ap-cz/` (see PROVENANCE.md there).
//! The schema's two references to the OFN basic data types (`text.json`, `více-textů.json`)
//! are not in the copies; they are defined here as the OFN defines them (an object of language
//! tags to a text, or to a list of texts).

use regex::Regex;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use unified_blocklist::dcat::{DcatSettings, catalog_turtle, dataset_jsonld};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/dcat-ap-cz");

fn load(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{DIR}/{name}")).unwrap()).unwrap()
}

fn resolve_ref(reference: &str) -> Value {
    if reference.ends_with("/text.json") {
        json!({"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1})
    } else if reference.ends_with("/více-textů.json") {
        json!({"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}, "minProperties": 1})
    } else {
        panic!("unknown $ref {reference}")
    }
}

/// A JSON Schema (2020-12) validator for the keywords the OFN schema uses; `format` is an
/// annotation and not asserted. Returns the errors with their JSON pointers.
fn validate(schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else {
        return;
    };
    let mut fail = |message: String| errors.push(format!("{at}: {message}"));
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        validate(&resolve_ref(reference), value, at, errors);
        return;
    }
    if let Some(kind) = schema.get("type").and_then(Value::as_str) {
        let ok = match kind {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            other => panic!("type {other} not handled"),
        };
        if !ok {
            fail(format!("expected {kind}, found {value}"));
            return;
        }
    }
    if let Some(constant) = schema.get("const")
        && constant != value
    {
        fail(format!("expected {constant}, found {value}"));
    }
    if let Some(text) = value.as_str() {
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
            && !Regex::new(pattern).unwrap().is_match(text)
        {
            fail(format!("{text:?} does not match {pattern}"));
        }
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && (text.chars().count() as u64) < min
        {
            fail(format!("{text:?} is shorter than {min}"));
        }
    }
    if let Some(object) = value.as_object() {
        for key in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !object.contains_key(key.as_str().unwrap()) {
                fail(format!("missing required {key}"));
            }
        }
        if let Some(min) = schema.get("minProperties").and_then(Value::as_u64)
            && (object.len() as u64) < min
        {
            fail(format!("fewer than {min} properties"));
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (key, item) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(sub) => validate(sub, item, &format!("{at}/{key}"), errors),
                None => {
                    if let Some(additional) = schema.get("additionalProperties") {
                        validate(additional, item, &format!("{at}/{key}"), errors);
                    }
                }
            }
        }
    }
    if let Some(array) = value.as_array() {
        if let Some(items) = schema.get("items") {
            for (i, item) in array.iter().enumerate() {
                validate(items, item, &format!("{at}/{i}"), errors);
            }
        }
        if let Some(contains) = schema.get("contains") {
            let any = array.iter().any(|item| {
                let mut e = Vec::new();
                validate(contains, item, at, &mut e);
                e.is_empty()
            });
            if !any {
                errors.push(format!("{at}: no item matches `contains`"));
            }
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for sub in all {
            validate(sub, value, at, errors);
        }
    }
    if let Some(one) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = one
            .iter()
            .filter(|sub| {
                let mut e = Vec::new();
                validate(sub, value, at, &mut e);
                e.is_empty()
            })
            .count();
        if matching != 1 {
            errors.push(format!(
                "{at}: {matching} of the oneOf alternatives match, expected 1"
            ));
        }
    }
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
    let schema = load("datova-sada.schema.json");
    let mut record: Value = serde_json::from_str(&dataset_jsonld(&settings())).unwrap();
    record.as_object_mut().unwrap().remove("poskytovatel");
    record["distribuce"][0]["přístupové_url"] = json!("http://not-https.example/");
    record["distribuce"][1]["podmínky_užití"]["osobní_údaje"] = json!("maybe");
    record["periodicita_aktualizace"] = json!("daily");
    let mut errors = Vec::new();
    validate(&schema, &record, "", &mut errors);
    let text = errors.join("\n");
    for needle in [
        "poskytovatel",
        "přístupové_url",
        "osobní_údaje",
        "periodicita_aktualizace",
    ] {
        assert!(text.contains(needle), "{needle} not reported in:\n{text}");
    }
    // The OFN's own example passes.
    let mut errors = Vec::new();
    validate(
        &schema,
        &load("datova-sada.example.jsonld"),
        "",
        &mut errors,
    );
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_jsonld_record_is_valid_against_the_schema() {
    let schema = load("datova-sada.schema.json");
    let record: Value = serde_json::from_str(&dataset_jsonld(&settings())).unwrap();
    let mut errors = Vec::new();
    validate(&schema, &record, "", &mut errors);
    assert!(errors.is_empty(), "{errors:#?}");
    // Also without the optional contact e-mail.
    let record: Value = serde_json::from_str(&dataset_jsonld(&DcatSettings::default())).unwrap();
    let mut errors = Vec::new();
    validate(&schema, &record, "", &mut errors);
    assert!(errors.is_empty(), "{errors:#?}");
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
    let record: Value = serde_json::from_str(&dataset_jsonld(&settings())).unwrap();
    assert_eq!(record["@context"], unified_blocklist::dcat::OFN_CONTEXT);
    let (mut keys, mut types) = (BTreeSet::new(), BTreeSet::new());
    collect_keys(&record, &mut keys, &mut types);
    let unknown: Vec<_> = keys.union(&types).filter(|k| !known.contains(*k)).collect();
    assert!(unknown.is_empty(), "not in the OFN context: {unknown:?}");
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
