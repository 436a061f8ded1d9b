//! The CI recipes in `examples/`, run for real where a local runner exists.
//!
//! `examples/gitlab-ci/.gitlab-ci.yml` runs through `gitlab-ci-local` (npm,
//! installed by `.ci/run` into `fixtures/tools`) with its shell executor, on
//! a git repository holding a copy of the example pytest suite. The built
//! shardplan is put first on PATH, so the recipe's install step (skipped
//! when `shardplan` is on PATH) uses it. The pipeline runs twice: the first
//! has no history (a split by count) and its `timings` job writes the
//! history into the cache; the second plans from that history, with a test
//! added in between. Each time the three parallel jobs' own JUnit reports
//! must hold every test exactly once.
//!
//! A missing tool is a notice on a developer's machine and a failure under
//! CI (see `common::tool_available`).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{assert_partition, copy_suite, junit_tests, root, run, tool_available};

fn gitlab_ci_local() -> PathBuf {
    root().join("fixtures/tools/node_modules/.bin/gitlab-ci-local")
}

/// Runs the pipeline in `dir` with the shell executor, each job in its own
/// copy of the repository; panics with its output unless every job passed.
fn pipeline(dir: &Path, home: &Path) -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_shardplan"))
        .parent()
        .expect("the binary's directory")
        .to_path_buf();
    let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("a PATH");
    let mut command = Command::new(gitlab_ci_local());
    command
        .args([
            "--shell-isolation",
            "--force-shell-executor",
            "--home",
            &home.display().to_string(),
        ])
        .current_dir(dir)
        .env("PATH", path)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("SUITE_TIME_SCALE", "0.05")
        .stdin(Stdio::null());
    // The jobs take their shard from the variables gitlab-ci-local sets,
    // never from a CI running these tests.
    for provider in &shardplan::ci_env::PROVIDERS {
        command.env_remove(provider.index_var);
        command.env_remove(provider.count_var);
    }
    let output: Output = command.output().expect("gitlab-ci-local runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the pipeline failed ({}):\n{text}",
        output.status
    );
    for job in [
        "plan",
        "test: [1/3]",
        "test: [2/3]",
        "test: [3/3]",
        "timings",
    ] {
        assert!(
            text.lines().any(|l| l.contains("PASS") && l.contains(job)),
            "job `{job}` did not pass:\n{text}"
        );
    }
    text
}

/// The three shards' JUnit reports (artifacts copied back to the
/// repository), each as the tests it ran.
fn shard_runs(dir: &Path) -> Vec<Vec<String>> {
    (1..=3)
        .map(|i| {
            let report = dir.join(format!("results/{i}/junit.xml"));
            assert!(report.is_file(), "no report from shard {i}");
            junit_tests(&report, false)
        })
        .collect()
}

/// The timing history the `timings` job saved in the cache.
fn cached_history(dir: &Path) -> serde_json::Value {
    let cache = dir.join(".gitlab-ci-local/cache");
    let entries: Vec<PathBuf> = fs::read_dir(&cache)
        .unwrap_or_else(|e| panic!("no cache at {}: {e}", cache.display()))
        .flatten()
        .map(|e| e.path().join(".shardplan/timings.json"))
        .filter(|p| p.is_file())
        .collect();
    assert_eq!(entries.len(), 1, "one cached history: {entries:?}");
    let text = fs::read_to_string(&entries[0]).expect("the cached history");
    serde_json::from_str(&text).expect("the history is JSON")
}

/// The whole suite in `dir` as pytest's JUnit report names it.
fn whole_suite(dir: &Path) -> Vec<String> {
    let out = tempfile::tempdir().expect("a temporary directory");
    let report = out.path().join("whole.xml");
    run(
        dir,
        &[
            "python3",
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            &format!("--junitxml={}", report.display()),
        ],
        &[("PYTHONDONTWRITEBYTECODE", "1"), ("SUITE_TIME_SCALE", "0")],
    );
    junit_tests(&report, false)
}

fn git(dir: &Path, args: &[&str]) {
    let mut argv = vec![
        "git",
        "-c",
        "user.name=shardplan tests",
        "-c",
        "user.email=tests@shardplan.invalid",
    ];
    argv.extend_from_slice(args);
    run(dir, &argv, &[]);
}

#[test]
fn the_gitlab_recipe_runs_every_test_once_and_keeps_the_history() {
    if !tool_available(
        "gitlab-ci-local (npm install in fixtures/tools)",
        &["test", "-x", &gitlab_ci_local().display().to_string()],
    ) || !tool_available("git", &["git", "--version"])
        || !tool_available(
            "rsync (gitlab-ci-local's shell executor)",
            &["rsync", "--version"],
        )
        || !tool_available("pytest", &["python3", "-m", "pytest", "--version"])
    {
        return;
    }
    let suite = copy_suite("pytest");
    let dir = suite.path();
    fs::remove_dir(dir.join("shardplan-reports")).expect("an empty directory");
    fs::copy(
        root().join("examples/gitlab-ci/.gitlab-ci.yml"),
        dir.join(".gitlab-ci.yml"),
    )
    .expect("the recipe");
    fs::write(
        dir.join(".gitignore"),
        "__pycache__/\n.gitlab-ci-local/\n.shardplan/\nresults/\nplan.json\n",
    )
    .expect("a .gitignore");
    git(dir, &["init", "-q", "-b", "main"]);
    git(
        dir,
        &[
            "remote",
            "add",
            "origin",
            "https://gitlab.example.invalid/group/suite.git",
        ],
    );
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "the suite"]);
    let home = tempfile::tempdir().expect("a home for gitlab-ci-local");

    // First pipeline: no history yet.
    let expected = whole_suite(dir);
    assert_eq!(expected.len(), 20, "{expected:#?}");
    let log = pipeline(dir, home.path());
    assert!(
        log.contains("20 tests planned (0 with timings, 20 estimated)"),
        "the first plan had timings from somewhere:\n{log}"
    );
    assert_partition("gitlab-ci run 1", &expected, &shard_runs(dir));
    let history = cached_history(dir);
    assert_eq!(history["runs"], 1, "{history}");
    assert_eq!(history["tests"].as_array().map(Vec::len), Some(20));

    // Second pipeline: a test added; the plan reads the cached history.
    fs::remove_dir_all(dir.join("results")).expect("the first run's reports");
    fs::write(
        dir.join("tests/test_added.py"),
        "def test_added_after_the_history():\n    assert True\n",
    )
    .expect("a new test");
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "a new test"]);
    let expected = whole_suite(dir);
    assert_eq!(expected.len(), 21, "{expected:#?}");
    let log = pipeline(dir, home.path());
    assert!(
        log.contains("21 tests planned (20 with timings, 1 estimated)"),
        "the second plan did not read the history:\n{log}"
    );
    assert_partition("gitlab-ci run 2", &expected, &shard_runs(dir));
    let history = cached_history(dir);
    assert_eq!(history["runs"], 2, "{history}");
    assert_eq!(history["tests"].as_array().map(Vec::len), Some(21));
}
