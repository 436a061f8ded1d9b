//! Shortening shards that a chain sets the time of ([`Chains`]): after
//! `best` has balanced the shards' shares of their workers' time, a shard
//! whose group's tests, one after another in one worker, take longer than
//! that share gives some of them to other shards.
//!
//! Planners weigh an item by its time divided by the concurrency, which is
//! right while every worker stays busy; a go package whose tests take
//! 10.5 s one after another holds one worker for 10.5 s whatever the share
//! says. The search here takes the longest shard and moves one of its
//! items (of its longest chain, when that chain sets its time; the longest
//! first) to the shard where the two shards' predicted times (share or
//! chain, whichever is longer) end lowest, while that beats the longest
//! shard's time. Each move leaves one shard fewer at the longest time, so
//! it never cycles; it stops when no move pays, or after a bounded number
//! of moves. Deterministic: ties go to the longer item, then the earlier
//! one, then the lower shard.

use std::collections::BTreeMap;

use super::{Chains, Problem};
use crate::duration::Micros;

/// Moves at most this many items per shard.
const MOVES_PER_SHARD: usize = 16;

/// Of the moved shard's items (its chain's, when a chain sets its time),
/// tries at most this many, the longest first.
const CANDIDATES: usize = 256;

/// `assignment` with its longest shards shortened where moving one of
/// their items elsewhere pays, judged by each shard's share of its
/// workers' time or its longest chain, whichever is longer (as
/// [`super::Plan`] predicts); unchanged when the runner does not run a
/// group's tests one after another, runs one test at a time, or may run a
/// moved chain after a shard's other groups ([`Chains::movable`]).
pub fn shorten(problem: &Problem, mut assignment: Vec<usize>) -> Vec<usize> {
    let Some(chains) = problem.chains.filter(|c| c.by_group && c.movable) else {
        return assignment;
    };
    let mut shards: Vec<ShardLoad> = vec![ShardLoad::default(); problem.shards];
    for (item, &shard) in assignment.iter().enumerate() {
        shards[shard].add(problem, item);
    }
    for shard in &mut shards {
        shard.refresh(problem, chains);
    }
    for _ in 0..MOVES_PER_SHARD.saturating_mul(problem.shards) {
        let from = (0..shards.len())
            .max_by_key(|&s| (shards[s].time(), std::cmp::Reverse(s)))
            .expect("at least one shard");
        let longest = shards[from].time();
        // The chain's items when a chain sets its time, else any of its.
        let chain = shards[from].chain_group();
        let mut candidates: Vec<usize> = shards[from]
            .items
            .iter()
            .copied()
            .filter(|&i| chain.is_none_or(|g| problem.items[i].group_index() == g))
            .collect();
        let by_length = |&i: &usize| (std::cmp::Reverse(problem.items[i].duration), i);
        if candidates.len() > CANDIDATES {
            candidates.select_nth_unstable_by_key(CANDIDATES, by_length);
            candidates.truncate(CANDIDATES);
        }
        candidates.sort_unstable_by_key(by_length);
        let mut best: Option<(Micros, usize, usize)> = None;
        for &item in &candidates {
            let left = shards[from].time_without(problem, chains, item);
            for (to, shard) in shards.iter().enumerate() {
                if to == from {
                    continue;
                }
                let worse = left.max(shard.time_with(problem, chains, item));
                if worse < longest && best.is_none_or(|(b, _, _)| worse < b) {
                    best = Some((worse, item, to));
                }
            }
        }
        let Some((_, item, to)) = best else {
            break;
        };
        shards[from].remove(problem, item);
        shards[to].add(problem, item);
        shards[from].refresh(problem, chains);
        shards[to].refresh(problem, chains);
        assignment[item] = to;
    }
    assignment
}

