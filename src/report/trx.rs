//! .NET TRX, the Visual Studio test results file (`dotnet test --logger
//! trx`, `formats.md` §5).
//!
//! Streamed with the same XML machinery as JUnit (`junit::read_xml`:
//! encodings, entities, captured output skipped unbuffered). A test's
//! identity is not in its result: `UnitTestResult@testId` points at a
//! `UnitTest` in `TestDefinitions` (usually after the results), whose
//! `TestMethod` gives `className` and `name` — the parts of the
//! `FullyQualifiedName` that `dotnet test --filter` selects by. `testName`
//! alone may be an xUnit display name (`Should be even number(i: 3)`), so it
//! is used only when a result has no definition.
//!
//! Results nested in `InnerResults` (MSTest data rows, ordered tests) are
//! parts of their parent, whose duration already includes them: only
//! top-level results are cases. Top-level results of one method with
//! different `testName`s (xUnit and NUnit theory rows,
//! `Is_Even_Number(i: 2)`) are distinct rows that all run when the filter
//! selects the method: each row's `testName` is its
//! [`TestCase::variant`], so their times add up instead of averaging as
//! reruns.

use std::collections::HashMap;
use std::io::BufRead;

use quick_xml::events::BytesStart;

use super::junit::{
    XmlHandler, budget, case_bytes, decode_head, each_attribute, first_element_name, read_xml,
};
use super::{Diagnostic, Dialect, Outcome, Report, ReportFormat, TestCase, WarningList};
use crate::case::Shared;
use crate::duration::{Micros, ParsedTime, parse_seconds};

/// The TRX reader (`--format trx`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Trx;

impl ReportFormat for Trx {
    fn name(&self) -> &'static str {
        "trx"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        first_element_name(&decode_head(head)) == Some("TestRun")
    }

    fn read(&self, input: &mut dyn BufRead) -> Result<Report, Diagnostic> {
        read_xml::<State>(input)
    }
}

/// What a test run's `outcome` says about timing. Results that did not run
/// (`NotExecuted`, `Inconclusive`, `Pending`…) are skips; `Passed` variants
/// are passes; `Error` is an error; everything else (`Failed`, `Timeout`,
/// `Aborted`…) is a failure.
fn outcome_of(outcome: Option<&str>) -> Outcome {
    match outcome {
        None | Some("Passed" | "PassedButRunAborted" | "Completed" | "Warning") => Outcome::Passed,
        Some("NotExecuted" | "Inconclusive" | "Pending" | "NotRunnable" | "Disconnected") => {
            Outcome::Skipped
        }
        Some("Error") => Outcome::Errored,
        Some(_) => Outcome::Failed,
    }
}

/// The last component of a Windows or POSIX path: the assembly file.
fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// A top-level result, waiting for its definition.
struct RunResult {
    test_id: Option<String>,
    test_name: Option<String>,
    duration: Option<Micros>,
    outcome: Outcome,
}

/// `TestMethod`'s identity for one `UnitTest`.
struct Definition {
    class_name: Option<String>,
    method: Option<String>,
    assembly: Option<String>,
}

enum Frame {
    InnerResults,
    UnitTest,
    Other(Box<str>),
}

#[derive(Default)]
struct State {
    stack: Vec<Frame>,
    root_seen: bool,
    /// Open `InnerResults` elements.
    inner: usize,
    results: Vec<RunResult>,
    definitions: HashMap<String, Definition>,
    /// The `id` and `storage` of the open `UnitTest`.
    unit_test: Option<(String, Option<String>)>,
    warnings: WarningList,
    /// Offset of the last tag read: how much input the cases come from.
    last_at: u64,
}

impl State {
    fn result(&mut self, tag: &BytesStart, at: u64) -> Result<(), Diagnostic> {
        let mut result = RunResult {
            test_id: None,
            test_name: None,
            duration: None,
            outcome: Outcome::Passed,
        };
        let mut outcome = None;
        let mut duration = None;
        each_attribute(tag, at, |name, value, place| match name {
            "testId" => result.test_id = Some(value.into_owned()),
            "testName" => result.test_name = Some(value.into_owned()),
            "outcome" => outcome = Some(value.into_owned()),
            "duration" => duration = Some((value.into_owned(), place)),
            _ => {}
        })?;
        result.outcome = outcome_of(outcome.as_deref());
        result.duration = duration.and_then(|(raw, place)| match parse_seconds(&raw) {
            ParsedTime::Known(micros) => Some(micros),
            ParsedTime::Missing => None,
            ParsedTime::Invalid(why) => {
                self.warnings
                    .push(Diagnostic::at(place, format!("{why}; treated as unknown")));
                None
            }
        });
        self.results.push(result);
        Ok(())
    }

