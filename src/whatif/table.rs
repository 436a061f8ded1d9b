//! The `whatif` table as aligned text (with a bar chart), Markdown, CSV or
//! JSON, and the verdict on the knee and the target in words.
//!
//! Text and Markdown durations are [`human`]; CSV and JSON give seconds,
//! converted once from integer microseconds, so they compare exactly with
//! what `shardplan --json` prints for the same plan.

use serde::Serialize;

use super::{Floor, Format, Verdict, Whatif, ratio_ppm};
use crate::bars;
use crate::choice::Choice;
use crate::duration::{Micros, human, human_beside, micros_to_seconds};
use crate::emit::Granularity;
use crate::learned::CostModel;
use crate::plan::Algorithm;

/// Width of the wall-time bars, in cells.
const BAR_WIDTH: usize = 40;

/// What the table was planned with, for its heading and the JSON.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The runner's name.
    pub runner: &'a str,
    /// The granularity planned.
    pub by: Granularity,
    /// The planner.
    pub algorithm: Algorithm,
    /// The shard overhead.
    pub overhead: Micros,
    /// The cost terms planned with and their sources.
    pub cost_model: CostModel,
    /// Tests planned.
    pub tests: usize,
    /// What the planned ids are ([`crate::naming::Naming::units`]).
    pub units: &'a str,
}

/// The table in `format`.
pub fn render(whatif: &Whatif, context: &Context<'_>, format: Format) -> String {
    match format {
        Format::Table => text(whatif, context),
        Format::Markdown => markdown(whatif, context),
        Format::Csv => csv(whatif),
        Format::Json => json(whatif, context),
    }
}

/// The verdict, one line each for the knee and the target.
pub fn verdict(whatif: &Whatif, context: &Context<'_>) -> String {
    let mut out = String::new();
    for line in verdict_lines(whatif, context) {
        out += &line;
        out.push('\n');
    }
    out
}

const HEADINGS: [&str; 6] = [
    "shards",
    "wall time",
    "lower bound",
    "efficiency",
    "machine time",
    "speedup",
];

/// A wall time as the table shows it: beside a target, with enough digits
/// that a wall just above the target never reads as equal to it.
fn wall_text(whatif: &Whatif, wall: Micros) -> String {
    match &whatif.target {
        Some(target) => human_beside(wall, target.wall),
        None => human(wall),
    }
}

/// A row's cells as text and Markdown show them, and its marks.
fn cells(whatif: &Whatif, index: usize) -> ([String; 6], String) {
    let row = &whatif.rows[index];
    let mut marks = Vec::new();
    if whatif.knee.at == Some(index) {
        marks.push("knee".to_string());
    }
    if whatif.meets_target(index) {
        marks.push("target".to_string());
    }
    if let Some(range) = whatif.one_size.filter(|_| whatif.guessed(row)) {
        marks.push(format!(
            "a guess: {} groups a shard, costs learned at {}",
            crate::learned::milli_groups_text(row.milli_groups_per_shard),
            range.describe("-")
        ));
    }
    (
        [
            row.shards.to_string(),
            wall_text(whatif, row.wall),
            human(row.bound.value),
            percent(row.efficiency_ppm()),
            human(row.machine),
            times(whatif.speedup_ppm(row)),
        ],
        marks.join(", "),
    )
}

fn heading(whatif: &Whatif, context: &Context<'_>) -> String {
    format!(
        "{} {}, {} of test time, by {} for {}; planner {}; shard overhead {}",
        context.tests,
        context.units,
        human(whatif.rows.first().map_or(0, |r| r.work)),
        context.by.name(),
        context.runner,
        context.algorithm.name(),
        human(context.overhead)
    ) + &if context.cost_model.learned() {
        format!("; cost model: {}", context.cost_model.describe())
    } else {
        String::new()
    }
}

