//! Frozen plans through the built binary: `plan` writes what `--json`
//! prints, `select` prints every shard exactly as planning does, `matrix`
//! feeds a GitHub matrix, `--max-shards --target` chooses the count, and
//! `verify` catches a missing test, a duplicated test, a misplaced test and
//! a fingerprint mismatch in the shards' reports.

mod common;

use std::fs;
use std::path::Path;

use common::{Case, fails_in, junit, ok_in, stderr};
use serde_json::Value;

/// Twelve tests in four classes with distinct durations.
fn suite() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut cases = Vec::new();
    for (class, base) in [("app.A", 1), ("app.B", 4), ("app.C", 7), ("app.D", 10)] {
        for offset in 0..3 {
            cases.push((
                class,
                format!("t{}", base + offset),
                format!("{}.5", base + offset),
            ));
        }
    }
    let xml = junit(
        &cases
            .iter()
            .map(|(classname, name, time)| Case {
                classname,
                name,
                time: Some(time),
            })
            .collect::<Vec<_>>(),
    );
    fs::write(dir.path().join("report.xml"), xml).expect("a report");
    dir
}

/// `shardplan plan` of the suite into `plan.json`: `shards` shards, with
/// `extra` options; returns stdout and stderr.
fn freeze(dir: &Path, shards: &str, extra: &[&str]) -> (String, String) {
    let head = ["plan", "--timings", "report.xml", "--shards", shards];
    ok_in(dir, &[&head[..], extra, &["-o", "plan.json"]].concat())
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON")
}

#[test]
fn json_output_is_a_plan_and_select_prints_what_planning_prints() {
    let dir = suite();
    let d = dir.path();
    for by in ["test", "class"] {
        let planning = ["--timings", "report.xml", "--shards", "3", "--by", by];
        let (doc, _) = ok_in(d, &[&planning[..], &["--json"]].concat());
        fs::write(d.join("json.json"), &doc).unwrap();
        let (written, err) = ok_in(
            d,
            &[&["plan"][..], &planning, &["-o", "plan.json"]].concat(),
        );
        assert_eq!(fs::read_to_string(d.join("plan.json")).unwrap(), doc);
        let fingerprint = json(&doc)["fingerprint"].as_str().unwrap().to_string();
        assert!(written.is_empty());
        assert!(
            err.contains(&format!("wrote plan {fingerprint} to plan.json")),
            "{err}"
        );
        for index in ["0", "1", "2"] {
            let (direct, _) = ok_in(d, &[&planning[..], &["--index", index]].concat());
            for plan in ["plan.json", "json.json"] {
                let (selected, err) = ok_in(d, &["select", "--plan", plan, "--index", index]);
                assert_eq!(selected, direct, "--by {by} shard {index}");
                assert!(
                    err.contains(&format!("shardplan: plan {fingerprint} from {plan}: shard {index} of 3 (--index {index})")),
                    "{err}"
                );
            }
        }
        // --previous reads the same document.
        let (again, err) = ok_in(
            d,
            &[&planning[..], &["--json", "--previous", "plan.json"]].concat(),
        );
        assert!(err.contains("from the previous plan: 0 of"), "{err}");
        assert_eq!(json(&again)["shards"], json(&doc)["shards"]);
    }
}

#[test]
fn the_plan_carries_members_catch_all_and_its_source() {
    let dir = suite();
    let d = dir.path();
    let (doc, _) = ok_in(
        d,
        &[
            "--timings",
            "report.xml",
            "--shards",
            "2",
            "--by",
            "class",
            "--json",
        ],
    );
    let doc = json(&doc);
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["catch_all"], 1);
    assert_eq!(doc["suite"], "timings");
    let members: Vec<&Value> = doc["shards"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["members"].as_array().unwrap())
        .collect();
    assert_eq!(members.len(), 12);
    assert_eq!(
        members[0],
        &json("{\"id\":\"app.A::t1\",\"class\":\"app.A\",\"file\":\"app.A\"}")
    );
}

