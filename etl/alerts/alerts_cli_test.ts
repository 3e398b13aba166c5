// Alerts end to end: the real ETL (the CLI in a child process, and runEtl() in process where the
// load's duration is compared with the alert timeout) against real receivers on 127.0.0.1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEtlArgs, runEtl } from "../main.ts";
import { readRuns } from "../runs/mod.ts";
import { etlCli } from "../../scripts/testing/etl_cli.ts";
import { downUrl, localServer } from "../../scripts/testing/local_http.ts";
import { matrixWorkbook } from "../../scripts/testing/matrix_workbook.ts";
import { xlsxBytes } from "../../scripts/testing/xlsx_writer.ts";

const CSV_HEADER = "first_name,last_name,company_name,address,city,state,zip,phone1,phone2,email,department";


/** A data dir with a workbook that cannot load (no matrix sheet) and a CSV with one bad e-mail. */
function brokenInputs(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "alerts-cli-"));
  writeFileSync(join(dir, "relaciones.xlsx"), xlsxBytes([{ name: "Hoja1", rows: [[1, 2]] }]));
  writeFileSync(
    join(dir, "contacts.csv"),
    [CSV_HEADER, "Ann,Lee,Acme,1 Main St,Newark,NJ,07102,973-224-3577,,ann@example.com,Sales", "Bob,Ray,Acme,2 Main St,Newark,NJ,07102,973-224-3578,,not-an-email,Sales", ""].join("\n"),
  );
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test("npm run etl with ALERT_WEBHOOK_URL: a failed workbook load and a contacts load with rejects each POST an alert, recorded with the run", { timeout: 120_000 }, async () => {
  const { dir, cleanup } = brokenInputs();
  const hook = await localServer((_req, res) => res.end("ok"));
  try {
    const result = await etlCli([], { env: { ...process.env, DATA_DIR: dir, ALERT_WEBHOOK_URL: `${hook.url}/hooks/abc`, PUBLIC_URL: "https://relaciones.example.org" } });
    assert.equal(result.code, 1, "the workbook load failed; the alerts change nothing about that");
    assert.match(result.stderr, /^Alert sent \(1 attempt\)\.$/m);
    const bodies = hook.requests.map((r) => JSON.parse(r.body.toString()));
    const byKind = new Map(bodies.map((b) => [b.run.kind, b]));
    assert.deepEqual([...byKind.keys()].sort(), ["contacts", "relationships"]);
    const rel = byKind.get("relationships");
    assert.deepEqual([rel.reason, rel.run.status, rel.run.error.code], ["failed", "failed", "missing-sheet"]);
    assert.match(rel.text, /^Relaciones: relationships load FAILED \(relaciones\.xlsx\)\nCannot find sheet 'Matriz de adyacencia'/);
    assert.equal(rel.links.run, `https://relaciones.example.org/runs/${rel.run.id}`);
    const contacts = byKind.get("contacts");
    assert.deepEqual([contacts.reason, contacts.severity], ["findings", "error"]);
    assert.ok(contacts.run.findings.some((f: { cells: string[] }) => f.cells.includes("contacts.csv:3")), JSON.stringify(contacts.run.findings));
    assert.ok(contacts.text.includes("contacts.csv:3"));
    const runs = readRuns(dir);
    assert.deepEqual(runs.map((r) => [r.kind, r.alert?.status]).sort(), [["contacts", "sent"], ["relationships", "sent"]]);
  } finally {
    await hook.close();
    cleanup();
  }
});

test("runEtl(): a webhook that never answers, or is down, does not fail the load nor hold it for long", { timeout: 120_000 }, async (t) => {
  const silent = await localServer(() => {});
  try {
    for (const [name, url] of [["never answers", silent.url], ["is down", await downUrl()]] as const) {
      await t.test(`the receiver ${name}`, async () => {
        const { dir, cleanup } = brokenInputs();
        try {
          writeFileSync(join(dir, "relaciones.xlsx"), xlsxBytes(matrixWorkbook({ actors: 6, seed: 3, asymmetric: 1 })));
          const options = parseEtlArgs(["--only", "relationships", "--alert-min-severity", "warning"], { DATA_DIR: dir, ALERT_WEBHOOK_URL: url, ALERT_TIMEOUT: "200ms" });
          assert.ok(options !== "help" && options !== "version");
          const outcome = await runEtl(options);
          assert.equal(outcome.ok, true);
          assert.equal(outcome.relationships?.run.status, "succeeded");
          const alert = outcome.alerts?.get(outcome.relationships!.run.id);
          assert.deepEqual([alert?.status, alert?.attempts], ["failed", 3]);
          assert.equal(readRuns(dir)[0].alert?.status, "failed");
          assert.equal(readRuns(dir)[0].status, "succeeded");
          // The configured ALERT_TIMEOUT is the one used (the default is 5 s): said by the outcome,
          // not measured with a clock; a hang is caught by the test's own timeout.
          if (name === "never answers") assert.match(alert?.error?.message ?? "", /within 200 ms/);
        } finally {
          cleanup();
        }
      });
    }
  } finally {
    await silent.close();
  }
});
