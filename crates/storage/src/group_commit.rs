//! Group commit of audit records written on their own (the audit record of a read, written before
//! the data is read).
//!
//! Committing one audit record per transaction costs one flush to disk per record
//! (`synchronous=FULL` in SQLite; `fsync` of the WAL in PostgreSQL) and, in PostgreSQL, one turn on
//! the audit lock row, so concurrent readers queue behind one another. Here concurrent callers put
//! their entries in a queue; one committer task takes everything queued, writes it as one
//! transaction (one chain extension, one flush), and only after that transaction has committed
//! answers each caller with its own records. While a batch commits, the next one gathers.
//!
//! What does not change: a caller is acknowledged only once its records are durable, so a read
//! never returns data before its audit record is on disk, and an acknowledged record survives a
//! crash. If the batch fails, every caller in it gets the error and none of its records is
//! stored (the transaction rolls back as a whole).
//!
//! The committer is a spawned task, not the caller's own future, so a caller that goes away (a
//! client that disconnects) cannot abandon a batch half-way for the others in it.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

use crate::audit::{AuditEntry, AuditRecord};
use crate::error::{StoreError, StoreResult};

/// A boxed future that owns everything it uses.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Writes a batch of entries in one transaction and commits it, returning one record per entry,
/// in order.
pub(crate) type CommitBatch =
    Arc<dyn Fn(Vec<AuditEntry>) -> BoxFuture<StoreResult<Vec<AuditRecord>>> + Send + Sync>;

/// At most this many entries go into one transaction (bounds the transaction's size and the wait
/// of the first caller in a batch). SQLite's audit writer may pass it by one caller's entries
/// (`sqlite::audit_writer`, `Batch::take_waiting`).
pub(crate) const MAX_BATCH_ENTRIES: usize = 512;

/// A caller's entries waiting for a batch, and where to send their records.
pub(crate) struct Waiting {
    pub(crate) entries: Vec<AuditEntry>,
    pub(crate) reply: oneshot::Sender<StoreResult<Vec<AuditRecord>>>,
}

/// The callers of one batch: each one's reply and how many of the batch's entries are theirs,
/// in the batch's order.
pub(crate) struct Callers {
    replies: Vec<oneshot::Sender<StoreResult<Vec<AuditRecord>>>>,
    counts: Vec<usize>,
}

/// A batch's entries, in the callers' order, and its callers to answer once it has committed.
pub(crate) fn into_batch(waiting: Vec<Waiting>) -> (Vec<AuditEntry>, Callers) {
    let mut callers = Callers {
        replies: Vec::with_capacity(waiting.len()),
        counts: Vec::with_capacity(waiting.len()),
    };
    let mut entries = Vec::with_capacity(waiting.iter().map(|w| w.entries.len()).sum());
    for caller in waiting {
        callers.counts.push(caller.entries.len());
        callers.replies.push(caller.reply);
        entries.extend(caller.entries);
    }
    (entries, callers)
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<Waiting>,
    /// A committer task is running (and will look at the queue again before it stops).
    committing: bool,
}

/// The queue of audit entries waiting to be committed, and how to commit a batch of them.
pub(crate) struct GroupCommit {
    queue: Arc<Mutex<Queue>>,
    commit: CommitBatch,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

fn lock(queue: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    // The queue holds plain data; a panic elsewhere cannot leave it half-changed.
    queue.lock().unwrap_or_else(PoisonError::into_inner)
}

impl GroupCommit {
    pub(crate) fn new(commit: CommitBatch) -> Self {
        GroupCommit {
            queue: Arc::new(Mutex::new(Queue::default())),
            commit,
        }
    }

