//! The input side: turning `--timings` arguments into a sorted list of
//! report files, reading them into test cases (for planning, `merge` and
//! `verify` alike), and reading the `--tests-from` test list.
//!
//! An argument is a file, a directory (searched recursively) or a glob
//! pattern; the result is sorted and deduplicated, so the order arguments are
//! given in, or the order a filesystem lists a directory in, never matters.

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use crate::case::Shared;
use crate::error::{Error, Result};
use crate::identity;
use crate::naming::{Naming, TestId};
use crate::report::{self, GroupTime, RunWindow, TestCase, history};
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

/// Resolves every report argument (of `--timings`, or what `what` names
/// in messages). A path that does not exist and is not a glob is an error:
/// a typo must not silently plan by count.
///
/// A directory that cannot be listed (permissions) is returned among the
/// files: reading it then fails like an unreadable report, skipped with a
/// warning unless `--strict`.
pub fn resolve(arguments: &[String], what: &str) -> Result<ReportFiles> {
    let mut files = BTreeSet::new();
    let mut found = ReportFiles::default();
    for argument in arguments {
        let path = Path::new(argument);
        // Each argument's own matches, so a file an earlier argument also
        // named still counts as a match of this one.
        let mut matched = BTreeSet::new();
        match fs::metadata(path) {
            Ok(meta) if meta.is_file() => {
                matched.insert(path.to_path_buf());
            }
            Ok(meta) if meta.is_dir() => {
                walk(path, &mut matched, &mut found.skipped_in_directories)?;
            }
            Ok(meta) => {
                return Err(Error::in_file(
                    path,
                    format!(
                        "is {}, not a report file ({what} takes a report file, a directory \
                         or a quoted glob; write the report to a file first)",
                        special_file_kind(&meta)
                    ),
                ));
            }
            Err(_) if is_glob(argument) => {
                expand_glob(argument, &mut matched)?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::in_file(
                    path,
                    format!(
                        "no such file or directory ({what} takes a report file, a directory \
                         or a quoted glob)"
                    ),
                ));
            }
            Err(e) => return Err(Error::in_file(path, format!("cannot read: {e}"))),
        }
        if matched.is_empty() {
            found.unmatched.push(argument.clone());
        }
        files.extend(matched);
    }
    found.files = same_files_once(files);
    Ok(found)
}

/// What a path that is neither a file nor a directory is, for messages.
fn special_file_kind(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = meta.file_type();
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        } else if kind.is_socket() {
            return "a socket";
        } else if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
    }
    let _ = meta;
    "not a regular file"
}

/// Keeps one path per file: a file reached through two paths (a symlinked
/// directory, `x.xml` and `./x.xml`) is read once, under the smallest path,
/// so the result does not depend on the order paths were found in.
fn same_files_once(files: BTreeSet<PathBuf>) -> Vec<PathBuf> {
    let mut seen = std::collections::HashSet::new();
    files
        .into_iter()
        .filter(|path| seen.insert(fs::canonicalize(path).unwrap_or_else(|_| path.clone())))
        .collect()
}

fn is_glob(argument: &str) -> bool {
    argument.contains(['*', '?', '['])
}

/// One component of a glob pattern after its literal base directory.
enum GlobPart {
    /// `**`: any number of directories, none included.
    AnyDirs,
    /// A pattern for one name.
    Name(glob::Pattern),
}

