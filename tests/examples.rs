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

/// CircleCI and Buildkite have no local runner here; these tests play
/// their recipes the way the services run them, step by step: each job
/// (each parallel node) in a fresh copy of the repository, `run` commands
/// through `bash -eo pipefail` with the provider's variables, and the
/// services' own steps (workspace, cache, artifacts, the bucket) as copies
/// between directories. What they check is the recipes' commands: that the
/// shards, each with only its own index, run every test once, and that the
/// history the last job stores is what the next pipeline plans from.
mod played {
    use super::*;
    use yaml_rust2::{Yaml, YamlLoader};

    pub fn load(path: &Path) -> Yaml {
        let text = fs::read_to_string(path).expect("the recipe");
        YamlLoader::load_from_str(&text)
            .expect("the recipe is YAML")
            .remove(0)
    }

    /// PATH with the built shardplan first.
    pub fn path_with_shardplan(extra: Option<&Path>) -> std::ffi::OsString {
        let bin = Path::new(env!("CARGO_BIN_EXE_shardplan"))
            .parent()
            .expect("the binary's directory")
            .to_path_buf();
        let mut dirs: Vec<PathBuf> = extra.map(Path::to_path_buf).into_iter().collect();
        dirs.push(bin);
        dirs.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        std::env::join_paths(dirs).expect("a PATH")
    }

    /// Runs `script` with `bash -eo pipefail` in `dir`; panics with its
    /// output unless it succeeds.
    pub fn bash(dir: &Path, script: &str, env: &[(&str, String)], path: &std::ffi::OsStr) {
        let mut command = Command::new("bash");
        command
            .args(["-eo", "pipefail", "-c", script])
            .current_dir(dir)
            .env("PATH", path)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("SUITE_TIME_SCALE", "0.05")
            .stdin(Stdio::null());
        for provider in &shardplan::ci_env::PROVIDERS {
            command.env_remove(provider.index_var);
            command.env_remove(provider.count_var);
        }
        for (key, value) in env {
            command.env(key, value);
        }
        let output = command.output().expect("bash runs");
        assert!(
            output.status.success(),
            "`{script}` failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Copies `from` (a file or a directory) to `to`.
    pub fn copy_path(from: &Path, to: &Path) {
        if from.is_dir() {
            copy_dir(from, to);
        } else {
            fs::create_dir_all(to.parent().expect("a parent")).expect("a directory");
            fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
        }
    }

    /// A fresh checkout of `repo` (its files without `.git`).
    pub fn checkout(repo: &Path) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a job directory");
        copy_dir(repo, dir.path());
        dir
    }
}

use common::copy_dir;

/// The example pytest suite as a repository to check out, with
/// `tests/test_added.py` when `added`.
fn pytest_repo(added: bool) -> tempfile::TempDir {
    let suite = copy_suite("pytest");
    fs::remove_dir(suite.path().join("shardplan-reports")).expect("an empty directory");
    if added {
        fs::write(
            suite.path().join("tests/test_added.py"),
            "def test_added_after_the_history():\n    assert True\n",
        )
        .expect("a new test");
    }
    suite
}

fn pytest_available() -> bool {
    tool_available("pytest", &["python3", "-m", "pytest", "--version"])
        && tool_available("bash", &["bash", "--version"])
}

/// CircleCI: `plan`, `test` on `parallelism:` nodes, `timings`, as the
/// workflow orders them; `{{ .Branch }}` is `main`.
mod circleci {
    use super::played::*;
    use super::*;
    use yaml_rust2::Yaml;

    struct Service {
        workspace: tempfile::TempDir,
        /// One directory per cache key, in the order they were saved.
        cache: PathBuf,
        saved: Vec<String>,
        path: std::ffi::OsString,
    }

    fn template(key: &str, epoch: usize) -> String {
        key.replace("{{ .Branch }}", "main")
            .replace("{{ .Revision }}", "0123abc")
            .replace("{{ epoch }}", &epoch.to_string())
    }

