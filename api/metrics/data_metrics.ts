/**
 * What the data looks like to an operator: contacts total, the published snapshot's version and
 * age, and the ETL runs (per kind: last success, durations, rows rejected, findings by severity,
 * alerts). The run figures come from runs.jsonl, which is append-only, so totals over it only grow
 * and are proper counters; they are recomputed only when the log changed.
 */
import { leftDataCurrent, lockedOut, RUN_KINDS as KINDS, RUN_STATUSES as STATUSES, SEVERITIES, type RunRecord } from "../../etl/runs/mod.ts";
import { bucketIndex, type Family } from "./prometheus_text.ts";

/** Upper bounds (seconds) of the load-duration buckets: a small CSV up to the 16,384-actor workbook. */
const LOAD_BUCKETS: readonly number[] = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];


/** Where the data figures are read from at scrape time. */
export interface DataSources {
  /** Whether the contacts database answers a read of the contacts table, as the contact routes need it to (the store's `probe()`). */
  contactsUp(): Promise<boolean> | boolean;
  /** How many contacts there are, as last counted (the store's `count()`, throttled); undefined before a count answered. */
  contacts(): Promise<number | undefined> | number | undefined;
  /** The published relationship version, or undefined before the first. */
  snapshot(): { versionId: number | null; publishedAt: string | null } | undefined;
  /** Every run, newest first (RunLog.all(): the same array until the log changes). */
  runs(): readonly RunRecord[];
  /** When the contacts' Parquet copy was taken (ISO 8601); undefined when off or not written yet. */
  contactsExport?(): string | undefined;
  /** The contacts database's trims after writes (DuckDB); undefined on PostgreSQL. */
  contactsTrims?(): { done: number; putOff: number; failed: number } | undefined;
  /** The background merges of the trigram indexes' pending lists (PostgreSQL); undefined on DuckDB. */
  contactsGinMerges?(): { done: number; failed: number } | undefined;
  /** Bytes of the contacts' search filters in use (DuckDB); undefined on PostgreSQL. */
  contactsSearchFilters?(): number | undefined;
  /** Contacts in the point reads' file from its last build (DuckDB; 0 while one runs); undefined when it is off. */
  contactsPointFile?(): number | undefined;
  /** The API's commits of contact writes, and the groups that fell back to one write at a time. */
  contactsCommits?(): { commits: number; fallbacks: number };
  /** The served snapshot's relationship answer cache (`AnswerCache`); undefined before the first snapshot. */
  relationshipAnswers?(): { bytes: number; entries: number; evictions: number } | undefined;
}

/** A counter's samples, one per outcome label; none when the counts are absent (the other backend). */
function byOutcome(counts: Record<string, number> | undefined): { labels: { outcome: string }; value: number }[] {
  return counts === undefined ? [] : Object.entries(counts).map(([outcome, value]) => ({ labels: { outcome }, value }));
}

/**
 * Renders the data families; run figures are cached per runs array.
 *
 * @example
 * ```ts
 * const data = new DataMetrics({ contactsUp: () => true, contacts: () => store.count(), snapshot: () => ..., runs: () => log.all() });
 * await data.families();
 * ```
 */
export class DataMetrics {
  readonly #sources: DataSources;
  #runsSeen: readonly RunRecord[] | null = null;
  #runFamilies: Family[] = [];

  constructor(sources: DataSources) {
    this.#sources = sources;
  }

