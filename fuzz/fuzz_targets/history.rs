//! Fuzzes the `history` reader through the public reader API: any bytes
//! give a report or a diagnostic, never a panic, a hang or unbounded memory,
//! and the fast reader of files gives what the streaming reader gives,
//! diagnostics included. A report read is then merged into a history
//! twice, as `merge` folds a run: every test once per run, each seen again
//! the second time.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shardplan::report::ReportFormat;

fuzz_target!(|data: &[u8]| {
    let format = shardplan::report::history::History;
    // Sniffing looks at the first 4 KiB only.
    let _ = format.sniff(&data[..data.len().min(4096)]);
    let streamed = format.read(&mut &data[..]);
    // Buffers of 3 to 258 bytes cut values, escapes and numbers at their
    // edges (a BOM is seen by either reader from 3 bytes on).
    let capacity = 3 + usize::from(data.first().copied().unwrap_or(0));
    let mut buffered = std::io::BufReader::with_capacity(capacity, std::io::Cursor::new(data));
    assert_eq!(format.read_seekable(&mut buffered), streamed);
    let history = shardplan::history::History::read(&mut &data[..]);
    let mut buffered = std::io::BufReader::with_capacity(capacity, std::io::Cursor::new(data));
    assert_eq!(shardplan::history::History::read_seekable(&mut buffered), history);
    if let Ok(report) = streamed {
        for group in &report.groups {
            assert!(group.cases.start <= group.cases.end && group.cases.end <= report.cases.len());
        }
        let mut history = shardplan::history::History::new(5, 10);
        let first = history.merge_report(&report.cases, &report.groups);
        assert!(first.seen <= report.cases.len() && first.new == first.seen);
        assert_eq!(history.tests.len(), first.seen);
        let again = history.merge_report(&report.cases, &report.groups);
        assert_eq!((again.seen, again.new), (first.seen, 0));
    }
});
