import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashFile } from "./hash_file.ts";

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

test("hashFile hashes a path, and through a descriptor the file it was opened on, whatever has its name since", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hash-file-"));
  const path = join(dir, "book.xlsx");
  // More than one of the worker's 1 MiB reads.
  const first = Buffer.alloc(3 << 20, 7);
  first.write("first", 100);
  const second = Buffer.from("second");
  try {
    writeFileSync(path, first);
    assert.equal(await hashFile(path), sha256(first));
    const fd = openSync(path, "r");
    try {
      readSync(fd, Buffer.alloc(10)); // the descriptor's position is not where the hash starts
      unlinkSync(path);
      assert.equal(await hashFile(fd), sha256(first), "removed: the descriptor still reads it");
      writeFileSync(join(dir, "next"), second);
      renameSync(join(dir, "next"), path);
      assert.equal(await hashFile(fd), sha256(first), "replaced by a rename: still the file it was opened on");
      assert.equal(await hashFile(path), sha256(second));
      assert.ok(fstatSync(fd).isFile(), "the caller's descriptor is left open");
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
