//! The pytest plugin (`python/shardplan_pytest`), run by real pytest over a
//! small generated suite: timings recorded by a real run, then tests added
//! since, one of them `test_a_new`, whose node id has the old `test_a` as its
//! prefix (what pytest's `--deselect` would drop with `test_a`).
//!
//! Most tests load the plugin from the source tree (`PYTHONPATH` and
//! `-p shardplan_pytest`) with the built binary (`SHARDPLAN_BIN`). The last
//! one, `pip_install_puts_the_binary_and_the_plugin_in_a_venv`, builds and
//! installs the wheel as a user does (`pip install .`: a release build, so it
//! runs under CI or with `SHARDPLAN_TEST_PIP_INSTALL=1` only).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use common::{root, shardplan_command, stderr, stdout, tool_available};

/// Where the suite's `conftest.py` appends the id of every test that runs.
const RAN: &str = "ran.txt";

const OLD_TESTS: &str = "\
import time

import pytest


def test_a():
    time.sleep(0.3)


def test_b():
    time.sleep(0.1)


@pytest.mark.parametrize(\"n\", [1, 2, 3])
def test_p(n):
    time.sleep(0.05 * n)


class TestK:
    def test_k(self):
        time.sleep(0.1)
";

/// Whether pytest is here (a visible skip otherwise; a failure under CI).
fn pytest_here() -> bool {
    tool_available("pytest", &["python3", "-m", "pytest", "--version"])
}

/// A suite with `timings.xml` from a real run of its old tests, and tests
/// added since: `test_a_new` (an old id is its prefix), a parametrized test
/// whose ids hold spaces, and a new file.
fn suite() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("shardplan-plugin-")
        .tempdir()
        .expect("a temporary directory");
    let d = dir.path();
    fs::create_dir(d.join("tests")).unwrap();
    fs::write(
        d.join("tests/conftest.py"),
        "import os\n\nimport pytest\n\n\n@pytest.fixture(autouse=True)\n\
         def _record(request):\n    with open(os.environ[\"RAN_LOG\"], \"a\", encoding=\"utf-8\") as log:\n\
         \x20       log.write(request.node.nodeid + \"\\n\")\n",
    )
    .unwrap();
    fs::write(d.join("tests/test_old.py"), OLD_TESTS).unwrap();
    let out = pytest(d, &["-q", "--junitxml=timings.xml"], &[]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    fs::write(
        d.join("tests/test_old.py"),
        format!(
            "{OLD_TESTS}\n\ndef test_a_new():\n    pass\n\n\n\
             @pytest.mark.parametrize(\"words\", [\"a b\", \"c d\"])\ndef test_spaced(words):\n    pass\n"
        ),
    )
    .unwrap();
    fs::write(
        d.join("tests/test_new.py"),
        "def test_fresh():\n    pass\n\n\ndef test_fresh_too():\n    pass\n",
    )
    .unwrap();
    fs::write(d.join(RAN), "").unwrap();
    dir
}

/// `python3 -m pytest -p no:cacheprovider ARGS` in `dir`, with the plugin
/// from the source tree and the built binary, and no CI shard variables
/// but `env`'s.
fn pytest(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new("python3");
    command
        .args([
            "-m",
            "pytest",
            "-p",
            "shardplan_pytest",
            "-p",
            "no:cacheprovider",
        ])
        .env("PYTHONPATH", root().join("python"))
        .env("SHARDPLAN_BIN", env!("CARGO_BIN_EXE_shardplan"));
    pytest_command(command, dir, args, env)
}

/// `command` (a pytest) with `args` in `dir`: no CI shard variables but
/// `env`'s, tests logged to `dir/ran.txt`.
fn pytest_command(mut command: Command, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    for provider in &shardplan::ci_env::PROVIDERS {
        command
            .env_remove(provider.index_var)
            .env_remove(provider.count_var);
    }
    command
        .args(args)
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("RAN_LOG", dir.join(RAN))
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("pytest runs")
}

/// The tests that ran since the last call, and the log emptied.
fn take_ran(dir: &Path) -> Vec<String> {
    let text = fs::read_to_string(dir.join(RAN)).unwrap();
    fs::write(dir.join(RAN), "").unwrap();
    text.lines().map(str::to_string).collect()
}

/// Every test the suite has, as `pytest --collect-only -q` lists it.
fn collected(dir: &Path) -> Vec<String> {
    let out = pytest(dir, &["--collect-only", "-q"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ids: Vec<String> = stdout(&out)
        .lines()
        .filter(|l| l.contains("::"))
        .map(str::to_string)
        .collect();
    fs::write(dir.join("tests.txt"), stdout(&out)).unwrap();
    ids
}

/// Panics unless the `shards` together ran each of `expected` exactly once.
fn assert_exactly_once(expected: &[String], shards: &[Vec<String>]) {
    let mut runs: BTreeMap<&str, usize> = expected.iter().map(|t| (t.as_str(), 0)).collect();
    for test in shards.iter().flatten() {
        *runs.entry(test.as_str()).or_default() += 1;
    }
    let wrong: Vec<_> = runs.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        wrong.is_empty(),
        "not run exactly once: {wrong:?}\n{shards:#?}"
    );
}

/// The output of a pytest run, both streams.
fn log(out: &Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

/// Runs shard 0..3 with `extra` (plugin options) and returns what each ran;
/// each run's summary names the plan `fingerprint`.
fn three_shards(dir: &Path, extra: &[&str], fingerprint: &str) -> Vec<Vec<String>> {
    (0..3)
        .map(|index| {
            let index = index.to_string();
            let mut args = vec![
                "-q",
                "--shardplan-shards",
                "3",
                "--shardplan-index",
                &index,
                "--shardplan-timings",
                "timings.xml",
            ];
            args.extend_from_slice(extra);
            let out = pytest(dir, &args, &[]);
            assert!(out.status.success(), "{}", log(&out));
            for needle in [
                "shardplan: 11 tests planned (6 with timings, 5 estimated)",
                &format!("fingerprint {fingerprint}"),
            ] {
                assert!(
                    stdout(&out).contains(needle),
                    "{needle:?} in\n{}",
                    log(&out)
                );
            }
            take_ran(dir)
        })
        .collect()
}

/// The plan the CLI makes of `tests.txt` with `timings.xml` and `extra`
/// options: its fingerprint and each shard's tests.
fn cli_plan(dir: &Path, extra: &[&str]) -> (String, Vec<BTreeSet<String>>) {
    let out = shardplan_command()
        .args([
            "--shards",
            "3",
            "--tests-from",
            "tests.txt",
            "--runner",
            "pytest",
        ])
        .args(["--timings", "timings.xml", "--quiet", "--json"])
        .args(extra)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let shards = plan["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|shard| {
            shard["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    (plan["fingerprint"].as_str().unwrap().to_string(), shards)
}

/// Panics unless each shard ran exactly what the CLI's plan gives it.
fn assert_cli_plan(ran: &[Vec<String>], cli: &[BTreeSet<String>]) {
    assert_eq!(ran.len(), cli.len());
    for (index, (ran, planned)) in ran.iter().zip(cli).enumerate() {
        let ran: BTreeSet<String> = ran.iter().cloned().collect();
        assert_eq!(&ran, planned, "shard {index}");
    }
}

#[test]
fn three_shards_run_every_collected_test_exactly_once() {
    if !pytest_here() {
        return;
    }
    let suite = suite();
    let d = suite.path();
    let expected = collected(d);
    assert_eq!(expected.len(), 11, "{expected:#?}");
    assert!(expected.contains(&"tests/test_old.py::test_a_new".to_string()));
    assert!(expected.contains(&"tests/test_old.py::test_spaced[a b]".to_string()));
    let (fingerprint, cli) = cli_plan(d, &[]);
    let shards = three_shards(d, &[], &fingerprint);
    assert_exactly_once(&expected, &shards);
    // Each shard is the CLI's for the same list: same plan, same options.
    assert_cli_plan(&shards, &cli);
    assert!(shards.iter().all(|s| !s.is_empty()), "{shards:#?}");
}

#[test]
fn the_summary_shows_in_pytests_output_and_nothing_happens_unasked() {
    if !pytest_here() {
        return;
    }
    let suite = suite();
    let d = suite.path();
    let expected = collected(d);
    let out = pytest(
        d,
        &[
            "--shardplan-shards=3",
            "--shardplan-index=1",
            "--shardplan-timings=timings.xml",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", log(&out));
    let text = stdout(&out);
    let ran = take_ran(d);
    for needle in [
        "shardplan: 3 shards by best;",
        "shardplan: matched 6 of 11 listed tests to timings",
        &format!(
            "shardplan: running {} of {} collected tests",
            ran.len(),
            expected.len()
        ),
        &format!("{} deselected", expected.len() - ran.len()),
    ] {
        assert!(text.contains(needle), "{needle:?} in\n{text}");
    }
    assert!(!text.contains("wrote plan"), "{text}");
    // No shard options and no CI variables: every test, no shardplan.
    let out = pytest(d, &["-q", "--shardplan-timings=timings.xml"], &[]);
    assert!(out.status.success(), "{}", log(&out));
    assert!(!log(&out).contains("shardplan"), "{}", log(&out));
    let mut ran = take_ran(d);
    ran.sort();
    let mut all = expected.clone();
    all.sort();
    assert_eq!(ran, all);
}

#[test]
fn the_ci_variables_choose_the_shard_as_they_do_for_the_cli() {
    if !pytest_here() {
        return;
    }
    let suite = suite();
    let d = suite.path();
    let expected = collected(d);
    let (fingerprint, _) = cli_plan(d, &[]);
    let shards = three_shards(d, &[], &fingerprint);
    // GitLab's index is 1-based: job 2 of 3 is shard 1.
    let out = pytest(
        d,
        &["-q", "--shardplan-timings", "timings.xml"],
        &[("CI_NODE_INDEX", "2"), ("CI_NODE_TOTAL", "3")],
    );
    assert!(out.status.success(), "{}", log(&out));
    assert!(
        stdout(&out).contains("GitLab CI: CI_NODE_INDEX=2 of CI_NODE_TOTAL=3 (1-based)"),
        "{}",
        log(&out)
    );
    assert_eq!(take_ran(d), shards[1]);
    // shardplan's own variables, and an explicit index over a CI's.
    let from_env: Vec<Vec<String>> = (0..3)
        .map(|index| {
            let index = index.to_string();
            let out = pytest(
                d,
                &["-q", "--shardplan-timings", "timings.xml"],
                &[("SHARDPLAN_SHARDS", "3"), ("SHARDPLAN_INDEX", &index)],
            );
            assert!(out.status.success(), "{}", log(&out));
            take_ran(d)
        })
        .collect();
    assert_eq!(from_env, shards);
    assert_exactly_once(&expected, &from_env);
    let out = pytest(
        d,
        &[
            "-q",
            "--shardplan-index=0",
            "--shardplan-timings",
            "timings.xml",
        ],
        &[("CIRCLE_NODE_INDEX", "2"), ("CIRCLE_NODE_TOTAL", "3")],
    );
    assert!(out.status.success(), "{}", log(&out));
    assert_eq!(take_ran(d), shards[0]);
}

#[test]
fn extra_options_reach_the_planner() {
    if !pytest_here() {
        return;
    }
    let suite = suite();
    let d = suite.path();
    let expected = collected(d);
    let (fingerprint, cli) = cli_plan(d, &["--by", "file", "--algorithm", "lpt"]);
    let shards = three_shards(
        d,
        &["--shardplan-args", "--by file --algorithm lpt"],
        &fingerprint,
    );
    assert_exactly_once(&expected, &shards);
    assert_cli_plan(&shards, &cli);
    // By file: a file's tests all run on one shard.
    let mut files: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, ran) in shards.iter().enumerate() {
        for test in ran {
            let file = test.split("::").next().unwrap();
            assert_eq!(*files.entry(file).or_insert(index), index, "{shards:#?}");
        }
    }
}

/// Plugin options, environment, and the message they must fail with.
type Failure<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn a_failing_shardplan_fails_the_session_with_its_message() {
    if !pytest_here() {
        return;
    }
    let suite = suite();
    let d = suite.path();
    let cases: [Failure; 5] = [
        (
            &["--shardplan-shards=3", "--shardplan-index=3"],
            &[],
            "--index 3 is out of range for the plan's 3 shards",
        ),
        (&["--shardplan-index=1"], &[], "error: how many shards?"),
        (
            &[],
            &[("CI_NODE_INDEX", "0"), ("CI_NODE_TOTAL", "3")],
            "CI_NODE_INDEX=0 is out of range for CI_NODE_TOTAL=3",
        ),
        (
            &[
                "--shardplan-shards=2",
                "--shardplan-index=0",
                "--shardplan-args=--json",
            ],
            &[],
            "--json cannot be given in --shardplan-args",
        ),
        (
            &[
                "--shardplan-shards=2",
                "--shardplan-index=0",
                "--shardplan-timings=nowhere/*.xml",
            ],
            &[("SHARDPLAN_BIN", "/nonexistent/shardplan")],
            "SHARDPLAN_BIN='/nonexistent/shardplan' is not a file",
        ),
    ];
    for (args, env, message) in cases {
        let out = pytest(d, args, env);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", log(&out));
        assert!(log(&out).contains(message), "{message:?} in\n{}", log(&out));
        assert!(take_ran(d).is_empty(), "{args:?} ran tests");
    }
    // shardplan's own flags in its message are the plugin's options.
    let out = pytest(d, cases[0].0, &[]);
    assert!(
        log(&out).contains(
            "the plugin passes --shardplan-shards as --shards, --shardplan-index as --index"
        ),
        "{}",
        log(&out)
    );
}

#[test]
fn a_shard_the_plan_left_empty_exits_zero() {
    if !pytest_here() {
        return;
    }
    let suite = suite();
    let d = suite.path();
    let out = pytest(d, &["--shardplan-shards=40", "--shardplan-index=39"], &[]);
    assert!(out.status.success(), "{}", log(&out));
    assert!(
        stdout(&out).contains("running 0 of 11 collected tests"),
        "{}",
        log(&out)
    );
    assert!(take_ran(d).is_empty());
}

#[test]
fn the_plugin_knows_the_ci_variables_shardplan_reads() {
    if !pytest_here() {
        return;
    }
    let out = Command::new("python3")
        .args([
            "-c",
            "import shardplan_pytest as p\nfor i, c in p.CI_VARIABLES: print(i, c)",
        ])
        .env("PYTHONPATH", root().join("python"))
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let expected: String = shardplan::ci_env::PROVIDERS
        .iter()
        .map(|p| format!("{} {}\n", p.index_var, p.count_var))
        .collect();
    assert_eq!(stdout(&out), expected);
}

/// `dir/bin/NAME` (`dir\Scripts\NAME.exe` on Windows) of a venv.
fn venv_program(venv: &Path, name: &str) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join(format!("{name}.exe"))
    } else {
        venv.join("bin").join(name)
    }
}

/// `pip install .` into a fresh venv, as the README says: the binary lands
/// on the venv's PATH and pytest finds the plugin through its entry point
/// and the binary through the wheel, with nothing else set.
#[test]
fn pip_install_puts_the_binary_and_the_plugin_in_a_venv() {
    if std::env::var_os("CI").is_none() && std::env::var_os("SHARDPLAN_TEST_PIP_INSTALL").is_none()
    {
        common::skip_note(
            "`pip install .` (a release build of the wheel): set SHARDPLAN_TEST_PIP_INSTALL=1 to run it; CI runs it",
        );
        return;
    }
    if !pytest_here()
        || !tool_available(
            "python3 -m venv",
            &["python3", "-c", "import ensurepip, venv"],
        )
    {
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let venv = temp.path().join("venv");
    // Without the system's packages pytest would have to be downloaded too.
    let out = Command::new("python3")
        .args(["-m", "venv", "--system-site-packages"])
        .arg(&venv)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let python = venv_program(&venv, "python");
    let started = Instant::now();
    let out = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
        ])
        .arg(root())
        // Its own target directory: `cargo test` may hold the lock of
        // target/, and a warm one makes the next run quick.
        .env("CARGO_TARGET_DIR", root().join("target/pip-install"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "pip install .:\n{}", log(&out));
    eprintln!("note: pip install . took {:.0?}", started.elapsed());

    let installed = venv_program(&venv, "shardplan");
    let out = Command::new(&installed).arg("--version").output().unwrap();
    assert_eq!(
        stdout(&out).trim(),
        format!("shardplan {}", env!("CARGO_PKG_VERSION"))
    );

    let suite = suite();
    let d = suite.path();
    let expected = collected(d);
    // The venv's PATH, as `activate` sets it, and no SHARDPLAN_BIN: the
    // plugin finds the binary its wheel installed.
    let path = std::env::join_paths(
        std::iter::once(installed.parent().unwrap().to_path_buf()).chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .filter(|p| !p.join("shardplan").exists() && !p.join("shardplan.exe").exists()),
        ),
    )
    .unwrap();
    let shards: Vec<Vec<String>> = (0..3)
        .map(|index| {
            let mut command = Command::new(&python);
            command
                .args(["-m", "pytest", "-p", "no:cacheprovider", "-q"])
                .env("PATH", &path)
                .env_remove("SHARDPLAN_BIN")
                .env_remove("PYTHONPATH");
            let index = index.to_string();
            let args = [
                "--shardplan-shards",
                "3",
                "--shardplan-index",
                &index,
                "--shardplan-timings",
                "timings.xml",
            ];
            let out = pytest_command(command, d, &args, &[]);
            assert!(out.status.success(), "{}", log(&out));
            // The plugin names the binary it ran: the wheel's.
            let ran = stdout(&out)
                .lines()
                .find_map(|l| {
                    l.strip_prefix("shardplan: ")
                        .filter(|p| Path::new(p).is_file())
                })
                .map(|p| fs::canonicalize(p).unwrap());
            assert_eq!(
                ran,
                Some(fs::canonicalize(&installed).unwrap()),
                "{}",
                log(&out)
            );
            take_ran(d)
        })
        .collect();
    assert_exactly_once(&expected, &shards);
}
