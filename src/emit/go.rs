//! `go test`: top-level tests per package, selected with an anchored `-run`
//! alternation, one command per package (`formats.md` §11.1).

use std::collections::BTreeMap;

use super::shell::quote;
use super::*;

/// `go test -run '^(TestA|TestB)$' <package>` commands, one per line.
pub struct Go;

/// Longest `-run` value put in one command. Linux refuses any single argument
/// of 128 KiB or more (`formats.md` §12); stay well below it.
const MAX_RUN_PATTERN: usize = 100_000;

/// Whether `name` is a test `go test -run` can select by itself: a `Test`,
/// `Example` or `Fuzz` function, whose prefix, as in `go/build`'s `isTest`,
/// is not followed by a lowercase letter. Benchmarks only run under
/// `-bench`, `TestMain` is the harness, and subtests (`TestA/x`) are inside
/// their parent's time.
fn is_test_name(name: &str) -> bool {
    if name == "TestMain" || !name.chars().all(|c| c == '_' || c.is_alphanumeric()) {
        return false;
    }
    ["Test", "Example", "Fuzz"].iter().any(|prefix| {
        name.strip_prefix(prefix)
            .is_some_and(|rest| !rest.starts_with(|c: char| c.is_lowercase()))
    })
}

/// Benchmarks appear in `go test -list` output but are not tests.
fn is_benchmark_name(name: &str) -> bool {
    name.strip_prefix("Benchmark")
        .is_some_and(|rest| !rest.starts_with(|c: char| c.is_lowercase()))
        && name.chars().all(|c| c == '_' || c.is_alphanumeric())
}

fn test_id(package: &str, name: &str) -> TestId {
    TestId {
        native: format!("{package}.{name}"),
        class: package.to_string(),
        file: package.to_string(),
    }
}

/// `regexp.QuoteMeta`: escapes every character RE2 treats specially.
pub fn quote_meta(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The anchored `-run` pattern selecting exactly `names` at the top level.
fn run_pattern(names: &[&str]) -> String {
    let alternatives: Vec<String> = names.iter().map(|n| quote_meta(n)).collect();
    match alternatives.as_slice() {
        [one] => format!("^{one}$"),
        _ => format!("^({})$", alternatives.join("|")),
    }
}

/// Splits `names` into runs whose `-run` pattern stays under the limit; a
/// huge shard becomes several commands rather than one that cannot start.
fn chunks<'a>(names: &[&'a str]) -> Vec<Vec<&'a str>> {
    let mut out: Vec<Vec<&'a str>> = Vec::new();
    let mut length = 0;
    for &name in names {
        let cost = quote_meta(name).len() + 1;
        match out.last_mut() {
            Some(chunk) if length + cost <= MAX_RUN_PATTERN => {
                chunk.push(name);
                length += cost;
            }
            _ => {
                out.push(vec![name]);
                length = cost + 4;
            }
        }
    }
    out
}

/// One package's line in `go test -list` output: `ok  \t<pkg>\t0.01s`,
/// `ok  \t<pkg>\t(cached)`, `FAIL\t<pkg>\t0.01s`. The package is what the
/// test names before it belong to.
fn package_result(line: &str) -> Option<&str> {
    let mut words = line.split_whitespace();
    let status = words.next()?;
    let package = words.next()?;
    (matches!(status, "ok" | "FAIL") && words.next().is_some()).then_some(package)
}

