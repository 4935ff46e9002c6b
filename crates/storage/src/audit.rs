//! The audit chain: each record hashes the previous record's hash together with its own canonical
//! JSON (SHA-256); checkpoints and the chain head are signed with ed25519. The head also commits
//! to the number of records and checkpoints and to the state digest over every case's chain head
//! ([`crate::chain`]). Verification is in [`crate::verify`], written once for every backend.

use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::access::{Access, Category};
use crate::chain::{Hash, StateDelta, StateDigest};
use crate::error::StoreError;

/// The hash before the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// A checkpoint is written after this many records since the last one...
pub const CHECKPOINT_EVERY_RECORDS: i64 = 1_000;
/// ...or when this many seconds have passed since the last one, at the next write.
pub const CHECKPOINT_EVERY_SECONDS: i64 = 300;

/// What the caller of a store operation has to say about it; the store adds time and chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub actor: String,
    pub category: Category,
    /// What was processed, e.g. `case:exampleshire/EX-2026-000123`; never personal data.
    pub object: String,
    pub purpose: String,
    pub reason: Option<String>,
    pub recipient: Option<String>,
    /// Small facts about the operation (counts, filters); never personal data.
    pub detail: Value,
}

impl AuditEntry {
    /// An entry for `access` doing `category` processing of `object`.
    pub fn new(access: &Access, category: Category, object: impl Into<String>) -> Self {
        AuditEntry {
            actor: access.actor.clone(),
            category,
            object: object.into(),
            purpose: access.purpose.as_str().to_owned(),
            reason: access.reason.clone(),
            recipient: access.recipient.clone(),
            detail: Value::Object(serde_json::Map::new()),
        }
    }

    /// The same entry with detail.
    pub fn with_detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }
}

/// A stored audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: i64,
    /// UTC, RFC 3339 with microseconds.
    pub at: String,
    pub actor: String,
    pub category: String,
    pub object: String,
    pub purpose: String,
    pub reason: Option<String>,
    pub recipient: Option<String>,
    pub detail: Value,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    /// Chains `entry` after a record with `prev_seq` and `prev_hash`.
    pub fn chain(entry: &AuditEntry, prev_seq: i64, prev_hash: &str, at: DateTime<Utc>) -> Self {
        Self::chain_at(entry, prev_seq, prev_hash, format_time(at))
    }

    /// [`AuditRecord::chain`] with the time already formatted (a batch formats it once).
    fn chain_at(entry: &AuditEntry, prev_seq: i64, prev_hash: &str, at: String) -> Self {
        let mut record = AuditRecord {
            seq: prev_seq + 1,
            at,
            actor: entry.actor.clone(),
            category: entry.category.as_str().to_owned(),
            object: entry.object.clone(),
            purpose: entry.purpose.clone(),
            reason: entry.reason.clone(),
            recipient: entry.recipient.clone(),
            detail: entry.detail.clone(),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        record.hash = record.compute_hash();
        record
    }

    /// SHA-256 over the previous hash and this record's canonical JSON (every field but `hash`).
    pub fn compute_hash(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(self.canonical_body());
        hex::encode(hasher.finalize())
    }

    /// This record's canonical JSON without `hash`: what [`crate::canonical::canonical_json`]
    /// makes of the record as an object, written directly (keys in their sorted order) rather
    /// than built as a value, sorted and printed, because every audit record of every read is
    /// hashed on the audit writer's one thread. `canonical_body_is_canonical_json` checks the two
    /// agree.
    fn canonical_body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(320);
        let text = |out: &mut Vec<u8>, key: &str, value: Option<&str>| {
            out.push(b'"');
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            match value {
                // Writing a string into a vector cannot fail.
                Some(value) => serde_json::to_writer(&mut *out, value).unwrap_or_default(),
                None => out.extend_from_slice(b"null"),
            }
            out.push(b',');
        };
        out.push(b'{');
        text(&mut out, "actor", Some(&self.actor));
        text(&mut out, "at", Some(&self.at));
        text(&mut out, "category", Some(&self.category));
        out.extend_from_slice(b"\"detail\":");
        crate::canonical::write_canonical_json(&mut out, &self.detail);
        out.push(b',');
        text(&mut out, "object", Some(&self.object));
        text(&mut out, "prev_hash", Some(&self.prev_hash));
        text(&mut out, "purpose", Some(&self.purpose));
        text(&mut out, "reason", self.reason.as_deref());
        text(&mut out, "recipient", self.recipient.as_deref());
        out.extend_from_slice(b"\"seq\":");
        out.extend_from_slice(self.seq.to_string().as_bytes());
        out.push(b'}');
        out
    }
}

