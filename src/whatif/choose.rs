//! `plan --max-shards M --target T`: the fewest shards whose plan meets a
//! wall-time target, found with `whatif`'s search.

use super::{Verdict, compute, parse_share};
use crate::duration::{Micros, human};
use crate::emit::Runner;
use crate::error::Result;
use crate::options::PlanOptions;
use crate::pipeline::{self, Inputs, ShardPlan};
use crate::plan;

/// What the choice of a shard count found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chosen {
    /// The target is met; how.
    Met(String),
    /// No count up to the maximum meets it; why, and what was planned.
    Missed(String),
}

/// The plan for the fewest shards up to `max` whose slowest shard takes at
/// most `target`, found by `whatif`'s search; when no count up to `max`
/// meets it, the count that comes closest, with a warning saying why.
/// The note says which.
pub fn choose(
    inputs: &Inputs,
    options: &PlanOptions,
    max: usize,
    target: Micros,
    runner: &dyn Runner,
) -> Result<(ShardPlan, Chosen)> {
    let knee = parse_share("5%").expect("5% is a share");
    let found = compute(inputs, options, &[max], knee, Some(target), runner)?;
    let verdict = found
        .target
        .expect("a target was given, so there is a verdict")
        .verdict;
    let goal = format!("--max-shards {max} --target {}", human(target));
    let (count, note) = match verdict {
        Verdict::InTable { .. } => (max, None),
        Verdict::Elsewhere { shards, .. } if shards <= max => (shards, None),
        Verdict::Elsewhere { shards, wall } => (
            max,
            Some(format!(
                "no shard count up to {max} meets the target; {shards} shards would ({}). Planning {max}.",
                human(wall)
            )),
        ),
        Verdict::Impossible { floor, split } => {
            let mut why = format!(
                "no shard count can meet the target: {} ({} tests) alone takes {}",
                floor.key,
                floor.tests,
                human(floor.total())
            );
            if let Some(split) = split {
                why += &format!(
                    " (with --split-large, the largest item would take {})",
                    human(split.total())
                );
            }
            let count = fewest_at_floor(inputs, options, max);
            (
                count,
                Some(format!(
                    "{why}. Planning {count}, the fewest shards with the lowest bound."
                )),
            )
        }
        Verdict::NotFound { from, to } => (
            max,
            Some(format!(
                "the lower bound allows the target from {from} shards, but the plans for {from} to {to} stay above it. Planning {max}."
            )),
        ),
    };
    let planned = pipeline::plan_for(inputs, options, count, runner)?;
    let note = match note {
        None => Chosen::Met(format!(
            "{goal}: {count} shards are the fewest whose slowest shard ({}) meets the target",
            human(planned.plan.makespan())
        )),
        Some(why) => Chosen::Missed(format!("{goal}: {why}")),
    };
    Ok((planned, note))
}

/// The fewest shards, up to `max`, whose lower bound is as low as at
/// `max`: more shards cannot finish sooner. The bound does not rise as
/// shards are added, so this bisects.
fn fewest_at_floor(inputs: &Inputs, options: &PlanOptions, max: usize) -> usize {
    let bound = |n: usize| {
        plan::problem(&inputs.suite, options.by, n, &inputs.costs)
            .lower_bound()
            .value
    };
    let lowest = bound(max);
    let (mut low, mut high) = (1, max);
    while low < high {
        let mid = low + (high - low) / 2;
        if bound(mid) <= lowest {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    low
}
