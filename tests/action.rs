//! The GitHub Action, `action.yml`, checked against the action metadata
//! schema's rules and run here the way the Actions runner runs a composite
//! action: each `run` step through `bash --noprofile --norc -eo pipefail`,
//! with `${{ inputs.* }}`, `${{ steps.*.outputs.* }}`, `${{ github.* }}` and
//! `${{ runner.* }}` substituted, `GITHUB_OUTPUT` read back after each step,
//! `GITHUB_PATH` prepended for the steps after, and `GITHUB_STEP_SUMMARY`,
//! `RUNNER_OS`, `RUNNER_TEMP` and `GITHUB_ACTION_PATH` set. `uses:` steps
//! (the cache) are skipped. `GITHUB_SERVER_URL` is a `file://` directory
//! that holds a release only when a test puts one there (packed by
//! `.github/scripts/package.sh`, as the release workflow packs them, with a
//! `SHA256SUMS`). Most tests have the built shardplan on PATH, so the install
//! step finds the right version and neither downloads nor builds; a `cargo`
//! that fails is first on PATH to prove it. The install tests take it off
//! PATH and check the download, the checksum, the fallback to `cargo install`
//! and the message when neither a release nor cargo is there.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Case, junit, ok_in, root, stderr, stdout};
use sha2::Digest;
use yaml_rust2::{Yaml, YamlLoader};

/// `action.yml`, parsed.
fn action() -> Yaml {
    let text = fs::read_to_string(root().join("action.yml")).expect("action.yml");
    let mut docs = YamlLoader::load_from_str(&text).expect("action.yml is YAML");
    assert_eq!(docs.len(), 1, "one document");
    docs.remove(0)
}

/// A scalar as the runner reads it: a string.
fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The keys of a mapping, as strings.
fn keys(map: &Yaml) -> Vec<String> {
    map.as_hash()
        .map(|h| h.keys().filter_map(scalar).collect())
        .unwrap_or_default()
}

/// Every `${{ … }}` expression in `text`, trimmed.
fn expressions(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let end = rest[start..].find("}}").expect("an expression ends") + start;
        found.push(rest[start + 3..end].trim().to_string());
        rest = &rest[end + 2..];
    }
    found
}

/// Every string in the document, keys included.
fn strings(value: &Yaml, out: &mut Vec<String>) {
    match value {
        Yaml::Hash(h) => {
            for (k, v) in h {
                strings(k, out);
                strings(v, out);
            }
        }
        Yaml::Array(a) => a.iter().for_each(|v| strings(v, out)),
        other => out.extend(scalar(other)),
    }
}

