/**
 * The hand-over between `npm run etl` and a running API (`npm start`), defined once for both
 * sides: `api.json` (where the API listens), the import route, its headers and its answer
 * (`IngestSummary`). See contract.ts for the flow.
 *
 * @example
 * ```ts
 * import { importThroughApi, runningApi } from "../handover/mod.ts";
 * const api = await runningApi("data");
 * if (api) await importThroughApi(api, bytes, { sourceName: "contacts.csv" });
 * ```
 */
export {
  API_INFO_FILE,
  IMPORT_CONTACTS_PATH,
  IMPORT_CONTENT_TYPES,
  IMPORT_MAX_BYTES,
  rejectsReportPath,
  RUN_ID_NAME,
  SOURCE_NAME_HEADER,
  UPLOAD_NAME,
  UPLOADS_DIR,
  type ApiInfo,
  type FieldTally,
  type ImportRequest,
  type IngestSummary,
  type RowFix,
  type RowReject,
} from "./contract.ts";
export { API_ID, removeApiInfo, runningApi, writeApiInfo } from "./api_info.ts";
export { firstRejects } from "./rejects_report.ts";
export { cleanStaleUploads, cleanUploads, placeUpload, uploadsDir } from "./uploads.ts";
export { HandoverError, importThroughApi, type HandoverErrorCode, type ImportOptions } from "./import_client.ts";