impl Runner for Go {
    fn name(&self) -> &'static str {
        "go"
    }

    fn accepts(&self, dialect: Dialect) -> bool {
        dialect == Dialect::Go
    }

    fn identify(&self, case: &TestCase) -> Option<TestId> {
        if !is_test_name(&case.name) {
            return None;
        }
        let package = [&case.classname, &case.suite]
            .into_iter()
            .flatten()
            .map(|p| p.trim())
            .find(|p| !p.is_empty())?;
        Some(test_id(package, &case.name))
    }

    /// Reads either our own `<import path>.<TestName>` lines or the output
    /// of `go test -list '.*' ./...`, where each package's test names come
    /// before its `ok` (or `FAIL`) line. Lines with spaces (`?   \t<pkg>\t[no
    /// test files]`) and bare words (a `TestMain`'s output, `FAIL`) are
    /// skipped, as are benchmarks; a word with `/` or `.` that is not a
    /// top-level test (`pkg.TestA/sub`) is an error.
    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError> {
        let mut ids = Vec::new();
        let mut pending: Vec<(usize, &str)> = Vec::new();
        for (line_no, line) in listing_lines(text) {
            if let Some(package) = package_result(line) {
                ids.extend(pending.drain(..).map(|(_, name)| test_id(package, name)));
            } else if line.contains(char::is_whitespace) || is_benchmark_name(line) {
                continue;
            } else if is_test_name(line) {
                pending.push((line_no, line));
            } else if let Some((package, name)) = line.rsplit_once('.')
                && !package.is_empty()
                && (is_test_name(name) || is_benchmark_name(name))
            {
                if is_test_name(name) {
                    ids.push(test_id(package, name));
                }
            } else if line.contains(['/', '.']) {
                return Err(ListError {
                    line: line_no,
                    message: format!(
                        "`{line}` is not a top-level go test: expected `<import path>.TestName` \
                         (subtests cannot be listed) or the output of `go test -list '.*' ./...`"
                    ),
                });
            }
        }
        if let Some(&(line, name)) = pending.first() {
            return Err(ListError {
                line,
                message: format!(
                    "`{name}` has no package: bare test names must be followed by their \
                     package's `ok  <import path>` line, as `go test -list '.*' ./...` prints"
                ),
            });
        }
        Ok(ids)
    }

    /// At test granularity, one `go test -run` per package (test names are
    /// only unique per package, and `-run` applies to every package given);
    /// at class and file granularity the items are packages, run whole.
    fn render(&self, by: Granularity, items: &[String]) -> Vec<String> {
        if by != Granularity::Test {
            let mut packages: Vec<&str> = items.iter().map(String::as_str).collect();
            packages.sort_unstable();
            let words: Vec<_> = packages.iter().map(|p| quote(p)).collect();
            return vec![format!("go test {}", words.join(" "))];
        }
        let mut by_package: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for item in items {
            // Test names have no dots; import paths may.
            let (package, name) = item.rsplit_once('.').unwrap_or(("", item));
            by_package.entry(package).or_default().push(name);
        }
        let mut lines = Vec::new();
        for (package, mut names) in by_package {
            names.sort_unstable();
            for chunk in chunks(&names) {
                let pattern = run_pattern(&chunk);
                let target = if package.is_empty() {
                    String::new()
                } else {
                    format!(" {}", quote(package))
                };
                lines.push(format!("go test -run {}{target}", quote(&pattern)));
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Outcome;

    fn case(name: &str, classname: &str) -> TestCase {
        TestCase {
            name: name.to_string(),
            classname: Some(classname.to_string()),
            suite: Some(classname.to_string()),
            file: None,
            duration: None,
            outcome: Outcome::Passed,
            dialect: Dialect::Go,
        }
    }

    fn id(native: &str, package: &str) -> TestId {
        TestId {
            native: native.into(),
            class: package.into(),
            file: package.into(),
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn accepts_go_only() {
        assert!(Go.accepts(Dialect::Go));
        assert!(!Go.accepts(Dialect::Generic));
        assert!(!Go.accepts(Dialect::Pytest));
    }

    #[test]
    fn identifies_top_level_tests() {
        // gotestsum `junitxml-report.golden`.
        let package = "gotest.tools/gotestsum/testjson/internal/good";
        assert_eq!(
            Go.identify(&case("TestPassed", package)),
            Some(id(
                "gotest.tools/gotestsum/testjson/internal/good.TestPassed",
                package
            ))
        );
        // go-junit-report testdata.
        assert_eq!(
            Go.identify(&case("TestOne", "package/bench")),
            Some(id("package/bench.TestOne", "package/bench"))
        );
        assert!(Go.identify(&case("Test_under", "p")).is_some());
        assert!(Go.identify(&case("TestÜber", "p")).is_some());
        assert!(Go.identify(&case("Test", "p")).is_some());
        assert!(Go.identify(&case("ExampleHello", "p")).is_some());
        assert!(Go.identify(&case("FuzzY", "p")).is_some());
    }

    #[test]
    fn subtests_and_pseudo_cases_are_not_selectable() {
        for name in [
            "TestNestedSuccess/a/sub",
            "TestNestedSuccess/a",
            "TestNestedSubtests/a#1",
            "BenchmarkDecode/Digits/Huffman/1e4",
            "BenchmarkOne",
            "TestMain",
            "Failure",
            "Testing",
            "",
        ] {
            assert_eq!(Go.identify(&case(name, "package/subtests")), None, "{name}");
        }
    }

    #[test]
    fn package_falls_back_to_the_suite() {
        let mut c = case("TestA", "");
        c.suite = Some("example.com/m/a".to_string());
        assert_eq!(
            Go.identify(&c),
            Some(id("example.com/m/a.TestA", "example.com/m/a"))
        );
        c.suite = None;
        assert_eq!(Go.identify(&c), None);
    }

    /// `go test -list '.*' ./...` from go 1.19.
    const LISTED: &str = "TestAlpha\nTestBeta\nTest_under\nBenchmarkX\nFuzzY\nExampleHello\n\
                          ok  \texample.com/sp/a\t0.002s\nTestÜber\nok  \texample.com/sp/b\t(cached)\n\
                          ?   \texample.com/sp/c\t[no test files]\n";

    #[test]
    fn listing_reads_go_test_list_output() {
        assert_eq!(
            Go.parse_listing(LISTED),
            Ok(vec![
                id("example.com/sp/a.TestAlpha", "example.com/sp/a"),
                id("example.com/sp/a.TestBeta", "example.com/sp/a"),
                id("example.com/sp/a.Test_under", "example.com/sp/a"),
                id("example.com/sp/a.FuzzY", "example.com/sp/a"),
                id("example.com/sp/a.ExampleHello", "example.com/sp/a"),
                id("example.com/sp/b.TestÜber", "example.com/sp/b"),
            ])
        );
    }

    #[test]
    fn listing_reads_native_lines() {
        let text = "github.com/x/y.v2/pkg.TestA\n\nexample.com/m.ExampleB\n";
        assert_eq!(
            Go.parse_listing(text),
            Ok(vec![
                id("github.com/x/y.v2/pkg.TestA", "github.com/x/y.v2/pkg"),
                id("example.com/m.ExampleB", "example.com/m")
            ])
        );
    }

    #[test]
    fn listing_rejects_subtests_and_orphans() {
        let err = Go.parse_listing("example.com/m.TestA\nexample.com/m.TestA/sub\n");
        assert_eq!(err.unwrap_err().line, 2);
        assert_eq!(Go.parse_listing("TestA/sub\n").unwrap_err().line, 1);
        assert_eq!(
            Go.parse_listing("example.com/m.helper\n").unwrap_err().line,
            1
        );
        assert_eq!(
            Go.parse_listing("ok  \tp\t0.1s\nTestA\nTestB\n")
                .unwrap_err()
                .line,
            2
        );
    }

    #[test]
    fn listing_skips_benchmarks_and_test_main_output() {
        // go 1.19, a package whose TestMain prints and exits 1.
        let text = "setup\nTestD\nBenchmarkD\nteardown\nFAIL\texample.com/sp/d\t0.002s\nFAIL\n";
        assert_eq!(
            Go.parse_listing(text),
            Ok(vec![id("example.com/sp/d.TestD", "example.com/sp/d")])
        );
        let text = "example.com/m.BenchmarkX\nsetting up the db\n";
        assert_eq!(Go.parse_listing(text), Ok(vec![]));
    }

    #[test]
    fn quote_meta_matches_go() {
        // Go: regexp.QuoteMeta(`a.b+c*d?e(f)g|h[i]j{k}l^m$n\o`)
        assert_eq!(
            quote_meta(r"a.b+c*d?e(f)g|h[i]j{k}l^m$n\o"),
            r"a\.b\+c\*d\?e\(f\)g\|h\[i\]j\{k\}l\^m\$n\\o"
        );
        assert_eq!(quote_meta("TestÜber_x/y#1"), "TestÜber_x/y#1");
    }

    #[test]
    fn renders_one_command_per_package() {
        let items = strings(&[
            "example.com/sp/b.TestÜber",
            "example.com/sp/a.TestBeta",
            "example.com/sp/a.TestAlpha",
            "github.com/x/y.v2/pkg.TestA",
        ]);
        assert_eq!(
            Go.render(Granularity::Test, &items),
            [
                "go test -run '^(TestAlpha|TestBeta)$' example.com/sp/a",
                "go test -run '^TestÜber$' example.com/sp/b",
                "go test -run '^TestA$' github.com/x/y.v2/pkg",
            ]
        );
    }

    #[test]
    fn render_escapes_names_and_quotes_words() {
        // Not valid go test names, but the escaping must still hold.
        let items = strings(&["example.com/it's.Test[a]|b", "example.com/it's.Test$(x)"]);
        assert_eq!(
            Go.render(Granularity::Test, &items),
            [r"go test -run '^(Test\$\(x\)|Test\[a\]\|b)$' 'example.com/it'\''s'"]
        );
    }

    #[test]
    fn renders_packages_whole_at_coarse_granularity() {
        let items = strings(&["example.com/sp/b", "example.com/sp/a", "./odd dir"]);
        assert_eq!(
            Go.render(Granularity::File, &items),
            ["go test './odd dir' example.com/sp/a example.com/sp/b"]
        );
        assert_eq!(
            Go.render(Granularity::Class, &items[..1]),
            ["go test example.com/sp/b"]
        );
    }

    #[test]
    fn huge_packages_split_into_several_commands() {
        let items: Vec<String> = (0..20_000)
            .map(|i| format!("example.com/big.TestNumber{i:05}"))
            .collect();
        let lines = Go.render(Granularity::Test, &items);
        assert!(lines.len() > 1);
        let mut seen = 0;
        for line in &lines {
            let pattern = line.split('\'').nth(1).expect("quoted pattern");
            assert!(pattern.len() < MAX_RUN_PATTERN + 8, "{}", pattern.len());
            assert!(line.ends_with(" example.com/big"));
            seen += pattern.matches("TestNumber").count();
        }
        assert_eq!(seen, items.len());
    }
}
