//! The summary of what was read, matched and planned, as text for a human
//! (the command line prints it on stderr). The markdown table for CI step
//! summaries is [`crate::step_summary`].

use crate::duration::{human, percent};
use crate::history;
use crate::learned::{CostModel, Term, TermSource};
use crate::options::{PlanOptions, ShardSelection};
use crate::pipeline::Planned;
use crate::timing::{Suite, TableStats};

/// `shardplan: cost model: shard start-up …, per group …` with each term's
/// source, when a term was learned or given; empty when both are the
/// default 0.
pub fn cost_model_line(model: &CostModel) -> String {
    let chosen = |term: Term| term.source != TermSource::Default;
    if chosen(model.shard_startup) || chosen(model.group_cost) || !model.concurrency.is_default() {
        format!("shardplan: cost model: {}\n", model.describe())
    } else {
        String::new()
    }
}

/// Unmatched listed tests the match report names.
const MATCH_EXAMPLES: usize = 5;

/// The summary: what was read and matched, the bound, and every shard's
/// prediction (only the selected shard's beyond 16). With `one_shard`, the
/// selected shard is the one being printed and is marked so.
pub fn summary(
    planned: &Planned,
    options: &PlanOptions,
    selection: ShardSelection,
    one_shard: bool,
) -> String {
    let plan = &planned.plan;
    let runner = options.runner.runner();
    let mut out = reading_summary(
        &planned.suite,
        &planned.table_stats,
        planned.reports_read,
        planned.default_history,
        options,
    );
    let bound = plan.lower_bound();
    out += &format!(
        "shardplan: {} shards by {}; lower bound {} ({}); slowest shard {} = {:.3} x bound; fingerprint {}\n",
        plan.shards.len(),
        planned.planner,
        human(bound.value),
        bound.reason.describe(),
        human(plan.makespan()),
        plan.ratio_to(bound),
        planned.fingerprint
    );
    let model = planned.cost_model;
    out += &cost_model_line(&model);
    if let Some(range) = model.one_size {
        let milli = plan.milli_groups_per_shard();
        if range.is_other_size(milli) {
            out += &format!(
                "shardplan: these predictions are a guess: the shards hold {} groups each on average, the cost model was learned from shards of {} (see `shardplan whatif`)\n",
                crate::learned::milli_groups_text(milli),
                range.describe("-")
            );
        }
    }
    let overhead = plan.problem.shard_overhead;
    if overhead > 0 || plan.setup_paid() > 0 {
        let mut costs = Vec::new();
        if overhead > 0 {
            costs.push(format!(
                "{} per shard ({})",
                human(overhead),
                match model.shard_startup.source {
                    TermSource::Given => "--shard-overhead".to_string(),
                    source => source.describe(),
                }
            ));
        }
        if plan.setup_paid() > 0 {
            let mut sources = Vec::new();
            if planned.measured_groups > 0 {
                sources.push(format!(
                    "{} group{} measured in the reports",
                    planned.measured_groups,
                    if planned.measured_groups == 1 {
                        ""
                    } else {
                        "s"
                    }
                ));
            }
            if planned.waited_groups > 0 {
                sources.push(format!(
                    "{} with how long {} waited to start",
                    planned.waited_groups,
                    if planned.waited_groups == 1 {
                        "it"
                    } else {
                        "they"
                    }
                ));
            }
            if model.startup_per_group && model.shard_startup.micros > 0 {
                sources.push(format!(
                    "{} start-up per group {}, one command each",
                    human(model.shard_startup.micros),
                    model.shard_startup.source.describe()
                ));
            }
            if model.group_cost.micros > 0 {
                sources.push(format!(
                    "{} per group {}{}",
                    human(model.group_cost.micros),
                    match model.group_cost.source {
                        TermSource::Given => "from --group-overhead".to_string(),
                        source => source.describe(),
                    },
                    shared_by(planned.weighted_groups)
                ));
            }
            costs.push(format!(
                "group setup {} over all shards ({})",
                human(plan.setup_paid()),
                sources.join(", ")
            ));
        }
        out += &format!("shardplan: predictions include {}\n", costs.join("; "));
    }
    if let Some(churn) = planned.churn {
        out += &format!(
            "shardplan: from the previous plan: {} of {} items moved (at most {} by --max-churn {})\n",
            churn.moved, churn.kept, churn.cap, options.max_churn
        );
    }
    if let (Some(index), Some(origin)) = (selection.index, selection.origin) {
        out += &format!(
            "shardplan: shard {index} of {} from {}\n",
            selection.count,
            origin.describe()
        );
    }
    let shown: Vec<usize> = if plan.shards.len() <= 16 {
        (0..plan.shards.len()).collect()
    } else {
        selection.index.into_iter().collect()
    };
    for index in shown {
        let shard = &plan.shards[index];
        let tests: usize = shard
            .items
            .iter()
            .map(|&i| plan.problem.tests_in(i) as usize)
            .sum();
        let marker = if Some(index) == selection.index && one_shard {
            "  <- this shard"
        } else {
            ""
        };
        let setup = if shard.setup > 0 {
            format!(" (setup {})", human(shard.setup))
        } else {
            String::new()
        };
        // A chain is a group's tests one after another in one worker
        // (plan::Chains): the shard cannot finish before it does.
        let by_group = plan.problem.chains.is_some_and(|c| c.by_group);
        let chain = shard.chain.map_or(String::new(), |group| {
            let key = &plan.problem.groups[group].key;
            if by_group {
                format!(", set by {key}'s tests one after another")
            } else {
                format!(", set by its longest test (of {key})")
            }
        });
        out += &format!(
            "  shard {index:>3}  {:>8}  {tests:>6} {}{setup}{chain}{marker}\n",
            human(shard.load),
            runner.units_of(tests)
        );
    }
    if let Some(index) = selection.index
        && plan.shards[index].items.is_empty()
        && one_shard
    {
        out += &format!(
            "shardplan: shard {index} has nothing to run: {} items for {} shards\n",
            plan.items().len(),
            plan.shards.len()
        );
    }
    out
}

