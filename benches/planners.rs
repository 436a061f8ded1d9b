//! Planner benchmark: quality (makespan / lower bound) and planning time of
//! `lpt`, `best` and, on small instances, `ilp`, over instance families and
//! real reports, for 2 to 64 shards. Run with `cargo bench`; it prints
//! tables, it asserts nothing about time.
//!
//! Instances come from a fixed seed (a small SplitMix64 below: no `rand`
//! dependency, and the same instances on every machine), so two runs print
//! the same ratios; only the times vary. `Instant` measures planning from
//! the outside here; planners never read the clock.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::time::Instant;

use shardplan::duration::{Micros, SECOND};
use shardplan::emit::{Granularity, RunnerKind};
use shardplan::plan::best::Best;
use shardplan::plan::complete;
use shardplan::plan::ilp::{self, Budget, Ilp};
use shardplan::plan::lpt::Lpt;
use shardplan::plan::{self, Costs, Group, Item, Plan, Planner, Problem};
use shardplan::report;
use shardplan::timing::{self, GroupSetups, TimingTable};

#[path = "../tests/whatif_suite/mod.rs"]
mod whatif_suite;

const SHARDS: [usize; 6] = [2, 4, 8, 16, 32, 64];

/// ILP only on models this small: microlp's proofs get slow fast.
const ILP_MAX_VARIABLES: usize = 400;

/// The optimum is searched exhaustively for instances this small without
/// setups (complete greedy search, within `OPTIMUM_NODES`).
const OPTIMUM_MAX_ITEMS: usize = 24;
const OPTIMUM_NODES: u64 = 50_000_000;

/// SplitMix64: tiny, fast, and enough for instance generation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform microseconds in [low, high).
    fn between(&mut self, low: Micros, high: Micros) -> Micros {
        low + (self.unit() * (high - low) as f64) as Micros
    }

    /// Log-normal with median `median` and shape `sigma` (Box–Muller).
    fn lognormal(&mut self, median: f64, sigma: f64) -> Micros {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        let z = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
        (median * (sigma * z).exp()).round().max(1.0) as Micros
    }
}

/// A problem from `(duration, group)` items and per-group setups.
fn problem(durations: &[(Micros, usize)], setups: &[Micros], shards: usize) -> Problem {
    let items = durations
        .iter()
        .enumerate()
        .map(|(i, &(duration, group))| Item::test(format!("t{i:06}"), duration, group))
        .collect();
    let groups = setups
        .iter()
        .enumerate()
        .map(|(g, &setup)| Group {
            key: format!("g{g:06}"),
            setup,
        })
        .collect();
    Problem::new(items, groups, shards)
}

/// Items without setups: each its own group.
fn plain(durations: Vec<Micros>, shards: usize) -> Problem {
    let items: Vec<(Micros, usize)> = durations.iter().enumerate().map(|(i, &d)| (d, i)).collect();
    problem(&items, &vec![0; items.len()], shards)
}

fn uniform(shards: usize, seed: u64) -> Problem {
    let mut rng = Rng(seed);
    plain(
        (0..2000)
            .map(|_| rng.between(SECOND / 10, 10 * SECOND))
            .collect(),
        shards,
    )
}

fn lognormal(shards: usize, seed: u64) -> Problem {
    let mut rng = Rng(seed);
    plain(
        (0..2000)
            .map(|_| rng.lognormal(SECOND as f64, 1.5))
            .collect(),
        shards,
    )
}

/// Many small tests and three giants at 50%, 70% and 90% of a shard.
fn giants(shards: usize, seed: u64) -> Problem {
    let mut rng = Rng(seed);
    let mut durations: Vec<Micros> = (0..2000)
        .map(|_| rng.between(SECOND / 10, 2 * SECOND))
        .collect();
    let mean = durations.iter().sum::<Micros>() / shards as Micros;
    durations.extend([mean / 2, mean * 7 / 10, mean * 9 / 10]);
    plain(durations, shards)
}

/// Five files per shard, uniform 10s to 100s: where greedy is weakest.
fn coarse(shards: usize, seed: u64) -> Problem {
    let mut rng = Rng(seed);
    plain(
        (0..5 * shards)
            .map(|_| rng.between(10 * SECOND, 100 * SECOND))
            .collect(),
        shards,
    )
}

