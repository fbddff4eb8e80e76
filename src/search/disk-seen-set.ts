// The part of the seen set that lives on disk (--storage disk): every key moved out of the
// in-memory table, in one file sorted by key, with the first key of each chunk of the file
// kept in memory as its index — TLC's DiskFPSet. A flush merges the table's keys (sorted)
// into a new file; a level's new states are looked up in one pass, each chunk that holds
// one of them read once.
import { closeSync, openSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { readAll, writeAll } from './file-io.ts';

/** Keys per chunk of the file (8 bytes a key: 512 KiB a chunk). */
const CHUNK_KEYS = 65536;

/** Unsigned order of stored keys, low word first: negative, zero or positive. */
function compareKeys(l1: number, h1: number, l2: number, h2: number): number {
  return (l1 >>> 0) - (l2 >>> 0) || (h1 >>> 0) - (h2 >>> 0);
}

/**
 * Sorts the `n` keys held as [low, high] pairs at the front of `keys` by (low, high),
 * unsigned: an insertion sort, for keys already nearly in order (a table's slots, in the
 * order of their home slot).
 */
export function sortNearlySorted(keys: Int32Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const l = keys[2 * i];
    const h = keys[2 * i + 1];
    let j = i - 1;
    if (compareKeys(keys[2 * j], keys[2 * j + 1], l, h) <= 0) continue;
    while (j >= 0 && compareKeys(keys[2 * j], keys[2 * j + 1], l, h) > 0) {
      keys[2 * j + 2] = keys[2 * j];
      keys[2 * j + 3] = keys[2 * j + 1];
      j--;
    }
    keys[2 * j + 2] = l;
    keys[2 * j + 3] = h;
  }
}

/**
 * True when key (l, h) is among the `m` sorted keys of `ch`. Keys are fingerprints, spread
 * evenly: an interpolation search on the low word takes a few probes where a binary search
 * takes 16, then a binary search finishes a range the guesses no longer narrow.
 */
