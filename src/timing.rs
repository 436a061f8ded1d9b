//! The timing table: the second stage of the pipeline.
//!
//! Reports are folded into one duration per test, named as the chosen runner
//! names it. The suite to plan is then either every test the reports know, or
//! exactly the tests a `--tests-from` listing names; tests without history
//! get an estimate from their nearest measured relatives, never zero.
//!
//! Repeated runs of one test (several reports, reruns, shards of one CI run)
//! are combined by their **mean**: it needs no notion of which report is the
//! latest (file modification times differ between CI machines), and an
//! integer mean does not depend on the order reports were read in. Only
//! passing runs count when there are any: a failed attempt before a rerun
//! passed (Gradle, Surefire) or a timeout says little about the test's time.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use crate::case::{Recent, Shared, Text, TextBlock};
use crate::duration::{Concurrency, Micros, SECOND, lower_median, median};
use crate::naming::{self, Granularity, Naming, NotSelectable, Selecting, TestId, TestRef};
use crate::report::{Dialect, GroupTime, Outcome, TestCase};

/// Estimates are never below this, so a new test is never free to place.
pub const MIN_ESTIMATE: Micros = 1_000;

/// What every test weighs when no report has a single usable duration: the
/// plan then degrades to a split by count.
pub const DEFAULT_ESTIMATE: Micros = SECOND;

/// One test the reports know, as the table shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The runner's id for the test.
    pub id: TestRef<'a>,
    /// Mean of the usable recorded durations, if there were any.
    pub duration: Option<Micros>,
    /// How many usable durations went into the mean.
    pub samples: u64,
}

/// What the reports measured of one test. The table keeps it beside the
/// ids rather than in them, so that the fold names a million runs without
/// room for a measurement each while the cases are still held; and in 16
/// bytes, since it is built while they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Measured {
    /// The duration, if `known`.
    duration: Micros,
    /// Samples in the mean; more than `u32::MAX` count as that many.
    samples: u32,
    known: bool,
}

impl Measured {
    fn new(duration: Option<Micros>, samples: u64) -> Measured {
        Measured {
            duration: duration.unwrap_or(0),
            samples: u32::try_from(samples).unwrap_or(u32::MAX),
            known: duration.is_some(),
        }
    }

    fn duration(self) -> Option<Micros> {
        self.known.then_some(self.duration)
    }
}

/// Counts that explain what happened to the report cases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableStats {
    /// Test cases read from all reports.
    pub cases: usize,
    /// Cases from reports written for another runner, by their dialect.
    pub other_runner: BTreeMap<Dialect, usize>,
    /// Cases the runner cannot select by themselves (e.g. go subtests).
    pub not_selectable: usize,
    /// Cases from reports the runner reads, by their dialect.
    pub by_dialect: BTreeMap<Dialect, usize>,
    /// Cases without a name, which a runner selecting single tests cannot
    /// select.
    pub nameless: usize,
    /// Cases whose id holds a control character no runner can print
    /// ([`crate::naming::NotSelectable::ControlCharacter`]).
    pub control_characters: usize,
}

/// Each report group's file key and the sum of its cases' durations,
/// worked out as the fold names the cases, last first: a group's key and
/// sum are all [`GroupSetups::from_group_sums`] needs, so nothing is kept
/// per case, nor is any case named a second time.
#[derive(Debug, Default)]
struct GroupSums {
    /// Each group's range of case indexes.
    ranges: Vec<std::ops::Range<usize>>,
    /// Each group's key and sum so far.
    sums: Vec<GroupSum>,
    /// Groups by their end, last first: the next to open is at the end.
    to_open: Vec<u32>,
    /// Groups holding the case named next.
    open: Vec<u32>,
    /// The index of the case named next: counts down.
    next_case: usize,
    /// The distinct file keys, in first-seen order.
    keys: Vec<String>,
    /// Where each key is in `keys`; only looked up.
    index: HashMap<String, u32>,
    /// The key interned last.
    last: Option<u32>,
}

/// What a group's cases so far add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupSum {
    /// The file key its selectable cases share (none yet) and the sum of
    /// their durations.
    Open { key: Option<u32>, sum: Micros },
    /// Cases of another runner, of several files, or without a duration.
    Unmeasurable,
}

impl GroupSums {
    /// A case from a report of another runner: its group is not measured.
    const OTHER_RUNNER: u32 = u32::MAX;
    /// A case the runner cannot select: left out of its group's sum.
    const UNSELECTABLE: u32 = u32::MAX - 1;

    /// Sums for `groups` over `cases` cases, which are pushed last first.
    /// A group reaching past the cases is not measured.
    fn new(groups: &[GroupTime], cases: usize) -> GroupSums {
        let sums = groups
            .iter()
            .map(|group| match group.cases.end <= cases {
                true => GroupSum::Open { key: None, sum: 0 },
                false => GroupSum::Unmeasurable,
            })
            .collect();
        let mut to_open: Vec<u32> = (0..groups.len())
            .filter(|&g| {
                let range = &groups[g].cases;
                range.start < range.end && range.end <= cases
            })
            .map(|g| u32::try_from(g).expect("fewer groups than cases"))
            .collect();
        // The largest end last: cases come last first.
        to_open.sort_unstable_by_key(|&g| groups[g as usize].cases.end);
        GroupSums {
            ranges: groups.iter().map(|group| group.cases.clone()).collect(),
            sums,
            to_open,
            next_case: cases,
            ..GroupSums::default()
        }
    }

    /// Adds the next case (the one before the last pushed) to the groups
    /// holding it: its file key (or a marker) and its time.
    fn push(&mut self, file: u32, case: &TestCase) {
        let Some(at) = self.next_case.checked_sub(1) else {
            return;
        };
        self.next_case = at;
        while let Some(&group) = self.to_open.last()
            && self.ranges[group as usize].end > at
        {
            self.to_open.pop();
            self.open.push(group);
        }
        let mut time = 0;
        let known = add_duration(&mut time, case);
        for &group in &self.open {
            let sum = &mut self.sums[group as usize];
            let GroupSum::Open { key, sum: total } = sum else {
                continue;
            };
            match file {
                GroupSums::OTHER_RUNNER => *sum = GroupSum::Unmeasurable,
                GroupSums::UNSELECTABLE => {}
                _ if key.is_some_and(|k| k != file) || !known => *sum = GroupSum::Unmeasurable,
                _ => {
                    *key = Some(file);
                    *total = total.saturating_add(time);
                }
            }
        }
        let ranges = &self.ranges;
        self.open.retain(|&group| ranges[group as usize].start < at);
    }

    /// The index of file key `file`; cases of one file come together, so
    /// the last key is tried first.
    fn intern(&mut self, file: &str) -> u32 {
        if let Some(last) = self.last
            && self.keys[last as usize] == file
        {
            return last;
        }
        let key = match self.index.get(file) {
            Some(&known) => known,
            None => {
                let next = self.keys.len() as u32;
                self.keys.push(file.to_string());
                self.index.insert(file.to_string(), next);
                next
            }
        };
        self.last = Some(key);
        key
    }
}

/// Sum and count of one recorded case's passing durations, then of its
/// failing ones, then of its skipped ones.
type RunSums = [(u128, u64); 3];

/// What the fold keeps of a named case: what tells it apart from the
/// other recorded cases of its test, as a key ([`RecordedKeys`]), and what
/// it measured, in 24 bytes: a run takes no allocation of its own, and the
/// case, name and all, is let go of as it is named.
#[derive(Debug)]
struct Run {
    /// The duration, if `timed`.
    duration: Micros,
    /// The key of the case's classname, name and variant.
    recorded: u64,
    timed: bool,
    outcome: Outcome,
}

// A million runs are held at once while they are put in order.
const _: () = assert!(std::mem::size_of::<Run>() == 24);

/// Keys that tell the recorded cases of one test apart: a 64-bit hash of
/// the case's classname (none is the empty one), name and variant, in
/// place of a copy of their text (a million names are tens of MB).
///
/// Two different cases of one test with the same key would be taken for
/// reruns of one case (their times averaged, not added): for cases that
/// differ only by chance, the odds are about one in 2^64 for each pair of
/// one test's cases. A report that set out to collide could change only
/// a time its author writes anyway, and never which tests are planned.
#[derive(Debug, Default)]
struct RecordedKeys {
    /// The classname hashed last and its hash: the cases of one class
    /// come together and share its text.
    last_classname: Option<(Shared, u64)>,
}

impl RecordedKeys {
    /// The run of `case`.
    fn run(&mut self, case: &TestCase) -> Run {
        Run {
            duration: case.duration.unwrap_or(0),
            recorded: self.key(case.classname.as_ref(), &case.name, case.variant.as_deref()),
            timed: case.duration.is_some(),
            outcome: case.outcome,
        }
    }

    /// The key of a case's classname, name and variant.
    fn key(&mut self, classname: Option<&Shared>, name: &str, variant: Option<&str>) -> u64 {
        let class_hash = match (classname, &self.last_classname) {
            (None, _) => hash_bytes(0, b""),
            (Some(class), Some((last, hash))) if Shared::ptr_eq(class, last) || class == last => {
                *hash
            }
            (Some(class), _) => {
                let hash = hash_bytes(0, class.as_bytes());
                self.last_classname = Some((class.clone(), hash));
                hash
            }
        };
        let named = hash_bytes(class_hash, name.as_bytes());
        match variant {
            None => folded_multiply(named, HASH_MULTIPLIERS[0]),
            Some(variant) => hash_bytes(named ^ HASH_MULTIPLIERS[1], variant.as_bytes()),
        }
    }
}

/// Odd constants with bits spread evenly (the fractional parts of the
/// golden ratio and of pi).
const HASH_MULTIPLIERS: [u64; 2] = [0x9e37_79b9_7f4a_7c15, 0x243f_6a88_85a3_08d3];

