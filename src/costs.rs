//! What a run's shards and suites cost beyond their tests: the
//! observations `shardplan merge` keeps for the learned cost model
//! ([`crate::learned`] describes the model and the fit).
//!
//! [`read_run`] reads one CI run's reports as `merge` always has, and
//! also sorts them by shard: a report belongs to the shard whose
//! `shardplan-shard.json` (written by `select --record DIR`) is in its
//! directory or the nearest directory above. For each such shard:
//!
//! * **start**: when `select --record` ran (the record's `started`);
//! * **end**: its record's `finished` where `select --exec` ran the
//!   runner (its exit, after the last report was written, on the clock of
//!   the start); else the latest end among its reports' suites (a JUnit
//!   suite's `timestamp` plus its `time`; pytest stamps its session's
//!   start and times the whole session, collection included) and their
//!   run windows (a JUnit root's `timestamp` plus `time`: nextest stamps
//!   only the root, never a suite);
//! * **groups touched**: the distinct groups (the record's runner's file
//!   key) of its tests;
//! * **launches**: how many times it started its runner (the record's
//!   `launches`, 1 in older records);
//! * the observation: wall (end − start) minus its tests and the setups
//!   its reports measure ([`GroupSetups::measure`], which planning
//!   charges already: a go package's wait to start, its link, among
//!   them), so nothing is counted twice; and, for the concurrency, a
//!   **load**: the sum of its tests and those setups, and its wall. Of a
//!   shard that launched its runner `L` times, the `L − 1` longest waits
//!   are left out (each holds a later command's start-up), and a group
//!   not seen waiting (the first of each of go's slots) counts the run's
//!   typical wait, as planning charges it.
//!
//! A shard whose record has no start (an older shardplan), or neither a
//! finish nor reports with suite timestamps, gives no shard observation;
//! one whose
//! reports end before it started (clocks of two machines, or a report
//! stamped in local time without an offset) is left out with a note.
//!
//! Every report, recorded or not (a full run), also gives a **suite**
//! observation for each outermost suite whose tests span several groups
//! (pytest's session): its time minus its tests and the setups measured
//! inside it (PHPUnit's file suites in a directory suite), when that is
//! not negative (tests run in parallel). Its runner is the record's, else the
//! first runner that names the suite's dialect.
//!
//! A shard (or the run's unrecorded reports) whose one report times its
//! own run (nextest's root window) gives a **window**: the sum of its
//! tests and that window, which holds the tests and nothing else, so the
//! concurrency is measured there and the start-up stays outside. When
//! that window shows no concurrency and holds one launch (a `go test
//! -json` stream of one command), what it holds beyond its tests is the
//! groups' cost, a suite observation as well.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::choice::Choice;
use crate::duration::{Instant, Micros, human};
use crate::emit::{Runner, RunnerKind};
use crate::error::{Error, Result};
use crate::frozen::{RECORD_FILE, ShardRecord, record_for};
use crate::history::CostRecord;
use crate::inputs::{self, ReadOptions};
use crate::learned::MIN_CONCURRENCY;
use crate::report::{GroupTime, RunWindow, TestCase};
use crate::timing::{GroupSetups, add_duration};
use crate::warnings::Warnings;

/// One run's reports, read, with what they say about its costs.
#[derive(Debug, Default)]
pub struct Run {
    /// Every case of every report read.
    pub cases: Vec<TestCase>,
    /// Their group times, indexing `cases`.
    pub groups: Vec<GroupTime>,
    /// Report files read.
    pub read: usize,
    /// Cost observations per runner (the run number left 0), sorted by
    /// runner.
    pub costs: Vec<CostRecord>,
    /// One line per shard observed, for the summary.
    pub shards: Vec<ShardSeen>,
    /// Report files read that no shard record with a start time holds
    /// (merged by hand, or recorded by an older shardplan): nothing tells
    /// whether they were merged before.
    pub unrecorded: usize,
}

