/**
 * What counts as a letter in a person's name, for the API's validation (JavaScript) and the CSV
 * load's (DuckDB SQL, RE2) alike: a character of Unicode's category L as Unicode 15.0 has it. Each
 * engine reads `\p{L}` from its own tables, Node 20's ICU from Unicode 17.0 and DuckDB's RE2 from
 * 15.0, so `\p{L}` alone let POST /contacts store a name in Garay or Todhri that a load of the same
 * value rejected. Both sides take out the letters added after 15.0 (the ranges below), which keeps
 * them equal while either engine's tables move up to 17.0; `_letters_test.ts` compares them on
 * every code point and fails when a newer Node or DuckDB makes them differ again.
 *
 * @example
 * ```ts
 * hasLetter("Ann"); // true
 * hasLetter("\u{10D50}"); // false: a Garay letter, Unicode 16.0
 * noLetterProblem("\u{10D50}"); // "must contain at least one letter (of any script) of Unicode 15.0 or earlier; U+10D50 is ..."
 * ```
 */
import { quoteLiteral } from "../db/mod.ts";
import { BLANK_AT_ENDS, BLANK_LOOKING, codePointRanges } from "../text/mod.js";

/** The Unicode version whose letters a name may rely on: the newest both engines know. */
export const LETTERS_UNICODE = "15.0";

// The code points of category L in Unicode 17.0 that were not letters (or not assigned) in 15.0:
// where JavaScript's \p{L} and RE2's \pL disagree, found by comparing both on every code point.
const NEWER_LETTERS: readonly (readonly [number, number])[] = [
  [0x88f, 0x88f], [0xc5c, 0xc5c], [0xcdc, 0xcdc], [0x1c89, 0x1c8a], [0xa7cb, 0xa7cf], [0xa7d2, 0xa7d2],
  [0xa7d4, 0xa7d4], [0xa7da, 0xa7dc], [0xa7f1, 0xa7f1], [0x105c0, 0x105f3], [0x10940, 0x10959],
  [0x10d4a, 0x10d65], [0x10d6f, 0x10d85], [0x10ec2, 0x10ec7], [0x11380, 0x11389], [0x1138b, 0x1138b],
  [0x1138e, 0x1138e], [0x11390, 0x113b5], [0x113b7, 0x113b7], [0x113d1, 0x113d1], [0x113d3, 0x113d3],
  [0x11bc0, 0x11be0], [0x11db0, 0x11ddb], [0x13460, 0x143fa], [0x16100, 0x1611d], [0x16d40, 0x16d6c],
  [0x16ea0, 0x16eb8], [0x16ebb, 0x16ed3], [0x16ff2, 0x16ff3], [0x187f8, 0x187ff], [0x18cff, 0x18cff],
  [0x18d09, 0x18d1e], [0x18d80, 0x18df2], [0x1e5d0, 0x1e5ed], [0x1e5f0, 0x1e5f0], [0x1e6c0, 0x1e6de],
  [0x1e6e0, 0x1e6e2], [0x1e6e4, 0x1e6e5], [0x1e6e7, 0x1e6ed], [0x1e6f0, 0x1e6f4], [0x1e6fe, 0x1e6ff],
  [0x2b73a, 0x2b73f], [0x2cea2, 0x2cead], [0x2ebf0, 0x2ee5d], [0x323b0, 0x33479],
];

const hex = (cp: number) => cp.toString(16).toUpperCase();
// A class of code point ranges, in each engine's escape (etl/text codePointRanges()).
const rangesClass = (ranges: readonly (readonly [number, number])[], engine: "js" | "sql") => `[${codePointRanges(ranges, engine)}]`;
const jsClass = rangesClass(NEWER_LETTERS, "js");
const sqlClass = rangesClass(NEWER_LETTERS, "sql");

// Letters that show as nothing (the Hangul fillers U+3164, U+115F, U+1160, U+FFA0: etl/text
// BLANK_LOOKING) are no letter of a name either: a first name of U+3164 alone was stored blank.
const jsBlank = rangesClass(BLANK_LOOKING, "js");
/** etl/text BLANK_LOOKING as an RE2 class, for the CSV load's SQL. */
export const BLANK_LOOKING_SQL = rangesClass(BLANK_LOOKING, "sql");
/** etl/text BLANK_AT_ENDS (what trimUnseen() and trimBlank() take off an end) as an RE2 class. */
export const BLANK_AT_ENDS_SQL = rangesClass(BLANK_AT_ENDS, "sql");
// What hasLetter() does not count: the newer letters and the blank ones, one class per engine.
const sqlNotCounted = `${sqlClass.slice(0, -1)}${BLANK_LOOKING_SQL.slice(1)}`;

const LETTER = new RegExp(`(?!${jsClass}|${jsBlank})\\p{L}`, "u");
const NEWER_LETTER = new RegExp(jsClass, "u");

const NO_LETTER = "must contain at least one letter (of any script)";
const NEWER_ONLY = [`${NO_LETTER} of Unicode ${LETTERS_UNICODE} or earlier; U+`, " is a newer letter, not accepted yet"] as const;

/** True when `text` holds a letter of Unicode 15.0. */
export function hasLetter(text: string): boolean {
  return LETTER.test(text);
}

/**
 * Why `text` (which has no letter of Unicode 15.0) is refused: no letter at all, or only letters
 * newer than 15.0, the first of them named by code point so the person can see what was refused.
 */
export function noLetterProblem(text: string): string {
  const newer = NEWER_LETTER.exec(text);
  if (newer === null) return NO_LETTER;
  return `${NEWER_ONLY[0]}${hex(newer[0].codePointAt(0)!).padStart(4, "0")}${NEWER_ONLY[1]}`;
}

/**
 * `hasLetter()` as a DuckDB boolean over the SQL `text`. An all-ASCII cell (as long in bytes as in
 * characters: most names) is settled by `\pL` alone; any other is matched again without the newer
 * letters only when it holds one, so a DuckDB whose RE2 learns them still agrees. A CASE, whose
 * branches DuckDB evaluates only on the rows that reach them: written as `\pL AND (ascii OR NOT
 * newer OR ...)`, the 728k first and last names of the 1M-row file took 0.26-0.31 s, against
 * 0.11-0.14 s as a CASE and 0.06-0.10 s for `\pL` alone.
 */
export function hasLetterSql(text: string): string {
  const anyLetter = `regexp_matches(${text}, '\\pL')`;
  return `CASE WHEN strlen(${text}) = length(${text}) THEN ${anyLetter} WHEN NOT regexp_matches(${text}, '${sqlNotCounted}') THEN ${anyLetter}
    ELSE regexp_matches(regexp_replace(${text}, '${sqlNotCounted}', '', 'g'), '\\pL') END`;
}

/** `noLetterProblem()` as DuckDB SQL over `text`, the same words. */
export function noLetterProblemSql(text: string): string {
  const code = `upper(printf('%04x', unicode(regexp_extract(${text}, '${sqlClass}'))))`;
  return `CASE WHEN regexp_matches(${text}, '${sqlClass}') THEN ${quoteLiteral(NEWER_ONLY[0])} || ${code} || ${quoteLiteral(NEWER_ONLY[1])} ELSE ${quoteLiteral(NO_LETTER)} END`;
}
