//! Planning: the third stage of the pipeline.
//!
//! The suite becomes a [`Problem`]: [`Item`]s at the chosen granularity, each
//! in one [`Group`] (the runner's file key: a test file, a go package, a test
//! binary) whose setup cost a shard pays once if it runs any of the group's
//! items. A [`Planner`] assigns every item to exactly one shard.
//!
//! The cost model: a shard's predicted time is the shard overhead, plus its
//! items' durations, plus the setup of every distinct group it touches.
//! Planners see items in a canonical order (sorted by key) and must be
//! deterministic: the same problem gives the same assignment on every
//! machine. Their effort is bounded by counts, never by the clock.
//!
//! Algorithms live one per file: [`lpt`] (greedy), [`kk`] (largest
//! differencing), [`complete`] (bounded exact search), [`local_search`]
//! (moves, swaps and pair re-partitioning), [`best`] (all of them together),
//! [`ilp`] (an exact model through good_lp) and [`sticky`] (start from a
//! previous plan).

pub mod best;
pub mod blocks;
pub mod complete;
pub mod cost;
pub mod ilp;
pub mod kk;
pub mod local_search;
pub mod lpt;
pub mod relief;
pub mod sticky;

use std::collections::HashMap;
use std::rc::Rc;

use sha2::{Digest, Sha256};

use crate::case::Text;
use crate::choice::Choice;
use crate::duration::{Concurrency, Micros};
use crate::error::Result;
use crate::naming::Granularity;
use crate::timing::{GroupSetups, Source, Suite};

/// What the planner places on a shard: a test, or a class or file of tests
/// that must stay together. Its key (what the runner selects it by) is in
/// [`Problem::keys`].
///
/// Packed, byte-aligned: 13 bytes rather than 16, as a million of them are
/// held while planning (read by value, never borrowed; the unaligned
/// durations cost about 1% of a search-heavy plan's time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed)]
pub struct Item {
    /// What the item's key selects. The plan's granularity, except for the
    /// tests of a class or file split by `--split-large`.
    pub granularity: Granularity,
    /// Predicted duration: the sum of its tests, without setup costs.
    pub duration: Micros,
    /// Index of the item's group in [`Problem::groups`]
    /// ([`Item::group_index`]). In 32 bits, with the item's key in
    /// [`Problem::keys`] and its test counts in [`Problem::counts`]: the
    /// planners walk a million items over and over.
    pub group: u32,
}

/// How many tests an item holds, and how many of those have estimated
/// durations ([`Problem::counts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemCounts {
    /// The tests the item holds.
    pub tests: u32,
    /// Those with estimated durations.
    pub estimated: u32,
}

impl ItemCounts {
    /// One test, measured or estimated.
    fn test(estimated: bool) -> ItemCounts {
        ItemCounts {
            tests: 1,
            estimated: u32::from(estimated),
        }
    }
}

impl Item {
    /// One measured test as an item of group `group`, with its key: how
    /// problems are built by hand (tests, benchmarks) rather than from a
    /// suite ([`Problem::new`]).
    pub fn test(key: impl Into<Text>, duration: Micros, group: usize) -> (Text, Item) {
        let item = Item {
            granularity: Granularity::Test,
            duration,
            group: u32::try_from(group).expect("fewer than 2^32 groups"),
        };
        (key.into(), item)
    }

    /// [`Item::group`] as an index into [`Problem::groups`].
    pub fn group_index(&self) -> usize {
        self.group as usize
    }
}

const _: () = assert!(std::mem::size_of::<Item>() == 13);

/// A set of items that share a setup cost: paid once on every shard that
/// runs any of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The runner's file key (a test file, a go package, a test binary).
    pub key: String,
    /// What a shard pays once for running any of the group's items.
    pub setup: Micros,
}

/// Everything a planner needs: items sorted by key, their groups, and the
/// number of shards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The items, sorted by (key, granularity).
    pub items: Vec<Item>,
    /// Each item's key, by item index: the runner's selector for it (test
    /// id, class, file). By test these are the suite's native ids, shared
    /// ([`Suite::natives`]) rather than copied.
    pub keys: Rc<Vec<Text>>,
    /// The groups, sorted by key; every item names one.
    pub groups: Vec<Group>,
    /// Number of shards, at least 1.
    pub shards: usize,
    /// Fixed cost of every shard (checkout, build, container start). It does
    /// not change which plan is best, only what is predicted.
    pub shard_overhead: Micros,
    /// For a problem built from a suite ([`problem`]): the index of the
    /// item holding each of the suite's tests, by test index, so that a
    /// shard's tests are found without looking items up by key
    /// ([`Problem::item_of`]). Empty where there is nothing to record: for
    /// problems built by hand, and where test `i` is item `i` (at test
    /// granularity: a million indexes that say nothing are 8 MB).
    pub item_of_test: Vec<usize>,
    /// Each item's [`ItemCounts`], by item index; empty when every item is
    /// one measured test (a plan by test without estimates, and problems
    /// built by hand). See [`Problem::tests_in`].
    pub counts: Vec<ItemCounts>,
    /// How tests that hold a worker bound a shard's time when its runner
    /// runs several at once; `None` when it runs one at a time (or the
    /// problem was built by hand).
    pub chains: Option<Chains>,
    /// With [`Problem::chains`], each group's setup as its chain pays it,
    /// by group index: its measured setup and wait in test time (they run
    /// in the chain's worker) plus any extra as it is (wall time already);
    /// empty otherwise, and in problems built by hand, whose chains take
    /// their groups' setups back to test time.
    pub chain_setups: Vec<Micros>,
    /// The problem's [`lower_bound`], when known: [`problem`] works it out
    /// once, while memory is to spare (a million items' bound sorts 8 MB
    /// of durations), and the planners and the summary read it from here.
    /// `None` in a problem built by hand: it is worked out when asked.
    pub bound: Option<Bound>,
}

impl Problem {
    /// A problem built by hand (tests, benchmarks): `items` with their
    /// keys, sorted here by (key, granularity), in `groups`, for `shards`
    /// shards, without a shard overhead.
    pub fn new(mut items: Vec<(Text, Item)>, groups: Vec<Group>, shards: usize) -> Problem {
        items.sort_by(|a, b| (&a.0, a.1.granularity).cmp(&(&b.0, b.1.granularity)));
        let (keys, items): (Vec<Text>, Vec<Item>) = items.into_iter().unzip();
        Problem {
            items,
            keys: Rc::new(keys),
            groups,
            shards,
            shard_overhead: 0,
            item_of_test: Vec::new(),
            counts: Vec::new(),
            chains: None,
            chain_setups: Vec::new(),
            bound: None,
        }
    }

    /// A problem without setup costs: every item its own group, setup 0.
    /// Items are sorted by key.
    pub fn plain(durations: &[(&str, Micros)], shards: usize) -> Problem {
        let mut keys: Vec<(&str, Micros)> = durations.to_vec();
        keys.sort_unstable();
        let items = keys
            .iter()
            .enumerate()
            .map(|(group, &(key, duration))| Item::test(key, duration, group))
            .collect();
        let groups = keys
            .iter()
            .map(|&(key, _)| Group {
                key: key.to_string(),
                setup: 0,
            })
            .collect();
        Problem::new(items, groups, shards)
    }

    /// The items of each group, by group index, in item order.
    pub fn members(&self) -> GroupMembers {
        GroupMembers::of(self)
    }

    /// The item holding test `test` of the suite the problem was built
    /// from ([`Problem::item_of_test`]).
    pub fn item_of(&self, test: usize) -> usize {
        if self.item_of_test.is_empty() {
            test
        } else {
            self.item_of_test[test]
        }
    }

