// @ts-check
/**
 * The API's rule for "the same name" (etl/text/fold.js), for the page: the page's modules are served
 * from this folder alone, so it is a copy, and fold_test.ts checks it answers as the API's does.
 */

/**
 * Returns `text` folded for comparison: combining marks removed, the rest composed again (NFC),
 * lower case, the Greek final sigma as σ. Two department names with the same fold are one
 * department to the API (an existing name in another case is reused).
 *
 * @example
 * fold("Recherche et Développement"); // "recherche et developpement"
 * @param {string | null | undefined} text
 * @returns {string}
 */
export function fold(text) {
  if (text === null || text === undefined) return "";
  return text.normalize("NFD").replace(/\p{M}/gu, "").normalize("NFC").toLowerCase().replaceAll("ς", "σ");
}
