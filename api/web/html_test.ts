import { test } from "node:test";
import assert from "node:assert/strict";
import { errorText, escapeHtml, formatCount, formatTime } from "./html.js";
import { query } from "./api_client.js";

test("escapeHtml(), formatCount(), formatTime() and api_client query() format safely", () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  assert.equal(escapeHtml(null), "");
  assert.equal(formatCount(12345), "12,345");
  assert.equal(formatCount(undefined), "–");
  assert.equal(formatTime("2026-11-29T09:50:45.123Z"), "2026-11-29 09:50 UTC");
  assert.equal(formatTime("nonsense"), "nonsense");
  assert.equal(query({ q: "ana maría", limit: 10, cursor: undefined, state: "" }), "?q=ana+mar%C3%ADa&limit=10");
  assert.equal(query({}), "");
});

test("errorText() gives an Error's message, and anything else thrown as text", () => {
  assert.equal(errorText(new Error("Cannot reach the API")), "Cannot reach the API");
  assert.equal(errorText("stopped"), "stopped");
  assert.equal(errorText(undefined), "undefined");
});
