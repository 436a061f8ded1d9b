//! The command line as a user runs it: the built binary, real files, exit
//! statuses and messages.

mod common;

use std::collections::BTreeSet;
use std::fs;

use common::{
    Case, assert_stderr_contains, json_plan_in, junit, plan_items, report_dir, shard_args,
    shard_items, shardplan, shardplan_in, stderr, stdout,
};
use serde_json::Value;

/// A small suite in a temp dir: six tests with distinct durations.
fn small_suite() -> tempfile::TempDir {
    report_dir(&[
        Case::timed("app.Alpha", "slow", "6.0"),
        Case::timed("app.Alpha", "fast", "0.5"),
        Case::timed("app.Beta", "medium", "3.0"),
        Case::timed("app.Beta", "medium_too", "2.5"),
        Case::timed("app.Gamma", "quick", "1.0"),
        Case::timed("app.Gamma", "quicker", "0.25"),
    ])
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

#[test]
fn each_index_prints_its_share_and_the_shares_partition_the_suite() {
    let dir = small_suite();
    let mut all = Vec::new();
    for index in 0..3 {
        let out = shardplan_in(dir.path(), &shard_args("3", &index.to_string(), &[]), "");
        assert!(out.status.success(), "{}", stderr(&out));
        all.extend(lines(&stdout(&out)));
    }
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(all.len(), 6, "{all:?}");
    assert_eq!(unique.len(), 6, "a test is on two shards: {all:?}");
    // LPT on 6, 3, 2.5, 1, 0.5, 0.25 over 3 shards: {6}, {3, 0.5, 0.25}, {2.5, 1}.
    let first = shardplan_in(dir.path(), &shard_args("3", "0", &[]), "");
    assert_eq!(stdout(&first), "app.Alpha::slow\n");
}

#[test]
fn summary_reports_counts_shard_times_and_bound() {
    let dir = small_suite();
    let out = shardplan_in(dir.path(), &shard_args("3", "1", &[]), "");
    let err = stderr(&out);
    assert!(
        err.contains("6 tests planned (6 with timings, 0 estimated)"),
        "{err}"
    );
    assert!(err.contains("lower bound 6.0s (largest item)"), "{err}");
    assert!(err.contains("1.000 x bound"), "{err}");
    // 3.75s, rounded (not truncated) to the tenth shown.
    assert!(
        err.contains("shard   1      3.8s       3 tests  <- this shard"),
        "{err}"
    );
}

#[test]
fn one_based_shard_equals_zero_based_index() {
    let dir = small_suite();
    let zero = shardplan_in(dir.path(), &shard_args("3", "2", &[]), "");
    let one = shardplan_in(
        dir.path(),
        &["--shard", "3/3", "--timings", "report.xml"],
        "",
    );
    assert_eq!(stdout(&zero), stdout(&one));
    assert!(!stdout(&one).is_empty());
}

#[test]
fn index_out_of_range_is_a_usage_error() {
    let dir = small_suite();
    let out = shardplan_in(dir.path(), &shard_args("4", "4", &[]), "");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("--index 4 is out of range for --shards 4"),
        "{err}"
    );
    assert!(err.contains("Usage:"), "{err}");
}

