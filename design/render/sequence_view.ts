// A sequence reduced to what any renderer draws: lifelines (a group of components is one lifeline)
// and numbered messages and notes. Mermaid and SVG both draw this, so the two pictures agree.
import type { ComponentKind, Model, Sequence } from "../model/mod.ts";

/** One lifeline: a component, or a group standing for several. */
export interface Lifeline {
  id: string;
  name: string;
  tech: string;
  kind: ComponentKind;
}

/** A message between lifelines, or a note over some of them. */
export type SequenceItem =
  | { kind: "message"; from: string; to: string; text: string; protocol: string; style: "sync" | "async" | "card" | "reply" }
  | { kind: "note"; over: string[]; text: string };

export interface SequenceDiagram {
  title: string;
  description: string;
  lifelines: Lifeline[];
  items: SequenceItem[];
}

/**
 * Returns the lifelines and items of a sequence: grouped components share one lifeline, calls inside
 * a group are left out, and lifelines appear in order of first use.
 * @example projectSequence(model, seq).lifelines[0].id // "guest-browser"
 */
export function projectSequence(model: Model, sequence: Sequence): SequenceDiagram {
  const components = new Map(model.components.map((c) => [c.id, c]));
  const connections = new Map(model.connections.map((c) => [c.id, c]));
  const groupOf = new Map((sequence.groups ?? []).flatMap((g) => g.members.map((m) => [m, g] as const)));
  const lineOf = (id: string) => groupOf.get(id)?.id ?? id;
  const lifelines: Lifeline[] = [];
  const use = (id: string) => {
    const line = lineOf(id);
    if (lifelines.some((l) => l.id === line)) return;
    const group = groupOf.get(id);
    const c = components.get(id)!;
    lifelines.push(group ? { id: group.id, name: group.name, tech: `${group.members.length} components`, kind: c.kind } : { id, name: c.name, tech: c.tech, kind: c.kind });
  };
  const items: SequenceItem[] = [];
  for (const step of sequence.steps) {
    if (step.kind === "note") {
      step.over.forEach(use);
      items.push({ kind: "note", over: [...new Set(step.over.map(lineOf))], text: step.text });
      continue;
    }
    const c = connections.get(step.via)!;
    const [from, to] = step.kind === "call" ? [c.from, c.to] : [c.to, c.from];
    if (lineOf(from) === lineOf(to)) continue;
    use(from);
    use(to);
    const style = c.data.includes("card") ? "card" : step.kind === "reply" ? "reply" : c.mode;
    items.push({ kind: "message", from: lineOf(from), to: lineOf(to), text: `${c.data.includes("card") ? "CARD " : ""}${step.text}`, protocol: c.protocol, style });
  }
  return { title: `${model.title}: ${sequence.title}`, description: sequence.description, lifelines, items };
}
