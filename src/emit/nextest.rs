//! cargo-nextest: tests are (binary id, test path) pairs, selected with one
//! filterset expression for `cargo nextest run -E` (`formats.md` §11.4).

use std::collections::BTreeMap;

use super::*;

/// One filterset expression per shard, for `cargo nextest run -E "$(…)"`.
///
/// Always `=` matchers (a bare `test(x)` is a substring match), and at class
/// granularity a regex that matches a module's own tests but not its
/// submodules', which may be planned on another shard.
pub struct Nextest;

/// Escapes a value for an `=` matcher. nextest's parser ends the value at an
/// unescaped `)` or `,` and rejects any escape but `\n \r \t \\ \/ \) \,
/// \u{…}`; `/` may stay bare there (checked against cargo-nextest 0.9.143).
fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            ')' => out.push_str(r"\)"),
            ',' => out.push_str(r"\,"),
            '\n' => out.push_str(r"\n"),
            '\r' => out.push_str(r"\r"),
            '\t' => out.push_str(r"\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Escapes literal text for a `/regex/` matcher: the regex crate's
/// metacharacters, plus `/`, which would end the matcher.
fn escape_regex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\.+*?()|[]{}^$#&-~/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn binary_filter(binary: &str) -> String {
    format!("binary_id(={})", escape_value(binary))
}

/// Tests directly in `module` (`a::b::t`, not `a::b::c::t`), or at the root of
/// the binary when `module` is empty.
fn module_filter(module: &str) -> String {
    if module.is_empty() {
        "test(/^[^:]+$/)".to_string()
    } else {
        format!("test(/^{}::[^:]+$/)", escape_regex(module))
    }
}

/// The test path's module: `a::tests::it` is in `a::tests`.
fn module_of(test: &str) -> &str {
    test.rsplit_once("::").map_or("", |(module, _)| module)
}

fn test_id(binary: &str, test: &str) -> TestId {
    let module = module_of(test);
    TestId {
        native: format!("{binary} {test}"),
        class: if module.is_empty() {
            binary.to_string()
        } else {
            format!("{binary} {module}")
        },
        file: binary.to_string(),
    }
}

