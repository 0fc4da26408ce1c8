//! Memory does not grow with the number of rows: a counting global allocator records the peak
//! of live heap bytes while each writer streams a small and a large output into a sink. This
//! file holds a single test, so no other test allocates at the same time.
#![allow(unsafe_code)] // a counting global allocator forwards to System's (GlobalAlloc is an unsafe trait)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use truce_sim::{write_acled, write_allegations, write_firms, Params, World};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), SeqCst) + layout.size();
            PEAK.fetch_max(now, SeqCst);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), SeqCst);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), SeqCst);
            let now = LIVE.fetch_add(new_size, SeqCst) + new_size;
            PEAK.fetch_max(now, SeqCst);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Peak heap bytes allocated on top of what was live before `f` ran.
fn peak_during(f: impl FnOnce()) -> usize {
    let base = LIVE.load(SeqCst);
    PEAK.store(base, SeqCst);
    f();
    PEAK.load(SeqCst) - base
}

#[test]
fn peak_memory_does_not_depend_on_row_count() {
    let w = World::new(&Params {
        days: 30,
        sites: 2_000,
        ..Params::default()
    })
    .unwrap();
    type Writer = fn(&World, u64) -> u64;
    let writers: [(&str, Writer, u64); 3] = [
        (
            "firms",
            |w, n| write_firms(w, n, std::io::sink()).unwrap(),
            300_000,
        ),
        (
            "acled",
            |w, n| write_acled(w, n, std::io::sink()).unwrap(),
            60_000,
        ),
        (
            "allegations",
            |w, n| write_allegations(w, "ua", "ru", n, std::io::sink()).unwrap(),
            60_000,
        ),
    ];
    for (name, write, big) in writers {
        let small = peak_during(|| assert_eq!(write(&w, big / 30), big / 30));
        let large = peak_during(|| assert_eq!(write(&w, big), big));
        eprintln!(
            "{name}: peak heap {small} B for {} rows, {large} B for {big} rows",
            big / 30
        );
        assert!(
            small < 256 * 1024,
            "{name}: {small} bytes for {} rows",
            big / 30
        );
        assert!(
            large <= small + 8 * 1024,
            "{name}: peak {large} bytes for {big} rows, {small} for {}",
            big / 30
        );
    }
}
