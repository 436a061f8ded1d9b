//! RSpec: the unit is the spec file (`formats.md` §11.10). rspec_junit_formatter
//! writes `file="./spec/x_spec.rb"`, the top-level example group's file.

use super::pattern::glob_escape;
use super::*;

/// `rspec` arguments: spec files, or `--exclude-pattern` for the catch-all.
pub struct Rspec;

/// What `--exec` runs the arguments with.
const LAUNCHER: &[&str] = &["bundle", "exec", "rspec"];

/// A spec path from a report: the `file` attribute, else the classname
/// (`spec.models.user_spec` is `spec/models/user_spec.rb`).
fn spec_path(case: &TestCase) -> Option<String> {
    if let Some(file) = case.file.as_deref().filter(|f| !f.trim().is_empty()) {
        return Some(crate::identity::normalize_path(file));
    }
    let classname = case.classname.as_deref()?.trim();
    (!classname.is_empty() && !classname.contains(char::is_whitespace))
        .then(|| format!("{}.rb", classname.replace('.', "/")))
}

/// The spec file of a listing line: the path without its example id (the
/// last `[1:2:1]` group, as the file name may hold brackets of its own) or
/// its line numbers (`:37`, `:37:52`).
fn spec_file_of(line: &str) -> &str {
    let is_index = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b':');
    if let Some(head) = line.strip_suffix(']')
        && let Some((path, id)) = head.rsplit_once('[')
        && is_index(id)
    {
        return path;
    }
    let mut path = line;
    while let Some((head, tail)) = path.rsplit_once(':')
        && !tail.is_empty()
        && tail.bytes().all(|b| b.is_ascii_digit())
    {
        path = head;
    }
    path
}

fn test_id(path: String) -> TestId {
    TestId::whole(path)
}

impl Naming for Rspec {
    fn name(&self) -> &'static str {
        "rspec"
    }

    fn accepts(&self, dialect: Dialect) -> bool {
        matches!(dialect, Dialect::Rspec | Dialect::Generic)
    }

    /// The unit is the file: a test without a name still proves it.
    fn names_tests(&self) -> bool {
        false
    }

    fn identify(&self, case: &TestCase) -> Option<TestId> {
        spec_path(case).map(test_id)
    }

    /// Reads spec file paths, one per line (`find spec -name '*_spec.rb'`);
    /// a location or example id suffix (`:37`, `[1:2]`, the last group) is
    /// cut off, as the unit is the file.
    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError> {
        listing_lines(text)
            .map(|(line_no, line)| {
                let path = spec_file_of(line);
                if !path.ends_with(".rb") {
                    return Err(ListError {
                        line: line_no,
                        message: format!("`{line}` is not a spec file path (`spec/x_spec.rb`)"),
                    });
                }
                Ok(test_id(crate::identity::normalize_path(path)))
            })
            .collect()
    }
}

impl Runner for Rspec {
    /// Spec files as arguments. The catch-all passes no path (so rspec runs
    /// its default `spec` directory) and one `--exclude-pattern` listing the
    /// other shards' files, comma-separated (rspec wraps the pattern in a
    /// `{…}` glob). An empty shard uses a `--pattern` no file matches: "No
    /// examples found", exit 0. RSpec reads no list file.
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String> {
        if ctx.is_empty() {
            return Ok(Rendered::args(
                LAUNCHER,
                vec!["--pattern=shardplan/no-tests-in-this-shard".to_string()],
            )
            .notice(ctx.empty_notice("a --pattern no spec file matches")));
        }
        let args: Vec<String> = if ctx.is_catch_all() {
            let others = ctx.others().groups;
            if others.is_empty() {
                Vec::new()
            } else {
                let globs: Vec<String> = others
                    .iter()
                    .map(|f| glob_escape(f).replace(',', "\\,"))
                    .collect();
                vec![format!("--exclude-pattern={}", globs.join(","))]
            }
        } else {
            ctx.selection(ctx.index)
                .groups
                .iter()
                .map(|f| f.to_string())
                .collect()
        };
        let bytes: usize = args.iter().map(|a| a.len() + 1).sum();
        let mut rendered = Rendered::args(LAUNCHER, args);
        if ctx.wants_file(bytes) {
            rendered = rendered.notice(ctx.too_long_notice("rspec", bytes));
        }
        Ok(rendered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::render::testing::Fixture;
    use crate::emit::test_support;

    fn case(classname: &str, file: Option<&str>) -> TestCase {
        let name = "User validates the email";
        test_support::case(name, Some(classname), Some("rspec"), file, Dialect::Rspec)
    }

    #[test]
    fn identifies_the_spec_file() {
        assert_eq!(
            Rspec.identify(&case(
                "spec.models.user_spec",
                Some("./spec/models/user_spec.rb")
            )),
            Some(test_id("spec/models/user_spec.rb".into()))
        );
        assert_eq!(
            Rspec.identify(&case("spec.models.user_spec", None)),
            Some(test_id("spec/models/user_spec.rb".into()))
        );
    }

    #[test]
    fn listing_cuts_locations() {
        let ids = Rspec
            .parse_listing("./spec/a_spec.rb\nspec/b_spec.rb:37\nspec/c_spec.rb[1:2]\n")
            .expect("parses");
        let paths: Vec<&str> = ids.iter().map(|i| i.native.as_str()).collect();
        assert_eq!(
            paths,
            ["spec/a_spec.rb", "spec/b_spec.rb", "spec/c_spec.rb"]
        );
        assert_eq!(Rspec.parse_listing("3 examples\n").unwrap_err().line, 1);
        let ids = Rspec
            .parse_listing(
                "./spec/text [unicode]_spec.rb[1:2]\nspec/[a]_spec.rb:3:4\nspec/[b]_spec.rb\n",
            )
            .expect("parses");
        let paths: Vec<&str> = ids.iter().map(|i| i.native.as_str()).collect();
        assert_eq!(
            paths,
            [
                "spec/text [unicode]_spec.rb",
                "spec/[a]_spec.rb",
                "spec/[b]_spec.rb"
            ]
        );
    }

    #[test]
    fn renders_files_and_one_exclude_pattern() {
        let f = Fixture::new(vec![
            vec![
                test_id("spec/a_spec.rb".into()),
                test_id("spec/x,y_spec.rb".into()),
            ],
            vec![test_id("spec/b_spec.rb".into())],
        ]);
        assert_eq!(
            f.render(&Rspec, Granularity::File, 0, Some(1)).arg_lines(),
            ["spec/a_spec.rb", "spec/x,y_spec.rb"]
        );
        assert_eq!(
            f.render(&Rspec, Granularity::File, 1, Some(1)).arg_lines(),
            [r"--exclude-pattern=spec/a_spec.rb,spec/x\,y_spec.rb"]
        );
        let r = f.render(&Rspec, Granularity::File, 1, None);
        assert_eq!(
            r.output.commands(&[]).expect("runs")[0],
            ["bundle", "exec", "rspec", "spec/b_spec.rb"]
        );
    }
}
