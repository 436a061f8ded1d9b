//! The command line, declared with clap's derive API. Parsing only: each
//! set of flags turns into the library's typed options once
//! ([`PlanArgs::options`]), and the subcommands in [`crate::commands`] run
//! the library with them.

use std::path::PathBuf;
use std::str::FromStr;

use clap::Parser;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use crate::choice::Choice;
use crate::duration::Micros;
use crate::emit::{Granularity, RunnerKind};
use crate::options::{CatchAll, PlanOptions};
use crate::plan::Algorithm;
use crate::step_summary::SummaryRequest;

/// Parses a [`Choice`]: its names are the possible values, each with its
/// help, so `--help` lists them and a typo gets clap's suggestion.
pub fn choice<T: Choice + Clone + Send + Sync>() -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(
        T::ALL
            .iter()
            .map(|value| PossibleValue::new(value.name()).help(value.help())),
    )
    .map(|name| T::from_name(&name).expect("clap accepts only the possible values"))
}

/// Split a test suite into CI shards of near-equal duration.
///
/// shardplan reads past timing reports, plans every test onto exactly one of
/// N shards, and prints the share of one shard as the filter its test runner
/// takes. Every shard computes the same plan from the same inputs, so each CI
/// job can run `shardplan --shards N --index $I` on its own.
#[derive(Debug, Parser)]
#[command(name = "shardplan", version, about, long_about)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Cli {
    /// A subcommand; without one, shardplan plans and prints one shard.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Planning options (when no subcommand is given).
    #[command(flatten)]
    pub plan: PlanArgs,
}

/// The subcommands. Each one's implementation lives in its own module.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Fold the reports of one CI run into the timing history
    /// (`.shardplan/timings.json` by default), which planning then reads.
    Merge(MergeArgs),
    /// Compare shard counts: predicted wall time, lower bound, efficiency,
    /// machine time and speedup for each, the knee, and the fewest shards
    /// that meet a --target.
    Whatif(WhatifArgs),
    /// Explain a plan: per-shard loads, the heaviest items and where they
    /// went, the estimated tests, the group setups.
    Explain(ExplainArgs),
    /// Plan every shard once and write the frozen plan (the --json
    /// document), for `select` in each CI job; --max-shards with --target
    /// lets it choose the number of shards.
    Plan(crate::commands::plan::FreezeArgs),
    /// Print one shard of a frozen plan as the runner's filter, without
    /// reading timings: every job, and every rerun, runs the same tests.
    Select(crate::commands::select::SelectArgs),
    /// Print a frozen plan's shards as the JSON a GitHub Actions
    /// `strategy.matrix` takes through fromJSON.
    Matrix(crate::commands::matrix::MatrixArgs),
    /// Check the shards' result reports against a frozen plan: every
    /// planned test ran, once, on its shard, from this plan.
    Verify(crate::commands::verify::VerifyArgs),
    /// List flaky tests from the timing history: tests that failed and
    /// passed in the same run, or whose outcome changed between runs, with
    /// their failure rate, worst first. Informs only: exits 0.
    Flaky(crate::commands::flaky::FlakyArgs),
}

/// How report files are read: shared by planning and `merge`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReadArgs {
    /// Absolute paths in reports are made relative to this directory
    /// (default: the current directory), so they match the test list. It
    /// need not exist here: give the checkout path of the machine that
    /// wrote the reports (`C:\a` and `c:/a` are the same).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Read every report as this format instead of detecting it from the
    /// content. (Directories are still searched for files whose content
    /// shardplan recognises.)
    #[arg(long, value_name = "NAME", value_parser = clap::builder::PossibleValuesParser::new(crate::report::format_names()))]
    pub format: Option<String>,
}

/// Options of `shardplan merge`.
///
/// All REPORTs of one call are one CI run: a test seen several times in them
/// (on two shards, or rerun) gives one sample. Each test keeps its last K
/// passing samples; its estimate is their median. Tests not seen for R runs
/// are dropped. The history is written atomically.
#[derive(Debug, Clone, clap::Args)]
pub struct MergeArgs {
    /// The timing history to update; created if missing.
    #[arg(long, value_name = "FILE", default_value = crate::history::DEFAULT_PATH)]
    pub into: PathBuf,

