import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { inspect } from "node:util";
import type { AddressInfo } from "node:net";
import { createNodeServer, type AdapterOptions, type BodyStats, type Exchange, type SlowClientCut } from "./node_adapter.ts";
import { json, send } from "./respond.ts";
import { raw, rawUpload } from "../../scripts/testing/api_server.ts";
import { within } from "../../scripts/testing/within.ts";

async function withServer(
  handler: (req: Request) => Promise<Response>,
  fn: (url: string, log: Exchange[]) => Promise<void>,
  options: AdapterOptions = {},
): Promise<void> {
  const log: Exchange[] = [];
  const server = createNodeServer(handler, { admit: () => ({ maxBodyBytes: 1024 }), onExchange: (e) => log.push(e), onError: () => {}, ...options });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await fn(`http://127.0.0.1:${port}`, log);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/**
 * Writes `writes` on a fresh socket and resolves with everything the server sent once it closes;
 * with `endOnAnswer` the client half-closes at the first byte back, done once answered.
 */
function socketExchange(url: string, writes: string[], options: { endOnAnswer?: boolean } = {}): Promise<string> {
  const socket = connect(Number(new URL(url).port), "127.0.0.1");
  return new Promise<string>((resolve) => {
    let text = "";
    socket.on("data", (d) => (text += d.toString()));
    socket.on("close", () => resolve(text));
    socket.on("error", () => resolve(text));
    if (options.endOnAnswer) socket.once("data", () => socket.end());
    for (const w of writes) socket.write(w);
  });
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

test("createNodeServer() sends X-Request-Id on every kind of answer, the client's own when it sent a fitting one", async () => {
  await withServer(
    async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/throws") throw new Error("boom");
      if (path === "/streamed") return new Response(new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode("a,b\n")), c.close()) }), { headers: { "content-type": "text/csv" } });
      if (path === "/touched") {
        // A complete answer whose headers someone read: written from the real Response.
        const answer = send("{}", 200, { "content-type": "application/json" });
        assert.equal(answer.headers.get("content-type"), "application/json");
        return answer;
      }
      return send("{}", 200, { "content-type": "application/json" });
    },
    async (url) => {
      const answers = {
        light: await raw(url, { path: "/light" }),
        streamed: await raw(url, { path: "/streamed" }),
        touched: await raw(url, { path: "/touched" }),
        failed: await raw(url, { path: "/throws" }),
        refused: await raw(url, { path: "/refused" }),
        tooLarge: await raw(url, { method: "POST", path: "/light", headers: { "content-type": "text/plain" }, body: "x".repeat(2048) }),
      };
      assert.deepEqual(Object.fromEntries(Object.entries(answers).map(([name, r]) => [name, r.status])), { light: 200, streamed: 200, touched: 200, failed: 500, refused: 404, tooLarge: 413 });
      const ids = Object.values(answers).map((r) => String(r.headers["x-request-id"]));
      for (const id of ids) assert.match(id, /^\w+-\w+$/);
      assert.equal(new Set(ids).size, ids.length, "each answer has an id of its own");
      assert.equal((await raw(url, { path: "/streamed", headers: { "x-request-id": "trace.7:a-b" } })).headers["x-request-id"], "trace.7:a-b");
      assert.equal((await raw(url, { path: "/throws", headers: { "x-request-id": "trace-8" } })).headers["x-request-id"], "trace-8");
      assert.notEqual((await raw(url, { path: "/light", headers: { "x-request-id": "no spaces" } })).headers["x-request-id"], "no spaces");
      const twoHosts = await socketExchange(url, ["GET /light HTTP/1.1\r\nHost: a\r\nHost: b\r\nX-Request-Id: two-hosts\r\n\r\n"], { endOnAnswer: true });
      assert.match(twoHosts, /^HTTP\/1\.1 400[^]*\r\nx-request-id: two-hosts\r\n/i);
    },
    { admit: (head) => (head.path === "/refused" ? send("{}", 404, { "content-type": "application/json" }) : { maxBodyBytes: 1024 }) },
  );
});

