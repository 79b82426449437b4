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
static GLOBAL: Allocator = Allocator;

/// mimalloc, asked through its plain entry points whenever they already give the alignment.
///
/// The `mimalloc` crate's allocator calls `mi_malloc_aligned` for every request, whose path
/// costs about twice that of `mi_malloc` (about 46 instructions against 20, and the decoder
/// allocates some 27 times per command). mimalloc documents that a block of at least
/// `alignment` bytes is aligned to it when the alignment is at most `MI_MAX_ALIGN_SIZE`
/// (its `mi_malloc_is_naturally_aligned` takes the same shortcut); any other layout goes
/// through the aligned entry points as before. Blocks from both are freed by `mi_free`.
struct Allocator;

/// mimalloc's `MI_MAX_ALIGN_SIZE` (`include/mimalloc/types.h`), the alignment every block of
/// at least that size has.
const MI_MAX_ALIGN_SIZE: usize = 16;

/// Whether `mi_malloc(size)` is aligned to `align` without being asked.
fn naturally_aligned(size: usize, align: usize) -> bool {
    align <= MI_MAX_ALIGN_SIZE && align <= size
}

// SAFETY: every pointer comes from mimalloc, through an entry point that returns memory
// aligned to the layout's alignment (the plain ones only where `naturally_aligned` holds), and
// goes back through `mi_free` or a mimalloc `realloc`, which accept blocks from either.
unsafe impl std::alloc::GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys as mi;
        // SAFETY: plain calls into mimalloc with a valid size and power-of-two alignment.
        unsafe {
            if naturally_aligned(layout.size(), layout.align()) {
                mi::mi_malloc(layout.size()).cast()
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys as mi;
        // SAFETY: as in `alloc`.
        unsafe {
            if naturally_aligned(layout.size(), layout.align()) {
                mi::mi_zalloc(layout.size()).cast()
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        use libmimalloc_sys as mi;
        // SAFETY: `ptr` came from this allocator; the new block keeps the layout's alignment
        // by the same rule as `alloc`.
        unsafe {
            if naturally_aligned(new_size, layout.align()) {
                mi::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::{GlobalAlloc, Layout};

    /// Every size and alignment the shortcut may take, and some it must not, come back
    /// aligned, zeroed when asked, and keep their bytes through `realloc`.
    #[test]
    fn blocks_are_aligned_as_asked() {
        let a = Allocator;
        for align in [1usize, 2, 4, 8, 16, 32, 64, 4096] {
            for size in (1..=80).chain([127, 128, 1000, 4096, 70_000]) {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: a non-zero-size layout; the block is used within it and freed once.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "alloc {size} align {align}");
                    p.write_bytes(0xAB, size);
                    let grown = a.realloc(p, layout, size * 3);
                    assert_eq!(grown as usize % align, 0, "realloc {size} align {align}");
                    assert!((0..size).all(|i| *grown.add(i) == 0xAB));
                    let shrunk = a.realloc(
                        grown,
                        Layout::from_size_align(size * 3, align).unwrap(),
                        size,
                    );
                    assert_eq!(shrunk as usize % align, 0, "shrink {size} align {align}");
                    a.dealloc(shrunk, layout);
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "zeroed {size} align {align}");
                    assert!((0..size).all(|i| *z.add(i) == 0));
                    a.dealloc(z, layout);
                }
            }
        }
    }

    #[test]
    fn the_shortcut_is_taken_only_where_mimalloc_promises_alignment() {
        assert!(naturally_aligned(8, 8));
        assert!(naturally_aligned(24, 8));
        assert!(naturally_aligned(16, 16));
        assert!(!naturally_aligned(8, 16));
        assert!(!naturally_aligned(64, 32));
        assert!(!naturally_aligned(0, 1));
    }
}
