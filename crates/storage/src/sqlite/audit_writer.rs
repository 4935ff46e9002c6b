//! The audit writer: a thread of its own, with a connection of its own, that commits the audit
//! records of reads (written on their own, before any of the data is returned) in groups.
//!
//! Why not the group commit over sqlx that PostgreSQL uses (`group_commit`): with sqlx, each
//! statement of a batch is a round trip between the committing task and the connection's worker
//! thread, and on a busy machine every one of those waits to be scheduled. Measured with
//! `cargo xtask bench http` (2 cores, 64 clients): a case read with its audit record ran at half
//! the rate of the same read without it, while an `fsync` here takes 0.12 ms. Here a batch is one
//! wake-up of this thread, which runs the whole transaction without yielding.
//!
//! What holds, as before: a caller is answered only after the transaction holding its records
//! has committed (`synchronous=FULL`: the WAL is flushed to disk), so a read never returns data
//! before its audit record is durable; if the transaction fails, every caller in the batch gets
//! the error and none of the batch is stored. The writer and the store's sqlx writer take the
//! same [`WriteGate`] before they begin a write transaction, so they queue in turn (first come,
//! first served) instead of meeting SQLite's busy handler, which sleeps.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::time::Duration;

use chrono::Utc;
use rusqlite::{Connection, OpenFlags, params};
use tokio::sync::oneshot;

use crate::audit::{
    AuditEntry, AuditRecord, AuditSigner, ChainTail, Checkpoint, HeadTrust, SignedHead, TailRows,
    extend_chain,
};
use crate::audit_sql;
use crate::chain::StateDelta;
use crate::error::{StoreError, StoreResult};
use crate::fault::FaultInjector;
use crate::group_commit::{MAX_BATCH_ENTRIES, Waiting, into_batch};

/// Taken before any write transaction on the database, by the sqlx writer and the audit writer
/// alike (fair: waiters are served in order).
pub(crate) type WriteGate = Arc<tokio::sync::Mutex<()>>;

/// The handle to the audit writer thread and its checkpointer. Both stop when the handle is
/// dropped.
pub(crate) struct AuditWriter {
    jobs: Sender<Waiting>,
    _checkpointer: Sender<()>,
}

impl std::fmt::Debug for AuditWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditWriter").finish_non_exhaustive()
    }
}

impl AuditWriter {
    /// Opens a connection to the database at `path` and starts the writer thread.
    pub(crate) fn start(
        path: &Path,
        signer: AuditSigner,
        trust: Arc<HeadTrust>,
        gate: WriteGate,
        faults: Option<Arc<FaultInjector>>,
    ) -> StoreResult<AuditWriter> {
        let connection = open(path)?;
        // Checkpoints are the checkpointer's (below), not the commit's.
        connection
            .execute_batch("PRAGMA wal_autocheckpoint = 0;")
            .map_err(|source| {
                StoreError::sqlite("turning off the audit writer's own checkpoints", source)
            })?;
        let (jobs, queue) = std::sync::mpsc::channel();
        let writer = Writer {
            connection,
            signer,
            trust,
            gate,
            faults,
            written: None,
        };
        let checkpoints = open(path)?;
        let (checkpointer, stop) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("rasso-audit-writer".into())
            .spawn(move || writer.run(queue))
            .map_err(|error| StoreError::io("cannot start the audit writer thread", error))?;
        std::thread::Builder::new()
            .name("rasso-checkpointer".into())
            .spawn(move || checkpoint_until_stopped(&checkpoints, &stop))
            .map_err(|error| StoreError::io("cannot start the WAL checkpointer thread", error))?;
        Ok(AuditWriter {
            jobs,
            _checkpointer: checkpointer,
        })
    }

    /// Writes `entries` as part of the next batch; returns their records once the batch's
    /// transaction has committed.
    pub(crate) async fn submit(&self, entries: Vec<AuditEntry>) -> StoreResult<Vec<AuditRecord>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answered) = oneshot::channel();
        self.jobs
            .send(Waiting { entries, reply })
            .map_err(|_| StoreError::Audit("the audit writer has stopped".into()))?;
        answered.await.map_err(|_| {
            StoreError::Audit("the audit writer stopped before the batch committed".into())
        })?
    }
}

fn open(path: &Path) -> StoreResult<Connection> {
    let failed = |source| {
        StoreError::sqlite(
            format!("opening {} for the audit writer", path.display()),
            source,
        )
    };
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed)?;
    // The same settings as the store's sqlx connections: the WAL is already the journal (a
    // property of the file); `synchronous` and foreign keys are per connection.
    connection
        .execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
        .map_err(failed)?;
    connection
        .busy_timeout(Duration::from_secs(30))
        .map_err(failed)?;
    Ok(connection)
}

