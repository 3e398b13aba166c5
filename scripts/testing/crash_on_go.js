// Loaded with `--import` (through NODE_OPTIONS) into the children of etl/schedule's childProcessLoad:
// when the child is told to start its load and the file named by CRASH_ONCE exists, the file is
// removed and the child dies with SIGKILL, as a load that crashes would. Deterministic: no timing.
import { existsSync, rmSync } from "node:fs";

const marker = process.env.CRASH_ONCE;
if (marker && process.send) {
  process.on("message", (message) => {
    if (/** @type {{ go?: boolean }} */ (message)?.go && existsSync(marker)) {
      rmSync(marker);
      process.kill(process.pid, "SIGKILL");
    }
  });
}
