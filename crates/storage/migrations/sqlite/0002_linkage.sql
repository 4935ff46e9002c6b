-- Suspect linkage (docs/linkage.md).

-- One row per suspect (a person of a case added with the role `suspect` and an identity): the
-- identity details linkage compares, sealed like identity (XChaCha20-Poly1305 under a data key,
-- associated data binding case, person and the field `link_profile`).
CREATE TABLE link_people (
    person_id   INTEGER PRIMARY KEY,
    case_id     BIGINT  NOT NULL REFERENCES cases (case_id),
    person      TEXT    NOT NULL,
    key_id      BIGINT  NOT NULL REFERENCES data_keys (key_id),
    nonce       BLOB    NOT NULL,
    profile     BLOB    NOT NULL,
    updated_at  TEXT    NOT NULL,
    UNIQUE (case_id, person)
);

-- Keyed blind index: HMAC-SHA256 of each blocking key under the linkage key, cut to 64 bits.
-- No foreign key: the store keeps it consistent and it is the hottest table of a bulk re-link.
CREATE TABLE link_tokens (
    token      BIGINT NOT NULL,
    person_id  BIGINT NOT NULL,
    PRIMARY KEY (token, person_id)
) WITHOUT ROWID;

-- Candidate links between two suspects (person_a < person_b): suggestions until a person
-- decides. Reasons are codes (never names or dates).
CREATE TABLE link_candidates (
    link_id       INTEGER PRIMARY KEY,
    person_a      BIGINT  NOT NULL REFERENCES link_people (person_id),
    person_b      BIGINT  NOT NULL REFERENCES link_people (person_id),
    score         REAL    NOT NULL,
    reasons       TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('suggested', 'confirmed', 'rejected')),
    suggested_at  TEXT    NOT NULL,
    decided_by    TEXT,
    decided_at    TEXT,
    rationale     TEXT,
    CHECK (person_a < person_b),
    UNIQUE (person_a, person_b)
);
CREATE INDEX link_candidates_by_b ON link_candidates (person_b);
CREATE INDEX link_candidates_by_status ON link_candidates (status);
