/**
 * The text of the few rows DuckDB refused as not UTF-8, read again from the file as they are in it.
 * DuckDB's reject keeps such a row with each byte it could not read shown as `?`, and the byte after
 * it taken too (a comma, a closing quote): the report showed `Jos??Ray,...` for `Jos\xE9,Ray,...`.
 * Only those rows are read, each at the offset DuckDB gives for it (one positioned read of its
 * bytes), a batch at a time into `_bytes`: memory is one batch, whatever the file's size.
 */
import { isUtf8 } from "node:buffer";
import { closeSync, openSync, readSync } from "node:fs";
import type { Database } from "../db/mod.ts";
import { MAX_REJECT_VALUE_CHARS } from "./_ingest_sql.ts";
import { sequenceLength } from "./_utf8_check.ts";

/** The table `rereadNotUtf8Rows` fills: DuckDB's `line` of a refused row, and that row as shown. */
export const REREAD_TABLE = "_bytes";

/** Rows read per batch. */
const BATCH = 1000;
/** A row longer than this was refused for its size, not its bytes: it keeps DuckDB's text. */
const MAX_ROW_BYTES = 4 << 20;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const SPACE = 0x20;

/** A row as shown: every byte that is not UTF-8 as `\xHH`, the rest as it is. */
export interface ShownRow {
  /** Its first MAX_REJECT_VALUE_CHARS + 1 characters at most. */
  head: string;
  /** Its length in characters (code points, as SQL's `length()`). */
  chars: number;
  /** The first byte that is not UTF-8: its value, and where an editor shows it (0-based line within the row, 1-based column). */
  bad: { byte: number; line: number; column: number } | null;
}

/**
 * `bytes` as text, each byte that is not part of a well-formed UTF-8 sequence written `\xHH` (upper
 * case), and where the first one is.
 *
 * @example
 * ```ts
 * showBytes(Buffer.from([0x4a, 0x6f, 0x73, 0xe9, 0x2c])); // { head: "Jos\\xE9,", chars: 8, bad: { byte: 0xe9, line: 0, column: 4 } }
 * ```
 */
export function showBytes(bytes: Buffer): ShownRow {
  let head = "";
  let chars = 0;
  let bad: ShownRow["bad"] = null;
  let line = 0;
  let column = 0;
  const add = (text: string, length: number) => {
    if (chars <= MAX_REJECT_VALUE_CHARS) head += text;
    chars += length;
  };
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    column++;
    if (b < 0x80) {
      if (b === LF || (b === CR && bytes[i + 1] !== LF)) {
        line++;
        column = 0;
      }
      add(String.fromCharCode(b), 1);
      i++;
      continue;
    }
    const length = b >= 0xc2 ? sequenceLength(b) : 0;
    if (length >= 2 && length <= 4 && i + length <= bytes.length && isUtf8(bytes.subarray(i, i + length))) {
      add(bytes.toString("utf8", i, i + length), 1);
      i += length;
      continue;
    }
    if (bad === null) bad = { byte: b, line, column };
    add(`\\x${b.toString(16).toUpperCase().padStart(2, "0")}`, 4);
    i++;
  }
  return { head: head.length > MAX_REJECT_VALUE_CHARS ? [...head].slice(0, MAX_REJECT_VALUE_CHARS + 1).join("") : head, chars, bad };
}

/**
 * The bytes of the row starting at `start` in the open file `fd`, up to the line end that closes it
 * (outside quotes: a quote opens a field only at its start or after one space, as DuckDB and
 * `_csv_scan.ts` read it), or null when it runs past MAX_ROW_BYTES.
 */
