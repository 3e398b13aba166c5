// Every JSON answer of every route, checked against the schema /openapi.json promises for that
// route and status: real ETL loads (two versions and a failed run) into a temp dir, the real server
// on port 0, real requests. A route without a request here still gets one built from its docs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeApiInfo } from "../../etl/handover/mod.ts";
import { startDemo } from "../../scripts/testing/demo_server.ts";
import { matrixWorkbook } from "../../scripts/testing/matrix_workbook.ts";
import { writeXlsxFile } from "../../scripts/testing/xlsx_writer.ts";
import { unsupportedKeywords, validate } from "../../scripts/testing/json_schema_validator.ts";
import { raw } from "../../scripts/testing/api_server.ts";

type Operation = { responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> };
interface Call {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

test("every JSON answer of every route validates against its OpenAPI schema", { timeout: 120_000 }, async (t) => {
  const scratch = mkdtempSync(join(tmpdir(), "openapi-conformance-"));
  const first = join(scratch, "v1.xlsx");
  const second = join(scratch, "v2.xlsx");
  await writeXlsxFile(first, matrixWorkbook({ actors: 30, filledActors: 26, seed: 3, asymmetric: 2 }));
  // The next day's file: one more actor, other pairs, a code that disagrees with the list.
  await writeXlsxFile(second, matrixWorkbook({ actors: 31, filledActors: 26, seed: 3, asymmetric: 3, density: 0.12, codeMismatch: true }));
  const demo = await startDemo({ workbook: first });
  try {
    assert.equal((await demo.etl(["--only", "relationships", "--workbook", second])).code, 0);
    writeFileSync(join(scratch, "broken.xlsx"), "not a workbook");
    assert.equal((await demo.etl(["--only", "relationships", "--workbook", join(scratch, "broken.xlsx")])).code, 1);
    // A contacts load with rejected rows, handed to the running API as under `npm start`.
    writeFileSync(join(scratch, "contacts.csv"), "first_name,last_name,email,state\nLuz,Marín,luz.marin@example.com,LA\nRay,Ochoa,not-an-email,Texas\n");
    writeApiInfo(demo.dataDir, demo.url);
    assert.equal((await demo.etl(["--only", "contacts", "--contacts", join(scratch, "contacts.csv")])).code, 0);
    await new Promise((r) => setTimeout(r, 400)); // the watcher swaps to version 2 within its poll

    const doc = (await (await fetch(`${demo.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, Record<string, unknown>> };
    };
    const components = doc.components.schemas;

    await t.test("the document uses only keywords the validator checks or knows as annotations", () => {
      const schemas = [
        ...Object.values(components),
        ...Object.values(doc.paths).flatMap((item) =>
          Object.values(item).flatMap((op) => Object.values(op.responses).flatMap((r) => Object.values(r.content ?? {}).map((c) => c.schema))),
        ),
      ];
      assert.deepEqual([...new Set(schemas.flatMap(unsupportedKeywords))], []);
    });

    const runs = (await (await fetch(`${demo.url}/runs?limit=10`)).json()) as { items: { id: string; kind: string; counts: { rejected?: number } }[] };
    const rejecting = runs.items.find((r) => r.kind === "contacts" && (r.counts.rejected ?? 0) > 0)!.id;
    const relationshipsRun = runs.items.find((r) => r.kind === "relationships")!.id;
    const contacts = (await (await fetch(`${demo.url}/contacts?limit=1`)).json()) as { items: { id: number }[] };
    const actors = (await (await fetch(`${demo.url}/actors?limit=2`)).json()) as { items: { id: number; letter_code: string }[] };
    const [a, b] = actors.items;
    const contactId = contacts.items[0].id;
    const json = { "content-type": "application/json" };
    const calls: Call[] = [
      { method: "GET", path: "/healthz" },
      { method: "GET", path: "/readyz" },
      { method: "GET", path: "/openapi.json" },
      { method: "GET", path: "/contacts?limit=3&count=true" },
      { method: "GET", path: "/contacts?limit=x" },
      { method: "GET", path: `/contacts/${contactId}` },
      { method: "GET", path: "/contacts/999999" },
      { method: "POST", path: "/contacts", headers: json, body: JSON.stringify({ first_name: "Ana", last_name: "Ruiz", email: "ana.ruiz@example.com", departments: ["Sales"] }) },
      { method: "POST", path: "/contacts", headers: json, body: JSON.stringify({ first_name: "", email: "nope" }) },
      { method: "PUT", path: `/contacts/${contactId}`, headers: json, body: JSON.stringify({ first_name: "Ana", last_name: "Peña", email: "ana.pena@example.com" }) },
      { method: "PATCH", path: `/contacts/${contactId}`, headers: { "content-type": "application/merge-patch+json" }, body: JSON.stringify({ city: "Lima" }) },
      { method: "PATCH", path: `/contacts/${contactId}`, headers: { ...json, "if-match": '"0"' }, body: "{}" },
      { method: "DELETE", path: `/contacts/${contactId}` },
      { method: "GET", path: "/departments" },
      { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv" }, body: "first_name,last_name,email\nBea,Soto,bea.soto@example.com\n,,bad\n" },
      { method: "GET", path: "/actors?limit=5" },
      { method: "GET", path: "/actors?sort=height" },
      { method: "GET", path: `/actors/${a.id}` },
      { method: "GET", path: `/actors/${encodeURIComponent(a.letter_code.toLowerCase())}` },
      { method: "GET", path: "/actors/99999" },
      { method: "GET", path: `/actors/${a.id}/relationships` },
      { method: "GET", path: "/relationships?limit=5" },
      { method: "GET", path: `/relationships?actor=${encodeURIComponent(a.letter_code)}&limit=5` },
      // Actor 30's row is blank: its pairs have a null (unknown) direction, which the schema must allow.
      { method: "GET", path: "/relationships?actor=30" },
      { method: "GET", path: "/actors/30/relationships" },
      { method: "GET", path: `/relationships/path?from=${a.id}&to=${encodeURIComponent(b.letter_code)}` },
      { method: "GET", path: "/relationships/path?from=1" },
      { method: "GET", path: "/relationships/subgraph?limit=10" },
      { method: "GET", path: `/relationships/subgraph?around=${a.id}&limit=5` },
      { method: "GET", path: "/matrix?limit=3" },
      { method: "GET", path: "/matrix?offset=-1" },
      { method: "GET", path: "/findings" },
      { method: "GET", path: "/versions" },
      { method: "GET", path: "/versions?limit=1" },
      { method: "GET", path: "/changes?limit=20" },
      { method: "GET", path: `/changes?version=2&kind=pair-added&since=2000-01-01&actor=${a.id}` },
      { method: "GET", path: "/changes?kind=sideways" },
      { method: "GET", path: "/runs?limit=5" },
      ...runs.items.map((r) => ({ method: "GET", path: `/runs/${r.id}` })),
      { method: "GET", path: "/runs/nope" },
      { method: "GET", path: `/runs/${rejecting}/rejects?limit=1` },
      { method: "GET", path: `/runs/${rejecting}/rejects.csv` },
      { method: "GET", path: `/runs/${relationshipsRun}/rejects` },
      { method: "GET", path: "/runs/..%2Fruns.jsonl/rejects.csv" },
      { method: "GET", path: `/runs/${rejecting}/rejects?limit=0` },
      { method: "GET", path: "/nowhere" },
      // What the server answers before a route runs: each documented on the path it was asked of.
      { method: "PATCH", path: "/contacts" },
      { method: "FOO", path: `/contacts/${contactId}` },
      { method: "GET", path: `/contacts?q=${"a".repeat(20_000)}` },
      { method: "GET", path: "/actors", headers: { "x-big": "x".repeat(20_000) } },
      // fetch() drops a Host header; raw() sends it.
      { method: "GET", path: "/runs", headers: { host: "evil.example" } },
    ];
    // Any documented route the table above forgot (a route added later) still gets a plain GET.
    const covered = new Set(calls.map((c) => `${c.method} ${routeOf(doc.paths, c.path)}`));
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) {
        if (covered.has(`${method.toUpperCase()} ${path}`) || path.includes("{path}")) continue;
        calls.push({ method: method.toUpperCase(), path: path.replaceAll(/\{\w+\}/g, "1") });
      }
    }

    const validated = new Set<string>();
    for (const call of calls) {
      await t.test(`${call.method} ${call.path.slice(0, 80)}`, async () => {
        const response =
          call.headers?.host === undefined
            ? await fetch(`${demo.url}${call.path}`, { method: call.method, headers: call.headers, body: call.body })
            : fromRaw(await raw(demo.url, { method: call.method, path: call.path, headers: call.headers, body: call.body }));
        const type = (response.headers.get("content-type") ?? "").split(";")[0];
        const text = await response.text();
        if (!type.includes("json")) return; // CSV, HTML and empty answers have no JSON schema
        const route = routeOf(doc.paths, call.path);
        // A method the path does not take (405, 501) is documented on the operations it does take.
        const operation = route === undefined ? undefined : (doc.paths[route][call.method.toLowerCase()] ?? Object.values(doc.paths[route])[0]);
        const schema = route === undefined ? components.Problem : operation?.responses[String(response.status)]?.content?.[type]?.schema;
        assert.ok(schema, `${call.method} ${route ?? call.path} documents no ${type} schema for ${response.status}`);
        assert.deepEqual(validate(schema, JSON.parse(text), components), [], `${call.method} ${call.path} ${response.status}: ${text.slice(0, 300)}`);
        if (response.ok && route !== undefined) validated.add(`${call.method} ${route}`);
      });
    }

    await t.test("every JSON route had a 2xx answer validated", () => {
      const jsonRoutes = Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.entries(item)
          .filter(([, op]) => Object.entries(op.responses).some(([status, r]) => status.startsWith("2") && r.content?.["application/json"]))
          .map(([method]) => `${method.toUpperCase()} ${path}`),
      );
      assert.deepEqual(jsonRoutes.filter((r) => !validated.has(r)), []);
    });
  } finally {
    await demo.close();
    rmSync(scratch, { recursive: true, force: true });
  }
});

/** raw()'s answer as a fetch Response. */
function fromRaw(res: Awaited<ReturnType<typeof raw>>): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) if (typeof value === "string") headers.set(name, value);
  return new Response(res.status === 204 || res.status === 304 ? null : res.bytes, { status: res.status, headers });
}

/** The documented path template a concrete path matches (`/actors/7` -> `/actors/{id}`). */
function routeOf(paths: Record<string, unknown>, concrete: string): string | undefined {
  const path = concrete.split("?")[0];
  if (path in paths) return path;
  const parts = path.split("/");
  return Object.keys(paths).find((template) => {
    const t = template.split("/");
    return t.length === parts.length && t.every((seg, i) => (seg.startsWith("{") && parts[i] !== "" && !(parts.slice(0, i + 1).join("/") in paths)) || seg === parts[i]);
  });
}
