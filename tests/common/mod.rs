//! Helpers shared by the integration tests: run the built binary as a user
//! would, and write small JUnit reports.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root (where `fixtures/` lives).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `shardplan` with `args` in the repository root, feeding `stdin`.
pub fn shardplan(args: &[&str], stdin: &str) -> Output {
    shardplan_in(&root(), args, stdin)
}

/// Runs `shardplan` with `args` in `dir`.
pub fn shardplan_in(dir: &Path, args: &[&str], stdin: &str) -> Output {
    shardplan_with_env(dir, args, &[], stdin)
}

/// Runs `shardplan` with `args` in `dir`, with `env` set and no CI shard
/// variables or job summary inherited from the machine running the tests.
pub fn shardplan_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = shardplan_command()
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the shardplan binary runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("stdin accepts input");
    child.wait_with_output().expect("shardplan finishes")
}

/// The `shardplan` binary as a command, without the CI shard variables
/// and the job summary of the machine running the tests: a test run inside
/// a parallel CI job must not plan that job's shard.
pub fn shardplan_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shardplan"));
    for provider in &shardplan::ci_env::PROVIDERS {
        command.env_remove(provider.index_var);
        command.env_remove(provider.count_var);
    }
    command.env_remove("GITHUB_STEP_SUMMARY");
    command
}

/// Stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

/// Stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// One `<testcase>` of a generic JUnit report.
pub struct Case<'a> {
    pub classname: &'a str,
    pub name: &'a str,
    pub time: Option<&'a str>,
}

/// A generic JUnit report holding `cases` in one suite.
pub fn junit(cases: &[Case<'_>]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"suite\">\n",
    );
    for case in cases {
        let time = case
            .time
            .map(|t| format!(" time=\"{t}\""))
            .unwrap_or_default();
        xml += &format!(
            "    <testcase classname=\"{}\" name=\"{}\"{time}/>\n",
            escape(case.classname),
            escape(case.name)
        );
    }
    xml += "  </testsuite>\n</testsuites>\n";
    xml
}

/// XML attribute escaping for test data.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The shared corpus of real reports (`../shared/corpus`), if present.
pub fn corpus_root() -> Option<PathBuf> {
    let root = root().join("../shared/corpus");
    root.is_dir().then_some(root)
}

/// Every report file under `dir`, sorted; the catalogue and the sources'
/// provenance files are left out.
pub fn corpus_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path
                .file_name()
                .is_some_and(|n| n != "CATALOG.md" && n != ".source.json")
            {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    files
}

/// XML by extension, or by a `<` first (after a BOM and whitespace), which
/// catches extension-less and oddly named reports.
pub fn is_xmlish(path: &Path, bytes: &[u8]) -> bool {
    let by_extension = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "xml" | "trx" | "junit" | "golden"));
    by_extension || decode(bytes).is_ok_and(|text| text.trim_start().starts_with('<'))
}

/// Decodes a file as an XML parser would: BOM-selected UTF-8 or UTF-16
/// (also recognised without BOM from the NUL beside `<`).
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    let utf16 = |body: &[u8], big_endian: bool| -> Result<String, String> {
        if !body.len().is_multiple_of(2) {
            return Err("odd number of bytes in UTF-16".into());
        }
        let units = body.chunks_exact(2).map(|p| {
            if big_endian {
                u16::from_be_bytes([p[0], p[1]])
            } else {
                u16::from_le_bytes([p[0], p[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|e| e.to_string())
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => {
            String::from_utf8(rest.to_vec()).map_err(|e| e.to_string())
        }
        [0xFF, 0xFE, rest @ ..] => utf16(rest, false),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, true),
        [b'<', 0, ..] => utf16(bytes, false),
        [0, b'<', ..] => utf16(bytes, true),
        _ => String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string()),
    }
}

/// Says on the terminal that a test skipped part of its work, past the
/// test harness's capture of `println!`/`eprintln!` (which hides a
/// passing test's output), so that `cargo test` shows every skip.
pub fn skip_note(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "note: skipping: {message}");
}

/// Whether the external tool an end-to-end test needs is here: `probe` runs
/// (e.g. `["go", "version"]`) and exits 0. When it is not, a developer's run
/// prints a notice and the caller skips; under CI (`CI` set) it panics, so
/// that CI cannot pass by skipping.
pub fn tool_available(what: &str, probe: &[&str]) -> bool {
    let found = Command::new(probe[0])
        .args(&probe[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        let message = format!("{what} is not installed (`{}` failed)", probe.join(" "));
        assert!(
            std::env::var_os("CI").is_none(),
            "{message}: CI must run this end-to-end test (.ci/run installs it)"
        );
        skip_note(&format!("{message}; `.ci/run` shows how to install it"));
    }
    found
}

/// Copies `fixtures/suites/<name>` into a new temporary directory, leaving
/// out build output and installed packages.
pub fn copy_suite(name: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix(&format!("shardplan-e2e-{name}-"))
        .tempdir()
        .expect("a temporary directory");
    copy_dir(&root().join("fixtures/suites").join(name), dir.path());
    std::fs::create_dir(dir.path().join("shardplan-reports")).expect("a reports directory");
    dir
}

/// Copies the directory `from` to `to`, leaving out build output and
/// installed packages.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a directory");
    for entry in std::fs::read_dir(from).expect("a readable suite") {
        let entry = entry.expect("a directory entry");
        let name = entry.file_name();
        if name == "target" || name == "node_modules" || name == "__pycache__" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).expect("a copied file");
        }
    }
}