    /// The reports of one CI run: files, directories (searched recursively)
    /// or quoted globs.
    #[arg(value_name = "REPORT", required = true)]
    pub reports: Vec<String>,

    /// Samples kept per test [default: the history's, else 5].
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub keep: Option<u32>,

    /// Drop tests not seen in this many runs [default: the history's, else 10].
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u32).range(1..))]
    pub drop_after: Option<u32>,

    /// How reports are read.
    #[command(flatten)]
    pub read: ReadArgs,

    /// Fail on any unreadable report instead of skipping it with a warning.
    #[arg(long)]
    pub strict: bool,

    /// Print no summary on stderr (warnings are still printed).
    #[arg(short, long)]
    pub quiet: bool,
}

/// What is planned, at what cost, by which planner: the planning options
/// that planning one shard shares with `plan`, `whatif` and `explain`. Each
/// means the same in all of them.
#[derive(Debug, Clone, clap::Args)]
pub struct SuiteArgs {
    /// Timing report: a file, a directory (searched recursively) or a quoted
    /// glob such as 'reports/**/*.xml'. Repeatable; reports are combined.
    /// Without it, the timing history `.shardplan/timings.json` is read if
    /// it exists (see `shardplan merge`).
    #[arg(long, value_name = "PATH")]
    pub timings: Vec<String>,

    /// The current list of tests, one per line as the runner lists them
    /// (`pytest --collect-only -q`, `go test -list '.*' ./...`, `cargo
    /// nextest list --message-format oneline`, `jest --listTests`), or `-`
    /// for stdin.
    /// Exactly these tests are planned; tests without timings are estimated.
    #[arg(long, value_name = "FILE")]
    pub tests_from: Option<String>,

    /// With --tests-from: warn loudly when fewer than this percentage of the
    /// listed tests match a timing (the split is then close to a count split).
    #[arg(long, value_name = "PERCENT", default_value_t = 50, value_parser = parse_percent)]
    pub min_match: u8,

    /// What to place on shards. At class or file granularity the tests of one
    /// class or file always run on the same shard (unless --split-large).
    #[arg(long, value_name = "BY", value_parser = choice::<Granularity>(), default_value = "test")]
    pub by: Granularity,

    /// The runner whose names and filter syntax to use.
    #[arg(long, value_name = "RUNNER", value_parser = choice::<RunnerKind>(), default_value = "plain")]
    pub runner: RunnerKind,

    /// The bin-packing algorithm. All are deterministic: their effort is
    /// bounded by counts, never by time, so every shard plans the same.
    #[arg(long, value_name = "ALGORITHM", value_parser = choice::<Algorithm>(), default_value = "best")]
    pub algorithm: Algorithm,

    /// Fixed cost of every shard (checkout, build, container start), e.g.
    /// 90s or 1m30s. Added to every shard's prediction and to the bound.
    /// Default: the start-up learned in the timing history (from runs
    /// recorded with `select --record`), else 0.
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse_duration)]
    pub shard_overhead: Option<Micros>,

    /// Setup cost of every group (test file, go package, test binary) that
    /// the reports do not show, e.g. 1s to link a go test binary or a vitest
    /// file's import. Added to what reports measure (a suite's time beyond
    /// its tests); a shard pays it once per group it runs tests of.
    /// Default: the per-group cost learned in the timing history, else 0.
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse_duration)]
    pub group_overhead: Option<Micros>,

    /// Tests the runner runs at once on average, e.g. 2 or 1.5 (nextest,
    /// pytest-xdist): every test's time is divided by it to predict a
    /// shard's wall time; 1 turns a learned one off. Default: the
    /// concurrency learned in the timing history, else 1.
    #[arg(long, value_name = "K", value_parser = crate::duration::Concurrency::parse)]
    pub concurrency: Option<crate::duration::Concurrency>,

    /// With --by class or file: a class or file bigger than a shard's mean
    /// load may be split into its tests, each shard it lands on paying its
    /// group's setup.
    #[arg(long)]
    pub split_large: bool,

    /// With --algorithm ilp: branch-and-bound nodes the solver may explore.
    /// A node count gives the same plan on every machine.
    #[arg(long, value_name = "N", default_value_t = crate::plan::ilp::DEFAULT_NODES)]
    pub ilp_nodes: u64,

    /// With --algorithm ilp: also stop the solver after this long. Unlike
    /// --ilp-nodes this makes the plan depend on the machine's speed, so
    /// shards may plan differently: use it only when planning once (--json
    /// or `shardplan plan`).
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse_duration)]
    pub ilp_time_limit: Option<Micros>,

    /// Fail on any unreadable report instead of skipping it with a warning.
    #[arg(long)]
    pub strict: bool,

    /// Print no summary on stderr (warnings are still printed).
    #[arg(short, long)]
    pub quiet: bool,
}

