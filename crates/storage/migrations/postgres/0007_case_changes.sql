-- Per-force change counters (docs/storage.md, "Change counters"): every transaction that creates
-- or changes cases adds to its force's counter, so that a case list can be reused while the
-- counter stands still. No row: no change yet (the counter reads 0). A force code and a number:
-- no case data, so no row-level security (see NOT_CASE_SCOPED in tests/postgres.rs).
CREATE TABLE case_changes (
    force    TEXT    PRIMARY KEY,
    changes  BIGINT  NOT NULL
);
