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
//! shard_startup(R) + Σ its tests + Σ measured setup of its groups + group_cost(R) × G
//! ```
//!
//! where "measured setup" is what reports show ([`crate::timing::GroupSetups`]:
//! a suite's time beyond its tests) and the two learned terms are what
//! they do not show: interpreter start-up, plugin loading, a file's imports
//! that the runner times outside its tests.
//!
//! # Observations
//!
//! `shardplan merge` collects, per runner, two kinds of points `(G, y)`
//! (see [`crate::costs`]), kept for the history's last `keep` runs:
//!
//! * **shards**: a shard of a run recorded by `select --record DIR`, whose
//!   record says when it started and whose reports say when it ended (a
//!   JUnit suite's `timestamp` + `time`). `y` = its wall time minus its
//!   tests and measured setups: `shard_startup + group_cost × G` plus noise.
//! * **suites**: a report suite whose tests span several groups (pytest's
//!   one `<testsuite name="pytest">`, whose time covers collecting, i.e.
//!   importing, every file it ran): `y` = its time minus its tests, about
//!   `group_cost × G` with no start-up in it. A full run without a record
//!   gives these too.
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
//!   Theil–Sen slope of the shard points: the median of the pairwise
//!   slopes `(y_j − y_i) / (G_j − G_i)`, each weighted by `G_j − G_i`
//!   (Sievers' weighting, so two shards one group apart, whose slope is
//!   mostly noise, count least); else unknown.
//! * `shard_startup`: with shard points, the median of
//!   `y − group_cost × G` over them; else unknown. When that median is
//!   negative for a slope fitted to the shards alone, the line is fitted
//!   through the origin instead: `group_cost` is the median of the shard
//!   points' `y / G` and `shard_startup` the median of what is left (a
//!   start-up is never negative, and the clamped line would pass above
//!   every shard).
//!
//! Both are clamped at 0. A term is learned from the runs its points come
//! from; an unknown term is 0 unless given.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::duration::{Micros, micros_to_seconds};
use crate::report::history::CostRecord;

/// The learned terms of one runner, with how many runs each comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fitted {
    /// Start-up per shard and the number of runs it was learned from.
    pub shard_startup: Option<(Micros, u64)>,
    /// Cost per group touched and the number of runs it was learned from.
    pub group_cost: Option<(Micros, u64)>,
}

/// Fits the model to a runner's observations (see the module docs).
pub fn fit(record: &CostRecord) -> Fitted {
    let runs = |points: &[&(u64, u64, i64)]| -> u64 {
        points.iter().map(|p| p.0).collect::<BTreeSet<u64>>().len() as u64
    };
    let shards: Vec<&(u64, u64, i64)> = record.shards.iter().collect();
    let suites: Vec<&(u64, u64, i64)> = record.suites.iter().filter(|p| p.1 > 0).collect();
    let group_cost = if !suites.is_empty() {
        let mut per_group: Vec<i64> = suites
            .iter()
            .map(|&&(_, groups, y)| y.div_euclid(groups as i64))
            .collect();
        Some((clamp(median_i64(&mut per_group)), runs(&suites)))
    } else {
        weighted_theil_sen(&shards).map(|slope| (clamp(slope), runs(&shards)))
    };
    let startup_given = |group_cost: Option<(Micros, u64)>| {
        let slope = group_cost.map_or(0, |(cost, _)| cost as i64);
        let mut residuals: Vec<i64> = shards
            .iter()
            .map(|&&(_, groups, y)| y.saturating_sub(slope.saturating_mul(groups as i64)))
            .collect();
        median_i64(&mut residuals)
    };
    let mut group_cost = group_cost;
    let mut startup = (!shards.is_empty()).then(|| startup_given(group_cost));
    // A slope fitted to the shards alone whose line meets G = 0 below zero
    // passes above the shards once the start-up is clamped at 0 (two
    // shards of one run, a few groups apart, that differed by chance give
    // seconds per group): a start-up is never negative, so fit the line
    // through the origin instead, the median of the shards' `y / G`.
    if suites.is_empty()
        && startup.is_some_and(|s| s < 0)
        && let Some((_, runs_of)) = group_cost
    {
        let mut per_group: Vec<i64> = shards
            .iter()
            .filter(|p| p.1 > 0)
            .map(|&&(_, groups, y)| y.div_euclid(groups as i64))
            .collect();
        if !per_group.is_empty() {
            group_cost = Some((clamp(median_i64(&mut per_group)), runs_of));
            startup = Some(startup_given(group_cost));
        }
    }
    Fitted {
        shard_startup: startup.map(|s| (clamp(s), runs(&shards))),
        group_cost,
    }
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
    record.shards.sort_unstable();
    record.suites.sort_unstable();
    let fitted = fit(record);
    record.shard_startup = fitted.shard_startup.map(|(v, _)| v);
    record.group_cost = fitted.group_cost.map(|(v, _)| v);
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
        match self.source {
            TermSource::Learned(runs) => {
                map.serialize_entry("source", "learned")?;
                map.serialize_entry("runs", &runs)?;
            }
            TermSource::Given => map.serialize_entry("source", "given")?,
            TermSource::Default => map.serialize_entry("source", "default")?,
        }
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
}

