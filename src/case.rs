//! The model of a recorded test: one executed test case as a report wrote
//! it ([`TestCase`]), before any runner names it, with the tool that wrote
//! it ([`Dialect`]) and how it ended ([`Outcome`]). The readers
//! ([`crate::report`]) produce these; everything above consumes them.

use crate::duration::Micros;

/// How a recorded test ended. Only passing runs are trusted for timing by
/// later stages; all outcomes still prove that the test exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Passed (no failure, error or skipped child).
    Passed,
    /// Failed: an assertion failed (JUnit `<failure>`), or the report does
    /// not tell a failure from an error.
    Failed,
    /// Skipped, xfail, pending.
    Skipped,
    /// Errored: the test could not run to an assertion (JUnit `<error>`,
    /// TRX `Error`): a crash, a setup or fixture error.
    Errored,
    /// Passed after failed attempts that the report records inside the
    /// case (Surefire's `<flakyFailure>` / `<flakyError>`): a pass for
    /// timing, and a flaky signal by itself.
    PassedOnRerun,
}

impl Outcome {
    /// Whether the test passed in the end ([`Outcome::Passed`] or
    /// [`Outcome::PassedOnRerun`]).
    pub fn passed(self) -> bool {
        matches!(self, Outcome::Passed | Outcome::PassedOnRerun)
    }

    /// Whether the test failed or errored.
    pub fn failed(self) -> bool {
        matches!(self, Outcome::Failed | Outcome::Errored)
    }
}

/// The tool that wrote a report, when its signature says so
/// (`formats.md` §0 and §1.6). Runners use it to tell their own reports from
/// other runners' reports in a mixed directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dialect {
    /// No known signature.
    Generic,
    /// pytest `--junitxml`.
    Pytest,
    /// jest-junit.
    Jest,
    /// Vitest's junit reporter.
    Vitest,
    /// Playwright's junit reporter.
    Playwright,
    /// Maven Surefire / Failsafe, Ant.
    Surefire,
    /// Gradle.
    Gradle,
    /// gotestsum or go-junit-report (Go packages and tests).
    Go,
    /// cargo-nextest.
    Nextest,
    /// PHPUnit.
    Phpunit,
    /// .NET loggers (JunitXml.TestLogger).
    Dotnet,
    /// mocha-junit-reporter.
    Mocha,
    /// rspec_junit_formatter.
    Rspec,
}

impl Dialect {
    /// Every dialect, in declaration order.
    pub const ALL: [Dialect; 13] = [
        Dialect::Generic,
        Dialect::Pytest,
        Dialect::Jest,
        Dialect::Vitest,
        Dialect::Playwright,
        Dialect::Surefire,
        Dialect::Gradle,
        Dialect::Go,
        Dialect::Nextest,
        Dialect::Phpunit,
        Dialect::Dotnet,
        Dialect::Mocha,
        Dialect::Rspec,
    ];

    /// A stable lowercase name, as the timing history stores it.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Generic => "generic",
            Dialect::Pytest => "pytest",
            Dialect::Jest => "jest",
            Dialect::Vitest => "vitest",
            Dialect::Playwright => "playwright",
            Dialect::Surefire => "surefire",
            Dialect::Gradle => "gradle",
            Dialect::Go => "go",
            Dialect::Nextest => "nextest",
            Dialect::Phpunit => "phpunit",
            Dialect::Dotnet => "dotnet",
            Dialect::Mocha => "mocha",
            Dialect::Rspec => "rspec",
        }
    }

    /// The dialect [`Dialect::name`] gives `name`, if any.
    pub fn from_name(name: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// Text that many cases share (a classname, a suite's name, a file, a
/// variant), stored once: a reader hands the same value to every case of
/// a suite or file instead of a copy each.
pub type Shared = std::sync::Arc<str>;

/// Shared text with a string's conveniences: what a [`crate::naming::TestId`]
/// and a planned item hold, so that the tests of one class or file, and
/// the item planned under a test's key, hold one copy of the text rather
/// than one each. Compares, orders, hashes and prints as the text itself.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(Shared);

impl Text {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text as [`Shared`], to hand on without a copy.
    pub fn shared(&self) -> &Shared {
        &self.0
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Shared> for Text {
    fn from(text: Shared) -> Text {
        Text(text)
    }
}

impl From<&Shared> for Text {
    fn from(text: &Shared) -> Text {
        Text(text.clone())
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text(text.into())
    }
}

impl From<&String> for Text {
    fn from(text: &String) -> Text {
        Text(text.as_str().into())
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text(text.into())
    }
}

impl From<Text> for String {
    fn from(text: Text) -> String {
        text.0.to_string()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        *self == *other.0
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        **self == *other.0
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        **self == *other.0
    }
}

/// The last [`Shared`] text a reader handed out for one field: a value
/// equal to it is handed out again rather than stored anew, since the
/// cases of one class or file come together in reports.
#[derive(Debug, Default)]
pub struct Recent(Option<Shared>);

impl Recent {
    /// `value` as shared text: the previous one if equal, else a new one
    /// that is remembered.
    pub fn share(&mut self, value: &str) -> Shared {
        match &self.0 {
            Some(last) if **last == *value => last.clone(),
            _ => {
                let shared: Shared = value.into();
                self.0 = Some(shared.clone());
                shared
            }
        }
    }
    /// `value`, or the previous text if equal (so that equal runner keys,
    /// built anew for every case, are stored once).
    pub fn reuse(&mut self, value: Text) -> Text {
        match &self.0 {
            // Runners often hand on a case's own shared text: the same
            // text needs no comparing.
            Some(last) if Shared::ptr_eq(last, &value.0) || **last == *value => Text(last.clone()),
            _ => {
                self.0 = Some(value.0.clone());
                value
            }
        }
    }
}

/// One executed test as a report recorded it, before any runner names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// The test's own name (`test_b[1-2]`, `TestA/sub`, `mod::tests::it`).
    pub name: String,
    /// The class, package or binary the report files it under, if any.
    pub classname: Option<Shared>,
    /// Name of the innermost enclosing suite, if any.
    pub suite: Option<Shared>,
    /// Source file of the test, normalised by [`crate::identity::normalize_path`].
    pub file: Option<Shared>,
    /// Recorded duration; `None` when absent or unusable (never guessed as 0).
    pub duration: Option<Micros>,
    /// How the run ended.
    pub outcome: Outcome,
    /// Which tool wrote the report.
    pub dialect: Dialect,
    /// The configuration the test ran in when one run executes it several
    /// times — a Playwright project; a variant is a separate cost, not a
    /// rerun.
    pub variant: Option<Shared>,
}

/// Whether `name` is a go subtest (`TestA/case`): go names subtests after
/// their parent, whose time already includes them.
pub fn is_go_subtest(name: &str) -> bool {
    name.contains('/')
}

impl TestCase {
    /// Whether this case ran inside another case's time (a go subtest within
    /// its parent), so sums over a group must leave it out.
    pub fn runs_within_parent(&self) -> bool {
        self.dialect == Dialect::Go && is_go_subtest(&self.name)
    }
}
