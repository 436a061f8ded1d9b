//! Maven Surefire (and Failsafe): tests are `Class#method`, selected with
//! `-Dtest=` or an includes file (`formats.md` §11.8).

use std::collections::BTreeMap;

use super::*;

/// `mvn test` arguments: `-Dtest=com.a.FooTest#m1+m2,com.b.BarTest`.
///
/// A test is `FQCN#method`, JUnit 5 nested classes keeping their `$`
/// (`CalculatorTest$WhenDividing#m`). A parameterized method's invocations
/// (`parsesNumber(String)[1]`, `adds{int, int}[1]`) are one test, whose
/// invocations' times add up, since Surefire selects methods,
/// not invocations. A case named by a display name (`[1] 1, 2`, phrased
/// names) cannot be selected by method and stands for its whole class.
pub struct Maven;

/// What `--exec` runs the arguments with.
const LAUNCHER: &[&str] = &["mvn", "test"];

/// Modules without a matching test must not fail the build.
const NO_FAIL: &str = "-Dsurefire.failIfNoSpecifiedTests=false";

/// The method a JVM report's test name selects: the name up to its
/// parameter list or invocation index, when that is a Java identifier
/// (`testAdd()`, `parsesNumber(String)[1]`, Surefire 2.22's
/// `adds{int, int}[1]`, `naïveSplit`); `None` for display names.
pub fn method_name(name: &str) -> Option<&str> {
    let end = name.find(['(', '[', '{']).unwrap_or(name.len());
    let method = &name[..end];
    let mut chars = method.chars();
    let first = chars.next()?;
    let identifier = (first.is_alphabetic() || first == '_' || first == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$');
    identifier.then_some(method)
}

/// The JVM identity: `class{separator}method`, or the class itself when the
/// name is not a method. Class and file are the class (each class file is
/// its own selector).
pub fn jvm_test_id(case: &TestCase, separator: char) -> Option<TestId> {
    let class = recorded_class(case)?;
    if class.contains(char::is_whitespace) {
        return None;
    }
    let native = match method_name(case.name.trim()) {
        Some(method) => format!("{class}{separator}{method}"),
        None => class.to_string(),
    };
    Some(TestId {
        native: native.into(),
        class: class.into(),
        file: class.into(),
    })
}

/// Reads `Class{separator}method` or `Class` lines, as `--json` prints them.
pub fn parse_jvm_listing(text: &str, separator: char) -> Result<Vec<TestId>, ListError> {
    listing_lines(text)
        .map(|(line_no, line)| {
            let (class, method) = match separator {
                '#' => line
                    .split_once('#')
                    .map_or((line, None), |(c, m)| (c, Some(m))),
                _ => match line.rsplit_once(separator) {
                    // A method starts lowercase by convention; a nested or
                    // packaged class name does not.
                    Some((c, m)) if m.starts_with(|c: char| c.is_lowercase()) => (c, Some(m)),
                    _ => (line, None),
                },
            };
            let valid = !class.is_empty()
                && !line.contains(char::is_whitespace)
                && method.is_none_or(|m| method_name(m) == Some(m));
            if !valid {
                return Err(ListError {
                    line: line_no,
                    message: format!(
                        "`{line}` is not `com.example.FooTest` or \
                         `com.example.FooTest{separator}method`"
                    ),
                });
            }
            Ok(TestId {
                native: line.into(),
                class: class.into(),
                file: class.into(),
            })
        })
        .collect()
}

/// Checks that no class-level item sits in a class split across shards:
/// selecting the class would run its tests on the other shards too.
pub fn check_class_items(ctx: &RenderContext<'_>, runner: &str) -> Result<(), String> {
    // Every shard's selection from one walk over the plan (a walk per
    // shard made 64 shards of 100k tests take a second).
    for selection in ctx.selections() {
        for item in selection.items {
            if item.by == Granularity::Test && item.key == item.test.class {
                let key = item.key;
                return Err(format!(
                    "class {key} has tests named by display name, which --runner {runner} can \
                     only select with their whole class, but its other tests are planned on \
                     several shards; plan with --by class"
                ));
            }
        }
    }
    Ok(())
}

/// Surefire patterns: `FQCN` for whole classes, `FQCN#m1+m2` for the rest.
fn patterns(selection: &Selection<'_>) -> Vec<String> {
    let mut by_class: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for group in &selection.groups {
        by_class.entry(group).or_default();
    }
    for item in &selection.items {
        let entry = by_class.entry(item.test.class.as_str()).or_default();
        if let Some((_, method)) = item.key.split_once('#') {
            entry.push(method);
        }
    }
    by_class
        .into_iter()
        .map(|(class, methods)| {
            if methods.is_empty() {
                class.to_string()
            } else {
                format!("{class}#{}", methods.join("+"))
            }
        })
        .collect()
}

/// The catch-all: every test but the other shards' `patterns`, as
/// `-Dtest=!A#m1+m2,!B`. Under `-Dtest` each class is selected on its own,
/// a `@Nested` `Outer$Inner` too, so excluding `Outer` keeps `Outer$Inner`;
/// an `excludesFile` instead leaves Surefire's default excludes (`**/*$*`),
/// under which a nested class runs only through its outer class, and
/// Surefire 2.22 refuses a method filter in it ("Method filter prohibited
/// in includes|excludes|includesFile|excludesFile parameter"). Only a list
/// too long for a command line goes to `excludesFile`, with a warning.
fn catch_all(ctx: &RenderContext<'_>, others: &[String]) -> Rendered {
    if others.is_empty() {
        return Rendered::args(LAUNCHER, Vec::new());
    }
    let excluded: Vec<String> = others.iter().map(|p| format!("!{p}")).collect();
    let test = format!("-Dtest={}", excluded.join(","));
    if test.len() <= render::SAFE_COMMAND_BYTES {
        return Rendered::args(LAUNCHER, vec![test, NO_FAIL.to_string()]);
    }
    let path = ctx.list_file.path.clone();
    let args = vec![
        format!("-Dsurefire.excludesFile={}", path.display()),
        NO_FAIL.to_string(),
    ];
    Rendered::args(LAUNCHER, args)
        .file(path, others.join("\n") + "\n")
        .warn(format!(
            "the catch-all shard {}'s exclusions are {} bytes, too long for -Dtest=!…, so \
             they go to -Dsurefire.excludesFile, where Surefire 2.22 refuses a method filter \
             and an excluded class hides its @Nested classes (they would run on no shard): \
             plan with --by class (and keep nested classes' outer classes off other shards), \
             or pass the current tests with --tests-from and --no-catch-all",
            ctx.index,
            test.len()
        ))
}

impl Naming for Maven {
    fn name(&self) -> &'static str {
        "maven"
    }

    fn accepts(&self, dialect: Dialect) -> bool {
        matches!(dialect, Dialect::Surefire | Dialect::Generic)
    }

    fn identify(&self, case: &TestCase) -> Option<TestId> {
        jvm_test_id(case, '#')
    }

    /// Reads `com.example.FooTest#method` (or bare class) lines.
    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError> {
        parse_jvm_listing(text, '#')
    }
}

