//! The timing history's file format: what `shardplan merge` writes
//! ([`to_json`]), streamed back ([`read_stream`]), and read as timings
//! (`--format history`, [`report`]). The format and the estimate are
//! described in [`crate::history`], which keeps the history up to date;
//! read as timings, each test becomes one case whose duration is its
//! estimate (skipped, without a duration, if it never passed), and each
//! group setup a [`super::GroupTime`] over its tests, placed contiguously,
//! whose duration is the setup plus their estimates.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, BufRead, SeekFrom, Write};

use serde::de::MapAccess;
use serde::{Deserialize, Serialize};

use super::json::{self, Head, Object, Objects, Tracker};
use super::json_scan::{self, Bail, JsonStr, Scanner};
use super::{Diagnostic, GroupTime, Report, ReportFormat, SeekBufRead};
use crate::case::{Dialect, Outcome, Recent, Shared, TestCase, Text, TextBlock};
use crate::duration::{Micros, lower_median, median};

/// The value of the `format` key.
pub const FORMAT: &str = "shardplan-timings";

/// The format version this shardplan writes; it reads this one and 1.
pub const VERSION: u64 = 2;

/// The oldest format version this shardplan reads (1: without groups).
pub const OLDEST_VERSION: u64 = 1;

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
    pub file: Option<Shared>,
    /// Its class, package or binary, if recorded.
    pub classname: Option<Shared>,
    /// Its innermost suite, if recorded.
    pub suite: Option<Shared>,
    /// Its name.
    pub name: String,
    /// The configuration it ran in (a Playwright project), if any: each
    /// variant is a test of its own.
    pub variant: Option<Shared>,
}

/// What [`Key`]s sort by: dialect name, file, classname, suite, name and
/// variant (last, so keys without one keep their order).
pub(crate) type KeyOrder<'a> = (
    &'a str,
    &'a Option<Shared>,
    &'a Option<Shared>,
    &'a Option<Shared>,
    &'a str,
    &'a Option<Shared>,
);

impl Key {
    /// The key of a report's case.
    pub fn of(case: &TestCase) -> Key {
        Key {
            dialect: case.dialect,
            file: case.file.clone(),
            classname: case.classname.clone(),
            suite: case.suite.clone(),
            name: case.name.to_string(),
            variant: case.variant.clone(),
        }
    }

    /// Where `case`'s key sorts among keys (what [`Key::of`] the case
    /// would compare as), without building the key.
    pub(crate) fn order_of(case: &TestCase) -> KeyOrder<'_> {
        (
            case.dialect.name(),
            &case.file,
            &case.classname,
            &case.suite,
            case.name.as_str(),
            &case.variant,
        )
    }

    /// Ordered by the dialect's *name*, so adding a dialect never reorders
    /// the file.
    pub(crate) fn order(&self) -> KeyOrder<'_> {
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
    /// As `Key::order` orders keys, field by field: a dialect is its
    /// name, so one dialect needs no look at the names.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let dialect = if self.dialect == other.dialect {
            std::cmp::Ordering::Equal
        } else {
            self.dialect.name().cmp(other.dialect.name())
        };
        dialect
            .then_with(|| self.file.cmp(&other.file))
            .then_with(|| self.classname.cmp(&other.classname))
            .then_with(|| self.suite.cmp(&other.suite))
            .then_with(|| self.name.cmp(&other.name))
            .then_with(|| self.variant.cmp(&other.variant))
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
    pub file: Option<Shared>,
    /// The class every case has, kept only when neither `file` nor `suite`
    /// is shared.
    pub classname: Option<Shared>,
    /// The innermost suite every case has, if they share one.
    pub suite: Option<Shared>,
    /// The variant (Playwright project) every case has, if they share one:
    /// Playwright writes one suite per project and file.
    pub variant: Option<Shared>,
}

