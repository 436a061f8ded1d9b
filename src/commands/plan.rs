//! `shardplan plan`: plan every shard once and write the frozen plan (the
//! `--json` document, [`crate::frozen`]) for `select` to print each shard
//! of. With `--max-shards M --target DURATION` the plan chooses the number
//! of shards: the fewest, up to M, whose slowest shard meets the target.

use std::fs;
use std::path::PathBuf;

use crate::app::{self, Streams};
use crate::ci_env;
use crate::cli::{ReadArgs, SuiteArgs, SummaryArgs};
use crate::duration::Micros;
use crate::error::{Error, Result};
use crate::frozen::Document;
use crate::options::{PlanOptions, ShardSelection};
use crate::pipeline::{self, Planned};
use crate::step_summary;
use crate::summary;
use crate::warnings::Warnings;
use crate::whatif::{self, choose::Chosen};

/// Options of `shardplan plan`.
///
/// Plans once, with the planning options of `shardplan --shards N`, and
/// writes every shard's share: hand the file to each CI job's `shardplan
/// select`, so that every job, and every rerun of a job, runs the same plan.
#[derive(Debug, Clone, clap::Args)]
pub struct FreezeArgs {
    /// Number of shards [default: the CI's job count, e.g. CI_NODE_TOTAL].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000), conflicts_with = "max_shards")]
    pub shards: Option<u32>,

    /// Let the plan choose the number of shards: the fewest, up to M,
    /// whose slowest shard (overhead and setups included) takes at most
    /// --target. When none does, says so and plans the count that comes
    /// closest.
    #[arg(long, value_name = "M", value_parser = clap::value_parser!(u32).range(1..=100_000), requires = "target")]
    pub max_shards: Option<u32>,

    /// With --max-shards: the wall time to meet, e.g. 10m.
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse_duration, requires = "max_shards")]
    pub target: Option<Micros>,

    /// Write the plan to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// A plan written before: items keep their shard, as when planning.
    #[arg(long, value_name = "PLAN.json")]
    pub previous: Option<PathBuf>,

    /// With --previous: at most this fraction (0 to 1) of the previously
    /// planned items may change shard.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.1, value_parser = crate::cli::parse_fraction, requires = "previous")]
    pub max_churn: f64,

    /// The last shard with planned items also runs every test the plan
    /// does not know (the default without --tests-from).
    #[arg(long, conflicts_with = "no_catch_all")]
    pub catch_all: bool,

    /// No catch-all: run exactly the planned tests (the default with
    /// --tests-from).
    #[arg(long)]
    pub no_catch_all: bool,

    /// How reports are read.
    #[command(flatten)]
    pub read: ReadArgs,

    /// `--summary markdown`: a table of the shards for the job summary.
    #[command(flatten)]
    pub summary: SummaryArgs,

    /// The suite, its costs and the planner.
    #[command(flatten)]
    pub suite: SuiteArgs,
}

impl FreezeArgs {
    /// The planning options these stand for.
    pub fn options(&self) -> PlanOptions {
        PlanOptions {
            previous: self.previous.clone(),
            max_churn: self.max_churn,
            catch_all: crate::cli::catch_all(self.catch_all, self.no_catch_all),
            ..self.suite.options(&self.read)
        }
    }
}

/// How a line of the summary that is a warning starts.
const WARNING: &str = "shardplan: warning: ";

/// How the number of shards was decided, for the summary.
enum Count {
    /// `--shards N`.
    Given(usize),
    /// The CI's job count.
    Ci(ci_env::Detected),
    /// `--max-shards M --target T`.
    Chosen { max: usize, target: Micros },
}

/// Runs `shardplan plan`.
pub fn run(args: &FreezeArgs, streams: &mut Streams<'_>) -> Result<()> {
    let options = args.options();
    let count = match (args.shards, args.max_shards, args.target) {
        (Some(n), _, _) => Count::Given(n as usize),
        (None, Some(max), Some(target)) => Count::Chosen {
            max: max as usize,
            target,
        },
        _ => match ci_env::detect_from_env()? {
            Some(found) => Count::Ci(found),
            None => {
                return Err(Error::usage(format!(
                    "how many shards? pass --shards N, or --max-shards M --target DURATION to let the plan choose, or run where a CI sets one of {}",
                    ci_env::variable_names()
                )));
            }
        },
    };
    let runner = options.runner.runner();
    let mut warnings = Warnings::default();
    let inputs = pipeline::read_inputs(&options, runner.as_ref(), streams.stdin, &mut warnings);
    app::print_warnings(&mut warnings, streams.stderr);
    let inputs = inputs?;
    let (shard_plan, note) = match &count {
        Count::Given(n) => (
            pipeline::plan_for(&inputs, &options, *n, runner.as_ref())?,
            None,
        ),
        Count::Ci(found) => (
            pipeline::plan_for(&inputs, &options, found.count, runner.as_ref())?,
            Some(format!(
                "shardplan: {} shards from {}",
                found.count,
                found.describe()
            )),
        ),
        Count::Chosen { max, target } => {
            let (plan, chosen) =
                whatif::choose::choose(&inputs, &options, *max, *target, runner.as_ref())?;
            let note = match chosen {
                Chosen::Met(how) => format!("shardplan: {how}"),
                Chosen::Missed(why) => format!("{WARNING}{why}"),
            };
            (plan, Some(note))
        }
    };
    let planned = Planned::new(inputs, shard_plan);
    let doc = Document::from_planned(&planned, &options);
    match &args.output {
        Some(path) => fs::File::create(path)
            .and_then(|mut file| doc.write_json(&mut file))
            .map_err(|e| Error::in_file(path, format!("cannot write the plan: {e}")))?,
        None => app::write_stdout_with(streams.stdout, |out| doc.write_json(out))?,
    }
    if !args.suite.quiet {
        let selection = ShardSelection {
            count: doc.shards.len(),
            index: None,
            origin: None,
        };
        let text = summary::summary(&planned, &options, selection, false);
        let _ = streams.stderr.write_all(text.as_bytes());
        if let Some(note) = note.as_ref().filter(|n| !n.starts_with(WARNING)) {
            let _ = writeln!(streams.stderr, "{note}");
        }
        if let Some(path) = &args.output {
            let _ = writeln!(
                streams.stderr,
                "shardplan: wrote plan {} to {}: each job runs `shardplan select --plan {} --index I`",
                doc.fingerprint,
                path.display(),
                path.display()
            );
        }
    }
    // Warnings are printed even with --quiet.
    if let Some(warning) = note.as_ref().filter(|n| n.starts_with(WARNING)) {
        let _ = writeln!(streams.stderr, "{warning}");
    }
    step_summary::write_from_env(
        args.summary.request().as_ref(),
        || step_summary::plan_table(&doc, None, doc.catch_all).to_markdown(),
        streams.stderr,
    )
}
