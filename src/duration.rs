//! Durations as integer microseconds, and the one parser for the many ways
//! reports write a number of seconds.
//!
//! Durations stay integers from the moment they are read: sums of floats
//! depend on summation order, and a plan must not depend on file order.

/// A duration in microseconds.
pub type Micros = u64;

/// One second in microseconds.
pub const SECOND: Micros = 1_000_000;

/// Durations above this are treated as garbage (a week of one test).
const SANITY_LIMIT_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

/// What a report's time value turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedTime {
    /// A usable duration.
    Known(Micros),
    /// Absent or empty: the duration is unknown, not zero.
    Missing,
    /// Present but unusable (negative, garbage, absurdly large); the string
    /// says why, for a warning. The duration is unknown.
    Invalid(String),
}

/// Converts seconds to microseconds, rounding to the nearest microsecond.
/// Returns `None` for negative, non-finite or absurd values.
pub fn seconds_to_micros(seconds: f64) -> Option<Micros> {
    if !(0.0..=SANITY_LIMIT_SECONDS).contains(&seconds) {
        return None;
    }
    Some((seconds * 1e6).round() as Micros)
}

/// Microseconds as fractional seconds, for output. Converting one integer is
/// exact-rounded and so the same on every machine.
pub fn micros_to_seconds(micros: Micros) -> f64 {
    micros as f64 / 1e6
}

/// Formats a duration for people: `850ms`, `12.3s`, `4m05s`, `1h02m`,
/// rounded to the nearest unit shown (half up), so that 8.96s reads 9.0s,
/// not 8.9s.
pub fn human(micros: Micros) -> String {
    let rounded = |unit: Micros| micros.saturating_add(unit / 2) / unit;
    if rounded(1_000) < 1_000 {
        return format!("{}ms", rounded(1_000));
    }
    let tenths = rounded(100_000);
    if tenths < 600 {
        return format!("{}.{}s", tenths / 10, tenths % 10);
    }
    let secs = rounded(SECOND);
    if secs < 3600 {
        return format!("{}m{:02}s", secs / 60, secs % 60);
    }
    let minutes = rounded(60 * SECOND);
    format!("{}h{:02}m", minutes / 60, minutes % 60)
}

/// [`human`], with milliseconds added where `micros` would otherwise read
/// the same as a different `other` (a wall time of 8.04s beside a target
/// of 8.0s), so that two figures never look equal when they are not.
pub fn human_beside(micros: Micros, other: Micros) -> String {
    let text = human(micros);
    if micros == other || text != human(other) || micros >= 60 * SECOND {
        return text;
    }
    if micros < SECOND {
        return format!("{}.{:03}ms", micros / 1000, micros % 1000);
    }
    let ms = micros.saturating_add(500) / 1000;
    format!("{}.{:03}s", ms / 1000, ms % 1000)
}

/// A point in time: microseconds since the Unix epoch, UTC.
pub type Instant = i64;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (the inverse of
/// [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Parses an ISO 8601 / RFC 3339 timestamp as reports write it
/// (`2026-12-06T05:39:02`, `2026-12-06T05:39:02.123456+01:00`,
/// `2026-12-06 05:39:02Z`): seconds may carry a fraction (kept to the
/// microsecond), and an offset (`Z`, `+HH:MM`, `+HHMM`) is honoured. A
/// timestamp without an offset is read as UTC. `None` when it is not one.
pub fn parse_timestamp(raw: &str) -> Option<Instant> {
    let raw = raw.trim().as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = raw.get(range)?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    if raw.len() < 19
        || raw[4] != b'-'
        || raw[7] != b'-'
        || !matches!(raw[10], b'T' | b't' | b' ')
        || raw[13] != b':'
        || raw[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut at = 19;
    let mut micros = 0;
    if raw.get(at) == Some(&b'.') || raw.get(at) == Some(&b',') {
        at += 1;
        let start = at;
        while raw.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 6 {
                micros = micros * 10 + i64::from(raw[at] - b'0');
            }
            at += 1;
        }
        if at == start {
            return None;
        }
        for _ in (at - start)..6 {
            micros *= 10;
        }
    }
    let offset = match raw.get(at) {
        None => 0,
        Some(b'Z' | b'z') if at + 1 == raw.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let rest = &raw[at + 1..];
            let (hours, minutes) = match rest.len() {
                5 if rest[2] == b':' => (number(at + 1..at + 3)?, number(at + 4..at + 6)?),
                4 => (number(at + 1..at + 3)?, number(at + 3..at + 5)?),
                2 => (number(at + 1..at + 3)?, 0),
                _ => return None,
            };
            let offset = (hours * 60 + minutes) * 60;
            if sign == b'+' { offset } else { -offset }
        }
        Some(_) => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(seconds * 1_000_000 + micros)
}

/// Formats an instant as RFC 3339 in UTC with microseconds
/// (`2026-12-06T05:39:02.123456Z`); [`parse_timestamp`] reads it back.
pub fn format_timestamp(at: Instant) -> String {
    let seconds = at.div_euclid(1_000_000);
    let micros = at.rem_euclid(1_000_000);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        of_day / 3600,
        (of_day % 3600) / 60,
        of_day % 60
    )
}

