//! Wires the pipeline together for the command line: read reports, build the
//! timing table and the suite, plan, and print one shard or the whole plan.
//!
//! Everything here writes to the streams it is given, so tests can run the
//! whole pipeline in-process.

use std::collections::HashMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::{Cli, Command, PlanArgs};
use crate::duration::{human, micros_to_seconds};
use crate::emit::template::Template;
use crate::emit::{
    Granularity, ListFile, Member, RenderContext, Rendered, Runner, RunnerKind, TestId,
};
use crate::error::{Error, Result};
use crate::history;
use crate::identity;
use crate::inputs;
use crate::plan::sticky::{self, Previous, Sticky};
use crate::plan::{self, Algorithm, Plan, Planner, ilp};
use crate::report::{self, GroupTime, TestCase};
use crate::timing::{self, GroupSetups, Source, Suite, TableStats, TimingTable};

/// Warnings beyond this many per run are counted, not printed.
const MAX_PRINTED_WARNINGS: usize = 20;

/// Unmatched listed tests the match report names.
const MATCH_EXAMPLES: usize = 5;

/// The streams a run reads and writes.
pub struct Streams<'a> {
    /// Where `--tests-from -` reads.
    pub stdin: &'a mut dyn Read,
    /// The shard's filter or the JSON plan.
    pub stdout: &'a mut dyn Write,
    /// Warnings and the summary.
    pub stderr: &'a mut dyn Write,
}

/// Which shards to plan and which one to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSelection {
    /// Number of shards.
    pub count: usize,
    /// The shard to print, 0-based; `None` with `--json` alone.
    pub index: Option<usize>,
}

/// Checks the shard options: `--shards N --index I` (0-based) or `--shard K/N`
/// (1-based). `--index` may be left out only when `--json` prints every shard.
pub fn shard_selection(args: &PlanArgs) -> Result<ShardSelection> {
    let selection = match (args.shard, args.shards, args.index) {
        (Some(spec), _, _) => ShardSelection {
            count: spec.count as usize,
            index: Some(spec.number as usize - 1),
        },
        (None, Some(count), index) => ShardSelection {
            count: count as usize,
            index: index.map(|i| i as usize),
        },
        (None, None, _) => {
            return Err(Error::usage(
                "the number of shards is missing: pass --shards N --index I (0-based) or --shard K/N (1-based)",
            ));
        }
    };
    match selection.index {
        Some(index) if index >= selection.count => Err(Error::usage(format!(
            "--index {index} is out of range for --shards {count}: indexes are 0-based, from 0 to {last}",
            count = selection.count,
            last = selection.count - 1
        ))),
        None if !args.json => Err(Error::usage(
            "which shard? pass --index I (0-based) or --shard K/N, or --json to print the whole plan",
        )),
        _ => Ok(selection),
    }
}

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

/// Runs the command line: the subcommand given, or planning one shard.
pub fn dispatch(cli: &Cli, streams: &mut Streams<'_>) -> Result<()> {
    match &cli.command {
        None => run(&cli.plan, streams),
        Some(Command::Merge(args)) => history::run(args, streams),
    }
}

/// Plans and prints one shard or the whole plan. Errors are returned, not
/// printed.
pub fn run(args: &PlanArgs, streams: &mut Streams<'_>) -> Result<()> {
    let selection = shard_selection(args)?;
    let runner = args.runner.runner();
    let mut warnings = Warnings::default();
    let planned = plan(
        args,
        selection.count,
        runner.as_ref(),
        streams.stdin,
        &mut warnings,
    );
    // Warnings often explain an error (a report for another runner), so
    // they are printed either way.
    warnings.flush(streams.stderr);
    let planned = planned?;

    if args.json {
        write_stdout(streams.stdout, &json(&planned, args))?;
        if !args.quiet {
            summary(&planned, args, selection, streams.stderr);
        }
        return Ok(());
    }
    let index = selection.index.unwrap_or(0);
    let shard = render_shard(&planned, args, index, runner.as_ref())?;
    for (path, contents) in &shard.rendered.files {
        fs::write(path, contents)
            .map_err(|e| Error::in_file(path, format!("cannot write the list file: {e}")))?;
    }
    let commands = if args.exec {
        Some(shard.rendered.output.commands(&args.extra_args).ok_or_else(|| {
            Error::usage(format!(
                "--runner {} prints test ids, not a command; say how to run them with --template",
                runner.name()
            ))
        })?)
    } else {
        let mut text = shard.rendered.lines().join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        write_stdout(streams.stdout, &text)?;
        None
    };
    if !args.quiet {
        summary(&planned, args, selection, streams.stderr);
        if let Some(catch_all) = shard.catch_all {
            let _ = writeln!(
                streams.stderr,
                "shardplan: catch-all: shard {catch_all} also runs every test not in the plan"
            );
        }
    }
    for warning in &shard.rendered.warnings {
        let _ = writeln!(streams.stderr, "shardplan: warning: {warning}");
    }
    for notice in &shard.rendered.notices {
        let _ = writeln!(streams.stderr, "shardplan: note: {notice}");
    }
    match commands {
        Some(commands) => crate::exec::run(&commands, streams.stderr),
        None => Ok(()),
    }
}

