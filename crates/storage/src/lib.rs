//! rasso's case store: a durable, audited event store with sealed victim identity.
//!
//! - [`Store`]: the trait the server, reports and command line use; every read or change of case
//!   data takes an [`Access`] (actor and purpose) and leaves an audit record in the same
//!   transaction.
//! - [`SqliteStore`]: the default implementation (WAL, `synchronous=FULL`).
//! - [`PgStore`]: PostgreSQL, for several processes sharing one database (row-level security,
//!   serialised audit appends).
//! - [`audit`]: the hash chain, signed checkpoints and the signed head; [`chain`]: each case's
//!   event chain and the state digest over every case's head; [`verify`]: verification of both.
//! - [`keys`]: master and data keys, sealing of identity (XChaCha20-Poly1305).
//! - [`linking`]: suspect linkage inside the store (sealed match profiles, keyed blind index,
//!   candidate links and their review).
//! - `conformance`, `crash`, `tamper`, `bench` (feature `harness`): the suite every implementation
//!   must pass, and the crash, fault-injection, tamper and benchmark harnesses.
//!
//! The modules are in layers; each uses only its own layer and those below, and no two modules
//! reach each other (`tests/module_graph.rs` reads the source and fails on an import cycle, on a
//! module out of its layer and on either backend using the other; ARCHITECTURE.md, "Code map:
//! storage"). Lowest first:
//!
//! 1. values: `access`, `canonical` (canonical JSON), `chain`, `error`, `fault`, `model`,
//!    `owner_only` (files only their owner may read);
//! 2. the record's rules, independent of the database: `audit`, `verify`, `keys`, `linking`,
//!    `facts`, `case_changes`, `server_state`;
//! 3. the contract and what every store holds: `store`, `common`;
//! 4. SQL written once for both databases: `row_maps` (reading rows), `sql` (binding and running
//!    statements), `rows`, `tx`, `group_commit`, `audit_sql`, `chain_sql`, `facts_sql`, `link_sql`;
//! 5. the core: `engine` (every operation, once for any backend), `bulk`;
//! 6. the backends, which do not use each other: `sqlite`, `postgres`;
//! 7. `copy` (from one backend to the other);
//! 8. the harnesses: `bench`, `conformance`, `crash`, `tamper`.

pub mod access;
pub mod audit;
mod audit_sql;
#[cfg(any(test, feature = "harness"))]
#[doc(hidden)]
pub mod bench;
#[cfg(any(test, feature = "harness"))]
mod bulk;
mod canonical;
pub mod case_changes;
pub mod chain;
mod chain_sql;
mod common;
#[cfg(any(test, feature = "harness"))]
pub mod conformance;
pub mod copy;
#[cfg(any(test, feature = "harness"))]
pub mod crash;
mod engine;
pub mod error;
pub mod facts;
mod facts_sql;
pub mod fault;
mod group_commit;
pub mod keys;
mod link_sql;
pub mod linking;
pub mod model;
pub mod owner_only;
pub mod postgres;
mod row_maps;
mod rows;
pub mod server_state;
mod sql;
pub mod sqlite;
pub mod store;
#[cfg(any(test, feature = "harness"))]
pub mod tamper;
mod tx;
pub mod verify;

pub use access::{Access, Category, Purpose};
pub use audit::{AuditEntry, AuditRecord, AuditSigner, SignedHead};
pub use canonical::canonical_json;
pub use case_changes::CaseList;
pub use error::{DatabaseError, StoreError, StoreResult};
pub use facts::FactsQuery;
pub use keys::{KeyOrigin, KeySource, MasterKey};
pub use linking::{
    CaseLink, LinkDecision, LinkMatch, LinkStatus, LinkedSuspect, ProgressSink, RelinkProgress,
    RelinkReport, RepeatSuspects,
};
pub use model::{
    Append, AppendOutcome, BackupInfo, CaseFilter, CaseStatus, CaseSummary, EventReader,
    ExpectedVersion, ExportOptions, ForceChanges, NewEvent, Session, SignIn, SignInOutcome,
    StoredCase, User, UserScope,
};
pub use postgres::{PgOptions, PgStore};
pub use server_state::{BreakGlassDeclaration, CaseRead, CaseShare, NewShare, SharedItem};
#[cfg(any(test, feature = "harness"))]
#[doc(hidden)]
pub use sqlite::BulkSuspect;
pub use sqlite::{SqliteOptions, SqliteStore};
pub use store::{
    AccountStore, AdminStore, AuditStore, CaseStore, FactsStore, LinkageStore, SharingStore, Store,
};
pub use verify::VerifyReport;

/// The store traits, for callers that use a store of a known type (`use storage::prelude::*`).
pub mod prelude {
    pub use crate::store::{
        AccountStore, AdminStore, AuditStore, CaseStore, FactsStore, LinkageStore, SharingStore,
        Store,
    };
}
