//! Planning: the third stage of the pipeline.
//!
//! The suite is grouped into [`Item`]s at the chosen granularity, and a
//! [`Planner`] assigns every item to exactly one shard. Planners see items in
//! a canonical order (sorted by key) and must be deterministic: the same
//! items and shard count give the same assignment on every machine.

pub mod lpt;

use std::collections::HashMap;

use clap::ValueEnum;
use sha2::{Digest, Sha256};

use crate::duration::Micros;
use crate::emit::Granularity;
use crate::timing::{Source, Suite};

/// What the planner places on a shard: a test, or a class or file of tests
/// that must stay together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The runner's selector for the item (test id, class, file).
    pub key: String,
    /// Predicted duration: the sum of its tests.
    pub duration: Micros,
    /// How many tests the item holds.
    pub tests: usize,
    /// How many of those have estimated durations.
    pub estimated: usize,
}

/// Groups a suite into items at granularity `by`, sorted by key.
pub fn items(suite: &Suite, by: Granularity) -> Vec<Item> {
    let item_of = |test: &crate::timing::PlannedTest| Item {
        key: test.id.key(by).to_string(),
        duration: test.duration,
        tests: 1,
        estimated: usize::from(test.source == Source::Estimated),
    };
    if by == Granularity::Test {
        // The suite is sorted by native id and holds each test once.
        return suite.tests.iter().map(item_of).collect();
    }
    // Only looked up while grouping; the result is sorted below.
    let mut groups: HashMap<&str, Item> = HashMap::new();
    for test in &suite.tests {
        let next = item_of(test);
        match groups.get_mut(test.id.key(by)) {
            Some(item) => {
                item.duration = item.duration.saturating_add(next.duration);
                item.tests += 1;
                item.estimated += next.estimated;
            }
            None => {
                groups.insert(test.id.key(by), next);
            }
        }
    }
    let mut items: Vec<Item> = groups.into_values().collect();
    items.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    items
}

/// A bin-packing algorithm.
pub trait Planner {
    /// Name used by `--algorithm`.
    fn name(&self) -> &'static str;
    /// Returns, for each item, the index of the shard it goes to. `items` are
    /// sorted by key; `shards` is at least 1.
    fn assign(&self, items: &[Item], shards: usize) -> Vec<usize>;
}

/// The algorithms `--algorithm` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// Longest processing time first: each item, heaviest first, to the
    /// least-loaded shard.
    Lpt,
}

impl Algorithm {
    /// The implementation behind the name.
    pub fn planner(self) -> Box<dyn Planner> {
        match self {
            Algorithm::Lpt => Box::new(lpt::Lpt),
        }
    }
}

/// One shard of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// Indexes into the plan's items, in key order.
    pub items: Vec<usize>,
    /// Predicted duration: the sum of its items.
    pub load: Micros,
}

/// Every item placed on exactly one shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The items, sorted by key.
    pub items: Vec<Item>,
    /// The shards, by index.
    pub shards: Vec<Shard>,
}

impl Plan {
    /// Runs `planner` and checks its answer: an assignment that loses or
    /// invents an item is a bug, and a wrong plan must never be printed.
    pub fn build(items: Vec<Item>, shards: usize, planner: &dyn Planner) -> Plan {
        assert!(shards >= 1, "a plan needs at least one shard");
        let assignment = planner.assign(&items, shards);
        assert_eq!(
            assignment.len(),
            items.len(),
            "planner {} must assign every item exactly once",
            planner.name()
        );
        let mut plan = Plan {
            shards: vec![
                Shard {
                    items: Vec::new(),
                    load: 0,
                };
                shards
            ],
            items,
        };
        for (item, &shard) in assignment.iter().enumerate() {
            assert!(
                shard < shards,
                "planner {} used shard {shard}",
                planner.name()
            );
            plan.shards[shard].items.push(item);
            plan.shards[shard].load = plan.shards[shard]
                .load
                .saturating_add(plan.items[item].duration);
        }
        plan
    }

    /// Sum of all items' durations.
    pub fn total(&self) -> Micros {
        self.items.iter().map(|i| i.duration).sum()
    }

    /// The predicted duration of the slowest shard.
    pub fn makespan(&self) -> Micros {
        self.shards.iter().map(|s| s.load).max().unwrap_or(0)
    }

    /// No plan can finish before `max(ceil(total / N), largest item)`.
    pub fn lower_bound(&self) -> Micros {
        lower_bound(&self.items, self.shards.len())
    }

    /// How far the plan is above the lower bound (1.0 is optimal).
    pub fn ratio(&self) -> f64 {
        let bound = self.lower_bound();
        if bound == 0 {
            1.0
        } else {
            self.makespan() as f64 / bound as f64
        }
    }

    /// The keys of one shard's items, in key order.
    pub fn keys(&self, shard: usize) -> Vec<String> {
        self.shards[shard]
            .items
            .iter()
            .map(|&i| self.items[i].key.clone())
            .collect()
    }
}

/// `max(ceil(total / shards), largest item)`: no assignment beats it.
pub fn lower_bound(items: &[Item], shards: usize) -> Micros {
    let total: u128 = items.iter().map(|i| u128::from(i.duration)).sum();
    let shards = shards.max(1) as u128;
    let average = total.div_ceil(shards) as Micros;
    let largest = items.iter().map(|i| i.duration).max().unwrap_or(0);
    average.max(largest)
}

/// A short hash of everything the plan depends on, printed by every shard so
/// that shards planned from different inputs can be told apart.
pub fn fingerprint(parameters: &[(&str, &str)], items: &[Item]) -> String {
    let mut hasher = Sha256::new();
    for (name, value) in parameters {
        hasher.update(format!("{name}={value}\n"));
    }
    for item in items {
        hasher.update(item.key.as_bytes());
        hasher.update(b"\t");
        hasher.update(item.duration.to_le_bytes());
        hasher.update(b"\n");
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn item(key: &str, duration: Micros) -> Item {
        Item {
            key: key.into(),
            duration,
            tests: 1,
            estimated: 0,
        }
    }

    #[test]
    fn lower_bound_is_average_or_largest_item() {
        let items = vec![item("a", 10), item("b", 1), item("c", 1)];
        assert_eq!(lower_bound(&items, 2), 10);
        let items = vec![item("a", 3), item("b", 3), item("c", 3)];
        assert_eq!(lower_bound(&items, 2), 5);
        assert_eq!(lower_bound(&[], 4), 0);
    }

    #[test]
    fn fingerprint_changes_with_any_input() {
        let items = vec![item("a", 10), item("b", 1)];
        let base = fingerprint(&[("shards", "2")], &items);
        assert_eq!(base.len(), 16);
        assert_eq!(base, fingerprint(&[("shards", "2")], &items));
        assert_ne!(base, fingerprint(&[("shards", "3")], &items));
        assert_ne!(
            base,
            fingerprint(&[("shards", "2")], &[item("a", 10), item("b", 2)])
        );
    }
}