/// One shard as the runner (or `--template`) renders it, and which shard is
/// the catch-all.
pub struct RenderedShard {
    /// What to print, write and run.
    pub rendered: Rendered,
    /// The catch-all shard, if `--catch-all` is in effect.
    pub catch_all: Option<usize>,
}

/// Renders shard `index`. The catch-all (on by default without
/// `--tests-from`) is the last shard with planned items, so it never runs
/// empty; the list file is `--list-file` or a temporary file named by the
/// plan's fingerprint.
pub fn render_shard(
    planned: &Planned,
    args: &PlanArgs,
    index: usize,
    runner: &dyn Runner,
) -> Result<RenderedShard> {
    let shards = members(planned, args.by);
    let catch_all_on = !args.no_catch_all && (args.catch_all || args.tests_from.is_none());
    let catch_all = if catch_all_on {
        shards.iter().rposition(|tests| !tests.is_empty())
    } else {
        None
    };
    let list_file = ListFile {
        path: args.list_file.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!(
                "shardplan-{}-{index}-of-{}.list",
                planned.fingerprint,
                shards.len()
            ))
        }),
        forced: args.list_file.is_some(),
    };
    let ctx = RenderContext {
        index,
        shards: &shards,
        catch_all,
        list_file: &list_file,
    };
    let template = match &args.template {
        Some(text) => {
            Some(Template::parse(text).map_err(|e| Error::usage(format!("--template: {e}")))?)
        }
        None => None,
    };
    let render = |ctx: &RenderContext<'_>| match &template {
        Some(template) => Ok(template.render(ctx)),
        None => runner.render(ctx).map_err(Error::input),
    };
    let mut rendered = render(&ctx)?;
    // Every shard repeats the catch-all's warnings: a test that runs
    // nowhere must be seen whichever job's log is read.
    if let Some(other) = catch_all.filter(|&c| c != index) {
        let theirs = render(&RenderContext {
            index: other,
            ..ctx.clone()
        })?;
        rendered.warnings.extend(theirs.warnings);
    }
    Ok(RenderedShard {
        rendered,
        catch_all,
    })
}

/// Every shard's planned tests, each with the granularity of the item that
/// holds it (`by`, or a single test of a class or file `--split-large`
/// split), sorted by native id.
fn members(planned: &Planned, by: Granularity) -> Vec<Vec<Member<'_>>> {
    let plan = &planned.plan;
    let mut shard_of: HashMap<(&str, Granularity), usize> = HashMap::new();
    for (shard, content) in plan.shards.iter().enumerate() {
        for &item in &content.items {
            let item = &plan.problem.items[item];
            shard_of.insert((item.key.as_str(), item.granularity), shard);
        }
    }
    let mut shards: Vec<Vec<Member<'_>>> = vec![Vec::new(); plan.shards.len()];
    for test in &planned.suite.tests {
        for granularity in [by, Granularity::Test] {
            if let Some(&shard) = shard_of.get(&(test.id.key(granularity), granularity)) {
                shards[shard].push(Member {
                    test: &test.id,
                    by: granularity,
                });
                break;
            }
        }
    }
    shards
}

