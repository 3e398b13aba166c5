// RFC 9110 semantics the whole API shares, through a real server: preconditions on every route
// (not only the contacts' own), request content codings, ETags of compressed forms, and what a
// 304 or an OPTIONS says. The *_postgres_test.ts wrapper runs it on PostgreSQL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { postContact, raw, tempDir, testServer, type RawResponse } from "../../scripts/testing/api_server.ts";

const JSON_HEADERS = { "content-type": "application/json" };

/** `res`, asserted to be a problem document of `status` and type `code`. */
function assertProblem(res: RawResponse, status: number, code: string): Record<string, any> {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json().type, `/docs#problem-${code}`, res.text);
  return res.json();
}

test("preconditions hold on every route: /departments, POST /contacts", async (t) => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    const contact = (await postContact(server.url, { first_name: "Dd", last_name: "Ee", email: "dept@example.com", departments: ["Temp"] })).json();
    const department = (await raw(server.url, { path: "/departments" })).json().items.find((d: { name: string }) => d.name === "Temp");
    await raw(server.url, { method: "PATCH", path: `/contacts/${contact.id}`, headers: JSON_HEADERS, body: '{"departments":[]}' });
    const listed = async () => (await raw(server.url, { path: "/departments" })).json().items.some((d: { id: number }) => d.id === department.id);

    await t.test("DELETE /departments/{id}: If-Match naming a tag, or If-None-Match: *, is false: 412 and it stays", async () => {
      // Both deleted the department (204).
      for (const condition of [{ "if-match": '"nope"' }, { "if-none-match": "*" }, { "if-match": 'W/"x"' }] as Record<string, string>[]) {
        assertProblem(await raw(server.url, { method: "DELETE", path: `/departments/${department.id}`, headers: condition }), 412, "stale");
      }
      assert.ok(await listed());
    });
    await t.test("DELETE /departments/{id}: If-Match: * on a missing one is a 412, as for contacts", async () => {
      assertProblem(await raw(server.url, { method: "DELETE", path: "/departments/999999", headers: { "if-match": "*" } }), 412, "stale");
      assertProblem(await raw(server.url, { method: "DELETE", path: "/departments/999999", headers: { "if-none-match": "*" } }), 404, "not-found");
    });
    await t.test("GET /departments evaluates If-Match and If-None-Match, in both forms", async () => {
      for (const path of ["/departments", "/departments?format=csv"]) {
        assertProblem(await raw(server.url, { path, headers: { "if-match": '"x"' } }), 412, "stale");
        assert.equal((await raw(server.url, { path, headers: { "if-match": "*" } })).status, 200, path);
        assert.equal((await raw(server.url, { path, headers: { "if-none-match": "*" } })).status, 304, path);
      }
    });
    await t.test("POST /contacts: If-Match naming a tag or If-None-Match: * is a 412 and nothing is created", async () => {
      for (const [i, condition] of ([{ "if-match": '"nope"' }, { "if-none-match": "*" }] as Record<string, string>[]).entries()) {
        const res = await postContact(server.url, { first_name: "Im", last_name: "X", email: `im${i}@example.com` }, condition);
        assertProblem(res, 412, "stale");
        assert.equal((await raw(server.url, { path: "/contacts?count=true" })).json().total, 1);
      }
      // A condition that holds lets it through.
      assert.equal((await postContact(server.url, { first_name: "Im", last_name: "X", email: "im9@example.com" }, { "if-match": "*", "if-none-match": '"7"' })).status, 201);
    });
    await t.test("DELETE /departments/{id} with If-Match: * deletes it", async () => {
      assert.equal((await raw(server.url, { method: "DELETE", path: `/departments/${department.id}`, headers: { "if-match": "*" } })).status, 204);
      assert.equal(await listed(), false);
    });
    await t.test("If-None-Match: * on GET /contacts is a 304 on either backend (the list exists)", async () => {
      // PostgreSQL's lists carry no ETag, and answered 200.
      assert.equal((await raw(server.url, { path: "/contacts?limit=1", headers: { "if-none-match": "*" } })).status, 304);
    });
  } finally {
    await server.close();
    cleanup();
  }
});
