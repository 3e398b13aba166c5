import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { mulberry32 } from "../scripts/testing/random.ts";
import { publishSnapshot, raw, SMALL_GRAPH, tempDir, testServer } from "../scripts/testing/api_server.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);

test(`1,000 malformed requests get no 5xx and the server stays up (seed ${SEED})`, async () => {
  const { dir, cleanup } = tempDir();
  await publishSnapshot(dir, SMALL_GRAPH);
  const server = await testServer(dir);
  // Seeded, so a failure can be replayed with FUZZ_SEED.
  const random = mulberry32(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const junk = (n: number) => Array.from({ length: n }, () => String.fromCharCode(1 + Math.floor(random() * 0x2fff))).join("");
  const sqlish = ["' OR 1=1 --", "1; DROP TABLE contacts", "\" UNION SELECT * FROM schema_migrations --", "%27%3B%20DELETE%20FROM%20contacts", "$1", "?", "NULL", "1e999", "-0", "0x10", "../../etc/passwd"];
  const segments = ["contacts", "actors", "relationships", "path", "matrix", "findings", "runs", "departments", "imports", "web", "docs", "openapi.json", "healthz", "readyz", "..", ".", "%2e%2e", "%00", "%ff", "%E0%A4%A", "1", "-1", "99999999999", "2147483648", "ñ", "%F0%9F%92%A9", "a b", ...sqlish.map(encodeURIComponent)];
  const queryKeys = ["limit", "cursor", "sort", "q", "state", "city", "department", "company", "count", "format", "actor", "from", "to", "offset", "kind", "status", "x"];
  const queryValues = ["", "0", "-5", "1001", "abc", "true", "csv", "json", "-name", "degree", "NaN", "1.5", "WyJpZCIsMSwxXQ", "W10", "%%", "%zz", ...sqlish];
  const contentTypes = ["application/json", "application/merge-patch+json", "text/csv", "text/plain", "application/json; charset=latin1", "multipart/form-data; boundary=x", "", "application/x-www-form-urlencoded", "*/*"];
  const bodies = [
    () => "",
    () => "{",
    () => "null",
    () => "[]",
    () => '"just a string"',
    () => "1",
    () => JSON.stringify({ first_name: junk(5), last_name: pick(sqlish), email: pick(sqlish), departments: [pick(sqlish), 7, null] }),
    () => JSON.stringify({ first_name: "A", last_name: "B", email: `${Math.floor(random() * 1e6)}@example.com`, state: pick(["ny", "XXX", "", null]) }),
    () => JSON.stringify({ id: pick(sqlish), version: 9, created_at: "x", __proto__: { admin: true } }),
    () => JSON.stringify({ departments: "Sales", first_name: { nested: true } }),
    () => "[".repeat(5000) + "]".repeat(5000),
    () => junk(200),
    () => "first_name,last_name\n" + junk(50),
    () => Buffer.from(Array.from({ length: 64 }, () => Math.floor(random() * 256))).toString("latin1"),
  ];
  const methods = ["GET", "GET", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PURGE"];

  try {
    // A few real contacts so writes sometimes hit existing ids.
    for (let i = 1; i <= 3; i++) {
      await raw(server.url, { method: "POST", path: "/contacts", headers: { "content-type": "application/json" }, body: JSON.stringify({ first_name: "F", last_name: `L${i}`, email: `seed${i}@example.com` }) });
    }
    const failures: string[] = [];
    for (let batch = 0; batch < 100; batch++) {
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const depth = 1 + Math.floor(random() * 4);
          let path = "/" + Array.from({ length: depth }, () => pick(segments)).join("/");
          if (random() < 0.15) path = pick(["/contacts/", "/actors/", "/web/", "/runs/", "/actors/1/"]) + pick(segments);
          if (random() < 0.1) path += "/".repeat(1 + Math.floor(random() * 3));
          if (random() < 0.6) {
            const n = 1 + Math.floor(random() * 4);
            path += "?" + Array.from({ length: n }, () => `${pick(queryKeys)}=${encodeURIComponent(pick(queryValues))}`).join("&");
            if (random() < 0.2) path += "&&=&" + pick(["%", "%%41", "a=b=c", "=x"]);
          }
          const method = pick(methods);
          const headers: Record<string, string> = {};
          const type = pick(contentTypes);
          if (type !== "") headers["content-type"] = type;
          if (random() < 0.3) headers["if-match"] = pick(['"1"', "*", 'W/"1"', "junk", '"99999999999999"', '"', ""]);
          if (random() < 0.3) headers["if-none-match"] = pick(['"1"', "*", "W/\"g1\"", ",,,", ""]);
          if (random() < 0.2) headers["idempotency-key"] = pick(["k", "x".repeat(300), "sp ace", "ñ".normalize("NFD").replace(/[^\x20-\x7e]/g, "?")]);
          if (random() < 0.2) headers.accept = pick(["text/csv", "text/csv;q=0", "application/json;q=abc", "*/*", "image/png", "text/csv, application/json;q=0.9"]);
          if (random() < 0.1) headers.authorization = pick(["Bearer", "Bearer x y", "Basic Zm9vOmJhcg==", "Bearer " + "a".repeat(1000)]);
          if (random() < 0.05) headers["x-request-id"] = pick(["../../x", "a".repeat(100), "ok-1"]);
          const body = method === "GET" || method === "HEAD" ? (random() < 0.1 ? "ignored" : undefined) : pick(bodies)();
          try {
            const res = await raw(server.url, { method, path, headers, body });
            if (res.status >= 500) failures.push(`${method} ${path} -> ${res.status} ${res.text.slice(0, 200)}`);
            if (res.status >= 400 && method !== "HEAD" && !/problem\+json/.test(String(res.headers["content-type"]))) {
              failures.push(`${method} ${path} -> ${res.status} without problem+json`);
            }
          } catch (error) {
            // Client-side refusals (invalid header characters) are not server failures.
            if (!/Invalid character|ERR_INVALID|ERR_UNESCAPED/.test(String((error as Error).message) + String((error as NodeJS.ErrnoException).code))) {
              failures.push(`${method} ${path} -> ${(error as Error).message}`);
            }
          }
        }),
      );
    }
    // Raw malformed HTTP that no client library would send.
    for (const text of ["GARBAGE\r\n\r\n", "GET /contacts HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", "GET http://evil/contacts HTTP/1.1\r\nHost: a\r\n\r\n"]) {
      const answer = await new Promise<string>((resolve) => {
        const { port } = new URL(server.url);
        const socket = connect(Number(port), "127.0.0.1");
        let out = "";
        socket.on("data", (d) => {
          out += d;
          socket.end();
        });
        socket.on("close", () => resolve(out));
        socket.on("error", () => resolve(out));
        socket.write(text);
      });
      assert.match(answer, /^HTTP\/1\.1 4\d\d/, JSON.stringify(text));
    }
    assert.deepEqual(failures, []);
    assert.equal((await raw(server.url, { path: "/healthz" })).status, 200);
    const list = (await raw(server.url, { path: "/contacts?count=true" })).json();
    assert.ok(list.total >= 3, "the seeded contacts are still there");
  } finally {
    await server.close();
    cleanup();
  }
});
