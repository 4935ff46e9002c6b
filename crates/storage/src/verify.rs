//! Verification of the whole record, written once over rows read from any backend: the audit
//! chain (records, chained checkpoints, the signed head and what it counts), every case's event
//! chain against the head the audit log last bound for it, the state digest over all case heads,
//! and, when given, an anchor kept outside the database (docs/storage.md, "What verify proves").
//!
//! The store streams the audit records in order ([`ChainVerifier::push`]), then every case with
//! its recomputed chain ([`ChainVerifier::push_case`]), then finishes with the checkpoints, the
//! head and a few counts ([`ChainVerifier::finish`]). Only the first problem is reported.

use std::collections::{BTreeMap, HashMap};

use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit::{AuditRecord, Checkpoint, GENESIS_HASH, SignedHead};
use crate::chain::{CaseHead, Hash, StateDigest};

/// The outcome of verifying the audit log and the case data it binds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Records checked.
    pub records: u64,
    /// Checkpoints whose signatures were checked.
    pub checkpoints: u64,
    /// Cases whose event chains were checked.
    pub cases: u64,
    /// Events checked.
    pub events: u64,
    /// The record an anchor named, when one was given and the log extends it.
    pub anchored_at: Option<i64>,
    /// The first problem found, if any.
    pub problem: Option<AuditProblem>,
}

impl VerifyReport {
    /// True when the chain, the checkpoints, the head and the case data all verify.
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// The first bad record, checkpoint or case, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditProblem {
    /// The record the problem was found at (for a truncated tail: the first missing record; for a
    /// case: the audit record that last bound its head, 0 when none does).
    pub seq: i64,
    /// The case (`FORCE/REFERENCE`) whose stored events do not match the log, if it is a case.
    pub case: Option<String>,
    pub message: String,
}

impl std::fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.case {
            Some(case) => write!(f, "case {case}: {}", self.message),
            None => write!(f, "audit record {}: {}", self.seq, self.message),
        }
    }
}

/// A case as stored, with its chain recomputed from its stored events and sealed rows.
#[derive(Debug, Clone)]
pub struct CaseCheck {
    pub force: String,
    pub reference: String,
    /// `cases.version` as stored.
    pub stored_version: i64,
    /// `cases.head` as stored.
    pub stored_head: Option<String>,
    /// The number of stored events.
    pub events: u64,
    /// The head recomputed over the stored events.
    pub computed_head: Hash,
}

/// What the audit log last said about a case's chain.
#[derive(Debug, Clone, Copy)]
struct Binding {
    /// The record that said it.
    seq: i64,
    version: u64,
    /// `None`: a record written before case chains (it names the version only).
    head: Option<Hash>,
}

/// Counts the store reads beside the records and cases, for the checks that need them.
#[derive(Debug, Clone, Default)]
pub struct StoreCounts {
    /// Every stored event (those of no case included).
    pub events: u64,
    /// Every stored sealed row.
    pub sealed: u64,
    /// Users (each was added with an audit record).
    pub users: u64,
    /// The object of the record [`ChainVerifier::unbound_case`] named, read by the store.
    pub unbound_object: Option<String>,
}

