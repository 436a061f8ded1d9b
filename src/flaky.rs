//! Flaky tests and isolation suspects, from the outcomes the timing history
//! keeps ([`crate::history::RunOutcome`], one per test per merged run).
//!
//! # Flaky tests (`shardplan flaky`)
//!
//! A test is **flaky** when the history shows the same test both failing
//! and passing without a reason in between that the history could see:
//!
//! * it **failed and passed in one run** (`r`: a rerun that passed, a
//!   Surefire `<flakyFailure>`, or two shards that disagreed). One run is
//!   one CI run of one commit, so this is the strongest evidence: the same
//!   code both failed and passed.
//! * its outcome **changed between runs** (pass to fail or back; skips are
//!   ignored). The history records no commit, so each merge counts as a
//!   run of the same code: a test broken for good by the last commit shows
//!   one change too, until the window forgets its passes.
//!
//! Its **failure rate** is the share of the runs it ran in (not skipped)
//! in which it failed or errored, a run that passed only on a rerun
//! included. A test that always fails is broken, not flaky, and is not
//! listed. The worst come first: highest rate, then most runs that needed a
//! rerun, then most changes.
//!
//! # Isolation suspects (`shardplan verify`)
//!
//! A test that failed on its shard but passed in **every** run the history
//! recorded (at least one, skips aside) most likely depends on order or
//! shared state: the tests that ran before it on the shard are the likely
//! culprits. The order is the order of the shard's reports (sorted by
//! path), and within a report its document order: JUnit order is
//! execution order for most runners.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::case::{Outcome, TestCase, Text};
use crate::emit::plain::Plain;
use crate::history::{History, Key, RunOutcome};
use crate::naming::Naming;

/// One flaky test and the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlakyTest {
    /// The test as the runner names it.
    pub id: String,
    /// Its outcomes over the window, oldest first.
    pub outcomes: Vec<RunOutcome>,
    /// Runs in which it ran (was not only skipped).
    pub runs: usize,
    /// Of those, runs in which it failed or errored (reruns that passed
    /// included).
    pub failed: usize,
    /// Runs in which it failed and passed ([`RunOutcome::Rerun`]).
    pub reruns: usize,
    /// Changes between pass and fail from one run to the next.
    pub changes: usize,
}

impl FlakyTest {
    /// The test's evidence from its outcomes, or `None` when it is not
    /// flaky (always passed, always failed, or never ran).
    pub fn of(id: String, outcomes: Vec<RunOutcome>) -> Option<FlakyTest> {
        let ran: Vec<bool> = outcomes
            .iter()
            .filter(|o| **o != RunOutcome::Skipped)
            .map(|o| o.failed())
            .collect();
        let reruns = outcomes.iter().filter(|o| **o == RunOutcome::Rerun).count();
        let changes = ran.windows(2).filter(|w| w[0] != w[1]).count();
        (reruns > 0 || changes > 0).then(|| FlakyTest {
            id,
            runs: ran.len(),
            failed: ran.iter().filter(|f| **f).count(),
            outcomes,
            reruns,
            changes,
        })
    }

    /// Failed runs over runs, from 0 to 1.
    pub fn rate(&self) -> f64 {
        if self.runs == 0 {
            0.0
        } else {
            self.failed as f64 / self.runs as f64
        }
    }

    /// The outcomes as the history writes them (`ppfp`).
    pub fn letters(&self) -> String {
        RunOutcome::letters(&self.outcomes)
    }

    /// The strongest evidence, in words.
    pub fn evidence(&self) -> &'static str {
        if self.reruns > 0 {
            "failed and passed in the same run"
        } else {
            "outcome changed between runs"
        }
    }
}

/// The flaky tests of `history` whose failure rate is at least `min_rate`,
/// worst first (see the module docs), named by `runner`; tests of other
/// runners' reports are left out, as planning leaves them out.
pub fn flaky_tests(history: &History, runner: &dyn Naming, min_rate: f64) -> Vec<FlakyTest> {
    let mut found: Vec<FlakyTest> = outcomes_by_id(history, runner)
        .into_iter()
        .filter_map(|(id, outcomes)| FlakyTest::of(id, outcomes))
        .filter(|t| t.rate() >= min_rate)
        .collect();
    found.sort_by(|a, b| {
        b.rate()
            .total_cmp(&a.rate())
            .then(b.reruns.cmp(&a.reruns))
            .then(b.changes.cmp(&a.changes))
            .then_with(|| a.id.cmp(&b.id))
    });
    found
}

