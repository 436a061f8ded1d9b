//! End to end, with the real runners: for the example suites in
//! `fixtures/suites/` (pytest, go test, cargo nextest, jest), a timing report
//! is made by the runner itself, a test is added after it, and every shard
//! of N = 1, 2, 3 and 5 is run with the filter shardplan emits. The runner's
//! own report (JUnit or JSON, never timing) must show that the shards
//! together ran the whole suite, new test included, and no test twice.
//!
//! Each N is checked twice: without `--tests-from` (the catch-all takes the
//! new test), running the shards with `--exec`; and with the runner's own
//! listing in `--tests-from`, running the printed filter the way the README
//! says. Then `--by file` over 5 shards leaves shards empty, whose no-op
//! forms must run nothing and pass.
//!
//! Suites are copied to a temporary directory; nothing is written into the
//! repository. A missing runner is a notice on a developer's machine and a
//! failure under CI (see `common::tool_available`).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{
    assert_partition, copy_suite, junit_tests, pytest_suite_with_timings, root, run, stderr,
    stdout, tool_available,
};

const SHARD_COUNTS: [usize; 4] = [1, 2, 3, 5];

/// The shard counts for runners that take seconds to start (vitest,
/// Playwright with a browser): every shard of these still runs.
const FEW_SHARD_COUNTS: [usize; 2] = [2, 3];

/// Sleeps in the suites are scaled by this when the timing report is made:
/// durations stay distinct, the run stays short. Shard runs do not sleep.
const TIMING_SCALE: &str = "0.05";

/// Runs shardplan in `dir`; panics unless it succeeds.
fn shardplan(dir: &Path, args: &[String], env: &[(&str, &str)]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_shardplan"))
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("shardplan runs");
    assert!(
        output.status.success(),
        "shardplan {args:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    output
}

/// The shardplan arguments for shard `index` of `count`.
fn plan_args(runner: &str, count: usize, index: usize, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "--shards",
        &count.to_string(),
        "--index",
        &index.to_string(),
        "--runner",
        runner,
        "--timings",
        "timings.xml",
        "-q",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// [`plan_args`] with the planning options `plan`, then `extra` (`--exec`
/// and the runner's arguments).
fn exec_args(
    plan: &[&str],
    runner: &str,
    count: usize,
    index: usize,
    extra: &[&str],
) -> Vec<String> {
    plan_args(runner, count, index, &[plan, extra].concat())
}

/// Runs shard `index` of `count` in the suite directory, with extra
/// planning options; returns the tests the runner's report lists.
type ExecFn = dyn Fn(&Path, usize, usize, &[&str]) -> Vec<String>;

/// How one runner is driven: how its shards are run and what its report
/// says was executed.
struct Driver<'a> {
    /// `--runner`.
    runner: &'a str,
    /// Runs shard `index` of `count` planned with the given options, with
    /// `--exec` and the runner's report options; returns the tests its
    /// report lists.
    exec: &'a ExecFn,
    /// Runs the printed filter `printed` of shard `label` the documented
    /// way; returns the tests the runner's report lists.
    printed: &'a dyn Fn(&Path, &str, &str) -> Vec<String>,
    /// The shard counts to check: [`SHARD_COUNTS`], or fewer for a runner
    /// that starts slowly.
    counts: &'a [usize],
    /// Planning options beyond the shard, the runner and the timings (the
    /// `--by file` check gives its own `--by`).
    plan: &'a [&'a str],
}

/// The checks every runner goes through, after its timing report was made,
/// a test was added, `tests.txt` holds its listing and `expected` its whole
/// suite as its report names the tests.
fn check_every_shard_count(dir: &Path, driver: &Driver<'_>, expected: &[String]) {
    check_catch_all(dir, driver, expected);
    check_tests_from(dir, driver, expected);
}

/// Every N without `--tests-from`: the catch-all takes the new test; the
/// shards run with `--exec`.
fn check_catch_all(dir: &Path, driver: &Driver<'_>, expected: &[String]) {
    for &count in driver.counts {
        let runs: Vec<Vec<String>> = (0..count)
            .map(|i| (driver.exec)(dir, count, i, driver.plan))
            .collect();
        assert_partition(
            &format!("{} N={count}, catch-all, --exec", driver.runner),
            expected,
            &runs,
        );
    }
}

/// Every N with the runner's listing in `--tests-from`, the printed filter
/// run the documented way; then whole files over 5 shards, some of them
/// empty.
fn check_tests_from(dir: &Path, driver: &Driver<'_>, expected: &[String]) {
    for &count in driver.counts {
        let runs: Vec<Vec<String>> = (0..count)
            .map(|i| {
                let mut extra = vec!["--tests-from", "tests.txt"];
                extra.extend_from_slice(driver.plan);
                let args = plan_args(driver.runner, count, i, &extra);
                let printed = stdout(&shardplan(dir, &args, &[]));
                (driver.printed)(dir, &printed, &format!("listed-{count}-{i}"))
            })
            .collect();
        assert_partition(
            &format!("{} N={count}, --tests-from, printed", driver.runner),
            expected,
            &runs,
        );
    }
    // Whole files over 5 shards: some shards are empty and print a no-op.
    let runs: Vec<Vec<String>> = (0..5)
        .map(|i| {
            let args = plan_args(
                driver.runner,
                5,
                i,
                &["--tests-from", "tests.txt", "--by", "file"],
            );
            let printed = stdout(&shardplan(dir, &args, &[]));
            (driver.printed)(dir, &printed, &format!("by-file-{i}"))
        })
        .collect();
    assert!(
        runs.iter().any(Vec::is_empty),
        "no shard was empty: {runs:?}"
    );
    assert_partition(
        &format!("{} N=5 by file, --tests-from, printed", driver.runner),
        expected,
        &runs,
    );
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim().is_empty()).collect()
}

mod pytest {
    use super::*;

    const ENV: &[(&str, &str)] = &[("PYTHONDONTWRITEBYTECODE", "1"), ("SUITE_TIME_SCALE", "0")];

    fn report(dir: &Path, label: &str) -> PathBuf {
        dir.join("shardplan-reports").join(format!("{label}.xml"))
    }

    fn exec(dir: &Path, count: usize, index: usize, plan: &[&str]) -> Vec<String> {
        let report = report(dir, &format!("exec-{count}-{index}"));
        let junit = format!("--junitxml={}", report.display());
        let args = exec_args(
            plan,
            "pytest",
            count,
            index,
            &["--exec", "--", "-p", "no:cacheprovider", "-q", &junit],
        );
        shardplan(dir, &args, ENV);
        junit_tests(&report, false)
    }

