//! `shardplan whatif`: how many shards are worth paying for.
//!
//! The inputs are read once ([`pipeline::read_inputs`]); every shard count is
//! then planned by [`pipeline::plan_for`], the planner and cost model of
//! `shardplan --shards N`, so each row is exactly the plan that command
//! prints (the fingerprints match). All numbers come from integer
//! microseconds; ratios are formed from integers for display only.
//!
//! For a shard count N:
//!
//! * **wall time**: the slowest shard's predicted time, shard overhead and
//!   group setups included (the plan's makespan);
//! * **lower bound**: no plan for N shards finishes sooner
//!   ([`crate::plan::lower_bound`], overhead included);
//! * **efficiency**: the tests' own time over N × wall time: the share of N
//!   runners, held until the slowest shard is done, that runs tests rather
//!   than overhead, setups or waiting;
//! * **machine time**: every shard's predicted time added up, overhead
//!   included: what runners billed per job charge, each job stopping when
//!   its shard is done;
//! * **speedup**: wall time at one shard over wall time at N.
//!
//! The **knee** is the first count in the table where going to the next
//! count in the table saves less than `--knee` (default 5%) of its wall
//! time. With `--target`, the answer is the fewest shards whose wall time
//! is at most the target; see [`Verdict`].

pub mod choose;
pub mod plot;
pub mod table;

use std::collections::BTreeSet;
use std::str::FromStr;

use crate::choice::Choice;
use crate::duration::Micros;
use crate::emit::{Granularity, Runner};
use crate::error::Result;
use crate::learned::GroupRange;
use crate::options::PlanOptions;
use crate::pipeline::{self, Inputs, ShardPlan};
use crate::plan::{self, Bound, Costs};

/// The most shards `--shards` accepts anywhere.
pub const MAX_SHARDS: usize = 100_000;

/// The most shard counts one table compares: each is a plan.
pub const MAX_COUNTS: usize = 256;

/// Counts planned when searching outside the table for the fewest shards
/// that meet a target (after the lower bound has ruled out the rest).
const SEARCH_PLANS: usize = 16;

/// The shard counts to compare, ascending, each once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardCounts(Vec<usize>);

impl ShardCounts {
    /// The counts, ascending.
    pub fn counts(&self) -> &[usize] {
        &self.0
    }
}

impl FromStr for ShardCounts {
    type Err = String;

    /// `A..B` (both ends included; `A..=B` too), `A,B,C`, `N`, or a
    /// comma-separated mix.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            format!(
                "{text:?} is not a list of shard counts: write a range 1..32 (both ends included), a list 1,2,4,8, or one number, each from 1 to {MAX_SHARDS}"
            )
        };
        let number = |s: &str| match s.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_SHARDS).contains(&n) => Ok(n),
            _ => Err(invalid()),
        };
        let mut counts = BTreeSet::new();
        for part in text.split(',') {
            let (low, high) = match part.split_once("..") {
                Some((low, high)) => (
                    number(low)?,
                    number(high.strip_prefix('=').unwrap_or(high))?,
                ),
                None => {
                    let n = number(part)?;
                    (n, n)
                }
            };
            if low > high {
                return Err(format!(
                    "{:?}: a range of shard counts goes up, e.g. {high}..{low}",
                    part.trim()
                ));
            }
            if high - low >= MAX_COUNTS {
                return Err(too_many());
            }
            counts.extend(low..=high);
            if counts.len() > MAX_COUNTS {
                return Err(too_many());
            }
        }
        Ok(ShardCounts(counts.into_iter().collect()))
    }
}

fn too_many() -> String {
    format!(
        "at most {MAX_COUNTS} shard counts at once (each is a plan); pick a list such as 1,2,4,8,16,32"
    )
}

/// A share of a whole in parts per million, as `5%` or `0.05` give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    ppm: u32,
}

impl Share {
    /// The share in parts per million.
    pub fn ppm(self) -> u32 {
        self.ppm
    }

