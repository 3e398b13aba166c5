// Fitness functions for the hotel platform: the architecture rules the proposal promises, checked
// on every `npm test`. design/model/fitness_test.ts shows each rule can fail.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  checkBoundaries,
  checkCardData,
  checkCosts,
  checkDataMasters,
  checkDeploymentViews,
  checkDerivedStores,
  checkEdgeOnly,
  checkFailureModes,
  checkLabels,
  checkMessages,
  checkOutbox,
  checkOwnership,
  checkReferences,
  checkRegionPinning,
  checkStepRules,
  checkStores,
  checkViews,
  derivePciSaq,
} from "../model/mod.ts";
import { staleFiles } from "../render/mod.ts";
import { hotelPlatform as model } from "./model.ts";
import { derived } from "./sizing.ts";

const REQUIRED = ["payments", "hotel", "guest", "search", "booking", "identity", "notifications", "ari"];

test("hotelPlatform references resolve", () => {
  assert.deepEqual(checkReferences(model), []);
});

test("hotelPlatform: every required service is present and reachable from the guest browser only through the edge", () => {
  assert.deepEqual(checkEdgeOnly(model, "guest-browser", REQUIRED), []);
  assert.deepEqual(checkEdgeOnly(model, "staff-console", []), []);
  for (const partner of ["crs", "call-centre", "payment-provider"]) assert.deepEqual(checkEdgeOnly(model, partner, []), [], partner);
  const edge = model.components.filter((c) => c.kind === "edge").map((c) => c.id);
  for (const id of ["cdn", "waf", "pool-waf", "origin-router"]) assert.ok(edge.includes(id), `the edge must include '${id}'`);
  // An ALB cannot target Cognito: sign-in reaches the user pool through its own WAF, never the ALB.
  assert.ok(!model.connections.some((c) => c.from === "alb" && c.to === "identity"));
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
  assert.deepEqual(index?.derivedFrom, ["hotel-db"]);
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
  for (const t of ["search by dates and occupancy", "view a resort", "book and pay: hold, authorise, commit, capture", "book and pay: the hold expires before the payment result", "cancel a booking and refund", "availability and rates pushed by the crs", "content edit to search in both regions"]) {
    assert.ok(titles.includes(t), t);
  }
});

test("hotelPlatform: generated docs and SVGs are up to date with the model", () => {
  const dir = fileURLToPath(new URL(".", import.meta.url));
  const stale = staleFiles(dir, model);
  assert.deepEqual(stale, [], `design/hotel-platform is out of date (${stale.join(", ")}): run \`npm run design\` and commit the result`);
});

test("hotelPlatform: the booking saga holds, authorises, commits and captures in that order, and compensates", () => {
  assert.deepEqual(checkStepRules(model), []);
  const rules = (model.stepRules ?? []).map((r) => `${r.act}${r.after ? ` after ${r.after}` : ""}${r.then ? ` then ${r.then.join("|")}` : ""}`);
  for (const rule of ["payment.capture after reservation.commit", "reservation.commit after payment.authorise", "payment.authorise after reservation.hold", "payment.authorise then payment.capture|payment.void", "reservation.rejected then payment.void|payment.refund", "payment.refund then ledger.reverse"]) {
    assert.ok(rules.includes(rule), rule);
  }
});

test("hotelPlatform: every event producer writes through an outbox drained in the writer region, and every event has a consumer", () => {
  assert.deepEqual(checkOutbox(model), []);
  assert.deepEqual(checkMessages(model), []);
  for (const store of ["hotel-db", "booking-db", "payments-db"]) assert.ok(model.stores.find((s) => s.component === store)?.outbox, store);
});

test("hotelPlatform: writes, and reads after a write in one flow, are pinned to the writer region", () => {
  assert.deepEqual(checkRegionPinning(model), []);
  for (const id of ["c-alb-booking", "c-alb-payments", "c-alb-hotel-admin", "c-alb-ari"]) assert.equal(model.connections.find((c) => c.id === id)?.routing, "writer-region", id);
});

