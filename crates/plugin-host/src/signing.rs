//! Plugin signatures: what is signed, key files, signing and verifying.
//!
//! A plugin folder is signed as a whole. Its *digest* is a short text listing the SHA-256 of every
//! file in the folder (sorted by path, `plugin.sig` itself left out); the ed25519 signature in
//! `plugin.sig` (hex) is over that text. Changing, adding or removing any file — the manifest, the
//! library, a content page — breaks the signature.
//!
//! Key files hold 32 bytes: either raw, or as 64 hexadecimal characters (surrounding whitespace
//! ignored). A secret key file holds the ed25519 seed; a public key file the public key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// The name of the signature file in a plugin folder.
pub const SIGNATURE_FILE: &str = "plugin.sig";
/// The first line of every digest text, naming its format.
const DIGEST_HEADER: &str = "rasso-plugin-digest-v1";

/// An ed25519 public key a force trusts.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(pub VerifyingKey);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint())
    }
}

impl PublicKey {
    /// The key as hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    /// A short name for the key: the first 16 hex characters of the SHA-256 of its bytes.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        hex::encode(&digest[..8])
    }
}

/// Why a key, a folder or a signature is not acceptable.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("not a key: expected 32 raw bytes or 64 hexadecimal characters")]
    KeyFormat,
    #[error("not a valid ed25519 public key")]
    BadPublicKey,
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: symbolic links are not allowed in a plugin folder")]
    Symlink { path: String },
    #[error("{path}: file name is not UTF-8")]
    Name { path: String },
    #[error("{path}: signature is not 64 bytes of hex")]
    SignatureFormat { path: String },
}

fn key_bytes(bytes: &[u8]) -> Result<[u8; 32], SigningError> {
    if let Ok(raw) = <[u8; 32]>::try_from(bytes) {
        // 32 bytes that are also 32 hex characters cannot be a hex key (that needs 64).
        return Ok(raw);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| SigningError::KeyFormat)?;
    let decoded = hex::decode(text.trim()).map_err(|_| SigningError::KeyFormat)?;
    <[u8; 32]>::try_from(decoded.as_slice()).map_err(|_| SigningError::KeyFormat)
}

/// A public key from the contents of a key file or a configuration string.
pub fn parse_public_key(bytes: &[u8]) -> Result<PublicKey, SigningError> {
    let bytes = key_bytes(bytes)?;
    VerifyingKey::from_bytes(&bytes)
        .map(PublicKey)
        .map_err(|_| SigningError::BadPublicKey)
}

/// A secret (signing) key from the contents of a key file.
pub fn parse_secret_key(bytes: &[u8]) -> Result<SigningKey, SigningError> {
    Ok(SigningKey::from_bytes(&key_bytes(bytes)?))
}

/// Reads a file, naming it in the error.
pub fn read_file(path: &Path) -> Result<Vec<u8>, SigningError> {
    std::fs::read(path).map_err(|source| SigningError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Every file of a plugin folder except its signature, by relative path (with `/`), with its bytes.
pub fn folder_files(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, SigningError> {
    let mut files = BTreeMap::new();
    let mut pending: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|source| SigningError::Io {
            path: folder.display().to_string(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| SigningError::Io {
                path: folder.display().to_string(),
                source,
            })?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|source| SigningError::Io {
                path: path.display().to_string(),
                source,
            })?;
            if kind.is_symlink() {
                return Err(SigningError::Symlink {
                    path: path.display().to_string(),
                });
            }
            if kind.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(dir)
                .ok()
                .and_then(|relative| {
                    relative
                        .components()
                        .map(|part| part.as_os_str().to_str())
                        .collect::<Option<Vec<_>>>()
                })
                .map(|parts| parts.join("/"))
                .ok_or_else(|| SigningError::Name {
                    path: path.display().to_string(),
                })?;
            if relative == SIGNATURE_FILE {
                continue;
            }
            let bytes = read_file(&path)?;
            files.insert(relative, bytes);
        }
    }
    Ok(files)
}

/// The text that is signed: a header, then `SHA256  PATH` for each file, sorted by path.
pub fn digest_text(files: &BTreeMap<String, Vec<u8>>) -> String {
    let mut text = String::from(DIGEST_HEADER);
    text.push('\n');
    for (path, bytes) in files {
        text.push_str(&hex::encode(Sha256::digest(bytes)));
        text.push_str("  ");
        text.push_str(path);
        text.push('\n');
    }
    text
}

/// SHA-256 of `bytes`, as hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Signs the folder's digest and writes `plugin.sig`. Returns the signature as hex.
pub fn sign_folder(dir: &Path, key: &SigningKey) -> Result<String, SigningError> {
    let files = folder_files(dir)?;
    let signature = key.sign(digest_text(&files).as_bytes());
    let text = hex::encode(signature.to_bytes());
    let path = dir.join(SIGNATURE_FILE);
    std::fs::write(&path, format!("{text}\n")).map_err(|source| SigningError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(text)
}

/// Parses the contents of a signature file.
pub fn parse_signature(text: &[u8], path: &Path) -> Result<Signature, SigningError> {
    let error = || SigningError::SignatureFormat {
        path: path.display().to_string(),
    };
    let text = std::str::from_utf8(text).map_err(|_| error())?;
    let bytes = hex::decode(text.trim()).map_err(|_| error())?;
    let bytes = <[u8; 64]>::try_from(bytes.as_slice()).map_err(|_| error())?;
    Ok(Signature::from_bytes(&bytes))
}

/// The first trusted key under which `signature` verifies `digest`, if any.
pub fn trusted_signer<'a>(
    digest: &str,
    signature: &Signature,
    trusted: &'a [PublicKey],
) -> Option<&'a PublicKey> {
    trusted.iter().find(|key| {
        key.0.verify(digest.as_bytes(), signature).is_ok()
            && key.0.verify_strict(digest.as_bytes(), signature).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_raw_key_files_mean_the_same_key() {
        let seed = [7u8; 32];
        let from_raw = parse_secret_key(&seed).expect("raw");
        let from_hex =
            parse_secret_key(format!("{}\n", hex::encode(seed)).as_bytes()).expect("hex");
        assert_eq!(from_raw.to_bytes(), from_hex.to_bytes());
        assert!(matches!(
            parse_secret_key(b"abcd"),
            Err(SigningError::KeyFormat)
        ));
    }

    #[test]
    fn a_signature_covers_every_file_in_the_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("plugin.toml"), "name = \"x\"\n").expect("write");
        std::fs::create_dir(dir.path().join("content")).expect("mkdir");
        std::fs::write(dir.path().join("content/a.md"), "a").expect("write");
        let key = parse_secret_key(&[9u8; 32]).expect("key");
        let trusted = [PublicKey(key.verifying_key())];
        sign_folder(dir.path(), &key).expect("sign");
        let check = || {
            let files = folder_files(dir.path()).expect("files");
            let signature = parse_signature(
                &read_file(&dir.path().join(SIGNATURE_FILE)).expect("sig"),
                dir.path(),
            )
            .expect("parse");
            trusted_signer(&digest_text(&files), &signature, &trusted).is_some()
        };
        assert!(check());
        std::fs::write(dir.path().join("content/b.md"), "b").expect("write");
        assert!(!check(), "an added file breaks the signature");
        std::fs::remove_file(dir.path().join("content/b.md")).expect("rm");
        assert!(check());
        std::fs::write(dir.path().join("content/a.md"), "A").expect("write");
        assert!(!check(), "a changed file breaks the signature");
    }
}