/// Parses a time value in seconds as the JUnit family writes it: plain or
/// exponent decimals, comma decimals (`0,025`), Surefire's thousands
/// separators (`1,234.5`), and `h:mm:ss[.fffffff]` (TRX and some tools).
///
/// See `formats.md` §1.3 for where each form comes from.
pub fn parse_seconds(raw: &str) -> ParsedTime {
    // The usual form is digits and a point, which `trim` leaves as they
    // are: read first, it needs no trimming.
    if let Some(micros) = plain_micros(raw) {
        return ParsedTime::Known(micros);
    }
    let text = raw.trim();
    if text.is_empty() {
        return ParsedTime::Missing;
    }
    if let Some(micros) = plain_micros(text) {
        return ParsedTime::Known(micros);
    }
    let Some(seconds) = interpret_seconds(text) else {
        return ParsedTime::Invalid(format!("unreadable time {text:?}"));
    };
    match seconds_to_micros(seconds) {
        Some(micros) => ParsedTime::Known(micros),
        None if seconds < 0.0 => ParsedTime::Invalid(format!("negative time {text:?}")),
        None => ParsedTime::Invalid(format!("implausible time {text:?}")),
    }
}

/// The usual form of a time, `digits[.digits]` with at most six decimals
/// and within the sanity limit, read as exact microseconds without
/// floating point: what parsing it as `f64` and rounding gives too, since
/// below the limit that path errs by far less than half a microsecond.
/// Anything else is left to it.
fn plain_micros(text: &str) -> Option<Micros> {
    let bytes = text.as_bytes();
    // At most 12 + 1 + 6 bytes; a longer text is not this form.
    if bytes.len() > 19 {
        return None;
    }
    // Digits and at most one point, read in one pass as they are checked.
    let mut value = 0u64;
    let mut dot = None;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'0'..=b'9' => value = value * 10 + u64::from(b - b'0'),
            b'.' if dot.is_none() => dot = Some(i),
            _ => return None,
        }
    }
    let (int, frac) = match dot {
        Some(dot) => (dot, bytes.len() - dot - 1),
        None => (bytes.len(), 0),
    };
    if int > 12 || frac > 6 || int + frac == 0 {
        return None;
    }
    // At most 12 + 6 digits: below 10^18, within 64 bits.
    const SCALE: [u64; 7] = [1_000_000, 100_000, 10_000, 1_000, 100, 10, 1];
    let micros = value * SCALE[frac];
    (micros <= SANITY_LIMIT_SECONDS as Micros * SECOND).then_some(micros)
}

fn interpret_seconds(text: &str) -> Option<f64> {
    if is_plain_number(text) {
        return text.parse().ok();
    }
    if text.contains(':') {
        return parse_clock(text);
    }
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let sign = if unsigned.len() < text.len() {
        -1.0
    } else {
        1.0
    };
    if is_thousands_grouped(unsigned) {
        return unsigned
            .replace(',', "")
            .parse::<f64>()
            .ok()
            .map(|v| v * sign);
    }
    let (int, frac) = unsigned.split_once(',')?;
    if !int.is_empty() && all_digits(int) && all_digits(frac) && !frac.is_empty() {
        return format!("{int}.{frac}")
            .parse::<f64>()
            .ok()
            .map(|v| v * sign);
    }
    None
}

