//! Fault injection for tests: fail the k-th operation issued inside a write transaction.
//!
//! An "operation" is one statement sent to the database, plus the `BEGIN` and the `COMMIT` of the
//! transaction. Every write path of [`crate::SqliteStore`] goes through the counter, so a test can
//! fail each step in turn and check that nothing partial was committed and the caller saw the
//! error.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{StoreError, StoreResult};

/// Counts write-transaction operations and fails the one it is armed for.
#[derive(Debug, Default)]
pub struct FaultInjector {
    fail_at: AtomicU64,
    count: AtomicU64,
}

impl FaultInjector {
    /// An injector that fails nothing until armed.
    pub fn new() -> Self {
        FaultInjector::default()
    }

    /// Fails operation `k` (1-based) counted from now; 0 disarms.
    pub fn arm(&self, k: u64) {
        self.count.store(0, Ordering::SeqCst);
        self.fail_at.store(k, Ordering::SeqCst);
    }

    /// Operations counted since the last [`FaultInjector::arm`].
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Called before each operation.
    pub(crate) fn tick(&self) -> StoreResult<()> {
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        if self.fail_at.load(Ordering::SeqCst) == n {
            return Err(StoreError::InjectedFault(n));
        }
        Ok(())
    }
}