    /// Writes `entries` as part of the next batch; returns their records once the batch's
    /// transaction has committed.
    pub(crate) async fn submit(&self, entries: Vec<AuditEntry>) -> StoreResult<Vec<AuditRecord>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut queue = lock(&self.queue);
            queue.waiting.push_back(Waiting { entries, reply });
            !std::mem::replace(&mut queue.committing, true)
        };
        if start {
            let committer = run(Arc::clone(&self.queue), Arc::clone(&self.commit));
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(committer);
                }
                // Outside a Tokio runtime the caller commits the batch itself.
                Err(_) => committer.await,
            }
        }
        answer.await.map_err(|_| {
            StoreError::Audit("the audit committer stopped before the batch committed".into())
        })?
    }
}

/// Resets the queue if the committer stops without finishing (a panic, or the runtime shutting
/// down): callers still waiting get an error instead of waiting for ever.
struct StopGuard {
    queue: Arc<Mutex<Queue>>,
    finished: bool,
}

impl Drop for StopGuard {
    fn drop(&mut self) {
        if !self.finished {
            let mut queue = lock(&self.queue);
            queue.committing = false;
            queue.waiting.clear();
        }
    }
}

/// Commits batches until the queue is empty.
async fn run(queue: Arc<Mutex<Queue>>, commit: CommitBatch) {
    let mut guard = StopGuard {
        queue: Arc::clone(&queue),
        finished: false,
    };
    loop {
        let batch = {
            let mut queue = lock(&queue);
            if queue.waiting.is_empty() {
                queue.committing = false;
                break;
            }
            take_batch(&mut queue.waiting)
        };
        let (entries, callers) = into_batch(batch);
        callers.answer(commit(entries).await);
    }
    // Stopped normally: nothing is waiting, and `committing` is already false.
    guard.finished = true;
}

/// Takes waiting callers from the front while their entries fit in one batch (at least one).
fn take_batch(waiting: &mut VecDeque<Waiting>) -> Vec<Waiting> {
    let mut batch = Vec::new();
    let mut size = 0;
    while let Some(next) = waiting.front() {
        if !batch.is_empty() && size + next.entries.len() > MAX_BATCH_ENTRIES {
            break;
        }
        size += next.entries.len();
        if let Some(next) = waiting.pop_front() {
            batch.push(next);
        }
    }
    batch
}

impl Callers {
    /// Gives each caller its own records, or the batch's error.
    pub(crate) fn answer(self, outcome: StoreResult<Vec<AuditRecord>>) {
        let Callers { replies, counts } = self;
        match outcome {
            Ok(records) if records.len() == counts.iter().sum::<usize>() => {
                let mut records = records.into_iter();
                for (reply, count) in replies.into_iter().zip(&counts) {
                    // A caller that went away no longer needs its answer; its records are stored.
                    let _ = reply.send(Ok(records.by_ref().take(*count).collect()));
                }
            }
            Ok(records) => {
                let message = format!(
                    "the audit batch wrote {} records for {} entries",
                    records.len(),
                    counts.iter().sum::<usize>()
                );
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Audit(message.clone())));
                }
            }
            Err(error) => {
                for reply in replies {
                    let _ = reply.send(Err(same_error(&error)));
                }
            }
        }
    }
}

