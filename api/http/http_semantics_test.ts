// RFC 9110 semantics the whole API shares, through a real server: preconditions on every route
// (not only the contacts' own), request content codings, ETags of compressed forms, and what a
// 304 or an OPTIONS says. The *_postgres_test.ts wrapper runs it on PostgreSQL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { deflateSync, gzipSync } from "node:zlib";
import { postContact, raw, tempDir, testServer, type RawResponse } from "../../scripts/testing/api_server.ts";

const JSON_HEADERS = { "content-type": "application/json" };

/** `res`, asserted to be a problem document of `status` and type `code`. */
function assertProblem(res: RawResponse, status: number, code: string): Record<string, any> {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json().type, `/docs#problem-${code}`, res.text);
  return res.json();
}

/** Runs `body` against a server of its own over a fresh data dir, closed and removed after. */
async function withServer(body: (url: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    await body(server.url);
  } finally {
    await server.close();
    cleanup();
  }
}

test("preconditions hold on every route: /departments, POST /contacts", async (t) => {
  await withServer(async (url) => {
    const contact = (await postContact(url, { first_name: "Dd", last_name: "Ee", email: "dept@example.com", departments: ["Temp"] })).json();
    const department = (await raw(url, { path: "/departments" })).json().items.find((d: { name: string }) => d.name === "Temp");
    await raw(url, { method: "PATCH", path: `/contacts/${contact.id}`, headers: JSON_HEADERS, body: '{"departments":[]}' });
    const listed = async () => (await raw(url, { path: "/departments" })).json().items.some((d: { id: number }) => d.id === department.id);

    await t.test("DELETE /departments/{id}: If-Match naming a tag, or If-None-Match: *, is false: 412 and it stays", async () => {
      // Both deleted the department (204).
      for (const condition of [{ "if-match": '"nope"' }, { "if-none-match": "*" }, { "if-match": 'W/"x"' }] as Record<string, string>[]) {
        assertProblem(await raw(url, { method: "DELETE", path: `/departments/${department.id}`, headers: condition }), 412, "stale");
      }
      assert.ok(await listed());
  });
  await t.test("DELETE /departments/{id}: If-Match: * on a missing one is a 412, as for contacts", async () => {
    assertProblem(await raw(url, { method: "DELETE", path: "/departments/999999", headers: { "if-match": "*" } }), 412, "stale");
    assertProblem(await raw(url, { method: "DELETE", path: "/departments/999999", headers: { "if-none-match": "*" } }), 404, "not-found");
  });
  await t.test("GET /departments evaluates If-Match and If-None-Match, in both forms", async () => {
    for (const path of ["/departments", "/departments?format=csv"]) {
      assertProblem(await raw(url, { path, headers: { "if-match": '"x"' } }), 412, "stale");
      assert.equal((await raw(url, { path, headers: { "if-match": "*" } })).status, 200, path);
      assert.equal((await raw(url, { path, headers: { "if-none-match": "*" } })).status, 304, path);
    }
  });
  await t.test("POST /contacts: If-Match naming a tag or If-None-Match: * is a 412 and nothing is created", async () => {
    for (const [i, condition] of ([{ "if-match": '"nope"' }, { "if-none-match": "*" }] as Record<string, string>[]).entries()) {
      const res = await postContact(url, { first_name: "Im", last_name: "X", email: `im${i}@example.com` }, condition);
      assertProblem(res, 412, "stale");
      assert.equal((await raw(url, { path: "/contacts?count=true" })).json().total, 1);
    }
    // A condition that holds lets it through.
    assert.equal((await postContact(url, { first_name: "Im", last_name: "X", email: "im9@example.com" }, { "if-match": "*", "if-none-match": '"7"' })).status, 201);
  });
  await t.test("DELETE /departments/{id} with If-Match: * deletes it", async () => {
    assert.equal((await raw(url, { method: "DELETE", path: `/departments/${department.id}`, headers: { "if-match": "*" } })).status, 204);
    assert.equal(await listed(), false);
  });
  await t.test("If-None-Match: * on GET /contacts is a 304 on either backend (the list exists)", async () => {
    // PostgreSQL's lists carry no ETag, and answered 200.
    assert.equal((await raw(url, { path: "/contacts?limit=1", headers: { "if-none-match": "*" } })).status, 304);
  });
  });
});