test("a request's headers behave as a Headers: read, iterated, changed, copied and printed", async () => {
  await withServer(
    async (req) => {
      const h = req.headers;
      const seen = {
        isHeaders: h instanceof Headers,
        type: h.get("Content-Type"),
        missing: h.get("if-none-match"),
        hasTrace: h.has("X-Trace"),
        hasNone: h.has("x-none"),
        // node joins repeated headers; a Headers built from them says the same.
        accept: h.get("accept"),
        names: [...h.keys()].filter((n) => n.startsWith("x-")),
        copied: new Headers(h).get("x-trace"),
        printed: inspect(h).includes("x-trace"),
      };
      h.set("x-added", "1");
      h.delete("x-trace");
      return json({ ...seen, added: h.get("x-added"), deleted: h.get("x-trace"), stillType: h.get("content-type") });
    },
    async (url) => {
      const res = await raw(url, {
        method: "POST",
        path: "/h",
        headers: { "content-type": "text/plain", "x-trace": "t-1", "x-b": "2", accept: "text/csv, application/json" },
        body: "x",
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json(), {
        isHeaders: true,
        type: "text/plain",
        missing: null,
        hasTrace: true,
        hasNone: false,
        accept: "text/csv, application/json",
        names: ["x-b", "x-trace"],
        copied: "t-1",
        printed: true,
        added: "1",
        deleted: null,
        stillType: "text/plain",
      });
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
      const res = await raw(url, { method: "POST", path: "/x?y=1", headers: { "content-type": "application/json", "content-length": "5000" } });
      assert.equal(res.status, 413);
      assert.match(String(res.headers["content-type"]), /problem\+json/);
      assert.equal(called, false);
      // Before: the adapter's own problems had no instance and no cache-control, unlike the app's (review).
      assert.equal(res.json().instance, "/x");
      assert.equal(res.headers["cache-control"], "no-store");
    },
  );
});

test("createNodeServer() stops a chunked upload at the first byte over the limit, answering once", async () => {
  await withServer(
    async () => json({}),
    async (url) => {
      // 4 chunks of 600 bytes: the server must answer after the second and close.
      const chunks = Array.from({ length: 4 }, () => `258\r\n${"a".repeat(600)}\r\n`);
      const answer = await socketExchange(url, ["POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n", ...chunks]);
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
  // Values, not waits. Node checks the first two every connectionsCheckingInterval, 30 s by
  // default: a header timeout of 10 s then cut a client dribbling its headers after up to 40 s.
  const server = createNodeServer(async () => json({}));
  assert.equal(server.headersTimeout, 10_000);
  assert.equal(server.requestTimeout, 60_000);
  assert.equal(server.keepAliveTimeout, 5_000);
  assert.equal((server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval, 1000);
});

test("createNodeServer() answers headers over node's limit with a 431 problem document of its own type", async () => {
  await withServer(async () => json({}), async (url) => {
    const answer = await socketExchange(url, [`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`]);
    assert.match(answer, /^HTTP\/1\.1 431 /);
    const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
    assert.equal(body.type, "/docs#problem-header-fields-too-large", "it said bad-request");
    assert.equal(body.status, 431);
  });
});

test("createNodeServer() reads no body when admission refuses, not even after Expect: 100-continue", async () => {
  const stats: BodyStats = { buffered: 0, discarded: 0 };
  let called = false;
  const handler = async () => {
    called = true;
    return json({});
  };
  await withServer(
    handler,
    async (url) => {
      // A client waiting for 100 Continue sends nothing more; it closes once it has its answer.
      const answer = await socketExchange(url, ["POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\n\r\n"], { endOnAnswer: true });
      assert.match(answer, /^HTTP\/1\.1 401 /, "the refusal comes first, with no 100 Continue before it");
      assert.match(answer, /\r\nconnection: close\r\n/i);
      assert.equal(called, false);
      assert.equal(stats.buffered, 0);
    },
    { admit: () => json({ title: "no" }, 401), stats },
  );
});

test("createNodeServer() drops at most linger.maxBytes of a refused body, then closes", async () => {
  const stats: BodyStats = { buffered: 0, discarded: 0 };
  await withServer(
    async () => json({}),
    async (url) => {
      const result = await rawUpload(url, {
        head: `POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: ${32 * 1024 * 1024}\r\n\r\n`,
        bodyBytes: 32 * 1024 * 1024,
        client: "writes-first",
      });
      assert.notEqual(result.error, null, "a client sending more than the bound is cut off");
      assert.ok(stats.discarded > 0 && stats.discarded <= 256 * 1024 + 64 * 1024, `dropped ${stats.discarded} bytes`);
      assert.equal(stats.buffered, 0);
    },
    { admit: () => json({ title: "no" }, 401), stats, linger: { maxBytes: 256 * 1024 } },
  );
});

test("createNodeServer() closes a lingering connection whose client goes quiet (linger.idleMs)", async () => {
  const server = createNodeServer(async () => json({}), { admit: () => json({ title: "no" }, 401), linger: { idleMs: 50 }, onError: () => {} });
  // Seen from the server's side: a client that stays half-open hears nothing more once we closed.
  const serverSideClosed = new Promise<void>((resolve) => server.once("connection", (s) => s.once("close", () => resolve())));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  // allowHalfOpen: the server's FIN after its answer does not make this client close too.
  const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
  try {
    let answer = "";
    socket.on("data", (d) => (answer += d.toString()));
    socket.on("error", () => {});
    // Declares 1 MB, sends 10 bytes, then neither sends nor closes: the server must give up.
    socket.write(`POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n${"a".repeat(10)}`);
    await serverSideClosed;
    assert.match(answer, /^HTTP\/1\.1 401 /);
  } finally {
    socket.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test("createNodeServer() delivers a long answer whole to a GET whose ignored body ended, past the linger bounds", async () => {
  const stats: BodyStats = { buffered: 0, discarded: 0 };
  const pause = () => new Promise((r) => setTimeout(r, 150));
  const chunks = ["chunk-1", "chunk-2", "chunk-3", "chunk-4"];
  // A CSV export streaming for longer than both linger bounds (each pause alone outlasts them).
  const handler = async () =>
    new Response(
      new ReadableStream({
        async start(c) {
          for (const chunk of chunks) {
            c.enqueue(new TextEncoder().encode(`${chunk}\n`));
            await pause();
          }
          c.close();
        },
      }),
      { headers: { "content-type": "text/csv" } },
    );
  await withServer(
    handler,
    async (url) => {
      const answer = await socketExchange(url, ["GET /export HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"]);
      assert.match(answer, /^HTTP\/1\.1 200 /);
      for (const chunk of chunks) assert.ok(answer.includes(chunk), `${chunk} arrived: ${JSON.stringify(answer)}`);
      assert.ok(answer.endsWith("0\r\n\r\n"), "the chunked answer is complete");
      assert.equal(stats.discarded, 5);
      assert.equal(stats.buffered, 0);
    },
    { admit: () => ({ maxBodyBytes: 0, ignoresBody: true }), stats, linger: { idleMs: 20, maxMs: 40 } },
  );
});

test("createNodeServer() still closes a GET whose ignored body keeps arriving no more (linger.idleMs)", async () => {
  let finish!: () => void;
  const never = new Promise<void>((resolve) => (finish = resolve));
  const server = createNodeServer(
    async () => {
      await never;
      return json({});
    },
    { admit: () => ({ maxBodyBytes: 0, ignoresBody: true }), linger: { idleMs: 50 }, onError: () => {} },
  );
  const serverSideClosed = new Promise<void>((resolve) => server.once("connection", (s) => s.once("close", () => resolve())));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
  try {
    socket.on("error", () => {});
    // Declares 1 MB, sends 10 bytes, then neither sends nor closes: the server must give up.
    socket.write(`GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n${"a".repeat(10)}`);
    await serverSideClosed;
  } finally {
    finish();
    socket.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test("request.signal aborts when the client goes before the answer, and not once it is answered", async () => {
  const seen: string[] = [];
  let gone!: () => void;
  const left = new Promise<void>((resolve) => (gone = resolve));
  let listening!: () => void;
  const started = new Promise<void>((resolve) => (listening = resolve));
  await withServer(
    async (req) => {
      const signal = req.signal;
      if (new URL(req.url).pathname === "/quick") {
        setTimeout(() => seen.push(`quick aborted: ${signal.aborted}`), 50);
        return json({ ok: true });
      }
      // Long work that stops when its client goes.
      const aborted = new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      listening();
      await aborted;
      seen.push("slow: aborted");
      gone();
      return json({ ok: false });
    },
    async (url) => {
      assert.equal((await raw(url, { path: "/quick" })).status, 200);
      const socket = connect(Number(new URL(url).port), "127.0.0.1");
      socket.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
      // Gone once the handler runs (a fixed 50 ms could end the socket before its request was read).
      await started;
      socket.destroy();
      // A guard, not a timing: without the abort the handler would wait for ever and keep the server open.
      await within(20_000, "the handler seeing its client go", left);
      await new Promise((r) => setTimeout(r, 60));
    },
  );
  assert.deepEqual(seen.sort(), ["quick aborted: false", "slow: aborted"]);
});

test("a streamed body whose client left before the handler answered is cancelled, not left pending for ever", async () => {
  // Before: the adapter listened for the response's "close", which had fired already, and its wait
  // for "drain" never ended: the body was never cancelled, and what it held (a replaced snapshot
  // kept open for its CSV) stayed held for ever (review).
  let gone!: () => void;
  const signalled = new Promise<void>((resolve) => (gone = resolve));
  let cancelled!: () => void;
  const bodyCancelled = new Promise<void>((resolve) => (cancelled = resolve));
  await withServer(
    async (req) => {
      gone();
      await new Promise<void>((resolve) => req.signal.addEventListener("abort", () => resolve(), { once: true }));
      const chunk = new Uint8Array(64 * 1024);
      const body = new ReadableStream<Uint8Array>({
        pull: (controller) => controller.enqueue(chunk), // endless, as a long export
        cancel: () => cancelled(),
      });
      return new Response(body, { headers: { "content-type": "text/csv" } });
    },
    async (url) => {
      const socket = connect(Number(new URL(url).port), "127.0.0.1");
      socket.on("error", () => {});
      socket.write("GET /export HTTP/1.1\r\nHost: x\r\n\r\n");
      await signalled;
      socket.destroy();
      // A guard, not a timing: without the cancel the body would stay pending for ever.
      await within(20_000, "the body of a gone client cancelled", bodyCancelled);
    },
    { writeStallMs: 60_000 },
  );
});

test("bodies held at once stay within maxBufferedBytes: one more is a 503 with Retry-After, unread, until a handler settles", async () => {
  // Each route's limit bounds one body, not how many arrive together: twenty 64 MiB imports sent
  // at once were all held (three 60 MB uploads took the server from 160 to 478 MB).
  let hold: (() => void) | undefined;
  const held = new Promise<void>((resolve) => (hold = resolve));
  let holding = false;
  const bodies: number[] = [];
  await withServer(
    async (req) => {
      const body = await req.arrayBuffer();
      bodies.push(body.byteLength);
      // The first body's handler stays busy (an import running) until the test lets it go.
      if (bodies.length === 1) {
        holding = true;
        await held;
      }
      return json({ bytes: body.byteLength });
    },
    async (url) => {
      const post = (body: string) => raw(url, { method: "POST", path: "/x", headers: { "content-type": "application/json" }, body });
      const first = post("a".repeat(1500));
      while (!holding) await new Promise((r) => setTimeout(r, 5));
      const second = await post("b".repeat(1000));
      assert.equal(second.status, 503, second.text);
      assert.equal(second.headers["retry-after"], "5");
      assert.equal(second.json().type, "/docs#problem-too-many-uploads");
      // Chunked: counted as it arrives.
      const chunked = await socketExchange(url, ["POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n", `3e8\r\n${"c".repeat(1000)}\r\n`, "0\r\n\r\n"]);
      assert.match(chunked, /^HTTP\/1\.1 503 /);
      // A body that fits beside the held one is read.
      assert.equal((await post("d".repeat(400))).status, 200);
      assert.deepEqual(bodies, [1500, 400]);
      hold!();
      assert.equal((await first).status, 200);
      // Released once its handler settled: the refused size fits again.
      assert.equal((await post("e".repeat(1000))).status, 200);
    },
    { admit: () => ({ maxBodyBytes: 4096 }), maxBufferedBytes: 2000 },
  );
});

test("createNodeServer() cuts a streamed answer whose client reads under minWriteRate, cancels its body and says so; a fast client gets it whole", { timeout: 60_000 }, async (t) => {
  const chunk = new Uint8Array(64 * 1024).fill(120);
  const chunks = 256; // 16 MiB: more than loopback socket buffers hold
  let cancelled = 0;
  const handler = async () => {
    let sent = 0;
    return new Response(
      new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent++ === chunks) c.close();
          else c.enqueue(chunk);
        },
        cancel() {
          cancelled++;
        },
      }),
      { headers: { "content-type": "text/csv" } },
    );
  };
  const cuts: SlowClientCut[] = [];
  // A floor far above a trickle (about 50 KB/s) and far below what loopback carries: the fast
  // client below took 16 MiB in about 0.4 s here (40 MB/s), which a machine ten times slower, or a
  // second's stall of this process early in the download, brought near a floor of 4 MiB/s after
  // 200 ms (a stall of 1 s cut it). 1 MiB/s after 1 s leaves room for both.
  const options: AdapterOptions = { minWriteRate: { bytesPerSecond: 1024 * 1024, graceMs: 1000 }, writeStallMs: 60_000, onSlowClient: (cut) => cuts.push(cut) };
  await withServer(
    handler,
    async (url) => {
      await t.test("a client taking a trickle (never pausing long enough to stall) is disconnected", async () => {
        const socket = connect(Number(new URL(url).port), "127.0.0.1");
        let received = 0;
        const closed = new Promise<void>((resolve) => {
          socket.on("close", () => resolve());
          socket.on("error", () => {});
        });
        socket.pause();
        socket.write("GET /download.csv?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: trickle-1\r\n\r\n");
        // 512 bytes every 10 ms: about 50 KB/s, and a byte always on the way.
        const trickle = setInterval(() => {
          const got = socket.read(512) ?? socket.read();
          if (got !== null) received += got.length;
        }, 10);
        try {
          await until(() => cuts.length > 0);
        } finally {
          clearInterval(trickle);
        }
        // What the kernel still holds for the client arrives, then the end: the body stops short.
        socket.on("data", (d: Buffer) => (received += d.length));
        socket.resume();
        await closed;
        assert.ok(received < chunks * chunk.length, `the client got ${received} bytes, not all`);
        assert.equal(cuts.length, 1);
        assert.equal(cuts[0].path, "/download.csv");
        assert.equal(cuts[0].id, "trickle-1", "the cut names the request by its id");
        assert.equal(cuts[0].method, "GET");
        assert.equal(cuts[0].min_bytes_per_second, 1024 * 1024);
        assert.ok(cuts[0].waited_ms >= 1000 && cuts[0].bytes < chunks * chunk.length, JSON.stringify(cuts[0]));
        await until(() => cancelled === 1);
      });
      await t.test("a client that reads as fast as it can gets every byte", async () => {
        const res = await fetch(`${url}/download.csv`);
        assert.equal((await res.arrayBuffer()).byteLength, chunks * chunk.length);
        assert.equal(cuts.length, 1, "no second cut");
      });
    },
    options,
  );
});

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 10));
}

test("an exchange never answered is reported as 499, and one node's request timeout answered as 408, not as 200", async (t) => {
  // Before: onExchange took res.statusCode, which is 200 until a head is written, so the request
  // log and http_requests_total counted an upload whose client left mid-body, a client gone while
  // its handler worked, and the 408 the adapter writes on the socket for a body that came too
  // slowly, all as 200 answers.
  const log: Exchange[] = [];
  // Paths whose request the server has read (its head, and what came with it).
  const arrived: string[] = [];
  let release!: () => void;
  const handlerWaits = new Promise<void>((resolve) => (release = resolve));
  const server = createNodeServer(
    async (req) => {
      if (new URL(req.url).pathname === "/slow") await handlerWaits;
      await req.text();
      return json({ ok: true });
    },
    { admit: () => ({ maxBodyBytes: 1024 }), onRequest: (path) => arrived.push(path), onExchange: (e) => log.push(e), onError: () => {} },
  );
  server.requestTimeout = 1000;
  server.headersTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const logged = async (path: string) => {
    await until(() => log.some((e) => e.path === path));
    return log.find((e) => e.path === path)!.status;
  };
  try {
    await t.test("the client leaves mid-body: reset, nothing answered; closed, the truncated request answered 400", async () => {
      for (const [path, leave, status] of [["/mid-body-reset", "reset", 499], ["/mid-body-closed", "close", 400]] as const) {
        const socket = connect(port, "127.0.0.1");
        socket.on("error", () => {});
        socket.write(`POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc`);
        // The client leaves once the server has read its request, not after a fixed time: a reset
        // that comes first drops the bytes not read yet, and there is then no request to report.
        await until(() => arrived.includes(path));
        if (leave === "reset") socket.resetAndDestroy();
        else socket.destroy();
        assert.equal(await logged(path), status, path);
      }
    });
    await t.test("the client leaves while the handler works", async () => {
      const socket = connect(port, "127.0.0.1");
      socket.on("error", () => {});
      socket.write("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
      await until(() => arrived.includes("/slow"));
      socket.destroy();
      assert.equal(await logged("/slow"), 499);
      release();
    });
    await t.test("node's request timeout answers a body that comes too slowly with a 408", async () => {
      const answer = await socketExchange(`http://127.0.0.1:${port}`, ["POST /too-slow HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc"]);
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.equal(await logged("/too-slow"), 408);
    });
    await t.test("an answered request keeps its status", async () => {
      assert.equal((await raw(`http://127.0.0.1:${port}`, { path: "/fine" })).status, 200);
      assert.equal(await logged("/fine"), 200);
    });
  } finally {
    release();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** The status line and the parsed problem document of a raw answer. */
function problemAnswer(answer: string): { status: number; type: string; headers: string } {
  const end = answer.indexOf("\r\n\r\n");
  const headers = answer.slice(0, end);
  const body = headers.toLowerCase().includes("content-type: application/problem+json") ? JSON.parse(answer.slice(end + 4)) : {};
  return { status: Number(answer.slice(9, 12)), type: body.type, headers };
}

// RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host. Node did, but with
// its own bare 400 and no body, the only 4xx that was no problem document.
test("createNodeServer() answers an HTTP/1.1 request without Host with a 400 problem document; HTTP/1.0 needs none", async () => {
  await withServer(async () => json({ ok: true }), async (url) => {
    const missing = await socketExchange(url, ["GET /x HTTP/1.1\r\n\r\n"], { endOnAnswer: true });
    assert.deepEqual(problemAnswer(missing).status, 400, missing);
    assert.match(missing, /"detail":"An HTTP\/1\.1 request needs a Host header/);
    assert.equal(problemAnswer(missing).type, "/docs#problem-bad-request");
    const old = await socketExchange(url, ["GET /x HTTP/1.0\r\n\r\n"]);
    assert.match(old, /^HTTP\/1\.1 200 /);
  });
});

// RFC 9110 9.1 and 15.6.2: a method the server does not recognise is a 501, not a malformed request.
test("createNodeServer() answers a method node's parser does not know with a 501 problem document", async () => {
  await withServer(async () => json({}), async (url) => {
    const answer = await socketExchange(url, ["FOO /contacts/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"]);
    assert.match(answer, /^HTTP\/1\.1 501 Not Implemented\r\n/, answer);
    assert.equal(problemAnswer(answer).type, "/docs#problem-not-implemented");
    // Bytes that are no request line at all fail the same parser check: still a malformed request.
    for (const garbage of ["GARBAGE\r\n\r\n", "FOO\r\nHost: 127.0.0.1\r\n\r\n", "F{O / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"]) {
      assert.match(await socketExchange(url, [garbage]), /^HTTP\/1\.1 400 /, garbage);
    }
  });
});
// RFC 9110 15.5.15: a request line over the limit is a 414; 431 is for the header fields.
test("createNodeServer() answers a request line over node's limit with a 414, and headers over it with a 431", async () => {
  await withServer(async () => json({}), async (url) => {
    const long = await socketExchange(url, [`GET /contacts?q=${"a".repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`]);
    assert.match(long, /^HTTP\/1\.1 414 URI Too Long\r\n/, long.slice(0, 100));
    assert.equal(problemAnswer(long).type, "/docs#problem-uri-too-long");
    // The request line still arriving (no CRLF yet) when the limit is passed.
    const unfinished = await socketExchange(url, [`GET /contacts?q=${"a".repeat(20_000)}`], { endOnAnswer: true });
    assert.match(unfinished, /^HTTP\/1\.1 414 /, unfinished.slice(0, 100));
    const headers = await socketExchange(url, [`GET /contacts?q=a HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`]);
    assert.match(headers, /^HTTP\/1\.1 431 /);
  });
});

// The parser's own refusals never reached onExchange: a flood of 414s, 431s or 501s (a scanner)
// was missing from http_requests_total and from the request log, which showed nothing at all.
test("createNodeServer() reports the parser's refusals (400, 414, 431, 501) as exchanges, each told to onRequest first, the method named only when node knows it", async () => {
  const arrived: string[] = [];
  await withServer(
    async () => json({}),
    async (url, log) => {
      const sent: [string, number, string, string][] = [
        ["FOO /contacts/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 501, "(other)", "/contacts/1"],
        [`GET /contacts?q=${"a".repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, 414, "GET", "/contacts"],
        [`PATCH /contacts/2 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`, 431, "PATCH", "/contacts/2"],
        ["GARBAGE\r\n\r\n", 400, "(other)", ""],
      ];
      for (const [request, status, method, path] of sent) {
        assert.match(await socketExchange(url, [request]), new RegExp(`^HTTP/1\\.1 ${status} `));
        const exchange = log.at(-1);
        assert.deepEqual(exchange && { status: exchange.status, method: exchange.method, path: exchange.path }, { status, method, path }, request.slice(0, 40));
      }
      assert.equal(log.length, sent.length);
      assert.equal(arrived.length, log.length, "every exchange was told to onRequest, so in-flight counts stay balanced");
      // A request that is answered keeps being reported once, not twice.
      assert.equal((await raw(url, { path: "/fine" })).status, 200);
      await until(() => log.length > sent.length);
      assert.deepEqual(log.slice(sent.length).map((e) => [e.path, e.status]), [["/fine", 200]]);
    },
    { onRequest: (path) => arrived.push(path) },
  );
});

test("a body written to a file as it arrives is not cut by the whole-request timeout while it keeps coming, but is once it goes silent (408, the part written removed)", { timeout: 30_000 }, async () => {
  // Before: node's whole-request timeout (60 s) cut a CSV import streamed to disk with a 408 once
  // it had taken that long, however steadily it came: a 1.3 GB file needed 22 MB/s to get in.
  const dir = mkdtempSync(join(tmpdir(), "spool-timeout-"));
  let n = 0;
  const server = createNodeServer(async (_req, info) => json({ bytes: info.spooled?.bytes }), {
    admit: () => ({ maxBodyBytes: 1e9, spoolTo: join(dir, `body-${++n}.csv`) }),
    bodyIdleMs: 500,
    onError: () => {},
  });
  server.requestTimeout = 1000;
  server.headersTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  /** Sends `chunks` chunks of 100 bytes, one every 100 ms, of a body that says it has `length`; the answer. */
  const send = (chunks: number, length: number) =>
    new Promise<string>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      let answer = "";
      let sent = 0;
      const timer = setInterval(() => {
        if (sent === chunks) return clearInterval(timer);
        sent++;
        socket.write("a".repeat(100));
      }, 100);
      socket.on("data", (d) => (answer += d));
      socket.on("close", () => {
        clearInterval(timer);
        resolve(answer);
      });
      socket.on("error", () => {});
      socket.write(`POST /import HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/csv\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`);
    });
  try {
    // 3 s of body at least: three times the whole-request timeout.
    const answer = await send(30, 3000);
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.match(answer, /"bytes":3000/);
    // A body that goes silent is cut once it has been for bodyIdleMs, and no part of it kept.
    const stalled = await send(5, 1e6);
    assert.match(stalled, /^HTTP\/1\.1 408 /);
    assert.match(stalled, /nothing came for 0.5 s/);
    await until(() => readdirSync(dir).length === 0);
  } finally {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Holds every thread of libuv's pool in an open() of a FIFO nobody writes, so the file system's
 * calls (a spooled body's open and writes) wait as on a disk that stalled; the returned function
 * opens each FIFO's other end from a child process (which needs no thread of the pool) to free them.
 */
async function stallFileSystem(dir: string): Promise<() => Promise<void>> {
  const fifos = Array.from({ length: Number(process.env.UV_THREADPOOL_SIZE ?? 4) }, (_, i) => join(dir, `fifo-${i}`));
  execFileSync("mkfifo", fifos);
  const opened = fifos.map((fifo) => open(fifo, "r"));
  return async () => {
    await new Promise((resolve) => execFile("sh", ["-c", 'for f; do exec 3>"$f"; exec 3>&-; done', "sh", ...fifos], resolve));
    for (const handle of await Promise.all(opened)) await handle.close();
  };
}

/**
 * Resolves with all the server sent on a socket that wrote `head`, then `next()`'s bytes every
 * `everyMs` while it returns some and nothing was answered (at the answer's first byte it half-closes).
 */
function steadyUpload(port: number, head: string, next: () => Buffer | undefined, everyMs: number): Promise<string> {
  return new Promise<string>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    const timer = setInterval(() => {
      const bytes = next();
      if (bytes === undefined) clearInterval(timer);
      else socket.write(bytes);
    }, everyMs);
    socket.on("data", (d) => {
      if (answer === "") {
        clearInterval(timer);
        socket.end();
      }
      answer += d;
    });
    socket.on("close", () => {
      clearInterval(timer);
      resolve(answer);
    });
    socket.on("error", () => {});
    socket.write(head);
  });
}

test("a body written to a file is timed by the bytes arriving from the client, not by those reaching the file: a coded body sent steadily is not a 408 while its decoder gives nothing yet", { timeout: 30_000 }, async () => {
  // Before: the 408's silence was measured between decoded bytes reaching the file, so a gzip
  // body whose header (here a 3 KB comment, sent over 1.5 s) decodes to nothing was cut as silent.
  const dir = mkdtempSync(join(tmpdir(), "spool-arriving-"));
  const server = createNodeServer(async (_req, info) => json({ bytes: info.spooled?.bytes }), {
    admit: () => ({ maxBodyBytes: 1e9, coding: "gzip", spoolTo: join(dir, "body.csv") }),
    bodyIdleMs: 500,
    onError: () => {},
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const plain = gzipSync("a,b\n1,2\n");
    // FCOMMENT: a zero-ended comment after the 10-byte header.
    plain[3] |= 0x10;
    const comment = Array.from({ length: 30 }, () => Buffer.from("c".repeat(100)));
    const parts = [plain.subarray(0, 10), ...comment, Buffer.concat([Buffer.from([0]), plain.subarray(10)])];
    const length = parts.reduce((sum, part) => sum + part.length, 0);
    const head = `POST /import HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/csv\r\nContent-Encoding: gzip\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;
    const answer = await steadyUpload(port, head, () => parts.shift(), 50);
    assert.match(answer, /^HTTP\/1\.1 200 /, answer.slice(0, 300));
    assert.match(answer, /"bytes":8/);
  } finally {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a body whose file the disk stopped taking is a 503 disk-stalled, not a 408 blaming a client that keeps sending", { timeout: 30_000 }, async () => {
  // Before: the client, still sending (held back by TCP as the server stopped reading), was told
  // "nothing came for 0.3 s" (408) though it was the disk that took nothing.
  const dir = mkdtempSync(join(tmpdir(), "spool-disk-stalled-"));
  const server = createNodeServer(async (_req, info) => json({ bytes: info.spooled?.bytes }), {
    admit: () => ({ maxBodyBytes: 1e9, spoolTo: join(dir, "body.csv") }),
    bodyIdleMs: 300,
    onError: () => {},
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const release = await stallFileSystem(dir);
  // The disk comes back long after the body's silence (5 x 300 ms) was judged, as any disk that
  // stalls that long may: the answer, which waits for the part written to be removed, then goes out.
  const released = new Promise<void>((resolve) => setTimeout(() => void release().then(resolve), 1500));
  let answer: string;
  try {
    const head = `POST /import HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/csv\r\nContent-Length: 100000000\r\nConnection: close\r\n\r\n`;
    answer = await steadyUpload(port, head, () => Buffer.alloc(64 * 1024, "a"), 20);
  } finally {
    await released;
    server.closeAllConnections();
    server.close();
  }
  try {
    assert.match(answer, /^HTTP\/1\.1 503 /, answer.slice(0, 300));
    assert.equal(problemAnswer(answer).type, "/docs#problem-disk-stalled");
    assert.match(answer, /retry-after: 30/i);
    await until(() => readdirSync(dir).every((name) => name.startsWith("fifo-")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A client that counts its body's characters, not its bytes, sends a Content-Length too small:
// what is left of the body is read as the next request, which is not one. Before: the adapter
// answered that at once, on the socket, in place of the request still being handled (whose answer
// was lost), and as a 501 "method not implemented", judging the request line at the start of the
// chunk, the good request's.
test("bytes that are no request after a complete one are refused only once that request is answered, as a 400", async () => {
  await withServer(
    async (req) => {
      const text = await req.text();
      await new Promise((resolve) => setTimeout(resolve, 50));
      return json({ text });
    },
    async (url, log) => {
      const body = '{"name":"José"}';
      const answer = await socketExchange(url, [`POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`]);
      const [first, second] = answer.split(/(?=HTTP\/1\.1 )/);
      assert.match(first ?? "", /^HTTP\/1\.1 200 /, answer);
      assert.match(first, /\{"text":"\{\\"name\\":\\"José\\""\}$/, "the body as its Content-Length cut it");
      assert.match(second ?? "", /^HTTP\/1\.1 400 /, answer);
      assert.equal(problemAnswer(second).type, "/docs#problem-bad-request");
      await until(() => log.length === 2);
      // Each told when it is over (the refusal as it is written, the answer once its socket closes).
      assert.deepEqual(log.map((e) => [e.status, e.method, e.path]).sort(), [[200, "POST", "/echo"], [400, "(other)", ""]]);
      // A pipelined request whose headers are over node's limit: the first answered, then a 431.
      const pipelined = await socketExchange(url, [`GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /b HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`]);
      assert.deepEqual(pipelined.match(/HTTP\/1\.1 \d{3}/g), ["HTTP/1.1 200", "HTTP/1.1 431"], pipelined);
    },
  );
});

test("stray bytes after a complete request that come in many packets while it is handled are refused once, with no listener piling up per packet", async () => {
  // Before: node reports each packet of bytes after the parse error as a client error of its own,
  // and each added one more wait for the answer on the response: from the 11th packet on, the server
  // log said "MaxListenersExceededWarning: Possible EventEmitter memory leak detected".
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
  process.on("warning", onWarning);
  let clientErrors = 0;
  let answer!: () => void;
  const answering = new Promise<void>((resolve) => (answer = resolve));
  const log: Exchange[] = [];
  const server = createNodeServer(
    async (req) => {
      const text = await req.text();
      await answering;
      return json({ text });
    },
    { admit: () => ({ maxBodyBytes: 1024 }), onExchange: (e) => log.push(e), onError: () => {} },
  );
  server.on("clientError", () => clientErrors++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.on("data", (d) => (text += d.toString()));
    socket.on("error", () => {});
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    const body = '{"name":"José"}';
    socket.write(`POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    // Each packet once the server has seen the one before: 12 packets, 12 client errors.
    await until(() => clientErrors === 1);
    for (let i = 2; i <= 12; i++) {
      socket.write(`more of the body, packet ${i}\r\n`);
      await until(() => clientErrors === i);
    }
    answer();
    await closed;
    const [first, second, third] = text.split(/(?=HTTP\/1\.1 )/);
    assert.match(first ?? "", /^HTTP\/1\.1 200 /, text);
    assert.match(second ?? "", /^HTTP\/1\.1 400 /, text);
    assert.equal(third, undefined, text);
    await until(() => log.length === 2);
    assert.deepEqual(log.map((e) => e.status).sort(), [200, 400]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings.filter((w) => w.startsWith("MaxListenersExceededWarning")), []);
  } finally {
    process.off("warning", onWarning);
    server.closeAllConnections();
    server.close();
  }
});
