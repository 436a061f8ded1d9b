//! Issue 14, "Hostile and odd real-world input": each reproduction of the
//! issue run as a user runs it, within 10 seconds, with the right result or
//! a clear error naming the file and place (never a hang or a panic).

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::{shardplan_command, stderr, stdout};

/// Runs shardplan in `dir` with `args`; fails the test if it takes more
/// than 10 seconds or panics.
fn run(dir: &Path, args: &[&str]) -> Output {
    run_with(shardplan_command(), dir, args)
}

/// [`run`] with the binary started by `command`.
fn run_with(mut command: std::process::Command, dir: &Path, args: &[&str]) -> Output {
    let mut child = command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("shardplan runs");
    let started = Instant::now();
    // Drain the pipes on threads so that a chatty child never blocks.
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut out_pipe, &mut buf).ok();
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut err_pipe, &mut buf).ok();
        buf
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(10) {
            child.kill().ok();
            child.wait().ok();
            panic!("shardplan {args:?} took more than 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    assert!(
        !stderr(&output).contains("panicked"),
        "shardplan {args:?} panicked: {}",
        stderr(&output)
    );
    output
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, text).unwrap();
}

const REPORT: &str = r#"<testsuite name="s"><testcase name="a" classname="C" time="1"/><testcase name="b" classname="C" time="2"/></testsuite>"#;

/// Item 1: `**` must not follow a symlink cycle (pnpm and yarn workspaces
/// make them): once round, the file is read once.
#[cfg(unix)]
#[test]
fn glob_survives_symlink_cycles_and_reads_each_file_once() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("r/x.xml"), REPORT);
    fs::create_dir_all(dir.path().join("r/d")).unwrap();
    std::os::unix::fs::symlink("..", dir.path().join("r/d/up")).unwrap();
    std::os::unix::fs::symlink("..", dir.path().join("r/d/up2")).unwrap();
    let out = run(
        dir.path(),
        &["--shards", "2", "--index", "0", "--timings", "r/**/*.xml"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("2 tests planned (2 with timings, 0 estimated) from 1 report file;"),
        "{}",
        stderr(&out)
    );
    // A symlinked directory that is not a cycle is followed, and a file
    // it reaches that is found anyway is still read once.
    std::os::unix::fs::symlink("r", dir.path().join("alias")).unwrap();
    let out = run(
        dir.path(),
        &[
            "--shards",
            "1",
            "--index",
            "0",
            "--timings",
            "*/x.xml",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("from 1 report file;"),
        "{}",
        stderr(&out)
    );
}

/// Item 3: a stray line in a parallel_tests runtime log is skipped with a
/// warning, as parallel_tests skips it; detection copes with it too.
#[test]
fn runtime_logs_skip_stray_lines() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("r.log"),
        "\nRandomized with seed 1\nspec/a_spec.rb:1.5\n",
    );
    for format in [&["--format", "parallel-tests"][..], &[]] {
        let mut args = vec!["--shards", "2", "--index", "0", "--timings", "r.log"];
        args.extend_from_slice(format);
        args.extend(["--runner", "rspec"]);
        let out = run(dir.path(), &args);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("r.log:2:1: not a `path:seconds` line, skipped"),
            "{}",
            stderr(&out)
        );
    }
}

