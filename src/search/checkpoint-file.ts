// A checkpoint file: what a breadth-first search needs to go on from a level boundary — the
// seen set's keys, the trace arrays, the frontier, the figures and the model's identity — in
// one file per directory, written atomically (a temporary name, fsync, rename, fsync of the
// directory: a crash leaves the last complete checkpoint) and read back whole, refused when
// it is not one, is of a newer format, or is truncated or corrupt (a SHA-256 of every byte
// before it closes the file). Nothing here knows the search: a cluster node can checkpoint
// its own partition with the same two calls.
//
// Layout: "MMCKPT\0\0", the format version (u32, little-endian), the header's length (u32),
// the header (JSON: identity, figures, extra, and each section's name, type, length and
// offset), padding to 8 bytes, the sections (typed arrays, little-endian, each at an offset
// that is a multiple of 8), and the SHA-256 (32 bytes) of all that precedes it.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { CompactLevel } from './frontier-file.ts';
import { readAll, writeAll } from './file-io.ts';

/** The format this build writes; it reads this one and older ones it knows. */
export const CHECKPOINT_FORMAT = 1;

/** The checkpoint's name in its directory. */
export const CHECKPOINT_FILE = 'checkpoint.mmck';

const MAGIC = Buffer.from('MMCKPT\0\0', 'latin1');
const DIGEST_BYTES = 32;

/** What must match for a checkpoint to continue a search: the model, its parameters, the options that change the state space. */
export interface CheckpointIdentity {
  /** The model's name and the SHA-256 of its file ('' when it was given built, not by file). */
  readonly model: string;
  readonly file: string;
  readonly fileDigest: string;
  /** Parameters, as JSON with sorted keys. */
  readonly params: string;
  readonly engine: string;
  /** Options that change the states searched or the answer (reductions, --max-depth, --all-properties), as `name=value` lines. */
  readonly options: readonly string[];
  /** model-identity.ts's digest of the model at its start. */
  readonly digest: string;
}

/** One BFS level of the trace arrays (trace-store.ts): packed (parent position << 8 | action), or wide. */
export interface CheckpointTraceLevel {
  readonly start: number;
  readonly prevStart: number;
  readonly packed?: Uint32Array;
  readonly parents?: Uint32Array;
  readonly actions?: Uint16Array;
}

/** The frontier: the states of the next level to expand, in BFS order, with their keys and encodings (each decodable on its own). */
export type CheckpointFrontier = CompactLevel;

/** Everything a checkpoint holds. */
export interface CheckpointContent {
  readonly identity: CheckpointIdentity;
  /** The figures so far and the level number (JSON values). */
  readonly figures: Readonly<Record<string, number | boolean>>;
  /** Anything else its writer needs back (JSON). */
  readonly extra: Readonly<Record<string, unknown>>;
  /** The seen set's keys, as stored words [high, low] per key. */
  readonly keys: CheckpointKeys;
  readonly trace: readonly CheckpointTraceLevel[];
  readonly frontier: CheckpointFrontier;
  /** Other typed arrays by name (e.g. the invariants' record of slots read). */
  readonly blobs?: Readonly<Record<string, Uint8Array>>;
}

/**
 * Keys: how many, and the arrays that hold them ([high, low] pairs), made one at a time as the
 * file is written (so a seen set of gigabytes is not copied whole); read back as one array.
 */
export interface CheckpointKeys {
  readonly count: number;
  chunks(): Iterable<Int32Array>;
}

/** A checkpoint that cannot be read or written: the message is one line, for the user. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

type SectionType = 'i32' | 'u32' | 'u16' | 'u8';
type Typed = Int32Array | Uint32Array | Uint16Array | Uint8Array;
interface Section {
  readonly name: string;
  readonly type: SectionType;
  readonly length: number;
  readonly offset: number;
}

function typeOf(a: Typed): SectionType {
  return a instanceof Int32Array ? 'i32' : a instanceof Uint32Array ? 'u32' : a instanceof Uint16Array ? 'u16' : 'u8';
}

const pad8 = (n: number) => (n + 7) & ~7;

/** The sections of `c` in file order, each a list of arrays written one after the other. */
function sectionsOf(c: CheckpointContent): { name: string; type: SectionType; length: number; parts: Iterable<Typed> }[] {
  const out: { name: string; type: SectionType; length: number; parts: Iterable<Typed> }[] = [{ name: 'keys', type: 'i32', length: 2 * c.keys.count, parts: { [Symbol.iterator]: () => c.keys.chunks()[Symbol.iterator]() } }];
  const one = (name: string, a: Typed) => out.push({ name, type: typeOf(a), length: a.length, parts: [a] });
  c.trace.forEach((l, i) => {
    if (l.packed !== undefined) one(`trace.${i}.packed`, l.packed);
    else {
      one(`trace.${i}.parents`, l.parents!);
      one(`trace.${i}.actions`, l.actions!);
    }
  });
  const f = c.frontier;
  for (const [name, a] of [
    ['fps', f.fps],
    ['parents', f.parents],
    ['actions', f.actions],
    ['offsets', f.offsets],
    ['bytes', f.bytes],
  ] as const)
    one(`frontier.${name}`, a);
  for (const [name, a] of Object.entries(c.blobs ?? {})) one(`blob.${name}`, a);
  return out;
}

