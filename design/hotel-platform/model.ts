// The hotel booking platform on AWS, defined once. README diagrams, tables and SVGs are rendered
// from this file by `npm run design`; model_test.ts holds the architecture rules it must obey.
import type { Boundary, Component, FailureMode, Connection, Model, Sequence, Step, StoreSpec } from "../model/mod.ts";

const EU = "eu-west-1";
const US = "us-east-1";
const BOTH = [EU, US];

function call(via: string, text: string): Step {
  return { kind: "call", via, text };
}
function reply(via: string, text: string): Step {
  return { kind: "reply", via, text };
}
function note(over: string[], text: string): Step {
  return { kind: "note", over, text };
}

const components: Component[] = [
  // Internet: clients and the guest's side of every interaction.
  { id: "guest-browser", name: "Guest browser", kind: "client", zone: "internet", regions: ["internet"], tech: "Web / mobile web", description: "International guests searching, viewing and booking hotels." },
  { id: "staff-console", name: "Hotel staff console", kind: "client", zone: "internet", regions: ["internet"], tech: "Browser, SSO", description: "Hotel staff editing hotel content, photos and prices." },
  // Edge: the only door from the internet into our VPCs.
  { id: "dns", name: "DNS", kind: "edge", zone: "edge", regions: ["global"], tech: "Amazon Route 53", description: "Latency-based records with health checks for the API origins." },
  { id: "waf", name: "WAF + DDoS protection", kind: "edge", zone: "edge", regions: ["global"], tech: "AWS WAF, AWS Shield Advanced", description: "Managed rule sets, rate limits, bot control and L3-L7 DDoS protection at the CloudFront edge." },
  { id: "cdn", name: "CDN", kind: "edge", zone: "edge", regions: ["global"], tech: "Amazon CloudFront", description: "Caches pages, assets and photos at 600+ edge locations; routes dynamic calls to the nearest healthy region." },
  { id: "alb", name: "Regional load balancer", kind: "edge", zone: "edge", regions: BOTH, tech: "Application Load Balancer", description: "Accepts only CloudFront (origin secret header + managed prefix list); path routing to services." },
  // Application: our services, one team and one data store each.
  { id: "web", name: "Web front end", kind: "service", zone: "app", regions: BOTH, tech: "Next.js SSR on ECS Fargate", description: "Server-renders search and hotel pages for fast LCP and SEO." },
  { id: "search", name: "Search service", kind: "service", zone: "app", regions: BOTH, tech: "ECS Fargate (Node.js)", description: "Search across properties: text, geo, dates, filters, ranking." },
  { id: "search-indexer", name: "Search indexer", kind: "job", service: "search", zone: "app", regions: BOTH, tech: "AWS Lambda (SQS trigger)", description: "Turns hotel and availability events into index documents." },
  { id: "hotel", name: "Hotel display service", kind: "service", zone: "app", regions: BOTH, tech: "ECS Fargate (Node.js)", description: "Hotel data, photos and location: the source of truth for hotel content." },
  { id: "hotel-outbox", name: "Hotel outbox relay", kind: "job", service: "hotel", zone: "app", regions: BOTH, tech: "AWS Lambda (scheduled, 1 s loop)", description: "Publishes committed outbox rows as HotelChanged events (transactional outbox)." },
  { id: "guest", name: "Guest services", kind: "service", zone: "app", regions: BOTH, tech: "ECS Fargate (Node.js)", description: "Favourites, recently viewed, profiles and trip history." },
  { id: "booking", name: "Booking service", kind: "service", zone: "app", regions: BOTH, tech: "ECS Fargate (Node.js)", description: "Room holds, reservations, cancellations; talks to the hotels' PMS." },
  { id: "payments", name: "Payments service", kind: "service", zone: "app", regions: BOTH, tech: "ECS Fargate (Node.js)", description: "Payment sessions, authorise/capture/refund by token; never sees card numbers." },
  { id: "identity", name: "Identity", kind: "service", zone: "app", regions: BOTH, tech: "Amazon Cognito (hosted UI, OIDC)", description: "Guest sign-in (email OTP, passkeys, social), staff via SAML SSO; issues JWTs." },
  { id: "notifications", name: "Notifications service", kind: "service", zone: "app", regions: BOTH, tech: "AWS Lambda", description: "Booking confirmations and reminders by e-mail." },
  { id: "event-bus", name: "Event bus", kind: "queue", zone: "app", regions: BOTH, tech: "Amazon EventBridge + SQS per consumer", description: "Domain events between services; archive and replay; global endpoint fails over." },
  // Data: each store owned by exactly one service.
  { id: "web-assets", name: "Static assets", kind: "object-store", zone: "data", regions: BOTH, tech: "Amazon S3", description: "Versioned JS/CSS bundles deployed by CI." },
  { id: "hotel-db", name: "Hotel DB", kind: "datastore", zone: "data", regions: BOTH, tech: "Aurora PostgreSQL Global Database", description: "Hotels, rooms, amenities, descriptions, geo points, outbox." },
  { id: "hotel-cache", name: "Hotel cache", kind: "cache", zone: "data", regions: BOTH, tech: "ElastiCache for Redis (Valkey)", description: "Read-through cache of hotel pages' data." },
  { id: "photo-bucket", name: "Hotel photos", kind: "object-store", zone: "data", regions: BOTH, tech: "Amazon S3 (CRR) + image resizing", description: "Originals and resized renditions served through the CDN." },
  { id: "search-index", name: "Search index", kind: "search-index", zone: "data", regions: BOTH, tech: "Amazon OpenSearch Service", description: "Denormalised hotel documents with geo and availability summary." },
  { id: "search-cache", name: "Search cache", kind: "cache", zone: "data", regions: BOTH, tech: "ElastiCache for Redis (Valkey)", description: "Results of popular queries for 60 s." },
  { id: "guest-db", name: "Guest DB", kind: "datastore", zone: "data", regions: BOTH, tech: "DynamoDB global tables", description: "Profiles, favourites, recently viewed, trip history." },
  { id: "booking-db", name: "Booking DB", kind: "datastore", zone: "data", regions: BOTH, tech: "Aurora PostgreSQL Global Database", description: "Holds, reservations, inventory counters, outbox." },
  { id: "payments-db", name: "Payments DB", kind: "datastore", zone: "data", regions: BOTH, tech: "Aurora PostgreSQL Global Database", description: "Payment intents, provider tokens, ledger entries. No card numbers." },
  { id: "identity-store", name: "User directory", kind: "datastore", zone: "data", regions: BOTH, tech: "Cognito user pools", description: "Guest and staff identities, MFA settings." },
  { id: "notification-log", name: "Notification log", kind: "datastore", zone: "data", regions: BOTH, tech: "DynamoDB (TTL 400 days)", description: "What was sent to whom, for idempotency and support." },
  // Third parties and the current system.
  { id: "payment-provider", name: "Payment provider", kind: "external", zone: "providers", regions: ["internet"], tech: "PCI DSS Level 1 PSP (e.g. Adyen, Stripe)", description: "Hosted card fields, tokenisation, 3-D Secure, authorisation, payouts." },
  { id: "maps", name: "Maps", kind: "external", zone: "providers", regions: ["internet"], tech: "Amazon Location Service", description: "Map tiles in the browser; geocoding for hotel addresses." },
  { id: "email", name: "E-mail delivery", kind: "external", zone: "providers", regions: ["internet"], tech: "Amazon SES", description: "Sends transactional e-mail with DKIM/SPF/DMARC." },
  { id: "pms", name: "Hotels' PMS / channel manager", kind: "external", zone: "providers", regions: ["internet"], tech: "Existing PMS APIs (OTA/REST)", description: "Rates, availability and reservations for each property." },
  { id: "legacy-site", name: "Current website", kind: "external", zone: "legacy", regions: ["internet"], tech: "Existing on-premises stack", description: "Serves every route not yet migrated (strangler fig)." },
];

