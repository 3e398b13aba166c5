/**
 * Point reads' file: each contact's JSON as the API serves it, in a file in the data dir, in a
 * record of 512 bytes at `<id> * 512`: a header (what the record holds, the contact's version, the
 * JSON's length) and the JSON itself, or, for the rare JSON over 496 bytes, where it lies in a
 * second file. A read is one `pread` from the page cache, a few microseconds,
 * where DuckDB fetches a whole vector of 2,048 rows for one contact (0.9 ms, ~4 ms a group of 32:
 * design/system/benchmarks.md). Nothing is held in the process: its memory stays the same whatever
 * the number of contacts, and the kernel keeps in its page cache what it can. The price is disk:
 * 512 bytes an id, about twice `contacts.duckdb`.
 *
 * A record is unknown (zero: ask the database), absent (the id has no contact), or a body. A body
 * and an absence are only ever what the database held at some point no write has changed since:
 * every commit empties the records of the contacts it touched (ContactsStore's #afterCommit), and
 * a build from a snapshot skips the contacts committed while it ran. So a record may be unknown when
 * it could be known, never stale. On PostgreSQL that holds for this process's commits only: other
 * processes write the same tables, so there a record is served only at the version the database
 * has now (ContactsStore checks it, one index lookup a contact), and a stale one is read again.
 * The files live as long as the process; each start builds them anew. Any failure of the file
 * system (a full disk) turns the file off: reads go to the database.
 */
import { randomUUID } from "node:crypto";
import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "../../etl/files/mod.ts";

/** A contact's served JSON and its version, as its record has them. */
export interface PointBody {
  bytes: Buffer;
  version: number;
}

/** One contact of a build. */
export interface PointRow {
  id: number;
  version: number | bigint;
  /** The JSON: text (DuckDB wrote it), or the UTF-8 bytes the API already made of it (toEntry). */
  body: string | Buffer;
  /** False when DuckDB would have written the JSON differently from the API (see `exact`). */
  plain: boolean;
}

/** A build in progress (PointFile.begin). */
export interface PointBuild {
  readonly epoch: number;
}

/** What the file holds: contacts of its last finished build (0 while one runs), bytes of bodies kept apart, whether it is on. */
export interface PointFileStats {
  contacts: number;
  overflowBytes: number;
  on: boolean;
}

const RECORD = 512;
const HEADER = 16;
/** The longest JSON a record holds itself. */
const INLINE = RECORD - HEADER;
// A record's kind; 0, a record never written or emptied, is unknown.
const ABSENT = 1;
const INLINED = 2;
const OVERFLOW = 3;
/** Versions are kept in 32 bits; a contact past that is left to the database. */
const MAX_VERSION = 0xffff_ffff;
/** Contact ids are INTEGERs: past that, no record (and no position past what a file may have). */
const MAX_ID = 0x7fff_ffff;
/** Bodies kept apart past this many bytes of dead ones call for a rebuild. */
const MAX_WASTE = 64 * 1024 * 1024;

export class PointFile {
  readonly dir: string;
  #records: number | undefined;
  #overflow: number | undefined;
  /** Bytes of the records file: a record past it is unknown. */
  #size = 0;
  /** Length of the overflow file, and the bytes of it some record points to. */
  #overflowEnd = 0;
  #overflowLive = 0;
  #epoch = 0;
  /** While a build runs: the contacts committed since it began, which it must not write. */
  #written: Set<number> | undefined;
  /** While a build runs: the records of the range it is filling, written together, and the bytes of the bodies they keep apart. */
  #block: { first: number; count: number; bytes: Buffer; overflow: number } | undefined;
  #built = 0;
  #contacts = 0;
  #failure: unknown;
  readonly #header = Buffer.alloc(HEADER);

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Empties `dir` (what a process before left there) and opens the two files in it. */
  static open(dir: string): PointFile {
    const file = new PointFile(dir);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    file.#records = openSync(join(dir, "records"), "w+");
    file.#overflow = openSync(join(dir, "overflow"), "w+");
    return file;
  }

