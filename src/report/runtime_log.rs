//! parallel_tests runtime logs (`formats.md` §7):
//! `tmp/parallel_runtime_rspec.log` and its test-unit and cucumber
//! siblings, one `relative/path_spec.rb:<seconds>` line per test file.
//!
//! As in parallel_tests, a line is split at its **last** `:`, so paths may
//! hold colons. Each line is a case of dialect [`super::Dialect::Rspec`] named by
//! its path: the unit parallel_tests measures is the file. A file listed
//! twice (two workers appended to one log) is two runs of one test.

use std::io::BufRead;

use super::knapsack::file_case;
use super::{BoundedLines, Diagnostic, Line, Report, ReportFormat, WarningList, line_too_long};
use crate::duration::{ParsedTime, parse_seconds};

/// The parallel_tests runtime log reader (`--format parallel-tests`).
#[derive(Debug, Clone, Copy, Default)]
pub struct RuntimeLog;

/// A line's path and time, when it has the `path:seconds` shape. The path
/// must look like one (a `/` or `.`) so that prose with a colon is not a
/// log line.
fn split_line(line: &str) -> Option<(&str, &str)> {
    let (path, seconds) = line.rsplit_once(':')?;
    let path_like = !path.is_empty()
        && !path.starts_with(char::is_whitespace)
        && !path.starts_with(['{', '[', '<', '#'])
        && path.contains(['/', '.']);
    path_like.then_some((path, seconds))
}

impl ReportFormat for RuntimeLog {
    fn name(&self) -> &'static str {
        "parallel-tests"
    }

    /// The first non-blank lines (up to three, complete ones only unless the
    /// head is the whole file) are `path:seconds` with a readable number.
    fn sniff(&self, head: &[u8]) -> bool {
        let Ok(text) = std::str::from_utf8(head) else {
            return false;
        };
        let complete = match text.rfind('\n') {
            Some(end) if head.len() >= 4096 => &text[..end],
            _ => text,
        };
        let mut lines = complete
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty() && !is_rspec_seed(l))
            .take(3)
            .peekable();
        lines.peek().is_some()
            && lines.all(|line| {
                split_line(line)
                    .is_some_and(|(_, s)| matches!(parse_seconds(s), ParsedTime::Known(_)))
            })
    }

    fn read(&self, input: &mut dyn BufRead) -> Result<Report, Diagnostic> {
        let mut report = Report::default();
        let mut warnings = WarningList::default();
        let mut offset = 0u64;
        let mut skipped = 0usize;
        let mut first_skipped = None;
        let mut lines = BoundedLines::new(input);
        while let Some(line) = lines.next_line(offset)? {
            let at = offset;
            offset += line.len();
            let Line::Text(bytes) = line else {
                warnings.push(line_too_long(at, offset - at));
                skipped += 1;
                first_skipped.get_or_insert(at);
                continue;
            };
            let Ok(text) = std::str::from_utf8(bytes) else {
                return Err(Diagnostic::at(
                    at,
                    "invalid UTF-8 in a runtime log line (parallel_tests writes UTF-8)",
                ));
            };
            let text = text.trim_end_matches(['\n', '\r']);
            if text.trim().is_empty() {
                continue;
            }
            let Some((path, seconds)) = split_line(text) else {
                // As parallel_tests does: a line it cannot split is skipped
                // (rspec's `Randomized with seed N` leaks into real logs).
                warnings.push(Diagnostic::at(
                    at,
                    format!(
                        "not a `path:seconds` line, skipped (as parallel_tests does): {:?}",
                        truncate(text)
                    ),
                ));
                skipped += 1;
                first_skipped.get_or_insert(at);
                continue;
            };
            let duration = match parse_seconds(seconds) {
                ParsedTime::Known(micros) => Some(micros),
                ParsedTime::Missing => None,
                ParsedTime::Invalid(why) => {
                    let column = (path.len() + 1) as u64;
                    warnings.push(Diagnostic::at(
                        at + column,
                        format!("{why}; treated as unknown"),
                    ));
                    None
                }
            };
            report.cases.push(file_case(path.to_string(), duration));
        }
        if report.cases.is_empty() && skipped > 0 {
            return Err(Diagnostic::at(
                first_skipped.unwrap_or(0),
                "expected `path:seconds` lines (a parallel_tests runtime log), found none",
            ));
        }
        report.warnings = warnings.finish();
        Ok(report)
    }
}

