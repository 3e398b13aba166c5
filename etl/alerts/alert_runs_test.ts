import { test } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appendRun, readRuns, type Finding, type RunRecord } from "../runs/mod.ts";
import { alertDocument, alertDue, alertRuns, sendAlert } from "./mod.ts";
import { downUrl, localServer } from "../../scripts/testing/local_http.ts";

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: "20260303T000000000Z-ab12", kind: "relationships", status: "succeeded",
    started_at: "2026-03-03T00:00:00.000Z", finished_at: "2026-03-03T00:00:02.000Z",
    file: { name: "relaciones.xlsx", path: "/srv/data/relaciones.xlsx", size: 1234, sha256: "ab".repeat(32) },
    counts: { actors: 3 }, findings: [], changes: {}, error: null, version_id: 4, ...overrides,
  };
}

const asymmetric: Finding = { check: "asymmetric_pair", severity: "warning", message: "2 pairs are marked in one direction only", cells: ["'Matriz de adyacencia'!C4", "'Matriz de adyacencia'!E2"], count: 2 };
const badCell: Finding = { check: "invalid_cell", severity: "error", message: "Cell is not 0, 1 or blank", cells: ["'Matriz de adyacencia'!F5"], count: 1 };

function withDataDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "alerts-test-"));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test("alertDue() alerts on failed runs and on findings at or above the minimum severity", () => {
  assert.equal(alertDue(run({ status: "failed", error: { code: "invalid-data", message: "x" } }), "error"), true);
  assert.equal(alertDue(run({ findings: [asymmetric] }), "error"), false);
  assert.equal(alertDue(run({ findings: [asymmetric] }), "warning"), true);
  assert.equal(alertDue(run({ findings: [badCell] }), "error"), true);
  assert.equal(alertDue(run({ status: "skipped" }), "info"), false);
});

test("alertDue() is false for a skipped run whatever findings it carries (an unchanged contacts CSV repeats its last load's)", () => {
  // Seen: every daily load of an unchanged CSV with rejected rows alerted again, and with
  // ALERT_MIN_SEVERITY=warning every unchanged file did (its "Unchanged since" warning).
  const unchangedSince: Finding = { check: "contacts.file", severity: "warning", message: "Unchanged since the load of 2026-03-02T00:00:00.000Z", cells: [], count: 1 };
  assert.equal(alertDue(run({ kind: "contacts", status: "skipped", findings: [badCell, unchangedSince] }), "error"), false);
  assert.equal(alertDue(run({ kind: "contacts", status: "skipped", findings: [unchangedSince] }), "warning"), false);
  assert.equal(alertDue(run({ kind: "contacts", status: "succeeded", findings: [badCell, unchangedSince] }), "error"), true);
});

test("alertDocument() is a chat message and a machine-readable run with cell references and links", () => {
  const doc = alertDocument(run({ status: "failed", error: { code: "invalid-data", message: "Cell F5 is 'x'; the previous version stays published" }, findings: [asymmetric, badCell] }), {
    baseUrl: "https://relaciones.example.org/",
    minSeverity: "error",
  });
  assert.equal(doc.reason, "failed");
  assert.equal(doc.severity, "error");
  assert.equal(doc.run.status, "failed");
  assert.deepEqual(doc.run.findings.map((f) => f.cells[0]), ["'Matriz de adyacencia'!C4", "'Matriz de adyacencia'!F5"]);
  assert.deepEqual(doc.run.file, { name: "relaciones.xlsx", size: 1234, sha256: "ab".repeat(32) }, "no local path");
  assert.deepEqual(doc.links, { run: "https://relaciones.example.org/runs/20260303T000000000Z-ab12", dashboard: "https://relaciones.example.org/#history" });
  const lines = doc.text.split("\n");
  assert.equal(lines[0], "Relaciones: relationships load FAILED (relaciones.xlsx)");
  assert.ok(lines.indexOf("error: Cell is not 0, 1 or blank at 'Matriz de adyacencia'!F5") < lines.findIndex((l) => l.startsWith("warning:")), "errors first");
  assert.ok(doc.text.includes(doc.links.run));
});

