//! A server on 127.0.0.1:0 over a fresh SQLite store, with one user per role of force
//! `testshire` and three of its cases: TS-1 (every test user allocated to it), TS-2 and TS-3
//! (allocated to officers who are not users). A second force, `otherford`, has its own users
//! whose officer identifiers are the very same (`fr`, `inv`, ...: officer identifiers are only
//! unique within a force) and a case OF-1 allocated to them. National users and an account with
//! no force complete the cast.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{Duration, SecondsFormat, Utc};
use storage::{
    Access, Append, AuditSigner, ExpectedVersion, MasterKey, NewEvent, Purpose, SqliteOptions,
    SqliteStore, Store, User,
};
use web::access::Role;

pub const PASSWORD: &str = "correct horse battery staple";
pub const FORCE: &str = "testshire";
/// The second force.
pub const OTHER_FORCE: &str = "otherford";

/// Users of the other force: (username, officer identifier, role). Their officer identifiers are
/// the testshire users' usernames (and officer identifiers).
pub const OTHER_USERS: [(&str, &str, Role); 4] = [
    ("of-inv", "inv", Role::Investigator),
    ("of-sup", "sup", Role::Supervisor),
    ("of-lead", "lead", Role::Leader),
    ("of-par", "par", Role::Partner),
];

/// National users, and (last) an account made without a force, which is NOT national.
pub const NATIONAL_USERS: [(&str, Role, bool); 4] = [
    ("nat-lead", Role::Leader, true),
    ("nat-ana", Role::Analyst, true),
    ("nat-adm", Role::Admin, true),
    ("noforce-inv", Role::Investigator, false),
];

/// Test users, in the order of `Role::ALL`.
pub const USERS: [(&str, Role); 7] = [
    ("fr", Role::FirstResponder),
    ("inv", Role::Investigator),
    ("sup", Role::Supervisor),
    ("lead", Role::Leader),
    ("ana", Role::Analyst),
    ("par", Role::Partner),
    ("adm", Role::Admin),
];

pub struct Server {
    pub base: String,
    pub store: Arc<dyn Store>,
    pub state: Arc<web::AppState>,
    pub client: reqwest::Client,
    _dir: Arc<tempfile::TempDir>,
}

/// The share of TS-1 with the partner `par` that tests keep in force.
pub const KEPT_SHARE: i64 = 1;
/// A second share of TS-1 with `par` that tests may revoke.
pub const SPARE_SHARE: i64 = 2;

fn line(case: &str, at: chrono::DateTime<Utc>, kind: &str, fields: serde_json::Value) -> String {
    let force = if case.starts_with("OF-") {
        OTHER_FORCE
    } else {
        FORCE
    };
    let mut object = serde_json::json!({
        "case": case, "force": force,
        "at": at.to_rfc3339_opts(SecondsFormat::Secs, true), "kind": kind,
    });
    if let (Some(o), Some(f)) = (object.as_object_mut(), fields.as_object()) {
        for (k, v) in f {
            o.insert(k.clone(), v.clone());
        }
    }
    object.to_string()
}

/// The events of a test case: reported two days ago, a victim (with an invented identity) and a
/// suspect (the same invented person in every case), the suspect arrested an hour ago (so
/// VC-INFORM is due).
pub fn case_lines(case: &str, team: &[(&str, &str)]) -> Vec<String> {
    let now = Utc::now();
    let report = now - Duration::days(2);
    let mut lines = vec![
        line(
            case,
            report,
            "report_received",
            serde_json::json!({"channel": "101", "offences": ["SOA2003-s1"], "location": {"country": "GB"}}),
        ),
        line(
            case,
            report + Duration::minutes(5),
            "person_added",
            serde_json::json!({"person": "V1", "role": "victim", "identity": {"given_name": "Zelphinia", "family_name": "Quorrable"}}),
        ),
        line(
            case,
            report + Duration::minutes(6),
            "person_added",
            // The same invented suspect in every test case: linkage suggests links between them.
            serde_json::json!({"person": "S1", "role": "suspect", "identity": {"given_name": "Corwen", "family_name": "Ashdown-Pryce", "date_of_birth": "1984-07-19"}}),
        ),
        line(
            case,
            report + Duration::minutes(10),
            "crime_recorded",
            serde_json::json!({"offences": ["SOA2003-s1"]}),
        ),
    ];
    for (i, (officer, role)) in team.iter().enumerate() {
        lines.push(line(
            case,
            report + Duration::minutes(20 + i as i64),
            "officer_allocated",
            serde_json::json!({"officer": officer, "role": role}),
        ));
    }
    lines.push(line(
        case,
        now - Duration::hours(1),
        "suspect_arrested",
        serde_json::json!({"person": "S1"}),
    ));
    lines
}

