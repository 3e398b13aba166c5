/**
 * Returns `text` folded for comparison and search: accents and other combining marks removed (the
 * rest composed again, NFC, as DuckDB's strip_accents() leaves it: Korean syllables stay whole),
 * lower case ("Peña" -> "pena", "Salés" -> "sales"), the Greek final sigma as σ (lower case keeps
 * a typed ς but makes a capital Σ σ, so "ΠΑΠΑΔΟΠΟΥΛΟΣ" and "Παπαδόπουλος" would never meet); null
 * and undefined fold to "". Departments, sheet names, sort keys and `q` searches all compare
 * through this one rule, so the API and the ETL never disagree on whether two names are the same;
 * SQL has the same rule as `fold()` (etl/contacts migrations 013, PostgreSQL 005: the same list of
 * marks, \p{M} of Unicode 17; etl/contacts/fold_sql_test.ts compares all three over every code
 * point). Known limit: the 61 letters Unicode 16 and 17 added that lower-case or decompose (U+A7CB,
 * Garay, Beria Erfe, Todhri...) fold here as this Node's tables say, and in SQL as the database's
 * lower() and normalize() say (unchanged), alike on DuckDB and PostgreSQL; a name in them may match
 * a department or a filter in one case only.
 *
 * @example
 * ```ts
 * fold("Recherche et Développement"); // "recherche et developpement"
 * ```
 * @param {string | null | undefined} text
 * @returns {string}
 */
export function fold(text) {
  if (text === null || text === undefined) return "";
  return text.normalize("NFD").replace(/\p{M}/gu, "").normalize("NFC").toLowerCase().replaceAll("ς", "σ");
}
