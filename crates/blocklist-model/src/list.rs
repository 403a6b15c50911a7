//! The unified list: merge, order, and the sets derived from it.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::entry::Entry;

/// The unified list valid as of one date: every source's rows, ordered.
///
/// Invariants: rows are sorted by [`Entry`]'s order (entry date, then address case-folded, then
/// address by Unicode code point, then source, removal date and legal basis) and no two rows
/// are equal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnifiedList {
    valid_as_of: NaiveDate,
    entries: Vec<Entry>,
    collapsed_duplicates: usize,
}

/// Which names a DNS export blocks for an entry listed with a leading `www.`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum WwwPolicy {
    /// Block the listed `www.x` and also the apex `x` (and so `*.x`): the sources list whole
    /// sites, and a `www.`-only block misses the site at its apex (a defect of the community
    /// tool cz-gov-blocks).
    #[default]
    AlsoApex,
    /// Block only the name as listed.
    AsListed,
}

impl UnifiedList {
    /// Merges rows from any number of sources into the list valid as of `valid_as_of`.
    ///
    /// Every source keeps its rows (a host listed by two authorities appears twice); rows that
    /// are equal in every field collapse into one; re-listings (same address, later entry date)
    /// and removed rows stay. The result does not depend on the order of the input.
    pub fn merge(valid_as_of: NaiveDate, entries: impl IntoIterator<Item = Entry>) -> Self {
        let mut entries: Vec<Entry> = entries.into_iter().collect();
        // The order is total over every published field, so an unstable sort is deterministic.
        entries.sort_unstable();
        let before = entries.len();
        entries.dedup();
        let collapsed_duplicates = before - entries.len();
        Self {
            valid_as_of,
            entries,
            collapsed_duplicates,
        }
    }

    /// Like [`UnifiedList::merge`], for rows that come in one vector per source (such as
    /// [`SourceRead::entries`](crate::SourceRead::entries)): the largest vector is reused and the
    /// others are moved into it, so memory peaks at the merged rows plus nothing per source.
    pub fn merge_sources(
        valid_as_of: NaiveDate,
        sources: impl IntoIterator<Item = Vec<Entry>>,
    ) -> Self {
        let mut sources: Vec<Vec<Entry>> = sources.into_iter().collect();
        let largest = sources
            .iter()
            .enumerate()
            .max_by_key(|(_, rows)| rows.len())
            .map(|(i, _)| i);
        let Some(largest) = largest else {
            return Self::merge(valid_as_of, []);
        };
        let total: usize = sources.iter().map(Vec::len).sum();
        let mut all = sources.swap_remove(largest);
        all.reserve_exact(total - all.len());
        for mut s in sources {
            all.append(&mut s);
        }
        Self::merge(valid_as_of, all)
    }

    /// The date the list is valid as of.
    pub fn valid_as_of(&self) -> NaiveDate {
        self.valid_as_of
    }

    /// The rows, in the list's order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list has no rows.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many input rows were exact duplicates and collapsed.
    pub fn collapsed_duplicates(&self) -> usize {
        self.collapsed_duplicates
    }

    /// Rows in force on the validity date.
    pub fn active(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.entries
            .iter()
            .filter(move |e| e.is_active_on(self.valid_as_of))
    }

    /// Rows per authority (`ZDROJ`).
    pub fn count_by_authority(&self) -> BTreeMap<&str, usize> {
        let mut counts = BTreeMap::new();
        for e in &self.entries {
            *counts.entry(e.authority()).or_default() += 1;
        }
        counts
    }

    /// The names DNS blocking needs: the hosts of active, DNS-blockable rows (plus apexes of
    /// `www.` names under [`WwwPolicy::AlsoApex`]), each once, in byte order, with the
    /// authorities that list each.
    pub fn blocked_hosts(&self, www: WwwPolicy) -> BTreeMap<&str, Vec<&str>> {
        let mut hosts: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for e in self.active().filter(|e| e.dns_blockable()) {
            let Some(host) = e.host() else { continue };
            let mut add = |h| {
                let sources = hosts.entry(h).or_default();
                if !sources.contains(&e.authority()) {
                    sources.push(e.authority());
                }
            };
            add(host);
            if www == WwwPolicy::AlsoApex
                && e.leading_www()
                && let Some(apex) = host.strip_prefix("www.")
            {
                add(apex);
            }
        }
        for sources in hosts.values_mut() {
            sources.sort_unstable();
        }
        hosts
    }
}
