//! `cargo test` (libtest): tests are named as nextest names them (`<binary
//! id> <test path>`), and each test binary is its own invocation, since
//! libtest's filters apply to every binary cargo runs (`formats.md` §11.3).

use std::collections::BTreeMap;

use super::render::{Item, SAFE_COMMAND_BYTES};
use super::*;

/// `cargo test -p PKG --test NAME -- --exact a::b c::d` commands, one per
/// test binary.
///
/// Binary ids map to cargo's target selection: `crate` is the library
/// (`--lib`), `crate::name` an integration test (`--test name`),
/// `crate::bin/name` a binary's unit tests (`--bin name`), and likewise
/// `example/` and `bench/`. `--exact` makes each filter a whole test path,
/// and with it `--skip` too, which is how the catch-all excludes the other
/// shards' tests of a binary.
pub struct Cargo;

/// cargo's package and target flags for a nextest binary id.
fn target_args(binary: &str) -> Vec<String> {
    let (package, target) = binary.split_once("::").unwrap_or((binary, ""));
    let mut argv = vec!["-p".to_string(), package.to_string()];
    let flag = match target.split_once('/') {
        None if target.is_empty() => vec!["--lib".to_string()],
        None => vec!["--test".to_string(), target.to_string()],
        Some((kind, name)) => vec![format!("--{kind}"), name.to_string()],
    };
    argv.extend(flag);
    argv
}

/// `cargo test <target> [-- --exact FILTER… | --exact --skip NAME…]`;
/// extra arguments go after `cargo test`, before libtest's `--`.
fn test_command(binary: &str, exact: &[&str], skip: &[&str]) -> Command {
    let mut argv = vec!["cargo".to_string(), "test".to_string()];
    argv.extend(target_args(binary));
    if !exact.is_empty() || !skip.is_empty() {
        argv.push("--".to_string());
        argv.push("--exact".to_string());
        argv.extend(exact.iter().map(|t| t.to_string()));
        for name in skip {
            argv.push("--skip".to_string());
            argv.push(name.to_string());
        }
    }
    Command::new(argv, 2)
}

/// Splits one binary's tests into commands under the safe length.
fn chunks<'a>(tests: &[&'a str], binary: &str) -> Vec<Vec<&'a str>> {
    let budget = SAFE_COMMAND_BYTES.saturating_sub(binary.len() + 48);
    let mut out: Vec<Vec<&'a str>> = Vec::new();
    let mut length = 0;
    for &test in tests {
        let cost = test.len() + 3;
        match out.last_mut() {
            Some(chunk) if length + cost <= budget => {
                chunk.push(test);
                length += cost;
            }
            _ => {
                out.push(vec![test]);
                length = cost;
            }
        }
    }
    out
}

/// The test paths of `items` by binary. An item coarser than a test is a
/// module, which libtest cannot select exactly, so its planned tests are
/// listed one by one.
fn by_binary<'a>(ctx: &RenderContext<'a>, items: &[Item<'a>]) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for test in ctx.tests_of(items) {
        let path = test.native.split_once(' ').map_or("", |(_, p)| p);
        out.entry(test.file.as_str()).or_default().push(path);
    }
    out
}

impl Naming for Cargo {
    fn name(&self) -> &'static str {
        "cargo"
    }

    fn accepts(&self, dialect: Dialect) -> bool {
        dialect == Dialect::Nextest
    }

    fn identify(&self, case: &TestCase) -> Option<TestId> {
        nextest::Nextest.identify(case)
    }

    /// Reads `cargo nextest list --message-format oneline`, whose binary ids
    /// are what this runner turns back into cargo's target flags.
    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError> {
        nextest::Nextest.parse_listing(text)
    }
}

