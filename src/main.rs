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
            Cli::command()
                .error(clap::error::ErrorKind::ValueValidation, error.message)
                .exit();
        }
        Err(error) => {
            eprintln!("shardplan: error: {error}");
            ExitCode::from(error.exit_code() as u8)
        }
    }
}
