//! CTRF, the Common Test Report Format (`formats.md` §4): a JSON document
//! whose `results.tests` array holds one entry per test, with `duration` in
//! milliseconds.
//!
//! Read leniently, as real files require: `reportFormat` and `specVersion`
//! may be missing (reports written before the spec had them), durations may
//! be fractional (vitest-ctrf), `suite` may be one string (older writers) or
//! the path of suite titles. A test without a name is skipped with a
//! warning. A retried test is one entry (its attempts sit inside it), so it
//! counts once.
//!
//! The dialect comes from `results.tool.name` when it names a runner
//! shardplan knows (jest, vitest, playwright, mocha, pytest), else it is
//! [`Dialect::Generic`]. The array is streamed entry by entry.

use std::io::BufRead;

use serde::Deserialize;
use serde::de::MapAccess;

use super::json::{self, Fields, Head, Number, Object, Objects, Tracker};
use super::{Diagnostic, Dialect, Outcome, Report, ReportFormat, TestCase, WarningList};
use crate::case::Shared;
use crate::identity::normalize_path;

/// The CTRF reader (`--format ctrf`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Ctrf;

impl ReportFormat for Ctrf {
    fn name(&self) -> &'static str {
        "ctrf"
    }

    /// `{"reportFormat": "CTRF"`, `{"specVersion"`, or, for reports older
    /// than both, `{"results": {` followed by one of its own keys.
    fn sniff(&self, head: &[u8]) -> bool {
        let mut json = Head::new(head);
        if json.eat(b'{').is_none() {
            return false;
        }
        match json.key().as_deref() {
            Some("reportFormat") => json.string().as_deref() == Some("CTRF"),
            Some("specVersion") => true,
            Some("results") => {
                json.eat(b'{').is_some()
                    && matches!(
                        json.key().as_deref(),
                        Some("tool" | "summary" | "tests" | "environment")
                    )
            }
            _ => false,
        }
    }

    fn read(&self, input: &mut dyn BufRead) -> Result<Report, Diagnostic> {
        let tracker = Tracker::default();
        let mut document = Document::default();
        json::read(
            input,
            &tracker,
            Object(Root {
                tracker: &tracker,
                document: &mut document,
            }),
        )?;
        if !document.has_tests {
            return Err(Diagnostic::whole(
                "CTRF report without `results.tests`: nothing to read",
            ));
        }
        let dialect = document
            .tool
            .as_deref()
            .map_or(Dialect::Generic, dialect_of);
        let mut report = Report {
            cases: document
                .tests
                .into_iter()
                .map(|t| t.case(dialect))
                .collect(),
            groups: Vec::new(),
            run: None,
            warnings: Vec::new(),
            history: None,
        };
        report.warnings = document.warnings.finish();
        Ok(report)
    }
}

/// The runner a CTRF `tool.name` names (`jest`, `@playwright/test`,
/// `vitest-ctrf`, `pytest-json-ctrf`…).
fn dialect_of(tool: &str) -> Dialect {
    let tool = tool.to_ascii_lowercase();
    if tool.contains("vitest") {
        Dialect::Vitest
    } else if tool.contains("jest") {
        Dialect::Jest
    } else if tool.contains("playwright") {
        Dialect::Playwright
    } else if tool.contains("mocha") {
        Dialect::Mocha
    } else if tool.contains("pytest") {
        Dialect::Pytest
    } else {
        Dialect::Generic
    }
}

#[derive(Default)]
struct Document {
    tool: Option<String>,
    tests: Vec<Entry>,
    has_tests: bool,
    warnings: WarningList,
}

/// One test as read, before the dialect (which may come after the tests in
/// the file) is known.
struct Entry {
    name: String,
    suite: Vec<String>,
    file: Option<String>,
    duration: Option<u64>,
    outcome: Outcome,
}

impl Entry {
    fn case(self, dialect: Dialect) -> TestCase {
        // pytest writers put the whole node id in `name`; the pytest runner
        // parses it without help.
        if dialect == Dialect::Pytest && self.name.contains("::") {
            return TestCase {
                name: self.name.into(),
                classname: None,
                suite: None,
                file: None,
                duration: self.duration,
                outcome: self.outcome,
                dialect,
                variant: None,
            };
        }
        TestCase {
            classname: (!self.suite.is_empty()).then(|| self.suite.join(" > ").into()),
            suite: self.suite.last().map(|s| s.as_str().into()),
            file: self.file.map(Shared::from),
            name: self.name.into(),
            duration: self.duration,
            outcome: self.outcome,
            dialect,
            variant: None,
        }
    }
}

