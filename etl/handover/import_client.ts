/**
 * The ETL's side of the hand-over: send a contacts CSV to the running API and read its answer.
 */
import { request as httpRequest } from "node:http";
import { IMPORT_CONTACTS_PATH, type ApiInfo, type ImportRequest, type IngestSummary } from "./contract.ts";

/** Why the running API did not take an import. */
export type HandoverErrorCode = "api-rejected" | "api-unauthorized" | "api-failed" | "stopped" | "upload-removed";

/** The running API refused the import or could not be reached; `message` is for the person running the load. */
export class HandoverError extends Error {
  override readonly name = "HandoverError";
  constructor(
    readonly code: HandoverErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The problem types of an import the API ran and could load no row of (`loadFailure`'s codes). */
const FAILED_LOADS = new Set(["/docs#problem-all-rejected", "/docs#problem-no-rows"]);

/** Options of `importThroughApi()`. */
export interface ImportOptions {
  /** Sent as `Authorization: Bearer ...` (the API's API_TOKEN). */
  apiToken?: string;
  /**
   * How long to wait for the API to finish the import; default: as long as it takes (the API holds
   * the connection while it loads, and closes it if it stops).
   */
  timeoutMs?: number;
  /**
   * Closes the request when aborted (`npm run etl` told to stop): the API then stops the import
   * unless its COMMIT has begun (as for any client that leaves), and this rejects with the
   * signal's reason. Whether it committed, this side cannot know: the answer never comes.
   */
  signal?: AbortSignal;
}

/**
 * Asks the API to load an upload the loader placed in the data dir (`placeUpload`) and returns its
 * summary, also that of a load the API answered 422 for because it could load no row (every one
 * rejected, or none): the caller decides the run from it. Throws HandoverError for a refused import
 * (bad CSV: "api-rejected"; the upload gone, emptied by an API that started meanwhile: "upload-removed"; wrong token: "api-unauthorized"; the API closing, which stopped the import before
 * its COMMIT: "stopped", as a load a signal stopped, so that the file counts as not loaded yet; anything else,
 * including no answer: "api-failed", whose message says, once the request was sent, that the import may or
 * may not have been loaded).
 *
 * @example
 * ```ts
 * const summary = await importThroughApi(api, { upload: "run-1.csv", source_name: "contacts.csv", run_id: "run-1" }, {});
 * ```
 */
export async function importThroughApi(api: ApiInfo, request: ImportRequest, options: ImportOptions = {}): Promise<IngestSummary> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.apiToken) headers.authorization = `Bearer ${options.apiToken}`;
  let response: { status: number; text: string };
  try {
    response = await post(new URL(IMPORT_CONTACTS_PATH, api.url), headers, JSON.stringify(request), options.timeoutMs, options.signal);
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    const why = (error as Error).message;
    if (!(error as { sent?: boolean }).sent) throw new HandoverError("api-failed", `The running API at ${api.url} did not take the import: ${why}`);
    // Sent, and then no answer (the API killed, its machine gone, the time limit): whether it got
    // as far as its COMMIT, this side cannot know, as for a load stopped by Ctrl-C.
    throw new HandoverError(
      "api-failed",
      `The running API at ${api.url} was sent the import and then gave no answer (${why}), so it may or may not have been loaded (its COMMIT ` +
        "may have been done before the answer was lost); once the API answers again, load the file again: if it was loaded, that load says it is unchanged",
    );
  }
  const { status, text } = response;
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // A non-JSON answer is described by its status below.
  }
  if (status === 200) return body as unknown as IngestSummary;
  // A load that could use none of the rows (every one rejected, or none): the API's 422 carries what
  // it found, and the loader's own thresholds make the failed run of it, as for a direct load, with
  // the same message and the rejects in its findings.
  if (status === 422 && FAILED_LOADS.has(String(body.type)) && typeof body.summary === "object" && body.summary !== null) return body.summary as IngestSummary;
  const detail = typeof body.detail === "string" ? body.detail : typeof body.title === "string" ? body.title : text.slice(0, 200);
  // 404: the upload named is not there. Not the file's fault (api-rejected is, and holds its bytes
  // off for an hour): an API that started meanwhile emptied uploads/, as its start-up does.
  if (status === 404) {
    throw new HandoverError(
      "upload-removed",
      `The running API at ${api.url} found no upload '${request.upload}' in the data dir's uploads folder (an API started on this data dir meanwhile, and its start-up empties that folder); nothing was loaded; run the load again`,
    );
  }
  if (status === 422 || status === 400) throw new HandoverError("api-rejected", detail);
  if (status === 401 || status === 403) {
    throw new HandoverError("api-unauthorized", `The running API at ${api.url} refused the import (${status}); set API_TOKEN to the API's token`);
  }
  if (status === 503 && body.type === "/docs#problem-shutting-down") {
    throw new HandoverError("stopped", `The running API at ${api.url} was closing and stopped the import before its COMMIT; nothing was loaded; load the file again once the API is back`);
  }
  throw new HandoverError("api-failed", `The running API at ${api.url} answered ${status}: ${detail}`);
}

/**
 * One POST with node:http, not fetch: fetch (undici) gives up on an answer whose headers take more
 * than 300 s, and an import of 10M rows takes longer; undici's own Agent, which lifts that, is not a
 * dependency of ours. No limit unless `timeoutMs`.
 */
function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const req = httpRequest(url, { method: "POST", agent: false, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.once("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.once("error", fail);
    });
    // Once the whole request is sent, the API may have taken it: a failure from then on says so (`sent`).
    let sent = false;
    req.once("finish", () => (sent = true));
    const fail = (error: Error) => reject(Object.assign(error, { sent }));
    req.once("error", fail);
    // With no limit, a peer gone without a FIN (a machine that died) must still end the wait: TCP
    // keep-alive probes find it.
    req.once("socket", (socket) => socket.setKeepAlive(true, 30_000));
    if (timeoutMs !== undefined) {
      const timer = setTimeout(() => req.destroy(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      req.once("close", () => clearTimeout(timer));
    }
    if (signal !== undefined) {
      const close = () => req.destroy(signal.reason as Error);
      signal.addEventListener("abort", close, { once: true });
      req.once("close", () => signal.removeEventListener("abort", close));
    }
    req.end(body);
  });
}
