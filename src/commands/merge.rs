//! `shardplan merge`: fold the reports of one CI run into the timing
//! history ([`crate::history`]) and write it back atomically. Reports kept
//! beside a `select --record` shard record also teach the history what the
//! run's shards cost beyond their tests ([`crate::costs`],
//! [`crate::learned`]).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::app::{self, Streams};
use crate::choice::Choice;
use crate::cli::MergeArgs;
use crate::costs;
use crate::duration::human;
use crate::emit::RunnerKind;
use crate::error::{Error, Result};
use crate::history::{self, History};
use crate::inputs::{self, ReadOptions};
use crate::learned::{self, ConcurrencyTerm, CostModel, Term};
use crate::report::{self, ReportFormat};
use crate::warnings::Warnings;

/// Runs `shardplan merge`: reads the history (if any) and the reports of one
/// CI run, folds the run in, and writes the history back atomically.
pub fn run(args: &MergeArgs, streams: &mut Streams<'_>) -> Result<()> {
    let mut warnings = Warnings::default();
    let mut history = if args.into.is_file() {
        History::load(&args.into)?
    } else {
        History::new(history::DEFAULT_KEEP, history::DEFAULT_DROP_AFTER)
    };
    if let Some(keep) = args.keep {
        history.keep = keep as usize;
    }
    if let Some(drop_after) = args.drop_after {
        history.drop_after = u64::from(drop_after);
    }

    let found = inputs::resolve(&args.reports, "a report argument")?;
    for argument in &found.unmatched {
        warnings.push(format!("{argument:?} matched no report file"));
    }
    let files = reports_only(found.files, &args.into)?;
    if files.is_empty() {
        app::print_warnings(&mut warnings, streams.stderr);
        return Err(Error::input(
            "no reports to merge; the timing history is unchanged",
        ));
    }
    let options = ReadOptions::new(
        args.strict,
        args.read.format.as_deref(),
        args.read.root.as_deref(),
    )?;
    let run = costs::read_run(&files, &options, &mut warnings);
    // Warnings explain a failure too (the reports skipped before it).
    app::print_warnings(&mut warnings, streams.stderr);
    let costs::Run {
        cases,
        groups,
        read,
        costs: observed,
        shards,
        unrecorded,
    } = run?;
    // Shard records merged before (a re-run of the merging job over the
    // same artifacts), or twice here (two copies of one shard's reports):
    // their reports would count twice.
    let mut identities: Vec<&str> = shards
        .iter()
        .filter_map(|shard| shard.identity.as_deref())
        .collect();
    identities.sort_unstable();
    let copies = identities.len();
    identities.dedup();
    if copies > identities.len() {
        let repeated = copies - identities.len();
        warnings.push(format!(
            "{repeated} shard record{} more than once in these reports (copies of one shard's \
             directory?): their tests and costs count once per copy",
            if repeated == 1 {
                " appears"
            } else {
                "s appear"
            }
        ));
    }
    let before: Vec<u64> = identities
        .iter()
        .filter_map(|identity| history.merged_before(identity))
        .collect();
    if !identities.is_empty() && before.len() == identities.len() && unrecorded == 0 {
        app::print_warnings(&mut warnings, streams.stderr);
        let _ = writeln!(
            streams.stderr,
            "shardplan: all {} shard records of these reports were merged before (in run {}): \
             merging them again would count their tests and costs twice; {} is unchanged",
            identities.len(),
            before.iter().max().expect("one at least"),
            args.into.display()
        );
        return Ok(());
    }
    if let Some(last) = before.iter().max() {
        warnings.push(format!(
            "{} of the {} shard records of these reports were merged before (in run {last}): \
             their tests and costs count again",
            before.len(),
            identities.len()
        ));
    }
    app::print_warnings(&mut warnings, streams.stderr);
    let stats = history.merge_report(&cases, &groups);
    history.merge_costs(observed);
    history.save(&args.into)?;
    if !args.quiet {
        let _ = writeln!(
            streams.stderr,
            "shardplan: merged run {} from {read} report file{} ({} test cases, {} tests) into {}\n\
             shardplan: {} new, {} without a passing duration, {} dropped (not seen in {} runs); {} tests kept, up to {} samples each\n\
             shardplan: {} group setups measured, {} groups dropped; {} groups kept",
            history.runs,
            if read == 1 { "" } else { "s" },
            cases.len(),
            stats.seen,
            args.into.display(),
            stats.new,
            stats.without_sample,
            stats.dropped,
            history.drop_after,
            history.tests.len(),
            history.keep,
            stats.groups_measured,
            stats.groups_dropped,
            history.groups.len(),
        );
        for shard in &shards {
            let _ = writeln!(
                streams.stderr,
                "shardplan: shard {} ({}): {}",
                shard.index,
                shard.record.display(),
                match (&shard.note, shard.wall) {
                    (Some(note), _) => format!("no cost observation: {note}"),
                    (None, Some(wall)) => format!(
                        "wall {}, tests {}, {} group{}{}{}",
                        human(wall),
                        human(shard.tests),
                        shard.groups,
                        if shard.groups == 1 { "" } else { "s" },
                        match shard.launches {
                            1 => String::new(),
                            n => format!(", {n} launches of the runner"),
                        },
                        match (shard.predicted, shard.miss()) {
                            (Some(predicted), Some(miss)) => format!(
                                ", predicted {} ({})",
                                human(predicted),
                                describe_miss(miss)
                            ),
                            _ => String::new(),
                        }
                    ),
                    (None, None) => "no cost observation".to_string(),
                }
            );
        }
        if let Some(accuracy) = costs::accuracy(&shards) {
            let _ = writeln!(
                streams.stderr,
                "shardplan: the plan's predictions missed {} shard{} wall time{} by {} on average (|predicted - wall| / wall){}",
                accuracy.shards,
                if accuracy.shards == 1 { "'s" } else { "s'" },
                if accuracy.shards == 1 { "" } else { "s" },
                per_mille(accuracy.mean_miss),
                match accuracy.balance {
                    Some(balance) => format!(
                        "; slowest wall {}.{:03} x the mean",
                        balance / 1000,
                        balance % 1000
                    ),
                    None => String::new(),
                }
            );
        }
        for record in history.costs.values() {
            let fitted = learned::fit(record);
            let model = CostModel::new(
                Term::choose(None, fitted.shard_startup),
                Term::choose(None, fitted.group_cost),
                ConcurrencyTerm::choose(None, fitted.concurrency),
                RunnerKind::from_name(&record.runner)
                    .is_some_and(|kind| kind.runner().starts_per_group()),
            )
            .learned_with(&fitted);
            let _ = writeln!(
                streams.stderr,
                "shardplan: learned costs for --runner {}: {}",
                record.runner,
                model.describe()
            );
        }
    }
    Ok(())
}

