//! The learned cost model: what a shard costs beyond its tests, fitted to
//! what past runs showed, so that nobody has to guess `--shard-overhead`
//! and `--group-overhead`.
//!
//! # The model
//!
//! A shard of runner R that touches `G` groups (test files for pytest, jest
//! and vitest, go packages, nextest/cargo test binaries, JVM classes: the
//! runner's file key) is predicted to take
//!
//! ```text
//! shard_startup(R) + (Σ its tests + Σ measured setup of its groups) / k(R) + group_cost(R) × G
//! ```
//!
//! The start-up is paid each time the shard starts its runner: once,
//! except where a runner needs several commands for one shard (go runs
//! whole packages in one `go test` and split ones in others). Plans
//! charge it once per shard; the fit counts the launches the shard's
//! record says (`select --record` writes them), so a shard of three
//! `go test` commands does not teach a start-up three times too long.
//!
//! where "measured setup" is what reports show ([`crate::timing::GroupSetups`]:
//! a suite's time beyond its tests, and the wait before a group started,
//! where they show it: a go package's link, which runs beside other
//! packages' tests) and the two learned terms are what they do not show: interpreter start-up, plugin loading, a file's imports
//! that the runner times outside its tests. The third, the concurrency
//! `k(R)` (per mille; 1000 unless learned), is how many tests the runner
//! keeps running at once (nextest's threads, pytest-xdist's workers): its
//! tests' times add up to more than the wall time they took. Planning
//! divides every test's and measured setup's time by it
//! ([`crate::duration::Concurrency::wall`]), so items and predictions are
//! wall time; one `k` per runner leaves the balance as it was.
//!
//! `group_cost` is fitted as one value per group, an average: planning
//! shares it out by how long each group was seen waiting to start
//! ([`crate::timing::GroupSetups::with_shared_extra`]), and the suite's
//! total stays `group_cost × G`. A go package's link, which is most of
//! what a package costs beyond its tests, is measured as its wait and paid
//! with its setup, so for go `group_cost` is what is left beyond that
//! (0 in the benchmark's go suites).
//!
//! # Observations
//!
//! `shardplan merge` collects, per runner, two kinds of points `(G, y)`
//! (see [`crate::costs`]), kept for the history's last `keep` runs:
//!
//! * **shards**: a shard of a run recorded by `select --record DIR`, whose
//!   record says when it started and when it ended (its runner's exit,
//!   where `select --exec` ran it; else its reports' last end: a JUnit
//!   suite's `timestamp` + `time`, or the root's run window as nextest
//!   writes it). `y` = its wall time minus its tests and measured
//!   setups: `shard_startup × L + group_cost × G` plus noise, for `L`
//!   launches, when its tests ran one at a time. Each also gives a
//!   **load** `(G, T, B, L)`: the sum `T` of its tests and measured
//!   setups (what planning divides by the concurrency) and its wall `B`,
//!   for the concurrency. (Histories merged by earlier builds took the
//!   setups off `B` instead; for tests run one at a time both give the
//!   same `y`.)
//! * **suites**: a report suite whose tests span several groups (pytest's
//!   one `<testsuite name="pytest">`, whose time covers collecting, i.e.
//!   importing, every file it ran): `y` = its time minus its tests, about
//!   `group_cost × G` with no start-up in it. A run window whose tests ran
//!   one at a time is one too (a `go test -json` stream from its first
//!   stamp to its last, which holds the building and linking of every
//!   package but the first: `G` counts those). A full run without a
//!   record gives these too.
//!
//! # The fit
//!
//! Everything is integer microseconds and medians, so every machine fits
//! the same terms from the same history, whatever the order of the points,
//! and one slow shard (a busy machine) does not move them:
//!
//! * `group_cost`: with suite points, the median over them of `y / G`
//!   (the cost inside the runner's own timing, measured directly); else,
//!   with shard points touching at least two different group counts, the
//!   Theil–Sen slope of the shard points per launch (`G / L`, `y / L`):
//!   the median of the pairwise slopes `(y_j − y_i) / (G_j − G_i)`, each
//!   weighted by `G_j − G_i` (Sievers' weighting, so two shards one group
//!   apart, whose slope is mostly noise, count least); else unknown.
//! * `shard_startup`: with shard points, the median of
//!   `(y − group_cost × G) / L` over them; else unknown. When that median
//!   is negative for a slope fitted to the shards alone (a start-up is
//!   never negative, and the clamped line would pass above every shard):
//!   * for shards of about one size (the most groups per launch less than
//!     twice the least: one shard count), whose slope is then mostly
//!     noise, `group_cost` is unknown and `shard_startup` the median `y /
//!     L`: right for that size, and it moves no test. Jest's shards of 9
//!     to 11 files gave 64 ms a file and no start-up, and shards of 5
//!     came out 13% short, where the truth was a start-up alone. Unless
//!     the line through the origin (below) misses the shards, summing
//!     `|y − fitted|`, by at most half as much as the start-up alone:
//!     then that line is kept. Vitest's shards of 27 to 36 files (zod's
//!     suite, a file's imports costing ~0.4 s) were missed by 4.8 s in
//!     all by a start-up of 13.3 s and by 1.2 s by 378 ms a file; jest's
//!     above, by 0.82 s and 0.69 s;
//!   * else the line is fitted through the origin: `group_cost` is the
//!     median of the shard points' `y / G` and `shard_startup` the median
//!     of what is left.
//!
//!   A slope of one size whose line starts at or above zero is kept (one
//!   vitest worker's shards of 9 to 11 files showed its real cost per
//!   file that way), except for a runner that times its own runs (below).
//!
//! Both are clamped at 0. A term is learned from the runs its points come
//! from; an unknown term is 0 unless given.
//!
//! * `concurrency`: with at least two loads whose median `T / B` (per
//!   mille, as if the shard had no overheads: a lower bound on `k`) is at
//!   least 1100, learned; else 1000, and the two terms above are fitted
//!   exactly as described, from the shard points. When learned, the fit
//!   is done twice, deterministically:
//!   1. a first `k`: when the largest shard's `T` is at least twice the
//!      smallest's, the Theil–Sen slope of `1000 × B` against `T` (which
//!      is `1000 / k`), if it gives more than the bound; else the bound;
//!   2. the start-up and per-group cost as above, fitted to the loads'
//!      `y = B − T / k` in place of the shard points (shard points of runs
//!      merged before loads were kept are left out then);
//!   3. `k` again: the median of `T / (B − start-up − group_cost × G)` over
//!      the loads that leave something, never below the first;
//!   4. the start-up and per-group cost once more, with that `k`.
//!
//!   Shards of one size (one shard count) cannot tell start-up from
//!   concurrency apart: the start-up comes out near 0 and `k` absorbs it,
//!   which predicts shards of that size right.
//!
//!   Unless the runner times its own runs (nextest's root window, a go
//!   stream's, the span of a report's stamped suites: a **window**
//!   observation of any report, a full run's included): only tests and
//!   measured setups run inside it, so `k` is the lower median of their
//!   sum over it
//!   (learned at [`MIN_CONCURRENCY`] and above, else one at a time), and
//!   the start-up and per-group cost are fitted once, to the loads' `y =
//!   B − T / k`. One full run is enough for `k`; the start-up then comes
//!   from the first recorded shards. The window holds what each group
//!   costs between the first one's start and the last one's end, so a
//!   slope of one size is not believed there at all: the shards' overhead
//!   is a start-up until shards of another size show a slope (jest's N =
//!   8 shards after two N = 4 rounds: 16.6% → 7.0% mean error).

