// Sizing for the client: a resort group of about 20 properties in Mexico and the Caribbean. Every
// capacity row and the traffic-driven cost lines are computed here from the assumptions, so changing
// one input changes every table that depends on it.
import type { Assumption, CostLine, Estimate, Scenario } from "../model/mod.ts";

interface Inputs {
  properties: number;
  countries: number;
  rooms: number;
  occupancy: number;
  nightsPerStay: number;
  webShare: number;
  conversion: number;
  signedInShare: number;
}

const INPUTS: Record<"base" | "growth", Inputs> = {
  base: { properties: 20, countries: 6, rooms: 5_000, occupancy: 0.74, nightsPerStay: 5, webShare: 0.3, conversion: 0.015, signedInShare: 0.05 },
  growth: { properties: 35, countries: 8, rooms: 9_000, occupancy: 0.74, nightsPerStay: 5, webShare: 0.4, conversion: 0.015, signedInShare: 0.05 },
};

// Shape of a session and of the busiest hour; the same in both cases.
const PEAK_SEASON = 2; // the busiest weeks double the daily average (US winter and spring break)
const PEAK_HOUR = 0.1; // the busiest hour carries 10 % of a day
const REQUESTS_PER_SESSION = 60;
const MB_PER_SESSION = 3;
const DYNAMIC_SHARE = 0.3; // pages and API calls; the rest are assets and photos
const SEARCHES_PER_SESSION = 4;
const LANGUAGES = 6;
const SESSIONS_PER_VISITOR = 2; // sessions one visitor makes in a month (returns before booking)

function derive(i: Inputs) {
  const roomNights = i.rooms * 365 * i.occupancy;
  const stays = roomNights / i.nightsPerStay;
  const webBookingsYear = stays * i.webShare;
  const bookingsDay = webBookingsYear / 365;
  const sessionsMonth = webBookingsYear / i.conversion / 12;
  const sessionsDay = sessionsMonth / 30;
  const peakSessionsHour = sessionsDay * PEAK_SEASON * PEAK_HOUR;
  const peakSessionsSecond = peakSessionsHour / 3600;
  const searchCalls = peakSessionsSecond * SEARCHES_PER_SESSION * 3;
  const bookingsPeak = (bookingsDay * PEAK_SEASON * PEAK_HOUR) / 3600;
  const requestsMonth = sessionsMonth * REQUESTS_PER_SESSION;
  const egressTb = (sessionsMonth * MB_PER_SESSION) / 1e6;
  // Cognito bills unique users a month: a visitor who comes back twice in a month is one MAU.
  const visitorsMonth = sessionsMonth / SESSIONS_PER_VISITOR;
  const mau = visitorsMonth * i.signedInShare;
  return { roomNights, stays, webBookingsYear, bookingsDay, sessionsMonth, sessionsDay, peakSessionsHour, peakSessionsSecond, searchCalls, bookingsPeak, requestsMonth, egressTb, visitorsMonth, mau };
}

const BASE = derive(INPUTS.base);
const GROWTH = derive(INPUTS.growth);

/** The derived quantities per scenario, for tests that hold the prose to the model. */
export const derived = { base: BASE, growth: GROWTH, inputs: INPUTS, sessionsPerVisitor: SESSIONS_PER_VISITOR } as const;

