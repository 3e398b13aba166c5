/**
 * Schema-bearing definitions: each response record is written once as a small builder expression
 * that carries both its JSON Schema (for OpenAPI and the validator) and its TypeScript type
 * (`Infer<typeof actorSchema>`), so the two cannot disagree. The subset is what our answers need:
 * integer, number, string (with enum/format), boolean, null, arrays, closed objects with optional
 * members, string-keyed maps and named references. In etl/ because the run record's definition is
 * the ETL's (etl/runs), which checks log lines by it; the API builds its answers' schemas with it.
 */

/** A JSON Schema object as it appears in the OpenAPI document. */
export type JsonSchema = Record<string, unknown>;

/** A definition: the JSON Schema, and (at the type level only) the value it describes. */
export interface Schema<T> {
  readonly json: JsonSchema;
  /** Never set: it only carries T for `Infer`. */
  readonly __type?: T;
}

/** A member of an object that may be absent. */
export interface Optional<T> extends Schema<T> {
  readonly optional: true;
}

/** The TypeScript type a definition describes. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

type Members = Record<string, Schema<unknown>>;
type OptionalKeys<M extends Members> = { [K in keyof M]: M[K] extends Optional<unknown> ? K : never }[keyof M];
type Flatten<T> = { [K in keyof T]: T[K] } & {};
type ObjectOf<M extends Members> = Flatten<
  { [K in Exclude<keyof M, OptionalKeys<M>>]: Infer<M[K]> } & { [K in OptionalKeys<M>]?: Infer<M[K]> }
>;

/** Optional notes on any definition; they land in the JSON Schema as annotations. */
interface Notes {
  description?: string;
}

function make<T>(json: JsonSchema, notes: Notes = {}): Schema<T> {
  return { json: notes.description === undefined ? json : { ...json, description: notes.description } };
}

/**
 * Returns an integer definition.
 *
 * @example
 * ```ts
 * integer({ minimum: 0 }).json // { type: "integer", minimum: 0 }
 * ```
 */
export function integer(options: Notes & { minimum?: number } = {}): Schema<number> {
  const { description, ...rest } = options;
  return make({ type: "integer", ...rest }, { description });
}

/** Returns a boolean definition. */
export function boolean(notes: Notes = {}): Schema<boolean> {
  return make({ type: "boolean" }, notes);
}

/**
 * Returns a string definition, optionally with a `format` annotation (not checked) or a `pattern`
 * (an ECMAScript regular expression's source).
 *
 * @example
 * ```ts
 * string({ format: "date-time" }).json // { type: "string", format: "date-time" }
 * ```
 */
export function string(options: Notes & { format?: "date-time" | "date" | "uri-reference"; pattern?: string } = {}): Schema<string> {
  const { description, ...rest } = options;
  return make({ type: "string", ...rest }, { description });
}

/**
 * Returns a definition of one of the given strings.
 *
 * @example
 * ```ts
 * oneOf(["added", "removed"]).json // { type: "string", enum: ["added", "removed"] }
 * ```
 */
export function oneOf<const T extends string>(values: readonly T[], notes: Notes = {}): Schema<T> {
  return make({ type: "string", enum: [...values] }, notes);
}

/**
 * Returns the definition that also admits null.
 *
 * @example
 * ```ts
 * nullable(string()).json // { type: ["string", "null"] }
 * ```
 */
export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  const json = schema.json;
  if (typeof json.type === "string") return { json: { ...json, type: [json.type, "null"], ...(Array.isArray(json.enum) ? { enum: [...json.enum, null] } : {}) } };
  return { json: { anyOf: [json, { type: "null" }] } };
}

/** Marks an object member as possibly absent. */
export function optional<T>(schema: Schema<T>): Optional<T> {
  return { json: schema.json, optional: true };
}

/** Returns an array definition. */
export function array<T>(items: Schema<T>, notes: Notes = {}): Schema<T[]> {
  return make({ type: "array", items: items.json }, notes);
}

