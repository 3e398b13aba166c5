// Public entry of the architecture model: its types, the row builders models use, and the fitness checks.
export * from "./types.ts";
export * from "./fitness.ts";
export { call, connection, failureMode, note, reply } from "./build.ts";