/// `[+-]digits[.digits][e[+-]digits]`, the form Rust's parser takes, minus
/// `inf`/`nan` words which are never durations.
fn is_plain_number(text: &str) -> bool {
    // The usual form, `digits[.digits]`, in one pass.
    let mut dots = 0;
    if text.bytes().all(|b| {
        dots += usize::from(b == b'.');
        b == b'.' || b.is_ascii_digit()
    }) {
        return dots <= 1 && text.len() > dots;
    }
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mantissa_ok = (!int.is_empty() || !frac.is_empty()) && all_digits(int) && all_digits(frac);
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        !digits.is_empty() && all_digits(digits)
    });
    mantissa_ok && exponent_ok
}

/// `1,234.5` / `12,345,678`: Surefire up to 3.1.0 grouped thousands. A
/// leading `0,` group is a decimal comma, never grouping; `1,234` without a
/// decimal point reads as grouping too, because Surefire wrote it that way.
fn is_thousands_grouped(text: &str) -> bool {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if !all_digits(frac) || (text.contains('.') && frac.is_empty()) {
        return false;
    }
    let mut groups = int.split(',');
    let first = groups.next().unwrap_or("");
    let rest: Vec<&str> = groups.collect();
    !rest.is_empty()
        && (1..=3).contains(&first.len())
        && all_digits(first)
        && !first.starts_with('0')
        && rest.iter().all(|g| g.len() == 3 && all_digits(g))
        && (text.contains('.') || rest.len() > 1 || frac.is_empty())
}

/// `[d.]hh:mm:ss[.fffffff]` as .NET writes a TimeSpan, or `m:ss`.
fn parse_clock(text: &str) -> Option<f64> {
    let (days, clock) = match text.split_once('.') {
        Some((d, rest)) if rest.contains(':') && all_digits(d) && !d.is_empty() => {
            (d.parse::<f64>().ok()?, rest)
        }
        _ => (0.0, text),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let (seconds_part, whole) = parts.split_last()?;
    let mut total = 0.0;
    for part in whole {
        if part.is_empty() || !all_digits(part) {
            return None;
        }
        total = total * 60.0 + part.parse::<f64>().ok()?;
    }
    if !is_plain_number(seconds_part) || seconds_part.starts_with(['+', '-']) {
        return None;
    }
    Some(days * 86_400.0 + total * 60.0 + seconds_part.parse::<f64>().ok()?)
}

fn all_digits(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit())
}

/// Parses a duration given on the command line: `90s`, `1m30s`, `250ms`,
/// `1.5s`, `2h`, `500us`; a bare number is seconds. Exact decimal
/// arithmetic, rounded to the nearest microsecond, so `0.1s` is 100000µs on
/// every machine. Every duration flag goes through this one parser.
pub fn parse_duration(text: &str) -> Result<Micros, String> {
    let invalid =
        || format!("{text:?} is not a duration: write e.g. 90s, 1m30s, 250ms or 1.5 (seconds)");
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(invalid());
    }
    let mut rest = trimmed;
    let mut total: u128 = 0;
    let mut bare = true;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(number_len);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale: u128 = match unit {
            "" if bare && tail.is_empty() => 1_000_000,
            "h" => 3_600_000_000,
            "m" => 60_000_000,
            "s" => 1_000_000,
            "ms" => 1_000,
            "us" | "µs" => 1,
            _ => return Err(invalid()),
        };
        bare = false;
        let (int, frac) = number.split_once('.').unwrap_or((number, ""));
        if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
            return Err(invalid());
        }
        // Digits beyond 18 cannot change a rounded microsecond count here.
        let frac = &frac[..frac.len().min(18)];
        let int: u128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| invalid())?
        };
        let frac_value: u128 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| invalid())?
        };
        let denominator = 10u128.pow(frac.len() as u32);
        total = total
            .checked_add(int.checked_mul(scale).ok_or_else(invalid)?)
            .and_then(|t| t.checked_add((frac_value * scale + denominator / 2) / denominator))
            .ok_or_else(invalid)?;
        rest = tail;
    }
    if total > (SANITY_LIMIT_SECONDS as u128) * 1_000_000 {
        return Err(format!(
            "{text:?} is longer than a week; is the unit right?"
        ));
    }
    Ok(total as Micros)
}

