/**
 * Renders the OpenAPI document as one self-contained HTML page (inline CSS, no script, no CDN),
 * so /docs works offline and under a strict Content-Security-Policy.
 */
import { escapeHtml } from "../web/html.js";
import { PROBLEM_TYPES } from "./openapi.ts";

/** Inline code spans: `x` becomes <code>x</code> (after escaping). */
function md(text: unknown): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>");
}

function schemaText(schema: unknown): string {
  return JSON.stringify(schema, null, 2);
}

/**
 * Returns the /docs HTML for an OpenAPI document.
 *
 * @example
 * ```ts
 * const html = renderDocs(buildOpenApi(router)); // "<!doctype html>..."
 * ```
 */
export function renderDocs(openapi: Record<string, unknown>): string {
  const info = openapi.info as { title: string; description: string; version: string };
  const paths = openapi.paths as Record<string, Record<string, Record<string, unknown>>>;
  const schemas = (openapi.components as { schemas: Record<string, unknown> }).schemas;
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags as string[])[0];
      const params = (op.parameters as { name: string; in: string; required: boolean; description: string }[]) ?? [];
      const responses = op.responses as Record<string, { description: string }>;
      const id = `${method}-${path}`.replace(/[^\w]+/g, "-");
      const html = `<section class="op" id="${escapeHtml(id)}">
<h3><span class="m m-${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code>${op.security ? ' <span class="lock">token</span>' : ""}</h3>
<p>${md(op.summary)}</p>${op.description ? `<p class="desc">${md(op.description)}</p>` : ""}
${params.length > 0 ? `<table><tr><th>parameter</th><th>in</th><th>description</th></tr>${params.map((p) => `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? " *" : ""}</td><td>${escapeHtml(p.in)}</td><td>${md(p.description)}</td></tr>`).join("")}</table>` : ""}
${op.requestBody ? `<p><b>Body:</b> ${Object.keys((op.requestBody as { content: object }).content).map((t) => `<code>${escapeHtml(t)}</code>`).join(" or ")}</p>` : ""}
<ul class="res">${Object.entries(responses).map(([s, r]) => `<li><b>${escapeHtml(s)}</b> ${md(r.description)}</li>`).join("")}</ul>
</section>`;
      const list = byTag.get(tag) ?? [];
      list.push(html);
      byTag.set(tag, list);
    }
  }
  const sections = [...byTag.entries()].map(([tag, ops]) => `<h2 id="tag-${escapeHtml(tag)}">${escapeHtml(tag)}</h2>${ops.join("\n")}`).join("\n");
  const problems = Object.entries(PROBLEM_TYPES)
    .map(([code, text]) => `<li id="problem-${escapeHtml(code)}"><code>/docs#problem-${escapeHtml(code)}</code> ${md(text)}</li>`)
    .join("");
  const schemaBlocks = Object.entries(schemas)
    .map(([name, s]) => `<details id="schema-${escapeHtml(name)}"><summary>${escapeHtml(name)}</summary><pre>${escapeHtml(schemaText(s))}</pre></details>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(info.title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#1d232a}
h1{margin-bottom:.2rem} h2{border-bottom:1px solid #ccd;margin-top:2.2rem;text-transform:capitalize}
.op{border:1px solid #dde;border-radius:6px;padding:.4rem .9rem;margin:.8rem 0}
.op h3{font-size:1rem;margin:.4rem 0} .m{display:inline-block;min-width:4.2rem;text-align:center;border-radius:4px;color:#fff;font-size:.8rem;padding:.1rem .3rem}
.m-get{background:#2f6f9f}.m-post{background:#2f8f4f}.m-put{background:#9f6f2f}.m-patch{background:#7f5f9f}.m-delete{background:#af3f3f}
.lock{font-size:.75rem;border:1px solid #a66;color:#a33;border-radius:4px;padding:0 .3rem}
table{border-collapse:collapse;width:100%;font-size:.9rem} td,th{border-top:1px solid #eee;padding:.2rem .4rem;text-align:left;vertical-align:top}
code{background:#f3f4f7;padding:0 .2rem;border-radius:3px} pre{background:#f3f4f7;padding:.6rem;overflow:auto;font-size:.8rem}
.res{margin:.3rem 0;padding-left:1.2rem;font-size:.9rem} .desc{color:#444}
</style></head><body>
<h1>${escapeHtml(info.title)} <small>${escapeHtml(info.version)}</small></h1>
<p>${md(info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Conventions: JSON bodies; lists are <code>{ items, next_cursor }</code> with a
<code>Link: rel="next"</code> header, <code>Accept: text/csv</code> (or <code>?format=csv</code>) streams CSV; every contact has an <code>ETag</code>
(send it in <code>If-Match</code> to write safely, <code>If-None-Match</code> to revalidate); paths work with or without a trailing slash.</p>
${sections}
<h2 id="problems">Problem types</h2><p>Every error is <code>application/problem+json</code> (RFC 9457): <code>{ type, title, status, detail, instance, errors? }</code>.</p><ul>${problems}</ul>
<h2 id="schemas">Schemas</h2>${schemaBlocks}
</body></html>`;
}
