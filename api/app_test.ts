import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { publishSnapshot, raw, SMALL_GRAPH, tempDir, testServer } from "../scripts/testing/api_server.ts";
import { App } from "./app.ts";
import { API_ID } from "../etl/handover/mod.ts";

test("static files: / and /web/* with content types, ETag revalidation and no way out of the folder", async () => {
  const { dir, cleanup } = tempDir();
  const web = join(dir, "web");
  mkdirSync(join(web, "sub"), { recursive: true });
  writeFileSync(join(web, "index.html"), "<!doctype html><title>x</title>");
  writeFileSync(join(web, "app.js"), "export {};");
  writeFileSync(join(web, "sub", "s.css"), "body{}");
  writeFileSync(join(dir, "secret.txt"), "top secret");
  const server = await testServer(dir, { webDir: web });
  try {
    const index = await raw(server.url, { path: "/" });
    assert.equal(index.status, 200);
    assert.match(String(index.headers["content-type"]), /^text\/html/);
    assert.equal(index.headers["cache-control"], "no-cache");
    assert.equal((await raw(server.url, { path: "/", headers: { "if-none-match": index.headers.etag as string } })).status, 304);
    assert.match(String((await raw(server.url, { path: "/web/app.js" })).headers["content-type"]), /^text\/javascript/);
    assert.match(String((await raw(server.url, { path: "/web/sub/s.css" })).headers["content-type"]), /^text\/css/);
    for (const path of ["/web/../secret.txt", "/web/..%2fsecret.txt", "/web/%2e%2e/secret.txt", "/web/sub/..%5c..%5csecret.txt", "/web/%00", "/web/nope.js", "/web/sub", "/web/"]) {
      const res = await raw(server.url, { path });
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.text, /top secret/);
    }
  } finally {
    await server.close();
    cleanup();
  }
});

test("/openapi.json is OpenAPI 3.1 covering every route, /docs is self-contained", async () => {
  const { dir, cleanup } = tempDir();
  const app = await App.open({ dataDir: dir });
  try {
    const doc = (await (await app.request("/openapi.json")).json()) as any;
    assert.equal(doc.openapi, "3.1.0");
    for (const path of ["/contacts", "/contacts/{id}", "/departments", "/imports/contacts", "/actors", "/actors/{id}", "/actors/{id}/relationships", "/relationships", "/relationships/path", "/matrix", "/findings", "/runs", "/runs/{id}", "/healthz", "/readyz"]) {
      assert.ok(doc.paths[path], `${path} documented`);
    }
    assert.deepEqual(Object.keys(doc.paths["/contacts/{id}"]).sort(), ["delete", "get", "patch", "put"]);
    assert.equal(doc.components.schemas.Contact.properties.email.format, "email");
    assert.ok(doc.paths["/contacts"].post.security);
    // Every documented error is a problem document; relationship routes document their 503.
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, { tags: string[]; responses: Record<string, { content?: object }> }>>)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, response] of Object.entries(op.responses)) {
          // Readiness answers its own report with the 503, not a problem document.
          if (Number(status) >= 400) assert.ok(response.content && ("application/problem+json" in response.content || path === "/readyz"), `${method} ${path} ${status}`);
        }
        if (op.tags[0] === "relationships") assert.ok(op.responses["503"], `${method} ${path} documents 503`);
        if ((op as { requestBody?: object }).requestBody) {
          for (const status of ["400", "413", "415"]) assert.ok(op.responses[status], `${method} ${path} documents ${status}`);
        }
      }
    }
    const docs = await app.request("/docs");
    assert.equal(docs.status, 200);
    const html = await docs.text();
    assert.match(html, /GET<\/span> <code>\/contacts\/\{id\}<\/code>/);
    assert.match(html, /id="problem-validation"/);
    // One script, from this origin; the CSP allows no other (and nothing inline).
    assert.deepEqual([...html.matchAll(/<script[^>]*>/g)].map((m) => m[0]), ['<script type="module" src="/web/docs_try.js">']);
    assert.doesNotMatch(html, /<link[^>]+href="http|src="http/);
    assert.match(docs.headers.get("content-security-policy") ?? "", /script-src 'self';/);
    assert.doesNotMatch(docs.headers.get("content-security-policy") ?? "", /script-src[^;]*unsafe/);
    assert.match(html, /<form class="try-form" data-method="POST" data-path="\/contacts">/);
  } finally {
    await app.close();
    cleanup();
  }
});

