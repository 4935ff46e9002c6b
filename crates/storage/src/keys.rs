//! Key material and sealing: XChaCha20-Poly1305 data keys wrapped by a master key, and the key
//! files (master key and audit signing key) with their defaults for a new data directory.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::audit::AuditSigner;
use crate::error::{StoreError, StoreResult};

/// The sealed field holding a person's identity.
pub(crate) const IDENTITY_FIELD: &str = "identity";

/// Length of an XChaCha20-Poly1305 nonce.
pub const NONCE_LEN: usize = 24;

/// 32 random bytes from the operating system's generator (through the thread-local CSPRNG).
pub fn random_key() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

fn random_nonce() -> [u8; NONCE_LEN] {
    let mut bytes = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// The key that wraps the data keys. Kept outside the database.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey(id {})", self.id())
    }
}

impl MasterKey {
    /// A master key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterKey(bytes)
    }

    /// A new random master key.
    pub fn generate() -> Self {
        MasterKey(random_key())
    }

    /// Parses 32 bytes written as hex (64 digits) or base64.
    pub fn parse(text: &str) -> StoreResult<Self> {
        parse_key_text(text, "master key").map(MasterKey)
    }

    /// The key as 64 hex digits (what a key file holds).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A short public fingerprint, stored beside wrapped keys to say which master key wrapped them.
    pub fn id(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"rasso-master-key-id\n");
        hasher.update(self.0);
        hex::encode(&hasher.finalize()[..8])
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0).into())
    }

    /// Wraps a data key; the wrapped form is bound to `key_id`.
    pub fn wrap(&self, key_id: i64, data_key: &DataKey) -> StoreResult<([u8; NONCE_LEN], Vec<u8>)> {
        let nonce = random_nonce();
        let aad = format!("rasso-data-key-v1\0{key_id}");
        let wrapped = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &data_key.0,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Key("cannot wrap a data key".into()))?;
        Ok((nonce, wrapped))
    }

    /// Unwraps data key `key_id`.
    pub fn unwrap_key(&self, key_id: i64, nonce: &[u8], wrapped: &[u8]) -> StoreResult<DataKey> {
        if nonce.len() != NONCE_LEN {
            return Err(StoreError::Corrupt(format!(
                "data key {key_id}: nonce of {} bytes",
                nonce.len()
            )));
        }
        let aad = format!("rasso-data-key-v1\0{key_id}");
        let bytes = self
            .cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: wrapped,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| {
                StoreError::Key(format!(
                    "the master key (id {}) does not open data key {key_id}: wrong key file or key?",
                    self.id()
                ))
            })?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| StoreError::Corrupt(format!("data key {key_id} is not 32 bytes")))?;
        Ok(DataKey(bytes))
    }
}

/// A key that encrypts sealed fields. Stored only wrapped.
#[derive(Clone)]
pub struct DataKey([u8; 32]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<secret>)")
    }
}

impl DataKey {
    /// A new random data key.
    pub fn generate() -> Self {
        DataKey(random_key())
    }

    /// The linkage key derived from this data key (see `docs/linkage.md`).
    pub(crate) fn linkage_key(&self) -> linkage::LinkageKey {
        linkage::LinkageKey::derive(&self.0)
    }

    /// Encrypts `plaintext` bound to `binding` (see [`SealBinding`]).
    pub fn seal(
        &self,
        binding: &SealBinding<'_>,
        plaintext: &[u8],
    ) -> StoreResult<([u8; NONCE_LEN], Vec<u8>)> {
        let nonce = random_nonce();
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &binding.associated_data(),
                },
            )
            .map_err(|_| StoreError::Key("cannot seal a field".into()))?;
        Ok((nonce, ciphertext))
    }

    /// Decrypts a sealed field; fails when the ciphertext was made for another binding.
    pub fn open(
        &self,
        binding: &SealBinding<'_>,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> StoreResult<Vec<u8>> {
        if nonce.len() != NONCE_LEN {
            return Err(StoreError::Unseal(binding.describe()));
        }
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &binding.associated_data(),
                },
            )
            .map_err(|_| StoreError::Unseal(binding.describe()))
    }
}

/// What a sealed value belongs to: its case, person and field. The associated data of the AEAD,
/// so a ciphertext copied to another row does not decrypt.
#[derive(Debug, Clone, Copy)]
pub struct SealBinding<'a> {
    pub force: &'a str,
    pub reference: &'a str,
    pub person: &'a str,
    pub field: &'a str,
    pub key_id: i64,
}

impl SealBinding<'_> {
    fn associated_data(&self) -> Vec<u8> {
        format!(
            "rasso-sealed-v1\0{}\0{}\0{}\0{}\0{}",
            self.force, self.reference, self.person, self.field, self.key_id
        )
        .into_bytes()
    }

    /// Names the sealed value without revealing it (for error messages).
    pub fn describe(&self) -> String {
        format!(
            "`{}` of person {} in case {}/{}",
            self.field, self.person, self.force, self.reference
        )
    }
}

fn parse_key_text(text: &str, what: &str) -> StoreResult<[u8; 32]> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(text).map_err(|_| StoreError::Key(format!("the {what} is not valid hex")))?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| {
                StoreError::Key(format!(
                    "the {what} must be 32 bytes as 64 hex digits or base64"
                ))
            })?
    };
    bytes.try_into().map_err(|_| {
        StoreError::Key(format!(
            "the {what} must be 32 bytes as 64 hex digits or base64"
        ))
    })
}

