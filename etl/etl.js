/**
 * `npm run etl` starts here, in plain JavaScript: bare Node answers `--help`, `--version` and
 * usage errors (a TypeScript loader would add ~0.2 s and a hooks thread to each of them); anything
 * else registers tsx in this same process (the tsx CLI would start a second Node process) and
 * runs the load from main.ts. `node --import tsx etl/main.ts` still works, as tests and the
 * scheduler run it.
 */
import { holdStopSignals } from "./hold_signals.js";

// First: a SIGTERM or Ctrl-C while tsx and the load modules start must stop the load, not kill it
// unrecorded. The other modules are imported after it: ESM loads and runs static imports before a
// module's first line, and these took ~0.1 s on a busy machine with the signals not yet held.
const held = holdStopSignals();
const [{ exitWith, parseOrAnswer }, { outliveClosedOutput }] = await Promise.all([import("./etl_args.js"), import("./settings/mod.js")]);
outliveClosedOutput();
const parsed = parseOrAnswer(process.argv.slice(2));
if ("exitCode" in parsed) {
  held.release();
  process.exitCode = parsed.exitCode;
} else {
  const { register } = await import("tsx/esm/api");
  register();
  /** @type {typeof import("./main.ts")} */
  const { runCli } = await import("./main.ts");
  await exitWith(runCli(parsed.options, held));
}
