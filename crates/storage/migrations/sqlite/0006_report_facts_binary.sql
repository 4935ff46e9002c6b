-- Report facts, format 2 (docs/storage.md, "Report facts"): the facts are the compact binary form
-- of `reporting::facts::binary` (about a quarter of the JSON they replace), and the table is kept in
-- report-date order (WITHOUT ROWID, keyed by `reported_on, case_id`), so that a report over a date
-- range reads neighbouring rows from a few pages instead of one page per case from all over the
-- file.
--
-- Facts are derived from the events, so the old rows are dropped rather than converted, and the
-- state row goes with them: reports evaluate every case in full (and say so) until
-- `rasso report rebuild-facts` has run. A store without cases is marked complete again on open.
DROP TABLE report_facts;
DELETE FROM report_facts_state;

CREATE TABLE report_facts (
    case_id        INTEGER NOT NULL REFERENCES cases (case_id),
    force          TEXT    NOT NULL,
    reported_on    TEXT    NOT NULL,
    last_event_at  TEXT    NOT NULL,
    facts          BLOB    NOT NULL,
    PRIMARY KEY (reported_on, case_id)
) WITHOUT ROWID;
-- One row per case: appends rewrite it by case.
CREATE UNIQUE INDEX report_facts_by_case ON report_facts (case_id);
-- A force's date range, in the order reports page through it.
CREATE INDEX report_facts_by_force ON report_facts (force, reported_on, case_id);
CREATE INDEX report_facts_by_last_event ON report_facts (last_event_at);
