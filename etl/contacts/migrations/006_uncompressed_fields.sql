-- 006: the contact's own text fields stored uncompressed, so reading a few rows by id is cheap.
--
-- A point read, and every page (which reads its 50 rows by id once the page's ids are known),
-- fetch single rows. DuckDB stored these many-valued texts FSST-compressed, and fetching one row
-- of an FSST column costs as much as decoding its neighbours: at 728k contacts 32 rows by id took
-- 10.9 ms compressed against 5.3 ms uncompressed, most of a point read's cost. Stored plain they
-- take about 60 MB more on disk at that size. city, state and zip have few values and stay
-- dictionary-coded (a dictionary fetch is cheap). Copied as 004 did, for the same reasons.
CREATE TABLE contacts_006 (
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
INSERT INTO contacts_006 BY NAME SELECT * FROM contacts ORDER BY id;
DROP TABLE contacts;
ALTER TABLE contacts_006 RENAME TO contacts;
