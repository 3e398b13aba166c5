// Reads a ZIP archive through its central directory (so entry order and data descriptors do not
// matter), with ZIP64 records, and streams one entry's inflated bytes with a size cap and a
// compression-ratio cap. Every offset read from the file is bounds-checked before use: the file is
// untrusted input.
import { open, type FileHandle } from "node:fs/promises";
import { crc32, createInflateRaw, type InflateRaw, type ZlibOptions } from "node:zlib";
import { Readable, pipeline, type TransformOptions } from "node:stream";
import { XlsxError } from "./types.ts";

/** One file inside the archive, as the central directory describes it. */
export interface ZipEntry {
  readonly name: string;
  readonly method: number; // 0 stored, 8 deflate
  readonly flags: number;
  /** CRC-32 of the inflated bytes, from the central directory (always there, data descriptor or not). */
  readonly crc: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
}

/** Limits applied while inflating an entry. */
export interface InflateLimits {
  maxEntryBytes: number;
  maxRatio: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const MAX_CENTRAL_DIRECTORY = 256 * 1024 * 1024;
/** Ratios are only judged once an entry has produced this much; tiny parts can compress oddly. */
const RATIO_GRACE = 1024 * 1024;
const READ_CHUNK = 256 * 1024;

/** Reads `length` bytes at `position` (fewer at the end of the file). */
async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** An open ZIP archive. Close it when done. */
export class ZipArchive {
  readonly file: string;
  readonly size: number;
  readonly #handle: FileHandle;
  readonly #entries: Map<string, ZipEntry>;
  #closed = false;

  private constructor(file: string, handle: FileHandle, size: number, entries: Map<string, ZipEntry>) {
    this.file = file;
    this.#handle = handle;
    this.size = size;
    this.#entries = entries;
  }

  /**
   * Opens `file` and reads its central directory.
   * @example const zip = await ZipArchive.open("data/x.xlsx"); zip.entry("xl/workbook.xml");
   */
  static async open(file: string): Promise<ZipArchive> {
    let handle: FileHandle;
    try {
      handle = await open(file, "r");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // A file there that we may not read is no missing file: its own code, so a run (and the
      // schedule, which loads such a file again once it can be read) does not take it for one.
      if (code === "EACCES" || code === "EPERM") throw new XlsxError("unreadable", `Cannot read ${file}: the file cannot be opened (${code}): no permission to read it.`, file);
      const why = code === "ENOENT" ? "the file does not exist" : code === "EISDIR" ? "it is a folder" : `the file cannot be opened (${code ?? "error"})`;
      throw new XlsxError("not-found", `Cannot read ${file}: ${why}.`, file);
    }
    try {
      const size = (await handle.stat()).size;
      const entries = await readDirectory(file, handle, size);
      return new ZipArchive(file, handle, size, entries);
    } catch (e) {
      await handle.close().catch(() => {});
      throw e;
    }
  }

  /** The entry named `name` (ZIP names are matched case-insensitively, as OPC part names are). */
  entry(name: string): ZipEntry | undefined {
    return this.#entries.get(name.toLowerCase());
  }

