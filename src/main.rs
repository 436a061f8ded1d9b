//! The `shardplan` binary: parse the command line, run, map errors to exit
//! statuses. Everything else lives in the library.

use std::io;
use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use shardplan::app::{self, Streams};
use shardplan::cli::Cli;
use shardplan::error::ErrorKind;

fn main() -> ExitCode {
    map_large_allocations();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let args: Vec<String> = std::env::args().collect();
            let hint = (error.kind() == clap::error::ErrorKind::UnknownArgument)
                .then(|| shardplan::cli::expanded_glob_hint(&args, |p| Path::new(p).exists()))
                .flatten();
            let _ = error.print();
            if let Some(hint) = hint {
                eprintln!("\ntip: {hint}");
            }
            return ExitCode::from(error.exit_code() as u8);
        }
    };
    let stdin = io::stdin();
    let stdout = io::stdout();
    let stderr = io::stderr();
    let mut streams = Streams {
        stdin: &mut stdin.lock(),
        stdout: &mut stdout.lock(),
        stderr: &mut stderr.lock(),
    };
    match app::dispatch(&cli, &mut streams) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind == ErrorKind::Usage => {
            usage_command()
                .error(clap::error::ErrorKind::ValueValidation, error.message)
                .exit();
        }
        Err(error) => {
            eprintln!("shardplan: error: {error}");
            ExitCode::from(error.exit_code() as u8)
        }
    }
}

/// The command whose usage a usage error shows: the subcommand run
/// (`shardplan select …`), else the top-level command.
fn usage_command() -> clap::Command {
    let mut command = Cli::command();
    command.build();
    let name = command
        .clone()
        .try_get_matches()
        .ok()
        .and_then(|matches| matches.subcommand_name().map(str::to_string));
    match name.and_then(|name| command.find_subcommand(&name).cloned()) {
        Some(subcommand) => {
            let bin_name = format!("shardplan {}", subcommand.get_name());
            subcommand.bin_name(bin_name)
        }
        None => command,
    }
}

/// Keeps glibc's malloc mapping large blocks on their own. By default it
/// raises its mmap threshold each time a mapped block is freed (up to
/// 32 MB), so that the next large vectors come from its heap, whose pages
/// stay resident after they are freed. A million-test plan builds vectors
/// of 4 to 40 MB one phase after another, and that kept a few MB of freed
/// ones in its peak memory. The default's starting value, fixed, maps each
/// and gives it back when it is freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn map_large_allocations() {
    const M_MMAP_THRESHOLD: i32 = -3;
    unsafe extern "C" {
        fn mallopt(param: i32, value: i32) -> i32;
    }
    // SAFETY: `mallopt` sets one of malloc's parameters; it is called
    // before any other thread starts.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Other allocators give large blocks back as they are freed already.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn map_large_allocations() {}
