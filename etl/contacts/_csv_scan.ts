/**
 * A quote-aware pass over a CSV text that finds where each record starts (physical line, 1-based)
 * and how many fields it has. DuckDB's read_csv parses the data; it cannot say on which physical
 * line a record starts when earlier fields hold quoted newlines, and users need the line their
 * editor shows. This scanner only counts; it never decides values.
 */

/** One CSV record: its first physical line, its field count, and whether the line was empty. */
export interface ScannedRecord {
  line: number;
  fields: number;
  /** An empty line (no characters at all): DuckDB skips it but still counts it as a line. */
  blank: boolean;
}

export interface CsvScan {
  /** Header names as written (BOM removed, quotes removed, not trimmed). */
  header: string[];
  /** Every record including the header (index 0) and blank lines, in file order. */
  records: ScannedRecord[];
  /** Physical line where a quoted field is still open at the end of the file, if any. */
  unterminatedQuoteLine: number | null;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Returns the records of `text` (comma-separated, `"`-quoted, `""` escapes; LF, CRLF or CR).
 *
 * @example
 * ```ts
 * scanCsv('a,b\n"x\ny",1\n2,3\n').records.map((r) => r.line); // [1, 2, 4]
 * ```
 */
export function scanCsv(text: string): CsvScan {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const records: ScannedRecord[] = [];
  const header: string[] = [];
  let line = 1;
  let recordLine = 1;
  let fields = 1;
  let inQuotes = false;
  let quoteLine = 0;
  let empty = true;
  // The header's field text, collected only while reading record 0.
  let cell = "";
  const inHeader = () => records.length === 0;

  const endRecord = () => {
    if (inHeader()) header.push(cell);
    records.push({ line: recordLine, fields: empty ? 0 : fields, blank: empty });
    fields = 1;
    empty = true;
    cell = "";
  };

  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inQuotes) {
      if (c === QUOTE) {
        if (text.charCodeAt(i + 1) === QUOTE) {
          if (inHeader()) cell += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) line++;
        if (inHeader()) cell += text[i];
      }
      continue;
    }
    if (c === LF || c === CR) {
      if (c === CR && text.charCodeAt(i + 1) === LF) i++;
      endRecord();
      line++;
      recordLine = line;
      continue;
    }
    empty = false;
    if (c === QUOTE) {
      inQuotes = true;
      quoteLine = line;
    } else if (c === COMMA) {
      fields++;
      if (inHeader()) {
        header.push(cell);
        cell = "";
      }
    } else if (inHeader()) cell += text[i];
  }
  if (!empty || inQuotes) endRecord();
  return { header, records, unterminatedQuoteLine: inQuotes ? quoteLine : null };
}
