// The booking platform of a resort group in Mexico and the Caribbean, on AWS, defined once. README
// diagrams, tables and SVGs are rendered from it by `npm run design`; model_test.ts holds the rules it
// must obey. Flows and saga rules are in flows.ts, sizing and costs in sizing.ts.
import { connection as c, failureMode as f } from "../model/mod.ts";
import type { Boundary, Component, Connection, DataMaster, Environment, FailureMode, Model, StoreSpec } from "../model/mod.ts";
import { FRESHNESS, sequences, stepRules } from "./flows.ts";
import { assumptions, capacity, costs, scenarios } from "./sizing.ts";

const PRIMARY = "us-east-1";
const SECONDARY = "us-west-2";
const BOTH = [PRIMARY, SECONDARY];
// Outbox relays, the sweeper and the writers of Aurora: the writer region only (moved by the DR runbook).
const WRITER = [PRIMARY];

const components: Component[] = [
  // Internet: the people who start requests.
  { id: "guest-browser", name: "Guest browser", kind: "client", zone: "internet", regions: ["internet"], tech: "Web / mobile web", description: "Guests, about two in three from the US, searching and booking resorts." },
  { id: "staff-console", name: "Group staff console", kind: "client", zone: "internet", regions: ["internet"], tech: "Browser, SSO", description: "Content editors and support staff (back office)." },
  // Edge: the only doors from the internet into our VPCs and our user pool.
  { id: "dns", name: "DNS", kind: "edge", zone: "edge", regions: ["global"], tech: "Amazon Route 53", description: "www alias to CloudFront; latency and failover records for the regional origins." },
  { id: "waf", name: "WAF (CloudFront)", kind: "edge", zone: "edge", regions: ["global"], tech: "AWS WAF, Bot Control, Shield Standard", description: "Managed rules, rate limits and bot control on every request to the site." },
  { id: "cdn", name: "CDN", kind: "edge", zone: "edge", regions: ["global"], tech: "Amazon CloudFront", description: "Caches pages, assets and photos; runs the origin router on dynamic requests." },
  { id: "origin-router", name: "Origin router", kind: "edge", zone: "edge", regions: ["global"], tech: "CloudFront Function + KeyValueStore", description: "Per request: legacy or new origin (route and cohort), writer region for writes, nearest region for reads." },
  { id: "alb", name: "Regional load balancer", kind: "edge", zone: "edge", regions: BOTH, tech: "Application Load Balancer", description: "Accepts only CloudFront (prefix list + origin secret); routes paths to services." },
  { id: "pool-waf", name: "WAF (user pool)", kind: "edge", zone: "edge", regions: BOTH, tech: "AWS WAF regional web ACL", description: "Associated with the Cognito user pool: sign-in requests pass WAF too." },
  // Application: our services, one team and its data each.
  { id: "web", name: "Web front end", kind: "service", zone: "app", regions: BOTH, tech: "Next.js SSR on ECS Fargate", description: "Server-renders search, resort and checkout pages." },
  { id: "search", name: "Search service", kind: "service", zone: "app", regions: BOTH, tech: "ECS Fargate, in-memory catalogue", description: "Finds resorts by destination and filters, then asks ARI for offers for the dates and guests." },
  { id: "search-indexer", name: "Search indexer", kind: "job", service: "search", zone: "app", regions: BOTH, tech: "AWS Lambda (SQS trigger)", description: "Each region's own indexer turns HotelChanged into read-model items." },
  { id: "hotel", name: "Content service", kind: "service", zone: "app", regions: BOTH, tech: "ECS Fargate (Node.js)", description: "Resort content, room types, photos and location; staff editing." },
  { id: "hotel-outbox", name: "Content outbox relay", kind: "job", service: "hotel", zone: "app", regions: WRITER, tech: "ECS Fargate, one task", description: "Publishes committed outbox rows as HotelChanged, in the writer region only." },
  { id: "ari", name: "ARI service", kind: "service", zone: "app", regions: BOTH, tech: "ECS Fargate (Node.js)", description: "Availability, rates and restrictions per date, fed by the CRS; the one component that prices a stay." },
  { id: "guest", name: "Guest services", kind: "service", zone: "app", regions: BOTH, tech: "ECS Fargate (Node.js)", description: "Profiles, favourites, recently viewed, trip history, all keyed by our guest id." },
  { id: "booking", name: "Booking service", kind: "service", zone: "app", regions: BOTH, tech: "ECS Fargate (Node.js)", description: "The booking saga: hold at the CRS, authorise, commit, capture; cancellations." },
  { id: "booking-outbox", name: "Booking outbox relay", kind: "job", service: "booking", zone: "app", regions: WRITER, tech: "ECS Fargate, one task", description: "Publishes booking events from the booking outbox, in the writer region only." },
  { id: "booking-sweeper", name: "Hold sweeper", kind: "job", service: "booking", zone: "app", regions: WRITER, tech: "Lambda (Scheduler, 1 min)", description: "Releases CRS holds past their expiry and expires their bookings." },
  { id: "payments", name: "Payments service", kind: "service", zone: "app", regions: BOTH, tech: "ECS Fargate (Node.js)", description: "Payment sessions, capture, void and refund by PSP reference, ledger; never sees card numbers." },
  { id: "payments-outbox", name: "Payments outbox relay", kind: "job", service: "payments", zone: "app", regions: WRITER, tech: "ECS Fargate, one task", description: "Publishes payment events from the payments outbox, in the writer region only." },
  { id: "identity", name: "Identity", kind: "service", zone: "app", regions: BOTH, tech: "Amazon Cognito (Essentials)", description: "Guest sign-in (e-mail OTP, passkeys, Google/Apple), staff SAML SSO; tokens carry our guest id." },
  { id: "notifications", name: "Notifications service", kind: "service", zone: "app", regions: BOTH, tech: "AWS Lambda (SQS trigger)", description: "Confirmation, failure, cancellation and refund e-mails." },
  { id: "event-bus", name: "Event bus", kind: "queue", zone: "app", regions: BOTH, tech: "EventBridge + SQS per consumer", description: "Domain events; consumed in the writer region, HotelChanged forwarded to the other region.", regionLink: { label: "HotelChanged forwarded", protocol: "EventBridge cross-Region rule" } },
  // Data: each store owned by exactly one service.
  { id: "web-assets", name: "Static assets", kind: "object-store", zone: "data", regions: BOTH, tech: "Amazon S3", description: "Versioned JS/CSS bundles deployed by CI." },
  { id: "photo-bucket", name: "Resort photos", kind: "object-store", zone: "data", regions: BOTH, tech: "Amazon S3 (CRR)", description: "Originals and renditions served through the CDN." },
  { id: "hotel-db", name: "Content DB", kind: "datastore", zone: "data", regions: BOTH, tech: "Aurora PostgreSQL Global DB", description: "Resorts, room types, amenities, texts, geo points, outbox." },
  { id: "hotel-cache", name: "Content cache", kind: "cache", zone: "data", regions: BOTH, tech: "ElastiCache Serverless (Valkey)", description: "Read-through cache of resort page data." },
  { id: "search-index", name: "Search read model", kind: "search-index", zone: "data", regions: BOTH, tech: "DynamoDB table per region", description: "One item per resort and language; loaded into each search task's memory." },
  { id: "ari-db", name: "ARI DB", kind: "datastore", zone: "data", regions: BOTH, tech: "Aurora PostgreSQL Global DB", description: "Per-date inventory, rate plans and restrictions copied from the CRS." },
  { id: "quote-cache", name: "Quote cache", kind: "cache", zone: "data", regions: BOTH, tech: "ElastiCache Serverless (Valkey)", description: `Priced offers per resort, dates and guests (TTL ${FRESHNESS.quoteTtl} s).` },
  { id: "guest-db", name: "Guest DB", kind: "datastore", zone: "data", regions: BOTH, tech: "DynamoDB global tables", description: "Profiles, favourites, recently viewed, trip history, sign-in links." },
  { id: "booking-db", name: "Booking DB", kind: "datastore", zone: "data", regions: BOTH, tech: "Aurora PostgreSQL Global DB", description: "Bookings, saga state, CRS references, idempotency keys, outbox." },
  { id: "payments-db", name: "Payments DB", kind: "datastore", zone: "data", regions: BOTH, tech: "Aurora PostgreSQL Global DB", description: "Payment intents, PSP references, ledger, idempotency keys, outbox. No card numbers." },
  { id: "identity-store", name: "User directory", kind: "datastore", zone: "data", regions: BOTH, tech: "Cognito user pools", description: "Active pool in the writer region, standby pool filled by import." },
  { id: "notification-log", name: "Notification log", kind: "datastore", zone: "data", regions: BOTH, tech: "DynamoDB global tables", description: "What was sent to whom, for idempotency and support." },
  // Third parties.
  { id: "payment-provider", name: "Payment provider", kind: "external", zone: "providers", regions: ["internet"], tech: "PCI DSS Level 1 PSP", description: "Hosted card fields, 3-D Secure, authorisation, capture, refunds, payouts." },
  { id: "maps", name: "Maps", kind: "external", zone: "providers", regions: ["internet"], tech: "Amazon Location Service", description: "Map tiles in the browser; geocoding for resort addresses." },
  { id: "email", name: "E-mail delivery", kind: "external", zone: "providers", regions: ["internet"], tech: "Amazon SES", description: "Transactional e-mail with DKIM, SPF and DMARC." },
  { id: "otas", name: "OTAs", kind: "external", zone: "providers", regions: ["internet"], tech: "Expedia, Booking.com, ...", description: "Sell the same rooms through the channel manager." },
  { id: "gds", name: "GDS", kind: "external", zone: "providers", regions: ["internet"], tech: "Sabre, Amadeus", description: "Travel agents' bookings through the CRS's GDS connectivity." },
  // The group's existing systems.
  { id: "crs", name: "CRS (inventory master)", kind: "external", zone: "group", regions: ["internet"], tech: "Existing CRS, OTA XML APIs", description: "Master of inventory, rates, restrictions and reservations for every channel; holds rooms in two phases." },
  { id: "pms", name: "Resort PMS", kind: "external", zone: "group", regions: ["internet"], tech: "One PMS per resort", description: "Front desk: check-in, room assignment, folios; synced with the CRS." },
  { id: "channel-manager", name: "Channel manager", kind: "external", zone: "group", regions: ["internet"], tech: "Existing SaaS", description: "Sends the CRS's ARI to OTAs and their bookings back." },
  { id: "call-centre", name: "Call centre", kind: "external", zone: "group", regions: ["internet"], tech: "CRS agent desktop, back office", description: "Phone sales in the CRS; looks up and cancels web bookings in our back office." },
  { id: "loyalty", name: "Loyalty / vacation club", kind: "external", zone: "group", regions: ["internet"], tech: "Existing membership system", description: "Members, tiers and points; member rates are CRS rate plans." },
  { id: "data-warehouse", name: "Data warehouse", kind: "external", zone: "group", regions: ["internet"], tech: "Group data warehouse", description: "Reporting on reservations, revenue, guests, relationships." },
  { id: "relationships-workspace", name: "Relationships workspace", kind: "external", zone: "group", regions: ["internet"], tech: "This repository: ETL, DuckDB, API", description: "Relationship and contacts data (design/system)." },
  // The current website.
  { id: "legacy-site", name: "Current website", kind: "external", zone: "legacy", regions: ["internet"], tech: "Existing on-premises stack", description: "Serves every route and cohort not yet migrated." },
];

