// The fitness functions must be able to fail: each test breaks a copy of the hotel model the way a
// careless change would, and asserts the check names the problem.
import { test } from "node:test";
import assert from "node:assert/strict";
import { hotelPlatform } from "../hotel-platform/model.ts";
import {
  checkBoundaries,
  checkCardData,
  checkCosts,
  checkDataMasters,
  checkDeploymentViews,
  checkFailureModes,
  checkMessages,
  checkOutbox,
  checkRegionPinning,
  checkStepRules,
  checkDerivedStores,
  checkEdgeOnly,
  checkLabels,
  checkModel,
  checkOwnership,
  checkReferences,
  checkStores,
  checkViews,
  derivePciSaq,
  ownerOf,
} from "./mod.ts";
import type { Connection, Model } from "./mod.ts";

function copy(): Model {
  return structuredClone(hotelPlatform);
}

function connect(model: Model, conn: Partial<Connection> & Pick<Connection, "id" | "from" | "to">): Model {
  model.connections.push({ label: "x", protocol: "HTTPS", mode: "sync", data: ["internal"], ...conn });
  return model;
}

test("checkModel() passes the unmodified hotel model", () => {
  assert.deepEqual(checkModel(hotelPlatform), []);
});

test("ownerOf() maps jobs to their service and stores to their owner", () => {
  assert.equal(ownerOf(hotelPlatform, "search-indexer"), "search");
  assert.equal(ownerOf(hotelPlatform, "hotel-db"), "hotel");
  assert.equal(ownerOf(hotelPlatform, "booking"), "booking");
});

test("checkEdgeOnly() reports a service the browser reaches around the edge", () => {
  const m = connect(copy(), { id: "bypass", from: "guest-browser", to: "booking" });
  assert.deepEqual(checkEdgeOnly(m, "guest-browser", ["booking"]), ["'booking' is reachable from 'guest-browser' without passing the edge (connection 'bypass' from 'guest-browser')"]);
});

test("checkEdgeOnly() reports a third party calling a service directly (webhook around the WAF)", () => {
  const m = connect(copy(), { id: "direct-webhook", from: "payment-provider", to: "payments" });
  assert.ok(checkEdgeOnly(m, "guest-browser", []).some((p) => p.includes("'payments' is reachable")));
});

test("checkEdgeOnly() reports a missing or unreachable required service", () => {
  const m = copy();
  m.components = m.components.filter((c) => c.id !== "notifications");
  assert.ok(checkEdgeOnly(m, "guest-browser", ["notifications"]).includes("required service 'notifications' is missing"));
  const n = copy();
  n.connections = n.connections.filter((c) => c.to !== "notifications");
  assert.ok(checkEdgeOnly(n, "guest-browser", ["notifications"]).includes("required service 'notifications' is not reachable from 'guest-browser'"));
});

test("checkOwnership() reports a service reading another service's database", () => {
  const m = connect(copy(), { id: "peek", from: "booking", to: "guest-db", access: "read" });
  assert.deepEqual(checkOwnership(m), ["'booking' read 'guest-db', which belongs to 'guest'"]);
});

test("checkOwnership() reports a job reading a store its service does not own, and a client touching a store", () => {
  const m = connect(copy(), { id: "indexer-peeks", from: "search-indexer", to: "hotel-db", access: "read" });
  connect(m, { id: "browser-db", from: "guest-browser", to: "guest-db", access: "read" });
  const problems = checkOwnership(m);
  assert.ok(problems.includes("'search-indexer' read 'hotel-db', which belongs to 'hotel'"));
  assert.ok(problems.includes("client 'guest-browser' touches store 'guest-db' directly"));
});

test("checkOwnership() accepts a declared, matching exception only", () => {
  const m = connect(copy(), { id: "peek", from: "booking", to: "guest-db", access: "read" });
  m.stores.find((s) => s.component === "guest-db")!.sharedWith = [{ component: "booking", access: "read", why: "test" }];
  assert.deepEqual(checkOwnership(m), []);
  m.connections.find((c) => c.id === "peek")!.access = "write";
  assert.equal(checkOwnership(m).length, 1);
});

