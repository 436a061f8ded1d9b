//! The default command, `shardplan --shards N --index I`: plan, then print
//! one shard as the runner's filter (or run it with `--exec`), or the whole
//! plan with `--json`, with the summary on stderr.

use std::io::Write;

use crate::app::{self, Streams};
use crate::cli::PlanArgs;
use crate::error::Result;
use crate::frozen::Document;
use crate::pipeline;
use crate::shard::{self, RenderOptions};
use crate::warnings::Warnings;
use crate::{explain, step_summary, summary};

/// Plans and prints one shard or the whole plan. Errors are returned, not
/// printed.
pub fn run(args: &PlanArgs, streams: &mut Streams<'_>) -> Result<()> {
    let selection = app::shard_selection(args.shard_flags(), &|name| std::env::var(name).ok())?;
    let options = args.options();
    let runner = options.runner.runner();
    let mut warnings = Warnings::default();
    let planned = pipeline::plan(
        &options,
        selection.count,
        runner.as_ref(),
        streams.stdin,
        &mut warnings,
    );
    // Warnings often explain an error (a report for another runner), so
    // they are printed either way.
    app::print_warnings(&mut warnings, streams.stderr);
    // The plan of a large suite holds millions of small strings, and the
    // process ends with this command: freeing them one by one would only
    // cost time (a tenth of a second per million tests).
    let planned = std::mem::ManuallyDrop::new(planned?);
    if args.explain {
        let explanation = explain::render(&planned, selection.index, runner.as_ref());
        let _ = streams.stderr.write_all(explanation.as_bytes());
    }

    let summary_request = args.summary.request();
    // The catch-all as the plan has it, or as its render turned out.
    let markdown = |catch_all: Option<Option<usize>>| {
        let doc = Document::from_planned(&planned, &options);
        let catch_all = catch_all.unwrap_or(doc.catch_all);
        step_summary::plan_table(&doc, selection.index, catch_all).to_markdown()
    };
    let print_summary = |stderr: &mut dyn Write, this_shard: bool| {
        if !args.suite.quiet {
            let text = summary::summary(&planned, &options, selection, this_shard);
            let _ = stderr.write_all(text.as_bytes());
        }
    };
    if args.json {
        let doc = Document::from_planned(&planned, &options);
        app::write_stdout_with(streams.stdout, |out| doc.write_json(out))?;
        print_summary(streams.stderr, false);
        return step_summary::write_from_env(
            summary_request.as_ref(),
            || markdown(None),
            streams.stderr,
        );
    }
    let index = selection.index.unwrap_or(0);
    // render_shard takes the order of each shard's groups from the plan.
    let render_options = RenderOptions {
        list_file: args.list_file.as_deref(),
        template: args.template.as_deref(),
        longest_first: &[],
    };
    let shard = shard::render_shard(&planned, &options, index, &render_options, runner.as_ref())?;
    let exec = args.exec.then_some(args.extra_args.as_slice());
    let commands = app::output_shard(&shard.rendered, exec, runner.name(), streams.stdout)?;
    print_summary(streams.stderr, true);
    if !args.suite.quiet
        && let Some(catch_all) = shard.catch_all
    {
        let _ = writeln!(
            streams.stderr,
            "shardplan: catch-all: shard {catch_all} also runs every test not in the plan"
        );
    }
    app::shard_notes(&shard.rendered, streams.stderr);
    step_summary::write_from_env(
        summary_request.as_ref(),
        || markdown(Some(shard.catch_all)),
        streams.stderr,
    )?;
    match commands {
        Some(commands) => crate::exec::run(&commands, streams.stderr),
        None => Ok(()),
    }
}
