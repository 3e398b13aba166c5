import { test } from "node:test";
import assert from "node:assert/strict";
import { Router } from "./router.ts";
import { HttpError } from "./http_error.ts";

const h = async () => new Response("x");

test("Router.match() finds literal and parameter routes, tolerant of trailing slashes", () => {
  const r = new Router();
  r.add("GET", "/contacts", h);
  r.add("GET", "/contacts/:id", h);
  r.add("GET", "/actors/:id/relationships", h);
  assert.equal(r.match("GET", "/contacts/").kind, "found");
  const m = r.match("GET", "/contacts/42/");
  assert.equal(m.kind, "found");
  assert.deepEqual(m.kind === "found" && m.params, { id: "42" });
  const rel = r.match("GET", "/actors/%37/relationships");
  assert.deepEqual(rel.kind === "found" && rel.params, { id: "7" });
  assert.equal(r.match("GET", "/contacts/1/2").kind, "not-found");
});

test("Router.match() answers HEAD like GET and reports Allow for other methods", () => {
  const r = new Router();
  r.add("GET", "/contacts/:id", h);
  r.add("PUT", "/contacts/:id", h);
  r.add("DELETE", "/contacts/:id", h);
  assert.equal(r.match("HEAD", "/contacts/1").kind, "found");
  const m = r.match("POST", "/contacts/1");
  assert.equal(m.kind, "method-not-allowed");
  assert.deepEqual(m.kind === "method-not-allowed" && m.allow, ["DELETE", "GET", "HEAD", "PUT"]);
});

test("Router.match() takes the rest of the path for a final *, decoded per segment", () => {
  const r = new Router();
  r.add("GET", "/web/*", h);
  const m = r.match("GET", "/web/a/b%2Fc.js");
  assert.equal(m.kind, "found");
  assert.deepEqual(m.kind === "found" && m.params["*"].split("\u0000"), ["a", "b/c.js"]);
  assert.equal(r.match("GET", "/web/*").kind, "found");
});

test("Router.match() throws a 400 HttpError for a malformed escape", () => {
  const r = new Router();
  r.add("GET", "/contacts/:id", h);
  assert.throws(() => r.match("GET", "/contacts/%E0%A4%A"), (e: unknown) => e instanceof HttpError && e.status === 400);
});