test("checkCardData() reports card data reaching our payments service and the SAQ it implies", () => {
  const m = connect(copy(), { id: "card-post", from: "guest-browser", to: "waf", data: ["card"] });
  connect(m, { id: "card-in", from: "alb", to: "payments", data: ["card"] });
  assert.equal(derivePciSaq(m), "D");
  const problems = checkCardData(m);
  assert.ok(problems.includes("card data flows on 'card-in' into our 'payments'"));
  assert.ok(problems.includes("the design claims PCI DSS SAQ A but its card flows imply SAQ D"));
});

test("checkCardData() reports a store of ours holding card numbers", () => {
  const m = copy();
  m.stores.find((s) => s.component === "payments-db")!.data.push("card");
  assert.ok(checkCardData(m).includes("store 'payments-db' holds card data"));
});

test("derivePciSaq() says A-EP when our page posts the card itself", () => {
  const m = copy();
  m.connections.find((c) => c.id === "c-guest-psp")!.cardEntry = "direct-post";
  assert.equal(derivePciSaq(m), "A-EP");
});

test("checkDerivedStores() reports a guest-facing writer of the search index", () => {
  const m = connect(copy(), { id: "guest-writes", from: "search", to: "search-index", access: "write" });
  const problems = checkDerivedStores(m);
  assert.ok(problems.includes("'search' writes 'search-index' and takes requests from 'alb', so guests could write it"), problems.join("\n"));
});

test("checkDerivedStores() reports events from a non-owner feeding the index, and a missing source of truth", () => {
  const m = connect(copy(), { id: "guest-publishes", from: "guest", to: "event-bus", mode: "async", messages: ["HotelChanged"] });
  assert.ok(checkDerivedStores(m).includes("'HotelChanged' feeding 'search-index' is published by 'guest', which does not own a source of truth"));
  const n = copy();
  n.stores.find((s) => s.component === "search-index")!.derivedFrom = [];
  assert.ok(checkDerivedStores(n).includes("'search-index' is a derived store that names no source of truth"));
  const o = copy();
  delete o.stores.find((s) => s.component === "hotel-db")!.sourceOfTruth;
  assert.ok(checkDerivedStores(o).includes("'search-index' is derived from 'hotel-db', which is not a source of truth"));
});

test("checkStores() reports a store without RPO, and a store without a spec", () => {
  const m = copy();
  m.stores.find((s) => s.component === "guest-db")!.rpo = "";
  assert.deepEqual(checkStores(m), ["store 'guest-db' declares no rpo"]);
  const n = copy();
  n.stores = n.stores.filter((s) => s.component !== "quote-cache");
  assert.deepEqual(checkStores(n), ["store 'quote-cache' has 0 store specs; it needs exactly one"]);
});

test("checkViews() reports an orphan and a component in no view", () => {
  const m = copy();
  m.components.push({ id: "lonely", name: "Lonely", kind: "service", zone: "app", regions: ["us-east-1"], tech: "x", description: "x" });
  assert.deepEqual(checkViews(m), ["component 'lonely' appears in no view", "component 'lonely' is orphaned: no connection touches it"]);
});

test("checkLabels() reports a connection without a protocol or a label", () => {
  const m = copy();
  m.connections[0].protocol = " ";
  m.connections[1].label = "";
  assert.deepEqual(checkLabels(m), [`connection '${m.connections[0].id}' has no protocol`, `connection '${m.connections[1].id}' has no label`]);
});

test("checkReferences() reports unknown ids in connections, views, sequences and requirements", () => {
  const m = connect(copy(), { id: "to-nowhere", from: "booking", to: "nowhere" });
  m.views[0].elements.push("ghost");
  m.sequences[0].steps.push({ kind: "call", via: "no-such-connection", text: "hello" });
  m.requirements[0].components.push("phantom");
  const problems = checkReferences(m);
  assert.ok(problems.includes("connection 'to-nowhere' goes to unknown component 'nowhere'"));
  assert.ok(problems.includes("view 'context' lists unknown component 'ghost'"));
  assert.ok(problems.includes("sequence 'seq-search' step 'hello' travels on unknown connection 'no-such-connection'"));
  assert.ok(problems.includes("requirement R1 names unknown component 'phantom'"));
});