/** What admission's 415 for a content coding names in Accept-Encoding: the codings decoded. */
const ACCEPTED_CODINGS = "gzip, x-gzip, deflate, identity";

test("a request body in gzip, x-gzip or deflate is decoded as it arrives, on every route with a body", async () => {
  await withServer(async (url) => {
    const body = (n: number) => JSON.stringify({ first_name: "Gz", last_name: `Ip${n}`, email: `gz${n}@example.com` });
    // Was: each a 415 unsupported-content-encoding.
    const coded: [string, (text: string) => Buffer][] = [
      ["gzip", (text) => gzipSync(text)],
      ["x-gzip", (text) => gzipSync(text)],
      ["deflate", (text) => deflateSync(text)],
      ["GZIP, identity", (text) => gzipSync(text)],
    ];
    for (const [n, [coding, encode]] of coded.entries()) {
      const res = await raw(url, { method: "POST", path: "/contacts", headers: { ...JSON_HEADERS, "content-encoding": coding }, body: encode(body(n)) });
      assert.equal(res.status, 201, `${coding}: ${res.text}`);
      assert.equal(res.json().email, `gz${n}@example.com`);
    }
    const patched = await raw(url, { method: "PATCH", path: "/contacts/1", headers: { ...JSON_HEADERS, "content-encoding": "gzip" }, body: gzipSync('{"last_name":"Patched"}') });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.json().last_name, "Patched");
    // A CSV import, with Content-Length (the wire size) and without it (chunked).
    const csv = "first_name,last_name,email\n" + Array.from({ length: 500 }, (_, i) => `Csv,Row${i},csv${i}@example.com\n`).join("");
    for (const headers of [{ "content-length": String(gzipSync(csv).length) }, {}] as Record<string, string>[]) {
      const imported = await raw(url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv", "content-encoding": "gzip", ...headers }, body: gzipSync(csv) });
      assert.equal(imported.status, 200, imported.text);
    }
    assert.equal((await raw(url, { path: "/contacts?count=true&limit=1" })).json().total, 504);
  });
});

