-- Force boundaries (docs/web.md, "The force model"); the same as SQLite's 0010_user_scope.sql.
-- A user belongs to one force or is explicitly national; an account without a force is not
-- national. `officer_id` names the user within their force (as `officer_allocated` does).
ALTER TABLE users ADD COLUMN national BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN officer_id TEXT;
UPDATE users SET officer_id = username;
ALTER TABLE users ALTER COLUMN officer_id SET NOT NULL;
CREATE UNIQUE INDEX users_by_officer ON users (force, officer_id);
ALTER TABLE users ADD CONSTRAINT users_national_or_force CHECK (NOT (national AND force IS NOT NULL));