#[test]
fn the_metadata_has_what_the_schema_requires() {
    let action = action();
    for key in ["name", "description"] {
        assert!(
            scalar(&action[key]).is_some_and(|s| !s.is_empty()),
            "{key} is required"
        );
    }
    assert_eq!(
        scalar(&action["runs"]["using"]).as_deref(),
        Some("composite")
    );
    let steps = action["runs"]["steps"]
        .as_vec()
        .expect("runs.steps is a list");
    assert!(!steps.is_empty());
    let mut ids = BTreeSet::new();
    for step in steps {
        let has_run = !step["run"].is_badvalue();
        let has_uses = !step["uses"].is_badvalue();
        assert!(has_run != has_uses, "a step has run or uses: {step:?}");
        if has_run {
            assert_eq!(
                scalar(&step["shell"]).as_deref(),
                Some("bash"),
                "a run step of a composite action needs shell (bash exists on every hosted runner)"
            );
            // Inputs reach scripts through env, never spliced into the
            // script, where a value could inject commands.
            let script = scalar(&step["run"]).expect("run is text");
            assert!(!script.contains("${{"), "expression in a script: {script}");
        } else {
            let uses = scalar(&step["uses"]).unwrap();
            assert!(
                uses.starts_with("actions/cache@"),
                "only the cache is used: {uses}"
            );
        }
        if let Some(id) = scalar(&step["id"]) {
            assert!(ids.insert(id.clone()), "step id {id} twice");
        }
    }
    let inputs = keys(&action["inputs"]);
    for input in &inputs {
        let spec = &action["inputs"][input.as_str()];
        assert!(
            scalar(&spec["description"]).is_some(),
            "input {input} needs a description"
        );
        assert!(
            keys(spec).iter().all(
                |k| ["description", "required", "default", "deprecationMessage"]
                    .contains(&k.as_str())
            ),
            "input {input} has an unknown key"
        );
    }
    let outputs = keys(&action["outputs"]);
    for expected in ["filter", "tests", "fingerprint", "matrix"] {
        assert!(outputs.iter().any(|o| o == expected), "output {expected}");
    }
    for expected in [
        "shards",
        "index",
        "timings",
        "tests-from",
        "runner",
        "by",
        "algorithm",
        "plan",
        "version",
        "install",
        "shard-overhead",
        "working-directory",
        "args",
    ] {
        assert!(inputs.iter().any(|i| i == expected), "input {expected}");
    }
    for output in &outputs {
        let spec = &action["outputs"][output.as_str()];
        assert!(
            scalar(&spec["description"]).is_some(),
            "output {output} needs a description"
        );
        let value = scalar(&spec["value"]).expect("a composite output needs a value");
        for expression in expressions(&value) {
            let id = expression
                .strip_prefix("steps.")
                .and_then(|e| e.split('.').next())
                .expect("outputs come from steps");
            assert!(
                ids.contains(id),
                "output {output} names step {id}, which does not exist"
            );
        }
    }
    // Every input is used, and everything used is declared.
    let mut all = Vec::new();
    strings(&action["runs"], &mut all);
    let used: BTreeSet<String> = all
        .iter()
        .flat_map(|s| expressions(s))
        .filter_map(|e| e.strip_prefix("inputs.").map(str::to_string))
        .collect();
    let declared: BTreeSet<String> = inputs.into_iter().collect();
    assert_eq!(used, declared);
}

/// What running the action produced.
struct Run {
    /// The action's outputs.
    outputs: BTreeMap<String, String>,
    /// The job summary.
    summary: String,
    /// Every step's stdout and stderr.
    log: String,
    /// Whether every step passed.
    ok: bool,
    /// What the action added to PATH.
    path: String,
}

/// The value of one expression, for the subset `action.yml` uses.
fn evaluate(
    expression: &str,
    inputs: &BTreeMap<String, String>,
    steps: &BTreeMap<String, BTreeMap<String, String>>,
) -> String {
    let parts: Vec<&str> = expression.split('.').collect();
    match parts.as_slice() {
        ["inputs", name] => inputs
            .get(*name)
            .unwrap_or_else(|| panic!("undeclared input {name}"))
            .clone(),
        ["steps", id, "outputs", name] => steps
            .get(*id)
            .and_then(|o| o.get(*name))
            .cloned()
            .unwrap_or_default(),
        ["github", "action_path"] => root().display().to_string(),
        ["runner", "os"] => "Linux".to_string(),
        ["runner", "arch"] => "X64".to_string(),
        _ => panic!("the harness does not evaluate ${{{{ {expression} }}}}"),
    }
}

/// `text` with every expression replaced by its value.
fn substitute(
    text: &str,
    inputs: &BTreeMap<String, String>,
    steps: &BTreeMap<String, BTreeMap<String, String>>,
) -> String {
    let mut out = text.to_string();
    for expression in expressions(text) {
        let value = evaluate(&expression, inputs, steps);
        out = out.replacen(&format!("${{{{ {expression} }}}}"), &value, 1);
    }
    out
}

/// Reads a `GITHUB_OUTPUT` file as the runner does: `name=value` lines and
/// `name<<DELIMITER` … `DELIMITER` blocks.
fn read_outputs(text: &str) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let equals = line.find('=');
        let heredoc = line.find("<<");
        match (equals, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                outputs.insert(line[..e].to_string(), line[e + 1..].to_string());
            }
            (_, Some(h)) => {
                let delimiter = &line[h + 2..];
                let mut value = Vec::new();
                loop {
                    let next = lines.next().expect("a heredoc ends with its delimiter");
                    if next == delimiter {
                        break;
                    }
                    value.push(next);
                }
                outputs.insert(line[..h].to_string(), value.join("\n"));
            }
            _ => panic!("not an output line: {line:?}"),
        }
    }
    outputs
}

