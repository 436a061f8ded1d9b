//! The learned cost model end to end (issue 11): a generated pytest suite
//! whose modules sleep at import, a cost JUnit does not show as any test's
//! time, run twice through plan → `select --record` → pytest → `merge`
//! with no tuning flags. Round 1 plans from the test list alone; its
//! shards teach the history the start-up and per-file costs; round 2's
//! shards must then be balanced (slowest / mean ≤ 1.15 is the goal; the
//! test allows 1.25 on a loaded machine) and predicted
//! (mean |predicted − actual| / actual ≤ 15%; 20% allowed), every test
//! run exactly once in both rounds.
//!
//! Needs real pytest: under `CI` its absence fails the test, elsewhere the
//! test is skipped with a note.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use common::{junit_tests, run, run_pytest_shard, shardplan_command, tool_available};

const SHARDS: usize = 3;
const MODULES: usize = 9;
const ENV: &[(&str, &str)] = &[("PYTHONDONTWRITEBYTECODE", "1")];

/// The suite: module `i` sleeps 200 + 30·i ms at import and holds
/// 2 + i % 4 tests of 20–50 ms. Returns the node ids, sorted.
fn write_suite(dir: &Path) -> Vec<String> {
    fs::create_dir_all(dir.join("tests")).unwrap();
    fs::write(dir.join("pytest.ini"), "[pytest]\n").unwrap();
    let mut ids = Vec::new();
    for module in 0..MODULES {
        let mut source = format!(
            "import time\n\ntime.sleep({:.3})\n",
            0.2 + 0.03 * module as f64
        );
        for test in 0..2 + module % 4 {
            let sleep = 0.02 + 0.01 * ((module + test) % 4) as f64;
            source += &format!("\n\ndef test_{test}():\n    time.sleep({sleep:.3})\n");
            ids.push(format!("tests/test_m{module}.py::test_{test}"));
        }
        fs::write(dir.join(format!("tests/test_m{module}.py")), source).unwrap();
    }
    ids.sort();
    ids
}