test("hotelPlatform: the CRS is the one master of inventory and ARI the one owner of price", () => {
  assert.deepEqual(checkDataMasters(model), []);
  const master = (data: string) => model.dataMasters?.find((m) => m.data.startsWith(data))?.master;
  assert.equal(master("Room inventory"), "crs");
  assert.equal(master("Price"), "ari");
});

test("hotelPlatform: every cost line pays for components of the model, and every component we run has a cost line", () => {
  assert.deepEqual(checkCosts(model), []);
  assert.deepEqual(model.scenarios?.map((s) => s.id), ["base", "growth"]);
});

test("hotelPlatform: the deployment views draw every component placed in a region, indexers, relays and caches included", () => {
  assert.deepEqual(checkDeploymentViews(model), []);
  const drawn = model.views.filter((v) => v.level === "deployment").flatMap((v) => v.elements);
  for (const id of ["search-indexer", "hotel-outbox", "booking-outbox", "payments-outbox", "hotel-cache", "quote-cache"]) assert.ok(drawn.includes(id), id);
});

test("hotelPlatform: the primary region is in the US, where most guests are, and the secondary in another US region", () => {
  const role = (r: string) => model.regions.find((x) => x.role === r)?.id;
  assert.equal(role("primary"), "us-east-1");
  assert.equal(role("secondary"), "us-west-2");
});

// The prose and the generated tables must say what the model says. These rules are checked on the
// rendered text, so a figure copied by hand into the README or an ADR cannot drift from sizing.ts.
const README = readFileSync(fileURLToPath(new URL("README.md", import.meta.url)), "utf8");
const adr = (name: string) => readFileSync(fileURLToPath(new URL(`adr/${name}`, import.meta.url)), "utf8");

/** The text of a README section, from its heading to the next heading of the same or a higher level. */
function section(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has no heading '${heading}'`);
  const level = heading.match(/^#+/)![0].length;
  const rest = README.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`^#{1,${level}} `, "m"));
  return end < 0 ? rest : rest.slice(0, end);
}

function quoted(text: string, pattern: RegExp, what: string): number {
  const m = text.match(pattern);
  assert.ok(m, `${what}: '${pattern}' not found`);
  return Number(m[1].replace(/,/g, ""));
}

const total = (scenario: string) => model.costs!.reduce((sum, line) => sum + (line.monthly[scenario] ?? 0), 0);
const twoFigures = (x: number) => Number(x.toPrecision(2));

