//! Reading timing reports: the first stage of the pipeline.
//!
//! Each input format lives in its own file behind [`ReportFormat`]. A format
//! recognises its files from their first bytes ([`ReportFormat::sniff`]) and
//! streams them into [`TestCase`] records; it never builds a document tree.
//! [`read_file`] picks the format and turns byte offsets into line:column
//! positions for errors and warnings, so formats need not track lines.

pub mod ctrf;
pub mod gojson;
pub mod history;
pub(crate) mod json;
pub(crate) mod json_scan;
pub mod junit;
pub mod knapsack;
pub mod pytest_durations;
pub mod runtime_log;
pub mod trx;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::Path;

pub use crate::case::{Dialect, Outcome, TestCase, is_go_subtest};
use crate::duration::{Instant, Micros};
use crate::error::{Error, Result};

/// A problem at a byte offset of the file being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Byte offset into the file as stored (after any BOM), if known.
    pub offset: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at a byte offset.
    pub fn at(offset: u64, message: impl Into<String>) -> Self {
        Diagnostic {
            offset: Some(offset),
            message: message.into(),
        }
    }

    /// A diagnostic about the file as a whole.
    pub fn whole(message: impl Into<String>) -> Self {
        Diagnostic {
            offset: None,
            message: message.into(),
        }
    }
}

/// A duration a report recorded for a group of cases as a whole (a JUnit
/// suite's `time`, a go package's `Elapsed`). What it exceeds the sum of its
/// cases by is the group's setup cost: imports, fixtures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupTime {
    /// The group's cases, as a range of indexes into [`Report::cases`].
    pub cases: std::ops::Range<usize>,
    /// The group's recorded duration.
    pub duration: Micros,
    /// When the group started, if the report says (a JUnit suite's
    /// `timestamp`): with `duration`, when it ended. Learning a shard's
    /// wall time from its reports needs it ([`Instant`]).
    pub start: Option<Instant>,
    /// How long the group waited, before it started, for work no report
    /// times (a go package's building and linking of its test binary), if
    /// the report shows when the groups before it ended ([`slot_waits`]).
    /// Groups that wait longer cost their shard more than the rest.
    pub wait: Option<Micros>,
}

/// Sets each group's [`GroupTime::wait`]: how long before it started the
/// runner slot it ran in had been free. A runner that runs up to `k`
/// groups at once (go's `-p`) starts a group's unreported work (building,
/// linking) when a slot frees, and the group itself when that work is
/// done; `k` is the most groups the report shows running at once. Each
/// group, in order of its start, takes the slot freed first; the first
/// group of each slot prepared before anything was timed, so its wait is
/// unknown. The result depends only on the groups' starts and durations.
pub fn slot_waits(groups: &mut [GroupTime]) {
    let mut timed: Vec<(Instant, Instant, usize)> = groups
        .iter()
        .enumerate()
        .filter_map(|(index, group)| {
            let start = group.start?;
            let end = start.saturating_add(i64::try_from(group.duration).ok()?);
            Some((start, end, index))
        })
        .collect();
    if timed.len() < 2 {
        return;
    }
    timed.sort_unstable();
    // Slots: the most groups running at once (ends before starts at a tie).
    let mut edges: Vec<(Instant, i32)> = Vec::with_capacity(timed.len() * 2);
    for &(start, end, _) in &timed {
        edges.push((start, 1));
        edges.push((end, -1));
    }
    edges.sort_unstable();
    let (mut running, mut slots) = (0i32, 0i32);
    for (_, step) in edges {
        running += step;
        slots = slots.max(running);
    }
    // Slots in use by when each became free (a heap: a hostile report
    // may show thousands running at once).
    let mut free: BinaryHeap<Reverse<(Instant, usize)>> = BinaryHeap::new();
    for (start, end, index) in timed {
        match free.peek() {
            Some(&Reverse((at, _))) if at <= start || free.len() == slots as usize => {
                let Reverse((at, slot)) = free.pop().expect("peeked");
                groups[index].wait = Micros::try_from(start.saturating_sub(at)).ok();
                free.push(Reverse((end.max(at), slot)));
            }
            _ => free.push(Reverse((end, free.len()))),
        }
    }
}

/// When the run a report covers started and how long it took, as the
/// report itself says (JUnit's root `<testsuites timestamp=… time=…>`, as
/// nextest writes it with no time on its suites, else its stamped suites'
/// first start to last end; a `go test -json` stream's first to last
/// stamp). Not a group: it holds no setup to
/// measure, only where the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunWindow {
    /// When the run started.
    pub start: crate::duration::Instant,
    /// How long it took.
    pub duration: Micros,
}

