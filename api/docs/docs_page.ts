/**
 * Renders the OpenAPI document as one HTML page with a "Try it" form per operation: parameters and
 * body filled in from the schema, a token field for writes, the answer with status and headers.
 * Inline CSS and one same-origin script (api/web/docs_try.js, which only sends the forms, and the
 * module it imports to give up on a silent answer), no CDN,
 * so /docs works offline under a Content-Security-Policy that allows no other script.
 */
import { escapeHtml } from "../web/html.js";
import { PROBLEM_TYPES } from "./openapi.ts";

type Schema = Record<string, unknown>;
type Parameter = { name: string; in: string; required: boolean; description: string; schema?: Schema };

/** The Content-Security-Policy /docs is served with: styles inline, script only from this origin. */
export const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Inline code spans: `x` becomes <code>x</code> (after escaping). */
function md(text: unknown): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>");
}

function schemaText(schema: unknown): string {
  return JSON.stringify(schema, null, 2);
}

/**
 * Returns an example value for `schema`: its own `examples` when it has them, else a plain value of
 * its type; objects list every property (the form is for editing, not for minimal requests).
 *
 * @example
 * ```ts
 * exampleOf({ type: "object", properties: { email: { type: "string", format: "email" } } }, {}) // { email: "name@example.com" }
 * ```
 */
export function exampleOf(schema: Schema | undefined, components: Record<string, Schema>, depth = 0): unknown {
  if (schema === undefined || depth > 6) return null;
  if (typeof schema.$ref === "string") return exampleOf(components[schema.$ref.replace("#/components/schemas/", "")], components, depth + 1);
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? (schema.type as string[]).find((t) => t !== "null") : (schema.type as string | undefined);
  switch (type) {
    case "object": {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      return Object.fromEntries(Object.entries(properties).filter(([, p]) => p.readOnly !== true).map(([name, p]) => [name, exampleOf(p, components, depth + 1)]));
    }
    case "array":
      return [exampleOf(schema.items as Schema | undefined, components, depth + 1)];
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 1;
    case "boolean":
      return false;
    case "string":
      return schema.format === "email" ? "name@example.com" : schema.format === "date-time" ? new Date(0).toISOString() : "text";
    default:
      return null;
  }
}

/** One input of the Try it form, from a parameter. */
function parameterInput(id: string, p: Parameter): string {
  const schema = p.schema ?? {};
  const name = `${p.in}:${p.name}`;
  const example = Array.isArray(schema.examples) ? String(schema.examples[0]) : "";
  const control = Array.isArray(schema.enum)
    ? `<select id="${id}" name="${escapeHtml(name)}"><option value=""></option>${(schema.enum as unknown[]).map((v) => `<option>${escapeHtml(v)}</option>`).join("")}</select>`
    : `<input id="${id}" name="${escapeHtml(name)}"${p.required ? " required" : ""} value="${escapeHtml(p.in === "path" ? example : "")}" placeholder="${escapeHtml(p.in === "path" ? "" : example || String(schema.type ?? ""))}" autocomplete="off">`;
  return `<label for="${id}"><code>${escapeHtml(p.name)}</code>${p.required ? " *" : ""} <span class="in">${escapeHtml(p.in)}</span></label>${control}`;
}

