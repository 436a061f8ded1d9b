//! `--exec`: run a shard's commands in order, as argument vectors (no shell
//! in between), and stop at the first failure with its exit status.

use std::io::Write;
use std::process::Command;

use crate::emit::render::shell_line;
use crate::error::{Error, ErrorKind, Result};

/// Runs `commands` one after another with the inherited standard streams.
/// Each is announced on `stderr`. A command that cannot start is an input
/// error naming it; one that fails ends the run with
/// [`ErrorKind::Command`] and its status (128 + the signal number when a
/// signal killed it, as shells report it).
pub fn run(commands: &[Vec<String>], stderr: &mut dyn Write) -> Result<()> {
    run_counting(commands, stderr).1
}

/// [`run`], also saying how many of `commands` it started: fewer than all
/// when one failed (a shard record counts the start-ups paid).
pub fn run_counting(commands: &[Vec<String>], stderr: &mut dyn Write) -> (u64, Result<()>) {
    let mut started = 0;
    for argv in commands {
        let Some((program, args)) = argv.split_first() else {
            continue;
        };
        let line = shell_line(argv);
        let _ = writeln!(stderr, "shardplan: running: {line}");
        let _ = stderr.flush();
        let status = match Command::new(program).args(args).status() {
            Ok(status) => status,
            Err(e) => {
                let error = Error::input(format!("cannot run `{line}`: {e}"));
                return (started, Err(error));
            }
        };
        started += 1;
        if !status.success() {
            let code = status.code().unwrap_or_else(|| 128 + signal(&status));
            let error = Error {
                kind: ErrorKind::Command(code),
                path: None,
                position: None,
                message: format!("`{line}` failed with exit status {code}"),
            };
            return (started, Err(error));
        }
    }
    (started, Ok(()))
}

#[cfg(unix)]
fn signal(status: &std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.signal().unwrap_or(0)
}

#[cfg(not(unix))]
fn signal(_status: &std::process::ExitStatus) -> i32 {
    0
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn runs_in_order_and_stops_at_the_first_failure() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("log");
        let log = log.to_str().expect("utf-8");
        let mut stderr = Vec::new();
        let result = run(
            &[
                argv(&["sh", "-c", &format!("echo one >> {log}")]),
                argv(&["sh", "-c", "exit 3"]),
                argv(&["sh", "-c", &format!("echo two >> {log}")]),
            ],
            &mut stderr,
        );
        let error = result.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Command(3));
        // Two of the three started: a record counts two start-ups.
        let (started, _) = run_counting(
            &[
                argv(&["true"]),
                argv(&["sh", "-c", "exit 3"]),
                argv(&["true"]),
            ],
            &mut Vec::new(),
        );
        assert_eq!(started, 2);
        assert_eq!(run_counting(&[argv(&["true"])], &mut Vec::new()).0, 1);
        assert_eq!(error.exit_code(), 3);
        assert_eq!(std::fs::read_to_string(log).expect("log"), "one\n");
        let said = String::from_utf8(stderr).expect("utf-8");
        assert!(
            said.contains("shardplan: running: sh -c 'exit 3'"),
            "{said}"
        );
    }

    #[test]
    fn a_missing_program_is_named() {
        let error = run(
            &[argv(&["shardplan-no-such-program", "x"])],
            &mut Vec::new(),
        )
        .unwrap_err();
        assert_eq!(error.kind, ErrorKind::Input);
        assert!(
            error
                .message
                .contains("cannot run `shardplan-no-such-program x`")
        );
    }
}
