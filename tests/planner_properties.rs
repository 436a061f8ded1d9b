//! Property tests for the planners and the cost model:
//! - `lpt`, `best` and `ilp` place every item exactly once, leave no shard
//!   empty while there are enough items, and give the same plan every time;
//! - `best` is never worse than `lpt`; `ilp` never worse than `best`;
//! - no plan, not even the exhaustive optimum, beats the lower bound;
//! - without setup costs `lpt` is the classic rule;
//! - sticky plans keep within `--max-churn`;
//! - where groups run their tests one after another (chains), `best`'s
//!   relief never predicts slower than the shares alone, and `ilp` never
//!   loses to `best`;
//! - through the whole pipeline, with group setups measured from suite
//!   times and `--split-large`, every test runs exactly once and permuting
//!   the reports gives byte-identical `--json`.

mod common;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fs;
use std::path::Path;

use common::{plan_in_process, shuffle};
use proptest::prelude::*;
use serde_json::Value;
use shardplan::duration::{Concurrency, Micros};
use shardplan::plan::best::Best;
use shardplan::plan::ilp::{Budget, Ilp};
use shardplan::plan::lpt::Lpt;
use shardplan::plan::sticky::{self, Previous, Sticky};
use shardplan::plan::{Chains, Group, Item, Plan, Planner, Problem};

/// A problem from `(duration, group)` pairs and group setups.
fn problem(items: &[(Micros, usize)], setups: &[Micros], shards: usize) -> Problem {
    let items = items
        .iter()
        .enumerate()
        .map(|(i, &(duration, group))| {
            Item::test(format!("t{i:03}"), duration, group % setups.len())
        })
        .collect();
    let groups = setups
        .iter()
        .enumerate()
        .map(|(g, &setup)| Group {
            key: format!("g{g:02}"),
            setup,
        })
        .collect();
    Problem::new(items, groups, shards)
}

/// Durations with zeros and ties, groups, setups (some zero), shards.
fn problem_strategy(max_items: usize, max_shards: usize) -> impl Strategy<Value = Problem> {
    (
        prop::collection::vec(
            (
                prop_oneof![Just(0u64), 1u64..20, 1_000u64..10_000_000],
                0usize..12,
            ),
            1..max_items,
        ),
        prop::collection::vec(prop_oneof![Just(0u64), 1_000u64..3_000_000], 1..12),
        1usize..max_shards,
    )
        .prop_map(|(items, setups, shards)| problem(&items, &setups, shards))
}

fn build(problem: &Problem, planner: &dyn Planner) -> Plan {
    Plan::build(problem.clone(), planner).expect("the planner accepts the problem")
}

/// Plan::build already asserts every item is on exactly one shard; this
/// checks the shard lists agree and no shard is empty without need.
fn assert_complete(plan: &Plan) {
    let mut seen = vec![0; plan.problem.items.len()];
    for shard in &plan.shards {
        for &item in &shard.items {
            seen[item] += 1;
        }
        if plan.problem.items.len() >= plan.shards.len() {
            assert!(!shard.items.is_empty(), "an empty shard: {plan:?}");
        }
    }
    assert!(seen.iter().all(|&n| n == 1));
}