fn text(whatif: &Whatif, context: &Context<'_>) -> String {
    let rows: Vec<([String; 6], String)> =
        (0..whatif.rows.len()).map(|i| cells(whatif, i)).collect();
    let mut widths = HEADINGS.map(str::len);
    for (cells, _) in &rows {
        for (width, cell) in widths.iter_mut().zip(cells) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String], marks: &str| {
        let mut out: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:>width$}"))
            .collect();
        if !marks.is_empty() {
            out.push(format!("<- {marks}"));
        }
        out.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = heading(whatif, context) + "\n\n";
    out += &line(&HEADINGS.map(String::from), "");
    for (cells, marks) in &rows {
        out += &line(cells, marks);
    }
    out.push('\n');
    out += &verdict(whatif, context);
    out.push('\n');
    out += &chart(whatif, context.overhead);
    out
}

/// Wall time per shard count as bars; the shard overhead's part drawn
/// lighter.
fn chart(whatif: &Whatif, overhead: Micros) -> String {
    let max = whatif.rows.iter().map(|r| r.wall).max().unwrap_or(0);
    let label_width = whatif
        .rows
        .iter()
        .map(|r| r.shards.to_string().len())
        .max()
        .unwrap_or(1);
    let mut out = if overhead > 0 {
        "wall time by shard count (░ shard overhead, █ tests and setup)\n".to_string()
    } else {
        "wall time by shard count\n".to_string()
    };
    for row in &whatif.rows {
        let bar = if overhead > 0 {
            let overhead = overhead.min(row.wall);
            bars::stacked(
                &[(overhead, '░'), (row.wall - overhead, '█')],
                max,
                BAR_WIDTH,
            )
        } else {
            bars::bar(row.wall, max, BAR_WIDTH)
        };
        out += &format!(
            "{:>label_width$} {bar} {}\n",
            row.shards,
            wall_text(whatif, row.wall)
        );
    }
    out
}

fn markdown(whatif: &Whatif, context: &Context<'_>) -> String {
    let mut out = heading(whatif, context) + "\n\n";
    out += &format!("| {} | |\n", HEADINGS.join(" | "));
    out += "|---:|---:|---:|---:|---:|---:|:---|\n";
    for index in 0..whatif.rows.len() {
        let (cells, marks) = cells(whatif, index);
        out += &format!("| {} | {} |\n", cells.join(" | "), marks);
    }
    out.push('\n');
    for line in verdict_lines(whatif, context) {
        out += &format!("- {line}\n");
    }
    out
}

fn csv(whatif: &Whatif) -> String {
    let mut out = String::from(
        "shards,wall_seconds,lower_bound_seconds,lower_bound_reason,efficiency,machine_seconds,speedup,knee,meets_target,fingerprint\n",
    );
    for (index, row) in whatif.rows.iter().enumerate() {
        out += &format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            row.shards,
            decimal(row.wall),
            decimal(row.bound.value),
            row.bound.reason.describe(),
            decimal(row.efficiency_ppm()),
            decimal(row.machine),
            decimal(whatif.speedup_ppm(row)),
            whatif.knee.at == Some(index),
            whatif.meets_target(index),
            row.fingerprint
        );
    }
    out
}

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    runner: &'a str,
    by: Granularity,
    algorithm: Algorithm,
    tests_planned: usize,
    shard_overhead_seconds: f64,
    /// The cost terms planned with and their sources (as `--json` of a
    /// plan).
    cost_model: CostModel,
    /// The least saving per step below which the knee is.
    knee_share: f64,
    /// The knee's shard count, if the table has one.
    knee: Option<usize>,
    target: Option<TargetDoc>,
    rows: Vec<RowDoc<'a>>,
    /// The knee and the target in words.
    verdict: Vec<String>,
}

#[derive(Serialize)]
struct RowDoc<'a> {
    shards: usize,
    wall_seconds: f64,
    lower_bound_seconds: f64,
    lower_bound_reason: &'static str,
    efficiency: f64,
    machine_seconds: f64,
    speedup: f64,
    fingerprint: &'a str,
    /// Present (true) when the row's shards are of another size than
    /// those the cost model was learned from.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    guessed: bool,
}

#[derive(Serialize)]
struct TargetDoc {
    seconds: f64,
    /// `in_table`, `elsewhere`, `impossible` or `not_found`.
    verdict: &'static str,
    /// The fewest shards that meet it, if any do.
    shards: Option<usize>,
    wall_seconds: Option<f64>,
    /// With `impossible`: the item that cannot be split.
    #[serde(skip_serializing_if = "Option::is_none")]
    floor: Option<FloorDoc>,
}

