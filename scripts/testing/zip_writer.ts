/**
 * A small ZIP writer for test fixtures, on `node:zlib` and `node:fs` only: stored or deflated
 * entries, data descriptors, ZIP64 (forced, or when an entry passes 4 GiB), entries built in
 * memory or streamed to disk. The `.xlsx` writer packs its parts with it; tests use `zipBytes()`
 * directly for archives that are not workbooks, or not valid ones.
 */
import * as zlib from "node:zlib";
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { once } from "node:events";

/** How to pack entries. Everything is optional; the default is deflate at level 6, no descriptors, no forced ZIP64. */
export interface ZipWriteOptions {
  compression?: "deflate" | "store";
  /** Set general-purpose bit 3: CRC and sizes follow the data instead of being in the local header. */
  dataDescriptors?: boolean;
  /** Force ZIP64 extra fields and end records even for small files (they are used anyway past 4 GiB). */
  zip64?: boolean;
  /** zlib level 0-9 for deflated entries; default 6 (what Excel and Info-ZIP use). */
  level?: number;
}

const U32_MAX = 0xffffffff;
const DOS_TIME = 0; // 00:00:00
const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01: fixed, so output is reproducible
const PADDING_EXTRA_ID = 0xd935; // Android's zipalign padding extra: readers ignore it; we turn it into ZIP64 if needed

interface ZipEntry {
  name: Buffer;
  method: 0 | 8;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
  zip64: boolean;
}

interface ZipOptions {
  method: 0 | 8;
  dataDescriptors: boolean;
  zip64: boolean;
  level: number;
}

function zipOptions(options: ZipWriteOptions): ZipOptions {
  return {
    method: options.compression === "store" ? 0 : 8,
    dataDescriptors: options.dataDescriptors ?? false,
    zip64: options.zip64 ?? false,
    level: options.level ?? 6,
  };
}

/** The local file header. With `reserve`, a 20-byte padding extra that can later become a ZIP64 extra. */
function localHeader(e: ZipEntry, reserve: boolean): Buffer {
  const extraLength = e.zip64 || reserve ? 20 : 0;
  const b = Buffer.alloc(30 + e.name.length + extraLength);
  const descriptor = (e.flags & 8) !== 0;
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(e.zip64 ? 45 : 20, 4);
  b.writeUInt16LE(e.flags, 6);
  b.writeUInt16LE(e.method, 8);
  b.writeUInt16LE(DOS_TIME, 10);
  b.writeUInt16LE(DOS_DATE, 12);
  b.writeUInt32LE(descriptor ? 0 : e.crc, 14);
  b.writeUInt32LE(e.zip64 ? U32_MAX : descriptor ? 0 : e.compressedSize, 18);
  b.writeUInt32LE(e.zip64 ? U32_MAX : descriptor ? 0 : e.size, 22);
  b.writeUInt16LE(e.name.length, 26);
  b.writeUInt16LE(extraLength, 28);
  e.name.copy(b, 30);
  const x = 30 + e.name.length;
  if (e.zip64) {
    b.writeUInt16LE(0x0001, x);
    b.writeUInt16LE(16, x + 2);
    b.writeBigUInt64LE(descriptor ? 0n : BigInt(e.size), x + 4);
    b.writeBigUInt64LE(descriptor ? 0n : BigInt(e.compressedSize), x + 12);
  } else if (reserve) {
    b.writeUInt16LE(PADDING_EXTRA_ID, x);
    b.writeUInt16LE(16, x + 2);
    b.writeUInt16LE(1, x + 4); // zipalign's "alignment" field; the rest is zero padding
  }
  return b;
}

function dataDescriptor(e: ZipEntry): Buffer {
  const b = Buffer.alloc(e.zip64 ? 24 : 16);
  b.writeUInt32LE(0x08074b50, 0);
  b.writeUInt32LE(e.crc, 4);
  if (e.zip64) {
    b.writeBigUInt64LE(BigInt(e.compressedSize), 8);
    b.writeBigUInt64LE(BigInt(e.size), 16);
  } else {
    b.writeUInt32LE(e.compressedSize, 8);
    b.writeUInt32LE(e.size, 12);
  }
  return b;
}