    /// Whether any group has a setup cost, i.e. whether keeping groups
    /// together matters.
    pub fn has_setups(&self) -> bool {
        self.groups.iter().any(|g| g.setup > 0)
    }

    /// What running `item` costs on a shard that already runs its group.
    pub fn duration(&self, item: usize) -> Micros {
        self.items[item].duration
    }

    /// The setup cost of `item`'s group.
    pub fn setup_of(&self, item: usize) -> Micros {
        self.groups[self.items[item].group_index()].setup
    }

    /// A lower bound on the makespan of any plan; see [`Bound`].
    pub fn lower_bound(&self) -> Bound {
        self.bound.unwrap_or_else(|| lower_bound(self))
    }

    /// How many tests item `item` holds.
    pub fn tests_in(&self, item: usize) -> u32 {
        self.counts.get(item).map_or(1, |counts| counts.tests)
    }

    /// How many of item `item`'s tests have estimated durations.
    pub fn estimated_in(&self, item: usize) -> u32 {
        self.counts.get(item).map_or(0, |counts| counts.estimated)
    }
}

/// The items of each group ([`Problem::members`]), held in one vector of
/// 32-bit indexes: a million items in 20,000 groups are one 4 MB block,
/// not 20,000 vectors grown a push at a time, whose outgrown copies stayed
/// in malloc's heap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMembers {
    /// Where each group's items start in `items`, and where the last ends.
    starts: Vec<u32>,
    /// The items, by group, each group's in item order.
    items: Vec<u32>,
}

impl GroupMembers {
    /// Counted, then placed: two passes over the items.
    fn of(problem: &Problem) -> GroupMembers {
        let to_u32 = |n: usize| u32::try_from(n).expect("fewer than 2^32 items");
        // Every count below is at most the items'.
        to_u32(problem.items.len());
        let mut starts = vec![0u32; problem.groups.len() + 1];
        for item in &problem.items {
            starts[item.group_index() + 1] += 1;
        }
        for group in 1..starts.len() {
            starts[group] += starts[group - 1];
        }
        let mut next = starts.clone();
        let mut items = vec![0u32; problem.items.len()];
        for (index, item) in problem.items.iter().enumerate() {
            let slot = &mut next[item.group_index()];
            items[*slot as usize] = to_u32(index);
            *slot += 1;
        }
        GroupMembers { starts, items }
    }

    /// How many groups there are.
    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// Whether there is no group.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The items of group `group`, ascending.
    pub fn group(&self, group: usize) -> &[u32] {
        &self.items[self.starts[group] as usize..self.starts[group + 1] as usize]
    }

    /// Every group's items, by group index.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u32]> + '_ {
        (0..self.len()).map(|group| self.group(group))
    }
}

/// What costs beyond the tests themselves the planner is told about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Costs {
    /// Fixed setup of every shard (`--shard-overhead`).
    pub shard_overhead: Micros,
    /// Setup cost of each group (measured from reports, plus
    /// `--group-overhead`).
    pub setups: GroupSetups,
    /// Whether a class or file bigger than a shard's mean load may be split
    /// into its tests (`--split-large`).
    pub split_large: bool,
    /// Tests running at once (`--concurrency`, else learned): every test's
    /// duration and measured setup is divided by it, so that items and
    /// predictions are wall time. The shard overhead and the per-group
    /// extra are wall time already.
    pub concurrency: Concurrency,
    /// Whether the runner runs a group's tests one after another in one
    /// worker ([`Chains::by_group`]).
    pub serial_groups: bool,
    /// Whether a group may be split over shards to shorten its chain
    /// ([`Chains::split`]).
    pub split_chains: bool,
}

/// What a runner that keeps several tests running at once cannot spread
/// over its workers. Items weigh their time divided by the concurrency,
/// as if every worker stayed busy to the end; but a test holds one worker
/// for all of its time, and a go package's tests run one after another in
/// its test binary (a jest or vitest file's in one worker). So a shard
/// whose longest such chain takes longer than its share takes that long:
/// gjson's 10.5 s package (one 6 s test) set a go shard of eight at 11 s
/// where its share was 7.5 s. Plans predict it ([`Shard::chain`]);
/// planners balance the shares, then `best` moves chains' tests where
/// that lowers the heaviest shard, where [`Chains::split`] ([`relief`]).
/// (jest and vitest name whole files, one item a group, so their chains
/// cannot be split.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chains {
    /// The concurrency items' durations were divided by.
    pub concurrency: Concurrency,
    /// Whether a group's items on one shard form one chain (with the
    /// group's setup before them); else each item (with its group's setup)
    /// is a chain of its own.
    pub by_group: bool,
    /// Whether a group split over shards runs its part on each beside the
    /// shard's other groups, in the same launch, so that `best` may move
    /// chains' tests ([`relief`]). Not so for go with a catch-all, which
    /// runs a split package in a `go test` of its own, after the rest: its
    /// chain adds to the shard's time there rather than overlapping it.
    pub split: bool,
}

impl Chains {
    /// The time a chain of `group`'s items takes, one at a time, whose
    /// items' durations sum to `wall` (wall time, as items hold them):
    /// their test time and the group's setup.
    pub fn of_group(self, problem: &Problem, group: usize, wall: Micros) -> Micros {
        let setup = problem
            .chain_setups
            .get(group)
            .copied()
            .unwrap_or_else(|| self.concurrency.serial(problem.groups[group].setup));
        self.concurrency.serial(wall).saturating_add(setup)
    }

    /// The longest chain of the items `items` (indexes into `problem`'s),
    /// in test time, one at a time: `(its group, its time)`; ties go to
    /// the group first in key order.
    fn longest(self, problem: &Problem, items: &[usize]) -> Option<(usize, Micros)> {
        let chain = |group: usize, wall: Micros| (group, self.of_group(problem, group, wall));
        let longer = |a: (usize, Micros), b: (usize, Micros)| {
            if b.1 > a.1 || (b.1 == a.1 && b.0 < a.0) {
                b
            } else {
                a
            }
        };
        if !self.by_group {
            return items
                .iter()
                .map(|&i| chain(problem.items[i].group_index(), problem.items[i].duration))
                .reduce(longer);
        }
        let mut by_group: Vec<(usize, Micros)> = items
            .iter()
            .map(|&i| (problem.items[i].group_index(), problem.items[i].duration))
            .collect();
        by_group.sort_unstable_by_key(|&(group, _)| group);
        by_group
            .chunk_by(|a, b| a.0 == b.0)
            .map(|run| chain(run[0].0, run.iter().map(|&(_, d)| d).sum()))
            .reduce(longer)
    }
}

