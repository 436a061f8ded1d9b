//! The timing history: a small, versioned JSON file that `shardplan merge`
//! keeps up to date from each CI run's reports, and that planning reads as
//! timings (by default from `.shardplan/timings.json`).
//!
//! # File format (version 2)
//!
//! ```json
//! {
//!   "format": "shardplan-timings",
//!   "version": 2,
//!   "runs": 12,
//!   "keep": 5,
//!   "drop_after": 10,
//!   "tests": [
//!     {"dialect":"go","classname":"ex/calc","suite":"ex/calc","name":"TestAdd","last_seen":12,"samples":[210000,198000,205000]},
//!     {"dialect":"pytest","name":"tests/test_a.py::test_x[1]","last_seen":11,"samples":[1500]}
//!   ],
//!   "groups": [
//!     {"dialect":"go","suite":"ex/calc","last_seen":12,"samples":[31000,29000,30000]}
//!   ]
//! }
//! ```
//!
//! * `runs` counts the merges so far; each merge is one CI run.
//! * A test is keyed by what its report recorded, independent of any
//!   runner: `dialect` (see [`Dialect::name`]), then `file`, `classname`,
//!   `suite` (each left out when the report had none), `name` and
//!   `variant` (the Playwright project; left out when none). Any
//!   `--runner` names it from these fields, as it would a report's case.
//!   Variants of one test are separate tests, whose estimates add up.
//! * `samples` are durations in integer microseconds, oldest first: at most
//!   `keep` of them, one per run in which the test passed with a duration.
//! * `last_seen` is the run in which the test last appeared in a report, in
//!   any outcome; a test not seen in `drop_after` runs is dropped.
//! * `groups` holds group setups (below), keyed and aged like tests.
//! * Keys come in a fixed order and each test or group is one line sorted
//!   by its key, so committing or caching the file gives small diffs.
//!
//! Version 1 files (no `groups`) are read as before; a newer version is
//! refused rather than misread. `variant` needs no new version: a file
//! without it means no variants, as it always did.
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
//! # Group setups
//!
//! A report's group time ([`crate::report::GroupTime`]: a JUnit suite's
//! `time`, a go package's `Elapsed`) exceeds the sum of its cases by the
//! group's setup, which planning charges once per shard that runs tests of
//! the group. The history keeps that **setup**, not the raw group time:
//!
//! * A group is keyed runner-neutrally by what all its cases share
//!   ([`GroupKey`]): `dialect`, then `file` and `suite` when every case has
//!   the same one, and `classname` only when neither is shared, then
//!   `variant` when every case has the same one. A jest
//!   file is `{"dialect":"jest","file":…,"suite":…}`, a go package
//!   `{"dialect":"go","suite":"ex/calc"}`. A group whose cases share none
//!   of them is not kept. A missing field means "any".
//! * A sample is the group's time minus the sum of its cases' durations,
//!   0 when they ran in parallel and sum to more, computed by
//!   [`crate::timing::setup_samples`] as planning computes it (a group
//!   inside another of the same key counts through the outer one; a case
//!   without a duration that is not skipped leaves the group unmeasured).
//!   Go subtests (`TestA/x`) run inside their parent's time and are left
//!   out of the sum.
//! * One sample per group per run: when a group appears several times in
//!   one run's reports (a file split across shards, `go test -count=2`),
//!   the run's sample is the **median** of its setups there. Groups keep
//!   the last `keep` samples, age out after `drop_after` runs unseen, and
//!   are estimated by their median, exactly like tests.
//!
//! Read back as timings, every test is a case (a test with no sample is
//! read as skipped: it exists, without a duration) and every group with an
//! estimate becomes a [`crate::report::GroupTime`] over the tests its key
//! matches, placed next to each other, whose duration is the setup plus
//! the estimates of those tests (subtests again left out). Planning then
//! measures the same setup it would from the reports. Groups whose tests
//! overlap without nesting cannot all be contiguous: the larger ones win,
//! then the first by key.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry as MapEntry;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use serde::de::MapAccess;
use serde::{Deserialize, Serialize};

use crate::duration::Micros;
use crate::error::{Error, Result};
use crate::report::json::{self, Object, Objects, Tracker};
use crate::report::{self, Diagnostic, Dialect, GroupTime, Outcome, Report, TestCase};

