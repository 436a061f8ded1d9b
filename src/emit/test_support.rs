//! What the runners' unit tests share: test ids and report cases built in
//! one call, so that each runner's tests spell out only the fields that
//! matter to it.

use super::{Naming, Scope, TestId};
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

/// Asserts that `runner` writes, for each of `cases` in turn through one
/// shared [`Scope`] ([`Naming::identify_into`]), the id it gives the case
/// alone ([`Naming::identify`]), and writes nothing for a case it cannot
/// name.
pub fn assert_ids_in_a_shared_scope(runner: &dyn Naming, cases: &[TestCase]) {
    let mut scope = Scope::default();
    let mut native = String::from("before|");
    for case in cases {
        let start = native.len();
        let written = runner.identify_into(case, &mut native, &mut scope);
        match (written, runner.identify(case)) {
            (Some((class, file)), Some(id)) => {
                assert_eq!(&native[start..], id.native.as_str(), "{case:?}");
                // No class: the test is its own class.
                let class = class.map_or_else(|| native[start..].to_string(), |c| c.to_string());
                assert_eq!(
                    (class.as_str(), file),
                    (id.class.as_str(), id.file),
                    "{case:?}"
                );
            }
            (None, None) => assert_eq!(native.len(), start, "{case:?}"),
            (written, alone) => panic!("{case:?}: {written:?}, but alone {alone:?}"),
        }
    }
    assert!(native.starts_with("before|"));
}