#[test]
fn bad_shard_options_are_usage_errors() {
    let dir = small_suite();
    for args in [
        vec!["--timings", "report.xml"],
        vec!["--shards", "4", "--timings", "report.xml"],
        vec!["--shards", "0", "--index", "0"],
        vec!["--shard", "0/4"],
        vec!["--shard", "5/4"],
        vec!["--index", "1"],
        vec!["--shard", "1/2", "--index", "0", "--shards", "2"],
    ] {
        let out = shardplan_in(dir.path(), &args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
}

/// Contradictory flags exit 2 like every other contradiction, rather than
/// the last one silently winning.
#[test]
fn catch_all_and_no_catch_all_together_are_a_usage_error() {
    let dir = small_suite();
    for command in [
        vec!["--shards", "2", "--index", "0"],
        vec!["plan", "--shards", "2"],
    ] {
        let mut args = command.clone();
        args.extend(["--timings", "report.xml", "--catch-all", "--no-catch-all"]);
        let out = shardplan_in(dir.path(), &args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("cannot be used with"),
            "{}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn missing_timings_file_is_named() {
    let dir = small_suite();
    let out = shardplan_in(
        dir.path(),
        &["--shards", "2", "--index", "0", "--timings", "nope.xml"],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("nope.xml: no such file or directory"), "{err}");
}

#[test]
fn broken_xml_alone_is_an_error_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("broken.xml"),
        "<testsuites>\n  <testsuite name=\"s\">\n    <testcase name=\"a\" time=\"1\">\n  </testsuite>\n</testsuites>\n",
    )
    .unwrap();
    let out = shardplan_in(
        dir.path(),
        &["--shards", "2", "--index", "0", "--timings", "broken.xml"],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("shardplan: error: broken.xml:4:"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn broken_report_among_good_ones_is_skipped_unless_strict() {
    let dir = small_suite();
    fs::write(
        dir.path().join("truncated.xml"),
        "<testsuites><testsuite name=\"s\"><testcase name=\"x\"",
    )
    .unwrap();
    let args = ["--shards", "2", "--index", "0", "--timings", "."];
    let out = shardplan_in(dir.path(), &args, "");
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("warning: ./truncated.xml"), "{err}");
    assert!(err.contains("skipping this report"), "{err}");

    let strict = shardplan_in(dir.path(), &[&args[..], &["--strict"]].concat(), "");
    assert_eq!(strict.status.code(), Some(1));
    assert_stderr_contains(&strict, "truncated.xml");
}

#[test]
fn report_order_does_not_change_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("a.xml"),
        junit(&[Case::timed("k.A", "t1", "2"), Case::timed("k.A", "t2", "4")]),
    )
    .unwrap();
    fs::write(
        dir.path().join("b.xml"),
        junit(&[Case::timed("k.B", "t3", "3"), Case::timed("k.A", "t1", "4")]),
    )
    .unwrap();
    let forward = shardplan_in(
        dir.path(),
        &[
            "--shards",
            "2",
            "--json",
            "--timings",
            "a.xml",
            "--timings",
            "b.xml",
        ],
        "",
    );
    let backward = shardplan_in(
        dir.path(),
        &[
            "--shards",
            "2",
            "--json",
            "--timings",
            "b.xml",
            "--timings",
            "a.xml",
        ],
        "",
    );
    let globbed = shardplan_in(
        dir.path(),
        &["--shards", "2", "--json", "--timings", "*.xml"],
        "",
    );
    assert_eq!(stdout(&forward), stdout(&backward));
    assert_eq!(stdout(&forward), stdout(&globbed));
    // k.A::t1 ran twice (2 s and 4 s): the plan uses the mean, 3 s.
    let plan: Value = serde_json::from_str(&stdout(&forward)).unwrap();
    assert_eq!(plan["total_seconds"], 10.0);
}

#[test]
fn json_prints_the_whole_plan() {
    let dir = small_suite();
    let (plan, _) = json_plan_in(
        dir.path(),
        &["--shards", "2", "--json", "--timings", "report.xml"],
        "",
    );
    assert_eq!(plan["version"], 1);
    assert_eq!(plan["fingerprint"].as_str().unwrap().len(), 16);
    assert_eq!(plan["total_seconds"], 13.25);
    assert_eq!(plan["lower_bound_seconds"], 6.625);
    let shards = plan["shards"].as_array().unwrap();
    assert_eq!(shards.len(), 2);
    assert_eq!(shards[0]["index"], 0);
    let count: usize = shards
        .iter()
        .map(|s| s["tests"].as_array().unwrap().len())
        .sum();
    assert_eq!(count, 6);
    let predicted: f64 = shards
        .iter()
        .map(|s| s["predicted_seconds"].as_f64().unwrap())
        .sum();
    assert_eq!(predicted, 13.25);
}

#[test]
fn listed_tests_without_timings_are_estimated_not_dropped() {
    let dir = small_suite();
    let listing = "app.Alpha::slow\napp.Alpha::brand_new\napp.Delta::also_new\napp.Beta::medium\n";
    let (plan, err) = json_plan_in(
        dir.path(),
        &[
            "--shards",
            "2",
            "--json",
            "--timings",
            "report.xml",
            "--tests-from",
            "-",
        ],
        listing,
    );
    let listed: BTreeSet<String> = listing.lines().map(str::to_string).collect();
    assert_eq!(plan_items(&plan), listed);
    assert_eq!(plan["tests_with_timings"], 2);
    assert!(
        err.contains("4 tests planned (2 with timings, 2 estimated)"),
        "{err}"
    );
    assert!(
        err.contains(
            "matched 2 of 4 listed tests to timings (50.0%); unmatched examples: \
             app.Alpha::brand_new, app.Delta::also_new; timings for 4 tests no longer listed"
        ),
        "{err}"
    );
}

#[test]
fn tests_from_a_file_and_a_missing_one() {
    let dir = small_suite();
    fs::write(
        dir.path().join("tests.txt"),
        "app.Gamma::quick\napp.Gamma::quicker\n",
    )
    .unwrap();
    let out = shardplan_in(
        dir.path(),
        &shard_args("2", "1", &["--tests-from", "tests.txt"]),
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "app.Gamma::quicker\n");

    let missing = shardplan_in(
        dir.path(),
        &shard_args("2", "1", &["--tests-from", "gone.txt"]),
        "",
    );
    assert_eq!(missing.status.code(), Some(1));
    assert_stderr_contains(&missing, "gone.txt: cannot read the test list");
}

#[test]
fn without_a_test_list_the_risk_of_new_tests_is_said() {
    let dir = small_suite();
    let out = shardplan_in(dir.path(), &shard_args("2", "0", &[]), "");
    // Plain ids cannot exclude, so the catch-all cannot help: every shard says so.
    assert_stderr_contains(
        &out,
        "a test added since the timings were recorded runs on NO shard",
    );
    let out = shardplan_in(dir.path(), &shard_args("2", "0", &["--no-catch-all"]), "");
    assert_stderr_contains(&out, "a test added since they were recorded is on no shard");
}

#[test]
fn more_shards_than_tests_leaves_a_clearly_empty_shard() {
    let dir = small_suite();
    let out = shardplan_in(dir.path(), &shard_args("8", "7", &[]), "");
    assert!(out.status.success());
    assert_eq!(stdout(&out), "");
    assert_stderr_contains(&out, "shard 7 has nothing to run: 6 items for 8 shards");
}

#[test]
fn nothing_to_plan_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = shardplan_in(dir.path(), &["--shards", "2", "--index", "0"], "");
    assert_eq!(out.status.code(), Some(1));
    assert_stderr_contains(&out, "nothing to plan");
}

#[test]
fn class_granularity_keeps_a_class_together() {
    let dir = small_suite();
    let (plan, _) = json_plan_in(
        dir.path(),
        &[
            "--shards",
            "2",
            "--json",
            "--by",
            "class",
            "--timings",
            "report.xml",
        ],
        "",
    );
    let shards = plan["shards"].as_array().unwrap();
    let keys: Vec<Vec<String>> = (0..shards.len())
        .map(|shard| shard_items(&plan, shard))
        .collect();
    // Alpha 6.5 s, Beta 5.5 s, Gamma 1.25 s.
    assert_eq!(keys, vec![vec!["app.Alpha"], vec!["app.Beta", "app.Gamma"]]);
    assert_eq!(shards[1]["test_count"], 4);
}

#[test]
fn bundled_example_runs() {
    let out = shardplan(
        &[
            "--shards",
            "4",
            "--index",
            "0",
            "--timings",
            "fixtures/junit/**/*.xml",
            "--runner",
            "pytest",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let ids = stdout(&out);
    assert!(!ids.is_empty());
    assert!(ids.lines().all(|l| l.contains(".py::")), "{ids}");
}

/// Issue 15, first contact: a first run with a test list and no reports
/// says so plainly and plans by count, with no "ONLY 0.0% MATCHED" alarm.
#[test]
fn a_first_run_without_reports_plans_by_count_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("tests.txt"),
        "tests/a.py::t1\ntests/a.py::t2\ntests/b.py::t3\n",
    )
    .unwrap();
    let args = [
        "--shards",
        "2",
        "--index",
        "0",
        "--tests-from",
        "tests.txt",
        "--runner",
        "pytest",
    ];
    let out = shardplan_in(dir.path(), &args, "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("no timing reports yet (a first run?)"),
        "{err}"
    );
    assert!(err.contains("split by count"), "{err}");
    assert!(!err.contains("MATCHED"), "{err}");
    assert!(!err.contains("warning"), "{err}");
}

/// Issue 15, first contact: reports that clearly come from pytest, planned
/// with the default --runner plain, get a hint naming --runner pytest.
#[test]
fn forgetting_the_runner_suggests_the_reports_one() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("junit.xml"),
        r#"<testsuites><testsuite name="pytest" tests="2">
<testcase classname="tests.test_a" name="test_x" file="tests/test_a.py" time="1.0"/>
<testcase classname="tests.test_a" name="test_y" file="tests/test_a.py" time="2.0"/>
</testsuite></testsuites>"#,
    )
    .unwrap();
    let plain = ["--shards", "2", "--index", "0", "--timings", "junit.xml"];
    let err = stderr(&shardplan_in(dir.path(), &plain, ""));
    assert!(err.contains("pass --runner pytest"), "{err}");
    let mut named = plain.to_vec();
    named.extend(["--runner", "pytest"]);
    let err = stderr(&shardplan_in(dir.path(), &named, ""));
    assert!(!err.contains("pass --runner"), "{err}");
}

