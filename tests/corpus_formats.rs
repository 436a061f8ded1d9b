//! Runs `read_file` over every file of the shared corpus of real reports
//! and checks each non-JUnit file against an independent classification and
//! count (serde_json values, roxmltree, plain line splitting — none of
//! shardplan's readers or sniffers). JUnit files are checked against
//! roxmltree by `corpus_junit.rs`; here they only appear in the summary.
//!
//! Every file must be read as the expected format with the expected tests,
//! or rejected with an error that names the file. Every format is also
//! forced onto every file (`--format`), which must never panic.
//!
//! Run with `cargo test --test corpus_formats -- --nocapture` for the
//! per-format summary.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use common::{
    assert_no_mismatches, check_names_file, corpus_files, corpus_name, corpus_or_skip, decode,
    is_xmlish, without_panic,
};
use serde_json::Value;
use shardplan::emit::Naming;
use shardplan::emit::go::Go;
use shardplan::emit::pytest::Pytest;
use shardplan::report::{Report, format_names, formats, read_file, read_file_as};

/// What the independent classification expects of a file.
#[derive(Debug)]
enum Expected {
    /// A format shardplan reads, and the tests it holds: a set of ids where
    /// the format names tests uniquely, else a count.
    Read { format: &'static str, tests: Tests },
    /// JUnit XML: `corpus_junit.rs` checks the count.
    Junit,
    /// Not a timing report shardplan reads, and why.
    Rejected(&'static str),
}

#[derive(Debug, PartialEq)]
enum Tests {
    /// Distinct test ids, as the runner for the format names them.
    Ids(BTreeSet<String>),
    /// Number of cases.
    Count(usize),
}

#[test]
fn corpus_formats() {
    let Some(root) = corpus_or_skip() else {
        return;
    };
    let files = corpus_files(&root);
    let sniffers = formats();
    let mut failures = Vec::new();
    // Per format: files read, cases; rejected files by reason.
    let mut read: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut rejected: BTreeMap<String, Vec<String>> = BTreeMap::new();

    for path in &files {
        let shown = corpus_name(&root, path);
        let bytes = fs::read(path).expect("corpus files are readable");
        let expected = classify(path, &bytes);
        let head = &bytes[..bytes.len().min(4096)];
        let sniffed = sniffers.iter().find(|f| f.sniff(head)).map(|f| f.name());

        for name in format_names() {
            let what = format!("with --format {name}");
            let forced = without_panic(&shown, &what, &mut failures, || {
                read_file_as(path, Some(name))
            });
            if let Some(Err(e)) = forced
                && !e.to_string().contains(&path.display().to_string())
            {
                failures.push(format!(
                    "{shown}: --format {name} error does not name the file: {e}"
                ));
            }
        }
        let Some(ours) = without_panic(&shown, "in read_file", &mut failures, || read_file(path))
        else {
            continue;
        };
        match (&expected, ours) {
            (Expected::Junit, Ok((report, _))) => {
                let entry = read.entry("junit").or_default();
                entry.0 += 1;
                entry.1 += report.cases.len();
            }
            (Expected::Junit, Err(e)) => {
                rejected
                    .entry("junit: malformed or empty (see corpus_junit)".into())
                    .or_default()
                    .push(format!("{shown}: {}", e.message));
            }
            (Expected::Read { format, tests }, Ok((report, _))) => {
                if sniffed != Some(*format) {
                    failures.push(format!("{shown}: expected {format}, sniffed {sniffed:?}"));
                }
                let got = ours_tests(format, &report);
                if &got != tests {
                    failures.push(format!(
                        "{shown}: read as {format}: {} but the oracle says {}",
                        describe(&got),
                        describe(tests)
                    ));
                }
                let entry = read.entry(format).or_default();
                entry.0 += 1;
                entry.1 += report.cases.len();
            }
            (Expected::Read { format, .. }, Err(e)) => {
                failures.push(format!(
                    "{shown}: expected to read as {format}, rejected: {e}"
                ));
            }
            (Expected::Rejected(why), Ok((report, _))) => {
                failures.push(format!(
                    "{shown}: accepted ({} cases, sniffed {sniffed:?}) but it is {why}",
                    report.cases.len()
                ));
            }
            (Expected::Rejected(why), Err(e)) => {
                let message = e.to_string();
                check_names_file(&shown, path, &message, &mut failures);
                rejected
                    .entry((*why).to_string())
                    .or_default()
                    .push(format!("{shown}: {}", e.message));
            }
        }
    }

    println!("corpus: {} files", files.len());
    for (format, (count, cases)) in &read {
        println!("read as {format}: {count} files, {cases} test cases");
    }
    for (why, list) in &rejected {
        println!("rejected, {why}: {} files", list.len());
        for entry in list {
            println!("  {entry}");
        }
    }
    assert_no_mismatches(&failures);
}

/// What our reader found, in the oracle's terms.
fn ours_tests(format: &str, report: &Report) -> Tests {
    match format {
        "go-json" => Tests::Ids(
            report
                .cases
                .iter()
                .map(|c| format!("{}.{}", c.classname.as_deref().unwrap_or(""), c.name))
                .collect(),
        ),
        "pytest-split" => Tests::Ids(
            report
                .cases
                .iter()
                .filter_map(|c| Pytest.identify(c))
                .map(|id| id.native.into())
                .collect(),
        ),
        _ => Tests::Count(report.cases.len()),
    }
}

fn describe(tests: &Tests) -> String {
    match tests {
        Tests::Count(n) => format!("{n} cases"),
        Tests::Ids(ids) => format!(
            "{} distinct tests {:?}…",
            ids.len(),
            ids.iter().take(3).collect::<Vec<_>>()
        ),
    }
}

/// The independent classification: by XML root, JSON shape or line shape.
fn classify(path: &Path, bytes: &[u8]) -> Expected {
    if bytes.is_empty() {
        return Expected::Rejected("an empty file");
    }
    if is_xmlish(path, bytes) {
        return classify_xml(bytes);
    }
    let Ok(text) = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)) else {
        return Expected::Rejected("not text");
    };
    if let Some(tests) = go_events(text) {
        return Expected::Read {
            format: "go-json",
            tests,
        };
    }
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return classify_json(&value);
    }
    if let Some(count) = runtime_log_lines(text) {
        return Expected::Read {
            format: "parallel-tests",
            tests: Tests::Count(count),
        };
    }
    Expected::Rejected("neither XML, JSON nor a runtime log")
}

