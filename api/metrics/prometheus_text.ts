/**
 * The Prometheus text exposition format, version 0.0.4, written by hand: a family is `# HELP`,
 * `# TYPE` and its samples; label values are escaped; histograms are cumulative buckets ending in
 * `+Inf`, then `_sum` and `_count`. Small enough that a client library would be most of the code.
 */

/** The Content-Type of the format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Label names to values. */
export type Labels = Readonly<Record<string, string>>;

/** One metric family to render. */
export type Family =
  | { name: string; help: string; type: "counter" | "gauge"; samples: readonly { labels?: Labels; value: number }[] }
  | { name: string; help: string; type: "histogram"; buckets: readonly number[]; samples: readonly HistogramSample[] };

/** A histogram series: per-bucket counts (not cumulative; one more than `buckets`, for +Inf) and the sum. */
export interface HistogramSample {
  labels?: Labels;
  counts: ArrayLike<number>;
  sum: number;
}

/**
 * Returns `families` as exposition text (one trailing newline).
 *
 * @example
 * ```ts
 * renderFamilies([{ name: "up", help: "Whether it is up.", type: "gauge", samples: [{ value: 1 }] }]);
 * // "# HELP up Whether it is up.\n# TYPE up gauge\nup 1\n"
 * ```
 */
export function renderFamilies(families: readonly Family[]): string {
  const out: string[] = [];
  for (const family of families) {
    out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    if (family.type !== "histogram") {
      for (const s of family.samples) out.push(`${family.name}${labelText(s.labels)} ${formatValue(s.value)}`);
      continue;
    }
    for (const s of family.samples) {
      let cumulative = 0;
      for (let i = 0; i <= family.buckets.length; i++) {
        cumulative += s.counts[i] ?? 0;
        const le = i < family.buckets.length ? formatValue(family.buckets[i]) : "+Inf";
        out.push(`${family.name}_bucket${labelText({ ...s.labels, le })} ${formatValue(cumulative)}`);
      }
      out.push(`${family.name}_sum${labelText(s.labels)} ${formatValue(s.sum)}`, `${family.name}_count${labelText(s.labels)} ${formatValue(cumulative)}`);
    }
  }
  return out.join("\n") + "\n";
}

/**
 * Returns the index of the bucket `value` falls in (the first upper bound at or above it), or
 * `buckets.length` for +Inf.
 *
 * @example
 * ```ts
 * bucketIndex([0.1, 1], 0.5); // 1
 * ```
 */
export function bucketIndex(buckets: readonly number[], value: number): number {
  let i = 0;
  while (i < buckets.length && value > buckets[i]) i++;
  return i;
}

function labelText(labels: Labels | undefined): string {
  if (labels === undefined) return "";
  const parts: string[] = [];
  for (const name in labels) parts.push(`${name}="${escapeLabel(labels[name])}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** Label values escape backslash, double quote and line feed (the format's three). */
function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
