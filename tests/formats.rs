//! Every input format through the built binary, on the fixtures of
//! `fixtures/reports/`: detection, identity (`--root`, drive letters,
//! alternative names), `--format`, and the match report.

mod common;

use std::collections::BTreeSet;
use std::fs;

use common::{assert_stderr_contains, json_plan_in, plan_items, shardplan};
use serde_json::Value;

const REPORTS: &str = "fixtures/reports";

/// Plans `shards` shards of `report` (with `extra` arguments) as `--json`
/// in the repository root; returns the plan and stderr, asserting success.
fn planned(shards: &str, report: &str, extra: &[&str], stdin: &str) -> (Value, String) {
    let mut args = vec!["--shards", shards, "--json", "--timings", report];
    args.extend_from_slice(extra);
    json_plan_in(&common::root(), &args, stdin)
}

#[test]
fn go_json_plans_top_level_tests_once() {
    let report = format!("{REPORTS}/go-json/go-test-mixed.json");
    let (plan, err) = planned("3", &report, &["--runner", "go"], "");
    let expected: BTreeSet<String> = [
        "calc.TestAddSmoke",
        "calc.TestAdd",
        "calc.TestDiv",
        "calc.TestHeavyFactorial",
        "text.TestReverse",
        "text.TestÜbersetzung",
        "text.TestHeavyScan",
        "text.TestEmpty",
        "edge.TestSkipped",
        "edge.TestFails",
        "edge.TestParent",
    ]
    .iter()
    .map(|t| format!("example.com/shardsuite/{t}"))
    .collect();
    assert_eq!(plan_items(&plan), expected);
    // The skipped test costs what its skip took (issue 11: not its
    // siblings' median); the build failure is not a test.
    assert_eq!(plan["tests_with_timings"], 11, "{err}");
    // -count=2: every test ran twice and is planned once.
    let report = format!("{REPORTS}/go-json/go-test-count2.json");
    let (plan, _) = planned("2", &report, &["--runner", "go"], "");
    assert_eq!(plan["tests_planned"], 8);
}

#[test]
fn pytest_split_durations_match_the_collected_ids() {
    let listing =
        fs::read_to_string(common::root().join(format!("{REPORTS}/pytest-split/collect-only.txt")))
            .unwrap();
    for report in [".test_durations", "../ctrf/pytest-ctrf.json"] {
        let report = format!("{REPORTS}/pytest-split/{report}");
        let (plan, err) = planned(
            "4",
            &report,
            &["--runner", "pytest", "--tests-from", "-"],
            &listing,
        );
        assert_eq!(plan["tests_planned"], 20, "{report}");
        assert_eq!(plan["tests_with_timings"], 20, "{report}");
        assert!(
            err.contains("matched 20 of 20 listed tests to timings (100.0%); timings for 0 tests no longer listed"),
            "{report}: {err}"
        );
    }
    // The legacy list of pairs holds 6 of them.
    let report = format!("{REPORTS}/pytest-split/legacy-pairs.test_durations");
    let (plan, err) = planned(
        "2",
        &report,
        &["--runner", "pytest", "--tests-from", "-"],
        &listing,
    );
    assert_eq!(plan["tests_with_timings"], 6);
    assert!(
        err.contains("matched 6 of 20 listed tests to timings (30.0%); unmatched examples: "),
        "{err}"
    );
    assert!(
        err.contains("ONLY 30.0% OF THE LISTED TESTS MATCHED A TIMING (below --min-match 50%)"),
        "{err}"
    );
    let (_, err) = planned(
        "2",
        &report,
        &[
            "--runner",
            "pytest",
            "--tests-from",
            "-",
            "--min-match",
            "25",
        ],
        &listing,
    );
    assert!(!err.contains("ONLY"), "{err}");
}