test("App.handle() is a web-standard handler: OPTIONS, HEAD, request ids, opaque 500", async () => {
  const { dir, cleanup } = tempDir();
  const errors: unknown[] = [];
  const app = await App.open({ dataDir: dir, logError: (_m, e) => errors.push(e) });
  try {
    const options = await app.request("/contacts/", { method: "OPTIONS" });
    assert.equal(options.status, 204);
    assert.equal(options.headers.get("allow"), "GET, HEAD, POST, OPTIONS");
    // The 405 for another method lists OPTIONS too (it omitted it, unlike the OPTIONS answer).
    const refused = await app.request("/contacts/", { method: "PATCH" });
    assert.equal(refused.status, 405);
    assert.equal(refused.headers.get("allow"), "GET, HEAD, POST, OPTIONS");
    // RFC 9457 instance: the problem names the request it answers (the README's problem shape).
    assert.deepEqual(await refused.json(), {
      type: "/docs#problem-method-not-allowed",
      title: "Method Not Allowed",
      status: 405,
      detail: "PATCH is not allowed on '/contacts/'; use GET, HEAD, POST, OPTIONS",
      instance: "/contacts/",
    });
    const missing = await app.request("/contacts/999");
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { instance?: string }).instance, "/contacts/999");
    const health = await app.request("/healthz");
    const healthBody = (await health.json()) as { status: string; api_id: string };
    assert.equal(healthBody.status, "ok");
    assert.equal(healthBody.api_id, API_ID, "the id api.json carries");
    app.router.add("GET", "/boom", async () => {
      throw new Error("password=hunter2 at /srv/secret");
    });
    const boom = await app.handle(new Request("http://x/boom"), { requestId: "r3" });
    assert.equal(boom.status, 500);
    const text = await boom.text();
    assert.doesNotMatch(text, /hunter2|srv/);
    assert.match(text, /r3/);
    assert.equal(errors.length, 1);
  } finally {
    await app.close();
    cleanup();
  }
});

test("the request log has one JSON line per request with id, method, path, status and duration", async () => {
  const { dir, cleanup } = tempDir();
  const lines: string[] = [];
  const server = await testServer(dir, { log: (line) => lines.push(line) });
  try {
    await raw(server.url, { path: "/contacts/7?q=private", headers: { "x-request-id": "trace-42" } });
    await new Promise((r) => setTimeout(r, 50));
    const entry = JSON.parse(lines[0]);
    assert.deepEqual([entry.id, entry.method, entry.path, entry.status], ["trace-42", "GET", "/contacts/7", 404]);
    assert.equal(typeof entry.duration_ms, "number");
    assert.doesNotMatch(lines[0], /private/, "query strings (search terms) are not logged");
  } finally {
    await server.close();
    cleanup();
  }
});