impl RunWindow {
    /// When the run ended.
    pub fn end(&self) -> Option<crate::duration::Instant> {
        Some(
            self.start
                .saturating_add(i64::try_from(self.duration).ok()?),
        )
    }
}

/// What one report file yielded.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Every test case, in file order; repeated runs of a test stay repeated.
    pub cases: Vec<TestCase>,
    /// Group-level durations, where the format records them.
    pub groups: Vec<GroupTime>,
    /// The run's own window, where the format gives one.
    pub run: Option<RunWindow>,
    /// Recoverable problems (a negative time, an unreadable value).
    pub warnings: Vec<Diagnostic>,
    /// A timing history's header (its runs and the cost observations it
    /// learned), so that planning takes them from this one read rather
    /// than reading the history again; `None` for other formats.
    pub history: Option<history::Header>,
}

/// One input format. Implementations stream: memory use must not grow with
/// the size of captured output in the report.
pub trait ReportFormat {
    /// Short name used by `--format` and in messages (`junit`).
    fn name(&self) -> &'static str;
    /// Whether a file starting with `head` (up to 4 KiB, BOM included) is of
    /// this format.
    fn sniff(&self, head: &[u8]) -> bool;
    /// Reads the whole report. Offsets in diagnostics are byte offsets into
    /// `input` as given.
    fn read(&self, input: &mut dyn BufRead) -> Result<Report, Diagnostic>;
    /// [`ReportFormat::read`] from the start of an input that can be read
    /// again (a file): a format with a fast reader that gives up on what
    /// it is not sure of reads such input twice at worst. The same report
    /// and diagnostics as `read`.
    fn read_seekable(&self, input: &mut dyn SeekBufRead) -> Result<Report, Diagnostic> {
        self.read(input)
    }
}

/// Input that can be read again from its start: a buffered file.
pub trait SeekBufRead: BufRead + Seek {}

impl<T: BufRead + Seek> SeekBufRead for T {}

/// Every format shardplan reads, in detection order. The sniffers are
/// mutually exclusive; the order only decides which runs first.
pub fn formats() -> Vec<Box<dyn ReportFormat>> {
    vec![
        Box::new(junit::Junit),
        Box::new(trx::Trx),
        Box::new(gojson::GoJson),
        Box::new(history::History),
        Box::new(ctrf::Ctrf),
        Box::new(pytest_durations::PytestDurations),
        Box::new(knapsack::Knapsack),
        Box::new(runtime_log::RuntimeLog),
    ]
}

/// The names `--format` accepts.
pub fn format_names() -> Vec<&'static str> {
    formats().iter().map(|f| f.name()).collect()
}

/// At most this many warnings per file are kept one by one; the rest are
/// counted into one summary line. A generator bug tends to repeat one
/// problem on every test, and `read_file` re-reads the file to position
/// each warning.
pub(crate) const MAX_FILE_WARNINGS: usize = 20;

/// A reader's warnings, capped at [`MAX_FILE_WARNINGS`].
#[derive(Debug, Default)]
pub(crate) struct WarningList {
    kept: Vec<Diagnostic>,
    more: usize,
}

impl WarningList {
    /// Records a warning.
    pub(crate) fn push(&mut self, warning: Diagnostic) {
        if self.kept.len() < MAX_FILE_WARNINGS {
            self.kept.push(warning);
        } else {
            self.more += 1;
        }
    }

    /// The warnings kept, plus one counting those that were not.
    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        if self.more > 0 {
            self.kept.push(Diagnostic::whole(format!(
                "{} more warnings like the above (only the first {MAX_FILE_WARNINGS} are shown one by one)",
                self.more
            )));
        }
        self.kept
    }
}

/// The longest line a line-oriented format (`go test -json`, runtime logs)
/// holds in memory; a longer one is skipped unread, with a warning.
pub(crate) const MAX_LINE_BYTES: usize = 1 << 20;

/// One line of a line-oriented report, read within [`MAX_LINE_BYTES`].
#[derive(Debug)]
pub(crate) enum Line<'a> {
    /// The line, with its newline if it had one.
    Text(&'a [u8]),
    /// A line longer than the limit, consumed unread: its length in bytes.
    TooLong(u64),
}

impl Line<'_> {
    /// Bytes of input the line took.
    pub(crate) fn len(&self) -> u64 {
        match self {
            Line::Text(text) => text.len() as u64,
            Line::TooLong(len) => *len,
        }
    }
}

/// Reads lines of at most [`MAX_LINE_BYTES`] each: memory stays bounded
/// however long a line the input holds.
pub(crate) struct BoundedLines<'a> {
    input: &'a mut dyn BufRead,
    line: Vec<u8>,
}