impl Default for CostModel {
    fn default() -> CostModel {
        let zero = Term::choose(None, None);
        CostModel {
            shard_startup: zero,
            group_cost: zero,
        }
    }
}

impl CostModel {
    /// `shard start-up 0.41s (learned from 2 runs), per group 0.35s
    /// (learned from 2 runs)`.
    pub fn describe(&self) -> String {
        format!(
            "shard start-up {} ({}), per group {} ({})",
            crate::duration::human(self.shard_startup.micros),
            self.shard_startup.source.describe(),
            crate::duration::human(self.group_cost.micros),
            self.group_cost.source.describe()
        )
    }

    /// Whether any term was learned.
    pub fn learned(&self) -> bool {
        matches!(self.shard_startup.source, TermSource::Learned(_))
            || matches!(self.group_cost.source, TermSource::Learned(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(shards: &[(u64, u64, i64)], suites: &[(u64, u64, i64)]) -> CostRecord {
        CostRecord {
            runner: "pytest".into(),
            shards: shards.to_vec(),
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
    fn a_slope_whose_line_starts_below_zero_is_fitted_through_the_origin() {
        // Two go shards of one real run (issue 11's benchmark): 36 and 39
        // packages, 15.9 s and 36.6 s beyond their tests. Their slope,
        // 6.9 s per package, meets G = 0 at -233 s; clamped, it predicted
        // 240 s for shards that took 17-25 s.
        let shards = [(1, 36, 15_894_639), (1, 39, 36_641_321)];
        let fitted = fit(&record(&shards, &[]));
        assert_eq!(fitted.group_cost, Some((15_894_639 / 36, 1)));
        // What is left of the smaller shard: its rounding, 27 µs.
        assert_eq!(fitted.shard_startup, Some((15_894_639 % 36, 1)));
        // Four shards whose slope, 540 ms, starts at -1.8 s.
        let shards = [
            (1, 26, 12_200_000),
            (1, 25, 13_100_000),
            (1, 18, 9_100_000),
            (1, 28, 14_800_000),
        ];
        let fitted = fit(&record(&shards, &[]));
        let (slope, _) = fitted.group_cost.unwrap();
        assert!((469_000..=506_000).contains(&slope), "{slope}");
        // Every shard is predicted within 10%, none wildly above.
        let (startup, _) = fitted.shard_startup.unwrap();
        for &(_, g, y) in &shards {
            let predicted = startup as i64 + slope as i64 * g as i64;
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
    fn aging_keeps_the_last_runs_and_refreshes_the_terms() {
        let mut r = record(&[(3, 2, 1_000), (1, 2, 9_000), (2, 4, 2_000)], &[]);
        age(&mut r, 3, 2);
        assert_eq!(r.shards, vec![(2, 4, 2_000), (3, 2, 1_000)]);
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
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"shard_startup":{"seconds":0.4,"source":"learned","runs":2},"group_cost":{"seconds":1.0,"source":"given"}}"#
        );
    }
}