/// What the `cargo` first on PATH does.
#[derive(Clone, Copy, PartialEq)]
enum Cargo {
    /// Fails: the action must not build.
    Fails,
    /// Installs the built shardplan into `--root`, as `cargo install` would.
    Installs,
    /// There is no cargo on PATH.
    Absent,
}

/// The machine the action runs on.
struct Machine {
    /// Whether the built shardplan is on PATH before the action runs.
    shardplan_on_path: bool,
    /// The `cargo` on PATH.
    cargo: Cargo,
    /// Where `GITHUB_SERVER_URL` points: a directory that may hold releases.
    server: Option<PathBuf>,
    /// Extra scripts first on PATH: (name, body).
    scripts: Vec<(&'static str, String)>,
}

impl Default for Machine {
    fn default() -> Self {
        Machine {
            shardplan_on_path: true,
            cargo: Cargo::Fails,
            server: None,
            scripts: Vec::new(),
        }
    }
}

/// Writes an executable script.
fn script(path: &Path, body: &str) {
    fs::write(path, body).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// Runs the action in `workspace` with `given` inputs, on the usual machine.
fn run_action(workspace: &Path, given: &[(&str, &str)]) -> Run {
    run_action_on(&Machine::default(), workspace, given)
}

/// Runs the action in `workspace` with `given` inputs on `machine`.
fn run_action_on(machine: &Machine, workspace: &Path, given: &[(&str, &str)]) -> Run {
    let action = action();
    let temp = tempfile::tempdir().expect("a temp dir");
    let temp = temp.path();
    let home = temp.join("home");
    let runner_temp = temp.join("runner-temp");
    let fake = temp.join("fake-bin");
    let empty_server = temp.join("server");
    for dir in [&home, &runner_temp, &fake, &empty_server] {
        fs::create_dir_all(dir).unwrap();
    }
    let built = PathBuf::from(env!("CARGO_BIN_EXE_shardplan"));
    match machine.cargo {
        // The install step must find shardplan and never build.
        Cargo::Fails => script(
            &fake.join("cargo"),
            "#!/bin/sh\necho 'the action test must not run cargo' >&2\nexit 97\n",
        ),
        Cargo::Installs => script(
            &fake.join("cargo"),
            &format!(
                "#!/bin/sh\necho \"fake cargo $*\"\nroot=\nwhile [ $# -gt 0 ]; do\n  \
                 if [ \"$1\" = --root ]; then root=\"$2\"; fi\n  shift\ndone\n\
                 mkdir -p \"$root/bin\" && cp '{}' \"$root/bin/shardplan\"\n",
                built.display()
            ),
        ),
        Cargo::Absent => {}
    }
    for (name, body) in &machine.scripts {
        script(&fake.join(name), body);
    }
    let summary = temp.join("summary.md");
    let github_path = temp.join("path");
    fs::write(&github_path, "").unwrap();
    // The machine's PATH, less any shardplan or cargo of its own.
    let system = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .filter(|dir| !dir.join("shardplan").exists() && !dir.join("cargo").exists())
        .collect::<Vec<_>>();
    let mut dirs = vec![fake.clone()];
    if machine.shardplan_on_path {
        dirs.push(built.parent().unwrap().to_path_buf());
    }
    let base_path = std::env::join_paths(dirs.into_iter().chain(system)).unwrap();
    let server = machine.server.as_ref().unwrap_or(&empty_server);

    let mut inputs = BTreeMap::new();
    for name in keys(&action["inputs"]) {
        let default = scalar(&action["inputs"][name.as_str()]["default"]).unwrap_or_default();
        inputs.insert(name, default);
    }
    for (name, value) in given {
        assert!(inputs.contains_key(*name), "no input {name}");
        inputs.insert(name.to_string(), value.to_string());
    }
    let mut steps: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut log = String::new();
    let mut ok = true;
    for (number, step) in action["runs"]["steps"].as_vec().unwrap().iter().enumerate() {
        let Some(script) = scalar(&step["run"]) else {
            continue;
        };
        let script_path = temp.join(format!("step-{number}.sh"));
        fs::write(&script_path, &script).unwrap();
        let output_file = temp.join(format!("output-{number}"));
        fs::write(&output_file, "").unwrap();
        // Entries added to GITHUB_PATH come first, the latest first.
        let added: Vec<PathBuf> = fs::read_to_string(&github_path)
            .unwrap()
            .lines()
            .rev()
            .map(PathBuf::from)
            .collect();
        let path = std::env::join_paths(added.into_iter().chain(std::env::split_paths(&base_path)))
            .unwrap();
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_path)
            .current_dir(workspace)
            .env("PATH", path)
            .env("HOME", &home)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", &runner_temp)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_SERVER_URL", format!("file://{}", server.display()))
            .env("GITHUB_WORKSPACE", workspace)
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_PATH", &github_path)
            .env("GITHUB_STEP_SUMMARY", &summary);
        for provider in &shardplan::ci_env::PROVIDERS {
            command
                .env_remove(provider.index_var)
                .env_remove(provider.count_var);
        }
        if let Some(env) = step["env"].as_hash() {
            for (name, value) in env {
                let name = scalar(name).unwrap();
                let value = substitute(&scalar(value).unwrap_or_default(), &inputs, &steps);
                command.env(name, value);
            }
        }
        let out = command.output().expect("bash runs");
        log += &format!("--- step {number}\n{}{}", stdout(&out), stderr(&out));
        if let Some(id) = scalar(&step["id"]) {
            steps.insert(id, read_outputs(&fs::read_to_string(&output_file).unwrap()));
        }
        if !out.status.success() {
            ok = false;
            break;
        }
    }
    let mut outputs = BTreeMap::new();
    if ok {
        for name in keys(&action["outputs"]) {
            let value = scalar(&action["outputs"][name.as_str()]["value"]).unwrap();
            outputs.insert(name, substitute(&value, &inputs, &steps));
        }
    }
    Run {
        outputs,
        summary: fs::read_to_string(&summary).unwrap_or_default(),
        log,
        ok,
        path: fs::read_to_string(&github_path).unwrap(),
    }
}