function centralHeader(e: ZipEntry, forceZip64: boolean): Buffer {
  const bigSize = forceZip64 || e.zip64 || e.size > U32_MAX;
  const bigCompressed = forceZip64 || e.zip64 || e.compressedSize > U32_MAX;
  const bigOffset = forceZip64 || e.offset > U32_MAX;
  const extraLength = bigSize || bigCompressed || bigOffset ? 4 + 8 * (+bigSize + +bigCompressed + +bigOffset) : 0;
  const b = Buffer.alloc(46 + e.name.length + extraLength);
  const needs64 = extraLength > 0;
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE(45, 4); // made by: MS-DOS, spec 4.5 (what Excel writes)
  b.writeUInt16LE(needs64 ? 45 : 20, 6);
  b.writeUInt16LE(e.flags, 8);
  b.writeUInt16LE(e.method, 10);
  b.writeUInt16LE(DOS_TIME, 12);
  b.writeUInt16LE(DOS_DATE, 14);
  b.writeUInt32LE(e.crc, 16);
  b.writeUInt32LE(bigCompressed ? U32_MAX : e.compressedSize, 20);
  b.writeUInt32LE(bigSize ? U32_MAX : e.size, 24);
  b.writeUInt16LE(e.name.length, 28);
  b.writeUInt16LE(extraLength, 30);
  b.writeUInt16LE(0, 32); // comment
  b.writeUInt16LE(0, 34); // disk
  b.writeUInt16LE(0, 36); // internal attributes
  b.writeUInt32LE(0, 38); // external attributes
  b.writeUInt32LE(bigOffset ? U32_MAX : e.offset, 42);
  e.name.copy(b, 46);
  if (needs64) {
    let x = 46 + e.name.length;
    b.writeUInt16LE(0x0001, x);
    b.writeUInt16LE(extraLength - 4, x + 2);
    x += 4;
    for (const [big, value] of [[bigSize, e.size], [bigCompressed, e.compressedSize], [bigOffset, e.offset]] as const) {
      if (!big) continue;
      b.writeBigUInt64LE(BigInt(value), x);
      x += 8;
    }
  }
  return b;
}

