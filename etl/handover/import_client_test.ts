import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ApiInfo } from "./contract.ts";
import { HandoverError, importThroughApi } from "./import_client.ts";

/** A real server on port 0 that answers POSTs after `delayMs` with `status` and `body`. */
async function slowApi(delayMs: number, status: number, body: unknown): Promise<{ url: string; server: Server; received: string[] }> {
  const received: string[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk));
    req.on("end", () => {
      received.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""} ${text}`);
      setTimeout(() => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body)), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, received };
}

const infoOf = (url: string): ApiInfo => ({ url, pid: process.pid, started_at: new Date().toISOString() });
const request = { upload: "run-1.csv", source_name: "contacts.csv", run_id: "run-1" };

test("importThroughApi waits for a slow import as long as it takes, unless told a limit", async () => {
  const api = await slowApi(600, 200, { contacts: 3 });
  try {
    const summary = await importThroughApi(infoOf(api.url), request, { apiToken: "t0k" });
    assert.equal(summary.contacts, 3);
    assert.deepEqual(api.received, [`POST /imports/contacts Bearer t0k ${JSON.stringify(request)}`]);
    await assert.rejects(importThroughApi(infoOf(api.url), request, { timeoutMs: 100 }), (e: unknown) => {
      assert.ok(e instanceof HandoverError);
      assert.equal(e.code, "api-failed");
      assert.match(e.message, /was sent the import and then gave no answer \(no answer in 100 ms\).*may or may not have been loaded/);
      return true;
    });
  } finally {
    api.server.closeAllConnections();
    api.server.close();
  }
});

test("importThroughApi names a refused import by its status, and an API that is gone as api-failed", async () => {
  for (const [status, code] of [[422, "api-rejected"], [401, "api-unauthorized"], [500, "api-failed"]] as const) {
    const api = await slowApi(0, status, { title: "T", detail: `detail ${status}` });
    try {
      await assert.rejects(importThroughApi(infoOf(api.url), request), (e: unknown) => e instanceof HandoverError && e.code === code, `${status}`);
    } finally {
      api.server.close();
    }
  }
  const gone = await slowApi(0, 200, {});
  gone.server.close();
  await assert.rejects(importThroughApi(infoOf(gone.url), request), (e: unknown) => e instanceof HandoverError && e.code === "api-failed" && /did not take the import: connect ECONNREFUSED/.test(e.message));
});

// Before: an API killed (kill -9) while it ran the import was "did not take the import: socket hang
// up", false if it had committed already. Here a real server reads the whole request, then its
// connection is destroyed without an answer, as a killed process's is.
test("importThroughApi, the import sent and the connection then gone without an answer, says it may or may not have been loaded", async () => {
  const server = createServer((req) => {
    req.resume();
    req.once("end", () => req.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await assert.rejects(importThroughApi(infoOf(url), request), (e: unknown) => {
      assert.ok(e instanceof HandoverError);
      assert.equal(e.code, "api-failed");
      assert.doesNotMatch(e.message, /did not take the import/);
      assert.match(e.message, /was sent the import and then gave no answer \(socket hang up\).*may or may not have been loaded.*load the file again: if it was loaded, that load says it is unchanged/);
      return true;
    });
  } finally {
    server.close();
  }
});
