// Fitness functions: architecture rules as code. Each check returns the list of problems it found,
// in plain sentences naming the elements, so a test can assert `[]` and show a reader what broke.
import { CODE_KINDS, STORE_KINDS } from "./types.ts";
import type { Component, Connection, Model, StoreSpec } from "./types.ts";

function byId(model: Model): Map<string, Component> {
  return new Map(model.components.map((c) => [c.id, c]));
}

function storeOf(model: Model, id: string): StoreSpec | undefined {
  return model.stores.find((s) => s.component === id);
}

/**
 * Returns the service that owns a component: jobs belong to their service, services to themselves.
 * @example ownerOf(model, "search-indexer") // "search"
 */
export function ownerOf(model: Model, id: string): string {
  const c = byId(model).get(id);
  if (!c) return id;
  return storeOf(model, id)?.owner ?? c.service ?? c.id;
}

/**
 * Returns every id that does not resolve: connection ends, zones, regions, store owners, view
 * elements, sequence steps and requirement links; plus duplicate ids.
 * @example checkReferences(model) // ["connection 'c-x' goes to unknown component 'nope'"]
 */
export function checkReferences(model: Model): string[] {
  const problems: string[] = [];
  const components = byId(model);
  const connections = new Set(model.connections.map((c) => c.id));
  const zones = new Set(model.zones.map((z) => z.id));
  const regions = new Set(model.regions.map((r) => r.id));
  const seen = new Set<string>();
  for (const id of [...model.components.map((c) => c.id), ...model.connections.map((c) => c.id)]) {
    if (seen.has(id)) problems.push(`id '${id}' is used twice`);
    seen.add(id);
  }
  for (const c of model.components) {
    if (!zones.has(c.zone)) problems.push(`component '${c.id}' is in unknown zone '${c.zone}'`);
    if (c.regions.length === 0) problems.push(`component '${c.id}' is placed in no region`);
    for (const r of c.regions) if (!regions.has(r)) problems.push(`component '${c.id}' is placed in unknown region '${r}'`);
    if (c.kind === "job" && components.get(c.service ?? "")?.kind !== "service") {
      problems.push(`job '${c.id}' must name the service that owns it`);
    }
  }
  for (const c of model.connections) {
    if (!components.has(c.from)) problems.push(`connection '${c.id}' comes from unknown component '${c.from}'`);
    if (!components.has(c.to)) problems.push(`connection '${c.id}' goes to unknown component '${c.to}'`);
  }
  for (const s of model.stores) {
    const c = components.get(s.component);
    if (!c) problems.push(`store spec names unknown component '${s.component}'`);
    else if (!STORE_KINDS.includes(c.kind)) problems.push(`store spec '${s.component}' is a ${c.kind}, not a store`);
    if (components.get(s.owner)?.kind !== "service") problems.push(`store '${s.component}' is owned by '${s.owner}', which is not a service`);
    for (const d of s.derivedFrom ?? []) if (!components.has(d)) problems.push(`store '${s.component}' is derived from unknown '${d}'`);
    for (const a of s.sharedWith ?? []) if (!components.has(a.component)) problems.push(`store '${s.component}' is shared with unknown '${a.component}'`);
  }
  for (const v of model.views) {
    for (const e of [...v.elements, ...(v.collapse?.members ?? [])]) {
      if (!components.has(e)) problems.push(`view '${v.id}' lists unknown component '${e}'`);
    }
    if (v.collapse && !zones.has(v.collapse.zone)) problems.push(`view '${v.id}' collapses into unknown zone '${v.collapse.zone}'`);
  }
  for (const s of model.stores) {
    const placed = components.get(s.component)?.regions ?? [];
    for (const r of s.writerRegions ?? []) if (!placed.includes(r)) problems.push(`store '${s.component}' takes writes in '${r}', where it is not placed`);
  }
  for (const s of model.sequences) {
    for (const g of s.groups ?? []) for (const m of g.members) if (!components.has(m)) problems.push(`sequence '${s.id}' groups unknown '${m}'`);
    for (const step of s.steps) {
      if (step.kind === "note") {
        for (const o of step.over) if (!components.has(o)) problems.push(`sequence '${s.id}' has a note over unknown '${o}'`);
      } else if (!connections.has(step.via)) {
        problems.push(`sequence '${s.id}' step '${step.text}' travels on unknown connection '${step.via}'`);
      }
    }
  }
  for (const r of model.requirements) {
    for (const c of r.components) if (!components.has(c)) problems.push(`requirement ${r.id} names unknown component '${c}'`);
    for (const c of r.connections) if (!connections.has(c)) problems.push(`requirement ${r.id} names unknown connection '${c}'`);
    if (r.components.length === 0) problems.push(`requirement ${r.id} is met by no component`);
  }
  return problems;
}

