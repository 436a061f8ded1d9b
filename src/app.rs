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
use crate::duration::human;
use crate::emit::template::Template;
use crate::emit::{Granularity, ListFile, Member, RenderContext, Rendered, Runner, TestId};
use crate::error::{Error, Result};
use crate::frozen::Document;
use crate::history;
use crate::identity;
use crate::inputs;
use crate::plan::sticky::{self, Previous, Sticky};
use crate::plan::{self, Algorithm, Plan, Planner, ilp};
use crate::report::{self, GroupTime, TestCase};
use crate::timing::{self, GroupSetups, Source, Suite, TableStats, TimingTable};
use crate::{ci_env, commands, step_summary};

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
    /// The CI variables the shard came from, when the flags left it open.
    pub origin: Option<ci_env::Detected>,
}

/// Checks the shard options: `--shards N --index I` (0-based) or `--shard K/N`
/// (1-based); what they leave open comes from the CI's variables
/// ([`ci_env`]). `--index` may be left out only when `--json` prints every
/// shard.
pub fn shard_selection(args: &PlanArgs) -> Result<ShardSelection> {
    shard_selection_in(args, &|name| std::env::var(name).ok())
}

/// [`shard_selection`] with the environment read through `lookup`.
pub fn shard_selection_in(
    args: &PlanArgs,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<ShardSelection> {
    // Explicit flags always win; the environment fills in only the index
    // (or both) they leave open.
    let settled =
        args.shard.is_some() || args.index.is_some() || (args.shards.is_some() && args.json);
    let detected = if settled {
        None
    } else {
        ci_env::detect(lookup)?
    };
    let selection = match (args.shard, args.shards, args.index, detected) {
        (Some(spec), ..) => ShardSelection {
            count: spec.count as usize,
            index: Some(spec.number as usize - 1),
            origin: None,
        },
        (None, Some(count), None, Some(found)) if found.count != count as usize => {
            return Err(Error::usage(format!(
                "--shards {count} does not match the CI's job count ({}): pass --index I too, or plan as many shards as there are jobs",
                found.describe()
            )));
        }
        (None, Some(count), index, found) => ShardSelection {
            count: count as usize,
            index: index.map(|i| i as usize).or(found.map(|f| f.index)),
            origin: found,
        },
        (None, None, _, Some(found)) => ShardSelection {
            count: found.count,
            index: Some(found.index),
            origin: Some(found),
        },
        (None, None, _, None) => {
            return Err(Error::usage(format!(
                "the number of shards is missing: pass --shards N --index I (0-based) or --shard K/N (1-based), or run where a CI sets one of {}",
                ci_env::variable_names()
            )));
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
        Some(Command::Plan(args)) => commands::plan::run(args, streams),
        Some(Command::Select(args)) => commands::select::run(args, streams),
        Some(Command::Matrix(args)) => commands::matrix::run(args, streams),
        Some(Command::Verify(args)) => commands::verify::run(args, streams),
        Some(Command::Whatif(args)) => crate::whatif::run(args, streams),
        Some(Command::Explain(args)) => crate::explain::run(args, streams),
    }
}

/// Plans and prints one shard or the whole plan. Errors are returned, not
/// printed.
pub fn run(args: &PlanArgs, streams: &mut Streams<'_>) -> Result<()> {
    let selection = shard_selection(args)?;
    let runner = args.suite.runner.runner();
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
    if args.explain {
        let explanation = crate::explain::render(&planned, args, selection.index);
        let _ = streams.stderr.write_all(explanation.as_bytes());
    }

    let markdown = || {
        let doc = Document::from_planned(&planned, args, catch_all(&planned, args));
        step_summary::plan_table(&doc, selection.index).to_markdown()
    };
    if args.json {
        write_stdout(streams.stdout, &json(&planned, args))?;
        if !args.suite.quiet {
            summary(&planned, args, selection, streams.stderr);
        }
        return step_summary::write_from_env(&args.summary, markdown, streams.stderr);
    }
    let index = selection.index.unwrap_or(0);
    let shard = render_shard(&planned, args, index, runner.as_ref())?;
    let exec = args.exec.then_some(args.extra_args.as_slice());
    let commands = output_shard(&shard.rendered, exec, runner.name(), streams.stdout)?;
    if !args.suite.quiet {
        summary(&planned, args, selection, streams.stderr);
        if let Some(catch_all) = shard.catch_all {
            let _ = writeln!(
                streams.stderr,
                "shardplan: catch-all: shard {catch_all} also runs every test not in the plan"
            );
        }
    }
    shard_notes(&shard.rendered, streams.stderr);
    step_summary::write_from_env(&args.summary, markdown, streams.stderr)?;
    match commands {
        Some(commands) => crate::exec::run(&commands, streams.stderr),
        None => Ok(()),
    }
}

/// Writes a rendered shard's list files, then prints its filter on stdout;
/// or, with `exec` (the extra arguments), returns the commands `--exec`
/// runs instead of printing them.
pub fn output_shard(
    rendered: &Rendered,
    exec: Option<&[String]>,
    runner: &str,
    stdout: &mut dyn Write,
) -> Result<Option<Vec<Vec<String>>>> {
    for (path, contents) in &rendered.files {
        fs::write(path, contents)
            .map_err(|e| Error::in_file(path, format!("cannot write the list file: {e}")))?;
    }
    if let Some(extra) = exec {
        return rendered.output.commands(extra).map(Some).ok_or_else(|| {
            Error::usage(format!(
                "--runner {runner} prints test ids, not a command; say how to run them with --template"
            ))
        });
    }
    let mut text = rendered.lines().join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    write_stdout(stdout, &text)?;
    Ok(None)
}

/// Prints a rendered shard's warnings and notices on stderr.
pub fn shard_notes(rendered: &Rendered, stderr: &mut dyn Write) {
    for warning in &rendered.warnings {
        let _ = writeln!(stderr, "shardplan: warning: {warning}");
    }
    for notice in &rendered.notices {
        let _ = writeln!(stderr, "shardplan: note: {notice}");
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

/// The catch-all shard of a plan made with `args`: on by default without
/// `--tests-from`, it is the last shard with planned items, so it never
/// runs empty.
pub fn catch_all(planned: &Planned, args: &PlanArgs) -> Option<usize> {
    let on = !args.no_catch_all && (args.catch_all || args.suite.tests_from.is_none());
    if on {
        planned
            .plan
            .shards
            .iter()
            .rposition(|s| !s.items.is_empty())
    } else {
        None
    }
}

/// Renders shard `index` of a plan made with `args`; see [`render_members`].
pub fn render_shard(
    planned: &Planned,
    args: &PlanArgs,
    index: usize,
    runner: &dyn Runner,
) -> Result<RenderedShard> {
    let shards = members(planned, args.suite.by);
    let catch_all = catch_all(planned, args);
    let options = RenderOptions {
        list_file: args.list_file.as_deref(),
        template: args.template.as_deref(),
    };
    let rendered = render_members(
        &shards,
        catch_all,
        &planned.fingerprint,
        index,
        &options,
        runner,
    )?;
    Ok(RenderedShard {
        rendered,
        catch_all,
    })
}

/// How a shard is printed beyond the runner's own filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions<'a> {
    /// `--list-file`.
    pub list_file: Option<&'a Path>,
    /// `--template`.
    pub template: Option<&'a str>,
}

/// Renders shard `index` of `shards` (every shard's planned tests) with the
/// runner, or `--template`. The list file is `--list-file` or a temporary
/// file named by the plan's fingerprint. Every shard repeats the
/// catch-all's warnings.
pub fn render_members(
    shards: &[Vec<Member<'_>>],
    catch_all: Option<usize>,
    fingerprint: &str,
    index: usize,
    options: &RenderOptions<'_>,
    runner: &dyn Runner,
) -> Result<Rendered> {
    let list_file = ListFile {
        path: options.list_file.map(Path::to_path_buf).unwrap_or_else(|| {
            std::env::temp_dir().join(format!(
                "shardplan-{fingerprint}-{index}-of-{}.list",
                shards.len()
            ))
        }),
        forced: options.list_file.is_some(),
    };
    let ctx = RenderContext {
        index,
        shards,
        catch_all,
        list_file: &list_file,
    };
    let template = match options.template {
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
    Ok(rendered)
}

/// Every shard's planned tests, each with the granularity of the item that
/// holds it (`by`, or a single test of a class or file `--split-large`
/// split), sorted by native id.
pub fn members(planned: &Planned, by: Granularity) -> Vec<Vec<Member<'_>>> {
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
    let (cases, groups, reports_read) = read_reports(&timings, &options, warnings)?;
    let (table, table_stats) = TimingTable::build(&cases, runner);
    if !table_stats.other_runner.is_empty() && table.is_empty() {
        warnings.push(format!(
            "the reports hold {} test cases, none written for --runner {}; is --runner right?",
            table_stats.cases,
            runner.name()
        ));
    }
    let listed = match &args.suite.tests_from {
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
        && let Some(warning) = weak_match_warning(&suite, args.suite.min_match)
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
pub fn read_reports_with_groups(
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

/// Collects warnings, printing at most `MAX_PRINTED_WARNINGS` of them.
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
pub fn write_stdout(stdout: &mut dyn Write, text: &str) -> Result<()> {
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::input(format!("cannot write output: {e}"))),
    }
}

/// The whole plan as one line of JSON: the plan document (format version
/// 1) that `shardplan plan` writes and `select` reads; see [`crate::frozen`].
pub fn json(planned: &Planned, args: &PlanArgs) -> String {
    Document::from_planned(planned, args, catch_all(planned, args)).to_json()
}

/// The summary on stderr: what was read and matched, the bound, and every
/// shard's prediction (only this shard's beyond 16).
pub fn summary(
    planned: &Planned,
    args: &PlanArgs,
    selection: ShardSelection,
    stderr: &mut dyn Write,
) {
    let plan = &planned.plan;
    let mut out = reading_summary(
        &planned.suite,
        &planned.table_stats,
        planned.reports_read,
        planned.default_history,
        args,
    );
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
            if args.suite.group_overhead > 0 {
                sources.push(format!(
                    "{} per group from --group-overhead",
                    human(args.suite.group_overhead)
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

/// The summary's first lines: what was read and planned, the match report,
/// and the cases left out.
pub fn reading_summary(
    suite: &Suite,
    stats: &TableStats,
    reports_read: usize,
    default_history: bool,
    args: &PlanArgs,
) -> String {
    let mut out = String::new();
    let estimated = suite.tests.len() - suite.measured();
    out += &format!(
        "shardplan: {} tests planned ({} with timings, {} estimated) from {} report file{}; by {}, runner {}\n",
        suite.tests.len(),
        suite.measured(),
        estimated,
        reports_read,
        if reports_read == 1 { "" } else { "s" },
        args.suite.by.name(),
        args.suite.runner.runner().name(),
    );
    if default_history {
        out += &format!(
            "shardplan: timings from {} (the default without --timings)\n",
            history::DEFAULT_PATH
        );
    }
    if args.suite.tests_from.is_some() {
        out += &format!("shardplan: {}\n", match_report(suite));
    } else if suite.stale > 0 {
        out += &format!(
            "shardplan: {} tests in the timings are no longer listed and were left out\n",
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
            args.suite.runner.runner().unidentified_reason()
        );
    }
    out
}
