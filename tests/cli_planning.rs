//! Planning options through the built binary: algorithms, the cost model
//! (shard overhead, group setups measured or given, splitting large files)
//! and sticky plans.

mod common;

use std::fs;
use std::path::Path;

use common::{
    assert_stderr_contains, json_plan_in, shard_args, shard_items, shardplan_in, stderr, stdout,
};
use serde_json::Value;

/// One file of a report: its path, its setup in seconds, and its tests
/// with their seconds.
type File<'a> = (&'a str, f64, &'a [(&'a str, f64)]);

/// A JUnit report with one suite per file; each suite's time is its cases'
/// sum plus the file's setup.
fn report(files: &[File<'_>]) -> String {
    let mut xml = String::from("<testsuites>\n");
    for (path, setup, cases) in files {
        let total: f64 = cases.iter().map(|c| c.1).sum::<f64>() + setup;
        xml += &format!("<testsuite name=\"{path}\" time=\"{total:.3}\">\n");
        // pytest writes the module as a dotted classname.
        let module = path.trim_end_matches(".py");
        for (name, seconds) in *cases {
            xml += &format!(
                "<testcase classname=\"{module}\" name=\"{name}\" file=\"{path}\" time=\"{seconds:.3}\"/>\n"
            );
        }
        xml += "</testsuite>\n";
    }
    xml + "</testsuites>\n"
}

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).unwrap();
}

/// The plan of `report.xml` in `dir` with `args`, as `--json` prints it.
fn json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json", "--quiet", "--timings", "report.xml"];
    all.extend_from_slice(args);
    json_plan_in(dir, &all, "").0
}

/// Ten files of one test each: 8, 7, 6, 5, 4 seconds twice over, no setup.
fn coarse() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..10).map(|i| format!("f{i}.py")).collect();
    let secs = [8.0, 7.0, 6.0, 5.0, 4.0, 8.0, 7.0, 6.0, 5.0, 4.0];
    let cases: Vec<[(&str, f64); 1]> = secs.iter().map(|&s| [("t", s)]).collect();
    let files: Vec<File<'_>> = names
        .iter()
        .zip(&cases)
        .map(|(n, c)| (n.as_str(), 0.0, &c[..]))
        .collect();
    write(dir.path(), "report.xml", &report(&files));
    dir
}

#[test]
fn best_is_the_default_and_reaches_what_lpt_misses() {
    let dir = coarse();
    // LPT on 8,8,7,7,6,6,5,5,4,4 into 4 shards ends 17, 17, 13, 13; the
    // bound is 60/4 = 15 and best reaches it (8+7, 8+7, 6+5+4, 6+5+4).
    let lpt = json(
        dir.path(),
        &["--shards", "4", "--algorithm", "lpt", "--by", "file"],
    );
    let best = json(dir.path(), &["--shards", "4", "--by", "file"]);
    assert_eq!(best["algorithm"], "best");
    assert_eq!(best["lower_bound_seconds"], 15.0);
    assert_eq!(best["makespan_seconds"], 15.0);
    assert_eq!(best["gap"], 0.0);
    assert!(lpt["makespan_seconds"].as_f64().unwrap() > 15.0, "{lpt}");
    assert!(lpt["gap"].as_f64().unwrap() > 0.0);
    assert_eq!(best["lower_bound_reason"], "total/N");
}

