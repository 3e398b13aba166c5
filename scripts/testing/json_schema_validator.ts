/**
 * A small validator for the subset of JSON Schema (draft 2020-12) our OpenAPI document uses, so the
 * tests can check every JSON answer against the schema the document promises without a dependency.
 * `unsupportedKeywords()` lists anything in a document this validator would silently ignore, so a
 * test can make sure the subset still covers the document.
 */

type Schema = Record<string, unknown>;

/** Keywords that constrain values, all checked by `validate()`. */
const ASSERTIONS = new Set([
  "type", "properties", "required", "additionalProperties", "items", "enum", "anyOf", "$ref",
  "minimum", "maximum", "minLength", "maxLength", "pattern", "uniqueItems", "maxItems",
]);
/** Keywords that only annotate (documentation, hints), ignored by validation on purpose. */
const ANNOTATIONS = new Set(["description", "examples", "format", "readOnly", "title", "$schema", "contentMediaType", "default"]);

/**
 * Returns the problems of `value` against `schema` (empty when it is valid), each with a JSON
 * pointer to the offending value. `$ref`s are resolved in `components` (`#/components/schemas/X`).
 *
 * @example
 * ```ts
 * validate({ type: "integer" }, "7", {}) // ["/: expected integer, got string"]
 * ```
 */
export function validate(schema: Schema, value: unknown, components: Record<string, Schema>, at = ""): string[] {
  const here = at === "" ? "/" : at;
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace("#/components/schemas/", "");
    const target = components[name];
    if (target === undefined) return [`${here}: unknown $ref ${schema.$ref}`];
    return validate(target, value, components, at);
  }
  if (Array.isArray(schema.anyOf)) {
    const results = (schema.anyOf as Schema[]).map((s) => validate(s, value, components, at));
    if (!results.some((r) => r.length === 0)) return [`${here}: matches none of anyOf (${results.map((r) => r[0]).join(" | ")})`];
  }
  const problems: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => hasType(value, t))) return [`${here}: expected ${types.join(" or ")}, got ${describe(value)}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) problems.push(`${here}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) problems.push(`${here}: ${value} < minimum ${schema.minimum}`);
    if (typeof schema.maximum === "number" && value > schema.maximum) problems.push(`${here}: ${value} > maximum ${schema.maximum}`);
  }
  if (typeof value === "string") {
    const length = [...value].length;
    if (typeof schema.minLength === "number" && length < schema.minLength) problems.push(`${here}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === "number" && length > schema.maxLength) problems.push(`${here}: longer than ${schema.maxLength}`);
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value)) problems.push(`${here}: does not match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (schema.items !== undefined) value.forEach((item, i) => problems.push(...validate(schema.items as Schema, item, components, `${at}/${i}`)));
    if (schema.uniqueItems === true && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) problems.push(`${here}: items are not unique`);
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) problems.push(`${here}: more than ${schema.maxItems} items`);
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const name of (schema.required ?? []) as string[]) if (!(name in object)) problems.push(`${here}: lacks required '${name}'`);
    for (const [name, member] of Object.entries(object)) {
      const path = `${at}/${name}`;
      if (properties[name] !== undefined) problems.push(...validate(properties[name], member, components, path));
      else if (schema.additionalProperties === false) problems.push(`${here}: '${name}' is not in the schema`);
      else if (typeof schema.additionalProperties === "object") problems.push(...validate(schema.additionalProperties as Schema, member, components, path));
    }
  }
  return problems;
}

/**
 * Returns the keywords used in `document` (an OpenAPI document or a schema) inside schemas that
 * `validate()` neither checks nor knows as annotations.
 *
 * @example
 * ```ts
 * unsupportedKeywords({ type: "string", const: "x" }) // ["const"]
 * ```
 */
export function unsupportedKeywords(schema: unknown): string[] {
  const found = new Set<string>();
  const visit = (s: unknown) => {
    if (s === null || typeof s !== "object") return;
    if (Array.isArray(s)) return s.forEach(visit);
    for (const [key, child] of Object.entries(s as Schema)) {
      if (!ASSERTIONS.has(key) && !ANNOTATIONS.has(key)) found.add(key);
      if (key === "properties") Object.values(child as Schema).forEach(visit);
      else if (key === "items" || key === "additionalProperties") visit(child);
      else if (key === "anyOf") (child as unknown[]).forEach(visit);
    }
  };
  visit(schema);
  return [...found];
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "array":
      return Array.isArray(value);
    case "object":
      return value !== null && typeof value === "object" && !Array.isArray(value);
    default:
      return typeof value === type;
  }
}

function describe(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}