    /// `pytest @shard.txt`, as the README says.
    fn printed(dir: &Path, printed: &str, label: &str) -> Vec<String> {
        let args_file = dir.join(format!("shardplan-reports/{label}.txt"));
        fs::write(&args_file, printed).expect("the shard's arguments");
        let report = report(dir, label);
        let junit = format!("--junitxml={}", report.display());
        let at = format!("@{}", args_file.display());
        run(
            dir,
            &[
                "python3",
                "-m",
                "pytest",
                &at,
                "-p",
                "no:cacheprovider",
                "-q",
                &junit,
            ],
            ENV,
        );
        junit_tests(&report, false)
    }

    #[test]
    fn every_shard_count_runs_the_suite_exactly_once() {
        if !tool_available("pytest", &["python3", "-m", "pytest", "--version"]) {
            return;
        }
        let suite = pytest_suite_with_timings(TIMING_SCALE);
        let dir = suite.path();
        fs::write(
            dir.join("tests/test_added.py"),
            "import pytest\n\n\n@pytest.mark.parametrize(\"word\", [\"neu\", \"ünï\"])\n\
             def test_added_after_the_timings(nap, word):\n    nap(5)\n    assert word\n",
        )
        .expect("a new test file");
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
        let whole = report(dir, "whole");
        run(
            dir,
            &[
                "python3",
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-q",
                &format!("--junitxml={}", whole.display()),
            ],
            ENV,
        );
        let expected = junit_tests(&whole, false);
        assert_eq!(expected.len(), 22, "{expected:#?}");
        assert!(
            expected
                .iter()
                .any(|t| t.contains("test_added_after_the_timings["))
        );
        check_every_shard_count(
            dir,
            &Driver {
                runner: "pytest",
                exec: &exec,
                printed: &printed,
                counts: &SHARD_COUNTS,
                plan: &[],
            },
            &expected,
        );
    }
}

mod go {
    use super::*;

    /// Go's build cache is shared between runs (it is keyed by content);
    /// test results are never cached.
    fn env() -> Vec<(&'static str, String)> {
        let cache = std::env::temp_dir().join("shardplan-e2e-gocache");
        vec![
            ("GOCACHE", cache.display().to_string()),
            ("GOPROXY", "off".to_string()),
            ("GOFLAGS", "-count=1".to_string()),
            ("GO111MODULE", "on".to_string()),
            ("SUITE_TIME_SCALE", "0".to_string()),
        ]
    }

    fn with_env<T>(extra: &[(&str, &str)], f: impl FnOnce(&[(&str, &str)]) -> T) -> T {
        let owned = env();
        let mut all: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for (key, value) in extra {
            all.retain(|(k, _)| k != key);
            all.push((key, value));
        }
        f(&all)
    }

    /// The tests (subtests included) a `go test -json` stream reports as
    /// run, as `<package>.<test>`.
    fn json_tests(stream: &[u8]) -> Vec<String> {
        String::from_utf8_lossy(stream)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|event| {
                matches!(event["Action"].as_str(), Some("pass" | "fail" | "skip"))
                    && event["Test"].is_string()
            })
            .map(|event| {
                format!(
                    "{}.{}",
                    event["Package"].as_str().unwrap_or_default(),
                    event["Test"].as_str().unwrap_or_default()
                )
            })
            .collect()
    }

    fn exec(dir: &Path, count: usize, index: usize, plan: &[&str]) -> Vec<String> {
        let args = exec_args(plan, "go", count, index, &["--exec", "--", "-json"]);
        let output = with_env(&[], |env| shardplan(dir, &args, env));
        json_tests(&output.stdout)
    }

    /// Each printed line through `sh`, with `-json` from GOFLAGS.
    fn printed(dir: &Path, printed: &str, _label: &str) -> Vec<String> {
        let mut tests = Vec::new();
        for line in lines(printed) {
            let output = with_env(&[("GOFLAGS", "-count=1 -json")], |env| {
                run(dir, &["sh", "-c", line], env)
            });
            tests.extend(json_tests(&output.stdout));
        }
        tests
    }

    #[test]
    fn every_shard_count_runs_the_suite_exactly_once() {
        if !tool_available("go", &["go", "version"])
            || !tool_available("gotestsum", &["gotestsum", "--version"])
        {
            return;
        }
        let suite = copy_suite("go");
        let dir = suite.path();
        with_env(&[("SUITE_TIME_SCALE", TIMING_SCALE)], |env| {
            run(
                dir,
                &["gotestsum", "--junitfile", "timings.xml", "--", "./..."],
                env,
            )
        });
        fs::write(
            dir.join("calc/added_test.go"),
            "package calc\n\nimport \"testing\"\n\n\
             func TestAddedAfterTheTimings(t *testing.T) {\n\
             \tt.Run(\"sub case\", func(t *testing.T) {})\n}\n",
        )
        .expect("a new test");
        // A new test under a name another package has: wherever a shared
        // `-run` pattern names calc's TestAdd, it reaches this one too.
        fs::write(
            dir.join("text/added_test.go"),
            "package text\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {}\n",
        )
        .expect("a new test with a known name");
        let listing = with_env(&[], |env| {
            run(dir, &["go", "test", "-list", ".*", "./..."], env)
        });
        fs::write(dir.join("tests.txt"), &listing.stdout).expect("the listing");
        let whole = with_env(&[], |env| run(dir, &["go", "test", "-json", "./..."], env));
        let expected = json_tests(&whole.stdout);
        assert_eq!(expected.len(), 21, "{expected:#?}");
        assert!(
            expected
                .iter()
                .any(|t| t.ends_with("calc.TestAddedAfterTheTimings/sub_case"))
        );
        check_every_shard_count(
            dir,
            &Driver {
                runner: "go",
                exec: &exec,
                printed: &printed,
                counts: &SHARD_COUNTS,
                plan: &[],
            },
            &expected,
        );
    }
}

mod nextest {
    use super::*;

    /// One target directory for every run on this machine, so that repeated
    /// runs build incrementally; each copy keeps its reports in its own
    /// nextest store (set in its `.config/nextest.toml`).
    fn env(scale: &str) -> Vec<(&'static str, String)> {
        let target = std::env::temp_dir().join("shardplan-e2e-nextest-target");
        vec![
            ("CARGO_TARGET_DIR", target.display().to_string()),
            ("SUITE_TIME_SCALE", scale.to_string()),
            ("NEXTEST_PROFILE", "ci".to_string()),
        ]
    }

    fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
        env.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }

    /// The copy's JUnit report of profile `ci`, taken away so that the next
    /// run starts without one.
    fn take_junit(dir: &Path) -> Vec<String> {
        let path = dir.join("shardplan-reports/nextest/ci/junit.xml");
        let tests = junit_tests(&path, true);
        let _ = fs::remove_file(&path);
        tests
    }

    fn exec(dir: &Path, count: usize, index: usize, plan: &[&str]) -> Vec<String> {
        let args = exec_args(plan, "nextest", count, index, &["--exec"]);
        shardplan(dir, &args, &borrowed(&env("0")));
        take_junit(dir)
    }

    /// Each printed line through `sh`, its report collected after it.
    fn printed(dir: &Path, printed: &str, _label: &str) -> Vec<String> {
        let env = env("0");
        let mut tests = Vec::new();
        for line in lines(printed) {
            run(dir, &["sh", "-c", line], &borrowed(&env));
            tests.extend(take_junit(dir));
        }
        tests
    }

    #[test]
    fn every_shard_count_runs_the_suite_exactly_once() {
        if !tool_available("cargo-nextest", &["cargo", "nextest", "--version"]) {
            return;
        }
        let suite = copy_suite("nextest");
        let dir = suite.path();
        let config = dir.join(".config/nextest.toml");
        let mut text = fs::read_to_string(&config).expect("the suite's nextest config");
        text.push_str(&format!(
            "\n[store]\ndir = {:?}\n",
            dir.join("shardplan-reports/nextest").display().to_string()
        ));
        fs::write(&config, text).expect("the copy's nextest config");
        run(
            dir,
            &["cargo", "nextest", "run"],
            &borrowed(&env(TIMING_SCALE)),
        );
        fs::copy(
            dir.join("shardplan-reports/nextest/ci/junit.xml"),
            dir.join("timings.xml"),
        )
        .expect("the timing report");
        fs::write(
            dir.join("tests/added.rs"),
            "//! A test binary added after the timings.\n\n#[test]\nfn added_after_the_timings() {}\n\n\
             mod later {\n    #[test]\n    fn ünïcode_case() {}\n}\n",
        )
        .expect("a new test binary");
        let env = env("0");
        let listing = run(
            dir,
            &["cargo", "nextest", "list", "--message-format", "oneline"],
            &borrowed(&env),
        );
        fs::write(dir.join("tests.txt"), &listing.stdout).expect("the listing");
        let _ = fs::remove_file(dir.join("shardplan-reports/nextest/ci/junit.xml"));
        run(dir, &["cargo", "nextest", "run"], &borrowed(&env));
        let expected = take_junit(dir);
        assert_eq!(expected.len(), 15, "{expected:#?}");
        assert!(expected.contains(&"shardsuite::added::later::ünïcode_case".to_string()));
        check_every_shard_count(
            dir,
            &Driver {
                runner: "nextest",
                exec: &exec,
                printed: &printed,
                counts: &SHARD_COUNTS,
                plan: &[],
            },
            &expected,
        );
    }
}

mod jest {
    use super::*;

    const ENV: &[(&str, &str)] = &[("SUITE_TIME_SCALE", "0"), ("CI", "true")];

    /// The tests a `jest --json` report lists, as `<file>::<full name>`
    /// (Vitest's JSON reporter writes the same shape).
    pub(super) fn json_tests(dir: &Path, path: &Path) -> Vec<String> {
        let text = fs::read_to_string(path).expect("jest wrote its JSON report");
        let report: serde_json::Value = serde_json::from_str(&text).expect("a JSON report");
        let base = dir.canonicalize().expect("the suite directory");
        let mut tests = Vec::new();
        for file in report["testResults"].as_array().expect("testResults") {
            let name = Path::new(file["name"].as_str().expect("a file name"));
            let relative = name
                .strip_prefix(&base)
                .unwrap_or(name)
                .display()
                .to_string();
            for case in file["assertionResults"]
                .as_array()
                .expect("assertionResults")
            {
                tests.push(format!(
                    "{relative}::{}",
                    case["fullName"].as_str().unwrap_or_default()
                ));
            }
        }
        tests
    }

    fn report(dir: &Path, label: &str) -> PathBuf {
        dir.join("shardplan-reports").join(format!("{label}.json"))
    }

    fn exec(dir: &Path, count: usize, index: usize, plan: &[&str]) -> Vec<String> {
        let report = report(dir, &format!("exec-{count}-{index}"));
        let output = format!("--outputFile={}", report.display());
        let args = exec_args(
            plan,
            "jest",
            count,
            index,
            &["--exec", "--", "--ci", "--json", &output],
        );
        shardplan(dir, &args, ENV);
        json_tests(dir, &report)
    }

    /// `xargs -d '\n' npx jest --runTestsByPath < shard.txt`, as the README
    /// says.
    fn printed(dir: &Path, printed: &str, label: &str) -> Vec<String> {
        let report = report(dir, label);
        let output = format!("--outputFile={}", report.display());
        let mut argv = vec!["npx", "--no", "--", "jest", "--runTestsByPath"];
        argv.extend(lines(printed));
        argv.extend(["--ci", "--json", &output]);
        run(dir, &argv, ENV);
        json_tests(dir, &report)
    }

    #[test]
    fn every_shard_count_runs_the_suite_exactly_once() {
        let modules = root().join("fixtures/suites/jest/node_modules");
        if !tool_available("node", &["node", "--version"])
            || !tool_available(
                "jest (npm install in fixtures/suites/jest)",
                &[
                    "test",
                    "-x",
                    &modules.join(".bin/jest").display().to_string(),
                ],
            )
        {
            return;
        }
        let suite = copy_suite("jest");
        let dir = suite.path();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&modules, dir.join("node_modules")).expect("node_modules");
        run(
            dir,
            &[
                "npx",
                "--no",
                "--",
                "jest",
                "--ci",
                "--reporters=default",
                "--reporters=jest-junit",
            ],
            &[
                ("SUITE_TIME_SCALE", TIMING_SCALE),
                ("JEST_JUNIT_OUTPUT_DIR", &dir.display().to_string()),
                ("JEST_JUNIT_OUTPUT_NAME", "timings.xml"),
                ("JEST_JUNIT_ADD_FILE_ATTRIBUTE", "true"),
            ],
        );
        fs::write(
            dir.join("tests/added.test.js"),
            "describe('added after the timings', () => {\n  test('still runs — ünïcode', () => {\n    \
             expect(1 + 1).toBe(2);\n  });\n});\n",
        )
        .expect("a new test file");
        let listing = run(dir, &["npx", "--no", "--", "jest", "--listTests"], ENV);
        fs::write(dir.join("tests.txt"), &listing.stdout).expect("the listing");
        let whole = report(dir, "whole");
        run(
            dir,
            &[
                "npx",
                "--no",
                "--",
                "jest",
                "--ci",
                "--json",
                &format!("--outputFile={}", whole.display()),
            ],
            ENV,
        );
        let expected = json_tests(dir, &whole);
        assert_eq!(expected.len(), 16, "{expected:#?}");
        check_every_shard_count(
            dir,
            &Driver {
                runner: "jest",
                exec: &exec,
                printed: &printed,
                counts: &SHARD_COUNTS,
                plan: &[],
            },
            &expected,
        );
    }
}