    /// Runs `steps` of a job on node `node` of `total` in `dir`.
    fn steps(
        config: &Yaml,
        service: &mut Service,
        repo: &Path,
        dir: &Path,
        list: &Yaml,
        node: usize,
        total: usize,
    ) {
        for step in list.as_vec().expect("steps") {
            let (name, body) = match step {
                Yaml::String(name) => (name.as_str(), &Yaml::Null),
                Yaml::Hash(h) => {
                    let (k, v) = h.iter().next().expect("a step");
                    (k.as_str().expect("a step name"), v)
                }
                other => panic!("a step: {other:?}"),
            };
            match name {
                "checkout" => copy_dir(repo, dir),
                "run" => {
                    let command = body["command"]
                        .as_str()
                        .or(body.as_str())
                        .expect("a command");
                    let env = [
                        ("CIRCLE_NODE_INDEX", node.to_string()),
                        ("CIRCLE_NODE_TOTAL", total.to_string()),
                        ("CIRCLE_BRANCH", "main".to_string()),
                    ];
                    bash(dir, command, &env, &service.path);
                }
                "persist_to_workspace" => {
                    let root = dir.join(body["root"].as_str().expect("root"));
                    for p in body["paths"].as_vec().expect("paths") {
                        let p = p.as_str().expect("a path");
                        copy_path(&root.join(p), &service.workspace.path().join(p));
                    }
                }
                "attach_workspace" => copy_dir(
                    service.workspace.path(),
                    &dir.join(body["at"].as_str().expect("at")),
                ),
                "store_test_results" => {
                    let p = dir.join(body["path"].as_str().expect("path"));
                    assert!(p.is_dir(), "no test results at {}", p.display());
                }
                "restore_cache" => {
                    let keys = body["keys"].as_vec().expect("keys");
                    let found = keys.iter().find_map(|k| {
                        let prefix = template(k.as_str().expect("a key"), 0);
                        service
                            .saved
                            .iter()
                            .rev()
                            .find(|s| s.starts_with(&prefix))
                            .cloned()
                    });
                    if let Some(key) = found {
                        copy_dir(&service.cache.join(&key), dir);
                    }
                }
                "save_cache" => {
                    let key = template(
                        body["key"].as_str().expect("a key"),
                        service.saved.len() + 1,
                    );
                    if !service.saved.contains(&key) {
                        for p in body["paths"].as_vec().expect("paths") {
                            let p = p.as_str().expect("a path");
                            if dir.join(p).exists() {
                                copy_path(&dir.join(p), &service.cache.join(&key).join(p));
                            }
                        }
                        service.saved.push(key);
                    }
                }
                custom => {
                    let command = &config["commands"][custom];
                    assert!(!command.is_badvalue(), "unknown step {custom}");
                    steps(config, service, repo, dir, &command["steps"], node, total);
                }
            }
        }
    }

    /// One pipeline; returns the test nodes' runs.
    fn pipeline(config: &Yaml, service: &mut Service, repo: &Path) -> Vec<Vec<String>> {
        service.workspace = tempfile::tempdir().expect("a workspace");
        let mut runs = Vec::new();
        for entry in config["workflows"]["tests"]["jobs"]
            .as_vec()
            .expect("the workflow's jobs")
        {
            let name = match entry {
                Yaml::String(name) => name.clone(),
                Yaml::Hash(h) => h
                    .keys()
                    .next()
                    .and_then(Yaml::as_str)
                    .expect("a job")
                    .into(),
                other => panic!("a job: {other:?}"),
            };
            let job = &config["jobs"][name.as_str()];
            let total = job["parallelism"].as_i64().unwrap_or(1) as usize;
            for node in 0..total {
                let dir = tempfile::tempdir().expect("a job directory");
                steps(
                    config,
                    service,
                    repo,
                    dir.path(),
                    &job["steps"],
                    node,
                    total,
                );
                if name == "test" {
                    runs.push(junit_tests(
                        &dir.path().join(format!("results/{node}/junit.xml")),
                        false,
                    ));
                }
            }
        }
        runs
    }

    #[test]
    fn the_circleci_recipe_runs_every_test_once_and_keeps_the_history() {
        if !pytest_available() {
            return;
        }
        let config = load(&root().join("examples/circleci/config.yml"));
        assert_eq!(config["jobs"]["test"]["parallelism"].as_i64(), Some(3));
        let cache = tempfile::tempdir().expect("a cache");
        let mut service = Service {
            workspace: tempfile::tempdir().expect("a workspace"),
            cache: cache.path().to_path_buf(),
            saved: Vec::new(),
            path: path_with_shardplan(None),
        };
        for (run, added) in [(1, false), (2, true)] {
            let repo = pytest_repo(added);
            let expected = whole_suite(repo.path());
            let runs = pipeline(&config, &mut service, repo.path());
            assert_eq!(runs.len(), 3);
            assert_partition(&format!("circleci run {run}"), &expected, &runs);
            let plan = fs::read_to_string(service.workspace.path().join("plan.json"))
                .expect("the plan in the workspace");
            let plan: serde_json::Value = serde_json::from_str(&plan).expect("JSON");
            // The first plan has no history; the second reads the saved one.
            assert_eq!(plan["tests_with_timings"], if run == 1 { 0 } else { 20 });
            let last = service.saved.last().expect("the history was saved");
            let text = fs::read_to_string(cache.path().join(last).join(".shardplan/timings.json"))
                .expect("the saved history");
            let history: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            assert_eq!(history["runs"], run, "{history}");
            assert_eq!(
                history["tests"].as_array().map(Vec::len),
                Some(expected.len())
            );
        }
    }
}

/// Buildkite: the steps in order, `parallelism:` jobs for the test step;
/// `buildkite-agent artifact download` and `aws s3 cp` are stand-ins on
/// PATH over an artifact directory and a bucket directory.
mod buildkite {
    use super::played::*;
    use super::*;

