-- 004: the text columns a list reads whole on every request, stored uncompressed.
--
-- `q` (contains() on search_text) and `company` (contains() on company_name_sort) have no index to
-- use, and a page sorted by first or last name reads that sort key for every row (DuckDB has no
-- ordered index scan). DuckDB stores such many-valued text FSST-compressed and decompresses every
-- vector it reads before the filter or sort runs, so at a million contacts the decompression cost
-- more than the work itself (measured at 728k contacts: a rare `q` 73 ms compressed, 17 ms
-- uncompressed; the first page by last name 14 ms against 8.6 ms). Stored plain they take about
-- 45 MB more on disk. city_sort, state_sort and zip_sort have few values and stay dictionary-coded.
--
-- DuckDB has no ALTER for a column's compression, and replacing two columns in place (ALTER,
-- then UPDATE of every row) took minutes at 1M rows. So the table is copied into one declared the
-- same way as 001 and 003 left it, except for these columns, and takes its name: one set-based
-- INSERT, as a CSV load does. No foreign key points at contacts (see 001), its sequence stays.
CREATE TABLE contacts_004 (
  id           INTEGER PRIMARY KEY DEFAULT nextval('contacts_id_seq'),
  first_name   VARCHAR NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
  last_name    VARCHAR NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
  company_name VARCHAR CHECK (length(company_name) BETWEEN 1 AND 200),
  address      VARCHAR CHECK (length(address) BETWEEN 1 AND 200),
  city         VARCHAR CHECK (length(city) BETWEEN 1 AND 100),
  state        VARCHAR CHECK (state ~ '^[A-Z]{2}$'),
  zip          VARCHAR CHECK (zip ~ '^[0-9]{5}(-[0-9]{4})?$'),
  phone1       VARCHAR CHECK (length(phone1) BETWEEN 1 AND 30),
  phone2       VARCHAR CHECK (length(phone2) BETWEEN 1 AND 30),
  email        VARCHAR NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email ~ '^[^@\s]+@[^@\s]+$'),
  email_key    VARCHAR NOT NULL UNIQUE CHECK (email_key = lower(email)),
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
INSERT INTO contacts_004 BY NAME SELECT * FROM contacts ORDER BY id;
DROP TABLE contacts;
ALTER TABLE contacts_004 RENAME TO contacts;
