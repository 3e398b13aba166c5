/**
 * The ETL's side of the hand-over: send a contacts CSV to the running API and read its answer.
 */
import { IMPORT_CONTACTS_PATH, type ApiInfo, type ImportRequest, type IngestSummary } from "./contract.ts";

/** Why the running API did not take an import. */
export type HandoverErrorCode = "api-rejected" | "api-unauthorized" | "api-failed";

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

/** Options of `importThroughApi()`. */
export interface ImportOptions {
  /** Sent as `Authorization: Bearer ...` (the API's API_TOKEN). */
  apiToken?: string;
  /** How long to wait for the API to finish the import; default 10 minutes. */
  timeoutMs?: number;
}

/**
 * Asks the API to load an upload the loader placed in the data dir (`placeUpload`) and returns its
 * summary. Throws HandoverError for a refused import (bad CSV: "api-rejected"; wrong token:
 * "api-unauthorized"; anything else, including no answer: "api-failed").
 *
 * @example
 * ```ts
 * const summary = await importThroughApi(api, { upload: "run-1.csv", source_name: "contacts.csv", run_id: "run-1" }, {});
 * ```
 */
export async function importThroughApi(api: ApiInfo, request: ImportRequest, options: ImportOptions = {}): Promise<IngestSummary> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.apiToken) headers.authorization = `Bearer ${options.apiToken}`;
  let response: Response;
  try {
    response = await fetch(new URL(IMPORT_CONTACTS_PATH, api.url), {
      method: "POST",
      headers,
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(options.timeoutMs ?? 600_000),
    });
  } catch (error) {
    throw new HandoverError("api-failed", `The running API at ${api.url} did not take the import: ${(error as Error).message}`);
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // A non-JSON answer is described by its status below.
  }
  if (response.status === 200) return body as unknown as IngestSummary;
  const detail = typeof body.detail === "string" ? body.detail : typeof body.title === "string" ? body.title : text.slice(0, 200);
  if (response.status === 422 || response.status === 400 || response.status === 404) throw new HandoverError("api-rejected", detail);
  if (response.status === 401 || response.status === 403) {
    throw new HandoverError(
      "api-unauthorized",
      `The running API at ${api.url} refused the import (${response.status}); set API_TOKEN to the API's token`,
    );
  }
  throw new HandoverError("api-failed", `The running API at ${api.url} answered ${response.status}: ${detail}`);
}