#[test]
fn ilp_keeps_every_item_once_and_refuses_big_models_clearly() {
    let dir = coarse();
    let plan = json(
        dir.path(),
        &[
            "--shards",
            "4",
            "--by",
            "file",
            "--algorithm",
            "ilp",
            "--ilp-nodes",
            "200",
        ],
    );
    assert_eq!(plan["makespan_seconds"], 15.0);
    let count: usize = (0..4).map(|s| shard_items(&plan, s).len()).sum();
    assert_eq!(count, 10);

    let big = tempfile::tempdir().unwrap();
    let cases: Vec<(String, f64)> = (0..1200)
        .map(|i| (format!("t{i}"), 1.0 + i as f64))
        .collect();
    let refs: Vec<(&str, f64)> = cases.iter().map(|(n, s)| (n.as_str(), *s)).collect();
    write(big.path(), "report.xml", &report(&[("big.py", 0.0, &refs)]));
    let out = shardplan_in(
        big.path(),
        &shard_args("8", "0", &["--algorithm", "ilp"]),
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert_stderr_contains(&out, "--algorithm best");
}

#[test]
fn shard_overhead_is_in_every_prediction_and_the_bound() {
    let dir = coarse();
    let plan = json(
        dir.path(),
        &["--shards", "4", "--by", "file", "--shard-overhead", "1m30s"],
    );
    assert_eq!(plan["shard_overhead_seconds"], 90.0);
    assert_eq!(plan["lower_bound_seconds"], 105.0);
    assert_eq!(plan["makespan_seconds"], 105.0);
    for shard in plan["shards"].as_array().unwrap() {
        assert!(shard["predicted_seconds"].as_f64().unwrap() >= 90.0);
    }
    let out = shardplan_in(
        dir.path(),
        &shard_args("4", "0", &["--shard-overhead", "90s"]),
        "",
    );
    assert_stderr_contains(&out, "predictions include 1m30s per shard");
}

#[test]
fn bad_durations_and_fractions_are_usage_errors() {
    let dir = coarse();
    for args in [
        &["--shard-overhead", "soon"][..],
        &["--group-overhead", "-1s"],
        &["--previous", "x.json", "--max-churn", "2"],
        &["--max-churn", "0.5"],
    ] {
        let out = shardplan_in(dir.path(), &shard_args("2", "0", args), "");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

/// Two files whose suites took 10 s more than their tests (imports), and
/// one without overhead.
fn with_setups() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let a: &[(&str, f64)] = &[("a1", 5.0), ("a2", 5.0), ("a3", 5.0), ("a4", 5.0)];
    let b: &[(&str, f64)] = &[("b1", 5.0), ("b2", 5.0), ("b3", 5.0), ("b4", 5.0)];
    let c: &[(&str, f64)] = &[("c1", 1.0)];
    write(
        dir.path(),
        "report.xml",
        &report(&[("a.py", 10.0, a), ("b.py", 10.0, b), ("c.py", 0.0, c)]),
    );
    dir
}

#[test]
fn measured_setups_keep_files_together_and_are_predicted() {
    let dir = with_setups();
    // Two shards: a.py and b.py each cost 20 s of tests plus 10 s setup.
    // Test by test without setups, each shard would get half of each file
    // and really pay both imports: 40 s, not the 30 s of whole files.
    let plan = json(dir.path(), &["--shards", "2"]);
    assert_eq!(plan["setup_seconds"], 20.0);
    let zero = shard_items(&plan, 0);
    let one = shard_items(&plan, 1);
    let files = |tests: &[String]| {
        let mut files: Vec<char> = tests.iter().map(|t| t.chars().next().unwrap()).collect();
        files.dedup();
        files
    };
    assert_eq!(
        files(&zero).len() + files(&one).len(),
        3,
        "{zero:?} {one:?}"
    );
    assert_eq!(plan["makespan_seconds"], 31.0);
    // The flag adds to what the reports measured, for every group.
    let more = json(dir.path(), &["--shards", "2", "--group-overhead", "2s"]);
    assert_eq!(more["setup_seconds"], 26.0);
}

#[test]
fn group_overhead_splits_only_where_it_pays() {
    let dir = tempfile::tempdir().unwrap();
    // One file of four 5 s tests and no measured setup.
    let a: &[(&str, f64)] = &[("a1", 5.0), ("a2", 5.0), ("a3", 5.0), ("a4", 5.0)];
    write(dir.path(), "report.xml", &report(&[("a.py", 0.0, a)]));
    // A 1 s import: splitting 2 + 2 over two shards pays (11 s < 21 s).
    let plan = json(dir.path(), &["--shards", "2", "--group-overhead", "1s"]);
    assert_eq!(plan["makespan_seconds"], 11.0);
    assert_eq!(plan["setup_seconds"], 2.0);
}

#[test]
fn split_large_breaks_an_oversized_file_and_prints_its_tests() {
    let dir = tempfile::tempdir().unwrap();
    let big: &[(&str, f64)] = &[("b1", 10.0), ("b2", 10.0), ("b3", 10.0), ("b4", 10.0)];
    let small: &[(&str, f64)] = &[("s1", 3.0)];
    let tiny: &[(&str, f64)] = &[("t1", 2.0)];
    write(
        dir.path(),
        "report.xml",
        &report(&[
            ("big.py", 1.0, big),
            ("small.py", 0.0, small),
            ("tiny.py", 0.0, tiny),
        ]),
    );
    let whole = json(dir.path(), &["--shards", "2", "--by", "file"]);
    assert_eq!(whole["makespan_seconds"], 41.0);
    let split = json(
        dir.path(),
        &["--shards", "2", "--by", "file", "--split-large"],
    );
    // big.py's tests spread, each shard paying its 1 s setup: 21 | 26.
    let all: Vec<String> = (0..2).flat_map(|s| shard_items(&split, s)).collect();
    assert!(all.contains(&"small.py".to_string()), "{all:?}");
    assert!(all.contains(&"big::b1".to_string()), "{all:?}");
    assert_eq!(all.len(), 6);
    assert!(
        split["makespan_seconds"].as_f64().unwrap() <= 26.0,
        "{split}"
    );

    // The shard prints whole files as files and split tests as tests.
    let mut printed = Vec::new();
    for index in ["0", "1"] {
        let args = [
            "--by",
            "file",
            "--split-large",
            "--runner",
            "pytest",
            // The selection itself, not the last shard's catch-all form.
            "--no-catch-all",
        ];
        let out = shardplan_in(dir.path(), &shard_args("2", index, &args), "");
        assert!(out.status.success(), "{}", stderr(&out));
        printed.extend(stdout(&out).lines().map(str::to_string));
    }
    printed.sort();
    assert_eq!(
        printed,
        [
            "big.py::b1",
            "big.py::b2",
            "big.py::b3",
            "big.py::b4",
            "small.py",
            "tiny.py"
        ]
    );
}

#[test]
fn previous_plans_stick_and_move_only_what_pays() {
    let dir = coarse();
    let first = shardplan_in(
        dir.path(),
        &[
            "--shards",
            "4",
            "--json",
            "--quiet",
            "--timings",
            "report.xml",
            "--by",
            "file",
        ],
        "",
    );
    assert!(first.status.success());
    write(dir.path(), "plan.json", &stdout(&first));

    // Same inputs: nothing moves, the plan is the same.
    let again = json(
        dir.path(),
        &["--shards", "4", "--by", "file", "--previous", "plan.json"],
    );
    let before: Value = serde_json::from_str(&stdout(&first)).unwrap();
    assert_eq!(again["shards"], before["shards"]);
    assert_eq!(again["churn"]["moved"], 0);
    assert_eq!(again["churn"]["kept"], 10);

    // A new 8 s file: it is placed, and at most 10% of the old files (1)
    // may move to rebalance.
    let mut xml = fs::read_to_string(dir.path().join("report.xml")).unwrap();
    xml = xml.replace(
        "</testsuites>",
        "<testsuite name=\"new.py\" time=\"8\"><testcase classname=\"new.py\" name=\"t\" file=\"new.py\" time=\"8\"/></testsuite></testsuites>",
    );
    write(dir.path(), "report.xml", &xml);
    let sticky = json(
        dir.path(),
        &["--shards", "4", "--by", "file", "--previous", "plan.json"],
    );
    assert!(sticky["churn"]["moved"].as_u64().unwrap() <= 1, "{sticky}");
    assert_eq!(sticky["churn"]["cap"], 1);
    let total: usize = (0..4).map(|s| shard_items(&sticky, s).len()).sum();
    assert_eq!(total, 11);
    let frozen = json(
        dir.path(),
        &[
            "--shards",
            "4",
            "--by",
            "file",
            "--previous",
            "plan.json",
            "--max-churn",
            "0",
        ],
    );
    assert_eq!(frozen["churn"]["moved"], 0);
    for shard in 0..4 {
        let old = shard_items(&before, shard);
        assert!(old.iter().all(|t| shard_items(&frozen, shard).contains(t)));
    }

    let out = shardplan_in(
        dir.path(),
        &shard_args("4", "0", &["--by", "file", "--previous", "plan.json"]),
        "",
    );
    assert_stderr_contains(&out, "from the previous plan: ");
}

#[test]
fn a_previous_plan_that_does_not_fit_is_an_error() {
    let dir = coarse();
    write(dir.path(), "garbage.json", "{\"not\": \"a plan\"}");
    let out = shardplan_in(
        dir.path(),
        &shard_args("2", "0", &["--previous", "garbage.json"]),
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_stderr_contains(&out, "garbage.json");
    assert_stderr_contains(&out, "not a plan written by shardplan --json");

    let first = shardplan_in(
        dir.path(),
        &[
            "--shards",
            "2",
            "--json",
            "--quiet",
            "--timings",
            "report.xml",
            "--by",
            "file",
        ],
        "",
    );
    write(dir.path(), "plan.json", &stdout(&first));
    let out = shardplan_in(
        dir.path(),
        &shard_args("2", "0", &["--previous", "plan.json"]),
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_stderr_contains(&out, "--by file");

    let out = shardplan_in(
        dir.path(),
        &shard_args(
            "2",
            "0",
            &[
                "--by",
                "file",
                "--previous",
                "plan.json",
                "--algorithm",
                "ilp",
            ],
        ),
        "",
    );
    assert_eq!(out.status.code(), Some(2));
}

/// One package of a go run: its import path, its setup in seconds, and
/// its tests with their seconds.
type Package<'a> = File<'a>;

/// A `go test -json` stream of `packages`, each run alone with its tests
/// one after another.
fn go_stream(packages: &[Package<'_>]) -> String {
    let stamp = |at: f64| format!("2026-12-01T10:00:{at:09.6}Z");
    let mut at = 0.0;
    let mut lines = String::new();
    for (package, setup, tests) in packages {
        let start = at;
        at += setup;
        for (test, seconds) in *tests {
            lines += &format!(
                "{{\"Time\":\"{}\",\"Action\":\"run\",\"Package\":\"{package}\",\"Test\":\"{test}\"}}\n",
                stamp(at)
            );
            at += seconds;
            lines += &format!(
                "{{\"Time\":\"{}\",\"Action\":\"pass\",\"Package\":\"{package}\",\"Test\":\"{test}\",\"Elapsed\":{seconds}}}\n",
                stamp(at)
            );
        }
        lines += &format!(
            "{{\"Time\":\"{}\",\"Action\":\"pass\",\"Package\":\"{package}\",\"Elapsed\":{}}}\n",
            stamp(at),
            at - start
        );
    }
    lines
}

#[test]
fn a_package_whose_tests_outlast_a_shard_is_split_where_one_go_test_runs_it() {
    // Two at a time, ex/long's tests still run one after another: 12 s
    // with its setup, where each of two shards' share of the suite is 6 s
    // (ex/long whole on one, the six others on the other).
    let dir = tempfile::tempdir().unwrap();
    let others: Vec<(String, String)> = ["b", "c", "d", "e", "f", "g"]
        .iter()
        .map(|p| (format!("ex/{p}"), format!("Test{}", p.to_uppercase())))
        .collect();
    let other_tests: Vec<[(&str, f64); 1]> =
        others.iter().map(|(_, t)| [(t.as_str(), 2.0)]).collect();
    let mut packages: Vec<Package<'_>> =
        vec![("ex/long", 2.0, &[("TestSlow", 5.0), ("TestMid", 5.0)])];
    for ((package, _), tests) in others.iter().zip(&other_tests) {
        packages.push((package.as_str(), 0.0, &tests[..]));
    }
    write(dir.path(), "go.json", &go_stream(&packages));
    let listing: String = packages
        .iter()
        .map(|(package, _, tests)| {
            let names: String = tests.iter().map(|(name, _)| format!("{name}\n")).collect();
            format!("{names}ok  \t{package}\t0.01s\n")
        })
        .collect();
    write(dir.path(), "tests.txt", &listing);
    let plan_args = [
        "--shards",
        "2",
        "--runner",
        "go",
        "--timings",
        "go.json",
        "--concurrency",
        "2",
    ];
    let args = [&["--json", "--quiet"][..], &plan_args].concat();
    // With the suite's test list there is no catch-all, and a split
    // package runs in the shard's one `go test`: each shard runs one of
    // ex/long's tests after its setup, 7 s, beside three others.
    let with_list = [&args[..], &["--tests-from", "tests.txt"]].concat();
    let (plan, _) = json_plan_in(dir.path(), &with_list, "");
    assert_eq!(plan["makespan_seconds"], 7.0, "{plan:#}");
    let slow = common::shard_with(&plan, "ex/long.TestSlow");
    let mid = common::shard_with(&plan, "ex/long.TestMid");
    assert_ne!(slow["index"], mid["index"], "{plan:#}");
    // The ILP balances shares, not chains: its answer is relieved too.
    let ilp = [&with_list[..], &["--algorithm", "ilp"]].concat();
    let (plan, _) = json_plan_in(dir.path(), &ilp, "");
    assert_eq!(plan["makespan_seconds"], 7.0, "{plan:#}");
    for index in ["0", "1"] {
        let shard = [
            &plan_args[..],
            &["--tests-from", "tests.txt", "--index", index],
        ]
        .concat();
        let out = shardplan_in(dir.path(), &shard, "");
        let commands = stdout(&out);
        assert_eq!(commands.lines().count(), 1, "one go test: {commands}");
        assert!(commands.contains("ex/long"), "{commands}");
    }
    // With a catch-all, a split package would run in a `go test` of its
    // own, after the shard's others: the package stays whole, and its
    // chain sets the plan.
    let (plan, _) = json_plan_in(dir.path(), &args, "");
    assert_eq!(plan["makespan_seconds"], 12.0, "{plan:#}");
    let slow = common::shard_with(&plan, "ex/long.TestSlow");
    let mid = common::shard_with(&plan, "ex/long.TestMid");
    assert_eq!(slow["index"], mid["index"], "{plan:#}");
    assert_eq!(slow["longest_chain"], "ex/long", "{plan:#}");
}
