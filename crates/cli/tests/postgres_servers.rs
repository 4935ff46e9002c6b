//! Several servers, one database, end to end: two real `rasso serve` processes on loopback ports
//! share one PostgreSQL schema, running as the application role (no BYPASSRLS). A session made on
//! one server works on the other and ends on both when signed out on either; concurrent clients
//! record events on the same case through both servers with optimistic concurrency (a stale
//! version is a 409 `conflict`, the client reads again and retries) and no acknowledged event is
//! lost or stored twice; the audit records both servers wrote form one chain that `rasso audit
//! verify` accepts.
//!
//! Runs only when `RASSO_TEST_PG` is a PostgreSQL URL (a role that may create schemas and roles);
//! otherwise it prints why it was skipped. The run uses a schema of its own (`rasso_e2e_<random>`,
//! selected with the URL's `options=-c search_path=...`), dropped at the end.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use serde_json::{Value, json};
use sqlx::{Connection, Row};

const FORCE: &str = "exampleshire";
const CASE: &str = "E2E-2026-000001";
const PASSWORD: &str = "synthetic-e2e-password";
/// The application role (created by `rasso migrate --app-role`; shared with the storage tests).
const APP_ROLE: &str = "rasso_test_app";
/// Users: one whose browser session moves between servers, one writer per server.
const USERS: [&str; 3] = ["shared", "writer-a", "writer-b"];
const CLIENTS_PER_SERVER: usize = 3;
const EVENTS_PER_CLIENT: usize = 5;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A schema of its own in the test database, keys in a temporary directory, and the URL that
/// selects the schema. Dropping it drops the schema.
struct Deployment {
    admin_url: String,
    schema: String,
    url: String,
    dir: tempfile::TempDir,
    master_key: PathBuf,
    audit_key: PathBuf,
}

impl Deployment {
    fn new(admin_url: &str) -> Deployment {
        let schema = format!("rasso_e2e_{:016x}", rand::random::<u64>());
        runtime().block_on(async {
            let mut connection = sqlx::PgConnection::connect(admin_url)
                .await
                .expect("connect");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
                .execute(&mut connection)
                .await
                .expect("create schema");
            connection.close().await.expect("close");
        });
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options=-c%20search_path%3D{schema}");
        let dir = tempfile::tempdir().expect("tempdir");
        let master_key = dir.path().join("master.key");
        let audit_key = dir.path().join("audit-signing.key");
        std::fs::write(&master_key, hex::encode(rand::random::<[u8; 32]>())).expect("master key");
        std::fs::write(&audit_key, hex::encode(rand::random::<[u8; 32]>())).expect("audit key");
        Deployment {
            admin_url: admin_url.to_owned(),
            schema,
            url,
            dir,
            master_key,
            audit_key,
        }
    }

