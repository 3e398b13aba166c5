/**
 * A small validator of the Prometheus text exposition format, version 0.0.4, written from the
 * format's description (prometheus.io, "Exposition formats") rather than from our writer, so a
 * mistake in the writer is not repeated here. It returns every violation found, each naming the
 * line, and the samples it parsed, for tests to read values from.
 */

/** One parsed sample line. */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  line: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const VALUE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;

/**
 * Checks `text` against the format's rules: names, `# HELP` / `# TYPE` (one each per family,
 * TYPE before the samples), label syntax and escaping, values, one block per family, no
 * duplicate series, and histograms (`_bucket` with `le`, ascending and cumulative, ending in
 * `+Inf` that equals `_count`, plus `_sum`). Returns the violations (empty when valid) and samples.
 *
 * @example
 * ```ts
 * validateExposition("# TYPE up gauge\nup 1\n").violations; // []
 * ```
 */
export function validateExposition(text: string): { violations: string[]; samples: ParsedSample[] } {
  const violations: string[] = [];
  const samples: ParsedSample[] = [];
  const help = new Set<string>();
  const types = new Map<string, string>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: string | null = null;
  if (!text.endsWith("\n")) violations.push("the text does not end with a line feed");
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const enter = (family: string, at: number) => {
    if (family === current) return;
    if (closed.has(family)) violations.push(`line ${at}: '${family}' appears again after other families (a family is one block)`);
    if (current !== null) closed.add(current);
    current = family;
  };
  lines.forEach((line, i) => {
    const at = i + 1;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (m === null) return; // any other comment is allowed
      const [, keyword, name, rest = ""] = m;
      if (!METRIC_NAME.test(name)) violations.push(`line ${at}: '${name}' is not a valid metric name`);
      enter(name, at);
      if (keyword === "HELP") {
        if (help.has(name)) violations.push(`line ${at}: a second HELP for '${name}'`);
        help.add(name);
        for (let c = rest.indexOf("\\"); c !== -1; c = rest.indexOf("\\", c + 2)) {
          if (rest[c + 1] !== "\\" && rest[c + 1] !== "n") violations.push(`line ${at}: HELP text has an escape other than \\\\ and \\n`);
        }
      } else {
        if (types.has(name)) violations.push(`line ${at}: a second TYPE for '${name}'`);
        if (samples.some((s) => familyOf(s.name, types) === name)) violations.push(`line ${at}: TYPE for '${name}' after its samples`);
        if (!TYPES.has(rest)) violations.push(`line ${at}: '${rest}' is not a metric type`);
        types.set(name, rest);
      }
      return;
    }
    if (line.trim() === "") return;
    const sample = parseSample(line, at, violations);
    if (sample === null) return;
    samples.push(sample);
    const family = familyOf(sample.name, types);
    enter(family, at);
    const type = types.get(family) ?? "untyped";
    if ((type === "counter" || type === "gauge") && sample.name !== family) violations.push(`line ${at}: '${sample.name}' in ${type} family '${family}'`);
    if (type === "counter" && !(sample.value >= 0)) violations.push(`line ${at}: counter '${sample.name}' is ${sample.value}`);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (series.has(key)) violations.push(`line ${at}: duplicate series ${sample.name}${JSON.stringify(sample.labels)}`);
    series.add(key);
  });
  for (const [family, type] of types) if (type === "histogram") checkHistogram(family, samples, violations);
  return { violations, samples };
}

/** The family a sample belongs to: a histogram's or summary's suffixed samples belong to its name. */
function familyOf(name: string, types: Map<string, string>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const type = types.get(base);
    if (type === "histogram" || (type === "summary" && suffix !== "_bucket")) return base;
  }
  return name;
}

