// Fitness functions over flows: the order of a saga's acts, which region serves a read that follows
// a write, and how events leave a service (transactional outbox) and who receives them.
import { CODE_KINDS } from "./types.ts";
import type { Component, Connection, Model, Sequence, Step, StoreSpec } from "./types.ts";
import { ownerOf } from "./fitness.ts";

function storeOf(model: Model, id: string): StoreSpec | undefined {
  return model.stores.find((s) => s.component === id);
}

/**
 * Returns the regions where a store accepts writes: its declared writer regions, or every region its
 * component is placed in.
 * @example writerRegions(model, storeOf(model, "booking-db")) // ["us-east-1"]
 */
export function writerRegions(model: Model, store: StoreSpec): string[] {
  return store.writerRegions ?? model.components.find((c) => c.id === store.component)?.regions ?? [];
}

/**
 * Returns whether a call step reads, writes or (on a read-write connection it does not qualify) both.
 * @example stepAccess(read("c-booking-db", "SELECT"), conn) // "read"
 */
export function stepAccess(step: Extract<Step, { kind: "call" }>, conn: Connection): "read" | "write" | "read-write" {
  return step.access ?? (conn.access === "read" || conn.access === "write" ? conn.access : "read-write");
}

function acts(sequence: Sequence): (string | undefined)[] {
  return sequence.steps.map((s) => (s.kind === "call" ? s.act : undefined));
}

/**
 * Returns every step that breaks one of the model's step rules (a capture before the reservation is
 * committed, an authorisation never captured nor voided, ...) and rules that name acts no step does.
 * @example checkStepRules(model) // ["sequence 'seq-book': 'payment.capture' (step 9) does not follow 'reservation.commit'"]
 */
export function checkStepRules(model: Model): string[] {
  const problems: string[] = [];
  const rules = model.stepRules ?? [];
  const done = new Set(model.sequences.flatMap(acts));
  const named = new Set(rules.flatMap((r) => [r.act, ...(r.after ? [r.after] : []), ...(r.then ?? [])]));
  for (const act of named) if (!done.has(act)) problems.push(`a step rule names '${act}', which no sequence step does`);
  for (const sequence of model.sequences) {
    const list = acts(sequence);
    list.forEach((act, i) => {
      for (const rule of rules.filter((r) => act && r.act === act)) {
        if (rule.after && !list.slice(0, i).includes(rule.after)) {
          problems.push(`sequence '${sequence.id}': '${act}' (step ${i + 1}) does not follow '${rule.after}'`);
        }
        if (rule.then && !list.slice(i + 1).some((a) => a !== undefined && rule.then!.includes(a))) {
          problems.push(`sequence '${sequence.id}': '${act}' (step ${i + 1}) is not followed by ${rule.then.map((t) => `'${t}'`).join(" or ")}`);
        }
      }
    });
  }
  return problems;
}

/** The last call before step `i` that brought the flow into `owner`'s code from outside it. */
function entryBefore(model: Model, sequence: Sequence, i: number, owner: string): Connection | undefined {
  const connections = new Map(model.connections.map((c) => [c.id, c]));
  for (let k = i - 1; k >= 0; k--) {
    const step = sequence.steps[k];
    if (step.kind !== "call") continue;
    const c = connections.get(step.via);
    if (c && ownerOf(model, c.to) === owner && ownerOf(model, c.from) !== owner) return c;
  }
  return undefined;
}

/**
 * Returns every step where code running in a region without the store's writer writes that store, or
 * reads it after the same flow wrote it, while the request that brought the flow there is not routed
 * to the writer region. Stores that accept writes wherever the code runs are exempt.
 * @example checkRegionPinning(model) // ["sequence 'seq-book': 'booking' reads 'booking-db' after a write in the same flow (step 22), but its request arrives on 'c-alb-booking', which is not pinned to the writer region"]
 */
