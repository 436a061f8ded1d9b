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
//!     {"dialect":"go","classname":"ex/calc","suite":"ex/calc","name":"TestAdd","last_seen":12,"samples":[210000,198000,205000],"outcomes":"pppfpp"},
//!     {"dialect":"pytest","name":"tests/test_a.py::test_x[1]","last_seen":11,"samples":[1500],"outcomes":"prp"}
//!   ],
//!   "groups": [
//!     {"dialect":"go","suite":"ex/calc","last_seen":12,"samples":[31000,29000,30000]}
//!   ]
//! }
//! ```
//!
//! * `runs` counts the merges so far; each merge is one CI run.
//! * A test is keyed by what its report recorded, independent of any
//!   runner: `dialect` (see [`crate::case::Dialect::name`]), then `file`, `classname`,
//!   `suite` (each left out when the report had none), `name` and
//!   `variant` (the Playwright project; left out when none). Any
//!   `--runner` names it from these fields, as it would a report's case.
//!   Variants of one test are separate tests, whose estimates add up.
//! * `samples` are durations in integer microseconds, oldest first: at most
//!   `keep` of them, one per run in which the test passed with a duration.
//! * `last_seen` is the run in which the test last appeared in a report, in
//!   any outcome; a test not seen in `drop_after` runs is dropped.
//! * `outcomes` is how the test ended in each run it appeared in, one
//!   letter per run, oldest first, at most the longer of `keep` and
//!   `drop_after` of them ([`outcome_window`]): `p` passed, `f` failed,
//!   `e` errored, `s` skipped, `r` failed (or errored) and passed in the
//!   same run (a rerun that passed, a Surefire `<flakyFailure>`, or two
//!   shards that disagreed). `shardplan flaky` reads them. Left out when
//!   empty: a test merged by an older shardplan has none, and an older
//!   shardplan reading this file ignores them.
//! * `groups` holds group setups (below), keyed and aged like tests.
//! * Keys come in a fixed order and each test or group is one line sorted
//!   by its key, so committing or caching the file gives small diffs.
//!
//! Version 1 files (no `groups`) are read as before; a newer version is
//! refused rather than misread. `variant` and `outcomes` need no new
//! version: a file without them means no variants and no outcomes known,
//! and a reader that does not know them skips them.
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
//! * Where the reports show how long a group waited to start
//!   ([`crate::report::GroupTime::wait`]), its `waits` are kept alike: one
//!   per run, the last `keep`, read back as their lower median (of two
//!   waits the less: a stalled machine only ever lengthens a wait). `merge` leaves out the waits of a shard that launched
//!   its runner more than once: one of them holds a start-up.
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

use crate::duration::{Micros, lower_median, median};
use crate::error::{Error, Result};
use crate::report::history::{self as format, Entries, read_stream};
pub use crate::report::history::{
    CostRecord, DEFAULT_DROP_AFTER, DEFAULT_KEEP, FORMAT, GroupKey, Header, Key, OLDEST_VERSION,
    Record, RunOutcome, VERSION, outcome_window,
};
use crate::report::{self, Diagnostic, GroupTime, SeekBufRead, TestCase};

/// Where the history lives unless `--into` / `--timings` say otherwise.
pub const DEFAULT_PATH: &str = ".shardplan/timings.json";

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
/// when the group could be measured (the median of its setups in the run)
/// and its wait sample when the reports showed it (likewise).
fn run_groups(cases: &[TestCase], groups: &[GroupTime]) -> BTreeMap<GroupKey, RunGroup> {
    let mut run: BTreeMap<GroupKey, RunGroup> = groups
        .iter()
        .filter_map(|g| cases.get(g.cases.clone()).and_then(GroupKey::of))
        .map(|key| (key, RunGroup::default()))
        .collect();
    for (key, mut samples) in crate::timing::setup_samples(cases, groups, key_and_sum) {
        let wait = (!samples.waits.is_empty()).then(|| lower_median(&mut samples.waits));
        run.insert(
            key,
            RunGroup {
                setup: Some(median(&mut samples.setups)),
                wait,
            },
        );
    }
    run
}

/// What one run showed of a group.
#[derive(Debug, Default)]
struct RunGroup {
    /// Its setup, if measured.
    setup: Option<Micros>,
    /// How long it waited to start, if the reports showed it.
    wait: Option<Micros>,
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
    /// The learned cost model's observations, by runner name (see
    /// [`crate::learned`]).
    pub costs: BTreeMap<String, CostRecord>,
}

