// One thread's part of a level: take ranges of the level from a shared counter (so a thread
// that finishes early takes the next range instead of idling) and expand them; then insert
// the successors whose keys fall in this thread's partition of the seen set, in the level's
// order. Run by piscina workers (worker.ts) and by the calling thread itself.
import { threadId } from 'node:worker_threads';
import { heapResidentBytes } from '../explore/memory-budget.ts';
import { ClaimDedupe, KeepAll, LevelCursor, PartitionedTables, SharedDedupe, type Dedupe, type KeySet } from './blocks.ts';
import { LevelClaimsView } from './level-claims.ts';
import { expandValueRange } from './expand-values.ts';
import { expandVectorRange } from './expand-vectors.ts';
import type { Loaded } from './loaded.ts';
import { GROWTH, GrowingSeenSet, MAX_LOAD, PartitionFullError, type GrowableRef } from './shared-seen-set.ts';
import { unpackVector } from '../state/packed.ts';
import type { ExpandResult, ExpandTask, InsertResult, InsertTask, RangeResult, GrowTask, ValidateResult, ValidateTask, WorkerEvent } from './protocol.ts';

/** This thread's candidates of the task's level (kept across its ranges of that level). */
function candidatesOf(L: Loaded, levelId: string): KeySet {
  const sc = L.scratch;
  if (sc.candidatesOf !== levelId) {
    sc.candidates.clear();
    sc.candidatesOf = levelId;
  }
  return sc.candidates;
}

/**
 * Expands ranges of the task's level until the counter runs out (or a stop is requested).
 * Ranges are taken in increasing order, so a successor this thread already kept from an
 * earlier range of the level comes first in the insert order and may be dropped here.
 * `direct` is the dedupe of a level this thread expands alone; `pause` is awaited between
 * ranges (the calling thread lets timers and signals run). With `sample` (worker threads) the
 * ranges carry the behaviour of a sample of their states, which the main thread checks
 * (model-identity.ts).
 */
export async function expandPhase(L: Loaded, task: ExpandTask, direct?: Dedupe, pause?: () => Promise<void> | undefined, sample = false): Promise<ExpandResult> {
  L.codec.learnDescriptors(task.descriptors);
  L.vector?.learnStrings(task.strings);
  const counter = new Int32Array(task.counter);
  const cursor = new LevelCursor(task.level);
  const tables = new PartitionedTables(task.tables);
  // Vectors insert at once with claims (or, for a level too wide for them, keep every
  // successor for the insert phase, which then checks invariants of new states); Immutable
  // values are filtered first, and checked here.
  const claims = task.claims !== undefined ? new LevelClaimsView(task.claims, task.tables) : undefined;
  const dd = direct ?? (claims !== undefined ? new ClaimDedupe(claims) : L.engine === 'vector' ? new KeepAll(tables) : new SharedDedupe(tables, candidatesOf(L, task.levelId)));
  const checkHere = direct !== undefined || claims !== undefined || L.engine !== 'vector';
  const ranges: RangeResult[] = [];
  const t0 = performance.now();
  for (;;) {
    const r = Atomics.add(counter, 0, 1);
    if (r >= task.level.starts.length - 1) break;
    const res = L.engine === 'vector' ? expandVectorRange(L, task, r, cursor, dd, direct !== undefined, checkHere, sample) : expandValueRange(L, task, r, cursor, dd, direct !== undefined, sample);
    ranges.push(res);
    // After a failed range only earlier ranges matter (the coordinator reports the first
    // failure in level order); other threads still take the ranges before it.
    if (res.error !== undefined || res.notVectorizable !== undefined || res.stopped || res.cut !== undefined) break;
    if (claims !== undefined && claims.abandoned) break;
    const p = pause?.();
    if (p !== undefined) await p;
  }
  claims?.flush();
  return {
    busyMs: performance.now() - t0,
    ranges,
    descriptors: L.codec.takeNewDescriptors(),
    strings: L.vector?.takeHashedStrings() ?? [],
    thread: threadId,
    heapBytes: heapResidentBytes(),
    memo: L.vector?.memoStats(),
    ...(claims !== undefined ? { inserted: claims.inserted, overflow: claims.abandoned, wide: claims.wide } : {}),
  };
}