/// Builds the planning problem: the suite grouped into items at granularity
/// `by`, each in its file group with that group's setup cost.
///
/// With `costs.split_large` at class or file granularity, an item whose
/// duration plus setup exceeds the mean shard load (everything divided by
/// `shards`) is replaced by its tests: they may then spread over several
/// shards, each paying the group's setup.
pub fn problem(suite: &Suite, by: Granularity, shards: usize, costs: &Costs) -> Problem {
    let shards = shards.max(1);
    // Items hold their group and test count in 32 bits; neither is more
    // than the tests.
    assert!(
        u32::try_from(suite.tests.len()).is_ok(),
        "fewer than 2^32 tests"
    );
    let (groups, group_of_place) = groups_of(suite, costs);
    let group_of = |index: usize| group_of_place[suite.tests[index].place as usize];
    // Items are built from (test index, granularity).
    let test_item = |index: usize, granularity: Granularity| Item {
        granularity,
        duration: costs.concurrency.wall(suite.tests[index].duration),
        group: group_of(index),
    };
    let key_of =
        |index: usize, granularity: Granularity| suite.id(index).key_text(granularity).clone();
    let estimated = |index: usize| suite.source(index) == Source::Estimated;
    // Each test's item, by index into `items` as they are built; none
    // while test `i` is item `i`.
    let mut item_of_test = Vec::new();
    let mut counts = Vec::new();
    let (mut items, mut keys): (Vec<Item>, Rc<Vec<Text>>) = if by == Granularity::Test {
        // The suite is sorted by native id and holds each test once: its
        // native ids are the keys.
        if !suite.estimate_basis.is_empty() {
            counts = (0..suite.tests.len())
                .map(|i| ItemCounts::test(estimated(i)))
                .collect();
        }
        let items = (0..suite.tests.len())
            .map(|i| test_item(i, Granularity::Test))
            .collect();
        (items, Rc::clone(&suite.natives))
    } else {
        item_of_test = vec![0; suite.tests.len()];
        // Only looked up while grouping; the result is sorted below.
        let mut merged: HashMap<&str, (Text, Item, ItemCounts, Vec<usize>)> = HashMap::new();
        for (index, test) in suite.tests.iter().enumerate() {
            match merged.get_mut(suite.id(index).key(by)) {
                Some((_, item, counts, members)) => {
                    item.duration = item
                        .duration
                        .saturating_add(costs.concurrency.wall(test.duration));
                    counts.tests += 1;
                    counts.estimated += u32::from(estimated(index));
                    // A class spread over files (rare) is filed under the
                    // first of them in key order, whatever the input order.
                    item.group = item.group.min(group_of(index));
                    members.push(index);
                }
                None => {
                    let item = test_item(index, by);
                    let counts = ItemCounts::test(estimated(index));
                    merged.insert(
                        suite.id(index).key(by),
                        (key_of(index, by), item, counts, vec![index]),
                    );
                }
            }
        }
        let mut merged: Vec<(Text, Item, ItemCounts, Vec<usize>)> = merged.into_values().collect();
        merged.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let threshold = costs
            .split_large
            .then(|| split_threshold(&merged, &groups, shards));
        let mut items = Vec::with_capacity(merged.len());
        let mut keys = Vec::with_capacity(merged.len());
        for (key, item, item_counts, members) in merged {
            let whole = item
                .duration
                .saturating_add(groups[item.group_index()].setup);
            if threshold.is_some_and(|threshold| whole > threshold) && members.len() > 1 {
                for &t in &members {
                    item_of_test[t] = items.len();
                    items.push(Item {
                        group: item.group,
                        ..test_item(t, Granularity::Test)
                    });
                    keys.push(key_of(t, Granularity::Test));
                    counts.push(ItemCounts::test(estimated(t)));
                }
            } else {
                for &t in &members {
                    item_of_test[t] = items.len();
                }
                items.push(item);
                keys.push(key);
                counts.push(item_counts);
            }
        }
        (items, Rc::new(keys))
    };
    let order = |keys: &[Text], items: &[Item], a: usize, b: usize| {
        keys[a]
            .cmp(&keys[b])
            .then_with(|| items[a].granularity.cmp(&items[b].granularity))
    };
    // Tests come sorted already; only merged or split items need sorting.
    if !(1..items.len()).all(|i| order(&keys, &items, i - 1, i).is_le()) {
        let mut sorted: Vec<usize> = (0..items.len()).collect();
        sorted.sort_unstable_by(|&a, &b| order(&keys, &items, a, b));
        if item_of_test.is_empty() {
            item_of_test = (0..items.len()).collect();
        }
        let mut rank = vec![0; items.len()];
        for (new, &old) in sorted.iter().enumerate() {
            rank[old] = new;
        }
        items = sorted.iter().map(|&old| items[old]).collect();
        keys = Rc::new(sorted.iter().map(|&old| keys[old].clone()).collect());
        if !counts.is_empty() {
            counts = sorted.iter().map(|&old| counts[old]).collect();
        }
        item_of_test.iter_mut().for_each(|item| *item = rank[*item]);
    }
    let mut problem = Problem {
        items,
        keys,
        groups,
        shards,
        shard_overhead: costs.shard_overhead,
        item_of_test,
        counts,
        chains: (costs.concurrency.0 > 1000).then_some(Chains {
            concurrency: costs.concurrency,
            by_group: costs.serial_groups,
            split: costs.split_chains,
        }),
        chain_setups: Vec::new(),
        bound: None,
    };
    if problem.chains.is_some() {
        problem.chain_setups = problem
            .groups
            .iter()
            .map(|group| costs.setups.setup(&group.key))
            .collect();
    }
    problem.bound = Some(lower_bound(&problem));
    problem
}

/// The suite's groups (file keys) sorted by key with their setups, and
/// the group index of each of its [`Suite::places`].
fn groups_of(suite: &Suite, costs: &Costs) -> (Vec<Group>, Vec<u32>) {
    // Indexes in first-seen order; the hash map is only looked up. Places
    // come in test order, so a file's are mostly adjacent: the last lookup
    // is remembered.
    let mut index: HashMap<&str, u32> = HashMap::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut first_seen: Vec<u32> = Vec::with_capacity(suite.places.len());
    let mut last: Option<(&str, u32)> = None;
    for place in &suite.places {
        let file = place.file.as_str();
        let i = match last {
            Some((f, i)) if f == file => i,
            _ => *index.entry(file).or_insert_with(|| {
                seen.push(file);
                (seen.len() - 1) as u32
            }),
        };
        last = Some((file, i));
        first_seen.push(i);
    }
    let mut order: Vec<usize> = (0..seen.len()).collect();
    order.sort_unstable_by_key(|&i| seen[i]);
    let mut rank = vec![0; seen.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r as u32;
    }
    let groups = order
        .iter()
        .map(|&i| Group {
            key: seen[i].to_string(),
            setup: costs.setups.setup_at(seen[i], costs.concurrency),
        })
        .collect();
    (
        groups,
        first_seen.into_iter().map(|i| rank[i as usize]).collect(),
    )
}

/// The mean shard load when every group's setup is paid once: a class or
/// file above it would hold up its shard on its own.
fn split_threshold(
    merged: &[(Text, Item, ItemCounts, Vec<usize>)],
    groups: &[Group],
    shards: usize,
) -> Micros {
    let tests: u128 = merged
        .iter()
        .map(|(_, i, _, _)| u128::from(i.duration))
        .sum();
    let setups: u128 = groups.iter().map(|g| u128::from(g.setup)).sum();
    ((tests + setups).div_ceil(shards as u128)) as Micros
}

/// A bin-packing algorithm.
pub trait Planner {
    /// Name used in the summary and the fingerprint.
    fn name(&self) -> &'static str;
    /// Returns, for each item of `problem`, the index of the shard it goes
    /// to. Fails only when the algorithm refuses the problem (too big for an
    /// exact solver), with a message saying what to do instead.
    fn assign(&self, problem: &Problem) -> Result<Vec<usize>>;
}

/// The algorithms `--algorithm` offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// Longest processing time first: heaviest first, each item (or whole
    /// group with a setup cost) to the shard where it finishes earliest.
    Lpt,
    /// LPT, largest differencing and bounded exact search, then moves,
    /// swaps and re-partitioning of shard pairs; never worse than lpt.
    Best,
    /// An exact integer program asked to beat best's plan; for a few dozen
    /// items. Keeps best's plan unless the solver finds a better one within
    /// --ilp-nodes (deterministic, the default budget; a time limit is not).
    Ilp,
}

impl Choice for Algorithm {
    const ALL: &'static [Algorithm] = &[Algorithm::Lpt, Algorithm::Best, Algorithm::Ilp];

