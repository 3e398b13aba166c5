// Markdown tables derived from the model, so prose never restates (and contradicts) the model.
import { STORE_KINDS } from "../model/mod.ts";
import type { Model } from "../model/mod.ts";

function cell(text: string): string {
  // Angle brackets would be read as HTML by GitHub (".relationships-<run>.duckdb" would lose "<run>").
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)].join("\n");
}

/**
 * Returns the traceability table: requirement -> components, data stores, communication paths.
 * @example traceabilityTable(model).startsWith("| id |") // true
 */
export function traceabilityTable(model: Model): string {
  const components = new Map(model.components.map((c) => [c.id, c]));
  const connections = new Map(model.connections.map((c) => [c.id, c]));
  const isStore = (id: string) => STORE_KINDS.includes(components.get(id)!.kind);
  return table(
    ["id", "requirement", "components", "data stores", "communication paths"],
    model.requirements.map((r) => [
      r.id,
      r.text,
      r.components.filter((id) => !isStore(id)).map((id) => components.get(id)!.name).join(", "),
      r.components.filter(isStore).map((id) => components.get(id)!.name).join(", ") || "-",
      r.connections
        .map((id) => connections.get(id)!)
        .map((c) => `${components.get(c.from)!.name} → ${components.get(c.to)!.name} (${c.protocol})`)
        .join("; "),
    ]),
  );
}

/**
 * Returns one row per data store: owner, engine, what it holds, and why this engine.
 * @example storesTable(model).includes("owner") // true
 */
export function storesTable(model: Model): string {
  const components = new Map(model.components.map((c) => [c.id, c]));
  return table(
    ["store", "owner", "engine", "holds", "why"],
    model.stores.map((s) => {
      const c = components.get(s.component)!;
      const shared = (s.sharedWith ?? []).map((g) => ` Shared: ${components.get(g.component)?.name ?? g.component} ${g.access} (${g.why}).`).join("");
      return [c.name, components.get(s.owner)!.name, c.tech, s.holds, s.why + shared];
    }),
  );
}

/**
 * Returns the disaster-recovery table: replication, backup, RPO and RTO per store.
 * @example drTable(model).includes("RPO") // true
 */
export function drTable(model: Model): string {
  const components = new Map(model.components.map((c) => [c.id, c]));
  return table(
    ["store", "replication", "backup", "RPO", "RTO"],
    model.stores.map((s) => [components.get(s.component)!.name, s.replication, s.backup, s.rpo, s.rto]),
  );
}

/**
 * Returns every connection with protocol, sync/async and data classification (input to STRIDE and encryption).
 * @example connectionsTable(model).includes("protocol") // true
 */
export function connectionsTable(model: Model): string {
  const components = new Map(model.components.map((c) => [c.id, c]));
  const zoneOf = (id: string) => components.get(id)!.zone;
  return table(
    ["from", "to", "label", "protocol", "mode", "data", "crosses"],
    model.connections.map((c) => [
      components.get(c.from)!.name,
      components.get(c.to)!.name,
      c.label,
      c.protocol,
      c.mode,
      c.data.join(", "),
      zoneOf(c.from) === zoneOf(c.to) ? "-" : `${zoneOf(c.from)} → ${zoneOf(c.to)}`,
    ]),
  );
}

/**
 * Returns the STRIDE table: one row per trust boundary with the crossings it covers.
 * @example strideTable(model).includes("Spoofing") // true
 */
export function strideTable(model: Model): string {
  const zones = new Map(model.zones.map((z) => [z.id, z.name]));
  return table(
    ["boundary", "crossings", "Spoofing", "Tampering", "Repudiation", "Information disclosure", "Denial of service", "Elevation of privilege"],
    model.boundaries.map((b) => [
      b.name,
      b.crossings.map(([f, t]) => `${zones.get(f)} → ${zones.get(t)}`).join("; ") || "-",
      b.stride.spoofing,
      b.stride.tampering,
      b.stride.repudiation,
      b.stride.informationDisclosure,
      b.stride.denialOfService,
      b.stride.elevationOfPrivilege,
    ]),
  );
}

/**
 * Returns the failure-mode table: component, failure, effect, response (detection), recovery.
 * @example failureTable(model).includes("recovery") // true
 */
export function failureTable(model: Model): string {
  const components = new Map(model.components.map((c) => [c.id, c]));
  return table(
    ["component", "failure", "effect on users", "response (detection)", "recovery"],
    model.failureModes.map((f) => [f.components.map((id) => components.get(id)?.name ?? id).join(", "), f.failure, f.effect, f.response, f.recovery]),
  );
}

/**
 * Returns the assumptions table: quantity, a value per scenario, and its source.
 * @example assumptionsTable(model).startsWith("| assumption |") // true
 */
