//! `shardplan flaky`: list the tests the timing history shows both failing
//! and passing ([`crate::flaky`]), worst first, with their failure rate
//! over the history's window. It informs: it exits 0 whatever it finds.

use std::path::{Path, PathBuf};

use crate::app::{self, Streams};
use crate::choice::Choice;
use crate::cli::{SummaryArgs, choice};
use crate::emit::RunnerKind;
use crate::error::{Error, Result};
use crate::flaky::{self, FlakyTest};
use crate::history::{self, History};
use crate::inputs::{self, ReadOptions};
use crate::report::{self, ReportFormat};
use crate::step_summary::{self, Table};
use crate::warnings::Warnings;

/// Options of `shardplan flaky`.
///
/// Reads the timing history `shardplan merge` keeps: each merge is one run,
/// and each test keeps its outcome in the last runs (the longer of the
/// history's --keep and --drop-after). A test is flaky when it failed and
/// passed in the same run (a rerun), or its outcome changed between runs.
#[derive(Debug, Clone, clap::Args)]
pub struct FlakyArgs {
    /// The timing history (or histories) to read, as for planning; reports
    /// given here count as one more run [default: .shardplan/timings.json].
    #[arg(long, value_name = "PATH")]
    pub timings: Vec<String>,

    /// Name tests as this runner does; tests of other runners' reports are
    /// left out.
    #[arg(long, value_name = "RUNNER", value_parser = choice::<RunnerKind>(), default_value = "plain")]
    pub runner: RunnerKind,

    /// List only tests that failed in at least this share of the runs they
    /// ran in (`0.1` or `10%`).
    #[arg(long, value_name = "RATE", default_value = "0", value_parser = crate::cli::parse_fraction)]
    pub min_rate: f64,

    /// How to print the list.
    #[arg(long, value_name = "FORMAT", value_parser = choice::<Format>(), default_value = "text")]
    pub format: Format,

    /// `--summary markdown`: the list as a table for the job summary.
    #[command(flatten)]
    pub summary: SummaryArgs,

    /// Print no summary line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// How `shardplan flaky` prints its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns.
    Text,
    /// One JSON document.
    Json,
    /// A Markdown table.
    Markdown,
}

impl Choice for Format {
    const ALL: &'static [Format] = &[Format::Text, Format::Json, Format::Markdown];

    fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Markdown => "markdown",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Format::Text => "Aligned columns",
            Format::Json => "One JSON document",
            Format::Markdown => "A Markdown table",
        }
    }
}

/// Runs `shardplan flaky`.
pub fn run(args: &FlakyArgs, streams: &mut Streams<'_>) -> Result<()> {
    let mut warnings = Warnings::default();
    let history = read(&args.timings, &mut warnings)?;
    app::print_warnings(&mut warnings, streams.stderr);
    let runner = args.runner.runner();
    let found = flaky::flaky_tests(&history, runner.as_ref(), args.min_rate);
    let text = match args.format {
        Format::Text => text(&found, args.min_rate),
        Format::Json => json(&found, history.runs, args.min_rate),
        Format::Markdown => table(&found, history.runs).to_markdown(),
    };
    app::write_stdout(streams.stdout, &text)?;
    if !args.quiet {
        let _ = writeln!(
            streams.stderr,
            "shardplan: {} flaky test{} (failure rate at least {:.0}%) in {} runs of {} tests",
            found.len(),
            if found.len() == 1 { "" } else { "s" },
            args.min_rate * 100.0,
            history.runs,
            history.tests.len(),
        );
    }
    step_summary::write_from_env(
        args.summary.request().as_ref(),
        || table(&found, history.runs).to_markdown(),
        streams.stderr,
    )
}