  /** All entry names, in central directory order. */
  names(): string[] {
    return [...this.#entries.values()].map((e) => e.name);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close();
  }

  /**
   * Streams the inflated bytes of `entry` in chunks, enforcing `limits`. `onRead` receives the
   * compressed bytes consumed so far. Breaking out of the loop stops reading and inflating.
   * @example for await (const chunk of zip.stream(entry, limits)) tokenizer.feed(chunk);
   */
  async *stream(entry: ZipEntry, limits: InflateLimits, onRead?: (consumed: number) => void): AsyncGenerator<Buffer> {
    const file = this.file;
    if (this.#closed) throw new XlsxError("not-found", `Cannot read ${file}: the workbook was already closed.`, file);
    if (entry.flags & 1) {
      throw new XlsxError("encrypted", `Cannot read ${file}: the ZIP entry '${entry.name}' is encrypted.`, file);
    }
    if (entry.method !== 0 && entry.method !== 8) {
      throw new XlsxError("unsupported", `Cannot read ${file}: the ZIP entry '${entry.name}' uses compression method ${entry.method}; only stored and deflate are supported.`, file);
    }
    const tooLarge = (why: string) =>
      new XlsxError("too-large", `Cannot read ${file}: the entry '${entry.name}' ${why}; refusing to read it (possible zip bomb).`, file);
    if (entry.uncompressedSize > limits.maxEntryBytes) {
      throw tooLarge(`would inflate to ${entry.uncompressedSize} bytes, over the limit of ${limits.maxEntryBytes}`);
    }
    if (entry.uncompressedSize > RATIO_GRACE && entry.uncompressedSize > limits.maxRatio * Math.max(entry.compressedSize, 1)) {
      throw tooLarge(`declares ${entry.uncompressedSize} bytes from ${entry.compressedSize} compressed, more than ${limits.maxRatio} times`);
    }
    const start = await this.#dataStart(entry);
    if (entry.compressedSize === 0) {
      if (entry.uncompressedSize !== 0 && entry.method === 0) throw corrupt(file, entry, "is empty but should not be");
      if (entry.method === 0) return;
    }
    // Our own read loop wrapped in a Readable: fs read streams close the fd when destroyed, and
    // the workbook keeps one handle open for all its entries.
    let consumed = 0;
    const handle = this.#handle;
    const end = start + entry.compressedSize;
    async function* compressed(): AsyncGenerator<Buffer> {
      for (let pos = start; pos < end; ) {
        const want = Math.min(READ_CHUNK, end - pos);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await handle.read(buf, 0, want, pos);
        if (bytesRead === 0) throw truncated(file, `the entry '${entry.name}' is cut short`);
        pos += bytesRead;
        consumed += bytesRead;
        onRead?.(consumed);
        yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
      }
    }
    const rs = Readable.from(compressed(), { objectMode: false, highWaterMark: READ_CHUNK });
    let source: Readable = rs;
    let inflate: InflateRaw | null = null;
    if (entry.method === 8) {
      // A deep output buffer lets the thread pool inflate ahead while this thread parses.
      // (zlib passes stream options through to its Transform; @types/node does not list them.)
      // Big output chunks: each one costs a main-thread callback and a trip through our loop, and
      // 512 KiB measured a little faster than 64 or 128 KiB on the 238 MB sheet.
      const options: ZlibOptions & TransformOptions = { chunkSize: 512 * 1024, readableHighWaterMark: 2 * 1024 * 1024 };
      inflate = createInflateRaw(options);
      pipeline(rs, inflate, () => {});
      source = inflate;
    }
    let produced = 0;
    let crc = 0;
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        produced += chunk.length;
        crc = crc32(chunk, crc);
        if (produced > limits.maxEntryBytes) throw tooLarge(`inflates past the limit of ${limits.maxEntryBytes} bytes`);
        if (produced > RATIO_GRACE && produced > limits.maxRatio * Math.max(consumed, 1)) {
          throw tooLarge(`inflates more than ${limits.maxRatio} times its compressed size`);
        }
        if (produced > entry.uncompressedSize) {
          throw tooLarge(`inflates past the ${entry.uncompressedSize} bytes the ZIP declares`);
        }
        yield chunk;
      }
    } catch (e) {
      if (e instanceof XlsxError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "Z_BUF_ERROR" || (e as Error).message?.includes("unexpected end")) {
        throw new XlsxError("truncated", `Cannot read ${file}: the entry '${entry.name}' is cut short.`, file);
      }
      if (typeof code === "string" && code.startsWith("Z_")) throw corrupt(file, entry, "has damaged compressed data");
      if (code === "EBADF" || code === "ERR_USE_AFTER_CLOSE" || this.#closed) {
        throw new XlsxError("not-found", `Cannot read ${file}: the workbook was closed while reading '${entry.name}'.`, file);
      }
      throw corrupt(file, entry, `could not be read (${(e as Error).message})`);
    } finally {
      rs.destroy();
      inflate?.destroy();
    }
    if (produced !== entry.uncompressedSize) {
      throw corrupt(file, entry, `inflates to ${produced} bytes but the ZIP declares ${entry.uncompressedSize}`);
    }
    // Without this, a damaged stored entry (or deflate data that still decodes) would be read as
    // wrong cell values; the CRC turns it into a clear error once the entry has been read.
    if (crc !== entry.crc) {
      throw corrupt(file, entry, `fails its checksum (CRC-32 ${hex(crc)}, the ZIP declares ${hex(entry.crc)})`);
    }
  }

