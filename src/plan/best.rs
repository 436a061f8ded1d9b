//! `best`: several starting points, each improved by local search, the
//! best kept; never worse than `lpt`, deterministic, and bounded by counts.
//!
//! Starting points:
//! * LPT over blocks (the `lpt` plan itself);
//! * Karmarkar–Karp largest differencing over blocks, when small enough
//!   ([`super::kk::MAX_CELLS`]);
//! * complete greedy search over blocks for small inputs, within a node
//!   budget (it proves the block plan optimal when it finishes).
//!
//! Each is improved by [`super::local_search`] (which also splits a group
//! where moving some of its items pays); the plan with the smallest
//! predicted makespan wins, earlier starting points on ties, and the search
//! stops early once a plan meets the lower bound. `lpt`'s own plan is among
//! the contenders as it is, so `best` is never worse. Where a runner runs
//! each group's tests one after another, the winner's heaviest shard is
//! then lowered as plans predict it, chains included ([`super::relief`]).

use super::blocks::Blocks;
use super::cost::{self, State};
use super::local_search::{self, Limits};
use super::{Planner, Problem, complete, kk, lpt, relief};
use crate::duration::Micros;
use crate::error::Result;

/// Complete greedy search runs for at most this many blocks.
const COMPLETE_MAX_BLOCKS: usize = 128;

/// Node budget of the complete greedy search.
const COMPLETE_NODES: u64 = 50_000;

/// See the module documentation.
pub struct Best;

impl Planner for Best {
    fn name(&self) -> &'static str {
        "best"
    }

    fn assign(&self, problem: &Problem) -> Result<Vec<usize>> {
        Ok(best(problem, &Limits::default()))
    }
}

/// The `best` assignment of `problem`; the local searches share `limits`.
pub fn best(problem: &Problem, limits: &Limits) -> Vec<usize> {
    let floor = problem.lower_bound().value - problem.shard_overhead;
    let blocks = Blocks::of(problem, floor);
    let lpt_plan = lpt::lpt_of(problem, &blocks);
    // (An item-by-item greedy start was tried too: with setup costs it
    // splits groups early and never won after local search.)
    // Local search optimises weights of at least 1µs; a plan full of
    // zero-duration items could, in theory, end a few µs above LPT's.
    let lpt_key = (
        exact_makespan(problem, &lpt_plan),
        cost::makespan(problem, &lpt_plan),
        usize::MAX,
    );
    // LPT's plan is the first start. Starts wait their turn packed.
    let mut starts: Vec<Packed> = vec![Packed::pack(&lpt_plan, problem.shards)];
    drop(lpt_plan);
    // Largest differencing and complete search decline a million blocks:
    // their weights are not gathered for them then.
    let small = blocks.len().saturating_mul(problem.shards) <= kk::MAX_CELLS
        || blocks.len() <= COMPLETE_MAX_BLOCKS;
    let weights = if small { blocks.weights() } else { Vec::new() };
    // With no more blocks than shards LPT gives each its own: nothing to
    // partition.
    let partition = blocks.len() > problem.shards;
    if let Some(subsets) = kk::partition(&weights, problem.shards).filter(|_| partition) {
        starts.push(by_blocks(problem, &blocks, &subsets));
    }
    if partition && blocks.len() <= COMPLETE_MAX_BLOCKS {
        let mut spent = 0;
        let (shards, _, _) = complete::k_way(&weights, problem.shards, COMPLETE_NODES, &mut spent);
        starts.push(by_blocks(problem, &blocks, &shards));
    }
    // A million blocks are 16 MB the local searches no longer need.
    drop((blocks, weights));

    // (exact makespan, planner makespan, start index), smallest wins;
    // packed while the next start is searched.
    let mut winner: Option<((Micros, Micros, usize), Packed)> = None;
    // The work budget is shared: each start gets an equal part.
    let share = Limits {
        work: limits.work / starts.len() as u64,
        ..*limits
    };
    // Starts equal to an earlier one are told apart before any is used,
    // so that none is copied to be compared later; each start is let go
    // of once the search's state is read from it, so should LPT's plan
    // win after all, it is made again.
    let repeated: Vec<bool> = (0..starts.len())
        .map(|index| starts[..index].contains(&starts[index]))
        .collect();
    for (index, start) in starts.into_iter().enumerate() {
        if repeated[index] {
            continue;
        }
        let (key, assignment) = match local_search::idle_makespan(problem, start.shards(), &share) {
            // The search would leave it as it is: no state is built.
            Some(makespan) => {
                let start = start.unpack();
                #[cfg(debug_assertions)]
                {
                    let mut state = State::new(problem, &start);
                    lpt::fill_empty_shards(&mut state);
                    local_search::improve_and_balance(&mut state, &share);
                    debug_assert!(
                        state.to_assignment() == start && state.makespan() == makespan,
                        "a search told idle moved nothing"
                    );
                }
                ((exact_makespan(problem, &start), makespan, index), start)
            }
            None => {
                // The state holds the start as its own assignment, read
                // from its packed form.
                let mut state = State::of_shards(problem, start.shards());
                drop(start);
                // Local search never empties a shard, so filling first is
                // enough.
                lpt::fill_empty_shards(&mut state);
                local_search::improve_and_balance(&mut state, &share);
                let makespan = state.makespan();
                let assignment = state.into_assignment();
                let key = (exact_makespan(problem, &assignment), makespan, index);
                (key, assignment)
            }
        };
        if winner.as_ref().is_none_or(|(best, _)| key < *best) {
            winner = Some((key, Packed::pack(&assignment, problem.shards)));
        }
        // Nothing beats the lower bound: later starts cannot win.
        if winner
            .as_ref()
            .is_some_and(|((exact, _, _), _)| *exact <= floor)
        {
            break;
        }
    }
    let mut assignment = match winner {
        Some((key, assignment)) if key < lpt_key => assignment.unpack(),
        // LPT's plan, made again.
        _ => lpt::lpt_of(problem, &Blocks::of(problem, floor)),
    };
    relief::relieve(problem, &mut assignment);
    assignment
}

