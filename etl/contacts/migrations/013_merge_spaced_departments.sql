-- 013: departments whose names differ only by repeated or no-break spaces (U+00A0, U+202F) become
-- one, as loads and writes make such a name one space since this pass ('Human  Resources' was a
-- department beside 'Human Resources', and a load naming it after the change would link its contacts
-- to the single-spaced one while their old links stayed). Within each group that fold() makes one
-- once the spaces are collapsed, the oldest department already so spelled keeps its name; when none
-- is, a department is created with the oldest's name collapsed (DuckDB cannot rename one: its name is
-- UNIQUE, and an UPDATE of an indexed column is a delete, refused while links point at it). The
-- others' links move to it, each contact once, and the contacts whose departments change get a new
-- version (ETag). 014 deletes the emptied departments, in a transaction of its own (011 says why).
CREATE TEMP TABLE _spaced AS
  SELECT id, name, created_at, trim(regexp_replace(name, '[ ' || chr(160) || chr(8239) || ']+', ' ', 'g')) AS clean
  FROM departments;
CREATE TEMP TABLE _groups AS
  SELECT fold(clean) AS k, arg_min(clean, id) AS clean, min(created_at) AS created_at, min(id) FILTER (WHERE name = clean) AS keep
  FROM _spaced GROUP BY fold(clean) HAVING bool_or(name <> clean);
INSERT INTO departments (name, created_at) SELECT clean, created_at FROM _groups WHERE keep IS NULL;
UPDATE _groups SET keep = d.id FROM departments d WHERE _groups.keep IS NULL AND d.name = _groups.clean;
CREATE TEMP TABLE _merge AS
  SELECT s.id, g.keep FROM _spaced s JOIN _groups g ON fold(s.clean) = g.k WHERE s.id <> g.keep;
UPDATE contacts SET version = version + 1, updated_at = greatest(current_timestamp, updated_at)
  WHERE id IN (SELECT l.contact_id FROM contact_departments l JOIN _merge m ON m.id = l.department_id);
INSERT INTO contact_departments (contact_id, department_id, created_at)
  SELECT l.contact_id, m.keep, min(l.created_at) FROM contact_departments l JOIN _merge m ON m.id = l.department_id
  WHERE NOT EXISTS (SELECT 1 FROM contact_departments x WHERE x.contact_id = l.contact_id AND x.department_id = m.keep)
  GROUP BY l.contact_id, m.keep;
DELETE FROM contact_departments WHERE department_id IN (SELECT id FROM _merge);
DROP TABLE _merge;
DROP TABLE _groups;
DROP TABLE _spaced;
