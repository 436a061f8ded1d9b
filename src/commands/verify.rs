//! `shardplan verify`: the fan-in check. It reads the result reports every
//! shard wrote and fails, with a list, if a planned test did not run, ran
//! on two shards, ran on a shard it was not planned for, or came from a
//! shard that ran another plan; and it prints each shard's predicted time
//! beside the time its reports recorded.
//!
//! # Which shard a report came from
//!
//! `shardplan select --record DIR` writes `DIR/shardplan-shard.json` (the
//! plan's fingerprint and the shard's index): keep the shard's reports in
//! DIR, and `verify` attributes every report to the record in its directory
//! or the nearest directory above it. `--shard-report I=PATH` names a
//! shard's reports explicitly instead (without a fingerprint to check).
//!
//! # What counts
//!
//! Executed tests are named by the plan's runner ([`crate::naming::Naming::identify`]),
//! as planning names them; a test recorded twice on one shard (a rerun,
//! or the same test in two Playwright projects) ran once. A test of a class or file planned whole that the plan does not
//! list (added since) belongs to that item; a test the plan does not know
//! at all belongs where the runner's filters send it: to the shard that
//! selects its whole group, else to the catch-all shard. Tests on the
//! catch-all that the plan does not know are listed as new, not as errors.
//! A class or file counts as run when any of its tests ran; planned tests
//! of it that did not appear are listed as a note.
//!
//! # Isolation suspects
//!
//! With a timing history (`--timings`, by default `.shardplan/timings.json`
//! when it exists), a test that failed on its shard but passed in every run
//! the history recorded is listed under "isolation suspects", with its
//! shard and the tests that ran before it there ([`crate::flaky`]). It is
//! informational: the exit status stays about exactly-once unless
//! `--fail-on-isolation`. Run `verify` before `merge` folds this run in, or
//! the history already holds the failure.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::app::{self, Streams};
use crate::case::{Text, TextBlock};
use crate::cli::{ReadArgs, SummaryArgs};
use crate::duration::{Micros, human};
use crate::emit::{Granularity, Member, Runner, TestId};
use crate::error::{Error, Result};
use crate::flaky::{self, ShardResult, Suspect};
use crate::frozen::{FrozenPlan, RECORD_FILE, ShardRecord, SuiteSource, record_for};
use crate::history::{self, History};
use crate::inputs::{self, ReadOptions};
use crate::naming::Selecting;
use crate::report::{GroupTime, Outcome, TestCase};
use crate::step_summary::{self, Table};
use crate::warnings::Warnings;

/// Entries of each list printed one by one; the rest are counted.
const MAX_LISTED: usize = 50;

/// Options of `shardplan verify`.
#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    /// The plan the shards ran, as `shardplan plan` wrote it.
    #[arg(long, value_name = "PLAN.json")]
    pub plan: PathBuf,

    /// The shards' result reports: files, directories (searched
    /// recursively) or quoted globs. Each report's shard is read from the
    /// shardplan-shard.json that `select --record DIR` wrote in its
    /// directory or the nearest one above.
    #[arg(value_name = "REPORT", required_unless_present = "shard_report")]
    pub reports: Vec<String>,

    /// I=PATH: the reports at PATH (a file, directory or quoted glob) are
    /// shard I's (0-based). Repeatable. No fingerprint is checked for them.
    #[arg(long, value_name = "I=PATH")]
    pub shard_report: Vec<ShardReport>,

    /// List planned tests that never ran without failing: for a plan made
    /// from timings alone, which still holds tests deleted since.
    #[arg(long)]
    pub allow_missing: bool,

    /// How reports are read.
    #[command(flatten)]
    pub read: ReadArgs,

    /// `--summary markdown`: predicted and recorded time per shard for the
    /// job summary.
    #[command(flatten)]
    pub summary: SummaryArgs,

    /// Fail on any unreadable report instead of skipping it with a warning.
    #[arg(long)]
    pub strict: bool,

    /// The timing history whose outcomes tell isolation suspects: tests
    /// that failed on their shard but passed in every recorded run
    /// [default: .shardplan/timings.json, if it exists]. Give the history
    /// from before this run is merged.
    #[arg(long, value_name = "FILE")]
    pub timings: Option<PathBuf>,

    /// Fail (exit 1) when there are isolation suspects, not only list them.
    #[arg(long)]
    pub fail_on_isolation: bool,

    /// Print the problems only, not the per-shard table.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `--shard-report I=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardReport {
    /// The shard, 0-based.
    pub index: usize,
    /// A report file, directory or glob.
    pub path: String,
}

impl FromStr for ShardReport {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        let invalid =
            || format!("{text:?} is not I=PATH (a 0-based shard index, `=`, and its reports)");
        let (index, path) = text.split_once('=').ok_or_else(invalid)?;
        let index = index.trim().parse().map_err(|_| invalid())?;
        if path.is_empty() {
            return Err(invalid());
        }
        Ok(ShardReport {
            index,
            path: path.to_string(),
        })
    }
}

/// A test the reports show, and the shards it ran on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    /// The runner's id for it.
    pub id: TestId,
    /// Every shard whose reports hold it.
    pub shards: ShardsRan,
}

/// The shards a test ran on, ascending, each once: nearly every test ran
/// on one, held inline, so that a million tests are not a million sets.
/// Build it with `One` and [`ShardsRan::add`]; the check reads it through
/// [`ShardsRan::as_slice`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardsRan {
    /// One shard.
    One(usize),
    /// Two or more, ascending.
    Several(Vec<usize>),
}

impl ShardsRan {
    /// Adds `shard`, unless it is there.
    pub fn add(&mut self, shard: usize) {
        match self {
            ShardsRan::One(only) if *only == shard => {}
            ShardsRan::One(only) => {
                let (low, high) = (shard.min(*only), shard.max(*only));
                *self = ShardsRan::Several(vec![low, high]);
            }
            ShardsRan::Several(shards) => {
                if let Err(at) = shards.binary_search(&shard) {
                    shards.insert(at, shard);
                }
            }
        }
    }