/// How often the checkpointer copies the WAL back into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Copies the WAL back into the database file every [`CHECKPOINT_EVERY`] until `stop` is
/// dropped. The audit writer does not checkpoint itself: a checkpoint writes and flushes the
/// database file, and done at commit time (SQLite's automatic checkpoint) it held up every
/// caller waiting for the next batch. A passive checkpoint waits for no one and blocks no one.
fn checkpoint_until_stopped(connection: &Connection, stop: &Receiver<()>) {
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY)
    {
        let done = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            row.get::<_, i64>(0)
        });
        if let Err(error) = done {
            tracing::warn!(%error, "WAL checkpoint failed; the next one will try again");
        }
    }
}

/// How long the writer waits for more jobs before committing a batch while others are writing
/// at the same time (a group commit delay, like PostgreSQL's `commit_delay`).
///
/// Every batch costs an `fdatasync` and a signed head whatever its size, and under load the
/// jobs arrive a few at a time: without the wait, `cargo xtask bench http` (2 cores, 64
/// clients) committed about 11 records per flush. Measured 2026-12-06, five runs each,
/// alternating: the caseload page at 0.345 of the floor without the wait and 0.377 with
/// 150 µs; the case page at 0.349 and 0.372. A caller waits this much longer, plus however late
/// the kernel wakes the sleeping writer (a sleep is a lower bound, not a deadline); a lone writer
/// (the previous batch held one job) never waits.
const GATHER_WAIT: Duration = Duration::from_micros(150);

/// Whether to wait [`GATHER_WAIT`] for more jobs: only when the previous batch held more than
/// one job (others are writing now) and this one has room.
fn gather_more(previous_jobs: usize, count: usize) -> bool {
    previous_jobs > 1 && count < MAX_BATCH_ENTRIES
}

/// The jobs of one transaction and their number of entries.
struct Batch {
    jobs: Vec<Waiting>,
    count: usize,
}

impl Batch {
    fn of(first: Waiting) -> Batch {
        Batch {
            count: first.entries.len(),
            jobs: vec![first],
        }
    }