#[derive(Serialize)]
struct FloorDoc {
    key: String,
    by: Granularity,
    tests: usize,
    seconds: f64,
    setup_seconds: f64,
    with_overhead_seconds: f64,
}

fn json(whatif: &Whatif, context: &Context<'_>) -> String {
    let target = whatif.target.as_ref().map(|target| {
        let (verdict, found, floor) = match &target.verdict {
            Verdict::InTable { row } => {
                let row = &whatif.rows[*row];
                ("in_table", Some((row.shards, row.wall)), None)
            }
            Verdict::Elsewhere { shards, wall } => ("elsewhere", Some((*shards, *wall)), None),
            Verdict::Impossible { floor, .. } => (
                "impossible",
                None,
                Some(FloorDoc {
                    key: floor.key.clone(),
                    by: floor.granularity,
                    tests: floor.tests,
                    seconds: micros_to_seconds(floor.duration),
                    setup_seconds: micros_to_seconds(floor.setup),
                    with_overhead_seconds: micros_to_seconds(floor.total()),
                }),
            ),
            Verdict::NotFound { .. } => ("not_found", None, None),
        };
        TargetDoc {
            seconds: micros_to_seconds(target.wall),
            verdict,
            shards: found.map(|f| f.0),
            wall_seconds: found.map(|f| micros_to_seconds(f.1)),
            floor,
        }
    });
    let doc = Doc {
        version: 1,
        runner: context.runner,
        by: context.by,
        algorithm: context.algorithm,
        tests_planned: context.tests,
        shard_overhead_seconds: micros_to_seconds(context.overhead),
        cost_model: context.cost_model,
        knee_share: fraction(u64::from(whatif.knee.share.ppm())),
        knee: whatif.knee.at.map(|i| whatif.rows[i].shards),
        target,
        rows: whatif
            .rows
            .iter()
            .map(|row| RowDoc {
                shards: row.shards,
                wall_seconds: micros_to_seconds(row.wall),
                lower_bound_seconds: micros_to_seconds(row.bound.value),
                lower_bound_reason: row.bound.reason.describe(),
                efficiency: fraction(row.efficiency_ppm()),
                machine_seconds: micros_to_seconds(row.machine),
                speedup: fraction(whatif.speedup_ppm(row)),
                fingerprint: &row.fingerprint,
                guessed: whatif.guessed(row),
            })
            .collect(),
        verdict: verdict_lines(whatif, context),
    };
    let mut text = serde_json::to_string(&doc).expect("the whatif document always serialises");
    text.push('\n');
    text
}

/// The knee and the target in words.
fn verdict_lines(whatif: &Whatif, context: &Context<'_>) -> Vec<String> {
    let mut lines = vec![knee_line(whatif)];
    if let Some(target) = &whatif.target {
        lines.push(target_line(whatif, target.wall, &target.verdict, context));
    }
    if let Some(range) = whatif.one_size.filter(|_| whatif.rests_on_guess()) {
        lines.push(format!(
            "the cost model was learned from shards of {} only: walls of shards of other sizes (rows marked as a guess) rest on how it divided their overhead, and so does any answer drawn from them",
            range.describe("-")
        ));
    }
    lines
}

fn knee_line(whatif: &Whatif) -> String {
    let share = whatif.knee.share.percent();
    let rows = &whatif.rows;
    match whatif.knee.at {
        Some(index) => {
            let (row, next) = (&rows[index], &rows[index + 1]);
            let saves = match row.wall.checked_sub(next.wall) {
                Some(saving) if saving > 0 => format!(
                    "saves {} of its wall time",
                    percent(ratio_ppm(u128::from(saving), u128::from(row.wall)))
                ),
                _ => "saves nothing".to_string(),
            };
            format!(
                "knee: {}; going to {} {saves} (less than {share})",
                shards(row.shards),
                next.shards
            )
        }
        None if rows.len() < 2 => "knee: compare at least two shard counts to find it".to_string(),
        None => format!(
            "knee: not in the table; every step to the next count saves at least {share} of the wall time, so more shards may still pay"
        ),
    }
}

