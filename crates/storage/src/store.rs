//! The store contract, one trait per concern (cases, audit, accounts and sessions, sharing and
//! break-glass, linkage, report facts, keys and backup), and [`Store`], their union: everything
//! the server, reports and the command line need from storage.
//! SQLite ([`crate::SqliteStore`]) and PostgreSQL ([`crate::PgStore`]) implement it, both checked by
//! the same conformance suite (module `conformance`, feature `harness`).

use std::collections::HashSet;
use std::path::Path;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::interchange::Identity;
use domain::{CaseKey, PersonKey};

use crate::access::Access;
use crate::audit::{AuditEntry, AuditRecord, SignedHead};
use crate::case_changes::CaseList;
use crate::error::StoreResult;
use crate::facts::{FactsQuery, FactsSink};
use crate::keys::MasterKey;
use crate::linking::{
    CaseLink, LinkDecision, LinkMatch, ProgressSink, RelinkReport, RepeatSuspects,
};
use crate::model::{
    Append, AppendOutcome, BackupInfo, CaseFilter, CaseSummary, ExportOptions, ForceChanges,
    Session, SignIn, SignInOutcome, StoredCase, User, UserScope,
};
use crate::server_state::{BreakGlassDeclaration, CaseRead, CaseShare, NewShare};
use crate::verify::VerifyReport;

/// The audit entry of a case list (the filter is the detail).
pub(crate) fn list_audit_entry(access: &Access, filter: &CaseFilter) -> AuditEntry {
    let detail = serde_json::to_value(filter).unwrap_or(serde_json::Value::Null);
    AuditEntry::new(access, crate::access::Category::Consultation, "cases").with_detail(detail)
}

/// Receives cases one at a time while a store streams them (bounded memory).
pub type CaseSink<'a> = dyn FnMut(StoredCase) -> StoreResult<()> + Send + 'a;
/// Receives export lines (interchange JSON, no newline) one at a time.
pub type LineSink<'a> = dyn FnMut(&str) -> StoreResult<()> + Send + 'a;

/// A durable, audited case store: every concern at once. Every method that reads or changes case
/// data takes an [`Access`] and writes its audit record in the same transaction as the change (for
/// reads: before the data is returned); if the audit record cannot be written, the operation fails
/// and nothing of it is stored. Implemented for every type that implements each concern's trait;
/// a caller that needs one concern can ask for that trait alone.
pub trait Store:
    CaseStore + AuditStore + AccountStore + SharingStore + LinkageStore + FactsStore + AdminStore
{
}

impl<T> Store for T where
    T: CaseStore
        + AuditStore
        + AccountStore
        + SharingStore
        + LinkageStore
        + FactsStore
        + AdminStore
{
}

/// Case data: appends, reads, lists, streams and exports, each audited (the audit record is written before anything is returned, or in the same transaction as the change).
#[async_trait]
pub trait CaseStore: AuditStore + Send + Sync + std::fmt::Debug {
    /// Appends events to cases, all or nothing, in one transaction. Events whose id a case
    /// already holds are skipped (idempotent); each case's `expected` version is checked against
    /// its version before the append, unless every event was already there (a retried write
    /// succeeds). A mismatch fails the whole call with [`crate::StoreError::Conflict`].
    async fn append(&self, access: &Access, batch: Vec<Append>) -> StoreResult<Vec<AppendOutcome>>;

    /// Checks `batch` as [`CaseStore::append`] would, without storing anything: refused with
    /// [`crate::StoreError::EventIdReused`] when an event's id is one its case already holds for
    /// another event (the very comparison `append` makes). An import runs it over a whole file
    /// before storing any of it, so that a file refused for this stores nothing. Audited as a
    /// consultation of the cases' events.
    async fn check_append(&self, access: &Access, batch: &[Append]) -> StoreResult<()>;

    /// Reads one case (identity left sealed). `None` when there is no such case.
    async fn read_case(&self, access: &Access, key: &CaseKey) -> StoreResult<Option<StoredCase>>;

    /// Reads a case unless the caller already holds version `known` of it. Audited exactly like
    /// [`CaseStore::read_case`] (the record is durable before the answer): the caller is about to show
    /// the case, whether from the store or from the copy it holds of that very version.
    async fn read_case_if_changed(
        &self,
        access: &Access,
        key: &CaseKey,
        known: Option<u64>,
    ) -> StoreResult<CaseRead>;

    /// [`CaseStore::read_case_if_changed`] and [`SharingStore::case_shares`] of the same case,
    /// for a caller that shows both (the case page). Audited as the read alone is (the shares
    /// are the server's own state, never audited). The shares are empty when the case is
    /// missing. SQLite reads the version and the shares in one read transaction, before the
    /// audit record is committed, so that the page pays for one read instead of two.
    async fn read_case_and_shares_if_changed(
        &self,
        access: &Access,
        key: &CaseKey,
        known: Option<u64>,
    ) -> StoreResult<(CaseRead, Vec<CaseShare>)>;