test("hotelPlatform: generated text names components, never their model ids", () => {
  const prose = new Set(["description", "holds", "why", "replication", "backup", "rpo", "rto", "failure", "effect", "response", "recovery", "basis", "source", "arithmetic", "text", "label", "spoofing", "tampering", "repudiation", "informationDisclosure", "denialOfService", "elevationOfPrivilege", "purpose"]);
  const strings: string[] = [];
  const walk = (value: unknown, key = ""): void => {
    if (typeof value === "string") { if (prose.has(key)) strings.push(value); return; }
    if (Array.isArray(value)) { for (const item of value) walk(item, key); return; }
    if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(model);
  const ids = model.components.map((c) => c.id).filter((id) => id.includes("-"));
  const leaks = strings.flatMap((text) => ids.filter((id) => new RegExp(`(^|[^\\w-])${id}([^\\w-]|$)`).test(text)).map((id) => `'${id}' in "${text}"`));
  assert.deepEqual(leaks, []);
});

test("hotelPlatform: Cognito MAU counts each signed-in visitor once a month", () => {
  const row = (q: string) => model.capacity!.find((r) => r.quantity.startsWith(q))!;
  const perVisitor = quoted(row("Signed-in guests").arithmetic, /sessions \/ (\d+) per visitor/, "MAU arithmetic");
  const share = quoted(model.assumptions!.find((a) => a.quantity === "Signed-in visitors")!.values.base, /([\d.]+) %/, "signed-in share") / 100;
  for (const scenario of ["base", "growth"]) {
    const sessions = Number(row("Sessions a month").values[scenario].replace(/,/g, ""));
    const mau = Number(row("Signed-in guests").values[scenario].replace(/,/g, ""));
    assert.equal(mau, Math.round((sessions / perVisitor) * share), `${scenario}: MAU must be visitors x signed-in share, no more`);
    const cognito = model.costs!.find((l) => l.item.startsWith("Cognito"))!.monthly[scenario];
    assert.equal(cognito, Math.round(Math.max(0, mau - 10_000) * 0.015), `${scenario}: Cognito line`);
  }
});

test("hotelPlatform: the executive summary, section 14.1 and ADR-0015 quote the model's figures", () => {
  const summary = section("## Executive summary");
  const base = model.scenarios!.find((s) => s.id === "base")!;
  assert.equal(quoted(summary, /\*\*USD ([\d,]+) a month\*\*/, "summary, base cost"), twoFigures(total("base")));
  assert.equal(quoted(summary, /about\s+USD ([\d,]+) a month in the growth case/, "summary, growth cost"), twoFigures(total("growth")));
  assert.equal(quoted(summary, /\(USD ([\d.]+) per web booking\)/, "summary, per booking"), Math.round((total("base") / base.bookingsPerMonth) * 100) / 100);
  assert.equal(quoted(summary, /([\d,]+) web bookings a month/, "summary, bookings"), twoFigures(base.bookingsPerMonth));
  const decisions = section("### 14.1 Decisions the numbers made");
  const fee = quoted(decisions, /Its USD ([\d,]+) monthly fee/, "14.1, Shield fee");
  assert.equal(quoted(decisions, /would be ([\d.]+) times\s+the base platform/, "14.1, Shield ratio"), Number((fee / total("base")).toFixed(1)));
  assert.match(model.costs!.find((l) => l.item === "Shield Advanced")!.basis, new RegExp(`would be ${(fee / total("base")).toFixed(1)} x the base platform`));
  const adr15 = adr("0015-costs-sized-to-the-base-case.md");
  assert.equal(quoted(adr15, /About USD ([\d,]+) a month at the base/, "ADR-0015, base"), twoFigures(total("base")));
  assert.equal(quoted(adr15, /at the base, USD ([\d,]+) in the growth case/, "ADR-0015, growth"), twoFigures(total("growth")));
});

test("hotelPlatform: the stated age of a search price is the sum of the edge and quote-cache lifetimes", () => {
  const search = model.sequences.find((s) => s.id === "seq-search")!;
  const header = search.steps.map((s) => s.text).find((t) => t.includes("Cache-Control"))!;
  const maxAge = quoted(header, /s-maxage=(\d+)/, "search page max-age");
  const stale = header.includes("stale-while-revalidate") ? quoted(header, /stale-while-revalidate=(\d+)/, "search page stale-while-revalidate") : 0;
  const quoteTtl = quoted(model.stores.find((s) => s.component === "quote-cache")!.holds, /TTL (\d+) s/, "quote cache TTL");
  const age = maxAge + stale + quoteTtl;
  assert.equal(quoted(section("## 8. Caching"), /at most (\d+) s old/, "section 8"), age);
  assert.equal(quoted(section("## Executive summary"), /at most (\d+) s old/, "executive summary"), age);
});

// Before: the summary and R8 said an edit is "searchable within 60 s (p95)", while the SLO measured
// it at the read model's write ("index time"), before the search tasks' 30 s reload, and a search
// page the edge had cached showed the old text for up to 90 s more, which no section added up.
test("hotelPlatform: an edit's time to search is measured where searches are answered, and the edge's lifetimes are added for search pages", () => {
  const index = model.sequences.find((s) => s.id === "seq-index")!;
  const target = quoted(index.description, /p95 < (\d+) s/, "freshness target");
  const reload = quoted(index.steps.at(-1)!.text, /within (\d+) s/, "search tasks' reload");
  assert.ok(reload < target, "the search tasks' reload fits in the freshness target");
  const slo = section("### 10.1 Service level objectives").split("\n").find((line) => line.startsWith("| Index freshness"))!;
  assert.match(slo, new RegExp(`p95 < ${target} s from hotel commit to the search tasks' memory`), "10.1 measures at the search tasks");
  const header = model.sequences.find((s) => s.id === "seq-search")!.steps.map((s) => s.text).find((t) => t.includes("Cache-Control"))!;
  const page = target + quoted(header, /s-maxage=(\d+)/, "max-age") + quoted(header, /stale-while-revalidate=(\d+)/, "stale-while-revalidate");
  assert.equal(quoted(section("## Executive summary"), /cached search page\s+within (\d+) s/, "executive summary"), page);
  assert.equal(quoted(section("## 8. Caching"), /cached search page\s+within (\d+) s/, "section 8"), page);
  assert.match(model.requirements!.find((r) => r.id === "R8")!.text, new RegExp(`within ${target} s \\(p95\\).*${page} s`), "R8");
});

// Before: CRS pushes are pinned to the writer region, so those a failover lost (the unreplicated
// second) or the paused region refused (the switchover's maintenance page, the outage itself) left
// ARI's availability and rates wrong until the nightly full read, up to a day; neither runbook
// repaired them, and the switchover said "nothing to repair".
test("hotelPlatform: both region runbooks repair ARI with a full read, since CRS pushes reach the writer region only", () => {
  const ariDb = model.stores.find((s) => s.component === "ari-db")!;
  assert.match(ariDb.rpo, /full read .*(switchover|failover)/, "the ARI DB's RPO says how a region change repairs it");
  const dr = section("## 12. Disaster recovery (point 10)");
  const row = (name: string) => dr.split("\n").find((line) => line.startsWith(`| ${name} |`))!;
  const [, switchover, failover] = row("order").split(" | ");
  assert.match(switchover, /full ARI read/, "switchover order");
  assert.match(failover, /full ARI read/, "failover order");
  assert.doesNotMatch(row("after"), /nothing to repair/, "the switchover has ARI to repair");
  const regionLost = model.failureModes.find((f) => f.failure === "the primary region is lost")!;
  assert.match(regionLost.recovery, /full ARI read/, "failure table");
});

// Before: an abandoned checkout's intent stayed PENDING for good (the expired session was cancelled
// at the PSP, the intent never moved), and "payments pending > 15 min" paged on it, and on every
// guest still inside a 20-minute hold (the late-payment flow's own 25-minute 3-D Secure challenge).
// Likewise "a HELD booking past its expiry" paged on every expired hold in the minute before the
// sweeper's next run.
test("hotelPlatform: an expired session ends its intent, and no alert on PENDING intents or HELD bookings fires in normal operation", () => {
  const holdMinutes = quoted(model.sequences.find((s) => s.id === "seq-book")!.steps.map((s) => s.text).find((t) => t.includes("HoldDuration"))!, /HoldDuration=PT(\d+)M/, "hold");
  const late = model.sequences.find((s) => s.id === "seq-book-late")!.steps;
  const cancelled = late.findIndex((s) => /cancel the session/.test(s.text));
  assert.ok(cancelled > 0, "the late flow cancels the session");
  assert.match(late[cancelled + 1].text, /intent EXPIRED/, "the cancelled session's intent leaves PENDING");
  const texts = [section("### 10.2 Alerts (multi-window, multi-burn-rate)"), ...model.failureModes.map((f) => f.response)];
  for (const text of texts) {
    for (const m of text.matchAll(/pending\s*(?:&gt;|>)\s*(\d+)\s*min/gi)) {
      assert.ok(Number(m[1]) > holdMinutes, `'${m[0]}' fires while a ${holdMinutes}-minute hold still runs`);
    }
    for (const m of text.matchAll(/HELD bookings? (?:(\d+) min )?past (?:its )?expiry/g)) {
      assert.ok(Number(m[1] ?? 0) > 1, `'${m[0]}' fires before the sweeper's next run (every minute)`);
    }
  }
});

// Before: section 3.5 refunded "the captured intent" only, but a booking can be CONFIRMED and not yet
// captured (the capture retried for up to 24 h, or BookingCancelled overtaking BookingConfirmed on
// an unordered bus), and a refund of an uncaptured payment fails at the PSP: the cancellation had no
// path to give the money back, and a late BookingConfirmed could still capture a cancelled stay.
test("hotelPlatform: a cancellation before the capture voids the authorisation, and no capture follows it", () => {
  const cancel = section("### 3.5 Cancel a booking and refund (point 4)");
  assert.match(cancel, /not\s+(yet\s+)?captured[^.]*\bvoids?\b/i, "3.5: an uncaptured authorisation is voided, not refunded");
  assert.match(cancel, /BookingConfirmed[^.]*after[^.]*(cancel|BookingCancelled)[^.]*no capture|no capture[^.]*BookingConfirmed/i, "3.5: a late BookingConfirmed captures nothing");
});

// Before: section 13 said "a few sessions a second and a booking every few minutes at peak", while the
// capacity table it sums up gives 0.8 sessions a second and a booking every 81 s at the base peak.
test("hotelPlatform: section 13's summary of the peak quotes the capacity table", () => {
  const text = section("## 13. Capacity estimate (point 1; generated)");
  const quotes = [...text.matchAll(/a booking about every (\d+) s/g)].map((m) => Number(m[1]));
  assert.equal(quotes.length, 2, "one interval per scenario");
  for (const [i, scenario] of (["base", "growth"] as const).entries()) {
    const seconds = 1 / derived[scenario].bookingsPeak;
    assert.ok(Math.abs(quotes[i] - seconds) / seconds < 0.05, `${scenario}: ${quotes[i]} s quoted, ${seconds.toFixed(0)} s computed`);
  }
  assert.match(text, /under one session a second[^.]*two sessions a second/);
  assert.ok(derived.base.peakSessionsSecond < 1 && Math.round(derived.growth.peakSessionsSecond) === 2);
});

test("hotelPlatform: section 15's bill for phases 0 to 2 is the sum of the lines it names", () => {
  const plan = section("## 15. Migration plan (strangler fig; point 6)");
  const early = ["Security", "NAT gateways", "CloudWatch", "CloudFront", "AWS WAF", "Route 53", "S3"];
  const lines = early.map((prefix) => model.costs!.find((l) => l.item.startsWith(prefix))!);
  assert.equal(lines.filter(Boolean).length, early.length, "every line named exists");
  const sum = lines.reduce((s, l) => s + l.monthly.base, 0);
  assert.equal(quoted(plan, /Phases 0 to 2 pay[^:]*:\s+about USD ([\d,]+) a month/, "15, early phases"), twoFigures(sum));
});

// Before: both booking flows called the CRS's Initiate first and inserted the booking, with its
// Idempotency-Key, only after the hold came back. Two submits of one checkout (a double click, a retry
// after a timeout) both passed before either row existed and held two rooms at the CRS; a crash
// between the hold and the insert left a hold no row named, which the sweeper could not release and a
// retry could not find (the booking id, the CRS UniqueID, was new each time).
test("hotelPlatform: the booking row and its Idempotency-Key are written before the CRS hold, which the sweeper can then release", () => {
  for (const id of ["seq-book", "seq-book-late"]) {
    const steps = model.sequences.find((s) => s.id === id)!.steps;
    const hold = steps.findIndex((s) => s.kind === "call" && s.act === "reservation.hold");
    const insert = steps.findIndex((s) => s.kind === "call" && s.via === "c-booking-db" && s.access === "write" && /INSERT booking/.test(s.text));
    assert.ok(insert >= 0 && insert < hold, `${id}: the booking is inserted (step ${insert}) before the hold (step ${hold})`);
    assert.match(steps[insert].text, /idempotency key/i, `${id}: the insert carries the Idempotency-Key`);
  }
  assert.match(section("### 3.9 Payments: idempotency, reconciliation, disputes (point 4)"), /before[^.]*Initiate/, "3.9 says the row comes first");
  assert.match(section("### 3.4 When the hold expires before the payment result"), /HOLDING/, "3.4: the sweeper releases holds whose answer never came");
});

// Before: the cross-Region rule forwarded HotelChanged from us-east-1's bus to us-west-2's only. After a
// switchover the relays publish in us-west-2, and us-east-1, which still serves reads, got no content
// edit until a reindex: its search read model went stale while its freshness SLO counted on events.
test("hotelPlatform: both region runbooks move the HotelChanged forwarding rule with the relays", () => {
  const dr = section("## 12. Disaster recovery (point 10)");
  const [, switchover, failover] = dr.split("\n").find((line) => line.startsWith("| order |"))!.split(" | ");
  assert.match(switchover, /forwarding rule/, "switchover order");
  assert.match(failover, /forwarding rule/, "failover order");
});

// Before: the failover runbook said the reconciliation finds "PSP authorisations without an intent"
// (an intent lost with the unreplicated second), but section 3.9's jobs compared only the PSP's
// settlement report (captures, refunds, fees), intents with bookings, and bookings with the CRS: an
// authorisation whose intent was lost was compared by no job and stayed on the guest's card.
test("hotelPlatform: every reconciliation the failover runbook counts on is one of section 3.9's jobs", () => {
  const dr = section("## 12. Disaster recovery (point 10)");
  const after = dr.split("\n").find((line) => line.startsWith("| after |"))!;
  const jobs = after.match(/reconciliation jobs \(([^)]*)\)/)![1].split(/, /);
  const table = section("### 3.9 Payments: idempotency, reconciliation, disputes (point 4)").split("\n").filter((line) => line.includes("↔"));
  for (const job of jobs) {
    const [left, right] = job.split(/ without an? /);
    const side = (text: string) => text.split(" ").at(-1)!.replace(/s$/, "");
    assert.ok(table.some((row) => row.split(" | ")[0].includes(side(left)) && row.split(" | ")[0].includes(side(right))), `3.9 has no job comparing ${left} with ${right}s`);
  }
});

