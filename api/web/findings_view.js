// @ts-check
/**
 * Quality findings as rows a person reads: grouped by severity, each check under a human title
 * (its code name kept as a small label), and each occurrence as a row naming the actors by name and
 * letter, the cells as the workbook names them with their values, and a Show button that
 * highlights them in the matrix and the network. Pure: data -> HTML string.
 */
import { escapeHtml, formatCount } from "./html.js";
import { resolveRef } from "./cell_refs.js";

/** @typedef {import("./api_client.js").Finding} Finding */
/** @typedef {import("./api_client.js").MatrixActor} MatrixActor */
/**
 * What turns cell references into actors and values: the served version's matrix.
 * @typedef {object} FindingContext
 * @property {import("./api_client.js").MatrixLayout | null} layout
 * @property {readonly MatrixActor[]} header
 * @property {Map<number, number>} rowBySheetRow  from rowOfSheetRow(header)
 * @property {(row: number, col: number) => "1" | "0" | "blank" | undefined} [valueAt]  undefined while the rows are loading
 */

const SEVERITY_ORDER = ["error", "warning", "info"];

/** Human titles and units by check code; unknown codes fall back to the code in words. */
const CHECKS = /** @type {Record<string, { title: string, unit: [string, string] }>} */ ({
  asymmetric_pair: { title: "Marked in one direction only", unit: ["pair", "pairs"] },
  unknown_cells: { title: "Blank cells (unknown, not 0)", unit: ["cell", "cells"] },
  code_mismatch_list: { title: "Letter code differs between the matrix and the actor list", unit: ["actor", "actors"] },
  code_mismatch_matrix: { title: "Letter code differs between the header and the row", unit: ["actor", "actors"] },
  diagonal_one: { title: "Actor marked as related to itself", unit: ["actor", "actors"] },
  not_in_list: { title: "In the matrix but not in the actor list", unit: ["actor", "actors"] },
  not_in_matrix: { title: "In the actor list but not in the matrix", unit: ["actor", "actors"] },
  header_id_without_row: { title: "Header id without a data row", unit: ["actor", "actors"] },
  row_not_in_header: { title: "Data row whose id is not in the header", unit: ["row", "rows"] },
  row_without_id: { title: "Row with values but no id", unit: ["row", "rows"] },
  invalid_value: { title: "Cell holding something other than 0 or 1", unit: ["cell", "cells"] },
  formula_not_calculated: { title: "Formula saved without its result", unit: ["cell", "cells"] },
  list_error_value: { title: "Error in the actor list (read as blank)", unit: ["cell", "cells"] },
  list_row_without_id: { title: "Actor list row with a code and a name but no id", unit: ["row", "rows"] },
  list_name_blank: { title: "Actor listed without a name", unit: ["actor", "actors"] },
  list_total_row: { title: "Total row of the actor list (not an actor)", unit: ["row", "rows"] },
  list_names_repeated: { title: "Actor list column of repeated values (a group?) not read as names", unit: ["actor", "actors"] },
  id_out_of_range: { title: "Id outside 1 to 2147483647", unit: ["cell", "cells"] },
  id_is_date: { title: "Id formatted as a date", unit: ["cell", "cells"] },
  id_not_a_number: { title: "Id cell holding no id (an error, TRUE or text)", unit: ["cell", "cells"] },
  cell_beyond_header: { title: "Value right of the header's last id", unit: ["cell", "cells"] },
  matrix_merged_cells: { title: "Merged cells inside the matrix (only the top-left pair read)", unit: ["range", "ranges"] },
  header_gap: { title: "Hole in the header row of ids", unit: ["cell", "cells"] },
  header_id_blank: { title: "Actor column whose header id is blank", unit: ["cell", "cells"] },
  rows_not_found: { title: "Matrix rows without ids", unit: ["row", "rows"] },
  duplicate_id: { title: "Actor id used twice", unit: ["id", "ids"] },
  matrix_not_found: { title: "No matrix found in the sheet", unit: ["problem", "problems"] },
  list_not_found: { title: "No actor list found", unit: ["problem", "problems"] },
  hidden_sheet: { title: "Read from a sheet hidden in Excel", unit: ["sheet", "sheets"] },
  sheet_passed_over: { title: "Sheet named like the table, passed over", unit: ["sheet", "sheets"] },
  history_unavailable: { title: "Previous version could not be read", unit: ["problem", "problems"] },
  run_recovered: { title: "Run recorded by the next load", unit: ["problem", "problems"] },
  "contacts.unparsable_row": { title: "Rows that could not be read", unit: ["line", "lines"] },
  "contacts.file": { title: "About the file", unit: ["remark", "remarks"] },
});