/// A signed statement that the chain had `hash` at record `seq`. Checkpoints are chained: each
/// names its place among the checkpoints (`ordinal`, from 1) and the record of the one before it
/// (`prev_seq`, 0 for the first), so a missing checkpoint is found. Checkpoints written before
/// checkpoints were chained have neither (and are signed with the first message format).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: String,
    /// This checkpoint's place among all checkpoints, from 1 (`None`: written before chaining).
    #[serde(default)]
    pub ordinal: Option<i64>,
    /// The record of the checkpoint before this one (0 for the first).
    #[serde(default)]
    pub prev_seq: Option<i64>,
    /// Hex ed25519 public key of the signer.
    pub public_key: String,
    /// Hex ed25519 signature over [`Checkpoint::message`].
    pub signature: String,
}

impl Checkpoint {
    /// The bytes this checkpoint signs.
    pub fn message(&self) -> Vec<u8> {
        match (self.ordinal, self.prev_seq) {
            (Some(ordinal), Some(prev_seq)) => format!(
                "rasso-audit-checkpoint-v2\n{}\n{}\n{}\n{ordinal}\n{prev_seq}",
                self.seq, self.hash, self.at
            )
            .into_bytes(),
            _ => checkpoint_message("checkpoint", self.seq, &self.hash, &self.at),
        }
    }

    /// True when the signature verifies with `trusted`.
    pub fn signature_ok(&self, trusted: &VerifyingKey) -> bool {
        signature_matches(&self.message(), &self.signature, trusted)
    }
}

/// What the signed head commits to besides the chain's last record: the number of records, the
/// number of checkpoints and the record of the last one, and the case data (the number of chained
/// cases and the state digest over their heads, see [`crate::chain`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadCounts {
    pub records: i64,
    pub checkpoints: i64,
    pub last_checkpoint: i64,
    pub cases: i64,
}

/// The signed head of the chain, rewritten by every transaction that adds audit records. A head
/// written before case chains existed has no counts and no state (and is signed with the first
/// message format); the store upgrades it on opening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SignedHead {
    pub seq: i64,
    pub hash: String,
    pub at: String,
    #[serde(default)]
    pub records: Option<i64>,
    #[serde(default)]
    pub checkpoints: Option<i64>,
    #[serde(default)]
    pub last_checkpoint: Option<i64>,
    #[serde(default)]
    pub cases: Option<i64>,
    /// The state digest over every chained case's head (hex).
    #[serde(default)]
    pub state: Option<String>,
    /// Hex ed25519 public key of the signer.
    pub public_key: String,
    /// Hex ed25519 signature over [`SignedHead::message`].
    pub signature: String,
}

impl SignedHead {
    /// The counts and state digest, or `None` for a head of the first format.
    pub fn counts(&self) -> Option<(HeadCounts, StateDigest)> {
        let counts = HeadCounts {
            records: self.records?,
            checkpoints: self.checkpoints?,
            last_checkpoint: self.last_checkpoint?,
            cases: self.cases?,
        };
        Some((counts, StateDigest::from_hex(self.state.as_deref()?)?))
    }

    /// The bytes this head signs.
    pub fn message(&self) -> Vec<u8> {
        match (
            self.records,
            self.checkpoints,
            self.last_checkpoint,
            self.cases,
            &self.state,
        ) {
            (Some(records), Some(checkpoints), Some(last), Some(cases), Some(state)) => format!(
                "rasso-audit-head-v2\n{}\n{}\n{}\n{records}\n{checkpoints}\n{last}\n{cases}\n{state}",
                self.seq, self.hash, self.at
            )
            .into_bytes(),
            _ => checkpoint_message("head", self.seq, &self.hash, &self.at),
        }
    }

    /// True when the signature verifies with `trusted`.
    pub fn signature_ok(&self, trusted: &VerifyingKey) -> bool {
        signature_matches(&self.message(), &self.signature, trusted)
    }
}

