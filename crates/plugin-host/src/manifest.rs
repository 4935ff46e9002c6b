//! `plugin.toml`: what a plugin is and what it declares it provides. It is covered by the
//! plugin's signature, so a force signs exactly the capabilities it accepts.

use std::collections::BTreeSet;

use plugin_sdk::{Capability, Registration};
use serde::{Deserialize, Serialize};

/// The name of the manifest file in a plugin folder.
pub const MANIFEST_FILE: &str = "plugin.toml";

/// A plugin's manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The plugin's name: lowercase letters, digits and `-`. The host configuration names it.
    pub name: String,
    pub version: String,
    /// The force code whose cases the plugin's rules and validators apply to.
    pub force: String,
    #[serde(default)]
    pub description: String,
    /// The ABI major version a native plugin was built for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abi: Option<u32>,
    /// The native library, relative to the plugin folder. Absent for content-only plugins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
    /// SHA-256 (hex) of the library file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// What the plugin provides.
    #[serde(default)]
    pub capabilities: Vec<Capability>,
    /// The rule ids the plugin registers.
    #[serde(default)]
    pub rules: Vec<String>,
    /// The national timescales the plugin's policy tightens.
    #[serde(default)]
    pub policy: Vec<String>,
    #[serde(default)]
    pub import_formats: Vec<String>,
    #[serde(default)]
    pub export_formats: Vec<String>,
    /// The event kinds the plugin's rules read (ABI 2): the host sends them only events of these
    /// kinds, so a force signs what its plugin sees.
    #[serde(default)]
    pub reads: Vec<String>,
    /// The event kinds whose fields the plugin's rules read as well (ABI 2).
    #[serde(default)]
    pub reads_fields: Vec<String>,
    /// The folder of guidance pages and contacts (Markdown with front matter), relative to the
    /// plugin folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

impl Manifest {
    /// Parses and checks a manifest.
    pub fn parse(text: &str) -> Result<Self, String> {
        let manifest: Manifest = toml::from_str(text).map_err(|error| error.to_string())?;
        let valid_name = |name: &str| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if !valid_name(&manifest.name) {
            return Err(format!(
                "`name`: `{}` is not a plugin name (lowercase letters, digits and `-`)",
                manifest.name
            ));
        }
        if !valid_name(&manifest.force) {
            return Err(format!("`force`: `{}` is not a force code", manifest.force));
        }
        let native = manifest
            .capabilities
            .iter()
            .any(|capability| is_native(*capability));
        match (&manifest.library, native) {
            (None, true) => {
                return Err(
                    "`capabilities`: rules, validate, import and export need a native `library`"
                        .into(),
                );
            }
            (Some(_), _) if manifest.sha256.is_none() => {
                return Err("`sha256`: a native plugin must give its library's SHA-256".into());
            }
            (Some(_), _) if manifest.abi.is_none() => {
                return Err(
                    "`abi`: a native plugin must give the ABI version it was built for".into(),
                );
            }
            _ => {}
        }
        if manifest.capabilities.contains(&Capability::Content) && manifest.content.is_none() {
            return Err("`content`: the content capability needs a content folder".into());
        }
        for (key, kinds) in [
            ("reads", &manifest.reads),
            ("reads_fields", &manifest.reads_fields),
        ] {
            if let Err(name) = plugin_sdk::Kind::set_of(kinds.iter().map(String::as_str)) {
                return Err(format!("`{key}`: `{name}` is not an event kind"));
            }
        }
        if let Some(library) = &manifest.library {
            if library.contains('/') || library.contains('\\') || library.starts_with('.') {
                return Err(format!(
                    "`library`: `{library}` must be a file name in the plugin folder"
                ));
            }
        }
        Ok(manifest)
    }

    /// True when the plugin has native code.
    pub fn is_native(&self) -> bool {
        self.library.is_some()
    }