function searchChunk(ch: Int32Array, m: number, l: number, h: number): boolean {
  const ul = l >>> 0;
  let lo = 0;
  let hi = m - 1;
  for (let probes = 0; lo <= hi && probes < 4; probes++) {
    const first = ch[2 * lo] >>> 0;
    const last = ch[2 * hi] >>> 0;
    if (ul < first || ul > last) return false;
    const mid = last === first ? lo : lo + Math.floor(((ul - first) / (last - first)) * (hi - lo));
    const cmp = compareKeys(ch[2 * mid], ch[2 * mid + 1], l, h);
    if (cmp === 0) return true;
    if (cmp < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const cmp = compareKeys(ch[2 * mid], ch[2 * mid + 1], l, h);
    if (cmp === 0) return true;
    if (cmp < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** A sorted run of keys in memory: [low, high] pairs, `n` of them. */
export interface SortedKeys {
  readonly keys: Int32Array;
  readonly n: number;
}

/** The seen set's keys on disk, sorted, with an index in memory. */
export class DiskSeenSet {
  /** Keys in the file. */
  size = 0;
  /** First key of each chunk ([low, high] pairs). */
  private index = new Int32Array(0);
  private fd = -1;
  private generation = 0;
  private readonly chunk = new Int32Array(CHUNK_KEYS * 2);
  private readonly chunkBytes = new Uint8Array(this.chunk.buffer);

  constructor(private readonly dir: string) {}

  private path(generation: number): string {
    return join(this.dir, `seen-${generation}.keys`);
  }

  /** Bytes of the file. */
  get diskBytes(): number {
    return this.size * 8;
  }

  /** Bytes held in memory (the index and the chunk buffer). */
  get bytes(): number {
    return this.index.byteLength + this.chunk.byteLength;
  }

  /** Reads chunk `c` of the file into `this.chunk`; returns its number of keys. */
  private readChunk(c: number): number {
    const n = Math.min(CHUNK_KEYS, this.size - c * CHUNK_KEYS);
    const want = n * 8;
    readAll(this.fd, this.chunkBytes.subarray(0, want), c * CHUNK_KEYS * 8, () => new Error('internal error: the seen set\'s file ended early'));
    return n;
  }

  /**
   * Merges sorted runs of keys (each sorted by `sortNearlySorted`'s order) into the file: a
   * new file holding the old keys and theirs, each once. Returns the bytes the directory
   * held at most meanwhile (the old file and the new).
   */
  merge(runs: readonly SortedKeys[]): number {
    const next = this.generation + 1;
    const out = openSync(this.path(next), 'w');
    const buf = new Int32Array(CHUNK_KEYS * 2);
    const bufBytes = new Uint8Array(buf.buffer);
    const index: number[] = [];
    let outN = 0;
    let bufN = 0;
    let lastL = 0;
    let lastH = 0;
    const emit = (l: number, h: number) => {
      if (outN > 0 && l === lastL && h === lastH) return;
      if (bufN === 0) index.push(l, h);
      buf[2 * bufN] = l;
      buf[2 * bufN + 1] = h;
      lastL = l;
      lastH = h;
      outN++;
      if (++bufN === CHUNK_KEYS) {
        writeAll(out, bufBytes.subarray(0, bufN * 8));
        bufN = 0;
      }
    };
    // Sources: the old file, chunk by chunk, and each run; the smallest head goes out next.
    const heads = runs.map(() => 0);
    let fileChunk = 0;
    let fileN = this.size > 0 ? this.readChunk(0) : 0;
    let fileAt = 0;
    for (;;) {
      let best = -1;
      let bl = 0;
      let bh = 0;
      if (fileAt < fileN) {
        best = runs.length;
        bl = this.chunk[2 * fileAt];
        bh = this.chunk[2 * fileAt + 1];
      }
      for (let r = 0; r < runs.length; r++) {
        const i = heads[r];
        if (i >= runs[r].n) continue;
        const l = runs[r].keys[2 * i];
        const h = runs[r].keys[2 * i + 1];
        if (best < 0 || compareKeys(l, h, bl, bh) < 0) {
          best = r;
          bl = l;
          bh = h;
        }
      }
      if (best < 0) break;
      emit(bl, bh);
      if (best < runs.length) heads[best]++;
      else if (++fileAt === fileN) {
        fileChunk++;
        fileAt = 0;
        fileN = fileChunk * CHUNK_KEYS < this.size ? this.readChunk(fileChunk) : 0;
      }
    }
    if (bufN > 0) writeAll(out, bufBytes.subarray(0, bufN * 8));
    closeSync(out);
    const peak = this.size * 8 + outN * 8;
    if (this.fd >= 0) {
      closeSync(this.fd);
      unlinkSync(this.path(this.generation));
    }
    this.generation = next;
    this.fd = openSync(this.path(next), 'r');
    this.size = outN;
    this.index = Int32Array.from(index);
    return peak;
  }

  /** The chunk that would hold key (l, h): the last whose first key is not above it. */
  private chunkOf(l: number, h: number): number {
    const idx = this.index;
    let lo = 0;
    let hi = idx.length / 2 - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (compareKeys(idx[2 * mid], idx[2 * mid + 1], l, h) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Looks up `n` stored keys given as [low, high] pairs: sets `found[i]` to 1 for each one in
   * the file (and leaves the others). Each chunk holding one of them is read once.
   */
  lookup(keys: Int32Array, n: number, found: Uint8Array): void {
    if (this.size === 0 || n === 0) return;
    const chunks = this.index.length / 2;
    // Bucket the keys by chunk (a counting sort), then read each chunk with keys once.
    const chunkOf = new Uint32Array(n);
    const counts = new Uint32Array(chunks + 1);
    for (let i = 0; i < n; i++) {
      const c = this.chunkOf(keys[2 * i], keys[2 * i + 1]);
      chunkOf[i] = c;
      counts[c + 1]++;
    }
    for (let c = 0; c < chunks; c++) counts[c + 1] += counts[c];
    const order = new Uint32Array(n);
    const fill = counts.slice(0, chunks);
    for (let i = 0; i < n; i++) order[fill[chunkOf[i]]++] = i;
    for (let c = 0; c < chunks; c++) {
      if (counts[c] === counts[c + 1]) continue;
      const m = this.readChunk(c);
      const ch = this.chunk;
      for (let j = counts[c]; j < counts[c + 1]; j++) {
        const i = order[j];
        if (searchChunk(ch, m, keys[2 * i], keys[2 * i + 1])) found[i] = 1;
      }
    }
  }

  /** Closes and removes the file. */
  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
    try {
      unlinkSync(this.path(this.generation));
    } catch {
      // Removed with its directory already.
    }
  }

  /** The file's size as the file system reports it (a check on `diskBytes`). */
  fileBytes(): number {
    return this.fd < 0 ? 0 : statSync(this.path(this.generation)).size;
  }
}
