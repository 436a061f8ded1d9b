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
use super::{Diagnostic, Report, ReportFormat, WarningList};
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
            .filter(|l| !l.is_empty())
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
        let mut line = String::new();
        let mut offset = 0u64;
        loop {
            line.clear();
            let n = input
                .read_line(&mut line)
                .map_err(|e| Diagnostic::at(offset, format!("cannot read the runtime log: {e}")))?;
            if n == 0 {
                break;
            }
            let at = offset;
            offset += n as u64;
            let text = line.trim_end_matches(['\n', '\r']);
            if text.trim().is_empty() {
                continue;
            }
            let Some((path, seconds)) = split_line(text) else {
                return Err(Diagnostic::at(
                    at,
                    format!(
                        "expected `path:seconds` (a parallel_tests runtime log line), found {:?}",
                        truncate(text)
                    ),
                ));
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
        report.warnings = warnings.finish();
        Ok(report)
    }
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
    }

    #[test]
    fn a_line_without_a_time_is_an_error_at_its_line() {
        let text = "spec/a_spec.rb:1.0\nthis is not a log line\n";
        let e = RuntimeLog.read(&mut text.as_bytes()).unwrap_err();
        assert_eq!(e.offset, Some(19));
        assert!(e.message.contains("path:seconds"), "{e:?}");
        let report = RuntimeLog
            .read(&mut "spec/a_spec.rb:-2\nspec/b_spec.rb:\n".as_bytes())
            .unwrap();
        assert_eq!(report.cases.len(), 2);
        assert_eq!(report.cases[0].duration, None);
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(report.warnings[0].offset, Some(15));
    }
}
