-- 016: the departments 015 merged, now without links, deleted (see 015): every name with whitespace,
-- an invisible formatting character or a blank-looking one (U+3164...) at an end but something else in it, as 015 left none of them
-- a link.
DELETE FROM departments d
USING (SELECT id, name, regexp_replace(name, '^[\t\n\x{0B}\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}\x{34F}\x{115F}-\x{1160}\x{17B4}-\x{17B5}\x{2800}\x{3164}\x{FFA0}\p{Cf}]+|[\t\n\x{0B}\f\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}\x{34F}\x{115F}-\x{1160}\x{17B4}-\x{17B5}\x{2800}\x{3164}\x{FFA0}\p{Cf}]+$', '', 'g') AS trimmed FROM departments) t
WHERE d.id = t.id AND t.name <> t.trimmed AND t.trimmed <> ''
  AND NOT EXISTS (SELECT 1 FROM contact_departments l WHERE l.department_id = d.id);