#[test]
fn select_refuses_another_runner_and_bad_plans() {
    let dir = suite();
    let d = dir.path();
    freeze(d, "2", &[]);
    let (same, _) = ok_in(
        d,
        &[
            "select",
            "--plan",
            "plan.json",
            "--index",
            "0",
            "--runner",
            "plain",
        ],
    );
    assert_eq!(
        same,
        ok_in(d, &["select", "--plan", "plan.json", "--index", "0"]).0
    );
    let (_, err) = fails_in(
        d,
        &[
            "select",
            "--plan",
            "plan.json",
            "--index",
            "0",
            "--runner",
            "pytest",
        ],
        2,
    );
    assert!(
        err.contains("--runner pytest does not match the plan, which was made for --runner plain"),
        "{err}"
    );
    let (_, err) = fails_in(d, &["select", "--plan", "plan.json", "--index", "2"], 2);
    assert!(
        err.contains("--index 2 is out of range for the plan's 2 shards"),
        "{err}"
    );
    let (_, err) = fails_in(d, &["select", "--plan", "plan.json", "--shard", "1/3"], 2);
    assert!(
        err.contains("--shard 1/3 does not fit the plan, which has 2 shards"),
        "{err}"
    );
    fs::write(d.join("broken.json"), "{\"version\": 1,\n  \"shards\": [}").unwrap();
    let (_, err) = fails_in(d, &["select", "--plan", "broken.json", "--index", "0"], 1);
    assert!(
        err.contains("broken.json:2:14: not a plan written by `shardplan plan` or --json"),
        "{err}"
    );
    // A plan of the first version-1 writers has no members.
    let mut old = json(&fs::read_to_string(d.join("plan.json")).unwrap());
    for shard in old["shards"].as_array_mut().unwrap() {
        shard.as_object_mut().unwrap().remove("members");
    }
    fs::write(d.join("old.json"), old.to_string()).unwrap();
    let (_, err) = fails_in(d, &["select", "--plan", "old.json", "--index", "0"], 1);
    assert!(
        err.contains("old.json: shard 0 has no \"members\""),
        "{err}"
    );
    let (_, err) = fails_in(d, &["select", "--plan", "missing.json", "--index", "0"], 1);
    assert!(err.contains("missing.json: cannot read the plan"), "{err}");
}

#[test]
fn select_lists_tests_and_records_the_shard() {
    let dir = suite();
    let d = dir.path();
    freeze(d, "2", &["--by", "class"]);
    let doc = json(&fs::read_to_string(d.join("plan.json")).unwrap());
    let (listed, err) = ok_in(
        d,
        &[
            "select",
            "--plan",
            "plan.json",
            "--index",
            "1",
            "--list-tests",
            "--record",
            "out/1",
        ],
    );
    let members: Vec<&str> = doc["shards"][1]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed.lines().collect::<Vec<_>>(), members);
    let record = json(&fs::read_to_string(d.join("out/1/shardplan-shard.json")).unwrap());
    assert_eq!(record["fingerprint"], doc["fingerprint"]);
    assert_eq!(record["index"], 1);
    assert_eq!(record["shards"], 2);
    // What the plan predicted, for merge to compare with the wall time.
    assert_eq!(
        record["predicted_seconds"],
        doc["shards"][1]["predicted_seconds"]
    );
    assert!(
        err.contains("recorded the shard in out/1/shardplan-shard.json"),
        "{err}"
    );
}

#[test]
fn select_execs_a_template_like_planning() {
    let dir = suite();
    let d = dir.path();
    freeze(d, "2", &[]);
    let (listed, _) = ok_in(
        d,
        &[
            "select",
            "--plan",
            "plan.json",
            "--index",
            "0",
            "--list-tests",
        ],
    );
    let (ran, err) = ok_in(
        d,
        &[
            "select",
            "--plan",
            "plan.json",
            "--index",
            "0",
            "--template",
            "printf '%s\\n' {items}",
            "--exec",
        ],
    );
    assert_eq!(ran, listed);
    assert!(err.contains("shardplan: running: printf"), "{err}");
    // The plain runner prints ids, not a command: --exec needs a template.
    let (_, err) = fails_in(
        d,
        &["select", "--plan", "plan.json", "--index", "0", "--exec"],
        2,
    );
    assert!(
        err.contains("--runner plain prints test ids, not a command"),
        "{err}"
    );
}

