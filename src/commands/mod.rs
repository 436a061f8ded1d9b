//! The subcommands, one file each. Each takes its parsed flags from
//! [`crate::cli`], builds the library's typed options once, runs the
//! library, and decides what to print on the [`crate::app::Streams`].
//!
//! * [`default`]: `shardplan --shards N --index I`, plan and print a shard;
//! * [`merge`]: fold a CI run's reports into the timing history;
//! * [`whatif`]: compare shard counts; [`explain`]: why a plan is what it is;
//! * the frozen-plan flow of a CI run: plan once ([`plan`]), fan out one job
//!   per shard ([`matrix`]), each job prints its share ([`select`]), and a
//!   fan-in job checks that the shards ran the plan exactly ([`verify`]).
//!   The plan file is [`crate::frozen`];
//! * [`flaky`]: list the tests the history shows both failing and passing.

pub mod default;
pub mod explain;
pub mod flaky;
pub mod matrix;
pub mod merge;
pub mod plan;
pub mod select;
pub mod verify;
pub mod whatif;
