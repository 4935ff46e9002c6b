//! Native plugins: opening the verified library, the ABI handshake, and calls on a worker thread
//! with a time limit. Libraries are never unloaded.

#![allow(unsafe_code)]

use std::io::Write as _;
use std::sync::mpsc;
use std::time::Duration;

use plugin_abi::{
    ABI_VERSION, Buffer, ENTRY_SYMBOL, ENTRY_SYMBOL_NAME, EntryFn, HostCallbacks, PluginTable,
    Status,
};

/// Why a library could not be opened or does not speak our ABI.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot stage the verified library for loading: {0}")]
    Stage(std::io::Error),
    #[error("cannot open the library: {0}")]
    Open(String),
    #[error(
        "the library has no entry symbol `{ENTRY_SYMBOL_NAME}` (not a rasso plugin, or built for another ABI major version)"
    )]
    NoEntry,
    #[error("the entry symbol returned no table")]
    NullTable,
    #[error(
        "wrong ABI version: the plugin was built for ABI {found}, this host speaks ABI {ABI_VERSION}"
    )]
    AbiVersion { found: u32 },
    #[error(
        "the plugin's table is {found} bytes, smaller than the {expected} bytes of ABI {ABI_VERSION}"
    )]
    TableSize { found: usize, expected: usize },
    #[error("cannot start the plugin's worker thread: {0}")]
    Thread(std::io::Error),
}

/// How a call across the boundary ended, from the host's side.
#[derive(Debug)]
pub enum CallOutcome {
    /// The plugin answered: its status and the bytes of its output buffer.
    Answered(Status, Vec<u8>),
    /// No answer within the time limit; the call is abandoned on the worker thread.
    TimedOut,
    /// The worker thread is gone.
    Gone,
}

struct Job {
    method: &'static str,
    input: Vec<u8>,
    reply: mpsc::SyncSender<(Status, Vec<u8>)>,
}

enum Request {
    Init {
        config: Vec<u8>,
        reply: mpsc::SyncSender<(Status, Vec<u8>)>,
    },
    Manifest {
        reply: mpsc::SyncSender<(Status, Vec<u8>)>,
    },
    Call(Job),
}

/// A loaded library and the thread that calls into it.
#[derive(Debug)]
pub struct NativePlugin {
    requests: mpsc::Sender<Request>,
}

/// Opens the library from `bytes` (already verified against the manifest's hash and the
/// signature), checks the ABI, and starts its worker thread.
///
/// The bytes are written to a fresh private file which is opened and then removed, so that the
/// code that runs is exactly the code whose hash was checked, whatever happens to the plugin folder
/// meanwhile.
pub fn open(name: &str, bytes: &[u8]) -> Result<NativePlugin, OpenError> {
    let staged = tempfile::Builder::new()
        .prefix("rasso-plugin-")
        .suffix(".so")
        .tempfile()
        .map_err(OpenError::Stage)?;
    staged
        .as_file()
        .write_all(bytes)
        .map_err(OpenError::Stage)?;
    staged.as_file().sync_all().map_err(OpenError::Stage)?;
    let flags = libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_LOCAL;
    // SAFETY: loading a library runs its initialisers. The bytes were verified against the
    // manifest's SHA-256 and a trusted signature (or the force explicitly allowed unsigned plugins
    // for development); native plugins are trusted code by design. RTLD_NOW resolves every symbol
    // now, so a library with missing symbols fails here rather than mid-call.
    let library = unsafe { libloading::os::unix::Library::open(Some(staged.path()), flags) }
        .map_err(|error| OpenError::Open(error.to_string()))?;
    // The mapping stays valid after the file is removed.
    drop(staged);
    // Never unloaded, even when refused below: its initialisers have run and may have registered
    // destructors, and its code and statics must stay valid for the life of the process, so no
    // abandoned call or stray thread can run unmapped code.
    let library: &'static libloading::os::unix::Library = Box::leak(Box::new(library));
    // SAFETY: the symbol's type is fixed by the ABI (`EntryFn`); a library exporting this versioned
    // name promises that type.
    let entry: EntryFn = unsafe { library.get::<EntryFn>(ENTRY_SYMBOL) }
        .map(|symbol| *symbol)
        .map_err(|_| OpenError::NoEntry)?;
    // SAFETY: calling the entry symbol of a verified plugin; it takes no arguments and returns a
    // pointer to a static table.
    let table_ptr = unsafe { entry() };
    if table_ptr.is_null() {
        return Err(OpenError::NullTable);
    }
    // SAFETY: every ABI version starts the table with `abi_version: u32` then `size: usize`, so
    // these two fields can be read whatever version the plugin was built for.
    let (found, size) = unsafe {
        (
            std::ptr::addr_of!((*table_ptr).abi_version).read(),
            std::ptr::addr_of!((*table_ptr).size).read(),
        )
    };
    if found != ABI_VERSION {
        return Err(OpenError::AbiVersion { found });
    }
    let expected = std::mem::size_of::<PluginTable>();
    if size < expected {
        return Err(OpenError::TableSize {
            found: size,
            expected,
        });
    }
    // SAFETY: the version matches and the size shows every field of our table is present; the
    // table is static in the never-unloaded library.
    let table: PluginTable = unsafe { table_ptr.read() };
    let (requests, receiver) = mpsc::channel::<Request>();
    std::thread::Builder::new()
        .name(format!("plugin:{name}"))
        .spawn(move || worker(table, receiver))
        .map_err(OpenError::Thread)?;
    Ok(NativePlugin { requests })
}

