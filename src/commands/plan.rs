//! `shardplan plan`: plan every shard once and write the frozen plan (the
//! `--json` document, [`crate::frozen`]) for `select` to print each shard
//! of. With `--max-shards M --target DURATION` the plan chooses the number
//! of shards: the fewest, up to M, whose slowest shard meets the target.

use std::fs;
use std::path::PathBuf;

use crate::app::{self, ShardSelection, Streams};
use crate::ci_env;
use crate::cli::{PlanArgs, ReadArgs, SuiteArgs};
use crate::duration::{Micros, human};
use crate::emit::Runner;
use crate::error::{Error, Result};
use crate::frozen::Document;
use crate::pipeline::{self, Inputs, Planned, ShardPlan};
use crate::plan;
use crate::shard;
use crate::step_summary::{self, SummaryArgs};
use crate::summary::{self, Warnings};
use crate::whatif::{self, Verdict};

/// Options of `shardplan plan`.
///
/// Plans once, with the planning options of `shardplan --shards N`, and
/// writes every shard's share: hand the file to each CI job's `shardplan
/// select`, so that every job, and every rerun of a job, runs the same plan.
#[derive(Debug, Clone, clap::Args)]
pub struct FreezeArgs {
    /// Number of shards [default: the CI's job count, e.g. CI_NODE_TOTAL].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000), conflicts_with = "max_shards")]
    pub shards: Option<u32>,

    /// Let the plan choose the number of shards: the fewest, up to M,
    /// whose slowest shard (overhead and setups included) takes at most
    /// --target. When none does, says so and plans the count that comes
    /// closest.
    #[arg(long, value_name = "M", value_parser = clap::value_parser!(u32).range(1..=100_000), requires = "target")]
    pub max_shards: Option<u32>,

    /// With --max-shards: the wall time to meet, e.g. 10m.
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse_duration, requires = "max_shards")]
    pub target: Option<Micros>,

    /// Write the plan to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// A plan written before: items keep their shard, as when planning.
    #[arg(long, value_name = "PLAN.json")]
    pub previous: Option<PathBuf>,

    /// With --previous: at most this fraction (0 to 1) of the previously
    /// planned items may change shard.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.1, value_parser = crate::cli::parse_fraction, requires = "previous")]
    pub max_churn: f64,

    /// The last shard with planned items also runs every test the plan
    /// does not know (the default without --tests-from).
    #[arg(long, overrides_with = "no_catch_all")]
    pub catch_all: bool,

    /// No catch-all: run exactly the planned tests (the default with
    /// --tests-from).
    #[arg(long, overrides_with = "catch_all")]
    pub no_catch_all: bool,

    /// How reports are read.
    #[command(flatten)]
    pub read: ReadArgs,

    /// `--summary markdown`: a table of the shards for the job summary.
    #[command(flatten)]
    pub summary: SummaryArgs,

    /// The suite, its costs and the planner.
    #[command(flatten)]
    pub suite: SuiteArgs,
}

impl FreezeArgs {
    /// The planning options these stand for.
    pub fn plan_args(&self) -> PlanArgs {
        let mut args = self.suite.plan_args(self.read.clone());
        args.shards = self.shards;
        args.previous = self.previous.clone();
        args.max_churn = self.max_churn;
        args.catch_all = self.catch_all;
        args.no_catch_all = self.no_catch_all;
        args.summary = self.summary.clone();
        args.json = true;
        args
    }
}

/// How a line of the summary that is a warning starts.
const WARNING: &str = "shardplan: warning: ";

/// How the number of shards was decided, for the summary.
enum Count {
    /// `--shards N`.
    Given(usize),
    /// The CI's job count.
    Ci(ci_env::Detected),
    /// `--max-shards M --target T`.
    Chosen { max: usize, target: Micros },
}

