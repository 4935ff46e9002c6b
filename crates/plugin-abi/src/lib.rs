//! The C ABI between rasso (the host) and a native force plugin.
//!
//! A plugin is a `cdylib` that exports one entry function whose name carries the ABI major version
//! ([`v2::ENTRY_SYMBOL`], or [`v1::ENTRY_SYMBOL`] for plugins built before ABI 2). It returns a
//! pointer to a static table whose first two fields are the ABI version and the table's size, so a
//! host can check both before it touches anything else.
//!
//! - **ABI 1** carries every call as UTF-8 JSON, one case per `rules` call.
//! - **ABI 2** keeps ABI 1's JSON calls for `manifest`, `init`, `validate`, `import` and `export`,
//!   and adds [`v2::PluginTable::evaluate`]: many cases per call in a flat, read-only, columnar
//!   form ([`v2::CaseBatch`]), with findings answered in a compact binary form (see [`v2`]).
//!
//! Ownership: a buffer is freed by the side that allocated it. Inputs the host passes are borrowed
//! for the duration of the call only. Outputs the plugin returns in a [`Buffer`] are the plugin's,
//! and the host hands them back through the table's `free` once it has copied them.
//!
//! Within one major version a table only grows: new function pointers are appended, and a host
//! reads a field only when `size` says the plugin's table has it.

#![no_std]
#![allow(unsafe_code)]

pub mod v1;
pub mod v2;

/// The ABI major version new plugins are built for. A host also loads [`v1::ABI_VERSION`].
pub const ABI_VERSION: u32 = v2::ABI_VERSION;

/// Result of a call across the boundary.
pub type Status = u32;

/// The call succeeded; the output buffer holds the result.
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

/// The version of [`HostCallbacks`]. It is the callbacks' own version, not the ABI's: both ABI 1
/// and ABI 2 plugins receive version 1 (an ABI 1 plugin ignores callbacks of another version).
pub const HOST_CALLBACKS_VERSION: u32 = 1;

/// A byte buffer allocated by the plugin and returned to the host. The host copies it and gives it
/// back with the table's `free`; it never frees it itself.
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

/// What the host offers the plugin. Like the plugin table, it starts with its version
/// ([`HOST_CALLBACKS_VERSION`]) and size.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HostCallbacks {
    pub abi_version: u32,
    pub size: usize,
    /// Writes one log line through the host's logging. `message` is UTF-8, borrowed for the call.
    /// Plugins must not put personal data in logs.
    pub log: extern "C" fn(level: u32, message: *const u8, len: usize),
}

/// The signature of `manifest`: writes the plugin's registration (JSON: name, version and what it
/// provides) to `out`. The host calls it after `init` and checks it against the signed manifest.
pub type ManifestFn = unsafe extern "C" fn(out: *mut Buffer) -> Status;

/// The signature of `init`: initialises the plugin with the host's callbacks and its configuration
/// (JSON, borrowed). On failure `out` receives `{"message": "..."}`.
pub type InitFn = unsafe extern "C" fn(
    host: *const HostCallbacks,
    config: *const u8,
    config_len: usize,
    out: *mut Buffer,
) -> Status;

/// The signature of `call`: calls `method` (UTF-8, borrowed) with `input` (JSON, borrowed); `out`
/// receives the result (JSON).
pub type CallFn = unsafe extern "C" fn(
    method: *const u8,
    method_len: usize,
    input: *const u8,
    input_len: usize,
    out: *mut Buffer,
) -> Status;

/// The signature of `free`: frees a buffer this plugin returned.
pub type FreeFn = unsafe extern "C" fn(buffer: Buffer);

/// The method names of the tables' `call`.
pub mod method {
    /// Case snapshot -> findings (ABI 1 only; ABI 2 has `evaluate`).
    pub const RULES: &str = "rules";
    /// Event -> field errors.
    pub const VALIDATE: &str = "validate";
    /// A records-system export -> interchange events.
    pub const IMPORT: &str = "import";
    /// A report -> bytes and a media type.
    pub const EXPORT: &str = "export";
    /// The name ABI 2's batched `evaluate` goes by in messages.
    pub const EVALUATE: &str = "evaluate";
}