    /// The shards, ascending.
    pub fn as_slice(&self) -> &[usize] {
        match self {
            ShardsRan::One(shard) => std::slice::from_ref(shard),
            ShardsRan::Several(shards) => shards,
        }
    }

    /// The shards as the findings list them.
    fn to_set(&self) -> BTreeSet<usize> {
        self.as_slice().iter().copied().collect()
    }
}

/// The tests of `executions` (each record of a test and its shard, in
/// report order), each once, in native id order, as [`check`] takes them:
/// a test recorded again keeps its first record's id and adds the shard.
pub fn tests_that_ran(mut executions: Vec<Executed>) -> Vec<Executed> {
    // Stable, so that a test's first record stays first.
    executions.sort_by(|a, b| a.id.native.as_str().cmp(b.id.native.as_str()));
    executions.dedup_by(|later, first| {
        let same = later.id.native == first.id.native;
        if same {
            for &shard in later.shards.as_slice() {
                first.shards.add(shard);
            }
        }
        same
    });
    executions
}

/// What the check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Per shard, its planned tests that ran on it (and only there).
    pub ran: Vec<usize>,
    /// Per shard, its planned tests that ran on it and on another shard
    /// too: a shard whose reports another job also ran is not a shard
    /// where nothing ran.
    pub ran_elsewhere_too: Vec<usize>,
    /// Planned tests (or classes, files) that ran nowhere, with their shard.
    pub missing: Vec<(String, usize)>,
    /// Tests that ran on several shards, with the shard they belong to.
    pub duplicated: Vec<(String, BTreeSet<usize>, Option<usize>)>,
    /// Tests that ran on one shard but belong to another (or to none).
    pub misplaced: Vec<(String, usize, Option<usize>)>,
    /// Tests the plan does not know that ran on the catch-all shard.
    pub new_on_catch_all: Vec<String>,
    /// Tests the plan does not list that ran with their planned class or
    /// file, or in a group their shard selects whole.
    pub new_in_groups: usize,
    /// Planned tests of a class or file that ran, which did not appear.
    pub unseen_in_groups: Vec<(String, usize)>,
}

