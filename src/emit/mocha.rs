//! Mocha: the unit is the spec file (`formats.md` §11.13). mocha-junit-reporter
//! puts the spec file on each `<testsuite file=…>` (absolute), which reaches
//! the test case as its file.

use super::pattern::minimatch_escape;
use super::*;

/// `mocha` arguments: `--config FILE` naming this shard's spec files, or
/// `--ignore` globs for the catch-all.
///
/// Mocha adds spec arguments (positional or `--spec`) to a `spec` its config
/// sets (`.mocharc.*`, `package.json`) instead of replacing it, so a shard
/// cannot name its files on the command line. It writes a config module
/// instead, which loads the project's own options with mocha's own loader
/// and replaces their `spec` with the shard's files, and passes
/// `--no-package` (that module already holds `package.json`'s options,
/// whose `spec` would be added again).
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

/// The config module for a shard running `files`: the options mocha would
/// load itself (its `.mocharc.*` and `package.json`, found from the current
/// directory), with `spec` replaced by the files, each a literal path (mocha
/// takes a spec that exists as a file as it is, glob metacharacters
/// included).
fn config_module(ctx: &RenderContext<'_>, files: &[&str]) -> String {
    let specs: Vec<String> = files
        .iter()
        .map(|f| format!("  {},\n", serde_json::Value::from(*f)))
        .collect();
    format!(
        "// Written by shardplan for shard {} of {}: `mocha --config <this file> --no-package`.\n\
         // The project's own mocha options, with `spec` replaced by this shard's files\n\
         // (mocha would add spec arguments to a configured `spec`).\n\
         'use strict';\n\
         const {{ loadOptions }} = require(\n  \
         require.resolve('mocha/lib/cli/options', {{ paths: [process.cwd()] }})\n);\n\
         const {{ _, spec, config, package: pkg, ...options }} = loadOptions([]);\n\
         module.exports = {{ ...options, spec: [\n{}] }};\n",
        ctx.index,
        ctx.count(),
        specs.concat()
    )
}

impl Runner for Mocha {
    /// A shard's spec files go in a config module (`--config FILE
    /// --no-package`, see [`Mocha`]). The catch-all passes no file (so mocha
    /// runs its configured `spec`) and `--ignore=GLOB` for each other shard's
    /// file, escaped with bracket classes (mocha's minimatch treats a
    /// backslash as a path separator). An empty shard loads the specs and
    /// runs no test (`--grep` with a regex that never matches); mocha exits 0.
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String> {
        if ctx.is_empty() {
            return Ok(Rendered::args(LAUNCHER, vec!["--grep=(?!)".to_string()])
                .notice(ctx.empty_notice("`--grep=(?!)`, which no test title matches")));
        }
        if !ctx.is_catch_all() {
            let files = ctx.selection(ctx.index).groups;
            let path = ctx.list_file.path_for("cjs");
            let module = config_module(ctx, &files);
            let args = vec![
                format!("--config={}", path.display()),
                "--no-package".into(),
            ];
            let mut rendered = Rendered::args(LAUNCHER, args).file(path.clone(), module);
            if !path.extension().is_some_and(|e| e == "cjs" || e == "js") {
                rendered = rendered.notice(format!(
                    "mocha reads a config file by its extension, and {} is no `.cjs`: give \
                     --list-file a path ending in `.cjs`",
                    path.display()
                ));
            }
            return Ok(rendered);
        }
        let mut args = Vec::new();
        let mut unignorable = Vec::new();
        for file in ctx.others().groups {
            match minimatch_escape(file) {
                Some(glob) => args.push(format!("--ignore={glob}")),
                None => unignorable.push(file),
            }
        }
        let bytes: usize = args.iter().map(|a| a.len() + 1).sum();
        let mut rendered = Rendered::args(LAUNCHER, args);
        if ctx.wants_file(bytes) {
            rendered = rendered.notice(ctx.too_long_notice("mocha", bytes));
        }
        if !unignorable.is_empty() {
            rendered = rendered.warn(format!(
                "mocha's --ignore (minimatch) cannot name {} (a backslash is a path separator \
                 to it, and a leading `!` negates), so the catch-all shard {} runs these files \
                 too, and they run twice: rename them, or pass the spec files with \
                 --tests-from and --no-catch-all",
                unignorable.join(", "),
                ctx.index
            ));
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
    fn renders_a_config_module_and_ignores_for_the_catch_all() {
        let f = Fixture::new(vec![
            vec![file_id("test/a.spec.js"), file_id("test/[b].spec.js")],
            vec![file_id("test/c.spec.js")],
        ]);
        let r = f.render(&Mocha, Granularity::File, 0, Some(1));
        assert_eq!(r.arg_lines(), ["--config=/tmp/shard.cjs", "--no-package"]);
        assert_eq!(r.files[0].0, std::path::PathBuf::from("/tmp/shard.cjs"));
        assert!(r.files[0].1.contains("loadOptions([])"));
        assert!(
            r.files[0]
                .1
                .ends_with("spec: [\n  \"test/[b].spec.js\",\n  \"test/a.spec.js\",\n] };\n"),
            "{}",
            r.files[0].1
        );
        assert_eq!(
            f.render(&Mocha, Granularity::File, 1, Some(1)).arg_lines(),
            ["--ignore=test/[[]b[]].spec.js", "--ignore=test/a.spec.js"]
        );
        let empty = Fixture::new(vec![vec![file_id("a.js")], vec![]]);
        assert_eq!(
            empty.render(&Mocha, Granularity::File, 1, None).arg_lines(),
            ["--grep=(?!)"]
        );
    }

    #[test]
    fn warns_of_a_file_no_ignore_glob_names() {
        let f = Fixture::new(vec![
            vec![file_id(r"test/a\b.spec.js")],
            vec![file_id("c.js")],
        ]);
        let r = f.render(&Mocha, Granularity::File, 1, Some(1));
        assert!(r.arg_lines().is_empty());
        assert!(
            r.warnings[0].contains(r"test/a\b.spec.js"),
            "{:?}",
            r.warnings
        );
    }
}
