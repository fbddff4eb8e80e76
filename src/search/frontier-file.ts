// A level of the search held compactly (its states only, in BFS order: key, parent, action
// and encoding) — what a checkpoint keeps and what a level spilled to disk holds — made from
// a level's blocks and made back into blocks; and the file a spilled level is appended to
// and read back from in slices of consecutive positions (TLC's DiskStateQueue).
import { closeSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { blockSize, blockViews } from './blocks.ts';
import type { CandidateBlock } from './protocol.ts';
import { ByteSink, type StateCodec } from '../state/codec.ts';
import { readAll, writeAll } from './file-io.ts';

/** States of a level, in order. */
export interface CompactLevel {
  readonly count: number;
  /** Pairs [high, low] of each state's seen-set key. */
  readonly fps: Uint32Array;
  /** Each state's parent (global index) and action index. */
  readonly parents: Uint32Array;
  readonly actions: Uint16Array;
  /** count + 1 entries: where each encoded state starts in `bytes`. */
  readonly offsets: Uint32Array;
  readonly bytes: Uint8Array;
}

/** States per block made back from a compact level. */
const BLOCK_STATES = 1 << 16;

/**
 * The members (flagged candidates) of `blocks`, `count` of them, as one compact level. With
 * `codec` (Immutable values, whose encodings refer to collections written earlier in their
 * block: codec.ts), each state is decoded and encoded again on its own, so that it decodes
 * from its own bytes wherever they go; vectors are copied as they are.
 */
export function compactLevel(blocks: readonly CandidateBlock[], count: number, codec?: StateCodec): CompactLevel {
  const f = { count, fps: new Uint32Array(2 * count), parents: new Uint32Array(count), actions: new Uint16Array(count), offsets: new Uint32Array(count + 1) };
  const out = new ByteSink(1 << 12);
  const alone = codec !== undefined ? new ByteSink(1 << 10) : undefined;
  let i = 0;
  for (const b of blocks) {
    const all = b.winners === b.count;
    for (let k = 0; k < b.count; k++) {
      if (!all && b.flags[k] !== 1) continue;
      if (i === count) throw new Error(`internal error: the level's blocks hold more than ${count} states`);
      f.fps[2 * i] = b.fps[2 * k];
      f.fps[2 * i + 1] = b.fps[2 * k + 1];
      f.parents[i] = b.parents[k];
      f.actions[i] = b.actions[k];
      f.offsets[i] = out.length;
      let bytes = b.bytes.subarray(b.offsets[k], b.offsets[k + 1]);
      if (codec !== undefined) {
        alone!.clear();
        codec.encode(codec.decode(b.bytes, b.offsets[k]), alone!);
        bytes = alone!.bytes.subarray(0, alone!.length);
      }
      out.reserve(bytes.length);
      out.bytes.set(bytes, out.length);
      out.length += bytes.length;
      i++;
    }
  }
  if (i !== count) throw new Error(`internal error: the level's blocks hold ${i} states, not ${count}`);
  f.offsets[count] = out.length;
  return { ...f, bytes: out.bytes.slice(0, out.length) };
}

/**
 * A compact level as blocks of a level to expand (every state a member), BLOCK_STATES a
 * block, in new shared memory. With `codec` (Immutable values), each state is decoded from
 * its own bytes and encoded into its block.
 */
export function levelBlocks(f: CompactLevel, codec?: StateCodec): CandidateBlock[] {
  const blocks: CandidateBlock[] = [];
  for (let from = 0; from === 0 || from < f.count; from += BLOCK_STATES) {
    const to = Math.min(f.count, from + BLOCK_STATES);
    const count = to - from;
    let bytes = f.bytes.subarray(f.offsets[from], f.offsets[to]);
    const offsets = new Uint32Array(count + 1);
    for (let k = 0; k <= count; k++) offsets[k] = f.offsets[from + k] - f.offsets[from];
    if (codec !== undefined) {
      const sink = new ByteSink(Math.max(1024, bytes.length));
      for (let k = 0; k < count; k++) offsets[k] = codec.encode(codec.decode(f.bytes.subarray(f.offsets[from + k], f.offsets[from + k + 1]), 0), sink);
      offsets[count] = sink.length;
      bytes = sink.bytes.subarray(0, sink.length);
    }
    const data = new SharedArrayBuffer(Math.max(4, blockSize(count, bytes.length)));
    const v = blockViews(data, count, bytes.length, []);
    v.fps.set(f.fps.subarray(2 * from, 2 * to));
    v.parents.set(f.parents.subarray(from, to));
    v.actions.set(f.actions.subarray(from, to));
    v.offsets.set(offsets);
    v.bytes.set(bytes);
    v.flags.fill(1);
    blocks.push({ count, winners: count, data, ...v });
  }
  return blocks;
}

/** Bytes a compact level holds. */
export function compactBytes(f: CompactLevel): number {
  return f.fps.byteLength + f.parents.byteLength + f.actions.byteLength + f.offsets.byteLength + f.bytes.byteLength;
}

/** Words of a state's record in the records file: key high, key low, parent, action, encoding's length. */
const RECORD = 5;

let files = 0;

/**
 * A level on disk: two files in the spill directory — fixed records (key, parent, action,
 * length of the encoding) and the encodings one after the other — appended to in order,
 * then read back once, from the first state on, a slice at a time.
 */
export class FrontierFile {
  private readonly paths: [string, string];
  private readonly fds: [number, number];
  /** States appended, and bytes of both files. */
  count = 0;
  bytes = 0;
  /** Where the reading has got to: states read, and the offset of the next encoding. */
  private readStates = 0;
  private readAt = 0;

  constructor(dir: string) {
    const n = ++files;
    this.paths = [join(dir, `frontier-${n}.records`), join(dir, `frontier-${n}.states`)];
    this.fds = [openSync(this.paths[0], 'w+'), openSync(this.paths[1], 'w+')];
  }

  private recordsBytes(): number {
    return this.count * RECORD * 4;
  }

  /** Appends a compact level's states after those appended before. */
  append(f: CompactLevel): void {
    const rec = new Uint32Array(RECORD * f.count);
    for (let i = 0; i < f.count; i++) {
      rec[RECORD * i] = f.fps[2 * i];
      rec[RECORD * i + 1] = f.fps[2 * i + 1];
      rec[RECORD * i + 2] = f.parents[i];
      rec[RECORD * i + 3] = f.actions[i];
      rec[RECORD * i + 4] = f.offsets[i + 1] - f.offsets[i];
    }
    writeAll(this.fds[0], new Uint8Array(rec.buffer), this.recordsBytes());
    writeAll(this.fds[1], f.bytes.subarray(0, f.offsets[f.count]), this.bytes - this.recordsBytes());
    this.count += f.count;
    this.bytes += rec.byteLength + f.offsets[f.count];
  }

  /** States not read yet. */
  get left(): number {
    return this.count - this.readStates;
  }

  /** The next `n` states (at most those left), as a compact level. */
  read(n: number): CompactLevel {
    const count = Math.min(n, this.left);
    const rec = new Uint32Array(RECORD * count);
    read(this.fds[0], new Uint8Array(rec.buffer), this.readStates * RECORD * 4);
    const f = { count, fps: new Uint32Array(2 * count), parents: new Uint32Array(count), actions: new Uint16Array(count), offsets: new Uint32Array(count + 1), bytes: new Uint8Array(0) };
    let at = 0;
    for (let i = 0; i < count; i++) {
      f.fps[2 * i] = rec[RECORD * i];
      f.fps[2 * i + 1] = rec[RECORD * i + 1];
      f.parents[i] = rec[RECORD * i + 2];
      f.actions[i] = rec[RECORD * i + 3];
      f.offsets[i] = at;
      at += rec[RECORD * i + 4];
    }
    f.offsets[count] = at;
    const bytes = new Uint8Array(at);
    read(this.fds[1], bytes, this.readAt);
    this.readStates += count;
    this.readAt += at;
    return { ...f, bytes };
  }

  /** Closes and removes both files. */
  close(): void {
    for (let i = 0; i < 2; i++) {
      if (this.fds[i] < 0) continue;
      closeSync(this.fds[i]);
      this.fds[i] = -1;
      try {
        unlinkSync(this.paths[i]);
      } catch {
        // Removed with its directory already.
      }
    }
  }
}

function read(fd: number, buf: Uint8Array, position: number): void {
  readAll(fd, buf, position, () => new Error('internal error: a frontier file ended early'));
}
