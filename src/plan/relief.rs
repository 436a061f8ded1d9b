//! Relief: `best`'s last step where a runner runs each group's tests one
//! after another ([`Chains::by_group`]: go packages, jest and vitest
//! files) and several groups at once.
//!
//! The planners balance the shards' shares of their workers' time, but a
//! shard holding a group whose tests take longer one after another than
//! that share takes the chain's time ([`Chains`]). On eight shards of a
//! 2,000-test go suite, four packages' chains (gjson's 11.8 s of tests,
//! one of them 6 s) set four shards at 8.6-12.6 s while the other four
//! ran 7.9 s. This step lowers the heaviest shard as [`super::Plan`]
//! predicts it, chain included:
//!
//! * set by a chain, it moves one of the chain's items to the shard where
//!   that ends soonest: splitting a package shortens its chain;
//! * set by its share, it moves a group's items on it, or one item to a
//!   shard that runs part of its group already: only a chain splits a
//!   group anew, as every split package is one more whose test names may
//!   keep go from selecting it in the shard's one `go test` command.
//!
//! Only where [`Chains::split`]: the runner runs a group's part beside the
//! shard's other groups. Where it runs the part in a launch of its own,
//! after the rest (go with a catch-all), the part's chain adds to the
//! shard rather than overlapping it, which plans do not predict; moving
//! tests into such parts would lower the predicted shard and lengthen the
//! real one.
//!
//! A move is made only if both shards end below the heaviest's old load
//! by [`MIN_GAIN_PPM`]: the sorted loads fall lexicographically, so the
//! step cannot cycle. It stops when the heaviest shard cannot be lowered
//! or after [`WORK`] evaluations, a count, so every machine stops at the
//! same move. A plan whose heaviest shard is set by its share is left as
//! it is: the search before balanced shares already.

use super::local_search::MIN_GAIN_PPM;
use super::{Chains, Problem};
use crate::duration::Micros;

/// Evaluations (an item or group weighed on a shard, an item looked at)
/// over the whole step: a few tens of milliseconds, a million items'
/// bookkeeping aside.
pub const WORK: u64 = 4_000_000;

/// A group's items on one shard.
#[derive(Debug, Clone, Copy)]
struct Part {
    group: usize,
    /// How many of its items.
    items: u32,
    /// Their durations' sum (wall time, as items hold it).
    wall: Micros,
}

/// A shard's longest chain: `(its time, its group)`.
type Chain = (Micros, usize);

/// A move being weighed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    /// One item.
    Item(usize),
    /// All of a group's items on the heaviest shard.
    Group(usize),
}

/// Lowers the heaviest shard of `assignment` as plans predict it (see the
/// module documentation). Returns the moves made.
pub fn relieve(problem: &Problem, assignment: &mut [usize]) -> u64 {
    let Some(chains) = relieved_chains(problem) else {
        return 0;
    };
    let mut relief = Relief::new(problem, chains, assignment);
    let mut moves = 0;
    let mut work = 0;
    while work < WORK {
        let heaviest = relief.heaviest();
        let chain_bound = relief.top[heaviest][0].0 > relief.share[heaviest];
        // Set by its share at the start: the search before balanced shares.
        if moves == 0 && !chain_bound {
            break;
        }
        match relief.best_move(heaviest, chain_bound, &mut work) {
            Some((change, to)) => {
                relief.apply(heaviest, change, to);
                moves += 1;
            }
            None => break,
        }
    }
    #[cfg(debug_assertions)]
    {
        // What the moves kept up to date is what the assignment holds.
        let loads: Vec<Micros> = (0..problem.shards).map(|s| relief.load(s)).collect();
        let mut again = relief.assignment.to_vec();
        let fresh = Relief::new(problem, chains, &mut again);
        let fresh: Vec<Micros> = (0..problem.shards).map(|s| fresh.load(s)).collect();
        debug_assert_eq!(loads, fresh, "relief's loads drifted from its assignment");
    }
    moves
}