impl SuiteArgs {
    /// The planning options these stand for, reading reports as `read`
    /// says; every option not named here keeps its default.
    pub fn options(&self, read: &ReadArgs) -> PlanOptions {
        PlanOptions {
            timings: self.timings.clone(),
            tests_from: self.tests_from.clone(),
            min_match: self.min_match,
            by: self.by,
            runner: self.runner,
            algorithm: self.algorithm,
            shard_overhead: self.shard_overhead,
            group_overhead: self.group_overhead,
            concurrency: self.concurrency,
            split_large: self.split_large,
            ilp_nodes: self.ilp_nodes,
            ilp_time_limit: self.ilp_time_limit,
            strict: self.strict,
            format: read.format.clone(),
            root: read.root.clone(),
            ..PlanOptions::default()
        }
    }
}

/// Options of `shardplan whatif`.
///
/// Plans the suite for every shard count asked for, with the same planner
/// and costs as `shardplan --shards N`, and compares them.
#[derive(Debug, Clone, clap::Args)]
pub struct WhatifArgs {
    /// Shard counts to compare: a range `1..32` (both ends included), a list
    /// `1,2,4,8`, one number, or a mix (`1..4,8,16`).
    #[arg(long, value_name = "COUNTS", default_value = "1..16")]
    pub shards: crate::whatif::ShardCounts,

    /// A wall time to meet, e.g. 10m: name the fewest shards whose slowest
    /// shard (overhead included) takes at most this, or say why none can.
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse_duration)]
    pub target: Option<Micros>,

    /// The knee is the first shard count where going to the next count in
    /// the table saves less than this share of its wall time (`5%` or
    /// `0.05`).
    #[arg(long, value_name = "SHARE", default_value = "5%", value_parser = crate::whatif::parse_share)]
    pub knee: crate::whatif::Share,

    /// How to print the table.
    #[arg(long, value_name = "FORMAT", value_parser = choice::<crate::whatif::Format>(), default_value = "table")]
    pub format: crate::whatif::Format,

    /// Also draw wall time and machine time against the shard count into
    /// this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,

    /// Read every report as this format instead of detecting it (what
    /// --format is when planning).
    #[arg(long, value_name = "NAME", value_parser = clap::builder::PossibleValuesParser::new(crate::report::format_names()))]
    pub report_format: Option<String>,

    /// Absolute paths in reports are made relative to this directory
    /// (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// The suite, its costs and the planner.
    #[command(flatten)]
    pub suite: SuiteArgs,
}

/// Options of `shardplan explain`: the plan `shardplan --shards N` makes,
/// explained.
#[derive(Debug, Clone, clap::Args)]
pub struct ExplainArgs {
    /// Number of shards to plan.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000), required_unless_present = "shard")]
    pub shards: Option<u32>,

    /// The shard to mark, 0-based.
    #[arg(long, value_name = "I", requires = "shards")]
    pub index: Option<u32>,

    /// The shard to mark as K/N, 1-based; alternative to --shards/--index.
    #[arg(long, value_name = "K/N", conflicts_with_all = ["shards", "index"])]
    pub shard: Option<ShardSpec>,

    /// A plan written by --json before, as when planning.
    #[arg(long, value_name = "PLAN.json")]
    pub previous: Option<PathBuf>,

    /// With --previous: at most this fraction (0 to 1) of the previously
    /// planned items may change shard.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.1, value_parser = parse_fraction, requires = "previous")]
    pub max_churn: f64,

    /// How reports are read.
    #[command(flatten)]
    pub read: ReadArgs,

    /// The suite, its costs and the planner.
    #[command(flatten)]
    pub suite: SuiteArgs,
}

