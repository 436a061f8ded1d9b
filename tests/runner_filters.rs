//! Property: for arbitrary test names (unicode, quotes, shell and regex
//! metacharacters, newlines and other control characters), each runner's
//! filter for a shard selects exactly that shard's test under the
//! runner's own matching rules, modelled here: pytest's exact node ids,
//! `go test -run` regexes, nextest's `test(=…)` matchers, libtest's
//! `--exact`, PHPUnit's PCRE, dotnet's filter escaping, jest's exact paths,
//! mocha's config module, plain ids. A sibling in the same group whose name
//! extends the test's (`a` and `a[b`) is on the other shard and must not
//! be taken along; a catch-all shard must not take the test either.
//!
//! A name no runner line can hold (a control character other than a tab)
//! must be refused at selection (`emit::selectable`), never printed.

use std::path::PathBuf;

use proptest::prelude::*;
use shardplan::emit::{
    Granularity, ListFile, Member, NotSelectable, Output, RenderContext, Rendered, Runner,
    RunnerKind, Shards, TestId, selectable, unprintable,
};
use shardplan::report::{Dialect, Outcome, TestCase};

/// What a runner's filter for one shard selects, by its own rules.
trait Model {
    fn kind(&self) -> RunnerKind;
    /// The recorded case for an arbitrary name.
    fn case(&self, name: &str) -> TestCase;
    /// Whether `rendered` (a non-catch-all shard) runs `test`.
    fn selects(&self, rendered: &Rendered, test: &TestId) -> bool;
}

fn case(name: &str, classname: Option<&str>, file: Option<&str>, dialect: Dialect) -> TestCase {
    TestCase {
        name: name.into(),
        classname: classname.map(Into::into),
        suite: None,
        file: file.map(Into::into),
        duration: Some(1_000_000),
        outcome: Outcome::Passed,
        dialect,
        variant: None,
    }
}

/// The words of every printed command, or the printed arguments.
fn words(rendered: &Rendered) -> Vec<Vec<String>> {
    match &rendered.output {
        Output::Args { args, .. } => vec![args.clone()],
        Output::Commands(commands) => commands.iter().map(|c| c.argv.clone()).collect(),
    }
}

struct Plain;
impl Model for Plain {
    fn kind(&self) -> RunnerKind {
        RunnerKind::Plain
    }
    fn case(&self, name: &str) -> TestCase {
        case(name, Some("app.Case"), None, Dialect::Generic)
    }
    fn selects(&self, rendered: &Rendered, test: &TestId) -> bool {
        rendered.lines().iter().any(|l| *l == test.native)
    }
}

/// pytest: each argument (a line of `@shard.txt`) is a node id, selecting
/// itself and the nodes under it.
struct Pytest;
impl Model for Pytest {
    fn kind(&self) -> RunnerKind {
        RunnerKind::Pytest
    }
    fn case(&self, name: &str) -> TestCase {
        case(
            &format!("test_{name}"),
            Some("tests.test_x"),
            Some("tests/test_x.py"),
            Dialect::Pytest,
        )
    }
    fn selects(&self, rendered: &Rendered, test: &TestId) -> bool {
        rendered.arg_lines().iter().any(|arg| {
            *arg == test.native
                || (test.native.starts_with(arg.as_str())
                    && test.native[arg.len()..].starts_with("::")
                    && !arg.contains('['))
                || *arg == test.file
        })
    }
}

/// `go test -run RE PKG`: RE2 (the regex crate agrees on the escaped
/// syntax) against the top-level test name.
struct Go;
impl Model for Go {
    fn kind(&self) -> RunnerKind {
        RunnerKind::Go
    }
    fn case(&self, name: &str) -> TestCase {
        case(
            &format!("Test{name}"),
            Some("example.com/p"),
            None,
            Dialect::Go,
        )
    }
    fn selects(&self, rendered: &Rendered, test: &TestId) -> bool {
        let name = test.native.rsplit_once('.').map_or("", |(_, n)| n);
        words(rendered).iter().any(|argv| {
            // Packages are every word after the `-run` pattern (or after
            // `go test`), and the pattern applies to each of them.
            let run = argv.iter().position(|w| w == "-run");
            let packages = &argv[run.map_or(2, |i| i + 2)..];
            if !packages.iter().any(|p| *p == test.file) {
                return false;
            }
            match run {
                None => true,
                Some(i) => regex::Regex::new(&argv[i + 1])
                    .unwrap_or_else(|e| panic!("go -run {:?}: {e}", argv[i + 1]))
                    .is_match(name),
            }
        })
    }
}

