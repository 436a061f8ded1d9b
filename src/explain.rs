//! Why a plan is what it is: what `shardplan explain` and `--explain` print.
//!
//! For the plan `shardplan --shards N` makes: each shard's predicted load
//! as a bar (tests, group setup, shard overhead), the heaviest items and
//! the shard each went to, the tests without a timing and the estimate each
//! got (the median of its class, file or the whole suite), and the group
//! setups with the shards that pay them. The cost model's terms (shard
//! start-up, per-group cost) are named with their source: learned from the
//! timing history, given, or the default 0.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::bars;
use crate::duration::{Micros, human};
use crate::naming::Naming;
use crate::pipeline::Planned;
use crate::shard;

/// Heaviest items listed.
const HEAVIEST: usize = 10;

/// Estimated tests listed (the heaviest estimates first).
const ESTIMATED: usize = 20;

/// Groups with a setup listed (the most paid first).
const GROUPS: usize = 10;

/// Width of the load bars, in cells.
const BAR_WIDTH: usize = 40;

/// The explanation of `planned`; `this` is the shard
/// to mark.
pub fn render(planned: &Planned, this: Option<usize>, runner: &dyn Naming) -> String {
    let mut out = String::new();
    loads(&mut out, planned, this, runner);
    heaviest(&mut out, planned);
    estimated(&mut out, planned);
    setups(&mut out, planned);
    out
}

/// The plan's headline and a bar per shard, counting `runner`'s units.
fn loads(out: &mut String, planned: &Planned, this: Option<usize>, runner: &dyn Naming) {
    let plan = &planned.plan;
    let bound = plan.lower_bound();
    let _ = writeln!(
        out,
        "plan: {} shards by {}; slowest shard {}, lower bound {} ({}); fingerprint {}",
        plan.shards.len(),
        planned.planner,
        human(plan.makespan()),
        human(bound.value),
        bound.reason.describe(),
        planned.fingerprint
    );
    let _ = writeln!(out, "cost model: {}", planned.cost_model.describe());
    let overhead = plan.problem.shard_overhead;
    let mut legend = vec!["█ tests"];
    if plan.setup_paid() > 0 {
        legend.push("▒ group setup");
    }
    if overhead > 0 {
        legend.push("░ shard overhead");
    }
    let _ = writeln!(out, "\nshard loads ({})", legend.join(", "));
    let max = plan.makespan();
    let width = plan.shards.len().saturating_sub(1).to_string().len();
    for (index, shard) in plan.shards.iter().enumerate() {
        let tests_time = shard.load - overhead.min(shard.load) - shard.setup.min(shard.load);
        let bar = bars::stacked(
            &[(overhead, '░'), (shard.setup, '▒'), (tests_time, '█')],
            max,
            BAR_WIDTH,
        );
        let tests: usize = shard
            .items
            .iter()
            .map(|&i| plan.problem.tests_in(i) as usize)
            .sum();
        let marker = if this == Some(index) {
            "  <- this shard"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  shard {index:>width$}  {bar}  {:>7}  {tests:>5} {}{marker}",
            human(shard.load),
            runner.units_of(tests)
        );
    }
}

/// The heaviest items, where each went and whether it was measured.
fn heaviest(out: &mut String, planned: &Planned) {
    let plan = &planned.plan;
    let (items, keys) = (plan.items(), &plan.problem.keys);
    let assignment = plan.assignment();
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| {
        let (da, db) = (items[a].duration, items[b].duration);
        db.cmp(&da).then_with(|| keys[a].cmp(&keys[b]))
    });
    let _ = writeln!(
        out,
        "\nheaviest items ({} of {})",
        order.len().min(HEAVIEST),
        items.len()
    );
    let width = plan.shards.len().saturating_sub(1).to_string().len();
    for &index in order.iter().take(HEAVIEST) {
        let item = &items[index];
        let tests = plan.problem.tests_in(index);
        let timing = match plan.problem.estimated_in(index) {
            0 => "measured".to_string(),
            n if n == tests => "estimated".to_string(),
            n => format!("{n} of {tests} estimated"),
        };
        let size = if tests > 1 {
            format!(" ({tests} tests)")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {:>7}  shard {:>width$}  {timing:<9}  {}{size}",
            human(item.duration),
            assignment[index],
            keys[index]
        );
    }
}

