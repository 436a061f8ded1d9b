//! Complete (branch and bound) searches, bounded by a node count.
//!
//! * [`two_way`] re-partitions the items of two shards as well as possible:
//!   the move local search makes when single moves and swaps are stuck. It
//!   counts setups exactly (two pieces of a group on one side pay once).
//! * [`k_way`] is Korf's complete greedy algorithm over blocks, for inputs
//!   small enough that it may finish; its first descent is LPT.
//!
//! Both explore the heaviest units first and always try the side or shard
//! where a unit finishes earliest first, so good answers come early and a
//! node budget cut costs little. The budget is a count, never a time.

use std::cmp::Reverse;

use crate::duration::Micros;

/// One unit of a two-way re-partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    /// Weight without setup.
    pub weight: Micros,
    /// Setup paid by a side that runs this group and had not yet; 0 for
    /// none. Units of one group carry the same setup.
    pub setup: Micros,
    /// Group index, local to the re-partition (0..groups); ignored for
    /// units without setup.
    pub group: usize,
}

/// Splits `units` into two sides so that the larger side is below `limit`,
/// as small as the search finds within `budget` nodes. Returns the sides
/// (`false` = first) and the larger side's load, or `None` if nothing below
/// `limit` was found. `groups` is one more than the largest `group`.
/// Adds the nodes used to `spent`.
pub fn two_way(
    units: &[Unit],
    groups: usize,
    limit: Micros,
    budget: u64,
    spent: &mut u64,
) -> Option<(Vec<bool>, Micros)> {
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by_key(|&i| (Reverse(units[i].weight + units[i].setup), i));
    let mut rest = vec![0; units.len() + 1];
    for (position, &i) in order.iter().enumerate().rev() {
        rest[position] = rest[position + 1] + units[i].weight;
    }
    let mut search = TwoWay {
        units,
        order,
        rest,
        counts: vec![[0; 2]; groups],
        loads: [0; 2],
        sides: vec![false; units.len()],
        best: limit,
        best_sides: None,
        nodes: 0,
        budget,
    };
    search.descend(0);
    *spent += search.nodes;
    let best = search.best;
    search.best_sides.map(|sides| (sides, best))
}

struct TwoWay<'a> {
    units: &'a [Unit],
    /// Unit indexes, heaviest first.
    order: Vec<usize>,
    /// `rest[p]`: weight (without setups) of the units from position `p` on.
    rest: Vec<Micros>,
    /// Per group, units on each side.
    counts: Vec<[u32; 2]>,
    loads: [Micros; 2],
    sides: Vec<bool>,
    /// The larger side must stay strictly below this.
    best: Micros,
    best_sides: Option<Vec<bool>>,
    nodes: u64,
    budget: u64,
}

impl TwoWay<'_> {
    fn descend(&mut self, position: usize) {
        self.nodes += 1;
        if self.nodes > self.budget {
            return;
        }
        let [a, b] = self.loads;
        if position == self.order.len() {
            let larger = a.max(b);
            if larger < self.best {
                self.best = larger;
                self.best_sides = Some(self.sides.clone());
            }
            return;
        }
        // Setups never go negative, so half of what is left is a floor.
        let floor = a.max(b).max((a + b + self.rest[position]).div_ceil(2));
        if floor >= self.best {
            return;
        }
        let unit = self.units[self.order[position]];
        let cost = |side: usize, counts: &[[u32; 2]]| {
            if unit.setup > 0 && counts[unit.group][side] == 0 {
                unit.weight + unit.setup
            } else {
                unit.weight
            }
        };
        let finish = [a + cost(0, &self.counts), b + cost(1, &self.counts)];
        let first = usize::from(finish[1] < finish[0]);
        // The sides are interchangeable: the first unit goes to side 0.
        let sides: &[usize] = if position == 0 {
            &[0]
        } else {
            &[first, 1 - first]
        };
        for &side in sides {
            if finish[side] >= self.best {
                continue;
            }
            let before = self.loads[side];
            self.loads[side] = finish[side];
            // Only units with a setup share it; the others' group is moot.
            if unit.setup > 0 {
                self.counts[unit.group][side] += 1;
            }
            self.sides[self.order[position]] = side == 1;
            self.descend(position + 1);
            if unit.setup > 0 {
                self.counts[unit.group][side] -= 1;
            }
            self.loads[side] = before;
            if self.nodes > self.budget {
                return;
            }
        }
    }
}

/// Korf's complete greedy algorithm: `weights` (heaviest first) into `k`
/// shards minimising the largest sum, within `budget` nodes. Shards with
/// equal sums are interchangeable, so only the first of them is tried.
/// Returns the assignment, its largest sum, and whether the search finished
/// (the answer is then optimal for these weights). Adds the nodes used to
/// `spent`.
pub fn k_way(
    weights: &[Micros],
    k: usize,
    budget: u64,
    spent: &mut u64,
) -> (Vec<usize>, Micros, bool) {
    let k = k.max(1);
    let total: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    let largest = weights.iter().copied().max().unwrap_or(0);
    let floor = largest.max(total.div_ceil(k as u128) as Micros);
    let mut rest = vec![0u128; weights.len() + 1];
    for (i, &w) in weights.iter().enumerate().rev() {
        rest[i] = rest[i + 1] + u128::from(w);
    }
    let mut search = KWay {
        weights,
        rest,
        floor,
        loads: vec![0; k],
        orders: vec![Vec::with_capacity(k); weights.len()],
        current: vec![0; weights.len()],
        best: Micros::MAX,
        best_assignment: vec![0; weights.len()],
        nodes: 0,
        budget,
    };
    search.descend(0);
    *spent += search.nodes;
    let finished = search.nodes <= search.budget;
    (search.best_assignment, search.best, finished)
}