    fn unit_test(&mut self, tag: &BytesStart, at: u64) -> Result<(), Diagnostic> {
        let (mut id, mut storage) = (None, None);
        each_attribute(tag, at, |name, value, _| match name {
            "id" => id = Some(value.into_owned()),
            "storage" => storage = Some(value.into_owned()),
            _ => {}
        })?;
        self.unit_test = id.map(|id| (id, storage));
        Ok(())
    }

    fn test_method(&mut self, tag: &BytesStart, at: u64) -> Result<(), Diagnostic> {
        let Some((id, storage)) = self.unit_test.clone() else {
            return Ok(());
        };
        let mut definition = Definition {
            class_name: None,
            method: None,
            assembly: storage.as_deref().map(|s| file_name(s).to_string()),
        };
        each_attribute(tag, at, |name, value, _| match name {
            "className" => definition.class_name = Some(value.into_owned()),
            "name" => definition.method = Some(value.into_owned()),
            "codeBase" if definition.assembly.is_none() => {
                definition.assembly = Some(file_name(&value).to_string());
            }
            _ => {}
        })?;
        self.definitions.insert(id, definition);
        Ok(())
    }
}

impl XmlHandler for State {
    fn root_seen(&self) -> bool {
        self.root_seen
    }

    fn innermost(&self) -> Option<&str> {
        self.stack.last().map(|open| match open {
            Frame::InnerResults => "InnerResults",
            Frame::UnitTest => "UnitTest",
            Frame::Other(name) => name,
        })
    }

    fn start(&mut self, tag: &BytesStart, at: u64) -> Result<(), Diagnostic> {
        self.last_at = at;
        let local = tag.local_name();
        let local: &str = local.as_ref();
        if self.stack.is_empty() {
            if self.root_seen {
                return Err(Diagnostic::at(
                    at,
                    format!(
                        "malformed XML: a second root element <{local}> after the end of the report"
                    ),
                ));
            }
            if local != "TestRun" {
                return Err(Diagnostic::at(
                    at,
                    format!("not a TRX report: the root element is <{local}>, not <TestRun>"),
                ));
            }
            self.root_seen = true;
        }
        let frame = match local {
            "UnitTestResult" if self.inner == 0 => {
                self.result(tag, at)?;
                Frame::Other(local.into())
            }
            "InnerResults" => {
                self.inner += 1;
                Frame::InnerResults
            }
            "UnitTest" => {
                self.unit_test(tag, at)?;
                Frame::UnitTest
            }
            "TestMethod" => {
                self.test_method(tag, at)?;
                Frame::Other(local.into())
            }
            _ => Frame::Other(local.into()),
        };
        self.stack.push(frame);
        Ok(())
    }

    fn end(&mut self) {
        match self.stack.pop() {
            Some(Frame::InnerResults) => self.inner -= 1,
            Some(Frame::UnitTest) => self.unit_test = None,
            _ => {}
        }
    }