    /// Unseals the identity of one person of a case (the latest `person_added` that carried one).
    /// A consultation of victim identity: callers decide who may, and should pass a reason.
    async fn read_identity(
        &self,
        access: &Access,
        key: &CaseKey,
        person: &PersonKey,
    ) -> StoreResult<Option<Identity>>;

    /// Lists case projections, ordered by force and reference.
    async fn list_cases(
        &self,
        access: &Access,
        filter: &CaseFilter,
    ) -> StoreResult<Vec<CaseSummary>>;

    /// How many case changes the store has seen for `force` (every force when `None`): a counter
    /// that moves whenever a case of the scope is created or changed (see
    /// [`crate::case_changes`]). It reveals no case data, so reading it is not audited.
    async fn case_changes(&self, force: Option<&str>) -> StoreResult<u64>;

    /// [`CaseStore::list_cases`], unless nothing in the filter's force has changed since the caller
    /// listed at counter `known`. Audited exactly like a list either way: the caller is about to
    /// show the list, from the store or from the copy it holds.
    async fn list_cases_if_changed(
        &self,
        access: &Access,
        filter: &CaseFilter,
        known: Option<u64>,
    ) -> StoreResult<CaseList> {
        let changes = self.case_changes(filter.force.as_deref()).await?;
        self.list_cases_if_changed_at(access, filter, known, changes)
            .await
    }

    /// [`CaseStore::list_cases_if_changed`] with the filter's counter already read by the caller
    /// (`changes`, as [`CaseStore::case_changes`] answered it before this call).
    async fn list_cases_if_changed_at(
        &self,
        access: &Access,
        filter: &CaseFilter,
        known: Option<u64>,
        changes: u64,
    ) -> StoreResult<CaseList> {
        if known == Some(changes) {
            self.record_audit(list_audit_entry(access, filter)).await?;
            return Ok(CaseList::Unchanged { changes });
        }
        let cases = self.list_cases(access, filter).await?;
        Ok(CaseList::Listed { changes, cases })
    }

    /// Streams every case (optionally of one force) to `sink`, in pages, for reports. Returns the
    /// number of cases streamed.
    async fn stream_cases(
        &self,
        access: &Access,
        force: Option<&str>,
        sink: &mut CaseSink<'_>,
    ) -> StoreResult<u64>;

    /// The people keys already added to these cases (for validating an import against the store).
    async fn known_people(
        &self,
        access: &Access,
        cases: &[CaseKey],
    ) -> StoreResult<HashSet<(CaseKey, PersonKey)>>;

    /// Writes every stored event as an interchange line, case by case in arrival order, with the
    /// sealed identity put back unless `options.without_identity`. A disclosure: `access` must
    /// name a recipient. Returns the number of lines.
    async fn export(
        &self,
        access: &Access,
        options: &ExportOptions,
        sink: &mut LineSink<'_>,
    ) -> StoreResult<u64>;
}

/// The audit log: records written for processing done outside the store, reads of the log, checkpoints, the signed head and verification of the whole record.
#[async_trait]
pub trait AuditStore: Send + Sync + std::fmt::Debug {
    /// Records processing done outside the store (e.g. a report disclosed by the server).
    async fn record_audit(&self, entry: AuditEntry) -> StoreResult<AuditRecord>;

    /// Audit records with `seq` greater than `after`, at most `limit`.
    async fn audit_records(&self, after: i64, limit: u64) -> StoreResult<Vec<AuditRecord>>;

    /// Writes a signed checkpoint now (the store also does so every 1,000 records or 5 minutes).
    async fn audit_checkpoint(&self) -> StoreResult<()>;

    /// The signed head as stored (what `rasso audit anchor` hands to a witness), if any record
    /// has been written. Not checked here: [`AuditStore::verify_audit`] checks it.
    async fn audit_head(&self) -> StoreResult<Option<SignedHead>>;

    /// Checks the chain, the checkpoints, the signed head (its counts and state digest) and every
    /// case's events against the log, with the trusted public key.
    async fn verify_audit(
        &self,
        trusted: &ed25519_dalek::VerifyingKey,
    ) -> StoreResult<VerifyReport> {
        self.verify_audit_against(trusted, None).await
    }

    /// [`AuditStore::verify_audit`], and also that the log extends `anchor` (a signed head kept
    /// outside the database, see `rasso audit anchor`): a log older than the anchor, or one that
    /// does not contain the anchored record, fails.
    async fn verify_audit_against(
        &self,
        trusted: &ed25519_dalek::VerifyingKey,
        anchor: Option<&SignedHead>,
    ) -> StoreResult<VerifyReport>;
}

