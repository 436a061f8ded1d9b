//! Runners: how each test runner names tests and how it is told to run one
//! shard's share. The last stage of the pipeline.
//!
//! Each runner lives in its own file behind [`Runner`]. A runner owns both
//! directions of its naming: turning a report's [`TestCase`] or a line of the
//! runner's own test listing into a [`TestId`], and turning a shard's items
//! back into the filter the runner takes. Keeping both in one file is what
//! lets a new runner touch one file.

pub mod cargo;
pub mod dotnet;
pub mod go;
pub mod gradle;
pub mod jest;
pub mod maven;
pub mod mocha;
pub mod nextest;
pub mod pattern;
pub mod phpunit;
pub mod plain;
pub mod playwright;
pub mod pytest;
pub mod render;
pub mod rspec;
pub mod shell;
pub mod template;
#[cfg(test)]
mod test_support;
pub mod vitest;

use clap::ValueEnum;

pub use render::{Command, Item, ListFile, Member, Output, RenderContext, Rendered, Selection};

use crate::report::{Dialect, TestCase};

/// The unit the planner places on shards.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// Single tests.
    Test,
    /// Classes (or the runner's nearest equivalent: a module, a go package).
    Class,
    /// Files (or a go package, a test binary).
    File,
}

/// A test as one runner names it.
///
/// `class` and `file` are themselves selectors the runner accepts (a pytest
/// `path.py::Class`, a go package, a nextest binary id), so that a shard
/// planned at class or file granularity can be emitted compactly.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TestId {
    /// The runner's own name for the test; what `--tests-from` lists hold
    /// and what `--json` prints at test granularity.
    pub native: String,
    /// The group at `--by class`.
    pub class: String,
    /// The group at `--by file`.
    pub file: String,
}

impl Granularity {
    /// The name `--by` takes.
    pub fn name(self) -> &'static str {
        match self {
            Granularity::Test => "test",
            Granularity::Class => "class",
            Granularity::File => "file",
        }
    }
}

impl TestId {
    /// The key this test is planned under at granularity `by`.
    pub fn key(&self, by: Granularity) -> &str {
        match by {
            Granularity::Test => &self.native,
            Granularity::Class => &self.class,
            Granularity::File => &self.file,
        }
    }
}

/// A problem in a `--tests-from` listing, by 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListError {
    /// 1-based line in the listing.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One test runner's naming and filter syntax (`formats.md` Part 2).
pub trait Runner {
    /// Name used by `--runner`.
    fn name(&self) -> &'static str;

    /// Whether reports written by `dialect` describe this runner's tests.
    /// Reports from other runners in the same directory are ignored.
    fn accepts(&self, dialect: Dialect) -> bool;

    /// The runner's id for a recorded test, or `None` when the runner cannot
    /// select that case on its own (a go subtest: its parent carries the
    /// time).
    fn identify(&self, case: &TestCase) -> Option<TestId>;

    /// Parses the runner's own listing of tests (`--tests-from`): ids one per
    /// line, plus whatever summary lines the runner prints around them.
    fn parse_listing(&self, text: &str) -> Result<Vec<TestId>, ListError>;

    /// Other keys under which `id` may be the same test as an id named
    /// differently: a listed test that matches no recorded test by native
    /// id takes the timing of an otherwise unclaimed recorded test sharing
    /// one of these keys (e.g. a pytest node id and the id rebuilt from an
    /// xunit2 dotted classname). Called on both sides. Default: none.
    fn match_keys(&self, _id: &TestId) -> Vec<String> {
        Vec::new()
    }

    /// Whether the runner names single tests (by a case's name), so that a
    /// recorded case without a name cannot be selected; `false` for runners
    /// whose unit is the test file (a nameless test still proves its file).
    fn names_tests(&self) -> bool {
        true
    }

    /// Why [`Runner::identify`] may return `None`, for the summary line
    /// that counts such cases.
    fn unidentified_reason(&self) -> &'static str {
        "e.g. subtests; their parent's time includes them"
    }

    /// How to run one shard: its filter as arguments or complete commands,
    /// any list file, notices and warnings. `ctx` holds every shard's tests
    /// (with the granularity of the item holding each: the plan's, or single
    /// tests of a class or file split by `--split-large`), so that a shard
    /// can select whole groups and a catch-all can negate the others exactly
    /// (the rules are in [`render`]). An empty shard gets the runner's no-op
    /// form, never a filter that runs everything. `Err` is a message for a
    /// shard that cannot be expressed.
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String>;
}