test("alertDocument() carries no local path of the Parquet export: its folder (parquet.dir) left out, and named as <PARQUET_DIR> in its error", () => {
  const written = alertDocument(run({ findings: [badCell], parquet: { status: "written", dir: "/srv/data/parquet", versions: [4], files: 5 } }), { baseUrl: "http://x", minSeverity: "error" });
  assert.deepEqual(written.run.parquet, { status: "written", versions: [4], files: 5 });
  const message = "Cannot write version 4 as Parquet to '/srv/data/parquet': IO Error: Cannot open file \"/srv/data/parquet/table=actors/version=4/data.parquet\"; the version is published all the same";
  const failed = alertDocument(run({ findings: [badCell], parquet: { status: "failed", dir: "/srv/data/parquet", versions: [], files: 0, error: { code: "parquet-failed", message } } }), { baseUrl: "http://x", minSeverity: "error" });
  assert.deepEqual(failed.run.parquet, {
    status: "failed",
    versions: [],
    files: 0,
    error: { code: "parquet-failed", message: "Cannot write version 4 as Parquet to '<PARQUET_DIR>': IO Error: Cannot open file \"<PARQUET_DIR>/table=actors/version=4/data.parquet\"; the version is published all the same" },
  });
  assert.ok(!JSON.stringify(failed).includes("/srv/data"), "no local path anywhere in the document");
  assert.equal(alertDocument(run({ findings: [badCell] }), { baseUrl: "http://x", minSeverity: "error" }).run.parquet, undefined, "absent when the run has none (PARQUET_DIR=off)");
});

test("alertDocument() makes text from the files inert in a chat (Slack commands, mentions, control characters)", () => {
  const hostile: Finding = { check: "name_mismatch", severity: "error", message: "Actor '<!channel> @here \u001b[31m&'", cells: [] };
  const { text } = alertDocument(run({ findings: [hostile] }), { baseUrl: "http://x", minSeverity: "error" });
  assert.ok(text.includes("&lt;!channel&gt;"), text);
  assert.ok(text.includes("@\u2060here"));
  assert.ok(!/[\u0000-\u0009\u000b-\u001f]/.test(text));
  assert.ok(text.includes("[31m&amp;'"), text);
});

test("alertDocument() keeps a line break from the files inside its line: a cell cannot add a line that passes for the alert's own", () => {
  // A cell typed with Alt+Enter, or a file name with a line break, made a line of its own in the chat.
  const forged: Finding = { check: "name_mismatch", severity: "error", message: "Actor 'x\nRelaciones: relationships load succeeded'", cells: ["'Lista de actores'!B3\nDashboard: http://evil"] };
  const { text } = alertDocument(run({ status: "failed", file: { name: "a\r\nb.xlsx", path: "/x", size: 1, sha256: "00" }, error: { code: "invalid-data", message: "bad\u2028Run forged" }, findings: [forged] }), { baseUrl: "http://x", minSeverity: "error" });
  const lines = text.split("\n");
  assert.equal(lines.filter((l) => l.startsWith("Relaciones:")).length, 1, text);
  assert.equal(lines.filter((l) => l.startsWith("Dashboard:")).length, 1, text);
  assert.ok(!lines.some((l) => l.startsWith("Run forged")), text);
  assert.ok(text.includes("x\\u000aRelaciones"), text);
});

