//! Property tests for the promises users rely on:
//! - every test runs exactly once: the shards' union is the planned set and
//!   the shards are disjoint, including tests new since the timings;
//! - every shard computes the same plan: permuting the order of reports and
//!   of cases inside them gives byte-identical `--json`.
//!
//! The pipeline runs in-process (`commands::default::run`) from real report files on disk.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::{plan_in_process, shuffle};
use proptest::prelude::*;
use serde_json::Value;

/// One distinct test of a generated suite.
#[derive(Debug, Clone)]
struct GenTest {
    file: u8,
    class: u8,
    name: u16,
    /// `None`: the report has no time for it.
    micros: Option<u32>,
    /// Which report files record it (a test seen in several is a rerun).
    reports: Vec<usize>,
}

impl GenTest {
    fn classname(&self) -> String {
        format!("pkg{}.Class{}", self.file, self.class)
    }
    fn name(&self) -> String {
        format!("test_{}", self.name)
    }
    fn path(&self) -> String {
        format!("src/f{}.py", self.file)
    }
    fn key(&self, by: &str) -> String {
        match by {
            "test" => format!("{}::{}", self.classname(), self.name()),
            "class" => self.classname(),
            _ => self.path(),
        }
    }
}

fn suite_strategy() -> impl Strategy<Value = (Vec<GenTest>, usize)> {
    (1usize..5).prop_flat_map(|report_count| {
        let test = (
            0u8..6,
            0u8..3,
            0u16..400,
            prop::option::weighted(0.9, 0u32..5_000_000),
            prop::collection::vec(0..report_count, 1..3),
        )
            .prop_map(|(file, class, name, micros, reports)| GenTest {
                file,
                class,
                name,
                micros,
                reports,
            });
        (prop::collection::vec(test, 1..120), Just(report_count))
    })
}

/// Distinct tests only (the generator may repeat a name; the first wins).
fn distinct(tests: Vec<GenTest>) -> Vec<GenTest> {
    let mut seen = BTreeSet::new();
    tests
        .into_iter()
        .filter(|t| seen.insert(t.key("test")))
        .collect()
}

/// Writes the reports; `seed` permutes cases inside each file and which file
/// name each report gets (and so the order they are read in).
fn write_reports(
    dir: &Path,
    tests: &[GenTest],
    report_count: usize,
    seed: Option<u64>,
) -> Vec<String> {
    let mut names: Vec<usize> = (0..report_count).collect();
    if let Some(seed) = seed {
        shuffle(&mut names, seed);
    }
    let mut paths = Vec::new();
    for (report, name) in names.iter().enumerate() {
        let mut cases: Vec<String> = tests
            .iter()
            .filter(|t| t.reports.contains(&report))
            .map(|t| {
                let time = t
                    .micros
                    .map(|m| format!(" time=\"{}.{:06}\"", m / 1_000_000, m % 1_000_000))
                    .unwrap_or_default();
                format!(
                    "<testcase classname=\"{}\" name=\"{}\" file=\"{}\"{time}/>",
                    t.classname(),
                    t.name(),
                    t.path()
                )
            })
            .collect();
        if let Some(seed) = seed {
            shuffle(&mut cases, seed ^ report as u64);
        }
        let xml = format!(
            "<testsuites><testsuite name=\"s\">{}</testsuite></testsuites>",
            cases.join("")
        );
        let path = dir.join(format!("report-{name}.xml"));
        fs::write(&path, xml).unwrap();
        paths.push(path.to_string_lossy().into_owned());
    }
    if seed.is_some() {
        paths.reverse();
    }
    paths
}

fn plan_args(paths: &[String], shards: usize, by: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "--shards".to_string(),
        shards.to_string(),
        "--json".into(),
        "--by".into(),
        by.into(),
        "--quiet".into(),
    ];
    for path in paths {
        args.push("--timings".into());
        args.push(path.clone());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Asserts the shards partition `expected` exactly, with no empty shard
/// while there are at least as many items as shards.
fn assert_exact_partition(json: &str, expected: &BTreeSet<String>, shards: usize) {
    let plan: Value = serde_json::from_str(json).unwrap();
    let shard_list = plan["shards"].as_array().unwrap();
    assert_eq!(shard_list.len(), shards);
    let mut seen = BTreeSet::new();
    for shard in shard_list {
        let tests = shard["tests"].as_array().unwrap();
        if expected.len() >= shards {
            assert!(
                !tests.is_empty(),
                "empty shard with {} items",
                expected.len()
            );
        }
        for test in tests {
            let test = test.as_str().unwrap().to_string();
            assert!(seen.insert(test.clone()), "{test} is on two shards");
        }
    }
    assert_eq!(&seen, expected, "the shards' union is not the planned set");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn shards_partition_the_suite_and_ignore_input_order(
        (tests, report_count) in suite_strategy(),
        shards in 1usize..64,
        by in prop::sample::select(vec!["test", "class", "file"]),
        algorithm in prop::sample::select(vec!["lpt", "best"]),
        group_overhead in prop::sample::select(vec!["0", "50ms"]),
        seed in any::<u64>(),
    ) {
        let tests = distinct(tests);
        let dir = tempfile::tempdir().unwrap();
        let ordered = dir.path().join("ordered");
        let permuted = dir.path().join("permuted");
        fs::create_dir_all(&ordered).unwrap();
        fs::create_dir_all(&permuted).unwrap();

        let extra = ["--algorithm", algorithm, "--group-overhead", group_overhead];
        let plain = plan_in_process(&plan_args(&write_reports(&ordered, &tests, report_count, None), shards, by, &extra), "");
        let shuffled = plan_in_process(&plan_args(&write_reports(&permuted, &tests, report_count, Some(seed)), shards, by, &extra), "");
        prop_assert_eq!(&plain, &shuffled);

        let expected: BTreeSet<String> = tests.iter().map(|t| t.key(by)).collect();
        assert_exact_partition(&plain, &expected, shards);
    }

    #[test]
    fn listed_tests_are_planned_exactly_once_even_when_new(
        (tests, report_count) in suite_strategy(),
        new_names in prop::collection::vec(400u16..500, 0..20),
        shards in 1usize..64,
        seed in any::<u64>(),
    ) {
        let tests = distinct(tests);
        let dir = tempfile::tempdir().unwrap();
        let paths = write_reports(dir.path(), &tests, report_count, None);

        // The current suite: half the recorded tests (some were deleted),
        // plus new ones, in a shuffled order, with a duplicate line.
        let mut listed: Vec<String> = tests.iter().step_by(2).map(|t| t.key("test")).collect();
        listed.extend(new_names.iter().map(|n| format!("pkg9.ClassNew::test_{n}")));
        if let Some(first) = listed.first().cloned() {
            listed.push(first);
        }
        shuffle(&mut listed, seed);
        let listing = listed.join("\n") + "\n";
        let expected: BTreeSet<String> = listed.iter().cloned().collect();

        let json = plan_in_process(&plan_args(&paths, shards, "test", &["--tests-from", "-"]), &listing);
        assert_exact_partition(&json, &expected, shards);

        let mut reversed = listed.clone();
        reversed.reverse();
        let json_reversed = plan_in_process(
            &plan_args(&paths, shards, "test", &["--tests-from", "-"]),
            &(reversed.join("\n") + "\n"),
        );
        prop_assert_eq!(json, json_reversed);
    }
}