/**
 * Inserts the candidates of the task's partition, visiting the blocks in order: the first
 * occurrence of a key wins, which is the sequential search's first occurrence. With
 * `invariants` (vectors, whose expansion kept every successor) the new states' invariants
 * are checked here, once each.
 */
export function insertPhase(task: InsertTask, L?: Loaded): InsertResult {
  const seen = GrowingSeenSet.fromRef(task.table);
  const inserted = new Array<number>(task.blocks.length).fill(0);
  const events: WorkerEvent[] = [];
  const vm = task.invariants ? L?.vector : undefined;
  const vec = vm !== undefined ? new Int32Array(vm.width) : null;
  const invIdx: number[] = [];
  if (vm !== undefined) {
    vm.learnStrings(task.strings);
    const skip = new Set(task.skip);
    for (let q = 0; q < L!.invariants.length; q++) if (!skip.has(L!.invariants[q].name)) invIdx.push(q);
  }
  let overBudget = false;
  try {
    outer: for (let b = 0; b < task.blocks.length; b++) {
      const block = task.blocks[b];
      const idx = block.parts[task.part];
      if (idx === undefined) continue;
      const { fps, flags } = block;
      let n = 0;
      for (let j = 0; j < idx.length; j++) {
        const k = idx[j];
        const hi = fps[2 * k];
        const lo = fps[2 * k + 1];
        try {
          if (!seen.insertGrowing(hi, lo, MAX_LOAD, GROWTH, task.maxBytes)) continue;
        } catch (e) {
          if (!(e instanceof PartitionFullError)) throw e;
          overBudget = true;
          inserted[b] = n;
          break outer;
        }
        flags[k] = 1;
        n++;
        if (vec !== null) {
          unpackVector(block.bytes, block.offsets[k], block.offsets[k + 1], vec);
          for (let q = 0; q < invIdx.length; q++) {
            const msg = vm!.checkInvariant(invIdx[q], vec);
            if (msg !== null) {
              events.push({ property: L!.invariants[invIdx[q]].name, kind: 'invariant', message: msg, pos: block.parents[k] - task.levelStart, action: block.actions[k], candidate: k, range: b, hi, lo });
            }
          }
        }
      }
      inserted[b] = n;
    }
  } catch (e) {
    return { inserted, table: seen.ref, events, error: { message: (e as Error)?.message ?? String(e), stack: (e as Error)?.stack } };
  }
  return { inserted, table: seen.ref, events, ...(overBudget ? { overBudget } : {}) };
}

/**
 * Flags the copies holding their state's final claim, in the blocks taken from the counter,
 * and puts each such copy's key back into its seen-set slot (level-claims.ts `settle`).
 */
export function validatePhase(task: ValidateTask): ValidateResult {
  const view = new LevelClaimsView(task.claims, task.tables);
  const counter = new Int32Array(task.counter);
  const winners: [number, number][] = [];
  for (;;) {
    const bi = Atomics.add(counter, 0, 1);
    if (bi >= task.blocks.length) break;
    const b = task.blocks[bi];
    const { fps, parents, actions, flags, entries } = b;
    let n = 0;
    for (let k = 0; k < b.count; k++) {
      const key = (((parents[k] - task.levelStart) << 8) | actions[k]) >>> 0;
      if (view.settle(entries[k], key, fps[2 * k])) {
        flags[k] = 1;
        n++;
      }
    }
    winners.push([bi, n]);
  }
  return { winners };
}

/** Grows a seen-set partition (threads grow different partitions at once). */
export function growPhase(task: GrowTask): GrowableRef {
  const seen = GrowingSeenSet.fromRef(task.table);
  seen.growAlone(task.capacity);
  return seen.ref;
}
