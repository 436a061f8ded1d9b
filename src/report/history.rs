//! The timing history that `shardplan merge` writes, read back as timings
//! (`--format history`). The file format and the estimate are described in
//! [`crate::history`]; each test becomes one case whose duration is its
//! estimate (skipped, without a duration, if it never passed), and each
//! group setup a [`super::GroupTime`] over its tests, placed contiguously,
//! whose duration is the setup plus their estimates.

use std::io::BufRead;

use super::json::Head;
use super::{Diagnostic, Report, ReportFormat};

/// The timing history reader (`--format history`).
#[derive(Debug, Clone, Copy, Default)]
pub struct History;

impl ReportFormat for History {
    fn name(&self) -> &'static str {
        "history"
    }

    /// `{"format": "shardplan-timings"`, as `shardplan merge` writes it.
    fn sniff(&self, head: &[u8]) -> bool {
        let mut json = Head::new(head);
        json.eat(b'{').is_some()
            && json.key().as_deref() == Some("format")
            && json.string().as_deref() == Some(crate::history::FORMAT)
    }

    fn read(&self, input: &mut dyn BufRead) -> Result<Report, Diagnostic> {
        crate::history::report(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::History as Timings;
    use crate::report::{Dialect, Outcome, TestCase};

    #[test]
    fn each_test_is_a_case_with_its_estimate() {
        let case = |name: &str, duration, outcome| TestCase {
            name: name.to_string(),
            classname: Some("Ns.Tests".to_string()),
            suite: Some("Ns.Tests.dll".to_string()),
            file: None,
            duration: Some(duration),
            outcome,
            dialect: Dialect::Dotnet,
            variant: None,
        };
        let mut timings = Timings::new(5, 10);
        timings.merge_run(&[
            case("A", 100, Outcome::Passed),
            case("B", 5, Outcome::Failed),
        ]);
        timings.merge_run(&[
            case("A", 300, Outcome::Passed),
            case("A", 500, Outcome::Passed),
        ]);
        let text = timings.to_json();
        assert!(History.sniff(text.as_bytes()));
        let report = History.read(&mut text.as_bytes()).unwrap();
        assert_eq!(report.cases.len(), 2);
        assert_eq!(report.cases[0].name, "A");
        // Samples 100 and 400 (the mean of run 2's two passes).
        assert_eq!(report.cases[0].duration, Some(250));
        assert_eq!(report.cases[0].suite.as_deref(), Some("Ns.Tests.dll"));
        // B never passed: it exists, without a duration.
        assert_eq!(report.cases[1].duration, None);
        assert_eq!(report.cases[1].outcome, Outcome::Skipped);
        assert_eq!(report.cases[0].outcome, Outcome::Passed);
        // Merged without group times: none read back.
        assert!(report.groups.is_empty());
    }

    #[test]
    fn sniffs_only_the_history() {
        assert!(!History.sniff(b"{\"format\": \"other\"}"));
        assert!(!History.sniff(b"{\"runs\": 1, \"format\": \"shardplan-timings\"}"));
        assert!(!History.sniff(b"[]"));
    }
}
