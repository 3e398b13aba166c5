-- 001: contacts, departments and the links between them.
--
-- Every field is text: ZIP codes and phone numbers keep their leading zeros. Constraints mirror
-- etl/contacts/contact_record.ts so the database refuses what validation refuses, even for a
-- writer that skipped validation.
--
-- Why contact_departments.contact_id has no FOREIGN KEY (department_id has one): DuckDB 1.5 refuses
-- to DELETE a row, or UPDATE any of its indexed columns (email_key), while a foreign key still
-- points at it, even when the referencing rows were deleted earlier in the SAME transaction
-- ("over-eager constraint checking", see contact_schema_test.ts which proves it). With that FK
-- the API could neither delete a contact nor change an e-mail address atomically. The link is
-- kept whole by the code that writes it (one transaction deletes links and contact together) and
-- checked by the tests: no link may point at a missing contact.

CREATE SEQUENCE contacts_id_seq START 1;
CREATE SEQUENCE departments_id_seq START 1;

CREATE TABLE contacts (
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
  -- lower(email): UNIQUE here makes the e-mail unique without regard to case.
  email_key    VARCHAR NOT NULL UNIQUE CHECK (email_key = lower(email)),
  created_at   TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
  -- Bumped by every change (fields or departments); the API's ETag.
  version      INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
  CHECK (updated_at >= created_at)
);

CREATE TABLE departments (
  id         INTEGER PRIMARY KEY DEFAULT nextval('departments_id_seq'),
  name       VARCHAR NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100 AND name = trim(name)),
  created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

CREATE TABLE contact_departments (
  contact_id    INTEGER NOT NULL,
  department_id INTEGER NOT NULL REFERENCES departments (id),
  created_at    TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
  PRIMARY KEY (contact_id, department_id)
);

-- "Contacts in department X" filters; link rows are only inserted and deleted, never updated.
CREATE INDEX contact_departments_department ON contact_departments (department_id);
