//! The cost model, kept up to date as items move: every planner builds and
//! improves assignments through [`State`].
//!
//! A shard's load is the sum of its items' weights plus the setup of each
//! distinct group it runs (the shard overhead is the same everywhere and
//! left out). An item weighs its duration, but at least 1µs: with
//! zero-duration items (a go test that reports `0.00s`) every shard would
//! tie at zero and one shard would take them all; with a positive weight
//! nothing gains by emptying a shard. [`crate::plan::Plan`] then predicts
//! with the exact durations.

use super::Problem;
use crate::duration::Micros;

/// What the planners optimise an item as: its duration, at least 1µs.
pub fn weight(problem: &Problem, item: usize) -> Micros {
    problem.items[item].duration.max(1)
}

/// An assignment (possibly partial) with its loads and, per group, the
/// shards running it.
#[derive(Debug, Clone)]
pub struct State<'a> {
    problem: &'a Problem,
    /// Shard of each item, [`NOT_PLACED`] if none yet; in 32 bits, as a
    /// million of them are held beside the suite and the search's own.
    assignment: Vec<u32>,
    loads: Vec<Micros>,
    /// Per group: `(shard, items of the group on it)`, sorted by shard.
    presence: Vec<Vec<(usize, u32)>>,
    /// Per shard: its items, in no particular (but deterministic) order;
    /// in 32 bits, like `position`, as a million items are held here while
    /// the suite and its plan are.
    members: Vec<Vec<u32>>,
    /// Each placed item's index in its shard's `members`.
    position: Vec<u32>,
}

/// The shard of an item not placed yet.
pub const UNPLACED: usize = usize::MAX;

/// [`UNPLACED`] as a [`State`] stores it.
const NOT_PLACED: u32 = u32::MAX;

/// `shard` as a [`State`] stores it.
fn stored(shard: usize) -> u32 {
    if shard == UNPLACED {
        NOT_PLACED
    } else {
        u32::try_from(shard)
            .ok()
            .filter(|&s| s <= i32::MAX as u32)
            .expect("fewer than 2^31 shards")
    }
}

/// A stored shard as planners see it: sign-extended, so that
/// [`NOT_PLACED`] becomes [`UNPLACED`] without a branch (the search reads
/// shards in its innermost loop); shards are fewer than 2^31.
#[inline]
fn shard(stored: u32) -> usize {
    stored as i32 as isize as usize
}

