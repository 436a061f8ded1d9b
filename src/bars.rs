//! Horizontal bars for the terminal, as `whatif` and `explain` draw them.
//!
//! Lengths are computed in integers from integer durations, so a chart is
//! the same on every machine. Every bar is padded to the full width, so
//! whatever follows it lines up.

/// Partial cells, in eighths: index `k` fills `k/8` of a cell.
const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/// A full cell.
const FULL: char = '█';

/// `numerator * width / max`, rounded to the nearest integer.
fn scaled(numerator: u64, max: u64, width: u64) -> u64 {
    if max == 0 {
        return 0;
    }
    let (numerator, max, width) = (
        u128::from(numerator.min(max)),
        u128::from(max),
        u128::from(width),
    );
    ((numerator * width * 2 + max) / (max * 2)) as u64
}

/// A bar for `value` on a scale where `max` fills `width` cells, drawn to
/// an eighth of a cell.
pub fn bar(value: u64, max: u64, width: usize) -> String {
    let eighths = scaled(value, max, width as u64 * 8) as usize;
    let mut out: String = std::iter::repeat_n(FULL, eighths / 8).collect();
    if !eighths.is_multiple_of(8) {
        out.push(EIGHTHS[eighths % 8]);
    }
    pad(out, width)
}

/// A bar of consecutive segments `(value, glyph)` on the scale of [`bar`],
/// in whole cells. Each segment ends where the running sum would, so
/// stacked bars of different rows compare and the total is rounded once.
pub fn stacked(segments: &[(u64, char)], max: u64, width: usize) -> String {
    let mut out = String::new();
    let mut sum: u64 = 0;
    let mut drawn = 0;
    for &(value, glyph) in segments {
        sum = sum.saturating_add(value);
        let end = scaled(sum, max, width as u64) as usize;
        out.extend(std::iter::repeat_n(glyph, end.saturating_sub(drawn)));
        drawn = drawn.max(end);
    }
    pad(out, width)
}

/// `text` padded with spaces to `width` characters.
fn pad(mut text: String, width: usize) -> String {
    let len = text.chars().count();
    text.extend(std::iter::repeat_n(' ', width.saturating_sub(len)));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_eighths_and_pad() {
        assert_eq!(bar(10, 10, 4), "████");
        assert_eq!(bar(5, 10, 4), "██  ");
        // 3/10 of 4 cells = 1.2 cells = 9.6 eighths, rounded to 10: 1 2/8.
        assert_eq!(bar(3, 10, 4), "█▎  ");
        assert_eq!(bar(0, 10, 4), "    ");
        assert_eq!(bar(7, 0, 3), "   ");
        // Values above the scale are clipped to it.
        assert_eq!(bar(20, 10, 2), "██");
    }

    #[test]
    fn stacked_segments_end_where_their_running_sum_does() {
        assert_eq!(stacked(&[(2, '░'), (6, '█')], 8, 8), "░░██████");
        assert_eq!(stacked(&[(1, '░'), (1, '▒'), (2, '█')], 8, 8), "░▒██    ");
        // Each 1/3 cell rounds to nothing alone, but the running sum of
        // three of them reaches one cell.
        assert_eq!(stacked(&[(1, 'a'), (1, 'b'), (1, 'c')], 9, 3), "b  ");
    }
}