/// Users, their sessions, and the sign-in state the web server keeps in the store (failures and first sign-ins).
#[async_trait]
pub trait AccountStore: Send + Sync + std::fmt::Debug {
    /// Adds a user (an alteration of the user list, audited).
    async fn add_user(&self, access: &Access, user: &User) -> StoreResult<()>;

    /// A user by name.
    async fn user(&self, username: &str) -> StoreResult<Option<User>>;

    /// Every user, by name.
    async fn list_users(&self, access: &Access) -> StoreResult<Vec<User>>;

    /// Disables or re-enables a user (audited); disabling ends their sessions.
    async fn set_user_disabled(
        &self,
        access: &Access,
        username: &str,
        disabled: bool,
    ) -> StoreResult<()>;

    /// Gives a user a force (or makes them national): audited as an alteration of the user list;
    /// ends their sessions, so the new scope applies from their next sign-in. Refused when the
    /// scope is both, or the user's officer identifier is already taken in that force.
    async fn set_user_scope(
        &self,
        access: &Access,
        username: &str,
        force: Option<&str>,
        national: bool,
    ) -> StoreResult<()>;

    /// Changes a user's role (audited as an alteration of the user list); ends their sessions,
    /// so the new role applies from their next sign-in. Refused for a national user when the
    /// role may not be national (the caller says which roles may, `national_allowed`).
    async fn set_user_role(
        &self,
        access: &Access,
        username: &str,
        role: &str,
        national_allowed: bool,
    ) -> StoreResult<()>;

    /// Notes an attempt to sign in as the known user `username` at `at`, and forgets attempts
    /// older than [`crate::model::SIGN_IN_HISTORY_DAYS`].
    async fn note_sign_in(
        &self,
        username: &str,
        at: DateTime<Utc>,
        outcome: SignInOutcome,
    ) -> StoreResult<()>;