#[test]
fn ctrf_paths_are_made_relative_to_the_root() {
    // jest-ctrf-json-reporter wrote absolute paths under /home/ci/shardsuite.
    let report = format!("{REPORTS}/ctrf/jest-ctrf.json");
    let listing = "tests/math.test.js\ntests/strings.test.js\n";
    let args = ["--runner", "jest", "--tests-from", "-"];
    let (plan, err) = planned("2", &report, &args, listing);
    assert_eq!(plan["tests_with_timings"], 0);
    // Jest's unit is the file: the summary counts files, not tests.
    assert!(err.contains("shardplan: 2 test files planned ("), "{err}");
    assert!(err.contains("matched 0 of 2 listed test files to timings (0.0%); unmatched examples: tests/math.test.js, tests/strings.test.js; timings for 2 test files no longer listed"), "{err}");
    assert!(
        err.contains("ONLY 0.0% OF THE LISTED TEST FILES MATCHED"),
        "{err}"
    );
    let mut rooted = args.to_vec();
    rooted.extend(["--root", "/home/ci/shardsuite"]);
    let (plan, err) = planned("2", &report, &rooted, listing);
    assert_eq!(plan["tests_with_timings"], 2, "{err}");
    assert!(err.contains("(100.0%)"), "{err}");
    // Lenient CTRF: no reportFormat, fractional milliseconds.
    let report = format!("{REPORTS}/ctrf/vitest-ctrf-legacy.json");
    let (plan, _) = planned("1", &report, &["--runner", "jest"], "");
    assert_eq!(
        plan_items(&plan),
        BTreeSet::from([
            "src/math.test.ts".to_string(),
            "src/strings.test.ts".to_string()
        ])
    );
}