/// The high and low halves of `a * b`, exclusive-or'ed: every bit of
/// either input reaches every bit of the result.
fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// `bytes` hashed after `seed`, eight bytes at a time, their length first
/// so that where one text ends and the next starts is part of the hash.
/// The same on every machine: the key orders runs ([`Runs::cmp`]).
fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let [by_word, by_length] = HASH_MULTIPLIERS;
    let mut hash = folded_multiply(seed ^ bytes.len() as u64, by_length);
    let mut words = bytes.chunks_exact(8);
    for word in words.by_ref() {
        let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        hash = folded_multiply(hash ^ word, by_word);
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut word = [0; 8];
        word[..rest.len()].copy_from_slice(rest);
        hash = folded_multiply(hash ^ u64::from_le_bytes(word), by_word);
    }
    hash
}

/// Test ids as a table holds a million of them: each test's native id
/// and a 32-bit index into the classes and files they share, 20 bytes a
/// test where a [`TestId`] is 48. Tests of one class come together, so a
/// place is shared by each run of them.
#[derive(Debug, Clone, Default)]
struct Ids {
    natives: Vec<Text>,
    place_of: Vec<u32>,
    places: Vec<Place>,
}

impl Ids {
    /// Room for `size` ids.
    fn with_capacity(size: usize) -> Ids {
        Ids {
            natives: Vec::with_capacity(size),
            place_of: Vec::with_capacity(size),
            places: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.natives.len()
    }

    /// Adds an id, sharing the last id's place if it has the same class
    /// and file: how tests build tables by hand (the fold writes its
    /// native ids apart, a block at a time).
    #[cfg(test)]
    fn push(&mut self, id: TestId) {
        let place = Place::share(&mut self.places, id.named_class(), &id.file);
        self.natives.push(id.native);
        self.place_of.push(place);
    }

    /// Id `i`.
    fn get(&self, i: usize) -> TestRef<'_> {
        self.places[self.place_of[i] as usize].id(&self.natives[i])
    }

    /// The file of id `i`.
    fn file(&self, i: usize) -> &Text {
        &self.places[self.place_of[i] as usize].file
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.natives.swap(a, b);
        self.place_of.swap(a, b);
    }

    /// The ids in `order`, gathered into new vectors one after the other,
    /// each old one let go of before the next is built. Reading along
    /// `order` goes through each file's stretch in turn; following the
    /// permutation's cycles with swaps instead jumped between stretches at
    /// every step, a cache miss per id.
    fn in_order(self, order: &[u32]) -> Ids {
        let Ids {
            natives,
            place_of,
            places,
        } = self;
        let natives = {
            let old = natives;
            order.iter().map(|&i| old[i as usize].clone()).collect()
        };
        let place_of = order.iter().map(|&i| place_of[i as usize]).collect();
        Ids {
            natives,
            place_of,
            places,
        }
    }

    fn reverse(&mut self) {
        self.natives.reverse();
        self.place_of.reverse();
    }

    fn truncate(&mut self, len: usize) {
        self.natives.truncate(len);
        self.place_of.truncate(len);
    }
}

// Two tables are equal when their ids are, whichever runs of places hold
// them.
impl PartialEq for Ids {
    fn eq(&self, other: &Ids) -> bool {
        self.len() == other.len() && (0..self.len()).all(|i| self.get(i) == other.get(i))
    }
}

impl Eq for Ids {}

/// The recorded runs the fold has named: per kept case, the runner's id
/// beside its run. The ids are put in order and merged where they stand,
/// so that no second vector of a million ids is built.
#[derive(Default)]
struct Runs {
    ids: Ids,
    runs: Vec<Run>,
    keys: RecordedKeys,
}

impl Runs {
    /// The order runs are folded in: by native id, then the key of what
    /// was recorded, then the whole id. Runs of equal keys are alike for
    /// the fold, so any order among them gives the same table.
    fn cmp(&self, a: usize, b: usize) -> std::cmp::Ordering {
        let (x, y) = (self.ids.get(a), self.ids.get(b));
        x.native
            .cmp(y.native)
            .then_with(|| self.runs[a].recorded.cmp(&self.runs[b].recorded))
            .then_with(|| x.cmp(&y))
    }

    /// Indexes of the runs in [`Runs::cmp`] order.
    ///
    /// Reports list a file's tests together, and the native ids of one file
    /// share its prefix, so each file's stretch is sorted on its own and
    /// the stretches are ordered by their first run: about log2(50)
    /// comparisons a run instead of log2(1M). Should two stretches overlap
    /// after all, everything is sorted at once; the order is the same.
    fn order(&self) -> Vec<u32> {
        let runs = self.ids.len();
        // The cases came from reports held in memory: far fewer than 2^32.
        let mut order: Vec<u32> = (0..u32::try_from(runs).expect("under 2^32 cases")).collect();
        let cmp = |&a: &u32, &b: &u32| self.cmp(a as usize, b as usize);
        let mut stretches: Vec<std::ops::Range<usize>> = Vec::new();
        let mut keyed = Vec::new();
        let mut start = 0;
        for i in 1..=runs {
            if i == runs || self.ids.file(i) != self.ids.file(start) {
                self.sort_keyed(&mut order[start..i], &mut keyed);
                stretches.push(start..i);
                start = i;
            }
        }
        stretches.sort_unstable_by(|a, b| cmp(&order[a.start], &order[b.start]));
        let apart = stretches
            .windows(2)
            .all(|w| cmp(&order[w[0].end - 1], &order[w[1].start]).is_le());
        if !apart {
            self.sort_keyed(&mut order, &mut keyed);
            return order;
        }
        // Reports mostly list files in order already: then so is `order`.
        if stretches.is_sorted_by_key(|stretch| stretch.start) {
            return order;
        }
        let mut ordered = Vec::with_capacity(runs);
        for stretch in stretches {
            ordered.extend_from_slice(&order[stretch]);
        }
        ordered
    }

    /// Sorts the run indexes `order` by [`Runs::cmp`], comparing most pairs
    /// by an integer: the native ids of a file's runs share a long prefix
    /// (its path and class), so each run is keyed by the eight bytes of
    /// its native id after the prefix they all share, read big-endian, and
    /// only runs whose keys tie are compared in full. A smaller key means a
    /// smaller id, so the order is [`Runs::cmp`]'s. `keyed` is scratch room,
    /// kept between calls.
    fn sort_keyed(&self, order: &mut [u32], keyed: &mut Vec<(u64, u32)>) {
        let Some(&first) = order.first() else {
            return;
        };
        let natives = &self.ids.natives;
        let first = natives[first as usize].as_bytes();
        let shared = order[1..].iter().fold(first.len(), |shared, &i| {
            common_prefix(&first[..shared], natives[i as usize].as_bytes())
        });
        keyed.clear();
        keyed.extend(order.iter().map(|&i| {
            let rest = &natives[i as usize].as_bytes()[shared..];
            let mut key = [0; 8];
            let len = rest.len().min(8);
            key[..len].copy_from_slice(&rest[..len]);
            (u64::from_be_bytes(key), i)
        }));
        keyed.sort_unstable_by(|&(x, a), &(y, b)| {
            x.cmp(&y).then_with(|| self.cmp(a as usize, b as usize))
        });
        for (slot, &(_, i)) in order.iter_mut().zip(keyed.iter()) {
            *slot = i;
        }
    }
}

/// How many bytes `a` and `b` start with alike, compared eight at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let len = a.len().min(b.len());
    let mut at = 0;
    while at + 8 <= len && a[at..at + 8] == b[at..at + 8] {
        at += 8;
    }
    while at < len && a[at] == b[at] {
        at += 1;
    }
    at
}

/// Naming report cases for the table, one at a time: the counts, the
/// runs kept and (for group setups) each report group's key and sum.
struct Fold<'r, 'f> {
    runner: &'r dyn Naming,
    group_sums: Option<&'f mut GroupSums>,
    stats: TableStats,
    runs: Runs,
    // Runners build a case's class and file anew; cases of one class or
    // file come together, so one copy serves them all.
    recent_class: Recent,
    recent_file: Recent,
    selecting: Selecting,
    /// The native ids of the last ids kept, which have only their place
    /// in `runs.ids` yet: written here, then packed into one block at a
    /// time.
    natives: TextBlock,
}

impl<'r, 'f> Fold<'r, 'f> {
    /// A fold naming with `runner` about `cases` cases; with `group_sums`,
    /// it also adds each case to the report groups holding it, for
    /// [`GroupSetups::from_group_sums`].
    fn new(runner: &'r dyn Naming, group_sums: Option<&'f mut GroupSums>, cases: usize) -> Self {
        Fold {
            runner,
            group_sums,
            stats: TableStats::default(),
            runs: Runs {
                ids: Ids::with_capacity(cases),
                runs: Vec::with_capacity(cases),
                keys: RecordedKeys::default(),
            },
            recent_class: Recent::default(),
            recent_file: Recent::default(),
            selecting: Selecting::default(),
            natives: TextBlock::default(),
        }
    }

    /// Counts `case`, names it and, if the table keeps it, keeps its run.
    /// Its native id is written straight into the block being packed:
    /// built on its own, each would be two allocations made and freed.
    fn add(&mut self, case: &TestCase) {
        let stats = &mut self.stats;
        stats.cases += 1;
        if !self.runner.accepts(case.dialect) {
            *stats.other_runner.entry(case.dialect).or_default() += 1;
            if let Some(sums) = self.group_sums.as_deref_mut() {
                sums.push(GroupSums::OTHER_RUNNER, case);
            }
            return;
        }
        *stats.by_dialect.entry(case.dialect).or_default() += 1;
        let (runner, selecting) = (self.runner, &mut self.selecting);
        let named = self
            .natives
            .write(|native| selecting.selectable_into(runner, case, native));
        if let Some(sums) = self.group_sums.as_deref_mut() {
            let file = match &named {
                Ok((_, file)) => sums.intern(file),
                Err(_) => GroupSums::UNSELECTABLE,
            };
            sums.push(file, case);
        }
        let (class, file) = match named {
            Ok(place) => place,
            Err(why) => {
                *match why {
                    NotSelectable::ByRunner => &mut stats.not_selectable,
                    NotSelectable::Nameless => &mut stats.nameless,
                    NotSelectable::ControlCharacter => &mut stats.control_characters,
                } += 1;
                return;
            }
        };
        let run = self.runs.keys.run(case);
        // Most cases share the last one's place; only a new place keeps
        // its texts, one copy of each.
        let (recent_class, recent_file) = (&mut self.recent_class, &mut self.recent_file);
        let place = Place::share_with(&mut self.runs.ids.places, class.as_ref(), &file, || Place {
            class: class.clone().map(|class| recent_class.reuse(class)),
            file: recent_file.reuse(file.clone()),
        });
        self.runs.ids.place_of.push(place);
        self.runs.runs.push(run);
        if self.natives.is_full() {
            self.pack();
        }
    }

