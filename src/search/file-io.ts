// Whole reads and writes of the search's own files (the disk seen set, trace arrays, frontier
// levels, checkpoints): Node's readSync and writeSync may move fewer bytes than asked, so
// each loops until the buffer is done — and a read that meets the end of the file first
// throws instead of looping forever.
import { readSync, writeSync } from 'node:fs';

/** Writes `buf` whole at `position` (null: at the file's current position). */
export function writeAll(fd: number, buf: Uint8Array, position: number | null = null): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position === null ? null : position + done);
}

/** Reads `buf.length` bytes at `position` into `buf`; throws `ended()` when the file ends first. */
export function readAll(fd: number, buf: Uint8Array, position: number, ended: () => Error): void {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) throw ended();
    got += n;
  }
}