  /** Reads a whole (small) entry into one buffer, with the same limits. */
  async read(entry: ZipEntry, limits: InflateLimits): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of this.stream(entry, limits)) parts.push(chunk);
    return Buffer.concat(parts);
  }

  /** Where the entry's data starts: after the local header, whose name/extra lengths may differ from the central one. */
  async #dataStart(entry: ZipEntry): Promise<number> {
    const file = this.file;
    if (entry.localHeaderOffset + 30 > this.size) throw truncated(file, `the entry '${entry.name}' starts past the end of the file`);
    const h = await readAt(this.#handle, entry.localHeaderOffset, 30);
    if (h.length < 30) throw truncated(file, `the entry '${entry.name}' is cut short`);
    if (h.readUInt32LE(0) !== SIG_LOCAL) throw corruptArchive(file, `the entry '${entry.name}' has no local header where the directory says`);
    const start = entry.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
    if (start + entry.compressedSize > this.size) throw truncated(file, `the entry '${entry.name}' is cut short`);
    return start;
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function truncated(file: string, why: string): XlsxError {
  return new XlsxError("truncated", `Cannot read ${file}: it looks cut off (${why}). Copy or download it again.`, file);
}

function corrupt(file: string, entry: ZipEntry, why: string): XlsxError {
  return new XlsxError("corrupt", `Cannot read ${file}: the entry '${entry.name}' ${why}. The file is damaged.`, file);
}

function corruptArchive(file: string, why: string): XlsxError {
  return new XlsxError("corrupt", `Cannot read ${file}: the ZIP structure is damaged (${why}).`, file);
}

/**
 * Where the end-of-central-directory record starts in `tail`, the last bytes of a ZIP file (22 +
 * 65,535 hold it whatever its comment), or -1: the last record whose comment ends within them. A
 * writer puts it last, so a copy or save still under way has none.
 *
 * @example
 * ```ts
 * zipEndIn(lastBytesOf("relaciones.xlsx")); // 1840 (-1 for a file cut short)
 * ```
 */
export function zipEndIn(tail: Buffer): number {
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 5 && tail[i + 3] === 6 && i + 22 + tail.readUInt16LE(i + 20) <= tail.length) return i;
  }
  return -1;
}