    /// Gives the ids kept since the last time their native ids, packed into
    /// one block.
    fn pack(&mut self) {
        self.runs.ids.natives.extend(self.natives.finish());
    }

    /// Turns cases named last to first back into report order.
    fn reverse(&mut self) {
        self.pack();
        self.runs.ids.reverse();
        self.runs.runs.reverse();
    }

    /// The table of the runs kept.
    fn finish(self) -> (TimingTable, TableStats) {
        // Two levels, because several recorded cases can map to one runner
        // id (every jest test of a file is that file): per recorded case
        // (runner id + classname + name + variant), the durations of its
        // runs are averaged — reruns and repeated reports are samples of one
        // cost — and then the runner id's duration is the sum over its
        // distinct cases. Shard reports of one run hold disjoint cases and
        // so add up, and so do variants (Playwright projects): each one
        // runs on whichever shard gets the test.
        //
        // One order ([`Runs::order`]) over the (id, classname, name,
        // variant) keys then one linear pass: no per-case key strings, and
        // nothing depends on hash order.
        let mut fold = self;
        fold.pack();
        let order = fold.runs.order();
        let Runs { ids, runs, .. } = fold.runs;
        // Asked for before the old ids are let go of, so that glibc maps
        // it on its own and gives it back when it is freed: once a block
        // that large has been freed, glibc serves the next ones from its
        // heap, which stays resident after they are freed.
        let mut measured = Vec::with_capacity(ids.len());
        let mut ids = ids.in_order(&order);
        // The runs are read along `order` rather than moved.
        let run = |i: usize| &runs[order[i] as usize];
        // Each test's runs are merged into its smallest id (where its
        // cases' classes or files differ), moved down to the next free
        // place.
        let mut kept = 0;
        let mut first = 0;
        while first < ids.len() {
            let native = &ids.natives[first];
            let end = ids.natives[first + 1..]
                .iter()
                .position(|other| other != native)
                .map_or(ids.len(), |n| first + 1 + n);
            let smallest = (first + 1..end).fold(first, |smallest, i| {
                if ids.get(i) < ids.get(smallest) {
                    i
                } else {
                    smallest
                }
            });
            ids.swap(kept, smallest);
            let (mut duration, mut samples_in_mean): (Option<Micros>, u64) = (None, 0);
            let mut case_start = first;
            while case_start < end {
                let recorded = run(case_start).recorded;
                let case_end = (case_start + 1..end)
                    .find(|&i| run(i).recorded != recorded)
                    .unwrap_or(end);
                let mut sums: RunSums = [(0, 0); 3];
                for run in (case_start..case_end).map(run) {
                    let kind = match run.outcome {
                        Outcome::Passed | Outcome::PassedOnRerun => 0,
                        Outcome::Failed | Outcome::Errored => 1,
                        Outcome::Skipped => 2,
                    };
                    if run.timed {
                        sums[kind].0 += u128::from(run.duration);
                        sums[kind].1 += 1;
                    }
                }
                // A failed run (a timeout, an early assertion, a failed
                // attempt before a rerun passed) is not how long the test
                // takes: its time counts only if the case never passed; a
                // skip's only if it never ran at all.
                let [passed, failed, skipped] = sums;
                let (sum, samples) = [passed, failed, skipped]
                    .into_iter()
                    .find(|(_, count)| *count > 0)
                    .unwrap_or((0, 0));
                if samples > 0 {
                    let mean = (sum / u128::from(samples)) as Micros;
                    duration = Some(duration.unwrap_or(0).saturating_add(mean));
                }
                samples_in_mean += samples;
                case_start = case_end;
            }
            measured.push(Measured::new(duration, samples_in_mean));
            kept += 1;
            first = end;
        }
        ids.truncate(kept);
        measured.shrink_to_fit();
        (TimingTable { ids, measured }, fold.stats)
    }
}

/// Hands each of `items` to `f`, last first, giving the vector's memory
/// back as it empties: a million cases need not all stay while they are
/// named. (Shrinking a vector is a `realloc`, which gives whole pages of a
/// large block back, in place.) Given back a sixty-fourth at a time: at
/// an eighth, a million cases (96 MB) still held 12 MB they no longer
/// needed while the table grew, at the fold's peak.
fn release_each<T>(mut items: Vec<T>, mut f: impl FnMut(T)) {
    let step = (items.len() / 64).max(1 << 12);
    while let Some(item) = items.pop() {
        f(item);
        if items.capacity() - items.len() >= step {
            items.shrink_to_fit();
        }
    }
}

/// Per-test durations keyed by the runner's native id.
///
/// Built through hash maps for speed, but stored as a vector sorted by id:
/// nothing downstream ever sees hash-map order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimingTable {
    /// The tests' ids, sorted by native id.
    ids: Ids,
    /// What was measured of each, by index into `ids`.
    measured: Vec<Measured>,
}

impl TimingTable {
    /// Folds report cases into the table, naming them with `runner`.
    /// A test that was only ever skipped costs what its skips took (about
    /// nothing), not an estimate from its siblings: it will most likely be
    /// skipped again.
    pub fn build<'a>(
        cases: impl IntoIterator<Item = &'a TestCase>,
        runner: &dyn Naming,
    ) -> (TimingTable, TableStats) {
        let cases = cases.into_iter();
        let mut fold = Fold::new(runner, None, cases.size_hint().0);
        for case in cases {
            fold.add(case);
        }
        fold.finish()
    }

    /// [`TimingTable::build`] and [`GroupSetups::measure`] of the same
    /// cases, naming each case once: a million cases are a million ids
    /// built, not two million. The cases are taken and let go of as they
    /// are named, so that they and the table are not all held at once.
    pub fn build_with_setups(
        cases: Vec<TestCase>,
        groups: &[GroupTime],
        runner: &dyn Naming,
    ) -> (TimingTable, TableStats, GroupSetups) {
        let mut sums = (!groups.is_empty()).then(|| GroupSums::new(groups, cases.len()));
        let mut fold = Fold::new(runner, sums.as_mut(), cases.len());
        release_each(cases, |case| fold.add(&case));
        fold.reverse();
        let (table, stats) = fold.finish();
        let setups = match sums {
            Some(sums) => GroupSetups::from_group_sums(groups, &sums),
            None => GroupSetups::from_measured(BTreeMap::new(), 0),
        };
        (table, stats, setups)
    }

    /// Number of distinct tests.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no test is known.
    pub fn is_empty(&self) -> bool {
        self.ids.natives.is_empty()
    }

    /// Looks a test up by its native id.
    pub fn get(&self, native: &str) -> Option<Entry<'_>> {
        self.ids
            .natives
            .binary_search_by(|id| id.as_str().cmp(native))
            .ok()
            .map(|i| self.entry(i))
    }

    /// All entries in id order.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        (0..self.ids.len()).map(|i| self.entry(i))
    }

    /// The entry at index `i`.
    fn entry(&self, i: usize) -> Entry<'_> {
        Entry {
            id: self.ids.get(i),
            duration: self.measured[i].duration(),
            samples: u64::from(self.measured[i].samples),
        }
    }
}

/// Where a planned test's duration came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// Recorded in the reports.
    Measured,
    /// Estimated from measured siblings (same class, else file, else suite).
    Estimated,
}

/// What an estimated test's duration is the median of: the nearest measured
/// relatives, class first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EstimateBasis {
    /// The measured tests of its class.
    Class,
    /// The measured tests of its file.
    File,
    /// Every measured test.
    Suite,
    /// Nothing was measured: every test weighs [`DEFAULT_ESTIMATE`].
    Default,
}

impl EstimateBasis {
    /// How `explain` names it.
    pub fn describe(self) -> &'static str {
        match self {
            EstimateBasis::Class => "class median",
            EstimateBasis::File => "file median",
            EstimateBasis::Suite => "suite median",
            EstimateBasis::Default => "default (nothing measured)",
        }
    }
}

/// One test to plan, with the duration the plan assumes for it.
///
/// A million of these are held while planning, so each is 12 bytes
/// (packed: read by value, never borrowed): its native id is in
/// [`Suite::natives`], its class and file are a [`Place`] the tests beside
/// it share ([`Suite::id`] puts the id together), and whether its duration
/// was measured or estimated is [`Suite::source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed(4))]
pub struct PlannedTest {
    /// Predicted duration.
    pub duration: Micros,
    /// Index of its class and file in [`Suite::places`].
    pub place: u32,
}

const _: () = assert!(std::mem::size_of::<PlannedTest>() == 12);

/// A test's class and file ([`TestId::class`], [`TestId::file`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    /// The group at `--by class`; `None` for tests that are each their
    /// own class (pytest functions outside a class), which then share
    /// one place per file rather than hold a place and a class each
    /// ([`TestRef::named_class`]).
    pub class: Option<Text>,
    /// The group at `--by file`.
    pub file: Text,
}

impl Place {
    /// The index in `places` of the place `class` and `file`: the last
    /// one if it is the same, else a new one. Tests and ids come a class
    /// at a time, so a place is shared by each run of them.
    fn share(places: &mut Vec<Place>, class: Option<&Text>, file: &Text) -> u32 {
        Place::share_with(places, class, file, || Place {
            class: class.cloned(),
            file: file.clone(),
        })
    }

