import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { rawUpload, tempDir, testServer, raw } from "../scripts/testing/api_server.ts";
import { until } from "../scripts/testing/until.ts";
import { garbageCollections } from "./collect_garbage.ts";
import { logLine } from "./server.ts";

const MiB = 1024 * 1024;

/** Writes `request` on a fresh socket to `url`'s port; resolves with the first answer's head and body once it is whole. */
function overSocket(url: string, request: string): Promise<{ status: number; head: string; body: string }> {
  const socket = connect(Number(new URL(url).port), "127.0.0.1");
  return new Promise((resolve, reject) => {
    let text = "";
    const done = () => {
      const end = text.indexOf("\r\n\r\n");
      const head = end === -1 ? text : text.slice(0, end);
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (end === -1 || text.length < end + 4 + length) return false;
      socket.destroy();
      resolve({ status: status(text), head, body: text.slice(end + 4, end + 4 + length) });
      return true;
    };
    socket.on("data", (d) => {
      text += d.toString("latin1");
      done();
    });
    socket.on("close", () => done() || reject(new Error(`No whole answer: ${text.slice(0, 200)}`)));
    socket.on("error", reject);
    socket.write(request);
  });
}

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

test("startServer() on loopback answers only loopback Host names, so DNS rebinding cannot reach it", async (t) => {
  const { dir, cleanup } = tempDir();
  const servers = {
    loopback: await testServer(dir),
    listed: await testServer(dir, { allowedHosts: ["contacts.example.org"] }),
  };
  const port = (url: string) => new URL(url).port;
  const ann = JSON.stringify({ first_name: "Ann", last_name: "Lee", email: "ann@example.com" });
  try {
    await t.test("a rebound name gets 421 host-not-allowed, for reads and writes, and nothing is written", async () => {
      const url = servers.loopback.url;
      for (const host of [`evil.example:${port(url)}`, "evil.example", `localhost.evil.example:${port(url)}`, `127.0.0.1.nip.io:${port(url)}`]) {
        const read = await raw(url, { path: "/contacts", headers: { host } });
        assert.equal(read.status, 421, host);
        assert.match(String(read.headers["content-type"]), /^application\/problem\+json/);
        assert.equal(read.json().type, "/docs#problem-host-not-allowed");
        const write = await raw(url, { method: "POST", path: "/contacts", headers: { host, "content-type": "application/json" }, body: ann });
        assert.equal(write.status, 421, host);
      }
      assert.equal((await raw(url, { path: "/contacts?count=true" })).json().total, 0);
    });
    await t.test("loopback names are answered", async () => {
      const url = servers.loopback.url;
      for (const host of [`127.0.0.1:${port(url)}`, `localhost:${port(url)}`, `LOCALHOST:${port(url)}`, `[::1]:${port(url)}`, `127.1.2.3:${port(url)}`, "localhost"]) {
        assert.equal((await raw(url, { path: "/healthz", headers: { host } })).status, 200, host);
      }
    });
    await t.test("ALLOWED_HOSTS adds names for a deployment; others stay refused", async () => {
      const url = servers.listed.url;
      assert.equal((await raw(url, { path: "/healthz", headers: { host: "contacts.example.org" } })).status, 200);
      assert.equal((await raw(url, { path: "/healthz", headers: { host: `Contacts.Example.org:${port(url)}` } })).status, 200);
      assert.equal((await raw(url, { path: "/healthz", headers: { host: `127.0.0.1:${port(url)}` } })).status, 200);
      assert.equal((await raw(url, { path: "/healthz", headers: { host: "evil.example" } })).status, 421);
    });
  } finally {
    await servers.loopback.close();
    await servers.listed.close();
    cleanup();
  }
});

test("startServer() refuses cross-site browser writes (Origin, Sec-Fetch-Site) and keeps same-origin and non-browser ones", async (t) => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  const { host } = new URL(server.url);
  let n = 0;
  const create = (headers: Record<string, string>) =>
    raw(server.url, {
      method: "POST",
      path: "/contacts",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ first_name: "Ann", last_name: "Lee", email: `ann${++n}@example.com` }),
    });
  try {
    for (const [name, headers] of [
      ["Origin of another site", { origin: "http://evil.example" }],
      ["Origin of another port on this host", { origin: `http://127.0.0.1:1` }],
      ["Origin: null (sandboxed frame, file:)", { origin: "null" }],
      ["Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
      ["Sec-Fetch-Site: same-site", { "sec-fetch-site": "same-site", origin: `http://localhost:${new URL(server.url).port}` }],
      ["Sec-Fetch-Site wins over a matching Origin", { "sec-fetch-site": "cross-site", origin: `http://${host}` }],
    ] as const) {
      await t.test(`403 cross-site-write: ${name}`, async () => {
        const res = await create(headers);
        assert.equal(res.status, 403, res.text);
        assert.equal(res.json().type, "/docs#problem-cross-site-write");
      });
    }
    await t.test("a DELETE from another site is refused too", async () => {
      const res = await raw(server.url, { method: "DELETE", path: "/contacts/1", headers: { origin: "http://evil.example" } });
      assert.equal(res.status, 403);
    });
    assert.equal((await raw(server.url, { path: "/contacts?count=true" })).json().total, 0, "nothing was written");
    for (const [name, headers] of [
      ["same-origin browser write (Sec-Fetch-Site and Origin)", { "sec-fetch-site": "same-origin", origin: `http://${host}` }],
      ["same-origin write from a browser without Sec-Fetch-Site", { origin: `http://${host}` }],
      ["a non-browser client (no Origin, no Sec-Fetch-Site)", {}],
    ] as const) {
      await t.test(`201: ${name}`, async () => assert.equal((await create(headers)).status, 201));
    }
    await t.test("reads from another origin are not refused (no CORS headers: the browser keeps the answer from the page)", async () => {
      const res = await raw(server.url, { path: "/contacts", headers: { origin: "http://evil.example", "sec-fetch-site": "cross-site" } });
      assert.equal(res.status, 200);
      assert.equal(res.headers["access-control-allow-origin"], undefined);
    });
  } finally {
    await server.close();
    cleanup();
  }
});

