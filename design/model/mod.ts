// Public entry of the architecture model: its types and the fitness checks.
export * from "./types.ts";
export * from "./fitness.ts";
