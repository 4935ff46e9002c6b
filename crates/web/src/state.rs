//! What every request shares: the store, the rule set, the guidance, the case read-model cache,
//! sign-in lockout counters and break-glass grants.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use domain::{Case, CaseKey, RuleSet};
use storage::{Access, Purpose, Store};

use crate::cases::CachedCase;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Send `Strict-Transport-Security` (set when a TLS-terminating proxy is in front).
    pub behind_tls: bool,
    /// Idle timeout of a session, in seconds (15 minutes).
    pub idle_timeout_secs: i64,
    /// Absolute lifetime of a session, in seconds (12 hours).
    pub absolute_timeout_secs: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            behind_tls: false,
            idle_timeout_secs: 15 * 60,
            absolute_timeout_secs: 12 * 60 * 60,
        }
    }
}

/// One break-glass declaration, kept to show the case's supervisor.
#[derive(Debug, Clone)]
pub struct BreakGlassEntry {
    pub actor: String,
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// Shared server state.
#[derive(Debug)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub rules: RuleSet,
    pub library: guidance::Library,
    pub search: guidance::SearchIndex,
    pub config: Config,
    /// Cases as last read, by key, with their version: lists are served from here, checked
    /// against the store's projection versions on every list request.
    pub cache: RwLock<HashMap<CaseKey, Arc<CachedCase>>>,
    /// Failed sign-ins per (lower-cased) username, most recent last.
    pub failures: Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
    /// Break-glass grants: (session token hash, case) -> reason.
    pub grants: Mutex<HashMap<(String, CaseKey), String>>,
    /// Break-glass declarations per case, for the case's supervisor.
    pub break_glass_log: Mutex<HashMap<CaseKey, Vec<BreakGlassEntry>>>,
    /// An argon2id hash of nothing anyone knows, verified against when a username is unknown so
    /// that unknown and known users take the same time (no user enumeration).
    pub dummy_hash: String,
    /// Users who have signed in since the server started (their first sign-in was offered the
    /// introductory toolkits).
    pub welcomed: Mutex<HashSet<String>>,
    /// Sessions that are their user's first.
    pub first_sessions: Mutex<HashSet<String>>,
}

impl AppState {
    /// State over `store`, with the national rules and guidance; warms the case cache (one audited
    /// combination of every case, by the server itself).
    pub async fn new(store: Arc<dyn Store>, config: Config) -> anyhow::Result<Arc<AppState>> {
        let (library, _report) = guidance::national()?;
        let search = guidance::SearchIndex::build(&library).await?;
        let dummy_hash = crate::auth::hash_password("no such user, no such password")?;
        let state = Arc::new(AppState {
            store,
            rules: RuleSet::national(),
            library,
            search,
            config,
            cache: RwLock::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            grants: Mutex::new(HashMap::new()),
            break_glass_log: Mutex::new(HashMap::new()),
            dummy_hash,
            welcomed: Mutex::new(HashSet::new()),
            first_sessions: Mutex::new(HashSet::new()),
        });
        state.warm().await?;
        Ok(state)
    }

    /// Reads every case into the cache.
    pub async fn warm(&self) -> anyhow::Result<()> {
        let access = Access::new("system:web", Purpose::Administration)
            .with_reason("server start: case list read model");
        let mut loaded: Vec<CachedCase> = Vec::new();
        self.store
            .stream_cases(&access, None, &mut |stored| {
                loaded.push(CachedCase::new(stored.case, stored.version));
                Ok(())
            })
            .await?;
        let mut cache = self.cache_write();
        for case in loaded {
            cache.insert(case.case.key.clone(), Arc::new(case));
        }
        Ok(())
    }

    /// The cached case, if any.
    pub fn cached(&self, key: &CaseKey) -> Option<Arc<CachedCase>> {
        self.cache_read().get(key).cloned()
    }

    /// Puts a freshly read case in the cache.
    pub fn remember(&self, case: Case, version: u64) -> Arc<CachedCase> {
        let cached = Arc::new(CachedCase::new(case, version));
        self.cache_write()
            .insert(cached.case.key.clone(), cached.clone());
        cached
    }

    fn cache_read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<CaseKey, Arc<CachedCase>>> {
        self.cache
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn cache_write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<CaseKey, Arc<CachedCase>>> {
        self.cache
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The time now (one place, so that it can be reasoned about).
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// The break-glass reason this session declared for this case, if any.
    pub fn grant(&self, session: &str, key: &CaseKey) -> Option<String> {
        lock(&self.grants)
            .get(&(session.to_owned(), key.clone()))
            .cloned()
    }

    /// Records a break-glass grant for this session and case.
    pub fn add_grant(&self, session: &str, key: &CaseKey, actor: &str, reason: &str) {
        lock(&self.grants).insert((session.to_owned(), key.clone()), reason.to_owned());
        lock(&self.break_glass_log)
            .entry(key.clone())
            .or_default()
            .push(BreakGlassEntry {
                actor: actor.to_owned(),
                at: self.now(),
                reason: reason.to_owned(),
            });
    }

    /// Break-glass declarations on a case.
    pub fn break_glass_on(&self, key: &CaseKey) -> Vec<BreakGlassEntry> {
        lock(&self.break_glass_log)
            .get(key)
            .cloned()
            .unwrap_or_default()
    }

    /// Forgets the grants of a session (sign-out).
    pub fn end_grants(&self, session: &str) {
        lock(&self.grants).retain(|(s, _), _| s != session);
    }
}

/// Locks a mutex, recovering from poisoning (the data are simple maps).
pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
