//! What the runners' unit tests share: test ids and report cases built in
//! one call, so that each runner's tests spell out only the fields that
//! matter to it.

use super::TestId;
use crate::report::{Dialect, Outcome, TestCase};

/// A test id with its group at `--by class` and at `--by file`.
pub fn id(native: &str, class: &str, file: &str) -> TestId {
    TestId {
        native: native.into(),
        class: class.into(),
        file: file.into(),
    }
}

/// A test id whose group is the same at `--by class` and `--by file` (a go
/// package, a Java class).
pub fn id_in(native: &str, group: &str) -> TestId {
    id(native, group, group)
}

/// A test id that is its own group: a file the runner runs whole.
pub fn file_id(path: &str) -> TestId {
    id(path, path, path)
}

/// A passed, untimed case as a `dialect` report records it.
pub fn case(
    name: &str,
    classname: Option<&str>,
    suite: Option<&str>,
    file: Option<&str>,
    dialect: Dialect,
) -> TestCase {
    TestCase {
        name: name.into(),
        classname: classname.map(Into::into),
        suite: suite.map(Into::into),
        file: file.map(Into::into),
        duration: None,
        outcome: Outcome::Passed,
        dialect,
        variant: None,
    }
}