/// What a shard holds, as its predicted time needs it, less the shard
/// overhead: its items, their sum (wall time), per group its items' sum
/// and count, and, kept by [`ShardLoad::refresh`], its share and its two
/// longest chains.
#[derive(Debug, Clone, Default)]
struct ShardLoad {
    /// Its items, in no particular order.
    items: Vec<usize>,
    sum: Micros,
    groups: BTreeMap<usize, (Micros, usize)>,
    /// Its items and its groups' setups, in wall time.
    share: Micros,
    /// Its longest chain and the next longest (of another group):
    /// `(time, group)`.
    chains: [Option<(Micros, usize)>; 2],
}

impl ShardLoad {
    fn add(&mut self, problem: &Problem, item: usize) {
        self.items.push(item);
        let item = &problem.items[item];
        self.sum += item.duration;
        let entry = self.groups.entry(item.group_index()).or_default();
        entry.0 += item.duration;
        entry.1 += 1;
    }

    fn remove(&mut self, problem: &Problem, item: usize) {
        let at = self
            .items
            .iter()
            .position(|&i| i == item)
            .expect("the item is here");
        self.items.swap_remove(at);
        let item = &problem.items[item];
        self.sum -= item.duration;
        let group = item.group_index();
        let entry = self.groups.get_mut(&group).expect("the item's group");
        entry.0 -= item.duration;
        entry.1 -= 1;
        if entry.1 == 0 {
            self.groups.remove(&group);
        }
    }

    /// Works out the share and the two longest chains again.
    fn refresh(&mut self, problem: &Problem, chains: Chains) {
        self.share = self
            .groups
            .keys()
            .map(|&g| problem.groups[g].setup)
            .fold(self.sum, Micros::saturating_add);
        let mut longest: [Option<(Micros, usize)>; 2] = [None, None];
        for (&group, &(sum, _)) in &self.groups {
            let entry = (chain(problem, chains, group, sum), group);
            // Longer first; of equal chains the group first in key order.
            let beats = |other: Option<(Micros, usize)>| other.is_none_or(|o| entry.0 > o.0);
            if beats(longest[0]) {
                longest = [Some(entry), longest[0]];
            } else if beats(longest[1]) {
                longest[1] = Some(entry);
            }
        }
        self.chains = longest;
    }

    /// Its share or its longest chain, whichever is longer.
    fn time(&self) -> Micros {
        self.chains[0].map_or(self.share, |(c, _)| c.max(self.share))
    }

    /// The group whose chain is longer than the shard's share, if any.
    fn chain_group(&self) -> Option<usize> {
        self.chains[0]
            .filter(|&(c, _)| c > self.share)
            .map(|(_, g)| g)
    }

    /// [`ShardLoad::time`] once `item` (one of its) has left.
    fn time_without(&self, problem: &Problem, chains: Chains, item: usize) -> Micros {
        let item = &problem.items[item];
        let group = item.group_index();
        let (sum, count) = self.groups[&group];
        let setup = if count == 1 {
            problem.groups[group].setup
        } else {
            0
        };
        let share = self.share - item.duration - setup;
        let own = (count > 1).then(|| chain(problem, chains, group, sum - item.duration));
        let other = self
            .chains
            .iter()
            .flatten()
            .find(|&&(_, g)| g != group)
            .map(|&(c, _)| c);
        share.max(own.unwrap_or(0)).max(other.unwrap_or(0))
    }

    /// [`ShardLoad::time`] once `item` (another shard's) has joined.
    fn time_with(&self, problem: &Problem, chains: Chains, item: usize) -> Micros {
        let item = &problem.items[item];
        let group = item.group_index();
        let sum = self.groups.get(&group).map_or(0, |g| g.0);
        let setup = if self.groups.contains_key(&group) {
            0
        } else {
            problem.groups[group].setup
        };
        let share = self
            .share
            .saturating_add(item.duration)
            .saturating_add(setup);
        let own = chain(problem, chains, group, sum.saturating_add(item.duration));
        share.max(own).max(self.time())
    }
}