#[test]
fn select_exec_records_when_the_runner_exited_passed_or_failed() {
    let dir = suite();
    let d = dir.path();
    freeze(d, "2", &[]);
    let record = |shard: &str| json(&fs::read_to_string(d.join(shard)).unwrap());
    let select = |out: &str, extra: &[&str]| -> Vec<String> {
        [
            "select",
            "--plan",
            "plan.json",
            "--index",
            "0",
            "--record",
            out,
        ]
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .collect()
    };
    let exec = |script| ["--template", script, "--exec"];
    // The record is there before the runner starts.
    let args = select(
        "ok",
        &exec("sh -c 'test -f ok/shardplan-shard.json' {items}"),
    );
    ok_in(d, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let passed = record("ok/shardplan-shard.json");
    let (started, finished) = (
        passed["started"].as_str().unwrap(),
        passed["finished"].as_str().unwrap(),
    );
    // RFC 3339 in UTC with microseconds: their order is the strings'.
    assert_eq!(started.len(), finished.len(), "{started} {finished}");
    assert!(started <= finished, "{started} {finished}");
    // A failing runner's shard is timed too, and its exit status stands.
    let args = select("failed", &exec("sh -c 'exit 3' {items}"));
    fails_in(d, &args.iter().map(String::as_str).collect::<Vec<_>>(), 3);
    assert!(record("failed/shardplan-shard.json")["finished"].is_string());
    // A record that cannot be rewritten (the runner made its path a
    // directory) is a warning: the exit status stays the runner's.
    let args = select(
        "gone",
        &exec(
            "sh -c 'rm gone/shardplan-shard.json; mkdir gone/shardplan-shard.json; exit 4' {items}",
        ),
    );
    let (_, err) = fails_in(d, &args.iter().map(String::as_str).collect::<Vec<_>>(), 4);
    assert!(
        err.contains("warning") && err.contains("does not say when the runner exited"),
        "{err}"
    );
    // Without --exec, select never sees the runner exit.
    let args = select("printed", &[]);
    ok_in(d, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        record("printed/shardplan-shard.json")
            .get("finished")
            .is_none()
    );
}

#[test]
fn matrix_lists_every_shard_for_fromjson() {
    let dir = suite();
    let d = dir.path();
    freeze(d, "3", &[]);
    let (matrix, _) = ok_in(d, &["matrix", "--plan", "plan.json"]);
    assert_eq!(
        matrix,
        "{\"include\":[{\"index\":0,\"shard\":1,\"count\":3},{\"index\":1,\"shard\":2,\"count\":3},{\"index\":2,\"shard\":3,\"count\":3}]}\n"
    );
    let (with_filter, _) = ok_in(d, &["matrix", "--plan", "plan.json", "--filter"]);
    let with_filter = json(&with_filter);
    for index in 0..3 {
        let (selected, _) = ok_in(
            d,
            &[
                "select",
                "--plan",
                "plan.json",
                "--index",
                &index.to_string(),
            ],
        );
        assert_eq!(
            with_filter["include"][index]["filter"].as_str().unwrap(),
            selected.trim_end()
        );
    }
}

#[test]
fn matrix_filter_refuses_a_shard_that_needs_a_list_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let names: Vec<String> = (0..1200)
        .map(|i| format!("test_with_a_rather_long_name_{i:05}"))
        .collect();
    let xml = junit(
        &names
            .iter()
            .map(|name| Case {
                classname: "tests/test_many.py",
                name,
                time: Some("0.1"),
            })
            .collect::<Vec<_>>(),
    );
    fs::write(d.join("report.xml"), xml).unwrap();
    freeze(d, "2", &["--runner", "pytest", "--no-catch-all"]);
    let (_, err) = fails_in(d, &["matrix", "--plan", "plan.json", "--filter"], 1);
    assert!(err.contains("shard 0's filter needs a list file"), "{err}");
    ok_in(d, &["matrix", "--plan", "plan.json"]);
}

