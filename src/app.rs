//! Wires the pipeline together for the command line: read reports, build the
//! timing table and the suite, plan, and print one shard or the whole plan.
//!
//! Everything here writes to the streams it is given, so tests can run the
//! whole pipeline in-process.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use serde::Serialize;

use crate::cli::{Cli, PlanArgs};
use crate::duration::{human, micros_to_seconds};
use crate::emit::{Granularity, Runner, RunnerKind, TestId};
use crate::error::{Error, Result};
use crate::inputs;
use crate::plan::{self, Algorithm, Plan};
use crate::report::{self, TestCase};
use crate::timing::{self, Suite, TableStats, TimingTable};

/// Warnings beyond this many per run are counted, not printed.
const MAX_PRINTED_WARNINGS: usize = 20;

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
}

/// Runs the command line: the subcommand given, or planning one shard.
pub fn dispatch(cli: &Cli, streams: &mut Streams<'_>) -> Result<()> {
    match &cli.command {
        None => run(&cli.plan, streams),
        Some(command) => match *command {},
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
    )?;
    warnings.flush(streams.stderr);

    let output = if args.json {
        json(&planned, args)
    } else {
        let index = selection.index.unwrap_or(0);
        let keys = planned.plan.keys(index);
        if keys.is_empty() {
            String::new()
        } else {
            let mut lines = runner.render(args.by, &keys).join("\n");
            lines.push('\n');
            lines
        }
    };
    write_stdout(streams.stdout, &output)?;
    if !args.quiet {
        summary(&planned, args, selection, streams.stderr);
    }
    Ok(())
}

/// Reads the inputs and plans `shards` shards.
pub fn plan(
    args: &PlanArgs,
    shards: usize,
    runner: &dyn Runner,
    stdin: &mut dyn Read,
    warnings: &mut Warnings,
) -> Result<Planned> {
    let (cases, reports_read) = read_reports(&args.timings, args.strict, warnings)?;
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
    if listed.is_none() && !table.is_empty() {
        warnings.push(format!(
            "no --tests-from: planning the {} tests found in the timings; a test added since they were recorded is on no shard. Pass the runner's current test list with --tests-from.",
            table.len()
        ));
    }
    let suite = timing::suite(table, listed.as_deref());
    if suite.tests.is_empty() {
        return Err(Error::input(match listed {
            Some(_) => "nothing to plan: the --tests-from list names no tests",
            None if args.timings.is_empty() => {
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

    let items = plan::items(&suite, args.by);
    let fingerprint = plan::fingerprint(
        &[
            ("shardplan", env!("CARGO_PKG_VERSION")),
            ("runner", runner.name()),
            ("by", args.by.name()),
            ("algorithm", args.algorithm.planner().name()),
            ("shards", &shards.to_string()),
        ],
        &items,
    );
    let plan = Plan::build(items, shards, args.algorithm.planner().as_ref());
    Ok(Planned {
        plan,
        suite,
        table_stats,
        reports_read,
        fingerprint,
    })
}

/// Reads every report. A broken report is skipped with a warning when others
/// can be read, unless `strict`; when none can, the first error stands.
fn read_reports(
    arguments: &[String],
    strict: bool,
    warnings: &mut Warnings,
) -> Result<(Vec<TestCase>, usize)> {
    let found = inputs::resolve(arguments)?;
    for argument in &found.unmatched {
        warnings.push(format!("--timings {argument:?} matched no report file"));
    }
    let mut cases = Vec::new();
    let mut first_error = None;
    let mut read = 0;
    for path in &found.files {
        match report::read_file(path) {
            Ok((report, file_warnings)) => {
                read += 1;
                cases.extend(report.cases);
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
        _ => Ok((cases, read)),
    }
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

    fn flush(&mut self, stderr: &mut dyn Write) {
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
    runner: RunnerKind,
    by: Granularity,
    algorithm: Algorithm,
    tests_planned: usize,
    tests_with_timings: usize,
    shards: Vec<ShardDoc>,
}

#[derive(Serialize)]
struct ShardDoc {
    index: usize,
    predicted_seconds: f64,
    test_count: usize,
    tests: Vec<String>,
}

/// The whole plan as one line of JSON (format version 1).
pub fn json(planned: &Planned, args: &PlanArgs) -> String {
    let plan = &planned.plan;
    let doc = PlanDoc {
        version: 1,
        fingerprint: &planned.fingerprint,
        total_seconds: micros_to_seconds(plan.total()),
        lower_bound_seconds: micros_to_seconds(plan.lower_bound()),
        makespan_seconds: micros_to_seconds(plan.makespan()),
        ratio_to_lower_bound: (plan.ratio() * 10_000.0).round() / 10_000.0,
        runner: args.runner,
        by: args.by,
        algorithm: args.algorithm,
        tests_planned: planned.suite.tests.len(),
        tests_with_timings: planned.suite.measured(),
        shards: plan
            .shards
            .iter()
            .enumerate()
            .map(|(index, shard)| ShardDoc {
                index,
                predicted_seconds: micros_to_seconds(shard.load),
                test_count: shard.items.iter().map(|&i| plan.items[i].tests).sum(),
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
    if suite.stale > 0 {
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
            "shardplan: ignored {} cases the runner cannot select on their own (e.g. subtests; their parent's time includes them)\n",
            stats.not_selectable
        );
    }
    let bound = plan.lower_bound();
    out += &format!(
        "shardplan: {} shards by {}; lower bound max(total/N, largest item) = {}; slowest shard {} = {:.3} x bound; fingerprint {}\n",
        plan.shards.len(),
        args.algorithm.planner().name(),
        human(bound),
        human(plan.makespan()),
        plan.ratio(),
        planned.fingerprint
    );
    let shown: Vec<usize> = if plan.shards.len() <= 16 {
        (0..plan.shards.len()).collect()
    } else {
        selection.index.into_iter().collect()
    };
    for index in shown {
        let shard = &plan.shards[index];
        let tests: usize = shard.items.iter().map(|&i| plan.items[i].tests).sum();
        let marker = if Some(index) == selection.index && !args.json {
            "  <- this shard"
        } else {
            ""
        };
        out += &format!(
            "  shard {index:>3}  {:>8}  {tests:>6} tests{marker}\n",
            human(shard.load)
        );
    }
    if let Some(index) = selection.index
        && plan.shards[index].items.is_empty()
        && !args.json
    {
        out += &format!(
            "shardplan: shard {index} has nothing to run: {} items for {} shards\n",
            plan.items.len(),
            plan.shards.len()
        );
    }
    let _ = stderr.write_all(out.as_bytes());
}