#[test]
fn trx_identity_from_test_methods_without_inner_results() {
    let (plan, _) = planned("1", &format!("{REPORTS}/trx"), &[], "");
    let expected: BTreeSet<String> = [
        "Shard.Suite.Tests.CalculatorTests::Adds",
        "Shard.Suite.Tests.CalculatorTests::DividesRows",
        "Shard.Suite.Tests.CalculatorTests::Overflows",
        "Shard.Suite.Tests.StorageTests::NeedsDatabase",
        "Shard.Suite.Tests.StorageTests::HeavyImport",
        "Shard.Text.Tests.ReverseTests::Reverses",
        "Shard.Text.Tests.NumberTests::Theory_With_Custom_Name",
        "Shard.Text.Tests.ScanTests::HeavyScan",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(plan_items(&plan), expected);
    // DividesRows is 1.5 s, not 1.5 s plus its three 0.5 s rows.
    let (plan, _) = planned(
        "1",
        &format!("{REPORTS}/trx/mstest-inner-results.trx"),
        &[],
        "",
    );
    // 0.250 + 1.5 + 0.031 + 3.9 measured; NeedsDatabase (not run) estimated
    // as the median of the class siblings is not available: file median.
    assert_eq!(plan["tests_with_timings"], 4);
    let measured = 0.250_312 + 1.5 + 0.0312 + 3.9;
    let total = plan["total_seconds"].as_f64().unwrap();
    assert!(total > measured && total < measured + 4.0, "{total}");
}

#[test]
fn file_level_formats_plan_files() {
    let knapsack = format!("{REPORTS}/knapsack/knapsack_rspec_report.json");
    let (plan, _) = planned("1", &knapsack, &[], "");
    assert!(
        plan_items(&plan).contains("spec/lib/money_spec.rb"),
        "{plan}"
    );
    assert_eq!(plan["tests_planned"], 6);
    assert_eq!(plan["total_seconds"], 49.9884);
    let queue = format!("{REPORTS}/knapsack/queue-subset.json");
    let (plan, _) = planned("1", &queue, &[], "");
    assert!(
        plan_items(&plan).contains("spec/requests/api/v1/orders_spec.rb[1:2]"),
        "{plan}"
    );
    let log = format!("{REPORTS}/parallel-tests/parallel_runtime_rspec.log");
    let (plan, _) = planned("1", &log, &[], "");
    // spec/models/user_spec.rb is listed twice (two workers): one test.
    assert_eq!(plan["tests_planned"], 6);
    assert_eq!(
        plan["total_seconds"],
        31.498_114 + 12.8391 + 4.2557 + 1.0023 + 0.4127 + 0.0239
    );
}

#[test]
fn junit_dialects_are_read() {
    let dir = format!("{REPORTS}/junit");
    let (plan, _) = planned("1", &dir, &[], "");
    let tests = plan_items(&plan);
    // PHPUnit data-provider suites nest inside the class suite.
    assert!(
        tests.contains("Shard.Tests.CalculatorTest::testDivide with data set \"by zero\""),
        "{tests:?}"
    );
    // UTF-16 with BOM.
    assert!(
        tests.contains("keeps naïve 日本語 names::encodings keeps naïve 日本語 names"),
        "{tests:?}"
    );
    // Playwright's two projects run the same three tests.
    assert_eq!(
        tests
            .iter()
            .filter(|t| t.starts_with("auth.spec.ts::"))
            .count(),
        3
    );
    // Gradle's rerun and Surefire's flaky reruns are one test each.
    assert_eq!(
        tests
            .iter()
            .filter(|t| t.ends_with("::connectsToService()"))
            .count(),
        1
    );
    assert_eq!(plan["tests_planned"], 5 + 2 + 3 + 3 + 3);
}

#[test]
fn root_strips_absolute_and_drive_letter_paths() {
    let phpunit = format!("{REPORTS}/junit/phpunit-nested.xml");
    let (plan, _) = planned(
        "1",
        &phpunit,
        &["--by", "file", "--root", "/var/www/app/"],
        "",
    );
    assert_eq!(
        plan_items(&plan),
        BTreeSet::from(["tests/CalculatorTest.php".to_string()])
    );
    // Mocha wrote `C:\build\shard\test\…`; the root is given another way.
    let utf16 = format!("{REPORTS}/junit/utf16-bom.xml");
    let (plan, _) = planned(
        "1",
        &utf16,
        &["--by", "file", "--root", "c:/build/shard"],
        "",
    );
    assert_eq!(
        plan_items(&plan),
        BTreeSet::from(["test/encodings.spec.js".to_string()])
    );
}

#[test]
fn xunit2_classnames_match_listed_node_ids() {
    // pytest xunit2 (no `file`): a directory with a capital letter makes the
    // path guess from the classname wrong; the listing puts it right.
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("junit.xml");
    fs::write(
        &report,
        r#"<testsuites name="pytest tests"><testsuite name="pytest">
<testcase classname="tests.MyPkg.test_x.TestA" name="test_a[1]" time="2.5"/>
<testcase classname="tests.MyPkg.test_x.TestA" name="test_b" time="0.5"/>
<testcase classname="tests.test_y" name="test_c" time="1.0"/>
</testsuite></testsuites>"#,
    )
    .unwrap();
    let listing = "tests/MyPkg/test_x.py::TestA::test_a[1]\ntests/MyPkg/test_x.py::TestA::test_b\ntests/test_y.py::test_c\ntests/test_y.py::test_new\n";
    let (plan, err) = planned(
        "2",
        report.to_str().unwrap(),
        &["--runner", "pytest", "--tests-from", "-"],
        listing,
    );
    assert_eq!(plan["tests_with_timings"], 3);
    assert!(
        err.contains("matched 3 of 4 listed tests to timings (75.0%) (2 by an alternative name, 0 ambiguous); unmatched examples: tests/test_y.py::test_new; timings for 0 tests no longer listed"),
        "{err}"
    );
}

#[test]
fn format_can_be_forced() {
    let durations = format!("{REPORTS}/pytest-split/.test_durations");
    // Read as Knapsack, the node ids become files of another runner.
    let out = shardplan(
        &[
            "--shards",
            "1",
            "--index",
            "0",
            "--runner",
            "pytest",
            "--format",
            "knapsack",
            "--timings",
            &durations,
        ],
        "",
    );
    assert_stderr_contains(&out, "none written for --runner pytest");
    // A format that does not fit is an error naming the file and place.
    let out = shardplan(
        &[
            "--shards",
            "1",
            "--index",
            "0",
            "--format",
            "parallel-tests",
            "--timings",
            &durations,
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_stderr_contains(
        &out,
        &format!("{durations}:1:1: parallel-tests report: expected `path:seconds`"),
    );
    let out = shardplan(
        &[
            "--shards",
            "1",
            "--index",
            "0",
            "--format",
            "yaml",
            "--timings",
            &durations,
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn malformed_json_is_named_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("knapsack_rspec_report.json");
    fs::write(
        &bad,
        "{\n  \"spec/a_spec.rb\": 1.5,\n  \"spec/b_spec.rb\": oops\n}\n",
    )
    .unwrap();
    let out = shardplan(
        &[
            "--shards",
            "1",
            "--index",
            "0",
            "--timings",
            bad.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_stderr_contains(
        &out,
        &format!(
            "{}:3:21: knapsack report: malformed JSON: expected value",
            bad.display()
        ),
    );
}

#[test]
fn jest_junit_defaults_say_what_is_missing() {
    // jest-junit's defaults: classname == name == describe titles, no path.
    let (plan, err) = planned(
        "2",
        "fixtures/junit/jest/jest-junit-defaults.xml",
        &["--runner", "jest", "--tests-from", "-"],
        "tests/math.test.js\ntests/strings.test.js\n",
    );
    assert_eq!(plan["tests_with_timings"], 0);
    assert!(
        err.contains("ONLY 0.0% OF THE LISTED TEST FILES MATCHED A TIMING"),
        "{err}"
    );
    assert!(
        err.contains("ignored 15 cases the runner cannot select on their own (no test file path in the report"),
        "{err}"
    );
    assert!(err.contains("addFileAttribute=true"), "{err}");
}

#[test]
fn junit5_nested_classes_match_dotted_listings() {
    // Surefire writes `Outer$Inner`; a listing from the sources has dots.
    let listing = "com.example.shardsuite.CalculatorTest.WhenDividing::dividesEvenly\n\
                   com.example.shardsuite.CalculatorTest.WhenDividing.WithRounding::roundsHalfUp(int, int)[1]\n\
                   com.example.shardsuite.CalculatorTest::addsTwoNumbers\n";
    let (plan, err) = planned(
        "1",
        "fixtures/junit/surefire",
        &["--tests-from", "-"],
        listing,
    );
    assert_eq!(plan["tests_with_timings"], 3, "{err}");
    assert!(
        err.contains("matched 3 of 3 listed tests to timings (100.0%) (2 by an alternative name, 0 ambiguous)"),
        "{err}"
    );
}

#[test]
fn playwright_projects_add_up_and_survive_a_history_merge() {
    let report = format!("{REPORTS}/junit/playwright-projects.xml");
    // chromium 3.393 + 2.601 + 2.719 s, firefox 4.102 + 3.780 s (its third
    // test was skipped): each project is a cost of its own, not a rerun.
    let (plan, err) = planned("1", &report, &["--runner", "playwright"], "");
    assert_eq!(plan["total_seconds"], 16.595, "{err}");
    assert_eq!(plan["tests_planned"], 3);

    // Merged into a history: two records per test (one per project), read
    // back to the same total.
    let dir = tempfile::tempdir().unwrap();
    let into = dir.path().join("timings.json");
    let source = common::root().join(&report);
    let out = shardplan(
        &[
            "merge",
            "--into",
            into.to_str().unwrap(),
            source.to_str().unwrap(),
        ],
        "",
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let history: Value = serde_json::from_str(&fs::read_to_string(&into).unwrap()).unwrap();
    let tests = history["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 6, "{history}");
    for variant in ["chromium", "firefox"] {
        let of_variant = tests.iter().filter(|t| t["variant"] == variant).count();
        assert_eq!(of_variant, 3, "{history}");
    }
    let (plan, err) = planned(
        "1",
        into.to_str().unwrap(),
        &["--runner", "playwright", "--concurrency", "1"],
        "",
    );
    assert_eq!(plan["total_seconds"], 16.595, "{err}");
    assert_eq!(plan["tests_planned"], 3);
    // The two projects' suites started 2 ms apart and ran side by side
    // (8.7 s and 7.9 s): the merge learned that from their stamps.
    let (_, err) = planned("1", into.to_str().unwrap(), &["--runner", "playwright"], "");
    assert!(
        err.contains("concurrency ×1.904 (learned from 1 run)"),
        "{err}"
    );
}

/// Issue 11: a go test whose work is all in `t.Parallel` subtests reports
/// Elapsed 0 on its own `pass`; it keeps the subtests' time (its span from
/// `run` to `pass`), and the package's setup is only what really is setup,
/// so the shard with the package's other test does not carry the 42s.
#[test]
fn a_go_test_keeps_the_time_of_its_parallel_subtests() {
    let dir = tempfile::tempdir().unwrap();
    let events = [
        r#"{"Time":"2025-01-01T00:00:00Z","Action":"run","Package":"ex/p","Test":"TestFanOut"}"#,
        r#"{"Time":"2025-01-01T00:00:00Z","Action":"run","Package":"ex/p","Test":"TestFanOut/a"}"#,
        r#"{"Time":"2025-01-01T00:00:00Z","Action":"pause","Package":"ex/p","Test":"TestFanOut/a"}"#,
        r#"{"Time":"2025-01-01T00:00:00Z","Action":"cont","Package":"ex/p","Test":"TestFanOut/a"}"#,
        r#"{"Time":"2025-01-01T00:00:42Z","Action":"pass","Package":"ex/p","Test":"TestFanOut/a","Elapsed":42}"#,
        r#"{"Time":"2025-01-01T00:00:42Z","Action":"pass","Package":"ex/p","Test":"TestFanOut","Elapsed":0}"#,
        r#"{"Time":"2025-01-01T00:00:42Z","Action":"run","Package":"ex/p","Test":"TestQuick"}"#,
        r#"{"Time":"2025-01-01T00:00:43Z","Action":"pass","Package":"ex/p","Test":"TestQuick","Elapsed":1}"#,
        r#"{"Time":"2025-01-01T00:00:43.5Z","Action":"pass","Package":"ex/p","Elapsed":43.5}"#,
    ];
    let report = dir.path().join("go.json");
    fs::write(&report, events.join("\n") + "\n").unwrap();
    let args = [
        "--shards",
        "2",
        "--json",
        "--runner",
        "go",
        "--timings",
        report.to_str().unwrap(),
    ];
    let (plan, err) = common::json_plan_in(dir.path(), &args, "");
    let shard_of = |test: &str| common::shard_with(&plan, test).clone();
    let fan_out = shard_of("TestFanOut")["predicted_seconds"]
        .as_f64()
        .unwrap();
    let quick = shard_of("TestQuick")["predicted_seconds"].as_f64().unwrap();
    // 42s + 0.5s setup, and 1s + 0.5s setup: not 42.5s on both.
    assert!((fan_out - 42.5).abs() < 0.01, "{fan_out} {err}");
    assert!((quick - 1.5).abs() < 0.01, "{quick} {err}");
}

#[test]
fn file_unit_runners_count_test_files_in_whatif_and_the_job_summary() {
    // jest's ids are files: two files, five test cases.
    let root = common::root();
    let report = "fixtures/junit/jest/jest-junit-file-attr.xml";
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let (_, err) = common::ok_in(
        &root,
        &[
            "--shards",
            "2",
            "--index",
            "0",
            "--runner",
            "jest",
            "--timings",
            report,
            "--summary",
            "markdown",
            "--summary-file",
            summary.to_str().unwrap(),
        ],
    );
    assert!(err.contains(" 2 test files planned ("), "{err}");
    let table = std::fs::read_to_string(&summary).unwrap();
    assert!(table.contains("| test files |"), "{table}");
    assert!(table.contains("2 test files, runner `jest`"), "{table}");
    let (heading, _) = common::ok_in(
        &root,
        &[
            "whatif",
            "--runner",
            "jest",
            "--timings",
            report,
            "--shards",
            "1..2",
            "-q",
        ],
    );
    assert!(heading.starts_with("2 test files, "), "{heading}");
    let (explained, _) = common::ok_in(
        &root,
        &[
            "explain",
            "--shards",
            "2",
            "--runner",
            "jest",
            "--timings",
            report,
        ],
    );
    assert_eq!(
        explained.matches("     1 test file").count(),
        2,
        "{explained}"
    );
}