/// A copy of the npm suite `fixtures/suites/<name>` with its installed
/// `node_modules` linked in, or `None` (after `tool_available`'s notice or
/// panic) when node or the suite's `bin` is not installed.
fn npm_suite(name: &str, bin: &str) -> Option<tempfile::TempDir> {
    let modules = root()
        .join("fixtures/suites")
        .join(name)
        .join("node_modules");
    let probe = modules.join(".bin").join(bin).display().to_string();
    if !tool_available("node", &["node", "--version"])
        || !tool_available(
            &format!("{bin} (npm install in fixtures/suites/{name})"),
            &["test", "-x", &probe],
        )
    {
        return None;
    }
    let suite = copy_suite(name);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&modules, suite.path().join("node_modules")).expect("node_modules");
    Some(suite)
}

/// `argv` followed by the printed filter's lines as arguments, the way
/// `xargs -d '\n' RUNNER < shard.txt` runs them.
fn with_lines<'a>(argv: &[&'a str], printed: &'a str, tail: &[&'a str]) -> Vec<&'a str> {
    let mut all = argv.to_vec();
    all.extend(lines(printed));
    all.extend_from_slice(tail);
    all
}

/// A JSON document a runner wrote.
fn read_json(path: &Path) -> serde_json::Value {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the runner wrote no report at {}: {e}", path.display()));
    serde_json::from_str(&text).expect("a JSON report")
}

/// `path` relative to the suite directory `dir` (runners write absolute
/// paths, some with `./`).
fn relative(dir: &Path, path: &str) -> String {
    let base = dir.canonicalize().expect("the suite directory");
    let path = path.strip_prefix("./").unwrap_or(path);
    Path::new(path)
        .strip_prefix(&base)
        .or_else(|_| Path::new(path).strip_prefix(dir))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.to_string())
}

mod vitest {
    use super::*;

    const ENV: &[(&str, &str)] = &[("SUITE_TIME_SCALE", "0"), ("CI", "true")];
    const VITEST: &[&str] = &["npx", "--no", "--", "vitest", "run"];

    fn report(dir: &Path, label: &str) -> PathBuf {
        dir.join("shardplan-reports").join(format!("{label}.json"))
    }

    fn exec(dir: &Path, count: usize, index: usize, plan: &[&str]) -> Vec<String> {
        let report = report(dir, &format!("exec-{count}-{index}"));
        let output = format!("--outputFile={}", report.display());
        let args = exec_args(
            plan,
            "vitest",
            count,
            index,
            &["--exec", "--", "--reporter=json", &output],
        );
        shardplan(dir, &args, ENV);
        jest::json_tests(dir, &report)
    }

    /// `xargs -d '\n' npx vitest run < shard.txt`.
    fn printed(dir: &Path, printed: &str, label: &str) -> Vec<String> {
        let report = report(dir, label);
        let output = format!("--outputFile={}", report.display());
        run(
            dir,
            &with_lines(VITEST, printed, &["--reporter=json", &output]),
            ENV,
        );
        jest::json_tests(dir, &report)
    }

    #[test]
    fn every_shard_count_runs_the_suite_exactly_once() {
        let Some(suite) = npm_suite("vitest", "vitest") else {
            return;
        };
        let dir = suite.path();
        run(
            dir,
            &with_lines(
                VITEST,
                "",
                &["--reporter=junit", "--outputFile=timings.xml"],
            ),
            &[("SUITE_TIME_SCALE", TIMING_SCALE), ("CI", "true")],
        );
        fs::write(
            dir.join("tests/added.test.js"),
            "import { describe, expect, test } from 'vitest';\n\n\
             describe('added after the timings', () => {\n  test('still runs — ünïcode', () => {\n    \
             expect(1 + 1).toBe(2);\n  });\n});\n",
        )
        .expect("a new test file");
        let listing = run(
            dir,
            &["npx", "--no", "--", "vitest", "list", "--filesOnly"],
            ENV,
        );
        fs::write(dir.join("tests.txt"), &listing.stdout).expect("the listing");
        let expected = printed(dir, "", "whole");
        assert_eq!(expected.len(), 14, "{expected:#?}");
        assert!(
            expected
                .iter()
                .any(|t| t.starts_with("tests/added.test.js::"))
        );
        check_every_shard_count(
            dir,
            &Driver {
                runner: "vitest",
                exec: &exec,
                printed: &printed,
                counts: &FEW_SHARD_COUNTS,
                plan: &[],
            },
            &expected,
        );
    }
}

mod mocha {
    use super::*;

    const ENV: &[(&str, &str)] = &[("SUITE_TIME_SCALE", "0")];
    const MOCHA: &[&str] = &["npx", "--no", "--", "mocha"];

    fn report(dir: &Path, label: &str) -> PathBuf {
        dir.join("shardplan-reports").join(format!("{label}.json"))
    }

    /// The tests mocha's `json` reporter lists, as `<file>::<full title>`.
    fn json_tests(dir: &Path, path: &Path) -> Vec<String> {
        read_json(path)["tests"]
            .as_array()
            .expect("tests")
            .iter()
            .map(|t| {
                format!(
                    "{}::{}",
                    relative(dir, t["file"].as_str().unwrap_or_default()),
                    t["fullTitle"].as_str().unwrap_or_default()
                )
            })
            .collect()
    }

    fn exec(dir: &Path, count: usize, index: usize, plan: &[&str]) -> Vec<String> {
        let report = report(dir, &format!("exec-{count}-{index}"));
        let output = format!("--reporter-option=output={}", report.display());
        let args = exec_args(
            plan,
            "mocha",
            count,
            index,
            &["--exec", "--", "--reporter=json", &output],
        );
        shardplan(dir, &args, ENV);
        json_tests(dir, &report)
    }

    /// `xargs -d '\n' npx mocha < shard.txt`.
    fn printed(dir: &Path, printed: &str, label: &str) -> Vec<String> {
        let report = report(dir, label);
        let output = format!("--reporter-option=output={}", report.display());
        run(
            dir,
            &with_lines(MOCHA, printed, &["--reporter=json", &output]),
            ENV,
        );
        json_tests(dir, &report)
    }

    /// The spec file whose name has glob metacharacters.
    const BRACKETS: &str = "test/text [unicode].spec.js";