/**
 * Returns connections (and replication links) without a label or a protocol.
 * @example checkLabels(model) // ["connection 'c-1' has no protocol"]
 */
export function checkLabels(model: Model): string[] {
  const problems: string[] = [];
  for (const c of model.connections) {
    if (!c.label.trim()) problems.push(`connection '${c.id}' has no label`);
    if (!c.protocol.trim()) problems.push(`connection '${c.id}' has no protocol`);
    if (c.data.length === 0) problems.push(`connection '${c.id}' declares no data classification`);
  }
  for (const s of model.stores) {
    if (s.replicationLink && (!s.replicationLink.label.trim() || !s.replicationLink.protocol.trim())) {
      problems.push(`store '${s.component}' has a replication link without label or protocol`);
    }
  }
  return problems;
}

/**
 * Returns stores that do not declare replication, backup, RPO, RTO, what they hold and why.
 * @example checkStores(model) // ["store 'guest-db' declares no rpo"]
 */
export function checkStores(model: Model): string[] {
  const problems: string[] = [];
  for (const c of model.components.filter((c) => STORE_KINDS.includes(c.kind))) {
    const specs = model.stores.filter((s) => s.component === c.id);
    if (specs.length !== 1) {
      problems.push(`store '${c.id}' has ${specs.length} store specs; it needs exactly one`);
      continue;
    }
    const spec = specs[0];
    for (const field of ["holds", "replication", "backup", "rpo", "rto", "why"] as const) {
      if (!spec[field].trim()) problems.push(`store '${c.id}' declares no ${field}`);
    }
  }
  return problems;
}

/**
 * Returns components that no connection touches (orphans) or that no view draws.
 * @example checkViews(model) // ["component 'notif-db' appears in no view"]
 */
export function checkViews(model: Model): string[] {
  const problems: string[] = [];
  const drawn = new Set(model.views.flatMap((v) => v.elements));
  const connected = new Set(model.connections.flatMap((c) => [c.from, c.to]));
  for (const c of model.components) {
    if (!drawn.has(c.id)) problems.push(`component '${c.id}' appears in no view`);
    if (!connected.has(c.id)) problems.push(`component '${c.id}' is orphaned: no connection touches it`);
  }
  for (const v of model.views) if (v.elements.length === 0) problems.push(`view '${v.id}' draws nothing`);
  return problems;
}

function allows(granted: "read" | "write" | "read-write", wanted: Connection["access"]): boolean {
  return granted === "read-write" || granted === (wanted ?? "read-write");
}

/**
 * Returns every connection where code reads or writes a store owned by another service (unless the
 * store's `sharedWith` grants that access), where a client touches a store, or where the edge writes one.
 * @example checkOwnership(model) // ["'booking' reads-write 'guest-db', which belongs to 'guest'"]
 */
export function checkOwnership(model: Model): string[] {
  const problems: string[] = [];
  const components = byId(model);
  for (const c of model.connections) {
    const store = storeOf(model, c.to);
    const from = components.get(c.from);
    if (!store || !from) continue;
    if (from.kind === "client") problems.push(`client '${from.id}' touches store '${store.component}' directly`);
    if (from.kind === "edge" && c.access !== "read") problems.push(`edge '${from.id}' writes store '${store.component}'`);
    if (!CODE_KINDS.includes(from.kind)) continue;
    const owner = ownerOf(model, from.id);
    if (owner === store.owner) continue;
    const grant = (store.sharedWith ?? []).find((g) => g.component === from.id);
    if (grant && allows(grant.access, c.access)) continue;
    problems.push(`'${from.id}' ${c.access ?? "uses"} '${store.component}', which belongs to '${store.owner}'`);
  }
  return problems;
}

/**
 * Returns the components reachable from `start` following connections, never entering `blocked`. A
 * job that reads a reached store (an outbox relay, a sweeper) is reached too: what was written there
 * is what makes it run.
 * @example reachable(model, "guest-browser", new Set(["cdn"])) // Set {"guest-browser", "maps", ...}
 */
