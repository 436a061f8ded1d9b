//! Playwright Test: tests are `file › describe › title`, selected exactly
//! through a `--test-list` file (`formats.md` §11.7), which also takes a bare
//! file for everything in it; `--test-list-invert` is the catch-all.

use std::collections::HashMap;

use super::*;
use crate::identity::normalize_path;

/// `playwright test --test-list FILE` (or `--test-list-invert FILE`).
///
/// A test is named as Playwright's JUnit reporter and `--list` name it: the
/// file relative to the test directory, then the describe titles and the
/// title, joined by ` › `. A test runs in every configured project; the
/// project is not part of its id.
pub struct Playwright;

/// What `--exec` runs the arguments with: the project's own Playwright.
const LAUNCHER: &[&str] = &["npx", "--no", "--", "playwright", "test"];

/// The separator Playwright puts between file, describe titles and title.
const SEPARATOR: &str = " › ";

fn test_id(file: &str, titles: &str) -> TestId {
    let file: Text = normalize_path(file).into();
    TestId {
        native: format!("{file}{SEPARATOR}{titles}").into(),
        class: file.clone(),
        file,
    }
}

/// One line of `playwright test --list`: `  [chromium] › a.spec.ts:3:5 ›
/// suite › title`. The project and the position are dropped.
fn parse_list_line(line: &str) -> Option<TestId> {
    let mut parts: Vec<&str> = line.split(SEPARATOR).map(str::trim).collect();
    if parts
        .first()
        .is_some_and(|p| p.starts_with('[') && p.ends_with(']'))
    {
        parts.remove(0);
    }
    if parts.len() < 2 {
        return None;
    }
    let mut file = parts.remove(0);
    // `file:line:column`: cut the numbers Playwright appends.
    for _ in 0..2 {
        if let Some((head, tail)) = file.rsplit_once(':')
            && !tail.is_empty()
            && tail.bytes().all(|b| b.is_ascii_digit())
        {
            file = head;
        }
    }
    Some(test_id(file, &parts.join(SEPARATOR)))
}

impl Naming for Playwright {
    fn name(&self) -> &'static str {
        "playwright"
    }

    fn accepts(&self, dialect: Dialect) -> bool {
        matches!(dialect, Dialect::Playwright | Dialect::Generic)
    }

    /// The classname is the file; the name is `describe › title`, after an
    /// optional `[project] ` prefix.
    fn identify(&self, case: &TestCase) -> Option<TestId> {
        let file = [&case.classname, &case.file, &case.suite]
            .into_iter()
            .flatten()
            .map(|f| f.trim())
            .find(|f| !f.is_empty())?;
        let mut name = case.name.trim();
        if name.starts_with('[')
            && let Some((_, rest)) = name.split_once("] ")
        {
            name = rest;
        }
        (!name.is_empty()).then(|| test_id(file, name))
    }

    /// Reads `playwright test --list` (its header and `Total:` line are
    /// skipped) or our own `file › … › title` lines.
    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError> {
        let mut ids = Vec::new();
        for (line_no, line) in listing_lines(text) {
            if line == "Listing tests:" || line.starts_with("Total: ") {
                continue;
            }
            ids.push(parse_list_line(line).ok_or_else(|| ListError {
                line: line_no,
                message: format!(
                    "`{line}` is not a test as `playwright test --list` prints it \
                     (`[project] › file.spec.ts:3:5 › title`)"
                ),
            })?);
        }
        Ok(ids)
    }
}

