//! The typed request the library plans from: what to read, what to plan
//! and how. The command line builds one [`PlanOptions`] from its flags
//! (`cli.rs`); a test, the pytest plugin's caller or another program builds
//! the same struct directly. Nothing here knows the command line.

use std::path::PathBuf;

use crate::ci_env;
use crate::duration::{Concurrency, Micros};
use crate::emit::RunnerKind;
use crate::naming::Granularity;
use crate::plan::{Algorithm, ilp};

/// Everything that decides a plan: the suite's sources, the cost model, the
/// planner, and the catch-all. Each field means what the CLI flag of the
/// same name means.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanOptions {
    /// Report files, directories or globs (`--timings`). Empty: the timing
    /// history at [`crate::history::DEFAULT_PATH`] if it exists.
    pub timings: Vec<String>,
    /// The runner's current test list (`--tests-from`), `-` for the input
    /// stream handed to the pipeline.
    pub tests_from: Option<String>,
    /// With `tests_from`: warn when fewer listed tests than this percentage
    /// match a timing.
    pub min_match: u8,
    /// What to place on shards.
    pub by: Granularity,
    /// Whose names and filter syntax to use.
    pub runner: RunnerKind,
    /// The bin-packing algorithm.
    pub algorithm: Algorithm,
    /// Fixed cost of every shard; `None`: learned from the timing history
    /// ([`crate::learned`]), else 0.
    pub shard_overhead: Option<Micros>,
    /// Setup a shard pays once per group it runs, beyond what reports
    /// show; `None`: learned from the timing history, else 0.
    pub group_overhead: Option<Micros>,
    /// Tests the runner runs at once; `None`: learned from the timing
    /// history, else one at a time.
    pub concurrency: Option<Concurrency>,
    /// With `by` class or file: split a group larger than a shard's mean.
    pub split_large: bool,
    /// With [`Algorithm::Ilp`]: branch-and-bound nodes.
    pub ilp_nodes: u64,
    /// With [`Algorithm::Ilp`]: a wall-clock limit (machine-dependent).
    pub ilp_time_limit: Option<Micros>,
    /// Fail on an unreadable report instead of skipping it.
    pub strict: bool,
    /// Read every report as this format instead of detecting it.
    pub format: Option<String>,
    /// Absolute paths in reports are made relative to this directory.
    pub root: Option<PathBuf>,
    /// A plan written before, to start from.
    pub previous: Option<PathBuf>,
    /// With `previous`: the fraction of its items that may change shard.
    pub max_churn: f64,
    /// Whether the last shard also runs tests the plan does not know.
    pub catch_all: CatchAll,
}

impl Default for PlanOptions {
    /// The CLI's defaults.
    fn default() -> PlanOptions {
        PlanOptions {
            timings: Vec::new(),
            tests_from: None,
            min_match: 50,
            by: Granularity::Test,
            runner: RunnerKind::Plain,
            algorithm: Algorithm::Best,
            shard_overhead: None,
            group_overhead: None,
            concurrency: None,
            split_large: false,
            ilp_nodes: ilp::DEFAULT_NODES,
            ilp_time_limit: None,
            strict: false,
            format: None,
            root: None,
            previous: None,
            max_churn: 0.1,
            catch_all: CatchAll::Auto,
        }
    }
}

impl PlanOptions {
    /// Whether the catch-all is in effect: by default exactly when no
    /// current test list was given.
    pub fn catch_all_on(&self) -> bool {
        match self.catch_all {
            CatchAll::Auto => self.tests_from.is_none(),
            CatchAll::On => true,
            CatchAll::Off => false,
        }
    }
}

/// Whether the last shard with planned items also runs every test the plan
/// does not know (added since the timings were recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CatchAll {
    /// On without a current test list, off with one.
    #[default]
    Auto,
    /// Always (`--catch-all`).
    On,
    /// Never (`--no-catch-all`).
    Off,
}

/// Which shards to plan and which one to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSelection {
    /// Number of shards.
    pub count: usize,
    /// The shard to print, 0-based; `None` when every shard is wanted.
    pub index: Option<usize>,
    /// The CI variables the shard came from, when the caller left it open.
    pub origin: Option<ci_env::Detected>,
}