/// The classic LPT: items by (duration desc, key asc), each to the least
/// loaded shard, lowest index on ties, every item weighing at least 1µs.
fn classic_lpt(problem: &Problem) -> Vec<usize> {
    let mut order: Vec<usize> = (0..problem.items.len()).collect();
    order.sort_by_key(|&i| (Reverse(problem.items[i].duration.max(1)), i));
    let mut heap: BinaryHeap<Reverse<(Micros, usize)>> =
        (0..problem.shards).map(|s| Reverse((0, s))).collect();
    let mut assignment = vec![0; problem.items.len()];
    for i in order {
        let Reverse((load, shard)) = heap.pop().unwrap();
        assignment[i] = shard;
        heap.push(Reverse((load + problem.items[i].duration.max(1), shard)));
    }
    assignment
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn best_keeps_exactly_once_is_repeatable_and_never_worse_than_lpt(
        problem in problem_strategy(80, 20),
    ) {
        let lpt = build(&problem, &Lpt);
        let best = build(&problem, &Best);
        assert_complete(&lpt);
        assert_complete(&best);
        prop_assert!(best.makespan() <= lpt.makespan(), "best {} > lpt {}", best.makespan(), lpt.makespan());
        prop_assert!(best.makespan() >= problem.lower_bound().value);
        prop_assert_eq!(&build(&problem, &Best).shards, &best.shards);
    }

    #[test]
    fn without_setups_lpt_is_the_classic_rule(mut problem in problem_strategy(80, 20)) {
        for group in &mut problem.groups {
            group.setup = 0;
        }
        let lpt = build(&problem, &Lpt);
        prop_assert_eq!(lpt.assignment(), classic_lpt(&problem));
    }

    #[test]
    fn sticky_plans_keep_within_the_churn_cap(
        problem in problem_strategy(60, 10),
        previous in prop::collection::vec(prop::option::weighted(0.8, 0usize..12), 60),
        max_churn in 0.0f64..=1.0,
    ) {
        // The previous plan: some items on some shards (maybe gone ones).
        let assignment: BTreeMap<String, usize> = problem
            .keys
            .iter()
            .zip(&previous)
            .filter_map(|(key, p)| p.map(|p| (key.to_string(), p)))
            .collect();
        let previous = Previous { shards: 12, assignment };
        let before = previous.shards_of(&problem);
        let cap = sticky::max_moved(&before, max_churn);
        // Shards the previous plan leaves empty must be filled, which may
        // take items beyond the cap.
        let empty = (0..problem.shards)
            .filter(|&s| !before.contains(&Some(s)))
            .count();
        for improve in [false, true] {
            let planner = Sticky { previous: &previous, max_churn, improve };
            let plan = build(&problem, &planner);
            assert_complete(&plan);
            let after = plan.assignment();
            let moved = before
                .iter()
                .zip(&after)
                .filter(|(b, a)| b.is_some_and(|b| b != **a))
                .count();
            prop_assert!(moved <= cap + empty, "moved {} > cap {} + {} empty", moved, cap, empty);
            if !improve {
                prop_assert!(moved <= empty);
            }
            prop_assert_eq!(build(&problem, &planner).assignment(), after);
        }
    }
}

proptest! {
    // The ILP explores up to 2,000 nodes per case: few, tiny cases.
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn ilp_keeps_exactly_once_and_never_loses_to_best(problem in problem_strategy(9, 4)) {
        let best = build(&problem, &Best);
        let ilp = build(&problem, &Ilp { budget: Budget::default() });
        assert_complete(&ilp);
        prop_assert!(ilp.makespan() <= best.makespan());
        prop_assert_eq!(build(&problem, &Ilp { budget: Budget::default() }).shards, ilp.shards);
    }
}