test("startServer() collects V8's garbage once requests stop, and not while none came but probes", async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const server = await testServer(dir, { idleCollectMs: 20 });
  t.after(() => server.close());
  const before = garbageCollections();
  for (const path of ["/healthz", "/readyz", "/metrics"]) assert.equal((await raw(server.url, { path })).status, 200);
  await sleep(100);
  assert.equal(garbageCollections(), before, "no requests but probes and scrapes, no collection");
  assert.equal((await raw(server.url, { path: "/contacts" })).status, 200);
  await until("the collection after the request", () => garbageCollections() > before);
});

test("logLine() writes an exchange as one JSON object, quotes and backslashes in the path escaped", () => {
  const exchange = { id: "a-1", method: "GET", path: '/contacts/"7"\\x%22', status: 404, duration_ms: 0.07 };
  const before = Date.now();
  const line = logLine(exchange);
  const { time, ...rest } = JSON.parse(line);
  assert.deepEqual(rest, exchange);
  assert.deepEqual(Object.keys(JSON.parse(line)), ["time", "id", "method", "path", "status", "duration_ms"], "short keys first, as before");
  assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Date.parse(time) >= before && Date.parse(time) <= Date.now(), `${time} is the time the line was made`);
  assert.doesNotMatch(line, /\n/);
});

test("every GET route answers twice with the same headers: no answer adds to headers another keeps (send() owns them)", async () => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    const paths = server.app.router
      .routes()
      .filter((r) => r.method === "GET")
      .map((r) => r.pattern.replace(/:\w+/g, "1").replace(/\*$/, "app.js"));
    assert.ok(paths.length > 20, `${paths.length} GET routes`);
    const stable = (headers: Record<string, unknown>) => {
      const { "x-request-id": _id, date: _date, "content-length": _length, ...rest } = headers;
      return rest;
    };
    for (const path of paths) {
      const first = await raw(server.url, { path, headers: { "accept-encoding": "gzip" } });
      const second = await raw(server.url, { path, headers: { "accept-encoding": "gzip" } });
      assert.deepEqual(stable(second.headers), stable(first.headers), path);
      assert.doesNotMatch(String(second.headers.vary ?? ""), /Accept-Encoding.*Accept-Encoding/, path);
      assert.notEqual(second.headers["x-request-id"], first.headers["x-request-id"], path);
    }
  } finally {
    await server.close();
    cleanup();
  }
});

// RFC 9112 3.2.2: an origin server MUST accept a request target in absolute-form, and take the host
// from it rather than from Host. Every such request was a 400 "The request target must be a path".
test("startServer() accepts absolute-form targets and checks their authority, not Host, against the allowed hosts", async () => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  const port = new URL(server.url).port;
  try {
    const ok = await overSocket(server.url, `GET http://localhost:${port}/healthz?x=1 HTTP/1.1\r\nHost: evil.example\r\n\r\n`);
    assert.equal(ok.status, 200, ok.head);
    assert.equal(JSON.parse(ok.body).status, "ok");
    const missing = await overSocket(server.url, `GET HTTP://127.0.0.1:${port}/contacts/1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    assert.equal(missing.status, 404, missing.head);
    assert.equal(JSON.parse(missing.body).instance, "/contacts/1");
    const foreign = await overSocket(server.url, `GET http://evil.example:${port}/healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    assert.equal(foreign.status, 421, foreign.head);
    assert.equal(JSON.parse(foreign.body).type, "/docs#problem-host-not-allowed");
    for (const target of [`ftp://localhost:${port}/healthz`, `http://user@localhost:${port}/healthz`, "http:///healthz", "localhost:1/healthz"]) {
      const refused = await overSocket(server.url, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      assert.equal(refused.status, 400, target);
      assert.match(refused.head, /content-type: application\/problem\+json/i, target);
    }
  } finally {
    await server.close();
    cleanup();
  }
});

// RFC 9110 9.3.7: `OPTIONS *` asks about the server itself; it was a 400 like any target not a path.
test("startServer() answers OPTIONS * with 204 and the methods the server implements; * with another method is a 400", async () => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  const port = new URL(server.url).port;
  try {
    const options = await overSocket(server.url, `OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    assert.equal(options.status, 204, options.head);
    const allow = /\r\nallow: ([^\r]*)/i.exec(options.head)?.[1];
    assert.equal(allow, "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
    assert.equal((await overSocket(server.url, `OPTIONS * HTTP/1.1\r\nHost: evil.example\r\n\r\n`)).status, 421);
    const get = await overSocket(server.url, `GET * HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    assert.equal(get.status, 400);
    assert.match(get.head, /content-type: application\/problem\+json/i);
  } finally {
    await server.close();
    cleanup();
  }
});
