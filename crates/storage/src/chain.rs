//! Case chains: each case's events are hash-chained, and every case's head is folded into one
//! digest that the signed audit head commits to (docs/storage.md, "Case chains").
//!
//! - An event's hash covers the previous event's hash in the case and the event as stored: case
//!   key, sequence number, event id, time as stored, kind, person, the stored body text, and a
//!   digest of the event's sealed rows (so deleting, replacing or swapping sealed identity
//!   changes it). The case's head is the hash of its last event.
//! - The state digest is a multiset hash (the sum, modulo 2^256, of one SHA-256 per case over its
//!   key, version and head), so an append moves it by subtracting the case's old element and
//!   adding its new one: constant work per append whatever the number of cases.
//!
//! Every field is written with its length first, so no two different events hash the same bytes.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

/// A SHA-256 value.
pub type Hash = [u8; 32];

/// The head of a case with no events.
pub const GENESIS: Hash = [0; 32];

/// One sealed row of an event, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedPart<'a> {
    pub field: &'a str,
    pub person: &'a str,
    pub key_id: i64,
    pub nonce: &'a [u8],
    pub ciphertext: &'a [u8],
}

/// One event as stored, for its hash.
#[derive(Debug, Clone)]
pub struct StoredEvent<'a> {
    pub force: &'a str,
    pub reference: &'a str,
    pub seq: i64,
    pub event_id: &'a str,
    pub at: &'a str,
    pub kind: &'a str,
    pub person: Option<&'a str>,
    pub body: &'a str,
}

fn field(hasher: &mut Sha256, bytes: &[u8]) {
    // Lengths over 4 GiB cannot be stored in a row; saturating keeps the function total.
    let length = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    hasher.update(length.to_be_bytes());
    hasher.update(bytes);
}

/// The digest of an event's sealed rows (sorted by field by the caller; none is a digest too).
pub fn sealed_digest(parts: &[SealedPart<'_>]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(b"rasso-sealed-v1\n");
    hasher.update(u32::try_from(parts.len()).unwrap_or(u32::MAX).to_be_bytes());
    for part in parts {
        field(&mut hasher, part.field.as_bytes());
        field(&mut hasher, part.person.as_bytes());
        field(&mut hasher, part.key_id.to_string().as_bytes());
        field(&mut hasher, part.nonce);
        field(&mut hasher, part.ciphertext);
    }
    hasher.finalize().into()
}

/// The hash of `event` after `prev` (the case's previous head).
pub fn event_hash(prev: &Hash, event: &StoredEvent<'_>, sealed: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(b"rasso-event-v1\n");
    hasher.update(prev);
    field(&mut hasher, event.force.as_bytes());
    field(&mut hasher, event.reference.as_bytes());
    field(&mut hasher, event.seq.to_string().as_bytes());
    field(&mut hasher, event.event_id.as_bytes());
    field(&mut hasher, event.at.as_bytes());
    field(&mut hasher, event.kind.as_bytes());
    match event.person {
        Some(person) => field(&mut hasher, person.as_bytes()),
        None => hasher.update(u32::MAX.to_be_bytes()),
    }
    field(&mut hasher, event.body.as_bytes());
    hasher.update(sealed);
    hasher.finalize().into()
}

/// A case head as hex (how it is stored and bound in the audit log).
pub fn to_hex(hash: &Hash) -> String {
    hex::encode(hash)
}

/// A stored head back from hex; `None` when it is not 64 hex digits.
pub fn from_hex(text: &str) -> Option<Hash> {
    let bytes = hex::decode(text).ok()?;
    Hash::try_from(bytes.as_slice()).ok()
}

/// A case's place in the state digest: its key, version and head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseHead {
    pub force: String,
    pub reference: String,
    pub version: u64,
    pub head: Hash,
}

impl CaseHead {
    /// The case's element of the multiset.
    fn element(&self) -> Hash {
        let mut hasher = Sha256::new();
        hasher.update(b"rasso-case-head-v1\n");
        field(&mut hasher, self.force.as_bytes());
        field(&mut hasher, self.reference.as_bytes());
        field(&mut hasher, self.version.to_string().as_bytes());
        field(&mut hasher, &self.head);
        hasher.finalize().into()
    }
}

/// The multiset hash over every case's head: a 256-bit sum, big-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateDigest([u8; 32]);

impl StateDigest {
    /// The digest of no cases.
    pub const EMPTY: StateDigest = StateDigest([0; 32]);

