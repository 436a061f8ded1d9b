//! The default command's driver: picks the shard, runs the pipeline
//! ([`crate::pipeline`]), and prints one shard ([`crate::shard`]) or the whole
//! plan, with the summary ([`crate::summary`]); [`dispatch`] hands the
//! subcommands to their own modules.
//!
//! Everything here writes to the streams it is given, so tests can run the
//! whole pipeline in-process.

use std::fs;
use std::io::{Read, Write};

use crate::cli::{Cli, Command, PlanArgs};
use crate::emit::Rendered;
use crate::error::{Error, Result};
use crate::frozen::Document;
use crate::history;
use crate::pipeline::{self, Planned};
use crate::shard;
use crate::summary::{self, Warnings};
use crate::{ci_env, commands, step_summary};

/// The streams a run reads and writes.
pub struct Streams<'a> {
    /// Where `--tests-from -` reads.
    pub stdin: &'a mut dyn Read,
    /// The shard's filter or the JSON plan.
    pub stdout: &'a mut dyn Write,
    /// Warnings and the summary.
    pub stderr: &'a mut dyn Write,
}

/// Which shards to plan and which one to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSelection {
    /// Number of shards.
    pub count: usize,
    /// The shard to print, 0-based; `None` with `--json` alone.
    pub index: Option<usize>,
    /// The CI variables the shard came from, when the flags left it open.
    pub origin: Option<ci_env::Detected>,
}

/// Checks the shard options: `--shards N --index I` (0-based) or `--shard K/N`
/// (1-based); what they leave open comes from the CI's variables
/// ([`ci_env`]). `--index` may be left out only when `--json` prints every
/// shard.
pub fn shard_selection(args: &PlanArgs) -> Result<ShardSelection> {
    shard_selection_in(args, &|name| std::env::var(name).ok())
}

