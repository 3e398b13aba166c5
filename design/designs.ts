// The design folders `npm run design` regenerates, each with its model.
import { fileURLToPath } from "node:url";
import type { Model } from "./model/mod.ts";
import { hotelPlatform } from "./hotel-platform/model.ts";
import { systemModel } from "./system/model.ts";

/** Every design folder (absolute path) and its model. */
export const designs: { dir: string; model: Model }[] = [
  { dir: fileURLToPath(new URL("./hotel-platform/", import.meta.url)), model: hotelPlatform },
  { dir: fileURLToPath(new URL("./system/", import.meta.url)), model: systemModel },
];
