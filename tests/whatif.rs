//! `shardplan whatif` as a user runs it, on a realistic suite: every row
//! of the table is checked against the plan `shardplan --shards N --json`
//! prints, and the knee, the target and the plot against their
//! definitions.

mod common;
mod whatif_suite;

use std::path::Path;

use common::{ok_in, shardplan_in, stderr};
use serde_json::Value;
use shardplan::whatif::plot::{MACHINE_COLOR, WALL_COLOR};

/// A temporary directory with the suite's reports in `reports/`.
fn suite() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("reports")).unwrap();
    whatif_suite::write(&dir.path().join("reports"));
    dir
}

/// `whatif` with the suite and `extra`, as JSON.
fn whatif(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["whatif", "--timings", "reports", "--format", "json", "-q"];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok_in(dir, &args).0).unwrap()
}

fn micros(seconds: &Value) -> u64 {
    (seconds.as_f64().unwrap() * 1e6).round() as u64
}

fn rows(doc: &Value) -> &Vec<Value> {
    doc["rows"].as_array().unwrap()
}

#[test]
fn every_row_is_the_plan_shardplan_prints_for_that_count() {
    let dir = suite();
    let costs = ["--shard-overhead", "45s"];
    let doc = whatif(dir.path(), &[&["--shards", "1..12"][..], &costs].concat());
    let rows = rows(&doc);
    assert_eq!(rows.len(), 12);
    let mut single_wall = 0;
    for (i, row) in rows.iter().enumerate() {
        let n = i + 1;
        assert_eq!(row["shards"], n);
        let plan: Value = serde_json::from_str(
            &ok_in(
                dir.path(),
                &[
                    &[
                        "--shards",
                        &n.to_string(),
                        "--json",
                        "-q",
                        "--timings",
                        "reports",
                    ][..],
                    &costs,
                ]
                .concat(),
            )
            .0,
        )
        .unwrap();
        // The same plan: same inputs, planner and shard count.
        assert_eq!(row["fingerprint"], plan["fingerprint"], "N={n}");
        assert_eq!(row["wall_seconds"], plan["makespan_seconds"], "N={n}");
        assert_eq!(
            row["lower_bound_seconds"], plan["lower_bound_seconds"],
            "N={n}"
        );
        assert_eq!(
            row["lower_bound_reason"], plan["lower_bound_reason"],
            "N={n}"
        );
        let shards = plan["shards"].as_array().unwrap();
        assert_eq!(shards.len(), n);
        // Machine time: every shard's prediction (overhead included) added up.
        let machine: u64 = shards.iter().map(|s| micros(&s["predicted_seconds"])).sum();
        assert_eq!(micros(&row["machine_seconds"]), machine, "N={n}");
        assert!(machine >= n as u64 * 45_000_000);
        // Efficiency: the tests' own time over N x wall time.
        let wall = micros(&plan["makespan_seconds"]);
        let work = micros(&plan["total_seconds"]);
        let efficiency = work as f64 / (n as f64 * wall as f64);
        assert!(
            (row["efficiency"].as_f64().unwrap() - efficiency).abs() < 1e-6,
            "N={n}"
        );
        if n == 1 {
            single_wall = wall;
        }
        let speedup = single_wall as f64 / wall as f64;
        assert!(
            (row["speedup"].as_f64().unwrap() - speedup).abs() < 1e-6,
            "N={n}"
        );
    }
}

#[test]
fn the_knee_is_the_first_count_whose_next_step_saves_less_than_the_share() {
    let dir = suite();
    for (share, ppm) in [("5%", 50_000u64), ("0.2", 200_000)] {
        let doc = whatif(
            dir.path(),
            &[
                "--shards",
                "1..16",
                "--shard-overhead",
                "30s",
                "--knee",
                share,
            ],
        );
        let walls: Vec<u64> = rows(&doc)
            .iter()
            .map(|r| micros(&r["wall_seconds"]))
            .collect();
        let expected = walls
            .windows(2)
            .position(|w| (w[0] as i128 - w[1] as i128) * 1_000_000 < (ppm * w[0]) as i128)
            .map(|i| i + 1);
        assert_eq!(
            doc["knee"].as_u64().map(|k| k as usize),
            expected,
            "--knee {share}"
        );
        assert!(
            expected.is_some(),
            "the suite has a knee below 16 shards at {share}"
        );
    }
    // The text table marks the same row and says why.
    let doc = whatif(
        dir.path(),
        &["--shards", "1..16", "--shard-overhead", "30s"],
    );
    let knee = doc["knee"].as_u64().unwrap();
    let text = ok_in(
        dir.path(),
        &[
            "whatif",
            "--timings",
            "reports",
            "--shards",
            "1..16",
            "--shard-overhead",
            "30s",
            "-q",
        ],
    )
    .0;
    let marked: Vec<&str> = text.lines().filter(|l| l.ends_with("<- knee")).collect();
    assert_eq!(marked.len(), 1, "{text}");
    assert!(
        marked[0].trim_start().starts_with(&format!("{knee} ")),
        "{text}"
    );
    assert!(
        text.contains(&format!("knee: {knee} shards; going to {} saves", knee + 1)),
        "{text}"
    );
}