// Positional builders on purpose (against the options-object rule): each call reads as one row of a table.
function c(id: string, from: string, to: string, label: string, protocol: string, rest: Partial<Connection> = {}): Connection {
  return { id, from, to, label, protocol, mode: "sync", data: ["internal"], ...rest };
}

const TLS = "HTTPS (TLS 1.3)";
const PG = "PostgreSQL wire (TLS)";
const REDIS = "RESP (TLS)";
const BUS = "EventBridge PutEvents (HTTPS)";
const SQS = "SQS (HTTPS)";

const connections: Connection[] = [
  // Guests and staff reach us only through the edge.
  c("c-guest-dns", "guest-browser", "dns", "resolve www", "DNS", { data: ["public"] }),
  c("c-guest-waf", "guest-browser", "waf", "pages, API calls", "HTTPS (HTTP/2, HTTP/3)", { data: ["public", "personal", "token"] }),
  c("c-staff-waf", "staff-console", "waf", "back office", "HTTPS (HTTP/2)", { data: ["internal", "credentials"] }),
  c("c-guest-maps", "guest-browser", "maps", "map tiles", TLS, { data: ["public"] }),
  c("c-guest-psp", "guest-browser", "payment-provider", "card entry in hosted fields", "HTTPS (PSP iframe)", { data: ["card", "personal"], cardEntry: "hosted-fields" }),
  c("c-psp-waf", "payment-provider", "waf", "payment webhooks (signed)", TLS, { data: ["token"] }),
  c("c-pms-waf", "pms", "waf", "rate and availability updates", "HTTPS webhook (HMAC)", { data: ["internal"] }),
  c("c-waf-cdn", "waf", "cdn", "allowed requests", "CloudFront (in-edge)", { data: ["public", "personal", "token"] }),
  c("c-cdn-assets", "cdn", "web-assets", "static assets", "HTTPS (S3 OAC)", { data: ["public"], access: "read" }),
  c("c-cdn-photos", "cdn", "photo-bucket", "hotel photos", "HTTPS (S3 OAC)", { data: ["public"], access: "read" }),
  c("c-cdn-alb", "cdn", "alb", "dynamic requests, nearest healthy region", TLS, { data: ["public", "personal", "token"] }),
  c("c-cdn-legacy", "cdn", "legacy-site", "routes not yet migrated", TLS, { data: ["public", "personal"] }),
  c("c-alb-web", "alb", "web", "page requests", "HTTP/1.1 (TLS in VPC)", { data: ["public", "token"] }),
  c("c-alb-search", "alb", "search", "/api/search", "HTTP/1.1 (TLS in VPC)", { data: ["public"] }),
  c("c-alb-hotel", "alb", "hotel", "/api/hotels, /admin/hotels", "HTTP/1.1 (TLS in VPC)", { data: ["public", "token"] }),
  c("c-alb-guest", "alb", "guest", "/api/me (JWT)", "HTTP/1.1 (TLS in VPC)", { data: ["personal", "token"] }),
  c("c-alb-booking", "alb", "booking", "/api/bookings (JWT), PMS webhooks", "HTTP/1.1 (TLS in VPC)", { data: ["personal", "token"] }),
  c("c-alb-payments", "alb", "payments", "/api/payments, PSP webhooks", "HTTP/1.1 (TLS in VPC)", { data: ["token"] }),
  c("c-alb-identity", "alb", "identity", "/auth: sign-in, token refresh", "OIDC over HTTPS", { data: ["credentials", "token"] }),
  // Service to service (synchronous, inside the region).
  c("c-web-search", "web", "search", "search results for SSR", "HTTPS/JSON"),
  c("c-web-hotel", "web", "hotel", "hotel details for SSR", "HTTPS/JSON", { data: ["public"] }),
  c("c-guest-hotel", "guest", "hotel", "hotel summaries for favourites", "HTTPS/JSON", { data: ["public"] }),
  c("c-booking-payments", "booking", "payments", "create payment session", "HTTPS/JSON", { data: ["token", "personal"] }),
  c("c-booking-pms", "booking", "pms", "live availability, push reservation", "HTTPS (OTA XML / REST)", { data: ["personal"] }),
  c("c-payments-psp", "payments", "payment-provider", "session, authorise, capture, refund by token", "HTTPS (PSP API, mTLS)", { data: ["token", "personal"] }),
  c("c-hotel-maps", "hotel", "maps", "geocode address", TLS, { data: ["public"] }),
  c("c-notify-email", "notifications", "email", "send e-mail", "HTTPS (SES API)", { data: ["personal"] }),
  // Each service and its own stores.
  c("c-search-index", "search", "search-index", "query", "HTTPS (OpenSearch REST)", { data: ["public"], access: "read" }),
  c("c-search-cache", "search", "search-cache", "cached results", REDIS, { data: ["public"], access: "read-write" }),
  c("c-hotel-db", "hotel", "hotel-db", "hotels + outbox in one transaction", PG, { data: ["public", "internal"], access: "read-write" }),
  c("c-hotel-cache", "hotel", "hotel-cache", "read-through", REDIS, { data: ["public"], access: "read-write" }),
  c("c-hotel-photos", "hotel", "photo-bucket", "upload photos", "HTTPS (S3 API)", { data: ["public"], access: "write" }),
  c("c-guest-db", "guest", "guest-db", "profiles, favourites, recently viewed", "HTTPS (DynamoDB API)", { data: ["personal"], access: "read-write" }),
  c("c-booking-db", "booking", "booking-db", "holds, reservations", PG, { data: ["personal"], access: "read-write" }),
  c("c-payments-db", "payments", "payments-db", "intents, tokens, ledger", PG, { data: ["token", "personal"], access: "read-write" }),
  c("c-identity-store", "identity", "identity-store", "users, MFA", "AWS API (HTTPS)", { data: ["personal", "credentials"], access: "read-write" }),
  c("c-notify-log", "notifications", "notification-log", "sent messages", "HTTPS (DynamoDB API)", { data: ["personal"], access: "read-write" }),
  // Events (asynchronous).
  c("c-outbox-db", "hotel-outbox", "hotel-db", "read outbox rows", PG, { data: ["public"], access: "read-write" }),
  c("c-outbox-bus", "hotel-outbox", "event-bus", "HotelChanged", BUS, { mode: "async", data: ["public"], messages: ["HotelChanged"] }),
  c("c-booking-bus", "booking", "event-bus", "BookingConfirmed, BookingCancelled, AvailabilityChanged", BUS, { mode: "async", data: ["personal"], messages: ["BookingConfirmed", "BookingCancelled", "AvailabilityChanged"] }),
  c("c-payments-bus", "payments", "event-bus", "PaymentCaptured, PaymentFailed", BUS, { mode: "async", data: ["token"], messages: ["PaymentCaptured", "PaymentFailed"] }),
  c("c-bus-indexer", "event-bus", "search-indexer", "HotelChanged, AvailabilityChanged", SQS, { mode: "async", data: ["public"], messages: ["HotelChanged", "AvailabilityChanged"] }),
  c("c-bus-booking", "event-bus", "booking", "PaymentCaptured, PaymentFailed", SQS, { mode: "async", data: ["token"], messages: ["PaymentCaptured", "PaymentFailed"] }),
  c("c-bus-notify", "event-bus", "notifications", "BookingConfirmed, BookingCancelled", SQS, { mode: "async", data: ["personal"], messages: ["BookingConfirmed", "BookingCancelled"] }),
  c("c-bus-guest", "event-bus", "guest", "BookingConfirmed (trip history)", SQS, { mode: "async", data: ["personal"], messages: ["BookingConfirmed"] }),
  c("c-indexer-index", "search-indexer", "search-index", "upsert documents (external version)", "HTTPS (OpenSearch _bulk)", { mode: "async", data: ["public"], access: "write" }),
];

