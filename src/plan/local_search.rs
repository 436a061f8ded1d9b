//! Local search: improve an assignment by moving work off the heaviest shard.
//!
//! Each step looks at the heaviest shard (the lowest index on ties) and
//! applies the best of, in this order:
//!
//! 1. a move: one item, or all of a group's items on it (which frees the
//!    group's setup), to the shard where it finishes earliest;
//! 2. a swap of one of its items with an item of another shard;
//! 3. a re-partition of its items and another shard's items together, by
//!    bounded complete search ([`super::complete::two_way`]).
//!
//! A step is taken only if both shards involved end below the heaviest
//! shard's load by at least [`MIN_GAIN_PPM`] parts per million of it (1µs
//! at least): the sorted vector of loads then decreases lexicographically,
//! so the search cannot cycle, and it does not crawl through thousands of
//! microsecond moves. It stops at a local optimum or when its work budget,
//! a count of evaluations and search nodes, runs out: never by the clock,
//! so every machine stops at the same step.

use std::rc::Rc;

use super::complete::{self, Unit};
use super::cost::{State, weight};
use crate::duration::Micros;

/// The least gain, in parts per million of the heaviest load, a step
/// must bring.
pub const MIN_GAIN_PPM: Micros = 10;

/// How much work the search may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Evaluations plus search nodes, over the whole search.
    pub work: u64,
    /// Search nodes for one re-partition of two shards.
    pub pair_nodes: u64,
    /// Two shards with more units (items, or pieces of groups with a setup)
    /// than this are not re-partitioned: with that many small units, moves
    /// and swaps already balance them.
    pub pair_units: usize,
    /// Above this many item pairs, a swap between two shards considers for
    /// each item only the partners closest to the ideal size.
    pub swap_pairs: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            work: 8_000_000,
            pair_nodes: 20_000,
            pair_units: 128,
            swap_pairs: 1_024,
        }
    }
}

/// A cap on how many items may leave the shard a previous plan gave them.
#[derive(Debug, Clone, Copy)]
pub struct Churn<'a> {
    /// Each item's shard in the previous plan, if it had one.
    pub previous: &'a [Option<usize>],
    /// At most this many items may be on another shard than before.
    pub max_moved: usize,
}

impl Churn<'_> {
    /// Items of `state` currently away from their previous shard.
    pub fn moved(&self, state: &State<'_>) -> usize {
        self.previous
            .iter()
            .enumerate()
            .filter(|&(item, p)| p.is_some_and(|p| p != state.shard_of(item)))
            .count()
    }

    /// How moving `item` from `from` to `to` changes [`Churn::moved`].
    fn delta(&self, item: usize, from: usize, to: usize) -> isize {
        match self.previous[item] {
            Some(p) if p == from => 1,
            Some(p) if p == to => -1,
            _ => 0,
        }
    }
}

/// What the search did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Steps taken.
    pub steps: u64,
    /// Work spent.
    pub work: u64,
}

/// Improves `state` in place.
pub fn improve(state: &mut State<'_>, limits: &Limits, churn: Option<&Churn<'_>>) -> Outcome {
    let mut search = Search {
        limits: *limits,
        churn,
        moved: churn.map_or(0, |c| c.moved(state)),
        work: 0,
        steps: 0,
        sorted: vec![None; state.loads().len()],
    };
    let settled = vec![false; state.loads().len()];
    search.run(state, &settled);
    Outcome {
        steps: search.steps,
        work: search.work,
    }
}

