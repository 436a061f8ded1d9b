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

/// The shared corpus of real reports (`../shared/corpus`), if present.
pub fn corpus_root() -> Option<PathBuf> {
    let root = root().join("../shared/corpus");
    root.is_dir().then_some(root)
}

/// Every report file under `dir`, sorted; the catalogue and the sources'
/// provenance files are left out.
pub fn corpus_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path
                .file_name()
                .is_some_and(|n| n != "CATALOG.md" && n != ".source.json")
            {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    files
}

/// XML by extension, or by a `<` first (after a BOM and whitespace), which
/// catches extension-less and oddly named reports.
pub fn is_xmlish(path: &Path, bytes: &[u8]) -> bool {
    let by_extension = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "xml" | "trx" | "junit" | "golden"));
    by_extension || decode(bytes).is_ok_and(|text| text.trim_start().starts_with('<'))
}

/// Decodes a file as an XML parser would: BOM-selected UTF-8 or UTF-16
/// (also recognised without BOM from the NUL beside `<`).
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    let utf16 = |body: &[u8], big_endian: bool| -> Result<String, String> {
        if !body.len().is_multiple_of(2) {
            return Err("odd number of bytes in UTF-16".into());
        }
        let units = body.chunks_exact(2).map(|p| {
            if big_endian {
                u16::from_be_bytes([p[0], p[1]])
            } else {
                u16::from_le_bytes([p[0], p[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|e| e.to_string())
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => {
            String::from_utf8(rest.to_vec()).map_err(|e| e.to_string())
        }
        [0xFF, 0xFE, rest @ ..] => utf16(rest, false),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, true),
        [b'<', 0, ..] => utf16(bytes, false),
        [0, b'<', ..] => utf16(bytes, true),
        _ => String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string()),
    }
}

/// Whether the external tool an end-to-end test needs is here: `probe` runs
/// (e.g. `["go", "version"]`) and exits 0. When it is not, a developer's run
/// prints a notice and the caller skips; under CI (`CI` set) it panics, so
/// that CI cannot pass by skipping.
pub fn tool_available(what: &str, probe: &[&str]) -> bool {
    let found = Command::new(probe[0])
        .args(&probe[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        let message = format!("{what} is not installed (`{}` failed)", probe.join(" "));
        assert!(
            std::env::var_os("CI").is_none(),
            "{message}: CI must run this end-to-end test (.ci/run installs it)"
        );
        eprintln!("note: skipping: {message}; `.ci/run` shows how to install it");
    }
    found
}
