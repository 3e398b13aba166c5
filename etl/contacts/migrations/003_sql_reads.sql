-- 003: what reads by SQL, the stored Idempotency-Key answers and unchanged-file detection need.
--
-- fold(): lower case without accents, the SQL twin of etl/text fold() (NULL folds to ''). Lists are
-- filtered, searched and sorted by these stored folds, so no query folds a million values on the fly.
-- The columns are written by every write (etl/contacts/contact_sql.ts derives the SET items from the
-- record definition: fields marked sortable or searchable) and by the CSV load.
CREATE MACRO fold(x) AS lower(strip_accents(coalesce(x, '')));

ALTER TABLE contacts ADD COLUMN first_name_sort VARCHAR;
ALTER TABLE contacts ADD COLUMN last_name_sort VARCHAR;
ALTER TABLE contacts ADD COLUMN company_name_sort VARCHAR;
ALTER TABLE contacts ADD COLUMN city_sort VARCHAR;
ALTER TABLE contacts ADD COLUMN state_sort VARCHAR;
ALTER TABLE contacts ADD COLUMN zip_sort VARCHAR;
ALTER TABLE contacts ADD COLUMN search_text VARCHAR;
UPDATE contacts SET
  first_name_sort = fold(first_name), last_name_sort = fold(last_name), company_name_sort = fold(company_name),
  city_sort = fold(city), state_sort = fold(state), zip_sort = fold(zip),
  search_text = fold(first_name) || ' ' || fold(last_name) || ' ' || fold(email);

-- The ETag a POST answered with, replayed with its body: a replay never pairs the first body with
-- the contact's current ETag (answers stored before this column replay without an ETag).
ALTER TABLE api_idempotency_keys ADD COLUMN etag VARCHAR;

-- One row per CSV load that changed or checked the tables: the file's sha256, the record
-- definition it was read with, and a fingerprint of the tables afterwards. A file loaded again
-- with all three unchanged cannot change anything, so it is recognised without being read.
CREATE TABLE contact_loads (
  sha256      VARCHAR NOT NULL,
  definition  VARCHAR NOT NULL,
  fingerprint VARCHAR NOT NULL,
  summary     VARCHAR NOT NULL,
  loaded_at   TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