/// Reads the inputs and plans `shards` shards.
pub fn plan(
    args: &PlanArgs,
    shards: usize,
    runner: &dyn Runner,
    stdin: &mut dyn Read,
    warnings: &mut Warnings,
) -> Result<Planned> {
    let default_history = args.timings.is_empty() && Path::new(history::DEFAULT_PATH).is_file();
    let timings = if default_history {
        vec![history::DEFAULT_PATH.to_string()]
    } else {
        args.timings.clone()
    };
    let options = ReadOptions::new(
        args.strict,
        args.read.format.as_deref(),
        args.read.root.as_deref(),
    )?;
    let (cases, groups, reports_read) = read_reports(&timings, &options, warnings)?;
    let (table, table_stats) = TimingTable::build(&cases, runner);
    if !table_stats.other_runner.is_empty() && table.is_empty() {
        warnings.push(format!(
            "the reports hold {} test cases, none written for --runner {}; is --runner right?",
            table_stats.cases,
            runner.name()
        ));
    }
    let listed = match &args.tests_from {
        Some(source) => Some(read_listing(source, runner, stdin)?),
        None => None,
    };
    if listed.is_none() && !table.is_empty() && args.no_catch_all {
        warnings.push(format!(
            "no --tests-from and --no-catch-all: planning the {} tests found in the timings; a test added since they were recorded is on no shard. Pass the runner's current test list with --tests-from.",
            table.len()
        ));
    }
    let suite = timing::suite(table, listed.as_deref(), runner);
    if listed.is_some()
        && let Some(warning) = weak_match_warning(&suite, args.min_match)
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

    let setups = GroupSetups::measure(&cases, &groups, runner).with_extra(args.group_overhead);
    let measured_groups = setups.measured_groups();
    if args.split_large && args.by == Granularity::Test {
        warnings.push(
            "--split-large splits classes or files; with --by test every test is placed on its own already"
                .to_string(),
        );
    }
    let costs = plan::Costs {
        shard_overhead: args.shard_overhead,
        setups,
        split_large: args.split_large,
    };
    let problem = plan::problem(&suite, args.by, shards, &costs);
    let previous = match &args.previous {
        Some(path) => Some(Previous::read(path, runner.name(), args.by)?),
        None => None,
    };
    let budget = ilp::Budget {
        nodes: args.ilp_nodes,
        time_limit: args.ilp_time_limit,
    };
    if args.ilp_time_limit.is_some() && args.algorithm == Algorithm::Ilp {
        warnings.push(
            "--ilp-time-limit makes the plan depend on this machine's speed: shards planning on their own may disagree. Plan once with --json and hand the plan to the shards."
                .to_string(),
        );
    }
    let planner: Box<dyn Planner + '_> = match &previous {
        Some(_) if args.algorithm == Algorithm::Ilp => {
            return Err(Error::usage(
                "--previous works with --algorithm best or lpt, not ilp",
            ));
        }
        Some(previous) => Box::new(Sticky {
            previous,
            max_churn: args.max_churn,
            improve: args.algorithm == Algorithm::Best,
        }),
        None => args.algorithm.planner_with(&budget),
    };
    let mut parameters = vec![
        ("shardplan", env!("CARGO_PKG_VERSION").to_string()),
        ("runner", runner.name().to_string()),
        ("by", args.by.name().to_string()),
        ("algorithm", planner.name().to_string()),
        ("split_large", args.split_large.to_string()),
    ];
    if args.algorithm == Algorithm::Ilp {
        parameters.push(("ilp_backend", ilp::BACKEND.to_string()));
        parameters.push(("ilp_nodes", args.ilp_nodes.to_string()));
        if let Some(limit) = args.ilp_time_limit {
            parameters.push(("ilp_time_limit", limit.to_string()));
        }
    }
    if let Some(previous) = &previous {
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
    Ok(Planned {
        plan,
        suite,
        table_stats,
        reports_read,
        fingerprint,
        default_history,
        planner: planner_name,
        measured_groups,
        churn,
    })
}

/// How a plan made with `--previous` differs from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Churn {
    /// Items the previous plan placed that are still planned.
    pub kept: usize,
    /// Of those, items now on another shard.
    pub moved: usize,
    /// How many `--max-churn` allowed to move.
    pub cap: usize,
}

/// How report files are read and their paths named, for planning and
/// `merge` alike.
#[derive(Debug, Clone)]
pub struct ReadOptions<'a> {
    /// Fail on an unreadable report instead of skipping it.
    pub strict: bool,
    /// The format to read every report as, instead of detecting it.
    pub format: Option<&'a str>,
    /// The `--root` directory, absolute and normalised.
    pub root: String,
}