/// Improves `state` in place, then balances what lies below the maximum:
/// once the heaviest shard can go no lower (one giant item, say), it is
/// settled and the search goes on among the others, down to the last two.
/// Whenever that moves anything, the search starts again from the top,
/// since a shard that was lowered may now take work off a settled one; so
/// the result is a local optimum of [`improve`] too. Every step lowers the
/// sorted loads lexicographically, so the makespan never rises and the
/// search cannot cycle; all rounds share `limits.work`.
pub fn improve_and_balance(state: &mut State<'_>, limits: &Limits) -> Outcome {
    let mut search = Search {
        limits: *limits,
        churn: None,
        moved: 0,
        work: 0,
        steps: 0,
        sorted: vec![None; state.loads().len()],
    };
    let shards = state.loads().len();
    let mut settled = vec![false; shards];
    while search.work < limits.work {
        let steps = search.steps;
        search.run(state, &settled);
        if search.steps > steps && settled.contains(&true) {
            settled.fill(false);
            continue;
        }
        match heaviest_unsettled(state, &settled) {
            Some(heaviest) if settled.iter().filter(|&&s| !s).count() > 2 => {
                settled[heaviest] = true;
            }
            _ => break,
        }
        if spread(state, &settled) <= state.load(state.heaviest()) / 1_000_000 * BALANCED_PPM {
            break;
        }
    }
    Outcome {
        steps: search.steps,
        work: search.work,
    }
}

/// The planner makespan of `assignment` if [`improve_and_balance`] (after
/// [`super::lpt::fill_empty_shards`]) would leave it as it is, told from
/// its loads alone; `None` when it might not. Only without setups, where
/// a step trades work between two shards and cannot help when the
/// heaviest and the lightest together are above twice the limit, and the
/// other shards are balanced already: a million-item plan by LPT nearly
/// always is, and then builds no search state.
pub fn idle_makespan(
    problem: &super::Problem,
    assignment: impl IntoIterator<Item = usize>,
    limits: &Limits,
) -> Option<Micros> {
    if problem.has_setups() {
        return None;
    }
    let shards = problem.shards.max(1);
    let mut loads = vec![0 as Micros; shards];
    let mut sizes = vec![0usize; shards];
    for (item, shard) in assignment.into_iter().enumerate() {
        loads[shard] += weight(problem, item);
        sizes[shard] += 1;
    }
    let makespan = loads.iter().copied().max().unwrap_or(0);
    // An empty shard would be filled first.
    if sizes.contains(&0) {
        return None;
    }
    if limits.work == 0 || shards < 2 {
        return Some(makespan);
    }
    // The search's first look: the heaviest shard (the lowest index on
    // ties) against the lightest, as `Search::run` makes it.
    let heaviest = (0..shards).fold(0, |best, s| if loads[s] > loads[best] { s } else { best });
    let load = loads[heaviest];
    if load > 0 {
        let limit = load - (load / 1_000_000 * MIN_GAIN_PPM).max(1);
        let lightest = loads.iter().copied().min().unwrap_or(0);
        if u128::from(lightest) + u128::from(load) <= 2 * u128::from(limit) {
            return None;
        }
    }
    // No step: the heaviest is settled, and the search ends if the rest
    // are balanced (or two shards are all that is left).
    if shards <= 2 {
        return Some(makespan);
    }
    let others = (0..shards).filter(|&s| s != heaviest).map(|s| loads[s]);
    let (low, high) = others.fold((Micros::MAX, 0), |(low, high), l| (low.min(l), high.max(l)));
    (high.saturating_sub(low) <= load / 1_000_000 * BALANCED_PPM).then_some(makespan)
}

/// Shards below the slowest whose loads differ by at most this share of
/// it, in parts per million (1%), are balanced: evening them out further
/// would cost planning time for no wall time anyone notices.
pub const BALANCED_PPM: Micros = 10_000;

/// The heaviest minus the lightest load among the shards not `settled`.
fn spread(state: &State<'_>, settled: &[bool]) -> Micros {
    let loads = state
        .loads()
        .iter()
        .zip(settled)
        .filter(|(_, settled)| !**settled)
        .map(|(&load, _)| load);
    let (low, high) = loads.fold((Micros::MAX, 0), |(low, high), load| {
        (low.min(load), high.max(load))
    });
    high.saturating_sub(low)
}

/// The heaviest shard not `settled`, the lowest index on ties.
fn heaviest_unsettled(state: &State<'_>, settled: &[bool]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (shard, &load) in state.loads().iter().enumerate() {
        if !settled[shard] && best.is_none_or(|b| load > state.load(b)) {
            best = Some(shard);
        }
    }
    best
}

