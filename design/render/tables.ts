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
