//! Rerunning only what failed (`shardplan select --only-failed`): the tests
//! of a frozen plan's shard that failed in a run's reports, as the runner's
//! filter for exactly those tests.
//!
//! * A test **failed** when the reports hold a failure or error for it and
//!   no pass (a test that passed on a rerun within the job already passed).
//! * A failed test belongs to the shard that ran it under the plan: its
//!   planned shard; for a test the plan does not know (added since), the
//!   shard that selects its class or file whole, else the catch-all shard,
//!   exactly where `select` sent it. A failed test no shard selects (the
//!   plan has no catch-all) still ran on the job whose reports show it, so
//!   that job reruns it.
//! * The filter selects those tests one by one, never the catch-all's
//!   "everything but": a runner that names single tests gets their ids even
//!   when a whole file failed; a runner that selects files only (jest,
//!   vitest, mocha, rspec) gets the files holding them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::case::TestCase;
use crate::emit::{Granularity, Member, Rendered, Runner, TestId};
use crate::error::Result;
use crate::frozen::FrozenPlan;
use crate::shard::{self, RenderOptions};

/// The failed tests of a run, sorted out by shard.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Failed {
    /// The tests to rerun, sorted by id.
    pub tests: Vec<TestId>,
    /// Failed tests left to other shards' jobs: id and shard.
    pub elsewhere: Vec<(String, usize)>,
    /// Failed tests no shard of the plan selects, rerun here since these
    /// reports show them.
    pub unplaced: Vec<String>,
}

/// The tests that failed in `cases` (see the module docs) and belong to
/// `shard`, or to any shard when `shard` is `None`, named by `runner`.
pub fn failed(
    plan: &FrozenPlan,
    runner: &dyn Runner,
    cases: &[TestCase],
    shard: Option<usize>,
) -> Failed {
    // Per test: its id, whether it failed, whether it passed.
    let mut results: BTreeMap<String, (TestId, bool, bool)> = BTreeMap::new();
    for case in cases {
        if !runner.accepts(case.dialect) {
            continue;
        }
        let Some(id) = runner.identify(case) else {
            continue;
        };
        let slot = results
            .entry(id.native.to_string())
            .or_insert_with(|| (id, false, false));
        slot.1 |= case.outcome.failed();
        slot.2 |= case.outcome.passed();
    }
    let owner = Owner::new(plan, runner);
    let mut found = Failed::default();
    for (native, (id, failed, passed)) in results {
        // A pass anywhere (a rerun in the job) wins over a failure.
        if !failed || passed {
            continue;
        }
        match owner.of(&id) {
            Some((planned, on)) => match shard {
                Some(this) if *on != this => found.elsewhere.push((native, *on)),
                _ => found.tests.push(planned.clone()),
            },
            None => match owner.unplanned_shard(&id) {
                Some(s) if shard.is_some_and(|this| this != s) => {
                    found.elsewhere.push((native, s));
                }
                Some(_) => found.tests.push(id),
                None => {
                    found.unplaced.push(native);
                    found.tests.push(id);
                }
            },
        }
    }
    // Two recorded ids may name one planned test (an alternative key).
    found.tests.sort_by(|a, b| a.native.cmp(&b.native));
    found.tests.dedup_by(|a, b| a.native == b.native);
    found
}

/// Which shard runs a test under the plan.
struct Owner<'a> {
    plan: &'a FrozenPlan,
    /// Planned tests by native id: the plan's id and shard.
    planned: HashMap<String, (TestId, usize)>,
    /// Alternative keys of planned tests, when unique.
    alternative: HashMap<String, Option<String>>,
    /// Items at the plan's granularity and their shard.
    items: HashMap<String, usize>,
    /// Groups (files) wholly on one shard.
    whole: HashMap<String, Option<usize>>,
    runner: &'a dyn Runner,
}

