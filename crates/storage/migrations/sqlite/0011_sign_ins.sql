-- The sign-in history shown to administrators (docs/web.md, "Administrators"): each attempt to
-- sign in as a known user, its time and outcome (`signed_in`, `refused`, `locked`). Attempts at
-- unknown usernames are not kept. Rows older than 90 days are deleted as new ones are noted. No
-- case data; not copied by `rasso copy` (like sessions and sign-in failures).
CREATE TABLE sign_ins (
    id        INTEGER PRIMARY KEY,
    username  TEXT NOT NULL,
    at        TEXT NOT NULL,
    outcome   TEXT NOT NULL CHECK (outcome IN ('signed_in', 'refused', 'locked'))
);
CREATE INDEX sign_ins_by_time ON sign_ins (at);
