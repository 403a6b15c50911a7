//! The changes feed: `zmeny.csv` (the changes since the previous publication) and
//! `zmeny.atom` (one entry per publication, the newest first).

use crate::html::escape;
use crate::provenance::HealthEvent;
use crate::rows::ListRow;
use crate::state::Health;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// The kind of a change between two publications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ChangeKind {
    /// A row that was not in the previous publication.
    Added,
    /// A row that gained a removal date (`DATUM_VYMAZU`).
    Removed,
    /// A row that disappeared from its source without a removal date.
    Vanished,
    /// A row whose other values changed.
    Changed,
}

impl ChangeKind {
    /// The code written in `zmeny.csv`'s `ZMENA` column.
    pub fn code(self) -> &'static str {
        match self {
            Self::Added => "pridano",
            Self::Removed => "vymazano",
            Self::Vanished => "zmizelo-ze-zdroje",
            Self::Changed => "zmeneno",
        }
    }

    /// A Czech label for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Added => "Přidáno",
            Self::Removed => "Vymazáno",
            Self::Vanished => "Zmizelo ze zdroje",
            Self::Changed => "Změněno",
        }
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// What happened.
    pub kind: ChangeKind,
    /// The row as it is now (for [`ChangeKind::Vanished`], as it was).
    pub row: ListRow,
}

/// The header of `zmeny.csv`.
pub const CHANGES_HEADER: [&str; 6] = [
    "ZMENA",
    "URL",
    "DATUM_ZAPISU",
    "DATUM_VYMAZU",
    "ZDROJ",
    "NAZEV_DATOVE_SADY",
];

/// Writes `zmeny.csv` (UTF-8, comma, CRLF like the decree CSV).
pub fn changes_csv(changes: &[Change]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = writer.write_record(CHANGES_HEADER);
    for change in changes {
        let r = &change.row;
        let _ = writer.write_record([
            change.kind.code(),
            &r.url,
            &r.entered,
            &r.removed,
            &r.source,
            &r.dataset,
        ]);
    }
    writer.into_inner().unwrap_or_default()
}

/// One publication's summary, kept in the state so the feed can show history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedEntry {
    /// The publication id.
    pub publication: String,
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// The validity date of the list.
    pub valid_as_of: NaiveDate,
    /// The changes (capped at [`FEED_CHANGES_PER_ENTRY`]).
    pub changes: Vec<Change>,
    /// How many changes there were in total.
    pub total_changes: usize,
    /// Sources that went stale, went missing or recovered with this publication.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub health: Vec<HealthEvent>,
}

/// At most this many changes are listed in one feed entry (the CSV has all of them).
pub const FEED_CHANGES_PER_ENTRY: usize = 500;
/// At most this many publications are kept in the feed.
pub const FEED_ENTRIES: usize = 60;