/**
 * Returns the human title of a check code.
 *
 * @example
 * checkTitle("asymmetric_pair"); // "Marked in one direction only"
 * checkTitle("contacts.invalid_email"); // "Rows rejected: invalid email"
 * @param {string} check
 * @returns {string}
 */
export function checkTitle(check) {
  const known = CHECKS[check];
  if (known) return known.title;
  const invalid = /^contacts\.invalid_(.+)$/.exec(check);
  if (invalid) return `Rows rejected: invalid ${invalid[1].replaceAll("_", " ")}`;
  const fixed = /^contacts\.fixed_(.+)$/.exec(check);
  if (fixed) return `Values repaired: ${fixed[1].replaceAll("_", " ")}`;
  const words = check.replace(/^contacts\./, "").replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** @param {string} check @param {number} count */
function unitOf(check, count) {
  const unit = CHECKS[check]?.unit ?? (check.startsWith("contacts.") ? ["line", "lines"] : ["occurrence", "occurrences"]);
  return count === 1 ? unit[0] : unit[1];
}

/**
 * Returns findings grouped by severity (errors first) and then by check name.
 *
 * @example
 * groupFindings([{ check: "asymmetric_pair", severity: "warning", message: "...", cells: [] }]);
 * // [{ severity: "warning", checks: [{ check: "asymmetric_pair", findings: [...], total: 1 }] }]
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
 * One row of a finding: the words, the cells it names, and what Show highlights.
 * @typedef {object} FindingRow
 * @property {string} html  who and what, already escaped
 * @property {{ ref: string, value?: string }[]} cells
 * @property {{ row: number, col: number | null } | null} show  the heat-map cell (or row) to jump to
 * @property {[number, number] | null} pair  the actor ids to highlight in the network
 */

/**
 * Returns the rows a person reads for one finding (one per pair, actor, cell or line).
 *
 * @example
 * findingRows({ check: "asymmetric_pair", cells: ["'M'!F5", "'M'!E6"], ... }, context);
 * // [{ html: "Ana Peña <span class=\"code\">A</span> marked ...", cells: [{ ref: "'M'!F5", value: "1" }, ...], pair: [1, 2] }]
 * @param {Finding} finding
 * @param {FindingContext | null} context
 * @returns {FindingRow[]}
 */
export function findingRows(finding, context) {
  const header = context?.header ?? [];
  const resolve = (/** @type {string} */ ref) => resolveRef(ref, context?.layout ?? null, context?.rowBySheetRow ?? new Map(), header.length);
  const who = (/** @type {number | null} */ pos) => (pos === null || !header[pos] ? null : header[pos]);
  const name = (/** @type {MatrixActor | null} */ a, /** @type {string} */ fallback) =>
    a ? `${escapeHtml(a.name ?? `Actor ${a.id}`)} <span class="code">${escapeHtml(a.letter_code ?? "")}</span>` : escapeHtml(fallback);
  const value = (/** @type {number | null} */ r, /** @type {number | null} */ c) => (r === null || c === null ? undefined : context?.valueAt?.(r, c));
  /** @type {FindingRow[]} */
  const rows = [];
  const cells = finding.cells;

  if (finding.check === "asymmetric_pair") {
    // The ETL lists each pair as two cells: first the one holding 1, then its mirror holding 0.
    for (let i = 0; i + 1 < cells.length; i += 2) {
      const one = resolve(cells[i]);
      const marker = who(one.rowPos);
      const marked = who(one.colPos);
      rows.push({
        html: `${name(marker, "a row")} marked ${name(marked, "a column")}; ${marked ? escapeHtml(marked.name ?? `actor ${marked.id}`) : "the other"} did not mark back`,
        cells: [{ ref: cells[i], value: "1" }, { ref: cells[i + 1], value: "0" }],
        show: one.rowPos !== null && one.colPos !== null ? { row: one.rowPos, col: one.colPos } : null,
        pair: marker && marked ? [marker.id, marked.id] : null,
      });
    }
    return rows;
  }
  if (finding.check === "code_mismatch_list" || finding.check === "code_mismatch_matrix") {
    // The cells come in pairs, and `values` says what each holds. A run recorded before `values`
    // existed has only the message, which quotes "id: first vs second" for the first five.
    const quoted = [...finding.message.matchAll(/'(\d+): (.+?) vs (.+?)'/g)];
    const [firstSide, secondSide] = finding.check === "code_mismatch_list" ? ["matrix", "list"] : ["header", "row"];
    for (let i = 0; i + 1 < cells.length; i += 2) {
      const q = quoted[i / 2];
      const first = finding.values?.[i] ?? q?.[2];
      const second = finding.values?.[i + 1] ?? q?.[3];
      const at = resolve(cells[i]);
      const actor = who(at.rowPos) ?? who(at.colPos) ?? (q ? header.find((a) => String(a.id) === q[1]) ?? null : null);
      const codes = first !== undefined && second !== undefined
        ? `${firstSide} says <strong>${escapeHtml(first)}</strong>, ${secondSide} says <strong>${escapeHtml(second)}</strong>`
        : `${firstSide} and ${secondSide} disagree`;
      rows.push({
        html: `${name(actor, q ? `Actor ${q[1]}` : "An actor")}: ${codes}`,
        cells: [{ ref: cells[i], value: first }, { ref: cells[i + 1], value: second }],
        show: at.rowPos !== null ? { row: at.rowPos, col: null } : at.colPos !== null ? { row: at.colPos, col: at.colPos } : null,
        pair: null,
      });
    }
    return rows;
  }
  for (const ref of cells) {
    const line = /:(\d+)$/.exec(ref);
    if (line && !ref.includes("!")) {
      rows.push({ html: `Line ${escapeHtml(line[1])}`, cells: [{ ref }], show: null, pair: null });
      continue;
    }
    const at = resolve(ref);
    const actor = who(at.rowPos) ?? (at.kind === "header" ? who(at.colPos) : null);
    const v = at.kind === "cell" ? value(at.rowPos, at.colPos) : undefined;
    const other = at.kind === "cell" ? who(at.colPos) : null;
    const what =
      at.kind === "row" ? "row" : at.kind === "header" ? "header column" : at.kind === "label" ? "row label" : at.kind === "cell" && other ? `cell for ${name(other, "")}` : "";
    rows.push({
      html: actor ? `${name(actor, "")}${what ? ` · ${what}` : ""}` : escapeHtml(what || "Cell"),
      cells: [{ ref, value: v }],
      show: at.rowPos !== null ? { row: at.rowPos, col: at.kind === "cell" ? at.colPos : null } : at.colPos !== null ? { row: at.colPos, col: at.colPos } : null,
      pair: null,
    });
  }
  return rows;
}

/**
 * Returns the findings section body: per check a <details> with the human title, the code name, the
 * message and a table of rows (at most `maxRows` each).
 *
 * @example
 * element.innerHTML = findingsHtml(findings, { caption: "Published version", context });
 * @param {readonly Finding[]} findings
 * @param {{ caption?: string, maxRows?: number, context?: FindingContext | null, note?: string }} [options]
 * @returns {string}
 */
export function findingsHtml(findings, options = {}) {
  const maxRows = options.maxRows ?? 25;
  const caption = options.caption ? `<p class="caption">${escapeHtml(options.caption)}</p>` : "";
  if (findings.length === 0) return `${caption}<p class="ok-note">No quality findings: the file passed every check.</p>`;
  const groups = groupFindings(findings);
  const summary = groups
    .map((g) => `<span class="badge sev-${escapeHtml(g.severity)}">${g.checks.reduce((n, c) => n + c.findings.length, 0)} ${escapeHtml(g.severity)}</span>`)
    .join(" ");
  const note = options.note ? `<p class="muted small-note">${escapeHtml(options.note)}</p>` : "";
  const body = groups
    .map(
      (group) =>
        `<section class="finding-group sev-${escapeHtml(group.severity)}" aria-label="${escapeHtml(group.severity)} findings">` +
        group.checks
          .map(
            (check) =>
              `<details class="finding-check" data-check="${escapeHtml(check.check)}"${group.severity !== "info" ? " open" : ""}><summary><span class="badge sev-${escapeHtml(group.severity)}">${escapeHtml(group.severity)}</span> <strong>${escapeHtml(checkTitle(check.check))}</strong> <span class="muted">${formatCount(check.total)} ${unitOf(check.check, check.total)}</span> <code class="check-code">${escapeHtml(check.check)}</code></summary>` +
              check.findings.map((f) => findingHtml(f, options.context ?? null, maxRows)).join("") +
              `</details>`,
          )
          .join("") +
        `</section>`,
    )
    .join("");
  return `${caption}<p class="finding-summary">${summary}</p>${note}${body}`;
}

/**
 * @param {Finding} f
 * @param {FindingContext | null} context
 * @param {number} maxRows
 */
function findingHtml(f, context, maxRows) {
  const rows = findingRows(f, context);
  const shown = rows.slice(0, maxRows);
  // The load keeps the first 50 cells of a check but counts them all: say how many are not listed.
  // Blank cells are counted one by one yet listed one row range each, so there the rows are all we know.
  const counted = f.check === "unknown_cells" ? rows.length : Math.max(rows.length, f.count ?? rows.length);
  // A finding that names no cell (a remark about the whole file) has nothing more to list.
  const more = rows.length === 0 ? 0 : counted - shown.length;
  const table = shown.length
    ? `<table class="finding-rows"><tbody>${shown
        .map((row) => {
          const cells = row.cells
            .map((c) => `<code>${escapeHtml(c.ref)}</code>${c.value !== undefined ? ` <span class="cell-value" data-value="${escapeHtml(c.value)}">${escapeHtml(c.value === "blank" ? "blank" : c.value)}</span>` : ""}`)
            .join("<br>");
          // Named by its cells: a screen reader's list of buttons read a dozen alike "Show".
          const label = `Show ${row.cells.map((c) => c.ref).join(" and ")} in ${[row.show && "the matrix", row.pair && "the network"].filter(Boolean).join(" and ")}`;
          const show =
            row.show || row.pair
              ? `<button type="button" class="small" data-show-row="${row.show?.row ?? ""}" data-show-col="${row.show?.col ?? ""}" data-show-pair="${row.pair ? row.pair.join("-") : ""}" aria-label="${escapeHtml(label)}">Show</button>`
              : "";
          return `<tr class="finding-row"><td>${row.html}</td><td class="finding-cells">${cells}</td><td>${show}</td></tr>`;
        })
        .join("")}</tbody></table>`
    : "";
  return (
    `<div class="finding"><p>${escapeHtml(f.message)}</p>` +
    table +
    (more > 0 ? `<p class="muted">and ${formatCount(more)} more</p>` : "") +
    `</div>`
  );
}
