-- 009: fold() maps the Greek final sigma to σ, as etl/text fold() now does. SQL's lower() keeps a
-- typed ς but turns a capital Σ into σ, so a contact stored as 'ΠΑΠΑΔΟΠΟΥΛΟΣ' was never found by
-- q=Παπαδόπουλος (nor a department or city written the other way). The stored folds change only in
-- rows that hold a ς, so only those are written again.
CREATE OR REPLACE MACRO fold(x) AS replace(lower(strip_accents(coalesce(x, ''))), 'ς', 'σ');
UPDATE contacts SET
  first_name_sort = fold(first_name), last_name_sort = fold(last_name), company_name_sort = fold(company_name),
  city_sort = fold(city), search_text = fold(first_name) || ' ' || fold(last_name) || ' ' || fold(email)
WHERE contains(first_name || last_name || coalesce(company_name, '') || coalesce(city, '') || email, 'ς');
