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

/// mimalloc rather than the system's allocator: a fifth of the time went to malloc and
/// free, which mimalloc does faster, and events built on the decoding thread are freed on the
/// output thread, which glibc's arenas make slow (the two-thread run was slower than one).
///
/// Blocks of 16 KiB and more (whole payloads, a stalled line, a reassembly buffer behind a
/// hole) bypass mimalloc: they are mapped from the system and unmapped when freed, so their
/// memory goes back at once, whichever thread frees them (`msnsniff::allocator`). mimalloc
/// keeps its default purge delay (10 ms) for everything smaller. With a delay of 0, which
/// bounded the big blocks before, every page that emptied was given back and faulted in
/// again at its next use: `read --format jsonl` spent about a seventh of its time on that
/// (docs/performance.md). With the delay and no bypass, the payloads freed on the output
/// thread waited for it, and 400 stalled 1 MB messages took 77 MB
/// (`tests/issue_13_resource_attacks.rs`, bound 64 MB).
#[global_allocator]
static GLOBAL: msnsniff::allocator::Allocator = msnsniff::allocator::Allocator;
