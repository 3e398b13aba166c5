/**
 * The one error type handlers throw to answer with a status other than 2xx. The error boundary in
 * `app.ts` turns it into an RFC 9457 problem document; anything else thrown becomes an opaque 500.
 */

/** One invalid field in a request body or query string. */
export interface FieldError {
  field: string;
  message: string;
}

/** Optional parts of an HttpError. */
export interface HttpErrorOptions {
  /** A short stable slug for the problem type, e.g. `validation`; becomes `type: "/docs#problem-validation"`. */
  code?: string;
  /** The invalid fields, for 422s (the first `MAX_LISTED_ERRORS` of them: `invalid()`). */
  errors?: FieldError[];
  /** How many invalid fields `errors` leaves out (a problem's `errors_omitted`); only when some are. */
  errorsOmitted?: number;
  /** Extra response headers, e.g. `Allow` for a 405 or `WWW-Authenticate` for a 401. */
  headers?: Record<string, string>;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  421: "Misdirected Request",
  422: "Unprocessable Content",
  428: "Precondition Required",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

/** The reason phrase for a status, or "Error" for one we never send. */
export function statusTitle(status: number): string {
  return TITLES[status] ?? "Error";
}

/**
 * An error with an HTTP status and a message safe to show to the client.
 *
 * @example
 * ```ts
 * throw new HttpError(404, "No contact has id 42", { code: "not-found" });
 * ```
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[] | undefined;
  readonly errorsOmitted: number | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, detail: string, options: HttpErrorOptions = {}) {
    super(detail);
    this.name = "HttpError";
    this.status = status;
    this.code = options.code ?? defaultCode(status);
    this.errors = options.errors;
    this.errorsOmitted = options.errorsOmitted;
    this.headers = options.headers ?? {};
  }
}

function defaultCode(status: number): string {
  return statusTitle(status).toLowerCase().replaceAll(" ", "-");
}

/** An RFC 9457 problem document as this API sends it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  errors_omitted?: number;
}

/**
 * Returns the problem document for an HttpError.
 *
 * @example
 * ```ts
 * problemOf(new HttpError(409, "Email taken")) // { type: "/docs#problem-conflict", title: "Conflict", status: 409, ... }
 * ```
 */
export function problemOf(error: HttpError, instance?: string): Problem {
  const problem: Problem = {
    type: `/docs#problem-${error.code}`,
    title: statusTitle(error.status),
    status: error.status,
    detail: error.message,
  };
  if (instance !== undefined) problem.instance = instance;
  if (error.errors !== undefined) problem.errors = error.errors;
  if (error.errorsOmitted !== undefined) problem.errors_omitted = error.errorsOmitted;
  return problem;
}