/// Item 4: pytest lists a path holding a space as it is.
#[test]
fn tests_from_accepts_pytest_paths_with_spaces() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("x.xml"), REPORT);
    write(
        &dir.path().join("l.txt"),
        "tests/sub/test_sp ace.py::test_a\n\n1 test collected in 0.01s\n",
    );
    let out = run(
        dir.path(),
        &[
            "--shards",
            "1",
            "--index",
            "0",
            "--timings",
            "x.xml",
            "--tests-from",
            "l.txt",
            "--runner",
            "pytest",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // The whole file is on the one shard, so its path selects it.
    assert_eq!(stdout(&out), "tests/sub/test_sp ace.py\n");
    let out = run(
        dir.path(),
        &[
            "--shards",
            "1",
            "--index",
            "0",
            "--timings",
            "x.xml",
            "--tests-from",
            "l.txt",
            "--runner",
            "pytest",
            "--by",
            "test",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("\"tests/sub/test_sp ace.py::test_a\""),
        "{}",
        stdout(&out)
    );
}

/// Items 5 and 6: a raw newline or control character in a name is never
/// printed (one test would become two lines, or ESC reach the terminal):
/// the case is refused at selection with a warning that it runs on no
/// shard by name, and the other tests are planned as usual.
#[test]
fn control_characters_in_names_are_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("n.xml"),
        r#"<testsuite name="s" file="tests/test_x.py"><testcase name="a&#10;b" classname="tests.test_x" time="1"/><testcase name="e&#27;[31mred" classname="tests.test_x" time="2"/><testcase name="ok" classname="tests.test_x" time="3"/><testcase name="nul&#x85;" classname="tests.test_x" time="2"/></testsuite>"#,
    );
    for runner in [
        "plain",
        "pytest",
        "go",
        "nextest",
        "jest",
        "cargo",
        "vitest",
        "playwright",
        "maven",
        "gradle",
        "rspec",
        "phpunit",
        "dotnet",
        "mocha",
    ] {
        for index in ["0", "1"] {
            let out = run(
                dir.path(),
                &[
                    "--shards",
                    "2",
                    "--index",
                    index,
                    "--timings",
                    "n.xml",
                    "--runner",
                    runner,
                ],
            );
            let (printed, said) = (stdout(&out), stderr(&out));
            assert!(
                !printed.contains(['\u{1b}', '\u{85}']) && !printed.contains("a\nb"),
                "--runner {runner} printed a control character: {printed:?}"
            );
            assert!(
                !said.contains(['\u{1b}', '\u{85}']),
                "--runner {runner} said a control character: {said:?}"
            );
        }
    }
    let out = run(
        dir.path(),
        &[
            "--shards",
            "1",
            "--index",
            "0",
            "--timings",
            "n.xml",
            "--runner",
            "pytest",
            "--no-catch-all",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // The refused tests run where their whole file is selected.
    assert_eq!(stdout(&out), "tests/test_x.py\n");
    assert!(
        stderr(&out).contains("3 cases have a control character"),
        "{}",
        stderr(&out)
    );
    // A listing with a control character is refused at its line.
    write(
        &dir.path().join("l.txt"),
        "tests/test_x.py::ok\ntests/test_x.py::e\u{1b}[0m\n",
    );
    let out = run(
        dir.path(),
        &[
            "--shards",
            "1",
            "--index",
            "0",
            "--timings",
            "n.xml",
            "--tests-from",
            "l.txt",
            "--runner",
            "pytest",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("l.txt:2:19: control character '\\u{1b}'"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains('\u{1b}'));
}

/// Item 7: a comment holding `]>` in the DOCTYPE's internal subset.
#[test]
fn doctype_with_a_bracket_in_a_comment_is_read() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("d.xml"),
        "<?xml version=\"1.0\"?>\n<!DOCTYPE testsuite [\n<!-- a ]> comment -->\n]>\n<testsuite name=\"s\"><testcase name=\"a\" classname=\"C\" time=\"1\"/></testsuite>\n",
    );
    let out = run(
        dir.path(),
        &["--shards", "1", "--index", "0", "--timings", "d.xml"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "C::a\n");
}

/// Item 8: `--tests-from /dev/zero` is refused at once, by its line.
#[cfg(unix)]
#[test]
fn tests_from_an_endless_source_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("x.xml"), REPORT);
    let out = run(
        dir.path(),
        &[
            "--shards",
            "1",
            "--index",
            "0",
            "--timings",
            "x.xml",
            "--tests-from",
            "/dev/zero",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/dev/zero:1:1: line longer than 1 MiB"),
        "{}",
        stderr(&out)
    );
}

/// Item 8: a 200 MB name is refused at its tag without being held whole.
#[test]
fn a_huge_attribute_is_refused_at_its_tag() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.xml");
    let mut file = fs::File::create(&path).unwrap();
    file.write_all(b"<testsuite name=\"s\">\n<testcase name=\"")
        .unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..200 {
        file.write_all(&chunk).unwrap();
    }
    file.write_all(b"\"/></testsuite>").unwrap();
    drop(file);
    let out = run(
        dir.path(),
        &["--shards", "1", "--index", "0", "--timings", "big.xml"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("big.xml:2:1: junit report: a tag, comment or DOCTYPE longer than 16 MiB"),
        "{}",
        stderr(&out)
    );
}

/// Item 2: 100,000 nested `<testcase>` elements: an error at the place the
/// nesting limit is passed, at once.
#[test]
fn deeply_nested_testcases_are_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let n = 100_000;
    let mut doc = String::from("<testsuite name=\"s\">\n");
    doc.push_str(&"<testcase name=\"a\" classname=\"C\" time=\"1\">".repeat(n));
    doc.push_str(&"</testcase>".repeat(n));
    doc.push_str("</testsuite>");
    write(&dir.path().join("nest.xml"), &doc);
    let out = run(
        dir.path(),
        &["--shards", "2", "--index", "0", "--timings", "nest.xml"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("nest.xml:2:") && stderr(&out).contains("nested more than 1024"),
        "{}",
        stderr(&out)
    );
}

/// Item 10: an unreadable subdirectory is skipped with a warning, as an
/// unreadable file is, unless `--strict`. Root reads every directory, so
/// as root the binary runs in a user namespace as nobody (`unshare -U`).
#[cfg(unix)]
#[test]
fn an_unreadable_subdirectory_is_skipped_unless_strict() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    write(&dir.path().join("u/ok/x.xml"), REPORT);
    let bad = dir.path().join("u/bad");
    fs::create_dir_all(&bad).unwrap();
    write(&bad.join("y.xml"), REPORT);
    for sub in ["u", "u/ok", "u/bad"] {
        fs::set_permissions(dir.path().join(sub), fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::set_permissions(
        dir.path().join("u/ok/x.xml"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    fs::set_permissions(&bad, fs::Permissions::from_mode(0o000)).unwrap();
    let command = || {
        if fs::read_dir(&bad).is_err() {
            return Some(shardplan_command());
        }
        let mut unshare = std::process::Command::new("unshare");
        unshare.arg("-U").arg(env!("CARGO_BIN_EXE_shardplan"));
        let works = std::process::Command::new("unshare")
            .args(["-U", "ls"])
            .arg(&bad)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| !s.success());
        works.then_some(unshare)
    };
    if command().is_none() {
        common::skip_note("cannot make a directory unreadable (root without unshare -U)");
        fs::set_permissions(&bad, fs::Permissions::from_mode(0o755)).unwrap();
        return;
    }
    for argument in ["u", "u/**/*.xml"] {
        let mut args = vec!["--shards", "1", "--index", "0", "--timings", argument];
        let out = run_with(command().unwrap(), dir.path(), &args);
        assert!(out.status.success(), "{argument}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("u/bad: cannot list directory: Permission denied")
                && stderr(&out).contains("--strict makes this an error")
                && stderr(&out)
                    .contains("2 tests planned (2 with timings, 0 estimated) from 1 report file"),
            "{argument}: {}",
            stderr(&out)
        );
        args.push("--strict");
        let out = run_with(command().unwrap(), dir.path(), &args);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("u/bad: cannot list directory"),
            "{}",
            stderr(&out)
        );
    }
    fs::set_permissions(&bad, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Item 11: a FIFO is named as what it is, and a glob whose files an
/// earlier `--timings` found still matched them.
#[cfg(unix)]
#[test]
fn messages_say_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("r/x.xml"), REPORT);
    let fifo = dir.path().join("f");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let out = run(
            dir.path(),
            &["--shards", "1", "--index", "0", "--timings", "f"],
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).contains("f: is a FIFO (named pipe), not a report file"),
            "{}",
            stderr(&out)
        );
    }
    let out = run(
        dir.path(),
        &[
            "--shards",
            "1",
            "--index",
            "0",
            "--timings",
            "r/x.xml",
            "--timings",
            "r/*.xml",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("matched no report file"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("from 1 report file;"),
        "{}",
        stderr(&out)
    );
    // go-json: an Elapsed of 1e300 is shown short.
    write(
        &dir.path().join("g.json"),
        "{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestA\",\"Elapsed\":1e300}\n",
    );
    let out = run(
        dir.path(),
        &["--shards", "1", "--index", "0", "--timings", "g.json"],
    );
    assert!(
        stderr(&out).contains("g.json:1:1: unusable Elapsed 1e300; treated as unknown"),
        "{}",
        stderr(&out)
    );
}

/// Item 12: a vitest file whose only test has an empty name is still
/// planned, on exactly one shard, with `--no-catch-all` too.
#[test]
fn vitest_keeps_a_file_whose_only_test_is_nameless() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("v.xml"),
        r#"<testsuites name="vitest tests"><testsuite name="src/a.test.ts"><testcase name="" classname="src/a.test.ts" time="1"/></testsuite><testsuite name="src/b.test.ts"><testcase name="b" classname="src/b.test.ts" time="1"/></testsuite></testsuites>"#,
    );
    let mut printed = Vec::new();
    for index in ["0", "1"] {
        let out = run(
            dir.path(),
            &[
                "--shards",
                "2",
                "--index",
                index,
                "--timings",
                "v.xml",
                "--runner",
                "vitest",
                "--no-catch-all",
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        printed.extend(stdout(&out).lines().map(str::to_string));
    }
    printed.sort();
    assert_eq!(printed, ["src/a.test.ts", "src/b.test.ts"]);
    // A runner that selects single tests still cannot run it, and says so.
    let out = run(
        dir.path(),
        &[
            "--shards",
            "1",
            "--index",
            "0",
            "--timings",
            "v.xml",
            "--runner",
            "plain",
        ],
    );
    assert!(
        stderr(&out).contains("ignored 1 cases without a name"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn nothing_readable_is_said_as_such_not_as_a_skip_or_a_wrong_runner() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("none")).unwrap();
    fs::write(dir.path().join("a.xml"), "").unwrap();
    fs::write(dir.path().join("b.xml"), "").unwrap();
    let plan = |timings: &str| {
        run(
            dir.path(),
            &[
                "--shards",
                "2",
                "--index",
                "0",
                "--runner",
                "pytest",
                "--timings",
                timings,
            ],
        )
    };
    // A directory without reports: no blame on --runner.
    let out = plan("none");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("nothing to plan: --timings found no report to read"),
        "{}",
        stderr(&out)
    );
    // One report, unreadable: its error alone, not a skip first.
    let out = plan("a.xml");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("a.xml: report is empty"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("skipping"), "{}", stderr(&out));
    // Several, none readable: the error says none was, naming each (flaky
    // and verify print no warnings before an error).
    let out = plan("*.xml");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("none of the 2 reports could be read:\n  a.xml: report is empty"),
        "{err}"
    );
    assert!(err.contains("\n  b.xml: report is empty"), "{err}");
    assert!(!err.contains("skipping"), "{err}");
    let out = run(
        dir.path(),
        &["flaky", "--timings", "a.xml", "--timings", "b.xml"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("\n  b.xml: report is empty"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_missing_report_path_is_blamed_on_the_argument_given() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["merge", "--into", "h.json", "nothere/"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("nothere/: no such file or directory (a report argument takes"),
        "{err}"
    );
    assert!(!err.contains("--timings"), "{err}");
    let out = run(
        dir.path(),
        &["--shards", "2", "--index", "0", "--timings", "nothere/"],
    );
    assert!(
        stderr(&out).contains("(--timings takes"),
        "{}",
        stderr(&out)
    );
}