    /// Makes the timing report, adds a spec file, lists the specs and
    /// checks every shard count, with `mocharc` as the suite's
    /// `.mocharc.json`; `brackets` keeps the name of [`BRACKETS`], else it
    /// is renamed without them.
    fn check_with_config(mocharc: &str, brackets: bool) {
        let Some(suite) = npm_suite("mocha", "mocha") else {
            return;
        };
        let dir = suite.path();
        fs::write(dir.join(".mocharc.json"), mocharc).expect("the mocha config");
        if !brackets {
            fs::rename(dir.join(BRACKETS), dir.join("test/text unicode.spec.js"))
                .expect("the spec file renamed");
        }
        run(
            dir,
            &[
                "npx",
                "--no",
                "--",
                "mocha",
                "--reporter=mocha-junit-reporter",
                "--reporter-option=mochaFile=timings.xml",
            ],
            &[("SUITE_TIME_SCALE", TIMING_SCALE)],
        );
        fs::write(
            dir.join("test/added.spec.js"),
            "const assert = require('node:assert');\n\n\
             describe('added after the timings', () => {\n  it('still runs — ünïcode', () => {\n    \
             assert.strictEqual(1 + 1, 2);\n  });\n});\n",
        )
        .expect("a new spec file");
        // Mocha lists no files; its dry run names every test's file.
        let dry = report(dir, "dry-run");
        run(
            dir,
            &[
                "npx",
                "--no",
                "--",
                "mocha",
                "--dry-run",
                "--reporter=json",
                &format!("--reporter-option=output={}", dry.display()),
            ],
            ENV,
        );
        let mut files: Vec<String> = read_json(&dry)["tests"]
            .as_array()
            .expect("tests")
            .iter()
            .map(|t| t["file"].as_str().unwrap_or_default().to_string())
            .collect();
        files.sort();
        files.dedup();
        fs::write(dir.join("tests.txt"), files.join("\n") + "\n").expect("the listing");
        let expected = printed(dir, "", "whole");
        assert_eq!(expected.len(), 14, "{expected:#?}");
        assert!(
            expected
                .iter()
                .any(|t| t.starts_with("test/added.spec.js::"))
        );
        check_every_shard_count(
            dir,
            &Driver {
                runner: "mocha",
                exec: &exec,
                printed: &printed,
                counts: &SHARD_COUNTS,
                plan: &[],
            },
            &expected,
        );
    }

    fn own_config() -> String {
        fs::read_to_string(root().join("fixtures/suites/mocha/.mocharc.json"))
            .expect("the suite's .mocharc.json")
    }

    /// The suite's own config (`recursive`, no `spec`, so spec arguments
    /// replace mocha's default `./test`), its file names without glob
    /// metacharacters (see the next test).
    #[test]
    fn every_shard_count_runs_the_suite_exactly_once() {
        check_with_config(&own_config(), false);
    }

    /// Mocha takes a spec argument that exists as a file literally, and
    /// matches `--ignore` globs with minimatch's `windowsPathsNoEscape`, so
    /// a backslash escapes nothing: `npx mocha 'test/text \[unicode\].spec.js'`
    /// fails with "No test files found", and `--ignore='test/text
    /// \[unicode\].spec.js'` ignores nothing. What mocha takes: the path as
    /// it is, and `--ignore='test/text [[]unicode].spec.js'`.
    #[test]
    fn spec_files_with_glob_metacharacters_in_their_names() {
        check_with_config(&own_config(), true);
    }

    /// The config mocha's documentation shows: `spec` in `.mocharc.json`.
    /// Mocha adds spec arguments to the configured `spec` instead of
    /// replacing it (`npx mocha test/calc.spec.js`, or `--spec`, runs all 14
    /// tests), so a shard names its files in a config module
    /// (`--config=FILE.cjs --no-package`) that replaces the configured spec.
    #[test]
    fn every_shard_count_runs_the_suite_exactly_once_with_spec_in_the_config() {
        check_with_config(
            "{\"spec\": [\"test/**/*.spec.js\"], \"timeout\": 10000}\n",
            false,
        );
    }
}

mod playwright {
    use super::*;

    const PLAYWRIGHT: &[&str] = &["npx", "--no", "--", "playwright", "test"];

    fn report(dir: &Path, label: &str) -> PathBuf {
        dir.join("shardplan-reports").join(format!("{label}.xml"))
    }

    /// The environment for a run whose JUnit report goes to `report`.
    fn env<'a>(report: &'a str, scale: &'a str) -> [(&'a str, &'a str); 3] {
        [
            ("SUITE_TIME_SCALE", scale),
            ("CI", "true"),
            ("PLAYWRIGHT_JUNIT_OUTPUT_NAME", report),
        ]
    }

    /// The tests Playwright's JUnit report at `path` shows as run, as
    /// `<file>::<describe › title>`: an empty shard's `--list` writes every
    /// test as skipped.
    fn ran(path: &Path) -> Vec<String> {
        let Ok(text) = fs::read_to_string(path) else {
            return Vec::new();
        };
        let doc = roxmltree::Document::parse(&text).expect("a well-formed JUnit report");
        doc.descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .filter(|case| !case.children().any(|c| c.has_tag_name("skipped")))
            .map(|case| {
                format!(
                    "{}::{}",
                    case.attribute("classname").unwrap_or_default(),
                    case.attribute("name").unwrap_or_default()
                )
            })
            .collect()
    }

    /// Runs `argv` with Playwright's JUnit reporter writing `report`; the
    /// tests it ran.
    fn run_reported(dir: &Path, argv: &[&str], report: &Path, scale: &str) -> Vec<String> {
        run(dir, argv, &env(&report.display().to_string(), scale));
        ran(report)
    }

    fn exec(dir: &Path, count: usize, index: usize, plan: &[&str]) -> Vec<String> {
        let report = report(dir, &format!("exec-{count}-{index}"));
        let args = exec_args(
            plan,
            "playwright",
            count,
            index,
            &["--exec", "--", "--reporter=junit"],
        );
        shardplan(dir, &args, &env(&report.display().to_string(), "0"));
        ran(&report)
    }

    /// `npx playwright test $(cat shard.txt)`: the printed `--test-list=FILE`.
    fn printed(dir: &Path, printed: &str, label: &str) -> Vec<String> {
        let report = report(dir, label);
        run_reported(
            dir,
            &with_lines(PLAYWRIGHT, printed, &["--reporter=junit"]),
            &report,
            "0",
        )
    }

    /// A copy of the suite with `extra` spec files (path, source) written
    /// into it, its timing report, a spec added after it, `playwright test
    /// --list` in `tests.txt`, and the whole suite as Playwright reports it
    /// (`expected_len` tests).
    fn suite_with_timings(
        extra: &[(&str, &str)],
        expected_len: usize,
    ) -> Option<(tempfile::TempDir, Vec<String>)> {
        let chromium = std::env::var("CHROMIUM_PATH").unwrap_or("/usr/bin/chromium".into());
        if !tool_available(
            "chromium (apt-get install chromium)",
            &[&chromium, "--version"],
        ) {
            return None;
        }
        let suite = npm_suite("playwright", "playwright")?;
        let dir = suite.path();
        for (path, source) in extra {
            fs::write(dir.join(path), source).expect("an extra spec file");
        }
        run_reported(
            dir,
            &with_lines(PLAYWRIGHT, "", &["--reporter=junit"]),
            &dir.join("timings.xml"),
            TIMING_SCALE,
        );
        fs::write(
            dir.join("tests/added.spec.js"),
            "const { test, expect } = require('@playwright/test');\n\n\
             test.describe('added after the timings', () => {\n  test('still runs — ünïcode', async ({ page }) => {\n    \
             await page.setContent('<p>new</p>');\n    await expect(page.locator('p')).toHaveText('new');\n  });\n});\n",
        )
        .expect("a new spec file");
        let listing = run(
            dir,
            &["npx", "--no", "--", "playwright", "test", "--list"],
            &[],
        );
        fs::write(dir.join("tests.txt"), &listing.stdout).expect("the listing");
        let expected = printed(dir, "", "whole");
        assert_eq!(expected.len(), expected_len, "{expected:#?}");
        assert!(expected.iter().any(|t| t.starts_with("added.spec.js::")));
        Some((suite, expected))
    }

    fn driver() -> Driver<'static> {
        Driver {
            runner: "playwright",
            exec: &exec,
            printed: &printed,
            counts: &FEW_SHARD_COUNTS,
            plan: &[],
        }
    }

    #[test]
    fn every_shard_count_runs_the_suite_exactly_once() {
        let Some((suite, expected)) = suite_with_timings(&[], 11) else {
            return;
        };
        check_every_shard_count(suite.path(), &driver(), &expected);
    }

    /// A describe title holding Playwright's own separator ` › `: the
    /// `--test-list` line `separator.spec.js › a › b › heavy` reads as the
    /// describes `a`, `b`, so it selects nothing, and no line can name the
    /// test (Playwright has no escape, and shardplan cannot tell the title
    /// from nested describes). The last shard holding the file selects it
    /// whole and inverts the other shards' lines of it, so the test runs
    /// there, once. The file's two tests are the
    /// heaviest (1.5 s and 1.4 s when timed), so N=3 splits the file.
    #[test]
    fn titles_holding_the_separator() {
        let source = "const { test, expect } = require('@playwright/test');\n\
                      const { nap } = require('./helpers/nap');\n\n\
                      test.describe('a › b', () => {\n  \
                      test('heavy', async () => { await nap(30000); expect(1).toBe(1); });\n  \
                      test('heavy too', async () => { await nap(28000); expect(1).toBe(1); });\n});\n";
        let Some((suite, expected)) =
            suite_with_timings(&[("tests/separator.spec.js", source)], 13)
        else {
            return;
        };
        check_tests_from(suite.path(), &driver(), &expected);
    }
}

