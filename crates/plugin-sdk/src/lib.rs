//! Write a rasso force plugin in ordinary safe Rust.
//!
//! Implement [`Plugin`] for a type and name it in [`declare_plugin!`]. The macro exports the entry
//! symbol and the C table of ABI 2; this crate turns every call into a call of one of your
//! methods and catches any panic at the boundary (the host then disables the plugin and reports
//! it). Rules read cases through the typed, read-only [`Case`] view of the batch the host hands
//! over (many cases per call, no JSON) and write findings to [`Findings`]. Log through [`log`]:
//! lines go to the host's logging. Never log personal data.
//!
//! ```ignore
//! use plugin_sdk::{Case, Findings, Plugin, PluginError, Registration, declare_plugin};
//!
//! #[derive(Debug)]
//! pub struct MyForce;
//!
//! impl Plugin for MyForce {
//!     fn init(_config: &serde_json::Value) -> Result<Self, PluginError> { Ok(MyForce) }
//!     fn registration(&self) -> Registration { /* what you provide */ Registration::default() }
//!     fn rules(&self, case: &Case<'_>, findings: &mut Findings<'_>) -> Result<(), PluginError> {
//!         Ok(())
//!     }
//! }
//!
//! declare_plugin!(MyForce);
//! ```
//!
//! Plugins written for ABI 1 (one case per call, as JSON) build with [`v1`] and
//! [`declare_plugin_v1!`]; hosts still load them.

#![allow(unsafe_code)]

pub mod batch;
pub mod protocol;
pub mod testing;
pub mod v1;

use std::sync::OnceLock;

use base64::Engine as _;
use serde_json::{Map, Value};

pub use batch::{Case, Event, FieldValue, Finding, Findings, Kind};
pub use plugin_abi as abi;
pub use protocol::*;

/// Why a plugin could not do what it was asked. The host reports the message and keeps the plugin
/// enabled: this is a refusal, not a fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginError {
    pub kind: ErrorKind,
    pub message: String,
}

/// What kind of refusal a [`PluginError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The plugin does not provide this method or format.
    Unsupported,
    /// The input is not acceptable (the message says what and where).
    Invalid,
}

impl PluginError {
    /// The plugin does not provide `what`.
    pub fn unsupported(what: impl std::fmt::Display) -> Self {
        PluginError {
            kind: ErrorKind::Unsupported,
            message: format!("not provided by this plugin: {what}"),
        }
    }

