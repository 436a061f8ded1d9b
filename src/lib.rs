//! shardplan: split a test suite into CI shards of near-equal duration, so that
//! every test runs exactly once and every shard computes the same plan.
//!
//! The crate is a pipeline, one module per stage:
//!
//! 1. [`report`] reads timing reports into [`report::TestCase`] records;
//! 2. [`timing`] folds them into a table of per-test durations, names them as
//!    the chosen runner does, and estimates tests without history;
//! 3. [`plan`] bin-packs the items into shards;
//! 4. [`emit`] prints one shard's share as the runner's own filter.
//!
//! [`app`] wires the stages together for the command line defined in [`cli`];
//! [`history`] keeps the timing history that `shardplan merge` writes and
//! planning reads back as timings.
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
pub mod plan;
pub mod report;
pub mod step_summary;
pub mod timing;
pub mod whatif;