/// `problem`'s chains, if relief works on them: each group's tests one
/// after another, and a group may be split ([`Chains::split`]).
fn relieved_chains(problem: &Problem) -> Option<Chains> {
    problem
        .chains
        .filter(|chains| chains.by_group && chains.split)
}

/// The makespan [`super::Plan`] predicts for `assignment`, less the shard
/// overhead, where [`relieve`] works (chains by group that may split);
/// `None` elsewhere.
pub fn predicted_makespan(problem: &Problem, assignment: &[usize]) -> Option<Micros> {
    let chains = relieved_chains(problem)?;
    let mut assignment = assignment.to_vec();
    let state = Relief::new(problem, chains, &mut assignment);
    (0..problem.shards).map(|shard| state.load(shard)).max()
}

/// The state of the step: the assignment with each shard's share, parts
/// and longest chains.
struct Relief<'p, 'a> {
    problem: &'p Problem,
    chains: Chains,
    assignment: &'a mut [usize],
    /// Per shard: its items' durations and the setups of the groups it
    /// runs (what [`super::Plan`] sums before chains).
    share: Vec<Micros>,
    /// Per shard: its groups' parts, sorted by group.
    parts: Vec<Vec<Part>>,
    /// Per shard: its two longest chains (`(0, usize::MAX)` for none),
    /// longest first, ties to the group first in key order.
    top: Vec<[Chain; 2]>,
    /// Per shard: its items; `position` is each item's place in its list.
    members: Vec<Vec<u32>>,
    position: Vec<u32>,
}

/// No chain.
const NONE: Chain = (0, usize::MAX);

/// Whether chain `a` outranks chain `b`: longer, or as long and of the
/// group first in key order (as [`Chains`] names a shard's).
fn outranks(a: Chain, b: Chain) -> bool {
    a.0 > b.0 || (a.0 == b.0 && a.1 < b.1)
}

impl<'p, 'a> Relief<'p, 'a> {
    fn new(problem: &'p Problem, chains: Chains, assignment: &'a mut [usize]) -> Self {
        let shards = problem.shards;
        let mut share = vec![0 as Micros; shards];
        let mut members = vec![Vec::new(); shards];
        let mut position = vec![0u32; assignment.len()];
        let mut keys: Vec<(usize, usize, usize)> = Vec::with_capacity(assignment.len());
        for (item, &shard) in assignment.iter().enumerate() {
            share[shard] = share[shard].saturating_add(problem.items[item].duration);
            position[item] = members[shard].len() as u32;
            members[shard].push(item as u32);
            keys.push((shard, problem.items[item].group_index(), item));
        }
        keys.sort_unstable();
        let mut parts: Vec<Vec<Part>> = vec![Vec::new(); shards];
        for (shard, group, item) in keys {
            let duration = problem.items[item].duration;
            match parts[shard].last_mut() {
                Some(part) if part.group == group => {
                    part.items += 1;
                    part.wall = part.wall.saturating_add(duration);
                }
                _ => {
                    share[shard] = share[shard].saturating_add(problem.groups[group].setup);
                    parts[shard].push(Part {
                        group,
                        items: 1,
                        wall: duration,
                    });
                }
            }
        }
        let mut relief = Relief {
            problem,
            chains,
            assignment,
            share,
            parts,
            top: vec![[NONE; 2]; shards],
            members,
            position,
        };
        for shard in 0..shards {
            relief.rank_chains(shard);
        }
        relief
    }

    /// Shard `shard`'s load as plans predict it, without the shard
    /// overhead: its share, or its longest chain if that is longer.
    fn load(&self, shard: usize) -> Micros {
        self.share[shard].max(self.top[shard][0].0)
    }

    /// The most loaded shard, the lowest index on ties.
    fn heaviest(&self) -> usize {
        (0..self.problem.shards)
            .reduce(|best, shard| {
                if self.load(shard) > self.load(best) {
                    shard
                } else {
                    best
                }
            })
            .expect("a plan has shards")
    }

