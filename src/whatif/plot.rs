//! `whatif --plot`: wall time and machine time against the shard count, as
//! SVG drawn with plotters.
//!
//! Wall time is read on the left axis, machine time on the right one: they
//! differ by about the shard count, so one axis would flatten one of them.
//! The knee is a vertical line, the target a horizontal one on the wall-time
//! axis, both named in the legend. Axis ticks are round durations. Each
//! series is one `<polyline>` with one point per row, told apart
//! by its colour ([`WALL_COLOR`], [`MACHINE_COLOR`]).

use plotters::prelude::*;

use super::table::shards;
use super::{Verdict, Whatif};
use crate::duration::{Micros, human};

/// Stroke of the wall-time series (`#1F77B4`).
pub const WALL_COLOR: RGBColor = RGBColor(0x1f, 0x77, 0xb4);

/// Stroke of the machine-time series (`#D62728`).
pub const MACHINE_COLOR: RGBColor = RGBColor(0xd6, 0x27, 0x28);

/// Stroke of the knee's vertical line.
const KNEE_COLOR: RGBColor = RGBColor(0x55, 0x55, 0x55);

/// Stroke of the target's horizontal line.
const TARGET_COLOR: RGBColor = RGBColor(0x2c, 0xa0, 0x2c);

/// The picture's size in pixels.
const SIZE: (u32, u32) = (900, 540);

/// At most this many steps up a duration axis.
const TICKS: u64 = 8;

/// Round steps for a duration axis, in microseconds: each a number people
/// read at a glance in the unit [`human`] prints.
const STEPS: [u64; 27] = [
    1_000,
    2_000,
    5_000,
    10_000,
    20_000,
    50_000,
    100_000,
    200_000,
    500_000,
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    15_000_000,
    30_000_000,
    60_000_000,
    120_000_000,
    300_000_000,
    600_000_000,
    900_000_000,
    1_800_000_000,
    3_600_000_000,
    7_200_000_000,
    10_800_000_000,
    21_600_000_000,
    43_200_000_000,
    86_400_000_000,
];

/// The plot as an SVG document.
pub fn svg(whatif: &Whatif) -> Result<String, String> {
    let mut out = String::new();
    draw(whatif, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// A duration axis from 0 to a multiple of a round step, at least 30%
/// above `max` (room for the legend), and its ticks; in microseconds.
fn axis(max: Micros) -> (Micros, Vec<Micros>) {
    let top = max.saturating_add(max / 10 * 3).max(1_000);
    let step = STEPS
        .iter()
        .copied()
        .find(|&step| top.div_ceil(step) <= TICKS)
        .unwrap_or_else(|| top.div_ceil(TICKS));
    let steps = top.div_ceil(step);
    (steps * step, (0..=steps).map(|k| k * step).collect())
}

/// A duration axis label.
fn label(micros: &Micros) -> String {
    human(*micros)
}

fn draw(whatif: &Whatif, out: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    let rows = &whatif.rows;
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Err("nothing to plot".into());
    };
    let x_range = first.shards.saturating_sub(1) as i32..(last.shards + 1) as i32;
    let target = whatif.target.as_ref().map(|t| t.wall);
    let (wall_top, wall_ticks) = axis(rows.iter().map(|r| r.wall).chain(target).max().unwrap_or(0));
    let (machine_top, machine_ticks) = axis(rows.iter().map(|r| r.machine).max().unwrap_or(0));
    let wall_points: Vec<(i32, Micros)> = rows.iter().map(|r| (r.shards as i32, r.wall)).collect();
    let machine_points: Vec<(i32, Micros)> =
        rows.iter().map(|r| (r.shards as i32, r.machine)).collect();

    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Predicted wall time and machine time by shard count",
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(84)
        .right_y_label_area_size(84)
        .build_cartesian_2d(x_range.clone(), (0..wall_top).with_key_points(wall_ticks))?
        .set_secondary_coord(x_range, (0..machine_top).with_key_points(machine_ticks));
    chart
        .configure_mesh()
        .x_desc("shards")
        .y_desc("wall time: slowest shard")
        .y_label_formatter(&label)
        .axis_desc_style(("sans-serif", 16))
        .light_line_style(WHITE)
        .draw()?;
    chart
        .configure_secondary_axes()
        .y_desc("machine time: all shards")
        .y_label_formatter(&label)
        .axis_desc_style(("sans-serif", 16))
        .draw()?;

    let legend = |color: RGBColor| {
        move |(x, y): (i32, i32)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
    };
    chart
        .draw_series(LineSeries::new(
            wall_points.clone(),
            WALL_COLOR.stroke_width(3),
        ))?
        .label("wall time (left axis)")
        .legend(legend(WALL_COLOR));
    chart.draw_series(
        wall_points
            .iter()
            .map(|&point| Circle::new(point, 4, WALL_COLOR.filled())),
    )?;
    chart
        .draw_secondary_series(LineSeries::new(
            machine_points.clone(),
            MACHINE_COLOR.stroke_width(3),
        ))?
        .label("machine time (right axis)")
        .legend(legend(MACHINE_COLOR));
    chart.draw_secondary_series(
        machine_points
            .iter()
            .map(|&point| Circle::new(point, 4, MACHINE_COLOR.filled())),
    )?;

    // The knee and the target are named in the legend, not beside their
    // lines, where they would cross the curves.
    if let Some(index) = whatif.knee.at {
        let x = rows[index].shards as i32;
        chart
            .draw_series(DashedLineSeries::new(
                [(x, 0), (x, wall_top)],
                8,
                6,
                KNEE_COLOR.stroke_width(2),
            ))?
            .label(format!(
                "knee: {} (next step saves < {})",
                shards(rows[index].shards),
                whatif.knee.share.percent()
            ))
            .legend(legend(KNEE_COLOR));
    }
    if let Some(target) = &whatif.target {
        let y = target.wall;
        let (low, high) = (first.shards as i32 - 1, last.shards as i32 + 1);
        let met = match target.verdict {
            Verdict::InTable { row } => format!("met from {}", shards(rows[row].shards)),
            Verdict::Elsewhere { shards: count, .. } => format!("met from {}", shards(count)),
            Verdict::Impossible { .. } | Verdict::NotFound { .. } => "not met".to_string(),
        };
        chart
            .draw_series(DashedLineSeries::new(
                [(low, y), (high, y)],
                8,
                6,
                TARGET_COLOR.stroke_width(2),
            ))?
            .label(format!("target {}: {met}", human(target.wall)))
            .legend(legend(TARGET_COLOR));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