  async families(now = Date.now()): Promise<Family[]> {
    const snapshot = this.#sources.snapshot();
    const published = snapshot?.publishedAt ? Date.parse(snapshot.publishedAt) : NaN;
    const exportedAt = this.#sources.contactsExport?.();
    const exported = exportedAt === undefined ? NaN : Date.parse(exportedAt);
    const trims = this.#sources.contactsTrims?.();
    const merges = this.#sources.contactsGinMerges?.();
    const searchFilters = this.#sources.contactsSearchFilters?.();
    const pointFile = this.#sources.contactsPointFile?.();
    const commits = this.#sources.contactsCommits?.();
    const answers = this.#sources.relationshipAnswers?.();
    const runs = this.#sources.runs();
    if (runs !== this.#runsSeen) {
      this.#runFamilies = runFamilies(runs);
      this.#runsSeen = runs;
    }
    // Side by side: each waits up to its bound, and the scrape must answer within Prometheus' 10 s.
    const [up, counted] = await Promise.all([this.#sources.contactsUp(), this.#sources.contacts()]);
    const contacts = up ? counted : undefined;
    return [
      {
        name: "relaciones_contacts",
        help: "Contacts in the contacts database (contacts.duckdb or PostgreSQL), counted at most once a minute (a count scans the table); absent while it does not answer, and when no count has answered for three minutes.",
        type: "gauge",
        samples: contacts === undefined ? [] : [{ value: contacts }],
      },
      {
        name: "relaciones_contacts_database_up",
        help: "1 when the contacts database answered this scrape's read of the contacts table (one index lookup) within 5 s, 0 when it did not (PostgreSQL down or frozen, out of connections, a lock held past PG_LOCK_TIMEOUT, or the API's role refused).",
        type: "gauge",
        samples: [{ value: up ? 1 : 0 }],
      },
      {
        name: "relaciones_snapshot_version",
        help: "Version id of the published relationship snapshot (absent before the first).",
        type: "gauge",
        samples: snapshot?.versionId == null ? [] : [{ value: snapshot.versionId }],
      },
      {
        name: "relaciones_snapshot_published_timestamp_seconds",
        help: "When the served relationship snapshot was published, in seconds since the Unix epoch.",
        type: "gauge",
        samples: Number.isNaN(published) ? [] : [{ value: published / 1000 }],
      },
      {
        name: "relaciones_snapshot_age_seconds",
        help: "Age of the served relationship snapshot.",
        type: "gauge",
        samples: Number.isNaN(published) ? [] : [{ value: Math.max(0, (now - published) / 1000) }],
      },
      {
        name: "relaciones_contacts_export_age_seconds",
        help: "Age of the snapshot in the contacts' Parquet copy (exports/contacts/); absent when CONTACTS_EXPORT is off, on PostgreSQL, or before the first export.",
        type: "gauge",
        samples: Number.isNaN(exported) ? [] : [{ value: Math.max(0, (now - exported) / 1000) }],
      },
      {
        name: "relaciones_contacts_memory_trims_total",
        help: "Times contacts.duckdb gave back memory after writes (checkpoint, buffers dropped), by outcome: done, put_off (something was reading), failed (its budget could not be set back). Absent on PostgreSQL.",
        type: "counter",
        samples: byOutcome(trims && { done: trims.done, put_off: trims.putOff, failed: trims.failed }),
      },
      {
        name: "relaciones_contacts_index_merges_total",
        help: "Times this process merged the pending lists of the contacts' trigram indexes after its writes (every 1,000 contacts written), by outcome: done, failed. No samples on DuckDB (it has no such indexes).",
        type: "counter",
        samples: byOutcome(merges),
      },
      {
        name: "relaciones_contacts_search_filters_bytes",
        help: "Memory of the trigram filters that narrow the q and company filters on contacts.duckdb; 0 while they are built (after start and after each import), when those filters scan every contact. Absent on PostgreSQL.",
        type: "gauge",
        samples: searchFilters === undefined ? [] : [{ value: searchFilters }],
      },
      {
        name: "relaciones_contacts_point_file_contacts",
        help: "Contacts whose JSON the point reads' file held when its last build ended (point reads and pages of those not written since skip the database's fetch; on PostgreSQL this process's own file, each record served only at the version the database has); 0 while it is built (after start and after each import). Absent when the file is off.",
        type: "gauge",
        samples: pointFile === undefined ? [] : [{ value: pointFile }],
      },
      {
        name: "relaciones_contacts_commits_total",
        help: "Transactions this process committed for contact writes: one per group of writes (group commit; a write that came alone is a group of one).",
        type: "counter",
        samples: commits === undefined ? [] : [{ value: commits.commits }],
      },
      {
        name: "relaciones_contacts_commit_fallbacks_total",
        help: "Groups of contact writes whose set-based statements failed and ran again one write at a time (each write still committed or refused on its own). On DuckDB unforeseen (the first reason is in the log); on PostgreSQL also a unique key or a row another process took meanwhile, a deadlock, a lock not granted in time.",
        type: "counter",
        samples: commits === undefined ? [] : [{ value: commits.fallbacks }],
      },
      {
        name: "relaciones_relationship_answer_cache_bytes",
        help: "Bytes the served snapshot's relationship answer cache holds: its answers and their brotli and gzip forms, bounded by relationshipCacheBytes (64 MiB). Absent before the first snapshot.",
        type: "gauge",
        samples: answers === undefined ? [] : [{ value: answers.bytes }],
      },
      {
        name: "relaciones_relationship_answer_cache_entries",
        help: "Answers the served snapshot's relationship answer cache holds (at most 20,000). Absent before the first snapshot.",
        type: "gauge",
        samples: answers === undefined ? [] : [{ value: answers.entries }],
      },
      {
        name: "relaciones_relationship_answer_cache_evictions_total",
        help: "Answers the served snapshot's relationship answer cache evicted (least recently used first, with their coded forms) to make room for newer ones; starts again at 0 with each snapshot served, which gets a cache of its own.",
        type: "counter",
        samples: answers === undefined ? [] : [{ value: answers.evictions }],
      },
      ...this.#runFamilies,
    ];
  }
}

function runFamilies(newestFirst: readonly RunRecord[]): Family[] {
  const totals = new Map<string, number>();
  const durations = new Map<string, { counts: Float64Array; sum: number }>();
  const rejected = new Map<string, number>();
  const alerts = new Map<string, number>();
  const lastSuccess = new Map<string, number>();
  const last = new Map<string, RunRecord>();
  for (const kind of KINDS) {
    durations.set(kind, { counts: new Float64Array(LOAD_BUCKETS.length + 1), sum: 0 });
    rejected.set(kind, 0);
  }
  for (const run of newestFirst) {
    const kind = run.kind;
    totals.set(`${kind} ${run.status}`, (totals.get(`${kind} ${run.status}`) ?? 0) + 1);
    // A skip for a busy lock says nothing of the data: the findings stay those of the run before.
    if (!last.has(kind) && !lockedOut(run)) last.set(kind, run);
    const finished = Date.parse(run.finished_at);
    // As the schedule counts a good load (a skip of an unchanged file too): the stale-data alert
    // must not fire on a team sending the same file for days.
    if (leftDataCurrent(run) && !lastSuccess.has(kind) && !Number.isNaN(finished)) lastSuccess.set(kind, finished / 1000);
    const seconds = (finished - Date.parse(run.started_at)) / 1000;
    const histogram = durations.get(kind);
    // Skips are not loads: they would drown the durations of real ones.
    if (histogram !== undefined && run.status !== "skipped" && seconds >= 0) {
      histogram.counts[bucketIndex(LOAD_BUCKETS, seconds)]++;
      histogram.sum += seconds;
    }
    // A skip repeats the counts of the load it found unchanged: counted again, an unchanged CSV
    // with rejects grew the counter every day with no row rejected.
    if (run.status !== "skipped") rejected.set(kind, (rejected.get(kind) ?? 0) + (run.counts?.rejected ?? 0));
    if (run.alert !== undefined) alerts.set(run.alert.status, (alerts.get(run.alert.status) ?? 0) + 1);
  }
  return [
    {
      name: "relaciones_etl_runs_total",
      help: "ETL runs recorded in runs.jsonl, by kind and status.",
      type: "counter",
      samples: KINDS.flatMap((kind) => STATUSES.map((status) => ({ labels: { kind, status }, value: totals.get(`${kind} ${status}`) ?? 0 }))),
    },
    {
      name: "relaciones_etl_last_success_timestamp_seconds",
      help: "When the newest load of each kind finished that left the data current (it succeeded, or found its file unchanged; not a skip because another load held the lock), in seconds since the Unix epoch (absent before the first).",
      type: "gauge",
      samples: KINDS.filter((kind) => lastSuccess.has(kind)).map((kind) => ({ labels: { kind }, value: lastSuccess.get(kind)! })),
    },
    {
      name: "relaciones_etl_load_duration_seconds",
      help: "Duration of each load that succeeded or failed (skips left out), by kind.",
      type: "histogram",
      buckets: LOAD_BUCKETS,
      samples: KINDS.map((kind) => ({ labels: { kind }, ...durations.get(kind)! })),
    },
    {
      name: "relaciones_etl_rows_rejected_total",
      help: "Input rows refused by loads (the rejects reports), by kind.",
      type: "counter",
      samples: KINDS.map((kind) => ({ labels: { kind }, value: rejected.get(kind) ?? 0 })),
    },
    {
      name: "relaciones_etl_last_run_findings",
      help: "Quality findings of the newest run of each kind (not counting a skip because another load held the lock), by severity.",
      type: "gauge",
      samples: KINDS.flatMap((kind) =>
        SEVERITIES.map((severity) => ({ labels: { kind, severity }, value: last.get(kind)?.findings.filter((f) => f.severity === severity).length ?? 0 })),
      ),
    },
    {
      name: "relaciones_etl_alerts_total",
      help: "Alerts about runs, by outcome (sent, or failed after its retries).",
      type: "counter",
      samples: ["sent", "failed"].map((status) => ({ labels: { status }, value: alerts.get(status) ?? 0 })),
    },
  ];
}