impl<'a> ReadOptions<'a> {
    /// Options from the command line; `root` defaults to the current
    /// directory, and a relative one is taken from it.
    pub fn new(strict: bool, format: Option<&'a str>, root: Option<&Path>) -> Result<Self> {
        let cwd = std::env::current_dir()
            .map_err(|e| Error::input(format!("cannot read the current directory: {e}")))?;
        // The root need not exist here: reports are often written on
        // another machine, under another checkout path.
        let root = match root.map(|r| identity::normalize_path(&r.to_string_lossy())) {
            // `C:/…` is absolute wherever shardplan runs.
            Some(root) if identity::is_absolute(&root) => root,
            Some(root) => identity::normalize_path(&cwd.join(root).to_string_lossy()),
            None => identity::normalize_path(&cwd.to_string_lossy()),
        };
        Ok(ReadOptions {
            strict,
            format,
            root,
        })
    }
}

/// Reads the reports named by `--timings` arguments.
fn read_reports(
    arguments: &[String],
    options: &ReadOptions<'_>,
    warnings: &mut Warnings,
) -> Result<(Vec<TestCase>, Vec<GroupTime>, usize)> {
    let found = inputs::resolve(arguments)?;
    for argument in &found.unmatched {
        warnings.push(format!("--timings {argument:?} matched no report file"));
    }
    read_reports_with_groups(&found.files, options, warnings)
}

/// Reads every report file and makes the paths in them relative to the
/// root. A broken report is skipped with a warning when others can be read,
/// unless `strict`; when none can, the first error stands. Returns the cases
/// and the number of files read.
pub fn read_report_files(
    files: &[PathBuf],
    options: &ReadOptions<'_>,
    warnings: &mut Warnings,
) -> Result<(Vec<TestCase>, usize)> {
    read_reports_with_groups(files, options, warnings).map(|(cases, _, read)| (cases, read))
}