test("checkBoundaries() reports a connection crossing zones that no STRIDE boundary covers", () => {
  const m = connect(copy(), { id: "data-to-psp", from: "payments-db", to: "payment-provider" });
  assert.deepEqual(checkBoundaries(m), ["connection 'data-to-psp' crosses data -> providers, which no trust boundary covers"]);
  const n = copy();
  n.boundaries[0].stride.repudiation = "";
  assert.deepEqual(checkBoundaries(n), ["boundary 'internet-edge' has no repudiation entry"]);
});

test("checkFailureModes() reports a component without a failure mode and rows naming unknown components", () => {
  const m = copy();
  m.failureModes = m.failureModes.filter((f) => !f.components.includes("maps"));
  assert.deepEqual(checkFailureModes(m), ["component 'maps' has no failure mode"]);
  const n = copy();
  n.failureModes[0].components.push("ghost");
  assert.ok(checkFailureModes(n).some((p) => p.includes("names unknown component 'ghost'")));
});

function sequence(model: Model, id: string) {
  return model.sequences.find((s) => s.id === id)!;
}

test("checkStepRules() reports a capture before the commit, an authorisation never resolved, and a rule naming an act no step does", () => {
  const m = copy();
  const book = sequence(m, "seq-book");
  // Capture right after the authorisation, before the reservation is committed.
  const capture = book.steps.findIndex((s) => s.kind === "call" && s.act === "payment.capture");
  const [step] = book.steps.splice(capture, 1);
  book.steps.splice(book.steps.findIndex((s) => s.kind === "call" && s.act === "payment.authorise") + 1, 0, step);
  assert.ok(checkStepRules(m).some((p) => /seq-book': 'payment.capture' \(step \d+\) does not follow 'reservation.commit'/.test(p)), checkStepRules(m).join("\n"));
  const n = copy();
  const late = sequence(n, "seq-book-late");
  late.steps = late.steps.filter((s) => !(s.kind === "call" && s.act === "payment.void"));
  assert.ok(checkStepRules(n).some((p) => p.includes("'payment.authorise'") && p.includes("is not followed by 'payment.capture' or 'payment.void'")));
  assert.ok(checkStepRules(n).some((p) => p.includes("'reservation.rejected'") && p.includes("is not followed by 'payment.void' or 'payment.refund'")));
  const o = copy();
  o.stepRules!.push({ act: "payment.capture", after: "fraud.check", why: "test" });
  assert.ok(checkStepRules(o).includes("a step rule names 'fraud.check', which no sequence step does"));
});

test("checkRegionPinning() reports a read after a write, and a write, that reach a region without the writer", () => {
  const m = copy();
  m.connections.find((c) => c.id === "c-alb-booking")!.routing = "nearest-region";
  const problems = checkRegionPinning(m);
  assert.ok(problems.some((p) => /'booking' reads 'booking-db' after a write in the same flow \(step \d+\), but its request arrives on 'c-alb-booking', which is not pinned to the writer region/.test(p)), problems.join("\n"));
  assert.ok(problems.some((p) => /'booking' writes 'booking-db' \(step \d+\), but its request arrives on 'c-alb-booking'/.test(p)));
  const n = copy();
  delete n.connections.find((c) => c.id === "c-alb-hotel-admin")!.routing;
  assert.ok(checkRegionPinning(n).some((p) => p.includes("'hotel' writes 'hotel-db'")));
  const o = copy();
  // The same flows are fine when the store takes writes in every region the service runs in.
  delete o.stores.find((s) => s.component === "booking-db")!.writerRegions;
  o.connections.find((c) => c.id === "c-alb-booking")!.routing = "nearest-region";
  assert.ok(!checkRegionPinning(o).some((p) => p.includes("'booking-db'")));
});

test("checkOutbox() reports a service publishing directly, a relay outside the writer region, and an outbox nobody drains", () => {
  const m = copy();
  m.connections.find((c) => c.id === "c-booking-outbox-bus")!.from = "booking";
  const problems = checkOutbox(m);
  assert.ok(problems.includes("'booking' publishes BookingConfirmed, BookingFailed, BookingExpired, BookingCancelled to 'event-bus' directly, not through an outbox relay"), problems.join("\n"));
  assert.ok(problems.includes("outbox 'booking-db' is drained by no relay that publishes events"));
  const n = copy();
  n.components.find((c) => c.id === "payments-outbox")!.regions = ["us-east-1", "us-west-2"];
  assert.deepEqual(checkOutbox(n), ["outbox relay 'payments-outbox' runs in 'us-west-2', where 'payments-db' has no writer"]);
  const o = copy();
  delete o.stores.find((s) => s.component === "hotel-db")!.outbox;
  assert.deepEqual(checkOutbox(o), ["'hotel-outbox' publishes HotelChanged to 'event-bus' but drains no outbox of its service 'hotel'"]);
});

test("checkMessages() reports an event nobody consumes and one nobody publishes", () => {
  const m = copy();
  m.connections.find((c) => c.id === "c-bus-warehouse")!.messages = ["HotelChanged"];
  m.connections.find((c) => c.id === "c-bus-booking")!.messages!.push("RoomUpgraded");
  const problems = checkMessages(m);
  assert.ok(problems.includes("'PaymentCaptured' is published to 'event-bus' but no one consumes it"), problems.join("\n"));
  assert.ok(problems.includes("'RoomUpgraded' is delivered from 'event-bus' but no one publishes it"));
});

test("checkDataMasters() reports a copy claiming to be the source, a reader that skips the master, and two masters", () => {
  const m = copy();
  m.stores.find((s) => s.component === "ari-db")!.sourceOfTruth = true;
  assert.ok(checkDataMasters(m).includes("'Room inventory and reservations': copy 'ari-db' claims to be a source of truth, but 'crs' is the master"));
  const n = copy();
  n.connections = n.connections.filter((c) => c.id !== "c-booking-ari");
  assert.deepEqual(checkDataMasters(n), ["'booking' uses 'Price of a stay (dates, guests, rate plan, taxes)' without asking its master 'ari' or reading a copy"]);
  const o = copy();
  o.dataMasters!.push({ ...o.dataMasters![0], master: "booking" });
  assert.ok(checkDataMasters(o).includes("'Room inventory and reservations' has more than one master"));
});

test("checkCosts() reports a cost line for a component the model lacks, a component without a line, and a missing scenario", () => {
  const m = copy();
  m.costs!.push({ item: "OpenSearch", components: ["search-cluster"], monthly: { base: 600, growth: 900 }, basis: "x" });
  m.costs = m.costs!.map((l) => ({ ...l, components: l.components.filter((id) => id !== "quote-cache") }));
  const problems = checkCosts(m);
  assert.ok(problems.includes("cost line 'OpenSearch' names unknown component 'search-cluster'"), problems.join("\n"));
  assert.ok(problems.includes("component 'quote-cache' has no cost line"));
  const n = copy();
  delete n.costs![0].monthly.growth;
  assert.deepEqual(checkCosts(n), [`cost line '${n.costs![0].item}' has no amount for scenario 'growth'`]);
});

test("checkDeploymentViews() reports a component placed in a region that no deployment view draws", () => {
  const m = copy();
  for (const v of m.views) v.elements = v.elements.filter((id) => !(v.level === "deployment" && id === "search-indexer"));
  assert.deepEqual(checkDeploymentViews(m), ["component 'search-indexer' runs in a cloud region but no deployment view draws it"]);
});

test("checkReferences() reports writer regions where a store is not placed, and unknown members of a sequence group", () => {
  const m = copy();
  m.stores.find((s) => s.component === "booking-db")!.writerRegions = ["eu-west-1"];
  sequence(m, "seq-book").groups![0].members.push("ghost");
  const problems = checkReferences(m);
  assert.ok(problems.includes("store 'booking-db' takes writes in 'eu-west-1', where it is not placed"));
  assert.ok(problems.includes("sequence 'seq-book' groups unknown 'ghost'"));
});