    fn name(self) -> &'static str {
        match self {
            Algorithm::Lpt => "lpt",
            Algorithm::Best => "best",
            Algorithm::Ilp => "ilp",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Algorithm::Lpt => {
                "Longest processing time first: heaviest first, each item (or whole group with a setup cost) to the shard where it finishes earliest"
            }
            Algorithm::Best => {
                "LPT, largest differencing and bounded exact search, then moves, swaps and re-partitioning of shard pairs; never worse than lpt"
            }
            Algorithm::Ilp => {
                "An exact integer program asked to beat best's plan; for a few dozen items. Keeps best's plan unless the solver finds a better one within --ilp-nodes (deterministic, the default budget; a time limit is not)"
            }
        }
    }
}

impl Algorithm {
    /// The implementation behind the name, with default settings.
    pub fn planner(self) -> Box<dyn Planner> {
        self.planner_with(&ilp::Budget::default())
    }

    /// The implementation behind the name; `ilp` uses `budget`.
    pub fn planner_with(self, budget: &ilp::Budget) -> Box<dyn Planner> {
        match self {
            Algorithm::Lpt => Box::new(lpt::Lpt),
            Algorithm::Best => Box::new(best::Best),
            Algorithm::Ilp => Box::new(ilp::Ilp {
                budget: budget.clone(),
            }),
        }
    }
}

/// One shard of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// Indexes into the plan's items, in key order.
    pub items: Vec<usize>,
    /// Predicted duration: shard overhead + items + setups of the groups
    /// it touches.
    pub load: Micros,
    /// The part of `load` that is group setup.
    pub setup: Micros,
    /// The group whose tests, holding one worker one after another, set
    /// `load` rather than the shard's share of its workers' time
    /// ([`Chains`]); `None` when the share is the longer.
    pub chain: Option<usize>,
}

/// Every item placed on exactly one shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The problem that was solved.
    pub problem: Problem,
    /// The shards, by index.
    pub shards: Vec<Shard>,
}

impl Plan {
    /// Runs `planner` and checks its answer: an assignment that loses or
    /// invents an item is a bug, and a wrong plan must never be printed.
    pub fn build(problem: Problem, planner: &dyn Planner) -> Result<Plan> {
        assert!(problem.shards >= 1, "a plan needs at least one shard");
        let assignment = planner.assign(&problem)?;
        Ok(Plan::from_assignment(problem, &assignment, planner.name()))
    }

    /// The plan an assignment describes, checked to hold every item exactly
    /// once on an existing shard.
    pub fn from_assignment(problem: Problem, assignment: &[usize], planner: &str) -> Plan {
        assert_eq!(problem.keys.len(), problem.items.len(), "one key per item");
        assert_eq!(
            assignment.len(),
            problem.items.len(),
            "planner {planner} must assign every item exactly once"
        );
        let mut sizes = vec![0; problem.shards];
        for &shard in assignment {
            assert!(
                shard < problem.shards,
                "planner {planner} used shard {shard}"
            );
            sizes[shard] += 1;
        }
        // Sized first: a million items pushed would leave grown-out
        // copies behind.
        let mut shards: Vec<Shard> = sizes
            .into_iter()
            .map(|size| Shard {
                items: Vec::with_capacity(size),
                load: problem.shard_overhead,
                setup: 0,
                chain: None,
            })
            .collect();
        for (item, &shard) in assignment.iter().enumerate() {
            shards[shard].items.push(item);
        }
        for (shard, setup) in shards.iter_mut().zip(setups_paid(&problem, assignment)) {
            shard.setup += setup;
        }
        for shard in &mut shards {
            let durations: Micros = shard.items.iter().map(|&i| problem.items[i].duration).sum();
            shard.load = shard
                .load
                .saturating_add(durations)
                .saturating_add(shard.setup);
            if let Some(chains) = problem.chains
                && let Some((group, chain)) = chains.longest(&problem, &shard.items)
                && problem.shard_overhead.saturating_add(chain) > shard.load
            {
                shard.load = problem.shard_overhead.saturating_add(chain);
                shard.chain = Some(group);
            }
        }
        Plan { problem, shards }
    }

    /// The items, sorted by key.
    pub fn items(&self) -> &[Item] {
        &self.problem.items
    }

    /// The distinct groups a shard runs, on average over the shards, in
    /// thousandths: the size a cost model learned from shards compares
    /// with ([`crate::learned::GroupRange::is_other_size`]).
    pub fn milli_groups_per_shard(&self) -> u64 {
        let total: usize = self
            .shards
            .iter()
            .map(|shard| {
                let mut groups: Vec<u32> = shard
                    .items
                    .iter()
                    .map(|&i| self.problem.items[i].group)
                    .collect();
                groups.sort_unstable();
                groups.dedup();
                groups.len()
            })
            .sum();
        (total as u64).saturating_mul(1000) / self.shards.len().max(1) as u64
    }

    /// Sum of all items' durations, without setup costs.
    pub fn total(&self) -> Micros {
        self.problem.items.iter().map(|i| i.duration).sum()
    }

    /// Group setup paid over all shards.
    pub fn setup_paid(&self) -> Micros {
        self.shards.iter().map(|s| s.setup).sum()
    }

    /// The predicted duration of the slowest shard.
    pub fn makespan(&self) -> Micros {
        self.shards.iter().map(|s| s.load).max().unwrap_or(0)
    }

    /// No plan can finish before this; see [`Bound`].
    pub fn lower_bound(&self) -> Bound {
        self.problem.lower_bound()
    }

    /// How far the plan is above the lower bound (1.0 is optimal).
    pub fn ratio(&self) -> f64 {
        self.ratio_to(self.lower_bound())
    }

    /// [`Plan::ratio`] given the plan's [`Plan::lower_bound`], for a caller
    /// that has it already: at a million items the bound sorts them all.
    pub fn ratio_to(&self, bound: Bound) -> f64 {
        let bound = bound.value;
        if bound == 0 {
            1.0
        } else {
            self.makespan() as f64 / bound as f64
        }
    }

    /// Each item's shard, by item index.
    pub fn assignment(&self) -> Vec<usize> {
        let mut assignment = vec![0; self.problem.items.len()];
        for (index, shard) in self.shards.iter().enumerate() {
            for &item in &shard.items {
                assignment[item] = index;
            }
        }
        assignment
    }

    /// Each shard's groups, longest first: by what the shard is predicted
    /// to spend in each (its items there and the group's setup), then by
    /// key. A runner that starts groups in the order it is given them (`go
    /// test` builds, links and runs packages in argument order, up to `-p`
    /// at once) finishes sooner when the longest start first, as LPT packs
    /// its workers: a 2.8 s package listed last ran after every other and
    /// held its shard 2 s past them.
    pub fn groups_longest_first(&self) -> Vec<Vec<&str>> {
        let groups = &self.problem.groups;
        // Time per group on the shard at hand, and the groups it touched.
        let mut spent: Vec<Option<Micros>> = vec![None; groups.len()];
        let mut touched = Vec::new();
        self.shards
            .iter()
            .map(|shard| {
                for &item in &shard.items {
                    let item = &self.problem.items[item];
                    let time = spent[item.group_index()].get_or_insert_with(|| {
                        touched.push(item.group_index());
                        groups[item.group_index()].setup
                    });
                    *time = time.saturating_add(item.duration);
                }
                let mut order: Vec<(Micros, &str)> = touched
                    .drain(..)
                    .map(|g| (spent[g].take().unwrap_or(0), groups[g].key.as_str()))
                    .collect();
                order.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
                order.into_iter().map(|(_, key)| key).collect()
            })
            .collect()
    }