export function checkRegionPinning(model: Model): string[] {
  const problems: string[] = [];
  const components = new Map(model.components.map((c) => [c.id, c]));
  const connections = new Map(model.connections.map((c) => [c.id, c]));
  for (const sequence of model.sequences) {
    const written = new Set<string>();
    sequence.steps.forEach((step, i) => {
      if (step.kind !== "call") return;
      const conn = connections.get(step.via);
      const store = conn && storeOf(model, conn.to);
      const actor = conn && components.get(conn.from);
      if (!conn || !store || !actor || !CODE_KINDS.includes(actor.kind)) return;
      const access = stepAccess(step, conn);
      const writers = writerRegions(model, store);
      if (actor.regions.some((r) => !writers.includes(r))) {
        const entry = entryBefore(model, sequence, i, ownerOf(model, actor.id));
        const why = entry ? `its request arrives on '${entry.id}', which is not pinned to the writer region` : "nothing in the flow routes it to the writer region";
        if (entry?.routing !== "writer-region") {
          if (access !== "read") problems.push(`sequence '${sequence.id}': '${actor.id}' writes '${store.component}' (step ${i + 1}), but ${why}`);
          else if (written.has(store.component)) problems.push(`sequence '${sequence.id}': '${actor.id}' reads '${store.component}' after a write in the same flow (step ${i + 1}), but ${why}`);
        }
      }
      if (access !== "read") written.add(store.component);
    });
  }
  return problems;
}

function isQueue(c: Component | undefined): boolean {
  return c?.kind === "queue";
}

/**
 * Returns event producers that publish to a queue directly instead of through a relay draining their
 * service's outbox, relays placed in a region where that outbox has no writer, and outbox stores that
 * nothing drains.
 * @example checkOutbox(model) // ["'booking' publishes BookingConfirmed to 'event-bus' directly, not through an outbox relay"]
 */
export function checkOutbox(model: Model): string[] {
  const problems: string[] = [];
  const components = new Map(model.components.map((c) => [c.id, c]));
  const relays = new Set<string>();
  for (const c of model.connections) {
    const from = components.get(c.from);
    if (!isQueue(components.get(c.to)) || !c.messages?.length || !from) continue;
    const what = `${c.messages.join(", ")} to '${c.to}'`;
    if (from.kind !== "job") {
      problems.push(`'${from.id}' publishes ${what} directly, not through an outbox relay`);
      continue;
    }
    const outboxes = model.connections
      .filter((r) => r.from === from.id && r.access !== "write")
      .map((r) => storeOf(model, r.to))
      .filter((s): s is StoreSpec => !!s?.outbox && s.owner === from.service);
    if (outboxes.length === 0) problems.push(`'${from.id}' publishes ${what} but drains no outbox of its service '${from.service}'`);
    for (const store of outboxes) {
      relays.add(store.component);
      const writers = writerRegions(model, store);
      for (const r of from.regions) if (!writers.includes(r)) problems.push(`outbox relay '${from.id}' runs in '${r}', where '${store.component}' has no writer`);
    }
  }
  for (const store of model.stores.filter((s) => s.outbox)) {
    if (!relays.has(store.component)) problems.push(`outbox '${store.component}' is drained by no relay that publishes events`);
    if (!model.connections.some((w) => w.from === store.owner && w.to === store.component && w.access !== "read")) {
      problems.push(`outbox '${store.component}' is never written by its owner '${store.owner}'`);
    }
  }
  return problems;
}

/**
 * Returns, per queue, messages delivered that nobody publishes and messages published that nobody
 * consumes.
 * @example checkMessages(model) // ["'BookingCancelled' is published to 'event-bus' but no one consumes it"]
 */
export function checkMessages(model: Model): string[] {
  const problems: string[] = [];
  for (const queue of model.components.filter(isQueue)) {
    const published = new Set(model.connections.filter((c) => c.to === queue.id).flatMap((c) => c.messages ?? []));
    const delivered = new Set(model.connections.filter((c) => c.from === queue.id).flatMap((c) => c.messages ?? []));
    for (const m of delivered) if (!published.has(m)) problems.push(`'${m}' is delivered from '${queue.id}' but no one publishes it`);
    for (const m of published) if (!delivered.has(m)) problems.push(`'${m}' is published to '${queue.id}' but no one consumes it`);
  }
  return problems;
}
