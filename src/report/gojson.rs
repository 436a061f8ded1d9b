//! `go test -json` event streams (test2json, `formats.md` §2).
//!
//! The stream is read line by line; each line is one event. Only what
//! timing needs is kept:
//!
//! * A case per terminal event (`pass`, `fail`, `skip`) of a **top-level**
//!   test. A parent's time includes its subtests (`TestA/x`), so subtests
//!   are not cases: counting them would count their time twice. That time
//!   is the parent's `Elapsed`, or its active span from its `run` to that
//!   event (`Time` stamps, less its own `pause`..`cont` waits) when longer:
//!   a parent whose subtests call `t.Parallel` returns at once and reports
//!   an `Elapsed` of about 0, yet holds the package's binary until they end.
//!   A test that ran twice (`-count=2`, `gotestsum --rerun-fails`) is two
//!   cases of one test, as in any report.
//! * A [`GroupTime`] per package run: the package's own terminal event
//!   carries the wall time of its test binary, which exceeds the sum of its
//!   tests by its setup cost (and is less than it with `t.Parallel`), and
//!   its `Time` stamps the end, so the run started `Elapsed` before it.
//!
//! * Each package run's wait ([`GroupTime::wait`], by
//!   [`super::slot_waits`]): go links a package's test binary (and vets
//!   it) between the binaries it runs, up to `-p` at a time; how long
//!   before a package started its slot was free is that package's share
//!   of the per-package cost. Linking `x/text/collate` takes ten times
//!   as long as most.
//!
//! * The run's window ([`RunWindow`]): from the earliest package start or
//!   event stamp to the latest stamp. It holds every package's test binary
//!   and the building and linking between them, but not `go test`'s own
//!   start-up before the first: what the learned cost model charges per
//!   package, measured apart from the start-up.
//!
//! Lines that are not JSON (a `TestMain`'s prints, `go vet` output, build
//! errors before Go 1.24) are skipped, as `go tool test2json` consumers do;
//! build events (`build-output`, `build-fail`) and package-level events are
//! not tests. Unknown actions are ignored.
//!
//! Packages run in parallel interleave their events, so cases are grouped
//! by package (packages in order of first appearance, each package's cases
//! in file order) to give each package run a contiguous range.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::BufRead;

use serde::Deserialize;

use super::json::Head;
use super::{
    BoundedLines, Diagnostic, Dialect, GroupTime, Line, Outcome, Report, ReportFormat, RunWindow,
    TestCase, WarningList, line_too_long,
};
use crate::case::Shared;
use crate::duration::{Instant, Micros, parse_timestamp, seconds_to_micros};

/// The `go test -json` reader (`--format go-json`).
#[derive(Debug, Clone, Copy, Default)]
pub struct GoJson;

/// The fields of a test2json event that timing uses.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "Action", borrow)]
    action: Cow<'a, str>,
    #[serde(rename = "Package", borrow, default)]
    package: Option<Cow<'a, str>>,
    #[serde(rename = "Test", borrow, default)]
    test: Option<Cow<'a, str>>,
    #[serde(rename = "Elapsed", default)]
    elapsed: Option<f64>,
    #[serde(rename = "Time", borrow, default)]
    time: Option<Cow<'a, str>>,
}

/// When a top-level test ran, from its events' `Time` stamps: a test whose
/// work is in parallel subtests reports an `Elapsed` of about 0 on its own
/// `pass`, though it holds the package's binary for all of their time.
#[derive(Default)]
struct Span {
    /// The `run` event's time.
    started: Option<Instant>,
    /// The test's own `pause` (a `t.Parallel` test waiting for the
    /// sequential ones), until its `cont`.
    paused: Option<Instant>,
    /// Time spent paused so far: not the test's cost.
    waited: i64,
}

impl Span {
    /// The test's active time at `end`, if its start is known.
    fn active(&self, end: Instant) -> Option<Micros> {
        let waited = self.waited + self.paused.map_or(0, |p| end - p);
        let active = end.checked_sub(self.started?)?.checked_sub(waited)?;
        Micros::try_from(active).ok()
    }
}