/// What one recorded shard showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardSeen {
    /// The record it came from.
    pub record: PathBuf,
    /// The shard's index in its plan.
    pub index: usize,
    /// Its plan's fingerprint and shard count.
    pub plan: (String, usize),
    /// Wall time from `select --record` to the runner's exit, else to its
    /// reports' last end, if both are known.
    pub wall: Option<Micros>,
    /// The sum of its tests' durations.
    pub tests: Micros,
    /// Groups it touched.
    pub groups: u64,
    /// Times it started its runner.
    pub launches: u64,
    /// What its plan predicted it would take, if the record says.
    pub predicted: Option<Micros>,
    /// Why it gives no observation, if it does not.
    pub note: Option<String>,
    /// What tells this record from every other: its plan's fingerprint,
    /// its index and when it started; `None` for a record without a start
    /// (written by an older shardplan).
    pub identity: Option<String>,
}

impl ShardSeen {
    /// How far its plan's prediction was from its wall time, per mille of
    /// the wall (negative when the shard took longer), where both are
    /// known.
    pub fn miss(&self) -> Option<i64> {
        let wall = i64::try_from(self.wall.filter(|&w| w > 0)?).ok()?;
        let predicted = i64::try_from(self.predicted?).ok()?;
        i64::try_from(i128::from(predicted - wall) * 1000 / i128::from(wall)).ok()
    }
}

/// How well the plans' predictions held for the shards of a run: what
/// the bench measures, for every user's own CI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accuracy {
    /// Shards with both a prediction and a wall time.
    pub shards: usize,
    /// Their mean |predicted − wall| / wall, per mille.
    pub mean_miss: u64,
    /// Their slowest wall over their mean wall, per mille: when they are
    /// every shard of one plan (otherwise the balance is not the plan's).
    pub balance: Option<u64>,
}

/// The [`Accuracy`] of `shards`, if any has a prediction and a wall.
pub fn accuracy(shards: &[ShardSeen]) -> Option<Accuracy> {
    let judged: Vec<(&ShardSeen, i64)> = shards
        .iter()
        .filter_map(|shard| Some((shard, shard.miss()?)))
        .collect();
    if judged.is_empty() {
        return None;
    }
    let total: u64 = judged.iter().map(|(_, miss)| miss.unsigned_abs()).sum();
    let plans: BTreeSet<&(String, usize)> = judged.iter().map(|(s, _)| &s.plan).collect();
    let indexes: BTreeSet<usize> = judged.iter().map(|(s, _)| s.index).collect();
    let balance = match plans.into_iter().collect::<Vec<_>>().as_slice() {
        [(_, count)] if indexes.len() == judged.len() && indexes.len() == *count => {
            let walls: Vec<u128> = judged
                .iter()
                .filter_map(|(s, _)| s.wall.map(u128::from))
                .collect();
            let sum: u128 = walls.iter().sum();
            let slowest = walls.iter().copied().max().unwrap_or(0);
            (sum > 0).then(|| (slowest * 1000 * walls.len() as u128 / sum) as u64)
        }
        _ => None,
    };
    Some(Accuracy {
        shards: judged.len(),
        mean_miss: total / judged.len() as u64,
        balance,
    })
}