    /// The keys of one shard's items, in key order.
    pub fn keys(&self, shard: usize) -> Vec<String> {
        self.key_texts(shard).iter().map(Text::to_string).collect()
    }

    /// [`Plan::keys`] as the items' own shared text, not copies.
    pub fn key_texts(&self, shard: usize) -> Vec<Text> {
        self.shards[shard]
            .items
            .iter()
            .map(|&i| self.problem.keys[i].clone())
            .collect()
    }
}

/// The group setups an assignment pays, by shard: each group's setup once
/// on every shard that runs any of its items. Up to 64 shards a bit set
/// of shards per group marks them, so nothing is sorted or listed; beyond,
/// the (group, shard) pairs are sorted.
pub(crate) fn setups_paid(problem: &Problem, assignment: &[usize]) -> Vec<Micros> {
    let group_of = |item: usize| problem.items[item].group_index();
    let mut paid = vec![0; problem.shards];
    // Without a setup anywhere there is nothing to pay: a million items
    // need not be walked.
    if !problem.has_setups() {
        return paid;
    }
    if problem.shards <= 64 {
        let mut seen = vec![0u64; problem.groups.len()];
        for (item, &shard) in assignment.iter().enumerate() {
            let group = group_of(item);
            if seen[group] & (1 << shard) == 0 {
                seen[group] |= 1 << shard;
                paid[shard] += problem.groups[group].setup;
            }
        }
        return paid;
    }
    let mut pairs: Vec<(usize, usize)> = assignment
        .iter()
        .enumerate()
        .map(|(item, &shard)| (group_of(item), shard))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    for (group, shard) in pairs {
        paid[shard] += problem.groups[group].setup;
    }
    paid
}

/// Which argument gives a [`Bound`] its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundReason {
    /// All work (tests plus every group's setup once) spread evenly.
    Average,
    /// The largest item plus its group's setup.
    LargestItem,
    /// Pigeonhole: of the `k·N + 1` largest items, some shard runs `k + 1`.
    Pigeonhole,
    /// A group too big for one shard is split, and every piece pays its
    /// setup: the average with those extra setups counted.
    GroupSplits,
}

impl BoundReason {
    /// How the summary names the argument.
    pub fn describe(self) -> &'static str {
        match self {
            BoundReason::Average => "total/N",
            BoundReason::LargestItem => "largest item",
            BoundReason::Pigeonhole => "k+1 of the kN+1 largest items share a shard",
            BoundReason::GroupSplits => "total/N with the setups of groups too big for one shard",
        }
    }
}

/// A makespan no assignment can beat, and the argument that gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// The bound, shard overhead included.
    pub value: Micros,
    /// Which argument gives it.
    pub reason: BoundReason,
}

/// The best of three lower bounds on the makespan, plus the shard overhead:
///
/// * average: every group's setup is paid at least once, so some shard
///   carries at least `ceil((Σ durations + Σ setups) / N)`;
/// * largest item: an item's shard also pays its group's setup;
/// * pigeonhole: with items sorted by duration descending, for every
///   `k ≥ 1` with `k·N + 1 ≤ n`, some shard runs `k + 1` of the `k·N + 1`
///   largest items, so at least the `k + 1` smallest of those. For a few
///   items per shard this beats the average (9 equal items on 8 shards:
///   2 items, not 9/8);
/// * group splits: the smallest `M` at or above the others for which a plan
///   of makespan `M` is not ruled out by counting setups. In such a plan the
///   items of group `g` that one shard runs sum to at most `M − setup(g)`
///   (the shard pays the setup too), so the group is cut into at least
///   [`min_pieces`]`(g, M − setup(g))` pieces, each on its own shard, each
///   paying the setup; that needs at most `N` pieces, and all work, these
///   setups included, at most `N·M`. Fewer pieces are needed as `M` grows,
///   so the plans not ruled out are those at or above a threshold, found by
///   bisection. It beats the average when a group is too big for one shard:
///   eight 40s tests with a 4s setup on shards of at most 79s cannot pair
///   up, so they pay the setup eight times.
pub fn lower_bound(problem: &Problem) -> Bound {
    let shards = problem.shards.max(1);
    let items = &problem.items;
    // Each group with an item is set up at least once.
    let mut used = vec![false; problem.groups.len()];
    for item in items {
        used[item.group_index()] = true;
    }
    let total: u128 = items.iter().map(|i| u128::from(i.duration)).sum::<u128>()
        + problem
            .groups
            .iter()
            .zip(&used)
            .filter(|(_, used)| **used)
            .map(|(g, _)| u128::from(g.setup))
            .sum::<u128>();
    let mut best = Bound {
        value: total.div_ceil(shards as u128) as Micros,
        reason: BoundReason::Average,
    };
    let mut consider = |value: Micros, reason: BoundReason| {
        if value > best.value {
            best = Bound { value, reason };
        }
    };
    let largest = items
        .iter()
        .map(|i| {
            i.duration
                .saturating_add(problem.groups[i.group_index()].setup)
        })
        .max()
        .unwrap_or(0);
    consider(largest, BoundReason::LargestItem);
    if items.len() > shards {
        // Durations under 71 minutes each (nearly always) are sorted as 32
        // bits, by radix: half the memory, and half the time of a
        // comparison sort at a million.
        let pigeonhole = if largest <= Micros::from(u32::MAX) {
            let mut durations: Vec<u32> = items.iter().map(|i| i.duration as u32).collect();
            radix_sort_descending(&mut durations);
            pigeonhole_bound(&durations, shards)
        } else {
            let mut durations: Vec<Micros> = items.iter().map(|i| i.duration).collect();
            durations.sort_unstable_by(|a, b| b.cmp(a));
            pigeonhole_bound(&durations, shards)
        };
        consider(pigeonhole, BoundReason::Pigeonhole);
    }
    if let Some(value) = group_split_bound(problem, total, best.value) {
        best = Bound {
            value,
            reason: BoundReason::GroupSplits,
        };
    }
    best.value = best.value.saturating_add(problem.shard_overhead);
    best
}

/// The pigeonhole bound of [`lower_bound`] over `durations`, sorted
/// largest first: the most any `k + 1` of the `k·N + 1` largest can take
/// together, as some shard runs that many of them.
fn pigeonhole_bound<D: Copy + Into<u128>>(durations: &[D], shards: usize) -> Micros {
    let mut bound = 0;
    // Both ends of the window only move forward with k, so two running
    // prefix sums do without an array of them all.
    let (mut below, mut below_end) = (0u128, 0);
    let (mut upto, mut upto_end) = (0u128, 0);
    let mut k = 1;
    while k * shards < durations.len() {
        // The k + 1 smallest of the k·N + 1 largest: indexes
        // k·N − k ..= k·N (0-based).
        let last = k * shards;
        for &d in &durations[upto_end..=last] {
            upto += d.into();
        }
        upto_end = last + 1;
        for &d in &durations[below_end..last - k] {
            below += d.into();
        }
        below_end = last - k;
        bound = bound.max((upto - below) as Micros);
        k += 1;
    }
    bound
}

/// Sorts `values` largest first: a least-significant-digit radix sort, a
/// byte a pass, counting all four digits in one look and skipping a pass
/// whose digit every value shares. (Sixteen-bit digits took half again as
/// long at a million: 65,536 places written at once scatter.)
fn radix_sort_descending(values: &mut Vec<u32>) {
    // Largest first is smallest first of the complements.
    let digit = |value: u32, pass: usize| (!value >> (8 * pass)) as usize & 0xff;
    let mut counts = [[0usize; 256]; 4];
    for &value in values.iter() {
        for (pass, counts) in counts.iter_mut().enumerate() {
            counts[digit(value, pass)] += 1;
        }
    }
    let mut scratch = vec![0u32; values.len()];
    for (pass, counts) in counts.iter().enumerate() {
        if counts.contains(&values.len()) {
            continue;
        }
        let mut starts = [0usize; 256];
        let mut at = 0;
        for (start, &count) in starts.iter_mut().zip(counts) {
            *start = at;
            at += count;
        }
        for &value in values.iter() {
            let slot = &mut starts[digit(value, pass)];
            scratch[*slot] = value;
            *slot += 1;
        }
        std::mem::swap(values, &mut scratch);
    }
}