impl<'a> Owner<'a> {
    fn new(plan: &'a FrozenPlan, runner: &'a dyn Runner) -> Owner<'a> {
        let mut owner = Owner {
            plan,
            planned: HashMap::new(),
            alternative: HashMap::new(),
            items: HashMap::new(),
            whole: HashMap::new(),
            runner,
        };
        for (shard, members) in plan.members().iter().enumerate() {
            for member in members {
                let test = member.test;
                owner
                    .planned
                    .insert(test.native.to_string(), (test.to_id(), shard));
                owner.items.insert(member.key().to_string(), shard);
                owner
                    .whole
                    .entry(test.file.to_string())
                    .and_modify(|s| {
                        if *s != Some(shard) {
                            *s = None;
                        }
                    })
                    .or_insert(Some(shard));
                for key in runner.match_keys(&test.to_id()) {
                    owner
                        .alternative
                        .entry(key)
                        .and_modify(|n| *n = None)
                        .or_insert_with(|| Some(test.native.to_string()));
                }
            }
        }
        owner
    }

    /// The planned test `id` is (by id, or by a unique alternative key),
    /// with its shard.
    fn of(&self, id: &TestId) -> Option<&(TestId, usize)> {
        if let Some(found) = self.planned.get(id.native.as_str()) {
            return Some(found);
        }
        let found: BTreeSet<&str> = self
            .runner
            .match_keys(id)
            .iter()
            .filter_map(|key| self.alternative.get(key).cloned().flatten())
            .filter_map(|native| self.planned.get_key_value(&native).map(|(k, _)| k.as_str()))
            .collect();
        match found.len() {
            1 => self.planned.get(*found.iter().next().expect("one")),
            _ => None,
        }
    }

    /// Where a test the plan does not list ran: with its planned class or
    /// file, in a group one shard selects whole, else on the catch-all.
    fn unplanned_shard(&self, id: &TestId) -> Option<usize> {
        let by = self.plan.doc.by;
        let in_item = (by != Granularity::Test)
            .then(|| self.items.get(id.key(by)).copied())
            .flatten();
        in_item
            .or_else(|| self.whole.get(id.file.as_str()).copied().flatten())
            .or(self.plan.doc.catch_all)
    }
}