impl GroupKey {
    /// The key of a report group's cases: `None` when they are of several
    /// dialects or share neither file, suite nor class.
    pub fn of(members: &[TestCase]) -> Option<GroupKey> {
        let (first, rest) = members.split_first()?;
        if rest.iter().any(|c| c.dialect != first.dialect) {
            return None;
        }
        let shared = |field: fn(&TestCase) -> &Option<Shared>| {
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
        &Option<Shared>,
        &Option<Shared>,
        &Option<Shared>,
        &Option<Shared>,
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

/// How a test ended in one run (one merge), as the history keeps it: one
/// character per run in a test's `outcomes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RunOutcome {
    /// `p`: passed.
    Passed,
    /// `f`: failed.
    Failed,
    /// `e`: errored.
    Errored,
    /// `s`: skipped only.
    Skipped,
    /// `r`: failed (or errored) and passed in the same run: a rerun that
    /// passed (Surefire, pytest-rerunfailures, Gradle), or two shards that
    /// disagreed. Flaky by itself: the same code both failed and passed.
    Rerun,
}

impl RunOutcome {
    /// The run's outcome from every result the run's reports hold for one
    /// test: a failure and a pass (or a report's own flaky mark) make
    /// [`RunOutcome::Rerun`]; else an error, a failure, a pass, a skip.
    pub fn of(outcomes: impl IntoIterator<Item = Outcome>) -> Option<RunOutcome> {
        let (mut passed, mut failed, mut errored, mut skipped, mut rerun) =
            (false, false, false, false, false);
        for outcome in outcomes {
            match outcome {
                Outcome::Passed => passed = true,
                Outcome::Failed => failed = true,
                Outcome::Errored => errored = true,
                Outcome::Skipped => skipped = true,
                Outcome::PassedOnRerun => rerun = true,
            }
        }
        Some(if rerun || (passed && (failed || errored)) {
            RunOutcome::Rerun
        } else if errored {
            RunOutcome::Errored
        } else if failed {
            RunOutcome::Failed
        } else if passed {
            RunOutcome::Passed
        } else if skipped {
            RunOutcome::Skipped
        } else {
            return None;
        })
    }

    /// Its character in `outcomes`.
    pub fn letter(self) -> char {
        match self {
            RunOutcome::Passed => 'p',
            RunOutcome::Failed => 'f',
            RunOutcome::Errored => 'e',
            RunOutcome::Skipped => 's',
            RunOutcome::Rerun => 'r',
        }
    }

    /// The outcome a character stands for.
    pub fn from_letter(letter: char) -> Option<RunOutcome> {
        Some(match letter {
            'p' => RunOutcome::Passed,
            'f' => RunOutcome::Failed,
            'e' => RunOutcome::Errored,
            's' => RunOutcome::Skipped,
            'r' => RunOutcome::Rerun,
            _ => return None,
        })
    }

    /// Whether the test failed in the run (a rerun that passed included).
    pub fn failed(self) -> bool {
        matches!(
            self,
            RunOutcome::Failed | RunOutcome::Errored | RunOutcome::Rerun
        )
    }

    /// Outcomes as their characters, oldest first (`"ppfp"`).
    pub fn letters(outcomes: &[RunOutcome]) -> String {
        outcomes.iter().map(|o| o.letter()).collect()
    }
}

/// What the history knows about one test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// The run in which the test last appeared.
    pub last_seen: u64,
    /// One duration per passing run, oldest first, at most `keep`.
    pub samples: Vec<Micros>,
    /// How the test ended in each run it appeared in, oldest first, at most
    /// [`outcome_window`] of them; empty for groups, and for tests merged
    /// by a shardplan that did not keep outcomes.
    pub outcomes: Vec<RunOutcome>,
    /// Groups only: how long the group waited to start, one per run that
    /// showed it, oldest first, at most `keep` ([`super::GroupTime::wait`]).
    pub waits: Vec<Micros>,
}

/// How many outcomes a test keeps: the longer of `keep` and `drop_after`,
/// so the window is at least as long as both the timing window and the
/// runs a test is kept unseen.
pub fn outcome_window(keep: usize, drop_after: u64) -> usize {
    keep.max(usize::try_from(drop_after).unwrap_or(usize::MAX))
}

impl Record {
    /// The duration planning assumes: the median of the samples.
    pub fn estimate(&self) -> Option<Micros> {
        (!self.samples.is_empty()).then(|| median(&mut self.samples.clone()))
    }
}

/// One line of `tests`. Its text is borrowed where it can be: from the
/// history being written, and from the slice [`json_scan`] parsed it from.
#[derive(Serialize, Deserialize)]
struct StoredTest<'a> {
    #[serde(borrow)]
    dialect: JsonStr<'a>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    file: Option<JsonStr<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    classname: Option<JsonStr<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    suite: Option<JsonStr<'a>>,
    #[serde(borrow)]
    name: JsonStr<'a>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    variant: Option<JsonStr<'a>>,
    last_seen: u64,
    samples: Cow<'a, [Micros]>,
    /// One letter per run, oldest first (see [`RunOutcome`]); left out
    /// when empty, so files without it read as before.
    #[serde(default, borrow, skip_serializing_if = "JsonStr::is_empty")]
    outcomes: JsonStr<'a>,
}

/// One line of `groups`.
#[derive(Serialize, Deserialize)]
struct StoredGroup<'a> {
    #[serde(borrow)]
    dialect: JsonStr<'a>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    file: Option<JsonStr<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    classname: Option<JsonStr<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    suite: Option<JsonStr<'a>>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    variant: Option<JsonStr<'a>>,
    last_seen: u64,
    samples: Cow<'a, [Micros]>,
    /// How long the group waited to start, per run that showed it; left
    /// out when empty, so files without it read as before.
    #[serde(default, skip_serializing_if = "<[Micros]>::is_empty")]
    waits: Cow<'a, [Micros]>,
}

/// One entry of `costs`: what one runner's runs cost beyond their
/// tests, as observations to fit the learned cost model to (see
/// [`crate::history`], whose `learned` module fits them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostRecord {
    /// The runner (`--runner` name) whose groups were counted.
    pub runner: String,
    /// The fitted start-up per shard, microseconds: derived from the
    /// observations, written for people, recomputed when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_startup: Option<Micros>,
    /// The fitted cost per group, likewise derived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_cost: Option<Micros>,
    /// The fitted concurrency (tests running at once, per mille), likewise
    /// derived; absent (1000: one at a time) until the shards show more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u64>,
    /// Per shard of a recorded run: `[run, groups it touched, its wall
    /// time minus what its reports account for (µs, may be negative),
    /// times it started its runner]`; the last is left out when 1 (and
    /// is 1 in files written before it was kept).
    #[serde(default, with = "launches_last")]
    pub shards: Vec<ShardPoint>,
    /// Per report suite spanning several groups (pytest's session):
    /// `[run, groups in it, its time minus its tests (µs)]`.
    #[serde(default)]
    pub suites: Vec<(u64, u64, i64)>,
    /// Per shard of a recorded run, for its concurrency: `[run, groups it
    /// touched, the sum of its tests and measured setups (µs), its wall
    /// time (µs)]`: the same shards as `shards`, whose `y` is the last
    /// minus the third, then the times it started its runner (left out
    /// when 1, like `shards`). Absent in files written before it.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "launches_last")]
    pub loads: Vec<LoadPoint>,
    /// Per report that times its own run (nextest's root `<testsuites
    /// timestamp time>`, a go stream, stamped suites), recorded shard or
    /// not: `[run, the sum of its tests and measured setups (µs), the
    /// run's window (µs)]`. Only those run inside that window, so their
    /// sum over it is the concurrency, start-up left out. Absent in files
    /// written before it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub windows: Vec<(u64, u64, u64)>,
    /// Per shard record merged: `[run, "<plan fingerprint> <index>
    /// <started>"]`, so that merging the same shard's reports again (a
    /// re-run of the merging job) is seen, not counted twice. Absent in
    /// files written before it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recorded: Vec<(u64, String)>,
}

