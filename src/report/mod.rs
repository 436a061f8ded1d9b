//! Reading timing reports: the first stage of the pipeline.
//!
//! Each input format lives in its own file behind [`ReportFormat`]. A format
//! recognises its files from their first bytes ([`ReportFormat::sniff`]) and
//! streams them into [`TestCase`] records; it never builds a document tree.
//! [`read_file`] picks the format and turns byte offsets into line:column
//! positions for errors and warnings, so formats need not track lines.

pub mod junit;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::duration::Micros;
use crate::error::{Error, Result};

/// How a recorded test ended. Only passing runs are trusted for timing by
/// later stages; all outcomes still prove that the test exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Passed (no failure, error or skipped child).
    Passed,
    /// Failed or errored.
    Failed,
    /// Skipped, xfail, pending.
    Skipped,
}

/// The tool that wrote a report, when its signature says so
/// (`formats.md` §0 and §1.6). Runners use it to tell their own reports from
/// other runners' reports in a mixed directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dialect {
    /// No known signature.
    Generic,
    /// pytest `--junitxml`.
    Pytest,
    /// jest-junit.
    Jest,
    /// Vitest's junit reporter.
    Vitest,
    /// Playwright's junit reporter.
    Playwright,
    /// Maven Surefire / Failsafe, Ant.
    Surefire,
    /// Gradle.
    Gradle,
    /// gotestsum or go-junit-report (Go packages and tests).
    Go,
    /// cargo-nextest.
    Nextest,
    /// PHPUnit.
    Phpunit,
    /// .NET loggers (JunitXml.TestLogger).
    Dotnet,
    /// mocha-junit-reporter.
    Mocha,
    /// rspec_junit_formatter.
    Rspec,
}

/// One executed test as a report recorded it, before any runner names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// The test's own name (`test_b[1-2]`, `TestA/sub`, `mod::tests::it`).
    pub name: String,
    /// The class, package or binary the report files it under, if any.
    pub classname: Option<String>,
    /// Name of the innermost enclosing suite, if any.
    pub suite: Option<String>,
    /// Source file of the test, normalised by [`crate::identity::normalize_path`].
    pub file: Option<String>,
    /// Recorded duration; `None` when absent or unusable (never guessed as 0).
    pub duration: Option<Micros>,
    /// How the run ended.
    pub outcome: Outcome,
    /// Which tool wrote the report.
    pub dialect: Dialect,
}

/// A problem at a byte offset of the file being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Byte offset into the file as stored (after any BOM), if known.
    pub offset: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at a byte offset.
    pub fn at(offset: u64, message: impl Into<String>) -> Self {
        Diagnostic {
            offset: Some(offset),
            message: message.into(),
        }
    }

    /// A diagnostic about the file as a whole.
    pub fn whole(message: impl Into<String>) -> Self {
        Diagnostic {
            offset: None,
            message: message.into(),
        }
    }
}

/// A duration a report recorded for a group of cases as a whole (a JUnit
/// suite's `time`, a go package's `Elapsed`). What it exceeds the sum of its
/// cases by is the group's setup cost: imports, fixtures, linking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupTime {
    /// The group's cases, as a range of indexes into [`Report::cases`].
    pub cases: std::ops::Range<usize>,
    /// The group's recorded duration.
    pub duration: Micros,
}

/// What one report file yielded.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Every test case, in file order; repeated runs of a test stay repeated.
    pub cases: Vec<TestCase>,
    /// Group-level durations, where the format records them.
    pub groups: Vec<GroupTime>,
    /// Recoverable problems (a negative time, an unreadable value).
    pub warnings: Vec<Diagnostic>,
}

/// One input format. Implementations stream: memory use must not grow with
/// the size of captured output in the report.
pub trait ReportFormat {
    /// Short name used by `--format` and in messages (`junit`).
    fn name(&self) -> &'static str;
    /// Whether a file starting with `head` (up to 4 KiB, BOM included) is of
    /// this format.
    fn sniff(&self, head: &[u8]) -> bool;
    /// Reads the whole report. Offsets in diagnostics are byte offsets into
    /// `input` as given.
    fn read(&self, input: &mut dyn BufRead) -> Result<Report, Diagnostic>;
}

