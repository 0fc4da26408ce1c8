//! An in-memory [`LogStorage`] with fault injection, for tests: commits and reads can be made to
//! fail before anything is applied, or to fail *after* the data is stored (a lost acknowledgement,
//! as when a process dies between its commit and its reply).

use crate::{Commit, LogMeta, LogStorage, StoreError};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use truce_log::SignedCheckpoint;

/// Which operations should fail. Shared with the test through an `Arc`, so a test can change the
/// plan while a sequencer owns the storage.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// Fail the commit with this ordinal (1 = the next commit), applying nothing.
    pub fail_commit: Option<u64>,
    /// Fail the commit with this ordinal *after* applying it.
    pub lose_ack: Option<u64>,
    /// Fail every tile and bundle read.
    pub fail_reads: bool,
    /// Commits attempted so far.
    pub commits: u64,
}

#[derive(Debug, Default, Clone)]
struct State {
    meta: Option<LogMeta>,
    tiles: BTreeMap<(u8, u64), Vec<u8>>,
    bundles: BTreeMap<u64, Vec<u8>>,
    checkpoints: BTreeMap<u64, Vec<u8>>,
}

/// In-memory storage. Cloning shares the same data and fault plan.
#[derive(Debug, Default, Clone)]
pub struct MemStorage {
    state: Arc<Mutex<State>>,
    /// The fault plan.
    pub faults: Arc<Mutex<Faults>>,
}

impl MemStorage {
    /// Empty, uninitialised storage without faults.
    pub fn new() -> Self {
        Self::default()
    }

    fn st(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn faults(&self) -> std::sync::MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Overwrites one stored hash tile, as a disk error or an attacker would.
    pub fn corrupt_tile(&self, level: u8, n: u64, f: impl FnOnce(&mut Vec<u8>)) {
        if let Some(t) = self.st().tiles.get_mut(&(level, n)) {
            f(t);
        }
    }

    /// Overwrites one stored entry bundle.
    pub fn corrupt_bundle(&self, n: u64, f: impl FnOnce(&mut Vec<u8>)) {
        if let Some(b) = self.st().bundles.get_mut(&n) {
            f(b);
        }
    }

    fn check_reads(&self) -> Result<(), StoreError> {
        if self.faults().fail_reads {
            return Err(StoreError::Injected("read failed".into()));
        }
        Ok(())
    }
}

impl LogStorage for MemStorage {
    fn meta(&self) -> Result<Option<LogMeta>, StoreError> {
        Ok(self.st().meta.clone())
    }

    fn init(&mut self, meta: &LogMeta, empty: &SignedCheckpoint) -> Result<(), StoreError> {
        let mut st = self.st();
        if st.meta.is_some() {
            return Err(StoreError::AlreadyInitialised {
                path: "memory".into(),
            });
        }
        st.meta = Some(meta.clone());
        st.checkpoints.insert(0, empty.note.clone());
        Ok(())
    }

    fn latest_checkpoint(&self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.st().checkpoints.values().next_back().cloned())
    }

    fn checkpoint_at(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.st().checkpoints.get(&size).cloned())
    }

    fn checkpoint_sizes(&self) -> Result<Vec<u64>, StoreError> {
        Ok(self.st().checkpoints.keys().copied().collect())
    }

    fn read_tile(&self, level: u8, n: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.check_reads()?;
        Ok(self.st().tiles.get(&(level, n)).cloned())
    }

    fn read_bundle(&self, n: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.check_reads()?;
        Ok(self.st().bundles.get(&n).cloned())
    }

    fn commit(&mut self, c: &Commit<'_>) -> Result<(), StoreError> {
        let ordinal = {
            let mut f = self.faults();
            f.commits += 1;
            f.commits
        };
        let (fail, lose) = {
            let f = self.faults();
            (f.fail_commit == Some(ordinal), f.lose_ack == Some(ordinal))
        };
        if fail {
            return Err(StoreError::Injected(format!(
                "commit {ordinal} failed before writing"
            )));
        }
        let mut st = self.st();
        let stored = st.checkpoints.keys().next_back().copied().unwrap_or(0);
        if stored != c.old_size {
            return Err(StoreError::Conflict {
                stored,
                expected: c.old_size,
            });
        }
        for t in c.tiles {
            st.tiles.insert((t.level, t.n), t.data.clone());
        }
        for (n, b) in c.bundles {
            st.bundles.insert(*n, b.clone());
        }
        st.checkpoints
            .insert(c.checkpoint.size, c.checkpoint.note.clone());
        if lose {
            return Err(StoreError::Injected(format!(
                "commit {ordinal} stored, acknowledgement lost"
            )));
        }
        Ok(())
    }
}