/// A recorded shard's cost observation: `(run, groups, y, launches)`
/// (see [`CostRecord::shards`]).
pub type ShardPoint = (u64, u64, i64, u64);

/// A recorded shard's load: `(run, groups, tests and measured setups,
/// wall, launches)` (see [`CostRecord::loads`]).
pub type LoadPoint = (u64, u64, u64, i64, u64);

/// A cost observation whose last number, the times a shard started its
/// runner, is written only when it is not 1: files stay as they were for
/// runners started once per shard, and older files read as such.
trait LaunchesLast: Sized {
    /// The numbers before the launches.
    const FIELDS: usize;
    /// The numbers, launches last.
    fn to_numbers(&self) -> Vec<i64>;
    /// The observation from its numbers, launches last; `None` when one
    /// is out of its range.
    fn from_numbers(numbers: &[i64]) -> Option<Self>;
}

/// A count or duration as the file writes it (never near `i64::MAX`).
fn number(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl LaunchesLast for ShardPoint {
    const FIELDS: usize = 3;
    fn to_numbers(&self) -> Vec<i64> {
        vec![number(self.0), number(self.1), self.2, number(self.3)]
    }
    fn from_numbers(n: &[i64]) -> Option<Self> {
        Some((
            n[0].try_into().ok()?,
            n[1].try_into().ok()?,
            n[2],
            n[3].try_into().ok()?,
        ))
    }
}

impl LaunchesLast for LoadPoint {
    const FIELDS: usize = 4;
    fn to_numbers(&self) -> Vec<i64> {
        vec![
            number(self.0),
            number(self.1),
            number(self.2),
            self.3,
            number(self.4),
        ]
    }
    fn from_numbers(n: &[i64]) -> Option<Self> {
        Some((
            n[0].try_into().ok()?,
            n[1].try_into().ok()?,
            n[2].try_into().ok()?,
            n[3],
            n[4].try_into().ok()?,
        ))
    }
}

/// `serde(with)` for a list of [`LaunchesLast`] observations.
mod launches_last {
    use serde::de::Error as _;
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    use super::LaunchesLast;

    pub fn serialize<S: Serializer, T: LaunchesLast>(
        points: &[T],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(points.len()))?;
        for point in points {
            let mut numbers = point.to_numbers();
            if numbers.last() == Some(&1) {
                numbers.pop();
            }
            seq.serialize_element(&numbers)?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: LaunchesLast>(
        deserializer: D,
    ) -> Result<Vec<T>, D::Error> {
        let lists = Vec::<Vec<i64>>::deserialize(deserializer)?;
        lists
            .into_iter()
            .map(|mut numbers| {
                if numbers.len() == T::FIELDS {
                    numbers.push(1);
                }
                if numbers.len() != T::FIELDS + 1 {
                    return Err(D::Error::custom(format!(
                        "a cost observation has {} numbers where {} or {} were expected",
                        numbers.len(),
                        T::FIELDS,
                        T::FIELDS + 1
                    )));
                }
                T::from_numbers(&numbers).ok_or_else(|| {
                    D::Error::custom("a cost observation holds a number out of its range")
                })
            })
            .collect()
    }
}

/// The settings a history file records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Merges so far.
    pub runs: u64,
    /// Samples kept per test.
    pub keep: usize,
    /// Runs after which an unseen test is dropped.
    pub drop_after: u64,
    /// The learned cost model's observations, one entry per runner, sorted
    /// by runner (the optional top-level `costs`).
    pub costs: Vec<CostRecord>,
}

/// What a history file holds, handed over as it is read: each test and
/// each group with its record and the offset of its entry.
pub trait Entries {
    /// A test of `tests`.
    fn test(&mut self, key: Key, record: Record, at: u64);
    /// A group of `groups`.
    fn group(&mut self, key: GroupKey, record: Record, at: u64);
    /// Forgets every entry handed over: the file is read again from where
    /// it started ([`read_seekable`]).
    fn clear(&mut self);
}

/// Streams a history file into `entries` and returns the header once the
/// document is checked.
pub fn read_stream(
    input: &mut dyn BufRead,
    entries: &mut dyn Entries,
) -> Result<Header, Diagnostic> {
    let tracker = Tracker::default();
    let mut fields = Fields::default();
    json::read(
        input,
        &tracker,
        Object(Root {
            tracker: &tracker,
            fields: &mut fields,
            entries,
        }),
    )?;
    fields.header()
}

/// [`read_stream`] of a file, fast: each entry is parsed from its own
/// bytes (the crate's `report::json_scan`), several times faster than
/// streaming it. Should the fast reader give up, which it does on anything
/// unusual, `entries` are cleared and the file is streamed again from
/// where it started, so the entries and any diagnostic are
/// [`read_stream`]'s. Input that cannot seek (a pipe) is only streamed.
pub fn read_seekable(
    input: &mut dyn SeekBufRead,
    entries: &mut dyn Entries,
) -> Result<Header, Diagnostic> {
    // Input that cannot go back (a pipe) is streamed once.
    let Ok(start) = input.stream_position() else {
        return read_stream(input, entries);
    };
    if let Ok(header) = read_fast(input, entries) {
        return Ok(header);
    }
    entries.clear();
    input
        .seek(SeekFrom::Start(start))
        .map_err(|e| Diagnostic::whole(format!("cannot read report: {e}")))?;
    read_stream(input, entries)
}

/// The fast reader of [`read_seekable`]: the same header and entries as
/// [`read_stream`], or [`Bail`].
fn read_fast(input: &mut dyn BufRead, entries: &mut dyn Entries) -> Result<Header, Bail> {
    let mut scanner = Scanner::new(input)?;
    let mut fields = Fields::default();
    scanner.object(|scanner, key| {
        match key.as_str() {
            "format" => fields.format = Some(scanner.value()?),
            "version" => fields.version = Some(scanner.value()?),
            "runs" => fields.runs = Some(scanner.value()?),
            "keep" => fields.keep = Some(scanner.value()?),
            "drop_after" => fields.drop_after = Some(scanner.value()?),
            "costs" => fields.costs = scanner.value()?,
            "tests" => {
                fields.tests_seen = true;
                let mut text = KeyText::default();
                scanner.each_object(|bytes, at| {
                    let stored: StoredTest = json_scan::parse(bytes)?;
                    let (key, record) = stored.into_entry(&mut text).map_err(|_| Bail)?;
                    entries.test(key, record, at);
                    Ok(())
                })?;
            }
            "groups" => {
                let mut text = KeyText::default();
                scanner.each_object(|bytes, at| {
                    let stored: StoredGroup = json_scan::parse(bytes)?;
                    let (key, record) = stored.into_entry(&mut text).map_err(|_| Bail)?;
                    entries.group(key, record, at);
                    Ok(())
                })?;
            }
            _ => scanner.skip_value()?,
        }
        Ok(())
    })?;
    scanner.end()?;
    // A header the streaming reader would refuse is refused by it, in its
    // words.
    fields.header().map_err(|_| Bail)
}

#[derive(Default)]
struct Fields {
    format: Option<String>,
    version: Option<u64>,
    runs: Option<u64>,
    keep: Option<usize>,
    drop_after: Option<u64>,
    tests_seen: bool,
    costs: Vec<CostRecord>,
}

impl Fields {
    /// The header these fields give, once the whole document is read.
    fn header(self) -> Result<Header, Diagnostic> {
        let missing = |what: &str| Diagnostic::whole(format!("timing history without `{what}`"));
        match self.format.as_deref() {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(Diagnostic::whole(format!(
                    "`format` is {other:?}, not {FORMAT:?}: not a shardplan timing history"
                )));
            }
            None => return Err(missing("format")),
        }
        match self.version {
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
        if !self.tests_seen {
            return Err(missing("tests"));
        }
        Ok(Header {
            runs: self.runs.ok_or_else(|| missing("runs"))?,
            keep: self.keep.unwrap_or(DEFAULT_KEEP).max(1),
            drop_after: self.drop_after.unwrap_or(DEFAULT_DROP_AFTER).max(1),
            costs: self.costs,
        })
    }
}

/// The top-level object: the header's fields, and the tests, streamed.
struct Root<'a> {
    tracker: &'a Tracker,
    fields: &'a mut Fields,
    entries: &'a mut dyn Entries,
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
            "costs" => self.fields.costs = map.next_value()?,
            "tests" => {
                self.fields.tests_seen = true;
                let entries = &mut *self.entries;
                let mut text = KeyText::default();
                map.next_value_seed(Objects::new(
                    self.tracker,
                    "the array of tests",
                    |stored: StoredTest, at| {
                        let (key, record) = stored.into_entry(&mut text)?;
                        entries.test(key, record, at);
                        Ok(())
                    },
                ))?;
            }
            "groups" => {
                let entries = &mut *self.entries;
                let mut text = KeyText::default();
                map.next_value_seed(Objects::new(
                    self.tracker,
                    "the array of groups",
                    |stored: StoredGroup, at| {
                        let (key, record) = stored.into_entry(&mut text)?;
                        entries.group(key, record, at);
                        Ok(())
                    },
                ))?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The text of the keys read so far: neighbouring tests of one file or
/// class share it ([`Recent`]).
#[derive(Default)]
struct KeyText {
    file: Recent,
    classname: Recent,
    suite: Recent,
    variant: Recent,
}

impl KeyText {
    fn share(recent: &mut Recent, value: Option<JsonStr<'_>>) -> Option<Shared> {
        value.map(|value| recent.share(&value.0))
    }
}

impl StoredTest<'_> {
    /// The test's key and record, or why its dialect is unknown.
    fn into_entry(self, text: &mut KeyText) -> std::result::Result<(Key, Record), String> {
        let Some(dialect) = Dialect::from_name(&self.dialect.0) else {
            return Err(format!("unknown dialect {:?}", self.dialect.0));
        };
        let key = Key {
            dialect,
            file: KeyText::share(&mut text.file, self.file),
            classname: KeyText::share(&mut text.classname, self.classname),
            suite: KeyText::share(&mut text.suite, self.suite),
            name: self.name.0.into_owned(),
            variant: KeyText::share(&mut text.variant, self.variant),
        };
        let outcomes = self
            .outcomes
            .0
            .chars()
            .map(|letter| {
                RunOutcome::from_letter(letter).ok_or_else(|| {
                    format!(
                        "unknown outcome {letter:?} in `outcomes` {:?}: expected p, f, e, s or r",
                        self.outcomes.0
                    )
                })
            })
            .collect::<std::result::Result<_, _>>()?;
        let record = Record {
            last_seen: self.last_seen,
            samples: self.samples.into_owned(),
            outcomes,
            waits: Vec::new(),
        };
        Ok((key, record))
    }
}

impl StoredGroup<'_> {
    /// The group's key and record, or why they are unusable.
    fn into_entry(self, text: &mut KeyText) -> std::result::Result<(GroupKey, Record), String> {
        let Some(dialect) = Dialect::from_name(&self.dialect.0) else {
            return Err(format!("unknown dialect {:?}", self.dialect.0));
        };
        if self.file.is_none() && self.classname.is_none() && self.suite.is_none() {
            return Err("a group needs a `file`, `classname` or `suite`".to_string());
        }
        let key = GroupKey {
            dialect,
            file: KeyText::share(&mut text.file, self.file),
            classname: KeyText::share(&mut text.classname, self.classname),
            suite: KeyText::share(&mut text.suite, self.suite),
            variant: KeyText::share(&mut text.variant, self.variant),
        };
        let record = Record {
            last_seen: self.last_seen,
            samples: self.samples.into_owned(),
            outcomes: Vec::new(),
            waits: self.waits.into_owned(),
        };
        Ok((key, record))
    }
}