function n(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function both(f: (d: ReturnType<typeof derive>, i: Inputs) => string): Record<string, string> {
  return { base: f(BASE, INPUTS.base), growth: f(GROWTH, INPUTS.growth) };
}

export const scenarios: Scenario[] = [
  { id: "base", name: "Base: 20 resorts", bookingsPerMonth: Math.round(BASE.webBookingsYear / 12) },
  { id: "growth", name: "Growth: 35 resorts", bookingsPerMonth: Math.round(GROWTH.webBookingsYear / 12) },
];

export const assumptions: Assumption[] = [
  { quantity: "Resorts, countries", values: both((_, i) => `${i.properties} in ${i.countries}`), source: "The brief (about 20 properties in about 6 countries). Comparable public groups: Sandals, 18 resorts in 8 Caribbean countries (2023); Playa Hotels & Resorts, 23-24 resorts in Mexico, the Dominican Republic and Jamaica (2024-25, before its sale to Hyatt)." },
  { quantity: "Rooms", values: both((_, i) => n(i.rooms)), source: "The brief (a few thousand rooms): 250 rooms per resort. Cancún's hotels average 201 rooms (Asociación de Hoteles de Cancún via mexicanist.com); all-inclusive resorts run larger (Hyatt Ziva & Zilara Cap Cana: 750)." },
  { quantity: "Occupancy", values: both((_, i) => `${n(i.occupancy * 100)} %`), source: "Playa Hotels & Resorts, Q4 2024 results: 74.0 % (press release, 25 Feb 2025); Mexican Caribbean weekly average 72.3 % (rivieramayanews.mx)." },
  { quantity: "Nights per stay", values: both((_, i) => n(i.nightsPerStay)), source: "Quintana Roo tourism office via expreso.info: 4.6 nights in Cancún, 6.4 in the Riviera Maya; Mastercard destination index: 6.1 nights (cancunherald.com)." },
  { quantity: "Guests from the US", values: both(() => "about 2 in 3"), source: "Playa, Q1 2022 earnings call: 67 % of managed room nights sourced from the US. Drives the choice of US regions (section 2.11)." },
  { quantity: "Share of stays booked on our website", values: both((_, i) => `${n(i.webShare * 100)} %`), source: "Playa booked 42.4 % of managed room nights directly in Q1 2022 (website and call centre) and aimed at 50 %; we assume the website alone takes 30 %, 40 % in the growth case." },
  { quantity: "Sessions that book", values: both((_, i) => `${n(i.conversion * 100, 1)} %`), source: "Hotel websites convert about 2.2 % of sessions (Fastbooking via tnooz.com; hotelariadigital.de); five-star sites about half of three- and four-star ones (Hotelchamp): 1.5 % assumed." },
  { quantity: "Signed-in visitors", values: both((_, i) => `${n(i.signedInShare * 100)} %`), source: "Assumption: most guests book without an account; drives the Cognito bill (to be measured in phase 4)." },
  { quantity: "Session shape", values: both(() => `${REQUESTS_PER_SESSION} requests, ${MB_PER_SESSION} MB, ${SEARCHES_PER_SESSION} searches`), source: "Assumption kept from the first pass; measure with CloudWatch RUM in phase 1 and replace." },
  { quantity: "Peaks", values: both(() => `season x${PEAK_SEASON}, busiest hour ${n(PEAK_HOUR * 100)} % of a day`), source: "Assumption: US winter and spring-break demand (Mexican Caribbean occupancy peaks in March and April, mexicanist.com)." },
];

export const capacity: Estimate[] = [
  { quantity: "Room-nights a year", arithmetic: "rooms x 365 x occupancy", values: both((d) => n(d.roomNights)) },
  { quantity: "Stays a year", arithmetic: "room-nights / nights per stay", values: both((d) => n(d.stays)) },
  { quantity: "Web bookings a year", arithmetic: "stays x website share", values: both((d) => n(d.webBookingsYear)) },
  { quantity: "Web bookings a day (average)", arithmetic: "web bookings / 365", values: both((d) => n(d.bookingsDay)) },
  { quantity: "Sessions a month", arithmetic: "web bookings / conversion / 12", values: both((d) => n(d.sessionsMonth)) },
  { quantity: "Sessions in the peak hour", arithmetic: `sessions a month / 30 x ${PEAK_SEASON} x ${PEAK_HOUR}`, values: both((d) => n(d.peakSessionsHour)) },
  { quantity: "Sessions a second at peak", arithmetic: "peak hour / 3,600", values: both((d) => n(d.peakSessionsSecond, 1)) },
  { quantity: "Search API calls a second at peak", arithmetic: `sessions/s x ${SEARCHES_PER_SESSION} searches x 3 calls (filters, paging)`, values: both((d) => n(d.searchCalls, 1)) },
  { quantity: "Search design capacity", arithmetic: "x 10 for campaigns and bots", values: both((d) => `${n(Math.ceil(d.searchCalls * 10))} /s (2 tasks per region at ~200 req/s each)`) },
  { quantity: "Bookings a second at peak", arithmetic: `bookings a day x ${PEAK_SEASON} x ${PEAK_HOUR} / 3,600`, values: both((d) => `${n(d.bookingsPeak, 3)} /s; design for 5 /s (flash sale)`) },
  { quantity: "CDN requests a month", arithmetic: `sessions x ${REQUESTS_PER_SESSION}`, values: both((d) => `${n(d.requestsMonth / 1e6, 1)} M`) },
  { quantity: "CDN egress a month", arithmetic: `sessions x ${MB_PER_SESSION} MB`, values: both((d) => `${n(d.egressTb, 2)} TB`) },
  { quantity: "Signed-in guests a month (Cognito MAU)", arithmetic: `sessions / ${SESSIONS_PER_VISITOR} per visitor x signed-in share (a returning visitor is one MAU)`, values: both((d) => n(d.mau)) },
  { quantity: "Booking DB growth", arithmetic: "web bookings x 5 KB", values: both((d) => `${n((d.webBookingsYear * 5) / 1e6, 1)} GB a year`) },
  { quantity: "Payments ledger growth", arithmetic: "web bookings x 4 entries x 1 KB", values: both((d) => `${n((d.webBookingsYear * 4) / 1e6, 1)} GB a year`) },
  { quantity: "ARI rows", arithmetic: "resorts x 10 room types x 400 days x 8 rate plans", values: both((_, i) => n(i.properties * 10 * 400 * 8)) },
  { quantity: "Search read model", arithmetic: `resorts x ${LANGUAGES} languages x 20 KB`, values: both((_, i) => `${n((i.properties * LANGUAGES * 20) / 1000, 1)} MB (fits in every task's memory)`) },
  { quantity: "Photos", arithmetic: "resorts x 60 photos x 6.5 MB (original + renditions)", values: both((_, i) => `${n((i.properties * 60 * 6.5) / 1000, 1)} GB`) },
];

// Traffic-driven lines follow the sessions above (us-east-1 list prices, USD).
function cloudfront(d: ReturnType<typeof derive>): number {
  const egress = Math.max(0, d.egressTb - 1) * 1000 * 0.085; // first 1 TB free
  const requests = (Math.max(0, d.requestsMonth - 10e6) / 1e4) * 0.01; // first 10 M free
  const functions = (Math.max(0, d.requestsMonth * DYNAMIC_SHARE - 2e6) / 1e6) * 0.1;
  return Math.round(egress + requests + functions + 1);
}

function waf(d: ReturnType<typeof derive>): number {
  const acls = 2 * 5 + 14; // two web ACLs and their rules
  const inspected = (d.requestsMonth / 1e6) * 0.6;
  const botCommon = 10 + (Math.max(0, d.requestsMonth * DYNAMIC_SHARE - 10e6) / 1e6) * 1; // scoped to dynamic paths
  const botTargeted = 10 + (d.requestsMonth * 0.01 / 1e6) * 10; // checkout and sign-in only
  return Math.round(acls + inspected + botCommon + botTargeted);
}

function cognito(d: ReturnType<typeof derive>): number {
  return Math.round(Math.max(0, d.mau - 10_000) * 0.015);
}

export const costs: CostLine[] = [
  { item: "CloudFront (egress, requests) and the origin-router function", components: ["cdn", "origin-router"], monthly: { base: cloudfront(BASE), growth: cloudfront(GROWTH) }, basis: "USD 0.085/GB after the free 1 TB, USD 0.01 per 10,000 requests after 10 M, CloudFront Functions USD 0.10 per million" },
  { item: "AWS WAF: CloudFront and user-pool web ACLs, Bot Control", components: ["waf", "pool-waf"], monthly: { base: waf(BASE), growth: waf(GROWTH) }, basis: "USD 5 per web ACL, USD 1 per rule, USD 0.60 per million requests; Bot Control common on dynamic paths, targeted on checkout and sign-in" },
  { item: "Shield Advanced", components: [], monthly: { base: 0, growth: 0 }, basis: "" /* set below from the base total */ },
  { item: "Route 53: zone, latency and failover records, health checks", components: ["dns"], monthly: { base: 10, growth: 12 }, basis: "5 health checks (one is the writer switch), a few million queries" },
  { item: "Application Load Balancers (one per region)", components: ["alb"], monthly: { base: 45, growth: 70 }, basis: "USD 16.40 a month each plus LCUs" },
  { item: "ECS Fargate (Graviton): 7 services, 3 outbox relays", components: ["web", "search", "hotel", "ari", "guest", "booking", "payments", "hotel-outbox", "booking-outbox", "payments-outbox"], monthly: { base: 400, growth: 890 }, basis: "base: 26 tasks of 0.5 vCPU / 1 GB (2 per service in us-east-1, 2 per read service and 1 each for booking and payments in us-west-2) + 3 relay tasks of 0.25 vCPU; growth: 60 tasks" },
  { item: "Lambda: indexers, notifications, sweeper, Cognito trigger", components: ["search-indexer", "notifications", "booking-sweeper"], monthly: { base: 5, growth: 12 }, basis: "under a million invocations a month" },
  { item: "Aurora PostgreSQL Global Database (Serverless v2)", components: ["hotel-db", "ari-db", "booking-db", "payments-db"], monthly: { base: 550, growth: 1350 }, basis: "base: one cluster, four databases with a role each; writer + reader in us-east-1, reader in us-west-2, ~2 ACU each at USD 0.12/ACU-h; growth: content/ARI and booking/payments clusters" },
  { item: "RDS Proxy", components: ["booking-db", "payments-db"], monthly: { base: 0, growth: 175 }, basis: "base: none (pools of 5 per task, relays are single tasks); growth: one proxy per cluster in the writer region, 8 ACU minimum at USD 0.015/ACU-h" },
  { item: "DynamoDB: guest and notification global tables, search read model per region", components: ["guest-db", "notification-log", "search-index"], monthly: { base: 15, growth: 35 }, basis: "on demand, PITR" },
  { item: "ElastiCache Serverless (Valkey): content and quote caches in both regions", components: ["hotel-cache", "quote-cache"], monthly: { base: 32, growth: 60 }, basis: "4 caches near the 100 MB minimum" },
  { item: "S3: photos, assets, logs, Cross-Region Replication", components: ["photo-bucket", "web-assets"], monthly: { base: 10, growth: 20 }, basis: "tens of GB" },
  { item: "EventBridge, SQS, Firehose to the data warehouse", components: ["event-bus"], monthly: { base: 5, growth: 10 }, basis: "well under a million events" },
  { item: "Cognito Essentials (active pool; the standby pool holds imported users)", components: ["identity", "identity-store"], monthly: { base: cognito(BASE), growth: cognito(GROWTH) }, basis: "USD 0.015 per MAU above the free 10,000" },
  { item: "SES", components: ["email"], monthly: { base: 2, growth: 5 }, basis: "3 e-mails per booking" },
  { item: "Amazon Location (maps)", components: ["maps"], monthly: { base: 40, growth: 95 }, basis: "a map on 10 % of sessions" },
  { item: "CloudWatch, X-Ray, RUM", components: [], monthly: { base: 120, growth: 260 }, basis: "platform-wide telemetry; RUM sampled at 10 %" },
  { item: "NAT gateways (one per AZ, 3 + 3) and data processing", components: [], monthly: { base: 200, growth: 215 }, basis: "network for every task and function: USD 0.045/h each + USD 0.045/GB" },
  { item: "VPC interface endpoints", components: [], monthly: { base: 0, growth: 350 }, basis: "base: none, AWS API calls go through NAT (S3 and DynamoDB use free gateway endpoints); 8 endpoints x 3 AZ x 2 regions at USD 7.30 would cost 350, several times the first pass's whole network line" },
  { item: "Security: KMS, Secrets Manager, GuardDuty, Security Hub, CloudTrail, Config, backup copies", components: [], monthly: { base: 150, growth: 250 }, basis: "platform-wide controls in every account" },
];

/** Monthly total of a scenario, as the cost table sums it. */
export function monthlyTotal(scenario: "base" | "growth"): number {
  return costs.reduce((sum, line) => sum + (line.monthly[scenario] ?? 0), 0);
}

// Shield Advanced's fee compared with the platform it would protect (section 14.1 quotes the same ratio).
const SHIELD_ADVANCED_MONTHLY = 3_000;
export const shieldAdvancedRatio = (SHIELD_ADVANCED_MONTHLY / monthlyTotal("base")).toFixed(1);
costs.find((line) => line.item === "Shield Advanced")!.basis = `Not subscribed: USD ${n(SHIELD_ADVANCED_MONTHLY)} a month on a one-year commitment would be ${shieldAdvancedRatio} x the base platform; Shield Standard, WAF rate rules and CloudFront absorb volumetric attacks (section 14.1)`;