/// Reads the values of `matcher(=VALUE)` in a nextest filterset, undoing
/// nextest's escapes.
fn nextest_values(expression: &str, matcher: &str) -> Vec<String> {
    let open = format!("{matcher}(=");
    let mut values = Vec::new();
    let mut rest = expression;
    while let Some(i) = rest.find(&open) {
        let mut value = String::new();
        let mut chars = rest[i + open.len()..].char_indices();
        let mut end = rest.len();
        while let Some((j, c)) = chars.next() {
            match c {
                '\\' => match chars.next().map(|(_, e)| e) {
                    Some('n') => value.push('\n'),
                    Some('r') => value.push('\r'),
                    Some('t') => value.push('\t'),
                    Some('u') => {
                        let hex: String = chars
                            .by_ref()
                            .map(|(_, h)| h)
                            .skip(1)
                            .take_while(|&h| h != '}')
                            .collect();
                        value.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
                    }
                    Some(other) => value.push(other),
                    None => {}
                },
                ')' => {
                    end = i + open.len() + j;
                    break;
                }
                c => value.push(c),
            }
        }
        values.push(value);
        rest = &rest[end..];
    }
    values
}

/// `cargo nextest run -E EXPR`: `test(=path)` is an exact match.
struct Nextest;
impl Model for Nextest {
    fn kind(&self) -> RunnerKind {
        RunnerKind::Nextest
    }
    fn case(&self, name: &str) -> TestCase {
        case(
            &format!("tests::t_{name}"),
            Some("crate::bin"),
            None,
            Dialect::Nextest,
        )
    }
    fn selects(&self, rendered: &Rendered, test: &TestId) -> bool {
        let path = test.native.split_once(' ').map_or("", |(_, p)| p);
        words(rendered).iter().any(|argv| {
            argv.windows(2)
                .any(|w| w[0] == "-E" && nextest_values(&w[1], "test").iter().any(|v| v == path))
        })
    }
}

/// `cargo test … -- --exact NAME…`: libtest's exact names.
struct Cargo;
impl Model for Cargo {
    fn kind(&self) -> RunnerKind {
        RunnerKind::Cargo
    }
    fn case(&self, name: &str) -> TestCase {
        case(
            &format!("tests::t_{name}"),
            Some("crate::bin"),
            None,
            Dialect::Nextest,
        )
    }
    fn selects(&self, rendered: &Rendered, test: &TestId) -> bool {
        let path = test.native.split_once(' ').map_or("", |(_, p)| p);
        words(rendered).iter().any(|argv| {
            let Some(dash) = argv.iter().position(|w| w == "--") else {
                return false;
            };
            let names: Vec<&String> = argv[dash + 1..]
                .iter()
                .filter(|w| !w.starts_with("--"))
                .collect();
            names.is_empty() || names.iter().any(|n| *n == path)
        })
    }
}

/// `phpunit --filter=/RE/`: PCRE against `Class::method…`.
struct Phpunit;
impl Model for Phpunit {
    fn kind(&self) -> RunnerKind {
        RunnerKind::Phpunit
    }
    fn case(&self, name: &str) -> TestCase {
        case(
            &format!("test{name}"),
            Some("App.FooTest"),
            None,
            Dialect::Phpunit,
        )
    }
    fn selects(&self, rendered: &Rendered, test: &TestId) -> bool {
        rendered.arg_lines().iter().any(|arg| {
            let Some(pattern) = arg
                .strip_prefix("--filter=/")
                .and_then(|p| p.strip_suffix('/'))
            else {
                return false;
            };
            regex::Regex::new(pattern)
                .unwrap_or_else(|e| panic!("phpunit --filter {pattern:?}: {e}"))
                .is_match(&test.native)
        })
    }
}

