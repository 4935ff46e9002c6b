//! The audit chain: each record hashes the previous record's hash together with its own canonical
//! JSON (SHA-256); checkpoints and the chain head are signed with ed25519. Verification is written
//! here, once, over records and checkpoints read from any backend.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::access::{Access, Category};

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

    /// This record's canonical JSON without `hash`: what [`canonical_json`] makes of the record
    /// as an object, written directly (keys in their sorted order) rather than built as a value,
    /// sorted and printed, because every audit record of every read is hashed on the audit
    /// writer's one thread. `canonical_body_is_canonical_json` checks the two agree.
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
        match &self.detail {
            Value::Object(map) if map.is_empty() => out.extend_from_slice(b"{}"),
            detail => out.extend_from_slice(canonical_json(detail).as_bytes()),
        }
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

/// A signed statement that the chain had `hash` at record `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: String,
    /// Hex ed25519 public key of the signer.
    pub public_key: String,
    /// Hex ed25519 signature over [`checkpoint_message`].
    pub signature: String,
}

/// The bytes a checkpoint signs.
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

    /// A signed checkpoint (`kind` is `checkpoint` or `head`).
    pub fn sign(&self, kind: &str, seq: i64, hash: &str, at: DateTime<Utc>) -> Checkpoint {
        let at = format_time(at);
        let signature = self.key.sign(&checkpoint_message(kind, seq, hash, &at));
        Checkpoint {
            seq,
            hash: hash.to_owned(),
            at,
            public_key: self.public_hex(),
            signature: hex::encode(signature.to_bytes()),
        }
    }
}

/// Checks a checkpoint's signature with a trusted key (never the key stored beside it).
pub fn signature_ok(kind: &str, checkpoint: &Checkpoint, trusted: &VerifyingKey) -> bool {
    let Ok(bytes) = hex::decode(&checkpoint.signature) else {
        return false;
    };
    let Ok(bytes) = <[u8; 64]>::try_from(bytes.as_slice()) else {
        return false;
    };
    let signature = Signature::from_bytes(&bytes);
    trusted
        .verify(
            &checkpoint_message(kind, checkpoint.seq, &checkpoint.hash, &checkpoint.at),
            &signature,
        )
        .is_ok()
}

/// UTC, RFC 3339 with microseconds: the audit log's time format.
pub fn format_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// JSON with object keys sorted and no insignificant whitespace, so that equal values hash equally.
pub fn canonical_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let ordered: BTreeMap<&String, Value> = map
                    .iter()
                    .map(|(key, value)| (key, sorted(value)))
                    .collect();
                let mut out = serde_json::Map::new();
                for (key, value) in ordered {
                    out.insert(key.clone(), value);
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

/// The outcome of verifying the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Records checked.
    pub records: u64,
    /// Checkpoints whose signatures were checked.
    pub checkpoints: u64,
    /// The first problem found, if any.
    pub problem: Option<AuditProblem>,
}

impl VerifyReport {
    /// True when the chain, the checkpoints and the head all verify.
    pub fn is_ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// The first bad record (or checkpoint) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditProblem {
    /// The record the problem was found at (for a truncated tail: the first missing record).
    pub seq: i64,
    pub message: String,
}

impl std::fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "audit record {}: {}", self.seq, self.message)
    }
}