/// The value of the `format` key.
pub const FORMAT: &str = "shardplan-timings";

/// The format version this shardplan writes; it reads this one and 1.
pub const VERSION: u64 = 2;

/// The oldest format version this shardplan reads (1: without groups).
pub const OLDEST_VERSION: u64 = 1;

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
    /// The configuration it ran in (a Playwright project), if any: each
    /// variant is a test of its own.
    pub variant: Option<String>,
}

/// What [`Key`]s sort by: dialect name, file, classname, suite, name and
/// variant (last, so keys without one keep their order).
type KeyOrder<'a> = (
    &'a str,
    &'a Option<String>,
    &'a Option<String>,
    &'a Option<String>,
    &'a str,
    &'a Option<String>,
);

impl Key {
    /// The key of a report's case.
    pub fn of(case: &TestCase) -> Key {
        Key {
            dialect: case.dialect,
            file: case.file.clone(),
            classname: case.classname.clone(),
            suite: case.suite.clone(),
            name: case.name.clone(),
            variant: case.variant.clone(),
        }
    }

    /// Ordered by the dialect's *name*, so adding a dialect never reorders
    /// the file.
    fn order(&self) -> KeyOrder<'_> {
        (
            self.dialect.name(),
            &self.file,
            &self.classname,
            &self.suite,
            &self.name,
            &self.variant,
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

/// A group's runner-neutral identity: what all the cases of a report's
/// group share. A field left `None` matches any value, so the group is the
/// tests of `dialect` whose fields equal every field that is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupKey {
    /// Who wrote the report.
    pub dialect: Dialect,
    /// The source file every case of the group has, if they share one.
    pub file: Option<String>,
    /// The class every case has, kept only when neither `file` nor `suite`
    /// is shared.
    pub classname: Option<String>,
    /// The innermost suite every case has, if they share one.
    pub suite: Option<String>,
    /// The variant (Playwright project) every case has, if they share one:
    /// Playwright writes one suite per project and file.
    pub variant: Option<String>,
}

impl GroupKey {
    /// The key of a report group's cases: `None` when they are of several
    /// dialects or share neither file, suite nor class.
    pub fn of(members: &[TestCase]) -> Option<GroupKey> {
        let (first, rest) = members.split_first()?;
        if rest.iter().any(|c| c.dialect != first.dialect) {
            return None;
        }
        let shared = |field: fn(&TestCase) -> &Option<String>| {
            field(first)
                .as_ref()
                .filter(|value| rest.iter().all(|c| field(c).as_ref() == Some(*value)))
                .cloned()
        };
        let file = shared(|c| &c.file);
        let suite = shared(|c| &c.suite);
        let variant = shared(|c| &c.variant);
        let classname = if file.is_none() && suite.is_none() {
            Some(shared(|c| &c.classname)?)
        } else {
            None
        };
        Some(GroupKey {
            dialect: first.dialect,
            file,
            classname,
            suite,
            variant,
        })
    }

    /// Ordered like [`Key`], by the dialect's name.
    fn order(
        &self,
    ) -> (
        &str,
        &Option<String>,
        &Option<String>,
        &Option<String>,
        &Option<String>,
    ) {
        (
            self.dialect.name(),
            &self.file,
            &self.classname,
            &self.suite,
            &self.variant,
        )
    }
}

impl Ord for GroupKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.order().cmp(&other.order())
    }
}

impl PartialOrd for GroupKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A report group's key and the sum of its cases' durations, if its setup
/// can be measured (see [`crate::timing::setup_samples`]).
fn key_and_sum(members: &[TestCase]) -> Option<(GroupKey, Micros)> {
    let key = GroupKey::of(members)?;
    let mut sum: Micros = 0;
    for case in members {
        if !case.runs_within_parent() && !crate::timing::add_duration(&mut sum, case) {
            return None;
        }
    }
    Some((key, sum))
}