/// Runs shardplan in `dir`, panicking with its output unless it succeeds.
fn shardplan(dir: &Path, args: &[&str]) -> String {
    let output = shardplan_command()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("shardplan runs");
    assert!(
        output.status.success(),
        "shardplan {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// What one round measured.
struct Round {
    predicted: Vec<f64>,
    actual: Vec<f64>,
}

impl Round {
    fn max_over_mean(&self) -> f64 {
        let max = self.actual.iter().copied().fold(0.0, f64::max);
        max / (self.actual.iter().sum::<f64>() / self.actual.len() as f64)
    }

    fn mean_error(&self) -> f64 {
        self.predicted
            .iter()
            .zip(&self.actual)
            .map(|(p, a)| (p - a).abs() / a)
            .sum::<f64>()
            / self.actual.len() as f64
    }

    fn show(&self, name: &str) -> String {
        let shards: Vec<String> = self
            .predicted
            .iter()
            .zip(&self.actual)
            .enumerate()
            .map(|(i, (p, a))| format!("shard {i}: predicted {p:.2}s, actual {a:.2}s"))
            .collect();
        format!(
            "{name}: wall max/mean {:.3}, mean |error| {:.1}%; {}",
            self.max_over_mean(),
            self.mean_error() * 100.0,
            shards.join("; ")
        )
    }
}

/// One round: plan, then per shard `select --record` and pytest (timed
/// from just before `select` to pytest's exit), then `merge` of the shard
/// directories. Checks that every test ran exactly once.
fn round(dir: &Path, name: &str, ids: &[String]) -> Round {
    let plan = shardplan(
        dir,
        &[
            "plan",
            "--shards",
            &SHARDS.to_string(),
            "--tests-from",
            "tests.txt",
            "--runner",
            "pytest",
            "-o",
            &format!("{name}-plan.json"),
        ],
    );
    assert!(plan.is_empty());
    let doc: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join(format!("{name}-plan.json"))).unwrap())
            .unwrap();
    let predicted: Vec<f64> = doc["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["predicted_seconds"].as_f64().unwrap())
        .collect();
    let mut actual = Vec::new();
    let mut ran: BTreeMap<String, usize> = BTreeMap::new();
    // The first interpreter start of a round pays for cold caches, which
    // no CI job's shard shares with another: warm them once, untimed.
    run(dir, &["python3", "-c", "import pytest"], ENV);
    for index in 0..SHARDS {
        let record = format!("{name}/shard-{index}");
        let started = Instant::now();
        let selection = shardplan(
            dir,
            &[
                "select",
                "--plan",
                &format!("{name}-plan.json"),
                "--index",
                &index.to_string(),
                "--record",
                &record,
                "-q",
            ],
        );
        let args = dir.join(format!("{name}-args-{index}.txt"));
        fs::write(&args, selection).unwrap();
        let junit = dir.join(&record).join("junit.xml");
        run_pytest_shard(dir, &args, &junit, ENV);
        actual.push(started.elapsed().as_secs_f64());
        for test in junit_tests(&junit, false) {
            *ran.entry(test).or_default() += 1;
        }
    }
    assert_eq!(ran.len(), ids.len(), "{name}: every test ran: {ran:?}");
    assert!(
        ran.values().all(|&n| n == 1),
        "{name}: a test ran twice: {ran:?}"
    );
    shardplan(dir, &["merge", name]);
    Round { predicted, actual }
}

#[test]
fn two_rounds_learn_what_junit_does_not_show() {
    if !tool_available("pytest", &["python3", "-m", "pytest", "--version"]) {
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("shardplan-learned-")
        .tempdir()
        .unwrap();
    let dir = dir.path();
    let ids = write_suite(dir);
    fs::write(dir.join("tests.txt"), ids.join("\n") + "\n").unwrap();

    let first = round(dir, "round1", &ids);
    eprintln!("{}", first.show("round 1"));
    let history = fs::read_to_string(dir.join(".shardplan/timings.json")).unwrap();
    assert!(history.contains("\"costs\""), "{history}");

    let second = round(dir, "round2", &ids);
    eprintln!("{}", second.show("round 2"));
    let doc: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("round2-plan.json")).unwrap()).unwrap();
    assert_eq!(doc["cost_model"]["shard_startup"]["source"], "learned");
    assert_eq!(doc["cost_model"]["group_cost"]["source"], "learned");
    // Issue 11's goals are 1.15 and 15%, measured at 1.02-1.14 and
    // 6.7-9.8% over four runs here; the bounds asserted leave room for a
    // loaded machine (real processes, real sleeps), while round 1 without
    // learned costs is off by about 200%.
    assert!(
        second.max_over_mean() <= 1.25,
        "round 2 is unbalanced: {}",
        second.show("round 2")
    );
    assert!(
        second.mean_error() <= 0.20,
        "round 2 is mispredicted: {}",
        second.show("round 2")
    );
    // The explicit flags still override what was learned.
    let explicit = shardplan(
        dir,
        &[
            "plan",
            "--shards",
            "3",
            "--tests-from",
            "tests.txt",
            "--runner",
            "pytest",
            "--shard-overhead",
            "0",
            "--group-overhead",
            "1s",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&explicit).unwrap();
    assert_eq!(doc["cost_model"]["shard_startup"]["source"], "given");
    assert_eq!(doc["cost_model"]["group_cost"]["seconds"], 1.0);
    assert_eq!(doc["shard_overhead_seconds"], 0.0);
}

/// `run/shard-{index}` under `dir`, created, holding the record of shard
/// `index` of 3 as `select --record` writes it for `runner` at `started`
/// (`extra`: more fields, each after a comma); returns its path.
fn recorded_shard(dir: &Path, index: usize, runner: &str, started: &str, extra: &str) -> PathBuf {
    let shard = dir.join(format!("run/shard-{index}"));
    fs::create_dir_all(&shard).unwrap();
    fs::write(
        shard.join("shardplan-shard.json"),
        format!(
            r#"{{"format":"shardplan-shard","version":1,"fingerprint":"f","index":{index},"shards":3,"runner":"{runner}","started":"{started}"{extra}}}"#
        ),
    )
    .unwrap();
    shard
}

/// A pytest shard's report: `files` files of two 100 ms tests each, the
/// session starting `pre` after `start` and taking 300 ms per file beyond
/// its tests.
fn pytest_shard(dir: &Path, index: usize, files: &[usize], start: &str, pre: f64) {
    let shard = recorded_shard(dir, index, "pytest", start, "");
    let mut cases = String::new();
    for file in files {
        for test in 0..2 {
            cases += &format!(
                r#"<testcase classname="tests.test_f{file}" name="test_{test}" file="tests/test_f{file}.py" time="0.100"/>"#
            );
        }
    }
    let time = files.len() as f64 * (0.2 + 0.3);
    let stamp = start.replace("00.000000Z", &format!("{:09.6}+00:00", pre));
    fs::write(
        shard.join("junit.xml"),
        format!(
            r#"<?xml version="1.0"?><testsuites><testsuite name="pytest" errors="0" failures="0" skipped="0" tests="{}" time="{time:.3}" timestamp="{stamp}" hostname="h">{cases}</testsuite></testsuites>"#,
            files.len() * 2
        ),
    )
    .unwrap();
}

/// Three recorded pytest shards of 2, 3 and 4 files, each session starting
/// 500 ms after its record (the start-up) and taking 300 ms per file
/// beyond its tests: walls 1.5 s, 2.0 s and 2.5 s.
fn three_pytest_shards(dir: &Path) {
    pytest_shard(dir, 0, &[0, 1], "2026-12-06T05:00:00.000000Z", 0.5);
    pytest_shard(dir, 1, &[2, 3, 4], "2026-12-06T05:10:00.000000Z", 0.5);
    pytest_shard(dir, 2, &[5, 6, 7, 8], "2026-12-06T05:20:00.000000Z", 0.5);
}

fn output(dir: &Path, args: &[&str]) -> (String, String) {
    let out = common::shardplan_in(dir, args, "");
    assert!(
        out.status.success(),
        "shardplan {args:?}: {}",
        common::stderr(&out)
    );
    (common::stdout(&out), common::stderr(&out))
}

/// `whatif --format json` for `runner` over the shard counts `shards`.
fn whatif_json(dir: &Path, runner: &str, shards: &str) -> serde_json::Value {
    let args = [
        "whatif", "--runner", runner, "--shards", shards, "--format", "json",
    ];
    serde_json::from_str(&output(dir, &args).0).unwrap()
}

#[test]
fn merge_says_how_far_the_plans_predictions_were_from_the_walls() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // The plan predicted 1.5 s, 1.8 s and 3.0 s.
    three_pytest_shards(dir);
    for (index, predicted) in [(0, "1.5"), (1, "1.8"), (2, "3.0")] {
        let path = dir.join(format!("run/shard-{index}/shardplan-shard.json"));
        let record = fs::read_to_string(&path).unwrap();
        let record = record.replace('}', &format!(r#","predicted_seconds":{predicted}}}"#));
        fs::write(&path, record).unwrap();
    }
    let (_, err) = output(dir, &["merge", "run"]);
    for line in [
        "shard 0 (run/shard-0/shardplan-shard.json): wall 1.5s, tests 400ms, 2 groups, predicted 1.5s (as predicted)",
        "shard 1 (run/shard-1/shardplan-shard.json): wall 2.0s, tests 600ms, 3 groups, predicted 1.8s (10.0% short)",
        "shard 2 (run/shard-2/shardplan-shard.json): wall 2.5s, tests 800ms, 4 groups, predicted 3.0s (20.0% over)",
        "the plan's predictions missed 3 shards' wall times by 10.0% on average (|predicted - wall| / wall); slowest wall 1.250 x the mean",
    ] {
        assert!(err.contains(line), "{line}\n{err}");
    }

    // Two shards of three: no balance, which needs the whole plan. (Into
    // another history: these two were merged into the first already.)
    fs::remove_dir_all(dir.join("run/shard-2")).unwrap();
    let (_, err) = output(dir, &["merge", "--into", "other.json", "run"]);
    assert!(
        err.contains(
            "missed 2 shards' wall times by 5.0% on average (|predicted - wall| / wall)\n"
        ),
        "{err}"
    );
}

#[test]
fn merge_learns_from_shard_records_and_planning_names_the_terms() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    three_pytest_shards(dir);
    let (_, err) = output(dir, &["merge", "run"]);
    assert!(
        err.contains("learned costs for --runner pytest: shard start-up 500ms (learned from 1 run), per group 300ms (learned from 1 run)"),
        "{err}"
    );
    assert!(
        err.contains(
            "shard 2 (run/shard-2/shardplan-shard.json): wall 2.5s, tests 800ms, 4 groups"
        ),
        "{err}"
    );
    let history = fs::read_to_string(dir.join(".shardplan/timings.json")).unwrap();
    assert!(
        history.contains(r#"{"runner":"pytest","shard_startup":500000,"group_cost":300000,"shards":[[1,2,1100000],[1,3,1400000],[1,4,1700000]],"suites":[[1,2,600000],[1,3,900000],[1,4,1200000]],"loads":[[1,2,400000,1500000],[1,3,600000,2000000],[1,4,800000,2500000]],"recorded":[[1,"f 0 2026-12-06T05:00:00.000000Z"],[1,"f 1 2026-12-06T05:10:00.000000Z"],[1,"f 2 2026-12-06T05:20:00.000000Z"]]}"#),
        "{history}"
    );

    let (plan, err) = output(dir, &["--runner", "pytest", "--shards", "2", "--json"]);
    assert!(
        err.contains("cost model: shard start-up 500ms (learned from 1 run), per group 300ms (learned from 1 run)"),
        "{err}"
    );
    let doc: serde_json::Value = serde_json::from_str(&plan).unwrap();
    assert_eq!(
        doc["cost_model"],
        serde_json::json!({
            "shard_startup": {"seconds": 0.5, "source": "learned", "runs": 1},
            "group_cost": {"seconds": 0.3, "source": "learned", "runs": 1}
        })
    );
    assert_eq!(doc["shard_overhead_seconds"], 0.5);
    // Each shard: start-up, its tests, 300 ms per file it touches.
    let sum = |key: &str| shard_sum(&doc, key);
    assert!((sum("predicted_seconds") - (2.0 * 0.5 + 1.8 + sum("setup_seconds"))).abs() < 1e-6);
    let files = sum("setup_seconds") / 0.3;
    assert!(
        files >= 9.0 - 1e-6 && (files - files.round()).abs() < 1e-6,
        "{files}"
    );

    let (explained, _) = output(dir, &["explain", "--runner", "pytest", "--shards", "2"]);
    assert!(
        explained.contains("cost model: shard start-up 500ms (learned from 1 run), per group 300ms (learned from 1 run)"),
        "{explained}"
    );
    assert!(
        explained.contains("300ms each, the per-group cost (learned from 1 run)"),
        "{explained}"
    );
    let table = whatif_json(dir, "pytest", "1..3");
    assert_eq!(table["cost_model"]["shard_startup"]["seconds"], 0.5);

    // Given terms override; a given 0 is given, not learned.
    let (plan, err) = output(
        dir,
        &[
            "--runner",
            "pytest",
            "--shards",
            "2",
            "--json",
            "--shard-overhead",
            "0",
        ],
    );
    assert!(
        err.contains("shard start-up 0ms (given), per group 300ms (learned from 1 run)"),
        "{err}"
    );
    let given: serde_json::Value = serde_json::from_str(&plan).unwrap();
    assert_eq!(given["shard_overhead_seconds"], 0.0);
    // The terms are in the fingerprint: shards that used other terms say so.
    assert_ne!(given["fingerprint"], doc["fingerprint"]);
}

#[test]
fn reports_without_records_or_stamps_merge_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    pytest_shard(dir, 0, &[0, 1], "2026-12-06T05:00:00.000000Z", 0.5);
    // A record an older shardplan wrote: no start.
    fs::write(
        dir.join("run/shard-0/shardplan-shard.json"),
        r#"{"format":"shardplan-shard","version":1,"fingerprint":"f","index":0,"shards":3,"runner":"pytest"}"#,
    )
    .unwrap();
    let (_, err) = output(dir, &["merge", "run"]);
    assert!(
        err.contains("no cost observation: its record has no start time"),
        "{err}"
    );
    // The session still shows the per-file cost; nothing says the start-up.
    let (_, err) = output(
        dir,
        &["--runner", "pytest", "--shards", "2", "--index", "0"],
    );
    assert!(
        err.contains(
            "cost model: shard start-up 0ms (default), per group 300ms (learned from 1 run)"
        ),
        "{err}"
    );

    // A plain report with no session spanning files teaches nothing: the
    // history has no `costs` and planning no cost model line.
    let plain = tempfile::tempdir().unwrap();
    let plain = plain.path();
    fs::write(
        plain.join("r.xml"),
        r#"<testsuite name="s" time="1"><testcase classname="a.B" name="x" time="0.5"/></testsuite>"#,
    )
    .unwrap();
    output(plain, &["merge", "r.xml"]);
    let history = fs::read_to_string(plain.join(".shardplan/timings.json")).unwrap();
    assert!(!history.contains("costs"), "{history}");
    let (_, err) = output(plain, &["--shards", "2", "--index", "0"]);
    assert!(!err.contains("cost model"), "{err}");
}

/// The sum over a plan's `--json` shards of their `key`.
/// A recorded jest shard that ran `files` files on two workers: each
/// file's suite takes 1.5 s, 0.5 s of it importing (outside its one 1 s
/// test), and the workers start 1 s after the record.
fn jest_shard(dir: &Path, index: usize, files: std::ops::Range<usize>) {
    let minute = 10 * index;
    let started = format!("2026-12-06T06:{minute:02}:00.000000Z");
    let shard = recorded_shard(dir, index, "jest", &started, "");
    let mut suites = String::new();
    for (n, file) in files.enumerate() {
        // Two at a time: 1.0-2.5 s, then 2.5-4.0 s.
        let start = 1.0 + 1.5 * (n / 2) as f64;
        suites += &format!(
            r#"<testsuite name="f{file}" timestamp="2026-12-06T06:{minute:02}:{start:06.3}" time="1.5" tests="1"><testcase classname="f{file} works" name="works" time="1" file="f{file}.test.js"/></testsuite>"#
        );
    }
    fs::write(
        shard.join("junit.xml"),
        format!(r#"<testsuites name="jest tests">{suites}</testsuites>"#),
    )
    .unwrap();
}

#[test]
fn imports_inside_suite_times_run_on_the_workers_too() {
    // Shards of four and two files on two workers: 1 s + 4 × 1.5 s / 2
    // and 1 s + 2 × 1.5 s / 2. Taking the imports off the wall instead
    // of dividing them too would learn ×2.0 from one shard and ×1.33
    // from the other.
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    jest_shard(dir, 0, 0..4);
    jest_shard(dir, 1, 4..6);
    let (_, err) = output(dir, &["merge", "run"]);
    assert!(err.contains("wall 4.0s, tests 4.0s, 4 groups"), "{err}");
    assert!(
        err.contains("shard start-up 1.0s (learned from 1 run), per group 0ms (learned from 1 run), concurrency ×2 (learned from 1 run)"),
        "{err}"
    );
    // Planned again, three files a shard: 1 s + 3 × 1.5 s / 2.
    let (plan, _) = output(dir, &["--runner", "jest", "--shards", "2", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&plan).unwrap();
    for shard in doc["shards"].as_array().unwrap() {
        assert_eq!(shard["predicted_seconds"], 3.25, "{plan}");
    }
    // Shards of four and two files showed how the overhead divides.
    assert!(
        doc["cost_model"]
            .get("learned_from_shards_of_one_size")
            .is_none(),
        "{plan}"
    );
}

/// [`jest_shard`] as vitest writes it: its suites stamped when the report
/// is written, so they give no run window, and its record's runner.
fn vitest_shard(dir: &Path, index: usize, files: std::ops::Range<usize>) {
    jest_shard(dir, index, files);
    let shard = dir.join(format!("run/shard-{index}"));
    for (file, from, to) in [
        ("junit.xml", "jest tests", "vitest tests"),
        (
            "shardplan-shard.json",
            r#""runner":"jest""#,
            r#""runner":"vitest""#,
        ),
    ] {
        let text = fs::read_to_string(shard.join(file)).unwrap();
        fs::write(shard.join(file), text.replace(from, to)).unwrap();
    }
}

#[test]
fn costs_learned_from_shards_of_one_size_say_their_division_is_a_guess() {
    // Three shards of four files each, which show what such a shard costs
    // beyond its tests, but not whether that is a start-up, a cost per
    // file or tests running at once (the fit takes the last here).
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for index in 0..3 {
        vitest_shard(dir, index, 4 * index..4 * index + 4);
    }
    let (_, err) = output(dir, &["merge", "run"]);
    assert!(
        err.contains("learned costs for --runner vitest: shard start-up 0ms (learned from 1 run), per group 0ms (default), concurrency ×2.4 (learned from 1 run); how the overhead divides among them is a guess (learned from shards of 4 groups only)"),
        "{err}"
    );
    let (plan, err) = output(dir, &["--runner", "vitest", "--shards", "3", "--json"]);
    assert!(
        err.contains(
            "; how the overhead divides among them is a guess (learned from shards of 4 groups only)"
        ),
        "{err}"
    );
    // Planned at the size learned: the predictions are not flagged.
    assert!(!err.contains("these predictions are a guess"), "{err}");
    let (_, other) = output(
        dir,
        &["--runner", "vitest", "--shards", "6", "--index", "0"],
    );
    assert!(
        other.contains("shardplan: these predictions are a guess: the shards hold 2 groups each on average, the cost model was learned from shards of 4 groups (see `shardplan whatif`)"),
        "{other}"
    );
    let doc: serde_json::Value = serde_json::from_str(&plan).unwrap();
    assert_eq!(
        doc["cost_model"]["learned_from_shards_of_one_size"],
        serde_json::json!({"fewest_groups": 4, "most_groups": 4}),
        "{plan}"
    );
    // Comparing shard counts is where it matters: whatif says so, and
    // what settles it.
    let (table, err) = output(dir, &["whatif", "--runner", "vitest", "--shards", "1..6"]);
    // Rows whose shards are of another size (by the fit's rule: the most
    // groups at least twice the fewest) rest on the guess, and say so.
    let row = |shards: &str| {
        table
            .lines()
            .find(|line| line.split_whitespace().next() == Some(shards))
            .unwrap_or_else(|| panic!("no row for {shards}: {table}"))
    };
    assert!(
        row("1").ends_with("<- a guess: 12 groups a shard, costs learned at 4 groups"),
        "{table}"
    );
    assert!(row("6").contains("a guess: 2 groups a shard"), "{table}");
    // 12 files on 5 shards are 2.4 a shard: more than half of 4.
    for same_size in ["2", "3", "4", "5"] {
        assert!(!row(same_size).contains("a guess"), "{table}");
    }
    // The verdict says what the marked rows rest on.
    assert!(
        table.contains("\nthe cost model was learned from shards of 4 groups only: walls of shards of other sizes (rows marked as a guess) rest on how it divided their overhead, and so does any answer drawn from them\n"),
        "{table}"
    );
    let doc = whatif_json(dir, "vitest", "1..6");
    let guessed: Vec<bool> = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row.get("guessed") == Some(&serde_json::Value::Bool(true)))
        .collect();
    assert_eq!(guessed, [true, false, false, false, false, true], "{doc}");
    assert!(
        err.contains("warning: the learned cost model (shard start-up 0ms (learned from 1 run), per group 0ms (default), concurrency ×2.4 (learned from 1 run)) comes from shards of one size (4 groups each)"),
        "{err}"
    );
    assert!(
        err.contains("recording a run at another shard count (half or twice as many) settles it"),
        "{err}"
    );
    // A term given on the command line: the division is not the fit's
    // alone, and nothing is said.
    for given in [
        ["--shard-overhead", "1s"],
        ["--group-overhead", "100ms"],
        ["--concurrency", "2"],
    ] {
        let mut args = vec!["whatif", "--runner", "vitest", "--shards", "1..6"];
        args.extend(given);
        let (_, err) = output(dir, &args);
        assert!(err.contains("shardplan: cost model: "), "{err}");
        assert!(!err.contains("is a guess"), "{err}");
        assert!(!err.contains("shards of one size"), "{err}");
    }
}

fn shard_sum(doc: &serde_json::Value, key: &str) -> f64 {
    doc["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[key].as_f64().unwrap())
        .sum()
}

/// A nextest shard's report as nextest writes it: `timestamp` and `time`
/// on the root and the cases only. `tests` tests of 50 ms each (half in
/// each of two binaries), run two at a time: the run takes half their sum
/// and starts 300 ms after `select --record`.
fn nextest_shard(dir: &Path, index: usize, first: usize, tests: usize) {
    let start = format!("2026-12-06T05:{:02}:00.000000Z", 10 * index);
    let shard = recorded_shard(dir, index, "nextest", &start, "");
    let suite = |binary: &str, range: std::ops::Range<usize>| {
        let cases: String = range
            .map(|t| {
                format!(
                    r#"<testcase name="t{t}" classname="{binary}" timestamp="{}" time="0.050"/>"#,
                    start.replace("00.000000Z", "00.400+00:00")
                )
            })
            .collect();
        format!(
            r#"<testsuite name="{binary}" tests="1" disabled="0" errors="0" failures="0">{cases}</testsuite>"#
        )
    };
    let half = first + tests / 2;
    fs::write(
        shard.join("junit.xml"),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><testsuites name="nextest-run" tests="{tests}" failures="0" errors="0" uuid="u" timestamp="{}" time="{:.3}">{}{}</testsuites>"#,
            start.replace("00.000000Z", "00.300+00:00"),
            tests as f64 * 0.05 / 2.0,
            suite("typenum", first..half),
            suite("typenum::generated", half..first + tests),
        ),
    )
    .unwrap();
}

#[test]
fn nextest_shards_teach_their_concurrency() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // 1, 2 and 4 s of tests in 0.3 + 0.5, 1 and 2 s.
    nextest_shard(dir, 0, 0, 20);
    nextest_shard(dir, 1, 20, 40);
    nextest_shard(dir, 2, 60, 80);
    let (_, err) = output(dir, &["merge", "run"]);
    assert!(
        err.contains(
            "shard 0 (run/shard-0/shardplan-shard.json): wall 800ms, tests 1.0s, 2 groups"
        ),
        "{err}"
    );
    assert!(
        err.contains("learned costs for --runner nextest: shard start-up 300ms (learned from 1 run), per group 0ms (default), concurrency ×2 (learned from 1 run)"),
        "{err}"
    );
    let history = fs::read_to_string(dir.join(".shardplan/timings.json")).unwrap();
    assert!(history.contains(r#""concurrency":2000"#), "{history}");

    let (plan, err) = output(dir, &["--runner", "nextest", "--shards", "2", "--json"]);
    assert!(err.contains("concurrency ×2 (learned from 1 run)"), "{err}");
    let doc: serde_json::Value = serde_json::from_str(&plan).unwrap();
    assert_eq!(
        doc["cost_model"]["concurrency"],
        serde_json::json!({"factor": 2.0, "source": "learned", "runs": 1})
    );
    // Each shard: its start-up and its tests two at a time, 7 s in all.
    let total = |doc: &serde_json::Value| shard_sum(doc, "predicted_seconds");
    assert!((total(&doc) - (2.0 * 0.3 + 3.5)).abs() < 1e-6, "{plan}");

    let (explained, _) = output(dir, &["explain", "--runner", "nextest", "--shards", "2"]);
    assert!(
        explained.contains("concurrency ×2 (learned from 1 run)"),
        "{explained}"
    );
    let table = whatif_json(dir, "nextest", "1..3");
    assert_eq!(table["cost_model"]["concurrency"]["factor"], 2.0);

    // `--concurrency 1` turns it off; the plan's fingerprint says so.
    let (plan, err) = output(
        dir,
        &[
            "--runner",
            "nextest",
            "--shards",
            "2",
            "--json",
            "--concurrency",
            "1",
        ],
    );
    assert!(err.contains("concurrency ×1 (given)"), "{err}");
    let given: serde_json::Value = serde_json::from_str(&plan).unwrap();
    assert!((total(&given) - (2.0 * 0.3 + 7.0)).abs() < 1e-6, "{plan}");
    assert_ne!(given["fingerprint"], doc["fingerprint"]);
}

#[test]
fn nextest_shards_of_one_size_still_learn_their_start_up() {
    // Three shards of 2 s of tests, each run in 1 s, 300 ms after `select`:
    // their walls alone cannot tell the start-up from the concurrency, but
    // nextest's own run window holds the tests only.
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for index in 0..3 {
        nextest_shard(dir, index, 40 * index, 40);
    }
    let (_, err) = output(dir, &["merge", "run"]);
    assert!(
        err.contains("learned costs for --runner nextest: shard start-up 300ms (learned from 1 run), per group 0ms (default), concurrency ×2 (learned from 1 run)"),
        "{err}"
    );
    let history = fs::read_to_string(dir.join(".shardplan/timings.json")).unwrap();
    assert!(
        history
            .contains(r#""windows":[[1,2000000,1000000],[1,2000000,1000000],[1,2000000,1000000]]"#),
        "{history}"
    );

    // A full run alone, with no record, teaches the concurrency.
    let full = tempfile::tempdir().unwrap();
    let full = full.path();
    nextest_shard(full, 0, 0, 20);
    fs::remove_file(full.join("run/shard-0/shardplan-shard.json")).unwrap();
    let (_, err) = output(full, &["merge", "run"]);
    assert!(
        err.contains("learned costs for --runner nextest: shard start-up 0ms (default), per group 0ms (default), concurrency ×2 (learned from 1 run)"),
        "{err}"
    );
    let (plan, _) = output(full, &["--runner", "nextest", "--shards", "2", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&plan).unwrap();
    // 1 s of tests, two at a time.
    assert!(
        (shard_sum(&doc, "predicted_seconds") - 0.5).abs() < 1e-6,
        "{plan}"
    );
}

/// A `cargo test` shard: one command per test binary, `binaries` of them
/// (`bin0`, …), each starting up for 300 ms before its one 100 ms test;
/// the report's root window runs from the first binary's test to the last.
fn cargo_shard(dir: &Path, index: usize, binaries: usize) {
    let start = format!("2026-12-06T05:{:02}:00.000000Z", 10 * index);
    let launches = format!(r#","launches":{binaries}"#);
    let shard = recorded_shard(dir, index, "cargo", &start, &launches);
    let suites: String = (0..binaries)
        .map(|b| {
            format!(
                r#"<testsuite name="bin{b}-{index}" tests="1"><testcase name="t" classname="bin{b}-{index}" time="0.100"/></testsuite>"#
            )
        })
        .collect();
    fs::write(
        shard.join("junit.xml"),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><testsuites name="nextest-run" tests="{binaries}" failures="0" errors="0" uuid="u" timestamp="{}" time="{:.3}">{suites}</testsuites>"#,
            start.replace("00.000000Z", "00.300+00:00"),
            0.4 * binaries as f64 - 0.3,
        ),
    )
    .unwrap();
}

#[test]
fn cargo_pays_its_start_up_once_per_test_binary() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for (index, binaries) in [1, 2, 3].into_iter().enumerate() {
        cargo_shard(dir, index, binaries);
    }
    let (_, err) = output(dir, &["merge", "run"]);
    assert!(
        err.contains("learned costs for --runner cargo: start-up 300ms per group, one command each (learned from 1 run)"),
        "{err}"
    );
    let (plan, err) = output(dir, &["--runner", "cargo", "--shards", "2", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&plan).unwrap();
    assert_eq!(doc["cost_model"]["start_up_per_group"], true, "{plan}");
    assert_eq!(doc["shard_overhead_seconds"], 0.0, "{plan}");
    // Six binaries of one 100 ms test: each shard pays 300 ms per binary.
    let binaries: usize = doc["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let members = s["members"].as_array().unwrap();
            let mut files: Vec<&str> = members
                .iter()
                .map(|m| m["file"].as_str().unwrap())
                .collect();
            files.dedup();
            files.len()
        })
        .sum();
    assert_eq!(binaries, 6, "{plan}");
    let predicted = shard_sum(&doc, "predicted_seconds");
    assert!((predicted - 6.0 * 0.4).abs() < 1e-6, "{plan}");
    assert!(
        err.contains("group setup 1.8s over all shards (300ms start-up per group learned from 1 run, one command each)"),
        "{err}"
    );
    // A given --shard-overhead is per shard, as given.
    let (plan, _) = output(
        dir,
        &[
            "--runner",
            "cargo",
            "--shards",
            "2",
            "--json",
            "--shard-overhead",
            "1s",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&plan).unwrap();
    assert!(
        doc["cost_model"].get("start_up_per_group").is_none(),
        "{plan}"
    );
    assert!(
        (shard_sum(&doc, "predicted_seconds") - (2.0 + 0.6)).abs() < 1e-6,
        "{plan}"
    );
}

/// One `go test -json` event `t` seconds into the minute `minute` (of
/// 05:00 on 2026-12-06): a test's when `test` is given, else its
/// package's, with an `Elapsed` when one is given.
fn go_event(
    minute: usize,
    t: f64,
    action: &str,
    package: &str,
    test: Option<&str>,
    elapsed: Option<f64>,
) -> String {
    let test = test.map_or(String::new(), |test| format!(",\"Test\":\"{test}\""));
    let elapsed = elapsed.map_or(String::new(), |e| format!(",\"Elapsed\":{e}"));
    format!(
        "{{\"Time\":\"2026-12-06T05:{minute:02}:{t:09.6}Z\",\"Action\":\"{action}\",\"Package\":\"{package}\"{test}{elapsed}}}\n"
    )
}

/// A `go test -json` stream that starts `start` seconds into the minute
/// `minute` and runs `commands` one after another, as `go test` would:
/// each starts up for 400 ms, then builds and links each of its packages
/// for 200 ms before running its one test of 100 ms.
fn go_stream(minute: usize, start: f64, commands: &[&[&str]]) -> String {
    let mut out = String::new();
    let mut t = start;
    for packages in commands {
        t += 0.4;
        for package in *packages {
            t += 0.2;
            out += &go_event(minute, t, "run", package, Some("TestIt"), None);
            t += 0.1;
            for test in [Some("TestIt"), None] {
                out += &go_event(minute, t, "pass", package, test, Some(0.1));
            }
        }
    }
    out
}

/// A recorded go shard under `run/`, started at minute `10 × index`,
/// whose record says how many `go test` commands it launched.
fn go_shard(dir: &Path, index: usize, commands: &[&[&str]]) {
    let minute = 10 * index;
    let started = format!("2026-12-06T05:{minute:02}:00.000000Z");
    let launches = format!(r#","launches":{}"#, commands.len());
    let shard = recorded_shard(dir, index, "go", &started, &launches);
    fs::write(shard.join("go.json"), go_stream(minute, 0.0, commands)).unwrap();
}

#[test]
fn go_learns_its_start_up_per_launch_and_its_links_from_the_stream() {
    // The full run, one `go test` of six packages: its stream's window
    // holds five links (the first comes before it), each seen as the wait
    // before its package started, and no start-up.
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    fs::write(
        dir.join("full.json"),
        go_stream(
            59,
            0.0,
            &[&["ex/p0", "ex/p1", "ex/p2", "ex/p3", "ex/p4", "ex/p5"]],
        ),
    )
    .unwrap();
    let (_, err) = output(dir, &["merge", "full.json"]);
    // The links are the packages' own waits, which planning charges with
    // their setups: nothing is left per package.
    assert!(
        err.contains("learned costs for --runner go: shard start-up 0ms (default), per group 0ms (learned from 1 run)"),
        "{err}"
    );
    // Three shards that ran their packages in three commands (2.1 s), one
    // (1.0 s, two packages) and one (0.7 s). The second shows a link of
    // 200 ms, which the first package of each command is taken to have had
    // too; what each command took beyond its links and tests is 400 ms.
    // (The first shard's waits of 600 ms held its later start-ups.)
    go_shard(dir, 0, &[&["ex/p0"], &["ex/p1"], &["ex/p2"]]);
    go_shard(dir, 1, &[&["ex/p3", "ex/p4"]]);
    go_shard(dir, 2, &[&["ex/p5"]]);
    let (_, err) = output(dir, &["merge", "run"]);
    assert!(
        err.contains("shard 0 (run/shard-0/shardplan-shard.json): wall 2.1s, tests 300ms, 3 groups, 3 launches of the runner\n"),
        "{err}"
    );
    assert!(
        err.contains(
            "shard 1 (run/shard-1/shardplan-shard.json): wall 1.0s, tests 200ms, 2 groups\n"
        ),
        "{err}"
    );
    assert!(
        err.contains("learned costs for --runner go: shard start-up 400ms (learned from 1 run), per group 0ms (learned from 2 runs)"),
        "{err}"
    );
    let history = fs::read_to_string(dir.join(".shardplan/timings.json")).unwrap();
    // Launched more than once, a shard's point says so; launched once, it
    // keeps the three numbers older files have. A window holding several
    // commands holds start-ups, so it is no suite observation (nor is one
    // of a single package); the second shard's is.
    assert!(
        history.contains(
            r#""shards":[[2,1,400000],[2,2,400000],[2,3,1200000,3]],"suites":[[1,5,0],[2,1,0]]"#
        ),
        "{history}"
    );
    // Two shards of three packages: 400 ms + 3 × (200 ms + 100 ms) each,
    // as one `go test` of three packages takes.
    let (plan, _) = output(dir, &["--runner", "go", "--shards", "2", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&plan).unwrap();
    for shard in doc["shards"].as_array().unwrap() {
        assert_eq!(shard["predicted_seconds"], 1.3, "{plan}");
    }
}

#[test]
fn go_packages_that_take_longer_to_link_pay_their_own_links() {
    // One `go test` running five packages one after another, each with
    // one 100 ms test; before ex/p4 its binary took 1 s to link, before
    // the others 200 ms (ex/p0's link came before the stream).
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut stream = String::new();
    let mut t = 0.0;
    for (package, link) in [
        ("ex/p0", 0.0),
        ("ex/p1", 0.2),
        ("ex/p2", 0.2),
        ("ex/p3", 0.2),
        ("ex/p4", 1.0),
    ] {
        t += link;
        stream += &go_event(0, t, "run", package, Some("TestIt"), None);
        t += 0.1;
        for test in [Some("TestIt"), None] {
            stream += &go_event(0, t, "pass", package, test, Some(0.1));
        }
    }
    fs::write(dir.join("full.json"), stream).unwrap();
    let (_, err) = output(dir, &["merge", "full.json"]);
    // The window holds the 1.6 s of links the waits show: nothing is left
    // per package.
    assert!(err.contains("per group 0ms (learned from 1 run)"), "{err}");
    let history = fs::read_to_string(dir.join(".shardplan/timings.json")).unwrap();
    assert!(
        history.contains(r#""suite":"ex/p4","last_seen":1,"samples":[0],"waits":[1000000]"#),
        "{history}"
    );
    // Each package pays its own link: ex/p4 1 s, ex/p1-3 200 ms, and ex/p0
    // (never seen waiting) the typical 200 ms: 1.8 s in all.
    let (plan, err) = output(dir, &["--runner", "go", "--shards", "2", "--json"]);
    assert!(
        err.contains("4 with how long they waited to start"),
        "{err}"
    );
    let doc: serde_json::Value = serde_json::from_str(&plan).unwrap();
    let with_p4 = common::shard_with(&doc, "ex/p4.TestIt");
    let others = with_p4["test_count"].as_u64().unwrap() - 1;
    let expected = 1.0 + 0.2 * others as f64;
    assert!(
        (with_p4["setup_seconds"].as_f64().unwrap() - expected).abs() < 1e-9,
        "{plan}"
    );
    assert!(
        (shard_sum(&doc, "setup_seconds") - 1.8).abs() < 1e-9,
        "{plan}"
    );
    // A given --group-overhead is paid alike by every package, on top.
    let (plan, _) = output(
        dir,
        &[
            "--runner",
            "go",
            "--shards",
            "2",
            "--json",
            "--group-overhead",
            "400ms",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&plan).unwrap();
    assert!(
        (shard_sum(&doc, "setup_seconds") - (1.8 + 5.0 * 0.4)).abs() < 1e-9,
        "{plan}"
    );
}

#[test]
fn select_records_how_many_commands_the_shard_launches() {
    // Package ex/a's 3 s and 1 s tests go to two shards; the second also
    // gets ex/b whole: a `go test` for ex/b and one with `-run` for ex/a.
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let event = |package: &str, test: &str, elapsed: f64| {
        format!(
            "{{\"Time\":\"2026-12-06T05:00:00Z\",\"Action\":\"pass\",\"Package\":\"{package}\",\"Test\":\"{test}\",\"Elapsed\":{elapsed}}}\n"
        )
    };
    let stream = [
        event("ex/a", "TestSlow", 3.0),
        event("ex/a", "TestQuick", 1.0),
        event("ex/b", "TestOne", 0.5),
        event("ex/b", "TestTwo", 0.5),
    ]
    .concat();
    fs::write(dir.join("go.json"), stream).unwrap();
    output(
        dir,
        &[
            "plan",
            "--runner",
            "go",
            "--shards",
            "2",
            "--timings",
            "go.json",
            "-o",
            "plan.json",
        ],
    );
    for index in 0..2 {
        let record = format!("r{index}");
        let index = index.to_string();
        let (commands, _) = output(
            dir,
            &[
                "select",
                "--plan",
                "plan.json",
                "--index",
                &index,
                "--record",
                &record,
            ],
        );
        let doc: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(dir.join(&record).join("shardplan-shard.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(doc["launches"], commands.lines().count(), "{commands}");
        assert_eq!(
            commands.lines().count(),
            if index == "0" { 1 } else { 2 },
            "{commands}"
        );
    }
}

#[test]
fn the_same_shard_records_merged_again_count_once() {
    // A re-run of the merging job over the same artifacts.
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    three_pytest_shards(dir);
    output(dir, &["merge", "run"]);
    let history = fs::read_to_string(dir.join(".shardplan/timings.json")).unwrap();
    let (_, err) = output(dir, &["merge", "run"]);
    assert!(
        err.contains("all 3 shard records of these reports were merged before (in run 1)"),
        "{err}"
    );
    let again = fs::read_to_string(dir.join(".shardplan/timings.json")).unwrap();
    assert_eq!(again, history, "the history changed");
    // A re-run shard (a new start) with two merged before: merged, with a
    // warning that the other two count again.
    recorded_shard(dir, 2, "pytest", "2026-12-06T06:00:00.000000Z", "");
    let (_, err) = output(dir, &["merge", "run"]);
    assert!(
        err.contains(
            "warning: 2 of the 3 shard records of these reports were merged before (in run 1)"
        ),
        "{err}"
    );
    assert!(err.contains("merged run 2 "), "{err}");
}

#[test]
fn a_merge_of_records_merged_before_still_takes_new_unrecorded_reports() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    three_pytest_shards(dir);
    output(dir, &["merge", "run"]);
    // The same shards, and a report no record holds: merged, with a
    // warning for the repeats.
    fs::create_dir(dir.join("extra")).unwrap();
    fs::write(
        dir.join("extra/new.xml"),
        r#"<testsuite name="pytest"><testcase classname="tests.test_new" name="test_new" file="tests/test_new.py" time="0.1"/></testsuite>"#,
    )
    .unwrap();
    let (_, err) = output(dir, &["merge", "run", "extra"]);
    assert!(
        err.contains(
            "warning: 3 of the 3 shard records of these reports were merged before (in run 1)"
        ),
        "{err}"
    );
    let history = fs::read_to_string(dir.join(".shardplan/timings.json")).unwrap();
    assert!(history.contains("\"name\":\"test_new\""), "{history}");
}

#[test]
fn a_copy_of_a_shard_and_a_corrupt_shard_report_are_said() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    three_pytest_shards(dir);
    // Shard 1's report cut short: the other shards merge, and it is named.
    fs::write(dir.join("run/shard-1/junit.xml"), "<testsuites><testsuite").unwrap();
    let (_, err) = output(dir, &["merge", "--into", "a.json", "run"]);
    assert!(err.contains("shard-1/junit.xml"), "{err}");
    assert!(err.contains("skipping this report"), "{err}");
    // Shard 0's directory twice: said, as each copy counts.
    let dir2 = tempfile::tempdir().unwrap();
    let dir2 = dir2.path();
    three_pytest_shards(dir2);
    let copy = dir2.join("run/shard-0-copy");
    fs::create_dir(&copy).unwrap();
    for file in ["shardplan-shard.json", "junit.xml"] {
        fs::copy(dir2.join("run/shard-0").join(file), copy.join(file)).unwrap();
    }
    let (_, err) = output(dir2, &["merge", "run"]);
    assert!(
        err.contains("warning: 1 shard record appears more than once in these reports"),
        "{err}"
    );
}

#[test]
fn a_go_package_whose_tests_outlast_a_shards_share_sets_its_prediction() {
    // ex/big's `TestMain` takes 4 s and its two tests 4 s each, one after
    // another in its test binary; ex/s1-s4 have one test of 2 s each. Two
    // at a time, halved, ex/big whole (6 s) beside the others (4 s) is the
    // best balance of shares, since splitting it pays its setup twice; but
    // a shard running it whole takes 12 s. (go runs split packages in
    // commands of their own, one after another, so nothing is moved to
    // shorten it: that is predicted and said.)
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut stream = String::new();
    let mut t = 0.0;
    for (package, setup, tests) in [
        ("ex/big", 4.0, &[("TestA", 4.0), ("TestB", 4.0)][..]),
        ("ex/s1", 0.0, &[("TestOne", 2.0)][..]),
        ("ex/s2", 0.0, &[("TestOne", 2.0)][..]),
        ("ex/s3", 0.0, &[("TestOne", 2.0)][..]),
        ("ex/s4", 0.0, &[("TestOne", 2.0)][..]),
    ] {
        t += setup;
        let mut elapsed = setup;
        for &(test, seconds) in tests {
            stream += &go_event(0, t, "run", package, Some(test), None);
            t += seconds;
            elapsed += seconds;
            stream += &go_event(0, t, "pass", package, Some(test), Some(seconds));
        }
        stream += &go_event(0, t, "pass", package, None, Some(elapsed));
    }
    fs::write(dir.join("go.json"), stream).unwrap();
    let plan = |extra: &[&str]| {
        let mut args = vec![
            "--runner",
            "go",
            "--shards",
            "2",
            "--json",
            "--timings",
            "go.json",
        ];
        args.extend_from_slice(extra);
        let (plan, _) = output(dir, &args);
        serde_json::from_str::<serde_json::Value>(&plan).unwrap()
    };
    // Two at a time: the shard with ex/big takes its 12 s, which it names.
    let doc = plan(&["--concurrency", "2"]);
    let shards = doc["shards"].as_array().unwrap();
    let big = common::shard_with(&doc, "ex/big.TestA");
    assert_eq!(big["predicted_seconds"], 12.0, "{doc}");
    assert_eq!(big["longest_chain"], "ex/big", "{doc}");
    let other = shards.iter().find(|s| s["index"] != big["index"]).unwrap();
    assert_eq!(other["predicted_seconds"], 4.0, "{doc}");
    assert!(other.get("longest_chain").is_none(), "{doc}");
    assert_eq!(doc["makespan_seconds"], 12.0, "{doc}");
    let (_, err) = output(
        dir,
        &[
            "--runner",
            "go",
            "--shards",
            "2",
            "--index",
            "0",
            "--timings",
            "go.json",
            "--concurrency",
            "2",
        ],
    );
    assert!(
        err.contains("12.0s") && err.contains("set by ex/big's tests one after another"),
        "{err}"
    );
    // A per-package extra is wall time already: it joins the chain as it
    // is (13 s), not doubled.
    let doc = plan(&["--concurrency", "2", "--group-overhead", "1s"]);
    let big = common::shard_with(&doc, "ex/big.TestA");
    assert_eq!(big["predicted_seconds"], 13.0, "{doc}");
    // One at a time there is no chain to name: 20 s of work (ex/big's
    // setup paid once or twice) in two shards of 12 s at best.
    let doc = plan(&[]);
    assert_eq!(doc["makespan_seconds"], 12.0, "{doc}");
    for shard in doc["shards"].as_array().unwrap() {
        assert!(shard.get("longest_chain").is_none(), "{doc}");
    }
}
