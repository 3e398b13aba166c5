// The DuckDB engine's read snapshot: what the store's point reads stand on (the rows, then their
// links, read in two statements that must see the same commits). PostgreSQL reads a contact with one
// statement, so it has no such pair to keep together. And its group commit's waiting for its cohort.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as turn } from "node:timers/promises";
import { contactRecord } from "../../etl/contacts/mod.ts";
import { tempDir } from "../../scripts/testing/api_server.ts";
import { openEngine } from "./contacts_engines.ts";

test("DuckDB: reads in one snapshot do not see a write that commits between them", async () => {
  const { dir, cleanup } = tempDir();
  const engine = await openEngine(dir, { record: contactRecord });
  try {
    const count = "SELECT count(*)::INTEGER AS n FROM departments";
    const [before, after] = await engine.snapshot(async (read) => {
      const first = (await read.one<{ n: number }>(count))!.n;
      // Committed and acknowledged while the snapshot is open.
      await engine.write((tx) => tx.run("INSERT INTO departments (name) VALUES ('Late')"), () => {});
      return [first, (await read.one<{ n: number }>(count))!.n];
    });
    assert.equal(before, 0);
    assert.equal(after, 0, "the second read saw a commit the first did not");
    assert.equal((await engine.read.one<{ n: number }>(count))!.n, 1, "after the snapshot the write is there");
  } finally {
    await engine.close();
    cleanup();
  }
});

test("DuckDB: writers that each send their next write once answered share one commit per round, not two", { timeout: 120_000 }, async () => {
  // Each writer sends its next write a turn of the event loop after its answer, as an HTTP client
  // does. Without the wait for the cohort (Cohort), the first writer's write was a commit of its
  // own and the writers split into two groups taking turns: 2 commits per round.
  const { dir, cleanup } = tempDir();
  const engine = await openEngine(dir, { record: contactRecord });
  try {
    const writers = 32;
    const rounds = 8;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let round = 0; round < rounds; round++) {
          await turn();
          await engine.write((tx) => tx.run("INSERT INTO departments (name) VALUES ($1)", [`W${w}-${round}`]), () => {});
        }
      }),
    );
    assert.equal((await engine.read.one<{ n: number }>("SELECT count(*)::INTEGER AS n FROM departments"))!.n, writers * rounds);
    const { commits, writes } = engine.commits;
    assert.equal(writes, writers * rounds);
    // The first write starts alone (nothing was in flight before it); then one group per round.
    assert.ok(commits <= rounds + 2, `${commits} commits for ${rounds} rounds of ${writers} writers`);
  } finally {
    await engine.close();
    cleanup();
  }
});
