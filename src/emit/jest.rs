//! Jest (and Vitest): the unit is the test file, given by exact path
//! (`jest --runTestsByPath`, `formats.md` §11.5); names inside a file are
//! not reliably selectable.

use std::path::Path;

use super::pattern::regex_escape;
use super::*;
use crate::identity::{normalize_path, relative_to};

/// Test file paths, one per line, for `jest --runTestsByPath $(…)` or
/// `vitest run $(…)`; paths with spaces need `xargs -d '\n' jest
/// --runTestsByPath < shard.txt` instead.
pub struct Jest;

/// Extensions of files Jest and Vitest run by default.
const EXTENSIONS: [&str; 8] = [".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts"];

/// A report value that names a test file: Vitest's suite name and default
/// classname, or jest-junit's with a `{filepath}` template. Describe titles
/// are not paths; one with a slash and spaces (`GET /users`) is rejected
/// unless it ends in a script extension.
fn as_test_path(value: &str) -> Option<String> {
    let path = normalize_path(value);
    let has_extension = EXTENSIONS.iter().any(|ext| path.ends_with(ext));
    let path_like = path.contains('/') && !path.contains(char::is_whitespace);
    (has_extension || path_like).then_some(path)
}

/// Paths as reports and listings both hold them: relative to `base` when
/// under it (jest prints absolute paths), else as normalised.
fn relative_path(path: &str, base: Option<&Path>) -> String {
    let normal = normalize_path(path);
    if !normal.starts_with('/') {
        return normal;
    }
    base.and_then(|base| relative_to(&normal, &base.to_string_lossy()))
        .unwrap_or(normal)
}

fn test_id(path: String) -> TestId {
    TestId::whole(path)
}

fn parse_listing_in(text: &str, base: Option<&Path>) -> Result<Vec<TestId>, ListError> {
    listing_lines(text)
        .map(|(line_no, line)| {
            if line.contains(char::is_control) {
                return Err(ListError {
                    line: line_no,
                    message: format!("`{}` is not a test file path", line.escape_debug()),
                });
            }
            Ok(test_id(relative_path(line, base)))
        })
        .collect()
}

impl Naming for Jest {
    fn name(&self) -> &'static str {
        "jest"
    }

    fn accepts(&self, dialect: Dialect) -> bool {
        matches!(dialect, Dialect::Jest | Dialect::Vitest | Dialect::Generic)
    }

    /// The unit is the file: a test without a name still proves it.
    fn names_tests(&self) -> bool {
        false
    }

    fn identify(&self, case: &TestCase) -> Option<TestId> {
        identified(self, case)
    }

    /// A case's id is its file, worked out once for the cases recorded in
    /// one place: the path normalised and made relative to the current
    /// directory, which is asked for once a place, not once a case.
    fn identify_into(
        &self,
        case: &TestCase,
        native: &mut String,
        scope: &mut Scope,
    ) -> Option<(Option<Text>, Text)> {
        if !scope.holds(case) {
            let path = match case.file.as_deref().filter(|f| !f.trim().is_empty()) {
                Some(file) => Some(normalize_path(file)),
                None => [&case.suite, &case.classname]
                    .into_iter()
                    .flatten()
                    .find_map(|value| as_test_path(value)),
            };
            if let Some(path) = path {
                let base = std::env::current_dir().ok();
                let path = relative_path(&path, base.as_deref());
                scope.prefix.push_str(&path);
                scope.file = Some(path.into());
            }
        }
        let file = scope.file.as_ref()?;
        native.push_str(&scope.prefix);
        Some((Some(file.clone()), file.clone()))
    }

    /// Reads `jest --listTests` (absolute paths, made relative to the
    /// current directory when under it) or a list of relative paths.
    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError> {
        let base = std::env::current_dir().ok();
        parse_listing_in(text, base.as_deref())
    }

    fn unidentified_reason(&self) -> &'static str {
        "no test file path in the report: jest-junit's defaults name tests by describe titles; \
         set addFileAttribute=true (or a {filepath} classNameTemplate)"
    }

    fn unidentified_needs_fixing(&self) -> bool {
        true
    }
}