impl Search<'_> {
    /// Steps off the heaviest shard not `settled` until none helps or the
    /// work budget runs out. A settled shard is never a step's source, and
    /// never grows: every step keeps both its shards below the source's
    /// load, which a settled shard is at or above.
    fn run(&mut self, state: &mut State<'_>, settled: &[bool]) {
        // Without setups a step only trades work between two shards, whose
        // sum stays the same: both can end at or below the limit only if
        // they add up to at most twice it.
        let conserved = !state.problem().has_setups();
        while self.work < self.limits.work && settled.iter().filter(|&&s| !s).count() > 1 {
            let Some(heaviest) = heaviest_unsettled(state, settled) else {
                break;
            };
            let load = state.load(heaviest);
            if load == 0 {
                break;
            }
            // Both shards of a step must end at or below this.
            let limit = load - (load / 1_000_000 * MIN_GAIN_PPM).max(1);
            if conserved
                && u128::from(state.load(state.lightest())) + u128::from(load)
                    > 2 * u128::from(limit)
            {
                break;
            }
            let step = self
                .best_move(state, heaviest, limit)
                .or_else(|| self.best_swap(state, heaviest, limit))
                .or_else(|| self.repartition(state, heaviest, limit));
            let Some(step) = step else { break };
            for &(item, shard) in &step {
                self.relocate(state, item, shard);
            }
            debug_assert!(
                step.iter().all(|&(_, shard)| state.load(shard) <= limit)
                    && state.load(heaviest) <= limit,
                "a step promised loads at most {limit}: {:?}",
                state.loads()
            );
            self.steps += 1;
        }
    }
}

/// A shard's items by weight then index ([`sorted_by_weight`]), shared
/// while the shard is unchanged.
type ByWeight = Rc<SortedItems>;

/// A shard's items in (weight, index) order, column by column: 13 bytes
/// an item, as every shard's are kept at once (a million items), and the
/// weights a partner search reads are aligned and side by side (packed
/// 13-byte entries made the search 12% slower).
#[derive(Debug)]
struct SortedItems {
    weights: Vec<Micros>,
    items: Vec<u32>,
    /// Whether each is its group's only item on the shard: taking it off
    /// frees the group's setup there. Like the order, it holds while the
    /// shard is unchanged.
    alone: Vec<bool>,
}

/// One of [`SortedItems`], as the search reads it.
#[derive(Debug, Clone, Copy)]
struct Sorted {
    weight: Micros,
    item: u32,
    alone: bool,
}

impl SortedItems {
    fn len(&self) -> usize {
        self.items.len()
    }

    fn get(&self, at: usize) -> Sorted {
        Sorted {
            weight: self.weights[at],
            item: self.items[at],
            alone: self.alone[at],
        }
    }

    fn iter(&self) -> impl Iterator<Item = Sorted> + '_ {
        (0..self.len()).map(|at| self.get(at))
    }
}

/// Item relocations that make up one step.
type Step = Vec<(usize, usize)>;

struct Search<'c> {
    limits: Limits,
    churn: Option<&'c Churn<'c>>,
    moved: usize,
    work: u64,
    steps: u64,
    /// Per shard, its items by weight ([`sorted_by_weight`]) while the
    /// shard is unchanged: a step changes two shards, and swaps look at
    /// every shard's sorted items again.
    sorted: Vec<Option<ByWeight>>,
}