    /// The input is not acceptable.
    pub fn invalid(message: impl Into<String>) -> Self {
        PluginError {
            kind: ErrorKind::Invalid,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PluginError {}

/// An exported document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// A force plugin (ABI 2). Every method is ordinary safe Rust; implement the ones for the
/// capabilities your registration declares. The defaults answer "not provided".
pub trait Plugin: Sized + Send + Sync + 'static {
    /// Builds the plugin from its configuration (the `config` table of its entry in the host's
    /// configuration, as JSON; `null` when there is none).
    fn init(config: &Value) -> Result<Self, PluginError>;

    /// What the plugin provides. It must match the plugin's `plugin.toml`.
    fn registration(&self) -> Registration;

    /// The findings of this plugin's rules for one case, written to `findings`. The case holds
    /// only events of the kinds the registration declares in `reads`, up to the case's `now`, with
    /// fields only for the kinds it declares in `reads_fields`.
    /// An error refuses this case only (it gets no findings from the plugin, which stays
    /// enabled); a panic disables the plugin.
    fn rules(&self, case: &Case<'_>, findings: &mut Findings<'_>) -> Result<(), PluginError> {
        let _ = (case, findings);
        Err(PluginError::unsupported("rules"))
    }

    /// Problems with one event, field by field; empty when it is acceptable.
    fn validate(&self, event: &Map<String, Value>) -> Result<Vec<FieldError>, PluginError> {
        let _ = event;
        Err(PluginError::unsupported("validate"))
    }

    /// Events in interchange form from an export of the force's records system.
    fn import(&self, format: &str, data: &[u8]) -> Result<Vec<Map<String, Value>>, PluginError> {
        let _ = data;
        Err(PluginError::unsupported(format_args!(
            "import format `{format}`"
        )))
    }

    /// A report rendered in one of the plugin's export formats.
    fn export(&self, format: &str, report: &Value) -> Result<Exported, PluginError> {
        let _ = report;
        Err(PluginError::unsupported(format_args!(
            "export format `{format}`"
        )))
    }
}

/// Exports a [`Plugin`] type as a rasso plugin of ABI 2: the versioned entry symbol and its C
/// table.
#[macro_export]
macro_rules! declare_plugin {
    ($plugin:ty) => {
        impl $crate::__private::Glue for $plugin {
            fn init(config: &$crate::__private::Value) -> Result<Self, $crate::PluginError> {
                <$plugin as $crate::Plugin>::init(config)
            }
            fn registration(&self) -> $crate::Registration {
                <$plugin as $crate::Plugin>::registration(self)
            }
            fn validate(
                &self,
                event: &$crate::__private::Map<String, $crate::__private::Value>,
            ) -> Result<Vec<$crate::FieldError>, $crate::PluginError> {
                <$plugin as $crate::Plugin>::validate(self, event)
            }
            fn import(
                &self,
                format: &str,
                data: &[u8],
            ) -> Result<
                Vec<$crate::__private::Map<String, $crate::__private::Value>>,
                $crate::PluginError,
            > {
                <$plugin as $crate::Plugin>::import(self, format, data)
            }
            fn export(
                &self,
                format: &str,
                report: &$crate::__private::Value,
            ) -> Result<$crate::Exported, $crate::PluginError> {
                <$plugin as $crate::Plugin>::export(self, format, report)
            }
            fn rules(
                &self,
                case: &$crate::Case<'_>,
                findings: &mut $crate::Findings<'_>,
            ) -> Result<(), $crate::PluginError> {
                <$plugin as $crate::Plugin>::rules(self, case, findings)
            }
            fn slot() -> &'static ::std::sync::OnceLock<$crate::__private::Instance<Self>> {
                static INSTANCE: ::std::sync::OnceLock<$crate::__private::Instance<$plugin>> =
                    ::std::sync::OnceLock::new();
                &INSTANCE
            }
        }

        /// The plugin's entry symbol: returns its table. Generated by `declare_plugin!`.
        // The symbol name is the ABI's contract with the host; `no_mangle` is the only unsafe
        // attribute a plugin needs, and it is generated here.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn rasso_plugin_entry_v2() -> *const $crate::abi::v2::PluginTable {
            static TABLE: $crate::abi::v2::PluginTable = $crate::abi::v2::PluginTable {
                abi_version: $crate::abi::v2::ABI_VERSION,
                size: ::std::mem::size_of::<$crate::abi::v2::PluginTable>(),
                manifest: $crate::__private::manifest::<$plugin>,
                init: $crate::__private::init::<$plugin>,
                call: $crate::__private::call::<$plugin>,
                free: $crate::__private::free,
                evaluate: $crate::__private::evaluate::<$plugin>,
            };
            &TABLE
        }
    };
}

/// Writes one line to the host's log. Lines written before the host initialised the plugin are
/// dropped. Never put personal data in a log line.
pub fn log(level: Level, message: &str) {
    if let Some(log) = HOST_LOG.get() {
        log(level as u32, message.as_ptr(), message.len());
    }
}

/// Log levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Level {
    Error = plugin_abi::LOG_ERROR,
    Warn = plugin_abi::LOG_WARN,
    Info = plugin_abi::LOG_INFO,
    Debug = plugin_abi::LOG_DEBUG,
}

static HOST_LOG: OnceLock<extern "C" fn(u32, *const u8, usize)> = OnceLock::new();

/// Base64 as the protocol uses it (standard alphabet, padded).
pub fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The inverse of [`encode_base64`].
pub fn decode_base64(text: &str) -> Result<Vec<u8>, PluginError> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|error| PluginError::invalid(format!("`data` is not base64: {error}")))
}

/// What [`declare_plugin!`] and [`declare_plugin_v1!`] expand to calls: the boundary. Not part of
/// the API.
#[doc(hidden)]
pub mod __private {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    pub use serde_json::{Map, Value};