    /// As a percentage, without trailing zeros: `5%`, `2.5%`.
    pub fn percent(self) -> String {
        let whole = self.ppm / 10_000;
        let fraction = self.ppm % 10_000;
        if fraction == 0 {
            return format!("{whole}%");
        }
        let digits = format!("{fraction:04}");
        format!("{whole}.{}%", digits.trim_end_matches('0'))
    }
}

/// Parses a share from 0 to 1: `0.05` or `5%`, exactly (decimal digits, no
/// floating point), rounded to the nearest part per million.
pub fn parse_share(text: &str) -> Result<Share, String> {
    let invalid = || format!("{text:?} is not a share from 0 to 1: write e.g. 5% or 0.05");
    let trimmed = text.trim();
    let (number, unit) = match trimmed.strip_suffix('%') {
        Some(number) => (number.trim(), 10_000u64),
        None => (trimmed, 1_000_000u64),
    };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) || int.len() > 9 {
        return Err(invalid());
    }
    // Digits beyond these cannot change a rounded part per million.
    let frac = &frac[..frac.len().min(12)];
    let int: u64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| invalid())?
    };
    let frac_value: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| invalid())?
    };
    let denominator = 10u128.pow(frac.len() as u32);
    let ppm = u128::from(int) * u128::from(unit)
        + (u128::from(frac_value) * u128::from(unit) + denominator / 2) / denominator;
    if ppm > 1_000_000 {
        return Err(invalid());
    }
    Ok(Share { ppm: ppm as u32 })
}

/// How `whatif` prints its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns, the verdict and a bar chart of wall time.
    Table,
    /// A GitHub Markdown table and the verdict.
    Markdown,
    /// Comma-separated values, durations in seconds; the verdict on stderr.
    Csv,
    /// One JSON document with the rows and the verdict.
    Json,
}

impl Choice for Format {
    const ALL: &'static [Format] = &[Format::Table, Format::Markdown, Format::Csv, Format::Json];

    fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Markdown => "markdown",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Format::Table => "Aligned columns, the verdict and a bar chart of wall time",
            Format::Markdown => "A GitHub Markdown table and the verdict",
            Format::Csv => "Comma-separated values, durations in seconds; the verdict on stderr",
            Format::Json => "One JSON document with the rows and the verdict",
        }
    }
}

/// One shard count's plan, summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Number of shards.
    pub shards: usize,
    /// The slowest shard's prediction, overhead and setups included.
    pub wall: Micros,
    /// No plan for this many shards finishes sooner.
    pub bound: Bound,
    /// The tests' own time, without setups or overhead.
    pub work: Micros,
    /// Every shard's prediction added up.
    pub machine: Micros,
    /// The plan's fingerprint, as `shardplan --shards N` prints it.
    pub fingerprint: String,
    /// Groups a shard holds on average, in thousandths.
    pub milli_groups_per_shard: u64,
}

impl Row {
    /// The summary of a plan.
    pub fn of(planned: &ShardPlan) -> Row {
        let plan = &planned.plan;
        Row {
            shards: plan.shards.len(),
            wall: plan.makespan(),
            bound: plan.lower_bound(),
            work: plan.total(),
            machine: plan.shards.iter().map(|s| s.load).sum(),
            fingerprint: planned.fingerprint.clone(),
            milli_groups_per_shard: plan.milli_groups_per_shard(),
        }
    }

    /// Tests' own time over shards × wall time, in parts per million.
    pub fn efficiency_ppm(&self) -> u64 {
        ratio_ppm(
            u128::from(self.work),
            self.shards as u128 * u128::from(self.wall),
        )
    }
}

/// `numerator / denominator` in parts per million, rounded; 0 over 0 is 0.
pub fn ratio_ppm(numerator: u128, denominator: u128) -> u64 {
    if denominator == 0 {
        return 0;
    }
    ((numerator * 2_000_000 + denominator) / (denominator * 2)) as u64
}

/// The knee: where one more step of shards stops paying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Knee {
    /// The least saving a step must bring.
    pub share: Share,
    /// Index into the rows of the first count whose step to the next count
    /// saves less than `share` of its wall time; `None` if every step
    /// saves at least that (or there is only one row).
    pub at: Option<usize>,
}