impl Search<'_> {
    /// Every change to the state goes through here, so that the sorted
    /// items of the shards it touches are forgotten.
    fn relocate(&mut self, state: &mut State<'_>, item: usize, shard: usize) {
        if let Some(churn) = self.churn {
            let delta = churn.delta(item, state.shard_of(item), shard);
            self.moved = self.moved.checked_add_signed(delta).unwrap_or(0);
        }
        self.sorted[state.shard_of(item)] = None;
        self.sorted[shard] = None;
        state.relocate(item, shard);
    }

    /// Whether relocating `items` (from their shards) to `to` keeps within
    /// the churn cap.
    fn churn_allows(&self, state: &State<'_>, step: &[(usize, usize)]) -> bool {
        let Some(churn) = self.churn else { return true };
        let delta: isize = step
            .iter()
            .map(|&(item, to)| churn.delta(item, state.shard_of(item), to))
            .sum();
        self.moved.checked_add_signed(delta).unwrap_or(0) <= churn.max_moved
    }

    /// The best single-item or whole-piece move off `from`.
    fn best_move(&mut self, state: &State<'_>, from: usize, limit: Micros) -> Option<Step> {
        let load = state.load(from);
        let lightest = state.lightest();
        let problem = state.problem();
        // (larger of the two new loads, first item, target)
        let mut best: Option<(Micros, usize, usize, Vec<usize>)> = None;
        let mut consider = |search: &mut Self,
                            items: &[usize],
                            saving: Micros,
                            added: &dyn Fn(usize) -> Micros| {
            let group = problem.items[items[0]].group_index();
            let targets = std::iter::once(lightest).chain(state.shards_with(group));
            for to in targets {
                search.work += 1;
                if to == from {
                    continue;
                }
                let larger = (load - saving).max(state.load(to) + added(to));
                let key = (larger, items[0], to);
                if larger <= limit
                    && best.as_ref().is_none_or(|b| key < (b.0, b.1, b.2))
                    && search
                        .churn_allows(state, &items.iter().map(|&i| (i, to)).collect::<Vec<_>>())
                {
                    best = Some((larger, items[0], to, items.to_vec()));
                }
            }
        };
        self.work += state.members(from).len() as u64;
        for (group, items) in state.pieces(from) {
            let setup = problem.groups[group].setup;
            for &item in &items {
                let saving = state.remove_saving(item);
                consider(self, &[item], saving, &|to| state.add_cost(item, to));
            }
            if setup > 0 && items.len() > 1 {
                let sum: Micros = items.iter().map(|&i| weight(problem, i)).sum();
                let added = |to: usize| {
                    if state.count(group, to) > 0 {
                        sum
                    } else {
                        sum + setup
                    }
                };
                consider(self, &items, sum + setup, &added);
            }
        }
        best.map(|(_, _, to, items)| items.into_iter().map(|i| (i, to)).collect())
    }

    /// The best swap of an item of `from` with an item of another shard:
    /// shards are tried least loaded first, and the first shard that
    /// offers an improving swap gives its best one.
    fn best_swap(&mut self, state: &State<'_>, from: usize, limit: Micros) -> Option<Step> {
        let load = state.load(from);
        let mut others: Vec<usize> = (0..state.loads().len()).filter(|&s| s != from).collect();
        others.sort_by_key(|&s| (state.load(s), s));
        self.work += others.len() as u64;
        let mine = self.sorted(state, from);
        let mine_alone = mine.alone.contains(&true);
        // (larger new load, item of `from`, item of the other shard)
        let mut best: Option<(Micros, usize, usize)> = None;
        for to in others {
            if self.work >= self.limits.work || best.is_some() {
                break;
            }
            let gap = load.saturating_sub(state.load(to));
            // A swap keeps the two loads' sum, less the setups it frees
            // (an item alone in its group on its shard) and plus those it
            // adds. When the sum is above twice the limit, only a swap
            // that frees a setup can bring both under it: the others are
            // passed over without being looked at, their work counted
            // all the same, so that the search takes the same steps.
            let only_freeing =
                u128::from(load) + u128::from(state.load(to)) > 2 * u128::from(limit);
            // Then, with no item alone on either shard, nothing is looked
            // at: `to` is not even sorted, only its work counted. With
            // none alone on `to`, only the few pairs of an item alone on
            // `from` are: `to` is sorted for them, but not kept.
            let mut keep_sorted = true;
            if only_freeing && self.sorted[to].is_none() {
                let summary = WeightSummary::of(state, to);
                if !summary.alone && !mine_alone {
                    self.work += state.members(to).len() as u64;
                    self.work += summary.candidates(&mine, gap, &self.limits);
                    continue;
                }
                keep_sorted = summary.alone;
            }
            let theirs = if keep_sorted {
                self.sorted(state, to)
            } else {
                self.work += state.members(to).len() as u64;
                Rc::new(sorted_by_weight(state, to))
            };
            let exhaustive = mine.len().saturating_mul(theirs.len()) <= self.limits.swap_pairs;
            debug_assert_eq!(
                WeightSummary::of(state, to).candidates(&mine, gap, &self.limits),
                mine.weights
                    .iter()
                    .map(|&weight| candidates(&theirs, weight, gap, exhaustive).len() as u64)
                    .sum::<u64>(),
                "the candidates a summary counts are those looked at"
            );
            for mine_item in mine.iter() {
                let i = mine_item.item as usize;
                for at in candidates(&theirs, mine_item.weight, gap, exhaustive) {
                    let theirs_item = theirs.get(at);
                    self.work += 1;
                    if only_freeing && !mine_item.alone && !theirs_item.alone {
                        continue;
                    }
                    let j = theirs_item.item as usize;
                    let (new_from, new_to) = swapped(state, i, j);
                    let larger = new_from.max(new_to);
                    if larger <= limit
                        && best.is_none_or(|b| (larger, i, j) < b)
                        && self.churn_allows(state, &[(i, to), (j, from)])
                    {
                        best = Some((larger, i, j));
                    }
                }
            }
        }
        best.map(|(_, i, j)| vec![(i, state.shard_of(j)), (j, from)])
    }

    /// Items of `shard` as (weight, item), by weight then index; sorting
    /// counts as work, one unit per item, whether or not the sorted items
    /// were kept from before (the budget must not depend on the cache).
    fn sorted(&mut self, state: &State<'_>, shard: usize) -> ByWeight {
        self.work += state.members(shard).len() as u64;
        self.sorted[shard]
            .get_or_insert_with(|| Rc::new(sorted_by_weight(state, shard)))
            .clone()
    }

    /// Re-partitions `from` with each other shard, least loaded first,
    /// until one pair improves.
    fn repartition(&mut self, state: &State<'_>, from: usize, limit: Micros) -> Option<Step> {
        let mut others: Vec<usize> = (0..state.loads().len()).filter(|&s| s != from).collect();
        others.sort_by_key(|&s| (state.load(s), s));
        self.work += others.len() as u64;
        let problem = state.problem();
        // Too many on `from` alone: no pair is re-partitioned (told
        // before its items are sorted into pieces).
        if state.units_exceed(from, self.limits.pair_units) {
            return None;
        }
        // Units: every item of a group without setup; the whole piece of
        // a group with one (two pieces of a group may merge). The count
        // `State::units_exceed` bounds without sorting.
        let pieces_of_from = state.pieces(from);
        let units_of = |pieces: &[(usize, Vec<usize>)]| -> usize {
            pieces
                .iter()
                .map(|(group, items)| match problem.groups[*group].setup {
                    0 => items.len(),
                    _ => 1,
                })
                .sum()
        };
        let units_of_from = units_of(&pieces_of_from);
        for to in others {
            if self.work >= self.limits.work {
                return None;
            }
            // `from` has at most `pair_units` units (above).
            if state.units_exceed(to, self.limits.pair_units - units_of_from) {
                continue;
            }
            let pieces_of_to = state.pieces(to);
            let mut units: Vec<Unit> = Vec::new();
            let mut members: Vec<Vec<usize>> = Vec::new();
            let mut local_groups: Vec<usize> = Vec::new();
            for (group, items) in pieces_of_from.iter().cloned().chain(pieces_of_to) {
                let setup = problem.groups[group].setup;
                if setup == 0 {
                    for item in items {
                        units.push(Unit {
                            weight: weight(problem, item),
                            setup: 0,
                            group: 0,
                        });
                        members.push(vec![item]);
                    }
                    continue;
                }
                let local = match local_groups.iter().position(|&g| g == group) {
                    Some(local) => local,
                    None => {
                        local_groups.push(group);
                        local_groups.len() - 1
                    }
                };
                units.push(Unit {
                    weight: items.iter().map(|&i| weight(problem, i)).sum(),
                    setup,
                    group: local,
                });
                members.push(items);
            }
            let budget = self
                .limits
                .pair_nodes
                .min(self.limits.work.saturating_sub(self.work));
            let Some((sides, _)) = complete::two_way(
                &units,
                local_groups.len().max(1),
                limit + 1,
                budget,
                &mut self.work,
            ) else {
                continue;
            };
            // Either side may be `from`: keep the mapping that moves fewer
            // items (lower churn, and fewer surprises), `from` first on ties.
            let step_for = |side_of_from: bool| -> Step {
                let mut step = Vec::new();
                for (unit, &side) in members.iter().zip(&sides) {
                    let shard = if side == side_of_from { from } else { to };
                    step.extend(
                        unit.iter()
                            .filter(|&&i| state.shard_of(i) != shard)
                            .map(|&i| (i, shard)),
                    );
                }
                step
            };
            let (a, b) = (step_for(false), step_for(true));
            let step = if b.len() < a.len() { b } else { a };
            if self.churn_allows(state, &step) {
                return Some(step);
            }
        }
        None
    }
}