/// Renders exactly `tests` as the runner's filter for shard `index` of the
/// plan (what `{index}` and the list file's name say), without a
/// catch-all. A group with a failed test is kept from being selected whole
/// (which would run its other tests too) unless the runner names tests by
/// their group alone.
pub fn render(
    plan: &FrozenPlan,
    runner: &dyn Runner,
    tests: &[TestId],
    index: usize,
    options: &RenderOptions<'_>,
) -> Result<Rendered> {
    // Stand-ins on another shard for every group the runner can split, so
    // that the whole-group rule never selects a group for its failures.
    let splittable: BTreeSet<&str> = tests
        .iter()
        .filter(|t| t.native != t.file)
        .map(|t| t.file.as_str())
        .collect();
    let stand_ins: Vec<TestId> = splittable
        .iter()
        .map(|file| TestId {
            native: format!("\u{1}shardplan rerun stand-in\u{1}{file}").into(),
            class: format!("\u{1}shardplan rerun stand-in\u{1}{file}").into(),
            file: (*file).into(),
        })
        .collect();
    let count = plan.count().max(2);
    let other = if index == 0 { 1 } else { 0 };
    let mut shards: Vec<Vec<Member<'_>>> = vec![Vec::new(); count];
    shards[index] = tests
        .iter()
        .map(|test| Member {
            test: test.as_ref(),
            by: Granularity::Test,
        })
        .collect();
    shards[other] = stand_ins
        .iter()
        .map(|test| Member {
            test: test.as_ref(),
            by: Granularity::Test,
        })
        .collect();
    shard::render_members(
        &shards,
        None,
        &format!("{}-rerun", plan.doc.fingerprint),
        index,
        options,
        runner,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Dialect, Outcome};
    use crate::emit::RunnerKind;
    use crate::frozen::Document;
    use std::path::Path;

    /// A pytest plan: shard 0 runs a.py::x and a.py::y, shard 1 (the
    /// catch-all) b.py::z.
    fn plan() -> FrozenPlan {
        let member = |id: &str, file: &str| {
            format!("{{\"id\":\"{id}\",\"class\":\"{file}\",\"file\":\"{file}\"}}")
        };
        let text = format!(
            "{{\"version\":1,\"fingerprint\":\"f\",\"total_seconds\":1.0,\"lower_bound_seconds\":1.0,\"makespan_seconds\":1.0,\"ratio_to_lower_bound\":1.0,\"gap\":0.0,\"lower_bound_reason\":\"total/N\",\"shard_overhead_seconds\":0.0,\"setup_seconds\":0.0,\"runner\":\"pytest\",\"by\":\"test\",\"algorithm\":\"best\",\"tests_planned\":3,\"tests_with_timings\":3,\"catch_all\":1,\"shards\":[\
             {{\"index\":0,\"predicted_seconds\":1.0,\"setup_seconds\":0.0,\"test_count\":2,\"tests\":[\"a.py::x\",\"a.py::y\"],\"members\":[{},{}]}},\
             {{\"index\":1,\"predicted_seconds\":1.0,\"setup_seconds\":0.0,\"test_count\":1,\"tests\":[\"b.py::z\"],\"members\":[{}]}}]}}",
            member("a.py::x", "a.py"),
            member("a.py::y", "a.py"),
            member("b.py::z", "b.py"),
        );
        let doc: Document = serde_json::from_str(&text).unwrap();
        FrozenPlan::from_document(doc, Path::new("plan.json")).unwrap()
    }

    fn case(file: &str, name: &str, outcome: Outcome) -> TestCase {
        TestCase {
            name: name.into(),
            classname: Some(file.trim_end_matches(".py").into()),
            suite: None,
            file: Some(file.into()),
            duration: Some(1),
            outcome,
            dialect: Dialect::Pytest,
            variant: None,
        }
    }

    #[test]
    fn only_this_shards_failures_are_rerun_exactly() {
        let plan = plan();
        let runner = RunnerKind::Pytest.runner();
        let cases = [
            case("a.py", "x", Outcome::Failed),
            case("a.py", "y", Outcome::Passed),
            case("b.py", "z", Outcome::Errored),
            // New since the plan: ran on the catch-all.
            case("c.py", "new", Outcome::Failed),
            // Failed, then passed on a rerun: nothing to rerun.
            case("b.py", "again", Outcome::Failed),
            case("b.py", "again", Outcome::Passed),
        ];
        let ids =
            |f: &Failed| -> Vec<String> { f.tests.iter().map(|t| t.native.to_string()).collect() };
        let zero = failed(&plan, runner.as_ref(), &cases, Some(0));
        assert_eq!(ids(&zero), ["a.py::x"]);
        assert_eq!(
            zero.elsewhere,
            [("b.py::z".to_string(), 1), ("c.py::new".to_string(), 1)]
        );
        let one = failed(&plan, runner.as_ref(), &cases, Some(1));
        assert_eq!(ids(&one), ["b.py::z", "c.py::new"]);
        let all = failed(&plan, runner.as_ref(), &cases, None);
        assert_eq!(ids(&all), ["a.py::x", "b.py::z", "c.py::new"]);

        // A single failed test of a file: its id, not the file.
        let rendered = render(
            &plan,
            runner.as_ref(),
            &zero.tests,
            0,
            &RenderOptions::default(),
        )
        .unwrap();
        assert_eq!(rendered.lines(), ["a.py::x"]);
        // Every test of b.py failed, and a new file's only test: still ids.
        let rendered = render(
            &plan,
            runner.as_ref(),
            &one.tests,
            1,
            &RenderOptions::default(),
        )
        .unwrap();
        assert_eq!(rendered.lines(), ["b.py::z", "c.py::new"]);
    }
}