/// [`shard_selection`] with the environment read through `lookup`.
pub fn shard_selection_in(
    args: &PlanArgs,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<ShardSelection> {
    // Explicit flags always win; the environment fills in only the index
    // (or both) they leave open.
    let settled =
        args.shard.is_some() || args.index.is_some() || (args.shards.is_some() && args.json);
    let detected = if settled {
        None
    } else {
        ci_env::detect(lookup)?
    };
    let selection = match (args.shard, args.shards, args.index, detected) {
        (Some(spec), ..) => ShardSelection {
            count: spec.count as usize,
            index: Some(spec.number as usize - 1),
            origin: None,
        },
        (None, Some(count), None, Some(found)) if found.count != count as usize => {
            return Err(Error::usage(format!(
                "--shards {count} does not match the CI's job count ({}): pass --index I too, or plan as many shards as there are jobs",
                found.describe()
            )));
        }
        (None, Some(count), index, found) => ShardSelection {
            count: count as usize,
            index: index.map(|i| i as usize).or(found.map(|f| f.index)),
            origin: found,
        },
        (None, None, _, Some(found)) => ShardSelection {
            count: found.count,
            index: Some(found.index),
            origin: Some(found),
        },
        (None, None, _, None) => {
            return Err(Error::usage(format!(
                "the number of shards is missing: pass --shards N --index I (0-based) or --shard K/N (1-based), or run where a CI sets one of {}",
                ci_env::variable_names()
            )));
        }
    };
    match selection.index {
        Some(index) if index >= selection.count => Err(Error::usage(format!(
            "--index {index} is out of range for --shards {count}: indexes are 0-based, from 0 to {last}",
            count = selection.count,
            last = selection.count - 1
        ))),
        None if !args.json => Err(Error::usage(
            "which shard? pass --index I (0-based) or --shard K/N, or --json to print the whole plan",
        )),
        _ => Ok(selection),
    }
}

/// Runs the command line: the subcommand given, or planning one shard.
pub fn dispatch(cli: &Cli, streams: &mut Streams<'_>) -> Result<()> {
    match &cli.command {
        None => run(&cli.plan, streams),
        Some(Command::Merge(args)) => history::run(args, streams),
        Some(Command::Plan(args)) => commands::plan::run(args, streams),
        Some(Command::Select(args)) => commands::select::run(args, streams),
        Some(Command::Matrix(args)) => commands::matrix::run(args, streams),
        Some(Command::Verify(args)) => commands::verify::run(args, streams),
        Some(Command::Whatif(args)) => crate::whatif::run(args, streams),
        Some(Command::Explain(args)) => crate::explain::run(args, streams),
    }
}

/// Plans and prints one shard or the whole plan. Errors are returned, not
/// printed.
pub fn run(args: &PlanArgs, streams: &mut Streams<'_>) -> Result<()> {
    let selection = shard_selection(args)?;
    let runner = args.suite.runner.runner();
    let mut warnings = Warnings::default();
    let planned = pipeline::plan(
        args,
        selection.count,
        runner.as_ref(),
        streams.stdin,
        &mut warnings,
    );
    // Warnings often explain an error (a report for another runner), so
    // they are printed either way.
    warnings.flush(streams.stderr);
    let planned = planned?;
    if args.explain {
        let explanation = crate::explain::render(&planned, args, selection.index);
        let _ = streams.stderr.write_all(explanation.as_bytes());
    }

    let markdown = || {
        let doc = Document::from_planned(&planned, args, shard::catch_all(&planned, args));
        step_summary::plan_table(&doc, selection.index).to_markdown()
    };
    if args.json {
        write_stdout(streams.stdout, &json(&planned, args))?;
        if !args.suite.quiet {
            summary::summary(&planned, args, selection, streams.stderr);
        }
        return step_summary::write_from_env(&args.summary, markdown, streams.stderr);
    }
    let index = selection.index.unwrap_or(0);
    let shard = shard::render_shard(&planned, args, index, runner.as_ref())?;
    let exec = args.exec.then_some(args.extra_args.as_slice());
    let commands = output_shard(&shard.rendered, exec, runner.name(), streams.stdout)?;
    if !args.suite.quiet {
        summary::summary(&planned, args, selection, streams.stderr);
        if let Some(catch_all) = shard.catch_all {
            let _ = writeln!(
                streams.stderr,
                "shardplan: catch-all: shard {catch_all} also runs every test not in the plan"
            );
        }
    }
    shard_notes(&shard.rendered, streams.stderr);
    step_summary::write_from_env(&args.summary, markdown, streams.stderr)?;
    match commands {
        Some(commands) => crate::exec::run(&commands, streams.stderr),
        None => Ok(()),
    }
}

/// Writes a rendered shard's list files, then prints its filter on stdout;
/// or, with `exec` (the extra arguments), returns the commands `--exec`
/// runs instead of printing them.
pub fn output_shard(
    rendered: &Rendered,
    exec: Option<&[String]>,
    runner: &str,
    stdout: &mut dyn Write,
) -> Result<Option<Vec<Vec<String>>>> {
    for (path, contents) in &rendered.files {
        fs::write(path, contents)
            .map_err(|e| Error::in_file(path, format!("cannot write the list file: {e}")))?;
    }
    if let Some(extra) = exec {
        return rendered.output.commands(extra).map(Some).ok_or_else(|| {
            Error::usage(format!(
                "--runner {runner} prints test ids, not a command; say how to run them with --template"
            ))
        });
    }
    let mut text = rendered.lines().join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    write_stdout(stdout, &text)?;
    Ok(None)
}

/// Prints a rendered shard's warnings and notices on stderr.
pub fn shard_notes(rendered: &Rendered, stderr: &mut dyn Write) {
    for warning in &rendered.warnings {
        let _ = writeln!(stderr, "shardplan: warning: {warning}");
    }
    for notice in &rendered.notices {
        let _ = writeln!(stderr, "shardplan: note: {notice}");
    }
}

/// Writes the primary output; a closed pipe (`| head`) is not an error.
pub fn write_stdout(stdout: &mut dyn Write, text: &str) -> Result<()> {
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::input(format!("cannot write output: {e}"))),
    }
}

/// The whole plan as one line of JSON: the plan document (format version
/// 1) that `shardplan plan` writes and `select` reads; see [`crate::frozen`].
pub fn json(planned: &Planned, args: &PlanArgs) -> String {
    Document::from_planned(planned, args, shard::catch_all(planned, args)).to_json()
}
