// A relationship run record for the view tests: one place for the shape, each test overrides what
// it is about.
import type { RunView as RunRecord } from "../../api/runs/runs_routes.ts";

/**
 * Returns a succeeded relationships run of the sample workbook, with `overrides` applied.
 * @example runFixture({ status: "failed", counts: {} })
 */
export function runFixture(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: "r1",
    kind: "relationships",
    status: "succeeded",
    started_at: "2026-11-20T02:00:00.000Z",
    finished_at: "2026-11-20T02:00:03.000Z",
    file: { name: "relaciones.xlsx", path: "data/relaciones.xlsx", size: 21831, sha256: "ab".repeat(32) },
    counts: { actors: 50, pairs: 120 },
    findings: [],
    changes: {},
    error: null,
    version_id: 1,
    ...overrides,
  };
}
