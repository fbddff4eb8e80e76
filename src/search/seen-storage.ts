// A search's seen set past memory (--storage disk | bitstate): the in-memory table keeps the
// keys of the recent levels, and between levels moves them to an archive — a sorted file
// (disk-seen-set.ts) or a bit array (bitstate-seen-set.ts) — keeping only the frontier's.
// A successor whose key is not in the table is taken as new by the level's phases, as
// ever; after the level is settled, its new states are looked up in the archive and those
// found there (seen at an earlier level) are dropped. A breadth-first search meets a state
// first at its shortest depth, so the states left, their order and their parents are the
// in-memory search's: the same figures, verdicts and counterexamples (Stern and Dill's
// delayed duplicate detection, here per level).
//
// The frontier past memory goes to files in the same directory (frontier-spill.ts).
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BitstateSeenSet, missProbability } from './bitstate-seen-set.ts';
import { DiskSeenSet, sortNearlySorted, type SortedKeys } from './disk-seen-set.ts';
import type { CandidateBlock } from './protocol.ts';
import { GROWTH, MAX_LOAD, highWord, lowWord, partitionOf, type GrowingSeenSet, type SharedSeenSet } from './shared-seen-set.ts';
import { DEFAULT_BITSTATE_HASHES, DEFAULT_BITSTATE_LOG2, type StorageChoice, type StorageStats } from './storage-choice.ts';
import { TraceFile } from './trace-file.ts';
import { FrontierSpill } from './frontier-spill.ts';

/** Directories this process made and removes at its exit, whatever ends it (an error, a second Ctrl-C). */
const madeDirs = new Set<string>();
let exitHook = false;

function removeDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // Nothing more to do at exit.
  }
  madeDirs.delete(dir);
}

/** The names of spill directories: the process's id, then mkdtemp's letters. */
const SPILL_PREFIX = 'mmcheck-spill-';

/**
 * A new spill directory in `parent` (default: the system's temporary directory), removed at
 * the end. A process killed before it could remove its own (a second Ctrl-C kills the search
 * process; the kernel's out-of-memory killer) leaves one behind: any whose process is gone is
 * removed here first.
 */
function spillDir(parent: string | undefined): string {
  const base = parent ?? tmpdir();
  mkdirSync(base, { recursive: true });
  for (const name of readdirSync(base)) {
    const pid = name.startsWith(SPILL_PREFIX) ? Number(name.slice(SPILL_PREFIX.length).split('-')[0]) : NaN;
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid)) removeDir(join(base, name));
  }
  return mkdtempSync(join(base, `${SPILL_PREFIX}${process.pid}-`));
}

/** Whether a process with this id runs (one we may not signal runs too). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** The in-memory table's default share of the memory budget under --storage disk. */
const DISK_SEEN_SHARE = 0.25;

/** The seen set's archive, its spill directory and the figures they report. */
export class SeenStorage {
  readonly disk?: DiskSeenSet;
  readonly bits?: BitstateSeenSet;
  /** The trace arrays' file (disk). */
  readonly traceFile?: TraceFile;
  /** Levels past memory, in files (disk). */
  readonly frontier?: FrontierSpill;
  private readonly dir?: string;
  private flushes = 0;
  private peakDiskBytes = 0;
  /** Keys the in-memory table may hold before a flush (bitstate: none kept past a level). */
  private readonly tableKeys: number;

  constructor(choice: Exclude<StorageChoice, { kind: 'ram' }>, budgetBytes: number) {
    if (choice.kind === 'disk') {
      const dir = spillDir(choice.dir);
      this.dir = dir;
      madeDirs.add(dir);
      if (!exitHook) {
        exitHook = true;
        process.on('exit', () => [...madeDirs].forEach(removeDir));
      }
      this.disk = new DiskSeenSet(dir);
      this.traceFile = new TraceFile(dir);
      this.frontier = new FrontierSpill(dir, choice.frontierBytes);
      this.tableKeys = Math.max(1, Math.floor(((choice.seenBytes ?? budgetBytes * DISK_SEEN_SHARE) * MAX_LOAD) / 8));
    } else {
      this.bits = new BitstateSeenSet(choice.log2Bits ?? DEFAULT_BITSTATE_LOG2, choice.hashes ?? DEFAULT_BITSTATE_HASHES);
      this.tableKeys = 0;
    }
  }

