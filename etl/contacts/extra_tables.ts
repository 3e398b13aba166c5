/**
 * THE list of plain record tables the API serves besides contacts: the one place a table is
 * registered. Each definition here, with its migration in each backend's set, gets a REST resource
 * on both backends (`/<table>`, `/<table>/{id}`: api/tables/), its validation, JSON Schema, SQL and
 * OpenAPI paths derived from it (etl/contacts/README.md "Adding a table"). Empty in the product.
 */
import type { RecordDefinition } from "./record_definition.ts";

/**
 * The plain tables, in the order their paths are documented. Each is checked at start-up
 * (`checkTableDefinition`): a bad definition stops the API with a TypeError naming it.
 *
 * @example
 * ```ts
 * extraTables.map((t) => t.table); // []
 * ```
 */
export const extraTables: readonly RecordDefinition[] = [];