    /// [`Place::share`], with `new` making the place if it is new.
    fn share_with(
        places: &mut Vec<Place>,
        class: Option<&Text>,
        file: &Text,
        new: impl FnOnce() -> Place,
    ) -> u32 {
        let same = places
            .last()
            .is_some_and(|last| last.class.as_ref() == class && last.file == *file);
        if !same {
            places.push(new());
        }
        u32::try_from(places.len() - 1).expect("fewer than 2^32 places")
    }

    /// The id of the test `native` at this place.
    fn id<'a>(&'a self, native: &'a Text) -> TestRef<'a> {
        TestRef {
            native,
            class: self.class.as_ref().unwrap_or(native),
            file: &self.file,
        }
    }
}

/// The tests to plan, sorted by native id, each exactly once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suite {
    /// The tests, sorted by native id.
    pub tests: Vec<PlannedTest>,
    /// Each test's native id ([`TestId::native`]), by index into `tests`:
    /// apart, so that a plan by test shares them as its items' keys
    /// ([`crate::plan::Problem::keys`]) rather than holding a copy (16 MB
    /// at a million tests).
    pub natives: Rc<Vec<Text>>,
    /// The tests' classes and files: one for each run of tests (in id
    /// order) that share them.
    pub places: Vec<Place>,
    /// Listed tests that appeared more than once in the listing (kept once).
    pub duplicate_listings: usize,
    /// Tests with timings that the listing no longer names.
    pub stale: usize,
    /// Listed tests matched to a recorded test by one of the runner's
    /// alternative keys ([`Naming::match_keys`]) rather than by native id.
    pub matched_by_key: usize,
    /// Listed tests whose alternative key fit several recorded tests, or a
    /// recorded test another listed test had already claimed. Each record
    /// goes to at most one listed test (the first in id order).
    pub ambiguous: usize,
    /// For each [`Source::Estimated`] test, by index into `tests`, what its
    /// estimate is the median of; the other tests are measured.
    pub estimate_basis: BTreeMap<usize, EstimateBasis>,
}

impl Suite {
    /// How many tests have measured durations.
    pub fn measured(&self) -> usize {
        self.tests.len() - self.estimate_basis.len()
    }

    /// The id of test `index` (into `tests`).
    pub fn id(&self, index: usize) -> TestRef<'_> {
        self.places[self.tests[index].place as usize].id(&self.natives[index])
    }

    /// The native id of test `index` (into `tests`).
    pub fn native(&self, index: usize) -> &Text {
        &self.natives[index]
    }

    /// Every test's id, in `tests` order.
    pub fn ids(&self) -> impl ExactSizeIterator<Item = TestRef<'_>> {
        (0..self.tests.len()).map(|index| self.id(index))
    }

    /// A suite of measured `tests` (id and duration), which must come in
    /// native id order, each once.
    pub fn from_tests(tests: impl IntoIterator<Item = (TestId, Micros)>) -> Suite {
        let tests = tests.into_iter();
        let mut suite = Suite::with_capacity(tests.size_hint().0);
        for (id, duration) in tests {
            suite.push(id, duration);
        }
        suite.places.shrink_to_fit();
        suite
    }

    /// An empty suite with room for `size` tests.
    fn with_capacity(size: usize) -> Suite {
        Suite {
            tests: Vec::with_capacity(size),
            natives: Rc::new(Vec::with_capacity(size)),
            ..Suite::default()
        }
    }

    /// The native ids, to add to while the suite is built.
    fn natives_mut(&mut self) -> &mut Vec<Text> {
        Rc::get_mut(&mut self.natives).expect("a suite is built before its ids are shared")
    }

    /// Adds a test.
    fn push(&mut self, id: TestId, duration: Micros) {
        let class = id.named_class().cloned();
        self.push_parts(id.native, class.as_ref(), &id.file, duration);
    }

    /// Adds a test by its parts.
    fn push_parts(&mut self, native: Text, class: Option<&Text>, file: &Text, duration: Micros) {
        self.natives_mut().push(native);
        self.push_test(class, file, duration);
    }

    /// Adds a test whose native id is in `natives` already: the one way
    /// tests are made.
    fn push_test(&mut self, class: Option<&Text>, file: &Text, duration: Micros) {
        let place = Place::share(&mut self.places, class, file);
        self.tests.push(PlannedTest { duration, place });
    }

    /// Where the duration of test `index` (into `tests`) came from.
    pub fn source(&self, index: usize) -> Source {
        if self.estimate_basis.contains_key(&index) {
            Source::Estimated
        } else {
            Source::Measured
        }
    }
}

/// Builds the suite to plan. With `listed`, exactly those tests (deduplicated),
/// matched to the table by native id and then by `runner`'s alternative keys;
/// without, every test the table knows.
pub fn suite(table: TimingTable, listed: Option<&[TestId]>, runner: &dyn Naming) -> Suite {
    let (ids, duplicate_listings) = match listed {
        Some(listed) => {
            let mut ids = listed.to_vec();
            ids.sort_unstable_by(|a, b| a.native.cmp(&b.native));
            ids.dedup_by(|a, b| a.native == b.native);
            let duplicates = listed.len() - ids.len();
            (ids, duplicates)
        }
        None => {
            let TimingTable { ids, measured } = table;
            let unknown: Vec<usize> = (0..measured.len())
                .filter(|&i| !measured[i].known)
                .collect();
            // The table's native ids, in id order, become the suite's:
            // moved, not copied.
            let Ids {
                natives,
                place_of,
                places,
            } = ids;
            assert_eq!(measured.len(), natives.len(), "one measurement per id");
            let mut suite = Suite {
                tests: Vec::with_capacity(natives.len()),
                natives: Rc::new(natives),
                ..Suite::default()
            };
            for (entry, place) in measured.iter().zip(place_of) {
                let place = &places[place as usize];
                suite.push_test(place.class.as_ref(), &place.file, entry.duration);
            }
            suite.places.shrink_to_fit();
            return estimate_unknown(suite, &unknown, &TimingTable::default());
        }
    };
    let matching = Matching::new(&table, &ids, runner);
    let mut unknown = Vec::new();
    let tests = ids
        .into_iter()
        .zip(matching.entry_of)
        .enumerate()
        .map(|(index, (id, entry))| {
            let duration = entry.and_then(|j| table.measured[j].duration());
            if duration.is_none() {
                unknown.push(index);
            }
            (id, duration.unwrap_or(0))
        });
    let suite = Suite {
        duplicate_listings,
        stale: matching.claimed.iter().filter(|&&c| !c).count(),
        matched_by_key: matching.by_key,
        ambiguous: matching.ambiguous,
        ..Suite::from_tests(tests)
    };
    estimate_unknown(suite, &unknown, &table)
}

/// Which table entry each listed test takes its timing from.
struct Matching {
    /// Per listed id (sorted), the index of its table entry.
    entry_of: Vec<Option<usize>>,
    /// Per table entry, whether a listed test took it.
    claimed: Vec<bool>,
    by_key: usize,
    ambiguous: usize,
}

impl Matching {
    /// Native ids first; then, for listed tests still unmatched, the
    /// runner's alternative keys against entries no listed test named.
    /// Listed ids are visited in id order, so ties go the same way on
    /// every machine.
    fn new(table: &TimingTable, ids: &[TestId], runner: &dyn Naming) -> Matching {
        let mut matching = Matching {
            entry_of: vec![None; ids.len()],
            claimed: vec![false; table.len()],
            by_key: 0,
            ambiguous: 0,
        };
        for (i, id) in ids.iter().enumerate() {
            if let Ok(j) = table
                .ids
                .natives
                .binary_search_by(|native| native.as_str().cmp(&id.native))
            {
                matching.entry_of[i] = Some(j);
                matching.claimed[j] = true;
            }
        }
        if matching.entry_of.iter().all(Option::is_some) || matching.claimed.iter().all(|&c| c) {
            return matching;
        }
        // Only looked up, never iterated: hash order cannot leak out.
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for j in 0..table.len() {
            if !matching.claimed[j] {
                for key in runner.match_keys(&table.ids.get(j).to_id()) {
                    by_key.entry(key).or_default().push(j);
                }
            }
        }
        for (i, id) in ids.iter().enumerate() {
            if matching.entry_of[i].is_some() {
                continue;
            }
            let mut candidates: Vec<usize> = runner
                .match_keys(id)
                .iter()
                .filter_map(|key| by_key.get(key))
                .flatten()
                .copied()
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            let free = candidates.iter().copied().find(|&j| !matching.claimed[j]);
            if candidates.len() > 1 || (!candidates.is_empty() && free.is_none()) {
                matching.ambiguous += 1;
            }
            if let Some(j) = free {
                matching.entry_of[i] = Some(j);
                matching.claimed[j] = true;
                matching.by_key += 1;
            }
        }
        matching
    }
}

/// Fills in the durations of the `unknown` tests (ascending indexes into
/// the suite's tests): the [`Source::Estimated`] ones. `table` stands in
/// for siblings when none of the suite is measured.
fn estimate_unknown(mut suite: Suite, unknown: &[usize], table: &TimingTable) -> Suite {
    if unknown.is_empty() {
        return suite;
    }
    let mut next_unknown = unknown.iter().peekable();
    let measured: Vec<(TestRef<'_>, Micros)> = suite
        .ids()
        .zip(&suite.tests)
        .enumerate()
        .filter(|&(index, _)| next_unknown.next_if_eq(&&index).is_none())
        .map(|(_, (id, test))| (id, test.duration))
        .collect();
    let estimator = Estimator::new(&measured, table);
    let estimates: Vec<(Micros, EstimateBasis)> = unknown
        .iter()
        .map(|&index| estimator.estimate(suite.id(index)))
        .collect();
    drop(estimator);
    for (&index, (estimate, basis)) in unknown.iter().zip(estimates) {
        suite.tests[index].duration = estimate;
        suite.estimate_basis.insert(index, basis);
    }
    suite
}

/// Medians of measured durations by class, by file and overall.
struct Estimator<'a> {
    by_class: HashMap<&'a str, Micros>,
    by_file: HashMap<&'a str, Micros>,
    overall: (Micros, EstimateBasis),
}