const TLS = "HTTPS (TLS 1.3)";
const VPC = "HTTP/1.1 (TLS in VPC)";
const PG = "PostgreSQL wire (TLS)";
const VALKEY = "RESP (TLS)";
const DDB = "HTTPS (DynamoDB API)";
const OTA = "HTTPS (OTA XML)";
const BUS = "EventBridge PutEvents (HTTPS)";
const SQS = "SQS (HTTPS)";
const WRITER_REGION = { routing: "writer-region" } as const;

const BOOKING_EVENTS = ["BookingConfirmed", "BookingFailed", "BookingExpired", "BookingCancelled"];
const PAYMENT_EVENTS = ["PaymentAuthorised", "PaymentDeclined", "PaymentCaptured", "PaymentVoided", "PaymentRefunded"];

const connections: Connection[] = [
  // Guests, staff and partners reach us only through the edge.
  c("c-guest-dns", "guest-browser", "dns", "resolve www", "DNS", { data: ["public"] }),
  c("c-guest-waf", "guest-browser", "waf", "pages, API calls", "HTTPS (HTTP/2, HTTP/3)", { data: ["public", "personal", "token"] }),
  c("c-staff-waf", "staff-console", "waf", "content editing, back office", "HTTPS (HTTP/2)", { data: ["internal", "token"] }),
  c("c-guest-pool", "guest-browser", "pool-waf", "sign-in: e-mail OTP, passkeys", TLS, { data: ["credentials", "personal"] }),
  c("c-guest-maps", "guest-browser", "maps", "map tiles", TLS, { data: ["public"] }),
  c("c-guest-psp", "guest-browser", "payment-provider", "card entry in hosted fields", "HTTPS (PSP iframe)", { data: ["card", "personal"], cardEntry: "hosted-fields" }),
  c("c-psp-waf", "payment-provider", "waf", "payment webhooks (signed)", TLS, { data: ["token"] }),
  c("c-crs-waf", "crs", "waf", "ARI push (HMAC)", OTA, { data: ["internal"] }),
  c("c-callcentre-waf", "call-centre", "waf", "back office (SSO)", TLS, { data: ["personal", "token"] }),
  c("c-waf-cdn", "waf", "cdn", "allowed requests", "CloudFront (in-edge)", { data: ["public", "personal", "token"] }),
  c("c-cdn-assets", "cdn", "web-assets", "static assets", "HTTPS (S3 OAC)", { data: ["public"], access: "read" }),
  c("c-cdn-photos", "cdn", "photo-bucket", "resort photos", "HTTPS (S3 OAC)", { data: ["public"], access: "read" }),
  c("c-cdn-router", "cdn", "origin-router", "dynamic requests", "viewer-request function", { data: ["public", "personal", "token"] }),
  c("c-router-alb", "origin-router", "alb", "migrated routes", TLS, { data: ["public", "personal", "token"] }),
  c("c-router-legacy", "origin-router", "legacy-site", "routes not yet migrated", TLS, { data: ["public", "personal"] }),
  c("c-pool-identity", "pool-waf", "identity", "allowed sign-in requests", "Cognito (WAF check)", { data: ["credentials", "personal"], ...WRITER_REGION }),
  c("c-alb-web", "alb", "web", "page requests", VPC, { data: ["public", "token"] }),
  c("c-alb-search", "alb", "search", "/api/search", VPC, { data: ["public"] }),
  c("c-alb-hotel", "alb", "hotel", "GET /api/hotels", VPC, { data: ["public"] }),
  c("c-alb-hotel-admin", "alb", "hotel", "/admin/hotels (staff)", VPC, { data: ["internal", "token"], ...WRITER_REGION }),
  c("c-alb-ari", "alb", "ari", "/hooks/crs (ARI push)", VPC, { data: ["internal"], ...WRITER_REGION }),
  c("c-alb-guest", "alb", "guest", "/api/me (JWT)", VPC, { data: ["personal", "token"] }),
  c("c-alb-booking", "alb", "booking", "/api/bookings", VPC, { data: ["personal", "token"], ...WRITER_REGION }),
  c("c-alb-payments", "alb", "payments", "/api/payments, /hooks/psp", VPC, { data: ["token"], ...WRITER_REGION }),
  // Service to service, inside a region.
  c("c-web-search", "web", "search", "offers for SSR", "HTTPS/JSON", { data: ["public"] }),
  c("c-web-hotel", "web", "hotel", "resort content for SSR", "HTTPS/JSON", { data: ["public"] }),
  c("c-guest-hotel", "guest", "hotel", "resort summaries", "HTTPS/JSON", { data: ["public"] }),
  c("c-search-ari", "search", "ari", "offers: dates + guests", "HTTPS/JSON", { data: ["public"] }),
  c("c-booking-ari", "booking", "ari", "quote a room and rate", "HTTPS/JSON", { data: ["public"] }),
  c("c-booking-payments", "booking", "payments", "payment session", "HTTPS/JSON", { data: ["token", "personal"], ...WRITER_REGION }),
  c("c-identity-guest", "identity", "guest", "our guest id for a token", "Lambda trigger, HTTPS/JSON", { data: ["personal"] }),
  c("c-guest-loyalty", "guest", "loyalty", "member number, tier", TLS, { data: ["personal"] }),
  // Privacy requests (section 9.4): guest services runs each one and asks every owner for its part.
  c("c-guest-booking-privacy", "guest", "booking", "privacy task: export or erase a guest's bookings", "HTTPS/JSON", { data: ["personal"], ...WRITER_REGION }),
  c("c-guest-payments-privacy", "guest", "payments", "privacy task: export or erase a guest's payments", "HTTPS/JSON", { data: ["personal"], ...WRITER_REGION }),
  c("c-guest-notify-privacy", "guest", "notifications", "privacy task: export or erase sent e-mails", "Lambda invoke (HTTPS)", { data: ["personal"] }),
  c("c-guest-identity-privacy", "guest", "identity", "privacy task", "Cognito admin API", { data: ["personal"], ...WRITER_REGION }),
  c("c-guest-warehouse-privacy", "guest", "data-warehouse", "privacy task: export or erase by guest id", "warehouse privacy API (HTTPS)", { data: ["personal"] }),
  // Calls out to the group's systems and third parties.
  c("c-booking-crs", "booking", "crs", "hold, commit, cancel", OTA, { data: ["personal"] }),
  c("c-sweeper-crs", "booking-sweeper", "crs", "release expired holds", OTA, { data: ["internal"] }),
  c("c-ari-crs", "ari", "crs", "nightly full ARI read", OTA, { data: ["internal"] }),
  c("c-payments-psp", "payments", "payment-provider", "sessions, capture, void, refund", "HTTPS (PSP API, mTLS)", { data: ["token", "personal"] }),
  c("c-booking-crs-privacy", "booking", "crs", "guest data request by confirmation number", "CRS vendor API (HTTPS)", { data: ["personal"] }),
  c("c-payments-psp-privacy", "payments", "payment-provider", "erasure request by PSP reference", "HTTPS (PSP API, mTLS)", { data: ["personal"] }),
  c("c-hotel-maps", "hotel", "maps", "geocode address", TLS, { data: ["public"] }),
  c("c-notify-email", "notifications", "email", "send e-mail", "HTTPS (SES API)", { data: ["personal"] }),
  // Each service and its own stores.
  c("c-search-index", "search", "search-index", "load the catalogue", DDB, { data: ["public"], access: "read" }),
  c("c-hotel-db", "hotel", "hotel-db", "content + outbox", PG, { data: ["public", "internal"], access: "read-write" }),
  c("c-hotel-cache", "hotel", "hotel-cache", "read-through", VALKEY, { data: ["public"], access: "read-write" }),
  c("c-hotel-photos", "hotel", "photo-bucket", "upload photos", "HTTPS (S3 API)", { data: ["public"], access: "write" }),
  c("c-ari-db", "ari", "ari-db", "inventory, rates, restrictions", PG, { data: ["internal"], access: "read-write" }),
  c("c-ari-cache", "ari", "quote-cache", "quotes", VALKEY, { data: ["public"], access: "read-write" }),
  c("c-guest-db", "guest", "guest-db", "guest data by guest id", DDB, { data: ["personal"], access: "read-write" }),
  c("c-booking-db", "booking", "booking-db", "bookings + outbox", PG, { data: ["personal"], access: "read-write" }),
  c("c-sweeper-db", "booking-sweeper", "booking-db", "expired holds", PG, { data: ["internal"], access: "read-write" }),
  c("c-payments-db", "payments", "payments-db", "intents, ledger + outbox", PG, { data: ["token", "personal"], access: "read-write" }),
  c("c-identity-store", "identity", "identity-store", "users, MFA", "AWS API (HTTPS)", { data: ["personal", "credentials"], access: "read-write" }),
  c("c-notify-log", "notifications", "notification-log", "sent messages", DDB, { data: ["personal"], access: "read-write" }),
  // Events: every producer writes an outbox row in its transaction; a relay in the writer region publishes it.
  c("c-hotel-outbox-db", "hotel-outbox", "hotel-db", "drain outbox", PG, { data: ["public"], access: "read-write" }),
  c("c-hotel-outbox-bus", "hotel-outbox", "event-bus", "HotelChanged", BUS, { mode: "async", data: ["public"], messages: ["HotelChanged"] }),
  c("c-booking-outbox-db", "booking-outbox", "booking-db", "drain outbox", PG, { data: ["personal"], access: "read-write" }),
  c("c-booking-outbox-bus", "booking-outbox", "event-bus", "booking events", BUS, { mode: "async", data: ["personal"], messages: BOOKING_EVENTS }),
  c("c-payments-outbox-db", "payments-outbox", "payments-db", "drain outbox", PG, { data: ["token"], access: "read-write" }),
  c("c-payments-outbox-bus", "payments-outbox", "event-bus", "payment events", BUS, { mode: "async", data: ["token"], messages: PAYMENT_EVENTS }),
  c("c-bus-indexer", "event-bus", "search-indexer", "HotelChanged", SQS, { mode: "async", data: ["public"], messages: ["HotelChanged"] }),
  c("c-bus-booking", "event-bus", "booking", "PaymentAuthorised, Declined, Refunded", SQS, { mode: "async", data: ["token"], messages: ["PaymentAuthorised", "PaymentDeclined", "PaymentRefunded"], ...WRITER_REGION }),
  c("c-bus-payments", "event-bus", "payments", "BookingConfirmed, Failed, Expired, Cancelled", SQS, { mode: "async", data: ["personal"], messages: BOOKING_EVENTS, ...WRITER_REGION }),
  c("c-bus-notify", "event-bus", "notifications", "booking outcomes, refunds", SQS, { mode: "async", data: ["personal"], messages: ["BookingConfirmed", "BookingFailed", "BookingCancelled", "PaymentRefunded"], ...WRITER_REGION }),
  c("c-bus-guest", "event-bus", "guest", "BookingConfirmed, Cancelled", SQS, { mode: "async", data: ["personal"], messages: ["BookingConfirmed", "BookingCancelled"], ...WRITER_REGION }),
  c("c-bus-warehouse", "event-bus", "data-warehouse", "every domain event", "Firehose to S3 (Parquet)", { mode: "async", data: ["internal", "personal", "token"], messages: ["HotelChanged", ...BOOKING_EVENTS, ...PAYMENT_EVENTS] }),
  c("c-indexer-index", "search-indexer", "search-index", "put item if newer", DDB, { mode: "async", data: ["public"], access: "write" }),
  // The group's landscape as it is today (drawn in the landscape view).
  c("c-crs-pms", "crs", "pms", "reservations", "vendor interface", { data: ["personal"] }),
  c("c-pms-crs", "pms", "crs", "in-house changes", "vendor interface", { data: ["personal"] }),
  c("c-crs-channel", "crs", "channel-manager", "ARI", OTA, { data: ["internal"] }),
  c("c-channel-crs", "channel-manager", "crs", "OTA bookings", OTA, { data: ["personal"] }),
  c("c-channel-otas", "channel-manager", "otas", "ARI", "OTA APIs", { data: ["internal"] }),
  c("c-otas-channel", "otas", "channel-manager", "bookings", "OTA APIs", { data: ["personal"] }),
  c("c-gds-crs", "gds", "crs", "travel-agent bookings", "GDS link", { data: ["personal"] }),
  c("c-callcentre-crs", "call-centre", "crs", "phone bookings", "CRS desktop", { data: ["personal"] }),
  c("c-crs-loyalty", "crs", "loyalty", "stays for points", "vendor interface", { data: ["personal"] }),
  c("c-crs-warehouse", "crs", "data-warehouse", "nightly reservations", "SFTP extract", { data: ["personal"] }),
  c("c-rel-warehouse", "relationships-workspace", "data-warehouse", "actors, relationships, contacts", "Parquet export to S3", { data: ["personal"] }),
];

