//! Native plugins: opening the verified library, the ABI handshake, and calls on a worker thread
//! with a time limit. Libraries are never unloaded.

#![allow(unsafe_code)]

use std::io::Write as _;
use std::sync::mpsc;
use std::time::Duration;

use plugin_abi::v2::{BATCH_VERSION, CaseBatch, Section};
use plugin_abi::{Buffer, FreeFn, HOST_CALLBACKS_VERSION, HostCallbacks, Status, v1, v2};
use plugin_sdk::batch::OwnedBatch;

/// Why a library could not be opened or does not speak our ABI.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot stage the verified library for loading: {0}")]
    Stage(std::io::Error),
    #[error("cannot open the library: {0}")]
    Open(String),
    #[error(
        "the library has no entry symbol `{symbol}`, which its manifest's ABI {abi} needs (not a rasso plugin, or built for another ABI major version)"
    )]
    NoEntry { symbol: &'static str, abi: u32 },
    #[error("the entry symbol returned no table")]
    NullTable,
    #[error(
        "wrong ABI version: the plugin's table says ABI {found}, but its entry symbol and manifest say ABI {expected}"
    )]
    AbiVersion { found: u32, expected: u32 },
    #[error("the plugin's table is {found} bytes, smaller than the {expected} bytes of ABI {abi}")]
    TableSize {
        found: usize,
        expected: usize,
        abi: u32,
    },
    #[error("this host loads ABI 1 and ABI 2 plugins, not ABI {0}")]
    UnknownAbi(u32),
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
    Evaluate {
        batch: OwnedBatch,
        reply: mpsc::SyncSender<(Status, Vec<u8>)>,
        /// Where the batch goes once the call has returned, for the host to write the next one
        /// in (its sections keep their room).
        done: mpsc::SyncSender<OwnedBatch>,
    },
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
    abi: u32,
}

/// The table of the ABI the plugin was built for.
#[derive(Debug, Clone, Copy)]
enum Table {
    V1(v1::PluginTable),
    V2(v2::PluginTable),
}

impl Table {
    fn free(&self) -> FreeFn {
        match self {
            Table::V1(table) => table.free,
            Table::V2(table) => table.free,
        }
    }
}

/// Opens the library from `bytes` (already verified against the manifest's hash and the
/// signature), checks that it speaks `abi` (the manifest's), and starts its worker thread.
///
/// The bytes are written to a fresh private file which is opened and then removed, so that the
/// code that runs is exactly the code whose hash was checked, whatever happens to the plugin folder
/// meanwhile.
pub fn open(name: &str, bytes: &[u8], abi: u32) -> Result<NativePlugin, OpenError> {
    if abi != v1::ABI_VERSION && abi != v2::ABI_VERSION {
        return Err(OpenError::UnknownAbi(abi));
    }
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
    let table = if abi == v2::ABI_VERSION {
        Table::V2(v2_table(library)?)
    } else {
        Table::V1(v1_table(library)?)
    };
    let (requests, receiver) = mpsc::channel::<Request>();
    std::thread::Builder::new()
        .name(format!("plugin:{name}"))
        .spawn(move || worker(table, receiver))
        .map_err(OpenError::Thread)?;
    Ok(NativePlugin { requests, abi })
}

/// Reads the first two fields every ABI's table starts with (version and size) and checks them.
///
/// # Safety
/// `table` is non-null and points at a table that starts with `abi_version: u32` then
/// `size: usize`, as every ABI's does.
unsafe fn check_header(
    table: *const v1::PluginTable,
    abi: u32,
    expected: usize,
) -> Result<(), OpenError> {
    // SAFETY: every ABI version starts the table with `abi_version: u32` then `size: usize`, so
    // these two fields can be read whatever version the plugin was built for (caller's contract).
    let (found, size) = unsafe {
        (
            std::ptr::addr_of!((*table).abi_version).read(),
            std::ptr::addr_of!((*table).size).read(),
        )
    };
    if found != abi {
        return Err(OpenError::AbiVersion {
            found,
            expected: abi,
        });
    }
    if size < expected {
        return Err(OpenError::TableSize {
            found: size,
            expected,
            abi,
        });
    }
    Ok(())
}

fn v1_table(library: &'static libloading::os::unix::Library) -> Result<v1::PluginTable, OpenError> {
    // SAFETY: the symbol's type is fixed by ABI 1 (`v1::EntryFn`); a library exporting this
    // versioned name promises that type.
    let entry: v1::EntryFn = unsafe { library.get::<v1::EntryFn>(v1::ENTRY_SYMBOL) }
        .map(|symbol| *symbol)
        .map_err(|_| OpenError::NoEntry {
            symbol: v1::ENTRY_SYMBOL_NAME,
            abi: v1::ABI_VERSION,
        })?;
    // SAFETY: calling the entry symbol of a verified plugin; it takes no arguments and returns a
    // pointer to a static table.
    let table = unsafe { entry() };
    if table.is_null() {
        return Err(OpenError::NullTable);
    }
    // SAFETY: non-null, and every table starts with version and size.
    unsafe {
        check_header(
            table,
            v1::ABI_VERSION,
            std::mem::size_of::<v1::PluginTable>(),
        )?
    };
    // SAFETY: the version matches and the size shows every field of the table is present; the
    // table is static in the never-unloaded library.
    Ok(unsafe { table.read() })
}