// Before: the runbooks started the relays and the saga's consumers in the new writer region, but not
// the hold sweeper, which the model also runs in the writer region only: after a region change no
// expired hold was released or its booking expired, and the HELD-past-expiry alarm paged until someone
// noticed.
test("hotelPlatform: both region runbooks start every job that runs in the writer region only", () => {
  const writerOnly = model.components.filter((c) => c.kind === "job" && c.regions?.length === 1);
  assert.ok(writerOnly.length >= 4, "the relays and the sweeper run in the writer region only");
  const dr = section("## 12. Disaster recovery (point 10)");
  const [, switchover, failover] = dr.split("\n").find((line) => line.startsWith("| order |"))!.split(" | ");
  for (const job of writerOnly) {
    const word = job.name.split(" ").at(-1)!.toLowerCase();
    assert.match(switchover, new RegExp(word), `switchover order starts the ${job.name}`);
    assert.match(failover, new RegExp(word), `failover order starts the ${job.name}`);
  }
});

// Before: R11 promised RPO <= 1 min, and section 12 said nothing bounded an unplanned failover's loss
// (`rds.global_db_rpo` was named and not set): a replication lag of minutes lost minutes of bookings.
test("hotelPlatform: R11's RPO bound is what the stores it names promise, and section 12 sets it", () => {
  const r11 = model.requirements!.find((r) => r.id === "R11")!;
  const bound = Number(/RPO <= (\d+) min/.exec(r11.text)?.[1]) * 60;
  assert.ok(bound > 0, "R11 states an RPO in minutes");
  for (const id of r11.components) {
    const store = model.stores.find((s) => s.component === id);
    if (!store?.replication.startsWith("Aurora")) continue;
    const seconds = Number(/at most (\d+) s/.exec(store.rpo)?.[1]);
    assert.ok(seconds > 0 && seconds <= bound, `${id}: its RPO (${store.rpo}) is bounded within R11's ${bound} s`);
  }
  const dr = section("## 12. Disaster recovery (point 10)");
  assert.match(dr, /`rds\.global_db_rpo` = 60/, "section 12 sets the bound on the global clusters");
  assert.doesNotMatch(dr, /Nothing bounds it/);
});

