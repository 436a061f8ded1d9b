//! The timing table: the second stage of the pipeline.
//!
//! Reports are folded into one duration per test, named as the chosen runner
//! names it. The suite to plan is then either every test the reports know, or
//! exactly the tests a `--tests-from` listing names; tests without history
//! get an estimate from their nearest measured relatives, never zero.
//!
//! Repeated runs of one test (several reports, reruns, shards of one CI run)
//! are combined by their **mean**: it needs no notion of which report is the
//! latest (file modification times differ between CI machines), and an
//! integer mean does not depend on the order reports were read in.

use std::collections::{BTreeMap, HashMap, hash_map};

use crate::duration::{Micros, SECOND};
use crate::emit::{Granularity, Runner, TestId};
use crate::report::{Dialect, Outcome, TestCase};

/// Estimates are never below this, so a new test is never free to place.
pub const MIN_ESTIMATE: Micros = 1_000;

/// What every test weighs when no report has a single usable duration: the
/// plan then degrades to a split by count.
pub const DEFAULT_ESTIMATE: Micros = SECOND;

/// One test the reports know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The runner's id for the test.
    pub id: TestId,
    /// Mean of the usable recorded durations, if there were any.
    pub duration: Option<Micros>,
    /// How many usable durations went into the mean.
    pub samples: u64,
}

/// Counts that explain what happened to the report cases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableStats {
    /// Test cases read from all reports.
    pub cases: usize,
    /// Cases from reports written for another runner, by their dialect.
    pub other_runner: BTreeMap<Dialect, usize>,
    /// Cases the runner cannot select by themselves (e.g. go subtests).
    pub not_selectable: usize,
}

/// Per-test durations keyed by the runner's native id.
///
/// Built through hash maps for speed, but stored as a vector sorted by id:
/// nothing downstream ever sees hash-map order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimingTable {
    entries: Vec<Entry>,
}

impl TimingTable {
    /// Folds report cases into the table, naming them with `runner`.
    /// Skipped runs prove a test exists but say nothing about its duration.
    pub fn build<'a>(
        cases: impl IntoIterator<Item = &'a TestCase>,
        runner: &dyn Runner,
    ) -> (TimingTable, TableStats) {
        let mut stats = TableStats::default();
        let mut sums: HashMap<String, (TestId, u128, u64)> = HashMap::new();
        for case in cases {
            stats.cases += 1;
            if !runner.accepts(case.dialect) {
                *stats.other_runner.entry(case.dialect).or_default() += 1;
                continue;
            }
            let Some(id) = runner.identify(case) else {
                stats.not_selectable += 1;
                continue;
            };
            let slot = match sums.entry(id.native.clone()) {
                hash_map::Entry::Occupied(slot) => slot.into_mut(),
                hash_map::Entry::Vacant(slot) => slot.insert((id, 0, 0)),
            };
            if let (Some(duration), false) = (case.duration, case.outcome == Outcome::Skipped) {
                slot.1 += u128::from(duration);
                slot.2 += 1;
            }
        }
        let mut entries: Vec<Entry> = sums
            .into_values()
            .map(|(id, sum, samples)| Entry {
                id,
                duration: (samples > 0).then(|| (sum / u128::from(samples)) as Micros),
                samples,
            })
            .collect();
        entries.sort_unstable_by(|a, b| a.id.native.cmp(&b.id.native));
        (TimingTable { entries }, stats)
    }

    /// Number of distinct tests.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no test is known.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Looks a test up by its native id.
    pub fn get(&self, native: &str) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.id.native.as_str().cmp(native))
            .ok()
            .map(|i| &self.entries[i])
    }

    /// All entries in id order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }
}

/// Where a planned test's duration came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// Recorded in the reports.
    Measured,
    /// Estimated from measured siblings (same class, else file, else suite).
    Estimated,
}

/// One test to plan, with the duration the plan assumes for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTest {
    /// The runner's id for the test.
    pub id: TestId,
    /// Predicted duration.
    pub duration: Micros,
    /// Measured or estimated.
    pub source: Source,
}

