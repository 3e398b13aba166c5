/**
 * Test helpers for the API: temp data dirs, a server on port 0, raw HTTP requests (fetch cannot
 * send malformed ones), and a relationship snapshot written with the pipeline's own DDL and
 * published by the pipeline's own `publishSnapshot()` (so a broken publication fails API tests too).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../../etl/db/mod.ts";
import { removeApiInfo, writeApiInfo } from "../../etl/handover/mod.ts";
import { CHECKS, cellRef, publishSnapshot as publishSnapshotFile, snapshotPath, tempSnapshotPath } from "../../etl/relationships/mod.ts";
import { startServer, type RunningServer, type ServerOptions } from "../../api/server.ts";
import { onPostgres, postgresDatabaseFor } from "./backends.ts";

/** A fresh temp dir; call the returned cleanup in `finally`/`after`. */
export function tempDir(prefix = "api-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts a quiet server on 127.0.0.1:0 over `dataDir`. With `announce`, it writes `api.json` as
 * `npm start` does (removed again on close), so `npm run etl`'s loader hands its CSV to it.
 */
export async function testServer(dataDir: string, options: Partial<ServerOptions> & { announce?: boolean } = {}): Promise<RunningServer> {
  const { announce, ...rest } = options;
  // On PostgreSQL (a *_postgres_test.ts wrapper), each data dir has a database of its own.
  const databaseUrl = rest.databaseUrl ?? (onPostgres() ? await postgresDatabaseFor(dataDir) : undefined);
  const server = await startServer({ dataDir, port: 0, host: "127.0.0.1", log: false, pollMs: 100, logError: () => {}, ...rest, databaseUrl });
  if (!announce) return server;
  const info = writeApiInfo(dataDir, server.url);
  const close = server.close.bind(server);
  return Object.assign(server, { close: (graceMs?: number, stoppedBy?: string) => close(graceMs, stoppedBy).finally(() => removeApiInfo(info)) });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as it came over the wire (not decompressed). */
  bytes: Buffer;
  text: string;
  json(): any;
}

/**
 * Sends one request with node:http exactly as given (any method, path, headers, body).
 */
export function raw(url: string, options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: target.hostname, port: target.port, method: options.method ?? "GET", path: options.path, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const bytes = Buffer.concat(chunks);
          const text = bytes.toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, text, json: () => JSON.parse(text) });
        });
        res.on("error", reject);
      },
    );
    // A server that answers before reading the whole body (413) may reset the socket while we
    // still write; the response already arrived, so only a missing response is a failure.
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** POST /contacts with a JSON body (and any extra headers, such as Idempotency-Key). */
export function postContact(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw(url, { method: "POST", path: "/contacts", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

/** What a raw-socket upload saw. */
export interface UploadResult {
  /** Body bytes handed to the socket before the client stopped. */
  written: number;
  /** Everything the server sent, as text (status line, headers, body). */
  answer: string;
  /** The socket error the client met (`EPIPE`, `ECONNRESET`), or null for a clean close. */
  error: string | null;
}

/**
 * Sends `head` (request line and headers, ending in a blank line), then `bodyBytes` bytes of body
 * over a plain socket, and resolves with what came back once the server closes. `client` says
 * how the client behaves: "writes-first" reads nothing until it has written the whole body (Python's
 * urllib does that), "stops-on-answer" stops writing and half-closes as soon as an answer arrives.
 *
 * @example
 * ```ts
 * const r = await rawUpload(url, { head: "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n", bodyBytes: 9, client: "writes-first" });
 * ```
 */
export async function rawUpload(url: string, options: { head: string; bodyBytes: number; client: "writes-first" | "stops-on-answer" }): Promise<UploadResult> {
  const target = new URL(url);
  const socket = connect(Number(target.port), target.hostname);
  const chunks: Buffer[] = [];
  let error: string | null = null;
  let written = 0;
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
  socket.on("data", (d: Buffer) => chunks.push(d));
  // Not reading keeps the answer in the kernel's buffer, as for a client busy writing.
  if (options.client === "writes-first") socket.pause();
  await new Promise<void>((resolve) => {
    socket.once("connect", resolve);
    socket.once("close", resolve);
  });
  const block = Buffer.alloc(64 * 1024, 0x61);
  // A head saying `Transfer-Encoding: chunked` gets its body framed as chunks.
  const chunked = /\r\ntransfer-encoding: *chunked\r\n/i.test(options.head);
  if (!socket.destroyed) socket.write(options.head);
  while (written < options.bodyBytes && !socket.destroyed && !(options.client === "stops-on-answer" && chunks.length > 0)) {
    const piece = block.subarray(0, Math.min(block.length, options.bodyBytes - written));
    written += piece.length;
    const framed = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from(written === options.bodyBytes ? "\r\n0\r\n\r\n" : "\r\n")]) : piece;
    if (!socket.write(framed)) {
      await new Promise<void>((resolve) => {
        socket.once("drain", resolve);
        socket.once("close", resolve);
      });
    }
  }
  if (options.client === "stops-on-answer" && !socket.destroyed) socket.end();
  socket.resume();
  await closed;
  return { written, answer: Buffer.concat(chunks).toString("latin1"), error };
}

/** The pipeline's snapshot DDL (etl/relationships/schema.sql), so tests follow the real schema. */
const SNAPSHOT_DDL = readFileSync(new URL("../../etl/relationships/schema.sql", import.meta.url), "utf8");

export interface SnapshotSpec {
  versionId: number;
  runId?: string;
  /** [id, letter, name] */
  actors: [number, string, string][];
  /** [a, b, a_to_b, b_to_a] with a < b */
  pairs: [number, number, boolean | null, boolean | null][];
  changes?: { entity: string; change: string; numeric_id?: number; person_a?: number; person_b?: number }[];
}

/**
 * Writes a snapshot of `spec` into a temp file beside `<dir>/relationships.duckdb` and publishes it
 * with the pipeline's `publishSnapshot()`, as a load does. The matrix is the users' layout (ids in
 * row 1 from column C, one data row per actor from row 3), so finding cell references are real.
 */
export async function publishSnapshot(dataDir: string, spec: SnapshotSpec): Promise<void> {
  const temp = tempSnapshotPath(dataDir, `test-${spec.versionId}-${Date.now()}`);
  const db = await Database.open(temp);
  try {
    await db.run(SNAPSHOT_DDL);
    await db.run("BEGIN TRANSACTION"); // one commit instead of one per row
    const runId = spec.runId ?? `run-${spec.versionId}`;
    const degree = new Map<number, number>();
    for (const [a, b] of spec.pairs) {
      degree.set(a, (degree.get(a) ?? 0) + 1);
      degree.set(b, (degree.get(b) ?? 0) + 1);
    }
    for (const [i, [id, letter, name]] of spec.actors.entries()) {
      await db.run("insert into actors values ($1, $2, $3, $2, true, true, $4, $5, 0)", [id, letter, name, i, degree.get(id) ?? 0]);
    }
    for (const [a, b, ab, ba] of spec.pairs) await db.run("insert into user_relationships values ($1, $2, $3, $4)", [a, b, ab, ba]);
    const ids = spec.actors.map((a) => a[0]);
    for (const [i, id] of ids.entries()) {
      const cells = ids
        .map((other) => {
          if (other === id) return "0";
          const pair = spec.pairs.find((p) => (p[0] === id && p[1] === other) || (p[1] === id && p[0] === other));
          if (pair === undefined) return "0";
          const v = pair[0] === id ? pair[2] : pair[3];
          return v === null ? "." : v ? "1" : "0";
        })
        .join("");
      await db.run("insert into matrix_rows values ($1, $2, $3)", [id, i, cells]);
    }
    // The asymmetric pairs as the pipeline reports them: the 1 and the 0 that disagree.
    const asymmetric = spec.pairs.filter(([, , ab, ba]) => (ab === true && ba === false) || (ab === false && ba === true));
    if (asymmetric.length > 0) {
      const ref = (row: number, col: number) => cellRef("Matriz de adyacencia", 3 + ids.indexOf(row), 3 + ids.indexOf(col));
      const cells = asymmetric.flatMap(([a, b, ab]) => (ab ? [ref(a, b), ref(b, a)] : [ref(b, a), ref(a, b)]));
      const check = CHECKS.asymmetric_pair;
      await db.run(`insert into findings (check_name, severity, message, cells, count) values ('asymmetric_pair', $1, $2, CAST([${cells.map((_, i) => `$${i + 4}`).join(", ")}] AS VARCHAR[]), $3)`, [
        check.severity, check.message(asymmetric.length), asymmetric.length, ...cells,
      ]);
    }
    await db.run("insert into versions values ($1, $2, now()::timestamp, 'relaciones.xlsx', 'x', 1, $3, $4, NULL)", [spec.versionId, runId, spec.actors.length, spec.pairs.length]);
    await db.run("insert into snapshot_info values ($1, $2, now()::timestamp, 'relaciones.xlsx', 'x', 1, 'Matriz de adyacencia', 'Lista de actores', 1)", [spec.versionId, runId]);
    for (const c of spec.changes ?? []) {
      await db.run("insert into changes values ($1, $2, now()::timestamp, $3, $4, $5, $6, $7, null, null, null, null)", [
        spec.versionId,
        runId,
        c.entity,
        c.change,
        c.numeric_id ?? null,
        c.person_a ?? null,
        c.person_b ?? null,
      ]);
    }
    await db.run("COMMIT");
    await db.run("checkpoint");
  } finally {
    db.close();
  }
  publishSnapshotFile(temp, snapshotPath(dataDir));
}

/** A small social graph: 1-2 both ways, 2-3 one way, 3-4 with a blank reverse, 5 alone. */
export const SMALL_GRAPH: SnapshotSpec = {
  versionId: 1,
  actors: [
    [1, "A", "Ana Peña"],
    [2, "B", "Bruno Díaz"],
    [3, "C", "Carla Ruiz"],
    [4, "D", "Diego Sol"],
    [5, "E", "Eva Luna"],
  ],
  pairs: [
    [1, 2, true, true],
    [2, 3, true, false],
    [3, 4, true, null],
  ],
  changes: [{ entity: "actor", change: "added", numeric_id: 1 }],
};
