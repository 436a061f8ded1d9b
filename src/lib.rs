//! shardplan: split a test suite into CI shards of near-equal duration, so that
//! every test runs exactly once and every shard computes the same plan.
//!
//! # Planning from a report, in Rust
//!
//! The command line is one user of this library; a program builds the same
//! typed request ([`options::PlanOptions`]) and gets values back: the plan,
//! its warnings, and one shard as the runner's filter.
//!
//! ```
//! use shardplan::emit::RunnerKind;
//! use shardplan::options::PlanOptions;
//! use shardplan::shard::{self, RenderOptions};
//! use shardplan::warnings::Warnings;
//!
//! # fn main() -> shardplan::error::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let report = dir.path().join("junit.xml");
//! std::fs::write(&report, r#"<testsuite name="pytest">
//!   <testcase classname="tests.test_a" name="test_slow" file="tests/test_a.py" time="3.0"/>
//!   <testcase classname="tests.test_a" name="test_fast" file="tests/test_a.py" time="1.0"/>
//!   <testcase classname="tests.test_b" name="test_mid" file="tests/test_b.py" time="2.0"/>
//! </testsuite>"#).unwrap();
//!
//! let options = PlanOptions {
//!     timings: vec![report.display().to_string()],
//!     runner: RunnerKind::Pytest,
//!     ..PlanOptions::default()
//! };
//! let runner = options.runner.runner();
//! let mut warnings = Warnings::default();
//! let planned = shardplan::pipeline::plan(&options, 2, runner.as_ref(), &mut std::io::empty(), &mut warnings)?;
//!
//! // 3 s + 1 s + 2 s on two shards: 3 s each.
//! assert_eq!(planned.plan.makespan(), 3_000_000);
//! // Every test on exactly one shard.
//! let shards = shard::members(&planned);
//! let ids = |i: usize| shards[i].iter().map(|m| m.test.native.as_str()).collect::<Vec<_>>();
//! assert_eq!(ids(0), ["tests/test_a.py::test_slow"]);
//! assert_eq!(ids(1), ["tests/test_a.py::test_fast", "tests/test_b.py::test_mid"]);
//!
//! // Shard 0 as pytest takes it (the last shard is the catch-all: it also
//! // runs tests added since the report, by deselecting shard 0's).
//! let first = shard::render_shard(&planned, &options, 0, &RenderOptions::default(), runner.as_ref())?;
//! assert_eq!(first.rendered.lines(), ["tests/test_a.py::test_slow"]);
//! assert!(warnings.messages().is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! # Layers
//!
//! The modules form layers that only import downward (ARCHITECTURE.md draws
//! them; `tests/architecture.rs` enforces them):
//!
//! 1. **model**: [`duration`], [`error`], [`identity`] (path normalising),
//!    [`case`] (a recorded test), [`naming`] (a runner's test ids),
//!    [`choice`], [`warnings`], [`bars`];
//! 2. **readers**: [`report`], one file per format, and [`inputs`], which
//!    finds the files `--timings` names;
//! 3. **timing table and history store**: [`timing`] folds cases into
//!    per-test durations named as the runner names them and estimates the
//!    rest; [`history`] keeps the timing history `merge` writes;
//!    [`learned`] fits the learned cost model to what it observed;
//! 4. **planning**: [`plan`], one file per algorithm;
//! 5. **rendering**: [`emit`], one file per runner;
//! 6. **library API**: [`options`] (the typed request), [`pipeline`] (read
//!    once, plan any shard count), [`shard`] (one shard back as tests),
//!    [`frozen`] (the plan file), [`summary`], [`step_summary`],
//!    [`explain`], [`whatif`], [`ci_env`], [`exec`], [`flaky`] (flaky
//!    tests and isolation suspects from the history's outcomes), [`rerun`]
//!    (a shard's failed tests for `select --only-failed`), [`costs`] (what
//!    a run's shards cost beyond their tests, for the learned cost model);
//! 7. **command layer**: [`cli`] (clap), [`app`] (streams, dispatch,
//!    printing) and [`commands`], one file per subcommand.

pub mod app;
pub mod bars;
pub mod case;
pub mod choice;
pub mod ci_env;
pub mod cli;
pub mod commands;
pub mod costs;
pub mod duration;
pub mod emit;
pub mod error;
pub mod exec;
pub mod explain;
pub mod flaky;
pub mod frozen;
pub mod history;
pub mod identity;
pub mod inputs;
pub mod learned;
pub mod naming;
pub mod options;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod rerun;
pub mod shard;
pub mod step_summary;
pub mod summary;
pub mod text;
pub mod timing;
pub mod warnings;
pub mod whatif;