fn v2_table(library: &'static libloading::os::unix::Library) -> Result<v2::PluginTable, OpenError> {
    // SAFETY: the symbol's type is fixed by ABI 2 (`v2::EntryFn`); a library exporting this
    // versioned name promises that type.
    let entry: v2::EntryFn = unsafe { library.get::<v2::EntryFn>(v2::ENTRY_SYMBOL) }
        .map(|symbol| *symbol)
        .map_err(|_| OpenError::NoEntry {
            symbol: v2::ENTRY_SYMBOL_NAME,
            abi: v2::ABI_VERSION,
        })?;
    // SAFETY: calling the entry symbol of a verified plugin; it takes no arguments and returns a
    // pointer to a static table.
    let table = unsafe { entry() };
    if table.is_null() {
        return Err(OpenError::NullTable);
    }
    // SAFETY: non-null, and every table starts with version and size (ABI 2's table begins with
    // ABI 1's fields).
    unsafe {
        check_header(
            table.cast::<v1::PluginTable>(),
            v2::ABI_VERSION,
            std::mem::size_of::<v2::PluginTable>(),
        )?
    };
    // SAFETY: the version matches and the size shows every field of the table is present; the
    // table is static in the never-unloaded library.
    Ok(unsafe { table.read() })
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
    abi_version: HOST_CALLBACKS_VERSION,
    size: std::mem::size_of::<HostCallbacks>(),
    log: host_log,
};

/// Copies a plugin's output buffer and gives it back to the plugin to free.
fn take(free: FreeFn, buffer: Buffer) -> Vec<u8> {
    if buffer.ptr.is_null() {
        return Vec::new();
    }
    // SAFETY: the plugin returned this buffer, valid for `len` bytes until it is freed (ABI
    // contract); it is copied before being freed.
    let bytes = unsafe { std::slice::from_raw_parts(buffer.ptr, buffer.len) }.to_vec();
    // SAFETY: the buffer came from this plugin and is freed exactly once, by the plugin's own
    // `free`.
    unsafe { free(buffer) };
    bytes
}

fn section(bytes: &[u8]) -> Section {
    Section {
        ptr: bytes.as_ptr(),
        len: bytes.len(),
    }
}

/// The counts of a batch as the ABI's `u32`s. Batches are cut far below `u32::MAX` records
/// (`MAX_BATCH_CASES`, `MAX_BATCH_BYTES`), so this never saturates.
fn count(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn worker(table: Table, requests: mpsc::Receiver<Request>) {
    let free = table.free();
    for request in requests {
        let mut out = Buffer::EMPTY;
        match (request, table) {
            (Request::Init { config, reply }, table) => {
                let init = match table {
                    Table::V1(table) => table.init,
                    Table::V2(table) => table.init,
                };
                // SAFETY: the callbacks are static; `config` lives for the call; `out` is a valid
                // `Buffer` on this stack.
                let status =
                    unsafe { init(&HOST_CALLBACKS, config.as_ptr(), config.len(), &mut out) };
                let _ = reply.send((status, take(free, out)));
            }
            (Request::Manifest { reply }, table) => {
                let manifest = match table {
                    Table::V1(table) => table.manifest,
                    Table::V2(table) => table.manifest,
                };
                // SAFETY: `out` is a valid `Buffer` on this stack.
                let status = unsafe { manifest(&mut out) };
                let _ = reply.send((status, take(free, out)));
            }
            (Request::Call(job), table) => {
                let call = match table {
                    Table::V1(table) => table.call,
                    Table::V2(table) => table.call,
                };
                // SAFETY: `method` and `input` live for the call; `out` is a valid `Buffer` on this
                // stack.
                let status = unsafe {
                    call(
                        job.method.as_ptr(),
                        job.method.len(),
                        job.input.as_ptr(),
                        job.input.len(),
                        &mut out,
                    )
                };
                let _ = job.reply.send((status, take(free, out)));
            }
            (Request::Evaluate { batch, reply, done }, Table::V2(table)) => {
                let raw = CaseBatch {
                    version: BATCH_VERSION,
                    size: count(std::mem::size_of::<CaseBatch>()),
                    kinds_read: batch.reads.kinds,
                    fields_read: batch.reads.fields,
                    case_count: count(batch.case_count),
                    event_count: count(batch.event_count),
                    field_count: count(batch.field_count),
                    reserved: 0,
                    cases: section(&batch.cases),
                    kinds: section(&batch.kinds),
                    times: section(&batch.times),
                    persons: section(&batch.persons),
                    field_starts: section(&batch.field_starts),
                    fields: section(&batch.fields),
                    text: section(&batch.text),
                };
                // SAFETY: `raw` and every section it points into (owned by `batch`) live until the
                // call returns; the plugin only reads them; `out` is a valid `Buffer` on this
                // stack.
                let status = unsafe { (table.evaluate)(&raw, &mut out) };
                let _ = reply.send((status, take(free, out)));
                let _ = done.send(batch);
            }
            (Request::Evaluate { reply, .. }, Table::V1(_)) => {
                let _ = reply.send((
                    plugin_abi::STATUS_UNKNOWN_METHOD,
                    br#"{"message":"ABI 1 has no evaluate"}"#.to_vec(),
                ));
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

    /// The ABI major version the plugin speaks.
    pub fn abi(&self) -> u32 {
        self.abi
    }

    /// ABI 2's `evaluate` over a batch of cases; the batch comes back once the call has returned
    /// (never after a time-out: the plugin may still be reading it).
    pub fn evaluate(
        &self,
        batch: OwnedBatch,
        limit: Duration,
    ) -> (CallOutcome, Option<OwnedBatch>) {
        let (done, returned) = mpsc::sync_channel(1);
        let outcome = self.ask(|reply| Request::Evaluate { batch, reply, done }, limit);
        let batch = match outcome {
            CallOutcome::Answered(..) => returned.recv().ok(),
            CallOutcome::TimedOut | CallOutcome::Gone => None,
        };
        (outcome, batch)
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
