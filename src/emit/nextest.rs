//! cargo-nextest: tests are (binary id, test path) pairs, selected with one
//! filterset expression for `cargo nextest run -E` (`formats.md` §11.4).

use std::collections::BTreeMap;

use super::pattern::regex_escape;
use super::render::SAFE_COMMAND_BYTES;
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
/// metacharacters (`regex_syntax::escape` also escapes `#&-~`), plus `/`,
/// which would end the matcher.
fn escape_regex(text: &str) -> String {
    regex_escape(text, "#&-~/")
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

/// The id of `test` in `binary`: `<binary id> <test path>`, grouped by module
/// and by binary. Shared with [`super::cargo`], which names tests the same.
pub(crate) fn test_id(binary: &str, test: &str) -> TestId {
    let module = module_of(test);
    TestId {
        native: format!("{binary} {test}").into(),
        class: if module.is_empty() {
            binary.into()
        } else {
            format!("{binary} {module}").into()
        },
        file: binary.into(),
    }
}

impl Naming for Nextest {
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
}

impl Runner for Nextest {
    /// `cargo nextest run -E EXPR`: whole binaries as `binary_id(=…)`, the
    /// rest per binary as `binary_id(=…) & (test(=…) | …)` (or module
    /// regexes at class granularity). The catch-all is `not (…)` of the
    /// other shards' selections, which also takes binaries the plan does not
    /// know. An expression over the safe command length is split into one
    /// command per binary (nextest reads no filter file); an empty shard
    /// prints no command.
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String> {
        if ctx.is_empty() {
            return Ok(Rendered::commands(Vec::new())
                .notice(ctx.empty_notice("no command (an empty script)")));
        }
        if ctx.is_catch_all() {
            let others = parts(&ctx.others());
            let expression = if others.is_empty() {
                None
            } else {
                Some(format!("not ({})", others.join(" | ")))
            };
            let fits = expression
                .as_ref()
                .is_none_or(|e| e.len() + 24 <= SAFE_COMMAND_BYTES);
            let commands = if fits {
                vec![run_command(expression)]
            } else {
                catch_all_per_binary(ctx)
            };
            return Ok(Rendered::commands(commands));
        }
        let parts = parts(&ctx.selection(ctx.index));
        Ok(Rendered::commands(chunked(parts)))
    }
}

/// `cargo nextest run [-E EXPR]`; extra arguments go after `run`.
fn run_command(expression: Option<String>) -> Command {
    let mut argv: Vec<String> = ["cargo", "nextest", "run"].map(String::from).to_vec();
    if let Some(expression) = expression {
        argv.push("-E".to_string());
        argv.push(expression);
    }
    Command::new(argv, 3)
}

/// One alternative per binary: whole binaries alone, the others with their
/// tests or modules.
fn parts(selection: &Selection<'_>) -> Vec<String> {
    let mut by_binary: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for group in &selection.groups {
        by_binary.entry(group).or_default();
    }
    for item in &selection.items {
        let rest = item.key.split_once(' ').map_or("", |(_, rest)| rest);
        let filter = match item.by {
            Granularity::Class => module_filter(rest),
            _ => format!("test(={})", escape_value(rest)),
        };
        by_binary
            .entry(item.test.file.as_str())
            .or_default()
            .push(filter);
    }
    let mut parts = Vec::new();
    for (binary, mut tests) in by_binary {
        tests.sort_unstable();
        tests.dedup();
        if tests.is_empty() {
            parts.push(binary_filter(binary));
            continue;
        }
        // A binary with more tests than one command holds takes several.
        let budget = SAFE_COMMAND_BYTES - binary.len() - 64;
        let mut chunk: Vec<String> = Vec::new();
        let mut length = 0;
        for test in tests {
            if !chunk.is_empty() && length + test.len() + 3 > budget {
                parts.push(binary_part(binary, &chunk));
                chunk.clear();
                length = 0;
            }
            length += test.len() + 3;
            chunk.push(test);
        }
        parts.push(binary_part(binary, &chunk));
    }
    parts
}

/// `(binary_id(=B) & test)` or `(binary_id(=B) & (t1 | t2))`.
fn binary_part(binary: &str, tests: &[String]) -> String {
    match tests {
        [one] => format!("({} & {one})", binary_filter(binary)),
        _ => format!("({} & ({}))", binary_filter(binary), tests.join(" | ")),
    }
}

/// Alternatives joined into as few commands as the safe length allows.
fn chunked(parts: Vec<String>) -> Vec<Command> {
    let mut expressions: Vec<String> = Vec::new();
    for part in parts {
        match expressions.last_mut() {
            Some(e) if e.len() + part.len() + 24 <= SAFE_COMMAND_BYTES => {
                e.push_str(" | ");
                e.push_str(&part);
            }
            _ => expressions.push(part),
        }
    }
    expressions
        .into_iter()
        .map(|e| run_command(Some(e)))
        .collect()
}

/// The catch-all split by binary: for each binary the plan knows and no
/// other shard holds whole, its tests but the others'; then every binary
/// the plan does not know.
fn catch_all_per_binary(ctx: &RenderContext<'_>) -> Vec<Command> {
    let others = ctx.others();
    let mut parts = Vec::new();
    for binary in ctx.all_groups() {
        if others.groups.binary_search(&binary).is_ok() {
            continue;
        }
        let items = others
            .items
            .iter()
            .filter(|i| i.test.file == binary)
            .copied()
            .collect();
        let excluded = self::parts(&Selection {
            groups: Vec::new(),
            items,
        });
        parts.push(match excluded.as_slice() {
            [] => binary_filter(binary),
            [one] => format!("({} - {one})", binary_filter(binary)),
            _ => format!("({} - ({}))", binary_filter(binary), excluded.join(" | ")),
        });
    }
    let known: Vec<String> = ctx.all_groups().iter().map(|b| binary_filter(b)).collect();
    let mut commands = chunked(parts);
    commands.push(run_command(Some(format!("not ({})", known.join(" | ")))));
    commands
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::render::testing::Fixture;
    use crate::emit::test_support::{self, id};

    fn case(name: &str, binary: &str) -> TestCase {
        test_support::case(name, Some(binary), Some(binary), None, Dialect::Nextest)
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

    fn fixture() -> Fixture {
        Fixture::new(vec![
            vec![
                test_id("my-crate", "a::tests::one"),
                test_id("my-crate::bin/tool-x", "tests::bin_test"),
                test_id("my-crate", "a::tests::inner::deep"),
                test_id("my-crate::integration", "sub::it_sub"),
            ],
            vec![
                test_id("my-crate", "a::tests::two"),
                test_id("my-crate::integration", "it,works)"),
                test_id("my-crate", "root_test"),
            ],
            vec![test_id("other", "t")],
        ])
    }

    #[test]
    fn renders_whole_binaries_and_tests_grouped_by_binary() {
        let r = fixture().render(&Nextest, Granularity::Test, 0, None);
        assert_eq!(
            r.command_lines(),
            [
                "cargo nextest run -E '(binary_id(=my-crate) & (test(=a::tests::inner::deep) | test(=a::tests::one))) \
                 | binary_id(=my-crate::bin/tool-x) \
                 | (binary_id(=my-crate::integration) & test(=sub::it_sub))'"
            ]
        );
        assert_eq!(
            r.output
                .commands(&["--profile".into(), "ci".into()])
                .expect("commands")[0][..5],
            ["cargo", "nextest", "run", "--profile", "ci"]
        );
    }

    #[test]
    fn catch_all_negates_the_other_shards_exactly() {
        let r = fixture().render(&Nextest, Granularity::Test, 1, Some(1));
        assert_eq!(
            r.command_lines(),
            [
                "cargo nextest run -E 'not ((binary_id(=my-crate) & (test(=a::tests::inner::deep) | test(=a::tests::one))) \
                 | binary_id(=my-crate::bin/tool-x) \
                 | (binary_id(=my-crate::integration) & test(=sub::it_sub)) | binary_id(=other))'"
            ]
        );
        let alone = Fixture::new(vec![fixture().shards.concat()]);
        assert_eq!(
            alone
                .render(&Nextest, Granularity::Test, 0, Some(0))
                .command_lines(),
            ["cargo nextest run"]
        );
    }

    #[test]
    fn escapes_values_in_commands() {
        let r = fixture().render(&Nextest, Granularity::Test, 1, None);
        assert_eq!(
            r.command_lines(),
            [
                r"cargo nextest run -E '(binary_id(=my-crate) & (test(=a::tests::two) | test(=root_test))) | (binary_id(=my-crate::integration) & test(=it\,works\)))'"
            ]
        );
    }

    #[test]
    fn renders_modules_without_their_submodules() {
        let f = Fixture::new(vec![
            vec![
                test_id("my-crate", "root"),
                test_id("my-crate", "a::tests::x"),
            ],
            vec![
                test_id("my-crate", "a::tests::inner::y"),
                test_id("my-crate::bin/tool-x", "tests::t"),
            ],
        ]);
        assert_eq!(
            f.render(&Nextest, Granularity::Class, 0, None)
                .command_lines(),
            [
                r"cargo nextest run -E '(binary_id(=my-crate) & (test(/^[^:]+$/) | test(/^a::tests::[^:]+$/)))'"
            ]
        );
    }

    #[test]
    fn split_classes_mix_with_whole_ones_in_one_filterset() {
        // `--by class --split-large`: module `a::tests` stays whole, the
        // binary's root tests were split into single tests.
        let f = Fixture::new(vec![
            vec![
                test_id("my-crate", "a::tests::x"),
                test_id("my-crate", "root_one"),
            ],
            vec![test_id("my-crate", "root_two"), test_id("other", "t")],
        ]);
        let by = |t: TestRef<'_>| {
            if t.native.contains("a::tests") {
                Granularity::Class
            } else {
                Granularity::Test
            }
        };
        let owned = f.mixed(by, 0, None);
        assert_eq!(
            Nextest
                .render(&owned.context())
                .expect("renders")
                .command_lines(),
            [
                r"cargo nextest run -E '(binary_id(=my-crate) & (test(/^a::tests::[^:]+$/) | test(=root_one)))'"
            ]
        );
    }

    #[test]
    fn renders_whole_binaries_at_file_granularity() {
        let f = Fixture::new(vec![vec![
            test_id("my-crate::integration", "a"),
            test_id("my-crate", "b"),
            test_id("weird,crate)::bin/x", "c"),
        ]]);
        assert_eq!(
            f.render(&Nextest, Granularity::File, 0, None)
                .command_lines(),
            [
                r"cargo nextest run -E 'binary_id(=my-crate) | binary_id(=my-crate::integration) | binary_id(=weird\,crate\)::bin/x)'"
            ]
        );
    }

    #[test]
    fn long_expressions_split_by_binary() {
        let mut big = Vec::new();
        for b in 0..3 {
            for t in 0..900 {
                big.push(test_id(
                    &format!("crate::it{b}"),
                    &format!("module::test_number_{t:04}"),
                ));
            }
        }
        let f = Fixture::new(vec![big, vec![test_id("crate::it0", "module::other")]]);
        let lines = f
            .render(&Nextest, Granularity::Test, 0, None)
            .command_lines();
        assert!(lines.len() >= 2, "{}", lines.len());
        assert!(lines.iter().all(|l| l.len() <= SAFE_COMMAND_BYTES));
        let catch_all = f
            .render(&Nextest, Granularity::Test, 1, Some(1))
            .command_lines();
        assert!(catch_all.len() >= 2);
        assert!(catch_all.iter().any(|l| l.starts_with("cargo nextest run -E '(binary_id(=crate::it0) - ((binary_id(=crate::it0) & (test(=module::test_number_0000) |")));
        assert!(catch_all.last().expect("last").starts_with("cargo nextest run -E 'not (binary_id(=crate::it0) | binary_id(=crate::it1) | binary_id(=crate::it2))'"));
    }

    #[test]
    fn empty_shard_prints_no_command() {
        let f = Fixture::new(vec![vec![test_id("c", "t")], vec![]]);
        assert!(
            f.render(&Nextest, Granularity::Test, 1, None)
                .command_lines()
                .is_empty()
        );
    }
}