/// A workspace with a timing report of nine tests in three classes.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    let names: Vec<(String, String, String)> = (1..=9)
        .map(|i| (format!("app.C{}", i % 3), format!("t{i}"), format!("{i}.0")))
        .collect();
    let xml = junit(
        &names
            .iter()
            .map(|(classname, name, time)| Case {
                classname,
                name,
                time: Some(time),
            })
            .collect::<Vec<_>>(),
    );
    fs::write(dir.path().join("report.xml"), xml).unwrap();
    dir
}

#[test]
fn plan_mode_writes_the_plan_and_the_matrix() {
    let dir = workspace();
    let d = dir.path();
    let run = run_action(
        d,
        &[
            ("shards", "3"),
            ("timings", "report.xml"),
            ("plan", "plan.json"),
        ],
    );
    assert!(run.ok, "{}", run.log);
    assert!(run.log.contains("is installed:"), "{}", run.log);
    assert!(
        run.path.ends_with("/.shardplan-action/bin\n"),
        "{}",
        run.path
    );
    let plan = fs::read_to_string(d.join("plan.json")).expect("the plan");
    let doc: serde_json::Value = serde_json::from_str(&plan).unwrap();
    assert_eq!(
        run.outputs["fingerprint"],
        doc["fingerprint"].as_str().unwrap()
    );
    assert_eq!(
        run.outputs["matrix"],
        "{\"include\":[{\"index\":0,\"shard\":1,\"count\":3},{\"index\":1,\"shard\":2,\"count\":3},{\"index\":2,\"shard\":3,\"count\":3}]}"
    );
    assert_eq!(run.outputs["plan"], "plan.json");
    assert_eq!(run.outputs["filter"], "");
    assert!(
        run.summary.starts_with("### shardplan: 3 shards, plan `"),
        "{}",
        run.summary
    );
    // The plan is what the CLI makes from the same inputs.
    let direct = ok_in(d, &["--shards", "3", "--timings", "report.xml", "--json"]).0;
    assert_eq!(plan, direct);

    let chosen = run_action(
        d,
        &[
            ("max-shards", "9"),
            ("target", "16s"),
            ("timings", "report.xml"),
            ("plan", "chosen.json"),
        ],
    );
    assert!(chosen.ok, "{}", chosen.log);
    assert!(
        chosen.outputs["matrix"].contains("\"count\":3}]}"),
        "{}",
        chosen.outputs["matrix"]
    );
}

