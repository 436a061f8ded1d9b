//! PHPUnit: tests are `Vendor\Ns\ClassTest::method` plus the data set
//! (`… with data set #0`, `… with data set "name"`), exactly the subject
//! `--filter` matches (`formats.md` §11.11).

use super::pattern::regex_escape;
use super::*;

/// `phpunit --filter '/^(?:A\\BTest::m1|A\\BTest::m2 with data set \#0)$/'`.
///
/// Always test by test (a class-wide pattern would take along tests the
/// catch-all must keep), with an anchored, escaped PCRE. Past the safe
/// length, or with `--list-file`, the ids go to `--test-id-filter-file`
/// (PHPUnit 13.2 or newer) as `Class::method#dataset`.
pub struct Phpunit;

/// What `--exec` runs the arguments with.
const LAUNCHER: &[&str] = &["vendor/bin/phpunit"];

/// The id `--test-id-filter-file` takes: the data set after `#`.
fn filter_file_id(native: &str) -> String {
    match native.split_once(" with data set ") {
        Some((test, set)) => {
            let set = set.strip_prefix('#').unwrap_or(set);
            let set = set
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or(set);
            format!("{test}#{set}")
        }
        None => native.to_string(),
    }
}

/// `natives` as one escaped alternation.
fn alternation(natives: &[&str]) -> String {
    let alternatives: Vec<String> = natives.iter().map(|n| regex_escape(n, "/#")).collect();
    alternatives.join("|")
}

/// A test as `--filter` sees it, from a listed `method` and data set:
/// `phpunit --list-tests` (PHPUnit 9) drops ` with data set ` from the name
/// (`testAdds"one + two"`, `testIsInteger#0`). A method name is a PHP
/// identifier, so what follows it from a `"` or `#` on is the data set.
fn with_data_set(test: &str) -> String {
    let end = test
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || !c.is_ascii()))
        .unwrap_or(test.len());
    let (method, set) = test.split_at(end);
    if !method.is_empty() && (set.starts_with('"') || set.starts_with('#')) {
        format!("{method} with data set {set}")
    } else {
        test.to_string()
    }
}

/// An anchored PCRE matching exactly `natives`.
fn filter_regex(natives: &[&str]) -> String {
    format!("/^(?:{})$/", alternation(natives))
}

/// An anchored PCRE matching every name except `natives`: a negative
/// lookahead, since `--exclude-filter` only came with PHPUnit 10 (9.6 says
/// `Unknown option "--exclude-filter"`). `--filter` matches it against the
/// same `Class::method with data set …` subject in PHPUnit 9 and 10.
fn exclusion_regex(natives: &[&str]) -> String {
    format!("/^(?!(?:{})$)/", alternation(natives))
}

impl Naming for Phpunit {
    fn name(&self) -> &'static str {
        "phpunit"
    }

    fn accepts(&self, dialect: Dialect) -> bool {
        matches!(dialect, Dialect::Phpunit | Dialect::Generic)
    }

    /// `classname` is the class with dots (`Vendor.Ns.ClassTest`), which
    /// PHP class names cannot contain, so the dots are the backslashes.
    fn identify(&self, case: &TestCase) -> Option<TestId> {
        let class = recorded_class(case)?;
        let class: Text = class.replace('.', "\\").into();
        let name = case.name.trim();
        (!name.is_empty()).then(|| TestId {
            native: format!("{class}::{name}").into(),
            class: class.clone(),
            file: class,
        })
    }

    /// Reads `Class::method[ with data set …]` lines; `phpunit --list-tests`
    /// bullets (` - `) are stripped, and its data sets without ` with data
    /// set ` (`testAdd"one"`, `testAdd#0`) get it back (`with_data_set` below).
    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError> {
        let mut ids = Vec::new();
        for (line_no, line) in listing_lines(text) {
            if line.starts_with("PHPUnit ") || line.ends_with(':') {
                continue;
            }
            let line = line.strip_prefix("- ").unwrap_or(line);
            let Some((class, test)) = line
                .split_once("::")
                .filter(|(c, m)| !c.is_empty() && !m.is_empty())
            else {
                return Err(ListError {
                    line: line_no,
                    message: format!(
                        "`{line}` is not a PHPUnit test id (`Ns\\ClassTest::testMethod`)"
                    ),
                });
            };
            ids.push(TestId {
                native: format!("{class}::{}", with_data_set(test)).into(),
                class: class.into(),
                file: class.into(),
            });
        }
        Ok(ids)
    }
}

