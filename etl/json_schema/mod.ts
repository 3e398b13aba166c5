/**
 * Schema-bearing definitions: a record's JSON Schema (for OpenAPI and the answers' validator) and
 * its TypeScript type written once, as small builder expressions. The ETL defines the run record
 * with them (etl/runs) and checks log lines by it; the API defines every answer with them.
 *
 * @example
 * ```ts
 * import { integer, object, optional, string, type Infer } from "../json_schema/mod.ts";
 * const point = object({ x: integer(), label: optional(string()) });
 * type Point = Infer<typeof point>; // { x: number; label?: string }
 * ```
 */
export {
  array,
  boolean,
  hasRequiredMembers,
  integer,
  mapOf,
  nullable,
  object,
  oneOf,
  optional,
  page,
  ref,
  string,
  type Infer,
  type JsonSchema,
  type Optional,
  type Same,
  type Schema,
} from "./json_schema.ts";
