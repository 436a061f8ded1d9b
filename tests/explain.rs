//! `shardplan explain` and `--explain` on a realistic suite: the loads,
//! the heaviest items and their shards, the estimated tests and the group
//! setups, checked against the plan `--json` prints.

mod common;
mod whatif_suite;

use std::collections::BTreeMap;

use common::{shardplan_in, stderr, stdout};
use serde_json::Value;

/// The suite, a listing with two tests the reports do not know, and the
/// planning arguments that use them.
fn setup() -> (tempfile::TempDir, Vec<&'static str>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("reports")).unwrap();
    whatif_suite::write(&dir.path().join("reports"));
    // Every recorded test (as `--json` names them), plus a new test in a
    // known class and one in a new class.
    let out = shardplan_in(
        dir.path(),
        &["--shards", "1", "--json", "-q", "--timings", "reports"],
        "",
    );
    let plan: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut listing: Vec<String> = plan["shards"][0]["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    listing.push("app.mod0.Unit0Test::testAddedYesterday".into());
    listing.push("app.fresh.BrandNewTest::testFirst".into());
    std::fs::write(dir.path().join("tests.txt"), listing.join("\n") + "\n").unwrap();
    let args = vec![
        "--timings",
        "reports",
        "--tests-from",
        "tests.txt",
        "--shard-overhead",
        "30s",
        "--shards",
        "4",
        "--index",
        "1",
        "-q",
    ];
    (dir, args)
}

fn run(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let out = shardplan_in(dir, args, "");
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    out
}

/// The lines of a section: those after its heading, up to a blank line.
fn section<'a>(text: &'a str, heading: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| !l.starts_with(heading))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect()
}

#[test]
fn explain_shows_where_the_heavy_and_the_estimated_tests_went() {
    let (dir, args) = setup();
    let text = stdout(&run(dir.path(), &[&["explain"][..], &args].concat()));
    let plan: Value = serde_json::from_str(&stdout(&run(
        dir.path(),
        &[&args[..], &["--json"]].concat(),
    )))
    .unwrap();
    let shard_of: BTreeMap<&str, usize> = plan["shards"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s["tests"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |t| (t.as_str().unwrap(), i))
        })
        .collect();

    let fingerprint = plan["fingerprint"].as_str().unwrap();
    assert!(
        text.starts_with("plan: 4 shards by best; slowest shard "),
        "{text}"
    );
    assert!(
        text.lines().next().unwrap().ends_with(fingerprint),
        "{text}"
    );

    let loads = section(&text, "shard loads");
    assert_eq!(loads.len(), 4, "{text}");
    assert!(loads[1].ends_with("<- this shard"), "{text}");
    assert!(
        loads.iter().all(|l| l.contains('░') && l.contains('█')),
        "{text}"
    );

    let heaviest = section(&text, "heaviest items (10 of");
    assert_eq!(heaviest.len(), 10, "{text}");
    for line in &heaviest {
        let words: Vec<&str> = line.split_whitespace().collect();
        let key = words.last().unwrap();
        assert_eq!(words[1], "shard");
        assert_eq!(words[2], shard_of[key].to_string(), "{line}");
    }
    assert!(heaviest[0].ends_with(whatif_suite::HEAVIEST_TEST), "{text}");
    assert!(heaviest[0].contains("measured"), "{text}");

    let estimated = section(&text, "estimated tests: 2 without a timing");
    assert_eq!(estimated.len(), 2, "{text}");
    for (test, basis) in [
        ("app.mod0.Unit0Test::testAddedYesterday", "class median"),
        ("app.fresh.BrandNewTest::testFirst", "suite median"),
    ] {
        let line = estimated
            .iter()
            .find(|l| l.ends_with(test))
            .unwrap_or_else(|| panic!("{test} is not listed: {text}"));
        assert!(line.contains(basis), "{line}");
        assert!(
            line.contains(&format!("shard {}", shard_of[test])),
            "{line}"
        );
    }

    let setups = section(&text, "group setups: ");
    assert!(!setups.is_empty() && setups.len() <= 11, "{text}");
    assert!(
        text.contains(
            "(setups: 26 measured in the reports; a group never measured gets their median)"
        ),
        "{text}"
    );
}

#[test]
fn the_explain_flag_prints_the_same_on_stderr_and_leaves_stdout_alone() {
    let (dir, args) = setup();
    let explained = stdout(&run(dir.path(), &[&["explain"][..], &args].concat()));
    let plain = run(dir.path(), &args);
    let flagged = run(dir.path(), &[&args[..], &["--explain"]].concat());
    assert_eq!(stdout(&plain), stdout(&flagged));
    assert!(!stdout(&flagged).is_empty());
    // `-q` silences the summary, not the explanation asked for.
    assert_eq!(stderr(&flagged), explained);
}

#[test]
fn explain_needs_a_shard_count() {
    let (dir, _) = setup();
    let out = shardplan_in(dir.path(), &["explain", "--timings", "reports"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--shards"), "{}", stderr(&out));
    let out = shardplan_in(
        dir.path(),
        &[
            "explain",
            "--timings",
            "reports",
            "--shards",
            "3",
            "--index",
            "3",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("out of range"), "{}", stderr(&out));
}