use std::collections::BTreeSet;

use serde::Serialize;

use crate::duration::{Concurrency, Micros, micros_to_seconds};
use crate::report::history::{CostRecord, LoadPoint, ShardPoint};

/// The learned terms of one runner, with how many runs each comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fitted {
    /// Start-up per shard and the number of runs it was learned from.
    pub shard_startup: Option<(Micros, u64)>,
    /// Cost per group touched and the number of runs it was learned from.
    pub group_cost: Option<(Micros, u64)>,
    /// Tests running at once, per mille, and the number of runs it was
    /// learned from; `None` (one at a time) unless the shards show at
    /// least [`MIN_CONCURRENCY`].
    pub concurrency: Option<(u64, u64)>,
    /// The fewest and most groups a launch of the shards the start-up and
    /// per-group cost were fitted to, when those shards were all of about
    /// one size (one shard count: the most groups a launch under twice the
    /// fewest), no report suite measured the per-group cost and no run
    /// window the start-up: the shards then show what such a shard costs
    /// beyond its tests, but not how that divides between a start-up, a
    /// cost per group and tests running at once, and the fit's division is
    /// a guess that holds for shards of that size only.
    pub one_size: Option<(u64, u64)>,
}

/// The least concurrency, per mille, that is learned: below it the shards
/// ran their tests one after another, give or take noise.
pub const MIN_CONCURRENCY: u64 = 1100;

/// Shard points the concurrency needs, at least.
const MIN_LOADS: usize = 2;

/// Fits the model to a runner's observations (see the module docs).
pub fn fit(record: &CostRecord) -> Fitted {
    let shards: Vec<&ShardPoint> = record.shards.iter().collect();
    let serial = fit_lines(&shards, record, Slopes::StartingAboveZero);
    if !record.windows.is_empty() {
        // The runner timed its own runs: the concurrency is measured
        // there, and the start-up and per-group cost are what it leaves
        // of the shards' walls.
        let Some(k) = window_concurrency(&record.windows) else {
            return serial;
        };
        let points = residuals(&record.loads, k);
        let runs: BTreeSet<u64> = record.windows.iter().map(|p| p.0).collect();
        return Fitted {
            concurrency: Some((k, runs.len() as u64)),
            // What the shards leave beyond their runner's own windows is
            // its start-up, at any size: no guess.
            one_size: None,
            ..fit_lines(
                &points.iter().collect::<Vec<_>>(),
                record,
                Slopes::AcrossSizes,
            )
        };
    }
    if record.loads.len() < MIN_LOADS {
        return serial;
    }
    // The evidence: with no overheads at all (a lower bound), the median
    // shard ran its tests at least 1.1 at a time.
    let Some(ratio) = concurrency_given(&record.loads, 0, 0) else {
        return serial;
    };
    if ratio < MIN_CONCURRENCY {
        return serial;
    }
    // First from the slope of wall against tests where the shards' tests
    // differ enough to show one, else that bound; then with the overheads
    // the first leaves: the start-up and per-group cost are fitted to
    // what is left of each shard once its tests are divided by it.
    let first = concurrency_from_slope(&record.loads).map_or(ratio, |k| k.max(ratio));
    let points = residuals(&record.loads, first);
    let lines = fit_lines(
        &points.iter().collect::<Vec<_>>(),
        record,
        Slopes::StartingAboveZero,
    );
    let startup = lines.shard_startup.map_or(0, |(s, _)| s);
    let group_cost = lines.group_cost.map_or(0, |(g, _)| g);
    let k = concurrency_given(&record.loads, startup, group_cost)
        .unwrap_or(first)
        .max(first);
    let points = residuals(&record.loads, k);
    let loads: BTreeSet<u64> = record.loads.iter().map(|p| p.0).collect();
    Fitted {
        concurrency: Some((k, loads.len() as u64)),
        ..fit_lines(
            &points.iter().collect::<Vec<_>>(),
            record,
            Slopes::StartingAboveZero,
        )
    }
}

/// The start-ups a shard paid: one per launch, and one for a record that
/// says it launched nothing (its reports came from elsewhere, and `select`
/// itself ran).
fn paid(launches: u64) -> u64 {
    launches.max(1)
}

/// Each load's `(run, groups, wall left once its tests run k at a time,
/// launches)`: the points the start-up and per-group cost are fitted to.
fn residuals(loads: &[LoadPoint], k: u64) -> Vec<ShardPoint> {
    loads
        .iter()
        .map(|&(run, groups, tests, busy, launches)| {
            let wall = i64::try_from(Concurrency(k).wall(tests)).unwrap_or(i64::MAX);
            (run, groups, busy.saturating_sub(wall), launches)
        })
        .collect()
}

/// The lower median over `windows` of the tests' sum over the run's own
/// window, per mille, when it shows at least [`MIN_CONCURRENCY`].
fn window_concurrency(windows: &[(u64, u64, u64)]) -> Option<u64> {
    let mut ratios: Vec<i64> = windows
        .iter()
        .filter(|&&(_, tests, window)| tests > 0 && window > 0)
        .map(|&(_, tests, window)| {
            i64::try_from(u128::from(tests) * 1000 / u128::from(window)).unwrap_or(i64::MAX)
        })
        .collect();
    if ratios.is_empty() {
        return None;
    }
    let k = median_i64(&mut ratios) as u64;
    (k >= MIN_CONCURRENCY).then_some(k)
}

/// The concurrency the Theil–Sen slope of the shards' wall against their
/// tests gives (`1 / k`), when the largest shard's tests are at least
/// twice the smallest's (closer, the slope is mostly noise) and the slope
/// is positive.
fn concurrency_from_slope(loads: &[LoadPoint]) -> Option<u64> {
    let least = loads.iter().map(|p| p.2).min()?;
    let most = loads.iter().map(|p| p.2).max()?;
    if least == 0 || most < least.saturating_mul(2) {
        return None;
    }
    // Wall in thousandths against tests: the slope is 1000 / k.
    let points: Vec<(u64, u64, i64)> = loads
        .iter()
        .map(|&(run, _, tests, busy, _)| (run, tests, busy.saturating_mul(1000)))
        .collect();
    let slope = weighted_theil_sen(&points.iter().collect::<Vec<_>>())?;
    (slope > 0).then(|| 1_000_000 / slope as u64)
}

/// The lower median over `loads` of each shard's tests over what its wall
/// leaves once `startup` and `group_cost` per group are taken out, per
/// mille; shards with nothing left or no tests are left out (`None` if
/// all are).
fn concurrency_given(loads: &[LoadPoint], startup: Micros, group_cost: Micros) -> Option<u64> {
    let mut ratios: Vec<i64> = loads
        .iter()
        .filter_map(|&(_, groups, tests, busy, launches)| {
            let overhead = i128::from(startup) * i128::from(paid(launches))
                + i128::from(group_cost) * i128::from(groups);
            let left = i128::from(busy) - overhead;
            (left > 0 && tests > 0).then(|| {
                let ratio = i128::from(tests) * 1000 / left;
                i64::try_from(ratio).unwrap_or(i64::MAX)
            })
        })
        .collect();
    (!ratios.is_empty()).then(|| median_i64(&mut ratios).max(0) as u64)
}

