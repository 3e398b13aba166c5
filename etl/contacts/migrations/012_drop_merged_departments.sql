-- 012: the departments 011 merged into an older one, now without links, deleted (see 011).
DELETE FROM departments d
WHERE EXISTS (SELECT 1 FROM departments k WHERE fold(k.name) = fold(d.name) AND k.id < d.id)
  AND NOT EXISTS (SELECT 1 FROM contact_departments l WHERE l.department_id = d.id);
