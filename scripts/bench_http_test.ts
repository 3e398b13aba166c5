// The load generator's figures are what every benchmark prints: a failed answer must not count as
// a request served, and its time must not be mixed into the latencies of the ones that were.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { httpRequest, load, percentile } from "./bench_http.ts";
import { within } from "./testing/within.ts";

/** A real node:http server on 127.0.0.1:0 answering with `handler`; closed by the returned function. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ port: number; server: Server; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const close = () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, server, close };
}

const answer = (res: ServerResponse, status: number) => res.writeHead(status, { "content-type": "application/json", "content-length": 2 }).end("{}");

test("answers that are not 2xx are errors, not requests: a case answering 404 serves 0 requests a second", async () => {
  const { port, close } = await serve((_req, res) => answer(res, 404));
  try {
    const r = await load({ name: "404", port, connections: 2, seconds: 0.3, warmupMs: 50, next: () => httpRequest("GET", "/nope") });
    assert.ok(r.errors > 0, "the 404s are counted as errors");
    assert.equal(r.requests, 0, "no request was served");
    assert.equal(r.rps, 0);
    assert.ok(Number.isNaN(r.p99), "no latency of a failed answer in the percentiles");
  } finally {
    await close();
  }
});

test("the latencies are those of the 2xx answers only: fast 503s do not pull p50 below the slow 200s", async () => {
  let k = 0;
  const { port, close } = await serve((_req, res) => {
    if (k++ % 3 !== 2) answer(res, 503); // two fast failures for each slow success
    else setTimeout(() => answer(res, 200), 20);
  });
  try {
    const r = await load({ name: "half 503", port, connections: 1, seconds: 0.5, warmupMs: 50, next: () => httpRequest("GET", "/") });
    assert.ok(r.errors > 0 && r.requests > 0, `both kinds answered: ${JSON.stringify(r)}`);
    assert.ok(Math.abs(2 * r.requests - r.errors) <= 3, `twice as many 503s as 200s: ${JSON.stringify(r)}`);
    assert.ok(r.p50 >= 19, `p50 ${r.p50} ms is a 200's (20 ms), not a 503's`);
  } finally {
    await close();
  }
});

test("percentile() is the nearest rank: p99 of 1..100 is 99, not the maximum; p50 is 50", () => {
  const hundred = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(hundred, 0.99), 99);
  assert.equal(percentile(hundred, 0.5), 50);
  assert.equal(percentile(hundred, 1), 100);
  assert.equal(percentile(Float64Array.of(7), 0.99), 7);
  assert.equal(percentile(Float64Array.of(1, 2), 0.5), 1);
  assert.ok(Number.isNaN(percentile(new Float64Array(0), 0.99)));
});

test("a connection the server closes is an error: a case whose server hangs up serves nothing and says so", async () => {
  const { port, close } = await serve((req) => req.socket.destroy());
  try {
    const r = await load({ name: "hang-up", port, connections: 3, seconds: 0.2, warmupMs: 50, next: () => httpRequest("GET", "/") });
    assert.equal(r.requests, 0);
    assert.equal(r.errors, 3, "each lost connection is counted once");
  } finally {
    await close();
  }
});

test("a connection closed after an answer (Connection: close) is an error too: the case ran with fewer connections than it says", async () => {
  const { port, server, close } = await serve((_req, res) => answer(res, 200));
  server.maxRequestsPerSocket = 2;
  try {
    const r = await load({ name: "closing", port, connections: 2, seconds: 0.2, warmupMs: 50, next: () => httpRequest("GET", "/") });
    assert.equal(r.errors, 2, `both connections lost in the warm-up: ${JSON.stringify(r)}`);
  } finally {
    await close();
  }
});

test("a server that stops answering does not keep load() waiting for good: the answers that never came are errors", async () => {
  const { port, close } = await serve(() => undefined); // takes each request, never answers
  try {
    const r = await within(15_000, "load() on a server that never answers", load({ name: "silent", port, connections: 2, seconds: 0.2, warmupMs: 50, next: () => httpRequest("GET", "/") }));
    assert.equal(r.requests, 0);
    assert.equal(r.errors, 2, "each connection's unanswered request");
  } finally {
    await close();
  }
});
