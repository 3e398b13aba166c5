// Fitness functions for this product's own design, and the up-to-date check of its docs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { checkEdgeOnly, checkModel, derivePciSaq } from "../model/mod.ts";
import { staleFiles } from "../render/mod.ts";
import { systemModel as model } from "./model.ts";

test("systemModel passes every generic check", () => {
  assert.deepEqual(checkModel(model), []);
});

test("systemModel: clients reach data only through the API", () => {
  // No edge here: blocking the API and the loader must leave no store reachable from a client.
  const api = model.components.find((c) => c.id === "api")!;
  assert.equal(api.kind, "service");
  assert.deepEqual(checkEdgeOnly({ ...model, components: model.components.map((c) => (c.id === "api" ? { ...c, kind: "edge" } : c)) }, "browser", []), []);
});

test("systemModel: the API only reads the published snapshot; the ETL writes it only by rename", () => {
  const writes = model.connections.filter((c) => c.to === "relationships-db" && c.access !== "read");
  assert.deepEqual(writes.map((c) => c.id), ["s-etl-publish"]);
  assert.match(writes[0].protocol, /rename/);
  assert.equal(derivePciSaq(model), "none");
});

test("systemModel: generated docs and SVGs are up to date with the model", () => {
  const dir = fileURLToPath(new URL(".", import.meta.url));
  const stale = staleFiles(dir, model);
  assert.deepEqual(stale, [], `design/system is out of date (${stale.join(", ")}): run \`npm run design\` and commit the result`);
});