/// `problem` run `concurrency` thousandths at a time, each group's tests
/// one after another; `split` lets `best` relieve its chains.
fn chained(mut problem: Problem, concurrency: u64, split: bool) -> Problem {
    problem.chains = Some(Chains {
        concurrency: Concurrency(concurrency),
        by_group: true,
        split,
    });
    problem
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn relieved_chains_keep_exactly_once_and_never_predict_slower(
        problem in problem_strategy(60, 10),
        concurrency in 1_500u64..4_000,
    ) {
        let relieved = chained(problem.clone(), concurrency, true);
        let plan = build(&relieved, &Best);
        assert_complete(&plan);
        prop_assert_eq!(&build(&relieved, &Best).shards, &plan.shards);
        // The same starts and search, without the relief.
        let shares_only = build(&chained(problem, concurrency, false), &Best);
        prop_assert!(
            plan.makespan() <= shares_only.makespan(),
            "relieved {} > shares only {}", plan.makespan(), shares_only.makespan()
        );
        prop_assert!(plan.makespan() >= relieved.lower_bound().value);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn with_chains_ilp_never_loses_to_best(
        problem in problem_strategy(9, 4),
        concurrency in 1_500u64..4_000,
    ) {
        let problem = chained(problem, concurrency, true);
        let best = build(&problem, &Best);
        let ilp = build(&problem, &Ilp { budget: Budget::default() });
        assert_complete(&ilp);
        prop_assert!(ilp.makespan() <= best.makespan(), "ilp {} > best {}", ilp.makespan(), best.makespan());
    }
}

/// The optimal makespan, by trying every assignment up to relabelling the
/// shards (item `i` goes to a shard already used or to the next new one).
fn optimum(problem: &Problem) -> Micros {
    fn search(problem: &Problem, assignment: &mut Vec<usize>, used: usize, best: &mut Micros) {
        if assignment.len() == problem.items.len() {
            // Loads as Plan predicts them: durations plus each group's
            // setup once per shard that runs it.
            let mut loads = vec![problem.shard_overhead; problem.shards];
            let mut paid = BTreeSet::new();
            for (item, &shard) in problem.items.iter().zip(assignment.iter()) {
                loads[shard] += item.duration;
                if paid.insert((item.group, shard)) {
                    loads[shard] += problem.groups[item.group_index()].setup;
                }
            }
            *best = (*best).min(loads.into_iter().max().unwrap_or(0));
            return;
        }
        for shard in 0..(used + 1).min(problem.shards) {
            assignment.push(shard);
            search(problem, assignment, used.max(shard + 1), best);
            assignment.pop();
        }
    }
    let mut best = Micros::MAX;
    search(problem, &mut Vec::new(), 0, &mut best);
    best
}

/// Few groups with setups, several items each, so that groups are often
/// bigger than a shard's share and must be split.
fn big_groups_strategy() -> impl Strategy<Value = Problem> {
    (
        prop::collection::vec(
            (
                prop_oneof![1 => Just(0u64), 1 => 1u64..20, 6 => 1_000_000u64..4_000_000],
                0usize..3,
            ),
            1..10,
        ),
        prop::collection::vec(prop_oneof![Just(0u64), 1u64..3_000_000], 1..4),
        1usize..5,
    )
        .prop_map(|(items, setups, shards)| problem(&items, &setups, shards))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The lower bound is a bound: no assignment beats it, and every
    /// planner's plan is at least the optimum.
    #[test]
    fn no_plan_beats_the_lower_bound(problem in big_groups_strategy()) {
        let optimum = optimum(&problem);
        let bound = problem.lower_bound();
        prop_assert!(bound.value <= optimum, "bound {bound:?} above the optimum {optimum}");
        let best = build(&problem, &Best);
        prop_assert!(best.makespan() >= optimum);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn ilp_plans_are_never_below_the_lower_bound(problem in big_groups_strategy()) {
        let ilp = build(&problem, &Ilp { budget: Budget::default() });
        prop_assert!(ilp.makespan() >= problem.lower_bound().value);
    }
}

// ---------------------------------------------------------------------------
// Through the pipeline

/// One test of a generated suite; its file has a setup cost.
#[derive(Debug, Clone)]
struct GenTest {
    file: usize,
    class: usize,
    name: usize,
    micros: u64,
    reports: Vec<usize>,
}

impl GenTest {
    fn classname(&self) -> String {
        format!("pkg{}.C{}", self.file, self.class)
    }
    fn path(&self) -> String {
        format!("src/f{}.py", self.file)
    }
    fn native(&self) -> String {
        format!("{}::t{}", self.classname(), self.name)
    }
}

fn suite_strategy() -> impl Strategy<Value = (Vec<GenTest>, Vec<u64>, usize)> {
    (1usize..4).prop_flat_map(|report_count| {
        let test = (
            0usize..6,
            0usize..2,
            0usize..50,
            0u64..4_000_000,
            prop::collection::vec(0..report_count, 1..3),
        )
            .prop_map(|(file, class, name, micros, reports)| GenTest {
                file,
                class,
                name,
                micros,
                reports,
            });
        (
            prop::collection::vec(test, 1..40),
            prop::collection::vec(0u64..2_000_000, 6),
            Just(report_count),
        )
    })
}

fn seconds(micros: u64) -> String {
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

/// One suite per file and report, whose time exceeds its cases by the
/// file's setup; `seed` permutes suites, cases and file names.
fn write_reports(
    dir: &Path,
    tests: &[GenTest],
    setups: &[u64],
    reports: usize,
    seed: Option<u64>,
) -> Vec<String> {
    let mut paths = Vec::new();
    for report in 0..reports {
        let mut suites = Vec::new();
        for (file, setup) in setups.iter().enumerate() {
            let mut cases: Vec<&GenTest> = tests
                .iter()
                .filter(|t| t.file == file && t.reports.contains(&report))
                .collect();
            if cases.is_empty() {
                continue;
            }
            if let Some(seed) = seed {
                shuffle(&mut cases, seed ^ (report * 7 + file) as u64);
            }
            let total: u64 = cases.iter().map(|t| t.micros).sum::<u64>() + setup;
            let body: String = cases
                .iter()
                .map(|t| {
                    format!(
                        "<testcase classname=\"{}\" name=\"t{}\" file=\"{}\" time=\"{}\"/>",
                        t.classname(),
                        t.name,
                        t.path(),
                        seconds(t.micros)
                    )
                })
                .collect();
            suites.push(format!(
                "<testsuite name=\"f{file}\" time=\"{}\">{body}</testsuite>",
                seconds(total)
            ));
        }
        if let Some(seed) = seed {
            shuffle(&mut suites, seed.rotate_left(report as u32));
        }
        let name = match seed {
            Some(seed) => format!(
                "r{}-{report}.xml",
                seed.wrapping_mul(report as u64 + 1) % 1000
            ),
            None => format!("r-{report}.xml"),
        };
        let path = dir.join(name);
        fs::write(
            &path,
            format!("<testsuites>{}</testsuites>", suites.join("")),
        )
        .unwrap();
        paths.push(path.to_string_lossy().into_owned());
    }
    if seed.is_some() {
        paths.reverse();
    }
    paths
}

/// Every generated test is covered exactly once by the plan's keys, each
/// key selecting what its granularity says (a split file's tests are test
/// keys).
fn assert_every_test_once(json: &str, tests: &[GenTest]) {
    let plan: Value = serde_json::from_str(json).unwrap();
    let mut covered: BTreeMap<String, usize> = BTreeMap::new();
    let mut keys = BTreeSet::new();
    for shard in plan["shards"].as_array().unwrap() {
        for key in shard["tests"].as_array().unwrap() {
            let key = key.as_str().unwrap();
            assert!(keys.insert(key.to_string()), "{key} is on two shards");
            for test in tests {
                if [test.native(), test.classname(), test.path()]
                    .iter()
                    .any(|k| k == key)
                {
                    *covered.entry(test.native()).or_default() += 1;
                }
            }
        }
    }
    for test in tests {
        assert_eq!(
            covered.get(&test.native()),
            Some(&1),
            "{} in {json}",
            test.native()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn plans_cover_every_test_once_and_ignore_input_order(
        (tests, setups, reports) in suite_strategy(),
        shards in 1usize..9,
        by in prop::sample::select(vec!["test", "class", "file"]),
        algorithm in prop::sample::select(vec!["best", "ilp"]),
        split_large in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mut seen = BTreeSet::new();
        let tests: Vec<GenTest> = tests.into_iter().filter(|t| seen.insert(t.native())).collect();
        // The exact model only for file-level plans: at most six items.
        let (algorithm, split_large) = match (algorithm, by) {
            ("ilp", "file") => ("ilp", false),
            ("ilp", _) => ("best", split_large),
            (algorithm, _) => (algorithm, split_large),
        };
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        fs::create_dir_all(&a).unwrap();
        fs::create_dir_all(&b).unwrap();
        let args = |paths: Vec<String>| -> Vec<String> {
            let mut args: Vec<String> = [
                "--shards", &shards.to_string(), "--json", "--quiet", "--by", by,
                "--algorithm", algorithm, "--shard-overhead", "30s",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            if split_large {
                args.push("--split-large".into());
            }
            for path in paths {
                args.push("--timings".into());
                args.push(path);
            }
            args
        };
        let ordered_paths = write_reports(&a, &tests, &setups, reports, None);
        let ordered = plan_in_process(&args(ordered_paths.clone()), "");
        let permuted = plan_in_process(&args(write_reports(&b, &tests, &setups, reports, Some(seed))), "");
        prop_assert_eq!(&ordered, &permuted);
        assert_every_test_once(&ordered, &tests);

        // Planning again from this plan changes nothing.
        if algorithm == "best" {
            let previous = dir.path().join("plan.json");
            fs::write(&previous, &ordered).unwrap();
            let mut again = args(ordered_paths);
            again.extend(["--previous".to_string(), previous.to_string_lossy().into_owned()]);
            let sticky: Value = serde_json::from_str(&plan_in_process(&again, "")).unwrap();
            let first: Value = serde_json::from_str(&ordered).unwrap();
            prop_assert_eq!(&sticky["churn"]["moved"], &Value::from(0));
            prop_assert_eq!(&sticky["shards"], &first["shards"]);
        }
    }
}