/// Issue 15, first contact: jest-junit reports without file paths name
/// the fix (addFileAttribute=true) even with --quiet, as a warning.
#[test]
fn jest_reports_without_paths_name_the_fix_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("junit.xml"),
        r#"<testsuites name="jest tests"><testsuite name="adds" tests="1">
<testcase classname="math adds" name="math adds one" time="0.5"/>
</testsuite></testsuites>"#,
    )
    .unwrap();
    for command in [
        vec!["--shards", "2", "--index", "0", "--quiet"],
        vec!["plan", "--shards", "2", "--quiet"],
        vec!["whatif", "--shards", "1..2", "--quiet"],
    ] {
        let mut args = command.clone();
        args.extend(["--timings", "junit.xml", "--runner", "jest"]);
        let err = stderr(&shardplan_in(dir.path(), &args, ""));
        assert!(err.contains("addFileAttribute=true"), "{args:?}: {err}");
    }
}

/// Issue 15, first contact: an unquoted glob the shell expanded reaches
/// shardplan as several words; the usage error says to quote it.
#[test]
fn a_glob_the_shell_expanded_gets_a_hint_to_quote_it() {
    let dir = small_suite();
    fs::copy(dir.path().join("report.xml"), dir.path().join("other.xml")).unwrap();
    let args = [
        "--shards",
        "2",
        "--index",
        "0",
        "--timings",
        "other.xml",
        "report.xml",
    ];
    let out = shardplan_in(dir.path(), &args, "");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("Quote it (e.g. --timings '*.xml')"), "{err}");
}