/// A history test as a recorded case, for naming it.
fn case_of(key: &Key) -> TestCase {
    TestCase {
        name: key.name.as_str().into(),
        classname: key.classname.clone(),
        suite: key.suite.clone(),
        file: key.file.clone(),
        duration: None,
        outcome: Outcome::Passed,
        dialect: key.dialect,
        variant: key.variant.clone(),
    }
}

/// Every test of `history` the runner accepts, by the runner's id (the
/// plain id where the runner cannot name it alone, e.g. a go subtest),
/// with its outcomes; tests the runner names alike (Playwright projects
/// are variants of one id for some runners) have theirs joined.
pub fn outcomes_by_id(history: &History, runner: &dyn Naming) -> BTreeMap<String, Vec<RunOutcome>> {
    outcomes_of(history, runner, |_| true)
}

/// [`outcomes_by_id`] of the tests whose id `wanted` accepts.
fn outcomes_of(
    history: &History,
    runner: &dyn Naming,
    wanted: impl Fn(&str) -> bool,
) -> BTreeMap<String, Vec<RunOutcome>> {
    let mut by_id: BTreeMap<String, Vec<RunOutcome>> = BTreeMap::new();
    for (key, record) in &history.tests {
        if !runner.accepts(key.dialect) || record.outcomes.is_empty() {
            continue;
        }
        let case = case_of(key);
        let Some(id) = runner.identify(&case).or_else(|| Plain.identify(&case)) else {
            continue;
        };
        if !wanted(&id.native) {
            continue;
        }
        by_id
            .entry(id.native.to_string())
            .or_default()
            .extend(&record.outcomes);
    }
    by_id
}

/// The tests (by the runner's id) that passed in every run the history
/// recorded, skips aside, and ran in at least one.
pub fn always_passed(history: &History, runner: &dyn Naming) -> BTreeSet<String> {
    passed_throughout(outcomes_by_id(history, runner))
}

/// The tests of `outcomes` that passed in every run, skips aside, and ran
/// in at least one.
fn passed_throughout(outcomes: BTreeMap<String, Vec<RunOutcome>>) -> BTreeSet<String> {
    outcomes
        .into_iter()
        .filter(|(_, outcomes)| {
            outcomes.contains(&RunOutcome::Passed)
                && outcomes
                    .iter()
                    .all(|o| matches!(o, RunOutcome::Passed | RunOutcome::Skipped))
        })
        .map(|(id, _)| id)
        .collect()
}

/// One result on a shard, in the order of the shard's reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardResult {
    /// The runner's id for the test, shared with the id read.
    pub id: Text,
    /// How it ended.
    pub outcome: Outcome,
}

/// A test that failed on its shard but always passed before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspect {
    /// The test.
    pub id: String,
    /// The shard it failed on.
    pub shard: usize,
    /// The tests that ran before it on that shard, in report order (the
    /// likely culprits; the nearest last).
    pub before: Vec<String>,
}

/// [`isolation_suspects`] of `shards` against the tests of `history` that
/// always passed ([`always_passed`]). The history's tests are named and
/// their outcomes kept only when some result failed, and then only those
/// of the tests that failed: a green run of a million tests asks nothing.
pub fn suspects_against(
    history: &History,
    runner: &dyn Naming,
    shards: &[Vec<ShardResult>],
) -> Vec<Suspect> {
    let failed: BTreeSet<&str> = shards
        .iter()
        .flatten()
        .filter(|result| failing(result.outcome))
        .map(|result| result.id.as_str())
        .collect();
    if failed.is_empty() {
        return Vec::new();
    }
    let always = passed_throughout(outcomes_of(history, runner, |id| failed.contains(id)));
    isolation_suspects(shards, &always)
}

/// Whether a result counts as failing its shard: a failure or error, or a
/// report's own flaky mark (passed on a rerun).
fn failing(outcome: Outcome) -> bool {
    outcome.failed() || outcome == Outcome::PassedOnRerun
}

