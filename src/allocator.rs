//! The allocator of the `msnsniff` binary, here in the library so that what measures the
//! library's parts apart from the binary (the floors of `make bench`) allocates as the binary
//! does.
//!
//! It guarantees what `GlobalAlloc` asks: every block aligned as its layout says, zeroed when
//! asked, its bytes kept through `realloc`, and freed where it came from. Only the binary
//! installs it (`src/main.rs` says why mimalloc, and why big blocks bypass it); the library
//! never does, so a program that links msnsniff keeps its own.

/// mimalloc, asked through its plain entry points whenever they already give the alignment;
/// the system's pages for big blocks.
///
/// The `mimalloc` crate's allocator calls `mi_malloc_aligned` for every request, whose path
/// costs about twice that of `mi_malloc` (about 46 instructions against 20, and the decoder
/// allocates some 27 times per command). mimalloc documents that a block of at least
/// `alignment` bytes is aligned to it when the alignment is at most `MI_MAX_ALIGN_SIZE`
/// (its `mi_malloc_is_naturally_aligned` takes the same shortcut); any other layout goes
/// through the aligned entry points as before. Blocks from both are freed by `mi_free`.
///
/// Which of the two holds a block follows from its layout alone (`mapped`), which Rust
/// passes unchanged to `dealloc` and `realloc`, so a block always goes back where it came
/// from.
pub struct Allocator;

/// mimalloc's `MI_MAX_ALIGN_SIZE` (`include/mimalloc/types.h`), the alignment every block of
/// at least that size has.
const MI_MAX_ALIGN_SIZE: usize = 16;

/// The smallest block mapped from the system rather than taken from mimalloc: 16 KiB. A run
/// makes few blocks this big in the steady state (the batches handed to the output thread
/// are reused), while a payload or buffer an attack makes big is one as soon as it has grown
/// past a few segments. (With 64 KiB, 400 stalled 1 MB messages took 64.5 MB; with 16 KiB,
/// 50 MB.)
const MAPPED_MIN: usize = 16 << 10;

/// The alignment of a mapping: a page.
const PAGE: usize = 4096;

/// Whether `mi_malloc(size)` is aligned to `align` without being asked.
fn naturally_aligned(size: usize, align: usize) -> bool {
    align <= MI_MAX_ALIGN_SIZE && align <= size
}

/// Whether a block of this size and alignment is mapped from the system.
fn mapped(size: usize, align: usize) -> bool {
    size >= MAPPED_MIN && align <= PAGE
}

/// Maps `size` bytes of zeroed, private memory; null when the system refuses.
///
/// # Safety
/// `size` is not zero.
unsafe fn map(size: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping touches no existing memory.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        std::ptr::null_mut()
    } else {
        p.cast()
    }
}

// SAFETY: every pointer comes from mimalloc, through an entry point that returns memory
// aligned to the layout's alignment (the plain ones only where `naturally_aligned` holds), or,
// for the layouts `mapped` picks, from `mmap`, which aligns to a page (at least the layout's
// alignment there). Each goes back to where it came from, as `mapped` of its layout says:
// `mi_free` or a mimalloc `realloc`, which accept blocks from either mimalloc entry point, or
// `munmap` and `mremap` with the mapping's size.
unsafe impl std::alloc::GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys as mi;
        // SAFETY: plain calls into mimalloc with a valid size and power-of-two alignment, or
        // a mapping of a non-zero size.
        unsafe {
            if mapped(layout.size(), layout.align()) {
                map(layout.size())
            } else if naturally_aligned(layout.size(), layout.align()) {
                mi::mi_malloc(layout.size()).cast()
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys as mi;
        // SAFETY: as in `alloc`; a new mapping is zeroed.
        unsafe {
            if mapped(layout.size(), layout.align()) {
                map(layout.size())
            } else if naturally_aligned(layout.size(), layout.align()) {
                mi::mi_zalloc(layout.size()).cast()
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from this allocator with this layout: from a mapping of
        // `layout.size()` bytes when `mapped` says so, else from mimalloc.
        unsafe {
            if mapped(layout.size(), layout.align()) {
                libc::munmap(ptr.cast(), layout.size());
            } else {
                libmimalloc_sys::mi_free(ptr.cast());
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        use libmimalloc_sys as mi;
        let align = layout.align();
        match (mapped(layout.size(), align), mapped(new_size, align)) {
            // SAFETY: `ptr` is a mapping of `layout.size()` bytes; the kernel moves or resizes
            // it, page-aligned as before.
            (true, true) => unsafe {
                let p = libc::mremap(ptr.cast(), layout.size(), new_size, libc::MREMAP_MAYMOVE);
                if p == libc::MAP_FAILED {
                    std::ptr::null_mut()
                } else {
                    p.cast()
                }
            },
            // SAFETY: `ptr` came from mimalloc; the new block keeps the layout's alignment
            // by the same rule as `alloc`.
            (false, false) => unsafe {
                if naturally_aligned(new_size, align) {
                    mi::mi_realloc(ptr.cast(), new_size).cast()
                } else {
                    mi::mi_realloc_aligned(ptr.cast(), new_size, align).cast()
                }
            },
            // From one holder to the other: a new block, the bytes both hold copied, the old
            // block freed where it came from.
            _ => {
                // SAFETY: `realloc`'s contract makes the new layout valid (non-zero size, the
                // same alignment); `ptr` holds `layout.size()` bytes, the new block `new_size`.
                unsafe {
                    let new_layout = std::alloc::Layout::from_size_align_unchecked(new_size, align);
                    let p = self.alloc(new_layout);
                    if !p.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    p
                }
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
            for size in (1..=80).chain([
                127,
                128,
                1000,
                4096,
                70_000,
                100_000,
                MAPPED_MIN - 1,
                MAPPED_MIN,
                300_000,
                1 << 20,
            ]) {
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

    #[test]
    fn big_blocks_are_mapped_and_small_ones_are_not() {
        assert!(!mapped(MAPPED_MIN - 1, 8));
        assert!(mapped(MAPPED_MIN, 8));
        assert!(mapped(1 << 30, PAGE));
        // A mapping is aligned to a page only: a wider alignment stays with mimalloc.
        assert!(!mapped(1 << 20, 2 * PAGE));
    }

    /// A block that grows or shrinks across the bound keeps its bytes, both ways, and one
    /// mapped from the start can be grown in place or moved by the kernel.
    #[test]
    fn blocks_keep_their_bytes_across_the_bound() {
        let a = Allocator;
        let sizes = [
            1000,
            MAPPED_MIN - 8,
            MAPPED_MIN,
            MAPPED_MIN + 4096,
            3 << 20,
            5000,
        ];
        for align in [1usize, 8, 16, 64] {
            let first = Layout::from_size_align(sizes[0], align).unwrap();
            // SAFETY: each block is used within its current size and freed once, with the
            // layout it has.
            unsafe {
                let mut p = a.alloc(first);
                let mut size = sizes[0];
                for i in 0..size {
                    *p.add(i) = (i % 251) as u8;
                }
                for &next in &sizes[1..] {
                    let layout = Layout::from_size_align(size, align).unwrap();
                    p = a.realloc(p, layout, next);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "{size} -> {next}");
                    let kept = size.min(next).min(sizes[0]);
                    assert!(
                        (0..kept).all(|i| *p.add(i) == (i % 251) as u8),
                        "{size} -> {next}"
                    );
                    // The new part is writable to its end.
                    p.add(next - 1).write(1);
                    size = next;
                }
                a.dealloc(p, Layout::from_size_align(size, align).unwrap());
            }
        }
    }
}
