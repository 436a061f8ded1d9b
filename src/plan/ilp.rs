//! `ilp`: the exact model, solved through good_lp, seeded with `best`.
//!
//! Variables: `x[i][s] = 1` if item `i` runs on shard `s`; `y[g][s] = 1` if
//! shard `s` runs group `g` (groups with a setup only); the makespan `m`.
//! Minimise `m` subject to: every item on exactly one shard; every shard's
//! items plus setups at most `m`; `x[i][s] <= y[g(i)][s]`.
//!
//! * Symmetry breaking: shards are interchangeable, so the k-th heaviest
//!   item may only use shards `0..=k` (relabel shards by their heaviest
//!   item to see that nothing is lost).
//! * Seeded with `best`: the model asks for a makespan strictly below
//!   `best`'s (by at least [`MIN_GAIN_PARTS`] parts per million), which is
//!   what a warm start gives branch and bound, plus a stronger cut. If the
//!   solver finds nothing better within its budget, `best`'s plan stands;
//!   if it proves there is nothing, `best` was optimal. The model knows
//!   shares, not chains ([`super::Chains`]): where `best` relieves chains
//!   ([`super::relief`]), the answer is relieved too and kept only if
//!   plans predict it no slower than `best`'s.
//! * Budget: branch-and-bound nodes (deterministic, the default). A time
//!   limit (`--ilp-time-limit`) is also accepted, but makes the plan depend
//!   on the machine's speed: shards could then plan differently.
//!
//! The LP relaxation of number partitioning is weak (it always reaches
//! total/N), so proofs take exponential time: the ILP is for a few dozen
//! items (files, packages), and refuses more than [`MAX_VARIABLES`].
//!
//! Backends: microlp (pure Rust, default) or HiGHS with the `highs` cargo
//! feature (needs cmake and libclang to build).

#[cfg(feature = "highs")]
use good_lp::Solution;
use good_lp::{Expression, ProblemVariables, SolverModel, Variable, constraint, variable};

use super::best::{best, exact_makespan};
use super::local_search::Limits;
use super::{Planner, Problem, lpt, relief};
use crate::duration::Micros;
use crate::error::{Error, Result};

/// The largest model, in binary variables, `ilp` accepts.
pub const MAX_VARIABLES: usize = 4_000;

/// A plan must beat `best`'s makespan by at least this many parts per
/// million to replace it: below that, the difference is solver tolerance,
/// not a better plan.
pub const MIN_GAIN_PARTS: Micros = 10;

/// Default branch-and-bound node budget.
pub const DEFAULT_NODES: u64 = 2_000;

/// The solver this build uses. Backends may find different plans, so it is
/// part of the plan's fingerprint.
#[cfg(not(feature = "highs"))]
pub const BACKEND: &str = "microlp";
/// The solver this build uses. Backends may find different plans, so it is
/// part of the plan's fingerprint.
#[cfg(feature = "highs")]
pub const BACKEND: &str = "highs";

/// How long the solver may search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// Branch-and-bound nodes: deterministic.
    pub nodes: u64,
    /// Wall-clock limit: machine-dependent; `None` by default.
    pub time_limit: Option<Micros>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            nodes: DEFAULT_NODES,
            time_limit: None,
        }
    }
}

/// See the module documentation.
pub struct Ilp {
    /// The solver's budget.
    pub budget: Budget,
}

impl Planner for Ilp {
    fn name(&self) -> &'static str {
        "ilp"
    }

    fn assign(&self, problem: &Problem) -> Result<Vec<usize>> {
        let variables = model_size(problem);
        if variables > MAX_VARIABLES {
            return Err(Error::usage(format!(
                "--algorithm ilp solves models of at most {MAX_VARIABLES} binary variables; {} items × {} shards need {variables}. \
                 Use --algorithm best (the default, within a hair of optimal on large inputs), or plan coarser items with --by file",
                problem.items.len(),
                problem.shards
            )));
        }
        let seed = best(problem, &Limits::default());
        let incumbent = exact_makespan(problem, &seed);
        let floor = problem.lower_bound().value - problem.shard_overhead;
        if incumbent <= floor || problem.shards == 1 {
            return Ok(seed);
        }
        let target = incumbent - (incumbent * MIN_GAIN_PARTS / 1_000_000).max(1);
        Ok(match solve(problem, target, &self.budget) {
            Some(mut better) if exact_makespan(problem, &better) < incumbent => {
                // The model balances shares, not chains: its answer is
                // relieved as `best`'s was, and kept only if plans then
                // predict it at least as fast.
                relief::relieve(problem, &mut better);
                match (
                    relief::predicted_makespan(problem, &better),
                    relief::predicted_makespan(problem, &seed),
                ) {
                    (Some(ilp), Some(best)) if ilp > best => seed,
                    _ => better,
                }
            }
            _ => seed,
        })
    }
}

