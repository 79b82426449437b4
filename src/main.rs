//! The `msnsniff` binary: parse the command line, run it, turn the result into an exit code.
//! Exit codes: 0 MSN traffic found, 1 none found, 2 error. A closed pipe is not an error.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = msnsniff::cli::Cli::parse();
    match msnsniff::app::run(cli) {
        Ok(outcome) => match outcome.capture_error {
            Some(e) => {
                eprintln!("msnsniff: {e}");
                ExitCode::from(2)
            }
            None if outcome.found_msn => ExitCode::SUCCESS,
            None => {
                if let Some(note) = outcome.note {
                    eprintln!("msnsniff: {note}");
                }
                ExitCode::from(1)
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("msnsniff: {e}");
            ExitCode::from(2)
        }
    }
}