impl ReportFormat for GoJson {
    fn name(&self) -> &'static str {
        "go-json"
    }

    /// The first line that looks like JSON must be a test2json or build
    /// event: Go writes `Time` (absent for cached results) or `ImportPath`
    /// first, and always an `Action`. Non-JSON lines before it are allowed.
    fn sniff(&self, head: &[u8]) -> bool {
        let head = head.strip_prefix(super::json::BOM).unwrap_or(head);
        head.split(|&b| b == b'\n')
            .map(<[u8]>::trim_ascii)
            .find(|line| line.starts_with(b"{"))
            .is_some_and(|line| {
                let mut json = Head::new(line);
                json.eat(b'{').is_some()
                    && matches!(
                        json.key().as_deref(),
                        Some("Time" | "Action" | "ImportPath")
                    )
                    && contains(line, b"\"Action\"")
            })
    }

    fn read(&self, input: &mut dyn BufRead) -> Result<Report, Diagnostic> {
        let mut stream = Stream::default();
        let mut lines = BoundedLines::new(input);
        let mut offset = 0u64;
        while let Some(line) = lines.next_line(offset)? {
            match line {
                Line::Text(text) => stream.line(text, offset),
                // Only captured output makes a line this long.
                Line::TooLong(len) => stream.warnings.push(line_too_long(offset, len)),
            }
            offset += line.len();
        }
        stream.finish()
    }
}