/// rspec's `Randomized with seed 1234`, which leaks into real runtime logs
/// (rspec prints it on stdout while parallel_tests writes the log).
fn is_rspec_seed(line: &str) -> bool {
    line.trim()
        .strip_prefix("Randomized with seed ")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// At most 80 characters of a line, for messages.
fn truncate(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Dialect, Outcome};

    const LOG: &str = "spec/bundler/a_spec.rb:32.01998175000335\r\n\
                       spec/odd:name_spec.rb:0.05\n\
                       \n\
                       ./spec/c_spec.rb:1\n";

    #[test]
    fn one_case_per_line_split_at_the_last_colon() {
        let report = RuntimeLog.read(&mut LOG.as_bytes()).unwrap();
        let got: Vec<(&str, Option<u64>)> = report
            .cases
            .iter()
            .map(|c| (c.name.as_str(), c.duration))
            .collect();
        assert_eq!(
            got,
            [
                ("spec/bundler/a_spec.rb", Some(32_019_982)),
                ("spec/odd:name_spec.rb", Some(50_000)),
                ("spec/c_spec.rb", Some(1_000_000)),
            ]
        );
        let case = &report.cases[2];
        assert_eq!(case.file.as_deref(), Some("spec/c_spec.rb"));
        assert_eq!(
            (case.dialect, case.outcome),
            (Dialect::Rspec, Outcome::Passed)
        );
    }

    #[test]
    fn sniffs_log_lines_only() {
        assert!(RuntimeLog.sniff(LOG.as_bytes()));
        assert!(RuntimeLog.sniff(b"test/a_test.rb:0.5"));
        assert!(!RuntimeLog.sniff(b""));
        assert!(!RuntimeLog.sniff(b"Note: 5\n"));
        assert!(!RuntimeLog.sniff(b"spec/a_spec.rb:1.0\nRunning tests...\n"));
        assert!(!RuntimeLog.sniff(b"{\"spec/a_spec.rb\":1.0}"));
        assert!(!RuntimeLog.sniff(b"<testsuite time=\"a.b:1\"/>"));
        assert!(!RuntimeLog.sniff(b"spec/a_spec.rb:fast\n"));
        assert!(RuntimeLog.sniff(b"\nRandomized with seed 1\nspec/a_spec.rb:1.5\n"));
        assert!(!RuntimeLog.sniff(b"Randomized with seed 1\n"));
    }

    /// Issue 14 item 3: a line parallel_tests cannot split (rspec's
    /// `Randomized with seed N` leaks into real logs) is skipped, as
    /// parallel_tests skips it, with a warning at its line.
    #[test]
    fn lines_that_are_not_log_lines_are_skipped_with_a_warning() {
        let text = "\nRandomized with seed 1\nspec/a_spec.rb:1.5\n";
        let report = RuntimeLog.read(&mut text.as_bytes()).unwrap();
        assert_eq!(report.cases.len(), 1);
        assert_eq!(report.cases[0].name, "spec/a_spec.rb");
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(report.warnings[0].offset, Some(1));
        assert!(
            report.warnings[0]
                .message
                .contains("Randomized with seed 1")
        );
        let report = RuntimeLog
            .read(&mut "spec/a_spec.rb:-2\nspec/b_spec.rb:\n".as_bytes())
            .unwrap();
        assert_eq!(report.cases.len(), 2);
        assert_eq!(report.cases[0].duration, None);
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(report.warnings[0].offset, Some(15));
    }

    #[test]
    fn a_file_without_log_lines_is_an_error() {
        let e = RuntimeLog
            .read(&mut "just prose\nmore prose\n".as_bytes())
            .unwrap_err();
        assert_eq!(e.offset, Some(0));
        assert!(e.message.contains("path:seconds"), "{e:?}");
    }

    /// Issue 14 item 8: a line over the limit is skipped unread.
    #[test]
    fn overlong_lines_are_skipped_unread() {
        let text = format!(
            "spec/{}_spec.rb:1\nspec/a_spec.rb:2\n",
            "a".repeat(crate::report::MAX_LINE_BYTES)
        );
        let report = RuntimeLog.read(&mut text.as_bytes()).unwrap();
        assert_eq!(report.cases.len(), 1);
        assert!(report.warnings[0].message.contains("skipped unread"));
    }
}