impl WhatifArgs {
    /// The planning options these stand for.
    pub fn options(&self) -> PlanOptions {
        self.suite.options(&ReadArgs {
            root: self.root.clone(),
            format: self.report_format.clone(),
        })
    }
}

impl ExplainArgs {
    /// The planning options these stand for.
    pub fn options(&self) -> PlanOptions {
        PlanOptions {
            previous: self.previous.clone(),
            max_churn: self.max_churn,
            ..self.suite.options(&self.read)
        }
    }
}

/// Options that decide the plan and what is printed of it.
#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    /// Number of shards to plan.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub shards: Option<u32>,

    /// This shard's index, 0-based (0 <= I < N), as GitHub's
    /// `strategy.job-index` gives it.
    #[arg(long, value_name = "I", requires = "shards")]
    pub index: Option<u32>,

    /// This shard as K/N, 1-based (1 <= K <= N), as jest, nextest and
    /// Playwright write it. Alternative to --shards/--index.
    #[arg(long, value_name = "K/N", conflicts_with_all = ["shards", "index"])]
    pub shard: Option<ShardSpec>,

    /// The suite, its costs and the planner.
    #[command(flatten)]
    pub suite: SuiteArgs,

    /// How reports are read.
    #[command(flatten)]
    pub read: ReadArgs,

    /// A plan written by --json before. Items keep their shard; new items
    /// are placed where they fit best; with --algorithm best, work moves off
    /// the slowest shard only where that lowers it, within --max-churn.
    #[arg(long, value_name = "PLAN.json")]
    pub previous: Option<PathBuf>,

    /// With --previous: at most this fraction (0 to 1) of the previously
    /// planned items may change shard.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.1, value_parser = parse_fraction, requires = "previous")]
    pub max_churn: f64,

    /// Print the whole plan as JSON instead of one shard's filter.
    #[arg(long)]
    pub json: bool,

    /// Also print on stderr what `shardplan explain` prints: per-shard
    /// loads, the heaviest items and where they went, the estimated tests
    /// and the group setups.
    #[arg(long)]
    pub explain: bool,

    /// The last shard with planned items also runs every test the plan does
    /// not know (added since the timings), by excluding exactly what the
    /// other shards run. The default without --tests-from; runners that
    /// cannot exclude say so.
    #[arg(long, conflicts_with = "no_catch_all")]
    pub catch_all: bool,

    /// No catch-all: run exactly the planned tests (the default with
    /// --tests-from).
    #[arg(long)]
    pub no_catch_all: bool,

    /// Write the selection to this file and print the runner's file form
    /// (`pytest @FILE`, Playwright `--test-list`, Surefire `includesFile`,
    /// …). Without it a selection too long for one command line goes to a
    /// temporary file.
    #[arg(long, value_name = "PATH")]
    pub list_file: Option<std::path::PathBuf>,

    /// Print commands filled from TEMPLATE instead of the runner's own
    /// filter: {items} (one word per item), {items:SEP} (joined by SEP),
    /// {item} (one command per item), {list_file}, {index}, {shard}
    /// (1-based), {count}. Names are the --runner's.
    #[arg(long, value_name = "TEMPLATE")]
    pub template: Option<String>,

    /// Run this shard's command(s) in order instead of printing them, and
    /// exit with the first failure's status. Arguments after `--` are added
    /// to every command.
    #[arg(long, conflicts_with = "json")]
    pub exec: bool,

    /// Extra arguments for every command --exec runs (after `--`).
    #[arg(last = true, value_name = "EXTRA_ARGS", requires = "exec")]
    pub extra_args: Vec<String>,

    /// `--summary markdown`: a table of the shards for the CI's job summary.
    #[command(flatten)]
    pub summary: SummaryArgs,
}

impl PlanArgs {
    /// The shard flags as given.
    pub fn shard_flags(&self) -> crate::app::ShardFlags {
        crate::app::ShardFlags {
            shards: self.shards,
            index: self.index,
            shard: self.shard,
            every_shard: self.json,
        }
    }

    /// The planning options these stand for.
    pub fn options(&self) -> PlanOptions {
        PlanOptions {
            previous: self.previous.clone(),
            max_churn: self.max_churn,
            catch_all: catch_all(self.catch_all, self.no_catch_all),
            ..self.suite.options(&self.read)
        }
    }
}

