-- PostgreSQL 007: departments whose names differ only by whitespace, invisible formatting
-- characters (Cf: U+200B, U+2060, U+FEFF...) or blank-looking ones (U+3164, U+2800...) at their ends become one, as DuckDB's 015 and 016 do
-- (they say why, and what is kept). PostgreSQL's regular expressions have no \p{Cf}: the class below
-- spells out every code point etl/text trimUnseen() takes off an end, whitespace and Cf as Node's
-- Unicode has them and etl/text BLANK_AT_ENDS (the same 202 as the CSV load's class in DuckDB; ingest_contacts_test.ts
-- checks it code point by code point against trimUnseen()). Runs of spaces then become one, as 006.
-- A name that is nothing once trimmed is left as it is. The others' links move to the kept one,
-- each contact once, the contacts whose departments change get a new version (ETag) and
-- updated_at, and the emptied departments are deleted.
CREATE TEMP TABLE _unseen AS
  SELECT id, name, created_at, regexp_replace(
      regexp_replace(name, '^[\u0009-\u000D\u0020\u00A0\u00AD\u034F\u0600-\u0605\u061C\u06DD\u070F\u0890-\u0891\u08E2\u115F-\u1160\u1680\u17B4-\u17B5\u180E\u2000-\u200F\u2028-\u202F\u205F-\u2064\u2066-\u206F\u2800\u3000\u3164\uFEFF\uFFA0\uFFF9-\uFFFB\U000110BD\U000110CD\U00013430-\U0001343F\U0001BCA0-\U0001BCA3\U0001D173-\U0001D17A\U000E0001\U000E0020-\U000E007F]+|[\u0009-\u000D\u0020\u00A0\u00AD\u034F\u0600-\u0605\u061C\u06DD\u070F\u0890-\u0891\u08E2\u115F-\u1160\u1680\u17B4-\u17B5\u180E\u2000-\u200F\u2028-\u202F\u205F-\u2064\u2066-\u206F\u2800\u3000\u3164\uFEFF\uFFA0\uFFF9-\uFFFB\U000110BD\U000110CD\U00013430-\U0001343F\U0001BCA0-\U0001BCA3\U0001D173-\U0001D17A\U000E0001\U000E0020-\U000E007F]+$', '', 'g'),
      '[ ' || chr(160) || chr(8239) || ']+', ' ', 'g') AS clean
  FROM departments;
DELETE FROM _unseen WHERE clean = '';
CREATE TEMP TABLE _unseen_groups AS
  SELECT fold(clean) AS k, (array_agg(clean ORDER BY id))[1] AS clean, min(created_at) AS created_at, min(id) FILTER (WHERE name = clean) AS keep
  FROM _unseen GROUP BY fold(clean) HAVING bool_or(name <> clean);
INSERT INTO departments (name, created_at) SELECT clean, created_at FROM _unseen_groups WHERE keep IS NULL;
UPDATE _unseen_groups g SET keep = d.id FROM departments d WHERE g.keep IS NULL AND d.name = g.clean;
CREATE TEMP TABLE _unseen_merge AS
  SELECT s.id, g.keep FROM _unseen s JOIN _unseen_groups g ON fold(s.clean) = g.k WHERE s.id <> g.keep;
UPDATE contacts SET version = version + 1, updated_at = greatest(now(), updated_at)
  WHERE id IN (SELECT l.contact_id FROM contact_departments l JOIN _unseen_merge m ON m.id = l.department_id);
INSERT INTO contact_departments (contact_id, department_id, created_at)
  SELECT l.contact_id, m.keep, min(l.created_at) FROM contact_departments l JOIN _unseen_merge m ON m.id = l.department_id
  GROUP BY l.contact_id, m.keep
  ON CONFLICT DO NOTHING;
DELETE FROM contact_departments l USING _unseen_merge m WHERE l.department_id = m.id;
DELETE FROM departments d USING _unseen_merge m WHERE d.id = m.id;
-- Dropped here, not on commit: every migration pending runs in one transaction (006's tables too).
DROP TABLE _unseen_merge, _unseen_groups, _unseen;
