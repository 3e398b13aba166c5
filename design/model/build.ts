// Row builders shared by every design's model.ts. Positional on purpose (against the options-object
// rule): each call reads as one row of a table, and a model is hundreds of such rows.
import type { Connection, FailureMode, Step } from "./types.ts";

/**
 * Returns a sequence step that sends a message along the model connection `via`.
 * @example call("c-guest-waf", "GET /search?where=Lisbon")
 */
export function call(via: string, text: string): Step {
  return { kind: "call", via, text };
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