/// The summary's first lines: what was read and planned, the match report,
/// and the cases left out.
pub fn reading_summary(
    suite: &Suite,
    stats: &TableStats,
    reports_read: usize,
    default_history: bool,
    options: &PlanOptions,
) -> String {
    let mut out = String::new();
    let runner = options.runner.runner();
    let units = runner.units();
    let estimated = suite.tests.len() - suite.measured();
    out += &format!(
        "shardplan: {} {} planned ({} with timings, {} estimated) from {} report file{}; by {}, runner {}\n",
        suite.tests.len(),
        runner.units_of(suite.tests.len()),
        suite.measured(),
        estimated,
        reports_read,
        if reports_read == 1 { "" } else { "s" },
        options.by.name(),
        runner.name(),
    );
    if default_history {
        out += &format!(
            "shardplan: timings from {} (the default without --timings)\n",
            history::DEFAULT_PATH
        );
    }
    if reports_read == 0 && suite.measured() == 0 {
        out += "shardplan: no timing reports yet (a first run?): the tests are split by count. \
                After the run, fold its reports into the timing history with `shardplan merge`, \
                and the next plan uses their times.\n";
    } else if options.tests_from.is_some() {
        out += &format!("shardplan: {}\n", match_report(suite, units));
    } else if suite.stale > 0 {
        out += &format!(
            "shardplan: {} {units} in the timings are no longer listed and were left out\n",
            suite.stale
        );
    }
    let other: usize = stats.other_runner.values().sum();
    if other > 0 {
        out += &format!(
            "shardplan: ignored {other} test cases from reports written by other runners\n"
        );
    }
    if stats.not_selectable > 0 {
        out += &format!(
            "shardplan: ignored {} cases the runner cannot select on their own ({})\n",
            stats.not_selectable,
            runner.unidentified_reason()
        );
    }
    out += &crate::emit::unselectable_note(stats.nameless, stats.control_characters);
    out
}

/// The match report: how many listed tests (of `units`, the runner's
/// [`crate::naming::Naming::units`]) found a timing, examples of those
/// that did not, and how many timings the listing no longer names.
fn match_report(suite: &Suite, units: &str) -> String {
    let listed = suite.tests.len();
    let matched = suite.measured();
    let examples: Vec<&str> = suite
        .estimate_basis
        .keys()
        .take(MATCH_EXAMPLES)
        .map(|&index| suite.native(index).as_str())
        .collect();
    let mut out = format!(
        "matched {matched} of {listed} listed {units} to timings ({})",
        percent(matched, listed)
    );
    if suite.matched_by_key > 0 || suite.ambiguous > 0 {
        out += &format!(
            " ({} by an alternative name, {} ambiguous)",
            suite.matched_by_key, suite.ambiguous
        );
    }
    if !examples.is_empty() {
        let more = if listed - matched > examples.len() {
            ", …"
        } else {
            ""
        };
        out += &format!("; unmatched examples: {}{more}", examples.join(", "));
    }
    out + &format!("; timings for {} {units} no longer listed", suite.stale)
}

/// How a learned per-group cost is shared out, when it is: `, shared by
/// how long 66 groups waited to start`.
pub fn shared_by(weighted_groups: usize) -> String {
    match weighted_groups {
        0 => String::new(),
        1 => ", shared by how long 1 group waited to start".to_string(),
        n => format!(", shared by how long {n} groups waited to start"),
    }
}