#[test]
fn select_mode_prints_the_shard_of_the_plan() {
    let dir = workspace();
    let d = dir.path();
    ok_in(
        d,
        &[
            "plan",
            "--shards",
            "3",
            "--timings",
            "report.xml",
            "-o",
            "plan.json",
        ],
    );
    for index in ["0", "2"] {
        let run = run_action(
            d,
            &[
                ("index", index),
                ("plan", "plan.json"),
                ("record", "results"),
            ],
        );
        assert!(run.ok, "{}", run.log);
        let filter = ok_in(d, &["select", "--plan", "plan.json", "--index", index]).0;
        assert!(filter.lines().count() > 1);
        assert_eq!(run.outputs["filter"], filter.trim_end_matches('\n'));
        let tests = ok_in(
            d,
            &[
                "select",
                "--plan",
                "plan.json",
                "--index",
                index,
                "--list-tests",
            ],
        )
        .0;
        assert_eq!(run.outputs["tests"], tests.trim_end_matches('\n'));
        let record = fs::read_to_string(d.join("results/shardplan-shard.json")).unwrap();
        assert!(record.contains(&format!("\"index\":{index}")), "{record}");
        assert!(record.contains(&run.outputs["fingerprint"]), "{record}");
        // The plan job wrote the table; a matrix job writes none.
        assert!(run.summary.is_empty(), "{}", run.summary);
        assert_eq!(run.outputs["matrix"], "");
    }
}

#[test]
fn select_mode_without_a_plan_plans_in_place() {
    let dir = workspace();
    let d = dir.path();
    let run = run_action(
        d,
        &[
            ("index", "1"),
            ("shards", "2"),
            ("timings", "report.xml"),
            ("summary", "false"),
        ],
    );
    assert!(run.ok, "{}", run.log);
    let direct = ok_in(
        d,
        &["--shards", "2", "--index", "1", "--timings", "report.xml"],
    )
    .0;
    assert_eq!(run.outputs["filter"], direct.trim_end_matches('\n'));
    assert!(run.summary.is_empty(), "{}", run.summary);
    // With the summary on, every job plans, and only job 0 writes the table.
    for (index, writes) in [("0", true), ("1", false)] {
        let run = run_action(
            d,
            &[("index", index), ("shards", "2"), ("timings", "report.xml")],
        );
        assert!(run.ok, "{}", run.log);
        assert_eq!(
            run.summary.starts_with("### shardplan: 2 shards, plan `"),
            writes,
            "index {index}: {}",
            run.summary
        );
    }
    let missing = run_action(d, &[("index", "1"), ("plan", "nowhere.json")]);
    assert!(!missing.ok);
    assert!(
        missing
            .log
            .contains("::error title=shardplan::no plan at nowhere.json"),
        "{}",
        missing.log
    );
}