/// The group-split bound of [`lower_bound`] (shard overhead left out): the
/// smallest makespan above `floor` (itself a lower bound, at least the
/// largest item plus its setup) that setups do not rule out, or `None` if
/// `floor` is not ruled out. `total` is all durations plus every used
/// group's setup once.
fn group_split_bound(problem: &Problem, total: u128, floor: Micros) -> Option<Micros> {
    let shards = problem.shards.max(1) as u128;
    let mut sums = vec![0u128; problem.groups.len()];
    for item in &problem.items {
        sums[item.group_index()] += u128::from(item.duration);
    }
    // Only a group bigger than a shard of `floor` can need two pieces.
    let mut big: Vec<(Micros, u128, Vec<Micros>)> = Vec::new();
    let mut index = vec![usize::MAX; problem.groups.len()];
    for (g, group) in problem.groups.iter().enumerate() {
        if group.setup > 0 && sums[g] + u128::from(group.setup) > u128::from(floor) {
            index[g] = big.len();
            big.push((group.setup, sums[g], Vec::new()));
        }
    }
    if big.is_empty() {
        return None;
    }
    for item in &problem.items {
        if let Some(entry) = big.get_mut(index[item.group_index()]) {
            entry.2.push(item.duration);
        }
    }
    for entry in &mut big {
        entry.2.sort_unstable_by(|a, b| b.cmp(a));
    }
    // Whether setups leave room for a plan of makespan `m`.
    let possible = |m: Micros| {
        let mut work = total;
        for (setup, sum, durations) in &big {
            if sum + u128::from(*setup) <= u128::from(m) {
                continue;
            }
            match min_pieces(durations, *sum, m.saturating_sub(*setup)) {
                Some(k) if k as u128 <= shards => work += (k as u128 - 1) * u128::from(*setup),
                _ => return false,
            }
        }
        work <= shards * u128::from(m)
    };
    if possible(floor) {
        return None;
    }
    // Every group fits whole at `high`, and the average is below `floor`.
    let (mut low, mut high) = (floor, floor);
    for (setup, sum, _) in &big {
        high = high.max((sum + u128::from(*setup)).min(u128::from(Micros::MAX)) as Micros);
    }
    // `low` is ruled out, `high` is not.
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if possible(mid) {
            high = mid;
        } else {
            low = mid;
        }
    }
    Some(high)
}

/// The fewest pieces, each summing to at most `capacity`, that items of
/// `durations` (sorted descending, summing to `sum`) can be cut into; `None`
/// if an item alone exceeds `capacity`.
///
/// Two counting arguments: the pieces hold `sum` in total, so there are at
/// least `sum / capacity` of them; and the `j + 1` largest items each last
/// at least `durations[j]`, so a piece holds at most
/// `capacity / durations[j]` of them.
pub fn min_pieces(durations: &[Micros], sum: u128, capacity: Micros) -> Option<usize> {
    if durations.first().is_some_and(|&d| d > capacity) {
        return None;
    }
    if sum == 0 {
        return Some(1);
    }
    let mut pieces = sum.div_ceil(u128::from(capacity)) as usize;
    for (j, &d) in durations.iter().enumerate() {
        if d == 0 {
            break;
        }
        let per_piece = (capacity / d) as usize;
        // Later items are no heavier, so as many fit a piece: `pieces`
        // pieces hold them all and no later count can exceed it.
        if per_piece.saturating_mul(pieces) >= durations.len() {
            break;
        }
        pieces = pieces.max((j + 1).div_ceil(per_piece));
    }
    Some(pieces.max(1))
}

/// A short hash of everything the plan depends on, printed by every shard so
/// that shards planned from different inputs can be told apart.
pub fn fingerprint(parameters: &[(&str, &str)], problem: &Problem) -> String {
    let mut hasher = Sha256::new();
    for (name, value) in parameters {
        hasher.update(format!("{name}={value}\n"));
    }
    hasher.update(format!(
        "shards={}\nshard_overhead={}\n",
        problem.shards, problem.shard_overhead
    ));
    for group in &problem.groups {
        hasher.update(group.key.as_bytes());
        hasher.update(b"\t");
        hasher.update(group.setup.to_le_bytes());
        hasher.update(b"\n");
    }
    // Each item's line is written to a buffer hashed 64 KB at a time: a
    // million items were six million calls to `update`.
    let mut buffer: Vec<u8> = Vec::with_capacity(1 << 16);
    for (item, key) in problem.items.iter().zip(problem.keys.iter()) {
        buffer.extend_from_slice(key.as_bytes());
        buffer.push(b'\t');
        buffer.extend_from_slice(item.granularity.name().as_bytes());
        buffer.push(b'\t');
        buffer.extend_from_slice(&item.duration.to_le_bytes());
        buffer.extend_from_slice(&u64::from(item.group).to_le_bytes());
        buffer.push(b'\n');
        if buffer.len() >= 1 << 16 {
            hasher.update(&buffer);
            buffer.clear();
        }
    }
    hasher.update(&buffer);
    short_hex(hasher)
}

