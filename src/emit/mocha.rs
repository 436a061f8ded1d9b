//! Mocha: the unit is the spec file (`formats.md` §11.13). mocha-junit-reporter
//! puts the spec file on each `<testsuite file=…>` (absolute), which reaches
//! the test case as its file.

use super::pattern::glob_escape;
use super::*;

/// `mocha` arguments: spec files (glob-escaped, as mocha expands specs as
/// globs), or `--ignore` globs for the catch-all.
pub struct Mocha;

/// What `--exec` runs the arguments with: the project's own mocha.
const LAUNCHER: &[&str] = &["npx", "--no", "--", "mocha"];

impl Naming for Mocha {
    fn name(&self) -> &'static str {
        "mocha"
    }

    fn accepts(&self, dialect: Dialect) -> bool {
        matches!(dialect, Dialect::Mocha | Dialect::Generic)
    }

    /// The unit is the file: a test without a name still proves it.
    fn names_tests(&self) -> bool {
        false
    }

    /// The spec file: the case's `file` (relative to the current directory
    /// when under it). Root-suite cases without a file cannot be placed.
    fn identify(&self, case: &TestCase) -> Option<TestId> {
        case.file.as_deref().filter(|f| !f.trim().is_empty())?;
        jest::Jest.identify(case)
    }

    /// Reads spec file paths, one per line (absolute ones made relative to
    /// the current directory).
    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError> {
        jest::Jest.parse_listing(text)
    }
}

impl Runner for Mocha {
    /// Spec files as arguments; the catch-all passes none (so mocha runs its
    /// configured `spec`) and `--ignore=GLOB` for each other shard's file.
    /// Mocha reads no list file. An empty shard loads the specs and runs no
    /// test (`--grep` with a regex that never matches); mocha exits 0.
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String> {
        if ctx.is_empty() {
            return Ok(Rendered::args(LAUNCHER, vec!["--grep=(?!)".to_string()])
                .notice(ctx.empty_notice("`--grep=(?!)`, which no test title matches")));
        }
        let args: Vec<String> = if ctx.is_catch_all() {
            ctx.others()
                .groups
                .iter()
                .map(|f| format!("--ignore={}", glob_escape(f)))
                .collect()
        } else {
            ctx.selection(ctx.index)
                .groups
                .iter()
                .map(|f| glob_escape(f))
                .collect()
        };
        let bytes: usize = args.iter().map(|a| a.len() + 1).sum();
        let mut rendered = Rendered::args(LAUNCHER, args);
        if ctx.wants_file(bytes) {
            rendered = rendered.notice(ctx.too_long_notice("mocha", bytes));
        }
        Ok(rendered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::render::testing::Fixture;
    use crate::emit::test_support::{case, file_id};

    #[test]
    fn identifies_by_the_suite_file_only() {
        let mut case = case(
            "adds two numbers",
            Some("adds two numbers"),
            Some("math"),
            Some("test/math.spec.js"),
            Dialect::Mocha,
        );
        assert_eq!(Mocha.identify(&case), Some(file_id("test/math.spec.js")));
        case.file = None;
        assert_eq!(Mocha.identify(&case), None);
    }

    #[test]
    fn renders_escaped_specs_and_ignores_for_the_catch_all() {
        let f = Fixture::new(vec![
            vec![file_id("test/a.spec.js"), file_id("test/[b].spec.js")],
            vec![file_id("test/c.spec.js")],
        ]);
        assert_eq!(
            f.render(&Mocha, Granularity::File, 0, Some(1)).arg_lines(),
            [r"test/\[b\].spec.js", "test/a.spec.js"]
        );
        assert_eq!(
            f.render(&Mocha, Granularity::File, 1, Some(1)).arg_lines(),
            [r"--ignore=test/\[b\].spec.js", "--ignore=test/a.spec.js"]
        );
        let empty = Fixture::new(vec![vec![file_id("a.js")], vec![]]);
        assert_eq!(
            empty.render(&Mocha, Granularity::File, 1, None).arg_lines(),
            ["--grep=(?!)"]
        );
    }
}
