// Public entry of the renderers: model -> Mermaid, SVG, Markdown tables, and whole design folders.
export { projectView, type Diagram, type DiagramEdge, type DiagramNode } from "./project_view.ts";
export { flowchartMermaid, sequenceMermaid, sequenceParticipants, mermaidText, mermaidId } from "./to_mermaid.ts";
export { flowchartSvg, sequenceSvg, wrap } from "./to_svg.ts";
export { replaceSections, sectionNames } from "./generated_sections.ts";
export { traceabilityTable, storesTable, drTable, connectionsTable, strideTable, failureTable } from "./tables.ts";
export { renderDesign, staleFiles, generatedSections, type DesignFiles } from "./render_design.ts";
