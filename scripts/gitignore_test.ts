// What the commands write into data/ holds the users' actors, relationships and contacts: one
// `git add .` must not commit it (found by a fresh-clone review: parquet/ and snapshots/ showed up
// in `git status` after the README's first command). The bundled samples stay tracked.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const isCheckout = spawnSync("git", ["rev-parse", "--is-inside-work-tree"], { cwd: repo, encoding: "utf8" }).stdout.trim() === "true";

function ignored(path: string): boolean {
  return spawnSync("git", ["check-ignore", "-q", "--no-index", path], { cwd: repo }).status === 0;
}

test("git ignores every output in data/ and keeps the samples", { skip: !isCheckout && "not a git checkout" }, () => {
  const outputs = [
    "data/relationships.duckdb", "data/.relationships-20261130T000000000Z-ab12.duckdb", "data/contacts.duckdb", "data/contacts.duckdb.wal",
    "data/runs.jsonl", "data/api.json", "data/.relationships.lock", "data/.contacts.lock", "data/rejects/contacts-x.csv",
    "data/parquet/table=actors/version=1/data.parquet", "data/snapshots/relationships-v1.duckdb",
    "data/fetched/abc/relaciones.xlsx", "data/exports/contacts/contacts.parquet", "data/uploads/body-1.csv",
  ];
  assert.deepEqual(outputs.filter((p) => !ignored(p)), []);
  assert.deepEqual(["data/relaciones.xlsx", "data/contacts.csv", "data/README.md"].filter(ignored), []);
});

test("git ignores node_modules also when it is a symlink", () => {
  // A worktree whose node_modules is a symlink to another checkout's: `node_modules/` matched only a
  // folder, so `git add -A` there committed the link, and checking that commit out in the main
  // checkout replaced its installed node_modules folder with a link to itself.
  const dir = mkdtempSync(join(tmpdir(), "gitignore-"));
  try {
    spawnSync("git", ["init", "-q"], { cwd: dir });
    copyFileSync(join(repo, ".gitignore"), join(dir, ".gitignore"));
    symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"));
    assert.equal(spawnSync("git", ["check-ignore", "-q", "node_modules"], { cwd: dir }).status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