/// The history as a `--timings` input: one case per test, passing with the
/// test's estimate as its duration, or skipped (no duration) when it never
/// passed; and one group time per group with an estimate (see the module
/// docs).
pub fn report(input: &mut dyn BufRead) -> Result<Report, Diagnostic> {
    let mut read = AsTimings::default();
    let header = read_stream(input, &mut read)?;
    Ok(read.report(header))
}

/// [`report`] of a file, read by [`read_seekable`].
pub fn report_seekable(input: &mut dyn SeekBufRead) -> Result<Report, Diagnostic> {
    let mut read = AsTimings::default();
    let header = read_seekable(input, &mut read)?;
    Ok(read.report(header))
}

/// A history's entries as timings ([`report`]).
#[derive(Default)]
struct AsTimings {
    cases: Vec<TestCase>,
    groups: Vec<(GroupKey, Micros, Option<Micros>)>,
    /// The names of the last cases, waiting for their block: a million
    /// names are then a few hundred allocations, not a million.
    names: TextBlock,
    /// What those cases are named until then.
    unnamed: Text,
}

impl AsTimings {
    fn report(mut self, header: Header) -> Report {
        self.pack_names();
        Report {
            history: Some(header),
            ..with_groups(self.cases, self.groups)
        }
    }

    /// Gives the cases waiting in `names` their names.
    fn pack_names(&mut self) {
        let from = self.cases.len() - self.names.len();
        for (case, name) in self.cases[from..].iter_mut().zip(self.names.finish()) {
            case.name = name;
        }
    }
}