/// The key a case's binding is kept under: 128 bits of SHA-256 of its audit object, so that two
/// million cases fit in a compact map.
fn binding_key(object: &str) -> u128 {
    let digest = Sha256::digest(object.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(bytes)
}

/// The binding a record makes, if it binds a case's chain: a case object with `to_version` in the
/// detail, and `head` (or, written before case chains, `events`).
fn binding_of(record: &AuditRecord) -> Option<(u128, Binding)> {
    if !record.object.starts_with("case:") {
        return None;
    }
    let version = record.detail.get("to_version")?.as_u64()?;
    let head = match record.detail.get("head") {
        // A head that does not parse binds nothing the events can match.
        Some(head) => Some(
            head.as_str()
                .and_then(crate::chain::from_hex)
                .unwrap_or([0xff; 32]),
        ),
        None => {
            record.detail.get("events")?;
            None
        }
    };
    Some((
        binding_key(&record.object),
        Binding {
            seq: record.seq,
            version,
            head,
        },
    ))
}

/// Verifies records streamed in `seq` order, then cases; checkpoints and the head at the end.
#[derive(Debug)]
pub struct ChainVerifier {
    trusted: VerifyingKey,
    expected_seq: i64,
    prev_hash: String,
    /// Hash of each checkpointed seq seen, to compare with the checkpoints.
    checkpoint_seqs: BTreeMap<i64, Option<String>>,
    records: u64,
    problem: Option<AuditProblem>,
    /// The latest binding of each case, removed as the case is checked.
    bindings: HashMap<u128, Binding>,
    anchor: Option<SignedHead>,
    /// The hash of the record the anchor names, once seen.
    anchor_hash: Option<String>,
    cases: u64,
    events: u64,
    sealed_seen: u64,
    digest: StateDigest,
    case_problem: Option<AuditProblem>,
}

impl ChainVerifier {
    /// A verifier trusting `trusted` for checkpoint and head signatures; `checkpoints` are the
    /// stored checkpoints (read before the records).
    pub fn new(trusted: VerifyingKey, checkpoints: &[Checkpoint]) -> Self {
        ChainVerifier {
            trusted,
            expected_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
            checkpoint_seqs: checkpoints.iter().map(|c| (c.seq, None)).collect(),
            records: 0,
            problem: None,
            bindings: HashMap::new(),
            anchor: None,
            anchor_hash: None,
            cases: 0,
            events: 0,
            sealed_seen: 0,
            digest: StateDigest::EMPTY,
            case_problem: None,
        }
    }

    /// Also checks that the log extends `anchor`, a signed head kept outside the database.
    pub fn with_anchor(mut self, anchor: Option<SignedHead>) -> Self {
        self.anchor = anchor;
        self
    }

    fn fail(&mut self, seq: i64, message: impl Into<String>) {
        if self.problem.is_none() {
            self.problem = Some(AuditProblem {
                seq,
                case: None,
                message: message.into(),
            });
        }
    }

    fn fail_case(&mut self, seq: i64, case: String, message: impl Into<String>) {
        if self.case_problem.is_none() {
            self.case_problem = Some(AuditProblem {
                seq,
                case: Some(case),
                message: message.into(),
            });
        }
    }

    /// Checks the next record. After the first problem, later records are only counted.
    pub fn push(&mut self, record: &AuditRecord) {
        self.records += 1;
        if self.problem.is_some() {
            return;
        }
        if record.seq != self.expected_seq {
            let message = if record.seq > self.expected_seq {
                format!(
                    "missing: the log jumps from record {} to record {} (deleted records)",
                    self.expected_seq - 1,
                    record.seq
                )
            } else {
                format!(
                    "out of order: record {} follows record {}",
                    record.seq,
                    self.expected_seq - 1
                )
            };
            self.fail(self.expected_seq, message);
            return;
        }
        if record.prev_hash != self.prev_hash {
            self.fail(
                record.seq,
                "its previous-hash does not match the record before it (inserted, deleted or reordered records)",
            );
            return;
        }
        if record.compute_hash() != record.hash {
            self.fail(
                record.seq,
                "its content does not match its hash (the record was edited)",
            );
            return;
        }
        if let Some(slot) = self.checkpoint_seqs.get_mut(&record.seq) {
            *slot = Some(record.hash.clone());
        }
        if self.anchor.as_ref().is_some_and(|a| a.seq == record.seq) {
            self.anchor_hash = Some(record.hash.clone());
        }
        if let Some((key, binding)) = binding_of(record) {
            self.bindings.insert(key, binding);
        }
        self.prev_hash = record.hash.clone();
        self.expected_seq += 1;
    }

    /// Checks one stored case against the head the log last bound for it (after every record).
    pub fn push_case(&mut self, case: &CaseCheck) {
        self.cases += 1;
        self.events += case.events;
        let name = format!("{}/{}", case.force, case.reference);
        let object = crate::audit::case_object(&case.force, &case.reference);
        self.digest.add(&CaseHead {
            force: case.force.clone(),
            reference: case.reference.clone(),
            version: case.events,
            head: case.computed_head,
        });
        let Some(binding) = self.bindings.remove(&binding_key(&object)) else {
            self.fail_case(
                0,
                name,
                format!(
                    "its {} stored events are bound by no audit record (the case was added outside \
                     the store, renamed, or the log was rolled back or erased)",
                    case.events
                ),
            );
            return;
        };
        let Some(head) = binding.head else {
            self.fail_case(
                binding.seq,
                name,
                format!(
                    "the last audit record that names its events (record {}) binds no chain head \
                     (the store was not upgraded, or the upgrade's records were removed)",
                    binding.seq
                ),
            );
            return;
        };
        if case.events < binding.version {
            self.fail_case(
                binding.seq,
                name,
                format!(
                    "{} of its events are missing: audit record {} bound version {}, {} events are \
                     stored (deleted events)",
                    binding.version - case.events,
                    binding.seq,
                    binding.version,
                    case.events
                ),
            );
        } else if case.events > binding.version {
            self.fail_case(
                binding.seq,
                name,
                format!(
                    "it holds {} events but audit record {} bound version {} (events added outside \
                     the store, or the log was rolled back)",
                    case.events, binding.seq, binding.version
                ),
            );
        } else if case.computed_head != head {
            self.fail_case(
                binding.seq,
                name,
                format!(
                    "its stored events do not match the chain head audit record {} bound (an event \
                     was edited, backdated, reordered or replaced, or its sealed identity changed)",
                    binding.seq
                ),
            );
        } else if case.stored_version != case.events as i64
            || case.stored_head.as_deref() != Some(crate::chain::to_hex(&head).as_str())
        {
            self.fail_case(
                binding.seq,
                name,
                "its stored version or head is not that of its events (the case row was edited)",
            );
        }
    }

    /// Counts one sealed row read with its event (for the check that none is left over).
    pub fn saw_sealed(&mut self, rows: u64) {
        self.sealed_seen += rows;
    }

    /// A binding no stored case took up, if any: the record whose case has gone. The store reads
    /// its object for [`StoreCounts::unbound_object`].
    pub fn unbound_case(&self) -> Option<i64> {
        self.bindings
            .values()
            .filter(|binding| binding.head.is_some() || binding.version > 0)
            .map(|binding| binding.seq)
            .min()
    }

    /// Checks checkpoints, the signed head and the counts against what was read, and reports.
    pub fn finish(
        mut self,
        checkpoints: &[Checkpoint],
        head: Option<&SignedHead>,
        counts: &StoreCounts,
    ) -> VerifyReport {
        let last_seq = self.expected_seq - 1;
        let checked = self.check_checkpoints(checkpoints, last_seq);
        if self.problem.is_none() {
            self.check_head(head, checkpoints, last_seq, counts);
        }
        if self.problem.is_none() {
            self.problem = self.case_problem.take();
        }
        if self.problem.is_none() {
            self.check_leftovers(counts);
        }
        if self.problem.is_none()
            && let Some(head) = head
        {
            self.check_state(head);
        }
        let mut anchored_at = None;
        if self.problem.is_none()
            && let Some(anchor) = self.anchor.take()
        {
            self.check_anchor(&anchor, checkpoints, head, last_seq);
            anchored_at = Some(anchor.seq);
        }
        VerifyReport {
            records: self.records,
            checkpoints: checked,
            cases: self.cases,
            events: self.events,
            anchored_at: if self.problem.is_none() {
                anchored_at
            } else {
                None
            },
            problem: self.problem,
        }
    }

    fn check_checkpoints(&mut self, checkpoints: &[Checkpoint], last_seq: i64) -> u64 {
        let mut checked = 0;
        if self.problem.is_some() {
            return checked;
        }
        let mut prev_seq = 0;
        let mut chained = false;
        for (index, checkpoint) in checkpoints.iter().enumerate() {
            checked += 1;
            if !checkpoint.signature_ok(&self.trusted) {
                self.fail(
                    checkpoint.seq,
                    "the checkpoint at this record has a bad signature (or was signed with another key)",
                );
                break;
            }
            match checkpoint.ordinal {
                Some(ordinal) => {
                    chained = true;
                    if ordinal != index as i64 + 1 || checkpoint.prev_seq != Some(prev_seq) {
                        self.fail(
                            checkpoint.seq,
                            format!(
                                "the checkpoint at this record is number {ordinal} after the one at \
                                 record {}, but {index} checkpoints precede it, the last at record \
                                 {prev_seq} (checkpoints were deleted or inserted)",
                                checkpoint.prev_seq.unwrap_or(0)
                            ),
                        );
                        break;
                    }
                }
                None if chained => {
                    self.fail(
                        checkpoint.seq,
                        "an unchained checkpoint follows chained ones (inserted)",
                    );
                    break;
                }
                None => {}
            }
            prev_seq = checkpoint.seq;
            match self.checkpoint_seqs.get(&checkpoint.seq) {
                Some(Some(hash)) if *hash == checkpoint.hash => {}
                Some(Some(_)) => {
                    self.fail(
                        checkpoint.seq,
                        "the signed checkpoint names another hash for this record (the chain was rewritten)",
                    );
                    break;
                }
                _ => {
                    self.fail(
                        last_seq + 1,
                        format!(
                            "missing: a signed checkpoint covers record {} but the log ends at record {last_seq} (truncated)",
                            checkpoint.seq
                        ),
                    );
                    break;
                }
            }
        }
        checked
    }

    fn check_head(
        &mut self,
        head: Option<&SignedHead>,
        checkpoints: &[Checkpoint],
        last_seq: i64,
        counts: &StoreCounts,
    ) {
        let Some(head) = head else {
            if last_seq > 0 {
                self.fail(last_seq, "the signed chain head is missing");
            } else if counts.events > 0 || counts.users > 0 || !checkpoints.is_empty() {
                self.fail(
                    1,
                    format!(
                        "the audit log and its signed head are gone, but the store holds {} events \
                         and {} users, each written with an audit record (the log was erased)",
                        counts.events, counts.users
                    ),
                );
            }
            return;
        };
        if !head.signature_ok(&self.trusted) {
            self.fail(
                head.seq,
                "the chain head has a bad signature (or was signed with another key)",
            );
        } else if head.seq > last_seq {
            self.fail(
                last_seq + 1,
                format!(
                    "missing: the signed head is at record {} but the log ends at record {last_seq} (truncated)",
                    head.seq
                ),
            );
        } else if head.seq < last_seq {
            self.fail(
                head.seq + 1,
                format!(
                    "records after the signed head (record {}) were added outside the store, or \
                     an older head was put back",
                    head.seq
                ),
            );
        } else if head.hash != self.prev_hash {
            self.fail(
                head.seq,
                "the signed head names another hash for the last record",
            );
        } else if let Some((signed, _)) = head.counts() {
            let last_checkpoint = checkpoints.last().map_or(0, |c| c.seq);
            if signed.records != self.records as i64 {
                self.fail(
                    head.seq,
                    format!(
                        "the signed head counts {} records but {} are stored",
                        signed.records, self.records
                    ),
                );
            } else if signed.checkpoints != checkpoints.len() as i64
                || signed.last_checkpoint != last_checkpoint
            {
                self.fail(
                    head.seq,
                    format!(
                        "the signed head counts {} checkpoints, the last at record {}, but {} are \
                         stored, the last at record {last_checkpoint} (checkpoints were deleted or \
                         inserted)",
                        signed.checkpoints,
                        signed.last_checkpoint,
                        checkpoints.len()
                    ),
                );
            }
        } else {
            self.fail(
                head.seq,
                "the signed head is of the format before case chains: this version writes every \
                 head with its counts, so an older head was put back",
            );
        }
    }

    fn check_leftovers(&mut self, counts: &StoreCounts) {
        if let Some(seq) = self.unbound_case() {
            let case = counts
                .unbound_object
                .as_deref()
                .and_then(|object| object.strip_prefix("case:"))
                .map(str::to_owned);
            self.problem = Some(AuditProblem {
                seq,
                case,
                message: format!(
                    "audit record {seq} binds events of this case, but the case is not stored \
                     (it was deleted or renamed)"
                ),
            });
        } else if counts.events != self.events {
            self.fail(
                0,
                format!(
                    "{} stored events belong to no stored case (their case row was deleted or \
                     they were moved)",
                    counts.events.abs_diff(self.events)
                ),
            );
        } else if counts.sealed != self.sealed_seen {
            self.fail(
                0,
                format!(
                    "{} sealed rows belong to no stored event",
                    counts.sealed.abs_diff(self.sealed_seen)
                ),
            );
        }
    }

    fn check_state(&mut self, head: &SignedHead) {
        let Some((signed, state)) = head.counts() else {
            return;
        };
        if signed.cases != self.cases as i64 || state != self.digest {
            self.fail(
                head.seq,
                format!(
                    "the case data does not match the signed head's state digest ({} cases signed, \
                     {} stored): case heads were changed, added or removed",
                    signed.cases, self.cases
                ),
            );
        }
    }

    fn check_anchor(
        &mut self,
        anchor: &SignedHead,
        checkpoints: &[Checkpoint],
        head: Option<&SignedHead>,
        last_seq: i64,
    ) {
        if !anchor.signature_ok(&self.trusted) {
            self.fail(
                anchor.seq,
                "the anchor's signature does not verify with the trusted key",
            );
            return;
        }
        if anchor.seq > last_seq {
            self.fail(
                last_seq + 1,
                format!(
                    "the log ends at record {last_seq}, older than the anchor taken at {} (record {}): \
                     the log was rolled back or truncated",
                    anchor.at, anchor.seq
                ),
            );
            return;
        }
        if self.anchor_hash.as_deref() != Some(anchor.hash.as_str()) {
            self.fail(
                anchor.seq,
                "the log does not extend the anchor: this record differs from the one anchored (the log was rewritten)",
            );
            return;
        }
        let Some((anchored, state)) = anchor.counts() else {
            return;
        };
        let at_anchor = usize::try_from(anchored.checkpoints)
            .ok()
            .and_then(|count| count.checked_sub(1))
            .map(|index| checkpoints.get(index).map(|c| c.seq));
        match at_anchor {
            Some(Some(seq)) if seq == anchored.last_checkpoint => {}
            Some(_) => {
                self.fail(
                    anchored.last_checkpoint,
                    format!(
                        "the anchor counts {} checkpoints, the last at record {}, that the log no longer holds",
                        anchored.checkpoints, anchored.last_checkpoint
                    ),
                );
                return;
            }
            None => {}
        }
        if let Some(head) = head
            && head.seq == anchor.seq
            && head.counts().map(|(counts, digest)| (counts.cases, digest))
                != Some((anchored.cases, state))
        {
            self.fail(
                anchor.seq,
                "the log is where the anchor left it, but the case data differs from the anchored state",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::access::{Access, Category};
    use crate::audit::tests::chain;
    use crate::audit::{AuditEntry, AuditSigner, ChainTail, HeadCounts, extend_chain, format_time};

    fn verify(records: &[AuditRecord], head: &SignedHead, signer: &AuditSigner) -> VerifyReport {
        let mut verifier = ChainVerifier::new(signer.verifying_key(), &[]);
        for record in records {
            verifier.push(record);
        }
        verifier.finish(&[], Some(head), &StoreCounts::default())
    }

    #[test]
    fn an_intact_chain_verifies_and_each_kind_of_tampering_is_named() {
        let signer = AuditSigner::from_seed([7; 32]);
        let (records, head) = chain(5, &signer);
        assert!(verify(&records, &head, &signer).is_ok());

        let mut edited = records.clone();
        edited[2].actor = "someone-else".into();
        assert_eq!(verify(&edited, &head, &signer).problem.expect("bad").seq, 3);

        let mut deleted = records.clone();
        deleted.remove(1);
        assert_eq!(
            verify(&deleted, &head, &signer).problem.expect("bad").seq,
            2
        );

        let mut reordered = records.clone();
        reordered.swap(1, 3);
        assert_eq!(
            verify(&reordered, &head, &signer).problem.expect("bad").seq,
            2
        );

        let truncated = &records[..3];
        let problem = verify(truncated, &head, &signer).problem.expect("bad");
        assert_eq!(problem.seq, 4);
        assert!(problem.message.contains("truncated"));

        let other = AuditSigner::from_seed([8; 32]);
        assert!(!verify(&records, &head, &other).is_ok());
    }

    #[test]
    fn chained_checkpoints_and_the_head_find_a_deleted_checkpoint() {
        let signer = AuditSigner::from_seed([7; 32]);
        let access = Access::new("test", crate::access::Purpose::Investigation);
        let entries: Vec<AuditEntry> = (0..2_500)
            .map(|n| AuditEntry::new(&access, Category::Consultation, format!("cases:{n}")))
            .collect();
        let now = Utc::now();
        let extension = extend_chain(
            &signer,
            ChainTail::empty(),
            &entries,
            &crate::chain::StateDelta::default(),
            now,
        );
        // At records 1,000 and 2,000 (by count; the one at 2,000 makes the time-based one not due).
        let seqs: Vec<i64> = extension.checkpoints.iter().map(|c| c.seq).collect();
        assert_eq!(seqs, vec![1_000, 2_000]);
        let run = |checkpoints: &[Checkpoint]| {
            let mut verifier = ChainVerifier::new(signer.verifying_key(), checkpoints);
            for record in &extension.records {
                verifier.push(record);
            }
            verifier.finish(checkpoints, Some(&extension.head), &StoreCounts::default())
        };
        assert!(run(&extension.checkpoints).is_ok());
        let first_gone = &extension.checkpoints[1..];
        assert_eq!(run(first_gone).problem.expect("found").seq, 2_000);
        let last_gone = &extension.checkpoints[..1];
        let problem = run(last_gone).problem.expect("found");
        assert!(
            problem.message.contains("counts 2 checkpoints"),
            "{problem}"
        );
    }

    #[test]
    fn chained_checkpoints_may_follow_unchained_ones_but_not_precede_them() {
        let signer = AuditSigner::from_seed([7; 32]);
        let (records, _) = chain(4, &signer);
        let now = Utc::now();
        let legacy = signer.sign_legacy_checkpoint(1, &records[0].hash, &format_time(now));
        let chained = signer.sign_checkpoint(2, &records[1].hash, now, 2, 1);
        let counts = HeadCounts {
            records: 4,
            checkpoints: 2,
            last_checkpoint: 2,
            cases: 0,
        };
        let head = signer.sign_head(4, &records[3].hash, now, counts, &StateDigest::EMPTY);
        let run = |checkpoints: &[Checkpoint]| {
            let mut verifier = ChainVerifier::new(signer.verifying_key(), checkpoints);
            for record in &records {
                verifier.push(record);
            }
            verifier.finish(checkpoints, Some(&head), &StoreCounts::default())
        };
        let upgraded = [legacy.clone(), chained.clone()];
        assert!(run(&upgraded).is_ok(), "{:?}", run(&upgraded).problem);
        // A legacy checkpoint inserted after chained ones is found.
        let late = signer.sign_legacy_checkpoint(3, &records[2].hash, &format_time(now));
        let problem = run(&[legacy, chained, late]).problem.expect("found");
        assert!(problem.message.contains("unchained"), "{problem}");
    }

    #[test]
    fn an_anchor_is_extended_by_its_own_log_and_by_no_other() {
        let signer = AuditSigner::from_seed([7; 32]);
        let (records, head) = chain(5, &signer);
        let run = |records: &[AuditRecord], head: &SignedHead, anchor: &SignedHead| {
            let mut verifier =
                ChainVerifier::new(signer.verifying_key(), &[]).with_anchor(Some(anchor.clone()));
            for record in records {
                verifier.push(record);
            }
            verifier.finish(&[], Some(head), &StoreCounts::default())
        };
        let counts = |records: i64| HeadCounts {
            records,
            checkpoints: 0,
            last_checkpoint: 0,
            cases: 0,
        };
        let at_three = signer.sign_head(
            3,
            &records[2].hash,
            Utc::now(),
            counts(3),
            &StateDigest::EMPTY,
        );
        let report = run(&records, &head, &at_three);
        assert!(report.is_ok(), "{:?}", report.problem);
        assert_eq!(report.anchored_at, Some(3));
        // Another log of the same length (rewritten from the start) does not extend it.
        let mut other = records.clone();
        let mut prev = GENESIS_HASH.to_owned();
        for record in &mut other {
            record.actor = "someone-else".into();
            record.prev_hash = prev;
            record.hash = record.compute_hash();
            prev = record.hash.clone();
        }
        let other_head = signer.sign_head(
            5,
            &other[4].hash,
            Utc::now(),
            counts(5),
            &StateDigest::EMPTY,
        );
        let problem = run(&other, &other_head, &at_three).problem.expect("found");
        assert!(problem.message.contains("does not extend"), "{problem}");
        // A log shorter than the anchor is older than it.
        let (short, short_head) = chain(2, &signer);
        let problem = run(&short, &short_head, &at_three).problem.expect("found");
        assert!(
            problem.message.contains("older than the anchor"),
            "{problem}"
        );
        // An anchor signed with another key is refused.
        let forged = AuditSigner::from_seed([9; 32]).sign_head(
            3,
            &records[2].hash,
            Utc::now(),
            counts(3),
            &StateDigest::EMPTY,
        );
        assert!(!run(&records, &head, &forged).is_ok());
    }
}
