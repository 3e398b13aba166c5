import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { replaceFile, writeFileAtomic, writeFileAtomicFrom } from "./mod.ts";

test("writeFileAtomic() replaces the file whole and leaves no temp file", () => {
  const dir = mkdtempSync(join(tmpdir(), "files-test-"));
  try {
    const path = join(dir, "api.json");
    writeFileAtomic(path, "old\n");
    // A reader that opened the old file keeps reading it: the rename swaps names, not bytes.
    const fd = openSync(path, "r");
    writeFileAtomic(path, "new\n");
    assert.equal(readFileSync(fd, "utf8"), "old\n");
    closeSync(fd);
    assert.equal(readFileSync(path, "utf8"), "new\n");
    assert.deepEqual(readdirSync(dir), ["api.json"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("writeFileAtomic() removes its temp file when the rename fails", () => {
  const dir = mkdtempSync(join(tmpdir(), "files-test-"));
  try {
    // A non-empty directory of that name cannot be renamed over.
    mkdirSync(join(dir, "report"));
    writeFileSync(join(dir, "report", "keep"), "x");
    assert.throws(() => writeFileAtomic(join(dir, "report"), "new"));
    assert.deepEqual(readdirSync(dir), ["report"]);
    assert.deepEqual(readdirSync(join(dir, "report")), ["keep"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("replaceFile() moves a finished temp file over the live name", () => {
  const dir = mkdtempSync(join(tmpdir(), "files-test-"));
  try {
    writeFileSync(join(dir, ".temp"), "v2");
    writeFileSync(join(dir, "live"), "v1");
    replaceFile(join(dir, ".temp"), join(dir, "live"));
    assert.equal(readFileSync(join(dir, "live"), "utf8"), "v2");
    assert.deepEqual(readdirSync(dir), ["live"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("writeFileAtomicFrom() writes chunk by chunk; a throw part-way leaves the old file and no temp file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "files-test-"));
  try {
    const path = join(dir, "report.csv");
    async function* chunks(fail: boolean) {
      yield "a,b\r\n";
      yield Buffer.from("ñ,😀\r\n");
      if (fail) throw new Error("the query failed");
    }
    await writeFileAtomicFrom(path, chunks(false));
    assert.equal(readFileSync(path, "utf8"), "a,b\r\nñ,😀\r\n");
    await assert.rejects(writeFileAtomicFrom(path, chunks(true)), /the query failed/);
    assert.equal(readFileSync(path, "utf8"), "a,b\r\nñ,😀\r\n");
    assert.deepEqual(readdirSync(dir), ["report.csv"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
