-- Force boundaries (docs/web.md, "The force model").
--
-- A user belongs to one force (`force`), or is explicitly national (`national`); a user with
-- neither reaches no case data. An account made before this migration without a force is NOT
-- national: it stays without a force until an administrator gives it one
-- (`rasso user set-force`).
--
-- `officer_id` is how the force's records name the user (collar or staff number, as in
-- `officer_allocated`); it is meaningful only within the user's force, so two forces may each
-- have an officer 4521. Existing users keep their username as their officer identifier.
ALTER TABLE users ADD COLUMN national BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN officer_id TEXT;
UPDATE users SET officer_id = username;
CREATE UNIQUE INDEX users_by_officer ON users (force, officer_id);

-- National and a force at once is refused (the store checks too; this holds for any writer).
CREATE TRIGGER users_scope_insert BEFORE INSERT ON users
WHEN NEW.national AND NEW.force IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a user is national or of one force, not both'); END;
CREATE TRIGGER users_scope_update BEFORE UPDATE ON users
WHEN NEW.national AND NEW.force IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a user is national or of one force, not both'); END;
