//! Flaky tests, isolation suspects and rerunning only what failed, through
//! the binary: three merged runs where one test fails once, then `flaky`,
//! `select --only-failed` and `verify` on them; and the rerun path with
//! real pytest (a test that fails on its first run only).

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{junit_tests, run, shardplan_in, stderr, stdout, tool_available};

/// A pytest-style JUnit report of `cases`: (file stem, name, outcome)
/// with outcome `pass`, `fail` or `error`.
fn report(cases: &[(&str, &str, &str)]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><testsuites><testsuite name=\"pytest\">\n",
    );
    for (stem, name, outcome) in cases {
        let body = match *outcome {
            "pass" => String::new(),
            "fail" => "<failure message=\"boom\">assert 0</failure>".to_string(),
            "error" => "<error message=\"fixture\">setup failed</error>".to_string(),
            other => panic!("{other}"),
        };
        xml += &format!(
            "<testcase classname=\"tests.{stem}\" name=\"{name}\" file=\"tests/{stem}.py\" time=\"1.0\">{body}</testcase>\n"
        );
    }
    xml += "</testsuite></testsuites>\n";
    xml
}

/// The suite's four tests, `test_flaky` with `flaky`'s outcome.
fn run_report(flaky: &str) -> String {
    report(&[
        ("test_a", "test_one", "pass"),
        ("test_a", "test_two", "pass"),
        ("test_b", "test_flaky", flaky),
        ("test_b", "test_three", "pass"),
    ])
}

