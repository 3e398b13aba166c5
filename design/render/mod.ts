// Public entry of the renderers: model -> Mermaid, SVG, Markdown tables, and whole design folders.
export { projectView, type Diagram, type DiagramEdge, type DiagramNode } from "./project_view.ts";
export { flowchartMermaid, sequenceMermaid, mermaidText, mermaidId, edgeText } from "./to_mermaid.ts";
export { projectSequence, type Lifeline, type SequenceDiagram, type SequenceItem } from "./sequence_view.ts";
export { flowchartSvg, sequenceSvg, wrap, zoneLayers, sideBySide } from "./to_svg.ts";
export { replaceSections, sectionNames } from "./generated_sections.ts";
export { traceabilityTable, storesTable, drTable, connectionsTable, strideTable, failureTable, assumptionsTable, capacityTable, costTable, mastersTable, eventsTable, stepRulesTable, environmentsTable } from "./tables.ts";
export { renderDesign, staleFiles, generatedSections, type DesignFiles } from "./render_design.ts";
