//! `shardplan whatif`: plan the suite for several shard counts and compare
//! them ([`crate::whatif`]): the table, the verdict on stderr with CSV, and
//! the plot.

use std::fs;

use crate::app::{self, Streams};
use crate::cli::WhatifArgs;
use crate::error::{Error, Result};
use crate::pipeline;
use crate::summary;
use crate::warnings::Warnings;
use crate::whatif::{self, Format};

/// Runs `shardplan whatif`: reads the inputs once, plans every count,
/// prints the table and verdict, and draws the plot.
pub fn run(args: &WhatifArgs, streams: &mut Streams<'_>) -> Result<()> {
    let options = args.options();
    let runner = options.runner.runner();
    let mut warnings = Warnings::default();
    let inputs = pipeline::read_inputs(&options, runner.as_ref(), streams.stdin, &mut warnings);
    app::print_warnings(&mut warnings, streams.stderr);
    let inputs = inputs?;
    // Comparing shard counts is where a division guessed at one size
    // matters most.
    if let Some(warning) = inputs.cost_model.one_size_warning() {
        warnings.push(warning);
        app::print_warnings(&mut warnings, streams.stderr);
    }
    if !args.suite.quiet {
        let summary = summary::reading_summary(
            &inputs.suite,
            &inputs.table_stats,
            inputs.reports_read,
            inputs.default_history,
            &options,
        );
        let _ = streams.stderr.write_all(summary.as_bytes());
        let _ = streams
            .stderr
            .write_all(summary::cost_model_line(&inputs.cost_model).as_bytes());
    }
    let whatif = whatif::compute(
        &inputs,
        &options,
        args.shards.counts(),
        args.knee,
        args.target,
        runner.as_ref(),
    )?;
    let context = whatif::table::Context {
        runner: runner.name(),
        by: options.by,
        algorithm: options.algorithm,
        overhead: inputs.costs.shard_overhead,
        cost_model: inputs.cost_model,
        tests: inputs.suite.tests.len(),
        units: runner.units(),
    };
    app::write_stdout(
        streams.stdout,
        &whatif::table::render(&whatif, &context, args.format),
    )?;
    // The verdict is the answer, not a summary: --quiet keeps it.
    if args.format == Format::Csv {
        let _ = streams
            .stderr
            .write_all(whatif::table::verdict(&whatif, &context).as_bytes());
    }
    if let Some(path) = &args.plot {
        let svg = whatif::plot::svg(&whatif)
            .map_err(|e| Error::input(format!("cannot draw the plot: {e}")))?;
        fs::write(path, svg)
            .map_err(|e| Error::in_file(path, format!("cannot write the plot: {e}")))?;
        if !args.suite.quiet {
            let _ = writeln!(
                streams.stderr,
                "shardplan: wrote the plot of wall and machine time to {}",
                path.display()
            );
        }
    }
    Ok(())
}