/// The answer to `--target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The wall time to meet.
    pub wall: Micros,
    /// The fewest shards that meet it, or why none does.
    pub verdict: Verdict,
}

/// The fewest shards whose wall time is at most the target.
///
/// Counts the table skips (below its first row, or between listed counts)
/// and counts beyond it are searched too: the lower bound, which falls as
/// shards are added, rules out the counts below the first it allows, and
/// from there up to 16 counts are planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A row of the table meets it, and no count below it does.
    InTable {
        /// Index into the rows.
        row: usize,
    },
    /// A count the table does not hold meets it, and none below it does.
    Elsewhere {
        /// Number of shards.
        shards: usize,
        /// Its wall time.
        wall: Micros,
    },
    /// No count can: the largest indivisible item alone, with its setup
    /// and the shard overhead, takes longer.
    Impossible {
        /// That item.
        floor: Floor,
        /// With `--by class|file` and no `--split-large`: the largest
        /// indivisible item `--split-large` would leave.
        split: Option<Floor>,
    },
    /// No count in the table meets it, and none found beyond it: the
    /// lower bound allows it from `from` shards on, but the plans for
    /// `from..=to` stay above it.
    NotFound {
        /// The fewest shards the lower bound allows; `MAX_SHARDS + 1` when
        /// it rules out every count up to [`MAX_SHARDS`].
        from: usize,
        /// The last count planned.
        to: usize,
    },
}

/// The largest item no plan can split: the shortest any shard holding it
/// can take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Floor {
    /// The item's key.
    pub key: String,
    /// What the key names.
    pub granularity: Granularity,
    /// Tests in the item.
    pub tests: usize,
    /// The item's duration.
    pub duration: Micros,
    /// Its group's setup.
    pub setup: Micros,
    /// The shard overhead.
    pub overhead: Micros,
}

impl Floor {
    /// Overhead, setup and duration together.
    pub fn total(&self) -> Micros {
        self.overhead
            .saturating_add(self.setup)
            .saturating_add(self.duration)
    }
}

/// The table for every count, the knee and the target's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whatif {
    /// One row per count, ascending.
    pub rows: Vec<Row>,
    /// The wall time at one shard, which speedups are relative to.
    pub single: Micros,
    /// The knee.
    pub knee: Knee,
    /// With `--target`: its answer.
    pub target: Option<Target>,
    /// When the cost model was learned from shards of one size: their
    /// fewest and most groups ([`crate::learned::CostModel::one_size`]).
    pub one_size: Option<GroupRange>,
}

impl Whatif {
    /// Wall time at one shard over wall time of `row`, in parts per
    /// million.
    pub fn speedup_ppm(&self, row: &Row) -> u64 {
        ratio_ppm(u128::from(self.single), u128::from(row.wall))
    }

    /// Whether `row`'s shards are of another size than those the cost
    /// model was learned from, by the fit's own rule (the most groups at
    /// least twice the fewest): its wall then rests on a guess.
    pub fn guessed(&self, row: &Row) -> bool {
        self.one_size
            .is_some_and(|range| range.is_other_size(row.milli_groups_per_shard))
    }

    /// Whether some answer rests on the cost model's guess: a row of the
    /// table marked as one ([`Whatif::guessed`]), or a target answered
    /// outside the table or not at all, from the same model.
    pub fn rests_on_guess(&self) -> bool {
        self.one_size.is_some()
            && (self.rows.iter().any(|row| self.guessed(row))
                || self
                    .target
                    .as_ref()
                    .is_some_and(|t| !matches!(t.verdict, Verdict::InTable { .. })))
    }

    /// Whether `row` is the target's answer.
    pub fn meets_target(&self, index: usize) -> bool {
        matches!(
            self.target,
            Some(Target {
                verdict: Verdict::InTable { row },
                ..
            }) if row == index
        )
    }
}

