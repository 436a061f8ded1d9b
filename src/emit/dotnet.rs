//! `dotnet test` (VSTest): tests are fully qualified method names, selected
//! with `--filter FullyQualifiedName=…` (`formats.md` §11.12).

use super::*;

/// `dotnet test --filter 'FullyQualifiedName=Ns.C.M1|FullyQualifiedName=Ns.C.M2'`.
///
/// Always `=` (exact; `~` is a substring match), test by test: a class is
/// listed as its planned methods. A parameterized test's rows share their
/// method's name and run together. Past the safe length, or with
/// `--list-file`, the filter goes to a `.runsettings` file.
pub struct Dotnet;

/// What `--exec` runs the arguments with.
const LAUNCHER: &[&str] = &["dotnet", "test"];

/// Escapes a filter value: `\` before `\ ( ) & | = ! ~` (vstest's
/// `FilterHelper.SpecialCharacters`), and `,` (generic type arguments) as
/// `%2C`, as the documentation says.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' | '(' | ')' | '&' | '|' | '=' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

/// The filter selecting exactly `names`, or (`negate`) all but them.
fn filter(names: &[&str], negate: bool) -> String {
    let (operator, joiner) = if negate { ("!=", "&") } else { ("=", "|") };
    names
        .iter()
        .map(|n| format!("FullyQualifiedName{operator}{}", escape(n)))
        .collect::<Vec<_>>()
        .join(joiner)
}

/// XML text escaping for the runsettings file.
fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Naming for Dotnet {
    fn name(&self) -> &'static str {
        "dotnet"
    }

    fn accepts(&self, dialect: Dialect) -> bool {
        matches!(dialect, Dialect::Dotnet | Dialect::Generic)
    }

    /// `classname` is `Namespace.Class`; the name is the method, possibly
    /// with arguments (`M(a: 1)`) or prefixed by the class (`Class.M`,
    /// `Ns.Class.M`, the logger's `MethodFormat`). The fully qualified name
    /// is the class and the method without arguments.
    fn identify(&self, case: &TestCase) -> Option<TestId> {
        let class = recorded_class(case)?;
        let name = case.name.trim();
        let head = &name[..name.find('(').unwrap_or(name.len())];
        let method = head.rsplit('.').next().unwrap_or(head).trim();
        if method.is_empty() || method.contains(char::is_whitespace) {
            return None;
        }
        Some(TestId {
            native: format!("{class}.{method}").into(),
            class: class.into(),
            file: class.into(),
        })
    }

    /// Reads fully qualified names, one per line (`Ns.Class.Method`).
    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError> {
        listing_lines(text)
            .map(|(line_no, line)| match line.rsplit_once('.') {
                Some((class, method))
                    if !class.is_empty() && !method.is_empty() && !line.contains(' ') =>
                {
                    Ok(TestId {
                        native: line.into(),
                        class: class.into(),
                        file: class.into(),
                    })
                }
                _ => Err(ListError {
                    line: line_no,
                    message: format!(
                        "`{line}` is not a fully qualified test name (`Ns.Class.Method`)"
                    ),
                }),
            })
            .collect()
    }
}

impl Runner for Dotnet {
    /// `--filter EXPR` (two lines): `FullyQualifiedName=…|…`, or for the
    /// catch-all `FullyQualifiedName!=…&…` of every other shard's test. An
    /// empty shard only lists tests (`--list-tests`).
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String> {
        if ctx.is_empty() {
            return Ok(Rendered::args(LAUNCHER, vec!["--list-tests".to_string()])
                .notice(ctx.empty_notice("`--list-tests`, which runs nothing")));
        }
        let expression = if ctx.is_catch_all() {
            let others = ctx.natives_of(&ctx.other_items());
            if others.is_empty() {
                return Ok(Rendered::args(LAUNCHER, Vec::new()));
            }
            filter(&others, true)
        } else {
            filter(&ctx.natives_of(&ctx.items()), false)
        };
        if !ctx.wants_file(expression.len()) {
            return Ok(Rendered::args(
                LAUNCHER,
                vec!["--filter".to_string(), expression],
            ));
        }
        let path = ctx.list_file.path_for("runsettings");
        let settings = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- Written by shardplan for shard {} of {} -->\n\
             <RunSettings>\n  <RunConfiguration>\n    <TestCaseFilter>{}</TestCaseFilter>\n  \
             </RunConfiguration>\n</RunSettings>\n",
            ctx.index,
            ctx.count(),
            xml_text(&expression)
        );
        Ok(
            Rendered::args(LAUNCHER, vec!["--settings".to_string(), path.display().to_string()])
                .file(path, settings)
                .notice("the filter is in a .runsettings file given with --settings, which replaces any other runsettings"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::render::testing::Fixture;
    use crate::emit::test_support::case;

    fn id(native: &str) -> TestId {
        let class = native.rsplit_once('.').map_or(native, |(c, _)| c);
        TestId {
            native: native.into(),
            class: class.into(),
            file: class.into(),
        }
    }

    #[test]
    fn identifies_the_fully_qualified_method() {
        let classname = Some("Shop.Tests.CartTests");
        let case = |name: &str| {
            case(
                name,
                classname,
                Some("Shop.Tests.dll"),
                None,
                Dialect::Dotnet,
            )
        };
        for name in [
            "AddsItem",
            "AddsItem(count: 2, name: \"x\")",
            "CartTests.AddsItem",
            "Shop.Tests.CartTests.AddsItem(count: 1)",
        ] {
            assert_eq!(
                Dotnet.identify(&case(name)),
                Some(id("Shop.Tests.CartTests.AddsItem")),
                "{name}"
            );
        }
        assert_eq!(Dotnet.identify(&case("Should be even")), None);
    }

    #[test]
    fn escapes_filter_values() {
        assert_eq!(escape(r"a(b)&c|d=e!f~g\h"), r"a\(b\)\&c\|d\=e\!f\~g\\h");
        assert_eq!(
            escape("Ns.Generic<int,string>.M"),
            "Ns.Generic<int%2Cstring>.M"
        );
    }

    fn fixture() -> Fixture {
        Fixture::new(vec![
            vec![id("Shop.CartTests.Adds"), id("Shop.CartTests.Removes")],
            vec![id("Shop.PayTests.Pays")],
        ])
    }

    #[test]
    fn renders_exact_filters_and_their_negation() {
        let r = fixture().render(&Dotnet, Granularity::Test, 0, None);
        assert_eq!(
            r.arg_lines(),
            [
                "--filter",
                "FullyQualifiedName=Shop.CartTests.Adds|FullyQualifiedName=Shop.CartTests.Removes"
            ]
        );
        let r = fixture().render(&Dotnet, Granularity::Class, 1, Some(1));
        // At class granularity the class is listed method by method.
        assert_eq!(
            r.arg_lines(),
            [
                "--filter",
                "FullyQualifiedName!=Shop.CartTests.Adds&FullyQualifiedName!=Shop.CartTests.Removes"
            ]
        );
    }

    #[test]
    fn long_filters_go_to_runsettings() {
        let r = fixture()
            .forced()
            .render(&Dotnet, Granularity::Test, 1, None);
        assert_eq!(r.arg_lines(), ["--settings", "/tmp/shard.list"]);
        assert!(
            r.files[0]
                .1
                .contains("<TestCaseFilter>FullyQualifiedName=Shop.PayTests.Pays</TestCaseFilter>")
        );
    }
}