const AURORA_GLOBAL = "Aurora Global Database: writer in eu-west-1, read replica cluster in us-east-1 (storage-level, typically < 1 s lag)";
const AURORA_BACKUP = "Continuous backup (PITR, 35 days) + daily snapshot copied to a second account (AWS Backup vault lock)";

const stores: StoreSpec[] = [
  { component: "web-assets", owner: "web", holds: "Versioned front-end bundles", data: ["public"], replication: "S3 Cross-Region Replication", backup: "S3 versioning; rebuilt from git by CI", rpo: "0 (rebuilt from git)", rto: "15 min (redeploy)", why: "Immutable files served by the CDN; object storage is the cheapest durable origin." },
  { component: "hotel-db", owner: "hotel", holds: "Hotels, rooms, amenities, texts in 20 languages, geo points, outbox", data: ["public", "internal"], sourceOfTruth: true, replication: AURORA_GLOBAL, backup: AURORA_BACKUP, rpo: "1 s (region loss); 5 min (PITR)", rto: "5 min (managed failover); 1 h (PITR restore)", why: "Relational content with many joins and transactional outbox; low write rate; PostgreSQL skills are common.", replicationLink: { label: "storage replication", protocol: "Aurora Global Database" } },
  { component: "hotel-cache", owner: "hotel", holds: "Hotel page data by id and language (TTL 5 min)", data: ["public"], replication: "Primary + replica per region (Multi-AZ); no cross-region copy", backup: "None: rebuilt from hotel-db", rpo: "n/a (rebuilt from hotel-db)", rto: "0 (service falls back to the DB), warm in 10 min", why: "Hotel pages are read 1000x more than written; keeps Aurora small." },
  { component: "photo-bucket", owner: "hotel", holds: "Photo originals and renditions (~40 per hotel)", data: ["public"], replication: "S3 Cross-Region Replication (RTC, 15 min SLA)", backup: "Versioning + Object Lock (30 days) against deletion", rpo: "15 min", rto: "0 (CloudFront origin group fails over)", why: "Blobs belong in object storage; CDN origin with origin access control.", replicationLink: { label: "cross-region replication", protocol: "S3 CRR" } },
  { component: "search-index", owner: "search", holds: "One document per hotel: texts, geo, amenities, price/availability summary", data: ["public"], derivedFrom: ["hotel-db", "booking-db"], replication: "Independent domain per region (3 AZ), each fed by its own indexer", backup: "Automated hourly snapshots to S3; full reindex from hotel-db in < 1 h", rpo: "n/a (rebuilt from hotel-db and booking-db)", rto: "0 (other region serves); 1 h (reindex)", why: "Full-text, geo distance, facets and ranking; a derived read model that may be rebuilt any time." },
  { component: "search-cache", owner: "search", holds: "Results of popular queries (TTL 60 s)", data: ["public"], replication: "Multi-AZ per region; no cross-region copy", backup: "None: rebuilt on demand", rpo: "n/a (cache)", rto: "0 (falls back to the index)", why: "Search traffic is skewed: the top 1% of queries are ~40% of calls." },
  { component: "guest-db", owner: "guest", holds: "Profiles, favourites, recently viewed (TTL 90 days), trip history", data: ["personal"], sourceOfTruth: true, replication: "DynamoDB global tables, active-active in both regions (last writer wins)", backup: "PITR (35 days) + AWS Backup daily to a second account", rpo: "1 s typical (async replication)", rto: "0 (both regions write)", why: "Key-value access by guest id, spiky writes (recently viewed), multi-region writes without conflicts that matter.", replicationLink: { label: "active-active replication", protocol: "DynamoDB global tables" } },
  { component: "booking-db", owner: "booking", holds: "Room holds, reservations, inventory counters, outbox", data: ["personal"], sourceOfTruth: true, replication: AURORA_GLOBAL, backup: AURORA_BACKUP, rpo: "1 s (region loss); 5 min (PITR)", rto: "5 min (managed failover)", why: "Money and inventory need transactions, constraints and row locks; one writer avoids double-selling a room.", replicationLink: { label: "storage replication", protocol: "Aurora Global Database" } },
  { component: "payments-db", owner: "payments", holds: "Payment intents, PSP tokens, ledger (double entry); no PAN, no CVC", data: ["token", "personal"], sourceOfTruth: true, replication: AURORA_GLOBAL, backup: AURORA_BACKUP, rpo: "1 s (region loss); PSP is the system of record for money", rto: "5 min (managed failover)", why: "An append-only ledger with strict consistency; reconciled daily against the PSP's settlement report.", replicationLink: { label: "storage replication", protocol: "Aurora Global Database" } },
  { component: "identity-store", owner: "identity", holds: "Guest and staff identities, MFA factors", data: ["personal", "credentials"], sourceOfTruth: true, replication: "Cognito user pool per region; users exported every 15 min to the standby pool (passwords are not exportable: guests sign in with e-mail OTP or passkeys)", backup: "User export every 15 min to S3 (encrypted) + daily to a second account", rpo: "15 min", rto: "30 min (switch issuer; guests re-verify by e-mail OTP)", why: "Managed OIDC, MFA, social and SAML sign-in; the one store whose multi-region story is weakest (see ADR-0004)." },
  { component: "notification-log", owner: "notifications", holds: "Sent e-mails per booking (idempotency keys)", data: ["personal"], replication: "DynamoDB global tables", backup: "PITR (35 days)", rpo: "1 s", rto: "0", why: "Write-once, key lookups, TTL expiry; no server to run." },
];