/// The partners a swap tries for an item of weight `weight` among
/// `theirs` (sorted by weight): all of them if `exhaustive`, else the
/// two neighbours, in weight order, of the ideal partner, lighter by half
/// the `gap` between the two shards' loads.
fn candidates(
    theirs: &SortedItems,
    weight: Micros,
    gap: Micros,
    exhaustive: bool,
) -> std::ops::Range<usize> {
    if exhaustive {
        return 0..theirs.len();
    }
    let ideal = weight.saturating_sub(gap / 2);
    let at = theirs.weights.partition_point(|&other| other < ideal);
    at.saturating_sub(1)..(at + 1).min(theirs.len())
}

/// What a swap needs to know of a shard it will look nothing up in: how
/// many items it has, its lightest and heaviest weights, and whether any
/// item is alone in its group there. One pass over its items, no sort.
struct WeightSummary {
    len: usize,
    lightest: Micros,
    heaviest: Micros,
    alone: bool,
}

impl WeightSummary {
    fn of(state: &State<'_>, shard: usize) -> WeightSummary {
        let problem = state.problem();
        let mut summary = WeightSummary {
            len: state.members(shard).len(),
            lightest: Micros::MAX,
            heaviest: 0,
            alone: false,
        };
        for &item in state.members(shard) {
            let weight = weight(problem, item as usize);
            summary.lightest = summary.lightest.min(weight);
            summary.heaviest = summary.heaviest.max(weight);
            summary.alone |= state.count(problem.items[item as usize].group_index(), shard) == 1;
        }
        summary
    }