/// [`read_report_files`], also returning the reports' group times, their
/// case ranges shifted to index the combined cases.
fn read_reports_with_groups(
    files: &[PathBuf],
    options: &ReadOptions<'_>,
    warnings: &mut Warnings,
) -> Result<(Vec<TestCase>, Vec<GroupTime>, usize)> {
    let strict = options.strict;
    let mut cases = Vec::new();
    let mut groups = Vec::new();
    let mut first_error = None;
    let mut read = 0;
    for path in files {
        match report::read_file_as(path, options.format) {
            Ok((report, file_warnings)) => {
                read += 1;
                let offset = cases.len();
                groups.extend(report.groups.into_iter().map(|group| GroupTime {
                    cases: group.cases.start + offset..group.cases.end + offset,
                    ..group
                }));
                cases.extend(report.cases.into_iter().map(|mut case| {
                    root_paths(&mut case, &options.root);
                    case
                }));
                for warning in file_warnings {
                    warnings.push(warning.0.to_string());
                }
            }
            Err(error) if strict => return Err(error),
            Err(error) => {
                warnings.push(format!(
                    "{error}; skipping this report (--strict makes this an error)"
                ));
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) if read == 0 => Err(error),
        _ => Ok((cases, groups, read)),
    }
}

/// Makes a case's file relative to the root; a file-level case (named by
/// its file, as parallel_tests and Knapsack record them) is renamed with it.
fn root_paths(case: &mut TestCase, root: &str) {
    let Some(file) = &case.file else {
        return;
    };
    let relative = identity::relative_to_root(file, root);
    if &relative != file {
        if case.name == *file {
            case.name = relative.clone();
        }
        case.file = Some(relative);
    }
}

/// The match report: how many listed tests found a timing, examples of
/// those that did not, and how many timings the listing no longer names.
fn match_report(suite: &Suite) -> String {
    let listed = suite.tests.len();
    let matched = suite.measured();
    let examples: Vec<&str> = suite
        .tests
        .iter()
        .filter(|t| t.source == Source::Estimated)
        .take(MATCH_EXAMPLES)
        .map(|t| t.id.native.as_str())
        .collect();
    let mut out = format!(
        "matched {matched} of {listed} listed tests to timings ({})",
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
    out + &format!("; timings for {} tests no longer listed", suite.stale)
}

/// The loud warning when fewer than `min_match` percent of the listed tests
/// matched a timing.
fn weak_match_warning(suite: &Suite, min_match: u8) -> Option<String> {
    let listed = suite.tests.len();
    let matched = suite.measured();
    if listed == 0 || matched * 100 >= usize::from(min_match) * listed {
        return None;
    }
    Some(format!(
        "ONLY {} OF THE LISTED TESTS MATCHED A TIMING (below --min-match {min_match}%): the split will be close to a split by count. \
         Check that --runner fits the reports, that paths in them are relative to --root (default: the current directory), \
         and compare the unmatched examples in the summary with the names in the reports.",
        percent(matched, listed)
    ))
}

/// `part` of `whole` as a percentage with one decimal, in integers.
fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "0%".to_string();
    }
    // Rounded down, so 100% means every listed test matched.
    let tenths = part as u128 * 1000 / whole as u128;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

fn read_listing(source: &str, runner: &dyn Runner, stdin: &mut dyn Read) -> Result<Vec<TestId>> {
    let path = Path::new(if source == "-" { "<stdin>" } else { source });
    let text = if source == "-" {
        let mut text = String::new();
        stdin
            .read_to_string(&mut text)
            .map_err(|e| Error::in_file(path, format!("cannot read the test list: {e}")))?;
        text
    } else {
        let bytes = fs::read(path)
            .map_err(|e| Error::in_file(path, format!("cannot read the test list: {e}")))?;
        String::from_utf8(bytes)
            .map_err(|e| Error::in_file(path, format!("the test list is not UTF-8: {e}")))?
    };
    runner
        .parse_listing(&text)
        .map_err(|e| Error::in_file(path, e.message).at(e.line as u64, 1))
}

/// Collects warnings, printing at most [`MAX_PRINTED_WARNINGS`].
#[derive(Debug, Default)]
pub struct Warnings {
    messages: Vec<String>,
}

impl Warnings {
    /// Records a warning.
    pub fn push(&mut self, message: String) {
        self.messages.push(message);
    }

    /// The warnings recorded so far.
    pub fn messages(&self) -> &[String] {
        &self.messages
    }

    /// Prints the warnings recorded so far and forgets them.
    pub fn flush(&mut self, stderr: &mut dyn Write) {
        for message in self.messages.iter().take(MAX_PRINTED_WARNINGS) {
            let _ = writeln!(stderr, "shardplan: warning: {message}");
        }
        if self.messages.len() > MAX_PRINTED_WARNINGS {
            let _ = writeln!(
                stderr,
                "shardplan: warning: ... and {} more warnings",
                self.messages.len() - MAX_PRINTED_WARNINGS
            );
        }
        self.messages.clear();
    }
}

/// Writes the primary output; a closed pipe (`| head`) is not an error.
fn write_stdout(stdout: &mut dyn Write, text: &str) -> Result<()> {
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::input(format!("cannot write output: {e}"))),
    }
}

#[derive(Serialize)]
struct PlanDoc<'a> {
    version: u32,
    fingerprint: &'a str,
    total_seconds: f64,
    lower_bound_seconds: f64,
    makespan_seconds: f64,
    ratio_to_lower_bound: f64,
    /// `makespan / bound - 1`: how far above optimal the plan can be.
    gap: f64,
    /// Which argument gives the bound (`total/N`, `largest item`, …).
    lower_bound_reason: &'static str,
    /// Fixed cost of every shard, included in every prediction.
    shard_overhead_seconds: f64,
    /// Group setups paid over all shards, included in the predictions.
    setup_seconds: f64,
    runner: RunnerKind,
    by: Granularity,
    algorithm: Algorithm,
    tests_planned: usize,
    tests_with_timings: usize,
    /// With `--previous`: items kept from it, moved, and the cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    churn: Option<Churn>,
    shards: Vec<ShardDoc>,
}

#[derive(Serialize)]
struct ShardDoc {
    index: usize,
    predicted_seconds: f64,
    /// The part of the prediction that is group setup.
    setup_seconds: f64,
    test_count: usize,
    tests: Vec<String>,
}