impl Runner for Jest {
    /// A test file runs in one worker, its tests one after another.
    fn runs_groups_serially(&self) -> bool {
        true
    }

    /// Test file paths for `jest --runTestsByPath` (exact paths, no regex).
    /// The catch-all is `--testPathIgnorePatterns` with each other shard's
    /// file as an anchored regex (plus jest's default `/node_modules/`,
    /// which a command-line value replaces). Past the safe command length,
    /// or with `--list-file`, the list goes to a `--filter` module instead.
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String> {
        if ctx.is_empty() {
            return Ok(Rendered::args(LAUNCHER, no_op())
                .notice(ctx.empty_notice("a path no test has, with --passWithNoTests")));
        }
        let (files, exclude) = if ctx.is_catch_all() {
            (ctx.others().groups, true)
        } else {
            (ctx.selection(ctx.index).groups, false)
        };
        let args: Vec<String> = if exclude {
            std::iter::once("--testPathIgnorePatterns=/node_modules/".to_string())
                .chain(
                    files
                        .iter()
                        .map(|f| format!("--testPathIgnorePatterns={}", ignore_pattern(f))),
                )
                .collect()
        } else {
            files.iter().map(|f| f.to_string()).collect()
        };
        let bytes: usize = args.iter().map(|a| a.len() + 1).sum();
        if !ctx.wants_file(bytes) {
            return Ok(Rendered::args(LAUNCHER, args));
        }
        let path = ctx.list_file.path_for("js");
        let module = filter_module(ctx, &files, exclude);
        Ok(
            Rendered::args(LAUNCHER, vec![format!("--filter={}", path.display())])
                .file(path, module),
        )
    }
}

/// What `--exec` runs the arguments with: the project's own jest, never a
/// download.
const LAUNCHER: &[&str] = &["npx", "--no", "--", "jest", "--runTestsByPath"];

/// jest's no-op: `--runTestsByPath` a path no test has, which passes with
/// `--passWithNoTests`.
fn no_op() -> Vec<String> {
    vec![
        "--passWithNoTests".to_string(),
        "shardplan/no-tests-in-this-shard".to_string(),
    ]
}

/// An anchored regex for one test file, as jest matches ignore patterns
/// against absolute paths: `<rootDir>` for a relative path (jest puts the
/// escaped root there), the path itself for an absolute one.
fn ignore_pattern(path: &str) -> String {
    let escaped = regex_escape(path, "");
    if path.starts_with('/') {
        format!("^{escaped}$")
    } else {
        format!("^<rootDir>/{escaped}$")
    }
}