#[test]
fn verify_mode_checks_the_shards_reports() {
    let dir = workspace();
    let d = dir.path();
    ok_in(
        d,
        &[
            "plan",
            "--shards",
            "2",
            "--timings",
            "report.xml",
            "-o",
            "plan.json",
        ],
    );
    for index in ["0", "1"] {
        let record = format!("results/shard-{index}");
        let tests = ok_in(
            d,
            &[
                "select",
                "--plan",
                "plan.json",
                "--index",
                index,
                "--list-tests",
                "--record",
                &record,
            ],
        )
        .0;
        let cases: Vec<(&str, &str)> = tests.lines().map(|t| t.split_once("::").unwrap()).collect();
        let xml = junit(
            &cases
                .iter()
                .map(|(classname, name)| Case {
                    classname,
                    name,
                    time: Some("1.0"),
                })
                .collect::<Vec<_>>(),
        );
        fs::write(d.join(&record).join("junit.xml"), xml).unwrap();
    }
    let run = run_action(d, &[("plan", "plan.json"), ("verify", "results")]);
    assert!(run.ok, "{}", run.log);
    assert!(
        run.log.contains("OK: every planned test ran exactly once"),
        "{}",
        run.log
    );
    assert!(
        run.summary.contains("Every planned test ran exactly once"),
        "{}",
        run.summary
    );
    // Without a timing history, no flaky list; with timings, one.
    assert!(!run.summary.contains("shardplan flaky"), "{}", run.summary);
    let run = run_action(
        d,
        &[
            ("plan", "plan.json"),
            ("verify", "results"),
            ("timings", "report.xml"),
        ],
    );
    assert!(run.ok, "{}", run.log);
    assert!(run.log.contains("no flaky tests"), "{}", run.log);
    assert!(
        run.summary.contains("shardplan flaky: 0 flaky tests"),
        "{}",
        run.summary
    );
    fs::remove_file(d.join("results/shard-1/junit.xml")).unwrap();
    let run = run_action(d, &[("plan", "plan.json"), ("verify", "results")]);
    assert!(!run.ok);
    assert!(
        run.log.contains("FAILED: planned but never ran"),
        "{}",
        run.log
    );
}

#[test]
fn a_version_the_action_is_not_fails_before_building() {
    let dir = workspace();
    let run = run_action(
        dir.path(),
        &[
            ("version", "v9.9.9"),
            ("shards", "2"),
            ("timings", "report.xml"),
        ],
    );
    assert!(!run.ok);
    assert!(
        run.log.contains(&format!(
            "/releases/download/v9.9.9; this action's source is shardplan {}, not 9.9.9",
            env!("CARGO_PKG_VERSION")
        )),
        "{}",
        run.log
    );
    assert!(!run.log.contains("must not run cargo"), "{}", run.log);
    let run = run_action(
        dir.path(),
        &[
            ("version", env!("CARGO_PKG_VERSION")),
            ("shards", "2"),
            ("timings", "report.xml"),
        ],
    );
    assert!(run.ok, "{}", run.log);
    let run = run_action(dir.path(), &[("timings", "report.xml")]);
    assert!(!run.ok);
    assert!(run.log.contains("planning needs shards"), "{}", run.log);
}

#[test]
fn multi_line_outputs_survive_a_line_that_looks_like_a_delimiter() {
    let text = "a=1\nfilter<<EOF_x\nline one\nb=2\nEOF_x\nc=x<<y\n";
    let outputs = read_outputs(text);
    assert_eq!(outputs["a"], "1");
    assert_eq!(outputs["filter"], "line one\nb=2");
    assert_eq!(outputs["c"], "x<<y");
}

/// The release the workflow would publish for this runner (Linux X64): the
/// built binary packed by the release script, and `SHA256SUMS`.
fn release_server(version: &str) -> tempfile::TempDir {
    let server = tempfile::tempdir().unwrap();
    let repository = fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("repository = \"https://github.com/"))
        .map(|r| r.trim_end_matches('"').to_string())
        .expect("a GitHub repository in Cargo.toml");
    let dir = server
        .path()
        .join(repository)
        .join("releases/download")
        .join(format!("v{version}"));
    let out = Command::new("bash")
        .arg(root().join(".github/scripts/package.sh"))
        .arg("x86_64-unknown-linux-musl")
        .arg(env!("CARGO_BIN_EXE_shardplan"))
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let archive = PathBuf::from(stdout(&out).trim());
    let name = archive.file_name().unwrap().to_str().unwrap().to_string();
    assert_eq!(
        name,
        format!("shardplan-v{version}-x86_64-unknown-linux-musl.tar.gz")
    );
    let digest = sha2::Sha256::digest(fs::read(&archive).unwrap());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    fs::write(
        dir.join("SHA256SUMS"),
        format!("{}  other.zip\n{hex}  {name}\n", "0".repeat(64)),
    )
    .unwrap();
    server
}