/// Verifies records streamed in `seq` order; checkpoints and head are checked at the end.
#[derive(Debug)]
pub struct ChainVerifier {
    trusted: VerifyingKey,
    expected_seq: i64,
    prev_hash: String,
    /// Hash of each checkpointed seq seen, to compare with the checkpoints.
    checkpoint_seqs: BTreeMap<i64, Option<String>>,
    records: u64,
    problem: Option<AuditProblem>,
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
        }
    }

    fn fail(&mut self, seq: i64, message: impl Into<String>) {
        if self.problem.is_none() {
            self.problem = Some(AuditProblem {
                seq,
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
        self.prev_hash = record.hash.clone();
        self.expected_seq += 1;
    }

    /// Checks checkpoints and the signed head against what was read, and reports.
    pub fn finish(mut self, checkpoints: &[Checkpoint], head: Option<&Checkpoint>) -> VerifyReport {
        let last_seq = self.expected_seq - 1;
        let mut checked = 0;
        if self.problem.is_none() {
            for checkpoint in checkpoints {
                checked += 1;
                if !signature_ok("checkpoint", checkpoint, &self.trusted) {
                    self.fail(
                        checkpoint.seq,
                        "the checkpoint at this record has a bad signature (or was signed with another key)",
                    );
                    break;
                }
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
        }
        if self.problem.is_none() {
            match head {
                None if last_seq > 0 => {
                    self.fail(last_seq, "the signed chain head is missing");
                }
                None => {}
                Some(head) => {
                    if !signature_ok("head", head, &self.trusted) {
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
                                "records after the signed head (record {}) were added outside the store",
                                head.seq
                            ),
                        );
                    } else if head.hash != self.prev_hash {
                        self.fail(
                            head.seq,
                            "the signed head names another hash for the last record",
                        );
                    }
                }
            }
        }
        VerifyReport {
            records: self.records,
            checkpoints: checked,
            problem: self.problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64, signer: &AuditSigner) -> (Vec<AuditRecord>, Checkpoint) {
        let access = Access::new("test", crate::access::Purpose::Investigation);
        let mut records = Vec::new();
        let mut prev = GENESIS_HASH.to_owned();
        for seq in 0..n {
            let entry = AuditEntry::new(&access, Category::Consultation, format!("case:x/{seq}"));
            let record = AuditRecord::chain(&entry, seq, &prev, Utc::now());
            prev = record.hash.clone();
            records.push(record);
        }
        let head = signer.sign("head", n, &prev, Utc::now());
        (records, head)
    }

    fn verify(records: &[AuditRecord], head: &Checkpoint, signer: &AuditSigner) -> VerifyReport {
        let mut verifier = ChainVerifier::new(signer.verifying_key(), &[]);
        for record in records {
            verifier.push(record);
        }
        verifier.finish(&[], Some(head))
    }

    /// The record's canonical body as first defined: the record as a JSON value, through
    /// `canonical_json`. Stored chains were hashed this way, so the direct writer must agree.
    fn canonical_body_as_defined(record: &AuditRecord) -> String {
        canonical_json(&serde_json::json!({
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
    fn canonical_json_sorts_keys_recursively() {
        let value = serde_json::json!({"b": 1, "a": {"d": [ {"z": 1, "y": 2} ], "c": null}});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}"#
        );
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
}

/// Where the chain stands, as a writing transaction finds it (its last record and its last
/// checkpoint).
#[derive(Debug, Clone)]
pub(crate) struct ChainTail {
    pub seq: i64,
    pub hash: String,
    pub checkpoint_seq: i64,
    pub checkpoint_at: Option<DateTime<Utc>>,
}

impl ChainTail {
    /// The tail of a chain with no records yet.
    pub(crate) fn empty() -> Self {
        ChainTail {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
            checkpoint_seq: 0,
            checkpoint_at: None,
        }
    }

    /// Sets the last checkpoint from its stored sequence number and time.
    pub(crate) fn with_checkpoint(mut self, seq: i64, at: &str) -> Result<Self, String> {
        let at = DateTime::parse_from_rfc3339(at)
            .map_err(|_| "audit checkpoint time".to_owned())?
            .with_timezone(&Utc);
        self.checkpoint_seq = seq;
        self.checkpoint_at = Some(at);
        Ok(self)
    }
}

/// What a transaction writes to add entries to the chain: the records, the checkpoints that fall
/// due among them, and the new signed head.
#[derive(Debug)]
pub(crate) struct ChainExtension {
    pub records: Vec<AuditRecord>,
    pub checkpoints: Vec<Checkpoint>,
    pub head: Checkpoint,
}

/// Chains `entries` (at least one) after `tail`: a checkpoint every
/// [`CHECKPOINT_EVERY_RECORDS`] records, and at the end of the batch when the last checkpoint is
/// older than [`CHECKPOINT_EVERY_SECONDS`]. One copy of this for every store, so that the chain
/// each writes is the same.
pub(crate) fn extend_chain(
    signer: &AuditSigner,
    tail: ChainTail,
    entries: &[AuditEntry],
    now: DateTime<Utc>,
) -> ChainExtension {
    let ChainTail {
        mut seq,
        mut hash,
        mut checkpoint_seq,
        mut checkpoint_at,
    } = tail;
    let mut records = Vec::with_capacity(entries.len());
    let mut checkpoints = Vec::new();
    let at = format_time(now);
    for (index, entry) in entries.iter().enumerate() {
        let record = AuditRecord::chain_at(entry, seq, &hash, at.clone());
        seq = record.seq;
        hash.clone_from(&record.hash);
        let last_of_batch = index + 1 == entries.len();
        let by_count = seq - checkpoint_seq >= CHECKPOINT_EVERY_RECORDS;
        let by_time = last_of_batch
            && checkpoint_at.is_none_or(|at| (now - at).num_seconds() >= CHECKPOINT_EVERY_SECONDS);
        if by_count || by_time {
            checkpoints.push(signer.sign("checkpoint", seq, &hash, now));
            checkpoint_seq = seq;
            checkpoint_at = Some(now);
        }
        records.push(record);
    }
    ChainExtension {
        records,
        checkpoints,
        head: signer.sign("head", seq, &hash, now),
    }
}