/// Tests in files whose import costs 1-8 s, planned test by test: the
/// planner decides which files to split.
fn grouped(shards: usize, seed: u64) -> Problem {
    let mut rng = Rng(seed);
    let files = 6 * shards;
    let setups: Vec<Micros> = (0..files)
        .map(|_| rng.between(SECOND, 8 * SECOND))
        .collect();
    let mut items = Vec::new();
    for file in 0..files {
        for _ in 0..rng.between(2, 30) {
            items.push((rng.lognormal(SECOND as f64 / 2.0, 1.0), file));
        }
    }
    problem(&items, &setups, shards)
}

/// Like [`grouped`], plus a few files bigger than a shard's share (one per
/// four shards): 6 to 12 tests of 40-55% of the mean load each, 2-6 s of
/// setup. Two of their tests overflow a shard; the planner must cut such a
/// file into one piece per test and pay its setup on every piece.
fn big_files(shards: usize, seed: u64) -> Problem {
    let base = grouped(shards, seed);
    let mut rng = Rng(seed ^ 0xB16);
    let mut setups: Vec<Micros> = base.groups.iter().map(|g| g.setup).collect();
    let mut items: Vec<(Micros, usize)> = base
        .items
        .iter()
        .map(|i| (i.duration, i.group_index()))
        .collect();
    let mean = (items.iter().map(|i| i.0).sum::<Micros>() + setups.iter().sum::<Micros>())
        / shards as Micros;
    for _ in 0..shards.div_ceil(4) {
        setups.push(rng.between(2 * SECOND, 6 * SECOND));
        for _ in 0..rng.between(6, 13) {
            items.push((
                rng.between(mean * 40 / 100, mean * 55 / 100),
                setups.len() - 1,
            ));
        }
    }
    problem(&items, &setups, shards)
}

/// The `whatif` tests' suite (26 Surefire reports: skewed unit classes, a
/// class of eight 40 s tests, a 75 s test) as one report, by test.
fn whatif_suite(dir: &Path, shards: usize) -> Option<Problem> {
    let reports = dir.join("reports");
    fs::create_dir_all(&reports).ok()?;
    whatif_suite::write(&reports);
    let mut files: Vec<_> = fs::read_dir(&reports)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut xml = String::from("<testsuites>\n");
    for file in files {
        let text = fs::read_to_string(file).ok()?;
        xml += text
            .split_once("?>")
            .map_or(text.as_str(), |(_, rest)| rest);
    }
    xml += "</testsuites>\n";
    let path = dir.join("whatif-suite.xml");
    fs::write(&path, xml).ok()?;
    real(&path, RunnerKind::Plain, Granularity::Test, shards)
}

/// A real report through the whole pipeline, as `--runner` and `--by` say.
fn real(path: &Path, runner: RunnerKind, by: Granularity, shards: usize) -> Option<Problem> {
    let (report, _) = report::read_file(path).ok()?;
    let runner = runner.runner();
    let (table, _) = TimingTable::build(&report.cases, runner.as_ref());
    if table.is_empty() {
        return None;
    }
    let suite = timing::suite(table, None, runner.as_ref());
    let costs = Costs {
        setups: GroupSetups::measure(&report.cases, &report.groups, runner.as_ref()),
        ..Costs::default()
    };
    Some(plan::problem(&suite, by, shards, &costs))
}

/// The optimum's ratio to the bound, when a complete search proves it.
fn optimum(problem: &Problem) -> Option<f64> {
    if problem.items.len() > OPTIMUM_MAX_ITEMS || problem.has_setups() {
        return None;
    }
    let mut weights: Vec<Micros> = problem.items.iter().map(|i| i.duration.max(1)).collect();
    weights.sort_unstable_by(|a, b| b.cmp(a));
    let mut spent = 0;
    let (_, best, finished) = complete::k_way(&weights, problem.shards, OPTIMUM_NODES, &mut spent);
    finished.then(|| best as f64 / problem.lower_bound().value as f64)
}

/// One planner's result: makespan / bound and milliseconds.
fn run(problem: &Problem, planner: &dyn Planner) -> (f64, f64, Micros) {
    let start = Instant::now();
    let plan = Plan::build(problem.clone(), planner).expect("the planner accepts the problem");
    let millis = start.elapsed().as_secs_f64() * 1e3;
    (plan.ratio(), millis, plan.makespan())
}