test("sendAlert() against a real local receiver", async (t) => {
  await t.test("a receiver that takes it: one POST of JSON, status sent", async () => {
    const hook = await localServer((_req, res) => res.end("ok"));
    try {
      const outcome = await sendAlert(`${hook.url}/hooks/T0/B0/secret`, { text: "hi" });
      assert.deepEqual([outcome.status, outcome.attempts, outcome.http_status], ["sent", 1, 200]);
      assert.equal(hook.requests[0].method, "POST");
      assert.match(String(hook.requests[0].headers["content-type"]), /^application\/json/);
      assert.deepEqual(JSON.parse(hook.requests[0].body.toString()), { text: "hi" });
    } finally {
      await hook.close();
    }
  });
  await t.test("a receiver that fails once (503) gets a second attempt after the backoff", async () => {
    const hook = await localServer((_req, res, n) => {
      res.statusCode = n === 1 ? 503 : 200;
      res.end();
    });
    try {
      const outcome = await sendAlert(hook.url, { text: "hi" }, { backoffMs: 10 });
      assert.deepEqual([outcome.status, outcome.attempts], ["sent", 2]);
    } finally {
      await hook.close();
    }
  });
  await t.test("a 4xx is not retried: the request itself is wrong", async () => {
    const hook = await localServer((_req, res) => {
      res.statusCode = 404;
      res.end("no_service");
    });
    try {
      const outcome = await sendAlert(hook.url, { text: "hi" }, { backoffMs: 10 });
      assert.deepEqual([outcome.status, outcome.attempts, outcome.http_status, outcome.error?.code], ["failed", 1, 404, "http-error"]);
    } finally {
      await hook.close();
    }
  });
  await t.test("a receiver that is down: every attempt, then failed with a message naming the host, not the URL", async () => {
    const url = `${await downUrl()}/services/T0/B0/the-secret-part`;
    const outcome = await sendAlert(url, { text: "hi" }, { backoffMs: 10 });
    assert.deepEqual([outcome.status, outcome.attempts, outcome.error?.code], ["failed", 3, "unreachable"]);
    assert.ok(!outcome.error!.message.includes("the-secret-part"), outcome.error!.message);
    assert.ok(outcome.error!.message.includes(new URL(url).host));
  });
  await t.test("a receiver that never answers: each attempt times out and the whole send stays bounded", async () => {
    const hook = await localServer(() => {});
    try {
      const outcome = await sendAlert(hook.url, { text: "hi" }, { timeoutMs: 200, backoffMs: 10 });
      // Bounded by attempts, not by a clock: three tries, each ended by the configured timeout
      // (the test's own timeout catches a hang; no elapsed-time assertion, CI machines are slow).
      assert.deepEqual([outcome.status, outcome.attempts, outcome.error?.code], ["failed", 3, "timeout"]);
      // Counted by the client: on a loaded machine an attempt may time out before the receiver saw it.
      assert.ok(hook.requests.length >= 1 && hook.requests.length <= 3, `${hook.requests.length} requests`);
      assert.match(outcome.error!.message, /within 200 ms/);
    } finally {
      await hook.close();
    }
  });
});

test("alertRuns() posts only due runs, with a dashboard link, and records each outcome with its run", withDataDir(async (dir) => {
  const hook = await localServer((_req, res) => res.end("ok"));
  try {
    const failed = run({ id: "r-failed", status: "failed", error: { code: "invalid-data", message: "bad" }, findings: [badCell] });
    const fine = run({ id: "r-fine", findings: [asymmetric] });
    const contacts = run({ id: "r-contacts", kind: "contacts", findings: [{ check: "contacts.invalid_email", severity: "error", message: "1 line has an invalid 'email'", cells: ["contacts.csv:7"], count: 1 }] });
    for (const r of [failed, fine, contacts]) appendRun(dir, r);
    const outcomes = await alertRuns([failed, fine, contacts], { webhook: hook.url, dataDir: dir, publicUrl: "https://rel.example.org" });
    assert.deepEqual([...outcomes.keys()].sort(), ["r-contacts", "r-failed"]);
    const bodies = hook.requests.map((r) => JSON.parse(r.body.toString()));
    assert.deepEqual(bodies.map((b) => b.run.id).sort(), ["r-contacts", "r-failed"]);
    const contactsDoc = bodies.find((b) => b.run.kind === "contacts");
    assert.deepEqual(contactsDoc.run.findings[0].cells, ["contacts.csv:7"]);
    assert.equal(contactsDoc.links.run, "https://rel.example.org/runs/r-contacts");
    assert.equal(typeof contactsDoc.text, "string");
    const recorded = new Map(readRuns(dir).map((r) => [r.id, r]));
    assert.equal(recorded.get("r-failed")?.alert?.status, "sent");
    assert.equal(recorded.get("r-contacts")?.alert?.attempts, 1);
    assert.equal(recorded.get("r-fine")?.alert, undefined);
    assert.equal(failed.alert?.status, "sent", "the run object carries it too, for the summary printed next");
  } finally {
    await hook.close();
  }
}));

