-- Case chains and a signed head that commits to the case data: the PostgreSQL spelling of
-- sqlite/0007_case_chains.sql (docs/storage.md, "Case chains").
ALTER TABLE cases ADD COLUMN head TEXT;
CREATE INDEX cases_without_head ON cases (case_id) WHERE head IS NULL;

ALTER TABLE audit_head ADD COLUMN records BIGINT;
ALTER TABLE audit_head ADD COLUMN checkpoints BIGINT;
ALTER TABLE audit_head ADD COLUMN last_checkpoint BIGINT;
ALTER TABLE audit_head ADD COLUMN cases BIGINT;
ALTER TABLE audit_head ADD COLUMN state TEXT;

ALTER TABLE audit_checkpoints ADD COLUMN ordinal BIGINT;
ALTER TABLE audit_checkpoints ADD COLUMN prev_seq BIGINT;

CREATE TRIGGER sealed_append_only_delete BEFORE DELETE ON sealed
    FOR EACH ROW EXECUTE FUNCTION rasso_append_only();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION rasso_append_only();