/// The tests to plan, sorted by native id, each exactly once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suite {
    /// The tests, sorted by native id.
    pub tests: Vec<PlannedTest>,
    /// Listed tests that appeared more than once in the listing (kept once).
    pub duplicate_listings: usize,
    /// Tests with timings that the listing no longer names.
    pub stale: usize,
}

impl Suite {
    /// How many tests have measured durations.
    pub fn measured(&self) -> usize {
        self.tests
            .iter()
            .filter(|t| t.source == Source::Measured)
            .count()
    }
}

/// Builds the suite to plan. With `listed`, exactly those tests (deduplicated);
/// without, every test the table knows.
pub fn suite(table: TimingTable, listed: Option<&[TestId]>) -> Suite {
    let (ids, duplicate_listings, stale) = match listed {
        Some(listed) => {
            let mut ids = listed.to_vec();
            ids.sort_unstable_by(|a, b| a.native.cmp(&b.native));
            ids.dedup_by(|a, b| a.native == b.native);
            let duplicates = listed.len() - ids.len();
            let stale = table
                .entries()
                .filter(|e| {
                    ids.binary_search_by(|id| id.native.cmp(&e.id.native))
                        .is_err()
                })
                .count();
            (ids, duplicates, stale)
        }
        None => {
            let tests = table
                .entries
                .into_iter()
                .map(|entry| PlannedTest {
                    id: entry.id,
                    duration: entry.duration.unwrap_or(0),
                    source: if entry.duration.is_some() {
                        Source::Measured
                    } else {
                        Source::Estimated
                    },
                })
                .collect();
            return estimate_unknown(tests, &TimingTable::default(), 0, 0);
        }
    };
    let tests = ids
        .into_iter()
        .map(|id| {
            let duration = table.get(&id.native).and_then(|e| e.duration);
            PlannedTest {
                id,
                duration: duration.unwrap_or(0),
                source: if duration.is_some() {
                    Source::Measured
                } else {
                    Source::Estimated
                },
            }
        })
        .collect();
    estimate_unknown(tests, &table, duplicate_listings, stale)
}

/// Fills in the durations of [`Source::Estimated`] tests. `table` stands in
/// for siblings when none of `tests` is measured.
fn estimate_unknown(
    mut tests: Vec<PlannedTest>,
    table: &TimingTable,
    duplicate_listings: usize,
    stale: usize,
) -> Suite {
    if tests.iter().any(|t| t.source == Source::Estimated) {
        let measured: Vec<(&TestId, Micros)> = tests
            .iter()
            .filter(|t| t.source == Source::Measured)
            .map(|t| (&t.id, t.duration))
            .collect();
        let estimator = Estimator::new(&measured, table);
        let estimates: Vec<Option<Micros>> = tests
            .iter()
            .map(|t| (t.source == Source::Estimated).then(|| estimator.estimate(&t.id)))
            .collect();
        for (test, estimate) in tests.iter_mut().zip(estimates) {
            if let Some(estimate) = estimate {
                test.duration = estimate;
            }
        }
    }
    Suite {
        tests,
        duplicate_listings,
        stale,
    }
}

/// Medians of measured durations by class, by file and overall.
struct Estimator<'a> {
    by_class: HashMap<&'a str, Micros>,
    by_file: HashMap<&'a str, Micros>,
    overall: Micros,
}

