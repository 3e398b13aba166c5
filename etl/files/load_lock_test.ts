import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { acquireLoadLock, FOREIGN_LOCK_STALE_MS, LockBusyError } from "./load_lock.ts";
import { CAN_MOUNT, fill, mountTmpfs, unmount } from "../../scripts/testing/tmpfs.ts";
import { until } from "../../scripts/testing/until.ts";

const LOCK = ".relationships.lock";
const onLinux = existsSync("/proc/self/stat");
/** Whether this process may start one in a new PID namespace (a container's view of pids): root, or a kernel that lets users. */
const CAN_UNSHARE = onLinux && spawnSync("unshare", ["--pid", "--fork", "--mount-proc", "true"], { stdio: "ignore" }).status === 0;

/** Runs `fn` with a live process that has nothing to do with any load (a `sleep`), then kills it. */
async function withUnrelatedProcess(fn: (pid: number) => void): Promise<void> {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  await new Promise<void>((resolve, reject) => child.once("spawn", resolve).once("error", reject));
  try {
    fn(child.pid!);
  } finally {
    child.kill("SIGKILL");
  }
}

/** The start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat). */
function startTicks(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
}

function bootId(): string {
  return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
}

test("acquireLoadLock() allows one load at a time and takes over a dead owner's lock", () => {
  const dir = mkdtempSync(join(tmpdir(), "lock-test-"));
  try {
    const release = acquireLoadLock(dir);
    assert.throws(() => acquireLoadLock(dir), LockBusyError);
    release();
    // A lock left by a killed process (a pid that cannot exist) is stale.
    writeFileSync(join(dir, LOCK), "2147483646");
    const again = acquireLoadLock(dir);
    assert.match(readFileSync(join(dir, LOCK), "utf8"), new RegExp(`^${process.pid}\\b`));
    again();
    assert.deepEqual(readdirSync(dir), [], "no lock or temp file is left behind");
    // A release after someone else took the lock over leaves their lock alone.
    const mine = acquireLoadLock(dir);
    writeFileSync(join(dir, LOCK), "1");
    mine();
    assert.equal(readFileSync(join(dir, LOCK), "utf8"), "1");
    assert.throws(() => acquireLoadLock(dir), LockBusyError, "pid 1 is alive and older than the lock, so its lock stands");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("acquireLoadLock() takes over a lock whose pid now belongs to another process", { skip: !onLinux && "needs /proc" }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "lock-test-"));
  try {
    await t.test("the pid is alive but started at another time than the lock's owner", () =>
      withUnrelatedProcess((pid) => {
        const wrongStart = String(Number(startTicks(pid)) - 1);
        writeFileSync(join(dir, LOCK), `${pid} ${wrongStart} ${bootId()}`);
        const release = acquireLoadLock(dir);
        assert.match(readFileSync(join(dir, LOCK), "utf8"), new RegExp(`^${process.pid} `), "the lock is ours now");
        release();
      }));
    await t.test("the pid is alive but the lock was written before the last boot", () =>
      withUnrelatedProcess((pid) => {
        writeFileSync(join(dir, LOCK), `${pid} ${startTicks(pid)} 00000000-0000-0000-0000-000000000000`);
        acquireLoadLock(dir)();
      }));
    await t.test("a lock in the old format (a bare pid) whose process started after the lock was written", () =>
      withUnrelatedProcess((pid) => {
        writeFileSync(join(dir, LOCK), String(pid));
        const anHourAgo = new Date(Date.now() - 3600_000);
        utimesSync(join(dir, LOCK), anHourAgo, anHourAgo);
        acquireLoadLock(dir)();
      }));
    await t.test("the same pid, start time and boot: the owner is alive and its lock stands", () =>
      withUnrelatedProcess((pid) => {
        writeFileSync(join(dir, LOCK), `${pid} ${startTicks(pid)} ${bootId()}`);
        assert.throws(() => acquireLoadLock(dir), (e: unknown) => e instanceof LockBusyError && e.pid === pid);
        rmSync(join(dir, LOCK));
      }));
    assert.deepEqual(readdirSync(dir), [], "no lock or temp file is left behind");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("acquireLoadLock() on a full disk fails and leaves no file of its own behind", { skip: !CAN_MOUNT && "needs root and mount -t tmpfs" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "lock-full-"));
  assert.ok(mountTmpfs(dir, "1m"));
  try {
    fill(dir);
    const before = readdirSync(dir);
    for (let i = 0; i < 3; i++) assert.throws(() => acquireLoadLock(dir, "relationships"), /ENOSPC|no space/i);
    assert.deepEqual(readdirSync(dir), before, "no .relationships.lock.<pid>.<uuid> left, one per failed load");
  } finally {
    unmount(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

// Containers sharing the data dir on one machine each see their own pids: a lock written in one
// named a pid that, seen from the other, was missing or another process (its pid 1 is our init),
// so it was taken over while its owner loaded: two relationship loads at once.
test("a load lock held by a live load in another PID namespace (a container) on this machine is not taken over", { skip: !CAN_UNSHARE && "needs unshare --pid (root or user namespaces)", timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "lock-test-"));
  const tsx = fileURLToPath(new URL("../../node_modules/tsx/dist/esm/index.mjs", import.meta.url));
  const mod = fileURLToPath(new URL("./load_lock.ts", import.meta.url));
  const script = `const { acquireLoadLock } = await import(${JSON.stringify(mod)}); acquireLoadLock(${JSON.stringify(dir)}); console.log("held"); setTimeout(() => {}, 50_000);`;
  const holder = spawn("unshare", ["--pid", "--fork", "--kill-child", "--mount-proc", process.execPath, "--import", tsx, "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on("data", (d: Buffer) => d.toString().includes("held") && resolve());
      holder.once("exit", (code) => reject(new Error(`the holder exited ${code}`)));
    });
    assert.throws(() => acquireLoadLock(dir), LockBusyError, "the other container's load is running");
  } finally {
    holder.kill("SIGKILL"); // --kill-child: its namespace goes with it
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a lock from another PID namespace stands while its owner touches it, and is taken over once it stopped", { skip: !onLinux && "needs /proc" }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "lock-test-"));
  const path = join(dir, LOCK);
  const ago = (ms: number) => new Date(Date.now() - ms);
  try {
    await t.test("another namespace of this boot, touched a moment ago: busy", () => {
      writeFileSync(path, `1 1 ${bootId()} 1`);
      assert.throws(() => acquireLoadLock(dir), LockBusyError);
    });
    await t.test("not touched for longer than its owner's heartbeats allow: the container died, taken over", () => {
      utimesSync(path, ago(FOREIGN_LOCK_STALE_MS + 60_000), ago(FOREIGN_LOCK_STALE_MS + 60_000));
      acquireLoadLock(dir)();
    });
    await t.test("written before the last boot: taken over", () => {
      writeFileSync(path, `1 1 00000000-0000-0000-0000-000000000000 1`);
      acquireLoadLock(dir)();
    });
    await t.test("a held lock is touched by its owner's heartbeat, until released", async () => {
      const release = acquireLoadLock(dir, "relationships", 20);
      utimesSync(path, ago(3600_000), ago(3600_000));
      await until("the heartbeat to touch the lock", () => Date.now() - statSync(path).mtimeMs < 60_000);
      release();
      assert.equal(existsSync(path), false);
    });
    assert.deepEqual(readdirSync(dir), [], "no lock or temp file is left behind");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
