//! Fuzzes the `trx` reader through the public reader API: any bytes
//! give a report or a diagnostic, never a panic, a hang or unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shardplan::report::ReportFormat;

fuzz_target!(|data: &[u8]| {
    let format = shardplan::report::trx::Trx;
    // Sniffing looks at the first 4 KiB only.
    let _ = format.sniff(&data[..data.len().min(4096)]);
    if let Ok(report) = format.read(&mut &data[..]) {
        for group in &report.groups {
            assert!(group.cases.start <= group.cases.end && group.cases.end <= report.cases.len());
        }
    }
});
