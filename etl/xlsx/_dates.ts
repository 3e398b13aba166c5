// Excel stores dates as day numbers ("serials") and marks them only through the cell's number
// format. These helpers decide which formats are dates and turn serials into UTC Dates.

const DAY_MS = 86_400_000;
/** Serial 0 for serials >= 61: Excel counts a 29 Feb 1900 that never existed (the Lotus 1-2-3 bug). */
const EPOCH_1900_LATE = Date.UTC(1899, 11, 30);
/** Serial 0 for serials 1-60 (before the phantom leap day), so serial 1 is 1 Jan 1900. */
const EPOCH_1900_EARLY = Date.UTC(1899, 11, 31);
const EPOCH_1904 = Date.UTC(1904, 0, 1);

/** Built-in format ids that are dates or times (14-22, 45-47, and the East Asian 27-36, 50-58). */
export function isBuiltinDateFormat(id: number): boolean {
  return (id >= 14 && id <= 22) || (id >= 45 && id <= 47) || (id >= 27 && id <= 36) || (id >= 50 && id <= 58);
}

/**
 * True when a custom number format code shows a date or time: it has d, m, y, h or s outside
 * quoted text, [brackets] (colours, locales, elapsed [h]), and escaped or padding characters.
 * @example isDateFormatCode("dd/mm/yyyy"); // true
 * @example isDateFormatCode('0.00 "days"'); // false
 */
export function isDateFormatCode(code: string): boolean {
  // Only the first section decides (positive numbers); sections are separated by unquoted ';'.
  let out = "";
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === '"') {
      const j = code.indexOf('"', i + 1);
      if (j < 0) break;
      i = j;
    } else if (c === "[") {
      const j = code.indexOf("]", i + 1);
      if (j < 0) break;
      i = j;
    } else if (c === "\\" || c === "_" || c === "*") {
      i++; // the next character is literal, a padding width, or a fill character
    } else if (c === ";") {
      break;
    } else {
      out += c;
    }
  }
  return /[dmyhs]/i.test(out) && !/^general$/i.test(out.trim());
}

/**
 * Converts an Excel serial to a UTC Date, or returns undefined when it cannot be a date.
 * @example excelSerialToDate(45000, false); // 2023-03-15T00:00:00.000Z
 */
export function excelSerialToDate(serial: number, date1904: boolean): Date | undefined {
  if (!Number.isFinite(serial) || serial < 0 || serial > 2_958_466) return undefined; // up to 9999-12-31
  let epoch: number;
  if (date1904) epoch = EPOCH_1904;
  // A serial below 1 is a time alone (Excel shows its day as 0 Jan 1900, which never was): it goes
  // on 1899-12-30, where a t="d" time alone goes, so one noon is one value whichever way it is saved.
  else epoch = serial < 1 || serial >= 61 ? EPOCH_1900_LATE : EPOCH_1900_EARLY;
  return new Date(epoch + Math.round(serial * DAY_MS));
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const ISO_TIME = /^T?(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/;

/**
 * The UTC time of a calendar date and time of day, or undefined when either does not exist:
 * Date.UTC would roll 2024-02-30 over to 1 March, month 00 to the December before and 24:30 to the
 * next day, and read years 0-99 as 1900-1999. 24:00:00 is kept: ISO 8601 (and XML Schema, whose
 * dateTime OOXML's t="d" follows) writes the end of a day so, which is the next day's midnight.
 * A leap second (:60) is refused: neither Excel nor a JS Date can hold one.
 */
function utcTime(year: number, month: number, day: number, h: number, min: number, sec: number, ms: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || min > 59 || sec > 59) return undefined;
  if (h > 24 || (h === 24 && (min !== 0 || sec !== 0 || ms !== 0))) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  d.setUTCHours(h, min, sec, ms);
  return d.getTime();
}

/**
 * Parses the ISO 8601 text of a `t="d"` cell; without a zone it is taken as UTC (Excel has no zones).
 * A time alone is placed on 1899-12-30, Excel's day zero; 1900-02-29, Excel's phantom leap day, is
 * 1 March 1900, as serial 60 is. Returns undefined when it is not ISO 8601 or names a date or time
 * that does not exist (2024-02-30, 2023-02-29, month 00, 25:00, :60).
 * @example parseIsoDate("2024-01-15T10:30:00"); // 2024-01-15T10:30:00.000Z
 */
export function parseIsoDate(text: string): Date | undefined {
  const s = text.trim();
  let m = ISO.exec(s);
  if (m) {
    const zone = m[8];
    const ms = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
    let [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
    // 29 Feb 1900 is Excel's serial 60, a day its 1900 calendar has: read as the serial is (1 March),
    // not refused as a date that does not exist, which failed the whole workbook.
    if (year === 1900 && month === 2 && day === 29) [month, day] = [3, 1];
    let t = utcTime(year, month, day, Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), ms);
    if (t === undefined) return undefined;
    if (zone && zone !== "Z") {
      const sign = zone[0] === "-" ? -1 : 1;
      const digits = zone.slice(1).replace(":", "");
      const zh = Number(digits.slice(0, 2));
      const zm = Number(digits.slice(2));
      if (zh > 23 || zm > 59) return undefined;
      t -= sign * (zh * 60 + zm) * 60_000;
    }
    return new Date(t);
  }
  m = ISO_TIME.exec(s);
  if (m) {
    const ms = m[4] ? Math.round(Number(m[4]) * 1000) : 0;
    const t = utcTime(1899, 12, 30, Number(m[1]), Number(m[2]), Number(m[3] ?? 0), ms);
    return t === undefined ? undefined : new Date(t);
  }
  return undefined;
}