test("a content coding not decoded, or more than one, is a 415 naming those accepted in Accept-Encoding", async () => {
  await withServer(async (url) => {
    const body = JSON.stringify({ first_name: "Gz", last_name: "Ip", email: "gz@example.com" });
    // Was: br-labelled plain JSON created the contact (201).
    const requests = [
      { method: "POST", path: "/contacts", headers: { ...JSON_HEADERS, "content-encoding": "br" }, body },
      { method: "POST", path: "/contacts", headers: { ...JSON_HEADERS, "content-encoding": "compress" }, body },
      { method: "POST", path: "/contacts", headers: { ...JSON_HEADERS, "content-encoding": "gzip, br" }, body: gzipSync(body) },
      { method: "POST", path: "/contacts", headers: { ...JSON_HEADERS, "content-encoding": "gzip, gzip" }, body: gzipSync(gzipSync(body)) },
      { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv", "content-encoding": "zstd" }, body: "first_name,last_name,email\nA,B,a@example.com\n" },
    ];
    for (const request of requests) {
      const res = await raw(url, request);
      assertProblem(res, 415, "unsupported-content-encoding");
      assert.equal(res.headers["accept-encoding"], ACCEPTED_CODINGS, `${request.method} ${request.path}`);
    }
    assert.equal((await raw(url, { path: "/contacts?count=true" })).json().total, 0);
    // identity is no coding at all.
    assert.equal((await raw(url, { method: "POST", path: "/contacts", headers: { ...JSON_HEADERS, "content-encoding": "identity" }, body })).status, 201);
  });
});

test("a body that is not the coding it names is a 400 naming the coding and the fault, not a 500", async () => {
  await withServer(async (url) => {
    const body = JSON.stringify({ first_name: "Gz", last_name: "Ip", email: "gz@example.com" });
    const zipped = gzipSync(body);
    const cases = [
      { coding: "gzip", body: Buffer.from(body), fault: /not valid gzip.*incorrect header check/ },
      { coding: "gzip", body: zipped.subarray(0, zipped.length - 6), fault: /not valid gzip.*unexpected end of file/ },
      { coding: "deflate", body: zipped, fault: /not valid deflate/ },
    ];
    for (const c of cases) {
      for (const headers of [{ "content-length": String(c.body.length) }, {}] as Record<string, string>[]) {
        const res = await raw(url, { method: "POST", path: "/contacts", headers: { ...JSON_HEADERS, "content-encoding": c.coding, ...headers }, body: c.body });
        const problem = assertProblem(res, 400, "bad-content-encoding");
        assert.match(problem.detail, c.fault);
        assert.doesNotMatch(res.text, /    at /);
      }
    }
    assert.equal((await raw(url, { path: "/contacts?count=true" })).json().total, 0);
  });
});

test("a coded body's size limit is its decoded size: a small gzip that expands past it is a 413, never held whole", async () => {
  const { dir, cleanup } = tempDir();
  // An import's CSV body goes to disk as it arrives, up to 4 GiB: lowered here to 64 MiB.
  const server = await testServer(dir, { maxSpooledBodyBytes: 64 * 1024 * 1024 });
  try {
    const url = server.url;
    // 2 KiB on the wire, 2 MiB decoded: over POST /contacts' 1 MiB.
    const json = gzipSync(`{"first_name":"Bomb","last_name":"X","email":"b@example.com","notes":"${" ".repeat(2 * 1024 * 1024)}"}`);
    // 65 KiB on the wire, 65 MiB decoded: over an import's 64 MiB.
    const csv = gzipSync(Buffer.concat([Buffer.from("first_name,last_name,email\n"), Buffer.alloc(65 * 1024 * 1024, "a")]));
    const cases = [
      { path: "/contacts", type: "application/json", body: json, limit: 1024 * 1024 },
      { path: "/imports/contacts", type: "text/csv", body: csv, limit: 64 * 1024 * 1024 },
    ];
    for (const c of cases) {
      const before = server.stats.buffered;
      const res = await raw(url, { method: "POST", path: c.path, headers: { "content-type": c.type, "content-encoding": "gzip", "content-length": String(c.body.length) }, body: c.body });
      assertProblem(res, 413, "content-too-large");
      // The decoded bytes kept (in memory, or on disk) stop at the limit (the chunk that went past it is not kept).
      assert.ok(server.stats.buffered - before <= c.limit, `${c.path}: ${server.stats.buffered - before} bytes held`);
      assert.ok((server.stats.spooled ?? 0) <= c.limit, `${c.path}: ${server.stats.spooled} bytes written`);
    }
    assert.equal((await raw(url, { path: "/contacts?count=true" })).json().total, 0);
  } finally {
    await server.close();
    cleanup();
  }
});

test("ids in paths are canonical: /contacts/01 is no contact", async () => {
  await withServer(async (url) => {
    await postContact(url, { first_name: "Ann", last_name: "Lee", email: "ann@example.com" });
    assert.equal((await raw(url, { path: "/contacts/1" })).status, 200);
    // They reached contact 1, with its strong ETag, and took writes.
    for (const path of ["/contacts/01", "/contacts/0000000001"]) {
      assertProblem(await raw(url, { path }), 404, "not-found");
      assertProblem(await raw(url, { method: "DELETE", path }), 404, "not-found");
    }
    assert.equal((await raw(url, { path: "/contacts/1" })).status, 200);
  });
});

test("OPTIONS on a resource that takes PATCH names its types in Accept-Patch, and POST's in Accept-Post", async () => {
  await withServer(async (url) => {
    const one = await raw(url, { method: "OPTIONS", path: "/contacts/1" });
    assert.equal(one.status, 204);
    assert.match(String(one.headers.allow), /PATCH/);
    assert.equal(one.headers["accept-patch"], "application/merge-patch+json, application/json");
    const list = await raw(url, { method: "OPTIONS", path: "/contacts" });
    assert.equal(list.headers["accept-post"], "application/json");
    assert.equal(list.headers["accept-patch"], undefined);
  });
});

test("a 304 carries the Vary its 200 would: a CSV list's says Accept alone", async () => {
  await withServer(async (url) => {
    await postContact(url, { first_name: "Ann", last_name: "Lee", email: "ann@example.com" });
    const path = "/contacts?limit=1&format=csv";
    const full = await raw(url, { path, headers: { "accept-encoding": "gzip" } });
    assert.equal(full.status, 200);
    // On PostgreSQL the list has no ETag: If-None-Match: * is its 304.
    const unchanged = await raw(url, { path, headers: { "accept-encoding": "gzip", "if-none-match": String(full.headers.etag ?? "*") } });
    assert.equal(unchanged.status, 304);
    // Was Accept, Accept-Encoding: the streamed CSV is never compressed.
    assert.equal(unchanged.headers.vary, full.headers.vary);
  });
});

test("each content coding of a representation has its own strong ETag, and preconditions take any of them", async (t) => {
  await withServer(async (url) => {
    // Over 1 KiB of JSON, so its answers are compressed.
    const big = { first_name: "Big", last_name: "Body", email: "big@example.com", address: "a".repeat(200), company_name: "c".repeat(200), departments: Array.from({ length: 30 }, (_, i) => `Department number ${i} with a long name`) };
    const id = (await postContact(url, big)).json().id;
    const get = (coding: string, headers: Record<string, string> = {}) => raw(url, { path: `/contacts/${id}`, headers: { "accept-encoding": coding, ...headers } });
    const tags: Record<string, string> = {};
    await t.test("identity, gzip and br forms: \"1\", \"1-gzip\", \"1-br\"", async () => {
      // All three were "1" (RFC 9110 8.8.3.3: the strong tags of coded forms must differ).
      for (const coding of ["identity", "gzip", "br"]) {
        const res = await get(coding);
        assert.equal(res.headers["content-encoding"], coding === "identity" ? undefined : coding);
        tags[coding] = String(res.headers.etag);
      }
      assert.deepEqual(tags, { identity: '"1"', gzip: '"1-gzip"', br: '"1-br"' });
  });
  await t.test("If-None-Match with any form's tag is a 304 carrying that tag", async () => {
    for (const coding of ["identity", "gzip", "br"]) {
      for (const tag of [tags[coding], `W/${tags[coding]}`]) {
        const res = await get(coding, { "if-none-match": tag });
        assert.equal(res.status, 304, `${coding} ${tag}`);
        assert.equal(res.headers.etag, tags[coding]);
      }
    }
    // A client holding the identity form that now takes br still holds the current version.
    assert.equal((await get("br", { "if-none-match": '"1"' })).status, 304);
    assert.equal((await get("br", { "if-none-match": '"1-deflate"' })).status, 200);
    assert.equal((await get("br", { "if-match": '"1-gzip"' })).status, 200);
  });
  await t.test("If-Match on PATCH, PUT and DELETE takes the tag of any coded form of the current version", async () => {
    // Clients copy the ETag they were given into If-Match: "1-br" must not be a 412 while the contact is at version 1.
    const patched = await raw(url, { method: "PATCH", path: `/contacts/${id}`, headers: { ...JSON_HEADERS, "accept-encoding": "gzip", "if-match": tags.br }, body: '{"city":"Lima"}' });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.headers.etag, '"2-gzip"');
    const put = await raw(url, { method: "PUT", path: `/contacts/${id}`, headers: { ...JSON_HEADERS, "if-match": '"2-gzip"' }, body: JSON.stringify(big) });
    assert.equal(put.status, 200, put.text);
    // A coded form of an older version is as stale as the version.
    for (const method of ["PATCH", "DELETE"]) {
      assertProblem(await raw(url, { method, path: `/contacts/${id}`, headers: { ...JSON_HEADERS, "if-match": '"2-br"' }, body: method === "DELETE" ? undefined : "{}" }), 412, "stale");
    }
    assertProblem(await raw(url, { method: "DELETE", path: `/contacts/${id}`, headers: { "if-none-match": '"3-br"' } }), 412, "stale");
    assert.equal((await raw(url, { method: "DELETE", path: `/contacts/${id}`, headers: { "if-match": '"3-br"' } })).status, 204);
  });
  });
});

