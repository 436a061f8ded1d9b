//! `shardplan select`: print one shard of a frozen plan as the runner's
//! filter, exactly as planning would have printed it, without reading any
//! timings. Every job of a CI run, and every rerun of a job, selects from
//! the same file and so runs the same tests.
//!
//! With `--only-failed REPORTS`, it prints the filter for only the tests of
//! the shard that failed in those reports ([`crate::rerun`]): a rerun of
//! the job runs its failures and nothing else.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::app::{self, Streams};
use crate::ci_env;
use crate::cli::ShardSpec;
use crate::cli::SummaryArgs;
use crate::duration::human;
use crate::emit::RunnerKind;
use crate::error::{Error, Result};
use crate::frozen::{FrozenPlan, ShardRecord};
use crate::inputs::{self, ReadOptions};
use crate::shard::{self, RenderOptions};
use crate::step_summary;
use crate::warnings::Warnings;

/// Options of `shardplan select`.
#[derive(Debug, Clone, clap::Args)]
pub struct SelectArgs {
    /// The plan `shardplan plan` (or --json) wrote.
    #[arg(long, value_name = "PLAN.json")]
    pub plan: PathBuf,

    /// This shard's index, 0-based [default: from the CI's variables, e.g.
    /// CI_NODE_INDEX].
    #[arg(long, value_name = "I")]
    pub index: Option<u32>,

    /// This shard as K/N, 1-based; N must be the plan's shard count.
    #[arg(long, value_name = "K/N", conflicts_with = "index")]
    pub shard: Option<ShardSpec>,

    /// The runner to print for; it must be the plan's [default: the
    /// plan's].
    #[arg(long, value_name = "RUNNER", value_parser = crate::cli::choice::<RunnerKind>())]
    pub runner: Option<RunnerKind>,

    /// Print the shard's planned tests, one per line as the runner names
    /// them, instead of its filter.
    #[arg(long, conflicts_with_all = ["exec", "template", "list_file"])]
    pub list_tests: bool,

    /// Write the selection to this file and print the runner's file form.
    #[arg(long, value_name = "PATH")]
    pub list_file: Option<PathBuf>,

    /// Print commands filled from TEMPLATE instead of the runner's filter,
    /// as when planning.
    #[arg(long, value_name = "TEMPLATE")]
    pub template: Option<String>,

    /// Run the shard's command(s) instead of printing them, and exit with
    /// the first failure's status. Arguments after `--` are added to each.
    #[arg(long)]
    pub exec: bool,

    /// Extra arguments for every command --exec runs (after `--`).
    #[arg(last = true, value_name = "EXTRA_ARGS", requires = "exec")]
    pub extra_args: Vec<String>,

    /// Write `shardplan-shard.json` (the plan's fingerprint, this shard's
    /// index, the time it started and how many commands it launches; with
    /// --exec, also when they finished) into
    /// DIR, created if missing: keep the shard's result reports there, and
    /// `shardplan verify` knows where they came from and `shardplan merge`
    /// learns the shard's costs.
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,

    /// `--summary markdown`: a table of the shards for the job summary.
    #[command(flatten)]
    pub summary: SummaryArgs,

    /// Rerun only what failed: print the filter for the tests of this
    /// shard that failed or errored (and never passed) in these reports
    /// (files, directories or quoted globs), exactly those tests. A failed
    /// test the plan does not know belongs to the shard that ran it (its
    /// whole group's shard, else the catch-all). Nothing failed: prints
    /// nothing.
    #[arg(long, value_name = "REPORT", num_args = 1..)]
    pub only_failed: Option<Vec<String>>,

    /// With --only-failed: every shard's failures, for one job that reruns
    /// them all.
    #[arg(long, requires = "only_failed", conflicts_with_all = ["index", "shard", "record"])]
    pub all_shards: bool,

