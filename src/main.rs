//! The `msnsniff` binary: parse the command line, run it, turn the result into an exit code.
//! Exit codes: 0 MSN traffic found, 1 none found, 2 error. A closed pipe is not an error.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Memory freed goes back to the system at once rather than 10 ms later (mimalloc's
    // default): with one thread decoding and another writing, whole payloads are freed on
    // the other thread at speed, and the delay let tens of MB of them wait (issue 12's
    // bound). The option's number is its place in mimalloc 2's `mi_option_e`.
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: setting an option is allowed at any time; no allocation depends on it.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
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

/// mimalloc rather than the system's allocator: a fifth of the time went to malloc and
/// free, which mimalloc does faster, and events built on the decoding thread are freed on the
/// output thread, which glibc's arenas make slow (the two-thread run was slower than one).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