/// The chain of group `group`'s items summing `sum` on one shard: they
/// and the group's setup, one at a time.
fn chain(problem: &Problem, chains: Chains, group: usize, sum: Micros) -> Micros {
    chains
        .concurrency
        .serial(sum.saturating_add(problem.groups[group].setup))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::{Concurrency, SECOND};
    use crate::plan::{Group, Item, Plan};

    /// Two at a time, so items weigh half their time: package a's tests
    /// take 6 s and 4 s, b to e one of 2 s each.
    fn chained(by_group: bool) -> Problem {
        let groups = ["a", "b", "c", "d", "e"]
            .map(|key| Group {
                key: key.to_string(),
                setup: 0,
            })
            .to_vec();
        let items = vec![
            Item::test("a.1", 3 * SECOND, 0),
            Item::test("a.2", 2 * SECOND, 0),
            Item::test("b", SECOND, 1),
            Item::test("c", SECOND, 2),
            Item::test("d", SECOND, 3),
            Item::test("e", SECOND, 4),
        ];
        let mut problem = Problem::new(items, groups, 2);
        problem.chains = Some(Chains {
            concurrency: Concurrency(2000),
            by_group,
            movable: true,
        });
        problem
    }

    #[test]
    fn a_plan_predicts_a_chain_longer_than_the_share_and_shortening_splits_it() {
        let problem = chained(true);
        // a whole on shard 0: a share of 5 s, but 10 s one after another.
        let whole = vec![0, 0, 1, 1, 1, 1];
        let plan = Plan::from_assignment(problem.clone(), &whole, "test");
        assert_eq!(plan.shards[0].load, 10 * SECOND);
        assert_eq!(plan.shards[0].chain, Some(0));
        assert_eq!(plan.shards[1].load, 4 * SECOND);
        assert_eq!(plan.shards[1].chain, None);
        // a's 4 s test moves: 6 s (a's 6 s test alone) and 6 s (shares).
        let shortened = shorten(&problem, whole.clone());
        assert_eq!(shortened, [0, 1, 1, 1, 1, 1]);
        let plan = Plan::from_assignment(problem, &shortened, "test");
        assert_eq!(plan.makespan(), 6 * SECOND);
        // Each test its own chain (nextest): a whole is no chain, nothing
        // moves.
        let problem = chained(false);
        assert_eq!(shorten(&problem, whole.clone()), whole);
        let plan = Plan::from_assignment(problem, &whole, "test");
        assert_eq!(plan.shards[0].load, 6 * SECOND);
        assert_eq!(plan.shards[0].chain, Some(0));
    }

    #[test]
    fn shortening_never_lengthens_the_plan_and_keeps_every_item_once() {
        // Generated problems, two to four at a time, a few long groups.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |bound: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % bound
        };
        for round in 0..200 {
            let group_count = 1 + next(6) as usize;
            let groups: Vec<Group> = (0..group_count)
                .map(|g| Group {
                    key: format!("g{g}"),
                    setup: next(3) * SECOND / 10,
                })
                .collect();
            let items: Vec<(crate::case::Text, Item)> = (0..1 + next(30))
                .map(|i| {
                    let group = next(group_count as u64) as usize;
                    Item::test(format!("t{i:03}"), 1 + next(5 * SECOND), group)
                })
                .collect();
            let shards = 1 + next(5) as usize;
            let mut problem = Problem::new(items, groups, shards);
            problem.chains = Some(Chains {
                concurrency: Concurrency(2000 + 1000 * next(3)),
                by_group: true,
                movable: true,
            });
            let start: Vec<usize> = (0..problem.items.len())
                .map(|_| next(shards as u64) as usize)
                .collect();
            let before = Plan::from_assignment(problem.clone(), &start, "test").makespan();
            let shortened = shorten(&problem, start.clone());
            // Every item on one existing shard (from_assignment checks),
            // the plan no longer, and the same answer again.
            let after = Plan::from_assignment(problem.clone(), &shortened, "test").makespan();
            assert!(after <= before, "round {round}: {after} > {before}");
            assert_eq!(shorten(&problem, start), shortened, "round {round}");
        }
    }
}
