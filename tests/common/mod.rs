//! Helpers shared by the integration tests: run the built binary as a user
//! would, and write small JUnit reports.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root (where `fixtures/` lives).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `shardplan` with `args` in the repository root, feeding `stdin`.
pub fn shardplan(args: &[&str], stdin: &str) -> Output {
    shardplan_in(&root(), args, stdin)
}

/// Runs `shardplan` with `args` in `dir`.
pub fn shardplan_in(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shardplan"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the shardplan binary runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("stdin accepts input");
    child.wait_with_output().expect("shardplan finishes")
}

/// Stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

/// Stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// One `<testcase>` of a generic JUnit report.
pub struct Case<'a> {
    pub classname: &'a str,
    pub name: &'a str,
    pub time: Option<&'a str>,
}

/// A generic JUnit report holding `cases` in one suite.
pub fn junit(cases: &[Case<'_>]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"suite\">\n",
    );
    for case in cases {
        let time = case
            .time
            .map(|t| format!(" time=\"{t}\""))
            .unwrap_or_default();
        xml += &format!(
            "    <testcase classname=\"{}\" name=\"{}\"{time}/>\n",
            escape(case.classname),
            escape(case.name)
        );
    }
    xml += "  </testsuite>\n</testsuites>\n";
    xml
}

/// XML attribute escaping for test data.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