/// A number for a message: as written when short, else in scientific
/// notation (`1e300`, not three hundred digits).
fn shown(seconds: f64) -> String {
    let plain = seconds.to_string();
    if plain.len() <= 24 {
        plain
    } else {
        format!("{seconds:e}")
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// One package's cases so far, in runs: a run ends at the package's own
/// terminal event.
#[derive(Default)]
struct Package {
    /// Closed runs: their cases, the package's elapsed time and when it
    /// ended (its terminal event's `Time`).
    runs: Vec<(Vec<TestCase>, Option<Micros>, Option<Instant>)>,
    /// Cases since the last package event.
    open: Vec<TestCase>,
}

#[derive(Default)]
struct Stream {
    /// Packages by name, and their order of first appearance.
    packages: HashMap<String, usize>,
    /// Top-level tests running, by package and name.
    spans: HashMap<(String, String), Span>,
    order: Vec<Package>,
    events: usize,
    /// The earliest and latest `Time` stamps seen.
    stamps: Option<(Instant, Instant)>,
    warnings: WarningList,
}

impl Stream {
    fn line(&mut self, raw: &[u8], at: u64) {
        let text = raw.trim_ascii();
        if !text.starts_with(b"{") {
            return;
        }
        let event: Event = match serde_json::from_slice(text) {
            Ok(event) => event,
            Err(_) => {
                self.warnings.push(Diagnostic::at(
                    at,
                    "line starts like JSON but is not a test2json event; skipped",
                ));
                return;
            }
        };
        self.events += 1;
        let time = event.time.as_deref().and_then(parse_timestamp);
        if let Some(time) = time {
            self.stamps = Some(match self.stamps {
                Some((first, last)) => (first.min(time), last.max(time)),
                None => (time, time),
            });
        }
        let top_level = event
            .test
            .as_deref()
            .filter(|test| !super::is_go_subtest(test));
        let outcome = match event.action.as_ref() {
            "pass" => Outcome::Passed,
            "fail" => Outcome::Failed,
            "skip" => Outcome::Skipped,
            action => {
                if let (Some(test), Some(time)) = (top_level, time) {
                    let key = (
                        event.package.as_deref().unwrap_or("").to_string(),
                        test.to_string(),
                    );
                    match action {
                        "run" => {
                            self.spans.insert(
                                key,
                                Span {
                                    started: Some(time),
                                    ..Span::default()
                                },
                            );
                        }
                        "pause" => {
                            self.spans.entry(key).or_default().paused = Some(time);
                        }
                        "cont" => {
                            let span = self.spans.entry(key).or_default();
                            if let Some(paused) = span.paused.take() {
                                span.waited += time - paused;
                            }
                        }
                        _ => {}
                    }
                }
                return;
            }
        };
        let duration = event.elapsed.and_then(|seconds| {
            let micros = seconds_to_micros(seconds);
            if micros.is_none() {
                self.warnings.push(Diagnostic::at(
                    at,
                    format!("unusable Elapsed {}; treated as unknown", shown(seconds)),
                ));
            }
            micros
        });
        let package_name = event.package.as_deref().unwrap_or("");
        match event.test.as_deref() {
            None => {
                let package = self.package(package_name);
                let cases = std::mem::take(&mut package.open);
                package.runs.push((cases, duration, time));
            }
            Some(test) if !super::is_go_subtest(test) => {
                // The test's own Elapsed, or its active span when that is
                // longer: the span holds parallel subtests that ran after
                // the test's function returned.
                let span = self
                    .spans
                    .remove(&(package_name.to_string(), test.to_string()))
                    .zip(time)
                    .and_then(|(span, end)| span.active(end));
                let duration = match (duration, span) {
                    (Some(elapsed), Some(span)) => Some(elapsed.max(span)),
                    (elapsed, span) => elapsed.or(span),
                };
                let package = self.package(package_name);
                let package_field: Option<Shared> =
                    (!package_name.is_empty()).then(|| package_name.into());
                package.open.push(TestCase {
                    name: test.into(),
                    classname: package_field.clone(),
                    suite: package_field,
                    file: None,
                    duration,
                    outcome,
                    dialect: Dialect::Go,
                    variant: None,
                });
            }
            Some(_) => {}
        }
    }

    fn package(&mut self, name: &str) -> &mut Package {
        let index = match self.packages.get(name) {
            Some(&index) => index,
            None => {
                self.packages.insert(name.to_string(), self.order.len());
                self.order.push(Package::default());
                self.order.len() - 1
            }
        };
        &mut self.order[index]
    }

    fn finish(self) -> Result<Report, Diagnostic> {
        if self.events == 0 {
            return Err(Diagnostic::whole(
                "no test2json events: is this the output of `go test -json`?",
            ));
        }
        let mut report = Report::default();
        for package in self.order {
            for (cases, elapsed, end) in package.runs {
                let start = report.cases.len();
                report.cases.extend(cases);
                if let Some(duration) = elapsed
                    && report.cases.len() > start
                {
                    report.groups.push(GroupTime {
                        cases: start..report.cases.len(),
                        duration,
                        start: end.map(|end| end - i64::try_from(duration).unwrap_or(0)),
                        wait: None,
                    });
                }
            }
            report.cases.extend(package.open);
        }
        super::slot_waits(&mut report.groups);
        // A package's binary started `Elapsed` before its last stamp,
        // before its first event.
        let first_start = report.groups.iter().filter_map(|g| g.start).min();
        report.run = self.stamps.map(|(first, last)| {
            let start = first_start.map_or(first, |s| s.min(first));
            RunWindow {
                start,
                duration: u64::try_from(last.saturating_sub(start)).unwrap_or(0),
            }
        });
        report.warnings = self.warnings.finish();
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Report, Diagnostic> {
        GoJson.read(&mut text.as_bytes())
    }

    fn summary(report: &Report) -> Vec<(String, String, Option<Micros>, Outcome)> {
        report
            .cases
            .iter()
            .map(|c| {
                (
                    c.classname.as_deref().unwrap_or_default().to_string(),
                    c.name.to_string(),
                    c.duration,
                    c.outcome,
                )
            })
            .collect()
    }

    /// A test whose work is all in parallel subtests: its own `pass` says
    /// Elapsed 0, but it held the package's binary from its `run` to its
    /// `pass` (42s); a `t.Parallel` top-level test waiting for the
    /// sequential ones is charged its active time only (1s of 11s).
    #[test]
    fn a_top_level_test_costs_its_active_span() {
        let stream = r#"{"Time":"2025-01-01T00:00:00Z","Action":"run","Package":"p","Test":"TestFanOut"}
{"Time":"2025-01-01T00:00:00.1Z","Action":"run","Package":"p","Test":"TestFanOut/a"}
{"Time":"2025-01-01T00:00:00.1Z","Action":"pause","Package":"p","Test":"TestFanOut/a"}
{"Time":"2025-01-01T00:00:00.2Z","Action":"cont","Package":"p","Test":"TestFanOut/a"}
{"Time":"2025-01-01T00:00:42Z","Action":"pass","Package":"p","Test":"TestFanOut/a","Elapsed":41.8}
{"Time":"2025-01-01T00:00:42Z","Action":"pass","Package":"p","Test":"TestFanOut","Elapsed":0}
{"Time":"2025-01-01T00:00:42Z","Action":"run","Package":"p","Test":"TestWaits"}
{"Time":"2025-01-01T00:00:42Z","Action":"pause","Package":"p","Test":"TestWaits"}
{"Time":"2025-01-01T00:00:52Z","Action":"cont","Package":"p","Test":"TestWaits"}
{"Time":"2025-01-01T00:00:53Z","Action":"pass","Package":"p","Test":"TestWaits","Elapsed":1}
{"Time":"2025-01-01T00:00:53.5Z","Action":"pass","Package":"p","Elapsed":53.5}
"#;
        let report = read(stream).unwrap();
        assert_eq!(
            summary(&report),
            [
                (
                    "p".into(),
                    "TestFanOut".into(),
                    Some(42_000_000),
                    Outcome::Passed
                ),
                (
                    "p".into(),
                    "TestWaits".into(),
                    Some(1_000_000),
                    Outcome::Passed
                ),
            ]
        );
        // The package keeps only what really is its own (0.5s here).
        assert_eq!(report.groups[0].duration, 53_500_000);
    }

    /// Two packages run in parallel, with subtests, a skip, a rerun of a
    /// failed test, a build failure and non-JSON noise.
    const STREAM: &str = r##"{"ImportPath":"ex/broken [ex/broken.test]","Action":"build-output","Output":"# ex/broken\n"}
{"ImportPath":"ex/broken [ex/broken.test]","Action":"build-fail"}
{"Time":"2025-01-01T00:00:00Z","Action":"start","Package":"ex/a"}
{"Time":"2025-01-01T00:00:00Z","Action":"run","Package":"ex/a","Test":"TestOne"}
{"Time":"2025-01-01T00:00:00Z","Action":"run","Package":"ex/b","Test":"TestB"}
hello from TestMain
{"Time":"2025-01-01T00:00:00Z","Action":"run","Package":"ex/a","Test":"TestOne/sub"}
{"Time":"2025-01-01T00:00:00Z","Action":"pass","Package":"ex/a","Test":"TestOne/sub","Elapsed":0.5}
{"Time":"2025-01-01T00:00:00Z","Action":"pass","Package":"ex/a","Test":"TestOne","Elapsed":0.51}
{"Time":"2025-01-01T00:00:00Z","Action":"fail","Package":"ex/b","Test":"TestB","Elapsed":1.2}
{"Time":"2025-01-01T00:00:00Z","Action":"skip","Package":"ex/a","Test":"TestSkip","Elapsed":0}
{"Time":"2025-01-01T00:00:00Z","Action":"pass","Package":"ex/a","Elapsed":0.734}
{"Time":"2025-01-01T00:00:00Z","Action":"fail","Package":"ex/b","Elapsed":1.3}
{"Time":"2025-01-01T00:00:01Z","Action":"pass","Package":"ex/b","Test":"TestB","Elapsed":1.1}
{"Time":"2025-01-01T00:00:01Z","Action":"pass","Package":"ex/b","Elapsed":1.15}
{"Time":"2025-01-01T00:00:01Z","Action":"fail","Package":"ex/broken","Elapsed":0,"FailedBuild":"ex/broken [ex/broken.test]"}
"##;

    #[test]
    fn top_level_tests_grouped_by_package() {
        let report = read(STREAM).unwrap();
        let p =
            |pkg: &str, name: &str, d: Micros, o| (pkg.to_string(), name.to_string(), Some(d), o);
        assert_eq!(
            summary(&report),
            [
                p("ex/a", "TestOne", 510_000, Outcome::Passed),
                p("ex/a", "TestSkip", 0, Outcome::Skipped),
                p("ex/b", "TestB", 1_200_000, Outcome::Failed),
                p("ex/b", "TestB", 1_100_000, Outcome::Passed),
            ]
        );
        assert!(report.cases.iter().all(|c| c.dialect == Dialect::Go));
        assert_eq!(report.cases[0].suite.as_deref(), Some("ex/a"));
        assert_eq!(
            report.groups,
            [
                GroupTime {
                    cases: 0..2,
                    duration: 734_000,
                    start: Some(1_735_689_600_000_000 - 734_000),
                    wait: None,
                },
                GroupTime {
                    cases: 2..3,
                    duration: 1_300_000,
                    start: Some(1_735_689_600_000_000 - 1_300_000),
                    wait: None,
                },
                GroupTime {
                    cases: 3..4,
                    duration: 1_150_000,
                    start: Some(1_735_689_601_000_000 - 1_150_000),
                    wait: None,
                },
            ]
        );
        // From ex/b's first binary start (1.3 s before its first end) to
        // the last stamp.
        assert_eq!(
            report.run,
            Some(RunWindow {
                start: 1_735_689_600_000_000 - 1_300_000,
                duration: 2_300_000
            })
        );
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    }

    #[test]
    fn sniffs_test2json_only() {
        assert!(GoJson.sniff(STREAM.as_bytes()));
        assert!(GoJson.sniff(b"{\"Action\":\"output\",\"Test\":\"TestX\"}\n"));
        assert!(GoJson.sniff(b"noise\n|||\n{\"Time\":\"x\",\"Action\":\"run\""));
        // Re-serialised by another tool, with spaces.
        assert!(GoJson.sniff(b"{\"Time\": \"x\", \"Action\": \"run\"}"));
        assert!(!GoJson.sniff(b"{\"Time\": 1}\n"));
        assert!(!GoJson.sniff(b"{\"reportFormat\":\"CTRF\"}"));
        assert!(!GoJson.sniff(b"{\"protocolVersion\":\"0.1.1\",\"type\":\"start\"}"));
        assert!(!GoJson.sniff(b"<testsuites/>"));
        assert!(!GoJson.sniff(b"spec/a_spec.rb:1.5\n"));
    }

    #[test]
    fn broken_lines_are_skipped_with_a_warning() {
        let text = "{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestA\",\"Elapsed\":0.1}\n\
                    {\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"Tes";
        let report = read(text).unwrap();
        assert_eq!(report.cases.len(), 1);
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(
            report.warnings[0].offset,
            Some(text.find("\n").unwrap() as u64 + 1)
        );
    }

    #[test]
    fn negative_elapsed_is_unknown() {
        let report =
            read("{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestA\",\"Elapsed\":-1}\n")
                .unwrap();
        assert_eq!(report.cases[0].duration, None);
        assert!(report.warnings[0].message.contains("Elapsed -1"));
    }

    /// Issue 14 item 11: a huge `Elapsed` is shown in scientific notation.
    #[test]
    fn huge_elapsed_is_shown_short() {
        let report =
            read("{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestA\",\"Elapsed\":1e300}\n")
                .unwrap();
        assert_eq!(report.cases[0].duration, None);
        assert_eq!(
            report.warnings[0].message,
            "unusable Elapsed 1e300; treated as unknown"
        );
    }

    /// Issue 14 item 8: a line longer than the limit (captured output) is
    /// skipped unread with a warning; the events around it still count.
    #[test]
    fn overlong_lines_are_skipped_unread() {
        let long = format!(
            "{{\"Action\":\"output\",\"Package\":\"p\",\"Output\":\"{}\"}}\n",
            "x".repeat(crate::report::MAX_LINE_BYTES)
        );
        let text = format!(
            "{long}{{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestA\",\"Elapsed\":1}}\n"
        );
        let report = read(&text).unwrap();
        assert_eq!(report.cases.len(), 1);
        assert_eq!(report.warnings[0].offset, Some(0));
        assert!(report.warnings[0].message.contains("skipped unread"));
    }

    #[test]
    fn no_events_is_an_error() {
        assert!(
            read("just text\n")
                .unwrap_err()
                .message
                .contains("no test2json events")
        );
        assert!(read("").is_err());
    }

    #[test]
    fn events_without_package_keep_no_package() {
        let report = read("{\"Action\":\"pass\",\"Test\":\"TestA\",\"Elapsed\":0.1}\n").unwrap();
        assert_eq!(report.cases[0].classname, None);
        assert_eq!(report.cases[0].name, "TestA");
    }
}
