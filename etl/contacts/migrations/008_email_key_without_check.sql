-- 008: contacts without CHECK (email_key = lower(email)), so that a load updates its changed
-- contacts in place.
--
-- DuckDB runs an UPDATE that sets an indexed column as a delete and an insert of the whole row, and
-- it adds to every UPDATE each column of a CHECK over several columns (TableCatalogEntry::
-- BindUpdateConstraints in DuckDB 1.5). This CHECK took in the indexed email_key, so every update
-- of a contact, whatever it set, deleted and inserted the row: it was written again in full, both
-- indexes took a delete and an insert, and the row moved to the table's end, out of the state and
-- city order loads write. Measured at 728k contacts, a file with a tenth of its people changed (63k
-- updated, 97k new), in process: the load's UPDATE 5.2 s -> under 1.1 s, its COMMIT 2.9 -> 1.7-2.2 s,
-- the load 21.9 -> 14.9-16.4 s; `npm run etl` of it, alternating the same tables with and without
-- the CHECK, 18.7-22.0 -> 16.7-17.9 s. This copy takes 8.5-16 s once at that size (start-up waits).
--
-- email_key is still lower(email), derived by every writer: the API's with recordSql's derived
-- columns (one write's statement and a group's set-based UPDATE alike), a load's inserts with the
-- same, and a load's updates never rewrite it (people are matched on it). contact_schema_test.ts,
-- contacts_regression_test.ts and ingest_contacts_test.ts check each. The API's own updates still
-- delete and insert (their RETURNING sets every column), which costs them nothing measurable (24
-- rows in place or moved, 16-26 ms either way).
--
-- DuckDB cannot drop a constraint, so the table is copied into one declared as 006 left it without
-- the CHECK, and takes its name, as 004 and 006 did. In the order it is stored (no ORDER BY:
-- DuckDB keeps insertion order), so the state and city order of loaded contacts stays. BY NAME, so
-- a column this file does not know stops the migration (rolled back, start-up says so) instead of
-- being dropped. No foreign key points at contacts (see 001), its sequence stays.
CREATE TABLE contacts_008 (
  id           INTEGER PRIMARY KEY DEFAULT nextval('contacts_id_seq'),
  first_name   VARCHAR NOT NULL USING COMPRESSION uncompressed CHECK (length(first_name) BETWEEN 1 AND 100),
  last_name    VARCHAR NOT NULL USING COMPRESSION uncompressed CHECK (length(last_name) BETWEEN 1 AND 100),
  company_name VARCHAR USING COMPRESSION uncompressed CHECK (length(company_name) BETWEEN 1 AND 200),
  address      VARCHAR USING COMPRESSION uncompressed CHECK (length(address) BETWEEN 1 AND 200),
  city         VARCHAR CHECK (length(city) BETWEEN 1 AND 100),
  state        VARCHAR CHECK (state ~ '^[A-Z]{2}$'),
  zip          VARCHAR CHECK (zip ~ '^[0-9]{5}(-[0-9]{4})?$'),
  phone1       VARCHAR USING COMPRESSION uncompressed CHECK (length(phone1) BETWEEN 1 AND 30),
  phone2       VARCHAR USING COMPRESSION uncompressed CHECK (length(phone2) BETWEEN 1 AND 30),
  email        VARCHAR NOT NULL USING COMPRESSION uncompressed CHECK (length(email) BETWEEN 3 AND 254 AND email ~ '^[^@\s]+@[^@\s]+$'),
  email_key    VARCHAR NOT NULL UNIQUE,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
  version      INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  first_name_sort   VARCHAR USING COMPRESSION uncompressed,
  last_name_sort    VARCHAR USING COMPRESSION uncompressed,
  company_name_sort VARCHAR USING COMPRESSION uncompressed,
  city_sort         VARCHAR,
  state_sort        VARCHAR,
  zip_sort          VARCHAR,
  search_text       VARCHAR USING COMPRESSION uncompressed,
  CHECK (updated_at >= created_at)
);
INSERT INTO contacts_008 BY NAME SELECT * FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_008 RENAME TO contacts;