/// Binary variables the model needs.
pub fn model_size(problem: &Problem) -> usize {
    let items = problem.items.len();
    let shards = problem.shards;
    // With symmetry breaking the k-th item has min(k + 1, shards) choices.
    let x: usize = (0..items).map(|k| (k + 1).min(shards)).sum();
    let groups = problem.groups.iter().filter(|g| g.setup > 0).count();
    x + groups * shards
}

/// The model's variables, by creation order (the order backends number
/// them in).
struct Model {
    vars: ProblemVariables,
    /// `x[i]`: `(shard, variable, creation index)` for each allowed shard.
    x: Vec<Vec<(usize, Variable, usize)>>,
    constraints: Vec<good_lp::Constraint>,
    makespan: Variable,
    count: usize,
}

/// Builds the model with makespan at most `target`. Durations are scaled
/// by `target` so coefficients stay near 1 whatever the units.
fn build(problem: &Problem, target: Micros) -> Model {
    let scale = target.max(1) as f64;
    let mut vars = ProblemVariables::new();
    let mut count = 0;
    let mut next = |vars: &mut ProblemVariables, definition: good_lp::VariableDefinition| {
        count += 1;
        (vars.add(definition), count - 1)
    };
    let (makespan, _) = next(&mut vars, variable().min(0));
    let order = lpt::order(problem);
    let mut rank = vec![0; problem.items.len()];
    for (position, &item) in order.iter().enumerate() {
        rank[item] = position;
    }
    let mut x = Vec::with_capacity(problem.items.len());
    for &rank in &rank {
        let allowed = (rank + 1).min(problem.shards);
        x.push(
            (0..allowed)
                .map(|s| {
                    let (v, index) = next(&mut vars, variable().binary());
                    (s, v, index)
                })
                .collect::<Vec<_>>(),
        );
    }
    let y: Vec<Option<Vec<Variable>>> = problem
        .groups
        .iter()
        .map(|g| {
            (g.setup > 0).then(|| {
                (0..problem.shards)
                    .map(|_| next(&mut vars, variable().binary()).0)
                    .collect()
            })
        })
        .collect();

    let mut constraints = Vec::new();
    let mut loads: Vec<Expression> = vec![Expression::from(0.0); problem.shards];
    for (item, choices) in x.iter().enumerate() {
        let one: Expression = choices.iter().map(|&(_, v, _)| v).sum();
        constraints.push(constraint!(one == 1));
        let duration = problem.items[item].duration as f64 / scale;
        let group = problem.items[item].group_index();
        for &(s, v, _) in choices {
            loads[s] += duration * v;
            if let Some(y) = &y[group] {
                constraints.push(constraint!(v <= y[s]));
            }
        }
    }
    for (group, ys) in problem.groups.iter().zip(&y) {
        if let Some(ys) = ys {
            for (s, &v) in ys.iter().enumerate() {
                loads[s] += (group.setup as f64 / scale) * v;
            }
        }
    }
    for load in loads {
        constraints.push(constraint!(load <= makespan));
    }
    constraints.push(constraint!(makespan <= 1.0));
    Model {
        vars,
        x,
        constraints,
        makespan,
        count,
    }
}

/// Reads an assignment from variable values by creation index.
fn assignment(
    model_x: &[Vec<(usize, Variable, usize)>],
    value: impl Fn(usize) -> f64,
) -> Vec<usize> {
    model_x
        .iter()
        .map(|choices| {
            choices
                .iter()
                .max_by(|a, b| value(a.2).total_cmp(&value(b.2)).then(b.0.cmp(&a.0)))
                .map_or(0, |&(s, _, _)| s)
        })
        .collect()
}