/// A module for `jest --filter=FILE` (jest 30: `{filtered: string[]}`) that
/// keeps the listed files, or all but them, as absolute paths resolved from
/// the directory jest runs in.
pub fn filter_module(ctx: &RenderContext<'_>, files: &[&str], exclude: bool) -> String {
    let mut out = format!(
        "// Written by shardplan for shard {} of {}: the test files this shard {}.\n\
         // Use: jest --filter=<this file>\n\
         const path = require('path');\nconst listed = new Set([\n",
        ctx.index,
        ctx.count(),
        if exclude {
            "skips (the catch-all runs every other one)"
        } else {
            "runs"
        }
    );
    for file in files {
        let quoted = serde_json::to_string(file).expect("a string serialises");
        out.push_str(&format!("  {quoted},\n"));
    }
    out.push_str(&format!(
        "].map((p) => path.resolve(p)));\n\
         module.exports = async (testPaths) => ({{\n  filtered: testPaths.filter((p) => {}listed.has(p)),\n}});\n",
        if exclude { "!" } else { "" }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::render::testing::Fixture;
    use crate::emit::test_support::{self, case};

    fn id(path: &str) -> TestId {
        test_id(path.to_string())
    }

    #[test]
    fn accepts_jest_vitest_and_generic() {
        assert!(Jest.accepts(Dialect::Jest));
        assert!(Jest.accepts(Dialect::Vitest));
        assert!(Jest.accepts(Dialect::Generic));
        assert!(!Jest.accepts(Dialect::Playwright));
        assert!(!Jest.accepts(Dialect::Mocha));
    }

    #[test]
    fn file_attribute_wins() {
        // test-reporter fixture with `file=` on testcases.
        let c = case(
            "under addition",
            Some("real numbers forming a monoid"),
            Some("real numbers forming a monoid"),
            Some("packages/test-runner-junit-reporter/test/fixtures/multiple/simple-test.js"),
            Dialect::Generic,
        );
        assert_eq!(
            Jest.identify(&c),
            Some(id(
                "packages/test-runner-junit-reporter/test/fixtures/multiple/simple-test.js"
            ))
        );
    }

    #[test]
    fn suite_or_classname_when_it_is_a_path() {
        // test-reporter `jest-junit.xml`: suite named by a Windows path.
        let c = case(
            "Passing test",
            Some("Test 1"),
            Some(r"__tests__\main.test.js"),
            None,
            Dialect::Jest,
        );
        assert_eq!(Jest.identify(&c), Some(id("__tests__/main.test.js")));
        // Vitest: suite and classname are the file relative to the root.
        let c = case(
            "math > adds",
            Some("src/math.test.ts"),
            Some("src/math.test.ts"),
            None,
            Dialect::Vitest,
        );
        assert_eq!(Jest.identify(&c), Some(id("src/math.test.ts")));
        // jest-junit with `classNameTemplate="{filepath}"`.
        let c = case(
            "adds",
            Some("./test/sum.spec.mjs"),
            Some("sum"),
            None,
            Dialect::Jest,
        );
        assert_eq!(Jest.identify(&c), Some(id("test/sum.spec.mjs")));
    }

    #[test]
    fn describe_titles_are_not_paths() {
        // jest-junit defaults: describe titles everywhere.
        let c = case(
            "Failing test",
            Some("Test 1 › Test 1.1"),
            Some("Test 1"),
            None,
            Dialect::Jest,
        );
        assert_eq!(Jest.identify(&c), None);
        let c = case(
            "lists users",
            Some("GET /users lists users"),
            Some("GET /users"),
            None,
            Dialect::Jest,
        );
        assert_eq!(Jest.identify(&c), None);
    }

    #[test]
    fn listing_makes_absolute_paths_relative_to_the_base() {
        let base = Path::new("/home/me/repo");
        let text = "/home/me/repo/src/a.test.ts\n/home/me/repo/./src/../lib/b.spec.js\n\n\
                    /elsewhere/c.test.js\nsrc/d.test.tsx\n";
        assert_eq!(
            parse_listing_in(text, Some(base)),
            Ok(vec![
                id("src/a.test.ts"),
                id("lib/b.spec.js"),
                id("/elsewhere/c.test.js"),
                id("src/d.test.tsx")
            ])
        );
        assert_eq!(
            parse_listing_in("/home/me/repo/a.test.js\n", None),
            Ok(vec![id("/home/me/repo/a.test.js")])
        );
    }

    #[test]
    fn listing_reads_jest_list_tests_output() {
        // `jest --listTests` from jest 30, run in /tmp/sp_jest.
        let text = "/tmp/sp_jest/src/a.test.js\n/tmp/sp_jest/src/sub/c d.test.js\n/tmp/sp_jest/src/sub/b.spec.js\n";
        assert_eq!(
            parse_listing_in(text, Some(Path::new("/tmp/sp_jest"))),
            Ok(vec![
                id("src/a.test.js"),
                id("src/sub/c d.test.js"),
                id("src/sub/b.spec.js")
            ])
        );
    }

    #[test]
    fn listing_uses_the_current_directory() {
        let cwd = std::env::current_dir().expect("cwd");
        let text = format!("{}/tests/x.test.js\n", cwd.display());
        assert_eq!(Jest.parse_listing(&text), Ok(vec![id("tests/x.test.js")]));
        let c = case(
            "t",
            None,
            None,
            Some(&format!("{}/tests/x.test.js", cwd.display())),
            Dialect::Jest,
        );
        assert_eq!(Jest.identify(&c), Some(id("tests/x.test.js")));
    }

    #[test]
    fn listing_rejects_control_characters() {
        assert_eq!(
            parse_listing_in("a.test.js\n\u{1b}[31mb.test.js\n", None)
                .unwrap_err()
                .line,
            2
        );
    }

    fn fixture() -> Fixture {
        Fixture::new(vec![
            vec![id("src/a b.test.ts"), id("src/it's.test.js")],
            vec![id("src/c.test.js"), id("/abs/d.test.js")],
        ])
    }

    #[test]
    fn renders_one_path_per_line() {
        let r = fixture().render(&Jest, Granularity::File, 0, None);
        assert_eq!(r.arg_lines(), ["src/a b.test.ts", "src/it's.test.js"]);
        assert_eq!(
            r.output.commands(&["--ci".into()]).expect("runs")[0],
            [
                "npx",
                "--no",
                "--",
                "jest",
                "--runTestsByPath",
                "src/a b.test.ts",
                "src/it's.test.js",
                "--ci"
            ]
        );
    }

    #[test]
    fn catch_all_ignores_the_other_files_by_anchored_regex() {
        let r = fixture().render(&Jest, Granularity::File, 1, Some(1));
        assert_eq!(
            r.arg_lines(),
            [
                "--testPathIgnorePatterns=/node_modules/",
                r"--testPathIgnorePatterns=^<rootDir>/src/a b\.test\.ts$",
                r"--testPathIgnorePatterns=^<rootDir>/src/it's\.test\.js$",
            ]
        );
        let r = fixture().render(&Jest, Granularity::File, 0, Some(0));
        assert_eq!(
            r.arg_lines()[1],
            r"--testPathIgnorePatterns=^/abs/d\.test\.js$"
        );
    }

    #[test]
    fn long_lists_go_to_a_filter_module() {
        let r = fixture()
            .forced()
            .render(&Jest, Granularity::File, 1, Some(1));
        assert_eq!(r.arg_lines(), ["--filter=/tmp/shard.list"]);
        let module = &r.files[0].1;
        assert!(
            module.contains("  \"src/a b.test.ts\",\n  \"src/it's.test.js\",\n"),
            "{module}"
        );
        assert!(
            module.contains("testPaths.filter((p) => !listed.has(p))"),
            "{module}"
        );
        let r = Fixture::new(fixture().shards).render(&Jest, Granularity::File, 0, None);
        assert!(r.files.is_empty());
    }

    #[test]
    fn empty_shard_passes_with_no_tests() {
        let f = Fixture::new(vec![vec![id("a.test.js")], vec![]]);
        let r = f.render(&Jest, Granularity::File, 1, None);
        assert_eq!(
            r.arg_lines(),
            ["--passWithNoTests", "shardplan/no-tests-in-this-shard"]
        );
        assert!(r.notices[0].contains("nothing to run"));
    }

    #[test]
    fn ids_written_in_a_shared_scope_are_the_ids_named_alone() {
        let jest = |name, classname, suite, file| case(name, classname, suite, file, Dialect::Jest);
        let cases = [
            jest("a", Some("A"), Some("A"), Some("src/a.test.ts")),
            jest("b", Some("A"), Some("A"), Some("src/a.test.ts")),
            jest("c", Some("A"), Some("A"), Some("./src/b.test.ts")),
            // Without a file: the suite or classname as a path, else none.
            jest("d", Some("B"), Some("src/c.test.js"), None),
            jest("e", Some("B"), Some("describe title"), None),
            jest("f", Some("B"), Some("src/c.test.js"), None),
            jest("g", Some("A"), Some("A"), Some("src/a.test.ts")),
        ];
        test_support::assert_ids_in_a_shared_scope(&Jest, &cases);
        test_support::assert_ids_in_a_shared_scope(&crate::emit::vitest::Vitest, &cases);
    }
}
