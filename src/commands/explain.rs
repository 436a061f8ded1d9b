//! `shardplan explain`: plan as `shardplan --shards N` would and print why
//! the plan is what it is ([`crate::explain`]).

use crate::app::{self, Streams};
use crate::cli::ExplainArgs;
use crate::error::Result;
use crate::explain;
use crate::pipeline;
use crate::summary;
use crate::warnings::Warnings;

/// Runs `shardplan explain`: plans as `shardplan --shards N` would and
/// prints the explanation on stdout.
pub fn run(args: &ExplainArgs, streams: &mut Streams<'_>) -> Result<()> {
    let options = args.options();
    // The shard to mark is optional here, as it is for `--json`.
    let selection = app::shard_selection(
        app::ShardFlags {
            shards: args.shards,
            index: args.index,
            shard: args.shard,
            every_shard: true,
        },
        &|name| std::env::var(name).ok(),
    )?;
    let runner = options.runner.runner();
    let mut warnings = Warnings::default();
    let planned = pipeline::plan(
        &options,
        selection.count,
        runner.as_ref(),
        streams.stdin,
        &mut warnings,
    );
    app::print_warnings(&mut warnings, streams.stderr);
    let planned = planned?;
    if !args.suite.quiet {
        let summary = summary::reading_summary(
            &planned.suite,
            &planned.table_stats,
            planned.reports_read,
            planned.default_history,
            &options,
        );
        let _ = streams.stderr.write_all(summary.as_bytes());
    }
    app::write_stdout(
        streams.stdout,
        &explain::render(&planned, selection.index, runner.as_ref()),
    )
}
