-- 003: which run made each load, as DuckDB's 010 (JSON: its id, start and file; NULL for a load with
-- no run). A load killed after its COMMIT but before it appended its run to runs.jsonl (Ctrl-C
-- during the ANALYZE that follows a big load) is recorded by the next one (recover_run.ts).
ALTER TABLE contact_loads ADD COLUMN run text;