pub async fn start() -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(SqliteOptions {
        path: dir.path().join("rasso.db"),
        master_key: MasterKey::generate(),
        signer: AuditSigner::from_seed([7; 32]),
    })
    .await
    .expect("open store");
    let store: Arc<dyn Store> = Arc::new(store);
    let access = Access::new("test", Purpose::Administration);
    let hash = web::auth::hash_password(PASSWORD).expect("hash");
    let user = |username: &str, officer: &str, role: Role, force: Option<&str>, national| User {
        username: username.to_owned(),
        display_name: format!("Test {username}"),
        role: role.as_str().to_owned(),
        force: force.map(str::to_owned),
        national,
        officer_id: officer.to_owned(),
        password_hash: hash.clone(),
        disabled: false,
        created_at: Utc::now(),
    };
    let mut users: Vec<User> = USERS
        .iter()
        .map(|(username, role)| user(username, username, *role, Some(FORCE), false))
        .collect();
    users.extend(
        OTHER_USERS.iter().map(|(username, officer, role)| {
            user(username, officer, *role, Some(OTHER_FORCE), false)
        }),
    );
    users.extend(
        NATIONAL_USERS
            .iter()
            .map(|(username, role, national)| user(username, username, *role, None, *national)),
    );
    for user in &users {
        store.add_user(&access, user).await.expect("add user");
    }
    let mut team: Vec<(&str, &str)> = USERS
        .iter()
        .filter(|(u, _)| *u != "sup")
        .map(|(u, _)| (*u, "oic"))
        .collect();
    team.push(("sup", "supervisor"));
    // OF-1 is otherford's: its team is otherford's officers `inv` and `sup` (and `fr`, `lead`,
    // `ana`, `par`, `adm`, who are not otherford users), the same identifiers as testshire's.
    let cases = [
        ("TS-1", team.clone()),
        ("TS-2", vec![("9001", "oic"), ("9002", "supervisor")]),
        ("TS-3", vec![("9003", "oic"), ("9004", "supervisor")]),
        ("OF-1", team.clone()),
    ];
    let import = Access::new("test", Purpose::Import);
    for (case, team) in cases {
        let events = case_lines(case, &team)
            .iter()
            .map(|l| NewEvent::from_line(l, 0).expect("valid line"))
            .collect();
        store
            .append(
                &import,
                vec![Append {
                    case: domain::CaseKey {
                        force: if case.starts_with("OF-") {
                            OTHER_FORCE.into()
                        } else {
                            FORCE.into()
                        },
                        reference: case.into(),
                    },
                    expected: ExpectedVersion::NoCase,
                    events,
                }],
            )
            .await
            .expect("append");
    }
    // TS-1 is shared with the partner (twice: one share to keep, one that tests may revoke).
    let sharer = Access::new("user:inv", Purpose::Disclosure);
    for reason in ["victim consents to ISVA support", "second share, revocable"] {
        store
            .share_case(
                &sharer,
                &storage::NewShare {
                    case: domain::CaseKey {
                        force: FORCE.into(),
                        reference: "TS-1".into(),
                    },
                    partner: "par".into(),
                    items: storage::SharedItem::ALL.to_vec(),
                    reason: reason.into(),
                    at: Utc::now(),
                },
            )
            .await
            .expect("share");
    }
    serve_over(store, Arc::new(dir)).await
}

/// Another server process over the same store (its own memory, the same database).
pub async fn another_process(server: &Server) -> Server {
    serve_over(server.store.clone(), server._dir.clone()).await
}

async fn serve_over(store: Arc<dyn Store>, dir: Arc<tempfile::TempDir>) -> Server {
    let state = web::AppState::new(store.clone(), web::Config::default())
        .await
        .expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address: SocketAddr = listener.local_addr().expect("address");
    tokio::spawn(web::serve(listener, state.clone()));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Server {
        base: format!("http://{address}"),
        store,
        state,
        client,
        _dir: dir,
    }
}

/// A signed-in browser-like session: the cookie header and the CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
    pub token: String,
}

fn hidden_csrf(html: &str) -> Option<String> {
    let start = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Signs in through the form; returns the response of the sign-in POST.
    pub async fn sign_in_response(&self, username: &str, password: &str) -> reqwest::Response {
        let form = self
            .client
            .get(self.url("/sign-in"))
            .send()
            .await
            .expect("sign-in page");
        let pre_cookie = form
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("__Host-rasso-pre="))
            .and_then(|v| v.split(';').next())
            .expect("pre cookie")
            .to_owned();
        let html = form.text().await.expect("body");
        let csrf = hidden_csrf(&html).expect("csrf field");
        self.client
            .post(self.url("/sign-in"))
            .header("cookie", pre_cookie)
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", username),
                ("password", password),
            ])
            .send()
            .await
            .expect("sign in")
    }

    pub async fn sign_in(&self, username: &str) -> Session {
        let response = self.sign_in_response(username, PASSWORD).await;
        assert_eq!(response.status(), 303, "sign-in of {username}");
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("__Host-rasso-session="))
            .and_then(|v| v.split(';').next())
            .expect("session cookie")
            .to_owned();
        let token = cookie.split('=').nth(1).expect("token").to_owned();
        let home = self
            .client
            .get(self.url("/"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("home");
        let csrf = hidden_csrf(&home.text().await.expect("home body")).expect("csrf on home");
        Session {
            cookie,
            csrf,
            token,
        }
    }

    pub async fn get(&self, session: &Session, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("cookie", &session.cookie)
            .send()
            .await
            .expect("get")
    }

    pub async fn post_form(
        &self,
        session: &Session,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut all: Vec<(&str, &str)> = vec![("csrf", session.csrf.as_str())];
        all.extend_from_slice(fields);
        self.client
            .post(self.url(path))
            .header("cookie", &session.cookie)
            .form(&all)
            .send()
            .await
            .expect("post")
    }

    pub async fn api(
        &self,
        session: &Session,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(&session.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("api")
    }

    /// The number of audit records.
    pub async fn audit_count(&self) -> usize {
        let mut after = 0;
        let mut count = 0;
        loop {
            let page = self
                .store
                .audit_records(after, 10_000)
                .await
                .expect("audit");
            let Some(last) = page.last() else { break };
            after = last.seq;
            count += page.len();
        }
        count
    }
}
