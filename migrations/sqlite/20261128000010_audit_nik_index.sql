-- SQLite only: the NIK HMAC index goes (issue 5, speed). The HMAC is spread evenly, so every
-- access entry dirtied a leaf page of its own in this index, and SQLite's write-ahead log
-- writes whole pages: half the pages a commit wrote were this index's, and it cost a quarter
-- of the access path's throughput and a third of the audit append rate (docs/BENCHMARKS.md).
-- The access search never used it on SQLite (its catch-all conditions read audit_events_at).
-- A NIK search now finds its rows within the date range it asks for, as a range of
-- audit_events_at (storage::audit_events::search_access_sql). PostgreSQL keeps its index:
-- its log records the row, not the page, and the index costs it nothing measurable.
DROP INDEX IF EXISTS audit_events_nik;