/// Expands a glob pattern into the files it matches, as the `glob` crate
/// would (a trailing `**` also takes the files under it), but walking each
/// directory at most once per pattern position
/// (by its canonical path): symlinked directories are followed, and a
/// symlink cycle (`up -> ..`, as pnpm and yarn workspaces make) ends the
/// walk there instead of looping until the path is too long.
fn expand_glob(argument: &str, files: &mut BTreeSet<PathBuf>) -> Result<()> {
    glob::Pattern::new(argument).map_err(|e| {
        Error::usage(format!(
            "--timings {argument:?} is not a valid glob pattern: {e}"
        ))
    })?;
    let mut base = PathBuf::new();
    let mut parts = Vec::new();
    for component in Path::new(argument).components() {
        let text = component.as_os_str().to_string_lossy();
        if parts.is_empty() && !is_glob(&text) {
            base.push(component);
        } else if text == "**" {
            parts.push(GlobPart::AnyDirs);
        } else {
            let pattern = glob::Pattern::new(&text).map_err(|e| {
                Error::usage(format!(
                    "--timings {argument:?} is not a valid glob pattern: {e}"
                ))
            })?;
            parts.push(GlobPart::Name(pattern));
        }
    }
    let mut walk = GlobWalk {
        parts,
        visited: std::collections::HashSet::new(),
        files,
    };
    walk.visit(&base, 0);
    Ok(())
}

struct GlobWalk<'a> {
    parts: Vec<GlobPart>,
    /// (canonical directory, pattern position) pairs already walked.
    visited: std::collections::HashSet<(PathBuf, usize)>,
    files: &'a mut BTreeSet<PathBuf>,
}

impl GlobWalk<'_> {
    /// Matches `parts[at..]` inside `dir` (`""` is the current directory).
    fn visit(&mut self, dir: &Path, at: usize) {
        let listed = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let Ok(canonical) = fs::canonicalize(listed) else {
            return;
        };
        if !self.visited.insert((canonical, at)) {
            return;
        }
        let mut entries: Vec<(String, PathBuf)> = match fs::read_dir(listed) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        dir.join(e.file_name()),
                    )
                })
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(_) => {
                // Unreadable: reading it reports why (skipped unless --strict).
                self.files.insert(listed.to_path_buf());
                return;
            }
        };
        entries.sort();
        let last = at + 1 == self.parts.len();
        match &self.parts[at] {
            GlobPart::AnyDirs => {
                if !last {
                    self.visit(dir, at + 1);
                }
                for (_, path) in entries {
                    if path.is_dir() {
                        self.visit(&path, at);
                    } else if last && path.is_file() {
                        self.files.insert(path);
                    }
                }
            }
            GlobPart::Name(pattern) => {
                let pattern = pattern.clone();
                for (name, path) in entries {
                    if !pattern.matches(&name) {
                        continue;
                    }
                    if last {
                        if path.is_file() {
                            self.files.insert(path);
                        }
                    } else if path.is_dir() {
                        self.visit(&path, at + 1);
                    }
                }
            }
        }
    }
}

/// Collects files under `dir` that a report format recognises; others
/// (screenshots, logs, coverage) are counted, not read. Symlinked
/// directories are not followed. A subdirectory that cannot be listed is
/// returned as a file: reading it fails as an unreadable report does
/// (skipped with a warning unless `--strict`).
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
            if fs::read_dir(&path).is_err() {
                files.insert(path);
            } else {
                walk(&path, files, skipped)?;
            }
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

/// The reports named by `--timings` arguments, read ([`read_reports`]).
pub(crate) struct ReadReports {
    /// Every case, in file order.
    pub cases: Vec<TestCase>,
    /// The reports' group times, their case ranges into `cases`.
    pub groups: Vec<GroupTime>,
    /// How many files were read.
    pub files_read: usize,
    /// The header of each timing history read, in path order: its runs and
    /// the costs it learned, which planning takes from here.
    pub histories: Vec<(PathBuf, history::Header)>,
}

/// Reads the reports named by `--timings` arguments.
pub(crate) fn read_reports(
    arguments: &[String],
    options: &ReadOptions<'_>,
    warnings: &mut Warnings,
) -> Result<ReadReports> {
    let found = resolve(arguments, "--timings")?;
    for argument in &found.unmatched {
        warnings.push(format!("--timings {argument:?} matched no report file"));
    }
    let mut histories = Vec::new();
    let (cases, groups, files_read) =
        read_each(&found.files, options, warnings, &mut |path, report| {
            if let Some(header) = report.history.take() {
                histories.push((path.to_path_buf(), header));
            }
        })?;
    Ok(ReadReports {
        cases,
        groups,
        files_read,
        histories,
    })
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
    read_reports_with_windows(files, options, warnings, &mut Vec::new())
}