    /// Works out shard `shard`'s two longest chains again.
    fn rank_chains(&mut self, shard: usize) {
        let mut top = [NONE; 2];
        for part in &self.parts[shard] {
            let chain = (
                self.chains.of_group(self.problem, part.group, part.wall),
                part.group,
            );
            if outranks(chain, top[0]) {
                top = [chain, top[0]];
            } else if outranks(chain, top[1]) {
                top[1] = chain;
            }
        }
        self.top[shard] = top;
    }

    /// Group `group`'s part on `shard`: `(items, wall)`, zeros if none.
    fn part(&self, shard: usize, group: usize) -> (u32, Micros) {
        let parts = &self.parts[shard];
        parts
            .binary_search_by_key(&group, |part| part.group)
            .map_or((0, 0), |i| (parts[i].items, parts[i].wall))
    }

    /// The longest chain on `shard` other than `group`'s.
    fn longest_but(&self, shard: usize, group: usize) -> Micros {
        let [first, second] = self.top[shard];
        if first.1 == group { second.0 } else { first.0 }
    }

    /// The loads of `from` and `to` once `items` items of `group`, whose
    /// durations sum to `wall`, go from `from` to `to`.
    fn loads_after(
        &self,
        from: usize,
        to: usize,
        group: usize,
        items: u32,
        wall: Micros,
    ) -> (Micros, Micros) {
        let setup = self.problem.groups[group].setup;
        let chain = |wall: Micros| self.chains.of_group(self.problem, group, wall);
        let (from_items, from_wall) = self.part(from, group);
        let emptied = from_items == items;
        let from_share = self.share[from] - wall - if emptied { setup } else { 0 };
        let from_chain = if emptied {
            self.longest_but(from, group)
        } else {
            self.longest_but(from, group).max(chain(from_wall - wall))
        };
        let (to_items, to_wall) = self.part(to, group);
        let to_share = self.share[to]
            .saturating_add(wall)
            .saturating_add(if to_items == 0 { setup } else { 0 });
        let to_chain = self.top[to][0].0.max(chain(to_wall.saturating_add(wall)));
        (from_share.max(from_chain), to_share.max(to_chain))
    }

    /// The best move off `from`, the heaviest shard, that lowers it and
    /// ends both shards below its load: `(the move, its shard)`. Ranked by
    /// the higher of the two loads after it, then the load it leaves on
    /// the other shard; ties go to the move weighed first: group moves
    /// before item moves, items by (group, duration, index), shards by
    /// index. Items of one group and duration weigh alike, so only the
    /// first is weighed. Stops weighing once `work` reaches [`WORK`].
    fn best_move(&self, from: usize, chain_bound: bool, work: &mut u64) -> Option<(Move, usize)> {
        let load = self.load(from);
        let gain = (load.saturating_mul(MIN_GAIN_PPM) / 1_000_000).max(1);
        let limit = load.checked_sub(gain)?;
        // A chain-bound shard is lowered only by moving some of its
        // chain's items: all of them would make as long a chain elsewhere.
        let chain_group = chain_bound.then(|| self.top[from][0].1);
        let item_key = |item: u32| {
            let item = &self.problem.items[item as usize];
            (item.group_index(), item.duration)
        };
        *work += self.members[from].len() as u64;
        let mut items: Vec<u32> = self.members[from]
            .iter()
            .copied()
            .filter(|&item| chain_group.is_none_or(|group| item_key(item).0 == group))
            .collect();
        items.sort_unstable_by_key(|&item| (item_key(item), item));
        items.dedup_by_key(|item| item_key(*item));
        let mut best: Option<((Micros, Micros), Move, usize)> = None;
        let mut weigh =
            |change: Move,
             group: usize,
             items: u32,
             wall: Micros,
             best_key: Option<((Micros, Micros), Move, usize)>| {
                let mut found = best_key;
                for to in (0..self.problem.shards).filter(|&to| to != from) {
                    if *work >= WORK {
                        break;
                    }
                    *work += 1;
                    // Set by its share, a shard splits no group anew.
                    if chain_group.is_none()
                        && items < self.part(from, group).0
                        && self.part(to, group).0 == 0
                    {
                        continue;
                    }
                    let (from_load, to_load) = self.loads_after(from, to, group, items, wall);
                    let key = (from_load.max(to_load), to_load);
                    if key.0 <= limit && found.is_none_or(|(k, _, _)| key < k) {
                        found = Some((key, change, to));
                    }
                }
                found
            };
        if chain_group.is_none() {
            for part in &self.parts[from] {
                best = weigh(
                    Move::Group(part.group),
                    part.group,
                    part.items,
                    part.wall,
                    best,
                );
            }
        }
        for item in items {
            let (group, duration) = item_key(item);
            if self.part(from, group).0 == 1 {
                // A group's only item moves as the group.
                continue;
            }
            best = weigh(Move::Item(item as usize), group, 1, duration, best);
        }
        best.map(|(_, change, to)| (change, to))
    }

