//! Longest processing time first (Graham's LPT): at most 4/3 of optimal, and
//! close to optimal when items are many and small.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{Item, Planner};
use crate::duration::Micros;

/// Items by (duration descending, key ascending), each to the least-loaded
/// shard, the lowest index on ties.
///
/// Every item weighs at least 1µs here: with zero-duration items (a go test
/// that reports `0.00s`) all shards would tie at zero load and the lowest
/// index would take them all, leaving others empty. With a positive weight
/// the first N items always land on N distinct shards.
pub struct Lpt;

impl Planner for Lpt {
    fn name(&self) -> &'static str {
        "lpt"
    }

    fn assign(&self, items: &[Item], shards: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by(|&a, &b| {
            items[b]
                .duration
                .cmp(&items[a].duration)
                .then_with(|| items[a].key.cmp(&items[b].key))
        });
        let mut loads: BinaryHeap<Reverse<(Micros, usize)>> =
            (0..shards).map(|s| Reverse((0, s))).collect();
        let mut assignment = vec![0; items.len()];
        for item in order {
            let Some(Reverse((load, shard))) = loads.pop() else {
                unreachable!("the heap always holds every shard");
            };
            assignment[item] = shard;
            loads.push(Reverse((
                load.saturating_add(items[item].duration.max(1)),
                shard,
            )));
        }
        assignment
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Item, Plan};
    use super::*;

    fn items(durations: &[(&str, Micros)]) -> Vec<Item> {
        let mut items: Vec<Item> = durations
            .iter()
            .map(|&(key, duration)| Item {
                key: key.into(),
                duration,
                tests: 1,
                estimated: 0,
            })
            .collect();
        items.sort_by(|a, b| a.key.cmp(&b.key));
        items
    }

    #[test]
    fn heaviest_first_to_least_loaded_lowest_index_on_ties() {
        let items = items(&[("a", 5), ("b", 4), ("c", 3), ("d", 3), ("e", 1)]);
        let plan = Plan::build(items, 2, &Lpt);
        // a(5)->0, b(4)->1, c(3)->1 (4<5), d(3)->0 (5<7), e(1)->1 (7<8).
        assert_eq!(plan.keys(0), vec!["a", "d"]);
        assert_eq!(plan.keys(1), vec!["b", "c", "e"]);
        assert_eq!(plan.makespan(), 8);
    }

    #[test]
    fn equal_durations_break_ties_by_key() {
        let items = items(&[("z", 2), ("y", 2), ("x", 2)]);
        let plan = Plan::build(items, 3, &Lpt);
        assert_eq!(plan.keys(0), vec!["x"]);
        assert_eq!(plan.keys(1), vec!["y"]);
        assert_eq!(plan.keys(2), vec!["z"]);
    }

    #[test]
    fn zero_durations_never_leave_a_shard_empty() {
        let items = items(&[("a", 0), ("b", 0), ("c", 0), ("d", 10)]);
        let plan = Plan::build(items, 4, &Lpt);
        assert!(plan.shards.iter().all(|s| s.items.len() == 1));
    }

    #[test]
    fn more_shards_than_items_leaves_the_rest_empty() {
        let items = items(&[("a", 3), ("b", 1)]);
        let plan = Plan::build(items, 4, &Lpt);
        let sizes: Vec<usize> = plan.shards.iter().map(|s| s.items.len()).collect();
        assert_eq!(sizes, vec![1, 1, 0, 0]);
    }
}