  /**
   * Opens a file of this process's own in a folder of `parent` (PostgreSQL, where several API
   * processes may share a data dir): `<pid>-<random>`, after removing the folders of processes no
   * longer running (a crash leaves its folder behind; each start builds its file anew).
   */
  static openForProcess(parent: string): PointFile {
    mkdirSync(parent, { recursive: true });
    for (const name of readdirSync(parent)) {
      const pid = Number(name.split("-")[0]);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid)) rmSync(join(parent, name), { recursive: true, force: true });
    }
    return PointFile.open(join(parent, `${process.pid}-${randomUUID()}`));
  }

  /** Why the file turned itself off, if it did. */
  get failure(): unknown {
    return this.#failure;
  }

  /** True when dead bodies kept apart have grown past live ones and MAX_WASTE: time for clear() and a build. */
  get wasteful(): boolean {
    // The range being built points to its bodies once written: live already, or a build would call for itself again.
    const live = this.#overflowLive + (this.#block?.overflow ?? 0);
    return this.#overflowEnd - live > Math.max(live, MAX_WASTE);
  }

  stats(): PointFileStats {
    return { contacts: this.#written === undefined ? this.#contacts : 0, overflowBytes: this.#overflowLive, on: this.#records !== undefined };
  }

  /** The body in `id`'s record; null when the id has no contact; undefined when the record does not know. */
  get(id: number): PointBody | null | undefined {
    if (!this.#holds(id)) return undefined;
    const record = Buffer.allocUnsafe(RECORD);
    const read = this.#io(() => readSync(this.#records!, record, 0, RECORD, id * RECORD));
    if (read === undefined || read < HEADER) return undefined;
    const kind = record.readUInt32LE(0);
    if (kind === ABSENT) return null;
    const version = record.readUInt32LE(4);
    const length = record.readUInt32LE(8);
    if (kind === INLINED) return read >= HEADER + length ? { bytes: record.subarray(HEADER, HEADER + length), version } : undefined;
    if (kind !== OVERFLOW) return undefined;
    const bytes = Buffer.allocUnsafe(length);
    const body = this.#io(() => readSync(this.#overflow!, bytes, 0, length, record.readDoubleLE(HEADER)));
    return body === length ? { bytes, version } : undefined;
  }

  /** Keeps `bytes` as `id`'s body at `version`: the caller read it from the database, and no commit since touched it. */
  set(id: number, version: number, bytes: Buffer): void {
    if (!this.#valid(id)) return;
    if (!Number.isInteger(version) || version < 0 || version > MAX_VERSION) return this.forget(id);
    const record = this.#record(version, bytes);
    if (record === undefined) return;
    this.#write(id, record);
  }

  /**
   * Records that `id` has no contact: the caller asked the database, and no commit since touched it.
   * Only for an id the file reaches: past its end an id stays unknown, or one GET of /contacts/2147483647
   * would make the file reach that id's record, 1 TiB long (sparse, but not to every copy of the data dir).
   */
  setAbsent(id: number): void {
    if (!this.#holds(id)) return;
    const header = Buffer.alloc(HEADER);
    header.writeUInt32LE(ABSENT, 0);
    this.#write(id, header);
  }

  /** Empties `id`'s record: a commit touched it. A build running now will not write it either. */
  forget(id: number): void {
    this.#written?.add(id);
    if (!this.#holds(id)) return;
    this.#write(id, Buffer.alloc(HEADER));
  }

  /** Empties every record (an import touched every contact) and abandons a build running. */
  clear(): void {
    this.#stopBuild();
    this.#contacts = 0;
    this.#io(() => {
      ftruncateSync(this.#records!, 0);
      ftruncateSync(this.#overflow!, 0);
    });
    this.#size = 0;
    this.#overflowEnd = 0;
    this.#overflowLive = 0;
  }

  /**
   * Starts a build: commits from now on are remembered, so call this before the build's snapshot
   * starts. A write committed before it is in the snapshot; one committed after is skipped.
   */
  begin(): PointBuild {
    this.#stopBuild();
    this.#written = new Set();
    this.#built = 0;
    return { epoch: this.#epoch };
  }

  /**
   * Starts the records of ids `first` to `last` (at most 32,768 of them: a buffer of 16 MiB), all
   * absent until fill() gives their rows; false once the build is abandoned (a clear, a newer
   * build, a failure).
   */
  beginRange(build: PointBuild, first: number, last: number): boolean {
    if (!this.#current(build)) return false;
    const count = last - first + 1;
    if (!(first >= 1 && count >= 1 && count <= 32_768 && last <= MAX_ID)) throw new RangeError(`Not a range of ids a build fills: ${first} to ${last}`);
    const bytes = this.#block !== undefined && this.#block.bytes.length >= count * RECORD ? this.#block.bytes : Buffer.alloc(count * RECORD);
    bytes.fill(0, 0, count * RECORD);
    for (let i = 0; i < count; i++) bytes.writeUInt32LE(ABSENT, i * RECORD);
    this.#block = { first, count, bytes, overflow: 0 };
    return true;
  }

  /** Puts a chunk of the range's rows in its records; false once the build is abandoned. */
  fill(build: PointBuild, rows: readonly PointRow[]): boolean {
    const block = this.#block;
    if (!this.#current(build) || block === undefined) return false;
    for (const row of rows) {
      const id = Number(row.id);
      const at = (id - block.first) * RECORD;
      if (!(id >= block.first && id < block.first + block.count)) throw new RangeError(`Contact ${id} is outside the range being built`);
      const version = Number(row.version);
      // A contact committed since the build began: endRange keeps the record it has now, so a body
      // kept apart for it here would be dead at once, yet counted as live (and `wasteful` never true).
      const stale = this.#written!.has(id);
      const record = !stale && exact(row) && version <= MAX_VERSION ? this.#record(version, typeof row.body === "string" ? Buffer.from(row.body, "utf8") : row.body) : undefined;
      if (record === undefined) block.bytes.fill(0, at, at + HEADER);
      else {
        record.copy(block.bytes, at);
        if (record.readUInt32LE(0) === OVERFLOW) block.overflow += record.readUInt32LE(8);
        this.#built++;
      }
    }
    return this.#records !== undefined;
  }

  /**
   * Writes the range's records at once. The contacts committed since the build began keep the
   * record they have now (unknown, or what a read after the commit kept), not the snapshot's.
   */
  endRange(build: PointBuild): boolean {
    const block = this.#block;
    if (!this.#current(build) || block === undefined) return false;
    // The records this range writes over (read while a GET's set() may have put bodies apart there) lose their bodies.
    const replaced = this.#overflowLive > 0 ? this.#overflowReplaced(block) : 0;
    if (replaced === undefined) return false;
    for (const id of this.#written!) {
      if (id < block.first || id >= block.first + block.count) continue;
      const at = (id - block.first) * RECORD;
      // Committed since its row was given: the body the row kept apart is in no record.
      if (block.bytes.readUInt32LE(at) === OVERFLOW) block.overflow -= block.bytes.readUInt32LE(at + 8);
      const now = this.#holds(id) ? this.#io(() => readSync(this.#records!, block.bytes, at, RECORD, id * RECORD)) : 0;
      if (now !== RECORD) block.bytes.fill(0, at, at + RECORD);
    }
    const length = block.count * RECORD;
    const position = block.first * RECORD;
    if (this.#io(() => writeSync(this.#records!, block.bytes, 0, length, position)) === undefined) return false;
    this.#size = Math.max(this.#size, position + length);
    this.#overflowLive += block.overflow - replaced;
    block.overflow = 0;
    return true;
  }

  /**
   * Bytes of the bodies kept apart that the file's records in `block`'s range point to, but for
   * the contacts committed since the build began (endRange keeps their records); undefined when
   * the file could not be read (it is off).
   */
  #overflowReplaced(block: { first: number; count: number }): number | undefined {
    const position = block.first * RECORD;
    const end = Math.min(this.#size, position + block.count * RECORD);
    if (end <= position) return 0;
    const old = Buffer.allocUnsafe(end - position);
    const read = this.#io(() => readSync(this.#records!, old, 0, old.length, position));
    if (read === undefined) return undefined;
    let bytes = 0;
    for (let at = 0; at + HEADER <= read; at += RECORD) {
      if (old.readUInt32LE(at) === OVERFLOW && !this.#written!.has(block.first + at / RECORD)) bytes += old.readUInt32LE(at + 8);
    }
    return bytes;
  }

  /** Ends `build`: from now on its records are the file's, and it counts their contacts. */
  finish(build: PointBuild): void {
    if (!this.#current(build)) return;
    this.#contacts = this.#built;
    this.#written = undefined;
    this.#block = undefined;
  }

  /** Ends `build` without finishing it (it failed): the ranges it wrote stay, each record as true as when written. */
  abandon(build: PointBuild): void {
    if (this.#current(build)) this.#stopBuild();
  }

  /** Closes the files and removes them. */
  close(): void {
    this.#stopBuild();
    this.#shut();
    rmSync(this.dir, { recursive: true, force: true });
  }

  #stopBuild(): void {
    this.#epoch++;
    this.#written = undefined;
    this.#block = undefined;
  }

  #current(build: PointBuild): boolean {
    return build.epoch === this.#epoch && this.#written !== undefined && this.#records !== undefined;
  }

  #valid(id: number): boolean {
    return this.#records !== undefined && Number.isInteger(id) && id >= 1 && id <= MAX_ID;
  }

  /** Whether `id` has a record in the file (else it is unknown). */
  #holds(id: number): boolean {
    return this.#valid(id) && (id + 1) * RECORD <= this.#size;
  }

  /** The record (header and inline body, or header pointing into the overflow file, which this appends to) for a body; live once a record holding it is written. */
  #record(version: number, bytes: Buffer): Buffer | undefined {
    const inline = bytes.length <= INLINE;
    const record = Buffer.allocUnsafe(HEADER + (inline ? bytes.length : 8));
    record.writeUInt32LE(inline ? INLINED : OVERFLOW, 0);
    record.writeUInt32LE(version, 4);
    record.writeUInt32LE(bytes.length, 8);
    record.writeUInt32LE(0, 12);
    if (inline) bytes.copy(record, HEADER);
    else {
      const at = this.#overflowEnd;
      if (this.#io(() => writeSync(this.#overflow!, bytes, 0, bytes.length, at)) === undefined) return undefined;
      this.#overflowEnd += bytes.length;
      record.writeDoubleLE(at, HEADER);
    }
    return record;
  }

  /** Writes `record` (at least its header) as `id`'s, counting the overflow body it replaces as dead. */
  #write(id: number, record: Buffer): void {
    const position = id * RECORD;
    // Only a record pointing into the overflow file needs reading first: skipped while there is none.
    if (this.#overflowLive > 0 && this.#holds(id)) {
      const old = this.#header;
      if (this.#io(() => readSync(this.#records!, old, 0, HEADER, position)) === HEADER && old.readUInt32LE(0) === OVERFLOW) this.#overflowLive -= old.readUInt32LE(8);
    }
    if (this.#io(() => writeSync(this.#records!, record, 0, record.length, position)) === undefined) return;
    if (record.readUInt32LE(0) === OVERFLOW) this.#overflowLive += record.readUInt32LE(8);
    // A record written past the end makes the file reach it; the bytes before are zeros: unknown.
    if (position + RECORD > this.#size) {
      if (this.#io(() => (ftruncateSync(this.#records!, position + RECORD), true)) === undefined) return;
      this.#size = position + RECORD;
    }
  }

  /** Runs a file operation; a failure turns the file off (every record unknown from then on). */
  #io<T>(op: () => T): T | undefined {
    if (this.#records === undefined) return undefined;
    try {
      return op();
    } catch (error) {
      this.#failure = error;
      this.#stopBuild();
      this.#shut();
      return undefined;
    }
  }

  #shut(): void {
    for (const fd of [this.#records, this.#overflow]) {
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch {
          // Already closed: nothing left to release.
        }
      }
    }
    this.#records = undefined;
    this.#overflow = undefined;
  }
}

/**
 * Whether DuckDB's JSON for `row` is byte for byte what the API's JSON.stringify writes. It is for
 * any text but one with a control character (DuckDB writes `\u001F` where JavaScript writes
 * `\u001f`), and for any timestamp within 1970-9999 (`plain`). Such contacts are left to the database.
 */
function exact(row: PointRow): boolean {
  return row.plain && !row.body.includes("\\u");
}