/// The bytes a checkpoint or head of the first format signs.
pub fn checkpoint_message(kind: &str, seq: i64, hash: &str, at: &str) -> Vec<u8> {
    format!("rasso-audit-{kind}-v1\n{seq}\n{hash}\n{at}").into_bytes()
}

/// The signing key for checkpoints and the chain head.
#[derive(Clone)]
pub struct AuditSigner {
    key: SigningKey,
}

impl std::fmt::Debug for AuditSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditSigner(public {})", self.public_hex())
    }
}

impl AuditSigner {
    /// A signer from a 32-byte ed25519 seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        AuditSigner {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// The public key, hex.
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// The public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    fn signature_of(&self, message: &[u8]) -> String {
        hex::encode(self.key.sign(message).to_bytes())
    }

    /// A signed, chained checkpoint at record `seq` (the `ordinal`-th checkpoint, after the one
    /// at record `prev_seq`).
    pub fn sign_checkpoint(
        &self,
        seq: i64,
        hash: &str,
        at: DateTime<Utc>,
        ordinal: i64,
        prev_seq: i64,
    ) -> Checkpoint {
        let mut checkpoint = Checkpoint {
            seq,
            hash: hash.to_owned(),
            at: format_time(at),
            ordinal: Some(ordinal),
            prev_seq: Some(prev_seq),
            public_key: self.public_hex(),
            signature: String::new(),
        };
        checkpoint.signature = self.signature_of(&checkpoint.message());
        checkpoint
    }

    /// A signed head at record `seq` with its counts and state digest.
    pub fn sign_head(
        &self,
        seq: i64,
        hash: &str,
        at: DateTime<Utc>,
        counts: HeadCounts,
        state: &StateDigest,
    ) -> SignedHead {
        let mut head = SignedHead {
            seq,
            hash: hash.to_owned(),
            at: format_time(at),
            records: Some(counts.records),
            checkpoints: Some(counts.checkpoints),
            last_checkpoint: Some(counts.last_checkpoint),
            cases: Some(counts.cases),
            state: Some(state.to_hex()),
            public_key: self.public_hex(),
            signature: String::new(),
        };
        head.signature = self.signature_of(&head.message());
        head
    }

    /// A checkpoint of the first format (unchained). Only for tests that build stores as earlier
    /// versions left them.
    #[doc(hidden)]
    pub fn sign_legacy_checkpoint(&self, seq: i64, hash: &str, at: &str) -> Checkpoint {
        Checkpoint {
            seq,
            hash: hash.to_owned(),
            at: at.to_owned(),
            ordinal: None,
            prev_seq: None,
            public_key: self.public_hex(),
            signature: self.signature_of(&checkpoint_message("checkpoint", seq, hash, at)),
        }
    }

    /// A head of the first format (no counts, no state). Only for tests that build stores as
    /// earlier versions left them.
    #[doc(hidden)]
    pub fn sign_legacy_head(&self, seq: i64, hash: &str, at: DateTime<Utc>) -> SignedHead {
        let at = format_time(at);
        let signature = self.signature_of(&checkpoint_message("head", seq, hash, &at));
        SignedHead {
            seq,
            hash: hash.to_owned(),
            at,
            records: None,
            checkpoints: None,
            last_checkpoint: None,
            cases: None,
            state: None,
            public_key: self.public_hex(),
            signature,
        }
    }
}

fn signature_matches(message: &[u8], signature: &str, trusted: &VerifyingKey) -> bool {
    let Ok(bytes) = hex::decode(signature) else {
        return false;
    };
    let Ok(bytes) = <[u8; 64]>::try_from(bytes.as_slice()) else {
        return false;
    };
    trusted
        .verify(message, &Signature::from_bytes(&bytes))
        .is_ok()
}

/// UTC, RFC 3339 with microseconds: the audit log's time format.
pub fn format_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The audit object naming a case.
pub(crate) fn case_object(force: &str, reference: &str) -> String {
    format!("case:{force}/{reference}")
}

/// The detail of an append's audit record: what it added, and the case's new version and head
/// (the binding of the case's chain into the audit chain, see [`crate::chain`]).
pub(crate) fn append_detail(events: u64, from_version: u64, to_version: u64, head: &Hash) -> Value {
    serde_json::json!({
        "events": events,
        "from_version": from_version,
        "to_version": to_version,
        "head": crate::chain::to_hex(head),
    })
}