#[test]
fn the_target_answer_is_the_fewest_shards_that_meet_it_even_outside_the_table() {
    let dir = suite();
    let full = whatif(dir.path(), &["--shards", "1..16"]);
    let walls: Vec<u64> = rows(&full)
        .iter()
        .map(|r| micros(&r["wall_seconds"]))
        .collect();
    // A target just above the wall time at 6 shards: 6 unless a smaller
    // count also meets it.
    let target_us = walls[5] + 1_000;
    let target = format!("{}ms", target_us / 1000);
    let fewest = walls
        .iter()
        .position(|&w| w <= target_us / 1000 * 1000)
        .unwrap()
        + 1;

    let in_table = whatif(dir.path(), &["--shards", "1..16", "--target", &target]);
    assert_eq!(in_table["target"]["verdict"], "in_table");
    assert_eq!(in_table["target"]["shards"], fewest);
    assert_eq!(
        in_table["target"]["wall_seconds"],
        rows(&full)[fewest - 1]["wall_seconds"]
    );

    // A list that skips it: the gap is searched, and the answer is the same.
    let gap = whatif(dir.path(), &["--shards", "1,2,16", "--target", &target]);
    assert_eq!(gap["target"]["verdict"], "elsewhere");
    assert_eq!(gap["target"]["shards"], fewest);
    // A range that stops short: the search goes beyond it.
    let beyond = whatif(dir.path(), &["--shards", "1..2", "--target", &target]);
    assert_eq!(beyond["target"]["verdict"], "elsewhere");
    assert_eq!(beyond["target"]["shards"], fewest);
    assert!(
        beyond["verdict"][1]
            .as_str()
            .unwrap()
            .contains("the fewest that meet it"),
        "{beyond}"
    );
}

#[test]
fn an_impossible_target_names_the_item_that_cannot_be_split() {
    let dir = suite();
    // At --by file the integration class (8 x 40s plus 4s of setup) stays
    // on one shard: with 30s of overhead no shard holding it finishes in
    // under 5m54s.
    let doc = whatif(
        dir.path(),
        &[
            "--by",
            "file",
            "--shards",
            "1..8",
            "--shard-overhead",
            "30s",
            "--target",
            "5m",
        ],
    );
    let target = &doc["target"];
    assert_eq!(target["verdict"], "impossible", "{doc}");
    assert_eq!(target["shards"], Value::Null);
    assert_eq!(target["floor"]["key"], whatif_suite::GIANT);
    assert_eq!(target["floor"]["tests"], whatif_suite::GIANT_TESTS);
    assert_eq!(target["floor"]["with_overhead_seconds"], 354.0);
    let said = doc["verdict"][1].as_str().unwrap();
    assert!(said.contains("no shard count can meet it"), "{said}");
    assert!(said.contains(whatif_suite::GIANT), "{said}");
    // Split, its tests spread out, and the heaviest single test is left.
    assert!(said.contains("--split-large"), "{said}");
    assert!(said.contains(whatif_suite::HEAVIEST_TEST), "{said}");

    // At --by test the heaviest test itself is the floor.
    let doc = whatif(dir.path(), &["--shards", "1..4", "--target", "1m"]);
    assert_eq!(doc["target"]["verdict"], "impossible");
    assert_eq!(doc["target"]["floor"]["key"], whatif_suite::HEAVIEST_TEST);
    assert!(
        !doc["verdict"][1]
            .as_str()
            .unwrap()
            .contains("--split-large")
    );

    // And no count beats the overhead alone.
    let doc = whatif(
        dir.path(),
        &[
            "--shards",
            "1..4",
            "--shard-overhead",
            "2m",
            "--target",
            "1m",
        ],
    );
    assert!(
        doc["verdict"][1]
            .as_str()
            .unwrap()
            .contains("the shard overhead alone takes 2m00s"),
        "{doc}"
    );
}

