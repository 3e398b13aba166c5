import { test } from "node:test";
import assert from "node:assert/strict";
import { rawUpload, tempDir, testServer, raw } from "../scripts/testing/api_server.ts";

const MiB = 1024 * 1024;

function status(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
}

test("startServer() refuses uploads before reading their bodies: nothing is buffered for a refused request", async (t) => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir, { apiToken: "a-long-enough-secret-token" });
  const { host } = new URL(server.url);
  const upload = (head: string[], bodyBytes: number) =>
    rawUpload(server.url, { head: `${head.join("\r\n")}\r\nHost: ${host}\r\n\r\n`, bodyBytes, client: "stops-on-answer" });
  try {
    await t.test("six parallel 8 MiB CSV uploads without a token: 401 each, 0 bytes buffered", async () => {
      const before = server.stats.buffered;
      const results = await Promise.all(
        Array.from({ length: 6 }, () => upload(["POST /imports/contacts HTTP/1.1", "Content-Type: text/csv", `Content-Length: ${8 * MiB}`], 8 * MiB)),
      );
      assert.deepEqual(results.map((r) => status(r.answer)), [401, 401, 401, 401, 401, 401]);
      assert.equal(server.stats.buffered - before, 0, "a refused upload must not be read into memory");
    });
    const auth = "Authorization: Bearer a-long-enough-secret-token";
    const cases: [string, string[], number][] = [
      ["415 wrong Content-Type", ["POST /imports/contacts HTTP/1.1", auth, "Content-Type: application/zip", `Content-Length: ${4 * MiB}`], 415],
      ["404 unknown path", ["POST /nothing/here HTTP/1.1", auth, "Content-Type: text/csv", `Content-Length: ${4 * MiB}`], 404],
      ["405 wrong method", ["PUT /imports/contacts HTTP/1.1", auth, "Content-Type: text/csv", `Content-Length: ${4 * MiB}`], 405],
      ["413 Content-Length over the limit", ["POST /contacts HTTP/1.1", auth, "Content-Type: application/json", `Content-Length: ${4 * MiB}`], 413],
      ["401 chunked upload without a token", ["POST /contacts HTTP/1.1", "Content-Type: application/json", "Transfer-Encoding: chunked"], 401],
    ];
    for (const [name, head, expected] of cases) {
      await t.test(name, async () => {
        const before = server.stats.buffered;
        const result = await upload(head, 4 * MiB);
        assert.equal(status(result.answer), expected, result.answer.slice(0, 300));
        assert.match(result.answer, /application\/problem\+json/);
        assert.equal(server.stats.buffered - before, 0);
      });
    }
    await t.test("an accepted body is counted (the counter is alive)", async () => {
      const before = server.stats.buffered;
      const body = JSON.stringify({ first_name: "Ann", last_name: "Lee", email: "ann@example.com" });
      const res = await raw(server.url, { method: "POST", path: "/contacts", headers: { "content-type": "application/json", authorization: "Bearer a-long-enough-secret-token" }, body });
      assert.equal(res.status, 201);
      assert.equal(server.stats.buffered - before, Buffer.byteLength(body));
    });
  } finally {
    await server.close();
    cleanup();
  }
});

test("startServer() answers an over-limit upload with 413 that a client writing its whole body first can read", async (t) => {
  for (const token of [undefined, "a-long-enough-secret-token"]) {
    await t.test(token === undefined ? "no token required: 413" : "token required, none sent: 401", async () => {
      const { dir, cleanup } = tempDir();
      const server = await testServer(dir, { apiToken: token });
      try {
        const { host } = new URL(server.url);
        // 16 MiB is more than the kernel buffers between the two ends hold, so the server must
        // read (and discard) most of it for the client to finish writing.
        const result = await rawUpload(server.url, {
          head: `POST /contacts HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${16 * MiB}\r\n\r\n`,
          bodyBytes: 16 * MiB,
          client: "writes-first",
        });
        assert.equal(result.error, null, `the client met ${result.error} after writing ${result.written} bytes`);
        assert.equal(result.written, 16 * MiB);
        assert.equal(status(result.answer), token === undefined ? 413 : 401, result.answer.slice(0, 300));
        assert.match(result.answer, /\r\nconnection: close\r\n/i);
        assert.equal(server.stats.buffered, 0);
      } finally {
        await server.close();
        cleanup();
      }
    });
  }
});
