// @ts-check
/**
 * The "Try it" forms of /docs: each sends a real request to this server from the operation's
 * fields (path and query parameters, headers, body, bearer token) and shows the answer with its
 * status and headers, or that it failed (an answer silent for 30 s is given up). Loaded as the page's
 * only script, from this origin (the page's CSP allows no other), and it needs nothing else but
 * silence_watch.js: the forms themselves are rendered by the server.
 */
import { readBody, silenceWatch } from "./silence_watch.js";

const TOKEN_KEY = "api-token";
/**
 * How long an answer may stay silent (before it starts, or between two parts of its body) before
 * the request is given up and said so: the dashboard's limit. On silence, not on time in all, as
 * a request tried here may be a long CSV.
 */
const SILENCE_MS = 30_000;

/**
 * Returns the request a Try it form describes: the URL with path parameters filled in and the
 * query string, and the headers. Path parameters are encoded, empty optional fields left out.
 *
 * @example
 * requestOf("/actors/{id}", [["path:id", "AÑ"], ["query:format", ""]]);
 * // { url: "/actors/A%C3%91", headers: {} }
 * @param {string} template
 * @param {[string, string][]} fields  [`in:name`, value]
 * @returns {{ url: string, headers: Record<string, string> }}
 */
export function requestOf(template, fields) {
  let path = template;
  const query = new URLSearchParams();
  /** @type {Record<string, string>} */
  const headers = {};
  for (const [key, value] of fields) {
    const [where, name] = key.split(/:(.*)/s);
    if (value === "") continue;
    if (where === "path") path = path.replace(`{${name}}`, encodeURIComponent(value));
    else if (where === "query") query.set(name, value);
    else if (where === "header") headers[name] = value;
  }
  const search = query.toString();
  return { url: search ? `${path}?${search}` : path, headers };
}

/**
 * Returns an answer's body as text to show: JSON indented, other text as it came, capped.
 *
 * @example
 * showBody('{"a":1}', "application/json"); // "{\n  \"a\": 1\n}"
 * @param {string} text
 * @param {string} type
 * @returns {string}
 */
export function showBody(text, type) {
  let shown = text;
  if (type.includes("json")) {
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // Not JSON after all: show it as it came.
    }
  }
  return shown.length > 20000 ? `${shown.slice(0, 20000)}\n… (${text.length} characters in all)` : shown;
}

/** @param {HTMLFormElement} form */
async function send(form) {
  const method = form.dataset.method ?? "GET";
  const template = form.dataset.path ?? "/";
  /** @type {[string, string][]} */
  const fields = [];
  for (const element of form.elements) {
    if ((element instanceof HTMLInputElement || element instanceof HTMLSelectElement) && element.name.includes(":")) fields.push([element.name, element.value.trim()]);
  }
  const { url, headers } = requestOf(template, fields);
  const body = form.elements.namedItem("body");
  /** @type {RequestInit} */
  const init = { method, headers };
  if (body instanceof HTMLTextAreaElement) {
    headers["Content-Type"] = body.dataset.type ?? "application/json";
    init.body = body.value;
  }
  const token = form.elements.namedItem("token");
  if (token instanceof HTMLInputElement && token.value) {
    headers.Authorization = `Bearer ${token.value}`;
    sessionStorage.setItem(TOKEN_KEY, token.value);
  }
  const result = form.querySelector(".try-result");
  const status = form.querySelector(".try-status");
  const head = form.querySelector(".try-headers");
  const out = form.querySelector(".try-body");
  const shownUrl = form.querySelector(".try-url");
  if (!(result instanceof HTMLElement) || !status || !head || !out) return;
  if (shownUrl) shownUrl.textContent = `${method} ${url}`;
  result.hidden = false;
  status.textContent = "Sending…";
  status.className = "try-status";
  const watch = silenceWatch(SILENCE_MS);
  try {
    const response = await fetch(url, { ...init, signal: watch.signal });
    watch.heard();
    const text = method === "HEAD" ? "" : new TextDecoder().decode(await readBody(response, watch.heard));
    status.textContent = `${response.status} ${response.statusText}`;
    status.className = `try-status ${response.ok ? "ok" : "bad"}`;
    head.textContent = [...response.headers].map(([name, value]) => `${name}: ${value}`).join("\n");
    out.textContent = showBody(text, response.headers.get("content-type") ?? "");
    form.dataset.status = String(response.status);
  } catch (error) {
    const why = watch.timedOut() ? `no answer from the API for ${SILENCE_MS / 1000} s` : error instanceof Error ? error.message : String(error);
    status.textContent = `The request failed: ${why}`;
    status.className = "try-status bad";
    form.dataset.status = "0";
  } finally {
    watch.done();
  }
}

// The forms exist only on /docs; importing this module elsewhere (the unit tests) does nothing.
if (typeof document !== "undefined") {
  const saved = sessionStorage.getItem(TOKEN_KEY) ?? "";
  for (const input of document.querySelectorAll(".try-form input[name=token]")) if (input instanceof HTMLInputElement) input.value = saved;
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("try-form")) return;
    event.preventDefault();
    void send(form);
  });
}