/** The Try it form of one operation. */
function tryForm(id: string, method: string, path: string, op: Record<string, unknown>, components: Record<string, Schema>): string {
  const params = (op.parameters as Parameter[] | undefined) ?? [];
  const inputs = params.map((p, i) => parameterInput(`${id}-p${i}`, p)).join("");
  const body = op.requestBody as { content: Record<string, { schema: Schema }> } | undefined;
  let bodyField = "";
  if (body !== undefined) {
    const [type, media] = Object.entries(body.content)[0];
    const example =
      type === "text/csv"
        ? "first_name,last_name,email,state\nAna,Ruiz,ana.ruiz@example.com,LA\n"
        : JSON.stringify(exampleOf(media.schema, components), null, 2);
    bodyField = `<label for="${id}-body">Body <span class="in">${escapeHtml(type)}</span></label><textarea id="${id}-body" name="body" data-type="${escapeHtml(type)}" rows="${Math.min(14, example.split("\n").length + 1)}" spellcheck="false">${escapeHtml(example)}</textarea>`;
  }
  const token = op.security
    ? `<label for="${id}-token">Token <span class="in">Authorization: Bearer</span></label><input id="${id}-token" name="token" type="password" autocomplete="off" placeholder="only if the server has API_TOKEN">`
    : "";
  return (
    `<details class="try"><summary>Try it</summary><form class="try-form" data-method="${escapeHtml(method.toUpperCase())}" data-path="${escapeHtml(path)}">` +
    `<div class="try-fields">${inputs}${token}${bodyField}</div>` +
    `<p><button type="submit">Send ${escapeHtml(method.toUpperCase())}</button> <code class="try-url"></code></p>` +
    `<div class="try-result" aria-live="polite" hidden><p class="try-status"></p><pre class="try-headers"></pre><pre class="try-body"></pre></div>` +
    `</form></details>`
  );
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
  const schemas = (openapi.components as { schemas: Record<string, Schema> }).schemas;
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags as string[])[0];
      const params = (op.parameters as Parameter[]) ?? [];
      const responses = op.responses as Record<string, { description: string }>;
      const id = `${method}-${path}`.replace(/[^\w]+/g, "-");
      const html = `<section class="op" id="${escapeHtml(id)}">
<h3><span class="m m-${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code>${op.security ? ' <span class="lock">token</span>' : ""}</h3>
<p>${md(op.summary)}</p>${op.description ? `<p class="desc">${md(op.description)}</p>` : ""}
${params.length > 0 ? `<table><tr><th>parameter</th><th>in</th><th>description</th></tr>${params.map((p) => `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? " *" : ""}</td><td>${escapeHtml(p.in)}</td><td>${md(p.description)}</td></tr>`).join("")}</table>` : ""}
${op.requestBody ? `<p><b>Body:</b> ${Object.keys((op.requestBody as { content: object }).content).map((t) => `<code>${escapeHtml(t)}</code>`).join(" or ")}</p>` : ""}
<ul class="res">${Object.entries(responses).map(([s, r]) => `<li><b>${escapeHtml(s)}</b> ${md(r.description)}</li>`).join("")}</ul>
${path.includes("{path}") ? "" : tryForm(id, method, path, op, schemas)}
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
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#1d232a}
h1{margin-bottom:.2rem} h2{border-bottom:1px solid #ccd;margin-top:2.2rem;text-transform:capitalize}
.op{border:1px solid #dde;border-radius:6px;padding:.4rem .9rem;margin:.8rem 0}
.op h3{font-size:1rem;margin:.4rem 0} .m{display:inline-block;min-width:4.2rem;text-align:center;border-radius:4px;color:#fff;font-size:.8rem;padding:.1rem .3rem}
.m-get{background:#2f6f9f}.m-post{background:#2f8f4f}.m-put{background:#9f6f2f}.m-patch{background:#7f5f9f}.m-delete{background:#af3f3f}
.lock{font-size:.75rem;border:1px solid #a66;color:#a33;border-radius:4px;padding:0 .3rem}
table{border-collapse:collapse;width:100%;font-size:.9rem} td,th{border-top:1px solid #eee;padding:.2rem .4rem;text-align:left;vertical-align:top}
code{background:#f3f4f7;padding:0 .2rem;border-radius:3px} pre{background:#f3f4f7;padding:.6rem;overflow:auto;font-size:.8rem}
.res{margin:.3rem 0;padding-left:1.2rem;font-size:.9rem} .desc{color:#444}
.try{margin:.4rem 0 .6rem} .try summary{cursor:pointer;color:#2f6f9f;font-weight:600}
.try-fields{display:grid;grid-template-columns:minmax(8rem,max-content) minmax(0,1fr);gap:.3rem .6rem;align-items:start;margin:.5rem 0}
.try-fields label{font-size:.88rem;padding-top:.2rem} .in{color:#667;font-size:.75rem}
.try input,.try select,.try textarea,.try button{font:inherit;border:1px solid #b8c0cc;border-radius:5px;padding:.2rem .4rem;min-width:0}
.try textarea{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;width:100%}
.try button{background:#2f6f9f;color:#fff;border-color:#2f6f9f;cursor:pointer}
.try-status{font-weight:700;margin:.3rem 0} .try-status.ok{color:#15803d} .try-status.bad{color:#b91c1c}
.try-headers{max-height:10rem} .try-body{max-height:24rem}
@media (max-width:640px){.try-fields{grid-template-columns:minmax(0,1fr)}}
</style>
<script type="module" src="/web/docs_try.js"></script>
</head><body>
<h1>${escapeHtml(info.title)} <small>${escapeHtml(info.version)}</small></h1>
<p>${md(info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Conventions: JSON bodies; lists are <code>{ items, next_cursor }</code> with a
<code>Link: rel="next"</code> header, <code>Accept: text/csv</code> (or <code>?format=csv</code>) streams CSV; answers are compressed (brotli or gzip) when the
client says <code>Accept-Encoding</code>; every contact has an <code>ETag</code> (send it in <code>If-Match</code> to write safely, <code>If-None-Match</code> to
revalidate); paths work with or without a trailing slash. Each operation has a <b>Try it</b> form that sends a real request to this server.</p>
${sections}
<h2 id="problems">Problem types</h2><p>Every error is <code>application/problem+json</code> (RFC 9457): <code>{ type, title, status, detail, instance, errors? }</code>.</p><ul>${problems}</ul>
<h2 id="schemas">Schemas</h2>${schemaBlocks}
</body></html>`;
}