test("a 422 lists the first 100 invalid fields and counts the rest; a member's name is cut as a value is", async () => {
  await withServer(async (url) => {
    const many: Record<string, unknown> = { first_name: "A" };
    for (let i = 0; i < 60_000; i++) many[`k${i}`] = 1;
    // Was a 3.4 MB answer listing 60,002 errors.
    const problem = assertProblem(await postContact(url, many), 422, "validation");
    assert.equal(problem.errors.length, 100);
    assert.equal(problem.errors_omitted, 60_002 - 100);
    assert.match(problem.detail, /60002 invalid fields/);
    // Was echoed whole (900 kB) in errors[].field, while values are cut at 60 characters.
    const long = "n".repeat(900_000);
    const named = assertProblem(await postContact(url, { first_name: "A", last_name: "B", email: "a@example.com", [long]: 1 }), 422, "validation");
    assert.equal(named.errors.length, 1);
    assert.ok(named.errors[0].field.length <= 60, named.errors[0].field.slice(0, 80));
    assert.ok(named.errors[0].field.startsWith("nnn"));
    assert.equal(named.errors_omitted, undefined);
  });
});

test("every answer says X-Content-Type-Options: nosniff: JSON, CSV (streamed, HEAD, 304), problems, /openapi.json, /metrics, the adapter's own refusals", async () => {
  await withServer(async (url) => {
    const created = await postContact(url, { first_name: "<b>Ns</b>", last_name: "Ff", email: "nosniff@example.com" });
    assert.equal(created.status, 201, created.text);
    const csv = await raw(url, { path: "/contacts?format=csv" });
    const answers: [string, RawResponse][] = [
      ["POST /contacts 201", created],
      ["GET /contacts", await raw(url, { path: "/contacts" })],
      ["GET /contacts gzip", await raw(url, { path: "/contacts", headers: { "accept-encoding": "gzip" } })],
      ["GET /contacts?format=csv", csv],
      ["HEAD /contacts?format=csv", await raw(url, { method: "HEAD", path: "/contacts?format=csv" })],
      ["GET /contacts?format=csv 304", await raw(url, { path: "/contacts?format=csv", headers: { "if-none-match": String(csv.headers.etag ?? "*") } })],
      ["GET /contacts/999999 404", await raw(url, { path: "/contacts/999999" })],
      ["GET /nowhere 404", await raw(url, { path: "/nowhere" })],
      ["POST /contacts 422", await postContact(url, { first_name: "", last_name: "", email: "not-an-email" })],
      ["GET /openapi.json", await raw(url, { path: "/openapi.json" })],
      ["GET /metrics", await raw(url, { path: "/metrics" })],
      ["OPTIONS /contacts", await raw(url, { method: "OPTIONS", path: "/contacts" })],
      ["GET / (the dashboard)", await raw(url, { path: "/" })],
      ["GET /docs", await raw(url, { path: "/docs" })],
    ];
    assert.equal(answers[3][1].status, 200);
    assert.equal(answers[5][1].status, 304);
    assert.equal(answers[6][1].status, 404);
    assert.equal(answers[8][1].status, 422, answers[8][1].text);
    for (const [what, res] of answers) assert.equal(res.headers["x-content-type-options"], "nosniff", `${what} (${res.status})`);
    // The adapter's own refusals: one it answers before any route (two Host headers), and what
    // node's parser refuses, which never reaches the adapter's listener and is written on the socket.
    for (const bytes of ["GET /contacts HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n", "GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n"]) {
      const refused = await rawSocket(url, bytes);
      assert.match(refused, /^HTTP\/1\.1 400 /, refused);
      assert.match(refused, /\r\nX-Content-Type-Options: nosniff\r\n/i, refused);
    }
  });
});

/** What the server answers `bytes` written on a socket of their own, until it closes it. */
async function rawSocket(url: string, bytes: string): Promise<string> {
  const target = new URL(url);
  const socket = connect(Number(target.port), target.hostname);
  const chunks: Buffer[] = [];
  socket.on("data", (d: Buffer) => chunks.push(d));
  socket.write(bytes);
  await new Promise<void>((resolve, reject) => {
    socket.once("close", () => resolve());
    socket.once("error", reject);
  });
  return Buffer.concat(chunks).toString("latin1");
}
