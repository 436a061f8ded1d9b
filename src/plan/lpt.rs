//! Longest processing time first (Graham's LPT): at most 4/3 of optimal, and
//! close to optimal when items are many and small.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::blocks::{Block, BlockItems, Blocks, Single};
use super::cost::{State, UNPLACED, weight};
use super::{Planner, Problem};
use crate::duration::Micros;
use crate::error::Result;

/// Blocks (see [`super::blocks`]) by (weight descending, first key), each to
/// the shard where it finishes earliest, the lowest index on ties. Without
/// setup costs every item is a block and this is the classic rule: items by
/// (duration descending, key ascending), each to the least-loaded shard.
/// With setup costs a group's items travel together, unless the group is
/// too big for one shard.
pub struct Lpt;

impl Planner for Lpt {
    fn name(&self) -> &'static str {
        "lpt"
    }

    fn assign(&self, problem: &Problem) -> Result<Vec<usize>> {
        Ok(lpt(problem))
    }
}

/// The LPT assignment of `problem`.
pub fn lpt(problem: &Problem) -> Vec<usize> {
    let floor = problem.lower_bound().value - problem.shard_overhead;
    lpt_of(problem, &Blocks::of(problem, floor))
}

/// The LPT assignment of `problem` given its [`Blocks`].
pub fn lpt_of(problem: &Problem, blocks: &Blocks) -> Vec<usize> {
    if let Blocks::Singles(singles) = blocks {
        return lpt_of_singles(problem, singles);
    }
    let mut state = State::empty(problem);
    place_blocks(&mut state, blocks);
    fill_empty_shards(&mut state);
    state.into_assignment()
}

/// [`lpt_of`] without setups: each item to the least-loaded shard, the
/// lowest index on ties, with the loads alone. A [`State`]'s bookkeeping
/// per item (12 MB at a million items) would go unused: no setup is paid,
/// and no shard is left empty while another has two items (every item
/// weighs at least 1µs, so an empty shard is the lightest), which leaves
/// [`fill_empty_shards`] nothing to do.
fn lpt_of_singles(problem: &Problem, singles: &[Single]) -> Vec<usize> {
    let mut assignment = vec![UNPLACED; problem.items.len()];
    // Each shard's load once: the top is the least-loaded shard, the
    // lowest index on ties, and is updated where it stands.
    let mut heap: BinaryHeap<Reverse<(Micros, usize)>> =
        (0..problem.shards).map(|s| Reverse((0, s))).collect();
    for single in singles {
        let mut lightest = heap.peek_mut().expect("the heap holds every shard");
        let Reverse((load, shard)) = *lightest;
        assignment[single.item()] = shard;
        *lightest = Reverse((load + single.weight(), shard));
    }
    assignment
}

/// Gives every empty shard an item while another shard has two or more.
///
/// Keeping a group whole can leave a shard empty (two files on three
/// shards), and a CI job with nothing to run fails with many runners. Each
/// empty shard, lowest index first, takes an item from the heaviest shard
/// that has two or more (the lowest index on ties): the item whose move
/// leaves the larger of the two loads smallest (then the lowest index). The
/// item ends at most at its old shard's load (its weight plus its group's
/// setup, both part of that load), so this never raises the makespan.
pub fn fill_empty_shards(state: &mut State<'_>) {
    let shards = state.loads().len();
    // Donors by (load, lowest index); entries whose load or size changed
    // are stale and skipped.
    let mut donors: BinaryHeap<(Micros, Reverse<usize>)> = (0..shards)
        .filter(|&s| state.members(s).len() >= 2)
        .map(|s| (state.load(s), Reverse(s)))
        .collect();
    for empty in 0..shards {
        if !state.members(empty).is_empty() {
            continue;
        }
        let from = loop {
            let Some((load, Reverse(from))) = donors.pop() else {
                return; // fewer items than shards
            };
            if load == state.load(from) && state.members(from).len() >= 2 {
                break from;
            }
        };
        let load = state.load(from);
        let item = state
            .members(from)
            .iter()
            .map(|&item| {
                let item = item as usize;
                let larger = (load - state.remove_saving(item)).max(state.add_cost(item, empty));
                (larger, item)
            })
            .min()
            .map(|(_, item)| item)
            .expect("a donor has two items or more");
        state.relocate(item, empty);
        if state.members(from).len() >= 2 {
            donors.push((state.load(from), Reverse(from)));
        }
    }
}