mod rspec {
    use super::*;

    const ENV: &[(&str, &str)] = &[("SUITE_TIME_SCALE", "0")];
    const RSPEC: &[&str] = &["bundle", "exec", "rspec"];

    fn report(dir: &Path, label: &str) -> PathBuf {
        dir.join("shardplan-reports").join(format!("{label}.json"))
    }

    /// The examples RSpec's `json` formatter lists, as `<file>::<full
    /// description>`.
    fn json_tests(dir: &Path, path: &Path) -> Vec<String> {
        read_json(path)["examples"]
            .as_array()
            .expect("examples")
            .iter()
            .map(|e| {
                format!(
                    "{}::{}",
                    relative(dir, e["file_path"].as_str().unwrap_or_default()),
                    e["full_description"].as_str().unwrap_or_default()
                )
            })
            .collect()
    }

    fn exec(dir: &Path, count: usize, index: usize, plan: &[&str]) -> Vec<String> {
        let report = report(dir, &format!("exec-{count}-{index}"));
        let out = report.display().to_string();
        let args = exec_args(
            plan,
            "rspec",
            count,
            index,
            &["--exec", "--", "--format", "json", "--out", &out],
        );
        shardplan(dir, &args, ENV);
        json_tests(dir, &report)
    }

    /// `xargs -d '\n' bundle exec rspec < shard.txt`.
    fn printed(dir: &Path, printed: &str, label: &str) -> Vec<String> {
        let report = report(dir, label);
        let out = report.display().to_string();
        run(
            dir,
            &with_lines(RSPEC, printed, &["--format", "json", "--out", &out]),
            ENV,
        );
        json_tests(dir, &report)
    }

    /// The spec file whose name has glob metacharacters.
    const BRACKETS: &str = "spec/text [unicode]_spec.rb";

    /// A copy of the suite (with [`BRACKETS`] renamed without them unless
    /// `brackets`), its timing report, a spec added after it, RSpec's own
    /// listing in `tests.txt` (the example ids of a dry run,
    /// `./spec/a_spec.rb[1:2]`), and the whole suite as RSpec reports it.
    fn suite_with_timings(brackets: bool) -> Option<(tempfile::TempDir, Vec<String>)> {
        if !tool_available(
            "rspec (apt-get install ruby-rspec)",
            &["rspec", "--version"],
        ) || !tool_available(
            "bundler (apt-get install bundler)",
            &["bundle", "--version"],
        ) || !tool_available(
            "rspec_junit_formatter (apt-get install ruby-rspec-junit-formatter)",
            &["ruby", "-e", "require 'rspec_junit_formatter'"],
        ) {
            return None;
        }
        let suite = copy_suite("rspec");
        let dir = suite.path();
        if !brackets {
            fs::rename(dir.join(BRACKETS), dir.join("spec/text unicode_spec.rb"))
                .expect("the spec file renamed");
        }
        run(
            dir,
            &with_lines(
                RSPEC,
                "",
                &["--format", "RspecJunitFormatter", "--out", "timings.xml"],
            ),
            &[("SUITE_TIME_SCALE", TIMING_SCALE)],
        );
        fs::write(
            dir.join("spec/added_spec.rb"),
            "RSpec.describe 'Added after the timings' do\n  it 'still runs — ünïcode' do\n    \
             expect(1 + 1).to eq(2)\n  end\nend\n",
        )
        .expect("a new spec file");
        let dry = report(dir, "dry-run");
        let out = dry.display().to_string();
        run(
            dir,
            &with_lines(RSPEC, "", &["--dry-run", "--format", "json", "--out", &out]),
            ENV,
        );
        let ids: Vec<String> = read_json(&dry)["examples"]
            .as_array()
            .expect("examples")
            .iter()
            .map(|e| e["id"].as_str().unwrap_or_default().to_string())
            .collect();
        fs::write(dir.join("tests.txt"), ids.join("\n") + "\n").expect("the listing");
        let expected = printed(dir, "", "whole");
        assert_eq!(expected.len(), 14, "{expected:#?}");
        assert!(
            expected
                .iter()
                .any(|t| t.starts_with("spec/added_spec.rb::"))
        );
        Some((suite, expected))
    }