#[test]
fn the_release_binary_is_downloaded_checked_and_put_on_path() {
    let dir = workspace();
    let version = env!("CARGO_PKG_VERSION");
    let server = release_server(version);
    let machine = Machine {
        shardplan_on_path: false,
        server: Some(server.path().to_path_buf()),
        ..Machine::default()
    };
    let inputs = [("shards", "3"), ("timings", "report.xml")];
    let run = run_action_on(&machine, dir.path(), &inputs);
    assert!(run.ok, "{}", run.log);
    assert!(
        run.log.contains(&format!(
            "verified shardplan-v{version}-x86_64-unknown-linux-musl.tar.gz: sha256 "
        )),
        "{}",
        run.log
    );
    assert!(
        run.log
            .contains(&format!("shardplan {version} installed: ")),
        "{}",
        run.log
    );
    assert!(!run.log.contains("must not run cargo"), "{}", run.log);
    assert!(
        run.outputs["matrix"].contains("\"count\":3}]}"),
        "{}",
        run.log
    );

    // A download that does not match SHA256SUMS is never used, nor
    // replaced by a build.
    let sums = walk(server.path())
        .into_iter()
        .find(|p| p.ends_with("SHA256SUMS"))
        .unwrap();
    let text = fs::read_to_string(&sums).unwrap();
    let tampered: String = text
        .lines()
        .map(|l| format!("{}{}\n", "f".repeat(64), &l[64..]))
        .collect();
    fs::write(&sums, tampered).unwrap();
    let machine = Machine {
        cargo: Cargo::Installs,
        ..machine
    };
    let run = run_action_on(&machine, dir.path(), &inputs);
    assert!(!run.ok);
    assert!(
        run.log.contains(&format!(
            "::error title=shardplan::checksum mismatch for shardplan-v{version}-x86_64-unknown-linux-musl.tar.gz: SHA256SUMS says ffff"
        )),
        "{}",
        run.log
    );
    assert!(!run.log.contains("fake cargo"), "{}", run.log);
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn without_a_release_cargo_builds_and_without_cargo_the_message_says_what_to_add() {
    let dir = workspace();
    let inputs = [("shards", "2"), ("timings", "report.xml")];
    let building = Machine {
        shardplan_on_path: false,
        cargo: Cargo::Installs,
        ..Machine::default()
    };
    let run = run_action_on(&building, dir.path(), &inputs);
    assert!(run.ok, "{}", run.log);
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        run.log.contains(&format!(
            "building shardplan {version} from the action's source (no release v{version} at file://"
        )),
        "{}",
        run.log
    );
    assert!(
        run.log.contains(&format!(
            "fake cargo install --locked --path {} --root ",
            root().display()
        )),
        "{}",
        run.log
    );

    let bare = Machine {
        shardplan_on_path: false,
        cargo: Cargo::Absent,
        ..Machine::default()
    };
    let run = run_action_on(&bare, dir.path(), &inputs);
    assert!(!run.ok);
    assert!(
        run.log.contains(&format!(
            "::error title=shardplan::no release v{version} at file://"
        )),
        "{}",
        run.log
    );
    assert!(
        run.log.contains(
            "and no cargo on this runner to build shardplan 0.1.0 from source: add a Rust toolchain before this step (e.g. uses: dtolnay/rust-toolchain@stable), or install shardplan first (pip install shardplan==0.1.0)"
        ),
        "{}",
        run.log
    );

    // install: release never builds; install: source always does.
    let run = run_action_on(
        &building,
        dir.path(),
        &[inputs[0], inputs[1], ("install", "release")],
    );
    assert!(!run.ok);
    assert!(
        run.log
            .contains("(install: release does not build from source)"),
        "{}",
        run.log
    );
    assert!(!run.log.contains("fake cargo"), "{}", run.log);
    let server = release_server(version);
    let run = run_action_on(
        &Machine {
            server: Some(server.path().to_path_buf()),
            ..building
        },
        dir.path(),
        &[inputs[0], inputs[1], ("install", "source")],
    );
    assert!(run.ok, "{}", run.log);
    assert!(
        run.log.contains("fake cargo install --locked"),
        "{}",
        run.log
    );
    assert!(!run.log.contains("verified"), "{}", run.log);
}