/// Places `blocks`, in order, each where it finishes earliest: the
/// least-loaded shard, or a shard already running its group (which pays no
/// second setup) if that is earlier; the lowest index on ties.
pub fn place_blocks(state: &mut State<'_>, blocks: &Blocks) {
    match blocks {
        Blocks::Singles(singles) => {
            let shards = state.loads().len();
            let mut heap: BinaryHeap<Reverse<(Micros, usize)>> =
                (0..shards).map(|s| Reverse((state.load(s), s))).collect();
            // No setups: the lightest shard is where a block finishes
            // earliest, as `place_all` finds for a block of one.
            for single in singles {
                let (_, lightest) = lightest(&mut heap, state);
                let item = single.item();
                let group = state.problem().items[item].group_index();
                state.place_known(item, lightest, group, single.weight());
                heap.push(Reverse((state.load(lightest), lightest)));
            }
        }
        Blocks::Blocks(blocks) => place_all(state, blocks),
    }
}

/// [`place_blocks`] of blocks held as [`Block`]s.
fn place_all(state: &mut State<'_>, blocks: &[Block]) {
    let shards = state.loads().len();
    // Loads only grow here, so an entry whose load is not the shard's
    // current load is stale and skipped.
    let mut heap: BinaryHeap<Reverse<(Micros, usize)>> =
        (0..shards).map(|s| Reverse((state.load(s), s))).collect();
    for block in blocks {
        let (load, lightest) = lightest(&mut heap, state);
        let setup = state.problem().groups[block.group].setup;
        let cost = |state: &State<'_>, shard: usize| {
            if setup > 0 && state.count(block.group, shard) > 0 {
                block.weight - setup
            } else {
                block.weight
            }
        };
        let mut best = (load + cost(state, lightest), lightest);
        // Without a setup no shard costs less than the lightest.
        if setup > 0 {
            for shard in state.shards_with(block.group) {
                best = best.min((state.load(shard) + cost(state, shard), shard));
            }
        }
        match &block.items {
            // Without a setup a block of one weighs what its item does.
            BlockItems::One(item) if setup == 0 => {
                state.place_known(*item, best.1, block.group, block.weight);
            }
            items => {
                for &item in items {
                    state.place(item, best.1);
                }
            }
        }
        heap.push(Reverse((state.load(best.1), best.1)));
    }
}

/// The least-loaded shard and its load, dropping stale heap entries.
fn lightest(heap: &mut BinaryHeap<Reverse<(Micros, usize)>>, state: &State<'_>) -> (Micros, usize) {
    loop {
        let Some(&Reverse((load, shard))) = heap.peek() else {
            unreachable!("the heap always holds every shard");
        };
        if load == state.load(shard) {
            return (load, shard);
        }
        heap.pop();
    }
}

/// Item indexes by (weight descending, index ascending); items are sorted
/// by key, so ties go by key.
pub fn order(problem: &Problem) -> Vec<usize> {
    let mut order: Vec<usize> = (0..problem.items.len()).collect();
    order.sort_by_key(|&i| (Reverse(weight(problem, i)), i));
    order
}

