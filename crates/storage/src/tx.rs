//! The store's transaction, the same for both databases: an sqlx transaction whose every
//! operation (its `BEGIN`, each statement sent, its `COMMIT`) first passes the store's fault
//! injector when one is attached ([`crate::fault`]), so that both backends can be failed at any
//! step; on SQLite it also holds the store's turn at the write gate until it ends.

use sqlx::pool::PoolConnection;
use sqlx::{Database, Pool, Transaction};
use tokio::sync::OwnedMutexGuard;

use crate::error::StoreResult;
use crate::fault::FaultInjector;

/// A transaction of the store on database `DB`.
pub struct Tx<'s, DB: Database> {
    pub(crate) tx: Transaction<'static, DB>,
    faults: Option<&'s FaultInjector>,
    /// The write gate's turn (SQLite), held until the transaction commits or rolls back.
    _turn: Option<OwnedMutexGuard<()>>,
}

impl<DB: Database> std::fmt::Debug for Tx<'_, DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").finish_non_exhaustive()
    }
}

impl<'s, DB: Database> Tx<'s, DB> {
    /// Begins a transaction on `pool` with `statement` (`BEGIN`, `BEGIN IMMEDIATE`, ...), the
    /// `BEGIN` counted as the first operation.
    pub(crate) async fn begin(
        pool: &Pool<DB>,
        statement: &'static str,
        faults: Option<&'s FaultInjector>,
        turn: Option<OwnedMutexGuard<()>>,
    ) -> StoreResult<Self> {
        if let Some(faults) = faults {
            faults.tick()?;
        }
        let tx = pool.begin_with(statement).await?;
        Ok(Tx {
            tx,
            faults,
            _turn: turn,
        })
    }

    /// Called before each statement: fails when the fault injector is armed for this one.
    pub(crate) fn op(&self) -> StoreResult<()> {
        match self.faults {
            Some(faults) => faults.tick(),
            None => Ok(()),
        }
    }

    /// The connection, for the next statement (counted as an operation).
    pub(crate) fn next(&mut self) -> StoreResult<&mut DB::Connection> {
        self.op()?;
        Ok(&mut self.tx)
    }

    /// Commits (counted as an operation).
    pub(crate) async fn commit(self) -> StoreResult<()> {
        self.op()?;
        self.tx.commit().await?;
        Ok(())
    }

    /// Rolls back (not counted: nothing can be left half done by it).
    pub(crate) async fn rollback(self) -> StoreResult<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

/// A connection for a read, or for a write outside an audited transaction: pooled, or a
/// transaction of the store (see [`crate::engine::Backend`] for which each backend uses).
pub enum Conn<'s, DB: Database> {
    /// A connection from a pool; each statement is its own transaction.
    Pooled(PoolConnection<DB>),
    /// A transaction, committed by [`Conn::finish`].
    Tx(Tx<'s, DB>),
}

impl<DB: Database> std::fmt::Debug for Conn<'_, DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conn::Pooled(_) => f.write_str("Conn::Pooled"),
            Conn::Tx(tx) => tx.fmt(f),
        }
    }
}

impl<DB: Database> Conn<'_, DB> {
    /// The connection, for the next statement (counted as an operation in a transaction).
    pub(crate) fn next(&mut self) -> StoreResult<&mut DB::Connection> {
        match self {
            Conn::Pooled(connection) => Ok(&mut *connection),
            Conn::Tx(tx) => tx.next(),
        }
    }

    /// Ends it: commits a transaction, returns a pooled connection to its pool.
    pub(crate) async fn finish(self) -> StoreResult<()> {
        match self {
            Conn::Pooled(_) => Ok(()),
            Conn::Tx(tx) => tx.commit().await,
        }
    }
}