impl<'a> Estimator<'a> {
    /// Siblings come from the planned suite; if none of it is measured, the
    /// whole table stands in (stale tests still tell how slow this suite is).
    fn new(measured: &[(TestRef<'a>, Micros)], table: &'a TimingTable) -> Self {
        let fallback: Vec<(TestRef<'_>, Micros)>;
        let measured = if measured.is_empty() {
            fallback = table
                .entries()
                .filter_map(|e| Some((e.id, e.duration?)))
                .collect();
            &fallback[..]
        } else {
            measured
        };
        // Hash maps are fine here: they are only looked up, never iterated.
        let group = |by: Granularity| {
            let mut groups: HashMap<&'a str, Vec<Micros>> = HashMap::new();
            for &(id, duration) in measured {
                groups.entry(id.key(by)).or_default().push(duration);
            }
            groups
                .into_iter()
                .map(|(key, mut values)| (key, median(&mut values)))
                .collect()
        };
        let mut all: Vec<Micros> = measured.iter().map(|(_, d)| *d).collect();
        Estimator {
            by_class: group(Granularity::Class),
            by_file: group(Granularity::File),
            overall: if all.is_empty() {
                (DEFAULT_ESTIMATE, EstimateBasis::Default)
            } else {
                (median(&mut all), EstimateBasis::Suite)
            },
        }
    }

    /// The estimate for `id` and what it is the median of.
    fn estimate(&self, id: TestRef<'_>) -> (Micros, EstimateBasis) {
        let (value, basis) = if let Some(&class) = self.by_class.get(id.class.as_str()) {
            (class, EstimateBasis::Class)
        } else if let Some(&file) = self.by_file.get(id.file.as_str()) {
            (file, EstimateBasis::File)
        } else {
            self.overall
        };
        (value.max(MIN_ESTIMATE), basis)
    }
}

/// Setup costs of groups, keyed by the runner's file key ([`TestId::file`]:
/// a test file, a go package, a test binary): what a group's recorded time
/// (a JUnit suite's `time`, a go package's elapsed time) exceeds the sum of
/// its tests by, plus how long it waited to start where reports show it
/// (a go package's link). Imports, fixtures, `TestMain`, links: costs a
/// shard pays once for every group it runs tests of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupSetups {
    /// Median measured setup per group key.
    measured: BTreeMap<String, Micros>,
    /// Median of `measured`: the estimate for a group never measured.
    typical: Micros,
    /// Lower median wait per group key ([`crate::report::GroupTime::wait`]):
    /// the runner's work for the group that no report times (a go
    /// package's link), done beside other groups' tests as they are, so a
    /// shard pays it like a measured setup.
    waits: BTreeMap<String, Micros>,
    /// Median of `waits`: the wait of a group never seen waiting (the
    /// first of each of go's slots is linked before anything is timed); 0
    /// when no group was.
    typical_wait: Micros,
    /// Added to every group (`--group-overhead`, or the learned cost per
    /// group): what no report shows, such as linking a go test binary.
    extra: Micros,
    /// Each group's share of `extra`, per mille, where the reports showed
    /// how long groups waited to start ([`crate::report::GroupTime::wait`]):
    /// its median wait over the mean of them all. Others pay `extra` as is.
    weights: BTreeMap<String, u64>,
    /// Whether `extra` is shared out by `weights`: a learned cost is, a
    /// given `--group-overhead` is paid as given.
    weighted: bool,
}

impl GroupSetups {
    /// Measures setups from report groups; `groups` index into `cases`.
    ///
    /// A group counts when its cases are this runner's and share one file
    /// key, and every selectable case has a known duration (a skipped one
    /// may lack it); cases the runner cannot select alone (go subtests) are
    /// inside their parent's time and left out of the sum. A group inside
    /// another of the same key counts only through the outer one, whose
    /// time covers it. Several samples of a group (reruns, several reports)
    /// give their median. Tests that ran in parallel can sum to more than
    /// their group's time: that group's setup is 0, not negative. The
    /// groups' waits, where known, are measured alike.
    pub fn measure(cases: &[TestCase], groups: &[GroupTime], runner: &dyn Naming) -> GroupSetups {
        let samples = setup_samples(cases, groups, |members| group_sum(members, runner));
        GroupSetups::from_samples(samples, |key| key)
    }

    /// [`GroupSetups::measure`] from the key and sum of each group that
    /// the fold worked out as it named the cases ([`GroupSums`]): the same
    /// groups count, with the same sums.
    fn from_group_sums(groups: &[GroupTime], sums: &GroupSums) -> GroupSetups {
        let samples = setup_samples_by_range(groups, |group, _| match sums.sums[group] {
            GroupSum::Open { key, sum } => key.map(|key| (key, sum)),
            GroupSum::Unmeasurable => None,
        });
        GroupSetups::from_samples(samples, |key| sums.keys[key as usize].clone())
    }

    /// Medians of each group's samples, keyed by `name`.
    fn from_samples<K: Ord>(
        samples: BTreeMap<K, GroupSamples>,
        name: impl Fn(K) -> String,
    ) -> GroupSetups {
        let mut measured = BTreeMap::new();
        let mut waits = BTreeMap::new();
        for (key, mut group) in samples {
            let key = name(key);
            if !group.waits.is_empty() {
                waits.insert(key.clone(), lower_median(&mut group.waits));
            }
            measured.insert(key, median(&mut group.setups));
        }
        let mut values: Vec<Micros> = waits.values().copied().collect();
        GroupSetups {
            weights: wait_weights(&waits),
            typical_wait: if values.is_empty() {
                0
            } else {
                median(&mut values)
            },
            waits,
            ..GroupSetups::from_measured(measured, 0)
        }
    }

    /// Setups from per-group values, plus `extra` for every group.
    pub fn from_measured(measured: BTreeMap<String, Micros>, extra: Micros) -> GroupSetups {
        let mut values: Vec<Micros> = measured.values().copied().collect();
        let typical = if values.is_empty() {
            0
        } else {
            median(&mut values)
        };
        GroupSetups {
            measured,
            typical,
            waits: BTreeMap::new(),
            typical_wait: 0,
            extra,
            weights: BTreeMap::new(),
            weighted: false,
        }
    }

    /// The same setups with `wait` for every group never seen waiting.
    pub fn with_typical_wait(self, wait: Micros) -> GroupSetups {
        GroupSetups {
            typical_wait: wait,
            ..self
        }
    }

    /// The same setups with `extra` added to every group alike.
    pub fn with_extra(self, extra: Micros) -> GroupSetups {
        GroupSetups {
            extra,
            weighted: false,
            ..self
        }
    }

    /// The same setups with `extra` per group on average, each group that
    /// was seen waiting paying its share by its wait: a learned per-group
    /// cost, what groups cost beyond their measured setups and waits,
    /// taken to grow with the work the runner does for a group before it
    /// starts (for go, building what the wait links).
    pub fn with_shared_extra(self, extra: Micros) -> GroupSetups {
        GroupSetups {
            extra,
            weighted: true,
            ..self
        }
    }

    /// The extra group `key` pays.
    fn extra_of(&self, key: &str) -> Micros {
        match self.weights.get(key) {
            Some(&weight) if self.weighted => (u128::from(self.extra) * u128::from(weight) / 1000)
                .min(u128::from(Micros::MAX))
                as Micros,
            _ => self.extra,
        }
    }

    /// The setup of group `key`: measured, else the typical measured setup
    /// (0 if none was), plus its wait and its extra.
    pub fn setup(&self, key: &str) -> Micros {
        self.measured_of(key).saturating_add(self.extra_of(key))
    }

    /// [`GroupSetups::setup`] with the measured part (time inside the
    /// runner's own timing and the wait before it, run `concurrency` at
    /// once like the tests) as wall time; the extra is wall time already.
    pub fn setup_at(&self, key: &str, concurrency: Concurrency) -> Micros {
        concurrency
            .wall(self.measured_of(key))
            .saturating_add(self.extra_of(key))
    }

    /// The measured setup of group `key` (else the typical one) plus its
    /// wait (else the typical one).
    fn measured_of(&self, key: &str) -> Micros {
        let setup = self.measured.get(key).copied().unwrap_or(self.typical);
        let wait = self.waits.get(key).copied().unwrap_or(self.typical_wait);
        setup.saturating_add(wait)
    }

    /// How many groups have a measured setup.
    pub fn measured_groups(&self) -> usize {
        self.measured.len()
    }

    /// How many groups were seen waiting to start, each paying its wait.
    pub fn waited_groups(&self) -> usize {
        self.waits.len()
    }

    /// How many groups pay a share of the extra by their wait (0 unless
    /// it is shared: [`GroupSetups::with_shared_extra`]).
    pub fn weighted_groups(&self) -> usize {
        if self.weighted && self.extra > 0 {
            self.weights.len()
        } else {
            0
        }
    }
}

/// Each group's wait over the mean wait, per mille; none when the waits
/// add up to nothing.
fn wait_weights(waits: &BTreeMap<String, Micros>) -> BTreeMap<String, u64> {
    let total: u128 = waits.values().map(|&w| u128::from(w)).sum();
    if total == 0 {
        return BTreeMap::new();
    }
    let count = waits.len() as u128;
    waits
        .iter()
        .map(|(key, &wait)| {
            let weight = u128::from(wait) * count * 1000 / total;
            (key.clone(), weight.min(u128::from(u64::MAX)) as u64)
        })
        .collect()
}

/// What report groups of one key showed: one setup per counted group, and
/// the waits of those whose wait is known.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GroupSamples {
    /// What each group's time exceeds the sum of its tests by.
    pub setups: Vec<Micros>,
    /// How long each group waited to start ([`GroupTime::wait`]).
    pub waits: Vec<Micros>,
}

/// The samples of report groups, by key: for each group that
/// `key_and_sum` can key and sum (the key its cases share and the sum of
/// the durations its setup excludes), what the group's duration exceeds
/// that sum by, 0 when its tests ran in parallel and sum to more, and its
/// wait when known. A group inside another of the same key counts only
/// through the outer one, whose time covers it. Planning
/// ([`GroupSetups::measure`], keyed by the runner's file key) and the
/// timing history ([`crate::history`], keyed runner-neutrally) both
/// measure groups with it.
pub fn setup_samples<K: Ord + Clone>(
    cases: &[TestCase],
    groups: &[GroupTime],
    mut key_and_sum: impl FnMut(&[TestCase]) -> Option<(K, Micros)>,
) -> BTreeMap<K, GroupSamples> {
    setup_samples_by_range(groups, |_, range| {
        cases.get(range).and_then(&mut key_and_sum)
    })
}

/// [`setup_samples`] with each group given by its index in `groups` and
/// its range of case indexes.
fn setup_samples_by_range<K: Ord + Clone>(
    groups: &[GroupTime],
    mut key_and_sum: impl FnMut(usize, std::ops::Range<usize>) -> Option<(K, Micros)>,
) -> BTreeMap<K, GroupSamples> {
    let mut ordered: Vec<(usize, &GroupTime)> = groups.iter().enumerate().collect();
    // Outer groups before the groups they contain.
    ordered.sort_by_key(|(_, g)| (g.cases.start, std::cmp::Reverse(g.cases.end)));
    let mut samples: BTreeMap<K, GroupSamples> = BTreeMap::new();
    // Counted groups enclosing the current one: (end, key).
    let mut open: Vec<(usize, K)> = Vec::new();
    for (index, group) in ordered {
        while open
            .last()
            .is_some_and(|(end, _)| *end <= group.cases.start)
        {
            open.pop();
        }
        let Some((key, sum)) = key_and_sum(index, group.cases.clone()) else {
            continue;
        };
        if open.iter().any(|(_, k)| *k == key) {
            continue;
        }
        let entry = samples.entry(key.clone()).or_default();
        entry.setups.push(group.duration.saturating_sub(sum));
        entry.waits.extend(group.wait);
        open.push((group.cases.end, key));
    }
    samples
}

/// The file key shared by a group's cases and the sum of their durations,
/// if the group can be measured (see [`GroupSetups::measure`]).
fn group_sum(members: &[TestCase], runner: &dyn Naming) -> Option<(String, Micros)> {
    let mut key: Option<String> = None;
    let mut sum: Micros = 0;
    for case in members {
        if !runner.accepts(case.dialect) {
            return None;
        }
        let Ok(id) = naming::selectable(runner, case) else {
            continue;
        };
        match &key {
            Some(k) if *k != id.file => return None,
            Some(_) => {}
            None => key = Some(id.file.to_string()),
        }
        if !add_duration(&mut sum, case) {
            return None;
        }
    }
    key.map(|k| (k, sum))
}

/// Adds a group member's duration to the sum of its group's tests, in any
/// outcome; returns `false` when the member has none and so makes its
/// group's setup unmeasurable (a skipped member may lack one).
pub fn add_duration(sum: &mut Micros, case: &TestCase) -> bool {
    match case.duration {
        Some(duration) => *sum = sum.saturating_add(duration),
        None if case.outcome == Outcome::Skipped => {}
        None => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::plain::Plain;

    /// A passed case of a generic report, in class `C`.
    fn passed(name: &str, file: &str, variant: Option<&str>) -> TestCase {
        TestCase {
            name: name.into(),
            classname: Some("C".into()),
            suite: None,
            file: Some(file.into()),
            duration: Some(SECOND),
            outcome: Outcome::Passed,
            dialect: Dialect::Generic,
            variant: variant.map(Into::into),
        }
    }

    fn id(native: &str, class: &str, file: &str) -> TestId {
        TestId {
            native: native.into(),
            class: class.into(),
            file: file.into(),
        }
    }

    /// Where the duration of the suite's test `native` came from.
    fn source_of(suite: &Suite, native: &str) -> Source {
        let index = suite.natives.iter().position(|n| n == native);
        suite.source(index.expect("the test is in the suite"))
    }

    fn table(entries: &[(TestId, Option<Micros>)]) -> TimingTable {
        let mut entries = entries.to_vec();
        entries.sort_by(|a, b| a.0.native.cmp(&b.0.native));
        TimingTable {
            measured: entries
                .iter()
                .map(|(_, d)| Measured::new(*d, u64::from(d.is_some())))
                .collect(),
            ids: {
                let mut ids = Ids::with_capacity(entries.len());
                entries.into_iter().for_each(|(id, _)| ids.push(id));
                ids
            },
        }
    }

    #[test]
    fn recorded_keys_tell_cases_apart_as_their_text_does() {
        let case = |name: &str, classname: Option<&str>, variant: Option<&str>| TestCase {
            name: name.into(),
            classname: classname.map(Into::into),
            suite: None,
            file: None,
            duration: Some(7),
            outcome: Outcome::Failed,
            dialect: Dialect::Generic,
            variant: variant.map(Into::into),
        };
        // Texts that run into each other, empty ones, none and the empty
        // variant, names of exactly eight bytes and one past.
        let cases = [
            case("a", Some("C"), None),
            case("b", Some("D"), Some("firefox")),
            case("", Some("C"), Some("firefox")),
            case("c", None, Some("")),
            case("c", None, None),
            case("d", Some(""), None),
            case("Ca", Some(""), None),
            case("a", Some("Ca"), None),
            case("test_abc", Some("C"), None),
            case("test_abcd", Some("C"), None),
            case("test_ab\0", Some("C"), None),
            case("é", Some("C"), None),
        ];
        let mut keys = RecordedKeys::default();
        let runs: Vec<Run> = cases.iter().map(|c| keys.run(c)).collect();
        let mut distinct: Vec<u64> = runs.iter().map(|r| r.recorded).collect();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), cases.len());
        // The same case gets the same key, whatever came before it and
        // whether or not its classname is the one hashed last; no
        // classname is the empty one.
        let mut fresh = RecordedKeys::default();
        assert_eq!(fresh.run(&cases[2]).recorded, runs[2].recorded);
        assert_eq!(keys.run(&cases[0]).recorded, runs[0].recorded);
        assert_eq!(fresh.run(&case("d", None, None)).recorded, runs[5].recorded);
        assert_eq!((runs[0].duration, runs[0].timed), (7, true));
        assert_eq!(runs[0].outcome, Outcome::Failed);
    }