/// Places the unplaced items of `order` one by one, each where it finishes
/// earliest given what is placed already: the least-loaded shard, or a
/// shard already running its group if that is earlier; the lowest index on
/// ties. Used for items new since a previous plan.
pub fn place(state: &mut State<'_>, order: &[usize]) {
    let shards = state.loads().len();
    let mut heap: BinaryHeap<Reverse<(Micros, usize)>> =
        (0..shards).map(|s| Reverse((state.load(s), s))).collect();
    for &item in order {
        let (load, lightest) = lightest(&mut heap, state);
        let mut best = (load + state.add_cost(item, lightest), lightest);
        let group = state.problem().items[item].group_index();
        for shard in state.shards_with(group) {
            let finish = (state.load(shard) + state.add_cost(item, shard), shard);
            best = best.min(finish);
        }
        state.place(item, best.1);
        heap.push(Reverse((state.load(best.1), best.1)));
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{grouped, one_file_worth_splitting, two_files_with_heavy_setups};
    use super::super::{Plan, Problem};
    use super::*;

    fn build(problem: Problem) -> Plan {
        Plan::build(problem, &Lpt).unwrap()
    }

    #[test]
    fn heaviest_first_to_least_loaded_lowest_index_on_ties() {
        let p = Problem::plain(&[("a", 5), ("b", 4), ("c", 3), ("d", 3), ("e", 1)], 2);
        let plan = build(p);
        // a(5)->0, b(4)->1, c(3)->1 (4<5), d(3)->0 (5<7), e(1)->1 (7<8).
        assert_eq!(plan.keys(0), vec!["a", "d"]);
        assert_eq!(plan.keys(1), vec!["b", "c", "e"]);
        assert_eq!(plan.makespan(), 8);
    }

    #[test]
    fn singles_are_placed_as_their_blocks_would_be() {
        let problems = [
            Problem::plain(&[("a", 5), ("b", 4), ("c", 3), ("d", 3), ("e", 1)], 2),
            Problem::plain(&[("a", 0), ("b", 0), ("c", 0), ("d", 10)], 4),
            Problem::plain(&[("a", 3), ("b", 1)], 4),
            Problem::plain(&[("x", 2), ("y", 2), ("z", 2), ("w", 7), ("v", 0)], 3),
        ];
        for p in problems {
            let singles = Blocks::of(&p, 0);
            assert!(matches!(singles, Blocks::Singles(_)));
            let blocks = Blocks::Blocks(super::super::blocks::blocks(&p));
            assert_eq!(lpt_of(&p, &singles), lpt_of(&p, &blocks), "{p:?}");
        }
    }

    #[test]
    fn equal_durations_break_ties_by_key() {
        let plan = build(Problem::plain(&[("z", 2), ("y", 2), ("x", 2)], 3));
        assert_eq!(plan.keys(0), vec!["x"]);
        assert_eq!(plan.keys(1), vec!["y"]);
        assert_eq!(plan.keys(2), vec!["z"]);
    }

    #[test]
    fn zero_durations_never_leave_a_shard_empty() {
        let plan = build(Problem::plain(
            &[("a", 0), ("b", 0), ("c", 0), ("d", 10)],
            4,
        ));
        assert!(plan.shards.iter().all(|s| s.items.len() == 1));
    }

    #[test]
    fn more_shards_than_items_leaves_the_rest_empty() {
        let plan = build(Problem::plain(&[("a", 3), ("b", 1)], 4));
        let sizes: Vec<usize> = plan.shards.iter().map(|s| s.items.len()).collect();
        assert_eq!(sizes, vec![1, 1, 0, 0]);
    }

    #[test]
    fn groups_stay_together_unless_too_big_for_a_shard() {
        // Two files of two 10s tests with a 30s setup each: one file per
        // shard (50s), where a test-by-test greedy would split both (80s).
        let p = two_files_with_heavy_setups();
        let plan = build(p.clone());
        assert_eq!(plan.keys(0), vec!["a", "b"]);
        assert_eq!(plan.makespan(), 50);
        let mut state = State::empty(&p);
        place(&mut state, &order(&p));
        assert_eq!(state.makespan(), 80);

        // One file of four 10s tests, 5s setup: split 2 + 2, 25s each.
        let p = one_file_worth_splitting();
        assert_eq!(build(p).makespan(), 25);
    }

    #[test]
    fn no_shard_stays_empty_while_a_group_can_give_an_item() {
        // A 10s test alone in its file; b and c share a file with a 2s
        // setup. Whole files leave shard 2 empty; c moving there costs
        // nothing (1 + 2 = 3 < 10).
        let p = grouped(
            &[("a", 10, "f"), ("b", 1, "g"), ("c", 1, "g")],
            &[("g", 2)],
            3,
        );
        let plan = build(p);
        assert!(plan.shards.iter().all(|s| !s.items.is_empty()), "{plan:?}");
        assert_eq!(plan.makespan(), 10);
    }

    #[test]
    fn item_placement_joins_a_shard_running_the_group_when_earlier() {
        let p = grouped(
            &[("a", 10, "f"), ("b", 10, "g"), ("c", 3, "f")],
            &[("f", 5)],
            2,
        );
        let mut state = State::empty(&p);
        // a -> 0 (15), b -> 1 (10); c: shard 1 would be 10 + 3 + 5 = 18,
        // shard 0 runs f already: 15 + 3 = 18; tie, lowest index.
        place(&mut state, &order(&p));
        assert_eq!(state.to_assignment(), [0, 1, 0]);
    }
}