test("the API refuses bodies it would misread: not UTF-8 (400), another charset (415), control characters (422 naming the field)", async (t) => {
  const { dir, cleanup } = tempDir();
  const app = await App.open({ dataDir: dir });
  const post = (body: string | Uint8Array, type = "application/json") => app.request("/contacts", { method: "POST", headers: { "content-type": type }, body });
  const ann = { first_name: "Ann", last_name: "Lee", email: "ann@example.com" };
  try {
    await t.test("Latin-1 bytes: 400 invalid-utf8, nothing stored", async () => {
      const res = await post(Buffer.from(JSON.stringify({ ...ann, first_name: "José" }), "latin1"));
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { type: string }).type, "/docs#problem-invalid-utf8");
    });
    await t.test("charset=iso-8859-1: 415 unsupported-charset", async () => {
      const res = await post(JSON.stringify(ann), "application/json; charset=iso-8859-1");
      assert.equal(res.status, 415);
      assert.equal(((await res.json()) as { type: string }).type, "/docs#problem-unsupported-charset");
    });
    await t.test("\\u0000 in a name: 422 naming first_name", async () => {
      const res = await post(JSON.stringify({ ...ann, first_name: "Ann\u0000" }));
      assert.equal(res.status, 422);
      assert.deepEqual(((await res.json()) as { errors: { field: string }[] }).errors.map((e: { field: string }) => e.field), ["first_name"]);
    });
    await t.test("half of a surrogate pair escaped in JSON (\\ud800): 422 naming first_name, not stored as U+FFFD", async () => {
      const res = await post('{"first_name":"\\ud800","last_name":"Lee","email":"sur@example.com"}');
      assert.equal(res.status, 422);
      assert.deepEqual(((await res.json()) as { errors: { field: string }[] }).errors.map((e: { field: string }) => e.field), ["first_name"]);
    });
    await t.test("a CSV import rejects the row, naming the field", async () => {
      const csv = "first_name,last_name,city,email\r\nAnn,Lee,\"Bo\u001b]0;x\u0007ston\",ann@example.com\r\nBob,Ray,Austin,bob@example.com\r\n";
      const res = await app.request("/imports/contacts", { method: "POST", headers: { "content-type": "text/csv" }, body: csv });
      assert.equal(res.status, 200);
      const summary = (await res.json()) as { rejected: number; rejects: { field: string; line: number }[] };
      assert.equal(summary.rejected, 1);
      assert.deepEqual(summary.rejects.map((r) => [r.line, r.field]), [[2, "city"]]);
    });
    assert.equal(((await (await app.request("/contacts?count=true")).json()) as { total: number }).total, 1, "only Bob was stored");
  } finally {
    await app.close();
    cleanup();
  }
});

// Accept-Post and Accept-Patch each name the body types of their own method on the resource (RFC
// 5789 3.1; the Accept-Post registration). Every 415 sent both with one list: a PUT refused for
// merge-patch+json said `accept-patch: application/json`, which PATCH there does not limit itself to.
test("a 415 names what the request's own method takes there: Accept-Post on POST, Accept-Patch on PATCH, neither on PUT", async () => {
  const { dir, cleanup } = tempDir();
  const app = await App.open({ dataDir: dir });
  try {
    const refused = async (method: string, path: string, type: string) => {
      const res = await app.request(path, { method, headers: { "content-type": type }, body: "{}" });
      assert.equal(res.status, 415, `${method} ${path}`);
      return { post: res.headers.get("accept-post"), patch: res.headers.get("accept-patch") };
    };
    assert.deepEqual(await refused("PUT", "/contacts/1", "application/merge-patch+json"), { post: null, patch: null });
    assert.deepEqual(await refused("PATCH", "/contacts/1", "text/plain"), { post: null, patch: "application/merge-patch+json, application/json" });
    assert.deepEqual(await refused("PATCH", "/contacts/1", "application/json; charset=iso-8859-1"), { post: null, patch: "application/merge-patch+json, application/json" });
    assert.deepEqual(await refused("POST", "/contacts", "text/plain"), { post: "application/json", patch: null });
    assert.deepEqual(await refused("POST", "/imports/contacts", "text/plain"), { post: "application/json, text/csv, application/csv", patch: null });
  } finally {
    await app.close();
    cleanup();
  }
});

// A query string's broken percent-encoding was decoded to U+FFFD and used (a search for '\uFFFD'),
// where the same bytes in the path are a 400: now a 400 naming the parameter, on every route that
// reads its query (a route that takes none still ignores it).
test("broken percent-encoding in the query string is a 400 bad-parameter naming the parameter, as in the path", async () => {
  const { dir, cleanup } = tempDir();
  const app = await App.open({ dataDir: dir });
  try {
    for (const [path, name] of [["/contacts?q=%ff", "q"], ["/contacts?limit=5&q=%E2%82", "q"], ["/contacts?state=%ff", "state"], ["/contacts?q=100%", "q"], ["/actors?q=%ff", "q"], ["/runs?kind=%C0%AF", "kind"]]) {
      const res = await app.request(path);
      assert.equal(res.status, 400, path);
      const problem = (await res.json()) as { type: string; detail: string };
      assert.equal(problem.type, "/docs#problem-bad-parameter", path);
      assert.match(problem.detail, new RegExp(`^Query parameter '${name}' is not valid percent-encoding`), path);
    }
    for (const path of ["/contacts?q=%E2%82%AC", "/contacts?q=a+b&state=NY", "/healthz?x=%ff"]) assert.equal((await app.request(path)).status, 200, path);
  } finally {
    await app.close();
    cleanup();
  }
});

