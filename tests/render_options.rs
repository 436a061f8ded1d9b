//! The output options as a user runs them: `--template`, `--exec`,
//! `--list-file` and the catch-all's notices, with the built binary.

mod common;

use std::fs;

use common::{Case, assert_stderr_contains, report_dir, shard_args, shardplan_in, stderr, stdout};

/// Four tests in two files, written as a generic JUnit report.
fn suite() -> tempfile::TempDir {
    report_dir(&[
        Case::timed("tests/test_a.py", "test_one", "3.0"),
        Case::timed("tests/test_a.py", "test_two[x y]", "1.0"),
        Case::timed("tests/test_b.py", "test_three", "2.0"),
        Case::timed("tests/test_b.py", "test_four", "0.5"),
    ])
}

/// The first of two shards, then `extra`.
fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    shard_args("2", "0", extra)
}

#[test]
fn template_prints_shell_quoted_commands() {
    let dir = suite();
    let out = shardplan_in(
        dir.path(),
        &args(&["--template", "run --shard={shard}/{count} {items}"]),
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "run '--shard=1/2' tests/test_a.py::test_one tests/test_b.py::test_four\n"
    );
    let out = shardplan_in(dir.path(), &args(&["--template", "run {nope}"]), "");
    assert_eq!(out.status.code(), Some(2));
    assert_stderr_contains(&out, "unknown placeholder `{nope}`");
}

#[test]
fn exec_runs_the_commands_and_passes_their_status_on() {
    let dir = suite();
    let out = shardplan_in(
        dir.path(),
        &args(&["--template", "echo {items}", "--exec", "--", "extra"]),
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "tests/test_a.py::test_one tests/test_b.py::test_four extra\n"
    );
    assert_stderr_contains(
        &out,
        "shardplan: running: echo tests/test_a.py::test_one tests/test_b.py::test_four extra",
    );
    let out = shardplan_in(
        dir.path(),
        &args(&["--template", "sh -c 'exit 7'", "--exec"]),
        "",
    );
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert_stderr_contains(&out, "failed with exit status 7");
    // Ids alone are no command.
    let out = shardplan_in(dir.path(), &args(&["--exec"]), "");
    assert_eq!(out.status.code(), Some(2));
    assert_stderr_contains(&out, "say how to run them with --template");
}

#[test]
fn list_file_holds_the_selection() {
    let dir = suite();
    let list = dir.path().join("shard.txt");
    let list_arg = list.display().to_string();
    let out = shardplan_in(
        dir.path(),
        &args(&[
            "--runner",
            "pytest",
            "--list-file",
            &list_arg,
            "--tests-from",
            "-",
        ]),
        "tests/test_a.py::test_one\ntests/test_a.py::test_two[x y]\ntests/test_b.py::test_three\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("@{list_arg}\n"));
    let listed = fs::read_to_string(&list).expect("the list file");
    assert!(!listed.is_empty());
    assert!(
        listed.lines().all(|l| l.starts_with("tests/test_")),
        "{listed}"
    );
}

#[test]
fn the_catch_all_is_announced_and_can_be_turned_off() {
    let dir = suite();
    let last = shard_args("2", "1", &["--runner", "pytest"]);
    let out = shardplan_in(dir.path(), &last, "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("--deselect="), "{}", stdout(&out));
    assert_stderr_contains(
        &out,
        "catch-all: shard 1 also runs every test not in the plan",
    );
    let mut off = last.to_vec();
    off.push("--no-catch-all");
    let out = shardplan_in(dir.path(), &off, "");
    assert!(!stdout(&out).contains("--deselect"), "{}", stdout(&out));
    assert_stderr_contains(&out, "--no-catch-all");
}