    /// Adds every job already waiting, until the batch holds [`MAX_BATCH_ENTRIES`] entries or
    /// more: a receiver cannot look at a job without taking it, so the last job taken may carry
    /// the batch past the bound (by at most that one job's entries), unlike the PostgreSQL
    /// committer's `take_batch`.
    fn take_waiting(&mut self, queue: &Receiver<Waiting>) {
        while self.count < MAX_BATCH_ENTRIES {
            match queue.try_recv() {
                Ok(job) => {
                    self.count += job.entries.len();
                    self.jobs.push(job);
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
    }
}

struct Writer {
    connection: Connection,
    signer: AuditSigner,
    trust: Arc<HeadTrust>,
    gate: WriteGate,
    faults: Option<Arc<FaultInjector>>,
    /// The tail this writer left with its last commit, and the connection's `data_version` at
    /// that commit. While no other connection has committed since (the version is unchanged),
    /// that tail is the chain's tail, and the next batch extends it without reading and checking
    /// the stored one. Any other commit, this process's or another's (a write of the store, an
    /// edit of the file through SQLite), moves the version, and the stored tail is read and
    /// checked again.
    written: Option<(i64, ChainTail)>,
}

impl Writer {
    /// Takes every job waiting (up to about [`MAX_BATCH_ENTRIES`] entries:
    /// [`Batch::take_waiting`]), commits them as one transaction, answers each, and waits for
    /// more; stops when the store is dropped. While others are writing at the same time
    /// ([`gather_more`]), it first waits [`GATHER_WAIT`] for more jobs to join the batch.
    fn run(mut self, queue: Receiver<Waiting>) {
        let mut previous_jobs = 0;
        while let Ok(first) = queue.recv() {
            let mut batch = Batch::of(first);
            batch.take_waiting(&queue);
            if gather_more(previous_jobs, batch.count) {
                std::thread::sleep(GATHER_WAIT);
                batch.take_waiting(&queue);
            }
            previous_jobs = batch.jobs.len();
            let (entries, callers) = into_batch(batch.jobs);
            callers.answer(self.commit(&entries));
        }
    }

    /// One transaction: the chain's tail (its head checked), the records, the checkpoints due,
    /// the head; then the commit. Dropping the transaction on an error rolls it back.
    fn commit(&mut self, entries: &[AuditEntry]) -> StoreResult<Vec<AuditRecord>> {
        let Writer {
            connection,
            signer,
            trust,
            gate,
            faults,
            written,
        } = self;
        // Taken now: a batch that fails leaves no tail to trust.
        let written = written.take();
        let faults = faults.as_deref();
        let tick = || match faults {
            Some(faults) => faults.tick(),
            None => Ok(()),
        };
        let _turn = gate.blocking_lock();
        tick()?;
        let failed = |error: rusqlite::Error| StoreError::Audit(format!("{error}"));
        let tx = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(failed)?;
        tick()?;
        let version = data_version(&tx).map_err(failed)?;
        let tail = match written {
            Some((at, tail)) if at == version => tail,
            _ => trust.tail(tail_rows(&tx).map_err(failed)?)?,
        };
        let extension = extend_chain(signer, tail, entries, &StateDelta::default(), Utc::now());
        {
            let mut insert = tx
                .prepare_cached(audit_sql::INSERT_RECORD)
                .map_err(failed)?;
            for record in &extension.records {
                tick()?;
                // The values and order of `audit_sql::bind_record!`.
                insert
                    .execute(params![
                        record.seq,
                        record.at,
                        record.actor,
                        record.category,
                        record.object,
                        record.purpose,
                        record.reason,
                        record.recipient,
                        record.detail.to_string(),
                        record.prev_hash,
                        record.hash
                    ])
                    .map_err(|e| StoreError::Audit(format!("cannot write audit record: {e}")))?;
            }
        }
        for checkpoint in &extension.checkpoints {
            tick()?;
            write_checkpoint(&tx, checkpoint)
                .map_err(|e| StoreError::Audit(format!("cannot write an audit checkpoint: {e}")))?;
        }
        tick()?;
        write_head(&tx, &extension.head)
            .map_err(|e| StoreError::Audit(format!("cannot write the audit head: {e}")))?;
        tick()?;
        tx.commit().map_err(failed)?;
        trust.wrote(&extension.head);
        self.written = Some((version, extension.tail));
        Ok(extension.records)
    }
}

/// SQLite's count of commits by other connections, as this connection sees it: unchanged by the
/// connection's own commits.
fn data_version(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<i64> {
    tx.prepare_cached("PRAGMA data_version")?
        .query_row([], |row| row.get(0))
}

/// The chain's last record, last checkpoint and signed head (one statement).
fn tail_rows(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<TailRows> {
    tx.prepare_cached(audit_sql::TAIL)?.query_row([], |r| {
        let mut rows = TailRows::default();
        if let (Some(seq), Some(hash)) = (r.get(0)?, r.get(1)?) {
            rows.last = Some((seq, hash));
        }
        if let (Some(seq), Some(at)) = (r.get(2)?, r.get(3)?) {
            rows.checkpoint = Some((seq, at));
        }
        if let (Some(seq), Some(hash), Some(at), Some(public_key), Some(signature)) =
            (r.get(4)?, r.get(5)?, r.get(6)?, r.get(12)?, r.get(13)?)
        {
            rows.head = Some(audit_sql::head_from_values(
                seq,
                hash,
                at,
                [r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?],
                r.get(11)?,
                public_key,
                signature,
            ));
        }
        Ok(rows)
    })
}

/// Writes a signed checkpoint (the values of `audit_sql::write_checkpoint!`).
fn write_checkpoint(
    tx: &rusqlite::Transaction<'_>,
    checkpoint: &Checkpoint,
) -> rusqlite::Result<usize> {
    tx.prepare_cached(audit_sql::INSERT_CHECKPOINT)?
        .execute(params![
            checkpoint.seq,
            checkpoint.hash,
            checkpoint.at,
            checkpoint.ordinal,
            checkpoint.prev_seq,
            checkpoint.public_key,
            checkpoint.signature
        ])
}

/// Writes the signed head (the values of `audit_sql::write_head!`).
fn write_head(tx: &rusqlite::Transaction<'_>, head: &SignedHead) -> rusqlite::Result<usize> {
    tx.prepare_cached(audit_sql::UPSERT_HEAD)?.execute(params![
        head.seq,
        head.hash,
        head.at,
        head.records,
        head.checkpoints,
        head.last_checkpoint,
        head.cases,
        head.state,
        head.public_key,
        head.signature
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Access, Category, Purpose};

    fn job(entries: usize) -> Waiting {
        let access = Access::new("user:1", Purpose::Investigation);
        let (reply, _answered) = oneshot::channel();
        Waiting {
            entries: (0..entries)
                .map(|i| AuditEntry::new(&access, Category::Consultation, format!("case:x/{i}")))
                .collect(),
            reply,
        }
    }

    #[test]
    fn waits_for_more_only_while_others_write_and_there_is_room() {
        assert!(!gather_more(0, 1), "the first batch");
        assert!(!gather_more(1, 1), "a lone writer");
        assert!(gather_more(2, 1));
        assert!(gather_more(30, MAX_BATCH_ENTRIES - 1));
        assert!(!gather_more(30, MAX_BATCH_ENTRIES), "a full batch");
    }

    #[test]
    fn a_batch_takes_what_waits_until_it_is_full() {
        let (jobs, queue) = std::sync::mpsc::channel();
        let mut batch = Batch::of(job(2));
        batch.take_waiting(&queue);
        assert_eq!((batch.jobs.len(), batch.count), (1, 2), "nothing waiting");
        for _ in 0..3 {
            jobs.send(job(3)).expect("queued");
        }
        batch.take_waiting(&queue);
        assert_eq!((batch.jobs.len(), batch.count), (4, 11));

        let mut full = Batch::of(job(MAX_BATCH_ENTRIES - 1));
        jobs.send(job(1)).expect("queued");
        jobs.send(job(1)).expect("queued");
        full.take_waiting(&queue);
        assert_eq!(full.count, MAX_BATCH_ENTRIES, "stops once full");
        assert!(
            queue.try_recv().is_ok(),
            "the rest waits for the next batch"
        );
    }
}
