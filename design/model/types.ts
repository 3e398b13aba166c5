// The architecture model: the one definition of a system's components, zones, regions, connections,
// data stores, views and sequences. Diagrams, tables and fitness checks are all derived from it, so
// a design cannot say one thing in a picture and another in a table.

/** What a component is; decides its shape in diagrams and which checks apply to it. */
export type ComponentKind =
  | "client" // a browser or program outside our control that starts requests
  | "edge" // DNS, CDN, WAF, load balancer: the only door from the internet to our services
  | "service" // a deployable service of ours that owns data
  | "job" // a worker, relay or scheduled task of ours; belongs to a service (`service`)
  | "queue" // an event bus, topic or queue
  | "datastore" // a database
  | "cache" // a cache that can be rebuilt from a store
  | "search-index" // a derived read model for search
  | "object-store" // blobs: photos, static assets, exported files
  | "file" // a file on disk (small systems)
  | "external"; // a third party or a legacy system we call or that calls us

/** Kinds that hold data and therefore must declare a {@link StoreSpec}. */
export const STORE_KINDS: readonly ComponentKind[] = ["datastore", "cache", "search-index", "object-store", "file"];

/** Kinds that are ours and run code (owners of data, targets of the ownership rules). */
export const CODE_KINDS: readonly ComponentKind[] = ["service", "job"];

/** How much an attacker is assumed to control a zone. */
export type Trust = "untrusted" | "edge" | "trusted" | "restricted" | "third-party";

/** A zone: a trust boundary. Zones are listed left to right in the order diagrams draw them. */
export interface Zone {
  id: string;
  name: string;
  trust: Trust;
  description: string;
}

/** A placement: a cloud region, "global" for edge networks, or "internet" for clients and third parties. */
export interface Region {
  id: string;
  name: string;
  role: "primary" | "secondary" | "global" | "external" | "single";
}

/** A box in the diagrams. */
export interface Component {
  id: string;
  name: string;
  kind: ComponentKind;
  zone: string;
  /** Where instances run; a component listed in two regions is drawn once per region in deployment views. */
  regions: string[];
  /** The product or managed service it runs on, e.g. "Amazon Aurora PostgreSQL". */
  tech: string;
  description: string;
  /** For jobs: the service that owns and deploys it (ownership rules treat it as that service). */
  service?: string;
  /** A link the component keeps between its region instances (e.g. events forwarded by a cross-Region rule); drawn in deployment views from the first region to the others. */
  regionLink?: { label: string; protocol: string };
}

/** Data classes a connection carries or a store holds; "card" is cardholder data (PAN, CVC). */
export type Classification = "public" | "internal" | "personal" | "credentials" | "token" | "card";

/** An arrow: `from` starts the interaction (calls, publishes, delivers). */
export interface Connection {
  id: string;
  from: string;
  to: string;
  label: string;
  protocol: string;
  mode: "sync" | "async";
  data: Classification[];
  /** For connections into a store: what the caller does to it. */
  access?: "read" | "write" | "read-write";
  /** For connections into or out of a queue: the message types carried. */
  messages?: string[];
  /** For card data: how the card is captured (decides the PCI DSS self-assessment questionnaire). */
  cardEntry?: "hosted-fields" | "redirect" | "direct-post" | "server-api";
  /**
   * For calls into a component that runs in several regions: which region serves them. "writer-region"
   * means the region that holds the writer of the callee's stores (the edge's origin choice, or where
   * the consumer's queue is drained); "nearest-region" (the default) means any healthy region.
   */
  routing?: "writer-region" | "nearest-region";
}

/** A component from another service allowed to touch a store, and why (the exception is the documentation). */
export interface SharedAccess {
  component: string;
  access: "read" | "write" | "read-write";
  why: string;
}

/** What every store declares: who owns it, how it survives failures, and why it is this engine. */
export interface StoreSpec {
  component: string;
  /** The owning service (id of a `service` component). Only it reads and writes, unless `sharedWith` says so. */
  owner: string;
  holds: string;
  data: Classification[];
  replication: string;
  backup: string;
  /** Recovery point objective: how much data may be lost, e.g. "1 s", "n/a (rebuilt from hotel-db)". */
  rpo: string;
  /** Recovery time objective: how long until it serves again. */
  rto: string;
  why: string;
  /** True for the store that is the source of truth for its data. */
  sourceOfTruth?: boolean;
  /** For derived read models: the source-of-truth stores it is built from. */
  derivedFrom?: string[];
  /** Cross-region replication drawn in deployment views (from the first region to the others). */
  replicationLink?: { label: string; protocol: string };
  sharedWith?: SharedAccess[];
  /** Regions where the store accepts writes; every region it is placed in when absent (multi-writer). */
  writerRegions?: string[];
  /** True when the store holds a transactional outbox table that a relay job publishes from. */
  outbox?: boolean;
}