    const AGENT: &str = r#"#!/usr/bin/env bash
# buildkite-agent artifact download QUERY DEST, over $ARTIFACTS
set -eo pipefail
[ "$1 $2" = "artifact download" ] || { echo "unsupported: $*" >&2; exit 2; }
shopt -s globstar nullglob
cd "$ARTIFACTS"
found=0
for f in $3; do
  [ -f "$f" ] || continue
  mkdir -p "$OLDPWD/$4/$(dirname "$f")"; cp "$f" "$OLDPWD/$4/$f"; found=1
done
[ "$found" = 1 ] || { echo "no artifact matches $3" >&2; exit 1; }
"#;

    const AWS: &str = r#"#!/usr/bin/env bash
# aws s3 cp SRC DST, with s3://BUCKET/KEY in $BUCKET/BUCKET/KEY
set -eo pipefail
[ "$1 $2" = "s3 cp" ] || { echo "unsupported: $*" >&2; exit 2; }
local_path() { case "$1" in s3://*) echo "$BUCKET/${1#s3://}";; *) echo "$1";; esac; }
src="$(local_path "$3")"; dst="$(local_path "$4")"
[ -f "$src" ] || { echo "fatal error: $3 not found" >&2; exit 1; }
mkdir -p "$(dirname "$dst")"; cp "$src" "$dst"
"#;

    /// `${VAR}` from `vars`, as the agent interpolates at upload; `$$` is a
    /// literal `$`.
    fn interpolate(text: &str, vars: &[(String, String)]) -> String {
        let mut out = text.replace("$$", "\u{0}");
        for (key, value) in vars {
            out = out.replace(&format!("${{{key}}}"), value);
        }
        out.replace('\u{0}', "$")
    }

    #[test]
    fn the_buildkite_recipe_runs_every_test_once_and_keeps_the_history() {
        if !pytest_available() {
            return;
        }
        let pipeline = load(&root().join("examples/buildkite/pipeline.yml"));
        let tools = tempfile::tempdir().expect("stand-ins");
        for (name, script) in [("buildkite-agent", AGENT), ("aws", AWS)] {
            let file = tools.path().join(name);
            fs::write(&file, script).expect("a stand-in");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(&file, fs::Permissions::from_mode(0o755)).expect("executable");
            }
        }
        let path = path_with_shardplan(Some(tools.path()));
        let bucket = tempfile::tempdir().expect("a bucket");
        let mut vars = vec![("BUILDKITE_PIPELINE_SLUG".to_string(), "suite".to_string())];
        for (k, v) in pipeline["env"].as_hash().expect("env") {
            let value = interpolate(v.as_str().expect("a value"), &vars);
            vars.push((k.as_str().expect("a name").to_string(), value));
        }
        let history = interpolate("${SHARDPLAN_HISTORY_URL}", &vars)
            .replace("s3://", &format!("{}/", bucket.path().display()));
        for (run, added) in [(1, false), (2, true)] {
            let repo = pytest_repo(added);
            let expected = whole_suite(repo.path());
            let artifacts = tempfile::tempdir().expect("the build's artifacts");
            let mut runs = Vec::new();
            for step in pipeline["steps"].as_vec().expect("steps") {
                let total = step["parallelism"].as_i64().map(|n| n as usize);
                for job in 0..total.unwrap_or(1) {
                    let dir = checkout(repo.path());
                    let mut env: Vec<(&str, String)> = vec![
                        ("ARTIFACTS", artifacts.path().display().to_string()),
                        ("BUCKET", bucket.path().display().to_string()),
                    ];
                    env.extend(vars.iter().map(|(k, v)| (k.as_str(), v.clone())));
                    if let Some(total) = total {
                        env.push(("BUILDKITE_PARALLEL_JOB", job.to_string()));
                        env.push(("BUILDKITE_PARALLEL_JOB_COUNT", total.to_string()));
                    }
                    for command in step["commands"].as_vec().expect("commands") {
                        let command = interpolate(command.as_str().expect("a command"), &vars);
                        bash(dir.path(), &command, &env, &path);
                    }
                    for glob in step["artifact_paths"].as_vec().into_iter().flatten() {
                        let upload = format!(
                            "shopt -s globstar nullglob; for f in {}; do [ -f \"$f\" ] && \
                             mkdir -p \"$ARTIFACTS/$(dirname \"$f\")\" && cp \"$f\" \"$ARTIFACTS/$f\"; done; true",
                            glob.as_str().expect("a glob")
                        );
                        bash(dir.path(), &upload, &env, &path);
                    }
                    if total.is_some() {
                        runs.push(junit_tests(
                            &dir.path().join(format!("results/{job}/junit.xml")),
                            false,
                        ));
                    }
                }
            }
            assert_eq!(runs.len(), 3);
            assert_partition(&format!("buildkite run {run}"), &expected, &runs);
            let plan = fs::read_to_string(artifacts.path().join("plan.json")).expect("the plan");
            let plan: serde_json::Value = serde_json::from_str(&plan).expect("JSON");
            assert_eq!(plan["tests_with_timings"], if run == 1 { 0 } else { 20 });
            let text = fs::read_to_string(&history).expect("the history in the bucket");
            let history: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            assert_eq!(history["runs"], run, "{history}");
        }
    }
}