/// The catch-all that `--catch-all` and `--no-catch-all` ask for (clap
/// refuses both together).
pub fn catch_all(on: bool, off: bool) -> CatchAll {
    match (on, off) {
        (true, _) => CatchAll::On,
        (_, true) => CatchAll::Off,
        _ => CatchAll::Auto,
    }
}

/// Formats `--summary` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryFormat {
    /// A Markdown table (GitHub's job summary renders it).
    Markdown,
}

/// The summary options, shared by planning, `plan`, `select`, `verify`
/// and `flaky`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SummaryArgs {
    /// Also write a table in this format (the shards' predicted times and
    /// tests; for `flaky`, the flaky tests): appended to --summary-file,
    /// else to $GITHUB_STEP_SUMMARY when set (GitHub Actions), else to
    /// stderr.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub summary: Option<SummaryFormat>,

    /// Where --summary appends its table.
    #[arg(long, value_name = "PATH", requires = "summary")]
    pub summary_file: Option<PathBuf>,
}

impl SummaryArgs {
    /// Where the table goes, if one was asked for.
    pub fn request(&self) -> Option<SummaryRequest> {
        self.summary.map(|SummaryFormat::Markdown| SummaryRequest {
            file: self.summary_file.clone(),
        })
    }
}

/// Options whose value may be a glob, which an unquoted shell expands into
/// several words before shardplan sees it.
const GLOB_OPTIONS: [&str; 2] = ["--timings", "--tests-from"];

/// When clap met an unexpected word, whether the shell expanded a glob
/// given to `--timings`: the words after the option's value are existing
/// files (`exists`). Then the fix is to quote the glob.
pub fn expanded_glob_hint(args: &[String], exists: impl Fn(&str) -> bool) -> Option<String> {
    let at = args
        .iter()
        .position(|a| GLOB_OPTIONS.contains(&a.as_str()))?;
    let option = &args[at];
    let first = args.get(at + 1)?;
    let strays: Vec<&String> = args[at + 2..]
        .iter()
        .take_while(|a| !a.starts_with('-'))
        .collect();
    if strays.is_empty() || !exists(first) || !strays.iter().all(|a| exists(a)) {
        return None;
    }
    Some(format!(
        "{option} takes one path; the shell expanded a glob into {} files. Quote it (e.g. {option} '{}') so that shardplan expands it, or repeat {option} for each file",
        strays.len() + 1,
        glob_of(first)
    ))
}

/// A glob that `path`'s siblings would have been expanded from, for the
/// hint: its directory and extension kept (`reports/*.xml`).
fn glob_of(path: &str) -> String {
    let (dir, name) = match path.rfind('/') {
        Some(slash) => (&path[..=slash], &path[slash + 1..]),
        None => ("", path),
    };
    match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{dir}*{}", &name[dot..]),
        _ => format!("{dir}*"),
    }
}

/// A fraction from 0 to 1, as `0.1` or `10%`.
pub(crate) fn parse_fraction(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let (number, scale) = match trimmed.strip_suffix('%') {
        Some(number) => (number, 100.0),
        None => (trimmed, 1.0),
    };
    match number.trim().parse::<f64>() {
        Ok(value) if (0.0..=scale).contains(&value) => Ok(value / scale),
        _ => Err(format!(
            "{text:?} is not a fraction from 0 to 1 (e.g. 0.1 or 10%)"
        )),
    }
}

/// A whole percentage from 0 to 100, with or without `%` (`50`, `50%`).
pub(crate) fn parse_percent(text: &str) -> Result<u8, String> {
    let trimmed = text.trim();
    let number = trimmed.strip_suffix('%').unwrap_or(trimmed).trim();
    match number.parse::<u8>() {
        Ok(value) if value <= 100 => Ok(value),
        _ => Err(format!(
            "{text:?} is not a whole percentage from 0 to 100 (e.g. 50 or 50%)"
        )),
    }
}

/// A 1-based `K/N` shard designation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    /// 1-based shard number.
    pub number: u32,
    /// Shard count.
    pub count: u32,
}