#[test]
fn the_plot_is_an_svg_with_both_series_one_point_per_count() {
    let dir = suite();
    let out = shardplan_in(
        dir.path(),
        &[
            "whatif",
            "--timings",
            "reports",
            "--shards",
            "1..10,12,16",
            "--shard-overhead",
            "45s",
            "--target",
            "4m",
            "--plot",
            "whatif.svg",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("wrote the plot"), "{}", stderr(&out));
    let svg = std::fs::read_to_string(dir.path().join("whatif.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("the plot is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    let hex = |c: plotters::style::RGBColor| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
    // Each series is one polyline with a point per count (the legend's
    // sample line has two).
    let points_of = |color: &str| -> Vec<usize> {
        doc.descendants()
            .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") == Some(color))
            .map(|n| n.attribute("points").unwrap().split_whitespace().count())
            .collect()
    };
    for color in [hex(WALL_COLOR), hex(MACHINE_COLOR)] {
        let series = points_of(&color);
        assert!(series.contains(&12), "{color}: {series:?}");
    }
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    for label in [
        "wall time (left axis)",
        "machine time (right axis)",
        "shards",
    ] {
        assert!(
            texts.iter().any(|t| t.contains(label)),
            "{label}: {texts:?}"
        );
    }
    assert!(texts.iter().any(|t| t.starts_with("knee: ")), "{texts:?}");
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("target 4m00s: met from ")),
        "{texts:?}"
    );
}

#[test]
fn every_format_shows_the_same_rows() {
    let dir = suite();
    let base = [
        "whatif",
        "--timings",
        "reports",
        "--shards",
        "2,4,8",
        "-q",
        "--target",
        "5m",
    ];
    let json: Value =
        serde_json::from_str(&ok_in(dir.path(), &[&base[..], &["--format", "json"]].concat()).0)
            .unwrap();
    let (csv, verdict) = ok_in(dir.path(), &[&base[..], &["--format", "csv"]].concat());
    // The verdict goes to stderr, --quiet or not: it is the answer.
    assert!(verdict.contains("target 5m"), "{verdict}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with("shards,wall_seconds,"), "{csv}");
    for (line, row) in lines[1..].iter().zip(rows(&json)) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields[0], row["shards"].to_string());
        assert_eq!(
            fields[1].parse::<f64>().unwrap(),
            row["wall_seconds"].as_f64().unwrap()
        );
        assert_eq!(
            *fields.last().unwrap(),
            row["fingerprint"].as_str().unwrap()
        );
    }
    let markdown = ok_in(dir.path(), &[&base[..], &["--format", "markdown"]].concat()).0;
    assert!(
        markdown.contains("| shards | wall time | lower bound |"),
        "{markdown}"
    );
    assert_eq!(
        markdown.lines().filter(|l| l.starts_with("| ")).count(),
        4,
        "{markdown}"
    );
    assert!(markdown.contains("- target 5m00s:"), "{markdown}");
    let table = ok_in(dir.path(), &base).0;
    assert!(table.contains("wall time by shard count"), "{table}");
    assert_eq!(
        table.lines().filter(|l| l.contains('█')).count(),
        3,
        "{table}"
    );
}

#[test]
fn the_table_does_not_depend_on_the_order_reports_are_named_in() {
    let dir = suite();
    let mut files: Vec<String> = std::fs::read_dir(dir.path().join("reports"))
        .unwrap()
        .map(|e| format!("reports/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    files.sort();
    let run = |files: &[String]| {
        let mut args = vec!["whatif", "--shards", "1..6", "--format", "json", "-q"];
        for file in files {
            args.extend(["--timings", file.as_str()]);
        }
        ok_in(dir.path(), &args).0
    };
    let forward = run(&files);
    files.reverse();
    assert_eq!(forward, run(&files));
}

#[test]
fn bad_counts_and_shares_are_usage_errors() {
    let dir = suite();
    for (args, says) in [
        (&["--shards", "0..4"][..], "not a list of shard counts"),
        (&["--shards", "8..2"][..], "2..8"),
        (&["--shards", "1..999"][..], "at most 256"),
        (&["--knee", "150%"][..], "not a share"),
        (&["--target", "soon"][..], "not a duration"),
    ] {
        let out = shardplan_in(
            dir.path(),
            &[&["whatif", "--timings", "reports"][..], args].concat(),
            "",
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    let out = shardplan_in(dir.path(), &["whatif", "--timings", "missing.xml"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("missing.xml"), "{}", stderr(&out));
}