/// A history's entries as [`History::read`] keeps them: by key, the first
/// entry whose key repeats remembered as an error.
#[derive(Default)]
struct Collected {
    tests: BTreeMap<Key, Record>,
    groups: BTreeMap<GroupKey, Record>,
    duplicate_test: Option<u64>,
    duplicate_group: Option<u64>,
}

impl Entries for Collected {
    fn test(&mut self, key: Key, record: Record, at: u64) {
        if self.tests.insert(key, record).is_some() {
            self.duplicate_test.get_or_insert(at);
        }
    }

    fn group(&mut self, key: GroupKey, record: Record, at: u64) {
        if self.groups.insert(key, record).is_some() {
            self.duplicate_group.get_or_insert(at);
        }
    }

    fn clear(&mut self) {
        *self = Collected::default();
    }
}

impl Collected {
    /// The history these entries and `header` make, or the first
    /// repeated entry's error.
    fn history(self, header: Header) -> std::result::Result<History, Diagnostic> {
        let duplicates = [
            self.duplicate_test.map(|at| (at, "test")),
            self.duplicate_group.map(|at| (at, "group")),
        ];
        if let Some((at, what)) = duplicates.into_iter().flatten().min() {
            return Err(Diagnostic::at(
                at,
                format!("the same {what} appears twice in the history"),
            ));
        }
        Ok(History {
            runs: header.runs,
            keep: header.keep,
            drop_after: header.drop_after,
            tests: self.tests,
            groups: self.groups,
            costs: header
                .costs
                .into_iter()
                .map(|mut record| {
                    crate::learned::age(&mut record, header.runs, usize::MAX);
                    (record.runner.clone(), record)
                })
                .collect(),
        })
    }
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

/// The cost observations a history's `header` keeps for `runner`, aged to
/// its run count: what planning learns its costs from.
pub fn learned_of(header: &Header, runner: &str) -> Option<CostRecord> {
    let mut record = header.costs.iter().find(|r| r.runner == runner)?.clone();
    crate::learned::age(&mut record, header.runs, usize::MAX);
    Some(record)
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
            costs: BTreeMap::new(),
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
        self.fold(cases, run_groups(cases, groups))
    }