    fn driver() -> Driver<'static> {
        Driver {
            runner: "rspec",
            exec: &exec,
            printed: &printed,
            counts: &SHARD_COUNTS,
            plan: &[],
        }
    }

    /// The catch-all's `--exclude-pattern` escapes `[unicode]` as Ruby's
    /// glob wants.
    #[test]
    fn every_shard_count_runs_the_suite_exactly_once_with_the_catch_all() {
        let Some((suite, expected)) = suite_with_timings(true) else {
            return;
        };
        check_catch_all(suite.path(), &driver(), &expected);
    }

    #[test]
    fn every_shard_count_runs_the_suite_exactly_once_from_the_listing() {
        let Some((suite, expected)) = suite_with_timings(false) else {
            return;
        };
        check_tests_from(suite.path(), &driver(), &expected);
    }

    /// `rspec --dry-run` ids of a file named `spec/text [unicode]_spec.rb`
    /// are `./spec/text [unicode]_spec.rb[1:1:1]`: the example id is the
    /// last `[…]` group, not the first.
    #[test]
    fn example_ids_of_a_spec_file_with_brackets_in_its_name() {
        let Some((suite, expected)) = suite_with_timings(true) else {
            return;
        };
        check_tests_from(suite.path(), &driver(), &expected);
    }
}

mod phpunit {
    use super::*;

    const ENV: &[(&str, &str)] = &[("SUITE_TIME_SCALE", "0")];
    /// Where Composer puts PHPUnit, as `--exec` runs it; linked to Debian's.
    const PHPUNIT: &[&str] = &["vendor/bin/phpunit"];

    fn report(dir: &Path, label: &str) -> PathBuf {
        dir.join("shardplan-reports").join(format!("{label}.xml"))
    }

    fn exec(dir: &Path, count: usize, index: usize, plan: &[&str]) -> Vec<String> {
        let report = report(dir, &format!("exec-{count}-{index}"));
        let out = report.display().to_string();
        let args = exec_args(
            plan,
            "phpunit",
            count,
            index,
            &["--exec", "--", "--log-junit", &out],
        );
        shardplan(dir, &args, ENV);
        junit_tests(&report, false)
    }

    /// `xargs -d '\n' vendor/bin/phpunit < shard.txt`.
    fn printed(dir: &Path, printed: &str, label: &str) -> Vec<String> {
        let report = report(dir, label);
        let out = report.display().to_string();
        run(
            dir,
            &with_lines(PHPUNIT, printed, &["--log-junit", &out]),
            ENV,
        );
        junit_tests(&report, false)
    }

    /// A copy of the suite with `vendor/bin/phpunit` linked to Debian's
    /// phpunit, its timing report, a test class added after it, and the
    /// whole suite as PHPUnit's report names it.
    fn suite_with_timings() -> Option<(tempfile::TempDir, Vec<String>)> {
        let found = Command::new("sh")
            .args(["-c", "command -v phpunit"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| stdout(&o).trim().to_string());
        if !tool_available(
            "phpunit (apt-get install phpunit)",
            &["phpunit", "--version"],
        ) {
            return None;
        }
        let suite = copy_suite("phpunit");
        let dir = suite.path();
        fs::create_dir_all(dir.join("vendor/bin")).expect("vendor/bin");
        #[cfg(unix)]
        std::os::unix::fs::symlink(
            found.expect("phpunit on PATH"),
            dir.join("vendor/bin/phpunit"),
        )
        .expect("vendor/bin/phpunit");
        run(
            dir,
            &with_lines(PHPUNIT, "", &["--log-junit", "timings.xml"]),
            &[("SUITE_TIME_SCALE", TIMING_SCALE)],
        );
        fs::write(
            dir.join("tests/AddedTest.php"),
            "<?php\nnamespace App\\Tests;\n\nuse PHPUnit\\Framework\\TestCase;\n\n\
             final class AddedTest extends TestCase\n{\n    \
             public static function rows(): array\n    {\n        \
             return ['ünïcode' => ['ü'], 'plain' => ['p']];\n    }\n\n    \
             /** @dataProvider rows */\n    public function testAddedAfterTheTimings(string $s): void\n    {\n        \
             $this->assertNotSame('', $s);\n    }\n}\n",
        )
        .expect("a new test class");
        let expected = printed(dir, "", "whole");
        assert_eq!(expected.len(), 25, "{expected:#?}");
        assert!(
            expected
                .iter()
                .any(|t| t.starts_with("App.Tests.AddedTest::testAddedAfterTheTimings"))
        );
        Some((suite, expected))
    }

    fn driver() -> Driver<'static> {
        Driver {
            runner: "phpunit",
            exec: &exec,
            printed: &printed,
            counts: &SHARD_COUNTS,
            plan: &[],
        }
    }

    /// PHPUnit's own listing as ids: `--list-tests-xml` names each data set
    /// as the test's name shows it (`"one + two"`, `#0`), so a test is
    /// `Class::method with data set <dataSet>`, exactly `--filter`'s subject.
    fn listing_from_xml(dir: &Path) -> String {
        let path = report(dir, "list-tests");
        run(
            dir,
            &[
                "vendor/bin/phpunit",
                "--list-tests-xml",
                &path.display().to_string(),
            ],
            ENV,
        );
        let text = fs::read_to_string(&path).expect("the XML listing");
        let doc = roxmltree::Document::parse(&text).expect("a well-formed XML listing");
        let mut ids = String::new();
        for method in doc
            .descendants()
            .filter(|n| n.has_tag_name("testCaseMethod"))
        {
            let class = method
                .parent()
                .and_then(|c| c.attribute("name"))
                .expect("the test's class");
            let name = method.attribute("name").expect("the method");
            ids += &match method.attribute("dataSet") {
                Some(set) => format!("{class}::{name} with data set {set}\n"),
                None => format!("{class}::{name}\n"),
            };
        }
        ids
    }

    #[test]
    fn every_shard_count_runs_the_suite_exactly_once_from_the_listing() {
        let Some((suite, expected)) = suite_with_timings() else {
            return;
        };
        let dir = suite.path();
        fs::write(dir.join("tests.txt"), listing_from_xml(dir)).expect("the listing");
        check_tests_from(dir, &driver(), &expected);
    }

    /// PHPUnit 9 (Debian bookworm's 9.6.7) has no `--exclude-filter`
    /// (`Unknown option "--exclude-filter"`), so the catch-all is a
    /// `--filter` with a negative lookahead.
    #[test]
    fn every_shard_count_runs_the_suite_exactly_once_with_the_catch_all() {
        let Some((suite, expected)) = suite_with_timings() else {
            return;
        };
        check_catch_all(suite.path(), &driver(), &expected);
    }

