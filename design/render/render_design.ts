// One design folder = one model + README.md + svg/. This module computes what the folder should
// contain; design/main.ts writes it and the up-to-date tests compare it with the disk.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Model } from "../model/mod.ts";
import { replaceSections } from "./generated_sections.ts";
import { projectView } from "./project_view.ts";
import { assumptionsTable, capacityTable, connectionsTable, costTable, drTable, environmentsTable, eventsTable, failureTable, mastersTable, stepRulesTable, storesTable, strideTable, traceabilityTable } from "./tables.ts";
import { flowchartMermaid, sequenceMermaid } from "./to_mermaid.ts";
import { flowchartSvg, sequenceSvg } from "./to_svg.ts";

/** The files of a design folder, by path relative to it. */
export type DesignFiles = Map<string, string>;

/**
 * Returns the generated sections of a README: `view-<id>` and `sequence-<id>` (Mermaid + a link to
 * the SVG), the tables `traceability`, `stores`, `dr`, `connections`, `stride`, `failures`, and, when
 * the model has what they show, `events`, `step-rules`, `masters`, `assumptions`, `capacity`, `costs`,
 * `environments`.
 * @example Object.keys(generatedSections(model)) // ["view-context", ..., "connections"]
 */
export function generatedSections(model: Model): Record<string, string> {
  const sections: Record<string, string> = {};
  for (const view of model.views) {
    const diagram = projectView(model, view);
    sections[`view-${view.id}`] = `\`\`\`mermaid\n${flowchartMermaid(diagram)}\`\`\`\n\nSVG: [svg/${view.id}.svg](svg/${view.id}.svg)`;
  }
  for (const seq of model.sequences) {
    sections[`sequence-${seq.id}`] = `\`\`\`mermaid\n${sequenceMermaid(model, seq)}\`\`\`\n\nSVG: [svg/${seq.id}.svg](svg/${seq.id}.svg)`;
  }
  sections.traceability = traceabilityTable(model);
  sections.stores = storesTable(model);
  sections.dr = drTable(model);
  sections.connections = connectionsTable(model);
  sections.stride = strideTable(model);
  sections.failures = failureTable(model);
  if (model.connections.some((c) => c.messages?.length)) sections.events = eventsTable(model);
  if (model.stepRules?.length) sections["step-rules"] = stepRulesTable(model);
  if (model.dataMasters?.length) sections.masters = mastersTable(model);
  if (model.assumptions?.length) sections.assumptions = assumptionsTable(model);
  if (model.capacity?.length) sections.capacity = capacityTable(model);
  if (model.costs?.length) sections.costs = costTable(model);
  if (model.environments?.length) sections.environments = environmentsTable(model);
  return sections;
}

/**
 * Returns every file `npm run design` writes for a model: README.md (the given text with its
 * generated sections refreshed) and one SVG per view and per sequence.
 * @example renderDesign(model, readFileSync("README.md", "utf8")).get("svg/containers.svg")
 */
export function renderDesign(model: Model, readme: string): DesignFiles {
  const files: DesignFiles = new Map();
  files.set("README.md", replaceSections(readme, generatedSections(model), `${model.id}/README.md`));
  for (const view of model.views) files.set(`svg/${view.id}.svg`, flowchartSvg(projectView(model, view)));
  for (const seq of model.sequences) files.set(`svg/${seq.id}.svg`, sequenceSvg(model, seq));
  return files;
}

/**
 * Returns the paths in `dir` that differ from what the model renders (missing, changed, or SVGs no
 * view produces). Empty when the folder is up to date.
 * @example staleFiles("design/hotel-platform", hotelPlatform) // []
 */
export function staleFiles(dir: string, model: Model): string[] {
  const readmePath = join(dir, "README.md");
  if (!existsSync(readmePath)) return ["README.md"];
  const expected = renderDesign(model, readFileSync(readmePath, "utf8"));
  const stale: string[] = [];
  for (const [path, text] of expected) {
    const full = join(dir, path);
    if (!existsSync(full) || readFileSync(full, "utf8") !== text) stale.push(path);
  }
  const svgDir = join(dir, "svg");
  if (existsSync(svgDir)) {
    for (const name of readdirSync(svgDir).sort()) if (!expected.has(`svg/${name}`)) stale.push(`svg/${name}`);
  }
  return stale;
}
