-- 010: which run made each load (JSON: its id, start and file; NULL for a load with no run, such as
-- a CSV posted to the API). A load killed after its COMMIT but before it appended its run to
-- runs.jsonl (Ctrl-C during the Parquet export) changed the tables with no run saying so; the next
-- load finds the run missing and records it (recover_run.ts).
ALTER TABLE contact_loads ADD COLUMN run VARCHAR;