const AURORA = "Aurora Global Database: writer in us-east-1, reader cluster in us-west-2 (storage-level, typically < 1 s lag)";
const AURORA_BACKUP = "PITR 35 days + daily snapshot copied to the backup account (vault lock, kept 35 days)";
const AURORA_RPO = "~1 s on an unplanned failover, at most 60 s (`rds.global_db_rpo` pauses commits while the secondary lags more), 0 on a planned switchover; 5 min (PITR)";
const AURORA_RTO = "~5 min (switchover or failover) + 10 min runbook";
const AURORA_LINK = { label: "storage replication", protocol: "Aurora Global Database" };

const stores: StoreSpec[] = [
  { component: "web-assets", owner: "web", holds: "Versioned front-end bundles", data: ["public"], replication: "S3 Cross-Region Replication", backup: "Versioning; rebuilt from git by CI", rpo: "0 (rebuilt from git)", rto: "15 min (redeploy)", why: "Immutable files served by the CDN; object storage is the cheapest durable origin.", replicationLink: { label: "cross-region replication", protocol: "S3 CRR" } },
  { component: "photo-bucket", owner: "hotel", holds: "Photo originals and renditions (~60 per resort)", data: ["public"], replication: "S3 Cross-Region Replication (RTC, 15 min SLA)", backup: "Versioning + Object Lock (30 days)", rpo: "15 min", rto: "0 (CloudFront origin group fails over)", why: "Blobs belong in object storage; a CDN origin with origin access control.", replicationLink: { label: "cross-region replication", protocol: "S3 CRR" } },
  { component: "hotel-db", owner: "hotel", holds: "Resorts, room types, amenities, texts in 6 languages, geo points, outbox", data: ["public", "internal"], sourceOfTruth: true, outbox: true, writerRegions: WRITER, replication: AURORA, backup: AURORA_BACKUP, rpo: AURORA_RPO, rto: AURORA_RTO, why: "Relational content with joins and a transactional outbox; shares the base cluster with its own database and role.", replicationLink: AURORA_LINK },
  { component: "hotel-cache", owner: "hotel", holds: "Resort page data by id and language (TTL 5 min)", data: ["public"], replication: "None: one per region", backup: "None: rebuilt from the Content DB", rpo: "n/a (cache)", rto: "0 (falls back to the DB)", why: "Pages are read far more than written; serverless Valkey costs a few dollars at this size." },
  { component: "search-index", owner: "search", holds: "One item per resort and language: texts, geo, amenities, destination, rank per market (no prices)", data: ["public"], derivedFrom: ["hotel-db"], replication: "None: each region's indexer writes its own table", backup: "None: rebuilt from the Content DB by a reindex job in minutes", rpo: "n/a (derived)", rto: "0 (other region serves); 10 min (reindex)", why: "About a hundred items: every search task holds them in memory. A managed search cluster is not warranted for ~20 resorts (ADR-0013)." },
  { component: "ari-db", owner: "ari", holds: "Rooms left per room type and date, rate amounts per date and occupancy, restrictions (min stay, closed to arrival/departure, stop-sell)", data: ["internal"], writerRegions: WRITER, replication: AURORA, backup: AURORA_BACKUP, rpo: "n/a: a copy of the CRS; the full read each switchover or failover runbook starts replaces the pushes lost or refused meanwhile (nightly otherwise)", rto: AURORA_RTO, why: "Date-range queries and price arithmetic in SQL; the CRS stays the master (ADR-0012).", replicationLink: AURORA_LINK },
  { component: "quote-cache", owner: "ari", holds: `Priced offers per resort, dates and guests (TTL ${FRESHNESS.quoteTtl} s)`, data: ["public"], replication: "None: one per region", backup: "None", rpo: "n/a (cache)", rto: "0 (ARI computes)", why: "Popular searches repeat within a minute; a CRS push evicts the writer region's quotes, the other region's expire with their TTL. Booking quotes never come from it." },
  { component: "guest-db", owner: "guest", holds: "Profiles, favourites, recently viewed (TTL 90 days), trip history, sign-in links (pool, subject) to our guest id", data: ["personal"], sourceOfTruth: true, replication: "DynamoDB global tables, both regions write (last writer wins)", backup: "PITR 35 days + AWS Backup to the backup account (kept 35 days)", rpo: "~1 s (async replication)", rto: "0 (both regions write)", why: "Key-value access by our guest id; a failover to the standby user pool keeps every favourite and trip.", replicationLink: { label: "global table replication", protocol: "DynamoDB global tables" } },
  { component: "booking-db", owner: "booking", holds: "Bookings and their saga state, CRS hold and confirmation numbers, quotes, idempotency keys, outbox", data: ["personal"], sourceOfTruth: true, outbox: true, writerRegions: WRITER, replication: AURORA, backup: AURORA_BACKUP, rpo: AURORA_RPO, rto: AURORA_RTO, why: "The saga needs transactions and constraints; the room itself is held and committed at the CRS.", replicationLink: AURORA_LINK },
  { component: "payments-db", owner: "payments", holds: "Payment intents, PSP references, ledger (double entry), idempotency keys, outbox; no PAN, no CVC", data: ["token", "personal"], sourceOfTruth: true, outbox: true, writerRegions: WRITER, replication: AURORA, backup: AURORA_BACKUP, rpo: `${AURORA_RPO}; the PSP is the system of record for money and the reconciliation job replays its events`, rto: AURORA_RTO, why: "An append-only ledger with strict consistency, reconciled daily against the PSP's settlement report.", replicationLink: AURORA_LINK },
  { component: "identity-store", owner: "identity", holds: "Guest and staff identities, MFA factors, passkeys (active pool only)", data: ["personal", "credentials"], sourceOfTruth: true, writerRegions: WRITER, replication: "Active pool in us-east-1; users imported into the standby pool in us-west-2 every 15 min (no passwords, no passkeys)", backup: "User export every 15 min to S3 (encrypted) + daily to the backup account (exports kept 35 days)", rpo: "15 min of new accounts; passkeys must be registered again after a failover", rto: "30 min (switch the issuer; guests sign in with an e-mail code)", why: "Managed OIDC, MFA, passkeys and SAML; guest data is keyed by our guest id, never by a pool's subject (ADR-0009).", replicationLink: { label: "user import every 15 min", protocol: "Cognito CSV import" } },
  { component: "notification-log", owner: "notifications", holds: "Sent e-mails per booking (idempotency keys)", data: ["personal"], replication: "DynamoDB global tables", backup: "PITR 35 days", rpo: "~1 s", rto: "0", why: "Write-once, key lookups, TTL expiry; no server to run." },
];

