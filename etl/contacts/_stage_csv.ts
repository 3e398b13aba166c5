/**
 * The first half of every CSV load, on a DuckDB connection whatever the target backend: read the
 * cells it needs with read_csv (all text, by position), each row numbered in file order, validate
 * every row with the record definition's SQL (`_ingest_sql.ts`), group rows by person, and collect rejects and repairs with
 * their physical line numbers, all set-based: no row crosses into JavaScript, so time is linear and
 * memory is DuckDB's (bounded by its memory_limit, spilling to disk), whatever the file's size.
 *
 * It leaves these temp tables for the writer (DuckDB: ingest_contacts.ts; PostgreSQL: ingest_postgres.ts):
 * - `_people(first_ord, key, <field>...)`: one row per person to load (the first line's values);
 * - `_okrows(ord, key, dept)`: every loaded line with its department ('' for none), for the links; from
 *   the list column (`Layout.departmentsListed`), one row per name a line's cell holds instead;
 * - `_rejects(line, field, o, reason, value, rid, seq)` and `_fixes(line, field, o, "from", "to", reason, rid, seq)`:
 *   `rid` names the row (what tallies count), `seq` orders the rows (the line, or without lines the row's place).
 */
import { quoteLiteral, type Database } from "../db/mod.ts";
import type { FieldTally, RowFix, RowReject } from "../handover/mod.ts";
import { physicalLine, readWidth, type CsvScan } from "./_csv_scan.ts";
import { rereadNotUtf8Rows } from "./_reread_lines.ts";
import { anyControlSql, cleanSql, fieldSql, keptValueSql, linkSql, listItemsSql, MAX_REJECT_VALUE_CHARS, q, shortenSql, trimmedOrNullSql } from "./_ingest_sql.ts";
import type { Layout } from "./_map_csv_header.ts";
import { ContactsCsvError } from "./contacts_csv_error.ts";
import { trimUnseen } from "../text/mod.js";
import { linksOf, upsertKeyOf, type RecordDefinition } from "./record_definition.ts";

/** Temp tables a load creates; dropped by dropStaging(). */
const TABLES = ["_bytes", "_oknames", "_new", "_changed", "_stage", "_v", "_verr", "_csv_rejects", "_csv_scans", "_headrows", "_extras", "_skips", "_skipat", "_first", "_conflicts", "_people", "_okrows", "_rejects", "_fixes"];

/** What staging found, before anything is written. */
export interface Staged {
  rows: number;
  contacts: number;
  rejected: number;
  fixes: number;
  /** The fields present in the file, in definition order. */
  fields: string[];
  warnings: string[];
  rejects: RowReject[];
  fixed: RowFix[];
  rejectsByField: FieldTally[];
  fixesByField: FieldTally[];
}

/** What the staging runs its statements on: a Database, or one that looks at a stop first (stoppable). */
type StagingDb = Pick<Database, "run" | "one" | "all" | "appender">;

/**
 * Reads and validates `csvPath` (already scanned) into the temp tables above and returns what it
 * found. `readPath` must be a plain file name DuckDB will not take as a glob. Once `signal` is
 * aborted no further statement runs (it throws the abort): the caller interrupts the one running,
 * and DuckDB drops an interrupt that lands between two statements.
 */