/// Checks the tests that ran (each once, in native id order:
/// [`tests_that_ran`]) against the plan; see the module docs for the rules.
///
/// Planned tests are found by their position in the plan: a plan read
/// back holds each test once ([`FrozenPlan::from_document`] refuses a test
/// on two shards), so a position stands for a native id.
pub fn check(plan: &FrozenPlan, runner: &dyn Runner, ran: &[Executed]) -> Findings {
    debug_assert!(
        ran.windows(2).all(|w| w[0].id.native < w[1].id.native),
        "tests_that_ran: each test once, in id order"
    );
    let members = plan.members();
    let by = plan.doc.by;
    // Every planned test with its shard, in shard order: what the lists
    // below are built in. Maps are only looked up.
    let planned_tests: Vec<(usize, &Member<'_>)> = members
        .iter()
        .enumerate()
        .flat_map(|(shard, tests)| tests.iter().map(move |member| (shard, member)))
        .collect();
    let mut planned: HashMap<&str, usize> = HashMap::with_capacity(planned_tests.len());
    for (index, (_, member)) in planned_tests.iter().enumerate() {
        planned.insert(member.test.native.as_str(), index);
    }
    // A test the reports name otherwise than the plan is found by the
    // runner's other keys for it; these are only worked out for every
    // planned test once one is needed.
    let mut alternative: Option<HashMap<String, Option<usize>>> = None;
    let mut resolve = |id: &TestId| -> Option<usize> {
        if let Some(&index) = planned.get(id.native.as_str()) {
            return Some(index);
        }
        let alternative = alternative.get_or_insert_with(|| {
            let mut keys: HashMap<String, Option<usize>> =
                HashMap::with_capacity(planned_tests.len());
            for (index, (_, member)) in planned_tests.iter().enumerate() {
                for key in runner.match_keys(&member.test.to_id()) {
                    keys.entry(key)
                        .and_modify(|n| *n = None)
                        .or_insert(Some(index));
                }
            }
            keys
        });
        let found: BTreeSet<usize> = runner
            .match_keys(id)
            .iter()
            .filter_map(|key| alternative.get(key).copied().flatten())
            .collect();
        (found.len() == 1).then(|| found.into_iter().next().expect("one"))
    };
    // Per planned test, the shards it ran on.
    let mut runs: Vec<Option<ShardsRan>> = vec![None; planned_tests.len()];
    let mut unplanned: Vec<&Executed> = Vec::new();
    // The classes and files planned whole that had a test run: only items
    // not planned test by test are asked about below.
    let mut items_ran: HashSet<(&str, Granularity)> = HashSet::new();
    for test in ran {
        let Some(index) = resolve(&test.id) else {
            unplanned.push(test);
            continue;
        };
        let member = planned_tests[index].1;
        if member.by != Granularity::Test {
            items_ran.insert((member.key(), member.by));
        }
        match &mut runs[index] {
            Some(on) => test.shards.as_slice().iter().for_each(|&s| on.add(s)),
            none => *none = Some(test.shards.clone()),
        }
    }
    // Where the tests the plan does not list belong: with their class or
    // file planned whole, else in a group one shard holds all of.
    let mut item_shard: HashMap<(&str, Granularity), usize> = HashMap::new();
    let mut whole: HashMap<&str, Option<usize>> = HashMap::new();
    if !unplanned.is_empty() {
        for &(shard, member) in &planned_tests {
            item_shard.insert((member.key(), member.by), shard);
            whole
                .entry(member.test.file.as_str())
                .and_modify(|s| {
                    if *s != Some(shard) {
                        *s = None;
                    }
                })
                .or_insert(Some(shard));
        }
    }
    if by != Granularity::Test {
        for test in &unplanned {
            let key = (test.id.key(by), by);
            if item_shard.contains_key(&key) {
                items_ran.insert(key);
            }
        }
    }

    let mut findings = Findings {
        ran: vec![0; members.len()],
        ran_elsewhere_too: vec![0; members.len()],
        ..Findings::default()
    };
    let mut missing_items: BTreeSet<(&str, Granularity)> = BTreeSet::new();
    for (&(shard, member), on) in planned_tests.iter().zip(&runs) {
        let native = member.test.native.as_str();
        match on.as_ref().map(ShardsRan::as_slice) {
            None if member.by == Granularity::Test => {
                findings.missing.push((native.to_string(), shard));
            }
            None if items_ran.contains(&(member.key(), member.by)) => {
                findings.unseen_in_groups.push((native.to_string(), shard));
            }
            None => {
                if missing_items.insert((member.key(), member.by)) {
                    findings.missing.push((
                        format!("{} (the whole {})", member.key(), member.by.name()),
                        shard,
                    ));
                }
            }
            Some(shards) if shards.len() > 1 => {
                if shards.contains(&shard) {
                    findings.ran_elsewhere_too[shard] += 1;
                }
                let on = on.as_ref().expect("ran").to_set();
                findings
                    .duplicated
                    .push((native.to_string(), on, Some(shard)));
            }
            Some(&[ran]) if ran != shard => {
                findings
                    .misplaced
                    .push((native.to_string(), ran, Some(shard)));
            }
            Some(_) => findings.ran[shard] += 1,
        }
    }
    for test in unplanned {
        let in_item = (by != Granularity::Test)
            .then(|| item_shard.get(&(test.id.key(by), by)).copied())
            .flatten();
        let in_group = in_item.or(whole.get(test.id.file.as_str()).copied().flatten());
        let expected = in_group.or(plan.doc.catch_all);
        let native = test.id.native.as_str();
        let ran_on = match test.shards.as_slice() {
            &[shard] => shard,
            _ => {
                findings
                    .duplicated
                    .push((native.to_string(), test.shards.to_set(), expected));
                continue;
            }
        };
        match expected {
            Some(shard) if shard == ran_on && in_group.is_some() => findings.new_in_groups += 1,
            Some(shard) if shard == ran_on => findings.new_on_catch_all.push(native.to_string()),
            _ => findings
                .misplaced
                .push((native.to_string(), ran_on, expected)),
        }
    }
    findings
}

/// Runs `shardplan verify`.
pub fn run(args: &VerifyArgs, streams: &mut Streams<'_>) -> Result<()> {
    let plan = FrozenPlan::load(&args.plan)?;
    let count = plan.count();
    let runner = plan.doc.runner.runner();
    let mut warnings = Warnings::default();
    let sources = attribute(args, &plan, &mut warnings)?;
    let options = ReadOptions::new(
        args.strict,
        args.read.format.as_deref(),
        args.read.root.as_deref(),
    )?;
    // Each shard's results, in report order, are kept only when a timing
    // history will be read: isolation suspects need both.
    let history_path = match &args.timings {
        Some(path) => Some(path.as_path()),
        None => Some(Path::new(history::DEFAULT_PATH)).filter(|path| path.is_file()),
    };
    let mut executions: Vec<Executed> = Vec::new();
    let mut recorded: Vec<Option<Micros>> = vec![None; count];
    let mut other_runner = 0;
    let mut results: Vec<Vec<ShardResult>> = vec![Vec::new(); count];
    for (shard, files) in sources.files.iter().enumerate() {
        if files.is_empty() {
            continue;
        }
        let (cases, groups, _) = inputs::read_reports_with_groups(files, &options, &mut warnings)?;
        let accepts = |case: &TestCase| runner.accepts(case.dialect);
        recorded[shard] = Some(recorded_time(&cases, &groups, &accepts));
        executions.reserve(cases.len());
        let named = name_executions(runner.as_ref(), &cases, shard);
        other_runner += named.other_runner;
        if history_path.is_some() {
            results[shard] = named
                .executions
                .iter()
                .zip(named.outcomes)
                .map(|(execution, outcome)| ShardResult {
                    id: execution.id.native.clone(),
                    outcome,
                })
                .collect();
        }
        executions.extend(named.executions);
    }
    let ran = tests_that_ran(executions);
    if other_runner > 0 {
        warnings.push(format!(
            "ignored {other_runner} test cases from reports written by other runners than the plan's ({})",
            runner.name()
        ));
    }
    app::print_warnings(&mut warnings, streams.stderr);
    let findings = check(&plan, runner.as_ref(), &ran);
    let history = match history_path {
        Some(path) => Some(History::load(path)?),
        None => None,
    };
    let suspects = match &history {
        Some(history) => flaky::suspects_against(history, runner.as_ref(), &results),
        None => Vec::new(),
    };
    let report = Report {
        plan: &plan,
        sources: &sources,
        recorded: &recorded,
        findings: &findings,
        allow_missing: args.allow_missing,
        suspects: &suspects,
        fail_on_isolation: args.fail_on_isolation,
    };
    let mut out = String::new();
    if !args.quiet {
        out += &report.table();
    }
    out += &report.problems();
    app::write_stdout(streams.stdout, &out)?;
    step_summary::write_from_env(
        args.summary.request().as_ref(),
        || report.markdown().to_markdown(),
        streams.stderr,
    )?;
    match report.failures() {
        failures if failures.is_empty() => Ok(()),
        failures => Err(Error::input(format!(
            "verify failed: {}",
            failures.join(", ")
        ))),
    }
}

/// One shard's cases named by the plan's runner, in report order.
struct Named {
    /// Each named case as a test that ran on the shard.
    executions: Vec<Executed>,
    /// How each of them ended.
    outcomes: Vec<Outcome>,
    /// Cases of other runners' reports, left out.
    other_runner: usize,
}

/// Names the cases of `shard`'s reports that `runner` can select. The ids
/// are written into shared blocks of text ([`TextBlock`]), not a string
/// each: a million tests' ids are then a few hundred allocations.
fn name_executions(runner: &dyn Runner, cases: &[TestCase], shard: usize) -> Named {
    let mut named = Named {
        executions: Vec::with_capacity(cases.len()),
        outcomes: Vec::with_capacity(cases.len()),
        other_runner: 0,
    };
    let mut selecting = Selecting::default();
    let mut natives = TextBlock::default();
    // The class and file of each id written and not yet handed out.
    let mut places: Vec<(Option<Text>, Text)> = Vec::new();
    let mut pack = |natives: &mut TextBlock, places: &mut Vec<(Option<Text>, Text)>| {
        let ids = natives.finish().zip(places.drain(..));
        named
            .executions
            .extend(ids.map(|(native, (class, file))| Executed {
                id: TestId {
                    class: class.unwrap_or_else(|| native.clone()),
                    native,
                    file,
                },
                shards: ShardsRan::One(shard),
            }));
    };
    for case in cases {
        if !runner.accepts(case.dialect) {
            named.other_runner += 1;
            continue;
        }
        let place = natives.write(|native| selecting.selectable_into(runner, case, native));
        if let Ok(place) = place {
            places.push(place);
            named.outcomes.push(case.outcome);
            if natives.is_full() {
                pack(&mut natives, &mut places);
            }
        }
    }
    pack(&mut natives, &mut places);
    named
}

/// The report files of each shard, and the records that named them.
#[derive(Debug, Default)]
struct Sources {
    /// Per shard, its report files, sorted.
    files: Vec<Vec<PathBuf>>,
    /// Records whose fingerprint is not the plan's: path and record.
    mismatched: Vec<(PathBuf, ShardRecord)>,
}

/// Assigns every report file to its shard: by the record in its directory
/// or above, or by `--shard-report`.
fn attribute(args: &VerifyArgs, plan: &FrozenPlan, warnings: &mut Warnings) -> Result<Sources> {
    let count = plan.count();
    let mut shard_of: BTreeMap<PathBuf, usize> = BTreeMap::new();
    let mut assign = |file: PathBuf, shard: usize| -> Result<()> {
        match shard_of.insert(file.clone(), shard) {
            Some(other) if other != shard => Err(Error::in_file(
                &file,
                format!("this report is given for shards {other} and {shard}"),
            )),
            _ => Ok(()),
        }
    };
    let mut sources = Sources {
        files: vec![Vec::new(); count],
        mismatched: Vec::new(),
    };
    let mut records: BTreeMap<PathBuf, Option<(PathBuf, ShardRecord)>> = BTreeMap::new();
    for file in report_files(&args.reports, warnings)? {
        let Some((path, record)) = record_for(&file, &mut records)? else {
            return Err(Error::in_file(
                &file,
                format!(
                    "no {RECORD_FILE} in this report's directory or above: keep each shard's reports in the directory `shardplan select --record DIR` wrote, or name the shard with --shard-report I=PATH"
                ),
            ));
        };
        if record.fingerprint != plan.doc.fingerprint {
            if !sources.mismatched.iter().any(|(p, _)| *p == path) {
                sources.mismatched.push((path, record));
            }
            continue;
        }
        if record.index >= count {
            return Err(Error::in_file(
                &path,
                format!(
                    "records shard {} of a plan with {count} shards",
                    record.index
                ),
            ));
        }
        assign(file, record.index)?;
    }
    for given in &args.shard_report {
        if given.index >= count {
            return Err(Error::usage(format!(
                "--shard-report {}={}: the plan has {count} shards, indexed from 0 to {}",
                given.index,
                given.path,
                count - 1
            )));
        }
        for file in report_files(std::slice::from_ref(&given.path), warnings)? {
            assign(file, given.index)?;
        }
    }
    for (file, shard) in shard_of {
        sources.files[shard].push(file);
    }
    Ok(sources)
}

/// The report files named by `arguments`, shard records left out.
fn report_files(arguments: &[String], warnings: &mut Warnings) -> Result<Vec<PathBuf>> {
    let found = inputs::resolve(arguments, "a report argument")?;
    for argument in &found.unmatched {
        warnings.push(format!("{argument:?} matched no report file"));
    }
    Ok(found
        .files
        .into_iter()
        .filter(|f| f.file_name().is_none_or(|n| n != RECORD_FILE))
        .collect())
}

/// The time a shard's reports recorded: the outermost groups' times (a
/// JUnit suite's, a go package's, setup included), plus the cases outside
/// any group; only cases of the plan's runner count.
fn recorded_time(
    cases: &[TestCase],
    groups: &[GroupTime],
    accepts: &dyn Fn(&TestCase) -> bool,
) -> Micros {
    let mut spans: Vec<&GroupTime> = groups
        .iter()
        .filter(|g| !g.cases.is_empty() && accepts(&cases[g.cases.start]))
        .collect();
    spans.sort_by_key(|g| (g.cases.start, std::cmp::Reverse(g.cases.end)));
    let mut covered = vec![false; cases.len()];
    let mut total: Micros = 0;
    let mut end = 0;
    for group in spans {
        // Nested groups count once, by the outermost.
        if group.cases.end <= end {
            continue;
        }
        total = total.saturating_add(group.duration);
        covered[group.cases.clone()].fill(true);
        end = end.max(group.cases.end);
    }
    for (case, covered) in cases.iter().zip(covered) {
        if !covered && accepts(case) {
            total = total.saturating_add(case.duration.unwrap_or(0));
        }
    }
    total
}

/// What `verify` prints.
struct Report<'a> {
    plan: &'a FrozenPlan,
    sources: &'a Sources,
    recorded: &'a [Option<Micros>],
    findings: &'a Findings,
    allow_missing: bool,
    suspects: &'a [Suspect],
    fail_on_isolation: bool,
}