    #[test]
    fn a_test_recorded_under_several_files_is_named_by_its_smallest_id() {
        // Two recorded cases (they differ in variant) of one plain id, in
        // different files: whichever comes first, and whatever their keys,
        // the table keeps the smallest whole id, file a.py's.
        let case = |variant: Option<&str>, file: &str| passed("t", file, variant);
        for variants in [[Some("x"), None], [None, Some("x")]] {
            let forward = [case(variants[0], "a.py"), case(variants[1], "z.py")];
            let backward = [forward[1].clone(), forward[0].clone()];
            for cases in [&forward, &backward] {
                let (table, _) = TimingTable::build(cases.iter(), &Plain);
                let entries: Vec<Entry<'_>> = table.entries().collect();
                assert_eq!(entries.len(), 1);
                assert_eq!(entries[0].id.file.as_str(), "a.py");
                // Two recorded cases of one test add up.
                assert_eq!(entries[0].duration, Some(2 * SECOND));
            }
        }
    }

    #[test]
    fn tests_that_are_their_own_class_share_one_place_a_file() {
        // pytest functions outside a class are each their own class: the
        // table keeps one place for the file, and still names each test's
        // class by its id.
        let case = |name: &str, classname: &str, file: &str| TestCase {
            classname: Some(classname.into()),
            dialect: Dialect::Pytest,
            ..passed(name, file, None)
        };
        let cases = [
            case("test_a", "tests.test_x", "tests/test_x.py"),
            case("test_b", "tests.test_x", "tests/test_x.py"),
            case("test_c", "tests.test_x.TestK", "tests/test_x.py"),
            case("test_d", "tests.test_x.TestK", "tests/test_x.py"),
            case("test_e", "tests.test_y", "tests/test_y.py"),
        ];
        let (table, _) = TimingTable::build(cases.iter(), &crate::emit::pytest::Pytest);
        let classes: Vec<(&str, &str)> = table
            .entries()
            .map(|entry| (entry.id.native.as_str(), entry.id.class.as_str()))
            .collect();
        assert_eq!(
            classes,
            [
                ("tests/test_x.py::TestK::test_c", "tests/test_x.py::TestK"),
                ("tests/test_x.py::TestK::test_d", "tests/test_x.py::TestK"),
                ("tests/test_x.py::test_a", "tests/test_x.py::test_a"),
                ("tests/test_x.py::test_b", "tests/test_x.py::test_b"),
                ("tests/test_y.py::test_e", "tests/test_y.py::test_e"),
            ]
        );
        // As recorded: own-class tests, the class, another file's.
        assert_eq!(table.ids.places.len(), 3);
        let own = table.ids.get(2);
        assert!(
            Text::ptr_eq(own.class, own.native),
            "the class is the id's own text"
        );
        let suite = suite(table, None, &crate::emit::pytest::Pytest);
        assert_eq!(suite.places.len(), 3);
        assert_eq!(suite.id(4).class.as_str(), "tests/test_y.py::test_e");
    }

