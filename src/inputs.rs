//! Turning `--timings` arguments into a sorted list of report files.
//!
//! An argument is a file, a directory (searched recursively) or a glob
//! pattern; the result is sorted and deduplicated, so the order arguments are
//! given in, or the order a filesystem lists a directory in, never matters.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::report;

/// The report files named by the `--timings` arguments, plus notes for the
/// user about arguments that matched nothing.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReportFiles {
    /// Files to read, sorted.
    pub files: Vec<PathBuf>,
    /// Arguments that matched no file (a glob on a first CI run).
    pub unmatched: Vec<String>,
    /// Files found while walking directories that no format recognises.
    pub skipped_in_directories: usize,
}

/// Resolves every `--timings` argument. A path that does not exist and is not
/// a glob is an error: a typo must not silently plan by count.
pub fn resolve(arguments: &[String]) -> Result<ReportFiles> {
    let mut files = BTreeSet::new();
    let mut found = ReportFiles::default();
    for argument in arguments {
        let path = Path::new(argument);
        if path.is_file() {
            files.insert(path.to_path_buf());
        } else if path.is_dir() {
            let before = files.len();
            walk(path, &mut files, &mut found.skipped_in_directories)?;
            if files.len() == before {
                found.unmatched.push(argument.clone());
            }
        } else if is_glob(argument) {
            let matches = glob::glob(argument).map_err(|e| {
                Error::usage(format!(
                    "--timings {argument:?} is not a valid glob pattern: {e}"
                ))
            })?;
            let before = files.len();
            for entry in matches {
                let entry = entry
                    .map_err(|e| Error::in_file(e.path(), format!("cannot read: {}", e.error())))?;
                if entry.is_file() {
                    files.insert(entry);
                }
            }
            if files.len() == before {
                found.unmatched.push(argument.clone());
            }
        } else {
            return Err(Error::in_file(
                path,
                "no such file or directory (--timings takes a report file, a directory or a quoted glob)",
            ));
        }
    }
    found.files = files.into_iter().collect();
    Ok(found)
}

fn is_glob(argument: &str) -> bool {
    argument.contains(['*', '?', '['])
}

/// Collects files under `dir` that a report format recognises; others
/// (screenshots, logs, coverage) are counted, not read.
fn walk(dir: &Path, files: &mut BTreeSet<PathBuf>, skipped: &mut usize) -> Result<()> {
    let entries = fs::read_dir(dir)
        .map_err(|e| Error::in_file(dir, format!("cannot list directory: {e}")))?;
    for entry in entries {
        let entry =
            entry.map_err(|e| Error::in_file(dir, format!("cannot list directory: {e}")))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| Error::in_file(&path, format!("cannot stat: {e}")))?;
        if kind.is_dir() {
            walk(&path, files, skipped)?;
        } else if kind.is_file() || path.is_file() {
            if looks_like_report(&path) {
                files.insert(path);
            } else {
                *skipped += 1;
            }
        }
    }
    Ok(())
}

fn looks_like_report(path: &Path) -> bool {
    let mut head = Vec::with_capacity(4096);
    let Ok(file) = fs::File::open(path) else {
        // Unreadable: let the reader report it with its own message.
        return true;
    };
    if file.take(4096).read_to_end(&mut head).is_err() {
        return true;
    }
    report::formats().iter().any(|f| f.sniff(&head))
}
