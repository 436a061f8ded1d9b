//! The command layer's shared parts: the [`Streams`] a run reads and
//! writes, the shard a command line asks for ([`shard_selection`]), how
//! warnings and one shard's output are printed, and [`dispatch`], which
//! hands each subcommand to its file in [`crate::commands`].
//!
//! Everything here writes to the streams it is given, so tests can run the
//! whole command in-process.

use std::fs;
use std::io::{Read, Write};

use crate::ci_env;
use crate::cli::{Cli, Command, ShardSpec};
use crate::commands;
use crate::emit::Rendered;
use crate::error::{Error, Result};
pub use crate::options::ShardSelection;
use crate::warnings::Warnings;

/// Warnings beyond this many per run are counted, not printed.
const MAX_PRINTED_WARNINGS: usize = 20;

/// The streams a run reads and writes.
pub struct Streams<'a> {
    /// Where `--tests-from -` reads.
    pub stdin: &'a mut dyn Read,
    /// The shard's filter or the JSON plan.
    pub stdout: &'a mut dyn Write,
    /// Warnings and the summary.
    pub stderr: &'a mut dyn Write,
}

/// The shard flags of a command line, as given.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShardFlags {
    /// `--shards N`.
    pub shards: Option<u32>,
    /// `--index I`.
    pub index: Option<u32>,
    /// `--shard K/N`.
    pub shard: Option<ShardSpec>,
    /// Whether the command prints every shard (`--json`, `explain`), so
    /// that no index is needed.
    pub every_shard: bool,
}

/// Checks the shard options: `--shards N --index I` (0-based) or `--shard K/N`
/// (1-based); what they leave open comes from the CI's variables
/// ([`ci_env`]), read through `lookup`. `--index` may be left out only when
/// every shard is printed.
pub fn shard_selection(
    flags: ShardFlags,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<ShardSelection> {
    // Explicit flags always win; the environment fills in only the index
    // (or both) they leave open.
    let settled = flags.shard.is_some()
        || flags.index.is_some()
        || (flags.shards.is_some() && flags.every_shard);
    let detected = if settled {
        None
    } else {
        ci_env::detect(lookup)?
    };
    let selection = match (flags.shard, flags.shards, flags.index, detected) {
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
        None if !flags.every_shard => Err(Error::usage(
            "which shard? pass --index I (0-based) or --shard K/N, or --json to print the whole plan",
        )),
        _ => Ok(selection),
    }
}

/// Runs the command line: the subcommand given, or planning one shard.
pub fn dispatch(cli: &Cli, streams: &mut Streams<'_>) -> Result<()> {
    match &cli.command {
        None => commands::default::run(&cli.plan, streams),
        Some(Command::Merge(args)) => commands::merge::run(args, streams),
        Some(Command::Plan(args)) => commands::plan::run(args, streams),
        Some(Command::Select(args)) => commands::select::run(args, streams),
        Some(Command::Matrix(args)) => commands::matrix::run(args, streams),
        Some(Command::Verify(args)) => commands::verify::run(args, streams),
        Some(Command::Whatif(args)) => commands::whatif::run(args, streams),
        Some(Command::Explain(args)) => commands::explain::run(args, streams),
        Some(Command::Flaky(args)) => commands::flaky::run(args, streams),
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
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout);
    let written = rendered.write_lines(&mut out).and_then(|()| out.flush());
    output_written(written).map(|()| None)
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
    output_written(
        stdout
            .write_all(text.as_bytes())
            .and_then(|_| stdout.flush()),
    )
}

/// Writes the primary output with `write`; a closed pipe (`| head`) is
/// not an error.
pub fn write_stdout_with(
    stdout: &mut dyn Write,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    output_written(write(stdout).and_then(|_| stdout.flush()))
}

/// How writing the primary output went: a closed pipe (`| head`) is not
/// an error.
fn output_written(written: std::io::Result<()>) -> Result<()> {
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::input(format!("cannot write output: {e}"))),
    }
}

/// Prints the warnings recorded so far on stderr, at most
/// `MAX_PRINTED_WARNINGS` of them and a count of the rest, and forgets them.
pub fn print_warnings(warnings: &mut Warnings, stderr: &mut dyn Write) {
    let messages = warnings.take();
    for message in messages.iter().take(MAX_PRINTED_WARNINGS) {
        let _ = writeln!(stderr, "shardplan: warning: {message}");
    }
    if messages.len() > MAX_PRINTED_WARNINGS {
        let _ = writeln!(
            stderr,
            "shardplan: warning: ... and {} more warnings",
            messages.len() - MAX_PRINTED_WARNINGS
        );
    }
}