/// Runs `argv` in `dir` with `env` added; panics with its output unless it
/// succeeds.
pub fn run(dir: &Path, argv: &[&str], env: &[(&str, &str)]) -> Output {
    let output = Command::new(argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {argv:?}: {e}"));
    assert!(
        output.status.success(),
        "{argv:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs pytest in `dir` on the arguments a shard printed, saved in
/// `args` (pytest reads them with `@file`), writing its JUnit report to
/// `junit`; panics unless it succeeds.
pub fn run_pytest_shard(dir: &Path, args: &Path, junit: &Path, env: &[(&str, &str)]) -> Output {
    run(
        dir,
        &[
            "python3",
            "-m",
            "pytest",
            &format!("@{}", args.display()),
            "-p",
            "no:cacheprovider",
            "-q",
            &format!("--junitxml={}", junit.display()),
        ],
        env,
    )
}

/// The tests a JUnit report lists, as `<suite or classname>::<name>`.
pub fn junit_tests(path: &Path, by_suite: bool) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let doc = roxmltree::Document::parse(&text).expect("a well-formed JUnit report");
    doc.descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|case| {
            let scope = if by_suite {
                case.parent()
                    .and_then(|s| s.attribute("name"))
                    .unwrap_or_default()
            } else {
                case.attribute("classname").unwrap_or_default()
            };
            format!("{scope}::{}", case.attribute("name").unwrap_or_default())
        })
        .collect()
}

impl<'a> Case<'a> {
    /// A case that took `time` seconds.
    pub fn timed(classname: &'a str, name: &'a str, time: &'a str) -> Self {
        Case {
            classname,
            name,
            time: Some(time),
        }
    }
}

/// A new temporary directory holding `report.xml`, a generic JUnit report
/// of `cases`.
pub fn report_dir(cases: &[Case<'_>]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("report.xml"), junit(cases)).expect("a report");
    dir
}

/// `--shards <shards> --index <index> --timings report.xml`, then `extra`:
/// one shard's share of the suite that `report.xml` recorded.
pub fn shard_args<'a>(shards: &'a str, index: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--shards",
        shards,
        "--index",
        index,
        "--timings",
        "report.xml",
    ];
    args.extend_from_slice(extra);
    args
}

/// Runs `shardplan` with `args` (which ask for `--json`) in `dir`, asserts
/// that it succeeds, and returns the plan it printed and its stderr.
pub fn json_plan_in(dir: &Path, args: &[&str], stdin: &str) -> (serde_json::Value, String) {
    let out = shardplan_in(dir, args, stdin);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    let plan = serde_json::from_str(&stdout(&out)).expect("--json prints JSON");
    (plan, stderr(&out))
}

/// The shard of a `--json` plan whose tests include one ending in `test`.
pub fn shard_with<'a>(plan: &'a serde_json::Value, test: &str) -> &'a serde_json::Value {
    plan["shards"]
        .as_array()
        .expect("shards")
        .iter()
        .find(|s| {
            s["tests"]
                .as_array()
                .expect("tests")
                .iter()
                .any(|t| t.as_str().is_some_and(|t| t.ends_with(test)))
        })
        .unwrap_or_else(|| panic!("{test} on no shard: {plan}"))
}

