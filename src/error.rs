//! One error type for the whole pipeline.
//!
//! Every error a user can cause names the file and, where known, the line and
//! column in it, and says what to do about it. Usage errors exit with status 2
//! (like clap's own), input errors with status 1.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why shardplan stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The command line does not make sense (exit status 2).
    Usage,
    /// An input file is missing, unreadable or malformed (exit status 1).
    Input,
    /// A command run by `--exec` failed: exit with its status.
    Command(i32),
}

/// An error with enough context for the user to find and fix the cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What kind of failure this is; decides the exit status.
    pub kind: ErrorKind,
    /// The file the error is about, if any.
    pub path: Option<PathBuf>,
    /// 1-based line and column in `path`, if known.
    pub position: Option<(u64, u64)>,
    /// What went wrong and, where useful, what to do.
    pub message: String,
}

impl Error {
    /// A command-line error.
    pub fn usage(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Usage,
            path: None,
            position: None,
            message: message.into(),
        }
    }

    /// An error about an input that is not tied to one file.
    pub fn input(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Input,
            path: None,
            position: None,
            message: message.into(),
        }
    }

    /// An error about the file at `path`.
    pub fn in_file(path: &Path, message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Input,
            path: Some(path.to_path_buf()),
            position: None,
            message: message.into(),
        }
    }

    /// Attaches a 1-based line and column.
    pub fn at(mut self, line: u64, column: u64) -> Self {
        self.position = Some((line, column));
        self
    }

    /// The process exit status for this error.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::Usage => 2,
            ErrorKind::Input => 1,
            ErrorKind::Command(status) => status,
        }
    }
}

impl fmt::Display for Error {
    /// Control characters a path or a message took from an input (a file
    /// name, a test name) are escaped: they must never reach the terminal
    /// raw. A message's own line breaks stay.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}", escaped(&path.display().to_string(), false))?;
            if let Some((line, column)) = self.position {
                write!(f, ":{line}:{column}")?;
            }
            write!(f, ": ")?;
        }
        write!(f, "{}", escaped(&self.message, true))
    }
}

/// `text` with control characters escaped (`\u{1b}`), except tabs and,
/// with `keep_newlines`, its line breaks.
fn escaped(text: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    use crate::text::escape_unprintable;
    if !keep_newlines || !text.contains('\n') {
        return escape_unprintable(text);
    }
    std::borrow::Cow::Owned(
        text.split('\n')
            .map(escape_unprintable)
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

impl std::error::Error for Error {}

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14 item 6: what an input put in a path or message reaches the
    /// terminal escaped.
    #[test]
    fn control_characters_are_escaped_when_shown() {
        let e = Error::in_file(Path::new("r\u{1b}[31m.xml"), "bad \u{0}name\nsecond line").at(1, 2);
        assert_eq!(
            e.to_string(),
            "r\\u{1b}[31m.xml:1:2: bad \\u{0}name\nsecond line"
        );
    }
}