/// Refuses an entry recorded from outside the store ([`crate::AuditStore::record_audit`]) that would
/// read as a case chain's binding: only the store binds heads, in the transaction that moves them.
pub(crate) fn refuse_binding(entry: &AuditEntry) -> Result<(), StoreError> {
    let binds = entry.object.starts_with("case:")
        && (entry.detail.get("to_version").is_some() || entry.detail.get("head").is_some());
    if binds {
        return Err(StoreError::Refused(
            "an audit entry from outside the store may not bind a case's chain (`to_version`, `head`)"
                .into(),
        ));
    }
    Ok(())
}

/// Where the chain stands, as a writing transaction finds it: its last record, its last
/// checkpoint, and what the signed head counts.
#[derive(Debug, Clone)]
pub(crate) struct ChainTail {
    pub seq: i64,
    pub hash: String,
    pub checkpoint_seq: i64,
    pub checkpoint_at: Option<DateTime<Utc>>,
    pub checkpoints: i64,
    pub records: i64,
    pub cases: i64,
    pub state: StateDigest,
}

impl ChainTail {
    /// The tail of a chain with no records yet.
    pub(crate) fn empty() -> Self {
        ChainTail {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
            checkpoint_seq: 0,
            checkpoint_at: None,
            checkpoints: 0,
            records: 0,
            cases: 0,
            state: StateDigest::EMPTY,
        }
    }

    fn counts(&self) -> HeadCounts {
        HeadCounts {
            records: self.records,
            checkpoints: self.checkpoints,
            last_checkpoint: self.checkpoint_seq,
            cases: self.cases,
        }
    }
}

/// What a writing transaction reads of the chain before extending it.
#[derive(Debug, Clone, Default)]
pub(crate) struct TailRows {
    /// The last record's sequence number and hash.
    pub last: Option<(i64, String)>,
    /// The last checkpoint's sequence number and time.
    pub checkpoint: Option<(i64, String)>,
    /// The signed head as stored.
    pub head: Option<SignedHead>,
    /// The number of stored checkpoints: read only when the head is of the first format (the
    /// upgrade), since a head of the second format counts them itself.
    pub legacy_checkpoints: Option<i64>,
}

/// Why the store will not extend the chain: what it found does not verify. Nothing is written
/// on top of a chain that may have been tampered with, so that a store's own signature never
/// covers what someone else changed.
fn untrusted(what: &str) -> StoreError {
    StoreError::Audit(format!(
        "{what}; nothing more is written on top of it (run `rasso audit verify`)"
    ))
}

/// Checks the head a writing transaction found against the chain's tail and the signature,
/// before the store signs anything on top of it. A head this store signed itself, seen again, is
/// not verified a second time (verifying costs as much as signing; the audit writer of a busy
/// server commits hundreds of batches a second).
#[derive(Debug)]
#[doc(hidden)]
pub struct HeadTrust {
    key: VerifyingKey,
    known: Mutex<Option<SignedHead>>,
}

impl HeadTrust {
    pub(crate) fn new(key: VerifyingKey) -> Self {
        HeadTrust {
            key,
            known: Mutex::new(None),
        }
    }

    fn known(&self) -> MutexGuard<'_, Option<SignedHead>> {
        // Holds a plain value; a panic elsewhere cannot leave it half-written.
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Remembers a head this store has just signed.
    pub(crate) fn wrote(&self, head: &SignedHead) {
        *self.known() = Some(head.clone());
    }

    fn authentic(&self, head: &SignedHead) -> bool {
        if self.known().as_ref() == Some(head) {
            return true;
        }
        let ok = head.signature_ok(&self.key);
        if ok {
            *self.known() = Some(head.clone());
        }
        ok
    }