    /// Makes the move `change` from `from` to `to`.
    fn apply(&mut self, from: usize, change: Move, to: usize) {
        let moving: Vec<usize> = match change {
            Move::Item(item) => vec![item],
            Move::Group(group) => {
                let mut items: Vec<usize> = self.members[from]
                    .iter()
                    .map(|&item| item as usize)
                    .filter(|&item| self.problem.items[item].group_index() == group)
                    .collect();
                items.sort_unstable();
                items
            }
        };
        for item in moving {
            self.unplace(item, from);
            self.place(item, to);
        }
        self.rank_chains(from);
        self.rank_chains(to);
    }

    fn unplace(&mut self, item: usize, shard: usize) {
        let (group, duration) = (
            self.problem.items[item].group_index(),
            self.problem.items[item].duration,
        );
        let parts = &mut self.parts[shard];
        let i = parts
            .binary_search_by_key(&group, |part| part.group)
            .expect("the item's group is on its shard");
        parts[i].items -= 1;
        parts[i].wall -= duration;
        self.share[shard] -= duration;
        if parts[i].items == 0 {
            parts.remove(i);
            self.share[shard] -= self.problem.groups[group].setup;
        }
        let position = self.position[item] as usize;
        self.members[shard].swap_remove(position);
        if let Some(&moved) = self.members[shard].get(position) {
            self.position[moved as usize] = position as u32;
        }
    }