/// Where a key came from, so that commands can say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    /// Read from this file.
    File(PathBuf),
    /// Given in this environment variable.
    Environment(&'static str),
    /// Generated now and written to this file (a new data directory with no key given).
    Generated(PathBuf),
}

/// Writes `text` to a new file readable only by its owner, durably (temporary file, fsync, rename).
pub fn write_secret_file(path: &Path, text: &str) -> StoreResult<()> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
        && !parent.exists()
    {
        fs::create_dir_all(parent)
            .map_err(|e| StoreError::io(format!("cannot create {}", parent.display()), e))?;
        // A key directory made here is the owner's alone.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(parent, fs::Permissions::from_mode(0o700))
                .map_err(|e| StoreError::io(format!("cannot protect {}", parent.display()), e))?;
        }
    }
    let temporary = path.with_extension("tmp");
    {
        let mut file = crate::owner_only::create(&temporary)?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.sync_all())
            .map_err(|e| StoreError::io(format!("cannot write {}", temporary.display()), e))?;
    }
    fs::rename(&temporary, path)
        .map_err(|e| StoreError::io(format!("cannot create {}", path.display()), e))?;
    if let Some(parent) = path.parent()
        && let Ok(dir) = fs::File::open(parent)
    {
        // Make the rename durable; failure to sync a directory is not fatal on every platform.
        let _ = dir.sync_all();
    }
    Ok(())
}

fn read_key_file(path: &Path, what: &str) -> StoreResult<[u8; 32]> {
    let text = fs::read_to_string(path).map_err(|e| {
        StoreError::io(format!("cannot read the {what} file {}", path.display()), e)
    })?;
    parse_key_text(&text, what).map_err(|error| match error {
        StoreError::Key(message) => StoreError::Key(format!("{}: {message}", path.display())),
        other => other,
    })
}

/// How to find a key: an explicit file, an environment value, or a default file that is generated
/// when missing and `generate` allows it.
#[derive(Debug, Clone)]
pub struct KeySource {
    pub file: Option<PathBuf>,
    pub value: Option<String>,
    /// The variable `value` came from, for messages.
    pub value_name: &'static str,
    pub default_file: PathBuf,
    pub generate: bool,
}

impl KeySource {
    fn resolve(&self, what: &str) -> StoreResult<([u8; 32], KeyOrigin)> {
        if let Some(file) = &self.file {
            return Ok((read_key_file(file, what)?, KeyOrigin::File(file.clone())));
        }
        if let Some(value) = &self.value {
            let bytes = parse_key_text(value, what).map_err(|error| match error {
                StoreError::Key(message) => {
                    StoreError::Key(format!("{}: {message}", self.value_name))
                }
                other => other,
            })?;
            return Ok((bytes, KeyOrigin::Environment(self.value_name)));
        }
        if self.default_file.exists() {
            return Ok((
                read_key_file(&self.default_file, what)?,
                KeyOrigin::File(self.default_file.clone()),
            ));
        }
        if !self.generate {
            return Err(StoreError::Key(format!(
                "no {what} given and {} does not exist",
                self.default_file.display()
            )));
        }
        let bytes = random_key();
        write_secret_file(&self.default_file, &hex::encode(bytes))?;
        Ok((bytes, KeyOrigin::Generated(self.default_file.clone())))
    }

    /// The master key.
    pub fn master_key(&self) -> StoreResult<(MasterKey, KeyOrigin)> {
        let (bytes, origin) = self.resolve("master key")?;
        Ok((MasterKey(bytes), origin))
    }

    /// The audit signing key (an ed25519 seed).
    pub fn audit_signer(&self) -> StoreResult<(AuditSigner, KeyOrigin)> {
        let (bytes, origin) = self.resolve("audit signing key")?;
        Ok((AuditSigner::from_seed(bytes), origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_own_binding() {
        let key = DataKey::generate();
        let binding = SealBinding {
            force: "exampleshire",
            reference: "EX-1",
            person: "V1",
            field: "identity",
            key_id: 1,
        };
        let (nonce, sealed) = key.seal(&binding, b"secret").expect("seal");
        assert_eq!(
            key.open(&binding, &nonce, &sealed).expect("open"),
            b"secret"
        );
        let other_person = SealBinding {
            person: "V2",
            ..binding
        };
        assert!(key.open(&other_person, &nonce, &sealed).is_err());
        let other_case = SealBinding {
            reference: "EX-2",
            ..binding
        };
        assert!(key.open(&other_case, &nonce, &sealed).is_err());
    }

    #[test]
    fn keys_parse_from_hex_and_base64_and_wrap_round_trips() {
        let master = MasterKey::generate();
        let again = MasterKey::parse(&master.to_hex()).expect("hex");
        assert_eq!(master.id(), again.id());
        let b64 = base64::engine::general_purpose::STANDARD.encode(master.0);
        assert_eq!(MasterKey::parse(&b64).expect("base64").id(), master.id());
        assert!(MasterKey::parse("too short").is_err());
        let data = DataKey::generate();
        let (nonce, wrapped) = master.wrap(3, &data).expect("wrap");
        assert_eq!(
            master.unwrap_key(3, &nonce, &wrapped).expect("unwrap").0,
            data.0
        );
        assert!(master.unwrap_key(4, &nonce, &wrapped).is_err());
        assert!(
            MasterKey::generate()
                .unwrap_key(3, &nonce, &wrapped)
                .is_err()
        );
    }
}