impl Entries for AsTimings {
    fn test(&mut self, key: Key, record: Record, _: u64) {
        // A test the kept runs only ever skipped costs its skip, about
        // nothing, rather than an estimate from its siblings.
        let only_skipped = !record.outcomes.is_empty()
            && record.outcomes.iter().all(|&o| o == RunOutcome::Skipped);
        let duration = record.estimate().or(only_skipped.then_some(0));
        self.names.push(&key.name);
        self.cases.push(TestCase {
            duration,
            name: self.unnamed.clone(),
            classname: key.classname,
            suite: key.suite,
            file: key.file,
            outcome: if record.samples.is_empty() {
                Outcome::Skipped
            } else {
                Outcome::Passed
            },
            dialect: key.dialect,
            variant: key.variant,
        });
        if self.names.is_full() {
            self.pack_names();
        }
    }

    fn group(&mut self, key: GroupKey, record: Record, _: u64) {
        if let Some(setup) = record.estimate() {
            let wait = (!record.waits.is_empty()).then(|| lower_median(&mut record.waits.clone()));
            self.groups.push((key, setup, wait));
        }
    }

    fn clear(&mut self) {
        *self = AsTimings::default();
    }
}

/// A group key's field when `mask` has `bit` (`None` if the case lacks
/// it: no such key matches), else `Some(None)`: the field is left out.
fn pick(mask: u8, bit: u8, field: &Option<Shared>) -> Option<Option<&str>> {
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
pub(crate) fn with_groups(
    cases: Vec<TestCase>,
    mut groups: Vec<(GroupKey, Micros, Option<Micros>)>,
) -> Report {
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
        .map(|(g, (key, _, _))| {
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
                start: None,
                wait: groups[g].2,
            })
        })
        .collect();
    let mut slots: Vec<Option<TestCase>> = cases.into_iter().map(Some).collect();
    let cases = placed.iter().filter_map(|&t| slots[t].take()).collect();
    Report {
        cases,
        groups: times,
        warnings: Vec::new(),
        run: None,
        history: None,
    }
}

