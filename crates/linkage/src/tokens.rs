//! Blocking: which stored suspects are worth scoring against a new one. Each profile gives a few
//! blocking keys (PNC id; the two name codes in either order; each name code with the date of
//! birth; each initial with the date of birth; the same for every alias). Two records that share
//! a key are candidates. The keys hold names, so they are never stored: the store keeps
//! [`LinkageKey::token`] of each, a keyed blind index (HMAC-SHA256 under the linkage key, cut to
//! 64 bits), which says nothing about the name without the key.

use sha2::{Digest, Sha256};

use crate::score::Profile;

/// The secret under which blocking keys become tokens.
#[derive(Clone)]
pub struct LinkageKey([u8; 32]);

impl std::fmt::Debug for LinkageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkageKey(<secret>)")
    }
}

impl LinkageKey {
    /// The linkage key derived from another secret (the store derives it from its first data
    /// key), labelled so that it is never the same as any other key derived from that secret.
    pub fn derive(secret: &[u8; 32]) -> LinkageKey {
        LinkageKey(hmac_sha256(secret, b"rasso-linkage-key-v1"))
    }

    /// The blind index value of a blocking key: the first 64 bits of its HMAC. Collisions only add
    /// a candidate to score, never a link.
    pub fn token(&self, blocking_key: &str) -> i64 {
        let mac = hmac_sha256(&self.0, blocking_key.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&mac[..8]);
        i64::from_be_bytes(first)
    }

    /// The tokens of a profile, sorted, without repeats.
    pub fn tokens(&self, profile: &Profile) -> Vec<i64> {
        let mut tokens: Vec<i64> = blocking_keys(profile)
            .iter()
            .map(|key| self.token(key))
            .collect();
        tokens.sort_unstable();
        tokens.dedup();
        tokens
    }
}

const BLOCK: usize = 64;

/// HMAC-SHA256 (RFC 2104): `H((K ^ opad) || H((K ^ ipad) || message))`, the key hashed first when
/// longer than a block.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

/// The blocking keys of a profile (plain text: hash them with [`LinkageKey::token`] before they
/// leave memory).
pub fn blocking_keys(profile: &Profile) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(pnc) = &profile.pnc {
        keys.push(format!("p:{pnc}"));
    }
    let dob = profile
        .date_of_birth
        .map(|d| d.format("%Y-%m-%d").to_string());
    for name in &profile.names {
        let codes = [name.given_code.as_str(), name.family_code.as_str()];
        match codes {
            ["", ""] => {}
            ["", code] | [code, ""] => keys.push(format!("n1:{code}")),
            [a, b] => {
                // Either order: swapped given and family names block together.
                let (low, high) = if a <= b { (a, b) } else { (b, a) };
                keys.push(format!("n:{low}|{high}"));
            }
        }
        if let Some(dob) = &dob {
            for code in codes.iter().filter(|c| !c.is_empty()) {
                keys.push(format!("cd:{code}|{dob}"));
            }
            for part in [&name.given, &name.family] {
                if let Some(initial) = part.chars().next() {
                    keys.push(format!("id:{initial}|{dob}"));
                }
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MatchIdentity;
    use chrono::NaiveDate;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    fn profile(given: &str, family: &str) -> Profile {
        Profile::new(&MatchIdentity {
            given_name: Some(given.into()),
            family_name: Some(family.into()),
            date_of_birth: NaiveDate::from_ymd_opt(1990, 5, 6),
            ..MatchIdentity::default()
        })
    }

    #[test]
    fn swapped_and_respelt_names_share_tokens() {
        let key = LinkageKey::derive(&[7u8; 32]);
        let a = key.tokens(&profile("Idris", "Penhallow"));
        let swapped = key.tokens(&profile("Penhallow", "Idris"));
        let respelt = key.tokens(&profile("Idriss", "Penhalow"));
        assert!(a.iter().any(|t| swapped.contains(t)));
        assert!(a.iter().any(|t| respelt.contains(t)));
        let other = key.tokens(&profile("Saoirse", "Quarrell"));
        assert!(!a.iter().any(|t| other.contains(t)));
    }

    #[test]
    fn tokens_depend_on_the_key_and_hold_no_name() {
        let p = profile("Idris", "Penhallow");
        let one = LinkageKey::derive(&[1u8; 32]).tokens(&p);
        let two = LinkageKey::derive(&[2u8; 32]).tokens(&p);
        assert!(!one.iter().any(|t| two.contains(t)));
        assert!(format!("{:?}", LinkageKey::derive(&[1u8; 32])).contains("secret"));
    }
}
