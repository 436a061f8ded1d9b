//! The planning pipeline for one command line: read the inputs once
//! ([`read_inputs`]: reports, timing table, suite, costs), then plan them for
//! a shard count ([`plan_for`]). `shardplan --shards N` does both
//! ([`plan()`]); `whatif` and `plan --max-shards` read once and plan many
//! counts.

use std::io::Read;
use std::path::Path;

use serde::Serialize;

use crate::cli::PlanArgs;
use crate::emit::{Granularity, Runner};
use crate::error::{Error, Result};
use crate::history;
use crate::inputs::{self, ReadOptions};
use crate::plan::sticky::{self, Previous, Sticky};
use crate::plan::{self, Algorithm, Plan, Planner, ilp};
use crate::summary::{self, Warnings};
use crate::timing::{self, GroupSetups, Suite, TableStats, TimingTable};

/// Everything planning produced, before it is printed.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The plan.
    pub plan: Plan,
    /// The suite that was planned.
    pub suite: Suite,
    /// What happened to the report cases.
    pub table_stats: TableStats,
    /// Report files read successfully.
    pub reports_read: usize,
    /// Hash of the plan's inputs.
    pub fingerprint: String,
    /// Whether the timings came from the default history file because no
    /// `--timings` was given.
    pub default_history: bool,
    /// The planner that made the plan, as the summary names it.
    pub planner: &'static str,
    /// Groups whose setup cost the reports measured.
    pub measured_groups: usize,
    /// With `--previous`: how much the plan moved from it.
    pub churn: Option<Churn>,
}

impl Planned {
    /// What was read and one plan of it, together.
    pub fn new(inputs: Inputs, planned: ShardPlan) -> Planned {
        Planned {
            plan: planned.plan,
            suite: inputs.suite,
            table_stats: inputs.table_stats,
            reports_read: inputs.reports_read,
            fingerprint: planned.fingerprint,
            default_history: inputs.default_history,
            planner: planned.planner,
            measured_groups: inputs.measured_groups,
            churn: planned.churn,
        }
    }
}

/// Reads the inputs and plans `shards` shards: [`read_inputs`], then
/// [`plan_for`].
pub fn plan(
    args: &PlanArgs,
    shards: usize,
    runner: &dyn Runner,
    stdin: &mut dyn Read,
    warnings: &mut Warnings,
) -> Result<Planned> {
    let inputs = read_inputs(args, runner, stdin, warnings)?;
    let planned = plan_for(&inputs, args, shards, runner)?;
    Ok(Planned::new(inputs, planned))
}

/// What planning reads, read once: the suite, its costs, the previous plan,
/// and what reading found. [`plan_for`] plans it for any shard count, as
/// `shardplan --shards N` would.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The suite to plan.
    pub suite: Suite,
    /// Shard overhead, group setups and `--split-large`: the same for every
    /// shard count.
    pub costs: plan::Costs,
    /// With `--previous`: the plan to start from.
    pub previous: Option<Previous>,
    /// What happened to the report cases.
    pub table_stats: TableStats,
    /// Report files read successfully.
    pub reports_read: usize,
    /// Whether the timings came from the default history file because no
    /// `--timings` was given.
    pub default_history: bool,
    /// Groups whose setup cost the reports measured.
    pub measured_groups: usize,
}

