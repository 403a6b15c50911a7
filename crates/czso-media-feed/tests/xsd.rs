//! Generated PS documents validate against ČSÚ's XSDs with xmllint (tier `volby`).

use czso_media_feed::results::{ElectionResults, GeoIndex};
use czso_media_feed::simulate::{Params, generate};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/volby")
        .join(name)
}

fn xmllint(schema: &Path, doc: &Path) -> (bool, String) {
    let program = std::env::var("XMLLINT")
        .expect("XMLLINT must name the xmllint binary (run `cargo xtask tier volby`)");
    let out = Command::new(program)
        .args(["--noout", "--schema"])
        .arg(schema)
        .arg(doc)
        .output()
        .expect("xmllint runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
#[ignore = "tier volby: cargo xtask tier volby"]
fn generated_ps_documents_validate_against_csu_xsds() {
    let vysledky_xsd = testdata("ps_vysledky_2017_MOJIBAKE-annotations.xsd");
    let okres_xsd = testdata("ps_vysledky_okres.xsd");
    // The schemas accept ČSÚ's own files, so a pass means something.
    let real = testdata("ps2021_vysledky.xml");
    let (ok, err) = xmllint(&vysledky_xsd, &real);
    assert!(
        !ok,
        "the 2021 file has VSTRANA, which the 2017 XSD does not allow: {err}"
    );

    let sim = generate(&Params::default());
    let mut definition = sim.definition.clone();
    // VSTRANA is written by default (as ČSÚ from 2021 on); the 2017 XSD predates it.
    assert!(definition.emit_vstrana);
    definition.emit_vstrana = false;
    let def = Arc::new(definition);
    let index = Arc::new(GeoIndex::new(&def));
    let dir = tempfile::tempdir().unwrap();
    let check_all = |results: &ElectionResults, label: &str| {
        let feeds = czso_media_feed::feeds::generate(results, None, chrono::Utc::now());
        let mut checked = 0;
        for (path, doc) in &feeds.docs {
            let schema = if path == "vysledky.xml" {
                &vysledky_xsd
            } else if path.starts_with("okresy/") {
                &okres_xsd
            } else {
                continue;
            };
            let file = dir.path().join(path.replace('/', "_"));
            std::fs::write(&file, &doc.body).unwrap();
            let (ok, err) = xmllint(schema, &file);
            assert!(ok, "{label} {path}: {err}");
            checked += 1;
        }
        assert_eq!(checked, 78, "vysledky.xml and 77 okres documents");
    };
    let mut results = ElectionResults::new(Arc::clone(&def), Arc::clone(&index));
    check_all(&results, "empty");
    let mut seq = 0;
    for (i, batch) in sim.batches.iter().enumerate() {
        let parsed =
            czso_media_feed::server::prepare(&def, &index, batch.as_bytes(), "sim", 1).unwrap();
        for p in parsed.precincts {
            seq += 1;
            results.apply(seq, p);
        }
        if i == 5 {
            check_all(&results, "partial");
        }
    }
    check_all(&results, "complete");
    // The complete document carries seats and elected MPs, so the pass above covers them.
    let feeds = czso_media_feed::feeds::generate(&results, None, chrono::Utc::now());
    let xml = std::str::from_utf8(&feeds.docs["vysledky.xml"].body).unwrap();
    assert_eq!(
        xml.matches("<POSLANEC ").count(),
        400,
        "200 MPs under their regions and CR"
    );
    assert!(xml.contains(" POCMANDATU=\"") && xml.contains(" MANDATY=\""));
    // The legacy error answer for an unknown district is valid too.
    let err_doc = dir.path().join("okres_error.xml");
    std::fs::write(
        &err_doc,
        czso_media_feed::feeds::write_okres_error(
            def.kind,
            "2025-10-04T14:00:00",
            "Neznámý okres (NUTS) 'CZ9999'",
        ),
    )
    .unwrap();
    let (ok, err) = xmllint(&okres_xsd, &err_doc);
    assert!(ok, "{err}");
}
