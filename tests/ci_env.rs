//! CI auto-detection through the built binary: every provider's variables
//! (1-based ones included) pick the same shard as the matching `--index`,
//! bad values are usage errors naming the variable and its value, explicit
//! flags win, and the summary says where the shard came from.

mod common;

use std::fs;

use common::{Case, junit, shardplan_with_env, stderr, stdout};

/// Nine tests of distinct durations in one report.
fn suite() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    let cases: Vec<(String, String)> = (1..=9)
        .map(|i| (format!("t{i}"), format!("{}.0", i)))
        .collect();
    let xml = junit(
        &cases
            .iter()
            .map(|(name, time)| Case {
                classname: "app.Suite",
                name,
                time: Some(time),
            })
            .collect::<Vec<_>>(),
    );
    fs::write(dir.path().join("report.xml"), xml).expect("a report");
    dir
}

/// Runs shardplan in `dir` with `env` and asserts success; returns stdout
/// and stderr.
fn ok(dir: &tempfile::TempDir, args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let out = shardplan_with_env(dir.path(), args, env, "");
    assert!(out.status.success(), "{args:?} {env:?}: {}", stderr(&out));
    (stdout(&out), stderr(&out))
}

/// Runs shardplan and asserts a usage error (status 2); returns stderr.
fn usage_error(dir: &tempfile::TempDir, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = shardplan_with_env(dir.path(), args, env, "");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?} {env:?}: {}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
    stderr(&out)
}

const TIMINGS: [&str; 2] = ["--timings", "report.xml"];

#[test]
fn every_provider_selects_the_shard_its_index_names() {
    let dir = suite();
    // (index variable, value, count variable, the 0-based shard it means)
    let providers = [
        ("SHARDPLAN_INDEX", "2", "SHARDPLAN_SHARDS", 2, "shardplan"),
        ("TEST_SHARD_INDEX", "0", "TEST_TOTAL_SHARDS", 0, "Bazel"),
        ("CI_NODE_INDEX", "3", "CI_NODE_TOTAL", 2, "GitLab CI"),
        ("CIRCLE_NODE_INDEX", "1", "CIRCLE_NODE_TOTAL", 1, "CircleCI"),
        (
            "BUILDKITE_PARALLEL_JOB",
            "2",
            "BUILDKITE_PARALLEL_JOB_COUNT",
            2,
            "Buildkite",
        ),
        (
            "SEMAPHORE_JOB_INDEX",
            "1",
            "SEMAPHORE_JOB_COUNT",
            0,
            "Semaphore",
        ),
        (
            "SYSTEM_JOBPOSITIONINPHASE",
            "2",
            "SYSTEM_TOTALJOBSINPHASE",
            1,
            "Azure Pipelines",
        ),
        (
            "BITBUCKET_PARALLEL_STEP",
            "0",
            "BITBUCKET_PARALLEL_STEP_COUNT",
            0,
            "Bitbucket Pipelines",
        ),
    ];
    let expected: Vec<String> = (0..3)
        .map(|i| {
            let index = i.to_string();
            let args = [&TIMINGS[..], &["--shards", "3", "--index", &index]].concat();
            ok(&dir, &args, &[]).0
        })
        .collect();
    assert!(expected.iter().all(|s| !s.is_empty()));
    for (index_var, value, count_var, shard, name) in providers {
        let (out, err) = ok(&dir, &TIMINGS, &[(index_var, value), (count_var, "3")]);
        assert_eq!(out, expected[shard], "{index_var}={value}");
        assert!(
            err.contains(&format!(
                "shardplan: shard {shard} of 3 from {name}: {index_var}={value} of {count_var}=3"
            )),
            "{err}"
        );
        assert!(err.contains("<- this shard"), "{err}");
    }
}

#[test]
fn bad_values_are_usage_errors_naming_the_variable() {
    let dir = suite();
    let cases: [(&[(&str, &str)], &str); 6] = [
        (
            &[("CI_NODE_INDEX", "0"), ("CI_NODE_TOTAL", "3")],
            "CI_NODE_INDEX=0 is out of range for CI_NODE_TOTAL=3: GitLab CI's index is 1-based, from 1 to 3",
        ),
        (
            &[("SEMAPHORE_JOB_INDEX", "4"), ("SEMAPHORE_JOB_COUNT", "3")],
            "SEMAPHORE_JOB_INDEX=4 is out of range for SEMAPHORE_JOB_COUNT=3: Semaphore's index is 1-based, from 1 to 3",
        ),
        (
            &[("CIRCLE_NODE_INDEX", "3"), ("CIRCLE_NODE_TOTAL", "3")],
            "CircleCI's index is 0-based, from 0 to 2",
        ),
        (
            &[
                ("BUILDKITE_PARALLEL_JOB", "x"),
                ("BUILDKITE_PARALLEL_JOB_COUNT", "3"),
            ],
            "BUILDKITE_PARALLEL_JOB=\"x\" is not a whole number",
        ),
        (
            &[
                ("SYSTEM_JOBPOSITIONINPHASE", "1"),
                ("SYSTEM_TOTALJOBSINPHASE", "0"),
            ],
            "SYSTEM_TOTALJOBSINPHASE=0 is not a number of shards",
        ),
        (
            &[("TEST_SHARD_INDEX", "1")],
            "TEST_SHARD_INDEX is set but TEST_TOTAL_SHARDS is not",
        ),
    ];
    for (env, message) in cases {
        let err = usage_error(&dir, &TIMINGS, env);
        assert!(err.contains(message), "{env:?}: {err}");
    }
}

