//! The frozen-plan round trip on a real suite with the real runner, as the
//! README's GitHub workflow runs it: `plan` once, then in each shard's job
//! `select --record` and pytest with the printed arguments, then `verify`
//! on the JUnit reports pytest wrote. Then the reports are doctored (a test
//! dropped, a test duplicated, a shard record of another plan) and `verify`
//! must fail with the right list.
//!
//! A missing pytest is a notice on a developer's machine and a failure
//! under CI (see `common::tool_available`).

mod common;

use std::fs;
use std::path::Path;

use common::{
    junit_tests, pytest_suite_with_timings, run, run_pytest_shard, shardplan_with_env, stderr,
    stdout, tool_available,
};

const ENV: &[(&str, &str)] = &[("PYTHONDONTWRITEBYTECODE", "1"), ("SUITE_TIME_SCALE", "0")];

/// Runs shardplan in `dir`; returns its exit status, stdout and stderr.
fn shardplan(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = shardplan_with_env(dir, args, &[], "");
    (out.status.code(), stdout(&out), stderr(&out))
}

/// Every shard's job: `select --record results/shard-I`, then pytest with
/// the printed arguments, its JUnit report beside the record. Returns the
/// tests each shard's report lists.
fn run_shards(dir: &Path, count: usize) -> Vec<Vec<String>> {
    (0..count)
        .map(|index| {
            let record = format!("results/shard-{index}");
            let (status, printed, err) = shardplan(
                dir,
                &[
                    "select",
                    "--plan",
                    "plan.json",
                    "--index",
                    &index.to_string(),
                    "--record",
                    &record,
                ],
            );
            assert_eq!(status, Some(0), "{err}");
            let args = dir.join(format!("{record}/pytest-args.txt"));
            fs::write(&args, printed).expect("the shard's arguments");
            let junit = dir.join(format!("{record}/junit.xml"));
            run_pytest_shard(dir, &args, &junit, ENV);
            junit_tests(&junit, false)
        })
        .collect()
}

/// The JUnit report of shard `index` with the `<testcase>` elements that
/// `keep` rejects removed and `extra` (raw XML) added to its suite.
fn doctor(dir: &Path, index: usize, keep: impl Fn(&str) -> bool, extra: &str) {
    let path = dir.join(format!("results/shard-{index}/junit.xml"));
    let xml = fs::read_to_string(&path).expect("the shard's report");
    let case = regex::Regex::new(r"(?s)<testcase [^>]*?(?:/>|>.*?</testcase>)").unwrap();
    let kept = case.replace_all(&xml, |c: &regex::Captures<'_>| {
        if keep(&c[0]) {
            c[0].to_string()
        } else {
            String::new()
        }
    });
    let doctored = kept.replacen("</testsuite>", &format!("{extra}</testsuite>"), 1);
    fs::write(&path, doctored).expect("the doctored report");
}

/// The raw `<testcase>` of shard `index` whose name is `name`.
fn testcase(dir: &Path, index: usize, name: &str) -> String {
    let xml = fs::read_to_string(dir.join(format!("results/shard-{index}/junit.xml"))).unwrap();
    let case = regex::Regex::new(r"(?s)<testcase [^>]*?(?:/>|>.*?</testcase>)").unwrap();
    case.find_iter(&xml)
        .map(|m| m.as_str().to_string())
        .find(|c| c.contains(&format!("name=\"{name}\"")))
        .unwrap_or_else(|| panic!("no testcase {name} in shard {index}: {xml}"))
}