    fn limbs(bytes: &[u8; 32]) -> [u64; 4] {
        let mut limbs = [0u64; 4];
        for (index, limb) in limbs.iter_mut().enumerate() {
            // Limb 0 is the least significant (the last eight bytes).
            let start = 32 - 8 * (index + 1);
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[start..start + 8]);
            *limb = u64::from_be_bytes(word);
        }
        limbs
    }

    fn from_limbs(limbs: [u64; 4]) -> Self {
        let mut bytes = [0u8; 32];
        for (index, limb) in limbs.iter().enumerate() {
            let start = 32 - 8 * (index + 1);
            bytes[start..start + 8].copy_from_slice(&limb.to_be_bytes());
        }
        StateDigest(bytes)
    }

    /// Adds a case's element (a case now at this head).
    pub fn add(&mut self, case: &CaseHead) {
        let (a, b) = (Self::limbs(&self.0), Self::limbs(&case.element()));
        let mut out = [0u64; 4];
        let mut carry = false;
        for index in 0..4 {
            let (sum, overflow) = a[index].overflowing_add(b[index]);
            let (sum, overflow_carry) = sum.overflowing_add(u64::from(carry));
            out[index] = sum;
            carry = overflow || overflow_carry;
        }
        *self = Self::from_limbs(out);
    }

    /// Takes a case's element away (the case moved on from this head).
    pub fn remove(&mut self, case: &CaseHead) {
        let (a, b) = (Self::limbs(&self.0), Self::limbs(&case.element()));
        let mut out = [0u64; 4];
        let mut borrow = false;
        for index in 0..4 {
            let (difference, underflow) = a[index].overflowing_sub(b[index]);
            let (difference, underflow_borrow) = difference.overflowing_sub(u64::from(borrow));
            out[index] = difference;
            borrow = underflow || underflow_borrow;
        }
        *self = Self::from_limbs(out);
    }

    /// Hex, as stored and signed.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// From hex; `None` when it is not 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        from_hex(text).map(StateDigest)
    }
}

/// What one transaction does to the state digest: the cases it moved, each from its old head
/// (none for a new case) to its new one.
#[derive(Debug, Clone, Default)]
pub struct StateDelta {
    pub moves: Vec<(Option<CaseHead>, CaseHead)>,
}

impl StateDelta {
    /// Records a case moving from `old` to `new`.
    pub fn push(&mut self, old: Option<CaseHead>, new: CaseHead) {
        self.moves.push((old, new));
    }

    /// `digest` and `cases` after this delta.
    pub fn apply(&self, digest: &mut StateDigest, cases: &mut i64) {
        for (old, new) in &self.moves {
            match old {
                Some(old) => digest.remove(old),
                None => *cases += 1,
            }
            digest.add(new);
        }
    }
}

/// Chains a case's events one by one.
#[derive(Debug, Clone)]
pub struct CaseChainer {
    head: Hash,
    version: u64,
}

impl CaseChainer {
    /// Continues a case at `version` with head `head` (a new case: 0 and [`GENESIS`]).
    pub fn resume(version: u64, head: Hash) -> Self {
        CaseChainer { head, version }
    }

    /// Adds the next event; returns the new head.
    pub fn push(&mut self, event: &StoredEvent<'_>, sealed: &Hash) -> Hash {
        self.head = event_hash(&self.head, event, sealed);
        self.version += 1;
        self.head
    }

    pub fn head(&self) -> Hash {
        self.head
    }

    pub fn version(&self) -> u64 {
        self.version
    }
}

/// One row of [`CHAIN_ROWS`]: an event as stored, with one of its sealed rows (if any).
#[derive(Debug, Clone)]
pub(crate) struct ChainRow {
    pub case_id: i64,
    pub seq: i64,
    pub event_id: String,
    pub at: String,
    pub kind: String,
    pub person: Option<String>,
    pub body: String,
    pub sealed: Option<SealedColumns>,
}

/// A sealed row's columns: field, person, data key id, nonce, ciphertext.
pub(crate) type SealedColumns = (String, String, i64, Vec<u8>, Vec<u8>);

/// The events of the cases with ids from `$1` to `$2`, each with its sealed rows, in chain order:
/// what a case's chain is recomputed from. The same text for both databases.
pub(crate) const CHAIN_ROWS: &str = "SELECT e.case_id, e.seq, e.event_id, e.at, e.kind, e.person, \
     e.body, s.field, s.person AS sealed_person, s.key_id, s.nonce, s.ciphertext FROM events e \
     LEFT JOIN sealed s ON s.case_id = e.case_id AND s.seq = e.seq \
     WHERE e.case_id >= $1 AND e.case_id <= $2 ORDER BY e.case_id, e.seq, s.field";

/// A case's chain recomputed from its stored rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Recomputed {
    pub events: u64,
    pub head: Hash,
    /// Sealed rows read with the events.
    pub sealed: u64,
}

impl Default for Recomputed {
    fn default() -> Self {
        Recomputed {
            events: 0,
            head: GENESIS,
            sealed: 0,
        }
    }
}

