// The trace arrays of a search that keeps them on disk (--storage disk): each level's
// parent/action array appended to one file, read back an element at a time when a
// counterexample is rebuilt (a few reads per step of the trace).
import { closeSync, openSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { readAll, writeAll } from './file-io.ts';

/** Where a level's array went: its offset in the file and its length in elements. */
export interface SpilledArray {
  readonly offset: number;
  readonly length: number;
}

/** An append-only file of typed arrays. */
export class TraceFile {
  private readonly path: string;
  private fd: number;
  /** Bytes written. */
  bytes = 0;
  private readonly word = new Uint8Array(4);

  constructor(dir: string) {
    this.path = join(dir, 'trace.bin');
    this.fd = openSync(this.path, 'w+');
  }

  /** Appends the array (4-byte aligned); returns where it is. */
  append(a: Uint32Array | Uint16Array): SpilledArray {
    const offset = this.bytes;
    const raw = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    writeAll(this.fd, raw, offset);
    this.bytes = offset + ((raw.length + 3) & ~3);
    return { offset, length: a.length };
  }

  /** Element `i` of a Uint32Array appended at `at`. */
  u32(at: SpilledArray, i: number): number {
    readSync(this.fd, this.word, 0, 4, at.offset + i * 4);
    return new DataView(this.word.buffer).getUint32(0, true);
  }

  /** Element `i` of a Uint16Array appended at `at`. */
  u16(at: SpilledArray, i: number): number {
    readSync(this.fd, this.word, 0, 2, at.offset + i * 2);
    return new DataView(this.word.buffer).getUint16(0, true);
  }

  /** A whole Uint32Array appended at `at`. */
  readU32(at: SpilledArray): Uint32Array {
    const a = new Uint32Array(at.length);
    this.readInto(new Uint8Array(a.buffer), at.offset);
    return a;
  }

  /** A whole Uint16Array appended at `at`. */
  readU16(at: SpilledArray): Uint16Array {
    const a = new Uint16Array(at.length);
    this.readInto(new Uint8Array(a.buffer), at.offset);
    return a;
  }

  private readInto(raw: Uint8Array, offset: number): void {
    readAll(this.fd, raw, offset, () => new Error('internal error: a trace file ended early'));
  }

  /** Closes and removes the file. */
  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
    try {
      unlinkSync(this.path);
    } catch {
      // Removed with its directory already.
    }
  }
}