/**
 * Returns a closed object definition: every member not wrapped in `optional()` is required, and
 * members not listed are refused (an undocumented field in an answer fails the schema test).
 *
 * @example
 * ```ts
 * const point = object({ x: integer(), label: optional(string()) });
 * type Point = Infer<typeof point>; // { x: number; label?: string }
 * ```
 */
export function object<M extends Members>(members: M, notes: Notes & { open?: boolean } = {}): Schema<ObjectOf<M>> {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, member] of Object.entries(members)) {
    properties[name] = member.json;
    if (!("optional" in member)) required.push(name);
  }
  const json: JsonSchema = { type: "object", properties, required };
  // Records read back from a log written by older versions may carry fields since dropped.
  if (notes.open !== true) json.additionalProperties = false;
  return make(json, { description: notes.description });
}

/** Returns a definition of an object whose keys are free and whose values all follow `values`. */
export function mapOf<T>(values: Schema<T>, notes: Notes = {}): Schema<Record<string, T>> {
  return make({ type: "object", additionalProperties: values.json }, notes);
}

/**
 * Returns a reference to a named schema in `components.schemas`; `named()` lists the targets.
 *
 * @example
 * ```ts
 * ref("Actor", actorSchema).json // { $ref: "#/components/schemas/Actor" }
 * ```
 */
export function ref<T>(name: string, _target: Schema<T>): Schema<T> {
  return { json: { $ref: `#/components/schemas/${name}` } };
}

/**
 * Returns the list answer `{ items, next_cursor }` of `item` (plus `extra` members).
 *
 * @example
 * ```ts
 * type Page = Infer<ReturnType<typeof page<number>>>; // { items: number[]; next_cursor: string | null }
 * ```
 */
export function page<T>(item: Schema<T>): Schema<{ items: T[]; next_cursor: string | null }> {
  return object({ items: array(item), next_cursor: nullable(string({ description: "Cursor of the next page; null at the end." })) });
}

/**
 * True (at the type level) when A and B accept the same values: how a definition is pinned to a
 * type declared elsewhere (the run record's interfaces in etl/runs), so a drift fails `npm run check`.
 */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** True when `value` is of one of the JSON types `json` names (its `type`, or any of its `anyOf`), and among its `enum` if it has one. */
function ofType(json: JsonSchema, value: unknown): boolean {
  if (Array.isArray(json.anyOf)) return json.anyOf.some((branch: JsonSchema) => ofType(branch, value));
  if (Array.isArray(json.enum) && !json.enum.includes(value)) return false;
  const types: unknown[] = Array.isArray(json.type) ? json.type : [json.type];
  return types.some((type) =>
    type === "null" ? value === null
    : type === "object" ? typeof value === "object" && value !== null && !Array.isArray(value)
    : type === "array" ? Array.isArray(value)
    : type === "integer" ? Number.isInteger(value)
    : type === "number" ? typeof value === "number"
    : typeof value === type, // string, boolean
  );
}

/**
 * True when `value` is an object holding every required member of the object definition `schema`,
 * each of the JSON type its definition names (and among its `enum`): what a reader checks of a
 * record it did not write before taking it for one. What members hold is not looked into (the
 * members of `file`, the items of an array), nor members that may be absent.
 *
 * @example
 * ```ts
 * hasRequiredMembers(object({ x: integer(), label: optional(string()) }), { x: 1 }); // true
 * hasRequiredMembers(object({ x: integer() }), { x: "1" }); // false
 * ```
 */
export function hasRequiredMembers(schema: Schema<unknown>, value: unknown): boolean {
  if (!ofType({ type: "object" }, value)) return false;
  const fields = value as Record<string, unknown>;
  const properties = (schema.json.properties ?? {}) as Record<string, JsonSchema>;
  const required = (schema.json.required ?? []) as string[];
  return required.every((name) => ofType(properties[name] ?? {}, fields[name]));
}
