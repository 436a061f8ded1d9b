//! A realistic suite for the `whatif` and `explain` tests, written as the
//! Surefire-style JUnit reports a Java build leaves: one file per class,
//! each `<testsuite time>` a little longer than its tests (the class's
//! setup). Durations are skewed like real suites: most tests take tens of
//! milliseconds, a few take seconds, and one integration class holds
//! several heavy tests.

#![allow(dead_code)]

use std::fs;
use std::path::Path;

/// The integration class that no shard count splits at `--by file`.
pub const GIANT: &str = "app.it.CheckoutIT";

/// Tests in [`GIANT`], and how long each takes.
pub const GIANT_TESTS: usize = 8;
pub const GIANT_TEST_SECONDS: u64 = 40;

/// The heaviest single test (in [`GIANT`]'s sibling `app.it.SearchIT`).
pub const HEAVIEST_TEST: &str = "app.it.SearchIT::reindexEverything";
pub const HEAVIEST_TEST_SECONDS: u64 = 75;

/// A deterministic generator (64-bit LCG, high bits).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

/// One class's report.
fn report(class: &str, tests: &[(String, u64)], setup_ms: u64) -> String {
    let sum: u64 = tests.iter().map(|t| t.1).sum();
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"{class}\" tests=\"{}\" time=\"{}\">\n",
        tests.len(),
        seconds(sum + setup_ms)
    );
    for (name, ms) in tests {
        xml += &format!(
            "  <testcase classname=\"{class}\" name=\"{name}\" time=\"{}\"/>\n",
            seconds(*ms)
        );
    }
    xml + "</testsuite>\n"
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Writes the suite's reports into `dir`: 24 unit-test classes of 4 to 30
/// tests, plus two integration classes. Returns the number of tests.
pub fn write(dir: &Path) -> usize {
    let mut rng = Lcg(0x5eed);
    let mut count = 0;
    for k in 0..24 {
        let class = format!("app.mod{}.Unit{k}Test", k % 7);
        let tests: Vec<(String, u64)> = (0..4 + rng.next(27))
            .map(|t| {
                let roll = rng.next(1000);
                let ms = match roll {
                    0..700 => 5 + rng.next(300),
                    700..950 => 300 + rng.next(2_700),
                    _ => 3_000 + rng.next(12_000),
                };
                (format!("test{t}"), ms)
            })
            .collect();
        count += tests.len();
        let setup = 100 + rng.next(2_000);
        fs::write(
            dir.join(format!("TEST-{class}.xml")),
            report(&class, &tests, setup),
        )
        .unwrap();
    }
    let giant: Vec<(String, u64)> = (0..GIANT_TESTS)
        .map(|t| (format!("scenario{t}"), GIANT_TEST_SECONDS * 1000))
        .collect();
    let search = vec![
        (
            "reindexEverything".to_string(),
            HEAVIEST_TEST_SECONDS * 1000,
        ),
        ("searchByName".to_string(), 2_500),
        ("searchByTag".to_string(), 1_800),
    ];
    count += giant.len() + search.len();
    fs::write(
        dir.join(format!("TEST-{GIANT}.xml")),
        report(GIANT, &giant, 4_000),
    )
    .unwrap();
    fs::write(
        dir.join("TEST-app.it.SearchIT.xml"),
        report("app.it.SearchIT", &search, 3_000),
    )
    .unwrap();
    count
}
