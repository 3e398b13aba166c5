// Which cell styles (xl/styles.xml cellXfs) format numbers as dates.
import { isBuiltinDateFormat, isDateFormatCode } from "./_dates.ts";
import type { XmlElement } from "./_xml_tree.ts";

/**
 * Returns one flag per cellXfs index: 1 when the style's number format is a date or time.
 * @example dateStyles(stylesRoot)[cell.s] === 1
 */
export function dateStyles(root: XmlElement | undefined): Uint8Array {
  if (!root) return new Uint8Array(0);
  const custom = new Map<number, boolean>();
  for (const f of root.first("numFmts")?.all("numFmt") ?? []) {
    const id = Number(f.attr("numFmtId"));
    if (Number.isInteger(id)) custom.set(id, isDateFormatCode(f.attr("formatCode") ?? ""));
  }
  const xfs = root.first("cellXfs")?.all("xf") ?? [];
  const flags = new Uint8Array(xfs.length);
  xfs.forEach((xf, i) => {
    const id = Number(xf.attr("numFmtId") ?? 0);
    flags[i] = (custom.get(id) ?? isBuiltinDateFormat(id)) ? 1 : 0;
  });
  return flags;
}