export async function stageCsv(database: Database, readPath: string, scan: CsvScan, layout: Layout, record: RecordDefinition, signal?: AbortSignal): Promise<Staged> {
  const db = signal === undefined ? database : stoppable(database, signal);
  await dropStaging(db);
  const width = readWidth(scan);
  const unnamed = scan.header.length - width;
  const widthSaid =
    unnamed === 0
      ? `; the header has ${width}`
      : `; rows are read with ${width} (the header's ${scan.header.length} less ${unnamed === 1 ? "its unnamed last column" : `its ${unnamed} unnamed last columns`}, which no row at the file's start has)`;
  const warnings = [...layout.warnings];
  if (scan.unterminatedQuoteLine !== null) {
    // Only on its own line (planLoad refuses one that takes in more): that line is rejected.
    warnings.push(`A quoted field opened on line ${scan.unterminatedQuoteLine} is never closed; the file ends inside it, and that line was not loaded`);
  }
  const columns = Array.from({ length: width }, (_, i) => `'c${i}': 'VARCHAR'`).join(", ");
  // Two steps from the file to the validated rows, and only the cells validation reads (the
  // record's columns and the departments'). In the second, each cell comes in two forms: `r_`
  // cleaned (NULL -> '', quoted CRLF -> LF: what validation and reject reports see) and `t_` trimmed,
  // NULL when trimming changes nothing (read as coalesce(t_, r_): the regular expression runs only
  // for the few cells that need it); a row is searched for control characters once, and only the
  // rare row with one is searched cell by cell. These forms are not kept: with a table of every raw
  // cell and one of the cleaned and trimmed cells held beside the result, the load went past its
  // memory_limit and DuckDB spilled them to disk (1M rows: 23.3-23.8 s against 18.0-19.6 s, in
  // alternating runs; 33-34 s of CPU against 28-29 s).
  // Column names are positional (c0, c1...): no name from the file reaches the SQL text.
  const fields = layout.record.fields.map((f) => ({ f, col: `c${layout.fields.find(([n]) => n === f.name)![1]}` }));
  const deptCol = layout.departments === null ? null : `c${layout.departments}`;
  const cells = [...fields.map(({ col }) => col), ...(deptCol === null ? [] : [deptCol])];
  const personCols = new Set(fields.filter(({ f }) => f.personName === true).map(({ col }) => col));
  const raw = (c: string) => q(`r_${c}`);
  const trimmedOf = (c: string) => `coalesce(s.${q(`t_${c}`)}, s.${raw(c)})`;
  const control = "s.any_control";
  const sql = fields.map(({ f, col }) => ({ f, col, s: fieldSql(f, `s.${raw(col)}`, trimmedOf(col), control) }));
  const link = deptCol === null ? null : linkSql(`s.${raw(deptCol)}`, trimmedOf(deptCol), linksOf(record).maxLength, control, layout.departmentsListed, linksOf(record).normalise);
  const deptColumn = layout.departmentsListed ? linksOf(record).csvListColumn : linksOf(record).csvColumn;
  // First the cells as read, each row with its place in the file (`ord`, 0-based, numbered as
  // read_csv yields the rows: a table's rowids are not that order once the load runs short of
  // memory, and the 1M-row file came out with rows of its second 8 MB read before its first). The
  // numbering runs on one thread, so only this light step is in its pipeline.
  await db.run(
    `CREATE TEMP TABLE _stage AS SELECT (row_number() OVER () - 1)::INTEGER AS ord, ${cells.join(", ")}
     FROM read_csv($1, header = true, auto_detect = false, delim = ${quoteLiteral(scan.separator)}, quote = '"', escape = '"',
       encoding = 'utf-8', columns = {${columns}}, store_rejects = true, rejects_table = '_csv_rejects', rejects_scan = '_csv_scans')`,
    [readPath],
  );
  // The header again inside the file (two exports joined): a row whose every cell read is a name of
  // the header's columns read or blank (any case, trimmed as the header's names are, mapCsvHeader():
  // spaces, a BOM, a zero-width space, a Hangul filler...), its key cell one, and two cells at least
  // named (one row of a file `,,email` is a bad row, rejected, not a header that refuses the file).
  // No contact's row is one: its key would be an e-mail address. `same`: each cell its own column's
  // name, or blank. The trimming is a regular expression per cell: it runs only for the rows whose
  // key cell holds a header name somewhere (`contains`, the CASE's WHEN), not for every row of the
  // file; a key cell with an '@' (every e-mail address) is passed over before it is even lowered.
  const headerName = (c: string) => trimUnseen(scan.header[Number(c.slice(1))]).toLowerCase();
  const headerNameList = [...new Set(cells.map(headerName))].filter((n) => n !== "");
  const headerNames = headerNameList.map(quoteLiteral).join(", ");
  const norm = (c: string) => `lower(coalesce(${trimmedOrNullSql(c, "department")}, ${c}, ''))`;
  const keyCol = fields.find(({ f }) => f.name === upsertKeyOf(record).name)!.col;
  const keyHasName = headerNameList.length === 0 ? "false" : headerNameList.map((n) => `contains(lower(${keyCol}), ${quoteLiteral(n)})`).join(" OR ");
  // A name with an '@' (none of the contacts') would be in a key cell with one.
  const keyWithAt = headerNameList.some((n) => n.includes("@")) ? "" : `WHEN contains(${keyCol}, '@') THEN false`;
  await db.run(
    `CREATE TEMP TABLE _headrows AS SELECT ord, ${cells.map((c) => `${norm(c)} IN (${quoteLiteral(headerName(c))}, '')`).join(" AND ")} AS same FROM _stage
     WHERE CASE ${keyWithAt} WHEN ${keyHasName} THEN ${norm(keyCol)} IN (${headerNames}) AND ${cells.map((c) => `${norm(c)} IN (${headerNames}, '')`).join(" AND ")}
       AND ${cells.map((c) => `(${norm(c)} <> '')::INTEGER`).join(" + ")} >= ${Math.min(2, cells.length)} ELSE false END`,
  );
  // Then per row: each field's value, for a repairable field whether it was repaired and its text
  // before (`x_`, `t_`), and whether any cell is invalid (`bad`). The invalid cells' errors and
  // their cleaned text (`e_`, `w_`: the rejects report's reason and value) go to a table of their
  // own, _verr, read again from _stage for the bad rows only: as columns of every row (NULL in all
  // but a few), they took half of _v's 425 MB in memory at 1M rows, and _stage and _v together went
  // past the 512 MB budget, which sent the step to disk: 3.9 s, against 1.8 s split (the whole load
  // of the 1M-row file 13.7-14.4 s -> 12.1-12.4 s, alternating; the same tables and rejects).
  const validated = (filter: string) => `(SELECT ord, ${cells.map((c) => `${raw(c)}, ${trimmedOrNullSql(raw(c), c === deptCol ? "department" : personCols.has(c) ? "person" : "text")} AS ${q(`t_${c}`)}`).join(", ")}, ${anyControlSql(cells.map(raw))} AS any_control
       FROM (SELECT ord, ${cells.map((c) => `${cleanSql(c)} AS ${raw(c)}`).join(", ")} FROM _stage WHERE ${filter})) s`;
  const fixable = sql.filter(({ s }) => s.fixed !== "false");
  const errors = [...(link === null ? [] : [link.error]), ...sql.map(({ s }) => s.error)];
  const dept = link === null ? "''" : link.name;
  const deptFixed = link !== null && link.fixed !== "false";
  await db.run(
    `CREATE TEMP TABLE _v AS SELECT s.ord, ${cells.map((c) => `${trimmedOf(c)} = ''`).join(" AND ")} AS all_empty,
       ${dept} AS dept, ${sql.map(({ f, s }) => `${s.value} AS ${q(f.name)}`).join(", ")},
       ${errors.length === 0 ? "false" : errors.map((e) => `${e} IS NOT NULL`).join(" OR ")} AS bad
       ${fixable.map(({ f, col, s }) => `, ${s.fixed} AS ${q(`x_${f.name}`)}, CASE WHEN ${s.fixed} THEN ${trimmedOf(col)} END AS ${q(`t_${f.name}`)}`).join("")}
       ${deptFixed ? `, CASE WHEN ${link!.fixed} THEN ${trimmedOf(deptCol!)} END AS t_dept` : ""}
     FROM ${validated("true")}`,
  );
  await db.run(
    `CREATE TEMP TABLE _verr AS SELECT s.ord, ${keptValueSql(dept)} AS dept, ${link === null ? "NULL::VARCHAR" : link.error} AS e_dept,
       ${sql.map(({ f, col, s }) => `${s.error} AS ${q(`e_${f.name}`)}, CASE WHEN ${s.error} IS NOT NULL THEN ${keptValueSql(`s.${raw(col)}`)} END AS ${q(`w_${f.name}`)}`).join(",\n       ")}
     FROM ${validated("ord IN (SELECT ord FROM _v WHERE bad AND NOT all_empty)")};
     DROP TABLE temp._stage`,
  );

  // Record -> physical line, sparse: the line offsets after quoted newlines, and the records that
  // are not staged rows (blank lines, and lines DuckDB rejected; its `line` is our record + 1).
  await db.run("CREATE TEMP TABLE _extras (rec INTEGER, extra INTEGER); CREATE TEMP TABLE _skips (rec INTEGER)");
  const extras = await db.appender("_extras", { schema: "temp" });
  try {
    for (const [rec, extra] of scan.extras) extras.int(rec).int(extra).endRow();
  } finally {
    extras.close();
  }
  const skips = await db.appender("_skips", { schema: "temp" });
  try {
    for (const rec of scan.blanks) skips.int(rec).endRow();
  } finally {
    skips.close();
  }
  await db.run(`INSERT INTO _skips SELECT DISTINCT line::INTEGER - 1 FROM temp._csv_rejects;
    CREATE TEMP TABLE _skipat AS SELECT ord_from, max(skipped) AS skipped FROM (
      SELECT rec - row_number() OVER (ORDER BY rec) AS ord_from, row_number() OVER (ORDER BY rec) AS skipped FROM (SELECT DISTINCT rec FROM _skips))
      -- Consecutive skipped records share an ord_from: keep the last count, or ASOF picks any of them.
      GROUP BY ord_from`);
  // A line of only spaces or tabs is one field to DuckDB, refused as "Has 1 field", where `,,,,` is
  // skipped as an empty row: it is one too. Still a skipped record above (its line keeps the lines
  // after it right); taken out of the rows DuckDB could not read. Only refused lines are looked at.
  const spaceLines = `SELECT line FROM temp._csv_rejects WHERE error_type = 'MISSING COLUMNS' AND coalesce(${trimmedOrNullSql("csv_line")}, csv_line) = ''`;
  const blankLines = Number((await db.one<{ n: number }>(`SELECT count(DISTINCT line)::INTEGER AS n FROM (${spaceLines})`))!.n);
  if (blankLines > 0) await db.run(`DELETE FROM temp._csv_rejects WHERE line IN (${spaceLines})`);
  // The rows refused as not UTF-8, read again from the file: DuckDB's text of them is mangled.
  await rereadNotUtf8Rows(db, readPath, scan.separator);
  const counts = await db.one<{ staged: number; skipped: number; file_rejects: number }>(
    `SELECT (SELECT count(*) FROM _v)::INTEGER AS staged, (SELECT count(DISTINCT rec) FROM _skips)::INTEGER AS skipped,
            (SELECT count(DISTINCT line) FROM temp._csv_rejects)::INTEGER AS file_rejects`,
  );
  const staged = Number(counts!.staged);
  // A spreadsheet's plain "CSV" is saved in the computer's code page (Windows-1252 in Spanish and
  // English Windows, Mac Roman on old Macs): every line with an accent (Peña, José) fails as a
  // whole. Say once, for the file, what to do about it.
  const notUtf8 = await db.one<{ n: number; first: number }>(
    "SELECT count(DISTINCT line)::INTEGER AS n, min(line)::INTEGER AS first FROM temp._csv_rejects WHERE error_type = 'INVALID ENCODING'",
  );
  if (Number(notUtf8!.n) > 0) {
    const n = Number(notUtf8!.n);
    warnings.push(
      `${n} ${n === 1 ? "line is" : "lines are"} not UTF-8 text and ${n === 1 ? "was" : "were"} not loaded (the first: line ${physicalLineOfDuckDbLine(scan, Number(notUtf8!.first))}); ` +
        `the file looks saved in another encoding (Excel's "CSV (Comma delimited)" is Windows-1252): save it as "CSV UTF-8 (Comma delimited)" and load it again`,
    );
  }
  const linesKnown = staged + Number(counts!.skipped) === scan.records - 1;
  if (!linesKnown) {
    warnings.push("Could not map rows to physical line numbers; rejects name the rows read by their place among them (data row N), and rows that could not be read by their start, instead");
  }
  // ord (0-based staged row) -> its physical line, for the few rows that need one.
  const withLine = (sub: string) =>
    linesKnown
      ? `(SELECT t.*, (t.ord + 1 + coalesce(k.skipped, 0) + 1 + coalesce(x.extra, 0))::INTEGER AS line FROM (${sub}) t
           ASOF LEFT JOIN _skipat k ON t.ord >= k.ord_from ASOF LEFT JOIN _extras x ON t.ord + 1 + coalesce(k.skipped, 0) >= x.rec)`
      : `(SELECT t.*, NULL::INTEGER AS line FROM (${sub}) t)`;
  // Without lines, a row read is named by its place among the rows read: the records skipped before
  // it (blank lines, rows DuckDB refused) are what a line map that disagrees with DuckDB cannot
  // count. `ord` names the row's ord column where a join brings two (the conflicts join `c` and `w`).
  const reason = (message: string, ord = "ord") => (linesKnown ? message : `'Data row ' || (${ord} + 1) || ': ' || ${message}`);
  const placeOf = (alias: string) => (linesKnown ? `'line ' || ${alias}.line` : `'data row ' || (${alias}.ord + 1)`);
  // Each reject's row (`rid`, what the tallies count) and its place in the file (`seq`, their order).
  const rowOf = (ord: string, line: string) => `'v' || ${ord} AS rid, ${linesKnown ? line : `${ord} + 1`} AS seq`;

  // A header repeated as it is, is skipped (its rows are read under the same columns); one in another
  // order stops the load: the rows after it would be read under the first header's columns, their
  // values in the wrong fields (first and last names, phones swapped) and loaded without a word.
  const headRows = await db.all<{ ord: number; line: number | null; same: boolean }>(`SELECT ord, line, same FROM ${withLine("SELECT ord, same FROM _headrows")} ORDER BY ord`);
  const placeOfRow = (r: { ord: number; line: number | null }) => (r.line === null ? `data row ${Number(r.ord) + 1}` : `line ${r.line}`);
  const reordered = headRows.find((r) => !r.same);
  if (reordered !== undefined) {
    throw new ContactsCsvError(
      "header-repeated",
      `Contacts file '${layout.file}' has another header on ${placeOfRow(reordered)}, its columns in another order than line 1's (two exports joined?): ` +
        `the rows after it would be read under line 1's columns; load each part as a file of its own, or put its columns in line 1's order. Nothing was loaded`,
      layout.file,
    );
  }
  if (headRows.length > 0) {
    await db.run("DELETE FROM _v WHERE ord IN (SELECT ord FROM _headrows); DELETE FROM _verr WHERE ord IN (SELECT ord FROM _headrows)");
    const first = headRows.slice(0, 10);
    const places = first.every((r) => r.line !== null) ? `${first.length === 1 ? "Line" : "Lines"} ${first.map((r) => r.line).join(", ")}` : first.map(placeOfRow).join(", ");
    const more = headRows.length > 10 ? ` and ${headRows.length - 10} more` : "";
    warnings.push(`${places.charAt(0).toUpperCase()}${places.slice(1)}${more} ${headRows.length === 1 ? "repeats" : "repeat"} the header (two exports joined?); skipped`);
  }

  const keyField = upsertKeyOf(record);
  const K = q(keyField.name);
  const names = fields.map(({ f }) => f.name);
  // A row with nothing in any cell read (`,,,,,,,,,,`: spreadsheets export the empty rows below the
  // data that were ever formatted, often hundreds) is a blank line, not a contact with three errors:
  // skipped and counted once. Its `ord` stays out of every later table; the others keep theirs, so
  // their lines are unchanged.
  const emptyRows = Number((await db.one<{ n: number }>("SELECT count(*)::INTEGER AS n FROM _v WHERE all_empty"))!.n);
  if (emptyRows > 0) await db.run("DELETE FROM _v WHERE all_empty");
  const skipped = emptyRows + blankLines;
  if (skipped > 0) {
    warnings.push(`${skipped} ${skipped === 1 ? "row has" : "rows have"} no value in any column read (${skipped === 1 ? "an empty row" : "empty rows"}, as spreadsheets export them, or lines of only spaces); skipped`);
  }

  // People: the first valid line of an e-mail (any case) holds the values; a later line that agrees
  // on every other field adds its department; one that disagrees is rejected, naming the fields.
  const others = names.filter((n) => n !== keyField.name);
  // Only an e-mail on several lines can conflict, so only those are joined back to their first line
  // (the 1M-row file: 0.22-0.24 s instead of 0.97-1.12 s; 609 conflicts either way).
  await db.run(`CREATE TEMP TABLE _first AS
      SELECT lower(${K}) AS key, arg_min(ord, ord) AS first_ord, count(*) AS lines FROM _v WHERE NOT bad GROUP BY 1;
    CREATE TEMP TABLE _conflicts AS
      SELECT v.ord, lower(v.${K}) AS key, v.${K} AS shown, f.first_ord,
        concat_ws(', ', ${others.length === 0 ? "NULL" : others.map((n) => `CASE WHEN v.${q(n)} IS DISTINCT FROM w.${q(n)} THEN ${quoteLiteral(n)} END`).join(", ")}) AS differs
      FROM _v v JOIN (SELECT key, first_ord FROM _first WHERE lines > 1) f ON f.key = lower(v.${K}) JOIN _v w ON w.ord = f.first_ord
      WHERE NOT v.bad AND v.ord <> f.first_ord
        AND (${others.length === 0 ? "false" : others.map((n) => `v.${q(n)} IS DISTINCT FROM w.${q(n)}`).join(" OR ")});
    CREATE TEMP TABLE _people AS
      SELECT f.first_ord, f.key, ${names.map((n) => `w.${q(n)}`).join(", ")} FROM _first f JOIN _v w ON w.ord = f.first_ord;
    CREATE TEMP TABLE _okrows AS
      SELECT v.ord, lower(v.${K}) AS key, v.dept FROM _v v WHERE NOT v.bad
        AND v.ord NOT IN (SELECT ord FROM _conflicts)`);

  // Rejects, every one with its line: rows DuckDB could not parse, invalid fields, conflicts.
  // Separators counted outside quoted fields. A quote opens one only at a field's start, or after
  // one space there, as DuckDB reads it: `24" Monitor,5" Tablet` is two fields, not one quoted span.
  const separatorClass = `[${scan.separator.replace(/[\\\]^-]/g, "\\$&")}]`;
  // DuckDB's text of such a row of a CRLF file may begin with the LF of the line end before it
  // (DuckDB 1.5.6; `_reread_lines.ts`): the value showed "\n3,4,5", and a quoted first field was
  // not taken as one ("Has 4 fields" for `"Lee, Ann",x,y`). No row of such a file begins with an LF
  // of its own (a line break in a field is inside its quotes), so that one LF is dropped.
  const csvLine = scan.lineEnd === "CRLF" ? "CASE WHEN starts_with(csv_line, chr(10)) THEN substr(csv_line, 2) ELSE csv_line END" : "csv_line";
  const unquoted = `regexp_replace(r.csv_line, ${quoteLiteral(`(^|${separatorClass}) ?"(?:[^"]|"")*"`)}, '\\1', 'g')`;
  const fieldCount = `(length(${unquoted}) - length(replace(${unquoted}, ${quoteLiteral(scan.separator)}, '')) + 1)`;
  // DuckDB's `line` is its record + 1, before quoted newlines are counted.
  const parsedLine = "(r.line + coalesce(x.extra, 0))::INTEGER";
  // DuckDB says "Value with unterminated quote found." also of a quote that is closed and followed
  // by text (`"Acme" Inc`): that field, looked for in the rejected lines only, is what to show and mend.
  const none = (of: string) => `[^${scan.separator.replace(/[\\\]^-]/g, "\\$&")}\\r\\n${of}]`;
  const afterClose = `regexp_extract(r.csv_line, ${quoteLiteral(`(^|${separatorClass}) ?("(?:[^"]|"")*"${none('"')}${none("")}*)`)}, 2)`;
  const afterCloseReason =
    `'Has text after the closing quote of a quoted field: ''' || ${shortenSql(afterClose)} || '''; quote the whole value with its quotes doubled' || ` +
    `CASE WHEN length(${afterClose}) <= 60 THEN ' ("' || replace(${afterClose}, '"', '""') || '")' ELSE '' END || ' or remove the quotes'`;
  // A quote left open on the last line (planLoad refuses one that takes in more lines).
  const openAtEnd = linesKnown && scan.unterminatedQuoteLine !== null ? `WHEN r.error_type = 'UNQUOTED VALUE' AND ${parsedLine} = ${scan.unterminatedQuoteLine} THEN ${quoteLiteral(OPEN_AT_END)}` : "";
  // DuckDB's own words were "Maximum line size of 2000000 bytes exceeded. Actual Size:2100050 bytes.":
  // the two figures, in ours (the line's text is the reject's value, cut).
  const sizeOf = (pattern: string) => `format('{:,}', TRY_CAST(regexp_extract(r.error_message, ${quoteLiteral(pattern)}, 1) AS BIGINT))`;
  const lineSizeReason =
    `coalesce('Is ' || ${sizeOf("Actual Size: *([0-9]+)")} || ' bytes long, over the ' || ${sizeOf("line size of ([0-9]+)")} || ' bytes a line may have', 'Is longer than a line may be') || ` +
    `'; it was not read: shorten its longest value'`;
  // Of such a line DuckDB keeps its first 10,000 characters: the value is its start and its size.
  const lineSizeValue = `left(r.csv_line, ${MAX_REJECT_VALUE_CHARS}) || coalesce('... (' || ${sizeOf("Actual Size: *([0-9]+)")} || ' bytes)', '...')`;
  // A row read again (`_bytes`) names its first byte that is not UTF-8, on the line and at the column
  // an editor shows it on (where such a byte is one character), and how the value shows it.
  const badByte = "printf('%02X', b.bad_byte)";
  const badAt = linesKnown
    ? `'on line ' || (${parsedLine} + b.bad_line) || ', column ' || b.bad_column`
    : `'at column ' || b.bad_column || CASE WHEN b.bad_line > 0 THEN ' of the row''s line ' || (b.bad_line + 1) ELSE '' END`;
  const open = NOT_UTF8.indexOf("(") + 1;
  const notUtf8Reason = `CASE WHEN b.line IS NULL THEN ${quoteLiteral(NOT_UTF8)} ELSE ${quoteLiteral(`${NOT_UTF8.slice(0, open)}byte 0x`)} || ${badByte} || ' ' || ${badAt} ||
    ', shown as \\x' || ${badByte} || ': ' || ${quoteLiteral(NOT_UTF8.slice(open))} END`;
  const parts = [
    // Unmapped lines (the warning above): a row that could not be read has no place among the rows
    // read, so it is named by its start.
    `SELECT ${linesKnown ? parsedLine : "NULL::INTEGER"} AS line, '*' AS field, -1 AS o,
       ${linesKnown ? "" : `'The row starting ''' || ${shortenSql("coalesce(b.head, r.csv_line)")} || ''': ' || `}CASE WHEN r.error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS')
         THEN 'Has ' || ${fieldCount} || CASE WHEN ${fieldCount} = 1 THEN ' field' ELSE ' fields' END || ${quoteLiteral(widthSaid)}
         WHEN r.error_type = 'INVALID ENCODING' THEN ${notUtf8Reason}
         ${openAtEnd}
         WHEN r.error_type = 'UNQUOTED VALUE' AND ${afterClose} <> '' THEN ${afterCloseReason}
         WHEN r.error_type = 'LINE SIZE OVER MAXIMUM' THEN ${lineSizeReason}
         ELSE r.error_message END AS reason,
       CASE WHEN r.error_type = 'LINE SIZE OVER MAXIMUM' THEN ${lineSizeValue} WHEN b.line IS NOT NULL THEN ${keptValueSql("b.head", "b.chars")} ELSE ${keptValueSql("r.csv_line")} END AS value, 'p' || r.line AS rid, ${linesKnown ? parsedLine : "r.line - 1"} AS seq
     FROM (SELECT line::INTEGER AS line, arg_min(error_type, coalesce(column_idx, -1)) AS error_type, arg_min(error_message, coalesce(column_idx, -1)) AS error_message,
                  arg_min(${csvLine}, coalesce(column_idx, -1)) AS csv_line FROM temp._csv_rejects GROUP BY line) r
     ASOF LEFT JOIN _extras x ON r.line - 1 >= x.rec LEFT JOIN _bytes b ON b.line = r.line`,
    ...sql.map(
      ({ f }, i) => `SELECT v.line, ${quoteLiteral(f.name)}, ${i}, ${reason(`v.${q(`e_${f.name}`)}`, "v.ord")}, v.${q(`w_${f.name}`)}, ${rowOf("v.ord", "v.line")}
        FROM ${withLine(`SELECT ord, ${q(`e_${f.name}`)}, ${q(`w_${f.name}`)} FROM _verr WHERE ${q(`e_${f.name}`)} IS NOT NULL`)} v`,
    ),
    `SELECT line, ${quoteLiteral(deptColumn)}, ${sql.length}, ${reason("e_dept")}, dept, ${rowOf("ord", "line")} FROM ${withLine("SELECT ord, e_dept, dept FROM _verr WHERE e_dept IS NOT NULL")}`,
    `SELECT c.line, ${quoteLiteral(keyField.name)}, ${sql.length + 1},
       ${reason(`'The ${keyField.name} ''' || ${shortenSql("c.shown")} || ''' is also on ' || ${placeOf("w")} || '; this line differs from ' || ${placeOf("w")} || ' in ' || c.differs || ' and was not loaded'`, "c.ord")},
       c.shown, ${rowOf("c.ord", "c.line")}
     FROM ${withLine("SELECT ord, shown, first_ord, differs FROM _conflicts")} c
     JOIN ${withLine("SELECT ord FROM _v WHERE ord IN (SELECT first_ord FROM _conflicts)")} w ON w.ord = c.first_ord`,
  ];
  await db.run(`CREATE TEMP TABLE _rejects AS ${parts.join("\nUNION ALL ")}`);
  const fixParts = fixable.map(
    ({ f, s }, i) => `SELECT v.line, ${quoteLiteral(f.name)} AS field, ${i} AS o, v."from", v."to", ${s.fixMessage('v."from"')} AS reason, ${rowOf("v.ord", "v.line")}
      FROM ${withLine(`SELECT v.ord, v.${q(`t_${f.name}`)} AS "from", v.${q(f.name)} AS "to" FROM _v v WHERE v.${q(`x_${f.name}`)} AND v.ord IN (SELECT ord FROM _okrows)`)} v`,
  );
  if (deptFixed) {
    fixParts.push(`SELECT v.line, ${quoteLiteral(deptColumn)} AS field, ${fixable.length} AS o, v."from", v."to", ${link!.fixMessage('v."from"')} AS reason, ${rowOf("v.ord", "v.line")}
      FROM ${withLine(`SELECT v.ord, v.t_dept AS "from", v.dept AS "to" FROM _v v WHERE v.t_dept IS NOT NULL AND v.ord IN (SELECT ord FROM _okrows)`)} v`);
  }
  await db.run(
    `CREATE TEMP TABLE _fixes AS ${fixParts.join(" UNION ALL ") || `SELECT NULL::INTEGER AS line, '' AS field, 0 AS o, '' AS "from", '' AS "to", '' AS reason, '' AS rid, 0 AS seq WHERE false`}`,
  );

  const totals = await db.one<{ contacts: number; bad_rows: number; fixes: number }>(
    `SELECT (SELECT count(*) FROM _people)::INTEGER AS contacts, ((SELECT count(*) FROM _v) - (SELECT count(*) FROM _okrows))::INTEGER AS bad_rows,
            (SELECT count(*) FROM _fixes)::INTEGER AS fixes`,
  );
  const tally = (table: string) =>
    db.all<FieldTally>(
      `SELECT field, count(DISTINCT rid)::INTEGER AS count, coalesce(list(DISTINCT line ORDER BY line) FILTER (WHERE line IS NOT NULL), [])[1:50] AS lines,
         arg_min(reason, seq::BIGINT * 10000 + o) AS first_reason
       FROM ${table} GROUP BY field ORDER BY min(seq), field`,
    );
  const result: Staged = {
    rows: staged - emptyRows - headRows.length + Number(counts!.file_rejects),
    contacts: Number(totals!.contacts),
    rejected: Number(counts!.file_rejects) + Number(totals!.bad_rows),
    fixes: Number(totals!.fixes),
    fields: names,
    warnings,
    rejects: await db.all<RowReject>("SELECT line, field, reason, value FROM _rejects ORDER BY seq, o LIMIT 100"),
    fixed: await db.all<RowFix>(`SELECT line, field, "from", "to", reason FROM _fixes ORDER BY seq, o LIMIT 100`),
    rejectsByField: (await tally("_rejects")).map(plainTally),
    fixesByField: (await tally("_fixes")).map(plainTally),
  };
  // The writes read only _people, _okrows, _rejects and _fixes. The validated rows (_v: every cell
  // with its error, repair and reported form, 425 MB in memory at 1M rows) would otherwise sit in
  // the load's 512 MB budget through the writes and push their work to disk.
  await db.run("DROP TABLE temp._v; DROP TABLE temp._verr; DROP TABLE temp._first; DROP TABLE temp._conflicts");
  // A line's cell of the list column becomes one link row per name, once the counts above (one
  // row per line) are taken: the writers read _okrows the same way in either form.
  if (layout.departmentsListed) {
    await db.run(`CREATE TEMP TABLE _oknames AS SELECT ord, key, unnest(${listItemsSql("dept")}) AS dept FROM _okrows WHERE dept <> '';
      DROP TABLE temp._okrows;
      ALTER TABLE temp._oknames RENAME TO _okrows`);
  }
  return result;
}

/**
 * The department names the staged lines give (`_okrows`), each once, in the order of their first
 * line (a line's several names, from the list column, in the order of their text): both writers
 * create the new ones in this order, so the same file gives the same department ids.
 */
export const STAGED_DEPARTMENT_NAMES = "SELECT dept AS name FROM _okrows WHERE dept <> '' GROUP BY dept ORDER BY min(ord), dept";

/** What a line that is not UTF-8 is rejected with: what happened and what to do. */
export const NOT_UTF8 =
  `is not UTF-8 text (an accented letter saved in another encoding, such as Windows-1252); save the file as "CSV UTF-8 (Comma delimited)" and load it again`;

/** What a line the file ends inside a quoted field of is rejected with. */
export const OPEN_AT_END = "Has a quote that is never closed: the file ends inside its quoted field; close that quote (or remove it)";

// DuckDB's rejects name a record by `line` = record + 1, before quoted newlines are counted.
function physicalLineOfDuckDbLine(scan: CsvScan, line: number): number {
  return physicalLine(scan, line - 1);
}

function plainTally(t: FieldTally): FieldTally {
  return { field: t.field, count: Number(t.count), lines: [...(t.lines ?? [])], first_reason: t.first_reason };
}

/** `db`'s statements, each throwing `signal`'s abort instead of running once it is aborted. */
export function stoppable(db: Database, signal: AbortSignal): StagingDb {
  return {
    run: (...args) => (signal.throwIfAborted(), db.run(...args)),
    one: (...args) => (signal.throwIfAborted(), db.one(...args)),
    all: (...args) => (signal.throwIfAborted(), db.all(...args)),
    appender: (...args) => (signal.throwIfAborted(), db.appender(...args)),
  };
}

/** Drops every temp table a load made (also after a failure). */
export async function dropStaging(db: Pick<Database, "run">): Promise<void> {
  await db.run(TABLES.map((t) => `DROP TABLE IF EXISTS temp.${t};`).join(" "));
}