const sequences: Sequence[] = [
  {
    id: "seq-search",
    title: "Search and view a hotel",
    description: "Cached at the edge where possible; server-rendered on a miss; photos and map tiles never touch our services.",
    steps: [
      call("c-guest-dns", "resolve www.example-hotels.com"),
      call("c-guest-waf", "GET /search?where=Lisbon&from=..&to=.."),
      call("c-waf-cdn", "request passed rate and bot rules"),
      note(["cdn"], "search pages: cache 60 s, stale-while-revalidate"),
      call("c-cdn-alb", "cache miss: origin request to nearest healthy region"),
      call("c-alb-web", "render /search"),
      call("c-web-search", "GET /search?geo=..&dates=..&filters=.."),
      call("c-search-cache", "GET query hash"),
      reply("c-search-cache", "miss"),
      call("c-search-index", "geo + text + filter query, top 20"),
      reply("c-search-index", "hits with price summary"),
      reply("c-web-search", "results (p95 < 150 ms)"),
      reply("c-cdn-alb", "HTML, Cache-Control: s-maxage=60"),
      reply("c-guest-waf", "search page (LCP < 2.5 s at p75)"),
      call("c-guest-waf", "GET /hotels/123"),
      call("c-cdn-alb", "hotel page (cached 5 min at the edge)"),
      call("c-alb-web", "render /hotels/123"),
      call("c-web-hotel", "GET /hotels/123?lang=pt"),
      call("c-hotel-cache", "GET hotel:123:pt"),
      reply("c-hotel-cache", "miss"),
      call("c-hotel-db", "SELECT hotel, rooms, amenities"),
      reply("c-web-hotel", "hotel JSON"),
      reply("c-guest-waf", "hotel page"),
      call("c-cdn-photos", "photo renditions (immutable, cached 1 year)"),
      call("c-guest-maps", "map tiles around the hotel"),
      call("c-alb-guest", "POST /api/me/recently-viewed (if signed in)"),
      call("c-guest-db", "put recently viewed (TTL 90 days)"),
    ],
  },
  {
    id: "seq-book",
    title: "Book and pay",
    description: "Card data goes from the browser to the payment provider's hosted fields only; our services see tokens. PCI DSS SAQ A.",
    steps: [
      call("c-guest-waf", "POST /api/bookings {hotel, room, dates} (JWT)"),
      call("c-cdn-alb", "forward (never cached)"),
      call("c-alb-booking", "create booking"),
      call("c-booking-pms", "check live availability"),
      call("c-booking-db", "insert hold (expires in 15 min), decrement inventory"),
      call("c-booking-payments", "create payment session (amount, currency, booking id)"),
      call("c-payments-psp", "create session (idempotency key)"),
      reply("c-payments-psp", "session id, client key"),
      call("c-payments-db", "insert intent (pending)"),
      reply("c-guest-waf", "booking pending + payment session"),
      note(["guest-browser", "payment-provider"], "PCI DSS scope: card number and CVC typed into the PSP's iframe; they never reach our origin (SAQ A)"),
      call("c-guest-psp", "card details, 3-D Secure challenge"),
      reply("c-guest-psp", "payment token + result"),
      call("c-guest-waf", "POST /api/payments/confirm {token}"),
      call("c-alb-payments", "confirm"),
      call("c-payments-psp", "authorise + capture by token"),
      reply("c-payments-psp", "authorised"),
      call("c-payments-db", "ledger entry, intent captured"),
      call("c-payments-bus", "PaymentCaptured"),
      call("c-psp-waf", "webhook AUTHORISATION (signed) - also covers a lost browser"),
      call("c-bus-booking", "PaymentCaptured"),
      call("c-booking-db", "hold -> reservation confirmed"),
      call("c-booking-pms", "push reservation"),
      call("c-booking-bus", "BookingConfirmed"),
      call("c-bus-notify", "BookingConfirmed"),
      call("c-notify-email", "confirmation e-mail"),
      call("c-bus-guest", "BookingConfirmed: add to trip history"),
    ],
  },
  {
    id: "seq-index",
    title: "Index sync after a hotel is edited",
    description: "The hotel DB is the source of truth; the index is a read model fed by the outbox through the event bus. Freshness target: p95 < 60 s.",
    steps: [
      call("c-staff-waf", "PUT /admin/hotels/123 (staff SSO JWT)"),
      call("c-cdn-alb", "forward"),
      call("c-alb-hotel", "update hotel 123"),
      call("c-hotel-db", "BEGIN; UPDATE hotel (version 42); INSERT outbox; COMMIT"),
      reply("c-alb-hotel", "200, ETag v42"),
      call("c-outbox-db", "SELECT unpublished outbox rows FOR UPDATE SKIP LOCKED"),
      call("c-outbox-bus", "HotelChanged {id 123, version 42, document}"),
      call("c-outbox-db", "mark row published"),
      call("c-bus-indexer", "HotelChanged (SQS, retries, DLQ after 5)"),
      call("c-indexer-index", "index doc 123, version 42 (version_type=external)"),
      note(["search-indexer", "search-index"], "older or duplicate events lose to the stored version: at-least-once delivery is safe"),
      reply("c-indexer-index", "ok"),
    ],
  },
];