/// [`read_reports_with_groups`], also collecting into `windows` the run
/// window of each report that gives one ([`crate::report::RunWindow`]).
pub fn read_reports_with_windows(
    files: &[PathBuf],
    options: &ReadOptions<'_>,
    warnings: &mut Warnings,
    windows: &mut Vec<RunWindow>,
) -> Result<(Vec<TestCase>, Vec<GroupTime>, usize)> {
    read_each(files, options, warnings, &mut |_, report| {
        windows.extend(report.run.take());
    })
}

/// [`read_reports_with_groups`], handing each report read to `seen` (with
/// its path) before its cases are taken.
fn read_each(
    files: &[PathBuf],
    options: &ReadOptions<'_>,
    warnings: &mut Warnings,
    seen: &mut dyn FnMut(&Path, &mut report::Report),
) -> Result<(Vec<TestCase>, Vec<GroupTime>, usize)> {
    let strict = options.strict;
    let mut cases = Vec::new();
    let mut groups = Vec::new();
    // Why each report that could not be read was not, in file order.
    let mut skipped: Vec<Error> = Vec::new();
    let mut read = 0;
    for path in files {
        match report::read_file_as(path, options.format) {
            Ok((mut report, file_warnings)) => {
                read += 1;
                seen(path, &mut report);
                let offset = cases.len();
                groups.extend(report.groups.into_iter().map(|group| GroupTime {
                    cases: group.cases.start + offset..group.cases.end + offset,
                    ..group
                }));
                let mut read_cases = report.cases;
                let mut last = RootedFile::default();
                for case in &mut read_cases {
                    root_paths(case, &options.root, &mut last);
                }
                if cases.is_empty() {
                    // One report (or the first): its cases, not a copy.
                    cases = read_cases;
                } else {
                    cases.append(&mut read_cases);
                }
                for warning in file_warnings {
                    warnings.push(warning.0.to_string());
                }
            }
            Err(error) if strict => return Err(error),
            Err(error) => skipped.push(error),
        }
    }
    settle_unreadable(skipped, read, warnings)?;
    Ok((cases, groups, read))
}

/// How reading ends for the reports that could not be read (`skipped`, in
/// order) when `read` others were: with none read, an error (the one
/// report's own, or one naming each report and why); else a warning for
/// each, which is skipped.
pub(crate) fn settle_unreadable(
    mut skipped: Vec<Error>,
    read: usize,
    warnings: &mut Warnings,
) -> Result<()> {
    if read > 0 || skipped.is_empty() {
        for error in skipped {
            warnings.push(format!(
                "{error}; skipping this report (--strict makes this an error)"
            ));
        }
        return Ok(());
    }
    if skipped.len() == 1 {
        return Err(skipped.pop().expect("one"));
    }
    let reasons: Vec<String> = skipped.iter().map(|error| format!("  {error}")).collect();
    Err(Error::input(format!(
        "none of the {} reports could be read:\n{}",
        skipped.len(),
        reasons.join("\n")
    )))
}

/// The file text [`root_paths`] saw last and what it made of it (`None`:
/// kept as it is). Readers hand the cases of one file the same text, so
/// each file is looked at once, and its rooted path is shared as well.
#[derive(Default)]
struct RootedFile {
    seen: Option<Shared>,
    rooted: Option<Shared>,
}