/// A history file holding `header`, `tests` and `groups`: one test or
/// group per line, so that a history kept in git diffs line by line.
pub fn to_json(
    header: Header,
    tests: &BTreeMap<Key, Record>,
    groups: &BTreeMap<GroupKey, Record>,
) -> String {
    let mut out = Vec::new();
    write_json(header, tests, groups, &mut out).expect("a history always writes to memory");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// [`to_json`] written to `out` as it is made, a test a line: a million
/// tests' history is 190 MB, not held at once.
pub fn write_json(
    header: Header,
    tests: &BTreeMap<Key, Record>,
    groups: &BTreeMap<GroupKey, Record>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    write!(
        out,
        "{{\n  \"format\": \"{FORMAT}\",\n  \"version\": {VERSION},\n  \"runs\": {},\n  \"keep\": {},\n  \"drop_after\": {},\n  \"tests\": [",
        header.runs, header.keep, header.drop_after
    )?;
    let mut first = true;
    for (key, record) in tests {
        let outcomes = RunOutcome::letters(&record.outcomes);
        let line = StoredTest {
            dialect: key.dialect.name().into(),
            file: key.file.as_deref().map(JsonStr::from),
            classname: key.classname.as_deref().map(JsonStr::from),
            suite: key.suite.as_deref().map(JsonStr::from),
            name: key.name.as_str().into(),
            variant: key.variant.as_deref().map(JsonStr::from),
            last_seen: record.last_seen,
            samples: Cow::Borrowed(&record.samples),
            outcomes: outcomes.as_str().into(),
        };
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        serde_json::to_writer(&mut out, &line)?;
        first = false;
    }
    out.write_all(if first {
        b"],\n  \"groups\": ["
    } else {
        b"\n  ],\n  \"groups\": ["
    })?;
    let mut first = true;
    for (key, record) in groups {
        let line = StoredGroup {
            dialect: key.dialect.name().into(),
            file: key.file.as_deref().map(JsonStr::from),
            classname: key.classname.as_deref().map(JsonStr::from),
            suite: key.suite.as_deref().map(JsonStr::from),
            variant: key.variant.as_deref().map(JsonStr::from),
            last_seen: record.last_seen,
            samples: Cow::Borrowed(&record.samples),
            waits: Cow::Borrowed(&record.waits),
        };
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        serde_json::to_writer(&mut out, &line)?;
        first = false;
    }
    out.write_all(if first { b"]" } else { b"\n  ]" })?;
    if !header.costs.is_empty() {
        out.write_all(b",\n  \"costs\": [")?;
        for (n, record) in header.costs.iter().enumerate() {
            out.write_all(if n == 0 { b"\n    " } else { b",\n    " })?;
            serde_json::to_writer(&mut out, record)?;
        }
        out.write_all(b"\n  ]")?;
    }
    out.write_all(b"\n}\n")?;
    out.flush()
}

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
            && json.string().as_deref() == Some(FORMAT)
    }

    fn read(&self, input: &mut dyn BufRead) -> Result<Report, Diagnostic> {
        report(input)
    }

    fn read_seekable(&self, input: &mut dyn SeekBufRead) -> Result<Report, Diagnostic> {
        report_seekable(input)
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
            name: name.into(),
            classname: Some("Ns.Tests".into()),
            suite: Some("Ns.Tests.dll".into()),
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
            case("C", 2, Outcome::Skipped),
        ]);
        timings.merge_run(&[
            case("A", 300, Outcome::Passed),
            case("A", 500, Outcome::Passed),
            case("C", 3, Outcome::Skipped),
        ]);
        let text = timings.to_json();
        assert!(History.sniff(text.as_bytes()));
        let report = History.read(&mut text.as_bytes()).unwrap();
        assert_eq!(report.cases.len(), 3);
        assert_eq!(report.cases[0].name, "A");
        // Samples 100 and 400 (the mean of run 2's two passes).
        assert_eq!(report.cases[0].duration, Some(250));
        assert_eq!(report.cases[0].suite.as_deref(), Some("Ns.Tests.dll"));
        // B never passed: it exists, without a duration.
        assert_eq!(report.cases[1].duration, None);
        assert_eq!(report.cases[1].outcome, Outcome::Skipped);
        assert_eq!(report.cases[0].outcome, Outcome::Passed);
        // C was only ever skipped: it costs its skip, not an estimate.
        assert_eq!(report.cases[2].duration, Some(0));
        assert_eq!(report.cases[2].outcome, Outcome::Skipped);
        // Merged without group times: none read back.
        assert!(report.groups.is_empty());
    }

    /// Every entry a reader hands over, in order.
    #[derive(Debug, Default, PartialEq)]
    struct Recorded {
        tests: Vec<(Key, Record, u64)>,
        groups: Vec<(GroupKey, Record, u64)>,
        cleared: usize,
    }

    impl Entries for Recorded {
        fn test(&mut self, key: Key, record: Record, at: u64) {
            self.tests.push((key, record, at));
        }
        fn group(&mut self, key: GroupKey, record: Record, at: u64) {
            self.groups.push((key, record, at));
        }
        fn clear(&mut self) {
            self.tests.clear();
            self.groups.clear();
            self.cleared += 1;
        }
    }

    /// What the streaming reader and [`read_seekable`] make of `text`, and
    /// whether the fast reader read it itself.
    fn both_readers(
        text: &str,
    ) -> (
        Result<Header, Diagnostic>,
        Recorded,
        Result<Header, Diagnostic>,
        Recorded,
    ) {
        let mut streamed = Recorded::default();
        let slow = read_stream(&mut text.as_bytes(), &mut streamed);
        let mut seekable = Recorded::default();
        let fast = read_seekable(&mut io::Cursor::new(text.as_bytes()), &mut seekable);
        (slow, streamed, fast, seekable)
    }

    /// A history with a bit of everything a merge writes: names that need
    /// escapes, groups with waits, outcomes and learned costs.
    fn written_history() -> String {
        let case = |name: &str, file: &str, duration, outcome| TestCase {
            name: name.into(),
            classname: Some("tests.mod".into()),
            suite: Some("pytest".into()),
            file: Some(file.into()),
            duration: Some(duration),
            outcome,
            dialect: Dialect::Pytest,
            variant: None,
        };
        let cases = [
            case("test_a", "tests/a.py", 100, Outcome::Passed),
            case(
                "test_b[\"quoted\" \\ back]",
                "tests/a.py",
                5,
                Outcome::Failed,
            ),
            case("test_c[\u{1}\ttab é ✓]", "tests/b.py", 2, Outcome::Skipped),
            case("test_d", "tests/b.py", 7, Outcome::PassedOnRerun),
        ];
        let groups = [
            GroupTime {
                cases: 0..2,
                duration: 200,
                start: None,
                wait: Some(30),
            },
            GroupTime {
                cases: 2..4,
                duration: 50,
                start: None,
                wait: None,
            },
        ];
        let mut timings = Timings::new(5, 10);
        timings.merge_report(&cases, &groups);
        timings.merge_report(&cases, &groups);
        timings.costs.insert(
            "pytest".to_string(),
            CostRecord {
                runner: "pytest".to_string(),
                shards: vec![(1, 2, 900, 1), (2, 3, -40, 2)],
                suites: vec![(1, 2, 600)],
                ..CostRecord::default()
            },
        );
        timings.to_json()
    }

    #[test]
    fn the_fast_reader_reads_what_merge_writes_as_the_streaming_reader_does() {
        let text = written_history();
        assert!(text.contains("\\\"quoted\\\""), "{text}");
        assert!(
            text.contains("\"groups\"") && text.contains("\"costs\""),
            "{text}"
        );
        let mut fast = Recorded::default();
        let header = read_fast(&mut text.as_bytes(), &mut fast).expect("the fast reader reads it");
        let (slow, streamed, seekable, recorded) = both_readers(&text);
        assert_eq!(slow, Ok(header));
        assert_eq!(seekable, slow);
        assert_eq!((recorded.cleared, &recorded.tests), (0, &streamed.tests));
        assert_eq!(recorded.groups, streamed.groups);
        assert_eq!(fast, recorded);
        assert_eq!(streamed.tests.len(), 4);
        assert_eq!(streamed.groups.len(), 2);
    }

    #[test]
    fn odd_documents_read_the_same_either_way() {
        let text = written_history();
        let tests_at = text.find("\"tests\"").unwrap();
        let documents = [
            // Read by the fast reader.
            format!("\u{feff}{text}"),
            text.replace('\n', "\r\n\t "),
            text.replacen(
                "{",
                "{\"extra\": {\"deep\": [1, 2.5e3, null, true, \"}\"]},",
                1,
            ),
            format!(
                "{{\"runs\": 2, {}",
                &text[text.find("\"format\"").unwrap()..]
            ),
            text.replacen("\"name\":\"test_a\"", "\"name\":\"test_\\u0061\"", 1),
            // A test twice: for [`Timings::read`] to refuse.
            {
                let line = &text[tests_at + text[tests_at..].find("\n    {").unwrap()..];
                let line = &line[..line[1..].find('\n').unwrap() + 1];
                text.replacen(line, &format!("{line}{line}"), 1)
            },
            // Read again by the streaming reader.
            text.replacen("\"dialect\":\"pytest\"", "\"dialect\":\"nope\"", 1),
            text.replacen("\"outcomes\":\"", "\"outcomes\":\"x", 1),
            text.replacen("\"samples\":[", "\"samples\":[-", 1),
            text.replacen("\"last_seen\"", "\"last_seen\":1,\"last_seen\"", 1),
            text.replacen("shardplan-timings", "other", 1),
            text.replacen("\"version\": 2", "\"version\": 9", 1),
            text.replacen("}\n  ],", "},\n  ],", 1),
            text[..text.len() / 2].to_string(),
            format!("{text} x"),
            format!(
                "{}{}",
                &text[..tests_at],
                &text[text.find("\"groups\"").unwrap()..]
            ),
            text.replacen("\"tests\": [", "\"tests\": [1,", 1),
            "{}".to_string(),
            String::new(),
        ];
        for (n, document) in documents.iter().enumerate() {
            let (slow, streamed, fast, recorded) = both_readers(document);
            assert_eq!(fast, slow, "document {n}: {document}");
            assert_eq!(recorded.tests, streamed.tests, "document {n}");
            assert_eq!(recorded.groups, streamed.groups, "document {n}");
            let fast_read = read_fast(&mut document.as_bytes(), &mut Recorded::default()).is_ok();
            assert_eq!(fast_read, n < 6, "document {n}: {slow:?}");
            assert_eq!(recorded.cleared, usize::from(n >= 6), "document {n}");
            let history = Timings::read(&mut document.as_bytes());
            let file = Timings::read_seekable(&mut io::Cursor::new(document.as_bytes()));
            assert_eq!(file, history, "document {n}");
            assert_eq!(history.is_ok(), n < 5, "document {n}: {history:?}");
            // Values straddling the reader's buffers, escapes and numbers
            // cut at their edges.
            // (Either reader sees a BOM only in a buffer of 3 bytes or more.)
            for capacity in [3, 4, 7, 64, 1 << 16] {
                let mut buffered =
                    io::BufReader::with_capacity(capacity, io::Cursor::new(document));
                let mut read = Recorded::default();
                let header = read_seekable(&mut buffered, &mut read);
                assert_eq!(header, slow, "document {n}, buffer {capacity}");
                // Read by the fast reader, at every buffer size, or not.
                let cleared = usize::from(n >= 6);
                assert_eq!(read.cleared, cleared, "document {n}, buffer {capacity}");
                assert_eq!(
                    read.tests, streamed.tests,
                    "document {n}, buffer {capacity}"
                );
                assert_eq!(
                    read.groups, streamed.groups,
                    "document {n}, buffer {capacity}"
                );
            }
        }
    }

    /// Input that cannot go back, as a pipe.
    struct Pipe<'a>(&'a [u8]);

    impl io::Read for Pipe<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0.read(buf)
        }
    }

    impl BufRead for Pipe<'_> {
        fn fill_buf(&mut self) -> io::Result<&[u8]> {
            Ok(self.0)
        }
        fn consume(&mut self, amount: usize) {
            self.0 = &self.0[amount..];
        }
    }

    impl io::Seek for Pipe<'_> {
        fn seek(&mut self, _: SeekFrom) -> io::Result<u64> {
            Err(io::Error::other("illegal seek"))
        }
    }

    #[test]
    fn a_pipe_is_streamed_and_bytes_that_are_not_utf8_are_the_streams_to_judge() {
        let text = written_history();
        let deep = json_scan::nested_past_the_scanner(&text);
        let mut not_utf8 = b"{\"later\": \"\xff\xfe\",".to_vec();
        not_utf8.extend_from_slice(&text.as_bytes()[1..]);
        for (n, document) in [text.as_bytes(), deep.as_bytes(), &not_utf8]
            .into_iter()
            .enumerate()
        {
            let mut streamed = Recorded::default();
            let slow = read_stream(&mut &document[..], &mut streamed);
            assert!(slow.is_ok(), "document {n}: {slow:?}");
            let mut piped = Recorded::default();
            assert_eq!(
                read_seekable(&mut Pipe(document), &mut piped),
                slow,
                "document {n}"
            );
            assert_eq!(piped, streamed, "document {n}");
            let fast = read_fast(&mut &document[..], &mut Recorded::default());
            assert_eq!(fast.is_ok(), n == 0, "document {n}");
            let mut file = Recorded::default();
            let from_file = read_seekable(&mut io::Cursor::new(document), &mut file);
            assert_eq!(
                (from_file, file.tests),
                (slow, streamed.tests),
                "document {n}"
            );
        }
    }

    #[test]
    fn a_file_read_as_timings_is_read_the_same_either_way() {
        let text = written_history();
        let report = History.read(&mut text.as_bytes()).unwrap();
        let seekable = History
            .read_seekable(&mut io::Cursor::new(text.as_bytes()))
            .unwrap();
        assert_eq!(seekable, report);
        assert_eq!(report.cases.len(), 4);
        assert_eq!(report.groups.len(), 2);
    }

    #[test]
    fn names_read_as_timings_fill_several_blocks_in_order() {
        // 2,000 names of 300 bytes: more than two text blocks.
        let names: Vec<String> = (0..2_000)
            .map(|i| format!("test_{i:05}_{}", "x".repeat(290)))
            .collect();
        let cases: Vec<TestCase> = names
            .iter()
            .map(|name| TestCase {
                name: name.as_str().into(),
                classname: None,
                suite: None,
                file: Some("tests/test_names.py".into()),
                duration: Some(7),
                outcome: Outcome::Passed,
                dialect: Dialect::Pytest,
                variant: None,
            })
            .collect();
        let mut timings = Timings::new(5, 10);
        timings.merge_run(&cases);
        let text = timings.to_json();
        let report = History
            .read_seekable(&mut io::Cursor::new(text.as_bytes()))
            .unwrap();
        let read: Vec<&str> = report.cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(read, names);
        assert_eq!(History.read(&mut text.as_bytes()).unwrap(), report);
        assert!(read_fast(&mut text.as_bytes(), &mut Recorded::default()).is_ok());
    }

    #[test]
    fn a_file_is_read_again_from_where_it_was_handed_over() {
        let text = written_history();
        let deep = json_scan::nested_past_the_scanner(&text);
        let mut streamed = Recorded::default();
        let slow = read_stream(&mut deep.as_bytes(), &mut streamed);
        assert!(slow.is_ok(), "{slow:?}");
        // After a prefix that is not the history's, and after a look at the
        // head as `read_file_as` takes one.
        let mut prefixed = io::Cursor::new(format!("ignored{deep}").into_bytes());
        prefixed.set_position(7);
        let mut sniffed = io::BufReader::with_capacity(64, io::Cursor::new(deep.as_bytes()));
        sniffed.fill_buf().unwrap();
        for input in [&mut prefixed as &mut dyn SeekBufRead, &mut sniffed] {
            let mut read = Recorded::default();
            assert_eq!(read_seekable(input, &mut read), slow);
            assert_eq!((read.cleared, &read.tests), (1, &streamed.tests));
        }
    }

    #[test]
    fn keys_compare_as_their_order_does() {
        let shared: Shared = "tests/a.py".into();
        let key = |dialect, file: Option<&Shared>, classname: Option<&str>, name: &str| Key {
            dialect,
            file: file.cloned(),
            classname: classname.map(Shared::from),
            suite: None,
            name: name.to_string(),
            variant: None,
        };
        let other: Shared = "tests/a.py".into();
        let with = |mut key: Key, suite: Option<&str>, variant: Option<&str>| {
            key.suite = suite.map(Shared::from);
            key.variant = variant.map(Shared::from);
            key
        };
        let plain = key(Dialect::Pytest, Some(&shared), Some("C"), "test_a");
        let keys = [
            with(plain.clone(), Some("s1"), None),
            with(plain.clone(), Some("s2"), None),
            with(plain.clone(), None, Some("chromium")),
            with(plain.clone(), Some("s1"), Some("firefox")),
            with(
                key(Dialect::Pytest, Some(&shared), Some("C"), "test_0"),
                None,
                Some("z"),
            ),
            key(Dialect::Pytest, Some(&shared), Some("C"), "test_a"),
            key(Dialect::Pytest, Some(&other), Some("C"), "test_a"),
            key(Dialect::Pytest, Some(&shared), None, "test_b"),
            key(Dialect::Pytest, None, Some("C"), "test_a"),
            key(Dialect::Jest, Some(&shared), Some("C"), "test_a"),
            key(Dialect::Go, None, Some("pkg"), "TestA"),
            key(
                Dialect::Pytest,
                Some(&"tests/b.py".into()),
                Some("C"),
                "test_a",
            ),
        ];
        for a in &keys {
            for b in &keys {
                assert_eq!(a.cmp(b), a.order().cmp(&b.order()), "{a:?} {b:?}");
            }
        }
        // Equal files in blocks of their own compare equal.
        assert_eq!(keys[5].file, Some(shared.clone()));
        assert_eq!(keys[6].file, Some(other.clone()));
        assert_eq!(keys[5].cmp(&keys[6]), std::cmp::Ordering::Equal);
    }

    #[test]
    fn sniffs_only_the_history() {
        assert!(!History.sniff(b"{\"format\": \"other\"}"));
        assert!(!History.sniff(b"{\"runs\": 1, \"format\": \"shardplan-timings\"}"));
        assert!(!History.sniff(b"[]"));
    }
}