#[test]
fn a_runner_that_cannot_catch_all_is_not_said_to() {
    // --runner plain prints ids: its last shard warns that it cannot be
    // the catch-all, and no line says it also runs every other test.
    let root = common::root();
    let args = [
        "--shards",
        "2",
        "--index",
        "1",
        "--timings",
        "fixtures/junit/surefire",
    ];
    let (_, err) = common::ok_in(&root, &args);
    assert!(err.contains("so shard 1 cannot be the catch-all"), "{err}");
    assert!(!err.contains("catch-all: shard 1 also runs"), "{err}");
    // Nor does the job summary's table.
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let summary_args = [
        "--summary",
        "markdown",
        "--summary-file",
        summary.to_str().unwrap(),
    ];
    common::ok_in(&root, &[&args[..], &summary_args[..]].concat());
    let table = fs::read_to_string(&summary).unwrap();
    assert!(table.contains("| 1 "), "{table}");
    assert!(!table.contains("catch-all"), "{table}");
    // Shard 0 repeats the warning, and says nothing of a catch-all either.
    let (_, err) = common::ok_in(
        &root,
        &[
            "--shards",
            "2",
            "--index",
            "0",
            "--timings",
            "fixtures/junit/surefire",
        ],
    );
    assert!(err.contains("so shard 1 cannot be the catch-all"), "{err}");
    assert!(
        !err.contains("also runs every test not in the plan"),
        "{err}"
    );
    // A runner that can says so.
    let (_, err) = common::ok_in(&root, &[&args[..], &["--runner", "maven"]].concat());
    assert!(
        err.contains("catch-all: shard 1 also runs every test not in the plan"),
        "{err}"
    );
    // So does select, from a frozen plan.
    let dir = tempfile::tempdir().unwrap();
    let plan = &surefire_plan(&root, dir.path());
    let (_, err) = common::ok_in(&root, &["select", "--plan", plan, "--index", "1"]);
    assert!(err.contains("so shard 1 cannot be the catch-all"), "{err}");
    assert!(
        !err.contains("also runs every test not in the plan"),
        "{err}"
    );
}