    /// The tail to extend, from what the transaction read. A head of the first format is
    /// accepted only when `rows.legacy_checkpoints` is given (by the upgrade).
    pub(crate) fn tail(&self, rows: TailRows) -> Result<ChainTail, StoreError> {
        let mut tail = ChainTail::empty();
        let Some((seq, hash)) = rows.last else {
            if rows.head.is_some() {
                return Err(untrusted(
                    "the audit log is empty but a signed head names records",
                ));
            }
            return Ok(tail);
        };
        let Some(head) = rows.head else {
            return Err(untrusted("the audit log has records but no signed head"));
        };
        if head.seq != seq || head.hash != hash {
            return Err(untrusted(
                "the signed audit head does not name the log's last record",
            ));
        }
        if !self.authentic(&head) {
            return Err(untrusted(
                "the signed audit head does not verify with this store's audit key",
            ));
        }
        tail.seq = seq;
        tail.hash = hash;
        if let Some((checkpoint_seq, at)) = &rows.checkpoint {
            tail.checkpoint_seq = *checkpoint_seq;
            let at = DateTime::parse_from_rfc3339(at)
                .map_err(|_| StoreError::Corrupt("audit checkpoint time".into()))?;
            tail.checkpoint_at = Some(at.with_timezone(&Utc));
        }
        match (head.counts(), rows.legacy_checkpoints) {
            (Some((counts, state)), _) => {
                if counts.last_checkpoint != tail.checkpoint_seq {
                    return Err(untrusted(
                        "the audit checkpoints are not those the signed head counts",
                    ));
                }
                tail.checkpoints = counts.checkpoints;
                tail.records = counts.records;
                tail.cases = counts.cases;
                tail.state = state;
            }
            (None, Some(checkpoints)) => {
                tail.checkpoints = checkpoints;
                tail.records = seq;
            }
            (None, None) => {
                return Err(untrusted(
                    "the signed audit head is of the format before case chains (open the store \
                     with this version to upgrade it)",
                ));
            }
        }
        Ok(tail)
    }
}

/// What a transaction writes to add entries to the chain: the records, the checkpoints that fall
/// due among them, and the new signed head.
#[derive(Debug)]
pub(crate) struct ChainExtension {
    pub records: Vec<AuditRecord>,
    pub checkpoints: Vec<Checkpoint>,
    pub head: SignedHead,
    /// Where the chain stands once these are written (what the next transaction would find).
    pub tail: ChainTail,
}

/// Chains `entries` (at least one) after `tail`: a checkpoint every
/// [`CHECKPOINT_EVERY_RECORDS`] records, and at the end of the batch when the last checkpoint is
/// older than [`CHECKPOINT_EVERY_SECONDS`]; the head counts them and carries the state digest
/// moved by `delta`. One copy of this for every store, so that the chain each writes is the same.
pub(crate) fn extend_chain(
    signer: &AuditSigner,
    mut tail: ChainTail,
    entries: &[AuditEntry],
    delta: &StateDelta,
    now: DateTime<Utc>,
) -> ChainExtension {
    let mut records = Vec::with_capacity(entries.len());
    let mut checkpoints = Vec::new();
    let at = format_time(now);
    for (index, entry) in entries.iter().enumerate() {
        let record = AuditRecord::chain_at(entry, tail.seq, &tail.hash, at.clone());
        tail.seq = record.seq;
        tail.hash.clone_from(&record.hash);
        tail.records += 1;
        let last_of_batch = index + 1 == entries.len();
        let by_count = tail.seq - tail.checkpoint_seq >= CHECKPOINT_EVERY_RECORDS;
        let by_time = last_of_batch
            && tail
                .checkpoint_at
                .is_none_or(|at| (now - at).num_seconds() >= CHECKPOINT_EVERY_SECONDS);
        if by_count || by_time {
            checkpoints.push(add_checkpoint(signer, &mut tail, now));
        }
        records.push(record);
    }
    delta.apply(&mut tail.state, &mut tail.cases);
    let head = signer.sign_head(tail.seq, &tail.hash, now, tail.counts(), &tail.state);
    ChainExtension {
        records,
        checkpoints,
        head,
        tail,
    }
}

fn add_checkpoint(signer: &AuditSigner, tail: &mut ChainTail, now: DateTime<Utc>) -> Checkpoint {
    let checkpoint = signer.sign_checkpoint(
        tail.seq,
        &tail.hash,
        now,
        tail.checkpoints + 1,
        tail.checkpoint_seq,
    );
    tail.checkpoints += 1;
    tail.checkpoint_seq = tail.seq;
    tail.checkpoint_at = Some(now);
    checkpoint
}

