//! The timing history: a small, versioned JSON file that `shardplan merge`
//! keeps up to date from each CI run's reports, and that planning reads as
//! timings (by default from `.shardplan/timings.json`).
//!
//! # File format (version 1)
//!
//! ```json
//! {
//!   "format": "shardplan-timings",
//!   "version": 1,
//!   "runs": 12,
//!   "keep": 5,
//!   "drop_after": 10,
//!   "tests": [
//!     {"dialect":"go","classname":"ex/calc","suite":"ex/calc","name":"TestAdd","last_seen":12,"samples":[210000,198000,205000]},
//!     {"dialect":"pytest","name":"tests/test_a.py::test_x[1]","last_seen":11,"samples":[1500]}
//!   ]
//! }
//! ```
//!
//! * `runs` counts the merges so far; each merge is one CI run.
//! * A test is keyed by what its report recorded, independent of any
//!   runner: `dialect` (see [`Dialect::name`]), then `file`, `classname`,
//!   `suite` (each left out when the report had none) and `name`. Any
//!   `--runner` names it from these fields, as it would a report's case.
//! * `samples` are durations in integer microseconds, oldest first: at most
//!   `keep` of them, one per run in which the test passed with a duration.
//! * `last_seen` is the run in which the test last appeared in a report, in
//!   any outcome; a test not seen in `drop_after` runs is dropped.
//! * Keys come in a fixed order and each test is one line sorted by its
//!   key, so committing or caching the file gives small diffs.
//!
//! # The estimate
//!
//! A test's duration is the **median of its samples** (the mean of the two
//! middle ones for an even count). A median of the last `keep` = 5 runs
//! ignores a single slow run on a contended machine (an EMA would carry it
//! for many runs), yet follows a real change in at most three runs.
//!
//! # One run, one sample
//!
//! All reports given to one merge are one CI run. A test that appears
//! several times in them (two shards, a Gradle rerun, a Surefire flaky
//! rerun, `go test -count=2`) gives one sample: the mean of its passing
//! durations in that run. Failed and skipped results update `last_seen` but
//! never the samples: a timeout or an early failure says nothing about how
//! long the test takes.
//!
//! Group durations ([`crate::report::GroupTime`]) are not kept: the history
//! holds per-test durations only.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry as MapEntry;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::de::MapAccess;
use serde::{Deserialize, Serialize};

use crate::app::Streams;
use crate::cli::MergeArgs;
use crate::duration::Micros;
use crate::error::{Error, Result};
use crate::inputs::{self, ReadOptions};
use crate::report::json::{self, Object, Objects, Tracker};
use crate::report::{self, Diagnostic, Dialect, Outcome, ReportFormat, TestCase};
use crate::summary::Warnings;

/// The value of the `format` key.
pub const FORMAT: &str = "shardplan-timings";

/// The format version this shardplan writes and reads.
pub const VERSION: u64 = 1;

/// Where the history lives unless `--into` / `--timings` say otherwise.
pub const DEFAULT_PATH: &str = ".shardplan/timings.json";

/// Samples kept per test unless `--keep` says otherwise.
pub const DEFAULT_KEEP: usize = 5;

/// Runs after which an unseen test is dropped, unless `--drop-after` says
/// otherwise.
pub const DEFAULT_DROP_AFTER: u64 = 10;

/// A test's runner-neutral identity: the fields of a report's case that any
/// runner names tests from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Who wrote the report.
    pub dialect: Dialect,
    /// The test's source file, if recorded.
    pub file: Option<String>,
    /// Its class, package or binary, if recorded.
    pub classname: Option<String>,
    /// Its innermost suite, if recorded.
    pub suite: Option<String>,
    /// Its name.
    pub name: String,
}

impl Key {
    /// The key of a report's case.
    pub fn of(case: &TestCase) -> Key {
        Key {
            dialect: case.dialect,
            file: case.file.clone(),
            classname: case.classname.clone(),
            suite: case.suite.clone(),
            name: case.name.clone(),
        }
    }

