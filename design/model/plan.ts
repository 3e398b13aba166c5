// Fitness functions over the plan around the components: one master per kind of data, a cost line
// for everything we run (and nothing else), and deployment views that show everything placed in a region.
import type { Model } from "./types.ts";

/**
 * Returns problems with the data masters: a kind of data with two masters, unknown ids, a copy that
 * claims to be a source of truth, and a reader that neither calls the master nor reads a copy.
 * @example checkDataMasters(model) // ["'booking' uses 'room inventory' without asking its master 'crs' or reading a copy"]
 */
export function checkDataMasters(model: Model): string[] {
  const problems: string[] = [];
  const ids = new Set(model.components.map((c) => c.id));
  const seen = new Set<string>();
  for (const m of model.dataMasters ?? []) {
    if (seen.has(m.data)) problems.push(`'${m.data}' has more than one master`);
    seen.add(m.data);
    for (const id of [m.master, ...m.copies, ...m.readers]) if (!ids.has(id)) problems.push(`'${m.data}' names unknown component '${id}'`);
    if (m.copies.includes(m.master)) problems.push(`'${m.data}': the master '${m.master}' is also listed as a copy`);
    for (const copy of m.copies) {
      const store = model.stores.find((s) => s.component === copy);
      if (!store) problems.push(`'${m.data}': copy '${copy}' is not a store`);
      else if (store.sourceOfTruth) problems.push(`'${m.data}': copy '${copy}' claims to be a source of truth, but '${m.master}' is the master`);
    }
    const sources = new Set([m.master, ...m.copies]);
    for (const reader of m.readers) {
      if (!model.connections.some((c) => c.from === reader && sources.has(c.to))) {
        problems.push(`'${reader}' uses '${m.data}' without asking its master '${m.master}' or reading a copy`);
      }
    }
  }
  return problems;
}

/**
 * Returns cost lines that name unknown components or miss a scenario, and components we run (all but
 * clients and third parties) that no cost line pays for.
 * @example checkCosts(model) // ["component 'quote-cache' has no cost line"]
 */
export function checkCosts(model: Model): string[] {
  if (!model.costs) return [];
  const problems: string[] = [];
  const ids = new Set(model.components.map((c) => c.id));
  const scenarios = model.scenarios ?? [];
  if (scenarios.length === 0) problems.push("the model has cost lines but no scenarios");
  for (const line of model.costs) {
    for (const id of line.components) if (!ids.has(id)) problems.push(`cost line '${line.item}' names unknown component '${id}'`);
    if (line.components.length === 0 && !line.basis.trim()) problems.push(`cost line '${line.item}' pays for no component and says not why`);
    for (const s of scenarios) {
      const value = line.monthly[s.id];
      if (value === undefined || !Number.isFinite(value) || value < 0) problems.push(`cost line '${line.item}' has no amount for scenario '${s.id}'`);
    }
    for (const key of Object.keys(line.monthly)) if (!scenarios.some((s) => s.id === key)) problems.push(`cost line '${line.item}' has an amount for unknown scenario '${key}'`);
  }
  const paid = new Set(model.costs.flatMap((l) => l.components));
  for (const c of model.components) {
    if (c.kind !== "client" && c.kind !== "external" && !paid.has(c.id)) problems.push(`component '${c.id}' has no cost line`);
  }
  return problems;
}

/**
 * Returns components placed in a primary or secondary region that no deployment view draws.
 * @example checkDeploymentViews(model) // ["component 'search-indexer' runs in a cloud region but no deployment view draws it"]
 */
export function checkDeploymentViews(model: Model): string[] {
  const cloud = new Set(model.regions.filter((r) => r.role === "primary" || r.role === "secondary").map((r) => r.id));
  const drawn = new Set(model.views.filter((v) => v.level === "deployment").flatMap((v) => v.elements));
  return model.components
    .filter((c) => c.regions.some((r) => cloud.has(r)) && !drawn.has(c.id))
    .map((c) => `component '${c.id}' runs in a cloud region but no deployment view draws it`);
}
