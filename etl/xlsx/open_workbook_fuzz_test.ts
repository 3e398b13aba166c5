import { test } from "node:test";
import assert from "node:assert/strict";
import { mulberry32 } from "../../scripts/testing/random.ts";
import { xlsxBytes, type WriteOptions } from "../../scripts/testing/xlsx_writer.ts";
import { XlsxError } from "./mod.ts";
import { readAll, tempDir } from "../../scripts/testing/xlsx_cells.ts";

const ROWS = [
  ["Código", "Nombre", "Fecha", "Valor"],
  ["A", "Helena Durán", new Date("2024-01-15T00:00:00Z"), 1],
  ["Ñ", "José Núñez", new Date("2023-12-31T00:00:00Z"), 0.25],
  ["B", { error: "#N/A" }, true, { formula: "1+1", value: 2 }],
];

const BASES: WriteOptions[] = [{}, { compression: "store" }, { dataDescriptors: true, zip64: true }, { flavor: "inline", prefix: "x" }];
const CASES_PER_BASE = 60;

test("openWorkbook() fails only with XlsxError on truncated and bit-flipped workbooks", { timeout: 120_000 }, async () => {
  const tmp = tempDir();
  const rnd = mulberry32(20261129);
  const codes = new Map<string, number>();
  let ok = 0;
  try {
    for (const [b, options] of BASES.entries()) {
      const valid = Buffer.from(xlsxBytes([{ name: "Hoja1", rows: ROWS }, { name: "Hoja2", rows: [[1, 2, 3]] }], options));
      for (let k = 0; k < CASES_PER_BASE; k++) {
        let bytes: Buffer;
        if (k % 3 === 0) bytes = valid.subarray(0, Math.floor(rnd() * valid.length));
        else {
          bytes = Buffer.from(valid);
          const flips = 1 + Math.floor(rnd() * 8);
          for (let f = 0; f < flips; f++) bytes[Math.floor(rnd() * bytes.length)] ^= 1 << Math.floor(rnd() * 8);
        }
        const path = tmp.write(`f${b}-${k}.xlsx`, bytes);
        try {
          // A flipped bit in a size field must not make a 4 KB workbook inflate gigabytes: the caps
          // say so in bytes (a hang would still be caught by the test's timeout, not by a clock).
          await readAll(path, { maxEntryBytes: 1 << 20 });
          ok++;
        } catch (e) {
          if (!(e instanceof XlsxError)) {
            assert.fail(`case ${b}/${k} threw ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
          }
          codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        }
      }
    }
  } finally {
    tmp.cleanup();
  }
  // Most damage must be noticed; a flipped bit inside a number can legitimately go unnoticed.
  assert.ok(codes.size >= 3, `several kinds of error seen: ${[...codes].join(" ")} (ok: ${ok})`);
});