impl<'a> BoundedLines<'a> {
    pub(crate) fn new(input: &'a mut dyn BufRead) -> Self {
        BoundedLines {
            input,
            line: Vec::new(),
        }
    }

    /// The next line, or `None` at the end of input; `offset` (where the
    /// line starts) positions a read error.
    pub(crate) fn next_line(&mut self, offset: u64) -> Result<Option<Line<'_>>, Diagnostic> {
        self.line.clear();
        let mut total = 0u64;
        let mut too_long = false;
        loop {
            let chunk = match self.input.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Diagnostic::at(offset, format!("cannot read report: {e}")));
                }
            };
            if chunk.is_empty() {
                break;
            }
            let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if !too_long && self.line.len() + take <= MAX_LINE_BYTES {
                self.line.extend_from_slice(&chunk[..take]);
            } else {
                too_long = true;
                self.line.clear();
            }
            self.input.consume(take);
            total += take as u64;
            if done {
                break;
            }
        }
        Ok(match total {
            0 => None,
            _ if too_long => Some(Line::TooLong(total)),
            _ => Some(Line::Text(&self.line)),
        })
    }
}

/// The warning for a line over [`MAX_LINE_BYTES`], skipped unread.
pub(crate) fn line_too_long(at: u64, len: u64) -> Diagnostic {
    Diagnostic::at(
        at,
        format!(
            "a line of {len} bytes, longer than the {} MiB a line may have; skipped unread",
            MAX_LINE_BYTES >> 20
        ),
    )
}

/// Formats shardplan recognises but does not read, by their first bytes,
/// so the error can say what the file is (`formats.md` §8).
fn unsupported_format(head: &[u8]) -> Option<&'static str> {
    let mut json = json::Head::new(head);
    if json.eat(b'{').is_some() {
        return match json.key()?.as_str() {
            "stats" => Some("Mocha JSON"),
            "version" | "examples" => Some("RSpec JSON"),
            "protocolVersion" | "suite" | "testID" => Some("Dart/Flutter JSON"),
            "numFailedTestSuites" | "numTotalTests" => Some("Jest JSON"),
            _ => None,
        };
    }
    if head.windows(14).any(|w| w == b"[build failed]") {
        return Some("the output of a `go test` build failure (no test2json events)");
    }
    let text = junit::decode_head(head);
    match junit::first_element_name(&text)? {
        "test-run" | "test-results" => Some("NUnit XML"),
        "assemblies" | "assembly" => Some("xUnit.net XML"),
        "Site" => Some("CTest XML"),
        _ => None,
    }
}

/// A warning tied to a file, already positioned, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileWarning(pub Error);

/// Reads one report file, detecting its format, and positions every
/// diagnostic as `path:line:column`.
pub fn read_file(path: &Path) -> Result<(Report, Vec<FileWarning>)> {
    read_file_as(path, None)
}

/// Reads one report file in the format named `forced` (a name from
/// [`format_names`]), or the detected one when `None`.
pub fn read_file_as(path: &Path, forced: Option<&str>) -> Result<(Report, Vec<FileWarning>)> {
    if path.is_dir() {
        // A subdirectory `--timings` found but could not list.
        let why = match std::fs::read_dir(path) {
            Err(e) => e.to_string(),
            Ok(_) => "it is a directory".to_string(),
        };
        return Err(Error::in_file(
            path,
            format!("cannot list directory: {why}"),
        ));
    }
    let file =
        File::open(path).map_err(|e| Error::in_file(path, format!("cannot open report: {e}")))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let head = reader
        .fill_buf()
        .map_err(|e| Error::in_file(path, format!("cannot read report: {e}")))?
        .iter()
        .take(4096)
        .copied()
        .collect::<Vec<u8>>();
    if head.is_empty() {
        return Err(Error::in_file(
            path,
            "report is empty (0 bytes); was the test run interrupted?",
        ));
    }
    let all = formats();
    let chosen = match forced {
        Some(name) => all.iter().find(|f| f.name() == name),
        None => all.iter().find(|f| f.sniff(&head)),
    };
    let Some(format) = chosen else {
        let names: Vec<&str> = all.iter().map(|f| f.name()).collect();
        if let Some(name) = forced {
            return Err(Error::usage(format!(
                "--format {name:?} is not a format shardplan reads (one of: {})",
                names.join(", ")
            )));
        }
        let what = match unsupported_format(&head) {
            Some(kind) => format!("looks like {kind}, which shardplan does not read"),
            None => "not a timing report shardplan can read".to_string(),
        };
        return Err(Error::in_file(
            path,
            format!("{what} (tried: {}; --format forces one)", names.join(", ")),
        ));
    };
    let result = format.read_seekable(&mut reader);
    match result {
        Ok(report) => {
            let warnings = locate(path, &report.warnings)
                .into_iter()
                .map(FileWarning)
                .collect();
            Ok((report, warnings))
        }
        Err(diagnostic) => {
            let message = format!("{} report: {}", format.name(), diagnostic.message);
            let located = locate(
                path,
                &[Diagnostic {
                    offset: diagnostic.offset,
                    message,
                }],
            );
            Err(located
                .into_iter()
                .next()
                .expect("one diagnostic in, one error out"))
        }
    }
}

