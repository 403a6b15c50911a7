//! What the tests on real ČSÚ files share: where the files are, and the KV 2022 definition
//! their batches are ingested under.

use czso_media_feed::model::{Definition, ElectionKind};
use std::path::PathBuf;

/// A file of `testdata/volby` (see its PROVENANCE).
pub fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/volby")
        .join(name)
}

/// The municipal elections of 23–24 September 2022 with an open geography (the batches name
/// their municipalities): 16,854 precincts, as ČSÚ counts them.
pub fn kv2022() -> Definition {
    Definition {
        id: "kv2022".into(),
        legacy_slug: None,
        kind: ElectionKind::Kv,
        election_date: "20220923".into(),
        kraje: vec![],
        okresy: vec![],
        obce: vec![],
        parties: vec![],
        obvody: vec![],
        open_geography: true,
        okrsky_celkem: Some(16854),
        emit_vstrana: false,
        lists: vec![],
        seats: None,
        councils: vec![],
    }
}
