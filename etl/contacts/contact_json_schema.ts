/**
 * JSON Schema (draft 2020-12, as used by OpenAPI 3.1) derived from a record definition, so the
 * API document can never disagree with the validation it describes.
 */
import { contactRecord } from "./contact_record.ts";
import type { RecordDefinition } from "./record_definition.ts";

/**
 * `resource`: what the API returns (server fields marked readOnly, stored forms).
 * `create`/`replace`: a request body; `patch`: a JSON merge patch (nothing required, null clears).
 */
export type SchemaMode = "resource" | "create" | "replace" | "patch";

type Schema = Record<string, unknown>;

/**
 * Returns the JSON Schema of `record` in `mode`.
 *
 * @example
 * ```ts
 * const schema = recordJsonSchema(contactRecord, "patch");
 * schema.required; // undefined: a patch may carry any subset
 * ```
 */
export function recordJsonSchema(record: RecordDefinition, mode: SchemaMode = "resource"): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  const input = mode !== "resource";
  if (!input) {
    properties.id = { type: "integer", readOnly: true, description: `Server-assigned ${record.name} id.`, examples: [1] };
  }
  for (const field of record.fields) {
    const nullable = !field.required;
    const schema: Schema = {
      type: nullable ? ["string", "null"] : "string",
      maxLength: field.maxLength,
    };
    if (field.required) schema.minLength = 1;
    // Inputs are normalised before the pattern is checked ("ny" becomes "NY", "8014" becomes
    // "08014"), so the pattern is only promised for what the server returns.
    if (field.pattern && !input) schema.pattern = field.pattern.source;
    if (field.format) schema.format = field.format;
    if (field.description) schema.description = field.description;
    if (field.example !== undefined) schema.examples = [field.example];
    properties[field.name] = schema;
    if (field.required && (mode === "create" || mode === "replace" || mode === "resource")) required.push(field.name);
  }
  const links = record.links;
  if (links !== undefined) {
    properties[links.name] = {
      type: input && mode === "patch" ? ["array", "null"] : "array",
      items: { type: "string", minLength: 1, maxLength: links.maxLength },
      // Input only: a contact the CSV load linked to more still reads as it is.
      ...(input ? { maxItems: links.maxItems } : {}),
      uniqueItems: !input,
      // maxNew needs the stored names, so no keyword says it: the text does, and the write answers 422.
      description: input ? [links.description, `One write may name at most ${links.maxNew} that do not exist yet.`].filter(Boolean).join(" ") : links.description,
    };
  }
  if (!input) {
    if (links !== undefined) required.push(links.name);
    properties.created_at = { type: "string", format: "date-time", readOnly: true };
    properties.updated_at = { type: "string", format: "date-time", readOnly: true };
    required.unshift("id");
    required.push("created_at", "updated_at");
  } else if (mode !== "create") {
    // A PUT or PATCH takes a body as GET returned it (the routes drop server fields that repeat the
    // stored values): without them here, a client checking its body refused what the server takes.
    const echo = "May be sent back as read; any other value is a 422.";
    properties.id = { type: "integer", readOnly: true, description: `The ${record.name}'s id. ${echo}` };
    properties.created_at = { type: "string", format: "date-time", readOnly: true, description: echo };
    properties.updated_at = { type: "string", format: "date-time", readOnly: true, description: echo };
  }
  const title = record.name.charAt(0).toUpperCase() + record.name.slice(1);
  const suffix = mode === "resource" ? "" : mode === "patch" ? "Patch" : mode === "create" ? "Create" : "Replace";
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: `${title}${suffix}`,
    type: "object",
    additionalProperties: false,
    properties,
    ...(required.length > 0 ? { required } : {}),
  };
}

/**
 * Returns the contact's JSON Schema for OpenAPI 3.1 (`resource` by default; pass a mode for
 * request bodies).
 *
 * @example
 * ```ts
 * const openapi = { components: { schemas: { Contact: contactJsonSchema(), ContactPatch: contactJsonSchema("patch") } } };
 * ```
 */
export function contactJsonSchema(mode: SchemaMode = "resource"): Schema {
  return recordJsonSchema(contactRecord, mode);
}