struct KWay<'a> {
    weights: &'a [Micros],
    rest: Vec<u128>,
    floor: Micros,
    loads: Vec<Micros>,
    /// Per depth, the shards in the order tried (reused, not reallocated).
    orders: Vec<Vec<usize>>,
    current: Vec<usize>,
    best: Micros,
    best_assignment: Vec<usize>,
    nodes: u64,
    budget: u64,
}

impl KWay<'_> {
    fn descend(&mut self, i: usize) {
        self.nodes += 1;
        // The first descent (LPT) always completes, so there is an answer.
        if self.nodes > self.budget && self.best != Micros::MAX {
            return;
        }
        let largest = self.loads.iter().copied().max().unwrap_or(0);
        if i == self.weights.len() {
            if largest < self.best {
                self.best = largest;
                self.best_assignment.clone_from(&self.current);
            }
            return;
        }
        let sum: u128 = self.loads.iter().map(|&l| u128::from(l)).sum();
        let even = (sum + self.rest[i]).div_ceil(self.loads.len() as u128) as Micros;
        if largest.max(even) >= self.best {
            return;
        }
        let mut shards = std::mem::take(&mut self.orders[i]);
        shards.clear();
        shards.extend(0..self.loads.len());
        shards.sort_unstable_by_key(|&s| (self.loads[s], s));
        let mut tried: Option<Micros> = None;
        for &shard in &shards {
            let load = self.loads[shard];
            if tried == Some(load) {
                continue;
            }
            tried = Some(load);
            let finish = load + self.weights[i];
            if finish >= self.best {
                break; // shards are by load: the rest finish later still
            }
            self.loads[shard] = finish;
            self.current[i] = shard;
            self.descend(i + 1);
            self.loads[shard] = load;
            if self.best <= self.floor || (self.nodes > self.budget && self.best != Micros::MAX) {
                break;
            }
        }
        self.orders[i] = shards;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(weights: &[Micros]) -> Vec<Unit> {
        weights
            .iter()
            .map(|&weight| Unit {
                weight,
                setup: 0,
                group: 0,
            })
            .collect()
    }

    #[test]
    fn two_way_finds_a_perfect_split_greedy_misses() {
        // Greedy: 8,7 -> {8},{7}; 6 -> {7,6}=13; 5 -> {8,5}=13; 4 -> 17 vs 13.
        // Perfect: {8,7} = {6,5,4} = 15.
        let units = plain(&[8, 7, 6, 5, 4]);
        let mut spent = 0;
        let (sides, larger) = two_way(&units, 1, 17, 1_000, &mut spent).unwrap();
        assert_eq!(larger, 15);
        let left: Micros = units
            .iter()
            .zip(&sides)
            .filter(|(_, s)| !**s)
            .map(|(u, _)| u.weight)
            .sum();
        assert_eq!(left, 15);
        assert!(spent > 0);
        // Nothing beats 15.
        assert!(two_way(&units, 1, 15, 1_000, &mut spent).is_none());
    }

    #[test]
    fn two_way_counts_a_groups_setup_once_per_side() {
        // Two pieces of one group (setup 10) and a 12: together 3+3+10 = 16
        // beats apart (13 and 13 + 12 = 25).
        let units = [
            Unit {
                weight: 3,
                setup: 10,
                group: 0,
            },
            Unit {
                weight: 3,
                setup: 10,
                group: 0,
            },
            Unit {
                weight: 12,
                setup: 0,
                group: 1,
            },
        ];
        let mut spent = 0;
        let (sides, larger) = two_way(&units, 2, 100, 1_000, &mut spent).unwrap();
        assert_eq!(larger, 16);
        assert_eq!(sides[0], sides[1]);
        assert_ne!(sides[0], sides[2]);
    }

    #[test]
    fn units_without_setup_do_not_pay_for_a_group() {
        // A setup-free unit shares local index 0 with a group that has a
        // setup; it must not make that group's setup look paid.
        let units = [
            Unit {
                weight: 5,
                setup: 0,
                group: 0,
            },
            Unit {
                weight: 1,
                setup: 10,
                group: 0,
            },
            Unit {
                weight: 5,
                setup: 0,
                group: 0,
            },
        ];
        let mut spent = 0;
        // Best: {5, 5} | {1 + 10} = 11; claiming {5, 1} = 6 would be wrong.
        let (_, larger) = two_way(&units, 1, 100, 1_000, &mut spent).unwrap();
        assert_eq!(larger, 11);
    }

    #[test]
    fn two_way_respects_its_budget() {
        let units = plain(&(1..=40).map(|i| i * 7919 % 1000 + 1).collect::<Vec<_>>());
        let mut spent = 0;
        let _ = two_way(&units, 1, Micros::MAX, 50, &mut spent);
        assert!(spent <= 51, "{spent}");
    }

    #[test]
    fn k_way_is_optimal_when_it_finishes() {
        // LPT gives 7 + 3 + ... ; optimum of {5,5,4,3,3} in 2 is 10 (5+5 / 4+3+3).
        let mut spent = 0;
        let (assignment, best, finished) = k_way(&[5, 5, 4, 3, 3], 2, 10_000, &mut spent);
        assert!(finished);
        assert_eq!(best, 10);
        assert_eq!(assignment.len(), 5);
        // A tiny budget still returns the first (LPT) answer.
        let (_, greedy, finished) = k_way(&[5, 5, 4, 3, 3], 2, 1, &mut spent);
        assert!(!finished);
        assert_eq!(greedy, 11);
    }
}
