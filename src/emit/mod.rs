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

pub use render::{
    Command, Item, ListFile, Member, Members, Output, RenderContext, Rendered, Selection, Shards,
};

use crate::case::{Dialect, TestCase, Text};
use crate::choice::Choice;
pub use crate::naming::{
    Granularity, ListError, Naming, NotSelectable, Scope, TestId, TestRef, identified, selectable,
};
pub use crate::text::{escape_unprintable, unprintable};

/// One test runner's naming ([`Naming`]) and filter syntax (`formats.md`
/// Part 2).
pub trait Runner: Naming {
    /// How to run one shard: its filter as arguments or complete commands,
    /// any list file, notices and warnings. `ctx` holds every shard's tests
    /// (with the granularity of the item holding each: the plan's, or single
    /// tests of a class or file split by `--split-large`), so that a shard
    /// can select whole groups and a catch-all can negate the others exactly
    /// (the rules are in [`render`]). An empty shard gets the runner's no-op
    /// form, never a filter that runs everything. `Err` is a message for a
    /// shard that cannot be expressed.
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Rendered, String>;

    /// Whether the runner starts a shard's groups in the order its command
    /// names them (`go test` builds, links and runs packages in argument
    /// order): then the plan keeps each shard's groups longest first
    /// ([`RenderContext::longest_first`]) for the command to name them so.
    fn starts_groups_in_order(&self) -> bool {
        false
    }

    /// Whether the runner runs a group's tests one after another in one
    /// worker (a go package's test binary, a jest or vitest file), however
    /// many it runs at once: a shard then takes at least as long as the
    /// tests of its longest group ([`crate::plan::Chains`]).
    fn runs_groups_serially(&self) -> bool {
        false
    }

    /// Whether the runner starts once per group a shard touches (`cargo
    /// test -p` per test binary): its learned start-up, fitted per start,
    /// is then paid per group, and plans charge it so.
    fn starts_per_group(&self) -> bool {
        false
    }
}

/// The runners `--runner` offers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
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

impl Choice for RunnerKind {
    const ALL: &'static [RunnerKind] = &[
        RunnerKind::Plain,
        RunnerKind::Pytest,
        RunnerKind::Go,
        RunnerKind::Nextest,
        RunnerKind::Jest,
        RunnerKind::Cargo,
        RunnerKind::Vitest,
        RunnerKind::Playwright,
        RunnerKind::Maven,
        RunnerKind::Gradle,
        RunnerKind::Rspec,
        RunnerKind::Phpunit,
        RunnerKind::Dotnet,
        RunnerKind::Mocha,
    ];

    fn name(self) -> &'static str {
        match self {
            RunnerKind::Plain => "plain",
            RunnerKind::Pytest => "pytest",
            RunnerKind::Go => "go",
            RunnerKind::Nextest => "nextest",
            RunnerKind::Jest => "jest",
            RunnerKind::Cargo => "cargo",
            RunnerKind::Vitest => "vitest",
            RunnerKind::Playwright => "playwright",
            RunnerKind::Maven => "maven",
            RunnerKind::Gradle => "gradle",
            RunnerKind::Rspec => "rspec",
            RunnerKind::Phpunit => "phpunit",
            RunnerKind::Dotnet => "dotnet",
            RunnerKind::Mocha => "mocha",
        }
    }

    fn help(self) -> &'static str {
        match self {
            RunnerKind::Plain => "Test ids one per line, as recorded",
            RunnerKind::Pytest => "pytest node ids",
            RunnerKind::Go => "`go test -run` per package",
            RunnerKind::Nextest => "cargo-nextest `-E` filterset",
            RunnerKind::Jest => "Jest test file paths",
            RunnerKind::Cargo => "`cargo test -p … -- --exact` per test binary (libtest)",
            RunnerKind::Vitest => "Vitest test file paths",
            RunnerKind::Playwright => "Playwright `--test-list` file",
            RunnerKind::Maven => "Maven Surefire `-Dtest=Class#method`",
            RunnerKind::Gradle => "Gradle `--tests Class.method`",
            RunnerKind::Rspec => "RSpec spec files",
            RunnerKind::Phpunit => "PHPUnit `--filter` regex",
            RunnerKind::Dotnet => "`dotnet test --filter FullyQualifiedName=…`",
            RunnerKind::Mocha => "Mocha spec files",
        }
    }
}

impl RunnerKind {
    /// The runner whose reports carry `dialect`'s signature, if one does.
    pub fn of_dialect(dialect: Dialect) -> Option<RunnerKind> {
        Some(match dialect {
            Dialect::Generic => return None,
            Dialect::Pytest => RunnerKind::Pytest,
            Dialect::Jest => RunnerKind::Jest,
            Dialect::Vitest => RunnerKind::Vitest,
            Dialect::Playwright => RunnerKind::Playwright,
            Dialect::Surefire => RunnerKind::Maven,
            Dialect::Gradle => RunnerKind::Gradle,
            Dialect::Go => RunnerKind::Go,
            Dialect::Nextest => RunnerKind::Nextest,
            Dialect::Phpunit => RunnerKind::Phpunit,
            Dialect::Dotnet => RunnerKind::Dotnet,
            Dialect::Mocha => RunnerKind::Mocha,
            Dialect::Rspec => RunnerKind::Rspec,
        })
    }

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
