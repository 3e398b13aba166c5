-- 011: departments that 009's fold() makes one become one, as PostgreSQL's 002 does. A load and a
-- write of the code before 009 kept 'ΟΔΟΣ' and 'οδος' apart (its fold left a typed ς); since 009
-- they are one name to every lookup, yet both stayed: a contact showed ["ΟΔΟΣ", "οδος"], GET
-- /departments listed both, and the API and a load chose between them differently (by name, by id),
-- where a fresh load of the same lines keeps one. The oldest keeps its name, the others' links move
-- to it (a contact linked to both keeps one: 007 left no key to refuse a second), and the contacts
-- whose departments change get a new version (ETag). The departments left without links are deleted
-- by 012, in a transaction of its own: DuckDB refuses to delete a department in the transaction that
-- deleted its links (001 says why).
CREATE TEMP TABLE _merge AS
  SELECT id, first_value(id) OVER (PARTITION BY fold(name) ORDER BY id) AS keep FROM departments;
DELETE FROM _merge WHERE keep = id;
UPDATE contacts SET version = version + 1, updated_at = greatest(current_timestamp, updated_at)
  WHERE id IN (SELECT l.contact_id FROM contact_departments l JOIN _merge m ON m.id = l.department_id);
INSERT INTO contact_departments (contact_id, department_id, created_at)
  SELECT l.contact_id, m.keep, min(l.created_at) FROM contact_departments l JOIN _merge m ON m.id = l.department_id
  WHERE NOT EXISTS (SELECT 1 FROM contact_departments x WHERE x.contact_id = l.contact_id AND x.department_id = m.keep)
  GROUP BY l.contact_id, m.keep;
DELETE FROM contact_departments WHERE department_id IN (SELECT id FROM _merge);
DROP TABLE _merge;