/// Plans `inputs` for every count in `counts` (ascending, non-empty) as
/// `shardplan --shards N` would, and finds the knee and the target's
/// answer.
pub fn compute(
    inputs: &Inputs,
    options: &PlanOptions,
    counts: &[usize],
    knee: Share,
    target: Option<Micros>,
    runner: &dyn Runner,
) -> Result<Whatif> {
    let search = Search {
        inputs,
        options,
        runner,
    };
    let rows = counts
        .iter()
        .map(|&n| search.plan(n).map(|p| Row::of(&p)))
        .collect::<Result<Vec<Row>>>()?;
    let single = match rows.first() {
        Some(row) if row.shards == 1 => row.wall,
        _ => search.plan(1)?.plan.makespan(),
    };
    let knee = Knee {
        share: knee,
        at: rows
            .windows(2)
            .position(|w| saves_less(w[0].wall, w[1].wall, knee)),
    };
    let target = match target {
        Some(wall) => Some(Target {
            wall,
            verdict: search.verdict(&rows, wall)?,
        }),
        None => None,
    };
    Ok(Whatif {
        rows,
        single,
        knee,
        target,
        one_size: inputs.cost_model.one_size,
    })
}

/// Whether going from `wall` to `next` saves less than `share` of `wall`.
fn saves_less(wall: Micros, next: Micros, share: Share) -> bool {
    let saving = i128::from(wall) - i128::from(next);
    saving * 1_000_000 < i128::from(share.ppm) * i128::from(wall)
}

/// Plans for the target search, all from the inputs read once.
struct Search<'a> {
    inputs: &'a Inputs,
    options: &'a PlanOptions,
    runner: &'a dyn Runner,
}

