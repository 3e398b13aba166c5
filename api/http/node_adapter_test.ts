import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { createNodeServer, type Exchange } from "./node_adapter.ts";
import { json } from "./respond.ts";
import { raw } from "../../scripts/testing/api_server.ts";

async function withServer(handler: (req: Request) => Promise<Response>, fn: (url: string, log: Exchange[]) => Promise<void>): Promise<void> {
  const log: Exchange[] = [];
  const server = createNodeServer(handler, { maxBodyBytes: () => 1024, onExchange: (e) => log.push(e), onError: () => {} });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await fn(`http://127.0.0.1:${port}`, log);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

test("createNodeServer() passes method, url, headers and body as a web Request", async () => {
  await withServer(
    async (req) => json({ method: req.method, url: req.url, type: req.headers.get("content-type"), body: await req.text(), isRequest: req instanceof Request }),
    async (url, log) => {
      const res = await raw(url, { method: "POST", path: "/echo?a=1", headers: { "content-type": "text/plain", host: "example.test" }, body: "héllo" });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json(), { method: "POST", url: "http://example.test/echo?a=1", type: "text/plain", body: "héllo", isRequest: true });
      assert.equal(res.headers["content-length"], String(Buffer.byteLength(res.text)));
      assert.match(String(res.headers["x-request-id"]), /\w/);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(log[0].status, 200);
      assert.equal(log[0].path, "/echo");
    },
  );
});

test("createNodeServer() answers 413 from Content-Length without reading the body", async () => {
  let called = false;
  await withServer(
    async () => {
      called = true;
      return json({});
    },
    async (url) => {
      const res = await raw(url, { method: "POST", path: "/x", headers: { "content-type": "application/json", "content-length": "5000" } });
      assert.equal(res.status, 413);
      assert.match(String(res.headers["content-type"]), /problem\+json/);
      assert.equal(called, false);
    },
  );
});

test("createNodeServer() stops a chunked upload at the first byte over the limit, answering once", async () => {
  await withServer(
    async () => json({}),
    async (url) => {
      const { port } = new URL(url);
      const socket = connect(Number(port), "127.0.0.1");
      const answer = await new Promise<string>((resolve) => {
        let text = "";
        socket.on("data", (d) => (text += d.toString()));
        socket.on("close", () => resolve(text));
        socket.on("error", () => resolve(text));
        socket.write("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n");
        // 4 chunks of 600 bytes: the server must answer after the second and close.
        for (let i = 0; i < 4; i++) socket.write(`258\r\n${"a".repeat(600)}\r\n`);
      });
      assert.equal(answer.match(/HTTP\/1\.1 /g)?.length, 1);
      assert.match(answer, /^HTTP\/1\.1 413/);
    },
  );
});

test("createNodeServer() streams a ReadableStream body and omits it for HEAD", async () => {
  const handler = async () =>
    new Response(
      new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode("a,b\r\n"));
          c.enqueue(new TextEncoder().encode("1,2\r\n"));
          c.close();
        },
      }),
      { headers: { "content-type": "text/csv" } },
    );
  await withServer(handler, async (url) => {
    const res = await raw(url, { path: "/csv" });
    assert.equal(res.text, "a,b\r\n1,2\r\n");
    assert.equal(res.headers["transfer-encoding"], "chunked");
    const head = await raw(url, { method: "HEAD", path: "/csv" });
    assert.equal(head.status, 200);
    assert.equal(head.text, "");
  });
});

test("createNodeServer() turns a handler crash into an opaque 500", async () => {
  await withServer(
    async () => {
      throw new Error("secret internals at /srv/db");
    },
    async (url) => {
      const res = await raw(url, { path: "/" });
      assert.equal(res.status, 500);
      assert.doesNotMatch(res.text, /secret|srv/);
    },
  );
});

test("createNodeServer() bounds slow clients: header, whole-request and keep-alive timeouts", () => {
  // Values, not waits: node checks these timers every 30 s, far too slow for a unit test.
  const server = createNodeServer(async () => json({}));
  assert.equal(server.headersTimeout, 10_000);
  assert.equal(server.requestTimeout, 60_000);
  assert.equal(server.keepAliveTimeout, 5_000);
});