// Before: section 9.3 said export and delete (LFPDPPP ARCO, GDPR articles 15 and 17, CCPA) reached
// only guest services' own stores; the bookings, payments, sent e-mails, both user pools, backups,
// logs, the warehouse, the CRS and the PSP kept a guest's data after an erasure, and nothing said
// what the law makes us keep or how long a request may take.
test("hotelPlatform: a privacy request reaches every store and system holding a guest's personal data, and says what each does", () => {
  const text = section("### 9.4 Privacy requests: access, export and erasure");
  const rows = text.split("\n").filter((line) => line.startsWith("| ") && !line.startsWith("| where"));
  const cells = (name: string) => rows.find((line) => line.split(" | ")[0].includes(name))?.split(" | ");
  const byId = new Map(model.components.map((x) => [x.id, x]));
  const ours = (id: string) => !["client", "external"].includes(byId.get(id)!.kind);
  const personal = model.stores.filter((s) => s.data.includes("personal")).map((s) => s.component);
  assert.ok(personal.length >= 5, "the guest, booking, payments, identity and notification stores hold personal data");
  const outside = [...new Set(model.connections.filter((x) => ours(x.from) && !ours(x.to) && x.data.includes("personal")).map((x) => x.to))];
  for (const id of ["crs", "payment-provider", "data-warehouse"]) assert.ok(outside.includes(id), `our services send personal data to '${id}'`);
  for (const id of [...personal, ...outside]) {
    const row = cells(byId.get(id)!.name);
    assert.ok(row, `9.4 has no row for ${byId.get(id)!.name}`);
    assert.match(row.slice(1).join(" | "), /delet|remov|pseudonymis|anonymis|expire|kept/i, `9.4 says what ${byId.get(id)!.name} does on erasure`);
  }
  for (const name of ["Backups", "Logs"]) assert.ok(cells(name), `9.4 has no row for ${name}`);
  assert.match(text, /one month/, "GDPR deadline");
  assert.match(text, /20 business days/, "LFPDPPP deadline");
  assert.match(text, /restor[^.]*erasure list[^.]*before[^.]*serv/i, "a restored backup replays the erasure list before it serves");
  assert.match(text, /5 years/, "how long bookings and the ledger are kept for tax");
  // The flow reaches every owner and the outside systems it erases at, over model connections.
  const flow = model.sequences.find((s) => s.id === "seq-privacy");
  assert.ok(flow, "a privacy-request sequence exists");
  const reached = new Set(flow.steps.flatMap((s) => (s.kind === "note" ? [] : [model.connections.find((x) => x.id === s.via)!.to])));
  for (const id of [...personal, "crs", "payment-provider", "data-warehouse"]) assert.ok(reached.has(id), `the privacy flow never reaches '${id}'`);
  assert.doesNotMatch(section("### 4.3 Guest services: what they are here"), /not modelled yet/, "4.3's privacy row");
  assert.doesNotMatch(section("### 9.3 Encryption, secrets, least privilege"), /Not modelled yet/, "9.3");
});
