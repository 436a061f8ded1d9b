//! Runs the JUnit reader over every file of the shared corpus of real
//! reports and checks it against an independent count made with roxmltree.
//!
//! Run with `cargo test --test corpus_junit -- --nocapture` to see the
//! summary. All mismatches are collected into one failure message. Files
//! another format claims (TRX, `go test -json`, …) are checked by
//! `corpus_formats.rs`; here only the forced JUnit read sees them.

mod common;

use std::collections::BTreeMap;
use std::fs;

use common::{
    assert_no_mismatches, check_names_file, corpus_files, corpus_name, corpus_or_skip, decode,
    is_xmlish, without_panic,
};
use shardplan::report::junit::Junit;
use shardplan::report::{Report, ReportFormat, formats, read_file};

/// Files the oracle rejects but our reader accepts, with the reason that is
/// acceptable. Matched as path suffixes. Empty: on the current corpus the
/// reader and roxmltree agree on every file.
const ACCEPTED_DESPITE_ORACLE: &[(&str, &str)] = &[];

/// JUnit files the oracle reads but our reader rejects, with the reason.
const REJECTED_DESPITE_ORACLE: &[(&str, &str)] = &[];

/// What roxmltree makes of a file.
enum Oracle {
    /// A JUnit root; test cases with a usable (non-blank) name, and without.
    Junit { named: usize, unnamed: usize },
    /// Well-formed XML with another root element.
    OtherRoot(String),
    /// Not XML roxmltree accepts (or not text at all).
    Rejected(String),
}

#[test]
fn corpus_junit() {
    let Some(root) = corpus_or_skip() else {
        return;
    };
    let files = corpus_files(&root);
    let all_formats = formats();
    let mut other_formats = 0usize;

    // CORPUS_VERBOSE=1 lists every file read, with its dialect.
    let verbose = std::env::var_os("CORPUS_VERBOSE").is_some();
    let mut failures = Vec::new();
    let mut read_ok = 0usize;
    let mut total_cases = 0usize;
    let mut total_warnings = 0usize;
    let mut dialects: BTreeMap<String, usize> = BTreeMap::new();
    let mut rejected: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();

    for path in &files {
        let shown = corpus_name(&root, path);
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                failures.push(format!("{shown}: cannot read: {e}"));
                continue;
            }
        };
        let xmlish = is_xmlish(path, &bytes);
        let oracle = if xmlish {
            oracle(&bytes)
        } else {
            Oracle::Rejected("not XML".into())
        };
        let Some(ours) = without_panic(&shown, "in read_file", &mut failures, || read_file(path))
        else {
            continue;
        };
        if xmlish {
            check_forced(&shown, &bytes, &oracle, &mut failures);
        }
        let head = &bytes[..bytes.len().min(4096)];
        if let Some(format) = all_formats.iter().find(|f| f.sniff(head))
            && format.name() != Junit.name()
        {
            if let Oracle::Junit { .. } = oracle {
                failures.push(format!(
                    "{shown}: a JUnit report sniffed as {}",
                    format.name()
                ));
            }
            other_formats += 1;
            continue;
        }
        match ours {
            Ok((report, warnings)) => {
                read_ok += 1;
                total_cases += report.cases.len();
                total_warnings += warnings.len();
                *dialects.entry(dialect_of(&report)).or_default() += 1;
                if verbose {
                    let cases = report.cases.len();
                    println!("  {shown}: {cases} cases, {}", dialect_of(&report));
                }
                check_accepted(&shown, &report, &oracle, &mut failures);
            }
            Err(error) => {
                let message = error.to_string();
                check_names_file(&shown, path, &message, &mut failures);
                let (class, entry) = match &oracle {
                    _ if !xmlish => ("not XML", shown.clone()),
                    Oracle::OtherRoot(root) => ("XML, not JUnit", format!("{shown}: <{root}>")),
                    _ => (
                        reason_class(&message),
                        format!("{shown}: {}", error.message),
                    ),
                };
                rejected.entry(class).or_default().push(entry);
                check_rejected(&shown, &message, &oracle, &mut failures);
            }
        }
    }

    println!(
        "corpus: {} files ({other_formats} in other formats, see corpus_formats)",
        files.len()
    );
    println!("read OK: {read_ok} files, {total_cases} test cases, {total_warnings} warnings");
    for (dialect, count) in &dialects {
        println!("  dialect {dialect}: {count} files");
    }
    for (class, list) in &rejected {
        println!("rejected, {class}: {} files", list.len());
        // The long, dull lists only with CORPUS_VERBOSE.
        if verbose || !matches!(*class, "not XML" | "XML, not JUnit") {
            for entry in list {
                println!("  {entry}");
            }
        }
    }
    assert_no_mismatches(&failures);
}

