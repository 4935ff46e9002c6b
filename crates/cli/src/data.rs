//! Where the data is and how to open it: `--data DIR` (default `./rasso-data`) or `--database
//! URL`, the master key and the audit signing key. Shared by every command that uses the store.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use storage::postgres::is_postgres_url;
use storage::{
    AuditSigner, FactsStore, KeyOrigin, KeySource, MasterKey, PgOptions, PgStore, SqliteOptions,
    SqliteStore, Store,
};

/// Options naming the data directory, the database and the keys.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// The data directory: the SQLite database and, for a demo, generated keys.
    #[arg(
        long,
        value_name = "DIR",
        env = "RASSO_DATA",
        default_value = "rasso-data"
    )]
    pub data: PathBuf,
    /// A database URL instead of the data directory's database: `sqlite://PATH` or
    /// `postgres://USER@HOST:PORT/DATABASE` (keys still come from the options below or DIR/keys).
    #[arg(long, value_name = "URL", env = "RASSO_DATABASE")]
    pub database: Option<String>,
    /// The master key file (32 bytes as hex or base64). Otherwise `RASSO_MASTER_KEY` (the key
    /// itself), else DIR/keys/master.key, generated for a new data directory.
    #[arg(long, value_name = "FILE", env = "RASSO_MASTER_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// The audit signing key file (an ed25519 seed, 32 bytes as hex or base64). Otherwise
    /// `RASSO_AUDIT_KEY`, else DIR/keys/audit-signing.key, generated for a new data directory.
    #[arg(long, value_name = "FILE", env = "RASSO_AUDIT_KEY_FILE")]
    pub audit_key_file: Option<PathBuf>,
    /// PostgreSQL only: after connecting (and migrating) as the URL's user, act as this role
    /// (`SET ROLE`), an application role without BYPASSRLS, so that row-level security applies to
    /// everything the process does. The URL's user must be a member of it. `rasso migrate
    /// --app-role ROLE` creates the role and grants it the tables. See docs/postgres.md.
    #[arg(long, value_name = "ROLE", env = "RASSO_APP_ROLE")]
    pub app_role: Option<String>,
    /// Who is running this command, as written in the audit log (`cli:NAME`): the operator's
    /// account name, configured rather than taken from the shell's `$USER`, which anyone can set.
    /// Otherwise `RASSO_OPERATOR`, else the first line of DIR/operator.
    #[arg(long, value_name = "NAME", env = "RASSO_OPERATOR")]
    pub operator: Option<String>,
}

impl DataArgs {
    /// Which database: the data directory's SQLite file, a `sqlite://` path or a PostgreSQL URL.
    pub fn location(&self) -> Result<Location> {
        match &self.database {
            None => Ok(Location::Sqlite(self.data.join("rasso.db"))),
            Some(url) => parse_location(url),
        }
    }

    /// True when the store already exists (a PostgreSQL database always counts as existing: it is
    /// created by its administrator and migrated on opening).
    pub fn exists(&self) -> Result<bool> {
        Ok(match self.location()? {
            Location::Sqlite(path) => path.exists(),
            Location::Postgres(_) => true,
        })
    }

    /// The SQLite database file (an error for PostgreSQL).
    pub fn database_path(&self) -> Result<PathBuf> {
        match self.location()? {
            Location::Sqlite(path) => Ok(path),
            Location::Postgres(_) => {
                bail!("this command works on a SQLite database file, not PostgreSQL")
            }
        }
    }

    fn keys_dir(&self) -> PathBuf {
        self.data.join("keys")
    }

    /// Where the master key comes from; a new key file may be generated only for a new database.
    pub fn master_source(&self, generate: bool) -> KeySource {
        KeySource {
            file: self.key_file.clone(),
            value: std::env::var("RASSO_MASTER_KEY").ok(),
            value_name: "RASSO_MASTER_KEY",
            default_file: self.keys_dir().join("master.key"),
            generate,
        }
    }

    fn audit_source(&self, generate: bool) -> KeySource {
        KeySource {
            file: self.audit_key_file.clone(),
            value: std::env::var("RASSO_AUDIT_KEY").ok(),
            value_name: "RASSO_AUDIT_KEY",
            default_file: self.keys_dir().join("audit-signing.key"),
            generate,
        }
    }

    /// The audit signing key (never generated: there is a store to verify only if there are keys).
    pub fn audit_signer(&self) -> Result<AuditSigner> {
        let (signer, _) = self
            .audit_source(false)
            .audit_signer()
            .context("cannot load the audit signing key")?;
        Ok(signer)
    }

    /// Opens the store. With `create`, a missing database is created (and, when no keys are
    /// given, key files are generated in the data directory, which is said on standard error);
    /// without it, a missing database is an error.
    pub async fn open(&self, create: bool) -> Result<Opened> {
        let location = self.location()?;
        if self.app_role.is_some() && matches!(location, Location::Sqlite(_)) {
            bail!("--app-role (RASSO_APP_ROLE) applies to a PostgreSQL database only");
        }
        self.open_at(&location, create).await
    }