    /// Differences between what the manifest declares and what the plugin registered, one line
    /// each; empty when they match exactly.
    pub fn mismatches(&self, registration: &Registration) -> Vec<String> {
        let mut problems = Vec::new();
        if registration.name != self.name {
            problems.push(format!(
                "registers as `{}` but its manifest is `{}`",
                registration.name, self.name
            ));
        }
        let declared: BTreeSet<&str> = self
            .capabilities
            .iter()
            .filter(|capability| is_native(**capability))
            .map(|capability| capability.as_str())
            .collect();
        let registered: BTreeSet<&str> = registration
            .capabilities
            .iter()
            .map(|capability| capability.as_str())
            .collect();
        compare("capabilities", &declared, &registered, &mut problems);
        let declared: BTreeSet<&str> = self.rules.iter().map(String::as_str).collect();
        let registered: BTreeSet<&str> = registration.rules.iter().map(|r| r.id.as_str()).collect();
        compare("rules", &declared, &registered, &mut problems);
        let declared: BTreeSet<&str> = self.policy.iter().map(String::as_str).collect();
        let registered: BTreeSet<&str> = registration
            .policy
            .iter()
            .map(|p| p.timescale.as_str())
            .collect();
        compare("policy", &declared, &registered, &mut problems);
        let declared: BTreeSet<&str> = self.import_formats.iter().map(String::as_str).collect();
        let registered: BTreeSet<&str> = registration
            .import_formats
            .iter()
            .map(String::as_str)
            .collect();
        compare("import_formats", &declared, &registered, &mut problems);
        let declared: BTreeSet<&str> = self.export_formats.iter().map(String::as_str).collect();
        let registered: BTreeSet<&str> = registration
            .export_formats
            .iter()
            .map(|format| format.name.as_str())
            .collect();
        compare("export_formats", &declared, &registered, &mut problems);
        let declared: BTreeSet<&str> = self.reads.iter().map(String::as_str).collect();
        let registered: BTreeSet<&str> = registration.reads.iter().map(String::as_str).collect();
        compare("reads", &declared, &registered, &mut problems);
        let declared: BTreeSet<&str> = self.reads_fields.iter().map(String::as_str).collect();
        let registered: BTreeSet<&str> = registration
            .reads_fields
            .iter()
            .map(String::as_str)
            .collect();
        compare("reads_fields", &declared, &registered, &mut problems);
        let needs = |capability: Capability, has: bool, what: &str, problems: &mut Vec<String>| {
            if registration.capabilities.contains(&capability) != has {
                problems.push(format!(
                    "capability `{}` and its {what} must come together",
                    capability.as_str()
                ));
            }
        };
        needs(
            Capability::Rules,
            !registration.rules.is_empty() || !registration.policy.is_empty(),
            "rules or policy",
            &mut problems,
        );
        needs(
            Capability::Import,
            !registration.import_formats.is_empty(),
            "import formats",
            &mut problems,
        );
        needs(
            Capability::Export,
            !registration.export_formats.is_empty(),
            "export formats",
            &mut problems,
        );
        problems
    }
}

/// Capabilities provided by native code (the others are declared in the manifest only).
pub fn is_native(capability: Capability) -> bool {
    matches!(
        capability,
        Capability::Rules | Capability::Validate | Capability::Import | Capability::Export
    )
}

fn compare(
    what: &str,
    declared: &BTreeSet<&str>,
    registered: &BTreeSet<&str>,
    problems: &mut Vec<String>,
) {
    let extra: Vec<&str> = registered.difference(declared).copied().collect();
    let missing: Vec<&str> = declared.difference(registered).copied().collect();
    if !extra.is_empty() {
        problems.push(format!(
            "registers {what} its manifest does not declare: {}",
            extra.join(", ")
        ));
    }
    if !missing.is_empty() {
        problems.push(format!(
            "does not register {what} its manifest declares: {}",
            missing.join(", ")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_capabilities_need_a_library_with_hash_and_abi() {
        let error = Manifest::parse(
            "name = \"a\"\nversion = \"1\"\nforce = \"a\"\ncapabilities = [\"rules\"]\n",
        )
        .expect_err("no library");
        assert!(error.contains("library"), "{error}");
        let error = Manifest::parse(
            "name = \"a\"\nversion = \"1\"\nforce = \"a\"\nlibrary = \"liba.so\"\nabi = 1\ncapabilities = [\"rules\"]\n",
        )
        .expect_err("no hash");
        assert!(error.contains("sha256"), "{error}");
        let manifest = Manifest::parse(
            "name = \"a\"\nversion = \"1\"\nforce = \"a\"\ncontent = \"content\"\ncapabilities = [\"content\"]\n",
        )
        .expect("content-only");
        assert!(!manifest.is_native());
    }

    #[test]
    fn a_registration_must_match_the_manifest() {
        let manifest = Manifest::parse(
            "name = \"a\"\nversion = \"1\"\nforce = \"a\"\nlibrary = \"liba.so\"\nabi = 1\nsha256 = \"00\"\ncapabilities = [\"validate\"]\n",
        )
        .expect("valid");
        let mut registration = Registration {
            name: "a".into(),
            version: "1".into(),
            capabilities: vec![Capability::Validate],
            ..Registration::default()
        };
        assert!(manifest.mismatches(&registration).is_empty());
        registration.capabilities.push(Capability::Import);
        registration.import_formats.push("csv".into());
        let problems = manifest.mismatches(&registration);
        assert!(
            problems
                .iter()
                .any(|p| p.contains("capabilities its manifest does not declare: import")),
            "{problems:?}"
        );
    }
}