impl FromStr for ShardSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("{text:?} is not K/N with 1 <= K <= N (e.g. 1/4)");
        let (number, count) = text.split_once('/').ok_or_else(invalid)?;
        let number: u32 = number.trim().parse().map_err(|_| invalid())?;
        let count: u32 = count.trim().parse().map_err(|_| invalid())?;
        if number == 0 || number > count {
            return Err(invalid());
        }
        Ok(ShardSpec { number, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_spec_is_one_based() {
        assert_eq!(
            "2/4".parse::<ShardSpec>(),
            Ok(ShardSpec {
                number: 2,
                count: 4
            })
        );
        assert!("0/4".parse::<ShardSpec>().is_err());
        assert!("5/4".parse::<ShardSpec>().is_err());
        assert!("4".parse::<ShardSpec>().is_err());
        assert!("a/b".parse::<ShardSpec>().is_err());
    }

    #[test]
    fn fractions_are_decimals_or_percentages() {
        assert_eq!(parse_fraction("0.25"), Ok(0.25));
        assert_eq!(parse_fraction("10%"), Ok(0.1));
        assert_eq!(parse_fraction("1"), Ok(1.0));
        for bad in ["1.5", "-0.1", "x", "101%", "NaN"] {
            assert!(parse_fraction(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn percentages_are_whole_with_or_without_a_sign() {
        assert_eq!(parse_percent("50"), Ok(50));
        assert_eq!(parse_percent("50%"), Ok(50));
        assert_eq!(parse_percent(" 0 % "), Ok(0));
        assert_eq!(parse_percent("100%"), Ok(100));
        for bad in ["101", "0.5", "-1", "x", "%", "50%%"] {
            let error = parse_percent(bad).unwrap_err();
            assert!(error.contains("e.g. 50 or 50%"), "{bad}: {error}");
        }
    }

    #[test]
    fn an_expanded_glob_gets_a_hint_to_quote_it() {
        let args: Vec<String> = [
            "shardplan",
            "--shards",
            "2",
            "--timings",
            "r/a.xml",
            "r/b.xml",
            "--index",
            "0",
        ]
        .map(String::from)
        .to_vec();
        let hint = expanded_glob_hint(&args, |_| true).unwrap();
        assert!(hint.contains("--timings 'r/*.xml'"), "{hint}");
        assert!(hint.contains("2 files"), "{hint}");
        // A stray word that is no file is some other mistake.
        assert_eq!(expanded_glob_hint(&args, |p| p != "r/b.xml"), None);
        let quoted: Vec<String> = ["shardplan", "--timings", "r/*.xml", "--shards", "2"]
            .map(String::from)
            .to_vec();
        assert_eq!(expanded_glob_hint(&quoted, |_| true), None);
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    /// `whatif` and `explain` share the suite's options with planning
    /// through [`SuiteArgs`], but declare the rest again (their `--shards`
    /// differs, and whatif reads reports with `--report-format` and
    /// `--root`): an option added to [`PlanArgs`] itself must reach them
    /// too, or be listed here as one that does not change the plan.
    #[test]
    fn whatif_and_explain_take_every_option_that_changes_the_plan() {
        use clap::CommandFactory;
        use std::collections::BTreeSet;
        let ids = |command: &clap::Command| -> BTreeSet<String> {
            command
                .get_arguments()
                .map(|a| a.get_id().to_string())
                .collect()
        };
        let cli = Cli::command();
        let planning = ids(&cli);
        // Which shard to print and how: not part of the plan.
        let printing = [
            "index",
            "shard",
            "json",
            "explain",
            "catch_all",
            "no_catch_all",
            "list_file",
            "template",
            "exec",
            "extra_args",
            "summary",
            "summary_file",
            "help",
            "version",
        ];
        let subcommand = |name: &str| ids(cli.find_subcommand(name).expect(name));
        let whatif = subcommand("whatif");
        let explain = subcommand("explain");
        for id in planning
            .iter()
            .filter(|id| !printing.contains(&id.as_str()))
        {
            // A previous plan has its own shard count; `--format` is the
            // table's format in whatif, so the reports' is --report-format.
            let in_whatif = match id.as_str() {
                "previous" | "max_churn" => true,
                "format" => whatif.contains("report_format"),
                other => whatif.contains(other),
            };
            assert!(in_whatif, "whatif lacks the planning option {id}");
            assert!(
                explain.contains(id),
                "explain lacks the planning option {id}"
            );
        }
    }
}
