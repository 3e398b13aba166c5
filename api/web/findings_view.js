// @ts-check
/**
 * Quality findings grouped by severity, then by check, with the exact cell references so a data
 * engineer can jump to `'Matriz de adyacencia'!F5` in the workbook. Pure: data -> HTML string.
 */
import { escapeHtml, formatCount } from "./html.js";

/** @typedef {import("./api_client.js").Finding} Finding */

const SEVERITY_ORDER = ["error", "warning", "info"];

/**
 * Returns findings grouped by severity (errors first) and then by check name.
 *
 * @example
 * groupFindings([{ check: "asymmetric", severity: "warning", message: "...", cells: [] }]);
 * // [{ severity: "warning", checks: [{ check: "asymmetric", findings: [...], total: 1 }] }]
 * @param {readonly Finding[]} findings
 * @returns {{ severity: string, checks: { check: string, findings: Finding[], total: number }[] }[]}
 */
export function groupFindings(findings) {
  /** @type {Map<string, Map<string, Finding[]>>} */
  const bySeverity = new Map();
  for (const finding of findings) {
    const severity = finding.severity || "info";
    let checks = bySeverity.get(severity);
    if (!checks) bySeverity.set(severity, (checks = new Map()));
    const list = checks.get(finding.check) ?? [];
    list.push(finding);
    checks.set(finding.check, list);
  }
  const rank = (/** @type {string} */ s) => (SEVERITY_ORDER.indexOf(s) + 1 || SEVERITY_ORDER.length + 1);
  return [...bySeverity.entries()]
    .sort((a, b) => rank(a[0]) - rank(b[0]))
    .map(([severity, checks]) => ({
      severity,
      checks: [...checks.entries()]
        .sort((a, b) => a[0].localeCompare(b[0]))
        .map(([check, list]) => ({
          check,
          findings: list,
          total: list.reduce((sum, f) => sum + (f.count ?? Math.max(1, f.cells.length)), 0),
        })),
    }));
}

/**
 * Returns the findings section body: one <details> per check, each listing messages and cell refs.
 *
 * @example
 * element.innerHTML = findingsHtml(findings, { caption: "Published version" });
 * @param {readonly Finding[]} findings
 * @param {{ caption?: string, maxCells?: number }} [options]
 * @returns {string}
 */
export function findingsHtml(findings, options = {}) {
  const maxCells = options.maxCells ?? 40;
  const caption = options.caption ? `<p class="caption">${escapeHtml(options.caption)}</p>` : "";
  if (findings.length === 0) return `${caption}<p class="ok-note">No quality findings: the file passed every check.</p>`;
  const groups = groupFindings(findings);
  const summary = groups
    .map((g) => `<span class="badge sev-${escapeHtml(g.severity)}">${g.checks.reduce((n, c) => n + c.findings.length, 0)} ${escapeHtml(g.severity)}</span>`)
    .join(" ");
  const body = groups
    .map(
      (group) =>
        `<section class="finding-group sev-${escapeHtml(group.severity)}" aria-label="${escapeHtml(group.severity)} findings">` +
        group.checks
          .map(
            (check) =>
              `<details class="finding-check"${group.severity === "error" ? " open" : ""}><summary><span class="badge sev-${escapeHtml(group.severity)}">${escapeHtml(group.severity)}</span> <strong>${escapeHtml(check.check)}</strong> <span class="muted">${formatCount(check.total)} ${check.total === 1 ? "cell" : "cells"}</span></summary>` +
              check.findings
                .map((f) => {
                  const shown = f.cells.slice(0, maxCells);
                  const more = Math.max((f.count ?? f.cells.length) - shown.length, 0);
                  return (
                    `<div class="finding"><p>${escapeHtml(f.message)}</p>` +
                    (shown.length ? `<ul class="cells">${shown.map((c) => `<li><code>${escapeHtml(c)}</code></li>`).join("")}</ul>` : "") +
                    (more ? `<p class="muted">and ${formatCount(more)} more</p>` : "") +
                    `</div>`
                  );
                })
                .join("") +
              `</details>`,
          )
          .join("") +
        `</section>`,
    )
    .join("");
  return `${caption}<p class="finding-summary">${summary}</p>${body}`;
}