fn check_accepted(shown: &str, report: &Report, oracle: &Oracle, failures: &mut Vec<String>) {
    let cases = report.cases.len();
    // Nameless cases are kept (a runner selecting files runs them), each
    // with a warning, plus any the reader summarised.
    let nameless = report
        .cases
        .iter()
        .filter(|c| c.name.trim().is_empty())
        .count();
    let cases = cases - nameless;
    let skipped = report
        .warnings
        .iter()
        .map(|w| {
            if w.message.starts_with("testcase with") && w.message.ends_with("others skip it") {
                1
            } else {
                summarised_nameless(&w.message)
            }
        })
        .sum::<usize>();
    match oracle {
        Oracle::Junit { named, unnamed } => {
            if cases != *named || skipped != *unnamed {
                failures.push(format!(
                    "{shown}: read {cases} named cases ({skipped} nameless warned of), oracle counts {named} ({unnamed} nameless)"
                ));
            }
        }
        Oracle::OtherRoot(root) => {
            failures.push(format!("{shown}: accepted, but its root is <{root}>"));
        }
        Oracle::Rejected(why) => {
            if excepted(ACCEPTED_DESPITE_ORACLE, shown).is_none() {
                failures.push(format!(
                    "{shown}: accepted ({cases} cases), but roxmltree rejects it: {why}"
                ));
            }
        }
    }
}

fn check_rejected(shown: &str, message: &str, oracle: &Oracle, failures: &mut Vec<String>) {
    if let Oracle::Junit { named, .. } = oracle
        && excepted(REJECTED_DESPITE_ORACLE, shown).is_none()
    {
        failures.push(format!(
            "{shown}: rejected, but roxmltree reads it as JUnit with {named} cases: {message}"
        ));
    }
}

/// Reads the file with the JUnit reader directly, as `--format junit` would,
/// skipping the sniffer: this is how the XXE probes and other roots reach
/// the parser. It must not panic, and must accept exactly the JUnit files.
fn check_forced(shown: &str, bytes: &[u8], oracle: &Oracle, failures: &mut Vec<String>) {
    let read = || Junit.read(&mut &bytes[..]);
    let Some(forced) = without_panic(shown, "in Junit::read", failures, read) else {
        return;
    };
    match (forced, oracle) {
        (Ok(report), Oracle::Junit { named, unnamed }) if report.cases.len() != named + unnamed => {
            failures.push(format!(
                "{shown}: forced read gives {} cases, oracle {named} + {unnamed} nameless",
                report.cases.len()
            ))
        }
        (Ok(_), Oracle::Rejected(why)) if excepted(ACCEPTED_DESPITE_ORACLE, shown).is_none() => {
            failures.push(format!(
                "{shown}: forced read accepts what roxmltree rejects: {why}"
            ));
        }
        (Ok(_), Oracle::OtherRoot(root)) => {
            failures.push(format!("{shown}: forced read accepts a <{root}> root"));
        }
        (Err(d), Oracle::OtherRoot(root)) if !d.message.starts_with("not a JUnit report") => {
            failures.push(format!(
                "{shown}: <{root}> root rejected for another reason: {d:?}"
            ));
        }
        _ => {}
    }
}

/// `N` from the reader's "…; N more test cases without a name, skipped".
fn summarised_nameless(message: &str) -> usize {
    message
        .split(';')
        .find_map(|part| {
            let count = part
                .trim()
                .strip_suffix(" more test cases without a name")?;
            count.parse().ok()
        })
        .unwrap_or(0)
}

fn excepted(list: &[(&str, &'static str)], shown: &str) -> Option<&'static str> {
    list.iter()
        .find(|(suffix, _)| shown.ends_with(suffix))
        .map(|(_, why)| *why)
}

fn dialect_of(report: &Report) -> String {
    report
        .cases
        .first()
        .map_or_else(|| "(no cases)".to_owned(), |c| format!("{:?}", c.dialect))
}

/// Why a file the oracle does not read as JUnit was rejected.
fn reason_class(message: &str) -> &'static str {
    if message.contains("not a timing report") || message.contains("shardplan does not read") {
        "not sniffed as JUnit (and not well-formed)"
    } else if message.contains("report is empty") {
        "empty file"
    } else if message.contains("malformed XML") || message.contains("UTF-") {
        "malformed XML"
    } else {
        "other"
    }
}

/// The independent count. DTDs are allowed so that roxmltree judges the
/// document itself; no entity resolver is given, so external entities are
/// never fetched (roxmltree then rejects references to them).
fn oracle(bytes: &[u8]) -> Oracle {
    let text = match decode(bytes) {
        Ok(text) => text,
        Err(e) => return Oracle::Rejected(e),
    };
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let document = match roxmltree::Document::parse_with_options(&text, options) {
        Ok(document) => document,
        Err(e) => return Oracle::Rejected(e.to_string()),
    };
    let root = document.root_element().tag_name().name();
    if root != "testsuites" && root != "testsuite" {
        return Oracle::OtherRoot(root.to_owned());
    }
    let (mut named, mut unnamed) = (0, 0);
    for node in document
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
    {
        if node.attribute("name").is_some_and(|n| !n.trim().is_empty()) {
            named += 1;
        } else {
            unnamed += 1;
        }
    }
    Oracle::Junit { named, unnamed }
}