export function reachable(model: Model, start: string, blocked: ReadonlySet<string> = new Set()): Set<string> {
  const components = byId(model);
  const seen = new Set([start]);
  const queue = [start];
  const visit = (id: string) => {
    if (seen.has(id) || blocked.has(id)) return;
    seen.add(id);
    queue.push(id);
  };
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const c of model.connections) {
      if (c.from === at) visit(c.to);
      else if (c.to === at && c.access !== "write" && components.get(c.from)?.kind === "job" && storeOf(model, at)) visit(c.from);
    }
  }
  return seen;
}

/**
 * Returns problems unless every `required` service exists, is reachable from `client`, and no code of
 * ours is reachable from it once the edge components are taken away (the edge is the only door).
 * @example checkEdgeOnly(model, "guest-browser", ["search"]) // []
 */
export function checkEdgeOnly(model: Model, client: string, required: readonly string[]): string[] {
  const problems: string[] = [];
  const components = byId(model);
  for (const id of required) {
    const c = components.get(id);
    if (!c) problems.push(`required service '${id}' is missing`);
    else if (c.kind !== "service") problems.push(`required service '${id}' is a ${c.kind}`);
  }
  const withEdge = reachable(model, client);
  for (const id of required) if (components.has(id) && !withEdge.has(id)) problems.push(`required service '${id}' is not reachable from '${client}'`);
  const edge = new Set(model.components.filter((c) => c.kind === "edge").map((c) => c.id));
  const withoutEdge = reachable(model, client, edge);
  const ours = (c: Component | undefined) => !!c && (CODE_KINDS.includes(c.kind) || STORE_KINDS.includes(c.kind) || c.kind === "queue");
  // Report the door, not everything behind it: the connection where the outside steps into our code.
  for (const conn of model.connections) {
    if (!withoutEdge.has(conn.from) || ours(components.get(conn.from)) || !ours(components.get(conn.to))) continue;
    problems.push(`'${conn.to}' is reachable from '${client}' without passing the edge (connection '${conn.id}' from '${conn.from}')`);
  }
  return problems;
}

/**
 * Returns the PCI DSS self-assessment questionnaire the card-data flows imply: "A" when every card
 * flow goes from a client straight to a third party through hosted fields or a redirect, "A-EP" when
 * our page posts the card itself, "D" when card data reaches or rests in anything of ours.
 * @example derivePciSaq(model) // "A"
 */
export function derivePciSaq(model: Model): "A" | "A-EP" | "D" | "none" {
  const components = byId(model);
  const card = model.connections.filter((c) => c.data.includes("card"));
  if (card.length === 0 && !model.stores.some((s) => s.data.includes("card"))) return "none";
  if (model.stores.some((s) => s.data.includes("card"))) return "D";
  if (card.some((c) => components.get(c.to)?.kind !== "external" || components.get(c.from)?.kind !== "client")) return "D";
  if (card.some((c) => c.cardEntry !== "hosted-fields" && c.cardEntry !== "redirect")) return "A-EP";
  return "A";
}

/**
 * Returns card-data flows that end anywhere but a third party, stores of ours that hold card data,
 * and a mismatch between the declared and the derived PCI DSS questionnaire.
 * @example checkCardData(model) // ["card data flows on 'c-x' into our 'payments'"]
 */
export function checkCardData(model: Model): string[] {
  const problems: string[] = [];
  const components = byId(model);
  for (const c of model.connections.filter((c) => c.data.includes("card"))) {
    const to = components.get(c.to);
    if (to?.kind !== "external") problems.push(`card data flows on '${c.id}' into our '${c.to}'`);
    if (components.get(c.from)?.kind !== "client") problems.push(`card data flows on '${c.id}' out of our '${c.from}'`);
  }
  for (const s of model.stores) if (s.data.includes("card")) problems.push(`store '${s.component}' holds card data`);
  const derived = derivePciSaq(model);
  if (model.pciSaq && model.pciSaq !== derived) problems.push(`the design claims PCI DSS SAQ ${model.pciSaq} but its card flows imply SAQ ${derived}`);
  return problems;
}

/**
 * Returns problems with derived read models (e.g. a search index): each must name source-of-truth
 * stores, be written only by code of ours that no client or edge calls directly, and every message
 * feeding a writer must be published by the owner of a source store from that store's data.
 * @example checkDerivedStores(model) // []
 */