/// The isolation suspects among each shard's results (`shards[i]` in the
/// order of shard `i`'s reports): a test with a failing result on its
/// shard (a failure or error, or a report's own flaky mark) that
/// `always_passed` holds. Sorted by shard, then by where the test first
/// ran on it.
pub fn isolation_suspects(
    shards: &[Vec<ShardResult>],
    always_passed: &BTreeSet<String>,
) -> Vec<Suspect> {
    let mut suspects = Vec::new();
    for (shard, results) in shards.iter().enumerate() {
        let failed: BTreeSet<&str> = results
            .iter()
            .filter(|result| failing(result.outcome))
            .map(|result| result.id.as_str())
            .filter(|id| always_passed.contains(*id))
            .collect();
        if failed.is_empty() {
            continue;
        }
        // Each test once, where it first ran.
        let mut order: Vec<&str> = Vec::new();
        let mut first: HashMap<&str, usize> = HashMap::with_capacity(results.len());
        for result in results {
            first.entry(&result.id).or_insert_with(|| {
                order.push(&result.id);
                order.len() - 1
            });
        }
        for (position, id) in order.iter().enumerate() {
            if failed.contains(id) {
                suspects.push(Suspect {
                    id: id.to_string(),
                    shard,
                    before: order[..position].iter().map(|t| t.to_string()).collect(),
                });
            }
        }
    }
    suspects
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Dialect;
    use crate::emit::RunnerKind;

    fn letters(text: &str) -> Vec<RunOutcome> {
        text.chars()
            .map(|c| RunOutcome::from_letter(c).unwrap())
            .collect()
    }

    #[test]
    fn flaky_means_a_rerun_or_a_change_not_a_steady_state() {
        let of = |text: &str| FlakyTest::of("t".into(), letters(text));
        assert_eq!(of("ppppp"), None);
        assert_eq!(of("fffff"), None);
        assert_eq!(of("sssss"), None);
        assert_eq!(of(""), None);
        // Skips neither change nor count.
        assert_eq!(of("psp"), None);
        let flip = of("pfsp").unwrap();
        assert_eq!(
            (flip.runs, flip.failed, flip.changes, flip.reruns),
            (3, 1, 2, 0)
        );
        assert!((flip.rate() - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(flip.evidence(), "outcome changed between runs");
        let rerun = of("ppr").unwrap();
        assert_eq!((rerun.failed, rerun.changes, rerun.reruns), (1, 1, 1));
        assert_eq!(rerun.evidence(), "failed and passed in the same run");
        // Errors fail like failures: no change from f to e.
        assert_eq!(of("fe"), None);
        assert_eq!(of("r").unwrap().rate(), 1.0);
    }

    fn history(tests: &[(&str, &str)]) -> History {
        let mut history = History::new(5, 10);
        for (name, outcomes) in tests {
            let key = Key {
                dialect: Dialect::Pytest,
                file: Some("tests/test_a.py".into()),
                classname: Some("tests.test_a".into()),
                suite: None,
                name: name.to_string(),
                variant: None,
            };
            let record = crate::history::Record {
                last_seen: 1,
                samples: vec![1],
                outcomes: letters(outcomes),
                waits: Vec::new(),
            };
            history.tests.insert(key, record);
        }
        history
    }

    #[test]
    fn flaky_tests_are_named_by_the_runner_worst_first() {
        let h = history(&[
            ("test_steady", "ppp"),
            ("test_once", "pfp"),
            ("test_often", "fpf"),
            ("test_rerun", "prp"),
            ("test_old", ""),
        ]);
        let runner = RunnerKind::Pytest.runner();
        let found = flaky_tests(&h, runner.as_ref(), 0.0);
        let ids: Vec<&str> = found.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "tests/test_a.py::test_often",
                "tests/test_a.py::test_rerun",
                "tests/test_a.py::test_once",
            ]
        );
        let found = flaky_tests(&h, runner.as_ref(), 0.5);
        assert_eq!(found.len(), 1);
        // Another runner's tests are not this runner's.
        assert!(flaky_tests(&h, RunnerKind::Go.runner().as_ref(), 0.0).is_empty());
        let always = always_passed(&h, runner.as_ref());
        assert_eq!(
            always.into_iter().collect::<Vec<_>>(),
            ["tests/test_a.py::test_steady"]
        );
    }

    #[test]
    fn suspects_failed_on_their_shard_after_always_passing() {
        let result = |id: &str, outcome| ShardResult {
            id: id.into(),
            outcome,
        };
        let shards = vec![
            vec![
                result("a", Outcome::Passed),
                result("b", Outcome::Passed),
                result("victim", Outcome::Failed),
                result("c", Outcome::Passed),
                // A rerun of the victim that passed: still a suspect.
                result("victim", Outcome::Passed),
                // Failed, but failed before too: not a suspect.
                result("known", Outcome::Errored),
            ],
            vec![result("d", Outcome::Passed), result("e", Outcome::Errored)],
        ];
        let always: BTreeSet<String> = ["a", "b", "c", "victim", "d", "e"].map(String::from).into();
        let found = isolation_suspects(&shards, &always);
        assert_eq!(
            found,
            [
                Suspect {
                    id: "victim".into(),
                    shard: 0,
                    before: vec!["a".into(), "b".into()],
                },
                Suspect {
                    id: "e".into(),
                    shard: 1,
                    before: vec!["d".into()],
                },
            ]
        );
    }
}