const boundaries: Boundary[] = [
  {
    id: "internet-edge",
    name: "Internet → edge (guests, staff, bots)",
    crossings: [["internet", "edge"]],
    stride: {
      spoofing: "Credential stuffing: e-mail OTP and passkeys instead of passwords, WAF Bot Control, rate limits per IP and per account.",
      tampering: "Injection, request smuggling: WAF managed rules; CloudFront normalises HTTP/2 and HTTP/3 before the origin.",
      repudiation: "Signed-in actions logged with user id, IP, user agent and trace id; CloudFront and WAF logs kept 1 year.",
      informationDisclosure: "TLS 1.3 only, HSTS preload; no stack traces or internal headers in responses; personal data never cached at the edge.",
      denialOfService: "Shield Advanced (L3-L7), CloudFront absorbs volume, WAF rate-based rules on search and booking.",
      elevationOfPrivilege: "Back-office paths need a staff-pool JWT with MFA and a WAF IP allow-list.",
    },
  },
  {
    id: "edge-app",
    name: "Edge → application and its origins",
    crossings: [["edge", "app"], ["edge", "data"]],
    stride: {
      spoofing: "Requests bypassing CloudFront: ALB accepts only the CloudFront prefix list plus a rotated secret origin header; S3 only CloudFront origin access control.",
      tampering: "Services trust forwarding headers only from the ALB; bodies validated against schemas at every service.",
      repudiation: "ALB access logs to S3 with object lock; trace id from the edge in every log line.",
      informationDisclosure: "Services in private subnets without public IPs; buckets private, objects served through CloudFront only.",
      denialOfService: "Autoscaling per service, timeouts, load shedding (429) before saturation, per-route concurrency limits.",
      elevationOfPrivilege: "JWT audience and scopes checked in every service, not only at the edge.",
    },
  },
  {
    id: "app-data",
    name: "Application → data",
    crossings: [["app", "data"]],
    stride: {
      spoofing: "IAM database authentication or rotated secrets per service; security groups admit only the owning service.",
      tampering: "Bound parameters only; database roles without DDL at runtime (migrations run from CI).",
      repudiation: "pgaudit for privileged statements; CloudTrail data events on S3 and DynamoDB.",
      informationDisclosure: "KMS encryption at rest with a key per store; TLS to every store.",
      denialOfService: "RDS Proxy and pool limits against connection storms; DynamoDB on-demand capacity.",
      elevationOfPrivilege: "Owner-only access by IAM policy and security group, checked in the model by checkOwnership.",
    },
  },
  {
    id: "third-parties",
    name: "Our services ↔ third parties and the current website",
    crossings: [["app", "providers"], ["providers", "edge"], ["edge", "legacy"]],
    stride: {
      spoofing: "Forged webhooks: HMAC or signature verification, 5-minute timestamp tolerance, replay cache of webhook ids.",
      tampering: "TLS with certificate validation; mTLS to the payment provider; the current site reached with an origin secret.",
      repudiation: "PSP references, webhook ids and PMS confirmation numbers stored with each payment and booking.",
      informationDisclosure: "The PMS receives only what a reservation needs; e-mail signed with DKIM, SPF and DMARC.",
      denialOfService: "Circuit breakers, retries with backoff and jitter; holds expire cleanly when the PSP or a PMS is down.",
      elevationOfPrivilege: "API keys scoped to one purpose (the PSP key cannot issue payouts); keys in Secrets Manager.",
    },
  },
  {
    id: "browser-providers",
    name: "Guest browser → payment provider and maps (card entry)",
    crossings: [["internet", "providers"]],
    stride: {
      spoofing: "Phishing copies of checkout: HSTS, domain monitoring; the PSP iframe shows the provider's own origin.",
      tampering: "Script injection around the iframe: strict CSP, Subresource Integrity, no third-party scripts on checkout (SAQ A eligibility).",
      repudiation: "The provider's 3-D Secure result is stored with the payment.",
      informationDisclosure: "Card data goes only to the provider (fitness test checkCardData).",
      denialOfService: "Provider-side; checkout shows a clear retry message and keeps the hold.",
      elevationOfPrivilege: "Not applicable: the browser gets only a client key scoped to one payment session.",
    },
  },
  {
    id: "ci-cd",
    name: "CI/CD → AWS accounts (no runtime connection)",
    crossings: [],
    stride: {
      spoofing: "GitHub OIDC federation to short-lived IAM roles; no long-lived access keys.",
      tampering: "Signed container images, ECR scanning, pinned dependencies, required reviews on main.",
      repudiation: "Organisation CloudTrail in the security account.",
      informationDisclosure: "Secrets only in Secrets Manager; secret scanning on every push.",
      denialOfService: "Deploys are rolling and canaried; a failed pipeline leaves production untouched.",
      elevationOfPrivilege: "Deploy roles limited to their service's stacks; break-glass role alarmed.",
    },
  },
];