impl<'a> Estimator<'a> {
    /// Siblings come from the planned suite; if none of it is measured, the
    /// whole table stands in (stale tests still tell how slow this suite is).
    fn new(measured: &[(&'a TestId, Micros)], table: &'a TimingTable) -> Self {
        let fallback: Vec<(&TestId, Micros)>;
        let measured = if measured.is_empty() {
            fallback = table
                .entries()
                .filter_map(|e| Some((&e.id, e.duration?)))
                .collect();
            &fallback[..]
        } else {
            measured
        };
        // Hash maps are fine here: they are only looked up, never iterated.
        let group = |by: Granularity| {
            let mut groups: HashMap<&'a str, Vec<Micros>> = HashMap::new();
            for &(id, duration) in measured {
                groups.entry(id.key(by)).or_default().push(duration);
            }
            groups
                .into_iter()
                .map(|(key, mut values)| (key, median(&mut values)))
                .collect()
        };
        let mut all: Vec<Micros> = measured.iter().map(|(_, d)| *d).collect();
        Estimator {
            by_class: group(Granularity::Class),
            by_file: group(Granularity::File),
            overall: if all.is_empty() {
                DEFAULT_ESTIMATE
            } else {
                median(&mut all)
            },
        }
    }

    fn estimate(&self, id: &TestId) -> Micros {
        self.by_class
            .get(id.class.as_str())
            .or_else(|| self.by_file.get(id.file.as_str()))
            .copied()
            .unwrap_or(self.overall)
            .max(MIN_ESTIMATE)
    }
}

/// The median of `values` (mean of the two middle ones for an even count),
/// in integers. `values` must not be empty.
pub fn median(values: &mut [Micros]) -> Micros {
    values.sort_unstable();
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        ((u128::from(values[mid - 1]) + u128::from(values[mid])) / 2) as Micros
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(native: &str, class: &str, file: &str) -> TestId {
        TestId {
            native: native.into(),
            class: class.into(),
            file: file.into(),
        }
    }

    fn table(entries: &[(TestId, Option<Micros>)]) -> TimingTable {
        let mut entries: Vec<Entry> = entries
            .iter()
            .map(|(id, d)| Entry {
                id: id.clone(),
                duration: *d,
                samples: u64::from(d.is_some()),
            })
            .collect();
        entries.sort_by(|a, b| a.id.native.cmp(&b.id.native));
        TimingTable { entries }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [5, 1, 3]), 3);
        assert_eq!(median(&mut [4, 1, 3, 2]), 2);
        assert_eq!(median(&mut [7]), 7);
    }

    #[test]
    fn unlisted_tests_are_estimated_from_class_then_file_then_suite() {
        let t = table(&[
            (id("a.py::A::x", "a.py::A", "a.py"), Some(10 * SECOND)),
            (id("a.py::A::y", "a.py::A", "a.py"), Some(30 * SECOND)),
            (id("a.py::f", "a.py", "a.py"), Some(2 * SECOND)),
            (id("b.py::g", "b.py", "b.py"), Some(4 * SECOND)),
        ]);
        let listed = vec![
            id("a.py::A::x", "a.py::A", "a.py"),
            id("a.py::A::new", "a.py::A", "a.py"),
            id("a.py::B::new", "a.py::B", "a.py"),
            id("c.py::new", "c.py", "c.py"),
            id("b.py::g", "b.py", "b.py"),
        ];
        let s = suite(t, Some(&listed));
        let by_name: BTreeMap<&str, &PlannedTest> =
            s.tests.iter().map(|t| (t.id.native.as_str(), t)).collect();
        // Siblings are measured tests of the planned suite: only a.py::A::x
        // remains in class a.py::A, and a.py::f is not listed any more.
        assert_eq!(by_name["a.py::A::new"].duration, 10 * SECOND);
        assert_eq!(by_name["a.py::A::new"].source, Source::Estimated);
        assert_eq!(by_name["a.py::B::new"].duration, 10 * SECOND);
        assert_eq!(by_name["c.py::new"].duration, 7 * SECOND);
        assert_eq!(s.tests.len(), 5);
        assert_eq!(s.measured(), 2);
        assert_eq!(s.stale, 2);
    }

    #[test]
    fn estimates_are_never_zero() {
        let t = table(&[(id("p.TestA", "p", "p"), Some(0))]);
        let listed = vec![id("p.TestA", "p", "p"), id("p.TestB", "p", "p")];
        let s = suite(t, Some(&listed));
        assert_eq!(s.tests[1].duration, MIN_ESTIMATE);
    }

    #[test]
    fn without_any_timing_every_test_weighs_the_default() {
        let t = TimingTable::default();
        let listed = vec![id("x", "x", "x"), id("y", "y", "y"), id("x", "x", "x")];
        let s = suite(t, Some(&listed));
        assert_eq!(s.tests.len(), 2);
        assert_eq!(s.duplicate_listings, 1);
        assert!(s.tests.iter().all(|t| t.duration == DEFAULT_ESTIMATE));
    }
}
