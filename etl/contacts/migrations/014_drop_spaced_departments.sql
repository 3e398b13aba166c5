-- 014: the departments 013 merged, now without links, deleted (see 013): every name with repeated or
-- no-break spaces, as 013 left none of them a link.
DELETE FROM departments d
WHERE d.name <> trim(regexp_replace(d.name, '[ ' || chr(160) || chr(8239) || ']+', ' ', 'g'))
  AND NOT EXISTS (SELECT 1 FROM contact_departments l WHERE l.department_id = d.id);
