//! ABI 1: every call is UTF-8 JSON, one case per `rules` call. Plugins built before ABI 2 export
//! this table; a host still loads them (slower: a case is serialised to JSON for every call).

use crate::{CallFn, FreeFn, InitFn, ManifestFn};

/// The ABI major version of this table.
pub const ABI_VERSION: u32 = 1;

/// The exported entry symbol, NUL-terminated, with the ABI major version in its name so that a
/// library built for another major version is refused before any of its code runs.
pub const ENTRY_SYMBOL: &[u8] = b"rasso_plugin_entry_v1\0";

/// The entry symbol's name without the terminating NUL, for messages.
pub const ENTRY_SYMBOL_NAME: &str = "rasso_plugin_entry_v1";

/// The type of the entry symbol: returns the plugin's table, valid for the life of the process.
pub type EntryFn = unsafe extern "C" fn() -> *const PluginTable;

/// The table an ABI 1 plugin's entry symbol returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PluginTable {
    /// Must equal [`ABI_VERSION`].
    pub abi_version: u32,
    /// `size_of::<PluginTable>()` as the plugin was built; the host reads no field beyond it.
    pub size: usize,
    /// The plugin's registration (JSON).
    pub manifest: ManifestFn,
    /// Initialisation with the host's callbacks and the plugin's configuration (JSON).
    pub init: InitFn,
    /// `rules`, `validate`, `import` and `export`, JSON in and out.
    pub call: CallFn,
    /// Frees a buffer this plugin returned.
    pub free: FreeFn,
}