/// Reads the report `files` of one run (shard records among them left
/// out) and observes its costs (see the module docs). A report that cannot
/// be read is skipped with a warning, unless `options.strict`; when none
/// can, the first error stands.
pub fn read_run(
    files: &[PathBuf],
    options: &ReadOptions<'_>,
    warnings: &mut Warnings,
) -> Result<Run> {
    let mut cache = BTreeMap::new();
    let mut buckets: BTreeMap<Option<PathBuf>, (Option<ShardRecord>, Vec<PathBuf>)> =
        BTreeMap::new();
    for file in files {
        if file.file_name().is_some_and(|n| n == RECORD_FILE) {
            continue;
        }
        let found = match record_for(file, &mut cache) {
            Ok(found) => found,
            Err(error) => {
                warnings.push(format!(
                    "{error}; its reports are merged without learning costs"
                ));
                None
            }
        };
        let (path, record) = match found {
            Some((path, record)) => (Some(path), Some(record)),
            None => (None, None),
        };
        buckets
            .entry(path)
            .or_insert_with(|| (record, Vec::new()))
            .1
            .push(file.clone());
    }
    let mut run = Run::default();
    let mut observed: BTreeMap<&'static str, CostRecord> = BTreeMap::new();
    let mut unreadable = Vec::new();
    let mut read_buckets = Vec::with_capacity(buckets.len());
    for (path, (record, files)) in buckets {
        let mut windows = Vec::new();
        match inputs::read_reports_with_windows(&files, options, warnings, &mut windows) {
            Ok(read) => read_buckets.push((path, record, files, windows, read)),
            Err(error) if options.strict => return Err(error),
            // None of this shard's reports could be read: a warning,
            // unless no shard's could (then the error).
            Err(error) => unreadable.push(error),
        }
    }
    let typical_wait = typical_wait(&read_buckets);
    for (path, record, files, windows, (cases, groups, read)) in read_buckets {
        let record_runner = record.as_ref().map(|r| r.runner);
        let gaps = suite_gaps(&cases, &groups, record_runner);
        let suites_seen = !gaps.is_empty();
        for (kind, groups_in, gap) in gaps {
            entry(&mut observed, kind).suites.push((0, groups_in, gap));
        }
        if let ([_], [window]) = (files.as_slice(), windows.as_slice())
            && let Some((kind, tests)) = window_load(&cases, record_runner)
            && window.duration > 0
        {
            // What runs inside the window: tests and measured setups (a
            // jest file's imports), as planning divides them, and the waits
            // seen in it (the first groups' came before it opened).
            let inside = tests.saturating_add(measured_setups(
                &cases,
                &groups,
                kind.runner().as_ref(),
                Waits::Seen,
            ));
            let costs = entry(&mut observed, kind);
            costs.windows.push((0, inside, window.duration));
            let launches = record.as_ref().map_or(1, ShardRecord::launch_count);
            if !suites_seen
                && launches == 1
                && let Some(gap) = window_gap(&cases, &groups, kind, tests, window.duration)
            {
                costs.suites.push(gap);
            }
        }
        if let (Some(path), Some(record)) = (path, &record) {
            let seen = observe_shard(path, record, &cases, &groups, &windows);
            if let Some(identity) = &seen.identity {
                entry(&mut observed, record.runner)
                    .recorded
                    .push((0, identity.clone()));
            }
            if seen.note.is_none()
                && let Some(wall) = seen.wall
            {
                let runner = record.runner.runner();
                let launches = record.launch_count();
                let own = without_launch_gaps(&groups, launches);
                let measured = measured_setups(
                    &cases,
                    &own,
                    runner.as_ref(),
                    Waits::OrTypical(typical_wait),
                );
                let wall = i64::try_from(wall).unwrap_or(i64::MAX);
                let y = wall
                    .saturating_sub(i64::try_from(measured).unwrap_or(i64::MAX))
                    .saturating_sub(i64::try_from(seen.tests).unwrap_or(i64::MAX));
                let costs = entry(&mut observed, record.runner);
                costs.shards.push((0, seen.groups, y, launches));
                // Planning divides tests and measured setups alike by the
                // concurrency (a jest file's suite time holds its imports,
                // which its workers run side by side too), so the fit does.
                let inside = seen.tests.saturating_add(measured);
                costs.loads.push((0, seen.groups, inside, wall, launches));
            }
            run.shards.push(seen);
        }
        // A shard that launched its runner more than once started each
        // later command between two groups: that wait is a start-up.
        let launched_once = record.as_ref().is_none_or(|r| r.launch_count() <= 1);
        let offset = run.cases.len();
        run.groups.extend(groups.into_iter().map(|g| GroupTime {
            cases: g.cases.start + offset..g.cases.end + offset,
            wait: g.wait.filter(|_| launched_once),
            ..g
        }));
        run.cases.extend(cases);
        run.read += read;
        if record.as_ref().is_none_or(|r| r.started.is_none()) {
            run.unrecorded += read;
        }
    }
    inputs::settle_unreadable(unreadable, run.read, warnings)?;
    if run.read == 0 {
        return Err(Error::input("no reports to merge"));
    }
    run.costs = observed.into_values().collect();
    Ok(run)
}