/// Renders `zmeny.atom` (RFC 4287) for `entries`, newest first. `base_url` ends with `/`.
pub fn changes_atom(entries: &[FeedEntry], base_url: &str) -> String {
    let updated = entries.first().map_or_else(
        || "1970-01-01T00:00:00Z".to_owned(),
        |e| rfc3339(e.published_at),
    );
    let base = escape(base_url);
    let mut xml = String::new();
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"cs\">\n");
    let _ = writeln!(xml, "  <id>{base}zmeny.atom</id>");
    xml.push_str("  <title>Změny jednotného seznamu blokovaných internetových stránek</title>\n");
    let _ = writeln!(xml, "  <updated>{updated}</updated>");
    let _ = writeln!(
        xml,
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{base}zmeny.atom\"/>"
    );
    let _ = writeln!(
        xml,
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{base}\"/>"
    );
    xml.push_str("  <author><name>Jednotný seznam</name></author>\n");
    for entry in entries {
        let date = entry.valid_as_of.format("%Y-%m-%d");
        let when = rfc3339(entry.published_at);
        let _ = writeln!(xml, "  <entry>");
        let _ = writeln!(
            xml,
            "    <id>{base}archiv/{date}/#{}</id>",
            escape(&entry.publication)
        );
        let _ = writeln!(
            xml,
            "    <title>Seznam platný ke dni {}: {} změn</title>",
            crate::html::czech_date(entry.valid_as_of),
            entry.total_changes
        );
        let _ = writeln!(xml, "    <updated>{when}</updated>");
        let _ = writeln!(xml, "    <published>{when}</published>");
        let _ = writeln!(
            xml,
            "    <link rel=\"alternate\" type=\"text/csv\" href=\"{base}archiv/{date}/zmeny.csv\"/>"
        );
        let mut content = String::from("<ul>");
        for change in &entry.changes {
            let _ = write!(
                content,
                "<li>{}: {} ({}, zápis {}{})</li>",
                change.kind.label(),
                escape(&change.row.url),
                escape(&change.row.source),
                escape(&change.row.entered),
                if change.row.removed.is_empty() {
                    String::new()
                } else {
                    format!(", výmaz {}", escape(&change.row.removed))
                }
            );
        }
        content.push_str("</ul>");
        if entry.total_changes > entry.changes.len() {
            let _ = write!(
                content,
                "<p>… a dalších {} změn v souboru zmeny.csv.</p>",
                entry.total_changes - entry.changes.len()
            );
        }
        // The HTML content is escaped once more as XML text.
        let _ = writeln!(
            xml,
            "    <content type=\"html\">{}</content>",
            escape(&content)
        );
        let _ = writeln!(xml, "  </entry>");
        for event in &entry.health {
            let title = match (event.to, event.alarm) {
                (Health::Current, _) if event.from.is_some() => {
                    format!("Zdroj {} je opět aktuální", event.authority)
                }
                (Health::Current, _) => format!("Zdroj {} je aktuální", event.authority),
                (Health::Stale, true) => format!(
                    "Zdroj {} je zastaralý déle, než je povoleno",
                    event.authority
                ),
                (Health::Stale, false) => format!(
                    "Zdroj {} je zastaralý: v seznamu zůstávají jeho poslední platná data",
                    event.authority
                ),
                (Health::Missing, _) => format!(
                    "Zdroj {} chybí: seznam jeho záznamy neobsahuje",
                    event.authority
                ),
            };
            let _ = writeln!(xml, "  <entry>");
            let _ = writeln!(
                xml,
                "    <id>{base}archiv/{date}/#{}/{}</id>",
                escape(&entry.publication),
                escape(&event.source)
            );
            let _ = writeln!(xml, "    <title>{}</title>", escape(&title));
            let _ = writeln!(xml, "    <updated>{when}</updated>");
            let _ = writeln!(xml, "    <published>{when}</published>");
            let _ = writeln!(
                xml,
                "    <link rel=\"alternate\" type=\"application/json\" href=\"{base}archiv/{date}/stav.json\"/>"
            );
            let content = match &event.reason {
                Some(reason) => format!("<p>Důvod: {}</p>", escape(reason)),
                None => "<p>Zdroj byl úspěšně načten.</p>".to_owned(),
            };
            let _ = writeln!(
                xml,
                "    <content type=\"html\">{}</content>",
                escape(&content)
            );
            let _ = writeln!(xml, "  </entry>");
        }
    }
    xml.push_str("</feed>\n");
    xml
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The changes between two versions of the published rows, computed on the five published
/// columns: rows keyed by (source, address, entry date).
pub fn diff_rows(old: &[ListRow], new: &[ListRow]) -> Vec<Change> {
    use std::collections::BTreeMap;
    let key = |r: &ListRow| (r.source.clone(), r.url.clone(), r.entered.clone());
    let old_map: BTreeMap<_, &ListRow> = old.iter().map(|r| (key(r), r)).collect();
    let new_map: BTreeMap<_, &ListRow> = new.iter().map(|r| (key(r), r)).collect();
    let mut changes = Vec::new();
    for row in new {
        match old_map.get(&key(row)) {
            None => changes.push(Change {
                kind: ChangeKind::Added,
                row: row.clone(),
            }),
            Some(before) if before.removed.is_empty() && !row.removed.is_empty() => {
                changes.push(Change {
                    kind: ChangeKind::Removed,
                    row: row.clone(),
                });
            }
            Some(before) if *before != row => {
                changes.push(Change {
                    kind: ChangeKind::Changed,
                    row: row.clone(),
                });
            }
            Some(_) => {}
        }
    }
    for row in old {
        if !new_map.contains_key(&key(row)) {
            changes.push(Change {
                kind: ChangeKind::Vanished,
                row: row.clone(),
            });
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(url: &str, entered: &str, removed: &str) -> ListRow {
        ListRow {
            url: url.into(),
            entered: entered.into(),
            removed: removed.into(),
            source: "Ministerstvo financí".into(),
            dataset: "Seznam nepovolených internetových her".into(),
        }
    }

    #[test]
    fn diff_finds_each_kind() {
        let old = vec![
            row("a.cz", "2024-01-01", ""),
            row("b.cz", "2024-01-01", ""),
            row("c.cz", "2024-01-01", ""),
        ];
        let new = vec![
            row("a.cz", "2024-01-01", "2024-05-01"),
            row("c.cz", "2024-01-01", ""),
            row("d.cz", "2024-06-01", ""),
        ];
        let kinds: Vec<_> = diff_rows(&old, &new)
            .into_iter()
            .map(|c| (c.kind, c.row.url))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (ChangeKind::Removed, "a.cz".to_owned()),
                (ChangeKind::Added, "d.cz".to_owned()),
                (ChangeKind::Vanished, "b.cz".to_owned()),
            ]
        );
    }

    #[test]
    fn atom_escapes_twice() {
        let entry = FeedEntry {
            publication: "x".into(),
            published_at: DateTime::from_timestamp(0, 0).unwrap(),
            valid_as_of: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            changes: vec![Change {
                kind: ChangeKind::Added,
                row: row("<b>&", "2026-01-01", ""),
            }],
            total_changes: 1,
            health: Vec::new(),
        };
        let xml = changes_atom(&[entry], "https://example.org/");
        assert!(xml.contains("&amp;lt;b&amp;gt;&amp;amp;"), "{xml}");
    }
}