/// Runs shardplan in `dir`, asserting its exit status.
fn ok(dir: &Path, args: &[&str]) -> std::process::Output {
    let output = shardplan_in(dir, args, "");
    assert!(
        output.status.success(),
        "shardplan {args:?} failed:\n{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    output
}

/// Three merged runs into `h.json`, `test_flaky` failing in the second,
/// and a two-shard pytest plan `P.json` from them. Returns each shard's
/// planned tests.
fn three_runs(dir: &Path) -> Vec<Vec<String>> {
    for (run, flaky) in ["pass", "fail", "pass"].iter().enumerate() {
        let file = format!("run{run}.xml");
        fs::write(dir.join(&file), run_report(flaky)).unwrap();
        ok(dir, &["merge", "--into", "h.json", &file, "-q"]);
    }
    ok(
        dir,
        &[
            "plan",
            "--timings",
            "h.json",
            "--shards",
            "2",
            "--runner",
            "pytest",
            "-o",
            "P.json",
            "-q",
        ],
    );
    (0..2)
        .map(|i| {
            let out = ok(
                dir,
                &[
                    "select",
                    "--plan",
                    "P.json",
                    "--index",
                    &i.to_string(),
                    "--list-tests",
                    "-q",
                ],
            );
            stdout(&out).lines().map(str::to_string).collect()
        })
        .collect()
}

/// The shard holding `test`.
fn shard_of(shards: &[Vec<String>], test: &str) -> usize {
    shards
        .iter()
        .position(|s| s.iter().any(|t| t == test))
        .unwrap_or_else(|| panic!("{test} is in no shard: {shards:?}"))
}

const FLAKY: &str = "tests/test_b.py::test_flaky";

#[test]
fn flaky_lists_the_test_that_failed_once_and_not_the_steady_ones() {
    let dir = tempfile::tempdir().unwrap();
    three_runs(dir.path());
    let history = fs::read_to_string(dir.path().join("h.json")).unwrap();
    assert!(history.contains("\"name\":\"test_flaky\""), "{history}");
    assert!(history.contains("\"outcomes\":\"pfp\""), "{history}");

    let out = ok(
        dir.path(),
        &["flaky", "--timings", "h.json", "--runner", "pytest"],
    );
    let text = stdout(&out);
    assert!(text.contains(FLAKY), "{text}");
    assert!(text.contains("1/3"), "{text}");
    assert!(text.contains("33.3%"), "{text}");
    for steady in ["test_one", "test_two", "test_three"] {
        assert!(!text.contains(steady), "{steady} listed:\n{text}");
    }
    assert!(stderr(&out).contains("1 flaky test"), "{}", stderr(&out));

    let out = ok(
        dir.path(),
        &[
            "flaky",
            "--timings",
            "h.json",
            "--runner",
            "pytest",
            "--format",
            "json",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["format"], "shardplan-flaky");
    assert_eq!(json["runs"], 3);
    let tests = json["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 1);
    assert_eq!(tests[0]["id"], FLAKY);
    assert_eq!(tests[0]["outcomes"], "pfp");
    assert_eq!(tests[0]["failed"], 1);
    assert_eq!(tests[0]["failure_rate"], 0.3333);

    // Above its rate: none, and still exit 0; markdown for the summary.
    let out = ok(
        dir.path(),
        &[
            "flaky",
            "--timings",
            "h.json",
            "--min-rate",
            "50%",
            "--format",
            "markdown",
        ],
    );
    assert!(stdout(&out).contains("0 flaky tests"), "{}", stdout(&out));
    // As text, it does not claim that every test kept one outcome: one
    // flipped, below the rate.
    let out = ok(
        dir.path(),
        &["flaky", "--timings", "h.json", "--min-rate", "50%"],
    );
    assert_eq!(
        stdout(&out),
        "no flaky tests at a failure rate of at least 50%\n"
    );
    let summary = dir.path().join("summary.md");
    ok(
        dir.path(),
        &[
            "flaky",
            "--timings",
            "h.json",
            "--runner",
            "pytest",
            "-q",
            "--summary",
            "markdown",
            "--summary-file",
            summary.to_str().unwrap(),
        ],
    );
    let summary = fs::read_to_string(summary).unwrap();
    assert!(summary.contains(&format!("`{FLAKY}`")), "{summary}");
}

#[test]
fn a_rerun_within_one_run_is_flaky_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    // One run whose reports hold a failure and a pass of the same test
    // (pytest-rerunfailures, two report files), and an error that stayed.
    fs::write(
        dir.path().join("a.xml"),
        report(&[
            ("test_a", "test_retry", "fail"),
            ("test_a", "test_err", "error"),
        ]),
    )
    .unwrap();
    fs::write(
        dir.path().join("b.xml"),
        report(&[("test_a", "test_retry", "pass")]),
    )
    .unwrap();
    ok(
        dir.path(),
        &["merge", "--into", "h.json", "a.xml", "b.xml", "-q"],
    );
    let history = fs::read_to_string(dir.path().join("h.json")).unwrap();
    assert!(history.contains("\"outcomes\":\"r\""), "{history}");
    assert!(history.contains("\"outcomes\":\"e\""), "{history}");
    let out = ok(
        dir.path(),
        &["flaky", "--timings", "h.json", "--runner", "pytest"],
    );
    let text = stdout(&out);
    assert!(text.contains("tests/test_a.py::test_retry"), "{text}");
    assert!(text.contains("failed and passed in the same run"), "{text}");
    // Always erroring is broken, not flaky.
    assert!(!text.contains("test_err"), "{text}");
}

#[test]
fn old_histories_read_without_outcomes_and_no_history_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("v1.json"),
        "{\"format\": \"shardplan-timings\", \"version\": 1, \"runs\": 3, \"keep\": 5, \"drop_after\": 10, \"tests\": [\
         {\"dialect\": \"pytest\", \"file\": \"tests/a.py\", \"name\": \"test_x\", \"last_seen\": 3, \"samples\": [5]}]}",
    )
    .unwrap();
    let out = ok(dir.path(), &["flaky", "--timings", "v1.json"]);
    assert!(
        stdout(&out).starts_with("no flaky tests"),
        "{}",
        stdout(&out)
    );
    // Merging into it keeps working and starts the outcomes.
    fs::write(dir.path().join("r.xml"), run_report("fail")).unwrap();
    ok(dir.path(), &["merge", "--into", "v1.json", "r.xml", "-q"]);
    let text = fs::read_to_string(dir.path().join("v1.json")).unwrap();
    assert!(text.contains("\"outcomes\":\"f\""), "{text}");

    let out = shardplan_in(dir.path(), &["flaky"], "");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(".shardplan/timings.json"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn select_only_failed_prints_exactly_this_shards_failed_test() {
    let dir = tempfile::tempdir().unwrap();
    let shards = three_runs(dir.path());
    let on = shard_of(&shards, FLAKY);
    let other = 1 - on;
    // The shard's report: its planned tests, the flaky one failing.
    let cases: Vec<(&str, &str, &str)> = shards[on]
        .iter()
        .map(|t| {
            let (file, name) = t.split_once("::").unwrap();
            let stem = file.trim_start_matches("tests/").trim_end_matches(".py");
            (stem, name, if t == FLAKY { "fail" } else { "pass" })
        })
        .collect();
    fs::write(dir.path().join("shard.xml"), report(&cases)).unwrap();

    let index = on.to_string();
    let rerun_into = |out: &str, extra: &[&str]| {
        let base = [
            "select",
            "--plan",
            "P.json",
            "--index",
            &index,
            "--only-failed",
            "shard.xml",
            "--record",
            out,
        ];
        ok(dir.path(), &[&base[..], extra].concat())
    };
    let out = rerun_into("rerun", &[]);
    assert_eq!(stdout(&out), format!("{FLAKY}\n"));
    assert!(stderr(&out).contains("1 failed test"), "{}", stderr(&out));
    // Its record says the rerun launches pytest once.
    let record = |name: &str| -> serde_json::Value {
        let path = dir.path().join(name).join("shardplan-shard.json");
        serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
    };
    let rerun = record("rerun");
    assert_eq!(rerun["index"], on);
    assert_eq!(rerun["launches"], 1);
    assert!(rerun.get("finished").is_none());
    // Run by select, the rerun's record also says when it finished.
    rerun_into("ran", &["--template", "true {items}", "--exec"]);
    let ran = record("ran");
    assert_eq!(ran["launches"], 1);
    assert!(ran["finished"].as_str().unwrap() >= ran["started"].as_str().unwrap());

    // The other shard has nothing to rerun: nothing printed, exit 0.
    let other = other.to_string();
    let out = ok(
        dir.path(),
        &[
            "select",
            "--plan",
            "P.json",
            "--index",
            &other,
            "--only-failed",
            "shard.xml",
            "--record",
            "idle",
        ],
    );
    assert_eq!(stdout(&out), "");
    // Nothing to rerun: nothing launched.
    assert_eq!(record("idle")["launches"], 0);
    assert!(
        stderr(&out).contains("nothing to rerun"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("belongs to another shard"),
        "{}",
        stderr(&out)
    );

    // One job for every shard's failures.
    let out = ok(
        dir.path(),
        &[
            "select",
            "--plan",
            "P.json",
            "--all-shards",
            "--only-failed",
            "shard.xml",
            "-q",
        ],
    );
    assert_eq!(stdout(&out), format!("{FLAKY}\n"));
}

#[test]
fn a_failed_test_the_plan_does_not_know_is_rerun_by_the_catch_all() {
    let dir = tempfile::tempdir().unwrap();
    three_runs(dir.path());
    let plan: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("P.json")).unwrap()).unwrap();
    let catch_all = plan["catch_all"].as_u64().expect("a catch-all") as usize;
    fs::write(
        dir.path().join("new.xml"),
        report(&[("test_new", "test_added", "fail")]),
    )
    .unwrap();
    for index in 0..2 {
        let index_text = index.to_string();
        let out = ok(
            dir.path(),
            &[
                "select",
                "--plan",
                "P.json",
                "--index",
                &index_text,
                "--only-failed",
                "new.xml",
            ],
        );
        let expected = if index == catch_all {
            "tests/test_new.py::test_added\n"
        } else {
            ""
        };
        assert_eq!(stdout(&out), expected, "shard {index}: {}", stderr(&out));
    }
}

#[test]
fn verify_lists_a_test_that_always_passed_and_failed_on_its_shard() {
    let dir = tempfile::tempdir().unwrap();
    let shards = three_runs(dir.path());
    // test_three always passed; it fails on its shard, after the others.
    let victim = "tests/test_b.py::test_three";
    for (index, tests) in shards.iter().enumerate() {
        let cases: Vec<(&str, &str, &str)> = tests
            .iter()
            .map(|t| {
                let (file, name) = t.split_once("::").unwrap();
                let stem = file.trim_start_matches("tests/").trim_end_matches(".py");
                (stem, name, if t == victim { "fail" } else { "pass" })
            })
            .collect();
        let shard_dir = dir.path().join(format!("r{index}"));
        fs::create_dir(&shard_dir).unwrap();
        fs::write(shard_dir.join("junit.xml"), report(&cases)).unwrap();
    }
    let args = [
        "verify",
        "--plan",
        "P.json",
        "--shard-report",
        "0=r0",
        "--shard-report",
        "1=r1",
        "--timings",
        "h.json",
    ];
    let out = ok(dir.path(), &args);
    let text = stdout(&out);
    assert!(text.contains("isolation suspects"), "{text}");
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(victim))
        .unwrap_or_else(|| panic!("{victim} not listed:\n{text}"));
    let on = shard_of(&shards, victim);
    assert!(line.contains(&format!("shard {on}")), "{line}");
    // The tests before it on its shard, in report order.
    let before: Vec<&String> = shards[on].iter().take_while(|t| *t != victim).collect();
    for test in &before {
        assert!(line.contains(test.as_str()), "{line}");
    }
    assert!(text.contains("report order"), "{text}");
    // test_flaky failed before: a known flake, not a suspect.
    assert!(!text.contains(&format!("  {FLAKY}  (shard")), "{text}");
    assert!(
        text.contains("OK: every planned test ran exactly once"),
        "{text}"
    );

    let mut failing = args.to_vec();
    failing.push("--fail-on-isolation");
    let out = shardplan_in(dir.path(), &failing, "");
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("1 isolation suspects"),
        "{}",
        stderr(&out)
    );
}

