//! The host's plugin configuration: which plugins to load, from where, which keys are trusted.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::signing::{PublicKey, parse_public_key};

/// The default time limit for one call into a plugin.
pub const DEFAULT_TIMEOUT_MS: u64 = 2_000;

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// The plugins configuration file, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    allow_unsigned: bool,
    #[serde(default)]
    trusted_keys: Vec<String>,
    #[serde(default)]
    plugin: Vec<PluginEntryFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginEntryFile {
    name: String,
    path: PathBuf,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    identity: bool,
    #[serde(default)]
    config: Option<toml::Table>,
}

fn yes() -> bool {
    true
}

/// The plugins configuration: only plugins named here are ever loaded.
#[derive(Debug, Clone, Default)]
pub struct HostConfig {
    /// Development only: load plugins that carry no signature (a bad signature is always refused).
    pub allow_unsigned: bool,
    /// The ed25519 public keys whose signatures the force trusts.
    pub trusted_keys: Vec<PublicKey>,
    pub plugins: Vec<PluginEntry>,
}

/// One plugin the force has configured.
#[derive(Debug, Clone)]
pub struct PluginEntry {
    /// Must equal the `name` in the plugin's `plugin.toml`.
    pub name: String,
    /// The plugin's folder (holding `plugin.toml`).
    pub path: PathBuf,
    /// A plugin that is configured but not enabled is listed and never loaded.
    pub enabled: bool,
    /// The time limit for one call; a plugin past it is disabled.
    pub timeout: Duration,
    /// The force allows this plugin to see victim identity (it must also declare `identity`).
    pub identity: bool,
    /// The plugin's own configuration, passed to its `init` as JSON.
    pub config: serde_json::Value,
}

impl PluginEntry {
    /// An enabled entry with the default time limit and no configuration.
    pub fn new(name: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        PluginEntry {
            name: name.into(),
            path: path.into(),
            enabled: true,
            timeout: Duration::from_millis(DEFAULT_TIMEOUT_MS),
            identity: false,
            config: serde_json::Value::Null,
        }
    }
}

impl HostConfig {
    /// Reads a configuration file. Relative plugin paths are taken from the file's folder.
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base).map_err(|message| ConfigError::Invalid {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parses a configuration; relative plugin paths are taken from `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Self, String> {
        let file: ConfigFile = toml::from_str(text).map_err(|error| error.to_string())?;
        let mut trusted_keys = Vec::new();
        for (position, key) in file.trusted_keys.iter().enumerate() {
            trusted_keys.push(
                parse_public_key(key.as_bytes())
                    .map_err(|error| format!("trusted_keys[{position}]: {error}"))?,
            );
        }
        let mut plugins: Vec<PluginEntry> = Vec::new();
        for (position, entry) in file.plugin.into_iter().enumerate() {
            if plugins.iter().any(|known| known.name == entry.name) {
                return Err(format!(
                    "plugin[{position}]: plugin `{}` is configured twice",
                    entry.name
                ));
            }
            let config = match entry.config {
                Some(table) => serde_json::to_value(table)
                    .map_err(|error| format!("plugin[{position}].config: {error}"))?,
                None => serde_json::Value::Null,
            };
            let timeout_ms = entry.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
            if timeout_ms == 0 {
                return Err(format!(
                    "plugin[{position}].timeout_ms: must be at least 1 millisecond"
                ));
            }
            plugins.push(PluginEntry {
                name: entry.name,
                path: if entry.path.is_absolute() {
                    entry.path
                } else {
                    base.join(entry.path)
                },
                enabled: entry.enabled,
                timeout: Duration::from_millis(timeout_ms),
                identity: entry.identity,
                config,
            });
        }
        Ok(HostConfig {
            allow_unsigned: file.allow_unsigned,
            trusted_keys,
            plugins,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_taken_from_the_configuration_folder() {
        let config = HostConfig::parse(
            "[[plugin]]\nname = \"a\"\npath = \"plugins/a\"\ntimeout_ms = 50\n[plugin.config]\nx = 1\n",
            Path::new("/etc/rasso"),
        )
        .expect("valid");
        assert_eq!(config.plugins[0].path, Path::new("/etc/rasso/plugins/a"));
        assert_eq!(config.plugins[0].timeout, Duration::from_millis(50));
        assert_eq!(config.plugins[0].config, serde_json::json!({"x": 1}));
        assert!(!config.allow_unsigned);
    }

    #[test]
    fn unknown_fields_and_duplicates_are_refused() {
        let error =
            HostConfig::parse("allow_unsigend = true\n", Path::new(".")).expect_err("typo refused");
        assert!(error.contains("allow_unsigend"), "{error}");
        let error = HostConfig::parse(
            "[[plugin]]\nname = \"a\"\npath = \"x\"\n[[plugin]]\nname = \"a\"\npath = \"y\"\n",
            Path::new("."),
        )
        .expect_err("duplicate refused");
        assert!(error.contains("configured twice"), "{error}");
    }
}