function parseSample(line: string, at: number, violations: string[]): ParsedSample | null {
  const nameMatch = /^([^\s{]+)/.exec(line);
  if (nameMatch === null) {
    violations.push(`line ${at}: no metric name`);
    return null;
  }
  const name = nameMatch[1];
  if (!METRIC_NAME.test(name)) violations.push(`line ${at}: '${name}' is not a valid metric name`);
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    while (line[i] !== "}") {
      const labelMatch = /^([^=\s]+)="/.exec(line.slice(i));
      if (labelMatch === null) {
        violations.push(`line ${at}: malformed labels`);
        return null;
      }
      const label = labelMatch[1];
      if (!LABEL_NAME.test(label) || label.startsWith("__")) violations.push(`line ${at}: '${label}' is not a valid label name`);
      i += labelMatch[0].length;
      let value = "";
      for (;;) {
        const c = line[i];
        if (c === undefined) {
          violations.push(`line ${at}: unterminated label value`);
          return null;
        }
        if (c === '"') break;
        if (c === "\\") {
          const next = line[i + 1];
          if (next === "\\" || next === '"') value += next;
          else if (next === "n") value += "\n";
          else violations.push(`line ${at}: invalid escape '\\${next ?? ""}' in label '${label}'`);
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      i++; // the closing quote
      if (label in labels) violations.push(`line ${at}: label '${label}' twice`);
      labels[label] = value;
      if (line[i] === ",") i++;
      else if (line[i] !== "}") {
        violations.push(`line ${at}: expected ',' or '}' after label '${label}'`);
        return null;
      }
    }
    i++;
  }
  const rest = line.slice(i);
  const parts = rest.startsWith(" ") ? rest.trim().split(/\s+/) : [];
  if (parts.length < 1 || parts.length > 2 || !VALUE.test(parts[0])) {
    violations.push(`line ${at}: '${rest.trim()}' is not a value (and optional timestamp)`);
    return null;
  }
  if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) violations.push(`line ${at}: '${parts[1]}' is not a timestamp`);
  const value = parts[0].endsWith("Inf") ? (parts[0].startsWith("-") ? -Infinity : Infinity) : Number(parts[0]);
  return { name, labels, value, line: at };
}

function checkHistogram(family: string, samples: ParsedSample[], violations: string[]): void {
  const groups = new Map<string, { buckets: ParsedSample[]; sum?: ParsedSample; count?: ParsedSample }>();
  const keyOf = (s: ParsedSample) => JSON.stringify(Object.entries(s.labels).filter(([k]) => k !== "le").sort());
  for (const s of samples) {
    if (s.name !== `${family}_bucket` && s.name !== `${family}_sum` && s.name !== `${family}_count`) {
      if (s.name === family) violations.push(`line ${s.line}: histogram '${family}' has a bare sample`);
      continue;
    }
    const group = groups.get(keyOf(s)) ?? { buckets: [] };
    groups.set(keyOf(s), group);
    if (s.name.endsWith("_bucket")) {
      if (s.labels.le === undefined) violations.push(`line ${s.line}: bucket without an 'le' label`);
      group.buckets.push(s);
    } else if (s.name.endsWith("_sum")) group.sum = s;
    else group.count = s;
  }
  for (const [key, group] of groups) {
    const where = `histogram '${family}' ${key}`;
    const bounds = group.buckets.map((b) => (b.labels.le === "+Inf" ? Infinity : Number(b.labels.le)));
    if (bounds.some((b) => Number.isNaN(b))) violations.push(`${where}: an 'le' is not a number`);
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i] > bounds[i - 1])) violations.push(`${where}: 'le' not increasing at ${group.buckets[i].labels.le}`);
      if (group.buckets[i].value < group.buckets[i - 1].value) violations.push(`${where}: buckets not cumulative at le=${group.buckets[i].labels.le}`);
    }
    if (bounds.at(-1) !== Infinity) violations.push(`${where}: no le="+Inf" bucket last`);
    if (group.sum === undefined) violations.push(`${where}: no _sum`);
    if (group.count === undefined) violations.push(`${where}: no _count`);
    else if (group.buckets.length > 0 && group.buckets.at(-1)!.value !== group.count.value) violations.push(`${where}: +Inf bucket differs from _count`);
  }
}
