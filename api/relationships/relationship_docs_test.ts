// Every status a relationships or history route answers is one /openapi.json lists for it. A
// review found GET /relationships?actor=, /relationships/subgraph?include= and /changes?actor=
// answering an undocumented 409 (`ambiguous-code`) for a letter code two actors share. The
// requests are made from the document itself: each operation, each of its parameters given each
// of a set of values (that code among them), plain and conditional, on a served snapshot, before
// the first one and while the published file cannot be read; so a route or parameter added later
// is covered without a line here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningServer } from "../server.ts";
import { publishSnapshot, raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";

interface Operation {
  tags: string[];
  parameters: { name: string; in: string; required: boolean }[];
  responses: Record<string, unknown>;
}
type Paths = Record<string, Record<string, Operation>>;

// Actors 1 and 2 share the code A (a list that gives one actor another's matrix code).
const SHARED_CODE = {
  versionId: 1,
  actors: [[1, "A", "Ana"], [2, "A", "Alba"], [3, "B", "Bea"], [4, "C", "Cris"]] as [number, string, string][],
  pairs: [[1, 3, true, true], [3, 4, true, false]] as [number, number, boolean, boolean][],
  changes: [{ entity: "actor", change: "added", numeric_id: 1 }],
};

/** What each parameter is given: the shared code, other codes and ids, known and not, and values no parameter takes. */
const VALUES = ["A", "a", "A,B", "3,A", "B", "ZZ", "3", "999", "99999999999", "0", "-1", "!", "", "1,2", "json", "csv", "binary", "x"];

/** Each GET of the relationships and history tags, as `[template, operation]`. */
async function relationshipOperations(server: RunningServer): Promise<[string, Operation][]> {
  const doc = (await raw(server.url, { path: "/openapi.json" })).json() as { paths: Paths };
  const operations = Object.entries(doc.paths)
    .filter(([, item]) => item.get !== undefined && item.get.tags.some((tag) => tag === "relationships" || tag === "history"))
    .map(([path, item]): [string, Operation] => [path, item.get]);
  assert.ok(operations.length >= 10, `${operations.length} operations`);
  return operations;
}

/** The requests made of one operation: its required parameters naming actor 3, then each parameter given each value. */
function requestsOf(template: string, op: Operation): string[] {
  const base = new Map(op.parameters.filter((p) => p.in !== "header").map((p) => [p.name, p.required ? "3" : undefined]));
  const target = (values: Map<string, string | undefined>) => {
    let path = template;
    const query = new URLSearchParams();
    for (const [name, value] of values) {
      if (value === undefined) continue;
      if (path.includes(`{${name}}`)) path = path.replace(`{${name}}`, encodeURIComponent(value));
      else query.set(name, value);
    }
    return query.size === 0 ? path : `${path}?${query}`;
  };
  const requests = [target(base)];
  for (const name of base.keys()) for (const value of VALUES) requests.push(target(new Map([...base, [name, value]])));
  return requests;
}

async function assertDocumented(server: RunningServer, template: string, op: Operation, path: string, headers?: Record<string, string>): Promise<void> {
  const res = await raw(server.url, { path, headers });
  assert.ok(op.responses[String(res.status)], `GET ${template} does not document the ${res.status} that GET ${path} ${JSON.stringify(headers ?? {})} answered: ${res.text.slice(0, 200)}`);
}

test("every status a relationships or history route answers is one /openapi.json documents for it", async (t) => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    const operations = await relationshipOperations(server);
    await t.test("before the first published version", async () => {
      for (const [template, op] of operations) for (const path of requestsOf(template, op)) await assertDocumented(server, template, op, path);
    });
    // A corrupt file where the load publishes: the 503 every route answers then.
    writeFileSync(join(dir, "relationships.duckdb"), Buffer.alloc(64 * 1024, 0x5a));
    await server.app.snapshot.check();
    assert.ok(server.app.snapshot.unreadable());
    await t.test("while the published file cannot be read", async () => {
      for (const [template, op] of operations) for (const path of requestsOf(template, op)) await assertDocumented(server, template, op, path);
    });
    await publishSnapshot(dir, SHARED_CODE);
    await server.app.snapshot.check();
    assert.equal(server.app.snapshot.current()?.model.versionId, 1);
    for (const [template, op] of operations) {
      await t.test(`GET ${template}`, async () => {
        for (const path of requestsOf(template, op)) {
          await assertDocumented(server, template, op, path);
          const etag = (await raw(server.url, { path })).headers.etag;
          if (typeof etag === "string") await assertDocumented(server, template, op, path, { "if-none-match": etag });
          await assertDocumented(server, template, op, path, { "if-match": '"no-such-version"' });
        }
      });
    }
  } finally {
    await server.close();
    cleanup();
  }
});