const dataMasters: DataMaster[] = [
  { data: "Room inventory and reservations", master: "crs", copies: ["ari-db"], readers: ["booking", "ari"], why: "OTAs, GDS, the call centre and the resorts sell the same rooms; only the CRS sees every channel, so rooms are held and committed there." },
  { data: "Rates and restrictions", master: "crs", copies: ["ari-db"], readers: ["ari"], why: "Revenue managers set them in the CRS, which sends the same to the channel manager." },
  { data: "Price of a stay (dates, guests, rate plan, taxes)", master: "ari", copies: ["quote-cache"], readers: ["search", "booking"], why: "One owner for price: search and booking ask the same service; the booking quote is computed afresh, and the CRS hold confirms it before the guest pays." },
  { data: "Resort content", master: "hotel", copies: ["hotel-cache", "search-index"], readers: ["web", "guest", "search"], why: "Edited by staff in one place; copies are rebuilt from it." },
];

const boundaries: Boundary[] = [
  {
    id: "internet-edge",
    name: "Internet → edge (guests, staff, partners, bots)",
    crossings: [["internet", "edge"]],
    stride: {
      spoofing: "Credential stuffing: e-mail OTP and passkeys instead of passwords, WAF on the user pool itself, Bot Control, rate limits per IP and per account.",
      tampering: "Injection, request smuggling: WAF managed rules; CloudFront normalises HTTP/2 and HTTP/3 before the origin.",
      repudiation: "Signed-in actions logged with guest id, IP, user agent and trace id; CloudFront and WAF logs kept 1 year.",
      informationDisclosure: "TLS 1.3 only, HSTS preload; no stack traces or internal headers in responses; personal data never cached at the edge.",
      denialOfService: "CloudFront absorbs volume, Shield Standard, WAF rate-based rules on search, booking and sign-in.",
      elevationOfPrivilege: "Back-office paths need a staff-pool JWT with MFA and a WAF IP allow-list.",
    },
  },
  {
    id: "edge-app",
    name: "Edge → application and its origins",
    crossings: [["edge", "app"], ["edge", "data"]],
    stride: {
      spoofing: "Requests bypassing CloudFront: ALB accepts only the CloudFront prefix list plus a rotated secret origin header; S3 only CloudFront origin access control.",
      tampering: "Services trust forwarding headers only from the ALB; bodies validated against schemas at every service; the origin router's KeyValueStore and the writer switch are written by CI and the DR runbooks only.",
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
      denialOfService: "Connection pools of 5 per task and single-task relays (RDS Proxy in the growth case); DynamoDB on-demand capacity.",
      elevationOfPrivilege: "Owner-only access by IAM policy and security group, checked in the model by checkOwnership.",
    },
  },
  {
    id: "third-parties",
    name: "Our services ↔ third parties and the current website",
    crossings: [["app", "providers"], ["providers", "edge"], ["edge", "legacy"]],
    stride: {
      spoofing: "Forged webhooks: signature verification, 5-minute timestamp tolerance, replay cache of webhook ids.",
      tampering: "TLS with certificate validation; mTLS to the payment provider; the current site reached with an origin secret.",
      repudiation: "PSP references and webhook ids stored with every payment; idempotency keys on every money-moving call.",
      informationDisclosure: "E-mail signed with DKIM, SPF and DMARC; the PSP receives tokens and amounts only.",
      denialOfService: "Circuit breakers, retries with backoff and jitter; holds expire cleanly when the PSP is down.",
      elevationOfPrivilege: "API keys scoped to one purpose (the PSP key cannot issue payouts); keys in Secrets Manager.",
    },
  },
  {
    id: "group-systems",
    name: "Our services ↔ the group's systems (CRS, loyalty, warehouse) and their channels",
    crossings: [["app", "group"], ["group", "edge"], ["group", "providers"], ["providers", "group"]],
    stride: {
      spoofing: "CRS pushes carry an HMAC and come from the vendor's published ranges (WAF IP set); our CRS credentials are per environment.",
      tampering: "Messages carry sequence numbers; older ARI loses; the nightly full read repairs gaps.",
      repudiation: "CRS hold, confirmation and cancellation numbers stored with each booking; every event archived in the warehouse.",
      informationDisclosure: "The CRS receives what a reservation needs; the warehouse receives events keyed by guest id without card data; exports encrypted at rest.",
      denialOfService: "Circuit breaker per CRS endpoint; when the CRS is down bookings stop cleanly (no hold, no charge) and search shows cached offers.",
      elevationOfPrivilege: "Our CRS user may hold, commit and cancel only web-channel reservations.",
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
      denialOfService: "Provider-side; checkout shows a clear retry message while the hold lasts.",
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
      informationDisclosure: "Secrets only in Secrets Manager; secret scanning on every push; live data never copied to dev.",
      denialOfService: "Deploys are rolling and canaried; a failed pipeline leaves production untouched.",
      elevationOfPrivilege: "Deploy roles limited to their service's stacks; break-glass role alarmed.",
    },
  },
];