#[test]
fn max_shards_and_target_choose_the_count() {
    let dir = suite();
    let d = dir.path();
    // 12 tests of 1.5s to 12.5s: 84s in all.
    let plan = |max: &str, target: &str| {
        let (out, err) = ok_in(
            d,
            &[
                "plan",
                "--timings",
                "report.xml",
                "--max-shards",
                max,
                "--target",
                target,
            ],
        );
        (json(&out)["shards"].as_array().unwrap().len(), err)
    };
    let (count, err) = plan("8", "30s");
    assert_eq!(count, 3, "{err}");
    assert!(
        err.contains("--max-shards 8 --target 30.0s: 3 shards are the fewest whose slowest shard (28.0s) meets the target"),
        "{err}"
    );
    // No count up to 2 meets 30s; 3 would.
    let (count, err) = plan("2", "30s");
    assert_eq!(count, 2);
    assert!(err.contains("warning: --max-shards 2 --target 30.0s: no shard count up to 2 meets the target; 3 shards would"), "{err}");
    // The largest test alone takes 12.5s: no count can meet 10s; more
    // shards than the lowest bound needs would only idle.
    let (count, err) = plan("20", "10s");
    assert!(
        err.contains("no shard count can meet the target: app.D::t12 (1 tests) alone takes 12.5s"),
        "{err}"
    );
    assert!(count < 20, "{count}: {err}");
    let (_, err) = fails_in(d, &["plan", "--timings", "report.xml"], 2);
    assert!(err.contains("how many shards?"), "{err}");
    let (_, err) = fails_in(
        d,
        &["plan", "--timings", "report.xml", "--max-shards", "4"],
        2,
    );
    assert!(err.contains("--target"), "{err}");
}

#[test]
fn summary_markdown_goes_to_the_github_step_summary() {
    let dir = suite();
    let d = dir.path();
    let summary = d.join("summary.md");
    let out = common::shardplan_with_env(
        d,
        &[
            "--timings",
            "report.xml",
            "--shards",
            "2",
            "--index",
            "1",
            // A runner that can run every test but the others' (plain,
            // the default, cannot: no catch-all shard then).
            "--runner",
            "maven",
            "--summary",
            "markdown",
        ],
        &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("### shardplan: 2 shards, plan `"),
        "{text}"
    );
    assert!(
        text.contains("| shard | predicted | tests | |\n|:---|---:|---:|:---|\n"),
        "{text}"
    );
    assert!(
        text.contains("| **1** (this job) catch-all | 42.0s | 6 | "),
        "{text}"
    );
    assert!(text.contains("████████████"), "{text}");
    // Without GitHub's variable it goes to stderr.
    let (_, err) = ok_in(
        d,
        &[
            "--timings",
            "report.xml",
            "--shards",
            "2",
            "--index",
            "1",
            "--summary",
            "markdown",
            "-q",
        ],
    );
    assert!(err.contains("\n### shardplan: 2 shards"), "{err}");
}

/// Writes shard `index`'s JUnit report holding `tests` (`class::name`) into
/// `dir`, as a runner would beside the record `select --record dir` wrote.
fn write_report(dir: &Path, tests: &[String]) {
    let cases: Vec<(&str, &str)> = tests
        .iter()
        .map(|t| t.split_once("::").expect("class::name"))
        .collect();
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
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("junit.xml"), xml).unwrap();
}