    /// Ordered by the dialect's *name*, so adding a dialect never reorders
    /// the file.
    fn order(
        &self,
    ) -> (
        &str,
        &Option<String>,
        &Option<String>,
        &Option<String>,
        &str,
    ) {
        (
            self.dialect.name(),
            &self.file,
            &self.classname,
            &self.suite,
            &self.name,
        )
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.order().cmp(&other.order())
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// What the history knows about one test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// The run in which the test last appeared.
    pub last_seen: u64,
    /// One duration per passing run, oldest first, at most `keep`.
    pub samples: Vec<Micros>,
}

impl Record {
    /// The duration planning assumes: the median of the samples.
    pub fn estimate(&self) -> Option<Micros> {
        (!self.samples.is_empty()).then(|| crate::timing::median(&mut self.samples.clone()))
    }
}

/// The whole history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    /// Merges so far.
    pub runs: u64,
    /// Samples kept per test.
    pub keep: usize,
    /// Runs after which an unseen test is dropped.
    pub drop_after: u64,
    /// Every test, by key.
    pub tests: BTreeMap<Key, Record>,
}

/// What one merge did, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeStats {
    /// Distinct tests in this run's reports.
    pub seen: usize,
    /// Of those, tests the history did not know.
    pub new: usize,
    /// Tests seen without a passing duration (failed, skipped, untimed).
    pub without_sample: usize,
    /// Tests dropped for not being seen in `drop_after` runs.
    pub dropped: usize,
}

impl History {
    /// An empty history.
    pub fn new(keep: usize, drop_after: u64) -> History {
        History {
            runs: 0,
            keep: keep.max(1),
            drop_after: drop_after.max(1),
            tests: BTreeMap::new(),
        }
    }

