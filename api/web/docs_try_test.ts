import { test } from "node:test";
import assert from "node:assert/strict";
import { requestOf, showBody } from "./docs_try.js";

test("requestOf() builds the request a Try it form describes; showBody() indents JSON", () => {
  assert.deepEqual(requestOf("/actors/{id}/relationships", [["path:id", "AÑ"], ["query:format", "csv"], ["query:limit", ""], ["header:If-Match", '"3"']]), {
    url: "/actors/A%C3%91/relationships?format=csv",
    headers: { "If-Match": '"3"' },
  });
  assert.equal(showBody('{"a":1}', "application/json"), '{\n  "a": 1\n}');
  assert.equal(showBody("a,b", "text/csv"), "a,b");
  assert.match(showBody("x".repeat(20001), "text/plain"), /… \(20001 characters in all\)$/);
});