    /// How many partners [`candidates`] gives the items of `mine`, from
    /// the shard summed up, without sorting it: two each, but one where
    /// the ideal partner is at or below the lightest (it would come
    /// first) or above the heaviest (it would come last).
    fn candidates(&self, mine: &SortedItems, gap: Micros, limits: &Limits) -> u64 {
        if mine.len().saturating_mul(self.len) <= limits.swap_pairs {
            return (mine.len() * self.len) as u64;
        }
        mine.weights
            .iter()
            .map(|&weight| {
                let ideal = weight.saturating_sub(gap / 2);
                match self.len {
                    0 => 0,
                    1 => 1,
                    _ if ideal <= self.lightest || ideal > self.heaviest => 1,
                    _ => 2,
                }
            })
            .sum()
    }
}

/// Items of `shard` by weight then index.
fn sorted_by_weight(state: &State<'_>, shard: usize) -> SortedItems {
    let problem = state.problem();
    let mut pairs: Vec<(Micros, u32)> = state
        .members(shard)
        .iter()
        .map(|&item| (weight(problem, item as usize), item))
        .collect();
    pairs.sort_unstable();
    let mut sorted = SortedItems {
        weights: Vec::with_capacity(pairs.len()),
        items: Vec::with_capacity(pairs.len()),
        alone: Vec::with_capacity(pairs.len()),
    };
    for (weight, item) in pairs {
        sorted.weights.push(weight);
        sorted.items.push(item);
        let group = problem.items[item as usize].group_index();
        sorted.alone.push(state.count(group, shard) == 1);
    }
    sorted
}