    /// Folds the cases of one CI run into the history: one sample per test
    /// (the mean of its passing durations in the run), then drops tests not
    /// seen for `drop_after` runs.
    pub fn merge_run<'a>(&mut self, cases: impl IntoIterator<Item = &'a TestCase>) -> MergeStats {
        let mut run: BTreeMap<Key, (u128, u64)> = BTreeMap::new();
        for case in cases {
            let slot = run.entry(Key::of(case)).or_default();
            if let (Outcome::Passed, Some(duration)) = (case.outcome, case.duration) {
                slot.0 += u128::from(duration);
                slot.1 += 1;
            }
        }
        self.runs += 1;
        let mut stats = MergeStats {
            seen: run.len(),
            ..MergeStats::default()
        };
        for (key, (sum, count)) in run {
            let record = match self.tests.entry(key) {
                MapEntry::Occupied(slot) => slot.into_mut(),
                MapEntry::Vacant(slot) => {
                    stats.new += 1;
                    slot.insert(Record::default())
                }
            };
            record.last_seen = self.runs;
            if count == 0 {
                stats.without_sample += 1;
            } else {
                record.samples.push((sum / u128::from(count)) as Micros);
            }
        }
        let before = self.tests.len();
        let (runs, drop_after, keep) = (self.runs, self.drop_after, self.keep);
        self.tests
            .retain(|_, record| runs.saturating_sub(record.last_seen) < drop_after);
        stats.dropped = before - self.tests.len();
        for record in self.tests.values_mut() {
            let excess = record.samples.len().saturating_sub(keep);
            record.samples.drain(..excess);
        }
        stats
    }

    /// The history as the file holds it.
    pub fn to_json(&self) -> String {
        let mut out = format!(
            "{{\n  \"format\": \"{FORMAT}\",\n  \"version\": {VERSION},\n  \"runs\": {},\n  \"keep\": {},\n  \"drop_after\": {},\n  \"tests\": [",
            self.runs, self.keep, self.drop_after
        );
        let mut first = true;
        for (key, record) in &self.tests {
            let line = StoredTest {
                dialect: key.dialect.name().to_string(),
                file: key.file.clone(),
                classname: key.classname.clone(),
                suite: key.suite.clone(),
                name: key.name.clone(),
                last_seen: record.last_seen,
                samples: record.samples.clone(),
            };
            out += if first { "\n    " } else { ",\n    " };
            out += &serde_json::to_string(&line).expect("a stored test always serialises");
            first = false;
        }
        out += if first { "]\n}\n" } else { "\n  ]\n}\n" };
        out
    }

    /// Reads a whole history from `input`.
    pub fn read(input: &mut dyn BufRead) -> Result<History, Diagnostic> {
        let mut tests = BTreeMap::new();
        let mut duplicate = None;
        let header = read_stream(input, &mut |key, record, at| {
            if tests.insert(key, record).is_some() {
                duplicate.get_or_insert(at);
            }
        })?;
        if let Some(at) = duplicate {
            return Err(Diagnostic::at(
                at,
                "the same test appears twice in the history",
            ));
        }
        Ok(History {
            runs: header.runs,
            keep: header.keep,
            drop_after: header.drop_after,
            tests,
        })
    }

    /// Reads the history at `path`, naming the file and position on error.
    pub fn load(path: &Path) -> Result<History> {
        let file = fs::File::open(path)
            .map_err(|e| Error::in_file(path, format!("cannot open the timing history: {e}")))?;
        History::read(&mut BufReader::new(file)).map_err(|d| report::positioned(path, d))
    }

    /// Writes the history to `path` atomically: a temporary file beside it,
    /// then a rename, so a crash or a concurrent reader never sees half a
    /// file. Creates the directory if needed.
    pub fn save(&self, path: &Path) -> Result<()> {
        let cannot = |e: std::io::Error| {
            Error::in_file(path, format!("cannot write the timing history: {e}"))
        };
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(cannot)?;
        let name = path.file_name().map_or_else(
            || "timings.json".into(),
            |n| n.to_string_lossy().into_owned(),
        );
        let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let written = fs::File::create(&temporary).and_then(|mut file| {
            file.write_all(self.to_json().as_bytes())?;
            file.sync_all()
        });
        if let Err(e) = written.and_then(|()| fs::rename(&temporary, path)) {
            let _ = fs::remove_file(&temporary);
            return Err(cannot(e));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Reading, streamed: shared by `History::read` and the `--timings` reader.

/// One line of `tests`.
#[derive(Serialize, Deserialize)]
struct StoredTest {
    dialect: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    classname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    suite: Option<String>,
    name: String,
    last_seen: u64,
    samples: Vec<Micros>,
}

/// The settings a history file records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Merges so far.
    pub runs: u64,
    /// Samples kept per test.
    pub keep: usize,
    /// Runs after which an unseen test is dropped.
    pub drop_after: u64,
}

/// Streams a history file, calling `on_test` with each test, its record and
/// its offset, and returns the header once the document is checked.
pub(crate) fn read_stream(
    input: &mut dyn BufRead,
    on_test: &mut dyn FnMut(Key, Record, u64),
) -> Result<Header, Diagnostic> {
    let tracker = Tracker::default();
    let mut fields = Fields::default();
    json::read(
        input,
        &tracker,
        Object(Root {
            tracker: &tracker,
            fields: &mut fields,
            on_test,
        }),
    )?;
    let missing = |what: &str| Diagnostic::whole(format!("timing history without `{what}`"));
    match fields.format.as_deref() {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(Diagnostic::whole(format!(
                "`format` is {other:?}, not {FORMAT:?}: not a shardplan timing history"
            )));
        }
        None => return Err(missing("format")),
    }
    match fields.version {
        Some(VERSION) => {}
        Some(newer) if newer > VERSION => {
            return Err(Diagnostic::whole(format!(
                "timing history version {newer} was written by a newer shardplan; this one reads version {VERSION}"
            )));
        }
        Some(other) => {
            return Err(Diagnostic::whole(format!(
                "unknown timing history version {other}"
            )));
        }
        None => return Err(missing("version")),
    }
    if !fields.tests_seen {
        return Err(missing("tests"));
    }
    Ok(Header {
        runs: fields.runs.ok_or_else(|| missing("runs"))?,
        keep: fields.keep.unwrap_or(DEFAULT_KEEP).max(1),
        drop_after: fields.drop_after.unwrap_or(DEFAULT_DROP_AFTER).max(1),
    })
}

