//! The runner-neutral runner: ids exactly as recorded, one per line, for
//! scripts that do their own selection.

use super::*;
use crate::identity::jvm_class_name;

/// Test ids as `scope::name`, printed one per line.
pub struct Plain;

/// Writes `scope::name`, or `name` alone when there is no scope or the
/// name already starts with it: the report repeats the name as its class
/// (jest-junit's default does), or the name is an id within its file
/// (`spec/a_spec.rb[1:2]`, `tests/a.py::test_x`).
fn write_native(scope: &str, name: &str, native: &mut String) {
    let qualified = name
        .strip_prefix(scope)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['[', ':']));
    if !(scope.is_empty() || qualified) {
        native.push_str(scope);
        native.push_str("::");
    }
    native.push_str(name);
}

impl Naming for Plain {
    fn name(&self) -> &'static str {
        "plain"
    }

    fn accepts(&self, _dialect: Dialect) -> bool {
        true
    }

    fn identify(&self, case: &TestCase) -> Option<TestId> {
        identified(self, case)
    }

    fn identify_into(
        &self,
        case: &TestCase,
        native: &mut String,
        _scope: &mut Scope,
    ) -> Option<(Option<Text>, Text)> {
        // The class and file are the case's own shared text, not copies.
        let file = case.file.as_ref().filter(|f| !f.is_empty());
        let scope = case.classname.as_ref().filter(|c| !c.is_empty()).or(file);
        let start = native.len();
        write_native(scope.map_or("", |s| s), &case.name, native);
        // Without a class or file, the test is its own class and file
        // (rare: its file is a text of its own then).
        let class = scope.map(Text::from);
        let file = match (file, &class) {
            (Some(file), _) => Text::from(file),
            (None, Some(class)) => class.clone(),
            (None, None) => Text::from(&native[start..]),
        };
        Some((class, file))
    }

    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError> {
        Ok(listing_lines(text)
            .map(|(_, line)| TestId {
                native: line.into(),
                class: line
                    .rsplit_once("::")
                    .map_or(line, |(class, _)| class)
                    .to_string()
                    .into(),
                file: line
                    .split_once("::")
                    .map_or(line, |(file, _)| file)
                    .to_string()
                    .into(),
            })
            .collect())
    }

    /// JUnit 5 reports write nested classes as `Outer$Inner`; listings
    /// often as `Outer.Inner`.
    fn match_keys(&self, id: &TestId) -> Vec<String> {
        vec![jvm_class_name(&id.native)]
    }
}

impl Runner for Plain {
    /// The shard's items, one per line, as recorded; nothing for an empty
    /// shard. Ids are not a filter, so there is no catch-all, no file form
    /// and nothing for `--exec` to run (`--template` makes a command).
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String> {
        let args = ctx.items().iter().map(|i| i.key.to_string()).collect();
        let mut rendered = Rendered {
            output: Output::Args {
                launcher: None,
                args,
            },
            files: Vec::new(),
            notices: Vec::new(),
            warnings: Vec::new(),
            declined_catch_all: false,
        };
        if ctx.is_empty() {
            rendered = rendered.notice(ctx.empty_notice("no ids"));
        }
        if ctx.is_catch_all() {
            rendered = rendered.decline_catch_all(
                ctx.cannot_catch_all("--runner plain", "it prints ids, not a filter"),
            );
        }
        if ctx.list_file.forced {
            rendered = rendered.notice(
                "--runner plain prints ids and writes no list file; --list-file is ignored",
            );
        }
        Ok(rendered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::render::testing::Fixture;
    use crate::emit::test_support::{self, id};

    fn case(name: &str, classname: Option<&str>, file: Option<&str>, dialect: Dialect) -> TestCase {
        test_support::case(name, classname, None, file, dialect)
    }

    #[test]
    fn accepts_every_dialect() {
        assert!(Plain.accepts(Dialect::Generic));
        assert!(Plain.accepts(Dialect::Surefire));
        assert!(Plain.accepts(Dialect::Nextest));
    }

    #[test]
    fn identifies_by_classname_then_file() {
        // Surefire: FQCN + method, no file.
        let c = case(
            "testAdd",
            Some("com.example.CalculatorTest"),
            None,
            Dialect::Surefire,
        );
        assert_eq!(
            Plain.identify(&c),
            Some(id(
                "com.example.CalculatorTest::testAdd",
                "com.example.CalculatorTest",
                "com.example.CalculatorTest"
            ))
        );
        // pytest xunit1: classname and file.
        let c = case(
            "test_b[1-2]",
            Some("tests.unit.test_x.TestA"),
            Some("tests/unit/test_x.py"),
            Dialect::Pytest,
        );
        assert_eq!(
            Plain.identify(&c),
            Some(id(
                "tests.unit.test_x.TestA::test_b[1-2]",
                "tests.unit.test_x.TestA",
                "tests/unit/test_x.py"
            ))
        );
        // publish-unit-test-result-action `unsupported-unicode.xml`: file, no classname.
        let c = case("test 2", None, Some("test/test-2.py"), Dialect::Generic);
        assert_eq!(
            Plain.identify(&c),
            Some(id(
                "test/test-2.py::test 2",
                "test/test-2.py",
                "test/test-2.py"
            ))
        );
    }

    #[test]
    fn name_alone_when_no_scope_or_scope_repeats_it() {
        let c = case("test_my_sum_pos", None, None, Dialect::Generic);
        assert_eq!(
            Plain.identify(&c),
            Some(id("test_my_sum_pos", "test_my_sum_pos", "test_my_sum_pos"))
        );
        let c = case("Test 1 passes", Some("Test 1 passes"), None, Dialect::Jest);
        assert_eq!(
            Plain.identify(&c),
            Some(id("Test 1 passes", "Test 1 passes", "Test 1 passes"))
        );
        let c = case("TestMain", Some(""), None, Dialect::Go);
        assert_eq!(
            Plain.identify(&c),
            Some(id("TestMain", "TestMain", "TestMain"))
        );
    }

    #[test]
    fn listing_splits_class_at_last_and_file_at_first_separator() {
        let text =
            "tests/a.py::TestA::test_b[x]\n\n  plain_name  \nmy-crate::integration::it_works\n";
        assert_eq!(
            Plain.parse_listing(text),
            Ok(vec![
                id(
                    "tests/a.py::TestA::test_b[x]",
                    "tests/a.py::TestA",
                    "tests/a.py"
                ),
                id("plain_name", "plain_name", "plain_name"),
                id(
                    "my-crate::integration::it_works",
                    "my-crate::integration",
                    "my-crate"
                ),
            ])
        );
    }

    #[test]
    fn renders_items_verbatim() {
        let f = Fixture::new(vec![
            vec![id("a::b c", "a", "a"), id("it's", "it's", "it's")],
            vec![id("z", "z", "z")],
        ]);
        let r = f.render(&Plain, Granularity::Test, 0, None);
        assert_eq!(r.lines(), ["a::b c", "it's"]);
        assert_eq!(r.output.commands(&[]), None);
        assert_eq!(
            f.render(&Plain, Granularity::File, 0, None).lines(),
            ["a", "it's"]
        );
        let r = f.render(&Plain, Granularity::Test, 1, Some(1));
        assert!(
            r.warnings[0].contains("runs on NO shard"),
            "{:?}",
            r.warnings
        );
    }
}