// The process's stop signal lives as long as the process, which may send an alert after every
// scheduled load: each send must take back what it listens to on it, whatever its outcome.
test("sendAlert() leaves nothing listening on its stop signal, sent, retried or timed out", async () => {
  const stop = new AbortController();
  const hook = await localServer((_req, res, n) => {
    if (n > 5) return; // never answers: the attempts time out
    res.statusCode = n % 2 === 0 ? 503 : 200;
    res.end();
  });
  try {
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(await sendAlert(hook.url, { text: "hi" }, { backoffMs: 1, timeoutMs: 200, signal: stop.signal }));
    assert.deepEqual(
      outcomes.map((o) => [o.status, o.attempts, o.error?.code]),
      [["sent", 1, undefined], ["sent", 2, undefined], ["sent", 2, undefined], ["failed", 3, "timeout"]],
    );
    assert.equal(getEventListeners(stop.signal, "abort").length, 0);
  } finally {
    await hook.close();
  }
});

// A retry after a timeout or a 5xx may deliver a copy the receiver had already taken: every
// attempt of one alert carries the same id (the Idempotency-Key header and the body's `id`), and
// another alert another id, so a receiver can drop the copies.
test("alertRuns(): every attempt of one alert carries the same Idempotency-Key and body id; another alert another", withDataDir(async (dir) => {
  const seen = new Set<string>();
  const hook = await localServer((req, res) => {
    const runId = JSON.parse(req.body.toString()).run.id;
    res.statusCode = seen.has(runId) ? 200 : 503; // the first attempt of each alert fails
    seen.add(runId);
    res.end();
  });
  try {
    const failed = run({ id: "r-failed", status: "failed", error: { code: "invalid-data", message: "bad" } });
    const contacts = run({ id: "r-contacts", kind: "contacts", findings: [badCell] });
    for (const r of [failed, contacts]) appendRun(dir, r);
    const outcomes = await alertRuns([failed, contacts], { webhook: hook.url, dataDir: dir, publicUrl: "https://rel.example.org", backoffMs: 1 });
    assert.deepEqual([...outcomes.values()].map((o) => [o.status, o.attempts]), [["sent", 2], ["sent", 2]]);
    const keys = new Map<string, string[]>();
    for (const request of hook.requests) {
      const body = JSON.parse(request.body.toString());
      const key = String(request.headers["idempotency-key"]);
      assert.equal(body.id, key, "the body's id is the header's key");
      keys.set(body.run.id, [...(keys.get(body.run.id) ?? []), key]);
    }
    const [a, b] = [keys.get("r-failed")!, keys.get("r-contacts")!];
    assert.deepEqual([a.length, b.length], [2, 2]);
    assert.match(a[0], /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(a[1], a[0], "the retry is the same alert");
    assert.equal(b[1], b[0]);
    assert.notEqual(a[0], b[0], "two alerts, two ids");
    const recorded = new Map(readRuns(dir).map((r) => [r.id, r.alert?.id]));
    assert.deepEqual([recorded.get("r-failed"), recorded.get("r-contacts")], [a[0], b[0]], "runs.jsonl names the id the receiver saw");
  } finally {
    await hook.close();
  }
}));

test("sendAlert(): one Idempotency-Key for all attempts of one call (given, or made), another for the next call", async () => {
  const hook = await localServer((_req, res, n) => {
    res.statusCode = n === 1 ? 503 : 200;
    res.end();
  });
  try {
    const given = await sendAlert(hook.url, { text: "hi" }, { backoffMs: 1, idempotencyKey: "k-1" });
    const made = await sendAlert(hook.url, { text: "hi" }, { backoffMs: 1 });
    const keys = hook.requests.map((r) => r.headers["idempotency-key"]);
    assert.deepEqual(keys.slice(0, 2), ["k-1", "k-1"]);
    assert.equal(typeof keys[2], "string");
    assert.notEqual(keys[2], "k-1");
    assert.deepEqual([given.id, made.id], ["k-1", keys[2]]);
  } finally {
    await hook.close();
  }
});

// A failed run's message names its files with their full paths (runs.jsonl and the CLI keep them);
// a webhook may be a third party's chat: there a path under the data dir is shown relative to it, any
// other absolute path by its base name, and the data dir itself as <DATA_DIR>.
test("alertRuns(): the webhook gets no local path (relative to the data dir, else the base name); runs.jsonl keeps them", withDataDir(async (dir) => {
  const hook = await localServer((_req, res) => res.end("ok"));
  try {
    const failed = run({
      id: "r-paths",
      status: "failed",
      file: { name: "relaciones.xlsx", path: join(dir, "relaciones.xlsx"), size: 1, sha256: "00" },
      error: { code: "not-found", message: `Cannot find the workbook '${join(dir, "in", "relaciones.xlsx")}' nor '/home/user/My Files/relaciones.xlsx'; see ${join(dir, "logs")}/etl.log or ${dir}` },
      findings: [{ check: "file", severity: "error", message: `Cannot read "/home/user/elsewhere/contacts.csv": EACCES, open /home/user/elsewhere/x.csv.`, cells: ["contacts.csv:1"] }],
      kept: { versions: [], pruned: [], error: { code: "keep-failed", message: `ENOSPC: no space left on device, copyfile '${join(dir, "snapshots", "v4.duckdb")}'` } },
    });
    appendRun(dir, failed);
    await alertRuns([failed], { webhook: hook.url, dataDir: dir, publicUrl: "https://rel.example.org" });
    const body = JSON.parse(hook.requests[0].body.toString());
    assert.equal(body.run.error.message, "Cannot find the workbook 'in/relaciones.xlsx' nor 'relaciones.xlsx'; see logs/etl.log or <DATA_DIR>");
    assert.equal(body.run.findings[0].message, `Cannot read "contacts.csv": EACCES, open x.csv.`);
    assert.equal(body.run.kept.error.message, "ENOSPC: no space left on device, copyfile 'snapshots/v4.duckdb'");
    assert.ok(body.text.includes("Cannot find the workbook 'in/relaciones.xlsx'"), body.text);
    const sent = JSON.stringify(body);
    for (const local of [dir, "/home/user"]) assert.ok(!sent.includes(local), `${local} in ${sent}`);
    assert.ok(body.links.run.startsWith("https://rel.example.org/runs/"), "URLs are no paths");
    assert.equal(readRuns(dir)[0].error?.message, failed.error!.message, "runs.jsonl keeps the full paths");
  } finally {
    await hook.close();
  }
}));

// Slack takes about one message a second per webhook and answers 429 with Retry-After beyond that;
// two alerts go out at once (relationships and contacts). Retried at 0.25 s and 0.5 s, the second
// was refused three times within the second it was told to wait, and lost.
test("sendAlert() waits the Retry-After a 429 asks for when it fits ALERT_TIMEOUT, and gives up at once when it does not", async (t) => {
  /** A receiver that takes one POST a second and tells the others when to come back. */
  async function rateLimited(retryAfter: string) {
    let last = -Infinity;
    return localServer((_req, res) => {
      const now = performance.now();
      if (now - last < 1000) {
        res.writeHead(429, { "retry-after": retryAfter }).end("rate_limited");
        return;
      }
      last = now;
      res.end("ok");
    });
  }
  await t.test("Retry-After: 1, two alerts at once: both sent, the second after the wait", async () => {
    const hook = await rateLimited("1");
    try {
      const outcomes = await Promise.all([1, 2].map((i) => sendAlert(hook.url, { text: `alert ${i}` }, { backoffMs: 10 })));
      assert.deepEqual(outcomes.map((o) => o.status), ["sent", "sent"], JSON.stringify(outcomes));
      assert.deepEqual(outcomes.map((o) => o.attempts).sort(), [1, 2]);
    } finally {
      await hook.close();
    }
  });
  await t.test("Retry-After longer than ALERT_TIMEOUT: no attempt that would only be refused again", async () => {
    const hook = await rateLimited("120");
    try {
      await sendAlert(hook.url, { text: "first" }, { backoffMs: 10 });
      const outcome = await sendAlert(hook.url, { text: "second" }, { backoffMs: 10, timeoutMs: 1000 });
      assert.deepEqual([outcome.status, outcome.attempts, outcome.http_status, outcome.error?.code], ["failed", 1, 429, "http-error"]);
      assert.match(outcome.error!.message, /answered 429 Too Many Requests and asked to wait 120 s/);
    } finally {
      await hook.close();
    }
  });
});