const failureModes: FailureMode[] = [
  f(["dns"], "a health check flaps or a record is mis-set", "site unreachable for some resolvers", "Route 53 health check alarms, synthetic checks", "records are IaC: revert; 60 s TTLs during migration"),
  f(["cdn", "origin-router"], "a PoP fails, or a bad cache policy or router version ships", "none for a PoP; wrong origin or stale pages for a bad release", "5xx and cache-hit alarms, synthetic checks per route", "automatic for PoPs; publish the previous function version or KeyValueStore snapshot (seconds)"),
  f(["waf", "pool-waf"], "a new rule blocks real guests", "403 on pages or at sign-in", "blocked-request ratio and 4xx alarms", "revert the web ACL version; new rules start in count mode"),
  f(["alb"], "an Availability Zone or the regional load balancer fails", "none for an AZ; a region's origin fails", "ALB and Route 53 health checks", "multi-AZ; the router sends reads to the other region, writes wait for the writer region"),
  f(["web", "search"], "bad release or overload", "slow or failing pages", "canary alarms during blue/green, LCP and 5xx SLOs", "automatic rollback; CloudFront serves stale pages meanwhile"),
  f(["web-assets"], "a deploy removes assets still referenced by cached pages", "broken styling or scripts", "RUM JavaScript error rate", "assets are versioned and kept 30 days; redeploy"),
  f(["search-index", "search-indexer"], "lag or a poison event", "search shows stale content", "index freshness SLO (p95 < 60 s to the search tasks), DLQ alarm", "replay from the DLQ or the EventBridge archive; reindex from the Content DB"),
  f(["hotel-outbox", "booking-outbox", "payments-outbox"], "a relay stops or runs in the wrong region", "events late: e-mails, captures and index updates wait", "outbox age alarm (oldest unpublished row > 60 s)", "ECS restarts it; the DR runbook starts relays in the new writer region and stops the old ones"),
  f(["hotel", "hotel-db"], "writer instance fails", "staff editing pauses ~30 s; pages come from caches", "Aurora events", "Multi-AZ failover; PITR for logical errors"),
  f(["hotel-cache", "quote-cache"], "cache unavailable", "somewhat slower pages and searches", "cache hit ratio, DB CPU", "services fall back to the DB; caches refill"),
  f(["photo-bucket"], "photos deleted by mistake or region unavailable", "missing images", "CloudFront 4xx on /photos, replication metrics", "versioning and object lock; origin group fails over to the replica"),
  f(["ari", "ari-db"], "CRS pushes missed or ARI down", "offers stale or missing; bookings still checked at the CRS hold", "ARI freshness alarm (last push per resort), error SLO", "nightly full read repairs; an on-demand full read per resort; the hold at the CRS is the final word"),
  f(["guest", "guest-db"], "DynamoDB throttling or a regional outage", "favourites and history unavailable; booking unaffected", "throttle and error alarms", "on-demand capacity; the global table serves from the other region"),
  f(["booking", "booking-db"], "writer fails during a saga", "booking pauses ~30 s; holds and authorisations kept", "booking error SLO, Aurora events", "Multi-AZ failover; every saga step is idempotent and resumes from its state"),
  f(["booking-sweeper"], "the sweeper stops", "expired holds linger at the CRS until its own HoldDuration ends", "alarm on HELD bookings 5 min past expiry", "the CRS releases at HoldDuration anyway; restart the schedule"),
  f(["booking-db", "payments-db", "hotel-db", "ari-db"], "the primary region is lost", "reads go on from us-west-2; bookings, payments and edits stop until promotion", "health checks, origin 5xx, synthetic checkout canary", "unplanned failover of the global clusters (RPO ~1 s), move relays, the hold sweeper and the HotelChanged forwarding rule, move the writer switch, a full ARI read of every resort (section 12)"),
  f(["payments", "payment-provider"], "provider outage or 3-D Secure failures", "cannot pay; the hold runs out and is released", "payment success rate alarm, provider status feed", "circuit breaker with a clear message; holds released by the sweeper; second provider is a risk item"),
  f(["payments", "payment-provider"], "a call to the PSP times out mid-charge (capture, void or refund): the outcome is unknown", "none: the booking stays confirmed; the money moves once or not at all", "PSP latency and timeout rate per call, error SLO", "never read as a failure: the payments service reads the intent at the PSP by reference, then retries the same act with the same idempotency key only if it did not happen; no new key, no second charge (section 3.9)"),
  f(["payments"], "webhook lost or delayed", "the booking waits in HELD until the poll finds the result", "payments polls the provider every minute for intents PENDING over 5 min (section 3.9) and counts results no webhook brought (ticket); an intent still PENDING 5 min after its session expired (page)", "the poll records the result; late results follow 'the hold expires before the payment result'"),
  f(["crs"], "the CRS is unreachable or slow", "no new holds: the site says 'try again or call us'; search shows cached offers", "circuit breaker per CRS endpoint, error rate", "bookings stop cleanly (no hold, no charge); commits retried with the same hold until it expires, then voided"),
  f(["pms", "channel-manager", "otas", "gds", "call-centre", "loyalty"], "a group system or channel is down", "that channel stops selling; the website is unaffected", "the group's own monitoring; CRS sync errors", "their own runbooks; the CRS stays the master"),
  f(["data-warehouse", "relationships-workspace"], "the warehouse or an export fails", "reports late", "Firehose delivery errors, export job status", "Firehose retries and backs up to S3; exports rerun"),
  f(["event-bus"], "delivery failures", "e-mails, captures and index updates late", "DLQ alarms, failed-invocation metrics", "retries, replay from the archive"),
  f(["notifications", "notification-log", "email"], "e-mail not sent", "confirmation on screen only", "notification SLO (99 % within 5 min)", "retry with backoff; support can resend"),
  f(["identity", "identity-store"], "Cognito regional outage", "sign-in fails; guest checkout still works", "sign-in error rate", "switch the issuer to the standby pool (RTO 30 min); guests sign in with an e-mail code and register passkeys again"),
  f(["guest", "booking", "payments", "notifications", "identity", "crs", "payment-provider", "data-warehouse"], "a privacy request's task gets no receipt (an owner fails, a third party does not answer)", "the guest's answer is late: GDPR allows one month, LFPDPPP 20 business days", "tasks without a receipt retried with backoff; a request with an open task 5 business days before it is due pages the privacy on-call", "fix or escalate the owner; the task reruns with the same request id, which every handler treats as idempotent"),
  f(["maps"], "maps unavailable", "no map on resort pages", "RUM errors on the map component", "the page renders without the map"),
  f(["legacy-site"], "the current website fails during migration", "routes not yet migrated fail", "CloudFront 5xx on the legacy origin", "its own runbooks; migrated routes are unaffected"),
  f(["hotel-db", "booking-db", "payments-db", "guest-db"], "data corrupted by a bug", "wrong data shown or booked", "reconciliation jobs and anomaly alarms", "point-in-time restore to a new cluster or table, replay the erasure list on it before it serves (section 9.4), repair from it, replay events"),
];