/// Reads everything planning needs (reports, the test list, the previous
/// plan) and checks the options that do not depend on the shard count.
pub fn read_inputs(
    args: &PlanArgs,
    runner: &dyn Runner,
    stdin: &mut dyn Read,
    warnings: &mut Warnings,
) -> Result<Inputs> {
    let default_history =
        args.suite.timings.is_empty() && Path::new(history::DEFAULT_PATH).is_file();
    let timings = if default_history {
        vec![history::DEFAULT_PATH.to_string()]
    } else {
        args.suite.timings.clone()
    };
    let options = ReadOptions::new(
        args.suite.strict,
        args.read.format.as_deref(),
        args.read.root.as_deref(),
    )?;
    let (cases, groups, reports_read) = inputs::read_reports(&timings, &options, warnings)?;
    let (table, table_stats) = TimingTable::build(&cases, runner);
    if !table_stats.other_runner.is_empty() && table.is_empty() {
        warnings.push(format!(
            "the reports hold {} test cases, none written for --runner {}; is --runner right?",
            table_stats.cases,
            runner.name()
        ));
    }
    let listed = match &args.suite.tests_from {
        Some(source) => Some(inputs::read_listing(source, runner, stdin)?),
        None => None,
    };
    if listed.is_none() && !table.is_empty() && args.no_catch_all {
        warnings.push(format!(
            "no --tests-from and --no-catch-all: planning the {} tests found in the timings; a test added since they were recorded is on no shard. Pass the runner's current test list with --tests-from.",
            table.len()
        ));
    }
    if table.is_empty() {
        let (nameless, control) = (table_stats.nameless, table_stats.control_characters);
        crate::emit::unselectable_messages(nameless, control)
            .into_iter()
            .for_each(|(_, m)| warnings.push(m));
    }
    let suite = timing::suite(table, listed.as_deref(), runner);
    if listed.is_some()
        && let Some(warning) = summary::weak_match_warning(&suite, args.suite.min_match)
    {
        warnings.push(warning);
    }
    if suite.tests.is_empty() {
        return Err(Error::input(match listed {
            Some(_) => "nothing to plan: the --tests-from list names no tests",
            None if timings.is_empty() => {
                "nothing to plan: pass --timings with past reports and/or --tests-from with the current test list"
            }
            None => "nothing to plan: the timing reports hold no tests for this runner",
        }));
    }
    if suite.duplicate_listings > 0 {
        warnings.push(format!(
            "--tests-from lists {} tests more than once; each is planned once",
            suite.duplicate_listings
        ));
    }

    let setups =
        GroupSetups::measure(&cases, &groups, runner).with_extra(args.suite.group_overhead);
    let measured_groups = setups.measured_groups();
    if args.suite.split_large && args.suite.by == Granularity::Test {
        warnings.push(
            "--split-large splits classes or files; with --by test every test is placed on its own already"
                .to_string(),
        );
    }
    let costs = plan::Costs {
        shard_overhead: args.suite.shard_overhead,
        setups,
        split_large: args.suite.split_large,
    };
    if args.previous.is_some() && args.suite.algorithm == Algorithm::Ilp {
        return Err(Error::usage(
            "--previous works with --algorithm best or lpt, not ilp",
        ));
    }
    let previous = match &args.previous {
        Some(path) => Some(Previous::read(path, runner.name(), args.suite.by)?),
        None => None,
    };
    if args.suite.ilp_time_limit.is_some() && args.suite.algorithm == Algorithm::Ilp {
        warnings.push(
            "--ilp-time-limit makes the plan depend on this machine's speed: shards planning on their own may disagree. Plan once with --json and hand the plan to the shards."
                .to_string(),
        );
    }
    Ok(Inputs {
        suite,
        costs,
        previous,
        table_stats,
        reports_read,
        default_history,
        measured_groups,
    })
}

/// The plan for one shard count and what identifies it.
#[derive(Debug, Clone)]
pub struct ShardPlan {
    /// The plan.
    pub plan: Plan,
    /// Hash of the plan's inputs, as `--json` and the summary print it.
    pub fingerprint: String,
    /// The planner that made the plan, as the summary names it.
    pub planner: &'static str,
    /// With `--previous`: how much the plan moved from it.
    pub churn: Option<Churn>,
}

/// Plans `inputs` for `shards` shards with the planner, options and cost
/// model of `args`: the plan `shardplan --shards N` prints, fingerprint
/// included.
pub fn plan_for(
    inputs: &Inputs,
    args: &PlanArgs,
    shards: usize,
    runner: &dyn Runner,
) -> Result<ShardPlan> {
    let problem = plan::problem(&inputs.suite, args.suite.by, shards, &inputs.costs);
    let previous = &inputs.previous;
    let budget = ilp::Budget {
        nodes: args.suite.ilp_nodes,
        time_limit: args.suite.ilp_time_limit,
    };
    let planner: Box<dyn Planner + '_> = match previous {
        Some(previous) => Box::new(Sticky {
            previous,
            max_churn: args.max_churn,
            improve: args.suite.algorithm == Algorithm::Best,
        }),
        None => args.suite.algorithm.planner_with(&budget),
    };
    let mut parameters = vec![
        ("shardplan", env!("CARGO_PKG_VERSION").to_string()),
        ("runner", runner.name().to_string()),
        ("by", args.suite.by.name().to_string()),
        ("algorithm", planner.name().to_string()),
        ("split_large", args.suite.split_large.to_string()),
    ];
    if args.suite.algorithm == Algorithm::Ilp {
        parameters.push(("ilp_backend", ilp::BACKEND.to_string()));
        parameters.push(("ilp_nodes", args.suite.ilp_nodes.to_string()));
        if let Some(limit) = args.suite.ilp_time_limit {
            parameters.push(("ilp_time_limit", limit.to_string()));
        }
    }
    if let Some(previous) = previous {
        parameters.push(("previous", previous.digest()));
        parameters.push(("max_churn", args.max_churn.to_string()));
    }
    let parameters: Vec<(&str, &str)> = parameters.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let fingerprint = plan::fingerprint(&parameters, &problem);
    let planner_name = planner.name();
    let plan = Plan::build(problem, planner.as_ref())?;
    let churn = previous.as_ref().map(|previous| {
        let before = previous.shards_of(&plan.problem);
        let after = plan.assignment();
        Churn {
            kept: before.iter().filter(|p| p.is_some()).count(),
            moved: before
                .iter()
                .zip(&after)
                .filter(|(b, a)| b.is_some_and(|b| b != **a))
                .count(),
            cap: sticky::max_moved(&before, args.max_churn),
        }
    });
    Ok(ShardPlan {
        plan,
        fingerprint,
        planner: planner_name,
        churn,
    })
}

/// How a plan made with `--previous` differs from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Churn {
    /// Items the previous plan placed that are still planned.
    pub kept: usize,
    /// Of those, items now on another shard.
    pub moved: usize,
    /// How many `--max-churn` allowed to move.
    pub cap: usize,
}