export function checkDerivedStores(model: Model): string[] {
  const problems: string[] = [];
  const components = byId(model);
  for (const store of model.stores.filter((s) => s.derivedFrom || components.get(s.component)?.kind === "search-index")) {
    const sources = store.derivedFrom ?? [];
    if (sources.length === 0) problems.push(`'${store.component}' is a derived store that names no source of truth`);
    for (const src of sources) if (!storeOf(model, src)?.sourceOfTruth) problems.push(`'${store.component}' is derived from '${src}', which is not a source of truth`);
    const writes = model.connections.filter((c) => c.to === store.component && c.access !== "read");
    if (writes.length === 0) problems.push(`nothing feeds '${store.component}'`);
    const sourceOwners = new Set(sources.map((s) => storeOf(model, s)?.owner));
    for (const w of writes) {
      const writer = components.get(w.from);
      if (!writer || !CODE_KINDS.includes(writer.kind)) {
        problems.push(`'${store.component}' is written by '${w.from}', which is not code of ours`);
        continue;
      }
      for (const input of model.connections.filter((c) => c.to === writer.id)) {
        const from = components.get(input.from);
        if (!from) continue;
        if (from.kind === "client" || from.kind === "edge") {
          problems.push(`'${writer.id}' writes '${store.component}' and takes requests from '${from.id}', so guests could write it`);
        } else if (from.kind === "queue") {
          for (const message of input.messages ?? []) {
            const publishers = model.connections.filter((p) => p.to === from.id && (p.messages ?? []).includes(message));
            if (publishers.length === 0) problems.push(`'${message}' reaches '${writer.id}' but nobody publishes it`);
            for (const p of publishers) {
              const publisherOwner = ownerOf(model, p.from);
              const readsSource = model.connections.some((r) => r.from === p.from && sources.includes(r.to));
              if (!sourceOwners.has(publisherOwner) || !readsSource) {
                problems.push(`'${message}' feeding '${store.component}' is published by '${p.from}', which does not own a source of truth`);
              }
            }
          }
        } else if (!sourceOwners.has(ownerOf(model, from.id))) {
          problems.push(`'${writer.id}' writes '${store.component}' on behalf of '${from.id}', which does not own a source of truth`);
        }
      }
    }
  }
  return problems;
}

/**
 * Returns connections that cross from one zone to another without a trust boundary (and its STRIDE
 * analysis) covering that crossing, and boundaries with an empty threat entry or an unknown zone.
 * @example checkBoundaries(model) // ["connection 'c-x' crosses app -> providers, which no trust boundary covers"]
 */
export function checkBoundaries(model: Model): string[] {
  const problems: string[] = [];
  const components = byId(model);
  const zones = new Set(model.zones.map((z) => z.id));
  const covered = new Set(model.boundaries.flatMap((b) => b.crossings.map(([f, t]) => `${f}>${t}`)));
  for (const b of model.boundaries) {
    for (const [f, t] of b.crossings) for (const z of [f, t]) if (!zones.has(z)) problems.push(`boundary '${b.id}' names unknown zone '${z}'`);
    for (const [threat, text] of Object.entries(b.stride)) if (!text.trim()) problems.push(`boundary '${b.id}' has no ${threat} entry`);
  }
  for (const c of model.connections) {
    const f = components.get(c.from)?.zone;
    const t = components.get(c.to)?.zone;
    if (!f || !t || f === t) continue;
    if (!covered.has(`${f}>${t}`)) problems.push(`connection '${c.id}' crosses ${f} -> ${t}, which no trust boundary covers`);
  }
  return problems;
}

/**
 * Returns components (other than clients) that no failure mode covers, and rows naming unknown ones.
 * @example checkFailureModes(model) // ["component 'alb' has no failure mode"]
 */
export function checkFailureModes(model: Model): string[] {
  const problems: string[] = [];
  const components = byId(model);
  const covered = new Set<string>();
  model.failureModes.forEach((f, i) => {
    if (f.components.length === 0) problems.push(`failure mode ${i + 1} ('${f.failure}') names no component`);
    for (const id of f.components) {
      if (!components.has(id)) problems.push(`failure mode ${i + 1} ('${f.failure}') names unknown component '${id}'`);
      covered.add(id);
    }
    for (const field of ["failure", "effect", "response", "recovery"] as const) {
      if (!f[field].trim()) problems.push(`failure mode ${i + 1} has no ${field}`);
    }
  });
  for (const c of model.components) if (c.kind !== "client" && !covered.has(c.id)) problems.push(`component '${c.id}' has no failure mode`);
  return problems;
}