/// Plans 3 shards, records each, and writes every shard's report with its
/// planned tests; returns each shard's tests.
fn ran_as_planned(d: &Path, by: &str) -> Vec<Vec<String>> {
    freeze(d, "3", &["--by", by]);
    let doc = json(&fs::read_to_string(d.join("plan.json")).unwrap());
    (0..3)
        .map(|index| {
            let dir = format!("results/shard-{index}");
            ok_in(
                d,
                &[
                    "select",
                    "--plan",
                    "plan.json",
                    "--index",
                    &index.to_string(),
                    "--record",
                    &dir,
                ],
            );
            let tests: Vec<String> = doc["shards"][index]["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_string())
                .collect();
            write_report(&d.join(&dir), &tests);
            tests
        })
        .collect()
}

#[test]
fn verify_passes_when_the_shards_ran_the_plan() {
    let dir = suite();
    let d = dir.path();
    let shards = ran_as_planned(d, "test");
    let (out, _) = ok_in(d, &["verify", "--plan", "plan.json", "results"]);
    assert!(
        out.contains("3 shards, runner plain, by test; 3 report files"),
        "{out}"
    );
    for (index, tests) in shards.iter().enumerate() {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{index} ")))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(
            line.ends_with(&format!("{n} of {n}", n = tests.len()))
                || line.contains(&format!("{n} of {n}  (catch-all)", n = tests.len())),
            "{line}"
        );
    }
    assert!(
        out.ends_with("shardplan verify: OK: every planned test ran exactly once, on its shard\n"),
        "{out}"
    );
    // The same reports named by --shard-report.
    let (out, _) = ok_in(
        d,
        &[
            "verify",
            "--plan",
            "plan.json",
            "--shard-report",
            "0=results/shard-0/junit.xml",
            "--shard-report",
            "1=results/shard-1",
            "--shard-report",
            "2=results/shard-2/*.xml",
        ],
    );
    assert!(out.contains("OK"), "{out}");
}

/// Issue 15, first contact: a shard whose tests all ran on another shard
/// too reads as what it is, not as "0 of N" ran.
#[test]
fn verify_shows_a_shard_that_ran_twice_as_such() {
    let dir = suite();
    let d = dir.path();
    let mut shards = ran_as_planned(d, "test");
    let twice = shards[1].clone();
    shards[2].extend(twice.iter().cloned());
    for (index, tests) in shards.iter().enumerate() {
        write_report(&d.join(format!("results/shard-{index}")), tests);
    }
    let (out, _) = fails_in(d, &["verify", "--plan", "plan.json", "results"], 1);
    let n = twice.len();
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .unwrap_or_else(|| panic!("no line for shard 1 in {out}"));
    assert!(
        line.contains(&format!("{n} of {n}, {n} of them on another shard too")),
        "{out}"
    );
    assert!(
        out.contains(&format!("FAILED: ran on more than one shard ({n})")),
        "{out}"
    );
}

#[test]
fn verify_lists_a_missing_a_duplicated_and_a_misplaced_test() {
    let dir = suite();
    let d = dir.path();
    let mut shards = ran_as_planned(d, "test");
    let dropped = shards[0].remove(0);
    let duplicated = shards[1][0].clone();
    shards[2].push(duplicated.clone());
    let moved = shards[1].pop().unwrap();
    shards[0].push(moved.clone());
    for (index, tests) in shards.iter().enumerate() {
        write_report(&d.join(format!("results/shard-{index}")), tests);
    }
    let (out, err) = fails_in(d, &["verify", "--plan", "plan.json", "results"], 1);
    assert!(
        out.contains(&format!(
            "FAILED: planned but never ran (1):\n  {dropped}  (planned for shard 0)\n"
        )),
        "{out}"
    );
    assert!(
        out.contains("the plan was made from timings alone"),
        "{out}"
    );
    assert!(out.contains(&format!("FAILED: ran on more than one shard (1):\n  {duplicated}  on shards 1, 2 (belongs to shard 1)\n")), "{out}");
    assert!(out.contains(&format!("FAILED: ran on a shard it was not planned for (1):\n  {moved}  ran on shard 0 (belongs to shard 1)\n")), "{out}");
    assert!(!out.contains("OK"), "{out}");
    assert!(
        err.contains("shardplan: error: verify failed: 1 planned but never ran, 1 ran on more than one shard, 1 ran on the wrong shard"),
        "{err}"
    );
    let (out, err) = fails_in(
        d,
        &[
            "verify",
            "--plan",
            "plan.json",
            "results",
            "--allow-missing",
        ],
        1,
    );
    assert!(
        out.contains("planned but never ran (allowed by --allow-missing) (1)"),
        "{out}"
    );
    assert!(!err.contains("never ran"), "{err}");
}

