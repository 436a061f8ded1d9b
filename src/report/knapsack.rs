//! Knapsack reports (`formats.md` §7): test file paths and their durations
//! in seconds. The open-source gem writes a JSON object
//! (`{"spec/a_spec.rb": 1.2}`); Knapsack Pro's queue files are arrays of
//! `{"path": …, "time_execution": …}`, whose paths may be RSpec example ids
//! (`spec/a_spec.rb[1:2]`) when Pro splits slow files by example.
//!
//! Each entry is one case of dialect [`Dialect::Rspec`] whose name is the
//! path (or example id) and whose file is the path: the unit Knapsack
//! measures is the file.

use std::io::BufRead;

use super::json::{Head, read_entries};
use super::{Diagnostic, Dialect, Outcome, Report, ReportFormat, TestCase, WarningList};
use crate::identity::normalize_path;

/// The Knapsack reader (`--format knapsack`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Knapsack;

/// A Knapsack key names a test file (`spec/models/user_spec.rb`,
/// `test/foo_test.rb`, `features/a.feature`), never a pytest node id.
fn is_test_path(key: &str) -> bool {
    !key.contains("::") && (key.contains('/') || key.contains('.'))
}

/// The case for one entry: an example id `path[1:2]` keeps its id as name
/// and its path as file.
pub(crate) fn file_case(key: String, duration: Option<u64>) -> TestCase {
    let path = key.find('[').map_or(key.as_str(), |i| &key[..i]);
    let file = normalize_path(path);
    let name = if path.len() == key.len() {
        file.clone()
    } else {
        format!("{file}{}", &key[path.len()..])
    };
    TestCase {
        name: name.into(),
        classname: None,
        suite: None,
        file: Some(file.into()),
        duration,
        outcome: Outcome::Passed,
        dialect: Dialect::Rspec,
        variant: None,
    }
}

impl ReportFormat for Knapsack {
    fn name(&self) -> &'static str {
        "knapsack"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        let mut json = Head::new(head);
        if json.eat(b'{').is_some() {
            return json.key().is_some_and(|k| is_test_path(&k)) && json.at_number();
        }
        json.eat(b'[').is_some()
            && json.eat(b'{').is_some()
            && json
                .key()
                .is_some_and(|k| k == "path" || k == "time_execution")
    }

    fn read(&self, input: &mut dyn BufRead) -> Result<Report, Diagnostic> {
        let mut report = Report::default();
        let mut warnings = WarningList::default();
        read_entries(input, ("path", "time_execution"), &mut |entry| {
            let duration = entry.seconds.duration(1.0, entry.at, &mut warnings);
            report.cases.push(file_case(entry.key, duration));
        })?;
        report.warnings = warnings.finish();
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14 item 8: a huge key is refused where it starts, before
    /// serde holds it whole.
    #[test]
    fn a_huge_string_is_refused_at_its_start() {
        let size = crate::report::json::MAX_STRING_BYTES as usize + 10;
        let mut doc = String::with_capacity(size + 40);
        doc.push_str("{\"spec/a_spec.rb\": 1,\n \"");
        doc.extend(std::iter::repeat_n('a', size));
        doc.push_str("\": 2}");
        let e = Knapsack.read(&mut doc.as_bytes()).unwrap_err();
        assert_eq!(e.offset, Some(23));
        assert!(e.message.contains("longer than 16 MiB"), "{e:?}");
    }

    #[test]
    fn gem_report_is_one_case_per_file() {
        let doc = r#"{"spec/a_spec.rb": 1.5, "./spec/b_spec.rb": 7.82012939453125e-05}"#;
        assert!(Knapsack.sniff(doc.as_bytes()));
        let report = Knapsack.read(&mut doc.as_bytes()).unwrap();
        let got: Vec<(&str, Option<&str>, Option<u64>)> = report
            .cases
            .iter()
            .map(|c| (c.name.as_str(), c.file.as_deref(), c.duration))
            .collect();
        assert_eq!(
            got,
            [
                ("spec/a_spec.rb", Some("spec/a_spec.rb"), Some(1_500_000)),
                ("spec/b_spec.rb", Some("spec/b_spec.rb"), Some(78)),
            ]
        );
        assert!(report.cases.iter().all(|c| c.dialect == Dialect::Rspec));
    }

    #[test]
    fn pro_queue_file_with_example_ids() {
        let doc = r#"[{"path": "spec/a_spec.rb", "time_execution": 1.0},
                      {"path": "spec/slow_spec.rb[1:2]", "time_execution": 2.0, "extra": {}}]"#;
        assert!(Knapsack.sniff(doc.as_bytes()));
        let report = Knapsack.read(&mut doc.as_bytes()).unwrap();
        assert_eq!(report.cases[1].name, "spec/slow_spec.rb[1:2]");
        assert_eq!(report.cases[1].file.as_deref(), Some("spec/slow_spec.rb"));
    }

    #[test]
    fn sniffs_path_maps_only() {
        assert!(!Knapsack.sniff(b"{\"tests/a.py::test_x\": 1}"));
        assert!(!Knapsack.sniff(b"{\"version\": 3}"));
        assert!(!Knapsack.sniff(b"{\"stats\": {}}"));
        assert!(!Knapsack.sniff(b"{\"spec/a_spec.rb\": \"slow\"}"));
        assert!(!Knapsack.sniff(b"[[\"spec/a_spec.rb\", 1]]"));
    }

    #[test]
    fn a_record_without_time_is_an_error() {
        let doc = "[\n{\"path\": \"spec/a_spec.rb\"}\n]";
        let e = Knapsack.read(&mut doc.as_bytes()).unwrap_err();
        assert_eq!(e.message, "entry without \"time_execution\"");
        assert_eq!(e.offset, Some(2));
    }
}