/// Which slopes of the shards' overhead against their groups, fitted to
/// the shards alone, are believed: a slope drawn through shards of about
/// one size (one shard count) is mostly noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slopes {
    /// Only slopes across sizes (the most groups at least twice the
    /// least): for runners that time their own runs, whose window holds
    /// every cost between their first group's start and their last one's
    /// end, so what the shards leave beyond it is a start-up.
    AcrossSizes,
    /// Slopes across sizes, and slopes of one size whose line starts at or
    /// above zero: one vitest worker's shards of 9 to 11 files showed its
    /// real cost per file (imports no report times) that way.
    StartingAboveZero,
}

/// The start-up (per launch) and per-group cost fitted to `shards` and
/// the suite points of `record`.
fn fit_lines(shards: &[&ShardPoint], record: &CostRecord, believed: Slopes) -> Fitted {
    let runs = |runs: &mut dyn Iterator<Item = u64>| -> u64 {
        runs.collect::<BTreeSet<u64>>().len() as u64
    };
    let suites: Vec<&(u64, u64, i64)> = record.suites.iter().filter(|p| p.1 > 0).collect();
    let group_cost = if !suites.is_empty() {
        let mut per_group: Vec<i64> = suites
            .iter()
            .map(|&&(_, groups, y)| y.div_euclid(groups as i64))
            .collect();
        Some((
            clamp(median_i64(&mut per_group)),
            runs(&mut suites.iter().map(|p| p.0)),
        ))
    } else {
        // Per launch, `y / L = startup + group_cost × G / L`: the slope
        // of the points scaled to one launch (in thousandths, so that
        // points launched once keep their integer slopes).
        let per_launch: Vec<(u64, u64, i64)> = shards
            .iter()
            .map(|&&(run, groups, y, launches)| {
                let launches = paid(launches);
                (
                    run,
                    groups.saturating_mul(1000) / launches,
                    y.saturating_mul(1000).div_euclid(launches as i64),
                )
            })
            .collect();
        weighted_theil_sen(&per_launch.iter().collect::<Vec<_>>())
            .map(|slope| (clamp(slope), runs(&mut shards.iter().map(|p| p.0))))
    };
    let startup_given = |group_cost: Option<(Micros, u64)>| {
        let slope = group_cost.map_or(0, |(cost, _)| cost as i64);
        let mut residuals: Vec<i64> = shards
            .iter()
            .map(|&&(_, groups, y, launches)| {
                y.saturating_sub(slope.saturating_mul(groups as i64))
                    .div_euclid(paid(launches) as i64)
            })
            .collect();
        median_i64(&mut residuals)
    };
    let mut group_cost = group_cost;
    let mut startup = (!shards.is_empty()).then(|| startup_given(group_cost));
    // A slope fitted to the shards alone whose line meets G = 0 below zero
    // passes above the shards once the start-up is clamped at 0 (two
    // shards of one run, a few groups apart, that differed by chance give
    // seconds per group). A start-up is never negative, so: across sizes,
    // the line is fitted through the origin instead, the median of the
    // shards' `y / G`; for shards of about one size, whose slope is then
    // mostly noise, the start-up takes the whole overhead (right for that
    // size, and it moves no test), unless the line through the origin
    // misses the shards by at most half as much; and always, for a runner
    // that believes only slopes across sizes.
    let starts_below_zero = startup.is_some_and(|s| s < 0);
    if suites.is_empty()
        && let Some((_, runs_of)) = group_cost
    {
        let through_origin = || {
            let mut per_group: Vec<i64> = shards
                .iter()
                .filter(|p| p.1 > 0)
                .map(|&&(_, groups, y, _)| y.div_euclid(groups as i64))
                .collect();
            (!per_group.is_empty()).then(|| (clamp(median_i64(&mut per_group)), runs_of))
        };
        if !of_several_sizes(shards) && (believed == Slopes::AcrossSizes || starts_below_zero) {
            let alone = startup_given(None);
            let line = through_origin()
                .filter(|_| believed == Slopes::StartingAboveZero)
                .map(|cost| (cost, startup_given(Some(cost))))
                .filter(|&((cost, _), startup)| {
                    2 * misses(shards, clamp(startup), cost) <= misses(shards, clamp(alone), 0)
                });
            (group_cost, startup) = match line {
                Some((cost, startup)) => (Some(cost), Some(startup)),
                None => (None, Some(alone)),
            };
        } else if starts_below_zero && let Some(cost) = through_origin() {
            group_cost = Some(cost);
            startup = Some(startup_given(group_cost));
        }
    }
    // Sized per launch, as `of_several_sizes` tells sizes apart.
    let one_size =
        (suites.is_empty() && !shards.is_empty() && !of_several_sizes(shards)).then(|| {
            let groups = shards.iter().map(|p| p.1 / paid(p.3));
            (groups.clone().min().unwrap_or(0), groups.max().unwrap_or(0))
        });
    Fitted {
        shard_startup: startup.map(|s| (clamp(s), runs(&mut shards.iter().map(|p| p.0)))),
        group_cost,
        concurrency: None,
        one_size,
    }
}

/// How far `startup` per launch and `group_cost` per group miss `shards`'
/// overheads, in all: the sum of `|y − startup × L − group_cost × G|`.
fn misses(shards: &[&ShardPoint], startup: Micros, group_cost: Micros) -> i128 {
    shards
        .iter()
        .map(|&&(_, groups, y, launches)| {
            let fitted = i128::from(startup) * i128::from(paid(launches))
                + i128::from(group_cost) * i128::from(groups);
            (i128::from(y) - fitted).abs()
        })
        .sum()
}

/// Whether `shards` are of more than one size: the most groups per
/// launch (in thousandths, as the slope is fitted) at least twice the
/// least. Shards of one shard count (9 to 11 files each) are not: their
/// slope is mostly noise.
fn of_several_sizes(shards: &[&ShardPoint]) -> bool {
    let per_launch = shards.iter().map(|p| p.1.saturating_mul(1000) / paid(p.3));
    let least = per_launch.clone().min().unwrap_or(0);
    let most = per_launch.max().unwrap_or(0);
    most > least && most >= least.saturating_mul(2)
}

/// The median of the pairwise slopes of `points` (`(_, x, y)`), each pair
/// weighted by its distance in `x`; `None` when all `x` are equal. Slopes
/// are floored integers; the weighted median is the lowest slope at which
/// the weights below and at it reach half the total.
fn weighted_theil_sen(points: &[&(u64, u64, i64)]) -> Option<i64> {
    let mut slopes: Vec<(i64, u64)> = Vec::new();
    for (i, a) in points.iter().enumerate() {
        for b in &points[i + 1..] {
            let (low, high) = if a.1 <= b.1 { (a, b) } else { (b, a) };
            let dx = high.1 - low.1;
            if dx == 0 {
                continue;
            }
            let dy = i128::from(high.2) - i128::from(low.2);
            let slope = dy.div_euclid(i128::from(dx));
            slopes.push((slope.clamp(i64::MIN.into(), i64::MAX.into()) as i64, dx));
        }
    }
    if slopes.is_empty() {
        return None;
    }
    slopes.sort_unstable();
    let total: u128 = slopes.iter().map(|&(_, w)| u128::from(w)).sum();
    let mut below: u128 = 0;
    for &(slope, weight) in &slopes {
        below += u128::from(weight);
        if below * 2 >= total {
            return Some(slope);
        }
    }
    slopes.last().map(|&(slope, _)| slope)
}

