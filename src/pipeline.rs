//! The planning pipeline for one command line: read the inputs once
//! ([`read_inputs`]: reports, timing table, suite, costs), then plan them for
//! a shard count ([`plan_for`]). `shardplan --shards N` does both
//! ([`plan()`]); `whatif` and `plan --max-shards` read once and plan many
//! counts.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::choice::Choice;
use crate::duration::percent;
use crate::emit::{Granularity, Runner, RunnerKind};
use crate::error::{Error, Result};
use crate::history::{self, CostRecord};
use crate::inputs::{self, ReadOptions};
use crate::learned::{self, ConcurrencyTerm, CostModel, Fitted, Term, TermSource};
use crate::options::{CatchAll, PlanOptions};
use crate::plan::sticky::{self, Previous, Sticky};
use crate::plan::{self, Algorithm, Plan, Planner, ilp};
use crate::timing::{self, Suite, TableStats, TimingTable};
use crate::warnings::Warnings;

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
    /// Groups that pay the learned per-group cost by their wait to start.
    pub weighted_groups: usize,
    /// Groups the reports saw waiting to start (a go package's link),
    /// each paying its wait with its setup.
    pub waited_groups: usize,
    /// With `--previous`: how much the plan moved from it.
    pub churn: Option<Churn>,
    /// The cost terms the plan used and where each came from.
    pub cost_model: CostModel,
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
            weighted_groups: inputs.weighted_groups,
            waited_groups: inputs.waited_groups,
            churn: planned.churn,
            cost_model: inputs.cost_model,
        }
    }
}

/// Reads the inputs and plans `shards` shards: [`read_inputs`], then
/// [`plan_for`].
pub fn plan(
    options: &PlanOptions,
    shards: usize,
    runner: &dyn Runner,
    stdin: &mut dyn Read,
    warnings: &mut Warnings,
) -> Result<Planned> {
    let inputs = read_inputs(options, runner, stdin, warnings)?;
    let planned = plan_for(&inputs, options, shards, runner)?;
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
    /// The cost terms in `costs` and where each came from: given, learned
    /// from the timing history, or the default 0.
    pub cost_model: CostModel,
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
    /// Groups that pay the learned per-group cost by their wait to start.
    pub weighted_groups: usize,
    /// Groups the reports saw waiting to start (a go package's link),
    /// each paying its wait with its setup.
    pub waited_groups: usize,
}

