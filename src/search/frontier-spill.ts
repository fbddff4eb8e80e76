// The frontier past memory (--storage disk): when the successors of a level would not fit in
// what --memory leaves (or in --frontier-memory), the level goes to a file in the spill
// directory and is searched in slices of consecutive positions read back from it, each
// slice's new states appended, in order, to the next level — in memory while they fit,
// else in a file of their own (TLC's DiskStateQueue). The order of the states, hence every
// global index, parent and counterexample, is the in-memory search's.
import type { CandidateBlock } from './protocol.ts';
import type { StateCodec } from '../state/codec.ts';
import { compactBytes, compactLevel, FrontierFile, levelBlocks, type CompactLevel } from './frontier-file.ts';

/** What the sizing reads of the search (SearchState's fields). */
export interface FrontierNeeds {
  readonly budget: { readonly stopAtBytes: number; resident(): number };
  readonly levelSize: number;
  /** Bytes of candidate blocks a state expanded made, at the last level or slice. */
  readonly candidateBytesPerState: number;
}

/** The fewest states a slice holds, whatever the room. */
const MIN_SLICE_STATES = 64;
/** A level in a file costs about this much more per state than its encodings and records, once read back as blocks. */
const BLOCK_OVERHEAD = 12;

/** A level's states spilled to a file or not, and what it cost. */
export class FrontierSpill {
  /** The level to expand next, when it is on disk. */
  levelFile?: FrontierFile;
  /** Levels searched in slices, the slices, and the most bytes the frontier files held at once. */
  levels = 0;
  slices = 0;
  peakBytes = 0;
  private readonly open = new Set<FrontierFile>();

  /**
   * @param dir the spill directory
   * @param roomBytes memory the frontier may take (--frontier-memory); default: half of what
   *   the memory budget leaves when a level begins
   */
  constructor(
    private readonly dir: string,
    private readonly roomBytes?: number,
  ) {}

  /** Bytes the frontier may take now: the level's slice being expanded, its successors, the next level held in memory. */
  room(s: FrontierNeeds): number {
    const left = Math.max(0, s.budget.stopAtBytes - s.budget.resident()) / 2;
    return Math.min(this.roomBytes ?? Infinity, left);
  }

  /** True when the level is searched in slices: it is on disk, or its successors (as many bytes a state as the last level's) would pass the room. */
  sliced(s: FrontierNeeds): boolean {
    return this.levelFile !== undefined || s.levelSize * s.candidateBytesPerState > this.room(s);
  }

  /** States of the next slice of `file`: as many as the room takes, a state costing its successors' bytes and its own. */
  sliceStates(s: FrontierNeeds, room: number, file: FrontierFile): number {
    const own = file.count > 0 ? file.bytes / file.count + BLOCK_OVERHEAD : 0;
    return Math.max(MIN_SLICE_STATES, Math.floor(room / Math.max(1, s.candidateBytesPerState + own)));
  }

  /** The level to search in slices: its file, or its blocks (`size` states) written to a new one. */
  takeLevel(blocks: readonly CandidateBlock[], size: number, codec: StateCodec | undefined): FrontierFile {
    this.levels++;
    const file = this.levelFile ?? this.newFile();
    this.levelFile = undefined;
    if (file.count === 0 && size > 0) {
      for (const b of blocks) file.append(compactLevel([b], b.winners, codec));
      if (file.count !== size) throw new Error(`internal error: a level of ${size} states spilled ${file.count}`);
    }
    this.noteBytes();
    return file;
  }

  /** Where a level's successors go, slice after slice: memory up to `room` bytes, then a file. */
  nextLevel(room: number): NextLevel {
    return new NextLevel(room, () => this.newFile(), () => this.noteBytes());
  }

  private newFile(): FrontierFile {
    const f = new FrontierFile(this.dir);
    this.open.add(f);
    return f;
  }

  /** Closes a file read to its end (or given up), removing it. */
  done(file: FrontierFile): void {
    file.close();
    this.open.delete(file);
  }

  private noteBytes(): void {
    let b = 0;
    for (const f of this.open) b += f.bytes;
    this.peakBytes = Math.max(this.peakBytes, b);
  }

  /** Bytes on disk now. */
  get bytes(): number {
    let b = 0;
    for (const f of this.open) b += f.bytes;
    return b;
  }

  /** Removes every file. */
  close(): void {
    for (const f of this.open) f.close();
    this.open.clear();
    this.levelFile = undefined;
  }
}

/** The next level as its slices' new states arrive, in order: in memory while they fit, then in a file. */
export class NextLevel {
  private held: CompactLevel[] = [];
  private heldBytes = 0;
  private file?: FrontierFile;
  count = 0;

  constructor(
    private readonly room: number,
    private readonly newFile: () => FrontierFile,
    private readonly wrote: () => void,
  ) {}

  /** Appends the members of a slice's settled blocks (`n` new states; `codec`: compactLevel's). */
  add(blocks: readonly CandidateBlock[], n: number, codec: StateCodec | undefined): void {
    const c = compactLevel(blocks, n, codec);
    this.count += n;
    if (this.file === undefined && this.heldBytes + compactBytes(c) > this.room) {
      this.file = this.newFile();
      for (const h of this.held) this.file.append(h);
      this.held = [];
      this.heldBytes = 0;
    }
    if (this.file !== undefined) {
      this.file.append(c);
      this.wrote();
    } else {
      this.held.push(c);
      this.heldBytes += compactBytes(c);
    }
  }

  /** The level made: its blocks in memory (`codec`: levelBlocks'), or its file. */
  finish(codec: StateCodec | undefined): { blocks: CandidateBlock[]; file?: FrontierFile } {
    if (this.file !== undefined) return { blocks: [], file: this.file };
    return { blocks: this.held.flatMap((h) => levelBlocks(h, codec)) };
  }

  /** Removes its file, if it made one (a level given up). */
  drop(): void {
    this.file?.close();
  }
}