/// [`Packed::shards`]: one shard index per item, widened as it is read.
enum PackedShards<'a> {
    Narrow(std::slice::Iter<'a, u8>),
    Wide(std::slice::Iter<'a, u32>),
}

impl Iterator for PackedShards<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            PackedShards::Narrow(items) => items.next().map(|&s| usize::from(s)),
            PackedShards::Wide(items) => items.next().map(|&s| s as usize),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            PackedShards::Narrow(items) => items.size_hint(),
            PackedShards::Wide(items) => items.size_hint(),
        }
    }
}

/// The item assignment that puts each block on its subset's shard.
fn by_blocks(problem: &Problem, blocks: &Blocks, shards: &[usize]) -> Packed {
    let mut assignment = Packed::zeros(problem.items.len(), problem.shards);
    for (block, &shard) in shards.iter().enumerate().take(blocks.len()) {
        blocks.for_each_item(block, |item| assignment.set(item, shard));
    }
    assignment
}

/// An assignment kept while another is searched: a byte an item where
/// the shards fit one (up to 256 of them), else four. At a million items
/// the starts waiting their turn and the best plan so far were 8 MB each
/// beside the search's own.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Packed {
    Narrow(Vec<u8>),
    Wide(Vec<u32>),
}

impl Packed {
    /// Every item on shard 0.
    fn zeros(items: usize, shards: usize) -> Packed {
        if shards <= 256 {
            Packed::Narrow(vec![0; items])
        } else {
            Packed::Wide(vec![0; items])
        }
    }

    /// `assignment`, whose shards are below `shards`.
    fn pack(assignment: &[usize], shards: usize) -> Packed {
        let mut packed = Packed::zeros(0, shards);
        match &mut packed {
            Packed::Narrow(items) => items.extend(assignment.iter().map(|&s| narrow(s))),
            Packed::Wide(items) => items.extend(assignment.iter().map(|&s| wide(s))),
        }
        packed
    }

    /// Puts item `item` on shard `shard`.
    fn set(&mut self, item: usize, shard: usize) {
        match self {
            Packed::Narrow(items) => items[item] = narrow(shard),
            Packed::Wide(items) => items[item] = wide(shard),
        }
    }

    /// Each item's shard, in item order.
    fn shards(&self) -> PackedShards<'_> {
        match self {
            Packed::Narrow(items) => PackedShards::Narrow(items.iter()),
            Packed::Wide(items) => PackedShards::Wide(items.iter()),
        }
    }

    /// The assignment, one shard index per item.
    fn unpack(&self) -> Vec<usize> {
        match self {
            Packed::Narrow(items) => items.iter().map(|&s| usize::from(s)).collect(),
            Packed::Wide(items) => items.iter().map(|&s| s as usize).collect(),
        }
    }
}

/// A shard index of a plan of at most 256 shards, in a byte.
fn narrow(shard: usize) -> u8 {
    u8::try_from(shard).expect("a shard of at most 256")
}

/// A shard index in 32 bits: there are never 2^32 shards.
fn wide(shard: usize) -> u32 {
    u32::try_from(shard).expect("fewer than 2^32 shards")
}

