-- Changes of the new version ($version_id) against the previous snapshot, attached as `prev`.
-- Run after the new actors and user_relationships are loaded. Parameters: $version_id, $run_id, $loaded_at.

INSERT INTO changes
SELECT $version_id, $run_id, CAST($loaded_at AS TIMESTAMP), 'actor',
       CASE WHEN o.numeric_id IS NULL THEN 'added' ELSE 'removed' END,
       coalesce(n.numeric_id, o.numeric_id), NULL, NULL, 'actor_name', o.actor_name, n.actor_name,
       CASE WHEN o.numeric_id IS NULL THEN n.letter_code ELSE o.letter_code END
FROM actors n FULL OUTER JOIN prev.actors o ON n.numeric_id = o.numeric_id
WHERE n.numeric_id IS NULL OR o.numeric_id IS NULL;

-- One row per changed field; the fields a person edits (degree and counts follow from pairs).
INSERT INTO changes
SELECT $version_id, $run_id, CAST($loaded_at AS TIMESTAMP), 'actor', 'changed', n.numeric_id, NULL, NULL, f.field, f.old_value, f.new_value, n.letter_code
FROM actors n JOIN prev.actors o ON n.numeric_id = o.numeric_id,
LATERAL (VALUES
  ('letter_code', o.letter_code, n.letter_code),
  ('actor_name', o.actor_name, n.actor_name),
  ('list_letter_code', o.list_letter_code, n.list_letter_code),
  ('in_matrix', o.in_matrix::VARCHAR, n.in_matrix::VARCHAR),
  ('in_list', o.in_list::VARCHAR, n.in_list::VARCHAR)
) AS f(field, old_value, new_value)
WHERE f.old_value IS DISTINCT FROM f.new_value;

INSERT INTO changes
SELECT $version_id, $run_id, CAST($loaded_at AS TIMESTAMP), 'pair',
       CASE WHEN o.person_a IS NULL THEN 'added' ELSE 'removed' END,
       NULL, coalesce(n.person_a, o.person_a), coalesce(n.person_b, o.person_b), NULL,
       CASE WHEN o.person_a IS NULL THEN NULL ELSE concat_ws('/', coalesce(o.a_to_b::VARCHAR, '?'), coalesce(o.b_to_a::VARCHAR, '?')) END,
       CASE WHEN n.person_a IS NULL THEN NULL ELSE concat_ws('/', coalesce(n.a_to_b::VARCHAR, '?'), coalesce(n.b_to_a::VARCHAR, '?')) END,
       NULL
FROM user_relationships n FULL OUTER JOIN prev.user_relationships o
  ON n.person_a = o.person_a AND n.person_b = o.person_b
WHERE n.person_a IS NULL OR o.person_a IS NULL;

INSERT INTO changes
SELECT $version_id, $run_id, CAST($loaded_at AS TIMESTAMP), 'pair', 'changed', NULL, n.person_a, n.person_b, f.field, f.old_value, f.new_value, NULL
FROM user_relationships n JOIN prev.user_relationships o ON n.person_a = o.person_a AND n.person_b = o.person_b,
LATERAL (VALUES
  ('a_to_b', o.a_to_b::VARCHAR, n.a_to_b::VARCHAR),
  ('b_to_a', o.b_to_a::VARCHAR, n.b_to_a::VARCHAR)
) AS f(field, old_value, new_value)
WHERE f.old_value IS DISTINCT FROM f.new_value;