impl Search<'_> {
    fn plan(&self, shards: usize) -> Result<ShardPlan> {
        pipeline::plan_for(self.inputs, self.options, shards, self.runner)
    }

    /// The lower bound for `shards` shards, without planning.
    fn bound(&self, shards: usize) -> Micros {
        plan::problem(
            &self.inputs.suite,
            self.options.by,
            shards,
            &self.inputs.costs,
        )
        .lower_bound()
        .value
    }

    fn verdict(&self, rows: &[Row], target: Micros) -> Result<Verdict> {
        if let Some(index) = rows.iter().position(|r| r.wall <= target) {
            // Counts the table skipped below this row may meet it too.
            let low = if index == 0 {
                1
            } else {
                rows[index - 1].shards + 1
            };
            let found = match rows[index].shards.checked_sub(1) {
                Some(high) if low <= high => self.fewest(low, high, target)?,
                _ => None,
            };
            return Ok(match found {
                Some((shards, wall)) => Verdict::Elsewhere { shards, wall },
                None => Verdict::InTable { row: index },
            });
        }
        let floor = self.floor(self.inputs.costs.split_large);
        if floor.total() > target {
            let split = (self.options.by != Granularity::Test
                && !self.inputs.costs.split_large
                && floor.tests > 1)
                .then(|| self.floor(true));
            return Ok(Verdict::Impossible { floor, split });
        }
        let last = rows.last().map_or(0, |r| r.shards);
        let from = (last < MAX_SHARDS)
            .then(|| self.first_allowed(last + 1, MAX_SHARDS, target))
            .flatten();
        let Some(from) = from else {
            return Ok(Verdict::NotFound {
                from: MAX_SHARDS + 1,
                to: last,
            });
        };
        Ok(match self.fewest(from, MAX_SHARDS, target)? {
            Some((shards, wall)) => Verdict::Elsewhere { shards, wall },
            None => Verdict::NotFound {
                from,
                to: (from + SEARCH_PLANS - 1).min(MAX_SHARDS),
            },
        })
    }

    /// The fewest shards in `low..=high` whose plan meets `target`:
    /// planned from the first count the lower bound allows, at most
    /// [`SEARCH_PLANS`] of them.
    fn fewest(&self, low: usize, high: usize, target: Micros) -> Result<Option<(usize, Micros)>> {
        let Some(first) = self.first_allowed(low, high, target) else {
            return Ok(None);
        };
        for shards in first..=high.min(first + SEARCH_PLANS - 1) {
            let wall = self.plan(shards)?.plan.makespan();
            if wall <= target {
                return Ok(Some((shards, wall)));
            }
        }
        Ok(None)
    }

    /// The fewest shards in `low..=high` whose lower bound is at most
    /// `target`, by bisection: the bound does not rise as shards are added.
    fn first_allowed(&self, low: usize, high: usize, target: Micros) -> Option<usize> {
        if self.bound(high) > target {
            return None;
        }
        let (mut low, mut high) = (low, high);
        while low < high {
            let mid = low + (high - low) / 2;
            if self.bound(mid) <= target {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        Some(low)
    }

    /// The largest item no shard count splits (with `split_large`, the
    /// largest left after splitting every class or file that can be), the
    /// first by key on ties.
    fn floor(&self, split_large: bool) -> Floor {
        let costs = Costs {
            split_large,
            ..self.inputs.costs.clone()
        };
        // With the most shards, `--split-large` splits every item it can.
        let problem = plan::problem(&self.inputs.suite, self.options.by, MAX_SHARDS, &costs);
        let cost = |i: usize| {
            problem.items[i]
                .duration
                .saturating_add(problem.setup_of(i))
        };
        let largest = (0..problem.items.len())
            .reduce(|best, i| if cost(i) > cost(best) { i } else { best })
            .expect("the suite to plan is never empty");
        let item = &problem.items[largest];
        Floor {
            key: problem.keys[largest].to_string(),
            granularity: item.granularity,
            tests: problem.tests_in(largest) as usize,
            duration: item.duration,
            setup: problem.setup_of(largest),
            overhead: problem.shard_overhead,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_counts_are_ranges_lists_or_numbers() {
        let counts = |text: &str| text.parse::<ShardCounts>().map(|c| c.0);
        assert_eq!(counts("1..4"), Ok(vec![1, 2, 3, 4]));
        assert_eq!(counts("1..=3"), Ok(vec![1, 2, 3]));
        assert_eq!(counts("8,1,2,4,2"), Ok(vec![1, 2, 4, 8]));
        assert_eq!(counts(" 6 "), Ok(vec![6]));
        assert_eq!(counts("1..3, 8,16"), Ok(vec![1, 2, 3, 8, 16]));
        assert_eq!(counts("5..5"), Ok(vec![5]));
        for bad in [
            "",
            "0",
            "0..4",
            "4..2",
            "1..",
            "..4",
            "a",
            "1,,2",
            "1..100001",
            "1.5",
        ] {
            assert!(counts(bad).is_err(), "{bad:?} parsed");
        }
        assert!(counts("1..1000").unwrap_err().contains("at most 256"));
        assert!(counts("4..2").unwrap_err().contains("2..4"));
    }

    #[test]
    fn shares_are_exact_fractions_or_percentages() {
        let ppm = |text: &str| parse_share(text).map(Share::ppm);
        assert_eq!(ppm("5%"), Ok(50_000));
        assert_eq!(ppm("0.05"), Ok(50_000));
        assert_eq!(ppm("2.5%"), Ok(25_000));
        assert_eq!(ppm("0"), Ok(0));
        assert_eq!(ppm("100%"), Ok(1_000_000));
        assert_eq!(ppm("0.0000005"), Ok(1));
        for bad in ["", "%", "x", "-5%", "101%", "1.5", "1e-2", "5 %%"] {
            assert!(parse_share(bad).is_err(), "{bad:?} parsed");
        }
        assert_eq!(parse_share("5%").unwrap().percent(), "5%");
        assert_eq!(parse_share("0.025").unwrap().percent(), "2.5%");
    }

    #[test]
    fn ratios_round_to_the_nearest_part_per_million() {
        assert_eq!(ratio_ppm(1, 3), 333_333);
        assert_eq!(ratio_ppm(2, 3), 666_667);
        assert_eq!(ratio_ppm(5, 0), 0);
    }

    #[test]
    fn a_step_saving_less_than_the_share_is_a_knee() {
        let five = parse_share("5%").unwrap();
        // 100 -> 96 saves 4%: less than 5%.
        assert!(saves_less(100, 96, five));
        // Exactly 5% is not less.
        assert!(!saves_less(100, 95, five));
        // A step that makes things worse saves nothing.
        assert!(saves_less(100, 101, five));
    }
}
