// POST /imports/contacts with a text/csv body is written to the data dir's uploads folder as it
// arrives (a pipeline, with backpressure), never held in memory, then loaded as a named upload is.
// Before, the body was held in memory up to 64 MiB and a larger one (a 1M-row file is 130 MB) was a
// 413 for any client on another machine. Its limit is now the disk's (4 GiB, AppOptions
// maxSpooledBodyBytes lowers it): a 413 at the first byte over, the part written deleted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { request, type ClientRequest, type IncomingMessage } from "node:http";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";
import type { RunningServer } from "../server.ts";

const HEADER = "first_name,last_name,email,notes\n";
/** A row padded by a column the load ignores, so a large body is few rows (cheap to load). */
const row = (i: number) => `Ann${i},Lee,ann${i}@example.com,${"x".repeat(4000)}\n`;

async function withServer(options: { maxSpooledBodyBytes?: number }, fn: (server: RunningServer, dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir("import-stream-");
  const server = await testServer(dir, { ...options, contactsExport: undefined });
  try {
    await fn(server, dir);
  } finally {
    await server.close();
    cleanup();
  }
}

/** The contacts runs recorded in runs.jsonl (a body's import is recorded by the API). */
function contactRuns(dir: string): Array<Record<string, any>> {
  const log = join(dir, "runs.jsonl");
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}

/** Starts a chunked text/csv POST (no Content-Length unless given); its answer, or null when the connection is cut first. */
function startUpload(url: string, headers: Record<string, string | number> = {}): { req: ClientRequest; answer: Promise<{ status: number; text: string } | null> } {
  const target = new URL(url);
  const req = request({ host: target.hostname, port: target.port, method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv", "x-source-name": "big.csv", ...headers } });
  const answer = new Promise<{ status: number; text: string } | null>((resolve) => {
    req.once("response", (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.once("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.once("error", () => resolve(null));
    });
    req.once("error", () => resolve(null));
  });
  return { req, answer };
}

/** Writes `rows` rows after the header, waiting for "drain" as a streaming client does; the bytes and their SHA-256. */
async function writeRows(req: ClientRequest, rows: number): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  const put = async (text: string) => {
    hash.update(text);
    bytes += Buffer.byteLength(text);
    if (!req.write(text)) await new Promise<void>((resolve) => req.once("drain", resolve));
  };
  await put(HEADER);
  for (let i = 0; i < rows; i++) {
    if (req.destroyed) break;
    await put(row(i));
  }
  return { bytes, sha256: hash.digest("hex") };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(check(), what);
}

test("a text/csv import body over the old 64 MiB in-memory limit is written to uploads/ as it arrives and loads, none of it held in memory", { timeout: 300_000 }, async () => {
  await withServer({}, async (server, dir) => {
    const rows = 17_500; // 70 MB
    const upload = startUpload(server.url);
    const sent = await writeRows(upload.req, rows);
    upload.req.end();
    assert.ok(sent.bytes > 64 * 1024 * 1024, `${sent.bytes} bytes`);
    const answer = await upload.answer;
    assert.ok(answer !== null, "answered");
    assert.equal(answer.status, 200, answer.text);
    const summary = JSON.parse(answer.text);
    assert.equal(summary.inserted, rows, answer.text);
    // Written to a file as it arrived: not a byte of it counted among the bodies held in memory.
    assert.equal(server.stats.buffered, 0);
    assert.equal(server.stats.spooled, sent.bytes);
    assert.deepEqual(readdirSync(join(dir, "uploads")), [], "the upload is removed once loaded");
    const [run] = contactRuns(dir);
    assert.equal(run.id, summary.run_id);
    assert.equal(run.file.size, sent.bytes);
    assert.equal(run.file.sha256, sent.sha256);
    assert.equal(run.file.name, "big.csv");
  });
});

test("a text/csv import body over the limit is a 413 at its first byte over, the part written deleted and no run recorded", async () => {
  await withServer({ maxSpooledBodyBytes: 64 * 1024 }, async (server, dir) => {
    // Under the limit: loaded, from the file, with its size and SHA-256 recorded.
    const small = HEADER + row(1) + row(2);
    const ok = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv" }, body: small });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json().inserted, 2);
    assert.equal(contactRuns(dir).at(-1)!.file.sha256, createHash("sha256").update(small).digest("hex"));

    // Chunked, so no Content-Length tells the size: refused as it goes past the limit, while the
    // client still sends (the rest of 400 KiB is dropped by the lingering close).
    const upload = startUpload(server.url);
    void writeRows(upload.req, 100).then(() => upload.req.end(), () => {});
    const refused = await upload.answer;
    assert.ok(refused !== null);
    assert.equal(refused.status, 413, refused.text);
    assert.equal(JSON.parse(refused.text).type, "/docs#problem-content-too-large");
    assert.match(JSON.parse(refused.text).detail, /65536 bytes/);
    assert.ok(server.stats.spooled! <= 64 * 1024 + 64 * 1024, `stopped at the chunk over the limit, ${server.stats.spooled}`);

    // Declared too large: refused before a byte is read.
    const declared = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv" }, body: HEADER + row(0).repeat(20) });
    assert.equal(declared.status, 413, declared.text);

    // A small gzip that expands past the limit: its decoding stopped there.
    const bomb = gzipSync(HEADER + row(0).repeat(100));
    assert.ok(bomb.length < 64 * 1024);
    const coded = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv", "content-encoding": "gzip" }, body: bomb });
    assert.equal(coded.status, 413, coded.text);
    // A gzip under it loads as the plain body did.
    const zipped = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv", "content-encoding": "gzip" }, body: gzipSync(small) });
    assert.equal(zipped.status, 200, zipped.text);
    assert.equal(contactRuns(dir).at(-1)!.file.sha256, createHash("sha256").update(small).digest("hex"), "the decoded CSV's digest");

    assert.deepEqual(readdirSync(join(dir, "uploads")), [], "no part of a refused body left in uploads/");
    assert.equal(contactRuns(dir).length, 2, "only the two loaded bodies are runs");
    assert.equal(server.stats.buffered, 0);
  });
});

test("a client that goes mid-body leaves no part of it in uploads/ and no run, as before", async () => {
  await withServer({}, async (server, dir) => {
    const upload = startUpload(server.url, { "content-length": 10 * 1024 * 1024 });
    void writeRows(upload.req, 100).catch(() => {});
    // Part of it is in uploads/ already when the client goes.
    await until("the body is being written", () => (server.stats.spooled ?? 0) > 100_000 && readdirSync(join(dir, "uploads")).length === 1);
    upload.req.destroy();
    assert.equal(await upload.answer, null);
    await until("the part written is deleted", () => readdirSync(join(dir, "uploads")).length === 0);
    assert.deepEqual(contactRuns(dir), []);
    // The server goes on answering.
    assert.equal((await raw(server.url, { path: "/healthz" })).status, 200);
  });
});

test("the API closing mid-body: a body that ends within the grace is answered 503 shutting-down, its run stopped; one that does not is cut, nothing of it kept", async () => {
  const { dir, cleanup } = tempDir("import-stream-close-");
  const server = await testServer(dir, { contactsExport: undefined });
  try {
    const finishing = startUpload(server.url);
    await writeRows(finishing.req, 10);
    const cut = startUpload(server.url);
    void writeRows(cut.req, 30).catch(() => {});
    await until("both bodies are being written", () => readdirSync(join(dir, "uploads")).length === 2);
    const closed = server.close(1000);
    finishing.req.end(row(11));
    const stopped = await finishing.answer;
    assert.ok(stopped !== null);
    assert.equal(stopped.status, 503, stopped.text);
    assert.equal(JSON.parse(stopped.text).type, "/docs#problem-shutting-down");
    await closed;
    // The other never ended: cut once the grace was over, with no answer.
    assert.equal(await cut.answer, null);
    assert.deepEqual(readdirSync(join(dir, "uploads")), [], "no body left in uploads/");
    // Both were tried and stopped: the cut one's run says how far its body got.
    const runs = contactRuns(dir);
    assert.equal(runs.length, 2, JSON.stringify(runs));
    for (const run of runs) {
      assert.equal(run.status, "failed");
      assert.equal(run.error.code, "stopped");
    }
    assert.equal(runs.filter((run) => /while the body of .* was arriving \(\d+ bytes\); nothing was loaded/.test(run.error.message)).length, 1, JSON.stringify(runs));
  } finally {
    await server.close();
    cleanup();
  }
});
