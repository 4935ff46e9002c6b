-- Report facts: one row per case, written in the append transaction, so that a report reads one
-- small row per case in its date range instead of every event of every case (docs/storage.md,
-- "Report facts"). `facts` is the compact JSON of `reporting::CaseFacts`; the columns beside it
-- are what reports filter on. `last_event_at` is the latest event rounded up to the microsecond:
-- the facts hold for report instants at or after it.
CREATE TABLE report_facts (
    case_id        BIGINT  PRIMARY KEY REFERENCES cases (case_id),
    force          TEXT    NOT NULL,
    reported_on    TEXT    NOT NULL,
    last_event_at  TEXT    NOT NULL,
    facts          TEXT    NOT NULL
);
-- Reports page through a date range in (reported_on, case_id) order, for one force or all.
CREATE INDEX report_facts_by_force ON report_facts (force, reported_on, case_id);
CREATE INDEX report_facts_by_date ON report_facts (reported_on, case_id);
CREATE INDEX report_facts_by_last_event ON report_facts (last_event_at);

-- Facts are case data (officers, offences, dates): the same row-level security as `cases`.
ALTER TABLE report_facts ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_facts FORCE ROW LEVEL SECURITY;
CREATE POLICY report_facts_with_actor ON report_facts
    USING (rasso_actor_set()) WITH CHECK (rasso_actor_set());

-- The rule set (basis) every case's facts were taken with. No row: facts are missing for some
-- cases (a store that existed before this migration) until `rasso report rebuild-facts` runs;
-- reports evaluate every case in full meanwhile.
CREATE TABLE report_facts_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    basis     TEXT    NOT NULL,
    built_at  TEXT    NOT NULL
);