    /// Attempts to sign in as the users of `of` at or after `since`, newest first, at most
    /// `limit` (a consultation of the sign-in history, audited). `of` is the administrator's own
    /// scope: a force's users (as they are now), every user for a national one, nobody for an
    /// account without a force. The force is chosen here, in the query, so that another force's
    /// attempts are never read and a busy force cannot crowd out this one's within `limit`.
    async fn recent_sign_ins(
        &self,
        access: &Access,
        of: UserScope<'_>,
        since: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<SignIn>>;

    /// Stores a new session.
    async fn create_session(&self, session: &Session) -> StoreResult<()>;

    /// A session by token hash.
    async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>>;

    /// [`AccountStore::session`], with the change counter of the force its user belongs to
    /// (`None` when the user has no force), read together: a caller about to list that force's
    /// cases ([`CaseStore::list_cases_if_changed_at`]) spares a read of its own. SQLite reads
    /// the three in one read transaction. The counter reveals no case data (it is not audited).
    async fn session_with_force_changes(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<(Session, Option<ForceChanges>)>>;

    /// Records activity on a session.
    async fn touch_session(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()>;

    /// Ends a session.
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    /// Ends sessions idle since before `idle_before` or created before `created_before`; returns
    /// how many.
    async fn expire_sessions(
        &self,
        idle_before: DateTime<Utc>,
        created_before: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// Notes a failed sign-in of `username` at `at`, forgets its failures before `window_start`,
    /// and returns how many remain (this one included).
    async fn note_sign_in_failure(
        &self,
        username: &str,
        at: DateTime<Utc>,
        window_start: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// Failed sign-ins of `username` at or after `window_start`.
    async fn sign_in_failures(
        &self,
        username: &str,
        window_start: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// Forgets the failed sign-ins of `username` (after a successful sign-in).
    async fn clear_sign_in_failures(&self, username: &str) -> StoreResult<()>;

    /// Records `session` as the first sign-in of `username`, unless the user has signed in before;
    /// true when it was the first.
    async fn record_first_sign_in(
        &self,
        username: &str,
        session: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// The session of the user's first sign-in, if they have signed in.
    async fn first_sign_in_session(&self, username: &str) -> StoreResult<Option<String>>;
}

/// Sharing cases with partners and break-glass access (see [`crate::server_state`]), each change audited in its own transaction.
#[async_trait]
pub trait SharingStore: Send + Sync + std::fmt::Debug {
    /// Declares break-glass access to a case for `session`, with `access.reason` (required),
    /// audited in the same transaction (a consultation of the case, purpose break-glass).
    async fn declare_break_glass(
        &self,
        access: &Access,
        key: &CaseKey,
        session: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<BreakGlassDeclaration>;

    /// The reason `session` declared for break-glass access to this case, if it did.
    async fn break_glass_grant(&self, session: &str, key: &CaseKey) -> StoreResult<Option<String>>;

    /// Every break-glass declaration on a case, oldest first.
    async fn break_glass_on(&self, key: &CaseKey) -> StoreResult<Vec<BreakGlassDeclaration>>;

    /// Shares a case with a partner user: recorded, and audited in the same transaction as a
    /// disclosure whose recipient is the partner. Refused unless the partner is a user.
    async fn share_case(&self, access: &Access, share: &NewShare) -> StoreResult<CaseShare>;

    /// Revokes a share of this case (audited); revoking a revoked share changes nothing.
    async fn revoke_share(
        &self,
        access: &Access,
        key: &CaseKey,
        id: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<CaseShare>;

    /// Every share of a case, revoked ones included, oldest first.
    async fn case_shares(&self, key: &CaseKey) -> StoreResult<Vec<CaseShare>>;

    /// The shares in force with a partner, by case.
    async fn shares_with(&self, partner: &str) -> StoreResult<Vec<CaseShare>>;
}

/// Suspect linkage inside the store (docs/linkage.md): candidate links, their review, re-linking and repeat-suspect counts.
#[async_trait]
pub trait LinkageStore: Send + Sync + std::fmt::Debug {
    /// Candidate links for an identity against every stored suspect, best first (a lookup:
    /// nothing is written). Suspects of `exclude_case` are left out. A consultation of the
    /// suspects' sealed details, audited as such; names never leave the store.
    async fn link_candidates(
        &self,
        access: &Access,
        identity: &Identity,
        exclude_case: Option<&CaseKey>,
    ) -> StoreResult<Vec<LinkMatch>>;

    /// Every link (suggested, confirmed, rejected) of a case's suspects, best score first.
    async fn case_links(&self, access: &Access, case: &CaseKey) -> StoreResult<Vec<CaseLink>>;

    /// Confirms or rejects a link, with the reviewer's rationale (required). Audited as an
    /// alteration of both cases. Returns the link as it now stands (seen from its first side).
    async fn decide_link(
        &self,
        access: &Access,
        link_id: i64,
        decision: LinkDecision,
        rationale: &str,
    ) -> StoreResult<CaseLink>;

    /// Rebuilds linkage for the whole store in pages (bounded memory): profiles from sealed
    /// identities, the blind index, and suggestions (decided links are kept).
    async fn relink_all(
        &self,
        access: &Access,
        progress: &mut ProgressSink<'_>,
    ) -> StoreResult<RelinkReport>;

    /// Repeat-suspect counts (confirmed links), optionally for one force.
    async fn repeat_suspects(
        &self,
        access: &Access,
        force: Option<&str>,
    ) -> StoreResult<RepeatSuspects>;
}

/// Report facts: the per-case facts reports read instead of evaluating every case.
#[async_trait]
pub trait FactsStore: Send + Sync + std::fmt::Debug {
    /// Streams what a report over `query` needs (audited once, as a combination of case data):
    /// the stored facts of every case of the force first reported in the date range whose facts
    /// hold at `query.as_of`, then every case of the force with events after `query.as_of`, in
    /// full (the report decides whether those are in range). `None`, with nothing streamed and
    /// nothing audited, when the stored facts are incomplete or were taken under another basis:
    /// the caller then evaluates every case (`reports::build_report` does both).
    async fn report_facts(
        &self,
        access: &Access,
        query: &FactsQuery,
        sink: &mut FactsSink<'_>,
    ) -> StoreResult<Option<u64>>;

    /// Recomputes the facts of every case under the store's rule set and marks them complete
    /// (audited). For stores created before facts existed, or after the rule set's basis changed.
    /// Returns the number of cases.
    async fn rebuild_report_facts(&self, access: &Access) -> StoreResult<u64>;

    /// Report facts written from now on include these force plugins' findings, under the rule set
    /// they make (`reporting::PluginRules`; `plugin_host::PluginHost` is one). An empty store
    /// records their basis at once (it has no facts to miss); a store with cases keeps its recorded
    /// basis, and its first append marks the facts stale, until `rebuild_report_facts` (with the
    /// plugins attached) takes them again.
    async fn attach_plugin_rules(
        &mut self,
        plugins: std::sync::Arc<dyn reporting::PluginRules>,
    ) -> StoreResult<()>;
}

/// Keys and backup: master-key rotation and online backup.
#[async_trait]
pub trait AdminStore: Send + Sync + std::fmt::Debug {
    /// Re-wraps every data key with `new_master` (sealed data is not rewritten). Returns how many
    /// keys were re-wrapped. The store uses the new key from then on.
    async fn rotate_master_key(&self, access: &Access, new_master: &MasterKey) -> StoreResult<u64>;

    /// Takes a consistent online copy into `dest` (a file that must not exist) while writes go on.
    async fn backup(&self, access: &Access, dest: &Path) -> StoreResult<BackupInfo>;
}