fn classify_xml(bytes: &[u8]) -> Expected {
    let Ok(text) = decode(bytes) else {
        return Expected::Rejected("XML in no readable encoding");
    };
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let Ok(document) = roxmltree::Document::parse_with_options(&text, options) else {
        return match text.trim_start().starts_with("<?xml")
            && (text.contains("<testsuite") || text.contains("<testcase"))
        {
            // Malformed JUnit: corpus_junit.rs checks the reason.
            true => Expected::Junit,
            false => Expected::Rejected("malformed XML of another kind"),
        };
    };
    match document.root_element().tag_name().name() {
        "testsuites" | "testsuite" => Expected::Junit,
        "TestRun" => {
            // Top-level results only: InnerResults rows are parts of them.
            let count = document
                .descendants()
                .filter(|n| n.has_tag_name("UnitTestResult"))
                .filter(|n| !n.ancestors().any(|a| a.has_tag_name("InnerResults")))
                .count();
            Expected::Read {
                format: "trx",
                tests: Tests::Count(count),
            }
        }
        _ => Expected::Rejected("XML of another tool (NUnit, xUnit.net, …)"),
    }
}

/// `go test -json`: some line is an object with a string `Action`. The
/// tests are the distinct `package.Test` of top-level terminal events.
fn go_events(text: &str) -> Option<Tests> {
    let mut any = false;
    let mut ids = BTreeSet::new();
    for line in text.lines() {
        let Ok(Value::Object(event)) = serde_json::from_str::<Value>(line.trim()) else {
            continue;
        };
        let Some(action) = event.get("Action").and_then(Value::as_str) else {
            continue;
        };
        any = true;
        let test = event.get("Test").and_then(Value::as_str);
        if let (Some(test), "pass" | "fail" | "skip") = (test, action)
            && !test.contains('/')
        {
            let package = event.get("Package").and_then(Value::as_str).unwrap_or("");
            ids.insert(format!("{package}.{test}"));
        }
    }
    any.then_some(Tests::Ids(ids))
}