  /** Keys in the archive. */
  get archived(): number {
    return this.disk?.size ?? this.bits?.size ?? 0;
  }

  /** Bytes of memory the archive holds (the bit array; the file's index). */
  get bytes(): number {
    return this.disk?.bytes ?? this.bits?.bytes ?? 0;
  }

  /**
   * Drops from a settled level the new states its archive holds (seen at earlier levels):
   * their flags are cleared. Returns each block's new states.
   */
  dropArchived(blocks: readonly CandidateBlock[]): { blocks: CandidateBlock[]; perBlock: number[] } {
    const perBlock = blocks.map((b) => b.winners);
    if (this.archived === 0) return { blocks: [...blocks], perBlock };
    const n = perBlock.reduce((a, b) => a + b, 0);
    const keys = new Int32Array(2 * n);
    const where = new Uint32Array(2 * n);
    let i = 0;
    blocks.forEach((b, bi) => {
      const all = b.winners === b.count;
      for (let k = 0; k < b.count; k++) {
        if (!all && b.flags[k] !== 1) continue;
        keys[2 * i] = lowWord(b.fps[2 * k + 1]);
        keys[2 * i + 1] = highWord(b.fps[2 * k]);
        where[2 * i] = bi;
        where[2 * i + 1] = k;
        i++;
      }
    });
    const found = new Uint8Array(n);
    if (this.disk !== undefined) this.disk.lookup(keys, n, found);
    else {
      const bits = this.bits!;
      for (let j = 0; j < n; j++) if (bits.has(keys[2 * j + 1], keys[2 * j])) found[j] = 1;
    }
    let dropped = 0;
    for (let j = 0; j < n; j++) {
      if (found[j] === 0) continue;
      const b = blocks[where[2 * j]];
      b.flags[where[2 * j + 1]] = 0;
      perBlock[where[2 * j]]--;
      dropped++;
    }
    this.bits?.noteNewStates(n - dropped);
    if (dropped === 0) return { blocks: [...blocks], perBlock };
    return { blocks: blocks.map((b, k) => (perBlock[k] === b.winners ? b : { ...b, winners: perBlock[k] })), perBlock };
  }

  /**
   * After a level: when the in-memory table could pass its share during the next level —
   * it holds the frontier (`level`: the blocks of the level to expand next, `levelSize`
   * states) and will take that level's new states, counted as twice the frontier — moves
   * every key to the archive and keeps only the frontier's, which the next level meets most.
   * Bitstate keeps no key of an earlier level.
   */
  afterLevel(parts: readonly GrowingSeenSet[], level: readonly CandidateBlock[], levelSize: number, room: TableRoom): void {
    const held = parts.reduce((n, p) => n + p.count, 0);
    if (held <= levelSize) return;
    if (this.disk !== undefined && held + 2 * levelSize <= this.tableKeys && !mustGrowPast(parts, room)) return;
    this.flushes++;
    if (this.disk !== undefined) {
      const runs = parts.map((p) => takeSortedKeys(p.table));
      this.peakDiskBytes = Math.max(this.peakDiskBytes, this.disk.merge(runs) + (this.traceFile?.bytes ?? 0) + (this.frontier?.bytes ?? 0));
    } else {
      const bits = this.bits!;
      for (const p of parts) {
        const w = p.table.words;
        for (let b = 0; b < w.length; b += 2) if (w[b] !== 0) bits.add(w[b], w[b + 1]);
      }
    }
    for (const p of parts) {
      p.table.words.fill(0);
      p.count = 0;
    }
    for (const b of level) {
      const all = b.winners === b.count;
      for (let k = 0; k < b.count; k++) {
        if (!all && b.flags[k] !== 1) continue;
        const hi = b.fps[2 * k];
        parts[parts.length === 1 ? 0 : partitionOf(hi, parts.length)].insertGrowing(hi, b.fps[2 * k + 1], MAX_LOAD, GROWTH);
      }
    }
  }

