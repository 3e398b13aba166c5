// What /openapi.json says a route refuses, the route refuses, and what a route answers, the document
// lists. A review found each of these on the code before: POST /contacts took `departments: null`
// (ContactCreate says array), /changes took version=0 (`minimum: 1`), /relationships/subgraph
// dropped include actors past 20 without a word, /actors/{id} documented a 400 for a `format` it does
// not take, two routes answered an undocumented 400 for a bad `format`, /contacts ignored a bad
// `count` with CSV, every list but /contacts ignored unknown query parameters, and POST
// /imports/contacts documented its JSON body as a string.
import { test } from "node:test";
import assert from "node:assert/strict";
import { postContact, publishSnapshot, raw, SMALL_GRAPH, tempDir, testServer, type RawResponse } from "../../scripts/testing/api_server.ts";
import { validate } from "../../scripts/testing/json_schema_validator.ts";
import { onPostgres } from "../../scripts/testing/backends.ts";

type Schema = Record<string, unknown>;
interface Operation {
  parameters: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; headers?: Record<string, object>; content?: Record<string, { schema: Schema }> }>;
}

const JSON_HEADERS = { "content-type": "application/json" };
const ann = { first_name: "Ann", last_name: "Lee", email: "ann@example.com", departments: ["Sales"] };

