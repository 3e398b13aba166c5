// GET /contacts?format=csv of every contact (the dashboard's "Download CSV" with no filter) must
// not need memory in proportion to the table: at 728k contacts one statement sorting them all ran
// DuckDB out of its 256 MiB serving budget and the download ended with an empty reply. Here the
// same at a smaller scale: 60k contacts under a budget that holds their pages but not one sort of
// all of them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { join } from "node:path";
import { tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { writeContactsCsv } from "../../scripts/testing/contacts_csv.ts";
import { etlCli } from "../../scripts/testing/etl_cli.ts";
import { until } from "../../scripts/testing/until.ts";

const ROWS = 60_000;
const BUDGET_MB = 24;

/** Runs `fn` with an API serving `rows` generated CSV rows loaded by the real ETL, then stops and cleans up. */
async function withLoaded(rows: number, seed: number, options: Parameters<typeof testServer>[1], fn: (server: Awaited<ReturnType<typeof testServer>>) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir("csv-export-");
  try {
    const csv = join(dir, "contacts.csv");
    writeContactsCsv(csv, rows, seed);
    const load = await etlCli(["--only", "contacts", "--contacts", csv, "--data-dir", dir, "--contacts-export", "off"]);
    assert.equal(load.code, 0, load.stderr || load.stdout);
    const server = await testServer(dir, options);
    try {
      await fn(server);
    } finally {
      await server.close();
    }
  } finally {
    cleanup();
  }
}

test("the CSV export of every contact streams under the serving memory budget", { timeout: 180_000 }, async (t) => {
  await withLoaded(ROWS, 7, { contacts: { duckdbMemoryMb: BUDGET_MB } }, async (server) => {
    if (server.app.contacts.backend !== "duckdb") return t.skip("DuckDB's memory budget");
    const total = ((await (await fetch(`${server.url}/contacts?limit=1&count=true`)).json()) as { total: number }).total;
    assert.ok(total > ROWS / 2, `${total} contacts loaded`);
    for (const query of ["", "&sort=-id"]) {
      const response = await fetch(`${server.url}/contacts?format=csv${query}`).catch((error: Error) => error);
      assert.ok(!(response instanceof Error), `the download failed: ${response}`);
      assert.equal(response.status, 200);
      const text = await response.text().catch((error: Error) => `failed: ${error.message}`);
      assert.doesNotMatch(text.slice(0, 40), /^failed/, "the body was cut off");
      // One record per contact: count the ids at the start of a record (quoted fields may hold newlines).
      const ids = text.match(/^\d+,/gm) ?? [];
      assert.equal(ids.length, total, `rows in the CSV${query}`);
    }
  });
});

test("the CSV export reads in pages but on one snapshot: a contact a write moves meanwhile is there once, as it was", { timeout: 180_000 }, async (t) => {
  await withLoaded(30_000, 8, undefined, async (server) => {
    if (server.app.contacts.backend !== "duckdb") return t.skip("DuckDB's pages");
    const total = ((await (await fetch(`${server.url}/contacts?limit=1&count=true`)).json()) as { total: number }).total;
    assert.ok(total > 10_000, `${total} contacts: more than one page`);
    // Moved from the first page to the last while the download reads.
    const first = ((await (await fetch(`${server.url}/contacts?limit=1&sort=last_name`)).json()) as { items: { id: number }[] }).items[0];
    const download = await fetch(`${server.url}/contacts?format=csv&sort=last_name`);
    const reader = download.body!.getReader();
    const chunks: Uint8Array[] = [(await reader.read()).value!];
    const moved = await fetch(`${server.url}/contacts/${first.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ last_name: "Zzzz" }),
    });
    assert.equal(moved.status, 200);
    for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
    const text = Buffer.concat(chunks).toString("utf8");
    assert.equal((text.match(/^\d+,/gm) ?? []).length, total, "every contact once");
    assert.equal((text.match(new RegExp(`^${first.id},`, "gm")) ?? []).length, 1, "the moved contact once");
    assert.doesNotMatch(text, /Zzzz/, "as it was when the download began");
  });
});

test("CSV downloads at once are bounded: one more is a 503 with Retry-After, and the slot comes back when a download is cancelled, ends, or was a HEAD", { timeout: 180_000 }, async () => {
  await withLoaded(30_000, 9, { contacts: { maxDownloads: 1 } }, async (server) => {
    const url = `${server.url}/contacts?format=csv`;
    for (let i = 0; i < 3; i++) assert.equal((await fetch(url, { method: "HEAD" })).status, 200, "a HEAD gives its slot back");
    // The next download's rows stop after its first thousand until the test lets them go, so it
    // holds its slot until then. A reader that reads one chunk does not hold it: fetch's reader
    // grows the socket buffers, and the whole 4 MB went through in under a second here, the slot
    // given back before a request a moment late was admitted.
    const store = server.app.contacts;
    const download = store.download.bind(store);
    let letGo!: () => void;
    const going = new Promise<void>((resolve) => (letGo = resolve));
    store.download = (...args: Parameters<typeof download>) => {
      store.download = download;
      const rows = download(...args);
      return (
        rows &&
        (async function* () {
          let n = 0;
          for await (const row of rows) {
            if (++n === 1000) await going;
            yield row;
          }
        })()
      );
    };
    const stalled = await fetch(url);
    const reader = stalled.body!.getReader();
    await reader.read();
    const refused = await fetch(url);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "5");
    assert.equal(((await refused.json()) as { type: string }).type, "/docs#problem-too-many-downloads");
    await reader.cancel();
    letGo();
    // The server hears of the cancel when its next write fails: wait for that, not for a time.
    let whole = "";
    await until("the cancelled download's slot is back", async () => {
      const next = await fetch(url);
      if (next.status !== 200) {
        await next.body?.cancel();
        return false;
      }
      whole = await next.text();
      return true;
    });
    assert.ok(whole.length > 1_000_000, "the download after it is whole");
    assert.equal((await fetch(url, { method: "HEAD" })).status, 200, "and a finished download gives its slot back");
  });
});

test("a client that stops reading a download is let go after the stall limit, and its slot comes back", { timeout: 180_000 }, async () => {
  // A paused browser download, a stuck proxy, or on purpose: it never reads again and never closes.
  // 14 MB of CSV: more than the socket buffers take while the client reads nothing.
  await withLoaded(100_000, 10, { contacts: { maxDownloads: 1 }, writeStallMs: 300 }, async (server) => {
    const { port } = new URL(server.url);
    const socket = connect(Number(port), "127.0.0.1");
    try {
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      const first = new Promise<void>((resolve) => socket.once("data", () => resolve()));
      socket.write(`GET /contacts?format=csv HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      await first;
      socket.pause();
      await until("the stalled client's slot is back", async () => (await fetch(`${server.url}/contacts?format=csv`, { method: "HEAD" })).status === 200);
    } finally {
      socket.destroy();
    }
  });
});
