//! `shardplan merge` through the built binary: the history stays bounded,
//! its estimates follow a drift, reruns are one sample, and planning reads
//! it back (by default from `.shardplan/timings.json`).

mod common;

use std::fs;
use std::path::Path;

use common::{assert_stderr_contains, shardplan, shardplan_in, stderr, stdout};
use serde_json::Value;

/// A `go test -json` stream of one run: `(test, seconds, action)`.
fn go_run(tests: &[(&str, f64, &str)]) -> String {
    let mut out = String::from("{\"Action\":\"start\",\"Package\":\"ex/app\"}\n");
    for (test, seconds, action) in tests {
        out += &format!(
            "{{\"Action\":\"run\",\"Package\":\"ex/app\",\"Test\":\"{test}\"}}\n\
             {{\"Action\":\"{action}\",\"Package\":\"ex/app\",\"Test\":\"{test}\",\"Elapsed\":{seconds}}}\n"
        );
    }
    out + "{\"Action\":\"pass\",\"Package\":\"ex/app\",\"Elapsed\":9.9}\n"
}

fn history(dir: &Path) -> Value {
    let text = fs::read_to_string(dir.join(".shardplan/timings.json")).expect("history written");
    serde_json::from_str(&text).expect("history is JSON")
}

/// `name -> samples` of a history.
fn samples(history: &Value) -> Vec<(String, Vec<u64>)> {
    history["tests"]
        .as_array()
        .expect("tests array")
        .iter()
        .map(|t| {
            let samples = t["samples"].as_array().expect("samples");
            (
                t["name"].as_str().expect("name").to_string(),
                samples.iter().map(|s| s.as_u64().expect("µs")).collect(),
            )
        })
        .collect()
}

fn median(values: &[u64]) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2
    }
}