function f(ids: string[], failure: string, effect: string, response: string, recovery: string): FailureMode {
  return { components: ids, failure, effect, response, recovery };
}

const failureModes: FailureMode[] = [
  f(["dns"], "Route 53 health check flaps or a record is mis-set", "site unreachable for some resolvers", "Route 53 health check alarms, synthetic checks from 5 continents", "records are IaC: revert the change; 60 s TTLs during migration"),
  f(["cdn"], "a PoP fails or a bad cache policy ships", "none for a PoP (next PoP serves); stale or uncached pages for a bad policy", "CloudFront 5xx and cache-hit ratio alarms", "automatic for PoPs; roll back the distribution config (CloudFront continuous deployment staging)"),
  f(["waf"], "a new rule blocks real guests", "403 for some guests", "blocked-request ratio and 4xx alarms", "revert the web ACL version (IaC); new rules always start in count mode"),
  f(["alb"], "an Availability Zone or the regional load balancer fails", "none for an AZ; a region's origin fails", "ALB and Route 53 health checks", "multi-AZ by design; Route 53 health checks move the API origin to the other region (reads also fail over in CloudFront origin groups)"),
  f(["web"], "bad release or overload of server-side rendering", "slow or failing pages", "canary alarms during CodeDeploy blue/green, LCP and 5xx SLOs", "automatic rollback to the previous task set; CloudFront serves stale pages meanwhile"),
  f(["web-assets"], "a deploy removes assets still referenced by cached pages", "broken styling or scripts", "RUM JavaScript error rate", "assets are versioned and kept 30 days; redeploy"),
  f(["search", "search-index"], "OpenSearch cluster red or overloaded", "slower or failing search in one region", "latency SLO, cluster health alarms", "CloudFront fails /api/search over to the other region; scale data nodes; restore snapshot or reindex (< 1 h)"),
  f(["search-cache", "hotel-cache"], "cache node lost", "somewhat slower pages", "cache hit ratio, DB CPU", "replica promotion; caches refill from their stores"),
  f(["search-indexer", "hotel-outbox"], "lag or a poison event", "search shows stale hotel data", "index freshness SLO (p95 < 60 s), DLQ alarm", "fix and replay from the DLQ or the EventBridge archive; full reindex job from hotel-db"),
  f(["hotel", "hotel-db"], "writer instance fails", "hotel editing pauses ~30 s; pages served from caches", "Aurora events", "Multi-AZ failover; point-in-time restore for logical errors"),
  f(["photo-bucket"], "photos deleted by mistake or region unavailable", "missing images", "CloudFront 4xx on /photos, S3 replication metrics", "object versioning and lock restore deleted objects; origin group fails over to the replica bucket"),
  f(["guest", "guest-db"], "DynamoDB throttling or a regional outage", "favourites and recently viewed unavailable; booking unaffected", "throttle and error alarms", "on-demand capacity; global table serves from the other region"),
  f(["booking", "booking-db"], "writer fails or a deadlock storm", "booking fails ~30 s; holds kept", "booking error SLO, Aurora events", "Multi-AZ failover; clients retry with idempotency keys"),
  f(["booking-db", "payments-db", "hotel-db"], "the whole primary region is lost", "reads continue from us-east-1; bookings and payments fail until promotion", "Route 53 health checks, origin 5xx, synthetic checkout canary", "Aurora Global Database managed failover (RPO ~1 s, RTO ~5 min); runbook moves writers; fail back after resync"),
  f(["payments", "payment-provider"], "provider outage or 3-D Secure failures", "cannot pay; the room hold is kept 15 min", "payment success rate alarm, provider status feed", "circuit breaker with a clear message; holds expire cleanly; second provider is a risk item"),
  f(["payments"], "webhook lost or delayed", "booking stays pending", "payments pending > 15 min alarm", "reconciliation job polls the provider; webhooks and confirms are idempotent"),
  f(["pms"], "a hotel's PMS is unreachable or slow", "that hotel cannot be booked live", "circuit breaker per PMS, error rate per hotel", "book against the hotel's allotment and push later from a retry queue; otherwise show 'call the hotel'"),
  f(["event-bus"], "delivery failures or a regional EventBridge issue", "e-mails and index updates late", "DLQ alarms, failed-invocation metrics", "retries, replay from archive; the global endpoint fails over"),
  f(["notifications", "notification-log", "email"], "e-mail not sent (SES throttled or bounced)", "confirmation shown on screen only", "notification SLO (99 % within 5 min)", "retry with backoff; support can resend; SES in the other region"),
  f(["identity", "identity-store"], "Cognito regional outage", "sign-in fails; guest checkout still works", "sign-in error rate", "switch the issuer to the standby pool (RTO 30 min); guests re-verify by e-mail"),
  f(["maps"], "maps provider unavailable", "no map on hotel pages; address still shown", "RUM errors on the map component", "the page renders without the map; nothing to recover"),
  f(["legacy-site"], "the current website fails during migration", "routes not yet migrated fail", "CloudFront 5xx on the legacy origin", "the current site's own runbooks; migrated routes are unaffected"),
  f(["hotel-db", "booking-db", "payments-db", "guest-db"], "data corrupted by a bug", "wrong data shown or booked", "reconciliation jobs and anomaly alarms", "point-in-time restore to a new cluster or table, repair from it, replay events"),
];