/// The cost record of `kind` in `observed`, created if missing.
fn entry<'a>(
    observed: &'a mut BTreeMap<&'static str, CostRecord>,
    kind: RunnerKind,
) -> &'a mut CostRecord {
    observed.entry(kind.name()).or_insert_with(|| CostRecord {
        runner: kind.name().to_string(),
        ..CostRecord::default()
    })
}

/// The first runner (other than `plain`) that names tests of the case's
/// dialect.
fn runner_for(case: &TestCase) -> Option<RunnerKind> {
    RunnerKind::ALL
        .iter()
        .copied()
        .filter(|&kind| kind != RunnerKind::Plain)
        .find(|kind| kind.runner().accepts(case.dialect))
}

/// The runner of one report that times its own run, and the sum of its
/// tests: `None` when a case is another runner's or lacks a duration.
fn window_load(
    cases: &[TestCase],
    record_runner: Option<RunnerKind>,
) -> Option<(RunnerKind, Micros)> {
    let kind = record_runner.or_else(|| cases.first().and_then(runner_for))?;
    let runner = kind.runner();
    let (_, sum) = groups_and_sum(cases, runner.as_ref())?;
    Some((kind, sum))
}

/// The suite observation of a run window that held its tests one at a
/// time (go's packages, from a `go test -json` stream's first event to its
/// last): `(run, groups but the first, window minus its tests, measured
/// setups and the waits it shows)`. Like pytest's session suite, the
/// window holds the groups' cost outside their tests and no start-up; go
/// builds and links each package's test binary between the previous one's
/// and its own, which the groups' waits measure and planning charges
/// with their setups, so what is left is any other cost per group. The
/// first group's comes before the window opens, so it is not counted.
/// `None` when the tests ran several at a time (their sum says nothing of
/// the groups then), the run touched one group, or the window holds less
/// than that.
fn window_gap(
    cases: &[TestCase],
    groups: &[GroupTime],
    kind: RunnerKind,
    tests: Micros,
    window: Micros,
) -> Option<(u64, u64, i64)> {
    if u128::from(tests) * 1000 >= u128::from(window) * u128::from(MIN_CONCURRENCY) {
        return None;
    }
    let runner = kind.runner();
    let (keys, _) = groups_and_sum(cases, runner.as_ref())?;
    // The waits it shows (links) ran inside it; the first group's did not.
    let setups = GroupSetups::measure(cases, groups, runner.as_ref()).with_typical_wait(0);
    let inside = keys
        .iter()
        .map(|k| setups.setup(k))
        .fold(tests, Micros::saturating_add);
    (keys.len() >= 2 && window >= inside).then(|| {
        (
            0,
            keys.len() as u64 - 1,
            i64::try_from(window - inside).unwrap_or(i64::MAX),
        )
    })
}

/// `groups` of a shard that started its runner `launches` times, less the
/// waits of the `launches − 1` groups that waited longest: each later
/// command started between two groups, so one group's wait holds that
/// command's start-up, which the learned start-up per launch stands for
/// (those groups then wait as long as a typical one). The other waits are
/// the groups' own (links), counted with their setups.
fn without_launch_gaps(groups: &[GroupTime], launches: u64) -> Vec<GroupTime> {
    let mut groups = groups.to_vec();
    let gaps = usize::try_from(launches.saturating_sub(1)).unwrap_or(usize::MAX);
    if gaps == 0 {
        return groups;
    }
    let mut waited: Vec<(Micros, usize)> = groups
        .iter()
        .enumerate()
        .filter_map(|(index, group)| Some((group.wait?, index)))
        .collect();
    // Longest first; ties by position, so the result depends on the
    // reports alone.
    waited.sort_unstable_by_key(|&(wait, index)| (std::cmp::Reverse(wait), index));
    for &(_, index) in waited.iter().take(gaps) {
        groups[index].wait = None;
    }
    groups
}