/// The fields of a test entry that timing uses.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTest {
    name: Option<String>,
    status: Option<String>,
    duration: Option<Number>,
    suite: Option<SuitePath>,
    file_path: Option<String>,
    /// `true` when the test passed after failed attempts.
    flaky: Option<bool>,
    /// Earlier attempts, each with its `status`; read loosely, since only
    /// a failed one matters.
    retry_attempts: Option<serde_json::Value>,
}

impl RawTest {
    /// Whether the report says the test failed before it passed: `flaky`,
    /// or a retry attempt that did not pass.
    fn failed_first(&self) -> bool {
        self.flaky == Some(true)
            || self
                .retry_attempts
                .as_ref()
                .and_then(|a| a.as_array())
                .is_some_and(|attempts| {
                    attempts.iter().any(|a| {
                        a.get("status")
                            .and_then(|s| s.as_str())
                            .is_some_and(|s| outcome_of(Some(s)).failed())
                    })
                })
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SuitePath {
    Titles(Vec<String>),
    One(String),
}

#[derive(Deserialize)]
struct Tool {
    name: Option<String>,
}

fn outcome_of(status: Option<&str>) -> Outcome {
    match status {
        Some("passed") => Outcome::Passed,
        Some("skipped" | "pending") => Outcome::Skipped,
        // `failed`, `other` and anything unknown: not a trustworthy run.
        _ => Outcome::Failed,
    }
}

/// The top-level object: `reportFormat` is checked, `results` read.
struct Root<'a> {
    tracker: &'a Tracker,
    document: &'a mut Document,
}

impl<'de> Fields<'de> for Root<'_> {
    fn expecting(&self) -> &'static str {
        "a CTRF report object"
    }

    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "reportFormat" => {
                let at = self.tracker.offset();
                let format = map.next_value::<String>()?;
                if format != "CTRF" {
                    return Err(self
                        .tracker
                        .fail(at, format!("reportFormat is {format:?}, not \"CTRF\"")));
                }
            }
            "results" => map.next_value_seed(Object(Results {
                tracker: self.tracker,
                document: &mut *self.document,
            }))?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The `results` object: the tool's name and the tests, streamed.
struct Results<'a> {
    tracker: &'a Tracker,
    document: &'a mut Document,
}

