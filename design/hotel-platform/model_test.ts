// Fitness functions for the hotel platform: the architecture rules the proposal promises, checked
// on every `npm test`. design/model/fitness_test.ts shows each rule can fail.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  checkBoundaries,
  checkCardData,
  checkDerivedStores,
  checkEdgeOnly,
  checkFailureModes,
  checkLabels,
  checkOwnership,
  checkReferences,
  checkStores,
  checkViews,
  derivePciSaq,
} from "../model/mod.ts";
import { staleFiles } from "../render/mod.ts";
import { hotelPlatform as model } from "./model.ts";

const REQUIRED = ["payments", "hotel", "guest", "search", "booking", "identity", "notifications"];

test("hotelPlatform references resolve", () => {
  assert.deepEqual(checkReferences(model), []);
});

test("hotelPlatform: every required service is present and reachable from the guest browser only through the edge", () => {
  assert.deepEqual(checkEdgeOnly(model, "guest-browser", REQUIRED), []);
  assert.deepEqual(checkEdgeOnly(model, "staff-console", []), []);
  const edge = model.components.filter((c) => c.kind === "edge").map((c) => c.id);
  for (const id of ["cdn", "waf"]) assert.ok(edge.includes(id), `the edge must include '${id}'`);
});

test("hotelPlatform: no service reads another service's database", () => {
  assert.deepEqual(checkOwnership(model), []);
  // The hotel platform allows no exceptions at all (the system design documents its own).
  assert.deepEqual(model.stores.filter((s) => s.sharedWith?.length).map((s) => s.component), []);
});

test("hotelPlatform: no card-data flow ends at one of our services, so the questionnaire is SAQ A", () => {
  assert.deepEqual(checkCardData(model), []);
  assert.equal(derivePciSaq(model), "A");
  assert.equal(model.pciSaq, "A");
  assert.ok(model.connections.some((c) => c.data.includes("card")), "the card flow itself must be modelled");
});

test("hotelPlatform: the search index is fed from source-of-truth stores and never written by guests", () => {
  assert.deepEqual(checkDerivedStores(model), []);
  const index = model.stores.find((s) => s.component === "search-index");
  assert.deepEqual(index?.derivedFrom, ["hotel-db", "booking-db"]);
});

test("hotelPlatform: every data store declares replication, backup, RPO and RTO", () => {
  assert.deepEqual(checkStores(model), []);
});

test("hotelPlatform: no component is orphaned or missing from every view", () => {
  assert.deepEqual(checkViews(model), []);
  const levels = model.views.map((v) => v.level);
  for (const level of ["context", "container", "deployment"] as const) assert.ok(levels.includes(level), `a ${level} view is required`);
  const deployment = model.views.find((v) => v.level === "deployment")!;
  const regions = new Set(deployment.elements.flatMap((id) => model.components.find((c) => c.id === id)!.regions));
  const cloud = model.regions.filter((r) => regions.has(r.id) && (r.role === "primary" || r.role === "secondary"));
  assert.ok(cloud.length >= 2, "the deployment view must span two or more regions");
});

test("hotelPlatform: every connection has a label and a protocol", () => {
  assert.deepEqual(checkLabels(model), []);
});

test("hotelPlatform: every connection that changes zone crosses a trust boundary with a STRIDE analysis", () => {
  assert.deepEqual(checkBoundaries(model), []);
});

test("hotelPlatform: every component except the clients has a failure mode", () => {
  assert.deepEqual(checkFailureModes(model), []);
});

test("hotelPlatform: the required sequences exist", () => {
  const titles = model.sequences.map((s) => s.title.toLowerCase());
  for (const t of ["search and view a hotel", "book and pay", "index sync after a hotel is edited"]) assert.ok(titles.includes(t), t);
});

test("hotelPlatform: generated docs and SVGs are up to date with the model", () => {
  const dir = fileURLToPath(new URL(".", import.meta.url));
  const stale = staleFiles(dir, model);
  assert.deepEqual(stale, [], `design/hotel-platform is out of date (${stale.join(", ")}): run \`npm run design\` and commit the result`);
});
