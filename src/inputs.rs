//! The input side: turning `--timings` arguments into a sorted list of
//! report files, reading them into test cases (for planning, `merge` and
//! `verify` alike), and reading the `--tests-from` test list.
//!
//! An argument is a file, a directory (searched recursively) or a glob
//! pattern; the result is sorted and deduplicated, so the order arguments are
//! given in, or the order a filesystem lists a directory in, never matters.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::identity;
use crate::naming::{Naming, TestId};
use crate::report::{self, GroupTime, TestCase};
use crate::warnings::Warnings;

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

/// How report files are read and their paths named, for planning and
/// `merge` alike.
#[derive(Debug, Clone)]
pub struct ReadOptions<'a> {
    /// Fail on an unreadable report instead of skipping it.
    pub strict: bool,
    /// The format to read every report as, instead of detecting it.
    pub format: Option<&'a str>,
    /// The `--root` directory, absolute and normalised.
    pub root: String,
}

impl<'a> ReadOptions<'a> {
    /// Options from the command line; `root` defaults to the current
    /// directory, and a relative one is taken from it.
    pub fn new(strict: bool, format: Option<&'a str>, root: Option<&Path>) -> Result<Self> {
        let cwd = std::env::current_dir()
            .map_err(|e| Error::input(format!("cannot read the current directory: {e}")))?;
        // The root need not exist here: reports are often written on
        // another machine, under another checkout path.
        let root = match root.map(|r| identity::normalize_path(&r.to_string_lossy())) {
            // `C:/…` is absolute wherever shardplan runs.
            Some(root) if identity::is_absolute(&root) => root,
            Some(root) => identity::normalize_path(&cwd.join(root).to_string_lossy()),
            None => identity::normalize_path(&cwd.to_string_lossy()),
        };
        Ok(ReadOptions {
            strict,
            format,
            root,
        })
    }
}

/// Reads the reports named by `--timings` arguments.
pub(crate) fn read_reports(
    arguments: &[String],
    options: &ReadOptions<'_>,
    warnings: &mut Warnings,
) -> Result<(Vec<TestCase>, Vec<GroupTime>, usize)> {
    let found = resolve(arguments)?;
    for argument in &found.unmatched {
        warnings.push(format!("--timings {argument:?} matched no report file"));
    }
    read_reports_with_groups(&found.files, options, warnings)
}

/// Reads every report file and makes the paths in them relative to the
/// root. A broken report is skipped with a warning when others can be read,
/// unless `strict`; when none can, the first error stands. Returns the cases
/// and the number of files read.
pub fn read_report_files(
    files: &[PathBuf],
    options: &ReadOptions<'_>,
    warnings: &mut Warnings,
) -> Result<(Vec<TestCase>, usize)> {
    read_reports_with_groups(files, options, warnings).map(|(cases, _, read)| (cases, read))
}

/// [`read_report_files`], also returning the reports' group times, their
/// case ranges shifted to index the combined cases.
pub fn read_reports_with_groups(
    files: &[PathBuf],
    options: &ReadOptions<'_>,
    warnings: &mut Warnings,
) -> Result<(Vec<TestCase>, Vec<GroupTime>, usize)> {
    let strict = options.strict;
    let mut cases = Vec::new();
    let mut groups = Vec::new();
    let mut first_error = None;
    let mut read = 0;
    for path in files {
        match report::read_file_as(path, options.format) {
            Ok((report, file_warnings)) => {
                read += 1;
                let offset = cases.len();
                groups.extend(report.groups.into_iter().map(|group| GroupTime {
                    cases: group.cases.start + offset..group.cases.end + offset,
                    ..group
                }));
                cases.extend(report.cases.into_iter().map(|mut case| {
                    root_paths(&mut case, &options.root);
                    case
                }));
                for warning in file_warnings {
                    warnings.push(warning.0.to_string());
                }
            }
            Err(error) if strict => return Err(error),
            Err(error) => {
                warnings.push(format!(
                    "{error}; skipping this report (--strict makes this an error)"
                ));
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) if read == 0 => Err(error),
        _ => Ok((cases, groups, read)),
    }
}

/// Makes a case's file relative to the root; a file-level case (named by
/// its file, as parallel_tests and Knapsack record them) is renamed with it.
fn root_paths(case: &mut TestCase, root: &str) {
    let Some(file) = &case.file else {
        return;
    };
    let relative = identity::relative_to_root(file, root);
    if &relative != file {
        if case.name == *file {
            case.name = relative.clone();
        }
        case.file = Some(relative);
    }
}

/// Reads the runner's test list (`--tests-from`: a file, or `-` for stdin).
pub(crate) fn read_listing(
    source: &str,
    runner: &dyn Naming,
    stdin: &mut dyn Read,
) -> Result<Vec<TestId>> {
    let path = Path::new(if source == "-" { "<stdin>" } else { source });
    let text = if source == "-" {
        let mut text = String::new();
        stdin
            .read_to_string(&mut text)
            .map_err(|e| Error::in_file(path, format!("cannot read the test list: {e}")))?;
        text
    } else {
        let bytes = fs::read(path)
            .map_err(|e| Error::in_file(path, format!("cannot read the test list: {e}")))?;
        String::from_utf8(bytes)
            .map_err(|e| Error::in_file(path, format!("the test list is not UTF-8: {e}")))?
    };
    runner
        .parse_listing(&text)
        .map_err(|e| Error::in_file(path, e.message).at(e.line as u64, 1))
}
