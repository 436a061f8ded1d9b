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

pub mod app;
pub mod cli;
pub mod duration;
pub mod emit;
pub mod error;
pub mod exec;
pub mod history;
pub mod identity;
pub mod inputs;
pub mod plan;
pub mod report;
pub mod timing;