export function assumptionsTable(model: Model): string {
  const scenarios = model.scenarios ?? [];
  return table(
    ["assumption", ...scenarios.map((s) => s.name), "source"],
    (model.assumptions ?? []).map((a) => [a.quantity, ...scenarios.map((s) => a.values[s.id] ?? "-"), a.source]),
  );
}

/**
 * Returns the capacity table: quantity, arithmetic, and the result per scenario.
 * @example capacityTable(model).includes("arithmetic") // true
 */
export function capacityTable(model: Model): string {
  const scenarios = model.scenarios ?? [];
  return table(
    ["quantity", "arithmetic", ...scenarios.map((s) => s.name)],
    (model.capacity ?? []).map((e) => [e.quantity, e.arithmetic, ...scenarios.map((s) => e.values[s.id] ?? "-")]),
  );
}

function usd(value: number): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

/**
 * Returns the monthly cost table with the components each line pays for, a total row and the cost
 * per booking, all summed here so the total always matches its lines.
 * @example costTable(model).includes("**Total**") // true
 */
export function costTable(model: Model): string {
  const scenarios = model.scenarios ?? [];
  const lines = model.costs ?? [];
  const names = new Map(model.components.map((c) => [c.id, c.name]));
  const total = (id: string) => lines.reduce((sum, l) => sum + (l.monthly[id] ?? 0), 0);
  const rows = lines.map((l) => [l.item, l.components.map((id) => names.get(id) ?? id).join(", ") || "(platform)", ...scenarios.map((s) => usd(l.monthly[s.id] ?? 0)), l.basis]);
  rows.push(["**Total**", "", ...scenarios.map((s) => `**${usd(total(s.id))}**`), "sum of the lines above"]);
  rows.push(["Per web booking", "", ...scenarios.map((s) => usd(Math.round((total(s.id) / s.bookingsPerMonth) * 100) / 100)), `total / bookings a month (${scenarios.map((s) => usd(s.bookingsPerMonth)).join(" / ")})`]);
  return table(["item", "pays for", ...scenarios.map((s) => `${s.name} (USD/month)`), "basis"], rows);
}

/**
 * Returns the data-master table: each kind of data, its one master, the copies and who must ask it.
 * @example mastersTable(model).includes("master") // true
 */
export function mastersTable(model: Model): string {
  const names = new Map(model.components.map((c) => [c.id, c.name]));
  const list = (ids: string[]) => ids.map((id) => names.get(id) ?? id).join(", ") || "-";
  return table(["data", "master", "copies", "used by (ask the master or a copy)", "why"], (model.dataMasters ?? []).map((m) => [m.data, names.get(m.master) ?? m.master, list(m.copies), list(m.readers), m.why]));
}

/**
 * Returns one row per message on a queue: who publishes it (through which relay) and who consumes it.
 * @example eventsTable(model).includes("consumed by") // true
 */
export function eventsTable(model: Model): string {
  const components = new Map(model.components.map((c) => [c.id, c]));
  const name = (id: string) => components.get(id)?.name ?? id;
  const rows: string[][] = [];
  for (const queue of model.components.filter((c) => c.kind === "queue")) {
    const into = model.connections.filter((c) => c.to === queue.id);
    const out = model.connections.filter((c) => c.from === queue.id);
    for (const m of [...new Set(into.flatMap((c) => c.messages ?? []))]) {
      const producers = into.filter((c) => c.messages?.includes(m)).map((c) => {
        const p = components.get(c.from);
        return p?.service ? `${name(p.service)} (via ${name(p.id)})` : name(c.from);
      });
      const consumers = out.filter((c) => c.messages?.includes(m)).map((c) => name(c.to));
      rows.push([m, producers.join(", "), consumers.join(", ") || "-", name(queue.id)]);
    }
  }
  return table(["event", "published by", "consumed by", "bus"], rows);
}

/**
 * Returns the step rules (saga ordering) and the sequences each one applies to.
 * @example stepRulesTable(model).includes("must follow") // true
 */
export function stepRulesTable(model: Model): string {
  return table(
    ["act", "must follow", "must be followed by one of", "why", "checked in"],
    (model.stepRules ?? []).map((r) => [
      `\`${r.act}\``,
      r.after ? `\`${r.after}\`` : "-",
      r.then?.map((t) => `\`${t}\``).join(", ") ?? "-",
      r.why,
      model.sequences.filter((s) => s.steps.some((st) => st.kind === "call" && st.act === r.act)).map((s) => s.title).join("; ") || "-",
    ]),
  );
}

/**
 * Returns the deployment environments: accounts, regions, data and purpose.
 * @example environmentsTable(model).includes("accounts") // true
 */
export function environmentsTable(model: Model): string {
  return table(["environment", "accounts", "regions", "data", "purpose"], (model.environments ?? []).map((e) => [e.name, e.accounts, e.regions, e.data, e.purpose]));
}