#[derive(Default)]
struct Totals {
    instances: usize,
    best_worse_than_lpt: usize,
    coarse_worst_best: f64,
    coarse_worst_lpt: f64,
}

fn row(out: &mut String, totals: &mut Totals, family: &str, problem: &Problem) {
    let (lpt_ratio, lpt_ms, lpt_makespan) = run(problem, &Lpt);
    let (best_ratio, best_ms, best_makespan) = run(problem, &Best);
    let ilp = if ilp::model_size(problem) <= ILP_MAX_VARIABLES {
        let (ratio, ms, _) = run(
            problem,
            &Ilp {
                budget: Budget::default(),
            },
        );
        format!("{ratio:>8.5} {ms:>8.1}")
    } else {
        format!("{:>8} {:>8}", "-", "-")
    };
    let optimum = optimum(problem).map_or_else(|| format!("{:>8}", "-"), |r| format!("{r:>8.5}"));
    totals.instances += 1;
    if best_makespan > lpt_makespan {
        totals.best_worse_than_lpt += 1;
    }
    if family.starts_with("coarse") {
        totals.coarse_worst_best = totals.coarse_worst_best.max(best_ratio);
        totals.coarse_worst_lpt = totals.coarse_worst_lpt.max(lpt_ratio);
    }
    let _ = writeln!(
        out,
        "| {family:<23} | {:>5} | {:>3} | {lpt_ratio:>8.5} {lpt_ms:>7.1} | {best_ratio:>8.5} {best_ms:>7.1} | {ilp} | {optimum} |",
        problem.items.len(),
        problem.shards,
    );
}