/// The first 8 bytes of a SHA-256 digest in hex: short enough to print on
/// every shard, long enough that two different inputs do not collide.
pub(crate) fn short_hex(hasher: Sha256) -> String {
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::emit::TestId;

    /// A problem whose items are grouped: `(key, duration, group key)`, with
    /// setups per group key.
    pub(crate) fn grouped(
        items: &[(&str, Micros, &str)],
        setups: &[(&str, Micros)],
        shards: usize,
    ) -> Problem {
        let setups: BTreeMap<&str, Micros> = setups.iter().copied().collect();
        let mut keys: Vec<&str> = items.iter().map(|i| i.2).collect();
        keys.sort_unstable();
        keys.dedup();
        let groups: Vec<Group> = keys
            .iter()
            .map(|k| Group {
                key: k.to_string(),
                setup: setups.get(k).copied().unwrap_or(0),
            })
            .collect();
        let items = items
            .iter()
            .map(|&(key, duration, group)| {
                Item::test(key, duration, keys.binary_search(&group).unwrap())
            })
            .collect();
        Problem::new(items, groups, shards)
    }

    /// Two files, f and g, of two 10s tests each with a 30s setup, on two
    /// shards: a file per shard takes 50s; splitting both, 80s.
    pub(crate) fn two_files_with_heavy_setups() -> Problem {
        grouped(
            &[
                ("a", 10, "f"),
                ("b", 10, "f"),
                ("c", 10, "g"),
                ("d", 10, "g"),
            ],
            &[("f", 30), ("g", 30)],
            2,
        )
    }

    /// One file of four 10s tests with a 5s setup, on two shards: split
    /// 2 + 2, 25s each.
    pub(crate) fn one_file_worth_splitting() -> Problem {
        grouped(
            &[
                ("a", 10, "f"),
                ("b", 10, "f"),
                ("c", 10, "f"),
                ("d", 10, "f"),
            ],
            &[("f", 5)],
            2,
        )
    }

    /// File f of three 10s tests with a setup of `setup`, beside one test
    /// of `beside` in file g, on two shards.
    pub(crate) fn three_tests_beside_one(setup: Micros, beside: Micros) -> Problem {
        grouped(
            &[
                ("a", 10, "f"),
                ("b", 10, "f"),
                ("c", 10, "f"),
                ("d", beside, "g"),
            ],
            &[("f", setup)],
            2,
        )
    }

    fn test(native: &str, class: &str, file: &str, duration: Micros) -> (TestId, Micros) {
        let id = TestId {
            native: native.into(),
            class: class.into(),
            file: file.into(),
        };
        (id, duration)
    }

    #[test]
    fn radix_sort_puts_the_largest_first_as_a_comparison_sort_does() {
        // A small deterministic generator: values spread over every digit,
        // with repeats, both ends of the range, and one shared high digit.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let cases: Vec<Vec<u32>> = vec![
            Vec::new(),
            vec![7],
            vec![0, u32::MAX, 1, u32::MAX - 1, 0, 65_535, 65_536],
            (0..5_000).map(|_| next() as u32).collect(),
            (0..5_000).map(|_| (next() % 1_000) as u32).collect(),
            (0..5_000)
                .map(|_| 0x0007_0000 | (next() as u32 & 0xffff))
                .collect(),
        ];
        for mut values in cases {
            let mut expected = values.clone();
            expected.sort_unstable_by(|a, b| b.cmp(a));
            radix_sort_descending(&mut values);
            assert_eq!(values, expected);
            let wide: Vec<Micros> = expected.iter().map(|&d| Micros::from(d)).collect();
            for shards in [1, 2, 3, 8] {
                assert_eq!(
                    pigeonhole_bound(&expected, shards),
                    pigeonhole_bound(&wide, shards)
                );
            }
        }
    }

    #[test]
    fn lower_bound_is_average_largest_item_or_pigeonhole() {
        let p = Problem::plain(&[("a", 10), ("b", 1), ("c", 1)], 2);
        assert_eq!(p.lower_bound().value, 10);
        assert_eq!(p.lower_bound().reason, BoundReason::LargestItem);
        let p = Problem::plain(&[("a", 3), ("b", 3), ("c", 3)], 2);
        // Average 4.5 -> 5, but two of three items share a shard: 6.
        assert_eq!(p.lower_bound().value, 6);
        assert_eq!(p.lower_bound().reason, BoundReason::Pigeonhole);
        let p = Problem::plain(&[("a", 4), ("b", 4), ("c", 4), ("d", 4)], 3);
        assert_eq!(p.lower_bound().value, 8);
        let p = Problem::plain(&[("a", 6), ("b", 6), ("c", 6), ("d", 6)], 2);
        assert_eq!(p.lower_bound().value, 12);
        assert_eq!(p.lower_bound().reason, BoundReason::Average);
        assert_eq!(Problem::plain(&[], 4).lower_bound().value, 0);
    }

    #[test]
    fn lower_bound_counts_setups_and_shard_overhead() {
        let mut p = grouped(
            &[("a", 10, "f"), ("b", 10, "f"), ("c", 10, "g")],
            &[("f", 5), ("g", 1)],
            3,
        );
        // Largest item plus its group's setup.
        assert_eq!(p.lower_bound().value, 15);
        p.shard_overhead = 100;
        assert_eq!(p.lower_bound().value, 115);
        let p = grouped(&[("a", 1, "f"), ("b", 1, "g")], &[("f", 9), ("g", 9)], 1);
        assert_eq!(p.lower_bound().value, 20);
    }

    #[test]
    fn groups_come_longest_first_with_their_setups_then_by_key() {
        let p = grouped(
            &[
                ("a1", 3, "a"),
                ("a2", 3, "a"),
                ("b1", 5, "b"),
                ("c1", 2, "c"),
                ("d1", 6, "d"),
            ],
            &[("a", 0), ("b", 0), ("c", 4), ("d", 0)],
            2,
        );
        // a, b and c on shard 0: a 6, b 5, c 2 + 4 = 6 (a before c by key).
        let plan = Plan::from_assignment(p, &[0, 0, 0, 0, 1], "test");
        assert_eq!(
            plan.groups_longest_first(),
            [vec!["a", "c", "b"], vec!["d"]]
        );
        // A group split across shards counts what each shard runs of it.
        let p = grouped(&[("a1", 3, "a"), ("a2", 9, "a"), ("b1", 5, "b")], &[], 2);
        let plan = Plan::from_assignment(p, &[0, 1, 0], "test");
        assert_eq!(plan.groups_longest_first(), [vec!["b", "a"], vec!["a"]]);
    }

    /// File f of four 40s tests with a 4s setup beside twelve 5s tests
    /// without setup, on four shards.
    pub(crate) fn a_file_bigger_than_a_shard() -> Problem {
        let keys: Vec<String> = (0..16).map(|i| format!("t{i:02}")).collect();
        let items: Vec<(&str, Micros, &str)> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                if i < 4 {
                    (k.as_str(), 40, "f")
                } else {
                    (k.as_str(), 5, k.as_str())
                }
            })
            .collect();
        grouped(&items, &[("f", 4)], 4)
    }

    #[test]
    fn lower_bound_counts_the_setups_of_groups_split_by_size() {
        // Total/N is (160 + 4 + 60) / 4 = 56, but below 84 no shard runs
        // two of f's tests: f pays its setup four times, (224 + 12) / 4.
        let p = a_file_bigger_than_a_shard();
        assert_eq!(p.lower_bound().value, 59);
        assert_eq!(p.lower_bound().reason, BoundReason::GroupSplits);
        // And 59 is reached: 40 + 4 + 3 × 5 on every shard.
        let plan = Plan::build(p, &best::Best).unwrap();
        assert_eq!(plan.makespan(), 59);
        // A group that fits a shard adds nothing.
        let p = grouped(&[("a", 10, "f"), ("b", 10, "g")], &[("f", 5)], 2);
        assert_eq!(p.lower_bound().value, 15);
        assert_eq!(p.lower_bound().reason, BoundReason::LargestItem);
    }

    #[test]
    fn min_pieces_counts_by_total_and_by_the_heaviest_items() {
        // By total: 30 in pieces of 10.
        assert_eq!(min_pieces(&[10, 10, 5, 5], 30, 10), Some(3));
        // By size: 6 + 6 + 6 > 15, however little the rest weighs.
        assert_eq!(min_pieces(&[6, 6, 6, 1], 19, 15), Some(2));
        assert_eq!(min_pieces(&[6, 6, 6, 1], 19, 11), Some(3));
        assert_eq!(min_pieces(&[16, 1], 17, 15), None);
        assert_eq!(min_pieces(&[0, 0], 0, 15), Some(1));
    }

    #[test]
    fn plans_predict_setups_once_per_group_and_shard() {
        let mut p = grouped(
            &[("a", 10, "f"), ("b", 10, "f"), ("c", 10, "g")],
            &[("f", 5), ("g", 1)],
            2,
        );
        p.shard_overhead = 100;
        let plan = Plan::from_assignment(p, &[0, 0, 1], "test");
        assert_eq!(plan.shards[0].load, 100 + 20 + 5);
        assert_eq!(plan.shards[1].load, 100 + 10 + 1);
        assert_eq!(plan.shards[0].setup, 5);
        assert_eq!(plan.setup_paid(), 6);
        let split = Plan::from_assignment(plan.problem.clone(), &[0, 1, 1], "test");
        assert_eq!(split.shards[0].load, 100 + 10 + 5);
        assert_eq!(split.shards[1].load, 100 + 20 + 5 + 1);
    }

    #[test]
    #[should_panic(expected = "exactly once")]
    fn an_assignment_that_loses_an_item_is_refused() {
        let p = Problem::plain(&[("a", 1), ("b", 1)], 2);
        let _ = Plan::from_assignment(p, &[0], "broken");
    }

    #[test]
    fn problem_groups_items_under_their_file_with_its_setup() {
        let suite = Suite::from_tests([
            test("a.py::A::x", "a.py::A", "a.py", 10),
            test("a.py::A::y", "a.py::A", "a.py", 20),
            test("a.py::f", "a.py", "a.py", 5),
            test("b.py::g", "b.py", "b.py", 40),
        ]);
        let costs = Costs {
            shard_overhead: 7,
            setups: GroupSetups::from_measured([("a.py".to_string(), 3)].into(), 1),
            split_large: false,
            concurrency: Concurrency::ONE,
            serial_groups: false,
            split_chains: false,
        };
        let p = problem(&suite, Granularity::Class, 2, &costs);
        let keys: Vec<&str> = p.keys.iter().map(Text::as_str).collect();
        assert_eq!(keys, ["a.py", "a.py::A", "b.py"]);
        assert_eq!({ p.items[1].duration }, 30);
        assert_eq!(p.tests_in(1), 2);
        assert_eq!(p.groups[p.items[1].group_index()].key, "a.py");
        // Measured 3 plus the flag's 1; b.py is unmeasured: the typical
        // (median) measured setup, 3, plus 1.
        assert_eq!(p.groups[0].setup, 4);
        assert_eq!(p.groups[1].setup, 4);
        assert_eq!(p.shard_overhead, 7);
    }

    #[test]
    fn split_large_breaks_only_oversized_classes_or_files() {
        let suite = Suite::from_tests([
            test("big.py::a", "big.py", "big.py", 50),
            test("big.py::b", "big.py", "big.py", 50),
            test("big.py::c", "big.py", "big.py", 50),
            test("small.py::d", "small.py", "small.py", 30),
            test("small.py::e", "small.py", "small.py", 30),
            test("tiny.py::f", "tiny.py", "tiny.py", 10),
        ]);
        let mut costs = Costs::default();
        let whole = problem(&suite, Granularity::File, 3, &costs);
        assert_eq!(whole.items.len(), 3);
        costs.split_large = true;
        let split = problem(&suite, Granularity::File, 3, &costs);
        let keys: Vec<(&str, Granularity)> = split
            .keys
            .iter()
            .zip(&split.items)
            .map(|(key, i)| (key.as_str(), i.granularity))
            .collect();
        assert_eq!(
            keys,
            [
                ("big.py::a", Granularity::Test),
                ("big.py::b", Granularity::Test),
                ("big.py::c", Granularity::Test),
                ("small.py", Granularity::File),
                ("tiny.py", Granularity::File),
            ]
        );
        assert!(split.items[..3].iter().all(|i| i.group == 0));
        // Each test is found in its item: its own, or its file's.
        let items: Vec<usize> = (0..6).map(|t| split.item_of(t)).collect();
        assert_eq!(items, [0, 1, 2, 3, 3, 4]);
        // By test, test i is item i, and nothing is recorded to say so.
        let by_test = problem(&suite, Granularity::Test, 3, &costs);
        assert!(by_test.item_of_test.is_empty());
        assert!((0..6).all(|t| by_test.keys[by_test.item_of(t)] == suite.natives[t]));
    }

    #[test]
    fn fingerprint_changes_with_any_input() {
        let p = Problem::plain(&[("a", 10), ("b", 1)], 2);
        let base = fingerprint(&[("runner", "plain")], &p);
        assert_eq!(base.len(), 16);
        assert_eq!(base, fingerprint(&[("runner", "plain")], &p));
        assert_ne!(base, fingerprint(&[("runner", "go")], &p));
        assert_ne!(
            base,
            fingerprint(
                &[("runner", "plain")],
                &Problem::plain(&[("a", 10), ("b", 2)], 2)
            )
        );
        assert_ne!(
            base,
            fingerprint(
                &[("runner", "plain")],
                &Problem::plain(&[("a", 10), ("b", 1)], 3)
            )
        );
        let mut with_setup = p.clone();
        with_setup.groups[0].setup = 1;
        assert_ne!(base, fingerprint(&[("runner", "plain")], &with_setup));
        let mut with_overhead = p.clone();
        with_overhead.shard_overhead = 1;
        assert_ne!(base, fingerprint(&[("runner", "plain")], &with_overhead));
    }

    /// Two at a time, items weigh half their time: package a's tests take
    /// 6 s and 4 s, b to e one of 2 s each; a's setup is 1 s measured
    /// (0.5 s as planned) plus a 0.3 s extra.
    pub(crate) fn chained(by_group: bool, chain_setups: Vec<Micros>) -> Problem {
        const S: Micros = crate::duration::SECOND;
        let mut groups: Vec<Group> = ["a", "b", "c", "d", "e"]
            .map(|key| Group {
                key: key.to_string(),
                setup: 0,
            })
            .to_vec();
        groups[0].setup = S / 2 + 3 * S / 10;
        let items = vec![
            Item::test("a.1", 3 * S, 0),
            Item::test("a.2", 2 * S, 0),
            Item::test("b", S, 1),
            Item::test("c", S, 2),
            Item::test("d", S, 3),
            Item::test("e", S, 4),
        ];
        let mut problem = Problem::new(items, groups, 2);
        problem.chains = Some(Chains {
            concurrency: Concurrency(2000),
            by_group,
            split: true,
        });
        problem.chain_setups = chain_setups;
        problem
    }

    #[test]
    fn a_shard_is_predicted_at_least_its_longest_chain() {
        const S: Micros = crate::duration::SECOND;
        // a whole on shard 0: a share of 5.8 s, but 11.3 s one after
        // another (its 1 s setup and 10 s of tests, and the extra as it is).
        let whole = [0, 0, 1, 1, 1, 1];
        let setups = vec![S + 3 * S / 10, 0, 0, 0, 0];
        let plan = Plan::from_assignment(chained(true, setups.clone()), &whole, "test");
        assert_eq!(plan.shards[0].load, 11 * S + 3 * S / 10);
        assert_eq!(plan.shards[0].chain, Some(0));
        assert_eq!(plan.shards[0].setup, S / 2 + 3 * S / 10);
        assert_eq!(plan.shards[1].load, 4 * S);
        assert_eq!(plan.shards[1].chain, None);
        // a split: its chain of 6 s + 1.3 s sets shard 0 (a share of
        // 4.8 s); its 4 s + 1.3 s stays below shard 1's share of 5.8 s.
        let split = [0, 1, 0, 1, 1, 1];
        let plan = Plan::from_assignment(chained(true, setups.clone()), &split, "test");
        assert_eq!(plan.shards[0].load, 7 * S + 3 * S / 10);
        assert_eq!(plan.shards[0].chain, Some(0));
        assert_eq!(plan.shards[1].load, 5 * S + 8 * S / 10);
        assert_eq!(plan.shards[1].chain, None);
        // Each test its own chain (nextest): a's 6 s test and its setup.
        let plan = Plan::from_assignment(chained(false, setups), &whole, "test");
        assert_eq!(plan.shards[0].load, 7 * S + 3 * S / 10);
        // Built by hand without chain setups, a group's setup is taken back
        // to test time whole: 1.6 s.
        let plan = Plan::from_assignment(chained(true, Vec::new()), &whole, "test");
        assert_eq!(plan.shards[0].load, 11 * S + 6 * S / 10);
        // One at a time there are no chains.
        let mut serial = chained(true, Vec::new());
        serial.chains = None;
        let plan = Plan::from_assignment(serial, &whole, "test");
        assert_eq!(plan.shards[0].load, 5 * S + 8 * S / 10);
        assert_eq!(plan.shards[0].chain, None);
    }
}
