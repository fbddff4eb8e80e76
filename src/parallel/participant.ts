// One thread's part of a level: take ranges of the level from a shared counter (so a thread
// that finishes early takes the next range instead of idling) and expand them; insert a
// partition of the level's candidates into the seen set; copy part of the seen set into a
// larger one. Run by piscina workers (worker.ts) and by the calling thread itself.
import { threadId } from 'node:worker_threads';
import type { SeenSet } from '../explore/seen-set.ts';
import { LevelCursor, SharedDedupe, candidateSet, type Dedupe } from './blocks.ts';
import { expandValueRange } from './expand-values.ts';
import { expandVectorRange } from './expand-vectors.ts';
import type { Loaded } from './loaded.ts';
import { SharedSeenSet } from './shared-seen-set.ts';
import { partitionOf, type ExpandResult, type ExpandTask, type MergeResult, type MergeTask, type RangeResult, type RehashTask } from './protocol.ts';

/** This thread's candidates of the level it last expanded (kept across its ranges of that level). */
let levelCandidates: { levelId: string; set: SeenSet } | undefined;

function candidatesOf(levelId: string): SeenSet {
  if (levelCandidates === undefined || levelCandidates.levelId !== levelId) levelCandidates = { levelId, set: candidateSet() };
  return levelCandidates.set;
}

/**
 * Expands ranges of the task's level until the counter runs out (or a stop is requested).
 * Ranges are taken in increasing order, so a successor this thread already kept from an
 * earlier range of the level comes first in the merge order and may be dropped here.
 * `dedupe` overrides the shared-phase rule (the calling thread expanding a level alone);
 * `pause` is awaited between ranges (the calling thread lets timers and signals run).
 */
export async function expandPhase(L: Loaded, task: ExpandTask, dedupe?: Dedupe, pause?: () => Promise<void> | undefined): Promise<ExpandResult> {
  L.codec.learnDescriptors(task.descriptors);
  L.vector?.learnStrings(task.strings);
  const counter = new Int32Array(task.counter);
  const cursor = new LevelCursor(task.level);
  const direct = dedupe !== undefined;
  const dd = dedupe ?? new SharedDedupe(new SharedSeenSet(task.table), candidatesOf(task.levelId));
  const ranges: RangeResult[] = [];
  for (;;) {
    const r = Atomics.add(counter, 0, 1);
    if (r >= task.level.ranges) break;
    const res = L.engine === 'vector' ? expandVectorRange(L, task, r, cursor, dd, direct) : expandValueRange(L, task, r, cursor, dd, direct);
    ranges.push(res);
    // After a failed range only earlier ranges matter (the coordinator reports the first
    // failure in level order); other threads still take the ranges before it.
    if (res.error !== undefined || res.notVectorizable !== undefined || res.stopped) break;
    const p = pause?.();
    if (p !== undefined) await p;
  }
  return { ranges, descriptors: L.codec.takeNewDescriptors(), strings: L.vector?.takeHashedStrings() ?? [], thread: threadId, memo: L.vector?.memoStats() };
}

/** Inserts the candidates of partition `task.part`, visiting the blocks in order: the first occurrence wins. */
export function mergePhase(task: MergeTask): MergeResult {
  const table = new SharedSeenSet(task.table);
  const inserted: number[] = [];
  for (const b of task.blocks) {
    const fps = new Uint32Array(b.fps);
    const flags = new Uint8Array(b.flags);
    let n = 0;
    for (let k = 0; k < b.count; k++) {
      const hi = fps[2 * k];
      if (partitionOf(hi, task.parts) !== task.part) continue;
      if (table.insert(hi, fps[2 * k + 1])) {
        flags[k] = 1;
        n++;
      }
    }
    inserted.push(n);
  }
  return { inserted };
}

/** Copies slots [start, end) of the old seen set into the new one (alongside other threads). */
export function rehashPhase(task: RehashTask): void {
  new SharedSeenSet(task.into).copyFrom(new SharedSeenSet(task.from), task.start, task.end, true);
}