fn main() {
    let mut out = String::new();
    let mut totals = Totals::default();
    out += "makespan / lower bound (1.00000 is optimal) and planning time in ms\n\n";
    out += "| instance                | items |   N |      lpt      ms |     best      ms |      ilp       ms |  optimum |\n";
    out += "|-------------------------|-------|-----|------------------|------------------|-------------------|----------|\n";
    type Family = (&'static str, fn(usize, u64) -> Problem);
    let families: [Family; 6] = [
        ("uniform", uniform),
        ("lognormal s=1.5", lognormal),
        ("3 giants", giants),
        ("coarse 5 files/shard", coarse),
        ("files w/ setup, by test", grouped),
        ("big files, by test", big_files),
    ];
    for (name, family) in families {
        for shards in SHARDS {
            row(
                &mut out,
                &mut totals,
                name,
                &family(shards, 42 + shards as u64),
            );
        }
    }

    // Where the whatif suite's files exceed a shard's share: 11 to 13
    // shards (and the 75 s test's floor from 12 on).
    let dir = std::env::temp_dir().join(format!("shardplan-whatif-{}", std::process::id()));
    for shards in [8, 10, 11, 12, 13, 14, 16] {
        match whatif_suite(&dir, shards) {
            Some(problem) => row(&mut out, &mut totals, "whatif suite", &problem),
            None => {
                let _ = writeln!(out, "| whatif suite            | skipped: unreadable |");
                break;
            }
        }
    }
    let _ = fs::remove_dir_all(&dir);

    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let reals: [(&str, &str, RunnerKind, Granularity); 6] = [
        (
            "junit-plugin/src/test/resources/hudson/tasks/junit/junit-report-huge.xml",
            "surefire huge",
            RunnerKind::Plain,
            Granularity::Test,
        ),
        (
            "test-reporter/__tests__/fixtures/external/java/pulsar-test-report.xml",
            "pulsar by class",
            RunnerKind::Plain,
            Granularity::Class,
        ),
        (
            "test-reporter/__tests__/fixtures/external/jest/jest-test-results.xml",
            "jest files",
            RunnerKind::Jest,
            Granularity::File,
        ),
        (
            "hypha/.test_durations",
            "hypha pytest",
            RunnerKind::Pytest,
            Granularity::Test,
        ),
        (
            "hypha/.test_durations",
            "hypha pytest by file",
            RunnerKind::Pytest,
            Granularity::File,
        ),
        (
            "tparse/tests/testdata/cover/test_02.jsonl",
            "go test -json by pkg",
            RunnerKind::Go,
            Granularity::File,
        ),
    ];
    for (path, name, runner, by) in reals {
        let path = corpus.join(path);
        if !path.is_file() {
            let _ = writeln!(
                out,
                "| {name:<23} | skipped: {} not found |",
                path.display()
            );
            continue;
        }
        for shards in SHARDS {
            match real(&path, runner, by, shards) {
                Some(problem) => row(&mut out, &mut totals, name, &problem),
                None => {
                    let _ = writeln!(
                        out,
                        "| {name:<23} | skipped: unreadable or no tests for this runner |"
                    );
                    break;
                }
            }
        }
    }
    print!("{out}");

    // The example, over many seeds: 40 files into 8 shards.
    let (mut lpt_sum, mut best_sum, mut lpt_max, mut best_max) = (0.0, 0.0, 0.0f64, 0.0f64);
    let seeds = 50;
    for seed in 0..seeds {
        let mut rng = Rng(1000 + seed);
        let p = plain(
            (0..40).map(|_| rng.between(SECOND, 100 * SECOND)).collect(),
            8,
        );
        let (l, _, _) = run(&p, &Lpt);
        let (b, _, _) = run(&p, &Best);
        lpt_sum += l;
        best_sum += b;
        lpt_max = lpt_max.max(l);
        best_max = best_max.max(b);
    }
    println!(
        "\n40 files (uniform 1-100 s) into 8 shards, {seeds} seeds: lpt mean {:.5} max {lpt_max:.5}; best mean {:.5} max {best_max:.5}",
        lpt_sum / seeds as f64,
        best_sum / seeds as f64
    );
    println!(
        "{} instances: best worse than lpt on {}; coarse instances: lpt up to {:.5}, best up to {:.5}",
        totals.instances,
        totals.best_worse_than_lpt,
        totals.coarse_worst_lpt,
        totals.coarse_worst_best
    );

    scale();
}

/// 100k tests in 2,000 files, one JUnit report: read, build the timing
/// table, plan 64 shards with `best`.
fn scale() {
    let dir = std::env::temp_dir().join(format!("shardplan-bench-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("a temporary directory");
    let path = dir.join("big.xml");
    let mut rng = Rng(7);
    let mut xml = String::from("<testsuites>\n");
    for file in 0..2000 {
        let cases: Vec<Micros> = (0..50)
            .map(|_| rng.lognormal(SECOND as f64 / 10.0, 1.2))
            .collect();
        let total: Micros = cases.iter().sum::<Micros>() + rng.between(0, 2 * SECOND);
        let _ = writeln!(
            xml,
            "<testsuite name=\"f{file}\" file=\"tests/f{file}.py\" time=\"{}.{:06}\">",
            total / SECOND,
            total % SECOND
        );
        for (i, d) in cases.iter().enumerate() {
            let _ = writeln!(
                xml,
                "<testcase classname=\"tests.f{file}\" name=\"test_{i}\" file=\"tests/f{file}.py\" time=\"{}.{:06}\"/>",
                d / SECOND,
                d % SECOND
            );
        }
        xml += "</testsuite>\n";
    }
    xml += "</testsuites>\n";
    fs::write(&path, xml).expect("the report is written");

    for (name, planner) in [("lpt", &Lpt as &dyn Planner), ("best", &Best)] {
        let start = Instant::now();
        let (report, _) = report::read_file(&path).expect("the report reads");
        let read = start.elapsed();
        let runner = RunnerKind::Plain.runner();
        let (table, _) = TimingTable::build(&report.cases, runner.as_ref());
        let suite = timing::suite(table, None, runner.as_ref());
        let tabled = start.elapsed();
        let costs = Costs {
            setups: GroupSetups::measure(&report.cases, &report.groups, runner.as_ref()),
            ..Costs::default()
        };
        let problem = plan::problem(&suite, Granularity::Test, 64, &costs);
        let prepared = start.elapsed();
        let plan = Plan::build(problem, planner).expect("planned");
        let total = start.elapsed();
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        println!(
            "100k tests (2,000 files with setups) x 64 shards, {name}: read {:.0} ms, timing table {:.0} ms, setups + items {:.0} ms, plan {:.0} ms, total {:.0} ms; makespan / bound {:.5}",
            ms(read),
            ms(tabled - read),
            ms(prepared - tabled),
            ms(total - prepared),
            ms(total),
            plan.ratio()
        );
    }
    let _ = fs::remove_dir_all(&dir);
}
