-- PostgreSQL 006: departments whose names differ only by repeated or no-break spaces (U+00A0,
-- U+202F) become one, as DuckDB's 013 and 014 do (they say why). Within each group that fold() makes
-- one once the spaces are collapsed, the oldest department already so spelled keeps its name; when
-- none is, one is created with the oldest's name collapsed, as on DuckDB. The others' links move to
-- it, each contact once, the contacts whose departments change get a new version (ETag), and the
-- emptied departments are deleted.
CREATE TEMP TABLE _spaced AS
  SELECT id, name, created_at, btrim(regexp_replace(name, '[ ' || chr(160) || chr(8239) || ']+', ' ', 'g')) AS clean
  FROM departments;
CREATE TEMP TABLE _spaced_groups AS
  SELECT fold(clean) AS k, (array_agg(clean ORDER BY id))[1] AS clean, min(created_at) AS created_at, min(id) FILTER (WHERE name = clean) AS keep
  FROM _spaced GROUP BY fold(clean) HAVING bool_or(name <> clean);
INSERT INTO departments (name, created_at) SELECT clean, created_at FROM _spaced_groups WHERE keep IS NULL;
UPDATE _spaced_groups g SET keep = d.id FROM departments d WHERE g.keep IS NULL AND d.name = g.clean;
CREATE TEMP TABLE _spaced_merge AS
  SELECT s.id, g.keep FROM _spaced s JOIN _spaced_groups g ON fold(s.clean) = g.k WHERE s.id <> g.keep;
UPDATE contacts SET version = version + 1, updated_at = greatest(now(), updated_at)
  WHERE id IN (SELECT l.contact_id FROM contact_departments l JOIN _spaced_merge m ON m.id = l.department_id);
INSERT INTO contact_departments (contact_id, department_id, created_at)
  SELECT l.contact_id, m.keep, min(l.created_at) FROM contact_departments l JOIN _spaced_merge m ON m.id = l.department_id
  GROUP BY l.contact_id, m.keep
  ON CONFLICT DO NOTHING;
DELETE FROM contact_departments l USING _spaced_merge m WHERE l.department_id = m.id;
DELETE FROM departments d USING _spaced_merge m WHERE d.id = m.id;
-- Dropped here, not on commit: every migration pending runs in one transaction (002's _merge too).
DROP TABLE _spaced_merge, _spaced_groups, _spaced;