impl Runner for Cargo {
    /// One command per binary: whole binaries without filters, the others
    /// with `--exact` test paths (split under the safe length). The
    /// catch-all runs each binary the plan knows and no other shard holds
    /// whole, skipping the other shards' tests; binaries the plan does not
    /// know cannot be named, which a notice says.
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String> {
        if ctx.is_empty() {
            return Ok(Rendered::commands(Vec::new())
                .notice(ctx.empty_notice("no command (an empty script)")));
        }
        let mut commands = Vec::new();
        if ctx.is_catch_all() {
            let others = ctx.others();
            let skipped = by_binary(ctx, &others.items);
            for binary in ctx.all_groups() {
                if others.groups.binary_search(&binary).is_err() {
                    let skip = skipped.get(binary).map_or(&[][..], Vec::as_slice);
                    commands.push(test_command(binary, &[], skip));
                }
            }
            commands.sort_by(|a, b| a.argv.cmp(&b.argv));
            return Ok(Rendered::commands(commands).warn(format!(
                "shard {} is the catch-all: it runs the tests not planned elsewhere in every \
                 test binary the plan knows, but cargo cannot exclude targets, so a test binary \
                 added since the timings runs on NO shard; --tests-from avoids this",
                ctx.index
            )));
        }
        let selection = ctx.selection(ctx.index);
        for binary in &selection.groups {
            commands.push(test_command(binary, &[], &[]));
        }
        for (binary, tests) in by_binary(ctx, &selection.items) {
            for chunk in chunks(&tests, binary) {
                commands.push(test_command(binary, &chunk, &[]));
            }
        }
        commands.sort_by(|a, b| a.argv.cmp(&b.argv));
        Ok(Rendered::commands(commands))
    }

    fn starts_per_group(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::render::testing::Fixture;

    fn id(binary: &str, test: &str) -> TestId {
        nextest::test_id(binary, test)
    }

    fn fixture() -> Fixture {
        Fixture::new(vec![
            vec![
                id("my-crate", "a::tests::one"),
                id("my-crate::bin/tool-x", "tests::bin_test"),
                id("my-crate::integration", "it works"),
            ],
            vec![
                id("my-crate", "a::tests::two"),
                id("my-crate", "café"),
                id("my-crate::example/demo", "t"),
                id("my-crate::bench/speed", "b"),
            ],
        ])
    }

    #[test]
    fn maps_binary_ids_to_targets() {
        assert_eq!(target_args("my-crate"), ["-p", "my-crate", "--lib"]);
        assert_eq!(
            target_args("my-crate::integration"),
            ["-p", "my-crate", "--test", "integration"]
        );
        assert_eq!(
            target_args("my-crate::bin/tool-x"),
            ["-p", "my-crate", "--bin", "tool-x"]
        );
        assert_eq!(
            target_args("my-crate::example/demo"),
            ["-p", "my-crate", "--example", "demo"]
        );
    }

    #[test]
    fn renders_one_command_per_binary() {
        let f = fixture();
        assert_eq!(
            f.render(&Cargo, Granularity::Test, 0, None).command_lines(),
            [
                "cargo test -p my-crate --bin tool-x",
                "cargo test -p my-crate --lib -- --exact a::tests::one",
                "cargo test -p my-crate --test integration",
            ]
        );
        assert_eq!(
            f.render(&Cargo, Granularity::Test, 1, None).command_lines(),
            [
                "cargo test -p my-crate --bench speed",
                "cargo test -p my-crate --example demo",
                "cargo test -p my-crate --lib -- --exact a::tests::two 'café'",
            ]
        );
    }

    #[test]
    fn catch_all_skips_the_others_exactly() {
        let f = fixture();
        let r = f.render(&Cargo, Granularity::Test, 1, Some(1));
        assert_eq!(
            r.command_lines(),
            [
                "cargo test -p my-crate --bench speed",
                "cargo test -p my-crate --example demo",
                "cargo test -p my-crate --lib -- --exact --skip a::tests::one",
            ]
        );
        assert!(
            r.warnings[0].contains("cannot exclude targets"),
            "{:?}",
            r.notices
        );
    }

    #[test]
    fn extra_arguments_go_before_libtests_separator() {
        let f = fixture();
        let r = f.render(&Cargo, Granularity::Test, 0, None);
        let commands = r
            .output
            .commands(&["--release".to_string()])
            .expect("commands");
        assert_eq!(
            commands[1],
            [
                "cargo",
                "test",
                "--release",
                "-p",
                "my-crate",
                "--lib",
                "--",
                "--exact",
                "a::tests::one"
            ]
        );
    }

    #[test]
    fn modules_are_listed_test_by_test() {
        let f = Fixture::new(vec![
            vec![
                id("my-crate", "a::tests::one"),
                id("my-crate", "a::tests::two"),
            ],
            vec![id("my-crate", "café")],
        ]);
        assert_eq!(
            f.render(&Cargo, Granularity::Class, 0, None)
                .command_lines(),
            ["cargo test -p my-crate --lib -- --exact a::tests::one a::tests::two"]
        );
    }

    #[test]
    fn empty_shard_runs_nothing() {
        let f = Fixture::new(vec![vec![id("c", "t")], vec![]]);
        let r = f.render(&Cargo, Granularity::Test, 1, None);
        assert!(r.command_lines().is_empty());
        assert!(r.notices[0].contains("nothing to run"));
    }
}