    fn fold<'a>(
        &mut self,
        cases: impl IntoIterator<Item = &'a TestCase>,
        groups: BTreeMap<GroupKey, RunGroup>,
    ) -> MergeStats {
        // The run's cases by key (stably: a test's cases stay in report
        // order), so that each test's cases come together and are folded
        // into one sample without a map of the run's tests.
        let mut cases: Vec<&TestCase> = cases.into_iter().collect();
        cases.sort_by(|a, b| Key::order_of(a).cmp(&Key::order_of(b)));
        self.runs += 1;
        let mut stats = MergeStats::default();
        for test in cases.chunk_by(|a, b| Key::order_of(a) == Key::order_of(b)) {
            // The fields Key::of keeps, in Key's order: were order_of to
            // drift from them, tests would be joined or split here.
            debug_assert!(Key::of(test[0]).order() == Key::order_of(test[0]));
            stats.seen += 1;
            let (mut sum, mut count) = (0u128, 0u64);
            for case in test {
                if let (true, Some(duration)) = (case.outcome.passed(), case.duration) {
                    sum += u128::from(duration);
                    count += 1;
                }
            }
            let record = match self.tests.entry(Key::of(test[0])) {
                MapEntry::Occupied(slot) => slot.into_mut(),
                MapEntry::Vacant(slot) => {
                    stats.new += 1;
                    slot.insert(Record::default())
                }
            };
            record.last_seen = self.runs;
            record
                .outcomes
                .extend(RunOutcome::of(test.iter().map(|case| case.outcome)));
            if count == 0 {
                stats.without_sample += 1;
            } else {
                record.samples.push((sum / u128::from(count)) as Micros);
            }
        }
        for (key, seen) in groups {
            let record = self.groups.entry(key).or_default();
            record.last_seen = self.runs;
            if let Some(setup) = seen.setup {
                record.samples.push(setup);
                stats.groups_measured += 1;
            }
            record.waits.extend(seen.wait);
        }
        let (runs, drop_after, keep) = (self.runs, self.drop_after, self.keep);
        let window = outcome_window(keep, drop_after);
        let age = |record: &mut Record| {
            let excess = record.samples.len().saturating_sub(keep);
            record.samples.drain(..excess);
            let excess = record.waits.len().saturating_sub(keep);
            record.waits.drain(..excess);
            let excess = record.outcomes.len().saturating_sub(window);
            record.outcomes.drain(..excess);
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

    /// Adds one run's cost observations (the run [`History::merge_report`]
    /// just folded in, so numbered `runs`), per runner, keeps those of the
    /// last `keep` runs and refits each runner's terms
    /// ([`crate::learned`]). A runner with no observation left is dropped.
    pub fn merge_costs(&mut self, observed: Vec<CostRecord>) {
        for new in observed {
            let record = self
                .costs
                .entry(new.runner.clone())
                .or_insert_with(|| CostRecord {
                    runner: new.runner.clone(),
                    ..CostRecord::default()
                });
            let run = self.runs;
            record
                .shards
                .extend(new.shards.iter().map(|p| (run, p.1, p.2, p.3)));
            record
                .suites
                .extend(new.suites.iter().map(|p| (run, p.1, p.2)));
            record
                .loads
                .extend(new.loads.iter().map(|p| (run, p.1, p.2, p.3, p.4)));
            record
                .windows
                .extend(new.windows.iter().map(|p| (run, p.1, p.2)));
            record
                .recorded
                .extend(new.recorded.iter().map(|(_, id)| (run, id.clone())));
        }
        let (runs, keep) = (self.runs, self.keep);
        for record in self.costs.values_mut() {
            crate::learned::age(record, runs, keep);
        }
        self.costs.retain(|_, r| {
            !r.shards.is_empty()
                || !r.suites.is_empty()
                || !r.windows.is_empty()
                || !r.recorded.is_empty()
        });
    }

    /// The run that merged the shard record `identity`
    /// ([`CostRecord::recorded`]), if one of the kept runs did.
    pub fn merged_before(&self, identity: &str) -> Option<u64> {
        self.costs
            .values()
            .flat_map(|record| &record.recorded)
            .find(|(_, id)| id == identity)
            .map(|&(run, _)| run)
    }

    /// The history as the file holds it.
    pub fn to_json(&self) -> String {
        format::to_json(self.header(), &self.tests, &self.groups)
    }

    /// [`History::to_json`] written to `out` as it is made.
    pub fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        format::write_json(self.header(), &self.tests, &self.groups, out)
    }

    /// The settings and learned costs the file records.
    fn header(&self) -> Header {
        Header {
            runs: self.runs,
            keep: self.keep,
            drop_after: self.drop_after,
            costs: self.costs.values().cloned().collect(),
        }
    }

    /// Reads a whole history from `input`.
    pub fn read(input: &mut dyn BufRead) -> Result<History, Diagnostic> {
        let mut read = Collected::default();
        let header = read_stream(input, &mut read)?;
        read.history(header)
    }

    /// [`History::read`] of a file: fast ([`format::read_seekable`]).
    pub fn read_seekable(input: &mut dyn SeekBufRead) -> Result<History, Diagnostic> {
        let mut read = Collected::default();
        let header = format::read_seekable(input, &mut read)?;
        read.history(header)
    }

    /// Reads the history at `path`, naming the file and position on error.
    pub fn load(path: &Path) -> Result<History> {
        let file = fs::File::open(path)
            .map_err(|e| Error::in_file(path, format!("cannot open the timing history: {e}")))?;
        History::read_seekable(&mut BufReader::with_capacity(64 << 10, file))
            .map_err(|d| report::positioned(path, d))
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
            self.write_json(&mut file)?;
            file.sync_all()
        });
        if let Err(e) = written.and_then(|()| fs::rename(&temporary, path)) {
            let _ = fs::remove_file(&temporary);
            return Err(cannot(e));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::history::{report, with_groups};
    use crate::report::{Dialect, Outcome};

    fn case(name: &str, duration: Option<Micros>, outcome: Outcome) -> TestCase {
        TestCase {
            name: name.into(),
            classname: Some("ex/pkg".into()),
            suite: Some("ex/pkg".into()),
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
            ..Record::default()
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
             {\"dialect\":\"go\",\"classname\":\"ex/pkg\",\"suite\":\"ex/pkg\",\"name\":\"TestB\",\"last_seen\":1,\"samples\":[2],\"outcomes\":\"p\"},\n    \
             {\"dialect\":\"pytest\",\"name\":\"tests/a.py::test_x[a \\\"b\\\"]\",\"last_seen\":1,\"samples\":[1500],\"outcomes\":\"p\"}\n  ],\n  \"groups\": []\n}\n"
        );
        assert_eq!(History::read(&mut text.as_bytes()), Ok(history));
        let empty = History::new(5, 10);
        assert_eq!(History::read(&mut empty.to_json().as_bytes()), Ok(empty));
    }

    #[test]
    fn learned_costs_round_trip_and_age_with_the_runs() {
        let mut history = History::new(2, 10);
        let observed = |shards: Vec<(u64, u64, i64)>| CostRecord {
            runner: "pytest".into(),
            shards: shards.into_iter().map(|(r, g, y)| (r, g, y, 1)).collect(),
            ..CostRecord::default()
        };
        for run in 1..=3 {
            history.merge_run(&[case("TestB", Some(2), Outcome::Passed)]);
            history.merge_costs(vec![observed(vec![
                (0, 2, 1_000 * run),
                (0, 4, 1_000 * run + 600),
            ])]);
        }
        let record = &history.costs["pytest"];
        // Only runs 2 and 3 are kept.
        assert_eq!(
            record.shards,
            vec![
                (2, 2, 2_000, 1),
                (2, 4, 2_600, 1),
                (3, 2, 3_000, 1),
                (3, 4, 3_600, 1)
            ]
        );
        assert_eq!(record.group_cost, Some(300));
        let text = history.to_json();
        assert!(text.ends_with(
            "\"groups\": [],\n  \"costs\": [\n    {\"runner\":\"pytest\",\"shard_startup\":1400,\"group_cost\":300,\"shards\":[[2,2,2000],[2,4,2600],[3,2,3000],[3,4,3600]],\"suites\":[]}\n  ]\n}\n"
        ), "{text}");
        assert_eq!(History::read(&mut text.as_bytes()), Ok(history));
    }

    #[test]
    fn launches_are_written_only_when_not_one_and_checked() {
        let text = |shards: &str| {
            format!(
                "{{\"format\": \"shardplan-timings\", \"version\": 2, \"runs\": 1, \"tests\": [], \"groups\": [], \"costs\": [\n    {{\"runner\":\"go\",\"shards\":{shards},\"suites\":[]}}\n  ]}}"
            )
        };
        let history = History::read(&mut text("[[1,4,900],[1,2,500,3]]").as_bytes()).unwrap();
        let record = &history.costs["go"];
        assert_eq!(record.shards, vec![(1, 2, 500, 3), (1, 4, 900, 1)]);
        assert!(
            history
                .to_json()
                .contains("\"shards\":[[1,2,500,3],[1,4,900]]"),
            "{}",
            history.to_json()
        );
        for (shards, message) in [
            (
                "[[1,4]]",
                "a cost observation has 2 numbers where 3 or 4 were expected",
            ),
            ("[[1,4,9,1,1]]", "has 5 numbers"),
            (
                "[[1,4,9,-1]]",
                "a cost observation holds a number out of its range",
            ),
            ("[[1,4,\"x\"]]", "invalid type: string"),
        ] {
            let error = History::read(&mut text(shards).as_bytes()).unwrap_err();
            assert!(error.message.contains(message), "{shards}: {error:?}");
        }
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

    fn outcomes(history: &History, name: &str) -> String {
        history
            .tests
            .iter()
            .find(|(k, _)| k.name == name)
            .map(|(_, r)| RunOutcome::letters(&r.outcomes))
            .unwrap_or_default()
    }

    #[test]
    fn each_run_keeps_one_outcome_per_test_within_the_window() {
        // keep 2, drop_after 3: a window of 3 outcomes.
        let mut history = History::new(2, 3);
        let runs: [&[(&str, Outcome)]; 4] = [
            &[("A", Outcome::Passed), ("B", Outcome::Passed)],
            &[
                // Failed, then passed on a rerun: `r`.
                ("A", Outcome::Failed),
                ("A", Outcome::Passed),
                ("B", Outcome::Errored),
                ("C", Outcome::Skipped),
            ],
            &[("A", Outcome::PassedOnRerun), ("B", Outcome::Failed)],
            &[("A", Outcome::Passed), ("B", Outcome::Passed)],
        ];
        for run in runs {
            let cases: Vec<TestCase> = run.iter().map(|(n, o)| case(n, Some(5), *o)).collect();
            history.merge_run(&cases);
        }
        // Four runs, the last three kept.
        assert_eq!(outcomes(&history, "A"), "rrp");
        assert_eq!(outcomes(&history, "B"), "efp");
        assert_eq!(outcomes(&history, "C"), "s");
        // The failed runs gave no samples.
        assert_eq!(samples(&history, "B"), Some(vec![5, 5]));
        let text = history.to_json();
        assert!(
            text.contains("\"samples\":[5,5],\"outcomes\":\"efp\"}"),
            "{text}"
        );
        assert_eq!(History::read(&mut text.as_bytes()), Ok(history));
    }

    #[test]
    fn outcomes_are_optional_and_checked() {
        // A version 2 file from before outcomes: read, none known.
        let v2 = "{\"format\": \"shardplan-timings\", \"version\": 2, \"runs\": 3, \"tests\": [\
            {\"dialect\": \"go\", \"suite\": \"p\", \"name\": \"TestA\", \"last_seen\": 3, \"samples\": [5]}], \"groups\": []}";
        let mut history = History::read(&mut v2.as_bytes()).unwrap();
        assert!(history.tests.values().all(|r| r.outcomes.is_empty()));
        assert!(!history.to_json().contains("outcomes"));
        // The next merge starts them.
        let mut a = case("TestA", Some(5), Outcome::Failed);
        a.classname = None;
        a.suite = Some("p".into());
        history.merge_run(&[a]);
        assert_eq!(outcomes(&history, "TestA"), "f");
        let bad = "{\"format\": \"shardplan-timings\", \"version\": 2, \"runs\": 1, \"tests\": [\
            {\"dialect\": \"go\", \"name\": \"t\", \"last_seen\": 1, \"samples\": [], \"outcomes\": \"pxp\"}]}";
        let e = History::read(&mut bad.as_bytes()).unwrap_err();
        assert!(e.message.contains("unknown outcome 'x'"), "{e:?}");
        assert_eq!(e.offset, Some(bad.find("{\"dialect").unwrap() as u64));
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
            name: name.into(),
            classname: Some(format!("{suite} {name}").into()),
            suite: Some(suite.into()),
            file: file.map(Into::into),
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

    /// The group key of go package `package`.
    fn go_package(package: &str) -> GroupKey {
        GroupKey {
            dialect: Dialect::Go,
            file: None,
            classname: None,
            suite: Some(package.into()),
            variant: None,
        }
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
        let group = |cases: std::ops::Range<usize>, duration| GroupTime {
            cases,
            duration,
            start: None,
            wait: None,
        };
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
        let key = go_package("ex/p");
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
    fn group_waits_are_kept_per_run_and_read_back_as_their_lower_median() {
        const S: Micros = 1_000_000;
        let case = |name: &str| member(Dialect::Go, None, "ex/p", name, Some(S), Outcome::Passed);
        let group = |cases: std::ops::Range<usize>, wait| GroupTime {
            cases,
            duration: 2 * S,
            start: None,
            wait,
        };
        let cases = [case("TestA"), case("TestB")];
        let mut history = History::new(2, 5);
        // Two shards of one run waited 1 s and 3 s: one sample, the less.
        history.merge_report(&cases, &[group(0..1, Some(S)), group(1..2, Some(3 * S))]);
        // A run that did not show it keeps the samples as they are.
        history.merge_report(&cases, &[group(0..2, None)]);
        history.merge_report(&cases, &[group(0..2, Some(6 * S))]);
        history.merge_report(&cases, &[group(0..2, Some(4 * S))]);
        let key = go_package("ex/p");
        // Kept like samples: the last `keep`.
        assert_eq!(history.groups[&key].waits, [6 * S, 4 * S]);
        let text = history.to_json();
        assert!(text.contains(r#""waits":[6000000,4000000]"#), "{text}");
        assert_eq!(History::read(&mut text.as_bytes()).as_ref(), Ok(&history));
        let back = report(&mut text.as_bytes()).unwrap();
        // Of 6 s and 4 s, the less: a stall only ever lengthens a wait.
        assert_eq!(back.groups[0].wait, Some(4 * S));
        // Without waits the line is as before.
        history.groups.get_mut(&key).unwrap().waits.clear();
        assert!(!history.to_json().contains("waits"));
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
            file: file.map(Into::into),
            classname: None,
            suite: suite.map(Into::into),
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
                (key(Some("f.js"), None), 100, None),
                (key(Some("f.js"), Some("A")), 5, None),
                (key(None, Some("A")), 7, None),
                // Matches no test.
                (key(Some("x.js"), None), 1, None),
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
                    duration: 160,
                    start: None,
                    wait: None,
                },
                GroupTime {
                    cases: 4..6,
                    duration: 15,
                    start: None,
                    wait: None,
                },
            ]
        );
    }
}