    /// Opens the store at `location` with this command's keys (see [`DataArgs::open`]). A
    /// PostgreSQL database is migrated on opening; keys are never generated for it.
    pub async fn open_at(&self, location: &Location, create: bool) -> Result<Opened> {
        let path = match location {
            Location::Sqlite(path) => path.clone(),
            Location::Postgres(url) => {
                let (master_key, master_origin) = self
                    .master_source(false)
                    .master_key()
                    .context("cannot load the master key")?;
                let signer = self.audit_signer()?;
                let mut options = PgOptions::new(url.clone(), master_key, signer.clone());
                options.role = self.app_role.clone();
                let store = PgStore::open(options)
                    .await
                    .context("cannot open the PostgreSQL database")?;
                return Ok(Opened {
                    store: AnyStore::Postgres(store),
                    signer,
                    master_origin,
                });
            }
        };
        let exists = path.exists();
        if !exists && !create {
            bail!(
                "no database at {} (import something first, or give --data DIR)",
                path.display()
            );
        }
        let generate = !exists;
        let (master_key, master_origin) = self
            .master_source(generate)
            .master_key()
            .context("cannot load the master key")?;
        let (signer, audit_origin) = self
            .audit_source(generate)
            .audit_signer()
            .context("cannot load the audit signing key")?;
        for (origin, what) in [
            (&master_origin, "master key"),
            (&audit_origin, "audit signing key"),
        ] {
            if let KeyOrigin::Generated(file) = origin {
                eprintln!(
                    "note: generated a new {what} in {} (owner-only). For real data keep keys outside the data directory: see docs/storage.md",
                    file.display()
                );
            }
        }
        let store = SqliteStore::open(SqliteOptions {
            path: path.clone(),
            master_key,
            signer: signer.clone(),
        })
        .await
        .with_context(|| format!("cannot open the database {}", path.display()))?;
        Ok(Opened {
            store: AnyStore::Sqlite(store),
            signer,
            master_origin,
        })
    }
}

/// Where a store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

/// Parses `sqlite://PATH`, `sqlite:PATH` or `postgres://...`.
pub fn parse_location(url: &str) -> Result<Location> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Ok(Location::Sqlite(PathBuf::from(path)))
    } else if is_postgres_url(url) {
        Ok(Location::Postgres(url.to_owned()))
    } else {
        bail!("a database URL must start with sqlite:// or postgres://")
    }
}

/// Either store; dereferences to the [`Store`] trait.
#[derive(Debug)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl AnyStore {
    /// The store as a shared trait object, for the server.
    pub fn into_shared(self) -> std::sync::Arc<dyn Store> {
        match self {
            AnyStore::Sqlite(store) => std::sync::Arc::new(store),
            AnyStore::Postgres(store) => std::sync::Arc::new(store),
        }
    }

    /// Report facts written through this store from now on include these force plugins'
    /// findings (see `storage::FactsStore::attach_plugin_rules`).
    pub async fn attach_plugin_rules(
        &mut self,
        plugins: std::sync::Arc<dyn reporting::PluginRules>,
    ) -> Result<()> {
        match self {
            AnyStore::Sqlite(store) => FactsStore::attach_plugin_rules(store, plugins).await,
            AnyStore::Postgres(store) => FactsStore::attach_plugin_rules(store, plugins).await,
        }
        .context("cannot attach the plugins' rules to the store's report facts")
    }

    /// Closes the store's connections.
    pub async fn close(self) {
        match self {
            AnyStore::Sqlite(store) => store.close().await,
            AnyStore::Postgres(store) => store.close().await,
        }
    }
}

impl std::ops::Deref for AnyStore {
    type Target = dyn Store;

    fn deref(&self) -> &Self::Target {
        match self {
            AnyStore::Sqlite(store) => store,
            AnyStore::Postgres(store) => store,
        }
    }
}

/// An open store and the keys it was opened with.
#[derive(Debug)]
pub struct Opened {
    pub store: AnyStore,
    pub signer: AuditSigner,
    pub master_origin: KeyOrigin,
}

impl DataArgs {
    /// The actor of this command's audit records: `cli:` and the configured operator (see
    /// [`DataArgs::operator`]). A command that writes audit records refuses to run without one.
    pub fn actor(&self) -> Result<String> {
        let name = match &self.operator {
            Some(name) => name.trim().to_owned(),
            None => {
                let file = self.data.join("operator");
                match std::fs::read_to_string(&file) {
                    Ok(text) => text.lines().next().unwrap_or("").trim().to_owned(),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => bail!(
                        "who is running this? Give your operator name with --operator NAME, \
                         RASSO_OPERATOR, or a line in {} (it is recorded as the actor in the \
                         audit log)",
                        file.display()
                    ),
                    Err(error) => {
                        return Err(error)
                            .with_context(|| format!("cannot read {}", file.display()));
                    }
                }
            }
        };
        check_operator(&name)?;
        Ok(format!("cli:{name}"))
    }
}

/// An operator name: 1 to 64 letters, digits and `.`, `_`, `-`, `@`.
fn check_operator(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b))
    {
        bail!(
            "the operator name must be 1 to 64 letters, digits, `.`, `_`, `-` or `@` (--operator, RASSO_OPERATOR or the data directory's operator file)"
        );
    }
    Ok(())
}

/// A tokio runtime for a command (the command line is otherwise synchronous).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// A progress bar on standard error when it is a terminal; hidden when piped.
pub fn progress(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(total),
        if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    let template =
        format!("{{spinner}} {what} [{{bar:40}}] {{pos}}/{{len}} ({{per_sec}}, {{eta}})");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// A counting spinner on standard error when it is a terminal; hidden when piped.
pub fn spinner(what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        None,
        if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    let template = format!("{{spinner}} {what} {{pos}} ({{per_sec}})");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

/// Creates a file readable only by its owner (exports and reject files may hold identity).
pub fn create_private_file(path: &Path) -> Result<std::fs::File> {
    Ok(storage::owner_only::create(path)?)
}

/// A master key for rotation, from a file (generated there when missing).
pub fn new_master_key(path: &Path) -> Result<(MasterKey, bool)> {
    if path.exists() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let key = MasterKey::parse(&text).with_context(|| format!("{}", path.display()))?;
        Ok((key, false))
    } else {
        let key = MasterKey::generate();
        storage::keys::write_secret_file(path, &key.to_hex())?;
        Ok((key, true))
    }
}
