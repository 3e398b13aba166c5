import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { placeUpload, uploadsDir } from "./uploads.ts";

const NO_PTY = process.platform !== "linux" || spawnSync("python3", ["-c", "import pty"]).status !== 0 ? "needs Linux and python3 (to hold a terminal open)" : false;

// `--contacts /dev/stdin` typed at a terminal: the terminal was read by a blocking read() on a
// thread-pool thread, which no stop interrupts, so SIGTERM and Ctrl-C did not end the load (and
// process.exit() waited for that thread) until someone typed. A terminal is read as a stream now.
test("placeUpload() on a terminal nobody types in ends at once when stopped, leaving no copy", { skip: NO_PTY, timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "uploads-tty-"));
  // A pseudo-terminal held open (with nothing typed) until the test ends; its name on stdout.
  const holder = spawn("python3", ["-c", "import os, pty, sys, time\nm, s = pty.openpty()\nprint(os.ttyname(s), flush=True)\ntime.sleep(600)"], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => {
    holder.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  const tty = await new Promise<string>((resolve, reject) => {
    holder.stdout.once("data", (b: Buffer) => resolve(b.toString().trim()));
    holder.once("exit", () => reject(new Error("python3 did not open a terminal")));
  });
  mkdirSync(uploadsDir(dir), { recursive: true });
  const stop = new AbortController();
  const placing = placeUpload(dir, tty, "20260301-120000-ab12", stop.signal);
  // Stopped while it waits for the terminal (whether its read has begun or not, it must end).
  setImmediate(() => stop.abort(new Error("stopped")));
  await assert.rejects(placing, /stopped/);
  assert.deepEqual(readdirSync(uploadsDir(dir)), []);
});
