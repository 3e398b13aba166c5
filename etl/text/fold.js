/**
 * Returns `text` folded for comparison and search: accents and other combining marks removed (the
 * rest composed again, NFC, as DuckDB's strip_accents() leaves it: Korean syllables stay whole),
 * lower case ("Peña" -> "pena", "Salés" -> "sales"), the Greek final sigma as σ (lower case keeps
 * a typed ς but makes a capital Σ σ, so "ΠΑΠΑΔΟΠΟΥΛΟΣ" and "Παπαδόπουλος" would never meet); null
 * and undefined fold to "". Departments, sheet names, sort keys and `q` searches all compare
 * through this one rule, so the API and the ETL never disagree on whether two names are the same;
 * SQL has the same rule (etl/contacts migrations 009, PostgreSQL 002), but for the characters
 * Unicode 16 and 17 added, which DuckDB's tables predate (etl/contacts/README.md: "Each backend
 * folds with its own Unicode tables").
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
