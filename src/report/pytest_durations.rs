//! pytest-split's `.test_durations` (`formats.md` §3): pytest node ids and
//! their durations in seconds, as a JSON object or, in files written before
//! pytest-split 0.3, a list of `[node id, seconds]` pairs.
//!
//! A node id is kept whole as the case's `name`, with no class or file: the
//! pytest runner then parses it exactly as it parses `--collect-only`
//! output, so ids with parameters holding `::`, `/` or `[` survive
//! unchanged. The file is streamed entry by entry.

use std::io::BufRead;

use super::json::{Head, read_entries};
use super::{Diagnostic, Dialect, Outcome, Report, ReportFormat, TestCase, WarningList};

/// The `.test_durations` reader (`--format pytest-split`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PytestDurations;

impl ReportFormat for PytestDurations {
    fn name(&self) -> &'static str {
        "pytest-split"
    }

    /// `{"<node id>": <number>` or `[["<node id>"`, where a node id holds
    /// `::`; also an empty `{}` or `[]`, which pytest-split writes when no
    /// test was measured.
    fn sniff(&self, head: &[u8]) -> bool {
        let mut json = Head::new(head);
        let is_node_id = |key: &str| key.contains("::");
        if json.eat(b'{').is_some() {
            if json.eat(b'}').is_some() {
                return json.at_end();
            }
            return json.key().is_some_and(|k| is_node_id(&k)) && json.at_number();
        }
        if json.eat(b'[').is_some() {
            if json.eat(b']').is_some() {
                return json.at_end();
            }
            return json.eat(b'[').is_some() && json.string().is_some_and(|k| is_node_id(&k));
        }
        false
    }

    fn read(&self, input: &mut dyn BufRead) -> Result<Report, Diagnostic> {
        let mut report = Report::default();
        let mut warnings = WarningList::default();
        read_entries(input, ("nodeid", "duration"), &mut |entry| {
            let duration = entry.seconds.duration(1.0, entry.at, &mut warnings);
            report.cases.push(TestCase {
                name: entry.key.into(),
                classname: None,
                suite: None,
                file: None,
                duration,
                outcome: Outcome::Passed,
                dialect: Dialect::Pytest,
                variant: None,
            });
        })?;
        report.warnings = warnings.finish();
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DURATIONS: &str = r#"{
    "tests/test_a.py::TestA::test_b[1-2]": 0.5,
    "tests/test_a.py::test_p[p::q]": 1.25,
    "tests/unit/test_x.py::TestA::TestInner::test_c": 1e-05
}"#;

    #[test]
    fn legacy_list_of_pairs() {
        let doc = r#"[["tests/a.py::test_x", 0.1], ["tests/a.py::test_y", 2]]"#;
        assert!(PytestDurations.sniff(doc.as_bytes()));
        let report = PytestDurations.read(&mut doc.as_bytes()).unwrap();
        assert_eq!(report.cases.len(), 2);
        assert_eq!(report.cases[1].duration, Some(2_000_000));
    }

    #[test]
    fn sniffs_node_id_maps_only() {
        assert!(PytestDurations.sniff(DURATIONS.as_bytes()));
        assert!(PytestDurations.sniff(b"{}\n"));
        assert!(PytestDurations.sniff(b" [ ] "));
        assert!(!PytestDurations.sniff(b"{\"spec/a_spec.rb\": 1.0}"));
        assert!(!PytestDurations.sniff(b"{\"a::b\": {\"x\": 1}}"));
        assert!(!PytestDurations.sniff(b"[{\"path\": \"a::b\"}]"));
        assert!(!PytestDurations.sniff(b"{} x"));
    }

    #[test]
    fn negative_durations_are_unknown_and_bad_values_fail() {
        let doc = "{\n\"t.py::a\": -1,\n\"t.py::b\": null\n}";
        let report = PytestDurations.read(&mut doc.as_bytes()).unwrap();
        assert_eq!(report.cases[0].duration, None);
        assert_eq!(report.cases[1].duration, None);
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(report.warnings[0].offset, Some(2));
        let e = PytestDurations
            .read(&mut "{\"t.py::a\": \"1\"}".as_bytes())
            .unwrap_err();
        assert!(e.message.contains("expected a number"), "{e:?}");
        let e = PytestDurations
            .read(&mut "{\"t.py::a\": 1,".as_bytes())
            .unwrap_err();
        assert!(e.message.contains("truncated"), "{e:?}");
    }
}