/// The makespan [`super::Plan`] predicts (exact durations, no shard
/// overhead).
pub fn exact_makespan(problem: &Problem, assignment: &[usize]) -> Micros {
    let mut loads = vec![0 as Micros; problem.shards];
    for (item, &shard) in assignment.iter().enumerate() {
        loads[shard] += problem.items[item].duration;
    }
    for (load, setup) in loads
        .iter_mut()
        .zip(super::setups_paid(problem, assignment))
    {
        *load += setup;
    }
    loads.into_iter().max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{grouped, three_tests_beside_one};
    use super::*;

    #[test]
    fn packed_assignments_unpack_as_they_were() {
        let narrow = vec![0, 255, 7, 0];
        let packed = Packed::pack(&narrow, 256);
        assert!(matches!(packed, Packed::Narrow(_)));
        assert_eq!(packed.unpack(), narrow);
        assert_eq!(packed.shards().collect::<Vec<_>>(), narrow);
        let wide = vec![299, 0, 256];
        let mut packed = Packed::pack(&wide, 300);
        assert!(matches!(packed, Packed::Wide(_)));
        assert_eq!(packed.unpack(), wide);
        assert_eq!(packed.shards().collect::<Vec<_>>(), wide);
        packed.set(1, 298);
        assert_eq!(packed.unpack(), [299, 298, 256]);
    }

    #[test]
    fn best_plans_more_shards_than_a_byte_holds() {
        let durations: Vec<(String, Micros)> =
            (0..600).map(|i| (format!("t{i:03}"), 1 + i % 7)).collect();
        let named: Vec<(&str, Micros)> = durations.iter().map(|(k, d)| (k.as_str(), *d)).collect();
        let p = Problem::plain(&named, 300);
        let plan = best(&p, &Limits::default());
        assert!(plan.iter().all(|&shard| shard < 300));
        assert!(exact_makespan(&p, &plan) <= exact_makespan(&p, &lpt::lpt(&p)));
    }

    #[test]
    fn best_beats_lpt_where_lpt_is_weak() {
        let p = Problem::plain(&[("a", 8), ("b", 7), ("c", 6), ("d", 5), ("e", 4)], 2);
        assert_eq!(exact_makespan(&p, &lpt::lpt(&p)), 17);
        assert_eq!(exact_makespan(&p, &best(&p, &Limits::default())), 15);
    }

    #[test]
    fn best_splits_a_group_only_where_it_pays() {
        // f: three 10s tests, setup 4; g: one 12s test. Two shards.
        // Whole f: 34 vs 12. Splitting f 20+4 | 10+4+12 = 26: better.
        let p = three_tests_beside_one(4, 12);
        assert_eq!(exact_makespan(&p, &best(&p, &Limits::default())), 26);
        // With a 30s setup and a 55s test beside it, splitting never pays:
        // f whole is 60, a split puts 10 + 30 on the 55s test's shard.
        let p = three_tests_beside_one(30, 55);
        let plan = best(&p, &Limits::default());
        assert_eq!(exact_makespan(&p, &plan), 60);
        assert!(plan[0] == plan[1] && plan[1] == plan[2], "{plan:?}");
    }

    #[test]
    fn shards_below_a_giant_item_are_balanced_too() {
        // One 45s test fixes the makespan. Two files of 44 one-second
        // tests (setup 1s) fill two more shards to 45s, a 2s file the
        // last: left alone, 2.0 | 45 | 45 | 45. Balanced, the files are
        // split so that every shard but the giant's ends near a third.
        let names: Vec<(String, &str)> = (0..44)
            .map(|i| (format!("f/t{i:02}"), "f"))
            .chain((0..44).map(|i| (format!("g/t{i:02}"), "g")))
            .collect();
        let mut tests: Vec<(&str, Micros, &str)> = names
            .iter()
            .map(|(name, group)| (name.as_str(), 1_000_000, *group))
            .collect();
        tests.push(("giant", 45_000_000, "giant"));
        tests.push(("small", 2_000_000, "small"));
        let p = grouped(&tests, &[("f", 1_000_000), ("g", 1_000_000)], 4);
        let plan = best(&p, &Limits::default());
        let state = State::new(&p, &plan);
        let mut loads: Vec<Micros> = (0..4).map(|s| state.load(s)).collect();
        loads.sort_unstable();
        // Unbalanced, this was [6s, 44s, 44s, 45s].
        assert_eq!(loads[3], 45_000_000, "{loads:?}");
        assert!(
            loads[0] >= 30_000_000,
            "the shards below 45s stay unbalanced: {loads:?}"
        );
    }

    #[test]
    fn a_lone_start_gives_lpt_or_better() {
        // No more items than shards: LPT's plan is the only start, given
        // back as it is when the search cannot beat it.
        let p = Problem::plain(&[("a", 0), ("b", 0), ("c", 4)], 4);
        assert_eq!(best(&p, &Limits::default()), lpt::lpt(&p));
        let p = Problem::plain(&[("a", 3), ("b", 5)], 2);
        assert_eq!(best(&p, &Limits::default()), lpt::lpt(&p));
    }

    #[test]
    fn best_is_deterministic() {
        let durations: Vec<(String, Micros)> = (0..60)
            .map(|i| (format!("t{i:02}"), (i * 7919 % 1000 + 1) * 1000))
            .collect();
        let refs: Vec<(&str, Micros)> = durations.iter().map(|(k, d)| (k.as_str(), *d)).collect();
        let p = Problem::plain(&refs, 7);
        let first = best(&p, &Limits::default());
        for _ in 0..3 {
            assert_eq!(best(&p, &Limits::default()), first);
        }
    }
}