/// The outermost groups: each group not inside an earlier one.
fn outermost(groups: &[GroupTime]) -> Vec<&GroupTime> {
    let mut ordered: Vec<&GroupTime> = groups.iter().collect();
    ordered.sort_by_key(|g| (g.cases.start, std::cmp::Reverse(g.cases.end)));
    let mut out: Vec<&GroupTime> = Vec::new();
    for group in ordered {
        if out.last().is_some_and(|o| group.cases.end <= o.cases.end) {
            continue;
        }
        out.push(group);
    }
    out
}

/// The runner's groups of `cases` and the sum of their durations: `None`
/// when a case is another runner's or lacks a duration it needs.
fn groups_and_sum(cases: &[TestCase], runner: &dyn Runner) -> Option<(BTreeSet<String>, Micros)> {
    let mut keys = BTreeSet::new();
    let mut sum = 0;
    for case in cases {
        if !runner.accepts(case.dialect) {
            return None;
        }
        let Some(id) = runner.identify(case) else {
            continue;
        };
        if !add_duration(&mut sum, case) {
            return None;
        }
        keys.insert(id.file.into());
    }
    Some((keys, sum))
}

/// The suite observations of one set of reports: `(runner, groups, time
/// beyond the tests)` for each outermost suite spanning several groups.
fn suite_gaps(
    cases: &[TestCase],
    groups: &[GroupTime],
    record_runner: Option<RunnerKind>,
) -> Vec<(RunnerKind, u64, i64)> {
    let mut out = Vec::new();
    for group in outermost(groups) {
        let Some(members) = cases.get(group.cases.clone()) else {
            continue;
        };
        let Some(kind) = record_runner.or_else(|| members.first().and_then(runner_for)) else {
            continue;
        };
        let runner = kind.runner();
        let Some((keys, sum)) = groups_and_sum(members, runner.as_ref()) else {
            continue;
        };
        if keys.len() < 2 {
            continue;
        }
        // Setups of the groups inside it that planning charges already
        // (PHPUnit's file suites inside a directory suite).
        let setups = GroupSetups::measure(cases, groups, runner.as_ref());
        let inner = keys
            .iter()
            .map(|k| setups.setup(k))
            .fold(sum, Micros::saturating_add);
        if group.duration >= inner {
            out.push((
                kind,
                keys.len() as u64,
                i64::try_from(group.duration - inner).unwrap_or(i64::MAX),
            ));
        }
    }
    out
}

/// Which waits [`measured_setups`] counts.
#[derive(Debug, Clone, Copy)]
enum Waits {
    /// Only those the reports show: what ran inside a run's own window.
    Seen,
    /// Those, and this one for every group not seen waiting: the first
    /// groups of a shard waited too, before its reports began, and
    /// planning charges every group a wait.
    OrTypical(Micros),
}

/// The median wait of every group the run's reports saw waiting, less the
/// start-ups of shards that launched their runner several times: the wait
/// a group not seen waiting is taken to have had (0 if none was seen).
fn typical_wait(buckets: &[ReadBucket]) -> Micros {
    let mut waits: Vec<Micros> = buckets
        .iter()
        .flat_map(|(_, record, _, _, (_, groups, _))| {
            let launches = record.as_ref().map_or(1, ShardRecord::launch_count);
            without_launch_gaps(groups, launches)
                .into_iter()
                .filter_map(|g| g.wait)
        })
        .collect();
    if waits.is_empty() {
        0
    } else {
        crate::duration::median(&mut waits)
    }
}