/// One diagnostic about the file at `path` as a positioned error.
pub(crate) fn positioned(path: &Path, diagnostic: Diagnostic) -> Error {
    locate(path, &[diagnostic])
        .into_iter()
        .next()
        .expect("one diagnostic in, one error out")
}

/// Turns diagnostics' byte offsets into 1-based line:column errors by
/// re-reading the file once. Only runs when there is something to report, so
/// reading itself stays a single streaming pass.
fn locate(path: &Path, diagnostics: &[Diagnostic]) -> Vec<Error> {
    let mut offsets: Vec<u64> = diagnostics.iter().filter_map(|d| d.offset).collect();
    offsets.sort_unstable();
    offsets.dedup();
    let positions = line_columns(path, &offsets).unwrap_or_default();
    diagnostics
        .iter()
        .map(|d| {
            let error = Error::in_file(path, d.message.clone());
            match d.offset.and_then(|o| positions.get(&o)) {
                Some(&(line, column)) => error.at(line, column),
                None => error,
            }
        })
        .collect()
}

/// Line and column (in characters) of each sorted offset.
fn line_columns(path: &Path, sorted: &[u64]) -> Option<BTreeMap<u64, (u64, u64)>> {
    let mut positions = BTreeMap::new();
    if sorted.is_empty() {
        return Some(positions);
    }
    let last = *sorted.last()?;
    let mut reader = BufReader::new(File::open(path).ok()?.take(last));
    let (mut line, mut column, mut offset) = (1u64, 1u64, 0u64);
    let mut pending = sorted.iter().peekable();
    let mut buffer = [0u8; 8192];
    loop {
        let n = reader.read(&mut buffer).ok()?;
        for &byte in &buffer[..n] {
            while pending.next_if(|&&o| o == offset).is_some() {
                positions.insert(offset, (line, column));
            }
            if byte == b'\n' {
                line += 1;
                column = 1;
            } else if byte & 0xC0 != 0x80 {
                column += 1;
            }
            offset += 1;
        }
        if n == 0 {
            break;
        }
    }
    for &o in pending {
        positions.insert(o, (line, column));
    }
    Some(positions)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A group from `start` to `end`, in seconds.
    fn ran(start: i64, end: i64) -> GroupTime {
        GroupTime {
            cases: 0..0,
            duration: (end - start) as Micros * 1_000_000,
            start: Some(start * 1_000_000),
            wait: None,
        }
    }

    fn waits(mut groups: Vec<GroupTime>) -> Vec<Option<Micros>> {
        slot_waits(&mut groups);
        groups
            .iter()
            .map(|g| g.wait.map(|w| w / 1_000_000))
            .collect()
    }

    #[test]
    fn one_at_a_time_each_group_waited_since_the_last_ended() {
        // Linked 2 s, 5 s and 1 s after the one before ended.
        let groups = vec![ran(0, 1), ran(3, 4), ran(9, 10), ran(11, 12)];
        assert_eq!(waits(groups), [None, Some(2), Some(5), Some(1)]);
    }

    #[test]
    fn two_at_a_time_each_group_takes_the_slot_freed_first() {
        // Two slots (0-4 and 1-2 overlap). The first group of each slot
        // prepared before anything was timed. 5 takes the slot freed at 2,
        // 6 the one freed at 4, 10 the one freed at 6 (5's end).
        let groups = vec![ran(0, 4), ran(1, 2), ran(5, 6), ran(6, 9), ran(10, 11)];
        assert_eq!(waits(groups), [None, None, Some(3), Some(2), Some(4)]);
    }

    #[test]
    fn input_order_does_not_matter_and_untimed_groups_get_none() {
        let mut untimed = ran(0, 1);
        untimed.start = None;
        let forward = waits(vec![ran(0, 1), ran(3, 4), untimed.clone()]);
        let backward = waits(vec![untimed, ran(3, 4), ran(0, 1)]);
        assert_eq!(forward, [None, Some(2), None]);
        assert_eq!(backward, [None, Some(2), None]);
        // One timed group shows no wait.
        assert_eq!(waits(vec![ran(5, 6)]), [None]);
    }
}