#[test]
fn verify_catches_a_shard_of_another_plan() {
    let dir = suite();
    let d = dir.path();
    ran_as_planned(d, "test");
    let path = d.join("results/shard-2/shardplan-shard.json");
    let record = fs::read_to_string(&path).unwrap();
    let doc = json(&fs::read_to_string(d.join("plan.json")).unwrap());
    let fingerprint = doc["fingerprint"].as_str().unwrap();
    fs::write(&path, record.replace(fingerprint, "0123456789abcdef")).unwrap();
    let (out, err) = fails_in(d, &["verify", "--plan", "plan.json", "results"], 1);
    assert!(
        out.contains(&format!("FAILED: shards that ran another plan (fingerprint mismatch) (1):\n  results/shard-2/shardplan-shard.json: shard 2 of plan 0123456789abcdef, not {fingerprint}\n")),
        "{out}"
    );
    // Its reports are not counted for this plan: its tests never ran.
    assert!(out.contains("FAILED: planned but never ran"), "{out}");
    assert!(err.contains("1 shard record(s) of another plan"), "{err}");
}

#[test]
fn verify_lists_new_tests_on_the_catch_all_and_counts_new_tests_of_planned_classes() {
    let dir = suite();
    let d = dir.path();
    let mut shards = ran_as_planned(d, "class");
    let doc = json(&fs::read_to_string(d.join("plan.json")).unwrap());
    // The last shard with items: four classes fill all three.
    let catch_all = doc["catch_all"].as_u64().unwrap() as usize;
    assert_eq!(catch_all, 2);
    shards[catch_all].push("app.New::t_new".to_string());
    let planned_class = shards[0][0].split_once("::").unwrap().0.to_string();
    shards[0].push(format!("{planned_class}::t_added"));
    for (index, tests) in shards.iter().enumerate() {
        write_report(&d.join(format!("results/shard-{index}")), tests);
    }
    let (out, _) = ok_in(d, &["verify", "--plan", "plan.json", "results"]);
    assert!(out.contains(&format!("new tests (not in the plan; ran on the catch-all shard {catch_all}) (1):\n  app.New::t_new\n")), "{out}");
    assert!(
        out.contains("1 tests the plan does not list ran with their planned class, file or group"),
        "{out}"
    );
    // A new test anywhere but its class's shard or the catch-all is wrong.
    shards[0].push("app.Other::t_stray".to_string());
    write_report(&d.join("results/shard-0"), &shards[0]);
    let (out, _) = fails_in(d, &["verify", "--plan", "plan.json", "results"], 1);
    assert!(
        out.contains("app.Other::t_stray  ran on shard 0 (belongs to shard 2)"),
        "{out}"
    );
}

#[test]
fn verify_needs_to_know_each_reports_shard() {
    let dir = suite();
    let d = dir.path();
    ran_as_planned(d, "test");
    write_report(&d.join("stray"), &["app.A::t1".to_string()]);
    let (_, err) = fails_in(d, &["verify", "--plan", "plan.json", "results", "stray"], 1);
    assert!(
        err.contains(
            "stray/junit.xml: no shardplan-shard.json in this report's directory or above"
        ),
        "{err}"
    );
    let (_, err) = fails_in(
        d,
        &["verify", "--plan", "plan.json", "--shard-report", "3=stray"],
        2,
    );
    assert!(
        err.contains("--shard-report 3=stray: the plan has 3 shards"),
        "{err}"
    );
    let (_, err) = fails_in(
        d,
        &["verify", "--plan", "plan.json", "--shard-report", "x"],
        2,
    );
    assert!(err.contains("is not I=PATH"), "{err}");
}

