//! What every request shares: the store, the rule set, the guidance and the case read-model cache.
//! Sign-in failures, first sign-ins, break-glass declarations and shares with partners are kept
//! in the store (they must survive restarts and be the same for every server process).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use domain::{Case, CaseKey, RuleSet};
use storage::{Access, Purpose, Store};

mod cache;

pub use cache::{
    CachedCase, Caseload, FINDINGS_REUSE_SECS, Findings, FixedJson, HeldCaseload, findings,
};

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

/// A case list as last listed: the change counter it was listed at, and each listed case as held
/// at its listed version.
#[derive(Debug, Clone)]
pub struct HeldList {
    pub changes: u64,
    pub cases: Arc<Vec<Arc<CachedCase>>>,
}

/// A user as last read from the store, and when it was read.
pub type HeldUser = (Arc<storage::User>, DateTime<Utc>);

/// Shared server state.
#[derive(Debug)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub rules: RuleSet,
    pub library: guidance::Library,
    /// Guidance page titles by id (findings name their page).
    pub guidance_titles: HashMap<String, String>,
    pub search: guidance::SearchIndex,
    pub config: Config,
    /// Cases as last read, by key, with their version: lists are served from here, checked
    /// against the store's projection versions on every list request.
    pub cache: RwLock<HashMap<CaseKey, Arc<CachedCase>>>,
    /// An argon2id hash of nothing anyone knows, verified against when a username is unknown so
    /// that unknown and known users take the same time (no user enumeration).
    pub dummy_hash: String,
    /// When this process last wrote each session's activity: concurrent requests of one session
    /// write it once, not once each.
    pub touched: Mutex<HashMap<String, DateTime<Utc>>>,
    /// Users as last read for a request, with when (see `auth::known_user`).
    pub users: Mutex<HashMap<String, HeldUser>>,
    /// Case lists as last listed, by filter, with the change counter of the filter's
    /// force at the time: reused while the counter stands still (see `ops::cases::open_cases`).
    pub case_lists: Mutex<HashMap<storage::CaseFilter, HeldList>>,
    /// Officers' caseloads as last worked out, by username (see `crate::ops::cases::my_caseload`).
    pub caseloads: Mutex<HashMap<String, HeldCaseload>>,
    /// Officers' names by (force, officer identifier), from the user list: read at start and
    /// again whenever the web changes a user (see [`AppState::load_officers`]).
    pub officers: RwLock<HashMap<(String, String), String>>,
}

impl AppState {
    /// State over `store`, with the national rules and guidance; warms the case cache (one audited
    /// combination of every case, by the server itself).
    pub async fn new(store: Arc<dyn Store>, config: Config) -> anyhow::Result<Arc<AppState>> {
        let (library, _report) = guidance::national()?;
        let search = guidance::SearchIndex::build(&library).await?;
        let dummy_hash = crate::secrets::hash_password("no such user, no such password")?;
        let guidance_titles = library
            .all_pages()
            .map(|page| (page.id.clone(), page.title.clone()))
            .collect();
        let state = Arc::new(AppState {
            store,
            rules: RuleSet::national(),
            library,
            guidance_titles,
            search,
            config,
            cache: RwLock::new(HashMap::new()),
            dummy_hash,
            touched: Mutex::new(HashMap::new()),
            users: Mutex::new(HashMap::new()),
            case_lists: Mutex::new(HashMap::new()),
            caseloads: Mutex::new(HashMap::new()),
            officers: RwLock::new(HashMap::new()),
        });
        state.warm().await?;
        state.load_officers().await?;
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

    /// Reads the user list (audited, by the server itself) into the officers' names.
    pub async fn load_officers(&self) -> anyhow::Result<()> {
        let access = Access::new("system:web", Purpose::Administration)
            .with_reason("officers' names for case pages");
        let users = self.store.list_users(&access).await?;
        let names = users
            .into_iter()
            .filter_map(|user| {
                let force = user.force?;
                Some(((force, user.officer_id), user.display_name))
            })
            .collect();
        *self
            .officers
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = names;
        Ok(())
    }

    /// An officer of `force` by name ("Jo Bloggs (4521)"), or by identifier when the officer
    /// has no account.
    pub fn officer_name(&self, force: &str, officer: &str) -> String {
        let names = self
            .officers
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match names.get(&(force.to_owned(), officer.to_owned())) {
            Some(name) => format!("{name} ({officer})"),
            None => format!("Officer {officer}"),
        }
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

    /// Whether this request should write the session's activity: true unless this process
    /// already did within `every` (see `auth::TOUCH_EVERY_SECS`).
    pub fn claim_touch(&self, session: &str, now: DateTime<Utc>, every: chrono::Duration) -> bool {
        let mut touched = lock(&self.touched);
        if touched.len() > 10_000 {
            touched.retain(|_, at| now - *at < every);
        }
        match touched.get(session) {
            Some(at) if now - *at < every => false,
            _ => {
                touched.insert(session.to_owned(), now);
                true
            }
        }
    }
}

/// Locks a mutex, recovering from poisoning (the data are simple maps).
pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
