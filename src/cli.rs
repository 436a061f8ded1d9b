//! The command line, declared with clap's derive API. Parsing only: what the
//! options do lives in [`crate::app`].

use std::str::FromStr;

use clap::Parser;

use crate::emit::{Granularity, RunnerKind};
use crate::plan::Algorithm;

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
pub enum Command {}

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

    /// Timing report: a file, a directory (searched recursively) or a quoted
    /// glob such as 'reports/**/*.xml'. Repeatable; reports are combined.
    #[arg(long, value_name = "PATH")]
    pub timings: Vec<String>,

    /// The current list of tests, one per line as the runner lists them
    /// (`pytest --collect-only -q`, `go test -list .`, `cargo nextest list
    /// --message-format oneline`, `jest --listTests`), or `-` for stdin.
    /// Exactly these tests are planned; tests without timings are estimated.
    #[arg(long, value_name = "FILE")]
    pub tests_from: Option<String>,

    /// What to place on shards. At class or file granularity the tests of one
    /// class or file always run on the same shard.
    #[arg(long, value_enum, default_value_t = Granularity::Test)]
    pub by: Granularity,

    /// The runner whose names and filter syntax to use.
    #[arg(long, value_enum, default_value_t = RunnerKind::Plain)]
    pub runner: RunnerKind,

    /// The bin-packing algorithm. All are deterministic.
    #[arg(long, value_enum, default_value_t = Algorithm::Lpt)]
    pub algorithm: Algorithm,

    /// Print the whole plan as JSON instead of one shard's filter.
    #[arg(long)]
    pub json: bool,

    /// Fail on any unreadable report instead of skipping it with a warning.
    #[arg(long)]
    pub strict: bool,

    /// Print no summary on stderr (warnings are still printed).
    #[arg(short, long)]
    pub quiet: bool,
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
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