// An empty value was read three ways: `?q=` and `?limit=` as absent, `?sort=` on /actors,
// `?offset=` on /matrix, `?format=` anywhere and `?count=` on /contacts as a 400, `?cursor=` as a
// broken cursor. One rule now (api/README.md, Conventions): an empty value is the parameter left
// out. The requests come from /openapi.json, so a parameter added later is covered without a line here.
test("an empty query value answers as the parameter left out, on every GET that takes query parameters", async (t) => {
  const { dir, cleanup } = tempDir();
  await publishSnapshot(dir, SMALL_GRAPH);
  const app = await App.open({ dataDir: dir });
  try {
    await app.snapshot.check();
    assert.equal(app.snapshot.current()?.model.versionId, 1);
    for (const [first, last] of [["Ana", "Peña"], ["Bruno", "Díaz"]]) {
      const res = await app.request("/contacts", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ first_name: first, last_name: last, email: `${first}@example.org` }) });
      assert.equal(res.status, 201, await res.text());
    }
    const doc = (await (await app.request("/openapi.json")).json()) as { paths: Record<string, Record<string, { parameters?: { name: string; in: string; required?: boolean }[] }>> };
    // Whatever the answer, status, type and body are the same; a problem document's `instance` names the request.
    const answer = async (path: string) => {
      const res = await app.request(path);
      const text = await res.text();
      const body = res.headers.get("content-type")?.startsWith("application/problem+json") ? { ...JSON.parse(text), instance: undefined } : text;
      return { status: res.status, type: res.headers.get("content-type"), body };
    };
    let checked = 0;
    for (const [template, item] of Object.entries(doc.paths)) {
      const query = (item.get?.parameters ?? []).filter((p) => p.in === "query");
      if (query.length === 0) continue;
      await t.test(`GET ${template}`, async () => {
        // Path parameters and required ones name actor 3 (an actor, a contact and a run alike may be missing: a 404 compares as well).
        const path = template.replace(/\{[^}]+\}/g, "3");
        const required = query.filter((p) => p.required).map((p) => `${p.name}=3`);
        for (const param of query) {
          const others = required.filter((r) => !r.startsWith(`${param.name}=`));
          const withEmpty = `${path}?${[...others, `${param.name}=`].join("&")}`;
          const without = others.length === 0 ? path : `${path}?${others.join("&")}`;
          assert.deepEqual(await answer(withEmpty), await answer(without), `GET ${withEmpty} answers as GET ${without}`);
          checked++;
        }
      });
    }
    assert.ok(checked >= 30, `${checked} parameters checked`);
  } finally {
    await app.close();
    cleanup();
  }
});

test("/readyz answers 503 with Retry-After (as the database-unavailable 503 does) while the contacts database is not open, and documents it", async () => {
  const { dir, cleanup } = tempDir();
  const app = await App.open({ dataDir: dir });
  try {
    const ready = await app.request("/readyz");
    assert.equal(ready.status, 200);
    assert.equal(ready.headers.get("retry-after"), null, "a ready answer asks for no retry");
    // A store that closed (shutting down, or stopped after a fatal error) is one that is not open.
    await app.contacts.close();
    const notReady = await app.request("/readyz");
    assert.equal(notReady.status, 503);
    assert.equal(((await notReady.json()) as { status: string }).status, "not-ready");
    assert.equal(notReady.headers.get("retry-after"), "5");
    const doc = (await (await app.request("/openapi.json")).json()) as any;
    assert.ok(doc.paths["/readyz"].get.responses["503"].headers["Retry-After"], "the 503's Retry-After is documented");
  } finally {
    await app.close();
    cleanup();
  }
});
