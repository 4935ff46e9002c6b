-- rasso storage schema, version 1, for PostgreSQL: the same tables, columns and constraints as
-- migrations/sqlite/0001_initial.sql, in PostgreSQL's spelling. Embedded by PgStore with
-- sqlx::migrate!; 0002 adds what only PostgreSQL has (row-level security, the audit lock row).

CREATE TABLE cases (
    case_id        BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    force          TEXT    NOT NULL,
    reference      TEXT    NOT NULL,
    version        BIGINT  NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('open', 'closed')),
    officer        TEXT,
    open_findings  BIGINT  NOT NULL,
    people         BIGINT  NOT NULL,
    reported_at    TEXT,
    last_event_at  TEXT,
    updated_at     TEXT    NOT NULL,
    UNIQUE (force, reference)
);
CREATE INDEX cases_by_officer ON cases (officer, force, reference);
CREATE INDEX cases_by_status ON cases (status, force, reference);

CREATE TABLE events (
    case_id    BIGINT  NOT NULL REFERENCES cases (case_id),
    seq        BIGINT  NOT NULL,
    event_id   TEXT    NOT NULL,
    at         TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    person     TEXT,
    body       TEXT    NOT NULL,
    audit_seq  BIGINT  NOT NULL,
    PRIMARY KEY (case_id, seq),
    UNIQUE (case_id, event_id)
);
CREATE INDEX events_people ON events (case_id, kind, person);

CREATE TABLE data_keys (
    key_id         BIGINT  PRIMARY KEY,
    master_key_id  TEXT    NOT NULL,
    nonce          BYTEA   NOT NULL,
    wrapped        BYTEA   NOT NULL,
    active         BOOLEAN NOT NULL,
    created_at     TEXT    NOT NULL
);

CREATE TABLE sealed (
    case_id     BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    field       TEXT   NOT NULL,
    person      TEXT   NOT NULL,
    key_id      BIGINT NOT NULL REFERENCES data_keys (key_id),
    nonce       BYTEA  NOT NULL,
    ciphertext  BYTEA  NOT NULL,
    PRIMARY KEY (case_id, seq, field),
    FOREIGN KEY (case_id, seq) REFERENCES events (case_id, seq)
);
CREATE INDEX sealed_by_person ON sealed (case_id, person, field);

CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    category   TEXT NOT NULL,
    object     TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    reason     TEXT,
    recipient  TEXT,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

CREATE TABLE audit_checkpoints (
    seq         BIGINT PRIMARY KEY,
    hash        TEXT NOT NULL,
    at          TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    signature   TEXT NOT NULL
);

CREATE TABLE audit_head (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    seq         BIGINT NOT NULL,
    hash        TEXT NOT NULL,
    at          TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    signature   TEXT NOT NULL
);

CREATE TABLE users (
    username       TEXT    PRIMARY KEY,
    display_name   TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    force          TEXT,
    password_hash  TEXT    NOT NULL,
    disabled       BOOLEAN NOT NULL,
    created_at     TEXT    NOT NULL
);

CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    username      TEXT NOT NULL REFERENCES users (username),
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (username);

-- Append-only: events, sealed fields and the audit log are never updated or deleted in place.
CREATE FUNCTION rasso_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION rasso_append_only();
CREATE TRIGGER sealed_append_only_update BEFORE UPDATE ON sealed
    FOR EACH ROW EXECUTE FUNCTION rasso_append_only();
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION rasso_append_only();
