//! `cargo bench --bench scale`: how one shard's plan scales with the suite,
//! as a CI job runs it. For 10k, 100k and 1M testcases (lognormal
//! durations, 50 tests per file) it writes one JUnit report, then runs the
//! release `shardplan --shards 8 --index 0 --runner plain` (by test and by
//! file) and a std-only floor beside it (a byte scan for `time="…"` plus
//! LPT, in this same binary), each in its own process under GNU time, and
//! prints CPU seconds, peak RSS and MB/s. Issue 13's goals are in this
//! table's terms: 1M by test within 2x the floor's CPU, at most 150 MB, and
//! 100k to 1M costing at most 11.5x; and 100k tests on 64 shards in
//! under 0.3 s. Not a timed test: it prints, it never
//! fails on a figure. Needs GNU time at /usr/bin/time.

use std::collections::BinaryHeap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

/// Tests per file (JUnit suite).
const PER_FILE: usize = 50;

/// Shards planned.
const SHARDS: usize = 8;

/// Set in the child that runs the floor on the report it names.
const FLOOR_ENV: &str = "SHARDPLAN_SCALE_FLOOR";

fn main() {
    if let Ok(path) = env::var(FLOOR_ENV) {
        floor(Path::new(&path));
        return;
    }
    if !Path::new("/usr/bin/time").exists() {
        println!("scale: skipped: GNU time (/usr/bin/time) is needed to measure CPU and peak RSS");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let built = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "shardplan"])
        .current_dir(root)
        .status()
        .expect("cargo runs");
    assert!(built.success(), "the release build failed");
    let binary = root.join("target/release/shardplan");
    let dir = env::temp_dir().join(format!("shardplan-scale-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("a temporary directory");

    let mut out = String::new();
    out += "one shard's plan (N = 8, --runner plain), CPU = user + system, in its own process\n\n";
    out +=
        "| testcases | report MB | run           | CPU s  | peak RSS MB | MB/s   | x floor CPU |\n";
    out +=
        "|-----------|-----------|---------------|--------|-------------|--------|-------------|\n";
    let mut by_test_cpu = Vec::new();
    for tests in [10_000, 100_000, 1_000_000] {
        let report = dir.join(format!("junit-{tests}.xml"));
        write_report(&report, tests);
        let mb = fs::metadata(&report).expect("written").len() as f64 / 1e6;
        let floor =
            measure(Command::new(env::current_exe().expect("this binary")).env(FLOOR_ENV, &report));
        let mut rows = vec![("floor", floor)];
        for by in ["test", "file"] {
            let run = measure(Command::new(&binary).args([
                "--shards",
                &SHARDS.to_string(),
                "--index",
                "0",
                "--runner",
                "plain",
                "--by",
                by,
                "--quiet",
                "--timings",
                report.to_str().expect("a UTF-8 path"),
            ]));
            if by == "test" {
                by_test_cpu.push((tests, run.cpu));
            }
            rows.push((if by == "test" { "by test" } else { "by file" }, run));
        }
        for (name, m) in rows {
            // GNU time counts in hundredths: below that a ratio means nothing.
            let ratio = if floor.cpu >= 0.01 {
                format!("{:.1}", m.cpu / floor.cpu)
            } else {
                "-".to_string()
            };
            let _ = writeln!(
                out,
                "| {tests:>9} | {mb:>9.1} | {name:<13} | {:>6.2} | {:>11.1} | {:>6.0} | {ratio:>11} |",
                m.cpu,
                m.peak_kb as f64 / 1024.0,
                mb / m.cpu.max(0.01),
            );
        }
    }
    if let [_, (_, hundred_k), (_, million)] = by_test_cpu[..] {
        let _ = writeln!(
            out,
            "\n100k -> 1M by test: x{:.1} CPU (linear is x10)",
            million / hundred_k.max(1e-3)
        );
    }
    // Issue 13's planner goal: 100k tests on 64 shards, one shard's plan.
    let report = dir.join("junit-100000.xml");
    let wide = measure(Command::new(&binary).args([
        "--shards",
        "64",
        "--index",
        "0",
        "--runner",
        "plain",
        "--quiet",
        "--timings",
        report.to_str().expect("a UTF-8 path"),
    ]));
    let _ = writeln!(
        out,
        "100k tests on 64 shards, by test: {:.2} s CPU, {:.1} MB peak RSS",
        wide.cpu,
        wide.peak_kb as f64 / 1024.0
    );
    println!("{out}");
    let _ = fs::remove_dir_all(&dir);
}

/// CPU seconds and peak resident set of one process.
#[derive(Debug, Clone, Copy)]
struct Measured {
    cpu: f64,
    peak_kb: u64,
}

/// Runs `command` under GNU time, its output discarded.
fn measure(command: &mut Command) -> Measured {
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(ToOwned::to_owned).collect();
    let envs: Vec<_> = command
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
        .collect();
    let stats = env::temp_dir().join(format!("shardplan-scale-time-{}", std::process::id()));
    let status = Command::new("/usr/bin/time")
        .arg("-o")
        .arg(&stats)
        .args(["-f", "%U %S %M"])
        .arg(&program)
        .args(&args)
        .envs(envs)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("GNU time runs");
    assert!(status.success(), "{program:?} {args:?} failed");
    let text = fs::read_to_string(&stats).expect("GNU time wrote its figures");
    let fields: Vec<&str> = text.split_whitespace().collect();
    let number = |i: usize| fields[i].parse::<f64>().expect("a number");
    Measured {
        cpu: number(0) + number(1),
        peak_kb: number(2) as u64,
    }
}

/// A deterministic generator (xorshift), so every run measures the same
/// report.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A lognormal duration in microseconds, median `median`.
    fn lognormal(&mut self, median: f64, sigma: f64) -> u64 {
        // Box–Muller from two uniforms in (0, 1].
        let u = |x: u64| ((x >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        let (a, b) = (u(self.next()), u(self.next()));
        let normal = (-2.0 * a.ln()).sqrt() * (2.0 * std::f64::consts::PI * b).cos();
        (median * (sigma * normal).exp()).max(1.0) as u64
    }
}

/// One JUnit report of `tests` testcases, `PER_FILE` per file.
fn write_report(path: &PathBuf, tests: usize) {
    let mut rng = Rng(0x5eed);
    let mut xml = String::with_capacity(tests * 200);
    xml += "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites>\n";
    for file in 0..tests.div_ceil(PER_FILE) {
        let _ = writeln!(xml, "<testsuite name=\"pytest\" tests=\"{PER_FILE}\">");
        for case in 0..PER_FILE.min(tests - file * PER_FILE) {
            let micros = rng.lognormal(50_000.0, 1.5);
            let _ = writeln!(
                xml,
                "<testcase classname=\"tests.pkg{}.test_mod{file}\" name=\"test_case_{case}\" file=\"tests/pkg{}/test_mod{file}.py\" time=\"{}.{:06}\"/>",
                file % 97,
                file % 97,
                micros / 1_000_000,
                micros % 1_000_000
            );
        }
        xml += "</testsuite>\n";
    }
    xml += "</testsuites>\n";
    fs::write(path, xml).expect("the report is written");
}

/// The floor: what any tool must do at least. Reads the file, scans its
/// bytes for `time="…"`, and places the durations with LPT on `SHARDS`
/// shards; prints the makespan so nothing is optimised away.
fn floor(path: &Path) {
    use std::io::BufRead;
    let file = fs::File::open(path).expect("the report opens");
    let needle = b" time=\"";
    let mut durations: Vec<u64> = Vec::new();
    // Streamed line by line: the generated report has a testcase per line.
    for line in std::io::BufReader::with_capacity(1 << 16, file).split(b'\n') {
        let line = line.expect("the report reads");
        let Some(found) = line.windows(needle.len()).position(|w| w == needle) else {
            continue;
        };
        let start = found + needle.len();
        let end = start
            + line[start..]
                .iter()
                .position(|&b| b == b'"')
                .expect("a closing quote");
        let text = std::str::from_utf8(&line[start..end]).expect("ASCII");
        let seconds: f64 = text.parse().expect("a number");
        durations.push((seconds * 1e6) as u64);
    }
    durations.sort_unstable_by(|a, b| b.cmp(a));
    let mut loads: BinaryHeap<std::cmp::Reverse<u64>> =
        (0..SHARDS).map(|_| std::cmp::Reverse(0)).collect();
    for d in durations {
        let std::cmp::Reverse(load) = loads.pop().expect("a shard");
        loads.push(std::cmp::Reverse(load + d));
    }
    let makespan = loads.into_iter().map(|r| r.0).max().unwrap_or(0);
    println!("{makespan}");
}