/// One run's groups: every group key seen, with the run's setup sample
/// when the group could be measured (the median of its setups in the run).
fn run_setups(cases: &[TestCase], groups: &[GroupTime]) -> BTreeMap<GroupKey, Option<Micros>> {
    let mut run: BTreeMap<GroupKey, Option<Micros>> = groups
        .iter()
        .filter_map(|g| cases.get(g.cases.clone()).and_then(GroupKey::of))
        .map(|key| (key, None))
        .collect();
    for (key, mut samples) in crate::timing::setup_samples(cases, groups, key_and_sum) {
        run.insert(key, Some(crate::timing::median(&mut samples)));
    }
    run
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
    /// Every group's setup samples, by key.
    pub groups: BTreeMap<GroupKey, Record>,
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
    /// Groups in this run's reports whose setup was measured.
    pub groups_measured: usize,
    /// Groups dropped for not being seen in `drop_after` runs.
    pub groups_dropped: usize,
}

impl History {
    /// An empty history.
    pub fn new(keep: usize, drop_after: u64) -> History {
        History {
            runs: 0,
            keep: keep.max(1),
            drop_after: drop_after.max(1),
            tests: BTreeMap::new(),
            groups: BTreeMap::new(),
        }
    }

    /// Folds the cases of one CI run into the history: one sample per test
    /// (the mean of its passing durations in the run), then drops tests not
    /// seen for `drop_after` runs. Without group times: see
    /// [`History::merge_report`].
    pub fn merge_run<'a>(&mut self, cases: impl IntoIterator<Item = &'a TestCase>) -> MergeStats {
        self.fold(cases, BTreeMap::new())
    }

    /// Folds one CI run's cases and group times (`groups` index into
    /// `cases`) into the history: one sample per test as
    /// [`History::merge_run`], and one setup sample per measured group.
    pub fn merge_report(&mut self, cases: &[TestCase], groups: &[GroupTime]) -> MergeStats {
        self.fold(cases, run_setups(cases, groups))
    }

    fn fold<'a>(
        &mut self,
        cases: impl IntoIterator<Item = &'a TestCase>,
        setups: BTreeMap<GroupKey, Option<Micros>>,
    ) -> MergeStats {
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
        for (key, setup) in setups {
            let record = self.groups.entry(key).or_default();
            record.last_seen = self.runs;
            if let Some(setup) = setup {
                record.samples.push(setup);
                stats.groups_measured += 1;
            }
        }
        let (runs, drop_after, keep) = (self.runs, self.drop_after, self.keep);
        let age = |record: &mut Record| {
            let excess = record.samples.len().saturating_sub(keep);
            record.samples.drain(..excess);
            runs.saturating_sub(record.last_seen) < drop_after
        };
        let before = self.tests.len();
        self.tests.retain(|_, record| age(record));
        stats.dropped = before - self.tests.len();
        let before = self.groups.len();
        self.groups.retain(|_, record| age(record));
        stats.groups_dropped = before - self.groups.len();
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
                variant: key.variant.clone(),
                last_seen: record.last_seen,
                samples: record.samples.clone(),
            };
            out += if first { "\n    " } else { ",\n    " };
            out += &serde_json::to_string(&line).expect("a stored test always serialises");
            first = false;
        }
        out += if first {
            "],\n  \"groups\": ["
        } else {
            "\n  ],\n  \"groups\": ["
        };
        let mut first = true;
        for (key, record) in &self.groups {
            let line = StoredGroup {
                dialect: key.dialect.name().to_string(),
                file: key.file.clone(),
                classname: key.classname.clone(),
                suite: key.suite.clone(),
                variant: key.variant.clone(),
                last_seen: record.last_seen,
                samples: record.samples.clone(),
            };
            out += if first { "\n    " } else { ",\n    " };
            out += &serde_json::to_string(&line).expect("a stored group always serialises");
            first = false;
        }
        out += if first { "]\n}\n" } else { "\n  ]\n}\n" };
        out
    }

    /// Reads a whole history from `input`.
    pub fn read(input: &mut dyn BufRead) -> Result<History, Diagnostic> {
        let mut tests = BTreeMap::new();
        let mut groups = BTreeMap::new();
        let (mut duplicate_test, mut duplicate_group) = (None, None);
        let header = read_stream(
            input,
            &mut |key, record, at| {
                if tests.insert(key, record).is_some() {
                    duplicate_test.get_or_insert((at, "test"));
                }
            },
            &mut |key, record, at| {
                if groups.insert(key, record).is_some() {
                    duplicate_group.get_or_insert((at, "group"));
                }
            },
        )?;
        if let Some((at, what)) = duplicate_test.into_iter().chain(duplicate_group).min() {
            return Err(Diagnostic::at(
                at,
                format!("the same {what} appears twice in the history"),
            ));
        }
        Ok(History {
            runs: header.runs,
            keep: header.keep,
            drop_after: header.drop_after,
            tests,
            groups,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    variant: Option<String>,
    last_seen: u64,
    samples: Vec<Micros>,
}

/// One line of `groups`.
#[derive(Serialize, Deserialize)]
struct StoredGroup {
    dialect: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    classname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    suite: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    variant: Option<String>,
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
/// its offset, and `on_group` likewise with each group, and returns the
/// header once the document is checked.
pub(crate) fn read_stream(
    input: &mut dyn BufRead,
    on_test: &mut dyn FnMut(Key, Record, u64),
    on_group: &mut dyn FnMut(GroupKey, Record, u64),
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
            on_group,
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
        Some(OLDEST_VERSION..=VERSION) => {}
        Some(newer) if newer > VERSION => {
            return Err(Diagnostic::whole(format!(
                "timing history version {newer} was written by a newer shardplan; this one reads versions {OLDEST_VERSION} to {VERSION}"
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
    on_group: &'a mut dyn FnMut(GroupKey, Record, u64),
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
            "groups" => {
                let on_group = &mut *self.on_group;
                map.next_value_seed(Objects::new(
                    self.tracker,
                    "the array of groups",
                    |stored: StoredGroup, at| {
                        let (key, record) = stored.into_entry()?;
                        on_group(key, record, at);
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
            variant: self.variant,
        };
        let record = Record {
            last_seen: self.last_seen,
            samples: self.samples,
        };
        Ok((key, record))
    }
}

impl StoredGroup {
    /// The group's key and record, or why they are unusable.
    fn into_entry(self) -> std::result::Result<(GroupKey, Record), String> {
        let Some(dialect) = Dialect::from_name(&self.dialect) else {
            return Err(format!("unknown dialect {:?}", self.dialect));
        };
        if self.file.is_none() && self.classname.is_none() && self.suite.is_none() {
            return Err("a group needs a `file`, `classname` or `suite`".to_string());
        }
        let key = GroupKey {
            dialect,
            file: self.file,
            classname: self.classname,
            suite: self.suite,
            variant: self.variant,
        };
        let record = Record {
            last_seen: self.last_seen,
            samples: self.samples,
        };
        Ok((key, record))
    }
}

/// The history as a `--timings` input: one case per test, passing with the
/// test's estimate as its duration, or skipped (no duration) when it never
/// passed; and one group time per group with an estimate (see the module
/// docs).
pub(crate) fn report(input: &mut dyn BufRead) -> Result<Report, Diagnostic> {
    let mut cases = Vec::new();
    let mut groups = Vec::new();
    read_stream(
        input,
        &mut |key, record, _| {
            let duration = record.estimate();
            cases.push(TestCase {
                duration,
                name: key.name,
                classname: key.classname,
                suite: key.suite,
                file: key.file,
                outcome: if duration.is_some() {
                    Outcome::Passed
                } else {
                    Outcome::Skipped
                },
                dialect: key.dialect,
                variant: key.variant,
            });
        },
        &mut |key, record, _| {
            if let Some(setup) = record.estimate() {
                groups.push((key, setup));
            }
        },
    )?;
    Ok(with_groups(cases, groups))
}

/// A group key's field when `mask` has `bit` (`None` if the case lacks
/// it: no such key matches), else `Some(None)`: the field is left out.
fn pick(mask: u8, bit: u8, field: &Option<String>) -> Option<Option<&str>> {
    match mask & bit {
        0 => Some(None),
        _ => field.as_deref().map(Some),
    }
}

/// Orders `cases` so that each group's tests are contiguous and returns
/// them with the group times. Groups are taken largest first (then by
/// key): one whose tests an earlier group splits (some inside it, some
/// not) is left out, so the groups taken nest or are disjoint, and sorting
/// each test by the chain of groups containing it makes every group a
/// range.
fn with_groups(cases: Vec<TestCase>, mut groups: Vec<(GroupKey, Micros)>) -> Report {
    if groups.is_empty() {
        return Report {
            cases,
            ..Report::default()
        };
    }
    groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    type Lookup<'a> = (
        Dialect,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );
    // Only looked up, never iterated.
    let index: BTreeMap<Lookup<'_>, usize> = groups
        .iter()
        .enumerate()
        .map(|(g, (key, _))| {
            let lookup = (
                key.dialect,
                key.file.as_deref(),
                key.classname.as_deref(),
                key.suite.as_deref(),
                key.variant.as_deref(),
            );
            (lookup, g)
        })
        .collect();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
    for (t, case) in cases.iter().enumerate() {
        // Every key with a subset of the case's fields set.
        for mask in 1..16u8 {
            let (Some(file), Some(classname), Some(suite), Some(variant)) = (
                pick(mask, 1, &case.file),
                pick(mask, 2, &case.classname),
                pick(mask, 4, &case.suite),
                pick(mask, 8, &case.variant),
            ) else {
                continue;
            };
            if let Some(&g) = index.get(&(case.dialect, file, classname, suite, variant)) {
                members[g].push(t);
            }
        }
    }
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| std::cmp::Reverse(members[g].len()));
    // Per test, the groups taken that contain it, outermost first.
    let mut chain: Vec<Vec<usize>> = vec![Vec::new(); cases.len()];
    let mut taken = Vec::new();
    for g in order {
        let Some(&first) = members[g].first() else {
            continue;
        };
        if members[g].iter().any(|&t| chain[t] != chain[first]) {
            continue;
        }
        for &t in &members[g] {
            chain[t].push(taken.len());
        }
        taken.push(g);
    }
    let mut placed: Vec<usize> = (0..cases.len()).collect();
    placed.sort_by(|&a, &b| chain[a].cmp(&chain[b]).then(a.cmp(&b)));
    let mut position = vec![0; cases.len()];
    for (at, &t) in placed.iter().enumerate() {
        position[t] = at;
    }
    let times = taken
        .iter()
        .filter_map(|&g| {
            let start = members[g].iter().map(|&t| position[t]).min()?;
            let end = members[g].iter().map(|&t| position[t]).max()? + 1;
            // Always so by construction; checked rather than assumed.
            (end - start == members[g].len()).then_some(())?;
            let tests = members[g]
                .iter()
                .map(|&t| &cases[t])
                .filter(|c| !c.runs_within_parent())
                .filter_map(|c| c.duration)
                .fold(0, Micros::saturating_add);
            Some(GroupTime {
                cases: start..end,
                duration: groups[g].1.saturating_add(tests),
            })
        })
        .collect();
    let mut slots: Vec<Option<TestCase>> = cases.into_iter().map(Some).collect();
    let cases = placed.iter().filter_map(|&t| slots[t].take()).collect();
    Report {
        cases,
        groups: times,
        warnings: Vec::new(),
    }
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
            variant: None,
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
                dropped: 0,
                groups_measured: 0,
                groups_dropped: 0,
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
            "{\n  \"format\": \"shardplan-timings\",\n  \"version\": 2,\n  \"runs\": 1,\n  \"keep\": 5,\n  \"drop_after\": 10,\n  \"tests\": [\n    \
             {\"dialect\":\"go\",\"classname\":\"ex/pkg\",\"suite\":\"ex/pkg\",\"name\":\"TestB\",\"last_seen\":1,\"samples\":[2]},\n    \
             {\"dialect\":\"pytest\",\"name\":\"tests/a.py::test_x[a \\\"b\\\"]\",\"last_seen\":1,\"samples\":[1500]}\n  ],\n  \"groups\": []\n}\n"
        );
        assert_eq!(History::read(&mut text.as_bytes()), Ok(history));
        let empty = History::new(5, 10);
        assert_eq!(History::read(&mut empty.to_json().as_bytes()), Ok(empty));
    }

    #[test]
    fn bad_histories_are_refused() {
        let newer =
            "{\"format\": \"shardplan-timings\", \"version\": 3, \"runs\": 1, \"tests\": []}";
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
        let keyless = "{\"format\": \"shardplan-timings\", \"version\": 2, \"runs\": 1, \"tests\": [], \"groups\": [\
            {\"dialect\": \"go\", \"last_seen\": 1, \"samples\": [1]}]}";
        let e = History::read(&mut keyless.as_bytes()).unwrap_err();
        assert!(e.message.contains("a group needs"), "{e:?}");
        let twice = "{\"format\": \"shardplan-timings\", \"version\": 2, \"runs\": 1, \"tests\": [], \"groups\": [\
            {\"dialect\": \"go\", \"suite\": \"p\", \"last_seen\": 1, \"samples\": []},\
            {\"dialect\": \"go\", \"suite\": \"p\", \"last_seen\": 1, \"samples\": []}]}";
        let e = History::read(&mut twice.as_bytes()).unwrap_err();
        assert!(e.message.contains("same group"), "{e:?}");
    }

    #[test]
    fn version_1_files_are_read_without_groups() {
        let v1 = "{\"format\": \"shardplan-timings\", \"version\": 1, \"runs\": 3, \"keep\": 5, \"drop_after\": 10, \"tests\": [\
            {\"dialect\": \"go\", \"suite\": \"p\", \"name\": \"TestA\", \"last_seen\": 3, \"samples\": [5]}]}";
        let history = History::read(&mut v1.as_bytes()).unwrap();
        assert_eq!((history.runs, history.tests.len()), (3, 1));
        assert!(history.groups.is_empty());
        // Written back as the current version, with an empty `groups`.
        assert!(history.to_json().contains("\"version\": 2,"));
        assert!(history.to_json().contains("\"groups\": []"));
    }

    fn member(
        dialect: Dialect,
        file: Option<&str>,
        suite: &str,
        name: &str,
        duration: Option<Micros>,
        outcome: Outcome,
    ) -> TestCase {
        TestCase {
            name: name.to_string(),
            classname: Some(format!("{suite} {name}")),
            suite: Some(suite.to_string()),
            file: file.map(str::to_string),
            duration,
            outcome,
            dialect,
            variant: None,
        }
    }

    #[test]
    fn group_keys_are_what_the_cases_share() {
        let jest =
            |file, suite, name| member(Dialect::Jest, file, suite, name, Some(1), Outcome::Passed);
        // A jest file: file and suite shared, classname (the title) not.
        let key = GroupKey::of(&[
            jest(Some("a.test.js"), "a", "x"),
            jest(Some("a.test.js"), "a", "y"),
        ])
        .unwrap();
        assert_eq!(
            (
                key.file.as_deref(),
                key.classname.as_deref(),
                key.suite.as_deref()
            ),
            (Some("a.test.js"), None, Some("a"))
        );
        // One test alone: the classname is still left out.
        let key = GroupKey::of(&[jest(Some("a.test.js"), "a", "x")]).unwrap();
        assert_eq!(key.classname, None);
        // Nothing shared, or two dialects: no key.
        assert_eq!(
            GroupKey::of(&[
                jest(Some("a.test.js"), "a", "x"),
                jest(Some("b.test.js"), "b", "x")
            ]),
            None
        );
        let mut go = jest(None, "p", "TestA");
        go.dialect = Dialect::Go;
        assert_eq!(GroupKey::of(&[jest(None, "p", "x"), go]), None);
        // Only a class in common: keyed by it.
        let mut c1 = jest(None, "s1", "x");
        let mut c2 = jest(None, "s2", "y");
        c1.classname = Some("C".into());
        c2.classname = Some("C".into());
        assert_eq!(
            GroupKey::of(&[c1, c2]).unwrap().classname.as_deref(),
            Some("C")
        );
    }

    #[test]
    fn group_setups_are_merged_once_per_run_and_read_back() {
        const S: Micros = 1_000_000;
        let go = |name: &str, duration| {
            member(
                Dialect::Go,
                None,
                "ex/p",
                name,
                Some(duration),
                Outcome::Passed,
            )
        };
        let group = |cases: std::ops::Range<usize>, duration| GroupTime { cases, duration };
        // Run 1: the package twice (two shards): 10 - 4 = 6 and 12 - 4 = 8,
        // subtests left out of the sum; median 7.
        let run1 = [
            go("TestA", 3 * S),
            go("TestA/x", 2 * S),
            go("TestB", S),
            go("TestA", 3 * S),
            go("TestB", S),
        ];
        let mut history = History::new(5, 2);
        let stats = history.merge_report(&run1, &[group(0..3, 10 * S), group(3..5, 12 * S)]);
        assert_eq!(stats.groups_measured, 1);
        let key = GroupKey {
            dialect: Dialect::Go,
            file: None,
            classname: None,
            suite: Some("ex/p".into()),
            variant: None,
        };
        assert_eq!(history.groups[&key].samples, [7 * S]);
        // Run 2: tests ran in parallel (setup 0); run 3: a test failed
        // without a time, so the group is seen but not measured.
        history.merge_report(&run1[..3], &[group(0..3, 2 * S)]);
        let mut failed = go("TestB", 0);
        failed.duration = None;
        failed.outcome = Outcome::Failed;
        let stats = history.merge_report(&[go("TestA", 3 * S), failed], &[group(0..2, 20 * S)]);
        assert_eq!(stats.groups_measured, 0);
        assert_eq!(history.groups[&key].samples, [7 * S, 0]);
        assert_eq!(history.groups[&key].last_seen, 3);
        assert_eq!(history.groups[&key].estimate(), Some(7 * S / 2));

        let text = history.to_json();
        assert!(
            text.ends_with("\"groups\": [\n    {\"dialect\":\"go\",\"suite\":\"ex/p\",\"last_seen\":3,\"samples\":[7000000,0]}\n  ]\n}\n"),
            "{text}"
        );
        assert_eq!(History::read(&mut text.as_bytes()).as_ref(), Ok(&history));
        // Read back: the group over its three tests (subtest included in
        // the range, left out of the duration): 3.5 + TestA 3 + TestB 1.
        let back = report(&mut text.as_bytes()).unwrap();
        assert_eq!(back.cases.len(), 3);
        assert_eq!(back.groups, [group(0..3, 7 * S + S / 2)]);
        // Gone for two runs: dropped with its tests.
        history.merge_report(&[], &[]);
        let stats = history.merge_report(&[], &[]);
        assert_eq!((stats.groups_dropped, history.groups.len()), (1, 0));
    }

    #[test]
    fn read_back_groups_are_contiguous_ranges() {
        let case = |file: &str, suite: &str, name: &str, duration| {
            member(
                Dialect::Mocha,
                Some(file),
                suite,
                name,
                duration,
                Outcome::Passed,
            )
        };
        let key = |file: Option<&str>, suite: Option<&str>| GroupKey {
            dialect: Dialect::Mocha,
            file: file.map(str::to_string),
            classname: None,
            suite: suite.map(str::to_string),
            variant: None,
        };
        // In key order the tests of suite "A" of f.js are split by "B".
        let cases = vec![
            case("f.js", "A", "a1", Some(10)),
            case("f.js", "B", "b1", Some(20)),
            case("f.js", "B", "b2", Some(30)),
            case("f.js", "A", "z1", None),
            case("g.js", "A", "a2", Some(40)),
            case("h.js", "C", "c", Some(1)),
        ];
        let report = with_groups(
            cases,
            vec![
                // The file, a suite in it, and a smaller suite across
                // files that the file's group splits: left out.
                (key(Some("f.js"), None), 100),
                (key(Some("f.js"), Some("A")), 5),
                (key(None, Some("A")), 7),
                // Matches no test.
                (key(Some("x.js"), None), 1),
            ],
        );
        let names: Vec<&str> = report.cases.iter().map(|c| c.name.as_str()).collect();
        // Outside any group, then f.js, then its suite "A" inside it.
        assert_eq!(names, ["a2", "c", "b1", "b2", "a1", "z1"]);
        // Setups plus the tests' durations (z1 has none).
        assert_eq!(
            report.groups,
            [
                GroupTime {
                    cases: 2..6,
                    duration: 160
                },
                GroupTime {
                    cases: 4..6,
                    duration: 15
                },
            ]
        );
    }
}
