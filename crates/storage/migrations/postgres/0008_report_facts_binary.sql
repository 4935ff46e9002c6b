-- Report facts, format 2 (docs/storage.md, "Report facts"): the facts are the compact binary form
-- of `reporting::facts::binary` (about a quarter of the JSON they replace).
--
-- Facts are derived from the events, so the old rows are dropped rather than converted, and the
-- state row goes with them: reports evaluate every case in full (and say so) until
-- `rasso report rebuild-facts` has run. A store without cases is marked complete again on open.
-- TRUNCATE, not DELETE: row-level security would hide every row from a migration without an actor.
TRUNCATE report_facts, report_facts_state;
ALTER TABLE report_facts ALTER COLUMN facts TYPE BYTEA USING convert_to(facts, 'UTF8');