/// The items of shard `shard` of a `--json` plan, in its order.
pub fn shard_items(plan: &serde_json::Value, shard: usize) -> Vec<String> {
    plan["shards"][shard]["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .map(|t| t.as_str().expect("string").to_string())
        .collect()
}

/// Every item of every shard of a `--json` plan.
pub fn plan_items(plan: &serde_json::Value) -> std::collections::BTreeSet<String> {
    let shards = plan["shards"].as_array().expect("shards");
    (0..shards.len())
        .flat_map(|shard| shard_items(plan, shard))
        .collect()
}

/// Asserts that `out`'s stderr contains `needle`, showing the stderr if not.
#[track_caller]
pub fn assert_stderr_contains(out: &Output, needle: &str) {
    let err = stderr(out);
    assert!(err.contains(needle), "{err}");
}

/// The shared corpus of real reports, or `None` after printing that the
/// corpus tests are skipped.
pub fn corpus_or_skip() -> Option<PathBuf> {
    let root = corpus_root();
    if root.is_none() {
        skip_note("../shared/corpus not found");
    }
    root
}

/// How a corpus file is named in messages: its path below the corpus root.
pub fn corpus_name(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Runs `read`, recording `"<shown>: PANIC <what>"` in `failures` and
/// returning `None` if it panics: one file's panic must not hide the others'
/// results.
pub fn without_panic<T>(
    shown: &str,
    what: &str,
    failures: &mut Vec<String>,
    read: impl FnOnce() -> T,
) -> Option<T> {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    if result.is_err() {
        failures.push(format!("{shown}: PANIC {what}"));
    }
    result.ok()
}

/// Records in `failures` an error `message` about `path` that does not name
/// the file.
pub fn check_names_file(shown: &str, path: &Path, message: &str, failures: &mut Vec<String>) {
    if !message.contains(&path.display().to_string()) {
        failures.push(format!("{shown}: error does not name the file: {message}"));
    }
}

/// Fails with every corpus mismatch found, if there are any.
#[track_caller]
pub fn assert_no_mismatches(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} corpus mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Deterministic Fisher–Yates driven by a seed, so that a failing property
/// case replays.
pub fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (seed >> 33) as usize % (i + 1);
        items.swap(i, j);
    }
}

/// Runs the planning pipeline in-process (`commands::default::run`) with `args` and
/// `stdin`, and returns stdout; panics with stderr if planning fails.
pub fn plan_in_process(args: &[String], stdin: &str) -> String {
    use clap::Parser;
    let mut argv = vec!["shardplan".to_string()];
    argv.extend(args.iter().cloned());
    let cli = shardplan::cli::Cli::try_parse_from(&argv).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut input = stdin.as_bytes();
    let mut streams = shardplan::app::Streams {
        stdin: &mut input,
        stdout: &mut out,
        stderr: &mut err,
    };
    shardplan::commands::default::run(&cli.plan, &mut streams)
        .unwrap_or_else(|e| panic!("{e}\nstderr: {}", String::from_utf8_lossy(&err)));
    String::from_utf8(out).unwrap()
}

/// Runs `shardplan` in `dir` and asserts it succeeded; returns stdout and
/// stderr.
pub fn ok_in(dir: &Path, args: &[&str]) -> (String, String) {
    let out = shardplan_in(dir, args, "");
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    (stdout(&out), stderr(&out))
}

/// Runs `shardplan` in `dir` and asserts exit status `code`; returns stdout
/// and stderr.
pub fn fails_in(dir: &Path, args: &[&str], code: i32) -> (String, String) {
    let out = shardplan_in(dir, args, "");
    assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
    (stdout(&out), stderr(&out))
}

/// A copy of the example pytest suite with `timings.xml`, the JUnit report
/// real pytest wrote while running it with its sleeps scaled by `scale`.
pub fn pytest_suite_with_timings(scale: &str) -> tempfile::TempDir {
    let suite = copy_suite("pytest");
    run(
        suite.path(),
        &[
            "python3",
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "--junitxml=timings.xml",
        ],
        &[
            ("PYTHONDONTWRITEBYTECODE", "1"),
            ("SUITE_TIME_SCALE", scale),
        ],
    );
    suite
}

/// Asserts that the shards ran pairwise different tests and together
/// exactly `expected`.
pub fn assert_partition(label: &str, expected: &[String], shards: &[Vec<String>]) {
    let mut seen: std::collections::BTreeMap<&str, Vec<usize>> = std::collections::BTreeMap::new();
    for (index, tests) in shards.iter().enumerate() {
        for test in tests {
            seen.entry(test).or_default().push(index);
        }
    }
    let twice: Vec<String> = seen
        .iter()
        .filter(|(_, on)| on.len() > 1)
        .map(|(test, on)| format!("{test} on shards {on:?}"))
        .collect();
    assert!(twice.is_empty(), "{label}: ran more than once: {twice:#?}");
    let missing: Vec<&String> = expected
        .iter()
        .filter(|t| !seen.contains_key(t.as_str()))
        .collect();
    assert!(missing.is_empty(), "{label}: never ran: {missing:#?}");
    let unexpected: Vec<&&str> = seen
        .keys()
        .filter(|t| !expected.iter().any(|e| e == *t))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{label}: not in the suite: {unexpected:#?}"
    );
}