#[test]
fn five_merges_stay_bounded_and_follow_a_drift() {
    let dir = tempfile::tempdir().unwrap();
    // TestDrift takes 1 s, then 3 s from run 3 on. TestSteady takes 2 s with
    // one 60 s outlier (a contended machine) in run 4. TestGone exists only
    // in run 1. TestFlaky fails slowly in run 5 and passes on the second
    // shard of the same run. TestBroken always fails.
    let runs: [Vec<(&str, f64, &str)>; 5] = [
        vec![
            ("TestDrift", 1.0, "pass"),
            ("TestSteady", 2.0, "pass"),
            ("TestGone", 5.0, "pass"),
            ("TestFlaky", 0.5, "pass"),
            ("TestBroken", 7.0, "fail"),
        ],
        vec![
            ("TestDrift", 1.0, "pass"),
            ("TestSteady", 2.0, "pass"),
            ("TestFlaky", 0.5, "pass"),
            ("TestBroken", 7.0, "fail"),
        ],
        vec![
            ("TestDrift", 3.0, "pass"),
            ("TestSteady", 2.0, "pass"),
            ("TestFlaky", 0.5, "pass"),
            ("TestBroken", 7.0, "fail"),
        ],
        vec![
            ("TestDrift", 3.0, "pass"),
            ("TestSteady", 60.0, "pass"),
            ("TestFlaky", 0.5, "pass"),
            ("TestBroken", 7.0, "fail"),
        ],
        vec![
            ("TestDrift", 3.0, "pass"),
            ("TestSteady", 2.0, "pass"),
            ("TestFlaky", 30.0, "fail"),
            ("TestBroken", 7.0, "fail"),
        ],
    ];
    let mut sizes = Vec::new();
    let mut drift_estimates = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let reports = dir.path().join(format!("run{i}"));
        fs::create_dir_all(&reports).unwrap();
        // Two shards of one CI run; the second reruns TestFlaky in run 5.
        let (first, second) = run.split_at(run.len() / 2);
        fs::write(reports.join("shard0.json"), go_run(first)).unwrap();
        let mut second = second.to_vec();
        if i == 4 {
            second.push(("TestFlaky", 0.7, "pass"));
        }
        fs::write(reports.join("shard1.json"), go_run(&second)).unwrap();
        let out = shardplan_in(
            dir.path(),
            &[
                "merge",
                "--keep",
                "3",
                "--drop-after",
                "3",
                &format!("run{i}"),
            ],
            "",
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert_stderr_contains(&out, &format!("merged run {} from 2 report files", i + 1));
        let size = fs::metadata(dir.path().join(".shardplan/timings.json"))
            .unwrap()
            .len();
        sizes.push(size);
        let history = history(dir.path());
        for (name, samples) in samples(&history) {
            assert!(
                samples.len() <= 3,
                "run {}: {name} keeps {samples:?}",
                i + 1
            );
        }
        // The package's setup: one sample per run (the median of the two
        // shards' setups), bounded like the tests'.
        let groups = history["groups"].as_array().expect("groups array");
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0]["suite"], "ex/app");
        assert_eq!(
            groups[0]["samples"].as_array().unwrap().len(),
            (i + 1).min(3)
        );
        let drift = samples(&history)
            .into_iter()
            .find(|(n, _)| n == "TestDrift")
            .map(|(_, s)| median(&s))
            .unwrap();
        drift_estimates.push(drift);
    }
    println!("history sizes after each merge (bytes): {sizes:?}");
    println!("TestDrift estimate after each merge (µs): {drift_estimates:?}");
    // Bounded: once each test holds `keep` samples, the file stops growing
    // (it shrank when TestGone was dropped after 3 unseen runs).
    assert_eq!(sizes[3], sizes[4]);
    assert!(sizes[4] < sizes[2], "{sizes:?}");
    // The estimate follows the step from 1 s to 3 s within two runs.
    assert_eq!(
        drift_estimates,
        [1_000_000, 1_000_000, 1_000_000, 3_000_000, 3_000_000]
    );

    let history = history(dir.path());
    assert_eq!(history["runs"], 5);
    assert_eq!(
        (history["keep"].clone(), history["drop_after"].clone()),
        (3.into(), 3.into())
    );
    let by_name: Vec<(String, Vec<u64>)> = samples(&history);
    let get = |name: &str| {
        by_name
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.clone())
    };
    // The outlier is kept as a sample but the median ignores it.
    assert_eq!(
        get("TestSteady"),
        Some(vec![2_000_000, 60_000_000, 2_000_000])
    );
    // The failed 30 s attempt is not a sample; the rerun's pass is.
    assert_eq!(get("TestFlaky"), Some(vec![500_000, 500_000, 700_000]));
    // Never passed: known, without samples.
    assert_eq!(get("TestBroken"), Some(vec![]));
    assert_eq!(get("TestGone"), None);

    // Planning reads the default history without --timings.
    let out = shardplan_in(
        dir.path(),
        &["--shards", "2", "--json", "--runner", "go"],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(plan["tests_planned"], 4);
    assert_eq!(plan["tests_with_timings"], 3);
    // 3 s + 2 s + 0.5 s measured, TestBroken estimated as the median (2 s).
    assert_eq!(plan["total_seconds"], 7.5);
    // The package's setup is charged from the history.
    assert!(plan["setup_seconds"].as_f64().unwrap() > 0.0, "{plan}");
    assert!(
        stderr(&out)
            .contains("timings from .shardplan/timings.json (the default without --timings)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_history_file_is_stable_and_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    fs::write(
        &report,
        go_run(&[("TestB", 0.25, "pass"), ("TestA", 1.5, "pass")]),
    )
    .unwrap();
    let into = dir.path().join("h.json");
    let args = [
        "merge",
        "--into",
        into.to_str().unwrap(),
        report.to_str().unwrap(),
    ];
    assert!(shardplan(&args, "").status.success());
    let text = fs::read_to_string(&into).unwrap();
    // The package's setup: its 9.9 s minus its tests' 1.75 s.
    assert_eq!(
        text,
        "{\n  \"format\": \"shardplan-timings\",\n  \"version\": 2,\n  \"runs\": 1,\n  \"keep\": 5,\n  \"drop_after\": 10,\n  \"tests\": [\n    \
         {\"dialect\":\"go\",\"classname\":\"ex/app\",\"suite\":\"ex/app\",\"name\":\"TestA\",\"last_seen\":1,\"samples\":[1500000],\"outcomes\":\"p\"},\n    \
         {\"dialect\":\"go\",\"classname\":\"ex/app\",\"suite\":\"ex/app\",\"name\":\"TestB\",\"last_seen\":1,\"samples\":[250000],\"outcomes\":\"p\"}\n  ],\n  \"groups\": [\n    \
         {\"dialect\":\"go\",\"suite\":\"ex/app\",\"last_seen\":1,\"samples\":[8150000]}\n  ]\n}\n"
    );
    // A directory argument holding the history itself: it is skipped.
    let out = shardplan(
        &[
            "merge",
            "--into",
            into.to_str().unwrap(),
            dir.path().to_str().unwrap(),
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_stderr_contains(&out, "merged run 2 from 1 report file");
    // No temporary file is left behind.
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn merge_refuses_what_it_cannot_use() {
    let dir = tempfile::tempdir().unwrap();
    let into = dir.path().join("h.json");
    let into_arg = into.to_str().unwrap();
    // Nothing to merge: an error, and no history is written.
    let out = shardplan(
        &[
            "merge",
            "--into",
            into_arg,
            &format!("{}/*.xml", dir.path().display()),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_stderr_contains(&out, "no reports to merge");
    assert!(!into.exists());
    // A corrupt history is named with its position and left untouched.
    fs::write(
        &into,
        "{\"format\": \"shardplan-timings\",\n \"version\": 1, \"runs\": x}",
    )
    .unwrap();
    let report = dir.path().join("r.json");
    fs::write(&report, go_run(&[("TestA", 1.0, "pass")])).unwrap();
    let out = shardplan(&["merge", "--into", into_arg, report.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert_stderr_contains(&out, &format!("{into_arg}:2:"));
    assert!(fs::read_to_string(&into).unwrap().contains("\"runs\": x"));
    // Another history is not one run's reports.
    fs::remove_file(&into).unwrap();
    assert!(
        shardplan(&["merge", "--into", into_arg, report.to_str().unwrap()], "")
            .status
            .success()
    );
    let other = dir.path().join("other.json");
    fs::copy(&into, &other).unwrap();
    let out = shardplan(&["merge", "--into", into_arg, other.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert_stderr_contains(&out, "is a shardplan timing history");
    // merge needs reports.
    assert_eq!(shardplan(&["merge"], "").status.code(), Some(2));
}

#[test]
fn reruns_in_junit_reports_are_one_sample() {
    let dir = tempfile::tempdir().unwrap();
    let into = dir.path().join("h.json");
    let fixtures = common::root().join("fixtures/reports/junit");
    let gradle = fixtures.join("TEST-com.example.shard.RetryingTest-gradle.xml");
    let surefire = fixtures.join("TEST-com.example.shard.FlakyClientTest-surefire.xml");
    let out = shardplan(
        &[
            "merge",
            "--into",
            into.to_str().unwrap(),
            gradle.to_str().unwrap(),
            surefire.to_str().unwrap(),
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // Gradle's failed attempt and its rerun are one test with the passing
    // sample; Surefire's flaky failures live inside the one testcase.
    assert_stderr_contains(&out, "(7 test cases, 6 tests)");
    let history: Value = serde_json::from_str(&fs::read_to_string(&into).unwrap()).unwrap();
    let get = |name: &str| {
        history["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| t["samples"].clone())
    };
    assert_eq!(
        get("connectsToService()"),
        Some(serde_json::json!([1_200_000]))
    );
    assert_eq!(get("retriesUntilUp"), Some(serde_json::json!([1_500_000])));
    assert_eq!(get("alwaysTimesOut"), Some(serde_json::json!([])));

    // The same files planned directly: each test once, the rerun's pass
    // as its time.
    let out = shardplan(
        &[
            "--shards",
            "1",
            "--json",
            "--timings",
            gradle.to_str().unwrap(),
            "--timings",
            surefire.to_str().unwrap(),
        ],
        "",
    );
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(plan["tests_planned"], 6);
    // 1.2 + 0.203 + 2.0 (Gradle) + 1.5 + 5.0 + 0.27 (Surefire; the test
    // that only failed keeps its failed time) = 10.173.
    assert_eq!(plan["total_seconds"], 10.173);
    // And planned from the history: the never-passing test is estimated.
    let out = shardplan(
        &[
            "--shards",
            "1",
            "--json",
            "--timings",
            into.to_str().unwrap(),
        ],
        "",
    );
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(plan["tests_planned"], 6);
    assert_eq!(plan["tests_with_timings"], 5);
}

#[test]
fn corpus_reruns_are_one_sample() {
    let Some(corpus) = common::corpus_or_skip() else {
        return;
    };
    // formats.md §1.4: Surefire flaky reruns and repeated testcases.
    let files = [
        "junit-plugin/src/test/resources/hudson/tasks/junit/gh-237/TEST-io.olamy.FlakyTest.xml",
        "action-junit-report/test_results/flaky_retries/flaky_success_first.xml",
        "nextest/fixtures/fixture-project-junit.xml",
    ];
    let dir = tempfile::tempdir().unwrap();
    let into = dir.path().join("h.json");
    let mut args = vec![
        "merge".to_string(),
        "--into".into(),
        into.display().to_string(),
    ];
    args.extend(files.iter().map(|f| corpus.join(f).display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = shardplan(&args, "");
    assert!(out.status.success(), "{}", stderr(&out));
    let history: Value = serde_json::from_str(&fs::read_to_string(&into).unwrap()).unwrap();
    let tests = history["tests"].as_array().unwrap();
    // flaky_success_first.xml: one test written three times (pass, fail,
    // error) is one entry with one sample, from the pass.
    let first: Vec<&Value> = tests
        .iter()
        .filter(|t| t["name"] == "test_success_first")
        .collect();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["samples"], serde_json::json!([1_000_000]));
    let names: Vec<&str> = tests.iter().map(|t| t["name"].as_str().unwrap()).collect();
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(names, unique, "every test once");
}