#[test]
fn explicit_flags_win_and_a_count_mismatch_is_refused() {
    let dir = suite();
    let gitlab = [("CI_NODE_INDEX", "3"), ("CI_NODE_TOTAL", "3")];
    let explicit = [&TIMINGS[..], &["--shards", "3", "--index", "0"]].concat();
    let (with_env, err) = ok(&dir, &explicit, &gitlab);
    assert_eq!(with_env, ok(&dir, &explicit, &[]).0);
    assert!(!err.contains("GitLab"), "{err}");
    // Even a bad value is never read when the flags settle the shard.
    ok(
        &dir,
        &explicit,
        &[("CI_NODE_INDEX", "bad"), ("CI_NODE_TOTAL", "3")],
    );
    let spec = [&TIMINGS[..], &["--shard", "1/3"]].concat();
    assert_eq!(ok(&dir, &spec, &gitlab).0, with_env);
    // --shards alone takes the index from the CI when the counts agree.
    let count_only = [&TIMINGS[..], &["--shards", "3"]].concat();
    let last = [&TIMINGS[..], &["--shards", "3", "--index", "2"]].concat();
    assert_eq!(ok(&dir, &count_only, &gitlab).0, ok(&dir, &last, &[]).0);
    let err = usage_error(&dir, &[&TIMINGS[..], &["--shards", "4"]].concat(), &gitlab);
    assert!(
        err.contains("--shards 4 does not match the CI's job count (GitLab CI: CI_NODE_INDEX=3 of CI_NODE_TOTAL=3"),
        "{err}"
    );
    // Nothing set: the error lists what shardplan reads.
    let err = usage_error(&dir, &TIMINGS, &[]);
    assert!(err.contains("the number of shards is missing"), "{err}");
    assert!(err.contains("CI_NODE_INDEX/CI_NODE_TOTAL"), "{err}");
}

#[test]
fn precedence_follows_the_documented_order() {
    let dir = suite();
    let env = [
        ("CIRCLE_NODE_INDEX", "0"),
        ("CIRCLE_NODE_TOTAL", "3"),
        ("SHARDPLAN_INDEX", "1"),
        ("SHARDPLAN_SHARDS", "3"),
    ];
    let (out, err) = ok(&dir, &TIMINGS, &env);
    let second = [&TIMINGS[..], &["--shards", "3", "--index", "1"]].concat();
    assert_eq!(out, ok(&dir, &second, &[]).0);
    assert!(
        err.contains(
            "CircleCI's CIRCLE_NODE_INDEX/CIRCLE_NODE_TOTAL are also set and were ignored"
        ),
        "{err}"
    );
}

#[test]
fn plan_and_select_take_the_shard_from_the_ci() {
    let dir = suite();
    let gitlab = [("CI_NODE_INDEX", "2"), ("CI_NODE_TOTAL", "3")];
    let (_, err) = ok(
        &dir,
        &[&["plan", "-o", "plan.json"][..], &TIMINGS].concat(),
        &gitlab,
    );
    assert!(
        err.contains("3 shards from GitLab CI: CI_NODE_INDEX=2 of CI_NODE_TOTAL=3"),
        "{err}"
    );
    let (selected, err) = ok(&dir, &["select", "--plan", "plan.json"], &gitlab);
    let direct = [&TIMINGS[..], &["--shards", "3", "--index", "1"]].concat();
    assert_eq!(selected, ok(&dir, &direct, &[]).0);
    assert!(
        err.contains("shard 1 of 3 (GitLab CI: CI_NODE_INDEX=2"),
        "{err}"
    );
    let err = usage_error(
        &dir,
        &["select", "--plan", "plan.json"],
        &[("CI_NODE_INDEX", "2"), ("CI_NODE_TOTAL", "4")],
    );
    assert!(
        err.contains("the plan has 3 shards, but the CI runs 4 jobs"),
        "{err}"
    );
    let err = usage_error(&dir, &["select", "--plan", "plan.json"], &[]);
    assert!(err.contains("which shard?"), "{err}");
}