/** Writes `buf` whole at the file's end, hashing it. */
function put(fd: number, hash: Hash, buf: Uint8Array): void {
  hash.update(buf);
  writeAll(fd, buf);
}

/**
 * Writes the checkpoint into `dir` (made if missing): to a temporary name, synced, then
 * renamed over the last one, so the directory always holds a complete checkpoint. Returns
 * the file's bytes.
 */
export function writeCheckpoint(dir: string, content: CheckpointContent): number {
  mkdirSync(dir, { recursive: true });
  const sections = sectionsOf(content);
  const bytesOf = (t: SectionType) => (t === 'i32' || t === 'u32' ? 4 : t === 'u16' ? 2 : 1);
  // Offsets from the start of the data (after the header, padded to 8).
  let at = 0;
  const table: Section[] = sections.map((s) => {
    const sec = { name: s.name, type: s.type, length: s.length, offset: at };
    at = pad8(at + s.length * bytesOf(s.type));
    return sec;
  });
  const traceLevels = content.trace.map((l) => ({ start: l.start, prevStart: l.prevStart }));
  const header = Buffer.from(JSON.stringify({ identity: content.identity, figures: content.figures, extra: content.extra, trace: traceLevels, count: content.frontier.count, sections: table, dataBytes: at }), 'utf8');
  const tmp = join(dir, `${CHECKPOINT_FILE}.tmp-${process.pid}`);
  const fd = openSync(tmp, 'w');
  const hash = createHash('sha256');
  try {
    const lead = Buffer.alloc(16);
    MAGIC.copy(lead, 0);
    lead.writeUInt32LE(CHECKPOINT_FORMAT, 8);
    lead.writeUInt32LE(header.length, 12);
    put(fd, hash, lead);
    put(fd, hash, header);
    put(fd, hash, Buffer.alloc(pad8(16 + header.length) - 16 - header.length));
    let written = 0;
    sections.forEach((s, i) => {
      for (const p of s.parts) {
        const raw = new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
        put(fd, hash, raw);
        written += raw.length;
      }
      if (written !== table[i].offset + s.length * bytesOf(s.type)) throw new Error(`internal error: checkpoint section '${s.name}' held other than the ${s.length} elements it announced`);
      const end = i + 1 < table.length ? table[i + 1].offset : at;
      if (end > written) {
        put(fd, hash, new Uint8Array(end - written));
        written = end;
      }
    });
    const digest = hash.digest();
    writeSync(fd, digest);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const file = join(dir, CHECKPOINT_FILE);
  renameSync(tmp, file);
  // The rename itself lasts once the directory is synced.
  const d = openSync(dir, 'r');
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
  return pad8(16 + header.length) + at + DIGEST_BYTES;
}

/** Reads `length` bytes at `position` of the file. */
function readAt(fd: number, buf: Uint8Array, position: number): void {
  readAll(fd, buf, position, () => new CheckpointError('truncated'));
}

/**
 * Reads the checkpoint in `dir`. Throws CheckpointError (one line: what is wrong with which
 * file) when there is none, it is not a checkpoint, it is of a newer format, or it is
 * truncated or corrupt.
 */
export function readCheckpoint(dir: string): CheckpointContent {
  const file = join(dir, CHECKPOINT_FILE);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new CheckpointError(`no checkpoint in '${dir}' (${(e as NodeJS.ErrnoException).code === 'ENOENT' ? `no file ${CHECKPOINT_FILE}` : (e as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    const lead = Buffer.alloc(16);
    if (size < 16 + DIGEST_BYTES) throw new CheckpointError(`'${file}' is truncated (${size} bytes)`);
    readAt(fd, lead, 0);
    if (!lead.subarray(0, 8).equals(MAGIC)) throw new CheckpointError(`'${file}' is not an mmcheck checkpoint`);
    const format = lead.readUInt32LE(8);
    if (format > CHECKPOINT_FORMAT) throw new CheckpointError(`'${file}' is of checkpoint format ${format}, newer than this mmcheck reads (${CHECKPOINT_FORMAT}): resume it with the mmcheck that wrote it`);
    const headerBytes = lead.readUInt32LE(12);
    if (16 + headerBytes + DIGEST_BYTES > size) throw new CheckpointError(`'${file}' is truncated (${size} bytes)`);
    const body = Buffer.allocUnsafe(size - DIGEST_BYTES);
    readAt(fd, body, 0);
    const digest = Buffer.alloc(DIGEST_BYTES);
    readAt(fd, digest, size - DIGEST_BYTES);
    let header: { identity: CheckpointIdentity; figures: Record<string, number | boolean>; extra: Record<string, unknown>; trace: { start: number; prevStart: number }[]; count: number; sections: Section[]; dataBytes: number };
    try {
      header = JSON.parse(body.subarray(16, 16 + headerBytes).toString('utf8'));
    } catch {
      throw new CheckpointError(`'${file}' is corrupt (its header is not readable)`);
    }
    const dataAt = pad8(16 + headerBytes);
    if (typeof header.dataBytes !== 'number' || dataAt + header.dataBytes !== body.length) throw new CheckpointError(`'${file}' is truncated or corrupt (${size} bytes, not the ${dataAt + (header.dataBytes ?? 0) + DIGEST_BYTES} its header gives)`);
    if (!createHash('sha256').update(body).digest().equals(digest)) throw new CheckpointError(`'${file}' is corrupt (its SHA-256 does not match its contents)`);
    return contentOf(header, body, dataAt);
  } finally {
    closeSync(fd);
  }
}

/** The content from a verified file's header and bytes. */
function contentOf(
  header: { identity: CheckpointIdentity; figures: Record<string, number | boolean>; extra: Record<string, unknown>; trace: { start: number; prevStart: number }[]; count: number; sections: Section[] },
  body: Buffer,
  dataAt: number,
): CheckpointContent {
  const byName = new Map(header.sections.map((s) => [s.name, s]));
  // Copied out of the file's buffer: each array gets its own (aligned) memory.
  const view = <T extends Typed>(name: string, make: (b: ArrayBuffer, n: number) => T, width: number): T => {
    const s = byName.get(name);
    if (s === undefined) throw new CheckpointError(`the checkpoint has no section '${name}'`);
    const copy = new ArrayBuffer(s.length * width);
    new Uint8Array(copy).set(body.subarray(dataAt + s.offset, dataAt + s.offset + s.length * width));
    return make(copy, s.length);
  };
  const i32 = (n: string) => view(n, (b, k) => new Int32Array(b, 0, k), 4);
  const u32 = (n: string) => view(n, (b, k) => new Uint32Array(b, 0, k), 4);
  const u16 = (n: string) => view(n, (b, k) => new Uint16Array(b, 0, k), 2);
  const u8 = (n: string) => view(n, (b, k) => new Uint8Array(b, 0, k), 1);
  const trace = header.trace.map((l, i): CheckpointTraceLevel => (byName.has(`trace.${i}.packed`) ? { ...l, packed: u32(`trace.${i}.packed`) } : { ...l, parents: u32(`trace.${i}.parents`), actions: u16(`trace.${i}.actions`) }));
  const blobs: Record<string, Uint8Array> = {};
  for (const s of header.sections) if (s.name.startsWith('blob.')) blobs[s.name.slice(5)] = u8(s.name);
  return {
    identity: header.identity,
    figures: header.figures,
    extra: header.extra,
    keys: oneArray(i32('keys')),
    trace,
    frontier: { count: header.count, fps: u32('frontier.fps'), parents: u32('frontier.parents'), actions: u16('frontier.actions'), offsets: u32('frontier.offsets'), bytes: u8('frontier.bytes') },
    blobs,
  };
}

/** Keys held in one array. */
export function oneArray(keys: Int32Array): CheckpointKeys {
  return { count: keys.length / 2, chunks: () => [keys] };
}

/** Why `found` cannot continue a search of `wanted`: one line naming what differs, or undefined when they match. */
export function identityMismatch(found: CheckpointIdentity, wanted: CheckpointIdentity): string | undefined {
  if (found.model !== wanted.model) return `it is of model '${found.model}', not '${wanted.model}'`;
  if (found.fileDigest !== wanted.fileDigest) return `model '${found.model}' was read from a file with other contents (${found.file || 'a built model'}): the model changed since`;
  if (found.params !== wanted.params) return `its parameters were ${paramsDiff(found.params, wanted.params)}`;
  if (found.engine !== wanted.engine) return `it was made on the ${found.engine} engine, not the ${wanted.engine} one (--engine ${found.engine})`;
  const a = found.options.join(', ');
  const b = wanted.options.join(', ');
  if (a !== b) return `it was made with ${a || 'no such options'}, not ${b || 'none'}`;
  if (found.digest !== wanted.digest) return `the model behaves differently from the one that made it (its initial states or their steps differ)`;
  return undefined;
}

/** The parameters that differ, as `-p name=value` of each side ("faults=1, not faults=2"). */
function paramsDiff(found: string, wanted: string): string {
  try {
    const a = JSON.parse(found) as Record<string, unknown>;
    const b = JSON.parse(wanted) as Record<string, unknown>;
    const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
    const side = (o: Record<string, unknown>) => names.map((k) => (k in o ? `${k}=${typeof o[k] === 'string' ? o[k] : JSON.stringify(o[k])}` : `no ${k}`)).join(' ');
    return `${side(a)}, not ${side(b)}`;
  } catch {
    return `${found}, not ${wanted}`;
  }
}