    fn place(&mut self, item: usize, shard: usize) {
        let (group, duration) = (
            self.problem.items[item].group_index(),
            self.problem.items[item].duration,
        );
        let parts = &mut self.parts[shard];
        match parts.binary_search_by_key(&group, |part| part.group) {
            Ok(i) => {
                parts[i].items += 1;
                parts[i].wall = parts[i].wall.saturating_add(duration);
            }
            Err(i) => {
                parts.insert(
                    i,
                    Part {
                        group,
                        items: 1,
                        wall: duration,
                    },
                );
                self.share[shard] =
                    self.share[shard].saturating_add(self.problem.groups[group].setup);
            }
        }
        self.share[shard] = self.share[shard].saturating_add(duration);
        self.position[item] = self.members[shard].len() as u32;
        self.members[shard].push(item as u32);
        self.assignment[item] = shard;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::{Concurrency, SECOND as S};
    use crate::plan::{Group, Item, Plan};

    /// Two at a time: package a's tests take 6 s and 4 s one after
    /// another (3 s and 2 s of wall time each), b to e one of 2 s each;
    /// a's chain pays 1.3 s of setup, its share 0.8 s.
    fn chained(split: bool) -> Problem {
        let mut problem = super::super::tests::chained(true, vec![S + 3 * S / 10, 0, 0, 0, 0]);
        if let Some(chains) = problem.chains.as_mut() {
            chains.split = split;
        }
        problem
    }

    fn makespan(problem: &Problem, assignment: &[usize]) -> Micros {
        Plan::from_assignment(problem.clone(), assignment, "test").makespan()
    }

    /// The predicted loads, heaviest first.
    fn sorted_loads(problem: &Problem, assignment: &[usize]) -> Vec<Micros> {
        let plan = Plan::from_assignment(problem.clone(), assignment, "test");
        let mut loads: Vec<Micros> = plan.shards.iter().map(|shard| shard.load).collect();
        loads.sort_unstable_by(|a, b| b.cmp(a));
        loads
    }

    #[test]
    fn a_chain_longer_than_its_share_is_split() {
        let problem = chained(true);
        // a whole on shard 0 takes 11.3 s one test after another.
        let mut assignment = vec![0, 0, 1, 1, 1, 1];
        assert_eq!(makespan(&problem, &assignment), 11 * S + 3 * S / 10);
        assert_eq!(relieve(&problem, &mut assignment), 1);
        // a's 4 s test joins the others: shard 0's chain is a's 6 s test
        // and its setup, which no plan undercuts.
        assert_eq!(assignment, [0, 1, 1, 1, 1, 1]);
        assert_eq!(makespan(&problem, &assignment), 7 * S + 3 * S / 10);
        let plan = Plan::from_assignment(problem, &assignment, "test");
        assert_eq!(plan.shards[1].load, 6 * S + 8 * S / 10);
    }

    #[test]
    fn a_group_is_not_split_where_the_runner_would_run_its_part_apart() {
        let problem = chained(false);
        let mut assignment = vec![0, 0, 1, 1, 1, 1];
        assert_eq!(relieve(&problem, &mut assignment), 0);
        assert_eq!(assignment, [0, 0, 1, 1, 1, 1]);
    }

    #[test]
    fn plans_without_chains_or_set_by_their_share_are_left_alone() {
        let mut problem = chained(true);
        // Balanced shares and a short chain: nothing to relieve.
        let mut balanced = vec![0, 1, 0, 0, 1, 1];
        assert_eq!(relieve(&problem, &mut balanced), 0);
        assert_eq!(balanced, [0, 1, 0, 0, 1, 1]);
        problem.chains = None;
        let mut whole = vec![0, 0, 1, 1, 1, 1];
        assert_eq!(relieve(&problem, &mut whole), 0);
        assert_eq!(whole, [0, 0, 1, 1, 1, 1]);
    }

    /// A small deterministic generator (the planners' tests need no
    /// randomness crate).
    fn next(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        *seed >> 33
    }

    #[test]
    fn relief_lowers_the_heaviest_shard_deterministically_where_allowed() {
        let mut relieved = 0;
        for case in 0..400u64 {
            let mut seed = case;
            let shards = 2 + next(&mut seed) as usize % 4;
            let group_count = 1 + next(&mut seed) as usize % 6;
            let groups: Vec<Group> = (0..group_count)
                .map(|g| Group {
                    key: format!("g{g}"),
                    setup: next(&mut seed) % 3 * S / 2,
                })
                .collect();
            let items: Vec<(crate::case::Text, Item)> = (0..1 + next(&mut seed) as usize % 14)
                .map(|i| {
                    let group = next(&mut seed) as usize % group_count;
                    Item::test(format!("t{i:02}"), next(&mut seed) % 8 * S / 4, group)
                })
                .collect();
            let mut problem = Problem::new(items, groups, shards);
            let split = next(&mut seed).is_multiple_of(2);
            problem.chains = Some(Chains {
                concurrency: Concurrency(2000 + next(&mut seed) % 2 * 1000),
                by_group: true,
                split,
            });
            let start: Vec<usize> = (0..problem.items.len())
                .map(|_| next(&mut seed) as usize % shards)
                .collect();
            let mut assignment = start.clone();
            let moves = relieve(&problem, &mut assignment);
            let (before, after) = (makespan(&problem, &start), makespan(&problem, &assignment));
            assert!(after <= before, "case {case}: {before} -> {after}");
            if moves > 0 {
                relieved += 1;
                // Each move lowers the heaviest shard: the makespan, or
                // how many shards share it.
                let (was, is) = (
                    sorted_loads(&problem, &start),
                    sorted_loads(&problem, &assignment),
                );
                assert!(is < was, "case {case}: {moves} moves gained nothing");
            }
            let mut again = start.clone();
            relieve(&problem, &mut again);
            assert_eq!(again, assignment, "case {case}: not deterministic");
            if !split {
                assert_eq!((moves, &assignment), (0, &start), "case {case}");
            }
        }
        assert!(relieved >= 40, "only {relieved} of 400 plans were relieved");
    }
}