impl Report<'_> {
    /// The plan and one line per shard: predicted, recorded, tests run.
    fn table(&self) -> String {
        let doc = &self.plan.doc;
        let reports: usize = self.sources.files.iter().map(Vec::len).sum();
        let mut out = format!(
            "shardplan verify: plan {} from {}: {} shards, runner {}, by {}; {reports} report file{}\n",
            doc.fingerprint,
            self.plan.path.display(),
            doc.shards.len(),
            doc.runner.runner().name(),
            doc.by.name(),
            if reports == 1 { "" } else { "s" },
        );
        out += "  shard  predicted   recorded   planned tests that ran\n";
        for (index, predicted) in doc.predicted().into_iter().enumerate() {
            let recorded = match self.recorded[index] {
                Some(time) => human(time),
                None => "-".to_string(),
            };
            let mut line = format!(
                "  {index:>5}  {:>9}  {recorded:>9}   {} of {}",
                human(predicted),
                self.findings.ran[index],
                doc.shards[index].test_count
            );
            let twice = self.findings.ran_elsewhere_too[index];
            if twice > 0 {
                line = format!(
                    "  {index:>5}  {:>9}  {recorded:>9}   {} of {}, {twice} of them on another shard too",
                    human(predicted),
                    self.findings.ran[index] + twice,
                    doc.shards[index].test_count
                );
            }
            if self.sources.files[index].is_empty() {
                line += "  (no report)";
            }
            if Some(index) == doc.catch_all {
                line += "  (catch-all)";
            }
            out += &line;
            out.push('\n');
        }
        if doc.shard_overhead_seconds > 0.0 {
            out += &format!(
                "  (predictions include the shard overhead of {}s, which no report records)\n",
                doc.shard_overhead_seconds
            );
        }
        out
    }

    /// The lists of problems and notes.
    fn problems(&self) -> String {
        let f = self.findings;
        let mut out = String::new();
        if f.new_in_groups > 0 {
            out += &format!(
                "{} tests the plan does not list ran with their planned class, file or group\n",
                f.new_in_groups
            );
        }
        list(
            &mut out,
            &format!(
                "new tests (not in the plan; ran on the catch-all shard {})",
                self.plan
                    .doc
                    .catch_all
                    .map_or(String::new(), |c| c.to_string())
            ),
            &f.new_on_catch_all,
            |t| t.clone(),
        );
        list(
            &mut out,
            "note: planned tests of a class or file that ran did not appear (deleted or renamed since planning?)",
            &f.unseen_in_groups,
            |(t, s)| format!("{t}  (shard {s})"),
        );
        let missing_title = if self.allow_missing {
            "planned but never ran (allowed by --allow-missing)"
        } else {
            "FAILED: planned but never ran"
        };
        list(&mut out, missing_title, &f.missing, |(t, s)| {
            format!("{t}  (planned for shard {s})")
        });
        if !f.missing.is_empty() && self.plan.doc.suite == Some(SuiteSource::Timings) {
            out += "  the plan was made from timings alone: a test deleted since they were recorded is still in it. Plan with --tests-from, or pass --allow-missing.\n";
        }
        list(
            &mut out,
            "FAILED: ran on more than one shard",
            &f.duplicated,
            |(t, on, expected)| {
                let on: Vec<String> = on.iter().map(usize::to_string).collect();
                format!("{t}  on shards {}{}", on.join(", "), belongs(*expected))
            },
        );
        list(
            &mut out,
            "FAILED: ran on a shard it was not planned for",
            &f.misplaced,
            |(t, ran, expected)| format!("{t}  ran on shard {ran}{}", belongs(*expected)),
        );
        list(
            &mut out,
            "FAILED: shards that ran another plan (fingerprint mismatch)",
            &self.sources.mismatched,
            |(path, record)| {
                format!(
                    "{}: shard {} of plan {}, not {}",
                    path.display(),
                    record.index,
                    record.fingerprint,
                    self.plan.doc.fingerprint
                )
            },
        );
        let title = if self.fail_on_isolation {
            "FAILED: isolation suspects: failed on their shard, passed in every run of the history"
        } else {
            "isolation suspects: failed on their shard, passed in every run of the history"
        };
        list(&mut out, title, self.suspects, |s| {
            format!("{}  (shard {}{})", s.id, s.shard, culprits(&s.before))
        });
        if !self.suspects.is_empty() {
            out += "  the tests before each on its shard, in report order (JUnit order is execution order for most runners), are the likely culprits: an order or shared-state dependency to fix, not to retry\n";
        }
        if self.failures().is_empty() {
            out += "shardplan verify: OK: every planned test ran exactly once, on its shard\n";
        }
        out
    }

    /// What failed, counted, for the error message.
    fn failures(&self) -> Vec<String> {
        let f = self.findings;
        let mut failures = Vec::new();
        if !f.missing.is_empty() && !self.allow_missing {
            failures.push(format!("{} planned but never ran", f.missing.len()));
        }
        if !f.duplicated.is_empty() {
            failures.push(format!("{} ran on more than one shard", f.duplicated.len()));
        }
        if !f.misplaced.is_empty() {
            failures.push(format!("{} ran on the wrong shard", f.misplaced.len()));
        }
        if !self.sources.mismatched.is_empty() {
            failures.push(format!(
                "{} shard record(s) of another plan",
                self.sources.mismatched.len()
            ));
        }
        if self.fail_on_isolation && !self.suspects.is_empty() {
            failures.push(format!("{} isolation suspects", self.suspects.len()));
        }
        failures
    }

    /// The per-shard table for `--summary markdown`.
    fn markdown(&self) -> Table {
        let doc = &self.plan.doc;
        let rows = doc
            .predicted()
            .into_iter()
            .enumerate()
            .map(|(index, predicted)| {
                let recorded = self.recorded[index];
                (
                    vec![
                        index.to_string(),
                        human(predicted),
                        recorded.map_or("no report".to_string(), human),
                        format!(
                            "{} of {}",
                            self.findings.ran[index], doc.shards[index].test_count
                        ),
                    ],
                    recorded.unwrap_or(0),
                )
            })
            .collect();
        let failures = self.failures();
        let verdict = if failures.is_empty() {
            "Every planned test ran exactly once, on its shard.".to_string()
        } else {
            format!("**Verify failed**: {}.", failures.join(", "))
        };
        let mut notes = vec![verdict];
        if !self.suspects.is_empty() {
            let names: Vec<String> = self
                .suspects
                .iter()
                .take(MAX_LISTED)
                .map(|s| format!("`{}` (shard {})", s.id.replace('`', "'"), s.shard))
                .collect();
            notes.push(format!(
                "Isolation suspects (failed on their shard, passed in every run of the history): {}.",
                names.join(", ")
            ));
        }
        Table {
            title: format!("shardplan verify: plan `{}`", doc.fingerprint),
            headers: ["shard", "predicted", "recorded", "planned tests that ran"]
                .map(String::from)
                .to_vec(),
            rows,
            notes,
        }
    }
}