    use super::*;
    use crate::batch::{Batch, FindingsWriter, Sections};
    use plugin_abi::v2::{BATCH_VERSION, CaseBatch, Section};
    use plugin_abi::{
        Buffer, HOST_CALLBACKS_VERSION, HostCallbacks, STATUS_ERROR, STATUS_NOT_INITIALISED,
        STATUS_OK, STATUS_PANIC, STATUS_UNKNOWN_METHOD, Status, method,
    };

    /// A plugin's one instance, with what the boundary needs of its registration.
    #[derive(Debug)]
    pub struct Instance<P> {
        pub plugin: P,
        /// The registered rule ids, in order: findings name a rule by its position here.
        pub rules: Vec<String>,
    }

    /// What the boundary calls, implemented by the macros by forwarding to [`Plugin`] (ABI 2) or
    /// [`v1::Plugin`] (ABI 1).
    pub trait Glue: Sized + Send + Sync + 'static {
        fn init(config: &Value) -> Result<Self, PluginError>;
        fn registration(&self) -> Registration;
        fn validate(&self, event: &Map<String, Value>) -> Result<Vec<FieldError>, PluginError>;
        fn import(&self, format: &str, data: &[u8])
        -> Result<Vec<Map<String, Value>>, PluginError>;
        fn export(&self, format: &str, report: &Value) -> Result<Exported, PluginError>;
        /// ABI 2's rules over one case of a batch.
        fn rules(&self, case: &Case<'_>, findings: &mut Findings<'_>) -> Result<(), PluginError> {
            let _ = (case, findings);
            Err(PluginError::unsupported("rules"))
        }
        /// ABI 1's rules over one case snapshot.
        fn rules_v1(&self, case: &CaseSnapshot) -> Result<Vec<PluginFinding>, PluginError> {
            let _ = case;
            Err(PluginError::unsupported("rules"))
        }
        fn slot() -> &'static OnceLock<Instance<Self>>;
    }

    pub(crate) enum Failure {
        Status(Status, String),
    }

    impl From<PluginError> for Failure {
        fn from(error: PluginError) -> Self {
            let status = match error.kind {
                ErrorKind::Unsupported => STATUS_UNKNOWN_METHOD,
                ErrorKind::Invalid => STATUS_ERROR,
            };
            Failure::Status(status, error.message)
        }
    }

    fn invalid(message: impl Into<String>) -> Failure {
        Failure::Status(STATUS_ERROR, message.into())
    }

    fn to_json(value: &impl serde::Serialize) -> Result<Vec<u8>, Failure> {
        serde_json::to_vec(value).map_err(|error| invalid(format!("cannot encode output: {error}")))
    }

    fn into_buffer(bytes: Vec<u8>) -> Buffer {
        let boxed = bytes.into_boxed_slice();
        let len = boxed.len();
        Buffer {
            ptr: Box::into_raw(boxed).cast::<u8>(),
            len,
        }
    }

    fn error_body(message: &str) -> Vec<u8> {
        serde_json::to_vec(&ErrorBody {
            message: message.to_owned(),
        })
        .unwrap_or_default()
    }

    fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
        if let Some(text) = payload.downcast_ref::<&str>() {
            (*text).to_owned()
        } else if let Some(text) = payload.downcast_ref::<String>() {
            text.clone()
        } else {
            "panic with a non-text payload".to_owned()
        }
    }

    /// Runs `work`, catching panics, and writes its output or error to `out`.
    fn guard(out: *mut Buffer, work: impl FnOnce() -> Result<Vec<u8>, Failure>) -> Status {
        let (status, bytes) = match catch_unwind(AssertUnwindSafe(work)) {
            Ok(Ok(bytes)) => (STATUS_OK, bytes),
            Ok(Err(Failure::Status(status, message))) => (status, error_body(&message)),
            Err(payload) => (
                STATUS_PANIC,
                error_body(&format!("plugin panicked: {}", panic_message(&*payload))),
            ),
        };
        if !out.is_null() {
            // SAFETY: the host passes `out` pointing at a writable `Buffer` for the duration of
            // the call (ABI contract); it was checked non-null above.
            unsafe { out.write(into_buffer(bytes)) };
        }
        status
    }

    /// # Safety
    /// `ptr` must be valid for reads of `len` bytes for the duration of the call, or null with
    /// `len` 0.
    unsafe fn borrowed<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
        if ptr.is_null() || len == 0 {
            &[]
        } else {
            // SAFETY: guaranteed by the caller (the host, per the ABI: inputs are borrowed for the
            // call).
            unsafe { std::slice::from_raw_parts(ptr, len) }
        }
    }

    fn instance<P: Glue>() -> Result<&'static Instance<P>, Failure> {
        P::slot()
            .get()
            .ok_or_else(|| Failure::Status(STATUS_NOT_INITIALISED, "not initialised".into()))
    }

    /// # Safety
    /// ABI contract: `out` is null or writable.
    pub unsafe extern "C" fn manifest<P: Glue>(out: *mut Buffer) -> Status {
        guard(out, || to_json(&instance::<P>()?.plugin.registration()))
    }

    /// # Safety
    /// ABI contract: `host` is null or points at a `HostCallbacks` of at least its `size`;
    /// `config` is valid for `config_len` bytes; `out` is null or writable.
    pub unsafe extern "C" fn init<P: Glue>(
        host: *const HostCallbacks,
        config: *const u8,
        config_len: usize,
        out: *mut Buffer,
    ) -> Status {
        guard(out, || {
            if !host.is_null() {
                // SAFETY: the host passes a valid `HostCallbacks` (ABI contract). Only the first
                // two fields are read before the size is checked.
                let (version, size) = unsafe { ((*host).abi_version, (*host).size) };
                if version == HOST_CALLBACKS_VERSION && size >= std::mem::size_of::<HostCallbacks>()
                {
                    // SAFETY: the size check above shows the whole struct is there.
                    let callbacks = unsafe { *host };
                    let _ = HOST_LOG.set(callbacks.log);
                }
            }
            // SAFETY: the host passes `config` valid for `config_len` bytes (ABI contract).
            let bytes = unsafe { borrowed(config, config_len) };
            let config: Value = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(bytes)
                    .map_err(|error| invalid(format!("configuration is not JSON: {error}")))?
            };
            if P::slot().get().is_some() {
                return Ok(Vec::new());
            }
            // This library has its own copy of std, so the hook covers panics in this plugin
            // only. They are reported to the host (with their message, in the call's answer)
            // instead of being printed to standard error; the log line names only where.
            std::panic::set_hook(Box::new(|info| {
                let place = info.location().map_or_else(
                    || "an unknown place".to_owned(),
                    |location| format!("{}:{}", location.file(), location.line()),
                );
                log(
                    Level::Error,
                    &format!("panic at {place}; the host will disable this plugin"),
                );
            }));
            let plugin = P::init(&config)?;
            let rules = plugin
                .registration()
                .rules
                .into_iter()
                .map(|rule| rule.id)
                .collect();
            let _ = P::slot().set(Instance { plugin, rules });
            Ok(Vec::new())
        })
    }

    fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, Failure> {
        serde_json::from_slice(bytes)
            .map_err(|error| invalid(format!("{what}: input is not valid: {error}")))
    }

    /// # Safety
    /// ABI contract: `method` and `input` are valid for their lengths; `out` is null or writable.
    pub unsafe extern "C" fn call<P: Glue>(
        method_ptr: *const u8,
        method_len: usize,
        input: *const u8,
        input_len: usize,
        out: *mut Buffer,
    ) -> Status {
        guard(out, || {
            // SAFETY: borrowed for the call (ABI contract).
            let method = unsafe { borrowed(method_ptr, method_len) };
            // SAFETY: borrowed for the call (ABI contract).
            let input = unsafe { borrowed(input, input_len) };
            let plugin = &instance::<P>()?.plugin;
            match std::str::from_utf8(method).unwrap_or("") {
                method::RULES => {
                    let case: CaseSnapshot = decode(input, "rules")?;
                    to_json(&RulesResponse {
                        findings: plugin.rules_v1(&case)?,
                    })
                }
                method::VALIDATE => {
                    let request: ValidateRequest = decode(input, "validate")?;
                    to_json(&ValidateResponse {
                        errors: plugin.validate(&request.event)?,
                    })
                }
                method::IMPORT => {
                    let request: ImportRequest = decode(input, "import")?;
                    let data = decode_base64(&request.data)?;
                    to_json(&ImportResponse {
                        events: plugin.import(&request.format, &data)?,
                    })
                }
                method::EXPORT => {
                    let request: ExportRequest = decode(input, "export")?;
                    let exported = plugin.export(&request.format, &request.report)?;
                    to_json(&ExportResponse {
                        media_type: exported.media_type,
                        data: encode_base64(&exported.bytes),
                    })
                }
                other => Err(Failure::Status(
                    STATUS_UNKNOWN_METHOD,
                    format!("unknown method `{}`", other.escape_default()),
                )),
            }
        })
    }

    /// # Safety
    /// ABI contract: the section is valid for reads of `len` bytes for the call.
    unsafe fn section<'a>(section: Section) -> &'a [u8] {
        // SAFETY: guaranteed by the caller.
        unsafe { borrowed(section.ptr, section.len) }
    }

    /// # Safety
    /// ABI contract: `batch` is null or points at a `CaseBatch` of at least its `size` whose
    /// sections are valid for their lengths for the call; `out` is null or writable.
    pub unsafe extern "C" fn evaluate<P: Glue>(
        batch: *const CaseBatch,
        out: *mut Buffer,
    ) -> Status {
        guard(out, || {
            let instance = instance::<P>()?;
            if batch.is_null() {
                return Err(invalid("evaluate: no batch"));
            }
            // SAFETY: the host passes a valid `CaseBatch` (ABI contract); its first two fields,
            // version and size, are read before anything else.
            let (version, size) = unsafe { ((*batch).version, (*batch).size) };
            if version != BATCH_VERSION || (size as usize) < std::mem::size_of::<CaseBatch>() {
                return Err(invalid(format!(
                    "evaluate: a batch of version {version} ({size} bytes); this plugin reads version {BATCH_VERSION}"
                )));
            }
            // SAFETY: the version and size checks show the whole struct is there.
            let raw = unsafe { *batch };
            // SAFETY: each section is borrowed for the call (ABI contract).
            let sections = unsafe {
                Sections {
                    cases: section(raw.cases),
                    kinds: section(raw.kinds),
                    times: section(raw.times),
                    persons: section(raw.persons),
                    field_starts: section(raw.field_starts),
                    fields: section(raw.fields),
                    text: section(raw.text),
                }
            };
            let reads = crate::batch::Reads {
                kinds: raw.kinds_read,
                fields: raw.fields_read,
            };
            let batch = Batch::new(
                reads,
                raw.case_count as usize,
                raw.event_count as usize,
                raw.field_count as usize,
                sections,
            )
            .map_err(|error| invalid(error.to_string()))?;
            evaluate_batch(&instance.plugin, &instance.rules, &batch)
        })
    }

    /// Runs the plugin's rules over every case of `batch`. A case the plugin refuses gets a
    /// refusal and none of the findings written before the refusal; "not provided" refuses the
    /// whole call.
    pub(crate) fn evaluate_batch<P: Glue>(
        plugin: &P,
        rules: &[String],
        batch: &Batch<'_>,
    ) -> Result<Vec<u8>, Failure> {
        let mut writer = FindingsWriter::with_capacity(batch.len());
        for case in batch.cases() {
            let mark = writer.mark();
            let result = plugin.rules(&case, &mut writer.sink(case.index(), rules));
            match result {
                Ok(()) => {}
                Err(error) if error.kind == ErrorKind::Unsupported => return Err(error.into()),
                Err(error) => {
                    writer.roll_back(mark);
                    writer.refusal(case.index(), &error.message);
                }
            }
        }
        Ok(writer.finish())
    }

    /// # Safety
    /// `buffer` must be one this plugin returned and not yet freed.
    pub unsafe extern "C" fn free(buffer: Buffer) {
        if buffer.ptr.is_null() {
            return;
        }
        // SAFETY: the buffer came from `into_buffer` (a boxed slice of exactly `len` bytes) and the
        // host frees each buffer once (ABI contract). Dropping cannot panic.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(buffer.ptr, buffer.len)) });
    }
}