#[test]
fn plan_select_run_verify_on_pytest() {
    if !tool_available("pytest", &["python3", "-m", "pytest", "--version"]) {
        return;
    }
    let suite = pytest_suite_with_timings("0.05");
    let dir = suite.path();
    // Added after the timings: the catch-all shard runs it.
    fs::write(
        dir.join("tests/test_added.py"),
        "def test_added_after_the_timings():\n    assert True\n",
    )
    .expect("a new test file");
    let (status, _, err) = shardplan(
        dir,
        &[
            "plan",
            "--shards",
            "3",
            "--runner",
            "pytest",
            "--timings",
            "timings.xml",
            "-o",
            "plan.json",
        ],
    );
    assert_eq!(status, Some(0), "{err}");

    let shards = run_shards(dir, 3);
    let ran: usize = shards.iter().map(Vec::len).sum();
    assert_eq!(ran, 21, "{shards:#?}");
    let (status, out, err) = shardplan(dir, &["verify", "--plan", "plan.json", "results"]);
    assert_eq!(status, Some(0), "{out}\n{err}");
    assert!(
        out.contains("new tests (not in the plan; ran on the catch-all shard 2) (1):\n  tests/test_added.py::test_added_after_the_timings\n"),
        "{out}"
    );
    assert!(
        out.ends_with("OK: every planned test ran exactly once, on its shard\n"),
        "{out}"
    );
    for index in 0..3 {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("  {index:>5}  ")))
            .unwrap_or_else(|| panic!("no line for shard {index}: {out}"));
        assert!(!line.contains("no report"), "{line}");
    }

    // A rerun of shard 1 selects the same tests from the same plan.
    let (_, first, _) = shardplan(dir, &["select", "--plan", "plan.json", "--index", "1"]);
    let (_, again, _) = shardplan(dir, &["select", "--plan", "plan.json", "--index", "1"]);
    assert_eq!(first, again);

    // Shard 0 lost a test; shard 2 also ran one of shard 1's.
    let plain = |tests: &[String]| {
        tests
            .iter()
            .map(|t| t.rsplit_once("::").unwrap().1.to_string())
            .find(|name| name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .expect("a test with a plain name")
    };
    let lost = plain(&shards[0]);
    doctor(
        dir,
        0,
        |case| !case.contains(&format!("name=\"{lost}\"")),
        "",
    );
    let twice = plain(&shards[1]);
    let copied = testcase(dir, 1, &twice);
    doctor(dir, 2, |_| true, &copied);
    let (status, out, err) = shardplan(dir, &["verify", "--plan", "plan.json", "results"]);
    assert_eq!(status, Some(1), "{out}\n{err}");
    let missing = out
        .split("FAILED: planned but never ran (1):\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{out}"));
    assert!(missing.starts_with("  tests/"), "{out}");
    assert!(
        missing
            .lines()
            .next()
            .unwrap()
            .contains(&format!("::{lost}  (planned for shard 0)")),
        "{out}"
    );
    let duplicated = out
        .split("FAILED: ran on more than one shard (1):\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        duplicated
            .lines()
            .next()
            .unwrap()
            .contains(&format!("::{twice}  on shards 1, 2 (belongs to shard 1)")),
        "{out}"
    );
    assert!(
        err.contains("verify failed: 1 planned but never ran, 1 ran on more than one shard"),
        "{err}"
    );

    // Shard 1's job ran another plan.
    let record = dir.join("results/shard-1/shardplan-shard.json");
    let text = fs::read_to_string(&record).unwrap();
    let plan: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("plan.json")).unwrap()).unwrap();
    let fingerprint = plan["fingerprint"].as_str().unwrap();
    fs::write(&record, text.replace(fingerprint, "ffffffffffffffff")).unwrap();
    let (status, out, err) = shardplan(dir, &["verify", "--plan", "plan.json", "results"]);
    assert_eq!(status, Some(1), "{out}\n{err}");
    assert!(
        out.contains(&format!("FAILED: shards that ran another plan (fingerprint mismatch) (1):\n  results/shard-1/shardplan-shard.json: shard 1 of plan ffffffffffffffff, not {fingerprint}\n")),
        "{out}"
    );
    assert!(err.contains("1 shard record(s) of another plan"), "{err}");
}

#[test]
fn a_listed_plan_by_file_verifies_on_pytest() {
    if !tool_available("pytest", &["python3", "-m", "pytest", "--version"]) {
        return;
    }
    let suite = pytest_suite_with_timings("0.05");
    let dir = suite.path();
    let listing = run(
        dir,
        &[
            "python3",
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        ENV,
    );
    fs::write(dir.join("tests.txt"), &listing.stdout).expect("the listing");
    let (status, _, err) = shardplan(
        dir,
        &[
            "plan",
            "--shards",
            "2",
            "--runner",
            "pytest",
            "--by",
            "file",
            "--timings",
            "timings.xml",
            "--tests-from",
            "tests.txt",
            "-o",
            "plan.json",
        ],
    );
    assert_eq!(status, Some(0), "{err}");
    let shards = run_shards(dir, 2);
    assert_eq!(
        shards.iter().map(Vec::len).sum::<usize>(),
        20,
        "{shards:#?}"
    );
    let (status, out, err) = shardplan(dir, &["verify", "--plan", "plan.json", "results"]);
    assert_eq!(status, Some(0), "{out}\n{err}");
    assert!(
        out.contains("2 shards, runner pytest, by file; 2 report files"),
        "{out}"
    );
    // Files that never ran are named as files.
    doctor(dir, 0, |_| false, "");
    let (status, out, _) = shardplan(dir, &["verify", "--plan", "plan.json", "results"]);
    assert_eq!(status, Some(1), "{out}");
    let plan: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("plan.json")).unwrap()).unwrap();
    for file in plan["shards"][0]["tests"].as_array().unwrap() {
        let file = file.as_str().unwrap();
        assert!(
            out.contains(&format!(
                "  {file} (the whole file)  (planned for shard 0)\n"
            )),
            "{out}"
        );
    }
}