#[test]
fn shard_overhead_args_and_working_directory_reach_shardplan() {
    let dir = workspace();
    let d = dir.path();
    let sub = d.join("sub");
    fs::create_dir(&sub).unwrap();
    fs::copy(d.join("report.xml"), sub.join("report.xml")).unwrap();
    let run = run_action(
        d,
        &[
            ("working-directory", "sub"),
            ("shards", "3"),
            ("timings", "report.xml"),
            ("plan", "plan.json"),
            ("shard-overhead", "90s"),
            ("args", "--group-overhead '1s' --split-large --by class"),
            ("by", "test"),
        ],
    );
    // --by twice is a usage error: args come after the inputs' options.
    assert!(!run.ok, "{}", run.log);
    assert!(run.log.contains("--by"), "{}", run.log);
    let run = run_action(
        d,
        &[
            ("working-directory", "sub"),
            ("shards", "3"),
            ("timings", "report.xml"),
            ("plan", "plan.json"),
            ("shard-overhead", "90s"),
            ("args", "--group-overhead '1s'  --min-match \"10\""),
        ],
    );
    assert!(run.ok, "{}", run.log);
    assert!(!d.join("plan.json").exists());
    let plan = fs::read_to_string(sub.join("plan.json")).expect("the plan, in sub/");
    let direct = ok_in(
        &sub,
        &[
            "--shards",
            "3",
            "--timings",
            "report.xml",
            "--shard-overhead",
            "90s",
            "--group-overhead",
            "1s",
            "--json",
        ],
    )
    .0;
    assert_eq!(plan, direct);
    assert!(plan.contains("\"shard_overhead_seconds\":90"), "{plan}");
}

#[test]
fn a_failing_matrix_fails_the_step() {
    let dir = workspace();
    let built = env!("CARGO_BIN_EXE_shardplan");
    let machine = Machine {
        scripts: vec![(
            "shardplan",
            format!(
                "#!/bin/sh\nif [ \"$1\" = matrix ]; then echo 'matrix broke' >&2; exit 3; fi\nexec '{built}' \"$@\"\n"
            ),
        )],
        ..Machine::default()
    };
    let run = run_action_on(
        &machine,
        dir.path(),
        &[("shards", "2"), ("timings", "report.xml")],
    );
    assert!(!run.ok, "{}", run.log);
    assert!(run.log.contains("matrix broke"), "{}", run.log);
    assert!(run.outputs.is_empty());
}

#[test]
fn the_scripts_hide_no_failure() {
    let action = action();
    for step in action["runs"]["steps"].as_vec().unwrap() {
        let Some(script) = scalar(&step["run"]) else {
            continue;
        };
        assert!(
            script.lines().any(|l| l.trim() == "set -euo pipefail"),
            "a step without set -euo pipefail:\n{script}"
        );
    }
    // In the step that runs shardplan, a command substitution only reads
    // what a checked command wrote: none runs shardplan in an argument.
    let shard = action["runs"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| scalar(&s["id"]).as_deref() == Some("shard"))
        .unwrap();
    let script = scalar(&shard["run"]).unwrap();
    let allowed = ["$(mktemp -d)", "$(tail -c 1 \"$2\")", "$(cat \"$work/"];
    for (at, _) in script.match_indices("$(") {
        assert!(
            allowed.iter().any(|a| script[at..].starts_with(a)),
            "a command substitution that may hide a failure: {}",
            &script[at..script[at..].find('\n').map_or(script.len(), |n| at + n)]
        );
    }
    // The install step verifies what it downloads.
    let install = action["runs"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| scalar(&s["id"]).as_deref() == Some("install"))
        .unwrap();
    let script = scalar(&install["run"]).unwrap();
    for needle in [
        "SHA256SUMS",
        "sha256sum",
        "shasum -a 256",
        "checksum mismatch",
    ] {
        assert!(script.contains(needle), "{needle} in the install step");
    }
}