const environments: Environment[] = [
  { id: "dev", name: "dev", accounts: "hotel-dev", regions: "us-east-1 only", data: "synthetic guests; PSP test mode; CRS vendor sandbox", purpose: "every merge to main deploys; preview stacks per pull request" },
  { id: "staging", name: "staging", accounts: "hotel-staging", regions: "us-east-1 + us-west-2, scaled down", data: "content copied from live, synthetic guests; PSP test mode; a CRS test property", purpose: "release candidates, switchover and failover rehearsals, load tests" },
  { id: "live", name: "live", accounts: "hotel-live (+ security, backup, shared-services)", regions: "us-east-1 primary, us-west-2 secondary", data: "real guests and payments (SAQ A)", purpose: "production; the artefacts promoted from staging" },
];

const ours = (x: Component) => !["client", "external"].includes(x.kind);
const OUTSIDE = ["guest-browser", "staff-console", "payment-provider", "maps", "email", "crs", "legacy-site"];
const LANDSCAPE = ["guest-browser", "call-centre", "crs", "pms", "channel-manager", "otas", "gds", "loyalty", "data-warehouse", "relationships-workspace", "payment-provider", "legacy-site"];
const platform = { id: "platform", name: "Booking platform", description: "AWS, us-east-1 + us-west-2", zone: "app", members: components.filter(ours).map((x) => x.id) };