function rowAt(fd: number, start: number, separator: number): Buffer | null {
  const parts: Buffer[] = [];
  let length = 0;
  let inQuotes = false;
  let previous = LF;
  let previous2 = LF;
  const fieldStart = (c: number) => c === separator || c === LF || c === CR;
  for (;;) {
    // A row is mostly under 4 KiB: read that first, then 64 KiB at a time, so that many short rows
    // read again (half a million rows of another encoding) do not each copy 64 KiB.
    const chunk = Buffer.allocUnsafe(length === 0 ? 4096 : 64 * 1024);
    const n = readSync(fd, chunk, 0, chunk.length, start + length);
    for (let i = 0; i < n; i++) {
      const c = chunk[i];
      if (inQuotes) {
        if (c === QUOTE) inQuotes = false;
      } else if (c === QUOTE) {
        // A quote right after a closing one is the second of an escaped `""`: the field goes on.
        inQuotes = previous === QUOTE || fieldStart(previous) || (previous === SPACE && fieldStart(previous2));
      } else if (c === LF || c === CR) {
        parts.push(chunk.subarray(0, i));
        return Buffer.concat(parts);
      }
      previous2 = previous;
      previous = c;
    }
    if (n === 0) return Buffer.concat(parts);
    parts.push(chunk.subarray(0, n));
    length += n;
    if (length > MAX_ROW_BYTES) return null;
  }
}

/**
 * Reads again, from `path`, each row DuckDB's `temp._csv_rejects` holds as not UTF-8, into `_bytes`
 * (`line`: DuckDB's; `head`, `chars`, `bad_*`: `ShownRow`). A row whose start does not check out
 * (the bytes before it are not a line end, or its text does not begin as DuckDB's does up to its
 * first `?`) is left out: its reject keeps DuckDB's text.
 */
export async function rereadNotUtf8Rows(db: Pick<Database, "run" | "all" | "appender">, path: string, separator: string): Promise<void> {
  await db.run(`CREATE TEMP TABLE ${REREAD_TABLE} (line INTEGER, head VARCHAR, chars INTEGER, bad_byte INTEGER, bad_line INTEGER, bad_column INTEGER)`);
  const fd = openSync(path, "r");
  try {
    const sep = separator.charCodeAt(0);
    const lineEnd = (c: number) => c === LF || c === CR;
    for (let after = 0; ; ) {
      // DuckDB's offset of a row is one past the byte it takes as the row's first: in a file of CRLF
      // line ends that is the LF before the row (DuckDB 1.5.6). So the row starts at the first of the
      // two that is not a line end, and must follow a line end (or the file's start, or its BOM).
      const batch = await db.all<{ line: number; at: bigint | number; known: string }>(
        `SELECT line::INTEGER AS line, min(line_byte_position) AS at, left(arg_min(csv_line, coalesce(column_idx, -1)), 200) AS known
         FROM temp._csv_rejects WHERE line > $1 GROUP BY line HAVING bool_or(error_type = 'INVALID ENCODING') ORDER BY line LIMIT ${BATCH}`,
        [after],
      );
      if (batch.length === 0) break;
      const rows = await db.appender(REREAD_TABLE, { schema: "temp" });
      try {
        for (const { line, at, known } of batch) {
          const offset = Number(at);
          const start = offset >= 1 && !lineEnd(byteAt(fd, offset - 1)) ? offset - 1 : offset;
          const startsRow = start === 0 || lineEnd(byteAt(fd, start - 1)) || isBomEnd(fd, start);
          const bytes = startsRow ? rowAt(fd, start, sep) : null;
          if (bytes === null) continue;
          const shown = showBytes(bytes);
          // DuckDB's text of a row of a CRLF file begins with the LF of the line end before it.
          const agreed = known.replace(/^[\r\n]+/, "").split("?")[0];
          if (!shown.head.startsWith(agreed) || shown.bad === null) continue;
          rows.int(line).text(shown.head).int(shown.chars).int(shown.bad.byte).int(shown.bad.line).int(shown.bad.column).endRow();
        }
      } finally {
        rows.close();
      }
      after = batch[batch.length - 1].line;
    }
  } finally {
    closeSync(fd);
  }
}

/** The byte at `position` of the open file `fd`, or -1 past its end. */
function byteAt(fd: number, position: number): number {
  const one = Buffer.alloc(1);
  return readSync(fd, one, 0, 1, position) === 1 ? one[0] : -1;
}

/** Whether the file's first `offset` bytes are exactly a UTF-8 byte order mark. */
function isBomEnd(fd: number, offset: number): boolean {
  if (offset !== 3) return false;
  const bom = Buffer.alloc(3);
  return readSync(fd, bom, 0, 3, 0) === 3 && bom[0] === 0xef && bom[1] === 0xbb && bom[2] === 0xbf;
}