impl Runner for Maven {
    /// `-Dtest=…` with whole classes and `Class#m1+m2`, or, past the safe
    /// length or with `--list-file`, `-Dsurefire.includesFile=FILE` with one
    /// pattern per line. The catch-all excludes the other shards' patterns
    /// with `-Dtest=!…` (`catch_all` below). An empty shard is
    /// `-DskipTests`. `-Dsurefire.failIfNoSpecifiedTests=false` keeps modules
    /// without a selected test from failing.
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String> {
        check_class_items(ctx, "maven")?;
        if ctx.is_empty() {
            return Ok(Rendered::args(LAUNCHER, vec!["-DskipTests".to_string()])
                .notice(ctx.empty_notice("-DskipTests")));
        }
        let path = ctx.list_file.path.clone();
        if ctx.is_catch_all() {
            return Ok(catch_all(ctx, &patterns(&ctx.others())));
        }
        let patterns = patterns(&ctx.selection(ctx.index));
        let test = format!("-Dtest={}", patterns.join(","));
        if !ctx.wants_file(test.len()) {
            return Ok(Rendered::args(LAUNCHER, vec![test, NO_FAIL.to_string()]));
        }
        let args = vec![
            format!("-Dsurefire.includesFile={}", path.display()),
            NO_FAIL.to_string(),
        ];
        Ok(Rendered::args(LAUNCHER, args).file(path, patterns.join("\n") + "\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::render::testing::Fixture;
    use crate::emit::test_support;

    fn case(name: &str, classname: &str) -> TestCase {
        test_support::case(name, Some(classname), None, None, Dialect::Surefire)
    }

    fn native(name: &str, classname: &str) -> String {
        Maven
            .identify(&case(name, classname))
            .expect("identified")
            .native
            .to_string()
    }

    #[test]
    fn identifies_methods_and_classes() {
        let calc = "com.example.shardsuite.CalculatorTest";
        assert_eq!(native("testAdd", calc), format!("{calc}#testAdd"));
        assert_eq!(
            native("parsesNumber(String)[2]", calc),
            format!("{calc}#parsesNumber")
        );
        assert_eq!(
            native("roundsHalfUp(int, int)[1]", calc),
            format!("{calc}#roundsHalfUp")
        );
        // Surefire 2.22 names a parameterized invocation with braces.
        assert_eq!(
            native("adds{int, int, int, int}[1]", calc),
            format!("{calc}#adds")
        );
        assert_eq!(
            native(
                "divides",
                "com.example.shardsuite.CalculatorTest$WhenDividing"
            ),
            "com.example.shardsuite.CalculatorTest$WhenDividing#divides"
        );
        assert_eq!(
            native("reverses日本語", "com.example.shardsuite.UnicodeTextTest"),
            "com.example.shardsuite.UnicodeTextTest#reverses日本語"
        );
        // Display names stand for their class.
        assert_eq!(native("[1] 1, 2", calc), calc);
        let id = Maven.identify(&case("[1] 1, 2", calc)).expect("identified");
        assert_eq!((id.class.as_str(), id.file.as_str()), (calc, calc));
    }

    #[test]
    fn listing_reads_our_ids() {
        let ids = Maven
            .parse_listing("com.a.FooTest#testA\ncom.a.Bar$Inner\n")
            .expect("parses");
        assert_eq!(ids[0].class, "com.a.FooTest");
        assert_eq!(ids[1].native, "com.a.Bar$Inner");
        assert_eq!(Maven.parse_listing("com.a.Foo#a b\n").unwrap_err().line, 1);
    }

    fn fixture() -> Fixture {
        let ids = |items: &[&str]| -> Vec<TestId> {
            items
                .iter()
                .map(|i| {
                    let class = i.split('#').next().unwrap_or(i);
                    TestId {
                        native: (*i).into(),
                        class: class.into(),
                        file: class.into(),
                    }
                })
                .collect()
        };
        Fixture::new(vec![
            ids(&[
                "com.a.FooTest#testA",
                "com.a.FooTest#testB",
                "com.b.BarTest#x",
            ]),
            ids(&["com.a.FooTest#testC", "com.c.Baz$Nested#y"]),
        ])
    }

    #[test]
    fn renders_dtest_with_whole_classes_and_methods() {
        let r = fixture().render(&Maven, Granularity::Test, 0, None);
        assert_eq!(
            r.arg_lines(),
            [
                "-Dtest=com.a.FooTest#testA+testB,com.b.BarTest",
                "-Dsurefire.failIfNoSpecifiedTests=false"
            ]
        );
        assert_eq!(
            r.output.commands(&[]).expect("runs")[0][..2],
            ["mvn", "test"]
        );
    }

    #[test]
    fn long_selections_use_files_and_the_catch_all_negates_in_dtest() {
        let r = fixture()
            .forced()
            .render(&Maven, Granularity::Test, 1, None);
        assert_eq!(
            r.arg_lines(),
            [
                "-Dsurefire.includesFile=/tmp/shard.list",
                "-Dsurefire.failIfNoSpecifiedTests=false"
            ]
        );
        assert_eq!(r.files[0].1, "com.a.FooTest#testC\ncom.c.Baz$Nested\n");
        let r = fixture().render(&Maven, Granularity::Test, 1, Some(1));
        assert_eq!(
            r.arg_lines(),
            [
                "-Dtest=!com.a.FooTest#testA+testB,!com.b.BarTest",
                "-Dsurefire.failIfNoSpecifiedTests=false"
            ]
        );
        assert!(r.files.is_empty());
    }

    #[test]
    fn a_display_name_class_split_across_shards_is_an_error() {
        let id = |native: &str| TestId {
            native: native.into(),
            class: "com.a.P".into(),
            file: "com.a.P".into(),
        };
        let f = Fixture::new(vec![vec![id("com.a.P")], vec![id("com.a.P#m")]]);
        let by_test = f.context(Granularity::Test, 0, None);
        assert!(
            Maven
                .render(&by_test.context())
                .unwrap_err()
                .contains("--by class")
        );
        let by_class = f.context(Granularity::Class, 0, None);
        assert!(Maven.render(&by_class.context()).is_ok());
    }

    #[test]
    fn empty_shard_skips_tests() {
        let f = Fixture::new(vec![fixture().shards[0].clone(), vec![]]);
        assert_eq!(
            f.render(&Maven, Granularity::Test, 1, None).arg_lines(),
            ["-DskipTests"]
        );
    }
}