/// A split file's tests as the shard that owns it must take them: for each
/// file this shard shares with others and is the last to hold, the file
/// (to select whole) and the other shards' tests in it (to invert).
///
/// Playwright's `--test-list` splits a line at every `›` and compares each
/// title exactly, with no escape, so a test whose describe or title holds
/// ` › ` (`describe('a › b')`) cannot be named: its line matches nothing.
/// Reports and `--list` join titles with the same ` › `, so shardplan cannot
/// tell such a test from one nested in `a`, then `b`. Without a catch-all,
/// the owner of each split file therefore selects the file whole and
/// inverts the other shards' lines of it: a test no line names runs there,
/// once, instead of nowhere. (With a catch-all, its inverted list does the
/// same for every file.)
fn owned_split_files<'a>(
    ctx: &RenderContext<'a>,
    split: &[Item<'a>],
) -> (Vec<&'a str>, Vec<&'a str>) {
    let mut owner: HashMap<&str, usize> = split
        .iter()
        .map(|i| (i.test.file.as_str(), ctx.index))
        .collect();
    for (shard, members) in ctx.shards.iter().enumerate() {
        for member in members {
            if let Some(last) = owner.get_mut(member.test.file.as_str()) {
                *last = (*last).max(shard);
            }
        }
    }
    let mut owned: Vec<&str> = owner
        .iter()
        .filter(|(_, shard)| **shard == ctx.index)
        .map(|(file, _)| *file)
        .collect();
    owned.sort_unstable();
    let mut inverted: Vec<&str> = ctx
        .shards
        .iter()
        .enumerate()
        .filter(|(shard, _)| *shard != ctx.index)
        .flat_map(|(_, members)| members)
        .filter(|m| owned.binary_search(&m.test.file.as_str()).is_ok())
        .map(|m| m.key())
        .collect();
    inverted.sort_unstable();
    inverted.dedup();
    (owned, inverted)
}

/// A list file's contents: a header comment, then `lines`.
fn list_contents(ctx: &RenderContext<'_>, flag: &str, lines: &[&str]) -> String {
    let mut contents = format!(
        "# Written by shardplan for shard {} of {}: `playwright test {flag} <this file>`\n",
        ctx.index,
        ctx.count()
    );
    for line in lines {
        contents.push_str(line);
        contents.push('\n');
    }
    contents
}

