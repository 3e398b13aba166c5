-- 002: Idempotency-Key records of the API's acknowledged POST /contacts.
--
-- The API writes a row in the same transaction as the contact it created, so a client retrying
-- after a crash (or a lost answer) gets the first result instead of a second contact. Rows older
-- than 24 h are purged by the API at start-up.
--
-- Why IF NOT EXISTS: before this migration existed the API created the same table itself at
-- start-up, so databases from those builds already hold it (same columns). This adopts that table
-- and its keys instead of failing on them.

CREATE TABLE IF NOT EXISTS api_idempotency_keys (
  key         VARCHAR PRIMARY KEY,
  -- SHA-256 of the request body: the same key with another body is refused.
  fingerprint VARCHAR NOT NULL,
  status      INTEGER NOT NULL,
  location    VARCHAR,
  body        VARCHAR NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
