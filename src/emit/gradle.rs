//! Gradle: tests are `Class.method`, selected with repeated `--tests`
//! (`formats.md` §11.9). Gradle has no exclusion on the command line, so it
//! cannot be the catch-all.

use std::collections::BTreeMap;

use super::maven::{check_class_items, jvm_test_id, parse_jvm_listing};
use super::*;

/// `gradle test` arguments: `--tests com.a.FooTest.m1 --tests com.b.BarTest`.
///
/// `--tests` matches method names, not JUnit Platform display names: a
/// report name `testFoo()` selects `testFoo`, a parameterized method is one
/// test, and a case named only by a display name (`[1] 1, 2`) stands for its
/// class (see [`super::maven::Maven`]).
pub struct Gradle;

/// What `--exec` runs the arguments with.
const LAUNCHER: &[&str] = &["gradle", "test"];

impl Naming for Gradle {
    fn name(&self) -> &'static str {
        "gradle"
    }

    fn accepts(&self, dialect: Dialect) -> bool {
        matches!(
            dialect,
            Dialect::Gradle | Dialect::Surefire | Dialect::Generic
        )
    }

    fn identify(&self, case: &TestCase) -> Option<TestId> {
        jvm_test_id(case, '.')
    }

    /// Reads `com.example.FooTest.method` (or bare class) lines.
    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError> {
        parse_jvm_listing(text, '.')
    }
}

impl Runner for Gradle {
    /// `--tests PATTERN` pairs, one word per line: whole classes, then
    /// methods. No exclusion and no list file exist, which notices say; an
    /// empty shard is `-x test` (the test task is skipped).
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String> {
        check_class_items(ctx, "gradle")?;
        if ctx.is_empty() {
            return Ok(
                Rendered::args(LAUNCHER, vec!["-x".to_string(), "test".to_string()])
                    .notice(ctx.empty_notice("`-x test`")),
            );
        }
        let selection = ctx.selection(ctx.index);
        let mut patterns: BTreeMap<&str, ()> = BTreeMap::new();
        for group in &selection.groups {
            patterns.insert(group, ());
        }
        for item in &selection.items {
            patterns.insert(item.key, ());
        }
        let args: Vec<String> = patterns
            .keys()
            .flat_map(|p| ["--tests".to_string(), p.to_string()])
            .collect();
        let bytes: usize = args.iter().map(|a| a.len() + 1).sum();
        let mut rendered = Rendered::args(LAUNCHER, args);
        if ctx.is_catch_all() {
            rendered = rendered.decline_catch_all(
                ctx.cannot_catch_all("--runner gradle", "--tests only includes"),
            );
        }
        if ctx.wants_file(bytes) {
            rendered = rendered.notice(ctx.too_long_notice("gradle", bytes));
        }
        Ok(rendered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::render::testing::Fixture;
    use crate::emit::test_support::{case, id_in};

    #[test]
    fn identifies_methods_without_parentheses() {
        let case = |name: &str| case(name, Some("com.a.FooTest"), None, None, Dialect::Gradle);
        assert_eq!(
            Gradle.identify(&case("testFoo()")),
            Some(id_in("com.a.FooTest.testFoo", "com.a.FooTest"))
        );
        assert_eq!(
            Gradle.identify(&case("my display name")),
            Some(id_in("com.a.FooTest", "com.a.FooTest"))
        );
        let ids = Gradle
            .parse_listing("com.a.FooTest.testFoo\ncom.a.Outer$Inner\ncom.a.BarTest\n")
            .expect("parses");
        assert_eq!(ids[0], id_in("com.a.FooTest.testFoo", "com.a.FooTest"));
        assert_eq!(ids[2], id_in("com.a.BarTest", "com.a.BarTest"));
    }

    #[test]
    fn renders_tests_pairs_and_says_it_cannot_catch_all() {
        let f = Fixture::new(vec![
            vec![
                id_in("com.a.FooTest.testA", "com.a.FooTest"),
                id_in("com.b.BarTest.x", "com.b.BarTest"),
            ],
            vec![id_in("com.a.FooTest.testB", "com.a.FooTest")],
        ]);
        let r = f.render(&Gradle, Granularity::Test, 0, None);
        assert_eq!(
            r.arg_lines(),
            ["--tests", "com.a.FooTest.testA", "--tests", "com.b.BarTest"]
        );
        assert!(r.notices.is_empty());
        let r = f.render(&Gradle, Granularity::Test, 1, Some(1));
        assert_eq!(r.arg_lines(), ["--tests", "com.a.FooTest.testB"]);
        assert!(
            r.warnings[0].contains("runs on NO shard"),
            "{:?}",
            r.notices
        );
        let empty = Fixture::new(vec![f.shards[0].clone(), vec![]]);
        assert_eq!(
            empty
                .render(&Gradle, Granularity::Test, 1, None)
                .arg_lines(),
            ["-x", "test"]
        );
    }
}
