-- 015: departments whose names differ only by whitespace, invisible formatting characters (Cf:
-- U+200B zero-width space, U+2060, U+FEFF...) or characters that show as nothing (etl/text
-- BLANK_AT_ENDS: U+3164 HANGUL FILLER, U+2800...) at their ends become one, as API writes and CSV loads
-- take those characters off a name's ends since this pass: 'Sales' || chr(8203) stayed a department
-- beside 'Sales', and a contact linked to both showed 'Sales' twice. The class trimmed is the CSV
-- load's (_ingest_sql.ts NAME_ENDS), which takes off what etl/text trimUnseen() does, code point by
-- code point (ingest_contacts_test.ts); runs of spaces then become one, as 013. A name that is
-- nothing once trimmed (only U+2060) is left as it is: there is no name to merge it into. Then as
-- 013: within each group that fold() makes one, the oldest department already so spelled keeps its
-- name, else one is created with the oldest's name trimmed; the others' links move to it, each
-- contact once, and the contacts whose departments change get a new version (ETag) and updated_at,
-- as a load that changes a contact's departments does. 016 deletes the emptied departments, in a
-- transaction of its own (011 says why).
CREATE TEMP TABLE _unseen AS
  SELECT id, name, created_at, regexp_replace(
      regexp_replace(name, '^[\t\n\x{0B}\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}\x{34F}\x{115F}-\x{1160}\x{17B4}-\x{17B5}\x{2800}\x{3164}\x{FFA0}\p{Cf}]+|[\t\n\x{0B}\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}\x{34F}\x{115F}-\x{1160}\x{17B4}-\x{17B5}\x{2800}\x{3164}\x{FFA0}\p{Cf}]+$', '', 'g'),
      '[ ' || chr(160) || chr(8239) || ']+', ' ', 'g') AS clean
  FROM departments;
DELETE FROM _unseen WHERE clean = '';
CREATE TEMP TABLE _groups AS
  SELECT fold(clean) AS k, arg_min(clean, id) AS clean, min(created_at) AS created_at, min(id) FILTER (WHERE name = clean) AS keep
  FROM _unseen GROUP BY fold(clean) HAVING bool_or(name <> clean);
INSERT INTO departments (name, created_at) SELECT clean, created_at FROM _groups WHERE keep IS NULL;
UPDATE _groups SET keep = d.id FROM departments d WHERE _groups.keep IS NULL AND d.name = _groups.clean;
CREATE TEMP TABLE _merge AS
  SELECT s.id, g.keep FROM _unseen s JOIN _groups g ON fold(s.clean) = g.k WHERE s.id <> g.keep;
UPDATE contacts SET version = version + 1, updated_at = greatest(current_timestamp, updated_at)
  WHERE id IN (SELECT l.contact_id FROM contact_departments l JOIN _merge m ON m.id = l.department_id);
INSERT INTO contact_departments (contact_id, department_id, created_at)
  SELECT l.contact_id, m.keep, min(l.created_at) FROM contact_departments l JOIN _merge m ON m.id = l.department_id
  WHERE NOT EXISTS (SELECT 1 FROM contact_departments x WHERE x.contact_id = l.contact_id AND x.department_id = m.keep)
  GROUP BY l.contact_id, m.keep;
DELETE FROM contact_departments WHERE department_id IN (SELECT id FROM _merge);
DROP TABLE _merge;
DROP TABLE _groups;
DROP TABLE _unseen;