fn classify_json(value: &Value) -> Expected {
    let is_number = |v: &Value| v.is_number() || v.is_null();
    match value {
        Value::Object(map) => {
            if map.get("reportFormat").and_then(Value::as_str) == Some("CTRF")
                || map
                    .get("results")
                    .and_then(|r| r.get("tests"))
                    .is_some_and(Value::is_array)
            {
                let tests = map["results"]["tests"].as_array().map_or(0, |tests| {
                    tests
                        .iter()
                        .filter(|t| {
                            t.get("name")
                                .and_then(Value::as_str)
                                .is_some_and(|n| !n.trim().is_empty())
                        })
                        .count()
                });
                return Expected::Read {
                    format: "ctrf",
                    tests: Tests::Count(tests),
                };
            }
            if !map.is_empty() && map.values().all(is_number) {
                if map.keys().all(|k| k.contains("::")) {
                    return Expected::Read {
                        format: "pytest-split",
                        tests: Tests::Ids(map.keys().cloned().collect()),
                    };
                }
                return Expected::Read {
                    format: "knapsack",
                    tests: Tests::Count(map.len()),
                };
            }
            Expected::Rejected("JSON of another tool (Mocha, RSpec, CTRF schema tests, …)")
        }
        Value::Array(items) if !items.is_empty() => {
            let pairs = items.iter().all(|item| {
                item.as_array().is_some_and(|pair| {
                    pair.len() == 2 && pair[0].is_string() && is_number(&pair[1])
                })
            });
            if pairs {
                return Expected::Read {
                    format: "pytest-split",
                    tests: Tests::Ids(
                        items
                            .iter()
                            .map(|p| p[0].as_str().unwrap_or("").to_string())
                            .collect(),
                    ),
                };
            }
            if items
                .iter()
                .all(|item| item.get("path").is_some_and(Value::is_string))
            {
                return Expected::Read {
                    format: "knapsack",
                    tests: Tests::Count(items.len()),
                };
            }
            Expected::Rejected("a JSON array of another tool")
        }
        _ => Expected::Rejected("JSON of another tool"),
    }
}

/// parallel_tests: every non-blank line is `path:number`.
fn runtime_log_lines(text: &str) -> Option<usize> {
    let mut count = 0;
    for line in text.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
        let (path, seconds) = line.rsplit_once(':')?;
        if path.is_empty() || seconds.trim().parse::<f64>().is_err() {
            return None;
        }
        count += 1;
    }
    (count > 0).then_some(count)
}

#[test]
fn go_oracle_names_tests_as_the_go_runner() {
    // The go-json oracle's ids are `package.Test`, the go runner's native
    // ids; check that on a real stream so both sides mean the same thing.
    let path = common::root().join("fixtures/reports/go-json/go-test-mixed.json");
    let (report, _) = read_file(&path).expect("fixture reads");
    let text = fs::read_to_string(&path).expect("fixture is text");
    let Some(Tests::Ids(oracle)) = go_events(&text) else {
        panic!("the oracle reads the fixture");
    };
    let natives: BTreeSet<String> = report
        .cases
        .iter()
        .filter_map(|c| Go.identify(c))
        .map(|id| id.native.into())
        .collect();
    assert_eq!(natives, oracle);
}