/// Every format shardplan reads, in detection order.
pub fn formats() -> Vec<Box<dyn ReportFormat>> {
    vec![Box::new(junit::Junit)]
}

/// A warning tied to a file, already positioned, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileWarning(pub Error);

/// Reads one report file, detecting its format, and positions every
/// diagnostic as `path:line:column`.
pub fn read_file(path: &Path) -> Result<(Report, Vec<FileWarning>)> {
    let file =
        File::open(path).map_err(|e| Error::in_file(path, format!("cannot open report: {e}")))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let head = reader
        .fill_buf()
        .map_err(|e| Error::in_file(path, format!("cannot read report: {e}")))?
        .iter()
        .take(4096)
        .copied()
        .collect::<Vec<u8>>();
    if head.is_empty() {
        return Err(Error::in_file(
            path,
            "report is empty (0 bytes); was the test run interrupted?",
        ));
    }
    let all = formats();
    let Some(format) = all.iter().find(|f| f.sniff(&head)) else {
        let names: Vec<&str> = all.iter().map(|f| f.name()).collect();
        return Err(Error::in_file(
            path,
            format!(
                "not a timing report shardplan can read (tried: {})",
                names.join(", ")
            ),
        ));
    };
    let result = format.read(&mut reader);
    match result {
        Ok(report) => {
            let warnings = locate(path, &report.warnings)
                .into_iter()
                .map(FileWarning)
                .collect();
            Ok((report, warnings))
        }
        Err(diagnostic) => {
            let message = format!("{} report: {}", format.name(), diagnostic.message);
            let located = locate(
                path,
                &[Diagnostic {
                    offset: diagnostic.offset,
                    message,
                }],
            );
            Err(located
                .into_iter()
                .next()
                .expect("one diagnostic in, one error out"))
        }
    }
}

/// Turns diagnostics' byte offsets into 1-based line:column errors by
/// re-reading the file once. Only runs when there is something to report, so
/// reading itself stays a single streaming pass.
fn locate(path: &Path, diagnostics: &[Diagnostic]) -> Vec<Error> {
    let mut offsets: Vec<u64> = diagnostics.iter().filter_map(|d| d.offset).collect();
    offsets.sort_unstable();
    offsets.dedup();
    let positions = line_columns(path, &offsets).unwrap_or_default();
    diagnostics
        .iter()
        .map(|d| {
            let error = Error::in_file(path, d.message.clone());
            match d.offset.and_then(|o| positions.get(&o)) {
                Some(&(line, column)) => error.at(line, column),
                None => error,
            }
        })
        .collect()
}

/// Line and column (in characters) of each sorted offset.
fn line_columns(path: &Path, sorted: &[u64]) -> Option<BTreeMap<u64, (u64, u64)>> {
    let mut positions = BTreeMap::new();
    if sorted.is_empty() {
        return Some(positions);
    }
    let last = *sorted.last()?;
    let mut reader = BufReader::new(File::open(path).ok()?.take(last));
    let (mut line, mut column, mut offset) = (1u64, 1u64, 0u64);
    let mut pending = sorted.iter().peekable();
    let mut buffer = [0u8; 8192];
    loop {
        let n = reader.read(&mut buffer).ok()?;
        for &byte in &buffer[..n] {
            while pending.next_if(|&&o| o == offset).is_some() {
                positions.insert(offset, (line, column));
            }
            if byte == b'\n' {
                line += 1;
                column = 1;
            } else if byte & 0xC0 != 0x80 {
                column += 1;
            }
            offset += 1;
        }
        if n == 0 {
            break;
        }
    }
    for &o in pending {
        positions.insert(o, (line, column));
    }
    Some(positions)
}
