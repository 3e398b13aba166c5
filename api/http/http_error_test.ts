import { test } from "node:test";
import assert from "node:assert/strict";
import { HttpError, problemOf } from "./http_error.ts";
import { problemResponse } from "./respond.ts";

test("problemOf(): an error without a code gets its status title as one, every word joined by '-'", () => {
  assert.equal(new HttpError(415, "x").code, "unsupported-media-type");
  assert.equal(new HttpError(500, "x").code, "internal-server-error");
  assert.deepEqual(problemOf(new HttpError(405, "No")), { type: "/docs#problem-method-not-allowed", title: "Method Not Allowed", status: 405, detail: "No" });
});

test("problemResponse() is an RFC 9457 document naming the request it answers, never cached, with the error's headers", async () => {
  const errors = [{ field: "email", message: "is required" }];
  const res = problemResponse(new HttpError(503, "Busy", { code: "database-unavailable", errors, headers: { "Retry-After": "30" } }), "/contacts/7");
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("content-type"), "application/problem+json; charset=utf-8");
  // A problem answers one moment (a busy database, a stale ETag): a cache must not replay it.
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.equal(res.headers.get("retry-after"), "30");
  assert.deepEqual(await res.json(), {
    type: "/docs#problem-database-unavailable",
    title: "Service Unavailable",
    status: 503,
    detail: "Busy",
    instance: "/contacts/7",
    errors,
  });
});