/// The batch's error for one of its callers (errors are not `Clone`; database and I/O errors
/// become audit errors carrying the same message).
fn same_error(error: &StoreError) -> StoreError {
    match error {
        StoreError::Conflict {
            force,
            reference,
            expected,
            actual,
        } => StoreError::Conflict {
            force: force.clone(),
            reference: reference.clone(),
            expected: *expected,
            actual: *actual,
        },
        StoreError::EventIdReused {
            force,
            reference,
            event_id,
        } => StoreError::EventIdReused {
            force: force.clone(),
            reference: reference.clone(),
            event_id: event_id.clone(),
        },
        StoreError::Refused(message) => StoreError::Refused(message.clone()),
        StoreError::Invalid(message) => StoreError::Invalid(message.clone()),
        StoreError::NotFound(message) => StoreError::NotFound(message.clone()),
        StoreError::Key(message) => StoreError::Key(message.clone()),
        StoreError::Unseal(message) => StoreError::Unseal(message.clone()),
        StoreError::Corrupt(message) => StoreError::Corrupt(message.clone()),
        StoreError::Audit(message) => StoreError::Audit(message.clone()),
        StoreError::InjectedFault(at) => StoreError::InjectedFault(*at),
        other @ (StoreError::Database(_) | StoreError::Migrate(_) | StoreError::Io { .. }) => {
            StoreError::Audit(format!("the audit batch did not commit: {other}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Access, Category, Purpose};
    use crate::audit::GENESIS_HASH;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn entry(object: &str) -> AuditEntry {
        AuditEntry::new(
            &Access::new("user:1", Purpose::Investigation),
            Category::Consultation,
            object,
        )
    }

    /// A committer that records each batch's size and chains its records from zero.
    fn counting(batches: Arc<Mutex<Vec<usize>>>, fail: bool) -> CommitBatch {
        let seq = Arc::new(AtomicUsize::new(0));
        Arc::new(move |entries: Vec<AuditEntry>| {
            let batches = Arc::clone(&batches);
            let seq = Arc::clone(&seq);
            Box::pin(async move {
                tokio::task::yield_now().await;
                batches
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(entries.len());
                if fail {
                    return Err(StoreError::InjectedFault(7));
                }
                Ok(entries
                    .iter()
                    .map(|entry| {
                        let n = seq.fetch_add(1, Ordering::SeqCst) as i64;
                        AuditRecord::chain(entry, n, GENESIS_HASH, chrono::Utc::now())
                    })
                    .collect())
            })
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_batches_and_each_gets_its_own_records() {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let group = Arc::new(GroupCommit::new(counting(Arc::clone(&batches), false)));
        let mut tasks = Vec::new();
        for n in 0..200 {
            let group = Arc::clone(&group);
            tasks.push(tokio::spawn(async move {
                let object = format!("case:x/{n}");
                let records = group.submit(vec![entry(&object)]).await.expect("commit");
                assert_eq!(records.len(), 1);
                assert_eq!(
                    records[0].object, object,
                    "a caller got someone else's record"
                );
            }));
        }
        for task in tasks {
            task.await.expect("task");
        }
        let batches = batches.lock().unwrap_or_else(PoisonError::into_inner);
        assert_eq!(
            batches.iter().sum::<usize>(),
            200,
            "every entry committed once"
        );
        assert!(batches.iter().all(|size| *size <= MAX_BATCH_ENTRIES));
    }

    #[tokio::test]
    async fn a_failed_batch_fails_every_caller_in_it() {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let group = Arc::new(GroupCommit::new(counting(Arc::clone(&batches), true)));
        let first = group.submit(vec![entry("a"), entry("b")]);
        let second = group.submit(vec![entry("c")]);
        let (first, second) = tokio::join!(first, second);
        assert!(
            matches!(first, Err(StoreError::InjectedFault(7))),
            "{first:?}"
        );
        assert!(
            matches!(second, Err(StoreError::InjectedFault(7))),
            "{second:?}"
        );
        // The queue is usable again afterwards.
        let third = group.submit(vec![entry("d")]).await;
        assert!(third.is_err());
        assert_eq!(
            batches
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .sum::<usize>(),
            4
        );
    }

    #[test]
    fn batches_are_bounded_and_never_split_a_caller() {
        let mut waiting = VecDeque::new();
        let mut replies = Vec::new();
        for size in [300, 200, 100, 600] {
            let (reply, answer) = oneshot::channel();
            replies.push(answer);
            waiting.push_back(Waiting {
                entries: (0..size).map(|_| entry("x")).collect(),
                reply,
            });
        }
        let sizes = |batch: Vec<Waiting>| batch.iter().map(|w| w.entries.len()).collect::<Vec<_>>();
        assert_eq!(sizes(take_batch(&mut waiting)), vec![300, 200]);
        assert_eq!(sizes(take_batch(&mut waiting)), vec![100]);
        assert_eq!(
            sizes(take_batch(&mut waiting)),
            vec![600],
            "one large caller alone"
        );
        assert!(take_batch(&mut waiting).is_empty());
    }
}
