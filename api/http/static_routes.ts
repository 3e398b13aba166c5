/**
 * Serves the dashboard: `/` is api/web/index.html and `/web/*` any file under api/web of a type a
 * browser loads (`TYPES`, by extension), with a validator ETag, `Cache-Control: no-cache`
 * (revalidate every time: file names are not content-hashed) and no way out of the folder,
 * symlinks included.
 */
import { readFileSync, realpathSync, statSync } from "node:fs";
import { extname, join, resolve, sep } from "node:path";
import { HttpError } from "./http_error.ts";
import { readPreconditions, send } from "./respond.ts";
import type { Router } from "./router.ts";
import type { RouteDoc } from "./route_doc.ts";
import { cachedBundle } from "./module_bundle.ts";

/**
 * The types a browser loads from the dashboard's folder, by extension; anything else there (its
 * tsconfig.json, README, tests) is a 404. No .json: the dashboard's data comes from the API; nor
 * .map: its scripts are served as written, so there are no source maps.
 */
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

interface Cached {
  stamp: string;
  etag: string;
  bytes: Uint8Array;
}

/**
 * Returns a function answering a file below `root` (segments already decoded), or 404.
 *
 * @example
 * ```ts
 * const serve = staticFiles("api/web");
 * await serve(request, ["index.html"]);
 * ```
 */
export function staticFiles(root: string): (request: Request, segments: string[]) => Response {
  const base = realFolder(root);
  const cache = new Map<string, Cached>();
  return (request, segments) => {
    // Guard 1, on the decoded segments: "..", "." or a separator or NUL could leave the folder, and
    // hidden files (.env, .git) inside it are never the dashboard's.
    for (const s of segments) {
      if (s === "" || s === "." || s === ".." || s.startsWith(".") || /[\\/\0]/.test(s)) throw notFound();
    }
    // Guard 2, on the real path (symlinks followed): the file must be below the folder itself,
    // not merely start with its name ("web2" starts with "web"), so the separator is part of it.
    let file: string;
    try {
      file = realpathSync(join(base, ...segments));
    } catch {
      throw notFound();
    }
    if (!file.startsWith(base + sep)) throw notFound();
    const type = TYPES[extname(file).toLowerCase()];
    if (type === undefined) throw notFound();
    let stat;
    try {
      stat = statSync(file);
    } catch {
      throw notFound();
    }
    if (!stat.isFile()) throw notFound();
    const stamp = `${stat.size}-${stat.mtimeMs}`;
    let entry = cache.get(file);
    if (entry === undefined || entry.stamp !== stamp) {
      entry = { stamp, etag: `"${stat.size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}"`, bytes: readFileSync(file) };
      cache.set(file, entry);
    }
    return answerFile(request, type, entry.etag, entry.bytes);
  };
}

/** A static file's answer: its bytes with their ETag, or 304 when the client has them. */
function answerFile(request: Request, type: string, etag: string, bytes: Uint8Array): Response {
  // Never inside another site's frame: the dashboard's buttons write (same-origin, so past the
  // cross-site write check), and a page that frames it could have the user click them (clickjacking).
  const headers: Record<string, string> = { "content-type": type, etag, "cache-control": "no-cache", ...NO_FRAMING };
  if (type.startsWith("text/html")) headers["content-security-policy"] = DASHBOARD_CSP;
  return readPreconditions(request, etag, headers) ?? send(bytes, 200, headers);
}

/** Refuses framing by any page: CSP `frame-ancestors` for current browsers, X-Frame-Options for older ones. */
export const NO_FRAMING = { "x-frame-options": "DENY", "content-security-policy": "frame-ancestors 'none'" } as const;

/**
 * The dashboard page's policy: its own scripts, styles and API only, nothing inline. The page
 * renders contact fields, actor names, file names and findings from the data into markup; each is
 * escaped, and this keeps one escape forgotten from running a script (as /docs already had).
 * `data:` images: the page's empty icon.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'";

/** The folder's real path (symlinks resolved), or its plain absolute path while it does not exist. */
function realFolder(root: string): string {
  try {
    return realpathSync(root);
  } catch {
    return resolve(root);
  }
}

function notFound(): HttpError {
  return new HttpError(404, "No such file", { code: "not-found" });
}

/** The media types of `types`' values, each once, without parameters. */
function mediaTypes(types: Record<string, string>): string[] {
  return [...new Set(Object.values(types).map((type) => type.split(";")[0]))];
}

/** What the dashboard routes say about themselves (for OpenAPI and /docs). */
const staticDocs = {
  index: {
    summary: "The dashboard (api/web/index.html)",
    tag: "system",
    responses: { "200": { description: "HTML page.", html: true } },
  },
  bundle: {
    summary: "The dashboard's scripts joined into one (api/web/app.js and what it imports)",
    tag: "system",
    responses: { "200": { description: "JavaScript.", types: ["text/javascript"] } },
  },
  web: {
    summary: "Dashboard assets under api/web",
    tag: "system",
    responses: { "200": { description: "The file.", types: mediaTypes(TYPES) }, "404": { description: "No such file." } },
  },
} satisfies Record<string, RouteDoc>;

/** Adds `/` and `/web/*`. */
export function addStaticRoutes(router: Router, webDir: string): void {
  const serve = staticFiles(webDir);
  router.add("GET", "/", async (request) => serve(request, ["index.html"]), staticDocs.index);
  // One request for the page's code instead of one per module; the modules stay reachable below.
  const bundle = cachedBundle(webDir, "app.js");
  router.add(
    "GET",
    "/web/dashboard.js",
    async (request) => {
      const { bytes, etag } = bundle();
      return answerFile(request, "text/javascript; charset=utf-8", etag, bytes);
    },
    staticDocs.bundle,
  );
  router.add("GET", "/web/*", async (request, ctx) => serve(request, ctx.params["*"].split("\u0000")), staticDocs.web);
}