const allIds = components.map((x) => x.id);

/** The hotel booking platform: components, connections, stores, views and sequences. */
export const hotelPlatform: Model = {
  id: "hotel-platform",
  title: "Hotel booking platform on AWS",
  pciSaq: "A",
  zones: [
    { id: "internet", name: "Internet (untrusted)", trust: "untrusted", description: "Guests, staff browsers, anyone." },
    { id: "edge", name: "Edge", trust: "edge", description: "DNS, WAF, DDoS protection, CDN and the regional load balancers." },
    { id: "app", name: "Application (private subnets)", trust: "trusted", description: "Our services, jobs and the event bus; no public IPs." },
    { id: "data", name: "Data (isolated subnets)", trust: "restricted", description: "Stores reachable only from their owning service's security group." },
    { id: "providers", name: "Third parties", trust: "third-party", description: "Payment provider, maps, e-mail, hotels' PMS." },
    { id: "legacy", name: "Current website", trust: "third-party", description: "The on-premises site being replaced." },
  ],
  regions: [
    { id: "internet", name: "Internet", role: "external" },
    { id: "global", name: "Global edge", role: "global" },
    { id: EU, name: "eu-west-1 (Ireland), primary", role: "primary" },
    { id: US, name: "us-east-1 (N. Virginia), secondary", role: "secondary" },
  ],
  components,
  connections,
  stores,
  views: [
    {
      id: "context",
      title: "System context",
      level: "context",
      description: "Who uses the platform and which outside systems it depends on.",
      elements: ["guest-browser", "staff-console", "payment-provider", "maps", "email", "pms", "legacy-site"],
      collapse: { id: "platform", name: "Hotel booking platform", description: "AWS, two regions", zone: "app", members: allIds.filter((id) => !["guest-browser", "staff-console", "payment-provider", "maps", "email", "pms", "legacy-site"].includes(id)) },
    },
    {
      id: "containers",
      title: "Containers",
      level: "container",
      description: "Every service, job, store and connection, by trust zone.",
      elements: allIds,
    },
    {
      id: "deployment",
      title: "Deployment across two regions",
      level: "deployment",
      description: "Global edge in front of two active regions; arrows show edge routing and cross-region replication (in-region calls are in the containers view).",
      elements: ["guest-browser", "dns", "waf", "cdn", "alb", "web", "search", "hotel", "guest", "booking", "payments", "identity", "notifications", "event-bus", "hotel-db", "photo-bucket", "search-index", "guest-db", "booking-db", "payments-db", "identity-store"],
    },
  ],
  sequences,
  boundaries,
  failureModes,
  requirements: [
    { id: "R1", text: "International guests search across all properties and get results fast (p75 LCP < 2.5 s, search API p95 < 300 ms in every region)", components: ["cdn", "alb", "web", "search", "search-index", "search-cache"], connections: ["c-guest-waf", "c-cdn-alb", "c-alb-web", "c-web-search", "c-search-index", "c-search-cache"] },
    { id: "R2", text: "Display services: hotel data, photos and location", components: ["hotel", "hotel-db", "hotel-cache", "photo-bucket", "cdn", "maps"], connections: ["c-web-hotel", "c-hotel-db", "c-hotel-cache", "c-cdn-photos", "c-guest-maps", "c-hotel-maps"] },
    { id: "R3", text: "Online payments with the smallest PCI DSS scope (SAQ A)", components: ["payments", "payments-db", "payment-provider"], connections: ["c-guest-psp", "c-payments-psp", "c-psp-waf", "c-alb-payments"] },
    { id: "R4", text: "Guest services: favourites, recently viewed, profiles", components: ["guest", "guest-db", "identity"], connections: ["c-alb-guest", "c-guest-db", "c-guest-hotel", "c-bus-guest"] },
    { id: "R5", text: "Book a room and receive a confirmation; never sell a room twice", components: ["booking", "booking-db", "pms", "event-bus", "notifications", "email"], connections: ["c-alb-booking", "c-booking-db", "c-booking-pms", "c-booking-bus", "c-bus-notify", "c-notify-email"] },
    { id: "R6", text: "Search reflects hotel edits within 60 s (p95)", components: ["hotel", "hotel-outbox", "event-bus", "search-indexer", "search-index"], connections: ["c-hotel-db", "c-outbox-db", "c-outbox-bus", "c-bus-indexer", "c-indexer-index"] },
    { id: "R7", text: "Secure: every request passes WAF and DDoS protection; no public IPs on services", components: ["dns", "waf", "cdn", "alb"], connections: ["c-guest-waf", "c-waf-cdn", "c-cdn-alb", "c-psp-waf", "c-pms-waf"] },
    { id: "R8", text: "Sign-in for guests (e-mail OTP, passkeys, social) and staff (SSO)", components: ["identity", "identity-store"], connections: ["c-alb-identity", "c-identity-store"] },
    { id: "R9", text: "Survive the loss of a region (RPO <= 15 min, RTO <= 30 min for booking)", components: ["dns", "cdn", "alb", "hotel-db", "booking-db", "payments-db", "guest-db", "photo-bucket"], connections: ["c-cdn-alb"] },
    { id: "R10", text: "Move from the current website step by step, with rollback", components: ["cdn", "legacy-site"], connections: ["c-cdn-legacy"] },
  ],
};