/// Recomputes the chains of the cases in `names` (case id to force and reference) from `rows`
/// (ordered as [`CHAIN_ROWS`] orders them); rows of other cases are left out.
pub(crate) fn recompute(
    rows: &[ChainRow],
    names: &HashMap<i64, (&str, &str)>,
) -> HashMap<i64, Recomputed> {
    let mut chains: HashMap<i64, Recomputed> = HashMap::new();
    let mut start = 0;
    while start < rows.len() {
        let first = &rows[start];
        let end = rows[start..]
            .iter()
            .position(|row| row.case_id != first.case_id || row.seq != first.seq)
            .map_or(rows.len(), |offset| start + offset);
        if let Some((force, reference)) = names.get(&first.case_id) {
            let parts: Vec<SealedPart<'_>> = rows[start..end]
                .iter()
                .filter_map(|row| row.sealed.as_ref())
                .map(|(field, person, key_id, nonce, ciphertext)| SealedPart {
                    field,
                    person,
                    key_id: *key_id,
                    nonce,
                    ciphertext,
                })
                .collect();
            let event = StoredEvent {
                force,
                reference,
                seq: first.seq,
                event_id: &first.event_id,
                at: &first.at,
                kind: &first.kind,
                person: first.person.as_deref(),
                body: &first.body,
            };
            let chain = chains.entry(first.case_id).or_default();
            chain.head = event_hash(&chain.head, &event, &sealed_digest(&parts));
            chain.events += 1;
            chain.sealed += parts.len() as u64;
        }
        start = end;
    }
    chains
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(seq: i64, body: &'a str) -> StoredEvent<'a> {
        StoredEvent {
            force: "exampleshire",
            reference: "EX-1",
            seq,
            event_id: "e1",
            at: "2026-03-02T09:15:00.000000Z",
            kind: "note",
            person: None,
            body,
        }
    }

    #[test]
    fn every_stored_field_changes_the_hash() {
        let none = sealed_digest(&[]);
        let base = event_hash(&GENESIS, &event(1, "{}"), &none);
        let variants = [
            StoredEvent {
                force: "otherton",
                ..event(1, "{}")
            },
            StoredEvent {
                reference: "EX-2",
                ..event(1, "{}")
            },
            event(2, "{}"),
            StoredEvent {
                event_id: "e2",
                ..event(1, "{}")
            },
            StoredEvent {
                at: "2026-03-01T09:15:00.000000Z",
                ..event(1, "{}")
            },
            StoredEvent {
                kind: "other",
                ..event(1, "{}")
            },
            StoredEvent {
                person: Some("V1"),
                ..event(1, "{}")
            },
            StoredEvent {
                person: Some(""),
                ..event(1, "{}")
            },
            event(1, "{ }"),
        ];
        for variant in &variants {
            assert_ne!(event_hash(&GENESIS, variant, &none), base, "{variant:?}");
        }
        assert_ne!(event_hash(&[1; 32], &event(1, "{}"), &none), base);
        let sealed = sealed_digest(&[SealedPart {
            field: "identity",
            person: "V1",
            key_id: 1,
            nonce: &[1, 2],
            ciphertext: &[3],
        }]);
        assert_ne!(event_hash(&GENESIS, &event(1, "{}"), &sealed), base);
        // Field boundaries are part of what is hashed.
        let shifted = StoredEvent {
            force: "exampleshireE",
            reference: "X-1",
            ..event(1, "{}")
        };
        assert_ne!(event_hash(&GENESIS, &shifted, &none), base);
    }

    #[test]
    fn swapping_sealed_rows_between_people_changes_their_digests() {
        let a = SealedPart {
            field: "identity",
            person: "V1",
            key_id: 1,
            nonce: &[1],
            ciphertext: &[10],
        };
        let b = SealedPart {
            person: "S1",
            nonce: &[2],
            ciphertext: &[20],
            ..a.clone()
        };
        let swapped = SealedPart {
            nonce: b.nonce,
            ciphertext: b.ciphertext,
            ..a.clone()
        };
        assert_ne!(sealed_digest(&[a]), sealed_digest(&[swapped]));
    }

    #[test]
    fn the_state_digest_is_order_free_and_moves_per_case() {
        let case = |reference: &str, version: u64, head: u8| CaseHead {
            force: "exampleshire".into(),
            reference: reference.into(),
            version,
            head: [head; 32],
        };
        let mut forward = StateDigest::EMPTY;
        forward.add(&case("A", 1, 1));
        forward.add(&case("B", 2, 2));
        let mut backward = StateDigest::EMPTY;
        backward.add(&case("B", 2, 2));
        backward.add(&case("A", 1, 1));
        assert_eq!(forward, backward);

        // Moving A to version 2 is the same as having added A at version 2.
        let mut delta = StateDelta::default();
        delta.push(Some(case("A", 1, 1)), case("A", 2, 3));
        let mut cases = 2;
        delta.apply(&mut forward, &mut cases);
        let mut direct = StateDigest::EMPTY;
        direct.add(&case("B", 2, 2));
        direct.add(&case("A", 2, 3));
        assert_eq!(forward, direct);
        assert_eq!(cases, 2);

        forward.remove(&case("A", 2, 3));
        forward.remove(&case("B", 2, 2));
        assert_eq!(forward, StateDigest::EMPTY);
        assert_eq!(
            StateDigest::from_hex(&direct.to_hex()),
            Some(direct),
            "hex round trip"
        );
    }
}