/// The lower median of `values` (sorted in place): for an even count the
/// lower middle one, so the result is always an observed value.
fn median_i64(values: &mut [i64]) -> i64 {
    values.sort_unstable();
    values[(values.len() - 1) / 2]
}

fn clamp(value: i64) -> Micros {
    value.max(0) as Micros
}

/// Keeps `record`'s observations from the last `keep` of `runs` runs and
/// refreshes its derived terms.
pub fn age(record: &mut CostRecord, runs: u64, keep: usize) {
    let oldest = runs.saturating_sub(keep as u64);
    record.shards.retain(|p| p.0 > oldest);
    record.suites.retain(|p| p.0 > oldest);
    record.loads.retain(|p| p.0 > oldest);
    record.windows.retain(|p| p.0 > oldest);
    record.recorded.retain(|p| p.0 > oldest);
    record.shards.sort_unstable();
    record.suites.sort_unstable();
    record.loads.sort_unstable();
    record.windows.sort_unstable();
    record.recorded.sort_unstable();
    let fitted = fit(record);
    record.shard_startup = fitted.shard_startup.map(|(v, _)| v);
    record.group_cost = fitted.group_cost.map(|(v, _)| v);
    record.concurrency = fitted.concurrency.map(|(v, _)| v);
}

/// Where a cost term came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermSource {
    /// Fitted to the timing history's observations of this many runs.
    Learned(u64),
    /// Given on the command line (`--shard-overhead`, `--group-overhead`).
    Given,
    /// Neither: 0.
    Default,
}

impl TermSource {
    /// Writes `"source"` (`learned`, `given` or `default`) and, when
    /// learned, `"runs"` into a term's JSON object.
    fn serialize_entries<M: serde::ser::SerializeMap>(self, map: &mut M) -> Result<(), M::Error> {
        match self {
            TermSource::Learned(runs) => {
                map.serialize_entry("source", "learned")?;
                map.serialize_entry("runs", &runs)
            }
            TermSource::Given => map.serialize_entry("source", "given"),
            TermSource::Default => map.serialize_entry("source", "default"),
        }
    }

    /// `learned from 2 runs`, `given`, `default`.
    pub fn describe(self) -> String {
        match self {
            TermSource::Learned(runs) => {
                format!(
                    "learned from {runs} run{}",
                    if runs == 1 { "" } else { "s" }
                )
            }
            TermSource::Given => "given".to_string(),
            TermSource::Default => "default".to_string(),
        }
    }
}

/// One term of the cost model: its value and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    /// The value.
    pub micros: Micros,
    /// Where it came from.
    pub source: TermSource,
}

impl Term {
    /// The term given explicitly, else learned, else 0.
    pub fn choose(given: Option<Micros>, learned: Option<(Micros, u64)>) -> Term {
        match (given, learned) {
            (Some(micros), _) => Term {
                micros,
                source: TermSource::Given,
            },
            (None, Some((micros, runs))) => Term {
                micros,
                source: TermSource::Learned(runs),
            },
            (None, None) => Term {
                micros: 0,
                source: TermSource::Default,
            },
        }
    }
}

impl Serialize for Term {
    /// `{"seconds": 0.35, "source": "learned", "runs": 2}` (`runs` only when
    /// learned; `source` is `learned`, `given` or `default`).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("seconds", &micros_to_seconds(self.micros))?;
        self.source.serialize_entries(&mut map)?;
        map.end()
    }
}

/// The concurrency term of the cost model: how many tests run at once,
/// and where that came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConcurrencyTerm {
    /// The value; [`Concurrency::ONE`] by default.
    pub value: Concurrency,
    /// Where it came from.
    pub source: TermSource,
}

impl ConcurrencyTerm {
    /// Given explicitly (`--concurrency`), else learned, else one at a
    /// time.
    pub fn choose(given: Option<Concurrency>, learned: Option<(u64, u64)>) -> ConcurrencyTerm {
        match (given, learned) {
            (Some(value), _) => ConcurrencyTerm {
                value,
                source: TermSource::Given,
            },
            (None, Some((per_mille, runs))) => ConcurrencyTerm {
                value: Concurrency(per_mille),
                source: TermSource::Learned(runs),
            },
            (None, None) => ConcurrencyTerm {
                value: Concurrency::ONE,
                source: TermSource::Default,
            },
        }
    }

    /// Neither given nor learned: tests one at a time, as before there was
    /// a concurrency, and left out of `--json` and the summary.
    pub fn is_default(&self) -> bool {
        self.source == TermSource::Default
    }
}

impl Default for ConcurrencyTerm {
    fn default() -> ConcurrencyTerm {
        ConcurrencyTerm::choose(None, None)
    }
}

impl Serialize for ConcurrencyTerm {
    /// `{"factor": 1.85, "source": "learned", "runs": 1}`, like [`Term`].
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("factor", &(self.value.0 as f64 / 1000.0))?;
        self.source.serialize_entries(&mut map)?;
        map.end()
    }
}

/// The cost terms a plan used, for the summary, `--json` and `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CostModel {
    /// Paid once by every shard (the plan's shard overhead).
    pub shard_startup: Term,
    /// Paid once per group a shard touches, beyond the group's measured
    /// setup.
    pub group_cost: Term,
    /// Tests running at once: every test's and measured setup's time is
    /// divided by it to predict wall time. Left out of `--json` when
    /// neither given nor learned.
    #[serde(skip_serializing_if = "ConcurrencyTerm::is_default")]
    pub concurrency: ConcurrencyTerm,
    /// Whether the learned start-up is paid per group rather than once per
    /// shard: the runner starts once per group (cargo, one `cargo test`
    /// per test binary). Left out of `--json` when not.
    #[serde(
        rename = "start_up_per_group",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub startup_per_group: bool,
    /// When the terms were learned from shards of one size
    /// ([`Fitted::one_size`]) and none was given: the fewest and most
    /// groups those shards held. How the terms divide the overhead is a
    /// guess for shards of other sizes. Left out of `--json` when not.
    #[serde(
        rename = "learned_from_shards_of_one_size",
        skip_serializing_if = "Option::is_none"
    )]
    pub one_size: Option<GroupRange>,
}

/// The fewest and most groups a launch of the shards a cost model was
/// learned from held ([`Fitted::one_size`], [`CostModel::one_size`]):
/// `{"fewest_groups": 32, "most_groups": 35}`. Only runners whose shards
/// launch once carry one (cargo's per-binary start-up is left out), so
/// per launch is per shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct GroupRange {
    /// The fewest groups a launch held.
    pub fewest_groups: u64,
    /// The most groups a launch held.
    pub most_groups: u64,
}