/// The history to read: the histories among `timings` (or the default
/// one), with any reports among them merged as one more run.
fn read(timings: &[String], warnings: &mut Warnings) -> Result<History> {
    let arguments: Vec<String> = if timings.is_empty() {
        let default = Path::new(history::DEFAULT_PATH);
        if !default.is_file() {
            return Err(Error::usage(format!(
                "no timing history at {}: pass --timings PATH, or keep one with `shardplan merge`",
                history::DEFAULT_PATH
            )));
        }
        vec![history::DEFAULT_PATH.to_string()]
    } else {
        timings.to_vec()
    };
    let found = inputs::resolve(&arguments, "--timings")?;
    for argument in &found.unmatched {
        warnings.push(format!("--timings {argument:?} matched no report file"));
    }
    let (histories, reports): (Vec<PathBuf>, Vec<PathBuf>) =
        found.files.into_iter().partition(|f| is_history(f));
    let mut combined: Option<History> = None;
    for path in &histories {
        let history = History::load(path)?;
        combined = Some(match combined {
            None => history,
            Some(mut so_far) => {
                so_far.runs = so_far.runs.max(history.runs);
                for (key, record) in history.tests {
                    so_far
                        .tests
                        .entry(key)
                        .or_default()
                        .outcomes
                        .extend(record.outcomes);
                }
                so_far
            }
        });
    }
    let mut history = combined
        .unwrap_or_else(|| History::new(history::DEFAULT_KEEP, history::DEFAULT_DROP_AFTER));
    if !reports.is_empty() {
        let options = ReadOptions::new(false, None, None)?;
        let (cases, _, _) = inputs::read_reports_with_groups(&reports, &options, warnings)?;
        history.merge_run(&cases);
    }
    if histories.is_empty() && reports.is_empty() {
        return Err(Error::input(
            "--timings matched no timing history and no report",
        ));
    }
    Ok(history)
}

/// Whether the file at `path` is a timing history.
fn is_history(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(4096).read_to_end(&mut head);
    }
    report::history::History.sniff(&head)
}

/// `12.5%`.
fn percent(rate: f64) -> String {
    let value = rate * 100.0;
    if (value - value.round()).abs() < 0.05 {
        format!("{value:.0}%")
    } else {
        format!("{value:.1}%")
    }
}

/// The list as aligned columns, or a line saying there is none (and, with
/// a `min_rate` above 0, that a test may yet have flipped below it).
fn text(found: &[FlakyTest], min_rate: f64) -> String {
    if found.is_empty() {
        return if min_rate > 0.0 {
            format!(
                "no flaky tests at a failure rate of at least {}\n",
                percent(min_rate)
            )
        } else {
            "no flaky tests: every test kept one outcome over its runs\n".to_string()
        };
    }
    let width = found.iter().map(|t| t.id.len()).max().unwrap_or(0).max(4);
    let mut out = format!(
        "{:<width$}  {:>6}  {:>9}  outcomes (oldest first)  evidence\n",
        "test", "failed", "rate"
    );
    for test in found {
        out += &format!(
            "{:<width$}  {:>6}  {:>9}  {:<23}  {}\n",
            test.id,
            format!("{}/{}", test.failed, test.runs),
            percent(test.rate()),
            test.letters(),
            test.evidence(),
        );
    }
    out +=
        "outcomes: p passed, f failed, e errored, s skipped, r failed and passed in the same run\n";
    out
}

/// The list as one JSON document.
fn json(found: &[FlakyTest], runs: u64, min_rate: f64) -> String {
    let tests: Vec<serde_json::Value> = found
        .iter()
        .map(|t| {
            serde_json::json!({
                "id": t.id,
                "runs": t.runs,
                "failed": t.failed,
                "failure_rate": (t.rate() * 10_000.0).round() / 10_000.0,
                "reruns_passed": t.reruns,
                "changes": t.changes,
                "outcomes": t.letters(),
                "evidence": t.evidence(),
            })
        })
        .collect();
    let mut text = serde_json::to_string(&serde_json::json!({
        "format": "shardplan-flaky",
        "version": 1,
        "runs": runs,
        "min_rate": min_rate,
        "tests": tests,
    }))
    .expect("the flaky list always serialises");
    text.push('\n');
    text
}

/// The list as a Markdown table, bars by failure rate.
fn table(found: &[FlakyTest], runs: u64) -> Table {
    let rows = found
        .iter()
        .map(|t| {
            (
                vec![
                    format!("`{}`", t.id.replace('`', "'")),
                    format!("{}/{}", t.failed, t.runs),
                    percent(t.rate()),
                    format!("`{}`", t.letters()),
                    t.evidence().to_string(),
                ],
                (t.rate() * 1_000_000.0) as u64,
            )
        })
        .collect();
    let note = if found.is_empty() {
        format!("No flaky tests in the last {runs} runs.")
    } else {
        "Outcomes oldest first: p passed, f failed, e errored, s skipped, r failed and passed in the same run. Flaky tests are bugs to fix, not to retry.".to_string()
    };
    Table {
        title: format!("shardplan flaky: {} flaky tests", found.len()),
        headers: ["test", "failed", "rate", "outcomes", "evidence"]
            .map(String::from)
            .to_vec(),
        rows,
        notes: vec![note],
    }
}
