//! Scheduled batch cuts are not synced before they are announced, so one can be lost with the
//! machine's power. These tests take the database as it is on disk after such a loss (a copy
//! made before the cut: the cut's unsynced WAL frames are gone, every synced ingest is kept)
//! and check that the next cut, a restarted server's first, makes the same batch again — the
//! same number, rows and instant, so the same document a client was told about — with real
//! ČSÚ rows (KV 2022 batches).

mod common;

use common::{kv2022, testdata};
use czso_media_feed::model::Definition;
use czso_media_feed::results::{ElectionResults, GeoIndex};
use czso_media_feed::store::{self, Channel, ScheduledCut, Store};
use czso_media_feed::time::{Grid, now_ms};
use std::path::Path;
use std::sync::Arc;

/// Stores the rows of ČSÚ's KV 2022 batch `n` as one ingest (synced, as every ingest).
fn ingest(store: &mut Store, def: &Definition, index: &GeoIndex, n: u32) -> usize {
    let name = format!("kv2022_vysledky_okrsky_davka_{n:03}.xml");
    let bytes = std::fs::read(testdata(&name)).unwrap();
    let parsed = czso_media_feed::server::prepare(def, index, &bytes, &name, 1).unwrap();
    let ingested = store
        .ingest("kv2022", Channel::Live, &parsed.precincts, &name, "t", None)
        .unwrap();
    ingested.report.accepted
}

/// Stores batch `n`'s rows at the start of a slot of `grid`; returns how many and the grid
/// instant after them (the ingest takes milliseconds; the slot is far longer).
fn ingest_in_one_slot(
    store: &mut Store,
    def: &Definition,
    index: &GeoIndex,
    grid: Grid,
    n: u32,
) -> (usize, i64) {
    sleep_past(grid.next(now_ms()).unwrap());
    let before = now_ms();
    let stored = ingest(store, def, index, n);
    let after = now_ms();
    assert_eq!(
        grid.slot(before),
        grid.slot(after),
        "the ingest of batch {n} took {} ms, past the end of its slot",
        after - before
    );
    (stored, grid.next(after).unwrap())
}

/// Sleeps until the wall clock has passed `at_ms`.
fn sleep_past(at_ms: i64) {
    while now_ms() <= at_ms {
        let left = u64::try_from(at_ms - now_ms() + 1).unwrap_or(1);
        std::thread::sleep(std::time::Duration::from_millis(left));
    }
}

/// The database file as a power loss right now would leave it if nothing after this point
/// reached the disk.
fn disk_image(store: &mut Store, to: &Path) {
    store
        .connection()
        .execute("VACUUM INTO ?1", [to.to_str().unwrap()])
        .unwrap();
}

/// The batch documents the feed serves from the database at `path`.
fn batch_documents(path: &Path, def: &Arc<Definition>) -> Vec<(String, Vec<u8>)> {
    let conn = store::open_database(path).unwrap();
    let index = Arc::new(GeoIndex::new(def));
    let mut results = ElectionResults::new(Arc::clone(def), index);
    for row in store::read_log(&conn, "kv2022", 0, None).unwrap() {
        results.apply(row.seq, row.result);
    }
    for cut in store::read_batches(&conn, "kv2022").unwrap() {
        results.apply_cut(cut);
    }
    let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let feeds = czso_media_feed::feeds::generate(&results, None, at);
    let mut docs: Vec<(String, Vec<u8>)> = feeds
        .docs
        .iter()
        .filter(|(name, _)| name.starts_with("okrsky/vysledky_okrsky_0"))
        .map(|(name, doc)| (name.clone(), doc.body.to_vec()))
        .collect();
    docs.sort();
    docs
}

const LIVE: [(&str, Channel, u8); 1] = [("kv2022", Channel::Live, 1)];

#[test]
fn a_scheduled_cut_lost_with_the_power_is_made_again_identically() {
    let dir = tempfile::tempdir().unwrap();
    let (db, image) = (
        dir.path().join("feed.sqlite"),
        dir.path().join("disk.sqlite"),
    );
    let def = Arc::new(kv2022());
    let index = GeoIndex::new(&def);
    let grid = Grid::new(0.5);
    let mut feed = Store::open(&db).unwrap();

    // Batch 2's rows come in; the next grid instant passes; batch 3's rows come in before
    // the cut runs (a cut waits for the ingest holding the database).
    let (first, instant) = ingest_in_one_slot(&mut feed, &def, &index, grid, 2);
    sleep_past(instant);
    let slipped = ingest(&mut feed, &def, &index, 3);
    assert!(first > 0 && slipped > 0);
    // Everything so far was synced; the cut that follows is not.
    disk_image(&mut feed, &image);
    let cut_at = now_ms();
    let made = feed.cut_scheduled(&LIVE, grid, cut_at).unwrap();
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0].number, 1);
    assert_eq!(
        made[0].due_ms, instant,
        "cut at the grid instant after the rows"
    );
    let announced = batch_documents(&db, &def);
    assert_eq!(announced.len(), 1);
    // The batch holds what came before its instant: batch 2's rows, not the slipped ones.
    let text = String::from_utf8_lossy(&announced[0].1);
    assert!(
        text.contains(&format!("OKRSKY_DAVKA=\"{first}\"")),
        "{}",
        &text[..400.min(text.len())]
    );

    // The machine loses power; the restarted server's first cut runs later.
    drop(feed);
    let mut restarted = Store::open(&image).unwrap();
    assert!(batch_documents(&image, &def).is_empty(), "the cut was lost");
    let remade = restarted
        .cut_scheduled(&LIVE, grid, cut_at + 5_000)
        .unwrap();
    // Batch 1 again, and then the slipped rows in batch 2 at the instant after them.
    assert_eq!(remade.first(), made.first());
    assert_eq!(remade.len(), 2, "{remade:?}");
    assert_eq!(remade[1].number, 2);
    let after = batch_documents(&image, &def);
    assert_eq!(
        after.first(),
        announced.first(),
        "the document announced before the loss"
    );
}

#[test]
fn cuts_missed_while_down_are_made_one_per_instant_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("feed.sqlite");
    let def = Arc::new(kv2022());
    let index = GeoIndex::new(&def);
    let grid = Grid::new(0.5);
    let mut feed = Store::open(&db).unwrap();
    let mut instants = Vec::new();
    for n in [2, 3, 4] {
        let (_, instant) = ingest_in_one_slot(&mut feed, &def, &index, grid, n);
        instants.push(instant);
    }
    sleep_past(instants[2]);
    // Nothing is due before the first instant has passed.
    assert!(
        feed.cut_scheduled(&LIVE, grid, instants[0] - 1)
            .unwrap()
            .is_empty()
    );
    let made = feed.cut_scheduled(&LIVE, grid, now_ms()).unwrap();
    let due: Vec<i64> = made.iter().map(|c: &ScheduledCut| c.due_ms).collect();
    assert_eq!(due, instants);
    let numbers: Vec<u32> = made.iter().map(|c| c.number).collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert!(
        feed.cut_scheduled(&LIVE, grid, now_ms())
            .unwrap()
            .is_empty(),
        "made once"
    );
    // The cuts were committed: a reader sees them.
    let conn = store::open_database(&db).unwrap();
    let stored: Vec<i64> = store::read_batches(&conn, "kv2022")
        .unwrap()
        .iter()
        .map(|b| b.cut_at)
        .collect();
    let seconds: Vec<i64> = instants.iter().map(|i| i.div_euclid(1000)).collect();
    assert_eq!(stored, seconds);
}