/// Runs `shardplan plan`.
pub fn run(args: &FreezeArgs, streams: &mut Streams<'_>) -> Result<()> {
    let plan_args = args.plan_args();
    let count = match (args.shards, args.max_shards, args.target) {
        (Some(n), _, _) => Count::Given(n as usize),
        (None, Some(max), Some(target)) => Count::Chosen {
            max: max as usize,
            target,
        },
        _ => match ci_env::detect_from_env()? {
            Some(found) => Count::Ci(found),
            None => {
                return Err(Error::usage(format!(
                    "how many shards? pass --shards N, or --max-shards M --target DURATION to let the plan choose, or run where a CI sets one of {}",
                    ci_env::variable_names()
                )));
            }
        },
    };
    let runner = plan_args.suite.runner.runner();
    let mut warnings = Warnings::default();
    let inputs = pipeline::read_inputs(&plan_args, runner.as_ref(), streams.stdin, &mut warnings);
    warnings.flush(streams.stderr);
    let inputs = inputs?;
    let (shard_plan, note) = match &count {
        Count::Given(n) => (
            pipeline::plan_for(&inputs, &plan_args, *n, runner.as_ref())?,
            None,
        ),
        Count::Ci(found) => (
            pipeline::plan_for(&inputs, &plan_args, found.count, runner.as_ref())?,
            Some(format!(
                "shardplan: {} shards from {}",
                found.count,
                found.describe()
            )),
        ),
        Count::Chosen { max, target } => {
            let (plan, note) = choose(&inputs, &plan_args, *max, *target, runner.as_ref())?;
            (plan, Some(note))
        }
    };
    let planned = Planned::new(inputs, shard_plan);
    let doc = Document::from_planned(&planned, &plan_args, shard::catch_all(&planned, &plan_args));
    let json = doc.to_json();
    match &args.output {
        Some(path) => fs::write(path, &json)
            .map_err(|e| Error::in_file(path, format!("cannot write the plan: {e}")))?,
        None => app::write_stdout(streams.stdout, &json)?,
    }
    if !plan_args.suite.quiet {
        let selection = ShardSelection {
            count: doc.shards.len(),
            index: None,
            origin: None,
        };
        summary::summary(&planned, &plan_args, selection, streams.stderr);
        if let Some(note) = note.as_ref().filter(|n| !n.starts_with(WARNING)) {
            let _ = writeln!(streams.stderr, "{note}");
        }
        if let Some(path) = &args.output {
            let _ = writeln!(
                streams.stderr,
                "shardplan: wrote plan {} to {}: each job runs `shardplan select --plan {} --index I`",
                doc.fingerprint,
                path.display(),
                path.display()
            );
        }
    }
    // Warnings are printed even with --quiet.
    if let Some(warning) = note.as_ref().filter(|n| n.starts_with(WARNING)) {
        let _ = writeln!(streams.stderr, "{warning}");
    }
    step_summary::write_from_env(
        &args.summary,
        || step_summary::plan_table(&doc, None).to_markdown(),
        streams.stderr,
    )
}

/// The plan for the fewest shards up to `max` whose slowest shard takes at
/// most `target`, found by `whatif`'s search; when no count up to `max`
/// meets it, the count that comes closest, with a warning saying why.
fn choose(
    inputs: &Inputs,
    args: &PlanArgs,
    max: usize,
    target: Micros,
    runner: &dyn Runner,
) -> Result<(ShardPlan, String)> {
    let knee = whatif::parse_share("5%").expect("5% is a share");
    let found = whatif::compute(inputs, args, &[max], knee, Some(target), runner)?;
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
            let count = fewest_at_floor(inputs, args, max);
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
    let planned = pipeline::plan_for(inputs, args, count, runner)?;
    let note = match note {
        None => format!(
            "shardplan: {goal}: {count} shards are the fewest whose slowest shard ({}) meets the target",
            human(planned.plan.makespan())
        ),
        Some(why) => format!("{WARNING}{goal}: {why}"),
    };
    Ok((planned, note))
}

/// The fewest shards, up to `max`, whose lower bound is as low as at
/// `max`: more shards cannot finish sooner. The bound does not rise as
/// shards are added, so this bisects.
fn fewest_at_floor(inputs: &Inputs, args: &PlanArgs, max: usize) -> usize {
    let bound = |n: usize| {
        plan::problem(&inputs.suite, args.suite.by, n, &inputs.costs)
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