    fn finish(mut self) -> Result<Report, Diagnostic> {
        let mut undefined = 0usize;
        let mut cases = Vec::with_capacity(self.results.len());
        // Many short results may name one long definition: bound what
        // they add up to, as the JUnit reader does.
        let mut kept = 0u64;
        let limit = budget::kept_limit(self.last_at);
        for result in self.results {
            let definition = result
                .test_id
                .as_ref()
                .and_then(|id| self.definitions.get(id))
                .filter(|d| d.method.is_some());
            let (name, classname, suite, row) = match definition {
                Some(d) => {
                    // A theory's data rows share the method (what the
                    // filter selects) but are distinct tests, each with its
                    // own testName: their times add up when the method
                    // runs, so each row is a variant, not a rerun.
                    let qualified = match (&d.class_name, &d.method) {
                        (Some(class), Some(method)) => format!("{class}.{method}"),
                        (None, Some(method)) => method.clone(),
                        _ => String::new(),
                    };
                    let row = result
                        .test_name
                        .filter(|n| *n != qualified && Some(n) != d.method.as_ref());
                    (
                        d.method.clone(),
                        d.class_name.clone(),
                        d.assembly.clone(),
                        row,
                    )
                }
                None => {
                    undefined += 1;
                    (result.test_name, None, None, None)
                }
            };
            let Some(name) = name.filter(|n| !n.trim().is_empty()) else {
                self.warnings.push(Diagnostic::whole(
                    "a result with neither a test definition nor a testName; skipped",
                ));
                continue;
            };
            let case = TestCase {
                name: name.into(),
                classname: classname.map(Shared::from),
                suite: suite.map(Shared::from),
                file: None,
                duration: result.duration,
                outcome: result.outcome,
                dialect: Dialect::Dotnet,
                variant: row.map(Shared::from),
            };
            kept += case_bytes(&case);
            if kept > limit {
                return Err(budget::too_much_kept(self.last_at));
            }
            cases.push(case);
        }
        if undefined > 0 {
            self.warnings.push(Diagnostic::whole(format!(
                "{undefined} results have no <UnitTest> definition; named by their testName, which may be a display name"
            )));
        }
        Ok(Report {
            cases,
            groups: Vec::new(),
            warnings: self.warnings.finish(),
            run: None,
            history: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(doc: &str) -> Result<Report, Diagnostic> {
        Trx.read(&mut doc.as_bytes())
    }

    /// Issue 14 item 8: short results naming one long definition cannot
    /// repeat it without bound.
    #[test]
    fn repeated_long_definitions_are_bounded() {
        let mut doc = String::from("<TestRun><Results>");
        doc.push_str(&"<UnitTestResult testId=\"t\" duration=\"00:00:01\"/>".repeat(200));
        doc.push_str(
            "</Results><TestDefinitions><UnitTest id=\"t\"><TestMethod className=\"C\" name=\"",
        );
        doc.extend(std::iter::repeat_n('m', 1 << 20));
        doc.push_str("\"/></UnitTest></TestDefinitions></TestRun>");
        let e = read(&doc).unwrap_err();
        assert!(e.message.contains("add up to more than"), "{e:?}");
    }

    /// Issue 14 item 13: theory rows of one method are variants (distinct
    /// costs), a plain result has none.
    #[test]
    fn theory_rows_are_variants() {
        let doc = "<TestRun><Results>\
            <UnitTestResult testId=\"a\" testName=\"Ns.C.Even(i: 2)\" duration=\"00:00:01\"/>\
            <UnitTestResult testId=\"b\" testName=\"Ns.C.Even(i: 3)\" duration=\"00:00:02\"/>\
            <UnitTestResult testId=\"c\" testName=\"Ns.C.Plain\" duration=\"00:00:03\"/>\
            </Results><TestDefinitions>\
            <UnitTest id=\"a\"><TestMethod className=\"Ns.C\" name=\"Even\"/></UnitTest>\
            <UnitTest id=\"b\"><TestMethod className=\"Ns.C\" name=\"Even\"/></UnitTest>\
            <UnitTest id=\"c\"><TestMethod className=\"Ns.C\" name=\"Plain\"/></UnitTest>\
            </TestDefinitions></TestRun>";
        let report = read(doc).unwrap();
        let variants: Vec<Option<&str>> =
            report.cases.iter().map(|c| c.variant.as_deref()).collect();
        assert_eq!(
            variants,
            [Some("Ns.C.Even(i: 2)"), Some("Ns.C.Even(i: 3)"), None]
        );
    }

    const TRX: &str = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>
<TestRun id=\"1\" xmlns=\"http://microsoft.com/schemas/VisualStudio/TeamTest/2010\">
  <Results>
    <UnitTestResult testId=\"t1\" testName=\"Ns.CalcTests.Adds\" duration=\"00:00:01.5000000\" outcome=\"Passed\" />
    <UnitTestResult testId=\"t2\" testName=\"Should be even(i: 3)\" duration=\"00:00:00.0006537\" outcome=\"Failed\">
      <Output><ErrorInfo><Message>Assert &lt; failed</Message></ErrorInfo></Output>
    </UnitTestResult>
    <UnitTestResult testId=\"t3\" testName=\"Rows\" duration=\"00:00:02\" outcome=\"Passed\">
      <InnerResults>
        <UnitTestResult testId=\"t3\" testName=\"Rows (1)\" duration=\"00:00:01\" outcome=\"Passed\" />
        <UnitTestResult testId=\"t3\" testName=\"Rows (2)\" duration=\"00:00:01\" outcome=\"Passed\" />
      </InnerResults>
    </UnitTestResult>
    <UnitTestResult testId=\"t4\" testName=\"Skipped\" outcome=\"NotExecuted\" />
    <UnitTestResult testId=\"gone\" testName=\"Ns.Orphan.Test\" duration=\"1.00:00:00\" outcome=\"Timeout\" />
  </Results>
  <TestDefinitions>
    <UnitTest name=\"Adds\" storage=\"c:\\src\\ns.tests.dll\" id=\"t1\">
      <TestMethod codeBase=\"C:\\src\\Ns.Tests.dll\" className=\"Ns.CalcTests\" name=\"Adds\" />
    </UnitTest>
    <UnitTest name=\"Theory\" storage=\"/src/ns.tests.dll\" id=\"t2\"><TestMethod className=\"Ns.CalcTests\" name=\"Theory\" /></UnitTest>
    <UnitTest name=\"Rows\" id=\"t3\"><TestMethod codeBase=\"/b/Ns.Tests.dll\" className=\"Ns.DataTests\" name=\"Rows\" /></UnitTest>
    <UnitTest name=\"Skipped\" id=\"t4\"><TestMethod className=\"Ns.CalcTests\" name=\"Skipped\" /></UnitTest>
  </TestDefinitions>
</TestRun>";

    #[test]
    fn results_joined_to_definitions() {
        let report = read(TRX).unwrap();
        let got: Vec<(Option<&str>, &str, Option<Micros>, Outcome)> = report
            .cases
            .iter()
            .map(|c| {
                (
                    c.classname.as_deref(),
                    c.name.as_str(),
                    c.duration,
                    c.outcome,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    Some("Ns.CalcTests"),
                    "Adds",
                    Some(1_500_000),
                    Outcome::Passed
                ),
                (Some("Ns.CalcTests"), "Theory", Some(654), Outcome::Failed),
                (
                    Some("Ns.DataTests"),
                    "Rows",
                    Some(2_000_000),
                    Outcome::Passed
                ),
                (Some("Ns.CalcTests"), "Skipped", None, Outcome::Skipped),
                (
                    None,
                    "Ns.Orphan.Test",
                    Some(86_400_000_000),
                    Outcome::Failed
                ),
            ]
        );
        assert_eq!(report.cases[0].suite.as_deref(), Some("ns.tests.dll"));
        assert_eq!(report.cases[2].suite.as_deref(), Some("Ns.Tests.dll"));
        assert!(report.cases.iter().all(|c| c.dialect == Dialect::Dotnet));
        assert_eq!(report.warnings.len(), 1);
        assert!(report.warnings[0].message.contains("1 results have no"));
    }

    #[test]
    fn sniffs_the_test_run_root() {
        assert!(Trx.sniff(TRX.as_bytes()));
        assert!(!Trx.sniff(b"<testsuites/>"));
        assert!(!Trx.sniff(b"<test-run/>"));
    }

    #[test]
    fn errors_name_the_place() {
        let e = read("<testsuites/>").unwrap_err();
        assert!(e.message.contains("not a TRX report"), "{e:?}");
        let cut = &TRX[..TRX.find("<TestDefinitions>").unwrap()];
        let e = read(cut).unwrap_err();
        assert!(e.message.contains("file ends inside <TestRun>"), "{e:?}");
        let bad = TRX.replace("duration=\"00:00:02\"", "duration=\"soon\"");
        let report = read(&bad).unwrap();
        assert_eq!(report.cases[2].duration, None);
        assert!(report.warnings[0].message.contains("unreadable time"));
        assert_eq!(
            report.warnings[0].offset,
            Some(bad.find("duration=\"soon\"").unwrap() as u64)
        );
    }

    #[test]
    fn utf16_is_read() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in TRX.trim_start_matches('\u{feff}').encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        assert!(Trx.sniff(&bytes));
        assert_eq!(Trx.read(&mut &bytes[..]).unwrap().cases.len(), 5);
    }
}