impl<'a> State<'a> {
    /// No item placed.
    pub fn empty(problem: &'a Problem) -> State<'a> {
        State::holding(problem, vec![NOT_PLACED; problem.items.len()])
    }

    /// A state with nothing placed yet that keeps `assignment` (one entry
    /// per item) as its own.
    fn holding(problem: &'a Problem, assignment: Vec<u32>) -> State<'a> {
        assert_eq!(assignment.len(), problem.items.len(), "one shard per item");
        // Shards read back by sign extension ([`shard`]).
        assert!(
            problem.shards <= i32::MAX as usize,
            "fewer than 2^31 shards"
        );
        assert!(
            u32::try_from(problem.items.len()).is_ok(),
            "fewer than 2^32 items"
        );
        State {
            problem,
            assignment,
            loads: vec![0; problem.shards],
            presence: vec![Vec::new(); problem.groups.len()],
            members: vec![Vec::new(); problem.shards],
            position: vec![0; problem.items.len()],
        }
    }

    /// The state of an assignment; [`UNPLACED`] entries stay unplaced.
    pub fn new(problem: &'a Problem, assignment: &[usize]) -> State<'a> {
        State::of_shards(problem, assignment.iter().copied())
    }

    /// [`State::new`] of the shards `shards` gives, one per item, narrowed
    /// to 32 bits as they come: a caller's 8-byte assignment (a packed
    /// start, a previous plan) is never copied whole, and is let go of
    /// before the state's own bookkeeping is asked for. Items are placed in
    /// index order, as [`State::new`] places them.
    pub fn of_shards(problem: &'a Problem, shards: impl IntoIterator<Item = usize>) -> State<'a> {
        let assignment: Vec<u32> = shards.into_iter().map(stored).collect();
        let mut state = State::holding(problem, assignment);
        // Members sized first: grown a push at a time, a million items
        // leave their shards' outgrown copies behind.
        let mut sizes = vec![0; problem.shards];
        for &shard in state.assignment.iter().filter(|&&s| s != NOT_PLACED) {
            sizes[shard as usize] += 1;
        }
        for (members, size) in state.members.iter_mut().zip(sizes) {
            members.reserve_exact(size);
        }
        for item in 0..state.assignment.len() {
            let shard = std::mem::replace(&mut state.assignment[item], NOT_PLACED);
            if shard != NOT_PLACED {
                state.place(item, shard as usize);
            }
        }
        state
    }

    /// The problem being solved.
    pub fn problem(&self) -> &'a Problem {
        self.problem
    }

    /// Item `item`'s shard ([`UNPLACED`] if none).
    #[inline]
    pub fn shard_of(&self, item: usize) -> usize {
        shard(self.assignment[item])
    }

    /// Each item's shard ([`UNPLACED`] if none), as a new vector.
    pub fn to_assignment(&self) -> Vec<usize> {
        self.assignment.iter().map(|&s| shard(s)).collect()
    }

    /// The assignment, consuming the state: its bookkeeping is let go of
    /// before the assignment is widened.
    pub fn into_assignment(self) -> Vec<usize> {
        let State {
            assignment,
            presence,
            members,
            position,
            ..
        } = self;
        drop((presence, members, position));
        assignment.into_iter().map(shard).collect()
    }

    /// Shard `shard`'s load.
    pub fn load(&self, shard: usize) -> Micros {
        self.loads[shard]
    }

    /// Every shard's load.
    pub fn loads(&self) -> &[Micros] {
        &self.loads
    }

    /// The largest load.
    pub fn makespan(&self) -> Micros {
        self.loads.iter().copied().max().unwrap_or(0)
    }

    /// The most loaded shard, the lowest index on ties.
    pub fn heaviest(&self) -> usize {
        let mut best = 0;
        for (shard, &load) in self.loads.iter().enumerate() {
            if load > self.loads[best] {
                best = shard;
            }
        }
        best
    }

    /// The least loaded shard, the lowest index on ties.
    pub fn lightest(&self) -> usize {
        let mut best = 0;
        for (shard, &load) in self.loads.iter().enumerate() {
            if load < self.loads[best] {
                best = shard;
            }
        }
        best
    }

    /// The items on `shard`.
    pub fn members(&self, shard: usize) -> &[u32] {
        &self.members[shard]
    }

    /// How many items of `group` run on `shard`.
    pub fn count(&self, group: usize, shard: usize) -> u32 {
        let presence = &self.presence[group];
        presence
            .binary_search_by_key(&shard, |&(s, _)| s)
            .map_or(0, |i| presence[i].1)
    }

    /// The shards running `group`, by index.
    pub fn shards_with(&self, group: usize) -> impl Iterator<Item = usize> + '_ {
        self.presence[group].iter().map(|&(s, _)| s)
    }

    /// What placing `item` on `shard` adds to its load.
    pub fn add_cost(&self, item: usize, shard: usize) -> Micros {
        let group = self.problem.items[item].group_index();
        let setup = if self.count(group, shard) == 0 {
            self.problem.groups[group].setup
        } else {
            0
        };
        weight(self.problem, item) + setup
    }

    /// What taking `item` off its shard removes from that shard's load.
    pub fn remove_saving(&self, item: usize) -> Micros {
        let shard = self.shard_of(item);
        let group = self.problem.items[item].group_index();
        let setup = if self.count(group, shard) == 1 {
            self.problem.groups[group].setup
        } else {
            0
        };
        weight(self.problem, item) + setup
    }

    /// Places an unplaced item.
    pub fn place(&mut self, item: usize, shard: usize) {
        let group = self.problem.items[item].group_index();
        self.place_known(item, shard, group, weight(self.problem, item));
    }

    /// [`State::place`] for a caller that knows the item's group and
    /// [`weight`] already (a block of one item): at a million items in
    /// weight order, reading the item is a cache miss each.
    pub fn place_known(&mut self, item: usize, shard: usize, group: usize, weight: Micros) {
        debug_assert_eq!(self.assignment[item], NOT_PLACED);
        debug_assert_eq!(group, self.problem.items[item].group_index());
        debug_assert_eq!(weight, self::weight(self.problem, item));
        // What `add_cost` would say, from the one search that also records
        // the item: placing a million items is a hot loop.
        let presence = &mut self.presence[group];
        let setup = match presence.binary_search_by_key(&shard, |&(s, _)| s) {
            Ok(i) => {
                presence[i].1 += 1;
                0
            }
            Err(i) => {
                presence.insert(i, (shard, 1));
                self.problem.groups[group].setup
            }
        };
        self.loads[shard] += weight + setup;
        self.assignment[item] = stored(shard);
        // Both fit: `empty` checked that every item index does.
        self.position[item] = self.members[shard].len() as u32;
        self.members[shard].push(item as u32);
    }

    /// Takes a placed item off its shard.
    pub fn unplace(&mut self, item: usize) {
        let shard = self.shard_of(item);
        debug_assert_ne!(shard, UNPLACED);
        self.loads[shard] -= self.remove_saving(item);
        let group = self.problem.items[item].group_index();
        let presence = &mut self.presence[group];
        if let Ok(i) = presence.binary_search_by_key(&shard, |&(s, _)| s) {
            presence[i].1 -= 1;
            if presence[i].1 == 0 {
                presence.remove(i);
            }
        }
        let position = self.position[item];
        self.members[shard].swap_remove(position as usize);
        if let Some(&moved) = self.members[shard].get(position as usize) {
            self.position[moved as usize] = position;
        }
        self.assignment[item] = NOT_PLACED;
    }

    /// Moves a placed item to `shard`.
    pub fn relocate(&mut self, item: usize, shard: usize) {
        if self.shard_of(item) != shard {
            self.unplace(item);
            self.place(item, shard);
        }
    }

    /// The items on `shard` grouped by group: `(group, items)` sorted by
    /// group, items ascending.
    pub fn pieces(&self, shard: usize) -> Vec<(usize, Vec<usize>)> {
        // One 8-byte key an item, group above item (both fit 32 bits, as
        // the items do): a shard may hold most of a million, and integers
        // sort faster than pairs.
        let mut keys: Vec<u64> = self.members[shard]
            .iter()
            .map(|&i| (u64::from(self.problem.items[i as usize].group) << 32) | u64::from(i))
            .collect();
        keys.sort_unstable();
        let mut pieces: Vec<(usize, Vec<usize>)> = Vec::new();
        for key in keys {
            let (group, item) = ((key >> 32) as usize, (key & u64::from(u32::MAX)) as usize);
            match pieces.last_mut() {
                Some((g, members)) if *g == group => members.push(item),
                _ => pieces.push((group, vec![item])),
            }
        }
        pieces
    }

    /// Whether `shard` holds more than `limit` units: items of groups
    /// without a setup count one each, groups with one once. Stops
    /// counting past `limit`, without sorting the shard's items.
    pub fn units_exceed(&self, shard: usize, limit: usize) -> bool {
        let mut seen: Vec<u32> = Vec::new();
        let mut units = 0;
        for &item in &self.members[shard] {
            let group = self.problem.items[item as usize].group;
            if self.problem.groups[group as usize].setup == 0 {
                units += 1;
            } else if !seen.contains(&group) {
                // At most `limit` + 1 distinct groups are ever held.
                seen.push(group);
                units += 1;
            }
            if units > limit {
                return true;
            }
        }
        false
    }
}

/// Loads of a complete assignment under the planners' weights.
pub fn loads(problem: &Problem, assignment: &[usize]) -> Vec<Micros> {
    // The sums a `State` reaches, without its per-group bookkeeping: each
    // item's weight, and each group's setup once on every shard running it.
    let mut loads = vec![0; problem.shards];
    for (item, &shard) in assignment.iter().enumerate() {
        loads[shard] += weight(problem, item);
    }
    for (load, setup) in loads
        .iter_mut()
        .zip(super::setups_paid(problem, assignment))
    {
        *load += setup;
    }
    loads
}

/// The largest load of a complete assignment under the planners' weights.
pub fn makespan(problem: &Problem, assignment: &[usize]) -> Micros {
    loads(problem, assignment).into_iter().max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::super::tests::grouped;
    use super::*;

    #[test]
    fn a_state_gives_back_the_shards_it_was_given_unplaced_included() {
        let p = grouped(
            &[("a", 10, "f"), ("b", 20, "f"), ("c", 5, "g"), ("d", 1, "g")],
            &[("f", 5)],
            3,
        );
        let assignment = vec![2, UNPLACED, 0, 2];
        let state = State::new(&p, &assignment);
        assert_eq!(state.to_assignment(), assignment);
        assert_eq!(state.shard_of(1), UNPLACED);
        assert_eq!(state.shard_of(3), 2);
        assert_eq!(state.loads(), [5, 0, 10 + 5 + 1]);
        let from_shards = State::of_shards(&p, assignment.iter().copied());
        assert_eq!(from_shards.loads(), state.loads());
        assert_eq!(from_shards.into_assignment(), assignment);
    }

    #[test]
    fn setups_are_paid_once_per_group_and_shard() {
        let p = grouped(
            &[("a", 10, "f"), ("b", 20, "f"), ("c", 0, "g")],
            &[("f", 5)],
            2,
        );
        let mut state = State::empty(&p);
        state.place(0, 0);
        assert_eq!(state.load(0), 15);
        assert_eq!(state.add_cost(1, 0), 20);
        assert_eq!(state.add_cost(1, 1), 25);
        state.place(1, 0);
        state.place(2, 1);
        // Zero-duration items weigh 1µs.
        assert_eq!(state.loads(), &[35, 1]);
        assert_eq!(state.remove_saving(0), 10);
        state.relocate(0, 1);
        assert_eq!(state.loads(), &[25, 16]);
        assert_eq!(state.remove_saving(1), 25);
        assert_eq!(state.count(0, 0), 1);
        assert_eq!(state.shards_with(0).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(state.pieces(1), vec![(0, vec![0]), (1, vec![2])]);
        state.relocate(1, 1);
        assert_eq!(state.loads(), &[0, 36]);
        assert!(state.members(0).is_empty());
        assert_eq!(state.heaviest(), 1);
        assert_eq!(state.lightest(), 0);
        assert_eq!(makespan(&p, &state.to_assignment()), 36);
    }

    #[test]
    fn units_count_setup_groups_once_and_other_items_each() {
        // f has a setup (one unit however many items), g none (one unit an
        // item), h has a setup.
        let p = grouped(
            &[
                ("a", 1, "f"),
                ("b", 1, "f"),
                ("c", 1, "g"),
                ("d", 1, "g"),
                ("e", 1, "h"),
            ],
            &[("f", 5), ("h", 2)],
            2,
        );
        let state = State::new(&p, &[0, 0, 0, 0, 0]);
        // f, c, d, h: four units.
        assert!(state.units_exceed(0, 3));
        assert!(!state.units_exceed(0, 4));
        assert!(!state.units_exceed(1, 0));
    }

    #[test]
    fn loads_are_what_a_state_of_the_assignment_holds() {
        let p = grouped(
            &[("a", 10, "f"), ("b", 0, "f"), ("c", 7, "g"), ("d", 3, "h")],
            &[("f", 5), ("g", 2)],
            3,
        );
        for code in 0..81 {
            let assignment: Vec<usize> = (0..4).map(|i| code / 3usize.pow(i) % 3).collect();
            let state = State::new(&p, &assignment);
            assert_eq!(loads(&p, &assignment), state.loads(), "{assignment:?}");
        }
    }
}
