//! The store's rowid of each grant the resident snapshot holds, and the
//! slot of each rowid: what the store's change log names rows by, found
//! without a pass over every grant. Patched with the snapshot's grants.

use crate::policy::Placed;
use rustc_hash::FxHashMap;

/// Below this many rowids per grant held, the slots are a table indexed by
/// rowid (4 bytes a rowid); above, a hash map (about 40 bytes a grant).
const DENSE_RATIO: usize = 2;
/// Rowids a dense table may span over the grants held however few they are.
const DENSE_SLACK: usize = 4096;
/// No grant has this rowid, in a dense table.
const NONE: u32 = u32::MAX;

/// The rowid of each slot, and the slot of each rowid.
#[derive(Debug, Clone)]
pub struct RowIds {
    of_slot: Vec<i64>,
    /// `None` when rowids cannot be told apart (one held twice: the
    /// store never has that) or there are more slots than a table counts:
    /// then rowids are looked for one by one.
    slot_of: Option<SlotOf>,
}

/// The slot of each rowid: a table from the lowest rowid when rowids are
/// close together (as SQLite gives them: the highest plus one), a map when
/// deletions spread them far apart.
#[derive(Debug, Clone)]
enum SlotOf {
    Dense { base: i64, slots: Vec<u32> },
    Sparse(FxHashMap<i64, u32>),
}

impl RowIds {
    /// `of_slot[i]` the rowid of slot `i`.
    pub fn new(of_slot: Vec<i64>) -> RowIds {
        let slot_of = SlotOf::of(&of_slot);
        if slot_of.is_none() {
            tracing::debug!("resident evaluation: grants' rowids not told apart, looked for");
        }
        RowIds { of_slot, slot_of }
    }

    pub fn len(&self) -> usize {
        self.of_slot.len()
    }

    pub fn is_empty(&self) -> bool {
        self.of_slot.is_empty()
    }

    /// The rowid of slot `slot`.
    pub fn rowid(&self, slot: usize) -> i64 {
        self.of_slot[slot]
    }

    /// The rowids by slot.
    pub fn as_slice(&self) -> &[i64] {
        &self.of_slot
    }

    /// The slot of the grant with rowid `rowid`, if one has it.
    pub fn slot(&self, rowid: i64) -> Option<usize> {
        match &self.slot_of {
            Some(slot_of) => slot_of.get(rowid).map(|s| s as usize),
            None => self.of_slot.iter().position(|&r| r == rowid),
        }
    }

    /// Follows [`Snapshot::patch_grants`](crate::policy::Snapshot::patch_grants)
    /// having removed the grants at slots `removed` and placed the added
    /// ones as `placed` says: `new[i]` the rowid of the `i`th grant added;
    /// `len` grants in all.
    pub fn place(&mut self, removed: &[usize], placed: &Placed, new: &[i64], len: usize) {
        let gone: Vec<i64> = removed.iter().map(|&s| self.of_slot[s]).collect();
        let rowids = &mut self.of_slot;
        for &(from, to) in &placed.moved {
            rowids[to] = rowids[from];
        }
        for (&slot, &rowid) in placed.added.iter().zip(new) {
            match rowids.get_mut(slot) {
                Some(r) => *r = rowid,
                None => rowids.push(rowid),
            }
        }
        rowids.truncate(len);
        let Some(slot_of) = &mut self.slot_of else {
            return;
        };
        let mut fits = true;
        for r in gone {
            fits &= slot_of.set(r, NONE);
        }
        let slots = placed.moved.iter().map(|&(_, to)| to);
        for slot in slots.chain(placed.added.iter().copied()) {
            let r = self.of_slot[slot];
            fits &= u32::try_from(slot).is_ok_and(|s| s != NONE && slot_of.set(r, s));
        }
        if !fits || slot_of.too_sparse(len) {
            self.slot_of = SlotOf::of(&self.of_slot);
        }
    }
}

impl SlotOf {
    fn of(of_slot: &[i64]) -> Option<SlotOf> {
        if u32::try_from(of_slot.len()).ok()? == NONE {
            return None;
        }
        let (Some(&lo), Some(&hi)) = (of_slot.iter().min(), of_slot.iter().max()) else {
            return Some(SlotOf::Dense {
                base: 0,
                slots: Vec::new(),
            });
        };
        let span = usize::try_from(hi.checked_sub(lo)?).ok()?.checked_add(1)?;
        let mut slot_of = if span <= dense_limit(of_slot.len()) {
            SlotOf::Dense {
                base: lo,
                slots: vec![NONE; span],
            }
        } else {
            SlotOf::Sparse(FxHashMap::with_capacity_and_hasher(
                of_slot.len(),
                Default::default(),
            ))
        };
        for (s, &r) in (0u32..).zip(of_slot) {
            if slot_of.get(r).is_some() || !slot_of.set(r, s) {
                return None;
            }
        }
        Some(slot_of)
    }

