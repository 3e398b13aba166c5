import { test } from "node:test";
import assert from "node:assert/strict";
import { brotliDecompressSync } from "node:zlib";
import { chooseEncoding, compress, MIN_COMPRESS_BYTES, precompress } from "./compression.ts";
import { send } from "./respond.ts";

test("chooseEncoding() follows Accept-Encoding: brotli first, gzip next, q=0 refuses", () => {
  assert.equal(chooseEncoding("gzip, deflate, br"), "br");
  assert.equal(chooseEncoding("gzip;q=1, br;q=0"), "gzip");
  assert.equal(chooseEncoding("gzip;q=0.5, br;q=0.4"), "gzip");
  assert.equal(chooseEncoding("*"), "br");
  assert.equal(chooseEncoding("identity"), null);
  assert.equal(chooseEncoding(null), null);
});

test("compress() compresses big text once per cached body and leaves the rest alone", () => {
  const request = new Request("http://x/", { headers: { "accept-encoding": "br" } });
  const body = Buffer.from(JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: "Ana Peña" })) }));
  // Read the raw parts first: touching `.headers` turns a LightResponse into a real Response.
  const parts = (response: Response) => (response as unknown as { fastParts(): { body: Buffer; headers: Record<string, string> } }).fastParts();
  const first = parts(compress(request, send(body, 200, { "content-type": "application/json", vary: "Accept", etag: '"v1"' })));
  assert.equal(first.headers["content-encoding"], "br");
  assert.equal(first.headers.vary, "Accept, Accept-Encoding");
  // Its own strong tag (RFC 9110 8.8.3.3); a weak one is left as it is.
  assert.equal(first.headers.etag, '"v1-br"');
  assert.equal(parts(compress(request, send(body, 200, { "content-type": "application/json", etag: 'W/"g1"' }))).headers.etag, 'W/"g1"');
  assert.deepEqual(brotliDecompressSync(first.body), body);
  // The same bytes object again: the compressed form is remembered, not recomputed.
  assert.equal(parts(compress(request, send(body, 200, { "content-type": "application/json" }))).body, first.body);
  const small = compress(request, send("x".repeat(MIN_COMPRESS_BYTES - 1), 200, { "content-type": "text/plain" }));
  assert.equal(small.headers.get("content-encoding"), null);
  const png = compress(request, send(Buffer.alloc(5000), 200, { "content-type": "image/png" }));
  assert.equal(png.headers.get("content-encoding"), null);
  const plain = compress(new Request("http://x/"), send(body, 200, { "content-type": "application/json" }));
  assert.equal(plain.headers.get("content-encoding"), null);
  assert.equal(plain.headers.get("vary"), "Accept-Encoding", "the answer could have differed");
  assert.equal(compress(request, send(null, 304, { etag: '"v1"' })).status, 304);
});

test("precompress() makes the forms compress() then sends for the same bytes", () => {
  const parts = (response: Response) => (response as unknown as { fastParts(): { body: Buffer } }).fastParts();
  const body = Buffer.from("0123456789abcdef".repeat(4096));
  const done = precompress(body);
  for (const encoding of ["br", "gzip"] as const) {
    const request = new Request("http://x/", { headers: { "accept-encoding": encoding } });
    assert.equal(parts(compress(request, send(body, 200, { "content-type": "application/octet-stream" }))).body, done[encoding], `${encoding}: the bytes made ahead`);
  }
  assert.deepEqual(precompress(Buffer.from("tiny")), {});
});
