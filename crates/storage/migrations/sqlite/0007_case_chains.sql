-- Case chains and a signed head that commits to the case data (docs/storage.md, "Case chains").
--
-- Each case's events are hash-chained; `cases.head` is the hash of the case's last event (hex),
-- at `cases.version`. NULL until the store back-fills it on opening (cases stored before this
-- migration); the partial index finds those quickly. Events are not rewritten: their hashes are
-- recomputed from the rows as stored.
ALTER TABLE cases ADD COLUMN head TEXT;
CREATE INDEX cases_without_head ON cases (case_id) WHERE head IS NULL;

-- The signed head also counts the records and the checkpoints and carries the state digest over
-- every case's head. NULL in a head of the first format (upgraded on opening).
ALTER TABLE audit_head ADD COLUMN records BIGINT;
ALTER TABLE audit_head ADD COLUMN checkpoints BIGINT;
ALTER TABLE audit_head ADD COLUMN last_checkpoint BIGINT;
ALTER TABLE audit_head ADD COLUMN cases BIGINT;
ALTER TABLE audit_head ADD COLUMN state TEXT;

-- Checkpoints are chained: each names its place among them and the record of the one before.
-- NULL in checkpoints written before (they keep their first-format signatures).
ALTER TABLE audit_checkpoints ADD COLUMN ordinal BIGINT;
ALTER TABLE audit_checkpoints ADD COLUMN prev_seq BIGINT;

-- Sealed identity is never deleted in place (0001 refused updates only), and checkpoints are
-- append-only like the records they sign.
CREATE TRIGGER sealed_append_only_delete BEFORE DELETE ON sealed
BEGIN SELECT RAISE(ABORT, 'sealed fields are append-only'); END;
CREATE TRIGGER audit_checkpoints_append_only_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER audit_checkpoints_append_only_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