impl Runner for Playwright {
    /// Always a list file: whole files as their path, other tests by id.
    /// The catch-all lists the other shards' selections for
    /// `--test-list-invert`. Without a catch-all, the owner of a split file
    /// selects it whole and inverts the other shards' tests of it
    /// (`owned_split_files` below). An empty shard only lists (`--list`, exit 0).
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String> {
        if ctx.is_empty() {
            return Ok(Rendered::args(LAUNCHER, vec!["--list".to_string()])
                .notice(ctx.empty_notice("`--list`, which runs nothing")));
        }
        let (selection, flag) = if ctx.is_catch_all() {
            (ctx.others(), "--test-list-invert")
        } else {
            (ctx.selection(ctx.index), "--test-list")
        };
        let mut lines: Vec<&str> = selection.groups.clone();
        lines.extend(selection.items.iter().map(|i| i.key));
        let mut inverted = Vec::new();
        if ctx.catch_all.is_none() {
            let (owned, others) = owned_split_files(ctx, &selection.items);
            lines.extend(owned);
            inverted = others;
        }
        lines.sort_unstable();
        lines.dedup();
        let path = ctx.list_file.path.clone();
        let mut rendered = Rendered::args(LAUNCHER, vec![format!("{flag}={}", path.display())])
            .file(path.clone(), list_contents(ctx, flag, &lines));
        if !inverted.is_empty() {
            let mut invert = path.into_os_string();
            invert.push(".invert");
            let invert = std::path::PathBuf::from(invert);
            let flag = "--test-list-invert";
            if let Output::Args { args, .. } = &mut rendered.output {
                args.push(format!("{flag}={}", invert.display()));
            }
            rendered = rendered.file(invert, list_contents(ctx, flag, &inverted));
        }
        Ok(rendered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::render::testing::Fixture;
    use crate::emit::test_support;

    fn case(name: &str, file: &str) -> TestCase {
        test_support::case(name, Some(file), Some(file), None, Dialect::Playwright)
    }

    #[test]
    fn identifies_file_and_titles() {
        assert_eq!(
            Playwright.identify(&case(
                "login › rejects a bad password",
                "auth/login.spec.ts"
            )),
            Some(test_id(
                "auth/login.spec.ts",
                "login › rejects a bad password"
            ))
        );
        assert_eq!(
            Playwright
                .identify(&case("[firefox] has title", "example.spec.ts"))
                .map(|id| id.native),
            Some("example.spec.ts › has title".into())
        );
    }

    #[test]
    fn listing_reads_list_output() {
        let text = "Listing tests:\n  [chromium] › example.spec.ts:3:5 › has title\n  \
                    [chromium] › auth/login.spec.ts:10:7 › login › rejects\n\
                    example.spec.ts › get started\nTotal: 3 tests in 2 files\n";
        let ids = Playwright.parse_listing(text).expect("parses");
        let natives: Vec<&str> = ids.iter().map(|i| i.native.as_str()).collect();
        assert_eq!(
            natives,
            [
                "example.spec.ts › has title",
                "auth/login.spec.ts › login › rejects",
                "example.spec.ts › get started"
            ]
        );
        assert_eq!(ids[1].file, "auth/login.spec.ts");
        assert_eq!(Playwright.parse_listing("nonsense\n").unwrap_err().line, 1);
    }

    #[test]
    fn writes_a_test_list_and_its_inverse() {
        let f = Fixture::new(vec![
            vec![test_id("a.spec.ts", "one"), test_id("b.spec.ts", "x › two")],
            vec![test_id("a.spec.ts", "three")],
        ]);
        let r = f.render(&Playwright, Granularity::Test, 0, Some(1));
        assert_eq!(r.arg_lines(), ["--test-list=/tmp/shard.list"]);
        assert_eq!(
            r.files[0].1,
            "# Written by shardplan for shard 0 of 2: `playwright test --test-list <this file>`\n\
             a.spec.ts › one\nb.spec.ts\n"
        );
        let r = f.render(&Playwright, Granularity::Test, 1, Some(1));
        assert_eq!(r.arg_lines(), ["--test-list-invert=/tmp/shard.list"]);
        assert!(r.files[0].1.ends_with("\na.spec.ts › one\nb.spec.ts\n"));
        assert_eq!(
            r.output.commands(&[]).expect("runs")[0],
            [
                "npx",
                "--no",
                "--",
                "playwright",
                "test",
                "--test-list-invert=/tmp/shard.list"
            ]
        );
    }

    /// Without a catch-all, the last shard holding a split file selects it
    /// whole and inverts the other shards' tests of it, so a test whose
    /// line names nothing (a title holding ` › `) still runs once.
    #[test]
    fn the_owner_of_a_split_file_takes_what_no_line_names() {
        let f = Fixture::new(vec![
            vec![
                test_id("a.spec.ts", "a › b › one"),
                test_id("b.spec.ts", "two"),
            ],
            vec![test_id("a.spec.ts", "three")],
        ]);
        let r = f.render(&Playwright, Granularity::Test, 0, None);
        assert_eq!(r.arg_lines(), ["--test-list=/tmp/shard.list"]);
        assert!(
            r.files[0]
                .1
                .ends_with("\na.spec.ts › a › b › one\nb.spec.ts\n")
        );
        let r = f.render(&Playwright, Granularity::Test, 1, None);
        assert_eq!(
            r.arg_lines(),
            [
                "--test-list=/tmp/shard.list",
                "--test-list-invert=/tmp/shard.list.invert"
            ]
        );
        assert!(r.files[0].1.ends_with("\na.spec.ts\na.spec.ts › three\n"));
        assert_eq!(
            r.files[1].0,
            std::path::PathBuf::from("/tmp/shard.list.invert")
        );
        assert!(r.files[1].1.ends_with("\na.spec.ts › a › b › one\n"));
    }
}