/// The host's logging callback: a plugin's log line, attributed to the plugin by its worker thread's
/// name. Never unwinds into the plugin.
extern "C" fn host_log(level: u32, message: *const u8, len: usize) {
    let _ = std::panic::catch_unwind(|| {
        if message.is_null() {
            return;
        }
        let len = len.min(4096);
        // SAFETY: the plugin passes a message valid for `len` bytes for the duration of the call
        // (ABI contract); at most 4 KiB is read.
        let bytes = unsafe { std::slice::from_raw_parts(message, len) };
        let text = String::from_utf8_lossy(bytes);
        let thread = std::thread::current();
        let plugin = thread
            .name()
            .and_then(|name| name.strip_prefix("plugin:"))
            .unwrap_or("unknown");
        match level {
            plugin_abi::LOG_ERROR => tracing::error!(plugin, "{text}"),
            plugin_abi::LOG_WARN => tracing::warn!(plugin, "{text}"),
            plugin_abi::LOG_INFO => tracing::info!(plugin, "{text}"),
            _ => tracing::debug!(plugin, "{text}"),
        }
    });
}

static HOST_CALLBACKS: HostCallbacks = HostCallbacks {
    abi_version: ABI_VERSION,
    size: std::mem::size_of::<HostCallbacks>(),
    log: host_log,
};

/// Copies a plugin's output buffer and gives it back to the plugin to free.
fn take(table: &PluginTable, buffer: Buffer) -> Vec<u8> {
    if buffer.ptr.is_null() {
        return Vec::new();
    }
    // SAFETY: the plugin returned this buffer, valid for `len` bytes until it is freed (ABI
    // contract); it is copied before being freed.
    let bytes = unsafe { std::slice::from_raw_parts(buffer.ptr, buffer.len) }.to_vec();
    // SAFETY: the buffer came from this plugin and is freed exactly once, by the plugin's own
    // `free`.
    unsafe { (table.free)(buffer) };
    bytes
}

fn worker(table: PluginTable, requests: mpsc::Receiver<Request>) {
    for request in requests {
        let mut out = Buffer::EMPTY;
        match request {
            Request::Init { config, reply } => {
                // SAFETY: the callbacks are static; `config` lives for the call; `out` is a valid
                // `Buffer` on this stack.
                let status = unsafe {
                    (table.init)(&HOST_CALLBACKS, config.as_ptr(), config.len(), &mut out)
                };
                let _ = reply.send((status, take(&table, out)));
            }
            Request::Manifest { reply } => {
                // SAFETY: `out` is a valid `Buffer` on this stack.
                let status = unsafe { (table.manifest)(&mut out) };
                let _ = reply.send((status, take(&table, out)));
            }
            Request::Call(job) => {
                // SAFETY: `method` and `input` live for the call; `out` is a valid `Buffer` on this
                // stack.
                let status = unsafe {
                    (table.call)(
                        job.method.as_ptr(),
                        job.method.len(),
                        job.input.as_ptr(),
                        job.input.len(),
                        &mut out,
                    )
                };
                let _ = job.reply.send((status, take(&table, out)));
            }
        }
    }
}

impl NativePlugin {
    fn ask(
        &self,
        make: impl FnOnce(mpsc::SyncSender<(Status, Vec<u8>)>) -> Request,
        limit: Duration,
    ) -> CallOutcome {
        let (reply, answer) = mpsc::sync_channel(1);
        if self.requests.send(make(reply)).is_err() {
            return CallOutcome::Gone;
        }
        match answer.recv_timeout(limit) {
            Ok((status, bytes)) => CallOutcome::Answered(status, bytes),
            Err(mpsc::RecvTimeoutError::Timeout) => CallOutcome::TimedOut,
            Err(mpsc::RecvTimeoutError::Disconnected) => CallOutcome::Gone,
        }
    }

    /// `init` with the plugin's configuration (JSON).
    pub fn init(&self, config: Vec<u8>, limit: Duration) -> CallOutcome {
        self.ask(|reply| Request::Init { config, reply }, limit)
    }

    /// `manifest`: the plugin's registration (JSON).
    pub fn manifest(&self, limit: Duration) -> CallOutcome {
        self.ask(|reply| Request::Manifest { reply }, limit)
    }

    /// `call(method, input)`.
    pub fn call(&self, method: &'static str, input: Vec<u8>, limit: Duration) -> CallOutcome {
        self.ask(
            |reply| {
                Request::Call(Job {
                    method,
                    input,
                    reply,
                })
            },
            limit,
        )
    }
}