/// `dotnet test --filter FullyQualifiedName=V|…`: `\` escapes the next
/// character, `%2C` is a comma; `=` is equality.
struct Dotnet;
impl Model for Dotnet {
    fn kind(&self) -> RunnerKind {
        RunnerKind::Dotnet
    }
    fn case(&self, name: &str) -> TestCase {
        case(
            &format!("M{name}"),
            Some("App.FooTests"),
            None,
            Dialect::Dotnet,
        )
    }
    fn selects(&self, rendered: &Rendered, test: &TestId) -> bool {
        let args = rendered.arg_lines();
        let Some(i) = args.iter().position(|a| a == "--filter") else {
            return false;
        };
        let mut values = vec![String::new()];
        let mut chars = args[i + 1].chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => values.last_mut().unwrap().extend(chars.next()),
                '|' => values.push(String::new()),
                c => values.last_mut().unwrap().push(c),
            }
        }
        values.iter().any(|v| {
            v.strip_prefix("FullyQualifiedName=")
                .is_some_and(|v| v.replace("%2C", ",") == test.native)
        })
    }
}

/// `jest --runTestsByPath PATH…`: exact paths.
struct Jest;
impl Model for Jest {
    fn kind(&self) -> RunnerKind {
        RunnerKind::Jest
    }
    fn case(&self, name: &str) -> TestCase {
        let file = format!("src/{name}.test.js");
        case("works", Some(""), Some(&file), Dialect::Jest)
    }
    fn selects(&self, rendered: &Rendered, test: &TestId) -> bool {
        rendered
            .arg_lines()
            .iter()
            .any(|a| !a.starts_with("--") && *a == test.file)
    }
}

/// `mocha --config FILE.cjs --no-package`: the config module's `spec`, each
/// a path mocha takes literally (the file exists).
struct Mocha;
impl Model for Mocha {
    fn kind(&self) -> RunnerKind {
        RunnerKind::Mocha
    }
    fn case(&self, name: &str) -> TestCase {
        let file = format!("test/{name}.spec.js");
        case("works", Some(""), Some(&file), Dialect::Mocha)
    }
    fn selects(&self, rendered: &Rendered, test: &TestId) -> bool {
        let args = rendered.arg_lines();
        let Some(config) = args.iter().find_map(|a| a.strip_prefix("--config=")) else {
            return false;
        };
        let Some((_, module)) = rendered
            .files
            .iter()
            .find(|(path, _)| path.display().to_string() == config)
        else {
            return false;
        };
        let Some((_, specs)) = module.split_once("spec: [\n") else {
            return false;
        };
        specs
            .lines()
            .filter_map(|l| l.trim().strip_suffix(','))
            .filter_map(|l| serde_json::from_str::<String>(l).ok())
            .any(|spec| spec == test.file)
    }
}

fn models() -> Vec<Box<dyn Model>> {
    vec![
        Box::new(Plain),
        Box::new(Pytest),
        Box::new(Go),
        Box::new(Nextest),
        Box::new(Cargo),
        Box::new(Phpunit),
        Box::new(Dotnet),
        Box::new(Jest),
        Box::new(Mocha),
    ]
}

