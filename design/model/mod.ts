// Public entry of the architecture model: its types, the row builders models use, and the fitness checks.
export * from "./types.ts";
export * from "./fitness.ts";
export * from "./flows.ts";
export * from "./plan.ts";
export { checkModel } from "./check.ts";
export { call, connection, failureMode, note, read, reply, write } from "./build.ts";
