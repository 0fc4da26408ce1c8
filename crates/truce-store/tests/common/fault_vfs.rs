//! A fault-injecting SQLite VFS for the storage-fault tests: the platform's default VFS ("unix")
//! with one change, `xSync` (fsync) fails with `SQLITE_IOERR_FSYNC` while [`fail_sync`] is set.
//!
//! [`install`] registers it as the default VFS of the test process, so every connection the code
//! under test opens (`SqliteStorage::open`) goes through it; nothing in the production code knows
//! of it. Files are the real unix files: only the fsync answer is changed, as a failing disk or
//! a lost NFS server would answer it.
//!
//! This is the only unsafe code of the tests that use it, and it is kept to the FFI glue: copying
//! the default VFS and its method tables (plain C structs of function pointers) and forwarding to
//! the original functions.
#![allow(unsafe_code)] // FFI with SQLite's VFS interface; see the module docs.

use rusqlite::ffi;
use std::os::raw::{c_char, c_int};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

/// Set: every fsync through the VFS fails. Cleared: fsync is the platform's again.
static FAIL_SYNC: AtomicBool = AtomicBool::new(false);
/// How many fsyncs were refused (to check that the fault was really hit).
static REFUSED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The original (default) VFS, whose `xOpen` we forward to.
struct Original(*mut ffi::sqlite3_vfs);
// SAFETY: SQLite's static default VFS, never changed once registered.
unsafe impl Send for Original {}
unsafe impl Sync for Original {}

static ORIGINAL: OnceLock<Original> = OnceLock::new();
/// Our copies of the method tables the unix VFS hands out, keyed by the original's address:
/// each copy is the original with `xSync` replaced. Leaked: they live as long as the process.
static TABLES: Mutex<Vec<(usize, usize)>> = Mutex::new(Vec::new());

/// Makes fsync fail (`true`) or succeed again (`false`).
pub fn fail_sync(on: bool) {
    FAIL_SYNC.store(on, Ordering::SeqCst);
}

/// The number of fsyncs refused so far.
pub fn refused() -> u64 {
    REFUSED.load(Ordering::SeqCst)
}

unsafe extern "C" fn x_sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    if FAIL_SYNC.load(Ordering::SeqCst) {
        REFUSED.fetch_add(1, Ordering::SeqCst);
        return ffi::SQLITE_IOERR_FSYNC;
    }
    // SAFETY: `file` was opened by x_open, so its method table is one of our copies, listed
    // beside the original table it was copied from; we forward to the original's xSync.
    unsafe {
        let ours = (*file).pMethods as usize;
        let original = {
            let tables = TABLES.lock().unwrap_or_else(|p| p.into_inner());
            let (orig, _) = tables
                .iter()
                .find(|(_, copy)| *copy == ours)
                .expect("a file opened through the fault VFS");
            *orig as *const ffi::sqlite3_io_methods
        };
        let sync = (*original).xSync.expect("the original table has xSync");
        sync(file, flags)
    }
}

unsafe extern "C" fn x_open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let o = ORIGINAL.get().expect("installed").0;
    // SAFETY: the original VFS opens into the buffer SQLite allocated with its szOsFile (ours is
    // the same size); it is called with its own VFS pointer.
    let rc = unsafe {
        let open = (*o).xOpen.expect("the default VFS has xOpen");
        open(o, name, file, flags, out_flags)
    };
    // SAFETY: after a successful open, `file` is the original's file struct, whose first field is
    // its method table; we point it at a copy that differs only in xSync.
    unsafe {
        if rc == ffi::SQLITE_OK && !(*file).pMethods.is_null() {
            let original = (*file).pMethods as usize;
            let mut tables = TABLES.lock().unwrap_or_else(|p| p.into_inner());
            let copy = match tables.iter().find(|(orig, _)| *orig == original) {
                Some((_, copy)) => *copy,
                None => {
                    let mut m: ffi::sqlite3_io_methods = std::ptr::read((*file).pMethods);
                    m.xSync = Some(x_sync);
                    let copy = Box::into_raw(Box::new(m)) as usize;
                    tables.push((original, copy));
                    copy
                }
            };
            (*file).pMethods = copy as *const ffi::sqlite3_io_methods;
        }
    }
    rc
}

/// Registers the fault VFS as the process's default (once; later calls do nothing).
pub fn install() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        // SAFETY: sqlite3_vfs_find(NULL) initialises SQLite and returns its default VFS (static).
        // We copy it with our xOpen and register the copy, leaked, as the default.
        unsafe {
            let dflt = ffi::sqlite3_vfs_find(std::ptr::null());
            assert!(!dflt.is_null(), "SQLite has a default VFS");
            let _ = ORIGINAL.set(Original(dflt));
            let mut ours: ffi::sqlite3_vfs = std::ptr::read(dflt);
            ours.zName = c"truce-faults".as_ptr();
            ours.pNext = std::ptr::null_mut();
            ours.xOpen = Some(x_open);
            let ours = Box::into_raw(Box::new(ours));
            let rc = ffi::sqlite3_vfs_register(ours, 1);
            assert_eq!(rc, ffi::SQLITE_OK, "registering the fault VFS");
        }
    });
}
