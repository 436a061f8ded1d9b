//! Vitest: the unit is the test file, named as the Jest runner names it
//! (`formats.md` §11.6). Vitest filters files by case-insensitive
//! *substring* of the root-relative path, so a filter can take along other
//! files whose path contains it; those the plan knows are excluded by exact
//! glob.

use super::pattern::glob_escape;
use super::*;

/// `vitest run` arguments: file paths, with `--exclude` for known files a
/// path would also match.
pub struct Vitest;

/// What `--exec` runs the arguments with: the project's own vitest.
const LAUNCHER: &[&str] = &["npx", "--no", "--", "vitest", "run"];

/// Whether vitest's filter `filter` takes `file` along (its substring test,
/// case-insensitive).
fn over_matches(filter: &str, file: &str) -> bool {
    file.to_lowercase().contains(&filter.to_lowercase())
}

impl Naming for Vitest {
    fn name(&self) -> &'static str {
        "vitest"
    }

    fn accepts(&self, dialect: Dialect) -> bool {
        matches!(dialect, Dialect::Vitest | Dialect::Generic)
    }

    /// The unit is the file: a test without a name still proves it.
    fn names_tests(&self) -> bool {
        false
    }

    /// Vitest's JUnit reporter names each suite and classname by the file
    /// relative to the root, which the Jest runner reads.
    fn identify(&self, case: &TestCase) -> Option<TestId> {
        jest::Jest.identify(case)
    }

    fn identify_into(
        &self,
        case: &TestCase,
        native: &mut String,
        scope: &mut Scope,
    ) -> Option<(Option<Text>, Text)> {
        jest::Jest.identify_into(case, native, scope)
    }

    /// Reads `vitest list --filesOnly` (absolute paths, made relative to the
    /// current directory) or a list of relative paths.
    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError> {
        jest::Jest.parse_listing(text)
    }
}

impl Runner for Vitest {
    /// A test file runs in one worker, its tests one after another.
    fn runs_groups_serially(&self) -> bool {
        true
    }

    /// Files as positional filters plus `--exclude=GLOB` for every known
    /// file of another shard that a filter would also match; the catch-all
    /// is `--exclude=GLOB` for every file of the other shards. Vitest reads
    /// no list file. A test file added since the timings whose path contains
    /// a selected path (`a.test.ts` in `a.test.tsx`) is taken along by the
    /// substring match, which a catch-all shard's notice warns about.
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String> {
        if ctx.is_empty() {
            return Ok(Rendered::args(
                LAUNCHER,
                vec![
                    "--passWithNoTests".to_string(),
                    "shardplan/no-tests-in-this-shard".to_string(),
                ],
            )
            .notice(ctx.empty_notice("a filter no file matches, with --passWithNoTests")));
        }
        let others = ctx.others().groups;
        let mut notices = Vec::new();
        let args: Vec<String> = if ctx.is_catch_all() {
            others
                .iter()
                .map(|f| format!("--exclude={}", glob_escape(f)))
                .collect()
        } else {
            let files = ctx.selection(ctx.index).groups;
            let mut args: Vec<String> = files.iter().map(|f| f.to_string()).collect();
            for other in &others {
                if files.iter().any(|f| over_matches(f, other)) {
                    args.push(format!("--exclude={}", glob_escape(other)));
                }
            }
            if ctx.catch_all.is_some() {
                notices.push(format!(
                    "vitest selects files by substring: a test file added since the timings \
                     whose path contains one of shard {}'s paths runs there and on the catch-all",
                    ctx.index
                ));
            }
            args
        };
        let bytes: usize = args.iter().map(|a| a.len() + 1).sum();
        if ctx.wants_file(bytes) {
            notices.push(ctx.too_long_notice("vitest", bytes));
        }
        let mut rendered = Rendered::args(LAUNCHER, args);
        rendered.notices = notices;
        Ok(rendered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::render::testing::Fixture;
    use crate::emit::test_support::file_id;

    fn fixture() -> Fixture {
        Fixture::new(vec![
            vec![file_id("src/a.test.ts"), file_id("src/[id].test.ts")],
            vec![file_id("src/a.test.tsx"), file_id("lib/src/a.test.ts")],
        ])
    }

    #[test]
    fn renders_paths_and_excludes_what_they_would_take_along() {
        let r = fixture().render(&Vitest, Granularity::File, 0, None);
        assert_eq!(
            r.arg_lines(),
            [
                "src/[id].test.ts",
                "src/a.test.ts",
                "--exclude=lib/src/a.test.ts",
                "--exclude=src/a.test.tsx",
            ]
        );
        assert!(r.notices.is_empty());
        assert_eq!(
            r.output.commands(&[]).expect("runs")[0][..5],
            ["npx", "--no", "--", "vitest", "run"]
        );
    }

    #[test]
    fn catch_all_excludes_every_other_file_by_exact_glob() {
        let r = fixture().render(&Vitest, Granularity::Test, 1, Some(1));
        assert_eq!(
            r.arg_lines(),
            [r"--exclude=src/\[id\].test.ts", "--exclude=src/a.test.ts"]
        );
        let r = fixture().render(&Vitest, Granularity::Test, 0, Some(1));
        assert!(r.notices[0].contains("substring"), "{:?}", r.notices);
    }

    #[test]
    fn empty_shard_passes_with_no_tests() {
        let f = Fixture::new(vec![vec![file_id("a.test.ts")], vec![]]);
        let r = f.render(&Vitest, Granularity::File, 1, None);
        assert_eq!(
            r.arg_lines(),
            ["--passWithNoTests", "shardplan/no-tests-in-this-shard"]
        );
    }
}