/// `part` of `whole` as a percentage with one decimal, in integers.
pub fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "0%".to_string();
    }
    // Rounded down, so 100% means every listed test matched.
    let tenths = part as u128 * 1000 / whole as u128;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// The lower median of `values`: the lower middle one for an even count,
/// so of two the less. For samples that noise only ever lengthens (how
/// long a go package waited to start: a busy machine stalls a link, never
/// hurries it). `values` must not be empty.
pub fn lower_median(values: &mut [Micros]) -> Micros {
    values.sort_unstable();
    values[(values.len() - 1) / 2]
}

/// The median of `values` (mean of the two middle ones for an even count),
/// in integers. `values` must not be empty.
pub fn median(values: &mut [Micros]) -> Micros {
    values.sort_unstable();
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        ((u128::from(values[mid - 1]) + u128::from(values[mid])) / 2) as Micros
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn plain_times_read_exactly_as_the_floating_point_path_rounds_them() {
        let through_f64 = |text: &str| super::seconds_to_micros(text.parse().ok()?);
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |below: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % below
        };
        let mut text = String::new();
        for _ in 0..200_000 {
            text.clear();
            for _ in 0..next(8) {
                text.push(char::from(b'0' + next(10) as u8));
            }
            if next(4) > 0 {
                text.push('.');
                for _ in 0..next(9) {
                    text.push(char::from(b'0' + next(10) as u8));
                }
            }
            if let Some(micros) = super::plain_micros(&text) {
                assert_eq!(Some(micros), through_f64(&text), "{text:?}");
            }
        }
        for text in ["604800", "604800.000000", "1.", ".5", "0.000001"] {
            assert_eq!(super::plain_micros(text), through_f64(text), "{text:?}");
        }
        // Beyond the limit, past six decimals, or no digits: the f64 path.
        for text in [
            "604800.000001",
            "0.0000005",
            ".",
            "1e3",
            "-1",
            "1.2.3",
            "1..",
            "0000000000000000000",
            "00000000000000000000.5",
        ] {
            assert_eq!(super::plain_micros(text), None, "{text:?}");
        }
        // Read before trimming, it gives what the trimmed text gives.
        for text in ["0.5", " 0.5", "0.5\n", "\u{a0}7", "1. ", " .", " 1.2.3 "] {
            assert_eq!(
                super::parse_seconds(text),
                super::parse_seconds(text.trim()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn timestamps_parse_with_offsets_and_fractions_and_round_trip() {
        let base = parse_timestamp("2026-12-06T05:39:02Z").unwrap();
        assert_eq!(base, 1_796_535_542 * 1_000_000);
        assert_eq!(parse_timestamp("2026-12-06T05:39:02"), Some(base));
        assert_eq!(parse_timestamp("2026-12-06 05:39:02"), Some(base));
        assert_eq!(
            parse_timestamp("2026-12-06T06:39:02.5+01:00"),
            Some(base + 500_000)
        );
        assert_eq!(
            parse_timestamp("2026-12-06T05:09:02.123456789-0030"),
            Some(base + 123_456)
        );
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("1969-12-31T23:59:59.5Z"), Some(-500_000));
        for bad in [
            "",
            "2026-12-06",
            "2026-13-06T05:39:02",
            "2026-12-06T05:39:02.Z",
            "2026-12-06T05:39:02+1",
            "yesterday",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
        for at in [0, base + 123_456, -500_000, 951_782_400_000_001] {
            assert_eq!(parse_timestamp(&format_timestamp(at)), Some(at));
        }
        assert_eq!(format_timestamp(base + 7), "2026-12-06T05:39:02.000007Z");
    }
    use super::*;

    fn known(raw: &str) -> Micros {
        match parse_seconds(raw) {
            ParsedTime::Known(m) => m,
            other => panic!("{raw:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn plain_and_exponent_decimals() {
        assert_eq!(known("0.004"), 4_000);
        assert_eq!(known("10"), 10 * SECOND);
        assert_eq!(known("164.310654"), 164_310_654);
        assert_eq!(known("1.4e-05"), 14);
        assert_eq!(known("4.50611114501953e-05"), 45);
        assert_eq!(known(".5"), 500_000);
        assert_eq!(known(" 0.25 "), 250_000);
        assert_eq!(known("0.0000001"), 0);
    }

    #[test]
    fn plain_numbers_are_digits_with_one_point_and_an_optional_exponent() {
        for yes in ["1", "1.", ".5", "0.183522", "+1", "-1.5", "1e3", "1.5E-2"] {
            assert!(is_plain_number(yes), "{yes:?}");
        }
        for no in ["", ".", "1.2.3", "..", "1,5", "e3", "1e", "0x1", "inf"] {
            assert!(!is_plain_number(no), "{no:?}");
        }
    }

    #[test]
    fn comma_decimal_and_thousands_grouping() {
        assert_eq!(known("0,025"), 25_000);
        assert_eq!(known("12,5"), 12_500_000);
        assert_eq!(known("2,503.1"), 2_503_100_000);
        assert_eq!(known("1,234.5"), 1_234_500_000);
        assert_eq!(known("123,456"), 123_456 * SECOND);
        assert_eq!(known("12,345.25"), 12_345_250_000);
    }

    #[test]
    fn clock_forms() {
        assert_eq!(known("00:00:00.1084258"), 108_426);
        assert_eq!(known("01:02:03"), 3723 * SECOND);
        assert_eq!(known("1.00:00:01"), 86_401 * SECOND);
        assert_eq!(known("0:08"), 8 * SECOND);
    }

    #[test]
    fn missing_is_not_zero_and_garbage_is_invalid() {
        assert_eq!(parse_seconds(""), ParsedTime::Missing);
        assert_eq!(parse_seconds("   "), ParsedTime::Missing);
        assert!(
            matches!(parse_seconds("-345345"), ParsedTime::Invalid(m) if m.contains("negative"))
        );
        assert!(matches!(parse_seconds("-8906.32"), ParsedTime::Invalid(_)));
        assert!(matches!(
            parse_seconds("<<computed>>"),
            ParsedTime::Invalid(_)
        ));
        assert!(matches!(parse_seconds("NaN"), ParsedTime::Invalid(_)));
        assert!(matches!(parse_seconds("inf"), ParsedTime::Invalid(_)));
        assert!(matches!(parse_seconds("1e300"), ParsedTime::Invalid(_)));
        assert!(matches!(parse_seconds("1.2.3"), ParsedTime::Invalid(_)));
    }

    #[test]
    fn command_line_durations() {
        assert_eq!(parse_duration("90s"), Ok(90 * SECOND));
        assert_eq!(parse_duration("1m30s"), Ok(90 * SECOND));
        assert_eq!(parse_duration("250ms"), Ok(250_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000));
        assert_eq!(parse_duration("1.5"), Ok(1_500_000));
        assert_eq!(parse_duration(" 2 "), Ok(2 * SECOND));
        assert_eq!(parse_duration("1h2m3s"), Ok(3723 * SECOND));
        assert_eq!(parse_duration("500us"), Ok(500));
        assert_eq!(parse_duration("0.1s"), Ok(100_000));
        assert_eq!(parse_duration(".5s"), Ok(500_000));
        assert_eq!(parse_duration("0.0000005s"), Ok(1));
        assert_eq!(parse_duration("0"), Ok(0));
        for bad in [
            "", "s", "-1s", "1x", "1.2.3s", "1s2", "1 s", "ms", "1e3", "9999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn human_formatting() {
        assert_eq!(human(850_000), "850ms");
        assert_eq!(human(12_340_000), "12.3s");
        assert_eq!(human(245 * SECOND), "4m05s");
        assert_eq!(human(3720 * SECOND), "1h02m");
    }

    #[test]
    fn timestamps_are_microseconds_since_the_epoch() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_timestamp("2025-01-01T00:00:01.5Z"),
            Some(1_735_689_601_500_000)
        );
        assert_eq!(
            parse_timestamp("2025-01-01T02:00:01.123456789+02:00"),
            Some(1_735_689_601_123_456)
        );
        assert_eq!(
            parse_timestamp("2024-02-29T00:00:00"),
            Some(1_709_164_800_000_000)
        );
        for bad in [
            "",
            "2025-01-01",
            "2025-13-01T00:00:00Z",
            "2025-01-01T00:00:00.Z",
            "2025-01-01T00:00:00Zjunk",
            "2025-01-01T00:00:00+2",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn human_durations_round_to_the_unit_shown() {
        assert_eq!(human(8_960_000), "9.0s");
        assert_eq!(human(8_040_000), "8.0s");
        assert_eq!(human(999_499), "999ms");
        assert_eq!(human(999_500), "1.0s");
        assert_eq!(human(59_950_000), "1m00s");
        assert_eq!(human(3_599_600_000), "1h00m");
        assert_eq!(human(Micros::MAX), human(Micros::MAX));
    }

    #[test]
    fn figures_beside_each_other_differ_when_they_differ() {
        assert_eq!(human_beside(8_040_000, 8 * SECOND), "8.040s");
        assert_eq!(human_beside(8_400_000, 8 * SECOND), "8.4s");
        assert_eq!(human_beside(8 * SECOND, 8 * SECOND), "8.0s");
        assert_eq!(human_beside(999_600, SECOND), "999.600ms");
    }
}

/// How many tests a runner keeps running at once on average, in thousandths
/// (per mille): 1000 runs them one after another, 1850 about two at a time.
/// A shard's wall time is its tests' summed time divided by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Concurrency(pub u64);

impl Concurrency {
    /// One test at a time: durations are wall time as they are.
    pub const ONE: Concurrency = Concurrency(1000);

    /// `micros` of test time as wall time: `micros × 1000 / k`, rounded to
    /// the nearest microsecond (halves up); unchanged at 1000.
    pub fn wall(self, micros: Micros) -> Micros {
        if self.0 == 1000 || self.0 == 0 {
            return micros;
        }
        let k = u128::from(self.0);
        let scaled = (u128::from(micros) * 1000 + k / 2) / k;
        Micros::try_from(scaled).unwrap_or(Micros::MAX)
    }

    /// `wall` of wall time as the test time it holds, one test at a time:
    /// the inverse of [`Concurrency::wall`], rounded likewise.
    pub fn serial(self, wall: Micros) -> Micros {
        if self.0 == 1000 || self.0 == 0 {
            return wall;
        }
        let scaled = (u128::from(wall) * u128::from(self.0) + 500) / 1000;
        Micros::try_from(scaled).unwrap_or(Micros::MAX)
    }

    /// `×1.85`.
    pub fn describe(self) -> String {
        let text = format!("{:.3}", self.0 as f64 / 1000.0);
        let text = text.trim_end_matches('0').trim_end_matches('.');
        format!("×{text}")
    }

    /// Parses a flag's value: a positive decimal such as `2` or `1.5`, at
    /// most three decimals.
    pub fn parse(raw: &str) -> std::result::Result<Concurrency, String> {
        let bad = || format!("{raw:?} is not a concurrency such as 2 or 1.5 (at least 1)");
        let (whole, fraction) = raw.trim().split_once('.').unwrap_or((raw.trim(), ""));
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
            || fraction.len() > 3
        {
            return Err(bad());
        }
        let whole: u64 = whole.parse().map_err(|_| bad())?;
        let fraction: u64 = format!("{fraction:0<3}").parse().map_err(|_| bad())?;
        let per_mille = whole
            .checked_mul(1000)
            .and_then(|w| w.checked_add(fraction))
            .ok_or_else(bad)?;
        if per_mille < 1000 {
            return Err(bad());
        }
        Ok(Concurrency(per_mille))
    }
}

impl Default for Concurrency {
    fn default() -> Concurrency {
        Concurrency::ONE
    }
}

#[cfg(test)]
mod concurrency_tests {
    use super::Concurrency;

    #[test]
    fn concurrency_scales_rounds_and_parses() {
        assert_eq!(Concurrency::ONE.wall(12_345), 12_345);
        assert_eq!(Concurrency(2000).wall(3), 2);
        assert_eq!(Concurrency(1850).wall(1_850_000), 1_000_000);
        assert_eq!(Concurrency(1850).describe(), "×1.85");
        assert_eq!(Concurrency(2000).describe(), "×2");
        assert_eq!(Concurrency::parse("2"), Ok(Concurrency(2000)));
        assert_eq!(Concurrency::parse("1.5"), Ok(Concurrency(1500)));
        assert_eq!(Concurrency::parse("1"), Ok(Concurrency::ONE));
        assert!(Concurrency::parse("0.5").is_err());
        assert!(Concurrency::parse("1.2345").is_err());
        assert!(Concurrency::parse("x").is_err());
    }
}