    fn get(&self, rowid: i64) -> Option<u32> {
        match self {
            SlotOf::Dense { base, slots } => {
                let i = usize::try_from(rowid.checked_sub(*base)?).ok()?;
                slots.get(i).copied().filter(|&s| s != NONE)
            }
            SlotOf::Sparse(map) => map.get(&rowid).copied(),
        }
    }

    /// Sets (or with [`NONE`], clears) the slot of `rowid`; `false` when a
    /// dense table cannot reach it (below its lowest rowid, or too far).
    fn set(&mut self, rowid: i64, slot: u32) -> bool {
        match self {
            SlotOf::Dense { base, slots } => {
                let Some(i) = rowid
                    .checked_sub(*base)
                    .and_then(|i| usize::try_from(i).ok())
                else {
                    return slot == NONE;
                };
                if i >= slots.len() {
                    if slot == NONE {
                        return true;
                    }
                    if i >= slots.len().saturating_mul(2).max(DENSE_SLACK) {
                        return false;
                    }
                    slots.resize(i + 1, NONE);
                }
                slots[i] = slot;
                true
            }
            SlotOf::Sparse(map) => {
                if slot == NONE {
                    map.remove(&rowid);
                } else {
                    map.insert(rowid, slot);
                }
                true
            }
        }
    }

    /// Whether a dense table spans too many rowids for `len` grants.
    fn too_sparse(&self, len: usize) -> bool {
        match self {
            SlotOf::Dense { slots, .. } => slots.len() > dense_limit(len),
            SlotOf::Sparse(_) => false,
        }
    }
}

/// The most rowids a dense table spans for `len` grants.
fn dense_limit(len: usize) -> usize {
    len.saturating_mul(DENSE_RATIO).saturating_add(DENSE_SLACK)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every slot's rowid is found at that slot, and no other rowid is.
    fn consistent(r: &RowIds, others: &[i64]) {
        for (s, &rowid) in r.as_slice().iter().enumerate() {
            assert_eq!(r.slot(rowid), Some(s), "rowid {rowid}");
        }
        for &o in others {
            assert_eq!(r.slot(o), None, "rowid {o}");
        }
    }

    #[test]
    fn rowids_close_together_are_found_at_their_slots() {
        let r = RowIds::new(vec![5, 3, 9, 4]);
        assert!(matches!(r.slot_of, Some(SlotOf::Dense { base: 3, .. })));
        consistent(&r, &[0, 1, 2, 6, 7, 8, 10, -4, i64::MAX, i64::MIN]);
    }

    #[test]
    fn rowids_held_twice_are_looked_for() {
        for rowids in [vec![1, 2, 1], vec![1, 1 << 40, 1 << 40]] {
            let r = RowIds::new(rowids.clone());
            assert!(r.slot_of.is_none());
            assert_eq!(r.slot(rowids[1]), Some(1));
            assert_eq!(r.slot(3), None);
        }
    }

    #[test]
    fn rowids_spread_far_apart_are_held_in_a_map() {
        let r = RowIds::new(vec![1, 1 << 40, 7]);
        assert!(matches!(r.slot_of, Some(SlotOf::Sparse(_))));
        consistent(&r, &[2, 1 << 39]);
    }

    /// Grants removed, moved into the freed slots and added past the
    /// highest rowid, again and again, placed as `patch_grants` places
    /// them: each rowid stays found at its slot, the removed ones nowhere,
    /// however far the rowids spread.
    #[test]
    fn patched_again_and_again_each_rowid_is_at_its_slot() {
        let mut r = RowIds::new((1..=10).collect());
        let mut gone = Vec::new();
        let mut next = 11;
        for round in 0..3000 {
            let len = r.len();
            let two_gone = round % 3 == 0;
            let two_new = round % 2 == 0;
            let removed = if two_gone { vec![0, len - 2] } else { vec![0] };
            gone.extend(removed.iter().map(|&s| r.rowid(s)));
            let (added, moved, new_len) = match (two_gone, two_new) {
                (false, false) => (vec![0], Vec::new(), len),
                (false, true) => (vec![0, len], Vec::new(), len + 1),
                (true, false) => (vec![0], vec![(len - 1, len - 2)], len - 1),
                (true, true) => (vec![0, len - 2], Vec::new(), len),
            };
            let placed = Placed { added, moved };
            let new: Vec<i64> = (next..).take(placed.added.len()).collect();
            r.place(&removed, &placed, &new, new_len);
            next += if round % 100 == 0 { 1 << 20 } else { 2 };
            consistent(&r, &gone[gone.len().saturating_sub(50)..]);
        }
        assert!(matches!(r.slot_of, Some(SlotOf::Sparse(_))));
    }
}