/// `2.4`, `16`: an average count of groups in thousandths
/// ([`crate::plan::Plan::milli_groups_per_shard`]), to one decimal where it
/// has one.
pub fn milli_groups_text(milli: u64) -> String {
    let tenths = (milli + 50) / 100;
    if tenths.is_multiple_of(10) {
        (tenths / 10).to_string()
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

impl GroupRange {
    /// Whether shards of `milli_groups` thousandths of a group (an
    /// average) are of another size than these, by the fit's own rule and
    /// in its units: with them, the most groups would be at least twice
    /// the fewest.
    pub fn is_other_size(&self, milli_groups: u64) -> bool {
        let fewest = self.fewest_groups.saturating_mul(1000).min(milli_groups);
        let most = self.most_groups.saturating_mul(1000).max(milli_groups);
        most > fewest && most >= fewest.saturating_mul(2)
    }

    /// `32 to 35 groups`, or `4 groups` when they are the same.
    pub fn describe(&self, to: &str) -> String {
        if self.fewest_groups == self.most_groups {
            format!("{} groups", self.fewest_groups)
        } else {
            format!("{}{to}{} groups", self.fewest_groups, self.most_groups)
        }
    }
}

impl Default for CostModel {
    fn default() -> CostModel {
        let zero = Term::choose(None, None);
        CostModel {
            shard_startup: zero,
            group_cost: zero,
            concurrency: ConcurrencyTerm::default(),
            startup_per_group: false,
            one_size: None,
        }
    }
}

impl CostModel {
    /// The model of a runner's terms. Learned per start, the start-up is
    /// paid per group by a runner that `starts_per_group` (cargo: one
    /// `cargo test` per test binary); a given one is per shard as given.
    pub fn new(
        shard_startup: Term,
        group_cost: Term,
        concurrency: ConcurrencyTerm,
        starts_per_group: bool,
    ) -> CostModel {
        CostModel {
            shard_startup,
            group_cost,
            concurrency,
            startup_per_group: starts_per_group
                && matches!(shard_startup.source, TermSource::Learned(_)),
            one_size: None,
        }
    }

    /// The model, noting that its terms were learned from shards of one
    /// size (`fitted`'s [`Fitted::one_size`]); not noted when no term was
    /// learned or any was given, as the division is then not the fit's
    /// alone.
    pub fn learned_with(mut self, fitted: &Fitted) -> CostModel {
        let sources = [
            self.shard_startup.source,
            self.group_cost.source,
            self.concurrency.source,
        ];
        let learned = sources
            .iter()
            .any(|source| matches!(source, TermSource::Learned(_)));
        let given = sources.contains(&TermSource::Given);
        // A start-up paid per group (cargo: a command per test binary) is
        // learned per launch of one group: no shard size to compare.
        self.one_size = fitted
            .one_size
            .filter(|_| learned && !given && !self.startup_per_group)
            .map(|(fewest_groups, most_groups)| GroupRange {
                fewest_groups,
                most_groups,
            });
        self
    }

    /// Why predictions for shards far from the size the costs were
    /// learned at are a guess, and what settles it; `None` when the costs
    /// were not learned from shards of one size.
    pub fn one_size_warning(&self) -> Option<String> {
        let groups = self.one_size?.describe(" to ");
        Some(format!(
            "the learned cost model ({}) comes from shards of one size ({groups} each): \
             they show what such a shard costs beyond its tests, not how that divides between \
             a start-up, a cost per group and tests running at once, so the division is a guess. \
             Predictions for shard counts whose shards hold far more or fewer groups may be far off; \
             recording a run at another shard count (half or twice as many) settles it",
            self.describe_terms(),
        ))
    }

    /// `shard start-up 0.41s (learned from 2 runs), per group 0.35s
    /// (learned from 2 runs)`, then `, concurrency ×1.85 (learned from 1
    /// run)` unless that is the default.
    pub fn describe(&self) -> String {
        let mut out = self.describe_terms();
        if let Some(range) = self.one_size {
            out += &format!(
                "; how the overhead divides among them is a guess (learned from shards of {} only)",
                range.describe("-")
            );
        }
        out
    }

    /// [`CostModel::describe`] without the note on shards of one size.
    fn describe_terms(&self) -> String {
        let mut out = format!(
            "{} ({}), per group {} ({})",
            if self.startup_per_group {
                format!(
                    "start-up {} per group, one command each",
                    crate::duration::human(self.shard_startup.micros)
                )
            } else {
                format!(
                    "shard start-up {}",
                    crate::duration::human(self.shard_startup.micros)
                )
            },
            self.shard_startup.source.describe(),
            crate::duration::human(self.group_cost.micros),
            self.group_cost.source.describe()
        );
        if !self.concurrency.is_default() {
            out += &format!(
                ", concurrency {} ({})",
                self.concurrency.value.describe(),
                self.concurrency.source.describe()
            );
        }
        out
    }

    /// Whether any term was learned.
    pub fn learned(&self) -> bool {
        matches!(self.shard_startup.source, TermSource::Learned(_))
            || matches!(self.group_cost.source, TermSource::Learned(_))
            || matches!(self.concurrency.source, TermSource::Learned(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milli_groups_text_rounds_to_a_tenth() {
        assert_eq!(milli_groups_text(16_000), "16");
        assert_eq!(milli_groups_text(16_750), "16.8");
        assert_eq!(milli_groups_text(2_400), "2.4");
        assert_eq!(milli_groups_text(2_960), "3");
        assert_eq!(milli_groups_text(0), "0");
    }

    fn record(shards: &[(u64, u64, i64)], suites: &[(u64, u64, i64)]) -> CostRecord {
        CostRecord {
            runner: "pytest".into(),
            shards: shards.iter().map(|&(r, g, y)| (r, g, y, 1)).collect(),
            suites: suites.to_vec(),
            ..CostRecord::default()
        }
    }

    #[test]
    fn shard_points_alone_give_the_theil_sen_line() {
        // y = 400ms + 300ms × G exactly.
        let points: Vec<(u64, u64, i64)> = [2u64, 3, 5, 7]
            .iter()
            .map(|&g| (1, g, 400_000 + 300_000 * g as i64))
            .collect();
        let fitted = fit(&record(&points, &[]));
        assert_eq!(fitted.group_cost, Some((300_000, 1)));
        assert_eq!(fitted.shard_startup, Some((400_000, 1)));
    }

    #[test]
    fn the_fit_ignores_one_outlier_shard_and_the_order_of_points() {
        let mut points: Vec<(u64, u64, i64)> = [2u64, 3, 4, 5, 6, 8]
            .iter()
            .enumerate()
            .map(|(n, &g)| {
                (
                    1 + n as u64 % 2,
                    g,
                    400_000 + 300_000 * g as i64 + n as i64 * 1000,
                )
            })
            .collect();
        // One shard on a busy machine: 20 s more.
        points[2].2 += 20_000_000;
        let fitted = fit(&record(&points, &[]));
        let (slope, runs) = fitted.group_cost.unwrap();
        assert!((295_000..=305_000).contains(&slope), "{slope}");
        assert_eq!(runs, 2);
        let (startup, _) = fitted.shard_startup.unwrap();
        assert!((390_000..=410_000).contains(&startup), "{startup}");
        points.reverse();
        assert_eq!(fit(&record(&points, &[])), fitted);
        points.swap(0, 3);
        assert_eq!(fit(&record(&points, &[])), fitted);
    }

    #[test]
    fn suite_gaps_give_the_group_cost_when_shards_touch_as_many_groups() {
        // Every shard touched 10 files: no slope; the sessions' collection
        // (10 files × 350ms + 20ms) gives it.
        let shards = [(2, 10, 4_000_000), (2, 10, 3_950_000), (2, 10, 4_100_000)];
        let suites = [(1, 10, 3_520_000), (2, 10, 3_530_000), (2, 10, 3_490_000)];
        let fitted = fit(&record(&shards, &suites));
        assert_eq!(fitted.group_cost, Some((352_000, 2)));
        assert_eq!(fitted.shard_startup, Some((480_000, 1)));
        // Without suites nothing says how the overhead splits.
        let fitted = fit(&record(&shards, &[]));
        assert_eq!(fitted.group_cost, None);
        assert_eq!(fitted.shard_startup, Some((4_000_000, 1)));
        // A full run alone: the group cost, no start-up.
        let fitted = fit(&record(&[], &suites[..1]));
        assert_eq!(fitted.group_cost, Some((352_000, 1)));
        assert_eq!(fitted.shard_startup, None);
    }

    #[test]
    fn shards_of_one_size_whose_line_starts_below_zero_pay_a_start_up() {
        // Real jest shards of one N = 4 round (issue 11's run, 2 workers):
        // 9 to 11 files each, what their walls left beyond the tests.
        // Their slope meets G = 0 below zero; drawn through the origin it
        // was 64 ms a file and no start-up, and N = 8 shards (5 files)
        // came out 13% short. The truth was a start-up.
        let shards = [
            (2, 9, 580_000),
            (2, 10, 480_000),
            (2, 10, 790_000),
            (2, 11, 1_090_000),
        ];
        let fitted = fit(&record(&shards, &[]));
        assert_eq!(fitted.group_cost, None);
        assert_eq!(fitted.shard_startup, Some((580_000, 1)));
        // Two go shards of one run, 36 and 39 packages, 15.9 s and 36.6 s
        // beyond their tests: 6.9 s a package, a line meeting G = 0 at
        // -233 s that predicted 240 s for shards that took 17-25 s.
        let fitted = fit(&record(&[(1, 36, 15_894_639), (1, 39, 36_641_321)], &[]));
        assert_eq!(fitted.group_cost, None);
        assert_eq!(fitted.shard_startup, Some((15_894_639, 1)));
        // A slope of one size that starts above zero is kept.
        let points: Vec<(u64, u64, i64)> = [9u64, 10, 11]
            .iter()
            .map(|&g| (1, g, 2_600_000 + 286_000 * g as i64))
            .collect();
        let fitted = fit(&record(&points, &[]));
        assert_eq!(fitted.group_cost, Some((286_000, 1)));
        assert_eq!(fitted.shard_startup, Some((2_600_000, 1)));
    }

    #[test]
    fn shards_of_one_size_pay_per_group_when_that_misses_them_by_half_as_much() {
        // Real vitest shards of one N = 4 round (zod 4's suite, issue 11's
        // benchmark): 27 to 36 files, what their walls left beyond the
        // tests. The slope meets G = 0 at -4.2 s; a start-up alone (13.3 s)
        // missed the shard of 27 files by 4 s, 4.8 s in all, and the next
        // round's plan put 28 files there, 36% over; through the origin,
        // 378 ms a file misses them by 1.2 s in all.
        let shards = [
            (1, 27, 9_300_000),
            (1, 36, 13_800_000),
            (1, 36, 13_600_000),
            (1, 35, 13_300_000),
        ];
        let fitted = fit(&record(&shards, &[]));
        assert_eq!(fitted.group_cost, Some((377_777, 1)));
        assert_eq!(fitted.shard_startup, Some((28, 1)));
        for &(_, g, y) in &shards {
            let predicted = 28 + 377_777 * g as i64;
            assert!((predicted - y).abs() * 10 <= y, "{g}: {predicted} vs {y}");
        }
    }

    #[test]
    fn a_slope_across_sizes_whose_line_starts_below_zero_goes_through_the_origin() {
        // Shards of two sizes whose slope, 1 s a group, meets G = 0 at
        // -5 s: clamped, the line passes above every shard.
        let shards = [(1, 10, 5_000_000), (2, 25, 20_000_000)];
        let fitted = fit(&record(&shards, &[]));
        assert_eq!(fitted.group_cost, Some((500_000, 2)));
        assert_eq!(fitted.shard_startup, Some((0, 2)));
        // Four shards whose slope, 550 ms, starts at -1.2 s.
        let shards = [
            (1, 26, 13_100_000),
            (1, 25, 12_500_000),
            (1, 14, 6_500_000),
            (1, 28, 14_200_000),
        ];
        let fitted = fit(&record(&shards, &[]));
        assert_eq!(fitted.group_cost, Some((500_000, 1)));
        // Every shard is predicted within 10%, none wildly above.
        let (startup, _) = fitted.shard_startup.unwrap();
        for &(_, g, y) in &shards {
            let predicted = startup as i64 + 500_000 * g as i64;
            assert!((predicted - y).abs() * 10 <= y, "{g}: {predicted} vs {y}");
        }
        // A line that starts above zero is kept as it was.
        let points: Vec<(u64, u64, i64)> = [2u64, 5]
            .iter()
            .map(|&g| (1, g, 400_000 + 300_000 * g as i64))
            .collect();
        assert_eq!(fit(&record(&points, &[])).group_cost, Some((300_000, 1)));
    }

    #[test]
    fn terms_are_never_negative() {
        let fitted = fit(&record(&[(1, 1, -50_000), (1, 3, -400_000)], &[]));
        assert_eq!(fitted.group_cost, Some((0, 1)));
        assert_eq!(fitted.shard_startup, Some((0, 1)));
    }

    #[test]
    fn a_start_up_paid_per_launch_is_fitted_per_launch() {
        // go shards that ran one to four `go test` commands: 400 ms each,
        // and 100 ms per package.
        let points: Vec<ShardPoint> = [(1u64, 5u64), (3, 20), (2, 12), (4, 30), (3, 9)]
            .iter()
            .map(|&(launches, groups)| {
                let y = 400_000 * launches as i64 + 100_000 * groups as i64;
                (1, groups, y, launches)
            })
            .collect();
        let fitted = fit(&CostRecord {
            runner: "go".into(),
            shards: points.clone(),
            ..CostRecord::default()
        });
        assert_eq!(fitted.shard_startup, Some((400_000, 1)));
        assert_eq!(fitted.group_cost, Some((100_000, 1)));
        // Counted once per shard, the start-up would absorb the others.
        let once: Vec<ShardPoint> = points.iter().map(|&(r, g, y, _)| (r, g, y, 1)).collect();
        let blind = fit(&CostRecord {
            runner: "go".into(),
            shards: once,
            ..CostRecord::default()
        });
        assert_ne!(blind.shard_startup, Some((400_000, 1)));
    }

    #[test]
    fn aging_keeps_the_last_runs_and_refreshes_the_terms() {
        let mut r = record(&[(3, 2, 1_000), (1, 2, 9_000), (2, 4, 2_000)], &[]);
        age(&mut r, 3, 2);
        assert_eq!(r.shards, vec![(2, 4, 2_000, 1), (3, 2, 1_000, 1)]);
        assert_eq!(r.group_cost, Some(500));
        assert_eq!(r.shard_startup, Some(0));
    }

    #[test]
    fn terms_choose_given_over_learned_over_default() {
        assert_eq!(
            Term::choose(Some(5), Some((7, 2))).source,
            TermSource::Given
        );
        assert_eq!(
            Term::choose(None, Some((7, 2))),
            Term {
                micros: 7,
                source: TermSource::Learned(2)
            }
        );
        assert_eq!(Term::choose(None, None).micros, 0);
        let json = serde_json::to_string(&CostModel {
            shard_startup: Term::choose(None, Some((400_000, 2))),
            group_cost: Term::choose(Some(1_000_000), None),
            concurrency: ConcurrencyTerm::default(),
            startup_per_group: false,
            one_size: None,
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"shard_startup":{"seconds":0.4,"source":"learned","runs":2},"group_cost":{"seconds":1.0,"source":"given"}}"#
        );
    }

    #[test]
    fn shards_of_one_size_say_their_division_is_a_guess() {
        // Shards of 32 to 35 groups: one size.
        let fitted = fit(&record(
            &[
                (1, 32, 13_000_000),
                (1, 35, 14_500_000),
                (2, 33, 13_400_000),
            ],
            &[],
        ));
        assert_eq!(fitted.one_size, Some((32, 35)));
        // Across sizes (the most at least twice the fewest): no guess.
        let across = fit(&record(
            &[(1, 10, 5_000_000), (1, 20, 9_000_000), (2, 40, 17_000_000)],
            &[],
        ));
        assert_eq!(across.one_size, None);
        // A report suite measured the per-group cost: no guess either.
        let suites = fit(&record(&[(1, 32, 13_000_000)], &[(1, 30, 9_000_000)]));
        assert_eq!(suites.one_size, None);

        let model = |startup: Option<Micros>, group: Option<Micros>| {
            CostModel::new(
                Term::choose(startup, fitted.shard_startup),
                Term::choose(group, fitted.group_cost),
                ConcurrencyTerm::default(),
                false,
            )
            .learned_with(&fitted)
        };
        let learned = model(None, None);
        assert_eq!(
            learned.one_size,
            Some(GroupRange {
                fewest_groups: 32,
                most_groups: 35
            })
        );
        assert!(
            learned.describe().ends_with(
                "; how the overhead divides among them is a guess (learned from shards of 32-35 groups only)"
            ),
            "{}",
            learned.describe()
        );
        let warning = learned.one_size_warning().expect("a warning");
        assert!(warning.contains("(32 to 35 groups each)"), "{warning}");
        let json = serde_json::to_string(&learned).unwrap();
        assert!(
            json.ends_with(
                r#""learned_from_shards_of_one_size":{"fewest_groups":32,"most_groups":35}}"#
            ),
            "{json}"
        );
        // A start-up paid per group (cargo) is learned per launch of one
        // group: no shard size to compare with.
        let per_group = CostModel::new(
            Term::choose(None, fitted.shard_startup),
            Term::choose(None, fitted.group_cost),
            ConcurrencyTerm::default(),
            true,
        )
        .learned_with(&fitted);
        assert_eq!(per_group.one_size, None);
        // Sizes by the fit's rule, in thousandths of a group: 2.4 groups
        // on average is of the size of 4, 2.0 is not, nor is 8.0.
        let range = GroupRange {
            fewest_groups: 4,
            most_groups: 4,
        };
        assert!(!range.is_other_size(2_400));
        assert!(range.is_other_size(2_000));
        assert!(range.is_other_size(8_000));
        assert!(!range.is_other_size(7_999));
        // A term given on the command line: the division is the user's.
        assert_eq!(model(Some(1_000_000), None).one_size, None);
        assert_eq!(model(None, Some(100_000)).one_size, None);
        assert!(model(None, Some(100_000)).one_size_warning().is_none());
    }

    fn with_loads(loads: &[(u64, u64, u64, i64)]) -> CostRecord {
        CostRecord {
            runner: "nextest".into(),
            shards: loads
                .iter()
                .map(|&(run, groups, tests, busy)| (run, groups, busy - tests as i64, 1))
                .collect(),
            loads: loads
                .iter()
                .map(|&(run, groups, tests, busy)| (run, groups, tests, busy, 1))
                .collect(),
            ..CostRecord::default()
        }
    }

    #[test]
    fn shards_running_tests_two_at_a_time_learn_their_concurrency() {
        // Four nextest shards of one run (issue 11's benchmark, typenum on
        // two threads): ~2 s of tests each in ~1.2 s from `select` to the
        // root's end, two test binaries each.
        let loads = [
            (1, 2, 2_022_000, 1_186_000),
            (1, 2, 1_880_000, 1_143_000),
            (1, 2, 2_105_000, 1_262_000),
            (1, 2, 1_951_000, 1_180_000),
        ];
        let fitted = fit(&with_loads(&loads));
        let (k, runs) = fitted.concurrency.unwrap();
        assert_eq!(runs, 1);
        assert!((1_600..=1_750).contains(&k), "{k}");
        // The start-up alone (no slope: every shard ran two binaries) is
        // what is left, about nothing; every shard is predicted within 5%.
        let (startup, _) = fitted.shard_startup.unwrap();
        assert_eq!(fitted.group_cost, None);
        for &(_, _, tests, busy) in &loads {
            let predicted = (startup + Concurrency(k).wall(tests)) as i64;
            assert!(
                (predicted - busy).abs() * 20 <= busy,
                "{predicted} vs {busy}"
            );
        }
        // The same in any order.
        let mut reversed = loads;
        reversed.reverse();
        assert_eq!(fit(&with_loads(&reversed)), fitted);
    }

    #[test]
    fn a_runner_timing_its_own_runs_separates_start_up_from_concurrency() {
        // typenum under nextest (issue 11's benchmark): a full run of 13.2 s
        // of tests in a 6.66 s root window, then four shards of ~3.4 s of
        // tests in ~1.7 s windows, each ~0.4 s more from `select` to the
        // root's end.
        let loads = [
            (2, 2, 3_380_000, 2_100_000),
            (2, 2, 3_300_000, 2_060_000),
            (2, 2, 3_450_000, 2_140_000),
            (2, 2, 3_390_000, 2_090_000),
        ];
        let mut record = with_loads(&loads);
        record.windows = vec![
            (1, 13_172_000, 6_660_000),
            (2, 3_380_000, 1_698_000),
            (2, 3_300_000, 1_660_000),
            (2, 3_450_000, 1_735_000),
            (2, 3_390_000, 1_700_000),
        ];
        let fitted = fit(&record);
        assert_eq!(fitted.concurrency, Some((1_988, 2)));
        let (startup, runs) = fitted.shard_startup.unwrap();
        assert_eq!(runs, 1);
        assert!((380_000..=420_000).contains(&startup), "{startup}");
        // Blind to the windows, k absorbs the start-up.
        let blind = fit(&with_loads(&loads));
        assert!(blind.concurrency.unwrap().0 < 1_650, "{blind:?}");
        assert!(blind.shard_startup.unwrap().0 < 50_000, "{blind:?}");
        // A full run alone gives k and nothing else.
        let full = CostRecord {
            runner: "nextest".into(),
            windows: vec![(1, 13_172_000, 6_660_000)],
            ..CostRecord::default()
        };
        assert_eq!(
            fit(&full),
            Fitted {
                concurrency: Some((1_977, 1)),
                ..Fitted::default()
            }
        );
        // Windows whose tests ran one at a time learn no concurrency, even
        // where the loads alone would.
        record.windows = vec![(1, 3_000_000, 2_900_000)];
        assert_eq!(fit(&record).concurrency, None);
        assert!(fit(&with_loads(&loads)).concurrency.is_some());
    }

    #[test]
    fn a_runner_timing_its_own_runs_pays_one_sizes_overhead_as_a_start_up() {
        // Real jest shards (2 workers) of one N = 4 round, 9 to 11 files
        // each, and the windows of the full run and the shards. What the
        // walls leave beyond the windows' concurrency slopes up with the
        // files by chance, a line from 168 ms at no file with 125 ms a
        // file, which left the N = 8 shards 17% short. A window holds
        // what each file costs, so what is left is a start-up.
        let loads = [
            (2, 9, 15_316_000, 9_245_582),
            (2, 10, 15_006_000, 8_773_557),
            (2, 10, 16_067_000, 10_067_473),
            (2, 11, 15_930_000, 9_814_521),
        ];
        let mut record = with_loads(&loads);
        record.windows = vec![
            (1, 63_784_000, 31_911_000),
            (2, 15_006_000, 7_791_000),
            (2, 15_316_000, 8_049_000),
            (2, 15_930_000, 7_827_000),
            (2, 16_067_000, 8_536_000),
        ];
        let fitted = fit(&record);
        assert_eq!(fitted.group_cost, None);
        let (startup, runs) = fitted.shard_startup.unwrap();
        assert_eq!(runs, 1);
        assert!((1_200_000..=1_400_000).contains(&startup), "{startup}");
        // Shards of two sizes show a cost per group: 500 ms start-up and
        // 200 ms a group beyond tests run two at a time.
        let loads: Vec<(u64, u64, u64, i64)> = [
            (5u64, 4_000_000u64),
            (10, 8_000_000),
            (6, 4_800_000),
            (12, 9_600_000),
        ]
        .iter()
        .map(|&(groups, tests)| {
            (
                2,
                groups,
                tests,
                (tests / 2 + 500_000 + 200_000 * groups) as i64,
            )
        })
        .collect();
        let mut record = with_loads(&loads);
        record.windows = loads
            .iter()
            .map(|&(run, _, tests, _)| (run, tests, tests / 2))
            .collect();
        let fitted = fit(&record);
        assert_eq!(fitted.concurrency, Some((2_000, 1)));
        assert_eq!(fitted.group_cost, Some((200_000, 1)));
        assert_eq!(fitted.shard_startup, Some((500_000, 1)));
    }

    #[test]
    fn sizes_are_groups_per_launch_and_differ_at_twice() {
        let sizes = |points: &[(u64, u64)]| {
            let shards: Vec<ShardPoint> = points.iter().map(|&(g, l)| (1, g, 0, l)).collect();
            of_several_sizes(&shards.iter().collect::<Vec<_>>())
        };
        assert!(sizes(&[(10, 1), (20, 1)]));
        assert!(!sizes(&[(10, 1), (19, 1), (12, 1)]));
        assert!(!sizes(&[(10, 1), (10, 1)]));
        // 3 and 5 packages over two `go test` commands each: 1.5 and 2.5.
        assert!(!sizes(&[(3, 2), (5, 2)]));
        // One package cut into two commands beside four in one.
        assert!(sizes(&[(1, 2), (4, 1)]));
        assert!(!sizes(&[]));
    }

    #[test]
    fn a_start_up_left_by_the_first_concurrency_raises_it() {
        // Shards of different sizes and binaries: 300 ms start-up, 100 ms
        // per binary, tests two at a time.
        let loads: Vec<(u64, u64, u64, i64)> = [
            (1u64, 1_000_000u64),
            (3, 4_000_000),
            (5, 8_000_000),
            (4, 6_000_000),
        ]
        .iter()
        .map(|&(g, t)| (1, g, t, 300_000 + 100_000 * g as i64 + t as i64 / 2))
        .collect();
        let record = with_loads(&loads);
        let fitted = fit(&record);
        let (k, _) = fitted.concurrency.unwrap();
        let first = concurrency_given(&record.loads, 0, 0).unwrap();
        assert!(k >= first && k <= 2_000, "{first} {k}");
        let startup = fitted.shard_startup.unwrap().0;
        let group = fitted.group_cost.map_or(0, |g| g.0);
        for &(_, g, tests, busy) in &loads {
            let predicted = (startup + group * g + Concurrency(k).wall(tests)) as i64;
            assert!(
                (predicted - busy).abs() * 10 <= busy,
                "{g}: {predicted} vs {busy}"
            );
        }
    }

    #[test]
    fn serial_shards_and_old_records_learn_no_concurrency() {
        // Tests one after another plus overheads, give or take noise.
        let loads = [
            (1, 2, 2_000_000, 2_400_000),
            (1, 3, 1_000_000, 1_450_000),
            (1, 5, 3_000_000, 3_300_000),
        ];
        let record = with_loads(&loads);
        let fitted = fit(&record);
        assert_eq!(fitted.concurrency, None);
        let old = CostRecord {
            loads: Vec::new(),
            ..record.clone()
        };
        // Exactly what the shards alone give, as before loads were kept.
        assert_eq!(fitted, fit(&old));
        // One shard is not evidence enough.
        let one = with_loads(&[(1, 2, 4_000_000, 1_200_000)]);
        assert_eq!(fit(&one).concurrency, None);
        // Aging keeps the loads of the kept runs and stores the term.
        let mut aged = with_loads(&[
            (1, 2, 4_000_000, 9_000_000),
            (2, 2, 4_000_000, 2_100_000),
            (2, 2, 4_100_000, 2_150_000),
        ]);
        age(&mut aged, 2, 1);
        assert_eq!(aged.loads.len(), 2);
        assert!(aged.concurrency.is_some_and(|k| k > 1_800), "{aged:?}");
    }

    #[test]
    fn the_concurrency_shows_only_when_given_or_learned() {
        let mut model = CostModel::default();
        assert!(!model.describe().contains("concurrency"));
        assert!(
            !serde_json::to_string(&model)
                .unwrap()
                .contains("concurrency")
        );
        model.concurrency = ConcurrencyTerm::choose(None, Some((1_850, 1)));
        assert!(model.learned());
        assert!(
            model
                .describe()
                .ends_with(", concurrency ×1.85 (learned from 1 run)"),
            "{}",
            model.describe()
        );
        assert!(
            serde_json::to_string(&model)
                .unwrap()
                .ends_with(r#""concurrency":{"factor":1.85,"source":"learned","runs":1}}"#)
        );
        let given = ConcurrencyTerm::choose(Some(Concurrency::ONE), Some((1_850, 1)));
        assert_eq!(given.value, Concurrency::ONE);
        assert_eq!(given.source, TermSource::Given);
    }
}