fn target_line(
    whatif: &Whatif,
    target: Micros,
    verdict: &Verdict,
    context: &Context<'_>,
) -> String {
    let prefix = format!("target {}:", human(target));
    match verdict {
        Verdict::InTable { row } => {
            let row = &whatif.rows[*row];
            format!(
                "{prefix} {}, the fewest that meet it (wall time {})",
                shards(row.shards),
                human(row.wall)
            )
        }
        Verdict::Elsewhere {
            shards: count,
            wall,
        } => format!(
            "{prefix} {}, the fewest that meet it (wall time {}; not in the table)",
            shards(*count),
            human(*wall)
        ),
        Verdict::NotFound { from, .. } if *from > super::MAX_SHARDS => format!(
            "{prefix} no count in the table meets it, and the lower bound rules out every count up to {}",
            super::MAX_SHARDS
        ),
        Verdict::NotFound { from, to } => format!(
            "{prefix} no count in the table meets it; the lower bound allows it from {from} shards on, but the plans for {from} to {to} shards stay above it"
        ),
        Verdict::Impossible { floor, .. } if floor.overhead > target => format!(
            "{prefix} no shard count can meet it: the shard overhead alone takes {}",
            human(floor.overhead)
        ),
        Verdict::Impossible { floor, split } => {
            let mut out = format!(
                "{prefix} no shard count can meet it: {} cannot be split, and{} it takes {} on whichever shard runs it",
                describe(floor),
                parts(floor),
                human(floor.total())
            );
            if let Some(split) = split {
                let fits = if split.total() <= target {
                    "which meets the target"
                } else {
                    "still too long"
                };
                out += &format!(
                    ". With --split-large its {} tests may spread over shards; the largest item left, {}, would take {}, {fits}",
                    floor.tests,
                    describe(split),
                    human(split.total())
                );
            } else if context.by != Granularity::Test && floor.tests == 1 {
                out += "; it is a single test";
            }
            out
        }
    }
}

/// `1 shard`, `4 shards`.
pub fn shards(count: usize) -> String {
    if count == 1 {
        "1 shard".to_string()
    } else {
        format!("{count} shards")
    }
}

/// The item as a phrase: `test X (1m20s)`, `file X (4 tests, 1m20s)`.
fn describe(floor: &Floor) -> String {
    let what = match floor.granularity {
        Granularity::Test => "test",
        Granularity::Class => "class",
        Granularity::File => "file",
    };
    if floor.tests > 1 {
        format!(
            "{what} {} ({} tests, {})",
            floor.key,
            floor.tests,
            human(floor.duration)
        )
    } else {
        format!("{what} {} ({})", floor.key, human(floor.duration))
    }
}

/// What the floor's total adds to the item's own duration, as ` with …`.
fn parts(floor: &Floor) -> String {
    let mut added = Vec::new();
    if floor.setup > 0 {
        added.push(format!("its group's setup {}", human(floor.setup)));
    }
    if floor.overhead > 0 {
        added.push(format!("the shard overhead {}", human(floor.overhead)));
    }
    if added.is_empty() {
        String::new()
    } else {
        format!(" with {}", added.join(" and "))
    }
}

/// Parts per million as a percentage with one decimal: `40.2%`.
fn percent(ppm: u64) -> String {
    let tenths = (ppm + 500) / 1_000;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// Parts per million as a factor with two decimals: `3.52x`.
fn times(ppm: u64) -> String {
    let hundredths = (ppm + 5_000) / 10_000;
    format!("{}.{:02}x", hundredths / 100, hundredths % 100)
}

/// Millionths (microseconds or parts per million) as an exact decimal with
/// six places: `12.345678`.
fn decimal(millionths: u64) -> String {
    format!("{}.{:06}", millionths / 1_000_000, millionths % 1_000_000)
}

/// Parts per million as a fraction for JSON.
fn fraction(ppm: u64) -> f64 {
    ppm as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_from_integers() {
        assert_eq!(percent(402_113), "40.2%");
        assert_eq!(percent(999_960), "100.0%");
        assert_eq!(times(3_524_999), "3.52x");
        assert_eq!(times(1_000_000), "1.00x");
        assert_eq!(decimal(12_345_678), "12.345678");
        assert_eq!(decimal(5), "0.000005");
    }
}