  /** The figures of the storage (CheckStats.storage). */
  stats(): StorageStats {
    if (this.disk !== undefined) {
      const diskBytes = this.disk.diskBytes + (this.traceFile?.bytes ?? 0);
      const f = this.frontier!;
      const frontier = f.levels > 0 ? { frontierLevels: f.levels, frontierSlices: f.slices, frontierPeakBytes: f.peakBytes } : {};
      return { kind: 'disk', flushes: this.flushes, archived: this.disk.size, diskBytes, peakDiskBytes: Math.max(this.peakDiskBytes, diskBytes + f.peakBytes), dir: this.dir, ...frontier };
    }
    const bits = this.bits!;
    return {
      kind: 'bitstate',
      flushes: this.flushes,
      archived: bits.size,
      bits: bits.bits,
      hashes: bits.hashes,
      hashFactor: bits.size > 0 ? bits.bits / bits.size : Infinity,
      expectedMissed: bits.expectedMissed,
      missProbability: missProbability(bits.expectedMissed),
    };
  }

  /** Removes the files (and the directory made for them). */
  close(): void {
    this.disk?.close();
    this.traceFile?.close();
    this.frontier?.close();
    if (this.dir !== undefined) removeDir(this.dir);
  }
}

/** What the next level may add to the in-memory table, and the bytes a partition may grow to under the memory budget. */
export interface TableRoom {
  readonly newStates: number;
  readonly partitionBytes: number;
}

/**
 * True when a partition would have to grow, for the next level's new states, past the bytes
 * the memory budget leaves it: the table's keys then go to disk now (the table keeps its
 * size and holds only the frontier), where the in-memory search stops for memory.
 */
function mustGrowPast(parts: readonly GrowingSeenSet[], room: TableRoom): boolean {
  return parts.some((p) => {
    const need = p.count + room.newStates / parts.length;
    const cap = p.table.capacity;
    if (need <= cap * MAX_LOAD) return false;
    return Math.max(Math.ceil(need / MAX_LOAD), Math.ceil(cap * GROWTH)) * 8 > room.partitionBytes;
  });
}

/**
 * The table's keys as a sorted run, written over the table's own words ([low, high] pairs
 * from the front): the table is emptied after. Slots are in the order of their home slot
 * (`lo * capacity / 2^32`), so the keys come nearly sorted; those that wrapped past the end
 * to the first slots go last.
 */
export function takeSortedKeys(t: SharedSeenSet): SortedKeys {
  const w = t.words;
  const cap = t.capacity;
  const wrapped: number[] = [];
  let n = 0;
  let run = true;
  for (let i = 0; i < cap; i++) {
    const h = w[2 * i];
    if (h === 0) {
      run = false;
      continue;
    }
    const l = w[2 * i + 1];
    if (run && t.home(l) > i) {
      wrapped.push(l, h);
      continue;
    }
    w[2 * n] = l;
    w[2 * n + 1] = h;
    n++;
  }
  for (let j = 0; j < wrapped.length; j += 2) {
    w[2 * n] = wrapped[j];
    w[2 * n + 1] = wrapped[j + 1];
    n++;
  }
  sortNearlySorted(w, n);
  return { keys: w, n };
}

/** The storage a search's options ask for: undefined for the in-memory default. */
export function seenStorage(choice: StorageChoice | undefined, budgetBytes: number): SeenStorage | undefined {
  if (choice === undefined || choice.kind === 'ram') return undefined;
  return new SeenStorage(choice, budgetBytes);
}