/// Makes a case's file relative to the root; a file-level case (named by
/// its file, as parallel_tests and Knapsack record them) is renamed with it.
fn root_paths(case: &mut TestCase, root: &str, last: &mut RootedFile) {
    let Some(file) = &case.file else {
        return;
    };
    let rooted = match &last.seen {
        Some(seen) if Shared::ptr_eq(seen, file) => last.rooted.clone(),
        _ => {
            let rooted = if identity::is_normal_relative(file) {
                None
            } else {
                let relative = identity::relative_to_root(file, root);
                (*relative != **file).then(|| Shared::from(relative))
            };
            *last = RootedFile {
                seen: Some(file.clone()),
                rooted: rooted.clone(),
            };
            rooted
        }
    };
    if let Some(relative) = rooted {
        if *case.name == **file {
            case.name = relative.clone();
        }
        case.file = Some(relative);
    }
}

/// The longest `--tests-from` line accepted: far beyond any test id a
/// command line can carry (Linux refuses one argument of 128 KiB).
pub const MAX_LISTING_LINE_BYTES: usize = 1 << 20;

/// The largest `--tests-from` accepted: millions of tests, yet a bound
/// when the source never ends (`/dev/zero`, a stuck pipe's producer).
pub const MAX_LISTING_BYTES: u64 = 256 << 20;

/// Reads the runner's test list (`--tests-from`: a file, or `-` for stdin).
/// Reading is bounded: a line over [`MAX_LISTING_LINE_BYTES`] or a list
/// over [`MAX_LISTING_BYTES`] is an error naming the line.
pub(crate) fn read_listing(
    source: &str,
    runner: &dyn Naming,
    stdin: &mut dyn Read,
) -> Result<Vec<TestId>> {
    let path = Path::new(if source == "-" { "<stdin>" } else { source });
    let text = if source == "-" {
        read_listing_text(path, stdin)?
    } else {
        let file = fs::File::open(path)
            .map_err(|e| Error::in_file(path, format!("cannot read the test list: {e}")))?;
        read_listing_text(path, &mut std::io::BufReader::new(file))?
    };
    runner
        .parse_listing(&text)
        .map_err(|e| Error::in_file(path, e.message).at(e.line as u64, 1))
}