    /// PHPUnit 9's `--list-tests` prints data sets without ` with data set `
    /// (`testAdds"one + two"`, `testIsInteger#0`); the listing reader puts
    /// it back, so the `--filter` built from them matches the tests.
    #[test]
    fn every_shard_count_runs_the_suite_exactly_once_from_list_tests() {
        let Some((suite, expected)) = suite_with_timings() else {
            return;
        };
        let dir = suite.path();
        let listing = run(dir, &["vendor/bin/phpunit", "--list-tests"], ENV);
        fs::write(dir.join("tests.txt"), &listing.stdout).expect("the listing");
        check_tests_from(dir, &driver(), &expected);
    }
}

mod maven {
    use super::*;

    const ENV: &[(&str, &str)] = &[("SUITE_TIME_SCALE", "0")];
    /// `.mvn/maven.config` makes Maven offline, with Debian's repository.
    const MVN: &[&str] = &["mvn", "--quiet", "test"];

    /// The tests Surefire's reports hold, as `<classname>::<name>`, taken
    /// away so that the next run starts without them.
    fn take_reports(dir: &Path) -> Vec<String> {
        let reports = dir.join("target/surefire-reports");
        let mut tests = Vec::new();
        for entry in fs::read_dir(&reports).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "xml") {
                tests.extend(junit_tests(&path, false));
            }
        }
        let _ = fs::remove_dir_all(&reports);
        tests
    }

    fn exec(dir: &Path, count: usize, index: usize, plan: &[&str]) -> Vec<String> {
        let args = exec_args(plan, "maven", count, index, &["--exec", "--", "--quiet"]);
        shardplan(dir, &args, ENV);
        take_reports(dir)
    }

    /// `xargs -d '\n' mvn test < shard.txt`.
    fn printed(dir: &Path, printed: &str, _label: &str) -> Vec<String> {
        run(dir, &with_lines(MVN, printed, &[]), ENV);
        take_reports(dir)
    }

    /// A copy of the suite, its timing report (Surefire's, in one file), a
    /// test class added after it, a listing in `tests.txt`
    /// (`Class#method`, from the whole suite's reports: Maven lists no
    /// tests), and the whole suite as Surefire reports it.
    fn suite_with_timings() -> Option<(tempfile::TempDir, Vec<String>)> {
        if !tool_available("mvn (apt-get install maven)", &["mvn", "--version"])
            || !tool_available(
                "Surefire's JUnit 5 provider (apt-get install libsurefire-java junit5)",
                &[
                    "test",
                    "-d",
                    "/usr/share/maven-repo/org/apache/maven/surefire/surefire-junit-platform/2.22.3",
                ],
            )
            || !tool_available(
                "maven-compiler-plugin (apt-get install libmaven-compiler-plugin-java)",
                &[
                    "test",
                    "-d",
                    "/usr/share/maven-repo/org/apache/maven/plugins/maven-compiler-plugin/3.10.1",
                ],
            )
        {
            return None;
        }
        let suite = copy_suite("maven");
        let dir = suite.path();
        run(dir, MVN, &[("SUITE_TIME_SCALE", TIMING_SCALE)]);
        // Surefire writes one report per class; they go into one file, as
        // `<testsuite>`s of one `<testsuites>`, each as Surefire wrote it.
        let mut suites: Vec<String> = fs::read_dir(dir.join("target/surefire-reports"))
            .expect("Surefire's reports")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "xml"))
            .map(|p| {
                let text = fs::read_to_string(&p).expect("a report");
                let body = text
                    .find("?>")
                    .map_or(text.as_str(), |end| &text[end + 2..]);
                body.trim().to_string()
            })
            .collect();
        suites.sort();
        fs::write(
            dir.join("timings.xml"),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n{}\n</testsuites>\n",
                suites.join("\n")
            ),
        )
        .expect("the timing report");
        fs::write(
            dir.join("src/test/java/com/example/shardsuite/AddedTest.java"),
            "package com.example.shardsuite;\n\n\
             import static org.junit.jupiter.api.Assertions.assertTrue;\n\n\
             import org.junit.jupiter.api.Test;\n\n\
             class AddedTest {\n    @Test\n    void addedAfterTheTimings() {\n        \
             assertTrue(true);\n    }\n}\n",
        )
        .expect("a new test class");
        let _ = fs::remove_dir_all(dir.join("target/surefire-reports"));
        run(dir, MVN, ENV);
        let expected = take_reports(dir);
        assert_eq!(expected.len(), 15, "{expected:#?}");
        let mut listing: Vec<String> = expected
            .iter()
            .map(|t| {
                let (class, name) = t.split_once("::").expect("class::name");
                let method = name.split(['{', '(', '[']).next().unwrap_or(name);
                format!("{class}#{method}")
            })
            .collect();
        listing.sort();
        listing.dedup();
        fs::write(dir.join("tests.txt"), listing.join("\n") + "\n").expect("the listing");
        Some((suite, expected))
    }

    fn driver(plan: &'static [&'static str]) -> Driver<'static> {
        Driver {
            runner: "maven",
            exec: &exec,
            printed: &printed,
            counts: &FEW_SHARD_COUNTS,
            plan,
        }
    }

    /// With the listing: each shard's `-Dtest=Class#m1+m2,…` (a `@Nested`
    /// class is a class of its own, `Outer$Inner#m`), and whole classes by
    /// file.
    #[test]
    fn every_shard_count_runs_the_suite_exactly_once_from_the_listing() {
        let Some((suite, expected)) = suite_with_timings() else {
            return;
        };
        check_tests_from(suite.path(), &driver(&[]), &expected);
    }

    /// The catch-all, by class: the plan may put `CalculatorTest$WhenDividing`
    /// on the catch-all shard and `CalculatorTest` on another. The catch-all
    /// then excludes `CalculatorTest` (`-Dsurefire.excludesFile`), and
    /// Surefire reaches a `@Nested` class only through its outer class
    /// (its default excludes hold `**/*$*`), so the nested tests ran on no
    /// shard (N=2 lost `CalculatorTest$WhenDividing::byOne` and `::byTwo`).
    /// The catch-all now excludes with `-Dtest=!…`, under which each class,
    /// nested or not, is selected on its own.
    #[test]
    fn nested_classes_on_the_catch_all() {
        let Some((suite, expected)) = suite_with_timings() else {
            return;
        };
        check_catch_all(suite.path(), &driver(&["--by", "class"]), &expected);
    }

    /// The catch-all, by test (the default). Surefire 2.22 (Debian's) names
    /// a parameterized invocation `adds{int, int, int, int}[1]`; the maven
    /// runner takes a name up to `(` or `[` as the method, so this one is
    /// no method, stands for its whole class, and planning fails: "class
    /// com.example.shardsuite.CalculatorTest has tests named by display
    /// name, which --runner maven can only select with their whole class,
    /// but its other tests are planned on several shards; plan with --by
    /// class" (exit 1).
    #[test]
    fn parameterized_names_of_surefire_2_22() {
        let Some((suite, expected)) = suite_with_timings() else {
            return;
        };
        check_catch_all(suite.path(), &driver(&[]), &expected);
    }
}