/// A share per mille as a percentage with one decimal: `7.9%`.
fn per_mille(value: u64) -> String {
    format!("{}.{}%", value / 10, value % 10)
}

/// A prediction's miss (per mille of the wall, negative when the shard
/// took longer) in words: `8.1% short`, `3.0% over`.
fn describe_miss(miss: i64) -> String {
    match miss {
        0 => "as predicted".to_string(),
        m if m < 0 => format!("{} short", per_mille(m.unsigned_abs())),
        m => format!("{} over", per_mille(m.unsigned_abs())),
    }
}

/// The report files among `files`: the history being written is left out
/// (a directory argument may hold it), and another history is refused,
/// since its estimates are not one run's measurements.
fn reports_only(files: Vec<PathBuf>, into: &Path) -> Result<Vec<PathBuf>> {
    let target = fs::canonicalize(into).ok();
    let mut reports = Vec::with_capacity(files.len());
    for file in files {
        if target.is_some() && fs::canonicalize(&file).ok() == target {
            continue;
        }
        let mut head = Vec::with_capacity(4096);
        if let Ok(opened) = fs::File::open(&file) {
            let _ = opened.take(4096).read_to_end(&mut head);
        }
        if report::history::History.sniff(&head) {
            return Err(Error::in_file(
                &file,
                "is a shardplan timing history, not a test report: merge folds in the reports of one CI run",
            ));
        }
        reports.push(file);
    }
    Ok(reports)
}
