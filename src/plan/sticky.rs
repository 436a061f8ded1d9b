//! Sticky plans (`--previous plan.json --max-churn FRACTION`): start from
//! the assignment a previous `--json` plan made, and move only what pays.
//!
//! 1. Every item the previous plan placed keeps its shard (an item whose
//!    shard no longer exists, because there are fewer shards now, counts as
//!    new).
//! 2. New items are placed one by one, heaviest first, where each finishes
//!    earliest ([`super::lpt::place`]).
//! 3. With `best`, the local search then moves work off the heaviest shard,
//!    each step only if it lowers that shard's load, while at most
//!    `max_churn` of the previously placed items end up on another shard
//!    than before (items, not seconds: what moves is what may break).
//!    If the steps do not lower the makespan in the end, none is kept.
//!
//! Churn is counted in the planner's items (tests, classes or files, as
//! `--by` says). Moving an item back to its previous shard frees budget.
//! A shard the previous plan left empty (there are more shards now) is
//! given an item even beyond the cap: an empty shard fails many CI jobs.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::cost::{State, UNPLACED};
use super::local_search::{self, Churn, Limits};
use super::{Planner, Problem, lpt};
use crate::error::{Error, Result};
use crate::naming::Granularity;

#[derive(Deserialize)]
struct PlanDoc {
    version: u32,
    runner: String,
    by: String,
    shards: Vec<ShardDoc>,
}

#[derive(Deserialize)]
struct ShardDoc {
    index: usize,
    tests: Vec<String>,
}

/// A previous plan: the shard of each item key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previous {
    /// How many shards it had.
    pub shards: usize,
    /// Each item key's shard.
    pub assignment: BTreeMap<String, usize>,
}

impl Previous {
    /// Reads a plan written by `--json`. It must have been planned for the
    /// same runner and granularity, or its keys would not match.
    pub fn read(path: &Path, runner: &str, by: Granularity) -> Result<Previous> {
        let text = fs::read_to_string(path)
            .map_err(|e| Error::in_file(path, format!("cannot read the previous plan: {e}")))?;
        Previous::parse(&text, runner, by).map_err(|message| Error::in_file(path, message))
    }

    /// Parses a `--json` plan; see [`Previous::read`].
    pub fn parse(
        text: &str,
        runner: &str,
        by: Granularity,
    ) -> std::result::Result<Previous, String> {
        let doc: PlanDoc = serde_json::from_str(text)
            .map_err(|e| format!("not a plan written by shardplan --json ({e})"))?;
        if doc.version != 1 {
            return Err(format!(
                "plan format version {} is not supported (this shardplan reads version 1)",
                doc.version
            ));
        }
        if doc.runner != runner || doc.by != by.name() {
            return Err(format!(
                "the previous plan was made with --runner {} --by {}, this run uses --runner {runner} --by {}; its items would not match",
                doc.runner,
                doc.by,
                by.name()
            ));
        }
        let mut assignment = BTreeMap::new();
        for shard in &doc.shards {
            for key in &shard.tests {
                if let Some(other) = assignment.insert(key.clone(), shard.index) {
                    return Err(format!(
                        "{key:?} is on shards {other} and {} of the previous plan; every item must be on one shard",
                        shard.index
                    ));
                }
            }
        }
        Ok(Previous {
            shards: doc.shards.len(),
            assignment,
        })
    }

    /// A short hash of the assignment, for the plan's fingerprint.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        for (key, shard) in &self.assignment {
            hasher.update(format!("{key}\t{shard}\n"));
        }
        super::short_hex(hasher)
    }

    /// Each item's previous shard, if it had one that still exists.
    pub fn shards_of(&self, problem: &Problem) -> Vec<Option<usize>> {
        problem
            .keys
            .iter()
            .map(|key| {
                self.assignment
                    .get(key.as_str())
                    .copied()
                    .filter(|&s| s < problem.shards)
            })
            .collect()
    }
}

/// How many of the previously placed items may move, for `max_churn`.
pub fn max_moved(previous: &[Option<usize>], max_churn: f64) -> usize {
    let placed = previous.iter().filter(|p| p.is_some()).count();
    // Rounded down: a cap of 10% of 15 items is 1 item, never 2.
    (placed as f64 * max_churn.clamp(0.0, 1.0)).floor() as usize
}

/// See the module documentation.
pub struct Sticky<'a> {
    /// The previous plan.
    pub previous: &'a Previous,
    /// Fraction of previously placed items that may move (0 to 1).
    pub max_churn: f64,
    /// Whether to run the local search (`best`) or only place new items
    /// (`lpt`).
    pub improve: bool,
}