    /// `rasso ARGS` on this deployment's database and keys, nothing inherited from the
    /// environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rasso"));
        command
            .env("RASSO_OPERATOR", "test-operator")
            .args(args)
            .arg("--data")
            .arg(self.dir.path().join("data"))
            .arg("--database")
            .arg(&self.url)
            .arg("--key-file")
            .arg(&self.master_key)
            .arg("--audit-key-file")
            .arg(&self.audit_key);
        for name in [
            "RASSO_MASTER_KEY",
            "RASSO_MASTER_KEY_FILE",
            "RASSO_AUDIT_KEY",
            "RASSO_AUDIT_KEY_FILE",
            "RASSO_DATABASE",
            "RASSO_APP_ROLE",
            "RASSO_LISTEN",
        ] {
            command.env_remove(name);
        }
        command.env("RASSO_LOG", "warn");
        command
    }

    fn rasso(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run rasso");
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("write stdin");
        }
        drop(input);
        let output = child.wait_with_output().expect("rasso output");
        assert!(
            output.status.success(),
            "rasso {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Starts `rasso serve` on a free loopback port, as the application role, and waits until it
    /// listens (it prints its address once the listener is bound).
    fn serve(&self) -> Server {
        let mut child = self
            .command(&["serve", "--listen", "127.0.0.1:0", "--app-role", APP_ROLE])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start rasso serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        let base = loop {
            line.clear();
            let read = stdout.read_line(&mut line).expect("read server output");
            if read == 0 {
                let status = child.wait().expect("wait");
                panic!("rasso serve exited before it was ready ({status})");
            }
            if let Some(rest) = line.split("running at ").nth(1) {
                let address = rest.split_whitespace().next().expect("address");
                break address.trim_end_matches('/').to_owned();
            }
        };
        Server {
            child,
            _stdout: stdout,
            base,
        }
    }

    fn pool(&self) -> sqlx::PgPool {
        let options: sqlx::postgres::PgConnectOptions = self.admin_url.parse().expect("url");
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(options.options([("search_path", self.schema.as_str())]))
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        let (url, schema) = (self.admin_url.clone(), self.schema.clone());
        // A fresh thread: a runtime cannot start inside another one if the test panicked in one.
        let dropped = std::thread::spawn(move || {
            runtime().block_on(async {
                let mut connection = sqlx::PgConnection::connect(&url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                )))
                .execute(&mut connection)
                .await?;
                connection.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop schema {}", self.schema);
        }
    }
}

/// A running `rasso serve`; killed when dropped.
struct Server {
    child: Child,
    // Kept open so that the server never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
    base: String,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn interchange_file(dir: &Path) -> PathBuf {
    let mut lines = vec![
        json!({"case": CASE, "force": FORCE, "at": "2026-03-02T09:15:00Z", "kind": "report_received",
               "id": "e2e-1", "channel": "101", "offences": ["SOA2003-s1"], "location": {"country": "GB"}}),
        json!({"case": CASE, "force": FORCE, "at": "2026-03-02T09:20:00Z", "kind": "person_added",
               "id": "e2e-2", "person": "V1", "role": "victim",
               "identity": {"given_name": "Orlaith", "family_name": "Penwarden"}}),
        json!({"case": CASE, "force": FORCE, "at": "2026-03-02T10:05:00Z", "kind": "crime_recorded",
               "id": "e2e-3", "offences": ["SOA2003-s1"]}),
    ];
    for (index, user) in USERS.iter().enumerate() {
        lines.push(
            json!({"case": CASE, "force": FORCE, "at": format!("2026-03-02T11:0{index}:00Z"),
                          "kind": "officer_allocated", "id": format!("e2e-officer-{user}"),
                          "officer": user, "role": "oic"}),
        );
    }
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    let path = dir.join("e2e-case.jsonl");
    std::fs::write(&path, text).expect("write interchange file");
    path
}

fn hidden_csrf(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("csrf field") + marker.len();
    let end = html[start..].find('"').expect("end of csrf field");
    html[start..start + end].to_owned()
}

fn set_cookie(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .and_then(|value| value.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie"))
        .to_owned()
}

/// A browser session: its cookie and CSRF token.
struct BrowserSession {
    cookie: String,
    csrf: String,
}

/// Signs in through the form, as a browser would. The cookies are `__Host-` and `Secure`; a
/// browser sends them to `http://127.0.0.1` (a secure context), and this client sends the
/// `Cookie` header itself, as the web crate's HTTP tests do.
async fn sign_in_form(client: &reqwest::Client, server: &Server, username: &str) -> BrowserSession {
    let form = client
        .get(server.url("/sign-in"))
        .send()
        .await
        .expect("sign-in page");
    let pre = set_cookie(&form, "__Host-rasso-pre");
    let csrf = hidden_csrf(&form.text().await.expect("body"));
    let response = client
        .post(server.url("/sign-in"))
        .header("cookie", &pre)
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status(), 303, "sign-in of {username}");
    let cookie = set_cookie(&response, "__Host-rasso-session");
    let home = client
        .get(server.url("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("home");
    let csrf = hidden_csrf(&home.text().await.expect("home body"));
    BrowserSession { cookie, csrf }
}

async fn sign_in_api(client: &reqwest::Client, server: &Server, username: &str) -> String {
    let response = client
        .post(server.url("/api/session"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .expect("api sign in");
    assert_eq!(response.status(), 201, "api sign-in of {username}");
    let body: Value = response.json().await.expect("json");
    body["token"].as_str().expect("token").to_owned()
}

fn case_path() -> String {
    format!("/api/cases/{FORCE}/{CASE}")
}

fn note(id: &str) -> Value {
    json!({"kind": "note", "id": id, "text": "synthetic progress note"})
}

async fn case_version(client: &reqwest::Client, base: &str, token: &str) -> u64 {
    let response = client
        .get(format!("{base}{}", case_path()))
        .bearer_auth(token)
        .send()
        .await
        .expect("read case");
    assert_eq!(response.status(), 200, "read case");
    let body: Value = response.json().await.expect("json");
    body["version"].as_u64().expect("version")
}

/// Posts a note at `expected` version; returns the status and the error code, if any.
async fn post_note(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    id: &str,
    expected: u64,
) -> (u16, Option<String>) {
    let response = client
        .post(format!(
            "{base}{}/events?confirm=true&expected_version={expected}",
            case_path()
        ))
        .bearer_auth(token)
        .json(&note(id))
        .send()
        .await
        .expect("record");
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body["code"].as_str().map(str::to_owned))
}

/// One client: records its notes one by one at the version it just read, reading again and
/// retrying on a conflict. Returns the acknowledged ids and the conflicts met.
async fn client_run(
    client: reqwest::Client,
    base: String,
    token: String,
    name: String,
) -> (Vec<String>, u64) {
    let mut acknowledged = Vec::new();
    let mut conflicts = 0;
    for n in 0..EVENTS_PER_CLIENT {
        let id = format!("{name}-note-{n}");
        loop {
            let version = case_version(&client, &base, &token).await;
            match post_note(&client, &base, &token, &id, version).await {
                (201, _) => break,
                (409, Some(code)) if code == "conflict" => conflicts += 1,
                other => panic!("recording {id} answered {other:?}"),
            }
        }
        acknowledged.push(id);
    }
    (acknowledged, conflicts)
}

#[test]
fn two_servers_share_one_database_sessions_writes_and_one_audit_chain() {
    let Ok(admin_url) = std::env::var("RASSO_TEST_PG") else {
        eprintln!(
            "skipped two_servers_share_one_database_sessions_writes_and_one_audit_chain: set \
             RASSO_TEST_PG to a PostgreSQL URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run it"
        );
        return;
    };
    let deployment = Deployment::new(&admin_url);

    // Set-up with the command line, as an administrator would.
    deployment.rasso(&["migrate", "--app-role", APP_ROLE], None);
    let file = interchange_file(deployment.dir.path());
    deployment.rasso(
        &[
            "import",
            file.to_str().expect("path"),
            "--app-role",
            APP_ROLE,
        ],
        None,
    );
    for user in USERS {
        deployment.rasso(
            &[
                "user",
                "add",
                user,
                "--role",
                "investigator",
                "--force",
                FORCE,
                "--app-role",
                APP_ROLE,
            ],
            Some(&format!("{PASSWORD}\n")),
        );
    }
    let a = deployment.serve();
    let b = deployment.serve();
    assert_ne!(a.base, b.base, "two servers on two ports");

    let runtime = runtime();
    let acknowledged: BTreeSet<String> = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");

        // A browser session made on A works on B, CSRF token included.
        let browser = sign_in_form(&client, &a, "shared").await;
        let caseload = client
            .get(b.url("/caseload"))
            .header("cookie", &browser.cookie)
            .send()
            .await
            .expect("caseload on B");
        assert_eq!(caseload.status(), 200, "A's session cookie is valid on B");
        let version = {
            let response = client
                .get(b.url(&case_path()))
                .header("cookie", &browser.cookie)
                .send()
                .await
                .expect("case on B");
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.expect("json")["version"]
                .as_u64()
                .expect("version")
        };
        let recorded = client
            .post(b.url(&format!(
                "{}/events?confirm=true&expected_version={version}",
                case_path()
            )))
            .header("cookie", &browser.cookie)
            .header("x-csrf-token", &browser.csrf)
            .json(&note("shared-note-1"))
            .send()
            .await
            .expect("record on B");
        assert_eq!(recorded.status(), 201, "recorded on B with A's session");
        let mut acknowledged = BTreeSet::from(["shared-note-1".to_owned()]);

        // A stale version is refused with a conflict and stores nothing...
        let writer_a = sign_in_api(&client, &a, "writer-a").await;
        let writer_b = sign_in_api(&client, &b, "writer-b").await;
        let stale = post_note(&client, &a.base, &writer_a, "stale-note", version).await;
        assert_eq!(stale, (409, Some("conflict".to_owned())), "stale version");
        // ...while a retry of an event already stored is accepted again (idempotent).
        let retried = post_note(&client, &a.base, &writer_a, "shared-note-1", version).await;
        assert_eq!(retried.0, 201, "retry of a stored event");

        // Concurrent clients on the same case through both servers.
        let mut tasks = Vec::new();
        for (server, token, tag) in [(&a, &writer_a, "a"), (&b, &writer_b, "b")] {
            for c in 0..CLIENTS_PER_SERVER {
                tasks.push(tokio::spawn(client_run(
                    client.clone(),
                    server.base.clone(),
                    token.clone(),
                    format!("client-{tag}{c}"),
                )));
            }
        }
        let mut conflicts = 0;
        for task in tasks {
            let (ids, met) = task.await.expect("client task");
            acknowledged.extend(ids);
            conflicts += met;
        }
        eprintln!("concurrent clients met {conflicts} conflicts (each read again and retried)");

        // Signing out on B ends the session on A too; a bearer session likewise.
        let signed_out = client
            .delete(b.url("/api/session"))
            .header("cookie", &browser.cookie)
            .header("x-csrf-token", &browser.csrf)
            .send()
            .await
            .expect("sign out on B");
        assert_eq!(signed_out.status(), 204);
        let after = client
            .get(a.url(&case_path()))
            .header("cookie", &browser.cookie)
            .send()
            .await
            .expect("case on A after sign-out");
        assert_eq!(after.status(), 401, "the session ended on A too");
        let signed_out = client
            .delete(a.url("/api/session"))
            .bearer_auth(&writer_b)
            .send()
            .await
            .expect("sign out writer-b on A");
        assert_eq!(signed_out.status(), 204);
        let after = client
            .get(b.url(&case_path()))
            .bearer_auth(&writer_b)
            .send()
            .await
            .expect("case on B after sign-out");
        assert_eq!(after.status(), 401, "writer-b's token ended on B too");
        acknowledged
    });
    drop(a);
    drop(b);
    assert_eq!(
        acknowledged.len(),
        1 + 2 * CLIENTS_PER_SERVER * EVENTS_PER_CLIENT
    );

    // Every acknowledged event is stored exactly once, nothing else was, and the version counts
    // them all. (The test's connection is a superuser, so row-level security does not hide rows.)
    let (stored, version, actors, seqs) = runtime.block_on(async {
        let pool = deployment.pool();
        let rows = sqlx::query(
            "SELECT e.event_id, count(*) FROM events e JOIN cases c ON c.case_id = e.case_id \
             WHERE c.force = $1 AND c.reference = $2 AND e.kind = 'note' GROUP BY e.event_id",
        )
        .bind(FORCE)
        .bind(CASE)
        .fetch_all(&pool)
        .await
        .expect("stored notes");
        let stored: BTreeMap<String, i64> = rows
            .iter()
            .map(|row| (row.get::<String, _>(0), row.get::<i64, _>(1)))
            .collect();
        let version: i64 = sqlx::query_scalar("SELECT version FROM cases WHERE reference = $1")
            .bind(CASE)
            .fetch_one(&pool)
            .await
            .expect("version");
        let actors: BTreeSet<String> = sqlx::query_scalar("SELECT DISTINCT actor FROM audit_log")
            .fetch_all(&pool)
            .await
            .expect("actors")
            .into_iter()
            .collect();
        let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM audit_log ORDER BY seq")
            .fetch_all(&pool)
            .await
            .expect("seqs");
        pool.close().await;
        (stored, version, actors, seqs)
    });
    let expected: BTreeMap<String, i64> = acknowledged.iter().map(|id| (id.clone(), 1)).collect();
    assert_eq!(
        stored, expected,
        "each acknowledged note stored exactly once"
    );
    let imported = 3 + USERS.len() as i64;
    assert_eq!(version, imported + acknowledged.len() as i64);

    // One chain with records written through both servers: writer-a only ever used A, writer-b
    // only B.
    for actor in [
        "user:shared",
        "user:writer-a",
        "user:writer-b",
        "system:web",
    ] {
        assert!(
            actors.contains(actor),
            "audit records of {actor}: {actors:?}"
        );
    }
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "one sequence"
    );
    let verified = deployment.rasso(&["audit", "verify", "--json"], None);
    let report: Value = serde_json::from_slice(&verified.stdout).expect("verify json");
    assert!(report["problem"].is_null(), "chain verifies: {report}");
    assert_eq!(report["records"].as_u64(), Some(seqs.len() as u64));
}