fn render(
    runner: &dyn Runner,
    shards: &[Vec<Member<'_>>],
    index: usize,
    catch_all: Option<usize>,
) -> Rendered {
    let list_file = ListFile {
        path: PathBuf::from("/tmp/shardplan-runner-filters.list"),
        forced: false,
    };
    // Each shard's groups in reverse key order, as a plan's longest-first
    // order may have them: the order of a command's groups never changes
    // what it selects.
    let longest_first: Vec<Vec<&str>> = shards
        .iter()
        .map(|members| {
            let mut groups: Vec<&str> = members.iter().map(|m| m.test.file.as_str()).collect();
            groups.sort_unstable_by(|a, b| b.cmp(a));
            groups.dedup();
            groups
        })
        .collect();
    let ctx = RenderContext {
        index,
        shards: Shards::new(shards),
        catch_all,
        list_file: &list_file,
        longest_first: &longest_first,
    };
    runner.render(&ctx).expect("renders")
}

/// Names full of what filters must escape.
fn name() -> impl Strategy<Value = String> {
    proptest::string::string_regex(
        "[a-zA-Z0-9_ .\\[\\](){}*?+^$|\\\\/'\"`,;:=!~&#%@<>-]{0,6}[éü€😀\u{301}]?[a-zA-Z0-9 .\\[\\]()'\"|\\\\\n\t\u{1b}\u{7f}\u{85}]{0,3}",
    )
    .unwrap()
}

/// Checks every runner on one name and a sibling extending it; returns
/// how many runners could select both (so were checked).
fn check(base: &str, suffix: &str) -> Result<usize, TestCaseError> {
    let mut checked = 0;
    for model in models() {
        let runner = model.kind().runner();
        let target_case = model.case(base);
        let sibling_case = model.case(&format!("{base}{suffix}"));
        let (target, sibling) = match (
            selectable(runner.as_ref(), &target_case),
            selectable(runner.as_ref(), &sibling_case),
        ) {
            (Ok(t), Ok(s)) => (t, s),
            (Err(NotSelectable::ControlCharacter), _)
            | (_, Err(NotSelectable::ControlCharacter)) => {
                prop_assert!(
                    unprintable(base).is_some(),
                    "{} refused {base:?}",
                    runner.name()
                );
                continue;
            }
            // The runner cannot select such a name at all (a go test
            // must be an identifier, a dotnet method has no space).
            _ => continue,
        };
        for id in [&target, &sibling] {
            for text in [&id.native, &id.class, &id.file] {
                prop_assert!(
                    unprintable(text).is_none(),
                    "{} accepted {text:?}",
                    runner.name()
                );
            }
        }
        if target.native == sibling.native {
            continue;
        }
        let shards = vec![
            vec![Member {
                test: target.as_ref(),
                by: Granularity::Test,
            }],
            vec![Member {
                test: sibling.as_ref(),
                by: Granularity::Test,
            }],
        ];
        for catch_all in [None, Some(1)] {
            let zero = render(runner.as_ref(), &shards, 0, catch_all);
            for line in zero.lines() {
                prop_assert!(unprintable(&line).is_none(), "{}: {line:?}", runner.name());
            }
            // Groups split across shards are selected test by test.
            if target.file == sibling.file {
                prop_assert!(
                    model.selects(&zero, &target),
                    "{} shard 0 does not run {:?}: {:?}",
                    runner.name(),
                    target.native,
                    zero.lines()
                );
                prop_assert!(
                    !model.selects(&zero, &sibling),
                    "{} shard 0 also runs {:?}: {:?}",
                    runner.name(),
                    sibling.native,
                    zero.lines()
                );
            } else {
                prop_assert!(
                    model.selects(&zero, &target),
                    "{} shard 0: {:?}",
                    runner.name(),
                    zero.lines()
                );
                prop_assert!(
                    !model.selects(&zero, &sibling),
                    "{} shard 0: {:?}",
                    runner.name(),
                    zero.lines()
                );
            }
            let one = render(runner.as_ref(), &shards, 1, catch_all);
            for line in one.lines() {
                prop_assert!(unprintable(&line).is_none(), "{}: {line:?}", runner.name());
            }
            if catch_all.is_none() {
                prop_assert!(
                    model.selects(&one, &sibling),
                    "{} shard 1: {:?}",
                    runner.name(),
                    one.lines()
                );
                prop_assert!(
                    !model.selects(&one, &target),
                    "{} shard 1 runs {:?}: {:?}",
                    runner.name(),
                    target.native,
                    one.lines()
                );
            }
        }
        checked += 1;
    }
    Ok(checked)
}

/// Every model is exercised: on a plain name every runner selects both.
#[test]
fn every_runner_is_checked_on_plain_and_nasty_names() {
    assert_eq!(
        check("Alpha", "[x]").unwrap(),
        models().len() - 1 /* go: not an identifier */
    );
    assert_eq!(check("Alpha", "Beta").unwrap(), models().len());
    for nasty in [
        "a b", "it's", "a\"b", "$HOME", "x|y", "(a)", "é😀", "a*b?", "a;b", "a,b", "a=b",
    ] {
        check(nasty, "[1]").unwrap();
    }
    for refused in ["a\nb", "e\u{1b}[31m", "x\u{85}"] {
        check(refused, "z").unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn each_runner_selects_exactly_its_test(base in name(), suffix in "[a-z\\[\\]().|*]{1,3}") {
        check(&base, &suffix)?;
    }
}

/// How many of `rendered` shards' go commands run `test`.
fn go_runs(rendered: &[Rendered], test: &TestId) -> Vec<usize> {
    (0..rendered.len())
        .filter(|&s| Go.selects(&rendered[s], test))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// go packages split across shards share `go test -run` commands, whose
    /// pattern applies to every package named: over suites where test
    /// names repeat across packages, each planned test still runs on its
    /// shard only, and with a catch-all, a test added since the timings
    /// (under a name other packages use) runs exactly once.
    #[test]
    fn go_shared_commands_run_each_test_exactly_once(
        planned in proptest::collection::btree_map((0..4usize, 0..5usize), 0..3usize, 1..16),
        added in proptest::collection::btree_set((0..4usize, 0..5usize), 0..6),
        catch_all in proptest::option::of(0..3usize),
    ) {
        let id = |package: usize, name: usize| {
            let case = case(
                &format!("Test{}", ["A", "B", "C", "D", "E"][name]),
                Some(&format!("example.com/p{package}")),
                None,
                Dialect::Go,
            );
            selectable(RunnerKind::Go.runner().as_ref(), &case).expect("a go test")
        };
        let ids: Vec<(TestId, usize)> = planned.iter().map(|(&(p, n), &s)| (id(p, n), s)).collect();
        let mut shards: Vec<Vec<Member<'_>>> = vec![Vec::new(); 3];
        for (test, shard) in &ids {
            shards[*shard].push(Member { test: test.as_ref(), by: Granularity::Test });
        }
        for members in &mut shards {
            members.sort_by(|a, b| a.test.native.cmp(b.test.native));
        }
        // A catch-all is never empty (`shard::catch_all` takes the last
        // shard with tests).
        let catch_all = catch_all.map(|c| {
            if shards[c].is_empty() {
                shards.iter().rposition(|s| !s.is_empty()).expect("a planned test")
            } else {
                c
            }
        });
        let runner = RunnerKind::Go.runner();
        let rendered: Vec<Rendered> =
            (0..3).map(|s| render(runner.as_ref(), &shards, s, catch_all)).collect();
        for (test, shard) in &ids {
            prop_assert_eq!(go_runs(&rendered, test), vec![*shard], "{} {:?}", test.native,
                rendered.iter().map(Rendered::lines).collect::<Vec<_>>());
        }
        let known: std::collections::BTreeSet<&str> =
            ids.iter().map(|(t, _)| t.file.as_str()).collect();
        for &(p, n) in added.iter().filter(|k| !planned.contains_key(k)) {
            let test = id(p, n);
            let runs = go_runs(&rendered, &test);
            // A package the plan does not know runs nowhere (a warning says
            // so); without a catch-all the listing is the whole suite.
            if catch_all.is_some() && known.contains(test.file.as_str()) {
                prop_assert_eq!(runs.len(), 1, "{} {:?}", test.native,
                    rendered.iter().map(Rendered::lines).collect::<Vec<_>>());
            } else {
                prop_assert!(runs.len() <= 1, "{} runs on {:?}", test.native, runs);
            }
        }
    }
}