/// Reads everything planning needs (reports, the test list, the previous
/// plan) and checks the options that do not depend on the shard count.
pub fn read_inputs(
    options: &PlanOptions,
    runner: &dyn Runner,
    stdin: &mut dyn Read,
    warnings: &mut Warnings,
) -> Result<Inputs> {
    let default_history = options.timings.is_empty() && Path::new(history::DEFAULT_PATH).is_file();
    let timings = if default_history {
        vec![history::DEFAULT_PATH.to_string()]
    } else {
        options.timings.clone()
    };
    let read = ReadOptions::new(
        options.strict,
        options.format.as_deref(),
        options.root.as_deref(),
    )?;
    let inputs::ReadReports {
        cases,
        groups,
        files_read: reports_read,
        histories,
    } = inputs::read_reports(&timings, &read, warnings)?;
    let (table, table_stats, measured_setups) =
        TimingTable::build_with_setups(cases, &groups, runner);
    // Everything planning needs of the cases is in the table and setups.
    drop(groups);
    if !table_stats.other_runner.is_empty() && table.is_empty() {
        warnings.push(format!(
            "the reports hold {} test cases, none written for --runner {}; is --runner right?",
            table_stats.cases,
            runner.name()
        ));
    }
    if table_stats.not_selectable > 0 && runner.unidentified_needs_fixing() {
        warnings.push(format!(
            "{} test cases in the reports cannot be placed by --runner {} and get no timing: {}",
            table_stats.not_selectable,
            runner.name(),
            runner.unidentified_reason()
        ));
    }
    if let Some(suggestion) = runner_suggestion(options.runner, &table_stats) {
        warnings.push(suggestion);
    }
    let listed = match &options.tests_from {
        Some(source) => Some(inputs::read_listing(source, runner, stdin)?),
        None => None,
    };
    if listed.is_none() && !table.is_empty() && options.catch_all == CatchAll::Off {
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
    // A first run has no reports at all: the plan is by count, as the
    // summary says, and that is no alarm.
    if listed.is_some()
        && reports_read > 0
        && let Some(warning) =
            weak_match_warning(&suite, options.min_match, options.runner.runner().units())
    {
        warnings.push(warning);
    }
    if suite.tests.is_empty() {
        return Err(Error::input(match listed {
            Some(_) => "nothing to plan: the --tests-from list names no tests",
            None if timings.is_empty() => {
                "nothing to plan: pass --timings with past reports and/or --tests-from with the current test list"
            }
            None if reports_read == 0 => {
                "nothing to plan: --timings found no report to read (see the warnings above), \
                 and no --tests-from list was given"
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

    let fitted = learned_costs(histories, runner, warnings);
    let cost_model = CostModel::new(
        Term::choose(options.shard_overhead, fitted.shard_startup),
        Term::choose(options.group_overhead, fitted.group_cost),
        ConcurrencyTerm::choose(options.concurrency, fitted.concurrency),
        runner.starts_per_group(),
    )
    .learned_with(&fitted);
    let (shard_overhead, startup_per_group) = if cost_model.startup_per_group {
        (0, cost_model.shard_startup.micros)
    } else {
        (cost_model.shard_startup.micros, 0)
    };
    // A learned per-group cost is an average: groups the reports saw
    // waiting longer to start pay more of it. A given one is paid as given.
    let group_extra = cost_model
        .group_cost
        .micros
        .saturating_add(startup_per_group);
    let setups = match cost_model.group_cost.source {
        TermSource::Given => measured_setups.with_extra(group_extra),
        _ => measured_setups.with_shared_extra(group_extra),
    };
    let measured_groups = setups.measured_groups();
    let weighted_groups = setups.weighted_groups();
    let waited_groups = setups.waited_groups();
    if options.split_large && options.by == Granularity::Test {
        warnings.push(
            "--split-large splits classes or files; with --by test every test is placed on its own already"
                .to_string(),
        );
    }
    let costs = plan::Costs {
        shard_overhead,
        setups,
        split_large: options.split_large,
        concurrency: cost_model.concurrency.value,
        serial_groups: runner.runs_groups_serially(),
        // With a catch-all, go runs a split package in a `go test` of its
        // own, after the shard's whole ones (plan::Chains::split).
        split_chains: !options.catch_all_on(),
    };
    if options.previous.is_some() && options.algorithm == Algorithm::Ilp {
        return Err(Error::usage(
            "--previous works with --algorithm best or lpt, not ilp",
        ));
    }
    let previous = match &options.previous {
        Some(path) => Some(Previous::read(path, runner.name(), options.by)?),
        None => None,
    };
    if options.ilp_time_limit.is_some() && options.algorithm == Algorithm::Ilp {
        warnings.push(
            "--ilp-time-limit makes the plan depend on this machine's speed: shards planning on their own may disagree. Plan once with --json and hand the plan to the shards."
                .to_string(),
        );
    }
    Ok(Inputs {
        suite,
        costs,
        cost_model,
        previous,
        table_stats,
        reports_read,
        default_history,
        measured_groups,
        weighted_groups,
        waited_groups,
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
    options: &PlanOptions,
    shards: usize,
    runner: &dyn Runner,
) -> Result<ShardPlan> {
    let problem = plan::problem(&inputs.suite, options.by, shards, &inputs.costs);
    let previous = &inputs.previous;
    let budget = ilp::Budget {
        nodes: options.ilp_nodes,
        time_limit: options.ilp_time_limit,
    };
    let planner: Box<dyn Planner + '_> = match previous {
        Some(previous) => Box::new(Sticky {
            previous,
            max_churn: options.max_churn,
            improve: options.algorithm == Algorithm::Best,
        }),
        None => options.algorithm.planner_with(&budget),
    };
    let mut parameters = vec![
        ("shardplan", env!("CARGO_PKG_VERSION").to_string()),
        ("runner", runner.name().to_string()),
        ("by", options.by.name().to_string()),
        ("algorithm", planner.name().to_string()),
        ("split_large", options.split_large.to_string()),
    ];
    if options.algorithm == Algorithm::Ilp {
        parameters.push(("ilp_backend", ilp::BACKEND.to_string()));
        parameters.push(("ilp_nodes", options.ilp_nodes.to_string()));
        if let Some(limit) = options.ilp_time_limit {
            parameters.push(("ilp_time_limit", limit.to_string()));
        }
    }
    // The catch-all changes what a shard runs, not what it is planned:
    // two shards planning alike, one with --tests-from (no catch-all), one
    // without, must not show one fingerprint. Said only when off, so that
    // the default plan's fingerprint stays what it was.
    if !options.catch_all_on() {
        parameters.push(("catch_all", "off".to_string()));
    }
    if let Some(previous) = previous {
        parameters.push(("previous", previous.digest()));
        parameters.push(("max_churn", options.max_churn.to_string()));
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
            cap: sticky::max_moved(&before, options.max_churn),
        }
    });
    Ok(ShardPlan {
        plan,
        fingerprint,
        planner: planner_name,
        churn,
    })
}

/// The learned cost terms for `runner` in the timing histories read
/// (`histories`, in path order, [`crate::learned`]): those of the history
/// with the most runs that learned any for this runner (the first by path
/// on a tie). Reports that are not histories teach nothing here; a
/// history that cannot be read was reported when it was read as timings.
fn learned_costs(
    histories: Vec<(PathBuf, history::Header)>,
    runner: &dyn Runner,
    warnings: &mut Warnings,
) -> Fitted {
    let mut candidates: Vec<(u64, &Path, CostRecord)> = histories
        .iter()
        .filter_map(|(file, header)| {
            let record = history::learned_of(header, runner.name())?;
            Some((header.runs, file.as_path(), record))
        })
        .collect();
    // The most runs first; `resolve` sorted the paths.
    candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
    let Some((_, path, record)) = candidates.first() else {
        return Fitted::default();
    };
    if candidates.len() > 1 {
        warnings.push(format!(
            "{} timing histories learned costs for --runner {}; using those of {}, the one with the most runs",
            candidates.len(),
            runner.name(),
            path.display()
        ));
    }
    learned::fit(record)
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

/// The loud warning when fewer than `min_match` percent of the listed tests
/// (of `units`, the runner's [`crate::naming::Naming::units`]) matched a
/// timing.
fn weak_match_warning(suite: &Suite, min_match: u8, units: &str) -> Option<String> {
    let listed = suite.tests.len();
    let matched = suite.measured();
    if listed == 0 || matched * 100 >= usize::from(min_match) * listed {
        return None;
    }
    Some(format!(
        "ONLY {} OF THE LISTED {} MATCHED A TIMING (below --min-match {min_match}%): the split will be close to a split by count. \
         Check that --runner fits the reports, that paths in them are relative to --root (default: the current directory), \
         and compare the unmatched examples in the summary with the names in the reports.",
        percent(matched, listed),
        units.to_uppercase()
    ))
}

/// With `--runner plain` (the default), a hint when most cases come from
/// reports whose writer has a runner of its own: plain prints ids as
/// recorded, which that runner may not take as a filter.
fn runner_suggestion(runner: RunnerKind, stats: &TableStats) -> Option<String> {
    if runner != RunnerKind::Plain {
        return None;
    }
    let total: usize = stats.by_dialect.values().sum();
    let (&dialect, &count) = stats
        .by_dialect
        .iter()
        .filter(|(d, _)| RunnerKind::of_dialect(**d).is_some())
        .max_by_key(|(d, count)| (**count, std::cmp::Reverse(**d)))?;
    let suggested = RunnerKind::of_dialect(dialect)?;
    (count * 2 > total).then(|| {
        format!(
            "{count} of the {total} test cases come from {} reports: pass --runner {} to print its filter (--runner plain prints test ids as recorded)",
            dialect.name(),
            suggested.name()
        )
    })
}
