//! Suspect linkage: deciding whether two suspect records may be the same person.
//!
//! Pure: no I/O, no clock, no global state. The store hands in the identities and the linkage key;
//! this crate gives back normalised names, phonetic codes, blocking tokens (keyed, so that a token
//! table reveals nothing without the key) and a score in `[0, 1]` with the reasons for it.
//!
//! - [`normalise`]: case, diacritics, punctuation, hyphens and whitespace.
//! - [`phonetic`]: NYSIIS, a phonetic code for names.
//! - [`dob`]: how near two dates of birth are (exact, one digit, day and month swapped, year ±1).
//! - [`mod@score`]: the scorer and its reasons.
//! - [`tokens`]: blocking keys and their keyed blind index values (HMAC-SHA256).

pub mod dob;
pub mod normalise;
pub mod phonetic;
pub mod score;
pub mod tokens;

pub use dob::DobMatch;
pub use score::{LinkScore, Profile, Reason, SUGGEST_THRESHOLD, score};
pub use tokens::{LinkageKey, blocking_keys};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The identity details linkage compares, as they came (not normalised). This is what the store
/// keeps sealed per suspect; it never leaves the store in clear.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchIdentity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pnc_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

impl std::fmt::Debug for MatchIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Identity must never reach a log or an error message.
        f.write_str("MatchIdentity(<sealed>)")
    }
}

impl MatchIdentity {
    /// Whether there is anything to match on: a PNC id or at least one name part.
    pub fn is_matchable(&self) -> bool {
        let profile = Profile::new(self);
        profile.pnc.is_some() || !profile.names.is_empty()
    }
}