/// The tests without a timing: the estimate each got, from what, and its
/// shard.
fn estimated(out: &mut String, planned: &Planned) {
    let suite = &planned.suite;
    let mut rows: Vec<(Micros, &str, usize, &'static str)> = Vec::new();
    for (shard, members) in shard::members(planned).iter().enumerate() {
        for member in members {
            let Ok(index) = suite
                .natives
                .binary_search_by(|native| native.as_str().cmp(member.test.native))
            else {
                continue;
            };
            if let Some(basis) = suite.estimate_basis.get(&index) {
                let duration = suite.tests[index].duration;
                rows.push((duration, suite.native(index), shard, basis.describe()));
            }
        }
    }
    if rows.is_empty() {
        let _ = writeln!(out, "\nestimated tests: none, every test has a timing");
        return;
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let total: Micros = rows.iter().map(|r| r.0).sum();
    let _ = writeln!(
        out,
        "\nestimated tests: {} without a timing, {} in all; each gets the median of the measured tests of its class, else its file, else the suite",
        rows.len(),
        human(total)
    );
    let width = planned
        .plan
        .shards
        .len()
        .saturating_sub(1)
        .to_string()
        .len();
    for (duration, id, shard, basis) in rows.iter().take(ESTIMATED) {
        let _ = writeln!(
            out,
            "  {:>7}  shard {shard:>width$}  {basis:<12}  {id}",
            human(*duration)
        );
    }
    if rows.len() > ESTIMATED {
        let _ = writeln!(out, "  ... and {} more", rows.len() - ESTIMATED);
    }
}

/// The group setups the plan pays, the most paid first, with their shards.
fn setups(out: &mut String, planned: &Planned) {
    let group_cost = planned.cost_model.group_cost;
    let plan = &planned.plan;
    if plan.setup_paid() == 0 {
        return;
    }
    // Group index -> the shards running any of its items, ascending.
    let mut shards_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (shard, content) in plan.shards.iter().enumerate() {
        for &item in &content.items {
            let runs = shards_of
                .entry(plan.items()[item].group_index())
                .or_default();
            if runs.last() != Some(&shard) {
                runs.push(shard);
            }
        }
    }
    let groups = &plan.problem.groups;
    let mut paid: Vec<(Micros, usize, &Vec<usize>)> = shards_of
        .iter()
        .filter(|(g, _)| groups[**g].setup > 0)
        .map(|(&g, shards)| (groups[g].setup * shards.len() as Micros, g, shards))
        .collect();
    paid.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| groups[a.1].key.cmp(&groups[b.1].key))
    });
    let mut sources = vec![match planned.measured_groups {
        0 => "none measured in the reports".to_string(),
        measured => {
            format!("{measured} measured in the reports; a group never measured gets their median")
        }
    }];
    if planned.waited_groups > 0 {
        sources.push(format!(
            "plus how long {} waited to start (a go package's link; a group never seen waiting pays their median)",
            match planned.waited_groups {
                1 => "1 group".to_string(),
                n => format!("{n} groups"),
            }
        ));
    }
    if group_cost.micros > 0 {
        let (each, shared) = match planned.weighted_groups {
            0 => ("each", String::new()),
            _ => (
                "each on average",
                crate::summary::shared_by(planned.weighted_groups),
            ),
        };
        sources.push(format!(
            "plus {} {each}, the per-group cost ({}{shared})",
            human(group_cost.micros),
            group_cost.source.describe()
        ));
    }
    let model = planned.cost_model;
    if model.startup_per_group && model.shard_startup.micros > 0 {
        sources.push(format!(
            "plus {} each, the runner's start-up ({}), paid per group: one command each",
            human(model.shard_startup.micros),
            model.shard_startup.source.describe()
        ));
    }
    let _ = writeln!(
        out,
        "\ngroup setups: {} paid over all shards by {} group{} (setups: {})",
        human(plan.setup_paid()),
        paid.len(),
        if paid.len() == 1 { "" } else { "s" },
        sources.join(", ")
    );
    for (total, group, shards) in paid.iter().take(GROUPS) {
        let list: Vec<String> = shards.iter().map(usize::to_string).collect();
        let _ = writeln!(
            out,
            "  {:>7}  {} x {:>7}  {}  (shard{} {})",
            human(*total),
            shards.len(),
            human(groups[*group].setup),
            groups[*group].key,
            if shards.len() == 1 { "" } else { "s" },
            list.join(", ")
        );
    }
    if paid.len() > GROUPS {
        let _ = writeln!(out, "  ... and {} more groups", paid.len() - GROUPS);
    }
}