/// Real pytest: a suite whose `test_marker` fails on its first run only
/// (it leaves a marker file). The timings come from a passing run; each
/// shard runs its filter, the marker test fails on its shard, `verify`
/// names it an isolation suspect, and `select --only-failed` on that
/// shard's report reruns exactly it, which then passes.
#[test]
fn pytest_reruns_only_the_failed_test() {
    if !tool_available("pytest", &["python3", "-m", "pytest", "--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("tests")).unwrap();
    fs::write(
        d.join("tests/test_a.py"),
        "def test_one():\n    pass\n\n\ndef test_two():\n    pass\n",
    )
    .unwrap();
    fs::write(
        d.join("tests/test_b.py"),
        "import os\n\n\ndef test_marker():\n    \"\"\"Fails on its first run, unless ALL_PASS is set.\"\"\"\n    \
         if os.environ.get(\"ALL_PASS\"):\n        return\n    marker = os.path.join(os.path.dirname(__file__), \"..\", \"ran-once\")\n    \
         first = not os.path.exists(marker)\n    open(marker, \"w\").close()\n    assert not first, \"first run\"\n\n\n\
         def test_three():\n    pass\n",
    )
    .unwrap();
    let pytest = |args: &[&str], env: &[(&str, &str)]| {
        let mut argv = vec!["python3", "-m", "pytest", "-p", "no:cacheprovider", "-q"];
        argv.extend(args);
        Command::new(argv[0])
            .args(&argv[1..])
            .current_dir(d)
            .envs([("PYTHONDONTWRITEBYTECODE", "1")])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("pytest runs")
    };
    // Three passing runs make the history.
    for run_index in 0..3 {
        let junit = format!("--junitxml=run{run_index}.xml");
        let out = pytest(&["tests", &junit], &[("ALL_PASS", "1")]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let file = format!("run{run_index}.xml");
        ok(d, &["merge", "--into", "h.json", &file, "-q"]);
    }
    ok(
        d,
        &[
            "plan",
            "--timings",
            "h.json",
            "--shards",
            "2",
            "--runner",
            "pytest",
            "-o",
            "P.json",
            "-q",
        ],
    );
    // Each shard runs its filter, as the README says: `pytest @args`.
    let marker = "tests/test_b.py::test_marker";
    let mut marker_shard = None;
    for index in 0..2 {
        let index_text = index.to_string();
        let out = ok(
            d,
            &["select", "--plan", "P.json", "--index", &index_text, "-q"],
        );
        fs::write(d.join(format!("args{index}.txt")), stdout(&out)).unwrap();
        let shard_dir = format!("r{index}");
        fs::create_dir(d.join(&shard_dir)).unwrap();
        let at = format!("@args{index}.txt");
        let junit = format!("--junitxml={shard_dir}/junit.xml");
        let out = pytest(&[&at, &junit], &[]);
        let ran = junit_tests(&d.join(&shard_dir).join("junit.xml"), false);
        if ran.iter().any(|t| t == "tests.test_b::test_marker") {
            assert!(
                !out.status.success(),
                "the marker test fails on its first run"
            );
            marker_shard = Some(index);
        } else {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
    let on = marker_shard.expect("a shard ran the marker test");

    // verify: planned tests ran once; the marker test is a suspect.
    let out = ok(
        d,
        &[
            "verify",
            "--plan",
            "P.json",
            "--shard-report",
            "0=r0",
            "--shard-report",
            "1=r1",
            "--timings",
            "h.json",
        ],
    );
    assert!(
        stdout(&out).contains("isolation suspects"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains(marker), "{}", stdout(&out));

    // The rerun of the marker's shard: exactly the failed test.
    let on_text = on.to_string();
    let report_dir = format!("r{on}");
    let out = ok(
        d,
        &[
            "select",
            "--plan",
            "P.json",
            "--index",
            &on_text,
            "--only-failed",
            &report_dir,
        ],
    );
    assert_eq!(stdout(&out), format!("{marker}\n"), "{}", stderr(&out));
    fs::write(d.join("rerun.txt"), stdout(&out)).unwrap();
    let out = run(
        d,
        &[
            "python3",
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "@rerun.txt",
            "--junitxml=rerun.xml",
        ],
        &[("PYTHONDONTWRITEBYTECODE", "1")],
    );
    assert!(out.status.success());
    assert_eq!(
        junit_tests(&d.join("rerun.xml"), false),
        ["tests.test_b::test_marker"]
    );
    // The other shard's rerun runs nothing.
    let other = (1 - on).to_string();
    let other_dir = format!("r{}", 1 - on);
    let out = ok(
        d,
        &[
            "select",
            "--plan",
            "P.json",
            "--index",
            &other,
            "--only-failed",
            &other_dir,
        ],
    );
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("nothing to rerun"),
        "{}",
        stderr(&out)
    );
}