/// The text of a test list, read line by line within the limits.
fn read_listing_text(path: &Path, input: &mut dyn Read) -> Result<String> {
    let mut input = std::io::BufReader::new(input.take(MAX_LISTING_BYTES + 1));
    let mut bytes = Vec::new();
    let mut line_no = 1u64;
    loop {
        let start = bytes.len();
        let limit = (MAX_LISTING_LINE_BYTES + 1) as u64;
        let n = (&mut input)
            .take(limit)
            .read_until(b'\n', &mut bytes)
            .map_err(|e| Error::in_file(path, format!("cannot read the test list: {e}")))?;
        if n == 0 {
            break;
        }
        let line = &bytes[start..];
        if line.len() > MAX_LISTING_LINE_BYTES && !line.ends_with(b"\n") {
            return Err(Error::in_file(
                path,
                format!(
                    "line longer than {} MiB: not a test list (a test id is at most a few KiB)",
                    MAX_LISTING_LINE_BYTES >> 20
                ),
            )
            .at(line_no, 1));
        }
        if bytes.len() as u64 > MAX_LISTING_BYTES {
            return Err(Error::in_file(
                path,
                format!(
                    "the test list is larger than {} MiB; is it really one?",
                    MAX_LISTING_BYTES >> 20
                ),
            )
            .at(line_no, 1));
        }
        line_no += 1;
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
            + 1;
        Error::in_file(
            path,
            format!("the test list is not UTF-8: {}", e.utf8_error()),
        )
        .at(line, 1)
    })?;
    // A control character would be printed back raw in a filter (or reach
    // the terminal); a line ending in \r\n is fine.
    for (index, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(c) = crate::text::unprintable(line) {
            let column = line.chars().take_while(|&x| x != c).count() as u64 + 1;
            return Err(Error::in_file(
                path,
                format!(
                    "control character {:?} in the test list: {}",
                    c,
                    crate::text::escape_unprintable(line)
                ),
            )
            .at(index as u64 + 1, column));
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Dialect, Outcome};

    #[test]
    fn the_cases_of_one_file_are_rooted_alike_and_share_the_result() {
        let case = |name: &str, file: &Shared| TestCase {
            name: name.into(),
            classname: None,
            suite: None,
            file: Some(file.clone()),
            duration: None,
            outcome: Outcome::Passed,
            dialect: Dialect::Generic,
            variant: None,
        };
        let absolute: Shared = "/ci/work/spec/a_spec.rb".into();
        let normal: Shared = "spec/b_spec.rb".into();
        let mut cases = [
            case("it works", &absolute),
            case("/ci/work/spec/a_spec.rb", &absolute),
            case("it also works", &normal),
            case("again", &absolute),
        ];
        let mut last = RootedFile::default();
        for case in &mut cases {
            root_paths(case, "/ci/work", &mut last);
        }
        let files: Vec<&str> = cases.iter().map(|c| c.file.as_deref().unwrap()).collect();
        assert_eq!(
            files,
            [
                "spec/a_spec.rb",
                "spec/a_spec.rb",
                "spec/b_spec.rb",
                "spec/a_spec.rb"
            ]
        );
        // A file-level case is renamed with its file.
        assert_eq!(cases[1].name, "spec/a_spec.rb");
        assert_eq!(cases[0].name, "it works");
        let (first, second) = (cases[0].file.as_ref(), cases[1].file.as_ref());
        assert!(Shared::ptr_eq(first.unwrap(), second.unwrap()));
        assert!(Shared::ptr_eq(cases[2].file.as_ref().unwrap(), &normal));
    }

    /// Without symlinks, the walk finds what the `glob` crate finds.
    #[test]
    fn globs_match_as_the_glob_crate_does() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "x.xml",
            ".hidden.xml",
            "a/x.xml",
            "a/b/x.xml",
            "a/b/c/y.xml",
            "a/c/x.xml",
            "a/.h/x.xml",
            "a/b/x.txt",
            "d/b/z.xml",
        ] {
            let path = root.join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, "x").unwrap();
        }
        let base = root.to_string_lossy();
        for pattern in [
            "**/*.xml",
            "*.xml",
            "a/*/x.xml",
            "a/[bc]/*.xml",
            "**/b/*.xml",
            "a/**/x.xml",
            "**/**/*.xml",
            "?/x.xml",
            "nothing/**/*.xml",
        ] {
            let full = format!("{base}/{pattern}");
            let expected: BTreeSet<PathBuf> = glob::glob(&full)
                .unwrap()
                .map(|p| p.unwrap())
                .filter(|p| p.is_file())
                .collect();
            let mut found = BTreeSet::new();
            expand_glob(&full, &mut found).unwrap();
            assert_eq!(found, expected, "{pattern}");
        }
        // One difference: a trailing `**` takes the files under it (the
        // glob crate matches only the directories, so no report file).
        let mut found = BTreeSet::new();
        expand_glob(&format!("{base}/a/**"), &mut found).unwrap();
        assert_eq!(found.len(), 6);
    }

    /// A symlink cycle is walked once; a symlinked directory that is no
    /// cycle is followed, and what it reaches twice is read once.
    #[cfg(unix)]
    #[test]
    fn globs_walk_symlink_cycles_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("r/d")).unwrap();
        fs::write(root.join("r/x.xml"), "x").unwrap();
        std::os::unix::fs::symlink("..", root.join("r/d/up")).unwrap();
        std::os::unix::fs::symlink("..", root.join("r/d/up2")).unwrap();
        std::os::unix::fs::symlink("r", root.join("alias")).unwrap();
        let mut found = BTreeSet::new();
        expand_glob(&format!("{}/**/*.xml", root.display()), &mut found).unwrap();
        let found = same_files_once(found);
        assert_eq!(found, [root.join("alias/x.xml")]);
    }
}