/// The whole plan as one line of JSON (format version 1).
pub fn json(planned: &Planned, args: &PlanArgs) -> String {
    let plan = &planned.plan;
    let bound = plan.lower_bound();
    let doc = PlanDoc {
        version: 1,
        fingerprint: &planned.fingerprint,
        total_seconds: micros_to_seconds(plan.total()),
        lower_bound_seconds: micros_to_seconds(bound.value),
        makespan_seconds: micros_to_seconds(plan.makespan()),
        ratio_to_lower_bound: (plan.ratio() * 10_000.0).round() / 10_000.0,
        gap: ((plan.ratio() - 1.0) * 1_000_000.0).round() / 1_000_000.0,
        lower_bound_reason: bound.reason.describe(),
        shard_overhead_seconds: micros_to_seconds(plan.problem.shard_overhead),
        setup_seconds: micros_to_seconds(plan.setup_paid()),
        runner: args.runner,
        by: args.by,
        algorithm: args.algorithm,
        tests_planned: planned.suite.tests.len(),
        tests_with_timings: planned.suite.measured(),
        churn: planned.churn,
        shards: plan
            .shards
            .iter()
            .enumerate()
            .map(|(index, shard)| ShardDoc {
                index,
                predicted_seconds: micros_to_seconds(shard.load),
                setup_seconds: micros_to_seconds(shard.setup),
                test_count: shard.items.iter().map(|&i| plan.items()[i].tests).sum(),
                tests: plan.keys(index),
            })
            .collect(),
    };
    let mut text = serde_json::to_string(&doc).expect("the plan document always serialises");
    text.push('\n');
    text
}

fn summary(planned: &Planned, args: &PlanArgs, selection: ShardSelection, stderr: &mut dyn Write) {
    let plan = &planned.plan;
    let suite = &planned.suite;
    let mut out = String::new();
    let estimated = suite.tests.len() - suite.measured();
    out += &format!(
        "shardplan: {} tests planned ({} with timings, {} estimated) from {} report file{}; by {}, runner {}\n",
        suite.tests.len(),
        suite.measured(),
        estimated,
        planned.reports_read,
        if planned.reports_read == 1 { "" } else { "s" },
        args.by.name(),
        args.runner.runner().name(),
    );
    if planned.default_history {
        out += &format!(
            "shardplan: timings from {} (the default without --timings)\n",
            history::DEFAULT_PATH
        );
    }
    if args.tests_from.is_some() {
        out += &format!("shardplan: {}\n", match_report(suite));
    } else if suite.stale > 0 {
        out += &format!(
            "shardplan: {} tests in the timings are no longer listed and were left out\n",
            suite.stale
        );
    }
    let stats = &planned.table_stats;
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
            args.runner.runner().unidentified_reason()
        );
    }
    let bound = plan.lower_bound();
    out += &format!(
        "shardplan: {} shards by {}; lower bound {} ({}); slowest shard {} = {:.3} x bound; fingerprint {}\n",
        plan.shards.len(),
        planned.planner,
        human(bound.value),
        bound.reason.describe(),
        human(plan.makespan()),
        plan.ratio(),
        planned.fingerprint
    );
    let overhead = plan.problem.shard_overhead;
    if overhead > 0 || plan.setup_paid() > 0 {
        let mut costs = Vec::new();
        if overhead > 0 {
            costs.push(format!("{} per shard (--shard-overhead)", human(overhead)));
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
            if args.group_overhead > 0 {
                sources.push(format!(
                    "{} per group from --group-overhead",
                    human(args.group_overhead)
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
            churn.moved, churn.kept, churn.cap, args.max_churn
        );
    }
    let shown: Vec<usize> = if plan.shards.len() <= 16 {
        (0..plan.shards.len()).collect()
    } else {
        selection.index.into_iter().collect()
    };
    for index in shown {
        let shard = &plan.shards[index];
        let tests: usize = shard.items.iter().map(|&i| plan.items()[i].tests).sum();
        let marker = if Some(index) == selection.index && !args.json {
            "  <- this shard"
        } else {
            ""
        };
        let setup = if shard.setup > 0 {
            format!(" (setup {})", human(shard.setup))
        } else {
            String::new()
        };
        out += &format!(
            "  shard {index:>3}  {:>8}  {tests:>6} tests{setup}{marker}\n",
            human(shard.load)
        );
    }
    if let Some(index) = selection.index
        && plan.shards[index].items.is_empty()
        && !args.json
    {
        out += &format!(
            "shardplan: shard {index} has nothing to run: {} items for {} shards\n",
            plan.items().len(),
            plan.shards.len()
        );
    }
    let _ = stderr.write_all(out.as_bytes());
}