/** Central directory end: ZIP64 end record + locator when needed or forced, then the classic record. */
function endRecords(count: number, cdOffset: number, cdSize: number, forceZip64: boolean): Buffer {
  const need64 = forceZip64 || count > 0xfffe || cdOffset > U32_MAX || cdSize > U32_MAX;
  const parts: Buffer[] = [];
  if (need64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeUInt32LE(0, 16);
    rec.writeUInt32LE(0, 20);
    rec.writeBigUInt64LE(BigInt(count), 24);
    rec.writeBigUInt64LE(BigInt(count), 32);
    rec.writeBigUInt64LE(BigInt(cdSize), 40);
    rec.writeBigUInt64LE(BigInt(cdOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeUInt32LE(0, 4);
    locator.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(rec, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(need64 ? 0xffff : count, 8);
  end.writeUInt16LE(need64 ? 0xffff : count, 10);
  end.writeUInt32LE(need64 ? U32_MAX : cdSize, 12);
  end.writeUInt32LE(need64 ? U32_MAX : cdOffset, 16);
  end.writeUInt16LE(0, 20);
  parts.push(end);
  return Buffer.concat(parts);
}

/** General-purpose flags: bit 3 for data descriptors, bit 11 when the name needs UTF-8 (APPNOTE 4.4.4). */
function entryFlags(name: Buffer, dataDescriptors: boolean): number {
  return (dataDescriptors ? 8 : 0) | (name.some((b) => b > 0x7f) ? 0x800 : 0);
}

function memoryEntry(name: string, data: Buffer, offset: number, z: ZipOptions): { entry: ZipEntry; bytes: Buffer[] } {
  const payload = z.method === 8 ? zlib.deflateRawSync(data, { level: z.level }) : data;
  const nameBytes = Buffer.from(name, "utf8");
  const entry: ZipEntry = {
    name: nameBytes,
    method: z.method,
    flags: entryFlags(nameBytes, z.dataDescriptors),
    crc: zlib.crc32(data),
    compressedSize: payload.length,
    size: data.length,
    offset,
    zip64: z.zip64 || data.length > U32_MAX || payload.length > U32_MAX,
  };
  const bytes = [localHeader(entry, false), payload];
  if (z.dataDescriptors) bytes.push(dataDescriptor(entry));
  return { entry, bytes };
}

/** One entry of a ZIP built in memory; `store` overrides the archive's compression for it. */
export interface ZipInput {
  name: string;
  data: string | Uint8Array;
  store?: boolean;
}

/**
 * Builds a ZIP archive in memory from named entries, with the same records as the workbooks
 * (tests use it for archives that are not workbooks, or not valid ones).
 * @example
 * const bytes = zipBytes([{ name: "hello.txt", data: "hi" }], { compression: "store" });
 */
export function zipBytes(inputs: readonly ZipInput[], options: ZipWriteOptions = {}): Uint8Array {
  const z = zipOptions(options);
  const chunks: Buffer[] = [];
  const entries: ZipEntry[] = [];
  let offset = 0;
  for (const input of inputs) {
    const data = typeof input.data === "string" ? Buffer.from(input.data, "utf8") : Buffer.from(input.data);
    const { entry, bytes } = memoryEntry(input.name, data, offset, input.store ? { ...z, method: 0 } : z);
    entries.push(entry);
    for (const b of bytes) {
      chunks.push(b);
      offset += b.length;
    }
  }
  const cdOffset = offset;
  for (const e of entries) {
    const b = centralHeader(e, z.zip64);
    chunks.push(b);
    offset += b.length;
  }
  chunks.push(endRecords(entries.length, cdOffset, offset - cdOffset, z.zip64));
  const out = Buffer.concat(chunks);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** A part of a ZIP written to disk: bytes known up front, or text chunks streamed through deflate. */
export type ZipPart = { name: string; data: () => Uint8Array } | { name: string; chunks: () => Iterable<string> };

/**
 * Writes a ZIP archive to `path`, part by part: memory stays flat whatever a streamed part's size
 * (its chunks are pulled lazily). Streamed entries carry a 20-byte padding extra field in their
 * local header that becomes a ZIP64 extra if the entry passes 4 GiB. On a failure the half-written
 * file is removed: it would only mislead the next reader (or benchmark) of this path.
 *
 * @example
 * ```ts
 * await writeZipFile("/tmp/a.zip", [{ name: "a.txt", data: () => Buffer.from("hi") }, { name: "big.xml", chunks: () => lines() }]);
 * ```
 */
export async function writeZipFile(path: string, parts: Iterable<ZipPart>, options: ZipWriteOptions = {}): Promise<void> {
  const z = zipOptions(options);
  const fd = openSync(path, "w");
  try {
    const sink = new FileSink(fd);
    const entries: ZipEntry[] = [];
    for (const part of parts) {
      if ("data" in part) {
        const { entry, bytes } = memoryEntry(part.name, Buffer.from(part.data()), sink.position, z);
        entries.push(entry);
        for (const b of bytes) sink.write(b);
      } else {
        entries.push(await streamEntry(sink, part.name, part.chunks(), z));
      }
    }
    const cdOffset = sink.position;
    for (const e of entries) sink.write(centralHeader(e, z.zip64));
    sink.write(endRecords(entries.length, cdOffset, sink.position - cdOffset, z.zip64));
  } catch (error) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw error;
  }
  closeSync(fd);
}

/** Appends to an open file descriptor and remembers the position (entries need their offsets). */
class FileSink {
  position = 0;
  constructor(readonly fd: number) {}
  write(b: Uint8Array): void {
    let done = 0;
    while (done < b.length) done += writeSync(this.fd, b, done, b.length - done, this.position + done);
    this.position += b.length;
  }
  patch(b: Uint8Array, at: number): void {
    let done = 0;
    while (done < b.length) done += writeSync(this.fd, b, done, b.length - done, at + done);
  }
}

async function streamEntry(sink: FileSink, name: string, chunks: Iterable<string>, z: ZipOptions): Promise<ZipEntry> {
  const nameBytes = Buffer.from(name, "utf8");
  const entry: ZipEntry = {
    name: nameBytes,
    method: z.method,
    flags: entryFlags(nameBytes, z.dataDescriptors),
    crc: 0,
    compressedSize: 0,
    size: 0,
    offset: sink.position,
    zip64: z.zip64,
  };
  const header = localHeader(entry, true);
  sink.write(header);
  const dataStart = sink.position;
  if (z.method === 0) {
    for (const chunk of chunks) {
      const b = Buffer.from(chunk, "utf8");
      entry.crc = zlib.crc32(b, entry.crc);
      entry.size += b.length;
      sink.write(b);
    }
  } else {
    const deflate = zlib.createDeflateRaw({ level: z.level, chunkSize: 1 << 18 });
    deflate.on("data", (out: Buffer) => sink.write(out));
    const ended = once(deflate, "end");
    for (const chunk of chunks) {
      const b = Buffer.from(chunk, "utf8");
      entry.crc = zlib.crc32(b, entry.crc);
      entry.size += b.length;
      if (!deflate.write(b)) await once(deflate, "drain");
    }
    deflate.end();
    await ended;
  }
  entry.compressedSize = sink.position - dataStart;
  if (entry.size > U32_MAX || entry.compressedSize > U32_MAX) entry.zip64 = true;
  // Rewrite the local header now that CRC and sizes are known (the reserved extra becomes ZIP64 if needed).
  if (!z.dataDescriptors || entry.zip64 !== z.zip64) {
    const finalHeader = localHeader(entry, !entry.zip64);
    sink.patch(finalHeader, entry.offset);
  }
  if (z.dataDescriptors) sink.write(dataDescriptor(entry));
  return entry;
}
