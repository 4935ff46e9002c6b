//! The C ABI between rasso (the host) and a native force plugin.
//!
//! A plugin is a `cdylib` that exports one function, [`ENTRY_SYMBOL`], of type [`EntryFn`]. It
//! returns a pointer to a static [`PluginTable`] whose first two fields are the ABI version and the
//! table's size, so a host can check both before it touches anything else. Every payload crossing
//! the boundary is UTF-8 JSON: the plugin may be built with any compiler version, and the protocol
//! could be carried by another transport (a child process, WebAssembly) unchanged.
//!
//! Ownership: a buffer is freed by the side that allocated it. Inputs the host passes are borrowed
//! for the duration of the call only. Outputs the plugin returns in a [`Buffer`] are the plugin's,
//! and the host hands them back through [`PluginTable::free`] once it has copied them.
//!
//! Within one major version the table only grows: new function pointers are appended, and a host
//! reads a field only when `size` says the plugin's table has it.

#![no_std]
#![allow(unsafe_code)]

/// The ABI major version this crate describes. A host refuses a plugin whose table says otherwise.
pub const ABI_VERSION: u32 = 1;

/// The exported entry symbol, NUL-terminated, with the ABI major version in its name so that a
/// library built for another major version is refused before any of its code runs.
pub const ENTRY_SYMBOL: &[u8] = b"rasso_plugin_entry_v1\0";

/// The entry symbol's name without the terminating NUL, for messages.
pub const ENTRY_SYMBOL_NAME: &str = "rasso_plugin_entry_v1";

/// The type of the entry symbol: returns the plugin's table, valid for the life of the process.
pub type EntryFn = unsafe extern "C" fn() -> *const PluginTable;

/// Result of a call across the boundary.
pub type Status = u32;

/// The call succeeded; the output buffer holds the JSON result.
pub const STATUS_OK: Status = 0;
/// The plugin refused the input or could not do the work; the output buffer holds
/// `{"message": "..."}`. The plugin stays enabled.
pub const STATUS_ERROR: Status = 1;
/// The plugin panicked; the panic was caught at the boundary. The output buffer holds
/// `{"message": "..."}`. A host disables a plugin that panics.
pub const STATUS_PANIC: Status = 2;
/// The plugin does not know the method it was asked for.
pub const STATUS_UNKNOWN_METHOD: Status = 3;
/// The plugin was called before `init` succeeded.
pub const STATUS_NOT_INITIALISED: Status = 4;

/// Log levels for [`HostCallbacks::log`].
pub const LOG_ERROR: u32 = 1;
pub const LOG_WARN: u32 = 2;
pub const LOG_INFO: u32 = 3;
pub const LOG_DEBUG: u32 = 4;

/// A byte buffer allocated by the plugin and returned to the host. The host copies it and gives it
/// back with [`PluginTable::free`]; it never frees it itself.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Buffer {
    pub ptr: *mut u8,
    pub len: usize,
}

impl Buffer {
    /// A buffer holding nothing; freeing it is a no-op.
    pub const EMPTY: Buffer = Buffer {
        ptr: core::ptr::null_mut(),
        len: 0,
    };
}

/// What the host offers the plugin. Like the plugin table, it starts with its version and size.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HostCallbacks {
    pub abi_version: u32,
    pub size: usize,
    /// Writes one log line through the host's logging. `message` is UTF-8, borrowed for the call.
    /// Plugins must not put personal data in logs.
    pub log: extern "C" fn(level: u32, message: *const u8, len: usize),
}

/// The table a plugin's entry symbol returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PluginTable {
    /// Must equal the host's [`ABI_VERSION`].
    pub abi_version: u32,
    /// `size_of::<PluginTable>()` as the plugin was built; the host reads no field beyond it.
    pub size: usize,
    /// Writes the plugin's registration (JSON: name, version and what it provides) to `out`. The
    /// host calls it after `init` and checks it against the plugin's signed manifest.
    pub manifest: unsafe extern "C" fn(out: *mut Buffer) -> Status,
    /// Initialises the plugin with the host's callbacks and its configuration (JSON, borrowed).
    /// On failure `out` receives `{"message": "..."}`.
    pub init: unsafe extern "C" fn(
        host: *const HostCallbacks,
        config: *const u8,
        config_len: usize,
        out: *mut Buffer,
    ) -> Status,
    /// Calls `method` (UTF-8, borrowed) with `input` (JSON, borrowed); `out` receives the result.
    pub call: unsafe extern "C" fn(
        method: *const u8,
        method_len: usize,
        input: *const u8,
        input_len: usize,
        out: *mut Buffer,
    ) -> Status,
    /// Frees a buffer this plugin returned.
    pub free: unsafe extern "C" fn(buffer: Buffer),
}

/// The method names of [`PluginTable::call`].
pub mod method {
    /// Case snapshot -> findings.
    pub const RULES: &str = "rules";
    /// Event -> field errors.
    pub const VALIDATE: &str = "validate";
    /// A records-system export -> interchange events.
    pub const IMPORT: &str = "import";
    /// A report -> bytes and a media type.
    pub const EXPORT: &str = "export";
}