impl Planner for Sticky<'_> {
    fn name(&self) -> &'static str {
        if self.improve {
            "best, sticky"
        } else {
            "lpt, sticky"
        }
    }

    fn assign(&self, problem: &Problem) -> Result<Vec<usize>> {
        let previous = self.previous.shards_of(problem);
        let start = previous.iter().map(|p| p.unwrap_or(UNPLACED));
        let mut state = State::of_shards(problem, start);
        let new: Vec<usize> = lpt::order(problem)
            .into_iter()
            .filter(|&i| previous[i].is_none())
            .collect();
        lpt::place(&mut state, &new);
        // Items may have to leave their shard when there are more shards
        // than before (or the previous plan had empty ones).
        lpt::fill_empty_shards(&mut state);
        if self.improve {
            let placed = state.clone();
            let churn = Churn {
                previous: &previous,
                max_moved: max_moved(&previous, self.max_churn),
            };
            local_search::improve(&mut state, &Limits::default(), Some(&churn));
            if state.makespan() >= placed.makespan() {
                state = placed;
            }
        }
        Ok(state.into_assignment())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Problem;
    use super::*;

    fn doc(shards: &[&[&str]]) -> String {
        let shards: Vec<String> = shards
            .iter()
            .enumerate()
            .map(|(index, tests)| {
                let tests: Vec<String> = tests.iter().map(|t| format!("{t:?}")).collect();
                format!("{{\"index\":{index},\"tests\":[{}]}}", tests.join(","))
            })
            .collect();
        format!(
            "{{\"version\":1,\"runner\":\"plain\",\"by\":\"test\",\"fingerprint\":\"x\",\"shards\":[{}]}}",
            shards.join(",")
        )
    }

    fn previous(shards: &[&[&str]]) -> Previous {
        Previous::parse(&doc(shards), "plain", Granularity::Test).unwrap()
    }

    #[test]
    fn reads_a_json_plan_and_checks_it_matches() {
        let p = previous(&[&["a", "b"], &["c"]]);
        assert_eq!(p.shards, 2);
        assert_eq!(p.assignment["c"], 1);
        let wrong_by = Previous::parse(&doc(&[&["a"]]), "plain", Granularity::File).unwrap_err();
        assert!(wrong_by.contains("--by test"), "{wrong_by}");
        let twice =
            Previous::parse(&doc(&[&["a"], &["a"]]), "plain", Granularity::Test).unwrap_err();
        assert!(twice.contains("shards 0 and 1"), "{twice}");
        let garbage = Previous::parse("[1,2]", "plain", Granularity::Test).unwrap_err();
        assert!(garbage.contains("not a plan"), "{garbage}");
        let future = doc(&[&["a"]]).replace("\"version\":1", "\"version\":2");
        assert!(Previous::parse(&future, "plain", Granularity::Test).is_err());
    }

    #[test]
    fn unchanged_suite_keeps_the_previous_plan() {
        // The previous plan is not LPT's, but balanced: nothing pays.
        let problem = Problem::plain(&[("a", 5), ("b", 4), ("c", 3), ("d", 6)], 2);
        let prev = previous(&[&["a", "b"], &["c", "d"]]);
        let sticky = Sticky {
            previous: &prev,
            max_churn: 1.0,
            improve: true,
        };
        assert_eq!(sticky.assign(&problem).unwrap(), vec![0, 0, 1, 1]);
    }

    #[test]
    fn new_items_are_placed_and_only_paying_moves_are_made() {
        // Previously 2 shards of {a, b} and {c}; now d (9) is new, and a
        // grew. New d goes to the lighter shard; then one move pays.
        let problem = Problem::plain(&[("a", 10), ("b", 2), ("c", 3), ("d", 9)], 2);
        let prev = previous(&[&["a", "b"], &["c"]]);
        let frozen = Sticky {
            previous: &prev,
            max_churn: 0.0,
            improve: true,
        };
        // d joins c: {a, b} = 12, {c, d} = 12. Balanced already.
        assert_eq!(frozen.assign(&problem).unwrap(), vec![0, 0, 1, 1]);

        let problem = Problem::plain(&[("a", 10), ("b", 6), ("c", 1), ("d", 1)], 2);
        let prev = previous(&[&["a", "b"], &["c", "d"]]);
        let frozen = Sticky {
            previous: &prev,
            max_churn: 0.0,
            improve: true,
        };
        assert_eq!(frozen.assign(&problem).unwrap(), vec![0, 0, 1, 1]);
        let loose = Sticky {
            previous: &prev,
            max_churn: 0.25,
            improve: true,
        };
        // One of four items may move: b to shard 1 (10 | 8).
        assert_eq!(loose.assign(&problem).unwrap(), vec![0, 1, 1, 1]);
    }

    #[test]
    fn items_of_vanished_shards_are_new() {
        let problem = Problem::plain(&[("a", 1), ("b", 1), ("c", 1)], 2);
        let prev = previous(&[&["a"], &["b"], &["c"]]);
        assert_eq!(prev.shards_of(&problem), vec![Some(0), Some(1), None]);
        assert_eq!(max_moved(&[Some(0), Some(1), None], 0.5), 1);
    }
}