impl Runner for Nextest {
    fn name(&self) -> &'static str {
        "nextest"
    }

    fn accepts(&self, dialect: Dialect) -> bool {
        dialect == Dialect::Nextest
    }

    fn identify(&self, case: &TestCase) -> Option<TestId> {
        let binary = [&case.classname, &case.suite]
            .into_iter()
            .flatten()
            .map(|b| b.trim())
            .find(|b| !b.is_empty())?;
        // Setup scripts (`@setup-script:name`) are reported but not tests.
        if binary.starts_with('@') || binary.contains(char::is_whitespace) {
            return None;
        }
        let test = case.name.trim();
        (!test.is_empty()).then(|| test_id(binary, test))
    }

    /// Reads `cargo nextest list --message-format oneline`: `<binary id>
    /// <test path>` per line, separated by one space.
    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError> {
        listing_lines(text)
            .map(|(line_no, line)| match line.split_once(' ') {
                Some((binary, test))
                    if !binary.is_empty() && !test.is_empty() && !test.contains(' ') =>
                {
                    Ok(test_id(binary, test))
                }
                _ => Err(ListError {
                    line: line_no,
                    message: format!(
                        "`{line}` is not `<binary id> <test name>` as printed by \
                         `cargo nextest list --message-format oneline`"
                    ),
                }),
            })
            .collect()
    }

    /// One line: the alternatives of every binary in the shard, joined by
    /// ` | `. At class granularity an item without a module (no space) is
    /// the binary's root-level tests, not the whole binary.
    fn render(&self, by: Granularity, items: &[String]) -> Vec<String> {
        let mut by_binary: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for item in items {
            let (binary, rest) = item.split_once(' ').unwrap_or((item, ""));
            by_binary.entry(binary).or_default().push(rest);
        }
        let parts: Vec<String> = by_binary
            .into_iter()
            .map(|(binary, mut rests)| {
                rests.sort_unstable();
                rests.dedup();
                let tests: Vec<String> = match by {
                    Granularity::File => return binary_filter(binary),
                    Granularity::Test => rests
                        .iter()
                        .map(|t| format!("test(={})", escape_value(t)))
                        .collect(),
                    Granularity::Class => rests.iter().map(|m| module_filter(m)).collect(),
                };
                let tests = match tests.as_slice() {
                    [one] => one.clone(),
                    _ => format!("({})", tests.join(" | ")),
                };
                format!("({} & {tests})", binary_filter(binary))
            })
            .collect();
        vec![parts.join(" | ")]
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
            dialect: Dialect::Nextest,
        }
    }

    fn id(native: &str, class: &str, file: &str) -> TestId {
        TestId {
            native: native.into(),
            class: class.into(),
            file: file.into(),
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn accepts_nextest_only() {
        assert!(Nextest.accepts(Dialect::Nextest));
        assert!(!Nextest.accepts(Dialect::Generic));
    }

    #[test]
    fn identifies_binary_and_test_path() {
        // nextest `fixture-project-junit.xml`.
        assert_eq!(
            Nextest.identify(&case("test_cwd", "fixture-project::basic")),
            Some(id(
                "fixture-project::basic test_cwd",
                "fixture-project::basic",
                "fixture-project::basic"
            ))
        );
        // nextest `stress-test-junit.xml`.
        assert_eq!(
            Nextest.identify(&case("test_expr_deps", "nextest-filtering::match")),
            Some(id(
                "nextest-filtering::match test_expr_deps",
                "nextest-filtering::match",
                "nextest-filtering::match"
            ))
        );
        assert_eq!(
            Nextest.identify(&case("a::tests::inner::deep", "my-crate")),
            Some(id(
                "my-crate a::tests::inner::deep",
                "my-crate a::tests::inner",
                "my-crate"
            ))
        );
        assert_eq!(
            Nextest.identify(&case("tests::bin_test", "my-crate::bin/tool-x")),
            Some(id(
                "my-crate::bin/tool-x tests::bin_test",
                "my-crate::bin/tool-x tests",
                "my-crate::bin/tool-x"
            ))
        );
    }

    #[test]
    fn setup_scripts_are_not_tests() {
        // nextest `setup-script-junit.xml`.
        assert_eq!(
            Nextest.identify(&case(
                "build-seed-archive",
                "@setup-script:build-seed-archive"
            )),
            None
        );
        assert_eq!(Nextest.identify(&case("t", "")), None);
    }

    /// `cargo nextest list --message-format oneline --run-ignored all` from
    /// cargo-nextest 0.9.143 on a crate with a lib, an integration test and a
    /// binary.
    const LISTED: &str = "my-crate a::tests::inner::deep\nmy-crate a::tests::one\nmy-crate a::tests::two\n\
                          my-crate café\nmy-crate root_test\nmy-crate::integration it_works\n\
                          my-crate::integration slow_ignored\nmy-crate::integration sub::it_sub\n\
                          my-crate::bin/tool-x tests::bin_test\n";

    #[test]
    fn listing_reads_oneline_output() {
        let ids = Nextest.parse_listing(LISTED).expect("parses");
        assert_eq!(ids.len(), 9);
        assert_eq!(
            ids[0],
            id(
                "my-crate a::tests::inner::deep",
                "my-crate a::tests::inner",
                "my-crate"
            )
        );
        assert_eq!(ids[3], id("my-crate café", "my-crate", "my-crate"));
        assert_eq!(
            ids[7],
            id(
                "my-crate::integration sub::it_sub",
                "my-crate::integration sub",
                "my-crate::integration"
            )
        );
        assert_eq!(
            Nextest
                .identify(&case("tests::bin_test", "my-crate::bin/tool-x"))
                .as_ref(),
            ids.last()
        );
    }

    #[test]
    fn listing_rejects_other_formats() {
        // The default human format indents test names under the binary.
        let human = "my-crate::integration:\n    it_works\n";
        assert_eq!(Nextest.parse_listing(human).unwrap_err().line, 1);
        assert_eq!(Nextest.parse_listing("my-crate a b\n").unwrap_err().line, 1);
    }

    #[test]
    fn escapes_equality_values() {
        assert_eq!(escape_value("my-crate::bin/tool-x"), "my-crate::bin/tool-x");
        assert_eq!(escape_value(r"a,b)c\d"), r"a\,b\)c\\d");
        assert_eq!(escape_value("a\nb\tc\rd\u{1}"), r"a\nb\tc\rd\u{1}");
        assert_eq!(escape_value("café (x"), "café (x");
    }

    #[test]
    fn escapes_regex_text() {
        assert_eq!(escape_regex("a::tests"), "a::tests");
        assert_eq!(escape_regex("a/b.c+d(e)"), r"a\/b\.c\+d\(e\)");
    }

    #[test]
    fn renders_tests_grouped_by_binary() {
        let items = strings(&[
            "my-crate a::tests::one",
            "my-crate::bin/tool-x tests::bin_test",
            "my-crate a::tests::inner::deep",
            "my-crate::integration sub::it_sub",
        ]);
        assert_eq!(
            Nextest.render(Granularity::Test, &items),
            [
                "(binary_id(=my-crate) & (test(=a::tests::inner::deep) | test(=a::tests::one))) \
              | (binary_id(=my-crate::bin/tool-x) & test(=tests::bin_test)) \
              | (binary_id(=my-crate::integration) & test(=sub::it_sub))"
            ]
        );
    }

    #[test]
    fn renders_modules_without_their_submodules() {
        let items = strings(&[
            "my-crate",
            "my-crate a::tests",
            "my-crate::bin/tool-x tests",
        ]);
        assert_eq!(
            Nextest.render(Granularity::Class, &items),
            [
                r"(binary_id(=my-crate) & (test(/^[^:]+$/) | test(/^a::tests::[^:]+$/))) | (binary_id(=my-crate::bin/tool-x) & test(/^tests::[^:]+$/))"
            ]
        );
    }

    #[test]
    fn renders_whole_binaries_at_file_granularity() {
        let items = strings(&["my-crate::integration", "my-crate", "weird,crate)::bin/x"]);
        assert_eq!(
            Nextest.render(Granularity::File, &items),
            [
                r"binary_id(=my-crate) | binary_id(=my-crate::integration) | binary_id(=weird\,crate\)::bin/x)"
            ]
        );
    }
}
