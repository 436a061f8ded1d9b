//! shardplan: split a test suite into CI shards of near-equal duration, so that
//! every test runs exactly once and every shard computes the same plan.
//!
//! The crate is a pipeline, one module per stage:
//!
//! 1. [`inputs`] finds the report files `--timings` names and [`report`]
//!    reads them into [`report::TestCase`] records;
//! 2. [`timing`] folds them into a table of per-test durations, names them as
//!    the chosen runner does, and estimates tests without history;
//! 3. [`plan`] bin-packs the items into shards;
//! 4. [`shard`] turns one shard of a plan back into tests, and [`emit`]
//!    prints them as the runner's own filter.
//!
//! [`pipeline`] runs stages 1–3 for a command line: it reads the inputs once
//! and plans them for any shard count. [`app`] drives the default command
//! defined in [`cli`] and dispatches the subcommands; [`summary`] collects
//! the warnings and prints the summary on stderr. [`history`] keeps the
//! timing history that `shardplan merge` writes and planning reads back as
//! timings.
//!
//! [`exec`] runs a shard's commands for `--exec`.
//!
//! [`whatif`] compares shard counts (`shardplan whatif`), [`explain`] says
//! why a plan is what it is, and [`bars`] draws their terminal charts.
//!
//! For CI: [`ci_env`] reads the shard from the CI's variables; [`frozen`]
//! is the plan file that [`commands`] (`plan`, `select`, `matrix`,
//! `verify`) pass between jobs; [`step_summary`] writes `--summary
//! markdown`.

pub mod app;
pub mod bars;
pub mod case;
pub mod choice;
pub mod ci_env;
pub mod cli;
pub mod commands;
pub mod duration;
pub mod emit;
pub mod error;
pub mod exec;
pub mod explain;
pub mod frozen;
pub mod history;
pub mod identity;
pub mod inputs;
pub mod naming;
pub mod options;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod shard;
pub mod step_summary;
pub mod summary;
pub mod timing;
pub mod warnings;
pub mod whatif;