/// Searches for an assignment with makespan at most `target`.
#[cfg(not(feature = "highs"))]
fn solve(problem: &Problem, target: Micros, budget: &Budget) -> Option<Vec<usize>> {
    let model = build(problem, target);
    let mut solver = model.vars.minimise(model.makespan).using(good_lp::microlp);
    for c in model.constraints {
        solver.add_constraint(c);
    }
    // good_lp does not expose microlp's node limit, so the model good_lp
    // built is solved with microlp's own options.
    let mut options = microlp::SolveOptions::default();
    options.node_limit = Some(budget.nodes);
    options.time_limit = budget.time_limit.map(std::time::Duration::from_micros);
    let outcome = solver.as_inner().solve_with(options).ok()?;
    let solution = outcome.into_solution().ok()?;
    let values: Vec<f64> = solution.iter().map(|(_, v)| v).collect();
    debug_assert_eq!(values.len(), model.count);
    Some(assignment(&model.x, |i| values[i]))
}

/// Searches for an assignment with makespan at most `target`.
#[cfg(feature = "highs")]
fn solve(problem: &Problem, target: Micros, budget: &Budget) -> Option<Vec<usize>> {
    let model = build(problem, target);
    let mut solver = model
        .vars
        .minimise(model.makespan)
        .using(good_lp::highs)
        .set_threads(1)
        .set_option(
            "mip_max_nodes",
            i32::try_from(budget.nodes).unwrap_or(i32::MAX),
        );
    if let Some(limit) = budget.time_limit {
        solver = solver.set_time_limit(limit as f64 / 1e6);
    }
    solver.set_verbose(false);
    for c in model.constraints {
        solver.add_constraint(c);
    }
    let solution = solver.solve().ok()?;
    let x = &model.x;
    let mut by_index = vec![0.0; model.count];
    for choices in x {
        for &(_, v, index) in choices {
            by_index[index] = solution.value(v);
        }
    }
    Some(assignment(x, |i| by_index[i]))
}

#[cfg(test)]
mod tests {
    use super::super::Plan;
    use super::super::tests::three_tests_beside_one;
    use super::*;

    /// The plan the ILP planner makes of `p` with the default budget.
    fn build(p: Problem) -> Result<Plan> {
        Plan::build(
            p,
            &Ilp {
                budget: Budget::default(),
            },
        )
    }

    #[test]
    fn finds_the_optimum_of_a_tiny_instance() {
        let p = Problem::plain(&[("a", 8), ("b", 7), ("c", 6), ("d", 5), ("e", 4)], 2);
        let plan = build(p).unwrap();
        assert_eq!(plan.makespan(), 15);
    }

    #[test]
    fn the_model_alone_improves_on_a_poor_target() {
        // Asked for makespan <= 16 (LPT gives 17), the solver finds 15 or 16.
        let p = Problem::plain(&[("a", 8), ("b", 7), ("c", 6), ("d", 5), ("e", 4)], 2);
        let found = solve(&p, 16, &Budget::default()).expect("a plan of 16 or less exists");
        assert!(exact_makespan(&p, &found) <= 16);
        // Nothing is at most 14.
        assert!(solve(&p, 14, &Budget::default()).is_none_or(|a| exact_makespan(&p, &a) > 14));
    }

    #[test]
    fn setups_are_in_the_model() {
        let p = three_tests_beside_one(4, 12);
        let plan = build(p).unwrap();
        assert_eq!(plan.makespan(), 26);
    }

    #[test]
    fn refuses_models_beyond_its_size() {
        let keys: Vec<String> = (0..3000).map(|i| format!("t{i}")).collect();
        let durations: Vec<(&str, Micros)> = keys.iter().map(|k| (k.as_str(), 1)).collect();
        let p = Problem::plain(&durations, 8);
        let error = build(p).unwrap_err();
        assert!(
            error.message.contains("--algorithm best"),
            "{}",
            error.message
        );
    }
}