impl<'de> Fields<'de> for Results<'_> {
    fn expecting(&self) -> &'static str {
        "the CTRF `results` object"
    }

    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "tool" => self.document.tool = map.next_value::<Tool>()?.name,
            "tests" => {
                let document = &mut *self.document;
                document.has_tests = true;
                map.next_value_seed(Objects::new(
                    self.tracker,
                    "the array of CTRF tests",
                    |raw: RawTest, at| {
                        document.add(raw, at);
                        Ok(())
                    },
                ))?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl Document {
    /// Keeps one test entry, or warns at `at` and skips it when it has no
    /// name.
    fn add(&mut self, mut raw: RawTest, at: u64) {
        let outcome = match outcome_of(raw.status.as_deref()) {
            Outcome::Passed if raw.failed_first() => Outcome::PassedOnRerun,
            outcome => outcome,
        };
        let Some(name) = raw.name.take().filter(|n| !n.trim().is_empty()) else {
            self.warnings
                .push(Diagnostic::at(at, "test without a name; skipped"));
            return;
        };
        let duration = raw
            .duration
            .and_then(|d| d.duration(0.001, at, &mut self.warnings));
        self.tests.push(Entry {
            name,
            suite: match raw.suite {
                Some(SuitePath::Titles(titles)) => titles,
                Some(SuitePath::One(title)) => vec![title],
                None => Vec::new(),
            },
            file: raw
                .file_path
                .filter(|f| !f.trim().is_empty())
                .map(|f| normalize_path(&f)),
            duration,
            outcome,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(doc: &str) -> Result<Report, Diagnostic> {
        Ctrf.read(&mut doc.as_bytes())
    }

    #[test]
    fn spec_fields_map_to_cases() {
        let doc = r#"{
  "reportFormat": "CTRF",
  "specVersion": "1.0.0",
  "results": {
    "tests": [
      {"name": "user can login", "status": "passed", "duration": 3500,
       "suite": ["Authentication", "Login"], "filePath": "./tests/auth/login.test.js",
       "retryAttempts": [{"attempt": 1, "status": "failed", "duration": 5100}]},
      {"name": "pending one", "status": "pending", "duration": 0},
      {"name": "odd", "status": "other", "duration": 14.721514999999954, "suite": "Root"}
    ],
    "tool": {"name": "jest"},
    "summary": {"tests": 3}
  }
}"#;
        assert!(Ctrf.sniff(doc.as_bytes()));
        let report = read(doc).unwrap();
        assert_eq!(report.cases.len(), 3);
        let first = &report.cases[0];
        assert_eq!(first.name, "user can login");
        assert_eq!(first.classname.as_deref(), Some("Authentication > Login"));
        assert_eq!(first.suite.as_deref(), Some("Login"));
        assert_eq!(first.file.as_deref(), Some("tests/auth/login.test.js"));
        assert_eq!(first.duration, Some(3_500_000));
        // Passed after a failed retry attempt.
        assert_eq!(first.outcome, Outcome::PassedOnRerun);
        assert!(report.cases.iter().all(|c| c.dialect == Dialect::Jest));
        assert_eq!(report.cases[1].outcome, Outcome::Skipped);
        assert_eq!(report.cases[2].duration, Some(14_722));
        assert_eq!(report.cases[2].outcome, Outcome::Failed);
        assert_eq!(report.cases[2].suite.as_deref(), Some("Root"));
    }

    #[test]
    fn lenient_without_report_format() {
        // vitest-ctrf before the spec: no reportFormat, fractional ms.
        let doc = r#"{"results": {"tool": {"name": "vitest"}, "tests": [{"name": "a", "status": "passed", "duration": 0.5}]}}"#;
        assert!(Ctrf.sniff(doc.as_bytes()));
        let report = read(doc).unwrap();
        assert_eq!(report.cases[0].duration, Some(500));
        assert_eq!(report.cases[0].dialect, Dialect::Vitest);
    }

    #[test]
    fn pytest_node_ids_stay_whole() {
        let doc = r#"{"results": {"tool": {"name": "pytest"}, "tests": [{"name": "tests/a.py::test_x", "status": "passed", "duration": 2, "filePath": "tests/a.py", "suite": ["tests/a.py"]}]}}"#;
        let case = &read(doc).unwrap().cases[0];
        assert_eq!(
            (
                case.name.as_str(),
                case.classname.as_deref(),
                case.file.as_deref()
            ),
            ("tests/a.py::test_x", None, None)
        );
    }

    #[test]
    fn problems_are_reported() {
        let e = read(r#"{"reportFormat": "JUnit", "results": {"tests": []}}"#).unwrap_err();
        assert!(e.message.contains("not \"CTRF\""), "{e:?}");
        let e = read(r#"{"reportFormat": "CTRF", "specVersion": "1"}"#).unwrap_err();
        assert!(e.message.contains("results.tests"), "{e:?}");
        let doc = "{\"results\": {\"tests\": [\n{\"status\": \"passed\", \"duration\": 1},\n{\"name\": \"b\", \"duration\": -4}]}}";
        let report = read(doc).unwrap();
        assert_eq!(report.cases.len(), 1);
        assert_eq!(report.cases[0].duration, None);
        assert_eq!(report.warnings.len(), 2);
        assert_eq!(
            report.warnings[0].offset,
            Some(doc.find("{\"status").unwrap() as u64)
        );
        let e = read("{\"results\": {\"tests\": [{\"name\": 3}]}}").unwrap_err();
        assert!(e.message.contains("invalid type"), "{e:?}");
    }

    #[test]
    fn sniffs_ctrf_only() {
        assert!(!Ctrf.sniff(b"{\"target\": \"x\", \"tests\": []}"));
        assert!(!Ctrf.sniff(b"{\"reportFormat\": \"other\"}"));
        assert!(!Ctrf.sniff(b"{\"results\": []}"));
        assert!(!Ctrf.sniff(b"{\"stats\": {}}"));
    }
}