/// `, after N tests: …` (the last ten, nearest last) / `, ran first`.
fn culprits(before: &[String]) -> String {
    const SHOWN: usize = 10;
    match before.len() {
        0 => ", ran first on it: no test ran before it".to_string(),
        n if n <= SHOWN => format!(
            ", after {n} test{}: {}",
            if n == 1 { "" } else { "s" },
            before.join(", ")
        ),
        n => format!(
            ", after {n} tests: … {} earlier, then {}",
            n - SHOWN,
            before[n - SHOWN..].join(", ")
        ),
    }
}

/// `, planned for shard S` / `, which no shard selects`.
fn belongs(expected: Option<usize>) -> String {
    match expected {
        Some(shard) => format!(" (belongs to shard {shard})"),
        None => " (in no shard's plan, and there is no catch-all)".to_string(),
    }
}

/// Appends `title (n):` and the entries, at most [`MAX_LISTED`] of them.
fn list<T>(out: &mut String, title: &str, entries: &[T], show: impl Fn(&T) -> String) {
    if entries.is_empty() {
        return;
    }
    *out += &format!("{title} ({}):\n", entries.len());
    for entry in entries.iter().take(MAX_LISTED) {
        *out += &format!("  {}\n", show(entry));
    }
    if entries.len() > MAX_LISTED {
        *out += &format!("  … and {} more\n", entries.len() - MAX_LISTED);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::RunnerKind;
    use crate::report::{Dialect, Outcome};

    #[test]
    fn shard_reports_are_index_equals_path() {
        assert_eq!(
            "2=out/shard 2/*.xml".parse(),
            Ok(ShardReport {
                index: 2,
                path: "out/shard 2/*.xml".to_string()
            })
        );
        for bad in ["x=a", "2", "2=", "-1=a"] {
            assert!(bad.parse::<ShardReport>().is_err(), "{bad}");
        }
    }

    fn case(name: &str, duration: Micros, dialect: Dialect) -> TestCase {
        TestCase {
            name: name.into(),
            classname: Some("c".into()),
            suite: None,
            file: None,
            duration: Some(duration),
            outcome: Outcome::Passed,
            dialect,
            variant: None,
        }
    }

    #[test]
    fn recorded_time_counts_outermost_groups_and_loose_cases() {
        let cases = [
            case("a", 10, Dialect::Generic),
            case("b", 20, Dialect::Generic),
            case("c", 5, Dialect::Generic),
            case("d", 7, Dialect::Pytest),
        ];
        let groups = [
            GroupTime {
                cases: 0..2,
                duration: 50,
                start: None,
                wait: None,
            },
            // Nested in the first: counted by it.
            GroupTime {
                cases: 1..2,
                duration: 25,
                start: None,
                wait: None,
            },
            // Another runner's report: not counted.
            GroupTime {
                cases: 3..4,
                duration: 100,
                start: None,
                wait: None,
            },
        ];
        let generic = |c: &TestCase| c.dialect == Dialect::Generic;
        assert_eq!(recorded_time(&cases, &groups, &generic), 50 + 5);
    }

    /// A plan of `plain` tests `class::name` over shards, at `by`, with the
    /// last shard the catch-all; each class is its own file.
    fn plan(by: &str, shards: &[&[&str]]) -> FrozenPlan {
        plan_of(by, shards, Some(shards.len() - 1), &|class| {
            class.to_string()
        })
    }

    /// [`plan`] with the catch-all given, and each class's file.
    fn plan_of(
        by: &str,
        shards: &[&[&str]],
        catch_all: Option<usize>,
        file_of: &dyn Fn(&str) -> String,
    ) -> FrozenPlan {
        let shards: Vec<String> = shards
            .iter()
            .enumerate()
            .map(|(index, tests)| {
                let members: Vec<String> = tests
                    .iter()
                    .map(|t| {
                        let class = t.split_once("::").unwrap().0;
                        let file = file_of(class);
                        format!("{{\"id\":\"{t}\",\"class\":\"{class}\",\"file\":\"{file}\"}}")
                    })
                    .collect();
                let mut items: Vec<String> = tests
                    .iter()
                    .map(|t| match by {
                        "test" => t.to_string(),
                        "class" => t.split_once("::").unwrap().0.to_string(),
                        _ => file_of(t.split_once("::").unwrap().0),
                    })
                    .collect();
                items.sort();
                items.dedup();
                format!(
                    "{{\"index\":{index},\"predicted_seconds\":1.0,\"setup_seconds\":0.0,\"test_count\":{},\"tests\":{},\"members\":[{}]}}",
                    tests.len(),
                    serde_json::to_string(&items).unwrap(),
                    members.join(",")
                )
            })
            .collect();
        let text = format!(
            "{{\"version\":1,\"fingerprint\":\"f\",\"total_seconds\":1.0,\"lower_bound_seconds\":1.0,\"makespan_seconds\":1.0,\"ratio_to_lower_bound\":1.0,\"gap\":0.0,\"lower_bound_reason\":\"total/N\",\"shard_overhead_seconds\":0.0,\"setup_seconds\":0.0,\"runner\":\"plain\",\"by\":\"{by}\",\"algorithm\":\"best\",\"tests_planned\":0,\"tests_with_timings\":0,\"catch_all\":{},\"shards\":[{}]}}",
            serde_json::to_string(&catch_all).unwrap(),
            shards.join(",")
        );
        FrozenPlan::from_document(serde_json::from_str(&text).unwrap(), Path::new("p.json"))
            .unwrap()
    }

    /// The tests that ran: each `class::name` on its shards, its class
    /// its own file.
    fn executed(runs: &[(&str, &[usize])]) -> Vec<Executed> {
        executed_of(runs, &|class| class.to_string())
    }

    /// [`executed`], with each class's file.
    fn executed_of(runs: &[(&str, &[usize])], file_of: &dyn Fn(&str) -> String) -> Vec<Executed> {
        let runner = RunnerKind::Plain.runner();
        let executions = runs
            .iter()
            .flat_map(|(test, shards)| {
                let (class, name) = test.split_once("::").unwrap();
                let mut case = case(name, 1, Dialect::Generic);
                case.classname = Some(class.into());
                case.file = Some(file_of(class).as_str().into());
                let id = runner.identify(&case).unwrap();
                shards.iter().map(move |&shard| Executed {
                    id: id.clone(),
                    shards: ShardsRan::One(shard),
                })
            })
            .collect();
        tests_that_ran(executions)
    }

    #[test]
    fn check_sorts_tests_into_ran_missing_duplicated_misplaced_and_new() {
        let plan = plan("test", &[&["a::x", "a::y"], &["b::z", "c::w"]]);
        let runner = RunnerKind::Plain.runner();
        let found = check(
            &plan,
            runner.as_ref(),
            &executed(&[
                ("a::x", &[0]),
                ("b::z", &[0, 1]),
                ("c::w", &[0]),
                ("d::new", &[1]),
                // Group `a` is wholly on shard 0: its new test belongs there.
                ("a::added", &[0]),
                ("e::stray", &[0]),
            ]),
        );
        assert_eq!(found.ran, [1, 0]);
        assert_eq!(found.missing, [("a::y".to_string(), 0)]);
        assert_eq!(
            found.duplicated,
            [("b::z".to_string(), [0, 1].into(), Some(1))]
        );
        assert_eq!(
            found.misplaced,
            [
                ("c::w".to_string(), 0, Some(1)),
                ("e::stray".to_string(), 0, Some(1))
            ]
        );
        assert_eq!(found.new_on_catch_all, ["d::new"]);
        assert_eq!(found.new_in_groups, 1);
    }

    #[test]
    fn a_test_named_otherwise_is_found_by_the_runners_other_keys() {
        // Reports write nested classes `Outer$Inner`, the plan `Outer.Inner`;
        // a key two planned tests share (`d.E.F::w`) names neither.
        let plan = plan("test", &[&["a.B::x", "d$E.F::w"], &["c::y", "d.E$F::w"]]);
        let runner = RunnerKind::Plain.runner();
        let found = check(
            &plan,
            runner.as_ref(),
            &executed(&[("a$B::x", &[1]), ("c::y", &[1]), ("d$E$F::w", &[1])]),
        );
        assert_eq!(found.ran, [0, 1]);
        assert_eq!(found.misplaced, [("a.B::x".to_string(), 1, Some(0))]);
        assert_eq!(
            found.missing,
            [("d$E.F::w".to_string(), 0), ("d.E$F::w".to_string(), 1)]
        );
        assert_eq!(found.new_on_catch_all, ["d$E$F::w"]);
    }

    #[test]
    fn records_of_one_test_on_several_shards_are_one_test() {
        let runs = executed(&[("b::y", &[2]), ("a::x", &[1, 0, 1]), ("b::y", &[2])]);
        let ran: Vec<(&str, &[usize])> = runs
            .iter()
            .map(|e| (e.id.native.as_str(), e.shards.as_slice()))
            .collect();
        assert_eq!(ran, [("a::x", &[0, 1][..]), ("b::y", &[2][..])]);
    }

    #[test]
    fn a_class_ran_when_any_of_its_tests_did() {
        let plan = plan("class", &[&["a::x", "a::y"], &["b::z"]]);
        let runner = RunnerKind::Plain.runner();
        let found = check(&plan, runner.as_ref(), &executed(&[("a::x", &[0])]));
        assert_eq!(found.unseen_in_groups, [("a::y".to_string(), 0)]);
        assert_eq!(found.missing, [("b (the whole class)".to_string(), 1)]);
        assert!(found.duplicated.is_empty() && found.misplaced.is_empty());
    }

    /// The rules of the module docs read as plainly as they are written:
    /// each test looked up by scanning the plan, what [`check`] finds
    /// through maps and positions.
    fn check_naively(plan: &FrozenPlan, runner: &dyn Runner, ran: &[Executed]) -> Findings {
        let members: Vec<(usize, Member<'_>)> = plan
            .members()
            .into_iter()
            .enumerate()
            .flat_map(|(shard, tests)| tests.into_iter().map(move |m| (shard, m)))
            .collect();
        let by = plan.doc.by;
        let keys_of = |index: usize| runner.match_keys(&members[index].1.test.to_id());
        // A planned test by its id, else the one planned test that alone
        // holds one of the id's other keys.
        let resolve = |id: &TestId| -> Option<usize> {
            if let Some(i) = members
                .iter()
                .position(|(_, m)| *m.test.native == id.native)
            {
                return Some(i);
            }
            let found: BTreeSet<usize> = runner
                .match_keys(id)
                .into_iter()
                .filter_map(|key| {
                    let holders: Vec<usize> = (0..members.len())
                        .filter(|&i| keys_of(i).contains(&key))
                        .collect();
                    (holders.len() == 1).then(|| holders[0])
                })
                .collect();
            (found.len() == 1).then(|| *found.first().expect("one"))
        };
        let mut shards_of: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); members.len()];
        let mut unplanned = Vec::new();
        for test in ran {
            match resolve(&test.id) {
                Some(i) => shards_of[i].extend(test.shards.as_slice()),
                None => unplanned.push(test),
            }
        }
        let item_ran = |key: &str, item_by: Granularity| {
            (0..members.len()).any(|i| {
                let m = &members[i].1;
                !shards_of[i].is_empty() && m.by == item_by && m.key() == key
            }) || (item_by == by
                && unplanned.iter().any(|t| t.id.key(by) == key)
                && members.iter().any(|(_, m)| m.by == by && m.key() == key))
        };
        let shard_of_item = |key: &str, item_by: Granularity| {
            members
                .iter()
                .rev()
                .find(|(_, m)| m.by == item_by && m.key() == key)
                .map(|(s, _)| *s)
        };
        let mut findings = Findings {
            ran: vec![0; plan.count()],
            ran_elsewhere_too: vec![0; plan.count()],
            ..Findings::default()
        };
        let mut missing_items = BTreeSet::new();
        for (i, (shard, member)) in members.iter().enumerate() {
            let (shard, native) = (*shard, member.test.native.to_string());
            let on = &shards_of[i];
            if on.is_empty() {
                if member.by == Granularity::Test {
                    findings.missing.push((native, shard));
                } else if item_ran(member.key(), member.by) {
                    findings.unseen_in_groups.push((native, shard));
                } else if missing_items.insert((member.key(), member.by)) {
                    let whole = format!("{} (the whole {})", member.key(), member.by.name());
                    findings.missing.push((whole, shard));
                }
            } else if on.len() > 1 {
                findings.ran_elsewhere_too[shard] += usize::from(on.contains(&shard));
                findings.duplicated.push((native, on.clone(), Some(shard)));
            } else if !on.contains(&shard) {
                findings
                    .misplaced
                    .push((native, *on.first().expect("one"), Some(shard)));
            } else {
                findings.ran[shard] += 1;
            }
        }
        for test in unplanned {
            let in_item = (by != Granularity::Test)
                .then(|| shard_of_item(test.id.key(by), by))
                .flatten();
            let file_shards: BTreeSet<usize> = members
                .iter()
                .filter(|(_, m)| *m.test.file == test.id.file)
                .map(|(s, _)| *s)
                .collect();
            let whole = (file_shards.len() == 1).then(|| *file_shards.first().expect("one"));
            let in_group = in_item.or(whole);
            let expected = in_group.or(plan.doc.catch_all);
            let native = test.id.native.to_string();
            match test.shards.as_slice() {
                &[ran] if expected == Some(ran) && in_group.is_some() => {
                    findings.new_in_groups += 1
                }
                &[ran] if expected == Some(ran) => findings.new_on_catch_all.push(native),
                &[ran] => findings.misplaced.push((native, ran, expected)),
                several => {
                    findings
                        .duplicated
                        .push((native, several.iter().copied().collect(), expected))
                }
            }
        }
        findings
    }

    proptest::proptest! {
        /// Plans of up to twelve tests in four classes and three files
        /// (`a`, `b`, `d`: two classes, one class spelled two ways, share
        /// `b` and the runner's key `b.C.D`), on three shards, by test,
        /// class or file, with or without a catch-all; shards' reports
        /// naming planned, unplanned and differently spelled tests, some
        /// on several shards.
        #[test]
        fn check_finds_what_the_rules_read_plainly_find(
            by in 0..3usize,
            with_catch_all in proptest::bool::ANY,
            placement in proptest::collection::vec(0..4usize, 12),
            runs in proptest::collection::vec((0..18usize, 0..3usize), 0..30),
        ) {
            const CLASSES: [&str; 4] = ["a", "b$C.D", "b.C$D", "d"];
            const NAMES: [&str; 3] = ["x", "y", "z"];
            let file_of = |class: &str| format!("{}.py", &class[..1]);
            let id = |i: usize| format!("{}::{}", CLASSES[i / 3], NAMES[i % 3]);
            let by = ["test", "class", "file"][by];
            let mut shards: Vec<Vec<String>> = vec![Vec::new(); 3];
            for test in 0..12 {
                // Items stay together: a class or file goes where its
                // first test's placement says; 3 is no shard.
                let first = match by {
                    "test" => test,
                    "class" => test / 3 * 3,
                    _ => [0, 3, 3, 9][test / 3],
                };
                if placement[first] < 3 {
                    shards[placement[first]].push(id(test));
                }
            }
            for tests in &mut shards {
                tests.sort();
            }
            let shards: Vec<Vec<&str>> = shards
                .iter()
                .map(|tests| tests.iter().map(String::as_str).collect())
                .collect();
            let shards: Vec<&[&str]> = shards.iter().map(Vec::as_slice).collect();
            let plan = plan_of(by, &shards, with_catch_all.then_some(2), &file_of);
            let runner = RunnerKind::Plain.runner();
            // The twelve planned spellings, then tests no plan holds.
            let universe: Vec<String> = (0..12)
                .map(id)
                // A third and fourth spelling of `b.C.D`'s tests: found by
                // their key when one spelling is planned, not when both are.
                .chain(["e::x", "a::w", "b$C$D::x", "b.C.D::y", "d.E::y", "d::w"].map(String::from))
                .collect();
            let on: Vec<[usize; 1]> = runs.iter().map(|&(_, shard)| [shard]).collect();
            let records: Vec<(&str, &[usize])> = runs
                .iter()
                .zip(&on)
                .map(|(&(test, _), shard)| (universe[test].as_str(), &shard[..]))
                .collect();
            let ran = executed_of(&records, &file_of);
            proptest::prop_assert_eq!(
                check(&plan, runner.as_ref(), &ran),
                check_naively(&plan, runner.as_ref(), &ran)
            );
        }
    }
}