/** A diagram: which elements appear, at which C4 level. */
export interface View {
  id: string;
  title: string;
  level: "context" | "landscape" | "container" | "deployment";
  description: string;
  /** Component ids drawn in this view. */
  elements: string[];
  /** Context views draw many components as one box (the system under design). */
  collapse?: { id: string; name: string; description: string; zone: string; members: string[] };
}

/**
 * One line in a sequence diagram. `via` names the model connection the message travels on. A call
 * may name the business act it performs (`act`, e.g. "payment.capture"), which the step rules check,
 * and whether it reads or writes a store reached on a read-write connection (`access`).
 */
export type Step =
  | { kind: "call"; via: string; text: string; act?: string; access?: "read" | "write" }
  | { kind: "reply"; via: string; text: string }
  | { kind: "note"; over: string[]; text: string };

/** Participants drawn as one lifeline in a sequence diagram (e.g. the whole edge); calls between members are left out. */
export interface SequenceGroup {
  id: string;
  name: string;
  members: string[];
}

/** A sequence diagram built only from connections that exist in the model. */
export interface Sequence {
  id: string;
  title: string;
  description: string;
  steps: Step[];
  /** Lifelines that stand for several components, so a diagram stays narrow enough to read. */
  groups?: SequenceGroup[];
}

/**
 * An ordering rule over the acts of sequence steps, checked in every sequence: each step doing `act`
 * must come after a step doing `after` (when given), and be followed by a step doing one of `then`
 * (when given).
 */
export interface StepRule {
  act: string;
  after?: string;
  then?: string[];
  why: string;
}

/** The one system of record for a kind of data, the stores of ours that keep copies, and who must ask the master. */
export interface DataMaster {
  data: string;
  master: string;
  copies: string[];
  /** Components that use the data: each must call the master or read one of its copies. */
  readers: string[];
  why: string;
}

/** A sizing scenario: the base case the design is costed for, and the cases it must grow into. */
export interface Scenario {
  id: string;
  name: string;
  /** Bookings a month, for the cost per booking. */
  bookingsPerMonth: number;
}

/** One row of the assumptions table: a value per scenario and where it comes from. */
export interface Assumption {
  quantity: string;
  values: Record<string, string>;
  source: string;
}

/** One row of the capacity table: the arithmetic and its result per scenario. */
export interface Estimate {
  quantity: string;
  arithmetic: string;
  values: Record<string, string>;
}

/** One line of the monthly cost table (USD per scenario), tied to the components it pays for. */
export interface CostLine {
  item: string;
  /** Components this line pays for; empty only for platform-wide lines, which say why in `basis`. */
  components: string[];
  monthly: Record<string, number>;
  basis: string;
}

/** A deployment environment: what runs there, where, and with what data. */
export interface Environment {
  id: string;
  name: string;
  accounts: string;
  regions: string;
  data: string;
  purpose: string;
}

/** A requirement and what satisfies it (rendered as the traceability table). */
export interface Requirement {
  id: string;
  text: string;
  components: string[];
  connections: string[];
}

/** STRIDE analysis of one trust boundary: one mitigation sentence per threat class. */
export interface Stride {
  spoofing: string;
  tampering: string;
  repudiation: string;
  informationDisclosure: string;
  denialOfService: string;
  elevationOfPrivilege: string;
}

/** A trust boundary: the zone crossings it covers (from zone, to zone) and its threat model. */
export interface Boundary {
  id: string;
  name: string;
  crossings: [string, string][];
  stride: Stride;
}

/** One row of the failure-mode table: what breaks, what users see, how we notice and recover. */
export interface FailureMode {
  components: string[];
  failure: string;
  effect: string;
  response: string;
  recovery: string;
}

/** A whole design. */
export interface Model {
  id: string;
  title: string;
  zones: Zone[];
  regions: Region[];
  components: Component[];
  connections: Connection[];
  stores: StoreSpec[];
  views: View[];
  sequences: Sequence[];
  requirements: Requirement[];
  /** Every connection that changes zone must cross a boundary listed here (STRIDE per trust boundary). */
  boundaries: Boundary[];
  /** Every component except clients needs at least one row. */
  failureModes: FailureMode[];
  /** PCI DSS self-assessment questionnaire the design claims; checked against the card-data flows. */
  pciSaq?: "A" | "A-EP" | "D" | "none";
  /** Ordering rules over the acts of sequence steps (sagas). */
  stepRules?: StepRule[];
  /** The system of record for each kind of data that more than one component holds. */
  dataMasters?: DataMaster[];
  scenarios?: Scenario[];
  assumptions?: Assumption[];
  capacity?: Estimate[];
  costs?: CostLine[];
  environments?: Environment[];
}