#[test]
fn go_commands_name_packages_longest_first_in_planning_and_select() {
    // go builds, links and runs packages in argument order: a long package
    // named last starts after every other and holds the shard up.
    let dir = tempfile::tempdir().expect("a temp dir");
    let d = dir.path();
    let mut stream = String::new();
    for (package, seconds) in [("ex/a", 0.2), ("ex/b", 3.0), ("ex/c", 1.0), ("ex/d", 0.5)] {
        stream += &format!(
            "{{\"Action\":\"run\",\"Package\":\"{package}\",\"Test\":\"TestIt\"}}\n\
             {{\"Action\":\"pass\",\"Package\":\"{package}\",\"Test\":\"TestIt\",\"Elapsed\":{seconds}}}\n\
             {{\"Action\":\"pass\",\"Package\":\"{package}\",\"Elapsed\":{seconds}}}\n"
        );
    }
    fs::write(d.join("go.json"), stream).unwrap();
    let plan_args = ["--runner", "go", "--timings", "go.json", "--shards", "1"];
    let (direct, _) = ok_in(d, &[&plan_args[..], &["--index", "0"]].concat());
    assert_eq!(direct, "go test ex/b ex/c ex/d ex/a\n");
    ok_in(
        d,
        &[&["plan"][..], &plan_args, &["-o", "plan.json"]].concat(),
    );
    let doc: Value =
        serde_json::from_str(&fs::read_to_string(d.join("plan.json")).unwrap()).unwrap();
    assert_eq!(
        doc["shards"][0]["longest_first"],
        serde_json::json!(["ex/b", "ex/c", "ex/d", "ex/a"])
    );
    let (selected, _) = ok_in(d, &["select", "--plan", "plan.json", "--index", "0"]);
    assert_eq!(selected, direct);
    // A plan written before the order was kept names them in key order.
    let mut old = doc.clone();
    old["shards"][0]
        .as_object_mut()
        .unwrap()
        .remove("longest_first");
    fs::write(d.join("old.json"), old.to_string()).unwrap();
    let (selected, _) = ok_in(d, &["select", "--plan", "old.json", "--index", "0"]);
    assert_eq!(selected, "go test ex/a ex/b ex/c ex/d\n");
}

#[test]
fn go_shards_without_a_catch_all_name_packages_longest_first_everywhere() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let d = dir.path();
    let mut stream = String::new();
    let mut listing = String::new();
    let packages = [
        ("ex/a", 0.2),
        ("ex/b", 3.0),
        ("ex/c", 1.0),
        ("ex/d", 0.5),
        ("ex/e", 2.4),
    ];
    for (package, seconds) in packages {
        stream += &format!(
            "{{\"Action\":\"run\",\"Package\":\"{package}\",\"Test\":\"TestIt\"}}\n\
             {{\"Action\":\"pass\",\"Package\":\"{package}\",\"Test\":\"TestIt\",\"Elapsed\":{seconds}}}\n\
             {{\"Action\":\"pass\",\"Package\":\"{package}\",\"Elapsed\":{seconds}}}\n"
        );
        listing += &format!("TestIt\nok  \t{package}\t0.01s\n");
    }
    fs::write(d.join("go.json"), stream).unwrap();
    fs::write(d.join("tests.txt"), listing).unwrap();
    let plan_args = [
        "--runner",
        "go",
        "--timings",
        "go.json",
        "--tests-from",
        "tests.txt",
        "--shards",
        "2",
    ];
    ok_in(
        d,
        &[&["plan"][..], &plan_args, &["-o", "plan.json"]].concat(),
    );
    let (matrix, _) = ok_in(d, &["matrix", "--plan", "plan.json", "--filter"]);
    let matrix: Value = serde_json::from_str(&matrix).unwrap();
    let seconds = |package: &str| packages.iter().find(|p| p.0 == package).unwrap().1;
    for index in ["0", "1"] {
        let (direct, _) = ok_in(d, &[&plan_args[..], &["--index", index]].concat());
        let (selected, _) = ok_in(d, &["select", "--plan", "plan.json", "--index", index]);
        assert_eq!(selected, direct);
        let filter = matrix["include"][index.parse::<usize>().unwrap()]["filter"]
            .as_str()
            .unwrap();
        assert_eq!(format!("{filter}\n"), direct);
        // One command naming its packages, longest first.
        let named: Vec<&str> = direct
            .trim_end()
            .strip_prefix("go test ")
            .unwrap()
            .split(' ')
            .collect();
        assert!(named.len() >= 2, "{direct}");
        assert!(
            named.windows(2).all(|w| seconds(w[0]) >= seconds(w[1])),
            "{direct}"
        );
    }
}