impl Runner for Phpunit {
    /// `--filter REGEX` of this shard's tests; the catch-all is `--filter`
    /// with a negative lookahead of every other shard's (`exclusion_regex` below). An empty shard only
    /// lists tests (`--list-tests`, exit 0).
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String> {
        if ctx.is_empty() {
            return Ok(Rendered::args(LAUNCHER, vec!["--list-tests".to_string()])
                .notice(ctx.empty_notice("`--list-tests`, which runs nothing")));
        }
        if ctx.is_catch_all() {
            let others = ctx.natives_of(&ctx.other_items());
            if others.is_empty() {
                return Ok(Rendered::args(LAUNCHER, Vec::new()));
            }
            let arg = format!("--filter={}", exclusion_regex(&others));
            let mut rendered = Rendered::args(LAUNCHER, vec![arg.clone()]);
            if ctx.wants_file(arg.len()) {
                rendered = rendered.notice(ctx.too_long_notice("phpunit (excluding)", arg.len()));
            }
            return Ok(rendered);
        }
        let own = ctx.natives_of(&ctx.items());
        let arg = format!("--filter={}", filter_regex(&own));
        if !ctx.wants_file(arg.len()) {
            return Ok(Rendered::args(LAUNCHER, vec![arg]));
        }
        let path = ctx.list_file.path.clone();
        let contents: String = own.iter().map(|n| filter_file_id(n) + "\n").collect();
        Ok(Rendered::args(
            LAUNCHER,
            vec![format!("--test-id-filter-file={}", path.display())],
        )
        .file(path, contents)
        .notice("--test-id-filter-file needs PHPUnit 13.2 or newer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::render::testing::Fixture;
    use crate::emit::test_support::case;

    fn id(native: &str) -> TestId {
        let class = native.split("::").next().unwrap_or(native);
        TestId {
            native: native.into(),
            class: class.into(),
            file: class.into(),
        }
    }

    #[test]
    fn identifies_class_method_and_data_set() {
        let case = case(
            "testAdd with data set \"one + two\"",
            Some("App.Tests.MathTest"),
            None,
            Some("/src/tests/MathTest.php"),
            Dialect::Phpunit,
        );
        assert_eq!(
            Phpunit.identify(&case),
            Some(id(
                r#"App\Tests\MathTest::testAdd with data set "one + two""#
            ))
        );
        assert_eq!(
            filter_file_id(r#"App\Tests\MathTest::testAdd with data set "one + two""#),
            r"App\Tests\MathTest::testAdd#one + two"
        );
        assert_eq!(filter_file_id(r"A\B::t with data set #3"), r"A\B::t#3");
    }

    #[test]
    fn listing_reads_list_tests_output() {
        let text = "PHPUnit 11.5.0 by Sebastian Bergmann and contributors.\n\nAvailable tests:\n \
                    - App\\Tests\\MathTest::testAdd with data set #0\n - App\\Tests\\MathTest::testSub\n";
        let ids = Phpunit.parse_listing(text).expect("parses");
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[1].native, r"App\Tests\MathTest::testSub");
        assert_eq!(Phpunit.parse_listing("junk\n").unwrap_err().line, 1);
        // PHPUnit 9.6's --list-tests drops ` with data set `.
        let text = "Available test(s):\n - A\\T::testAdds\"with \"q\" #1\"\n - A\\T::testIs#10\n \
                    - A\\T::testSanity\n";
        let natives: Vec<String> = Phpunit
            .parse_listing(text)
            .expect("parses")
            .into_iter()
            .map(|i| i.native.into())
            .collect();
        assert_eq!(
            natives,
            [
                r#"A\T::testAdds with data set "with "q" #1""#,
                r"A\T::testIs with data set #10",
                r"A\T::testSanity"
            ]
        );
    }

    fn fixture() -> Fixture {
        Fixture::new(vec![
            vec![
                id(r"A\MathTest::testAdd with data set #0"),
                id(r"A\MathTest::test/x"),
            ],
            vec![id(r"A\MathTest::testSub"), id(r"B\OtherTest::testC")],
        ])
    }

    #[test]
    fn renders_an_anchored_escaped_filter() {
        let r = fixture().render(&Phpunit, Granularity::Test, 0, None);
        assert_eq!(
            r.arg_lines(),
            [r"--filter=/^(?:A\\MathTest::test\/x|A\\MathTest::testAdd with data set \#0)$/"]
        );
        let r = fixture().render(&Phpunit, Granularity::Test, 1, Some(1));
        assert_eq!(
            r.arg_lines(),
            [r"--filter=/^(?!(?:A\\MathTest::test\/x|A\\MathTest::testAdd with data set \#0)$)/"]
        );
    }

    #[test]
    fn long_selections_use_the_test_id_file() {
        let r = fixture()
            .forced()
            .render(&Phpunit, Granularity::Test, 1, None);
        assert_eq!(r.arg_lines(), ["--test-id-filter-file=/tmp/shard.list"]);
        assert_eq!(r.files[0].1, "A\\MathTest::testSub\nB\\OtherTest::testC\n");
    }
}