#[derive(Default)]
struct Fields {
    format: Option<String>,
    version: Option<u64>,
    runs: Option<u64>,
    keep: Option<usize>,
    drop_after: Option<u64>,
    tests_seen: bool,
}

/// The top-level object: the header's fields, and the tests, streamed.
struct Root<'a> {
    tracker: &'a Tracker,
    fields: &'a mut Fields,
    on_test: &'a mut dyn FnMut(Key, Record, u64),
}

impl<'de> json::Fields<'de> for Root<'_> {
    fn expecting(&self) -> &'static str {
        "a shardplan timing history object"
    }

    fn field<A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> std::result::Result<bool, A::Error> {
        match key {
            "format" => self.fields.format = Some(map.next_value()?),
            "version" => self.fields.version = Some(map.next_value()?),
            "runs" => self.fields.runs = Some(map.next_value()?),
            "keep" => self.fields.keep = Some(map.next_value()?),
            "drop_after" => self.fields.drop_after = Some(map.next_value()?),
            "tests" => {
                self.fields.tests_seen = true;
                let on_test = &mut *self.on_test;
                map.next_value_seed(Objects::new(
                    self.tracker,
                    "the array of tests",
                    |stored: StoredTest, at| {
                        let (key, record) = stored.into_entry()?;
                        on_test(key, record, at);
                        Ok(())
                    },
                ))?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl StoredTest {
    /// The test's key and record, or why its dialect is unknown.
    fn into_entry(self) -> std::result::Result<(Key, Record), String> {
        let Some(dialect) = Dialect::from_name(&self.dialect) else {
            return Err(format!("unknown dialect {:?}", self.dialect));
        };
        let key = Key {
            dialect,
            file: self.file,
            classname: self.classname,
            suite: self.suite,
            name: self.name,
        };
        let record = Record {
            last_seen: self.last_seen,
            samples: self.samples,
        };
        Ok((key, record))
    }
}

/// The history as a `--timings` input: one passing case per test, whose
/// duration is the test's estimate (none when it never passed).
pub(crate) fn cases(input: &mut dyn BufRead) -> Result<Vec<TestCase>, Diagnostic> {
    let mut cases = Vec::new();
    read_stream(input, &mut |key, record, _| {
        cases.push(TestCase {
            duration: record.estimate(),
            name: key.name,
            classname: key.classname,
            suite: key.suite,
            file: key.file,
            outcome: Outcome::Passed,
            dialect: key.dialect,
        });
    })?;
    Ok(cases)
}

// ---------------------------------------------------------------------------
// `shardplan merge`

/// Runs `shardplan merge`: reads the history (if any) and the reports of one
/// CI run, folds the run in, and writes the history back atomically.
pub fn run(args: &MergeArgs, streams: &mut Streams<'_>) -> Result<()> {
    let mut warnings = Warnings::default();
    let mut history = if args.into.is_file() {
        History::load(&args.into)?
    } else {
        History::new(DEFAULT_KEEP, DEFAULT_DROP_AFTER)
    };
    if let Some(keep) = args.keep {
        history.keep = keep as usize;
    }
    if let Some(drop_after) = args.drop_after {
        history.drop_after = u64::from(drop_after);
    }

    let found = inputs::resolve(&args.reports)?;
    for argument in &found.unmatched {
        warnings.push(format!("{argument:?} matched no report file"));
    }
    let files = reports_only(found.files, &args.into)?;
    if files.is_empty() {
        warnings.flush(streams.stderr);
        return Err(Error::input(
            "no reports to merge; the timing history is unchanged",
        ));
    }
    let options = ReadOptions::new(
        args.strict,
        args.read.format.as_deref(),
        args.read.root.as_deref(),
    )?;
    let read = inputs::read_report_files(&files, &options, &mut warnings);
    // Warnings explain a failure too (the reports skipped before it).
    warnings.flush(streams.stderr);
    let (cases, read) = read?;
    let stats = history.merge_run(&cases);
    history.save(&args.into)?;
    if !args.quiet {
        let _ = writeln!(
            streams.stderr,
            "shardplan: merged run {} from {read} report file{} ({} test cases, {} tests) into {}\n\
             shardplan: {} new, {} without a passing duration, {} dropped (not seen in {} runs); {} tests kept, up to {} samples each",
            history.runs,
            if read == 1 { "" } else { "s" },
            cases.len(),
            stats.seen,
            args.into.display(),
            stats.new,
            stats.without_sample,
            stats.dropped,
            history.drop_after,
            history.tests.len(),
            history.keep,
        );
    }
    Ok(())
}

/// The report files among `files`: the history being written is left out
/// (a directory argument may hold it), and another history is refused,
/// since its estimates are not one run's measurements.
fn reports_only(files: Vec<PathBuf>, into: &Path) -> Result<Vec<PathBuf>> {
    let target = fs::canonicalize(into).ok();
    let mut reports = Vec::with_capacity(files.len());
    for file in files {
        if target.is_some() && fs::canonicalize(&file).ok() == target {
            continue;
        }
        let mut head = Vec::with_capacity(4096);
        if let Ok(opened) = fs::File::open(&file) {
            let _ = opened.take(4096).read_to_end(&mut head);
        }
        if report::history::History.sniff(&head) {
            return Err(Error::in_file(
                &file,
                "is a shardplan timing history, not a test report: merge folds in the reports of one CI run",
            ));
        }
        reports.push(file);
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &str, duration: Option<Micros>, outcome: Outcome) -> TestCase {
        TestCase {
            name: name.to_string(),
            classname: Some("ex/pkg".to_string()),
            suite: Some("ex/pkg".to_string()),
            file: None,
            duration,
            outcome,
            dialect: Dialect::Go,
        }
    }

    fn samples(history: &History, name: &str) -> Option<Vec<Micros>> {
        history
            .tests
            .iter()
            .find(|(k, _)| k.name == name)
            .map(|(_, r)| r.samples.clone())
    }

    #[test]
    fn one_sample_per_run_from_passing_results_only() {
        let mut history = History::new(5, 10);
        let run = [
            // Seen on two shards (or rerun): one sample, their mean.
            case("TestA", Some(100), Outcome::Passed),
            case("TestA", Some(300), Outcome::Passed),
            // A failed attempt before the pass does not count.
            case("TestB", Some(9_000), Outcome::Failed),
            case("TestB", Some(50), Outcome::Passed),
            case("TestC", Some(7), Outcome::Skipped),
            case("TestD", None, Outcome::Passed),
        ];
        let stats = history.merge_run(&run);
        assert_eq!(
            stats,
            MergeStats {
                seen: 4,
                new: 4,
                without_sample: 2,
                dropped: 0
            }
        );
        assert_eq!(samples(&history, "TestA"), Some(vec![200]));
        assert_eq!(samples(&history, "TestB"), Some(vec![50]));
        assert_eq!(samples(&history, "TestC"), Some(vec![]));
        assert_eq!(history.runs, 1);
        // The same run in another order gives the same history.
        let mut reversed = History::new(5, 10);
        reversed.merge_run(run.iter().rev());
        assert_eq!(reversed, history);
    }

    #[test]
    fn keeps_the_last_samples_and_drops_unseen_tests() {
        let mut history = History::new(3, 2);
        for run in 1..=5u64 {
            let mut cases = vec![case("TestKept", Some(run * 10), Outcome::Passed)];
            if run == 1 {
                cases.push(case("TestGone", Some(1), Outcome::Passed));
            }
            let stats = history.merge_run(&cases);
            assert_eq!(stats.dropped, usize::from(run == 3), "run {run}");
        }
        assert_eq!(samples(&history, "TestKept"), Some(vec![30, 40, 50]));
        assert_eq!(samples(&history, "TestGone"), None);
        assert_eq!(history.tests.values().next().unwrap().estimate(), Some(40));
    }

    #[test]
    fn the_median_ignores_one_slow_run_and_follows_a_step() {
        let record = |samples: &[Micros]| Record {
            last_seen: 1,
            samples: samples.to_vec(),
        };
        assert_eq!(record(&[100, 100, 5_000, 100, 100]).estimate(), Some(100));
        assert_eq!(record(&[100, 100, 300, 300, 300]).estimate(), Some(300));
        assert_eq!(record(&[100, 300]).estimate(), Some(200));
        assert_eq!(record(&[]).estimate(), None);
    }

    #[test]
    fn json_round_trips_with_stable_order() {
        let mut history = History::new(5, 10);
        let mut pytest = case("tests/a.py::test_x[a \"b\"]", Some(1_500), Outcome::Passed);
        pytest.dialect = Dialect::Pytest;
        pytest.classname = None;
        pytest.suite = None;
        history.merge_run(&[case("TestB", Some(2), Outcome::Passed), pytest]);
        let text = history.to_json();
        assert_eq!(
            text,
            "{\n  \"format\": \"shardplan-timings\",\n  \"version\": 1,\n  \"runs\": 1,\n  \"keep\": 5,\n  \"drop_after\": 10,\n  \"tests\": [\n    \
             {\"dialect\":\"go\",\"classname\":\"ex/pkg\",\"suite\":\"ex/pkg\",\"name\":\"TestB\",\"last_seen\":1,\"samples\":[2]},\n    \
             {\"dialect\":\"pytest\",\"name\":\"tests/a.py::test_x[a \\\"b\\\"]\",\"last_seen\":1,\"samples\":[1500]}\n  ]\n}\n"
        );
        assert_eq!(History::read(&mut text.as_bytes()), Ok(history));
        let empty = History::new(5, 10);
        assert_eq!(History::read(&mut empty.to_json().as_bytes()), Ok(empty));
    }

    #[test]
    fn bad_histories_are_refused() {
        let newer =
            "{\"format\": \"shardplan-timings\", \"version\": 2, \"runs\": 1, \"tests\": []}";
        let e = History::read(&mut newer.as_bytes()).unwrap_err();
        assert!(e.message.contains("newer shardplan"), "{e:?}");
        let other = "{\"format\": \"x\", \"version\": 1, \"runs\": 1, \"tests\": []}";
        assert!(History::read(&mut other.as_bytes()).is_err());
        let dialect = "{\"format\": \"shardplan-timings\", \"version\": 1, \"runs\": 1, \"tests\": [\n{\"dialect\": \"cobol\", \"name\": \"t\", \"last_seen\": 1, \"samples\": []}]}";
        let e = History::read(&mut dialect.as_bytes()).unwrap_err();
        assert_eq!(e.message, "unknown dialect \"cobol\"");
        assert_eq!(e.offset, Some(dialect.find("{\"dialect").unwrap() as u64));
        let twice = "{\"format\": \"shardplan-timings\", \"version\": 1, \"runs\": 1, \"tests\": [\
            {\"dialect\": \"go\", \"name\": \"t\", \"last_seen\": 1, \"samples\": []},\
            {\"dialect\": \"go\", \"name\": \"t\", \"last_seen\": 1, \"samples\": []}]}";
        assert!(
            History::read(&mut twice.as_bytes())
                .unwrap_err()
                .message
                .contains("twice")
        );
        let samples = "{\"format\": \"shardplan-timings\", \"version\": 1, \"runs\": 1, \"tests\": [\
            {\"dialect\": \"go\", \"name\": \"t\", \"last_seen\": 1, \"samples\": [-1]}]}";
        assert!(History::read(&mut samples.as_bytes()).is_err());
    }
}