/** Sniffs the file type, finds the end-of-central-directory record (and ZIP64 one), reads the directory. */
async function readDirectory(file: string, handle: FileHandle, size: number): Promise<Map<string, ZipEntry>> {
  // Mostly a save or copy not done yet (or a sync client's placeholder): "not an .xlsx workbook"
  // sent the user looking for some other kind of file.
  if (size === 0) throw new XlsxError("not-zip", `Cannot read ${file}: the file is empty (0 bytes); it may still be being saved or copied: save or copy it again.`, file);
  const head = await readAt(handle, 0, Math.min(size, 8));
  if (head.length >= 8 && head.equals(OLE_MAGIC)) throw await oleError(file, handle, size);
  if (head.length < 4 || head[0] !== 0x50 || head[1] !== 0x4b) {
    throw new XlsxError("not-zip", `Cannot read ${file}: it is not an .xlsx workbook (an .xlsx file is a ZIP archive, and this one does not start like one).`, file);
  }
  // The EOCD record is 22 bytes plus a comment of up to 65535 bytes at the very end.
  const tailLen = Math.min(size, 22 + 65535 + 20);
  const tailStart = size - tailLen;
  const tail = await readAt(handle, tailStart, tailLen);
  const eocd = zipEndIn(tail);
  if (eocd < 0) throw truncated(file, "the ZIP central directory at the end of the file is missing");
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  const loc = eocd - 20;
  if (loc >= 0 && tail.readUInt32LE(loc) === SIG_EOCD64_LOCATOR) {
    const recOffset = Number(tail.readBigUInt64LE(loc + 8));
    if (recOffset + 56 > size) throw truncated(file, "the ZIP64 directory record lies past the end of the file");
    const rec = await readAt(handle, recOffset, 56);
    if (rec.length < 56 || rec.readUInt32LE(0) !== SIG_EOCD64) throw corruptArchive(file, "the ZIP64 directory record is missing");
    count = Number(rec.readBigUInt64LE(32));
    cdSize = Number(rec.readBigUInt64LE(40));
    cdOffset = Number(rec.readBigUInt64LE(48));
  }
  const eocdAbs = tailStart + eocd;
  if (cdOffset + cdSize > eocdAbs) throw truncated(file, "the ZIP central directory lies past the end of the file");
  if (cdSize > MAX_CENTRAL_DIRECTORY) {
    throw new XlsxError("too-large", `Cannot read ${file}: its ZIP directory is ${cdSize} bytes, far more than any workbook needs.`, file);
  }
  const cd = await readAt(handle, cdOffset, cdSize);
  if (cd.length < cdSize) throw truncated(file, "the ZIP central directory is cut short");
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) throw corruptArchive(file, `directory record ${n + 1} is broken`);
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc = cd.readUInt32LE(p + 16);
    let compressedSize = cd.readUInt32LE(p + 20);
    let uncompressedSize = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    let localHeaderOffset = cd.readUInt32LE(p + 42);
    const nameStart = p + 46;
    const extraStart = nameStart + nameLen;
    const next = extraStart + extraLen + commentLen;
    if (next > cd.length) throw corruptArchive(file, `directory record ${n + 1} is broken`);
    const name = cd.toString(flags & 0x800 ? "utf8" : "latin1", nameStart, extraStart);
    // ZIP64 extended information: only the fields that are 0xFFFFFFFF in the record are present, in order.
    if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      let e = extraStart;
      const extraEnd = extraStart + extraLen;
      while (e + 4 <= extraEnd) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (e + 4 + len > extraEnd) break;
        if (id === 1) {
          let f = e + 4;
          const fEnd = f + len;
          if (uncompressedSize === 0xffffffff && f + 8 <= fEnd) (uncompressedSize = Number(cd.readBigUInt64LE(f))), (f += 8);
          if (compressedSize === 0xffffffff && f + 8 <= fEnd) (compressedSize = Number(cd.readBigUInt64LE(f))), (f += 8);
          if (localHeaderOffset === 0xffffffff && f + 8 <= fEnd) localHeaderOffset = Number(cd.readBigUInt64LE(f));
          break;
        }
        e += 4 + len;
      }
    }
    if (localHeaderOffset + 30 > size || compressedSize > size) {
      throw truncated(file, `the entry '${name}' lies past the end of the file`);
    }
    entries.set(name.toLowerCase(), { name, method, flags, crc, compressedSize, uncompressedSize, localHeaderOffset });
    p = next;
  }
  return entries;
}

/**
 * An OLE/CFB container is either a password-protected .xlsx (Office wraps the encrypted package in
 * one) or a legacy .xls. We look at the first directory sector's stream names to tell which.
 */
async function oleError(file: string, handle: FileHandle, size: number): Promise<XlsxError> {
  let names = "";
  try {
    const header = await readAt(handle, 0, 512);
    const sectorShift = header.readUInt16LE(30);
    const dirSector = header.readUInt32LE(48);
    if (sectorShift >= 9 && sectorShift <= 12) {
      const sectorSize = 1 << sectorShift;
      const at = (dirSector + 1) * sectorSize;
      if (at + sectorSize <= size) names = (await readAt(handle, at, sectorSize)).toString("utf16le");
    }
  } catch {
    // fall through to the generic message
  }
  if (names.includes("EncryptedPackage") || names.includes("EncryptionInfo")) {
    return new XlsxError("encrypted", `Cannot read ${file}: it is a password-protected workbook. Open it in Excel, remove the password (File > Info > Protect Workbook), save and try again.`, file);
  }
  if (names.includes("Workbook") || names.includes("Book")) {
    return new XlsxError("xls", `Cannot read ${file}: it is a legacy Excel 97-2003 .xls workbook renamed to .xlsx. Open it in Excel and save it as .xlsx.`, file);
  }
  return new XlsxError("encrypted", `Cannot read ${file}: it is an OLE container, not a ZIP: either a password-protected workbook or a legacy .xls file. Remove the password or save it as .xlsx in Excel.`, file);
}
