// Row builders shared by every design's model.ts. Positional on purpose (against the options-object
// rule): each call reads as one row of a table, and a model is hundreds of such rows.
import type { Connection, FailureMode, Step } from "./types.ts";

/**
 * Returns a sequence step that sends a message along the model connection `via`, optionally naming
 * the business act it performs (checked by the model's step rules).
 * @example call("c-payments-psp", "capture by PSP reference", "payment.capture")
 */
export function call(via: string, text: string, act?: string): Step {
  return act ? { kind: "call", via, text, act } : { kind: "call", via, text };
}

/**
 * Returns a call step that only reads the store at the end of a read-write connection.
 * @example read("c-booking-db", "SELECT booking")
 */
export function read(via: string, text: string): Step {
  return { kind: "call", via, text, access: "read" };
}

/**
 * Returns a call step that writes the store at the end of a read-write connection.
 * @example write("c-booking-db", "UPDATE booking SET status = 'CONFIRMED'")
 */
export function write(via: string, text: string, act?: string): Step {
  return act ? { kind: "call", via, text, access: "write", act } : { kind: "call", via, text, access: "write" };
}

/**
 * Returns a sequence step that answers back along the model connection `via`.
 * @example reply("c-guest-waf", "200 search page")
 */
export function reply(via: string, text: string): Step {
  return { kind: "reply", via, text };
}

/**
 * Returns a sequence note drawn over the given participants.
 * @example note(["cdn"], "cache 60 s")
 */
export function note(over: string[], text: string): Step {
  return { kind: "note", over, text };
}

/**
 * Returns a connection: synchronous and carrying internal data unless `rest` says otherwise.
 * @example connection("c-web-hotel", "web", "hotel", "hotel details", "HTTPS/JSON", { data: ["public"] })
 */
export function connection(id: string, from: string, to: string, label: string, protocol: string, rest: Partial<Connection> = {}): Connection {
  return { id, from, to, label, protocol, mode: "sync", data: ["internal"], ...rest };
}

/**
 * Returns a row of the failure-mode table.
 * @example failureMode(["cdn"], "a PoP fails", "none", "5xx alarm", "automatic")
 */
export function failureMode(components: string[], failure: string, effect: string, response: string, recovery: string): FailureMode {
  return { components, failure, effect, response, recovery };
}