/// A checkpoint at the chain's last record now (and the head that counts it), unless that record
/// has one already or there are no records.
pub(crate) fn checkpoint_now(
    signer: &AuditSigner,
    mut tail: ChainTail,
    now: DateTime<Utc>,
) -> Option<(Checkpoint, SignedHead)> {
    if tail.seq == 0 || tail.checkpoint_seq == tail.seq {
        return None;
    }
    let checkpoint = add_checkpoint(signer, &mut tail, now);
    let head = signer.sign_head(tail.seq, &tail.hash, now, tail.counts(), &tail.state);
    Some((checkpoint, head))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `n` chained records and the head that signs them (also for `verify`'s tests).
    pub(crate) fn chain(n: i64, signer: &AuditSigner) -> (Vec<AuditRecord>, SignedHead) {
        let access = Access::new("test", crate::access::Purpose::Investigation);
        let mut records = Vec::new();
        let mut prev = GENESIS_HASH.to_owned();
        for seq in 0..n {
            let entry = AuditEntry::new(&access, Category::Consultation, format!("case:x/{seq}"));
            let record = AuditRecord::chain(&entry, seq, &prev, Utc::now());
            prev = record.hash.clone();
            records.push(record);
        }
        let counts = HeadCounts {
            records: n,
            checkpoints: 0,
            last_checkpoint: 0,
            cases: 0,
        };
        let head = signer.sign_head(n, &prev, Utc::now(), counts, &StateDigest::EMPTY);
        (records, head)
    }

    /// The record's canonical body as first defined: the record as a JSON value, through
    /// `canonical_json`. Stored chains were hashed this way, so the direct writer must agree.
    fn canonical_body_as_defined(record: &AuditRecord) -> String {
        crate::canonical::canonical_json(&serde_json::json!({
            "seq": record.seq,
            "at": record.at,
            "actor": record.actor,
            "category": record.category,
            "object": record.object,
            "purpose": record.purpose,
            "reason": record.reason,
            "recipient": record.recipient,
            "detail": record.detail,
            "prev_hash": record.prev_hash,
        }))
    }

    proptest::proptest! {
        #[test]
        fn canonical_body_is_canonical_json(
            seq in proptest::prelude::any::<i64>(),
            actor in "\\PC{0,12}",
            object in "[ -~\u{7f}-\u{a0}\\\\\"]{0,12}",
            reason in proptest::option::of("\\PC{0,8}"),
            recipient in proptest::option::of("[\u{0}-\u{1f}a\"]{0,6}"),
            detail_key in "[a-z\"]{0,4}",
            count in proptest::prelude::any::<u32>(),
        ) {
            let mut detail = serde_json::Map::new();
            if !detail_key.is_empty() {
                detail.insert(detail_key, serde_json::json!({"z": count, "a": [1, {"y": null, "b": "\u{1}"}]}));
            }
            let record = AuditRecord {
                seq,
                at: "2026-11-29T14:30:00.123456Z".into(),
                actor,
                category: "consultation".into(),
                object,
                purpose: "investigation".into(),
                reason,
                recipient,
                detail: Value::Object(detail),
                prev_hash: GENESIS_HASH.into(),
                hash: String::new(),
            };
            proptest::prop_assert_eq!(
                String::from_utf8(record.canonical_body()).expect("utf-8"),
                canonical_body_as_defined(&record)
            );
        }
    }

    #[test]
    fn a_writer_refuses_a_head_that_does_not_verify_or_does_not_name_the_tail() {
        let signer = AuditSigner::from_seed([7; 32]);
        let trust = HeadTrust::new(signer.verifying_key());
        let (records, head) = chain(3, &signer);
        let last = records.last().map(|r| (r.seq, r.hash.clone()));
        let rows = |head: Option<SignedHead>| TailRows {
            last: last.clone(),
            head,
            ..TailRows::default()
        };
        let tail = trust.tail(rows(Some(head.clone()))).expect("good head");
        assert_eq!((tail.seq, tail.records), (3, 3));
        let mut edited = head.clone();
        edited.cases = Some(7);
        assert!(trust.tail(rows(Some(edited))).is_err(), "edited counts");
        assert!(trust.tail(rows(None)).is_err(), "missing head");
        let old = chain(2, &signer).1;
        assert!(trust.tail(rows(Some(old))).is_err(), "an older head");
        let legacy = signer.sign_legacy_head(3, &head.hash, Utc::now());
        assert!(trust.tail(rows(Some(legacy.clone()))).is_err());
        let upgrade = TailRows {
            legacy_checkpoints: Some(0),
            ..rows(Some(legacy))
        };
        assert!(
            trust.tail(upgrade).is_ok(),
            "the upgrade extends a legacy head"
        );
    }
}