    /// Print no summary on stderr (warnings are still printed).
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `shardplan select`.
pub fn run(args: &SelectArgs, streams: &mut Streams<'_>) -> Result<()> {
    let plan = FrozenPlan::load(&args.plan)?;
    let doc = &plan.doc;
    if let Some(runner) = args.runner.filter(|&r| r != doc.runner) {
        return Err(Error::usage(format!(
            "--runner {} does not match the plan, which was made for --runner {}: its test ids would not fit; plan again for this runner",
            runner.runner().name(),
            doc.runner.runner().name()
        )));
    }
    if let Some(reports) = &args.only_failed {
        return rerun(args, &plan, reports, streams);
    }
    let (index, origin) = shard_index(args, plan.count())?;
    let runner = doc.runner.runner();
    let members = plan.members();
    let longest_first = plan.longest_first();
    let rendered = shard::render_members(
        &members,
        doc.catch_all,
        &doc.fingerprint,
        index,
        &RenderOptions {
            list_file: args.list_file.as_deref(),
            template: args.template.as_deref(),
            longest_first: &longest_first,
        },
        runner.as_ref(),
    )?;
    let recorded = match &args.record {
        Some(dir) => {
            let record = ShardRecord::new(doc, index)
                .predicting(doc.predicted()[index])
                .started_at(now())
                .launching(rendered.output.launches());
            let path = record.write(dir)?;
            Some((record, dir.as_path(), path))
        }
        None => None,
    };
    let commands = if args.list_tests {
        let text: String = members[index]
            .iter()
            .map(|m| format!("{}\n", m.test.native))
            .collect();
        app::write_stdout(streams.stdout, &text)?;
        None
    } else {
        let exec = args.exec.then_some(args.extra_args.as_slice());
        app::output_shard(&rendered, exec, runner.name(), streams.stdout)?
    };
    if !args.quiet {
        let shard = &doc.shards[index];
        let mut out = format!(
            "shardplan: plan {} from {}: shard {index} of {} ({}): {} {}, predicted {}; runner {}, by {}\n",
            doc.fingerprint,
            plan.path.display(),
            plan.count(),
            origin,
            shard.test_count,
            runner.units_of(shard.test_count),
            human(doc.predicted()[index]),
            runner.name(),
            doc.by.name(),
        );
        if let Some(catch_all) = doc.catch_all.filter(|_| !rendered.declined_catch_all) {
            out += &format!(
                "shardplan: catch-all: shard {catch_all} also runs every test not in the plan\n"
            );
        }
        if let Some((_, _, path)) = &recorded {
            out += &format!("shardplan: recorded the shard in {}\n", path.display());
        }
        let _ = streams.stderr.write_all(out.as_bytes());
    }
    app::shard_notes(&rendered, streams.stderr);
    step_summary::write_from_env(
        args.summary.request().as_ref(),
        || {
            let catch_all = doc.catch_all.filter(|_| !rendered.declined_catch_all);
            step_summary::plan_table(doc, Some(index), catch_all).to_markdown()
        },
        streams.stderr,
    )?;
    execute(
        commands,
        recorded.map(|(record, dir, _)| (record, dir)),
        streams.stderr,
    )
}

/// Runs the shard's `--exec` `commands`, if any; then, when the shard is
/// `record`ed in a directory, says in its record when they finished,
/// passed or failed (the shard's end, the runner's exit after its last
/// report included, which no report shows) and how many of them started
/// (a failed one stops the rest). The exit status is the commands': a
/// record that cannot be rewritten is a warning.
fn execute(
    commands: Option<Vec<Vec<String>>>,
    record: Option<(ShardRecord, &Path)>,
    stderr: &mut dyn Write,
) -> Result<()> {
    let Some(commands) = commands else {
        return Ok(());
    };
    let (started, ran) = crate::exec::run_counting(&commands, stderr);
    if let Some((record, dir)) = record {
        let finished = record.launching(started).finished_at(now());
        if let Err(error) = finished.write(dir) {
            let _ = writeln!(
                stderr,
                "shardplan: warning: {error}: the record does not say when the runner exited"
            );
        }
    }
    ran
}

/// `select --only-failed`: the failed tests of this shard (or of all, with
/// `--all-shards`) in `reports`, rendered as the runner's filter.
fn rerun(
    args: &SelectArgs,
    plan: &FrozenPlan,
    reports: &[String],
    streams: &mut Streams<'_>,
) -> Result<()> {
    let doc = &plan.doc;
    let shard = if args.all_shards {
        None
    } else {
        Some(shard_index(args, plan.count())?)
    };
    let runner = doc.runner.runner();
    let mut warnings = Warnings::default();
    let found = inputs::resolve(reports, "--only-failed")?;
    for argument in &found.unmatched {
        warnings.push(format!("--only-failed {argument:?} matched no report file"));
    }
    if found.files.is_empty() {
        app::print_warnings(&mut warnings, streams.stderr);
        return Err(Error::input(
            "--only-failed: no report files to read; give the reports of the run to rerun",
        ));
    }
    let options = ReadOptions::new(false, None, None)?;
    let read = inputs::read_reports_with_groups(&found.files, &options, &mut warnings);
    app::print_warnings(&mut warnings, streams.stderr);
    let (cases, _, read) = read?;
    let failed = crate::rerun::failed(plan, runner.as_ref(), &cases, shard.as_ref().map(|s| s.0));
    let which = match &shard {
        Some((index, origin)) => format!("shard {index} of {} ({origin})", plan.count()),
        None => format!("all {} shards", plan.count()),
    };
    // The shard starts now; its record says how many times it launches
    // the runner, known once the failed tests are rendered.
    let started = now();
    let record = |launches: u64| -> Result<Option<(ShardRecord, &Path, PathBuf)>> {
        match (&args.record, &shard) {
            (Some(dir), Some((index, _))) => {
                let record = ShardRecord::new(doc, *index)
                    .started_at(started)
                    .launching(launches);
                let path = record.write(dir)?;
                Ok(Some((record, dir.as_path(), path)))
            }
            _ => Ok(None),
        }
    };
    let mut out = String::new();
    if !failed.elsewhere.is_empty() {
        let shown: Vec<String> = failed
            .elsewhere
            .iter()
            .take(10)
            .map(|(test, shard)| format!("{test} (shard {shard})"))
            .collect();
        let one = failed.elsewhere.len() == 1;
        out += &format!(
            "shardplan: note: {} failed test{} in these reports {} to {}, whose job{} rerun{} {}: {}{}\n",
            failed.elsewhere.len(),
            if one { "" } else { "s" },
            if one { "belongs" } else { "belong" },
            if one { "another shard" } else { "other shards" },
            if one { "" } else { "s" },
            if one { "s" } else { "" },
            if one { "it" } else { "them" },
            shown.join(", "),
            if failed.elsewhere.len() > 10 {
                ", …"
            } else {
                ""
            },
        );
    }
    if !failed.unplaced.is_empty() {
        out += &format!(
            "shardplan: note: {} failed test{} no shard of the plan selects (no catch-all); rerun here, where the reports show {}: {}\n",
            failed.unplaced.len(),
            if failed.unplaced.len() == 1 { "" } else { "s" },
            if failed.unplaced.len() == 1 {
                "it ran"
            } else {
                "they ran"
            },
            failed.unplaced.join(", "),
        );
    }
    if failed.tests.is_empty() {
        out += &format!(
            "shardplan: nothing to rerun: no test of {which} of plan {} failed in {read} report file{}; printing nothing\n",
            doc.fingerprint,
            if read == 1 { "" } else { "s" },
        );
        record(0)?;
        let _ = streams.stderr.write_all(out.as_bytes());
        return Ok(());
    }
    let index = shard.as_ref().map_or(0, |s| s.0);
    let (commands, recorded) = if args.list_tests {
        let text: String = failed
            .tests
            .iter()
            .map(|t| format!("{}\n", t.native))
            .collect();
        app::write_stdout(streams.stdout, &text)?;
        (None, record(1)?)
    } else {
        let rendered = crate::rerun::render(
            plan,
            runner.as_ref(),
            &failed.tests,
            index,
            &RenderOptions {
                list_file: args.list_file.as_deref(),
                template: args.template.as_deref(),
                longest_first: &[],
            },
        )?;
        let recorded = record(rendered.output.launches())?;
        let exec = args.exec.then_some(args.extra_args.as_slice());
        let commands = app::output_shard(&rendered, exec, runner.name(), streams.stdout)?;
        app::shard_notes(&rendered, streams.stderr);
        (commands, recorded)
    };
    if !args.quiet {
        out += &format!(
            "shardplan: rerun of {which} of plan {} from {}: {} failed test{} of {read} report file{}, selected one by one; runner {}\n",
            doc.fingerprint,
            plan.path.display(),
            failed.tests.len(),
            if failed.tests.len() == 1 { "" } else { "s" },
            if read == 1 { "" } else { "s" },
            runner.name(),
        );
        if let Some((_, _, path)) = &recorded {
            out += &format!("shardplan: recorded the shard in {}\n", path.display());
        }
    }
    let _ = streams.stderr.write_all(out.as_bytes());
    execute(
        commands,
        recorded.map(|(record, dir, _)| (record, dir)),
        streams.stderr,
    )
}

/// This job's shard, 0-based, and where it came from: `--index`, `--shard`
/// or the CI's variables, whose job count must be the plan's.
/// Now, in microseconds since the Unix epoch: when the shard started.
fn now() -> crate::duration::Instant {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

fn shard_index(args: &SelectArgs, count: usize) -> Result<(usize, String)> {
    let (index, origin) = match (args.index, args.shard) {
        (Some(index), _) => (index as usize, format!("--index {index}")),
        (None, Some(spec)) if spec.count as usize != count => {
            return Err(Error::usage(format!(
                "--shard {}/{} does not fit the plan, which has {count} shards",
                spec.number, spec.count
            )));
        }
        (None, Some(spec)) => (
            spec.number as usize - 1,
            format!("--shard {}/{}", spec.number, spec.count),
        ),
        (None, None) => match ci_env::detect_from_env()? {
            Some(found) if found.count != count => {
                return Err(Error::usage(format!(
                    "the plan has {count} shards, but the CI runs {} jobs ({}): plan as many shards as jobs, or pass --index",
                    found.count,
                    found.describe()
                )));
            }
            Some(found) => (found.index, found.describe()),
            None => {
                return Err(Error::usage(format!(
                    "which shard? pass --index I (0-based) or --shard K/N, or run where a CI sets one of {}",
                    ci_env::variable_names()
                )));
            }
        },
    };
    if index >= count {
        return Err(Error::usage(format!(
            "--index {index} is out of range for the plan's {count} shards: indexes are 0-based, from 0 to {}",
            count - 1
        )));
    }
    Ok((index, origin))
}