/// One shard's reports, read: its record's path and record, its files,
/// their run windows and what they held.
type ReadBucket = (
    Option<PathBuf>,
    Option<ShardRecord>,
    Vec<PathBuf>,
    Vec<RunWindow>,
    (Vec<TestCase>, Vec<GroupTime>, usize),
);

/// The setups planning would charge the groups of `cases` from these
/// reports alone: measured, else the typical measured one, each with its
/// wait as `waits` says.
fn measured_setups(
    cases: &[TestCase],
    groups: &[GroupTime],
    runner: &dyn Runner,
    waits: Waits,
) -> Micros {
    let setups = GroupSetups::measure(cases, groups, runner);
    let setups = match waits {
        Waits::Seen => setups.with_typical_wait(0),
        Waits::OrTypical(wait) => setups.with_typical_wait(wait),
    };
    let keys: BTreeSet<String> = cases
        .iter()
        .filter(|c| runner.accepts(c.dialect))
        .filter_map(|c| runner.identify(c))
        .map(|id| id.file.into())
        .collect();
    keys.iter()
        .map(|k| setups.setup(k))
        .fold(0, Micros::saturating_add)
}

/// What the shard recorded at `path` shows.
fn observe_shard(
    path: PathBuf,
    record: &ShardRecord,
    cases: &[TestCase],
    groups: &[GroupTime],
    windows: &[RunWindow],
) -> ShardSeen {
    let runner = record.runner.runner();
    let mut keys = BTreeSet::new();
    let mut tests: Micros = 0;
    for case in cases.iter().filter(|c| runner.accepts(c.dialect)) {
        let Some(id) = runner.identify(case) else {
            continue;
        };
        tests = tests.saturating_add(case.duration.unwrap_or(0));
        keys.insert(id.file);
    }
    // The runner's exit, on the clock of the start, where select ran it:
    // a report ending later can only be a stamp's rounding or zone.
    let end: Option<Instant> = record.finish().or_else(|| {
        groups
            .iter()
            .filter_map(|g| {
                let start = g.start?;
                Some(start.saturating_add(i64::try_from(g.duration).ok()?))
            })
            .chain(windows.iter().filter_map(RunWindow::end))
            .max()
    });
    let start = record.start();
    let (wall, note) = match (start, end) {
        (None, _) => (
            None,
            Some("its record has no start time (written by an older shardplan)".to_string()),
        ),
        (_, None) => (
            None,
            Some(
                "its reports carry no suite or run timestamps, and its record no finish (`select --exec` writes one)"
                    .to_string(),
            ),
        ),
        (Some(start), Some(end)) if end < start => (
            None,
            Some(format!(
                "its reports end {} before the record's start: a report stamped in local time, or another machine's clock",
                human((start - end) as Micros)
            )),
        ),
        (Some(start), Some(end)) => (Some((end - start) as Micros), None),
    };
    let note = note.or_else(|| {
        (keys.is_empty()).then(|| format!("none of its tests are {}'s", record.runner.name()))
    });
    ShardSeen {
        record: path,
        index: record.index,
        plan: (record.fingerprint.clone(), record.shards),
        wall,
        tests,
        groups: keys.len() as u64,
        launches: record.launch_count(),
        predicted: record.predicted,
        note,
        identity: record
            .started
            .as_ref()
            .map(|started| format!("{} {} {started}", record.fingerprint, record.index)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Dialect, Outcome};

    fn case(file: &str, name: &str, micros: Micros) -> TestCase {
        TestCase {
            name: name.into(),
            classname: None,
            suite: Some("pytest".into()),
            file: Some(file.into()),
            duration: Some(micros),
            outcome: Outcome::Passed,
            dialect: Dialect::Pytest,
            variant: None,
        }
    }

    #[test]
    fn a_session_spanning_files_is_a_suite_observation() {
        let cases = vec![
            case("t/a.py", "t/a.py::x", 100),
            case("t/a.py", "t/a.py::y", 100),
            case("t/b.py", "t/b.py::z", 300),
        ];
        let groups = vec![GroupTime {
            cases: 0..3,
            duration: 1_500,
            start: None,
            wait: None,
        }];
        assert_eq!(
            suite_gaps(&cases, &groups, None),
            vec![(RunnerKind::Pytest, 2, 1_000)]
        );
        // One file only: its setup is measured already, no observation.
        let one = vec![GroupTime {
            cases: 0..2,
            duration: 1_500,
            start: None,
            wait: None,
        }];
        assert!(suite_gaps(&cases, &one, None).is_empty());
        // Setups measured inside it are planning's already: b.py's 100, and
        // a.py's never measured, so the typical 100 as planning charges it.
        let nested = vec![
            GroupTime {
                cases: 0..3,
                duration: 1_500,
                start: None,
                wait: None,
            },
            GroupTime {
                cases: 2..3,
                duration: 400,
                start: None,
                wait: None,
            },
        ];
        assert_eq!(
            suite_gaps(&cases, &nested, None),
            vec![(RunnerKind::Pytest, 2, 800)]
        );
    }

    #[test]
    fn a_shard_launched_three_times_forgets_its_two_longest_waits() {
        let waited = |wait: Option<Micros>| GroupTime {
            cases: 0..0,
            duration: 0,
            start: None,
            wait,
        };
        // 9 s and the first of the two 7 s waits held `go test`'s later
        // start-ups; the rest are links.
        let groups = [
            waited(Some(1)),
            waited(Some(7)),
            waited(None),
            waited(Some(9)),
            waited(Some(7)),
        ];
        let waits = |launches| -> Vec<Option<Micros>> {
            without_launch_gaps(&groups, launches)
                .iter()
                .map(|g| g.wait)
                .collect()
        };
        assert_eq!(waits(3), [Some(1), None, None, None, Some(7)]);
        assert_eq!(waits(1), [Some(1), Some(7), None, Some(9), Some(7)]);
        // More launches than waits: none is left.
        assert!(waits(9).iter().all(Option::is_none));
    }

    /// Shard `index` of `shards` of a pytest plan, as `select --record`
    /// writes it before it knows the start.
    fn pytest_record(index: usize, shards: usize) -> ShardRecord {
        ShardRecord {
            format: "shardplan-shard".into(),
            version: 1,
            fingerprint: "f".into(),
            index,
            shards,
            runner: RunnerKind::Pytest,
            started: None,
            launches: None,
            finished: None,
            predicted: None,
        }
    }

    #[test]
    fn accuracy_judges_shards_with_a_prediction_and_a_wall() {
        let seen =
            |index: usize, plan: &str, wall: Option<Micros>, predicted: Option<Micros>| ShardSeen {
                record: PathBuf::from("r"),
                index,
                plan: (plan.to_string(), 2),
                wall,
                tests: 0,
                groups: 1,
                launches: 1,
                predicted,
                note: None,
                identity: None,
            };
        assert_eq!(accuracy(&[seen(0, "a", Some(1_000_000), None)]), None);
        // Both shards of plan a: 10% short and 30% over, walls 1 s and 3 s.
        let both = [
            seen(0, "a", Some(1_000_000), Some(1_300_000)),
            seen(1, "a", Some(3_000_000), Some(2_700_000)),
        ];
        assert_eq!(both[1].miss(), Some(-100));
        assert_eq!(
            accuracy(&both),
            Some(Accuracy {
                shards: 2,
                mean_miss: 200,
                balance: Some(1500),
            })
        );
        // Shards of two plans, or one without a wall: no balance.
        let mixed = [
            both[0].clone(),
            seen(1, "b", Some(3_000_000), Some(2_700_000)),
        ];
        assert_eq!(accuracy(&mixed).unwrap().balance, None);
        let unseen = [both[0].clone(), seen(1, "a", None, Some(2_700_000))];
        assert_eq!(
            accuracy(&unseen),
            Some(Accuracy {
                shards: 1,
                mean_miss: 300,
                balance: None,
            })
        );
    }

    #[test]
    fn a_shard_is_observed_from_its_start_to_its_last_suite_end() {
        let cases = vec![
            case("t/a.py", "t/a.py::x", 100_000),
            case("t/b.py", "t/b.py::z", 300_000),
        ];
        let groups = vec![GroupTime {
            cases: 0..2,
            duration: 1_000_000,
            start: Some(10_500_000),
            wait: None,
        }];
        let record = pytest_record(1, 2).started_at(10_000_000);
        let seen = observe_shard(PathBuf::from("r"), &record, &cases, &groups, &[]);
        assert_eq!(seen.wall, Some(1_500_000));
        assert_eq!(seen.tests, 400_000);
        assert_eq!(seen.groups, 2);
        assert_eq!(seen.note, None);
        let early = ShardRecord {
            started: Some(crate::duration::format_timestamp(20_000_000)),
            ..record
        };
        let seen = observe_shard(PathBuf::from("r"), &early, &cases, &groups, &[]);
        assert_eq!(seen.wall, None);
        assert!(seen.note.unwrap().contains("before the record's start"));
    }

    #[test]
    fn a_nextest_shard_ends_with_its_run_window() {
        // nextest stamps only the root: no suite has a time.
        let mut cases = vec![
            case("t/a.py", "t/a.py::x", 700_000),
            case("t/b.py", "t/b.py::z", 900_000),
        ];
        for c in &mut cases {
            c.suite = Some("typenum".into());
        }
        let record = pytest_record(0, 4).started_at(10_000_000);
        let seen = observe_shard(PathBuf::from("r"), &record, &cases, &[], &[]);
        assert_eq!(seen.wall, None);
        assert!(seen.note.unwrap().contains("no suite or run timestamps"));
        let window = RunWindow {
            start: 10_170_000,
            duration: 1_015_000,
        };
        let seen = observe_shard(PathBuf::from("r"), &record, &cases, &[], &[window]);
        assert_eq!(seen.note, None);
        assert_eq!(seen.wall, Some(1_185_000));
        assert_eq!(seen.tests, 1_600_000);
        // A suite ending later than the window ends the shard.
        let groups = vec![GroupTime {
            cases: 0..2,
            duration: 2_000_000,
            start: Some(10_000_000),
            wait: None,
        }];
        let seen = observe_shard(PathBuf::from("r"), &record, &cases, &groups, &[window]);
        assert_eq!(seen.wall, Some(2_000_000));
    }

    #[test]
    fn a_shard_whose_runner_select_ran_ends_when_it_exited() {
        let cases = vec![case("t/a.py", "t/a.py::x", 100_000)];
        let groups = vec![GroupTime {
            cases: 0..1,
            duration: 1_000_000,
            start: Some(10_500_000),
            wait: None,
        }];
        let record = pytest_record(0, 2)
            .started_at(10_000_000)
            .finished_at(11_800_000);
        // The runner exited 0.3 s after its report's last suite ended.
        let seen = observe_shard(PathBuf::from("r"), &record, &cases, &groups, &[]);
        assert_eq!(seen.wall, Some(1_800_000));
        assert_eq!(seen.note, None);
        // Reports with no stamps at all: the record alone times the shard.
        let seen = observe_shard(PathBuf::from("r"), &record, &cases, &[], &[]);
        assert_eq!(seen.wall, Some(1_800_000));
        // A suite stamped after the exit (a stamp's zone or rounding) does
        // not end it: the exit is on the start's clock.
        let late = record.clone().finished_at(11_200_000);
        let seen = observe_shard(PathBuf::from("r"), &late, &cases, &groups, &[]);
        assert_eq!(seen.wall, Some(1_200_000));
    }
}