#[test]
fn the_fingerprint_tells_plans_with_and_without_a_catch_all_apart() {
    // The same timings and tests, planned alike: only the catch-all
    // differs, and with it what the last shard runs.
    let root = common::root();
    let base = [
        "--shards",
        "2",
        "--json",
        "-q",
        "--runner",
        "maven",
        "--timings",
        "fixtures/junit/surefire",
    ];
    let fingerprint = |extra: &[&str]| -> String {
        let (out, _) = common::ok_in(&root, &[&base[..], extra].concat());
        let doc: Value = serde_json::from_str(&out).unwrap();
        doc["fingerprint"].as_str().unwrap().to_string()
    };
    let with = fingerprint(&[]);
    assert_eq!(with, fingerprint(&["--catch-all"]));
    assert_ne!(with, fingerprint(&["--no-catch-all"]));
}

#[test]
fn a_subcommand_usage_error_shows_that_subcommand_usage() {
    let root = common::root();
    let dir = tempfile::tempdir().unwrap();
    let plan = &surefire_plan(&root, dir.path());
    let out = common::shardplan_in(&root, &["select", "--plan", plan, "--index", "9"], "");
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(
        err.contains("--index 9 is out of range for the plan's 2 shards"),
        "{err}"
    );
    assert!(err.contains("Usage: shardplan select "), "{err}");
    // Planning itself keeps the top-level usage.
    let out = common::shardplan_in(
        &root,
        &[
            "--shards",
            "2",
            "--index",
            "5",
            "--timings",
            "fixtures/junit/surefire",
        ],
        "",
    );
    assert!(
        common::stderr(&out).contains("Usage: shardplan [OPTIONS]"),
        "{}",
        common::stderr(&out)
    );
}

/// The frozen plan of the surefire fixture on 2 shards, written into
/// `dir`; its path.
fn surefire_plan(root: &std::path::Path, dir: &std::path::Path) -> String {
    let plan = dir.join("plan.json").to_str().unwrap().to_string();
    common::ok_in(
        root,
        &[
            "plan",
            "--shards",
            "2",
            "--timings",
            "fixtures/junit/surefire",
            "-q",
            "-o",
            &plan,
        ],
    );
    plan
}
