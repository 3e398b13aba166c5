// The dashboard's requests (api_client.js), run in Node against a real API server on port 0.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tempDir, testServer } from "../../scripts/testing/api_server.ts";
import * as api from "./api_client.js";
import { contactInput } from "./contacts_view.js";

test("a create retried after its answer was lost is answered as the first (the same Idempotency-Key), not 409 'e-mail already used'", async () => {
  // Before, saveContact made a new Idempotency-Key on every call: the second Save was a second
  // create, refused with 409 because the first had taken the e-mail, though the person saw no answer.
  const { dir, cleanup } = tempDir("api-client-");
  const server = await testServer(dir);
  const realFetch = globalThis.fetch;
  try {
    api.configure({ baseUrl: server.url, token: "" });
    const creates = api.createKeys();
    const input = contactInput({ first_name: "Ana", last_name: "Ruiz", email: "ana.retry@example.com", departments: "" });
    // The first POST reaches the server and is committed, but its answer never reaches the page
    // (a dropped connection, a proxy timeout): fetch rejects as it does in a browser.
    let lost = false;
    globalThis.fetch = async (url, init) => {
      const response = await realFetch(url, init);
      if (!lost && init?.method === "POST") {
        lost = true;
        await response.arrayBuffer();
        throw new TypeError("Failed to fetch");
      }
      return response;
    };
    await assert.rejects(api.saveContact(input, { idempotencyKey: creates.keyFor(input) }), (e: unknown) => e instanceof api.ApiError && e.status === 0);
    // Save pressed again with the form unchanged (contacts_panel.js save()).
    const retried = await api.saveContact(input, { idempotencyKey: creates.keyFor(input) });
    assert.equal(retried.email, "ana.retry@example.com");
    const listed = (await (await realFetch(`${server.url}/contacts?q=ana.retry`)).json()) as { items: unknown[] };
    assert.equal(listed.items.length, 1, "one contact");
    // Changed values are another create, with another key; forget() starts afresh too.
    const other = { ...input, email: "ana.other@example.com" };
    assert.notEqual(creates.keyFor(other), creates.keyFor(input));
    const key = creates.keyFor(input);
    creates.forget();
    assert.notEqual(creates.keyFor(input), key);
  } finally {
    globalThis.fetch = realFetch;
    await server.close();
    cleanup();
  }
});