/** The resort group's booking platform: components, connections, stores, views, flows and sizing. */
export const hotelPlatform: Model = {
  id: "hotel-platform",
  title: "Resort booking platform on AWS",
  pciSaq: "A",
  zones: [
    { id: "internet", name: "Internet (untrusted)", trust: "untrusted", description: "Guests, staff browsers, anyone." },
    { id: "edge", name: "Edge", trust: "edge", description: "DNS, WAF, CloudFront and its origin router, the regional load balancers, the user pool's WAF." },
    { id: "app", name: "Application (private subnets)", trust: "trusted", description: "Our services, jobs and the event bus; no public IPs." },
    { id: "data", name: "Data (isolated subnets)", trust: "restricted", description: "Stores reachable only from their owning service's security group." },
    { id: "providers", name: "Third parties", trust: "third-party", description: "Payment provider, maps, e-mail, OTAs, GDS." },
    { id: "group", name: "Group systems", trust: "third-party", description: "The resort group's existing systems: CRS, PMS, channel manager, call centre, loyalty, warehouse." },
    { id: "legacy", name: "Current website", trust: "third-party", description: "The on-premises site being replaced." },
  ],
  regions: [
    { id: "internet", name: "Internet", role: "external" },
    { id: "global", name: "Global edge", role: "global" },
    { id: PRIMARY, name: "us-east-1 (N. Virginia), primary", role: "primary" },
    { id: SECONDARY, name: "us-west-2 (Oregon), secondary", role: "secondary" },
  ],
  components,
  connections,
  stores,
  views: [
    { id: "context", title: "System context", level: "context", description: "Who uses the platform and what it depends on.", elements: OUTSIDE, collapse: platform },
    { id: "landscape", title: "System landscape", level: "landscape", description: "The group's existing systems and channels around the platform.", elements: LANDSCAPE, collapse: platform },
    { id: "edge", title: "Edge and routing", level: "container", description: "Every door: CloudFront with WAF and the origin router, the user pool behind its own WAF, webhooks.", elements: ["guest-browser", "staff-console", "dns", "waf", "cdn", "origin-router", "alb", "pool-waf", "identity", "web-assets", "photo-bucket", "legacy-site", "payment-provider", "crs"] },
    { id: "content", title: "Content and search", level: "container", description: "Resort content, its cache and photos, and the search read model fed through the outbox.", elements: ["alb", "web", "search", "search-index", "search-indexer", "hotel", "hotel-db", "hotel-cache", "photo-bucket", "hotel-outbox", "event-bus", "maps"] },
    { id: "ari", title: "Availability, rates and price", level: "container", description: "ARI keeps the CRS's per-date data and is the only component that prices a stay.", elements: ["alb", "web", "search", "ari", "ari-db", "quote-cache", "booking", "crs"] },
    { id: "booking", title: "Booking and payment", level: "container", description: "The saga's services, stores, outbox relays and the two masters it talks to.", elements: ["alb", "booking", "booking-db", "booking-outbox", "booking-sweeper", "payments", "payments-db", "payments-outbox", "event-bus", "payment-provider", "crs"] },
    { id: "events", title: "Events and their consumers", level: "container", description: "Every producer publishes through its outbox relay; each consumer has its own queue.", elements: ["hotel-outbox", "booking-outbox", "payments-outbox", "event-bus", "search-indexer", "booking", "payments", "notifications", "notification-log", "email", "guest", "data-warehouse"] },
    { id: "guests", title: "Guests and identity", level: "container", description: "Sign-in through the user pool's WAF; guest data keyed by our own guest id.", elements: ["alb", "pool-waf", "identity", "identity-store", "guest", "guest-db", "loyalty", "hotel"] },
    { id: "deployment-edge", title: "Deployment: edge and regions", level: "deployment", description: "The global edge in front of two regions; the router picks the region per request.", elements: ["guest-browser", "dns", "waf", "cdn", "origin-router", "alb", "pool-waf", "identity"] },
    { id: "deployment-app", title: "Deployment: services, workers and caches", level: "deployment", description: "Relays and the sweeper run only in the writer region; the bus forwards HotelChanged to the other region.", elements: ["web", "search", "search-indexer", "hotel", "hotel-outbox", "ari", "guest", "booking", "booking-outbox", "booking-sweeper", "payments", "payments-outbox", "notifications", "event-bus", "hotel-cache", "quote-cache"] },
    { id: "deployment-data", title: "Deployment: data and replication", level: "deployment", description: "Where every store lives and how it reaches the other region.", elements: ["web-assets", "photo-bucket", "hotel-db", "search-index", "ari-db", "guest-db", "booking-db", "payments-db", "identity-store", "notification-log"] },
  ],
  sequences,
  stepRules,
  dataMasters,
  boundaries,
  failureModes,
  scenarios,
  assumptions,
  capacity,
  costs,
  environments,
  requirements: [
    { id: "R1", text: "Guests search every resort by dates and guests and see priced offers fast (p75 LCP < 2.5 s, search API p95 < 500 ms)", components: ["cdn", "web", "search", "search-index", "ari", "quote-cache"], connections: ["c-alb-web", "c-web-search", "c-search-index", "c-search-ari", "c-ari-cache"] },
    { id: "R2", text: "Resort content, photos and location", components: ["hotel", "hotel-db", "hotel-cache", "photo-bucket", "maps"], connections: ["c-web-hotel", "c-hotel-db", "c-hotel-cache", "c-cdn-photos", "c-guest-maps"] },
    { id: "R3", text: "Online payments with the smallest PCI DSS scope (SAQ A)", components: ["payments", "payments-db", "payment-provider"], connections: ["c-guest-psp", "c-payments-psp", "c-psp-waf", "c-alb-payments"] },
    { id: "R4", text: "Guest services (favourites, recently viewed, profile, trips) keyed by our own guest id", components: ["guest", "guest-db", "identity"], connections: ["c-alb-guest", "c-guest-db", "c-identity-guest", "c-bus-guest"] },
    { id: "R5", text: "A paid booking always has a room committed at the CRS; a failed step voids or refunds automatically", components: ["booking", "booking-db", "booking-sweeper", "payments", "crs"], connections: ["c-booking-crs", "c-sweeper-crs", "c-bus-booking", "c-bus-payments", "c-payments-psp"] },
    { id: "R6", text: "Cancellations refund by PSP reference with an idempotency key and reverse the ledger", components: ["booking", "payments", "payments-db", "notifications"], connections: ["c-booking-crs", "c-bus-payments", "c-payments-psp", "c-bus-notify"] },
    { id: "R7", text: "Availability, rates and restrictions come from the CRS; one owner for price", components: ["ari", "ari-db", "crs"], connections: ["c-crs-waf", "c-alb-ari", "c-ari-db", "c-ari-crs", "c-booking-ari"] },
    { id: "R8", text: "Search answers with a content edit within 60 s (p95) in both regions; a search page cached at the edge within 150 s", components: ["hotel", "hotel-outbox", "event-bus", "search-indexer", "search-index", "search"], connections: ["c-hotel-db", "c-hotel-outbox-db", "c-hotel-outbox-bus", "c-bus-indexer", "c-indexer-index", "c-search-index"] },
    { id: "R9", text: "Secure: every request, sign-in included, passes WAF; no public IPs on services", components: ["waf", "pool-waf", "cdn", "alb"], connections: ["c-guest-waf", "c-guest-pool", "c-waf-cdn", "c-router-alb", "c-psp-waf", "c-crs-waf"] },
    { id: "R10", text: "Sign-in for guests (e-mail OTP, passkeys, social) and staff (SSO)", components: ["identity", "identity-store", "pool-waf"], connections: ["c-pool-identity", "c-identity-store"] },
    { id: "R11", text: "Survive the loss of a region (RPO <= 1 min, RTO <= 30 min for booking); guests read their own writes", components: ["dns", "origin-router", "alb", "hotel-db", "booking-db", "payments-db", "guest-db"], connections: ["c-router-alb", "c-alb-booking", "c-alb-payments"] },
    { id: "R12", text: "Move from the current website route by route with rollback, joined to the group's systems", components: ["origin-router", "legacy-site", "crs", "data-warehouse"], connections: ["c-router-legacy", "c-bus-warehouse", "c-booking-crs"] },
    { id: "R13", text: "A guest's access, export or erasure request (LFPDPPP ARCO, GDPR, CCPA) reaches every store and system holding their personal data within 20 business days, with a receipt from each", components: ["guest", "guest-db", "booking", "booking-db", "payments", "payments-db", "notifications", "notification-log", "identity", "identity-store", "crs", "payment-provider", "data-warehouse"], connections: ["c-alb-guest", "c-guest-db", "c-guest-booking-privacy", "c-guest-payments-privacy", "c-guest-notify-privacy", "c-guest-identity-privacy", "c-guest-warehouse-privacy", "c-booking-crs-privacy", "c-payments-psp-privacy"] },
  ],
};