/// The runners `--runner` offers.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum RunnerKind {
    /// Test ids one per line, as recorded.
    Plain,
    /// pytest node ids.
    Pytest,
    /// `go test -run` per package.
    Go,
    /// cargo-nextest `-E` filterset.
    Nextest,
    /// Jest test file paths.
    Jest,
    /// `cargo test -p … -- --exact` per test binary (libtest).
    Cargo,
    /// Vitest test file paths.
    Vitest,
    /// Playwright `--test-list` file.
    Playwright,
    /// Maven Surefire `-Dtest=Class#method`.
    Maven,
    /// Gradle `--tests Class.method`.
    Gradle,
    /// RSpec spec files.
    Rspec,
    /// PHPUnit `--filter` regex.
    Phpunit,
    /// `dotnet test --filter FullyQualifiedName=…`.
    Dotnet,
    /// Mocha spec files.
    Mocha,
}

impl RunnerKind {
    /// The implementation behind the name.
    pub fn runner(self) -> Box<dyn Runner> {
        match self {
            RunnerKind::Plain => Box::new(plain::Plain),
            RunnerKind::Pytest => Box::new(pytest::Pytest),
            RunnerKind::Go => Box::new(go::Go),
            RunnerKind::Nextest => Box::new(nextest::Nextest),
            RunnerKind::Jest => Box::new(jest::Jest),
            RunnerKind::Cargo => Box::new(cargo::Cargo),
            RunnerKind::Vitest => Box::new(vitest::Vitest),
            RunnerKind::Playwright => Box::new(playwright::Playwright),
            RunnerKind::Maven => Box::new(maven::Maven),
            RunnerKind::Gradle => Box::new(gradle::Gradle),
            RunnerKind::Rspec => Box::new(rspec::Rspec),
            RunnerKind::Phpunit => Box::new(phpunit::Phpunit),
            RunnerKind::Dotnet => Box::new(dotnet::Dotnet),
            RunnerKind::Mocha => Box::new(mocha::Mocha),
        }
    }
}

/// Splits a listing into trimmed, non-empty lines with their 1-based line
/// numbers; the shared first step of most runners' `parse_listing`.
pub fn listing_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty())
}

/// The class a report files `case` under, trimmed, or `None` when it names
/// none: where the runners that select by class start naming a test.
pub(crate) fn recorded_class(case: &TestCase) -> Option<&str> {
    case.classname
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
}

/// Why a recorded case cannot be selected by a runner ([`selectable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotSelectable {
    /// The runner cannot select it on its own ([`Runner::identify`]).
    ByRunner,
    /// It has no name and the runner selects single tests.
    Nameless,
    /// Its id holds a control character (a newline, ESC, NUL…): no runner's
    /// line-oriented output can carry it, and it must not reach a terminal.
    ControlCharacter,
}

/// The runner's id for a recorded case, or why it has none: the one gate
/// every recorded case passes before it is planned, so that a runner
/// never sees a name it cannot print. Such a case runs on no shard by name;
/// as any test the plan does not know, it runs where its whole group is
/// selected, or on a catch-all shard.
pub fn selectable(runner: &dyn Runner, case: &TestCase) -> Result<TestId, NotSelectable> {
    if runner.names_tests() && case.name.trim().is_empty() {
        return Err(NotSelectable::Nameless);
    }
    let id = runner.identify(case).ok_or(NotSelectable::ByRunner)?;
    if [&id.native, &id.class, &id.file]
        .iter()
        .any(|s| unprintable(s).is_some())
    {
        return Err(NotSelectable::ControlCharacter);
    }
    Ok(id)
}

/// The first character of `text` that line-oriented output cannot carry
/// and a terminal must not be sent: a control character other than a tab
/// (newlines, carriage returns, ESC, NUL, DEL, the C1 controls).
pub fn unprintable(text: &str) -> Option<char> {
    text.chars().find(|&c| c.is_control() && c != '\t')
}

/// `text` with every character [`unprintable`] finds written as an escape
/// (`\n`, `\r`, `\u{1b}`), for messages on a terminal.
pub fn escape_unprintable(text: &str) -> std::borrow::Cow<'_, str> {
    if unprintable(text).is_none() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Why cases [`selectable`] refused are not planned, one message per
/// reason, each with whether it is a warning: they run on no shard by
/// name, which the user must know.
pub fn unselectable_messages(nameless: usize, control_characters: usize) -> Vec<(bool, String)> {
    let mut messages = Vec::new();
    if nameless > 0 {
        messages.push((
            false,
            format!("ignored {nameless} cases without a name (the runner selects tests by name)"),
        ));
    }
    if control_characters > 0 {
        messages.push((
            true,
            format!(
                "{control_characters} cases have a control character (newline, ESC…) in their \
                 name or path, which no line of the runner's filter can hold: no shard selects \
                 them by name; they run only where their whole file or class is selected, or on \
                 a catch-all shard"
            ),
        ));
    }
    messages
}

/// The summary's lines for [`unselectable_messages`].
pub fn unselectable_note(nameless: usize, control_characters: usize) -> String {
    unselectable_messages(nameless, control_characters)
        .into_iter()
        .map(|(warning, message)| {
            let kind = if warning { "warning: " } else { "" };
            format!("shardplan: {kind}{message}\n")
        })
        .collect()
}