test("the routes refuse what /openapi.json refuses, and document every refusal they answer", async (t) => {
  const { dir, cleanup } = tempDir();
  await publishSnapshot(dir, SMALL_GRAPH);
  const server = await testServer(dir);
  try {
    const doc = (await raw(server.url, { path: "/openapi.json" })).json() as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
    const components = doc.components.schemas;
    const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, path, op })));
    const queryNames = (op: Operation) => op.parameters.filter((p) => p.in === "query").map((p) => p.name);

    /** `res` is a `status` problem that the document lists for `method template`, in the shape it gives. */
    const assertDocumented = (res: RawResponse, status: number, method: string, template: string) => {
      assert.equal(res.status, status, res.text);
      const response = doc.paths[template][method.toLowerCase()].responses[String(status)];
      assert.ok(response, `${method} ${template} documents no ${status}`);
      assert.deepEqual(validate(response.content!["application/problem+json"].schema, res.json(), components), []);
    };

    /** `res` is the 400 `code` of `method template`, documented, its description naming the code. */
    const assertBadRequest = (res: RawResponse, code: string, method: string, template: string) => {
      assert.equal(res.json().type, `/docs#problem-${code}`, `${method} ${template}: ${res.text}`);
      assertDocumented(res, 400, method, template);
      assert.match(doc.paths[template][method.toLowerCase()].responses["400"].description, new RegExp(`\`${code}\``), `${method} ${template}`);
    };

    await t.test("POST and PUT /contacts refuse `departments: null` as their schemas do (422 naming the field); PATCH clears with it", async () => {
      for (const name of ["ContactCreate", "ContactReplace"]) assert.notDeepEqual(validate(components[name], { ...ann, departments: null }, components), [], name);
      assert.deepEqual(validate(components.ContactPatch, { departments: null }, components), []);
      const refused = await postContact(server.url, { ...ann, departments: null });
      assertDocumented(refused, 422, "POST", "/contacts");
      assert.deepEqual(refused.json().errors.map((e: { field: string }) => e.field), ["departments"]);
      const created = await postContact(server.url, ann);
      assert.equal(created.status, 201, created.text);
      const path = `/contacts/${created.json().id}`;
      const replaced = await raw(server.url, { method: "PUT", path, headers: JSON_HEADERS, body: JSON.stringify({ ...ann, departments: null }) });
      assertDocumented(replaced, 422, "PUT", "/contacts/{id}");
      assert.deepEqual(replaced.json().errors.map((e: { field: string }) => e.field), ["departments"]);
      const patched = await raw(server.url, { method: "PATCH", path, headers: { "content-type": "application/merge-patch+json" }, body: '{"departments":null}' });
      assert.equal(patched.status, 200, patched.text);
      assert.deepEqual(patched.json().departments, []);
    });

    await t.test("a contact read with GET is a body ContactReplace and ContactPatch take, as PUT and PATCH do", async () => {
      // Before, both schemas had no id, created_at or updated_at and no additional properties, so a
      // client that checked its body against them refused to send back what GET returned, which
      // the routes accept (their descriptions say so): the document refused more than the server.
      const created = await postContact(server.url, { ...ann, email: "echo@example.com" });
      assert.equal(created.status, 201, created.text);
      const path = `/contacts/${created.json().id}`;
      const read = (await raw(server.url, { path })).json();
      for (const name of ["ContactReplace", "ContactPatch"]) {
        assert.deepEqual(validate(components[name], read, components), [], name);
        assert.notDeepEqual(validate(components[name], { ...read, id: "7" }, components), [], `${name}: an id is an integer`);
      }
      assert.notDeepEqual(validate(components.ContactCreate, read, components), [], "POST takes no server field");
      assert.equal((await raw(server.url, { method: "PUT", path, headers: JSON_HEADERS, body: JSON.stringify(read) })).status, 200);
      const patched = await raw(server.url, { method: "PATCH", path, headers: JSON_HEADERS, body: JSON.stringify({ ...(await raw(server.url, { path })).json(), city: "Lima" }) });
      assert.equal(patched.status, 200, patched.text);
      assertDocumented(await raw(server.url, { method: "PUT", path, headers: JSON_HEADERS, body: JSON.stringify({ ...read, id: 999 }) }), 422, "PUT", "/contacts/{id}");
    });

    await t.test("every `sort` lists its values in `enum`, each of them taken, and a value outside it is a 400", async () => {
      // GET /contacts named its sorts in the description only: a client (or the docs page) could not list them.
      const sorted = operations.filter(({ op }) => op.parameters.some((p) => p.name === "sort"));
      assert.ok(sorted.some(({ name }) => name === "GET /contacts"));
      for (const { name, path, op } of sorted) {
        const values = (op.parameters.find((p) => p.name === "sort") as unknown as { schema: { enum?: string[] } }).schema.enum;
        assert.ok(Array.isArray(values) && values.length > 0, `${name}: sort has no enum`);
        for (const value of values) assert.equal((await raw(server.url, { path: `${path}?sort=${encodeURIComponent(value)}` })).status, 200, `${name}?sort=${value}`);
        if (name === "GET /contacts") {
          assert.ok(values.includes("-email") && values.includes("created_at"), values.join());
          const refused = await raw(server.url, { path: `${path}?sort=phone1` });
          assert.equal(refused.json().type, "/docs#problem-bad-parameter", refused.text);
          assertDocumented(refused, 400, "GET", path);
        }
      }
    });

    await t.test("a GET or DELETE sent with a body over 1 MiB is answered as without it (the body is not read), not an undocumented 413", async () => {
      // Such a body was read (held in memory, up to the JSON limit) for nothing, and over 1 MiB was a
      // 413 no GET or DELETE documents.
      const body = Buffer.alloc(2 * 1024 * 1024, 0x20);
      const withBody = (method: string, path: string) => raw(server.url, { method, path, headers: { "content-type": "application/json", "content-length": String(body.length) }, body });
      const created = await postContact(server.url, { ...ann, email: "bodied@example.com" });
      assert.equal(created.status, 201, created.text);
      const path = `/contacts/${created.json().id}`;
      for (const [method, template, at, status] of [
        ["GET", "/contacts", "/contacts", 200],
        ["GET", "/contacts/{id}", path, 200],
        ["DELETE", "/contacts/{id}", path, 204],
        ["GET", "/contacts/{id}", path, 404],
      ] as const) {
        const res = await withBody(method, at);
        assert.equal(res.status, status, `${method} ${at}: ${res.text}`);
        assert.ok(doc.paths[template][method.toLowerCase()].responses[String(status)], `${method} ${template} documents its ${status}`);
      }
    });

    await t.test("GET /changes?version=0 is a 400, as `minimum: 1` says", async () => {
      const version = doc.paths["/changes"].get.parameters.find((p) => p.name === "version") as { schema: { minimum: number } } | undefined;
      assert.equal(version?.schema.minimum, 1);
      assertDocumented(await raw(server.url, { path: "/changes?version=0" }), 400, "GET", "/changes");
      assert.equal((await raw(server.url, { path: "/changes?version=1" })).status, 200);
    });

    await t.test("GET /relationships/subgraph refuses more include actors than the documented 20, naming the limit", async () => {
      const include = doc.paths["/relationships/subgraph"].get.parameters.find((p) => p.name === "include") as { description: string } | undefined;
      assert.match(include?.description ?? "", /at most 20\b/);
      const ids = (n: number) => Array.from({ length: n }, (_, i) => (i % 5) + 1).join(",");
      const refused = await raw(server.url, { path: `/relationships/subgraph?include=${ids(25)}` });
      assertDocumented(refused, 400, "GET", "/relationships/subgraph");
      assert.match(refused.json().detail, /at most 20 actors; got 25/);
      assert.equal((await raw(server.url, { path: `/relationships/subgraph?include=${ids(20)}` })).status, 200);
    });

    await t.test("a route documents a 400 about `format` only when it takes `format`: GET /actors/{id} takes none", async () => {
      for (const { name, op } of operations) {
        const about = Object.values(op.responses).some((r) => /`format`/.test(r.description));
        if (about) assert.ok(queryNames(op).includes("format"), `${name} documents a 400 for a format it does not take`);
      }
      // Its one 400 is the router's, for a path segment that is not percent-encoding.
      assert.doesNotMatch(doc.paths["/actors/{id}"].get.responses["400"].description, /format/);
      assert.equal((await raw(server.url, { path: "/actors/1?format=xml" })).status, 200, "a route without query parameters ignores its query string");
    });

    await t.test("a `format` neither json nor csv is a documented 400 on GET /actors/{id}/relationships and /departments", async () => {
      assertDocumented(await raw(server.url, { path: "/actors/1/relationships?format=xml" }), 400, "GET", "/actors/{id}/relationships");
      assertDocumented(await raw(server.url, { path: "/departments?format=xml" }), 400, "GET", "/departments");
      // A query parameter can always be unknown or out of range: every route that takes one documents its 400.
      for (const { name, op } of operations) if (queryNames(op).length > 0) assert.ok(op.responses["400"], `${name} documents no 400`);
    });

    await t.test("GET /contacts?format=csv&count=yes is a 400, as with JSON", async () => {
      assertDocumented(await raw(server.url, { path: "/contacts?count=yes" }), 400, "GET", "/contacts");
      assertDocumented(await raw(server.url, { path: "/contacts?format=csv&count=yes" }), 400, "GET", "/contacts");
      const csv = await raw(server.url, { path: "/contacts?format=csv&count=true" });
      assert.equal(csv.status, 200);
      assert.match(String(csv.headers["content-type"]), /^text\/csv/);
    });

    await t.test("every route that takes query parameters refuses an unknown one, as /contacts does", async () => {
      const examples = ["/departments?cursor=abc", "/runs?page=2", "/versions?sort=id", "/actors?limt=5", "/relationships?actors=1", "/contacts?stat=NY"];
      const everyRoute = operations
        .filter(({ name, op }) => name.startsWith("GET ") && queryNames(op).length > 0)
        .map(({ path }) => `${path.replaceAll(/\{\w+\}/g, "1")}?bogus=1`);
      for (const path of [...examples, ...everyRoute]) {
        const res = await raw(server.url, { path });
        const template = operations.find((o) => o.name.startsWith("GET ") && new RegExp(`^${o.path.replaceAll(/\{\w+\}/g, "[^/]+")}$`).test(path.split("?")[0]))!.path;
        assertDocumented(res, 400, "GET", template);
        assert.equal(res.json().type, "/docs#problem-bad-parameter");
        assert.match(res.json().detail, /^Unknown query parameter '(cursor|page|sort|limt|actors|stat|bogus)'; use /, path);
      }
      // The names they do take still pass, as the dashboard sends them.
      for (const path of ["/runs?kind=relationships&limit=60", "/versions?limit=1", "/actors?q=ana&sort=degree&limit=20", "/departments", "/relationships?actor=1&limit=5"]) {
        assert.equal((await raw(server.url, { path })).status, 200, path);
      }
    });

    // Before, every relationships and history route read the first of two values and dropped the
    // second without a word, where /runs and the contacts lists answered this 400.
    await t.test("every route that takes query parameters refuses one given twice, naming it, as /runs does", async () => {
      const examples = [
        "/changes?version=3&version=4",
        "/findings?format=csv&format=json",
        "/actors?limit=2&limit=3",
        "/relationships?actor=1&actor=2",
        "/relationships/path?from=1&to=3&to=4",
        "/relationships/subgraph?around=1&around=2",
        "/matrix?offset=0&offset=1",
        "/versions?limit=1&limit=1",
        "/runs?limit=1&limit=2",
      ];
      const everyRoute = operations
        .filter(({ name, op }) => name.startsWith("GET ") && queryNames(op).length > 0)
        .map(({ path, op }) => `${path.replaceAll(/\{\w+\}/g, "1")}?${queryNames(op)[0]}=1&${queryNames(op)[0]}=1`);
      for (const path of [...examples, ...everyRoute]) {
        const res = await raw(server.url, { path });
        const template = operations.find((o) => o.name.startsWith("GET ") && new RegExp(`^${o.path.replaceAll(/\{\w+\}/g, "[^/]+")}$`).test(path.split("?")[0]))!.path;
        assertDocumented(res, 400, "GET", template);
        assert.equal(res.json().type, "/docs#problem-bad-parameter", path);
        const name = path.split("?")[1].split("&").at(-1)!.split("=")[0];
        assert.equal(res.json().detail, `Query parameter '${name}' is given more than once; give it once`, path);
      }
    });

    // Before, /metrics, /, /web/dashboard.js and /web/{path} documented their 200 with no media type.
    await t.test("every 2xx with a body documents its media types, and a GET's answer has one of them", async () => {
      for (const { name, path, op } of operations) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (status.startsWith("2") && status !== "204") assert.ok(response.content, `${name} documents no media type for its ${status}`);
        }
        if (!name.startsWith("GET ")) continue;
        const res = await raw(server.url, { path: path.replace("{path}", "app.js").replaceAll(/\{\w+\}/g, "1") });
        if (res.status < 200 || res.status > 299) continue; // an {id} that names nothing, a required parameter missing
        const type = String(res.headers["content-type"]).split(";")[0];
        const documented = Object.keys(op.responses[String(res.status)].content ?? {}).map((key) => key.split(";")[0].trim());
        assert.ok(documented.includes(type), `${name} answered ${type}; it documents ${documented.join(", ")}`);
      }
    });

    // Before, no operation listed them, though any request can meet them before its route runs.
    await t.test("every operation documents what the server answers before its route runs: 405 with Allow, 414, 421, 431, 501", async () => {
      const refusals = {
        405: await raw(server.url, { method: "PATCH", path: "/contacts" }),
        414: await raw(server.url, { path: `/contacts?q=${"a".repeat(20_000)}` }),
        421: await raw(server.url, { path: "/contacts", headers: { host: "evil.example" } }),
        431: await raw(server.url, { path: "/contacts", headers: { "x-big": "x".repeat(20_000) } }),
        501: await raw(server.url, { method: "FOO", path: "/contacts" }),
      };
      for (const { name, op } of operations) {
        for (const [status, res] of Object.entries(refusals)) {
          assert.equal(res.status, Number(status), res.text);
          const response = op.responses[status];
          assert.ok(response, `${name} documents no ${status}`);
          assert.deepEqual(validate(response.content!["application/problem+json"].schema, res.json(), components), [], `${name} ${status}`);
        }
        assert.ok(op.responses["405"].headers?.Allow, `${name}: its 405 documents no Allow`);
      }
    });

    await t.test("every operation with a path parameter documents the 400 of a segment that is not percent-encoding (`/contacts/%`)", async () => {
      // The router answers it before the route runs (`bad-request`), but GET and DELETE
      // /contacts/{id}, DELETE /departments/{id}, GET /runs/{id} and others documented no 400.
      let checked = 0;
      for (const { name, path, op } of operations) {
        if (!path.includes("{")) continue;
        const method = name.split(" ")[0];
        const body = op.requestBody === undefined ? {} : { headers: JSON_HEADERS, body: "{}" };
        const res = await raw(server.url, { method, path: path.replace(/\{\w+\}/g, "%"), ...body });
        assertBadRequest(res, "bad-request", method, path);
        checked++;
      }
      assert.ok(checked >= 5, `checked ${checked}`);
    });

    await t.test("Idempotency-Key: the document refuses the keys the server refuses (400 `bad-idempotency-key`), and takes the ones it takes", async () => {
      // It said "any unique string" ({type: string}), while the server refuses all but 1 to 200
      // visible ASCII characters: a client's "order 42" or 250-character key was an undocumented 400.
      let checked = 0;
      for (const { name, path, op } of operations) {
        const param = op.parameters.find((p) => p.in === "header" && p.name === "Idempotency-Key") as { schema: Schema } | undefined;
        if (param === undefined) continue;
        const method = name.split(" ")[0];
        for (const key of ["order 42", "k".repeat(201), "clé"]) {
          const res = await raw(server.url, { method, path, headers: { ...JSON_HEADERS, "idempotency-key": key }, body: JSON.stringify({ ...ann, email: `idem-${checked}@example.com` }) });
          assertBadRequest(res, "bad-idempotency-key", method, path);
          assert.notDeepEqual(validate(param.schema, key, components), [], `${name}: the schema takes '${key}'`);
        }
        for (const key of ["k".repeat(200), "6f1c2a9e-order_42:retry.1"]) {
          assert.deepEqual(validate(param.schema, key, components), [], `${name}: '${key}'`);
          const res = await raw(server.url, { method, path, headers: { ...JSON_HEADERS, "idempotency-key": key }, body: JSON.stringify({ ...ann, email: `idem-${key.length}@example.com` }) });
          assert.equal(res.status, 201, res.text);
        }
        checked++;
      }
      assert.ok(checked >= 1);
    });

    await t.test("every route with a JSON body documents the 400 of a body that is not UTF-8 (`invalid-utf8`)", async () => {
      // Its 400s named `malformed-json` only, though readJson refuses bytes that are not UTF-8 first.
      const id = (await postContact(server.url, { ...ann, email: "doc-utf8@example.com" })).json().id;
      let checked = 0;
      for (const { name, path, op } of operations) {
        const type = Object.keys(op.requestBody?.content ?? {}).find((t) => t.endsWith("json"));
        if (type === undefined) continue;
        const method = name.split(" ")[0];
        const res = await raw(server.url, { method, path: path.replace("{id}", String(id)), headers: { "content-type": type }, body: Buffer.from('{"first_name":"\xe9"}', "latin1") });
        assertBadRequest(res, "invalid-utf8", method, path);
        checked++;
      }
      assert.ok(checked >= 4, `checked ${checked}`);
    });

    await t.test("a `state` no contact can have is a 400 naming it, as the parameter's documented pattern says; any case of two letters is taken", async () => {
      // state=cal and state=C answered 200 with an empty page, on both backends: a typo looked
      // like "no contacts there".
      const param = doc.paths["/contacts"].get.parameters.find((p) => p.name === "state") as unknown as { schema: Schema };
      for (const value of ["cal", "C", "C1"]) {
        assert.notDeepEqual(validate(param.schema, value, components), [], value);
        for (const format of ["", "&format=csv"]) {
          const res = await raw(server.url, { path: `/contacts?state=${value}${format}` });
          assertBadRequest(res, "bad-parameter", "GET", "/contacts");
          assert.match(res.json().detail, new RegExp(`'state' .*'${value}'`));
        }
      }
      for (const value of ["ca", "CA"]) {
        assert.deepEqual(validate(param.schema, value, components), [], value);
        assert.equal((await raw(server.url, { path: `/contacts?state=${value}` })).status, 200, value);
      }
    });

    await t.test("a 304 documents the ETag it carries, as its 200 does", async () => {
      // RFC 9110 15.4.5: a 304 sends the ETag a 200 would. The answers did; the document's 304s
      // listed no header, so a client generated from it dropped the validator it had to keep.
      // On PostgreSQL the list has no ETag (other processes write): its document must list none,
      // as a client generated from it would otherwise wait for a validator that never comes.
      const created = await postContact(server.url, { ...ann, email: "doc-304@example.com" });
      for (const [path, template] of [[created.headers.location as string, "/contacts/{id}"], ["/contacts?limit=1", "/contacts"]]) {
        const documented = doc.paths[template].get.responses["200"].headers?.ETag !== undefined;
        assert.equal(documented, template !== "/contacts" || !onPostgres(), `${template} documents an ETag: ${documented}`);
        const etag = (await raw(server.url, { path })).headers.etag as string | undefined;
        assert.equal(etag !== undefined, documented, `${path}: ETag ${etag ?? "none"}, documented: ${documented}`);
        const res = await raw(server.url, { path, headers: { "if-none-match": etag ?? "*" } });
        assert.equal(res.status, 304, path);
        assert.equal(res.headers.etag, etag, path);
      }
      let checked = 0;
      for (const { name, op } of operations) {
        if (op.responses["304"] === undefined || op.responses["200"]?.headers?.ETag === undefined) continue;
        assert.ok(op.responses["304"].headers?.ETag, `${name}: its 304 documents no ETag`);
        checked++;
      }
      // GET /contacts/{id}, and GET /contacts where its list has an ETag (DuckDB).
      assert.ok(checked >= (onPostgres() ? 1 : 2), `checked ${checked}`);
    });

    await t.test("POST /contacts documents the Location and ETag of its 201; GET /contacts/{id} its If-None-Match and If-Match", async () => {
      const created = await postContact(server.url, { ...ann, email: "headers@example.com" });
      assert.equal(created.status, 201, created.text);
      assert.ok(created.headers.location && created.headers.etag);
      assert.deepEqual(Object.keys(doc.paths["/contacts"].post.responses["201"].headers ?? {}).sort(), ["ETag", "Idempotent-Replayed", "Location"]);
      const headers = doc.paths["/contacts/{id}"].get.parameters.filter((p) => p.in === "header").map((p) => p.name);
      assert.deepEqual(headers.sort(), ["If-Match", "If-None-Match"]);
      const path = `/contacts/${created.json().id}`;
      assert.equal((await raw(server.url, { path, headers: { "if-none-match": String(created.headers.etag) } })).status, 304);
      assertDocumented(await raw(server.url, { path, headers: { "if-match": '"0"' } }), 412, "GET", "/contacts/{id}");
    });

    await t.test("every GET that documents a 304 or a 412 documents the If-None-Match and If-Match that give them", async () => {
      // GET /contacts (and every relationship route) listed 304 and 412 but neither header, so a
      // client generated from the document had no way to send the conditions those answers are for.
      const list = await raw(server.url, { path: "/contacts?limit=1" });
      assertDocumented(await raw(server.url, { path: "/contacts?limit=1", headers: { "if-match": '"x"' } }), 412, "GET", "/contacts");
      assert.equal((await raw(server.url, { path: "/contacts?limit=1", headers: { "if-none-match": String(list.headers.etag ?? "*") } })).status, 304);
      let checked = 0;
      for (const { name, op } of operations) {
        if (!name.startsWith("GET ") || (op.responses["304"] === undefined && op.responses["412"] === undefined)) continue;
        const headers = op.parameters.filter((p) => p.in === "header").map((p) => p.name);
        assert.ok(headers.includes("If-None-Match") && headers.includes("If-Match"), `${name} documents ${Object.keys(op.responses).join(",")} but its header parameters are ${headers.join(",") || "none"}`);
        checked++;
      }
      assert.ok(checked >= 10, `checked ${checked}`);
    });

    await t.test("the headers the contacts routes honour and send are documented where they are: If-None-Match on writes, ETag and Link on the list, Idempotent-Replayed", async () => {
      // A review found PUT, PATCH and DELETE honouring an undocumented If-None-Match, the list's ETag
      // and Link absent from its 200, Idempotent-Replayed in prose only, and preconditions on POST
      // /contacts and /departments neither honoured nor documented.
      const headerParams = (method: string, path: string) => doc.paths[path][method].parameters.filter((p) => p.in === "header").map((p) => p.name);
      const id = (await postContact(server.url, { ...ann, email: "doc-inm@example.com" })).json().id;
      for (const method of ["PUT", "PATCH", "DELETE"]) {
        assert.ok(headerParams(method.toLowerCase(), "/contacts/{id}").includes("If-None-Match"), method);
        const res = await raw(server.url, { method, path: `/contacts/${id}`, headers: { ...JSON_HEADERS, "if-none-match": "*" }, body: method === "DELETE" ? undefined : "{}" });
        assertDocumented(res, 412, method, "/contacts/{id}");
      }
      for (const name of ["If-Match", "If-None-Match"]) assert.ok(headerParams("post", "/contacts").includes(name), name);
      assertDocumented(await postContact(server.url, { ...ann, email: "doc-post@example.com" }, { "if-none-match": "*" }), 412, "POST", "/contacts");
      const list = await raw(server.url, { path: "/contacts?limit=1" });
      assert.ok(list.headers.link, "a first page of several has a Link");
      const listHeaders = Object.keys(doc.paths["/contacts"].get.responses["200"].headers ?? {});
      assert.ok(listHeaders.includes("Link"), String(listHeaders));
      assert.equal(listHeaders.includes("ETag"), !onPostgres(), `${String(listHeaders)}: on PostgreSQL the list has no ETag`);
      const key = { "idempotency-key": "doc-replay" };
      await postContact(server.url, { ...ann, email: "doc-replay@example.com" }, key);
      const replay = await postContact(server.url, { ...ann, email: "doc-replay@example.com" }, key);
      assert.equal(replay.headers["idempotent-replayed"], "true");
      assert.ok(doc.paths["/contacts"].post.responses["201"].headers?.["Idempotent-Replayed"]);
      for (const name of ["If-Match", "If-None-Match"]) {
        assert.ok(headerParams("delete", "/departments/{id}").includes(name), name);
        assert.ok(headerParams("get", "/departments").includes(name), name);
      }
      assertDocumented(await raw(server.url, { method: "DELETE", path: "/departments/1", headers: { "if-match": '"x"' } }), 412, "DELETE", "/departments/{id}");
      assertDocumented(await raw(server.url, { path: "/departments", headers: { "if-match": '"x"' } }), 412, "GET", "/departments");
      assert.equal((await raw(server.url, { path: "/departments", headers: { "if-none-match": "*" } })).status, 304);
      assert.ok(doc.paths["/departments"].get.responses["304"]);
      const brotli = await raw(server.url, { method: "POST", path: "/contacts", headers: { ...JSON_HEADERS, "content-encoding": "br" }, body: "{}" });
      assertDocumented(brotli, 415, "POST", "/contacts");
      assert.ok(doc.paths["/contacts"].post.responses["415"].headers?.["Accept-Encoding"]);
      // Plain bytes labelled gzip: the adapter's 400, documented on every route with a body.
      const notGzip = await raw(server.url, { method: "POST", path: "/contacts", headers: { ...JSON_HEADERS, "content-encoding": "gzip" }, body: "{}" });
      assertBadRequest(notGzip, "bad-content-encoding", "POST", "/contacts");
      assertBadRequest(await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv", "content-encoding": "gzip" }, body: "a,b\n" }), "bad-content-encoding", "POST", "/imports/contacts");
    });

    await t.test("a 415 on a POST or PATCH documents the Accept-Post or Accept-Patch header it sends", async () => {
      // The answers named the body types in Accept-Post / Accept-Patch (RFC 5789 3.1), but the
      // document's 415s listed Accept-Encoding alone: a client reading it did not know to look there.
      const id = (await postContact(server.url, { ...ann, email: "doc-415@example.com" })).json().id;
      let checked = 0;
      for (const { path, op, name } of operations) {
        const method = name.split(" ")[0];
        if (op.requestBody === undefined || (method !== "POST" && method !== "PATCH")) continue;
        const res = await raw(server.url, { method, path: path.replace("{id}", String(id)), headers: { "content-type": "text/x-nope" }, body: "{}" });
        assertDocumented(res, 415, method, path);
        const header = method === "POST" ? "Accept-Post" : "Accept-Patch";
        const sent = res.headers[header.toLowerCase()];
        assert.equal(sent, Object.keys(op.requestBody.content).join(", "), `${name}: ${header}`);
        assert.ok(op.responses["415"].headers?.[header], `${name} documents no ${header} on its 415`);
        checked++;
      }
      assert.ok(checked >= 3, `checked ${checked}`);
    });

    await t.test("`format` says limit and cursor are ignored only where they are taken: /departments?limit=1 is a 400", async () => {
      const format = (path: string) => (doc.paths[path].get.parameters.find((p) => p.name === "format") as { description: string } | undefined)?.description ?? "";
      assertDocumented(await raw(server.url, { path: "/departments?limit=1" }), 400, "GET", "/departments");
      assert.doesNotMatch(format("/departments"), /limit/);
      // Where it says so, it holds: a CSV of /contacts?limit=1 has every contact.
      assert.match(format("/contacts"), /limit and cursor are then ignored/);
      const csv = await raw(server.url, { path: "/contacts?format=csv&limit=1" });
      assert.ok(csv.text.trim().split("\r\n").length > 2, csv.text);
    });

    await t.test("POST /imports/contacts documents its JSON body as the hand-over's ImportRequest, its CSV body as text", () => {
      const content = doc.paths["/imports/contacts"].post.requestBody!.content;
      const body = content["application/json"].schema;
      assert.deepEqual(validate(body, { upload: "run-1.csv", source_name: "contacts.csv", run_id: "run-1" }, components), []);
      assert.deepEqual(validate(body, { upload: "run-1.csv", source_name: "contacts.csv" }, components), []);
      for (const wrong of ["run-1.csv", { source_name: "contacts.csv" }, { upload: "../etc/passwd", source_name: "x" }]) {
        assert.notDeepEqual(validate(body, wrong, components), [], JSON.stringify(wrong));
      }
      assert.deepEqual(content["text/csv"].schema.type, "string");
    });
  } finally {
    await server.close();
    cleanup();
  }
});
