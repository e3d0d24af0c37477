//! The global allocator: the system's, until a `jwtlens check` that may reach many tokens
//! (`CheckArgs::may_reach_many_tokens`: a folder, the history) switches new allocations to
//! mimalloc.
//!
//! `check` makes a few small allocations per token on every thread (claims, messages,
//! records), and glibc's allocator spent about a tenth of its time on them; mimalloc cuts
//! a 20,000-token check by 10-20 %. The language server stays on the system allocator:
//! under mimalloc, a closed 100 MB document left 173 MiB resident (34 MiB even with its
//! purge delay at zero: freed pages wait for their thread to allocate again, and the
//! server's threads go idle), where the system allocator gives it back
//! (`tests/adversarial.rs`).
//!
//! Memory allocated before the switch stays the system allocator's: every free and
//! reallocation goes to the allocator that owns the block, which mimalloc answers for
//! its own blocks (`mi_is_in_heap_region`: its reserved regions, where the system
//! allocator never places a block).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};

use mimalloc::MiMalloc;

/// The allocator of the `jwtlens` binary.
pub struct ByCommand;

/// Set once `check` has started; never unset.
static MIMALLOC: AtomicBool = AtomicBool::new(false);

/// From now on, new allocations come from mimalloc.
pub fn use_mimalloc() {
    MIMALLOC.store(true, Ordering::Release);
}

/// Whether mimalloc owns the block at `ptr`. Until the switch, none.
fn from_mimalloc(ptr: *mut u8) -> bool {
    // SAFETY: mimalloc only compares the address with its own regions.
    MIMALLOC.load(Ordering::Acquire)
        && unsafe { libmimalloc_sys::mi_is_in_heap_region(ptr.cast_const().cast()) }
}

// SAFETY: each block is freed or reallocated by the allocator that gave it out, and both
// uphold `GlobalAlloc`'s contract.
unsafe impl GlobalAlloc for ByCommand {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if MIMALLOC.load(Ordering::Acquire) {
            unsafe { MiMalloc.alloc(layout) }
        } else {
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if MIMALLOC.load(Ordering::Acquire) {
            unsafe { MiMalloc.alloc_zeroed(layout) }
        } else {
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if from_mimalloc(ptr) {
            unsafe { MiMalloc.dealloc(ptr, layout) }
        } else {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if from_mimalloc(ptr) {
            unsafe { MiMalloc.realloc(ptr, layout, new_size) }
        } else {
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_from_before_and_after_the_switch_are_freed_by_their_owner() {
        // This test binary runs on `ByCommand` too (it is the binary's global allocator).
        let before: Vec<Vec<u8>> = (0..64).map(|n| vec![n as u8; 1 << (n % 20)]).collect();
        let big_before = vec![7u8; 64 << 20];
        use_mimalloc();
        let after: Vec<Vec<u8>> = (0..64).map(|n| vec![n as u8; 1 << (n % 20)]).collect();
        assert!(from_mimalloc(after[3].as_ptr().cast_mut()));
        assert!(!from_mimalloc(before[3].as_ptr().cast_mut()));
        assert!(!from_mimalloc(big_before.as_ptr().cast_mut()));
        // Grown after the switch: each stays with its allocator.
        let mut grown = before;
        for (n, block) in grown.iter_mut().enumerate() {
            block.resize(block.len() * 3 + 1, n as u8);
            assert_eq!(block[0], n as u8);
        }
        let mut after = after;
        after.iter_mut().for_each(|block| block.shrink_to(1));
        assert!(after
            .iter()
            .enumerate()
            .all(|(n, block)| block[0] == n as u8));
        drop((grown, after, big_before));
    }
}
