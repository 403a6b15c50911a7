//! Differences between two versions of the unified list: the basis of the changes feed.

use std::cmp::Ordering;

use crate::entry::Entry;
use crate::list::UnifiedList;

/// What changed from one version of the list to the next.
///
/// Rows are matched by identity: source (authority and dataset), address and entry date.
/// A re-listing (same address, later entry date) is therefore a new row, not a change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diff<'a> {
    /// Rows in the new version whose identity the old version lacks.
    pub added: Vec<&'a Entry>,
    /// Rows active in the old version that now carry a removal date: `(old, new)`.
    pub newly_removed: Vec<(&'a Entry, &'a Entry)>,
    /// Rows of the old version that vanished from their source without a removal date.
    pub vanished: Vec<&'a Entry>,
    /// Rows whose other fields changed (a removal date changed or was withdrawn, the legal basis
    /// changed): `(old, new)`.
    pub changed: Vec<(&'a Entry, &'a Entry)>,
}

impl Diff<'_> {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.newly_removed.is_empty()
            && self.vanished.is_empty()
            && self.changed.is_empty()
    }
}

fn identity_cmp(a: &Entry, b: &Entry) -> Ordering {
    // The identity is a prefix of the list's sort order, so both lists are sorted by it.
    a.entered()
        .cmp(&b.entered())
        .then_with(|| a.url().as_bytes().cmp(b.url().as_bytes()))
        .then_with(|| a.source().cmp(b.source()))
}

/// Compares two versions in one pass over both (each is sorted).
pub fn diff<'a>(old: &'a UnifiedList, new: &'a UnifiedList) -> Diff<'a> {
    let (mut old, mut new) = (old.entries(), new.entries());
    let mut out = Diff::default();
    loop {
        let ord = match (old.first(), new.first()) {
            (Some(a), Some(b)) => identity_cmp(a, b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => break,
        };
        match ord {
            Ordering::Less => {
                if let Some((entry, rest)) = old.split_first() {
                    out.vanished.push(entry);
                    old = rest;
                }
            }
            Ordering::Greater => {
                if let Some((entry, rest)) = new.split_first() {
                    out.added.push(entry);
                    new = rest;
                }
            }
            Ordering::Equal => {
                let (old_group, old_rest) = split_group(old);
                let (new_group, new_rest) = split_group(new);
                pair_group(old_group, new_group, &mut out);
                old = old_rest;
                new = new_rest;
            }
        }
    }
    out
}

/// The leading rows of the same identity, and the rest.
fn split_group(rows: &[Entry]) -> (&[Entry], &[Entry]) {
    let len = rows.first().map_or(0, |first| {
        rows.iter()
            .take_while(|row| identity_cmp(first, row) == Ordering::Equal)
            .count()
    });
    rows.split_at_checked(len).unwrap_or((rows, &[]))
}

/// Rows with one identity in both versions (usually one each): equal rows are unchanged, the
/// rest pair up in order, and leftovers are added or vanished.
fn pair_group<'a>(old: &'a [Entry], new: &'a [Entry], out: &mut Diff<'a>) {
    let mut old_left: Vec<&Entry> = old.iter().filter(|o| !new.contains(o)).collect();
    let mut new_left: Vec<&Entry> = new.iter().filter(|n| !old.contains(n)).collect();
    let pairs = old_left.len().min(new_left.len());
    for (o, n) in old_left.drain(..pairs).zip(new_left.drain(..pairs)) {
        if o.removed().is_none() && n.removed().is_some() {
            out.newly_removed.push((o, n));
        } else {
            out.changed.push((o, n));
        }
    }
    out.vanished.extend(old_left);
    out.added.extend(new_left);
}