/// The loads of `i`'s and `j`'s shards if they swapped places.
fn swapped(state: &State<'_>, i: usize, j: usize) -> (Micros, Micros) {
    let problem = state.problem();
    let (a, b) = (state.shard_of(i), state.shard_of(j));
    let (gi, gj) = (
        problem.items[i].group_index(),
        problem.items[j].group_index(),
    );
    let (wi, wj) = (weight(problem, i), weight(problem, j));
    if gi == gj {
        return (state.load(a) - wi + wj, state.load(b) - wj + wi);
    }
    // A shard loses the leaving item's setup if it was its group's last
    // item there, and pays the arriving item's setup if its group is new.
    let side = |shard: usize, gone: usize, w_out: Micros, came: usize, w_in: Micros| {
        let lost = if state.count(gone, shard) == 1 {
            problem.groups[gone].setup
        } else {
            0
        };
        let paid = if state.count(came, shard) == 0 {
            problem.groups[came].setup
        } else {
            0
        };
        state.load(shard) - w_out - lost + w_in + paid
    };
    (side(a, gi, wi, gj, wj), side(b, gj, wj, gi, wi))
}

#[cfg(test)]
mod tests {
    use super::super::Problem;
    use super::super::lpt::lpt;
    use super::super::tests::grouped;
    use super::*;

    fn improved(problem: &Problem, start: &[usize]) -> (Vec<usize>, Micros) {
        let mut state = State::new(problem, start);
        improve(&mut state, &Limits::default(), None);
        let makespan = state.makespan();
        (state.into_assignment(), makespan)
    }

    #[test]
    fn a_move_fixes_an_obvious_imbalance() {
        let p = Problem::plain(&[("a", 5), ("b", 5), ("c", 5)], 3);
        let (assignment, makespan) = improved(&p, &[0, 0, 0]);
        assert_eq!(makespan, 5);
        let mut sorted = assignment.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![0, 1, 2]);
    }

    #[test]
    fn re_partition_reaches_the_perfect_split_lpt_misses() {
        // LPT on {8,7,6,5,4} into 2 gives 17/13; 15/15 exists.
        let p = Problem::plain(&[("a", 8), ("b", 7), ("c", 6), ("d", 5), ("e", 4)], 2);
        let start = lpt(&p);
        assert_eq!(super::super::cost::makespan(&p, &start), 17);
        let (_, makespan) = improved(&p, &start);
        assert_eq!(makespan, 15);
    }

    #[test]
    fn moving_a_whole_piece_frees_its_setup() {
        // Group f split over two shards pays its 10 twice (17 | 17); with
        // f together the shards are 2 + 2 + 10 = 14 and 5 + 5 = 10.
        let p = grouped(
            &[("a", 2, "f"), ("b", 2, "f"), ("c", 5, "g"), ("d", 5, "g")],
            &[("f", 10)],
            2,
        );
        let (assignment, makespan) = improved(&p, &[0, 1, 0, 1]);
        assert_eq!(assignment[0], assignment[1], "{assignment:?}");
        assert_eq!(makespan, 14);
    }

    #[test]
    fn churn_cap_limits_moves() {
        let p = Problem::plain(&[("a", 5), ("b", 5), ("c", 5), ("d", 5)], 4);
        let previous: Vec<Option<usize>> = vec![Some(0); 4];
        let churn = Churn {
            previous: &previous,
            max_moved: 1,
        };
        let mut state = State::new(&p, &[0, 0, 0, 0]);
        improve(&mut state, &Limits::default(), Some(&churn));
        assert_eq!(churn.moved(&state), 1);
        assert_eq!(state.makespan(), 15);
    }

    #[test]
    fn work_budget_stops_the_search() {
        let p = Problem::plain(&[("a", 5), ("b", 5), ("c", 5), ("d", 5)], 4);
        let mut state = State::new(&p, &[0, 0, 0, 0]);
        let limits = Limits {
            work: 1,
            ..Limits::default()
        };
        let outcome = improve(&mut state, &limits, None);
        assert_eq!(outcome.steps, 1);
    }
}