    #[test]
    fn runs_keyed_after_their_shared_prefix_sort_as_compared_in_full() {
        let case = |name: &str, classname: &str| TestCase {
            name: name.into(),
            classname: Some(classname.into()),
            suite: None,
            file: None,
            duration: Some(1),
            outcome: Outcome::Passed,
            dialect: Dialect::Generic,
            variant: None,
        };
        // Natives that tie on eight bytes after the shared prefix, end
        // inside them, repeat, and (in the second set) a file whose
        // stretch falls inside another's, so that everything is sorted.
        let first = [
            ("f.py::C::test_10", "f.py", "C"),
            ("f.py::C::test_1", "f.py", "D"),
            ("f.py::C::test_1", "f.py", "C"),
            ("f.py::C::test_2", "f.py", "C"),
            ("f.py::C::test_1_long_name_b", "f.py", "C"),
            ("f.py::C::test_1_long_name_a", "f.py", "C"),
            ("f.py::C::", "f.py", "C"),
            ("f.py::C::test_é", "f.py", "C"),
            ("e.py::t", "e.py", "C"),
            ("e.py::s", "e.py", "C"),
        ];
        let overlapping = [("f.py::C::test_15", "g.py", "C"), ("a.py::t", "g.py", "C")];
        for runs_of in [&first[..], &[&first[..], &overlapping[..]].concat()] {
            let mut runs = Runs::default();
            for &(native, file, classname) in runs_of {
                runs.ids.push(id(native, file, file));
                let run = runs.keys.run(&case(native, classname));
                runs.runs.push(run);
            }
            let order = runs.order();
            let mut seen = order.clone();
            seen.sort_unstable();
            assert_eq!(seen, (0..runs_of.len() as u32).collect::<Vec<_>>());
            assert!(
                order
                    .windows(2)
                    .all(|w| runs.cmp(w[0] as usize, w[1] as usize).is_le())
            );
        }
        assert_eq!(common_prefix(b"abcdefghijk", b"abcdefghijz"), 10);
        assert_eq!(common_prefix(b"abc", b"abcdefghijk"), 3);
        assert_eq!(common_prefix(b"", b"a"), 0);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [5, 1, 3]), 3);
        assert_eq!(median(&mut [4, 1, 3, 2]), 2);
        assert_eq!(median(&mut [7]), 7);
    }

    #[test]
    fn unlisted_tests_are_estimated_from_class_then_file_then_suite() {
        let t = table(&[
            (id("a.py::A::x", "a.py::A", "a.py"), Some(10 * SECOND)),
            (id("a.py::A::y", "a.py::A", "a.py"), Some(30 * SECOND)),
            (id("a.py::f", "a.py", "a.py"), Some(2 * SECOND)),
            (id("b.py::g", "b.py", "b.py"), Some(4 * SECOND)),
        ]);
        let listed = vec![
            id("a.py::A::x", "a.py::A", "a.py"),
            id("a.py::A::new", "a.py::A", "a.py"),
            id("a.py::B::new", "a.py::B", "a.py"),
            id("c.py::new", "c.py", "c.py"),
            id("b.py::g", "b.py", "b.py"),
        ];
        let s = suite(t, Some(&listed), &Plain);
        let by_name: BTreeMap<&str, &PlannedTest> =
            s.natives.iter().map(Text::as_str).zip(&s.tests).collect();
        // Siblings are measured tests of the planned suite: only a.py::A::x
        // remains in class a.py::A, and a.py::f is not listed any more.
        assert_eq!({ by_name["a.py::A::new"].duration }, 10 * SECOND);
        assert_eq!(source_of(&s, "a.py::A::new"), Source::Estimated);
        assert_eq!({ by_name["a.py::B::new"].duration }, 10 * SECOND);
        assert_eq!({ by_name["c.py::new"].duration }, 7 * SECOND);
        let bases: Vec<(&str, EstimateBasis)> = s
            .estimate_basis
            .iter()
            .map(|(&i, &b)| (s.natives[i].as_str(), b))
            .collect();
        assert_eq!(
            bases,
            [
                ("a.py::A::new", EstimateBasis::Class),
                ("a.py::B::new", EstimateBasis::File),
                ("c.py::new", EstimateBasis::Suite),
            ]
        );
        assert_eq!(s.tests.len(), 5);
        assert_eq!(s.measured(), 2);
        assert_eq!(s.stale, 2);
    }

    #[test]
    fn listed_tests_match_by_alternative_keys_once_each() {
        use crate::emit::pytest::Pytest;
        // xunit2 reports without `file`: the recorded ids are guesses from
        // dotted classnames (`tests.MyPkg.test_x.TestA`, `tests.a.b`).
        let t = table(&[
            (
                id("tests.py::MyPkg::test_x::TestA::test_a", "c", "f"),
                Some(5 * SECOND),
            ),
            (id("tests/a/b.py::test_q", "c", "f"), Some(7 * SECOND)),
            (id("tests/exact.py::test_e", "c", "f"), Some(SECOND)),
            (id("tests/gone.py::test_g", "c", "f"), Some(SECOND)),
        ]);
        let listed = vec![
            id("tests/MyPkg/test_x.py::TestA::test_a", "c", "f"),
            // Both have the dotted form `tests.a.b::test_q`, as the record.
            id("tests/a.b.py::test_q", "c", "f"),
            id("tests.a/b.py::test_q", "c", "f"),
            id("tests/exact.py::test_e", "c", "f"),
        ];
        let s = suite(t, Some(&listed), &Pytest);
        let by_name: BTreeMap<&str, &PlannedTest> =
            s.natives.iter().map(Text::as_str).zip(&s.tests).collect();
        let mypkg = "tests/MyPkg/test_x.py::TestA::test_a";
        assert_eq!(
            (by_name[mypkg].duration, source_of(&s, mypkg)),
            (5 * SECOND, Source::Measured)
        );
        // `tests.a/b.py` sorts first and takes the record; the other stays
        // estimated and is counted as ambiguous, never double-assigned.
        assert_eq!(source_of(&s, "tests.a/b.py::test_q"), Source::Measured);
        assert_eq!(source_of(&s, "tests/a.b.py::test_q"), Source::Estimated);
        assert_eq!((s.matched_by_key, s.ambiguous, s.stale), (2, 1, 1));
        assert_eq!(s.measured(), 3);
    }

    proptest::proptest! {
        /// Summing groups as the fold names the cases, last first, measures
        /// what [`GroupSetups::measure`] does from the cases themselves:
        /// for nested, overlapping, empty and out-of-range groups, cases of
        /// another runner, cases without a name or a time.
        #[test]
        fn setups_summed_during_the_fold_are_those_measured_from_the_cases(
            cases in proptest::collection::vec((0..4usize, 0..3usize, proptest::option::of(0..5u64), 0..8u8), 0..24),
            groups in proptest::collection::vec((0..28usize, 0..8usize, 0..20u64), 0..10),
        ) {
            let files = ["f.py", "g.py", "h.py"];
            let cases: Vec<TestCase> = cases
                .iter()
                .enumerate()
                .map(|(index, &(name, file, seconds, kind))| TestCase {
                    // Kind 0: no name; 1: another runner's report.
                    name: if kind == 0 { Text::default() } else { format!("t{name}_{index}").as_str().into() },
                    classname: Some("C".into()),
                    suite: None,
                    file: Some(files[file].into()),
                    duration: seconds.map(|s| s * 1_000_000),
                    outcome: Outcome::Passed,
                    dialect: if kind == 1 { Dialect::Jest } else { Dialect::Pytest },
                    variant: None,
                })
                .collect();
            let groups: Vec<GroupTime> = groups
                .iter()
                .map(|&(start, len, seconds)| GroupTime {
                    cases: start..start + len,
                    duration: seconds * 1_000_000,
                    start: None,
                    wait: None,
                })
                .collect();
            let runner = crate::emit::pytest::Pytest;
            let measured = GroupSetups::measure(&cases, &groups, &runner);
            let (_, _, together) = TimingTable::build_with_setups(cases, &groups, &runner);
            proptest::prop_assert_eq!(together, measured);
        }
    }

    #[test]
    fn group_setups_are_what_a_group_exceeds_its_tests_by() {
        use crate::emit::plain::Plain;
        let case = |name: &str, file: &str, duration: Option<Micros>| TestCase {
            name: name.into(),
            classname: Some("C".into()),
            suite: None,
            file: Some(file.into()),
            duration,
            outcome: Outcome::Passed,
            dialect: Dialect::Generic,
            variant: None,
        };
        let cases = vec![
            case("a", "f.py", Some(SECOND)),
            case("b", "f.py", Some(SECOND)),
            case("c", "g.py", Some(SECOND)),
            case("d", "g.py", Some(3 * SECOND)),
            case("e", "h.py", None),
            case("a", "f.py", Some(SECOND)),
        ];
        let group = |cases: std::ops::Range<usize>, seconds: Micros| GroupTime {
            cases,
            duration: seconds * SECOND,
            start: None,
            wait: None,
        };
        let groups = vec![
            // f.py twice (5 - 2 and 2 - 1): median of 3 and 1 is 2.
            group(0..2, 5),
            group(5..6, 2),
            // An inner group of f.py counts only through the outer one.
            group(1..2, 9),
            // g.py ran in parallel: 2s for 4s of tests is setup 0.
            group(2..4, 2),
            // h.py has a test without a time: not measurable.
            group(4..5, 9),
            // Spans two files: not one group's setup.
            group(0..4, 60),
        ];
        let setups = GroupSetups::measure(&cases, &groups, &Plain);
        // Naming every case once for the table and the setups together
        // measures the same.
        let (table, _, together) = TimingTable::build_with_setups(cases.to_vec(), &groups, &Plain);
        assert_eq!(together, setups);
        assert_eq!(table, TimingTable::build(&cases, &Plain).0);
        // A case of another runner's report spoils its group; a nameless
        // one is left out of its group's sum.
        let mut mixed = cases.clone();
        mixed[2].dialect = Dialect::Jest;
        mixed[5].name = Text::default();
        let alone = GroupSetups::measure(&mixed, &groups, &crate::emit::pytest::Pytest);
        let (_, _, together) =
            TimingTable::build_with_setups(mixed.clone(), &groups, &crate::emit::pytest::Pytest);
        assert_eq!(together, alone);
        assert_eq!(setups.setup("f.py"), 2 * SECOND);
        assert_eq!(setups.setup("g.py"), 0);
        assert_eq!(setups.measured_groups(), 2);
        // Unmeasured groups get the median measured setup, 1s.
        assert_eq!(setups.setup("h.py"), SECOND);
        let setups = setups.with_extra(SECOND / 2);
        assert_eq!(setups.setup("g.py"), SECOND / 2);
        assert_eq!(setups.setup("f.py"), 2 * SECOND + SECOND / 2);
    }

    #[test]
    fn a_shared_extra_is_paid_by_how_long_each_group_waited() {
        use crate::emit::plain::Plain;
        let case = |file: &str| passed("t", file, None);
        let cases = vec![case("a"), case("b"), case("c"), case("a"), case("d")];
        let group = |at: usize, wait: Option<Micros>| GroupTime {
            cases: at..at + 1,
            duration: SECOND,
            start: None,
            wait,
        };
        // a waited 1 s and 5 s (the lower median, 1 s: a stall only ever
        // lengthens a wait), b 2 s, c 1 s: a mean of 4/3 s. d was never
        // seen waiting.
        let groups = vec![
            group(0, Some(SECOND)),
            group(1, Some(2 * SECOND)),
            group(2, Some(SECOND)),
            group(3, Some(5 * SECOND)),
            group(4, None),
        ];
        let measured = GroupSetups::measure(&cases, &groups, &Plain);
        let (_, _, together) = TimingTable::build_with_setups(cases.clone(), &groups, &Plain);
        assert_eq!(together, measured);
        // Each group pays its own wait (d the typical one, 1 s) and its
        // share of the extra: a and c 3/4 of it, b 3/2.
        let shared = measured.clone().with_shared_extra(400_000);
        assert_eq!(shared.setup("a"), 1_300_000);
        assert_eq!(shared.setup("b"), 2_600_000);
        assert_eq!(shared.setup("c"), 1_300_000);
        assert_eq!(shared.setup("d"), 1_400_000);
        assert_eq!(shared.weighted_groups(), 3);
        // A given extra is paid alike.
        let given = measured.with_extra(400_000);
        assert_eq!(given.setup("a"), 1_400_000);
        assert_eq!(given.setup("c"), 1_400_000);
        assert_eq!(given.weighted_groups(), 0);
    }

    #[test]
    fn a_wait_runs_beside_the_tests_like_a_measured_setup() {
        // a's suite took 1.5 s for a 1 s test, after waiting 2 s to start
        // (a go package linked while another ran); b never waited.
        let cases = vec![passed("t", "a", None), passed("t", "b", None)];
        let groups = vec![
            GroupTime {
                cases: 0..1,
                duration: 3 * SECOND / 2,
                start: None,
                wait: Some(2 * SECOND),
            },
            GroupTime {
                cases: 1..2,
                duration: SECOND,
                start: None,
                wait: None,
            },
        ];
        let setups = GroupSetups::measure(&cases, &groups, &Plain);
        assert_eq!(setups.setup("a"), 5 * SECOND / 2);
        // b is the typical group: a's wait.
        assert_eq!(setups.setup("b"), 2 * SECOND);
        // Two at a time, both take half as long; an extra is wall time.
        let two = Concurrency(2000);
        assert_eq!(setups.setup_at("a", two), 5 * SECOND / 4);
        let given = setups.with_extra(SECOND / 10);
        assert_eq!(given.setup_at("b", two), SECOND + SECOND / 10);
        // Reports that show no waits add none.
        let unwaited: Vec<GroupTime> = groups
            .into_iter()
            .map(|g| GroupTime { wait: None, ..g })
            .collect();
        let setups = GroupSetups::measure(&cases, &unwaited, &Plain);
        assert_eq!(setups.setup("a"), SECOND / 2);
        assert_eq!(setups.setup("b"), 0);
    }

    #[test]
    fn failed_attempts_count_only_without_a_pass() {
        let run = |name: &str, micros, outcome| TestCase {
            name: name.into(),
            classname: Some("com.example.RetryingTest".into()),
            suite: None,
            file: None,
            duration: Some(micros),
            outcome,
            dialect: Dialect::Gradle,
            variant: None,
        };
        // Gradle without mergeReruns: a failed attempt, then the pass.
        let cases = [
            run("connects()", 3_000_000, Outcome::Failed),
            run("connects()", 1_200_000, Outcome::Passed),
            run("alwaysFails()", 5_000_000, Outcome::Failed),
            run("skipped()", 9, Outcome::Skipped),
        ];
        let (table, _) = TimingTable::build(&cases, &Plain);
        assert_eq!(table.len(), 3);
        let get = |n: &str| {
            table
                .get(&format!("com.example.RetryingTest::{n}"))
                .unwrap()
        };
        assert_eq!(
            (get("connects()").duration, get("connects()").samples),
            (Some(1_200_000), 1)
        );
        assert_eq!(get("alwaysFails()").duration, Some(5_000_000));
        // Only ever skipped: it costs its skip, not its siblings' median.
        assert_eq!(get("skipped()").duration, Some(9));
    }

    #[test]
    fn estimates_are_never_zero() {
        let t = table(&[(id("p.TestA", "p", "p"), Some(0))]);
        let listed = vec![id("p.TestA", "p", "p"), id("p.TestB", "p", "p")];
        let s = suite(t, Some(&listed), &Plain);
        assert_eq!({ s.tests[1].duration }, MIN_ESTIMATE);
    }

    #[test]
    fn without_any_timing_every_test_weighs_the_default() {
        let t = TimingTable::default();
        let listed = vec![id("x", "x", "x"), id("y", "y", "y"), id("x", "x", "x")];
        let s = suite(t, Some(&listed), &Plain);
        assert_eq!(s.tests.len(), 2);
        assert_eq!(s.duplicate_listings, 1);
        assert!(s.tests.iter().all(|t| t.duration == DEFAULT_ESTIMATE));
        assert!(
            s.estimate_basis
                .values()
                .all(|&b| b == EstimateBasis::Default)
        );
    }

    fn jest_case(file: &str, name: &str, seconds: u64, outcome: Outcome) -> TestCase {
        TestCase {
            name: name.into(),
            classname: Some(name.into()),
            suite: None,
            file: Some(file.into()),
            duration: Some(seconds * SECOND),
            outcome,
            dialect: Dialect::Jest,
            variant: None,
        }
    }

    #[test]
    fn the_table_does_not_depend_on_how_files_interleave() {
        let case = |file: &str, name: &str, seconds: u64| TestCase {
            classname: None,
            dialect: Dialect::Pytest,
            ..jest_case(file, name, seconds, Outcome::Passed)
        };
        // Files apart, each in its own stretch, listed out of order.
        let apart = [
            case("t/b.py", "test_2", 4),
            case("t/b.py", "test_10", 5),
            case("t/a.py", "test_1", 1),
            case("t/a.py", "test_1", 3),
            case("t/ab.py", "test_0", 7),
        ];
        // The same cases interleaved, so that stretches overlap.
        let interleaved = [
            case("t/a.py", "test_1", 3),
            case("t/b.py", "test_10", 5),
            case("t/ab.py", "test_0", 7),
            case("t/b.py", "test_2", 4),
            case("t/a.py", "test_1", 1),
        ];
        let (table, _) = TimingTable::build(&apart, &Plain);
        assert_eq!(TimingTable::build(&interleaved, &Plain).0, table);
        let natives: Vec<&str> = table.entries().map(|e| e.id.native.as_str()).collect();
        assert_eq!(
            natives,
            [
                "t/a.py::test_1",
                "t/ab.py::test_0",
                "t/b.py::test_10",
                "t/b.py::test_2"
            ]
        );
        assert_eq!(
            table.get("t/a.py::test_1").unwrap().duration,
            Some(2 * SECOND)
        );
    }

    #[test]
    fn cases_of_one_item_add_up_and_runs_of_one_case_average() {
        use crate::emit::jest::Jest;
        let cases = [
            // Run 1: a.test.js has two tests; b.test.js one.
            jest_case("a.test.js", "adds", 2, Outcome::Passed),
            jest_case("a.test.js", "subtracts", 3, Outcome::Passed),
            jest_case("b.test.js", "parses", 10, Outcome::Passed),
            // Run 2: the same tests, slower; a failed attempt is ignored.
            jest_case("a.test.js", "adds", 4, Outcome::Passed),
            jest_case("a.test.js", "subtracts", 5, Outcome::Passed),
            jest_case("b.test.js", "parses", 60, Outcome::Failed),
            jest_case("b.test.js", "parses", 12, Outcome::Passed),
        ];
        let (table, stats) = TimingTable::build(&cases, &Jest);
        assert_eq!(stats.cases, 7);
        // (2+4)/2 + (3+5)/2 = 7 s; b: (10+12)/2 = 11 s.
        assert_eq!(table.get("a.test.js").unwrap().duration, Some(7 * SECOND));
        assert_eq!(table.get("b.test.js").unwrap().duration, Some(11 * SECOND));
    }

    #[test]
    fn variants_of_one_case_add_up_and_their_runs_average() {
        use crate::emit::playwright::Playwright;
        let run = |variant: &str, seconds: u64| TestCase {
            name: "logs in".into(),
            classname: Some("auth.spec.ts".into()),
            suite: Some("auth.spec.ts".into()),
            file: Some("auth.spec.ts".into()),
            duration: Some(seconds * SECOND),
            outcome: Outcome::Passed,
            dialect: Dialect::Playwright,
            variant: Some(variant.into()),
        };
        let cases = [
            // Run 1: the test in two projects.
            run("chromium", 2),
            run("firefox", 5),
            // Run 2: the same, so each project's runs average.
            run("chromium", 4),
            run("firefox", 7),
        ];
        let (table, _) = TimingTable::build(&cases, &Playwright);
        assert_eq!(table.len(), 1);
        let entry = table.get("auth.spec.ts › logs in").unwrap();
        // (2+4)/2 + (5+7)/2 = 9 s, from four samples.
        assert_eq!((entry.duration, entry.samples), (Some(9 * SECOND), 4));
    }
}
